//! `kaowu applications list|show|fix|set|withdraw|photo`: finding applications and the
//! office's one-off corrections, each previewed, journalled with old and new values, and
//! undone by batch with `kaowu review undo`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use serde::Serialize;

use super::batch::{Change, Written, apply};
use super::books::fees_due;
use super::checks::run_check;
use super::intake::{APPLICATIONS, Offered, field_changes, offered, reject_if_any, rejected_from};
use super::{Ctx, Rejected, connect, current_session, print_json, table};
use crate::cli::{ApplicationsCommand, Confirm, GlobalArgs, ListFilter, ReadArgs};
use crate::db::Tx;
use crate::db::applications::NewApplication;
use crate::db::corrections::ListRow;
use crate::db::payments::PayRow;
use crate::db::review::JournalRow;
use crate::db::sessions::SessionRow;
use crate::io::photos::{PhotoDir, fingerprint};
use crate::io::table::{self, Cells, Column, Problems, Schema, Value};
use crate::io::write::spreadsheet_safe;
use crate::model::application::{self, Facts, PhotoFacts, Severity, Status};
use crate::model::codes::{ZeroPadded, twin_message};
use crate::model::date::parse_date;
use crate::model::fee::{self, FeeRule, match_area};
use crate::model::level::Level;
use crate::model::money::Fen;
use crate::model::text::{header_key, matches_pattern};

#[derive(Serialize)]
struct FeeLine {
    subject: String,
    amount: Fen,
    /// The fee row, e.g. `云南 / 中级 / all qualifications / all subjects from 2026-01-01`.
    row: String,
    source: String,
}

#[derive(Serialize)]
struct PaymentView {
    order_no: String,
    amount: Fen,
    paid_at: Option<String>,
    channel: String,
    result: String,
    source: String,
    evidence: String,
    /// The batch in which it made the application paid.
    applied_batch: Option<i64>,
}

#[derive(Serialize)]
struct Flag {
    code: String,
    severity: String,
    message: String,
}

