//! Scores, pass lists, rechecks and certificates (issue 25). The pass list is recomputed
//! here from the centre's score file itself (read with csv, not kaowu) on both databases; a
//! recheck that lifts a score over the mark puts the candidate on the list; certificates are
//! matched, handed out and counted; a score file that cannot be is refused whole.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::cards::seated;
use crate::common::{Env, backends, s};

/// The rows of a UTF-8 CSV (BOM allowed), header first.
pub fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).unwrap();
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

pub fn col(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

/// A paper passes at 45 of 75; `-` is no paper (only 初级 and 中级 have none, and only the
/// essay); 缺考, 违纪 and anything else fail.
fn paper_passes(cell: &str) -> bool {
    cell.trim_start_matches('\'')
        .parse::<f64>()
        .is_ok_and(|v| v >= 45.0)
}

/// Per admit card, from the centre's file: (passed, sat every paper).
fn recompute(file: &Path) -> BTreeMap<String, (bool, bool)> {
    let rows = csv_rows(file);
    let h = &rows[0];
    let (card, am, pm, essay) = (
        col(h, "ZKZH"),
        col(h, "SWCJ"),
        col(h, "XWCJ"),
        col(h, "LWCJ"),
    );
    rows[1..]
        .iter()
        .map(|r| {
            let no_essay = r[essay].trim_start_matches('\'') == "-";
            let papers: Vec<&str> = if no_essay {
                vec![&r[am], &r[pm]]
            } else {
                vec![&r[am], &r[pm], &r[essay]]
            };
            let passed = papers.iter().all(|p| paper_passes(p));
            let sat = papers.iter().all(|p| *p != "缺考");
            (r[card].clone(), (passed, sat))
        })
        .collect()
}

/// The cards on the pass list files of `dir`.
fn listed(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let rows = csv_rows(&p);
        let c = col(&rows[0], "准考证号");
        out.extend(rows[1..].iter().map(|r| r[c].clone()));
    }
    out
}

/// The seated sample session after the exam: attendance and cases recorded, the recheck
/// window set, the centre's file written into `centre/` and imported, and judged.
fn judged(env: &Env) -> std::path::PathBuf {
    seated(env);
    let returns = env.path("returns");
    env.ok(&["samples", "exam-day", "--out", s(&returns)]);
    env.ok(&["attendance", "import", s(&returns.join("缺考名单.csv"))]);
    env.ok(&["violations", "import", s(&returns.join("违纪.xlsx"))]);
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
    env.ok(&["scores", "judge", "--yes"]);
    centre
}

