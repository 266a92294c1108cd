//! `kaowu cards`: the admit cards of the seated candidates as PDF, rendered in parallel,
//! written atomically, and incrementally: a manifest records what each file was made from.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use serde::Serialize;

use super::documents::{Batch, Failure, Job, base_hash, group_size, read_photo, safe};
use super::{Rejected, connect, current_session, print_json};
use crate::cli::{CardsArgs, CardsPer, GlobalArgs};
use crate::db::seating::{CardRow, Carded};
use crate::model::session::SessionCode;
use crate::pdf::card::{self, CardData, Layout, Place, SubjectLine};
use crate::pdf::{Font, FontSource};

/// The layout and font built into kaowu, so that cards look the same on every machine.
const TEMPLATE: &str = include_str!("../../templates/admit_card.json");
pub const FONT: &[u8] = include_bytes!("../../templates/fonts/wqy-zenhei.ttc");

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
    let chosen: Vec<i64> = {
        let only: BTreeSet<&str> = a.only.iter().map(|s| s.trim()).collect();
        let carded = tx.carded(session.id).await?;
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
        ids
    };
    let plan = Plan {
        subjects: SittingSubjects::new(&plan),
        year,
        half,
        base: &base,
    };

    // The candidates a group at a time: per candidate, so many candidates; per room, whole
    // rooms of so many seats, with every seat of their candidates (a card lists them all).
    let size = group_size();
    let groups: Vec<Group> = match a.per {
        CardsPer::Candidate => chosen.chunks(size).map(|c| (c.to_vec(), None)).collect(),
        CardsPer::Room => {
            let mut seats = tx.carded_seats(session.id).await?;
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
    // A card a correction had made out of date is current again once it is in a file.
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
    if g.json {
        print_json(&report)?;
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
        // The cards, one per candidate, each subject with its sitting's seat.
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

        // Which file each card goes in.
        let mut files: BTreeMap<String, Vec<(CardData, String)>> = BTreeMap::new();
        match rooms {
            None => {
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
            }
            Some((first_room, last_room)) => {
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
            }
        }
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
}

/// Groups seats (room, candidate), sorted by room, into runs of whole rooms of about
/// `size` seats: for each, its candidates and its first and last room.
pub fn room_groups(seats: &[(i64, i64)], size: usize) -> Vec<(Vec<i64>, (i64, i64))> {
    let mut groups = Vec::new();
    let mut start = 0;
    while start < seats.len() {
        let mut end = (start + size).min(seats.len());
        // A room is never split: its file needs all its seats.
        while end < seats.len() && seats[end].0 == seats[end - 1].0 {
            end += 1;
        }
        let group = &seats[start..end];
        let mut apps: Vec<i64> = group.iter().map(|(_, app)| *app).collect();
        apps.sort_unstable();
        apps.dedup();
        groups.push((apps, (group[0].0, group[group.len() - 1].0)));
        start = end;
    }
    groups
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

/// The characters a run prints: the template's and the renderer's own (printed by nearly
/// every document: see [`FontSource::narrowed`]), and its data's. The font is cut down to
/// them once, before rendering, so that the whole font is let go while the files are made.
pub struct Chars {
    fixed: BTreeSet<char>,
    data: BTreeSet<char>,
}

impl Chars {
    pub fn new(layout_text: &str) -> Chars {
        let mut fixed = BTreeSet::new();
        if let Ok(layout) = serde_json::from_str(layout_text) {
            printed(&layout, &mut fixed);
        }
        fixed.extend(crate::pdf::RENDERER_TEXT.chars());
        Chars {
            fixed,
            data: BTreeSet::new(),
        }
    }

    pub fn add<T: Serialize>(&mut self, data: impl Iterator<Item = T>) -> Result<()> {
        for d in data {
            self.data.extend(serde_json::to_string(&d)?.chars());
        }
        Ok(())
    }

    /// The font narrowed to these characters. Each PDF subsets it again to its own glyphs
    /// in their order, so a file's bytes do not depend on what else the run prints.
    pub fn narrow(self, font: &FontSource) -> Result<Font> {
        font.narrowed(self.data, self.fixed)
            .map_err(|e| anyhow::anyhow!("the template's font: {e}"))
    }
}

/// The characters of a template's texts: its strings but its comments, font file and the
/// names of fields and alignments, which are not printed.
fn printed(v: &serde_json::Value, out: &mut BTreeSet<char>) {
    match v {
        serde_json::Value::String(s) => out.extend(s.chars()),
        serde_json::Value::Array(a) => a.iter().for_each(|v| printed(v, out)),
        serde_json::Value::Object(o) => {
            for (k, v) in o {
                if !["comment", "font", "key", "align"].contains(&k.as_str()) {
                    printed(v, out);
                }
            }
        }
        _ => {}
    }
}

/// The year and half (上半年 / 下半年) a session code such as 2026H2 names.
pub fn year_half(code: &str) -> (u32, &'static str) {
    match SessionCode::parse(code) {
        Ok(c) => (
            c.year as u32,
            if c.half == 1 {
                "上半年"
            } else {
                "下半年"
            },
        ),
        Err(_) => (0, "下半年"),
    }
}

/// A document layout with its JSON text and its font.
pub type Template<L> = (L, String, FontSource);

/// The layout (built in, or the JSON file given) with its text and its font (`font_of`:
/// the layout's font file, relative to a template file, and face).
pub fn load_template<L: serde::de::DeserializeOwned>(
    builtin: &str,
    file: Option<&Path>,
    font_of: impl Fn(&L) -> (&str, usize),
) -> Result<Template<L>> {
    let (layout, text, bytes): (L, String, std::borrow::Cow<'static, [u8]>) = match file {
        None => {
            let layout: L =
                serde_json::from_str(builtin).context("the built-in template is not valid")?;
            (layout, builtin.to_string(), FONT.into())
        }
        Some(t) => {
            let text = std::fs::read_to_string(t)
                .with_context(|| format!("cannot read the template {}", t.display()))?;
            let layout: L = serde_json::from_str(&text)
                .map_err(|e| Rejected::one(t.display().to_string(), format!("{e}")))?;
            let font_path = t
                .parent()
                .unwrap_or(Path::new("."))
                .join(font_of(&layout).0);
            let bytes = std::fs::read(&font_path)
                .with_context(|| format!("cannot read the font {}", font_path.display()))?;
            (layout, text, bytes.into())
        }
    };
    let font = FontSource::new(bytes, font_of(&layout).1)
        .map_err(|e| anyhow::anyhow!("the template's font: {e}"))?;
    Ok((layout, text, font))
}

/// The subjects of each qualification written in each sitting, from the plan.
pub struct SittingSubjects<'a>(HashMap<&'a str, HashMap<i64, Vec<&'a str>>>);

impl<'a> SittingSubjects<'a> {
    pub fn new(plan: &'a [crate::db::seating::SubjectSitting]) -> Self {
        let mut map: HashMap<&str, HashMap<i64, Vec<&str>>> = HashMap::new();
        for p in plan {
            map.entry(p.qualification.as_str())
                .or_default()
                .entry(p.sitting_id)
                .or_default()
                .push(p.subject.as_str());
        }
        SittingSubjects(map)
    }

    /// The subjects a candidate of `qualification` who chose `chosen` (their comma-separated
    /// subjects) writes in `sitting`, in plan order.
    pub fn taken<'s>(
        &'s self,
        qualification: &str,
        sitting: i64,
        chosen: &'s str,
    ) -> impl Iterator<Item = &'a str> + 's {
        self.0
            .get(qualification)
            .and_then(|by_sitting| by_sitting.get(&sitting))
            .into_iter()
            .flatten()
            .copied()
            .filter(move |s| chosen.split(',').any(|c| c == *s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_groups_never_split_a_room() {
        let seats = [(1, 10), (1, 11), (2, 10), (2, 12), (2, 13), (3, 14)];
        let groups = room_groups(&seats, 3);
        assert_eq!(
            groups,
            vec![(vec![10, 11, 12, 13], (1, 2)), (vec![14], (3, 3))]
        );
    }
}
