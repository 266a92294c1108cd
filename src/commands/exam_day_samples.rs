//! `kaowu samples exam-day`: what the sites send back after the exam, for the session seated
//! in the database: the absent lists (GBK CSV, as a site's Excel saves it), keyed sign-in
//! sheets (XLSX), room logs with incidents, and violation cases of every clause family that
//! exam day knows, with evidence photos.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

use super::exam_day::ExamDay;
use super::{connect, current_session, print_json};
use crate::cli::GlobalArgs;
use crate::io::atomic;
use crate::io::write::{Charset, CsvOut};
use crate::io::xlsx::{Book, Cell};
use crate::model::attendance::{Mark, SeatFacts};
use crate::model::roster::Value;
use crate::synth;

/// Which (room, sitting) of every so many is sent back as a keyed sign-in sheet.
const KEYED_EVERY: usize = 6;

/// The cases planted: clause, how found, facts. 令31 §6, §7, §8, §9 and §11; §10 (a
/// certificate obtained by fraud) is not found on exam day.
const CASES: &[(&str, &str, &str)] = &[
    (
        "6.1",
        "现场",
        "开考后考生座位抽屉内发现手机一部，经监考员提醒仍未交出",
    ),
    (
        "6.4",
        "视频",
        "考试过程中未经监考员允许擅自离开座位，在考场后部走动，经提醒仍不改正",
    ),
    (
        "6.9",
        "现场",
        "未按规定使用考试系统，多次尝试退出考试客户端，经提醒仍不改正",
    ),
    (
        "7.1",
        "视频",
        "视频监控显示该考生多次偷看邻座考生屏幕并抄录答案",
    ),
    (
        "7.2",
        "现场",
        "在考生左耳内发现无线耳机一副，具有接收信息功能",
    ),
    (
        "8.2",
        "现场",
        "考生本人与证件照片及签到表照片明显不符，经核实系代替他人参加考试",
    ),
    ("9", "现场", "考生不服从监考员管理，大声喧哗，扰乱考场秩序"),
    (
        "11",
        "雷同",
        "经评卷雷同甄别，该考生答卷与同考场另一考生答卷雷同",
    ),
    (
        "11",
        "雷同",
        "经评卷雷同甄别，该考生答卷与同考场另一考生答卷雷同",
    ),
];

#[derive(Serialize)]
struct Report {
    session: String,
    out: String,
    files: Vec<String>,
    rooms: usize,
    keyed_rooms: usize,
    marks: BTreeMap<&'static str, usize>,
    violations: usize,
}

/// Each candidate's fate: absent all day, late for the first subject, gone after the first
/// subject, left early in the last, or present throughout.
fn marks_of(day: &ExamDay, rng: &mut fastrand::Rng) -> HashMap<(i64, String), Mark> {
    let mut by_app: BTreeMap<i64, Vec<&SeatFacts>> = BTreeMap::new();
    for f in &day.facts {
        by_app.entry(f.application_id).or_default().push(f);
    }
    let mut out = HashMap::new();
    for (app, seats) in by_app {
        let subjects: Vec<&String> = seats.iter().flat_map(|f| &f.subjects).collect();
        let r = rng.f64();
        let n = subjects.len();
        for (i, s) in subjects.iter().enumerate() {
            let m = if r < 0.27 {
                Mark::Absent
            } else if r < 0.29 && n > 1 {
                if i == 0 { Mark::Absent } else { Mark::Present }
            } else if r < 0.31 && n > 1 {
                if i == 0 { Mark::Present } else { Mark::Absent }
            } else if r < 0.32 && i == n - 1 {
                Mark::LeftEarly
            } else {
                Mark::Present
            };
            out.insert((app, (*s).clone()), m);
        }
    }
    out
}

