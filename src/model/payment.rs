//! Payments (缴费): the gateway's orders, the bank's (or 非税 platform's) statement lines,
//! which payment makes an application paid, and what a reconciliation finds. Pure functions
//! over facts the commands load.
//!
//! Money is what the statement says when there is one (the bank took it), else what the
//! gateway calls successful. Each payment lands in at most one finding, so the sheets of a
//! reconciliation add up and the refund list holds each refundable payment once.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use serde::Serialize;

use super::application::Status;
use super::money::Fen;
use super::text::fold_ascii;

/// What the gateway says of an order (支付结果).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PayResult {
    Success,
    Failed,
    Pending,
}

impl PayResult {
    pub fn as_str(self) -> &'static str {
        match self {
            PayResult::Success => "success",
            PayResult::Failed => "failed",
            PayResult::Pending => "pending",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            PayResult::Success => "成功",
            PayResult::Failed => "失败",
            PayResult::Pending => "处理中",
        }
    }

    /// Reads 支付结果 as gateways write it: 成功 / 失败 / 处理中, or success / failed / pending.
    pub fn parse(text: &str) -> Option<PayResult> {
        match fold_ascii(text).trim().to_ascii_lowercase().as_str() {
            "成功" | "支付成功" | "交易成功" | "已支付" | "success" | "succeeded" | "paid" => {
                Some(PayResult::Success)
            }
            "失败" | "支付失败" | "交易失败" | "failed" | "fail" | "failure" => {
                Some(PayResult::Failed)
            }
            "处理中" | "待支付" | "支付中" | "pending" | "processing" => {
                Some(PayResult::Pending)
            }
            _ => None,
        }
    }
}

/// A gateway order, as imported or as read from the gateway's export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Order {
    pub order_no: String,
    pub registration_no: String,
    pub amount: Fen,
    pub paid_at: Option<NaiveDateTime>,
    pub channel: String,
    pub result: PayResult,
    /// This order made its application paid.
    pub applied: bool,
}

/// A line of the bank's or 非税 platform's statement (对账单).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementLine {
    /// Where it is, e.g. `statement.xlsx[Sheet1]!7`: the evidence a recovery names.
    pub place: String,
    pub order_no: String,
    pub amount: Fen,
    pub paid_at: Option<NaiveDateTime>,
}

/// What payments need of an application.
#[derive(Debug, Clone)]
pub struct Payable {
    pub status: Status,
    /// The fee due on the day of approval; `None` when it was never approved or a subject
    /// has no fee row.
    pub fee_due: Option<Fen>,
}

/// Why a successful payment was not applied at import, for the list the import prints.
pub fn why_not_applied(
    order: &Order,
    app: Option<&Payable>,
    paid_by: Option<&str>,
) -> Option<String> {
    match order.result {
        PayResult::Failed => return Some("failed at the gateway".into()),
        PayResult::Pending => return Some("pending at the gateway".into()),
        PayResult::Success => {}
    }
    let Some(app) = app else {
        return Some("no application has this 报名序号".into());
    };
    if let Some(other) = paid_by {
        return Some(format!(
            "duplicate: the application is already paid by order {other}"
        ));
    }
    if app.status != Status::Approved {
        return Some(format!(
            "the application is {} ({}), not approved",
            app.status,
            app.status.zh()
        ));
    }
    match app.fee_due {
        None => Some("the application has no fee due (a subject without a fee row)".into()),
        Some(due) if due != order.amount => Some(format!(
            "amount {} differs from the fee due {due}",
            order.amount
        )),
        Some(_) => None,
    }
}

