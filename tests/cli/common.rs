//! The test harness: a temporary folder, a database per backend, and helpers to run kaowu
//! and read what it printed.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use assert_cmd::Command;
use serde_json::Value;

pub const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/samples");

pub fn sample(name: &str) -> PathBuf {
    Path::new(SAMPLES).join(name)
}

/// One backend's database for one test; a PostgreSQL database is dropped afterwards.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub url: String,
    pub backend: &'static str,
    pg_drop: Option<(String, String)>,
}

/// SQLite always; PostgreSQL as well when KAOWU_TEST_POSTGRES_URL names a server. A URL that
/// is set but does not connect fails the test rather than skipping it.
pub fn backends() -> Vec<Env> {
    let mut out = vec![Env::sqlite()];
    if let Ok(admin) = std::env::var("KAOWU_TEST_POSTGRES_URL")
        && !admin.trim().is_empty()
    {
        out.push(Env::postgres(&admin));
    }
    out
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);
static ORPHANS_DROPPED: AtomicBool = AtomicBool::new(false);

/// Drops the databases of earlier test runs that were killed (Ctrl-C, kill -9) before their
/// tests could drop them: each is named after its process, which is gone. Only on a server
/// of this machine, where those process numbers mean something.
async fn drop_orphans(c: &mut sqlx::PgConnection, admin: &str) {
    use std::str::FromStr;
    let Ok(opts) = sqlx::postgres::PgConnectOptions::from_str(admin) else {
        return;
    };
    let host = opts.get_host();
    if !(host.starts_with('/') || ["localhost", "127.0.0.1", "::1"].contains(&host)) {
        return;
    }
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT datname::text FROM pg_database WHERE datname LIKE 'kaowu\\_t\\_%'",
    )
    .fetch_all(&mut *c)
    .await
    .unwrap_or_default();
    for name in names {
        let pid = name.split('_').nth(2).and_then(|p| p.parse::<u32>().ok());
        let Some(pid) = pid else { continue };
        // Without FORCE: a database someone is connected to stays.
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name}"
            )))
            .execute(&mut *c)
            .await;
        }
    }
}

/// Runs `f` to completion on a runtime of its own, for tests that talk to the database.
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

impl Env {
    pub fn sqlite() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("kaowu.db").display());
        Env {
            dir,
            url,
            backend: "sqlite",
            pg_drop: None,
        }
    }

    fn postgres(admin: &str) -> Env {
        use sqlx::Connection;
        let name = format!(
            "kaowu_t_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        block_on(async {
            let mut c = sqlx::PgConnection::connect(admin)
                .await
                .unwrap_or_else(|e| panic!("KAOWU_TEST_POSTGRES_URL does not connect: {e}"));
            if !ORPHANS_DROPPED.swap(true, Ordering::SeqCst) {
                drop_orphans(&mut c, admin).await;
            }
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut c)
                .await
                .unwrap();
        });
        // Same server and credentials, the new database.
        let base = admin.split('?').next().unwrap();
        let url = format!("{}/{name}", &base[..base.rfind('/').unwrap()]);
        Env {
            dir: tempfile::tempdir().unwrap(),
            url,
            backend: "postgres",
            pg_drop: Some((admin.to_string(), name)),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `kaowu` in the temporary folder, on this database, with no session or operator
    /// from the environment.
    pub fn kaowu(&self) -> Command {
        let mut c = Command::cargo_bin("kaowu").unwrap();
        c.current_dir(self.dir.path())
            .env("KAOWU_DATABASE_URL", &self.url)
            .env_remove("KAOWU_SESSION")
            .env("KAOWU_OPERATOR", "tester");
        c
    }

    /// Runs kaowu with `args`, expects success, returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.kaowu().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "[{}] kaowu {} failed ({}):\n{}{}",
            self.backend,
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs kaowu with `args` and `--json`, expects success, parses stdout.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.push("--json");
        let out = self.ok(&a);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}):\n{out}"))
    }

    /// Runs kaowu with `args`, expects exit code `code`, returns stderr.
    pub fn fails(&self, code: i32, args: &[&str]) -> String {
        let out = self.kaowu().args(args).output().unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(
            out.status.code(),
            Some(code),
            "[{}] kaowu {}: expected exit {code}; stdout:\n{}stderr:\n{stderr}",
            self.backend,
            args.join(" "),
            String::from_utf8_lossy(&out.stdout)
        );
        stderr
    }

    /// A session for 云南 with the samples' plan, sites and fees imported.
    pub fn with_samples(&self) {
        self.ok(&["session", "create", "2026H2", "--province", "云南"]);
        self.import_samples();
    }

    /// The sample session reviewed as samples/run.sh does: applications imported with their
    /// photos, checked, the clean ones approved and the flagged ones rejected.
    pub fn reviewed(&self) {
        self.with_samples();
        self.ok(&[
            "import",
            "applications",
            s(&sample("applications.csv")),
            "--photos",
            s(&sample("photos")),
        ]);
        self.ok(&["review", "check"]);
        self.ok(&["review", "approve", "--clean", "--yes"]);
        self.ok(&["review", "reject", "--errors", "--yes"]);
    }

    pub fn import_samples(&self) {
        for (kind, file) in [
            ("plan", "plan.xlsx"),
            ("sites", "sites.csv"),
            ("fees", "fees.xlsx"),
        ] {
            self.ok(&["import", kind, sample(file).to_str().unwrap()]);
        }
    }

    /// The counts `status --json` gives for the only session.
    pub fn counts(&self) -> Value {
        let mut s = self.json(&["status"]);
        let sessions = s["sessions"].as_array_mut().unwrap();
        assert_eq!(sessions.len(), 1, "{s}");
        sessions.remove(0)
    }

    /// Writes a UTF-8 file in the temporary folder.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// Writes a file as Excel on Chinese Windows saves CSV: GBK, CRLF.
    pub fn write_gbk(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        let crlf = text.replace("\r\n", "\n").replace('\n', "\r\n");
        let (bytes, _, bad) = encoding_rs::GBK.encode(&crlf);
        assert!(!bad);
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg_drop.take() {
            use sqlx::Connection;
            block_on(async {
                if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut c)
                    .await;
                }
            });
        }
    }
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs one statement in `tx`, whichever backend it is on.
pub async fn execute(tx: &mut kaowu::db::Tx, sql: &'static str) -> Result<(), sqlx::Error> {
    match tx {
        kaowu::db::Tx::Sqlite(t) => sqlx::query(sql).execute(&mut **t).await.map(|_| ()),
        kaowu::db::Tx::Postgres(t) => sqlx::query(sql).execute(&mut **t).await.map(|_| ()),
    }
}

/// Runs one statement made at run time in `tx`, whichever backend it is on.
pub async fn execute_sql(tx: &mut kaowu::db::Tx, sql: String) -> Result<(), sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(sql);
    match tx {
        kaowu::db::Tx::Sqlite(t) => sqlx::query(sql).execute(&mut **t).await.map(|_| ()),
        kaowu::db::Tx::Postgres(t) => sqlx::query(sql).execute(&mut **t).await.map(|_| ()),
    }
}

/// The one row of two numbers that `sql` selects in `tx`, whichever backend it is on.
pub async fn fetch_pair(tx: &mut kaowu::db::Tx, sql: &'static str) -> (i64, i64) {
    match tx {
        kaowu::db::Tx::Sqlite(t) => sqlx::query_as(sql).fetch_one(&mut **t).await,
        kaowu::db::Tx::Postgres(t) => sqlx::query_as(sql).fetch_one(&mut **t).await,
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
}
