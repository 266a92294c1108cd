//! After the exam (issue 24): attendance per subject from what the sites send back, room
//! logs, violations and the exam-day figures of the report. The figures are recomputed here
//! from the returned files themselves (read with csv, encoding_rs and calamine, not kaowu),
//! on both databases; an impossible row refuses a file whole; undo puts the states back; a
//! violation's documents carry every field.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use calamine::{Data, Reader};
use serde_json::Value;

use crate::cards::{pages, seated};
use crate::common::{Env, backends, s, sample};

/// The rows of the first sheet of a workbook, from the row holding `first` on, as text;
/// dates as 2026-11-07.
pub fn sheet_rows(path: &Path, first: &str) -> Vec<Vec<String>> {
    let mut book = calamine::open_workbook_auto(path).unwrap();
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    Data::Float(f) if f.fract() == 0.0 => format!("{f:.0}"),
                    // A date cell (at midnight) as its date; others as calamine shows them.
                    Data::DateTime(d)
                        if d.as_datetime()
                            .is_some_and(|t| t.time() == chrono::NaiveTime::MIN) =>
                    {
                        d.as_datetime().unwrap().date().to_string()
                    }
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    let at = rows
        .iter()
        .position(|r| r.iter().any(|c| c == first))
        .unwrap_or_else(|| panic!("{} has no header with {first}", path.display()));
    rows[at..].to_vec()
}

