//! Who holds which post: the assignment of exam staff to the posts of a session, the hard
//! rules it keeps, and the check `staff verify` runs.
//!
//! Written by hand: the problem is a bipartite matching per sitting (posts against free
//! people) coupled across sittings only by the caps per day and in total, with soft wishes
//! on top. A greedy pass per sitting, in time order, takes for each post the eligible free
//! person who costs least (fewest duties so far, then already working that day, the same
//! room as earlier that day, the same site as before, an experienced person where a room
//! has none yet, then a seeded order), and a post the greedy leaves open is repaired by an
//! augmenting path within the sitting (Kuhn's algorithm), so that a sitting is filled
//! whenever a matching of its posts exists given the caps left. No solver crate: a MILP
//! (good_lp over HiGHS or CBC) needs a native solver built from C/C++ sources on every
//! machine, and its answer for a tie depends on the solver's version and threads, where
//! the same seed must give the same posts everywhere; the greedy with repair fills the
//! 18,504 posts of a 200,000-candidate session from a tight list of 4,763 people in about
//! 1.3 s (`KAOWU_TIMINGS=1 kaowu staff assign` on `kaowu demo --applications 200000`).

use std::collections::HashMap;
use std::rc::Rc;

use chrono::NaiveDate;

use super::staff::{Availability, HalfDay, Post, Role, Roles};

/// A sitting as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SittingSlot {
    pub half: HalfDay,
    /// Minutes since midnight: two sittings whose times overlap cannot share a person.
    pub starts: u32,
    pub ends: u32,
}

/// A person as the rules see them.
#[derive(Debug, Clone, Default)]
pub struct Person {
    pub roles: Roles,
    pub available: Availability,
    pub cap_day: u32,
    pub cap_total: u32,
    /// The exam area (考区) they work in, by the index [`Problem::site_area`] gives each
    /// site; `None`: any.
    pub area: Option<u32>,
    /// Sites they must work at (empty: any), and must not.
    pub must_sites: Vec<usize>,
    pub not_sites: Vec<usize>,
    /// Their employer, interned by its [`super::staff::employer_key`]; `None` when blank.
    pub employer: Option<u32>,
    /// Their declared relatives' ID numbers, interned as the candidates' are.
    pub relatives: Vec<u32>,
    pub experienced: bool,
    /// Sittings they declined after being given a post (`staff replace`).
    pub declined: Vec<usize>,
}

/// Everything an assignment depends on.
#[derive(Debug, Clone, Default)]
pub struct Problem {
    pub sittings: Vec<SittingSlot>,
    pub posts: Vec<Post>,
    pub people: Vec<Person>,
    /// The exam area of each site, as an index.
    pub site_area: Vec<u32>,
    /// The employers (interned, sorted) of the candidates in a room at a sitting.
    pub room_employers: HashMap<(usize, usize), Vec<u32>>,
    /// The candidates' ID numbers (interned, sorted) in a room at a sitting, and at a site.
    pub room_candidates: HashMap<(usize, usize), Vec<u32>>,
    pub site_candidates: HashMap<(usize, usize), Vec<u32>>,
}

/// A rule an assignment breaks, or a post it leaves open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach {
    pub post: Option<usize>,
    pub person: Option<usize>,
    /// A short name of the rule: `open`, `role`, `availability`, `area`, `site`, `employer`,
    /// `relative`, `twice`, `cap-day`, `cap-total`.
    pub rule: &'static str,
    pub detail: String,
}

/// A post no one could be given, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unfilled {
    pub post: usize,
    /// People with the role at all, of them free of the rules for this post (available,
    /// allowed at the site, no employer or relative there).
    pub with_role: usize,
    pub eligible: usize,
}

impl Unfilled {
    /// Why, in words.
    pub fn why(&self, role: Role) -> String {
        if self.with_role == 0 {
            format!("nobody on the list may be {}", role.zh())
        } else if self.eligible == 0 {
            format!(
                "none of the {} who may be {} is available there then and free of the area, site, employer and relative rules",
                self.with_role,
                role.zh()
            )
        } else if self.eligible == 1 {
            "the one person who could hold it is placed elsewhere at that time or at their cap of duties".into()
        } else {
            format!(
                "the {} who could hold it are all placed elsewhere at that time or at their cap of duties",
                self.eligible
            )
        }
    }
}

