//! `kaowu seat assign|verify|add|release`: seating (编排) the paid candidates and numbering
//! their admit cards, reproducibly, all or nothing, with the journal and undo of every bulk
//! change.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::{Result, bail};
use serde::Serialize;

use super::review::{ask, open_batch};
use super::{Rejected, connect, current_session, now, print_json};
use crate::cli::{Confirm, GlobalArgs, SeatCommand};
use crate::db::Tx;
use crate::db::payments::JournalEntry;
use crate::db::seating::{RoomIdRow, SeatCandidate, SeatRow, SittingRow};
use crate::db::sessions::SessionRow;
use crate::model::application::Status;
use crate::model::fee::match_area;
use crate::model::level::Level;
use crate::model::seating::{self, Candidate, CardFields, Room, Seat, Sitting};
use crate::model::session::{CardTemplate, SessionCode};
use crate::model::site::parse_seat_list;

pub async fn run(g: &GlobalArgs, cmd: &SeatCommand) -> Result<()> {
    match cmd {
        SeatCommand::Assign {
            seed,
            reseat,
            confirm,
        } => assign(g, *seed, reseat.as_deref(), confirm).await,
        SeatCommand::Verify => verify(g).await,
        SeatCommand::Add { confirm } => add(g, confirm).await,
        SeatCommand::Release {
            registration_no,
            reason,
            confirm,
        } => release(g, registration_no.trim(), reason, confirm).await,
    }
}

/// Everything a seating is derived from, read in one transaction.
struct Inputs {
    rows: Vec<SeatCandidate>,
    candidates: Vec<Candidate>,
    rooms: Vec<Room>,
    room_rows: HashMap<i64, RoomIdRow>,
    sittings: Vec<Sitting>,
    sitting_rows: HashMap<i64, SittingRow>,
    /// Exam area -> its number for admit cards (1-based, in name order).
    area_no: BTreeMap<String, u32>,
    seats: Vec<SeatRow>,
}

impl Inputs {
    async fn load(tx: &mut Tx, session: &SessionRow) -> Result<Inputs> {
        Inputs::load_with(tx, session, false).await
    }

    /// With `any`, every application is a candidate (verify: a seated one may have left).
    async fn load_with(tx: &mut Tx, session: &SessionRow, any: bool) -> Result<Inputs> {
        let rows = tx.seat_candidates(session.id, any).await?;
        let sitting_rows = tx.sitting_rows(session.id).await?;
        let sittings: Vec<Sitting> = sitting_rows
            .iter()
            .enumerate()
            .map(|(i, s)| Sitting {
                id: s.id,
                label: s.label.clone(),
                order: i as u32 + 1,
            })
            .collect();
        let mut sitting_of: HashMap<(String, String), i64> = HashMap::new();
        for s in tx.subject_sittings(session.id).await? {
            sitting_of.insert((s.qualification, s.subject), s.sitting_id);
        }
        let candidates = rows
            .iter()
            .map(|r| {
                let mut sittings: Vec<i64> = r
                    .subjects
                    .split(',')
                    .filter_map(|s| sitting_of.get(&(r.qualification.clone(), s.to_string())))
                    .copied()
                    .collect();
                sittings.sort_unstable();
                sittings.dedup();
                Candidate {
                    id: r.id,
                    registration_no: r.registration_no.clone(),
                    exam_area: r.exam_area.clone(),
                    qualification: r.qualification.clone(),
                    level: level_no(&r.level),
                    sittings,
                }
            })
            .collect();
        let room_list = tx.room_ids(session.id).await?;
        let rooms = room_list
            .iter()
            .map(|r| Room {
                id: r.id,
                exam_area: r.exam_area.clone(),
                site_code: r.site_code.clone(),
                number: r.number as u32,
                seats: r.seats as u32,
                disabled: parse_seat_list(&r.disabled_seats).unwrap_or_default(),
            })
            .collect();
        let areas: BTreeSet<String> = room_list.iter().map(|r| r.exam_area.clone()).collect();
        let area_no = areas
            .into_iter()
            .enumerate()
            .map(|(i, a)| (a, i as u32 + 1))
            .collect();
        let seats = tx.seat_rows(session.id, false).await?;
        Ok(Inputs {
            rows,
            candidates,
            rooms,
            room_rows: room_list.into_iter().map(|r| (r.id, r)).collect(),
            sittings,
            sitting_rows: sitting_rows.into_iter().map(|s| (s.id, s)).collect(),
            area_no,
            seats,
        })
    }