/// Decides which of `candidates` (indexes into `orders`) make their application paid: for
/// each approved application not yet paid, its earliest successful order of the right
/// amount. Returns the applied indexes, and the others with why not.
pub fn settle(
    orders: &[Order],
    candidates: &[usize],
    apps: &HashMap<String, Payable>,
) -> (Vec<usize>, Vec<(usize, String)>) {
    // Which order already paid each application.
    let mut paid_by: HashMap<&str, &str> = orders
        .iter()
        .filter(|o| o.applied)
        .map(|o| (o.registration_no.as_str(), o.order_no.as_str()))
        .collect();
    let mut ordered = candidates.to_vec();
    ordered.sort_by(|&a, &b| {
        let (a, b) = (&orders[a], &orders[b]);
        (a.paid_at, &a.order_no).cmp(&(b.paid_at, &b.order_no))
    });
    let (mut applied, mut left) = (Vec::new(), Vec::new());
    for i in ordered {
        let o = &orders[i];
        let app = apps.get(&o.registration_no);
        let app_paid = paid_by.get(o.registration_no.as_str()).copied().or(
            // Paid by something this table does not hold (e.g. marked before payments were kept).
            app.filter(|a| matches!(a.status, Status::Paid | Status::Seated))
                .map(|_| "(recorded earlier)"),
        );
        if let Some(why) = why_not_applied(o, app, app_paid) {
            left.push((i, why));
        } else {
            paid_by.insert(&o.registration_no, &o.order_no);
            applied.push(i);
        }
    }
    left.sort_by_key(|(i, _)| *i);
    (applied, left)
}

/// An application as reconciliation reports it.
#[derive(Debug, Clone, Serialize)]
pub struct ReconApp {
    pub registration_no: String,
    pub name: String,
    pub id_number: String,
    pub exam_area: String,
    pub qualification: String,
    pub status: Status,
    pub fee_due: Option<Fen>,
    /// The order that made it paid, if any.
    pub paid_by: Option<String>,
    /// Withdrawn, and the office granted a refund of what it paid.
    pub refund: bool,
}

/// Money received for an order: a statement line, or (without a statement) a successful
/// gateway order.
#[derive(Debug, Clone, Serialize)]
pub struct Money {
    pub order_no: String,
    /// 报名序号 from the gateway order; `None` when no order has this number.
    pub registration_no: Option<String>,
    pub amount: Fen,
    pub paid_at: Option<NaiveDateTime>,
    pub channel: String,
    /// The statement line, when the money is one.
    pub place: Option<String>,
    /// What the gateway says of the order, if it knows it.
    pub gateway_result: Option<PayResult>,
    pub gateway_amount: Option<Fen>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Paid (in the statement) but not marked paid: 掉单.
    Missed,
    /// Marked paid, but its order is not in the statement.
    PaidNotInStatement,
    /// A second (third...) payment for one application: to refund.
    Duplicate,
    /// Amount different from the fee due (or statement and gateway disagree).
    AmountMismatch,
    /// Paid for an application that is not approved, or for an unknown one.
    NotApproved,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Missed,
        Kind::PaidNotInStatement,
        Kind::Duplicate,
        Kind::AmountMismatch,
        Kind::NotApproved,
    ];

    /// The sheet name of the workbook.
    pub fn zh(self) -> &'static str {
        match self {
            Kind::Missed => "掉单",
            Kind::PaidNotInStatement => "已缴费未到账",
            Kind::Duplicate => "重复缴费退费",
            Kind::AmountMismatch => "金额不符",
            Kind::NotApproved => "非审核通过缴费",
        }
    }

    /// What the finding means, in Chinese, for the staff who read the workbook.
    pub fn describe_zh(self) -> &'static str {
        match self {
            Kind::Missed => "对账单已到账，但未标记为已缴费（掉单）",
            Kind::PaidNotInStatement => "已标记为已缴费，但对账单中没有这笔支付",
            Kind::Duplicate => "重复缴费：退费名单",
            Kind::AmountMismatch => "缴费金额与应缴金额不符",
            Kind::NotApproved => "未审核通过或无此报名的缴费",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Kind::Missed => "paid in the statement but not marked paid (掉单)",
            Kind::PaidNotInStatement => "marked paid but absent from the statement",
            Kind::Duplicate => "duplicate payments: the refund list",
            Kind::AmountMismatch => "amount different from the fee due",
            Kind::NotApproved => "payments for applications that are not approved",
        }
    }
}

/// One discrepancy.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub kind: Kind,
    pub registration_no: Option<String>,
    /// The payment concerned; for [`Kind::PaidNotInStatement`] the order that paid.
    pub money: Option<Money>,
    /// For a duplicate: the order kept (that paid, or that will).
    pub kept_order: Option<String>,
    /// What is wrong, in a sentence (for the terminal and JSON).
    pub note: String,
    /// The same in Chinese, for the staff who read the workbook.
    pub note_zh: String,
}

