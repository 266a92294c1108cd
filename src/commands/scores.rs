//! `kaowu import scores` (the national centre's score file, matched on admit-card number and
//! ID number) and `kaowu scores judge` (the pass decision of every candidate, by the rule in
//! `model::score`).

use std::collections::{BTreeMap, HashMap};

use anyhow::{Result, bail};
use serde::Serialize;

use super::batch::{Change, Written, apply, recording};
use super::intake::{Diff, FileDigest, read_rows, record_import, reject_if_any};
use super::results::{self, Results, failed_text, shown, verdict_word};
use super::{Ctx, connect, current_session};
use crate::cli::{Confirm, GlobalArgs, ImportArgs, ScoresCommand};
use crate::db::Tx;
use crate::db::payments::JournalLine;
use crate::db::scores::Candidate;
use crate::io::table::{self, Cells, Column, Schema, Value};
use crate::model::RowProblem;
use crate::model::id_number;
use crate::model::level::Level;
use crate::model::score::{Entry, Paper, exam_session, subject_of_paper};

pub const SCORES: Schema = Schema {
    what: "scores (成绩)",
    columns: &[
        Column::opt("exam_time", "考试时间", "exam_time").aka(&["KSSJ", "考试年月", "考试批次"]),
        Column::opt("qualification", "资格名称", "qualification").aka(&["ZGMC", "报考资格"]),
        Column::req("card_no", "准考证号", "card_no").aka(&["ZKZH", "准考证", "准考证编号"]),
        Column::req("id_number", "证件号码", "id_number").aka(&["ZJH", "证件号", "身份证号"]),
        Column::opt("name", "姓名", "name").aka(&["XM", "考生姓名"]),
        Column::req("morning", "上午成绩", "morning").aka(&["SWCJ", "上午"]),
        Column::req("afternoon", "下午成绩", "afternoon").aka(&["XWCJ", "下午"]),
        Column::opt("essay", "论文成绩", "essay").aka(&["LWCJ", "论文"]),
    ],
};

pub async fn run(g: &GlobalArgs, cmd: &ScoresCommand) -> Result<()> {
    match cmd {
        ScoresCommand::Judge { confirm } => judge(g, confirm).await,
    }
}

fn entry(v: &Value) -> Result<Entry, String> {
    Entry::parse(&table::text(v)?)
}

/// One row of the score file as read.
struct Line {
    line: usize,
    card_no: String,
    id_number: String,
    name: Option<String>,
    qualification: Option<String>,
    exam_time: Option<String>,
    papers: [(Paper, Option<Entry>); 3],
}

fn parse_line(c: &mut Cells<'_, '_>) -> Option<Line> {
    let card_no = c.code("card_no", true)?;
    let id_number = c.code("id_number", true).unwrap_or_default();
    let morning = c.get("morning", true, entry);
    let afternoon = c.get("afternoon", true, entry);
    let essay = c.get("essay", false, entry);
    Some(Line {
        line: c.line(),
        card_no,
        id_number,
        name: c.text("name", false),
        qualification: c.text("qualification", false),
        exam_time: c.text("exam_time", false),
        papers: [
            (Paper::Morning, morning),
            (Paper::Afternoon, afternoon),
            (Paper::Essay, essay),
        ],
    })
}

/// A name as compared: without spaces, and with the dots that systems put between the parts
/// of a 少数民族 name (·, •, ‧, ．, .) as one.
fn same_name(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '•' | '‧' | '．' | '.' | '・' => '·',
            c => c,
        })
        .collect()
}

