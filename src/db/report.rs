//! The figures of `kaowu report`, aggregated in SQL so that a session of 200,000
//! applications comes back as a few hundred grouped rows: counts by exam area, qualification
//! and state; rejection reasons; the time to review as its mean and the few ranks the
//! median and 90th percentile need; paid applications grouped by what fixes their fee; the
//! successful orders that did not pay a paid application; seats per sitting and site.
//!
//! Callers sort what they show: the backends order Chinese text by different collations.

use chrono::{NaiveDate, NaiveTime};

use super::payments::{
    APPROVAL, APPROVALS_OF_SESSION, PAY_COLUMNS, PAYMENT_COLUMNS, PayRow, PaymentRow, approvals_of,
    pay_from,
};
use super::{Result, Tx, with_conn};

/// Applications of one exam area, qualification and state.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AppCount {
    pub exam_area: String,
    pub level: String,
    pub qualification: String,
    pub status: String,
    pub applications: i64,
}

/// Rejected applications by reason. `by_flag` is 1 when `reason` is a flag code: the
/// application's reason is what its error flags say (each flag counts once), else 0 and
/// `reason` is the text the office gave.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReasonCount {
    pub by_flag: i64,
    pub reason: String,
    pub applications: i64,
}

/// Review decisions in force and how long each took, in seconds: their number, mean, and
/// the values at the 1-based ranks asked for (in ascending order of duration).
#[derive(Debug, Clone, Default)]
pub struct ReviewTimes {
    pub decisions: i64,
    pub mean_seconds: f64,
    /// (rank, seconds)
    pub ranked: Vec<(i64, i64)>,
}

/// Paid (or seated) applications that share what fixes their fee due: exam area,
/// qualification, subjects and the day they were approved.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PaidGroup {
    pub exam_area: String,
    pub level: String,
    pub qualification: String,
    pub subjects: String,
    /// `YYYY-MM-DD`; `None` when the journal has no approval (paid before the journal).
    pub approved_on: Option<String>,
    pub applications: i64,
    /// Of those, how many have exactly one payment that made them paid.
    pub with_one_payment: i64,
    /// The payments that made them paid: how many, and their sum in fen.
    pub applied_payments: i64,
    pub applied_fen: i64,
}

/// A count of orders and their sum in fen.
#[derive(Debug, Clone, Copy, Default, sqlx::FromRow)]
pub struct OrderSum {
    pub orders: i64,
    pub amount_fen: i64,
}

/// A sitting with its date and times.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SittingInfo {
    pub id: i64,
    pub label: String,
    pub exam_date: NaiveDate,
    pub starts_at: NaiveTime,
    pub ends_at: NaiveTime,
}

/// A site with its rooms and their usable seats (per sitting).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SiteInfo {
    pub id: i64,
    pub exam_area: String,
    pub code: String,
    pub name: String,
    pub rooms: i64,
    pub usable_seats: i64,
}

/// Seats in use in one sitting at one site: the rooms that have any, their usable seats,
/// and the seats taken.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SeatUse {
    pub sitting_id: i64,
    pub site_id: i64,
    pub rooms: i64,
    pub capacity: i64,
    pub used: i64,
}

/// Successful orders that did not make a paid (or seated) application paid: every one
/// reconciliation has to place somewhere. `$1` is the session. (One set of the applications
/// not paid, rather than a probe per order: most orders paid theirs.)
const OPEN_MONEY: &str = "p.session_id = $1 AND p.result = 'success' AND (p.applied_batch IS NULL \
    OR p.application_id IN (SELECT s.application_id FROM application_states s \
    WHERE s.status NOT IN ('paid', 'seated')))";

/// The batches of a session whose changes stand: neither an undo nor undone. `$1` is the
/// session.
const STANDING_BATCHES: &str = "SELECT b.id, b.created_at FROM batches b WHERE b.session_id = $1 \
    AND b.undoes IS NULL AND NOT EXISTS (SELECT 1 FROM batches u WHERE u.undoes = b.id)";

