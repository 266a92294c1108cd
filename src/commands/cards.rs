//! `kaowu cards`: the admit cards of the seated candidates as PDF, rendered in parallel,
//! written atomically, and incrementally: a manifest records what each file was made from.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

use anyhow::Result;
use serde::Serialize;

use super::documents::{Batch, Failure, Job, base_hash, group_size, read_photo, safe};
use super::printing::{Chars, SittingSubjects, load_template, room_groups, year_half};
use super::{Rejected, connect, current_session, print_json};
use crate::cli::{CardsArgs, CardsPer, GlobalArgs};
use crate::db::seating::{CardRow, Carded};
use crate::db::{Db, Tx};
use crate::pdf::Font;
use crate::pdf::card::{self, CardData, Layout, Place, SubjectLine};

/// The layout built into kaowu, so that cards look the same on every machine.
const TEMPLATE: &str = include_str!("../../templates/admit_card.json");

/// A job's cards, each with its photo file.
type Cards = Vec<(CardData, String)>;

/// Candidates rendered together, and for files per room the first and last of their rooms.
type Group = (Vec<i64>, Option<(i64, i64)>);

#[derive(Serialize)]
struct Report {
    session: String,
    out: String,
    per: String,
    files: usize,
    cards: usize,
    rendered: usize,
    unchanged: usize,
    removed: usize,
    failed: Vec<Failure>,
    bytes_written: u64,
    seconds: f64,
}

