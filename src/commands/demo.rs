//! `kaowu demo`: the whole job of a session, from the input files to every output (cards,
//! sheets, rosters, report), on a
//! fresh SQLite file in the output folder. The samples are built into the binary (or N
//! applications are generated), so it runs from any folder. Each step is its own kaowu
//! process, as an operator's script would run it, so its time and peak memory are its own.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde::Serialize;

use super::measure::Runner;
use super::print_json;
use crate::cli::{DemoArgs, GlobalArgs};
use crate::io::atomic;

include!(concat!(env!("OUT_DIR"), "/sample_photos.rs"));

/// samples/, as the walk-through in the README uses them.
const SAMPLES: &[(&str, &[u8])] = &[
    ("plan.xlsx", include_bytes!("../../samples/plan.xlsx")),
    ("sites.csv", include_bytes!("../../samples/sites.csv")),
    ("fees.xlsx", include_bytes!("../../samples/fees.xlsx")),
    (
        "applications.csv",
        include_bytes!("../../samples/applications.csv"),
    ),
    ("payments.csv", include_bytes!("../../samples/payments.csv")),
    (
        "statement.xlsx",
        include_bytes!("../../samples/statement.xlsx"),
    ),
];

#[derive(Debug, Serialize)]
struct Step {
    step: String,
    command: String,
    seconds: f64,
    peak_mb: f64,
}

#[derive(Debug, Serialize)]
struct Report {
    out: String,
    database: String,
    applications: Option<usize>,
    steps: Vec<Step>,
    outputs: Vec<(String, String)>,
    seconds: f64,
}

/// Runs the demo's steps one by one, echoing each (unless `--json`) and keeping its time
/// and peak memory.
struct Steps<'a> {
    runner: Runner<'a>,
    json: bool,
    done: Vec<Step>,
}

impl Steps<'_> {
    /// Runs one step as its own kaowu process; returns what it printed.
    fn step(&mut self, what: &str, args: &[&str]) -> Result<String> {
        let command = command_line(args);
        if !self.json {
            eprintln!("== {what}: {command}");
        }
        let m = self.runner.measure(args)?;
        self.done.push(Step {
            step: what.to_string(),
            command,
            seconds: (m.seconds * 1000.0).round() / 1000.0,
            peak_mb: (m.peak_mb * 10.0).round() / 10.0,
        });
        if !self.json {
            for line in m.stdout.lines().take(12) {
                eprintln!("   {line}");
            }
        }
        Ok(m.stdout)
    }
}

pub fn run(g: &GlobalArgs, a: &DemoArgs) -> Result<()> {
    let started = Instant::now();
    let (out, db, input) = prepare(&a.out)?;

    let exe = std::env::current_exe().context("cannot find the kaowu executable")?;
    let mut steps = Steps {
        runner: Runner {
            exe: exe.clone(),
            dir: &out,
            url: format!("sqlite://{}", db.display()),
            backend: "sqlite",
        },
        json: g.json,
        done: Vec::new(),
    };

    let generated = a.applications;
    match generated {
        None => write_samples(&input)?,
        Some(n) => {
            let dir = input.display().to_string();
            steps.step(
                &format!("generate {n} applications with photos"),
                &[
                    "samples",
                    "generate",
                    "--applications",
                    &n.to_string(),
                    "--out",
                    &dir,
                ],
            )?;
        }
    }
    set_up_and_review(&mut steps)?;
    payments(&mut steps, generated.is_some())?;
    seating_and_outputs(&mut steps)?;

    let report = Report {
        out: out.display().to_string(),
        database: db.display().to_string(),
        applications: generated,
        steps: steps.done,
        outputs: outputs(&out),
        seconds: (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
    };
    if g.json {
        return print_json(&report);
    }
    print_report(&report)
}

/// Makes the output folder and its input/photos/, refusing one that already holds a
/// database; returns the folder, the database file and the input folder.
fn prepare(out: &Path) -> Result<(PathBuf, PathBuf, PathBuf)> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let out = std::fs::canonicalize(out)?;
    let db = out.join("kaowu.db");
    if db.exists() {
        bail!(
            "{} already holds a database; the demo never touches one: choose another --out or remove it",
            db.display()
        );
    }
    let input = out.join("input");
    std::fs::create_dir_all(input.join("photos"))?;
    Ok((out, db, input))
}

