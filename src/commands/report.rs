//! `kaowu report`: a session's statistics as one workbook, as `--json`, and as a page on the
//! terminal: applications by exam area, level and qualification; the review funnel, the
//! rejection reasons and the time to review; paid candidates and fee revenue reconciled with
//! the fee due and the imported orders; seats used per sitting and site; attendance, which is
//! not recorded yet.
//!
//! The figures come from aggregate queries (db/report.rs): nothing here holds a row per
//! application, so 200,000 applications take little memory. The fee due is priced per group
//! of applications that share exam area, qualification, subjects and approval day.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::Result;
use chrono::{NaiveDate, NaiveDateTime};
use rust_xlsxwriter::{Chart, ChartAxisCrossing, ChartDataLabel};
use serde::Serialize;

use super::books::{fees_due, order_of, recon_app};
use super::exam_day::{ExamDay, ExamDayFigures, Grouped, figures};
use super::results::{PassCount, ResultFigures, Results};
use super::{connect, current_session, now, print_json, table};
use crate::cli::{GlobalArgs, ReportArgs};
use crate::db::payments::{PayRow, PaymentRow};
use crate::db::report::{
    AppCount, OrderSum, PaidGroup, ReasonCount, ReviewTimes, SeatUse, SiteInfo, SittingInfo,
};
use crate::io::xlsx::{Book, Cell, Sheet, grouped};
use crate::model::application::Status;
use crate::model::attendance::Figures;
use crate::model::fee::{self, FeeRule};
use crate::model::flag_text;
use crate::model::level::Level;
use crate::model::money::Fen;
use crate::model::payment::{self, Kind, Order, ReconApp};

/// The percentiles of the time to review, as fractions (numerator, denominator).
const MEDIAN: (i64, i64) = (1, 2);
const P90: (i64, i64) = (9, 10);

/// How many rejection reasons are listed; the rest are summed in one line.
const REASONS_LISTED: usize = 100;

// ---------------------------------------------------------------------------------------
// the figures

#[derive(Debug, Serialize)]
pub struct Report {
    session: String,
    name: String,
    generated_at: String,
    workbook: Option<String>,
    applications: Applications,
    review: Review,
    payments: Payments,
    seats: Seats,
    attendance: Attendance,
    /// Pass rates (合格率) and the expected recheck load, once scores are imported.
    results: ResultFigures,
}

#[derive(Debug, Serialize)]
struct Applications {
    total: i64,
    /// Every exam area with sites or applications, in the order of the sheet's columns.
    exam_areas: Vec<String>,
    by_exam_area: BTreeMap<String, i64>,
    by_level: Vec<LevelCount>,
    by_qualification: Vec<QualificationCount>,
}

#[derive(Debug, Serialize)]
struct LevelCount {
    level: String,
    applications: i64,
    by_exam_area: BTreeMap<String, i64>,
}

#[derive(Debug, Serialize)]
struct QualificationCount {
    level: String,
    qualification: String,
    applications: i64,
    by_exam_area: BTreeMap<String, i64>,
}

/// Each application counts once, by its state now: `submitted = pending + approved +
/// rejected + withdrawn`, and `approved = paid + expired + approved_unpaid` (`paid` includes
/// the seated).
#[derive(Debug, Default, Serialize)]
struct Funnel {
    submitted: i64,
    pending: i64,
    approved: i64,
    rejected: i64,
    withdrawn: i64,
    paid: i64,
    seated: i64,
    expired: i64,
    approved_unpaid: i64,
}

