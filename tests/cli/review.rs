//! `kaowu import applications` and `kaowu review ...`: the planted problems of the sample
//! applications flagged, bulk decisions, decision sheets, the journal and undo, on every
//! backend; refused files and interrupted runs leave nothing behind.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::common::{Env, backends, block_on, execute, fetch_pair, s, sample};

/// Imports the sample plan, sites, fees and applications.
fn with_applications(env: &Env) -> Value {
    env.with_samples();
    env.json(&[
        "import",
        "applications",
        s(&sample("applications.csv")),
        "--photos",
        s(&sample("photos")),
    ])
}

/// samples/applications.csv: the 40 applications `synth::applications(40, 2026, 0.0)`
/// makes (the tests read their planted problems from it), and 5 clean 高级 candidates added
/// for exam day, one in each exam area that had none (20260000041 to 45).
const SAMPLE: u64 = 45;

/// The flags `review check` must give the sample applications: each planted problem on its
/// application, and id_duplicate also on the application whose number was copied.
fn expected_flags() -> BTreeMap<String, BTreeSet<&'static str>> {
    let apps = kaowu::synth::applications(40, 2026, 0.0);
    let mut out: BTreeMap<String, BTreeSet<&'static str>> = BTreeMap::new();
    for g in &apps {
        if let Some(p) = g.plant {
            out.entry(g.registration_no.clone())
                .or_default()
                .insert(p.flag());
            if p == kaowu::synth::Plant::DuplicateId {
                let first = apps.iter().find(|o| o.id_number == g.id_number).unwrap();
                out.entry(first.registration_no.clone())
                    .or_default()
                    .insert("id_duplicate");
            }
        }
    }
    out
}

fn status_counts(env: &Env) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for st in ["submitted", "approved", "rejected"] {
        let path = env.path(&format!("{st}.xlsx"));
        let r = env.json(&["review", "export", "--status", st, "--out", s(&path)]);
        out.insert(st.to_string(), r["applications"].as_u64().unwrap());
    }
    out
}

#[test]
fn the_sample_applications_import_and_every_planted_problem_is_flagged() {
    for env in backends() {
        let r = with_applications(&env);
        assert_eq!(r["encoding"], "GBK/GB18030");
        assert_eq!(
            (r["added"].as_u64(), r["photos_missing"].as_u64()),
            (Some(SAMPLE), Some(1)),
            "{r}"
        );
        let again = env.json(&[
            "import",
            "applications",
            s(&sample("applications.csv")),
            "--photos",
            s(&sample("photos")),
        ]);
        assert_eq!(
            (
                again["added"].as_u64(),
                again["unchanged"].as_u64(),
                again["batch"].is_null()
            ),
            (Some(0), Some(SAMPLE), true)
        );

        let check = env.json(&["review", "check"]);
        assert_eq!(check["applications"], SAMPLE);
        // Every planted problem, and nothing else, on exactly the planted applications.
        let expected = expected_flags();
        let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let sheet = env.path("all.xlsx");
        env.ok(&[
            "review",
            "export",
            "--status",
            "submitted",
            "--out",
            s(&sheet),
        ]);
        for row in read_sheet(&sheet) {
            let problems = &row["问题"];
            for line in problems.lines() {
                // 【错误】证件号码 ...：校验位应为 3，实为 4（id_check_digit）
                assert!(
                    line.starts_with("【错误】") || line.starts_with("【提示】"),
                    "{line}"
                );
                let code = line
                    .trim_end_matches('）')
                    .rsplit('（')
                    .next()
                    .unwrap()
                    .to_string();
                // For staff: Chinese. ASCII only in the code, in names of formats and in the
                // values quoted (file names and email addresses, which have a dot).
                let text = line.replace(&format!("（{code}）"), "");
                let english = text
                    .split_whitespace()
                    .filter(|t| !t.contains(['.', '@']))
                    .flat_map(|t| t.split(|c: char| !c.is_ascii_alphabetic()))
                    .find(|w| w.len() >= 3 && !["JPEG", "BMP", "PNG"].contains(w));
                assert_eq!(english, None, "{line}");
                found
                    .entry(row["报名序号"].clone())
                    .or_default()
                    .insert(code);
            }
        }
        let expected: BTreeMap<String, BTreeSet<String>> = expected
            .into_iter()
            .map(|(k, v)| (k, v.into_iter().map(String::from).collect()))
            .collect();
        assert_eq!(found, expected, "[{}]", env.backend);
        let flags = env.json(&["review", "flags"]);
        assert_eq!(flags["changed_since_check"], 0);
        assert_eq!(flags["flags"].as_array().unwrap().len(), 12);
    }
}

/// Reads the first sheet of a workbook into maps from header to text, with calamine.
pub fn read_sheet(path: &std::path::Path) -> Vec<BTreeMap<String, String>> {
    use calamine::{Reader, open_workbook_auto};
    let mut wb = open_workbook_auto(path).unwrap();
    let name = wb.sheet_names()[0].clone();
    let range = wb.worksheet_range(&name).unwrap();
    let mut rows = range.rows();
    let header: Vec<String> = rows
        .next()
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    rows.map(|r| {
        header
            .iter()
            .cloned()
            .zip(r.iter().map(ToString::to_string))
            .collect()
    })
    .collect()
}

