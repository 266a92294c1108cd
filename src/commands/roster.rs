//! `kaowu export roster`: rosters (名册) per exam area, site, or room and sitting, as XLSX
//! or CSV, full for staff or masked for posting, with a manifest of what was written.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde::Serialize;

use super::{connect, current_session, print_json};
use crate::cli::{GlobalArgs, RosterArgs, RosterBy, RosterEncoding, RosterFormat};
use crate::db::sessions::SessionRow;
use crate::io::atomic;
use crate::io::write::{Charset, CsvOut, Written, not_in_gbk};
use crate::io::xlsx::{Book, Cell, sheet_names};
use crate::model::application::Status;
use crate::model::roster::{
    self, Arranged, Column, Entry, GroupKey, Grouping, Line, Room, Sitting, Value,
};
use crate::model::seating::Seat;

/// The workbook of `--one-file`.
const ONE_FILE: &str = "名册.xlsx";

/// A checked request: what `--status`, `--format` and `--encoding` mean together.
struct Job<'a> {
    by: RosterBy,
    statuses: Vec<Status>,
    format: RosterFormat,
    charset: Option<Charset>,
    one_file: bool,
    public: bool,
    out: &'a Path,
}

fn check(a: &RosterArgs) -> Result<Job<'_>> {
    let mut statuses = Vec::new();
    for s in &a.status {
        let st = Status::parse(s).with_context(|| {
            format!(
                "--status {s}: expected one of {}",
                Status::ALL
                    .map(crate::model::application::Status::as_str)
                    .join(", ")
            )
        })?;
        if !statuses.contains(&st) {
            statuses.push(st);
        }
    }
    statuses.sort();
    if a.one_file && a.format == RosterFormat::Csv {
        bail!(
            "--one-file makes one workbook with a sheet each; CSV has no sheets: use --format xlsx, or leave out --one-file"
        );
    }
    let charset = match (a.format, a.encoding) {
        (RosterFormat::Xlsx, Some(_)) => {
            bail!("--encoding is for CSV files; an XLSX workbook is always Unicode")
        }
        (RosterFormat::Xlsx, None) => None,
        (RosterFormat::Csv, None | Some(RosterEncoding::Utf8)) => Some(Charset::Utf8Bom),
        (RosterFormat::Csv, Some(RosterEncoding::Gbk)) => Some(Charset::Gbk),
        (RosterFormat::Csv, Some(RosterEncoding::Gb18030)) => Some(Charset::Gb18030),
    };
    Ok(Job {
        by: a.by,
        statuses,
        format: a.format,
        charset,
        one_file: a.one_file,
        public: a.public,
        out: &a.out,
    })
}

#[derive(Debug, Serialize)]
struct SheetEntry {
    name: String,
    rows: usize,
}

#[derive(Debug, Serialize)]
struct FileEntry {
    /// Relative to the output folder.
    file: String,
    rows: usize,
    bytes: u64,
    sha256: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sheets: Vec<SheetEntry>,
}

/// DIR/manifest.json: what was asked, and the files this export wrote.
#[derive(Debug, Serialize)]
struct Manifest {
    session: String,
    by: &'static str,
    /// The states asked for; empty: every state.
    status: Vec<Status>,
    public: bool,
    format: &'static str,
    encoding: Option<&'static str>,
    one_file: bool,
    files: Vec<FileEntry>,
    rows: usize,
    applications: usize,
    /// Applications asked for that have no seat, so are in no file per site or room.
    unplaced: usize,
}

#[derive(Serialize)]
struct Report<'a> {
    #[serde(flatten)]
    manifest: &'a Manifest,
    out: String,
    manifest_file: String,
    unplaced_by_status: BTreeMap<String, usize>,
    seconds: f64,
}

/// What the roster is made from, read in one transaction: the session, the applications
/// asked for, their seats, and the rooms and sittings those seats are in.
struct Loaded {
    session: SessionRow,
    entries: Vec<Entry>,
    seats: Vec<Seat>,
    rooms: HashMap<i64, Room>,
    sittings: HashMap<i64, Sitting>,
}

