//! Payments (缴费): `kaowu import payments` (the gateway's order export), `kaowu payments
//! reconcile|expire|mark-paid`, and the sample gateway export and statement with planted
//! discrepancies (`kaowu samples payments`).
//!
//! A payment changes an application's state like a review does: in a batch, conditionally on
//! the version read, with a journal row for the state and one naming the payment.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::NaiveDateTime;
use serde::Serialize;

use super::batch::{Change, Written, apply};
use super::books::{fees_due, order_of, recon_app, status_of};
use super::intake::{Diff, FileDigest, record_import, reject_if_any, rejected_from};
use super::moves::{DecisionPlan, Move, carry_out};
use super::{Ctx, Rejected, connect, current_session, now, print_json, table as text_table};
use crate::cli::{GlobalArgs, ImportArgs, PaymentsCommand};
use crate::db::Tx;
use crate::db::payments::{JournalEntry, NewPayment, PayRow, PaymentRow};
use crate::db::sessions::SessionRow;
use crate::io::atomic;
use crate::io::table::{self, Cells, Column, Header, Problems, ReadOptions, Schema};
use crate::io::xlsx::{Book, Cell};
use crate::model::application::Status;
use crate::model::codes::{ZeroPadded, twin_message};
use crate::model::date::parse_datetime;
use crate::model::fee::{self, FeeRule};
use crate::model::level::Level;
use crate::model::money::Fen;
use crate::model::payment::{
    self, Finding, Kind, Order, PayResult, Payable, ReconApp, StatementLine,
};

pub const GATEWAY: Schema = Schema {
    what: "payments (缴费记录)",
    columns: &[
        Column::req("order_no", "支付单号", "order_no").aka(&["订单号", "支付订单号", "交易单号"]),
        Column::req("registration_no", "报名序号", "registration_no").aka(&["报名号"]),
        Column::req("amount", "金额", "amount").aka(&["支付金额", "缴费金额"]),
        Column::opt("paid_at", "支付时间", "paid_at").aka(&["缴费时间", "交易时间"]),
        Column::opt("channel", "支付网关", "channel").aka(&["支付方式", "支付渠道"]),
        Column::req("result", "支付结果", "result").aka(&["支付状态", "订单状态"]),
    ],
};

pub const STATEMENT: Schema = Schema {
    what: "statement (对账单)",
    columns: &[
        Column::req("order_no", "支付单号", "order_no").aka(&[
            "订单号",
            "商户订单号",
            "支付订单号",
        ]),
        Column::req("amount", "金额", "amount").aka(&["交易金额", "入账金额"]),
        Column::opt("paid_at", "交易时间", "paid_at").aka(&["入账时间", "支付时间"]),
    ],
};

pub async fn run(g: &GlobalArgs, cmd: &PaymentsCommand) -> Result<()> {
    match cmd {
        PaymentsCommand::Reconcile {
            gateway,
            statement,
            out,
        } => reconcile(g, gateway, statement.as_deref(), out).await,
        PaymentsCommand::Expire { confirm } => expire(g, confirm).await,
        PaymentsCommand::MarkPaid {
            registration_no,
            order,
            amount,
            paid_at,
            channel,
            reason,
            statement,
            gateway,
            confirm,
        } => match (registration_no, statement) {
            (Some(no), _) => {
                let counter = Counter {
                    registration_no: no.trim().to_string(),
                    order: order.as_deref().map(str::trim).unwrap_or_default(),
                    amount: amount.as_deref().unwrap_or_default(),
                    paid_at: paid_at.as_deref(),
                    channel,
                    reason: reason.as_deref().map(str::trim).unwrap_or_default(),
                };
                mark_paid_counter(g, &counter, confirm).await
            }
            (None, Some(st)) => {
                mark_paid_statement(g, st, gateway.as_deref(), reason.as_deref(), confirm).await
            }
            (None, None) => bail!("name an application (报名序号) or --statement FILE"),
        },
    }
}

// ---------------------------------------------------------------------------------------
// reading the gateway's export and the statement

/// The orders of a gateway export, each with its line.
pub struct GatewayFile {
    pub header: Header,
    pub orders: Vec<(usize, Order)>,
}

pub fn read_gateway(path: &Path, opts: &ReadOptions) -> Result<GatewayFile> {
    let mut problems = Problems::default();
    let mut orders = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let header = table::read(path, opts, GATEWAY, |row| {
        let mut c = Cells::new(row, &mut problems);
        let order_no = c.code("order_no", true);
        let registration_no = c.code("registration_no", true);
        let amount = c.get("amount", true, table::amount);
        let paid_at = c.get("paid_at", false, table::datetime);
        let channel = c.text("channel", false).unwrap_or_default();
        let result = c.get("result", true, |v| {
            let t = table::text(v)?;
            PayResult::parse(&t).ok_or_else(|| {
                format!("expected 成功, 失败 or 处理中 (success, failed, pending), found \"{t}\"")
            })
        });
        if let Some(a) = amount
            && a.0 <= 0
        {
            c.problem(
                "amount",
                format!("expected an amount above zero, found {a}"),
            );
        }
        let line = c.line();
        if let Some(no) = &order_no {
            match seen.get(no) {
                Some(first) => c.problem(
                    "order_no",
                    format!("{no} is also on line {first}: one row per order"),
                ),
                None => {
                    seen.insert(no.clone(), line);
                }
            }
        }
        if let (true, Some(order_no), Some(registration_no), Some(amount), Some(result)) =
            (c.ok(), order_no, registration_no, amount, result)
        {
            orders.push((
                line,
                Order {
                    order_no,
                    registration_no,
                    amount,
                    paid_at,
                    channel,
                    result,
                    applied: false,
                },
            ));
        }
    })
    .map_err(rejected_from)?;
    reject_if_any(&header, problems, Vec::new())?;
    warn_unknown(&header);
    Ok(GatewayFile { header, orders })
}

pub fn read_statement(path: &Path) -> Result<Vec<StatementLine>> {
    let mut problems = Problems::default();
    let mut lines = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let header = table::read(path, &ReadOptions::default(), STATEMENT, |row| {
        let mut c = Cells::new(row, &mut problems);
        let order_no = c.code("order_no", true);
        let amount = c.get("amount", true, table::amount);
        let paid_at = c.get("paid_at", false, table::datetime);
        let line = c.line();
        if let Some(no) = &order_no {
            match seen.get(no) {
                Some(first) => c.problem(
                    "order_no",
                    format!("{no} is also on line {first}: one line per order"),
                ),
                None => {
                    seen.insert(no.clone(), line);
                }
            }
        }
        let place = row.header().at_row(line);
        if let (true, Some(order_no), Some(amount)) = (c.ok(), order_no, amount) {
            lines.push(StatementLine {
                place,
                order_no,
                amount,
                paid_at,
            });
        }
    })
    .map_err(rejected_from)?;
    reject_if_any(&header, problems, Vec::new())?;
    Ok(lines)
}

/// Refuses a statement whose order numbers differ only by leading zeros from orders of the
/// gateway or the store: matched as they are, they would read as money without an order.
fn refuse_statement_twins(
    statement: &Path,
    lines: &[StatementLine],
    orders: &BTreeMap<String, Order>,
) -> Result<()> {
    let padded = ZeroPadded::of(orders.keys().map(String::as_str));
    let problems: Vec<String> = lines
        .iter()
        .filter_map(|l| {
            let twin = padded.twin(&l.order_no, |n| orders.contains_key(n))?;
            Some(format!(
                "{}: 支付单号: {}",
                l.place,
                twin_message(&l.order_no, &twin, "an order")
            ))
        })
        .collect();
    if problems.is_empty() {
        return Ok(());
    }
    Err(Rejected {
        what: statement.display().to_string(),
        problems,
    }
    .into())
}

