//! `kaowu import plan|fees|sites|staff`: read a file, check every row, compare with what is
//! stored by natural key, and write the difference in one transaction (or, with
//! `--dry-run`, only print it).

use std::collections::{BTreeSet, HashMap, HashSet};

use anyhow::Result;
use serde::Serialize;

use super::intake::{Diff, FileDigest, read_rows, record_import, reject_if_any};
use super::{connect, current_session, print_json};
use crate::cli::{GlobalArgs, ImportArgs, ImportCommand};
use crate::db::Tx;
use crate::db::plan::PlanEntry;
use crate::db::sessions::SessionRow;
use crate::io::table::{self, Cells, Column, Header, Schema, Value};
use crate::model::RowProblem;
use crate::model::codes::leading_zero_twins;
use crate::model::fee::{self, FeeRule, normalize_region};
use crate::model::level::Level;
use crate::model::plan::{self, PlanRow};
use crate::model::site::{self, RoomRow, format_seat_list, parse_seat_list};
use crate::model::text::fold_ascii;

pub const PLAN: Schema = Schema {
    what: "exam plan (考试计划)",
    columns: &[
        Column::req("level", "级别", "level").aka(&["报考级别"]),
        Column::req("qualification", "资格名称", "qualification").aka(&["报考资格", "资格"]),
        Column::opt("qualification_code", "资格代码", "qualification_code"),
        Column::req("subject", "科目", "subject").aka(&["科目名称", "考试科目"]),
        Column::req("sitting", "场次", "sitting").aka(&["批次"]),
        Column::req("date", "考试日期", "date").aka(&["日期"]),
        Column::req("start", "开始时间", "start").aka(&["start_time"]),
        Column::req("end", "结束时间", "end").aka(&["end_time"]),
    ],
};

pub const FEES: Schema = Schema {
    what: "fees (收费标准)",
    columns: &[
        Column::req("region", "地区", "region").aka(&["报名省市", "地市"]),
        Column::req("level", "级别", "level").aka(&["报考级别"]),
        Column::opt("qualification", "资格名称", "qualification").aka(&["报考资格", "资格"]),
        Column::opt("subject", "科目", "subject").aka(&["科目名称"]),
        Column::req("amount", "金额", "amount").aka(&["收费标准", "费用"]),
        Column::req("effective_from", "生效日期", "effective_from"),
        Column::opt("effective_to", "失效日期", "effective_to"),
    ],
};

pub const SITES: Schema = Schema {
    what: "sites and rooms (考点考场)",
    columns: &[
        Column::req("exam_area", "考区", "exam_area").aka(&["考区名称"]),
        Column::req("site_code", "考点代码", "site_code").aka(&["考点编号", "考点编码"]),
        Column::req("site_name", "考点名称", "site_name").aka(&["考点"]),
        Column::req("address", "考点地址", "address").aka(&["地址"]),
        Column::req("room", "考场号", "room").aka(&["考场", "考场编号"]),
        Column::req("seats", "座位数", "seats").aka(&["座位数量", "容量"]),
        Column::opt("disabled_seats", "停用座位", "disabled_seats").aka(&["停用座位号"]),
        Column::opt("computer", "机房", "computer").aka(&["考场类型", "是否机房", "computer_room"]),
    ],
};

/// `field: old -> new` when they differ.
fn field(out: &mut Vec<String>, name: &str, old: impl ToString, new: impl ToString) {
    let (o, n) = (old.to_string(), new.to_string());
    if o != n {
        out.push(format!("{name}: {o} -> {n}"));
    }
}

#[derive(Serialize)]
struct Report<'a> {
    import: &'a str,
    session: &'a str,
    file: String,
    sheet: Option<&'a str>,
    encoding: Option<String>,
    dry_run: bool,
    rows: usize,
    added: usize,
    changed: usize,
    unchanged: usize,
    kept: usize,
    ignored_columns: &'a [String],
    changes: &'a Diff,
}

