//! One-off corrections: the applications as `applications list` shows them, the snapshots
//! that let undo restore a corrected application exactly, and refunds granted on withdrawal.

use serde::Deserialize;

use super::applications::NewApplication;
use super::{Result, Tx, with_conn};

/// What `applications list` shows and filters by, in [`Tx::bulk_rows`]' column order.
#[derive(Debug, Clone, Deserialize)]
pub struct ListRow {
    pub id: i64,
    pub registration_no: String,
    pub name: String,
    pub id_type: String,
    pub id_number: String,
    pub gender: String,
    pub exam_area: String,
    pub level: String,
    pub qualification: String,
    pub subjects: String,
    pub mobile: String,
    pub employer: String,
    pub status: String,
    /// `YYYY-MM-DD HH:MM:SS`.
    pub submitted_at: Option<String>,
}

/// An application's state, as a correction checks it before writing.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StateRow {
    pub status: String,
    pub version: i64,
    pub last_batch: Option<i64>,
}

impl Tx {
    pub async fn list_rows(&mut self, session_id: i64) -> Result<Vec<ListRow>> {
        let columns = [
            "a.id",
            "a.registration_no",
            "a.name",
            "a.id_type",
            "a.id_number",
            "a.gender",
            "a.exam_area",
            "q.level",
            "q.name",
            "a.subjects",
            "a.mobile",
            "a.employer",
            "s.status",
            "substr(CAST(a.submitted_at AS TEXT), 1, 19)",
        ];
        let mut rows: Vec<ListRow> = self
            .bulk_rows(
                &columns,
                "FROM applications a JOIN qualifications q ON q.id = a.qualification_id \
                 JOIN application_states s ON s.application_id = a.id WHERE a.session_id = $1",
                session_id,
            )
            .await?;
        rows.sort_unstable_by(|a, b| a.registration_no.cmp(&b.registration_no));
        Ok(rows)
    }

    pub async fn state_of(&mut self, application_id: i64) -> Result<StateRow> {
        Ok(with_conn!(self, |c| {
            sqlx::query_as(
                "SELECT status, version, last_batch FROM application_states WHERE application_id = $1",
            )
            .bind(application_id)
            .fetch_one(&mut *c)
            .await?
        }))
    }

    /// Keeps the application as it was before `batch` corrected it.
    pub async fn save_snapshot(
        &mut self,
        batch: i64,
        application_id: i64,
        before: &NewApplication,
    ) -> Result<()> {
        let json = serde_json::to_string(before).expect("plain values serialise");
        with_conn!(self, |c| {
            sqlx::query(
                "INSERT INTO application_snapshots (batch_id, application_id, before) VALUES ($1, $2, $3)",
            )
            .bind(batch)
            .bind(application_id)
            .bind(&json)
            .execute(&mut *c)
            .await?;
        });
        Ok(())
    }

    /// The applications `batch` corrected, as they were before.
    pub async fn snapshots(&mut self, batch: i64) -> Result<Vec<(i64, NewApplication)>> {
        let rows: Vec<(i64, String)> = with_conn!(self, |c| {
            sqlx::query_as(
                "SELECT application_id, before FROM application_snapshots WHERE batch_id = $1 ORDER BY application_id",
            )
            .bind(batch)
            .fetch_all(&mut *c)
            .await?
        });
        rows.into_iter()
            .map(|(id, json)| {
                serde_json::from_str(&json)
                    .map(|a| (id, a))
                    .map_err(|e| super::DbError::Sql(sqlx::Error::Decode(Box::new(e))))
            })
            .collect()
    }

    /// Puts the payment that paid an application on the refund list.
    pub async fn grant_refund(&mut self, batch: i64, application_id: i64) -> Result<u64> {
        Ok(with_conn!(self, |c| {
            sqlx::query(
                "UPDATE payments SET refund_batch = $1 WHERE application_id = $2 AND applied_batch IS NOT NULL",
            )
            .bind(batch)
            .bind(application_id)
            .execute(&mut *c)
            .await?
            .rows_affected()
        }))
    }

    /// Takes back the refunds that `batch` granted (its undo).
    pub async fn revoke_refunds(&mut self, batch: i64) -> Result<()> {
        with_conn!(self, |c| {
            sqlx::query("UPDATE payments SET refund_batch = NULL WHERE refund_batch = $1")
                .bind(batch)
                .execute(&mut *c)
                .await?;
        });
        Ok(())
    }
}
