//! The change protocol every command that changes data goes through. A command describes
//! its change ([`Change`]: what it is, how to show it, how to write it); [`apply`] does the
//! rest the same way for all of them: the preview, `--dry-run`, `--json`, the question or
//! `--yes`, the batch opened in a write transaction (the session's writers queue behind it,
//! and the journal records who ran which command line), the summary, the planner's
//! statistics, the commit and what is printed.

use std::io::IsTerminal;

use anyhow::{Result, bail};
use serde::Serialize;

use super::{Ctx, now, print_json, show_preview};
use crate::cli::Confirm;
use crate::db::Tx;
use crate::db::sessions::SessionRow;

/// What a batch wrote.
pub(crate) struct Written {
    /// The batch's summary in the journal.
    pub summary: String,
    /// Records changed; when none, the batch is dropped and "nothing changed" said.
    pub changed: usize,
    /// The planner's statistics to refresh: rows changed, and the tables they are in
    /// (refreshed when that many changed, see [`Tx::analyze_after`]).
    pub analyze: Vec<(usize, &'static [&'static str])>,
}

/// A change to the data, as a command describes it to [`apply`]. The command builds it
/// from what it read (its plan: no writes); [`apply`] shows, asks, and calls
/// [`Change::write`] in an open batch.
pub(crate) trait Change {
    /// The `--json` document, before the change (batch `None`) and after it.
    type Report: Serialize;
    /// The batch's kind in the journal (`approve`, `seat-add`).
    fn kind(&self) -> String;
    /// The batch this one reverts.
    fn undoes(&self) -> Option<i64> {
        None
    }
    /// How many records would change; none means there is nothing to do.
    fn size(&self) -> usize;
    /// The preview, in lines ending with a newline.
    fn preview(&self, dry_run: bool) -> String;
    /// What is said when there is nothing to do.
    fn nothing(&self) -> String {
        "nothing to change".to_string()
    }
    /// The question asked on a terminal.
    fn question(&self) -> String;
    /// After the operator said yes (or --yes), before the batch opens: a change read from
    /// a transaction left open since the preview reads what it needs and closes it.
    async fn confirmed(&mut self) -> Result<()> {
        Ok(())
    }
    /// A batch this change opened itself, in the transaction its preview was read in (so
    /// nothing can change in between); `None` has [`apply`] open one.
    fn opened(&mut self) -> Option<(Tx, i64)> {
        None
    }
    /// Writes the change in the batch's transaction.
    async fn write(&mut self, tx: &mut Tx, batch: i64) -> Result<Written>;
    /// After the commit (e.g. checking the flags again).
    async fn committed(&mut self, _cx: &Ctx) -> Result<()> {
        Ok(())
    }
    /// The `--json` document, marked as a dry run or with the batch written.
    fn report(&mut self, dry_run: bool, batch: Option<i64>) -> &Self::Report;
    /// The line printed after the commit.
    fn done(&self, batch: i64, written: &Written) -> String;
    /// The end: an error when part of the change could not be made (say, some records
    /// changed between the preview and the change and were left alone).
    fn outcome(&self) -> Result<()> {
        Ok(())
    }
}

/// How a preview says what it would record: marked on a dry run as the others are.
pub(crate) fn recording(dry_run: bool) -> &'static str {
    if dry_run {
        "would record (dry run)"
    } else {
        "to record"
    }
}

/// Shows a change, asks, and makes it as one batch; see [`Change`]. The preview goes to
/// stdout, or under `--json` (whose document stdout carries) to stderr and only for a dry
/// run. Nothing to do and `--dry-run` end after the preview, with the report under `--json`.
pub(crate) async fn apply<C: Change>(cx: &Ctx, change: &mut C, confirm: &Confirm) -> Result<()> {
    let size = change.size();
    if !cx.json || confirm.dry_run {
        show_preview(cx.json, &change.preview(confirm.dry_run))?;
    }
    if size == 0 || confirm.dry_run {
        if cx.json {
            return print_json(change.report(confirm.dry_run, None));
        }
        if size == 0 {
            outln!("{}", change.nothing())?;
        }
        return Ok(());
    }
    if !confirm.yes && !ask(&change.question())? {
        outln!("nothing changed")?;
        return Ok(());
    }
    change.confirmed().await?;
    let mut t = crate::progress::Phases::new();
    let (mut tx, batch) = match change.opened() {
        Some(opened) => opened,
        None => open_batch(cx, &change.kind(), change.undoes()).await?,
    };
    t.mark("open batch");
    let written = change.write(&mut tx, batch).await?;
    t.mark("write");
    let batch = if written.changed == 0 {
        drop(tx);
        None
    } else {
        tx.set_batch_summary(batch, &written.summary).await?;
        for (n, tables) in &written.analyze {
            tx.analyze_after(*n, tables).await?;
        }
        tx.commit().await?;
        t.mark("commit");
        change.committed(cx).await?;
        Some(batch)
    };
    if cx.json {
        print_json(change.report(false, batch))?;
    } else {
        match batch {
            Some(b) => outln!("{}", change.done(b, &written))?,
            None => outln!("nothing changed")?,
        }
    }
    change.outcome()
}

/// Opens the write transaction of a batch: the session's writers queue, and the batch
/// records who ran which command line.
pub(crate) async fn open_batch(cx: &Ctx, kind: &str, undoes: Option<i64>) -> Result<(Tx, i64)> {
    let mut tx = cx.db.begin_write().await?;
    let batch = start_batch(&mut tx, &cx.session, &cx.operator, kind, undoes).await?;
    Ok((tx, batch))
}

/// [`open_batch`] in a write transaction already open.
pub(crate) async fn start_batch(
    tx: &mut Tx,
    session: &SessionRow,
    operator: &str,
    kind: &str,
    undoes: Option<i64>,
) -> Result<i64> {
    tx.lock_session(session.id).await?;
    let command = crate::db::journal_command(std::env::args_os());
    Ok(tx
        .create_batch(session.id, kind, operator, &command, now(), undoes)
        .await?)
}

/// Asks on a terminal; without one, a change needs --yes.
pub(crate) fn ask(question: &str) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        bail!(
            "{question} Not asked: there is no terminal; add --yes to change without asking, or --dry-run to look"
        );
    }
    eprint!("{question} [y/N] ");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_lowercase().as_str(),
        "y" | "yes" | "是"
    ))
}

/// Prints journal rows as a table (with their batch, time and operator when several batches
/// are shown), for `review log` and `applications show`.
pub(crate) fn print_journal(
    rows: &[crate::db::review::JournalRow],
    with_batch: bool,
) -> Result<()> {
    let mut header = vec![];
    if with_batch {
        header.extend(["batch", "time", "operator"]);
    }
    header.extend(["报名序号", "姓名", "field", "from", "to", "reason"]);
    let mut t = super::table(&header);
    for r in rows {
        let mut row = vec![];
        if with_batch {
            row.extend([
                r.batch_id.to_string(),
                r.created_at.to_string(),
                r.operator.clone(),
            ]);
        }
        row.extend([
            r.registration_no.clone(),
            r.name.clone(),
            r.field.clone(),
            r.old_value.clone().unwrap_or_default(),
            r.new_value.clone().unwrap_or_default(),
            r.reason.clone(),
        ]);
        t.add_row(row);
    }
    outln!("{t}")?;
    Ok(())
}
