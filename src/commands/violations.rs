//! `kaowu violations add|import|list|step|documents|register`: violation cases (违纪违规)
//! under 人社部令第31号, from the record made in the room to the decision served; their
//! documents as PDF and the register sent upward.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::batch::{Change, Written, apply};
use super::documents::chinese_date_text;
use super::exam_day::ExamDay;
use super::intake::{read_rows, reject_if_any};
use super::printing::{load_template, year_half};
use super::{Ctx, Rejected, connect, current_session, print_json, table};
use crate::cli::{Confirm, GlobalArgs, ImportArgs, ViolationAddArgs, ViolationsCommand};
use crate::db::Tx;
use crate::db::exam_day::ViolationRow;
use crate::db::sessions::SessionRow;
use crate::io::atomic;
use crate::io::table::{self as t, Cells, Column, Schema};
use crate::io::xlsx::{Book, Cell};
use crate::model::RowProblem;
use crate::model::level::Level;
use crate::model::text::names;
use crate::model::violation::{Clause, FoundBy, Step, check_date};
use crate::pdf::violation::{Case, DocKind, Layout};

const TEMPLATE: &str = include_str!("../../templates/violation_documents.json");

pub const VIOLATIONS: Schema = Schema {
    what: "violations (违纪违规)",
    columns: &[
        Column::opt("case_no", "案件编号", "case_no").aka(&["编号"]),
        Column::req("card_no", "准考证号", "card_no").aka(&["准考证"]),
        Column::req("subject", "科目", "subject").aka(&["考试科目"]),
        Column::req("at", "发生时间", "occurred_at").aka(&["时间", "违纪时间"]),
        Column::req("found_by", "发现方式", "found_by").aka(&["发现途径"]),
        Column::req("facts", "违纪违规事实", "facts").aka(&["事实", "违纪事实", "违纪违规行为"]),
        Column::req("clause", "适用条款", "clause").aka(&["条款", "处理依据"]),
        Column::opt("signed", "本人签字", "signed").aka(&["考生签字", "签字"]),
        Column::opt("witnesses", "见证人", "witnesses").aka(&["见证人员"]),
        Column::opt("evidence", "证据", "evidence").aka(&["证据材料"]),
    ],
};

pub async fn run(g: &GlobalArgs, cmd: &ViolationsCommand) -> Result<()> {
    match cmd {
        ViolationsCommand::Add(a) => add(g, a).await,
        ViolationsCommand::Import(a) => import(g, &a.with_stdin()?).await,
        ViolationsCommand::List => list(g).await,
        ViolationsCommand::Step {
            case,
            to,
            on,
            statement,
            confirm,
        } => step(g, case, to, on, statement.as_deref(), confirm).await,
        ViolationsCommand::Documents { out, template } => {
            documents(g, out, template.as_deref()).await
        }
        ViolationsCommand::Register { out } => register(g, out).await,
    }
}

/// A case as read, before it is checked against the seating.
struct NewCase {
    line: usize,
    case_no: Option<String>,
    card_no: String,
    subject: String,
    at: NaiveDateTime,
    found_by: FoundBy,
    facts: String,
    clause: Clause,
    signed: bool,
    witnesses: Vec<String>,
    evidence: Vec<PathBuf>,
    on: Option<NaiveDate>,
}

fn yes_no(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "是" | "已签字" | "签字" | "yes" | "y" | "1" | "true" => Ok(true),
        "否" | "拒绝" | "拒签" | "拒绝签字" | "no" | "n" | "0" | "false" => Ok(false),
        other => Err(format!(
            "expected 是 or 否 (signed or refused), found \"{other}\""
        )),
    }
}

