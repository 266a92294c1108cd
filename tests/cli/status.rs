//! `kaowu status`, and the same results on SQLite and PostgreSQL.

use crate::common::{Env, backends, block_on, execute};

#[test]
fn status_names_the_database_and_hides_passwords() {
    let env = Env::sqlite();
    let s = env.json(&["status"]);
    assert_eq!(s["backend"], "sqlite");
    // The newest migration, as numbered in migrations/.
    let newest = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
        .unwrap()
        .filter_map(|e| {
            e.unwrap()
                .file_name()
                .to_str()?
                .split('_')
                .next()?
                .parse::<i64>()
                .ok()
        })
        .max()
        .unwrap();
    assert_eq!(s["schema_version"], newest);
    assert_eq!(s["sessions"].as_array().unwrap().len(), 0);
    assert!(
        env.path("kaowu.db").exists(),
        "the SQLite file is created on first use"
    );
    let text = env.ok(&["status"]);
    assert!(text.contains("no sessions yet"), "{text}");

    let err = env
        .kaowu()
        .args(["status"])
        .env(
            "KAOWU_DATABASE_URL",
            "postgres://someone:s3cret@127.0.0.1:1/none",
        )
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&err.stderr);
    assert!(
        err.contains("postgres://someone:***@127.0.0.1:1/none") && !err.contains("s3cret"),
        "{err}"
    );
}

#[test]
fn default_database_is_kaowu_db_in_the_working_folder() {
    let env = Env::sqlite();
    let out = env
        .kaowu()
        .env_remove("KAOWU_DATABASE_URL")
        .args(["session", "create", "2026H2", "--province", "云南"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(env.path("kaowu.db").exists());
}

#[test]
fn sqlite_and_postgres_give_the_same_results() {
    let envs = backends();
    if envs.len() < 2 {
        eprintln!("KAOWU_TEST_POSTGRES_URL is not set: comparing SQLite with itself only");
    }
    let results: Vec<_> = envs
        .iter()
        .map(|env| {
            env.with_samples();
            let mut status = env.json(&["status"]);
            status.as_object_mut().unwrap().remove("database");
            status.as_object_mut().unwrap().remove("backend");
            let quotes: Vec<_> = [
                ("丽江", "电子商务设计师"),
                ("昆明", "系统架构设计师"),
                ("曲靖", "程序员"),
            ]
            .iter()
            .map(|(a, q)| {
                env.json(&[
                    "fees",
                    "quote",
                    "--exam-area",
                    a,
                    "--qualification",
                    q,
                    "--on",
                    "2026-09-01",
                ])
            })
            .collect();
            (status, quotes, env.json(&["fees", "list"]))
        })
        .collect();
    for r in &results[1..] {
        assert_eq!(r, &results[0]);
    }
    let status = &results[0].0;
    assert_eq!(status["sessions"][0]["fees"], 7);
}

/// The rows of `_sqlx_migrations` as (version, success), and the tables, of a database.
async fn schema_of(url: &str) -> (Vec<(i64, bool)>, Vec<String>) {
    use sqlx::Connection;
    if url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        let rows = sqlx::query_as("SELECT version, success FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut c)
            .await
            .unwrap();
        let tables = sqlx::query_scalar(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1",
        )
        .fetch_all(&mut c)
        .await
        .unwrap();
        (rows, tables)
    } else {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        let rows = sqlx::query_as("SELECT version, success FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut c)
            .await
            .unwrap();
        let tables =
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1")
                .fetch_all(&mut c)
                .await
                .unwrap();
        (rows, tables)
    }
}

#[test]
fn an_older_kaowu_leaves_a_newer_database_alone() {
    for env in backends() {
        env.with_samples();
        let known = env.json(&["status"])["schema_version"].as_i64().unwrap();
        // As a newer kaowu leaves it: one more migration, applied.
        block_on(async {
            let db = kaowu::db::Db::connect(&env.url).await.unwrap();
            let mut tx = db.begin_write().await.unwrap();
            let sql = if env.backend == "postgres" {
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
                 VALUES (90, 'attendance', TRUE, decode('00', 'hex'), 0)"
            } else {
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
                 VALUES (90, 'attendance', TRUE, X'00', 0)"
            };
            execute(&mut tx, sql).await.unwrap();
            tx.commit().await.unwrap();
            db.close().await;
        });
        let before = block_on(schema_of(&env.url));
        let file = env.path("kaowu.db");
        let bytes = (env.backend == "sqlite").then(|| std::fs::read(&file).unwrap());
        for args in [
            &["status"][..],
            &["plan", "list"],
            &["session", "create", "2027H1", "--province", "云南"],
        ] {
            let err = env.fails(2, args);
            assert!(
                err.contains(&format!(
                    "this database was written by a newer kaowu (schema 90, this one knows {known})"
                )),
                "[{}] {err}",
                env.backend
            );
            assert!(!err.contains("previously applied"), "{err}");
        }
        assert_eq!(block_on(schema_of(&env.url)), before, "[{}]", env.backend);
        if let Some(bytes) = bytes {
            assert!(
                std::fs::read(&file).unwrap() == bytes,
                "the SQLite file changed"
            );
        }
    }
}
