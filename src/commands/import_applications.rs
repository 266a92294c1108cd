//! `kaowu import applications FILE --photos DIR`: the portal's export of applications.
//!
//! A reader thread streams the file in chunks and fingerprints each chunk's photos in
//! parallel; the database side writes the chunks as they come, inside one transaction that
//! is committed only when every row could be understood. A row the import refuses (a
//! required value missing, an unknown qualification, subject or exam area, a date that is
//! no date, a registration number twice, a photo name leaving the folder) stops the whole
//! file; everything else that is wrong becomes a flag of `review check`.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use indicatif::ProgressBar;
use rayon::prelude::*;
use serde::Serialize;

use super::intake::{
    APPLICATIONS, Diff, Offered, field_changes, offered, reject_if_any, rejected_from,
};
use super::{Rejected, connect, current_session, now, print_json};
use crate::cli::{ApplicationsImportArgs, GlobalArgs, ImportArgs};
use crate::db::Tx;
use crate::db::applications::{NewApplication, StoredKey};
use crate::db::sessions::SessionRow;
use crate::io::photos::{PhotoDir, fingerprint};
use crate::io::table::{self, Cells, Header, Problems, Row, Value};
use crate::model::codes::{ZeroPadded, twin_message};
use crate::model::fee::match_area;
use crate::model::level::Level;

/// Rows the reader parses and fingerprints before handing them on.
const CHUNK: usize = 2000;

/// What the reader needs to understand a row.
struct Context_ {
    plan: HashMap<String, Offered>,
    areas: BTreeSet<String>,
    photos: Option<PhotoDir>,
    /// The session's registration numbers, to refuse one that differs from a stored one
    /// only by leading zeros.
    stored: Arc<HashMap<String, StoredKey>>,
    stored_padded: ZeroPadded,
}

#[derive(Serialize)]
struct Report<'a> {
    import: &'static str,
    session: &'a str,
    file: String,
    sheet: Option<&'a str>,
    encoding: Option<String>,
    photos: Option<String>,
    dry_run: bool,
    rows: usize,
    added: usize,
    changed: usize,
    resubmitted: usize,
    unchanged: usize,
    kept: usize,
    photos_missing: usize,
    photos_unreadable: usize,
    batch: Option<i64>,
    seconds: f64,
    ignored_columns: &'a [String],
    changes: &'a Diff,
}

