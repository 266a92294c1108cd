//! The seating method: every sitting of an exam area planned at once, so that a candidate
//! sits all their sittings at one site and, where the rooms allow, in one room and seat
//! (the sign-in sheets of a room list the same people all day, its door sticker holds for
//! the day, and nobody crosses a city between the morning and the afternoon).
//!
//! Candidates are grouped by the sittings they take (their pattern: 高级's 综合知识+案例分析
//! in the morning and 论文 in the afternoon is one pattern of two sittings), patterns with
//! more sittings first, as they are the hardest to place. A pattern's candidates, by
//! qualification, take seats that are free in every one of its sittings, room after room
//! in the area's shuffled order (rooms wholly free in those sittings first, so that a room
//! holds one paper where possible). One who finds no such seat keeps the site at least
//! (seats of one site, room and seat as they come); one whose area has no site with a seat
//! in each of their sittings stops the run, unless the office allows the split.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{
    Candidate, Options, Placement, Room, Seat, Shortage, Sitting, SplitMix64, SplitNeed,
    Unseatable, stream,
};

/// Which seats of an exam area's rooms are taken, per sitting.
struct Grid<'a> {
    /// The area's rooms, in the order they are filled.
    rooms: Vec<&'a Room>,
    /// Sitting id -> its index in `taken`, and back.
    index: HashMap<i64, usize>,
    ids: Vec<i64>,
    /// [room][sitting][seat number] (0 unused).
    taken: Vec<Vec<Vec<bool>>>,
}

/// How a free seat is chosen among several: at random (a seating), or the first (a late
/// payer's, as before: the lowest free seat).
enum Pick<'r> {
    Random(&'r mut SplitMix64),
    First,
}

impl Pick<'_> {
    fn one(&mut self, free: &[u32]) -> u32 {
        match self {
            Pick::Random(rng) => free[rng.below(free.len() as u64) as usize],
            Pick::First => free[0],
        }
    }
}

impl<'a> Grid<'a> {
    fn new(rooms: Vec<&'a Room>, sittings: &[i64]) -> Grid<'a> {
        let taken = rooms
            .iter()
            .map(|r| vec![vec![false; r.seats as usize + 1]; sittings.len()])
            .collect();
        Grid {
            rooms,
            index: sittings.iter().enumerate().map(|(i, s)| (*s, i)).collect(),
            ids: sittings.to_vec(),
            taken,
        }
    }

    fn positions(&self, sittings: &[i64]) -> Vec<usize> {
        sittings.iter().map(|s| self.index[s]).collect()
    }

    /// The enabled seats of room `r` free in every sitting of `at`, ascending.
    fn free_in_all(&self, r: usize, at: &[usize]) -> Vec<u32> {
        self.rooms[r]
            .enabled()
            .filter(|&s| at.iter().all(|&t| !self.taken[r][t][s as usize]))
            .collect()
    }

    /// The enabled seats of room `r` free in sitting `t`, ascending.
    fn free_in(&self, r: usize, t: usize) -> Vec<u32> {
        self.rooms[r]
            .enabled()
            .filter(|&s| !self.taken[r][t][s as usize])
            .collect()
    }

    /// No seat of room `r` is taken in any sitting of `at`.
    fn wholly_free(&self, r: usize, at: &[usize]) -> bool {
        at.iter().all(|&t| !self.taken[r][t].contains(&true))
    }

    fn take(&mut self, r: usize, t: usize, seat: u32) {
        self.taken[r][t][seat as usize] = true;
    }

    /// Takes `seats` (room, sitting position, seat) for `application_id` into `out`.
    fn place(&mut self, application_id: i64, seats: &[(usize, usize, u32)], out: &mut Vec<Seat>) {
        for &(r, t, seat) in seats {
            self.take(r, t, seat);
            out.push(Seat {
                application_id,
                sitting_id: self.ids[t],
                room_id: self.rooms[r].id,
                seat,
            });
        }
    }

    /// The site codes in the order their first room comes.
    fn sites(&self) -> Vec<&'a str> {
        let mut seen = BTreeSet::new();
        self.rooms
            .iter()
            .map(|r| r.site_code.as_str())
            .filter(|s| seen.insert(*s))
            .collect()
    }

