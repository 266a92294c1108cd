//! What the staff commands share: the staffing problem of a session read from the database
//! (rules, sittings, sites, the rooms in use and who sits in them, the staff list, the
//! posts held), and how a post and a person are named.

use std::collections::HashMap;
use std::fmt::Write as _;

use anyhow::{Context, Result, bail};
use chrono::Timelike;
use sha2::{Digest, Sha256};

use crate::db::Tx;
use crate::db::seating::SittingRow;
use crate::db::staff::{PostRow, StaffRecord, StaffSite};
use crate::model::staff::{
    Availability, HalfDay, Post, Role, Roles, RoomLoad, Rules, employer_key, posts, split_list,
    split_sites,
};
use crate::model::staff_assign::{Person, Problem, SittingSlot};

/// A session's staffing, indexed as the model's [`Problem`] is: sittings, sites, rooms and
/// people by position.
pub struct Staffing {
    pub rules: Rules,
    pub sittings: Vec<SittingRow>,
    pub sites: Vec<StaffSite>,
    /// Room ids, their numbers and kinds, by the problem's room index.
    pub rooms: Vec<(i64, i64, bool)>,
    /// The rooms in use per sitting, with the candidates seated.
    pub loads: Vec<RoomLoad>,
    pub staff: Vec<StaffRecord>,
    pub problem: Problem,
    /// Who holds each post now (by the problem's post index), and its stored row.
    pub held: Vec<Option<usize>>,
    pub held_rows: Vec<Option<PostRow>>,
    /// Posts held that the seating no longer needs (a room emptied since).
    pub stray: Vec<PostRow>,
    /// A hash of everything an assignment is derived from.
    pub fingerprint: String,
}

