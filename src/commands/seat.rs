//! `kaowu seat assign|verify|add|release`: seating (编排) the paid candidates and numbering
//! their admit cards, reproducibly, all or nothing, with the journal and undo of every bulk
//! change.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use anyhow::{Result, bail};
use serde::Serialize;

use super::batch::{Change, Written, apply};
use super::{Ctx, Rejected, connect, current_session, now, print_json};
use crate::cli::{Confirm, GlobalArgs, SeatCommand};
use crate::db::Tx;
use crate::db::payments::JournalEntry;
use crate::db::seating::{NewSeating, RoomIdRow, SeatCandidate, SeatRow, SeatingRow, SittingRow};
use crate::db::sessions::SessionRow;
use crate::model::application::Status;
use crate::model::fee::match_area;
use crate::model::level::Level;
use crate::model::seating::{
    self, Candidate, CardFields, Kept, Method, Options, Room, Seat, Shortage, Sitting, SplitNeed,
    Unseatable,
};
use crate::model::session::{CardTemplate, SessionCode};
use crate::model::site::parse_seat_list;

pub async fn run(g: &GlobalArgs, cmd: &SeatCommand) -> Result<()> {
    match cmd {
        SeatCommand::Assign {
            seed,
            reseat,
            allow_split,
            confirm,
        } => {
            let options = Options {
                allow_split: *allow_split,
            };
            assign(g, *seed, reseat.as_deref(), options, confirm).await
        }
        SeatCommand::Verify => verify(g).await,
        SeatCommand::Add {
            allow_split,
            confirm,
        } => {
            let options = Options {
                allow_split: *allow_split,
            };
            add(g, options, confirm).await
        }
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
    /// (exam area, site code) -> the site's number in its area (1-based, in code order).
    site_no: BTreeMap<(String, String), u32>,
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
        let sites: BTreeSet<(String, String)> = room_list
            .iter()
            .map(|r| (r.exam_area.clone(), r.site_code.clone()))
            .collect();
        let mut site_no = BTreeMap::new();
        let mut n = 0;
        let mut last_area = None;
        for (area, code) in sites {
            if last_area.as_ref() != Some(&area) {
                n = 0;
                last_area = Some(area.clone());
            }
            n += 1;
            site_no.insert((area, code), n);
        }
        let seats = tx.seat_rows(session.id, false).await?;
        Ok(Inputs {
            rows,
            candidates,
            rooms,
            room_rows: room_list.into_iter().map(|r| (r.id, r)).collect(),
            sittings,
            sitting_rows: sitting_rows.into_iter().map(|s| (s.id, s)).collect(),
            area_no,
            site_no,
            seats,
        })
    }

    fn status(&self, i: usize) -> Status {
        Status::parse(&self.rows[i].status).unwrap_or(Status::Paid)
    }

    /// The candidates the office let sit at more than one site (their seats in use say so).
    fn split_allowed(&self) -> HashSet<i64> {
        self.seats
            .iter()
            .filter(|s| s.split_allowed != 0)
            .map(|s| s.application_id)
            .collect()
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
/// When the template cannot hold what was imported, one error says which fields are too
/// narrow and gives a template that fits, as a `session set` line to paste.
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
    let fields: Vec<(i64, CardFields<'_>)> = seated
        .iter()
        .filter_map(|&i| {
            let c = &inputs.candidates[i];
            let s = first.get(&c.id)?;
            let room = &inputs.room_rows[&s.room_id];
            Some((
                c.id,
                CardFields {
                    year: code.as_ref().map_or(2000, |c| u32::from(c.year)),
                    half: code.as_ref().map_or(1, |c| c.half),
                    area: inputs.area_no.get(&c.exam_area).copied().unwrap_or(0),
                    site_code: &room.site_code,
                    site_no: inputs
                        .site_no
                        .get(&(room.exam_area.clone(), room.site_code.clone()))
                        .copied()
                        .unwrap_or(0),
                    room: room.number as u32,
                    seat: s.seat,
                    sitting: order[&s.sitting_id],
                    level: c.level,
                    seq: rank[&c.id],
                },
            ))
        })
        .collect();
    let mut out = Vec::with_capacity(fields.len());
    for (id, f) in &fields {
        match seating::card_number(&template, f) {
            Ok(n) => out.push((*id, n)),
            Err(_) => break,
        }
    }
    if out.len() == fields.len() {
        return Ok(out);
    }
    let (misfits, fit) = seating::fit_template(&template, fields.into_iter().map(|(_, f)| f))
        .ok_or_else(|| anyhow::anyhow!("an admit-card number failed, but every field fits"))?;
    let mut problems: Vec<String> = misfits
        .iter()
        .map(|m| {
            format!(
                "{{{}{}}}: {} numbers need {} characters (e.g. {})",
                m.field, m.width, m.numbers, m.needed, m.example
            )
        })
        .collect();
    problems.push(format!(
        "set a template that fits, e.g.: kaowu session set --card-number-template '{fit}'{}",
        if misfits.iter().any(|m| m.field == "site") {
            " ({siteno3} is the site's number in its exam area; {site4} would print the code)"
        } else {
            ""
        }
    ));
    Err(Rejected {
        what: format!(
            "admit-card numbers: the template {} does not fit the session's sites and rooms",
            session.card_number_template
        ),
        problems,
    }
    .into())
}

/// The message of a run that cannot seat everyone, naming what is missing.
fn unseatable(what: &str, e: &Unseatable, retry: &str) -> Rejected {
    match e {
        Unseatable::Shortage(short) => Rejected {
            what: format!("{what}: not enough seats; nothing was stored"),
            problems: short.iter().map(shortage_text).collect(),
        },
        Unseatable::Split(needs) => {
            let mut problems: Vec<String> = needs.iter().map(split_text).collect();
            problems.push(format!(
                "add rooms to a site of the area (kaowu import sites), or let these candidates sit at two sites: {retry} --allow-split"
            ));
            Rejected {
                what: format!(
                    "{what}: some candidates cannot sit all their sittings at one site; nothing was stored"
                ),
                problems,
            }
        }
    }
}

fn shortage_text(s: &Shortage) -> String {
    if s.seats == 0 {
        // `seat add`: what is free is nothing, in that sitting.
        return format!(
            "exam area {} sitting {}: {} seats missing",
            s.exam_area, s.sitting, s.candidates
        );
    }
    format!(
        "exam area {} sitting {}: {} candidates, {} usable seats: {} seats missing",
        s.exam_area,
        s.sitting,
        s.candidates,
        s.seats,
        s.candidates - s.seats
    )
}

fn split_text(n: &SplitNeed) -> String {
    let free: Vec<String> = n
        .free
        .iter()
        .map(|(site, f)| {
            let each: Vec<String> = f.iter().map(usize::to_string).collect();
            format!("{site} {}", each.join("+"))
        })
        .collect();
    format!(
        "exam area {} sittings {}: {} candidates have no site with a free seat in each; free seats per site ({}): {}",
        n.exam_area,
        n.sittings.join("+"),
        n.candidates,
        n.sittings.join("+"),
        free.join(", ")
    )
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
    /// Of the candidates with more than one sitting, those at one site and in one seat.
    kept: Kept,
    allow_split: bool,
    /// Candidates seated at more than one site with the office's leave.
    split: usize,
}

/// `candidates with more than one sitting: 699; at one site: 699 (100.0%); in one room and
/// seat all day: 699 (100.0%)`.
fn kept_text(k: &Kept) -> String {
    let share = |n: usize| {
        if k.candidates == 0 {
            String::new()
        } else {
            format!(" ({:.1}%)", n as f64 * 100.0 / k.candidates as f64)
        }
    };
    format!(
        "candidates with more than one sitting: {}; at one site: {}{}; in one room and seat all day: {}{}",
        k.candidates,
        k.one_site,
        share(k.one_site),
        k.same_seat,
        share(k.same_seat)
    )
}

async fn assign(
    g: &GlobalArgs,
    seed: Option<u64>,
    reseat: Option<&str>,
    options: Options,
    confirm: &Confirm,
) -> Result<()> {
    let what = "seat assign";
    let cx = Ctx::open(g).await?;
    let session = &cx.session;
    let mut tx = cx.db.begin().await?;
    let inputs = Inputs::load(&mut tx, session).await?;
    drop(tx);
    let scope = scope(what, reseat, &inputs, session)?;
    let chosen = choose(what, &inputs, &scope)?;
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
    let retry = format!(
        "kaowu seat assign --seed {seed}{}",
        if scope.is_empty() {
            String::new()
        } else {
            format!(" --reseat {scope}")
        }
    );
    let placement = seating::assign(&cands, &rooms, &inputs.sittings, seed, options)
        .map_err(|e| unseatable(what, &e, &retry))?;
    let seats = &placement.seats;
    let split: HashSet<i64> = placement.split.iter().copied().collect();
    let problems = seating::check(&cands, &rooms, &inputs.sittings, seats, &split);
    if !problems.is_empty() {
        bail!(
            "the derived seating breaks its rules (a bug; nothing was stored): {}",
            problems.join("; ")
        );
    }
    let cards = card_numbers(session, &inputs, &chosen, seats)?;
    check_cards_unique(session, &cards, &chosen)?;

    let (by_area, mixed_rooms) = count_by_area(&cands, seats);
    let report = AssignReport {
        session: session.code.clone(),
        dry_run: confirm.dry_run,
        batch: None,
        seed: seed.to_string(),
        fingerprint: fingerprint.clone(),
        scope: scope.clone(),
        candidates: cands.len(),
        seats: seats.len(),
        by_exam_area: by_area,
        mixed_rooms,
        kept: seating::kept(&rooms, seats),
        allow_split: options.allow_split,
        split: placement.split.len(),
    };
    let text = preview_text(&report, &inputs, &cands, seats, &cards);
    let mut change = Assign {
        session_id: session.id,
        inputs,
        chosen,
        scope,
        seed,
        fingerprint,
        options,
        placement,
        cards,
        shown: text,
        report,
    };
    apply(&cx, &mut change, confirm).await
}

/// The exam area the seating is for: none (every paid candidate, refused if the session
/// is seated already), or with `--reseat` an exam area with sites.
fn scope(
    what: &str,
    reseat: Option<&str>,
    inputs: &Inputs,
    session: &SessionRow,
) -> Result<String> {
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
    Ok(scope)
}

/// The candidates: every paid one, or with `--reseat` everyone paid or seated in the area,
/// as indexes into `inputs`; refused if any has no sitting in the plan.
fn choose(what: &str, inputs: &Inputs, scope: &str) -> Result<Vec<usize>> {
    let chosen: Vec<usize> = (0..inputs.rows.len())
        .filter(|&i| {
            if scope.is_empty() {
                inputs.status(i) == Status::Paid
            } else {
                inputs.candidates[i].exam_area == scope
            }
        })
        .collect();
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
    Ok(chosen)
}

/// Candidates, seats and rooms per exam area, and how many rooms hold more than one
/// qualification in a sitting.
fn count_by_area(cands: &[Candidate], seats: &[Seat]) -> (BTreeMap<String, AreaCount>, usize) {
    let mut by_area: BTreeMap<String, AreaCount> = BTreeMap::new();
    let mut rooms_used: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
    let mut quals_in: HashMap<(i64, i64), BTreeSet<&str>> = HashMap::new();
    let cand_of: HashMap<i64, &Candidate> = cands.iter().map(|c| (c.id, c)).collect();
    for c in cands {
        by_area.entry(c.exam_area.clone()).or_default().candidates += 1;
    }
    for s in seats {
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
    (by_area, quals_in.values().filter(|q| q.len() > 1).count())
}

/// The preview after its first line: the counts per exam area, mixed and kept rooms, the
/// split candidates, and the first few seats as examples.
fn preview_text(
    report: &AssignReport,
    inputs: &Inputs,
    cands: &[Candidate],
    seats: &[Seat],
    cards: &[(i64, String)],
) -> String {
    let cand_of: HashMap<i64, &Candidate> = cands.iter().map(|c| (c.id, c)).collect();
    let mut text = String::new();
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
    text.push_str(&format!("  {}\n", kept_text(&report.kept)));
    if report.split > 0 {
        text.push_str(&format!(
            "  seated at two sites with leave (--allow-split): {}; their cards name each site\n",
            report.split
        ));
    }
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
    text
}

/// A seating as a change: the seats of every chosen candidate, their admit-card numbers, and
/// each paid one moved to seated.
struct Assign {
    session_id: i64,
    inputs: Inputs,
    /// Indexes into `inputs` of the candidates seated.
    chosen: Vec<usize>,
    scope: String,
    seed: u64,
    fingerprint: String,
    options: Options,
    placement: seating::Placement,
    cards: Vec<(i64, String)>,
    /// The preview after its first line.
    shown: String,
    report: AssignReport,
}

impl Change for Assign {
    type Report = AssignReport;

    fn kind(&self) -> String {
        if self.scope.is_empty() {
            "seat-assign".to_string()
        } else {
            "seat-reseat".to_string()
        }
    }

    fn size(&self) -> usize {
        self.chosen.len()
    }

    fn preview(&self, dry_run: bool) -> String {
        if self.chosen.is_empty() {
            return String::new();
        }
        format!(
            "seat assign{}: {} candidates, {} seats, seed {}{}\n{}",
            if self.scope.is_empty() {
                String::new()
            } else {
                format!(" --reseat {}", self.scope)
            },
            self.report.candidates,
            self.report.seats,
            self.seed,
            if dry_run { " (dry run)" } else { "" },
            self.shown
        )
    }

    fn nothing(&self) -> String {
        format!(
            "nothing to seat: no paid candidates{}",
            if self.scope.is_empty() {
                String::new()
            } else {
                format!(" in {}", self.scope)
            }
        )
    }

    fn question(&self) -> String {
        format!("seat {} candidates?", self.chosen.len())
    }

    async fn write(&mut self, tx: &mut Tx, batch: i64) -> Result<Written> {
        let (inputs, seed, scope) = (&self.inputs, self.seed, self.scope.as_str());
        let seats = &self.placement.seats;
        let ids: Vec<i64> = self.chosen.iter().map(|&i| inputs.rows[i].id).collect();
        // What is in use now must be what was read: a second operator's seating waits here.
        let now_in_use = tx.seat_rows(self.session_id, false).await?;
        if now_in_use.len() != inputs.seats.len() {
            bail!(
                "the seating changed while this one was prepared; nothing was stored, run it again"
            );
        }
        if !scope.is_empty() {
            tx.release_seats(batch, &ids).await?;
        }
        let seating_id = tx
            .insert_seating(
                self.session_id,
                batch,
                &NewSeating {
                    seed,
                    fingerprint: &self.fingerprint,
                    scope,
                    at: now(),
                    method: Method::Day,
                    allow_split: self.options.allow_split,
                },
            )
            .await?;
        tx.insert_seats(batch, Some(seating_id), seats, &self.placement.split)
            .await?;
        tx.set_cards(self.session_id, batch, &self.cards).await?;
        let reason = format!(
            "seat assign, seed {seed}{}",
            if self.options.allow_split {
                ", --allow-split"
            } else {
                ""
            }
        );
        let paid: Vec<(i64, i64)> = self
            .chosen
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
        let card_of: HashMap<i64, &str> =
            self.cards.iter().map(|(id, n)| (*id, n.as_str())).collect();
        let split: HashSet<i64> = self.placement.split.iter().copied().collect();
        let journal = seat_journal(inputs, seats, &card_of, &split, &reason);
        tx.journal_many(batch, &journal).await?;
        tx.analyze(&["seats", "admit_cards", "application_states", "journal"])
            .await?;
        Ok(Written {
            summary: format!(
                "seat {}{}: {} candidates, {} seats, seed {seed}{}",
                if scope.is_empty() {
                    "assign"
                } else {
                    "reseat "
                },
                scope,
                self.chosen.len(),
                seats.len(),
                if split.is_empty() {
                    String::new()
                } else {
                    format!(", {} at two sites with leave", split.len())
                }
            ),
            // Every candidate is seated (a reseat moves none to seated).
            changed: self.chosen.len().max(moved),
            analyze: Vec::new(),
        })
    }

    fn report(&mut self, dry_run: bool, batch: Option<i64>) -> &AssignReport {
        self.report.dry_run = dry_run;
        self.report.batch = batch;
        &self.report
    }

    fn done(&self, batch: i64, _: &Written) -> String {
        let moved = self
            .chosen
            .iter()
            .filter(|&&i| self.inputs.status(i) == Status::Paid)
            .count();
        format!(
            "batch {batch}: {} candidates seated ({moved} newly), seed {}; check with: kaowu seat verify",
            self.chosen.len(),
            self.seed
        )
    }
}

/// The journal of seats placed: each seat with its admit-card number; a candidate seated at
/// two sites with leave says so.
fn seat_journal(
    inputs: &Inputs,
    seats: &[Seat],
    card_of: &HashMap<i64, &str>,
    split: &HashSet<i64>,
    reason: &str,
) -> Vec<JournalEntry> {
    seats
        .iter()
        .map(|s| {
            (
                s.application_id,
                "seat",
                None,
                Some(format!(
                    "{}; 准考证号 {}{}",
                    inputs.describe(s),
                    card_of.get(&s.application_id).unwrap_or(&""),
                    if split.contains(&s.application_id) {
                        "; 考点分开 (--allow-split)"
                    } else {
                        ""
                    }
                )),
                reason.to_string(),
            )
        })
        .collect()
}

/// Admit-card numbers must be unique in the session, against the cards others keep.
fn check_cards_unique(
    session: &SessionRow,
    cards: &[(i64, String)],
    chosen: &[usize],
) -> Result<()> {
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
    /// 1: each sitting drawn on its own (before one site a day); 2: a candidate's sittings
    /// planned at once.
    method: i64,
    allow_split: bool,
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
    /// Of the seated candidates with more than one sitting, those at one site and in one
    /// seat.
    kept: Kept,
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
    let checks: Vec<SeatingCheck> = seatings
        .iter()
        .map(|st| check_seating(st, &inputs, &index, &all_seats))
        .collect();
    let in_use: Vec<Seat> = inputs.seats.iter().map(SeatRow::seat).collect();
    let problems = rule_problems(&inputs, &checks, &in_use, !seatings.is_empty());
    let ok = checks.iter().all(|c| c.matches) && problems.iter().all(|p| p.contains("seat add"));
    let report = VerifyReport {
        session: session.code.clone(),
        seatings: checks,
        seats_in_use: in_use.len(),
        kept: seating::kept(&inputs.rooms, &in_use),
        problems,
        ok,
    };
    if g.json {
        print_json(&report)?;
    } else {
        print_verify(&report)?;
    }
    if !report.ok {
        return Err(Rejected::one("seat verify", "the stored seating does not verify").into());
    }
    Ok(())
}

/// Derives a stored seating again from its seed and inputs, and compares the seats.
fn check_seating(
    st: &SeatingRow,
    inputs: &Inputs,
    index: &HashMap<i64, usize>,
    all_seats: &[SeatRow],
) -> SeatingCheck {
    let mine: Vec<&SeatRow> = all_seats
        .iter()
        .filter(|s| s.seating_id == Some(st.id))
        .collect();
    let mut stored: Vec<Seat> = mine.iter().map(|s| s.seat()).collect();
    stored.sort();
    let stored_split: BTreeSet<i64> = mine
        .iter()
        .filter(|s| s.split_allowed != 0)
        .map(|s| s.application_id)
        .collect();
    let ids: BTreeSet<i64> = stored.iter().map(|s| s.application_id).collect();
    let mut differences = Vec::new();
    let cands: Vec<Candidate> = ids
        .iter()
        .filter_map(|id| {
            if let Some(&i) = index.get(id) {
                Some(inputs.candidates[i].clone())
            } else {
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
    let options = Options {
        allow_split: st.allow_split != 0,
    };
    let derived = if let Some(m) = Method::from_stored(st.method) {
        seating::derive(m, &cands, &rooms, &inputs.sittings, seed, options).unwrap_or_default()
    } else {
        differences.push(format!(
            "made by method {}, which this kaowu does not know: verify it with a newer kaowu",
            st.method
        ));
        Default::default()
    };
    if !unchanged && differences.is_empty() {
        differences.push(
            "its inputs changed since (a candidate's exam area, qualification or subjects, or the rooms): the derivation below uses today's"
                .into(),
        );
    }
    let matches = compare_seats(&stored, &derived, &stored_split, &mut differences);
    SeatingCheck {
        seating: st.id,
        batch: st.batch_id,
        seed: st.seed.clone(),
        scope: st.scope.clone(),
        method: st.method,
        allow_split: options.allow_split,
        inputs_unchanged: unchanged,
        seats: stored.len(),
        matches,
        differences,
    }
}

/// Adds to `differences` how the stored seats and those derived again differ (the first
/// ten seats, then how many in all, or who is split); true when they match.
fn compare_seats(
    stored: &[Seat],
    derived: &seating::Placement,
    stored_split: &BTreeSet<i64>,
    differences: &mut Vec<String>,
) -> bool {
    let a: BTreeSet<&Seat> = stored.iter().collect();
    let b: BTreeSet<&Seat> = derived.seats.iter().collect();
    let differing = a.symmetric_difference(&b).count();
    for s in a.symmetric_difference(&b).take(10) {
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
    if differing > 10 {
        differences.push(format!("... {differing} seats differ in all"));
    }
    let derived_split: BTreeSet<i64> = derived.split.iter().copied().collect();
    if a == b && *stored_split != derived_split {
        differences.push(format!(
            "candidates seated at two sites with leave: {} stored, {} derived",
            stored_split.len(),
            derived_split.len()
        ));
    }
    a == b && *stored_split == derived_split
}

/// The seats in use, against every rule, for every seated candidate, and the paid
/// candidates still without a seat.
fn rule_problems(
    inputs: &Inputs,
    checks: &[SeatingCheck],
    in_use: &[Seat],
    seated_before: bool,
) -> Vec<String> {
    let seated: Vec<Candidate> = inputs
        .candidates
        .iter()
        .enumerate()
        .filter(|(i, _)| inputs.status(*i) == Status::Seated)
        .map(|(_, c)| c.clone())
        .collect();
    let mut problems = seating::check(
        &seated,
        &inputs.rooms,
        &inputs.sittings,
        in_use,
        &inputs.split_allowed(),
    );
    if checks.iter().any(|c| c.method == Method::PerSitting as i64)
        && problems.iter().any(|p| p.contains(" sites ("))
    {
        problems.push(
            "a seating made before the rule of one site a day drew each sitting on its own: seat those exam areas again with kaowu seat assign --reseat AREA".into(),
        );
    }
    let unseated_paid = (0..inputs.rows.len())
        .filter(|&i| inputs.status(i) == Status::Paid)
        .count();
    if unseated_paid > 0 && seated_before {
        problems.push(format!(
            "{unseated_paid} paid candidates have no seat yet: kaowu seat add"
        ));
    }
    problems
}

/// Prints each seating's check and its differences, the kept rooms, and the problems.
fn print_verify(report: &VerifyReport) -> Result<()> {
    if report.seatings.is_empty() {
        outln!(
            "session {} has no seating yet: kaowu seat assign",
            report.session
        )?;
    }
    for c in &report.seatings {
        outln!(
            "seating {} (batch {}, seed {}{}{}): {} seats; {}",
            c.seating,
            c.batch,
            c.seed,
            if c.scope.is_empty() {
                String::new()
            } else {
                format!(", exam area {}", c.scope)
            },
            if c.allow_split { ", --allow-split" } else { "" },
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
    if report.kept.candidates > 0 {
        outln!("{}", kept_text(&report.kept))?;
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
    Ok(())
}

// ---------------------------------------------------------------------------------------
// add and release

async fn add(g: &GlobalArgs, options: Options, confirm: &Confirm) -> Result<()> {
    let cx = Ctx::open(g).await?;
    let session = &cx.session;
    let mut tx = cx.db.begin().await?;
    let inputs = Inputs::load(&mut tx, session).await?;
    drop(tx);
    let late: Vec<usize> = (0..inputs.rows.len())
        .filter(|&i| inputs.status(i) == Status::Paid)
        .collect();
    let placement = if late.is_empty() {
        seating::Placement {
            seats: Vec::new(),
            split: Vec::new(),
        }
    } else {
        let late_cands: Vec<&Candidate> = late.iter().map(|&i| &inputs.candidates[i]).collect();
        let seated: Vec<Candidate> = (0..inputs.rows.len())
            .filter(|&i| inputs.status(i) == Status::Seated)
            .map(|i| inputs.candidates[i].clone())
            .collect();
        let in_use: Vec<Seat> = inputs.seats.iter().map(SeatRow::seat).collect();
        seating::place_late(
            &late_cands,
            &seated,
            &inputs.rooms,
            &inputs.sittings,
            &in_use,
            options,
        )
        .map_err(|e| unseatable("seat add", &e, "kaowu seat add"))?
    };
    let cards = card_numbers(session, &inputs, &late, &placement.seats)?;
    let mut all: Vec<(i64, String)> = inputs_cards(&cx.db, session).await?;
    all.extend(cards.iter().cloned());
    check_cards_unique(session, &all, &late)?;
    let report = AddReport {
        session: session.code.clone(),
        dry_run: confirm.dry_run,
        batch: None,
        candidates: late.len(),
        seats: placement.seats.len(),
        split: placement.split.len(),
    };
    let mut change = AddLate {
        session_id: session.id,
        inputs,
        late,
        options,
        placement,
        cards,
        report,
    };
    apply(&cx, &mut change, confirm).await
}

#[derive(Serialize)]
struct AddReport {
    session: String,
    dry_run: bool,
    batch: Option<i64>,
    /// Late candidates seated (paid after the seating).
    candidates: usize,
    seats: usize,
    /// Of them, seated at two sites with the office's leave.
    split: usize,
}

/// Seating the late payers in the free seats, without moving anyone seated.
struct AddLate {
    session_id: i64,
    inputs: Inputs,
    /// Indexes into `inputs` of the late candidates.
    late: Vec<usize>,
    options: Options,
    placement: seating::Placement,
    cards: Vec<(i64, String)>,
    report: AddReport,
}

impl Change for AddLate {
    type Report = AddReport;

    fn kind(&self) -> String {
        "seat-add".to_string()
    }

    fn size(&self) -> usize {
        self.late.len()
    }

    fn preview(&self, dry_run: bool) -> String {
        if self.late.is_empty() {
            return String::new();
        }
        let mut text = format!(
            "seat add: {} late candidates, {} seats{}\n",
            self.late.len(),
            self.placement.seats.len(),
            if dry_run { " (dry run)" } else { "" }
        );
        if !self.placement.split.is_empty() {
            text.push_str(&format!(
                "  seated at two sites with leave (--allow-split): {}\n",
                self.placement.split.len()
            ));
        }
        let no_of: HashMap<i64, &str> = self
            .inputs
            .candidates
            .iter()
            .map(|c| (c.id, c.registration_no.as_str()))
            .collect();
        for s in self.placement.seats.iter().take(5) {
            text.push_str(&format!(
                "  {} {}\n",
                no_of[&s.application_id],
                self.inputs.describe(s)
            ));
        }
        text
    }

    fn nothing(&self) -> String {
        "nothing to seat: every paid candidate has a seat".to_string()
    }

    fn question(&self) -> String {
        format!("seat {} candidates?", self.late.len())
    }

    async fn write(&mut self, tx: &mut Tx, batch: i64) -> Result<Written> {
        let (inputs, seats) = (&self.inputs, &self.placement.seats);
        tx.insert_seats(batch, None, seats, &self.placement.split)
            .await?;
        tx.set_cards(self.session_id, batch, &self.cards).await?;
        let list: Vec<(i64, i64)> = self
            .late
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
        let card_of: HashMap<i64, &str> =
            self.cards.iter().map(|(id, n)| (*id, n.as_str())).collect();
        let split: HashSet<i64> = self.placement.split.iter().copied().collect();
        let reason = if self.options.allow_split {
            "seat add, --allow-split"
        } else {
            "seat add"
        };
        let journal = seat_journal(inputs, seats, &card_of, &split, reason);
        tx.journal_many(batch, &journal).await?;
        Ok(Written {
            summary: format!("seat add: {} candidates", self.late.len()),
            changed: self.late.len(),
            analyze: vec![(
                self.late.len(),
                &["seats", "admit_cards", "application_states"],
            )],
        })
    }

    fn report(&mut self, dry_run: bool, batch: Option<i64>) -> &AddReport {
        self.report.dry_run = dry_run;
        self.report.batch = batch;
        &self.report
    }

    fn done(&self, batch: i64, _: &Written) -> String {
        format!(
            "batch {batch}: {} late candidates seated; undo with: kaowu review undo {batch}",
            self.late.len()
        )
    }
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
    let cx = Ctx::open(g).await?;
    let mut tx = cx.db.begin().await?;
    let inputs = Inputs::load(&mut tx, &cx.session).await?;
    drop(tx);
    let Some(i) = inputs.rows.iter().position(|r| r.registration_no == no) else {
        return Err(Rejected::one(what, format!("{no} is not a paid or seated candidate")).into());
    };
    if inputs.status(i) != Status::Seated {
        return Err(Rejected::one(what, format!("{no} has no seat")).into());
    }
    let r = &inputs.rows[i];
    let mut change = Release {
        id: r.id,
        version: r.version,
        name: r.name.clone(),
        reason: reason.trim().to_string(),
        report: ReleaseReport {
            session: cx.session.code.clone(),
            registration_no: no.to_string(),
            dry_run: confirm.dry_run,
            batch: None,
        },
    };
    apply(&cx, &mut change, confirm).await
}

#[derive(Serialize)]
struct ReleaseReport {
    session: String,
    registration_no: String,
    dry_run: bool,
    batch: Option<i64>,
}

/// Releasing one candidate's seats and admit-card number: seated goes back to paid.
struct Release {
    id: i64,
    version: i64,
    name: String,
    reason: String,
    report: ReleaseReport,
}

impl Change for Release {
    type Report = ReleaseReport;

    fn kind(&self) -> String {
        "seat-release".to_string()
    }

    fn size(&self) -> usize {
        1
    }

    fn preview(&self, dry_run: bool) -> String {
        format!(
            "seat release: {} {} seated -> paid, its seats and admit-card number released{}\n",
            self.report.registration_no,
            self.name,
            if dry_run { " (dry run)" } else { "" }
        )
    }

    fn question(&self) -> String {
        format!("release the seats of {}?", self.report.registration_no)
    }

    async fn write(&mut self, tx: &mut Tx, batch: i64) -> Result<Written> {
        let no = &self.report.registration_no;
        let (_, missed) = tx
            .transition(
                batch,
                &[(self.id, self.version)],
                "seated",
                "paid",
                &self.reason,
                "",
            )
            .await?;
        if !missed.is_empty() {
            bail!("{no} changed meanwhile; nothing was changed");
        }
        tx.release_seats(batch, &[self.id]).await?;
        tx.drop_cards(&[self.id]).await?;
        tx.journal(batch, self.id, "seat", Some("seated"), None, &self.reason)
            .await?;
        Ok(Written {
            summary: format!("seat release {no}"),
            changed: 1,
            analyze: Vec::new(),
        })
    }

    fn report(&mut self, dry_run: bool, batch: Option<i64>) -> &ReleaseReport {
        self.report.dry_run = dry_run;
        self.report.batch = batch;
        &self.report
    }

    fn done(&self, batch: i64, _: &Written) -> String {
        format!(
            "batch {batch}: the seats of {} were released; seat it again with kaowu seat add",
            self.report.registration_no
        )
    }
}