fn datetime_text(text: &str) -> Result<NaiveDateTime, String> {
    let t = text.trim();
    ["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
        .ok_or_else(|| format!("expected a time like 2026-11-07 09:40, found \"{t}\""))
}

fn parse_case(c: &mut Cells<'_, '_>, base: &Path) -> Option<NewCase> {
    let case_no = c.code("case_no", false);
    let card_no = c.code("card_no", true);
    let subject = c.text("subject", true);
    let at = c.get("at", true, t::datetime);
    let found_by = c.get("found_by", true, |v| FoundBy::parse(&t::text(v)?));
    let facts = c.text("facts", true);
    let clause = c.get("clause", true, |v| Clause::parse(&t::text(v)?));
    let signed = c
        .get("signed", false, |v| yes_no(&t::text(v)?))
        .unwrap_or(true);
    let witnesses = c
        .text("witnesses", false)
        .map(|w| names(&w))
        .unwrap_or_default();
    let evidence = c
        .text("evidence", false)
        .map(|e| {
            e.split([';', '；'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| base.join(s))
                .collect()
        })
        .unwrap_or_default();
    Some(NewCase {
        line: c.line(),
        case_no,
        card_no: card_no?,
        subject: subject?,
        at: at?,
        found_by: found_by?,
        facts: facts?,
        clause: clause?,
        signed,
        witnesses,
        evidence,
        on: None,
    })
}

/// An evidence file's fingerprint, as the case keeps it.
#[derive(Serialize, serde::Deserialize)]
struct Evidence {
    file: String,
    sha256: String,
    bytes: u64,
}

fn fingerprint(path: &Path) -> Result<Evidence, String> {
    let mut f = std::fs::File::open(path)
        .map_err(|e| format!("cannot read the evidence file {}: {e}", path.display()))?;
    let mut h = Sha256::new();
    let bytes = std::io::copy(&mut f, &mut h)
        .map_err(|e| format!("cannot read the evidence file {}: {e}", path.display()))?;
    Ok(Evidence {
        file: path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
        sha256: format!("{:x}", h.finalize()),
        bytes,
    })
}

/// The next case numbers of the session: `<session>-0001` on.
fn next_numbers(session: &str, stored: &[ViolationRow]) -> impl Iterator<Item = String> {
    let prefix = format!("{session}-");
    let top = stored
        .iter()
        .filter_map(|v| v.case_no.strip_prefix(&prefix)?.parse::<u32>().ok())
        .max()
        .unwrap_or(0);
    (top + 1..).map(move |n| format!("{prefix}{n:04}"))
}

/// Checks the cases against the seating and what is recorded, and makes them rows to store.
fn check_cases(
    cases: &[NewCase],
    day: &ExamDay,
    stored: &[ViolationRow],
    session: &str,
) -> (Vec<ViolationRow>, Vec<RowProblem>) {
    let by_card: HashMap<&str, i64> = day
        .facts
        .iter()
        .map(|f| (f.card_no.as_str(), f.application_id))
        .collect();
    let mut numbers = next_numbers(session, stored);
    let mut taken: HashMap<String, usize> = stored.iter().map(|v| (v.case_no.clone(), 0)).collect();
    let (mut rows, mut problems) = (Vec::new(), Vec::new());
    for (i, c) in cases.iter().enumerate() {
        let mut bad = |column, message: String| problems.push(RowProblem::new(i, column, message));
        let Some(&app) = by_card.get(c.card_no.as_str()) else {
            bad(
                "card_no",
                format!(
                    "no seated candidate has admit-card number {} in this session",
                    c.card_no
                ),
            );
            continue;
        };
        let subject = Level::ALL.iter().find_map(|l| l.subject(&c.subject));
        let fact = day
            .facts_of(app)
            .iter()
            .find(|f| subject.is_some_and(|s| f.subjects.iter().any(|x| x == s)));
        let Some(fact) = fact else {
            bad(
                "subject",
                format!("{} does not write {} in this session", c.card_no, c.subject),
            );
            continue;
        };
        let Some(seat) = day.seat_of(app, fact.sitting_id) else {
            continue;
        };
        let sitting = day.sittings.iter().find(|s| s.id == fact.sitting_id);
        if let Some(s) = sitting
            && s.exam_date != c.at.date()
        {
            bad(
                "at",
                format!(
                    "{} was written on {}, not on {}",
                    c.subject,
                    s.exam_date,
                    c.at.date()
                ),
            );
        }
        if !c.signed && c.witnesses.len() < 2 {
            bad(
                "witnesses",
                format!(
                    "the candidate refused to sign: two staff witness it, found {}",
                    c.witnesses.len()
                ),
            );
        }
        let mut evidence = Vec::new();
        for e in &c.evidence {
            match fingerprint(e) {
                Ok(f) => evidence.push(f),
                Err(m) => bad("evidence", m),
            }
        }
        let case_no = c.case_no.clone().unwrap_or_else(|| {
            numbers
                .by_ref()
                .find(|n| !taken.contains_key(n))
                .expect("numbers never run out")
        });
        if let Some(first) = taken.insert(case_no.clone(), c.line) {
            bad(
                "case_no",
                if first == 0 {
                    format!(
                        "case {case_no} is recorded already; it moves on with kaowu violations step"
                    )
                } else {
                    format!("case {case_no} is given twice: here and on row {first}")
                },
            );
        }
        rows.push(ViolationRow {
            id: 0,
            case_no,
            application_id: app,
            sitting_id: fact.sitting_id,
            room_id: fact.room_id,
            seat_no: seat.seat_no,
            subject: fact
                .subjects
                .iter()
                .find(|s| Some(s.as_str()) == subject)
                .cloned()
                .unwrap_or_default(),
            occurred_at: c.at.format("%Y-%m-%d %H:%M").to_string(),
            found_by: c.found_by.as_str().to_string(),
            facts: c.facts.clone(),
            clause: c.clause.code(),
            signed: i64::from(c.signed),
            witnesses: if c.signed {
                String::new()
            } else {
                c.witnesses.join("、")
            },
            evidence: serde_json::to_string(&evidence).expect("plain values serialise"),
            step: Step::Recorded.as_str().to_string(),
            recorded_on: c.on.unwrap_or(c.at.date()).to_string(),
            notified_on: None,
            statement_on: None,
            statement: String::new(),
            decided_on: None,
            served_on: None,
        });
    }
    (rows, problems)
}

async fn add(g: &GlobalArgs, a: &ViolationAddArgs) -> Result<()> {
    let what = "violations add";
    let at = datetime_text(&a.at).map_err(|e| Rejected::one(format!("{what}: --at"), e))?;
    let clause =
        Clause::parse(&a.clause).map_err(|e| Rejected::one(format!("{what}: --clause"), e))?;
    let found_by =
        FoundBy::parse(&a.found_by).map_err(|e| Rejected::one(format!("{what}: --found-by"), e))?;
    let on = match &a.on {
        Some(d) => Some(
            NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").map_err(|_| {
                Rejected::one(
                    format!("{what}: --on"),
                    format!("expected a date like 2026-11-07, found \"{d}\""),
                )
            })?,
        ),
        None => None,
    };
    let case = NewCase {
        line: 0,
        case_no: a.case_no.clone(),
        card_no: a.card_no.trim().to_string(),
        subject: a.subject.clone(),
        at,
        found_by,
        facts: a.facts.trim().to_string(),
        clause,
        signed: !a.refused,
        witnesses: a.witness.clone(),
        evidence: a.evidence.clone(),
        on,
    };
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let day = ExamDay::load(&mut tx, session.id).await?;
    let stored = tx.violations(session.id).await?;
    drop(tx);
    let (rows, problems) = check_cases(std::slice::from_ref(&case), &day, &stored, &session.code);
    if !problems.is_empty() {
        return Err(Rejected {
            what: what.to_string(),
            problems: problems
                .into_iter()
                .map(|p| format!("{}: {}", p.column, p.message))
                .collect(),
        }
        .into());
    }
    let cx = Ctx::new(g, db, session);
    apply(&cx, &mut Record::new(rows, &day, &cx.session), &a.confirm).await
}