impl Staffing {
    pub async fn load(tx: &mut Tx, session_id: i64) -> Result<Staffing> {
        let mut t = crate::progress::Phases::new();
        let rules = Rules::with(&tx.staff_rules(session_id).await?)
            .map_err(anyhow::Error::msg)
            .context("the session's staff rules")?;
        let sittings = tx.sitting_rows(session_id).await?;
        let sites = tx.staff_sites(session_id).await?;
        let loads = tx.room_loads(session_id).await?;
        let staff = tx.staff(session_id).await?;
        let declines = tx.staff_declines(session_id).await?;
        let held_rows = tx.staff_posts(session_id, false).await?;
        t.mark("read staff and rooms");
        let sitting_ix: HashMap<i64, usize> = sittings
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id, i))
            .collect();
        let site_ix: HashMap<i64, usize> =
            sites.iter().enumerate().map(|(i, s)| (s.id, i)).collect();
        let site_by_key: HashMap<String, usize> = sites
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("{}/{}", s.exam_area, s.code), i))
            .collect();
        let mut rooms: Vec<(i64, i64, bool)> = Vec::new();
        let mut room_ix: HashMap<i64, usize> = HashMap::new();
        let mut room_loads = Vec::new();
        for l in &loads {
            let r = *room_ix.entry(l.room_id).or_insert_with(|| {
                rooms.push((l.room_id, l.number, l.computer != 0));
                rooms.len() - 1
            });
            room_loads.push(RoomLoad {
                sitting: sitting_ix[&l.sitting_id],
                site: site_ix[&l.site_id],
                room: r,
                computer: l.computer != 0,
                seated: u32::try_from(l.seated).unwrap_or(u32::MAX),
            });
        }
        let room_site: HashMap<usize, usize> =
            room_loads.iter().map(|l| (l.room, l.site)).collect();

        let declined: HashMap<i64, Vec<usize>> =
            declines.iter().fold(HashMap::new(), |mut m, (p, s)| {
                if let Some(&s) = sitting_ix.get(s) {
                    m.entry(*p).or_insert_with(Vec::new).push(s);
                }
                m
            });
        let (areas, site_area) = site_areas(&sites);
        let (people, employers, relatives) =
            people(&staff, &rules, &declined, &site_by_key, &areas)?;
        let mut room_employers: HashMap<(usize, usize), Vec<u32>> = HashMap::new();
        let mut room_candidates: HashMap<(usize, usize), Vec<u32>> = HashMap::new();
        let mut site_candidates: HashMap<(usize, usize), Vec<u32>> = HashMap::new();
        if !staff.is_empty() {
            for c in tx.room_candidates(session_id).await? {
                let (Some(&s), Some(&r)) = (sitting_ix.get(&c.sitting_id), room_ix.get(&c.room_id))
                else {
                    continue;
                };
                if !c.employer.is_empty()
                    && let Some(&e) = employers.get(&employer_key(&c.employer))
                {
                    room_employers.entry((s, r)).or_default().push(e);
                }
                if let Some(&id) = relatives.get(&c.id_number) {
                    room_candidates.entry((s, r)).or_default().push(id);
                    site_candidates
                        .entry((s, room_site[&r]))
                        .or_default()
                        .push(id);
                }
            }
        }
        for list in room_employers
            .values_mut()
            .chain(room_candidates.values_mut())
            .chain(site_candidates.values_mut())
        {
            list.sort_unstable();
            list.dedup();
        }
        t.mark("read who sits where");
        let problem = Problem {
            sittings: sittings
                .iter()
                .map(|s| SittingSlot {
                    half: half_of(s),
                    starts: s.starts_at.num_seconds_from_midnight() / 60,
                    ends: s.ends_at.num_seconds_from_midnight() / 60,
                })
                .collect(),
            posts: posts(&room_loads, &rules),
            people,
            site_area,
            room_employers,
            room_candidates,
            site_candidates,
        };
        let (held, held_at, stray) =
            place_held(held_rows, &problem, &rooms, &staff, [&sitting_ix, &site_ix]);
        let fingerprint = fingerprint(&rules, &problem, &staff);
        t.mark("posts");
        Ok(Staffing {
            rules,
            sittings,
            sites,
            rooms,
            loads: room_loads,
            staff,
            problem,
            held,
            held_rows: held_at,
            stray,
            fingerprint,
        })
    }

    /// `2026-11-08 上午 (第一场)`.
    pub fn sitting_name(&self, s: usize) -> String {
        let st = &self.sittings[s];
        format!("{} {}", half_of(st).text(), st.label)
    }

    /// `昆明 001 云南大学`.
    pub fn site_name(&self, s: usize) -> String {
        let site = &self.sites[s];
        format!("{} {} {}", site.exam_area, site.code, site.name)
    }

    /// `第03考场 (机房)`, or `—` for a post of the whole site.
    pub fn room_name(&self, room: Option<usize>) -> String {
        room.map_or_else(
            || "—".to_string(),
            |r| {
                let (_, n, computer) = self.rooms[r];
                format!("第{n:02}考场{}", if computer { " (机房)" } else { "" })
            },
        )
    }

    /// A post in words: sitting, site, room, role and slot.
    pub fn post_name(&self, post: &Post) -> String {
        format!(
            "{}, {}, {}, {} #{}",
            self.sitting_name(post.sitting),
            self.site_name(post.site),
            self.room_name(post.room),
            post.role.zh(),
            post.slot
        )
    }

    /// `0007 张三`.
    pub fn person_name(&self, p: usize) -> String {
        format!("{} {}", self.staff[p].staff_no, self.staff[p].name)
    }

    /// The person a staff number or ID number names.
    pub fn find(&self, who: &str) -> Result<usize> {
        let w = crate::model::text::fold_ascii(who).trim().to_uppercase();
        match self
            .staff
            .iter()
            .position(|s| s.staff_no.to_uppercase() == w || s.id_number == w)
        {
            Some(p) => Ok(p),
            None => bail!(
                "no one on the staff list has the number {who}; see kaowu staff documents or import staff"
            ),
        }
    }

    /// The posts to store for holders given by post index.
    pub fn new_posts(&self, pairs: &[(usize, usize)]) -> Vec<crate::db::staff::NewPost> {
        pairs
            .iter()
            .map(|&(i, p)| {
                let post = &self.problem.posts[i];
                crate::db::staff::NewPost {
                    sitting_id: self.sittings[post.sitting].id,
                    site_id: self.sites[post.site].id,
                    room_id: post.room.map_or(0, |r| self.rooms[r].0),
                    role: post.role.zh(),
                    slot: i64::from(post.slot),
                    staff_id: self.staff[p].id,
                }
            })
            .collect()
    }
}

/// The half-day a sitting is in: before noon is the morning's.
pub fn half_of(s: &SittingRow) -> HalfDay {
    HalfDay {
        date: s.exam_date,
        afternoon: s.starts_at.hour() >= 12,
    }
}

/// The exam areas, sorted, and each site's by its index there.
fn site_areas(sites: &[StaffSite]) -> (Vec<&str>, Vec<u32>) {
    let mut areas: Vec<&str> = sites.iter().map(|s| s.exam_area.as_str()).collect();
    areas.sort_unstable();
    areas.dedup();
    let site_area = sites
        .iter()
        .map(|s| areas.binary_search(&s.exam_area.as_str()).unwrap_or(0) as u32)
        .collect();
    (areas, site_area)
}

/// Interned employers and relatives' ID numbers of the staff: a candidate's are looked up,
/// and only those someone on the list shares matter.
type Interned = HashMap<String, u32>;

