//! `kaowu attendance import`: attendance (考勤) per candidate and subject from what the sites
//! send back, checked against the seating, stored as one batch that `review undo` reverts.

use std::collections::{BTreeMap, HashMap};

use anyhow::{Result, bail};
use serde::Serialize;

use super::batch::{Change, Written, apply};
use super::exam_day::{ExamDay, room_cell, sitting_cell};
use super::intake::{Diff, FileDigest, read_rows, record_import, reject_if_any};
use super::{Ctx, connect, current_session};
use crate::cli::{AttendanceCommand, Confirm, GlobalArgs, ImportArgs};
use crate::db::Tx;
use crate::io::table::{self, Cells, Column, Schema, Value};
use crate::model::attendance::{self, Counts, Line, Mark, State};
use crate::model::level::Level;

pub const ATTENDANCE: Schema = Schema {
    what: "attendance (考勤)",
    columns: &[
        Column::opt("card_no", "准考证号", "card_no").aka(&["准考证", "准考证编号"]),
        Column::opt("exam_area", "考区", "exam_area").aka(&["考区名称"]),
        Column::opt("site_code", "考点代码", "site_code").aka(&["考点编号", "考点编码"]),
        Column::opt("room", "考场号", "room").aka(&["考场", "考场编号"]),
        Column::opt("sitting", "场次", "sitting").aka(&["批次"]),
        Column::opt("subject", "科目", "subject").aka(&["考试科目", "科目名称"]),
        Column::opt("mark", "考勤", "mark").aka(&["考勤状态", "状态", "出勤", "attendance"]),
        Column::opt("expected", "应到", "expected").aka(&["应到人数", "应考"]),
        Column::opt("present", "实到", "present").aka(&["实到人数", "实考"]),
        Column::opt("absent", "缺考", "absent").aka(&["缺考人数"]),
        Column::opt("s_zhzs", "综合知识", "comprehensive_knowledge"),
        Column::opt("s_alfx", "案例分析", "case_analysis"),
        Column::opt("s_lw", "论文", "essay"),
        Column::opt("s_jczs", "基础知识", "basic_knowledge"),
        Column::opt("s_yyjs", "应用技术", "applied_technology"),
    ],
};

/// The subject columns of a keyed sign-in sheet, with the subject each holds.
const SUBJECT_COLUMNS: [(&str, &str); 5] = [
    ("s_zhzs", "综合知识"),
    ("s_alfx", "案例分析"),
    ("s_lw", "论文"),
    ("s_jczs", "基础知识"),
    ("s_yyjs", "应用技术"),
];

pub async fn run(g: &GlobalArgs, cmd: &AttendanceCommand) -> Result<()> {
    let AttendanceCommand::Import(args) = cmd;
    import(g, &args.with_stdin()?).await
}

fn mark(v: &Value) -> Result<Mark, String> {
    Mark::parse(&table::text(v)?)
}

/// One row: its room and sitting resolved by name, its marks.
fn parse_line(c: &mut Cells<'_, '_>, day: &ExamDay) -> Line {
    let card_no = c.code("card_no", false).unwrap_or_default();
    let room_id = room_cell(c, day, false);
    let sitting_id = sitting_cell(c, day, false);
    let mut marks = Vec::new();
    for (key, subject) in SUBJECT_COLUMNS {
        if let Some(m) = c.get(key, false, mark) {
            marks.push((Some(subject.to_string()), m));
        }
    }
    if marks.is_empty() && !card_no.is_empty() {
        let subject = c.text("subject", false).and_then(|s| {
            let found = Level::ALL.iter().find_map(|l| l.subject(&s));
            if found.is_none() {
                c.problem("subject", format!("\"{s}\" is not a subject of 软考"));
            }
            found.map(str::to_string)
        });
        let m = c.get("mark", false, mark).unwrap_or(Mark::Absent);
        marks.push((subject, m));
    }
    let expected = c.get("expected", false, table::count);
    let present = c.get("present", false, table::count);
    let absent = c.get("absent", false, table::count);
    let counts = match (expected, present, absent) {
        (Some(expected), Some(present), Some(absent)) => Some(Counts {
            expected,
            present,
            absent,
        }),
        (None, None, None) => None,
        _ => {
            c.problem("expected", "the counts are 应到, 实到 and 缺考 together");
            None
        }
    };
    if card_no.is_empty() && counts.is_none() && room_id.is_none() {
        c.problem("card_no", "a value is required here, found an empty cell");
    }
    Line {
        line: c.line(),
        room_id,
        sitting_id,
        card_no,
        marks,
        counts,
    }
}

