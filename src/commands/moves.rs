//! Moving applications from one state to another as one journalled batch: the plan
//! ([`DecisionPlan`], one [`Move`] per application with the version the preview saw), and
//! the change ([`Moves`]: its preview and conditional writes) that [`apply`] makes. Used by
//! review (approve, reject, apply, undo) and payments (expire).

use std::collections::{BTreeMap, HashSet};

use anyhow::Result;
use serde::Serialize;

use super::batch::{Change, Written, apply};
use super::{Ctx, Rejected};
use crate::cli::Confirm;
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

/// A move of applications as a [`Change`]: the preview's report and examples, and where
/// the moves come from.
pub(crate) struct Moves {
    report: DecisionReport,
    examples: Vec<Example>,
    source: Source,
}

/// Where the moves of a [`Moves`] come from.
pub(crate) enum Source {
    /// A plan read out with the versions the preview saw.
    Plan(DecisionPlan),
    /// Chosen inside the database (`review approve|reject`) in the read transaction the
    /// preview was made in, still open: the moves are read out after the question, so they
    /// keep the versions the preview saw.
    Chosen {
        tx: Option<Tx>,
        to: Status,
        approve: bool,
    },
    /// Chosen inside a batch already open (`--yes`): the preview, the change and the journal
    /// are one write transaction, moved state by state.
    AtOnce {
        opened: Option<(Tx, i64)>,
        groups: Vec<(Status, usize)>,
        to: Status,
    },
}

impl Moves {
    /// A move whose report (counts, skips) the caller made, e.g. from the database's choice.
    pub(crate) fn new(report: DecisionReport, examples: Vec<Example>, source: Source) -> Self {
        Moves {
            report,
            examples,
            source,
        }
    }

    /// A move of the applications a plan names, counted for the preview.
    pub(crate) fn of_plan(session: &SessionRow, action: &str, plan: DecisionPlan) -> Self {
        let mut report = DecisionReport {
            action: action.to_string(),
            session: session.code.clone(),
            dry_run: false,
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
        let examples = plan
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
        Moves::new(report, examples, Source::Plan(plan))
    }

    fn summary(&self) -> String {
        let r = &self.report;
        format!(
            "{}: {} changed ({} forced){}",
            r.action,
            r.changed,
            r.forced,
            if r.changed_meanwhile.is_empty() {
                String::new()
            } else {
                format!(
                    ", {} changed meanwhile and left alone",
                    r.changed_meanwhile.len()
                )
            }
        )
    }
}

/// Shows a plan, asks, and carries it out as one batch.
pub(crate) async fn carry_out(
    cx: &Ctx,
    action: &str,
    plan: DecisionPlan,
    confirm: &Confirm,
) -> Result<()> {
    apply(cx, &mut Moves::of_plan(&cx.session, action, plan), confirm).await
}

impl Change for Moves {
    type Report = DecisionReport;

    fn kind(&self) -> String {
        self.report.action.clone()
    }

    fn size(&self) -> usize {
        self.report.to_change
    }

    fn preview(&self, dry_run: bool) -> String {
        preview(&self.report, &self.examples, dry_run)
    }

    fn question(&self) -> String {
        format!(
            "{}: change {} applications?",
            self.report.action, self.report.to_change
        )
    }

    async fn confirmed(&mut self) -> Result<()> {
        if let Source::Chosen { tx, to, approve } = &mut self.source {
            let mut tx = tx.take().expect("the preview's transaction is read once");
            let moves = tx.chosen_moves().await?;
            drop(tx);
            let (to, approve) = (*to, *approve);
            self.source = Source::Plan(DecisionPlan {
                moves: moves
                    .into_iter()
                    .map(|m| Move {
                        id: m.id,
                        version: m.version,
                        registration_no: m.registration_no,
                        name: String::new(),
                        exam_area: m.exam_area,
                        qualification: String::new(),
                        from: Status::parse(&m.status).unwrap_or(Status::Submitted),
                        to,
                        reason: m.reason,
                        forced: approve && m.forced == 1,
                    })
                    .collect(),
                skipped: BTreeMap::new(),
            });
        }
        Ok(())
    }

    fn opened(&mut self) -> Option<(Tx, i64)> {
        match &mut self.source {
            Source::AtOnce { opened, .. } => opened.take(),
            _ => None,
        }
    }

    async fn write(&mut self, tx: &mut Tx, batch: i64) -> Result<Written> {
        let (changed, meanwhile) = match &self.source {
            Source::Plan(plan) => write_plan(tx, batch, plan).await?,
            Source::AtOnce { groups, to, .. } => write_chosen(tx, batch, groups, *to).await?,
            Source::Chosen { .. } => unreachable!("read out when confirmed"),
        };
        tx.check_references(batch, &[]).await?;
        self.report.changed = changed;
        self.report.changed_meanwhile = meanwhile;
        Ok(Written {
            summary: self.summary(),
            changed,
            analyze: vec![(changed, &["application_states"])],
        })
    }

    fn report(&mut self, dry_run: bool, batch: Option<i64>) -> &DecisionReport {
        self.report.dry_run = dry_run;
        self.report.batch = batch;
        &self.report
    }

    fn done(&self, batch: i64, written: &Written) -> String {
        format!(
            "batch {batch}: {}; undo with: kaowu review undo {batch}",
            written.summary
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
                .map(|n| format!("{n}: look again with kaowu review log --application {n}"))
                .collect(),
        }
        .into())
    }
}

/// Moves each application of a plan made and shown earlier, only from the version the
/// preview saw; says how many moved and which changed meanwhile.
async fn write_plan(tx: &mut Tx, batch: i64, plan: &DecisionPlan) -> Result<(usize, Vec<String>)> {
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
    let meanwhile = plan
        .moves
        .iter()
        .filter(|m| missed.contains(&m.id))
        .map(|m| m.registration_no.clone())
        .collect();
    Ok((changed, meanwhile))
}

/// Moves the applications chosen inside the database, state by state.
async fn write_chosen(
    tx: &mut Tx,
    batch: i64,
    groups: &[(Status, usize)],
    to: Status,
) -> Result<(usize, Vec<String>)> {
    let mut changed = 0;
    let mut missed = HashSet::new();
    for (from, n) in groups {
        let shown = to == Status::Rejected;
        let (moved, not_moved) = tx
            .transition_chosen(batch, from.as_str(), to.as_str(), shown, *n)
            .await?;
        changed += moved;
        missed.extend(not_moved);
    }
    let meanwhile = if missed.is_empty() {
        Vec::new()
    } else {
        tx.chosen_moves()
            .await?
            .into_iter()
            .filter(|m| missed.contains(&m.id))
            .map(|m| m.registration_no)
            .collect()
    };
    tx.drop_chosen().await?;
    Ok((changed, meanwhile))
}

/// A move the preview shows.
pub(crate) struct Example {
    pub(crate) registration_no: String,
    pub(crate) name: String,
    pub(crate) exam_area: String,
    pub(crate) qualification: String,
    pub(crate) reason: String,
}

/// The preview of a move: counts by change and exam area, examples, and what was skipped.
fn preview(r: &DecisionReport, examples: &[Example], dry_run: bool) -> String {
    let mut out = String::new();
    let verb = if dry_run {
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
    out
}
