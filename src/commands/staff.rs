//! `kaowu staff need|assign|verify|replace`: the posts a seated session needs, filling them
//! from the staff list, checking them, and moving one person who declines. Documents are
//! `staff_documents.rs`'s.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use serde::Serialize;

use super::batch::{Change, Written, apply, recording};
use super::staffing::Staffing;
use super::{Ctx, Rejected, connect, current_session, print_json, table};
use crate::cli::{Confirm, GlobalArgs, StaffCommand};
use crate::db::Tx;
use crate::model::staff::Role;
use crate::model::staff_assign::{self, Unfilled};

pub async fn run(g: &GlobalArgs, cmd: &StaffCommand) -> Result<()> {
    match cmd {
        StaffCommand::Need => need(g).await,
        StaffCommand::Assign { seed, confirm } => assign(g, *seed, confirm).await,
        StaffCommand::Verify => verify(g).await,
        StaffCommand::Replace {
            person,
            sitting,
            confirm,
        } => replace(g, person, sitting, confirm).await,
        StaffCommand::Documents { out, photos } => {
            super::staff_documents::run(g, out, photos.as_deref()).await
        }
    }
}

/// Posts by role, in the order of [`Role::ALL`].
#[derive(Debug, Clone, Default, Serialize)]
struct Counts {
    #[serde(rename = "主考")]
    chief: usize,
    #[serde(rename = "技术")]
    tech: usize,
    #[serde(rename = "巡视")]
    patrol: usize,
    #[serde(rename = "监考")]
    invigilator: usize,
    #[serde(rename = "备用")]
    spare: usize,
    total: usize,
}

impl Counts {
    fn add(&mut self, r: Role) {
        *match r {
            Role::Chief => &mut self.chief,
            Role::Tech => &mut self.tech,
            Role::Patrol => &mut self.patrol,
            Role::Invigilator => &mut self.invigilator,
            Role::Spare => &mut self.spare,
        } += 1;
        self.total += 1;
    }

    fn cells(&self) -> Vec<String> {
        [
            self.chief,
            self.tech,
            self.patrol,
            self.invigilator,
            self.spare,
            self.total,
        ]
        .iter()
        .map(ToString::to_string)
        .collect()
    }
}

#[derive(Serialize)]
struct SiteNeed {
    sitting: String,
    site: String,
    rooms: usize,
    computer_rooms: usize,
    seated: u64,
    posts: Counts,
}

#[derive(Serialize)]
struct Duties {
    posts: usize,
    held: usize,
    open: usize,
    /// Duties per person over everyone on the list.
    fewest: u32,
    most: u32,
    spread: u32,
    /// Over the people given at least one duty.
    fewest_of_those_on_duty: u32,
    rooms_without_experienced: usize,
}

#[derive(Serialize)]
struct NeedReport {
    session: String,
    rules: crate::model::staff::Rules,
    per_site: Vec<SiteNeed>,
    per_sitting: BTreeMap<String, Counts>,
    total: Counts,
    staff: usize,
    /// People on the list who may take each role.
    may_take: BTreeMap<&'static str, usize>,
    assigned: Option<Duties>,
}

async fn need(g: &GlobalArgs) -> Result<()> {
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let st = Staffing::load(&mut tx, session.id).await?;
    drop(tx);
    let pr = &st.problem;
    let mut per_site: BTreeMap<(usize, usize), SiteNeed> = BTreeMap::new();
    let mut per_sitting: BTreeMap<String, Counts> = BTreeMap::new();
    let mut total = Counts::default();
    let mut seated: BTreeMap<(usize, usize), u64> = BTreeMap::new();
    for l in &st.loads {
        *seated.entry((l.sitting, l.site)).or_default() += u64::from(l.seated);
    }
    for p in &pr.posts {
        let e = per_site
            .entry((p.sitting, p.site))
            .or_insert_with(|| SiteNeed {
                sitting: st.sitting_name(p.sitting),
                site: st.site_name(p.site),
                rooms: 0,
                computer_rooms: 0,
                seated: seated.get(&(p.sitting, p.site)).copied().unwrap_or(0),
                posts: Counts::default(),
            });
        e.posts.add(p.role);
        if p.role == Role::Invigilator && p.slot == 1 {
            e.rooms += 1;
            if let Some(r) = p.room
                && st.rooms[r].2
            {
                e.computer_rooms += 1;
            }
        }
        per_sitting
            .entry(st.sitting_name(p.sitting))
            .or_default()
            .add(p.role);
        total.add(p.role);
    }
    let may_take = Role::ALL
        .iter()
        .map(|&r| {
            (
                r.zh(),
                pr.people.iter().filter(|p| p.roles.may_hold(r)).count(),
            )
        })
        .collect();
    let assigned = st
        .held
        .iter()
        .any(Option::is_some)
        .then(|| duties(&st, &st.held));
    let report = NeedReport {
        session: session.code.clone(),
        rules: st.rules.clone(),
        per_site: per_site.into_values().collect(),
        per_sitting,
        total,
        staff: st.staff.len(),
        may_take,
        assigned,
    };
    if g.json {
        return print_json(&report);
    }
    print_need(&report)
}

