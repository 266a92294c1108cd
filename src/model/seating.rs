//! Seating (编排): every paid candidate gets a seat for each of their sittings, in a room of
//! a site of the exam area they chose, at random but reproducibly, and an admit-card number
//! (准考证号) from the session's template. Pure: the same inputs and seed give the same
//! seating on any machine, so a dispute can be settled by deriving it again.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use super::session::{CardTemplate, TemplatePart};

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

/// The stream of one exam area and sitting: the seed mixed with their names, so that
/// adding a sitting or an area does not move anyone elsewhere.
fn stream(seed: u64, area: &str, sitting: &str) -> SplitMix64 {
    let key = blake3::hash(format!("{area}\x1f{sitting}").as_bytes());
    let mix = u64::from_le_bytes(key.as_bytes()[..8].try_into().expect("8 bytes"));
    SplitMix64::new(seed ^ mix)
}

/// Seats every candidate in each of their sittings, or says where seats are missing.
///
/// For each sitting and exam area: the candidates are grouped by qualification (groups in
/// name order, candidates shuffled within), the area's rooms are shuffled, and the rooms are
/// filled in turn, so that a room holds one qualification except where one group ends and
/// the next begins; within a room the candidates take its enabled seats in shuffled order.
pub fn assign(
    candidates: &[Candidate],
    rooms: &[Room],
    sittings: &[Sitting],
    seed: u64,
) -> Result<Vec<Seat>, Vec<Shortage>> {
    let mut rooms_of: BTreeMap<&str, Vec<&Room>> = BTreeMap::new();
    for r in rooms {
        rooms_of.entry(&r.exam_area).or_default().push(r);
    }
    for list in rooms_of.values_mut() {
        list.sort_by(|a, b| (&a.site_code, a.number).cmp(&(&b.site_code, b.number)));
    }
    let mut out = Vec::new();
    let mut short = Vec::new();
    let mut sorted: Vec<&Sitting> = sittings.iter().collect();
    sorted.sort_by_key(|s| s.order);
    for sitting in sorted {
        let mut by_area: BTreeMap<&str, Vec<&Candidate>> = BTreeMap::new();
        for c in candidates
            .iter()
            .filter(|c| c.sittings.contains(&sitting.id))
        {
            by_area.entry(&c.exam_area).or_default().push(c);
        }
        for (area, mut cands) in by_area {
            let area_rooms = rooms_of.get(area).cloned().unwrap_or_default();
            let capacity: usize = area_rooms.iter().map(|r| r.enabled().count()).sum();
            if capacity < cands.len() {
                short.push(Shortage {
                    exam_area: area.to_string(),
                    sitting: sitting.label.clone(),
                    candidates: cands.len(),
                    seats: capacity,
                });
                continue;
            }
            let mut rng = stream(seed, area, &sitting.label);
            cands.sort_by(|a, b| {
                (&a.qualification, &a.registration_no).cmp(&(&b.qualification, &b.registration_no))
            });
            // Shuffle within each qualification.
            let mut start = 0;
            while start < cands.len() {
                let q = &cands[start].qualification;
                let end = start
                    + cands[start..]
                        .iter()
                        .take_while(|c| &c.qualification == q)
                        .count();
                rng.shuffle(&mut cands[start..end]);
                start = end;
            }
            let mut area_rooms = area_rooms;
            rng.shuffle(&mut area_rooms);
            let mut next = cands.into_iter();
            for room in area_rooms {
                let mut seats: Vec<u32> = room.enabled().collect();
                let taken: Vec<&Candidate> = next.by_ref().take(seats.len()).collect();
                if taken.is_empty() {
                    break;
                }
                rng.shuffle(&mut seats);
                for (c, seat) in taken.iter().zip(seats) {
                    out.push(Seat {
                        application_id: c.id,
                        sitting_id: sitting.id,
                        room_id: room.id,
                        seat,
                    });
                }
            }
        }
    }
    if short.is_empty() {
        out.sort();
        Ok(out)
    } else {
        Err(short)
    }
}

