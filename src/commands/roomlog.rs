//! `kaowu roomlog import`: each room's log (考场记录单) of a sitting: counts checked against
//! the seating and the attendance recorded, incidents, and who signed.

use std::collections::{HashMap, HashSet};

use anyhow::Result;
use serde::Serialize;

use super::batch::start_batch;
use super::exam_day::{ExamDay, room_cell, sitting_cell};
use super::intake::{Diff, FileDigest, read_rows, record_import, reject_if_any};
use super::{connect, current_session, print_json};
use crate::cli::{GlobalArgs, ImportArgs, RoomlogCommand};
use crate::db::exam_day::RoomLog;
use crate::io::table::{self, Cells, Column, Schema};
use crate::model::RowProblem;
use crate::model::attendance::{Counts, Mark};
use crate::model::text::names;

pub const ROOM_LOGS: Schema = Schema {
    what: "room logs (考场记录)",
    columns: &[
        Column::opt("exam_area", "考区", "exam_area").aka(&["考区名称"]),
        Column::req("site_code", "考点代码", "site_code").aka(&["考点编号", "考点编码"]),
        Column::req("room", "考场号", "room").aka(&["考场", "考场编号"]),
        Column::req("sitting", "场次", "sitting").aka(&["批次"]),
        Column::req("expected", "应到", "expected").aka(&["应到人数", "应考"]),
        Column::req("present", "实到", "present").aka(&["实到人数", "实考"]),
        Column::req("absent", "缺考", "absent").aka(&["缺考人数"]),
        Column::opt("machine_swaps", "换机", "machine_swaps").aka(&["换机次数"]),
        Column::opt("power_cuts", "断电", "power_cuts").aka(&["断电次数"]),
        Column::opt("delay_minutes", "延时", "delay_minutes").aka(&["延时（分钟）", "延时分钟"]),
        Column::opt("notes", "情况记录", "notes").aka(&["考场情况", "备注"]),
        Column::req("invigilators", "监考人员", "invigilators").aka(&["监考员", "监考"]),
        Column::req("chief", "主考", "chief").aka(&["主考签名", "考点主考"]),
    ],
};

/// A row of the file with its line.
struct LogLine {
    line: usize,
    log: RoomLog,
}

#[derive(Serialize)]
struct Report<'a> {
    import: &'static str,
    session: &'a str,
    file: String,
    dry_run: bool,
    rows: usize,
    added: usize,
    changed: usize,
    unchanged: usize,
    machine_swaps: i64,
    power_cuts: i64,
    delay_minutes: i64,
    changes: &'a Diff,
}

pub async fn run(g: &GlobalArgs, cmd: &RoomlogCommand) -> Result<()> {
    let RoomlogCommand::Import(args) = cmd;
    import(g, &args.with_stdin()?).await
}

fn parse_log(c: &mut Cells<'_, '_>, day: &ExamDay) -> Option<LogLine> {
    let room_id = room_cell(c, day, true);
    let sitting_id = sitting_cell(c, day, true);
    let count = |c: &mut Cells<'_, '_>, key: &str, required: bool| {
        c.get(key, required, table::count).map(i64::from)
    };
    let expected = count(c, "expected", true);
    let present = count(c, "present", true);
    let absent = count(c, "absent", true);
    let machine_swaps = count(c, "machine_swaps", false).unwrap_or(0);
    let power_cuts = count(c, "power_cuts", false).unwrap_or(0);
    let delay_minutes = count(c, "delay_minutes", false).unwrap_or(0);
    let notes = c.text("notes", false).unwrap_or_default();
    let invigilators = c.text("invigilators", true).map(|t| names(&t));
    if let Some(i) = &invigilators
        && i.len() < 2
    {
        c.problem(
            "invigilators",
            format!(
                "a room log is signed by two invigilators, found {}",
                i.len()
            ),
        );
    }
    let chief = c.text("chief", true);
    Some(LogLine {
        line: c.line(),
        log: RoomLog {
            sitting_id: sitting_id?,
            room_id: room_id?,
            expected: expected?,
            present: present?,
            absent: absent?,
            machine_swaps,
            power_cuts,
            delay_minutes,
            notes,
            invigilators: invigilators?.join("、"),
            chief: chief?,
        },
    })
}

/// The counts against the seating and the attendance recorded: (seated, came, stayed away)
/// per room and sitting, the last two only where every seat has its attendance.
fn check_counts(
    rows: &[LogLine],
    day: &ExamDay,
    recorded: &HashMap<(i64, String), Mark>,
) -> Vec<RowProblem> {
    let mut seated: HashMap<(i64, i64), (i64, i64, i64, bool)> = HashMap::new();
    for f in &day.facts {
        let e = seated
            .entry((f.room_id, f.sitting_id))
            .or_insert((0, 0, 0, true));
        e.0 += 1;
        let marks: Vec<Option<&Mark>> = f
            .subjects
            .iter()
            .map(|s| recorded.get(&(f.application_id, s.clone())))
            .collect();
        if marks.iter().any(Option::is_none) {
            e.3 = false;
        } else if marks.iter().flatten().any(|m| m.sat()) {
            e.1 += 1;
        } else {
            e.2 += 1;
        }
    }
    let mut problems = Vec::new();
    let mut seen = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        let l = &r.log;
        let key = (l.room_id, l.sitting_id);
        if let Some(first) = seen.insert(key, r.line) {
            problems.push(RowProblem::new(
                i,
                "room",
                format!(
                    "{} is logged twice: here and on row {first}",
                    day.name(l.room_id, l.sitting_id)
                ),
            ));
        }
        let (n, came, away, complete) = seated.get(&key).copied().unwrap_or((0, 0, 0, false));
        let counts = Counts {
            expected: l.expected as u32,
            present: l.present as u32,
            absent: l.absent as u32,
        };
        if let Err(e) = counts.check() {
            problems.push(RowProblem::new(i, "expected", e));
        } else if l.expected != n {
            problems.push(RowProblem::new(
                i,
                "expected",
                format!(
                    "{} has {n} seated candidates, the log says 应到 {}",
                    day.name(l.room_id, l.sitting_id),
                    l.expected
                ),
            ));
        } else if complete && (l.present, l.absent) != (came, away) {
            problems.push(RowProblem::new(
                i,
                "present",
                format!(
                    "the attendance recorded for {} says 实到 {came} 缺考 {away}, the log 实到 {} 缺考 {}",
                    day.name(l.room_id, l.sitting_id),
                    l.present,
                    l.absent
                ),
            ));
        }
    }
    problems
}

