//! Exam staff (issue 26). Every rule an office checks is recomputed here from the files
//! kaowu wrote and read, not from its database or its own code: the 监考安排表 workbooks,
//! the staff list (考务人员.csv), the candidates' roster and the sites file. The posts each
//! room needs are counted from the roster; employers are compared with a normalisation
//! written here. On both databases: the same seed gives the same files; an infeasible list
//! stops naming the posts; a decline moves one person's posts and nobody else's.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crate::after_exam::sheet_rows;
use crate::cards::seated;
use crate::common::{Env, backends, s, sample};
use crate::scores::{col, csv_rows};

/// The employer as an office compares two: letters and digits only, lower case, without
/// the legal form at its end ("昆明 云岭软件有限公司" and "昆明云岭软件公司" are one).
fn employer(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap(),
            c => c,
        })
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    for form in [
        "股份有限公司",
        "有限责任公司",
        "有限公司",
        "集团公司",
        "公司",
    ] {
        if let Some(rest) = s.strip_suffix(form) {
            return rest.to_string();
        }
    }
    s
}

/// A sitting as both files name it: the exam date and the start time ("2026-11-07 08:30").
type Sitting = String;
/// A room: exam area, site code, room number.
type Room = (String, String, u32);

fn room_number(text: &str) -> u32 {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    digits.parse().unwrap()
}

/// Who sits in each room at each sitting, from the roster: their employers and ID numbers.
#[derive(Default)]
struct Occupancy {
    employers: BTreeSet<String>,
    ids: BTreeSet<String>,
}

fn occupancy(roster: &Path) -> BTreeMap<(Sitting, Room), Occupancy> {
    let mut out: BTreeMap<(Sitting, Room), Occupancy> = BTreeMap::new();
    for e in std::fs::read_dir(roster).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "csv") {
            continue;
        }
        let rows = csv_rows(&p);
        let h = &rows[0];
        let c = |n| col(h, n);
        for r in &rows[1..] {
            let start = r[c("考试时间")].split('-').next().unwrap().to_string();
            let sitting = format!("{} {start}", r[c("考试日期")]);
            let room = (
                r[c("考区")].clone(),
                r[c("考点代码")].clone(),
                room_number(&r[c("考场号")]),
            );
            let o = out.entry((sitting, room)).or_default();
            o.employers.insert(employer(&r[c("工作单位")]));
            o.ids.insert(r[c("证件号码")].clone());
        }
    }
    out
}

/// The computer rooms (机房) of the samples' sites file.
fn computer_rooms() -> BTreeSet<Room> {
    let bytes = std::fs::read(sample("sites.csv")).unwrap();
    let (text, _, bad) = encoding_rs::GBK.decode(&bytes);
    assert!(!bad);
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let h: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    let c = |n: &str| h.iter().position(|x| x == n).unwrap();
    r.records()
        .map(Result::unwrap)
        .filter(|x| x[c("机房")].trim() == "是")
        .map(|x| {
            (
                x[0].to_string(),
                x[c("考点代码")].to_string(),
                room_number(&x[c("考场号")]),
            )
        })
        .collect()
}

/// One person of the staff list, as its file gives them.
struct Person {
    name: String,
    area: String,
    employer: String,
    roles: BTreeSet<String>,
    available: BTreeSet<String>,
    must: BTreeSet<String>,
    not: BTreeSet<String>,
    relatives: BTreeSet<String>,
}

