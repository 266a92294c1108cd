//! `kaowu recheck add|import|list|export|results`: score-recheck requests (复核) within the
//! session's window, for subjective papers only; the batch sent to the national centre; and
//! its answers, a changed score journalled with the request's reference and the candidate's
//! pass decision redone.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Result;
use chrono::NaiveDate;
use serde::Serialize;

use super::batch::{Change, Written, apply, recording};
use super::intake::{Diff, FileDigest, read_rows, record_import, reject_if_any};
use super::results::{Results, failed_text, shown, verdict_word};
use super::scores::{write_scores, write_verdicts};
use super::{Ctx, Rejected, connect, current_session, print_json};
use crate::cli::{Confirm, GlobalArgs, ImportArgs, RecheckCommand};
use crate::db::Tx;
use crate::db::payments::JournalLine;
use crate::db::scores::{Candidate, RecheckRow};
use crate::io::table::{self, Cells, Column, Schema};
use crate::io::write::{Charset, CsvOut};
use crate::io::xlsx::{Book, Cell};
use crate::model::RowProblem;
use crate::model::level::Level;
use crate::model::roster::Value;
use crate::model::score::{Entry, Score, recheckable};

pub const REQUESTS: Schema = Schema {
    what: "recheck requests (复核申请)",
    columns: &[
        Column::req("card_no", "准考证号", "card_no").aka(&["ZKZH", "准考证"]),
        Column::opt("id_number", "证件号码", "id_number").aka(&["ZJH", "身份证号"]),
        Column::opt("name", "姓名", "name").aka(&["XM"]),
        Column::req("subject", "科目", "subject").aka(&["复核科目", "申请科目"]),
        Column::req("on", "申请日期", "requested_on").aka(&["申请时间", "日期"]),
    ],
};

pub const ANSWERS: Schema = Schema {
    what: "recheck answers (复核结果)",
    columns: &[
        Column::req("reference", "复核编号", "reference").aka(&["编号"]),
        Column::opt("old", "原成绩", "old_score"),
        Column::req("new", "复核后成绩", "new_score").aka(&["复核成绩"]),
        Column::opt("note", "复核结论", "note").aka(&["结论", "说明"]),
        Column::opt("on", "答复日期", "answered_on").aka(&["答复时间"]),
    ],
};

pub async fn run(g: &GlobalArgs, cmd: &RecheckCommand) -> Result<()> {
    match cmd {
        RecheckCommand::Add {
            card_no,
            subject,
            on,
            id_number,
            confirm,
        } => {
            let line = Request {
                line: 0,
                card_no: card_no.trim().to_string(),
                id_number: id_number.clone(),
                subject: subject.trim().to_string(),
                on: on.trim().to_string(),
            };
            requests(g, vec![line], None, confirm).await
        }
        RecheckCommand::Import(args) => {
            let args = args.with_stdin()?;
            let (header, lines, problems) = read_rows(args.source(), &args, REQUESTS, |c| {
                Some(Request {
                    line: c.line(),
                    card_no: c.code("card_no", true)?,
                    id_number: c.code("id_number", false),
                    subject: c.text("subject", true)?,
                    on: date_cell(c, "on")?,
                })
            })?;
            reject_if_any(&header, problems, Vec::new())?;
            let confirm = Confirm {
                yes: true,
                dry_run: args.change.dry_run,
            };
            requests(g, lines, Some((&args, &header)), &confirm).await
        }
        RecheckCommand::List => list(g).await,
        RecheckCommand::Export { out, all } => export(g, out, *all).await,
        RecheckCommand::Results(args) => answers(g, &args.with_stdin()?).await,
    }
}

/// A date cell: a date, or text like 2027-01-05 or 2027年1月5日.
fn date_cell(c: &mut Cells<'_, '_>, key: &str) -> Option<String> {
    c.get(key, true, |v| table::date(v).map(|d| d.to_string()))
}

