//! `kaowu demo` runs the whole session from any folder on a fresh database in its output
//! folder, and leaves every output there; `kaowu completions` prints a shell's completions.

use serde_json::Value;

use crate::cards::pdfs;
use crate::common::{Env, s};

fn step<'a>(r: &'a Value, name: &str) -> &'a Value {
    r["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["step"].as_str().unwrap().contains(name))
        .unwrap_or_else(|| panic!("no step {name} in {r}"))
}

#[test]
fn the_demo_makes_every_output_of_a_session_and_never_touches_a_database() {
    let env = Env::sqlite();
    let out = env.path("demo");
    let r = env.json(&["demo", "--out", s(&out)]);
    assert!(out.join("kaowu.db").exists());
    // The database the environment names was not created, let alone changed.
    assert!(!env.path("kaowu.db").exists() && !env.path("test.db").exists());
    // Each command as printed pastes into a shell: quoted where a word needs it.
    let session = step(&r, "session")["command"].as_str().unwrap();
    assert!(
        session.contains(" --registration-opens '2026-08-20 09:00' "),
        "{session}"
    );
    for name in ["seating", "admit cards", "sign-in sheets", "reconcile"] {
        assert!(step(&r, name)["seconds"].as_f64().unwrap() > 0.0);
    }
    // Every seated candidate of the samples has a card; every room its two documents.
    let demo_db = format!("sqlite://{}", out.join("kaowu.db").display());
    let seated = env
        .kaowu()
        .env("KAOWU_DATABASE_URL", &demo_db)
        .args(["applications", "list", "--status", "seated", "--json"])
        .output()
        .unwrap();
    let seated: Value = serde_json::from_slice(&seated.stdout).unwrap();
    let n = seated.as_array().unwrap().len();
    assert!(n > 20);
    assert_eq!(pdfs(&out.join("cards")).len(), n);
    assert!(pdfs(&out.join("rooms")).len() >= 2);
    assert!(out.join("reconcile/reconcile.xlsx").exists());
    assert!(out.join("report.xlsx").exists() && out.join("posted/名册.xlsx").exists());
    assert!(out.join("rosters/manifest.json").exists());
    // After the exam: attendance of every seat recorded, the cases and their documents.
    let report = env
        .kaowu()
        .env("KAOWU_DATABASE_URL", &demo_db)
        .args(["report", "--json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&report.stdout).unwrap();
    let total = &report["attendance"]["total"];
    assert_eq!(total["unrecorded"], 0, "{total}");
    assert!(total["absent"].as_u64().unwrap() > 0 && total["void"].as_u64().unwrap() > 0);
    let documents = pdfs(&out.join("violations"));
    assert_eq!(documents.len(), 9 + 2, "{documents:?}");
    assert!(out.join("violations/违纪违规人员登记表.xlsx").exists());
    // After the scores: who passed is listed, rated, and has a certificate on a sheet.
    let r = &report["results"]["total"];
    let passed = r["passed"].as_u64().unwrap();
    assert!(passed > 0 && passed < r["applied"].as_u64().unwrap(), "{r}");
    let listed = std::fs::read_dir(out.join("pass-list"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "xlsx")
        })
        .count();
    assert!(listed >= 1 && out.join("pass-list/posted").is_dir());
    assert!(!pdfs(&out.join("certificates")).is_empty());
    assert!(out.join("certificates/邮寄名单.xlsx").exists());

    // Again into the same folder: refused, the database as it was.
    let before = std::fs::read(out.join("kaowu.db")).unwrap();
    let err = env.fails(2, &["demo", "--out", s(&out)]);
    assert!(err.contains("already holds a database"), "{err}");
    assert_eq!(std::fs::read(out.join("kaowu.db")).unwrap(), before);
}

#[test]
fn the_demo_runs_on_generated_applications_with_their_payments() {
    let env = Env::sqlite();
    let out = env.path("gen");
    let r = env.json(&["demo", "--applications", "300", "--out", s(&out)]);
    assert_eq!(r["applications"], 300);
    step(&r, "generate 300 applications");
    step(&r, "a gateway export and bank statement");
    let cards = pdfs(&out.join("cards")).len();
    // Most of the generated applications are clean, approved and paid.
    assert!(cards > 150, "{cards} cards");
}

#[test]
fn completions_name_the_commands() {
    let env = Env::sqlite();
    for shell in ["bash", "zsh", "fish"] {
        let text = env.ok(&["completions", shell]);
        for word in ["demo", "cards", "sheets", "reconcile"] {
            assert!(text.contains(word), "{shell}: {word}");
        }
    }
}