fn split(text: &str, seps: &[char]) -> BTreeSet<String> {
    text.split(|c: char| seps.contains(&c))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// The staff list by 编号: the import numbers the rows 0001, 0002... in file order.
fn staff_list(file: &Path) -> BTreeMap<String, Person> {
    let rows = csv_rows(file);
    let h = &rows[0];
    let c = |n| col(h, n);
    rows[1..]
        .iter()
        .enumerate()
        .map(|(i, r)| {
            (
                format!("{:04}", i + 1),
                Person {
                    name: r[c("姓名")].clone(),
                    area: r[c("考区")].clone(),
                    employer: employer(&r[c("工作单位")]),
                    roles: split(&r[c("岗位")], &['、', ',']),
                    available: split(&r[c("可用时间")], &[',', '、']),
                    must: split(&r[c("指定考点")], &[',', '、']),
                    not: split(&r[c("回避考点")], &[',', '、']),
                    relatives: split(&r[c("亲属证件号码")], &[',', '、']),
                },
            )
        })
        .collect()
}

/// A post as the 监考安排表 shows it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Held {
    sitting: Sitting,
    half: String, // 2026-11-07上午
    area: String,
    site: String,
    room: Option<u32>,
    role: String,
    staff_no: String,
    name: String,
}

/// Every post of every 监考安排表 workbook in `dir`.
fn arrangement(dir: &Path) -> Vec<Held> {
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with("监考安排表_") && n.ends_with(".xlsx")
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no 监考安排表 in {}", dir.display());
    for f in files {
        // 监考安排表_<考区>_<代码>.xlsx
        let stem = f.file_stem().unwrap().to_string_lossy().to_string();
        let area = stem.split('_').nth(1).unwrap().to_string();
        let rows = sheet_rows(&f, "序号");
        let h = &rows[0];
        let c = |n| col(h, n);
        for r in &rows[1..] {
            if r[c("序号")].is_empty() {
                continue;
            }
            let sitting_text = &r[c("场次")]; // 上午 08:30-11:00
            let (half, time) = sitting_text.split_once(' ').unwrap();
            let start = time.split('-').next().unwrap();
            let date = &r[c("考试日期")];
            let room = &r[c("考场")];
            out.push(Held {
                sitting: format!("{date} {start}"),
                half: format!("{date}{half}"),
                area: area.clone(),
                site: r[c("考点代码")].clone(),
                room: (room != "—").then(|| room_number(room.split(' ').next().unwrap())),
                role: r[c("岗位")].clone(),
                staff_no: r[c("编号")].clone(),
                name: r[c("姓名")].clone(),
            });
        }
    }
    out
}

/// The posts each sitting and site needs, counted from the roster and the sites file with
/// the default rules: invigilators 2 up to 30 candidates and one more per 30 (computer
/// rooms 2 up to 40, one more per 40); a chief; a patrol per 10 rooms; a technician per 5
/// computer rooms; one spare.
fn needed(
    rooms: &BTreeMap<(Sitting, Room), usize>,
    computer: &BTreeSet<Room>,
) -> BTreeMap<(Sitting, String, String, Option<u32>, String), usize> {
    let mut out = BTreeMap::new();
    let mut per_site: BTreeMap<(Sitting, String, String), (usize, usize)> = BTreeMap::new();
    for ((sitting, room), &n) in rooms {
        let comp = computer.contains(room);
        let (up_to, step) = if comp { (40, 40) } else { (30, 30) };
        let inv = if n <= up_to {
            2
        } else {
            2 + (n - up_to).div_ceil(step)
        };
        out.insert(
            (
                sitting.clone(),
                room.0.clone(),
                room.1.clone(),
                Some(room.2),
                "监考".to_string(),
            ),
            inv,
        );
        let e = per_site
            .entry((sitting.clone(), room.0.clone(), room.1.clone()))
            .or_default();
        e.0 += 1;
        e.1 += usize::from(comp);
    }
    for ((sitting, area, site), (n, comp)) in per_site {
        let mut put = |role: &str, k: usize| {
            if k > 0 {
                out.insert(
                    (
                        sitting.clone(),
                        area.clone(),
                        site.clone(),
                        None,
                        role.to_string(),
                    ),
                    k,
                );
            }
        };
        put("主考", 1);
        put("巡视", n.div_ceil(10));
        put("技术", comp.div_ceil(5));
        put("备用", 1);
    }
    out
}