/// A request as given on the command line or in a file row.
struct Request {
    line: usize,
    card_no: String,
    id_number: Option<String>,
    subject: String,
    on: String,
}

/// A checked request: (reference, application, subject, date, score in tenths).
type Checked = (String, i64, &'static str, String, i64);

/// Whether a request dated `on` falls in the session's recheck window.
fn in_window(
    window: (Option<NaiveDate>, Option<NaiveDate>),
    on: &str,
    session: &str,
) -> Result<(), String> {
    let Ok(d) = NaiveDate::parse_from_str(on, "%Y-%m-%d") else {
        return Err(format!("expected a date like 2027-01-05, found \"{on}\""));
    };
    let (o, c) = window;
    if o.is_none() && c.is_none() {
        return Err(format!(
            "session {session} has no recheck window: set it with kaowu session set \
             --recheck-opens DATE --recheck-closes DATE"
        ));
    }
    if o.is_some_and(|o| d < o) || c.is_some_and(|c| d > c) {
        let f = |x: Option<NaiveDate>| x.map_or_else(|| "open".to_string(), |x| x.to_string());
        return Err(format!(
            "requested on {d}, outside the recheck window {} to {}",
            f(o),
            f(c)
        ));
    }
    Ok(())
}

/// Checks the requests against the window, the papers and what is stored.
fn check(
    lines: &[Request],
    res: &Results,
    stored: &[RecheckRow],
    window: (Option<NaiveDate>, Option<NaiveDate>),
    session: &str,
) -> (Vec<Checked>, Vec<RowProblem>) {
    let by_card: HashMap<&str, &Candidate> = res
        .candidates
        .iter()
        .map(|c| (c.card_no.as_str(), c))
        .collect();
    let mut taken: HashMap<(i64, &str), String> = stored
        .iter()
        .filter_map(|r| {
            Some((
                (
                    r.application_id,
                    Level::ALL.iter().find_map(|l| l.subject(&r.subject))?,
                ),
                r.reference.clone(),
            ))
        })
        .collect();
    let mut next = stored.len() + 1;
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, r) in lines.iter().enumerate() {
        let Some(c) = by_card.get(r.card_no.as_str()) else {
            problems.push(RowProblem::new(
                i,
                "card_no",
                format!(
                    "准考证号 {} is not an admit card of session {session}",
                    r.card_no
                ),
            ));
            continue;
        };
        if let Some(id) = &r.id_number
            && !id.eq_ignore_ascii_case(&c.id_number)
        {
            problems.push(RowProblem::new(
                i,
                "id_number",
                format!(
                    "证件号码 is not that of the holder of 准考证号 {}",
                    r.card_no
                ),
            ));
            continue;
        }
        let Some(subject) = Level::parse(&c.level).and_then(|l| l.subject(&r.subject)) else {
            problems.push(RowProblem::new(
                i,
                "subject",
                format!("\"{}\" is not a subject of {}'s level", r.subject, c.name),
            ));
            continue;
        };
        if let Err(e) = recheckable(subject) {
            problems.push(RowProblem::new(i, "subject", e));
            continue;
        }
        if let Err(e) = in_window(window, &r.on, session) {
            problems.push(RowProblem::new(i, "on", e));
            continue;
        }
        let score = match res.entry(c.application_id, subject) {
            Some(Entry::Scored(s)) => s,
            other => {
                problems.push(RowProblem::new(
                    i,
                    "subject",
                    format!(
                        "{} has no score in {subject} to recheck ({})",
                        c.name,
                        other.map_or_else(|| "no score imported".to_string(), shown)
                    ),
                ));
                continue;
            }
        };
        if let Some(reference) = taken.get(&(c.application_id, subject)) {
            problems.push(RowProblem::new(
                i,
                "subject",
                format!(
                    "{} {subject} is requested already as {reference}",
                    r.card_no
                ),
            ));
            continue;
        }
        let reference = format!("{session}-FH{next:04}");
        next += 1;
        taken.insert((c.application_id, subject), reference.clone());
        out.push((
            reference,
            c.application_id,
            subject,
            r.on.clone(),
            i64::from(score.0),
        ));
    }
    (out, problems)
}