pub async fn run(g: &GlobalArgs, cmd: &ImportCommand) -> Result<()> {
    let (kind, args) = match cmd {
        ImportCommand::Plan(a) => ("plan", a),
        ImportCommand::Fees(a) => ("fees", a),
        ImportCommand::Sites(a) => ("sites", a),
        ImportCommand::Staff(a) => ("staff", a),
        // The dispatch sends these to their own files.
        ImportCommand::Applications(_) | ImportCommand::Payments(_) | ImportCommand::Scores(_) => {
            unreachable!("dispatched to import_applications, payments and scores")
        }
    };
    let args = &args.with_stdin()?;
    let db = connect(g).await?;
    // Writers of one session queue here; what is compared below is what is written.
    let mut tx = db.begin_write().await?;
    let session = current_session(&mut tx, g).await?;
    tx.lock_session(session.id).await?;
    let (header, rows, diff) = match kind {
        "plan" => import_plan(&mut tx, &session, args).await?,
        "fees" => import_fees(&mut tx, &session, args).await?,
        "staff" => super::import_staff::import_staff(&mut tx, &session, args).await?,
        _ => import_sites(&mut tx, &session, args).await?,
    };
    if !header.unknown.is_empty() {
        eprintln!(
            "warning: {}: ignored columns that {} files do not have: {}",
            header.source.file,
            header.schema.what,
            header.unknown.join(", ")
        );
    }
    let writes = !diff.added.is_empty() || !diff.changed.is_empty();
    if !args.change.dry_run && writes {
        let digest = FileDigest::start(args.source(), args.shown());
        record_import(&mut tx, session.id, kind, digest, &g.operator(), &diff).await?;
        tx.commit().await?;
    } else {
        drop(tx);
    }
    db.close().await;

    let report = Report {
        import: kind,
        session: &session.code,
        file: args.shown(),
        sheet: header.source.sheet.as_deref(),
        encoding: header.source.encoding.map(|e| e.to_string()),
        dry_run: args.change.dry_run,
        rows,
        added: diff.added.len(),
        changed: diff.changed.len(),
        unchanged: diff.unchanged,
        kept: diff.kept,
        ignored_columns: &header.unknown,
        changes: &diff,
    };
    if g.json {
        return print_json(&report);
    }
    print_report(&report, &header, args)?;
    Ok(())
}

fn print_report(r: &Report<'_>, header: &Header, args: &ImportArgs) -> Result<()> {
    let from = match (&header.source.sheet, &header.source.encoding) {
        (Some(sheet), _) => format!("{}[{sheet}]", header.source.file),
        (None, Some(enc)) => format!("{} ({enc})", header.source.file),
        (None, None) => header.source.file.clone(),
    };
    let (verb, add, change) = if r.dry_run {
        ("dry run, nothing written", "would add", "would change")
    } else {
        ("imported", "added", "changed")
    };
    outln!(
        "{} {} into {}: {verb}: {} rows: {add} {}, {change} {}, unchanged {}{}",
        header.schema.what,
        from,
        r.session,
        r.rows,
        r.added,
        r.changed,
        r.unchanged,
        if r.kept > 0 {
            format!(
                "; {} stored rows not in this file were left as they are",
                r.kept
            )
        } else {
            String::new()
        }
    )?;
    if r.dry_run || args.verbose {
        const SHOWN: usize = 30;
        for a in r
            .changes
            .added
            .iter()
            .take(if args.verbose { usize::MAX } else { SHOWN })
        {
            outln!("  + {a}")?;
        }
        if !args.verbose && r.added > SHOWN {
            outln!("  + ... and {} more (--verbose lists all)", r.added - SHOWN)?;
        }
        for c in r
            .changes
            .changed
            .iter()
            .take(if args.verbose { usize::MAX } else { SHOWN })
        {
            outln!("  ~ {}: {}", c.key, c.fields.join("; "))?;
        }
        if !args.verbose && r.changed > SHOWN {
            outln!(
                "  ~ ... and {} more (--verbose lists all)",
                r.changed - SHOWN
            )?;
        }
    }
    Ok(())
}

fn level(v: &Value) -> Result<Level, String> {
    let t = table::text(v)?;
    Level::parse(&t).ok_or_else(|| {
        format!("expected 初级, 中级 or 高级 (junior, intermediate, senior), found \"{t}\"")
    })
}