/// Checks every hard rule on the files; returns the duties per person.
fn check_rules(env: &Env, dir: &Path, list: &Path, roster: &Path) -> BTreeMap<String, usize> {
    let held = arrangement(dir);
    let staff = staff_list(list);
    let occ = occupancy(roster);
    let b = env.backend;

    // Every post the seating needs is held, and no other.
    let rooms: BTreeMap<(Sitting, Room), usize> =
        occ.iter().map(|(k, o)| (k.clone(), o.ids.len())).collect();
    let want = needed(&rooms, &computer_rooms());
    let mut got: BTreeMap<(Sitting, String, String, Option<u32>, String), usize> = BTreeMap::new();
    for h in &held {
        *got.entry((
            h.sitting.clone(),
            h.area.clone(),
            h.site.clone(),
            h.room,
            h.role.clone(),
        ))
        .or_default() += 1;
    }
    assert_eq!(got, want, "[{b}] the posts held are the posts needed");

    let mut at: HashMap<(&str, &str), &Held> = HashMap::new();
    let mut per_day: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let mut total: BTreeMap<String, usize> = BTreeMap::new();
    for h in &held {
        let p = &staff[&h.staff_no];
        assert_eq!(p.name, h.name, "[{b}] {h:?}");
        // One place at a time.
        if let Some(other) = at.insert((&h.staff_no, &h.sitting), h) {
            panic!(
                "[{b}] {} holds two posts at once: {other:?} and {h:?}",
                h.name
            );
        }
        // Roles: a spare post takes an invigilator too.
        let may = p.roles.contains(&h.role) || (h.role == "备用" && p.roles.contains("监考"));
        assert!(may, "[{b}] {h:?} held by one with roles {:?}", p.roles);
        // Availability (none listed: every half-day).
        assert!(
            p.available.is_empty() || p.available.contains(&h.half),
            "[{b}] {h:?} outside {:?}",
            p.available
        );
        // Only in their exam area (考区), when they have one.
        assert!(
            p.area.is_empty() || p.area == h.area,
            "[{b}] {h:?} outside 考区 {}",
            p.area
        );
        let key = format!("{}/{}", h.area, h.site);
        assert!(
            p.must.is_empty() || p.must.contains(&key),
            "[{b}] {h:?} not at {:?}",
            p.must
        );
        assert!(
            !p.not.contains(&key),
            "[{b}] {h:?} at a site they must not work at"
        );
        // Nobody invigilates a room with a candidate of their employer or a relative.
        if let Some(room) = h.room {
            let o = &occ[&(h.sitting.clone(), (h.area.clone(), h.site.clone(), room))];
            assert!(
                !o.employers.contains(&p.employer),
                "[{b}] {h:?}: a candidate of the invigilator's employer {} sits there",
                p.employer
            );
            assert!(
                o.ids.is_disjoint(&p.relatives),
                "[{b}] {h:?}: a relative sits there"
            );
        }
        *per_day.entry((&h.staff_no, &h.sitting[..10])).or_default() += 1;
        *total.entry(h.staff_no.clone()).or_default() += 1;
    }
    // The default caps: 2 a day, 4 in all.
    for ((no, day), n) in &per_day {
        assert!(*n <= 2, "[{b}] {no} has {n} duties on {day}");
    }
    for (no, n) in &total {
        assert!(*n <= 4, "[{b}] {no} has {n} duties");
    }
    total
}