/// Reconciles applications, gateway orders and (optionally) the statement.
pub fn reconcile(
    apps: &BTreeMap<String, ReconApp>,
    orders: &BTreeMap<String, Order>,
    statement: Option<&[StatementLine]>,
) -> Vec<Finding> {
    let money = money_in(orders, statement);
    let mut out = Vec::new();
    let by_app = money_by_app(&money, &mut out);
    paid_not_in_statement(apps, orders, statement, &mut out);
    // Paid applications first look for their paying order; the others get their money sorted.
    for (no, mut ms) in by_app {
        ms.sort_by(|a, b| (a.paid_at, &a.order_no).cmp(&(b.paid_at, &b.order_no)));
        match apps.get(no) {
            Some(app) => money_of_app(app, ms, &mut out),
            None => {
                for m in ms {
                    out.push(finding(
                        Kind::NotApproved,
                        m,
                        None,
                        (
                            "no application has this 报名序号".into(),
                            "没有这个报名序号的报名".into(),
                        ),
                    ));
                }
            }
        }
    }
    out.sort_by(|a, b| {
        (
            a.kind,
            &a.registration_no,
            a.money.as_ref().map(|m| &m.order_no),
        )
            .cmp(&(
                b.kind,
                &b.registration_no,
                b.money.as_ref().map(|m| &m.order_no),
            ))
    });
    out
}

/// The money that arrived: the statement's lines with their gateway orders, or without a
/// statement the gateway's successful orders.
fn money_in(orders: &BTreeMap<String, Order>, statement: Option<&[StatementLine]>) -> Vec<Money> {
    match statement {
        Some(lines) => lines
            .iter()
            .map(|l| {
                let o = orders.get(&l.order_no);
                Money {
                    order_no: l.order_no.clone(),
                    registration_no: o.map(|o| o.registration_no.clone()),
                    amount: l.amount,
                    paid_at: l.paid_at.or(o.and_then(|o| o.paid_at)),
                    channel: o.map(|o| o.channel.clone()).unwrap_or_default(),
                    place: Some(l.place.clone()),
                    gateway_result: o.map(|o| o.result),
                    gateway_amount: o.map(|o| o.amount),
                }
            })
            .collect(),
        None => orders
            .values()
            .filter(|o| o.result == PayResult::Success)
            .map(|o| Money {
                order_no: o.order_no.clone(),
                registration_no: Some(o.registration_no.clone()),
                amount: o.amount,
                paid_at: o.paid_at,
                channel: o.channel.clone(),
                place: None,
                gateway_result: Some(o.result),
                gateway_amount: Some(o.amount),
            })
            .collect(),
    }
}

/// A finding about one payment.
fn finding(
    kind: Kind,
    m: &Money,
    kept: Option<&str>,
    (note, note_zh): (String, String),
) -> Finding {
    Finding {
        kind,
        registration_no: m.registration_no.clone(),
        money: Some(m.clone()),
        kept_order: kept.map(str::to_string),
        note,
        note_zh,
    }
}

/// The money by application. Money of no known order, and money whose amount differs from
/// its order's, are findings of their own here; the latter's application still gets an
/// entry, as its order counts as present in the statement.
fn money_by_app<'m>(
    money: &'m [Money],
    out: &mut Vec<Finding>,
) -> BTreeMap<&'m str, Vec<&'m Money>> {
    let mut by_app: BTreeMap<&str, Vec<&Money>> = BTreeMap::new();
    for m in money {
        let Some(no) = m.registration_no.as_deref() else {
            out.push(finding(
                Kind::NotApproved,
                m,
                None,
                (
                    "no gateway order has this 支付单号: unknown application".into(),
                    "支付平台没有这个支付单号，不知是哪份报名".into(),
                ),
            ));
            continue;
        };
        if let Some(g) = m.gateway_amount
            && g != m.amount
        {
            out.push(finding(
                Kind::AmountMismatch,
                m,
                None,
                (
                    format!("the statement says {}, the gateway {g}", m.amount),
                    format!("对账单金额 {} 元，支付平台金额 {g} 元", m.amount),
                ),
            ));
            // The money arrived; the order still counts as present in the statement.
            by_app.entry(no).or_default();
            continue;
        }
        by_app.entry(no).or_default().push(m);
    }
    by_app
}