async fn import(g: &GlobalArgs, args: &ImportArgs) -> Result<()> {
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let day = ExamDay::load(&mut tx, session.id).await?;
    let stored = tx.violations(session.id).await?;
    drop(tx);
    let base = args
        .file
        .parent()
        .map_or_else(PathBuf::new, Path::to_path_buf);
    let (header, cases, problems) =
        read_rows(args.source(), args, VIOLATIONS, |c| parse_case(c, &base))?;
    let (rows, rules) = check_cases(&cases, &day, &stored, &session.code);
    reject_if_any(
        &header,
        problems,
        rules.into_iter().map(|p| (cases[p.row].line, p)).collect(),
    )?;
    let cx = Ctx::new(g, db, session);
    let confirm = Confirm {
        yes: true,
        dry_run: args.change.dry_run,
    };
    apply(&cx, &mut Record::new(rows, &day, &cx.session), &confirm).await
}

/// New cases to record.
struct Record {
    session_id: i64,
    rows: Vec<ViolationRow>,
    report: RecordReport,
}

#[derive(Serialize)]
struct RecordReport {
    session: String,
    dry_run: bool,
    batch: Option<i64>,
    cases: Vec<CaseView>,
}

/// A case as `list` and `--json` show it.
#[derive(Serialize)]
struct CaseView {
    case_no: String,
    card_no: String,
    subject: String,
    room: String,
    seat: i64,
    occurred_at: String,
    found_by: String,
    clause: String,
    clause_text: String,
    consequence: &'static str,
    whole_session: bool,
    record_years: Option<u8>,
    step: String,
    recorded_on: String,
    notified_on: Option<String>,
    statement_on: Option<String>,
    decided_on: Option<String>,
    served_on: Option<String>,
}