pub async fn run(g: &GlobalArgs, a: &RosterArgs) -> Result<()> {
    let started = Instant::now();
    let job = check(a)?;
    let loaded = load(g, &job).await?;
    let session = &loaded.session;

    let grouping = match job.by {
        RosterBy::ExamArea => Grouping::ExamArea,
        RosterBy::Site => Grouping::Site,
        RosterBy::Room => Grouping::Room,
    };
    let arranged = roster::arrange(
        &loaded.entries,
        &loaded.seats,
        &loaded.rooms,
        &loaded.sittings,
        grouping,
    );
    let columns = Column::of(job.public);
    let header: Vec<&str> = columns.iter().map(|c| c.header()).collect();

    check_gbk(&job, &arranged, &columns)?;
    std::fs::create_dir_all(job.out)
        .with_context(|| format!("cannot create {}", job.out.display()))?;
    let total: usize = arranged.groups.values().map(Vec::len).sum();
    let bar = crate::progress::bar(total as u64, "writing rosters");
    let layout = Layout {
        job: &job,
        session: &session.name,
        header: &header,
        columns: &columns,
    };
    let files = if job.one_file {
        write_one_file(&layout, &arranged, &bar)?
    } else {
        write_per_group(&layout, &arranged, &bar)?
    };
    bar.finish_and_clear();

    let (manifest, unplaced_by_status) = manifest(&job, session, &arranged, total, files);
    let manifest_path = job.out.join("manifest.json");
    atomic::write(
        &manifest_path,
        format!("{}\n", serde_json::to_string_pretty(&manifest)?).as_bytes(),
    )?;

    if manifest.unplaced > 0 {
        let by: Vec<String> = unplaced_by_status
            .iter()
            .map(|(s, n)| format!("{n} {s}"))
            .collect();
        eprintln!(
            "warning: {} applications have no seat, so are in no file per {}: {}",
            manifest.unplaced,
            manifest.by,
            by.join(", ")
        );
    }
    let report = Report {
        manifest: &manifest,
        out: job.out.display().to_string(),
        manifest_file: manifest_path.display().to_string(),
        unplaced_by_status,
        seconds: (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
    };
    if g.json {
        return print_json(&report);
    }
    print_report(&job, &report)
}

/// Reads the session, the applications in the states asked for, and the seats, rooms and
/// sittings of the session, then closes the connection.
async fn load(g: &GlobalArgs, job: &Job<'_>) -> Result<Loaded> {
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let entries = tx.roster_entries(session.id, &job.statuses).await?;
    let seats: Vec<Seat> = tx
        .seat_rows(session.id, false)
        .await?
        .iter()
        .map(crate::db::seating::SeatRow::seat)
        .collect();
    let rooms: HashMap<i64, Room> = tx
        .room_ids(session.id)
        .await?
        .into_iter()
        .map(|r| {
            (
                r.id,
                Room {
                    exam_area: r.exam_area,
                    site_code: r.site_code,
                    site_name: r.site_name,
                    number: r.number,
                },
            )
        })
        .collect();
    let sittings: HashMap<i64, Sitting> = tx
        .roster_sittings(session.id)
        .await?
        .into_iter()
        .map(|s| {
            (
                s.id,
                Sitting {
                    label: s.label,
                    date: s.exam_date,
                    starts_at: s.starts_at.format("%H:%M").to_string(),
                    ends_at: s.ends_at.format("%H:%M").to_string(),
                },
            )
        })
        .collect();
    drop(tx);
    db.close().await;
    Ok(Loaded {
        session,
        entries,
        seats,
        rooms,
        sittings,
    })
}

/// GBK cannot hold every name (㛃 is in CJK extension A): refuses before any file is
/// written, naming each candidate and character, rather than write a file that a GBK
/// reader shows wrong. Other encodings pass unchecked.
fn check_gbk(job: &Job, arranged: &Arranged, columns: &[Column]) -> Result<()> {
    if job.charset != Some(Charset::Gbk) {
        return Ok(());
    }
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    for l in arranged.groups.values().flatten() {
        for (c, v) in columns.iter().zip(values(columns, l, job.public)) {
            if let Some(ch) = not_in_gbk(&v.text())
                && seen.insert((l.entry.registration_no.as_str(), c.header()))
            {
                problems.push(format!(
                    "{} {}: {}: {ch} (U+{:04X}) is not in GBK; use --encoding gb18030 or utf8",
                    l.entry.registration_no,
                    l.entry.name,
                    c.header(),
                    u32::from(ch)
                ));
            }
        }
    }
    if !problems.is_empty() {
        return Err(super::Rejected {
            what: "export roster --encoding gbk".into(),
            problems,
        }
        .into());
    }
    Ok(())
}

/// What every file or sheet of one export shares: the request, the session's name for
/// titles, and the columns with their header.
struct Layout<'a> {
    job: &'a Job<'a>,
    session: &'a str,
    header: &'a [&'a str],
    columns: &'a [Column],
}