async fn requests(
    g: &GlobalArgs,
    lines: Vec<Request>,
    file: Option<(&ImportArgs, &table::Header)>,
    confirm: &Confirm,
) -> Result<()> {
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let settings = tx.session_settings(&session).await?;
    let res = Results::load(&mut tx, session.id).await?;
    let stored = tx.rechecks(session.id).await?;
    drop(tx);
    let (checked, problems) = check(
        &lines,
        &res,
        &stored,
        (settings.recheck_opens, settings.recheck_closes),
        &session.code,
    );
    match file {
        Some((_, header)) => reject_if_any(
            header,
            table::Problems::default(),
            problems
                .into_iter()
                .map(|p| (lines[p.row].line, p))
                .collect(),
        )?,
        None if !problems.is_empty() => {
            return Err(Rejected {
                what: "recheck add".into(),
                problems: problems
                    .into_iter()
                    .map(|p| format!("--{}: {}", p.column.replace('_', "-"), p.message))
                    .collect(),
            }
            .into());
        }
        None => {}
    }
    let names: HashMap<i64, (String, String)> = checked
        .iter()
        .filter_map(|r| {
            let c = res.candidate(r.1)?;
            Some((r.1, (c.card_no.clone(), c.name.clone())))
        })
        .collect();
    let mut change = Requests {
        report: RequestsReport {
            session: session.code.clone(),
            dry_run: confirm.dry_run,
            batch: None,
            requests: checked
                .iter()
                .map(|r| {
                    let (card, name) = names.get(&r.1).cloned().unwrap_or_default();
                    RequestLine {
                        reference: r.0.clone(),
                        card_no: card,
                        name,
                        subject: r.2,
                        requested_on: r.3.clone(),
                        score: Score(u16::try_from(r.4).unwrap_or(0)),
                    }
                })
                .collect(),
        },
        checked,
        session_id: session.id,
        file: file.map(|(a, _)| (a.source().to_path_buf(), a.shown())),
        operator: g.operator(),
    };
    let cx = Ctx::new(g, db, session);
    apply(&cx, &mut change, confirm).await
}

struct Requests {
    checked: Vec<Checked>,
    report: RequestsReport,
    session_id: i64,
    file: Option<(std::path::PathBuf, String)>,
    operator: String,
}

#[derive(Serialize)]
struct RequestsReport {
    session: String,
    dry_run: bool,
    batch: Option<i64>,
    requests: Vec<RequestLine>,
}

#[derive(Serialize)]
struct RequestLine {
    reference: String,
    card_no: String,
    name: String,
    subject: &'static str,
    requested_on: String,
    score: Score,
}

impl Change for Requests {
    type Report = RequestsReport;

    fn kind(&self) -> String {
        "recheck".to_string()
    }

    fn size(&self) -> usize {
        self.checked.len()
    }

    fn preview(&self, dry_run: bool) -> String {
        let verb = recording(dry_run);
        let mut out = format!(
            "recheck requests (复核申请) of session {}: {verb}: {}\n",
            self.report.session,
            self.report.requests.len()
        );
        for r in self.report.requests.iter().take(20) {
            out.push_str(&format!(
                "  {} {} {} {} (score {}, requested {})\n",
                r.reference, r.card_no, r.name, r.subject, r.score, r.requested_on
            ));
        }
        if self.report.requests.len() > 20 {
            out.push_str(&format!(
                "  ... and {} more\n",
                self.report.requests.len() - 20
            ));
        }
        out
    }

    fn question(&self) -> String {
        format!("record {} recheck requests?", self.checked.len())
    }