/// The canonical subject of `level`, or a problem naming the allowed ones.
fn subject_of(
    c: &mut Cells<'_, '_>,
    level: Option<Level>,
    text: Option<String>,
) -> Option<&'static str> {
    let (level, text) = (level?, text?);
    if let Some(s) = level.subject(&text) {
        Some(s)
    } else {
        c.problem(
            "subject",
            format!(
                "\"{text}\" is not a subject of {level} qualifications; allowed: {}",
                level.subjects().join(", ")
            ),
        );
        None
    }
}

async fn import_plan(
    tx: &mut Tx,
    session: &SessionRow,
    args: &ImportArgs,
) -> Result<(Header, usize, Diff)> {
    let (header, rows, problems) = read_rows(args.source(), args, PLAN, parse_plan_row)?;
    let stored = tx.plan(session.id).await?;
    // Completeness only makes sense once every row could be read.
    let mut rules = plan::check(&rows);
    if problems.is_empty() {
        rules.extend(plan::check_complete(&rows));
    }
    rules.extend(plan_zero_twins(&rows, &stored));
    reject_if_any(
        &header,
        problems,
        rules.into_iter().map(|p| (rows[p.row].line, p)).collect(),
    )?;
    let diff = plan_diff(&rows, &stored);
    if !args.change.dry_run {
        write_plan(tx, session, &rows, &stored).await?;
    }
    Ok((header, rows.len(), diff))
}

/// Reads one row of a plan file; `None` when a required cell is missing or wrong, with
/// the problem recorded in `c`.
fn parse_plan_row(c: &mut Cells<'_, '_>) -> Option<PlanRow> {
    let level = c.get("level", true, level);
    let qualification = c.text("qualification", true);
    let code = c.code("qualification_code", false);
    let subject_text = c.text("subject", true);
    let subject = subject_of(c, level, subject_text);
    let sitting = c.code("sitting", true);
    let date = c.get("date", true, table::date);
    let start = c.get("start", true, table::time);
    let end = c.get("end", true, table::time);
    Some(PlanRow {
        line: c.line(),
        level: level?,
        qualification: qualification?,
        code,
        subject: subject?,
        sitting: sitting?,
        date: date?,
        start: start?,
        end: end?,
    })
}

/// Qualification codes and sitting labels of the file that differ from another (in the
/// file or stored) only by leading zeros.
fn plan_zero_twins(rows: &[PlanRow], stored: &[PlanEntry]) -> Vec<RowProblem> {
    let mut rules = Vec::new();
    // A code is named on every subject row of its qualification: compare the first only.
    let mut named = HashSet::new();
    let codes: Vec<(usize, usize, &str)> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| Some((i, r.line, r.code.as_deref()?)))
        .filter(|(_, _, c)| named.insert(*c))
        .collect();
    let stored_codes: BTreeSet<&str> = stored.iter().filter_map(|e| e.code.as_deref()).collect();
    rules.extend(
        zero_twins(
            codes.iter().map(|&(_, line, c)| (line, c)),
            stored_codes.iter().copied(),
            "qualification_code",
        )
        .into_iter()
        .map(|p| RowProblem {
            row: codes[p.row].0,
            ..p
        }),
    );
    let mut named = HashSet::new();
    let sittings: Vec<(usize, usize, &str)> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (i, r.line, r.sitting.as_str()))
        .filter(|(_, _, c)| named.insert(*c))
        .collect();
    rules.extend(
        zero_twins(
            sittings.iter().map(|&(_, line, c)| (line, c)),
            stored.iter().map(|e| e.sitting.as_str()),
            "sitting",
        )
        .into_iter()
        .map(|p| RowProblem {
            row: sittings[p.row].0,
            ..p
        }),
    );
    rules
}

