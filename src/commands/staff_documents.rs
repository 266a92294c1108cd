//! `kaowu staff documents`: the 监考安排表 of each site (XLSX and PDF), each person's own
//! duties, the 工作证 badges and the pay sheet (劳务费发放表), from the posts held.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use chrono::Datelike;
use rayon::prelude::*;
use serde::Serialize;

use super::documents::{chinese_date, safe};
use super::printing::load_template;
use super::staffing::{Staffing, half_of};
use super::{connect, current_session, print_json};
use crate::cli::GlobalArgs;
use crate::io::atomic;
use crate::io::xlsx::{Book, Cell};
use crate::model::money::Fen;
use crate::model::staff::{Role, tax};
use crate::pdf::{badge, sheet};

#[derive(Serialize)]
struct DocumentsReport {
    session: String,
    out: String,
    posts: usize,
    people_on_duty: usize,
    gross: Fen,
    tax: Fen,
    net: Fen,
    files: Vec<String>,
}

/// One person's pay.
struct Pay {
    person: usize,
    site: usize,
    roles: String,
    duties: u32,
    rate: String,
    gross: Fen,
    tax: Fen,
}

pub async fn run(g: &GlobalArgs, out: &Path, photos: Option<&Path>) -> Result<()> {
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let st = Staffing::load(&mut tx, session.id).await?;
    drop(tx);
    db.close().await;
    let pr = &st.problem;
    let held: Vec<usize> = (0..pr.posts.len())
        .filter(|&i| st.held[i].is_some())
        .collect();
    if held.is_empty() {
        bail!(
            "session {} has no posts held: kaowu staff assign first",
            session.code
        );
    }
    let open = pr.posts.len() - held.len();
    if open > 0 {
        eprintln!(
            "warning: {open} post(s) are open (kaowu staff verify names them); the documents show the posts held"
        );
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let title = format!("{}计算机技术与软件专业技术资格（水平）考试", session.name);
    let issuer = format!("{}省人事考试院", session.province);
    let date = crate::pdf::document_date(session.created_at.and_utc().timestamp());
    let mut files = Vec::new();

    // The posts of each site in the order of the sheet: sitting, role, room, slot.
    let mut by_site: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for &i in &held {
        by_site.entry(pr.posts[i].site).or_default().push(i);
    }
    for list in by_site.values_mut() {
        list.sort_by_key(|&i| {
            let p = &pr.posts[i];
            (p.sitting, p.role, p.room.map(|r| st.rooms[r].1), p.slot)
        });
    }
    let (layout, _, font) =
        load_template::<sheet::Layout>(sheet::STAFF, None, |l: &sheet::Layout| {
            (&l.font, l.font_index)
        })?;
    let sheets: Vec<(usize, sheet::Sheet)> = by_site
        .iter()
        .map(|(&site, list)| (site, site_sheet(&st, site, list, &title, &issuer)))
        .collect();
    let rendered: Vec<Result<(String, Vec<u8>)>> = sheets
        .par_iter()
        .map(|(site, sh)| {
            let text = sheet::texts(&layout, sh);
            let narrowed = font
                .narrowed(text.chars(), "".chars())
                .map_err(|e| anyhow::anyhow!("the template's font: {e}"))?;
            let pdf = sheet::render(&narrowed, &layout, sh, date)
                .map_err(|e| anyhow::anyhow!("监考安排表 of {}: {e}", st.site_name(*site)))?;
            Ok((site_file(&st, *site), pdf))
        })
        .collect();
    for r in rendered {
        let (name, pdf) = r?;
        let path = out.join(format!("{name}.pdf"));
        atomic::write(&path, &pdf)?;
        files.push(path.display().to_string());
    }
    for (&site, list) in &by_site {
        let path = out.join(format!("{}.xlsx", site_file(&st, site)));
        site_workbook(&path, &st, site, list, &title)?;
        files.push(path.display().to_string());
    }

    let mut duties: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for &i in &held {
        duties.entry(st.held[i].expect("held")).or_default().push(i);
    }
    for list in duties.values_mut() {
        list.sort_by_key(|&i| (pr.posts[i].sitting, i));
    }
    let path = out.join("个人安排.xlsx");
    person_workbook(&path, &st, &duties, &title)?;
    files.push(path.display().to_string());

    let path = out.join("工作证.pdf");
    badges(&path, &st, &duties, &title, &issuer, photos, date)?;
    files.push(path.display().to_string());

    let pays = pay(&st, &duties);
    let path = out.join("劳务费发放表.xlsx");
    pay_workbook(&path, &st, &pays, &title)?;
    files.push(path.display().to_string());

    let gross = Fen(pays.iter().map(|p| p.gross.0).sum());
    let tax = Fen(pays.iter().map(|p| p.tax.0).sum());
    let report = DocumentsReport {
        session: session.code.clone(),
        out: out.display().to_string(),
        posts: held.len(),
        people_on_duty: duties.len(),
        gross,
        tax,
        net: Fen(gross.0 - tax.0),
        files,
    };
    if g.json {
        return print_json(&report);
    }
    outln!(
        "staff documents of {} into {}: {} posts held by {} people; pay {} yuan, tax withheld {}, net {}; {} files",
        report.session,
        report.out,
        report.posts,
        report.people_on_duty,
        report.gross.yuan(),
        report.tax.yuan(),
        report.net.yuan(),
        report.files.len()
    )?;
    Ok(())
}

fn site_file(st: &Staffing, site: usize) -> String {
    let s = &st.sites[site];
    format!("监考安排表_{}_{}", safe(&s.exam_area), safe(&s.code))
}

/// `上午 08:30-11:00`.
fn sitting_time(st: &Staffing, s: usize) -> String {
    let x = &st.sittings[s];
    format!(
        "{} {}-{}",
        if half_of(x).afternoon {
            "下午"
        } else {
            "上午"
        },
        x.starts_at.format("%H:%M"),
        x.ends_at.format("%H:%M")
    )
}

fn site_sheet(
    st: &Staffing,
    site: usize,
    list: &[usize],
    title: &str,
    issuer: &str,
) -> sheet::Sheet {
    let s = &st.sites[site];
    sheet::Sheet {
        values: vec![
            ("title", title.to_string()),
            ("exam_area", s.exam_area.clone()),
            ("site", format!("{} {}", s.code, s.name)),
            ("address", s.address.clone()),
            ("issuer", issuer.to_string()),
        ],
        rows: list
            .iter()
            .enumerate()
            .map(|(n, &i)| {
                let post = &st.problem.posts[i];
                let p = st.held[i].expect("held");
                let who = &st.staff[p];
                sheet::Row {
                    cells: vec![
                        ("no", (n + 1).to_string()),
                        ("date", chinese_date(st.sittings[post.sitting].exam_date)),
                        ("sitting", sitting_time(st, post.sitting)),
                        ("room", st.room_name(post.room)),
                        ("role", post.role.zh().to_string()),
                        ("name", who.name.clone()),
                        ("employer", who.employer.clone()),
                        ("phone", who.phone.clone()),
                    ],
                }
            })
            .collect(),
    }
}

fn site_workbook(
    path: &Path,
    st: &Staffing,
    site: usize,
    list: &[usize],
    title: &str,
) -> Result<()> {
    let s = &st.sites[site];
    let mut book = Book::new();
    let mut sh = book.sheet(
        &format!("{}{}", s.exam_area, s.code),
        &format!("{title}监考安排表（{} {} {}）", s.exam_area, s.code, s.name),
    )?;
    sh.header(&[
        "序号",
        "考试日期",
        "场次",
        "考点代码",
        "考点名称",
        "考场",
        "岗位",
        "编号",
        "姓名",
        "工作单位",
        "手机",
        "签到",
    ])?;
    for (n, &i) in list.iter().enumerate() {
        let post = &st.problem.posts[i];
        let who = &st.staff[st.held[i].expect("held")];
        let sitting = sitting_time(st, post.sitting);
        let room = st.room_name(post.room);
        sh.row(&[
            Cell::Count(n as i64 + 1),
            Cell::Date(st.sittings[post.sitting].exam_date),
            Cell::Text(&sitting),
            Cell::Text(&s.code),
            Cell::Text(&s.name),
            Cell::Text(&room),
            Cell::Text(post.role.zh()),
            Cell::Text(&who.staff_no),
            Cell::Text(&who.name),
            Cell::Text(&who.employer),
            Cell::Text(&who.phone),
            Cell::Empty,
        ])?;
    }
    book.save(path)?;
    Ok(())
}

fn person_workbook(
    path: &Path,
    st: &Staffing,
    duties: &BTreeMap<usize, Vec<usize>>,
    title: &str,
) -> Result<()> {
    let mut book = Book::new();
    let mut sh = book.sheet("个人安排", &format!("{title}考务人员个人安排"))?;
    sh.header(&[
        "编号",
        "姓名",
        "工作单位",
        "手机",
        "考试日期",
        "场次",
        "考区",
        "考点代码",
        "考点名称",
        "考点地址",
        "考场",
        "岗位",
    ])?;
    let mut people: Vec<(&usize, &Vec<usize>)> = duties.iter().collect();
    people.sort_by(|a, b| st.staff[*a.0].staff_no.cmp(&st.staff[*b.0].staff_no));
    for (&p, list) in people {
        let who = &st.staff[p];
        for &i in list {
            let post = &st.problem.posts[i];
            let site = &st.sites[post.site];
            let sitting = sitting_time(st, post.sitting);
            let room = st.room_name(post.room);
            sh.row(&[
                Cell::Text(&who.staff_no),
                Cell::Text(&who.name),
                Cell::Text(&who.employer),
                Cell::Text(&who.phone),
                Cell::Date(st.sittings[post.sitting].exam_date),
                Cell::Text(&sitting),
                Cell::Text(&site.exam_area),
                Cell::Text(&site.code),
                Cell::Text(&site.name),
                Cell::Text(&site.address),
                Cell::Text(&room),
                Cell::Text(post.role.zh()),
            ])?;
        }
    }
    book.save(path)?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn badges(
    path: &Path,
    st: &Staffing,
    duties: &BTreeMap<usize, Vec<usize>>,
    title: &str,
    issuer: &str,
    photos: Option<&Path>,
    date: i64,
) -> Result<()> {
    let (layout, _, font) =
        load_template::<badge::Layout>(badge::TEMPLATE, None, |l: &badge::Layout| {
            (&l.font, l.font_index)
        })?;
    let mut people: Vec<(&usize, &Vec<usize>)> = duties.iter().collect();
    people.sort_by(|a, b| st.staff[*a.0].staff_no.cmp(&st.staff[*b.0].staff_no));
    let mut list = Vec::with_capacity(people.len());
    for (&p, posts) in people {
        let who = &st.staff[p];
        let mut roles: Vec<Role> = posts.iter().map(|&i| st.problem.posts[i].role).collect();
        roles.sort();
        roles.dedup();
        let mut sites: Vec<usize> = posts.iter().map(|&i| st.problem.posts[i].site).collect();
        sites.sort_unstable();
        sites.dedup();
        let photo = match photos {
            Some(dir) => {
                let f = dir.join(format!("{}.jpg", who.id_number));
                f.exists()
                    .then(|| {
                        std::fs::read(&f).with_context(|| format!("cannot read {}", f.display()))
                    })
                    .transpose()?
            }
            None => None,
        };
        list.push(badge::Badge {
            title: title.to_string(),
            name: who.name.clone(),
            staff_no: who.staff_no.clone(),
            role: roles.iter().map(|r| r.zh()).collect::<Vec<_>>().join("、"),
            employer: who.employer.clone(),
            // Several sites are numbered ①, ② (as a candidate's card numbers theirs), and
            // each duty says which.
            site: sites
                .iter()
                .enumerate()
                .map(|(k, &s)| format!("{}{}", mark(k, sites.len()), st.site_name(s)))
                .collect::<Vec<_>>()
                .join("；"),
            duties: posts
                .iter()
                .map(|&i| {
                    let post = &st.problem.posts[i];
                    let h = half_of(&st.sittings[post.sitting]);
                    let k = sites.iter().position(|&s| s == post.site).unwrap_or(0);
                    format!(
                        "{}月{}日{} {}{} {}",
                        h.date.month(),
                        h.date.day(),
                        if h.afternoon { "下午" } else { "上午" },
                        mark(k, sites.len()),
                        match post.room {
                            Some(_) => st.room_name(post.room),
                            None => "考点".to_string(),
                        },
                        post.role.zh()
                    )
                })
                .collect(),
            issuer: issuer.to_string(),
            photo,
        });
        // More duties than the badge has lines for (a person whose own cap is high): the
        // first ones and a pointer to their list, which has them all.
        let room = layout.duties.columns * layout.duties.rows;
        let last = list.last_mut().expect("just pushed");
        if room > 0 && last.duties.len() > room {
            let more = last.duties.len() - (room - 1);
            last.duties.truncate(room - 1);
            last.duties.push(format!("另{more}项见个人安排"));
        }
    }
    let text = badge::texts(&layout, &list);
    let narrowed = font
        .narrowed(text.chars(), "".chars())
        .map_err(|e| anyhow::anyhow!("the template's font: {e}"))?;
    let pdf = badge::render(&narrowed, &layout, &list, date)
        .map_err(|e| anyhow::anyhow!("工作证: {e}"))?;
    atomic::write(path, &pdf)?;
    Ok(())
}

/// ①, ② ... for the `k`th of `n` sites; nothing for one site.
fn mark(k: usize, n: usize) -> String {
    const CIRCLED: &str = "①②③④⑤⑥⑦⑧⑨⑩";
    match CIRCLED.chars().nth(k) {
        _ if n < 2 => String::new(),
        Some(c) => c.to_string(),
        None => format!("({})", k + 1),
    }
}

/// Each person's pay: duties by role at the session's rates, the tax on the total, and the
/// site they worked at most (their row's group on the sheet).
fn pay(st: &Staffing, duties: &BTreeMap<usize, Vec<usize>>) -> Vec<Pay> {
    let mut out = Vec::new();
    for (&p, posts) in duties {
        let mut by_role: BTreeMap<Role, u32> = BTreeMap::new();
        let mut by_site: BTreeMap<usize, u32> = BTreeMap::new();
        for &i in posts {
            let post = &st.problem.posts[i];
            *by_role.entry(post.role).or_default() += 1;
            *by_site.entry(post.site).or_default() += 1;
        }
        let site = by_site
            .iter()
            .max_by_key(|(s, n)| (**n, std::cmp::Reverse(**s)))
            .map_or(0, |(s, _)| *s);
        let gross = Fen(by_role
            .iter()
            .map(|(r, n)| st.rules.rate(*r).0 * i64::from(*n))
            .sum());
        let rate = if by_role.len() == 1 {
            st.rules.rate(*by_role.keys().next().expect("one")).yuan()
        } else {
            by_role
                .iter()
                .map(|(r, n)| format!("{}{}×{n}", r.zh(), st.rules.rate(*r).yuan()))
                .collect::<Vec<_>>()
                .join("；")
        };
        out.push(Pay {
            person: p,
            site,
            roles: by_role
                .keys()
                .map(|r| r.zh())
                .collect::<Vec<_>>()
                .join("、"),
            duties: posts.len() as u32,
            rate,
            gross,
            tax: tax(st.rules.tax, gross),
        });
    }
    out.sort_by(|a, b| {
        (a.site, &st.staff[a.person].staff_no).cmp(&(b.site, &st.staff[b.person].staff_no))
    });
    out
}

fn pay_workbook(path: &Path, st: &Staffing, pays: &[Pay], title: &str) -> Result<()> {
    let mut book = Book::new();
    let mut sh = book.sheet("劳务费发放表", &format!("{title}考务人员劳务费发放表"))?;
    sh.header(&[
        "序号",
        "考点",
        "编号",
        "姓名",
        "证件号码",
        "工作单位",
        "角色",
        "场次",
        "标准（元/场）",
        "应发金额",
        "代扣个税",
        "实发金额",
        "银行卡号",
        "签名",
    ])?;
    let mut n = 0;
    let (mut all_gross, mut all_tax, mut all_duties) = (0, 0, 0);
    let mut i = 0;
    while i < pays.len() {
        let site = pays[i].site;
        let (mut gross, mut taxed, mut count) = (0, 0, 0);
        let site_name = st.site_name(site);
        while i < pays.len() && pays[i].site == site {
            let p = &pays[i];
            let who = &st.staff[p.person];
            n += 1;
            sh.row(&[
                Cell::Count(n),
                Cell::Text(&site_name),
                Cell::Text(&who.staff_no),
                Cell::Text(&who.name),
                Cell::Text(&who.id_number),
                Cell::Text(&who.employer),
                Cell::Text(&p.roles),
                Cell::Count(i64::from(p.duties)),
                Cell::Text(&p.rate),
                Cell::Money(p.gross),
                Cell::Money(p.tax),
                Cell::Money(Fen(p.gross.0 - p.tax.0)),
                Cell::Text(&who.bank_card),
                Cell::Empty,
            ])?;
            gross += p.gross.0;
            taxed += p.tax.0;
            count += i64::from(p.duties);
            i += 1;
        }
        let label = format!("{site_name} 小计");
        sh.total(&[
            Cell::Empty,
            Cell::Text(&label),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Count(count),
            Cell::Empty,
            Cell::Money(Fen(gross)),
            Cell::Money(Fen(taxed)),
            Cell::Money(Fen(gross - taxed)),
            Cell::Empty,
            Cell::Empty,
        ])?;
        all_gross += gross;
        all_tax += taxed;
        all_duties += count;
    }
    sh.total(&[
        Cell::Empty,
        Cell::Text("合计"),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Count(all_duties),
        Cell::Empty,
        Cell::Money(Fen(all_gross)),
        Cell::Money(Fen(all_tax)),
        Cell::Money(Fen(all_gross - all_tax)),
        Cell::Empty,
        Cell::Empty,
    ])?;
    book.save(path)?;
    Ok(())
}