    async fn write(&mut self, tx: &mut Tx, batch: i64) -> Result<Written> {
        for r in &self.checked {
            tx.insert_recheck(self.session_id, batch, (&r.0, r.1, r.2, &r.3, r.4))
                .await?;
        }
        let journal: Vec<JournalLine<'_>> = self
            .checked
            .iter()
            .map(|r| {
                (
                    r.1,
                    format!("recheck:{}", r.2),
                    None,
                    Some(r.0.as_str()),
                    "recheck request",
                )
            })
            .collect();
        tx.journal_many(batch, &journal).await?;
        if let Some((source, shown)) = &self.file {
            let mut diff = Diff::default();
            for r in &self.checked {
                diff.add_listed(&r.0);
            }
            let digest = FileDigest::start(source, shown.clone());
            record_import(
                tx,
                self.session_id,
                "rechecks",
                digest,
                &self.operator,
                &diff,
            )
            .await?;
        }
        Ok(Written {
            summary: format!("{} recheck requests", self.checked.len()),
            changed: self.checked.len(),
            analyze: Vec::new(),
        })
    }

    fn report(&mut self, dry_run: bool, batch: Option<i64>) -> &RequestsReport {
        self.report.dry_run = dry_run;
        self.report.batch = batch;
        &self.report
    }

    fn done(&self, batch: i64, _written: &Written) -> String {
        format!(
            "{} recheck requests recorded as batch {batch} (kaowu recheck export --out FILE writes them for the centre)",
            self.checked.len()
        )
    }
}

/// A request as listed and exported.
#[derive(Serialize)]
struct Listed {
    reference: String,
    card_no: String,
    id_number: String,
    name: String,
    qualification: String,
    exam_area: String,
    subject: String,
    requested_on: String,
    score: Score,
    result: String,
    new_score: Option<Score>,
    answered_on: Option<String>,
    note: String,
}

async fn listed(g: &GlobalArgs) -> Result<(String, Vec<Listed>)> {
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let res = Results::load(&mut tx, session.id).await?;
    let rows = tx.rechecks(session.id).await?;
    drop(tx);
    db.close().await;
    let tenths = |n: i64| Score(u16::try_from(n).unwrap_or(0));
    let out = rows
        .into_iter()
        .map(|r| {
            let c = res.candidate(r.application_id);
            let f = |get: fn(&Candidate) -> &String| c.map(get).cloned().unwrap_or_default();
            Listed {
                reference: r.reference,
                card_no: f(|c| &c.card_no),
                id_number: f(|c| &c.id_number),
                name: f(|c| &c.name),
                qualification: f(|c| &c.qualification),
                exam_area: f(|c| &c.exam_area),
                subject: r.subject,
                requested_on: r.requested_on,
                score: tenths(r.old_score),
                result: match r.result.as_str() {
                    "kept" => "维持原成绩",
                    "changed" => "更正",
                    _ => "待复核",
                }
                .to_string(),
                new_score: r.new_score.map(tenths),
                answered_on: r.answered_on,
                note: r.note,
            }
        })
        .collect();
    Ok((session.code, out))
}

async fn list(g: &GlobalArgs) -> Result<()> {
    let (code, rows) = listed(g).await?;
    if g.json {
        return print_json(&rows);
    }
    let pending = rows.iter().filter(|r| r.result == "待复核").count();
    outln!(
        "recheck requests (复核) of session {code}: {}, {pending} pending",
        rows.len()
    )?;
    for r in &rows {
        outln!(
            "  {} {} {} {} {} requested {}: {}{}",
            r.reference,
            r.card_no,
            r.name,
            r.subject,
            r.score,
            r.requested_on,
            r.result,
            r.new_score
                .filter(|s| *s != r.score)
                .map_or_else(String::new, |s| format!(" {} -> {s}", r.score))
        )?;
    }
    Ok(())
}

