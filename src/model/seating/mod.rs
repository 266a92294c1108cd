//! Seating (编排): every paid candidate gets a seat for each of their sittings, in a room of
//! a site of the exam area they chose, at random but reproducibly, and an admit-card number
//! (准考证号) from the session's template. Pure: the same inputs and seed give the same
//! seating on any machine, so a dispute can be settled by deriving it again.
//!
//! A candidate sits all their sittings at one site, and where the rooms allow in the same
//! room and seat ([`day`]); the first method drew each sitting on its own and is kept only
//! to verify seatings it stored ([`per_sitting`]).

pub mod card_number;
pub mod day;
pub mod per_sitting;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::Serialize;

pub use card_number::{CardFields, Misfit, card_number, fit_template};
pub use day::{assign, place_late};

/// SplitMix64 (Steele, Lea and Flood, 2014), written out here rather than taken from a
/// crate: a seating must be derivable again years later, and a crate may change its
/// generator between versions. Its output for a seed is fixed by these few lines.
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform number below `n` (Lemire's multiply-shift with rejection).
    pub fn below(&mut self, n: u64) -> u64 {
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = u128::from(self.next_u64()) * u128::from(n);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }

    /// Fisher-Yates.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

/// A paid candidate to seat.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: i64,
    pub registration_no: String,
    pub exam_area: String,
    pub qualification: String,
    /// 1 初级, 2 中级, 3 高级.
    pub level: u8,
    /// The sittings (ids) of the candidate's subjects, ascending.
    pub sittings: Vec<i64>,
}

/// A room, usable in every sitting.
#[derive(Debug, Clone)]
pub struct Room {
    pub id: i64,
    pub exam_area: String,
    pub site_code: String,
    pub number: u32,
    pub seats: u32,
    /// Sorted.
    pub disabled: Vec<u32>,
}

impl Room {
    pub fn enabled(&self) -> impl Iterator<Item = u32> + '_ {
        (1..=self.seats).filter(|s| self.disabled.binary_search(s).is_err())
    }
}

/// A sitting, by id, with its label and its place in exam order (1-based).
#[derive(Debug, Clone)]
pub struct Sitting {
    pub id: i64,
    pub label: String,
    pub order: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Seat {
    pub application_id: i64,
    pub sitting_id: i64,
    pub room_id: i64,
    pub seat: u32,
}

/// An exam area with fewer seats than candidates in a sitting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shortage {
    pub exam_area: String,
    pub sitting: String,
    pub candidates: usize,
    pub seats: usize,
}

/// Which method derived a seating; stored with it, so that `seat verify` derives it again
/// the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Method {
    /// Each sitting drawn on its own (seatings stored before the rule of one site a day).
    PerSitting = 1,
    /// All of a candidate's sittings planned at once: one site, the same seat where possible.
    Day = 2,
}

impl Method {
    pub fn from_stored(n: i64) -> Option<Method> {
        match n {
            1 => Some(Method::PerSitting),
            2 => Some(Method::Day),
            _ => None,
        }
    }
}

/// What an office may allow when it seats.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Seat a candidate at another site in some sittings when no site of the area has a
    /// seat for all of them (`--allow-split`); off, such a candidate stops the run.
    pub allow_split: bool,
}

/// Candidates of an exam area who cannot sit all their sittings at one site: with the free
/// seats each site has left in those sittings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SplitNeed {
    pub exam_area: String,
    /// The sittings they take, in exam order.
    pub sittings: Vec<String>,
    pub candidates: usize,
    /// Per site code: its free seats in each of those sittings.
    pub free: Vec<(String, Vec<usize>)>,
}

/// Why a seating cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unseatable {
    /// Fewer seats than candidates in a sitting of an exam area.
    Shortage(Vec<Shortage>),
    /// Enough seats in every sitting, but not at one site for some candidates.
    Split(Vec<SplitNeed>),
}

/// A seating: the seats, and the candidates seated at more than one site because the
/// office allowed it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Placement {
    pub seats: Vec<Seat>,
    /// Application ids, ascending.
    pub split: Vec<i64>,
}