fn view(v: &ViolationRow, day: &ExamDay, card: &HashMap<i64, &str>) -> CaseView {
    let clause = Clause::parse(&v.clause).ok();
    let consequence = clause.map(Clause::consequence);
    CaseView {
        case_no: v.case_no.clone(),
        card_no: card
            .get(&v.application_id)
            .copied()
            .unwrap_or("")
            .to_string(),
        subject: v.subject.clone(),
        room: day.name(v.room_id, v.sitting_id),
        seat: v.seat_no,
        occurred_at: v.occurred_at.clone(),
        found_by: v.found_by.clone(),
        clause: v.clause.clone(),
        clause_text: clause.map(Clause::chinese).unwrap_or_default(),
        consequence: consequence.map_or("", |c| c.text()),
        whole_session: consequence
            .is_some_and(super::super::model::violation::Consequence::whole_session),
        record_years: consequence
            .and_then(super::super::model::violation::Consequence::record_years),
        step: v.step.clone(),
        recorded_on: v.recorded_on.clone(),
        notified_on: v.notified_on.clone(),
        statement_on: v.statement_on.clone(),
        decided_on: v.decided_on.clone(),
        served_on: v.served_on.clone(),
    }
}

impl Record {
    fn new(rows: Vec<ViolationRow>, day: &ExamDay, session: &SessionRow) -> Record {
        let card: HashMap<i64, &str> = day
            .facts
            .iter()
            .map(|f| (f.application_id, f.card_no.as_str()))
            .collect();
        let cases = rows.iter().map(|v| view(v, day, &card)).collect();
        Record {
            session_id: session.id,
            rows,
            report: RecordReport {
                session: session.code.clone(),
                dry_run: false,
                batch: None,
                cases,
            },
        }
    }
}

impl Change for Record {
    type Report = RecordReport;

    fn kind(&self) -> String {
        "violation".to_string()
    }

    fn size(&self) -> usize {
        self.rows.len()
    }

    fn preview(&self, dry_run: bool) -> String {
        let verb = if dry_run {
            "would record (dry run)"
        } else {
            "will record"
        };
        let mut out = format!("violations (违纪违规): {verb} {} cases\n", self.rows.len());
        for c in &self.report.cases {
            out.push_str(&format!(
                "  {} {} {} {} 座位{:02}: {} {} -> {}\n",
                c.case_no,
                c.card_no,
                c.subject,
                c.room,
                c.seat,
                c.clause_text,
                c.found_by,
                c.consequence
            ));
        }
        out
    }

    fn question(&self) -> String {
        format!("record {} violation cases?", self.rows.len())
    }

    async fn write(&mut self, tx: &mut Tx, batch: i64) -> Result<Written> {
        for v in &self.rows {
            tx.insert_violation(self.session_id, batch, v).await?;
            tx.journal(
                batch,
                v.application_id,
                &format!("violation:{}", v.case_no),
                None,
                Some(&format!("{} §{} {}", v.step, v.clause, v.subject)),
                &v.facts,
            )
            .await?;
        }
        Ok(Written {
            summary: format!("{} violation cases recorded", self.rows.len()),
            changed: self.rows.len(),
            analyze: vec![],
        })
    }