fn warn_unknown(header: &Header) {
    if !header.unknown.is_empty() {
        eprintln!(
            "warning: {}: ignored columns that {} files do not have: {}",
            header.source.file,
            header.schema.what,
            header.unknown.join(", ")
        );
    }
}

/// A file order that names another application or amount than the stored one: the same
/// order number cannot mean two payments.
fn conflict(stored: &PaymentRow, o: &Order) -> Option<String> {
    (stored.registration_no != o.registration_no || stored.amount_fen != o.amount.0).then(|| {
        format!(
            "order {} is stored for 报名序号 {} with {} (batch {}); this file says {} with {}",
            o.order_no,
            stored.registration_no,
            Fen(stored.amount_fen),
            stored.batch_id,
            o.registration_no,
            o.amount
        )
    })
}

/// What the payments commands read of a session.
struct Books {
    rows: Vec<PayRow>,
    due: Vec<Option<Fen>>,
    by_no: HashMap<String, usize>,
    payments: Vec<PaymentRow>,
}

impl Books {
    async fn load(tx: &mut Tx, session: &SessionRow) -> Result<Books> {
        let rows = tx.pay_rows(session.id).await?;
        let rules = tx.fees(session.id).await?;
        let due = fees_due(&rows, &rules, &session.province);
        let by_no = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.registration_no.clone(), i))
            .collect();
        let payments = tx.payments(session.id).await?;
        Ok(Books {
            rows,
            due,
            by_no,
            payments,
        })
    }

    /// The orders of a gateway file whose order number differs only by leading zeros from
    /// a stored order's, or whose 报名序号 from an application's: each refused with both
    /// named, as the rows of the file.
    fn zero_twins(&self, file: &GatewayFile) -> Vec<(usize, String)> {
        let orders: HashSet<&str> = self.payments.iter().map(|p| p.order_no.as_str()).collect();
        let orders_padded = ZeroPadded::of(orders.iter().copied());
        let numbers_padded = ZeroPadded::of(self.by_no.keys().map(String::as_str));
        let mut out = Vec::new();
        for (line, o) in &file.orders {
            if let Some(t) = orders_padded.twin(&o.order_no, |n| orders.contains(n)) {
                let at = file.header.at(*line, "order_no");
                out.push((
                    *line,
                    format!("{at}: {}", twin_message(&o.order_no, &t, "stored")),
                ));
            }
            let known = |n: &str| self.by_no.contains_key(n);
            if let Some(t) = numbers_padded.twin(&o.registration_no, known) {
                let at = file.header.at(*line, "registration_no");
                let why = twin_message(&o.registration_no, &t, "an application");
                out.push((*line, format!("{at}: {why}")));
            }
        }
        out
    }

    fn payables(&self) -> HashMap<String, Payable> {
        self.rows
            .iter()
            .zip(&self.due)
            .map(|(r, d)| {
                (
                    r.registration_no.clone(),
                    Payable {
                        status: status_of(r),
                        fee_due: *d,
                    },
                )
            })
            .collect()
    }

    fn recon_apps(&self) -> BTreeMap<String, ReconApp> {
        self.rows
            .iter()
            .zip(&self.due)
            .map(|(r, d)| (r.registration_no.clone(), recon_app(r, *d)))
            .collect()
    }

    /// Stored orders, overlaid with a gateway file's (which may be newer); a file order that
    /// contradicts a stored one is refused.
    fn orders_with(&self, file: Option<&GatewayFile>) -> Result<BTreeMap<String, Order>> {
        let mut orders: BTreeMap<String, Order> = self
            .payments
            .iter()
            .map(|p| (p.order_no.clone(), order_of(p)))
            .collect();
        let stored: HashMap<&str, &PaymentRow> = self
            .payments
            .iter()
            .map(|p| (p.order_no.as_str(), p))
            .collect();
        if let Some(f) = file {
            let mut problems: Vec<String> =
                self.zero_twins(f).into_iter().map(|(_, p)| p).collect();
            for (line, o) in &f.orders {
                match stored.get(o.order_no.as_str()) {
                    Some(s) => {
                        if let Some(c) = conflict(s, o) {
                            problems.push(format!("{}: {c}", f.header.at_row(*line)));
                        } else if s.source == "gateway" {
                            let e = orders.get_mut(&o.order_no).expect("stored");
                            e.result = o.result;
                            e.paid_at = o.paid_at.or(e.paid_at);
                            e.channel = o.channel.clone();
                        }
                    }
                    None => {
                        orders.insert(o.order_no.clone(), o.clone());
                    }
                }
            }
            if !problems.is_empty() {
                return Err(Rejected {
                    what: f.header.source.file.clone(),
                    problems,
                }
                .into());
            }
        }
        Ok(orders)
    }
}

/// `order P1 · 50.00 · 支付宝 · 2026-08-21 10:00:00`, as the journal names a payment.
fn describe(o: &Order) -> String {
    let mut s = format!("order {} · {}", o.order_no, o.amount);
    if !o.channel.is_empty() {
        s.push_str(&format!(" · {}", o.channel));
    }
    if let Some(t) = o.paid_at {
        s.push_str(&format!(" · {}", t.format("%Y-%m-%d %H:%M:%S")));
    }
    s
}

// ---------------------------------------------------------------------------------------
// import payments

#[derive(Serialize)]
struct Left {
    order_no: String,
    registration_no: String,
    amount: Fen,
    result: PayResult,
    why: String,
}

#[derive(Serialize)]
struct ImportReport<'a> {
    import: &'static str,
    session: &'a str,
    file: String,
    dry_run: bool,
    batch: Option<i64>,
    rows: usize,
    added: usize,
    changed: usize,
    unchanged: usize,
    /// Applications this import made paid.
    paid: usize,
    /// Payments of this file that did not make an application paid, with why.
    left: Vec<Left>,
}

pub async fn import(g: &GlobalArgs, args: &ImportArgs) -> Result<()> {
    let mut t = crate::progress::Phases::new();
    let file = read_gateway(args.source(), &args.read_options())?;
    t.mark("read");
    let db = connect(g).await?;
    let mut tx = db.begin_write().await?;
    let session = current_session(&mut tx, g).await?;
    tx.lock_session(session.id).await?;
    let books = Books::load(&mut tx, &session).await?;
    t.mark("load");
    let plan = compare_orders(&books, &file)?;
    let (applied, left) = payment::settle(&plan.orders, &plan.candidates, &books.payables());
    t.mark("settle");

    let mut report = ImportReport {
        import: "payments",
        session: &session.code,
        file: args.shown(),
        dry_run: args.change.dry_run,
        batch: None,
        rows: file.orders.len(),
        added: plan.diff.added.len(),
        changed: plan.diff.changed.len(),
        unchanged: plan.diff.unchanged,
        paid: applied.len(),
        left: left
            .iter()
            .map(|(i, why)| Left {
                order_no: plan.orders[*i].order_no.clone(),
                registration_no: plan.orders[*i].registration_no.clone(),
                amount: plan.orders[*i].amount,
                result: plan.orders[*i].result,
                why: why.clone(),
            })
            .collect(),
    };
    let writes = !plan.diff.added.is_empty() || !plan.diff.changed.is_empty();
    if !args.change.dry_run && writes {
        let w = ImportWrite {
            session: &session,
            file: &file,
            books: &books,
            plan: &plan,
            applied: &applied,
        };
        let batch = write_import(&mut tx, g, args, &mut t, &w).await?;
        tx.commit().await?;
        t.mark("commit");
        report.batch = Some(batch);
    } else {
        drop(tx);
    }
    db.close().await;
    print_import(g, args, &file, &report, &plan.diff)
}