pub async fn run(g: &GlobalArgs, args: &ApplicationsImportArgs) -> Result<()> {
    let started = Instant::now();
    let mut t = crate::progress::Phases::new();
    let a = &args.import;
    let db = connect(g).await?;
    // Bulk: the rows' references are checked per set before the commit (see begin_bulk).
    let mut tx = db.begin_bulk().await?;
    let session = current_session(&mut tx, g).await?;
    tx.lock_session(session.id).await?;
    let cx = Arc::new(load_context(&mut tx, &session, args).await?);
    let batch = open_batch(&mut tx, g, session.id, a.change.dry_run).await?;

    // What the journal says of each application this import adds.
    let reason = format!("imported from {}", a.shown());
    let digest = super::intake::FileDigest::start(a.source(), a.shown());
    // The reader: parse, check, fingerprint photos in parallel, hand on in chunks.
    let (send, recv) = tokio::sync::mpsc::channel::<Vec<NewApplication>>(4);
    let reader = {
        let (file, opts, cx) = (a.source().to_path_buf(), a.read_options(), Arc::clone(&cx));
        std::thread::spawn(move || read_applications(&file, &opts, &cx, send))
    };
    let progress = crate::progress::spinner("reading applications");
    t.mark("set-up");
    let sink = Sink {
        session_id: session.id,
        batch,
        file: a.shown(),
        reason: &reason,
        stored: &cx.stored,
    };
    let mut tally = receive(&mut tx, recv, &sink, &progress).await?;
    progress.finish_and_clear();
    t.mark("rows");
    t.note("waiting for parsed rows", tally.waiting);
    t.note("inserting", tally.writing);
    let (header, problems) = reader
        .join()
        .map_err(|_| anyhow::anyhow!("{}: the reader thread panicked", a.file.display()))??;
    reject_if_any(&header, problems, Vec::new())?;
    if let Some(e) = tally.failed_write.take() {
        return Err(e.into());
    }
    let diff = &mut tally.diff;
    // The reader hands on each registration number once: the rest of the stored were not named.
    diff.kept = cx.stored.len() - diff.unchanged - diff.changed.len();

    // A re-import that changes nothing leaves no batch behind.
    let batch = batch.filter(|_| !(diff.added_count() == 0 && diff.changed.is_empty()));
    if let Some(b) = batch {
        journal_batch(&mut tx, g, &sink, b, digest, &tally).await?;
        t.mark("journal and statistics");
        tx.commit().await?;
        t.mark("commit");
    } else {
        drop(tx);
    }
    db.close().await;

    let report = Report {
        import: "applications",
        session: &session.code,
        file: a.shown(),
        sheet: header.source.sheet.as_deref(),
        encoding: header.source.encoding.map(|e| e.to_string()),
        photos: cx.photos.as_ref().map(|p| p.root().display().to_string()),
        dry_run: a.change.dry_run,
        rows: tally.rows,
        added: tally.diff.added_count(),
        changed: tally.diff.changed.len(),
        resubmitted: tally.resubmitted,
        unchanged: tally.diff.unchanged,
        kept: tally.diff.kept,
        photos_missing: tally.missing,
        photos_unreadable: tally.unreadable,
        batch,
        seconds: (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
        ignored_columns: &header.unknown,
        changes: &tally.diff,
    };
    print_report(g, a, &report, &header)
}

/// Opens the import's batch, which the journal names with the command line; none on a
/// dry run.
async fn open_batch(
    tx: &mut Tx,
    g: &GlobalArgs,
    session_id: i64,
    dry_run: bool,
) -> Result<Option<i64>> {
    Ok(if dry_run {
        None
    } else {
        let command = crate::db::journal_command(std::env::args_os());
        Some(
            tx.create_batch(session_id, "import", &g.operator(), &command, now(), None)
                .await?,
        )
    })
}

/// Loads what the reader needs from the database: the plan (refusing a session that has
/// none yet), the exam areas, the photo folder and the stored registration numbers.
async fn load_context(
    tx: &mut Tx,
    session: &SessionRow,
    args: &ApplicationsImportArgs,
) -> Result<Context_> {
    let a = &args.import;
    let plan = offered(tx, session.id).await?;
    if plan.is_empty() {
        return Err(Rejected::one(
            a.shown(),
            format!(
                "session {} has no plan yet: import the plan first (kaowu import plan FILE)",
                session.code
            ),
        )
        .into());
    }
    let areas: BTreeSet<String> = tx.exam_areas(session.id).await?.into_iter().collect();
    let photo_dir = photo_folder(&a.file, args.photos.as_deref())?;
    let stored: Arc<HashMap<String, StoredKey>> = Arc::new(
        tx.application_keys(session.id)
            .await?
            .into_iter()
            .map(|k| (k.registration_no.clone(), k))
            .collect(),
    );
    Ok(Context_ {
        plan,
        areas,
        photos: photo_dir,
        stored_padded: ZeroPadded::of(stored.keys().map(String::as_str)),
        stored,
    })
}

/// Where the database side writes the rows to: the session, the batch (none on a dry
/// run), the file as shown, what the journal says of each application added, and the
/// stored applications by registration number.
struct Sink<'a> {
    session_id: i64,
    batch: Option<i64>,
    file: String,
    reason: &'a str,
    stored: &'a HashMap<String, StoredKey>,
}

/// What the database side counted of the rows the reader handed on.
#[derive(Default)]
struct Tally {
    diff: Diff,
    resubmitted: usize,
    rows: usize,
    missing: usize,
    unreadable: usize,
    /// The qualifications that the file's applications name.
    named: BTreeSet<i64>,
    waiting: Duration,
    writing: Duration,
    /// The first insert that failed; the reader is drained before it is reported.
    failed_write: Option<crate::db::DbError>,
}