/// Writes `--one-file`: one workbook with a sheet per group.
fn write_one_file(
    layout: &Layout,
    arranged: &Arranged,
    bar: &indicatif::ProgressBar,
) -> Result<Vec<FileEntry>> {
    let job = layout.job;
    let names = sheet_names(
        &arranged
            .groups
            .keys()
            .map(GroupKey::short)
            .collect::<Vec<_>>(),
    );
    let mut book = Book::new();
    let mut sheets = Vec::new();
    for ((key, lines), name) in arranged.groups.iter().zip(names) {
        let title = title(layout.session, job.public, key, lines);
        write_sheet(
            &mut book,
            &name,
            &title,
            layout.header,
            layout.columns,
            lines,
            job.public,
        )?;
        bar.inc(lines.len() as u64);
        sheets.push(SheetEntry {
            name,
            rows: lines.len(),
        });
    }
    let path = job.out.join(ONE_FILE);
    let w = book.save(&path)?;
    Ok(vec![file_entry(ONE_FILE.to_string(), &sheets, w)])
}

/// Writes a file per group: a workbook of one sheet, or a CSV file in the charset asked for.
fn write_per_group(
    layout: &Layout,
    arranged: &Arranged,
    bar: &indicatif::ProgressBar,
) -> Result<Vec<FileEntry>> {
    let job = layout.job;
    let columns = layout.columns;
    let mut files = Vec::new();
    let ext = match job.format {
        RosterFormat::Xlsx => "xlsx",
        RosterFormat::Csv => "csv",
    };
    let names = file_names(arranged.groups.keys(), ext);
    for ((key, lines), file) in arranged.groups.iter().zip(names) {
        let path = job.out.join(&file);
        let w = match job.charset {
            None => {
                let mut book = Book::new();
                let sheet = sheet_names(&[key.short()]).remove(0);
                let title = title(layout.session, job.public, key, lines);
                write_sheet(
                    &mut book,
                    &sheet,
                    &title,
                    layout.header,
                    columns,
                    lines,
                    job.public,
                )?;
                book.save(&path)?
            }
            Some(charset) => {
                let mut csv = CsvOut::create(&path, charset, layout.header)?;
                for l in lines {
                    csv.push(&values(columns, l, job.public))?;
                }
                csv.finish()?
            }
        };
        bar.inc(lines.len() as u64);
        files.push(FileEntry {
            file,
            rows: lines.len(),
            bytes: w.bytes,
            sha256: w.sha256,
            sheets: Vec::new(),
        });
    }
    Ok(files)
}

/// The manifest of the files written, and how many applications asked for have no seat,
/// per state.
fn manifest(
    job: &Job,
    session: &SessionRow,
    arranged: &Arranged,
    total: usize,
    files: Vec<FileEntry>,
) -> (Manifest, BTreeMap<String, usize>) {
    let placed: HashSet<i64> = arranged
        .groups
        .values()
        .flatten()
        .map(|l| l.entry.id)
        .collect();
    let mut unplaced_by_status: BTreeMap<String, usize> = BTreeMap::new();
    for e in &arranged.unplaced {
        *unplaced_by_status.entry(e.status.clone()).or_default() += 1;
    }
    let manifest = Manifest {
        session: session.code.clone(),
        by: match job.by {
            RosterBy::ExamArea => "exam-area",
            RosterBy::Site => "site",
            RosterBy::Room => "room",
        },
        status: job.statuses.clone(),
        public: job.public,
        format: match job.format {
            RosterFormat::Xlsx => "xlsx",
            RosterFormat::Csv => "csv",
        },
        encoding: job.charset.map(|c| match c {
            Charset::Utf8Bom => "utf8",
            Charset::Gbk => "gbk",
            Charset::Gb18030 => "gb18030",
        }),
        one_file: job.one_file,
        rows: total,
        applications: placed.len(),
        unplaced: arranged.unplaced.len(),
        files,
    };
    (manifest, unplaced_by_status)
}