impl Tx {
    /// Applications by exam area, qualification and state.
    pub async fn report_app_counts(&mut self, session_id: i64) -> Result<Vec<AppCount>> {
        Ok(with_conn!(self, |c| {
            sqlx::query_as(
                "SELECT a.exam_area, q.level, q.name AS qualification, s.status, COUNT(*) AS applications \
                 FROM applications a JOIN qualifications q ON q.id = a.qualification_id \
                 JOIN application_states s ON s.application_id = a.id WHERE a.session_id = $1 \
                 GROUP BY a.exam_area, q.level, q.name, s.status",
            )
            .bind(session_id)
            .fetch_all(&mut *c)
            .await?
        }))
    }

    /// Rejected applications by reason. A reason that contains the message of every error
    /// flag of its application was composed from them (`review reject` without --reason), and
    /// counts under each flag's code: the messages name values of one candidate, so their
    /// text would rank nothing. Any other reason counts as the text it is.
    pub async fn report_rejections(&mut self, session_id: i64) -> Result<Vec<ReasonCount>> {
        let contains = match self {
            Tx::Sqlite(_) => "instr(r.reason, f.message)",
            Tx::Postgres(_) => "strpos(r.reason, f.message)",
        };
        let sql = format!(
            "WITH rej AS MATERIALIZED (SELECT a.id, s.status_reason AS reason FROM applications a \
             JOIN application_states s ON s.application_id = a.id \
             WHERE a.session_id = $1 AND s.status = 'rejected'), \
             flagged AS MATERIALIZED (SELECT r.id FROM rej r WHERE EXISTS (SELECT 1 FROM flags f \
             WHERE f.application_id = r.id AND f.severity = 'error') AND NOT EXISTS (SELECT 1 FROM flags f \
             WHERE f.application_id = r.id AND f.severity = 'error' AND {contains} = 0)) \
             SELECT CAST(1 AS BIGINT) AS by_flag, f.code AS reason, COUNT(*) AS applications FROM flagged x \
             JOIN flags f ON f.application_id = x.id AND f.severity = 'error' GROUP BY f.code \
             UNION ALL \
             SELECT CAST(0 AS BIGINT) AS by_flag, r.reason, COUNT(*) AS applications FROM rej r \
             WHERE r.id NOT IN (SELECT id FROM flagged) GROUP BY r.reason"
        );
        Ok(with_conn!(self, |c| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(session_id)
                .fetch_all(&mut *c)
                .await?
        }))
    }

    /// How long the review decisions in force took: from when the application entered 待审核
    /// (its 提交时间 from the portal, for a first submission that has one and is not later
    /// than the decision; otherwise the batch that brought it in, or back after a fix) to the
    /// batch that approved or rejected it. Decisions and entries of undone batches do not
    /// count. Returns the mean and the durations at ranks `(n - 1) * num / den + 1` and `+ 2`
    /// for each `(num, den)` in `fractions`, for interpolating percentiles.
    pub async fn report_review_times(
        &mut self,
        session_id: i64,
        fractions: &[(i64, i64)],
    ) -> Result<ReviewTimes> {
        let seconds = match self {
            Tx::Sqlite(_) => {
                "CAST(ROUND((julianday(decided) - julianday(started)) * 86400) AS INTEGER)"
            }
            Tx::Postgres(_) => "CAST(EXTRACT(EPOCH FROM (decided - started)) AS BIGINT)",
        };
        let ranks: Vec<String> = fractions
            .iter()
            .flat_map(|(num, den)| {
                [
                    format!("(n - 1) * {num} / {den} + 1"),
                    format!("(n - 1) * {num} / {den} + 2"),
                ]
            })
            .collect();
        let ranks = if ranks.is_empty() {
            "0".to_string()
        } else {
            ranks.join(", ")
        };
        // Batches first, then their journal rows (by index): the other way round was three
        // times slower on SQLite. The submission before each decision is looked up in
        // `journal_submitted`, the index of the moves to submitted alone (migration 0010).
        let sql = format!(
            "WITH standing AS MATERIALIZED ({STANDING_BATCHES}), \
             d AS MATERIALIZED (SELECT b.created_at AS decided, \
             (SELECT CASE WHEN e.old_value IS NULL AND a.submitted_at IS NOT NULL \
             AND a.submitted_at <= b.created_at THEN a.submitted_at ELSE eb.created_at END \
             FROM journal e JOIN standing eb ON eb.id = e.batch_id \
             WHERE e.application_id = j.application_id AND e.field = 'status' \
             AND e.new_value = 'submitted' AND e.id < j.id ORDER BY e.id DESC LIMIT 1) AS started \
             FROM standing b CROSS JOIN journal j JOIN applications a ON a.id = j.application_id \
             WHERE j.batch_id = b.id AND j.field = 'status' AND j.old_value = 'submitted' \
             AND j.new_value IN ('approved', 'rejected')), \
             o AS (SELECT secs, ROW_NUMBER() OVER (ORDER BY secs) AS rn, COUNT(*) OVER () AS n, \
             CAST(AVG(secs) OVER () AS DOUBLE PRECISION) AS mean \
             FROM (SELECT {seconds} AS secs FROM d WHERE started IS NOT NULL) AS x) \
             SELECT n, mean, rn, secs FROM o WHERE rn = 1 OR rn IN ({ranks})"
        );
        let rows: Vec<(i64, f64, i64, i64)> = with_conn!(self, |c| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(session_id)
                .fetch_all(&mut *c)
                .await?
        });
        let mut out = ReviewTimes::default();
        for (n, mean, rank, secs) in rows {
            out.decisions = n;
            out.mean_seconds = mean;
            out.ranked.push((rank, secs));
        }
        out.ranked.sort_unstable();
        Ok(out)
    }

    /// Paid and seated applications grouped by what fixes their fee due, with the payments
    /// that made them paid.
    pub async fn report_paid_groups(&mut self, session_id: i64) -> Result<Vec<PaidGroup>> {
        // The approval days as in pay_from, in their own materialized set here.
        let sql = format!(
            "WITH approved AS MATERIALIZED (SELECT j.application_id AS id, \
             substr(CAST(MAX(b.created_at) AS TEXT), 1, 10) AS approved_on \
             {APPROVALS_OF_SESSION} AND {APPROVAL} GROUP BY j.application_id), \
             applied AS MATERIALIZED (SELECT application_id AS id, COUNT(*) AS n, SUM(amount_fen) AS fen \
             FROM payments WHERE session_id = $1 AND applied_batch IS NOT NULL GROUP BY application_id) \
             SELECT a.exam_area, q.level, q.name AS qualification, a.subjects, ap.approved_on, \
             COUNT(*) AS applications, \
             CAST(SUM(CASE WHEN p.n = 1 THEN 1 ELSE 0 END) AS BIGINT) AS with_one_payment, \
             CAST(COALESCE(SUM(p.n), 0) AS BIGINT) AS applied_payments, \
             CAST(COALESCE(SUM(p.fen), 0) AS BIGINT) AS applied_fen \
             FROM applications a JOIN qualifications q ON q.id = a.qualification_id \
             JOIN application_states s ON s.application_id = a.id \
             LEFT JOIN approved ap ON ap.id = a.id LEFT JOIN applied p ON p.id = a.id \
             WHERE a.session_id = $1 AND s.status IN ('paid', 'seated') \
             GROUP BY a.exam_area, q.level, q.name, a.subjects, ap.approved_on"
        );
        Ok(with_conn!(self, |c| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(session_id)
                .fetch_all(&mut *c)
                .await?
        }))
    }

    /// Every successful order of the session: how many, and their sum.
    pub async fn report_successful_orders(&mut self, session_id: i64) -> Result<OrderSum> {
        Ok(with_conn!(self, |c| {
            sqlx::query_as(
                "SELECT COUNT(*) AS orders, CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) AS amount_fen \
                 FROM payments WHERE session_id = $1 AND result = 'success'",
            )
            .bind(session_id)
            .fetch_one(&mut *c)
            .await?
        }))
    }

    /// The successful orders that did not make a paid or seated application paid (refunds,
    /// wrong amounts, payments for applications not approved, 掉单, and what withdrawn
    /// candidates paid), with the applications they name. Few in a healthy session; the
    /// orders that paid are counted by [`Tx::report_paid_groups`], not loaded.
    pub async fn report_open_money(
        &mut self,
        session_id: i64,
    ) -> Result<(Vec<PayRow>, Vec<PaymentRow>)> {
        let open = format!("SELECT p.application_id FROM payments p WHERE {OPEN_MONEY}");
        let mut apps: Vec<PayRow> = self
            .bulk_rows(
                &PAY_COLUMNS,
                &format!("{} WHERE a.id IN ({open})", pay_from(&approvals_of(&open))),
                session_id,
            )
            .await?;
        apps.sort_unstable_by(|a, b| a.registration_no.cmp(&b.registration_no));
        let mut orders: Vec<PaymentRow> = self
            .bulk_rows(
                &PAYMENT_COLUMNS,
                &format!("FROM payments p WHERE {OPEN_MONEY}"),
                session_id,
            )
            .await?;
        orders.sort_unstable_by(|a, b| a.order_no.cmp(&b.order_no));
        Ok((apps, orders))
    }

    /// The session's sittings.
    pub async fn report_sittings(&mut self, session_id: i64) -> Result<Vec<SittingInfo>> {
        Ok(with_conn!(self, |c| {
            sqlx::query_as(
                "SELECT id, label, exam_date, starts_at, ends_at FROM sittings WHERE session_id = $1",
            )
            .bind(session_id)
            .fetch_all(&mut *c)
            .await?
        }))
    }

    /// The session's sites with their rooms and usable seats.
    pub async fn report_sites(&mut self, session_id: i64) -> Result<Vec<SiteInfo>> {
        Ok(with_conn!(self, |c| {
            sqlx::query_as(
                "SELECT s.id, s.exam_area, s.code, s.name, COUNT(r.id) AS rooms, \
                 CAST(COALESCE(SUM(r.usable_seats), 0) AS BIGINT) AS usable_seats \
                 FROM sites s LEFT JOIN rooms r ON r.site_id = s.id WHERE s.session_id = $1 \
                 GROUP BY s.id, s.exam_area, s.code, s.name",
            )
            .bind(session_id)
            .fetch_all(&mut *c)
            .await?
        }))
    }

    /// Seats in use per sitting and site.
    pub async fn report_seat_use(&mut self, session_id: i64) -> Result<Vec<SeatUse>> {
        Ok(with_conn!(self, |c| {
            sqlx::query_as(
                "WITH used AS MATERIALIZED (SELECT x.sitting_id, x.room_id, COUNT(*) AS n \
                 FROM sittings t CROSS JOIN seats x WHERE x.sitting_id = t.id AND t.session_id = $1 \
                 AND x.released_batch IS NULL GROUP BY x.sitting_id, x.room_id) \
                 SELECT u.sitting_id, r.site_id, COUNT(*) AS rooms, \
                 CAST(SUM(r.usable_seats) AS BIGINT) AS capacity, CAST(SUM(u.n) AS BIGINT) AS used \
                 FROM used u JOIN rooms r ON r.id = u.room_id GROUP BY u.sitting_id, r.site_id",
            )
            .bind(session_id)
            .fetch_all(&mut *c)
            .await?
        }))
    }
}
