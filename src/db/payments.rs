//! Payments (缴费): gateway orders and hand-recorded payments, what payments need to know of
//! each application (its approval date, the order that paid it), and journal rows written in
//! bulk.
//!
//! Lists travel as one JSON parameter, as in review: json_each on SQLite,
//! json_array_elements on PostgreSQL.

use chrono::{NaiveDate, NaiveDateTime};
use serde::Deserialize;

use super::{Result, Tx, with_conn};

/// What payments need of an application, in [`Tx::bulk_rows`]' column order.
#[derive(Debug, Clone, Deserialize)]
pub struct PayRow {
    pub id: i64,
    pub registration_no: String,
    pub name: String,
    pub id_number: String,
    pub exam_area: String,
    pub qualification: String,
    pub level: String,
    pub subjects: String,
    pub status: String,
    pub version: i64,
    /// The day of its last approval (submitted -> approved), `YYYY-MM-DD`.
    pub approved_on: Option<String>,
    /// The order that made it paid.
    pub paid_by: Option<String>,
    /// The batch (a withdrawal with --refund) that put its payment on the refund list.
    pub refund_batch: Option<i64>,
}

impl PayRow {
    pub fn approved_on(&self) -> Option<NaiveDate> {
        self.approved_on
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    }
}

/// A stored payment, in [`Tx::bulk_rows`]' column order.
#[derive(Debug, Clone, Deserialize)]
pub struct PaymentRow {
    pub id: i64,
    pub order_no: String,
    pub registration_no: String,
    pub application_id: Option<i64>,
    pub amount_fen: i64,
    /// `YYYY-MM-DD HH:MM:SS`, as both backends print a timestamp.
    pub paid_at: Option<String>,
    pub channel: String,
    pub result: String,
    pub source: String,
    pub evidence: String,
    pub batch_id: i64,
    pub applied_batch: Option<i64>,
}

impl PaymentRow {
    pub fn paid_at(&self) -> Option<NaiveDateTime> {
        self.paid_at.as_deref().and_then(parse_timestamp)
    }
}

fn parse_timestamp(s: &str) -> Option<NaiveDateTime> {
    let s = s.replace('T', " ");
    NaiveDateTime::parse_from_str(&s, "%Y-%m-%d %H:%M:%S%.f").ok()
}

/// A payment to store.
#[derive(Debug, Clone)]
pub struct NewPayment {
    pub order_no: String,
    pub registration_no: String,
    pub application_id: Option<i64>,
    pub amount_fen: i64,
    pub paid_at: Option<NaiveDateTime>,
    pub channel: String,
    /// success, failed or pending.
    pub result: &'static str,
    /// gateway, counter or statement.
    pub source: &'static str,
    pub evidence: String,
}

/// A journal row to write: application, field, old value, new value, reason.
pub type JournalEntry = (i64, &'static str, Option<String>, Option<String>, String);

/// A journal row whose field is named at run time (`attendance:综合知识`), borrowing its values.
pub type JournalLine<'a> = (i64, String, Option<&'a str>, Option<&'a str>, &'a str);

fn timestamp_text(t: Option<NaiveDateTime>) -> Option<String> {
    t.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
}

const CHUNK: usize = 10_000;

pub(super) const PAY_COLUMNS: [&str; 13] = [
    "a.id",
    "a.registration_no",
    "a.name",
    "a.id_number",
    "a.exam_area",
    "q.name",
    "q.level",
    "a.subjects",
    "s.status",
    "s.version",
    "ap.approved_on",
    "(SELECT MAX(p.order_no) FROM payments p WHERE p.application_id = a.id \
     AND p.applied_batch IS NOT NULL)",
    "(SELECT MAX(p.refund_batch) FROM payments p WHERE p.application_id = a.id)",
];

/// The columns of [`PaymentRow`], in its order.
pub(super) const PAYMENT_COLUMNS: [&str; 12] = [
    "p.id",
    "p.order_no",
    "p.registration_no",
    "p.application_id",
    "p.amount_fen",
    "CAST(p.paid_at AS TEXT)",
    "p.channel",
    "p.result",
    "p.source",
    "p.evidence",
    "p.batch_id",
    "p.applied_batch",
];

/// `FROM` the applications with what [`PAY_COLUMNS`] read, their approval day from the
/// journal rows that `approvals` keeps (`FROM journal j JOIN batches b ... WHERE ...`, see
/// [`APPROVALS_OF_SESSION`]). An approval is the move from submitted; an undone expiry returns
/// to approved without approving again, so it does not change the day the fee was fixed.
///
/// The days are grouped from the journal as one set: its index by application holds only
/// the moves to submitted (migration 0010), and one pass over a session's approvals is
/// cheaper than a lookup per application was.
pub(super) fn pay_from(approvals: &str) -> String {
    format!(
        "FROM applications a JOIN qualifications q ON q.id = a.qualification_id \
         JOIN application_states s ON s.application_id = a.id \
         LEFT JOIN (SELECT j.application_id AS id, substr(CAST(MAX(b.created_at) AS TEXT), 1, 10) \
         AS approved_on {approvals} AND {APPROVAL} GROUP BY j.application_id) AS ap ON ap.id = a.id"
    )
}

