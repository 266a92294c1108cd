//! `kaowu fees quote` and `kaowu fees list`: what a candidate pays, and the fee table.

use anyhow::Result;
use chrono::NaiveDate;
use serde::Serialize;

use super::{Rejected, connect, current_session, print_json, table};
use crate::cli::{FeesCommand, GlobalArgs};
use crate::db::plan::PlanEntry;
use crate::db::sessions::SessionRow;
use crate::model::date::parse_date;
use crate::model::fee::{self, FeeRule};
use crate::model::level::Level;
use crate::model::money::Fen;

/// A fee row as JSON shows it.
#[derive(Serialize)]
pub struct FeeView {
    region: String,
    level: Level,
    qualification: Option<String>,
    subject: Option<&'static str>,
    amount: Fen,
    amount_fen: i64,
    effective_from: NaiveDate,
    effective_to: Option<NaiveDate>,
    source: String,
}

impl From<&FeeRule> for FeeView {
    fn from(r: &FeeRule) -> Self {
        FeeView {
            region: r.region.clone(),
            level: r.level,
            qualification: r.qualification.clone(),
            subject: r.subject,
            amount: r.amount,
            amount_fen: r.amount.0,
            effective_from: r.effective_from,
            effective_to: r.effective_to,
            source: r.source.clone(),
        }
    }
}

#[derive(Serialize)]
struct QuoteLine {
    subject: String,
    amount: Fen,
    amount_fen: i64,
    fee: FeeView,
}

#[derive(Serialize)]
struct Quote {
    session: String,
    exam_area: String,
    qualification: String,
    level: Level,
    on: NaiveDate,
    subjects: Vec<QuoteLine>,
    total: Fen,
    total_fen: i64,
}

pub async fn run(g: &GlobalArgs, cmd: &FeesCommand) -> Result<()> {
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let rules = tx.fees(session.id).await?;
    match cmd {
        FeesCommand::List => print_fee_table(g, &session, &rules),
        FeesCommand::Quote {
            exam_area,
            qualification,
            on,
        } => {
            let on = quote_date(on.as_deref())?;
            let areas = tx.exam_areas(session.id).await?;
            let area_set = areas.iter().cloned().collect();
            let exam_area = fee::match_area(exam_area, &area_set);
            let qualification = qualification.trim();
            check_exam_area(&session, &areas, exam_area)?;
            let plan = tx.plan(session.id).await?;
            let entries = qualification_entries(&session, &plan, qualification)?;
            let ask = QuoteAsk {
                session: &session,
                rules: &rules,
                exam_area,
                qualification,
                on,
            };
            let quote = build_quote(&ask, &entries)?;
            print_quote(g, &session, &quote)
        }
    }
}

/// What `fees quote` reports on its rejections.
const QUOTE: &str = "fees quote";

/// Prints the session's fee table, as JSON or as a table.
fn print_fee_table(g: &GlobalArgs, session: &SessionRow, rules: &[FeeRule]) -> Result<()> {
    if g.json {
        return print_json(&rules.iter().map(FeeView::from).collect::<Vec<_>>());
    }
    if rules.is_empty() {
        outln!(
            "session {} has no fees yet: kaowu import fees FILE",
            session.code
        )?;
        return Ok(());
    }
    let mut t = table(&[
        "地区",
        "级别",
        "资格名称",
        "科目",
        "金额",
        "生效日期",
        "失效日期",
        "来源",
    ]);
    for r in rules {
        t.add_row(vec![
            r.region.clone(),
            r.level.to_string(),
            r.qualification.clone().unwrap_or_else(|| "全部".into()),
            r.subject.unwrap_or("全部").to_string(),
            r.amount.to_string(),
            r.effective_from.to_string(),
            r.effective_to.map_or_else(String::new, |d| d.to_string()),
            r.source.clone(),
        ]);
    }
    outln!("{t}")?;
    Ok(())
}

/// Reads `--on`, or takes today when it is not given.
fn quote_date(on: Option<&str>) -> Result<NaiveDate> {
    Ok(match on {
        Some(text) => parse_date(text).ok_or_else(|| {
            Rejected::one(
                QUOTE,
                format!("--on: expected a date like 2026-09-01, found \"{text}\""),
            )
        })?,
        None => chrono::Local::now().date_naive(),
    })
}