/// Takes the reader's chunks as they come: compares each application with the stored
/// one, updates the changed ones and inserts the new ones (unless this is a dry run), and
/// counts them.
async fn receive(
    tx: &mut Tx,
    mut recv: tokio::sync::mpsc::Receiver<Vec<NewApplication>>,
    sink: &Sink<'_>,
    progress: &ProgressBar,
) -> Result<Tally> {
    let mut tally = Tally::default();
    let mut asked = Instant::now();
    while let Some(chunk) = recv.recv().await {
        tally.waiting += asked.elapsed();
        tally.rows += chunk.len();
        progress.set_position(tally.rows as u64);
        let mut inserts = Vec::new();
        for r in chunk {
            tally.named.insert(r.qualification_id);
            tally.missing += usize::from(r.photo_problem == "missing");
            tally.unreadable += usize::from(r.photo_problem.starts_with("unreadable"));
            match sink.stored.get(&r.registration_no) {
                None => {
                    tally.diff.add_listed(&r.registration_no);
                    inserts.push(r);
                }
                Some(k) if k.content_hash == r.content_hash => tally.diff.unchanged += 1,
                Some(k) => update_changed(tx, sink.batch, k, &r, &mut tally).await?,
            }
        }
        let write = Instant::now();
        if let Some(b) = sink.batch
            && tally.failed_write.is_none()
            && let Err(e) = tx
                .insert_applications(sink.session_id, b, sink.reason, inserts)
                .await
        {
            // Keep draining the reader so that it finishes, then report.
            tally.failed_write = Some(e);
        }
        tally.writing += write.elapsed();
        asked = Instant::now();
    }
    Ok(tally)
}

/// Counts an application whose content changed and, unless this is a dry run, updates
/// it (back to submitted when it had been rejected) and journals every changed field.
async fn update_changed(
    tx: &mut Tx,
    batch: Option<i64>,
    k: &StoredKey,
    r: &NewApplication,
    tally: &mut Tally,
) -> Result<()> {
    let old = tx.application_fields(k.id).await?;
    let fields = field_changes(&old.fields(), &r.fields());
    let back = k.status == "rejected";
    tally.resubmitted += usize::from(back);
    if let Some(b) = batch {
        tx.update_application(k.id, b, r, back.then_some("submitted"))
            .await?;
        for (name, old_value, new_value) in &fields {
            tx.journal(
                b,
                k.id,
                name,
                Some(old_value),
                Some(new_value),
                "re-imported",
            )
            .await?;
        }
        if back {
            tx.journal(
                b,
                k.id,
                "status",
                Some("rejected"),
                Some("submitted"),
                "resubmitted with changes",
            )
            .await?;
        }
    }
    let shown = fields
        .iter()
        .map(|(n, o, v)| format!("{n}: {o} -> {v}"))
        .collect();
    tally.diff.changed.push(super::intake::Changed {
        key: r.registration_no.clone(),
        fields: shown,
    });
    Ok(())
}

/// Finishes the batch before the commit: its summary, the check of the qualifications
/// its applications name, fresh planner statistics, and the record of the import.
async fn journal_batch(
    tx: &mut Tx,
    g: &GlobalArgs,
    sink: &Sink<'_>,
    b: i64,
    digest: super::intake::FileDigest,
    tally: &Tally,
) -> Result<()> {
    let (file, resubmitted, diff) = (&sink.file, tally.resubmitted, &tally.diff);
    let summary = format!(
        "import {file}: {} added, {} changed ({resubmitted} resubmitted), {} unchanged",
        diff.added_count(),
        diff.changed.len(),
        diff.unchanged
    );
    tx.set_batch_summary(b, &summary).await?;
    tx.check_references(b, &tally.named.iter().copied().collect::<Vec<_>>())
        .await?;
    // PostgreSQL plans the next commands from statistics; a bulk load leaves them stale.
    tx.analyze(&["applications", "application_states", "journal"])
        .await?;
    super::intake::record_import(
        tx,
        sink.session_id,
        "applications",
        digest,
        &g.operator(),
        diff,
    )
    .await?;
    Ok(())
}