/// The requests for the centre: pending ones, or every one with `all`; XLSX or CSV by the
/// file's name.
async fn export(g: &GlobalArgs, out: &Path, all: bool) -> Result<()> {
    let (code, rows) = listed(g).await?;
    let rows: Vec<&Listed> = rows
        .iter()
        .filter(|r| all || r.result == "待复核")
        .collect();
    let header = [
        "序号",
        "复核编号",
        "准考证号",
        "证件号码",
        "姓名",
        "资格名称",
        "考区",
        "科目",
        "原成绩",
        "申请日期",
    ];
    let csv = out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if csv {
        let mut w = CsvOut::create(out, Charset::Utf8Bom, &header)?;
        for (i, r) in rows.iter().enumerate() {
            let score = r.score.to_string();
            let no = (i + 1).to_string();
            let cells: Vec<Value<'_>> = [
                no.as_str(),
                &r.reference,
                &r.card_no,
                &r.id_number,
                &r.name,
                &r.qualification,
                &r.exam_area,
                &r.subject,
                &score,
                &r.requested_on,
            ]
            .into_iter()
            .map(|t| Value::Text(t.into()))
            .collect();
            w.push(&cells)?;
        }
        w.finish()?;
    } else {
        let mut book = Book::new();
        let mut s = book.sheet("复核申请", &format!("{code} 成绩复核申请汇总表"))?;
        s.header(&header)?;
        for (i, r) in rows.iter().enumerate() {
            let score = r.score.to_string();
            s.row(&[
                Cell::Count((i + 1) as i64),
                Cell::Text(&r.reference),
                Cell::Text(&r.card_no),
                Cell::Text(&r.id_number),
                Cell::Text(&r.name),
                Cell::Text(&r.qualification),
                Cell::Text(&r.exam_area),
                Cell::Text(&r.subject),
                Cell::Text(&score),
                Cell::Text(&r.requested_on),
            ])?;
        }
        book.save(out)?;
    }
    if g.json {
        #[derive(Serialize)]
        struct Exported<'a> {
            session: &'a str,
            out: String,
            requests: usize,
        }
        return print_json(&Exported {
            session: &code,
            out: out.display().to_string(),
            requests: rows.len(),
        });
    }
    outln!(
        "{} recheck requests of {code} written to {}",
        rows.len(),
        out.display()
    )?;
    Ok(())
}

/// An answer of the centre, checked: the request, the score after, and whether it changed.
struct Answer {
    recheck: RecheckRow,
    new: Score,
    on: String,
    note: String,
}

/// A row of the answers file: (line, reference, 原成绩, 复核后成绩, note, date).
type AnswerLine = (usize, String, Option<Score>, Score, String, String);

/// Checks the centre's answers against the pending requests.
fn check_answers(
    lines: &[AnswerLine],
    stored: &HashMap<String, RecheckRow>,
    session: &str,
) -> (Vec<Answer>, Vec<RowProblem>) {
    let mut rules = Vec::new();
    let mut checked = Vec::new();
    let today = chrono::Local::now().date_naive().to_string();
    for (i, (_, reference, old, new, note, on)) in lines.iter().enumerate() {
        let Some(r) = stored.get(reference) else {
            rules.push(RowProblem::new(
                i,
                "reference",
                format!("复核编号 {reference} is no request of session {session}"),
            ));
            continue;
        };
        if r.result != "pending" {
            rules.push(RowProblem::new(
                i,
                "reference",
                format!(
                    "{reference} was answered already (on {})",
                    r.answered_on.clone().unwrap_or_default()
                ),
            ));
            continue;
        }
        if let Some(old) = old
            && i64::from(old.0) != r.old_score
        {
            rules.push(RowProblem::new(
                i,
                "old",
                format!(
                    "原成绩 {old} is not the score requested on ({})",
                    Score(u16::try_from(r.old_score).unwrap_or(0))
                ),
            ));
            continue;
        }
        checked.push(Answer {
            recheck: r.clone(),
            new: *new,
            on: if on.is_empty() {
                today.clone()
            } else {
                on.clone()
            },
            note: note.clone(),
        });
    }
    (checked, rules)
}