pub async fn run(g: &GlobalArgs, a: &CardsArgs) -> Result<()> {
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
    let partial = !a.only.is_empty() || a.limit.is_some();
    let chosen = choose(&mut tx, session.id, a).await?;
    let plan = Plan {
        subjects: SittingSubjects::new(&plan),
        year,
        half,
        base: &base,
    };
    let groups = groups(&mut tx, session.id, a, chosen, partial).await?;

    let batch = Batch {
        out: &a.out,
        kind: "admit cards",
        base: &base,
        prune: !partial,
        threads: a.jobs,
    };
    // A first pass over the groups for their characters only (see [`Chars`]).
    let mut chars = Chars::new(&layout_text);
    for (apps, rooms) in &groups {
        let rows = tx.card_rows(session.id, apps).await?;
        chars.add(plan.jobs(&rows, *rooms).iter().map(|j| &j.data))?;
    }
    let font = chars.narrow(&font)?;

    let mut writer = batch.start()?;
    let (mut files, mut cards) = (0, 0);
    // Seats whose card a correction had made out of date: (seat, candidate).
    let mut stale: Vec<(i64, String)> = Vec::new();
    for (apps, rooms) in groups {
        let rows = tx.card_rows(session.id, &apps).await?;
        stale.extend(
            rows.iter()
                .filter(|r| r.stale == "admit card")
                .map(|r| (r.id, r.registration_no.clone())),
        );
        let jobs = plan.jobs(&rows, rooms);
        files += jobs.len();
        cards += jobs.iter().map(|j| j.data.len()).sum::<usize>();
        writer.write(&jobs, |j| render_job(&font, &layout, j, date))?;
    }
    drop(tx);
    let outcome = writer.finish()?;
    let failed = outcome.failed;
    refresh_stale(&db, &stale, &failed).await?;
    db.close().await;

    let report = Report {
        session: session.code.clone(),
        out: a.out.display().to_string(),
        per: match a.per {
            CardsPer::Candidate => "candidate".into(),
            CardsPer::Room => "room".into(),
        },
        files,
        cards,
        rendered: outcome.rendered,
        unchanged: outcome.unchanged,
        removed: outcome.removed,
        failed,
        bytes_written: outcome.bytes_written,
        seconds: (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
    };
    print_report(g, &report)
}

/// The candidates to make cards for, by id: every carded candidate, or those `--only`
/// names, the first `--limit` of them by admit-card number.
async fn choose(tx: &mut Tx, session_id: i64, a: &CardsArgs) -> Result<Vec<i64>> {
    let only: BTreeSet<&str> = a.only.iter().map(|s| s.trim()).collect();
    let carded = tx.carded(session_id).await?;
    let mut chosen: Vec<&Carded> = carded
        .iter()
        .filter(|c| only.is_empty() || only.contains(c.registration_no.as_str()))
        .collect();
    if let Some(n) = a.limit {
        // The first N candidates by admit-card number (of those asked for, if any).
        chosen.sort_unstable_by(|x, y| {
            (&x.card_no, &x.registration_no).cmp(&(&y.card_no, &y.registration_no))
        });
        chosen.truncate(n);
    }
    let mut ids: Vec<i64> = chosen.iter().map(|c| c.id).collect();
    ids.sort_unstable();
    Ok(ids)
}

/// The candidates a group at a time: per candidate, so many candidates; per room, whole
/// rooms of so many seats, with every seat of their candidates (a card lists them all).
async fn groups(
    tx: &mut Tx,
    session_id: i64,
    a: &CardsArgs,
    chosen: Vec<i64>,
    partial: bool,
) -> Result<Vec<Group>> {
    let size = group_size();
    let groups: Vec<Group> = match a.per {
        CardsPer::Candidate => chosen.chunks(size).map(|c| (c.to_vec(), None)).collect(),
        CardsPer::Room => {
            let mut seats = tx.carded_seats(session_id).await?;
            if partial {
                seats.retain(|(_, app)| chosen.binary_search(app).is_ok());
            }
            room_groups(&seats, size)
                .into_iter()
                .map(|(apps, rooms)| (apps, Some(rooms)))
                .collect()
        }
    };
    drop(chosen);
    Ok(groups)
}

/// A card a correction had made out of date is current again once it is in a file: clears
/// the mark of the stale seats whose candidate's file did not fail.
async fn refresh_stale(db: &Db, stale: &[(i64, String)], failed: &[Failure]) -> Result<()> {
    let failed_nos: BTreeSet<&str> = failed.iter().map(|f| f.registration_no.as_str()).collect();
    let refreshed: Vec<i64> = stale
        .iter()
        .filter(|(_, no)| !failed_nos.contains(no.as_str()))
        .map(|(id, _)| *id)
        .collect::<BTreeSet<i64>>()
        .into_iter()
        .collect();
    if !refreshed.is_empty() {
        let mut tx = db.begin_write().await?;
        tx.clear_card_stale(&refreshed).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Prints the report (as JSON with `--json`), and fails if any file could not be made.
fn print_report(g: &GlobalArgs, report: &Report) -> Result<()> {
    if g.json {
        print_json(report)?;
    } else {
        outln!(
            "admit cards of {} into {}: {} files ({} cards): {} rendered, {} unchanged, {} removed, {} failed, in {:.1} s",
            report.session,
            report.out,
            report.files,
            report.cards,
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
            what: format!("{} admit-card files could not be made", report.failed.len()),
            problems: report
                .failed
                .iter()
                .map(|f| format!("{} ({}): {}", f.registration_no, f.file, f.problem))
                .collect(),
        }
        .into());
    }
    Ok(())
}

/// What every group's cards share: the subjects of each qualification's sittings, the
/// session's year and half, and the documents' base hash.
struct Plan<'a> {
    subjects: SittingSubjects<'a>,
    year: u32,
    half: &'a str,
    base: &'a str,
}

impl Plan<'_> {
    /// The files of a group's rows (every seat of its candidates): a file per candidate, or
    /// with `rooms` a file per room among those (the first and last room id) and sitting.
    fn jobs(&self, rows: &[CardRow], rooms: Option<(i64, i64)>) -> Vec<Job<Cards>> {
        let cards = self.cards(rows);
        // Which file each card goes in.
        let files = match rooms {
            None => files_per_candidate(cards),
            Some(rooms) => files_per_room(cards, rows, rooms),
        };
        files
            .into_iter()
            .map(|(path, cards)| {
                let contents = cards
                    .iter()
                    .map(|(d, _)| d.fields["card_no"].clone())
                    .collect();
                Job::new(path, self.base, contents, cards)
            })
            .collect()
    }

    /// The cards, one per candidate, each subject with its sitting's seat, with the first
    /// row of its candidate.
    fn cards<'r>(&self, rows: &'r [CardRow]) -> Vec<(CardData, &'r CardRow)> {
        let mut by_app: BTreeMap<&str, Vec<&CardRow>> = BTreeMap::new();
        for r in rows {
            by_app.entry(&r.registration_no).or_default().push(r);
        }
        let mut cards: Vec<(CardData, &CardRow)> = Vec::new();
        for seats in by_app.values() {
            let first = seats[0];
            // Every site of the candidate's seats, in the order of the first sitting there
            // (rows come in exam order).
            let mut places: Vec<(&str, Place)> = Vec::new();
            for s in seats {
                if !places.iter().any(|(code, _)| *code == s.site_code) {
                    places.push((
                        &s.site_code,
                        Place {
                            site: s.site_name.clone(),
                            address: s.address.clone(),
                        },
                    ));
                }
            }
            let mut subjects = Vec::new();
            for s in seats {
                let at = places
                    .iter()
                    .position(|(code, _)| *code == s.site_code)
                    .unwrap_or(0);
                for subject in
                    self.subjects
                        .taken(&first.qualification, s.sitting_id, &first.subjects)
                {
                    subjects.push(SubjectLine {
                        subject: subject.to_string(),
                        date: s.exam_date.clone(),
                        time: format!("{}-{}", s.starts_at, s.ends_at),
                        room: format!(
                            "{}第{:03}考场",
                            card::place_marker(at, places.len()),
                            s.room
                        ),
                        seat: format!("{:02}", s.seat_no),
                    });
                }
            }
            let mut fields = BTreeMap::new();
            for (k, v) in [
                ("card_no", first.card_no.clone()),
                ("name", first.name.clone()),
                ("sex", first.gender.clone()),
                ("id_number", first.id_number.clone()),
                ("level", first.level.clone()),
                ("qualification", first.qualification.clone()),
                ("site", first.site_name.clone()),
                ("address", first.address.clone()),
                ("exam_area", first.exam_area.clone()),
            ] {
                fields.insert(k.to_string(), v);
            }
            cards.push((
                CardData {
                    registration_no: first.registration_no.clone(),
                    year: self.year,
                    half: self.half.to_string(),
                    fields,
                    places: places.into_iter().map(|(_, p)| p).collect(),
                    subjects,
                    photo_hash: first.photo_hash.clone(),
                },
                first,
            ));
        }
        cards
    }
}

