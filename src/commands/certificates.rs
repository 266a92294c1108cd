//! `kaowu certificates import|sheets|issue|waybills|held`: certificates (证书) matched to the
//! pass list, the hand-out sheets per exam area (发放签收表, PDF and XLSX) with pickup days by
//! number range and the mail list, each hand-out recorded (in person, by proxy with the
//! 委托书, or by post with its waybill), and what is still held with the date its five years
//! of keeping end.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::{Context, Result, bail};
use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::batch::{Change, Written, apply, recording};
use super::documents::{chinese_date, chinese_date_text};
use super::intake::{Diff, FileDigest, read_rows, record_import, reject_if_any};
use super::printing::load_template;
use super::results::Results;
use super::{Ctx, Rejected, connect, current_session, print_json};
use crate::cli::{CertificatesCommand, Confirm, GlobalArgs, ImportArgs};
use crate::db::Tx;
use crate::db::payments::JournalLine;
use crate::db::scores::{Candidate, CertificateRow};
use crate::io::atomic;
use crate::io::table::{self, Column, Schema};
use crate::io::xlsx::{Book, Cell};
use crate::model::RowProblem;
use crate::model::id_number;
use crate::pdf::sheet::{HANDOUT, Layout, Row, Sheet};

pub const CERTIFICATES: Schema = Schema {
    what: "certificates (证书)",
    columns: &[
        Column::req("cert_no", "证书编号", "cert_no").aka(&["证书号", "管理号"]),
        Column::req("card_no", "准考证号", "card_no").aka(&["ZKZH"]),
        Column::req("id_number", "证件号码", "id_number").aka(&["ZJH", "身份证号"]),
        Column::opt("name", "姓名", "name").aka(&["XM"]),
        Column::opt("qualification", "资格名称", "qualification").aka(&["ZGMC"]),
        Column::opt("method", "领取方式", "method").aka(&["发放方式"]),
        Column::opt("address", "邮寄地址", "address").aka(&["收件地址"]),
        Column::opt("phone", "联系电话", "phone").aka(&["手机号码", "收件人电话"]),
    ],
};

pub const WAYBILLS: Schema = Schema {
    what: "waybills (邮寄单号)",
    columns: &[
        Column::req("cert_no", "证书编号", "cert_no").aka(&["证书号"]),
        Column::req("waybill", "运单号", "waybill").aka(&["快递单号", "邮件号", "邮寄单号"]),
        Column::opt("on", "寄出日期", "sent_on").aka(&["邮寄日期"]),
    ],
};

/// How long an unclaimed certificate is kept.
const KEEP_YEARS: i32 = 5;

pub async fn run(g: &GlobalArgs, cmd: &CertificatesCommand) -> Result<()> {
    match cmd {
        CertificatesCommand::Import { import, received } => {
            import_file(g, &import.with_stdin()?, received.as_deref()).await
        }
        CertificatesCommand::Sheets {
            out,
            from,
            days,
            place,
        } => sheets(g, out, from, *days, place).await,
        CertificatesCommand::Issue {
            number,
            to,
            proxy_name,
            proxy_id,
            letter,
            on,
            confirm,
        } => {
            let how = match to.as_str() {
                "self" | "本人" => Handout::InPerson,
                "proxy" | "代领" => {
                    let mut problems = Vec::new();
                    let name = proxy_name.clone().unwrap_or_default();
                    if name.trim().is_empty() {
                        problems.push("--proxy-name: a proxy (代领) is named".to_string());
                    }
                    match proxy_id
                        .as_deref()
                        .map(|t| id_number::check(t.trim(), chrono::Local::now().date_naive()))
                    {
                        None => problems.push(
                            "--proxy-id: a proxy (代领) shows an ID card; give its number"
                                .to_string(),
                        ),
                        Some(Err(e)) => problems.push(format!("--proxy-id: {e}")),
                        Some(Ok(_)) => {}
                    }
                    if !letter {
                        problems.push("--letter: a proxy brings the candidate's 委托书 (letter of authority): tick it with --letter once seen".to_string());
                    }
                    if !problems.is_empty() {
                        return Err(Rejected {
                            what: "certificates issue".into(),
                            problems,
                        }
                        .into());
                    }
                    Handout::Proxy(
                        name.trim().to_string(),
                        proxy_id.clone().unwrap_or_default().trim().to_uppercase(),
                    )
                }
                other => {
                    return Err(Rejected::one(
                        "certificates issue: --to",
                        format!("expected self (本人) or proxy (代领), found \"{other}\""),
                    )
                    .into());
                }
            };
            issue(g, number, how, on.as_deref(), confirm).await
        }
        CertificatesCommand::Waybills(args) => waybills(g, &args.with_stdin()?).await,
        CertificatesCommand::Held { on } => held(g, on.as_deref()).await,
    }
}

