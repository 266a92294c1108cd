//! Sessions and their settings; the per-session counts that `status` shows.

use chrono::NaiveDateTime;
use serde::Serialize;

use super::{Result, Tx, with_conn};
use crate::model::session::Settings;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub province: String,
    pub photo_min_width: i64,
    pub photo_min_height: i64,
    pub photo_min_bytes: i64,
    pub photo_max_bytes: i64,
    pub card_number_template: String,
    pub registration_opens: Option<NaiveDateTime>,
    pub registration_closes: Option<NaiveDateTime>,
    pub payment_opens: Option<NaiveDateTime>,
    pub payment_closes: Option<NaiveDateTime>,
    pub recheck_opens: Option<String>,
    pub recheck_closes: Option<String>,
    pub created_at: NaiveDateTime,
}

impl SessionRow {
    pub fn settings(&self) -> Settings {
        Settings {
            photo_min_width: self.photo_min_width as u32,
            photo_min_height: self.photo_min_height as u32,
            photo_min_bytes: self.photo_min_bytes as u64,
            photo_max_bytes: self.photo_max_bytes as u64,
            card_number_template: self.card_number_template.clone(),
            registration_opens: self.registration_opens,
            registration_closes: self.registration_closes,
            payment_opens: self.payment_opens,
            payment_closes: self.payment_closes,
            recheck_opens: self
                .recheck_opens
                .as_deref()
                .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
            recheck_closes: self
                .recheck_closes
                .as_deref()
                .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
            pass_marks: std::collections::BTreeMap::new(),
        }
    }
}

const COLUMNS: &str = "id, code, name, province, photo_min_width, photo_min_height, photo_min_bytes, \
    photo_max_bytes, card_number_template, registration_opens, registration_closes, payment_opens, \
    payment_closes, recheck_opens, recheck_closes, created_at";

/// What `status` counts for each session.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct SessionCounts {
    pub code: String,
    pub name: String,
    pub province: String,
    pub qualifications: i64,
    pub plan_subjects: i64,
    pub sittings: i64,
    pub fees: i64,
    pub exam_areas: i64,
    pub sites: i64,
    pub rooms: i64,
    pub seats: i64,
    pub usable_seats: i64,
}

