//! The exam plan: qualifications, sittings, and which subject runs in which sitting.

use chrono::{NaiveDate, NaiveTime};

use super::{Result, Tx, with_conn};
use crate::model::level::Level;
use crate::model::plan::exam_rank;

/// One stored plan row, joined with its qualification and sitting.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PlanEntry {
    pub qualification: String,
    pub code: Option<String>,
    pub level: String,
    pub subject: String,
    pub sitting: String,
    pub exam_date: NaiveDate,
    pub starts_at: NaiveTime,
    pub ends_at: NaiveTime,
}

impl Tx {
    /// Qualification name -> id, for the session.
    pub async fn qualification_ids(
        &mut self,
        session_id: i64,
    ) -> Result<std::collections::HashMap<String, i64>> {
        let rows: Vec<(String, i64)> = with_conn!(self, |c| {
            sqlx::query_as("SELECT name, id FROM qualifications WHERE session_id = $1")
                .bind(session_id)
                .fetch_all(&mut *c)
                .await?
        });
        Ok(rows.into_iter().collect())
    }

    /// The session's plan in exam order: by date, start, level, qualification, and the
    /// subjects' exam order; sorted here, as the backends order text differently.
    pub async fn plan(&mut self, session_id: i64) -> Result<Vec<PlanEntry>> {
        let mut rows: Vec<PlanEntry> = with_conn!(self, |c| {
            sqlx::query_as(
                "SELECT q.name AS qualification, q.code, q.level, p.subject, t.label AS sitting, \
                 t.exam_date, t.starts_at, t.ends_at \
                 FROM plan_subjects p \
                 JOIN qualifications q ON q.id = p.qualification_id \
                 JOIN sittings t ON t.id = p.sitting_id \
                 WHERE q.session_id = $1",
            )
            .bind(session_id)
            .fetch_all(&mut *c)
            .await?
        });
        let key = |e: &PlanEntry| {
            (
                e.exam_date,
                e.starts_at,
                Level::parse(&e.level),
                e.qualification.clone(),
                exam_rank(&e.subject),
                e.subject.clone(),
            )
        };
        rows.sort_by_cached_key(key);
        Ok(rows)
    }

    pub async fn upsert_sitting(
        &mut self,
        session_id: i64,
        label: &str,
        date: NaiveDate,
        start: NaiveTime,
        end: NaiveTime,
    ) -> Result<i64> {
        Ok(with_conn!(self, |c| {
            sqlx::query_scalar(
                "INSERT INTO sittings (session_id, label, exam_date, starts_at, ends_at) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (session_id, label) DO UPDATE SET exam_date = excluded.exam_date, \
                 starts_at = excluded.starts_at, ends_at = excluded.ends_at RETURNING id",
            )
            .bind(session_id)
            .bind(label)
            .bind(date)
            .bind(start)
            .bind(end)
            .fetch_one(&mut *c)
            .await?
        }))
    }

    pub async fn upsert_qualification(
        &mut self,
        session_id: i64,
        name: &str,
        code: Option<&str>,
        level: &str,
    ) -> Result<i64> {
        Ok(with_conn!(self, |c| {
            sqlx::query_scalar(
                "INSERT INTO qualifications (session_id, name, code, level) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (session_id, name) DO UPDATE SET code = excluded.code, level = excluded.level \
                 RETURNING id",
            )
            .bind(session_id)
            .bind(name)
            .bind(code)
            .bind(level)
            .fetch_one(&mut *c)
            .await?
        }))
    }

    pub async fn upsert_plan_subject(
        &mut self,
        qualification_id: i64,
        subject: &str,
        sitting_id: i64,
    ) -> Result<()> {
        with_conn!(self, |c| {
            sqlx::query(
                "INSERT INTO plan_subjects (qualification_id, subject, sitting_id) VALUES ($1, $2, $3) \
                 ON CONFLICT (qualification_id, subject) DO UPDATE SET sitting_id = excluded.sitting_id",
            )
            .bind(qualification_id)
            .bind(subject)
            .bind(sitting_id)
            .execute(&mut *c)
            .await?;
        });
        Ok(())
    }
}