/// `field: old -> new` for each field of a room's log that the file changes.
fn changed_fields(old: &RoomLog, new: &RoomLog) -> Vec<String> {
    let numbers = [
        ("应到", old.expected, new.expected),
        ("实到", old.present, new.present),
        ("缺考", old.absent, new.absent),
        ("换机", old.machine_swaps, new.machine_swaps),
        ("断电", old.power_cuts, new.power_cuts),
        ("延时", old.delay_minutes, new.delay_minutes),
    ];
    let texts = [
        ("情况记录", &old.notes, &new.notes),
        ("监考人员", &old.invigilators, &new.invigilators),
        ("主考", &old.chief, &new.chief),
    ];
    numbers
        .iter()
        .filter(|(_, o, n)| o != n)
        .map(|(name, o, n)| format!("{name}: {o} -> {n}"))
        .chain(
            texts
                .iter()
                .filter(|(_, o, n)| o != n)
                .map(|(name, o, n)| format!("{name}: {o} -> {n}")),
        )
        .collect()
}

async fn import(g: &GlobalArgs, args: &ImportArgs) -> Result<()> {
    let db = connect(g).await?;
    let mut tx = db.begin_write().await?;
    let session = current_session(&mut tx, g).await?;
    tx.lock_session(session.id).await?;
    let day = ExamDay::load(&mut tx, session.id).await?;
    let (header, rows, problems) =
        read_rows(args.source(), args, ROOM_LOGS, |c| parse_log(c, &day))?;
    let recorded: HashMap<(i64, String), Mark> = tx
        .attendance(session.id)
        .await?
        .into_iter()
        .filter_map(|r| Some(((r.application_id, r.subject), Mark::from_stored(&r.state)?)))
        .collect();
    let rules = check_counts(&rows, &day, &recorded);
    reject_if_any(
        &header,
        problems,
        rules.into_iter().map(|p| (rows[p.row].line, p)).collect(),
    )?;

    let stored: HashMap<(i64, i64), RoomLog> = tx
        .room_logs(session.id)
        .await?
        .into_iter()
        .map(|l| ((l.room_id, l.sitting_id), l))
        .collect();
    let mut diff = Diff::default();
    let mut keys = HashSet::new();
    for r in &rows {
        let l = &r.log;
        keys.insert((l.room_id, l.sitting_id));
        let key = day.name(l.room_id, l.sitting_id);
        diff.row(
            key,
            stored
                .get(&(l.room_id, l.sitting_id))
                .map(|s| changed_fields(s, l)),
        );
    }
    diff.kept = stored.keys().filter(|k| !keys.contains(k)).count();
    let writes = !diff.added.is_empty() || !diff.changed.is_empty();
    if !args.change.dry_run && writes {
        let batch = start_batch(&mut tx, &session, &g.operator(), "import", None).await?;
        for r in &rows {
            tx.put_room_log(session.id, batch, &r.log).await?;
        }
        tx.set_batch_summary(batch, &format!("room logs from {}", args.shown()))
            .await?;
        let digest = FileDigest::start(args.source(), args.shown());
        record_import(&mut tx, session.id, "roomlog", digest, &g.operator(), &diff).await?;
        tx.commit().await?;
    } else {
        drop(tx);
    }
    db.close().await;
    let sum = |f: fn(&RoomLog) -> i64| rows.iter().map(|r| f(&r.log)).sum::<i64>();
    let report = Report {
        import: "roomlog",
        session: &session.code,
        file: args.shown(),
        dry_run: args.change.dry_run,
        rows: rows.len(),
        added: diff.added.len(),
        changed: diff.changed.len(),
        unchanged: diff.unchanged,
        machine_swaps: sum(|l| l.machine_swaps),
        power_cuts: sum(|l| l.power_cuts),
        delay_minutes: sum(|l| l.delay_minutes),
        changes: &diff,
    };
    if g.json {
        return print_json(&report);
    }
    let verb = if report.dry_run {
        "dry run, nothing written: would add"
    } else {
        "imported: added"
    };
    outln!(
        "room logs (考场记录) {} into {}: {} rows: {verb} {}, changed {}, unchanged {}; incidents: 换机 {}, 断电 {}, 延时 {} min",
        report.file,
        report.session,
        report.rows,
        report.added,
        report.changed,
        report.unchanged,
        report.machine_swaps,
        report.power_cuts,
        report.delay_minutes
    )?;
    if args.verbose || report.dry_run {
        for c in &diff.changed {
            outln!("  ~ {}: {}", c.key, c.fields.join("; "))?;
        }
    }
    Ok(())
}