fn date_arg(flag: &str, text: Option<&str>) -> Result<NaiveDate> {
    match text {
        None => Ok(chrono::Local::now().date_naive()),
        Some(t) => NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d").map_err(|_| {
            Rejected::one(
                format!("certificates: {flag}"),
                format!("expected a date like 2027-03-01, found \"{t}\""),
            )
            .into()
        }),
    }
}

/// A certificate row of the file, checked.
struct NewCert {
    application_id: i64,
    cert_no: String,
    by_post: bool,
    address: String,
    phone: String,
}

/// A row of the certificate file: (line, number, card, ID number, by post, address, phone).
type CertLine = (usize, String, String, String, bool, String, String);

/// Matches the file's certificates to those who passed; every problem found is a
/// [`RowProblem`].
fn match_certs(
    lines: &[CertLine],
    res: &Results,
    stored: &HashMap<i64, CertificateRow>,
    session: &str,
) -> (Vec<NewCert>, Vec<RowProblem>) {
    let by_card: HashMap<&str, &Candidate> = res
        .candidates
        .iter()
        .map(|c| (c.card_no.as_str(), c))
        .collect();
    let mut owner: HashMap<String, i64> = stored
        .values()
        .map(|c| (c.cert_no.clone(), c.application_id))
        .collect();
    let mut seen: HashMap<i64, usize> = HashMap::new();
    let mut rules = Vec::new();
    let mut certs = Vec::new();
    for (i, (line, cert_no, card_no, id, by_post, address, phone)) in lines.iter().enumerate() {
        let Some(c) = by_card.get(card_no.as_str()) else {
            rules.push(RowProblem::new(
                i,
                "card_no",
                format!("准考证号 {card_no} is not an admit card of session {session}"),
            ));
            continue;
        };
        if !id.eq_ignore_ascii_case(&c.id_number) {
            rules.push(RowProblem::new(
                i,
                "id_number",
                format!("证件号码 is not that of the holder of 准考证号 {card_no}"),
            ));
            continue;
        }
        if !res.passed(c.application_id) {
            rules.push(RowProblem::new(
                i,
                "card_no",
                format!("{} ({card_no}) is not on the pass list: a certificate matches nobody who passed", c.name),
            ));
            continue;
        }
        if let Some(first) = seen.insert(c.application_id, *line) {
            rules.push(RowProblem::new(
                i,
                "card_no",
                format!("{card_no} has a certificate on line {first} too"),
            ));
            continue;
        }
        match owner.get(cert_no) {
            Some(app) if *app != c.application_id => {
                rules.push(RowProblem::new(
                    i,
                    "cert_no",
                    format!("证书编号 {cert_no} is another candidate's"),
                ));
                continue;
            }
            _ => {
                owner.insert(cert_no.clone(), c.application_id);
            }
        }
        if let Some(s) = stored.get(&c.application_id)
            && s.issued_how.is_some()
            && (s.cert_no != *cert_no || s.by_post != i64::from(*by_post))
        {
            rules.push(RowProblem::new(
                i,
                "cert_no",
                format!(
                    "{} was handed out already ({})",
                    s.cert_no,
                    s.issued_on.clone().unwrap_or_default()
                ),
            ));
            continue;
        }
        certs.push(NewCert {
            application_id: c.application_id,
            cert_no: cert_no.clone(),
            by_post: *by_post,
            address: address.clone(),
            phone: phone.clone(),
        });
    }
    (certs, rules)
}