/// A post's lookups for [`Problem::broken_rule`]: its half-day, the employers (interned,
/// sorted) of the candidates in its room (an invigilator's post; none for the others), and
/// the declared relatives who sit in its room (or, for a post of the whole site, at its site).
struct Here<'a> {
    half: HalfDay,
    employers: &'a [u32],
    relatives: &'a [u32],
}

impl Problem {
    fn date_of(&self, sitting: usize) -> NaiveDate {
        self.sittings[sitting].half.date
    }

    /// Sittings whose times overlap `sitting`'s (itself included).
    fn overlapping(&self, sitting: usize) -> Vec<usize> {
        let a = &self.sittings[sitting];
        (0..self.sittings.len())
            .filter(|&j| {
                let b = &self.sittings[j];
                j == sitting
                    || (a.half.date == b.half.date && a.starts < b.ends && b.starts < a.ends)
            })
            .collect()
    }

    /// What a post's rules look up once for everyone who might hold it.
    fn here(&self, post: &Post) -> Here<'_> {
        let (employers, relatives) = match post.room {
            Some(room) if post.role == Role::Invigilator => (
                self.room_employers.get(&(post.sitting, room)),
                self.room_candidates.get(&(post.sitting, room)),
            ),
            _ => (None, self.site_candidates.get(&(post.sitting, post.site))),
        };
        Here {
            half: self.sittings[post.sitting].half,
            employers: employers.map_or(&[], Vec::as_slice),
            relatives: relatives.map_or(&[], Vec::as_slice),
        }
    }

    /// The first rule of one person and one post that does not depend on the rest of the
    /// assignment and is broken: its short name, or `None`.
    fn broken_rule(&self, p: usize, post: &Post, here: &Here<'_>) -> Option<&'static str> {
        let person = &self.people[p];
        if !person.roles.may_hold(post.role) {
            return Some("role");
        }
        if !person.available.allows(here.half) || person.declined.contains(&post.sitting) {
            return Some("availability");
        }
        if person
            .area
            .is_some_and(|a| self.site_area.get(post.site) != Some(&a))
        {
            return Some("area");
        }
        if (!person.must_sites.is_empty() && !person.must_sites.contains(&post.site))
            || person.not_sites.contains(&post.site)
        {
            return Some("site");
        }
        if let Some(e) = person.employer
            && here.employers.binary_search(&e).is_ok()
        {
            return Some("employer");
        }
        if !person.relatives.is_empty()
            && person
                .relatives
                .iter()
                .any(|r| here.relatives.binary_search(r).is_ok())
        {
            return Some("relative");
        }
        None
    }

    /// The rules of one person and one post that do not depend on the rest of the
    /// assignment; the first broken, with what it means, or `None`.
    pub fn static_breach(&self, p: usize, post: &Post) -> Option<(&'static str, String)> {
        let here = self.here(post);
        let rule = self.broken_rule(p, post, &here)?;
        let detail = match rule {
            "role" => format!("may not be {}", post.role.zh()),
            "availability" => format!("is not available {}", here.half.text()),
            "area" => "works in another exam area (考区)".into(),
            "site" => "may not work at this site".into(),
            "employer" => "a candidate in the room is from their employer".into(),
            _ => "a declared relative sits the exam there".into(),
        };
        Some((rule, detail))
    }

    /// Every rule `holders` (the person of each post) breaks, and every open post.
    pub fn check(&self, holders: &[Option<usize>]) -> Vec<Breach> {
        let mut out = Vec::new();
        let mut at: HashMap<(usize, usize), usize> = HashMap::new();
        let mut per_day: HashMap<(usize, NaiveDate), u32> = HashMap::new();
        let mut total: HashMap<usize, u32> = HashMap::new();
        for (i, post) in self.posts.iter().enumerate() {
            let Some(p) = holders[i] else {
                out.push(Breach {
                    post: Some(i),
                    person: None,
                    rule: "open",
                    detail: "nobody holds it".into(),
                });
                continue;
            };
            if let Some((rule, detail)) = self.static_breach(p, post) {
                out.push(Breach {
                    post: Some(i),
                    person: Some(p),
                    rule,
                    detail,
                });
            }
            for s in self.overlapping(post.sitting) {
                if let Some(&other) = at.get(&(p, s)) {
                    out.push(Breach {
                        post: Some(i),
                        person: Some(p),
                        rule: "twice",
                        detail: format!("holds another post at the same time (post {})", other + 1),
                    });
                }
            }
            at.insert((p, post.sitting), i);
            *per_day.entry((p, self.date_of(post.sitting))).or_default() += 1;
            *total.entry(p).or_default() += 1;
        }
        let mut over: Vec<Breach> = per_day
            .iter()
            .filter(|((p, _), n)| **n > self.people[*p].cap_day)
            .map(|((p, d), n)| Breach {
                post: None,
                person: Some(*p),
                rule: "cap-day",
                detail: format!("{n} duties on {d}, more than {}", self.people[*p].cap_day),
            })
            .chain(
                total
                    .iter()
                    .filter(|(p, n)| **n > self.people[**p].cap_total)
                    .map(|(p, n)| Breach {
                        post: None,
                        person: Some(*p),
                        rule: "cap-total",
                        detail: format!("{n} duties, more than {}", self.people[*p].cap_total),
                    }),
            )
            .collect();
        over.sort_by(|a, b| (a.person, &a.detail).cmp(&(b.person, &b.detail)));
        out.extend(over);
        out
    }
}