async fn import(g: &GlobalArgs, args: &ImportArgs) -> Result<()> {
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let day = ExamDay::load(&mut tx, session.id).await?;
    if day.seats.is_empty() {
        return Err(super::Rejected::one(
            args.shown(),
            format!("session {} has nobody seated with an admit card: attendance follows the seating (kaowu seat assign)", session.code),
        )
        .into());
    }
    let (header, lines, problems) = read_rows(args.source(), args, ATTENDANCE, |c| {
        Some(parse_line(c, &day))
    })?;
    let names = |r, s| day.name(r, s);
    let (planned, rules) = match attendance::plan(&lines, &day.facts, &names) {
        Ok(p) => (p, Vec::new()),
        Err(rules) => (attendance::Planned::default(), rules),
    };
    reject_if_any(
        &header,
        problems,
        rules.into_iter().map(|p| (lines[p.row].line, p)).collect(),
    )?;
    let seen = tx.attendance_fingerprint(session.id).await?;
    let stored: HashMap<(i64, String), String> = tx
        .attendance(session.id)
        .await?
        .into_iter()
        .map(|r| ((r.application_id, r.subject), r.state))
        .collect();
    drop(tx);
    let card_of: HashMap<i64, &str> = day
        .facts
        .iter()
        .map(|f| (f.application_id, f.card_no.as_str()))
        .collect();
    let mut change = Marks::new(planned, &stored, &card_of, &day, args);
    change.report.session.clone_from(&session.code);
    change.session_id = session.id;
    change.operator = g.operator();
    change.seen = seen;
    let cx = Ctx::new(g, db, session);
    // The file is the operator's consent, as with every import: nothing is asked.
    let confirm = Confirm {
        yes: true,
        dry_run: args.change.dry_run,
    };
    apply(&cx, &mut change, &confirm).await
}

/// The states a file changes, against what is stored.
struct Marks {
    changes: Vec<(State, Option<Mark>)>,
    diff: Diff,
    file: FileDigestArgs,
    report: MarksReport,
    verbose: bool,
    session_id: i64,
    operator: String,
    /// The stored attendance as read ([`Tx::attendance_fingerprint`]).
    seen: (i64, i64),
}

/// What the import record needs of the file.
struct FileDigestArgs {
    source: std::path::PathBuf,
    shown: String,
}

#[derive(Serialize)]
struct MarksReport {
    import: &'static str,
    session: String,
    file: String,
    dry_run: bool,
    batch: Option<i64>,
    rooms: usize,
    states: usize,
    added: usize,
    changed: usize,
    unchanged: usize,
    /// The file's states by mark.
    marks: BTreeMap<&'static str, usize>,
    changes: Vec<MarkChange>,
}

#[derive(Serialize)]
struct MarkChange {
    card_no: String,
    subject: String,
    from: Option<&'static str>,
    to: &'static str,
    room: String,
}

impl Marks {
    fn new(
        planned: attendance::Planned,
        stored: &HashMap<(i64, String), String>,
        card_of: &HashMap<i64, &str>,
        day: &ExamDay,
        args: &ImportArgs,
    ) -> Marks {
        let mut diff = Diff::default();
        let mut changes = Vec::new();
        let mut marks: BTreeMap<&'static str, usize> = BTreeMap::new();
        let total = planned.states.len();
        for s in planned.states {
            *marks.entry(s.mark.label()).or_default() += 1;
            let before = stored
                .get(&(s.application_id, s.subject.clone()))
                .and_then(|b| Mark::from_stored(b));
            let card = card_of.get(&s.application_id).copied().unwrap_or("?");
            match before {
                Some(b) if b == s.mark => diff.unchanged += 1,
                Some(b) => diff.changed.push(super::intake::Changed {
                    key: format!("{card} {}", s.subject),
                    fields: vec![format!("{} -> {}", b.label(), s.mark.label())],
                }),
                // Only the first few added are listed: the rest are counted, not formatted.
                None if diff.added.len() < Diff::LISTED => {
                    diff.add_listed(&format!("{card} {} {}", s.subject, s.mark.label()));
                }
                None => diff.added_not_listed += 1,
            }
            if before != Some(s.mark) {
                changes.push((s, before));
            }
        }
        // What the preview lists: the absent and those who left early first, by room, as
        // the sheets say them; then the rest.
        let mut order: Vec<&(State, Option<Mark>)> = changes.iter().collect();
        order.sort_by_key(|(s, _)| (s.mark == Mark::Present, s.room_id, s.sitting_id));
        let listed: Vec<MarkChange> = order
            .into_iter()
            .take(200)
            .map(|(s, before)| MarkChange {
                card_no: card_of
                    .get(&s.application_id)
                    .copied()
                    .unwrap_or("?")
                    .to_string(),
                subject: s.subject.clone(),
                from: before.map(Mark::label),
                to: s.mark.label(),
                room: day.name(s.room_id, s.sitting_id),
            })
            .collect();
        let report = MarksReport {
            import: "attendance",
            session: String::new(),
            file: args.shown(),
            dry_run: args.change.dry_run,
            batch: None,
            rooms: planned.rooms,
            states: total,
            added: diff.added_count(),
            changed: diff.changed.len(),
            unchanged: diff.unchanged,
            marks,
            changes: listed,
        };
        Marks {
            changes,
            diff,
            file: FileDigestArgs {
                source: args.source().to_path_buf(),
                shown: args.shown(),
            },
            report,
            verbose: args.verbose,
            session_id: 0,
            operator: String::new(),
            seen: (0, 0),
        }
    }
}