    fn status(&self, i: usize) -> Status {
        Status::parse(&self.rows[i].status).unwrap_or(Status::Paid)
    }

    /// `上午 云南大学 第003考场 05号`, as the journal names a seat.
    fn describe(&self, s: &Seat) -> String {
        let r = &self.room_rows[&s.room_id];
        let sitting = self
            .sitting_rows
            .get(&s.sitting_id)
            .map_or("?", |x| x.label.as_str());
        format!(
            "{sitting} {} {} 第{:03}考场 {:02}号",
            r.exam_area, r.site_name, r.number, s.seat
        )
    }
}

fn level_no(level: &str) -> u8 {
    match Level::parse(level) {
        Some(Level::Junior) => 1,
        Some(Level::Intermediate) => 2,
        _ => 3,
    }
}

/// Admit-card numbers for `seated` (their seats in `seats`), from the first sitting's seat.
fn card_numbers(
    session: &SessionRow,
    inputs: &Inputs,
    seated: &[usize],
    seats: &[Seat],
) -> Result<Vec<(i64, String)>> {
    let template =
        CardTemplate::parse(&session.card_number_template).map_err(anyhow::Error::msg)?;
    let code = SessionCode::parse(&session.code).ok();
    let order: HashMap<i64, u32> = inputs.sittings.iter().map(|s| (s.id, s.order)).collect();
    let mut first: HashMap<i64, &Seat> = HashMap::new();
    for s in seats {
        let e = first.entry(s.application_id).or_insert(s);
        if order[&s.sitting_id] < order[&e.sitting_id] {
            *e = s;
        }
    }
    let rank: HashMap<i64, u32> = inputs
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id, i as u32 + 1))
        .collect();
    let mut out = Vec::with_capacity(seated.len());
    let mut problems = Vec::new();
    for &i in seated {
        let c = &inputs.candidates[i];
        let Some(s) = first.get(&c.id) else { continue };
        let room = &inputs.room_rows[&s.room_id];
        let f = CardFields {
            year: code.as_ref().map_or(2000, |c| c.year as u32),
            half: code.as_ref().map_or(1, |c| c.half),
            area: inputs.area_no.get(&c.exam_area).copied().unwrap_or(0),
            site_code: &room.site_code,
            room: room.number as u32,
            seat: s.seat,
            sitting: order[&s.sitting_id],
            level: c.level,
            seq: rank[&c.id],
        };
        match seating::card_number(&template, &f) {
            Ok(n) => out.push((c.id, n)),
            Err(e) => problems.push(format!("{}: {e}", c.registration_no)),
        }
    }
    if !problems.is_empty() {
        return Err(Rejected {
            what: format!(
                "admit-card numbers: the template {} does not fit",
                session.card_number_template
            ),
            problems,
        }
        .into());
    }
    Ok(out)
}

#[derive(Serialize, Default)]
struct AreaCount {
    candidates: usize,
    seats: usize,
    rooms: usize,
}

#[derive(Serialize)]
struct AssignReport {
    session: String,
    dry_run: bool,
    batch: Option<i64>,
    seed: String,
    fingerprint: String,
    scope: String,
    candidates: usize,
    seats: usize,
    by_exam_area: BTreeMap<String, AreaCount>,
    /// Rooms holding more than one qualification in a sitting.
    mixed_rooms: usize,
}