impl Funnel {
    /// The rows of the 审核 sheet: key, 阶段, count, 说明.
    fn rows(&self) -> [(&'static str, &'static str, i64, &'static str); 9] {
        [
            (
                "submitted",
                "提交",
                self.submitted,
                "全部报名；每份按当前状态计入下面一项",
            ),
            ("pending", "待审核", self.pending, "尚未审核"),
            (
                "approved",
                "审核通过",
                self.approved,
                "= 已缴费 + 逾期未缴费 + 审核通过未缴费",
            ),
            (
                "rejected",
                "审核未通过",
                self.rejected,
                "考生修改后可再次提交",
            ),
            ("withdrawn", "已放弃", self.withdrawn, "考生申请放弃"),
            ("paid", "已缴费", self.paid, "报名成功，含已编排"),
            ("seated", "已编排", self.seated, "已分配考场座位"),
            ("expired", "逾期未缴费", self.expired, "缴费期结束未缴费"),
            (
                "approved_unpaid",
                "审核通过未缴费",
                self.approved_unpaid,
                "缴费期内尚未缴费",
            ),
        ]
    }
}

#[derive(Debug, Serialize)]
struct Review {
    funnel: Funnel,
    rejected: i64,
    rejection_reasons: Vec<Reason>,
    time_to_review: TimeToReview,
}

#[derive(Debug, Serialize)]
struct Reason {
    /// The flag's meaning in Chinese, or the text the office gave.
    reason: String,
    /// The flag code, when the reason was composed from the application's flags.
    code: Option<String>,
    applications: i64,
    /// Of the rejected applications; one rejected for two flags counts under both.
    share: f64,
}

#[derive(Debug, Serialize)]
struct TimeToReview {
    decisions: i64,
    median_hours: Option<f64>,
    mean_hours: Option<f64>,
    p90_hours: Option<f64>,
}

#[derive(Debug, Serialize)]
struct Payments {
    /// Paid and seated applications.
    paid: i64,
    /// What the payments that made them paid add up to.
    revenue: Fen,
    /// Their fee due: the subjects' fees on the day each was approved.
    fee_due: Fen,
    /// Revenue equals the fee due, each paid application has one payment that made it
    /// paid and a fee due, and every successful order is accounted for below.
    agree: bool,
    problems: Vec<String>,
    /// The problems as the workbook states them.
    #[serde(skip)]
    problems_zh: Vec<String>,
    by_exam_area: Vec<AreaMoney>,
    by_qualification: Vec<QualificationMoney>,
    reconciliation: Vec<ReconLine>,
}

#[derive(Debug, Serialize)]
struct AreaMoney {
    exam_area: String,
    paid: i64,
    revenue: Fen,
    fee_due: Fen,
}

#[derive(Debug, Serialize)]
struct QualificationMoney {
    level: String,
    qualification: String,
    paid: i64,
    revenue: Fen,
    fee_due: Fen,
}

#[derive(Debug, Serialize)]
struct ReconLine {
    item: &'static str,
    label: &'static str,
    orders: i64,
    amount: Fen,
    note: &'static str,
}

#[derive(Debug, Serialize)]
struct Seats {
    sites: i64,
    rooms: i64,
    /// Usable seats of all rooms, offered in each sitting.
    usable_seats: i64,
    /// usable_seats x sittings.
    capacity: i64,
    seats_used: i64,
    share_used: Option<f64>,
    by_sitting: Vec<SittingSeats>,
    by_site: Vec<SiteSeats>,
}

#[derive(Debug, Serialize)]
struct SittingSeats {
    sitting: String,
    date: NaiveDate,
    starts_at: String,
    ends_at: String,
    sites_used: i64,
    rooms_used: i64,
    /// Usable seats of the rooms in use.
    capacity_of_rooms_used: i64,
    /// Usable seats of every room.
    capacity: i64,
    seats_used: i64,
    share_used: Option<f64>,
    share_of_rooms_used: Option<f64>,
}

#[derive(Debug, Serialize)]
struct SiteSeats {
    exam_area: String,
    site_code: String,
    site_name: String,
    rooms: i64,
    usable_seats: i64,
    sittings_used: i64,
    /// usable_seats x the session's sittings.
    capacity: i64,
    seats_used: i64,
    share_used: Option<f64>,
}

/// The exam-day figures (see [`ExamDayFigures`]) and what to know about them.
#[derive(Debug, Serialize)]
struct Attendance {
    #[serde(flatten)]
    figures: ExamDayFigures,
    note: String,
}

const ATTENDANCE_NOTE: &str =
    "考勤（到考/缺考）尚未记录：数据库中还没有考勤数据，本报告不含到考、缺考人数";

fn attendance(figures: ExamDayFigures) -> Attendance {
    let note = if !figures.recorded {
        ATTENDANCE_NOTE.to_string()
    } else if figures.total.unrecorded > 0 {
        format!(
            "{} 人科次尚未录入考勤（应考 = 实考 + 缺考 + 未录入）",
            figures.total.unrecorded
        )
    } else {
        String::new()
    };
    Attendance { figures, note }
}

// ---------------------------------------------------------------------------------------
// computing

fn share(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The percentile `num/den` of `n` ascending values, interpolated between the two ranks
/// around it (as Excel's PERCENTILE.INC), from the values at those ranks.
fn percentile(n: i64, ranked: &[(i64, i64)], (num, den): (i64, i64)) -> Option<f64> {
    if n <= 0 {
        return None;
    }
    let lo = (n - 1) * num / den;
    let frac = ((n - 1) * num % den) as f64 / den as f64;
    let at = |rank: i64| {
        ranked
            .iter()
            .find(|(r, _)| *r == rank)
            .map(|(_, s)| *s as f64)
    };
    let a = at(lo + 1)?;
    let b = at(lo + 2).unwrap_or(a);
    Some(a + frac * (b - a))
}

fn level_rank(level: &str) -> (u8, &str) {
    match Level::parse(level) {
        Some(l) => (l as u8, level),
        None => (u8::MAX, level),
    }
}

fn applications(counts: &[AppCount], mut areas: Vec<String>) -> Applications {
    for c in counts {
        if !areas.contains(&c.exam_area) {
            areas.push(c.exam_area.clone());
        }
    }
    areas.sort();
    let zeros: BTreeMap<String, i64> = areas.iter().map(|a| (a.clone(), 0)).collect();
    let mut by_area = zeros.clone();
    // Keyed by the level's rank first, so that 初级, 中级, 高级 come in that order.
    let mut by_qual: BTreeMap<(u8, &str, &str), BTreeMap<String, i64>> = BTreeMap::new();
    let mut by_level: BTreeMap<(u8, &str), BTreeMap<String, i64>> = BTreeMap::new();
    for c in counts {
        let rank = level_rank(&c.level).0;
        *by_area.get_mut(&c.exam_area).expect("listed") += c.applications;
        *by_qual
            .entry((rank, &c.level, &c.qualification))
            .or_insert_with(|| zeros.clone())
            .get_mut(&c.exam_area)
            .expect("listed") += c.applications;
        *by_level
            .entry((rank, &c.level))
            .or_insert_with(|| zeros.clone())
            .get_mut(&c.exam_area)
            .expect("listed") += c.applications;
    }
    Applications {
        total: by_area.values().sum(),
        exam_areas: areas,
        by_exam_area: by_area,
        by_level: by_level
            .into_iter()
            .map(|((_, level), m)| LevelCount {
                level: level.to_string(),
                applications: m.values().sum(),
                by_exam_area: m,
            })
            .collect(),
        by_qualification: by_qual
            .into_iter()
            .map(|((_, level, qualification), m)| QualificationCount {
                level: level.to_string(),
                qualification: qualification.to_string(),
                applications: m.values().sum(),
                by_exam_area: m,
            })
            .collect(),
    }
}

fn funnel(counts: &[AppCount]) -> Funnel {
    let mut f = Funnel::default();
    for c in counts {
        let n = c.applications;
        f.submitted += n;
        match Status::parse(&c.status) {
            Some(Status::Submitted) => f.pending += n,
            Some(Status::Rejected) => f.rejected += n,
            Some(Status::Withdrawn) => f.withdrawn += n,
            Some(Status::Approved) => f.approved_unpaid += n,
            Some(Status::Expired) => f.expired += n,
            Some(Status::Paid) => f.paid += n,
            Some(Status::Seated) => {
                f.paid += n;
                f.seated += n;
            }
            None => {}
        }
    }
    f.approved = f.paid + f.expired + f.approved_unpaid;
    f
}

fn reasons(rows: &[ReasonCount], rejected: i64) -> Vec<Reason> {
    let mut out: Vec<Reason> = rows
        .iter()
        .map(|r| {
            let by_flag = r.by_flag != 0;
            Reason {
                reason: if by_flag {
                    flag_text::name_zh(&r.reason).to_string()
                } else if r.reason.trim().is_empty() {
                    "（未填写原因）".to_string()
                } else {
                    r.reason.clone()
                },
                code: by_flag.then(|| r.reason.clone()),
                applications: r.applications,
                share: share(r.applications, rejected).unwrap_or(0.0),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        (b.applications, &a.reason, &a.code).cmp(&(a.applications, &b.reason, &b.code))
    });
    if out.len() > REASONS_LISTED {
        let rest = out.split_off(REASONS_LISTED - 1);
        let n: i64 = rest.iter().map(|r| r.applications).sum();
        out.push(Reason {
            reason: format!("其他 {} 种原因", rest.len()),
            code: None,
            applications: n,
            share: share(n, rejected).unwrap_or(0.0),
        });
    }
    out
}

fn time_to_review(t: &ReviewTimes) -> TimeToReview {
    let hours = |s: f64| s / 3600.0;
    TimeToReview {
        decisions: t.decisions,
        median_hours: percentile(t.decisions, &t.ranked, MEDIAN).map(hours),
        mean_hours: (t.decisions > 0).then(|| hours(t.mean_seconds)),
        p90_hours: percentile(t.decisions, &t.ranked, P90).map(hours),
    }
}

/// What the report needs to reconcile the money.
struct MoneyFacts {
    groups: Vec<PaidGroup>,
    successful: OrderSum,
    open_apps: Vec<PayRow>,
    open_orders: Vec<PaymentRow>,
}

/// Paid applications, what paid them and their fee due (fen), summed over some of them.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    paid: i64,
    revenue: i64,
    due: i64,
}

/// The paid applications summed per exam area and per qualification, with how many there
/// are, how many have exactly one payment that made them paid, and how many have no fee due.
struct PaidTally<'a> {
    by_area: BTreeMap<&'a str, Tally>,
    by_qual: BTreeMap<(u8, &'a str, &'a str), Tally>,
    paid: i64,
    one_payment: i64,
    no_due: i64,
}

fn payments(facts: &MoneyFacts, rules: &[FeeRule], province: &str, areas: &[String]) -> Payments {
    let tally = tally_paid(facts, rules, province, areas);
    let revenue: i64 = facts.groups.iter().map(|g| g.applied_fen).sum();
    let fee_due: i64 = tally.by_area.values().map(|v| v.due).sum();
    let (reconciliation, accounted) = reconciliation(facts, rules, province, revenue);
    let (problems, problems_zh) =
        money_problems(&tally, revenue, fee_due, accounted, &facts.successful);
    Payments {
        paid: tally.paid,
        revenue: Fen(revenue),
        fee_due: Fen(fee_due),
        agree: problems.is_empty(),
        problems,
        problems_zh,
        by_exam_area: tally
            .by_area
            .into_iter()
            .map(|(a, t)| AreaMoney {
                exam_area: a.to_string(),
                paid: t.paid,
                revenue: Fen(t.revenue),
                fee_due: Fen(t.due),
            })
            .collect(),
        by_qualification: tally
            .by_qual
            .into_iter()
            .map(|((_, level, q), t)| QualificationMoney {
                level: level.to_string(),
                qualification: q.to_string(),
                paid: t.paid,
                revenue: Fen(t.revenue),
                fee_due: Fen(t.due),
            })
            .collect(),
        reconciliation,
    }
}

/// Sums the paid groups per exam area (every area listed, even with none) and per
/// qualification, with the fee each group was due on its approval day.
fn tally_paid<'a>(
    facts: &'a MoneyFacts,
    rules: &[FeeRule],
    province: &str,
    areas: &'a [String],
) -> PaidTally<'a> {
    // Fee due per group: the same subjects, area and day always cost the same.
    let mut cache: HashMap<(&str, &str, &str, &str, NaiveDate), Option<Fen>> = HashMap::new();
    let mut by_area: BTreeMap<&str, Tally> = areas
        .iter()
        .map(|a| (a.as_str(), Tally::default()))
        .collect();
    let mut by_qual: BTreeMap<(u8, &str, &str), Tally> = BTreeMap::new();
    let (mut paid, mut one_payment, mut no_due) = (0, 0, 0);
    for g in &facts.groups {
        let due = g
            .approved_on
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .and_then(|on| {
                let level = Level::parse(&g.level)?;
                *cache
                    .entry((&g.exam_area, &g.qualification, &g.subjects, &g.level, on))
                    .or_insert_with(|| {
                        fee::due(
                            rules,
                            province,
                            &g.exam_area,
                            level,
                            &g.qualification,
                            &g.subjects,
                            on,
                        )
                        .ok()
                        .map(|(total, _)| total)
                    })
            });
        let due_fen = due.map_or(0, |d| d.0 * g.applications);
        if due.is_none() {
            no_due += g.applications;
        }
        paid += g.applications;
        one_payment += g.with_one_payment;
        for e in [
            by_area.entry(g.exam_area.as_str()).or_default(),
            by_qual
                .entry((
                    level_rank(&g.level).0,
                    g.level.as_str(),
                    g.qualification.as_str(),
                ))
                .or_default(),
        ] {
            e.paid += g.applications;
            e.revenue += g.applied_fen;
            e.due += due_fen;
        }
    }
    PaidTally {
        by_area,
        by_qual,
        paid,
        one_payment,
        no_due,
    }
}