/// The orders after comparing a gateway file with the stored ones: every order (the
/// stored ones updated by the file, then the new ones), which of them may make an
/// application paid, which are new and which changed, and the difference as reported.
struct ImportPlan {
    orders: Vec<Order>,
    candidates: Vec<usize>,
    new_orders: Vec<usize>,
    changed_orders: Vec<usize>,
    diff: Diff,
}

/// Compares each order of the file with what is stored, by order number. Refuses the
/// whole file, listing every problem, when an order conflicts with the stored one, when a
/// number differs from a stored one only by leading zeros, or when the gateway takes back
/// a payment that already made an application paid.
fn compare_orders(books: &Books, file: &GatewayFile) -> Result<ImportPlan> {
    let stored: HashMap<&str, usize> = books
        .payments
        .iter()
        .enumerate()
        .map(|(i, p)| (p.order_no.as_str(), i))
        .collect();

    // Compare each order with what is stored.
    let mut orders: Vec<Order> = books.payments.iter().map(order_of).collect();
    let mut candidates = Vec::new();
    let mut new_orders = Vec::new();
    let mut changed_orders = Vec::new();
    let mut problems: Vec<String> = books.zero_twins(file).into_iter().map(|(_, p)| p).collect();
    let mut diff = Diff::default();
    for (line, o) in &file.orders {
        match stored.get(o.order_no.as_str()) {
            None => {
                diff.added.push(o.order_no.clone());
                candidates.push(orders.len());
                new_orders.push(orders.len());
                orders.push(o.clone());
            }
            Some(&i) => {
                let s = &books.payments[i];
                if let Some(c) = conflict(s, o) {
                    problems.push(format!("{}: {c}", file.header.at_row(*line)));
                    continue;
                }
                let before = &orders[i];
                // A payment recorded by hand stays as the office recorded it; the gateway may
                // still call it pending.
                let differs = s.source == "gateway"
                    && (before.result != o.result
                        || before.channel != o.channel
                        || (o.paid_at.is_some() && before.paid_at != o.paid_at));
                if !differs {
                    diff.unchanged += 1;
                    continue;
                }
                if before.applied && o.result != PayResult::Success {
                    problems.push(format!(
                        "{}: order {} made {} paid, and the gateway now says {}: ask the gateway, then record the outcome by hand",
                        file.header.at_row(*line),
                        o.order_no,
                        o.registration_no,
                        o.result.zh()
                    ));
                    continue;
                }
                diff.row(o.order_no.clone(), Some(changed_fields(before, o)));
                let applied = before.applied;
                orders[i] = Order {
                    applied,
                    ..o.clone()
                };
                if !applied {
                    candidates.push(i);
                }
                changed_orders.push(i);
            }
        }
    }
    if !problems.is_empty() {
        return Err(Rejected {
            what: format!("{}: nothing was imported", file.header.source.file),
            problems,
        }
        .into());
    }
    Ok(ImportPlan {
        orders,
        candidates,
        new_orders,
        changed_orders,
        diff,
    })
}

/// What the gateway changed of a stored order, as the import lists it.
fn changed_fields(before: &Order, o: &Order) -> Vec<String> {
    let mut fields = Vec::new();
    if before.result != o.result {
        fields.push(format!(
            "支付结果: {} -> {}",
            before.result.zh(),
            o.result.zh()
        ));
    }
    if before.channel != o.channel {
        fields.push(format!("支付网关: {} -> {}", before.channel, o.channel));
    }
    if o.paid_at.is_some() && before.paid_at != o.paid_at {
        fields.push("支付时间".to_string());
    }
    fields
}

/// What an import of payments writes: the compared orders of the file, and the indexes
/// of the orders that make their application paid.
struct ImportWrite<'a> {
    session: &'a SessionRow,
    file: &'a GatewayFile,
    books: &'a Books,
    plan: &'a ImportPlan,
    applied: &'a [usize],
}

/// Writes an import of payments in a new batch, short of the commit: the new and changed
/// orders, the applications they make paid with a journal row naming each payment, the
/// batch's summary and the record of the import. Returns the batch.
async fn write_import(
    tx: &mut Tx,
    g: &GlobalArgs,
    args: &ImportArgs,
    t: &mut crate::progress::Phases,
    w: &ImportWrite<'_>,
) -> Result<i64> {
    let ImportWrite {
        session,
        file,
        books,
        plan,
        applied,
    } = *w;
    let (orders, diff) = (&plan.orders, &plan.diff);
    let command = crate::db::journal_command(std::env::args_os());
    let batch = tx
        .create_batch(session.id, "payments", &g.operator(), &command, now(), None)
        .await?;
    let new = new_payments(books, plan);
    let new_ids = tx.insert_payments(session.id, batch, &new).await?;
    t.mark("insert");
    let mut id_of: HashMap<usize, i64> = plan.new_orders.iter().copied().zip(new_ids).collect();
    for &i in &plan.changed_orders {
        let o = &orders[i];
        let id = books.payments[i].id;
        tx.update_payment(id, batch, o.result.as_str(), o.paid_at, &o.channel)
            .await?;
        id_of.insert(i, id);
    }
    let reason = format!("payment imported from {}", file.header.source.file);
    let mut moves = Vec::with_capacity(applied.len());
    let mut journal: Vec<JournalEntry> = Vec::with_capacity(applied.len());
    for &i in applied {
        let o = &orders[i];
        let r = &books.rows[books.by_no[&o.registration_no]];
        moves.push((r.id, r.version));
        journal.push((r.id, "payment", None, Some(describe(o)), reason.clone()));
    }
    let (moved, missed) = tx
        .transition(batch, &moves, "approved", "paid", &reason, "")
        .await?;
    if !missed.is_empty() {
        bail!(
            "{} applications changed during the import; nothing was imported, run it again",
            missed.len()
        );
    }
    t.mark("transition");
    tx.journal_many(batch, &journal).await?;
    t.mark("journal");
    let applied_ids: Vec<i64> = applied.iter().map(|i| id_of[i]).collect();
    tx.set_applied(batch, &applied_ids).await?;
    t.mark("applied");
    tx.set_batch_summary(
        batch,
        &format!(
            "import {}: {} orders added, {} changed, {} unchanged; {moved} paid",
            file.header.source.file,
            diff.added.len(),
            diff.changed.len(),
            diff.unchanged
        ),
    )
    .await?;
    record_import(
        tx,
        session.id,
        "payments",
        FileDigest::start(args.source(), args.shown()),
        &g.operator(),
        diff,
    )
    .await?;
    tx.analyze(&["payments", "application_states", "journal"])
        .await?;
    Ok(batch)
}

