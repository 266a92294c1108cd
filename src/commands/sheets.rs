//! `kaowu sheets`: the sign-in sheet (考场签到表) and door sticker (门贴) of every room and
//! sitting in use, as PDF, rendered in parallel and incrementally like the admit cards.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use anyhow::Result;
use serde::Serialize;

use super::documents::{Batch, Failure, Job, base_hash, group_size, read_photo, safe};
use super::printing::{Chars, SittingSubjects, load_template, room_groups, year_half};
use super::{Rejected, connect, current_session, print_json};
use crate::cli::{GlobalArgs, SheetsArgs};
use crate::db::seating::CardRow;
use crate::model::plan::exam_rank;
use crate::pdf::Font;
use crate::pdf::room::{self, Layout, RoomData, SeatLine};

const TEMPLATE: &str = include_str!("../../templates/room_documents.json");

/// Which document of a room a file is.
#[derive(Debug, Clone, Copy, Serialize)]
enum Kind {
    SignIn,
    Sticker,
}

/// One file: the room's data, the document it is, and the photo files in seat order.
#[derive(Serialize)]
struct RoomJob {
    kind: Kind,
    room: RoomData,
    #[serde(skip)]
    photos: Vec<String>,
}

#[derive(Serialize)]
struct Report {
    session: String,
    out: String,
    rooms: usize,
    files: usize,
    seats: usize,
    rendered: usize,
    unchanged: usize,
    removed: usize,
    failed: Vec<Failure>,
    bytes_written: u64,
    seconds: f64,
}

