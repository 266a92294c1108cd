//! Seating: the candidates, sittings and rooms a seating is derived from, the seats and
//! admit-card numbers it stores, and the seatings themselves (seed and fingerprint).

use chrono::NaiveDateTime;
use serde::Deserialize;

use super::{Result, Tx, with_conn};
use crate::model::plan::exam_rank;
use crate::model::seating::{Method, Seat};

/// A paid or seated application, in [`Tx::bulk_rows`]' column order.
#[derive(Debug, Clone, Deserialize)]
pub struct SeatCandidate {
    pub id: i64,
    pub registration_no: String,
    pub name: String,
    pub exam_area: String,
    pub qualification: String,
    pub level: String,
    pub subjects: String,
    pub status: String,
    pub version: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SittingRow {
    pub id: i64,
    pub label: String,
    pub exam_date: chrono::NaiveDate,
    pub starts_at: chrono::NaiveTime,
    pub ends_at: chrono::NaiveTime,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SubjectSitting {
    pub qualification: String,
    pub subject: String,
    pub sitting_id: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RoomIdRow {
    pub id: i64,
    pub exam_area: String,
    pub site_code: String,
    pub site_name: String,
    pub number: i64,
    pub seats: i64,
    pub disabled_seats: String,
}

/// A stored seat, in [`Tx::bulk_rows`]' column order.
#[derive(Debug, Clone, Deserialize)]
pub struct SeatRow {
    pub id: i64,
    pub application_id: i64,
    pub sitting_id: i64,
    pub room_id: i64,
    pub seat_no: i64,
    pub seating_id: Option<i64>,
    pub batch_id: i64,
    pub released_batch: Option<i64>,
    /// 1 when the office let this candidate sit at more than one site.
    pub split_allowed: i64,
}

impl SeatRow {
    pub fn seat(&self) -> Seat {
        Seat {
            application_id: self.application_id,
            sitting_id: self.sitting_id,
            room_id: self.room_id,
            seat: self.seat_no as u32,
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SeatingRow {
    pub id: i64,
    pub batch_id: i64,
    pub seed: String,
    pub fingerprint: String,
    pub scope: String,
    pub created_at: NaiveDateTime,
    /// [`crate::model::seating::Method`] as stored.
    pub method: i64,
    pub allow_split: i64,
}

/// A seating to store: what `seat verify` derives it again from.
pub struct NewSeating<'a> {
    pub seed: u64,
    pub fingerprint: &'a str,
    /// '' for the whole session, or the exam area a --reseat redid.
    pub scope: &'a str,
    pub at: NaiveDateTime,
    pub method: Method,
    pub allow_split: bool,
}

const SEAT_COLUMNS: [&str; 9] = [
    "t.id",
    "t.application_id",
    "t.sitting_id",
    "t.room_id",
    "t.seat_no",
    "t.seating_id",
    "t.batch_id",
    "t.released_batch",
    "t.split_allowed",
];

impl Tx {
    /// The session's paid and seated applications, or with `any` every application (a
    /// seating's candidates may have withdrawn since).
    pub async fn seat_candidates(
        &mut self,
        session_id: i64,
        any: bool,
    ) -> Result<Vec<SeatCandidate>> {
        let columns = [
            "a.id",
            "a.registration_no",
            "a.name",
            "a.exam_area",
            "q.name",
            "q.level",
            "a.subjects",
            "s.status",
            "s.version",
        ];
        let rest = format!(
            "FROM applications a JOIN qualifications q ON q.id = a.qualification_id \
             JOIN application_states s ON s.application_id = a.id WHERE a.session_id = $1{}",
            if any {
                ""
            } else {
                " AND s.status IN ('paid', 'seated')"
            }
        );
        let mut rows: Vec<SeatCandidate> = self.bulk_rows(&columns, &rest, session_id).await?;
        rows.sort_unstable_by(|a, b| a.registration_no.cmp(&b.registration_no));
        Ok(rows)
    }

    /// The session's sittings in exam order: date, start, then label, compared here and not
    /// by the database, whose collation of text differs between backends and locales.
    pub async fn sitting_rows(&mut self, session_id: i64) -> Result<Vec<SittingRow>> {
        let mut rows: Vec<SittingRow> = with_conn!(self, |c| {
            sqlx::query_as(
                "SELECT id, label, exam_date, starts_at, ends_at FROM sittings WHERE session_id = $1",
            )
            .bind(session_id)
            .fetch_all(&mut *c)
            .await?
        });
        rows.sort_by(|a, b| {
            (a.exam_date, a.starts_at, &a.label, a.id).cmp(&(
                b.exam_date,
                b.starts_at,
                &b.label,
                b.id,
            ))
        });
        Ok(rows)
    }

    /// Which sitting each subject of each qualification is written in, by qualification and
    /// then in exam order of the subjects (基础知识 before 应用技术, 综合知识 before 案例分析
    /// before 论文): sorted here, as neither backend's order of text is exam order.
    pub async fn subject_sittings(&mut self, session_id: i64) -> Result<Vec<SubjectSitting>> {
        let mut rows: Vec<SubjectSitting> = with_conn!(self, |c| {
            sqlx::query_as(
                "SELECT q.name AS qualification, p.subject, p.sitting_id FROM plan_subjects p \
                 JOIN qualifications q ON q.id = p.qualification_id WHERE q.session_id = $1",
            )
            .bind(session_id)
            .fetch_all(&mut *c)
            .await?
        });
        rows.sort_by(|a, b| {
            (&a.qualification, exam_rank(&a.subject), &a.subject).cmp(&(
                &b.qualification,
                exam_rank(&b.subject),
                &b.subject,
            ))
        });
        Ok(rows)
    }

    pub async fn room_ids(&mut self, session_id: i64) -> Result<Vec<RoomIdRow>> {
        Ok(with_conn!(self, |c| {
            sqlx::query_as(
                "SELECT r.id, s.exam_area, s.code AS site_code, s.name AS site_name, r.number, r.seats, \
                 r.disabled_seats FROM rooms r JOIN sites s ON s.id = r.site_id WHERE s.session_id = $1 \
                 ORDER BY s.exam_area, s.code, r.number",
            )
            .bind(session_id)
            .fetch_all(&mut *c)
            .await?
        }))
    }

    /// Seats of the session: those in use, or with `all` the released ones too.
    pub async fn seat_rows(&mut self, session_id: i64, all: bool) -> Result<Vec<SeatRow>> {
        let rest = format!(
            "FROM seats t JOIN applications a ON a.id = t.application_id WHERE a.session_id = $1{}",
            if all {
                ""
            } else {
                " AND t.released_batch IS NULL"
            }
        );
        let mut rows: Vec<SeatRow> = self.bulk_rows(&SEAT_COLUMNS, &rest, session_id).await?;
        rows.sort_unstable_by_key(|s| s.id);
        Ok(rows)
    }

    pub async fn seatings(&mut self, session_id: i64) -> Result<Vec<SeatingRow>> {
        Ok(with_conn!(self, |c| {
            sqlx::query_as(
                "SELECT id, batch_id, seed, fingerprint, scope, created_at, method, allow_split \
                 FROM seatings WHERE session_id = $1 ORDER BY id",
            )
            .bind(session_id)
            .fetch_all(&mut *c)
            .await?
        }))
    }

    pub async fn insert_seating(
        &mut self,
        session_id: i64,
        batch: i64,
        s: &NewSeating<'_>,
    ) -> Result<i64> {
        Ok(with_conn!(self, |c| {
            sqlx::query_scalar(
                "INSERT INTO seatings (session_id, batch_id, seed, fingerprint, scope, created_at, \
                 method, allow_split) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(session_id)
            .bind(batch)
            .bind(s.seed.to_string())
            .bind(s.fingerprint)
            .bind(s.scope)
            .bind(s.at)
            .bind(s.method as i64)
            .bind(i64::from(s.allow_split))
            .fetch_one(&mut *c)
            .await?
        }))
    }

    /// Stores seats placed by `batch` (and `seating`, unless `seat add` placed them); the
    /// seats of the applications in `split` (ascending) are marked as split with leave.
    pub async fn insert_seats(
        &mut self,
        batch: i64,
        seating: Option<i64>,
        seats: &[Seat],
        split: &[i64],
    ) -> Result<()> {
        for chunk in seats.chunks(10_000) {
            let json = serde_json::to_string(
                &chunk
                    .iter()
                    .map(|s| {
                        let leave = split.binary_search(&s.application_id).is_ok();
                        (
                            s.application_id,
                            s.sitting_id,
                            s.room_id,
                            s.seat,
                            i64::from(leave),
                        )
                    })
                    .collect::<Vec<_>>(),
            )
            .expect("numbers serialise");
            let sql = match self {
                Tx::Sqlite(_) => {
                    "INSERT INTO seats (application_id, sitting_id, room_id, seat_no, split_allowed, seating_id, batch_id) \
                     SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, $1, $2 FROM json_each($3)"
                }
                Tx::Postgres(_) => {
                    "INSERT INTO seats (application_id, sitting_id, room_id, seat_no, split_allowed, seating_id, batch_id) \
                     SELECT (v ->> 0)::BIGINT, (v ->> 1)::BIGINT, (v ->> 2)::BIGINT, (v ->> 3)::BIGINT, (v ->> 4)::BIGINT, $1, $2 \
                     FROM json_array_elements($3::json) AS e(v)"
                }
            };
            with_conn!(self, |c| {
                sqlx::query(sql)
                    .bind(seating)
                    .bind(batch)
                    .bind(&json)
                    .execute(&mut *c)
                    .await?;
            });
        }
        Ok(())
    }

    /// Releases the seats in use of these applications; returns how many.
    pub async fn release_seats(&mut self, batch: i64, applications: &[i64]) -> Result<u64> {
        let mut n = 0;
        for chunk in applications.chunks(10_000) {
            let json = serde_json::to_string(chunk).expect("numbers serialise");
            n += match self {
                Tx::Sqlite(t) => sqlx::query(
                    "UPDATE seats SET released_batch = $1 WHERE released_batch IS NULL \
                     AND application_id IN (SELECT value FROM json_each($2))",
                )
                .bind(batch)
                .bind(&json)
                .execute(&mut **t)
                .await?
                .rows_affected(),
                Tx::Postgres(t) => sqlx::query(
                    "UPDATE seats SET released_batch = $1 WHERE released_batch IS NULL \
                     AND application_id = ANY($2)",
                )
                .bind(batch)
                .bind(chunk)
                .execute(&mut **t)
                .await?
                .rows_affected(),
            };
        }
        Ok(n)
    }

    /// Releases the seats a batch placed (its undo); returns the applications.
    pub async fn release_batch_seats(&mut self, placed: i64, batch: i64) -> Result<u64> {
        Ok(with_conn!(self, |c| {
            sqlx::query(
                "UPDATE seats SET released_batch = $2 WHERE batch_id = $1 AND released_batch IS NULL",
            )
            .bind(placed)
            .bind(batch)
            .execute(&mut *c)
            .await?
            .rows_affected()
        }))
    }

    /// Sets the admit-card numbers of these applications, replacing any they had.
    pub async fn set_cards(
        &mut self,
        session_id: i64,
        batch: i64,
        cards: &[(i64, String)],
    ) -> Result<()> {
        for chunk in cards.chunks(10_000) {
            let json = serde_json::to_string(chunk).expect("plain values serialise");
            let (delete, insert) = match self {
                Tx::Sqlite(_) => (
                    "DELETE FROM admit_cards WHERE application_id IN (SELECT value ->> 0 FROM json_each($1))",
                    "INSERT INTO admit_cards (application_id, session_id, card_no, batch_id) \
                     SELECT value ->> 0, $2, value ->> 1, $3 FROM json_each($1)",
                ),
                Tx::Postgres(_) => (
                    "DELETE FROM admit_cards WHERE application_id IN \
                     (SELECT (v ->> 0)::BIGINT FROM json_array_elements($1::json) AS e(v))",
                    "INSERT INTO admit_cards (application_id, session_id, card_no, batch_id) \
                     SELECT (v ->> 0)::BIGINT, $2, v ->> 1, $3 FROM json_array_elements($1::json) AS e(v)",
                ),
            };
            with_conn!(self, |c| {
                sqlx::query(delete).bind(&json).execute(&mut *c).await?;
                sqlx::query(insert)
                    .bind(&json)
                    .bind(session_id)
                    .bind(batch)
                    .execute(&mut *c)
                    .await?;
            });
        }
        Ok(())
    }

    /// Admit-card numbers of the session: (application, number, stale).
    pub async fn cards(&mut self, session_id: i64) -> Result<Vec<(i64, String, String)>> {
        Ok(with_conn!(self, |c| {
            sqlx::query_as(
                "SELECT application_id, card_no, stale FROM admit_cards WHERE session_id = $1 ORDER BY card_no",
            )
            .bind(session_id)
            .fetch_all(&mut *c)
            .await?
        }))
    }

    /// Drops the cards of these applications (their seats were released).
    pub async fn drop_cards(&mut self, applications: &[i64]) -> Result<()> {
        let json = serde_json::to_string(applications).expect("numbers serialise");
        let sql = match self {
            Tx::Sqlite(_) => {
                "DELETE FROM admit_cards WHERE application_id IN (SELECT value FROM json_each($1))"
            }
            Tx::Postgres(_) => {
                "DELETE FROM admit_cards WHERE application_id IN \
                 (SELECT (v #>> '{}')::BIGINT FROM json_array_elements($1::json) AS e(v))"
            }
        };
        with_conn!(self, |c| {
            sqlx::query(sql).bind(&json).execute(&mut *c).await?;
        });
        Ok(())
    }

    /// Clears the out-of-date mark of cards that were made again.
    pub async fn clear_card_stale(&mut self, applications: &[i64]) -> Result<()> {
        for id in applications {
            with_conn!(self, |c| {
                sqlx::query("UPDATE admit_cards SET stale = '' WHERE application_id = $1 AND stale = 'admit card'")
                    .bind(*id)
                    .execute(&mut *c)
                    .await?;
            });
        }
        Ok(())
    }

    /// Notes what a correction made out of date for a seated candidate ('card', 'seat,card').
    pub async fn mark_stale(&mut self, application_id: i64, what: &str) -> Result<()> {
        with_conn!(self, |c| {
            sqlx::query("UPDATE admit_cards SET stale = $2 WHERE application_id = $1")
                .bind(application_id)
                .bind(what)
                .execute(&mut *c)
                .await?;
        });
        Ok(())
    }

    /// Drops the admit-card numbers a batch gave (its undo).
    pub async fn drop_batch_cards(&mut self, batch: i64) -> Result<()> {
        with_conn!(self, |c| {
            sqlx::query("DELETE FROM admit_cards WHERE batch_id = $1")
                .bind(batch)
                .execute(&mut *c)
                .await?;
        });
        Ok(())
    }

    /// How many seats `batch` released.
    pub async fn released_by(&mut self, batch: i64) -> Result<i64> {
        Ok(with_conn!(self, |c| {
            sqlx::query_scalar("SELECT COUNT(*) FROM seats WHERE released_batch = $1")
                .bind(batch)
                .fetch_one(&mut *c)
                .await?
        }))
    }

    /// One application's seats in use, as `applications show` prints them, and its card.
    pub async fn seats_of(
        &mut self,
        application_id: i64,
    ) -> Result<(Vec<SeatView>, Option<(String, String)>)> {
        let seats: Vec<SeatView> = with_conn!(self, |c| {
            sqlx::query_as(
                "SELECT st.label AS sitting, st.exam_date, st.starts_at, st.ends_at, s.code AS site_code, \
                 s.name AS site_name, s.address, r.number AS room, t.seat_no FROM seats t \
                 JOIN sittings st ON st.id = t.sitting_id JOIN rooms r ON r.id = t.room_id \
                 JOIN sites s ON s.id = r.site_id \
                 WHERE t.application_id = $1 AND t.released_batch IS NULL ORDER BY st.exam_date, st.starts_at",
            )
            .bind(application_id)
            .fetch_all(&mut *c)
            .await?
        });
        let card: Option<(String, String)> = with_conn!(self, |c| {
            sqlx::query_as("SELECT card_no, stale FROM admit_cards WHERE application_id = $1")
                .bind(application_id)
                .fetch_optional(&mut *c)
                .await?
        });
        Ok((seats, card))
    }
}

/// One seat of a seated candidate with everything its admit card prints, in
/// [`Tx::bulk_rows`]' column order.
#[derive(Debug, Clone, Deserialize)]
pub struct CardRow {
    pub id: i64,
    pub registration_no: String,
    pub name: String,
    pub gender: String,
    pub id_number: String,
    pub level: String,
    pub qualification: String,
    pub subjects: String,
    pub exam_area: String,
    pub photo_path: String,
    pub photo_hash: String,
    pub card_no: String,
    /// What a correction made out of date (see `admit_cards.stale`).
    pub stale: String,
    pub sitting_id: i64,
    pub sitting: String,
    pub exam_date: String,
    pub starts_at: String,
    pub ends_at: String,
    pub site_code: String,
    pub site_name: String,
    pub address: String,
    pub room: i64,
    pub seat_no: i64,
    pub room_id: i64,
}

/// A candidate with an admit card and a seat in use, in [`Tx::bulk_rows`]' column order.
#[derive(Debug, Clone, Deserialize)]
pub struct Carded {
    pub id: i64,
    pub registration_no: String,
    pub card_no: String,
}

/// Seats in use of candidates with an admit card, and the joins that give what a card prints.
const CARDED_SEATS: &str = "FROM seats t JOIN admit_cards ac ON ac.application_id = t.application_id \
     JOIN applications a ON a.id = t.application_id \
     JOIN qualifications q ON q.id = a.qualification_id \
     JOIN sittings st ON st.id = t.sitting_id JOIN rooms r ON r.id = t.room_id \
     JOIN sites s ON s.id = r.site_id \
     WHERE a.session_id = $1 AND t.released_batch IS NULL";

impl Tx {
    /// The session's candidates with an admit card and a seat in use: what documents are made
    /// for, without what they print, so that a run can pick and group them before loading
    /// the rest a group at a time.
    pub async fn carded(&mut self, session_id: i64) -> Result<Vec<Carded>> {
        let mut rows: Vec<Carded> = self
            .bulk_rows(
                &["a.id", "a.registration_no", "ac.card_no"],
                "FROM admit_cards ac JOIN applications a ON a.id = ac.application_id \
                 WHERE a.session_id = $1 AND EXISTS (SELECT 1 FROM seats t \
                 WHERE t.application_id = a.id AND t.released_batch IS NULL)",
                session_id,
            )
            .await?;
        rows.sort_unstable_by_key(|r| r.id);
        Ok(rows)
    }

    /// The photo files of the session's carded candidates, in admit-card order.
    pub async fn carded_photos(&mut self, session_id: i64) -> Result<Vec<String>> {
        Ok(with_conn!(self, |c| {
            sqlx::query_scalar(
                "SELECT a.photo_path FROM admit_cards ac JOIN applications a ON a.id = ac.application_id \
                 WHERE ac.session_id = $1 AND a.photo_path <> '' ORDER BY ac.card_no",
            )
            .bind(session_id)
            .fetch_all(&mut *c)
            .await?
        }))
    }

    /// (room, application) of every seat in use of the session's carded candidates, by room.
    pub async fn carded_seats(&mut self, session_id: i64) -> Result<Vec<(i64, i64)>> {
        let mut rows: Vec<(i64, i64)> = self
            .bulk_rows(&["t.room_id", "t.application_id"], CARDED_SEATS, session_id)
            .await?;
        rows.sort_unstable();
        Ok(rows)
    }

    /// Every seat in use of these carded candidates of the session, with what the cards
    /// print, by candidate and time.
    pub async fn card_rows(
        &mut self,
        session_id: i64,
        applications: &[i64],
    ) -> Result<Vec<CardRow>> {
        let columns = [
            "a.id",
            "a.registration_no",
            "a.name",
            "a.gender",
            "a.id_number",
            "q.level",
            "q.name",
            "a.subjects",
            "a.exam_area",
            "a.photo_path",
            "a.photo_hash",
            "ac.card_no",
            "ac.stale",
            "st.id",
            "st.label",
            "CAST(st.exam_date AS TEXT)",
            "substr(CAST(st.starts_at AS TEXT), 1, 5)",
            "substr(CAST(st.ends_at AS TEXT), 1, 5)",
            "s.code",
            "s.name",
            "s.address",
            "r.number",
            "t.seat_no",
            "t.room_id",
        ];
        let rest = format!("{CARDED_SEATS} AND a.id IN ({})", self.ids_in(2));
        let ids = serde_json::to_string(applications).expect("numbers serialise");
        let mut rows: Vec<CardRow> = self
            .bulk_rows_with(&columns, &rest, session_id, Some(&ids))
            .await?;
        rows.sort_by(|a, b| {
            (&a.registration_no, &a.exam_date, &a.starts_at).cmp(&(
                &b.registration_no,
                &b.exam_date,
                &b.starts_at,
            ))
        });
        Ok(rows)
    }
}

/// A seat as `applications show` prints it.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct SeatView {
    pub sitting: String,
    pub exam_date: chrono::NaiveDate,
    pub starts_at: chrono::NaiveTime,
    pub ends_at: chrono::NaiveTime,
    pub site_code: String,
    pub site_name: String,
    pub address: String,
    pub room: i64,
    pub seat_no: i64,
}
