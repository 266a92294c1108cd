//! `kaowu applications list|show|set|fix|withdraw|photo`: finding candidates by part of
//! their ID number, corrections previewed, journalled with old and new values and undone,
//! a spreadsheet of exam-area moves, withdrawals with and without refund, photo
//! replacement, on every backend.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::common::{Env, backends, s, sample};

fn numbers(list: &Value) -> BTreeSet<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|a| a["registration_no"].as_str().unwrap().to_string())
        .collect()
}

fn field<'a>(shown: &'a Value, name: &str) -> &'a str {
    shown["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f[0] == name)
        .unwrap()[1]
        .as_str()
        .unwrap()
}

#[test]
fn find_by_part_of_an_id_number_correct_a_name_and_undo_it() {
    for env in backends() {
        env.reviewed();
        let shown = env.json(&["applications", "show", "20260000007"]);
        let id = field(&shown, "证件号码").to_string();
        // The day its fee was fixed is the day of the batch that approved it, as the journal
        // says; a rejected application has none.
        let log = env.json(&["review", "log", "--application", "20260000007"]);
        let approval = log
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["field"] == "status" && j["new_value"] == "approved")
            .unwrap_or_else(|| panic!("{log}"));
        let day = &approval["created_at"].as_str().unwrap()[..10];
        assert_eq!(shown["approved_on"].as_str(), Some(day), "{shown}");
        assert!(!shown["fee_due"].is_null(), "{shown}");
        let rejected = env.json(&["applications", "list", "--status", "rejected"]);
        let no = rejected[0]["registration_no"].as_str().unwrap();
        let other = env.json(&["applications", "show", no]);
        assert!(other["approved_on"].is_null(), "{other}");
        let found = env.json(&[
            "applications",
            "list",
            "--id-number",
            &format!("{}*", &id[..8]),
        ]);
        assert!(numbers(&found).contains("20260000007"), "{found}");
        for a in found.as_array().unwrap() {
            assert!(a["id_number"].as_str().unwrap().starts_with(&id[..8]));
        }
        let tail = env.json(&["applications", "list", "--id-number", &id[12..]]);
        assert!(numbers(&tail).contains("20260000007"));
        assert!(
            env.json(&["applications", "list", "--id-number", "9999*"])
                .as_array()
                .unwrap()
                .is_empty()
        );

        let old = field(&shown, "姓名").to_string();
        let dry = env.json(&[
            "applications",
            "set",
            "20260000007",
            "姓名=孙瑞",
            "--reason",
            "考生来电更正",
            "--dry-run",
        ]);
        assert_eq!(
            (dry["to_change"].as_u64(), dry["changed"].as_u64()),
            (Some(1), Some(0))
        );
        assert_eq!(dry["applications"][0]["changes"][0]["old"], old.as_str());
        assert_eq!(
            field(&env.json(&["applications", "show", "20260000007"]), "姓名"),
            old
        );

        let done = env.json(&[
            "applications",
            "set",
            "20260000007",
            "name=孙瑞",
            "--reason",
            "考生来电更正",
            "--yes",
        ]);
        assert_eq!(done["changed"], 1, "{done}");
        let shown = env.json(&["applications", "show", "20260000007"]);
        assert_eq!(field(&shown, "姓名"), "孙瑞");
        let change = shown["history"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["field"] == "姓名")
            .unwrap();
        assert_eq!(
            (change["old_value"].as_str(), change["new_value"].as_str()),
            (Some(old.as_str()), Some("孙瑞"))
        );
        assert_eq!(
            (change["reason"].as_str(), change["operator"].as_str()),
            (Some("考生来电更正"), Some("tester"))
        );
        assert_eq!(
            env.json(&["applications", "list", "--name", "孙*"])
                .as_array()
                .unwrap()
                .len(),
            1
        );

        let batch = done["batch"].as_i64().unwrap().to_string();
        let undone = env.json(&["review", "undo", &batch, "--yes"]);
        assert_eq!(undone["reverted"], 1);
        let shown = env.json(&["applications", "show", "20260000007"]);
        assert_eq!(field(&shown, "姓名"), old);
        assert_eq!(shown["status"], "approved");
        // A value the import would refuse is refused here too, with nothing changed.
        let err = env.fails(
            1,
            &[
                "applications",
                "set",
                "20260000007",
                "考区=北京",
                "出生日期=昨天",
                "--reason",
                "x",
                "--yes",
            ],
        );
        assert!(
            err.contains("考区: 北京 is not an exam area")
                && err.contains("出生日期: expected a date"),
            "{err}"
        );
        let err = env.fails(
            1,
            &[
                "applications",
                "set",
                "20260000007",
                "姓名=",
                "--reason",
                "x",
                "--yes",
            ],
        );
        assert!(err.contains("cannot be cleared"), "{err}");
    }
}