    fn report(&mut self, dry_run: bool, batch: Option<i64>) -> &RecordReport {
        self.report.dry_run = dry_run;
        self.report.batch = batch;
        &self.report
    }

    fn done(&self, batch: i64, _w: &Written) -> String {
        let numbers: Vec<&str> = self
            .report
            .cases
            .iter()
            .map(|c| c.case_no.as_str())
            .collect();
        format!(
            "recorded {} violation cases as batch {batch}: {}",
            self.rows.len(),
            numbers.join(", ")
        )
    }
}

async fn list(g: &GlobalArgs) -> Result<()> {
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let day = ExamDay::load(&mut tx, session.id).await?;
    let stored = tx.violations(session.id).await?;
    drop(tx);
    let card: HashMap<i64, &str> = day
        .facts
        .iter()
        .map(|f| (f.application_id, f.card_no.as_str()))
        .collect();
    let views: Vec<CaseView> = stored.iter().map(|v| view(v, &day, &card)).collect();
    if g.json {
        return print_json(&views);
    }
    if views.is_empty() {
        outln!(
            "session {} has no violation cases: kaowu violations add or import",
            session.code
        )?;
        return Ok(());
    }
    let mut tb = table(&[
        "案件编号",
        "准考证号",
        "科目",
        "考场",
        "条款",
        "处理",
        "环节",
        "日期",
    ]);
    for v in &views {
        let last = [&v.served_on, &v.decided_on, &v.statement_on, &v.notified_on]
            .into_iter()
            .find_map(std::clone::Clone::clone)
            .unwrap_or_else(|| v.recorded_on.clone());
        tb.add_row(vec![
            v.case_no.clone(),
            v.card_no.clone(),
            v.subject.clone(),
            v.room.clone(),
            v.clause_text.clone(),
            v.consequence.to_string(),
            v.step.clone(),
            last,
        ]);
    }
    outln!("{tb}")?;
    let mut by_step: BTreeMap<&str, usize> = BTreeMap::new();
    for v in &views {
        *by_step.entry(v.step.as_str()).or_default() += 1;
    }
    let steps: Vec<String> = Step::ALL
        .iter()
        .filter_map(|s| {
            by_step
                .get(s.as_str())
                .map(|n| format!("{} {n}", s.as_str()))
        })
        .collect();
    outln!("{} cases: {}", views.len(), steps.join(", "))?;
    Ok(())
}

/// A case moved to its next step.
struct Move {
    id: i64,
    application_id: i64,
    case_no: String,
    from: Step,
    to: Step,
    on: NaiveDate,
    statement: Option<String>,
    report: MoveReport,
}

#[derive(Serialize)]
struct MoveReport {
    case_no: String,
    from: &'static str,
    to: &'static str,
    on: String,
    dry_run: bool,
    batch: Option<i64>,
}

impl Change for Move {
    type Report = MoveReport;

    fn kind(&self) -> String {
        "violation-step".to_string()
    }

    fn size(&self) -> usize {
        1
    }

    fn preview(&self, dry_run: bool) -> String {
        format!(
            "case {}: {} -> {} on {}{}\n",
            self.case_no,
            self.from.as_str(),
            self.to.as_str(),
            self.on,
            if dry_run { " (dry run)" } else { "" }
        )
    }

    fn question(&self) -> String {
        format!("move case {} to {}?", self.case_no, self.to.as_str())
    }

    async fn write(&mut self, tx: &mut Tx, batch: i64) -> Result<Written> {
        tx.set_violation_step(
            self.id,
            batch,
            self.to.as_str(),
            &self.on.to_string(),
            self.statement.as_deref(),
        )
        .await?;
        tx.journal(
            batch,
            self.application_id,
            &format!("violation:{}", self.case_no),
            Some(self.from.as_str()),
            Some(self.to.as_str()),
            &format!("{} on {}", self.to.as_str(), self.on),
        )
        .await?;
        Ok(Written {
            summary: format!("case {} to {}", self.case_no, self.to.as_str()),
            changed: 1,
            analyze: vec![],
        })
    }

