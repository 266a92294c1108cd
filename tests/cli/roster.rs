//! `kaowu export roster`: the seated sample session's rosters read back as a user would
//! (calamine for XLSX, the CSV bytes decoded), rows counted against the database, order,
//! masking, encodings, the manifest, and the usage errors.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use calamine::{Data, DataType, Reader, open_workbook_auto};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::common::{Env, backends, s};
use crate::seat::paid;

fn seated(env: &Env) {
    paid(env);
    env.ok(&["seat", "assign", "--seed", "20261107", "--yes"]);
}

/// The applications as `applications list` gives them, by 报名序号.
fn applications(env: &Env) -> BTreeMap<String, Value> {
    env.json(&["applications", "list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["registration_no"].as_str().unwrap().to_string(),
                a.clone(),
            )
        })
        .collect()
}

/// How many rows a roster of these applications has: one per seat once seated (a 高级
/// candidate sits twice), else one.
fn rows_of<'a>(apps: impl Iterator<Item = &'a Value>) -> usize {
    apps.map(|a| {
        if a["status"] == "seated" && a["level"] == "高级" {
            2
        } else {
            1
        }
    })
    .sum()
}

/// A cell as a spreadsheet shows it.
fn text(c: &Data) -> String {
    match c {
        Data::DateTime(_) => {
            let t = c.as_datetime().unwrap();
            if t.time() == chrono::NaiveTime::MIN {
                t.format("%Y-%m-%d").to_string()
            } else {
                t.format("%Y-%m-%d %H:%M:%S").to_string()
            }
        }
        _ => c.to_string(),
    }
}

/// Every sheet of a workbook: (name, header, rows of cells).
type Sheet = (String, Vec<String>, Vec<Vec<Data>>);

fn book(path: &Path) -> Vec<Sheet> {
    let mut wb = open_workbook_auto(path).unwrap();
    wb.sheet_names()
        .into_iter()
        .map(|name| {
            let range = wb.worksheet_range(&name).unwrap();
            let mut rows = range.rows();
            let header = rows
                .next()
                .unwrap()
                .iter()
                .map(ToString::to_string)
                .collect();
            let rows = rows.map(<[calamine::Data]>::to_vec).collect();
            (name, header, rows)
        })
        .collect()
}

