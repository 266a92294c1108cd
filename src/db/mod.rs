//! The store: connect by URL (an SQLite file by default, PostgreSQL for `postgres://`),
//! run the migrations of that backend, and hand out transactions. Queries live in one
//! file per aggregate; each runs once per backend through [`with_conn!`], so both keep
//! their native types and placeholders (see ../shared/notes/stack.md on sqlx's Any driver).

pub mod applications;
pub mod corrections;
pub mod exam_day;
pub mod fees;
pub mod imports;
pub mod payments;
pub mod plan;
pub mod report;
pub mod review;
pub mod roster;
pub mod scores;
pub mod seating;
pub mod sessions;
pub mod sites;
mod sqlite_raw;
pub mod staff;

use std::str::FromStr;
use std::time::Duration;

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::{Postgres, Sqlite, Transaction};

/// The default database: an SQLite file in the working folder.
pub const DEFAULT_URL: &str = "sqlite://kaowu.db";

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot open the database {url}: {cause}")]
    Connect { url: String, cause: sqlx::Error },
    #[error("cannot bring the database {url} up to this kaowu's schema: {cause}")]
    Migrate {
        url: String,
        cause: sqlx::migrate::MigrateError,
    },
    /// The database has migrations this kaowu does not know: it is left as it is.
    #[error(
        "cannot use the database {url}: this database was written by a newer kaowu (schema {found}, this one knows {known}); use that kaowu or a newer one"
    )]
    Newer { url: String, found: i64, known: i64 },
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
    /// A call of SQLite's C API ([`sqlite_raw`]) failed, with its extended code.
    #[error("error returned from database: (code: {code}) {message}")]
    Sqlite { code: i32, message: String },
    /// A bulk write named a row that does not exist ([`Tx::check_references`]).
    #[error("FOREIGN KEY constraint failed: {0}")]
    Reference(String),
}

pub type Result<T, E = DbError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub enum Db {
    /// An SQLite file: `pool` enforces foreign keys row by row; `bulk` (absent for an
    /// in-memory database, which a second pool would not share) is [`Db::begin_bulk`]'s.
    Sqlite {
        pool: SqlitePool,
        bulk: Option<SqlitePool>,
    },
    Postgres(PgPool),
}

/// A transaction on either backend. Dropped without [`Tx::commit`], it rolls back.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Runs `$body` with `$c` bound to the transaction's connection, once per backend, so the
/// same query text is compiled for both with their own types.
macro_rules! with_conn {
    ($tx:expr, |$c:ident| $body:expr) => {
        match $tx {
            $crate::db::Tx::Sqlite(t) => {
                let $c: &mut sqlx::SqliteConnection = &mut *t;
                $body
            }
            $crate::db::Tx::Postgres(t) => {
                let $c: &mut sqlx::PgConnection = &mut *t;
                $body
            }
        }
    };
}
pub(crate) use with_conn;

/// The backend a URL names: PostgreSQL for `postgres://` and `postgresql://`, else SQLite
/// (`sqlite://file.db`, `sqlite:file.db`, or a plain path).
pub fn backend_of(url: &str) -> Backend {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Backend::Postgres
    } else {
        Backend::Sqlite
    }
}

/// The URL as it may be printed or stored: every password replaced by `***`, however it is
/// written. In the user information (`user:PW@host`) the password runs to the *last* `@`
/// of the URL, since a password may hold an unencoded `/`, `?`, `#` or `@` that a URL parser
/// would take for the end of the host (and then quote the rest in its error); so a URL with
/// an `@` in its query loses more than its password, never less. In the query, the value of
/// every parameter whose name speaks of a password (`password`, `sslpassword`, `%70assword`)
/// is replaced too.
pub fn display_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return hide_params(url);
    };
    let (head, rest) = url.split_at(scheme_end + 3);
    let rest = match rest.rfind('@') {
        Some(at) => match rest[..at].find(':') {
            // A user name holds no `/` or `?`: such a colon lies in the path or query, and
            // the `@` with it.
            Some(colon) if !rest[..colon].contains(['/', '?', '#']) => {
                format!("{}:***{}", &rest[..colon], &rest[at..])
            }
            _ => rest.to_string(),
        },
        None => rest.to_string(),
    };
    format!("{head}{}", hide_params(&rest))
}