/// A journal row `j` that approved its application.
pub(super) const APPROVAL: &str =
    "j.field = 'status' AND j.old_value = 'submitted' AND j.new_value = 'approved'";

/// The journal rows of the batches of the session bound as `$1`, for [`pay_from`]: batches
/// first, then their rows by index (CROSS JOIN keeps SQLite in that order).
pub(super) const APPROVALS_OF_SESSION: &str =
    "FROM batches b CROSS JOIN journal j WHERE j.batch_id = b.id AND b.session_id = $1";

/// The journal rows of `applications` (a list or a subquery of ids), for [`pay_from`]
/// when they are few: one pass over the journal.
pub(super) fn approvals_of(applications: &str) -> String {
    format!(
        "FROM journal j JOIN batches b ON b.id = j.batch_id WHERE j.application_id IN ({applications})"
    )
}

impl Tx {
    /// Every application of the session with what payments need of it.
    pub async fn pay_rows(&mut self, session_id: i64) -> Result<Vec<PayRow>> {
        let mut rows: Vec<PayRow> = self
            .bulk_rows(
                &PAY_COLUMNS,
                &format!("{} WHERE a.session_id = $1", pay_from(APPROVALS_OF_SESSION)),
                session_id,
            )
            .await?;
        rows.sort_unstable_by(|a, b| a.registration_no.cmp(&b.registration_no));
        Ok(rows)
    }

    /// One application by 报名序号, with what payments need of it.
    pub async fn pay_row(
        &mut self,
        session_id: i64,
        registration_no: &str,
    ) -> Result<Option<PayRow>> {
        let id: Option<i64> = with_conn!(self, |c| {
            sqlx::query_scalar(
                "SELECT id FROM applications WHERE session_id = $1 AND registration_no = $2",
            )
            .bind(session_id)
            .bind(registration_no)
            .fetch_optional(&mut *c)
            .await?
        });
        let Some(id) = id else { return Ok(None) };
        let rows: Vec<PayRow> = self
            .bulk_rows(
                &PAY_COLUMNS,
                &format!("{} WHERE a.id = $1", pay_from(&approvals_of("$1"))),
                id,
            )
            .await?;
        Ok(rows.into_iter().next())
    }

    /// The reason a candidate reads with the application's state.
    pub async fn status_reason(&mut self, application_id: i64) -> Result<String> {
        Ok(with_conn!(self, |c| {
            sqlx::query_scalar(
                "SELECT status_reason FROM application_states WHERE application_id = $1",
            )
            .bind(application_id)
            .fetch_one(&mut *c)
            .await?
        }))
    }

    /// Every payment of the session, by order number.
    pub async fn payments(&mut self, session_id: i64) -> Result<Vec<PaymentRow>> {
        let mut rows: Vec<PaymentRow> = self
            .bulk_rows(
                &PAYMENT_COLUMNS,
                "FROM payments p WHERE p.session_id = $1",
                session_id,
            )
            .await?;
        rows.sort_unstable_by(|a, b| a.order_no.cmp(&b.order_no));
        Ok(rows)
    }

    /// The payments of one application, oldest first.
    pub async fn payments_of(&mut self, application_id: i64) -> Result<Vec<PaymentRow>> {
        let mut rows: Vec<PaymentRow> = self
            .bulk_rows(
                &PAYMENT_COLUMNS,
                "FROM payments p WHERE p.application_id = $1",
                application_id,
            )
            .await?;
        rows.sort_by(|a, b| (&a.paid_at, a.id).cmp(&(&b.paid_at, b.id)));
        Ok(rows)
    }