/// The seated samples with a staff list of `shape` written to staff/ and imported; returns
/// the list and a roster of the seated candidates (CSV). The generated list is made harder
/// than it comes: every third invigilator works where candidates work (their employer as
/// another office writes it: spaced out, 有限公司 shortened to 公司) and every seventh declared
/// a candidate a relative, so that a rule not kept shows in the files.
fn staffed(env: &Env, shape: &str) -> (PathBuf, PathBuf) {
    seated(env);
    let roster = env.path("roster");
    env.ok(&[
        "export",
        "roster",
        "--by",
        "exam-area",
        "--status",
        "seated",
        "--format",
        "csv",
        "--out",
        s(&roster),
    ]);
    let mut employers = BTreeSet::new();
    let mut ids = BTreeSet::new();
    for e in std::fs::read_dir(&roster).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "csv") {
            let rows = csv_rows(&p);
            let (e, i) = (col(&rows[0], "工作单位"), col(&rows[0], "证件号码"));
            for r in &rows[1..] {
                if !r[e].is_empty() {
                    employers.insert(r[e].clone());
                }
                ids.insert(r[i].clone());
            }
        }
    }
    let employers: Vec<String> = employers.into_iter().collect();
    let ids: Vec<String> = ids.into_iter().collect();
    assert!(employers.len() > 5, "{employers:?}");

    let dir = env.path("staff");
    env.ok(&[
        "samples",
        "staff",
        "--out",
        s(&dir),
        "--shape",
        shape,
        "--seed",
        "11",
    ]);
    let list = dir.join("考务人员.csv");
    let mut rows = csv_rows(&list);
    let h = rows[0].clone();
    let (role, employer, relatives) = (
        col(&h, "岗位"),
        col(&h, "工作单位"),
        col(&h, "亲属证件号码"),
    );
    let mut n = 0;
    for r in rows
        .iter_mut()
        .skip(1)
        .filter(|r| r[role].starts_with("监考"))
    {
        n += 1;
        if n % 3 == 0 {
            let e = &employers[n % employers.len()];
            r[employer] = if n % 2 == 0 {
                e.replace("有限公司", "公司")
            } else {
                let mut c: Vec<char> = e.chars().collect();
                c.insert(2, ' ');
                c.into_iter().collect()
            };
        }
        if n % 7 == 0 {
            r[relatives] = ids[n % ids.len()].clone();
        }
    }
    let mut w = csv::Writer::from_path(&list).unwrap();
    for r in &rows {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
    env.ok(&["import", "staff", s(&list)]);
    (list, roster)
}