/// `text` with the value of each `name=value` pair (separated by `?`, `&`, `;` or spaces)
/// whose name speaks of a password replaced by `***`.
fn hide_params(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        // A pair runs to the next separator.
        let end = rest.find(['&', '?', ';', ' ']).unwrap_or(rest.len());
        let (pair, tail) = rest.split_at(end);
        match pair.split_once('=') {
            Some((name, _)) if secret_name(name) => {
                out.push_str(name);
                out.push_str("=***");
            }
            _ => out.push_str(pair),
        }
        // The separator itself.
        let sep = tail.chars().next().map_or(0, char::len_utf8);
        out.push_str(&tail[..sep]);
        rest = &tail[sep..];
    }
    out
}

/// Whether a parameter's name (percent-encoded or not, any case) names a password.
fn secret_name(name: &str) -> bool {
    let mut decoded = Vec::with_capacity(name.len());
    let b = name.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                decoded.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                decoded.push(c);
                i += 1;
            }
        }
    }
    let name = String::from_utf8_lossy(&decoded).to_lowercase();
    ["pass", "pwd", "secret"].iter().any(|s| name.contains(s))
}

/// A command line as the journal stores it: its arguments joined by spaces (shown lossily
/// where they are not UTF-8), with every password taken out of a database URL or a
/// `password=` parameter, whichever flag or form carried it.
pub fn journal_command(args: impl IntoIterator<Item = std::ffi::OsString>) -> String {
    args.into_iter()
        .map(|a| {
            let a = a.to_string_lossy();
            match a.find("://") {
                // `--database-url=postgres://..` or the URL alone: redact from its scheme on.
                Some(i) => {
                    let start = a[..i]
                        .rfind(|c: char| !(c.is_ascii_alphanumeric() || "+-.".contains(c)))
                        .map_or(0, |p| p + 1);
                    format!("{}{}", &a[..start], display_url(&a[start..]))
                }
                None => hide_params(&a),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Refuses a database that a newer kaowu has migrated beyond the newest migration this one
/// knows, before the migrator touches it: sqlx would say only that migration N "was
/// previously applied but is missing", and a newer schema is not this kaowu's to use.
fn refuse_newer(url: &str, applied: Option<i64>, migrator: &sqlx::migrate::Migrator) -> Result<()> {
    let known = migrator.iter().map(|m| m.version).max().unwrap_or(0);
    match applied {
        Some(found) if found > known => Err(DbError::Newer {
            url: url.to_string(),
            found,
            known,
        }),
        _ => Ok(()),
    }
}

impl Db {
    /// Connects and runs the backend's migrations.
    pub async fn connect(url: &str) -> Result<Db> {
        let shown = display_url(url);
        let connect_err = |cause| DbError::Connect {
            url: shown.clone(),
            cause,
        };
        let migrate_err = |cause| DbError::Migrate {
            url: shown.clone(),
            cause,
        };
        let db = match backend_of(url) {
            Backend::Postgres => {
                // No JIT: kaowu's statements each run once over up to 200,000 rows, and
                // PostgreSQL compiled approve's selection for 0.5 s to run it in 1.2 s.
                // Room for a hash of those rows: with the default 4 MB, approving 190,000
                // hashed the states in two batches through temporary files, and the rows
                // that the checks per statement read (migration 0006) went to disk too: 35 MB
                // of temporary files, none with 64 MB (the hash needs 13 MB), and 0.25 s of
                // the 4.2 s that EXPLAIN ANALYZE gave the moves.
                let opts = PgConnectOptions::from_str(url)
                    .map_err(connect_err)?
                    .options([("jit", "off"), ("work_mem", "64MB")]);
                // The migrations run on the pool's first connection, which the command then
                // uses: a connection costs 0.1 s of scram and start-up, and a separate one
                // for them was a third of `connect` in every command. The pool returns most
                // errors (a wrong password, an unknown host) at once, but retries a refused
                // connection until its acquire timeout, for a server still starting. So when
                // the first connection is not there within a second, one plain connection
                // says why (no server listening), or, if it succeeds, the pool is asked again.
                let pool = PgPoolOptions::new()
                    .max_connections(4)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_lazy_with(opts.clone());
                let mut first = if let Ok(conn) =
                    tokio::time::timeout(Duration::from_secs(1), pool.acquire()).await
                {
                    conn.map_err(connect_err)?
                } else {
                    PgConnection::connect_with(&opts)
                        .await
                        .map_err(connect_err)?
                        .close()
                        .await
                        .map_err(connect_err)?;
                    pool.acquire().await.map_err(connect_err)?
                };
                let migrator = sqlx::migrate!("migrations/postgres");
                let migrated: bool =
                    sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
                        .fetch_one(&mut *first)
                        .await?;
                let applied: Option<i64> = if migrated {
                    sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
                        .fetch_one(&mut *first)
                        .await?
                } else {
                    None
                };
                refuse_newer(&shown, applied, &migrator)?;
                migrator.run(&mut *first).await.map_err(migrate_err)?;
                // Back in the pool before the command asks for it: dropped, it would go back
                // in a task of its own, and a command quicker than that task opened a second
                // connection. (`return_to_pool` is what the drop runs, public but hidden in
                // sqlx's docs; sqlx is held at 0.9 by Cargo.lock.)
                first.return_to_pool().await;
                drop(first);
                Db::Postgres(pool)
            }
            Backend::Sqlite => {
                let opts = if url.starts_with("sqlite:") {
                    SqliteConnectOptions::from_str(url).map_err(connect_err)?
                } else {
                    SqliteConnectOptions::new().filename(url)
                };
                // WAL and a busy timeout let a second process read, and wait to write,
                // instead of failing while another command holds the file.
                let opts = opts
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .busy_timeout(Duration::from_mins(1))
                    .foreign_keys(true);
                let in_memory = url.contains(":memory:") || url.contains("mode=memory");
                // Opened only by a command that asks for it, after the migrations.
                let bulk = (!in_memory).then(|| {
                    SqlitePoolOptions::new()
                        .max_connections(1)
                        .connect_lazy_with(opts.clone().foreign_keys(false))
                });
                let pool = SqlitePoolOptions::new()
                    .max_connections(2)
                    .connect_with(opts)
                    .await
                    .map_err(connect_err)?;
                let migrator = sqlx::migrate!("migrations/sqlite");
                let migrated: bool = sqlx::query_scalar(
                    "SELECT COUNT(*) > 0 FROM sqlite_master \
                     WHERE type = 'table' AND name = '_sqlx_migrations'",
                )
                .fetch_one(&pool)
                .await?;
                let applied: Option<i64> = if migrated {
                    sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
                        .fetch_one(&pool)
                        .await?
                } else {
                    None
                };
                refuse_newer(&shown, applied, &migrator)?;
                migrator.run(&pool).await.map_err(migrate_err)?;
                Db::Sqlite { pool, bulk }
            }
        };
        Ok(db)
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// A transaction for reading.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite { pool, .. } => Tx::Sqlite(pool.begin().await?),
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// A transaction that will write. On SQLite it takes the write lock at once, so that
    /// what it reads cannot change before it writes (a deferred transaction would fail
    /// with "database is locked" when two writers upgrade at the same time). On
    /// PostgreSQL, writers of one session serialise on its row ([`Tx::lock_session`]).
    pub async fn begin_write(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite { pool, .. } => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// A write transaction for a command that writes rows by the hundred thousand and
    /// proves their references itself, per set. On SQLite its connection does not check
    /// foreign keys row by row: that was 0.2-0.4 s of a 200,000-row import and 0.1-0.15 s
    /// of an approval of 190,000, for references that the command made itself in the same
    /// transaction (the batch it opened, the session it read, the ids it just inserted or
    /// chose). SQLite leaves the choice to each connection (`PRAGMA foreign_keys`, which
    /// cannot change inside a transaction), so this one comes from a pool of its own and
    /// the other connections keep checking. On PostgreSQL this is [`Db::begin_write`]: its
    /// journal is checked per statement already (migrations 0006 and 0009).
    ///
    /// What such a command must check before it commits: [`Tx::check_references`] for
    /// the session, batch and qualifications its rows name, and its moves counted against
    /// its journal rows ([`Tx::transition_chosen`] does). It deletes nothing: a deleted
    /// row's children would go unchecked.
    pub async fn begin_bulk(&self) -> Result<Tx> {
        match self {
            Db::Sqlite {
                bulk: Some(bulk), ..
            } => Ok(Tx::Sqlite(bulk.begin_with("BEGIN IMMEDIATE").await?)),
            _ => self.begin_write().await,
        }
    }

    pub async fn close(self) {
        match self {
            Db::Sqlite { pool, bulk } => {
                if let Some(b) = bulk {
                    b.close().await;
                }
                pool.close().await;
            }
            Db::Postgres(p) => p.close().await,
        }
    }
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    /// The newest migration applied: the schema version.
    pub async fn schema_version(&mut self) -> Result<i64> {
        let v: Option<i64> = with_conn!(self, |c| {
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(&mut *c)
                .await?
        });
        Ok(v.unwrap_or(0))
    }

    /// Reads many rows as one: `SELECT <columns> <rest>` (with `$1` bound to `param`) comes
    /// back as one JSON array of arrays, which serde reads positionally into `T`. sqlx hands
    /// every row across a channel from its SQLite worker and copies each value, which costs
    /// about 18 µs a row; one text value for 200,000 rows costs a fraction of that. Row order
    /// is not kept: callers sort what they show.
    pub async fn bulk_rows<T: serde::de::DeserializeOwned>(
        &mut self,
        columns: &[&str],
        rest: &str,
        param: i64,
    ) -> Result<Vec<T>> {
        self.bulk_rows_with(columns, rest, param, None).await
    }

    /// [`Tx::bulk_rows`] with `$2` bound to `json` too, a JSON array such as a list of ids
    /// that `rest` reads with [`Tx::ids_in`].
    pub async fn bulk_rows_with<T: serde::de::DeserializeOwned>(
        &mut self,
        columns: &[&str],
        rest: &str,
        param: i64,
        json: Option<&str>,
    ) -> Result<Vec<T>> {
        let inner: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c} AS c{i}"))
            .collect();
        let outer: Vec<String> = (0..columns.len()).map(|i| format!("c{i}")).collect();
        let (inner, outer) = (inner.join(", "), outer.join(", "));
        let text: String = match self {
            Tx::Sqlite(t) => {
                let sql = format!(
                    "SELECT COALESCE(json_group_array(json_array({outer})), '[]') FROM (SELECT {inner} {rest}) AS x"
                );
                let q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(param);
                match json {
                    Some(j) => q.bind(j).fetch_one(&mut **t).await?,
                    None => q.fetch_one(&mut **t).await?,
                }
            }
            Tx::Postgres(t) => {
                let sql = format!(
                    "SELECT COALESCE(json_agg(json_build_array({outer})), '[]'::json)::text FROM (SELECT {inner} {rest}) AS x"
                );
                let q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(param);
                match json {
                    Some(j) => q.bind(j).fetch_one(&mut **t).await?,
                    None => q.fetch_one(&mut **t).await?,
                }
            }
        };
        serde_json::from_str(&text).map_err(|e| DbError::Sql(sqlx::Error::Decode(Box::new(e))))
    }

    /// `SELECT`ing the numbers of the JSON array bound as `$n`, for `x IN (...)`: SQLite and
    /// PostgreSQL spell reading a JSON array differently.
    pub fn ids_in(&self, n: u8) -> String {
        match self {
            Tx::Sqlite(_) => format!("SELECT value FROM json_each(${n})"),
            Tx::Postgres(_) => {
                format!(
                    "SELECT (v #>> '{{}}')::BIGINT FROM json_array_elements(${n}::json) AS e(v)"
                )
            }
        }
    }

    /// Refreshes PostgreSQL's planner statistics of `tables` after a bulk change (SQLite
    /// plans without them here).
    pub async fn analyze(&mut self, tables: &[&str]) -> Result<()> {
        if let Tx::Postgres(t) = self {
            let sql = format!("ANALYZE {}", tables.join(", "));
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut **t)
                .await?;
        }
        Ok(())
    }

    /// [`Tx::analyze`] after a change of `changed` rows, when that is enough to mislead the
    /// planner. Figures left from the import (every application unchecked) after a
    /// `review check` made the next approval's plan expect one checked application where
    /// there were 190,000: a nested loop rescanned the error flags for each, and an approval
    /// that takes 3 s ran for 284 s. A bulk decision leaves the figures of `status` just as
    /// wrong for the next command. Autovacuum catches up within a minute or so, but a script
    /// runs the next command at once. Below this many rows a plan wrong about them costs
    /// little; sampling `application_states` after an approval of 190,000 took 0.07 s.
    pub async fn analyze_after(&mut self, changed: usize, tables: &[&str]) -> Result<()> {
        const STALE_AFTER: usize = 1000;
        if changed >= STALE_AFTER {
            self.analyze(tables).await?;
        }
        Ok(())
    }

    /// Makes writers of one session wait for each other on PostgreSQL (SQLite's
    /// `BEGIN IMMEDIATE` already does).
    pub async fn lock_session(&mut self, session_id: i64) -> Result<()> {
        if let Tx::Postgres(t) = self {
            sqlx::query("SELECT id FROM sessions WHERE id = $1 FOR UPDATE")
                .bind(session_id)
                .execute(&mut **t)
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden_however_written() {
        for (url, shown) in [
            ("postgres://u:p/w?x@h/db", "postgres://u:***@h/db"),
            (
                "postgres://u:p@ss#w@h:5432/db",
                "postgres://u:***@h:5432/db",
            ),
            (
                "postgres://u@h/db?password=PW&sslmode=require",
                "postgres://u@h/db?password=***&sslmode=require",
            ),
            (
                "postgres://h/db?sslmode=disable&Password=PW",
                "postgres://h/db?sslmode=disable&Password=***",
            ),
            (
                "postgres://h/db?%70assword=PW",
                "postgres://h/db?%70assword=***",
            ),
            (
                "postgres://h/db?application_name=a@b",
                "postgres://h/db?application_name=a@b",
            ),
            (
                "postgresql://u:PW@h/db?sslpassword=KEY",
                "postgresql://u:***@h/db?sslpassword=***",
            ),
        ] {
            assert_eq!(display_url(url), shown, "{url}");
        }
        let args = [
            "kaowu",
            "--database-url",
            "postgres://u:PW@h/db",
            "--database-url=postgres://u:PW@h/db?password=PW2",
            "x=1 password=PW3",
        ];
        let stored = journal_command(args.iter().map(std::ffi::OsString::from));
        assert!(!stored.contains("PW"), "{stored}");
        assert_eq!(
            stored,
            "kaowu --database-url postgres://u:***@h/db --database-url=postgres://u:***@h/db?password=*** x=1 password=***"
        );
    }

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(
            display_url("postgres://kaowu:secret@db.example:5432/kaowu?sslmode=require"),
            "postgres://kaowu:***@db.example:5432/kaowu?sslmode=require"
        );
        assert_eq!(
            display_url("postgres://kaowu@localhost/k"),
            "postgres://kaowu@localhost/k"
        );
        assert_eq!(display_url("sqlite://kaowu.db"), "sqlite://kaowu.db");
    }

    #[test]
    fn backends_by_url() {
        assert_eq!(backend_of("postgresql://x/y"), Backend::Postgres);
        assert_eq!(backend_of("sqlite://kaowu.db"), Backend::Sqlite);
        assert_eq!(backend_of("/var/lib/kaowu/2026.db"), Backend::Sqlite);
    }
}