#[test]
fn the_pass_list_and_its_rates_follow_the_score_file_and_a_recheck() {
    let mut lists = Vec::new();
    let mut outputs = Vec::new();
    for env in backends() {
        let centre = judged(&env);
        let want = recompute(&centre.join("成绩.csv"));
        let passed: BTreeSet<String> = want
            .iter()
            .filter(|(_, (p, _))| *p)
            .map(|(c, _)| c.clone())
            .collect();
        let pl = env.path("pl");
        env.ok(&["export", "pass-list", "--format", "csv", "--out", s(&pl)]);
        assert_eq!(listed(&pl), passed, "[{}] the pass list", env.backend);
        let r = env.json(&["report"]);
        let t = &r["results"]["total"];
        let sat = want.values().filter(|(_, sat)| *sat).count();
        assert_eq!(t["applied"], want.len(), "[{}] {t}", env.backend);
        assert_eq!(t["sat_all"], sat, "[{}] {t}", env.backend);
        assert_eq!(t["passed"], passed.len(), "[{}] {t}", env.backend);
        let rate = t["pass_rate_of_sat_all"].as_f64().unwrap();
        assert!((rate - passed.len() as f64 / sat as f64).abs() < 1e-9);
        let by_group: u64 = r["results"]["by_group"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["passed"].as_u64().unwrap())
            .sum();
        assert_eq!(
            by_group,
            passed.len() as u64,
            "[{}] groups add up",
            env.backend
        );

        // The public list masks every ID number.
        let posted = env.path("posted");
        env.ok(&[
            "export",
            "pass-list",
            "--public",
            "--format",
            "csv",
            "--out",
            s(&posted),
        ]);
        for e in std::fs::read_dir(&posted).unwrap() {
            let rows = csv_rows(&e.unwrap().path());
            let id = col(&rows[0], "证件号码");
            assert!(rows[1..].iter().all(|r| r[id].contains("********")));
        }

        // A candidate short of the mark in one subjective paper asks for a recheck, and the
        // centre lifts it to 45: the pass list follows.
        let rows = csv_rows(&centre.join("成绩.csv"));
        let h = &rows[0];
        let (card, am, pm, essay, id) = (
            col(h, "ZKZH"),
            col(h, "SWCJ"),
            col(h, "XWCJ"),
            col(h, "LWCJ"),
            col(h, "ZJH"),
        );
        let short = rows[1..]
            .iter()
            .find(|r| {
                r[essay].trim_start_matches('\'') == "-"
                    && paper_passes(&r[am])
                    && r[pm].parse::<f64>().is_ok_and(|v| v < 45.0)
            })
            .expect("someone short in the afternoon only");
        env.fails(
            1,
            &[
                "recheck",
                "add",
                "--card-no",
                &short[card],
                "--subject",
                "基础知识",
                "--on",
                "2027-01-06",
                "--yes",
            ],
        );
        env.fails(
            1,
            &[
                "recheck",
                "add",
                "--card-no",
                &short[card],
                "--subject",
                "应用技术",
                "--on",
                "2027-01-20",
                "--yes",
            ],
        );
        let req = env.json(&[
            "recheck",
            "add",
            "--card-no",
            &short[card],
            "--subject",
            "应用技术",
            "--on",
            "2027-01-06",
            "--id-number",
            &short[id],
            "--yes",
        ]);
        let reference = req["requests"][0]["reference"]
            .as_str()
            .unwrap()
            .to_string();
        env.ok(&["recheck", "export", "--out", "fh.xlsx"]);
        let answer = env.write(
            "answer.csv",
            &format!(
                "复核编号,原成绩,复核后成绩,复核结论\n{reference},{},45,更正\n",
                short[pm]
            ),
        );
        env.ok(&["recheck", "results", s(&answer)]);
        env.fails(1, &["recheck", "results", s(&answer)]);
        std::fs::remove_dir_all(&pl).unwrap();
        env.ok(&["export", "pass-list", "--format", "csv", "--out", s(&pl)]);
        let mut after = passed.clone();
        after.insert(short[card].clone());
        assert_eq!(
            listed(&pl),
            after,
            "[{}] the list after the recheck",
            env.backend
        );
        // Two papers of one candidate changed in one answer file: one decision redone.
        let senior = rows[1..]
            .iter()
            .find(|r| {
                r[pm].parse::<f64>().is_ok_and(|v| v < 44.0) && r[essay].parse::<f64>().is_ok()
            })
            .expect("a 高级 candidate with both papers scored, short in 案例分析");
        let mut refs = Vec::new();
        for subject in ["案例分析", "论文"] {
            let r = env.json(&[
                "recheck",
                "add",
                "--card-no",
                &senior[card],
                "--subject",
                subject,
                "--on",
                "2027-01-07",
                "--yes",
            ]);
            refs.push(r["requests"][0]["reference"].as_str().unwrap().to_string());
        }
        // ... with another candidate's changed answer between them in the file.
        let other = rows[1..]
            .iter()
            .find(|r| {
                r[card] != senior[card] && r[card] != short[card] && r[pm].parse::<f64>().is_ok()
            })
            .unwrap();
        let other_subject = if other[essay] == "-" {
            "应用技术"
        } else {
            "案例分析"
        };
        let r = env.json(&[
            "recheck",
            "add",
            "--card-no",
            &other[card],
            "--subject",
            other_subject,
            "--on",
            "2027-01-07",
            "--yes",
        ]);
        let other_ref = r["requests"][0]["reference"].as_str().unwrap().to_string();
        let up = |v: &str| (v.parse::<f64>().unwrap() + 1.0).min(75.0);
        let both = env.write(
            "both.csv",
            &format!(
                "复核编号,复核后成绩\n{},{}\n{other_ref},{}\n{},{}\n",
                refs[0],
                up(&senior[pm]),
                up(&other[pm]),
                refs[1],
                up(&senior[essay]),
            ),
        );
        let done = env.json(&["recheck", "results", s(&both)]);
        assert_eq!(done["changed"].as_array().unwrap().len(), 3, "{done}");
        let found = env.json(&["applications", "list", "--id-number", &short[id]]);
        let no = found[0]["registration_no"].as_str().unwrap().to_string();
        let one = env.json(&["applications", "show", &no]);
        let r = &one["results"];
        assert_eq!(r["verdict"], "合格", "{r}");
        assert_eq!(r["rechecks"][0]["new_score"], "45", "{r}");
        assert!(
            r["scores"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["subject"] == "应用技术" && x["score"] == "45"),
            "{r}"
        );
        let shown = env.json(&["recheck", "list"]);
        assert_eq!(shown[0]["result"], "更正");
        assert_eq!(shown[0]["new_score"], 45.0);

        // Certificates: matched, handed out, counted.
        env.ok(&["samples", "certificates", "--out", s(&centre)]);
        env.ok(&[
            "certificates",
            "import",
            s(&centre.join("证书.csv")),
            "--received",
            "2027-03-01",
        ]);
        let certs = csv_rows(&centre.join("证书.csv"));
        let (no, how) = (col(&certs[0], "证书编号"), col(&certs[0], "领取方式"));
        let in_person: Vec<&Vec<String>> =
            certs[1..].iter().filter(|r| r[how] == "现场领取").collect();
        env.ok(&[
            "certificates",
            "issue",
            &in_person[0][no],
            "--to",
            "self",
            "--on",
            "2027-03-02",
            "--yes",
        ]);
        env.fails(
            1,
            &[
                "certificates",
                "issue",
                &in_person[1][no],
                "--to",
                "proxy",
                "--proxy-name",
                "李华",
                "--proxy-id",
                "11010519491231002X",
                "--yes",
            ],
        );
        env.ok(&[
            "certificates",
            "issue",
            &in_person[1][no],
            "--to",
            "proxy",
            "--proxy-name",
            "李华",
            "--proxy-id",
            "11010519491231002X",
            "--letter",
            "--on",
            "2027-03-02",
            "--yes",
        ]);
        env.fails(
            1,
            &[
                "certificates",
                "issue",
                &in_person[0][no],
                "--to",
                "self",
                "--yes",
            ],
        );
        let held = env.json(&["certificates", "held", "--on", "2027-03-05"]);
        let sum = |k: &str| -> u64 {
            held["areas"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a[k].as_u64().unwrap())
                .sum()
        };
        assert_eq!(sum("certificates"), (certs.len() - 1) as u64);
        assert_eq!(sum("issued_self"), 1);
        assert_eq!(sum("issued_proxy"), 1);
        assert_eq!(sum("held"), (certs.len() - 3) as u64);
        assert_eq!(sum("expired"), 0);
        // A hand-out recorded in error is undone; the centre's scores are not.
        let log = env.json(&["review", "log"]);
        let batch_of = |kind: &str| {
            log.as_array()
                .unwrap()
                .iter()
                .rev()
                .find(|b| b["kind"] == kind)
                .unwrap_or_else(|| panic!("no {kind} batch in {log}"))["id"]
                .as_i64()
                .unwrap()
                .to_string()
        };
        env.ok(&["review", "undo", &batch_of("certificate-issue"), "--yes"]);
        let held = env.json(&["certificates", "held", "--on", "2027-03-05"]);
        let again: u64 = held["areas"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["held"].as_u64().unwrap())
            .sum();
        assert_eq!(
            again,
            (certs.len() - 2) as u64,
            "[{}] undo holds it again",
            env.backend
        );
        let err = env.fails(1, &["review", "undo", &batch_of("scores"), "--yes"]);
        assert!(err.contains("corrected file"), "{err}");
        let out = env.path("handout");
        let sheets = env.json(&[
            "certificates",
            "sheets",
            "--out",
            s(&out),
            "--from",
            "2027-03-02",
            "--days",
            "2",
        ]);
        assert_eq!(sheets["certificates"], certs.len() - 1);
        lists.push(listed(&pl));
        outputs.push(fixed_outputs(&env));
    }
    assert!(
        lists.windows(2).all(|w| w[0] == w[1]),
        "both databases list the same"
    );
    if let [sqlite, postgres] = outputs.as_slice() {
        assert_eq!(
            sqlite.keys().collect::<Vec<_>>(),
            postgres.keys().collect::<Vec<_>>()
        );
        for (name, bytes) in sqlite {
            assert!(
                bytes == &postgres[name],
                "{name} differs between the databases"
            );
        }
    }
}