    fn report(&mut self, dry_run: bool, batch: Option<i64>) -> &MoveReport {
        self.report.dry_run = dry_run;
        self.report.batch = batch;
        &self.report
    }

    fn done(&self, batch: i64, _w: &Written) -> String {
        format!(
            "case {} is at {} since {} (batch {batch})",
            self.case_no,
            self.to.as_str(),
            self.on
        )
    }
}

/// The date a case reached its last step.
fn last_date(v: &ViolationRow) -> Option<NaiveDate> {
    [&v.served_on, &v.decided_on, &v.statement_on, &v.notified_on]
        .into_iter()
        .find_map(|d| d.as_deref())
        .unwrap_or(&v.recorded_on)
        .parse()
        .ok()
}

async fn step(
    g: &GlobalArgs,
    case: &str,
    to: &str,
    on: &str,
    statement: Option<&str>,
    confirm: &Confirm,
) -> Result<()> {
    let what = format!("violations step {case}");
    let to = Step::parse(to).map_err(|e| Rejected::one(format!("{what}: --to"), e))?;
    let on = NaiveDate::parse_from_str(on.trim(), "%Y-%m-%d").map_err(|_| {
        Rejected::one(
            format!("{what}: --on"),
            format!("expected a date like 2026-11-20, found \"{on}\""),
        )
    })?;
    if statement.is_some() && to != Step::Statement {
        return Err(Rejected::one(what, "--statement goes with --to 申辩").into());
    }
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let stored = tx.violations(session.id).await?;
    drop(tx);
    let Some(v) = stored.iter().find(|v| v.case_no == case) else {
        bail!(
            "no case {case} in session {}; see kaowu violations list",
            session.code
        );
    };
    let from = Step::parse(&v.step).map_err(anyhow::Error::msg)?;
    from.may_move_to(to)
        .map_err(|e| Rejected::one(what.clone(), e))?;
    if let Some(before) = last_date(v) {
        check_date(to, on, before).map_err(|e| Rejected::one(what.clone(), e))?;
    }
    let mut change = Move {
        id: v.id,
        application_id: v.application_id,
        case_no: v.case_no.clone(),
        from,
        to,
        on,
        statement: statement.map(str::to_string),
        report: MoveReport {
            case_no: v.case_no.clone(),
            from: from.as_str(),
            to: to.as_str(),
            on: on.to_string(),
            dry_run: false,
            batch: None,
        },
    };
    let cx = Ctx::new(g, db, session);
    apply(&cx, &mut change, confirm).await
}

/// Who issues documents in the province's name: 云南 -> 云南省人事考试院.
fn issuer(province: &str) -> String {
    let p = province.trim();
    if p.ends_with(['省', '市', '区']) {
        format!("{p}人事考试院")
    } else if ["北京", "天津", "上海", "重庆"].contains(&p) {
        format!("{p}市人事考试中心")
    } else {
        format!("{p}省人事考试院")
    }
}