async fn import_file(g: &GlobalArgs, args: &ImportArgs, received: Option<&str>) -> Result<()> {
    let received = date_arg("--received", received)?;
    let (header, lines, problems) = read_rows(args.source(), args, CERTIFICATES, |c| {
        let cert_no = c.code("cert_no", true)?;
        let card_no = c.code("card_no", true)?;
        let id = c.code("id_number", true)?;
        let method = c.text("method", false).unwrap_or_default();
        let by_post = match method.trim() {
            "" | "现场" | "现场领取" | "自取" | "本人领取" => false,
            "邮寄" | "快递" => true,
            other => {
                c.problem(
                    "method",
                    format!("expected 现场领取 or 邮寄, found \"{other}\""),
                );
                false
            }
        };
        let address = c.text("address", false).unwrap_or_default();
        if by_post && address.trim().is_empty() {
            c.problem(
                "address",
                "a certificate sent by post needs an address (邮寄地址)",
            );
        }
        let phone = c.code("phone", false).unwrap_or_default();
        Some((c.line(), cert_no, card_no, id, by_post, address, phone))
    })?;
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let res = Results::load(&mut tx, session.id).await?;
    let stored: HashMap<i64, CertificateRow> = tx
        .certificates(session.id)
        .await?
        .into_iter()
        .map(|c| (c.application_id, c))
        .collect();
    drop(tx);
    let (certs, rules) = match_certs(&lines, &res, &stored, &session.code);
    reject_if_any(
        &header,
        problems,
        rules.into_iter().map(|p| (lines[p.row].0, p)).collect(),
    )?;
    let mut diff = Diff::default();
    let mut changes = Vec::new();
    for n in certs {
        match stored.get(&n.application_id) {
            Some(s)
                if s.cert_no == n.cert_no
                    && s.by_post == i64::from(n.by_post)
                    && s.address == n.address
                    && s.phone == n.phone =>
            {
                diff.unchanged += 1;
            }
            Some(s) => {
                diff.changed.push(super::intake::Changed {
                    key: n.cert_no.clone(),
                    fields: vec![format!("{} -> {}", s.cert_no, n.cert_no)],
                });
                changes.push((n, Some(s.cert_no.clone())));
            }
            None => {
                diff.add_listed(&n.cert_no);
                changes.push((n, None));
            }
        }
    }
    let passed = res
        .candidates
        .iter()
        .filter(|c| res.passed(c.application_id))
        .count();
    let mut change = Certs {
        report: CertsReport {
            session: session.code.clone(),
            file: args.shown(),
            dry_run: args.change.dry_run,
            batch: None,
            received: received.to_string(),
            certificates: lines.len(),
            by_post: changes.iter().filter(|(n, _)| n.by_post).count(),
            added: diff.added_count(),
            changed: diff.changed.len(),
            unchanged: diff.unchanged,
            passed_without: passed.saturating_sub(stored.len() + diff.added_count()),
        },
        changes,
        diff,
        source: args.source().to_path_buf(),
        session_id: session.id,
        operator: g.operator(),
    };
    let cx = Ctx::new(g, db, session);
    let confirm = Confirm {
        yes: true,
        dry_run: args.change.dry_run,
    };
    apply(&cx, &mut change, &confirm).await
}

struct Certs {
    changes: Vec<(NewCert, Option<String>)>,
    diff: Diff,
    report: CertsReport,
    source: std::path::PathBuf,
    session_id: i64,
    operator: String,
}

#[derive(Serialize)]
struct CertsReport {
    session: String,
    file: String,
    dry_run: bool,
    batch: Option<i64>,
    received: String,
    certificates: usize,
    by_post: usize,
    added: usize,
    changed: usize,
    unchanged: usize,
    /// Candidates who passed and have no certificate yet.
    passed_without: usize,
}

impl Change for Certs {
    type Report = CertsReport;

    fn kind(&self) -> String {
        "certificates".to_string()
    }

    fn size(&self) -> usize {
        self.changes.len()
    }

    fn preview(&self, dry_run: bool) -> String {
        let r = &self.report;
        let verb = recording(dry_run);
        let mut out = format!(
            "certificates (证书) {}: {verb}: {} certificates received {}, {} by post: add {}, change {}, unchanged {}\n",
            r.file, r.certificates, r.received, r.by_post, r.added, r.changed, r.unchanged
        );
        if r.passed_without > 0 {
            out.push_str(&format!(
                "  {} who passed have no certificate yet\n",
                r.passed_without
            ));
        }
        for c in &self.diff.changed {
            out.push_str(&format!("  {}: {}\n", c.key, c.fields.join(", ")));
        }
        out
    }

    fn question(&self) -> String {
        format!("record {} certificates?", self.changes.len())
    }