/// The duty figures of an assignment (`held`: the holder of each post).
fn duties(st: &Staffing, holders: &[Option<usize>]) -> Duties {
    let pr = &st.problem;
    let held = holders.iter().flatten().count();
    let (fewest, most) = staff_assign::spread(pr.people.len(), holders);
    let mut n = vec![0u32; pr.people.len()];
    for p in holders.iter().flatten() {
        n[*p] += 1;
    }
    let mut rooms: BTreeMap<(usize, usize), bool> = BTreeMap::new();
    for (i, post) in pr.posts.iter().enumerate() {
        if let (Some(room), Role::Invigilator) = (post.room, post.role) {
            let e = rooms.entry((post.sitting, room)).or_default();
            *e |= holders[i].is_some_and(|p| pr.people[p].experienced);
        }
    }
    Duties {
        posts: pr.posts.len(),
        held,
        open: pr.posts.len() - held,
        fewest,
        most,
        spread: most - fewest,
        fewest_of_those_on_duty: n.iter().copied().filter(|&d| d > 0).min().unwrap_or(0),
        rooms_without_experienced: rooms.values().filter(|e| !**e).count(),
    }
}

fn print_need(r: &NeedReport) -> Result<()> {
    let ru = &r.rules;
    outln!(
        "session {}: invigilators {} up to {} candidates, one more per {} (computer rooms {} up to {}, one more per {}); a chief per site; a patrol per {} rooms; a technician per {} computer rooms; {} spare(s) per site and sitting; at most {} duties a day and {} in all (kaowu session set --staff KEY=VALUE)",
        r.session,
        ru.room_base,
        ru.room_up_to,
        ru.room_step,
        ru.computer_base,
        ru.computer_up_to,
        ru.computer_step,
        ru.patrol_rooms,
        ru.tech_rooms,
        ru.spares,
        ru.cap_day,
        ru.cap_total
    )?;
    if r.per_site.is_empty() {
        outln!("no seats in use: nothing to staff (kaowu seat assign first)")?;
        return Ok(());
    }
    let mut t = table(&[
        "场次", "考点", "考场", "机房", "考生", "主考", "技术", "巡视", "监考", "备用", "合计",
    ]);
    for s in &r.per_site {
        let mut row = vec![
            s.sitting.clone(),
            s.site.clone(),
            s.rooms.to_string(),
            s.computer_rooms.to_string(),
            s.seated_text(),
        ];
        row.extend(s.posts.cells());
        t.add_row(row);
    }
    for (sitting, c) in &r.per_sitting {
        let mut row = vec![
            sitting.clone(),
            "合计".into(),
            String::new(),
            String::new(),
            String::new(),
        ];
        row.extend(c.cells());
        t.add_row(row);
    }
    let mut row = vec![
        "总计".into(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
    ];
    row.extend(r.total.cells());
    t.add_row(row);
    outln!("{t}")?;
    outln!(
        "staff list: {} people; may take {}",
        r.staff,
        r.may_take
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    match &r.assigned {
        Some(d) => outln!(
            "assigned: {} of {} posts held, {} open; duties per person: fewest {}, most {}, spread {} (fewest of those on duty {}); rooms without an experienced invigilator: {}",
            d.held,
            d.posts,
            d.open,
            d.fewest,
            d.most,
            d.spread,
            d.fewest_of_those_on_duty,
            d.rooms_without_experienced
        )?,
        None => outln!("not assigned yet: kaowu staff assign")?,
    }
    Ok(())
}

impl SiteNeed {
    fn seated_text(&self) -> String {
        if self.seated == 0 {
            String::new()
        } else {
            self.seated.to_string()
        }
    }
}

/// The open posts of a run that failed, as a rejection naming each.
fn unfilled(st: &Staffing, what: String, list: &[Unfilled]) -> anyhow::Error {
    Rejected {
        what,
        problems: list
            .iter()
            .map(|u| {
                let post = &st.problem.posts[u.post];
                format!("{}: {}", st.post_name(post), u.why(post.role))
            })
            .collect(),
    }
    .into()
}

#[derive(Serialize)]
struct AssignReport {
    session: String,
    dry_run: bool,
    batch: Option<i64>,
    seed: u64,
    posts: usize,
    kept: usize,
    given: usize,
    released: usize,
    per_role: Counts,
    fewest: u32,
    most: u32,
    spread: u32,
    rooms_without_experienced: usize,
}

struct Assign {
    session_id: i64,
    st: Staffing,
    seed: u64,
    /// (post, person) given in this run.
    given: Vec<(usize, usize)>,
    /// Stored posts to release: no longer needed, or now breaking a rule.
    release: Vec<i64>,
    report: AssignReport,
}

async fn assign(g: &GlobalArgs, seed: Option<u64>, confirm: &Confirm) -> Result<()> {
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let st = Staffing::load(&mut tx, session.id).await?;
    drop(tx);
    if st.problem.posts.is_empty() {
        bail!(
            "session {} has no seats in use: nothing to staff (kaowu seat assign first)",
            session.code
        );
    }
    if st.staff.is_empty() {
        bail!(
            "session {} has no staff list: kaowu import staff FILE",
            session.code
        );
    }
    let seed = seed.unwrap_or_else(|| fastrand::u64(..));
    // A post held that now breaks a rule (the list or the seating changed) is given again.
    let mut kept = st.held.clone();
    let mut release: Vec<i64> = st.stray.iter().map(|r| r.id).collect();
    let breaches = st.problem.check(&kept);
    for b in &breaches {
        if let (Some(i), Some(_)) = (b.post, b.person)
            && kept[i].is_some()
        {
            kept[i] = None;
            if let Some(row) = &st.held_rows[i] {
                release.push(row.id);
            }
        }
    }
    release.sort_unstable();
    release.dedup();
    let mut t = crate::progress::Phases::new();
    let holders = staff_assign::assign(&st.problem, &kept, seed).map_err(|list| {
        unfilled(
            &st,
            format!("staff assign (seed {seed}), posts that cannot be filled"),
            &list,
        )
    })?;
    t.mark("assign");
    let given: Vec<(usize, usize)> = (0..holders.len())
        .filter(|&i| kept[i].is_none())
        .filter_map(|i| holders[i].map(|p| (i, p)))
        .collect();
    let mut per_role = Counts::default();
    for (i, _) in &given {
        per_role.add(st.problem.posts[*i].role);
    }
    let (fewest, most) = staff_assign::spread(st.problem.people.len(), &holders);
    let d = duties(&st, &holders);
    let report = AssignReport {
        session: session.code.clone(),
        dry_run: confirm.dry_run,
        batch: None,
        seed,
        posts: holders.len(),
        kept: kept.iter().flatten().count(),
        given: given.len(),
        released: release.len(),
        per_role,
        fewest,
        most,
        spread: most - fewest,
        rooms_without_experienced: d.rooms_without_experienced,
    };
    let mut change = Assign {
        session_id: session.id,
        st,
        seed,
        given,
        release,
        report,
    };
    let cx = Ctx::new(g, db, session);
    apply(&cx, &mut change, confirm).await
}

impl Change for Assign {
    type Report = AssignReport;

    fn kind(&self) -> String {
        "staff-assign".into()
    }

    fn size(&self) -> usize {
        self.given.len() + self.release.len()
    }

    fn preview(&self, dry_run: bool) -> String {
        let r = &self.report;
        let c = &r.per_role;
        let mut s = format!(
            "staff assign (seed {}) {}: {} post(s) given (主考 {}, 技术 {}, 巡视 {}, 监考 {}, 备用 {}), {} kept, {} released\n",
            self.seed,
            recording(dry_run),
            r.given,
            c.chief,
            c.tech,
            c.patrol,
            c.invigilator,
            c.spare,
            r.kept,
            r.released
        );
        s.push_str(&format!(
            "  duties per person: fewest {}, most {}, spread {}; rooms without an experienced invigilator: {}\n",
            r.fewest, r.most, r.spread, r.rooms_without_experienced
        ));
        for (i, p) in self.given.iter().take(10) {
            s.push_str(&format!(
                "  {}: {}\n",
                self.st.post_name(&self.st.problem.posts[*i]),
                self.st.person_name(*p)
            ));
        }
        if self.given.len() > 10 {
            s.push_str(&format!(
                "  ... and {} more (kaowu staff documents writes them all)\n",
                self.given.len() - 10
            ));
        }
        s
    }

    fn nothing(&self) -> String {
        "every post is held already: nothing to change".into()
    }

    fn question(&self) -> String {
        format!("give {} post(s)?", self.given.len())
    }

    async fn write(&mut self, tx: &mut Tx, batch: i64) -> Result<Written> {
        let session_id = self.session_id;
        let released = tx.release_posts(batch, &self.release).await?;
        if released as usize != self.release.len() {
            bail!(
                "the posts changed while they were being assigned; nothing was changed, try again"
            );
        }
        let assignment = tx
            .insert_staff_assignment(
                session_id,
                batch,
                &self.seed.to_string(),
                &self.st.fingerprint,
            )
            .await?;
        let rows = self.st.new_posts(&self.given);
        tx.insert_posts(session_id, batch, Some(assignment), &rows)
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "{e}: someone else gave posts meanwhile; nothing was changed, try again"
                )
            })?;
        let n = self.given.len() + self.release.len();
        Ok(Written {
            summary: format!(
                "staff assign seed {}: {} given, {} released",
                self.seed,
                self.given.len(),
                self.release.len()
            ),
            changed: n,
            analyze: vec![(n, &["staff_posts"])],
        })
    }

    fn report(&mut self, dry_run: bool, batch: Option<i64>) -> &AssignReport {
        self.report.dry_run = dry_run;
        self.report.batch = batch;
        &self.report
    }

    fn done(&self, batch: i64, _: &Written) -> String {
        format!(
            "batch {batch}: {} post(s) given, {} released (seed {}); kaowu staff documents --out DIR writes the lists",
            self.given.len(),
            self.release.len(),
            self.seed
        )
    }
}