/// Prints the import's report: a warning for ignored columns, then JSON, or a summary
/// with the photo counts, the batch and (on a dry run or with --verbose) the changes.
fn print_report(
    g: &GlobalArgs,
    a: &ImportArgs,
    report: &Report<'_>,
    header: &Header,
) -> Result<()> {
    if !header.unknown.is_empty() {
        eprintln!(
            "warning: {}: ignored columns that application files do not have: {}",
            header.source.file,
            header.unknown.join(", ")
        );
    }
    if g.json {
        return print_json(report);
    }
    let (verb, add, change) = if report.dry_run {
        ("dry run, nothing written", "would add", "would change")
    } else {
        ("imported", "added", "changed")
    };
    outln!(
        "applications (报名信息) {} into {}: {verb}: {} rows in {:.1} s: {add} {}, {change} {} ({} resubmitted after rejection), unchanged {}{}",
        header.source.file,
        report.session,
        report.rows,
        report.seconds,
        report.added,
        report.changed,
        report.resubmitted,
        report.unchanged,
        if report.kept > 0 {
            format!(
                "; {} stored applications not in this file were left as they are",
                report.kept
            )
        } else {
            String::new()
        }
    )?;
    let (missing, unreadable) = (report.photos_missing, report.photos_unreadable);
    if missing + unreadable > 0 {
        outln!(
            "photos: {missing} missing, {unreadable} unreadable; `kaowu review check` flags them"
        )?;
    }
    if let Some(b) = report.batch {
        outln!("batch {b}; next: kaowu review check")?;
    }
    if report.dry_run || a.verbose {
        for c in report
            .changes
            .changed
            .iter()
            .take(if a.verbose { usize::MAX } else { 30 })
        {
            outln!("  ~ {}: {}", c.key, c.fields.join("; "))?;
        }
    }
    Ok(())
}

/// The photo folder: `--photos`, else `photos/` beside the file, else the file's folder.
fn photo_folder(file: &Path, given: Option<&Path>) -> Result<Option<PhotoDir>> {
    let dir: PathBuf = if let Some(d) = given {
        d.to_path_buf()
    } else {
        let parent = file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let beside = parent.join("photos");
        if beside.is_dir() {
            beside
        } else {
            parent.to_path_buf()
        }
    };
    match PhotoDir::open_listed(&dir) {
        Ok(d) => Ok(Some(d)),
        Err(e) if given.is_some() => Err(anyhow::anyhow!("--photos {}: {e}", dir.display())),
        Err(_) => Ok(None),
    }
}

/// The reader thread: returns the header and every problem found. Rows are collected raw
/// and handed to a second thread, which parses them a chunk at a time in parallel and checks
/// in order what needs the order of the file (a registration number seen twice). Reading the
/// file never waits for the parsing: calamine reads an XLSX sheet on one thread only, and it
/// is the slower half.
fn read_applications(
    file: &Path,
    opts: &table::ReadOptions,
    cx: &Context_,
    send: tokio::sync::mpsc::Sender<Vec<NewApplication>>,
) -> Result<(Header, Problems)> {
    type Raw = Vec<(usize, Vec<Value>)>;
    let (raw_send, raw_recv) = std::sync::mpsc::sync_channel::<(Arc<Header>, Raw)>(2);
    // Parsed chunks come back to be filled again: the reader overwrites their cells in place
    // (see table::read_raw), so that a 200,000-row file does not allocate a text per cell on
    // this thread and free it on the parser's (5 million of each, a tenth of the import's
    // CPU with the frees across threads). When the reader has enough, a chunk is dropped.
    let (spent_send, spent_recv) = std::sync::mpsc::sync_channel::<Raw>(2);
    std::thread::scope(|scope| {
        let parser = scope.spawn(move || {
            let mut problems = Problems::default();
            let mut numbers: HashMap<String, usize> = HashMap::new();
            let today = chrono::Local::now().date_naive();
            for (header, raw) in raw_recv {
                flush(&raw, &header, cx, today, &mut problems, &mut numbers, &send);
                let _ = spent_send.try_send(raw);
            }
            problems
        });
        let mut raw: Raw = Vec::with_capacity(CHUNK);
        let mut spare: Vec<Vec<Value>> = Vec::new();
        let mut header_copy: Option<Arc<Header>> = None;
        // A send fails only when the parser is gone, which its join below reports.
        let read = table::read_raw(file, opts, APPLICATIONS, |header, line, cells| {
            let h = header_copy.get_or_insert_with(|| Arc::new(header.clone()));
            if spare.is_empty()
                && let Ok(spent) = spent_recv.try_recv()
            {
                spare.extend(spent.into_iter().map(|(_, cells)| cells));
            }
            let mut row = spare.pop().unwrap_or_default();
            std::mem::swap(cells, &mut row);
            raw.push((line, row));
            if raw.len() >= CHUNK {
                let full = std::mem::replace(&mut raw, Vec::with_capacity(CHUNK));
                let _ = raw_send.send((Arc::clone(h), full));
            }
        });
        if let Some(h) = header_copy
            && !raw.is_empty()
        {
            let _ = raw_send.send((h, raw));
        }
        drop(raw_send);
        let problems = parser
            .join()
            .map_err(|_| anyhow::anyhow!("{}: the parsing thread panicked", file.display()))?;
        Ok((read.map_err(rejected_from)?, problems))
    })
}