/// A stable digest of what a seating is derived from: candidates, rooms, sittings.
pub fn fingerprint(candidates: &[Candidate], rooms: &[Room], sittings: &[Sitting]) -> String {
    let mut h = blake3::Hasher::new();
    let mut cs: Vec<&Candidate> = candidates.iter().collect();
    cs.sort_by(|a, b| a.registration_no.cmp(&b.registration_no));
    for c in cs {
        let s: Vec<String> = c.sittings.iter().map(i64::to_string).collect();
        h.update(
            format!(
                "c\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\n",
                c.registration_no,
                c.exam_area,
                c.qualification,
                c.level,
                s.join(",")
            )
            .as_bytes(),
        );
    }
    let mut rs: Vec<&Room> = rooms.iter().collect();
    rs.sort_by(|a, b| {
        (&a.exam_area, &a.site_code, a.number).cmp(&(&b.exam_area, &b.site_code, b.number))
    });
    for r in rs {
        let d: Vec<String> = r.disabled.iter().map(u32::to_string).collect();
        h.update(
            format!(
                "r\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\n",
                r.id,
                r.exam_area,
                r.site_code,
                r.number,
                r.seats,
                d.join(",")
            )
            .as_bytes(),
        );
    }
    for s in sittings {
        h.update(format!("s\x1f{}\x1f{}\x1f{}\n", s.id, s.label, s.order).as_bytes());
    }
    h.finalize().to_hex().to_string()
}

/// The stream of one exam area and a part of its work (a sitting, a group of sittings): the
/// seed mixed with their names, so that adding an area does not move anyone elsewhere.
fn stream(seed: u64, area: &str, part: &str) -> SplitMix64 {
    let key = blake3::hash(format!("{area}\x1f{part}").as_bytes());
    let mix = u64::from_le_bytes(key.as_bytes()[..8].try_into().expect("8 bytes"));
    SplitMix64::new(seed ^ mix)
}

/// Derives a seating again by the method that stored it (`seat verify`).
pub fn derive(
    method: Method,
    candidates: &[Candidate],
    rooms: &[Room],
    sittings: &[Sitting],
    seed: u64,
    options: Options,
) -> Option<Placement> {
    match method {
        Method::Day => assign(candidates, rooms, sittings, seed, options).ok(),
        Method::PerSitting => per_sitting::assign(candidates, rooms, sittings, seed)
            .ok()
            .map(|seats| Placement {
                seats,
                split: Vec::new(),
            }),
    }
}

/// Every rule a stored seating must meet: each candidate has exactly one seat per sitting
/// and nobody else has one; a seat is used once per sitting, is enabled and lies in its
/// room; the room is in the candidate's exam area; a candidate's sittings are all at one
/// site (but for those in `split_allowed`, whom the office let sit at several); and a
/// candidate whose seat changes between sittings could not have kept one seat: no seat of
/// their site is free in every one of their sittings.
pub fn check(
    candidates: &[Candidate],
    rooms: &[Room],
    sittings: &[Sitting],
    seats: &[Seat],
    split_allowed: &HashSet<i64>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let at = Lookup {
        rooms,
        sittings,
        room_of: rooms.iter().map(|r| (r.id, r)).collect(),
    };
    let mut taken = check_seats(&at, candidates, seats, &mut problems);
    for c in candidates {
        for s in &c.sittings {
            match taken.held.get(&(c.id, *s)).copied().unwrap_or(0) {
                1 => {}
                0 => problems.push(format!(
                    "{}: no seat in {}",
                    c.registration_no,
                    at.label(*s)
                )),
                n => problems.push(format!(
                    "{}: {n} seats in {}",
                    c.registration_no,
                    at.label(*s)
                )),
            }
        }
    }
    // The day's rules, for candidates with more than one sitting.
    for (no, list) in &mut taken.of_candidate {
        if list.len() < 2 {
            continue;
        }
        list.sort_by_key(|s| {
            sittings
                .iter()
                .find(|t| t.id == s.sitting_id)
                .map_or(u32::MAX, |t| t.order)
        });
        if let Some(p) = check_day(&at, no, list, &taken.used, split_allowed) {
            problems.push(p);
        }
    }
    problems
}

/// The rooms and sittings of a seating, by id.
struct Lookup<'a> {
    rooms: &'a [Room],
    sittings: &'a [Sitting],
    room_of: HashMap<i64, &'a Room>,
}

impl Lookup<'_> {
    /// How a sitting is named in a problem.
    fn label(&self, id: i64) -> String {
        self.sittings
            .iter()
            .find(|s| s.id == id)
            .map_or_else(|| format!("sitting {id}"), |s| s.label.clone())
    }

    /// A seat as a problem names it: sitting, room and seat number.
    fn place(&self, s: &Seat) -> String {
        let r = self.room_of[&s.room_id];
        format!(
            "{} 第{:03}考场 {:02}号",
            self.label(s.sitting_id),
            r.number,
            s.seat
        )
    }
}

