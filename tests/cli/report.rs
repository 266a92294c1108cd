//! `kaowu report`: the workbook, read back with calamine, and the JSON agree with what the
//! other commands say of the same database (applications list, applications show, review
//! log, payments reconcile, seat verify, status), on SQLite and PostgreSQL; the funnel adds
//! up; the charts are in the file; a fee table changed after payment shows as a
//! disagreement; an empty session gives zeros.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

use calamine::{Data, Reader, open_workbook_auto};
use chrono::NaiveDateTime;
use serde_json::Value;

use crate::common::{Env, backends, s, sample};
use crate::seat::paid;

const SHEETS: [&str; 10] = [
    "汇总",
    "报名统计",
    "审核",
    "不通过原因",
    "缴费",
    "资格缴费",
    "对账",
    "考场",
    "考点",
    "考勤",
];

/// The sample session paid and seated, then one seated candidate withdrawn with a refund.
fn seated(env: &Env) {
    paid(env);
    env.ok(&["seat", "assign", "--seed", "20261107", "--yes"]);
    env.ok(&[
        "applications",
        "withdraw",
        "20260000003",
        "--reason",
        "考生申请放弃",
        "--refund",
        "--yes",
    ]);
}

/// Every sheet of a workbook, in order: name and rows of cells.
fn read_book(path: &Path) -> Vec<(String, Vec<Vec<Data>>)> {
    let mut wb = open_workbook_auto(path).unwrap();
    wb.sheet_names()
        .into_iter()
        .map(|name| {
            let range = wb.worksheet_range(&name).unwrap();
            let rows = range.rows().map(<[Data]>::to_vec).collect();
            (name, rows)
        })
        .collect()
}

fn sheet<'a>(book: &'a [(String, Vec<Vec<Data>>)], name: &str) -> &'a [Vec<Data>] {
    &book.iter().find(|(n, _)| n == name).unwrap().1
}

/// The index of the column headed `name` (headers are in row 0).
fn col(rows: &[Vec<Data>], name: &str) -> usize {
    rows[0]
        .iter()
        .position(|c| *c == name)
        .unwrap_or_else(|| panic!("no column {name} in {:?}", rows[0]))
}

/// The row whose first cell is `label`.
fn row<'a>(rows: &'a [Vec<Data>], label: &str) -> &'a [Data] {
    rows.iter()
        .find(|r| r[0] == label)
        .unwrap_or_else(|| panic!("no row {label}"))
}

fn num(c: &Data) -> f64 {
    match c {
        Data::Float(f) => *f,
        Data::Int(i) => *i as f64,
        other => panic!("not a number: {other:?}"),
    }
}

fn count(c: &Data) -> i64 {
    let v = num(c);
    assert_eq!(v.fract(), 0.0, "{v}");
    v as i64
}

/// A money cell (yuan) in fen.
fn cell_fen(c: &Data) -> i64 {
    (num(c) * 100.0).round() as i64
}

/// A yuan string of the JSON (`"3065.00"`) in fen.
fn fen(v: &Value) -> i64 {
    let t = v.as_str().unwrap_or_else(|| panic!("not an amount: {v}"));
    let (y, f) = t.split_once('.').unwrap();
    y.parse::<i64>().unwrap() * 100 + f.parse::<i64>().unwrap()
}

fn zip_text(path: &Path, name: &str) -> String {
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut out = String::new();
    z.by_name(name)
        .unwrap_or_else(|_| panic!("{name} is not in the workbook"))
        .read_to_string(&mut out)
        .unwrap();
    out
}

fn zip_names(path: &Path) -> BTreeSet<String> {
    let z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    z.file_names().map(|n| n.unwrap().to_string()).collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6 * a.abs().max(1.0)
}

/// Percentile p of sorted values, interpolated between ranks as Excel's PERCENTILE.INC.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

fn time(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(&s.replace('T', " "), "%Y-%m-%d %H:%M:%S").unwrap()
}