pub async fn run(g: &GlobalArgs, out: &Path, seed: u64) -> Result<()> {
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let day = ExamDay::load(&mut tx, session.id).await?;
    drop(tx);
    db.close().await;
    if day.facts.is_empty() {
        anyhow::bail!(
            "session {} has nobody seated: the exam day follows the seating (kaowu seat assign)",
            session.code
        );
    }
    std::fs::create_dir_all(out.join("evidence"))
        .with_context(|| format!("cannot create {}", out.display()))?;
    let mut rng = fastrand::Rng::with_seed(seed);
    let marks = marks_of(&day, &mut rng);
    let mut rooms: BTreeMap<(i64, i64), Vec<&SeatFacts>> = BTreeMap::new();
    for f in &day.facts {
        rooms.entry((f.room_id, f.sitting_id)).or_default().push(f);
    }
    let keyed: Vec<(i64, i64)> = rooms.keys().copied().step_by(KEYED_EVERY).collect();
    let mut files = vec![
        write_absent_list(out, &day, &rooms, &keyed, &marks)?,
        write_keyed_sheets(out, &day, &rooms, &keyed, &marks)?,
        write_room_logs(out, &day, &rooms, &marks, &mut rng)?,
    ];
    let (violations, evidence) = write_violations(out, &day, &marks, &mut rng, seed)?;
    files.push(violations);
    let mut tally: BTreeMap<&'static str, usize> = BTreeMap::new();
    for m in marks.values() {
        *tally.entry(m.label()).or_default() += 1;
    }
    let report = Report {
        session: session.code.clone(),
        out: out.display().to_string(),
        files,
        rooms: rooms.len(),
        keyed_rooms: keyed.len(),
        marks: tally,
        violations: evidence,
    };
    if g.json {
        return print_json(&report);
    }
    let shown: Vec<String> = report
        .marks
        .iter()
        .map(|(m, n)| format!("{m} {n}"))
        .collect();
    outln!(
        "exam-day returns of {} into {}: {} rooms and sittings ({} as keyed sign-in sheets), {}, {} violation cases",
        report.session,
        report.out,
        report.rooms,
        report.keyed_rooms,
        shown.join(", "),
        report.violations
    )?;
    for f in &report.files {
        outln!("  {f}")?;
    }
    Ok(())
}

fn site_and_room(day: &ExamDay, room: i64) -> (String, i64) {
    day.rooms
        .get(&room)
        .map_or((String::new(), 0), |r| (r.site_code.clone(), r.number))
}

fn area_of(day: &ExamDay, room: i64) -> String {
    day.rooms
        .get(&room)
        .map(|r| r.exam_area.clone())
        .unwrap_or_default()
}

fn label(day: &ExamDay, sitting: i64) -> String {
    day.sittings
        .iter()
        .find(|s| s.id == sitting)
        .map(|s| s.label.clone())
        .unwrap_or_default()
}

/// (应到, 实到, 缺考) of a room's seats: 实到 came to at least one subject of the sitting.
fn counts(seats: &[&SeatFacts], marks: &HashMap<(i64, String), Mark>) -> (i64, i64, i64) {
    let came = seats
        .iter()
        .filter(|f| {
            f.subjects.iter().any(|s| {
                marks
                    .get(&(f.application_id, s.clone()))
                    .is_some_and(|m| m.sat())
            })
        })
        .count() as i64;
    (seats.len() as i64, came, seats.len() as i64 - came)
}

