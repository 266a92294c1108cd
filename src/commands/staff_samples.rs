//! `kaowu samples staff`: a staff list (考务人员.csv) for the seated session, tight, ample or
//! infeasible by construction, with what makes assignment hard in real lists: employers
//! shared with candidates (written as offices write them, legal form and spaces varying),
//! declared relatives among the candidates, half-days off, sites one must or must not
//! work at, and a few very long values.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use anyhow::{Context, Result};

use super::staffing::{Staffing, half_of};
use super::{connect, current_session};
use crate::cli::GlobalArgs;
use crate::io::write::{Charset, CsvOut};
use crate::model::id_number::check_char;
use crate::model::roster::Value;
use crate::model::staff::Role;

/// Employers of exam staff: schools and offices, none of them a candidate's.
const STAFF_EMPLOYERS: &[&str] = &[
    "昆明市第一中学",
    "云南师范大学",
    "昆明理工大学",
    "曲靖市第二中学",
    "玉溪第一中学",
    "大理大学",
    "红河学院",
    "丽江市第一中学",
    "昆明市五华区教育体育局",
    "云南省人力资源和社会保障厅",
    "云南省昆明市西山区人民政府前卫街道办事处社区服务中心",
    "云南省人事考试院",
];

/// How the candidates' employers come back on a staff list: the legal form and spacing
/// as someone else writes them.
fn variant(employer: &str, rng: &mut fastrand::Rng) -> String {
    match rng.u8(0..3) {
        0 => employer.to_string(),
        1 => employer
            .replace("有限责任公司", "公司")
            .replace("有限公司", "公司"),
        _ => {
            let mut s: Vec<char> = employer.chars().collect();
            s.insert(2.min(s.len()), ' ');
            s.into_iter().collect()
        }
    }
}

/// What a generated person is drawn from: the seated session and its candidates.
struct Draw<'a> {
    st: &'a Staffing,
    candidate_employers: Vec<&'a str>,
    candidate_ids: Vec<&'a str>,
    /// Sites with posts.
    sites_used: Vec<usize>,
    /// Invigilators that may be restricted (half-days off) without making the list short.
    slack: u32,
    restricted: u32,
    bound_sites: HashSet<usize>,
    ids: HashSet<String>,
}