/// Who holds what, from the stored seats that belong to a candidate and a room.
struct Taken<'a> {
    /// (application, sitting) -> how many seats.
    held: HashMap<(i64, i64), u32>,
    /// (sitting, room, seat) -> who sits there.
    used: HashMap<(i64, i64, u32), i64>,
    /// Each candidate's seats.
    of_candidate: BTreeMap<&'a str, Vec<&'a Seat>>,
}

/// The rules of each seat on its own: its holder is a candidate of that sitting and exam
/// area, and the seat exists, is enabled and is used once per sitting.
fn check_seats<'a>(
    at: &Lookup,
    candidates: &'a [Candidate],
    seats: &'a [Seat],
    problems: &mut Vec<String>,
) -> Taken<'a> {
    let cand_of: HashMap<i64, &Candidate> = candidates.iter().map(|c| (c.id, c)).collect();
    let mut taken = Taken {
        held: HashMap::new(),
        used: HashMap::new(),
        of_candidate: BTreeMap::new(),
    };
    for s in seats {
        let Some(c) = cand_of.get(&s.application_id) else {
            problems.push(format!(
                "application {} has a seat but is not a candidate",
                s.application_id
            ));
            continue;
        };
        let Some(r) = at.room_of.get(&s.room_id) else {
            problems.push(format!(
                "{}: seat in an unknown room {}",
                c.registration_no, s.room_id
            ));
            continue;
        };
        *taken
            .held
            .entry((s.application_id, s.sitting_id))
            .or_default() += 1;
        taken
            .of_candidate
            .entry(&c.registration_no)
            .or_default()
            .push(s);
        if !c.sittings.contains(&s.sitting_id) {
            problems.push(format!(
                "{}: seated in {}, a sitting it does not take",
                c.registration_no,
                at.label(s.sitting_id)
            ));
        }
        if taken
            .used
            .insert((s.sitting_id, s.room_id, s.seat), s.application_id)
            .is_some()
        {
            problems.push(format!(
                "{} {} room {} seat {} is used twice in {}",
                r.exam_area,
                r.site_code,
                r.number,
                s.seat,
                at.label(s.sitting_id)
            ));
        }
        if s.seat == 0 || s.seat > r.seats {
            problems.push(format!(
                "{}: seat {} is outside room {} ({} seats)",
                c.registration_no, s.seat, r.number, r.seats
            ));
        }
        if r.disabled.binary_search(&s.seat).is_ok() {
            problems.push(format!(
                "{}: seat {} of room {} is disabled",
                c.registration_no, s.seat, r.number
            ));
        }
        if r.exam_area != c.exam_area {
            problems.push(format!(
                "{}: seated in {} but chose {}",
                c.registration_no, r.exam_area, c.exam_area
            ));
        }
    }
    taken
}

/// The day's rules for candidate `no` with the seats `list` (two or more, in sitting
/// order): one site unless allowed, and one seat all day where a seat of the site was free
/// in every one of their sittings.
fn check_day(
    at: &Lookup,
    no: &str,
    list: &[&Seat],
    used: &HashMap<(i64, i64, u32), i64>,
    split_allowed: &HashSet<i64>,
) -> Option<String> {
    let sites: BTreeSet<(&str, &str)> = list
        .iter()
        .map(|s| {
            let r = at.room_of[&s.room_id];
            (r.exam_area.as_str(), r.site_code.as_str())
        })
        .collect();
    if sites.len() > 1 {
        if split_allowed.contains(&list[0].application_id) {
            return None;
        }
        let each: Vec<String> = list
            .iter()
            .map(|s| {
                format!(
                    "site {} in {}",
                    at.room_of[&s.room_id].site_code,
                    at.label(s.sitting_id)
                )
            })
            .collect();
        return Some(format!(
            "{no}: seated at {} sites ({}); all sittings of a candidate are at one site",
            sites.len(),
            each.join(", ")
        ));
    }
    let first = list[0];
    if list
        .iter()
        .all(|s| (s.room_id, s.seat) == (first.room_id, first.seat))
    {
        return None;
    }
    let (area, site) = sites.into_iter().next().expect("one site");
    let (room, seat) = seat_free_all_day(at, (area, site), list, used)?;
    let each: Vec<String> = list.iter().map(|s| at.place(s)).collect();
    Some(format!(
        "{no}: {}; 第{room:03}考场 {seat:02}号 is free in every one of its sittings: a candidate keeps one seat all day where the rooms allow",
        each.join(", ")
    ))
}