#[test]
fn a_spreadsheet_moves_the_exam_area_of_a_list_of_candidates() {
    for env in backends() {
        env.reviewed();
        let kunming = env.json(&[
            "applications",
            "list",
            "--exam-area",
            "昆明",
            "--status",
            "approved",
        ]);
        let movers: Vec<String> = numbers(&kunming).into_iter().take(3).collect();
        assert_eq!(movers.len(), 3, "{kunming}");
        let write = |name: &str, rows: &[(&str, &str)]| {
            let path = env.path(name);
            let mut wb = rust_xlsxwriter::Workbook::new();
            let ws = wb.add_worksheet();
            ws.write_string(0, 0, "某单位考区更正").unwrap();
            for (c, h) in ["报名序号", "考区", "原因"].iter().enumerate() {
                ws.write_string(1, c as u16, *h).unwrap();
            }
            for (r, (no, area)) in rows.iter().enumerate() {
                let r = r as u32 + 2;
                ws.write_string(r, 0, *no).unwrap();
                ws.write_string(r, 1, *area).unwrap();
                ws.write_string(r, 2, "单位统一报名，考区填错").unwrap();
            }
            wb.save(&path).unwrap();
            path
        };
        let bad = write(
            "bad.xlsx",
            &[
                (&movers[0], "曲靖市"),
                (&movers[1], "北京"),
                ("20269999999", "曲靖"),
            ],
        );
        let err = env.fails(1, &["applications", "fix", s(&bad), "--yes"]);
        assert!(
            err.contains("bad.xlsx[Sheet1]!B4: 考区: 北京 is not an exam area"),
            "{err}"
        );
        assert!(
            err.contains("bad.xlsx[Sheet1]!A5: 报名序号: no application 20269999999"),
            "{err}"
        );
        assert_eq!(
            numbers(&env.json(&[
                "applications",
                "list",
                "--exam-area",
                "曲靖",
                "--status",
                "approved"
            ]))
            .intersection(&movers.iter().cloned().collect())
            .count(),
            0
        );

        let good = write(
            "moves.xlsx",
            &movers
                .iter()
                .map(|n| (n.as_str(), "曲靖市"))
                .collect::<Vec<_>>(),
        );
        let dry = env.json(&["applications", "fix", s(&good), "--dry-run"]);
        assert_eq!(
            (dry["to_change"].as_u64(), dry["by_field"]["考区"].as_u64()),
            (Some(3), Some(3)),
            "{dry}"
        );
        let done = env.json(&["applications", "fix", s(&good), "--yes"]);
        assert_eq!(done["changed"], 3);
        let qujing = numbers(&env.json(&["applications", "list", "--exam-area", "曲靖"]));
        for n in &movers {
            assert!(qujing.contains(n), "{n} not moved");
            let h = env.json(&["applications", "show", n]);
            assert!(
                h["history"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|j| j["field"] == "考区"
                        && j["old_value"] == "昆明"
                        && j["new_value"] == "曲靖")
            );
        }
        // Again: nothing to change.
        let again = env.json(&["applications", "fix", s(&good), "--yes"]);
        assert_eq!(
            (again["changed"].as_u64(), again["unchanged"].as_u64()),
            (Some(0), Some(3))
        );
    }
}

#[test]
fn a_corrected_rejection_returns_to_review_with_its_flags_checked_again() {
    for env in backends() {
        env.reviewed();
        // Planted: the check digit of 20260000004's ID number is wrong.
        let shown = env.json(&["applications", "show", "20260000004"]);
        assert_eq!(shown["status"], "rejected");
        assert!(
            shown["flags"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["code"] == "id_check_digit"),
            "{shown}"
        );
        let id = field(&shown, "证件号码");
        let fixed = format!("{}0", &id[..17]);
        let done = env.json(&[
            "applications",
            "set",
            "20260000004",
            &format!("证件号码={fixed}"),
            "--reason",
            "核对身份证后更正",
            "--yes",
        ]);
        assert_eq!(done["changed"], 1, "{done}");
        let shown = env.json(&["applications", "show", "20260000004"]);
        assert_eq!(shown["status"], "submitted");
        assert!(
            !shown["flags"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["code"] == "id_check_digit"),
            "{shown}"
        );
        let approved = env.json(&["review", "approve", "--clean", "--yes"]);
        assert_eq!(approved["changed"], 1, "{approved}");
    }
}

