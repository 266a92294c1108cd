//! `kaowu cards`: the admit cards of the seated candidates as PDF, rendered in parallel,
//! written atomically, and incrementally: a manifest records what each file was made from.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::samples::write_atomic;
use super::{Rejected, connect, current_session, print_json};
use crate::cli::{CardsArgs, CardsPer, GlobalArgs};
use crate::db::seating::CardRow;
use crate::model::session::SessionCode;
use crate::pdf::Font;
use crate::pdf::card::{self, CardData, Layout, SubjectLine};

/// The layout and font built into kaowu, so that cards look the same on every machine.
const TEMPLATE: &str = include_str!("../../templates/admit_card.json");
const FONT: &[u8] = include_bytes!("../../templates/fonts/wqy-zenhei.ttc");

/// Files are rendered and the manifest saved in chunks, so that a run killed half-way
/// resumes from the last saved chunk.
const CHUNK: usize = 500;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Manifest {
    /// What every file depends on besides its own data: the layout and the font.
    base: String,
    files: BTreeMap<String, Entry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    content_hash: String,
    file_hash: String,
    cards: Vec<String>,
}

/// One output file: its path under --out and its cards (with their photo files).
struct Job {
    path: String,
    cards: Vec<(CardData, String)>,
    content_hash: String,
}