    async fn write(&mut self, tx: &mut Tx, batch: i64) -> Result<Written> {
        let rows: Vec<_> = self
            .changes
            .iter()
            .map(|(n, _)| {
                (
                    n.application_id,
                    n.cert_no.as_str(),
                    n.by_post,
                    n.address.as_str(),
                    n.phone.as_str(),
                )
            })
            .collect();
        tx.insert_certificates(self.session_id, batch, &self.report.received, &rows)
            .await?;
        let journal: Vec<JournalLine<'_>> = self
            .changes
            .iter()
            .map(|(n, before)| {
                (
                    n.application_id,
                    "certificate".to_string(),
                    before.as_deref(),
                    Some(n.cert_no.as_str()),
                    "certificates import",
                )
            })
            .collect();
        tx.journal_many(batch, &journal).await?;
        let digest = FileDigest::start(&self.source, self.report.file.clone());
        record_import(
            tx,
            self.session_id,
            "certificates",
            digest,
            &self.operator,
            &self.diff,
        )
        .await?;
        Ok(Written {
            summary: format!(
                "certificates: {} added, {} changed",
                self.report.added, self.report.changed
            ),
            changed: self.changes.len(),
            analyze: Vec::new(),
        })
    }

    fn report(&mut self, dry_run: bool, batch: Option<i64>) -> &CertsReport {
        self.report.dry_run = dry_run;
        self.report.batch = batch;
        &self.report
    }

    fn done(&self, batch: i64, _written: &Written) -> String {
        format!(
            "certificates recorded as batch {batch}: {} added, {} changed (kaowu certificates sheets --out DIR writes the hand-out sheets)",
            self.report.added, self.report.changed
        )
    }
}

/// A certificate with its holder, as the sheets and `held` read it.
struct Held<'a> {
    cert: &'a CertificateRow,
    who: &'a Candidate,
}

async fn load(
    g: &GlobalArgs,
) -> Result<(
    crate::db::sessions::SessionRow,
    Results,
    Vec<CertificateRow>,
)> {
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let res = Results::load(&mut tx, session.id).await?;
    let certs = tx.certificates(session.id).await?;
    drop(tx);
    db.close().await;
    Ok((session, res, certs))
}

/// The day each of `n` certificates (in number order) is collected on: the numbers split
/// into `days` even runs from `from`.
fn pickup_days(n: usize, from: NaiveDate, days: u32) -> Vec<NaiveDate> {
    let days = days.max(1) as usize;
    let per = n.div_ceil(days).max(1);
    (0..n)
        .map(|i| from + chrono::Duration::days((i / per) as i64))
        .collect()
}

#[derive(Serialize)]
struct SheetsReport {
    session: String,
    out: String,
    certificates: usize,
    by_post: usize,
    files: Vec<String>,
}

/// An exam area's hand-out sheet as XLSX, the rows of its PDF.
/// One certificate to hand out, every value as printed on the sign sheet and its workbook.
struct HandoutRow {
    no: usize,             // 序号 1..
    name: String,          // up to 15 characters, with · in 少数民族 names
    masked_id: String,     // "530102********1234"
    qualification: String, // "信息系统项目管理师（高级）"
    cert_no: String,       // "2026H2530100001", up to 24 characters
    method: String,        // "现场领取" | "代领"
    pickup_day: String,    // "2027年3月2日"
    receiver: String,      // once handed out: "本人" or the proxy's name
    issued_on: String,     // "2027年3月2日", or ""
}

impl HandoutRow {
    /// The row by the keys of `templates/certificate_handout.json`'s columns.
    fn sheet_row(&self) -> Row {
        Row {
            cells: vec![
                ("no", self.no.to_string()),
                ("name", self.name.clone()),
                ("masked_id", self.masked_id.clone()),
                ("qualification", self.qualification.clone()),
                ("cert_no", self.cert_no.clone()),
                ("method", self.method.clone()),
                ("pickup_day", self.pickup_day.clone()),
                ("receiver", self.receiver.clone()),
                ("issued_on", self.issued_on.clone()),
            ],
        }
    }
}

fn area_workbook(path: &Path, title: &str, area: &str, rows: &[HandoutRow]) -> Result<()> {
    let mut book = Book::new();
    let mut s = book.sheet(area, &format!("{title}证书发放签收表（{area}）"))?;
    s.header(&[
        "序号",
        "姓名",
        "证件号码",
        "资格名称",
        "证书编号",
        "领取日期",
        "方式",
        "领取人",
        "领取人签名",
    ])?;
    for r in rows {
        s.row(&[
            Cell::Count(r.no as i64),
            Cell::Text(&r.name),
            Cell::Text(&r.masked_id),
            Cell::Text(&r.qualification),
            Cell::Text(&r.cert_no),
            Cell::Text(&r.pickup_day),
            Cell::Text(&r.method),
            Cell::Text(&r.receiver),
            Cell::Empty,
        ])?;
    }
    book.save(path)?;
    Ok(())
}