#[test]
fn a_withdrawal_refunds_only_when_the_office_says_so() {
    for env in backends() {
        env.reviewed();
        env.ok(&["import", "payments", s(&sample("payments.csv"))]);
        let refunds = |env: &Env| -> BTreeSet<String> {
            let r = env.json(&[
                "payments",
                "reconcile",
                "--gateway",
                s(&sample("payments.csv")),
                "--statement",
                s(&sample("statement.xlsx")),
                "--out",
                s(&env.path("recon")),
            ]);
            r["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["kind"] == "duplicate")
                .map(|f| f["registration_no"].as_str().unwrap().to_string())
                .collect()
        };
        let before = refunds(&env);
        let err = env.fails(
            1,
            &[
                "applications",
                "withdraw",
                "20260000007",
                "--reason",
                "放弃",
                "--refund",
                "--yes",
            ],
        );
        assert!(err.contains("nothing to refund"), "{err}");
        env.ok(&[
            "applications",
            "withdraw",
            "20260000002",
            "--reason",
            "考生申请放弃",
            "--yes",
        ]);
        assert_eq!(
            env.json(&["applications", "show", "20260000002"])["status"],
            "withdrawn"
        );
        assert_eq!(refunds(&env), before, "without --refund the fee is kept");
        let done = env.json(&[
            "applications",
            "withdraw",
            "20260000005",
            "--reason",
            "考生申请放弃，经批准退费",
            "--refund",
            "--yes",
        ]);
        let after = refunds(&env);
        assert!(
            after.contains("20260000005") && after.len() == before.len() + 1,
            "{after:?}"
        );
        let batch = done["batch"].as_i64().unwrap().to_string();
        env.ok(&["review", "undo", &batch, "--yes"]);
        assert_eq!(
            env.json(&["applications", "show", "20260000005"])["status"],
            "paid"
        );
        assert_eq!(refunds(&env), before);
    }
}

#[test]
fn a_photo_is_replaced_only_when_it_meets_the_rules() {
    for env in backends() {
        env.reviewed();
        let old = env.json(&["applications", "show", "20260000007"]);
        let old_hash = field(&old, "照片内容").to_string();
        let bmp = env.path("new.jpg");
        std::fs::write(&bmp, [b"BM".as_slice(), &[0u8; 120]].concat()).unwrap();
        let err = env.fails(
            1,
            &["applications", "photo", "20260000007", s(&bmp), "--yes"],
        );
        assert!(
            err.contains("photo_not_jpeg") && err.contains("nothing changed"),
            "{err}"
        );
        let new = sample("photos/20260000011.jpg");
        let done = env.json(&[
            "applications",
            "photo",
            "20260000007",
            s(&new),
            "--reason",
            "考生重新上传",
            "--yes",
        ]);
        assert_eq!(done["changed"], 1);
        let shown = env.json(&["applications", "show", "20260000007"]);
        assert_ne!(field(&shown, "照片内容"), old_hash);
        let print = shown["history"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["field"] == "照片指纹")
            .unwrap();
        assert!(
            print["old_value"].as_str().unwrap().contains(&old_hash),
            "{print}"
        );
        let batch = done["batch"].as_i64().unwrap().to_string();
        env.ok(&["review", "undo", &batch, "--yes"]);
        assert_eq!(
            field(
                &env.json(&["applications", "show", "20260000007"]),
                "照片内容"
            ),
            old_hash
        );
    }
}

#[test]
fn lists_filter_and_print_csv_for_scripts() {
    for env in backends() {
        env.reviewed();
        let all = env.json(&["applications", "list"]);
        assert_eq!(all.as_array().unwrap().len(), 45);
        let rejected = env.json(&["applications", "list", "--status", "审核未通过"]);
        assert_eq!(rejected.as_array().unwrap().len(), 11);
        let flagged = env.json(&["applications", "list", "--flag", "photo_background"]);
        for a in flagged.as_array().unwrap() {
            assert!(
                a["flags"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|f| f == "photo_background")
            );
        }
        assert!(!flagged.as_array().unwrap().is_empty());
        let out = env.ok(&["applications", "list", "--level", "高级", "--csv"]);
        let mut r = csv::Reader::from_reader(out.as_bytes());
        assert_eq!(&r.headers().unwrap()[0], "报名序号");
        let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert!(!rows.is_empty());
        assert!(rows.iter().all(|row| &row[5] == "高级"));
        let err = env.fails(2, &["applications", "list", "--status", "lost"]);
        assert!(err.contains("expected one of"), "{err}");
    }
}
