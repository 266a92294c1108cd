//! Moving applications from one state to another as one journalled batch: the plan
//! ([`DecisionPlan`], one [`Move`] per application with the version the preview saw), its
//! preview, the question, and the conditional writes. Used by review (approve, reject,
//! apply) and payments (expire).

use std::collections::{BTreeMap, HashSet};

use anyhow::Result;
use serde::Serialize;

use super::batch::{ask, open_batch};
use super::{Rejected, print_json};
use crate::cli::{Confirm, GlobalArgs};
use crate::db::Tx;
use crate::db::sessions::SessionRow;
use crate::model::application::Status;

/// One application that will move, with the version the preview saw.
#[derive(Debug, Clone)]
pub(crate) struct Move {
    pub id: i64,
    pub version: i64,
    pub registration_no: String,
    pub name: String,
    pub exam_area: String,
    pub qualification: String,
    pub from: Status,
    pub to: Status,
    /// The reason journalled (and, for rejections, shown to the candidate).
    pub reason: String,
    pub forced: bool,
}

#[derive(Debug, Default)]
pub(crate) struct DecisionPlan {
    pub moves: Vec<Move>,
    /// Why -> registration numbers.
    pub skipped: BTreeMap<String, Vec<String>>,
}

#[derive(Serialize)]
pub(crate) struct Skipped {
    pub(crate) reason: String,
    pub(crate) applications: usize,
    pub(crate) examples: Vec<String>,
}

#[derive(Serialize)]
pub(crate) struct DecisionReport {
    pub(crate) action: String,
    pub(crate) session: String,
    pub(crate) dry_run: bool,
    pub(crate) batch: Option<i64>,
    pub(crate) to_change: usize,
    pub(crate) changed: usize,
    pub(crate) forced: usize,
    pub(crate) by_change: BTreeMap<String, usize>,
    pub(crate) by_exam_area: BTreeMap<String, usize>,
    pub(crate) skipped: Vec<Skipped>,
    /// Changed by someone else between the preview and the change; left alone.
    pub(crate) changed_meanwhile: Vec<String>,
}

/// Shows the plan, asks, and carries it out as one batch.
pub(crate) async fn carry_out(
    g: &GlobalArgs,
    db: &crate::db::Db,
    session: &SessionRow,
    action: &str,
    plan: DecisionPlan,
    confirm: &Confirm,
) -> Result<()> {
    let mut report = DecisionReport {
        action: action.to_string(),
        session: session.code.clone(),
        dry_run: confirm.dry_run,
        batch: None,
        to_change: plan.moves.len(),
        changed: 0,
        forced: plan.moves.iter().filter(|m| m.forced).count(),
        by_change: BTreeMap::new(),
        by_exam_area: BTreeMap::new(),
        skipped: plan
            .skipped
            .iter()
            .map(|(reason, nos)| Skipped {
                reason: reason.clone(),
                applications: nos.len(),
                examples: nos.iter().take(5).cloned().collect(),
            })
            .collect(),
        changed_meanwhile: Vec::new(),
    };
    // Counted by reference first: a plan can hold 200,000 moves.
    let mut by_change: BTreeMap<(Status, Status), usize> = BTreeMap::new();
    let mut by_exam_area: BTreeMap<&str, usize> = BTreeMap::new();
    for m in &plan.moves {
        *by_change.entry((m.from, m.to)).or_default() += 1;
        *by_exam_area.entry(&m.exam_area).or_default() += 1;
    }
    report.by_change = by_change
        .into_iter()
        .map(|((from, to), n)| (format!("{from} -> {to}"), n))
        .collect();
    report.by_exam_area = by_exam_area
        .into_iter()
        .map(|(a, n)| (a.to_string(), n))
        .collect();
    let examples: Vec<Example> = plan
        .moves
        .iter()
        .take(5)
        .map(|m| Example {
            registration_no: m.registration_no.clone(),
            name: m.name.clone(),
            exam_area: m.exam_area.clone(),
            qualification: m.qualification.clone(),
            reason: m.reason.clone(),
        })
        .collect();
    if shown_and_done(g, &report, &examples, confirm)? {
        return if g.json { print_json(&report) } else { Ok(()) };
    }
    if !asked(action, report.to_change, confirm)? {
        return Ok(());
    }
    write_plan(g, db, session, action, &plan, report).await
}

/// Shows the preview (on stderr under --json, where it is shown only for --dry-run), and
/// says whether that is all: nothing to change, or a dry run.
pub(crate) fn shown_and_done(
    g: &GlobalArgs,
    report: &DecisionReport,
    examples: &[Example],
    confirm: &Confirm,
) -> Result<bool> {
    if !g.json || confirm.dry_run {
        preview(report, examples, g.json)?;
    }
    if report.to_change == 0 || confirm.dry_run {
        if report.to_change == 0 && !g.json {
            outln!("nothing to change")?;
        }
        return Ok(true);
    }
    Ok(false)
}

/// Asks before changing, unless --yes; false when the operator says no.
pub(crate) fn asked(action: &str, n: usize, confirm: &Confirm) -> Result<bool> {
    if !confirm.yes && !ask(&format!("{action}: change {n} applications?"))? {
        outln!("nothing changed")?;
        return Ok(false);
    }
    Ok(true)
}