#[derive(Serialize)]
struct Shown {
    registration_no: String,
    status: Status,
    status_reason: String,
    qualification: String,
    level: String,
    fields: Vec<(&'static str, String)>,
    flags: Vec<Flag>,
    approved_on: Option<String>,
    fee_due: Option<Fen>,
    fee_lines: Vec<FeeLine>,
    /// Why there is no fee due, when there is none.
    fee_problem: Option<String>,
    payments: Vec<PaymentView>,
    seats: Vec<crate::db::seating::SeatView>,
    /// 准考证号.
    admit_card: Option<String>,
    /// What a correction made out of date since seating: `card`, `seat,card`.
    stale: String,
    /// Attendance per subject in exam order, once recorded.
    attendance: Vec<SubjectState>,
    /// Violation cases.
    violations: Vec<CaseLine>,
    /// Scores in exam order, the decision, rechecks and the certificate, once imported.
    results: ResultsView,
    history: Vec<JournalRow>,
}

#[derive(Serialize, Default)]
struct ResultsView {
    scores: Vec<ScoreLine>,
    /// 合格 or 不合格, once judged.
    verdict: Option<&'static str>,
    /// Why not: `应用技术 44.5 < 45；论文 缺考`.
    failed: String,
    rechecks: Vec<RecheckLine>,
    certificate: Option<CertificateLine>,
}

#[derive(Serialize)]
struct ScoreLine {
    subject: String,
    /// `44.5`, `缺考` or `违纪`.
    score: String,
}

#[derive(Serialize)]
struct RecheckLine {
    reference: String,
    subject: String,
    requested_on: String,
    result: String,
    new_score: Option<String>,
}

#[derive(Serialize)]
struct CertificateLine {
    cert_no: String,
    by_post: bool,
    issued_how: Option<String>,
    issued_on: Option<String>,
    waybill: String,
}

/// A candidate's results as `applications show` gives them.
fn results_view(r: crate::db::scores::ResultsOf) -> ResultsView {
    use super::results::{shown, stored_entry};
    let tenths = |n: i64| crate::model::score::Score(u16::try_from(n).unwrap_or(0)).to_string();
    let mut scores: Vec<ScoreLine> = r
        .scores
        .into_iter()
        .filter_map(|(subject, entry, score)| {
            Some(ScoreLine {
                score: shown(stored_entry(&entry, score)?),
                subject,
            })
        })
        .collect();
    scores.sort_by_key(|s| crate::model::plan::exam_rank(&s.subject));
    ResultsView {
        scores,
        verdict: r
            .verdict
            .as_ref()
            .map(|v| super::results::verdict_word(v.0 == 1)),
        failed: r.verdict.map(|v| v.1).unwrap_or_default(),
        rechecks: r
            .rechecks
            .into_iter()
            .map(|x| RecheckLine {
                reference: x.reference,
                subject: x.subject,
                requested_on: x.requested_on,
                result: x.result,
                new_score: x.new_score.map(tenths),
            })
            .collect(),
        certificate: r.certificate.map(|c| CertificateLine {
            cert_no: c.cert_no,
            by_post: c.by_post == 1,
            issued_how: c.issued_how,
            issued_on: c.issued_on,
            waybill: c.waybill,
        }),
    }
}

/// A subject's attendance, and the case that voids its result if one does.
#[derive(Serialize)]
struct SubjectState {
    subject: String,
    state: String,
    void_by: Option<String>,
}

#[derive(Serialize)]
struct CaseLine {
    case_no: String,
    subject: String,
    clause: String,
    consequence: &'static str,
    step: String,
}

/// A candidate's attendance in exam order with what voids it, and their cases.
fn exam_day_of(
    recorded: Vec<(String, String)>,
    cases: &[crate::db::exam_day::ViolationRow],
) -> (Vec<SubjectState>, Vec<CaseLine>) {
    use crate::model::violation::Clause;
    let clause = |v: &crate::db::exam_day::ViolationRow| Clause::parse(&v.clause).ok();
    let mut states: Vec<SubjectState> = recorded
        .into_iter()
        .map(|(subject, state)| {
            // A result is void only where there is one: the candidate sat the subject.
            let sat = state != "absent";
            let void_by = cases
                .iter()
                .filter(|_| sat)
                .find(|v| {
                    clause(v).is_some_and(|c| {
                        let c = c.consequence();
                        c.voids_results() && (c.whole_session() || v.subject == subject)
                    })
                })
                .map(|v| v.case_no.clone());
            SubjectState {
                subject,
                state,
                void_by,
            }
        })
        .collect();
    states.sort_by_key(|s| crate::model::plan::exam_rank(&s.subject));
    let lines = cases
        .iter()
        .map(|v| CaseLine {
            case_no: v.case_no.clone(),
            subject: v.subject.clone(),
            clause: clause(v).map(Clause::chinese).unwrap_or_default(),
            consequence: clause(v).map_or("", |c| c.consequence().text()),
            step: v.step.clone(),
        })
        .collect();
    (states, lines)
}

pub async fn run(g: &GlobalArgs, cmd: &ApplicationsCommand) -> Result<()> {
    match cmd {
        ApplicationsCommand::List { filter, csv } => list(g, filter, *csv).await,
        ApplicationsCommand::Show { registration_no } => show(g, registration_no.trim()).await,
        ApplicationsCommand::Fix {
            file,
            read,
            photos,
            confirm,
        } => fix(g, file, read, photos.as_deref(), confirm).await,
        ApplicationsCommand::Set {
            registration_no,
            changes,
            reason,
            photos,
            confirm,
        } => {
            set(
                g,
                registration_no.trim(),
                changes,
                reason,
                photos.as_deref(),
                confirm,
            )
            .await
        }
        ApplicationsCommand::Withdraw {
            registration_no,
            reason,
            refund,
            confirm,
        } => withdraw(g, registration_no.trim(), reason, *refund, confirm).await,
        ApplicationsCommand::Photo {
            registration_no,
            file,
            reason,
            confirm,
        } => photo(g, registration_no.trim(), file, reason, confirm).await,
    }
}

async fn show(g: &GlobalArgs, no: &str) -> Result<()> {
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let Some(row) = tx.pay_row(session.id, no).await? else {
        return Err(Rejected::one(
            format!("applications show {no}"),
            format!("no application {no} in session {}", session.code),
        )
        .into());
    };
    let rules = tx.fees(session.id).await?;
    let stored = tx.application_fields(row.id).await?;
    let status_reason = tx.status_reason(row.id).await?;
    let flags: Vec<Flag> = tx
        .flags(session.id)
        .await?
        .into_iter()
        .filter(|f| f.application_id == row.id)
        .map(|f| Flag {
            code: f.code,
            severity: f.severity,
            message: f.message,
        })
        .collect();
    let payments = tx.payments_of(row.id).await?;
    let history = tx.journal_of_application(session.id, no).await?;
    let (seats, card) = tx.seats_of(row.id).await?;
    let recorded = tx.attendance_of(row.id).await?;
    let cases = tx.violations_of(row.id).await?;
    let results = results_view(tx.results_of(row.id).await?);
    drop(tx);
    db.close().await;

    let fee_due = fees_due(std::slice::from_ref(&row), &rules, &session.province)[0];
    let (fee_lines, fee_problem) = fee_lines(&row, &rules, &session.province);
    let mut fields: Vec<(&'static str, String)> = stored
        .fields()
        .into_iter()
        .filter(|(name, _)| *name != "报考资格")
        .collect();
    fields.insert(0, ("报名序号", row.registration_no.clone()));
    fields.insert(6, ("报考级别", row.level.clone()));
    fields.insert(7, ("报考资格", row.qualification.clone()));
    let (attendance, violations) = exam_day_of(recorded, &cases);
    let shown = Shown {
        registration_no: row.registration_no.clone(),
        status: Status::parse(&row.status).unwrap_or(Status::Submitted),
        status_reason,
        qualification: row.qualification.clone(),
        level: row.level.clone(),
        fields,
        flags,
        approved_on: row.approved_on.clone(),
        fee_due,
        fee_lines,
        fee_problem,
        payments: payments
            .into_iter()
            .map(|p| PaymentView {
                order_no: p.order_no,
                amount: Fen(p.amount_fen),
                paid_at: p.paid_at,
                channel: p.channel,
                result: p.result,
                source: p.source,
                evidence: p.evidence,
                applied_batch: p.applied_batch,
            })
            .collect(),
        seats,
        admit_card: card.as_ref().map(|c| c.0.clone()),
        stale: card.map(|c| c.1).unwrap_or_default(),
        attendance,
        violations,
        results,
        history,
    };
    if g.json {
        return print_json(&shown);
    }
    print_shown(&shown, &row.name)
}

/// The fee due line by line, each with the fee row it comes from, or why there is none:
/// the fee is fixed on the day of approval.
fn fee_lines(row: &PayRow, rules: &[FeeRule], province: &str) -> (Vec<FeeLine>, Option<String>) {
    match (row.approved_on(), Level::parse(&row.level)) {
        (Some(on), Some(level)) => match fee::due(
            rules,
            province,
            &row.exam_area,
            level,
            &row.qualification,
            &row.subjects,
            on,
        ) {
            Ok((_, lines)) => (
                lines
                    .into_iter()
                    .map(|(subject, r)| FeeLine {
                        subject,
                        amount: r.amount,
                        row: format!("{} {}", r.describe(), r.period()),
                        source: r.source.clone(),
                    })
                    .collect(),
                None,
            ),
            Err(e) => (Vec::new(), Some(e)),
        },
        _ => (
            Vec::new(),
            Some("not approved yet: the fee is fixed on the day of approval".to_string()),
        ),
    }
}

/// Prints an application: its state, fields, flags and fee due, then its payments, seats
/// and history.
fn print_shown(shown: &Shown, name: &str) -> Result<()> {
    outln!(
        "{} {}: {} ({}){}",
        shown.registration_no,
        name,
        shown.status,
        shown.status.zh(),
        if shown.status_reason.is_empty() {
            String::new()
        } else {
            format!(": {}", shown.status_reason)
        }
    )?;
    let mut t = table(&["字段", "值"]);
    for (name, value) in &shown.fields {
        t.add_row(vec![name.to_string(), value.clone()]);
    }
    outln!("{t}")?;
    if shown.flags.is_empty() {
        outln!("flags: none")?;
    } else {
        outln!("flags:")?;
        for f in &shown.flags {
            outln!("  [{}] {}: {}", f.severity, f.code, f.message)?;
        }
    }
    match (shown.fee_due, &shown.fee_problem) {
        (Some(due), _) => {
            outln!(
                "fee due (应缴费用): {due}, fixed on {} (the day of approval)",
                shown.approved_on.as_deref().unwrap_or("?")
            )?;
            for l in &shown.fee_lines {
                outln!("  {} {}  <- {} ({})", l.subject, l.amount, l.row, l.source)?;
            }
        }
        (None, Some(why)) => outln!("fee due (应缴费用): none: {why}")?,
        (None, None) => outln!("fee due (应缴费用): none")?,
    }
    print_payments_and_seats(shown)
}

/// Prints an application's payments, admit card, seats and history.
fn print_payments_and_seats(shown: &Shown) -> Result<()> {
    if shown.payments.is_empty() {
        outln!("payments: none")?;
    } else {
        let mut t = table(&[
            "支付单号",
            "金额",
            "支付时间",
            "支付网关",
            "支付结果",
            "来源",
            "paid by it",
            "evidence",
        ]);
        for p in &shown.payments {
            t.add_row(vec![
                p.order_no.clone(),
                p.amount.to_string(),
                p.paid_at.clone().unwrap_or_default(),
                p.channel.clone(),
                p.result.clone(),
                p.source.clone(),
                p.applied_batch
                    .map_or_else(String::new, |b| format!("yes (batch {b})")),
                p.evidence.clone(),
            ]);
        }
        outln!("payments:\n{t}")?;
    }
    if let Some(card) = &shown.admit_card {
        outln!(
            "admit card (准考证号): {card}{}",
            if shown.stale.is_empty() {
                String::new()
            } else {
                format!(
                    " (out of date since a correction: regenerate the {})",
                    shown.stale
                )
            }
        )?;
    }
    for s in &shown.seats {
        outln!(
            "  seat: {} {} {}-{} {} {} ({}) 第{:03}考场 {:02}号",
            s.sitting,
            s.exam_date,
            s.starts_at.format("%H:%M"),
            s.ends_at.format("%H:%M"),
            s.site_code,
            s.site_name,
            s.address,
            s.room,
            s.seat_no
        )?;
    }
    if !shown.attendance.is_empty() {
        let states: Vec<String> = shown
            .attendance
            .iter()
            .map(|a| {
                let label = crate::model::attendance::Mark::from_stored(&a.state)
                    .map_or(a.state.as_str(), |m| m.label());
                match &a.void_by {
                    Some(case) => format!("{} {label}, void by {case} (成绩无效)", a.subject),
                    None => format!("{} {label}", a.subject),
                }
            })
            .collect();
        outln!("attendance (考勤): {}", states.join(", "))?;
    }
    for v in &shown.violations {
        outln!(
            "violation (违纪违规) {}: {} {} -> {} (at {})",
            v.case_no,
            v.subject,
            v.clause,
            v.consequence,
            v.step
        )?;
    }
    print_results(&shown.results)?;
    outln!("history:")?;
    super::batch::print_journal(&shown.history, true)?;
    Ok(())
}

/// Scores, the decision, rechecks and the certificate, where there are any.
fn print_results(r: &ResultsView) -> Result<()> {
    if !r.scores.is_empty() {
        let scores: Vec<String> = r
            .scores
            .iter()
            .map(|s| format!("{} {}", s.subject, s.score))
            .collect();
        outln!("scores (成绩): {}", scores.join(", "))?;
    }
    if let Some(v) = r.verdict {
        if r.failed.is_empty() {
            outln!("decision (合格判定): {v}")?;
        } else {
            outln!("decision (合格判定): {v} ({})", r.failed)?;
        }
    }
    for x in &r.rechecks {
        outln!(
            "recheck (复核) {}: {} requested {}: {}{}",
            x.reference,
            x.subject,
            x.requested_on,
            x.result,
            x.new_score
                .as_ref()
                .map_or_else(String::new, |s| format!(", score after {s}"))
        )?;
    }
    if let Some(c) = &r.certificate {
        let how = match (c.issued_how.as_deref(), c.by_post) {
            (Some("self"), _) => "collected in person".to_string(),
            (Some("proxy"), _) => "collected by a proxy (代领)".to_string(),
            (Some(_), _) => format!("posted, waybill {}", c.waybill),
            (None, true) => "to be posted".to_string(),
            (None, false) => "held for collection".to_string(),
        };
        outln!(
            "certificate (证书) {}: {how}{}",
            c.cert_no,
            c.issued_on
                .as_ref()
                .map_or_else(String::new, |d| format!(" on {d}"))
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// list

#[derive(Serialize)]
struct Listed<'a> {
    registration_no: &'a str,
    name: &'a str,
    id_type: &'a str,
    id_number: &'a str,
    gender: &'a str,
    exam_area: &'a str,
    level: &'a str,
    qualification: &'a str,
    subjects: &'a str,
    mobile: &'a str,
    employer: &'a str,
    status: Status,
    submitted_at: Option<&'a str>,
    flags: Vec<&'a str>,
}

async fn list(g: &GlobalArgs, f: &ListFilter, csv: bool) -> Result<()> {
    let filters = filters(f)?;
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let rows = tx.list_rows(session.id).await?;
    let mut flags: HashMap<i64, Vec<String>> = HashMap::new();
    for fl in tx.flags(session.id).await? {
        flags.entry(fl.application_id).or_default().push(fl.code);
    }
    drop(tx);
    db.close().await;
    let shown = select(&rows, &flags, f, &filters);
    if g.json {
        return print_json(&shown);
    }
    print_list(&shown, csv)
}

/// The filters that are not plain text, parsed: the state, the level and the first day.
struct Filters {
    status: Option<Status>,
    level: Option<Level>,
    since: Option<NaiveDate>,
}

/// Parses `--status`, `--level` and `--since`, and checks that `--flag` names a flag.
fn filters(f: &ListFilter) -> Result<Filters> {
    let status = f
        .status
        .as_deref()
        .map(|s| {
            Status::parse(s).ok_or_else(|| {
                anyhow::anyhow!(
                    "--status {s}: expected one of {}",
                    Status::ALL
                        .map(crate::model::application::Status::as_str)
                        .join(", ")
                )
            })
        })
        .transpose()?;
    let level = f
        .level
        .as_deref()
        .map(|l| {
            Level::parse(l).ok_or_else(|| {
                anyhow::anyhow!("--level: expected 初级, 中级 or 高级, found \"{l}\"")
            })
        })
        .transpose()?;
    let since = f
        .since
        .as_deref()
        .map(|d| {
            parse_date(d).ok_or_else(|| {
                anyhow::anyhow!("--since: expected a date like 2026-08-25, found \"{d}\"")
            })
        })
        .transpose()?;
    if let Some(code) = &f.flag
        && !application::FLAG_CODES.iter().any(|c| c.0 == code)
    {
        bail!("--flag {code}: no such flag; see kaowu review check --help");
    }
    Ok(Filters {
        status,
        level,
        since,
    })
}

/// The applications that pass every filter, in the order read.
fn select<'a>(
    rows: &'a [ListRow],
    flags: &'a HashMap<i64, Vec<String>>,
    f: &ListFilter,
    filters: &Filters,
) -> Vec<Listed<'a>> {
    let Filters {
        status,
        level,
        since,
    } = *filters;
    let areas: BTreeSet<String> = rows.iter().map(|r| r.exam_area.clone()).collect();
    let area = f
        .exam_area
        .as_deref()
        .map(|a| match_area(a, &areas).to_string());
    let since = since.map(|d| d.to_string());
    let empty = Vec::new();
    rows.iter()
        .filter(|r| {
            let st = Status::parse(&r.status).unwrap_or(Status::Submitted);
            let fl = flags.get(&r.id).unwrap_or(&empty);
            status.is_none_or(|s| s == st)
                && area.as_ref().is_none_or(|a| &r.exam_area == a)
                && level.is_none_or(|l| r.level == l.zh())
                && f.qualification
                    .as_ref()
                    .is_none_or(|q| r.qualification == q.trim())
                && f.flag.as_ref().is_none_or(|c| fl.contains(c))
                && f.name.as_ref().is_none_or(|n| matches_pattern(&r.name, n))
                && f.id_number
                    .as_ref()
                    .is_none_or(|p| matches_pattern(&r.id_number, p))
                && since.as_ref().is_none_or(|d| {
                    r.submitted_at
                        .as_deref()
                        .is_some_and(|t| &t[..10.min(t.len())] >= d.as_str())
                })
        })
        .map(|r| Listed {
            registration_no: &r.registration_no,
            name: &r.name,
            id_type: &r.id_type,
            id_number: &r.id_number,
            gender: &r.gender,
            exam_area: &r.exam_area,
            level: &r.level,
            qualification: &r.qualification,
            subjects: &r.subjects,
            mobile: &r.mobile,
            employer: &r.employer,
            status: Status::parse(&r.status).unwrap_or(Status::Submitted),
            submitted_at: r.submitted_at.as_deref(),
            flags: flags
                .get(&r.id)
                .map(|v| v.iter().map(String::as_str).collect())
                .unwrap_or_default(),
        })
        .collect()
}

/// Prints the applications as CSV on stdout (`--csv`), or as a table with their count.
fn print_list(shown: &[Listed<'_>], csv: bool) -> Result<()> {
    const HEADER: [&str; 12] = [
        "报名序号",
        "姓名",
        "证件号码",
        "性别",
        "考区",
        "报考级别",
        "报考资格",
        "报考科目",
        "手机号码",
        "状态",
        "提交时间",
        "问题",
    ];
    let record = |a: &Listed<'_>| -> [String; 12] {
        [
            a.registration_no.to_string(),
            a.name.to_string(),
            a.id_number.to_string(),
            a.gender.to_string(),
            a.exam_area.to_string(),
            a.level.to_string(),
            a.qualification.to_string(),
            a.subjects.to_string(),
            a.mobile.to_string(),
            a.status.zh().to_string(),
            a.submitted_at.unwrap_or_default().to_string(),
            a.flags.join(" "),
        ]
    };
    if csv {
        let mut w = csv::Writer::from_writer(std::io::stdout().lock());
        w.write_record(HEADER)?;
        for a in shown {
            // An applicant's `=HYPERLINK(..)` is text, not a formula, when the CSV is opened.
            w.write_record(record(a).iter().map(|t| spreadsheet_safe(t).into_owned()))?;
        }
        w.flush()?;
        return Ok(());
    }
    let mut t = table(&HEADER);
    for a in shown {
        t.add_row(record(a).to_vec());
    }
    outln!("{t}")?;
    outln!("{} applications", shown.len())?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// corrections: fix, set, photo

/// What a correction is checked against: the plan, the exam areas, the photo folder.
struct Cx {
    plan: HashMap<String, Offered>,
    names: HashMap<i64, String>,
    areas: BTreeSet<String>,
    photos: Option<PhotoDir>,
}

impl Cx {
    async fn load(tx: &mut Tx, session: &SessionRow, photos: Option<&Path>) -> Result<Cx> {
        let plan = offered(tx, session.id).await?;
        let names = plan.iter().map(|(n, o)| (o.id, n.clone())).collect();
        let areas = tx.exam_areas(session.id).await?.into_iter().collect();
        let photos = photos
            .map(|d| {
                PhotoDir::open(d)
                    .with_context(|| format!("--photos {}: cannot open the folder", d.display()))
            })
            .transpose()?;
        Ok(Cx {
            plan,
            names,
            areas,
            photos,
        })
    }

    fn qualification(&self, a: &NewApplication) -> Option<(&str, &Offered)> {
        let name = self.names.get(&a.qualification_id)?;
        Some((name, &self.plan[name]))
    }
}

/// The columns a correction may name: the import's, but 报名序号 identifies and 报考级别
/// follows the qualification.
fn column_of(name: &str) -> Option<&'static Column> {
    let key = header_key(name);
    APPLICATIONS.columns.iter().find(|c| {
        header_key(c.zh) == key
            || header_key(c.en) == key
            || c.also.iter().any(|a| header_key(a) == key)
    })
}

const REQUIRED: [&str; 6] = [
    "name",
    "id_type",
    "id_number",
    "qualification",
    "subjects",
    "exam_area",
];

/// Applies one value to an application, checked as the import checks it. `Err` says what
/// was expected; the cross-field rules (subjects of the qualification, its level) follow in
/// [`finish`].
fn apply_field(a: &mut NewApplication, key: &str, v: &Value, cx: &Cx) -> Result<(), String> {
    if v.is_empty() && REQUIRED.contains(&key) {
        return Err("a value is required here and cannot be cleared".into());
    }
    let text = || table::text(v);
    let code = || table::identifier(v);
    let opt_date = |v: &Value| {
        if v.is_empty() {
            Ok(None)
        } else {
            table::date(v).map(Some)
        }
    };
    match key {
        "name" => a.name = text()?,
        "id_type" => a.id_type = text()?,
        "id_number" => a.id_number = code()?.to_ascii_uppercase(),
        "gender" => a.gender = text()?,
        "birth_date" => {
            let d = opt_date(v)?;
            if let Some(b) = d
                && b > chrono::Local::now().date_naive()
            {
                return Err(format!("{b} is in the future"));
            }
            a.birth_date = d;
        }
        "graduation_date" => a.graduation_date = opt_date(v)?,
        "submitted_at" => {
            a.submitted_at = if v.is_empty() {
                None
            } else {
                Some(table::datetime(v)?)
            }
        }
        "level" => {
            let t = text()?;
            Level::parse(&t)
                .ok_or_else(|| format!("expected 初级, 中级 or 高级, found \"{t}\""))?;
        }
        "qualification" => {
            let q = text()?;
            let o = cx
                .plan
                .get(q.trim())
                .ok_or_else(|| format!("{q} is not in the session's plan"))?;
            a.qualification_id = o.id;
        }
        "subjects" => a.subjects = text()?,
        "exam_area" => {
            let t = text()?;
            let m = match_area(&t, &cx.areas).to_string();
            if !cx.areas.contains(&m) {
                return Err(format!(
                    "{t} is not an exam area (考区) of the session; it has: {}",
                    cx.areas.iter().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
            a.exam_area = m;
        }
        "mobile" => a.mobile = code()?,
        "postcode" => a.postcode = code()?,
        "phone" => a.phone = code()?,
        "title" => a.title = text()?,
        "employer" => a.employer = text()?,
        "school" => a.school = text()?,
        "major" => a.major = text()?,
        "education" => a.education = text()?,
        "degree" => a.degree = text()?,
        "address" => a.address = text()?,
        "email" => a.email = text()?,
        "photo" => {
            let name = text()?;
            if name.is_empty() {
                set_photo(a, "", None);
            } else {
                let dir = cx.photos.as_ref().ok_or(
                    "a new 照片 needs --photos DIR, the folder it is in (or kaowu applications photo NO FILE)",
                )?;
                let path = dir.resolve(&name)?;
                set_photo(a, &name, Some(&path));
            }
        }
        "registration_no" => {
            return Err("报名序号 identifies the application; it is not changed".into());
        }
        other => return Err(format!("{other} cannot be corrected")),
    }
    Ok(())
}

/// Sets the photo and its fingerprint, read from the file's header.
fn set_photo(a: &mut NewApplication, name: &str, path: Option<&Path>) {
    let f = path.map(fingerprint).unwrap_or_default();
    a.photo = name.to_string();
    a.photo_path = path.map(|p| p.display().to_string()).unwrap_or_default();
    a.photo_hash = f.hash;
    a.photo_format = f.format;
    a.photo_width = i64::from(f.width);
    a.photo_height = i64::from(f.height);
    a.photo_bytes = f.bytes as i64;
    a.photo_problem = if path.is_none() {
        String::new()
    } else {
        f.problem
    };
}

/// The rules across fields: the subjects are offered for the (new) qualification, and a
/// level given is the qualification's. Stores the subjects in their canonical form.
fn finish(a: &mut NewApplication, level: Option<&Value>, cx: &Cx) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let Some((qname, o)) = cx.qualification(a) else {
        out.push((
            "qualification",
            "the qualification is no longer in the plan".into(),
        ));
        return out;
    };
    match o.level.subject_list(&a.subjects, &o.subjects) {
        Ok(s) => a.subjects = s,
        Err(bad) => out.push((
            "subjects",
            format!(
                "{bad} is not offered for {qname}; the plan has {}",
                o.subjects.join(", ")
            ),
        )),
    }
    if let Some(l) = level
        .and_then(|v| table::text(v).ok())
        .and_then(|t| Level::parse(&t))
        && l != o.level
    {
        out.push((
            "level",
            format!(
                "{qname} is a {} qualification in the plan, not {l}",
                o.level
            ),
        ));
    }
    out
}

/// One application to correct, as previewed.
struct Correction {
    id: i64,
    version: i64,
    registration_no: String,
    name: String,
    status: Status,
    before: NewApplication,
    after: NewApplication,
    /// (field, old, new), as the journal shows them.
    changes: Vec<(&'static str, String, String)>,
    reason: String,
}

/// The journal's view of an application's fields: the qualification by name.
fn shown_fields(a: &NewApplication, cx: &Cx) -> Vec<(&'static str, String)> {
    a.fields()
        .into_iter()
        .map(|(n, v)| {
            if n == "报考资格" {
                (n, cx.names.get(&a.qualification_id).cloned().unwrap_or(v))
            } else {
                (n, v)
            }
        })
        .collect()
}

fn correction(
    r: &crate::db::payments::PayRow,
    before: NewApplication,
    mut after: NewApplication,
    reason: &str,
    cx: &Cx,
) -> Correction {
    after.compute_hash();
    let changes = field_changes(&shown_fields(&before, cx), &shown_fields(&after, cx));
    Correction {
        id: r.id,
        version: r.version,
        registration_no: r.registration_no.clone(),
        name: r.name.clone(),
        status: Status::parse(&r.status).unwrap_or(Status::Submitted),
        before,
        after,
        changes,
        reason: reason.to_string(),
    }
}

#[derive(Serialize)]
struct CorrectionView {
    registration_no: String,
    name: String,
    status: Status,
    changes: Vec<FieldChange>,
    reason: String,
    /// What must be made again because of the change (seat, admit card).
    regenerate: Vec<&'static str>,
}

#[derive(Serialize)]
struct FieldChange {
    field: &'static str,
    old: String,
    new: String,
}

#[derive(Serialize)]
struct CorrectionReport {
    action: String,
    session: String,
    dry_run: bool,
    batch: Option<i64>,
    to_change: usize,
    changed: usize,
    unchanged: usize,
    by_field: BTreeMap<&'static str, usize>,
    applications: Vec<CorrectionView>,
    /// Changed by someone else between the preview and the change; left alone.
    changed_meanwhile: Vec<String>,
    /// After the change: applications with error flags, with warnings only.
    with_errors: Option<usize>,
    with_warnings: Option<usize>,
}

/// What a seated candidate's change makes stale: the seat when the exam area moves, the
/// admit card when what it prints changes.
fn regenerate(c: &Correction) -> Vec<&'static str> {
    if c.status != Status::Seated {
        return Vec::new();
    }
    let touched = |f: &str| c.changes.iter().any(|(n, _, _)| *n == f);
    let mut out = Vec::new();
    if touched("考区") || touched("报考科目") || touched("报考资格") {
        out.push("seat");
    }
    if [
        "姓名",
        "证件号码",
        "照片",
        "照片内容",
        "考区",
        "报考科目",
        "报考资格",
    ]
    .iter()
    .any(|f| touched(f))
    {
        out.push("admit card");
    }
    out
}

/// Previews, asks, and writes the corrections as one batch; then checks the flags again.
async fn carry_out_corrections(
    cx: &Ctx,
    action: &str,
    all: Vec<Correction>,
    confirm: &Confirm,
) -> Result<()> {
    let unchanged = all.iter().filter(|c| c.changes.is_empty()).count();
    let list: Vec<Correction> = all.into_iter().filter(|c| !c.changes.is_empty()).collect();
    let mut by_field: BTreeMap<&'static str, usize> = BTreeMap::new();
    for c in &list {
        for (f, _, _) in &c.changes {
            *by_field.entry(f).or_default() += 1;
        }
    }
    let report = CorrectionReport {
        action: action.to_string(),
        session: cx.session.code.clone(),
        dry_run: confirm.dry_run,
        batch: None,
        to_change: list.len(),
        changed: 0,
        unchanged,
        by_field,
        applications: list
            .iter()
            .map(|c| CorrectionView {
                registration_no: c.registration_no.clone(),
                name: c.name.clone(),
                status: c.status,
                changes: c
                    .changes
                    .iter()
                    .map(|(f, o, n)| FieldChange {
                        field: f,
                        old: o.clone(),
                        new: n.clone(),
                    })
                    .collect(),
                reason: c.reason.clone(),
                regenerate: regenerate(c),
            })
            .collect(),
        changed_meanwhile: Vec::new(),
        with_errors: None,
        with_warnings: None,
    };
    apply(cx, &mut Corrections { list, report }, confirm).await
}

/// Corrections of applications' fields, each kept whole for undo, journalled field by
/// field, and written only from the version shown.
struct Corrections {
    list: Vec<Correction>,
    report: CorrectionReport,
}

impl Change for Corrections {
    type Report = CorrectionReport;

    fn kind(&self) -> String {
        self.report.action.clone()
    }

    fn size(&self) -> usize {
        self.list.len()
    }

    fn preview(&self, dry_run: bool) -> String {
        let report = &self.report;
        let mut out = format!(
            "{}: {} applications {}{}\n",
            report.action,
            self.list.len(),
            if dry_run {
                "would change (dry run)"
            } else {
                "will change"
            },
            if report.unchanged > 0 {
                format!(", {} already as given", report.unchanged)
            } else {
                String::new()
            }
        );
        let fields: Vec<String> = report
            .by_field
            .iter()
            .map(|(f, n)| format!("{f} {n}"))
            .collect();
        if !fields.is_empty() {
            out.push_str(&format!("  fields: {}\n", fields.join(", ")));
        }
        for v in report.applications.iter().take(10) {
            let ch: Vec<String> = v
                .changes
                .iter()
                .map(|c| format!("{}: {} -> {}", c.field, c.old, c.new))
                .collect();
            out.push_str(&format!(
                "  {} {} ({}): {}; 原因: {}\n",
                v.registration_no,
                v.name,
                v.status,
                ch.join("; "),
                v.reason
            ));
            if !v.regenerate.is_empty() {
                out.push_str(&format!(
                    "    seated: regenerate its {}\n",
                    v.regenerate.join(" and ")
                ));
            }
        }
        if report.applications.len() > 10 {
            out.push_str(&format!(
                "  ... and {} more\n",
                report.applications.len() - 10
            ));
        }
        out
    }

    fn question(&self) -> String {
        format!(
            "{}: change {} applications?",
            self.report.action,
            self.list.len()
        )
    }

    async fn write(&mut self, tx: &mut Tx, batch: i64) -> Result<Written> {
        let mut changed = 0;
        for c in &self.list {
            let now = tx.state_of(c.id).await?;
            if now.version != c.version {
                self.report
                    .changed_meanwhile
                    .push(c.registration_no.clone());
                continue;
            }
            write_correction(tx, batch, c).await?;
            changed += 1;
        }
        self.report.changed = changed;
        Ok(Written {
            summary: format!("{}: {changed} applications corrected", self.report.action),
            changed,
            analyze: Vec::new(),
        })
    }

    async fn committed(&mut self, cx: &Ctx) -> Result<()> {
        // The flags follow the new values.
        let check = run_check(&cx.db, &cx.session).await?;
        self.report.with_errors = Some(check.with_errors);
        self.report.with_warnings = Some(check.with_warnings);
        Ok(())
    }

    fn report(&mut self, dry_run: bool, batch: Option<i64>) -> &CorrectionReport {
        self.report.dry_run = dry_run;
        self.report.batch = batch;
        &self.report
    }

    fn done(&self, batch: i64, written: &Written) -> String {
        format!(
            "batch {batch}: {} applications corrected; flags checked again: {} with errors, {} with warnings only; undo with: kaowu review undo {batch}",
            written.changed,
            self.report.with_errors.unwrap_or(0),
            self.report.with_warnings.unwrap_or(0)
        )
    }

    fn outcome(&self) -> Result<()> {
        let r = &self.report;
        if r.changed_meanwhile.is_empty() {
            return Ok(());
        }
        Err(Rejected {
            what: format!(
                "{}: {} applications changed between the preview and the change, and were left alone",
                r.action,
                r.changed_meanwhile.len()
            ),
            problems: r
                .changed_meanwhile
                .iter()
                .map(|n| format!("{n}: look again with kaowu applications show {n}"))
                .collect(),
        }
        .into())
    }
}

/// Writes one correction: the application as it was (for undo), the new fields, what goes
/// stale, and the journal.
async fn write_correction(tx: &mut Tx, batch: i64, c: &Correction) -> Result<()> {
    tx.save_snapshot(batch, c.id, &c.before).await?;
    // A corrected rejection returns to review, as a candidate's resubmission does.
    let back = c.status == Status::Rejected;
    tx.update_application(c.id, batch, &c.after, back.then_some("submitted"))
        .await?;
    let stale = regenerate(c);
    if !stale.is_empty() {
        tx.mark_stale(c.id, &stale.join(",")).await?;
    }
    for (field, old, new) in &c.changes {
        tx.journal(batch, c.id, field, Some(old), Some(new), &c.reason)
            .await?;
    }
    if c.before.photo_hash != c.after.photo_hash {
        let print = |a: &NewApplication| {
            format!(
                "{} {} {}x{} {} bytes blake3 {}",
                a.photo, a.photo_format, a.photo_width, a.photo_height, a.photo_bytes, a.photo_hash
            )
        };
        tx.journal(
            batch,
            c.id,
            "照片指纹",
            Some(&print(&c.before)),
            Some(&print(&c.after)),
            &c.reason,
        )
        .await?;
    }
    if back {
        tx.journal(
            batch,
            c.id,
            "status",
            Some("rejected"),
            Some("submitted"),
            "corrected by the office",
        )
        .await?;
    }
    Ok(())
}

/// The rows a correction starts from, by 报名序号.
async fn stored(
    tx: &mut Tx,
    session: &SessionRow,
) -> Result<HashMap<String, crate::db::payments::PayRow>> {
    Ok(tx
        .pay_rows(session.id)
        .await?
        .into_iter()
        .map(|r| (r.registration_no.clone(), r))
        .collect())
}

/// What a correction of one application starts from: the session, what values are checked
/// against, the application's row and its stored fields.
async fn load_one(
    g: &GlobalArgs,
    what: &str,
    no: &str,
    photos: Option<&Path>,
) -> Result<(
    crate::db::Db,
    SessionRow,
    Cx,
    crate::db::payments::PayRow,
    NewApplication,
)> {
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let cx = Cx::load(&mut tx, &session, photos).await?;
    let Some(row) = tx.pay_row(session.id, no).await? else {
        return Err(Rejected::one(
            what,
            format!("no application {no} in session {}", session.code),
        )
        .into());
    };
    let before = tx.application_fields(row.id).await?;
    drop(tx);
    Ok((db, session, cx, row, before))
}

async fn set(
    g: &GlobalArgs,
    no: &str,
    changes: &[String],
    reason: &str,
    photos: Option<&Path>,
    confirm: &Confirm,
) -> Result<()> {
    let what = format!("applications set {no}");
    if reason.trim().is_empty() {
        return Err(Rejected::one(what, "--reason must say why (原因)").into());
    }
    let (db, session, cx, row, before) = load_one(g, &what, no, photos).await?;
    let mut after = before.clone();
    let mut problems = Vec::new();
    let mut level = None;
    for change in changes {
        let Some((name, value)) = change.split_once('=') else {
            problems.push(format!("{change}: expected 字段=值, e.g. 姓名=孙瑞"));
            continue;
        };
        let Some(col) = column_of(name) else {
            problems.push(format!(
                "{name}: no such field; the fields are: {}",
                APPLICATIONS
                    .columns
                    .iter()
                    .filter(|c| c.key != "registration_no")
                    .map(|c| c.zh)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            continue;
        };
        let v = if value.trim().is_empty() {
            Value::Empty
        } else {
            Value::Text(value.trim().to_string())
        };
        if col.key == "level" {
            level = Some(v.clone());
        }
        if let Err(e) = apply_field(&mut after, col.key, &v, &cx) {
            problems.push(format!("{}: {e}", col.zh));
        }
    }
    if problems.is_empty() {
        for (key, e) in finish(&mut after, level.as_ref(), &cx) {
            let zh = column_of(key).map_or(key, |c| c.zh);
            problems.push(format!("{zh}: {e}"));
        }
    }
    if !problems.is_empty() {
        return Err(Rejected { what, problems }.into());
    }
    let c = correction(&row, before, after, reason.trim(), &cx);
    carry_out_corrections(&Ctx::new(g, db, session), "set", vec![c], confirm).await
}

/// A row of a corrections file: 报名序号, the values to set, 原因, its line.
type Wanted = (String, Vec<(&'static str, Value)>, String, usize);

async fn fix(
    g: &GlobalArgs,
    file: &Path,
    read: &ReadArgs,
    photos: Option<&Path>,
    confirm: &Confirm,
) -> Result<()> {
    // The import's columns, all optional but 报名序号, and 原因.
    let mut columns: Vec<Column> = APPLICATIONS
        .columns
        .iter()
        .map(|c| Column {
            required: c.key == "registration_no",
            ..*c
        })
        .collect();
    columns.push(Column::req("reason", "原因", "reason").aka(&["修改原因", "更正原因"]));
    let schema = Schema {
        what: "corrections (更正)",
        // One small schema per run, for the reader's lifetime-free tables.
        columns: Box::leak(columns.into_boxed_slice()),
    };

    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let cx = Cx::load(&mut tx, &session, photos).await?;
    let rows = stored(&mut tx, &session).await?;
    let padded = ZeroPadded::of(rows.keys().map(String::as_str));
    let mut problems = Problems::default();
    let mut wanted: Vec<Wanted> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let header = table::read(file, &read.options(), schema, |row| {
        let mut c = Cells::new(row, &mut problems);
        let no = c.code("registration_no", true);
        let reason = c.text("reason", true);
        let line = c.line();
        let mut values = Vec::new();
        for col in APPLICATIONS
            .columns
            .iter()
            .filter(|k| k.key != "registration_no")
        {
            if row.header().has(col.key) {
                let v = row.get(col.key);
                if !v.is_empty() {
                    values.push((col.key, v.clone()));
                }
            }
        }
        if let Some(no) = &no {
            if !rows.contains_key(no) {
                let why = match padded.twin(no, |n| rows.contains_key(n)) {
                    Some(twin) => twin_message(no, &twin, "an application"),
                    None => format!("no application {no} in session {}", session.code),
                };
                c.problem("registration_no", why);
            } else if let Some(first) = seen.insert(no.clone(), line) {
                c.problem("registration_no", format!("{no} is also on line {first}"));
            }
        }
        if let (true, Some(no), Some(reason)) = (c.ok(), no, reason) {
            wanted.push((no, values, reason, line));
        }
    })
    .map_err(rejected_from)?;
    let changed_columns = APPLICATIONS
        .columns
        .iter()
        .filter(|k| k.key != "registration_no" && header.has(k.key))
        .count();
    if changed_columns == 0 && problems.is_empty() {
        return Err(Rejected::one(
            file.display().to_string(),
            "no column to change: add the columns to correct (same names as the applications import) beside 报名序号 and 原因",
        )
        .into());
    }
    let mut corrections = Vec::new();
    let mut rule_problems = Vec::new();
    for (no, values, reason, line) in wanted {
        let r = &rows[&no];
        let before = tx.application_fields(r.id).await?;
        let mut after = before.clone();
        let mut ok = true;
        let level = values.iter().find(|(k, _)| *k == "level").map(|(_, v)| v);
        for (key, v) in &values {
            if let Err(e) = apply_field(&mut after, key, v, &cx) {
                rule_problems.push((line, format!("{}: {e}", header.at(line, key))));
                ok = false;
            }
        }
        if ok {
            for (key, e) in finish(&mut after, level, &cx) {
                rule_problems.push((line, format!("{}: {e}", header.at(line, key))));
                ok = false;
            }
        }
        if ok {
            corrections.push(correction(r, before, after, &reason, &cx));
        }
    }
    drop(tx);
    for (line, p) in rule_problems {
        problems.push(line, p);
    }
    reject_if_any(&header, problems, Vec::new())?;
    carry_out_corrections(&Ctx::new(g, db, session), "fix", corrections, confirm).await
}

async fn photo(
    g: &GlobalArgs,
    no: &str,
    file: &Path,
    reason: &str,
    confirm: &Confirm,
) -> Result<()> {
    let what = format!("applications photo {no}");
    let path: PathBuf = std::fs::canonicalize(file)
        .map_err(|e| Rejected::one(what.clone(), format!("{}: {e}", file.display())))?;
    let (db, session, cx, row, before) = load_one(g, &what, no, None).await?;
    let mut after = before.clone();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    set_photo(&mut after, &name, Some(&path));
    // The session's photo rules, as review check applies them; the background is measured
    // now, from the new file.
    let bytes = crate::io::photos::read(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let border = crate::io::photos::border_lightness(&bytes);
    let facts = Facts {
        id_type: &after.id_type,
        id_number: &after.id_number,
        gender: &after.gender,
        birth_date: after.birth_date,
        mobile: &after.mobile,
        email: &after.email,
        address: &after.address,
        photo: PhotoFacts {
            name: &after.photo,
            problem: &after.photo_problem,
            format: &after.photo_format,
            width: after.photo_width as u32,
            height: after.photo_height as u32,
            bytes: after.photo_bytes as u64,
            border,
        },
    };
    let flags = application::check(
        &facts,
        &session.settings(),
        chrono::Local::now().date_naive(),
    );
    let photo_flags: Vec<_> = flags
        .iter()
        .filter(|f| f.code.starts_with("photo"))
        .collect();
    let errors: Vec<String> = photo_flags
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| format!("{}: {}", f.code, f.message))
        .collect();
    if !errors.is_empty() {
        return Err(Rejected {
            what: format!(
                "{what}: {} does not meet the session's photo rules; nothing changed",
                path.display()
            ),
            problems: errors,
        }
        .into());
    }
    for w in photo_flags.iter().filter(|f| f.severity != Severity::Error) {
        eprintln!("warning: {}: {}", w.code, w.message);
    }
    let c = correction(&row, before, after, reason.trim(), &cx);
    carry_out_corrections(&Ctx::new(g, db, session), "photo", vec![c], confirm).await
}

// ---------------------------------------------------------------------------------------
// withdraw

#[derive(Serialize)]
struct WithdrawReport {
    session: String,
    registration_no: String,
    dry_run: bool,
    batch: Option<i64>,
    from: Status,
    refund: bool,
    changed: usize,
}

async fn withdraw(
    g: &GlobalArgs,
    no: &str,
    reason: &str,
    refund: bool,
    confirm: &Confirm,
) -> Result<()> {
    let what = format!("applications withdraw {no}");
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Rejected::one(what, "--reason must say why (原因)").into());
    }
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let Some(row) = tx.pay_row(session.id, no).await? else {
        return Err(Rejected::one(
            what,
            format!("no application {no} in session {}", session.code),
        )
        .into());
    };
    drop(tx);
    let from = Status::parse(&row.status).unwrap_or(Status::Submitted);
    if from == Status::Withdrawn {
        return Err(Rejected::one(what, format!("{no} is already withdrawn")).into());
    }
    let paid = row.paid_by.is_some();
    if refund && !paid {
        return Err(Rejected::one(
            what,
            format!(
                "{no} has paid nothing ({}): there is nothing to refund",
                from.zh()
            ),
        )
        .into());
    }
    let report = WithdrawReport {
        session: session.code.clone(),
        registration_no: no.to_string(),
        dry_run: confirm.dry_run,
        batch: None,
        from,
        refund,
        changed: 0,
    };
    let mut change = Withdraw {
        row,
        from,
        reason: reason.to_string(),
        refund,
        report,
    };
    apply(&Ctx::new(g, db, session), &mut change, confirm).await
}

/// A withdrawal: the application moves to withdrawn, a seated one's seats and card number
/// are released, and with --refund its payment goes to the refund list.
struct Withdraw {
    row: crate::db::payments::PayRow,
    from: Status,
    reason: String,
    refund: bool,
    report: WithdrawReport,
}

impl Change for Withdraw {
    type Report = WithdrawReport;

    fn kind(&self) -> String {
        "withdraw".to_string()
    }

    fn size(&self) -> usize {
        1
    }

    fn preview(&self, dry_run: bool) -> String {
        let (row, no, from) = (&self.row, &self.row.registration_no, self.from);
        format!(
            "withdraw: {no} {} {from} -> withdrawn ({}){}{}{}\n",
            row.name,
            self.reason,
            if self.refund {
                format!(
                    "; its payment {} goes to the refund list",
                    row.paid_by.as_deref().unwrap_or("")
                )
            } else if row.paid_by.is_some() {
                "; what it paid is kept (no --refund)".to_string()
            } else {
                String::new()
            },
            if from == Status::Seated {
                "; its seat is released"
            } else {
                ""
            },
            if dry_run { " (dry run)" } else { "" }
        )
    }

    fn question(&self) -> String {
        format!("withdraw {}?", self.row.registration_no)
    }

    async fn write(&mut self, tx: &mut Tx, batch: i64) -> Result<Written> {
        let (row, no, reason) = (&self.row, &self.row.registration_no, self.reason.as_str());
        let (n, missed) = tx
            .transition(
                batch,
                &[(row.id, row.version)],
                self.from.as_str(),
                "withdrawn",
                reason,
                reason,
            )
            .await?;
        if !missed.is_empty() {
            bail!("{no} changed since it was shown; nothing was changed, look again");
        }
        if self.from == Status::Seated {
            tx.release_seats(batch, &[row.id]).await?;
            tx.drop_cards(&[row.id]).await?;
        }
        if self.refund {
            tx.grant_refund(batch, row.id).await?;
            tx.journal(
                batch,
                row.id,
                "refund",
                None,
                row.paid_by.as_deref(),
                reason,
            )
            .await?;
        }
        self.report.changed = n;
        Ok(Written {
            summary: format!(
                "withdraw {no}{}",
                if self.refund { " with refund" } else { "" }
            ),
            changed: n,
            analyze: Vec::new(),
        })
    }

    fn report(&mut self, dry_run: bool, batch: Option<i64>) -> &WithdrawReport {
        self.report.dry_run = dry_run;
        self.report.batch = batch;
        &self.report
    }

    fn done(&self, batch: i64, _: &Written) -> String {
        let no = &self.row.registration_no;
        if self.from == Status::Seated {
            format!("batch {batch}: {no} withdrawn; its seat is free for kaowu seat add")
        } else {
            format!("batch {batch}: {no} withdrawn; undo with: kaowu review undo {batch}")
        }
    }
}
