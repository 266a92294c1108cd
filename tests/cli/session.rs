//! `kaowu session create/list/show/set` and how commands pick their session.

use crate::common::{Env, backends};

#[test]
fn create_show_and_set_settings() {
    for env in backends() {
        let created = env.json(&["session", "create", "2026h2", "--province", "云南省"]);
        assert_eq!(created["code"], "2026H2");
        assert_eq!(created["name"], "2026年下半年");
        assert_eq!(created["province"], "云南");
        assert_eq!(created["photo_min_width"], 295);
        assert_eq!(created["photo_min_height"], 413);
        assert_eq!(
            created["card_number_template"],
            "{yy}{half}{area2}{sitting1}{siteno3}{room3}{seat2}"
        );

        let out = env.ok(&[
            "session",
            "set",
            "--photo-min-size",
            "30K",
            "--payment-opens",
            "2026-08-25 09:00",
            "--payment-closes",
            "2026年9月5日 23:59",
            "--dry-run",
        ]);
        assert!(
            out.contains("would change (dry run, nothing written)"),
            "{out}"
        );
        assert_eq!(env.json(&["session", "show"])["photo_min_bytes"], 14 * 1024);

        env.ok(&[
            "session",
            "set",
            "--photo-min-size",
            "30K",
            "--payment-opens",
            "2026-08-25 09:00",
            "--payment-closes",
            "2026年9月5日 23:59",
        ]);
        let shown = env.json(&["session", "show", "2026H2"]);
        assert_eq!(shown["photo_min_bytes"], 30 * 1024);
        assert_eq!(shown["payment_opens"], "2026-08-25T09:00:00");
        assert_eq!(shown["payment_closes"], "2026-09-05T23:59:00");
        let text = env.ok(&["session", "show"]);
        assert!(
            text.contains("payment: 2026-08-25 09:00 to 2026-09-05 23:59"),
            "{text}"
        );
    }
}

#[test]
fn bad_settings_are_refused_with_every_reason() {
    let env = Env::sqlite();
    let err = env.fails(1, &["session", "create", "2026H3", "--province", "云南"]);
    assert!(err.contains("expected a session code like 2026H2"), "{err}");
    env.ok(&["session", "create", "2026H2", "--province", "云南"]);
    let err = env.fails(1, &["session", "create", "2026H2", "--province", "云南"]);
    assert!(err.contains("session 2026H2 already exists"), "{err}");
    let err = env.fails(
        1,
        &[
            "session",
            "set",
            "--card-number-template",
            "{yy}{site}{seat2}",
            "--photo-min-size",
            "60K",
            "--payment-opens",
            "2026-09-10",
            "--payment-closes",
            "2026-09-01",
        ],
    );
    for expected in [
        "3 problems",
        "photo minimum size 60K is larger than the maximum 50K",
        "{site} needs a width, e.g. {site3}",
        "the payment window closes (2026-09-01 00:00:00) before it opens (2026-09-10 00:00:00)",
    ] {
        assert!(err.contains(expected), "missing «{expected}» in:\n{err}");
    }
    assert_eq!(env.json(&["session", "show"])["photo_max_bytes"], 50 * 1024);
}

#[test]
fn commands_pick_the_only_session_or_the_named_one() {
    let env = Env::sqlite();
    let err = env.fails(2, &["fees", "list"]);
    assert!(err.contains("the database has no session yet"), "{err}");
    env.ok(&["session", "create", "2026H2", "--province", "云南"]);
    env.ok(&["fees", "list"]);
    env.ok(&["session", "create", "2027H1", "--province", "云南"]);
    let err = env.fails(2, &["fees", "list"]);
    assert!(
        err.contains("several sessions (2026H2, 2027H1); name one with --session or KAOWU_SESSION"),
        "{err}"
    );
    env.ok(&["fees", "list", "--session", "2027H1"]);
    let shown = env
        .kaowu()
        .args(["session", "show", "--json"])
        .env("KAOWU_SESSION", "2027H1")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(v["code"], "2027H1");
    let err = env.fails(2, &["--session", "2025H1", "fees", "list"]);
    assert!(
        err.contains("no session 2025H1 in the database; it has: 2026H2, 2027H1"),
        "{err}"
    );
    let listed = env.json(&["session", "list"]);
    assert_eq!(listed.as_array().unwrap().len(), 2);
}

#[test]
fn usage_errors_exit_2() {
    let env = Env::sqlite();
    env.fails(2, &["import", "plan"]);
    env.fails(2, &["nonsense"]);
    env.fails(2, &["import", "sites", "x.csv", "--encoding", "latin1"]);
}