#[derive(Serialize)]
struct VerifyReport {
    session: String,
    posts: usize,
    held: usize,
    breaches: Vec<String>,
    no_longer_needed: usize,
    seed: Option<String>,
    /// Whether the inputs are those the last run was derived from.
    same_inputs: Option<bool>,
    /// Posts whose holder differs from what the seed derives (replacements and posts
    /// given by a later run included).
    differ_from_derivation: Option<usize>,
    replaced: usize,
}

async fn verify(g: &GlobalArgs) -> Result<()> {
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let st = Staffing::load(&mut tx, session.id).await?;
    let runs = tx.staff_assignments(session.id).await?;
    drop(tx);
    db.close().await;
    let pr = &st.problem;
    let breaches: Vec<String> = pr
        .check(&st.held)
        .into_iter()
        .map(|b| {
            let post = b.post.map(|i| st.post_name(&pr.posts[i]));
            let person = b.person.map(|p| st.person_name(p));
            match (post, person) {
                (Some(post), Some(person)) => format!("{post}: {person} {} ({})", b.detail, b.rule),
                (Some(post), None) => format!("{post}: {} ({})", b.detail, b.rule),
                (None, Some(person)) => format!("{person}: {} ({})", b.detail, b.rule),
                (None, None) => b.detail,
            }
        })
        .collect();
    let replaced = st
        .held_rows
        .iter()
        .flatten()
        .filter(|r| r.assignment_id.is_none())
        .count();
    // The runs whose posts are still held (an undone run holds none).
    let live: std::collections::BTreeSet<i64> = st
        .held_rows
        .iter()
        .flatten()
        .filter_map(|r| r.assignment_id)
        .collect();
    let last = runs
        .iter()
        .rev()
        .find(|r| live.contains(&r.id))
        .or(runs.last());
    let same = last.map(|r| r.fingerprint == st.fingerprint);
    let differ = match (last, same) {
        (Some(run), Some(true)) if live.len() == 1 => {
            let seed: u64 = run.seed.parse().unwrap_or(0);
            // As the run saw it: before anyone declined.
            let mut before = pr.clone();
            for p in &mut before.people {
                p.declined.clear();
            }
            staff_assign::assign(&before, &vec![None; pr.posts.len()], seed)
                .ok()
                .map(|h| (0..h.len()).filter(|&i| h[i] != st.held[i]).count())
        }
        _ => None,
    };
    let report = VerifyReport {
        session: session.code.clone(),
        posts: pr.posts.len(),
        held: st.held.iter().flatten().count(),
        breaches,
        no_longer_needed: st.stray.len(),
        seed: last.map(|r| r.seed.clone()),
        same_inputs: same,
        differ_from_derivation: differ,
        replaced,
    };
    if g.json {
        print_json(&report)?;
    } else {
        outln!(
            "session {}: {} of {} posts held; {} rule(s) broken or posts open; {} held post(s) no longer needed",
            report.session,
            report.held,
            report.posts,
            report.breaches.len(),
            report.no_longer_needed
        )?;
        match (
            &report.seed,
            report.same_inputs,
            report.differ_from_derivation,
        ) {
            (Some(seed), Some(true), Some(0)) => {
                outln!("derived again from seed {seed}: the same posts, the same people")?;
            }
            (Some(seed), Some(true), Some(n)) => outln!(
                "derived again from seed {seed}: {n} post(s) held by someone else ({} replaced after a decline)",
                report.replaced
            )?,
            (Some(seed), Some(true), None) => {
                outln!(
                    "seed {seed}: several runs made this assignment; checked by the rules only"
                )?;
            }
            (Some(seed), _, _) => outln!(
                "seed {seed}: the seating, the staff list or the rules changed since the assignment; checked by the rules only"
            )?,
            (None, _, _) => outln!("not assigned yet: kaowu staff assign")?,
        }
    }
    if !report.breaches.is_empty() {
        // Every one listed, not the first few: this is the checker's whole answer.
        if !g.json {
            for b in &report.breaches {
                outln!("  {b}")?;
            }
        }
        return Err(Rejected::one(
            "staff verify",
            format!(
                "{} rule(s) broken or post(s) open{}",
                report.breaches.len(),
                if g.json { "" } else { " (listed above)" }
            ),
        )
        .into());
    }
    Ok(())
}

