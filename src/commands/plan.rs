//! `kaowu plan list`: the stored exam plan in exam order.

use anyhow::Result;
use serde::Serialize;

use super::{Rejected, connect, current_session, print_json, table};
use crate::cli::{GlobalArgs, PlanCommand};
use crate::model::level::Level;

#[derive(Serialize)]
struct PlanView {
    level: String,
    qualification: String,
    qualification_code: Option<String>,
    subject: String,
    sitting: String,
    date: chrono::NaiveDate,
    start: String,
    end: String,
}

pub async fn run(g: &GlobalArgs, cmd: &PlanCommand) -> Result<()> {
    let PlanCommand::List { level } = cmd;
    let level = match level {
        Some(text) => Some(Level::parse(text).ok_or_else(|| {
            Rejected::one(
                "plan list",
                format!("--level: expected 初级, 中级 or 高级, found \"{text}\""),
            )
        })?),
        None => None,
    };
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let rows: Vec<PlanView> = tx
        .plan(session.id)
        .await?
        .into_iter()
        .filter(|e| level.is_none_or(|l| e.level == l.zh()))
        .map(|e| PlanView {
            level: e.level,
            qualification: e.qualification,
            qualification_code: e.code,
            subject: e.subject,
            sitting: e.sitting,
            date: e.exam_date,
            start: e.starts_at.format("%H:%M").to_string(),
            end: e.ends_at.format("%H:%M").to_string(),
        })
        .collect();
    if g.json {
        return print_json(&rows);
    }
    if rows.is_empty() {
        outln!(
            "session {} has no plan rows{}: kaowu import plan FILE",
            session.code,
            if level.is_some() {
                " at that level"
            } else {
                ""
            }
        )?;
        return Ok(());
    }
    let mut t = table(&[
        "场次",
        "考试日期",
        "时间",
        "级别",
        "资格名称",
        "资格代码",
        "科目",
    ]);
    for r in &rows {
        t.add_row(vec![
            r.sitting.clone(),
            r.date.to_string(),
            format!("{}-{}", r.start, r.end),
            r.level.clone(),
            r.qualification.clone(),
            r.qualification_code.clone().unwrap_or_default(),
            r.subject.clone(),
        ]);
    }
    outln!("{t}")?;
    Ok(())
}