/// What the file says of the session's candidates, checked against them.
#[derive(Default)]
struct Matched {
    /// (application, subject, entry), in file order.
    entries: Vec<(i64, &'static str, Entry)>,
    /// Rows whose 姓名 differs from the candidate's: (line, card, file's, stored).
    names: Vec<(usize, String, String, String)>,
    /// Senior candidates whose essay the file leaves as `-`.
    no_essay: usize,
    candidates: usize,
}

/// Matches the rows to candidates: every problem found is a [`RowProblem`].
fn match_rows(
    lines: &[Line],
    by_card: &HashMap<&str, &Candidate>,
    session: (&str, u16, u8),
) -> Result<Matched, Vec<RowProblem>> {
    let mut out = Matched::default();
    let mut problems = Vec::new();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, l) in lines.iter().enumerate() {
        if let Some(t) = &l.exam_time {
            match exam_session(t) {
                Some((y, h)) if (y, h) == (session.1, session.2) => {}
                Some((y, h)) => problems.push(RowProblem::new(
                    i,
                    "exam_time",
                    format!(
                        "the row is of session {y}H{h}, not {}: a score file of another session",
                        session.0
                    ),
                )),
                None => problems.push(RowProblem::new(
                    i,
                    "exam_time",
                    format!("expected the exam's year and half (2026年下半年, 202611 or 2026H2), found \"{t}\""),
                )),
            }
        }
        if let Some(first) = seen.insert(&l.card_no, l.line) {
            problems.push(RowProblem::new(
                i,
                "card_no",
                format!("准考证号 {} is on line {first} too", l.card_no),
            ));
            continue;
        }
        let Some(c) = by_card.get(l.card_no.as_str()) else {
            problems.push(RowProblem::new(
                i,
                "card_no",
                format!(
                    "准考证号 {} is not an admit card of session {} (nobody seated holds it)",
                    l.card_no, session.0
                ),
            ));
            continue;
        };
        if !l.id_number.eq_ignore_ascii_case(&c.id_number) {
            problems.push(RowProblem::new(
                i,
                "id_number",
                format!(
                    "证件号码 {} is not that of the holder of 准考证号 {} ({})",
                    id_number::mask(&l.id_number),
                    l.card_no,
                    id_number::mask(&c.id_number)
                ),
            ));
            continue;
        }
        if let Some(q) = &l.qualification
            && !q.is_empty()
            && q != &c.qualification
        {
            problems.push(RowProblem::new(
                i,
                "qualification",
                format!(
                    "资格名称 \"{q}\" is not the candidate's \"{}\"",
                    c.qualification
                ),
            ));
            continue;
        }
        if let Some(n) = &l.name
            && !n.is_empty()
            && same_name(n) != same_name(&c.name)
        {
            out.names
                .push((l.line, l.card_no.clone(), n.clone(), c.name.clone()));
        }
        let Some(level) = Level::parse(&c.level) else {
            continue;
        };
        out.candidates += 1;
        for (paper, e) in &l.papers {
            let key = match paper {
                Paper::Morning => "morning",
                Paper::Afternoon => "afternoon",
                Paper::Essay => "essay",
            };
            let subject = subject_of_paper(level, *paper);
            match (subject, e) {
                (None, None | Some(Entry::NoPaper)) => {}
                (None, Some(e)) => problems.push(RowProblem::new(
                    i,
                    key,
                    format!(
                        "a {} qualification has no essay: expected - or an empty cell, found {}",
                        level.zh(),
                        shown(*e)
                    ),
                )),
                (Some(_), None | Some(Entry::NoPaper)) if *paper == Paper::Essay => {
                    out.no_essay += 1;
                }
                (Some(s), None | Some(Entry::NoPaper)) => problems.push(RowProblem::new(
                    i,
                    key,
                    format!("every level writes {s}: expected a score, 缺考 or 违纪"),
                )),
                (Some(s), Some(e)) => out.entries.push((c.application_id, s, *e)),
            }
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

#[derive(Serialize)]
struct ScoresReport {
    import: &'static str,
    session: String,
    file: String,
    dry_run: bool,
    batch: Option<i64>,
    candidates: usize,
    /// Candidates of the session the file does not name.
    not_in_file: usize,
    scores: usize,
    added: usize,
    changed: usize,
    unchanged: usize,
    /// Senior candidates without an essay score (they cannot pass).
    no_essay: usize,
    /// Where the file and what was recorded on exam day disagree.
    disagree: Disagreements,
    names_differ: Vec<NameDiffers>,
}

/// Where the centre's file and the exam-day records disagree: by kind, and the first
/// [`Disagreements::LISTED`]. Flagged, not refused: the decision follows the recorded
/// cases (a subject a case voids fails whatever the file says), and the office takes the
/// rest up with the centre.
#[derive(Serialize, Default)]
struct Disagreements {
    /// absent_but_scored (缺考 recorded, a score in the file), present_but_absent (实到
    /// recorded, 缺考 in the file), case_but_scored (a recorded case voids it, a score in the
    /// file), void_without_case (违纪 in the file, no case recorded).
    counts: BTreeMap<&'static str, usize>,
    listed: Vec<Disagreement>,
}

#[derive(Serialize)]
struct Disagreement {
    kind: &'static str,
    card_no: String,
    subject: &'static str,
    file: String,
}

impl Disagreements {
    const LISTED: usize = 50;
}

fn disagreements(
    entries: &[(i64, &'static str, Entry)],
    res: &Results,
    recorded: &HashMap<(i64, String), String>,
) -> Disagreements {
    let mut out = Disagreements::default();
    for &(app, subject, e) in entries {
        let state = recorded
            .get(&(app, subject.to_string()))
            .map(String::as_str);
        let voided = match res.void.get(&app) {
            Some(results::Voided::All) => true,
            Some(results::Voided::Subjects(list)) => list.iter().any(|s| s == subject),
            None => false,
        };
        let kind = match (e, state) {
            (Entry::Scored(_), _) if voided => "case_but_scored",
            (Entry::Scored(_), Some("absent")) => "absent_but_scored",
            (Entry::Absent, Some("present" | "left_early")) => "present_but_absent",
            (Entry::Void, _) if !voided => "void_without_case",
            _ => continue,
        };
        *out.counts.entry(kind).or_default() += 1;
        if out.listed.len() < Disagreements::LISTED {
            out.listed.push(Disagreement {
                kind,
                card_no: res
                    .candidate(app)
                    .map(|c| c.card_no.clone())
                    .unwrap_or_default(),
                subject,
                file: shown(e),
            });
        }
    }
    out
}

/// What a disagreement means, as the preview says it.
fn disagreement_text(kind: &str) -> &'static str {
    match kind {
        "absent_but_scored" => "recorded 缺考 on exam day but scored in the file",
        "present_but_absent" => "recorded 实到 on exam day but 缺考 in the file",
        "case_but_scored" => "void by a recorded case but scored in the file (judged void)",
        _ => "违纪 in the file but no case recorded",
    }
}

#[derive(Serialize)]
struct NameDiffers {
    line: usize,
    card_no: String,
    file: String,
    stored: String,
}

/// The scores a file changes, against what is stored.
struct Scores {
    /// (application, subject, entry now, entry before).
    changes: Vec<(i64, &'static str, Entry, Option<Entry>)>,
    diff: Diff,
    report: ScoresReport,
    source: std::path::PathBuf,
    session_id: i64,
    operator: String,
    seen: (i64, i64),
    verbose: bool,
}

async fn import(g: &GlobalArgs, args: &ImportArgs) -> Result<()> {
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let code =
        crate::model::session::SessionCode::parse(&session.code).map_err(anyhow::Error::msg)?;
    let res = Results::load(&mut tx, session.id).await?;
    if res.candidates.is_empty() {
        return Err(super::Rejected::one(
            args.shown(),
            format!(
                "session {} has nobody seated with an admit card: scores follow the seating",
                session.code
            ),
        )
        .into());
    }
    let (header, lines, problems) = read_rows(args.source(), args, SCORES, parse_line)?;
    let by_card: HashMap<&str, &Candidate> = res
        .candidates
        .iter()
        .map(|c| (c.card_no.as_str(), c))
        .collect();
    let (matched, rules) = match match_rows(&lines, &by_card, (&session.code, code.year, code.half))
    {
        Ok(m) => (m, Vec::new()),
        Err(p) => (Matched::default(), p),
    };
    reject_if_any(
        &header,
        problems,
        rules.into_iter().map(|p| (lines[p.row].line, p)).collect(),
    )?;
    let seen = tx.scores_fingerprint(session.id).await?;
    let recorded: HashMap<(i64, String), String> = tx
        .attendance(session.id)
        .await?
        .into_iter()
        .map(|a| ((a.application_id, a.subject), a.state))
        .collect();
    drop(tx);
    let disagree = disagreements(&matched.entries, &res, &recorded);
    let card_of: HashMap<i64, &str> = res
        .candidates
        .iter()
        .map(|c| (c.application_id, c.card_no.as_str()))
        .collect();
    let mut diff = Diff::default();
    let mut changes = Vec::new();
    for &(app, subject, e) in &matched.entries {
        let before = res.entry(app, subject);
        let card = card_of.get(&app).copied().unwrap_or("?");
        match before {
            Some(b) if b == e => diff.unchanged += 1,
            Some(b) => diff.changed.push(super::intake::Changed {
                key: format!("{card} {subject}"),
                fields: vec![format!("{} -> {}", shown(b), shown(e))],
            }),
            None => diff.add_listed(&format!("{card} {subject} {}", shown(e))),
        }
        if before != Some(e) {
            changes.push((app, subject, e, before));
        }
    }
    let report = ScoresReport {
        import: "scores",
        session: session.code.clone(),
        file: args.shown(),
        dry_run: args.change.dry_run,
        batch: None,
        candidates: matched.candidates,
        not_in_file: res.candidates.len() - matched.candidates,
        scores: matched.entries.len(),
        added: diff.added_count(),
        changed: diff.changed.len(),
        unchanged: diff.unchanged,
        no_essay: matched.no_essay,
        disagree,
        names_differ: matched
            .names
            .iter()
            .map(|(line, card, file, stored)| NameDiffers {
                line: *line,
                card_no: card.clone(),
                file: file.clone(),
                stored: stored.clone(),
            })
            .collect(),
    };
    let mut change = Scores {
        changes,
        diff,
        report,
        source: args.source().to_path_buf(),
        session_id: session.id,
        operator: g.operator(),
        seen,
        verbose: args.verbose,
    };
    let cx = Ctx::new(g, db, session);
    // The file is the operator's consent, as with every import.
    let confirm = Confirm {
        yes: true,
        dry_run: args.change.dry_run,
    };
    apply(&cx, &mut change, &confirm).await
}

pub async fn import_scores(g: &GlobalArgs, args: &ImportArgs) -> Result<()> {
    import(g, &args.with_stdin()?).await
}

impl Change for Scores {
    type Report = ScoresReport;

    fn kind(&self) -> String {
        "scores".to_string()
    }

    fn size(&self) -> usize {
        self.changes.len()
    }

    fn preview(&self, dry_run: bool) -> String {
        let r = &self.report;
        let (verb, add, change) = if dry_run {
            ("would record (dry run)", "would add", "would change")
        } else {
            ("to record", "add", "change")
        };
        let mut out = format!(
            "scores (成绩) {}: {verb}: {} candidates, {} scores: {add} {}, {change} {}, unchanged {}\n",
            r.file, r.candidates, r.scores, r.added, r.changed, r.unchanged
        );
        if r.not_in_file > 0 {
            out.push_str(&format!(
                "  {} candidates of session {} are not in the file: they have no scores and cannot pass\n",
                r.not_in_file, r.session
            ));
        }
        if r.no_essay > 0 {
            out.push_str(&format!(
                "  {} 高级 candidates have no essay score (论文 -): they cannot pass\n",
                r.no_essay
            ));
        }
        for (kind, n) in &r.disagree.counts {
            out.push_str(&format!(
                "  {n} {}: flagged, take it up with the centre\n",
                disagreement_text(kind)
            ));
        }
        for d in r.disagree.listed.iter().take(20) {
            out.push_str(&format!(
                "    {} {}: {} ({})\n",
                d.card_no,
                d.subject,
                d.file,
                disagreement_text(d.kind)
            ));
        }
        for n in &r.names_differ {
            out.push_str(&format!(
                "  line {}: 准考证号 {}: 姓名 \"{}\" in the file, \"{}\" registered (flagged, the scores are kept)\n",
                n.line, n.card_no, n.file, n.stored
            ));
        }
        let shown_n = if self.verbose { usize::MAX } else { 20 };
        for c in self.diff.changed.iter().take(shown_n) {
            out.push_str(&format!("  {}: {}\n", c.key, c.fields.join(", ")));
        }
        if self.diff.changed.len() > shown_n {
            out.push_str(&format!(
                "  ... and {} more changed (--verbose lists them)\n",
                self.diff.changed.len() - shown_n
            ));
        }
        out
    }

    fn nothing(&self) -> String {
        "scores: nothing to change, every score is stored as the file says".to_string()
    }

    fn question(&self) -> String {
        format!("record {} scores?", self.changes.len())
    }

    async fn write(&mut self, tx: &mut Tx, batch: i64) -> Result<Written> {
        if tx.scores_fingerprint(self.session_id).await? != self.seen {
            bail!(
                "the scores stored changed while {} was read (another import or a recheck); \
                 nothing was changed: import it again",
                self.report.file
            );
        }
        write_scores(tx, batch, &self.changes, "score import").await?;
        let digest = FileDigest::start(&self.source, self.report.file.clone());
        record_import(
            tx,
            self.session_id,
            "scores",
            digest,
            &self.operator,
            &self.diff,
        )
        .await?;
        Ok(Written {
            summary: format!(
                "scores from {}: {} added, {} changed",
                self.report.file, self.report.added, self.report.changed
            ),
            changed: self.changes.len(),
            analyze: vec![(self.changes.len(), &["scores"])],
        })
    }

    fn report(&mut self, dry_run: bool, batch: Option<i64>) -> &ScoresReport {
        self.report.dry_run = dry_run;
        self.report.batch = batch;
        &self.report
    }

    fn done(&self, batch: i64, _written: &Written) -> String {
        format!(
            "scores recorded as batch {batch}: {} added, {} changed, {} unchanged; the pass \
             decisions follow with kaowu scores judge",
            self.report.added, self.report.changed, self.report.unchanged
        )
    }
}

/// Stores scores and journals each change as `score:<subject>` with `reason`.
pub async fn write_scores(
    tx: &mut Tx,
    batch: i64,
    changes: &[(i64, &'static str, Entry, Option<Entry>)],
    reason: &str,
) -> Result<()> {
    let rows: Vec<(i64, &str, &str, Option<i64>)> = changes
        .iter()
        .filter_map(|&(app, subject, e, _)| {
            let (entry, score) = results::stored(e)?;
            Some((app, subject, entry, score))
        })
        .collect();
    let mut t = crate::progress::Phases::new();
    tx.set_scores(batch, &rows).await?;
    t.mark("score rows");
    let before: Vec<(i64, String, Option<String>, String)> = changes
        .iter()
        .map(|&(app, subject, e, b)| (app, format!("score:{subject}"), b.map(shown), shown(e)))
        .collect();
    let journal: Vec<JournalLine<'_>> = before
        .iter()
        .map(|(app, field, b, e)| (*app, field.clone(), b.as_deref(), Some(e.as_str()), reason))
        .collect();
    tx.journal_many(batch, &journal).await?;
    t.mark("journal");
    Ok(())
}

/// A pass decision that changes: (application, passed, why not, stored before).
type Decision = (i64, bool, String, Option<bool>);

/// `scores judge`: every candidate's decision from the stored scores and cases.
struct Judge {
    changes: Vec<Decision>,
    report: JudgeReport,
}

#[derive(Serialize)]
struct JudgeReport {
    session: String,
    dry_run: bool,
    batch: Option<i64>,
    candidates: usize,
    passed: usize,
    failed: usize,
    /// Pass marks that differ from 45, by subject.
    pass_marks: BTreeMap<String, crate::model::score::Score>,
    changed: usize,
    unchanged: usize,
    /// The decisions that change (the first 200).
    changes: Vec<JudgeChange>,
}

#[derive(Serialize)]
struct JudgeChange {
    card_no: String,
    name: String,
    from: Option<&'static str>,
    to: &'static str,
    why: String,
}

/// The decision on every candidate, from what is stored.
pub fn decide(res: &Results) -> Vec<(i64, bool, String)> {
    res.candidates
        .iter()
        .map(|c| {
            let v = res.judge(c);
            (c.application_id, v.passed(), failed_text(&v))
        })
        .collect()
}

async fn judge(g: &GlobalArgs, confirm: &Confirm) -> Result<()> {
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let res = Results::load(&mut tx, session.id).await?;
    drop(tx);
    if res.scores.is_empty() {
        return Err(super::Rejected::one(
            "scores judge",
            format!(
                "session {} has no scores yet: import the centre's file first (kaowu import scores FILE)",
                session.code
            ),
        )
        .into());
    }
    let decided = decide(&res);
    let passed = decided.iter().filter(|d| d.1).count();
    let mut changes = Vec::new();
    let mut unchanged = 0;
    for (app, ok, why) in decided.iter().cloned() {
        let before = res.verdicts.get(&app);
        match before {
            Some(b) if (b.passed == 1) == ok && b.failed == why => unchanged += 1,
            _ => changes.push((app, ok, why, before.map(|b| b.passed == 1))),
        }
    }
    let card_of: HashMap<i64, (String, String)> = res
        .candidates
        .iter()
        .map(|c| (c.application_id, (c.card_no.clone(), c.name.clone())))
        .collect();
    let listed = changes
        .iter()
        .take(200)
        .map(|(app, ok, why, before)| {
            let (card, name) = card_of.get(app).cloned().unwrap_or_default();
            JudgeChange {
                card_no: card,
                name,
                from: before.map(verdict_word),
                to: verdict_word(*ok),
                why: why.clone(),
            }
        })
        .collect();
    let report = JudgeReport {
        session: session.code.clone(),
        dry_run: confirm.dry_run,
        batch: None,
        candidates: decided.len(),
        passed,
        failed: decided.len() - passed,
        pass_marks: res.marks.clone(),
        changed: changes.len(),
        unchanged,
        changes: listed,
    };
    let mut change = Judge { changes, report };
    let cx = Ctx::new(g, db, session);
    apply(&cx, &mut change, confirm).await
}

impl Change for Judge {
    type Report = JudgeReport;

    fn kind(&self) -> String {
        "judge".to_string()
    }

    fn size(&self) -> usize {
        self.changes.len()
    }

    fn preview(&self, dry_run: bool) -> String {
        let r = &self.report;
        let marks = if r.pass_marks.is_empty() {
            "45 of 75 in every subject".to_string()
        } else {
            let m: Vec<String> = r
                .pass_marks
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            format!("{}, 45 in the others", m.join(", "))
        };
        let verb = recording(dry_run);
        let mut out = format!(
            "pass decisions (合格判定) of session {}: {verb}: {} candidates, {} 合格, {} 不合格 \
             (every subject at or above its mark in this session: {marks}); {} change, {} unchanged\n",
            r.session, r.candidates, r.passed, r.failed, r.changed, r.unchanged
        );
        for c in r.changes.iter().take(20) {
            out.push_str(&format!(
                "  {} {}: {} -> {}{}\n",
                c.card_no,
                c.name,
                c.from.unwrap_or("(none)"),
                c.to,
                if c.why.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", c.why)
                }
            ));
        }
        if self.changes.len() > 20 {
            out.push_str(&format!("  ... and {} more\n", self.changes.len() - 20));
        }
        out
    }

    fn nothing(&self) -> String {
        "scores judge: nothing to change, every decision stands".to_string()
    }

    fn question(&self) -> String {
        format!("record {} pass decisions?", self.changes.len())
    }

    async fn write(&mut self, tx: &mut Tx, batch: i64) -> Result<Written> {
        write_verdicts(tx, batch, &self.changes, "scores judge").await?;
        Ok(Written {
            summary: format!(
                "pass decisions: {} 合格, {} 不合格; {} changed",
                self.report.passed,
                self.report.failed,
                self.changes.len()
            ),
            changed: self.changes.len(),
            analyze: vec![(self.changes.len(), &["verdicts"])],
        })
    }

    fn report(&mut self, dry_run: bool, batch: Option<i64>) -> &JudgeReport {
        self.report.dry_run = dry_run;
        self.report.batch = batch;
        &self.report
    }

    fn done(&self, batch: i64, _written: &Written) -> String {
        format!(
            "pass decisions recorded as batch {batch}: {} 合格, {} 不合格 (kaowu export pass-list writes the list)",
            self.report.passed, self.report.failed
        )
    }
}

/// Stores decisions and journals each as `verdict` with `reason`.
pub async fn write_verdicts(
    tx: &mut Tx,
    batch: i64,
    changes: &[Decision],
    reason: &str,
) -> Result<()> {
    let rows: Vec<(i64, bool, &str)> = changes
        .iter()
        .map(|(app, ok, why, _)| (*app, *ok, why.as_str()))
        .collect();
    tx.set_verdicts(batch, &rows).await?;
    let journal: Vec<JournalLine<'_>> = changes
        .iter()
        .map(|(app, ok, _, before)| {
            (
                *app,
                "verdict".to_string(),
                before.map(verdict_word),
                Some(verdict_word(*ok)),
                reason,
            )
        })
        .collect();
    tx.journal_many(batch, &journal).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::same_name;

    #[test]
    fn names_differ_only_in_what_they_say() {
        assert_eq!(same_name("木森·扎西尼玛"), same_name("木森•扎西尼玛"));
        assert_eq!(same_name("木森.扎西尼玛"), same_name("木森 · 扎西尼玛"));
        assert_eq!(same_name("张 三"), same_name("张三"));
        assert_ne!(same_name("周一霞"), same_name("周一夏"));
    }
}