/// How many files the summary names.
const SHOWN: usize = 20;
/// Prints what was written: a summary line, the first files, and where the manifest is.
fn print_report(job: &Job, report: &Report) -> Result<()> {
    let manifest = report.manifest;
    let asked = if job.statuses.is_empty() {
        "every state".to_string()
    } else {
        job.statuses
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    outln!(
        "roster of {} by {} ({asked}{}) into {}: {} files, {} rows of {} applications, in {:.1} s",
        manifest.session,
        manifest.by,
        if job.public {
            "; masked for posting"
        } else {
            ""
        },
        report.out,
        manifest.files.len(),
        manifest.rows,
        manifest.applications,
        report.seconds
    )?;
    for f in manifest.files.iter().take(SHOWN) {
        outln!("  {:>7} rows  {}", f.rows, f.file)?;
    }
    if manifest.files.len() > SHOWN {
        outln!("  ... and {} more files", manifest.files.len() - SHOWN)?;
    }
    outln!("manifest: {}", report.manifest_file)?;
    Ok(())
}

fn values<'a>(columns: &[Column], line: &Line<'a>, public: bool) -> Vec<Value<'a>> {
    columns.iter().map(|c| c.value(line, public)).collect()
}

/// One sheet of a roster.
fn write_sheet(
    book: &mut Book,
    name: &str,
    title: &str,
    header: &[&str],
    columns: &[Column],
    lines: &[Line],
    public: bool,
) -> Result<()> {
    let mut sheet = book.sheet(name, title)?;
    // 报名序号 and 姓名 stay in view when scrolling right.
    sheet.freeze_columns(2);
    sheet.header(header)?;
    for l in lines {
        let values = values(columns, l, public);
        let cells: Vec<Cell> = values.iter().map(Cell::from).collect();
        sheet.row(&cells)?;
    }
    Ok(())
}

/// What a file or sheet holds, for the head of every printed page: the session, the list,
/// and the place (a room with its sitting and time), e.g. `2026年下半年 名册（张贴用）
/// 丽江考区 001 丽江一中 第003考场 2026-11-07 第1场 08:30-11:00`.
fn title(session: &str, public: bool, key: &GroupKey, lines: &[Line]) -> String {
    let mut parts = vec![
        session.to_string(),
        if public {
            "名册（张贴用）"
        } else {
            "名册"
        }
        .to_string(),
        format!("{}考区", key.exam_area),
    ];
    if let Some((code, name)) = &key.site {
        parts.push(format!("{code} {name}"));
    }
    if let Some(room) = key.room {
        parts.push(format!("第{room:03}考场"));
    }
    if let Some((date, _, label)) = &key.sitting {
        parts.push(date.to_string());
        parts.push(label.clone());
        if let Some((_, s, _)) = lines.first().and_then(|l| l.seat) {
            parts.push(format!("{}-{}", s.starts_at, s.ends_at));
        }
    }
    parts.join(" ")
}

fn file_entry(file: String, sheets: &[SheetEntry], w: Written) -> FileEntry {
    FileEntry {
        file,
        rows: sheets.iter().map(|s| s.rows).sum(),
        bytes: w.bytes,
        sha256: w.sha256,
        sheets: sheets
            .iter()
            .map(|s| SheetEntry {
                name: s.name.clone(),
                rows: s.rows,
            })
            .collect(),
    }
}

/// A file name per group, e.g. `丽江_001_丽江一中_第003考场_2026-11-07_第1场.xlsx`: the parts
/// joined by `_`, with characters that Windows forbids in names replaced, unique.
fn file_names<'a>(keys: impl Iterator<Item = &'a GroupKey>, ext: &str) -> Vec<String> {
    let mut used = HashSet::new();
    keys.map(|k| {
        let stem: String = k
            .parts()
            .join("_")
            .chars()
            .map(|c| match c {
                '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
                c if c.is_control() => '_',
                c => c,
            })
            .collect();
        let stem = stem.trim_matches(['.', ' ']).to_string();
        let mut name = format!("{stem}.{ext}");
        let mut n = 2;
        while !used.insert(name.to_lowercase()) {
            name = format!("{stem} ({n}).{ext}");
            n += 1;
        }
        name
    })
    .collect()
}