/// Places every successful order: those that made applications paid (`revenue`), those a
/// withdrawn candidate keeps paid, and the rest as `payments reconcile` places them without
/// a statement. Returns the lines and what they add up to (orders, fen).
fn reconciliation(
    facts: &MoneyFacts,
    rules: &[FeeRule],
    province: &str,
    revenue: i64,
) -> (Vec<ReconLine>, (i64, i64)) {
    let (by_kind, kept_sum) = open_money(facts, rules, province);
    let line = |item, label, (orders, fen): (i64, i64), note| ReconLine {
        item,
        label,
        orders,
        amount: Fen(fen),
        note,
    };
    let kind = |k: Kind| by_kind.get(&k).copied().unwrap_or_default();
    let applied_orders: i64 = facts.groups.iter().map(|g| g.applied_payments).sum();
    let parts = [
        (applied_orders, revenue),
        kept_sum,
        kind(Kind::Missed),
        kind(Kind::Duplicate),
        kind(Kind::AmountMismatch),
        kind(Kind::NotApproved),
        kind(Kind::PaidNotInStatement),
    ];
    let accounted = parts
        .iter()
        .fold((0, 0), |acc, p| (acc.0 + p.0, acc.1 + p.1));
    let mut reconciliation = vec![
        line(
            "successful_orders",
            "成功订单合计",
            (facts.successful.orders, facts.successful.amount_fen),
            "支付网关导入及手工记录的成功支付",
        ),
        line(
            "applied",
            "已入账",
            parts[0],
            "使申请成为已缴费的支付（即实收金额）",
        ),
        line(
            "withdrawn_kept",
            "放弃报名不退费",
            parts[1],
            "已缴费后放弃、未批准退费的支付",
        ),
    ];
    for (k, note) in [
        (Kind::Missed, "审核通过且金额等于应缴，但未使申请成为已缴费"),
        (
            Kind::Duplicate,
            "同一申请多次缴费，或放弃报名获准退费：待退费",
        ),
        (Kind::AmountMismatch, "金额与应缴金额不符"),
        (Kind::NotApproved, "申请未审核通过、已逾期、已放弃或不存在"),
    ] {
        reconciliation.push(line(kind_item(k), k.zh(), kind(k), note));
    }
    reconciliation.push(line(
        "accounted",
        "分类合计",
        accounted,
        "应等于成功订单合计",
    ));
    (reconciliation, accounted)
}

/// The rest of the money, placed as `payments reconcile` places it without a statement:
/// the orders and fen per kind of finding, and those a withdrawn candidate keeps paid.
fn open_money(
    facts: &MoneyFacts,
    rules: &[FeeRule],
    province: &str,
) -> (BTreeMap<Kind, (i64, i64)>, (i64, i64)) {
    let dues = fees_due(&facts.open_apps, rules, province);
    let apps: BTreeMap<String, ReconApp> = facts
        .open_apps
        .iter()
        .zip(dues)
        .map(|(r, d)| (r.registration_no.clone(), recon_app(r, d)))
        .collect();
    let orders: BTreeMap<String, Order> = facts
        .open_orders
        .iter()
        .map(|p| (p.order_no.clone(), order_of(p)))
        .collect();
    let findings = payment::reconcile(&apps, &orders, None);
    let mut by_kind: BTreeMap<Kind, (i64, i64)> = BTreeMap::new();
    let mut placed: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for f in &findings {
        if let Some(m) = &f.money {
            let e = by_kind.entry(f.kind).or_default();
            e.0 += 1;
            e.1 += m.amount.0;
            placed.insert(m.order_no.as_str());
        }
    }
    // What a withdrawn candidate paid and keeps paid (no refund granted): no finding.
    let kept: Vec<&Order> = orders
        .values()
        .filter(|o| o.applied && !placed.contains(o.order_no.as_str()))
        .collect();
    let kept_sum = (
        kept.len() as i64,
        kept.iter().map(|o| o.amount.0).sum::<i64>(),
    );
    (by_kind, kept_sum)
}

