//! One file per subcommand (or group); shared helpers for sessions, rejected input and output.

/// Prints on standard output like `print!`, returning the error instead of panicking: a
/// reader that stops early (`kaowu ... | head`) closes the pipe, which is a normal end
/// (see [`crate::is_broken_pipe`]). Every command prints through this or [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::commands::write_out(format_args!($($arg)*))
    };
}

/// [`out!`] with a line end, as `println!`.
macro_rules! outln {
    () => {
        $crate::commands::write_out(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::commands::write_out(format_args!("{}\n", format_args!($($arg)*)))
    };
}

// What the commands share, each named for what it is; only the dispatch imports the files
// named after a subcommand.
pub mod batch;
pub mod books;
pub mod checks;
pub mod documents;
pub mod exam_day;
pub mod intake;
pub mod measure;
pub mod moves;
pub mod printing;
pub mod results;
pub mod staffing;

// One file per subcommand (or group).
pub mod applications;
pub mod attendance;
pub mod bench;
pub mod cards;
pub mod certificates;
pub mod demo;
pub mod exam_day_samples;
pub mod fees;
pub mod import;
pub mod import_applications;
pub mod import_staff;
pub mod pass_list;
pub mod payments;
pub mod plan;
pub mod recheck;
pub mod report;
pub mod review;
pub mod roomlog;
pub mod roster;
pub mod samples;
pub mod score_samples;
pub mod scores;
pub mod seat;
pub mod session;
pub mod sheets;
pub mod sites;
pub mod staff;
pub mod staff_documents;
pub mod staff_samples;
pub mod status;
pub mod violations;

use std::fmt;

use anyhow::{Context, Result, bail};
use serde::Serialize;

use crate::cli::GlobalArgs;
use crate::db::sessions::SessionRow;
use crate::db::{Db, Tx};

/// How many problems are printed before the rest are only counted.
pub const PROBLEM_CAP: usize = 50;

/// Input that was refused: every problem found, with its place. Nothing was written.
/// Exit code 1.
#[derive(Debug)]
pub struct Rejected {
    pub what: String,
    pub problems: Vec<String>,
}

impl Rejected {
    pub fn one(what: impl Into<String>, problem: impl Into<String>) -> Self {
        Rejected {
            what: what.into(),
            problems: vec![problem.into()],
        }
    }
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        if n == 1 {
            return write!(f, "{}: {}", self.what, self.problems[0]);
        }
        write!(f, "{}: {n} problems; nothing was written", self.what)?;
        for p in self.problems.iter().take(PROBLEM_CAP) {
            write!(f, "\n  {p}")?;
        }
        if n > PROBLEM_CAP {
            write!(f, "\n  ... and {} more", n - PROBLEM_CAP)?;
        }
        Ok(())
    }
}

impl std::error::Error for Rejected {}

/// What a command needs of the command line once it runs: the database, the session it
/// works on, who works (for the journal), and whether it prints JSON. Passed down instead of
/// the CLI's [`GlobalArgs`].
pub struct Ctx {
    pub db: Db,
    pub session: SessionRow,
    pub operator: String,
    pub json: bool,
}

impl Ctx {
    /// The context of a database and session already found.
    pub fn new(g: &GlobalArgs, db: Db, session: SessionRow) -> Self {
        Ctx {
            db,
            session,
            operator: g.operator(),
            json: g.json,
        }
    }

    /// Connects and finds the session the flags name.
    pub async fn open(g: &GlobalArgs) -> Result<Self> {
        let db = connect(g).await?;
        let mut tx = db.begin().await?;
        let session = current_session(&mut tx, g).await?;
        drop(tx);
        Ok(Ctx::new(g, db, session))
    }
}

/// Connects to the database the flags name.
pub async fn connect(g: &GlobalArgs) -> Result<Db> {
    Ok(Db::connect(&g.database_url).await?)
}

/// The session to work on: `--session`/`KAOWU_SESSION`, or the only one there is.
pub async fn current_session(tx: &mut Tx, g: &GlobalArgs) -> Result<SessionRow> {
    if let Some(code) = &g.session {
        let code = code.trim().to_ascii_uppercase();
        return if let Some(s) = tx.session_by_code(&code).await? {
            Ok(s)
        } else {
            let all = tx.sessions().await?;
            let known: Vec<&str> = all.iter().map(|s| s.code.as_str()).collect();
            bail!(
                "no session {code} in the database; {}",
                if known.is_empty() {
                    "create it with: kaowu session create CODE --province PROVINCE".to_string()
                } else {
                    format!("it has: {}", known.join(", "))
                }
            )
        };
    }
    let mut all = tx.sessions().await?;
    match all.len() {
        0 => bail!(
            "the database has no session yet; create one with: kaowu session create 2026H2 --province 云南"
        ),
        1 => Ok(all.remove(0)),
        _ => {
            let known: Vec<&str> = all.iter().map(|s| s.code.as_str()).collect();
            bail!(
                "the database has several sessions ({}); name one with --session or KAOWU_SESSION",
                known.join(", ")
            )
        }
    }
}

/// Writes to standard output, for [`out!`] and [`outln!`].
pub fn write_out(args: fmt::Arguments<'_>) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_fmt(args)?;
    out.flush()
}