async fn assign(
    g: &GlobalArgs,
    seed: Option<u64>,
    reseat: Option<&str>,
    confirm: &Confirm,
) -> Result<()> {
    let what = "seat assign";
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let inputs = Inputs::load(&mut tx, &session).await?;
    drop(tx);
    let areas: BTreeSet<String> = inputs.area_no.keys().cloned().collect();
    let scope = match reseat {
        Some(a) => {
            let m = match_area(a, &areas).to_string();
            if !areas.contains(&m) {
                return Err(Rejected::one(
                    what,
                    format!(
                        "--reseat {a}: not an exam area (考区) with sites; the areas are: {}",
                        areas.iter().cloned().collect::<Vec<_>>().join(", ")
                    ),
                )
                .into());
            }
            m
        }
        None => String::new(),
    };
    if scope.is_empty() && !inputs.seats.is_empty() {
        return Err(Rejected::one(
            what,
            format!(
                "session {} is seated already ({} seats in use): seat late payers with kaowu seat add, or redo an exam area with --reseat AREA",
                session.code,
                inputs.seats.len()
            ),
        )
        .into());
    }
    // The candidates: every paid one, or with --reseat everyone paid or seated in the area.
    let chosen: Vec<usize> = (0..inputs.rows.len())
        .filter(|&i| {
            if scope.is_empty() {
                inputs.status(i) == Status::Paid
            } else {
                inputs.candidates[i].exam_area == scope
            }
        })
        .collect();
    if chosen.is_empty() {
        outln!(
            "nothing to seat: no paid candidates{}",
            if scope.is_empty() {
                String::new()
            } else {
                format!(" in {scope}")
            }
        )?;
        return Ok(());
    }
    let without: Vec<&str> = chosen
        .iter()
        .filter(|&&i| inputs.candidates[i].sittings.is_empty())
        .map(|&i| inputs.candidates[i].registration_no.as_str())
        .collect();
    if !without.is_empty() {
        return Err(Rejected {
            what: format!(
                "{what}: {} candidates have no sitting in the plan",
                without.len()
            ),
            problems: without
                .iter()
                .map(|n| format!("{n}: its subjects have no sitting; check kaowu plan list"))
                .collect(),
        }
        .into());
    }
    let cands: Vec<Candidate> = chosen
        .iter()
        .map(|&i| inputs.candidates[i].clone())
        .collect();
    let rooms: Vec<Room> = inputs
        .rooms
        .iter()
        .filter(|r| scope.is_empty() || r.exam_area == scope)
        .cloned()
        .collect();
    let seed = seed.unwrap_or_else(|| fastrand::u64(..));
    let fingerprint = seating::fingerprint(&cands, &rooms, &inputs.sittings);
    let seats = match seating::assign(&cands, &rooms, &inputs.sittings, seed) {
        Ok(s) => s,
        Err(short) => {
            return Err(Rejected {
                what: format!("{what}: not enough seats; nothing was stored"),
                problems: short
                    .iter()
                    .map(|s| {
                        format!(
                            "exam area {} sitting {}: {} candidates, {} usable seats: {} seats missing",
                            s.exam_area,
                            s.sitting,
                            s.candidates,
                            s.seats,
                            s.candidates - s.seats
                        )
                    })
                    .collect(),
            }
            .into());
        }
    };
    let problems = seating::check(&cands, &rooms, &seats);
    if !problems.is_empty() {
        bail!(
            "the derived seating breaks its rules (a bug; nothing was stored): {}",
            problems.join("; ")
        );
    }
    let cards = card_numbers(&session, &inputs, &chosen, &seats)?;
    check_cards_unique(&session, &inputs, &cards, &chosen)?;

    let mut by_area: BTreeMap<String, AreaCount> = BTreeMap::new();
    let mut rooms_used: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
    let mut quals_in: HashMap<(i64, i64), BTreeSet<&str>> = HashMap::new();
    let cand_of: HashMap<i64, &Candidate> = cands.iter().map(|c| (c.id, c)).collect();
    for c in &cands {
        by_area.entry(c.exam_area.clone()).or_default().candidates += 1;
    }
    for s in &seats {
        let c = cand_of[&s.application_id];
        by_area.entry(c.exam_area.clone()).or_default().seats += 1;
        rooms_used
            .entry(c.exam_area.clone())
            .or_default()
            .insert(s.room_id);
        quals_in
            .entry((s.sitting_id, s.room_id))
            .or_default()
            .insert(&c.qualification);
    }
    for (a, r) in &rooms_used {
        by_area.entry(a.clone()).or_default().rooms = r.len();
    }
    let mut report = AssignReport {
        session: session.code.clone(),
        dry_run: confirm.dry_run,
        batch: None,
        seed: seed.to_string(),
        fingerprint: fingerprint.clone(),
        scope: scope.clone(),
        candidates: cands.len(),
        seats: seats.len(),
        by_exam_area: by_area,
        mixed_rooms: quals_in.values().filter(|q| q.len() > 1).count(),
    };
    let mut text = format!(
        "seat assign{}: {} candidates, {} seats, seed {seed}{}\n",
        if scope.is_empty() {
            String::new()
        } else {
            format!(" --reseat {scope}")
        },
        report.candidates,
        report.seats,
        if confirm.dry_run { " (dry run)" } else { "" }
    );
    for (a, n) in &report.by_exam_area {
        text.push_str(&format!(
            "  {a}: {} candidates, {} seats in {} rooms\n",
            n.candidates, n.seats, n.rooms
        ));
    }
    text.push_str(&format!(
        "  rooms with more than one qualification in a sitting: {}\n",
        report.mixed_rooms
    ));
    let card_of: HashMap<i64, &str> = cards.iter().map(|(id, n)| (*id, n.as_str())).collect();
    for s in seats.iter().take(3) {
        let c = cand_of[&s.application_id];
        text.push_str(&format!(
            "  e.g. {} {}: {}, 准考证号 {}\n",
            c.registration_no,
            c.qualification,
            inputs.describe(s),
            card_of.get(&c.id).unwrap_or(&"")
        ));
    }
    super::show_preview(g.json, &text)?;
    if confirm.dry_run {
        return if g.json { print_json(&report) } else { Ok(()) };
    }
    if !confirm.yes && !ask(&format!("seat {} candidates?", cands.len()))? {
        outln!("nothing changed")?;
        return Ok(());
    }
    let (mut tx, batch) = open_batch(
        &db,
        &session,
        g,
        if scope.is_empty() {
            "seat-assign"
        } else {
            "seat-reseat"
        },
        None,
    )
    .await?;
    let ids: Vec<i64> = cands.iter().map(|c| c.id).collect();
    // What is in use now must be what was read: a second operator's seating waits here.
    let now_in_use = tx.seat_rows(session.id, false).await?;
    if now_in_use.len() != inputs.seats.len() {
        bail!("the seating changed while this one was prepared; nothing was stored, run it again");
    }
    if !scope.is_empty() {
        tx.release_seats(batch, &ids).await?;
    }
    let seating_id = tx
        .insert_seating(session.id, batch, seed, &fingerprint, &scope, now())
        .await?;
    tx.insert_seats(batch, Some(seating_id), &seats).await?;
    tx.set_cards(session.id, batch, &cards).await?;
    let reason = format!("seat assign, seed {seed}");
    let paid: Vec<(i64, i64)> = chosen
        .iter()
        .filter(|&&i| inputs.status(i) == Status::Paid)
        .map(|&i| (inputs.rows[i].id, inputs.rows[i].version))
        .collect();
    let (moved, missed) = tx
        .transition(batch, &paid, "paid", "seated", &reason, "")
        .await?;
    if !missed.is_empty() {
        bail!(
            "{} candidates changed while the seating was prepared; nothing was stored, run it again",
            missed.len()
        );
    }
    let mut journal: Vec<JournalEntry> = Vec::with_capacity(seats.len());
    for s in &seats {
        journal.push((
            s.application_id,
            "seat",
            None,
            Some(format!(
                "{}; 准考证号 {}",
                inputs.describe(s),
                card_of.get(&s.application_id).unwrap_or(&"")
            )),
            reason.clone(),
        ));
    }
    tx.journal_many(batch, &journal).await?;
    tx.set_batch_summary(
        batch,
        &format!(
            "seat {}{}: {} candidates, {} seats, seed {seed}",
            if scope.is_empty() {
                "assign"
            } else {
                "reseat "
            },
            scope,
            cands.len(),
            seats.len()
        ),
    )
    .await?;
    tx.analyze(&["seats", "admit_cards", "application_states", "journal"])
        .await?;
    tx.commit().await?;
    report.batch = Some(batch);
    if g.json {
        return print_json(&report);
    }
    outln!(
        "batch {batch}: {} candidates seated ({moved} newly), seed {seed}; check with: kaowu seat verify",
        cands.len()
    )?;
    Ok(())
}