/// A file per candidate, in the folder of their exam area and site.
fn files_per_candidate(cards: Vec<(CardData, &CardRow)>) -> BTreeMap<String, Cards> {
    let mut files: BTreeMap<String, Vec<(CardData, String)>> = BTreeMap::new();
    for (d, r) in cards {
        let path = format!(
            "{}/{}_{}/{}.pdf",
            safe(&r.exam_area),
            safe(&r.site_code),
            safe(&r.site_name),
            safe(&r.card_no)
        );
        files
            .entry(path)
            .or_default()
            .push((d, r.photo_path.clone()));
    }
    files
}

/// A file per room among `rooms` (the first and last room id) and sitting.
fn files_per_room(
    cards: Vec<(CardData, &CardRow)>,
    rows: &[CardRow],
    (first_room, last_room): (i64, i64),
) -> BTreeMap<String, Cards> {
    let mut files: BTreeMap<String, Vec<(CardData, String)>> = BTreeMap::new();
    // Every seat of a candidate is a page in its room's file, in seat order.
    let data: HashMap<&str, &CardData> = cards
        .iter()
        .map(|(d, _)| (d.registration_no.as_str(), d))
        .collect();
    let mut rooms: BTreeMap<String, Vec<(i64, &CardRow)>> = BTreeMap::new();
    for r in rows {
        if (first_room..=last_room).contains(&r.room_id) {
            let path = format!(
                "{}/{}_{}/{}_{}_第{:03}考场.pdf",
                safe(&r.exam_area),
                safe(&r.site_code),
                safe(&r.site_name),
                r.exam_date,
                safe(&r.sitting),
                r.room
            );
            rooms.entry(path).or_default().push((r.seat_no, r));
        }
    }
    for (path, mut seats) in rooms {
        seats.sort_by_key(|(seat, _)| *seat);
        let list = seats
            .iter()
            .map(|(_, r)| {
                (
                    data[r.registration_no.as_str()].clone(),
                    r.photo_path.clone(),
                )
            })
            .collect();
        files.insert(path, list);
    }
    files
}

/// Renders one file of cards, the photos checked against their fingerprints.
fn render_job(font: &Font, layout: &Layout, j: &Job<Cards>, date: i64) -> Result<Vec<u8>, Failure> {
    let fail = |no: &str, problem: String| Failure {
        file: j.path.clone(),
        registration_no: no.to_string(),
        problem,
    };
    let mut photos = Vec::with_capacity(j.data.len());
    for (d, path) in &j.data {
        photos.push(read_photo(path, &d.photo_hash).map_err(|e| fail(&d.registration_no, e))?);
    }
    let list: Vec<(&CardData, Option<&[u8]>)> = j
        .data
        .iter()
        .zip(&photos)
        .map(|((d, _), p)| (d, Some(p.as_slice())))
        .collect();
    card::render(font, layout, &list, date).map_err(|e| {
        // Name the candidate whose card failed.
        let who = j
            .data
            .iter()
            .find(|(d, _)| card::check(font, layout, d).is_err())
            .map_or_else(
                || j.data[0].0.registration_no.clone(),
                |(d, _)| d.registration_no.clone(),
            );
        fail(&who, e.to_string())
    })
}