/// The session, its plan, sites, fees and applications, and the review that approves the
/// clean ones and rejects those with errors.
fn set_up_and_review(steps: &mut Steps) -> Result<()> {
    steps.step(
        "session 2026H2 (云南)",
        &[
            "session",
            "create",
            "2026H2",
            "--name",
            "2026年下半年",
            "--province",
            "云南",
            "--registration-opens",
            "2026-08-20 09:00",
            "--registration-closes",
            "2026-08-30 17:00",
            "--payment-opens",
            "2026-08-20 09:00",
            "--payment-closes",
            "2026-09-05 23:59",
        ],
    )?;
    steps.step(
        "exam plan (考试计划)",
        &["import", "plan", "input/plan.xlsx"],
    )?;
    steps.step(
        "sites and rooms (考点考场)",
        &["import", "sites", "input/sites.csv"],
    )?;
    steps.step("fees (收费标准)", &["import", "fees", "input/fees.xlsx"])?;
    steps.step(
        "applications (报名信息) with photos",
        &[
            "import",
            "applications",
            "input/applications.csv",
            "--photos",
            "input/photos",
        ],
    )?;
    steps.step("rule checks", &["review", "check"])?;
    steps.step(
        "approve the clean ones",
        &["review", "approve", "--clean", "--yes"],
    )?;
    steps.step(
        "reject the ones with errors",
        &["review", "reject", "--errors", "--yes"],
    )?;
    Ok(())
}

/// Payments: a gateway export and bank statement when the applications were generated,
/// the import, reconciliation, the 掉单 marked paid, and the unpaid expired.
fn payments(steps: &mut Steps, generated: bool) -> Result<()> {
    if generated {
        steps.step(
            "a gateway export and bank statement for the approved",
            &["samples", "payments", "--out", "input"],
        )?;
    }
    steps.step(
        "payments (缴费) from the gateway",
        &["import", "payments", "input/payments.csv"],
    )?;
    let recon = [
        "payments",
        "reconcile",
        "--gateway",
        "input/payments.csv",
        "--statement",
        "input/statement.xlsx",
        "--out",
        "reconcile",
    ];
    steps.step("reconcile with the bank statement", &recon)?;
    steps.step(
        "mark the 掉单 paid",
        &[
            "payments",
            "mark-paid",
            "--statement",
            "input/statement.xlsx",
            "--gateway",
            "input/payments.csv",
            "--yes",
        ],
    )?;
    steps.step("reconcile again", &recon)?;
    steps.step("expire the unpaid", &["payments", "expire", "--yes"])?;
    Ok(())
}

/// Seating and its check, then every output: cards, sheets, rosters, the exam day and after,
/// the report, status.
fn seating_and_outputs(steps: &mut Steps) -> Result<()> {
    steps.step(
        "seating (编排)",
        &["seat", "assign", "--seed", "20261107", "--yes"],
    )?;
    steps.step("verify the seating", &["seat", "verify"])?;
    steps.step("admit cards (准考证)", &["cards", "--out", "cards"])?;
    steps.step(
        "sign-in sheets and door stickers",
        &["sheets", "--out", "rooms"],
    )?;
    steps.step(
        "rosters (名册) per exam area",
        &["export", "roster", "--by", "exam-area", "--out", "rosters"],
    )?;
    steps.step(
        "lists to post per room (masked)",
        &[
            "export",
            "roster",
            "--by",
            "room",
            "--public",
            "--one-file",
            "--out",
            "posted",
        ],
    )?;
    exam_staff(steps)?;
    after_the_exam(steps)?;
    after_the_scores(steps)?;
    steps.step(
        "report (统计) with charts",
        &["report", "--out", "report.xlsx"],
    )?;
    steps.step("status", &["status"])?;
    Ok(())
}