    /// A seat in each sitting of `at` (by position), all at one site: the first site (in
    /// [`Grid::sites`] order) with a free seat in each, in its first room with one. The
    /// seats are (room, sitting position, seat).
    fn at_one_site(&self, at: &[usize], pick: &mut Pick<'_>) -> Option<Vec<(usize, usize, u32)>> {
        self.sites().into_iter().find_map(|site| {
            at.iter()
                .map(|&t| {
                    (0..self.rooms.len())
                        .filter(|&r| self.rooms[r].site_code == site)
                        .find_map(|r| {
                            let free = self.free_in(r, t);
                            (!free.is_empty()).then(|| (r, t, pick.one(&free)))
                        })
                })
                .collect()
        })
    }

    /// A seat in each sitting of `at`, wherever one is free.
    fn anywhere(&self, at: &[usize], pick: &mut Pick<'_>) -> Option<Vec<(usize, usize, u32)>> {
        at.iter()
            .map(|&t| {
                (0..self.rooms.len()).find_map(|r| {
                    let free = self.free_in(r, t);
                    (!free.is_empty()).then(|| (r, t, pick.one(&free)))
                })
            })
            .collect()
    }

    /// The free seats of each site in the sittings `at`, for a message.
    fn free_by_site(&self, at: &[usize]) -> Vec<(String, Vec<usize>)> {
        let mut by: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for r in 0..self.rooms.len() {
            let e = by
                .entry(&self.rooms[r].site_code)
                .or_insert_with(|| vec![0; at.len()]);
            for (k, &t) in at.iter().enumerate() {
                e[k] += self.free_in(r, t).len();
            }
        }
        by.into_iter().map(|(s, f)| (s.to_string(), f)).collect()
    }
}

/// The sittings a candidate takes, as (ids, labels, key), in exam order.
struct Pattern {
    ids: Vec<i64>,
    labels: Vec<String>,
}

fn pattern(c: &Candidate, order: &HashMap<i64, &Sitting>) -> Pattern {
    let mut list: Vec<&Sitting> = c
        .sittings
        .iter()
        .filter_map(|s| order.get(s).copied())
        .collect();
    list.sort_by_key(|s| s.order);
    Pattern {
        ids: list.iter().map(|s| s.id).collect(),
        labels: list.iter().map(|s| s.label.clone()).collect(),
    }
}

/// Seats every candidate in each of their sittings, all at one site and where possible in
/// one room and seat (see the module's comment), or says what is missing: seats of an
/// area in a sitting, or a site for a candidate's sittings.
pub fn assign(
    candidates: &[Candidate],
    rooms: &[Room],
    sittings: &[Sitting],
    seed: u64,
    options: Options,
) -> Result<Placement, Unseatable> {
    let by_id: HashMap<i64, &Sitting> = sittings.iter().map(|s| (s.id, s)).collect();
    let rooms_of = rooms_by_area(rooms);
    let mut cands_of: BTreeMap<&str, Vec<&Candidate>> = BTreeMap::new();
    for c in candidates {
        cands_of.entry(&c.exam_area).or_default().push(c);
    }
    let mut placement = Placement::default();
    let mut shortages = Vec::new();
    let mut needs = Vec::new();
    for (area, cands) in cands_of {
        let mut area_rooms = rooms_of.get(area).cloned().unwrap_or_default();
        let (per_sitting, short) = seats_per_sitting(area, &cands, &area_rooms, &by_id);
        if !short.is_empty() || !shortages.is_empty() {
            shortages.extend(short);
            continue;
        }
        stream(seed, area, "\x1e考场").shuffle(&mut area_rooms);
        let ids: Vec<i64> = per_sitting.keys().map(|&(_, s)| s).collect();
        let mut grid = Grid::new(area_rooms, &ids);
        for (p, groups) in patterns_of(cands, &by_id).into_values() {
            let mut rng = stream(seed, area, &p.labels.join("+"));
            let at = grid.positions(&p.ids);
            let left = seat_together(&mut grid, &at, groups, &mut rng, &mut placement);
            let stuck = seat_apart(&mut grid, &at, left, &mut rng, options, &mut placement);
            if stuck > 0 {
                needs.push(SplitNeed {
                    exam_area: area.to_string(),
                    sittings: p.labels.clone(),
                    candidates: stuck,
                    free: grid.free_by_site(&at),
                });
            }
        }
    }
    if !shortages.is_empty() {
        return Err(Unseatable::Shortage(shortages));
    }
    if !needs.is_empty() {
        return Err(Unseatable::Split(needs));
    }
    placement.seats.sort();
    placement.split.sort_unstable();
    Ok(placement)
}

