//! `kaowu import payments` and `kaowu payments ...`: the samples' planted discrepancies found
//! exactly, 掉单 recovered with their statement lines as evidence, counter payments, expiry
//! with undo, and bad files refused whole, on every backend.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::common::{Env, backends, s, sample};

fn reconcile(env: &Env, statement: &str, out: &str) -> Value {
    env.json(&[
        "payments",
        "reconcile",
        "--gateway",
        s(&sample("payments.csv")),
        "--statement",
        statement,
        "--out",
        out,
    ])
}

/// (kind, registration number, order number) of each finding.
fn findings(r: &Value) -> BTreeSet<(String, String, String)> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap().to_string(),
                f["registration_no"].as_str().unwrap().to_string(),
                f["order_no"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn set(items: &[(&str, &str, &str)]) -> BTreeSet<(String, String, String)> {
    items
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

/// A cell as a spreadsheet shows it: a date-time cell as its date and time.
fn shown(c: &calamine::Data) -> String {
    use calamine::DataType;
    match c {
        calamine::Data::DateTime(_) => c
            .as_datetime()
            .unwrap()
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
        _ => c.to_string(),
    }
}

/// Every sheet of a workbook: name -> rows of header -> text.
fn read_book(path: &std::path::Path) -> BTreeMap<String, Vec<BTreeMap<String, String>>> {
    use calamine::{Reader, open_workbook_auto};
    let mut wb = open_workbook_auto(path).unwrap();
    let mut out = BTreeMap::new();
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).unwrap();
        let mut rows = range.rows();
        let header: Vec<String> = rows
            .next()
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        let rows = rows
            .map(|r| header.iter().cloned().zip(r.iter().map(shown)).collect())
            .collect();
        out.insert(name, rows);
    }
    out
}

/// The order numbers of the sample statement, read as a user would.
fn statement_orders() -> BTreeSet<String> {
    use calamine::{DataType, Reader, open_workbook_auto};
    let mut wb = open_workbook_auto(sample("statement.xlsx")).unwrap();
    let range = wb.worksheet_range("对账单").unwrap();
    let header = range.rows().nth(1).unwrap();
    let col = header
        .iter()
        .position(|c| c.get_string() == Some("支付单号"))
        .unwrap();
    range.rows().skip(2).map(|r| r[col].to_string()).collect()
}

