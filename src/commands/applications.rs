//! `kaowu applications show`: one application with everything known of it.

use anyhow::Result;
use serde::Serialize;

use super::payments::fees_due;
use super::{Rejected, connect, current_session, print_json, table};
use crate::cli::{ApplicationsCommand, GlobalArgs};
use crate::db::review::JournalRow;
use crate::model::application::Status;
use crate::model::fee;
use crate::model::level::Level;
use crate::model::money::Fen;

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
    history: Vec<JournalRow>,
}

pub async fn run(g: &GlobalArgs, cmd: &ApplicationsCommand) -> Result<()> {
    match cmd {
        ApplicationsCommand::Show { registration_no } => show(g, registration_no.trim()).await,
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
    drop(tx);
    db.close().await;

    let fee_due = fees_due(std::slice::from_ref(&row), &rules, &session.province)[0];
    let (fee_lines, fee_problem) = match (row.approved_on(), Level::parse(&row.level)) {
        (Some(on), Some(level)) => match fee::due(
            &rules,
            &session.province,
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
    };
    let mut fields: Vec<(&'static str, String)> = stored
        .fields()
        .into_iter()
        .filter(|(name, _)| *name != "报考资格")
        .collect();
    fields.insert(0, ("报名序号", row.registration_no.clone()));
    fields.insert(6, ("报考级别", row.level.clone()));
    fields.insert(7, ("报考资格", row.qualification.clone()));
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
        history,
    };
    if g.json {
        return print_json(&shown);
    }
    println!(
        "{} {}: {} ({}){}",
        shown.registration_no,
        row.name,
        shown.status,
        shown.status.zh(),
        if shown.status_reason.is_empty() {
            String::new()
        } else {
            format!(": {}", shown.status_reason)
        }
    );
    let mut t = table(&["字段", "值"]);
    for (name, value) in &shown.fields {
        t.add_row(vec![name.to_string(), value.clone()]);
    }
    println!("{t}");
    if shown.flags.is_empty() {
        println!("flags: none");
    } else {
        println!("flags:");
        for f in &shown.flags {
            println!("  [{}] {}: {}", f.severity, f.code, f.message);
        }
    }
    match (shown.fee_due, &shown.fee_problem) {
        (Some(due), _) => {
            println!(
                "fee due (应缴费用): {due}, fixed on {} (the day of approval)",
                shown.approved_on.as_deref().unwrap_or("?")
            );
            for l in &shown.fee_lines {
                println!("  {} {}  <- {} ({})", l.subject, l.amount, l.row, l.source);
            }
        }
        (None, Some(why)) => println!("fee due (应缴费用): none: {why}"),
        (None, None) => println!("fee due (应缴费用): none"),
    }
    if shown.payments.is_empty() {
        println!("payments: none");
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
        println!("payments:\n{t}");
    }
    println!("history:");
    super::review::print_journal(&shown.history, true);
    Ok(())
}