/// Where the money does not add up, in English and in Chinese: revenue against fee due,
/// paid applications without exactly one payment or without a fee due, and orders placed
/// against successful orders.
fn money_problems(
    tally: &PaidTally,
    revenue: i64,
    fee_due: i64,
    accounted: (i64, i64),
    successful: &OrderSum,
) -> (Vec<String>, Vec<String>) {
    let (paid, one_payment, no_due) = (tally.paid, tally.one_payment, tally.no_due);
    let (mut problems, mut problems_zh) = (Vec::new(), Vec::new());
    if revenue != fee_due {
        problems.push(format!(
            "the payments that made applications paid add up to {}, their fee due to {}",
            Fen(revenue),
            Fen(fee_due)
        ));
        problems_zh.push(format!(
            "实收金额 {} 与应缴金额 {} 不符",
            Fen(revenue),
            Fen(fee_due)
        ));
    }
    if one_payment != paid {
        problems.push(format!(
            "{} of {paid} paid applications do not have exactly one payment that made them paid",
            paid - one_payment
        ));
        problems_zh.push(format!(
            "{} 份已缴费申请没有恰好一笔入账支付",
            paid - one_payment
        ));
    }
    if no_due > 0 {
        problems.push(format!(
            "{no_due} paid applications have no fee due (no approval in the journal, or a subject without a fee row on its approval day)"
        ));
        problems_zh.push(format!(
            "{no_due} 份已缴费申请无法确定应缴金额（无审核通过记录，或科目在审核通过当日无收费标准）"
        ));
    }
    if accounted != (successful.orders, successful.amount_fen) {
        problems.push(format!(
            "{} successful orders ({}) are placed, of {} ({})",
            accounted.0,
            Fen(accounted.1),
            successful.orders,
            Fen(successful.amount_fen)
        ));
        problems_zh.push(format!(
            "分类合计 {} 笔 {} 与成功订单合计 {} 笔 {} 不符",
            accounted.0,
            Fen(accounted.1),
            successful.orders,
            Fen(successful.amount_fen)
        ));
    }
    (problems, problems_zh)
}

fn seats(sittings: &[SittingInfo], sites: &[SiteInfo], uses: &[SeatUse]) -> Seats {
    let rooms: i64 = sites.iter().map(|s| s.rooms).sum();
    let usable: i64 = sites.iter().map(|s| s.usable_seats).sum();
    let mut sittings: Vec<&SittingInfo> = sittings.iter().collect();
    sittings.sort_by(|a, b| {
        (a.exam_date, a.starts_at, &a.label).cmp(&(b.exam_date, b.starts_at, &b.label))
    });
    let by_sitting: Vec<SittingSeats> = sittings
        .iter()
        .map(|t| {
            let of: Vec<&SeatUse> = uses.iter().filter(|u| u.sitting_id == t.id).collect();
            let used: i64 = of.iter().map(|u| u.used).sum();
            let opened: i64 = of.iter().map(|u| u.capacity).sum();
            SittingSeats {
                sitting: t.label.clone(),
                date: t.exam_date,
                starts_at: t.starts_at.format("%H:%M").to_string(),
                ends_at: t.ends_at.format("%H:%M").to_string(),
                sites_used: of.len() as i64,
                rooms_used: of.iter().map(|u| u.rooms).sum(),
                capacity_of_rooms_used: opened,
                capacity: usable,
                seats_used: used,
                share_used: share(used, usable),
                share_of_rooms_used: share(used, opened),
            }
        })
        .collect();
    let mut site_list: Vec<&SiteInfo> = sites.iter().collect();
    site_list.sort_by(|a, b| (&a.exam_area, &a.code).cmp(&(&b.exam_area, &b.code)));
    let n_sittings = sittings.len() as i64;
    let by_site: Vec<SiteSeats> = site_list
        .iter()
        .map(|s| {
            let of: Vec<&SeatUse> = uses.iter().filter(|u| u.site_id == s.id).collect();
            let used: i64 = of.iter().map(|u| u.used).sum();
            SiteSeats {
                exam_area: s.exam_area.clone(),
                site_code: s.code.clone(),
                site_name: s.name.clone(),
                rooms: s.rooms,
                usable_seats: s.usable_seats,
                sittings_used: of.len() as i64,
                capacity: s.usable_seats * n_sittings,
                seats_used: used,
                share_used: share(used, s.usable_seats * n_sittings),
            }
        })
        .collect();
    let used: i64 = uses.iter().map(|u| u.used).sum();
    Seats {
        sites: sites.len() as i64,
        rooms,
        usable_seats: usable,
        capacity: usable * n_sittings,
        seats_used: used,
        share_used: share(used, usable * n_sittings),
        by_sitting,
        by_site,
    }
}

// ---------------------------------------------------------------------------------------
// the command

pub async fn run(g: &GlobalArgs, args: &ReportArgs) -> Result<()> {
    let to_stdout = match &args.out {
        Some(out) => super::out_is_stdout(g, out)?,
        None => false,
    };
    let mut t = crate::progress::Phases::new();
    let db = connect(g).await?;
    // One read transaction: every figure describes the same moment.
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let id = session.id;
    let counts = tx.report_app_counts(id).await?;
    let areas = tx.exam_areas(id).await?;
    t.mark("applications");
    let rejections = tx.report_rejections(id).await?;
    t.mark("rejections");
    let times = tx.report_review_times(id, &[MEDIAN, P90]).await?;
    t.mark("time to review");
    let rules = tx.fees(id).await?;
    let (open_apps, open_orders) = tx.report_open_money(id).await?;
    t.mark("open money");
    let money = MoneyFacts {
        groups: tx.report_paid_groups(id).await?,
        successful: tx.report_successful_orders(id).await?,
        open_apps,
        open_orders,
    };
    t.mark("paid groups");
    let sittings = tx.report_sittings(id).await?;
    let sites = tx.report_sites(id).await?;
    let uses = tx.report_seat_use(id).await?;
    t.mark("seats");
    let day = ExamDay::load(&mut tx, id).await?;
    t.mark("exam-day seats");
    let recorded = tx.attendance(id).await?;
    let cases = tx.violations(id).await?;
    t.mark("attendance and cases");
    let exam_day = figures(&day, &recorded, &cases);
    drop((day, recorded, cases));
    t.mark("exam day");
    // A session without scores reads none of its candidates' results (1 s at 200,000).
    let results = if tx.scores_fingerprint(id).await?.0 == 0 {
        super::results::not_scored()
    } else {
        super::results::figures(&Results::load(&mut tx, id).await?)
    };
    t.mark("results");
    drop(tx);
    db.close().await;

    let apps = applications(&counts, areas);
    let funnel = funnel(&counts);
    let rejected = funnel.rejected;
    let report = Report {
        session: session.code.clone(),
        name: session.name.clone(),
        generated_at: now().format("%Y-%m-%d %H:%M:%S").to_string(),
        workbook: args.out.as_ref().map(|p| p.display().to_string()),
        payments: payments(&money, &rules, &session.province, &apps.exam_areas),
        applications: apps,
        review: Review {
            rejection_reasons: reasons(&rejections, rejected),
            rejected,
            funnel,
            time_to_review: time_to_review(&times),
        },
        seats: seats(&sittings, &sites, &uses),
        attendance: attendance(exam_day),
        results,
    };
    if let Some(out) = &args.out {
        write_workbook(out, &report)?;
        t.mark("workbook");
    }
    if to_stdout {
        // Standard output carried the workbook.
        return Ok(());
    }
    if g.json {
        return print_json(&report);
    }
    print_summary(&report)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// the workbook

/// The JSON name of a reconciliation finding.
fn kind_item(k: Kind) -> &'static str {
    match k {
        Kind::Missed => "missed",
        Kind::PaidNotInStatement => "paid_not_in_statement",
        Kind::Duplicate => "duplicate",
        Kind::AmountMismatch => "amount_mismatch",
        Kind::NotApproved => "not_approved",
    }
}