/// Could the candidate of `list` have kept one seat? A seat of their site free in all
/// their sittings (or held by themselves): their own seat of one sitting first (the one
/// they would keep), then any, as (room number, seat).
fn seat_free_all_day(
    at: &Lookup,
    (area, site): (&str, &str),
    list: &[&Seat],
    used: &HashMap<(i64, i64, u32), i64>,
) -> Option<(u32, u32)> {
    let mut site_rooms: Vec<&Room> = at
        .rooms
        .iter()
        .filter(|r| r.exam_area == area && r.site_code == site)
        .collect();
    site_rooms.sort_by_key(|r| r.number);
    let me = list[0].application_id;
    let free_all_day = |r: &Room, seat: u32| {
        r.disabled.binary_search(&seat).is_err()
            && list.iter().all(|s| {
                used.get(&(s.sitting_id, r.id, seat))
                    .is_none_or(|&who| who == me)
            })
    };
    let own = list.iter().find_map(|s| {
        let r = at.room_of[&s.room_id];
        free_all_day(r, s.seat).then_some((r.number, s.seat))
    });
    own.or_else(|| {
        site_rooms.iter().find_map(|r| {
            r.enabled()
                .find(|&seat| free_all_day(r, seat))
                .map(|seat| (r.number, seat))
        })
    })
}

/// How well a seating keeps candidates in one place: of those with more than one sitting,
/// how many sit all of them at one site, and in one room and seat.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Kept {
    /// Candidates with more than one sitting.
    pub candidates: usize,
    pub one_site: usize,
    pub same_seat: usize,
}