/// The pass lists, the recheck batch and the hand-out sheets written with a fixed date, by
/// path: the same bytes on either database.
fn fixed_outputs(env: &Env) -> BTreeMap<String, Vec<u8>> {
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
    run(&["export", "pass-list", "--out", s(&fixed.join("pl"))]);
    run(&[
        "export",
        "pass-list",
        "--public",
        "--out",
        s(&fixed.join("posted")),
    ]);
    run(&[
        "recheck",
        "export",
        "--all",
        "--out",
        s(&fixed.join("fh.xlsx")),
    ]);
    run(&[
        "certificates",
        "sheets",
        "--out",
        s(&fixed.join("cert")),
        "--from",
        "2027-03-02",
    ]);
    let mut out = BTreeMap::new();
    let mut dirs = vec![fixed.clone()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                let name = p.strip_prefix(&fixed).unwrap().display().to_string();
                out.insert(name, std::fs::read(&p).unwrap());
            }
        }
    }
    assert!(out.len() > 6, "{:?}", out.keys());
    out
}

#[test]
fn a_score_file_that_cannot_be_is_refused_whole() {
    let env = Env::sqlite();
    seated(&env);
    let centre = env.path("centre");
    env.ok(&["samples", "scores", "--out", s(&centre)]);
    let rows = csv_rows(&centre.join("成绩.csv"));
    let h = &rows[0];
    let (card, id, essay) = (col(h, "ZKZH"), col(h, "ZJH"), col(h, "LWCJ"));
    let mids: Vec<&Vec<String>> = rows[1..]
        .iter()
        .filter(|r| r[essay].trim_start_matches('\'') == "-")
        .take(4)
        .collect();
    let senior = rows[1..]
        .iter()
        .find(|r| r[essay].trim_start_matches('\'') != "-")
        .unwrap();
    let text = format!(
        "KSSJ,ZKZH,ZJH,XM,SWCJ,XWCJ,LWCJ\n\
         2026年下半年,{},{},某某,50,50,-\n\
         2026年下半年,99999999999999,{},某某,50,50,-\n\
         2026年下半年,{},{},某某,50,50,-\n\
         2026年下半年,{},{},某某,76,44.55,-\n\
         2026年上半年,{},{},某某,50,50,-\n\
         2026年下半年,{},{},某某,50,50,60\n",
        senior[card],
        senior[id],
        mids[0][id],
        mids[0][card],
        mids[1][id],
        mids[1][card],
        mids[1][id],
        mids[2][card],
        mids[2][id],
        mids[3][card],
        mids[3][id],
    );
    let bad = env.write("bad.csv", &text);
    let err = env.fails(1, &["import", "scores", s(&bad)]);
    for want in [
        "bad.csv:3: ZKZH",
        "bad.csv:4: ZJH",
        "bad.csv:5: SWCJ",
        "at most 75",
        "bad.csv:5: XWCJ",
        "bad.csv:6: KSSJ",
        "another session",
        "bad.csv:7: LWCJ",
        "has no essay",
    ] {
        assert!(err.contains(want), "{want} in:\n{err}");
    }
    // Nothing was written: there is nothing to judge.
    let err = env.fails(1, &["scores", "judge", "--yes"]);
    assert!(err.contains("no scores yet"), "{err}");
}

