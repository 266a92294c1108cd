//! The change protocol every command that changes data goes through: a batch opened in a
//! write transaction (the session's writers queue behind it, and the journal records who ran
//! which command line), and the question asked before a change.

use std::io::IsTerminal;

use anyhow::{Result, bail};

use super::now;
use crate::cli::GlobalArgs;
use crate::db::Tx;
use crate::db::sessions::SessionRow;

/// Opens the write transaction of a batch: the session's writers queue, and the batch
/// records who ran which command line.
pub(crate) async fn open_batch(
    db: &crate::db::Db,
    session: &SessionRow,
    g: &GlobalArgs,
    kind: &str,
    undoes: Option<i64>,
) -> Result<(Tx, i64)> {
    let mut tx = db.begin_write().await?;
    let batch = start_batch(&mut tx, session, g, kind, undoes).await?;
    Ok((tx, batch))
}

/// [`open_batch`] in a write transaction already open.
pub(crate) async fn start_batch(
    tx: &mut Tx,
    session: &SessionRow,
    g: &GlobalArgs,
    kind: &str,
    undoes: Option<i64>,
) -> Result<i64> {
    tx.lock_session(session.id).await?;
    let command = crate::db::journal_command(std::env::args_os());
    Ok(tx
        .create_batch(session.id, kind, &g.operator(), &command, now(), undoes)
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