pub fn kept(rooms: &[Room], seats: &[Seat]) -> Kept {
    let site_of: HashMap<i64, &str> = rooms.iter().map(|r| (r.id, r.site_code.as_str())).collect();
    let mut by: BTreeMap<i64, Vec<&Seat>> = BTreeMap::new();
    for s in seats {
        by.entry(s.application_id).or_default().push(s);
    }
    let mut k = Kept::default();
    for list in by.values().filter(|l| l.len() > 1) {
        k.candidates += 1;
        let first = list[0];
        if list
            .iter()
            .all(|s| site_of.get(&s.room_id) == site_of.get(&first.room_id))
        {
            k.one_site += 1;
        }
        if list
            .iter()
            .all(|s| (s.room_id, s.seat) == (first.room_id, first.seat))
        {
            k.same_seat += 1;
        }
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(id: i64, area: &str, site: &str, number: u32, seats: u32, disabled: &[u32]) -> Room {
        Room {
            id,
            exam_area: area.into(),
            site_code: site.into(),
            number,
            seats,
            disabled: disabled.to_vec(),
        }
    }

    fn rooms() -> Vec<Room> {
        vec![
            room(1, "昆明", "001", 1, 4, &[2]),
            room(2, "昆明", "001", 2, 3, &[]),
            room(3, "丽江", "001", 1, 2, &[]),
        ]
    }

    fn sittings() -> Vec<Sitting> {
        (0..4)
            .map(|i| Sitting {
                id: 10 + i,
                label: format!("第{}场", i + 1),
                order: i as u32 + 1,
            })
            .collect()
    }

    fn cand(id: i64, area: &str, q: &str, sittings: &[i64]) -> Candidate {
        Candidate {
            id,
            registration_no: format!("2026{id:07}"),
            exam_area: area.into(),
            qualification: q.into(),
            level: 2,
            sittings: sittings.to_vec(),
        }
    }

    fn none() -> HashSet<i64> {
        HashSet::new()
    }

    #[test]
    fn the_generator_is_splitmix64() {
        // The reference outputs of SplitMix64 for seed 0.
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn same_seed_same_seating_and_every_rule_holds() {
        let cands = vec![
            cand(1, "昆明", "软件设计师", &[10]),
            cand(2, "昆明", "网络工程师", &[10]),
            cand(3, "昆明", "软件设计师", &[10]),
            cand(4, "昆明", "系统架构设计师", &[10, 11]),
            cand(5, "丽江", "软件设计师", &[10]),
            cand(6, "昆明", "软件设计师", &[10]),
        ];
        let go = |c: &[Candidate], seed| {
            assign(c, &rooms(), &sittings(), seed, Options::default()).unwrap()
        };
        let a = go(&cands, 42);
        assert_eq!(a, go(&cands, 42));
        assert_eq!(a.seats.len(), 7, "six candidates, one with two sittings");
        let p = check(&cands, &rooms(), &sittings(), &a.seats, &none());
        assert!(p.is_empty(), "{p:?}");
        let c = go(&cands, 43);
        assert!(check(&cands, &rooms(), &sittings(), &c.seats, &none()).is_empty());
        // Order of the input does not matter.
        let mut rev = cands.clone();
        rev.reverse();
        assert_eq!(go(&rev, 42), a);
        // The senior candidate keeps one room and seat.
        let k = kept(&rooms(), &a.seats);
        assert_eq!((k.candidates, k.one_site, k.same_seat), (1, 1, 1));
    }

    #[test]
    fn a_shortage_names_the_area_and_the_sitting() {
        let cands: Vec<Candidate> = (1..=3)
            .map(|i| cand(i, "丽江", "软件设计师", &[10]))
            .collect();
        let err = assign(&cands, &rooms(), &sittings(), 1, Options::default()).unwrap_err();
        assert_eq!(
            err,
            Unseatable::Shortage(vec![Shortage {
                exam_area: "丽江".into(),
                sitting: "第1场".into(),
                candidates: 3,
                seats: 2
            }])
        );
    }

    /// Three groups that each sit two of three sittings: per sitting the area has seats
    /// enough, but no seat holds two groups, and each site fills with one group.
    fn crossed() -> (Vec<Candidate>, Vec<Room>) {
        let rooms = vec![
            room(1, "丽江", "LJ01", 1, 2, &[]),
            room(2, "丽江", "LJ02", 1, 2, &[]),
        ];
        let mut cands = Vec::new();
        for (k, pattern) in [[10, 11], [10, 12], [11, 12]].iter().enumerate() {
            for i in 0..2 {
                let id = (k * 2 + i) as i64 + 1;
                cands.push(cand(id, "丽江", &format!("资格{k}"), pattern));
            }
        }
        (cands, rooms)
    }

    #[test]
    fn a_candidate_without_a_site_for_all_sittings_stops_the_run_unless_allowed() {
        let (cands, rooms) = crossed();
        let err = assign(&cands, &rooms, &sittings(), 7, Options::default()).unwrap_err();
        let Unseatable::Split(needs) = err else {
            panic!("{err:?}")
        };
        assert_eq!(needs.len(), 1);
        assert_eq!(needs[0].exam_area, "丽江");
        assert_eq!(needs[0].sittings, vec!["第2场", "第3场"]);
        assert_eq!(needs[0].candidates, 2);
        assert_eq!(needs[0].free.len(), 2, "{:?}", needs[0].free);

        let allowed = Options { allow_split: true };
        let p = assign(&cands, &rooms, &sittings(), 7, allowed).unwrap();
        assert_eq!(p.split.len(), 2);
        let split: HashSet<i64> = p.split.iter().copied().collect();
        assert!(check(&cands, &rooms, &sittings(), &p.seats, &split).is_empty());
        // Without the office's leave, the same seats break the rule, each named.
        let problems = check(&cands, &rooms, &sittings(), &p.seats, &none());
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("seated at 2 sites"), "{problems:?}");
    }

    #[test]
    fn a_split_or_a_needless_change_of_seat_is_caught() {
        let rooms = vec![
            room(1, "丽江", "LJ01", 1, 3, &[]),
            room(2, "丽江", "LJ02", 1, 3, &[]),
        ];
        let cands = vec![cand(1, "丽江", "系统架构设计师", &[10, 11])];
        let seat = |sitting_id, room_id, seat| Seat {
            application_id: 1,
            sitting_id,
            room_id,
            seat,
        };
        let split = [seat(10, 1, 1), seat(11, 2, 1)];
        let p = check(&cands, &rooms, &sittings(), &split, &none());
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].contains("site LJ01 in 第1场, site LJ02 in 第2场"),
            "{p:?}"
        );
        let moved = [seat(10, 1, 1), seat(11, 1, 2)];
        let p = check(&cands, &rooms, &sittings(), &moved, &none());
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].contains("第001考场 01号 is free"), "{p:?}");
        let kept_seat = [seat(10, 1, 2), seat(11, 1, 2)];
        assert!(check(&cands, &rooms, &sittings(), &kept_seat, &none()).is_empty());
    }

    #[test]
    fn the_first_method_split_candidates_and_the_check_sees_it() {
        // Many sites and two sittings: drawn apart, some candidate lands at two sites.
        let rooms: Vec<Room> = (1..=6)
            .map(|i| room(i, "昆明", &format!("{i:03}"), 1, 5, &[]))
            .collect();
        let cands: Vec<Candidate> = (1..=20)
            .map(|i| cand(i, "昆明", "信息系统项目管理师", &[10, 11]))
            .collect();
        let old = per_sitting::assign(&cands, &rooms, &sittings(), 1).unwrap();
        assert!(kept(&rooms, &old).one_site < 20);
        assert!(
            check(&cands, &rooms, &sittings(), &old, &none())
                .iter()
                .any(|p| p.contains("sites"))
        );
        let new = assign(&cands, &rooms, &sittings(), 1, Options::default()).unwrap();
        let k = kept(&rooms, &new.seats);
        assert_eq!((k.candidates, k.one_site, k.same_seat), (20, 20, 20));
    }

    /// Random sessions: rooms over sites with disabled seats, candidates taking one to
    /// three sittings in patterns that overlap, seats enough in every sitting. Every
    /// seating meets every rule, keeps everyone at one site or says why, is the same for
    /// the same seed whatever the input order, and with the split allowed always succeeds.
    #[test]
    fn random_sessions_keep_every_rule() {
        let mut rng = SplitMix64::new(20261107);
        let patterns: [&[i64]; 7] = [
            &[10],
            &[11],
            &[12],
            &[10, 11],
            &[12, 13],
            &[11, 12],
            &[10, 11, 12],
        ];
        let mut same_seat = (0, 0);
        for round in 0..300 {
            let areas = ["丽江", "大理"];
            let mut rooms = Vec::new();
            for (a, area) in areas.iter().enumerate() {
                let sites = 1 + rng.below(3) as usize;
                for site in 0..sites {
                    for n in 1..=(1 + rng.below(4)) {
                        let seats = 1 + rng.below(6) as u32;
                        let disabled: Vec<u32> =
                            (1..=seats).filter(|_| rng.below(8) == 0).take(1).collect();
                        let id = rooms.len() as i64 + 1;
                        rooms.push(room(
                            id,
                            area,
                            &format!("{}{site:02}", ["LJ", "DL"][a]),
                            n as u32,
                            seats,
                            &disabled,
                        ));
                    }
                }
            }
            let mut cands = Vec::new();
            for area in areas {
                let capacity: usize = rooms
                    .iter()
                    .filter(|r| r.exam_area == area)
                    .map(|r| r.enabled().count())
                    .sum();
                let mut load = [0usize; 4];
                for _ in 0..capacity * 2 {
                    let p = patterns[rng.below(patterns.len() as u64) as usize];
                    if p.iter().any(|s| load[(*s - 10) as usize] >= capacity) {
                        continue;
                    }
                    if rng.below(3) == 0 {
                        continue;
                    }
                    for s in p {
                        load[(*s - 10) as usize] += 1;
                    }
                    let id = cands.len() as i64 + 1;
                    let q = ["软件设计师", "网络工程师", "系统架构设计师"][rng.below(3) as usize];
                    cands.push(cand(id, area, q, p));
                }
            }
            let seed = rng.next_u64();
            let allowed = Options { allow_split: true };
            let with_split = assign(&cands, &rooms, &sittings(), seed, allowed)
                .unwrap_or_else(|e| panic!("round {round}: {e:?}"));
            let split: HashSet<i64> = with_split.split.iter().copied().collect();
            let p = check(&cands, &rooms, &sittings(), &with_split.seats, &split);
            assert!(p.is_empty(), "round {round}: {p:?}");
            match assign(&cands, &rooms, &sittings(), seed, Options::default()) {
                Ok(strict) => {
                    assert!(strict.split.is_empty());
                    assert_eq!(strict, with_split, "round {round}: no split needed");
                    let p = check(&cands, &rooms, &sittings(), &strict.seats, &none());
                    assert!(p.is_empty(), "round {round}: {p:?}");
                    let k = kept(&rooms, &strict.seats);
                    assert_eq!(k.one_site, k.candidates, "round {round}");
                    same_seat.0 += k.same_seat;
                    same_seat.1 += k.candidates;
                }
                Err(Unseatable::Split(needs)) => {
                    assert!(!split.is_empty(), "round {round}: {needs:?}");
                    let n: usize = needs.iter().map(|n| n.candidates).sum();
                    assert_eq!(n, split.len(), "round {round}");
                }
                Err(e) => panic!("round {round}: {e:?}"),
            }
            let mut rev = cands.clone();
            rev.reverse();
            assert_eq!(
                assign(&rev, &rooms, &sittings(), seed, allowed).unwrap(),
                with_split,
                "round {round}"
            );
        }
        // Overlapping patterns in crowded rooms cost some seats, not most.
        assert!(
            same_seat.0 * 10 >= same_seat.1 * 8,
            "same seat kept for {} of {}",
            same_seat.0,
            same_seat.1
        );
    }

    #[test]
    fn a_late_payer_keeps_one_seat_in_a_room_running_its_paper_or_says_why_not() {
        let rooms = vec![
            room(1, "丽江", "LJ01", 1, 3, &[]),
            room(2, "丽江", "LJ02", 1, 3, &[]),
        ];
        let seated = vec![
            cand(1, "丽江", "网络规划设计师", &[10, 11]),
            cand(2, "丽江", "系统架构设计师", &[10, 11]),
        ];
        let seat = |application_id, sitting_id, room_id, seat| Seat {
            application_id,
            sitting_id,
            room_id,
            seat,
        };
        let in_use = vec![
            seat(1, 10, 1, 1),
            seat(1, 11, 1, 1),
            seat(2, 10, 2, 2),
            seat(2, 11, 2, 2),
        ];
        let late = cand(3, "丽江", "系统架构设计师", &[10, 11]);
        let p = place_late(
            &[&late],
            &seated,
            &rooms,
            &sittings(),
            &in_use,
            Options::default(),
        )
        .unwrap();
        // LJ02 runs 系统架构设计师: its lowest seat free in both sittings.
        assert_eq!(p.seats, vec![seat(3, 10, 2, 1), seat(3, 11, 2, 1)]);
        let mut all: Vec<Seat> = in_use.clone();
        all.extend(&p.seats);
        let mut everyone = seated.clone();
        everyone.push(late.clone());
        assert!(check(&everyone, &rooms, &sittings(), &all, &none()).is_empty());

        // Only seats that free in one sitting each, at different sites: stopped unless
        // allowed.
        let full = vec![
            seat(1, 10, 1, 1),
            seat(1, 11, 1, 1),
            seat(4, 10, 1, 2),
            seat(4, 11, 1, 2),
            seat(5, 10, 1, 3),
            seat(6, 11, 2, 1),
            seat(6, 11, 2, 2),
            seat(6, 11, 2, 3),
        ];
        let err = place_late(
            &[&late],
            &seated,
            &rooms,
            &sittings(),
            &full,
            Options::default(),
        )
        .unwrap_err();
        assert!(
            matches!(&err, Unseatable::Split(n) if n[0].candidates == 1),
            "{err:?}"
        );
        let p = place_late(
            &[&late],
            &seated,
            &rooms,
            &sittings(),
            &full,
            Options { allow_split: true },
        )
        .unwrap();
        assert_eq!(p.split, vec![3]);
        assert_eq!(p.seats, vec![seat(3, 10, 2, 1), seat(3, 11, 1, 3)]);
    }

    #[test]
    fn broken_seatings_are_caught() {
        let cands = vec![
            cand(1, "昆明", "软件设计师", &[10]),
            cand(2, "昆明", "软件设计师", &[10]),
        ];
        let seat = |application_id, room_id, seat| Seat {
            application_id,
            sitting_id: 10,
            room_id,
            seat,
        };
        let seats = vec![seat(1, 1, 2), seat(2, 3, 1)];
        let p = check(&cands, &rooms(), &sittings(), &seats, &none()).join("\n");
        assert!(p.contains("disabled") && p.contains("chose 昆明"), "{p}");
        let twice = vec![seat(1, 2, 1), seat(2, 2, 1)];
        assert!(
            check(&cands, &rooms(), &sittings(), &twice, &none())
                .join("\n")
                .contains("used twice in 第1场")
        );
        let none_ = check(&cands, &rooms(), &sittings(), &twice[..1], &none());
        assert!(none_.iter().any(|p| p.contains("no seat in 第1场")));
    }
}