/// The rooms of each exam area, sorted by site and number.
fn rooms_by_area(rooms: &[Room]) -> BTreeMap<&str, Vec<&Room>> {
    let mut rooms_of: BTreeMap<&str, Vec<&Room>> = BTreeMap::new();
    for r in rooms {
        rooms_of.entry(&r.exam_area).or_default().push(r);
    }
    for list in rooms_of.values_mut() {
        list.sort_by(|a, b| (&a.site_code, a.number).cmp(&(&b.site_code, b.number)));
    }
    rooms_of
}

/// How many of an area's candidates take each sitting, keyed (order, sitting id), and the
/// sittings with more candidates than the area has seats: a seating of sittings drawn
/// apart needs enough seats in every one first.
fn seats_per_sitting(
    area: &str,
    cands: &[&Candidate],
    area_rooms: &[&Room],
    by_id: &HashMap<i64, &Sitting>,
) -> (BTreeMap<(u32, i64), usize>, Vec<Shortage>) {
    let capacity: usize = area_rooms.iter().map(|r| r.enabled().count()).sum();
    let mut per_sitting: BTreeMap<(u32, i64), usize> = BTreeMap::new();
    for c in cands {
        for s in &c.sittings {
            let order = by_id.get(s).map_or(u32::MAX, |t| t.order);
            *per_sitting.entry((order, *s)).or_default() += 1;
        }
    }
    let short = per_sitting
        .iter()
        .filter(|&(_, &n)| n > capacity)
        .map(|(&(_, s), &n)| Shortage {
            exam_area: area.to_string(),
            sitting: by_id.get(&s).map_or_else(String::new, |t| t.label.clone()),
            candidates: n,
            seats: capacity,
        })
        .collect();
    (per_sitting, short)
}

/// An area's candidates by qualification.
type Groups<'c> = BTreeMap<&'c str, Vec<&'c Candidate>>;

/// An area's candidates by pattern, those of more sittings first; within one, by
/// qualification (by name).
fn patterns_of<'c>(
    cands: Vec<&'c Candidate>,
    by_id: &HashMap<i64, &Sitting>,
) -> BTreeMap<(Reverse<usize>, Vec<u32>), (Pattern, Groups<'c>)> {
    let mut patterns: BTreeMap<(Reverse<usize>, Vec<u32>), (Pattern, Groups<'_>)> = BTreeMap::new();
    for c in cands {
        let p = pattern(c, by_id);
        let orders: Vec<u32> = p.ids.iter().map(|s| by_id[s].order).collect();
        patterns
            .entry((Reverse(p.ids.len()), orders))
            .or_insert_with(|| (p, BTreeMap::new()))
            .1
            .entry(&c.qualification)
            .or_default()
            .push(c);
    }
    patterns
}

/// Seats a pattern's candidates (each qualification shuffled in turn) in seats free in
/// all its sittings `at`, room after room: rooms wholly free in these sittings first, then
/// the rest, each in area order. Returns those left without such a seat.
fn seat_together<'c>(
    grid: &mut Grid<'_>,
    at: &[usize],
    groups: Groups<'c>,
    rng: &mut SplitMix64,
    placement: &mut Placement,
) -> Vec<&'c Candidate> {
    let mut queue: Vec<&Candidate> = Vec::new();
    for (_, mut list) in groups {
        list.sort_by(|a, b| a.registration_no.cmp(&b.registration_no));
        rng.shuffle(&mut list);
        queue.extend(list);
    }
    let (mut order, rest): (Vec<usize>, Vec<usize>) =
        (0..grid.rooms.len()).partition(|&r| grid.wholly_free(r, at));
    order.extend(rest);
    let mut rooms_left = order.into_iter();
    let (mut room, mut free) = (0, Vec::new());
    let mut left = Vec::new();
    for c in queue {
        let seat = loop {
            if let Some(s) = free.pop() {
                break Some(s);
            }
            match rooms_left.next() {
                Some(r) => {
                    room = r;
                    free = grid.free_in_all(r, at);
                    rng.shuffle(&mut free);
                }
                None => break None,
            }
        };
        match seat {
            Some(s) => {
                let seats: Vec<_> = at.iter().map(|&t| (room, t, s)).collect();
                grid.place(c.id, &seats, &mut placement.seats);
            }
            None => left.push(c),
        }
    }
    left
}