/// The hours each review decision took, worked out from `review log` and `applications
/// list`: from 提交时间 (or the import, if later than the decision) to the decision's batch.
fn review_hours(env: &Env, list: &[Value]) -> Vec<f64> {
    let submitted: BTreeMap<&str, Option<NaiveDateTime>> = list
        .iter()
        .map(|a| {
            (
                a["registration_no"].as_str().unwrap(),
                a["submitted_at"].as_str().map(time),
            )
        })
        .collect();
    let mut imported: BTreeMap<String, NaiveDateTime> = BTreeMap::new();
    let mut decided: Vec<(String, NaiveDateTime)> = Vec::new();
    for b in env.json(&["review", "log"]).as_array().unwrap() {
        let id = b["id"].as_i64().unwrap().to_string();
        let at = time(b["created_at"].as_str().unwrap());
        for c in env.json(&["review", "log", "--batch", &id])["changes"]
            .as_array()
            .unwrap()
        {
            if c["field"] != "status" {
                continue;
            }
            let no = c["registration_no"].as_str().unwrap().to_string();
            match (c["old_value"].as_str(), c["new_value"].as_str()) {
                (None, Some("submitted")) => {
                    imported.insert(no, at);
                }
                (Some("submitted"), Some("approved" | "rejected")) => decided.push((no, at)),
                _ => {}
            }
        }
    }
    let mut hours: Vec<f64> = decided
        .iter()
        .map(|(no, at)| {
            let start = submitted[no.as_str()]
                .filter(|s| s <= at)
                .unwrap_or(imported[no]);
            (*at - start).num_seconds() as f64 / 3600.0
        })
        .collect();
    hours.sort_by(f64::total_cmp);
    hours
}