/// Every case with what its documents print.
async fn cases(
    tx: &mut Tx,
    session: &SessionRow,
    layout: &Layout,
) -> Result<Vec<(ViolationRow, Case)>> {
    let day = ExamDay::load(tx, session.id).await?;
    let stored = tx.violations(session.id).await?;
    let ids: Vec<i64> = stored.iter().map(|v| v.application_id).collect();
    let persons: HashMap<i64, (String, String, String, String, String)> = tx
        .persons(session.id, &ids)
        .await?
        .into_iter()
        .map(|(id, no, name, idn, q, l)| (id, (no, name, idn, q, l)))
        .collect();
    let addresses: HashMap<(String, u32), (String, String)> = tx
        .rooms(session.id)
        .await?
        .into_iter()
        .map(|r| ((r.site_code, r.room), (r.site_name, r.address)))
        .collect();
    let card: HashMap<i64, &str> = day
        .facts
        .iter()
        .map(|f| (f.application_id, f.card_no.as_str()))
        .collect();
    let (year, half) = year_half(&session.code);
    let mut out = Vec::new();
    for v in stored {
        let (_, name, id_number, qualification, level) =
            persons.get(&v.application_id).cloned().unwrap_or_default();
        let room = day.rooms.get(&v.room_id);
        let (site_name, site_address) = room
            .and_then(|r| {
                addresses
                    .get(&(r.site_code.clone(), r.number as u32))
                    .cloned()
            })
            .unwrap_or_default();
        let sitting = day.sittings.iter().find(|s| s.id == v.sitting_id);
        let clause = Clause::parse(&v.clause).map_err(anyhow::Error::msg)?;
        let evidence: Vec<Evidence> = serde_json::from_str(&v.evidence).unwrap_or_default();
        let case = Case {
            case_no: v.case_no.clone(),
            title: format!("{year}年{half}计算机技术与软件专业技术资格（水平）考试"),
            name,
            id_number,
            card_no: card
                .get(&v.application_id)
                .copied()
                .unwrap_or("")
                .to_string(),
            qualification: format!("{qualification}（{level}）"),
            exam_area: room.map(|r| r.exam_area.clone()).unwrap_or_default(),
            site_name,
            site_address,
            room: room
                .map(|r| format!("第{:02}考场", r.number))
                .unwrap_or_default(),
            seat: format!("{:02}", v.seat_no),
            sitting: sitting.map_or_else(String::new, |s| {
                format!("{} {}", s.exam_date.format("%Y年%-m月%-d日"), s.label)
            }),
            subject: v.subject.clone(),
            occurred_at: NaiveDateTime::parse_from_str(&v.occurred_at, "%Y-%m-%d %H:%M")
                .map_or_else(
                    |_| v.occurred_at.clone(),
                    |t| t.format("%Y年%-m月%-d日 %H:%M").to_string(),
                ),
            found_by: FoundBy::parse(&v.found_by)
                .map_or_else(|_| v.found_by.clone(), |f| f.described().to_string()),
            facts: v.facts.clone(),
            evidence: evidence
                .iter()
                .map(|e| {
                    format!(
                        "{}（{} 字节，SHA-256 {}…）",
                        e.file,
                        e.bytes,
                        &e.sha256[..16.min(e.sha256.len())]
                    )
                })
                .collect(),
            clause: clause.chinese(),
            consequence: clause.consequence().text().to_string(),
            signed: v.signed != 0,
            witnesses: names(&v.witnesses),
            issuer: issuer(&session.province),
            notice_date: v
                .notified_on
                .as_deref()
                .map(chinese_date_text)
                .unwrap_or_default(),
            statement_days: layout.statement_days,
            statement: if v.statement.is_empty() {
                if v.statement_on.is_some() {
                    "应试人员提出了陈述申辩。".to_string()
                } else {
                    "应试人员在规定期限内未提出陈述申辩。".to_string()
                }
            } else {
                format!(
                    "应试人员陈述申辩称：{}。本机关对其陈述、申辩意见进行了复核。",
                    v.statement.trim_end_matches('。')
                )
            },
            decision_date: v
                .decided_on
                .as_deref()
                .map(chinese_date_text)
                .unwrap_or_default(),
            appeal: layout.appeal.clone(),
        };
        out.push((v, case));
    }
    Ok(out)
}

#[derive(Serialize)]
struct DocumentsReport {
    session: String,
    out: String,
    cases: usize,
    files: Vec<String>,
}