/// Prints a preview: on stdout, or on stderr when stdout carries the `--json` document.
pub fn show_preview(json: bool, text: &str) -> std::io::Result<()> {
    if json {
        eprint!("{text}");
        Ok(())
    } else {
        out!("{text}")
    }
}

/// Whether a file goes to standard output (`--out -`), where a workbook can be piped on;
/// refused with `--json`, which prints there too.
pub fn out_is_stdout(g: &GlobalArgs, out: &std::path::Path) -> Result<bool> {
    let to_stdout = crate::io::atomic::is_stdout(out);
    if to_stdout && g.json {
        bail!(
            "--out - writes the file on standard output, where --json prints too: use one of them"
        );
    }
    Ok(to_stdout)
}

/// Prints `value` as pretty JSON on stdout.
pub fn print_json(value: &impl Serialize) -> Result<()> {
    let s = serde_json::to_string_pretty(value).context("cannot write JSON")?;
    outln!("{s}")?;
    Ok(())
}

/// A table for the terminal (comfy-table measures CJK characters as two columns), as wide
/// as its content, or narrowed to the terminal's width (see [`Table`]).
pub fn table(header: &[&str]) -> Table {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_BORDERS_ONLY)
        .set_content_arrangement(comfy_table::ContentArrangement::Disabled)
        .set_header(header.iter().copied());
    Table(t)
}

/// A table for the terminal. Wider than the terminal, its columns wrap within their cells,
/// at spaces or between CJK characters, never inside a number or an ASCII word, so that an
/// ID number or a date stays whole; when even that is too wide, each row is printed as a
/// record, a line per column (as psql's expanded display). Into a pipe or a file it keeps
/// its natural width.
pub struct Table(comfy_table::Table);

impl std::ops::Deref for Table {
    type Target = comfy_table::Table;
    fn deref(&self) -> &comfy_table::Table {
        &self.0
    }
}

impl std::ops::DerefMut for Table {
    fn deref_mut(&mut self) -> &mut comfy_table::Table {
        &mut self.0
    }
}

/// Columns as wide as `widths`, a space of padding each side, one between, and borders.
fn table_width(widths: impl Iterator<Item = usize>) -> usize {
    widths.map(|w| w + 3).sum::<usize>() + 1
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let natural = self.0.column_max_content_widths();
        let Some(width) =
            terminal_width().filter(|w| table_width(natural.iter().map(|n| usize::from(*n))) > *w)
        else {
            return write!(f, "{}", self.0);
        };
        let header: Vec<String> = self
            .0
            .header()
            .map(|h| h.cell_iter().map(comfy_table::Cell::content).collect())
            .unwrap_or_default();
        let rows: Vec<Vec<String>> = self
            .0
            .row_iter()
            .map(|r| r.cell_iter().map(comfy_table::Cell::content).collect())
            .collect();
        let mut narrowest = vec![1usize; natural.len()];
        for row in std::iter::once(&header).chain(&rows) {
            for (c, text) in row.iter().enumerate() {
                narrowest[c] = narrowest[c].max(longest_unbreakable(text));
            }
        }
        if table_width(narrowest.iter().copied()) > width {
            return write_records(f, &header, &rows);
        }
        let mut t = self.0.clone();
        // The boundary counts the cell's padding.
        t.set_constraints(narrowest.into_iter().map(|w| {
            let w = u16::try_from(w + 2).unwrap_or(u16::MAX);
            comfy_table::ColumnConstraint::LowerBoundary(comfy_table::Width::Fixed(w))
        }))
        .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
        .set_width(u16::try_from(width).unwrap_or(u16::MAX));
        write!(f, "{t}")
    }
}

/// Each row as a record: a rule with its number, then a line per column, `header  value`.
fn write_records(
    f: &mut fmt::Formatter<'_>,
    header: &[String],
    rows: &[Vec<String>],
) -> fmt::Result {
    use crate::model::text::display_width;
    let key = header.iter().map(|h| display_width(h)).max().unwrap_or(0);
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            writeln!(f)?;
        }
        write!(f, "-[ {} ]-", i + 1)?;
        for (h, v) in header.iter().zip(row) {
            let pad = " ".repeat(key - display_width(h));
            write!(f, "\n{h}{pad}  {}", v.replace('\n', " "))?;
        }
    }
    Ok(())
}

/// The widest run of text a line may not break in: an ASCII word (a number, a date, a
/// code), or one CJK character.
fn longest_unbreakable(text: &str) -> usize {
    use crate::model::text::display_width;
    let (mut longest, mut run) = (0, 0);
    for c in text.chars() {
        let w = display_width(c.encode_utf8(&mut [0; 4]));
        run = if c.is_whitespace() || w > 1 {
            0
        } else {
            run + 1
        };
        longest = longest.max(run).max(w);
    }
    longest
}

/// How wide the terminal is: `COLUMNS` when set (as a user may set it), else the width of
/// the terminal that standard output is; None into a pipe or a file, where a table keeps its
/// natural width.
pub fn terminal_width() -> Option<usize> {
    if let Some(w) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
    {
        return Some(w.max(20));
    }
    terminal_size::terminal_size_of(std::io::stdout()).map(|(w, _)| usize::from(w.0))
}

/// The local time, as stored in `imported_at` and `created_at`; offices work in one zone.
pub fn now() -> chrono::NaiveDateTime {
    let n = chrono::Local::now().naive_local();
    n.with_nanosecond(0).unwrap_or(n)
}

use chrono::Timelike;