#[test]
fn approve_the_clean_reject_the_flagged_then_undo() {
    for env in backends() {
        with_applications(&env);
        env.ok(&["review", "check"]);
        let errors = expected_flags()
            .values()
            .filter(|f| {
                f.iter()
                    .any(|c| !matches!(*c, "photo_background" | "email_invalid"))
            })
            .count() as u64;

        let dry = env.json(&["review", "approve", "--clean", "--dry-run"]);
        assert_eq!(dry["to_change"].as_u64(), Some(SAMPLE - errors));
        assert_eq!(
            status_counts(&env)["submitted"],
            SAMPLE,
            "a dry run changes nothing"
        );
        // Without a terminal and without --yes nothing is changed.
        let err = env.fails(2, &["review", "approve", "--clean"]);
        assert!(err.contains("add --yes"), "{err}");

        let approved = env.json(&["review", "approve", "--clean", "--yes"]);
        assert_eq!(approved["changed"].as_u64(), Some(SAMPLE - errors));
        let rejected = env.json(&["review", "reject", "--errors", "--yes"]);
        assert_eq!(rejected["changed"].as_u64(), Some(errors));
        let counts = status_counts(&env);
        assert_eq!(
            (counts["submitted"], counts["approved"], counts["rejected"]),
            (0, SAMPLE - errors, errors)
        );

        // Each rejected candidate reads what to fix: the messages of their own flags.
        let rejected_sheet = env.path("rejected.xlsx");
        env.ok(&[
            "review",
            "export",
            "--status",
            "rejected",
            "--out",
            s(&rejected_sheet),
        ]);
        let planted = kaowu::synth::applications(40, 2026, 0.0);
        let digit = planted
            .iter()
            .find(|g| g.plant == Some(kaowu::synth::Plant::CheckDigit))
            .unwrap();
        let log = env.json(&["review", "log", "--application", &digit.registration_no]);
        let last = log.as_array().unwrap().last().unwrap();
        assert_eq!(
            (last["old_value"].as_str(), last["new_value"].as_str()),
            (Some("submitted"), Some("rejected"))
        );
        assert!(
            last["reason"]
                .as_str()
                .unwrap()
                .contains("check digit should be"),
            "{last}"
        );

        // Approving again is skipped with a reason; undo reverts the approval batch whole.
        let again = env.json(&["review", "approve", "--all", "--yes"]);
        assert_eq!(again["changed"], 0);
        let batch = approved["batch"].as_i64().unwrap().to_string();
        let undone = env.json(&["review", "undo", &batch, "--yes"]);
        assert_eq!(undone["reverted"].as_u64(), Some(SAMPLE - errors));
        assert_eq!(status_counts(&env)["submitted"], SAMPLE - errors);
        let err = env.fails(1, &["review", "undo", &batch, "--yes"]);
        assert!(err.contains("already undone by batch"), "{err}");
        let log = env.json(&["review", "log"]);
        let kinds: Vec<&str> = log
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["import", "approve", "reject", "undo"]);
    }
}

/// `reject --errors` gives each application its own reason (the messages of its own error
/// flags): all of them move in one batch, each journalled and shown with its own reason,
/// and undo gives every one of them back to review without it.
/// The applications of the sample that a filter names, split into those `review approve`
/// moves (no error flag) and those it skips for their error flags.
fn clean_and_flagged(keep: impl Fn(&kaowu::synth::Generated) -> bool) -> (u64, u64) {
    let flags = expected_flags();
    let (mut clean, mut flagged) = (0, 0);
    for g in kaowu::synth::applications(40, 2026, 0.0)
        .iter()
        .filter(|g| keep(g))
    {
        let errors = flags.get(&g.registration_no).is_some_and(|f| {
            f.iter()
                .any(|c| !matches!(*c, "photo_background" | "email_invalid"))
        });
        if errors {
            flagged += 1;
        } else {
            clean += 1;
        }
    }
    (clean, flagged)
}