    /// Stores new payments; returns their ids in the order given.
    pub async fn insert_payments(
        &mut self,
        session_id: i64,
        batch: i64,
        rows: &[NewPayment],
    ) -> Result<Vec<i64>> {
        let mut ids = Vec::with_capacity(rows.len());
        for chunk in rows.chunks(CHUNK) {
            let json = serde_json::to_string(
                &chunk
                    .iter()
                    .map(|p| {
                        (
                            &p.order_no,
                            &p.registration_no,
                            p.application_id,
                            p.amount_fen,
                            timestamp_text(p.paid_at),
                            &p.channel,
                            p.result,
                            p.source,
                            &p.evidence,
                        )
                    })
                    .collect::<Vec<_>>(),
            )
            .expect("plain values serialise");
            let sql = match self {
                Tx::Sqlite(_) => {
                    "INSERT INTO payments (session_id, batch_id, order_no, registration_no, application_id, amount_fen, \
                     paid_at, channel, result, source, evidence) \
                     SELECT $1, $2, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, \
                     value ->> 6, value ->> 7, value ->> 8 FROM json_each($3) ORDER BY key RETURNING id"
                }
                Tx::Postgres(_) => {
                    "INSERT INTO payments (session_id, batch_id, order_no, registration_no, application_id, amount_fen, \
                     paid_at, channel, result, source, evidence) \
                     SELECT $1, $2, v ->> 0, v ->> 1, (v ->> 2)::BIGINT, (v ->> 3)::BIGINT, (v ->> 4)::TIMESTAMP, \
                     v ->> 5, v ->> 6, v ->> 7, v ->> 8 FROM json_array_elements($3::json) WITH ORDINALITY AS e(v, n) \
                     ORDER BY n RETURNING id"
                }
            };
            let mut got: Vec<i64> = with_conn!(self, |c| {
                sqlx::query_scalar(sql)
                    .bind(session_id)
                    .bind(batch)
                    .bind(&json)
                    .fetch_all(&mut *c)
                    .await?
            });
            // RETURNING follows insertion order on both backends, and ids rise with it.
            got.sort_unstable();
            ids.extend(got);
        }
        Ok(ids)
    }

    /// Records what the gateway now says of a stored order (a pending one that succeeded or
    /// failed, a time it filled in).
    pub async fn update_payment(
        &mut self,
        id: i64,
        batch: i64,
        result: &str,
        paid_at: Option<NaiveDateTime>,
        channel: &str,
    ) -> Result<()> {
        with_conn!(self, |c| {
            sqlx::query(
                "UPDATE payments SET result = $2, paid_at = $3, channel = $4, batch_id = $5 WHERE id = $1",
            )
            .bind(id)
            .bind(result)
            .bind(paid_at)
            .bind(channel)
            .bind(batch)
            .execute(&mut *c)
            .await?;
        });
        Ok(())
    }

    /// Marks a stored order as received after all (a 掉单 that the statement shows), with the
    /// evidence. From then on the statement, not the gateway, is its source: a later gateway
    /// export that still says pending does not undo it.
    pub async fn confirm_payment(&mut self, id: i64, batch: i64, evidence: &str) -> Result<()> {
        with_conn!(self, |c| {
            sqlx::query(
                "UPDATE payments SET result = 'success', source = 'statement', evidence = $2, batch_id = $3 WHERE id = $1",
            )
            .bind(id)
            .bind(evidence)
            .bind(batch)
            .execute(&mut *c)
            .await?;
        });
        Ok(())
    }

    /// Records that these payments made their applications paid in `batch`.
    pub async fn set_applied(&mut self, batch: i64, ids: &[i64]) -> Result<()> {
        for chunk in ids.chunks(CHUNK) {
            let json = serde_json::to_string(chunk).expect("numbers serialise");
            match self {
                Tx::Sqlite(t) => {
                    sqlx::query(
                        "UPDATE payments SET applied_batch = $1 WHERE id IN (SELECT value FROM json_each($2))",
                    )
                    .bind(batch)
                    .bind(&json)
                    .execute(&mut **t)
                    .await?;
                }
                Tx::Postgres(t) => {
                    sqlx::query("UPDATE payments SET applied_batch = $1 WHERE id = ANY($2)")
                        .bind(batch)
                        .bind(chunk)
                        .execute(&mut **t)
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// Writes journal rows of `batch` in bulk: each (application id, field, old, new, reason),
    /// [`JournalEntry`] or the same with a field named at run time.
    pub async fn journal_many<R: serde::Serialize>(
        &mut self,
        batch: i64,
        rows: &[R],
    ) -> Result<()> {
        for chunk in rows.chunks(CHUNK) {
            let json = serde_json::to_string(chunk).expect("plain values serialise");
            let sql = match self {
                Tx::Sqlite(_) => {
                    "INSERT INTO journal (batch_id, application_id, field, old_value, new_value, reason) \
                     SELECT $1, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4 \
                     FROM json_each($2) ORDER BY key"
                }
                Tx::Postgres(_) => {
                    "INSERT INTO journal (batch_id, application_id, field, old_value, new_value, reason) \
                     SELECT $1, (v ->> 0)::BIGINT, v ->> 1, v ->> 2, v ->> 3, v ->> 4 \
                     FROM json_array_elements($2::json) WITH ORDINALITY AS e(v, n) ORDER BY n"
                }
            };
            with_conn!(self, |c| {
                sqlx::query(sql)
                    .bind(batch)
                    .bind(&json)
                    .execute(&mut *c)
                    .await?;
            });
        }
        Ok(())
    }
}
