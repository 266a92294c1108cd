//! The record of imports that changed the database: kind, file, its SHA-256, operator, counts.

use chrono::NaiveDateTime;

use super::{Result, Tx, with_conn};

pub struct ImportRecord<'a> {
    pub session_id: i64,
    pub kind: &'a str,
    pub file: &'a str,
    pub sha256: &'a str,
    pub operator: &'a str,
    pub at: NaiveDateTime,
    pub added: usize,
    pub changed: usize,
    pub unchanged: usize,
}

impl Tx {
    pub async fn record_import(&mut self, r: &ImportRecord<'_>) -> Result<()> {
        with_conn!(self, |c| {
            sqlx::query(
                "INSERT INTO imports (session_id, kind, file, sha256, operator, imported_at, added, changed, unchanged) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(r.session_id)
            .bind(r.kind)
            .bind(r.file)
            .bind(r.sha256)
            .bind(r.operator)
            .bind(r.at)
            .bind(r.added as i64)
            .bind(r.changed as i64)
            .bind(r.unchanged as i64)
            .execute(&mut *c)
            .await?;
        });
        Ok(())
    }
}