async fn answers(g: &GlobalArgs, args: &ImportArgs) -> Result<()> {
    let (header, lines, problems) = read_rows(args.source(), args, ANSWERS, |c| {
        let reference = c.code("reference", true)?;
        let old = c.get("old", false, |v| Score::parse(&table::text(v)?));
        let new = c.get("new", true, |v| Score::parse(&table::text(v)?))?;
        let note = c.text("note", false).unwrap_or_default();
        let on = c
            .get("on", false, table::date)
            .map(|d| d.to_string())
            .unwrap_or_default();
        Some((c.line(), reference, old, new, note, on))
    })?;
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let mut res = Results::load(&mut tx, session.id).await?;
    let stored: HashMap<String, RecheckRow> = tx
        .rechecks(session.id)
        .await?
        .into_iter()
        .map(|r| (r.reference.clone(), r))
        .collect();
    drop(tx);
    let (checked, rules) = check_answers(&lines, &stored, &session.code);
    reject_if_any(
        &header,
        problems,
        rules.into_iter().map(|p| (lines[p.row].0, p)).collect(),
    )?;
    // The scores that change, put in place in `res` (each paper is answered once), and the
    // decisions that follow from them.
    let mut scores = Vec::new();
    for a in &checked {
        let subject = Level::ALL
            .iter()
            .find_map(|l| l.subject(&a.recheck.subject))
            .unwrap_or("论文");
        let before = res.entry(a.recheck.application_id, subject);
        if before != Some(Entry::Scored(a.new)) {
            scores.push((
                a.recheck.application_id,
                subject,
                Entry::Scored(a.new),
                before,
                a.recheck.reference.clone(),
            ));
            res.scores.insert(
                (a.recheck.application_id, subject.to_string()),
                Entry::Scored(a.new),
            );
        }
    }
    let mut verdicts = Vec::new();
    // A candidate with two papers changed is judged once (PostgreSQL refuses to store one
    // row twice in one statement).
    let mut judged = std::collections::HashSet::new();
    // Before `scores judge` has run there is no decision to redo: it makes them all.
    for (app, ..) in scores.iter().filter(|_| !res.verdicts.is_empty()) {
        let Some(c) = res.candidate(*app).filter(|_| judged.insert(*app)) else {
            continue;
        };
        let v = res.judge(c);
        let before = res.verdicts.get(app);
        let why = failed_text(&v);
        if before.is_none_or(|b| (b.passed == 1) != v.passed() || b.failed != why) {
            verdicts.push((*app, v.passed(), why, before.map(|b| b.passed == 1)));
        }
    }
    let report = AnswersReport {
        session: session.code.clone(),
        file: args.shown(),
        dry_run: args.change.dry_run,
        batch: None,
        answers: checked.len(),
        kept: checked.len() - scores.len(),
        changed: scores
            .iter()
            .map(|(app, subject, e, b, reference)| {
                let c = res.candidate(*app);
                let now = verdicts.iter().find(|v| v.0 == *app);
                ScoreChanged {
                    reference: reference.clone(),
                    card_no: c.map(|c| c.card_no.clone()).unwrap_or_default(),
                    name: c.map(|c| c.name.clone()).unwrap_or_default(),
                    subject,
                    from: b.map(shown).unwrap_or_default(),
                    to: shown(*e),
                    verdict: now
                        .filter(|v| v.3 != Some(v.1))
                        .map(|v| (v.3.map(verdict_word), verdict_word(v.1))),
                }
            })
            .collect(),
    };
    let mut change = Answers {
        checked,
        scores,
        verdicts,
        report,
        source: args.source().to_path_buf(),
        session_id: session.id,
        operator: g.operator(),
    };
    let cx = Ctx::new(g, db, session);
    let confirm = Confirm {
        yes: true,
        dry_run: args.change.dry_run,
    };
    apply(&cx, &mut change, &confirm).await
}

