//! `kaowu samples scores|certificates|recheck-answers`: what comes back from the national
//! centre after the exam, for the session in the database: the score file in the centre's
//! columns (KSSJ, ZGMC, ZKZH, ZJH, XM, SWCJ, XWCJ, LWCJ) with a spread of scores that gives
//! the pass rates 软考 publishes (10 to 30 per cent), and the recheck requests candidates
//! near the mark file; the certificate list of those who passed; the centre's answers to
//! the rechecks forwarded.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

use super::results::{Results, Voided};
use super::{connect, current_session, print_json};
use crate::cli::GlobalArgs;
use crate::db::scores::Candidate;
use crate::io::write::{Charset, CsvOut};
use crate::model::level::Level;
use crate::model::roster::Value;
use crate::model::score::{Paper, Score, subject_of_paper};
use crate::model::session::SessionCode;

#[derive(Serialize)]
struct Report {
    session: String,
    out: String,
    files: Vec<String>,
    rows: usize,
}

/// A normal deviate (Box-Muller): fastrand has no distributions, and one line does.
fn normal(rng: &mut fastrand::Rng) -> f64 {
    let u = rng.f64().max(f64::MIN_POSITIVE);
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * rng.f64()).cos()
}

/// A paper's score: the candidate's ability and the paper's own luck around a mean a little
/// below the mark, as 软考's pass rates (10 to 30 per cent) imply. 综合知识 and 基础知识 are
/// 75 one-point questions (whole points); the afternoon papers score in halves.
fn paper_score(rng: &mut fastrand::Rng, ability: f64, level: Level, paper: Paper) -> Score {
    let (mean, spread) = match (level, paper) {
        (Level::Senior, Paper::Essay) => (42.0, 7.0),
        (Level::Senior, _) => (41.0, 9.0),
        (Level::Intermediate, _) => (42.0, 10.0),
        (Level::Junior, _) => (44.0, 10.0),
    };
    let raw = mean + spread * (0.75 * ability + 0.66 * normal(rng));
    let halves = matches!(paper, Paper::Afternoon);
    let tenths = if halves {
        (raw * 2.0).round() * 5.0
    } else {
        raw.round() * 10.0
    };
    Score(tenths.clamp(0.0, 750.0) as u16)
}

/// `samples scores`: DIR/成绩.csv and, when the session's recheck window is set,
/// DIR/复核申请.csv.
pub async fn scores(g: &GlobalArgs, out: &Path, seed: u64) -> Result<()> {
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let settings = tx.session_settings(&session).await?;
    let res = Results::load(&mut tx, session.id).await?;
    let absent: HashSet<(i64, String)> = tx
        .attendance(session.id)
        .await?
        .into_iter()
        .filter(|a| a.state == "absent")
        .map(|a| (a.application_id, a.subject))
        .collect();
    drop(tx);
    db.close().await;
    let code = SessionCode::parse(&session.code).map_err(anyhow::Error::msg)?;
    let kssj = format!(
        "{}年{}半年",
        code.year,
        if code.half == 1 { "上" } else { "下" }
    );
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut rng = fastrand::Rng::with_seed(seed);
    let path = out.join("成绩.csv");
    let mut csv = CsvOut::create(
        &path,
        Charset::Utf8Bom,
        &["KSSJ", "ZGMC", "ZKZH", "ZJH", "XM", "SWCJ", "XWCJ", "LWCJ"],
    )?;
    let mut requests = Vec::new();
    // The closest to the mark that did not ask: a small session still gets one request.
    let mut closest: Option<(&&Candidate, &str, Score)> = None;
    let mut candidates: Vec<&Candidate> = res.candidates.iter().collect();
    candidates.sort_by(|a, b| a.card_no.cmp(&b.card_no));
    for c in &candidates {
        let Some(level) = Level::parse(&c.level) else {
            continue;
        };
        let ability = normal(&mut rng);
        let mut cells = Vec::new();
        for paper in [Paper::Morning, Paper::Afternoon, Paper::Essay] {
            let Some(subject) = subject_of_paper(level, paper) else {
                cells.push("-".to_string());
                continue;
            };
            let void = match res.void.get(&c.application_id) {
                Some(Voided::All) => true,
                Some(Voided::Subjects(s)) => s.iter().any(|x| x == subject),
                None => false,
            };
            let cell = if absent.contains(&(c.application_id, subject.to_string())) {
                "缺考".to_string()
            } else if void {
                "违纪".to_string()
            } else {
                let s = paper_score(&mut rng, ability, level, paper);
                // Near the mark on a subjective paper, some ask for a recheck.
                if paper != Paper::Morning && s < Score::PASS {
                    if (430..450).contains(&s.0) && rng.u8(..100) < 30 {
                        requests.push((c, subject, s));
                    } else if closest.is_none_or(|(_, _, b)| s > b) {
                        closest = Some((c, subject, s));
                    }
                }
                s.to_string()
            };
            cells.push(cell);
        }
        let row: Vec<Value<'_>> = [
            kssj.as_str(),
            c.qualification.as_str(),
            c.card_no.as_str(),
            c.id_number.as_str(),
            c.name.as_str(),
        ]
        .into_iter()
        .map(|t| Value::Text(t.into()))
        .chain(cells.into_iter().map(|t| Value::Text(t.into())))
        .collect();
        csv.push(&row)?;
    }
    csv.finish()?;
    if requests.is_empty() {
        requests.extend(closest);
    }
    let mut files = vec![path.display().to_string()];
    if let Some(opens) = settings.recheck_opens {
        let path = out.join("复核申请.csv");
        let mut csv = CsvOut::create(
            &path,
            Charset::Utf8Bom,
            &["准考证号", "证件号码", "姓名", "科目", "申请日期"],
        )?;
        for (c, subject, _) in &requests {
            let day = opens + chrono::Duration::days(i64::from(rng.u8(..3)));
            let day = settings.recheck_closes.map_or(day, |close| day.min(close));
            csv.push(&[
                Value::Text(c.card_no.as_str().into()),
                Value::Text(c.id_number.as_str().into()),
                Value::Text(c.name.as_str().into()),
                Value::Text((*subject).into()),
                Value::Text(day.to_string().into()),
            ])?;
        }
        csv.finish()?;
        files.push(path.display().to_string());
    }
    finish(g, &session.code, out, files, candidates.len())
}