#[test]
fn exam_area_qualification_level_and_force_select_what_they_name() {
    for env in backends() {
        with_applications(&env);
        env.ok(&["review", "check"]);
        let skipped = |r: &Value| -> BTreeMap<String, u64> {
            r["skipped"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| {
                    let reason = k["reason"].as_str().unwrap().to_string();
                    (reason, k["applications"].as_u64().unwrap())
                })
                .collect()
        };
        let errors_skip = "has error flags; --force approves anyway".to_string();

        // An exam area as the office writes it (昆明市) names the area 昆明.
        let (clean, flagged) = clean_and_flagged(|g| g.exam_area == "昆明");
        assert!(clean > 0 && flagged > 0, "the sample has both in 昆明");
        let r = env.json(&["review", "approve", "--exam-area", "昆明市", "--dry-run"]);
        assert_eq!(r["to_change"].as_u64(), Some(clean), "[{}]", env.backend);
        assert_eq!(r["by_exam_area"]["昆明"].as_u64(), Some(clean));
        assert_eq!(r["by_exam_area"].as_object().unwrap().len(), 1);
        assert_eq!(
            skipped(&r),
            BTreeMap::from([(errors_skip.clone(), flagged)])
        );

        // A qualification and a level together.
        let (clean, flagged) =
            clean_and_flagged(|g| g.qualification == "软件设计师" && g.level == "中级");
        let r = env.json(&[
            "review",
            "approve",
            "--qualification",
            "软件设计师",
            "--level",
            "中级",
            "--dry-run",
        ]);
        assert_eq!(r["to_change"].as_u64(), Some(clean), "[{}]", env.backend);
        assert_eq!(skipped(&r).get(&errors_skip).copied().unwrap_or(0), flagged);
        let none = env.json(&[
            "review",
            "approve",
            "--qualification",
            "软件设计师",
            "--level",
            "高级",
            "--dry-run",
        ]);
        assert_eq!(none["to_change"].as_u64(), Some(0), "软件设计师 is 中级");

        // --force approves past error flags, and the journal names them in code order.
        let flags = expected_flags();
        let named: Vec<&String> = flags
            .iter()
            .filter(|(_, f)| f.contains("mobile_invalid"))
            .map(|(no, _)| no)
            .collect();
        assert!(!named.is_empty());
        let r = env.json(&[
            "review",
            "approve",
            "--flag",
            "mobile_invalid",
            "--force",
            "--yes",
        ]);
        assert_eq!(r["changed"].as_u64(), Some(named.len() as u64));
        assert_eq!(r["forced"].as_u64(), Some(named.len() as u64));
        let batch = r["batch"].as_i64().unwrap().to_string();
        let log = env.json(&["review", "log", "--batch", &batch]);
        for c in log["changes"].as_array().unwrap() {
            let no = c["registration_no"].as_str().unwrap().to_string();
            let codes: Vec<&str> = flags[&no]
                .iter()
                .copied()
                .filter(|c| !matches!(*c, "photo_background" | "email_invalid"))
                .collect();
            assert_eq!(
                c["reason"].as_str(),
                Some(format!("approved with --force despite {}", codes.join(", ")).as_str()),
                "[{}] {no}",
                env.backend
            );
        }
        // Approved once, they are skipped as such the second time.
        let again = env.json(&[
            "review",
            "approve",
            "--flag",
            "mobile_invalid",
            "--force",
            "--dry-run",
        ]);
        assert_eq!(again["to_change"].as_u64(), Some(0));
        assert_eq!(
            skipped(&again),
            BTreeMap::from([("already approved".to_string(), named.len() as u64)])
        );
    }
}