#[test]
fn the_report_agrees_with_the_database_on_every_backend() {
    for env in backends() {
        seated(&env);
        let out = env.path("report.xlsx");
        let j = env.json(&["report", "--out", s(&out)]);
        assert!(out.exists(), "[{}] no workbook", env.backend);
        assert!(!env.path("report.xlsx.part").exists());
        assert_eq!(j["workbook"], s(&out));
        let book = read_book(&out);
        let names: Vec<&str> = book.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, SHEETS);
        let list = env.json(&["applications", "list"]);
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), 45);

        // Applications by exam area and qualification: the list, the JSON and the sheet.
        let mut by_area: BTreeMap<String, i64> = BTreeMap::new();
        let mut by_qual: BTreeMap<(String, String, String), i64> = BTreeMap::new();
        let mut by_status: BTreeMap<String, i64> = BTreeMap::new();
        for a in list {
            let area = a["exam_area"].as_str().unwrap().to_string();
            *by_area.entry(area.clone()).or_default() += 1;
            *by_qual
                .entry((
                    a["level"].as_str().unwrap().to_string(),
                    a["qualification"].as_str().unwrap().to_string(),
                    area,
                ))
                .or_default() += 1;
            *by_status
                .entry(a["status"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
        let apps = &j["applications"];
        assert_eq!(apps["total"], 45);
        let json_areas: BTreeMap<String, i64> = apps["by_exam_area"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_i64().unwrap()))
            .filter(|(_, v)| *v > 0)
            .collect();
        assert_eq!(json_areas, by_area, "[{}]", env.backend);
        let counts = sheet(&book, "报名统计");
        let total = row(counts, "合计");
        for (area, n) in &by_area {
            assert_eq!(count(&total[col(counts, area)]), *n, "{area}");
        }
        assert_eq!(count(&total[col(counts, "合计")]), 45);
        let mut sheet_qual: BTreeMap<(String, String, String), i64> = BTreeMap::new();
        for r in &counts[1..] {
            let (level, qual) = (r[0].to_string(), r[1].to_string());
            if qual == "小计" || level == "合计" {
                continue;
            }
            for (c, h) in counts[0].iter().enumerate().skip(2) {
                let n = count(&r[c]);
                if *h != "合计" && n > 0 {
                    sheet_qual.insert((level.clone(), qual.clone(), h.to_string()), n);
                }
            }
        }
        assert_eq!(sheet_qual, by_qual);

        // The funnel adds up, and matches the states of the list and the 审核 sheet.
        let f = &j["review"]["funnel"];
        let n = |k: &str| f[k].as_i64().unwrap();
        let st = |k: &str| by_status.get(k).copied().unwrap_or(0);
        assert_eq!(n("submitted"), 45);
        assert_eq!(
            n("submitted"),
            n("pending") + n("approved") + n("rejected") + n("withdrawn")
        );
        assert_eq!(
            n("approved"),
            n("paid") + n("expired") + n("approved_unpaid")
        );
        assert_eq!(
            (n("pending"), n("rejected"), n("withdrawn"), n("expired")),
            (
                st("submitted"),
                st("rejected"),
                st("withdrawn"),
                st("expired")
            )
        );
        assert_eq!(
            (n("paid"), n("seated"), n("approved_unpaid")),
            (st("paid") + st("seated"), st("seated"), st("approved"))
        );
        assert_eq!((n("rejected"), n("withdrawn"), n("seated")), (11, 1, 30));
        let review = sheet(&book, "审核");
        for (label, key) in [
            ("提交", "submitted"),
            ("待审核", "pending"),
            ("审核通过", "approved"),
            ("审核未通过", "rejected"),
            ("已放弃", "withdrawn"),
            ("已缴费", "paid"),
            ("已编排", "seated"),
            ("逾期未缴费", "expired"),
            ("审核通过未缴费", "approved_unpaid"),
        ] {
            let r = row(review, label);
            assert_eq!(count(&r[1]), n(key), "{label}");
            assert!(close(num(&r[2]), n(key) as f64 / 45.0), "{label}");
        }

        // Rejection reasons: one planted problem each, 证件号码重复 on two applications.
        let reasons = j["review"]["rejection_reasons"].as_array().unwrap();
        let sum: i64 = reasons
            .iter()
            .map(|r| r["applications"].as_i64().unwrap())
            .sum();
        assert_eq!(sum, 11);
        assert_eq!(reasons[0]["code"], "id_duplicate");
        assert_eq!(reasons[0]["applications"], 2);
        let ranked = sheet(&book, "不通过原因");
        for (i, r) in reasons.iter().enumerate() {
            let cells = &ranked[i + 1];
            assert_eq!(count(&cells[0]), i as i64 + 1);
            assert_eq!(cells[1].to_string(), r["reason"].as_str().unwrap());
            assert_eq!(cells[2].to_string(), r["code"].as_str().unwrap_or(""));
            assert_eq!(count(&cells[3]), r["applications"].as_i64().unwrap());
            assert!(close(num(&cells[4]), r["share"].as_f64().unwrap()));
        }

        // Time to review, worked out again from the journal and the 提交时间.
        let hours = review_hours(&env, list);
        assert_eq!(hours.len(), 45);
        let t = &j["review"]["time_to_review"];
        assert_eq!(t["decisions"], 45);
        let mean = hours.iter().sum::<f64>() / hours.len() as f64;
        for (key, want, label) in [
            (
                "median_hours",
                percentile(&hours, 0.5),
                "审核用时中位数（小时）",
            ),
            ("mean_hours", mean, "审核用时平均值（小时）"),
            (
                "p90_hours",
                percentile(&hours, 0.9),
                "审核用时90%分位（小时）",
            ),
        ] {
            let got = t[key].as_f64().unwrap();
            assert!(close(got, want), "[{}] {key}: {got} != {want}", env.backend);
            assert!(close(num(&row(sheet(&book, "汇总"), label)[1]), got));
        }

        // Revenue: the payments that made each paid application paid, and its fee due, as
        // applications show gives them.
        let (mut revenue, mut due) = (BTreeMap::<String, i64>::new(), BTreeMap::new());
        let mut paid_by_area: BTreeMap<String, i64> = BTreeMap::new();
        for a in list {
            if !matches!(a["status"].as_str(), Some("paid" | "seated")) {
                continue;
            }
            let area = a["exam_area"].as_str().unwrap().to_string();
            let shown = env.json(&[
                "applications",
                "show",
                a["registration_no"].as_str().unwrap(),
            ]);
            let applied: Vec<&Value> = shown["payments"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| !p["applied_batch"].is_null())
                .collect();
            assert_eq!(applied.len(), 1, "{shown}");
            *revenue.entry(area.clone()).or_default() += fen(&applied[0]["amount"]);
            *due.entry(area.clone()).or_default() += fen(&shown["fee_due"]);
            *paid_by_area.entry(area).or_default() += 1;
        }
        let p = &j["payments"];
        assert_eq!(p["agree"], true, "{p}");
        assert_eq!(p["paid"], 30);
        assert_eq!(fen(&p["revenue"]), revenue.values().sum::<i64>());
        assert_eq!(fen(&p["fee_due"]), due.values().sum::<i64>());
        let money = sheet(&book, "缴费");
        for a in p["by_exam_area"].as_array().unwrap() {
            let area = a["exam_area"].as_str().unwrap();
            let r = row(money, area);
            let want = paid_by_area.get(area).copied().unwrap_or(0);
            assert_eq!(a["paid"], want, "{area}");
            assert_eq!(count(&r[col(money, "已缴费人数")]), want);
            let rev = revenue.get(area).copied().unwrap_or(0);
            assert_eq!(fen(&a["revenue"]), rev, "{area}");
            assert_eq!(cell_fen(&r[col(money, "实收金额")]), rev);
            assert_eq!(
                cell_fen(&r[col(money, "应缴金额")]),
                due.get(area).copied().unwrap_or(0)
            );
        }
        let total = row(money, "合计");
        assert_eq!(cell_fen(&total[2]), fen(&p["revenue"]));
        let by_qual_money: i64 = sheet(&book, "资格缴费")[1..]
            .iter()
            .filter(|r| r[0] != "合计")
            .map(|r| cell_fen(&r[3]))
            .sum();
        assert_eq!(by_qual_money, fen(&p["revenue"]));

        // The other successful orders are placed as payments reconcile places them, and the
        // lines add up to every successful order.
        let recon = env.json(&[
            "payments",
            "reconcile",
            "--gateway",
            s(&sample("payments.csv")),
            "--out",
            s(&env.path("recon")),
        ]);
        let lines: BTreeMap<&str, &Value> = p["reconciliation"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| (l["item"].as_str().unwrap(), l))
            .collect();
        for kind in ["missed", "duplicate", "amount_mismatch", "not_approved"] {
            assert_eq!(lines[kind]["orders"], recon["counts"][kind], "{kind}");
        }
        // The refund granted to the withdrawn candidate is on the refund list.
        assert_eq!(lines["duplicate"]["orders"], 3);
        assert_eq!(lines["applied"]["orders"], 30);
        assert_eq!(
            lines["accounted"]["orders"],
            lines["successful_orders"]["orders"]
        );
        assert_eq!(
            lines["accounted"]["amount"],
            lines["successful_orders"]["amount"]
        );
        let sheet_recon = sheet(&book, "对账");
        assert_eq!(row(sheet_recon, "对账结论")[1].to_string(), "一致");
        for l in lines.values() {
            let r = row(sheet_recon, l["label"].as_str().unwrap());
            assert_eq!(count(&r[1]), l["orders"].as_i64().unwrap());
            assert_eq!(cell_fen(&r[2]), fen(&l["amount"]));
        }

        // Seats: as seat verify and status count them.
        let seats = &j["seats"];
        let in_use = env.json(&["seat", "verify"])["seats_in_use"]
            .as_i64()
            .unwrap();
        assert_eq!(in_use, 40, "41 seats less the withdrawn candidate's");
        assert_eq!(seats["seats_used"], in_use);
        let per_sitting: i64 = seats["by_sitting"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["seats_used"].as_i64().unwrap())
            .sum();
        assert_eq!(per_sitting, in_use);
        let per_site: i64 = seats["by_site"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["seats_used"].as_i64().unwrap())
            .sum();
        assert_eq!(per_site, in_use);
        let status = env.counts();
        assert_eq!(seats["usable_seats"], status["usable_seats"]);
        assert_eq!(seats["rooms"], status["rooms"]);
        assert_eq!(seats["sites"], status["sites"]);
        assert_eq!(
            seats["capacity"].as_i64().unwrap(),
            status["usable_seats"].as_i64().unwrap() * status["sittings"].as_i64().unwrap()
        );
        let rooms = sheet(&book, "考场");
        assert_eq!(rooms.len(), 1 + 8 + 1, "a row per sitting and the total");
        assert_eq!(count(&row(rooms, "合计")[col(rooms, "已用座位")]), in_use);
        let sites = sheet(&book, "考点");
        assert_eq!(count(&row(sites, "合计")[col(sites, "已用座位")]), in_use);
        assert!(close(
            num(&row(sheet(&book, "汇总"), "座位使用率")[1]),
            seats["share_used"].as_f64().unwrap()
        ));

        // Attendance is not recorded, and both say so.
        assert_eq!(j["attendance"]["recorded"], false);
        assert!(j["attendance"]["present"].is_null());
        let att = sheet(&book, "考勤");
        assert_eq!(row(att, "到考")[1].to_string(), "未记录");
        assert_eq!(row(att, "缺考")[1].to_string(), "未记录");

        // Native charts over the sheets' ranges; money and shares formatted as such; every
        // sheet's header frozen.
        let files = zip_names(&out);
        for (i, range) in ["报名统计!$C$1:", "审核!$A$2:$A$10", "缴费!$A$2:"]
            .iter()
            .enumerate()
        {
            let chart = zip_text(&out, &format!("xl/charts/chart{}.xml", i + 1));
            assert!(chart.contains(range), "chart {}: {chart}", i + 1);
        }
        assert!(!files.contains("xl/charts/chart4.xml"));
        let styles = zip_text(&out, "xl/styles.xml");
        assert!(styles.contains("¥&quot;#,##0.00") && styles.contains("0.0%"));
        for i in 1..=SHEETS.len() {
            let xml = zip_text(&out, &format!("xl/worksheets/sheet{i}.xml"));
            assert!(xml.contains(r#"state="frozen""#), "sheet {i}");
        }
    }
}

#[test]
fn a_fee_table_changed_after_payment_shows_as_a_disagreement() {
    for env in backends() {
        paid(&env);
        let before = env.json(&["report"]);
        assert_eq!(before["payments"]["agree"], true);
        assert!(before["workbook"].is_null());
        // 初级 costs more from now on, also on the days the paid candidates were approved.
        let fees = env.write(
            "fees.csv",
            "地区,级别,资格名称,科目,金额,生效日期\n云南,初级,,,48.00,2026-01-01\n",
        );
        env.ok(&["import", "fees", s(&fees)]);
        let out = env.path("r.xlsx");
        let after = env.json(&["report", "--out", s(&out)]);
        let p = &after["payments"];
        assert_eq!(p["agree"], false, "{p}");
        assert_eq!(p["revenue"], before["payments"]["revenue"]);
        // Six 初级 subjects among the paid candidates: 3.00 more each.
        let junior_paid = env
            .json(&[
                "applications",
                "list",
                "--level",
                "初级",
                "--status",
                "paid",
            ])
            .as_array()
            .unwrap()
            .len() as i64;
        assert!(junior_paid > 0);
        assert_eq!(
            fen(&p["fee_due"]) - fen(&p["revenue"]),
            junior_paid * 2 * 300
        );
        assert!(p["problems"][0].as_str().unwrap().contains("fee due"));
        let book = read_book(&out);
        let recon = sheet(&book, "对账");
        let verdict = row(recon, "对账结论");
        assert_eq!(verdict[1].to_string(), "不一致");
        assert!(verdict[3].to_string().contains("实收金额"));
        assert_eq!(
            row(sheet(&book, "汇总"), "对账结论")[1].to_string(),
            "不一致"
        );
        // The terminal says so too.
        let text = env.ok(&["report"]);
        assert!(text.contains("do NOT agree"), "{text}");
    }
}

#[test]
fn a_session_without_applications_reports_zeros() {
    for env in backends() {
        env.with_samples();
        let out = env.path("empty.xlsx");
        let j = env.json(&["report", "--out", s(&out)]);
        assert_eq!(j["applications"]["total"], 0);
        assert_eq!(j["applications"]["exam_areas"].as_array().unwrap().len(), 6);
        assert_eq!(j["review"]["funnel"]["submitted"], 0);
        let t = &j["review"]["time_to_review"];
        assert_eq!(t["decisions"], 0);
        assert!(t["median_hours"].is_null() && t["p90_hours"].is_null());
        assert_eq!(j["payments"]["paid"], 0);
        assert_eq!(j["payments"]["agree"], true);
        assert_eq!(j["seats"]["seats_used"], 0);
        let book = read_book(&out);
        assert_eq!(book.len(), SHEETS.len());
        assert_eq!(count(&row(sheet(&book, "汇总"), "报名人数")[1]), 0);
        let files = zip_names(&out);
        assert!(files.contains("xl/charts/chart3.xml"), "{files:?}");
    }
}