impl Change for Marks {
    type Report = MarksReport;

    fn kind(&self) -> String {
        "attendance".to_string()
    }

    fn size(&self) -> usize {
        self.changes.len()
    }

    fn preview(&self, dry_run: bool) -> String {
        let r = &self.report;
        let (verb, add, change) = if dry_run {
            ("dry run, nothing written", "would add", "would change")
        } else {
            ("to record", "add", "change")
        };
        let marks: Vec<String> = r.marks.iter().map(|(m, n)| format!("{m} {n}")).collect();
        let mut out = format!(
            "attendance (考勤) {}: {verb}: {} rooms and sittings, {} states ({}): {add} {}, {change} {}, unchanged {}\n",
            r.file,
            r.rooms,
            r.states,
            marks.join(", "),
            r.added,
            r.changed,
            r.unchanged
        );
        let shown = if self.verbose { usize::MAX } else { 20 };
        for c in r.changes.iter().take(shown) {
            out.push_str(&format!(
                "  {} {} {}: {} -> {}\n",
                c.room,
                c.card_no,
                c.subject,
                c.from.unwrap_or("(none)"),
                c.to
            ));
        }
        if self.changes.len() > shown.min(r.changes.len()) {
            out.push_str(&format!(
                "  ... and {} more{}\n",
                self.changes.len() - shown.min(r.changes.len()),
                if self.verbose {
                    ""
                } else {
                    " (--verbose lists up to 200)"
                }
            ));
        }
        out
    }

    fn nothing(&self) -> String {
        "attendance: nothing to change, every state is recorded as the file says".to_string()
    }

    fn question(&self) -> String {
        format!("record {} attendance states?", self.changes.len())
    }

    async fn write(&mut self, tx: &mut Tx, batch: i64) -> Result<Written> {
        if tx.attendance_fingerprint(self.session_id).await? != self.seen {
            bail!(
                "the attendance stored changed while {} was read (another import or an undo); \
                 nothing was changed: import it again",
                self.file.shown
            );
        }
        write_marks(tx, batch, &self.changes).await?;
        let digest = FileDigest::start(&self.file.source, self.file.shown.clone());
        record_import(
            tx,
            self.session_id,
            "attendance",
            digest,
            &self.operator,
            &self.diff,
        )
        .await?;
        Ok(Written {
            summary: format!(
                "attendance from {}: {} added, {} changed",
                self.file.shown, self.report.added, self.report.changed
            ),
            changed: self.changes.len(),
            analyze: vec![(self.changes.len(), &["attendance"])],
        })
    }

    fn report(&mut self, dry_run: bool, batch: Option<i64>) -> &MarksReport {
        self.report.dry_run = dry_run;
        self.report.batch = batch;
        &self.report
    }

    fn done(&self, batch: i64, _written: &Written) -> String {
        format!(
            "attendance recorded as batch {batch}: {} added, {} changed, {} unchanged (kaowu review undo {batch} restores the states before)",
            self.report.added, self.report.changed, self.report.unchanged
        )
    }
}

/// Stores the states and journals each change as `attendance:<subject>`.
async fn write_marks(tx: &mut Tx, batch: i64, changes: &[(State, Option<Mark>)]) -> Result<()> {
    let rows: Vec<(i64, &str, i64, i64, &str)> = changes
        .iter()
        .map(|(s, _)| {
            (
                s.application_id,
                s.subject.as_str(),
                s.sitting_id,
                s.room_id,
                s.mark.as_str(),
            )
        })
        .collect();
    let mut t = crate::progress::Phases::new();
    tx.set_attendance(batch, &rows).await?;
    t.mark("attendance rows");
    let journal: Vec<crate::db::payments::JournalLine<'_>> = changes
        .iter()
        .map(|(s, before)| {
            (
                s.application_id,
                format!("attendance:{}", s.subject),
                before.map(Mark::as_str),
                Some(s.mark.as_str()),
                "attendance import",
            )
        })
        .collect();
    tx.journal_many(batch, &journal).await?;
    t.mark("journal");
    Ok(())
}