/// The exam staff: a list with a third more people than the posts need (an office keeps
/// reserves: with a list just big enough, nobody is free to cover a decline), imported; the
/// posts filled, checked, one person's decline covered; the 监考安排表, badges and pay sheet.
fn exam_staff(steps: &mut Steps) -> Result<()> {
    steps.step(
        "a staff list (考务人员) with reserves",
        &["samples", "staff", "--out", "input", "--shape", "ample"],
    )?;
    steps.step(
        "exam staff (考务人员)",
        &["import", "staff", "input/考务人员.csv"],
    )?;
    steps.step("the posts each site needs", &["staff", "need"])?;
    steps.step(
        "fill the posts (监考编排)",
        &["staff", "assign", "--seed", "20261101", "--yes"],
    )?;
    steps.step(
        "one declines: cover their posts",
        &["staff", "replace", "0001", "--yes"],
    )?;
    steps.step("verify the staff posts", &["staff", "verify"])?;
    steps.step(
        "监考安排表, 工作证 and 劳务费发放表",
        &[
            "staff",
            "documents",
            "--out",
            "staff",
            "--photos",
            "input/staff-photos",
        ],
    )?;
    Ok(())
}

/// What the sites send back: attendance, room logs and violations; one case taken through
/// notice, decision and service; the cases' documents and the register.
fn after_the_exam(steps: &mut Steps) -> Result<()> {
    steps.step(
        "what the sites send back after the exam",
        &["samples", "exam-day", "--out", "returns"],
    )?;
    steps.step(
        "attendance (考勤): the absent lists",
        &["attendance", "import", "returns/缺考名单.csv"],
    )?;
    steps.step(
        "attendance: the keyed sign-in sheets",
        &["attendance", "import", "returns/签到表录入.xlsx"],
    )?;
    steps.step(
        "room logs (考场记录)",
        &["roomlog", "import", "returns/考场记录.xlsx"],
    )?;
    steps.step(
        "violations (违纪违规)",
        &["violations", "import", "returns/违纪.xlsx"],
    )?;
    for (to, on) in [
        ("告知", "2026-11-12"),
        ("决定", "2026-11-20"),
        ("送达", "2026-11-21"),
    ] {
        steps.step(
            &format!("case 2026H2-0004: {to}"),
            &[
                "violations",
                "step",
                "2026H2-0004",
                "--to",
                to,
                "--on",
                on,
                "--yes",
            ],
        )?;
    }
    steps.step(
        "the cases' documents",
        &["violations", "documents", "--out", "violations"],
    )?;
    steps.step(
        "the register sent upward",
        &[
            "violations",
            "register",
            "--out",
            "violations/违纪违规人员登记表.xlsx",
        ],
    )?;
    Ok(())
}

/// What the national centre sends back and what the office does with it: scores, pass
/// decisions and lists, rechecks, certificates.
fn after_the_scores(steps: &mut Steps) -> Result<()> {
    steps.step(
        "the recheck window (复核)",
        &[
            "session",
            "set",
            "--recheck-opens",
            "2027-01-05",
            "--recheck-closes",
            "2027-01-14",
        ],
    )?;
    steps.step(
        "what the national centre sends: scores and recheck requests",
        &["samples", "scores", "--out", "centre"],
    )?;
    steps.step("scores (成绩)", &["import", "scores", "centre/成绩.csv"])?;
    steps.step("pass decisions (合格判定)", &["scores", "judge", "--yes"])?;
    steps.step(
        "recheck requests (复核申请)",
        &["recheck", "import", "centre/复核申请.csv"],
    )?;
    steps.step(
        "the requests for the centre",
        &["recheck", "export", "--out", "centre/复核申请汇总.xlsx"],
    )?;
    steps.step(
        "the centre's answers",
        &["samples", "recheck-answers", "--out", "centre"],
    )?;
    steps.step(
        "recheck answers (复核结果)",
        &["recheck", "results", "centre/复核结果.csv"],
    )?;
    steps.step(
        "pass lists (合格名单) per exam area",
        &["export", "pass-list", "--out", "pass-list"],
    )?;
    steps.step(
        "pass lists to post (masked)",
        &[
            "export",
            "pass-list",
            "--public",
            "--out",
            "pass-list/posted",
        ],
    )?;
    steps.step(
        "the certificate list",
        &["samples", "certificates", "--out", "centre"],
    )?;
    steps.step(
        "certificates (证书)",
        &[
            "certificates",
            "import",
            "centre/证书.csv",
            "--received",
            "2027-03-01",
        ],
    )?;
    steps.step(
        "hand-out sheets (发放签收表) and the mail list",
        &[
            "certificates",
            "sheets",
            "--out",
            "certificates",
            "--from",
            "2027-03-02",
            "--days",
            "3",
        ],
    )?;
    steps.step(
        "certificates held",
        &["certificates", "held", "--on", "2027-03-01"],
    )?;
    Ok(())
}