/// The office's own certificate list: one by post, the rest in person; a certificate for
/// someone not on the pass list refuses it; the courier's waybills mark the posted one sent
/// and appear on the mail list.
#[test]
fn certificates_by_post_go_out_with_their_waybills() {
    let env = Env::sqlite();
    let centre = judged(&env);
    let pl = env.path("pl");
    env.ok(&["export", "pass-list", "--format", "csv", "--out", s(&pl)]);
    let passed = listed(&pl);
    let rows = csv_rows(&centre.join("成绩.csv"));
    let (card, id) = (col(&rows[0], "ZKZH"), col(&rows[0], "ZJH"));
    let person = |c: &str| rows.iter().find(|r| r[card] == c).unwrap()[id].clone();
    let mut text = String::from("证书编号,准考证号,证件号码,领取方式,邮寄地址,联系电话\n");
    for (i, c) in passed.iter().enumerate() {
        let (how, address) = if i == 0 {
            ("邮寄", "云南省昆明市五华区人民中路1号")
        } else {
            ("现场领取", "")
        };
        text.push_str(&format!(
            "C{:05},{c},{},{how},{address},13800000000\n",
            i + 1,
            person(c)
        ));
    }
    let failed = rows[1..]
        .iter()
        .find(|r| !passed.contains(&r[card]))
        .unwrap();
    let bad = env.write(
        "bad.csv",
        &format!("{text}C99999,{},{},现场领取,,\n", failed[card], failed[id]),
    );
    let err = env.fails(1, &["certificates", "import", s(&bad)]);
    assert!(err.contains("is not on the pass list"), "{err}");
    let good = env.write("certs.csv", &text);
    let done = env.json(&[
        "certificates",
        "import",
        s(&good),
        "--received",
        "2027-03-01",
    ]);
    assert_eq!(done["added"], passed.len(), "{done}");
    assert_eq!(done["by_post"], 1, "{done}");
    let wrong = env.write("wrong.csv", "证书编号,运单号\nC00002,SF1234567890\n");
    let err = env.fails(1, &["certificates", "waybills", s(&wrong)]);
    assert!(err.contains("collected in person"), "{err}");
    let bills = env.write(
        "bills.csv",
        "证书编号,运单号,寄出日期\nC00001,SF1234567890,2027-03-03\n",
    );
    env.ok(&["certificates", "waybills", s(&bills)]);
    env.fails(1, &["certificates", "waybills", s(&bills)]);
    let held = env.json(&["certificates", "held", "--on", "2027-03-05"]);
    let sum = |k: &str| -> u64 {
        held["areas"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a[k].as_u64().unwrap())
            .sum()
    };
    assert_eq!(sum("posted"), 1);
    assert_eq!(sum("held"), (passed.len() - 1) as u64);
    let out = env.path("handout");
    env.ok(&[
        "certificates",
        "sheets",
        "--out",
        s(&out),
        "--from",
        "2027-03-02",
    ]);
    let mut book = calamine::open_workbook_auto(out.join("邮寄名单.xlsx")).unwrap();
    use calamine::Reader;
    let range = book.worksheet_range("邮寄名单").unwrap();
    let cells: Vec<String> = range.rows().flatten().map(ToString::to_string).collect();
    for want in [
        "C00001",
        "SF1234567890",
        "2027-03-03",
        "云南省昆明市五华区人民中路1号",
    ] {
        assert!(cells.iter().any(|c| c == want), "{want} in {cells:?}");
    }
}