/// The certificates going by post, with their waybills once sent.
fn mail_list(path: &Path, title: &str, mail: &[&Held<'_>]) -> Result<()> {
    let mut book = Book::new();
    let mut s = book.sheet("邮寄名单", &format!("{title}证书邮寄名单"))?;
    s.header(&[
        "序号",
        "考区",
        "证书编号",
        "姓名",
        "资格名称",
        "邮寄地址",
        "联系电话",
        "运单号",
        "寄出日期",
    ])?;
    for (i, h) in mail.iter().enumerate() {
        s.row(&[
            Cell::Count(i as i64 + 1),
            Cell::Text(&h.who.exam_area),
            Cell::Text(&h.cert.cert_no),
            Cell::Text(&h.who.name),
            Cell::Text(&h.who.qualification),
            Cell::Text(&h.cert.address),
            Cell::Text(&h.cert.phone),
            Cell::Text(&h.cert.waybill),
            Cell::Text(h.cert.issued_on.as_deref().unwrap_or("")),
        ])?;
    }
    book.save(path)?;
    Ok(())
}

async fn sheets(g: &GlobalArgs, out: &Path, from: &str, days: u32, place: &str) -> Result<()> {
    let from = date_arg("--from", Some(from))?;
    let (session, res, certs) = load(g).await?;
    if certs.is_empty() {
        bail!(Rejected::one(
            "certificates sheets",
            format!(
                "session {} has no certificates: kaowu certificates import FILE",
                session.code
            )
        ));
    }
    let (layout, _, font) =
        load_template::<Layout>(HANDOUT, None, |l: &Layout| (&l.font, l.font_index))?;
    let mut by_area: BTreeMap<&str, Vec<Held<'_>>> = BTreeMap::new();
    for cert in &certs {
        let Some(who) = res.candidate(cert.application_id) else {
            continue;
        };
        by_area
            .entry(&who.exam_area)
            .or_default()
            .push(Held { cert, who });
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let title = format!("{}计算机技术与软件专业技术资格（水平）考试", session.name);
    let issuer = format!("{}省人事考试院", session.province);
    let date = crate::pdf::document_date(session.created_at.and_utc().timestamp());
    let mut files = Vec::new();
    let mut mail = Vec::new();
    for (area, list) in &by_area {
        let (post, person): (Vec<&Held<'_>>, Vec<&Held<'_>>) =
            list.iter().partition(|h| h.cert.by_post == 1);
        mail.extend(post);
        let on = pickup_days(person.len(), from, days);
        let last = on.last().copied().unwrap_or(from);
        let days = if last == from {
            chinese_date(from)
        } else {
            format!(
                "{}至{}（按证书编号分日领取）",
                chinese_date(from),
                chinese_date(last)
            )
        };
        let rows: Vec<HandoutRow> = person
            .iter()
            .zip(&on)
            .enumerate()
            .map(|(i, (h, day))| HandoutRow {
                no: i + 1,
                name: h.who.name.clone(),
                masked_id: id_number::mask(&h.who.id_number),
                qualification: h.who.qualification.clone(),
                cert_no: h.cert.cert_no.clone(),
                method: match h.cert.issued_how.as_deref() {
                    Some("proxy") => "代领",
                    _ => "现场领取",
                }
                .to_string(),
                pickup_day: chinese_date(*day),
                receiver: match h.cert.issued_how.as_deref() {
                    Some("self") => "本人".to_string(),
                    Some("proxy") => h.cert.proxy_name.clone(),
                    _ => String::new(),
                },
                issued_on: h
                    .cert
                    .issued_on
                    .as_deref()
                    .map(chinese_date_text)
                    .unwrap_or_default(),
            })
            .collect();
        let sheet = Sheet {
            values: vec![
                ("title", title.clone()),
                ("exam_area", (*area).to_string()),
                ("issuer", issuer.clone()),
                ("place", place.to_string()),
                ("days", days),
            ],
            rows: rows.iter().map(HandoutRow::sheet_row).collect(),
        };
        let text = crate::pdf::sheet::texts(&layout, &sheet);
        let narrowed = font
            .narrowed(text.chars(), "".chars())
            .map_err(|e| anyhow::anyhow!("the template's font: {e}"))?;
        let pdf = crate::pdf::sheet::render(&narrowed, &layout, &sheet, date)
            .map_err(|e| anyhow::anyhow!("发放签收表 of {area}: {e}"))?;
        let pdf_path = out.join(format!("发放签收表_{area}.pdf"));
        atomic::write(&pdf_path, &pdf)?;
        let xlsx_path = out.join(format!("发放签收表_{area}.xlsx"));
        area_workbook(&xlsx_path, &title, area, &rows)?;
        files.push(pdf_path.display().to_string());
        files.push(xlsx_path.display().to_string());
    }
    let mail_path = out.join("邮寄名单.xlsx");
    mail_list(&mail_path, &title, &mail)?;
    files.push(mail_path.display().to_string());
    let report = SheetsReport {
        session: session.code.clone(),
        out: out.display().to_string(),
        certificates: certs.len(),
        by_post: mail.len(),
        files,
    };
    if g.json {
        return print_json(&report);
    }
    outln!(
        "hand-out sheets (发放签收表) of {} into {}: {} certificates, {} by post; {} files",
        report.session,
        report.out,
        report.certificates,
        report.by_post,
        report.files.len()
    )?;
    Ok(())
}

/// How a certificate goes out.
enum Handout {
    InPerson,
    /// 代领: the proxy's name and ID number.
    Proxy(String, String),
}

async fn issue(
    g: &GlobalArgs,
    number: &str,
    how: Handout,
    on: Option<&str>,
    confirm: &Confirm,
) -> Result<()> {
    let on = date_arg("--on", on)?;
    let (session, res, certs) = load(g).await?;
    let number = number.trim();
    let Some(cert) = certs.iter().find(|c| {
        c.cert_no == number
            || res
                .candidate(c.application_id)
                .is_some_and(|w| w.card_no == number)
    }) else {
        return Err(Rejected::one(
            "certificates issue",
            format!("{number} is neither a certificate number nor the admit-card number of a certificate's holder in session {}", session.code),
        )
        .into());
    };
    if let Some(how) = &cert.issued_how {
        return Err(Rejected::one(
            "certificates issue",
            format!(
                "{} was handed out already on {} ({how})",
                cert.cert_no,
                cert.issued_on.clone().unwrap_or_default()
            ),
        )
        .into());
    }
    let who = res.candidate(cert.application_id);
    if let Handout::Proxy(_, id) = &how
        && who.is_some_and(|w| w.id_number.eq_ignore_ascii_case(id))
    {
        return Err(Rejected::one(
            "certificates issue: --proxy-id",
            "that is the candidate's own ID number: use --to self",
        )
        .into());
    }
    let db = connect(g).await?;
    let mut change = Issue {
        application_id: cert.application_id,
        cert_no: cert.cert_no.clone(),
        name: who.map(|w| w.name.clone()).unwrap_or_default(),
        how,
        on: on.to_string(),
        report: None,
    };
    let cx = Ctx::new(g, db, session);
    apply(&cx, &mut change, confirm).await
}

struct Issue {
    application_id: i64,
    cert_no: String,
    name: String,
    how: Handout,
    on: String,
    report: Option<IssueReport>,
}

#[derive(Serialize)]
struct IssueReport {
    cert_no: String,
    name: String,
    to: &'static str,
    proxy_name: String,
    on: String,
    dry_run: bool,
    batch: Option<i64>,
}

impl Issue {
    fn word(&self) -> &'static str {
        match self.how {
            Handout::InPerson => "self",
            Handout::Proxy(..) => "proxy",
        }
    }
}

impl Change for Issue {
    type Report = IssueReport;

    fn kind(&self) -> String {
        "certificate-issue".to_string()
    }

    fn size(&self) -> usize {
        1
    }

    fn preview(&self, dry_run: bool) -> String {
        let verb = recording(dry_run);
        let to = match &self.how {
            Handout::InPerson => "本人领取".to_string(),
            Handout::Proxy(name, id) => {
                format!("代领 by {name} ({}), 委托书 seen", id_number::mask(id))
            }
        };
        format!(
            "certificate (证书) {} of {}: {verb}: handed out on {}, {to}\n",
            self.cert_no, self.name, self.on
        )
    }

    fn question(&self) -> String {
        format!("record the hand-out of {}?", self.cert_no)
    }

    async fn write(&mut self, tx: &mut Tx, batch: i64) -> Result<Written> {
        let (name, id) = match &self.how {
            Handout::InPerson => ("", ""),
            Handout::Proxy(n, i) => (n.as_str(), i.as_str()),
        };
        if !tx
            .issue_certificate(
                self.application_id,
                batch,
                self.word(),
                &self.on,
                (name, id),
                "",
            )
            .await?
        {
            bail!(
                "{} was handed out meanwhile; nothing was changed",
                self.cert_no
            );
        }
        tx.journal_many(
            batch,
            &[(
                self.application_id,
                "certificate-issue".to_string(),
                None::<&str>,
                Some(self.word()),
                self.on.as_str(),
            )],
        )
        .await?;
        Ok(Written {
            summary: format!("certificate {} handed out ({})", self.cert_no, self.word()),
            changed: 1,
            analyze: Vec::new(),
        })
    }

    fn report(&mut self, dry_run: bool, batch: Option<i64>) -> &IssueReport {
        self.report = Some(IssueReport {
            cert_no: self.cert_no.clone(),
            name: self.name.clone(),
            to: self.word(),
            proxy_name: match &self.how {
                Handout::Proxy(n, _) => n.clone(),
                Handout::InPerson => String::new(),
            },
            on: self.on.clone(),
            dry_run,
            batch,
        });
        self.report.as_ref().expect("set above")
    }

    fn done(&self, batch: i64, _written: &Written) -> String {
        format!(
            "certificate {} of {} handed out, batch {batch}",
            self.cert_no, self.name
        )
    }
}

async fn waybills(g: &GlobalArgs, args: &ImportArgs) -> Result<()> {
    let (header, lines, problems) = read_rows(args.source(), args, WAYBILLS, |c| {
        let cert = c.code("cert_no", true)?;
        let waybill = c.code("waybill", true)?;
        let on = c.get("on", false, table::date);
        Some((c.line(), cert, waybill, on))
    })?;
    let (session, _res, certs) = load(g).await?;
    let by_no: HashMap<&str, &CertificateRow> =
        certs.iter().map(|c| (c.cert_no.as_str(), c)).collect();
    let today = chrono::Local::now().date_naive();
    let mut rules = Vec::new();
    let mut sent = Vec::new();
    for (i, (_, cert, waybill, on)) in lines.iter().enumerate() {
        match by_no.get(cert.as_str()) {
            None => rules.push(RowProblem::new(
                i,
                "cert_no",
                format!(
                    "证书编号 {cert} is no certificate of session {}",
                    session.code
                ),
            )),
            Some(c) if c.by_post == 0 => rules.push(RowProblem::new(
                i,
                "cert_no",
                format!("{cert} is collected in person, not sent by post"),
            )),
            Some(c) if c.issued_how.is_some() => rules.push(RowProblem::new(
                i,
                "cert_no",
                format!(
                    "{cert} went out already ({})",
                    c.issued_on.clone().unwrap_or_default()
                ),
            )),
            Some(c) => sent.push((
                c.application_id,
                cert.clone(),
                waybill.clone(),
                on.unwrap_or(today).to_string(),
            )),
        }
    }
    reject_if_any(
        &header,
        problems,
        rules.into_iter().map(|p| (lines[p.row].0, p)).collect(),
    )?;
    let db = connect(g).await?;
    let mut change = Posted {
        sent,
        file: args.shown(),
        report: None,
    };
    let cx = Ctx::new(g, db, session);
    let confirm = Confirm {
        yes: true,
        dry_run: args.change.dry_run,
    };
    apply(&cx, &mut change, &confirm).await
}

struct Posted {
    /// (application, certificate, waybill, date sent).
    sent: Vec<(i64, String, String, String)>,
    file: String,
    report: Option<PostedReport>,
}

#[derive(Serialize)]
struct PostedReport {
    file: String,
    dry_run: bool,
    batch: Option<i64>,
    sent: usize,
}

impl Change for Posted {
    type Report = PostedReport;

    fn kind(&self) -> String {
        "certificate-post".to_string()
    }

    fn size(&self) -> usize {
        self.sent.len()
    }

    fn preview(&self, dry_run: bool) -> String {
        let verb = recording(dry_run);
        let mut out = format!(
            "waybills (邮寄单号) {}: {verb}: {} certificates sent by post\n",
            self.file,
            self.sent.len()
        );
        for (_, cert, waybill, on) in self.sent.iter().take(20) {
            out.push_str(&format!("  {cert}: {waybill} on {on}\n"));
        }
        out
    }

    fn question(&self) -> String {
        format!("record {} certificates sent?", self.sent.len())
    }

    async fn write(&mut self, tx: &mut Tx, batch: i64) -> Result<Written> {
        for (app, cert, waybill, on) in &self.sent {
            if !tx
                .issue_certificate(*app, batch, "post", on, ("", ""), waybill)
                .await?
            {
                bail!("{cert} went out meanwhile; nothing was changed");
            }
        }
        let journal: Vec<JournalLine<'_>> = self
            .sent
            .iter()
            .map(|(app, _, waybill, _)| {
                (
                    *app,
                    "certificate-issue".to_string(),
                    None,
                    Some(waybill.as_str()),
                    "post",
                )
            })
            .collect();
        tx.journal_many(batch, &journal).await?;
        Ok(Written {
            summary: format!("{} certificates sent by post", self.sent.len()),
            changed: self.sent.len(),
            analyze: Vec::new(),
        })
    }

    fn report(&mut self, dry_run: bool, batch: Option<i64>) -> &PostedReport {
        self.report = Some(PostedReport {
            file: self.file.clone(),
            dry_run,
            batch,
            sent: self.sent.len(),
        });
        self.report.as_ref().expect("set above")
    }

    fn done(&self, batch: i64, _written: &Written) -> String {
        format!(
            "{} certificates recorded as sent, batch {batch}",
            self.sent.len()
        )
    }
}

/// What is still held per exam area, and when each lot's five years of keeping end.
#[derive(Serialize)]
struct HeldArea {
    exam_area: String,
    certificates: usize,
    issued_self: usize,
    issued_proxy: usize,
    posted: usize,
    held: usize,
    /// Held certificates by the day their keeping ends: (date, count).
    keep_until: Vec<(String, usize)>,
    /// Held ones whose keeping ended by the date asked.
    expired: usize,
}

async fn held(g: &GlobalArgs, on: Option<&str>) -> Result<()> {
    let on = date_arg("--on", on)?;
    let (session, res, certs) = load(g).await?;
    let mut areas: BTreeMap<String, HeldArea> = BTreeMap::new();
    for c in &certs {
        let area = res
            .candidate(c.application_id)
            .map_or_else(String::new, |w| w.exam_area.clone());
        let a = areas.entry(area.clone()).or_insert_with(|| HeldArea {
            exam_area: area,
            certificates: 0,
            issued_self: 0,
            issued_proxy: 0,
            posted: 0,
            held: 0,
            keep_until: Vec::new(),
            expired: 0,
        });
        a.certificates += 1;
        match c.issued_how.as_deref() {
            Some("self") => a.issued_self += 1,
            Some("proxy") => a.issued_proxy += 1,
            Some(_) => a.posted += 1,
            None => {
                a.held += 1;
                let until = NaiveDate::parse_from_str(&c.received_on, "%Y-%m-%d")
                    .ok()
                    .and_then(|d| d.with_year(d.year() + KEEP_YEARS))
                    .map_or_else(|| c.received_on.clone(), |d| d.to_string());
                if until.as_str() < on.to_string().as_str() {
                    a.expired += 1;
                }
                match a.keep_until.iter_mut().find(|(d, _)| *d == until) {
                    Some((_, n)) => *n += 1,
                    None => a.keep_until.push((until, 1)),
                }
            }
        }
    }
    let list: Vec<HeldArea> = areas.into_values().collect();
    if g.json {
        #[derive(Serialize)]
        struct Report<'a> {
            session: &'a str,
            on: String,
            areas: &'a [HeldArea],
        }
        return print_json(&Report {
            session: &session.code,
            on: on.to_string(),
            areas: &list,
        });
    }
    outln!("certificates (证书) of {} on {on}:", session.code)?;
    for a in &list {
        let until: Vec<String> = a
            .keep_until
            .iter()
            .map(|(d, n)| format!("{n} until {d}"))
            .collect();
        outln!(
            "  {}: {} certificates, {} collected in person, {} by proxy, {} posted, {} held{}{}",
            a.exam_area,
            a.certificates,
            a.issued_self,
            a.issued_proxy,
            a.posted,
            a.held,
            if until.is_empty() {
                String::new()
            } else {
                format!(" (kept {})", until.join(", "))
            },
            if a.expired > 0 {
                format!("; {} past the five years", a.expired)
            } else {
                String::new()
            }
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pickup_days_split_the_numbers_into_even_runs() {
        let d = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
        let days = pickup_days(10, d, 3);
        assert_eq!(days.iter().filter(|x| **x == d).count(), 4);
        assert_eq!(days.last().copied(), Some(d + chrono::Duration::days(2)));
        assert!(days.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(pickup_days(0, d, 3), Vec::<NaiveDate>::new());
        assert_eq!(pickup_days(2, d, 5), vec![d, d + chrono::Duration::days(1)]);
    }
}