/// What the demo leaves in `out`, each path with what it is.
fn outputs(out: &Path) -> Vec<(String, String)> {
    [
        (
            "kaowu.db",
            "the database (SQLite): kaowu --database-url <it> ...",
        ),
        ("input/", "the input files"),
        ("reconcile/reconcile.xlsx", "payment reconciliation (对账)"),
        (
            "cards/",
            "admit cards, one PDF per candidate, per exam area and site",
        ),
        (
            "rooms/",
            "sign-in sheets (签到表) and door stickers (门贴) per room",
        ),
        (
            "rosters/",
            "rosters per exam area (XLSX), with manifest.json",
        ),
        (
            "posted/名册.xlsx",
            "lists to post, a sheet per room, ID and phone masked",
        ),
        (
            "staff/",
            "the 监考安排表 per site (PDF, XLSX), each person's list, 工作证 (PDF), 劳务费发放表",
        ),
        (
            "returns/",
            "what the sites sent back: absent lists, keyed sign-in sheets, room logs, violations",
        ),
        (
            "violations/",
            "each violation case's 记录单, 告知书 and 决定书 (PDF), and the register (XLSX)",
        ),
        (
            "centre/",
            "what the national centre sent: scores, recheck answers, the certificate list",
        ),
        (
            "pass-list/",
            "the pass list (合格名单) per exam area; posted/ the lists to post, ID masked",
        ),
        (
            "certificates/",
            "the certificate hand-out sheets (发放签收表, PDF and XLSX) per exam area, the mail list",
        ),
        (
            "report.xlsx",
            "the session's figures with charts, exam day and pass rates included",
        ),
    ]
    .iter()
    .map(|(p, what)| (out.join(p).display().to_string(), what.to_string()))
    .collect()
}

/// Prints each step's time and peak memory, then where everything is.
fn print_report(report: &Report) -> Result<()> {
    let mut t = super::table(&["step", "seconds", "peak MB"]);
    for s in &report.steps {
        t.add_row(vec![
            s.step.clone(),
            format!("{:.2}", s.seconds),
            format!("{:.1}", s.peak_mb),
        ]);
    }
    outln!("{t}")?;
    outln!(
        "the whole session in {:.1} s; everything is in {}:",
        report.seconds,
        report.out
    )?;
    for (p, what) in &report.outputs {
        outln!("  {p}  {what}")?;
    }
    Ok(())
}

/// A step as a shell takes it, quoted where a word needs it
/// (`--registration-opens '2026-08-20 09:00'`), so that it can be pasted.
fn command_line(args: &[&str]) -> String {
    let quoted =
        shlex::try_join(args.iter().copied()).expect("the demo's arguments hold no NUL character");
    format!("kaowu {quoted}")
}

/// Writes the built-in samples into `dir` (and its photos/).
fn write_samples(dir: &Path) -> Result<()> {
    for (name, bytes) in SAMPLES {
        atomic::write(&dir.join(name), bytes)?;
    }
    let photos: PathBuf = dir.join("photos");
    for (name, bytes) in SAMPLE_PHOTOS {
        atomic::write(&photos.join(name), bytes)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_quoted_to_paste_into_a_shell() {
        let line = command_line(&[
            "session",
            "create",
            "--registration-opens",
            "2026-08-20 09:00",
        ]);
        assert_eq!(
            line,
            "kaowu session create --registration-opens '2026-08-20 09:00'"
        );
        let words = shlex::split(&line).unwrap();
        assert_eq!(words[4], "2026-08-20 09:00");
        assert_eq!(
            shlex::split(&command_line(&["--name", "2026年下半年"])).unwrap()[2],
            "2026年下半年"
        );
    }
}