/// Compares the plan read with the stored one by qualification and subject.
fn plan_diff(rows: &[PlanRow], stored: &[PlanEntry]) -> Diff {
    let by_key: HashMap<(&str, &str), _> = stored
        .iter()
        .map(|e| ((e.qualification.as_str(), e.subject.as_str()), e))
        .collect();
    let mut diff = Diff::default();
    let mut seen = HashSet::new();
    for r in rows {
        seen.insert((r.qualification.as_str(), r.subject));
        let key = format!("{} {}", r.qualification, r.subject);
        let fields = by_key.get(&(r.qualification.as_str(), r.subject)).map(|e| {
            let mut f = Vec::new();
            field(&mut f, "级别", &e.level, r.level);
            if r.code.is_some() {
                field(
                    &mut f,
                    "资格代码",
                    e.code.as_deref().unwrap_or("-"),
                    r.code.as_deref().unwrap_or("-"),
                );
            }
            field(&mut f, "场次", &e.sitting, &r.sitting);
            field(&mut f, "考试日期", e.exam_date, r.date);
            field(
                &mut f,
                "开始时间",
                e.starts_at.format("%H:%M"),
                r.start.format("%H:%M"),
            );
            field(
                &mut f,
                "结束时间",
                e.ends_at.format("%H:%M"),
                r.end.format("%H:%M"),
            );
            f
        });
        diff.row(key, fields);
    }
    diff.kept = stored
        .iter()
        .filter(|e| !seen.contains(&(e.qualification.as_str(), e.subject.as_str())))
        .count();
    diff
}

/// Writes the plan read: each sitting and qualification once, then every subject row.
async fn write_plan(
    tx: &mut Tx,
    session: &SessionRow,
    rows: &[PlanRow],
    stored: &[PlanEntry],
) -> Result<()> {
    let mut sittings: HashMap<&str, i64> = HashMap::new();
    let mut quals: HashMap<&str, i64> = HashMap::new();
    for r in rows {
        if !sittings.contains_key(r.sitting.as_str()) {
            let id = tx
                .upsert_sitting(session.id, &r.sitting, r.date, r.start, r.end)
                .await?;
            sittings.insert(&r.sitting, id);
        }
        if !quals.contains_key(r.qualification.as_str()) {
            // A file without codes leaves the stored codes alone.
            let code = rows
                .iter()
                .find_map(|o| {
                    (o.qualification == r.qualification)
                        .then_some(o.code.clone())
                        .flatten()
                })
                .or_else(|| {
                    stored
                        .iter()
                        .find(|e| e.qualification == r.qualification)
                        .and_then(|e| e.code.clone())
                });
            let id = tx
                .upsert_qualification(session.id, &r.qualification, code.as_deref(), r.level.zh())
                .await?;
            quals.insert(&r.qualification, id);
        }
        tx.upsert_plan_subject(
            quals[r.qualification.as_str()],
            r.subject,
            sittings[r.sitting.as_str()],
        )
        .await?;
    }
    Ok(())
}

async fn import_fees(
    tx: &mut Tx,
    session: &SessionRow,
    args: &ImportArgs,
) -> Result<(Header, usize, Diff)> {
    let province = session.province.clone();
    let (header, rows, problems) = read_rows(args.source(), args, FEES, |c| {
        let region = c
            .text("region", true)
            .map(|r| normalize_region(&r, &province));
        let level = c.get("level", true, level);
        let qualification = c.text("qualification", false).filter(|q| !is_all(q));
        let subject_text = c.text("subject", false).filter(|s| !is_all(s));
        let subject = match subject_text {
            None => None,
            Some(t) => Some(subject_of(c, level, Some(t))?),
        };
        let amount = c.get("amount", true, table::amount);
        let from = c.get("effective_from", true, table::date);
        let to = c.get("effective_to", false, table::date);
        Some((
            c.line(),
            FeeRule {
                region: region?,
                level: level?,
                qualification,
                subject,
                amount: amount?,
                effective_from: from?,
                effective_to: to,
                source: String::new(),
            },
        ))
    })?;
    let mut rows = rows;
    for (line, r) in &mut rows {
        r.source = header.at_row(*line);
    }

    let areas: BTreeSet<String> = tx.exam_areas(session.id).await?.into_iter().collect();
    for (_, r) in &mut rows {
        r.region = fee::match_area(&r.region, &areas).to_string();
    }
    let stored = tx.fees(session.id).await?;
    let file_keys: HashSet<_> = rows.iter().map(|(_, r)| r.key()).collect();
    let kept: Vec<FeeRule> = stored
        .iter()
        .filter(|s| !file_keys.contains(&s.key()))
        .cloned()
        .collect();
    let rules = {
        let quals: HashMap<String, Level> = tx
            .plan(session.id)
            .await?
            .into_iter()
            .filter_map(|e| Level::parse(&e.level).map(|l| (e.qualification, l)))
            .collect();
        let scope = fee::Scope {
            province: &province,
            exam_areas: &areas,
            qualifications: &quals,
        };
        fee::check(&rows, &kept, &scope)
    };
    reject_if_any(
        &header,
        problems,
        rules.into_iter().map(|p| (rows[p.row].0, p)).collect(),
    )?;

    let by_key: HashMap<_, _> = stored.iter().map(|s| (s.key(), s)).collect();
    let mut diff = Diff::default();
    for (_, r) in &rows {
        let key = format!("{} {}", r.describe(), r.effective_from);
        let fields = by_key.get(&r.key()).map(|s| {
            let mut f = Vec::new();
            field(&mut f, "金额", s.amount, r.amount);
            let to =
                |d: Option<chrono::NaiveDate>| d.map_or_else(|| "-".to_string(), |d| d.to_string());
            field(&mut f, "失效日期", to(s.effective_to), to(r.effective_to));
            f
        });
        diff.row(key, fields);
    }
    diff.kept = kept.len();
    if !args.change.dry_run {
        for (_, r) in &rows {
            tx.upsert_fee(session.id, r).await?;
        }
    }
    Ok((header, rows.len(), diff))
}