/// A chart of one series whose categories and values are ranges of the sheet `sheet`:
/// (first row, first column, last row, last column).
fn chart_of(
    mut chart: Chart,
    title: &str,
    series: &str,
    sheet: &str,
    categories: (u32, u16, u32, u16),
    values: (u32, u16, u32, u16),
) -> Chart {
    chart.title().set_name(title);
    chart.legend().set_hidden();
    let (c0, c1, c2, c3) = categories;
    let (v0, v1, v2, v3) = values;
    chart
        .add_series()
        .set_name(series)
        .set_categories((sheet, c0, c1, c2, c3))
        .set_values((sheet, v0, v1, v2, v3))
        .set_data_label(ChartDataLabel::new().show_value());
    chart
}

fn write_workbook(out: &Path, r: &Report) -> Result<()> {
    let mut book = Book::new();
    write_summary(&mut book, r)?;
    write_applications(&mut book, r)?;
    write_review(&mut book, r)?;
    write_payments(&mut book, r)?;
    write_seats(&mut book, r)?;
    write_attendance(&mut book, r)?;
    write_results(&mut book, r)?;
    book.save(out)?;
    Ok(())
}

/// A sheet of the report, its printed pages headed with the session and the sheet.
fn sheet<'b>(book: &'b mut Book, r: &Report, name: &str) -> Result<Sheet<'b>> {
    let title = format!("{} {} 统计报表：{name}", r.session, r.name);
    Ok(book.sheet(name, &title)?)
}

fn write_summary(book: &mut Book, r: &Report) -> Result<()> {
    let mut s = sheet(book, r, "汇总")?;
    s.no_filter();
    s.header(&["项目", "数值", "说明"])?;
    let a = &r.applications;
    let v = &r.review;
    let p = &r.payments;
    let t = &v.time_to_review;
    let session = format!("{} {}", r.session, r.name);
    let generated = NaiveDateTime::parse_from_str(&r.generated_at, "%Y-%m-%d %H:%M:%S")
        .map_or(Cell::Text(&r.generated_at), Cell::DateTime);
    let verdict = if p.agree { "一致" } else { "不一致" };
    let problems = p.problems_zh.join("；");
    let seats_note = format!(
        "{} 个考点、{} 个考场，每场 {} 个可用座位，共 {} 场",
        grouped(r.seats.sites),
        grouped(r.seats.rooms),
        grouped(r.seats.usable_seats),
        r.seats.by_sitting.len()
    );
    let rows: Vec<(&str, Cell<'_>, &str)> = vec![
        ("考试批次", Cell::Text(&session), ""),
        ("生成时间", generated, ""),
        ("报名人数", Cell::Count(a.total), "全部报名（提交）"),
        ("考区数", Cell::Count(a.exam_areas.len() as i64), ""),
        ("待审核", Cell::Count(v.funnel.pending), ""),
        (
            "审核通过",
            Cell::Count(v.funnel.approved),
            "含已缴费、逾期未缴费",
        ),
        ("审核未通过", Cell::Count(v.funnel.rejected), ""),
        ("已放弃", Cell::Count(v.funnel.withdrawn), ""),
        ("已缴费", Cell::Count(v.funnel.paid), "报名成功，含已编排"),
        ("已编排", Cell::Count(v.funnel.seated), ""),
        ("逾期未缴费", Cell::Count(v.funnel.expired), ""),
        (
            "审核决定数",
            Cell::Count(t.decisions),
            "有效的审核通过/不通过决定",
        ),
        (
            "审核用时中位数（小时）",
            Cell::Decimal(t.median_hours),
            "从提交（或导入）到审核决定",
        ),
        ("审核用时平均值（小时）", Cell::Decimal(t.mean_hours), ""),
        ("审核用时90%分位（小时）", Cell::Decimal(t.p90_hours), ""),
        ("实收金额", Cell::Money(p.revenue), "使申请成为已缴费的支付"),
        (
            "应缴金额",
            Cell::Money(p.fee_due),
            "已缴费申请按审核通过当日的收费标准",
        ),
        ("对账结论", Cell::Text(verdict), &problems),
        ("已用座位（人次）", Cell::Count(r.seats.seats_used), ""),
        (
            "座位容量（座位×场次）",
            Cell::Count(r.seats.capacity),
            &seats_note,
        ),
        ("座位使用率", Cell::Share(r.seats.share_used), ""),
    ];
    let a = &r.attendance;
    let shown = format!(
        "应考 {} / 实考 {} / 缺考 {} / 违纪 {}（人科次）",
        a.figures.total.expected, a.figures.total.sat, a.figures.total.absent, a.figures.total.void
    );
    let rows = rows
        .into_iter()
        .chain(std::iter::once(if a.figures.recorded {
            ("考勤（人科次）", Cell::Text(&shown), a.note.as_str())
        } else {
            ("考勤（到考/缺考）", Cell::Text("未记录"), a.note.as_str())
        }));
    let rate = a.figures.total.participation_rate;
    let rows = rows.chain(a.figures.recorded.then_some((
        "参考率（实考/应考）",
        Cell::Share(rate),
        "",
    )));
    for (label, value, note) in rows {
        s.row(&[Cell::Text(label), value, Cell::Text(note)])?;
    }
    Ok(())
}

fn write_applications(book: &mut Book, r: &Report) -> Result<()> {
    let a = &r.applications;
    let name = "报名统计";
    let mut s = sheet(book, r, name)?;
    let mut header = vec!["级别", "报考资格"];
    header.extend(a.exam_areas.iter().map(String::as_str));
    header.push("合计");
    s.header(&header)?;
    let counts = |m: &BTreeMap<String, i64>, total: i64| -> Vec<i64> {
        let mut v: Vec<i64> = a.exam_areas.iter().map(|x| m[x]).collect();
        v.push(total);
        v
    };
    for q in &a.by_qualification {
        let mut cells = vec![Cell::Text(&q.level), Cell::Text(&q.qualification)];
        cells.extend(
            counts(&q.by_exam_area, q.applications)
                .into_iter()
                .map(Cell::Count),
        );
        s.row(&cells)?;
    }
    for l in &a.by_level {
        let mut cells = vec![Cell::Text(&l.level), Cell::Text("小计")];
        cells.extend(
            counts(&l.by_exam_area, l.applications)
                .into_iter()
                .map(Cell::Count),
        );
        s.total(&cells)?;
    }
    let total_row = (a.by_qualification.len() + a.by_level.len() + 1) as u32;
    let mut cells = vec![Cell::Text("合计"), Cell::Empty];
    cells.extend(
        counts(&a.by_exam_area, a.total)
            .into_iter()
            .map(Cell::Count),
    );
    s.total(&cells)?;
    let n = a.exam_areas.len() as u16;
    if n > 0 {
        s.chart(&mut chart_of(
            Chart::new_column(),
            "各考区报名人数",
            "报名人数",
            name,
            (0, 2, 0, 1 + n),
            (total_row, 2, total_row, 1 + n),
        ))?;
    }
    Ok(())
}

