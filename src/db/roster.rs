//! Rosters (名册): every application of a session with what a roster prints of it (its
//! payment and admit-card number), and the sittings with their times. Seats and rooms come
//! from [`super::seating`].

use chrono::{NaiveDate, NaiveTime};

use super::{Result, Tx, with_conn};
use crate::model::application::Status;
use crate::model::roster::Entry;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RosterSitting {
    pub id: i64,
    pub label: String,
    pub exam_date: NaiveDate,
    pub starts_at: NaiveTime,
    pub ends_at: NaiveTime,
}

/// The columns of [`Entry`], in its order.
const ENTRY_COLUMNS: [&str; 19] = [
    "a.id",
    "a.registration_no",
    "a.name",
    "a.gender",
    "a.id_type",
    "a.id_number",
    "CAST(a.birth_date AS TEXT)",
    "a.mobile",
    "a.email",
    "a.address",
    "a.employer",
    "a.exam_area",
    "q.level",
    "q.name",
    "a.subjects",
    "s.status",
    "p.amount_fen",
    "substr(CAST(p.paid_at AS TEXT), 1, 19)",
    "ac.card_no",
];

impl Tx {
    /// The session's applications in these states (every state when `statuses` is empty),
    /// each with the payment that made it paid and its admit-card number. Unordered.
    pub async fn roster_entries(
        &mut self,
        session_id: i64,
        statuses: &[Status],
    ) -> Result<Vec<Entry>> {
        // The states are the enum's own names, never user text.
        let only = if statuses.is_empty() {
            String::new()
        } else {
            let names: Vec<String> = statuses
                .iter()
                .map(|s| format!("'{}'", s.as_str()))
                .collect();
            format!(" AND s.status IN ({})", names.join(", "))
        };
        // The payment that made an application paid; a second one applied after an undo
        // is not expected, and MAX keeps one line per application if it happens.
        let rest = format!(
            "FROM applications a JOIN qualifications q ON q.id = a.qualification_id \
             JOIN application_states s ON s.application_id = a.id \
             LEFT JOIN (SELECT application_id, MAX(amount_fen) AS amount_fen, MAX(paid_at) AS paid_at \
                        FROM payments WHERE session_id = $1 AND applied_batch IS NOT NULL \
                        AND application_id IS NOT NULL GROUP BY application_id) p \
                   ON p.application_id = a.id \
             LEFT JOIN admit_cards ac ON ac.application_id = a.id \
             WHERE a.session_id = $1{only}"
        );
        self.bulk_rows(&ENTRY_COLUMNS, &rest, session_id).await
    }

    /// The session's sittings with their start and end times.
    pub async fn roster_sittings(&mut self, session_id: i64) -> Result<Vec<RosterSitting>> {
        Ok(with_conn!(self, |c| {
            sqlx::query_as(
                "SELECT id, label, exam_date, starts_at, ends_at FROM sittings WHERE session_id = $1 \
                 ORDER BY exam_date, starts_at, label",
            )
            .bind(session_id)
            .fetch_all(&mut *c)
            .await?
        }))
    }
}