#[test]
fn every_post_is_filled_and_every_rule_holds_in_the_files_on_both_databases() {
    let mut outputs: Vec<(&str, BTreeMap<String, Vec<u8>>)> = Vec::new();
    for env in backends() {
        let b = env.backend;
        let (list, roster) = staffed(&env, "tight");
        let need = env.json(&["staff", "need"]);
        let posts = need["total"]["total"].as_u64().unwrap();
        assert!(posts > 100, "[{b}] {need}");
        assert!(
            need["total"]["技术"].as_u64().unwrap() > 0,
            "[{b}] computer rooms: {need}"
        );

        let r = env.json(&["staff", "assign", "--seed", "2026", "--yes"]);
        assert_eq!(r["given"].as_u64(), Some(posts), "[{b}] {r}");
        let v = env.json(&["staff", "verify"]);
        assert_eq!(v["breaches"], serde_json::json!([]), "[{b}] {v}");
        assert_eq!(v["differ_from_derivation"], 0, "[{b}] derived again: {v}");

        let docs = env.path("docs");
        let out = env
            .kaowu()
            .env("SOURCE_DATE_EPOCH", "1794038400")
            .args([
                "staff",
                "documents",
                "--out",
                s(&docs),
                "--photos",
                s(&env.path("staff/staff-photos")),
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let duties = check_rules(&env, &docs, &list, &roster);
        assert_eq!(duties.values().sum::<usize>() as u64, posts, "[{b}]");
        // The spread `staff need` shows is the files' own.
        let need = env.json(&["staff", "need"]);
        let (lo, hi) = (
            duties.values().min().unwrap(),
            duties.values().max().unwrap(),
        );
        assert_eq!(
            need["assigned"]["most"].as_u64(),
            Some(*hi as u64),
            "[{b}] {need}"
        );
        assert_eq!(
            need["assigned"]["fewest_of_those_on_duty"].as_u64(),
            Some(*lo as u64),
            "[{b}] {need}"
        );

        let mut files = BTreeMap::new();
        for e in std::fs::read_dir(&docs).unwrap() {
            let p = e.unwrap().path();
            files.insert(
                p.file_name().unwrap().to_string_lossy().to_string(),
                std::fs::read(&p).unwrap(),
            );
        }
        for want in ["个人安排.xlsx", "工作证.pdf", "劳务费发放表.xlsx"] {
            assert!(
                files.contains_key(want),
                "[{b}] no {want}: {:?}",
                files.keys()
            );
        }
        assert!(
            files
                .keys()
                .any(|k| k.starts_with("监考安排表_") && k.ends_with(".pdf"))
        );
        outputs.push((b, files));
    }
    // The same seed, the same files, byte for byte, on both databases.
    if let [(_, a), (_, b)] = outputs.as_slice() {
        assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
        for (name, bytes) in a {
            assert!(bytes == &b[name], "{name} differs between the databases");
        }
    }
}

#[test]
fn the_pay_sheet_pays_each_duty_at_its_rate_and_keeps_bank_cards_out_of_the_other_files() {
    let env = Env::sqlite();
    let (list, _) = staffed(&env, "ample");
    env.ok(&[
        "session",
        "set",
        "--staff",
        "rate.监考=180",
        "--staff",
        "rate.主考=320",
    ]);
    env.ok(&["staff", "assign", "--seed", "5", "--yes"]);
    let docs = env.path("docs");
    env.ok(&["staff", "documents", "--out", s(&docs)]);
    let held = arrangement(&docs);
    // The rates set above, the defaults for the others.
    let rate = |role: &str| match role {
        "主考" => 320,
        "技术" => 250,
        "巡视" => 200,
        "监考" => 180,
        "备用" => 100,
        r => panic!("role {r}"),
    };
    let mut gross: BTreeMap<String, i64> = BTreeMap::new();
    for h in &held {
        *gross.entry(h.staff_no.clone()).or_default() += rate(&h.role);
    }
    let rows = sheet_rows(&docs.join("劳务费发放表.xlsx"), "应发金额");
    let h = &rows[0];
    let (no, due, tax, net) = (
        col(h, "编号"),
        col(h, "应发金额"),
        col(h, "代扣个税"),
        col(h, "实发金额"),
    );
    let money = |t: &str| (t.parse::<f64>().unwrap() * 100.0).round() as i64;
    let mut seen = 0;
    for r in &rows[1..] {
        if r[no].is_empty() {
            continue; // 小计 and 合计 rows
        }
        let g = gross[&r[no]] * 100;
        assert_eq!(money(&r[due]), g, "{r:?}");
        // 劳务报酬: nothing up to 800 yuan, 20% of what is over 800 up to 4,000.
        let want_tax = if g <= 80_000 { 0 } else { (g - 80_000) / 5 };
        assert_eq!(money(&r[tax]), want_tax, "{r:?}");
        assert_eq!(money(&r[net]), g - want_tax, "{r:?}");
        seen += 1;
    }
    assert_eq!(seen, gross.len());
    // Bank card numbers only on the pay sheet.
    let cards: Vec<String> = {
        let rows = csv_rows(&list);
        let c = col(&rows[0], "银行卡号");
        rows[1..]
            .iter()
            .map(|r| r[c].clone())
            .filter(|c| !c.is_empty())
            .collect()
    };
    assert!(!cards.is_empty());
    let pay = std::fs::read(docs.join("劳务费发放表.xlsx")).unwrap();
    let unzip = |bytes: &[u8]| -> String {
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut all = String::new();
        for i in 0..z.len() {
            let mut f = z.by_index(i).unwrap();
            std::io::Read::read_to_string(&mut f, &mut all).ok();
        }
        all
    };
    assert!(
        unzip(&pay).contains(&cards[0]),
        "the pay sheet lists bank cards"
    );
    for e in std::fs::read_dir(&docs).unwrap() {
        let p = e.unwrap().path();
        let n = p.file_name().unwrap().to_string_lossy().to_string();
        if n == "劳务费发放表.xlsx" {
            continue;
        }
        let bytes = std::fs::read(&p).unwrap();
        let text = if n.ends_with(".xlsx") {
            unzip(&bytes)
        } else {
            crate::cards::pages(&p).concat()
        };
        for c in &cards {
            assert!(!text.contains(c.as_str()), "{n} shows bank card {c}");
        }
    }
    for out in [
        env.ok(&["staff", "need"]),
        env.ok(&["staff", "verify"]),
        env.ok(&[
            "export",
            "roster",
            "--by",
            "exam-area",
            "--out",
            s(&env.path("r2")),
        ]),
    ] {
        for c in &cards {
            assert!(!out.contains(c.as_str()));
        }
    }
}

#[test]
fn an_infeasible_list_stops_naming_the_posts_and_writes_nothing() {
    for env in backends() {
        staffed(&env, "infeasible");
        let before = env.json(&["staff", "need"]);
        let e = env.fails(1, &["staff", "assign", "--seed", "3", "--yes"]);
        assert!(e.contains("cannot be filled"), "[{}] {e}", env.backend);
        // Each named with its sitting, site and role: a chief's post of a site and sitting
        // that needs one.
        let places: BTreeSet<String> = before["per_site"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                format!(
                    "{}, {}, —, 主考 #1: ",
                    p["sitting"].as_str().unwrap(),
                    p["site"].as_str().unwrap()
                )
            })
            .collect();
        // One post is named on the error's line, several each on a line of its own.
        let named: Vec<&str> = e
            .lines()
            .map(|l| {
                l.rsplit_once("cannot be filled: ")
                    .map_or(l, |(_, p)| p)
                    .trim()
            })
            .filter(|l| l.contains("主考 #"))
            .collect();
        assert!(!named.is_empty(), "[{}] {e}", env.backend);
        for l in &named {
            assert!(
                places.iter().any(|p| l.starts_with(p.as_str())),
                "[{}] {l}",
                env.backend
            );
        }
        let after = env.json(&["staff", "need"]);
        assert_eq!(
            after["assigned"], before["assigned"],
            "[{}] nothing held",
            env.backend
        );
        env.fails(1, &["staff", "verify"]);
    }
}

#[test]
fn a_decline_moves_that_persons_posts_and_nobody_elses_and_undo_restores_them() {
    for env in backends() {
        let b = env.backend;
        let (list, roster) = staffed(&env, "ample");
        env.ok(&["staff", "assign", "--seed", "8", "--yes"]);
        let docs = env.path("before");
        env.ok(&["staff", "documents", "--out", s(&docs)]);
        let before = arrangement(&docs);
        let who = before
            .iter()
            .find(|h| h.role == "监考")
            .unwrap()
            .staff_no
            .clone();
        let theirs = before.iter().filter(|h| h.staff_no == who).count();
        let r = env.json(&["staff", "replace", &who, "--yes"]);
        assert_eq!(r["moved"].as_array().unwrap().len(), theirs, "[{b}] {r}");
        let docs2 = env.path("after");
        env.ok(&["staff", "documents", "--out", s(&docs2)]);
        let after = arrangement(&docs2);
        check_rules(&env, &docs2, &list, &roster);
        assert_eq!(before.len(), after.len());
        let key = |h: &Held| (h.sitting.clone(), h.site.clone(), h.room, h.role.clone());
        let mut changed = 0;
        let after_by: BTreeMap<_, Vec<&Held>> = after.iter().fold(BTreeMap::new(), |mut m, h| {
            m.entry(key(h)).or_insert_with(Vec::new).push(h);
            m
        });
        for h in &before {
            let same = after_by[&key(h)].iter().any(|a| a.staff_no == h.staff_no);
            if !same {
                assert_eq!(h.staff_no, who, "[{b}] {h:?} moved too");
                changed += 1;
            }
        }
        assert_eq!(changed, theirs, "[{b}]");
        assert!(after.iter().all(|h| h.staff_no != who), "[{b}]");
        let v = env.json(&["staff", "verify"]);
        assert_eq!(v["replaced"].as_u64(), Some(theirs as u64), "[{b}] {v}");

        let batch = r["batch"].as_i64().unwrap().to_string();
        env.ok(&["review", "undo", &batch, "--yes"]);
        let docs3 = env.path("undone");
        env.ok(&["staff", "documents", "--out", s(&docs3)]);
        assert_eq!(
            arrangement(&docs3),
            before,
            "[{b}] undo gives the posts back"
        );
    }
}

#[test]
fn a_bad_staff_list_is_refused_naming_row_and_column() {
    let env = Env::sqlite();
    seated(&env);
    let f = env.write(
        "staff.csv",
        "姓名,证件号码,工作单位,手机,岗位,可用时间,亲属证件号码,银行卡号,考区,指定考点\n\
         张伟,530102199001011234,昆明市第一中学,13800138000,监考,,,,,\n\
         李娜,11010519491231002X,昆明市第三中学,1380013800,监考,,,,,\n\
         王芳,110105194912310046,昆明市第十中学,13800138001,考务,,,,,\n\
         赵强,110105194912310062,云南大学,13800138002,监考,11月31日上午,,,,\n\
         孙丽,11010519491231002X,云南大学,13800138003,主考,,,12345,,\n\
         周杰,110105194912310089,云南大学,13800138004,主考,,,,,\n\
         吴敏,110105194912310089,云南师范大学,13800138005,监考,,,,,\n\
         郑强,11010519491231010X,上海大学,13800138006,监考,,,,上海,\n\
         钱伟,110105194912310126,丽江市第一中学,13800138007,监考,,,,丽江市,昆明/530102001\n",
    );
    let e = env.fails(1, &["import", "staff", s(&f)]);
    for want in [
        "staff.csv:2: 证件号码",
        "staff.csv:3: 手机",
        "staff.csv:4: 岗位",
        "staff.csv:5: 可用时间",
        "staff.csv:6: 银行卡号",
        "staff.csv:9: 考区: 上海 is not an exam area (考区) of the session",
        "staff.csv:10: 指定考点: 昆明/530102001 is not in 考区 丽江",
        "nothing was written",
    ] {
        assert!(e.contains(want), "lacks {want}:\n{e}");
    }
    // A person twice is named with both rows.
    let dup = e
        .lines()
        .find(|l| l.contains("110105194912310089"))
        .expect(&e);
    assert!(dup.contains(":8:") && dup.contains('7'), "{dup}");
    let need = env.json(&["staff", "need"]);
    assert_eq!(need["staff"], 0, "{need}");
}

#[test]
fn a_staff_list_imported_again_keeps_numbers_and_stores_a_new_one_it_gives() {
    let env = Env::sqlite();
    seated(&env);
    let f = env.write(
        "staff.csv",
        "姓名,证件号码,工作单位,手机,岗位,考区\n\
         张伟,11010519491231002X,昆明市第一中学,13800138000,监考,昆明\n\
         李娜,110105194912310046,昆明市第三中学,13800138001,监考,昆明市\n",
    );
    let r = env.json(&["import", "staff", s(&f)]);
    assert_eq!(r["added"], 2, "{r}");
    // 编号 given to the second person only; the first keeps 0001.
    let g = env.write(
        "staff2.csv",
        "编号,姓名,证件号码,工作单位,手机,岗位,考区\n\
         ,张伟,11010519491231002X,昆明市第一中学,13800138000,监考,昆明\n\
         K-07,李娜,110105194912310046,昆明市第三中学,13800138001,监考,昆明\n",
    );
    let r = env.json(&["import", "staff", s(&g)]);
    assert_eq!(
        (r["changed"].as_u64(), r["unchanged"].as_u64()),
        (Some(1), Some(1)),
        "{r}"
    );
    let r = env.json(&["import", "staff", s(&g)]);
    assert_eq!(r["unchanged"], 2, "stored as the file says: {r}");
    // The list as stored: 0001 and K-07 (no 0002 any more).
    for (no, found) in [("0001", true), ("k-07", true), ("0002", false)] {
        let e = env.fails(
            if found { 1 } else { 2 },
            &["staff", "replace", no, "--yes"],
        );
        if found {
            assert!(e.contains("holds no post"), "{no}: {e}");
        } else {
            assert!(
                e.contains("no one on the staff list has the number 0002"),
                "{e}"
            );
        }
    }
}