fn write_review(book: &mut Book, r: &Report) -> Result<()> {
    let v = &r.review;
    let name = "审核";
    let mut s = sheet(book, r, name)?;
    s.no_filter();
    s.header(&["阶段", "人数", "占提交比例", "说明"])?;
    let rows = v.funnel.rows();
    for (_, label, n, note) in &rows {
        s.row(&[
            Cell::Text(label),
            Cell::Count(*n),
            Cell::Share(share(*n, v.funnel.submitted)),
            Cell::Text(note),
        ])?;
    }
    let last = rows.len() as u32;
    let mut chart = chart_of(
        Chart::new_bar(),
        "审核漏斗",
        "人数",
        name,
        (1, 0, last, 0),
        (1, 1, last, 1),
    );
    // Bars read top-down, from 提交, with the value axis kept below them.
    chart
        .y_axis()
        .set_reverse()
        .set_crossing(ChartAxisCrossing::Max);
    s.chart(&mut chart)?;

    let mut s = sheet(book, r, "不通过原因")?;
    s.header(&["排名", "原因", "标识", "人数", "占审核未通过比例"])?;
    for (i, reason) in v.rejection_reasons.iter().enumerate() {
        s.row(&[
            Cell::Count(i as i64 + 1),
            Cell::Text(&reason.reason),
            Cell::Text(reason.code.as_deref().unwrap_or("")),
            Cell::Count(reason.applications),
            Cell::Share(Some(reason.share)),
        ])?;
    }
    s.total(&[
        Cell::Text("审核未通过"),
        Cell::Text("一份申请有多个原因时各计一次"),
        Cell::Empty,
        Cell::Count(v.rejected),
        Cell::Share(share(v.rejected, v.funnel.submitted)),
    ])?;
    Ok(())
}

fn write_payments(book: &mut Book, r: &Report) -> Result<()> {
    let p = &r.payments;
    let name = "缴费";
    let mut s = sheet(book, r, name)?;
    s.header(&["考区", "已缴费人数", "实收金额", "应缴金额", "差额"])?;
    for a in &p.by_exam_area {
        s.row(&[
            Cell::Text(&a.exam_area),
            Cell::Count(a.paid),
            Cell::Money(a.revenue),
            Cell::Money(a.fee_due),
            Cell::Money(Fen(a.revenue.0 - a.fee_due.0)),
        ])?;
    }
    let last = p.by_exam_area.len() as u32;
    s.total(&[
        Cell::Text("合计"),
        Cell::Count(p.paid),
        Cell::Money(p.revenue),
        Cell::Money(p.fee_due),
        Cell::Money(Fen(p.revenue.0 - p.fee_due.0)),
    ])?;
    if last > 0 {
        let mut chart = chart_of(
            Chart::new_column(),
            "各考区实收金额（元）",
            "实收金额",
            name,
            (1, 0, last, 0),
            (1, 2, last, 2),
        );
        chart.y_axis().set_num_format("\"¥\"#,##0");
        s.chart(&mut chart)?;
    }

    let mut s = sheet(book, r, "资格缴费")?;
    s.header(&[
        "级别",
        "报考资格",
        "已缴费人数",
        "实收金额",
        "应缴金额",
        "差额",
    ])?;
    for q in &p.by_qualification {
        s.row(&[
            Cell::Text(&q.level),
            Cell::Text(&q.qualification),
            Cell::Count(q.paid),
            Cell::Money(q.revenue),
            Cell::Money(q.fee_due),
            Cell::Money(Fen(q.revenue.0 - q.fee_due.0)),
        ])?;
    }
    s.total(&[
        Cell::Text("合计"),
        Cell::Empty,
        Cell::Count(p.paid),
        Cell::Money(p.revenue),
        Cell::Money(p.fee_due),
        Cell::Money(Fen(p.revenue.0 - p.fee_due.0)),
    ])?;

    let mut s = sheet(book, r, "对账")?;
    s.no_filter();
    s.header(&["项目", "笔数", "金额", "说明"])?;
    for l in &p.reconciliation {
        let cells = [
            Cell::Text(l.label),
            Cell::Count(l.orders),
            Cell::Money(l.amount),
            Cell::Text(l.note),
        ];
        if matches!(l.item, "successful_orders" | "accounted") {
            s.total(&cells)?;
        } else {
            s.row(&cells)?;
        }
    }
    let verdict = if p.agree { "一致" } else { "不一致" };
    let problems = if p.agree {
        "实收金额等于应缴金额，每份已缴费申请有一笔入账支付，成功订单全部归类".to_string()
    } else {
        p.problems_zh.join("；")
    };
    s.total(&[
        Cell::Text("对账结论"),
        Cell::Text(verdict),
        Cell::Empty,
        Cell::Text(&problems),
    ])?;
    Ok(())
}

fn write_seats(book: &mut Book, r: &Report) -> Result<()> {
    let t = &r.seats;
    let mut s = sheet(book, r, "考场")?;
    s.header(&[
        "场次",
        "考试日期",
        "开始时间",
        "结束时间",
        "使用考点",
        "使用考场",
        "使用考场座位",
        "已用座位",
        "考场使用率",
        "全部可用座位",
        "座位使用率",
    ])?;
    for x in &t.by_sitting {
        s.row(&[
            Cell::Text(&x.sitting),
            Cell::Date(x.date),
            Cell::Text(&x.starts_at),
            Cell::Text(&x.ends_at),
            Cell::Count(x.sites_used),
            Cell::Count(x.rooms_used),
            Cell::Count(x.capacity_of_rooms_used),
            Cell::Count(x.seats_used),
            Cell::Share(x.share_of_rooms_used),
            Cell::Count(x.capacity),
            Cell::Share(x.share_used),
        ])?;
    }
    let opened: i64 = t.by_sitting.iter().map(|x| x.capacity_of_rooms_used).sum();
    s.total(&[
        Cell::Text("合计"),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Count(t.by_sitting.iter().map(|x| x.rooms_used).sum()),
        Cell::Count(opened),
        Cell::Count(t.seats_used),
        Cell::Share(share(t.seats_used, opened)),
        Cell::Count(t.capacity),
        Cell::Share(t.share_used),
    ])?;

    let mut s = sheet(book, r, "考点")?;
    s.header(&[
        "考区",
        "考点代码",
        "考点名称",
        "考场数",
        "每场可用座位",
        "使用场次",
        "座位容量",
        "已用座位",
        "座位使用率",
    ])?;
    for x in &t.by_site {
        s.row(&[
            Cell::Text(&x.exam_area),
            Cell::Text(&x.site_code),
            Cell::Text(&x.site_name),
            Cell::Count(x.rooms),
            Cell::Count(x.usable_seats),
            Cell::Count(x.sittings_used),
            Cell::Count(x.capacity),
            Cell::Count(x.seats_used),
            Cell::Share(x.share_used),
        ])?;
    }
    s.total(&[
        Cell::Text("合计"),
        Cell::Empty,
        Cell::Empty,
        Cell::Count(t.rooms),
        Cell::Count(t.usable_seats),
        Cell::Empty,
        Cell::Count(t.capacity),
        Cell::Count(t.seats_used),
        Cell::Share(t.share_used),
    ])?;
    Ok(())
}