/// A GBK CSV as rows of text, header first.
fn gbk_rows(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap();
    let (text, _, bad) = encoding_rs::GBK.decode(&bytes);
    assert!(!bad, "{} is not GBK", path.display());
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

fn column(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

/// The subjects written in each sitting, from the sample plan.
fn plan_subjects() -> BTreeMap<String, Vec<String>> {
    let rows = sheet_rows(&sample("plan.xlsx"), "场次");
    let (subject, sitting) = (column(&rows[0], "科目"), column(&rows[0], "场次"));
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in &rows[1..] {
        let list = out.entry(r[sitting].clone()).or_default();
        if !list.contains(&r[subject]) {
            list.push(r[subject].clone());
        }
    }
    out
}

/// (应考, 缺考) per (sitting, subject) as the returned files say: every seat of a room of
/// the absent list counted from its 应到, every row of a keyed sheet once; an absent row
/// without 科目 misses every subject of its sitting.
fn from_files(dir: &Path) -> BTreeMap<(String, String), (u64, u64)> {
    let subjects = plan_subjects();
    let mut out: BTreeMap<(String, String), (u64, u64)> = BTreeMap::new();
    let rows = gbk_rows(&dir.join("缺考名单.csv"));
    let h = &rows[0];
    let (sitting, card, subject, mark, expected) = (
        column(h, "场次"),
        column(h, "准考证号"),
        column(h, "科目"),
        column(h, "考勤"),
        column(h, "应到"),
    );
    for r in &rows[1..] {
        let of = &subjects[&r[sitting]];
        if r[card].is_empty() {
            let n: u64 = r[expected].parse().unwrap();
            for sub in of {
                out.entry((r[sitting].clone(), sub.clone())).or_default().0 += n;
            }
        } else if r[subject].is_empty() {
            assert_eq!(r[mark], "缺考", "{r:?}");
            for sub in of {
                out.entry((r[sitting].clone(), sub.clone())).or_default().1 += 1;
            }
        } else if r[mark] == "缺考" {
            out.entry((r[sitting].clone(), r[subject].clone()))
                .or_default()
                .1 += 1;
        }
    }
    let rows = sheet_rows(&dir.join("签到表录入.xlsx"), "准考证号");
    let h = &rows[0];
    let sitting = column(h, "场次");
    for r in &rows[1..] {
        for sub in &subjects[&r[sitting]] {
            let e = out.entry((r[sitting].clone(), sub.clone())).or_default();
            e.0 += 1;
            if r[column(h, sub)] == "缺考" {
                e.1 += 1;
            }
        }
    }
    out
}

/// The seated sample session with the sites' returns written into `returns/`.
fn returned(env: &Env) -> PathBuf {
    seated(env);
    let dir = env.path("returns");
    env.ok(&["samples", "exam-day", "--out", s(&dir)]);
    dir
}

fn import_all(env: &Env, dir: &Path) {
    env.ok(&["attendance", "import", s(&dir.join("缺考名单.csv"))]);
    env.ok(&["attendance", "import", s(&dir.join("签到表录入.xlsx"))]);
    env.ok(&["roomlog", "import", s(&dir.join("考场记录.xlsx"))]);
    env.ok(&["violations", "import", s(&dir.join("违纪.xlsx"))]);
}

#[test]
fn the_exam_day_figures_equal_what_the_returned_files_say() {
    let mut reports = Vec::new();
    for env in backends() {
        let dir = returned(&env);
        import_all(&env, &dir);
        let r = env.json(&["report", "--out", "report.xlsx"]);
        let a = &r["attendance"];
        assert_eq!(a["recorded"], true, "{a}");
        let want = from_files(&dir);
        let got: BTreeMap<(String, String), (u64, u64, u64)> = a["by_subject"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                (
                    (
                        g["sitting"].as_str().unwrap().to_string(),
                        g["subject"].as_str().unwrap().to_string(),
                    ),
                    (
                        g["expected"].as_u64().unwrap(),
                        g["absent"].as_u64().unwrap(),
                        g["sat"].as_u64().unwrap(),
                    ),
                )
            })
            .collect();
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            want.keys().collect::<Vec<_>>(),
            "[{}] the sittings and subjects",
            env.backend
        );
        for (k, (expected, absent)) in &want {
            assert_eq!(
                got[k],
                (*expected, *absent, expected - absent),
                "[{}] {k:?}: 应考, 缺考, 实考",
                env.backend
            );
        }
        let t = &a["total"];
        let sum = |f: &str| {
            got.values()
                .map(|v| match f {
                    "expected" => v.0,
                    "absent" => v.1,
                    _ => v.2,
                })
                .sum::<u64>()
        };
        assert_eq!(t["expected"].as_u64(), Some(sum("expected")));
        assert_eq!(t["absent"].as_u64(), Some(sum("absent")));
        assert_eq!(t["unrecorded"], 0, "{t}");
        let rate = t["participation_rate"].as_f64().unwrap();
        assert!((rate - sum("sat") as f64 / sum("expected") as f64).abs() < 1e-12);
        assert_eq!(a["rates"]["participation_rate"], "参考率 = 实考 / 应考");
        // Every case is on a different candidate who sat its subject: each has a void result.
        let cases = env.json(&["violations", "list"]);
        let n = cases.as_array().unwrap().len() as u64;
        assert_eq!(n, 9, "{cases}");
        assert_eq!(a["candidates"]["void"].as_u64(), Some(n), "{a}");
        // A §7 case voids every subject its candidate sat; a §6 case that subject alone.
        for clause in ["7.1", "6.1"] {
            let case = cases
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["clause"] == clause)
                .unwrap();
            let (no, _, _) = person(&env, case["card_no"].as_str().unwrap());
            let shown = env.json(&["applications", "show", &no]);
            for s in shown["attendance"].as_array().unwrap() {
                let voided =
                    s["state"] != "absent" && (clause == "7.1" || s["subject"] == case["subject"]);
                assert_eq!(
                    s["void_by"].as_str(),
                    voided.then(|| case["case_no"].as_str().unwrap()),
                    "[{}] {clause}: {shown}",
                    env.backend
                );
            }
            assert_eq!(shown["violations"][0]["case_no"], case["case_no"]);
        }
        // Groups add up to the total, whichever way they are cut.
        for by in [
            "by_exam_area",
            "by_site",
            "by_level",
            "by_qualification",
            "by_subject",
        ] {
            for f in ["expected", "sat", "absent", "void"] {
                let total: u64 = a[by]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|g| g[f].as_u64().unwrap())
                    .sum();
                assert_eq!(Some(total), t[f].as_u64(), "[{}] {by} {f}", env.backend);
            }
        }
        // The workbook's sheet by subject carries the same figures and the total.
        let mut book = calamine::open_workbook_auto(env.path("report.xlsx")).unwrap();
        let sheet = book.worksheet_range("考勤科目").unwrap();
        let last = sheet.rows().next_back().unwrap();
        assert_eq!(last[0].to_string(), "合计");
        assert_eq!(last[4].to_string(), sum("expected").to_string(), "{last:?}");
        reports.push(a.clone());
    }
    if let [sqlite, postgres] = reports.as_slice() {
        assert_eq!(
            sqlite, postgres,
            "the exam-day figures differ between the databases"
        );
    }
}