/// Parses a chunk of raw rows in parallel, checks numbers in order, and (while no row was
/// refused: nothing is written once one was) fingerprints the photos and hands the rows on.
fn flush(
    rows: &[(usize, Vec<Value>)],
    header: &Header,
    cx: &Context_,
    today: chrono::NaiveDate,
    problems: &mut Problems,
    numbers: &mut HashMap<String, usize>,
    send: &tokio::sync::mpsc::Sender<Vec<NewApplication>>,
) {
    let parsed: Vec<_> = rows
        .par_iter()
        .map(|(line, cells)| {
            let row = Row::new(*line, header, cells);
            let mut own = Problems::default();
            let mut c = Cells::new(&row, &mut own);
            let parsed = parse_row(&mut c, cx, today);
            let ok = c.ok();
            // Unreadable as an identifier: refused already, and not compared.
            let number = table::identifier(row.get("registration_no")).unwrap_or_default();
            (*line, number, parsed.filter(|_| ok), own)
        })
        .collect();
    let mut good = Vec::with_capacity(parsed.len());
    for (line, number, r, own) in parsed {
        problems.list.extend(own.list);
        if !number.is_empty() {
            if let Some(first) = numbers.get(&number) {
                problems.push(
                    line,
                    format!(
                        "{}: {number} is already in row {first}; a registration number appears once",
                        header.at(line, "registration_no")
                    ),
                );
                continue;
            }
            if let Some(twin) = cx
                .stored_padded
                .twin(&number, |n| cx.stored.contains_key(n))
            {
                problems.push(
                    line,
                    format!(
                        "{}: {}",
                        header.at(line, "registration_no"),
                        twin_message(&number, &twin, "an application")
                    ),
                );
                continue;
            }
            numbers.insert(number, line);
        }
        if let Some(r) = r {
            good.push(r);
        }
    }
    if !problems.is_empty() {
        return;
    }
    good.par_iter_mut().for_each(|(r, path)| {
        // A photo the folder does not have is missing without opening it.
        if let Some((p, true)) = path {
            let f = fingerprint(p);
            r.photo_hash = f.hash;
            r.photo_format = f.format;
            r.photo_width = i64::from(f.width);
            r.photo_height = i64::from(f.height);
            r.photo_bytes = f.bytes as i64;
            r.photo_problem = f.problem;
        } else if !r.photo.is_empty() {
            r.photo_problem = "missing".into();
        }
        r.compute_hash();
    });
    let _ = send.blocking_send(good.into_iter().map(|(r, _)| r).collect());
}