#[test]
fn each_rejection_keeps_its_own_reasons_and_undo_restores_them() {
    for env in backends() {
        with_applications(&env);
        env.ok(&["review", "check"]);
        let rejected = env.json(&["review", "reject", "--errors", "--yes"]);
        let batch = rejected["batch"].as_i64().unwrap().to_string();
        let log = env.json(&["review", "log", "--batch", &batch]);
        let changes = log["changes"].as_array().unwrap();
        assert_eq!(changes.len() as u64, rejected["changed"].as_u64().unwrap());
        let mut reasons = BTreeSet::new();
        for c in changes {
            let no = c["registration_no"].as_str().unwrap();
            let shown = env.json(&["applications", "show", no]);
            let own: Vec<&str> = shown["flags"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["severity"] == "error")
                .map(|f| f["message"].as_str().unwrap())
                .collect();
            let reason = c["reason"].as_str().unwrap();
            assert_eq!(reason, own.join("；"), "[{}] {no}", env.backend);
            assert_eq!(
                (shown["status"].as_str(), shown["status_reason"].as_str()),
                (Some("rejected"), Some(reason)),
                "[{}] {no}",
                env.backend
            );
            reasons.insert(reason.to_string());
        }
        assert!(reasons.len() > 5, "[{}] {reasons:?}", env.backend);

        let undone = env.json(&["review", "undo", &batch, "--yes"]);
        assert_eq!(undone["reverted"], rejected["changed"]);
        for c in changes {
            let no = c["registration_no"].as_str().unwrap();
            let shown = env.json(&["applications", "show", no]);
            assert_eq!(
                (shown["status"].as_str(), shown["status_reason"].as_str()),
                (Some("submitted"), Some("")),
                "[{}] {no}",
                env.backend
            );
            let history = env.json(&["review", "log", "--application", no]);
            let last = history.as_array().unwrap().last().unwrap();
            assert_eq!(
                (last["old_value"].as_str(), last["new_value"].as_str()),
                (Some("rejected"), Some("submitted"))
            );
            assert_eq!(last["reason"], format!("undo of batch {batch}"));
        }
        // Rejected again, each gets its own reason back.
        let again = env.json(&["review", "reject", "--errors", "--yes"]);
        assert_eq!(again["changed"], rejected["changed"]);
        let log = env.json(&[
            "review",
            "log",
            "--batch",
            again["batch"].as_i64().unwrap().to_string().as_str(),
        ]);
        let again_reasons: BTreeSet<String> = log["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["reason"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(again_reasons, reasons);
    }
}

#[test]
fn a_decision_sheet_goes_out_and_comes_back() {
    for env in backends() {
        with_applications(&env);
        env.ok(&["review", "check"]);
        let sheet = env.path("sheet.xlsx");
        let r = env.json(&["review", "export", "--out", s(&sheet)]);
        assert_eq!(r["applications"], SAMPLE);
        // The dropdown is in the file as Excel and WPS read it.
        let xml = sheet_xml(&sheet);
        let dv = xml
            .find("<dataValidations")
            .map_or("no dataValidations element", |i| &xml[i..]);
        assert!(
            dv.contains(r#"<dataValidation type="list""#)
                && dv.contains(r#"<formula1>"通过,不通过"</formula1>"#),
            "{dv}"
        );
        assert!(
            dv.contains(r#"sqref="P2:P46""#),
            "the dropdown covers every row of 审核结果: {dv}"
        );
        let rows = read_sheet(&sheet);
        assert_eq!(
            rows[0]
                .keys()
                .filter(|k| *k == "审核结果" || *k == "原因")
                .count(),
            2
        );

        // A reviewer fills it in: approve the first five, reject two, one without a reason.
        let decided = |with_reason: bool| {
            let mut wb = rust_xlsxwriter::Workbook::new();
            let ws = wb.add_worksheet();
            for (c, h) in ["报名序号", "姓名", "审核结果", "原因"].iter().enumerate() {
                ws.write(0, c as u16, *h).unwrap();
            }
            for (i, row) in rows.iter().take(7).enumerate() {
                let r = i as u32 + 1;
                ws.write(r, 0, row["报名序号"].as_str()).unwrap();
                ws.write(r, 1, row["姓名"].as_str()).unwrap();
                ws.write(r, 2, if i < 5 { "通过" } else { "不通过" })
                    .unwrap();
                if i == 5 || with_reason {
                    ws.write(r, 3, if i < 5 { "" } else { "照片模糊" }).unwrap();
                }
            }
            let p = env.path("filled.xlsx");
            wb.save(&p).unwrap();
            p
        };
        let err = env.fails(1, &["review", "apply", s(&decided(false)), "--yes"]);
        assert!(
            err.contains("filled.xlsx[Sheet1]!D8: 原因: 不通过 needs a 原因"),
            "{err}"
        );
        let out = env.json(&["review", "apply", s(&decided(true)), "--yes", "--force"]);
        assert_eq!(out["changed"], 7, "{out}");
        let counts = status_counts(&env);
        assert_eq!((counts["approved"], counts["rejected"]), (5, 2));
        let batch = out["batch"].as_i64().unwrap();
        let log = env.json(&["review", "log", "--batch", &batch.to_string()]);
        assert_eq!(log["batch"]["kind"], "apply");
        assert_eq!(log["changes"].as_array().unwrap().len(), 7);
    }
}

fn sheet_xml(path: &std::path::Path) -> String {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut s = String::new();
    z.by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_string(&mut s)
        .unwrap();
    s
}

#[test]
fn a_fixed_rejected_application_comes_back_for_review() {
    for env in backends() {
        with_applications(&env);
        env.ok(&["review", "check"]);
        let planted = kaowu::synth::applications(40, 2026, 0.0);
        let bad = planted
            .iter()
            .find(|g| g.plant == Some(kaowu::synth::Plant::Mobile))
            .unwrap();
        env.ok(&["review", "reject", "--flag", "mobile_invalid", "--yes"]);
        // The candidate fixes the mobile number; the portal exports again.
        let text = std::fs::read(sample("applications.csv")).unwrap();
        let (text, _, _) = encoding_rs::GB18030.decode(&text);
        let fixed = text.replace(&format!(",{},", bad.mobile), ",13912345678,");
        assert_ne!(fixed, text);
        let f = env.write_gbk("applications.csv", &fixed);
        let r = env.json(&[
            "import",
            "applications",
            s(&f),
            "--photos",
            s(&sample("photos")),
        ]);
        assert_eq!(
            (
                r["changed"].as_u64(),
                r["resubmitted"].as_u64(),
                r["unchanged"].as_u64()
            ),
            (Some(1), Some(1), Some(SAMPLE - 1)),
            "{r}"
        );
        let history = env.json(&["review", "log", "--application", &bad.registration_no]);
        let entries: Vec<(String, String, String)> = history
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h["field"].as_str().unwrap().to_string(),
                    h["old_value"].as_str().unwrap_or("").to_string(),
                    h["new_value"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(
            entries,
            [
                ("status".to_string(), String::new(), "submitted".to_string()),
                ("status".into(), "submitted".into(), "rejected".into()),
                ("手机号码".into(), bad.mobile.clone(), "13912345678".into()),
                ("status".into(), "rejected".into(), "submitted".into()),
            ]
        );
        // Its flags are out of date until the next check, so approving waits for it.
        let dry = env.json(&[
            "review",
            "approve",
            "--ids",
            s(&env.write("ids.csv", &format!("报名序号\n{}\n", bad.registration_no))),
            "--dry-run",
        ]);
        assert_eq!(dry["to_change"], 0);
        assert!(
            dry["skipped"][0]["reason"]
                .as_str()
                .unwrap()
                .contains("changed since the last check")
        );
        env.ok(&["review", "check"]);
        let ok = env.json(&[
            "review",
            "approve",
            "--ids",
            s(&env.path("ids.csv")),
            "--yes",
        ]);
        assert_eq!(ok["changed"], 1);
    }
}

#[test]
fn a_bad_applications_file_is_refused_whole() {
    let env = Env::sqlite();
    env.with_samples();
    std::fs::create_dir(env.path("photos")).unwrap();
    std::fs::write(env.path("secret.jpg"), b"x").unwrap();
    let f = env.write(
        "applications.csv",
        "报名序号,姓名,证件类型,证件号码,出生日期,报考资格,报考科目,考区,照片\n\
         A1,张三,居民身份证,530102199003070011,1990-03-07,软件设计师,\"基础知识, 应用技术\",丽江,a.jpg\n\
         A2,李四,居民身份证,530102199003070011,1990-13-07,软件设计师,基础知识,丽江,b.jpg\n\
         A1,王五,居民身份证,530102199003070011,,架构师,基础知识,丽江,c.jpg\n\
         A4,赵六,居民身份证,530102199003070011,,软件设计师,论文,北京,d.jpg\n\
         A5,,居民身份证,,,软件设计师,基础知识,丽江,../secret.jpg\n",
    );
    let err = env.fails(1, &["import", "applications", s(&f)]);
    for expected in [
        "applications.csv:3: 出生日期: expected a date",
        "applications.csv:4: 报名序号: A1 is already in row 2; a registration number appears once",
        "applications.csv:4: 报考资格: 架构师 is not in the session's plan",
        "applications.csv:5: 报考科目: 论文 is not offered for 软件设计师; the plan has 基础知识, 应用技术",
        "applications.csv:5: 考区: 北京 is not an exam area (考区) of the session",
        "applications.csv:6: 姓名: a value is required here",
        "applications.csv:6: 证件号码: a value is required here",
        "applications.csv:6: 照片: ../secret.jpg leaves the photo folder",
    ] {
        assert!(err.contains(expected), "missing «{expected}» in:\n{err}");
    }
    let log = env.json(&["review", "log"]);
    assert_eq!(
        log.as_array().unwrap().len(),
        0,
        "nothing written, not even a batch"
    );
}

#[test]
fn a_killed_import_leaves_the_database_as_it_was() {
    let env = Env::sqlite();
    env.with_samples();
    let generated = env.path("gen");
    env.ok(&[
        "samples",
        "generate",
        "--applications",
        "4000",
        "--out",
        s(&generated),
        "--applications-only",
    ]);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("kaowu"))
        .current_dir(env.dir.path())
        .env("KAOWU_DATABASE_URL", &env.url)
        .args([
            "import",
            "applications",
            s(&generated.join("applications.csv")),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(150));
    let _ = child.kill(); // SIGKILL: no cleanup runs
    let _ = child.wait();
    // Either nothing or everything: never a part.
    let sheet = env.path("x.xlsx");
    let r = env.json(&[
        "review",
        "export",
        "--all",
        "--status",
        "submitted",
        "--out",
        s(&sheet),
    ]);
    let n = r["applications"].as_u64().unwrap();
    assert!(n == 0 || n == 4000, "a killed import left {n} applications");
    let again = env.json(&[
        "import",
        "applications",
        s(&generated.join("applications.csv")),
    ]);
    assert_eq!(
        again["added"].as_u64().unwrap() + again["unchanged"].as_u64().unwrap(),
        4000
    );
}

#[test]
fn an_update_happens_only_from_the_state_the_preview_saw() {
    for env in backends() {
        with_applications(&env);
        env.ok(&["review", "check"]);
        // Another operator's change lands between this preview and its change: the library's
        // conditional update, driven directly, must leave the changed application alone.
        block_on(async {
            let db = kaowu::db::Db::connect(&env.url).await.unwrap();
            let mut tx = db.begin().await.unwrap();
            let session = tx.sessions().await.unwrap().remove(0);
            let rows = tx.selection_rows(session.id).await.unwrap();
            drop(tx);
            let seen: Vec<(i64, i64)> = rows.iter().take(3).map(|r| (r.id, r.version)).collect();
            // The other operator rejects the first one.
            let mut tx = db.begin_write().await.unwrap();
            let b = tx
                .create_batch(
                    session.id,
                    "reject",
                    "other",
                    "test",
                    chrono::Local::now().naive_local(),
                    None,
                )
                .await
                .unwrap();
            tx.transition(
                b,
                &seen[..1],
                "submitted",
                "rejected",
                "other operator",
                "x",
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            // This operator approves what its preview saw.
            let mut tx = db.begin_write().await.unwrap();
            let b = tx
                .create_batch(
                    session.id,
                    "approve",
                    "me",
                    "test",
                    chrono::Local::now().naive_local(),
                    None,
                )
                .await
                .unwrap();
            // Each with its own reason, as a rejection by flags or a decision sheet has.
            let reasons: Vec<String> = seen.iter().map(|(id, _)| format!("reason {id}")).collect();
            let each: Vec<(i64, i64, &str)> = seen
                .iter()
                .zip(&reasons)
                .map(|(&(id, v), r)| (id, v, r.as_str()))
                .collect();
            let (moved, missed) = tx
                .transition_each(b, &each, "submitted", "approved", false)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            assert_eq!((moved, missed), (2, vec![seen[0].0]), "[{}]", env.backend);
            // The journal has exactly the two that moved.
            let mut tx = db.begin().await.unwrap();
            let journal = tx.journal_of_batch(b).await.unwrap();
            let ids: std::collections::BTreeSet<(i64, String)> = journal
                .iter()
                .map(|j| (j.application_id, j.reason.clone()))
                .collect();
            assert_eq!(
                ids,
                [1, 2]
                    .map(|i| (seen[i].0, format!("reason {}", seen[i].0)))
                    .into_iter()
                    .collect(),
                "[{}]",
                env.backend
            );
            drop(tx);
            db.close().await;
        });
    }
}

/// The journal and the states point at applications and batches that exist, on both
/// backends: SQLite by its foreign keys, PostgreSQL by checks per statement and by refusing
/// to delete or renumber what the journal names (migration 0006), whether a statement
/// writes one row or thousands (migration 0008 plans the checks for each). Both check a
/// journalled application through its state row (migration 0009).
#[test]
fn the_journal_never_names_what_does_not_exist() {
    for env in backends() {
        with_applications(&env);
        block_on(async {
            let db = kaowu::db::Db::connect(&env.url).await.unwrap();
            let refused = |sql: &'static str| {
                let db = &db;
                async move {
                    let mut tx = db.begin_write().await.unwrap();
                    let r = execute(&mut tx, sql).await;
                    drop(tx);
                    r.is_err()
                }
            };
            let cases = [
                "INSERT INTO journal (batch_id, application_id, field) SELECT MIN(id), 999999999, 'status' FROM batches",
                "INSERT INTO journal (batch_id, application_id, field) SELECT 999999999, MIN(id), 'status' FROM applications",
                "UPDATE application_states SET last_batch = 999999999 WHERE application_id = (SELECT MIN(id) FROM applications)",
                "DELETE FROM batches WHERE id = (SELECT MIN(batch_id) FROM journal)",
                // One wrong row among every application's, as a bulk decision writes them
                // (PostgreSQL plans these checks for the rows at hand, migration 0008).
                "INSERT INTO journal (batch_id, application_id, field) SELECT (SELECT MIN(id) FROM batches), \
                 CASE WHEN id = (SELECT MAX(id) FROM applications) THEN 999999999 ELSE id END, 'status' FROM applications",
                "INSERT INTO journal (batch_id, application_id, field) SELECT CASE WHEN id = (SELECT MAX(id) FROM applications) \
                 THEN 999999999 ELSE (SELECT MIN(id) FROM batches) END, id, 'status' FROM applications",
                "UPDATE application_states SET last_batch = CASE WHEN application_id = (SELECT MAX(id) FROM applications) \
                 THEN 999999999 ELSE (SELECT MIN(id) FROM batches) END",
            ];
            for sql in cases {
                assert!(refused(sql).await, "[{}] {sql}", env.backend);
            }
            // The same statements with every row right go through.
            let fine = [
                "INSERT INTO journal (batch_id, application_id, field) SELECT (SELECT MIN(id) FROM batches), id, 'status' FROM applications",
                "UPDATE application_states SET last_batch = (SELECT MIN(id) FROM batches)",
            ];
            for sql in fine {
                assert!(!refused(sql).await, "[{}] {sql}", env.backend);
            }
            // An application named by the journal (every imported one is) stays.
            let mut tx = db.begin_write().await.unwrap();
            let deleted = match execute(
                &mut tx,
                "DELETE FROM application_states WHERE application_id = (SELECT MIN(id) FROM applications)",
            )
            .await
            {
                Ok(()) => {
                    execute(
                        &mut tx,
                        "DELETE FROM applications WHERE id = (SELECT MIN(id) FROM applications)",
                    )
                    .await
                }
                Err(e) => Err(e),
            };
            drop(tx);
            assert!(deleted.is_err(), "[{}]", env.backend);
            db.close().await;
        });
    }
}

/// The import and a decision made at once (`--yes`) write through `Db::begin_bulk`: on
/// SQLite a connection that does not check foreign keys row by row, while every other
/// keeps checking. What they check instead, before they commit, refuses a batch or a
/// qualification that does not exist.
#[test]
fn bulk_writes_check_their_references_before_they_commit() {
    for env in backends() {
        with_applications(&env);
        block_on(async {
            let db = kaowu::db::Db::connect(&env.url).await.unwrap();
            if env.backend == "sqlite" {
                // One at a time: two write transactions would wait for each other.
                for (kind, checked) in [("bulk", 0), ("write", 1), ("read", 1)] {
                    let mut tx = match kind {
                        "bulk" => db.begin_bulk().await.unwrap(),
                        "write" => db.begin_write().await.unwrap(),
                        _ => db.begin().await.unwrap(),
                    };
                    let kaowu::db::Tx::Sqlite(t) = &mut tx else {
                        unreachable!()
                    };
                    let on: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
                        .fetch_one(&mut **t)
                        .await
                        .unwrap();
                    assert_eq!(on, checked, "{kind}");
                }
            }
            let mut tx = db.begin_bulk().await.unwrap();
            let (batch, qualification) = fetch_pair(
                &mut tx,
                "SELECT (SELECT MAX(id) FROM batches), (SELECT MIN(id) FROM qualifications)",
            )
            .await;
            // Each qualification counts once, however many applications name it.
            tx.check_references(batch, &[qualification, qualification])
                .await
                .unwrap();
            let refused = [
                tx.check_references(999_999_999, &[]).await,
                tx.check_references(batch, &[qualification, 999_999_999])
                    .await,
            ];
            for r in refused {
                let e = r.unwrap_err().to_string();
                assert!(
                    e.starts_with("FOREIGN KEY constraint failed") && e.contains("999999999"),
                    "[{}] {e}",
                    env.backend
                );
            }
            drop(tx);
            db.close().await;
        });
    }
}

/// `kaowu bench --applications N` runs every step of the issue's figures as its own process
/// and reports each with its rows, time and peak memory, the approval as the median of
/// runs on copies of the checked database (removed after); the imports that read no photo
/// leave a database holding every application. With KAOWU_TEST_POSTGRES_URL, PostgreSQL's
/// steps run too, the approval's copies made from the checked database as a template.
#[test]
fn the_bench_measures_every_step_on_a_generated_session() {
    let env = Env::sqlite();
    let dir = env.path("bench");
    let mut args = vec![
        "bench".to_string(),
        "--applications".into(),
        "40".into(),
        "--approvals".into(),
        "3".into(),
        "--dir".into(),
        s(&dir).into(),
    ];
    let postgres = std::env::var("KAOWU_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.trim().is_empty());
    if let Some(url) = &postgres {
        args.extend(["--postgres".to_string(), url.clone()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = env.json(&args);
    let steps: Vec<(&str, &str)> = r
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["backend"].as_str().unwrap(), x["step"].as_str().unwrap()))
        .collect();
    let per_backend = [
        "import CSV, not reading photos (dry run)",
        "import CSV with photos",
        "review check (first: measures photos)",
        "review check (again)",
        "review approve --clean",
        "review export (approved)",
    ];
    let mut expected: Vec<(&str, &str)> = per_backend.iter().map(|s| ("sqlite", *s)).collect();
    if postgres.is_some() {
        expected.extend(per_backend.iter().map(|s| ("postgres", *s)));
    }
    expected.extend(
        [
            "import XLSX, not reading photos (dry run)",
            "import XLSX with photos",
            "import CSV, not reading photos",
            "import XLSX, not reading photos",
        ]
        .map(|s| ("sqlite", s)),
    );
    assert_eq!(steps, expected);
    for x in r.as_array().unwrap() {
        assert_eq!(x["rows"], 40, "{x}");
        assert!(x["seconds"].as_f64().unwrap() > 0.0, "{x}");
        assert!(x["peak_mb"].as_f64().unwrap() > 1.0, "{x}");
        if x["step"] == "review approve --clean" {
            // Three runs; the figure is their median.
            let mut runs: Vec<f64> = x["runs"]
                .as_array()
                .unwrap_or_else(|| panic!("{x}"))
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            runs.sort_by(f64::total_cmp);
            assert_eq!(runs.len(), 3, "{x}");
            assert_eq!(x["seconds"].as_f64(), Some(runs[1]), "{x}");
        } else {
            assert!(x.get("runs").is_none(), "{x}");
        }
    }
    // Every copy is gone; the approval on the bench's own database stands (the export
    // read it).
    let left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".approve."))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let approved = env.json(&[
        "review",
        "export",
        "--status",
        "approved",
        "--out",
        s(&env.path("approved.xlsx")),
        "--database-url",
        &format!("sqlite://{}", dir.join("bench-csv.db").display()),
    ]);
    assert!(approved["applications"].as_u64().unwrap() > 0, "{approved}");
    for db in ["bench-csv-no-photos.db", "bench-xlsx-no-photos.db"] {
        let out = env.path(&format!("{db}.xlsx"));
        let url = format!("sqlite://{}", dir.join(db).display());
        let x = env.json(&[
            "review",
            "export",
            "--all",
            "--status",
            "submitted",
            "--out",
            s(&out),
            "--database-url",
            &url,
        ]);
        assert_eq!(x["applications"], 40, "{db}: {x}");
    }
}

/// PostgreSQL plans the next command with figures that know what a check or a bulk
/// decision wrote. With the import's figures (nothing checked, everything submitted) an
/// approval of 190,000 planned for one application and ran for 284 s instead of 3 s;
/// autovacuum would have caught up a minute later, but a script does not wait.
#[test]
fn postgres_plans_on_what_checks_and_bulk_decisions_wrote() {
    for env in backends().into_iter().filter(|e| e.backend == "postgres") {
        env.with_samples();
        let generated = env.path("gen");
        env.ok(&[
            "samples",
            "generate",
            "--applications",
            "1200",
            "--out",
            s(&generated),
            "--applications-only",
        ]);
        env.ok(&[
            "import",
            "applications",
            s(&generated.join("applications.csv")),
        ]);
        let common = |column: &'static str| {
            let url = env.url.clone();
            block_on(async move {
                let db = kaowu::db::Db::connect(&url).await.unwrap();
                let mut tx = db.begin().await.unwrap();
                let kaowu::db::Tx::Postgres(t) = &mut tx else {
                    unreachable!()
                };
                let v: Option<String> = sqlx::query_scalar(
                    "SELECT most_common_vals::text FROM pg_stats WHERE schemaname = current_schema() \
                     AND tablename = 'application_states' AND attname = $1",
                )
                .bind(column)
                .fetch_optional(&mut **t)
                .await
                .unwrap();
                v.unwrap_or_default()
            })
        };
        // The import's own figures: every application unchecked and submitted.
        assert_eq!(
            (common("checked"), common("status")),
            ("{0}".into(), "{submitted}".into())
        );
        env.ok(&["review", "check"]);
        assert_eq!(common("checked"), "{1}");
        let r = env.json(&["review", "approve", "--clean", "--yes"]);
        assert!(r["changed"].as_u64().unwrap() >= 1000, "{r}");
        let status = common("status");
        assert!(status.starts_with("{approved"), "{status}");
    }
}

/// An SQLite database made before migration 0007 (which rebuilds application_states and
/// payments to respell their CHECKs) keeps every row of every table through the upgrade, and
/// the rebuilt tables still refuse a state or a payment result that does not exist.
#[test]
fn upgrading_to_0007_keeps_every_row_and_every_rule() {
    let env = Env::sqlite();
    env.reviewed();
    env.ok(&["import", "payments", s(&sample("payments.csv"))]);
    let (gateway, statement) = (sample("payments.csv"), sample("statement.xlsx"));
    env.ok(&[
        "payments",
        "mark-paid",
        "--statement",
        s(&statement),
        "--gateway",
        s(&gateway),
        "--yes",
    ]);
    let now = env.path("kaowu.db");
    let old = env.path("before-0007.db");
    block_on(async {
        use sqlx::{Connection, Row};
        // The schema as migrations 1 to 6 leave it, filled with the rows of `now`.
        let mut migrator = sqlx::migrate::Migrator::new(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/migrations/sqlite"
        )))
        .await
        .unwrap();
        migrator.migrations = migrator
            .migrations
            .iter()
            .filter(|m| m.version <= 6)
            .cloned()
            .collect::<Vec<_>>()
            .into();
        let opts = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&old)
            .create_if_missing(true);
        let mut c = sqlx::SqliteConnection::connect_with(&opts).await.unwrap();
        migrator.run(&mut c).await.unwrap();
        let ddl: String =
            sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE name = 'application_states'")
                .fetch_one(&mut c)
                .await
                .unwrap();
        assert!(ddl.contains("status IN ("), "{ddl}");
        sqlx::query("PRAGMA foreign_keys = OFF")
            .execute(&mut c)
            .await
            .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "ATTACH '{}' AS now",
            now.display()
        )))
        .execute(&mut c)
        .await
        .unwrap();
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM now.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND name <> '_sqlx_migrations'",
        )
        .fetch_all(&mut c)
        .await
        .unwrap();
        assert!(tables.iter().any(|t| t == "payments"), "{tables:?}");
        for t in &tables {
            // The columns the old table has: later migrations add some (0011: seatings'
            // method, seats' split_allowed) with defaults.
            let columns: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT name FROM pragma_table_info('{t}', 'main')"
            )))
            .fetch_all(&mut c)
            .await
            .unwrap();
            // A table of a later migration (0012: attendance, room logs, violations) is not
            // in the old database; this session has no rows in it.
            if columns.is_empty() {
                let rows: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT COUNT(*) FROM now.{t}"
                )))
                .fetch_one(&mut c)
                .await
                .unwrap();
                assert_eq!(rows, 0, "{t} is newer than 0006 and holds rows");
                continue;
            }
            let columns = columns.join(", ");
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO main.{t} ({columns}) SELECT {columns} FROM now.{t}"
            )))
            .execute(&mut c)
            .await
            .unwrap();
        }
        let payments: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM main.payments")
            .fetch_one(&mut c)
            .await
            .unwrap();
        assert!(payments > 0);
        sqlx::query("DETACH now").execute(&mut c).await.unwrap();
        c.close().await.unwrap();

        // kaowu brings it up to date on first use.
        let url = format!("sqlite://{}", old.display());
        let status = env
            .kaowu()
            .args(["status", "--json", "--database-url", &url])
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );

        let mut c = sqlx::SqliteConnection::connect_with(&opts).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "ATTACH '{}' AS now",
            now.display()
        )))
        .execute(&mut c)
        .await
        .unwrap();
        // A column added later holds its default in the upgraded database, whatever the
        // samples say (0014: rooms' computer, which a database of 0006 could not hold).
        sqlx::query("UPDATE now.rooms SET computer = 0")
            .execute(&mut c)
            .await
            .unwrap();
        for t in &tables {
            // Same rows both ways, column by column (the rebuilt tables keep the column order).
            for (a, b) in [("main", "now"), ("now", "main")] {
                let extra: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT COUNT(*) FROM (SELECT * FROM {a}.{t} EXCEPT SELECT * FROM {b}.{t})"
                )))
                .fetch_one(&mut c)
                .await
                .unwrap();
                assert_eq!(extra, 0, "{t}: rows of {a} missing from {b}");
            }
        }
        let ddl: String = sqlx::query_scalar(
            "SELECT sql FROM main.sqlite_master WHERE name = 'application_states'",
        )
        .fetch_one(&mut c)
        .await
        .unwrap();
        assert!(
            ddl.contains("status = 'withdrawn'") && !ddl.contains(" IN ("),
            "{ddl}"
        );
        let index: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM main.sqlite_master WHERE type = 'index' AND name = 'payments_application'",
        )
        .fetch_one(&mut c)
        .await
        .unwrap();
        assert_eq!(index, 1);
        sqlx::query("DETACH now").execute(&mut c).await.unwrap();
        let checks = sqlx::query("PRAGMA foreign_key_check")
            .fetch_all(&mut c)
            .await
            .unwrap();
        assert!(
            checks.is_empty(),
            "{} rows break a foreign key",
            checks.len()
        );
        sqlx::query("PRAGMA foreign_keys = ON")
            .execute(&mut c)
            .await
            .unwrap();
        for bad in [
            "UPDATE application_states SET status = 'approve' WHERE application_id = (SELECT MIN(application_id) FROM application_states)",
            "UPDATE payments SET result = 'paid' WHERE id = (SELECT MIN(id) FROM payments)",
            "UPDATE payments SET source = 'bank' WHERE id = (SELECT MIN(id) FROM payments)",
            "UPDATE application_states SET last_batch = 999999999 WHERE application_id = (SELECT MIN(application_id) FROM application_states)",
        ] {
            let e = sqlx::query(bad).execute(&mut c).await.expect_err(bad);
            assert!(
                e.to_string().contains("CHECK constraint failed")
                    || e.to_string().contains("FOREIGN KEY"),
                "{bad}: {e}"
            );
        }
        for good in ["withdrawn", "seated", "submitted"] {
            sqlx::query("UPDATE application_states SET status = $1 WHERE application_id = (SELECT MIN(application_id) FROM application_states)")
                .bind(good)
                .execute(&mut c)
                .await
                .unwrap();
        }
        let versions: Vec<i64> =
            sqlx::query("SELECT version FROM _sqlx_migrations ORDER BY version")
                .fetch_all(&mut c)
                .await
                .unwrap()
                .iter()
                .map(|r| r.get(0))
                .collect();
        let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
            .unwrap()
            .count();
        assert_eq!(versions, (1..=files as i64).collect::<Vec<i64>>());
        c.close().await.unwrap();
    });
}