/// The absent lists of the rooms not keyed: a row per room with its counts, then a row
/// per candidate who missed the sitting (no subject) or a subject of it.
fn write_absent_list(
    out: &Path,
    day: &ExamDay,
    rooms: &BTreeMap<(i64, i64), Vec<&SeatFacts>>,
    keyed: &[(i64, i64)],
    marks: &HashMap<(i64, String), Mark>,
) -> Result<String> {
    let path = out.join("缺考名单.csv");
    let mut csv = CsvOut::create(
        &path,
        Charset::Gbk,
        &[
            "考区",
            "考点代码",
            "考场号",
            "场次",
            "准考证号",
            "科目",
            "考勤",
            "应到",
            "实到",
            "缺考",
        ],
    )?;
    let text = |s: &str| Value::Text(s.to_string().into());
    for ((room, sitting), seats) in rooms {
        if keyed.contains(&(*room, *sitting)) {
            continue;
        }
        let (site, number) = site_and_room(day, *room);
        let (n, came, away) = counts(seats, marks);
        let place = [
            text(&area_of(day, *room)),
            text(&site),
            text(&format!("{number:02}")),
            text(&label(day, *sitting)),
        ];
        let mut row = place.to_vec();
        row.extend([
            Value::Empty,
            Value::Empty,
            Value::Empty,
            Value::Padded(n, 1),
            Value::Padded(came, 1),
            Value::Padded(away, 1),
        ]);
        csv.push(&row)?;
        for f in seats {
            let of: Vec<Mark> = f
                .subjects
                .iter()
                .map(|s| {
                    marks
                        .get(&(f.application_id, s.clone()))
                        .copied()
                        .unwrap_or(Mark::Present)
                })
                .collect();
            let missing: Vec<(&String, Mark)> = f
                .subjects
                .iter()
                .zip(of.iter().copied())
                .filter(|(_, m)| *m != Mark::Present)
                .collect();
            if missing.is_empty() {
                continue;
            }
            let whole = missing.len() == f.subjects.len()
                && missing.iter().all(|(_, m)| *m == Mark::Absent);
            let lines: Vec<(String, Mark)> = if whole {
                vec![(String::new(), Mark::Absent)]
            } else {
                missing.iter().map(|(s, m)| ((*s).clone(), *m)).collect()
            };
            for (subject, m) in lines {
                let mut row = place.to_vec();
                row.extend([
                    text(&f.card_no),
                    text(&subject),
                    text(m.label()),
                    Value::Empty,
                    Value::Empty,
                    Value::Empty,
                ]);
                csv.push(&row)?;
            }
        }
    }
    csv.finish()?;
    Ok(path.display().to_string())
}

/// The keyed sign-in sheets: a row per seat with its mark under each subject written.
fn write_keyed_sheets(
    out: &Path,
    day: &ExamDay,
    rooms: &BTreeMap<(i64, i64), Vec<&SeatFacts>>,
    keyed: &[(i64, i64)],
    marks: &HashMap<(i64, String), Mark>,
) -> Result<String> {
    const SUBJECTS: [&str; 5] = ["综合知识", "案例分析", "论文", "基础知识", "应用技术"];
    let path = out.join("签到表录入.xlsx");
    let mut book = Book::new();
    let mut s = book.sheet("签到表录入", "考场签到表录入（实到/缺考/提前离场）")?;
    let mut header = vec!["准考证号", "考区", "考点代码", "考场号", "场次"];
    header.extend(SUBJECTS);
    s.header(&header)?;
    for key in keyed {
        let (site, number) = site_and_room(day, key.0);
        let (area, sitting) = (area_of(day, key.0), label(day, key.1));
        for f in &rooms[key] {
            let shown: Vec<String> = SUBJECTS
                .iter()
                .map(|subject| {
                    if f.subjects.iter().any(|x| x == subject) {
                        marks
                            .get(&(f.application_id, (*subject).to_string()))
                            .copied()
                            .unwrap_or(Mark::Present)
                            .label()
                            .to_string()
                    } else {
                        String::new()
                    }
                })
                .collect();
            let room = format!("{number:02}");
            let mut cells = vec![
                Cell::Text(&f.card_no),
                Cell::Text(&area),
                Cell::Text(&site),
                Cell::Text(&room),
                Cell::Text(&sitting),
            ];
            cells.extend(shown.iter().map(|t| {
                if t.is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(t)
                }
            }));
            s.row(&cells)?;
        }
    }
    book.save(&path)?;
    Ok(path.display().to_string())
}