/// Seats those with no seat free in all their sittings: at one site at least, or (when
/// allowed) at several. Returns how many could not be seated.
fn seat_apart(
    grid: &mut Grid<'_>,
    at: &[usize],
    left: Vec<&Candidate>,
    rng: &mut SplitMix64,
    options: Options,
    placement: &mut Placement,
) -> usize {
    let mut stuck = 0;
    for c in left {
        let mut pick = Pick::Random(rng);
        let (seats, split) = match grid.at_one_site(at, &mut pick) {
            Some(s) => (s, false),
            None if options.allow_split => {
                if let Some(s) = grid.anywhere(at, &mut pick) {
                    (s, true)
                } else {
                    stuck += 1;
                    continue;
                }
            }
            None => {
                stuck += 1;
                continue;
            }
        };
        grid.place(c.id, &seats, &mut placement.seats);
        if split {
            placement.split.push(c.id);
        }
    }
    stuck
}

/// Seats candidates who paid after the seating (`seat add`) without moving anyone: each
/// in a seat free in all their sittings (in a room already running their qualification
/// first, then any, in site and room order, the lowest seat), else at one site, else (when
/// allowed) at several. `seated` are the candidates holding the seats `in_use`, to know
/// which qualification a room runs.
pub fn place_late(
    late: &[&Candidate],
    seated: &[Candidate],
    rooms: &[Room],
    sittings: &[Sitting],
    in_use: &[Seat],
    options: Options,
) -> Result<Placement, Unseatable> {
    let by_id: HashMap<i64, &Sitting> = sittings.iter().map(|s| (s.id, s)).collect();
    let ids: Vec<i64> = sittings.iter().map(|s| s.id).collect();
    let (mut grids, mut runs) = grids_in_use(rooms, &ids, seated, in_use);
    let mut placement = Placement::default();
    let mut missing: Missing = BTreeMap::new();
    let mut needs: Needs = BTreeMap::new();
    for c in late {
        let Some(g) = grids.get_mut(c.exam_area.as_str()) else {
            for s in &c.sittings {
                let t = by_id[s];
                *missing
                    .entry((c.exam_area.clone(), t.order, t.label.clone()))
                    .or_default() += 1;
            }
            continue;
        };
        let p = pattern(c, &by_id);
        let at = g.positions(&p.ids);
        let (seats, split) = match late_seats(g, &runs, c, &p, &at, options) {
            Late::Seats(seats, split) => (seats, split),
            Late::NeedsSplit => {
                let e = needs
                    .entry((c.exam_area.clone(), p.labels.clone()))
                    .or_default();
                e.0 += 1;
                e.1 = g.free_by_site(&at);
                continue;
            }
            Late::NoSeat => {
                for &t in &at {
                    if (0..g.rooms.len()).all(|r| g.free_in(r, t).is_empty()) {
                        let s = by_id[&ids[t]];
                        *missing
                            .entry((c.exam_area.clone(), s.order, s.label.clone()))
                            .or_default() += 1;
                    }
                }
                continue;
            }
        };
        for &(r, t, _) in &seats {
            runs.entry((g.rooms[r].id, ids[t]))
                .or_default()
                .insert(c.qualification.as_str());
        }
        g.place(c.id, &seats, &mut placement.seats);
        if split {
            placement.split.push(c.id);
        }
    }
    late_result(placement, missing, needs)
}

/// (room id, sitting id) -> qualifications it runs.
type Runs<'a> = HashMap<(i64, i64), BTreeSet<&'a str>>;
/// (area, sitting order, sitting) -> candidates with no seat in it.
type Missing = BTreeMap<(String, u32, String), usize>;
/// Free seats per site.
type Free = Vec<(String, Vec<usize>)>;
/// (area, sittings) -> (candidates, free seats per site).
type Needs = BTreeMap<(String, Vec<String>), (usize, Free)>;