#[test]
fn an_attendance_file_with_an_impossible_row_is_refused_whole() {
    let env = Env::sqlite();
    let dir = returned(&env);
    let rows = gbk_rows(&dir.join("缺考名单.csv"));
    let h = rows[0].clone();
    let card = column(&h, "准考证号");
    let absent: Vec<&Vec<String>> = rows[1..].iter().filter(|r| !r[card].is_empty()).collect();
    let room_row = rows[1..].iter().find(|r| r[card].is_empty()).unwrap();
    let mut text = h.join(",") + "\n";
    // Good rows first: the file is refused whole, not cut at the first bad row.
    text += &absent[0].join(",");
    text += "\n";
    let mut unknown = absent[1].clone();
    unknown[card] = "99999999999999".into();
    text += &unknown.join(",");
    text += "\n";
    text += &absent[0].join(",");
    text += "\n";
    let mut wrong_room = absent[2].clone();
    let room = column(&h, "考场号");
    wrong_room[room] = "77".into();
    text += &wrong_room.join(",");
    text += "\n";
    let mut counts = room_row.clone();
    let e = column(&h, "应到");
    counts[e] = (counts[e].parse::<u32>().unwrap() + 1).to_string();
    text += &counts.join(",");
    text += "\n";
    let bad = env.write_gbk("bad.csv", &text);
    let before = env.json(&["report"])["attendance"].clone();
    let err = env.fails(1, &["attendance", "import", s(&bad)]);
    for (line, says) in [
        (
            "bad.csv:3: 准考证号",
            "no seated candidate has admit-card number 99999999999999",
        ),
        ("bad.csv:4: 准考证号", "marked twice: here and on row 2"),
        ("bad.csv:5: 考场号", "has no room 77"),
        ("bad.csv:6: 应到", "is not 实到"),
    ] {
        assert!(
            err.contains(line) && err.contains(says),
            "{line} {says}:\n{err}"
        );
    }
    assert!(err.contains("nothing was written"), "{err}");
    assert_eq!(env.json(&["report"])["attendance"], before);
    let log = env.json(&["review", "log"]);
    assert!(
        !log.as_array()
            .unwrap()
            .iter()
            .any(|b| b["kind"] == "attendance"),
        "{log}"
    );
}

/// Every (card, subject) state the report's figures rest on, per sitting and subject.
fn states(env: &Env) -> Value {
    env.json(&["report"])["attendance"]["by_subject"].clone()
}

#[test]
fn undo_of_an_attendance_import_restores_the_states_before_it() {
    for env in backends() {
        let dir = returned(&env);
        let list = dir.join("缺考名单.csv");
        let none = states(&env);
        let first = env.json(&["attendance", "import", s(&list)]);
        let after_first = states(&env);
        assert_ne!(after_first, none);
        // The corrected file: the first absentee came after all, and another is absent.
        let rows = gbk_rows(&list);
        let h = rows[0].clone();
        let card = column(&h, "准考证号");
        let subject = column(&h, "科目");
        let at = rows
            .iter()
            .position(|r| !r[card].is_empty() && r[subject].is_empty())
            .unwrap();
        let mut corrected = rows.clone();
        corrected.remove(at);
        // The room rows carry the counts; take them out, the rows alone decide.
        let (e, p, a) = (column(&h, "应到"), column(&h, "实到"), column(&h, "缺考"));
        for r in corrected.iter_mut().skip(1) {
            r[e].clear();
            r[p].clear();
            r[a].clear();
        }
        let text: String = corrected.iter().map(|r| r.join(",") + "\n").collect();
        let fixed = env.write_gbk("fixed.csv", &text);
        let second = env.json(&["attendance", "import", s(&fixed)]);
        assert!(second["changed"].as_u64().unwrap() >= 1, "{second}");
        assert_eq!(
            second["unchanged"].as_u64().unwrap()
                + second["changed"].as_u64().unwrap()
                + second["added"].as_u64().unwrap(),
            second["states"].as_u64().unwrap()
        );
        let after_second = states(&env);
        assert_ne!(after_second, after_first, "{}", rows[at].join(","));
        let b1 = first["batch"].as_i64().unwrap().to_string();
        let b2 = second["batch"].as_i64().unwrap().to_string();
        // The first import's states were changed since: the later one is undone first.
        let err = env.fails(1, &["review", "undo", &b1, "--yes"]);
        assert!(
            err.contains("were changed since by a later import"),
            "{err}"
        );
        assert_eq!(
            states(&env),
            after_second,
            "[{}] a refused undo wrote",
            env.backend
        );
        env.ok(&["review", "undo", &b2, "--yes"]);
        assert_eq!(
            states(&env),
            after_first,
            "[{}] undo of the correction",
            env.backend
        );
        env.ok(&["review", "undo", &b1, "--yes"]);
        assert_eq!(
            states(&env),
            none,
            "[{}] undo of the first import",
            env.backend
        );
        // Imported again, the same file adds everything again.
        let again = env.json(&["attendance", "import", s(&list)]);
        assert_eq!(again["added"], first["added"], "{again}");
    }
}