struct Answers {
    checked: Vec<Answer>,
    /// (application, subject, entry now, before, reference).
    scores: Vec<(i64, &'static str, Entry, Option<Entry>, String)>,
    verdicts: Vec<(i64, bool, String, Option<bool>)>,
    report: AnswersReport,
    source: std::path::PathBuf,
    session_id: i64,
    operator: String,
}

#[derive(Serialize)]
struct AnswersReport {
    session: String,
    file: String,
    dry_run: bool,
    batch: Option<i64>,
    answers: usize,
    kept: usize,
    changed: Vec<ScoreChanged>,
}

#[derive(Serialize)]
struct ScoreChanged {
    reference: String,
    card_no: String,
    name: String,
    subject: &'static str,
    from: String,
    to: String,
    /// The pass decision, when it changes: (before, after).
    verdict: Option<(Option<&'static str>, &'static str)>,
}

impl Change for Answers {
    type Report = AnswersReport;

    fn kind(&self) -> String {
        "recheck-results".to_string()
    }

    fn size(&self) -> usize {
        self.checked.len()
    }

    fn preview(&self, dry_run: bool) -> String {
        let r = &self.report;
        let verb = recording(dry_run);
        let mut out = format!(
            "recheck answers (复核结果) {}: {verb}: {} answers, {} scores stand, {} change\n",
            r.file,
            r.answers,
            r.kept,
            r.changed.len()
        );
        for c in &r.changed {
            out.push_str(&format!(
                "  {} {} {} {}: {} -> {}{}\n",
                c.reference,
                c.card_no,
                c.name,
                c.subject,
                c.from,
                c.to,
                c.verdict.map_or_else(String::new, |(b, a)| format!(
                    "; {} -> {a}",
                    b.unwrap_or("(not judged)")
                ))
            ));
        }
        out
    }

    fn question(&self) -> String {
        format!("record {} recheck answers?", self.checked.len())
    }

    async fn write(&mut self, tx: &mut Tx, batch: i64) -> Result<Written> {
        for a in &self.checked {
            let changed = i64::from(a.new.0) != a.recheck.old_score;
            if !tx
                .answer_recheck(
                    a.recheck.id,
                    batch,
                    i64::from(a.new.0),
                    changed,
                    &a.on,
                    &a.note,
                )
                .await?
            {
                anyhow::bail!(
                    "{} was answered while the file was read; nothing was changed",
                    a.recheck.reference
                );
            }
        }
        for (app, subject, e, before, reference) in &self.scores {
            write_scores(
                tx,
                batch,
                &[(*app, subject, *e, *before)],
                &format!("复核 {reference}"),
            )
            .await?;
        }
        write_verdicts(tx, batch, &self.verdicts, "recheck").await?;
        let mut diff = Diff::default();
        for c in &self.report.changed {
            diff.changed.push(super::intake::Changed {
                key: c.reference.clone(),
                fields: vec![format!("{}: {} -> {}", c.subject, c.from, c.to)],
            });
        }
        diff.unchanged = self.report.kept;
        let digest = FileDigest::start(&self.source, self.report.file.clone());
        record_import(
            tx,
            self.session_id,
            "recheck-results",
            digest,
            &self.operator,
            &diff,
        )
        .await?;
        Ok(Written {
            summary: format!(
                "recheck answers: {} stand, {} changed",
                self.report.kept,
                self.scores.len()
            ),
            changed: self.checked.len(),
            analyze: Vec::new(),
        })
    }

    fn report(&mut self, dry_run: bool, batch: Option<i64>) -> &AnswersReport {
        self.report.dry_run = dry_run;
        self.report.batch = batch;
        &self.report
    }

    fn done(&self, batch: i64, _written: &Written) -> String {
        format!(
            "recheck answers recorded as batch {batch}: {} scores stand, {} changed, {} pass decisions redone",
            self.report.kept,
            self.scores.len(),
            self.verdicts.len()
        )
    }
}