/// No post: a person free at a sitting.
const FREE: u32 = u32::MAX;

/// The running state of an assignment: who holds what, and each person's counts. Indexed
/// by vectors rather than maps: `best` looks at every eligible person for every post.
struct State<'a> {
    pr: &'a Problem,
    holders: Vec<Option<usize>>,
    /// The post each person holds at each sitting ([sitting][person], `FREE` for none).
    busy: Vec<Vec<u32>>,
    duties: Vec<u32>,
    /// The exam day of each sitting (0, 1, ...), and how many days there are.
    day_of: Vec<usize>,
    days: usize,
    /// Duties per person and day ([person * days + day]).
    per_day: Vec<u32>,
    /// The room a person held on a day (the latest: site, room), for "the same room all day".
    room_on: Vec<(u32, u32)>,
    /// Rooms (sitting, room) holding an experienced person.
    experienced: HashMap<(usize, usize), u32>,
    /// Duties per person and site, for "the same site all session" (a site's chief stays
    /// its chief; nobody crosses the province between two days): a few sites each.
    at_site: Vec<Vec<(usize, u32)>>,
    /// People who may hold each role, in the seeded order.
    by_role: HashMap<Role, Rc<[usize]>>,
    rank: Vec<u32>,
    target: u32,
    overlapping: Vec<Vec<usize>>,
}