#[test]
fn room_logs_must_agree_with_the_seating_and_the_attendance() {
    let env = Env::sqlite();
    let dir = returned(&env);
    env.ok(&["attendance", "import", s(&dir.join("缺考名单.csv"))]);
    env.ok(&["attendance", "import", s(&dir.join("签到表录入.xlsx"))]);
    let rows = sheet_rows(&dir.join("考场记录.xlsx"), "应到");
    let h = rows[0].clone();
    let (p, a) = (column(&h, "实到"), column(&h, "缺考"));
    // One room says one more came and one fewer stayed away: 应到 still adds up.
    let mut text = h.join(",") + "\n";
    for (i, r) in rows[1..].iter().enumerate() {
        let mut r = r.clone();
        if i == 0 {
            if r[a] == "0" {
                r[p] = (r[p].parse::<i64>().unwrap() - 1).to_string();
                r[a] = "1".into();
            } else {
                r[p] = (r[p].parse::<i64>().unwrap() + 1).to_string();
                r[a] = (r[a].parse::<i64>().unwrap() - 1).to_string();
            }
        }
        text += &(r.join(",") + "\n");
    }
    let bad = env.write("logs.csv", &text);
    let err = env.fails(1, &["roomlog", "import", s(&bad)]);
    assert!(
        err.contains("logs.csv:2: 实到") && err.contains("the attendance recorded"),
        "{err}"
    );
    let good = env.json(&["roomlog", "import", s(&dir.join("考场记录.xlsx"))]);
    assert_eq!(
        good["added"].as_u64(),
        Some(rows.len() as u64 - 1),
        "{good}"
    );
    let again = env.json(&["roomlog", "import", s(&dir.join("考场记录.xlsx"))]);
    assert_eq!(again["unchanged"], good["added"], "{again}");
    // A corrected log names what it changes.
    let chief = column(&h, "主考");
    let mut text = h.join(",") + "\n";
    for (i, r) in rows[1..].iter().enumerate() {
        let mut r = r.clone();
        if i == 0 {
            r[chief] = "和丽娟".into();
        }
        text += &(r.join(",") + "\n");
    }
    let fixed = env.write("fixed.csv", &text);
    let r = env.json(&["roomlog", "import", s(&fixed)]);
    assert_eq!(r["changed"], 1, "{r}");
    let fields = &r["changes"]["changed"][0]["fields"];
    assert_eq!(fields.as_array().unwrap().len(), 1, "{r}");
    assert!(fields[0].as_str().unwrap().ends_with("-> 和丽娟"), "{r}");
}