pub async fn run(g: &GlobalArgs, a: &SheetsArgs) -> Result<()> {
    let started = Instant::now();
    let (layout, layout_text, font) =
        load_template::<Layout>(TEMPLATE, a.template.as_deref(), |l| (&l.font, l.font_index))?;

    let db = connect(g).await?;
    // One read transaction for every group, so that they all see the same seating.
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let plan = tx.subject_sittings(session.id).await?;
    let date = crate::pdf::document_date(session.created_at.and_utc().timestamp());
    let base = base_hash(&layout_text, font.bytes(), date);
    let (year, half) = year_half(&session.code);
    let subjects_of = SittingSubjects::new(&plan);
    // Whole rooms of so many seats at a time, each seat with its candidate.
    let groups = room_groups(&tx.carded_seats(session.id).await?, group_size());

    let batch = Batch {
        out: &a.out,
        kind: "room documents",
        base: &base,
        prune: true,
        threads: a.jobs,
    };
    // A first pass over the groups for their characters only (see [`Chars`]).
    let mut chars = Chars::new(&layout_text);
    for (apps, rooms) in &groups {
        let rows = tx.card_rows(session.id, apps).await?;
        let (jobs, _, _) = room_jobs(&rows, *rooms, &subjects_of, year, half, &base);
        chars.add(jobs.iter().map(|j| &j.data))?;
    }
    let font = chars.narrow(&font)?;

    let mut writer = batch.start()?;
    let (mut room_count, mut seat_count) = (0, 0);
    for (apps, rooms) in groups {
        let rows = tx.card_rows(session.id, &apps).await?;
        let (jobs, in_rooms, seats) = room_jobs(&rows, rooms, &subjects_of, year, half, &base);
        room_count += in_rooms;
        seat_count += seats;
        writer.write(&jobs, |j| render_job(&font, &layout, j, date))?;
    }
    drop(tx);
    db.close().await;
    let outcome = writer.finish()?;

    let report = Report {
        session: session.code.clone(),
        out: a.out.display().to_string(),
        rooms: room_count,
        files: outcome.files,
        seats: seat_count,
        rendered: outcome.rendered,
        unchanged: outcome.unchanged,
        removed: outcome.removed,
        failed: outcome.failed,
        bytes_written: outcome.bytes_written,
        seconds: (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
    };
    if g.json {
        print_json(&report)?;
    } else {
        outln!(
            "sign-in sheets and door stickers of {} into {}: {} rooms and sittings, {} seats, {} files: {} rendered, {} unchanged, {} removed, {} failed, in {:.1} s",
            report.session,
            report.out,
            report.rooms,
            report.seats,
            report.files,
            report.rendered,
            report.unchanged,
            report.removed,
            report.failed.len(),
            report.seconds
        )?;
        for f in &report.failed {
            eprintln!("  {} {}: {}", f.file, f.registration_no, f.problem);
        }
    }
    if !report.failed.is_empty() {
        return Err(Rejected {
            what: format!("{} room documents could not be made", report.failed.len()),
            problems: report
                .failed
                .iter()
                .map(|f| format!("{} ({}): {}", f.file, f.registration_no, f.problem))
                .collect(),
        }
        .into());
    }
    Ok(())
}

/// A sticker and a sign-in sheet for each room and sitting of a group's rooms (the first and
/// last room id), from its candidates' rows; with how many rooms and sittings, and seats.
fn room_jobs(
    rows: &[CardRow],
    (first_room, last_room): (i64, i64),
    subjects_of: &SittingSubjects,
    year: u32,
    half: &str,
    base: &str,
) -> (Vec<Job<RoomJob>>, usize, usize) {
    // Rooms in use per sitting: (area, site, date, start, room) -> seats; the candidates'
    // seats in other rooms are another group's.
    let mut rooms: BTreeMap<(&str, &str, &str, &str, i64), Vec<&CardRow>> = BTreeMap::new();
    let mut seat_count = 0;
    for r in rows
        .iter()
        .filter(|r| (first_room..=last_room).contains(&r.room_id))
    {
        seat_count += 1;
        rooms
            .entry((
                &r.exam_area,
                &r.site_code,
                &r.exam_date,
                &r.starts_at,
                r.room,
            ))
            .or_default()
            .push(r);
    }
    let mut jobs = Vec::with_capacity(rooms.len() * 2);
    for seats in rooms.values_mut() {
        seats.sort_by_key(|r| r.seat_no);
        let first = seats[0];
        let mut qualifications = BTreeSet::new();
        let mut subjects: Vec<String> = Vec::new();
        for r in seats.iter() {
            qualifications.insert(r.qualification.clone());
            for s in subjects_of.taken(&r.qualification, r.sitting_id, &r.subjects) {
                if !subjects.iter().any(|t| t == s) {
                    subjects.push(s.to_string());
                }
            }
        }
        // In exam order (综合知识 before 案例分析), not by the characters.
        subjects.sort_by_key(|s| (exam_rank(s), s.clone()));
        let data = RoomData {
            year,
            half: half.to_string(),
            exam_area: first.exam_area.clone(),
            site_code: first.site_code.clone(),
            site_name: first.site_name.clone(),
            address: first.address.clone(),
            room: first.room,
            sitting: first.sitting.clone(),
            date: first.exam_date.clone(),
            time: format!("{}-{}", first.starts_at, first.ends_at),
            qualifications: qualifications.into_iter().collect(),
            subjects,
            seats: seats
                .iter()
                .map(|r| SeatLine {
                    registration_no: r.registration_no.clone(),
                    seat_no: r.seat_no,
                    card_no: r.card_no.clone(),
                    name: r.name.clone(),
                    sex: r.gender.clone(),
                    id_number: r.id_number.clone(),
                    qualification: r.qualification.clone(),
                    photo_hash: r.photo_hash.clone(),
                })
                .collect(),
        };
        let stem = format!(
            "{}/{}_{}/{}_{}_{}",
            safe(&data.exam_area),
            safe(&data.site_code),
            safe(&data.site_name),
            data.date,
            safe(&data.sitting),
            data.room_label()
        );
        let contents: Vec<String> = data.seats.iter().map(|s| s.card_no.clone()).collect();
        let photos: Vec<String> = seats.iter().map(|r| r.photo_path.clone()).collect();
        jobs.push(Job::new(
            format!("{stem}_门贴.pdf"),
            base,
            contents.clone(),
            RoomJob {
                kind: Kind::Sticker,
                room: data.clone(),
                photos: Vec::new(),
            },
        ));
        jobs.push(Job::new(
            format!("{stem}_签到表.pdf"),
            base,
            contents,
            RoomJob {
                kind: Kind::SignIn,
                room: data,
                photos,
            },
        ));
    }
    let room_count = rooms.len();
    (jobs, room_count, seat_count)
}

fn render_job(
    font: &Font,
    layout: &Layout,
    j: &Job<RoomJob>,
    date: i64,
) -> Result<Vec<u8>, Failure> {
    let fail = |no: &str, problem: String| Failure {
        file: j.path.clone(),
        registration_no: no.to_string(),
        problem,
    };
    let d = &j.data.room;
    let result = match j.data.kind {
        Kind::Sticker => room::render_sticker(font, layout, d, date),
        Kind::SignIn => {
            let mut photos = Vec::with_capacity(d.seats.len());
            for (s, path) in d.seats.iter().zip(&j.data.photos) {
                photos.push(
                    read_photo(path, &s.photo_hash).map_err(|e| fail(&s.registration_no, e))?,
                );
            }
            let list: Vec<&[u8]> = photos.iter().map(Vec::as_slice).collect();
            room::render_sheet(font, layout, d, &list, date)
        }
    };
    result.map_err(|e| fail(e.registration_no.as_deref().unwrap_or(""), e.problem))
}