/// The codes of a file's rows (row, code) that differ only by leading zeros from a stored
/// code or an earlier row's, as problems with `column` of those rows (indices among them).
fn zero_twins<'a>(
    file: impl IntoIterator<Item = (usize, &'a str)>,
    stored: impl IntoIterator<Item = &'a str>,
    column: &'static str,
) -> Vec<RowProblem> {
    leading_zero_twins(file, stored)
        .into_iter()
        .map(|(i, why)| RowProblem::new(i, column, why))
        .collect()
}

/// Cells that mean "every qualification" or "every subject".
fn is_all(s: &str) -> bool {
    matches!(
        s.trim(),
        "全部" | "所有" | "不限" | "*" | "all" | "ALL" | "All"
    )
}

async fn import_sites(
    tx: &mut Tx,
    session: &SessionRow,
    args: &ImportArgs,
) -> Result<(Header, usize, Diff)> {
    let (header, rows, problems) = read_rows(args.source(), args, SITES, parse_room_row)?;
    let stored = tx.rooms(session.id).await?;
    let rules = check_sites(&rows, &stored);
    reject_if_any(
        &header,
        problems,
        rules.into_iter().map(|p| (rows[p.row].line, p)).collect(),
    )?;
    let diff = sites_diff(&rows, &stored);
    if !args.change.dry_run {
        write_sites(tx, session, &rows).await?;
    }
    Ok((header, rows.len(), diff))
}

/// Reads one row of a sites file into a room; `None` when a required cell is missing or
/// wrong, with the problem recorded in `c`.
fn parse_room_row(c: &mut Cells<'_, '_>) -> Option<RoomRow> {
    let exam_area = c.text("exam_area", true);
    let site_code = c.code("site_code", true);
    let site_name = c.text("site_name", true);
    let address = c.text("address", true);
    let room = c.get("room", true, |v| {
        let t = fold_ascii(&v.text());
        let digits = t
            .trim_start_matches('第')
            .trim_end_matches("考场")
            .trim_end_matches('室');
        digits
            .parse::<u32>()
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| {
                format!(
                    "expected a room number like 01 or 第1考场, found {}",
                    v.shown()
                )
            })
    });
    let seats = c.get("seats", true, table::count);
    let disabled = c
        .get("disabled_seats", false, |v| parse_seat_list(&v.text()))
        .unwrap_or_default();
    let computer = c.get("computer", false, computer_room).unwrap_or(false);
    Some(RoomRow {
        line: c.line(),
        exam_area: exam_area?,
        site_code: site_code?,
        site_name: site_name?,
        address: address?,
        room: room?,
        seats: seats?,
        disabled_seats: disabled,
        computer,
    })
}