#[test]
fn a_violation_case_moves_by_its_legal_steps_and_its_documents_carry_every_field() {
    let mut outputs: Vec<BTreeMap<String, Vec<u8>>> = Vec::new();
    for env in backends() {
        let dir = returned(&env);
        env.ok(&["violations", "import", s(&dir.join("违纪.xlsx"))]);
        let cases = env.json(&["violations", "list"]);
        let list = cases.as_array().unwrap();
        let clauses: Vec<&str> = list.iter().map(|c| c["clause"].as_str().unwrap()).collect();
        for family in ["6.", "7.", "8.", "9", "11"] {
            assert!(clauses.iter().any(|c| c.starts_with(family)), "{clauses:?}");
        }
        let whole: Vec<&Value> = list.iter().filter(|c| c["whole_session"] == true).collect();
        assert!(
            whole
                .iter()
                .all(|c| c["clause"].as_str().unwrap().starts_with(['7', '8']))
        );
        // A 7.x case, the one whose candidate refused to sign, through every step.
        let case = list.iter().find(|c| c["clause"] == "7.2").unwrap();
        let no = case["case_no"].as_str().unwrap();
        let err = env.fails(
            1,
            &[
                "violations",
                "step",
                no,
                "--to",
                "决定",
                "--on",
                "2026-11-20",
                "--yes",
            ],
        );
        assert!(err.contains("the next step is 告知"), "{err}");
        env.ok(&[
            "violations",
            "step",
            no,
            "--to",
            "告知",
            "--on",
            "2026-11-12",
            "--yes",
        ]);
        let err = env.fails(
            1,
            &[
                "violations",
                "step",
                no,
                "--to",
                "决定",
                "--on",
                "2026-11-11",
                "--yes",
            ],
        );
        assert!(err.contains("before the case's previous step"), "{err}");
        env.ok(&[
            "violations",
            "step",
            no,
            "--to",
            "申辩",
            "--on",
            "2026-11-14",
            "--statement",
            "耳机为助听设备",
            "--yes",
        ]);
        env.ok(&[
            "violations",
            "step",
            no,
            "--to",
            "决定",
            "--on",
            "2026-11-20",
            "--yes",
        ]);
        env.ok(&[
            "violations",
            "step",
            no,
            "--to",
            "送达",
            "--on",
            "2026-11-21",
            "--yes",
        ]);
        let err = env.fails(
            1,
            &[
                "violations",
                "step",
                no,
                "--to",
                "告知",
                "--on",
                "2026-11-22",
                "--yes",
            ],
        );
        assert!(err.contains("never taken back"), "{err}");
        let log = env.json(&["review", "log"]);
        let steps = log
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b["kind"] == "violation-step")
            .count();
        assert_eq!(steps, 4, "{log}");

        let out = env.path("viol");
        let docs = env.json(&["violations", "documents", "--out", s(&out)]);
        assert_eq!(docs["cases"].as_u64(), Some(list.len() as u64));
        // A record per case, and the notice and decision of the case taken that far.
        assert_eq!(
            docs["files"].as_array().unwrap().len(),
            list.len() + 2,
            "{docs}"
        );
        let text = |kind: &str| -> String {
            pages(&out.join(format!("{no}_{kind}.pdf")))
                .concat()
                .replace(['|', ' ', '\n'], "")
        };
        let card = case["card_no"].as_str().unwrap();
        let (_, name, id) = person(&env, card);
        let (name, id) = (name.as_str(), id.as_str());
        let record = text("记录单");
        let rows = sheet_rows(&dir.join("违纪.xlsx"), "准考证号");
        let h = &rows[0];
        let row = rows
            .iter()
            .find(|r| r[column(h, "准考证号")] == card)
            .unwrap();
        let witnesses = row[column(h, "见证人")].replace('、', "");
        for field in [
            name,
            id,
            card,
            case["subject"].as_str().unwrap(),
            "第七条第（二）项",
            "记入专业技术人员资格考试诚信档案库",
            &row[column(h, "违纪违规事实")].replace(' ', ""),
            "拒绝签字",
            &witnesses[..3],
            "违纪_05_照片.jpg",
        ] {
            assert!(
                record.contains(field),
                "[{}] the record lacks {field}:\n{record}",
                env.backend
            );
        }
        let decision = text("决定书");
        for field in [
            name,
            id,
            card,
            "第七条第（二）项",
            "耳机为助听设备",
            "行政复议",
            "2026年11月20日",
            "2026年11月12日",
        ] {
            assert!(
                decision.contains(field),
                "[{}] the decision lacks {field}:\n{decision}",
                env.backend
            );
        }
        assert!(text("告知书").contains("陈述"));

        let register = env.path("register.xlsx");
        env.ok(&["violations", "register", "--out", s(&register)]);
        let rows = sheet_rows(&register, "案件编号");
        assert_eq!(rows.len() - 1, list.len());
        let h = &rows[0];
        let r = rows
            .iter()
            .find(|r| r[column(h, "案件编号")] == no)
            .unwrap();
        assert_eq!(r[column(h, "环节")], "送达");
        assert_eq!(r[column(h, "诚信档案")], "记录5年");
        assert_eq!(r[column(h, "送达日期")], "2026-11-21");

        // With a fixed document date, every file is the same bytes on either database.
        let fixed = env.path("fixed");
        let run = |args: &[&str]| {
            let out = env
                .kaowu()
                .env("SOURCE_DATE_EPOCH", "1794355200")
                .args(args)
                .output()
                .unwrap();
            assert!(out.status.success(), "{out:?}");
        };
        run(&["violations", "documents", "--out", s(&fixed)]);
        run(&[
            "violations",
            "register",
            "--out",
            s(&fixed.join("register.xlsx")),
        ]);
        outputs.push(
            std::fs::read_dir(&fixed)
                .unwrap()
                .map(|e| e.unwrap().path())
                .map(|p| {
                    let name = p.file_name().unwrap().to_string_lossy().into_owned();
                    (name, std::fs::read(&p).unwrap())
                })
                .collect(),
        );
    }
    if let [sqlite, postgres] = outputs.as_slice() {
        assert_eq!(
            sqlite.keys().collect::<Vec<_>>(),
            postgres.keys().collect::<Vec<_>>()
        );
        for (name, bytes) in sqlite {
            assert!(
                &postgres[name] == bytes,
                "{name} differs between the databases"
            );
        }
    }
}

