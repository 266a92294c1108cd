//! `kaowu import staff`: the staff list (考务人员), checked like every import and matched by
//! ID number; the flow (report, journal of imports, `--dry-run`) is `import`'s.

use std::collections::{HashMap, HashSet};

use anyhow::Result;
use chrono::Datelike;

use super::intake::{Diff, read_rows, reject_if_any};
use crate::cli::ImportArgs;
use crate::db::Tx;
use crate::db::sessions::SessionRow;
use crate::db::staff::{StaffRecord, StaffSite};
use crate::io::table::{self, Cells, Column, Header, Schema, Value};
use crate::model::RowProblem;
use crate::model::id_number;
use crate::model::staff::{Availability, Roles, split_list, split_sites};
use crate::model::text::fold_ascii;

pub const STAFF: Schema = Schema {
    what: "staff list (考务人员)",
    columns: &[
        Column::opt("staff_no", "编号", "staff_no").aka(&["工号", "人员编号", "序号"]),
        Column::req("name", "姓名", "name"),
        Column::req("id_number", "证件号码", "id_number").aka(&["身份证号", "身份证号码"]),
        Column::req("employer", "工作单位", "employer").aka(&["单位", "所在单位"]),
        Column::req("phone", "手机", "phone").aka(&["手机号码", "联系电话", "mobile"]),
        Column::opt("gender", "性别", "gender"),
        Column::req("roles", "岗位", "roles").aka(&["角色", "担任岗位", "role"]),
        Column::opt("available", "可用时间", "available").aka(&["可安排时间", "可监考时间"]),
        Column::opt("cap_day", "每日上限", "cap_day").aka(&["每天最多场次"]),
        Column::opt("cap_total", "总上限", "cap_total").aka(&["最多场次", "总场次上限"]),
        Column::opt("exam_area", "考区", "exam_area").aka(&["所属考区", "工作考区"]),
        Column::opt("must_sites", "指定考点", "must_sites"),
        Column::opt("not_sites", "回避考点", "not_sites"),
        Column::opt("relatives", "亲属证件号码", "relatives").aka(&["回避亲属", "亲属"]),
        Column::opt("experience", "监考经历", "experience").aka(&["监考次数", "以往监考次数"]),
        Column::opt("bank_card", "银行卡号", "bank_card").aka(&["银行账号", "卡号"]),
    ],
};

/// A row read, before the sites it names are looked up.
struct StaffLine {
    line: usize,
    record: StaffRecord,
    /// The exam area as written (`丽江市` for 丽江 too), before it is looked up.
    area: String,
    must: Vec<String>,
    not: Vec<String>,
}

pub async fn import_staff(
    tx: &mut Tx,
    session: &SessionRow,
    args: &ImportArgs,
) -> Result<(Header, usize, Diff)> {
    let today = chrono::Local::now().date_naive();
    let sittings = tx.sitting_rows(session.id).await?;
    let year = sittings
        .first()
        .map_or_else(|| today.year(), |s| s.exam_date.year());
    let (header, mut rows, problems) =
        read_rows(args.source(), args, STAFF, |c| parse_row(c, today, year))?;
    let sites = tx.staff_sites(session.id).await?;
    let stored = tx.staff(session.id).await?;
    let areas: std::collections::BTreeSet<String> =
        sites.iter().map(|s| s.exam_area.clone()).collect();
    let mut rules = Vec::new();
    for (i, r) in rows.iter_mut().enumerate() {
        if !r.area.is_empty() {
            let matched = crate::model::fee::match_area(&r.area, &areas).to_string();
            if areas.contains(&matched) {
                r.record.exam_area = matched;
            } else {
                rules.push((
                    r.line,
                    RowProblem::new(
                        i,
                        "exam_area",
                        format!(
                            "{} is not an exam area (考区) of the session; it has: {}",
                            r.area,
                            areas.iter().cloned().collect::<Vec<_>>().join(", ")
                        ),
                    ),
                ));
            }
        }
        for (key, list) in [("must_sites", &r.must), ("not_sites", &r.not)] {
            let mut keys = Vec::new();
            for s in list {
                match site_key(s, &sites, &r.record.exam_area) {
                    Ok(k) => keys.push(k),
                    Err(e) => rules.push((r.line, RowProblem::new(i, key, e))),
                }
            }
            keys.sort();
            keys.dedup();
            // A site one must work at lies in the exam area one works in.
            let area = &r.record.exam_area;
            if key == "must_sites"
                && !area.is_empty()
                && let Some(k) = keys.iter().find(|k| !k.starts_with(&format!("{area}/")))
            {
                rules.push((
                    r.line,
                    RowProblem::new(i, key, format!("{k} is not in 考区 {area}")),
                ));
            }
            let joined = keys.join(",");
            if key == "must_sites" {
                r.record.must_sites = joined;
            } else {
                r.record.not_sites = joined;
            }
        }
    }
    rules.extend(check_rows(&rows, &stored));
    reject_if_any(&header, problems, rules)?;
    number(&mut rows, &stored);
    let diff = diff(&rows, &stored);
    if !args.change.dry_run {
        for r in &rows {
            tx.upsert_staff(session.id, &r.record).await?;
        }
    }
    Ok((header, rows.len(), diff))
}