#[derive(Serialize)]
struct ReplaceReport {
    session: String,
    dry_run: bool,
    batch: Option<i64>,
    person: String,
    moved: Vec<Moved>,
}

#[derive(Serialize)]
struct Moved {
    post: String,
    from: String,
    to: String,
}

struct Replace {
    session_id: i64,
    st: Staffing,
    person: usize,
    sittings: Vec<i64>,
    release: Vec<i64>,
    given: Vec<(usize, usize)>,
    report: ReplaceReport,
}

async fn replace(g: &GlobalArgs, who: &str, only: &[String], confirm: &Confirm) -> Result<()> {
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let mut st = Staffing::load(&mut tx, session.id).await?;
    let runs = tx.staff_assignments(session.id).await?;
    drop(tx);
    let p = st.find(who)?;
    let mut sittings: Vec<usize> = Vec::new();
    for s in only {
        let w = crate::model::text::fold_ascii(s).trim().to_string();
        let found = (0..st.sittings.len()).find(|&i| {
            st.sittings[i].label == w || super::staffing::half_of(&st.sittings[i]).text() == w
        });
        match found {
            Some(i) => sittings.push(i),
            None => bail!(
                "no sitting {s}; the sittings are {}",
                (0..st.sittings.len())
                    .map(|i| st.sitting_name(i))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
    if sittings.is_empty() {
        sittings = (0..st.problem.posts.len())
            .filter(|&i| st.held[i] == Some(p))
            .map(|i| st.problem.posts[i].sitting)
            .collect();
    }
    sittings.sort_unstable();
    sittings.dedup();
    st.problem.people[p].declined.extend(&sittings);
    let vacated: Vec<usize> = (0..st.problem.posts.len())
        .filter(|&i| st.held[i] == Some(p) && sittings.contains(&st.problem.posts[i].sitting))
        .collect();
    if vacated.is_empty() {
        // A wrong number, most likely: say so rather than record a decline of nothing.
        return Err(Rejected::one(
            format!("staff replace {}", st.person_name(p)),
            if only.is_empty() {
                "holds no post".to_string()
            } else {
                format!("holds no post at {}", only.join(", "))
            },
        )
        .into());
    }
    // Ties are broken in the order of the last run's seed, so that the same replacement
    // comes out on every machine.
    let seed = runs.last().and_then(|r| r.seed.parse().ok()).unwrap_or(0);
    let given = staff_assign::replace(&st.problem, &st.held, p, seed).map_err(|list| {
        unfilled(
            &st,
            format!(
                "staff replace {}: {} post(s) cannot go to anyone else; nothing was written",
                st.person_name(p),
                list.len()
            ),
            &list,
        )
    })?;
    let release = vacated
        .iter()
        .filter_map(|&i| st.held_rows[i].as_ref().map(|r| r.id))
        .collect();
    let moved = given
        .iter()
        .map(|&(i, q)| Moved {
            post: st.post_name(&st.problem.posts[i]),
            from: st.person_name(p),
            to: st.person_name(q),
        })
        .collect();
    let report = ReplaceReport {
        session: session.code.clone(),
        dry_run: confirm.dry_run,
        batch: None,
        person: st.person_name(p),
        moved,
    };
    let sitting_ids = sittings.iter().map(|&s| st.sittings[s].id).collect();
    let mut change = Replace {
        session_id: session.id,
        st,
        person: p,
        sittings: sitting_ids,
        release,
        given,
        report,
    };
    let cx = Ctx::new(g, db, session);
    apply(&cx, &mut change, confirm).await
}

impl Change for Replace {
    type Report = ReplaceReport;

    fn kind(&self) -> String {
        "staff-replace".into()
    }

    fn size(&self) -> usize {
        self.given.len()
    }

    fn preview(&self, dry_run: bool) -> String {
        let mut s = format!(
            "staff replace {} {}: {} post(s) to others\n",
            self.report.person,
            recording(dry_run),
            self.given.len()
        );
        for m in &self.report.moved {
            s.push_str(&format!("  {}: {} -> {}\n", m.post, m.from, m.to));
        }
        s
    }

    fn nothing(&self) -> String {
        format!(
            "{} holds no post at those sittings: nothing to change",
            self.report.person
        )
    }

    fn question(&self) -> String {
        format!(
            "give the {} post(s) of {} to others?",
            self.given.len(),
            self.report.person
        )
    }

    async fn write(&mut self, tx: &mut Tx, batch: i64) -> Result<Written> {
        let session_id = self.session_id;
        let released = tx.release_posts(batch, &self.release).await?;
        if released as usize != self.release.len() {
            bail!("the posts changed meanwhile; nothing was changed, try again");
        }
        tx.insert_declines(self.st.staff[self.person].id, &self.sittings, batch)
            .await?;
        let rows = self.st.new_posts(&self.given);
        tx.insert_posts(session_id, batch, None, &rows)
            .await
            .map_err(|e| {
                anyhow::anyhow!("{e}: the posts changed meanwhile; nothing was changed, try again")
            })?;
        Ok(Written {
            summary: format!(
                "staff replace {}: {} post(s) to others",
                self.report.person,
                self.given.len()
            ),
            changed: self.given.len(),
            analyze: vec![],
        })
    }

    fn report(&mut self, dry_run: bool, batch: Option<i64>) -> &ReplaceReport {
        self.report.dry_run = dry_run;
        self.report.batch = batch;
        &self.report
    }

    fn done(&self, batch: i64, _: &Written) -> String {
        format!(
            "batch {batch}: {} post(s) of {} given to others",
            self.given.len(),
            self.report.person
        )
    }
}