/// Carries out a plan made and shown earlier, as one batch: each application moves only
/// from the version the preview saw.
pub(crate) async fn write_plan(
    g: &GlobalArgs,
    db: &crate::db::Db,
    session: &SessionRow,
    action: &str,
    plan: &DecisionPlan,
    report: DecisionReport,
) -> Result<()> {
    let mut t = crate::progress::Phases::new();
    let (mut tx, batch) = open_batch(db, session, g, action, None).await?;
    t.mark("open batch");
    // One conditional update per (from, to), each move with its own reason: a rejection by
    // flags has nearly as many reasons as applications, and a statement per reason took
    // 76 s for 120,000 applications.
    type Each<'a> = Vec<(i64, i64, &'a str)>;
    let mut groups: BTreeMap<(Status, Status), Each> = BTreeMap::new();
    for m in &plan.moves {
        groups
            .entry((m.from, m.to))
            .or_default()
            .push((m.id, m.version, m.reason.as_str()));
    }
    let mut missed: HashSet<i64> = HashSet::new();
    let mut changed = 0;
    for ((from, to), list) in &groups {
        // The candidate reads why they were rejected; an approval's reason (--force) is for
        // the journal only.
        let shown = *to == Status::Rejected;
        let (n, not_moved) = tx
            .transition_each(batch, list, from.as_str(), to.as_str(), shown)
            .await?;
        changed += n;
        missed.extend(not_moved);
    }
    t.mark("transition");
    let meanwhile = plan
        .moves
        .iter()
        .filter(|m| missed.contains(&m.id))
        .map(|m| m.registration_no.clone())
        .collect();
    finish(g, tx, batch, action, report, changed, meanwhile).await
}

/// Commits a decision's batch (or drops it when nothing changed), says what happened, and
/// fails when some applications changed between the preview and the change.
pub(crate) async fn finish(
    g: &GlobalArgs,
    mut tx: Tx,
    batch: i64,
    action: &str,
    mut report: DecisionReport,
    changed: usize,
    meanwhile: Vec<String>,
) -> Result<()> {
    let mut t = crate::progress::Phases::new();
    report.changed = changed;
    report.changed_meanwhile = meanwhile;
    let summary = format!(
        "{action}: {} changed ({} forced){}",
        report.changed,
        report.forced,
        if report.changed_meanwhile.is_empty() {
            String::new()
        } else {
            format!(
                ", {} changed meanwhile and left alone",
                report.changed_meanwhile.len()
            )
        }
    );
    if report.changed == 0 {
        drop(tx);
    } else {
        tx.set_batch_summary(batch, &summary).await?;
        tx.check_references(batch, &[]).await?;
        tx.analyze_after(report.changed, &["application_states"])
            .await?;
        tx.commit().await?;
        t.mark("commit");
        report.batch = Some(batch);
    }
    if g.json {
        print_json(&report)?;
    } else {
        match report.batch {
            Some(b) => outln!("batch {b}: {summary}; undo with: kaowu review undo {b}")?,
            None => outln!("nothing changed")?,
        }
    }
    if !report.changed_meanwhile.is_empty() {
        return Err(Rejected {
            what: format!("{action}: {} applications changed between the preview and the change, and were left alone", report.changed_meanwhile.len()),
            problems: report.changed_meanwhile.iter().map(|n| format!("{n}: look again with kaowu review log --application {n}")).collect(),
        }
        .into());
    }
    Ok(())
}

/// A move the preview shows.
pub(crate) struct Example {
    pub(crate) registration_no: String,
    pub(crate) name: String,
    pub(crate) exam_area: String,
    pub(crate) qualification: String,
    pub(crate) reason: String,
}

pub(crate) fn preview(r: &DecisionReport, examples: &[Example], to_stderr: bool) -> Result<()> {
    let mut out = String::new();
    let verb = if r.dry_run {
        "would change (dry run)"
    } else {
        "will change"
    };
    out.push_str(&format!(
        "{}: {} applications {verb}",
        r.action, r.to_change
    ));
    if r.forced > 0 {
        out.push_str(&format!(", {} of them forced past error flags", r.forced));
    }
    out.push('\n');
    for (change, n) in &r.by_change {
        out.push_str(&format!("  {change}: {n}\n"));
    }
    if !r.by_exam_area.is_empty() {
        let areas: Vec<String> = r
            .by_exam_area
            .iter()
            .map(|(a, n)| format!("{a} {n}"))
            .collect();
        out.push_str(&format!("  by exam area (考区): {}\n", areas.join(", ")));
    }
    for m in examples {
        out.push_str(&format!(
            "  e.g. {} {} {} {}{}\n",
            m.registration_no,
            m.name,
            m.exam_area,
            m.qualification,
            if m.reason.is_empty() {
                String::new()
            } else {
                format!(" ({})", m.reason)
            }
        ));
    }
    for s in &r.skipped {
        out.push_str(&format!(
            "skipped {}: {} (e.g. {})\n",
            s.applications,
            s.reason,
            s.examples.join(", ")
        ));
    }
    Ok(super::show_preview(to_stderr, &out)?)
}
