//! What the command line does with its output: a reader that stops early (`| head`) ends a
//! command quietly with exit 0, on every kind of output.

use std::process::Stdio;

use crate::common::{Env, s, sample};

/// Runs kaowu with standard output a pipe that nobody reads any more, as after `| head -1`
/// has read its line: every write fails with EPIPE. Returns the exit code and stderr.
fn into_closed_pipe(env: &Env, args: &[&str]) -> (Option<i32>, String) {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("kaowu"))
        .current_dir(env.dir.path())
        .env("KAOWU_DATABASE_URL", &env.url)
        .env("KAOWU_OPERATOR", "tester")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_pipe_is_a_normal_end_on_every_output() {
    let env = Env::sqlite();
    env.reviewed();
    let report = env.path("report.xlsx");
    for args in [
        &["applications", "list"][..],
        &["applications", "list", "--json"],
        &["applications", "list", "--csv"],
        &["applications", "show", "20260000001"],
        &["review", "approve", "--all", "--dry-run"],
        &["review", "log"],
        &["report"],
        &["report", "--out", "-"],
        &["status"],
        &["plan", "list"],
        &["completions", "bash"],
        &["review", "export", "--status", "rejected", "--out", "-"],
    ] {
        let (code, stderr) = into_closed_pipe(&env, args);
        assert_eq!(code, Some(0), "kaowu {}: {stderr}", args.join(" "));
        assert!(
            !stderr.contains("error") && !stderr.contains("panicked"),
            "kaowu {}: {stderr}",
            args.join(" ")
        );
    }
    assert!(!report.exists());

    // As a user types it; with pipefail the status is kaowu's own.
    let out = std::process::Command::new("bash")
        .current_dir(env.dir.path())
        .env("KAOWU_DATABASE_URL", &env.url)
        .args([
            "-o",
            "pipefail",
            "-c",
            &format!(
                "{} applications list --csv | head -1",
                s(&assert_cmd::cargo::cargo_bin("kaowu"))
            ),
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim_start_matches('\u{feff}'),
        "报名序号,姓名,证件号码,性别,考区,报考级别,报考资格,报考科目,手机号码,状态,提交时间,问题\n"
    );
}

#[test]
fn a_file_is_named_as_given_and_dash_is_standard_input() {
    let env = Env::sqlite();
    env.ok(&["session", "create", "2026H2", "--province", "云南"]);
    // Imports read standard input for `-`, in any of their formats.
    let plan = std::fs::read(sample("plan.xlsx")).unwrap();
    let out = env
        .kaowu()
        .args(["import", "plan", "-", "--json"])
        .write_stdin(plan)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (r["file"].as_str(), r["added"].as_u64()),
        (Some("<stdin>"), Some(32))
    );
    let sites = std::fs::read(sample("sites.csv")).unwrap();
    let out = env
        .kaowu()
        .args(["import", "sites", "-"])
        .write_stdin(sites)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("GBK"), "{text}");

    // A bad file is named as it was given: its folder too, or <stdin>.
    std::fs::create_dir(env.path("in")).unwrap();
    env.write(
        "in/sites.csv",
        "考区,考点代码,考点名称,考点地址,考场号,座位数\n丽江,009,丽江一中,丽江市,1,三十\n",
    );
    let err = env.fails(1, &["import", "sites", "in/sites.csv"]);
    assert!(
        err.contains("in/sites.csv:2: 座位数: expected a whole number"),
        "{err}"
    );
    let out = env
        .kaowu()
        .args(["import", "sites", "-"])
        .write_stdin(std::fs::read(env.path("in/sites.csv")).unwrap())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("<stdin>:2: 座位数: expected a whole number"),
        "{err}"
    );
}

#[test]
fn a_workbook_goes_to_standard_output_for_dash() {
    let env = Env::sqlite();
    env.reviewed();
    let out = env.kaowu().args(["report", "--out", "-"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stdout.starts_with(b"PK\x03\x04"),
        "a workbook, and nothing else"
    );
    let path = env.path("piped.xlsx");
    std::fs::write(&path, &out.stdout).unwrap();
    use calamine::Reader;
    let wb = calamine::open_workbook_auto(&path).unwrap();
    assert_eq!(wb.sheet_names()[0], "汇总");

    let out = env
        .kaowu()
        .args(["review", "export", "--status", "rejected", "--out", "-"])
        .output()
        .unwrap();
    assert!(out.status.success() && out.stdout.starts_with(b"PK\x03\x04"));
    let err = env.fails(2, &["report", "--out", "-", "--json"]);
    assert!(
        err.contains("--out - writes the file on standard output"),
        "{err}"
    );
}

/// How many columns a line takes on a terminal (CJK characters two).
fn columns(line: &str) -> usize {
    line.chars()
        .map(|c| {
            if (c as u32) >= 0x1100 && !('\u{2500}'..='\u{257F}').contains(&c) {
                2
            } else {
                1
            }
        })
        .sum()
}

#[test]
fn tables_fit_the_terminal() {
    let env = Env::sqlite();
    env.reviewed();
    let wide = |args: &[&str], width: Option<&str>| -> String {
        let mut c = env.kaowu();
        match width {
            Some(w) => c.env("COLUMNS", w),
            None => c.env_remove("COLUMNS"),
        };
        let out = c.args(args).output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    // Into a pipe, a table keeps its natural width: status is a line per session.
    let natural = wide(&["status"], None);
    assert!(natural.lines().any(|l| columns(l) > 100), "{natural}");
    for args in [
        &["status"][..],
        &["applications", "list"],
        &["review", "flags"],
        &["plan", "list"],
        &["sites", "list"],
        &["report"],
    ] {
        let text = wide(args, Some("80"));
        for line in text
            .lines()
            .filter(|l| l.starts_with(['┌', '│', '└', '╞', '-']))
        {
            assert!(
                columns(line) <= 80,
                "kaowu {}: {line}\n{text}",
                args.join(" ")
            );
        }
        // Nothing is cut inside a number: every ID number and date is whole.
        if args[0] == "applications" {
            assert!(text.contains("530702197906235073"), "{text}");
        }
    }
    // Too wide even with its columns wrapped, status shows its session as a record.
    let status = wide(&["status"], Some("80"));
    assert!(status.contains("\nusable seats    1384\n"), "{status}");
}
