//! `kaowu review check|flags|approve|reject|export|apply|log|undo`: the office's review of
//! applications (审核), in bulk, with a preview before anything changes, a journal of every
//! change in batches, and undo by batch.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use rust_xlsxwriter::DataValidation;
use serde::Serialize;

use super::batch::{Change, Written, apply, print_journal, start_batch};
use super::checks::{by_id_number, facts_of, run_check};
use super::intake::{reject_if_any, rejected_from};
use super::moves::{
    DecisionPlan, DecisionReport, Example, Move, Moves, Skipped, Source, carry_out,
};
use super::{Ctx, Rejected, connect, current_session, print_json};
use crate::cli::{Confirm, GlobalArgs, ReadArgs, ReviewCommand, Selection};
use crate::db::Tx;
use crate::db::review::{CheckRow, Choice, ChosenSummary, ExportRow, FlagRow, SelRow};
use crate::db::sessions::SessionRow;
use crate::io::table::{self, Cells, Column, Problems, Schema};
use crate::io::xlsx::{Book, Cell};
use crate::model::application::{
    self, Decision, FLAG_CODES, FORCED_DESPITE, NO_REASON, Severity, Status, UNCHECKED, WITH_ERRORS,
};
use crate::model::codes::{ZeroPadded, twin_message};
use crate::model::fee::match_area;
use crate::model::flag_text;
use crate::model::level::Level;
use crate::model::session::Settings;
use crate::model::text::fold_ascii;

pub async fn run(g: &GlobalArgs, cmd: &ReviewCommand) -> Result<()> {
    match cmd {
        ReviewCommand::Check => check(g).await,
        ReviewCommand::Flags => flags(g).await,
        ReviewCommand::Approve {
            selection,
            force,
            confirm,
        } => decide(g, selection, Decision::Approve, *force, None, confirm).await,
        ReviewCommand::Reject {
            selection,
            reason,
            confirm,
        } => {
            let reason = reason.as_deref().map(str::trim);
            if reason == Some("") {
                return Err(Rejected::one(
                    "review reject",
                    "--reason must say why (原因), as the candidate will read it",
                )
                .into());
            }
            decide(g, selection, Decision::Reject, false, reason, confirm).await
        }
        ReviewCommand::Export {
            selection,
            status,
            out,
        } => export(g, selection, status, out).await,
        ReviewCommand::Apply {
            file,
            read,
            force,
            confirm,
        } => apply_sheet(g, file, read, *force, confirm).await,
        ReviewCommand::Log { batch, application } => log(g, *batch, application.as_deref()).await,
        ReviewCommand::Undo { batch, confirm } => undo(g, *batch, confirm).await,
    }
}

// ---------------------------------------------------------------------------------------
// check and flags

async fn check(g: &GlobalArgs) -> Result<()> {
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    drop(tx);
    let report = run_check(&db, &session).await?;
    db.close().await;
    if g.json {
        return print_json(&report);
    }
    outln!(
        "checked {} applications of {} in {:.1} s ({} photo backgrounds measured): {} with errors, {} with warnings only, {} without errors",
        report.applications,
        report.session,
        report.seconds,
        report.photos_measured,
        report.with_errors,
        report.with_warnings,
        report.clean
    )?;
    let mut t = super::table(&["flag", "severity", "applications", "meaning"]);
    for (code, n) in &report.flags {
        let (_, sev, meaning) = FLAG_CODES
            .iter()
            .find(|c| c.0 == *code)
            .copied()
            .unwrap_or((code, Severity::Error, ""));
        t.add_row(vec![
            code.to_string(),
            sev.as_str().to_string(),
            n.to_string(),
            meaning.to_string(),
        ]);
    }
    if !report.flags.is_empty() {
        outln!("{t}")?;
    }
    outln!(
        "next: kaowu review flags, kaowu review approve --clean, kaowu review export --out sheet.xlsx"
    )?;
    Ok(())
}

#[derive(Serialize)]
struct FlagCount {
    code: String,
    severity: String,
    applications: usize,
    by_exam_area: BTreeMap<String, usize>,
}

#[derive(Serialize)]
struct FlagsReport {
    session: String,
    applications: usize,
    /// Applications changed since the last check, whose flags may be out of date.
    changed_since_check: usize,
    flags: Vec<FlagCount>,
}