async fn documents(g: &GlobalArgs, out: &Path, template: Option<&Path>) -> Result<()> {
    let (layout, _text, font) =
        load_template::<Layout>(TEMPLATE, template, |l: &Layout| (&l.font, l.font_index))?;
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let all = cases(&mut tx, &session, &layout).await?;
    drop(tx);
    db.close().await;
    let date = crate::pdf::document_date(session.created_at.and_utc().timestamp());
    let mut text = String::new();
    for (_, c) in &all {
        text.push_str(&crate::pdf::violation::texts(&layout, c));
    }
    let font = font
        .narrowed(text.chars(), "".chars())
        .map_err(|e| anyhow::anyhow!("the template's font: {e}"))?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut files = Vec::new();
    for (v, c) in &all {
        let step = Step::parse(&v.step).map_err(anyhow::Error::msg)?;
        let mut kinds = vec![DocKind::Record];
        if step >= Step::Notified {
            kinds.push(DocKind::Notice);
        }
        if step >= Step::Decided {
            kinds.push(DocKind::Decision);
        }
        for kind in kinds {
            let stem = kind.file_stem();
            let pdf = crate::pdf::violation::render(&font, &layout, c, kind, date)
                .map_err(|e| anyhow::anyhow!("case {}: {stem}: {e}", c.case_no))?;
            let path = out.join(format!("{}_{stem}.pdf", c.case_no));
            atomic::write(&path, &pdf)?;
            files.push(path.display().to_string());
        }
    }
    let report = DocumentsReport {
        session: session.code.clone(),
        out: out.display().to_string(),
        cases: all.len(),
        files,
    };
    if g.json {
        return print_json(&report);
    }
    outln!(
        "violation documents of {} into {}: {} cases, {} files",
        report.session,
        report.out,
        report.cases,
        report.files.len()
    )?;
    Ok(())
}

async fn register(g: &GlobalArgs, out: &Path) -> Result<()> {
    let (layout, _, _) =
        load_template::<Layout>(TEMPLATE, None, |l: &Layout| (&l.font, l.font_index))?;
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let all = cases(&mut tx, &session, &layout).await?;
    drop(tx);
    db.close().await;
    let mut book = Book::new();
    let title = format!(
        "{}违纪违规人员登记表",
        all.first()
            .map_or_else(String::new, |(_, c)| c.title.clone())
    );
    let mut s = book.sheet("违纪违规登记", &title)?;
    s.header(&[
        "序号",
        "案件编号",
        "姓名",
        "证件号码",
        "准考证号",
        "资格名称",
        "考区",
        "考点",
        "考场",
        "座位号",
        "考试时间",
        "科目",
        "发生时间",
        "发现方式",
        "违纪违规事实",
        "适用条款",
        "处理结果",
        "诚信档案",
        "本人签字",
        "环节",
        "记录日期",
        "告知日期",
        "申辩日期",
        "决定日期",
        "送达日期",
    ])?;
    for (i, (v, c)) in all.iter().enumerate() {
        let consequence = Clause::parse(&v.clause).map(Clause::consequence).ok();
        let record =
            match consequence.and_then(super::super::model::violation::Consequence::record_years) {
                Some(0) => "长期记录".to_string(),
                Some(y) => format!("记录{y}年"),
                None => String::new(),
            };
        let signed = if c.signed {
            "已签字".to_string()
        } else {
            format!("拒绝签字（见证人：{}）", c.witnesses.join("、"))
        };
        let opt = |d: &Option<String>| d.clone().unwrap_or_default();
        let (notified, stated, decided, served) = (
            opt(&v.notified_on),
            opt(&v.statement_on),
            opt(&v.decided_on),
            opt(&v.served_on),
        );
        s.row(&[
            Cell::Count(i as i64 + 1),
            Cell::Text(&c.case_no),
            Cell::Text(&c.name),
            Cell::Text(&c.id_number),
            Cell::Text(&c.card_no),
            Cell::Text(&c.qualification),
            Cell::Text(&c.exam_area),
            Cell::Text(&c.site_name),
            Cell::Text(&c.room),
            Cell::Text(&c.seat),
            Cell::Text(&c.sitting),
            Cell::Text(&c.subject),
            Cell::Text(&v.occurred_at),
            Cell::Text(&c.found_by),
            Cell::Text(&c.facts),
            Cell::Text(&c.clause),
            Cell::Text(&c.consequence),
            Cell::Text(&record),
            Cell::Text(&signed),
            Cell::Text(&v.step),
            Cell::Text(&v.recorded_on),
            Cell::Text(&notified),
            Cell::Text(&stated),
            Cell::Text(&decided),
            Cell::Text(&served),
        ])?;
    }
    book.save(out)?;
    if g.json {
        return print_json(&serde_json::json!({
            "session": session.code,
            "out": out.display().to_string(),
            "cases": all.len(),
        }));
    }
    outln!(
        "violation register (违纪违规人员登记表) of {} into {}: {} cases",
        session.code,
        out.display(),
        all.len()
    )?;
    Ok(())
}
