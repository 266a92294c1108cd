//! One way to change data (issue 23): every command that changes data shows its preview,
//! honours `--dry-run`, `--json` and `--yes`, and refuses to change without a terminal or
//! `--yes`, the same way. Each command of a session's life is run four ways here, so a
//! command that drifts from the others fails.

use std::process::Output;

use serde_json::Value;

use crate::common::{Env, backends, s, sample};
use crate::hostile::state;
use crate::scores::{col, csv_rows};

/// A dry run's wording, as the change itself would say it: a preview line the real run
/// would print is the dry run's line with these replaced.
fn as_done(line: &str) -> String {
    line.replace("would change (dry run)", "will change")
        .replace("would be marked (dry run)", "will be marked")
        .replace("would revert (dry run)", "will revert")
        .replace(" (dry run)", "")
}

fn run(env: &Env, args: &[&str], extra: &[&str]) -> Output {
    env.kaowu().args(args).args(extra).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

/// Runs the change `args` four ways and returns the report of the one that changed:
/// - `--dry-run`: the preview on stdout, marked as a dry run; nothing written;
/// - `--dry-run --json`: stdout is the report alone (`dry_run` true, no batch), the preview
///   on stderr; nothing written;
/// - neither `--yes` nor a terminal: refused, saying to add `--yes`; nothing written;
/// - `--yes --json`: stdout is the report alone, with its batch, which the journal lists;
///   no preview anywhere.
fn protocol(env: &Env, args: &[&str]) -> Value {
    let what = format!("[{}] kaowu {}", env.backend, args.join(" "));
    let before = state(env);

    let dry = run(env, args, &["--dry-run"]);
    assert!(dry.status.success(), "{what} --dry-run: {dry:?}");
    let shown = text(&dry.stdout);
    assert!(shown.contains("(dry run)"), "{what} --dry-run:\n{shown}");
    assert_eq!(state(env), before, "{what} --dry-run wrote");

    let dry_json = run(env, args, &["--dry-run", "--json"]);
    assert!(
        dry_json.status.success(),
        "{what} --dry-run --json: {dry_json:?}"
    );
    let report: Value = serde_json::from_slice(&dry_json.stdout)
        .unwrap_or_else(|e| panic!("{what} --dry-run --json: stdout is not one JSON ({e})"));
    assert_eq!(report["dry_run"], true, "{what}: {report}");
    assert!(report["batch"].is_null(), "{what}: {report}");
    // Warnings go to stderr either way; the rest is the preview.
    let preview: String = text(&dry_json.stderr)
        .lines()
        .filter(|l| !l.starts_with("warning: "))
        .flat_map(|l| [l, "\n"])
        .collect();
    assert!(
        preview.contains("(dry run)"),
        "{what} --dry-run --json:\n{preview}"
    );
    for line in preview.lines() {
        assert!(
            shown.lines().any(|l| l == line),
            "{what}: under --json the preview goes to stderr, the same as without: {line}"
        );
    }
    assert_eq!(state(env), before, "{what} --dry-run --json wrote");

    let unasked = run(env, args, &[]);
    assert_eq!(
        unasked.status.code(),
        Some(2),
        "{what} without --yes: {unasked:?}"
    );
    let err = text(&unasked.stderr);
    assert!(err.contains("add --yes"), "{what} without --yes:\n{err}");
    assert_eq!(state(env), before, "{what} without --yes wrote");

    let done = run(env, args, &["--yes", "--json"]);
    assert!(done.status.success(), "{what} --yes --json: {done:?}");
    let report: Value = serde_json::from_slice(&done.stdout)
        .unwrap_or_else(|e| panic!("{what} --yes --json: stdout is not one JSON ({e})"));
    assert_eq!(report["dry_run"], false, "{what}: {report}");
    let batch = report["batch"]
        .as_i64()
        .unwrap_or_else(|| panic!("{what}: no batch in {report}"));
    let said = text(&done.stderr);
    for line in preview.lines().filter(|l| !l.trim().is_empty()) {
        assert!(
            !said.contains(&as_done(line)),
            "{what} --yes --json showed its preview:\n{said}"
        );
    }
    let log = env.json(&["review", "log"]);
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|b| b["id"].as_i64() == Some(batch)),
        "{what}: batch {batch} is not in the journal: {log}"
    );
    assert_ne!(state(env), before, "{what} --yes changed nothing");
    report
}

/// Nothing to change: said so, and under --json the report with nothing changed.
fn nothing(env: &Env, args: &[&str], says: &str) {
    let out = env.ok(&[args, &["--yes"]].concat());
    assert!(out.contains(says), "kaowu {}: {out}", args.join(" "));
    let report = env.json(&[args, &["--yes"]].concat());
    assert!(report["batch"].is_null(), "{report}");
}

