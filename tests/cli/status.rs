//! `kaowu status`, and the same results on SQLite and PostgreSQL.

use crate::common::{Env, backends};

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