pub async fn run(g: &GlobalArgs, out: &Path, shape: &str, seed: u64) -> Result<()> {
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let st = Staffing::load(&mut tx, session.id).await?;
    let candidates = tx.room_candidates(session.id).await?;
    drop(tx);
    db.close().await;
    if st.problem.posts.is_empty() {
        anyhow::bail!(
            "session {} has no seats in use: seat it first (kaowu seat assign)",
            session.code
        );
    }
    let mut rng = fastrand::Rng::with_seed(seed);
    // People are recruited per exam area (考区) and work there: each area's list covers its
    // own posts.
    let areas = areas_with_posts(&st);
    // The infeasible list is short of a chief in the area with the most chief posts.
    let short = areas
        .iter()
        .max_by_key(|(a, least)| (least[0], std::cmp::Reverse(a.clone())))
        .map(|(a, _)| a.clone())
        .unwrap_or_default();
    let count = |area: &str, least: &[u32; 4], g: u8| -> u32 {
        let n = least[usize::from(g)];
        match (shape, g) {
            ("infeasible", 0) if area == short => n - 1,
            (_, _) if n == 0 => 0,
            ("ample", _) => n + n.div_ceil(3) + 1,
            (_, 3) => n + n.div_ceil(30) + 2,
            _ => n + 1,
        }
    };
    let mut draw = Draw {
        st: &st,
        candidate_employers: candidates
            .iter()
            .map(|c| c.employer.as_str())
            .filter(|e| !e.is_empty())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect(),
        candidate_ids: candidates.iter().map(|c| c.id_number.as_str()).collect(),
        sites_used: Vec::new(),
        slack: 0,
        restricted: 0,
        bound_sites: HashSet::new(),
        ids: HashSet::new(),
    };
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let path = out.join("考务人员.csv");
    let mut csv = CsvOut::create(&path, Charset::Utf8Bom, HEADER)?;
    // Badge photos (<证件号码>.jpg) for most, as an office collects them: some never come.
    let photos_dir = out.join("staff-photos");
    std::fs::create_dir_all(&photos_dir)
        .with_context(|| format!("cannot create {}", photos_dir.display()))?;
    let pool = crate::synth::PhotoPool::new(seed);
    let mut photos = 0;
    let mut written: BTreeMap<&str, u32> = BTreeMap::new();
    let mut least_all = [0u32; 4];
    for (area, least) in &areas {
        for (all, n) in least_all.iter_mut().zip(least) {
            *all += n;
        }
        draw.sites_used = st
            .problem
            .posts
            .iter()
            .map(|p| p.site)
            .filter(|&s| st.sites[s].exam_area == *area)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        draw.slack = count(area, least, 3) - least[3];
        draw.restricted = 0;
        for (g, roles) in [(0u8, "主考"), (1, "技术"), (2, "巡视"), (3, "监考")] {
            for i in 0..count(area, least, g) {
                let mut cells = draw.person(&mut rng, g, i, roles);
                cells[AREA] = area.clone();
                if rng.u8(..100) < 85 {
                    let id = &cells[2];
                    crate::io::atomic::write(
                        &photos_dir.join(format!("{id}.jpg")),
                        &pool.portrait_for(id),
                    )?;
                    photos += 1;
                }
                let row: Vec<Value<'_>> = cells
                    .iter()
                    .map(|t| Value::Text(t.as_str().into()))
                    .collect();
                csv.push(&row)?;
                *written.entry(roles).or_default() += 1;
            }
        }
    }
    csv.finish()?;
    eprintln!(
        "wrote {} ({shape}{}) and {photos} photos in {}: {}; posts need at least {} chiefs, {} technicians, {} patrols, {} invigilators and spares within the caps, each exam area its own",
        path.display(),
        if shape == "infeasible" {
            format!(": a chief short in {short}")
        } else {
            String::new()
        },
        photos_dir.display(),
        written
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", "),
        least_all[0],
        least_all[1],
        least_all[2],
        least_all[3]
    );
    Ok(())
}

/// The column of 考区 in [`HEADER`].
const AREA: usize = 9;

const HEADER: &[&str] = &[
    "姓名",
    "性别",
    "证件号码",
    "工作单位",
    "手机",
    "岗位",
    "可用时间",
    "每日上限",
    "总上限",
    "考区",
    "指定考点",
    "回避考点",
    "亲属证件号码",
    "监考经历",
    "银行卡号",
];

/// The exam areas with posts, each with the fewest people its posts need per group.
fn areas_with_posts(st: &Staffing) -> Vec<(String, [u32; 4])> {
    st.sites
        .iter()
        .map(|s| s.exam_area.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|a| {
            let least = least_people(st, &a);
            (a, least)
        })
        .filter(|(_, least)| least.iter().any(|&n| n > 0))
        .collect()
}

/// The fewest people who can hold each group's posts of exam area `area` within the caps:
/// chiefs, technicians, patrols, and invigilators with spares (a spare post takes an
/// invigilator too).
fn least_people(st: &Staffing, area: &str) -> [u32; 4] {
    let group = |r: Role| match r {
        Role::Chief => 0,
        Role::Tech => 1,
        Role::Patrol => 2,
        Role::Invigilator | Role::Spare => 3,
    };
    let mut per: BTreeMap<(u8, usize), u32> = BTreeMap::new();
    for p in st
        .problem
        .posts
        .iter()
        .filter(|p| st.sites[p.site].exam_area == area)
    {
        *per.entry((group(p.role), p.sitting)).or_default() += 1;
    }
    let days: BTreeMap<chrono::NaiveDate, Vec<usize>> =
        (0..st.sittings.len()).fold(BTreeMap::new(), |mut m, s| {
            m.entry(st.sittings[s].exam_date).or_default().push(s);
            m
        });
    let rules = &st.rules;
    let least = |g: u8| -> u32 {
        let at = |s: usize| per.get(&(g, s)).copied().unwrap_or(0);
        let most = (0..st.sittings.len()).map(at).max().unwrap_or(0);
        let per_day = days
            .values()
            .map(|ss| {
                ss.iter()
                    .map(|&s| at(s))
                    .sum::<u32>()
                    .div_ceil(rules.cap_day)
            })
            .max()
            .unwrap_or(0);
        let total = (0..st.sittings.len())
            .map(at)
            .sum::<u32>()
            .div_ceil(rules.cap_total);
        most.max(per_day).max(total)
    };
    [least(0), least(1), least(2), least(3)]
}