fn numbers(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|a| a["registration_no"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_change_previews_asks_and_reports_the_same_way() {
    for env in backends() {
        env.with_samples();
        env.ok(&[
            "import",
            "applications",
            s(&sample("applications.csv")),
            "--photos",
            s(&sample("photos")),
        ]);
        env.ok(&["review", "check"]);

        // Review.
        protocol(&env, &["review", "approve", "--clean"]);
        // A decision sheet rejecting one of those left, then the rest with errors.
        let left = numbers(&env.json(&["applications", "list", "--status", "submitted"]));
        let sheet = env.write(
            "decisions.csv",
            &format!("报名序号,审核结果,原因\n{},不通过,照片不合格\n", left[0]),
        );
        protocol(&env, &["review", "apply", s(&sheet)]);
        protocol(&env, &["review", "reject", "--errors"]);
        nothing(&env, &["review", "approve", "--clean"], "nothing to change");

        // Corrections, each undone by its batch.
        let set = protocol(
            &env,
            &[
                "applications",
                "set",
                "20260000007",
                "姓名=孙瑞",
                "--reason",
                "考生来电更正",
            ],
        );
        protocol(&env, &["review", "undo", &set["batch"].to_string()]);
        let kunming = numbers(&env.json(&[
            "applications",
            "list",
            "--exam-area",
            "昆明",
            "--status",
            "approved",
        ]));
        let mover = kunming.iter().find(|n| *n != "20260000007").unwrap();
        let fix = env.write(
            "fix.csv",
            &format!("报名序号,考区,原因\n{mover},曲靖市,单位统一报名，考区填错\n"),
        );
        protocol(&env, &["applications", "fix", s(&fix)]);
        protocol(
            &env,
            &[
                "applications",
                "photo",
                "20260000007",
                s(&sample("photos/20260000011.jpg")),
                "--reason",
                "考生重新上传",
            ],
        );

        // Money.
        env.ok(&["import", "payments", s(&sample("payments.csv"))]);
        env.ok(&["session", "set", "--payment-closes", "2026-09-05 23:59"]);
        protocol(&env, &["payments", "expire"]);
        nothing(&env, &["payments", "expire"], "nothing to change");
        protocol(
            &env,
            &[
                "payments",
                "mark-paid",
                "20260000007",
                "--order",
                "GT0001",
                "--amount",
                "115",
                "--reason",
                "柜台缴费",
            ],
        );

        // Seats: assign, release one, seat the late payer again, withdraw a seated one.
        protocol(&env, &["seat", "assign", "--seed", "20261107"]);
        nothing(&env, &["seat", "add"], "nothing to seat");
        let seated = numbers(&env.json(&["applications", "list", "--status", "seated"]));
        protocol(
            &env,
            &["seat", "release", &seated[0], "--reason", "考点调整"],
        );
        let added = protocol(&env, &["seat", "add"]);
        assert_eq!(added["candidates"], 1, "{added}");
        protocol(
            &env,
            &[
                "applications",
                "withdraw",
                &seated[1],
                "--reason",
                "考生申请放弃",
            ],
        );
        env.ok(&["seat", "verify"]);

        // After the exam: a violation recorded and its case taken a step (issue 24).
        let shown = env.json(&["applications", "show", &seated[2]]);
        let card = shown["admit_card"].as_str().unwrap();
        let subjects = shown["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f[0] == "报考科目")
            .unwrap()[1]
            .as_str()
            .unwrap()
            .to_string();
        let subject = subjects.split(',').next().unwrap();
        let at = format!("{} 09:40", shown["seats"][0]["exam_date"].as_str().unwrap());
        let recorded = protocol(
            &env,
            &[
                "violations",
                "add",
                "--card-no",
                card,
                "--subject",
                subject,
                "--clause",
                "6.1",
                "--found-by",
                "现场",
                "--at",
                &at,
                "--facts",
                "携带手机进入座位，经提醒仍未交出",
            ],
        );
        let case = recorded["cases"][0]["case_no"].as_str().unwrap();
        protocol(
            &env,
            &[
                "violations",
                "step",
                case,
                "--to",
                "告知",
                "--on",
                "2026-11-12",
            ],
        );

        // After the scores (issue 25): the decisions, a recheck request, a certificate
        // handed out.
        env.ok(&[
            "session",
            "set",
            "--recheck-opens",
            "2027-01-05",
            "--recheck-closes",
            "2027-01-14",
        ]);
        let centre = env.path("centre");
        env.ok(&["samples", "scores", "--out", s(&centre)]);
        env.ok(&["import", "scores", s(&centre.join("成绩.csv"))]);
        let judged = protocol(&env, &["scores", "judge"]);
        assert!(judged["passed"].as_u64().unwrap() > 0, "{judged}");
        nothing(&env, &["scores", "judge"], "every decision stands");
        let rows = csv_rows(&centre.join("成绩.csv"));
        let (card, pm, essay) = (
            col(&rows[0], "ZKZH"),
            col(&rows[0], "XWCJ"),
            col(&rows[0], "LWCJ"),
        );
        let scored = rows[1..]
            .iter()
            .find(|r| r[pm].parse::<f64>().is_ok())
            .unwrap();
        let subject = if scored[essay] == "-" {
            "应用技术"
        } else {
            "案例分析"
        };
        protocol(
            &env,
            &[
                "recheck",
                "add",
                "--card-no",
                &scored[card],
                "--subject",
                subject,
                "--on",
                "2027-01-06",
            ],
        );
        env.ok(&["samples", "certificates", "--out", s(&centre)]);
        env.ok(&["certificates", "import", s(&centre.join("证书.csv"))]);
        let certs = csv_rows(&centre.join("证书.csv"));
        let no = &certs[1][col(&certs[0], "证书编号")];
        protocol(
            &env,
            &[
                "certificates",
                "issue",
                no,
                "--to",
                "self",
                "--on",
                "2027-03-02",
            ],
        );
    }
}