#[derive(Serialize)]
struct Failure {
    file: String,
    registration_no: String,
    problem: String,
}

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
    let (layout_text, font_bytes): (String, std::borrow::Cow<'static, [u8]>) = match &a.template {
        None => (TEMPLATE.to_string(), FONT.into()),
        Some(t) => {
            let text = std::fs::read_to_string(t)
                .with_context(|| format!("cannot read the template {}", t.display()))?;
            let layout: Layout = serde_json::from_str(&text)
                .map_err(|e| Rejected::one(t.display().to_string(), format!("{e}")))?;
            let font_path = t.parent().unwrap_or(Path::new(".")).join(&layout.font);
            let bytes = std::fs::read(&font_path)
                .with_context(|| format!("cannot read the font {}", font_path.display()))?;
            (text, bytes.into())
        }
    };
    let layout: Layout =
        serde_json::from_str(&layout_text).context("the built-in template is not valid")?;
    let font = Font::from_bytes(&font_bytes, layout.font_index)
        .map_err(|e| anyhow::anyhow!("the template's font: {e}"))?;
    let base = {
        let mut h = blake3::Hasher::new();
        h.update(layout_text.as_bytes());
        h.update(blake3::hash(&font_bytes).as_bytes());
        h.finalize().to_hex().to_string()
    };

    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let rows = tx.card_rows(session.id).await?;
    let plan = tx.subject_sittings(session.id).await?;
    drop(tx);
    let code = SessionCode::parse(&session.code).ok();
    let (year, half) = (
        code.as_ref().map_or(0, |c| c.year as u32),
        if code.as_ref().is_some_and(|c| c.half == 1) {
            "上半年"
        } else {
            "下半年"
        },
    );
    let only: BTreeSet<&str> = a.only.iter().map(|s| s.trim()).collect();
    let mut subjects_of: HashMap<(&str, i64), Vec<&str>> = HashMap::new();
    for p in &plan {
        subjects_of
            .entry((p.qualification.as_str(), p.sitting_id))
            .or_default()
            .push(p.subject.as_str());
    }

    // The cards, one per candidate, each subject with its sitting's seat.
    let mut by_app: BTreeMap<&str, Vec<&CardRow>> = BTreeMap::new();
    for r in &rows {
        if only.is_empty() || only.contains(r.registration_no.as_str()) {
            by_app.entry(&r.registration_no).or_default().push(r);
        }
    }
    let mut cards: Vec<(CardData, &CardRow)> = Vec::new();
    for seats in by_app.values() {
        let first = seats[0];
        let mut subjects = Vec::new();
        for s in seats {
            let taken: Vec<&str> = first.subjects.split(',').collect();
            for subject in subjects_of
                .get(&(first.qualification.as_str(), s.sitting_id))
                .into_iter()
                .flatten()
                .filter(|x| taken.contains(x))
            {
                subjects.push(SubjectLine {
                    subject: subject.to_string(),
                    date: s.exam_date.clone(),
                    time: format!("{}-{}", s.starts_at, s.ends_at),
                    room: if s.site_code == first.site_code {
                        format!("第{:03}考场", s.room)
                    } else {
                        format!("{} 第{:03}考场", s.site_name, s.room)
                    },
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
                year,
                half: half.to_string(),
                fields,
                subjects,
                photo_hash: first.photo_hash.clone(),
            },
            first,
        ));
    }

    // Which file each card goes in.
    let safe = |s: &str| s.replace(['/', '\\', ':'], "_");
    let mut files: BTreeMap<String, Vec<(CardData, String)>> = BTreeMap::new();
    match a.per {
        CardsPer::Candidate => {
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
        CardsPer::Room => {
            // Every seat of a candidate is a page in its room's file, in seat order.
            let data: HashMap<&str, &CardData> = cards
                .iter()
                .map(|(d, _)| (d.registration_no.as_str(), d))
                .collect();
            let mut rooms: BTreeMap<String, Vec<(i64, &CardRow)>> = BTreeMap::new();
            for r in &rows {
                if data.contains_key(r.registration_no.as_str()) {
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
    let jobs: Vec<Job> = files
        .into_iter()
        .map(|(path, cards)| {
            let mut h = blake3::Hasher::new();
            h.update(base.as_bytes());
            for (d, _) in &cards {
                h.update(serde_json::to_string(d).expect("plain data").as_bytes());
            }
            Job {
                path,
                content_hash: h.finalize().to_hex().to_string(),
                cards,
            }
        })
        .collect();

    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("cannot create {}", a.out.display()))?;
    let manifest_path = a.out.join("manifest.json");
    let mut manifest: Manifest = std::fs::read_to_string(&manifest_path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    manifest.base = base.clone();
    let unchanged = |j: &Job, m: &Manifest| {
        m.files.get(&j.path).is_some_and(|e| {
            e.content_hash == j.content_hash
                && std::fs::read(a.out.join(&j.path))
                    .is_ok_and(|b| blake3::hash(&b).to_hex().as_str() == e.file_hash)
        })
    };
    let todo: Vec<&Job> = jobs.iter().filter(|j| !unchanged(j, &manifest)).collect();
    let kept = jobs.len() - todo.len();

    // Files of candidates who lost their seat (or of rooms no longer used) go.
    let wanted: BTreeSet<&str> = jobs.iter().map(|j| j.path.as_str()).collect();
    let stale: Vec<String> = manifest
        .files
        .keys()
        .filter(|p| !wanted.contains(p.as_str()) && only.is_empty())
        .cloned()
        .collect();
    for p in &stale {
        let _ = std::fs::remove_file(a.out.join(p));
        manifest.files.remove(p);
    }

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(a.jobs.unwrap_or(0))
        .build()?;
    let bar = super::progress::bar(todo.len() as u64, "rendering admit cards");
    let mut failed = Vec::new();
    let mut written = 0u64;
    let mut rendered = 0;
    for chunk in todo.chunks(CHUNK) {
        let results: Vec<(usize, Rendered)> = pool.install(|| {
            chunk
                .par_iter()
                .enumerate()
                .map(|(i, j)| {
                    bar.inc(1);
                    (i, render_job(&font, &layout, j, &a.out))
                })
                .collect()
        });
        for (i, r) in results {
            let j = chunk[i];
            match r {
                Ok((hash, bytes)) => {
                    written += bytes.len() as u64;
                    rendered += 1;
                    manifest.files.insert(
                        j.path.clone(),
                        Entry {
                            content_hash: j.content_hash.clone(),
                            file_hash: hash,
                            cards: j
                                .cards
                                .iter()
                                .map(|(d, _)| d.fields["card_no"].clone())
                                .collect(),
                        },
                    );
                }
                Err(f) => {
                    // An older card in its place would be out of date: it goes too.
                    if manifest.files.remove(&j.path).is_some() {
                        let _ = std::fs::remove_file(a.out.join(&j.path));
                    }
                    failed.push(f);
                }
            }
        }
        save_manifest(&manifest_path, &manifest)?;
    }
    bar.finish_and_clear();
    save_manifest(&manifest_path, &manifest)?;
    // A card a correction had made out of date is current again once it is in a file.
    let failed_nos: BTreeSet<&str> = failed.iter().map(|f| f.registration_no.as_str()).collect();
    let refreshed: Vec<i64> = rows
        .iter()
        .filter(|r| r.stale == "admit card" && !failed_nos.contains(r.registration_no.as_str()))
        .filter(|r| only.is_empty() || only.contains(r.registration_no.as_str()))
        .map(|r| r.id)
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
        files: jobs.len(),
        cards: jobs.iter().map(|j| j.cards.len()).sum(),
        rendered,
        unchanged: kept,
        removed: stale.len(),
        failed,
        bytes_written: written,
        seconds: (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
    };
    if g.json {
        print_json(&report)?;
    } else {
        println!(
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
        );
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

/// A written file's hash and bytes, or why it could not be made.
type Rendered = Result<(String, Vec<u8>), Failure>;

/// Renders one file and writes it atomically; returns its hash.
fn render_job(font: &Font, layout: &Layout, j: &Job, out: &Path) -> Rendered {
    let fail = |no: &str, problem: String| Failure {
        file: j.path.clone(),
        registration_no: no.to_string(),
        problem,
    };
    let mut photos = Vec::with_capacity(j.cards.len());
    for (d, path) in &j.cards {
        let bytes = std::fs::read(path)
            .map_err(|e| fail(&d.registration_no, format!("photo {path}: {e}")))?;
        if blake3::hash(&bytes).to_hex().as_str() != d.photo_hash {
            return Err(fail(
                &d.registration_no,
                format!(
                    "photo {path} changed since it was imported: replace it with kaowu applications photo"
                ),
            ));
        }
        photos.push(bytes);
    }
    let list: Vec<(&CardData, Option<&[u8]>)> = j
        .cards
        .iter()
        .zip(&photos)
        .map(|((d, _), p)| (d, Some(p.as_slice())))
        .collect();
    let pdf = card::render(font, layout, &list).map_err(|e| {
        // Name the candidate whose card failed.
        let who = j
            .cards
            .iter()
            .find(|(d, _)| card::check(font, layout, d).is_err())
            .map_or_else(
                || j.cards[0].0.registration_no.clone(),
                |(d, _)| d.registration_no.clone(),
            );
        fail(&who, e.to_string())
    })?;
    let path: PathBuf = out.join(&j.path);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| fail("", format!("{}: {e}", dir.display())))?;
    }
    write_atomic(&path, &pdf).map_err(|e| fail("", format!("{e:#}")))?;
    Ok((blake3::hash(&pdf).to_hex().to_string(), pdf))
}

fn save_manifest(path: &Path, m: &Manifest) -> Result<()> {
    write_atomic(path, serde_json::to_string_pretty(m)?.as_bytes())
}
