//! The first seating method (kept to verify seatings stored by it): each sitting drawn on
//! its own, so a candidate with two sittings could land at two sites. `seat verify` derives
//! a stored seating of this method again with this code, and then reports every candidate
//! it split; new seatings use [`super::day`].

use std::collections::BTreeMap;

use super::{Candidate, Room, Seat, Shortage, Sitting, stream};

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