/// With a statement: the paid applications whose paying order the statement lacks.
fn paid_not_in_statement(
    apps: &BTreeMap<String, ReconApp>,
    orders: &BTreeMap<String, Order>,
    statement: Option<&[StatementLine]>,
    out: &mut Vec<Finding>,
) {
    let Some(lines) = statement else {
        return;
    };
    let in_statement: std::collections::HashSet<&str> =
        lines.iter().map(|l| l.order_no.as_str()).collect();
    for (no, app) in apps {
        if let Some(paid_by) = &app.paid_by
            && matches!(app.status, Status::Paid | Status::Seated)
            && !in_statement.contains(paid_by.as_str())
        {
            let o = orders.get(paid_by);
            out.push(Finding {
                kind: Kind::PaidNotInStatement,
                registration_no: Some(no.clone()),
                money: o.map(|o| Money {
                    order_no: o.order_no.clone(),
                    registration_no: Some(no.clone()),
                    amount: o.amount,
                    paid_at: o.paid_at,
                    channel: o.channel.clone(),
                    place: None,
                    gateway_result: Some(o.result),
                    gateway_amount: Some(o.amount),
                }),
                kept_order: None,
                note: format!("paid by order {paid_by}, which the statement does not have"),
                note_zh: format!("由支付单 {paid_by} 缴费，对账单中没有这笔支付"),
            });
        }
    }
}

/// What the money `ms` of one application (in the order it arrived) is, by the
/// application's state.
fn money_of_app(app: &ReconApp, ms: Vec<&Money>, out: &mut Vec<Finding>) {
    match app.status {
        Status::Withdrawn if app.refund && app.paid_by.is_some() => {
            // Everything it paid goes back: the paying order and any duplicate.
            for m in ms {
                out.push(finding(
                    Kind::Duplicate,
                    m,
                    None,
                    (
                        "withdrawn; the office granted a refund".into(),
                        "已放弃报名，考试机构同意退费".into(),
                    ),
                ));
            }
        }
        Status::Paid | Status::Seated | Status::Withdrawn if app.paid_by.is_some() => {
            let kept = app.paid_by.as_deref();
            for m in ms {
                if Some(m.order_no.as_str()) != kept {
                    out.push(finding(
                        Kind::Duplicate,
                        m,
                        kept,
                        (
                            format!(
                                "already paid by order {}: refund",
                                kept.unwrap_or("(not recorded)")
                            ),
                            format!(
                                "已由支付单 {} 缴费，这笔应退费",
                                kept.unwrap_or("（未记录）")
                            ),
                        ),
                    ));
                }
            }
        }
        Status::Approved => money_of_approved(app, ms, out),
        other => {
            for m in ms {
                out.push(finding(
                    Kind::NotApproved,
                    m,
                    None,
                    (
                        format!("the application is {other} ({})", other.zh()),
                        format!("报名状态为{}", other.zh()),
                    ),
                ));
            }
        }
    }
}

/// An approved application's money: the first payment of the fee due is the one that
/// was missed (掉单), any other a duplicate; with none of the right amount, each is a
/// mismatch.
fn money_of_approved(app: &ReconApp, ms: Vec<&Money>, out: &mut Vec<Finding>) {
    let right = |m: &Money| app.fee_due == Some(m.amount);
    let kept = ms.iter().find(|m| right(m)).map(|m| m.order_no.clone());
    for m in ms {
        match &kept {
            Some(k) if *k == m.order_no => {
                out.push(finding(Kind::Missed, m, None, missed_notes(m)));
            }
            Some(k) => out.push(finding(
                Kind::Duplicate,
                m,
                Some(k),
                (
                    format!("order {k} pays this application: refund"),
                    format!("支付单 {k} 已为这份报名缴费，这笔应退费"),
                ),
            )),
            None => out.push(finding(
                Kind::AmountMismatch,
                m,
                None,
                match app.fee_due {
                    Some(due) => (
                        format!("paid {}, fee due {due}", m.amount),
                        format!("实缴 {} 元，应缴 {due} 元", m.amount),
                    ),
                    None => (
                        format!("paid {}, no fee due is known", m.amount),
                        format!("实缴 {} 元，应缴金额未知", m.amount),
                    ),
                },
            )),
        }
    }
}