/// Every rule a stored seating must meet: each candidate has exactly one seat per sitting
/// and nobody else has one; a seat is used once per sitting, is enabled and lies in its
/// room; the room is in the candidate's exam area.
pub fn check(candidates: &[Candidate], rooms: &[Room], seats: &[Seat]) -> Vec<String> {
    let mut problems = Vec::new();
    let room_of: HashMap<i64, &Room> = rooms.iter().map(|r| (r.id, r)).collect();
    let cand_of: HashMap<i64, &Candidate> = candidates.iter().map(|c| (c.id, c)).collect();
    let mut held: HashMap<(i64, i64), u32> = HashMap::new();
    let mut used: HashSet<(i64, i64, u32)> = HashSet::new();
    for s in seats {
        let Some(c) = cand_of.get(&s.application_id) else {
            problems.push(format!(
                "application {} has a seat but is not a candidate",
                s.application_id
            ));
            continue;
        };
        let Some(r) = room_of.get(&s.room_id) else {
            problems.push(format!(
                "{}: seat in an unknown room {}",
                c.registration_no, s.room_id
            ));
            continue;
        };
        *held.entry((s.application_id, s.sitting_id)).or_default() += 1;
        if !c.sittings.contains(&s.sitting_id) {
            problems.push(format!(
                "{}: seated in a sitting it does not take",
                c.registration_no
            ));
        }
        if !used.insert((s.sitting_id, s.room_id, s.seat)) {
            problems.push(format!(
                "{} {} room {} seat {} is used twice in one sitting",
                r.exam_area, r.site_code, r.number, s.seat
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
    for c in candidates {
        for s in &c.sittings {
            match held.get(&(c.id, *s)).copied().unwrap_or(0) {
                1 => {}
                0 => problems.push(format!("{}: no seat in sitting {s}", c.registration_no)),
                n => problems.push(format!("{}: {n} seats in sitting {s}", c.registration_no)),
            }
        }
    }
    problems
}

/// What an admit-card number is made of.
#[derive(Debug, Clone)]
pub struct CardFields<'a> {
    pub year: u32,
    pub half: u8,
    /// The exam area's number (1-based, in the order of the areas' names).
    pub area: u32,
    pub site_code: &'a str,
    pub room: u32,
    pub seat: u32,
    pub sitting: u32,
    pub level: u8,
    pub seq: u32,
}

/// Renders an admit-card number; `Err` when a value does not fit its field's width.
pub fn card_number(t: &CardTemplate, f: &CardFields<'_>) -> Result<String, String> {
    let mut out = String::with_capacity(t.width());
    for p in &t.parts {
        match p {
            TemplatePart::Literal(l) => out.push_str(l),
            TemplatePart::Field { name, width } => {
                let value = match *name {
                    "yyyy" => f.year.to_string(),
                    "yy" => format!("{:02}", f.year % 100),
                    "half" => f.half.to_string(),
                    "area" => f.area.to_string(),
                    "site" => f.site_code.to_string(),
                    "room" => f.room.to_string(),
                    "seat" => f.seat.to_string(),
                    "sitting" => f.sitting.to_string(),
                    "level" => f.level.to_string(),
                    "seq" => f.seq.to_string(),
                    other => return Err(format!("unknown field {{{other}}}")),
                };
                if value.len() > *width || !value.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(format!(
                        "{{{name}{width}}}: {value} does not fit {width} characters"
                    ));
                }
                out.push_str(&format!("{value:0>width$}"));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rooms() -> Vec<Room> {
        vec![
            Room {
                id: 1,
                exam_area: "昆明".into(),
                site_code: "001".into(),
                number: 1,
                seats: 4,
                disabled: vec![2],
            },
            Room {
                id: 2,
                exam_area: "昆明".into(),
                site_code: "001".into(),
                number: 2,
                seats: 3,
                disabled: vec![],
            },
            Room {
                id: 3,
                exam_area: "丽江".into(),
                site_code: "001".into(),
                number: 1,
                seats: 2,
                disabled: vec![],
            },
        ]
    }

    fn sittings() -> Vec<Sitting> {
        vec![
            Sitting {
                id: 10,
                label: "上午".into(),
                order: 1,
            },
            Sitting {
                id: 11,
                label: "下午".into(),
                order: 2,
            },
        ]
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
        let a = assign(&cands, &rooms(), &sittings(), 42).unwrap();
        let b = assign(&cands, &rooms(), &sittings(), 42).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 7, "six candidates, one with two sittings");
        assert!(
            check(&cands, &rooms(), &a).is_empty(),
            "{:?}",
            check(&cands, &rooms(), &a)
        );
        let c = assign(&cands, &rooms(), &sittings(), 43).unwrap();
        assert!(check(&cands, &rooms(), &c).is_empty());
        // Order of the input does not matter.
        let mut rev = cands.clone();
        rev.reverse();
        assert_eq!(assign(&rev, &rooms(), &sittings(), 42).unwrap(), a);
    }

    #[test]
    fn a_shortage_names_the_area_and_the_sitting() {
        let cands: Vec<Candidate> = (1..=3)
            .map(|i| cand(i, "丽江", "软件设计师", &[10]))
            .collect();
        let err = assign(&cands, &rooms(), &sittings(), 1).unwrap_err();
        assert_eq!(
            err,
            vec![Shortage {
                exam_area: "丽江".into(),
                sitting: "上午".into(),
                candidates: 3,
                seats: 2
            }]
        );
    }

    #[test]
    fn broken_seatings_are_caught() {
        let cands = vec![
            cand(1, "昆明", "软件设计师", &[10]),
            cand(2, "昆明", "软件设计师", &[10]),
        ];
        let seats = vec![
            Seat {
                application_id: 1,
                sitting_id: 10,
                room_id: 1,
                seat: 2,
            },
            Seat {
                application_id: 2,
                sitting_id: 10,
                room_id: 3,
                seat: 1,
            },
        ];
        let p = check(&cands, &rooms(), &seats).join("\n");
        assert!(p.contains("disabled") && p.contains("chose 昆明"), "{p}");
        let twice = vec![
            Seat {
                application_id: 1,
                sitting_id: 10,
                room_id: 2,
                seat: 1,
            },
            Seat {
                application_id: 2,
                sitting_id: 10,
                room_id: 2,
                seat: 1,
            },
        ];
        assert!(
            check(&cands, &rooms(), &twice)
                .join("\n")
                .contains("used twice")
        );
        let none = check(&cands, &rooms(), &twice[..1]);
        assert!(none.iter().any(|p| p.contains("no seat")));
    }

    #[test]
    fn card_numbers_are_fixed_width() {
        let t = CardTemplate::parse("{yy}{half}{area2}{site3}{room3}{seat2}").unwrap();
        let f = CardFields {
            year: 2026,
            half: 2,
            area: 3,
            site_code: "1",
            room: 7,
            seat: 5,
            sitting: 1,
            level: 2,
            seq: 1,
        };
        assert_eq!(card_number(&t, &f).unwrap(), "2620300100705");
        let too_big = CardFields { room: 1234, ..f };
        assert!(card_number(&t, &too_big).unwrap_err().contains("1234"));
    }
}