impl Draw<'_> {
    /// One person of group `g` (0 chiefs, 1 technicians, 2 patrols, 3 invigilators), the
    /// `i`th: the cells of their row.
    fn person(&mut self, rng: &mut fastrand::Rng, g: u8, i: u32, roles: &str) -> Vec<String> {
        let st = self.st;
        let (_, region, _, _) = crate::synth::AREAS[rng.usize(..crate::synth::AREAS.len())];
        let male = rng.bool();
        let id = loop {
            let birth = chrono::NaiveDate::from_ymd_opt(1965, 1, 1).expect("valid")
                + chrono::Duration::days(rng.i64(0..(30 * 365)));
            let seq = rng.u32(0..500) * 2 + u32::from(male);
            let first17 = format!("{region}{}{seq:03}", birth.format("%Y%m%d"));
            let id = format!("{first17}{}", check_char(first17.as_bytes()));
            if self.ids.insert(id.clone()) {
                break id;
            }
        };
        let name = if i == 0 && g == 3 {
            "欧阳娜仁花·阿卜杜热合曼".to_string()
        } else {
            crate::synth::staff_name(rng)
        };
        // Site staff (chiefs, patrols, technicians) may come from the candidates'
        // employers; invigilators mostly from schools, a few from those employers too.
        let from_candidates = !self.candidate_employers.is_empty()
            && if g == 3 {
                rng.u8(..100) < 5
            } else {
                rng.u8(..100) < 40
            };
        let employer = if from_candidates {
            variant(
                self.candidate_employers[rng.usize(..self.candidate_employers.len())],
                rng,
            )
        } else {
            STAFF_EMPLOYERS[rng.usize(..STAFF_EMPLOYERS.len())].to_string()
        };
        let mut role = roles.to_string();
        if g == 3 && rng.u8(..100) < 20 {
            role.push_str("、备用");
        }
        // Half-days off and a site bound to, only within the list's slack.
        let mut available = String::new();
        let mut must = String::new();
        if g == 3 && self.restricted < self.slack / 2 && rng.u8(..100) < 15 && st.sittings.len() > 1
        {
            self.restricted += 1;
            let off = rng.usize(..st.sittings.len());
            available = (0..st.sittings.len())
                .filter(|&s| s != off)
                .map(|s| half_of(&st.sittings[s]).text())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
                .join(",");
            if available == half_of(&st.sittings[off]).text() {
                available.clear();
            }
        } else if g == 3 && rng.u8(..100) < 3 {
            let s = self.sites_used[rng.usize(..self.sites_used.len())];
            if self.bound_sites.insert(s) {
                must = format!("{}/{}", st.sites[s].exam_area, st.sites[s].code);
            }
        }
        let not = if g == 3 && rng.u8(..100) < 5 {
            let s = self.sites_used[rng.usize(..self.sites_used.len())];
            format!("{}/{}", st.sites[s].exam_area, st.sites[s].code)
        } else {
            String::new()
        };
        let relative = if rng.u8(..100) < 3 && !self.candidate_ids.is_empty() {
            self.candidate_ids[rng.usize(..self.candidate_ids.len())].to_string()
        } else {
            String::new()
        };
        let experience = if rng.u8(..100) < 30 {
            0
        } else {
            rng.u32(1..20)
        };
        let bank = if rng.u8(..100) < 4 {
            String::new()
        } else {
            format!("6217{:015}", rng.u64(..1_000_000_000_000_000))
        };
        let phone = format!(
            "1{}{:09}",
            [3, 5, 7, 8, 9][rng.usize(..5)],
            rng.u32(0..1_000_000_000)
        );
        vec![
            name,
            if male { "男" } else { "女" }.to_string(),
            id,
            employer,
            phone,
            role,
            available,
            String::new(),
            String::new(),
            String::new(),
            must,
            not,
            relative,
            experience.to_string(),
            bank,
        ]
    }
}