fn parse_row(c: &mut Cells<'_, '_>, today: chrono::NaiveDate, year: i32) -> Option<StaffLine> {
    let staff_no = c.code("staff_no", false);
    let name = c.text("name", true);
    let id_number = c.get("id_number", true, |v| checked_id(v, today));
    let employer = c.text("employer", true);
    let phone = c.get("phone", true, mobile);
    let gender = c.text("gender", false).unwrap_or_default();
    let roles = c.get("roles", true, |v| Roles::parse(&v.text()));
    let available = c
        .get("available", false, |v| Availability::parse(&v.text(), year))
        .unwrap_or_default();
    let cap_day = c.get("cap_day", false, positive);
    let cap_total = c.get("cap_total", false, positive);
    let area = c.text("exam_area", false).unwrap_or_default();
    let must = c.text("must_sites", false).unwrap_or_default();
    let not = c.text("not_sites", false).unwrap_or_default();
    let relatives = c
        .get("relatives", false, |v| {
            let mut ids = Vec::new();
            for part in split_list(&v.text()) {
                let id = id_number::check(part, today)
                    .map_err(|e| format!("relative's ID number {part}: {e}"))?;
                ids.push(id.number.clone());
            }
            ids.sort();
            ids.dedup();
            Ok(ids.join(","))
        })
        .unwrap_or_default();
    let experience = c.get("experience", false, table::count).unwrap_or(0);
    let bank_card = c.get("bank_card", false, bank_card).unwrap_or_default();
    let id_number = id_number?;
    if relatives.split(',').any(|r| r == id_number) {
        c.problem("relatives", "lists the person's own ID number");
    }
    Some(StaffLine {
        line: c.line(),
        record: StaffRecord {
            id: 0,
            staff_no: staff_no.unwrap_or_default(),
            name: name?,
            id_number,
            employer: employer?,
            phone: phone?,
            gender,
            roles: roles?.text(),
            available: available.text(),
            cap_day: cap_day.map(i64::from),
            cap_total: cap_total.map(i64::from),
            exam_area: String::new(),
            must_sites: String::new(),
            not_sites: String::new(),
            relatives,
            experience: i64::from(experience),
            bank_card,
        },
        area,
        must: split_sites(&must).map(str::to_string).collect(),
        not: split_sites(&not).map(str::to_string).collect(),
    })
}

fn checked_id(v: &Value, today: chrono::NaiveDate) -> Result<String, String> {
    let text = table::identifier(v)?;
    id_number::check(&text, today)
        .map(|i| i.number.clone())
        .map_err(|e| e.to_string())
}

fn mobile(v: &Value) -> Result<String, String> {
    let t = table::identifier(v)?;
    let digits: String = t.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if digits.len() == 11 && digits.starts_with('1') && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(digits)
    } else {
        Err(format!(
            "expected an 11-digit mobile number like 13800000000, found {}",
            v.shown()
        ))
    }
}

fn positive(v: &Value) -> Result<u32, String> {
    table::count(v).and_then(|n| {
        if n == 0 {
            Err("expected at least 1 duty, found 0".into())
        } else {
            Ok(n)
        }
    })
}

/// A bank card number: 12 to 19 digits (spaces allowed), kept as text.
fn bank_card(v: &Value) -> Result<String, String> {
    let t = table::identifier(v)?;
    let digits: String = t.chars().filter(|c| !c.is_whitespace()).collect();
    if (12..=19).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(digits)
    } else {
        Err(format!(
            "expected a bank card number of 12 to 19 digits, found {}",
            v.shown()
        ))
    }
}