/// Why a payment of the fee due was missed, as the gateway and the statement tell it.
fn missed_notes(m: &Money) -> (String, String) {
    match (m.place.is_some(), m.gateway_result) {
        (_, Some(PayResult::Success)) => (
            "successful at the gateway, but not imported: kaowu import payments".into(),
            "支付平台显示成功，但尚未导入（kaowu import payments）".into(),
        ),
        (true, r) => (
            format!(
                "in the statement, but the gateway says {}",
                r.map_or("nothing", PayResult::zh)
            ),
            format!(
                "对账单已到账，但支付平台显示{}",
                r.map_or("无此订单", PayResult::zh)
            ),
        ),
        (false, _) => ("not marked paid".into(), "未标记为已缴费".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(day: u32, hour: u32) -> Option<NaiveDateTime> {
        chrono::NaiveDate::from_ymd_opt(2026, 8, day)
            .unwrap()
            .and_hms_opt(hour, 0, 0)
    }

    fn order(no: &str, reg: &str, fen: i64, result: PayResult, at: u32) -> Order {
        Order {
            order_no: no.into(),
            registration_no: reg.into(),
            amount: Fen(fen),
            paid_at: t(at, 10),
            channel: "支付宝".into(),
            result,
            applied: false,
        }
    }

    fn payable(status: Status, due: i64) -> Payable {
        Payable {
            status,
            fee_due: Some(Fen(due)),
        }
    }

    #[test]
    fn results_in_both_languages() {
        assert_eq!(PayResult::parse("成功"), Some(PayResult::Success));
        assert_eq!(PayResult::parse(" SUCCESS "), Some(PayResult::Success));
        assert_eq!(PayResult::parse("处理中"), Some(PayResult::Pending));
        assert_eq!(PayResult::parse("failed"), Some(PayResult::Failed));
        assert_eq!(PayResult::parse("退款"), None);
    }

    #[test]
    fn the_earliest_right_payment_applies_and_the_rest_are_listed() {
        use PayResult::*;
        let orders = vec![
            order("P3", "A", 5000, Success, 22),
            order("P1", "A", 5000, Success, 21),
            order("P2", "B", 4500, Success, 21),
            order("P4", "C", 5000, Pending, 21),
            order("P5", "D", 5000, Success, 21),
            order("P6", "Z", 5000, Success, 21),
            order("P7", "E", 5000, Success, 21),
        ];
        let apps: HashMap<String, Payable> = [
            ("A", payable(Status::Approved, 5000)),
            ("B", payable(Status::Approved, 5000)),
            ("C", payable(Status::Approved, 5000)),
            ("D", payable(Status::Rejected, 5000)),
            ("E", payable(Status::Paid, 5000)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let all: Vec<usize> = (0..orders.len()).collect();
        let (applied, left) = settle(&orders, &all, &apps);
        assert_eq!(applied, vec![1], "P1 is earlier than P3");
        let why: HashMap<&str, &str> = left
            .iter()
            .map(|(i, w)| (orders[*i].order_no.as_str(), w.as_str()))
            .collect();
        assert!(why["P3"].contains("already paid by order P1"), "{why:?}");
        assert!(why["P2"].contains("differs from the fee due 50.00"));
        assert_eq!(why["P4"], "pending at the gateway");
        assert!(why["P5"].contains("rejected"));
        assert!(why["P6"].contains("no application"));
        assert!(why["P7"].contains("already paid"));
    }

    fn app(no: &str, status: Status, due: i64, paid_by: Option<&str>) -> (String, ReconApp) {
        (
            no.into(),
            ReconApp {
                registration_no: no.into(),
                name: "张三".into(),
                id_number: "530102199001011234".into(),
                exam_area: "昆明".into(),
                qualification: "软件设计师".into(),
                status,
                fee_due: Some(Fen(due)),
                paid_by: paid_by.map(Into::into),
                refund: false,
            },
        )
    }

    fn line(no: &str, fen: i64, at: u32) -> StatementLine {
        StatementLine {
            place: format!("statement.csv:{at}"),
            order_no: no.into(),
            amount: Fen(fen),
            paid_at: t(at, 11),
        }
    }

    #[test]
    fn every_kind_of_discrepancy_is_found_once() {
        use PayResult::*;
        let apps: BTreeMap<String, ReconApp> = [
            app("A", Status::Paid, 5000, Some("P1")),
            app("B", Status::Approved, 5000, None),
            app("C", Status::Approved, 5000, None),
            app("D", Status::Rejected, 5000, None),
            app("E", Status::Paid, 5000, Some("P7")),
            app("F", Status::Paid, 5000, Some("P8")),
        ]
        .into_iter()
        .collect();
        let mut orders = vec![
            order("P1", "A", 5000, Success, 21),
            order("P2", "A", 5000, Success, 22),
            order("P3", "B", 5000, Pending, 21),
            order("P4", "C", 4500, Success, 21),
            order("P5", "D", 5000, Success, 21),
            order("P7", "E", 5000, Success, 21),
            order("P8", "F", 5000, Success, 21),
            order("P9", "B", 5000, Failed, 20),
        ];
        orders[0].applied = true;
        orders[5].applied = true;
        orders[6].applied = true;
        let orders: BTreeMap<String, Order> = orders
            .into_iter()
            .map(|o| (o.order_no.clone(), o))
            .collect();
        let statement = vec![
            line("P1", 5000, 21),
            line("P2", 5000, 22),
            line("P3", 5000, 21),
            line("P4", 4500, 21),
            line("P5", 5000, 21),
            line("P6", 5000, 21),
            line("P8", 5500, 21),
        ];
        let found = reconcile(&apps, &orders, Some(&statement));
        let got: Vec<(Kind, Option<&str>, Option<&str>)> = found
            .iter()
            .map(|f| {
                (
                    f.kind,
                    f.registration_no.as_deref(),
                    f.money.as_ref().map(|m| m.order_no.as_str()),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (Kind::Missed, Some("B"), Some("P3")),
                (Kind::PaidNotInStatement, Some("E"), Some("P7")),
                (Kind::Duplicate, Some("A"), Some("P2")),
                (Kind::AmountMismatch, Some("C"), Some("P4")),
                (Kind::AmountMismatch, Some("F"), Some("P8")),
                (Kind::NotApproved, None, Some("P6")),
                (Kind::NotApproved, Some("D"), Some("P5")),
            ]
        );
        assert_eq!(found[2].kept_order.as_deref(), Some("P1"));
        // The workbook's 说明 is for staff: Chinese, with no English word in it.
        for f in &found {
            let zh = f.note_zh.replace("kaowu import payments", "");
            let english = zh
                .split(|c: char| !c.is_ascii_alphabetic())
                .find(|w| w.len() >= 3);
            assert_eq!(english, None, "{}", f.note_zh);
            assert!(f.note_zh.chars().any(|c| c > '\u{2E80}'), "{}", f.note_zh);
        }
        assert_eq!(found[3].note_zh, "实缴 45.00 元，应缴 50.00 元");

        // Without a statement the gateway's successes are the money: nothing is missing from
        // a statement, and the wrong amounts and duplicates are still found.
        let found = reconcile(&apps, &orders, None);
        let kinds: Vec<Kind> = found.iter().map(|f| f.kind).collect();
        assert_eq!(
            kinds,
            vec![Kind::Duplicate, Kind::AmountMismatch, Kind::NotApproved]
        );
    }

    #[test]
    fn a_withdrawal_is_refunded_only_when_granted() {
        let orders: BTreeMap<String, Order> = [order("P1", "A", 5000, PayResult::Success, 21)]
            .into_iter()
            .map(|mut o| {
                o.applied = true;
                (o.order_no.clone(), o)
            })
            .collect();
        let statement = vec![line("P1", 5000, 21)];
        let mut apps: BTreeMap<String, ReconApp> = [app("A", Status::Withdrawn, 5000, Some("P1"))]
            .into_iter()
            .collect();
        assert!(reconcile(&apps, &orders, Some(&statement)).is_empty());
        apps.get_mut("A").unwrap().refund = true;
        let found = reconcile(&apps, &orders, Some(&statement));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, Kind::Duplicate);
        assert!(found[0].note.contains("refund"));
    }
}