/// The registration number, name and ID number of the holder of an admit card, from the
/// office's roster.
fn person(env: &Env, card: &str) -> (String, String, String) {
    let dir = env.path("roster");
    env.ok(&[
        "export",
        "roster",
        "--by",
        "exam-area",
        "--one-file",
        "--out",
        s(&dir),
    ]);
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "xlsx"))
        .unwrap();
    let mut book = calamine::open_workbook_auto(&file).unwrap();
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).unwrap();
        let rows: Vec<Vec<String>> = range
            .rows()
            .map(|r| r.iter().map(ToString::to_string).collect())
            .collect();
        let Some(at) = rows.iter().position(|r| r.iter().any(|c| c == "准考证号")) else {
            continue;
        };
        let h = &rows[at];
        if let Some(r) = rows[at..].iter().find(|r| r[column(h, "准考证号")] == card) {
            return (
                r[column(h, "报名序号")].clone(),
                r[column(h, "姓名")].clone(),
                r[column(h, "证件号码")].clone(),
            );
        }
    }
    panic!("no card {card} in the roster")
}

/// Cases that cannot be recorded say why, and record nothing.
#[test]
fn a_violation_that_cannot_be_is_refused() {
    let env = Env::sqlite();
    let dir = returned(&env);
    let rows = sheet_rows(&dir.join("违纪.xlsx"), "准考证号");
    let card = rows[1][column(&rows[0], "准考证号")].clone();
    let subject = rows[1][column(&rows[0], "科目")].clone();
    let at = rows[1][column(&rows[0], "发生时间")].clone();
    let base = |clause: &str| {
        vec![
            "violations".to_string(),
            "add".into(),
            "--card-no".into(),
            card.clone(),
            "--subject".into(),
            subject.clone(),
            "--clause".into(),
            clause.into(),
            "--found-by".into(),
            "现场".into(),
            "--at".into(),
            at.clone(),
            "--facts".into(),
            "夹带纸条".into(),
            "--yes".into(),
        ]
    };
    let run = |args: &[String], says: &str| {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let err = env.fails(1, &a);
        assert!(err.contains(says), "{says}:\n{err}");
    };
    run(&base("6.11"), "items 1 to 10");
    run(&base("5.1"), "6 to 11");
    let mut refused = base("6.1");
    refused.extend(["--refused".into(), "--witness".into(), "和丽娟".into()]);
    run(&refused, "two staff witness it");
    let mut missing = base("6.1");
    missing.extend(["--evidence".into(), "no-such.jpg".into()]);
    run(&missing, "cannot read the evidence file");
    let mut wrong_day = base("6.1");
    let i = wrong_day.iter().position(|a| a == "--at").unwrap();
    wrong_day[i + 1] = "2026-12-01 09:00".into();
    run(&wrong_day, "not on 2026-12-01");
    assert!(
        env.json(&["violations", "list"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    // A good one is numbered after the session.
    let ok = env.json(&base("6.1").iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(ok["cases"][0]["case_no"], "2026H2-0001", "{ok}");
}