impl Tx {
    pub async fn sessions(&mut self) -> Result<Vec<SessionRow>> {
        let sql = format!("SELECT {COLUMNS} FROM sessions ORDER BY code");
        Ok(with_conn!(self, |c| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(&mut *c)
                .await?
        }))
    }

    pub async fn session_by_code(&mut self, code: &str) -> Result<Option<SessionRow>> {
        let sql = format!("SELECT {COLUMNS} FROM sessions WHERE code = $1");
        Ok(with_conn!(self, |c| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(code)
                .fetch_optional(&mut *c)
                .await?
        }))
    }

    pub async fn insert_session(
        &mut self,
        code: &str,
        name: &str,
        province: &str,
        s: &Settings,
        now: NaiveDateTime,
    ) -> Result<i64> {
        let id: i64 = with_conn!(self, |c| {
            sqlx::query_scalar(
                "INSERT INTO sessions (code, name, province, photo_min_width, photo_min_height, \
                 photo_min_bytes, photo_max_bytes, card_number_template, registration_opens, \
                 registration_closes, payment_opens, payment_closes, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
            )
            .bind(code)
            .bind(name)
            .bind(province)
            .bind(i64::from(s.photo_min_width))
            .bind(i64::from(s.photo_min_height))
            .bind(s.photo_min_bytes as i64)
            .bind(s.photo_max_bytes as i64)
            .bind(&s.card_number_template)
            .bind(s.registration_opens)
            .bind(s.registration_closes)
            .bind(s.payment_opens)
            .bind(s.payment_closes)
            .bind(now)
            .fetch_one(&mut *c)
            .await?
        });
        // The recheck window and the pass marks, as `session set` writes them.
        self.update_session(id, name, province, s).await?;
        Ok(id)
    }

    pub async fn update_session(
        &mut self,
        id: i64,
        name: &str,
        province: &str,
        s: &Settings,
    ) -> Result<()> {
        with_conn!(self, |c| {
            sqlx::query(
                "UPDATE sessions SET name = $2, province = $3, photo_min_width = $4, \
                 photo_min_height = $5, photo_min_bytes = $6, photo_max_bytes = $7, \
                 card_number_template = $8, registration_opens = $9, registration_closes = $10, \
                 payment_opens = $11, payment_closes = $12, recheck_opens = $13, \
                 recheck_closes = $14 WHERE id = $1",
            )
            .bind(id)
            .bind(name)
            .bind(province)
            .bind(i64::from(s.photo_min_width))
            .bind(i64::from(s.photo_min_height))
            .bind(s.photo_min_bytes as i64)
            .bind(s.photo_max_bytes as i64)
            .bind(&s.card_number_template)
            .bind(s.registration_opens)
            .bind(s.registration_closes)
            .bind(s.payment_opens)
            .bind(s.payment_closes)
            .bind(s.recheck_opens.map(|d| d.to_string()))
            .bind(s.recheck_closes.map(|d| d.to_string()))
            .execute(&mut *c)
            .await?;
        });
        self.set_pass_marks(id, &s.pass_marks).await
    }

    /// The session's settings with its pass marks.
    pub async fn session_settings(&mut self, row: &SessionRow) -> Result<Settings> {
        let mut s = row.settings();
        for (subject, mark) in self.pass_marks(row.id).await? {
            let mark = u16::try_from(mark).unwrap_or(u16::MAX);
            s.pass_marks
                .insert(subject, crate::model::score::Score(mark));
        }
        Ok(s)
    }

    /// The session's pass marks that differ from 45, by subject, in tenths.
    pub async fn pass_marks(&mut self, session_id: i64) -> Result<Vec<(String, i64)>> {
        Ok(with_conn!(self, |c| {
            sqlx::query_as(
                "SELECT subject, mark FROM pass_marks WHERE session_id = $1 ORDER BY subject",
            )
            .bind(session_id)
            .fetch_all(&mut *c)
            .await?
        }))
    }

    async fn set_pass_marks(
        &mut self,
        session_id: i64,
        marks: &std::collections::BTreeMap<String, crate::model::score::Score>,
    ) -> Result<()> {
        with_conn!(self, |c| {
            sqlx::query("DELETE FROM pass_marks WHERE session_id = $1")
                .bind(session_id)
                .execute(&mut *c)
                .await?;
            for (subject, mark) in marks {
                sqlx::query(
                    "INSERT INTO pass_marks (session_id, subject, mark) VALUES ($1, $2, $3)",
                )
                .bind(session_id)
                .bind(subject)
                .bind(i64::from(mark.0))
                .execute(&mut *c)
                .await?;
            }
        });
        Ok(())
    }

    pub async fn session_counts(&mut self) -> Result<Vec<SessionCounts>> {
        Ok(with_conn!(self, |c| {
            sqlx::query_as(
                "SELECT s.code, s.name, s.province, \
                 (SELECT COUNT(*) FROM qualifications q WHERE q.session_id = s.id) AS qualifications, \
                 (SELECT COUNT(*) FROM plan_subjects p JOIN qualifications q ON q.id = p.qualification_id \
                  WHERE q.session_id = s.id) AS plan_subjects, \
                 (SELECT COUNT(*) FROM sittings t WHERE t.session_id = s.id) AS sittings, \
                 (SELECT COUNT(*) FROM fees f WHERE f.session_id = s.id) AS fees, \
                 (SELECT COUNT(DISTINCT exam_area) FROM sites t WHERE t.session_id = s.id) AS exam_areas, \
                 (SELECT COUNT(*) FROM sites t WHERE t.session_id = s.id) AS sites, \
                 (SELECT COUNT(*) FROM rooms r JOIN sites t ON t.id = r.site_id WHERE t.session_id = s.id) AS rooms, \
                 (SELECT COALESCE(CAST(SUM(r.seats) AS BIGINT), 0) FROM rooms r JOIN sites t ON t.id = r.site_id \
                  WHERE t.session_id = s.id) AS seats, \
                 (SELECT COALESCE(CAST(SUM(r.usable_seats) AS BIGINT), 0) FROM rooms r JOIN sites t ON t.id = r.site_id \
                  WHERE t.session_id = s.id) AS usable_seats \
                 FROM sessions s ORDER BY s.code",
            )
            .fetch_all(&mut *c)
            .await?
        }))
    }
}
