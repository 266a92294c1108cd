//! `kaowu export pass-list`: the pass list (合格名单) per exam area, from the decisions of
//! `kaowu scores judge`: the staff list with ID numbers, scores and employers, or with
//! `--public` the list to post, ID numbers masked as on the posted rosters.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use serde::Serialize;

use super::results::{Results, shown};
use super::{Rejected, connect, current_session, print_json};
use crate::cli::{GlobalArgs, PassListArgs, RosterFormat};
use crate::db::scores::Candidate;
use crate::io::write::{Charset, CsvOut};
use crate::io::xlsx::{Book, Cell};
use crate::model::id_number;
use crate::model::level::Level;
use crate::model::roster::Value;
use crate::model::score::{Paper, subject_of_paper};

#[derive(Serialize)]
struct Report {
    session: String,
    out: String,
    public: bool,
    passed: usize,
    files: Vec<AreaFile>,
}

#[derive(Serialize)]
struct AreaFile {
    exam_area: String,
    file: String,
    passed: usize,
}

/// The order of a list: level (高级 first), qualification, admit-card number.
fn order(c: &Candidate) -> (usize, String, String) {
    let level = Level::parse(&c.level).map_or(9, |l| {
        Level::ALL.len() - Level::ALL.iter().position(|x| *x == l).unwrap_or(0)
    });
    (level, c.qualification.clone(), c.card_no.clone())
}

pub async fn run(g: &GlobalArgs, a: &PassListArgs) -> Result<()> {
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let res = Results::load(&mut tx, session.id).await?;
    drop(tx);
    db.close().await;
    if res.verdicts.is_empty() {
        return Err(Rejected::one(
            "export pass-list",
            format!(
                "session {} has no pass decisions yet: kaowu scores judge makes them",
                session.code
            ),
        )
        .into());
    }
    let mut by_area: BTreeMap<&str, Vec<&Candidate>> = BTreeMap::new();
    for c in res
        .candidates
        .iter()
        .filter(|c| res.passed(c.application_id))
    {
        by_area.entry(&c.exam_area).or_default().push(c);
    }
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("cannot create {}", a.out.display()))?;
    let title = format!(
        "{}计算机技术与软件专业技术资格（水平）考试合格人员名单",
        session.name
    );
    let mut files = Vec::new();
    for (area, list) in &mut by_area {
        list.sort_by_key(|c| order(c));
        let ext = match a.format {
            RosterFormat::Xlsx => "xlsx",
            RosterFormat::Csv => "csv",
        };
        let suffix = if a.public { "_公示" } else { "" };
        let path = a.out.join(format!("合格名单_{area}{suffix}.{ext}"));
        let rows = rows(list, &res, a.public);
        let header = header(a.public);
        match a.format {
            RosterFormat::Csv => {
                let mut w = CsvOut::create(&path, Charset::Utf8Bom, &header)?;
                for r in &rows {
                    let cells: Vec<Value<'_>> =
                        r.iter().map(|t| Value::Text(t.as_str().into())).collect();
                    w.push(&cells)?;
                }
                w.finish()?;
            }
            RosterFormat::Xlsx => {
                let mut book = Book::new();
                let mut s = book.sheet(area, &format!("{title}（{area}）"))?;
                s.header(&header)?;
                for r in &rows {
                    let cells: Vec<Cell<'_>> = r.iter().map(|t| Cell::Text(t)).collect();
                    s.row(&cells)?;
                }
                book.save(&path)?;
            }
        }
        files.push(AreaFile {
            exam_area: (*area).to_string(),
            file: path.display().to_string(),
            passed: list.len(),
        });
    }
    let report = Report {
        session: session.code.clone(),
        out: a.out.display().to_string(),
        public: a.public,
        passed: files.iter().map(|f| f.passed).sum(),
        files,
    };
    if g.json {
        return print_json(&report);
    }
    outln!(
        "pass list (合格名单) of {}{}: {} passed, {} exam areas, into {}",
        report.session,
        if report.public { ", to post" } else { "" },
        report.passed,
        report.files.len(),
        report.out
    )?;
    for f in &report.files {
        outln!("  {} {}: {}", f.exam_area, f.passed, f.file)?;
    }
    Ok(())
}

fn header(public: bool) -> Vec<&'static str> {
    if public {
        vec!["序号", "准考证号", "姓名", "证件号码", "级别", "资格名称"]
    } else {
        vec![
            "序号",
            "准考证号",
            "姓名",
            "性别",
            "证件号码",
            "级别",
            "资格名称",
            "考区",
            "上午成绩",
            "下午成绩",
            "论文成绩",
            "工作单位",
            "手机号码",
        ]
    }
}

fn rows(list: &[&Candidate], res: &Results, public: bool) -> Vec<Vec<String>> {
    list.iter()
        .enumerate()
        .map(|(i, c)| {
            let level = Level::parse(&c.level);
            let level_zh = level.map_or_else(|| c.level.clone(), |l| l.zh().to_string());
            if public {
                return vec![
                    (i + 1).to_string(),
                    c.card_no.clone(),
                    c.name.clone(),
                    id_number::mask(&c.id_number),
                    level_zh,
                    c.qualification.clone(),
                ];
            }
            let paper = |p: Paper| {
                level
                    .and_then(|l| subject_of_paper(l, p))
                    .and_then(|s| res.entry(c.application_id, s))
                    .map_or_else(|| "-".to_string(), shown)
            };
            vec![
                (i + 1).to_string(),
                c.card_no.clone(),
                c.name.clone(),
                c.gender.clone(),
                c.id_number.clone(),
                level_zh,
                c.qualification.clone(),
                c.exam_area.clone(),
                paper(Paper::Morning),
                paper(Paper::Afternoon),
                paper(Paper::Essay),
                c.employer.clone(),
                c.mobile.clone(),
            ]
        })
        .collect()
}