/// The staff list as the model's people, with the interned employers and relatives.
fn people(
    staff: &[StaffRecord],
    rules: &Rules,
    declined: &HashMap<i64, Vec<usize>>,
    site_by_key: &HashMap<String, usize>,
    areas: &[&str],
) -> Result<(Vec<Person>, Interned, Interned)> {
    let mut employers: Interned = HashMap::new();
    let mut relatives: Interned = HashMap::new();
    let mut people = Vec::with_capacity(staff.len());
    for s in staff {
        let key = employer_key(&s.employer);
        let employer = (!key.is_empty()).then(|| {
            let n = employers.len() as u32;
            *employers.entry(key).or_insert(n)
        });
        let sites_of = |list: &str| -> Vec<usize> {
            split_sites(list)
                .filter_map(|k| site_by_key.get(k).copied())
                .collect()
        };
        people.push(Person {
            roles: Roles::parse(&s.roles)
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("staff {} {}", s.staff_no, s.name))?,
            available: Availability::parse(&s.available, 2000)
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("staff {} {}", s.staff_no, s.name))?,
            cap_day: s
                .cap_day
                .map_or(rules.cap_day, |c| u32::try_from(c).unwrap_or(0)),
            cap_total: s
                .cap_total
                .map_or(rules.cap_total, |c| u32::try_from(c).unwrap_or(0)),
            // An area no site has any more (the sites were imported again): nowhere.
            area: (!s.exam_area.is_empty()).then(|| {
                areas
                    .binary_search(&s.exam_area.as_str())
                    .map_or(u32::MAX, |i| i as u32)
            }),
            must_sites: sites_of(&s.must_sites),
            not_sites: sites_of(&s.not_sites),
            employer,
            relatives: split_list(&s.relatives)
                .map(|id| {
                    let n = relatives.len() as u32;
                    *relatives.entry(id.to_string()).or_insert(n)
                })
                .collect(),
            experienced: s.experience > 0,
            declined: declined.get(&s.id).cloned().unwrap_or_default(),
        });
    }
    Ok((people, employers, relatives))
}

/// The stored posts placed on the problem's: who holds each post (by its index) and its
/// row, and the rows of posts the seating no longer needs.
#[allow(clippy::type_complexity)]
fn place_held(
    held_rows: Vec<PostRow>,
    problem: &Problem,
    rooms: &[(i64, i64, bool)],
    staff: &[StaffRecord],
    [sitting_ix, site_ix]: [&HashMap<i64, usize>; 2],
) -> (Vec<Option<usize>>, Vec<Option<PostRow>>, Vec<PostRow>) {
    let staff_ix: HashMap<i64, usize> = staff.iter().enumerate().map(|(i, s)| (s.id, i)).collect();
    let post_ix: HashMap<(usize, usize, i64, Role, u32), usize> = problem
        .posts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let room = p.room.map_or(0, |r| rooms[r].0);
            ((p.sitting, p.site, room, p.role, p.slot), i)
        })
        .collect();
    let mut held = vec![None; problem.posts.len()];
    let mut held_at = vec![None; problem.posts.len()];
    let mut stray = Vec::new();
    for row in held_rows {
        let key = (
            sitting_ix.get(&row.sitting_id).copied(),
            site_ix.get(&row.site_id).copied(),
            Role::parse(&row.role),
        );
        let found = match key {
            (Some(s), Some(site), Some(role)) => post_ix
                .get(&(s, site, row.room_id, role, row.slot as u32))
                .copied(),
            _ => None,
        };
        match (found, staff_ix.get(&row.staff_id)) {
            (Some(i), Some(&p)) => {
                held[i] = Some(p);
                held_at[i] = Some(row);
            }
            _ => stray.push(row),
        }
    }
    (held, held_at, stray)
}

/// A hash of the rules, the posts, who sits where (as the rules see it) and the staff list.
/// Equal hashes mean the same seed derives the same assignment.
fn fingerprint(rules: &Rules, pr: &Problem, staff: &[StaffRecord]) -> String {
    let mut s = String::new();
    let _ = write!(s, "{rules:?}|{:?}|{:?}", pr.sittings, pr.posts);
    let mut keys: Vec<_> = pr.room_employers.iter().collect();
    keys.sort();
    let _ = write!(s, "|{keys:?}");
    let mut keys: Vec<_> = pr.room_candidates.iter().collect();
    keys.sort();
    let _ = write!(s, "|{keys:?}");
    for p in staff {
        let _ = write!(
            s,
            "|{} {} {} {} {} {:?} {:?} {} {} {} {} {}",
            p.staff_no,
            p.id_number,
            p.employer,
            p.roles,
            p.available,
            p.cap_day,
            p.cap_total,
            p.exam_area,
            p.must_sites,
            p.not_sites,
            p.relatives,
            p.experience
        );
    }
    // Declines are left out: `staff replace` changes the assignment, not what the seed
    // derives, which `staff verify` derives again without them.
    format!("{:x}", Sha256::digest(s.as_bytes()))
}