impl<'a> State<'a> {
    fn new(pr: &'a Problem, seed: u64) -> State<'a> {
        let mut order: Vec<usize> = (0..pr.people.len()).collect();
        fastrand::Rng::with_seed(seed).shuffle(&mut order);
        let mut rank = vec![0; pr.people.len()];
        for (i, &p) in order.iter().enumerate() {
            rank[p] = i as u32;
        }
        let by_role = Role::ALL
            .iter()
            .map(|&r| {
                (
                    r,
                    order
                        .iter()
                        .copied()
                        .filter(|&p| pr.people[p].roles.may_hold(r))
                        .collect::<Rc<[usize]>>(),
                )
            })
            .collect();
        let target = (pr.posts.len() as u32).div_ceil(pr.people.len().max(1) as u32);
        let mut dates: Vec<NaiveDate> = pr.sittings.iter().map(|s| s.half.date).collect();
        dates.sort_unstable();
        dates.dedup();
        let day_of = pr
            .sittings
            .iter()
            .map(|s| dates.binary_search(&s.half.date).unwrap_or(0))
            .collect();
        let (n, days) = (pr.people.len(), dates.len());
        State {
            pr,
            holders: vec![None; pr.posts.len()],
            busy: vec![vec![FREE; n]; pr.sittings.len()],
            duties: vec![0; n],
            day_of,
            days,
            per_day: vec![0; n * days],
            room_on: vec![(FREE, FREE); n * days],
            experienced: HashMap::new(),
            at_site: vec![Vec::new(); n],
            by_role,
            rank,
            target,
            overlapping: (0..pr.sittings.len()).map(|s| pr.overlapping(s)).collect(),
        }
    }

    fn place(&mut self, post: usize, p: usize) {
        let pr = self.pr;
        let x = &pr.posts[post];
        let day = p * self.days + self.day_of[x.sitting];
        self.holders[post] = Some(p);
        self.busy[x.sitting][p] = post as u32;
        self.duties[p] += 1;
        self.per_day[day] += 1;
        let sites = &mut self.at_site[p];
        match sites.iter_mut().find(|(s, _)| *s == x.site) {
            Some((_, n)) => *n += 1,
            None => sites.push((x.site, 1)),
        }
        if let Some(room) = x.room {
            self.room_on[day] = (x.site as u32, room as u32);
            if pr.people[p].experienced {
                *self.experienced.entry((x.sitting, room)).or_default() += 1;
            }
        }
    }

    fn unplace(&mut self, post: usize) -> Option<usize> {
        let pr = self.pr;
        let x = &pr.posts[post];
        let p = self.holders[post].take()?;
        self.busy[x.sitting][p] = FREE;
        self.duties[p] -= 1;
        self.per_day[p * self.days + self.day_of[x.sitting]] -= 1;
        if let Some((_, n)) = self.at_site[p].iter_mut().find(|(s, _)| *s == x.site) {
            *n -= 1;
        }
        if let Some(room) = x.room
            && pr.people[p].experienced
        {
            *self.experienced.entry((x.sitting, room)).or_default() -= 1;
        }
        Some(p)
    }

    /// Free at the post's time and under their caps.
    fn free(&self, p: usize, post: &Post) -> bool {
        let person = &self.pr.people[p];
        self.overlapping[post.sitting]
            .iter()
            .all(|&s| self.busy[s][p] == FREE)
            && self.duties[p] < person.cap_total
            && self.per_day[p * self.days + self.day_of[post.sitting]] < person.cap_day
    }

    /// What giving post `post` to `p` costs; lower is better. `room_has_experienced`: the
    /// post's room holds an experienced person already.
    fn cost(&self, p: usize, post: &Post, room_has_experienced: bool) -> (u32, i64, u32) {
        let day = p * self.days + self.day_of[post.sitting];
        let d = self.duties[p];
        let over = (d + 1).saturating_sub(self.target);
        let mut cost = 100 * i64::from(d);
        if self.per_day[day] > 0 {
            cost -= 50;
            if let Some(room) = post.room
                && self.room_on[day] == (post.site as u32, room as u32)
            {
                cost -= 20;
            }
        }
        if self.at_site[p]
            .iter()
            .any(|&(s, n)| s == post.site && n > 0)
        {
            cost -= 40;
        }
        if post.room.is_some() && !room_has_experienced && self.pr.people[p].experienced {
            cost -= 30;
        }
        (over, cost, self.rank[p])
    }

    fn best(&self, post: usize) -> Option<usize> {
        let pr = self.pr;
        let x = &pr.posts[post];
        let here = pr.here(x);
        let room_has_experienced = x.room.is_some_and(|r| {
            self.experienced
                .get(&(x.sitting, r))
                .is_some_and(|&n| n > 0)
        });
        self.by_role[&x.role]
            .iter()
            .copied()
            .filter(|&p| self.free(p, x) && pr.broken_rule(p, x, &here).is_none())
            .min_by_key(|&p| self.cost(p, x, room_has_experienced))
    }

    /// An augmenting path within the post's sitting: someone who could hold `post` moves to
    /// it from another post of the same sitting, which someone else takes, and so on, until
    /// a free person is found. Posts in `fixed` are not moved.
    fn augment(&mut self, post: usize, seen: &mut [bool], fixed: &[bool]) -> bool {
        let pr = self.pr;
        let x = &pr.posts[post];
        let here = pr.here(x);
        let people = Rc::clone(&self.by_role[&x.role]);
        for &p in people.iter() {
            if seen[p] || pr.broken_rule(p, x, &here).is_some() {
                continue;
            }
            seen[p] = true;
            if self.free(p, x) {
                self.place(post, p);
                return true;
            }
            // Busy in this very sitting, under the same caps: moving changes no count.
            let q = self.busy[x.sitting][p];
            if q == FREE {
                continue;
            }
            let q = q as usize;
            if fixed[q] {
                continue;
            }
            self.unplace(q);
            if self.augment(q, seen, fixed) {
                self.place(post, p);
                return true;
            }
            self.place(q, p);
        }
        false
    }

    fn unfilled(&self, post: usize) -> Unfilled {
        let x = &self.pr.posts[post];
        let with_role = &self.by_role[&x.role];
        Unfilled {
            post,
            with_role: with_role.len(),
            eligible: with_role
                .iter()
                .filter(|&&p| self.pr.static_breach(p, x).is_none())
                .count(),
        }
    }
}

/// The order posts of a sitting are filled in: the scarce roles first, each room's first
/// invigilator before any room's second.
fn fill_order(pr: &Problem, posts: &[usize]) -> Vec<usize> {
    let mut order = posts.to_vec();
    let rank = |r: Role| match r {
        Role::Chief => 0,
        Role::Tech => 1,
        Role::Patrol => 2,
        Role::Invigilator => 3,
        Role::Spare => 4,
    };
    order.sort_by_key(|&i| {
        let x = &pr.posts[i];
        (rank(x.role), x.slot, x.site, x.room, i)
    });
    order
}

/// Fills every post: `kept` holds posts given before (a later run keeps them), the rest
/// are filled by the seeded greedy with repair. Every post that could not be filled is
/// returned, the whole session having been tried.
pub fn assign(
    pr: &Problem,
    kept: &[Option<usize>],
    seed: u64,
) -> Result<Vec<Option<usize>>, Vec<Unfilled>> {
    let mut st = State::new(pr, seed);
    let fixed: Vec<bool> = kept.iter().map(Option::is_some).collect();
    for (i, k) in kept.iter().enumerate() {
        if let Some(p) = *k {
            st.place(i, p);
        }
    }
    let mut sittings: Vec<usize> = (0..pr.sittings.len()).collect();
    sittings.sort_by_key(|&s| (pr.sittings[s].half, pr.sittings[s].starts, s));
    let mut unfilled = Vec::new();
    for s in sittings {
        let open: Vec<usize> = (0..pr.posts.len())
            .filter(|&i| pr.posts[i].sitting == s && !fixed[i])
            .collect();
        for i in fill_order(pr, &open) {
            if let Some(p) = st.best(i) {
                st.place(i, p);
            } else {
                let mut seen = vec![false; pr.people.len()];
                if !st.augment(i, &mut seen, &fixed) {
                    unfilled.push(st.unfilled(i));
                }
            }
        }
    }
    if unfilled.is_empty() {
        Ok(st.holders)
    } else {
        unfilled.sort_by_key(|u| u.post);
        Err(unfilled)
    }
}

/// `staff replace`: the posts of `person` at `sittings` go to others, each to the best free
/// eligible person; nobody else moves. Returns (post, new holder) pairs, or the posts no
/// one could take.
pub fn replace(
    pr: &Problem,
    holders: &[Option<usize>],
    person: usize,
    seed: u64,
) -> Result<Vec<(usize, usize)>, Vec<Unfilled>> {
    let mut st = State::new(pr, seed);
    for (i, h) in holders.iter().enumerate() {
        if let Some(p) = *h {
            st.place(i, p);
        }
    }
    let vacated: Vec<usize> = (0..pr.posts.len())
        .filter(|&i| {
            holders[i] == Some(person) && pr.people[person].declined.contains(&pr.posts[i].sitting)
        })
        .collect();
    let mut out = Vec::new();
    let mut unfilled = Vec::new();
    for &i in &vacated {
        st.unplace(i);
    }
    for i in vacated {
        match st.best(i) {
            Some(p) => {
                st.place(i, p);
                out.push((i, p));
            }
            None => unfilled.push(st.unfilled(i)),
        }
    }
    if unfilled.is_empty() {
        Ok(out)
    } else {
        Err(unfilled)
    }
}

/// Duties per person, and the spread (most less fewest) over everyone on the list.
pub fn spread(people: usize, holders: &[Option<usize>]) -> (u32, u32) {
    let mut n = vec![0u32; people];
    for p in holders.iter().flatten() {
        n[*p] += 1;
    }
    (
        n.iter().copied().min().unwrap_or(0),
        n.iter().copied().max().unwrap_or(0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::staff::{Role, RoomLoad, Rules, posts};

    fn day(d: u32, afternoon: bool) -> SittingSlot {
        SittingSlot {
            half: HalfDay {
                date: NaiveDate::from_ymd_opt(2026, 11, d).unwrap(),
                afternoon,
            },
            starts: if afternoon { 14 * 60 } else { 9 * 60 },
            ends: if afternoon {
                16 * 60 + 30
            } else {
                11 * 60 + 30
            },
        }
    }

    fn person(roles: &str) -> Person {
        Person {
            roles: Roles::parse(roles).unwrap(),
            cap_day: 2,
            cap_total: 4,
            ..Person::default()
        }
    }

    /// Two sittings, two sites with three rooms each.
    fn problem(people: Vec<Person>) -> Problem {
        let mut loads = Vec::new();
        for sitting in 0..2 {
            for room in 0..6 {
                loads.push(RoomLoad {
                    sitting,
                    site: room / 3,
                    room,
                    computer: false,
                    seated: 25,
                });
            }
        }
        Problem {
            sittings: vec![day(8, false), day(8, true)],
            posts: posts(&loads, &Rules::default()),
            people,
            ..Problem::default()
        }
    }

    fn staff(invigilators: usize, chiefs: usize, patrols: usize) -> Vec<Person> {
        let mut v = Vec::new();
        v.extend((0..invigilators).map(|_| person("监考")));
        v.extend((0..chiefs).map(|_| person("主考")));
        v.extend((0..patrols).map(|_| person("巡视")));
        v
    }

    #[test]
    fn fills_every_post_and_breaks_no_rule() {
        // Per sitting: 2 chiefs, 2 patrols, 12 invigilators, 2 spares.
        let pr = problem(staff(14, 2, 2));
        let h = assign(&pr, &vec![None; pr.posts.len()], 7).unwrap();
        assert_eq!(pr.check(&h), vec![]);
        assert_eq!(
            assign(&pr, &vec![None; pr.posts.len()], 7).unwrap(),
            h,
            "same seed"
        );
    }

    #[test]
    fn too_few_chiefs_names_the_posts() {
        let pr = problem(staff(14, 1, 2));
        let err = assign(&pr, &vec![None; pr.posts.len()], 1).unwrap_err();
        // One chief with a cap of 2 a day covers two of the four chief posts.
        assert_eq!(err.len(), 2);
        assert!(err.iter().all(|u| pr.posts[u.post].role == Role::Chief));
        assert!(err[0].why(Role::Chief).contains("placed elsewhere"));
    }

    #[test]
    fn employer_rule_is_kept_by_repair() {
        // Room 0 holds candidates of employer 1; only two people are not from it.
        let mut people = staff(14, 2, 2);
        for p in people.iter_mut().take(12) {
            p.employer = Some(1);
        }
        let mut pr = problem(people);
        pr.room_employers.insert((0, 0), vec![1]);
        let h = assign(&pr, &vec![None; pr.posts.len()], 3).unwrap();
        assert_eq!(pr.check(&h), vec![]);
        let in_room0: Vec<usize> = (0..pr.posts.len())
            .filter(|&i| pr.posts[i].sitting == 0 && pr.posts[i].room == Some(0))
            .filter_map(|i| h[i])
            .collect();
        assert!(in_room0.iter().all(|&p| p >= 12));
    }

    #[test]
    fn check_finds_each_broken_rule() {
        let mut pr = problem(staff(14, 2, 2));
        let mut h = assign(&pr, &vec![None; pr.posts.len()], 5).unwrap();
        let room_post = (0..pr.posts.len())
            .find(|&i| pr.posts[i].room == Some(0) && pr.posts[i].sitting == 0)
            .unwrap();
        let p = h[room_post].unwrap();
        pr.people[p].employer = Some(9);
        pr.room_employers.insert((0, 0), vec![9]);
        let chief = (0..pr.posts.len())
            .find(|&i| pr.posts[i].role == Role::Chief)
            .unwrap();
        h[chief] = Some(p);
        let rules: Vec<&str> = pr.check(&h).iter().map(|b| b.rule).collect();
        assert!(rules.contains(&"employer"), "{rules:?}");
        assert!(rules.contains(&"role"), "{rules:?}");
        assert!(rules.contains(&"twice"), "{rules:?}");
    }

    #[test]
    fn duties_are_balanced() {
        let pr = problem(staff(40, 4, 4));
        let h = assign(&pr, &vec![None; pr.posts.len()], 11).unwrap();
        let invigilators = 40;
        let mut n = [0u32; 40];
        for p in h.iter().flatten().filter(|&&p| p < invigilators) {
            n[*p] += 1;
        }
        // 28 invigilator and spare posts for 40 people: nobody gets two.
        assert!(n.iter().all(|&d| d <= 1), "{n:?}");
    }

    #[test]
    fn replace_moves_only_the_one_who_declined() {
        let mut pr = problem(staff(16, 2, 2));
        let h = assign(&pr, &vec![None; pr.posts.len()], 2).unwrap();
        let p = h.iter().flatten().copied().find(|&p| p < 16).unwrap();
        pr.people[p].declined = vec![0, 1];
        let moved = replace(&pr, &h, p, 2).unwrap();
        let mut after = h.clone();
        for &(i, q) in &moved {
            assert_eq!(h[i], Some(p));
            after[i] = Some(q);
        }
        assert!(!after.contains(&Some(p)));
        assert_eq!(pr.check(&after), vec![]);
        let changed = (0..h.len()).filter(|&i| h[i] != after[i]).count();
        assert_eq!(changed, moved.len());
    }
}