/// Admit-card numbers must be unique in the session, against the cards others keep.
fn check_cards_unique(
    session: &SessionRow,
    inputs: &Inputs,
    cards: &[(i64, String)],
    chosen: &[usize],
) -> Result<()> {
    let _ = inputs;
    let mut seen: HashMap<&str, i64> = HashMap::new();
    let mut dup = Vec::new();
    for (id, n) in cards {
        if let Some(other) = seen.insert(n, *id) {
            dup.push(format!("{n}: applications {other} and {id}"));
        }
    }
    if !dup.is_empty() {
        return Err(Rejected {
            what: format!(
                "admit-card numbers would repeat under the template {} ({} candidates): a seat is used in every sitting, so the number needs {{sittingN}} with {{roomN}} and {{seatN}}, or {{seqN}}",
                session.card_number_template,
                chosen.len()
            ),
            problems: dup,
        }
        .into());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// verify

#[derive(Serialize)]
struct SeatingCheck {
    seating: i64,
    batch: i64,
    seed: String,
    scope: String,
    inputs_unchanged: bool,
    seats: usize,
    matches: bool,
    differences: Vec<String>,
}

#[derive(Serialize)]
struct VerifyReport {
    session: String,
    seatings: Vec<SeatingCheck>,
    seats_in_use: usize,
    /// Paid or seated candidates and the rules of the seats in use.
    problems: Vec<String>,
    ok: bool,
}

async fn verify(g: &GlobalArgs) -> Result<()> {
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let inputs = Inputs::load_with(&mut tx, &session, true).await?;
    let seatings = tx.seatings(session.id).await?;
    let all_seats = tx.seat_rows(session.id, true).await?;
    drop(tx);
    db.close().await;
    let index: HashMap<i64, usize> = inputs
        .candidates
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id, i))
        .collect();
    let mut checks = Vec::new();
    for st in &seatings {
        let stored: Vec<Seat> = {
            let mut v: Vec<Seat> = all_seats
                .iter()
                .filter(|s| s.seating_id == Some(st.id))
                .map(SeatRow::seat)
                .collect();
            v.sort();
            v
        };
        let ids: BTreeSet<i64> = stored.iter().map(|s| s.application_id).collect();
        let mut differences = Vec::new();
        let cands: Vec<Candidate> = ids
            .iter()
            .filter_map(|id| match index.get(id) {
                Some(&i) => Some(inputs.candidates[i].clone()),
                None => {
                    differences.push(format!("application {id} is gone"));
                    None
                }
            })
            .collect();
        let rooms: Vec<Room> = inputs
            .rooms
            .iter()
            .filter(|r| st.scope.is_empty() || r.exam_area == st.scope)
            .cloned()
            .collect();
        let unchanged = differences.is_empty()
            && seating::fingerprint(&cands, &rooms, &inputs.sittings) == st.fingerprint;
        let seed: u64 = st.seed.parse().unwrap_or_default();
        let derived = seating::assign(&cands, &rooms, &inputs.sittings, seed).unwrap_or_default();
        if !unchanged && differences.is_empty() {
            differences.push(
                "its inputs changed since (a candidate's exam area, qualification or subjects, or the rooms): the derivation below uses today's"
                    .into(),
            );
        }
        let a: BTreeSet<&Seat> = stored.iter().collect();
        let b: BTreeSet<&Seat> = derived.iter().collect();
        let differing = a.symmetric_difference(&b).count();
        for s in a.symmetric_difference(&b).take(10) {
            {
                differences.push(format!(
                    "{} application {} sitting {} room {} seat {}",
                    if a.contains(s) {
                        "stored, not derived:"
                    } else {
                        "derived, not stored:"
                    },
                    s.application_id,
                    s.sitting_id,
                    s.room_id,
                    s.seat
                ));
            }
        }
        if differing > 10 {
            differences.push(format!("... {} seats differ in all", differing));
        }
        checks.push(SeatingCheck {
            seating: st.id,
            batch: st.batch_id,
            seed: st.seed.clone(),
            scope: st.scope.clone(),
            inputs_unchanged: unchanged,
            seats: stored.len(),
            matches: a == b,
            differences,
        });
    }
    // The seats in use, against every rule, for every seated candidate.
    let seated: Vec<Candidate> = inputs
        .candidates
        .iter()
        .enumerate()
        .filter(|(i, _)| inputs.status(*i) == Status::Seated)
        .map(|(_, c)| c.clone())
        .collect();
    let in_use: Vec<Seat> = inputs.seats.iter().map(SeatRow::seat).collect();
    let mut problems = seating::check(&seated, &inputs.rooms, &in_use);
    let unseated_paid = (0..inputs.rows.len())
        .filter(|&i| inputs.status(i) == Status::Paid)
        .count();
    if unseated_paid > 0 && !seatings.is_empty() {
        problems.push(format!(
            "{unseated_paid} paid candidates have no seat yet: kaowu seat add"
        ));
    }
    let ok = checks.iter().all(|c| c.matches) && problems.iter().all(|p| p.contains("seat add"));
    let report = VerifyReport {
        session: session.code.clone(),
        seatings: checks,
        seats_in_use: in_use.len(),
        problems,
        ok,
    };
    if g.json {
        print_json(&report)?;
    } else {
        if report.seatings.is_empty() {
            outln!(
                "session {} has no seating yet: kaowu seat assign",
                report.session
            )?;
        }
        for c in &report.seatings {
            outln!(
                "seating {} (batch {}, seed {}{}): {} seats; {}",
                c.seating,
                c.batch,
                c.seed,
                if c.scope.is_empty() {
                    String::new()
                } else {
                    format!(", exam area {}", c.scope)
                },
                c.seats,
                if c.matches {
                    "derived again from its seed: identical".to_string()
                } else {
                    "DIFFERS from its derivation".to_string()
                }
            )?;
            for d in &c.differences {
                outln!("  {d}")?;
            }
        }
        outln!(
            "{} seats in use; {}",
            report.seats_in_use,
            if report.problems.is_empty() {
                "every rule holds".to_string()
            } else {
                format!("{} problems:", report.problems.len())
            }
        )?;
        for p in report.problems.iter().take(50) {
            outln!("  {p}")?;
        }
    }
    if !report.ok {
        return Err(Rejected::one("seat verify", "the stored seating does not verify").into());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// add and release

async fn add(g: &GlobalArgs, confirm: &Confirm) -> Result<()> {
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let inputs = Inputs::load(&mut tx, &session).await?;
    drop(tx);
    let late: Vec<usize> = (0..inputs.rows.len())
        .filter(|&i| inputs.status(i) == Status::Paid)
        .collect();
    if late.is_empty() {
        outln!("nothing to seat: every paid candidate has a seat")?;
        return Ok(());
    }
    // Free seats per (sitting, room), and the qualifications each room already holds.
    let mut used: BTreeSet<(i64, i64, u32)> = BTreeSet::new();
    let mut holds: HashMap<(i64, i64), BTreeSet<String>> = HashMap::new();
    let cand_of: HashMap<i64, &Candidate> = inputs.candidates.iter().map(|c| (c.id, c)).collect();
    for s in &inputs.seats {
        used.insert((s.sitting_id, s.room_id, s.seat_no as u32));
        if let Some(c) = cand_of.get(&s.application_id) {
            holds
                .entry((s.sitting_id, s.room_id))
                .or_default()
                .insert(c.qualification.clone());
        }
    }
    let mut seats = Vec::new();
    let mut short: BTreeMap<(String, i64), usize> = BTreeMap::new();
    for &i in &late {
        let c = &inputs.candidates[i];
        for &sitting in &c.sittings {
            // A room already running this paper first, then any; in site and room order.
            let mut rooms: Vec<&Room> = inputs
                .rooms
                .iter()
                .filter(|r| r.exam_area == c.exam_area)
                .collect();
            rooms.sort_by_key(|r| {
                let same = holds
                    .get(&(sitting, r.id))
                    .is_some_and(|q| q.contains(&c.qualification));
                (!same, r.site_code.clone(), r.number)
            });
            let free = rooms.iter().find_map(|r| {
                r.enabled()
                    .find(|s| !used.contains(&(sitting, r.id, *s)))
                    .map(|s| (r.id, s))
            });
            match free {
                Some((room, seat)) => {
                    used.insert((sitting, room, seat));
                    holds
                        .entry((sitting, room))
                        .or_default()
                        .insert(c.qualification.clone());
                    seats.push(Seat {
                        application_id: c.id,
                        sitting_id: sitting,
                        room_id: room,
                        seat,
                    });
                }
                None => *short.entry((c.exam_area.clone(), sitting)).or_default() += 1,
            }
        }
    }
    if !short.is_empty() {
        return Err(Rejected {
            what: "seat add: not enough free seats; nothing was stored".into(),
            problems: short
                .iter()
                .map(|((area, sitting), n)| {
                    format!(
                        "exam area {area} sitting {}: {n} seats missing",
                        inputs
                            .sitting_rows
                            .get(sitting)
                            .map_or("?", |s| s.label.as_str())
                    )
                })
                .collect(),
        }
        .into());
    }
    let cards = card_numbers(&session, &inputs, &late, &seats)?;
    let mut all: Vec<(i64, String)> = inputs_cards(&db, &session).await?;
    all.extend(cards.iter().cloned());
    check_cards_unique(&session, &inputs, &all, &late)?;
    let text = format!(
        "seat add: {} late candidates, {} seats{}",
        late.len(),
        seats.len(),
        if confirm.dry_run { " (dry run)" } else { "" }
    );
    outln!("{text}")?;
    for s in seats.iter().take(5) {
        outln!(
            "  {} {}",
            cand_of[&s.application_id].registration_no,
            inputs.describe(s)
        )?;
    }
    if confirm.dry_run {
        return Ok(());
    }
    if !confirm.yes && !ask(&format!("seat {} candidates?", late.len()))? {
        outln!("nothing changed")?;
        return Ok(());
    }
    let (mut tx, batch) = open_batch(&db, &session, g, "seat-add", None).await?;
    tx.insert_seats(batch, None, &seats).await?;
    tx.set_cards(session.id, batch, &cards).await?;
    let list: Vec<(i64, i64)> = late
        .iter()
        .map(|&i| (inputs.rows[i].id, inputs.rows[i].version))
        .collect();
    let (_, missed) = tx
        .transition(batch, &list, "paid", "seated", "seat add", "")
        .await?;
    if !missed.is_empty() {
        bail!(
            "{} candidates changed meanwhile; nothing was stored, run it again",
            missed.len()
        );
    }
    let card_of: HashMap<i64, &str> = cards.iter().map(|(id, n)| (*id, n.as_str())).collect();
    let journal: Vec<JournalEntry> = seats
        .iter()
        .map(|s| {
            (
                s.application_id,
                "seat",
                None,
                Some(format!(
                    "{}; 准考证号 {}",
                    inputs.describe(s),
                    card_of.get(&s.application_id).unwrap_or(&"")
                )),
                "seat add".to_string(),
            )
        })
        .collect();
    tx.journal_many(batch, &journal).await?;
    tx.set_batch_summary(batch, &format!("seat add: {} candidates", late.len()))
        .await?;
    tx.commit().await?;
    outln!(
        "batch {batch}: {} late candidates seated; undo with: kaowu review undo {batch}",
        late.len()
    )?;
    Ok(())
}

async fn inputs_cards(db: &crate::db::Db, session: &SessionRow) -> Result<Vec<(i64, String)>> {
    let mut tx = db.begin().await?;
    let cards = tx.cards(session.id).await?;
    Ok(cards.into_iter().map(|(id, n, _)| (id, n)).collect())
}

async fn release(g: &GlobalArgs, no: &str, reason: &str, confirm: &Confirm) -> Result<()> {
    let what = format!("seat release {no}");
    if reason.trim().is_empty() {
        return Err(Rejected::one(what, "--reason must say why").into());
    }
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let inputs = Inputs::load(&mut tx, &session).await?;
    drop(tx);
    let Some(i) = inputs.rows.iter().position(|r| r.registration_no == no) else {
        return Err(Rejected::one(what, format!("{no} is not a paid or seated candidate")).into());
    };
    if inputs.status(i) != Status::Seated {
        return Err(Rejected::one(what, format!("{no} has no seat")).into());
    }
    let r = &inputs.rows[i];
    outln!(
        "seat release: {no} {} seated -> paid, its seats and admit-card number released{}",
        r.name,
        if confirm.dry_run { " (dry run)" } else { "" }
    )?;
    if confirm.dry_run {
        return Ok(());
    }
    if !confirm.yes && !ask(&format!("release the seats of {no}?"))? {
        outln!("nothing changed")?;
        return Ok(());
    }
    let (mut tx, batch) = open_batch(&db, &session, g, "seat-release", None).await?;
    let (_, missed) = tx
        .transition(
            batch,
            &[(r.id, r.version)],
            "seated",
            "paid",
            reason.trim(),
            "",
        )
        .await?;
    if !missed.is_empty() {
        bail!("{no} changed meanwhile; nothing was changed");
    }
    tx.release_seats(batch, &[r.id]).await?;
    tx.drop_cards(&[r.id]).await?;
    tx.journal(batch, r.id, "seat", Some("seated"), None, reason.trim())
        .await?;
    tx.set_batch_summary(batch, &format!("seat release {no}"))
        .await?;
    tx.commit().await?;
    outln!("batch {batch}: the seats of {no} were released; seat it again with kaowu seat add")?;
    Ok(())
}