/// A score file that disagrees with what exam day recorded is flagged, not refused: a
/// score for someone recorded absent, 缺考 for someone recorded present, 违纪 with no case.
#[test]
fn a_score_file_that_disagrees_with_exam_day_is_flagged() {
    let env = Env::sqlite();
    let centre = judged(&env);
    let rows = csv_rows(&centre.join("成绩.csv"));
    let h = rows[0].clone();
    let (am, pm, essay) = (col(&h, "SWCJ"), col(&h, "XWCJ"), col(&h, "LWCJ"));
    let clean = env.json(&["import", "scores", s(&centre.join("成绩.csv")), "--dry-run"]);
    assert_eq!(
        clean["disagree"]["counts"],
        serde_json::json!({}),
        "the generator follows exam day: {clean}"
    );
    let mut edited = rows.clone();
    let absent = edited[1..]
        .iter()
        .position(|r| r[am] == "缺考" && r[essay] == "-")
        .expect("someone absent")
        + 1;
    edited[absent][am] = "50".into();
    let scored = edited[1..]
        .iter()
        .position(|r| r[am].parse::<f64>().is_ok() && r[pm].parse::<f64>().is_ok())
        .unwrap()
        + 1;
    edited[scored][pm] = "违纪".into();
    let mut w = csv::Writer::from_path(env.path("edited.csv")).unwrap();
    for r in &edited {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
    let r = env.json(&["import", "scores", "edited.csv", "--dry-run"]);
    let counts = &r["disagree"]["counts"];
    assert_eq!(counts["absent_but_scored"], 1, "{r}");
    assert_eq!(counts["void_without_case"], 1, "{r}");
    let out = env.ok(&["import", "scores", "edited.csv", "--dry-run"]);
    assert!(
        out.contains("recorded 缺考 on exam day but scored in the file"),
        "{out}"
    );
}