/// Every room's log of every sitting: the counts, a few machine swaps, now and then a
/// power cut with the time added, two invigilators and the site's chief.
fn write_room_logs(
    out: &Path,
    day: &ExamDay,
    rooms: &BTreeMap<(i64, i64), Vec<&SeatFacts>>,
    marks: &HashMap<(i64, String), Mark>,
    rng: &mut fastrand::Rng,
) -> Result<String> {
    let path = out.join("考场记录.xlsx");
    let mut book = Book::new();
    let mut s = book.sheet("考场记录", "考场记录单汇总")?;
    s.header(&[
        "考区",
        "考点代码",
        "考场号",
        "场次",
        "应到",
        "实到",
        "缺考",
        "换机",
        "断电",
        "延时",
        "情况记录",
        "监考人员",
        "主考",
    ])?;
    let mut chiefs: HashMap<(String, String), String> = HashMap::new();
    for ((room, sitting), seats) in rooms {
        let (site, number) = site_and_room(day, *room);
        let chief = chiefs
            .entry((area_of(day, *room), site.clone()))
            .or_insert_with(|| synth::staff_name(rng))
            .clone();
        let (n, came, away) = counts(seats, marks);
        let swaps = if rng.f64() < 0.05 { rng.i64(1..3) } else { 0 };
        let (cuts, delay) = if rng.f64() < 0.01 {
            (1, rng.i64(5..16))
        } else {
            (0, 0)
        };
        let mut notes = Vec::new();
        if swaps > 0 {
            notes.push(format!("考机故障{swaps}台，考生换至备用机，未影响作答时间"));
        }
        if cuts > 0 {
            notes.push(format!(
                "考场断电{delay}分钟，恢复后为本考场考生延时{delay}分钟"
            ));
        }
        let notes = if notes.is_empty() {
            "考场秩序良好".to_string()
        } else {
            notes.join("；")
        };
        let invigilators = format!("{}、{}", synth::staff_name(rng), synth::staff_name(rng));
        let (room_no, sitting) = (format!("{number:02}"), label(day, *sitting));
        let area = area_of(day, *room);
        s.row(&[
            Cell::Text(&area),
            Cell::Text(&site),
            Cell::Text(&room_no),
            Cell::Text(&sitting),
            Cell::Count(n),
            Cell::Count(came),
            Cell::Count(away),
            Cell::Count(swaps),
            Cell::Count(cuts),
            Cell::Count(delay),
            Cell::Text(&notes),
            Cell::Text(&invigilators),
            Cell::Text(&chief),
        ])?;
    }
    book.save(&path)?;
    Ok(path.display().to_string())
}

/// The cases of [`CASES`], each on a different candidate who sat the subject, with an
/// evidence photo; the second case's candidate refused to sign.
fn write_violations(
    out: &Path,
    day: &ExamDay,
    marks: &HashMap<(i64, String), Mark>,
    rng: &mut fastrand::Rng,
    seed: u64,
) -> Result<(String, usize)> {
    let path = out.join("违纪.xlsx");
    let mut sat: Vec<(&SeatFacts, &String)> = day
        .facts
        .iter()
        .flat_map(|f| f.subjects.iter().map(move |s| (f, s)))
        .filter(|(f, s)| marks.get(&(f.application_id, (*s).clone())) == Some(&Mark::Present))
        .collect();
    rng.shuffle(&mut sat);
    let mut used = std::collections::HashSet::new();
    sat.retain(|(f, _)| used.insert(f.application_id));
    let mut book = Book::new();
    let mut s = book.sheet("违纪违规", "考场违纪违规情况汇总")?;
    s.header(&[
        "准考证号",
        "科目",
        "发生时间",
        "发现方式",
        "违纪违规事实",
        "适用条款",
        "本人签字",
        "见证人",
        "证据",
    ])?;
    let mut n = 0;
    for (i, ((clause, found, facts), (f, subject))) in CASES.iter().zip(&sat).enumerate() {
        let sitting = day
            .sittings
            .iter()
            .find(|x| x.id == f.sitting_id)
            .context("a seat's sitting")?;
        let at = sitting.exam_date.and_time(sitting.starts_at)
            + chrono::Duration::minutes(rng.i64(20..100));
        let at = at.format("%Y-%m-%d %H:%M").to_string();
        let photo = format!("evidence/违纪_{:02}_照片.jpg", i + 1);
        atomic::write(
            &out.join(&photo),
            &synth::evidence_photo(seed ^ (i as u64 + 1)),
        )?;
        let refused = i == 4;
        let witnesses = if refused {
            format!("{}、{}", synth::staff_name(rng), synth::staff_name(rng))
        } else {
            String::new()
        };
        s.row(&[
            Cell::Text(&f.card_no),
            Cell::Text(subject),
            Cell::Text(&at),
            Cell::Text(found),
            Cell::Text(facts),
            Cell::Text(clause),
            Cell::Text(if refused { "否" } else { "是" }),
            Cell::Text(&witnesses),
            Cell::Text(&photo),
        ])?;
        n += 1;
    }
    book.save(&path)?;
    Ok((path.display().to_string(), n))
}