/// A room's kind: 机房 (是, 机房, computer, Y, 1) or an ordinary room (否, 普通, 笔试, N, 0,
/// empty).
fn computer_room(v: &Value) -> Result<bool, String> {
    let t = fold_ascii(&v.text()).trim().to_lowercase();
    match t.as_str() {
        "是" | "机房" | "机考" | "computer" | "y" | "yes" | "1" | "true" => Ok(true),
        "否" | "普通" | "普通考场" | "笔试" | "ordinary" | "n" | "no" | "0" | "false" | "" => {
            Ok(false)
        }
        _ => Err(format!(
            "expected 机房 or 普通 (是 or 否), found {}",
            v.shown()
        )),
    }
}

/// The problems of the rooms read: the site rules, and site codes that differ from
/// another in the same exam area (in the file or stored) only by leading zeros.
fn check_sites(rows: &[RoomRow], stored: &[RoomRow]) -> Vec<RowProblem> {
    let mut rules = site::check(rows);
    // A site code names a site within its exam area (昆明 and 丽江 may both have 001).
    let areas: BTreeSet<&str> = rows.iter().map(|r| r.exam_area.as_str()).collect();
    for area in areas {
        let in_area: Vec<usize> = (0..rows.len())
            .filter(|&i| rows[i].exam_area == area)
            .collect();
        rules.extend(
            zero_twins(
                in_area
                    .iter()
                    .map(|&i| (rows[i].line, rows[i].site_code.as_str())),
                stored
                    .iter()
                    .filter(|r| r.exam_area == area)
                    .map(|r| r.site_code.as_str()),
                "site_code",
            )
            .into_iter()
            .map(|p| RowProblem {
                row: in_area[p.row],
                ..p
            }),
        );
    }
    rules
}

/// Compares the rooms read with the stored ones by exam area, site code and room.
fn sites_diff(rows: &[RoomRow], stored: &[RoomRow]) -> Diff {
    let key = |r: &RoomRow| (r.exam_area.clone(), r.site_code.clone(), r.room);
    let by_key: HashMap<_, _> = stored.iter().map(|r| (key(r), r)).collect();
    let mut diff = Diff::default();
    let mut seen = HashSet::new();
    for r in rows {
        seen.insert(key(r));
        let fields = by_key.get(&key(r)).map(|s| {
            let mut f = Vec::new();
            field(&mut f, "考点名称", &s.site_name, &r.site_name);
            field(&mut f, "考点地址", &s.address, &r.address);
            field(&mut f, "座位数", s.seats, r.seats);
            let kind = |c: bool| if c { "机房" } else { "普通" };
            field(&mut f, "机房", kind(s.computer), kind(r.computer));
            field(
                &mut f,
                "停用座位",
                format_seat_list(&s.disabled_seats),
                format_seat_list(&r.disabled_seats),
            );
            f
        });
        diff.row(
            format!(
                "{} {} {} 第{}考场",
                r.exam_area, r.site_code, r.site_name, r.room
            ),
            fields,
        );
    }
    diff.kept = stored.iter().filter(|s| !seen.contains(&key(s))).count();
    diff
}

/// Writes the rooms read, each site once before its rooms.
async fn write_sites(tx: &mut Tx, session: &SessionRow, rows: &[RoomRow]) -> Result<()> {
    let mut site_ids: HashMap<(&str, &str), i64> = HashMap::new();
    for r in rows {
        let k = (r.exam_area.as_str(), r.site_code.as_str());
        let id = if let Some(&id) = site_ids.get(&k) {
            id
        } else {
            let id = tx
                .upsert_site(
                    session.id,
                    &r.exam_area,
                    &r.site_code,
                    &r.site_name,
                    &r.address,
                )
                .await?;
            site_ids.insert(k, id);
            id
        };
        tx.upsert_room(id, r).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_keys_are_listed_up_to_a_cap_and_counted_all() {
        let mut d = Diff::default();
        for i in 0..(Diff::LISTED + 5) {
            d.add_listed(&i.to_string());
        }
        assert_eq!(d.added.len(), Diff::LISTED);
        assert_eq!(d.added_count(), Diff::LISTED + 5);
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["added_not_listed"], 5);
        assert!(serde_json::to_value(Diff::default()).unwrap()["added_not_listed"].is_null());
    }
}