fn col(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

/// Rows as header -> shown text.
fn records(header: &[String], rows: &[Vec<Data>]) -> Vec<BTreeMap<String, String>> {
    rows.iter()
        .map(|r| header.iter().cloned().zip(r.iter().map(text)).collect())
        .collect()
}

fn sha256(path: &Path) -> String {
    format!("{:x}", Sha256::digest(std::fs::read(path).unwrap()))
}

/// The manifest's files agree with the files: rows, size and SHA-256.
fn check_manifest(out: &Path, rows_in: impl Fn(&Path) -> usize) -> Value {
    let m: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    for f in m["files"].as_array().unwrap() {
        let path = out.join(f["file"].as_str().unwrap());
        assert_eq!(f["sha256"].as_str().unwrap(), sha256(&path), "{path:?}");
        assert_eq!(
            f["bytes"].as_u64().unwrap(),
            std::fs::metadata(&path).unwrap().len()
        );
        assert_eq!(
            f["rows"].as_u64().unwrap() as usize,
            rows_in(&path),
            "{path:?}"
        );
    }
    m
}

/// The seat order of a seated row: site code, room, date, time, seat.
fn seat_key(r: &BTreeMap<String, String>) -> (String, i64, String, String, i64) {
    (
        r["考点代码"].clone(),
        r["考场号"].parse().unwrap(),
        r["考试日期"].clone(),
        r["考试时间"].clone(),
        r["座位号"].parse().unwrap(),
    )
}

const STAFF_HEADER: [&str; 25] = [
    "报名序号",
    "姓名",
    "性别",
    "证件类型",
    "证件号码",
    "出生日期",
    "手机号码",
    "电子邮箱",
    "通信地址",
    "工作单位",
    "考区",
    "级别",
    "报考资格",
    "报考科目",
    "状态",
    "缴费金额",
    "缴费时间",
    "准考证号",
    "考点代码",
    "考点名称",
    "考场号",
    "座位号",
    "场次",
    "考试日期",
    "考试时间",
];

#[test]
fn a_roster_per_exam_area_holds_every_application_in_seat_order() {
    for env in backends() {
        seated(&env);
        let apps = applications(&env);
        let out = env.path("roster");
        let r = env.json(&["export", "roster", "--by", "exam-area", "--out", s(&out)]);
        let want_rows = rows_of(apps.values());
        assert_eq!(
            (
                r["rows"].as_u64(),
                r["applications"].as_u64(),
                r["unplaced"].as_u64()
            ),
            (Some(want_rows as u64), Some(apps.len() as u64), Some(0)),
            "{r}"
        );
        let areas: BTreeSet<&str> = apps
            .values()
            .map(|a| a["exam_area"].as_str().unwrap())
            .collect();
        let m = check_manifest(&out, |p| book(p)[0].2.len());
        assert_eq!(m["files"].as_array().unwrap().len(), areas.len());
        assert_eq!(
            (m["by"].as_str(), m["public"].as_bool()),
            (Some("exam-area"), Some(false))
        );

        let mut seen = BTreeMap::new();
        for area in &areas {
            let path = out.join(format!("{area}.xlsx"));
            let sheets = book(&path);
            assert_eq!(sheets.len(), 1);
            let (_, header, rows) = &sheets[0];
            assert_eq!(header, &STAFF_HEADER.map(String::from).to_vec());
            let recs = records(header, rows);
            // Seated rows first, in site, room, sitting and seat order; then the others by
            // 报名序号.
            let seated: Vec<_> = recs.iter().filter(|r| !r["座位号"].is_empty()).collect();
            let others: Vec<&str> = recs
                .iter()
                .filter(|r| r["座位号"].is_empty())
                .map(|r| r["报名序号"].as_str())
                .collect();
            assert_eq!(seated.len() + others.len(), recs.len());
            assert!(recs[..seated.len()].iter().all(|r| !r["座位号"].is_empty()));
            let keys: Vec<_> = seated.iter().map(|r| seat_key(r)).collect();
            assert!(keys.is_sorted(), "{area}: {keys:?}");
            assert!(others.is_sorted(), "{area}: {others:?}");
            for (row, rec) in rows.iter().zip(&recs) {
                let no = &rec["报名序号"];
                let a = &apps[no];
                assert_eq!(rec["考区"], *area);
                assert_eq!(rec["证件号码"], a["id_number"].as_str().unwrap());
                assert_eq!(rec["手机号码"], a["mobile"].as_str().unwrap());
                // Long numbers stay text; dates are dates; money is a number.
                assert!(matches!(row[col(header, "证件号码")], Data::String(_)));
                if a["status"] == "seated" {
                    assert!(
                        matches!(row[col(header, "出生日期")], Data::DateTime(_)),
                        "{row:?}"
                    );
                    assert_eq!(rec["状态"], "已编排");
                    assert!(matches!(row[col(header, "考试日期")], Data::DateTime(_)));
                    assert!(matches!(row[col(header, "缴费时间")], Data::DateTime(_)));
                    match &row[col(header, "缴费金额")] {
                        Data::Float(f) => assert!(*f > 0.0 && (f * 100.0).fract() == 0.0),
                        other => panic!("缴费金额 is {other:?}"),
                    }
                    assert!(!rec["准考证号"].is_empty());
                }
                *seen.entry(no.clone()).or_insert(0) += 1;
            }
        }
        // Every application once, a seated 高级 candidate twice.
        assert_eq!(seen.len(), apps.len());
        for (no, n) in &seen {
            assert_eq!(*n, rows_of(std::iter::once(&apps[no])), "{no}");
        }

        // The header row frozen, filters on, widths set, money in yuan.
        let xml = sheet_xml(&out.join(format!("{}.xlsx", areas.first().unwrap())), 1);
        assert!(
            xml.contains(r#"ySplit="1""#) && xml.contains(r#"state="frozen""#),
            "{xml}"
        );
        assert!(xml.contains("<autoFilter ref=\"A1:Y"), "{xml}");
        assert!(xml.contains("customWidth=\"1\""));
        let styles = zip_text(
            &out.join(format!("{}.xlsx", areas.first().unwrap())),
            "xl/styles.xml",
        );
        assert!(styles.contains("¥"), "{styles}");
        assert!(styles.contains("yyyy-mm-dd"), "{styles}");

        // One workbook with a sheet per exam area holds the same rows.
        let one = env.path("one");
        let r = env.json(&[
            "export",
            "roster",
            "--by",
            "exam-area",
            "--one-file",
            "--out",
            s(&one),
        ]);
        let sheets = book(&one.join("名册.xlsx"));
        assert_eq!(sheets.len(), areas.len());
        assert_eq!(sheets.iter().map(|s| s.2.len()).sum::<usize>(), want_rows);
        let m = check_manifest(&one, |p| book(p).iter().map(|s| s.2.len()).sum());
        let names: Vec<&str> = sheets.iter().map(|s| s.0.as_str()).collect();
        let listed: Vec<&str> = m["files"][0]["sheets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, listed);
        assert_eq!(r["files"].as_array().unwrap().len(), 1);

        // The same data gives the same bytes when the creation time is fixed.
        let again = |dir: &str| {
            let out = env.path(dir);
            env.kaowu()
                .env("SOURCE_DATE_EPOCH", "1790000000")
                .args(["export", "roster", "--by", "exam-area", "--out", s(&out)])
                .assert()
                .success();
            std::fs::read_to_string(out.join("manifest.json")).unwrap()
        };
        assert_eq!(again("a"), again("b"));
    }
}

#[test]
fn per_site_and_room_only_the_seated_and_a_posted_list_is_masked() {
    for env in backends() {
        seated(&env);
        let apps = applications(&env);
        let asked: Vec<&Value> = apps
            .values()
            .filter(|a| a["status"] == "seated" || a["status"] == "approved")
            .collect();
        let unseated = asked.iter().filter(|a| a["status"] == "approved").count();
        assert!(
            unseated > 0,
            "the samples have approved, unpaid applications"
        );
        let seated_apps: Vec<&Value> = apps.values().filter(|a| a["status"] == "seated").collect();

        // Per site, asked for seated and approved: the approved ones have no seat and are
        // counted, on stderr and in the JSON.
        let out = env.path("sites");
        let run = env
            .kaowu()
            .args([
                "export",
                "roster",
                "--by",
                "site",
                "--status",
                "seated",
                "--status",
                "审核通过",
                "--out",
                s(&out),
                "--json",
            ])
            .output()
            .unwrap();
        assert!(run.status.success());
        let r: Value = serde_json::from_slice(&run.stdout).unwrap();
        let stderr = String::from_utf8(run.stderr).unwrap();
        assert_eq!(r["unplaced"].as_u64(), Some(unseated as u64), "{r}");
        assert_eq!(
            r["unplaced_by_status"]["approved"].as_u64(),
            Some(unseated as u64)
        );
        assert!(
            stderr.contains(&format!("{unseated} applications have no seat")),
            "{stderr}"
        );
        assert_eq!(r["status"], serde_json::json!(["approved", "seated"]));
        assert_eq!(
            r["rows"].as_u64(),
            Some(rows_of(seated_apps.iter().copied()) as u64)
        );
        check_manifest(&out, |p| book(p)[0].2.len());

        // Per room and sitting, to post on the door: masked, without contacts.
        let out = env.path("doors");
        let r = env.json(&[
            "export",
            "roster",
            "--by",
            "room",
            "--public",
            "--out",
            s(&out),
        ]);
        assert_eq!(
            r["rows"].as_u64(),
            Some(rows_of(seated_apps.iter().copied()) as u64)
        );
        let m = check_manifest(&out, |p| book(p)[0].2.len());
        let mut rows = 0;
        for f in m["files"].as_array().unwrap() {
            let (_, header, cells) = book(&out.join(f["file"].as_str().unwrap())).remove(0);
            for gone in ["通信地址", "电子邮箱", "出生日期", "工作单位"] {
                assert!(!header.iter().any(|h| h == gone), "{gone} in {header:?}");
            }
            let recs = records(&header, &cells);
            // One room and sitting per file, in seat order.
            let rooms: BTreeSet<_> = recs
                .iter()
                .map(|r| {
                    (
                        r["考点代码"].clone(),
                        r["考场号"].clone(),
                        r["场次"].clone(),
                    )
                })
                .collect();
            assert_eq!(rooms.len(), 1, "{}", f["file"]);
            let seats: Vec<i64> = recs.iter().map(|r| r["座位号"].parse().unwrap()).collect();
            assert!(seats.is_sorted(), "{seats:?}");
            for r in &recs {
                let a = &apps[&r["报名序号"]];
                let id = a["id_number"].as_str().unwrap();
                let mobile = a["mobile"].as_str().unwrap();
                assert_eq!(a["status"], "seated");
                let masked = &r["证件号码"];
                assert_eq!(masked.chars().count(), id.chars().count(), "{masked}");
                if id.len() == 18 {
                    assert_eq!(masked[..6], id[..6]);
                    assert_eq!(&masked[6..14], "********", "{masked}");
                    assert_eq!(masked[14..], id[14..]);
                } else {
                    assert!(masked.contains('*') && masked != id, "{masked}");
                }
                assert_eq!(
                    r["手机号码"],
                    format!("{}****{}", &mobile[..3], &mobile[7..])
                );
                rows += 1;
            }
            // No full ID number or phone anywhere in the file.
            let xml = sheet_xml(&out.join(f["file"].as_str().unwrap()), 1);
            for a in &seated_apps {
                assert!(!xml.contains(a["id_number"].as_str().unwrap()));
                assert!(!xml.contains(a["mobile"].as_str().unwrap()));
            }
        }
        assert_eq!(rows, rows_of(seated_apps.iter().copied()));

        // One workbook, a sheet per room and sitting, with names Excel accepts.
        let one = env.path("one");
        env.ok(&[
            "export",
            "roster",
            "--by",
            "room",
            "--one-file",
            "--out",
            s(&one),
        ]);
        let sheets = book(&one.join("名册.xlsx"));
        assert_eq!(sheets.len(), m["files"].as_array().unwrap().len());
        let names: BTreeSet<String> = sheets.iter().map(|s| s.0.to_lowercase()).collect();
        assert_eq!(names.len(), sheets.len());
        for (name, _, _) in &sheets {
            assert!(
                name.chars().count() <= 31 && !name.contains(['[', ']', ':', '*', '?', '/', '\\']),
                "{name}"
            );
        }
    }
}

#[test]
fn csv_in_utf8_with_a_bom_and_in_gbk_carry_the_same_rows() {
    for env in backends() {
        seated(&env);
        let apps = applications(&env);
        let utf8 = env.path("utf8");
        let gbk = env.path("gbk");
        env.ok(&[
            "export",
            "roster",
            "--by",
            "exam-area",
            "--format",
            "csv",
            "--out",
            s(&utf8),
        ]);
        env.ok(&[
            "export",
            "roster",
            "--by",
            "exam-area",
            "--format",
            "csv",
            "--encoding",
            "gbk",
            "--out",
            s(&gbk),
        ]);
        let parse = |text: &str| -> Vec<Vec<String>> {
            csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(text.as_bytes())
                .records()
                .map(|r| r.unwrap().iter().map(String::from).collect())
                .collect()
        };
        let m = check_manifest(&utf8, |p| {
            parse(std::str::from_utf8(&std::fs::read(p).unwrap()[3..]).unwrap()).len() - 1
        });
        check_manifest(&gbk, |p| {
            let bytes = std::fs::read(p).unwrap();
            let (t, _, bad) = encoding_rs::GB18030.decode(&bytes);
            assert!(!bad);
            parse(&t).len() - 1
        });
        let mut rows = 0;
        for f in m["files"].as_array().unwrap() {
            let name = f["file"].as_str().unwrap();
            assert!(name.ends_with(".csv"));
            let a = std::fs::read(utf8.join(name)).unwrap();
            assert_eq!(&a[..3], b"\xEF\xBB\xBF", "{name}: a BOM first");
            let a = std::str::from_utf8(&a[3..]).unwrap().to_string();
            assert!(
                a.ends_with("\r\n") && !a.replace("\r\n", "").contains('\n'),
                "CRLF only"
            );
            let b = std::fs::read(gbk.join(name)).unwrap();
            assert_ne!(&b[..3], b"\xEF\xBB\xBF");
            let (b, _, bad) = encoding_rs::GB18030.decode(&b);
            assert!(!bad);
            assert_eq!(a, b, "{name}: the same text in both encodings");
            let table = parse(&a);
            assert_eq!(table[0], STAFF_HEADER.map(String::from).to_vec());
            for r in &table[1..] {
                let app = &apps[&r[0]];
                assert_eq!(r[4], app["id_number"].as_str().unwrap());
                assert_eq!(r[1], app["name"].as_str().unwrap());
            }
            rows += table.len() - 1;
        }
        assert_eq!(rows, rows_of(apps.values()));
    }
}

#[test]
fn usage_errors_exit_2_and_write_nothing() {
    let env = Env::sqlite();
    env.with_samples();
    let out = env.path("x");
    for (args, says) in [
        (vec!["--one-file", "--format", "csv"], "--one-file"),
        (vec!["--status", "nonsense"], "--status nonsense"),
        (vec!["--encoding", "gbk"], "--encoding is for CSV"),
    ] {
        let mut a = vec!["export", "roster", "--by", "site", "--out", s(&out)];
        a.extend(args);
        let err = env.fails(2, &a);
        assert!(err.contains(says), "{err}");
    }
    assert!(!out.exists());
    env.fails(2, &["export", "roster", "--by", "city", "--out", s(&out)]);
}

fn zip_text(path: &Path, name: &str) -> String {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut s = String::new();
    z.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

fn sheet_xml(path: &Path, n: usize) -> String {
    zip_text(path, &format!("xl/worksheets/sheet{n}.xml"))
}