/// The new orders of an import as payments to insert, each with its application when
/// the session has one of that number.
fn new_payments(books: &Books, plan: &ImportPlan) -> Vec<NewPayment> {
    let app_id = |no: &str| books.by_no.get(no).map(|&i| books.rows[i].id);
    plan.new_orders
        .iter()
        .map(|&i| {
            let o = &plan.orders[i];
            NewPayment {
                order_no: o.order_no.clone(),
                registration_no: o.registration_no.clone(),
                application_id: app_id(&o.registration_no),
                amount_fen: o.amount.0,
                paid_at: o.paid_at,
                channel: o.channel.clone(),
                result: o.result.as_str(),
                source: "gateway",
                evidence: String::new(),
            }
        })
        .collect()
}

/// Prints the report of an import of payments, as JSON or as a summary with the changed
/// orders (on a dry run or with --verbose), the payments that made nothing paid, and the
/// batch.
fn print_import(
    g: &GlobalArgs,
    args: &ImportArgs,
    file: &GatewayFile,
    report: &ImportReport<'_>,
    diff: &Diff,
) -> Result<()> {
    if g.json {
        return print_json(report);
    }
    let from = match &file.header.source.sheet {
        Some(sheet) => format!("{}[{sheet}]", file.header.source.file),
        None => file.header.source.file.clone(),
    };
    let (verb, add, change, pay) = if report.dry_run {
        (
            "dry run, nothing written",
            "would add",
            "would change",
            "would make paid",
        )
    } else {
        ("imported", "added", "changed", "made paid")
    };
    outln!(
        "payments (缴费记录) {from} into {}: {verb}: {} orders: {add} {}, {change} {}, unchanged {}; {pay} {} applications",
        report.session,
        report.rows,
        report.added,
        report.changed,
        report.unchanged,
        report.paid
    )?;
    if report.dry_run || args.verbose {
        for c in &diff.changed {
            outln!("  ~ {}: {}", c.key, c.fields.join("; "))?;
        }
    }
    if !report.left.is_empty() {
        const SHOWN: usize = 30;
        outln!(
            "{} payments of this file did not make an application paid (see kaowu payments reconcile):",
            report.left.len()
        )?;
        for l in report
            .left
            .iter()
            .take(if args.verbose { usize::MAX } else { SHOWN })
        {
            outln!(
                "  {} {} {} {}: {}",
                l.order_no,
                l.registration_no,
                l.amount,
                l.result.zh(),
                l.why
            )?;
        }
        if !args.verbose && report.left.len() > SHOWN {
            outln!(
                "  ... and {} more (--verbose lists all)",
                report.left.len() - SHOWN
            )?;
        }
    }
    if let Some(b) = report.batch {
        outln!("batch {b}")?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// reconcile

/// A finding as the workbook and `--json` show it.
#[derive(Debug, Serialize)]
struct FindingView {
    kind: Kind,
    registration_no: String,
    name: String,
    id_number: String,
    exam_area: String,
    qualification: String,
    status: Option<Status>,
    fee_due: Option<Fen>,
    order_no: String,
    amount: Option<Fen>,
    paid_at: Option<NaiveDateTime>,
    channel: String,
    gateway_result: Option<PayResult>,
    statement_line: Option<String>,
    kept_order: Option<String>,
    note: String,
    /// For the workbook, which staff read.
    #[serde(skip)]
    note_zh: String,
}

fn view(f: &Finding, apps: &BTreeMap<String, ReconApp>) -> FindingView {
    let app = f.registration_no.as_ref().and_then(|n| apps.get(n));
    let m = f.money.as_ref();
    FindingView {
        kind: f.kind,
        registration_no: f.registration_no.clone().unwrap_or_default(),
        name: app.map(|a| a.name.clone()).unwrap_or_default(),
        id_number: app.map(|a| a.id_number.clone()).unwrap_or_default(),
        exam_area: app.map(|a| a.exam_area.clone()).unwrap_or_default(),
        qualification: app.map(|a| a.qualification.clone()).unwrap_or_default(),
        status: app.map(|a| a.status),
        fee_due: app.and_then(|a| a.fee_due),
        order_no: m.map(|m| m.order_no.clone()).unwrap_or_default(),
        amount: m.map(|m| m.amount),
        paid_at: m.and_then(|m| m.paid_at),
        channel: m.map(|m| m.channel.clone()).unwrap_or_default(),
        gateway_result: m.and_then(|m| m.gateway_result),
        statement_line: m.and_then(|m| m.place.clone()),
        kept_order: f.kept_order.clone(),
        note: f.note.clone(),
        note_zh: f.note_zh.clone(),
    }
}

const FINDING_HEADER: [&str; 16] = [
    "序号",
    "报名序号",
    "姓名",
    "证件号码",
    "考区",
    "报考资格",
    "申请状态",
    "应缴金额",
    "支付单号",
    "金额",
    "支付时间",
    "支付网关",
    "支付平台状态",
    "对账单行",
    "保留支付单号",
    "说明",
];
fn write_workbook(
    out: &Path,
    session: &SessionRow,
    sources: &[(&str, String)],
    views: &[FindingView],
) -> Result<()> {
    let mut book = Book::new();
    let batch = format!("{} {}", session.code, session.name);
    let mut s = book.sheet("汇总", &format!("{batch} 缴费对账"))?;
    s.no_filter();
    s.title_line("缴费对账")?;
    s.row(&[Cell::Text("考试批次"), Cell::Text(&batch)])?;
    for (label, file) in sources {
        s.row(&[Cell::Text(label), Cell::Text(file)])?;
    }
    s.gap();
    s.header(&["核对项", "笔数", "金额合计", "说明"])?;
    for kind in Kind::ALL {
        let of: Vec<&FindingView> = views.iter().filter(|v| v.kind == kind).collect();
        let total: i64 = of.iter().filter_map(|v| v.amount).map(|a| a.0).sum();
        s.row(&[
            Cell::Text(kind.zh()),
            Cell::Count(of.len() as i64),
            Cell::Money(Fen(total)),
            Cell::Text(kind.describe_zh()),
        ])?;
    }

    for kind in Kind::ALL {
        let mut s = book.sheet(kind.zh(), &format!("{batch} 缴费对账：{}", kind.zh()))?;
        s.freeze_columns(3);
        s.header(&FINDING_HEADER)?;
        let of = views.iter().filter(|v| v.kind == kind);
        for (i, v) in of.enumerate() {
            let status = v.status.map_or(
                if v.registration_no.is_empty() {
                    ""
                } else {
                    "无此报名"
                },
                |s| s.zh(),
            );
            let money = |m: Option<Fen>| m.map_or(Cell::Empty, Cell::Money);
            s.row(&[
                Cell::Count(i as i64 + 1),
                Cell::Text(&v.registration_no),
                Cell::Text(&v.name),
                Cell::Text(&v.id_number),
                Cell::Text(&v.exam_area),
                Cell::Text(&v.qualification),
                Cell::Text(status),
                money(v.fee_due),
                Cell::Text(&v.order_no),
                money(v.amount),
                v.paid_at.map_or(Cell::Empty, Cell::DateTime),
                Cell::Text(&v.channel),
                Cell::Text(v.gateway_result.map_or("无此订单", PayResult::zh)),
                Cell::Text(v.statement_line.as_deref().unwrap_or("")),
                Cell::Text(v.kept_order.as_deref().unwrap_or("")),
                Cell::Text(&v.note_zh),
            ])?;
        }
    }
    book.save(out)?;
    Ok(())
}

#[derive(Serialize)]
struct ReconReport {
    session: String,
    gateway: String,
    statement: Option<String>,
    gateway_orders: usize,
    statement_lines: Option<usize>,
    workbook: String,
    counts: BTreeMap<Kind, usize>,
    findings: Vec<FindingView>,
}

async fn reconcile(
    g: &GlobalArgs,
    gateway: &Path,
    statement: Option<&Path>,
    out: &Path,
) -> Result<()> {
    let file = read_gateway(gateway, &ReadOptions::default())?;
    let lines = statement.map(read_statement).transpose()?;
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let books = Books::load(&mut tx, &session).await?;
    drop(tx);
    db.close().await;
    let orders = books.orders_with(Some(&file))?;
    if let (Some(path), Some(lines)) = (statement, &lines) {
        refuse_statement_twins(path, lines, &orders)?;
    }
    let apps = books.recon_apps();
    let findings = payment::reconcile(&apps, &orders, lines.as_deref());
    let views: Vec<FindingView> = findings.iter().map(|f| view(f, &apps)).collect();

    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let workbook = out.join("reconcile.xlsx");
    let mut sources = vec![("支付平台订单", gateway.display().to_string())];
    if let Some(s) = statement {
        sources.push(("对账单", s.display().to_string()));
    }
    write_workbook(&workbook, &session, &sources, &views)?;

    let counts: BTreeMap<Kind, usize> = Kind::ALL
        .iter()
        .map(|k| (*k, views.iter().filter(|v| v.kind == *k).count()))
        .collect();
    let missed = counts[&Kind::Missed];
    let report = ReconReport {
        session: session.code.clone(),
        gateway: gateway.display().to_string(),
        statement: statement.map(|s| s.display().to_string()),
        gateway_orders: file.orders.len(),
        statement_lines: lines.as_ref().map(Vec::len),
        workbook: workbook.display().to_string(),
        counts,
        findings: views,
    };
    if g.json {
        return print_json(&report);
    }
    outln!(
        "reconciled session {}: {} gateway orders{}",
        report.session,
        report.gateway_orders,
        report
            .statement_lines
            .map_or(" (no statement)".to_string(), |n| format!(
                ", {n} statement lines"
            ))
    )?;
    let mut t = text_table(&["核对项", "finding", "笔数", "金额"]);
    for kind in Kind::ALL {
        if statement.is_none() && kind == Kind::PaidNotInStatement {
            continue;
        }
        let of = report.findings.iter().filter(|v| v.kind == kind);
        let total: i64 = of.clone().filter_map(|v| v.amount).map(|a| a.0).sum();
        t.add_row(vec![
            kind.zh().to_string(),
            kind.describe().to_string(),
            report.counts[&kind].to_string(),
            Fen(total).to_string(),
        ]);
    }
    outln!("{t}")?;
    for v in report.findings.iter().take(20) {
        outln!(
            "  {} {} {} {}: {}",
            v.kind.zh(),
            if v.registration_no.is_empty() {
                "-"
            } else {
                &v.registration_no
            },
            v.order_no,
            v.amount.map(|a| a.to_string()).unwrap_or_default(),
            v.note
        )?;
    }
    if report.findings.len() > 20 {
        outln!(
            "  ... and {} more in the workbook",
            report.findings.len() - 20
        )?;
    }
    outln!("wrote {}", report.workbook)?;
    if missed > 0 {
        match statement {
            Some(s) => outln!(
                "mark the {missed} 掉单 paid, each with its statement line as evidence:\n  kaowu payments mark-paid --statement {} --gateway {} --yes",
                s.display(),
                gateway.display()
            )?,
            None => outln!(
                "{missed} successful orders are not imported: kaowu import payments {}",
                gateway.display()
            )?,
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// expire

async fn expire(g: &GlobalArgs, confirm: &crate::cli::Confirm) -> Result<()> {
    let what = "payments expire";
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let Some(closes) = session.payment_closes else {
        return Err(Rejected::one(
            what,
            format!(
                "session {} has no payment window: set it with kaowu session set --payment-closes \"2026-09-05 23:59\"",
                session.code
            ),
        )
        .into());
    };
    if now() <= closes {
        return Err(Rejected::one(
            what,
            format!(
                "the payment window of session {} closes at {closes}; nothing expires before then",
                session.code
            ),
        )
        .into());
    }
    let books = Books::load(&mut tx, &session).await?;
    drop(tx);
    let waiting: usize = {
        let mut seen = std::collections::HashSet::new();
        for p in &books.payments {
            if p.result != "failed"
                && p.applied_batch.is_none()
                && let Some(&i) = books.by_no.get(&p.registration_no)
                && status_of(&books.rows[i]) == Status::Approved
            {
                seen.insert(i);
            }
        }
        seen.len()
    };
    let reason = format!(
        "payment window closed at {}",
        closes.format("%Y-%m-%d %H:%M")
    );
    let mut plan = DecisionPlan::default();
    for r in &books.rows {
        if status_of(r) == Status::Approved {
            plan.moves.push(Move {
                id: r.id,
                version: r.version,
                registration_no: r.registration_no.clone(),
                name: r.name.clone(),
                exam_area: r.exam_area.clone(),
                qualification: r.qualification.clone(),
                from: Status::Approved,
                to: Status::Expired,
                reason: reason.clone(),
                forced: false,
            });
        }
    }
    if waiting > 0 {
        eprintln!(
            "warning: {waiting} of these applications have a gateway order that did not make them paid \
             (pending, or a wrong amount); kaowu payments reconcile with the statement first finds any 掉单"
        );
    }
    carry_out(&Ctx::new(g, db, session), "expire", plan, confirm).await
}

// ---------------------------------------------------------------------------------------
// mark-paid

struct Counter<'a> {
    registration_no: String,
    order: &'a str,
    amount: &'a str,
    paid_at: Option<&'a str>,
    channel: &'a str,
    reason: &'a str,
}

/// One application to mark paid, as previewed.
struct Marking {
    id: i64,
    version: i64,
    registration_no: String,
    name: String,
    from: Status,
    order: Order,
    /// A stored order to confirm, else a new payment.
    stored: Option<i64>,
    source: &'static str,
    evidence: String,
}

async fn mark_paid_counter(
    g: &GlobalArgs,
    c: &Counter<'_>,
    confirm: &crate::cli::Confirm,
) -> Result<()> {
    let what = format!("payments mark-paid {}", c.registration_no);
    let paying = check_counter(c, &what)?;

    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let books = Books::load(&mut tx, &session).await?;
    drop(tx);
    let Some(&i) = books.by_no.get(&c.registration_no) else {
        return Err(Rejected::one(
            what,
            format!(
                "no application {} in session {}",
                c.registration_no, session.code
            ),
        )
        .into());
    };
    let marking = plan_counter_marking(&books, i, c, paying, &what)?;
    let reason = format!("marked paid by hand: {}", c.reason);
    carry_out_marking(&Ctx::new(g, db, session), vec![marking], &reason, confirm).await
}

/// A payment at the counter as its flags give it, once checked.
struct CounterPayment {
    amount: Fen,
    order_no: String,
    paid_at: Option<NaiveDateTime>,
}

/// Checks the flags of a payment at the counter: an order number, a reason, an amount
/// and (when given) the time paid [default: now]; every problem is listed.
fn check_counter(c: &Counter<'_>, what: &str) -> Result<CounterPayment> {
    let mut problems = Vec::new();
    if c.order.is_empty() {
        problems.push("--order: the order or receipt number (支付单号) is required".to_string());
    }
    if c.reason.is_empty() {
        problems.push("--reason: say why (e.g. the counter receipt), for the journal".to_string());
    }
    let amount = Fen::parse_yuan(c.amount).filter(|a| a.0 > 0);
    if amount.is_none() {
        problems.push(format!(
            "--amount: expected an amount in yuan like 50.00, found \"{}\"",
            c.amount
        ));
    }
    let paid_at = match c.paid_at {
        Some(t) => {
            let p = parse_datetime(t);
            if p.is_none() {
                problems.push(format!(
                    "--paid-at: expected a date and time like 2026-08-25 10:30, found \"{t}\""
                ));
            }
            p
        }
        None => Some(now()),
    };
    if !problems.is_empty() {
        return Err(Rejected {
            what: what.to_string(),
            problems,
        }
        .into());
    }
    let (amount, order_no) = (
        amount.expect("checked"),
        crate::model::text::fold_ascii(c.order),
    );
    Ok(CounterPayment {
        amount,
        order_no,
        paid_at,
    })
}

/// Plans marking application `i` paid at the counter. Refuses an application that is not
/// approved (or expired), an amount that is not the fee due, and an order number stored
/// for another application or with another amount.
fn plan_counter_marking(
    books: &Books,
    i: usize,
    c: &Counter<'_>,
    paying: CounterPayment,
    what: &str,
) -> Result<Marking> {
    let CounterPayment {
        amount,
        order_no,
        paid_at,
    } = paying;
    let r = &books.rows[i];
    let status = status_of(r);
    check_payable(r, status, books.due[i], amount, what)?;
    let refuse = |p: String| -> Result<Marking> { Err(Rejected::one(what.to_string(), p).into()) };
    let stored = books.payments.iter().find(|p| p.order_no == order_no);
    if let Some(p) = stored
        && p.registration_no != r.registration_no
    {
        return refuse(format!(
            "order {order_no} is stored for {} (batch {}); an order pays one application",
            p.registration_no, p.batch_id
        ));
    }
    if let Some(p) = stored
        && p.amount_fen != amount.0
    {
        return refuse(format!(
            "order {order_no} is stored with {}, not {amount}",
            Fen(p.amount_fen)
        ));
    }
    Ok(Marking {
        id: r.id,
        version: r.version,
        registration_no: r.registration_no.clone(),
        name: r.name.clone(),
        from: status,
        order: Order {
            order_no,
            registration_no: r.registration_no.clone(),
            amount,
            paid_at,
            channel: c.channel.trim().to_string(),
            result: PayResult::Success,
            applied: true,
        },
        stored: stored.map(|p| p.id),
        source: "counter",
        evidence: c.reason.to_string(),
    })
}

/// Refuses to mark paid an application that is not approved (or expired), or whose fee
/// due is unknown or not `amount`.
fn check_payable(
    r: &PayRow,
    status: Status,
    due: Option<Fen>,
    amount: Fen,
    what: &str,
) -> Result<()> {
    let refuse = |p: String| -> Result<()> { Err(Rejected::one(what.to_string(), p).into()) };
    match status {
        Status::Approved | Status::Expired => {}
        Status::Paid | Status::Seated => {
            return refuse(format!(
                "{} is already paid by order {}; a second payment goes to the refund list",
                r.registration_no,
                r.paid_by.as_deref().unwrap_or("(not recorded)")
            ));
        }
        other => {
            return refuse(format!(
                "{} is {other} ({}); only an approved (or expired) application can be paid",
                r.registration_no,
                other.zh()
            ));
        }
    }
    match due {
        None => {
            return refuse(format!(
                "{} has no fee due: a subject of it has no fee row on its approval day; see kaowu applications show {}",
                r.registration_no, r.registration_no
            ));
        }
        Some(due) if due != amount => {
            return refuse(format!(
                "--amount {amount} is not the fee due {due}; see kaowu applications show {}",
                r.registration_no
            ));
        }
        Some(_) => {}
    }
    Ok(())
}

async fn mark_paid_statement(
    g: &GlobalArgs,
    statement: &Path,
    gateway: Option<&Path>,
    reason: Option<&str>,
    confirm: &crate::cli::Confirm,
) -> Result<()> {
    let lines = read_statement(statement)?;
    let file = gateway
        .map(|p| read_gateway(p, &ReadOptions::default()))
        .transpose()?;
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let books = Books::load(&mut tx, &session).await?;
    drop(tx);
    let orders = books.orders_with(file.as_ref())?;
    refuse_statement_twins(statement, &lines, &orders)?;
    let apps = books.recon_apps();
    let stored: HashMap<&str, i64> = books
        .payments
        .iter()
        .map(|p| (p.order_no.as_str(), p.id))
        .collect();
    let mut markings = Vec::new();
    for f in payment::reconcile(&apps, &orders, Some(&lines)) {
        let (Kind::Missed, Some(m), Some(no)) = (f.kind, &f.money, &f.registration_no) else {
            continue;
        };
        let r = &books.rows[books.by_no[no]];
        let o = &orders[&m.order_no];
        markings.push(Marking {
            id: r.id,
            version: r.version,
            registration_no: no.clone(),
            name: r.name.clone(),
            from: status_of(r),
            order: Order {
                amount: m.amount,
                paid_at: m.paid_at,
                result: PayResult::Success,
                applied: true,
                ..o.clone()
            },
            stored: stored.get(m.order_no.as_str()).copied(),
            source: "statement",
            evidence: format!(
                "statement line {} (the gateway said {})",
                m.place.as_deref().unwrap_or_default(),
                m.gateway_result.map_or("nothing", PayResult::zh)
            ),
        });
    }
    let mut why = format!("掉单: paid in statement {}", statement.display());
    if let Some(r) = reason.map(str::trim).filter(|r| !r.is_empty()) {
        why.push_str(&format!("; {r}"));
    }
    carry_out_marking(&Ctx::new(g, db, session), markings, &why, confirm).await
}

#[derive(Serialize)]
struct MarkReport {
    session: String,
    dry_run: bool,
    batch: Option<i64>,
    to_change: usize,
    changed: usize,
    applications: Vec<MarkedView>,
}

#[derive(Serialize)]
struct MarkedView {
    registration_no: String,
    name: String,
    from: Status,
    order_no: String,
    amount: Fen,
    evidence: String,
}

/// Previews, asks, and marks the applications paid in one batch.
async fn carry_out_marking(
    cx: &Ctx,
    markings: Vec<Marking>,
    reason: &str,
    confirm: &crate::cli::Confirm,
) -> Result<()> {
    let report = MarkReport {
        session: cx.session.code.clone(),
        dry_run: confirm.dry_run,
        batch: None,
        to_change: markings.len(),
        changed: 0,
        applications: markings
            .iter()
            .map(|m| MarkedView {
                registration_no: m.registration_no.clone(),
                name: m.name.clone(),
                from: m.from,
                order_no: m.order.order_no.clone(),
                amount: m.order.amount,
                evidence: m.evidence.clone(),
            })
            .collect(),
    };
    let mut change = MarkPaid {
        session_id: cx.session.id,
        markings,
        reason: reason.to_string(),
        report,
    };
    apply(cx, &mut change, confirm).await
}

/// Marking applications paid: a stored order confirmed or a new payment recorded for each,
/// and each application moved to paid from the version shown.
struct MarkPaid {
    session_id: i64,
    markings: Vec<Marking>,
    reason: String,
    report: MarkReport,
}

impl Change for MarkPaid {
    type Report = MarkReport;

    fn kind(&self) -> String {
        "mark-paid".to_string()
    }

    fn size(&self) -> usize {
        self.markings.len()
    }

    fn preview(&self, dry_run: bool) -> String {
        if self.markings.is_empty() {
            return String::new();
        }
        let mut text = format!(
            "mark-paid: {} applications {} paid\n",
            self.markings.len(),
            if dry_run {
                "would be marked (dry run)"
            } else {
                "will be marked"
            }
        );
        for m in &self.report.applications {
            text.push_str(&format!(
                "  {} {} {} -> paid: order {} {} ({})\n",
                m.registration_no, m.name, m.from, m.order_no, m.amount, m.evidence
            ));
        }
        text
    }

    fn nothing(&self) -> String {
        "nothing to mark paid".to_string()
    }

    fn question(&self) -> String {
        format!("mark {} applications paid?", self.markings.len())
    }

    async fn write(&mut self, tx: &mut Tx, batch: i64) -> Result<Written> {
        let reason = self.reason.as_str();
        let mut new = Vec::new();
        let mut applied_ids = Vec::new();
        for m in &self.markings {
            match m.stored {
                Some(id) => {
                    tx.confirm_payment(id, batch, &m.evidence).await?;
                    applied_ids.push(id);
                }
                None => new.push(NewPayment {
                    order_no: m.order.order_no.clone(),
                    registration_no: m.registration_no.clone(),
                    application_id: Some(m.id),
                    amount_fen: m.order.amount.0,
                    paid_at: m.order.paid_at,
                    channel: m.order.channel.clone(),
                    result: "success",
                    source: m.source,
                    evidence: m.evidence.clone(),
                }),
            }
        }
        applied_ids.extend(tx.insert_payments(self.session_id, batch, &new).await?);
        tx.set_applied(batch, &applied_ids).await?;
        let mut changed = 0;
        for from in [Status::Approved, Status::Expired] {
            let list: Vec<(i64, i64)> = self
                .markings
                .iter()
                .filter(|m| m.from == from)
                .map(|m| (m.id, m.version))
                .collect();
            let (n, missed) = tx
                .transition(batch, &list, from.as_str(), "paid", reason, "")
                .await?;
            if !missed.is_empty() {
                bail!(
                    "{} applications changed since they were shown; nothing was changed, look again",
                    missed.len()
                );
            }
            changed += n;
        }
        let journal: Vec<JournalEntry> = self
            .markings
            .iter()
            .map(|m| {
                (
                    m.id,
                    "payment",
                    None,
                    Some(format!("{} · {}", describe(&m.order), m.evidence)),
                    reason.to_string(),
                )
            })
            .collect();
        tx.journal_many(batch, &journal).await?;
        self.report.changed = changed;
        Ok(Written {
            summary: format!("mark-paid: {changed} marked paid ({reason})"),
            changed,
            analyze: vec![(changed, &["application_states"])],
        })
    }

    fn report(&mut self, dry_run: bool, batch: Option<i64>) -> &MarkReport {
        self.report.dry_run = dry_run;
        self.report.batch = batch;
        &self.report
    }

    fn done(&self, batch: i64, written: &Written) -> String {
        format!(
            "batch {batch}: {} applications marked paid",
            written.changed
        )
    }
}

// ---------------------------------------------------------------------------------------
// samples: a gateway export and a statement with planted discrepancies

#[derive(Debug, Default, Serialize)]
struct Planted {
    /// 掉单: the gateway says 处理中 or 失败, the statement has the money.
    missed: Vec<String>,
    /// The second order of each application that paid twice: the refund list.
    duplicates: Vec<String>,
    /// Applications that paid a wrong amount.
    amount_mismatch: Vec<String>,
    /// Orders for applications that are not approved, or unknown.
    not_approved: Vec<String>,
    /// Approved applications that did not pay at all.
    unpaid: usize,
}

#[derive(Serialize)]
struct SamplesReport {
    session: String,
    gateway: String,
    statement: String,
    orders: usize,
    statement_lines: usize,
    planted: Planted,
}

pub async fn samples(g: &GlobalArgs, out: &Path, seed: u64) -> Result<()> {
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let books = Books::load(&mut tx, &session).await?;
    let rules = tx.fees(session.id).await?;
    drop(tx);
    db.close().await;

    let SampleOrders {
        gateway,
        statement,
        planted,
    } = sample_orders(&books, &rules, &session, seed)?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let gateway_path = write_sample_gateway(out, &gateway)?;
    let statement_path = write_sample_statement(out, &session, &statement)?;

    let report = SamplesReport {
        session: session.code.clone(),
        gateway: gateway_path.display().to_string(),
        statement: statement_path.display().to_string(),
        orders: gateway.len(),
        statement_lines: statement.len(),
        planted,
    };
    print_samples(g, &report)
}

/// The sample orders: the gateway's export, the statement's lines (each with its delay
/// after the payment, in seconds), and the discrepancies planted in them.
#[derive(Default)]
struct SampleOrders {
    gateway: Vec<Order>,
    statement: Vec<(Order, i64)>,
    planted: Planted,
}

/// Makes sample orders: numbered in turn, paid at a random time of the payment window
/// (a retry some minutes after the try before), through a random channel.
struct Payer {
    seq: u32,
    opens: NaiveDateTime,
    span: i64,
    rng: fastrand::Rng,
}

impl Payer {
    /// A new order of `amount` for application `no`. `after`: a second try comes some
    /// minutes after the first, as a candidate would retry.
    fn pay(&mut self, no: &str, amount: Fen, result: PayResult, after: Option<&Order>) -> Order {
        let channels = ["非税支付", "支付宝", "微信支付"];
        self.seq += 1;
        let at = match after.and_then(|o| o.paid_at) {
            Some(t) => t + chrono::Duration::minutes(self.rng.i64(3..600)),
            None => self.opens + chrono::Duration::minutes(self.rng.i64(0..self.span)),
        };
        Order {
            order_no: format!("ZF{}{:06}", at.format("%Y%m%d"), self.seq),
            registration_no: no.to_string(),
            amount,
            paid_at: Some(at),
            channel: channels[self.rng.usize(0..channels.len())].to_string(),
            result,
            applied: false,
        }
    }
}

/// Makes the orders of the samples from the session's approved unpaid applications (at
/// least 8), shuffled by `seed`, with the discrepancies planted; sorted by time paid.
fn sample_orders(
    books: &Books,
    rules: &[FeeRule],
    session: &SessionRow,
    seed: u64,
) -> Result<SampleOrders> {
    let approved: Vec<usize> = (0..books.rows.len())
        .filter(|&i| {
            status_of(&books.rows[i]) == Status::Approved
                && books.due[i].is_some()
                && books.rows[i].paid_by.is_none()
        })
        .collect();
    if approved.len() < 8 {
        bail!(
            "session {} has {} approved unpaid applications; sample payments need at least 8 (kaowu review approve first)",
            session.code,
            approved.len()
        );
    }
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut order = approved.clone();
    rng.shuffle(&mut order);
    let opens = session
        .payment_opens
        .unwrap_or_else(|| now() - chrono::Duration::days(10));
    let span = session
        .payment_closes
        .map_or(10 * 24 * 60, |c| (c - opens).num_minutes().max(60));
    let mut payer = Payer {
        seq: 0,
        opens,
        span,
        rng,
    };
    let mut s = SampleOrders::default();
    let unpaid = (approved.len() / 10).max(1);
    plant_by_application(books, &order, unpaid, &mut payer, &mut s);
    plant_not_approved(books, rules, session, &mut payer, &mut s);
    s.gateway
        .sort_by(|a, b| (a.paid_at, &a.order_no).cmp(&(b.paid_at, &b.order_no)));
    s.statement
        .sort_by(|a, b| (a.0.paid_at, &a.0.order_no).cmp(&(b.0.paid_at, &b.0.order_no)));
    Ok(s)
}

/// Pays for the shuffled applications in `order`: the first two are 掉单, the next two
/// pay twice, one pays half, one fails before it pays, `unpaid` do not pay, and the rest
/// pay as they should.
fn plant_by_application(
    books: &Books,
    order: &[usize],
    unpaid: usize,
    payer: &mut Payer,
    s: &mut SampleOrders,
) {
    let SampleOrders {
        gateway,
        statement,
        planted,
    } = s;
    for (k, &i) in order.iter().enumerate() {
        let r = &books.rows[i];
        let due = books.due[i].expect("filtered");
        let no = r.registration_no.as_str();
        match k {
            0 | 1 => {
                let o = payer.pay(
                    no,
                    due,
                    if k == 0 {
                        PayResult::Pending
                    } else {
                        PayResult::Failed
                    },
                    None,
                );
                statement.push((o.clone(), payer.rng.i64(5..90)));
                gateway.push(o);
                planted.missed.push(no.to_string());
            }
            2 | 3 => {
                let first = payer.pay(no, due, PayResult::Success, None);
                let second = payer.pay(no, due, PayResult::Success, Some(&first));
                statement.push((first.clone(), payer.rng.i64(5..90)));
                statement.push((second.clone(), payer.rng.i64(5..90)));
                planted.duplicates.push(second.order_no.clone());
                gateway.extend([first, second]);
            }
            4 => {
                let o = payer.pay(no, Fen(due.0 / 2), PayResult::Success, None);
                statement.push((o.clone(), payer.rng.i64(5..90)));
                gateway.push(o);
                planted.amount_mismatch.push(no.to_string());
            }
            5 => {
                // A failed try, then a successful one: no discrepancy.
                let failed = payer.pay(no, due, PayResult::Failed, None);
                let ok = payer.pay(no, due, PayResult::Success, Some(&failed));
                statement.push((ok.clone(), payer.rng.i64(5..90)));
                gateway.extend([failed, ok]);
            }
            k if k < 6 + unpaid => planted.unpaid += 1,
            _ => {
                let o = payer.pay(no, due, PayResult::Success, None);
                statement.push((o.clone(), payer.rng.i64(5..90)));
                gateway.push(o);
            }
        }
    }
}

/// A payment for a rejected application, at what its fee would be, and one for a number
/// that no application has.
fn plant_not_approved(
    books: &Books,
    rules: &[FeeRule],
    session: &SessionRow,
    payer: &mut Payer,
    s: &mut SampleOrders,
) {
    let opens = payer.opens;
    if let Some(r) = books.rows.iter().find(|r| status_of(r) == Status::Rejected) {
        let amount = Level::parse(&r.level)
            .and_then(|level| {
                fee::due(
                    rules,
                    &session.province,
                    &r.exam_area,
                    level,
                    &r.qualification,
                    &r.subjects,
                    opens.date(),
                )
                .ok()
            })
            .map_or(Fen(10000), |(t, _)| t);
        let o = payer.pay(&r.registration_no, amount, PayResult::Success, None);
        s.statement.push((o.clone(), payer.rng.i64(5..90)));
        s.planted.not_approved.push(o.order_no.clone());
        s.gateway.push(o);
    }
    let unknown = {
        let first = books.rows.first().map_or("2026", |r| {
            &r.registration_no[..4.min(r.registration_no.len())]
        });
        format!("{first}9999999")
    };
    let o = payer.pay(&unknown, Fen(10000), PayResult::Success, None);
    s.statement.push((o.clone(), payer.rng.i64(5..90)));
    s.planted.not_approved.push(o.order_no.clone());
    s.gateway.push(o);
}

/// Writes the gateway's export of the sample orders to `out`/payments.csv: GBK CSV, as
/// Excel on Chinese Windows saves it. Returns its path.
fn write_sample_gateway(out: &Path, gateway: &[Order]) -> Result<PathBuf> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    w.write_record([
        "支付单号",
        "报名序号",
        "金额",
        "支付时间",
        "支付网关",
        "支付结果",
    ])?;
    for o in gateway {
        w.write_record([
            o.order_no.clone(),
            o.registration_no.clone(),
            o.amount.to_string(),
            o.paid_at
                .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                .unwrap_or_default(),
            o.channel.clone(),
            o.result.zh().to_string(),
        ])?;
    }
    let text = String::from_utf8(w.into_inner()?)?;
    let gateway_path = out.join("payments.csv");
    atomic::write(&gateway_path, &encoding_rs::GB18030.encode(&text).0)?;
    Ok(gateway_path)
}

/// Writes the bank's statement of the sample orders to `out`/statement.xlsx: a title
/// row, the bank's own columns, money as numbers. Returns its path.
fn write_sample_statement(
    out: &Path,
    session: &SessionRow,
    statement: &[(Order, i64)],
) -> Result<PathBuf> {
    let title = format!("{}省非税收入汇缴结算户 交易明细对账单", session.province);
    let mut book = Book::new();
    let mut sheet = book.sheet("对账单", &title)?;
    sheet.title_line(&title)?;
    sheet.header(&[
        "交易流水号",
        "交易时间",
        "支付单号",
        "交易金额",
        "摘要",
        "对方户名",
    ])?;
    for (i, (o, delay)) in statement.iter().enumerate() {
        let at = o.paid_at.map(|t| t + chrono::Duration::seconds(*delay));
        let serial = format!("LS{:010}", 7_300_000 + i);
        sheet.row(&[
            Cell::Text(&serial),
            at.map_or(Cell::Empty, Cell::DateTime),
            Cell::Text(&o.order_no),
            Cell::Money(o.amount),
            Cell::Text("软考报名费"),
            Cell::Text(&o.channel),
        ])?;
    }
    let statement_path = out.join("statement.xlsx");
    book.save(&statement_path)?;
    Ok(statement_path)
}

/// Prints what the samples wrote and what was planted in them.
fn print_samples(g: &GlobalArgs, report: &SamplesReport) -> Result<()> {
    if g.json {
        return print_json(report);
    }
    outln!(
        "wrote {} ({} orders) and {} ({} lines)",
        report.gateway,
        report.orders,
        report.statement,
        report.statement_lines
    )?;
    let p = &report.planted;
    outln!(
        "  掉单 (gateway pending or failed, in the statement): {}",
        p.missed.join(", ")
    )?;
    outln!(
        "  duplicate orders (to refund): {}",
        p.duplicates.join(", ")
    )?;
    outln!("  wrong amount: {}", p.amount_mismatch.join(", "))?;
    outln!(
        "  not approved or unknown (orders): {}",
        p.not_approved.join(", ")
    )?;
    outln!("  approved but unpaid: {}", p.unpaid)?;
    Ok(())
}