fn write_attendance(book: &mut Book, r: &Report) -> Result<()> {
    let a = &r.attendance;
    if !a.figures.recorded {
        let mut s = sheet(book, r, "考勤")?;
        s.no_filter();
        s.header(&["项目", "人数", "说明"])?;
        for label in ["到考", "缺考"] {
            s.row(&[Cell::Text(label), Cell::Text("未记录"), Cell::Text(&a.note)])?;
        }
        return Ok(());
    }
    let f = &a.figures;
    let tables: [AttendanceTable<'_>; 5] = [
        ("考勤", &[("exam_area", "考区")], &f.by_exam_area),
        (
            "考勤考点",
            &[
                ("exam_area", "考区"),
                ("site_code", "考点代码"),
                ("site_name", "考点名称"),
            ],
            &f.by_site,
        ),
        ("考勤级别", &[("level", "级别")], &f.by_level),
        (
            "考勤资格",
            &[("level", "级别"), ("qualification", "资格名称")],
            &f.by_qualification,
        ),
        (
            "考勤科目",
            &[
                ("sitting", "场次"),
                ("date", "考试日期"),
                ("starts_at", "开始时间"),
                ("subject", "科目"),
            ],
            &f.by_subject,
        ),
    ];
    for (name, keys, groups) in tables {
        let mut s = sheet(book, r, name)?;
        s.title_line(&format!(
            "单位：人科次（一名考生一个科目计一次）；应考 = 实考 + 缺考 + 未录入；违纪为实考中成绩因违纪违规无效者。{}",
            a.note
        ))?;
        let mut header: Vec<&str> = keys.iter().map(|(_, h)| *h).collect();
        header.extend(ATTENDANCE_COLUMNS);
        s.header(&header)?;
        for g in groups {
            let mut cells: Vec<Cell<'_>> = keys
                .iter()
                .map(|(k, _)| Cell::Text(g.key.get(k).map_or("", String::as_str)))
                .collect();
            cells.extend(figure_cells(&g.figures));
            s.row(&cells)?;
        }
        let mut total: Vec<Cell<'_>> = vec![Cell::Text("合计")];
        total.extend(std::iter::repeat_n(Cell::Empty, keys.len() - 1));
        total.extend(figure_cells(&f.total));
        s.total(&total)?;
    }
    Ok(())
}

/// A sheet of the exam-day figures: its name, its key columns (key, header), its groups.
type AttendanceTable<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a [Grouped]);

const ATTENDANCE_COLUMNS: [&str; 8] = [
    "应考",
    "实考",
    "缺考",
    "违纪",
    "未录入",
    "参考率（实考/应考）",
    "缺考率（缺考/应考）",
    "违纪率（违纪/实考）",
];

fn figure_cells(f: &Figures) -> [Cell<'static>; 8] {
    [
        Cell::Count(f.expected as i64),
        Cell::Count(f.sat as i64),
        Cell::Count(f.absent as i64),
        Cell::Count(f.void as i64),
        Cell::Count(f.unrecorded as i64),
        Cell::Share(f.participation_rate),
        Cell::Share(f.absence_rate),
        Cell::Share(f.violation_rate),
    ]
}

// ---------------------------------------------------------------------------------------
// the page on the terminal

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| format!("{:.1}%", v * 100.0))
}

fn hours(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| format!("{v:.1} h"))
}

/// Prints the report for a person: the applications, the review, the money and the seats.
fn print_summary(r: &Report) -> Result<()> {
    let a = &r.applications;
    outln!(
        "report of session {} ({}): {} applications in {} exam areas",
        r.session,
        r.name,
        a.total,
        a.exam_areas.len()
    )?;
    print_review(r)?;
    print_payments(r)?;
    print_seats(r)?;
    print_attendance(r)?;
    print_results(r)?;
    if let Some(w) = &r.workbook {
        outln!("wrote {w}")?;
    }
    Ok(())
}

/// The exam-day figures: the session's, then by sitting and subject.
fn print_attendance(r: &Report) -> Result<()> {
    let f = &r.attendance.figures;
    if !f.recorded {
        outln!("attendance: not recorded yet (到考/缺考 未记录)")?;
        return Ok(());
    }
    let (t, p) = (&f.total, &f.candidates);
    outln!(
        "exam day: {} candidates seated, {} sat, {} absent from every subject, {} with a result void; \
         in candidate-subjects (人科次): 应考 {}, 实考 {}, 缺考 {}, 违纪 {}, 未录入 {}; 参考率 (实考/应考) {}",
        p.expected,
        p.sat,
        p.absent,
        p.void,
        t.expected,
        t.sat,
        t.absent,
        t.void,
        t.unrecorded,
        pct(t.participation_rate)
    )?;
    let mut tb = table(&[
        "场次",
        "日期",
        "科目",
        "应考",
        "实考",
        "缺考",
        "违纪",
        "参考率",
    ]);
    for g in &f.by_subject {
        let k = |name| g.key.get(name).cloned().unwrap_or_default();
        tb.add_row(vec![
            k("sitting"),
            format!("{} {}", k("date"), k("starts_at")),
            k("subject"),
            g.figures.expected.to_string(),
            g.figures.sat.to_string(),
            g.figures.absent.to_string(),
            g.figures.void.to_string(),
            pct(g.figures.participation_rate),
        ]);
    }
    outln!("{tb}")?;
    Ok(())
}

/// The pass rates, each named with its denominator, and the expected recheck load.
fn print_results(r: &Report) -> Result<()> {
    let f = &r.results;
    if !f.scored || !f.judged {
        outln!("results: {}", f.note)?;
        if !f.scored {
            return Ok(());
        }
    }
    let t = &f.total;
    outln!(
        "results: {} 报考, {} 全科参考 (sat every subject), {} 合格; 合格率 = 合格/全科参考 {}, = 合格/报考 {}",
        t.applied,
        t.sat_all,
        t.passed,
        pct(t.pass_rate_of_sat_all),
        pct(t.pass_rate_of_applied)
    )?;
    let mut tb = table(&[
        "级别",
        "报考",
        "全科参考",
        "合格",
        "合格/全科参考",
        "合格/报考",
    ]);
    for g in &f.by_level {
        tb.add_row(pass_cells(&g.level, &g.count));
    }
    outln!("{tb}")?;
    let near: Vec<String> = f
        .near_mark
        .iter()
        .map(|n| format!("{} {}", n.subject, n.at_43_44))
        .collect();
    outln!(
        "at 43 to 44.5, a little under the mark (the recheck load to expect): {}",
        near.join(", ")
    )?;
    Ok(())
}