fn finish(
    g: &GlobalArgs,
    session: &str,
    out: &Path,
    files: Vec<String>,
    rows: usize,
) -> Result<()> {
    let report = Report {
        session: session.to_string(),
        out: out.display().to_string(),
        files,
        rows,
    };
    if g.json {
        return print_json(&report);
    }
    outln!(
        "samples of {} into {}: {} rows; {}",
        report.session,
        report.out,
        report.rows,
        report.files.join(", ")
    )?;
    Ok(())
}

/// `samples certificates`: DIR/证书.csv, a certificate number for each candidate who
/// passed, numbered by exam area; about one in eight asks for post.
pub async fn certificates(g: &GlobalArgs, out: &Path, seed: u64) -> Result<()> {
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let res = Results::load(&mut tx, session.id).await?;
    drop(tx);
    db.close().await;
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut passed: Vec<&Candidate> = res
        .candidates
        .iter()
        .filter(|c| res.passed(c.application_id))
        .collect();
    passed.sort_by(|a, b| (&a.exam_area, &a.card_no).cmp(&(&b.exam_area, &b.card_no)));
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let path = out.join("证书.csv");
    let mut csv = CsvOut::create(
        &path,
        Charset::Utf8Bom,
        &[
            "证书编号",
            "准考证号",
            "证件号码",
            "姓名",
            "资格名称",
            "领取方式",
            "邮寄地址",
            "联系电话",
        ],
    )?;
    let mut area_no: HashMap<&str, usize> = HashMap::new();
    let mut areas: Vec<&str> = Vec::new();
    let mut counters: HashMap<usize, usize> = HashMap::new();
    for c in &passed {
        if !area_no.contains_key(c.exam_area.as_str()) {
            areas.push(&c.exam_area);
            area_no.insert(&c.exam_area, areas.len());
        }
        let area = area_no[c.exam_area.as_str()];
        let seq = {
            let n = counters.entry(area).or_insert(0usize);
            *n += 1;
            *n
        };
        let cert = format!("{}{area:02}{seq:05}", session.code);
        let post = rng.u8(..8) == 0;
        csv.push(&[
            Value::Text(cert.into()),
            Value::Text(c.card_no.as_str().into()),
            Value::Text(c.id_number.as_str().into()),
            Value::Text(c.name.as_str().into()),
            Value::Text(c.qualification.as_str().into()),
            Value::Text(if post { "邮寄" } else { "现场领取" }.into()),
            Value::Text(
                if post {
                    format!(
                        "云南省{}市{}路{}号",
                        c.exam_area,
                        ["北京", "人民", "环城", "东风"][rng.usize(..4)],
                        rng.u16(1..400)
                    )
                } else {
                    String::new()
                }
                .into(),
            ),
            Value::Text(if post { c.mobile.as_str() } else { "" }.into()),
        ])?;
    }
    csv.finish()?;
    finish(
        g,
        &session.code,
        out,
        vec![path.display().to_string()],
        passed.len(),
    )
}

/// `samples recheck-answers`: DIR/复核结果.csv, the centre's answer to every pending
/// request: most scores stand; about one in six was mis-added and rises a few points.
pub async fn recheck_answers(g: &GlobalArgs, out: &Path, seed: u64) -> Result<()> {
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let pending: Vec<_> = tx
        .rechecks(session.id)
        .await?
        .into_iter()
        .filter(|r| r.result == "pending")
        .collect();
    let settings = tx.session_settings(&session).await?;
    drop(tx);
    db.close().await;
    let mut rng = fastrand::Rng::with_seed(seed);
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let path = out.join("复核结果.csv");
    let mut csv = CsvOut::create(
        &path,
        Charset::Utf8Bom,
        &["复核编号", "原成绩", "复核后成绩", "复核结论", "答复日期"],
    )?;
    let answered = settings.recheck_closes.map_or_else(String::new, |d| {
        (d + chrono::Duration::days(20)).to_string()
    });
    for r in &pending {
        let old = Score(u16::try_from(r.old_score).unwrap_or(0));
        let (new, word) = if rng.u8(..6) == 0 {
            (
                Score((old.0 + 10 * u16::from(rng.u8(1..4))).min(750)),
                "更正",
            )
        } else {
            (old, "维持原成绩")
        };
        csv.push(&[
            Value::Text(r.reference.as_str().into()),
            Value::Text(old.to_string().into()),
            Value::Text(new.to_string().into()),
            Value::Text(word.into()),
            Value::Text(answered.as_str().into()),
        ])?;
    }
    csv.finish()?;
    finish(
        g,
        &session.code,
        out,
        vec![path.display().to_string()],
        pending.len(),
    )
}