/// A site named by its code (when one exam area has it) or `考区/代码`, as stored:
/// `考区/代码`.
/// `考区/代码` of the site `text` names: `考区/代码`, or a code, looked up in the person's
/// exam area when they have one (`001` is then theirs), else in every area.
fn site_key(text: &str, sites: &[StaffSite], area: &str) -> Result<String, String> {
    let t = fold_ascii(text);
    let matches: Vec<&StaffSite> = match t.split_once('/') {
        Some((area, code)) => sites
            .iter()
            .filter(|s| s.exam_area == area.trim() && s.code == code.trim())
            .collect(),
        None => sites
            .iter()
            .filter(|s| s.code == t.trim() && (area.is_empty() || s.exam_area == area))
            .collect(),
    };
    match matches.as_slice() {
        [s] => Ok(format!("{}/{}", s.exam_area, s.code)),
        [] => Err(format!(
            "no site {t} in this session (write a site code, or 考区/代码)"
        )),
        several => Err(format!(
            "site code {t} is used in {} exam areas ({}); write 考区/代码",
            several.len(),
            several
                .iter()
                .map(|s| s.exam_area.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// An ID number or a staff number twice in the file, or a staff number already another
/// person's.
fn check_rows(rows: &[StaffLine], stored: &[StaffRecord]) -> Vec<(usize, RowProblem)> {
    let mut out = Vec::new();
    let mut ids: HashMap<&str, usize> = HashMap::new();
    let mut nos: HashMap<&str, usize> = HashMap::new();
    let owner: HashMap<&str, &str> = stored
        .iter()
        .map(|s| (s.staff_no.as_str(), s.id_number.as_str()))
        .collect();
    for (i, r) in rows.iter().enumerate() {
        if let Some(first) = ids.insert(&r.record.id_number, r.line) {
            out.push((
                r.line,
                RowProblem::new(
                    i,
                    "id_number",
                    format!(
                        "{} is already on row {first}: one row per person",
                        r.record.id_number
                    ),
                ),
            ));
        }
        let no = r.record.staff_no.as_str();
        if no.is_empty() {
            continue;
        }
        if let Some(first) = nos.insert(no, r.line) {
            out.push((
                r.line,
                RowProblem::new(i, "staff_no", format!("编号 {no} is also row {first}'s")),
            ));
        } else if let Some(other) = owner.get(no)
            && *other != r.record.id_number
        {
            out.push((
                r.line,
                RowProblem::new(
                    i,
                    "staff_no",
                    format!(
                        "编号 {no} is stored for someone else ({})",
                        id_number::mask(other)
                    ),
                ),
            ));
        }
    }
    out
}

/// Gives staff numbers: a stored person keeps theirs unless the file gives one; a new
/// person without one takes the next free number, in file order.
fn number(rows: &mut [StaffLine], stored: &[StaffRecord]) {
    let by_id: HashMap<&str, &str> = stored
        .iter()
        .map(|s| (s.id_number.as_str(), s.staff_no.as_str()))
        .collect();
    let mut used: HashSet<String> = stored.iter().map(|s| s.staff_no.clone()).collect();
    used.extend(rows.iter().map(|r| r.record.staff_no.clone()));
    let mut next = 1;
    for r in rows.iter_mut() {
        if !r.record.staff_no.is_empty() {
            continue;
        }
        if let Some(no) = by_id.get(r.record.id_number.as_str()) {
            r.record.staff_no = (*no).to_string();
            continue;
        }
        while used.contains(&format!("{next:04}")) {
            next += 1;
        }
        r.record.staff_no = format!("{next:04}");
        used.insert(r.record.staff_no.clone());
    }
}

fn diff(rows: &[StaffLine], stored: &[StaffRecord]) -> Diff {
    let by_id: HashMap<&str, &StaffRecord> =
        stored.iter().map(|s| (s.id_number.as_str(), s)).collect();
    let mut d = Diff::default();
    let mut seen = HashSet::new();
    for r in rows {
        let n = &r.record;
        seen.insert(n.id_number.as_str());
        let key = format!(
            "{} {} {}",
            n.staff_no,
            n.name,
            id_number::mask(&n.id_number)
        );
        let fields = by_id.get(n.id_number.as_str()).map(|s| {
            let opt = |v: Option<i64>| v.map_or_else(String::new, |n| n.to_string());
            let mut f = Vec::new();
            for (label, old, new) in [
                ("编号", s.staff_no.clone(), n.staff_no.clone()),
                ("姓名", s.name.clone(), n.name.clone()),
                ("工作单位", s.employer.clone(), n.employer.clone()),
                ("手机", s.phone.clone(), n.phone.clone()),
                ("性别", s.gender.clone(), n.gender.clone()),
                ("岗位", s.roles.clone(), n.roles.clone()),
                ("可用时间", s.available.clone(), n.available.clone()),
                ("每日上限", opt(s.cap_day), opt(n.cap_day)),
                ("总上限", opt(s.cap_total), opt(n.cap_total)),
                ("考区", s.exam_area.clone(), n.exam_area.clone()),
                ("指定考点", s.must_sites.clone(), n.must_sites.clone()),
                ("回避考点", s.not_sites.clone(), n.not_sites.clone()),
                ("亲属证件号码", s.relatives.clone(), n.relatives.clone()),
                (
                    "监考经历",
                    s.experience.to_string(),
                    n.experience.to_string(),
                ),
            ] {
                if old != new {
                    f.push(format!("{label}: {old} -> {new}"));
                }
            }
            // The card number is not shown: it goes on the pay sheet only.
            if s.bank_card != n.bank_card {
                f.push("银行卡号 changed".into());
            }
            f
        });
        d.row(key, fields);
    }
    d.kept = stored
        .iter()
        .filter(|s| !seen.contains(s.id_number.as_str()))
        .count();
    d
}