#[test]
fn reconcile_finds_exactly_the_planted_discrepancies_and_the_missed_are_recovered() {
    for env in backends() {
        env.reviewed();
        let gateway = sample("payments.csv");
        let first = env.json(&["import", "payments", s(&gateway)]);
        assert_eq!(
            (
                first["rows"].as_u64(),
                first["added"].as_u64(),
                first["paid"].as_u64()
            ),
            (Some(37), Some(37), Some(29)),
            "[{}] {first}",
            env.backend
        );
        let left: BTreeMap<String, String> = first["left"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["order_no"].as_str().unwrap().to_string(),
                    l["why"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(left.len(), 8, "{left:?}");
        assert!(left["ZF20260904000007"].contains("differs from the fee due 190.00"));
        assert!(left["ZF20260829000001"].contains("pending"));
        // The same file again changes nothing.
        let again = env.json(&["import", "payments", s(&gateway)]);
        assert_eq!(
            (
                again["added"].as_u64(),
                again["changed"].as_u64(),
                again["unchanged"].as_u64(),
                again["paid"].as_u64()
            ),
            (Some(0), Some(0), Some(37), Some(0)),
            "{again}"
        );
        assert!(again["batch"].is_null());

        let statement = sample("statement.xlsx");
        let out = env.path("recon");
        let r = reconcile(&env, s(&statement), s(&out));
        let planted = set(&[
            ("missed", "20260000001", "ZF20260829000001"),
            ("missed", "20260000033", "ZF20260828000002"),
            ("duplicate", "20260000030", "ZF20260823000004"),
            ("duplicate", "20260000039", "ZF20260901000006"),
            ("amount_mismatch", "20260000019", "ZF20260904000007"),
            ("not_approved", "20260000004", "ZF20260901000031"),
            ("not_approved", "20269999999", "ZF20260822000032"),
        ]);
        assert_eq!(findings(&r), planted, "[{}] {r}", env.backend);
        assert_eq!(r["counts"]["paid_not_in_statement"], 0);

        // The workbook: a summary and one sheet per finding; the refund list has what the
        // finance office needs.
        let book = read_book(&out.join("reconcile.xlsx"));
        let names: BTreeSet<&str> = book.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            BTreeSet::from([
                "汇总",
                "掉单",
                "已缴费未到账",
                "重复缴费退费",
                "金额不符",
                "非审核通过缴费"
            ])
        );
        let refunds = &book["重复缴费退费"];
        let orders: BTreeSet<&str> = refunds.iter().map(|r| r["支付单号"].as_str()).collect();
        assert_eq!(
            orders,
            BTreeSet::from(["ZF20260823000004", "ZF20260901000006"])
        );
        for row in refunds {
            assert!(
                !row["姓名"].is_empty() && row["证件号码"].len() == 18,
                "{row:?}"
            );
            assert_eq!(row["金额"], "100");
            assert!(row["支付时间"].starts_with("2026-0"), "{row:?}");
            assert!(row["保留支付单号"].starts_with("ZF"), "{row:?}");
        }
        assert_eq!(book["掉单"].len(), 2);
        assert!(book["已缴费未到账"].is_empty());

        // Mark the 掉单 paid: a preview first, then each with its statement line.
        let dry = env.json(&[
            "payments",
            "mark-paid",
            "--statement",
            s(&statement),
            "--gateway",
            s(&gateway),
            "--dry-run",
        ]);
        assert_eq!(
            (dry["to_change"].as_u64(), dry["changed"].as_u64()),
            (Some(2), Some(0))
        );
        let done = env.json(&[
            "payments",
            "mark-paid",
            "--statement",
            s(&statement),
            "--gateway",
            s(&gateway),
            "--yes",
        ]);
        assert_eq!(done["changed"], 2, "{done}");
        let shown = env.json(&["applications", "show", "20260000033"]);
        assert_eq!(shown["status"], "paid");
        let pay = &shown["payments"][0];
        assert_eq!(pay["order_no"], "ZF20260828000002");
        assert!(
            pay["evidence"]
                .as_str()
                .unwrap()
                .contains("statement.xlsx[对账单]!"),
            "{pay}"
        );
        assert!(shown["history"].as_array().unwrap().iter().any(|j| {
            j["field"] == "payment"
                && j["operator"] == "tester"
                && j["new_value"]
                    .as_str()
                    .unwrap()
                    .contains("ZF20260828000002")
        }));

        // Now every paid application has its statement line, and only the others remain.
        let after = reconcile(&env, s(&statement), s(&out));
        let remaining: BTreeSet<_> = planted
            .iter()
            .filter(|f| f.0 != "missed")
            .cloned()
            .collect();
        assert_eq!(findings(&after), remaining, "{after}");
        let in_statement = statement_orders();
        let paid = env.path("paid.xlsx");
        let export = env.json(&["review", "export", "--status", "paid", "--out", s(&paid)]);
        assert_eq!(export["applications"], 31);
        for row in crate::review::read_sheet(&paid) {
            let shown = env.json(&["applications", "show", &row["报名序号"]]);
            let paying: Vec<&Value> = shown["payments"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| !p["applied_batch"].is_null())
                .collect();
            assert_eq!(paying.len(), 1, "{shown}");
            assert!(in_statement.contains(paying[0]["order_no"].as_str().unwrap()));
            assert_eq!(paying[0]["amount"], shown["fee_due"]);
        }
        // A recorded payment is not undone.
        let batch = done["batch"].as_i64().unwrap().to_string();
        let err = env.fails(1, &["review", "undo", &batch, "--yes"]);
        assert!(err.contains("not undone"), "{err}");
    }
}

#[test]
fn a_paid_application_missing_from_the_statement_is_found() {
    for env in backends() {
        env.reviewed();
        env.ok(&["import", "payments", s(&sample("payments.csv"))]);
        // The statement without the line of 20260000030's paying order.
        let shown = env.json(&["applications", "show", "20260000030"]);
        let paying = shown["payments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| !p["applied_batch"].is_null())
            .unwrap()["order_no"]
            .as_str()
            .unwrap()
            .to_string();
        let mut csv = String::from("银行流水,支付单号,交易金额,交易时间\n");
        for (i, o) in statement_orders().iter().enumerate() {
            if *o != paying {
                csv.push_str(&format!("{i},{o},100.00,2026-09-01 10:00:00\n"));
            }
        }
        let st = env.write_gbk("statement.csv", &csv);
        let r = reconcile(&env, s(&st), s(&env.path("recon")));
        let missing: Vec<&Value> = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == "paid_not_in_statement")
            .collect();
        assert_eq!(missing.len(), 1, "{r}");
        assert_eq!(missing[0]["registration_no"], "20260000030");
        assert_eq!(missing[0]["order_no"], paying.as_str());
    }
}

#[test]
fn a_counter_payment_needs_the_fee_due_and_a_reason() {
    for env in backends() {
        env.reviewed();
        let shown = env.json(&["applications", "show", "20260000007"]);
        assert_eq!(shown["status"], "approved");
        let due = shown["fee_due"].as_str().unwrap().to_string();
        assert_eq!(due, "115.00", "昆明 中级: 57.50 a subject");
        let lines = shown["fee_lines"].as_array().unwrap();
        assert_eq!(lines.len(), 2, "{shown}");
        assert!(
            lines[0]["source"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{}[收费标准]!", sample("fees.xlsx").display()))
        );

        let base = ["payments", "mark-paid", "20260000007", "--order", "GT0001"];
        let err = env.fails(
            1,
            &[&base[..], &["--amount", "90", "--reason", "柜台", "--yes"]].concat(),
        );
        assert!(err.contains("not the fee due 115.00"), "{err}");
        let err = env.fails(1, &[&base[..], &["--amount", "115", "--yes"]].concat());
        assert!(err.contains("--reason"), "{err}");
        let err = env.fails(
            1,
            &[
                "payments",
                "mark-paid",
                "20260000004",
                "--order",
                "GT0002",
                "--amount",
                "100",
                "--reason",
                "x",
                "--yes",
            ],
        );
        assert!(err.contains("rejected"), "{err}");
        let dry = env.json(
            &[
                &base[..],
                &[
                    "--amount",
                    "115.00",
                    "--reason",
                    "柜台缴费 收据0012",
                    "--dry-run",
                ],
            ]
            .concat(),
        );
        assert_eq!(dry["changed"], 0);
        assert_eq!(
            env.json(&["applications", "show", "20260000007"])["status"],
            "approved"
        );

        let done = env.json(
            &[
                &base[..],
                &[
                    "--amount",
                    "115.00",
                    "--paid-at",
                    "2026-08-25 10:30",
                    "--reason",
                    "柜台缴费 收据0012",
                    "--yes",
                ],
            ]
            .concat(),
        );
        assert_eq!(done["changed"], 1);
        let shown = env.json(&["applications", "show", "20260000007"]);
        assert_eq!(shown["status"], "paid");
        let p = &shown["payments"][0];
        assert_eq!(
            (
                p["source"].as_str(),
                p["channel"].as_str(),
                p["amount"].as_str()
            ),
            (Some("counter"), Some("柜台"), Some("115.00"))
        );
        assert!(
            p["paid_at"]
                .as_str()
                .unwrap()
                .starts_with("2026-08-25 10:30"),
            "{p}"
        );
        let status = shown["history"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["new_value"] == "paid")
            .unwrap();
        assert_eq!(status["operator"], "tester");
        assert!(status["reason"].as_str().unwrap().contains("收据0012"));
        let err = env.fails(
            1,
            &[
                &base[..],
                &["--amount", "115", "--reason", "again", "--yes"],
            ]
            .concat(),
        );
        assert!(err.contains("already paid by order GT0001"), "{err}");
    }
}

#[test]
fn expiry_waits_for_the_window_to_close_and_can_be_undone() {
    for env in backends() {
        env.reviewed();
        env.ok(&["import", "payments", s(&sample("payments.csv"))]);
        let err = env.fails(1, &["payments", "expire", "--yes"]);
        assert!(err.contains("no payment window"), "{err}");
        env.ok(&[
            "session",
            "set",
            "--payment-opens",
            "2026-08-20 09:00",
            "--payment-closes",
            "2099-09-05 23:59",
        ]);
        let err = env.fails(1, &["payments", "expire", "--yes"]);
        assert!(err.contains("closes at 2099-09-05 23:59"), "{err}");
        env.ok(&["session", "set", "--payment-closes", "2026-09-05 23:59"]);
        let dry = env.json(&["payments", "expire", "--dry-run"]);
        // 34 approved: 29 paid by the import, the 2 掉单 and 20260000019 (wrong amount) and
        // 2 that never paid are left.
        assert_eq!(
            (dry["to_change"].as_u64(), dry["changed"].as_u64()),
            (Some(5), Some(0)),
            "{dry}"
        );
        let done = env.json(&["payments", "expire", "--yes"]);
        assert_eq!(done["changed"], 5);
        assert_eq!(
            env.json(&["applications", "show", "20260000007"])["status"],
            "expired"
        );
        let batch = done["batch"].as_i64().unwrap().to_string();
        let undone = env.json(&["review", "undo", &batch, "--yes"]);
        assert_eq!(undone["reverted"], 5);
        let shown = env.json(&["applications", "show", "20260000007"]);
        assert_eq!(shown["status"], "approved");
        // The fee stays the one fixed at approval.
        assert_eq!(shown["fee_due"], "115.00");
    }
}

#[test]
fn a_bad_gateway_file_is_refused_whole() {
    for env in backends() {
        env.reviewed();
        let bad = env.write_gbk(
            "payments.csv",
            "支付单号,报名序号,金额,支付时间,支付网关,支付结果\n\
             ZF1,20260000002,100.00,2026-08-21 10:00:00,支付宝,成功\n\
             ZF2,20260000003,五十,2026-08-21 10:00:00,支付宝,成功\n\
             ZF3,20260000005,100.00,2026-08-21 10:00:00,支付宝,退款\n\
             ZF1,20260000011,100.00,2026-08-21 10:00:00,支付宝,成功\n\
             ZF4,,100.00,昨天,微信支付,成功\n",
        );
        let err = env.fails(1, &["import", "payments", s(&bad)]);
        for expected in [
            "payments.csv:3: 金额: expected an amount in yuan",
            "payments.csv:4: 支付结果: expected 成功, 失败 or 处理中",
            "payments.csv:5: 支付单号: ZF1 is also on line 2",
            "payments.csv:6: 报名序号: a value is required",
            "payments.csv:6: 支付时间: expected a date and time",
        ] {
            assert!(
                err.contains(expected),
                "[{}] missing {expected:?} in:\n{err}",
                env.backend
            );
        }
        let shown = env.json(&["applications", "show", "20260000002"]);
        assert_eq!(shown["status"], "approved");
        assert!(shown["payments"].as_array().unwrap().is_empty());

        // An order stored once cannot come back as another payment.
        env.ok(&["import", "payments", s(&sample("payments.csv"))]);
        let text = std::fs::read(sample("payments.csv")).unwrap();
        let (text, _, _) = encoding_rs::GBK.decode(&text);
        let changed = text.replacen(",100.00,", ",99.00,", 1);
        let f = env.write_gbk("changed.csv", &changed);
        let err = env.fails(1, &["import", "payments", s(&f)]);
        assert!(
            err.contains("is stored for 报名序号") && err.contains("this file says"),
            "{err}"
        );
    }
}