/// Rejects an exam area the session does not have, naming the ones it has.
fn check_exam_area(session: &SessionRow, areas: &[String], exam_area: &str) -> Result<()> {
    if !areas.iter().any(|a| a == exam_area) {
        return Err(Rejected::one(
            QUOTE,
            if areas.is_empty() {
                format!(
                    "session {} has no exam areas (考区) yet: kaowu import sites FILE",
                    session.code
                )
            } else {
                format!(
                    "{exam_area} is not an exam area (考区) of session {}; it has: {}",
                    session.code,
                    areas.join(", ")
                )
            },
        )
        .into());
    }
    Ok(())
}

/// The plan's entries for the qualification; rejects a qualification not in the plan,
/// naming the ones it has.
fn qualification_entries<'a>(
    session: &SessionRow,
    plan: &'a [PlanEntry],
    qualification: &str,
) -> Result<Vec<&'a PlanEntry>> {
    let entries: Vec<_> = plan
        .iter()
        .filter(|e| e.qualification == qualification)
        .collect();
    if entries.is_empty() {
        let mut names: Vec<&str> = plan.iter().map(|e| e.qualification.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        return Err(Rejected::one(
            QUOTE,
            if names.is_empty() {
                format!(
                    "session {} has no plan yet: kaowu import plan FILE",
                    session.code
                )
            } else {
                format!(
                    "{qualification} is not in the plan of session {}; it has: {}",
                    session.code,
                    names.join(", ")
                )
            },
        )
        .into());
    }
    Ok(entries)
}

/// What `fees quote` is asked: whose fees, where, for what, and on which day.
struct QuoteAsk<'a> {
    session: &'a SessionRow,
    rules: &'a [FeeRule],
    exam_area: &'a str,
    qualification: &'a str,
    on: NaiveDate,
}

/// Finds the fee row for each planned subject of the qualification and adds them up;
/// every subject without a fee row is listed in the rejection.
fn build_quote(ask: &QuoteAsk<'_>, entries: &[&PlanEntry]) -> Result<Quote> {
    let QuoteAsk {
        session,
        rules,
        exam_area,
        qualification,
        on,
    } = *ask;
    let first = entries[0];
    let level = Level::parse(&first.level).expect("stored levels are valid");
    let mut lines = Vec::new();
    let mut missing = Vec::new();
    for subject in level
        .subjects()
        .iter()
        .filter(|s| entries.iter().any(|e| e.subject == **s))
    {
        match fee::resolve(rules, &session.province, exam_area, level, qualification, subject, on) {
            Some(r) => lines.push(QuoteLine {
                subject: subject.to_string(),
                amount: r.amount,
                amount_fen: r.amount.0,
                fee: FeeView::from(r),
            }),
            None => missing.push(format!(
                "no fee row applies to {subject} of {qualification} ({level}) in {exam_area} on {on}"
            )),
        }
    }
    if !missing.is_empty() {
        return Err(Rejected {
            what: QUOTE.into(),
            problems: missing,
        }
        .into());
    }
    let total: Fen = lines.iter().map(|l| l.amount).sum();
    Ok(Quote {
        session: session.code.clone(),
        exam_area: exam_area.to_string(),
        qualification: qualification.to_string(),
        level,
        on,
        subjects: lines,
        total,
        total_fen: total.0,
    })
}

/// Prints a quote, as JSON or as a table with a line per subject and the total.
fn print_quote(g: &GlobalArgs, session: &SessionRow, quote: &Quote) -> Result<()> {
    if g.json {
        return print_json(quote);
    }
    outln!(
        "{} {}: {} ({}) in exam area (考区) {}, on {}",
        session.code,
        session.name,
        quote.qualification,
        quote.level,
        quote.exam_area,
        quote.on
    )?;
    let mut t = table(&["科目", "金额（元）", "fee row", "from"]);
    for l in &quote.subjects {
        let r = &l.fee;
        t.add_row(vec![
            l.subject.clone(),
            l.amount.to_string(),
            format!(
                "{} / {} / {} / {}, {}",
                r.region,
                r.level,
                r.qualification.as_deref().unwrap_or("all qualifications"),
                r.subject.unwrap_or("all subjects"),
                match r.effective_to {
                    Some(to) => format!("{} to {to}", r.effective_from),
                    None => format!("from {}", r.effective_from),
                }
            ),
            r.source.clone(),
        ]);
    }
    t.add_row(vec![
        "合计".to_string(),
        quote.total.to_string(),
        String::new(),
        String::new(),
    ]);
    outln!("{t}")?;
    Ok(())
}