fn pass_cells(label: &str, c: &PassCount) -> Vec<String> {
    vec![
        label.to_string(),
        c.applied.to_string(),
        c.sat_all.to_string(),
        c.passed.to_string(),
        pct(c.pass_rate_of_sat_all),
        pct(c.pass_rate_of_applied),
    ]
}

fn write_results(book: &mut Book, r: &Report) -> Result<()> {
    let f = &r.results;
    if !f.scored {
        return Ok(());
    }
    let mut s = sheet(book, r, "合格率")?;
    s.header(&[
        "考区",
        "级别",
        "资格名称",
        "报考",
        "全科参考",
        "合格",
        "合格率（合格/全科参考）",
        "合格率（合格/报考）",
    ])?;
    for g in &f.by_group {
        let c = &g.count;
        s.row(&[
            Cell::Text(&g.exam_area),
            Cell::Text(&g.level),
            Cell::Text(&g.qualification),
            Cell::Count(c.applied),
            Cell::Count(c.sat_all),
            Cell::Count(c.passed),
            Cell::Share(c.pass_rate_of_sat_all),
            Cell::Share(c.pass_rate_of_applied),
        ])?;
    }
    let t = &f.total;
    s.total(&[
        Cell::Text("合计"),
        Cell::Empty,
        Cell::Empty,
        Cell::Count(t.applied),
        Cell::Count(t.sat_all),
        Cell::Count(t.passed),
        Cell::Share(t.pass_rate_of_sat_all),
        Cell::Share(t.pass_rate_of_applied),
    ])?;
    let mut s = sheet(book, r, "复核预估")?;
    s.no_filter();
    s.header(&["科目", "有成绩", "43至44.5分"])?;
    for n in &f.near_mark {
        s.row(&[
            Cell::Text(n.subject),
            Cell::Count(n.scored),
            Cell::Count(n.at_43_44),
        ])?;
    }
    Ok(())
}

/// The review funnel, the time to review, and the commonest reasons for rejection.
fn print_review(r: &Report) -> Result<()> {
    let v = &r.review;
    let fu = &v.funnel;
    outln!(
        "review:   提交 {} = 待审核 {} + 审核通过 {} + 审核未通过 {} + 已放弃 {}",
        fu.submitted,
        fu.pending,
        fu.approved,
        fu.rejected,
        fu.withdrawn
    )?;
    outln!(
        "          审核通过 {} = 已缴费 {} (已编排 {}) + 逾期未缴费 {} + 未缴费 {}",
        fu.approved,
        fu.paid,
        fu.seated,
        fu.expired,
        fu.approved_unpaid
    )?;
    let t = &v.time_to_review;
    outln!(
        "          time to review over {} decisions: median {}, mean {}, 90th percentile {}",
        t.decisions,
        hours(t.median_hours),
        hours(t.mean_hours),
        hours(t.p90_hours)
    )?;
    if !v.rejection_reasons.is_empty() {
        let top: Vec<String> = v
            .rejection_reasons
            .iter()
            .take(5)
            .map(|x| format!("{} {} ({})", x.reason, x.applications, pct(Some(x.share))))
            .collect();
        outln!("          rejected for: {}", top.join(", "))?;
    }
    Ok(())
}

/// Revenue against fee due, any problems, the other successful orders, and a table per
/// exam area.
fn print_payments(r: &Report) -> Result<()> {
    let a = &r.applications;
    let p = &r.payments;
    outln!(
        "payments: {} paid, revenue {} and fee due {}: {}",
        p.paid,
        p.revenue,
        p.fee_due,
        if p.agree {
            "they agree"
        } else {
            "they do NOT agree"
        }
    )?;
    for problem in &p.problems {
        outln!("          {problem}")?;
    }
    let open: Vec<String> = p
        .reconciliation
        .iter()
        .filter(|l| {
            !matches!(l.item, "successful_orders" | "applied" | "accounted") && l.orders > 0
        })
        .map(|l| format!("{} {} ({})", l.label, l.orders, l.amount))
        .collect();
    if !open.is_empty() {
        outln!("          other successful orders: {}", open.join(", "))?;
    }
    let mut t = table(&["考区", "报名", "已缴费", "实收", "应缴"]);
    for m in &p.by_exam_area {
        t.add_row(vec![
            m.exam_area.clone(),
            a.by_exam_area
                .get(&m.exam_area)
                .copied()
                .unwrap_or(0)
                .to_string(),
            m.paid.to_string(),
            m.revenue.to_string(),
            m.fee_due.to_string(),
        ]);
    }
    outln!("{t}")?;
    Ok(())
}

/// Seats used of the capacity, and a table per sitting.
fn print_seats(r: &Report) -> Result<()> {
    let s = &r.seats;
    outln!(
        "seats:    {} of {} used ({}): {} sites, {} rooms, {} usable seats in each of {} sittings",
        s.seats_used,
        s.capacity,
        pct(s.share_used),
        s.sites,
        s.rooms,
        s.usable_seats,
        s.by_sitting.len()
    )?;
    let mut t = table(&[
        "场次",
        "日期",
        "时间",
        "考点",
        "考场",
        "已用座位",
        "考场使用率",
    ]);
    for x in &s.by_sitting {
        t.add_row(vec![
            x.sitting.clone(),
            x.date.to_string(),
            format!("{}-{}", x.starts_at, x.ends_at),
            x.sites_used.to_string(),
            x.rooms_used.to_string(),
            x.seats_used.to_string(),
            pct(x.share_of_rooms_used),
        ]);
    }
    outln!("{t}")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_between_ranks() {
        // 1, 2, 3, 4: the median lies halfway between 2 and 3.
        let ranked = [(1, 1), (2, 2), (3, 3), (4, 4)];
        assert_eq!(percentile(4, &ranked, MEDIAN), Some(2.5));
        // (4 - 1) * 0.9 = 2.7: 70% of the way from the 3rd value to the 4th.
        assert!((percentile(4, &ranked, P90).unwrap() - 3.7).abs() < 1e-9);
        assert_eq!(percentile(1, &[(1, 7)], P90), Some(7.0));
        assert_eq!(percentile(0, &[], MEDIAN), None);
    }

    #[test]
    fn the_funnel_adds_up() {
        let c = |status: &str, n| AppCount {
            exam_area: "丽江".into(),
            level: "初级".into(),
            qualification: "程序员".into(),
            status: status.into(),
            applications: n,
        };
        let f = funnel(&[
            c("submitted", 2),
            c("approved", 3),
            c("rejected", 4),
            c("paid", 5),
            c("seated", 6),
            c("expired", 7),
            c("withdrawn", 8),
        ]);
        assert_eq!(f.submitted, 35);
        assert_eq!(
            f.submitted,
            f.pending + f.approved + f.rejected + f.withdrawn
        );
        assert_eq!((f.approved, f.paid, f.seated), (21, 11, 6));
    }
}