async fn flags(g: &GlobalArgs) -> Result<()> {
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let apps = tx.selection_rows(session.id).await?;
    let flags = tx.flags(session.id).await?;
    let area: HashMap<i64, &str> = apps.iter().map(|a| (a.id, a.exam_area.as_str())).collect();
    let mut counts: BTreeMap<(String, String), BTreeMap<String, usize>> = BTreeMap::new();
    for f in &flags {
        let by_area = counts
            .entry((f.code.clone(), f.severity.clone()))
            .or_default();
        *by_area
            .entry(
                area.get(&f.application_id)
                    .copied()
                    .unwrap_or("?")
                    .to_string(),
            )
            .or_default() += 1;
    }
    let report = FlagsReport {
        session: session.code.clone(),
        applications: apps.len(),
        changed_since_check: apps.iter().filter(|a| a.current == 0).count(),
        flags: counts
            .into_iter()
            .map(|((code, severity), by_exam_area)| FlagCount {
                applications: by_exam_area.values().sum(),
                code,
                severity,
                by_exam_area,
            })
            .collect(),
    };
    if g.json {
        return print_json(&report);
    }
    let areas: Vec<String> = apps
        .iter()
        .map(|a| a.exam_area.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut header = vec!["flag", "severity", "total"];
    header.extend(areas.iter().map(String::as_str));
    let mut t = super::table(&header);
    for f in &report.flags {
        let mut row = vec![
            f.code.clone(),
            f.severity.clone(),
            f.applications.to_string(),
        ];
        row.extend(areas.iter().map(|a| {
            f.by_exam_area
                .get(a)
                .map_or_else(String::new, ToString::to_string)
        }));
        t.add_row(row);
    }
    outln!(
        "flags of {} applications in {}:",
        report.applications,
        report.session
    )?;
    outln!("{t}")?;
    if report.changed_since_check > 0 {
        outln!(
            "{} applications changed since the last check: run kaowu review check",
            report.changed_since_check
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// selections

/// An application with its flags.
type Flagged = (SelRow, Vec<FlagRow>);

/// Refuses a selection that names nothing or an unknown flag; returns its --level.
fn checked_selection(s: &Selection, status: Option<Status>) -> Result<Option<Level>> {
    let any = s.ids.is_some()
        || !s.flag.is_empty()
        || s.clean
        || s.errors
        || s.exam_area.is_some()
        || s.qualification.is_some()
        || s.level.is_some()
        || s.all;
    if !any && status.is_none() {
        bail!(
            "name the applications: --clean, --errors, --ids FILE, --flag CODE, --exam-area, --qualification, --level, or --all"
        );
    }
    for code in &s.flag {
        if !FLAG_CODES.iter().any(|c| c.0 == code) {
            let known: Vec<&str> = FLAG_CODES.iter().map(|c| c.0).collect();
            bail!(
                "--flag {code}: no such flag; the flags are: {}",
                known.join(", ")
            );
        }
    }
    Ok(match &s.level {
        Some(l) => Some(Level::parse(l).ok_or_else(|| {
            anyhow::anyhow!("--level: expected 初级, 中级 or 高级, found \"{l}\"")
        })?),
        None => None,
    })
}

/// The applications a [`Selection`] names, each with its flags.
async fn selected(
    tx: &mut Tx,
    session: &SessionRow,
    s: &Selection,
    status: Option<Status>,
) -> Result<Vec<Flagged>> {
    let level = checked_selection(s, status)?;
    let mut t = crate::progress::Phases::new();
    let apps = tx.selection_rows(session.id).await?;
    t.mark("selection rows");
    // The session's exam areas, to match --exam-area against (only then: 200,000 copies).
    let area = s.exam_area.as_deref().map(|a| {
        let areas = apps.iter().map(|a| a.exam_area.clone()).collect();
        match_area(a, &areas).to_string()
    });
    let ids: Option<HashSet<String>> = match &s.ids {
        Some(path) => Some(read_ids(path)?),
        None => None,
    };
    let mut flags: HashMap<i64, Vec<FlagRow>> = HashMap::new();
    for f in tx.flags(session.id).await? {
        flags.entry(f.application_id).or_default().push(f);
    }
    t.mark("flags");
    Ok(apps
        .into_iter()
        .filter_map(|a| {
            let f = flags.remove(&a.id).unwrap_or_default();
            let has_error = f.iter().any(|x| x.severity == "error");
            let keep = ids
                .as_ref()
                .is_none_or(|ids| ids.contains(&a.registration_no))
                && (s.flag.is_empty() || f.iter().any(|x| s.flag.contains(&x.code)))
                && (!s.errors || has_error)
                && (!s.clean || (a.status == "submitted" && !has_error && a.current == 1))
                && area.as_ref().is_none_or(|x| &a.exam_area == x)
                && s.qualification
                    .as_ref()
                    .is_none_or(|q| a.qualification == q.trim())
                && level.is_none_or(|l| a.level == l.zh())
                && status.is_none_or(|st| a.status == st.as_str());
            keep.then_some((a, f))
        })
        .collect())
}

/// Registration numbers from a file with a 报名序号 column.
fn read_ids(path: &Path) -> Result<HashSet<String>> {
    const IDS: Schema = Schema {
        what: "registration numbers (报名序号)",
        columns: &[Column::req("registration_no", "报名序号", "registration_no").aka(&["报名号"])],
    };
    let mut out = HashSet::new();
    let mut problems = Problems::default();
    let header = table::read(path, &Default::default(), IDS, |row| {
        let mut c = Cells::new(row, &mut problems);
        if let Some(n) = c.code("registration_no", true) {
            out.insert(n);
        }
    })
    .map_err(rejected_from)?;
    reject_if_any(&header, problems, Vec::new())?;
    Ok(out)
}

fn plan_decisions<'a>(
    items: impl Iterator<Item = (&'a SelRow, &'a Vec<FlagRow>, Decision, Option<String>)>,
    force: bool,
) -> DecisionPlan {
    let mut plan = DecisionPlan::default();
    for (a, flags, decision, reason) in items {
        let from = Status::parse(&a.status).unwrap_or(Status::Submitted);
        let errors: Vec<&str> = flags
            .iter()
            .filter(|f| f.severity == "error")
            .map(|f| f.code.as_str())
            .collect();
        match application::decide(decision, from, a.current != 0, &errors, reason, force) {
            Ok(v) => plan.moves.push(Move {
                id: a.id,
                version: a.version,
                registration_no: a.registration_no.clone(),
                name: a.name.clone(),
                exam_area: a.exam_area.clone(),
                qualification: a.qualification.clone(),
                from,
                to: decision.target(),
                reason: v.reason,
                forced: v.forced,
            }),
            Err(why) => plan
                .skipped
                .entry(why.to_string())
                .or_default()
                .push(a.registration_no.clone()),
        }
    }
    plan
}

/// `review approve` and `review reject`: the selection is chosen inside the database
/// ([`Tx::choose`]). With --yes the preview, the change and the journal are one write
/// transaction, so nothing can change in between; otherwise the preview's versions are
/// read out after the operator is asked, and each moves only from its version (see [`Moves`]).
async fn decide(
    g: &GlobalArgs,
    s: &Selection,
    decision: Decision,
    force: bool,
    reason: Option<&str>,
    confirm: &Confirm,
) -> Result<()> {
    let action = match decision {
        Decision::Approve => "approve",
        Decision::Reject => "reject",
    };
    let level = checked_selection(s, None)?;
    let (registration_nos, flags) = selection_json(s)?;
    let mut t = crate::progress::Phases::new();
    let cx = Ctx::open(g).await?;
    let session = &cx.session;
    let at_once = confirm.yes && !confirm.dry_run;
    // At once, the moves are checked per set before the commit (see begin_bulk).
    let mut tx = if at_once {
        cx.db.begin_bulk().await?
    } else {
        cx.db.begin().await?
    };
    let batch = if at_once {
        Some(start_batch(&mut tx, session, &cx.operator, action, None).await?)
    } else {
        None
    };
    t.mark("connect");
    let exam_area = match &s.exam_area {
        Some(a) => {
            let areas = tx.exam_areas(session.id).await?.into_iter().collect();
            Some(match_area(a, &areas).to_string())
        }
        None => None,
    };
    let approve = decision == Decision::Approve;
    let choice = Choice {
        registration_nos,
        flags,
        clean: s.clean,
        errors: s.errors,
        exam_area: exam_area.as_deref(),
        qualification: s.qualification.as_deref().map(str::trim),
        level: level.map(crate::model::level::Level::zh),
        refused: Status::ALL
            .into_iter()
            .filter_map(|st| decision.allowed_from(st).err().map(|w| (st.as_str(), w)))
            .collect(),
        unchecked: approve.then_some(UNCHECKED),
        with_errors: (approve && !force).then_some(WITH_ERRORS),
        forced: (approve && force).then_some(FORCED_DESPITE),
        reason: reason.filter(|_| !approve),
        no_reason: (!approve).then_some(NO_REASON),
    };
    tx.choose(session.id, &choice).await?;
    t.mark("choose");
    let chosen = tx.chosen_summary().await?;
    t.mark("summary");
    let to = decision.target();
    let (report, groups, examples) = decision_report(action, session, confirm, chosen, decision)?;
    let source = match batch {
        Some(batch) => Source::AtOnce {
            opened: Some((tx, batch)),
            groups,
            to,
        },
        None => Source::Chosen {
            tx: Some(tx),
            to,
            approve,
        },
    };
    apply(&cx, &mut Moves::new(report, examples, source), confirm).await
}

/// `--ids` and `--flag` as the JSON arrays the database chooses by, or none.
fn selection_json(s: &Selection) -> Result<(Option<String>, Option<String>)> {
    let registration_nos = match &s.ids {
        Some(path) => Some(serde_json::to_string(&read_ids(path)?)?),
        None => None,
    };
    let flags = if s.flag.is_empty() {
        None
    } else {
        Some(serde_json::to_string(&s.flag)?)
    };
    Ok((registration_nos, flags))
}

/// A state the chosen applications move from, and how many of them.
type Moving = (Status, usize);

/// The preview of a decision from what the database chose: how many move from each state,
/// per exam area, those skipped and why, and a few examples; with the moves per state.
fn decision_report(
    action: &str,
    session: &SessionRow,
    confirm: &Confirm,
    chosen: ChosenSummary,
    decision: Decision,
) -> Result<(DecisionReport, Vec<Moving>, Vec<Example>)> {
    let to = decision.target();
    let approve = decision == Decision::Approve;
    let mut by_change = BTreeMap::new();
    let mut groups = Vec::new();
    for (from, n) in chosen.by_status {
        let from = Status::parse(&from)
            .with_context(|| format!("an application in an unknown state: {from}"))?;
        by_change.insert(format!("{from} -> {to}"), n as usize);
        groups.push((from, n as usize));
    }
    let report = DecisionReport {
        action: action.to_string(),
        session: session.code.clone(),
        dry_run: confirm.dry_run,
        batch: None,
        to_change: groups.iter().map(|g| g.1).sum(),
        changed: 0,
        forced: if approve { chosen.forced as usize } else { 0 },
        by_change,
        by_exam_area: chosen
            .by_exam_area
            .into_iter()
            .map(|(a, n)| (a, n as usize))
            .collect(),
        skipped: chosen
            .skipped
            .into_iter()
            .map(|(reason, n, examples)| Skipped {
                reason,
                applications: n as usize,
                examples,
            })
            .collect(),
        changed_meanwhile: Vec::new(),
    };
    let examples: Vec<Example> = chosen
        .examples
        .into_iter()
        .map(
            |(registration_no, name, exam_area, qualification, reason)| Example {
                registration_no,
                name,
                exam_area,
                qualification,
                reason,
            },
        )
        .collect();
    Ok((report, groups, examples))
}

// ---------------------------------------------------------------------------------------
// decision sheets

const SHEET_HEADER: [&str; 17] = [
    "报名序号",
    "姓名",
    "证件类型",
    "证件号码",
    "性别",
    "出生日期",
    "报考级别",
    "报考资格",
    "报考科目",
    "考区",
    "工作单位",
    "手机号码",
    "照片",
    "提交时间",
    "问题",
    "审核结果",
    "原因",
];

async fn export(g: &GlobalArgs, s: &Selection, status: &str, out: &Path) -> Result<()> {
    let to_stdout = super::out_is_stdout(g, out)?;
    let status = Status::parse(status).ok_or_else(|| {
        anyhow::anyhow!(
            "--status {status}: expected one of {}",
            Status::ALL
                .map(crate::model::application::Status::as_str)
                .join(", ")
        )
    })?;
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let chosen: HashSet<i64> = selected(&mut tx, &session, s, Some(status))
        .await?
        .iter()
        .map(|(a, _)| a.id)
        .collect();
    let rows: Vec<_> = tx
        .export_rows(session.id, status.as_str())
        .await?
        .into_iter()
        .filter(|a| chosen.contains(&a.id))
        .collect();
    let flags: HashMap<i64, Vec<FlagRow>> =
        tx.flags(session.id)
            .await?
            .into_iter()
            .fold(HashMap::new(), |mut m, f| {
                m.entry(f.application_id).or_default().push(f);
                m
            });
    // What the flags are about, to say each in Chinese (see model::flag_text).
    let checked = tx.check_rows(session.id).await?;
    drop(tx);
    db.close().await;
    let checked_by_id: HashMap<i64, &CheckRow> = checked.iter().map(|r| (r.id, r)).collect();
    let words = FlagWords {
        settings: session.settings(),
        today: chrono::Local::now().date_naive(),
        by_id_number: by_id_number(&checked),
        checked: checked_by_id,
        flags,
    };

    let title = format!(
        "{} {} 审核结果表（{}）",
        session.code,
        session.name,
        status.zh()
    );
    write_sheet(out, &title, &rows, &words)?;

    let report = ExportReport {
        session: session.code,
        out: out.display().to_string(),
        status,
        applications: rows.len(),
    };
    if g.json {
        return print_json(&report);
    }
    print_export(&report, to_stdout)
}

#[derive(Serialize)]
struct ExportReport {
    session: String,
    out: String,
    status: Status,
    applications: usize,
}

/// What an exported row's problems are said from: its flags, the checked facts they are
/// about, and who else has its ID number, with the session's settings and today's date.
struct FlagWords<'a> {
    flags: HashMap<i64, Vec<FlagRow>>,
    checked: HashMap<i64, &'a CheckRow>,
    by_id_number: HashMap<String, Vec<&'a str>>,
    settings: Settings,
    today: NaiveDate,
}

impl FlagWords<'_> {
    /// The problems of one row in Chinese, a line each, each with its flag code.
    fn of(&self, a: &ExportRow) -> String {
        let (Some(fs), Some(r)) = (self.flags.get(&a.id), self.checked.get(&a.id)) else {
            return String::new();
        };
        let facts = facts_of(r, (r.photo_border >= 0).then_some(r.photo_border));
        let same: Vec<&str> = self
            .by_id_number
            .get(&fold_ascii(&r.id_number).to_ascii_uppercase())
            .map(|v| {
                v.iter()
                    .copied()
                    .filter(|n| *n != r.registration_no)
                    .collect()
            })
            .unwrap_or_default();
        fs.iter()
            .map(|f| {
                let severity = if f.severity == "error" {
                    "错误"
                } else {
                    "提示"
                };
                let text = flag_text::describe_zh(
                    &f.code,
                    &f.message,
                    &facts,
                    &self.settings,
                    self.today,
                    &same,
                );
                // The code, as `review flags` and `--flag` name it.
                format!("【{severity}】{text}（{}）", f.code)
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Writes the decision sheet: a row per application with its problems, and the columns
/// 审核结果 (a list to choose from) and 原因 left to fill in.
fn write_sheet(out: &Path, title: &str, rows: &[ExportRow], words: &FlagWords) -> Result<()> {
    let mut book = Book::new();
    let mut sheet = book.sheet("审核", title)?;
    // 报名序号 and 姓名 stay in view while the reviewer works along the row.
    sheet.freeze_columns(2);
    sheet.header(&SHEET_HEADER)?;
    for a in rows {
        let problems = words.of(a);
        sheet.row(&[
            Cell::Text(&a.registration_no),
            Cell::Text(&a.name),
            Cell::Text(&a.id_type),
            Cell::Text(&a.id_number),
            Cell::Text(&a.gender),
            a.birth_date.map_or(Cell::Empty, Cell::Date),
            Cell::Text(&a.level),
            Cell::Text(&a.qualification),
            Cell::Text(&a.subjects),
            Cell::Text(&a.exam_area),
            Cell::Text(&a.employer),
            Cell::Text(&a.mobile),
            Cell::Text(&a.photo),
            a.submitted_at.map_or(Cell::Empty, Cell::DateTime),
            Cell::Text(&problems),
        ])?;
    }
    let dv = DataValidation::new()
        .allow_list_strings(&["通过", "不通过"])?
        .set_input_title("审核结果")?
        .set_input_message("通过 或 不通过；不通过须填写原因")?;
    sheet.validation(15, dv);
    // The decisions are filled in by hand: room for a word and for a reason.
    sheet.min_width(15, 10);
    sheet.min_width(16, 24);
    book.save(out)?;
    Ok(())
}

/// Says where the decision sheet went and what to do next.
fn print_export(report: &ExportReport, to_stdout: bool) -> Result<()> {
    let status = report.status;
    if to_stdout {
        // Standard output carried the workbook.
        eprintln!(
            "wrote the decision sheet of {} {status} applications on standard output",
            report.applications
        );
        return Ok(());
    }
    outln!(
        "wrote {} ({} {} applications); fill in 审核结果 and 原因, then: kaowu review apply {}",
        report.out,
        report.applications,
        status,
        report.out
    )?;
    Ok(())
}

const DECISIONS: Schema = Schema {
    what: "decision sheet (审核结果)",
    columns: &[
        Column::req("registration_no", "报名序号", "registration_no").aka(&["报名号"]),
        Column::req("decision", "审核结果", "decision").aka(&["审核意见"]),
        Column::opt("reason", "原因", "reason").aka(&["不通过原因", "审核原因"]),
    ],
};

async fn apply_sheet(
    g: &GlobalArgs,
    file: &Path,
    read: &ReadArgs,
    force: bool,
    confirm: &Confirm,
) -> Result<()> {
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let apps = selected(
        &mut tx,
        &session,
        &Selection {
            all: true,
            ..Selection::default()
        },
        None,
    )
    .await?;
    drop(tx);
    let by_no: HashMap<&str, &Flagged> = apps
        .iter()
        .map(|f| (f.0.registration_no.as_str(), f))
        .collect();
    let padded = ZeroPadded::of(by_no.keys().copied());

    let mut problems = Problems::default();
    let mut decided: Vec<(&Flagged, Decision, Option<String>)> = Vec::new();
    let mut lines: HashMap<String, usize> = HashMap::new();
    let mut undecided = 0usize;
    let header = table::read(file, &read.options(), DECISIONS, |row| {
        let mut c = Cells::new(row, &mut problems);
        let no = c.code("registration_no", true);
        let decision = c.get("decision", false, |v| {
            let t = table::text(v)?;
            Decision::parse(&t).ok_or_else(|| format!("expected 通过 or 不通过, found \"{t}\""))
        });
        let reason = c.text("reason", false);
        let Some(no) = no else { return };
        if let Some(first) = lines.insert(no.clone(), c.line()) {
            c.problem("registration_no", format!("{no} is already in row {first}"));
            return;
        }
        let Some(app) = by_no.get(no.as_str()) else {
            let why = match padded.twin(&no, |n| by_no.contains_key(n)) {
                Some(twin) => twin_message(&no, &twin, "an application"),
                None => format!("{no} is not an application of session {}", session.code),
            };
            c.problem("registration_no", why);
            return;
        };
        match decision {
            None if c.ok() => undecided += 1,
            None => {}
            Some(Decision::Reject) if reason.is_none() => {
                c.problem(
                    "reason",
                    "不通过 needs a 原因 (the reason the candidate will read)",
                );
            }
            Some(d) => decided.push((app, d, reason)),
        }
    })
    .map_err(rejected_from)?;
    reject_if_any(&header, problems, Vec::new())?;

    let plan = plan_decisions(
        decided.iter().map(|(f, d, r)| (&f.0, &f.1, *d, r.clone())),
        force,
    );
    if !g.json {
        outln!(
            "{}: {} decisions, {undecided} rows left undecided",
            header.source.file,
            decided.len()
        )?;
    }
    let cx = Ctx::new(g, db, session);
    carry_out(&cx, "apply", plan, confirm).await
}

// ---------------------------------------------------------------------------------------
// journal and undo

async fn log(g: &GlobalArgs, batch: Option<i64>, application: Option<&str>) -> Result<()> {
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    match (batch, application) {
        (None, None) => {
            let batches = tx.batches(session.id).await?;
            if g.json {
                return print_json(&batches);
            }
            let mut t = super::table(&[
                "batch",
                "time",
                "kind",
                "operator",
                "changes",
                "summary",
                "undone by",
            ]);
            for b in &batches {
                t.add_row(vec![
                    b.id.to_string(),
                    b.created_at.to_string(),
                    b.kind.clone(),
                    b.operator.clone(),
                    b.changes.to_string(),
                    b.summary.clone(),
                    b.undone_by.map_or_else(String::new, |u| u.to_string()),
                ]);
            }
            outln!("{t}")?;
        }
        (Some(b), _) => {
            let all = tx.batches(session.id).await?;
            let Some(info) = all.iter().find(|x| x.id == b) else {
                bail!("no batch {b} in session {}", session.code);
            };
            let rows = tx.journal_of_batch(b).await?;
            if g.json {
                #[derive(Serialize)]
                struct BatchLog<'a> {
                    batch: &'a crate::db::review::BatchRow,
                    changes: &'a [crate::db::review::JournalRow],
                }
                return print_json(&BatchLog {
                    batch: info,
                    changes: &rows,
                });
            }
            outln!(
                "batch {} {} by {} at {}: {}\n  command: {}",
                info.id,
                info.kind,
                info.operator,
                info.created_at,
                info.summary,
                info.command
            )?;
            print_journal(&rows, false)?;
        }
        (None, Some(no)) => {
            let no = fold_ascii(no);
            let rows = tx.journal_of_application(session.id, &no).await?;
            if rows.is_empty()
                && !tx
                    .selection_rows(session.id)
                    .await?
                    .iter()
                    .any(|a| a.registration_no == no)
            {
                bail!("no application {no} in session {}", session.code);
            }
            if g.json {
                return print_json(&rows);
            }
            print_journal(&rows, true)?;
        }
    }
    Ok(())
}

/// The posts a staff batch gave and released, all of which its undo changes; refused when a
/// later staff batch released posts it gave (that one is undone first).
async fn staff_batch(tx: &mut Tx, batch: i64, what: &str) -> Result<usize> {
    let (placed, released, later) = tx.staff_batch_posts(batch).await?;
    if !later.is_empty() {
        return Err(Rejected::one(
            what,
            format!(
                "posts this batch gave were changed since by batch {}; undo that first",
                later
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .into());
    }
    Ok((placed + released) as usize)
}

async fn undo(g: &GlobalArgs, batch: i64, confirm: &Confirm) -> Result<()> {
    let what = format!("review undo {batch}");
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let batches = tx.batches(session.id).await?;
    let Some(info) = batches.iter().find(|b| b.id == batch) else {
        bail!(
            "no batch {batch} in session {}; see kaowu review log",
            session.code
        );
    };
    if let Some(why) = not_undone(&info.kind) {
        return Err(Rejected::one(what, why).into());
    }
    if info.kind == "withdraw" && tx.released_by(batch).await? > 0 {
        return Err(Rejected::one(
            what,
            "the withdrawal released the candidate's seat, which others may hold now: a seated \
             candidate's withdrawal is final",
        )
        .into());
    }
    if let Some(u) = info.undone_by {
        return Err(Rejected::one(
            what,
            format!("batch {batch} was already undone by batch {u}"),
        )
        .into());
    }
    // A staff batch is undone whole, unless a later staff batch released posts it gave
    // (that one is undone first).
    let staff_posts = if info.kind.starts_with("staff-") {
        staff_batch(&mut tx, batch, &what).await?
    } else {
        0
    };
    // Attendance, certificates and staff posts live in their own tables: what they held is
    // checked as it is put back.
    let members = if info.kind == "attendance"
        || info.kind.starts_with("certificate-")
        || info.kind.starts_with("staff-")
    {
        Vec::new()
    } else {
        tx.batch_members(batch).await?
    };
    let since: Vec<String> = members
        .iter()
        .filter(|(_, _, last, _, _)| *last != Some(batch))
        .map(|(_, no, last, _, _)| {
            format!(
                "{no} (changed since by batch {})",
                last.map_or_else(|| "?".into(), |l| l.to_string())
            )
        })
        .collect();
    if !since.is_empty() {
        return Err(Rejected {
            what: format!("{what}: {} of its applications changed since, so the batch cannot be reverted whole", since.len()),
            problems: since,
        }
        .into());
    }
    let journal = tx.journal_of_batch(batch).await?;
    // A correction kept each application as it was; undo restores it whole.
    let snapshots = tx.snapshots(batch).await?;
    drop(tx);
    let version: HashMap<i64, i64> = members.iter().map(|(id, _, _, v, _)| (*id, *v)).collect();
    let mut plan = DecisionPlan::default();
    for j in journal.iter().filter(|j| j.field == "status") {
        let (Some(from), Some(to)) = (
            j.new_value.as_deref().and_then(Status::parse),
            j.old_value.as_deref().and_then(Status::parse),
        ) else {
            continue;
        };
        plan.moves.push(Move {
            id: j.application_id,
            version: version[&j.application_id],
            registration_no: j.registration_no.clone(),
            name: j.name.clone(),
            exam_area: String::new(),
            qualification: String::new(),
            from,
            to,
            reason: format!("undo of batch {batch}"),
            forced: false,
        });
    }
    let mut change = Undo::new(batch, plan, snapshots);
    change.attendance_of(&journal);
    change.certificates_of(&journal);
    if staff_posts > 0 {
        change.staff_posts = staff_posts;
        change
            .report
            .changes
            .insert("staff posts given back or taken back".into(), staff_posts);
    }
    let cx = Ctx::new(g, db, session);
    apply(&cx, &mut change, confirm).await
}

/// Undo is a batch like any other, pointing at the batch it reverts: the moves back, the
/// fields a correction kept, and a withdrawal's refund and a seating's seats with them.
struct Undo {
    undone: i64,
    plan: DecisionPlan,
    snapshots: Vec<(i64, crate::db::applications::NewApplication)>,
    /// An attendance batch's states: (application, subject, before, after).
    attendance: Vec<(i64, String, Option<String>, Option<String>)>,
    /// A certificate hand-out batch's certificates: (application, how it went out).
    certificates: Vec<(i64, String)>,
    /// A staff batch's posts: those it gave (released by the undo) and those it released
    /// (held again).
    staff_posts: usize,
    report: UndoReport,
}

#[derive(Serialize)]
struct UndoReport {
    undone: i64,
    dry_run: bool,
    batch: Option<i64>,
    changes: BTreeMap<String, usize>,
    reverted: usize,
}

impl Undo {
    fn new(
        undone: i64,
        plan: DecisionPlan,
        snapshots: Vec<(i64, crate::db::applications::NewApplication)>,
    ) -> Self {
        let mut changes: BTreeMap<String, usize> = BTreeMap::new();
        for m in &plan.moves {
            *changes
                .entry(format!("{} -> {}", m.from, m.to))
                .or_default() += 1;
        }
        if !snapshots.is_empty() {
            changes.insert("fields restored".into(), snapshots.len());
        }
        Undo {
            undone,
            plan,
            snapshots,
            attendance: Vec::new(),
            certificates: Vec::new(),
            staff_posts: 0,
            report: UndoReport {
                undone,
                dry_run: false,
                batch: None,
                changes,
                reverted: 0,
            },
        }
    }
}

impl Undo {
    /// What the batch changed: applications, or an attendance import's states.
    fn noun(&self) -> &'static str {
        if self.staff_posts > 0 {
            "staff posts"
        } else if !self.attendance.is_empty() {
            "attendance states"
        } else if !self.certificates.is_empty() {
            "certificate hand-outs"
        } else {
            "applications"
        }
    }

    /// The certificates a hand-out batch recorded as handed out, to hold again.
    fn certificates_of(&mut self, journal: &[crate::db::review::JournalRow]) {
        self.certificates = journal
            .iter()
            .filter(|j| j.field == "certificate-issue")
            .map(|j| (j.application_id, j.new_value.clone().unwrap_or_default()))
            .collect();
        if !self.certificates.is_empty() {
            self.report
                .changes
                .insert("certificates held again".into(), self.certificates.len());
        }
    }

    /// The attendance states the journal of the batch changed, to put back.
    fn attendance_of(&mut self, journal: &[crate::db::review::JournalRow]) {
        self.attendance = journal
            .iter()
            .filter_map(|j| {
                let subject = j.field.strip_prefix("attendance:")?;
                Some((
                    j.application_id,
                    subject.to_string(),
                    j.old_value.clone(),
                    j.new_value.clone(),
                ))
            })
            .collect();
        if !self.attendance.is_empty() {
            self.report
                .changes
                .insert("attendance states restored".into(), self.attendance.len());
        }
    }
}

impl Change for Undo {
    type Report = UndoReport;

    fn kind(&self) -> String {
        "undo".to_string()
    }

    fn undoes(&self) -> Option<i64> {
        Some(self.undone)
    }

    fn size(&self) -> usize {
        self.plan
            .moves
            .len()
            .max(self.snapshots.len())
            .max(self.attendance.len())
            .max(self.certificates.len())
            .max(self.staff_posts)
    }

    fn preview(&self, dry_run: bool) -> String {
        let verb = if dry_run {
            "would revert (dry run)"
        } else {
            "will revert"
        };
        let shown: Vec<String> = self
            .report
            .changes
            .iter()
            .map(|(c, n)| format!("{c}: {n}"))
            .collect();
        format!(
            "undo of batch {} {verb} {} {}: {}\n",
            self.undone,
            self.size(),
            self.noun(),
            shown.join(", ")
        )
    }

    fn question(&self) -> String {
        format!(
            "undo batch {}: revert {} {}?",
            self.undone,
            self.size(),
            self.noun()
        )
    }

    async fn write(&mut self, tx: &mut Tx, batch: i64) -> Result<Written> {
        let undone = self.undone;
        let reason = format!("undo of batch {undone}");
        let mut groups: BTreeMap<(Status, Status), Vec<(i64, i64)>> = BTreeMap::new();
        for m in &self.plan.moves {
            groups
                .entry((m.from, m.to))
                .or_default()
                .push((m.id, m.version));
        }
        let mut moved = 0;
        for ((from, to), list) in &groups {
            // A reverted rejection clears the reason shown to the candidate; a reverted
            // approval returns the application to review with none.
            moved += tx
                .transition(batch, list, from.as_str(), to.as_str(), &reason, "")
                .await?
                .0;
        }
        if moved != self.plan.moves.len() {
            bail!(
                "batch {undone} changed while it was being undone; nothing was changed, try again"
            );
        }
        for (id, before) in &self.snapshots {
            let state = tx.state_of(*id).await?;
            if state.last_batch != Some(undone) && state.last_batch != Some(batch) {
                bail!(
                    "batch {undone} changed while it was being undone; nothing was changed, try again"
                );
            }
            let now = tx.application_fields(*id).await?;
            tx.update_application(*id, batch, before, None).await?;
            for (field, old, new) in super::intake::field_changes(&now.fields(), &before.fields()) {
                tx.journal(batch, *id, field, Some(&old), Some(&new), &reason)
                    .await?;
            }
        }
        let restored = restore_attendance(tx, undone, batch, &self.attendance, &reason).await?;
        let held = hold_certificates(tx, undone, batch, &self.certificates, &reason).await?;
        let staff = tx.undo_staff_batch(undone, batch).await? as usize;
        if staff != self.staff_posts {
            bail!(
                "batch {undone}'s staff posts changed while it was being undone; nothing was changed, try again"
            );
        }
        // A withdrawal's refund goes with it, and a seating's seats and card numbers.
        tx.revoke_refunds(undone).await?;
        let released = tx.release_batch_seats(undone, batch).await?;
        tx.drop_batch_cards(undone).await?;
        self.report.reverted = moved
            .max(self.snapshots.len())
            .max(restored)
            .max(held)
            .max(staff);
        Ok(Written {
            summary: format!("{reason}: {} reverted", self.report.reverted),
            changed: self.report.reverted,
            analyze: vec![
                (moved, &["application_states"]),
                (released as usize, &["seats", "admit_cards"]),
                (restored, &["attendance"]),
                (staff, &["staff_posts"]),
            ],
        })
    }

    async fn committed(&mut self, cx: &Ctx) -> Result<()> {
        // The flags follow the fields restored.
        if !self.snapshots.is_empty() {
            run_check(&cx.db, &cx.session).await?;
        }
        Ok(())
    }

    fn report(&mut self, dry_run: bool, batch: Option<i64>) -> &UndoReport {
        self.report.dry_run = dry_run;
        self.report.batch = batch;
        &self.report
    }

    fn done(&self, batch: i64, _: &Written) -> String {
        format!(
            "batch {batch}: undo of batch {}: {} {} reverted",
            self.undone,
            self.report.reverted,
            self.noun()
        )
    }
}

/// Why a batch of this kind is not undone, if it is not: each says what to do instead.
fn not_undone(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "import" => {
            "an import is not undone; import the corrected file, which updates what changed"
        }
        "payments" | "mark-paid" => {
            "a recorded payment is not undone: money was received; duplicates and mistakes go \
             to the finance office through kaowu payments reconcile"
        }
        "seat-reseat" | "seat-release" => {
            "a reseat is redone with another kaowu seat assign --reseat AREA, and a released \
             seat is given again with kaowu seat add"
        }
        "violation" | "violation-step" => {
            "a violation case is a legal record and its steps are never taken back: a case \
             recorded in error goes on to its decision, which says so"
        }
        "scores" => {
            "scores are the centre's: import its corrected file, which changes what differs, \
             then kaowu scores judge"
        }
        "judge" => {
            "decisions follow the scores and the pass marks: correct those (kaowu import \
             scores, kaowu session set --pass-mark) and judge again"
        }
        "recheck" | "recheck-results" => {
            "a recheck request and the centre's answer are records sent and received; a score \
             the centre corrects again comes in its corrected file (kaowu import scores)"
        }
        "certificates" => {
            "a certificate list is not undone; import the corrected file, which updates what \
             changed"
        }
        _ => return None,
    })
}

/// Holds again the certificates a hand-out batch recorded as handed out, journalling each;
/// fails when any was not that batch's any more.
async fn hold_certificates(
    tx: &mut Tx,
    undone: i64,
    batch: i64,
    certificates: &[(i64, String)],
    reason: &str,
) -> Result<usize> {
    if certificates.is_empty() {
        return Ok(0);
    }
    let done = tx.unissue_certificates(undone).await? as usize;
    if done != certificates.len() {
        bail!("batch {undone} changed while it was being undone; nothing was changed, try again");
    }
    let journal: Vec<crate::db::payments::JournalLine<'_>> = certificates
        .iter()
        .map(|(id, how)| {
            (
                *id,
                "certificate-issue".to_string(),
                Some(how.as_str()),
                None,
                reason,
            )
        })
        .collect();
    tx.journal_many(batch, &journal).await?;
    Ok(done)
}

/// Puts back the attendance states an attendance batch changed, journalling each; fails
/// when any of them was changed since by another batch.
async fn restore_attendance(
    tx: &mut Tx,
    undone: i64,
    batch: i64,
    states: &[(i64, String, Option<String>, Option<String>)],
    reason: &str,
) -> Result<usize> {
    if states.is_empty() {
        return Ok(0);
    }
    let rows: Vec<(i64, String, Option<String>)> = states
        .iter()
        .map(|(id, subject, before, _)| (*id, subject.clone(), before.clone()))
        .collect();
    let done = tx.restore_attendance(undone, batch, &rows).await? as usize;
    if done != states.len() {
        return Err(Rejected::one(
            format!("review undo {undone}"),
            format!(
                "{} of the attendance states of batch {undone} were changed since by a later \
                 import; undo that one first (kaowu review log); nothing was changed",
                states.len() - done
            ),
        )
        .into());
    }
    let journal: Vec<crate::db::payments::JournalLine<'_>> = states
        .iter()
        .map(|(id, subject, before, after)| {
            (
                *id,
                format!("attendance:{subject}"),
                after.as_deref(),
                before.as_deref(),
                reason,
            )
        })
        .collect();
    tx.journal_many(batch, &journal).await?;
    Ok(done)
}