fn parse_row(
    c: &mut Cells<'_, '_>,
    cx: &Context_,
    today: chrono::NaiveDate,
) -> Option<(NewApplication, Option<(PathBuf, bool)>)> {
    let registration_no = c.code("registration_no", true);
    let name = c.text("name", true);
    let id_type = c.text("id_type", true);
    let id_number = c.code("id_number", true).map(|s| s.to_ascii_uppercase());
    let gender = c.text("gender", false).unwrap_or_default();
    let birth_date = c.get("birth_date", false, table::date);
    let level = c.get("level", false, |v| {
        let t = table::text(v)?;
        Level::parse(&t).ok_or_else(|| format!("expected 初级, 中级 or 高级, found \"{t}\""))
    });
    let qualification = c.text("qualification", true);
    let offered = offered_in_plan(c, cx, qualification.as_deref(), level);
    let subjects_text = c.text("subjects", true);
    let subjects = offered_subjects(c, offered, subjects_text, qualification.as_deref());
    let exam_area = known_exam_area(c, cx);
    let graduation_date = c.get("graduation_date", false, table::date);
    let submitted_at = c.get("submitted_at", false, table::datetime);
    let photo = c.text("photo", false).unwrap_or_default();
    let photo_path = located_photo(c, cx, &photo);
    if let Some(b) = birth_date
        && b > today
    {
        c.problem("birth_date", format!("{b} is in the future"));
    }
    let text = |c: &mut Cells<'_, '_>, k: &str| c.text(k, false).unwrap_or_default();
    let r = NewApplication {
        registration_no: registration_no?,
        name: name?,
        id_type: id_type?,
        id_number: id_number?,
        gender,
        birth_date,
        qualification_id: offered?.id,
        subjects: subjects?,
        exam_area: exam_area?,
        title: text(c, "title"),
        employer: text(c, "employer"),
        school: text(c, "school"),
        major: text(c, "major"),
        education: text(c, "education"),
        degree: text(c, "degree"),
        graduation_date,
        address: text(c, "address"),
        mobile: c.code("mobile", false).unwrap_or_default(),
        email: text(c, "email"),
        postcode: c.code("postcode", false).unwrap_or_default(),
        phone: c.code("phone", false).unwrap_or_default(),
        submitted_at,
        photo_path: photo_path
            .as_ref()
            .map(|(p, _)| p.display().to_string())
            .unwrap_or_default(),
        photo,
        ..NewApplication::default()
    };
    Some((r, photo_path))
}

/// The plan's offer of the qualification named; a problem when the plan does not have
/// it, or has it at another level than the row's.
fn offered_in_plan<'a>(
    c: &mut Cells<'_, '_>,
    cx: &'a Context_,
    qualification: Option<&str>,
    level: Option<Level>,
) -> Option<&'a Offered> {
    let offered = match qualification {
        Some(q) => {
            if let Some(o) = cx.plan.get(q) {
                Some(o)
            } else {
                c.problem("qualification", format!("{q} is not in the session's plan"));
                None
            }
        }
        None => None,
    };
    if let (Some(o), Some(l)) = (offered, level)
        && o.level != l
    {
        c.problem(
            "level",
            format!(
                "{} is a {} qualification in the plan, not {l}",
                qualification.unwrap_or(""),
                o.level
            ),
        );
    }
    offered
}

/// The subjects of the row, in the plan's words; a problem naming one the plan does not
/// offer for the qualification.
fn offered_subjects(
    c: &mut Cells<'_, '_>,
    offered: Option<&Offered>,
    subjects_text: Option<String>,
    qualification: Option<&str>,
) -> Option<String> {
    match (offered, subjects_text) {
        (Some(o), Some(t)) => match o.level.subject_list(&t, &o.subjects) {
            Ok(list) => Some(list),
            Err(bad) => {
                c.problem(
                    "subjects",
                    format!(
                        "{bad} is not offered for {}; the plan has {}",
                        qualification.unwrap_or(""),
                        o.subjects.join(", ")
                    ),
                );
                None
            }
        },
        _ => None,
    }
}

/// The row's exam area as the session names it; a problem listing the session's exam
/// areas when it has no such area.
fn known_exam_area(c: &mut Cells<'_, '_>, cx: &Context_) -> Option<String> {
    c.text("exam_area", true).and_then(|a| {
        let matched = match_area(&a, &cx.areas).to_string();
        if cx.areas.contains(&matched) {
            Some(matched)
        } else {
            c.problem(
                "exam_area",
                format!(
                    "{a} is not an exam area (考区) of the session; it has: {}",
                    cx.areas.iter().cloned().collect::<Vec<_>>().join(", ")
                ),
            );
            None
        }
    })
}

/// Where the row's photo is in the photo folder, and whether the folder has it; a
/// problem when the name leaves the folder. `None` without a photo or a folder.
fn located_photo(c: &mut Cells<'_, '_>, cx: &Context_, photo: &str) -> Option<(PathBuf, bool)> {
    if photo.is_empty() {
        None
    } else {
        match &cx.photos {
            Some(dir) => match dir.locate(photo) {
                Ok(p) => Some(p),
                Err(e) => {
                    c.problem("photo", e);
                    None
                }
            },
            None => None,
        }
    }
}