/// Each area's grid with the seats `in_use` taken, and the qualifications each room runs
/// in each sitting.
fn grids_in_use<'a>(
    rooms: &'a [Room],
    ids: &[i64],
    seated: &'a [Candidate],
    in_use: &[Seat],
) -> (BTreeMap<&'a str, Grid<'a>>, Runs<'a>) {
    let qual_of: HashMap<i64, &str> = seated
        .iter()
        .map(|c| (c.id, c.qualification.as_str()))
        .collect();
    let mut grids: BTreeMap<&str, Grid<'_>> = BTreeMap::new();
    let mut at_room: HashMap<i64, (&str, usize)> = HashMap::new();
    for (area, list) in rooms_by_area(rooms) {
        for (i, r) in list.iter().enumerate() {
            at_room.insert(r.id, (area, i));
        }
        grids.insert(area, Grid::new(list, ids));
    }
    let mut runs: Runs = HashMap::new();
    for s in in_use {
        if let Some(&(area, r)) = at_room.get(&s.room_id)
            && let Some(g) = grids.get_mut(area)
            && let Some(&t) = g.index.get(&s.sitting_id)
            && (s.seat as usize) < g.taken[r][t].len()
        {
            g.taken[r][t][s.seat as usize] = true;
        }
        if let Some(q) = qual_of.get(&s.application_id) {
            runs.entry((s.room_id, s.sitting_id)).or_default().insert(q);
        }
    }
    (grids, runs)
}

/// Where a late candidate goes.
enum Late {
    /// These seats, and whether they are at several sites.
    Seats(Vec<(usize, usize, u32)>, bool),
    /// Seats exist only at several sites, and the office did not allow it.
    NeedsSplit,
    /// Some sitting of theirs has no free seat in the area.
    NoSeat,
}

/// A late candidate's seats in sittings `at`: the lowest seat free in all of them, in a
/// room already running their qualification first; else at one site; else at several.
fn late_seats(
    g: &Grid<'_>,
    runs: &Runs<'_>,
    c: &Candidate,
    p: &Pattern,
    at: &[usize],
    options: Options,
) -> Late {
    let runs_it = |r: &Room| {
        p.ids.iter().all(|s| {
            runs.get(&(r.id, *s))
                .is_some_and(|q| q.contains(c.qualification.as_str()))
        })
    };
    let mut order: Vec<usize> = (0..g.rooms.len()).collect();
    order.sort_by_key(|&r| !runs_it(g.rooms[r]));
    let same = order.into_iter().find_map(|r| {
        g.free_in_all(r, at)
            .first()
            .map(|&s| at.iter().map(|&t| (r, t, s)).collect::<Vec<_>>())
    });
    let mut pick = Pick::First;
    match same.or_else(|| g.at_one_site(at, &mut pick)) {
        Some(s) => Late::Seats(s, false),
        None => match g.anywhere(at, &mut pick) {
            Some(s) if options.allow_split => Late::Seats(s, true),
            Some(_) => Late::NeedsSplit,
            None => Late::NoSeat,
        },
    }
}

/// The late candidates' placement, or why some could not be seated: sittings short of
/// seats first, then the splits the office did not allow.
fn late_result(
    mut placement: Placement,
    missing: Missing,
    needs: Needs,
) -> Result<Placement, Unseatable> {
    if !missing.is_empty() {
        return Err(Unseatable::Shortage(
            missing
                .into_iter()
                .map(|((exam_area, _, sitting), n)| Shortage {
                    exam_area,
                    sitting,
                    candidates: n,
                    seats: 0,
                })
                .collect(),
        ));
    }
    if !needs.is_empty() {
        return Err(Unseatable::Split(
            needs
                .into_iter()
                .map(|((exam_area, sittings), (candidates, free))| SplitNeed {
                    exam_area,
                    sittings,
                    candidates,
                    free,
                })
                .collect(),
        ));
    }
    placement.seats.sort();
    placement.split.sort_unstable();
    Ok(placement)
}
