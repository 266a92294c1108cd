//! After the exam: the seats a sign-in sheet lists, attendance per candidate and subject,
//! room logs and violation cases.

use serde::Deserialize;

use super::{Result, Tx, with_conn};

/// A seat in use of a candidate with an admit card, with what attendance and the exam-day
/// figures group by, in [`Tx::bulk_rows`]' column order.
#[derive(Debug, Clone, Deserialize)]
pub struct ExamSeat {
    pub application_id: i64,
    pub card_no: String,
    pub sitting_id: i64,
    pub room_id: i64,
    pub seat_no: i64,
    pub qualification: String,
    pub level: String,
    /// The candidate's subjects, comma-separated.
    pub subjects: String,
    pub exam_area: String,
    pub site_code: String,
    pub site_name: String,
    pub room: i64,
}

/// A stored attendance state, in [`Tx::bulk_rows`]' column order.
#[derive(Debug, Clone, Deserialize)]
pub struct AttendanceRow {
    pub application_id: i64,
    pub subject: String,
    pub sitting_id: i64,
    pub room_id: i64,
    pub state: String,
    pub batch_id: i64,
}

/// A room's log of a sitting.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct RoomLog {
    pub sitting_id: i64,
    pub room_id: i64,
    pub expected: i64,
    pub present: i64,
    pub absent: i64,
    pub machine_swaps: i64,
    pub power_cuts: i64,
    pub delay_minutes: i64,
    pub notes: String,
    pub invigilators: String,
    pub chief: String,
}

/// A violation case as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ViolationRow {
    pub id: i64,
    pub case_no: String,
    pub application_id: i64,
    pub sitting_id: i64,
    pub room_id: i64,
    pub seat_no: i64,
    pub subject: String,
    pub occurred_at: String,
    pub found_by: String,
    pub facts: String,
    pub clause: String,
    pub signed: i64,
    pub witnesses: String,
    pub evidence: String,
    pub step: String,
    pub recorded_on: String,
    pub notified_on: Option<String>,
    pub statement_on: Option<String>,
    pub statement: String,
    pub decided_on: Option<String>,
    pub served_on: Option<String>,
}

const VIOLATION_COLUMNS: &str = "id, case_no, application_id, sitting_id, room_id, seat_no, subject, \
     occurred_at, found_by, facts, clause, signed, witnesses, evidence, step, recorded_on, \
     notified_on, statement_on, statement, decided_on, served_on";

const CHUNK: usize = 10_000;

impl Tx {
    /// Every seat in use of the session's candidates with an admit card. Unordered.
    pub async fn exam_seats(&mut self, session_id: i64) -> Result<Vec<ExamSeat>> {
        self.bulk_rows(
            &[
                "t.application_id",
                "ac.card_no",
                "t.sitting_id",
                "t.room_id",
                "t.seat_no",
                "q.name",
                "q.level",
                "a.subjects",
                "a.exam_area",
                "s.code",
                "s.name",
                "r.number",
            ],
            "FROM seats t JOIN admit_cards ac ON ac.application_id = t.application_id \
             JOIN applications a ON a.id = t.application_id \
             JOIN qualifications q ON q.id = a.qualification_id \
             JOIN rooms r ON r.id = t.room_id JOIN sites s ON s.id = r.site_id \
             WHERE a.session_id = $1 AND t.released_batch IS NULL",
            session_id,
        )
        .await
    }

    /// Who these candidates are: (id, 报名序号, name, ID number, qualification, level), by id.
    pub async fn persons(
        &mut self,
        session_id: i64,
        ids: &[i64],
    ) -> Result<Vec<(i64, String, String, String, String, String)>> {
        let rest = format!(
            "FROM applications a JOIN qualifications q ON q.id = a.qualification_id \
             WHERE a.session_id = $1 AND a.id IN ({})",
            self.ids_in(2)
        );
        let json = serde_json::to_string(ids).expect("numbers serialise");
        let mut rows: Vec<(i64, String, String, String, String, String)> = self
            .bulk_rows_with(
                &[
                    "a.id",
                    "a.registration_no",
                    "a.name",
                    "a.id_number",
                    "q.name",
                    "q.level",
                ],
                &rest,
                session_id,
                Some(&json),
            )
            .await?;
        rows.sort();
        Ok(rows)
    }

    /// The session's attendance states. Unordered.
    pub async fn attendance(&mut self, session_id: i64) -> Result<Vec<AttendanceRow>> {
        self.bulk_rows(
            &[
                "t.application_id",
                "t.subject",
                "t.sitting_id",
                "t.room_id",
                "t.state",
                "t.batch_id",
            ],
            "FROM attendance t JOIN sittings st ON st.id = t.sitting_id WHERE st.session_id = $1",
            session_id,
        )
        .await
    }

    /// One candidate's attendance: (subject, state).
    pub async fn attendance_of(&mut self, application_id: i64) -> Result<Vec<(String, String)>> {
        Ok(with_conn!(self, |c| {
            sqlx::query_as("SELECT subject, state FROM attendance WHERE application_id = $1")
                .bind(application_id)
                .fetch_all(&mut *c)
                .await?
        }))
    }

    /// One candidate's violation cases, by case number.
    pub async fn violations_of(&mut self, application_id: i64) -> Result<Vec<ViolationRow>> {
        let sql = format!(
            "SELECT {VIOLATION_COLUMNS} FROM violations WHERE application_id = $1 ORDER BY case_no"
        );
        Ok(with_conn!(self, |c| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(application_id)
                .fetch_all(&mut *c)
                .await?
        }))
    }

    /// Stores attendance states, each (application, subject, sitting, room, state), as
    /// changed by `batch`. SQLite reads them as JSON in chunks; PostgreSQL as arrays in one
    /// statement: with JSON, storing 323,424 states took 6.2 s there, most of it reading the
    /// JSON element by element.
    pub async fn set_attendance(
        &mut self,
        batch: i64,
        rows: &[(i64, &str, i64, i64, &str)],
    ) -> Result<()> {
        if let Tx::Postgres(t) = self {
            let column = |i: usize| -> Vec<i64> {
                rows.iter()
                    .map(|r| match i {
                        0 => r.0,
                        2 => r.2,
                        _ => r.3,
                    })
                    .collect()
            };
            let (ids, sittings, rooms) = (column(0), column(2), column(3));
            let subjects: Vec<&str> = rows.iter().map(|r| r.1).collect();
            let states: Vec<&str> = rows.iter().map(|r| r.4).collect();
            sqlx::query(
                "INSERT INTO attendance (application_id, subject, sitting_id, room_id, state, batch_id) \
                 SELECT u.id, u.subject, u.sitting, u.room, u.state, $1 \
                 FROM UNNEST($2::BIGINT[], $3::TEXT[], $4::BIGINT[], $5::BIGINT[], $6::TEXT[]) \
                 AS u(id, subject, sitting, room, state) \
                 ON CONFLICT (application_id, subject) DO UPDATE SET sitting_id = EXCLUDED.sitting_id, \
                 room_id = EXCLUDED.room_id, state = EXCLUDED.state, batch_id = EXCLUDED.batch_id",
            )
            .bind(batch)
            .bind(&ids)
            .bind(&subjects)
            .bind(&sittings)
            .bind(&rooms)
            .bind(&states)
            .execute(&mut **t)
            .await?;
            return Ok(());
        }
        let Tx::Sqlite(t) = self else {
            unreachable!("PostgreSQL stored them above")
        };
        for chunk in rows.chunks(CHUNK) {
            let json = serde_json::to_string(chunk).expect("plain values serialise");
            sqlx::query(
                "INSERT INTO attendance (application_id, subject, sitting_id, room_id, state, batch_id) \
                 SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, $1 \
                 FROM json_each($2) WHERE true \
                 ON CONFLICT (application_id, subject) DO UPDATE SET sitting_id = excluded.sitting_id, \
                 room_id = excluded.room_id, state = excluded.state, batch_id = excluded.batch_id",
            )
            .bind(batch)
            .bind(&json)
            .execute(&mut **t)
            .await?;
        }
        Ok(())
    }

    /// Puts back the states `undone` set, each (application, subject, the state before or
    /// `None` when there was none); only states that `undone` still holds are touched. A state
    /// put back is held again by the batch that set it first (from the journal), so that
    /// batch can be undone in turn. Returns how many were.
    pub async fn restore_attendance(
        &mut self,
        undone: i64,
        batch: i64,
        rows: &[(i64, String, Option<String>)],
    ) -> Result<u64> {
        let mut done = 0;
        let (removed, restored): (Vec<_>, Vec<_>) = rows.iter().partition(|r| r.2.is_none());
        for chunk in removed.chunks(CHUNK) {
            let json = serde_json::to_string(chunk).expect("plain values serialise");
            let sql = match self {
                Tx::Sqlite(_) => {
                    "DELETE FROM attendance WHERE batch_id = $1 AND (application_id, subject) IN \
                     (SELECT value ->> 0, value ->> 1 FROM json_each($2))"
                }
                Tx::Postgres(_) => {
                    "DELETE FROM attendance WHERE batch_id = $1 AND (application_id, subject) IN \
                     (SELECT (v ->> 0)::BIGINT, v ->> 1 FROM json_array_elements($2::json) AS e(v))"
                }
            };
            done += with_conn!(self, |c| {
                sqlx::query(sql)
                    .bind(undone)
                    .bind(&json)
                    .execute(&mut *c)
                    .await?
                    .rows_affected()
            });
        }
        for chunk in restored.chunks(CHUNK) {
            let json = serde_json::to_string(chunk).expect("plain values serialise");
            let sql = match self {
                Tx::Sqlite(_) => {
                    "UPDATE attendance SET state = u.state, batch_id = COALESCE((SELECT MAX(j.batch_id) \
                     FROM journal j WHERE j.application_id = u.id AND j.field = 'attendance:' || u.subject \
                     AND j.batch_id < $1), $2) FROM \
                     (SELECT value ->> 0 AS id, value ->> 1 AS subject, value ->> 2 AS state FROM json_each($3)) AS u \
                     WHERE attendance.application_id = u.id AND attendance.subject = u.subject \
                     AND attendance.batch_id = $1"
                }
                Tx::Postgres(_) => {
                    "UPDATE attendance SET state = u.state, batch_id = COALESCE((SELECT MAX(j.batch_id) \
                     FROM journal j WHERE j.application_id = u.id AND j.field = 'attendance:' || u.subject \
                     AND j.batch_id < $1), $2) FROM \
                     (SELECT (v ->> 0)::BIGINT AS id, v ->> 1 AS subject, v ->> 2 AS state \
                      FROM json_array_elements($3::json) AS e(v)) AS u \
                     WHERE attendance.application_id = u.id AND attendance.subject = u.subject \
                     AND attendance.batch_id = $1"
                }
            };
            done += with_conn!(self, |c| {
                sqlx::query(sql)
                    .bind(undone)
                    .bind(batch)
                    .bind(&json)
                    .execute(&mut *c)
                    .await?
                    .rows_affected()
            });
        }
        Ok(done)
    }

    /// A fingerprint of the session's attendance as stored: (states, sum of their batches),
    /// taken when a file is read and again when its change is written, so that a change
    /// made in between by another operator is not overwritten unseen.
    pub async fn attendance_fingerprint(&mut self, session_id: i64) -> Result<(i64, i64)> {
        Ok(with_conn!(self, |c| {
            sqlx::query_as(
                "SELECT COUNT(*), CAST(COALESCE(SUM(t.batch_id), 0) AS BIGINT) FROM attendance t \
                 JOIN sittings st ON st.id = t.sitting_id WHERE st.session_id = $1",
            )
            .bind(session_id)
            .fetch_one(&mut *c)
            .await?
        }))
    }

    /// The session's room logs.
    pub async fn room_logs(&mut self, session_id: i64) -> Result<Vec<RoomLog>> {
        Ok(with_conn!(self, |c| {
            sqlx::query_as(
                "SELECT sitting_id, room_id, expected, present, absent, machine_swaps, power_cuts, \
                 delay_minutes, notes, invigilators, chief FROM room_logs WHERE session_id = $1 \
                 ORDER BY sitting_id, room_id",
            )
            .bind(session_id)
            .fetch_all(&mut *c)
            .await?
        }))
    }

    /// Stores a room's log of a sitting, replacing the one before.
    pub async fn put_room_log(&mut self, session_id: i64, batch: i64, l: &RoomLog) -> Result<()> {
        with_conn!(self, |c| {
            sqlx::query(
                "INSERT INTO room_logs (session_id, sitting_id, room_id, expected, present, absent, \
                 machine_swaps, power_cuts, delay_minutes, notes, invigilators, chief, import_batch) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                 ON CONFLICT (sitting_id, room_id) DO UPDATE SET expected = excluded.expected, \
                 present = excluded.present, absent = excluded.absent, \
                 machine_swaps = excluded.machine_swaps, power_cuts = excluded.power_cuts, \
                 delay_minutes = excluded.delay_minutes, notes = excluded.notes, \
                 invigilators = excluded.invigilators, chief = excluded.chief, \
                 import_batch = excluded.import_batch",
            )
            .bind(session_id)
            .bind(l.sitting_id)
            .bind(l.room_id)
            .bind(l.expected)
            .bind(l.present)
            .bind(l.absent)
            .bind(l.machine_swaps)
            .bind(l.power_cuts)
            .bind(l.delay_minutes)
            .bind(&l.notes)
            .bind(&l.invigilators)
            .bind(&l.chief)
            .bind(batch)
            .execute(&mut *c)
            .await?;
        });
        Ok(())
    }

    /// The session's violation cases, by case number.
    pub async fn violations(&mut self, session_id: i64) -> Result<Vec<ViolationRow>> {
        let sql = format!(
            "SELECT {VIOLATION_COLUMNS} FROM violations WHERE session_id = $1 ORDER BY case_no"
        );
        Ok(with_conn!(self, |c| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(session_id)
                .fetch_all(&mut *c)
                .await?
        }))
    }

    /// Records a new case (its `id` is ignored); returns its id.
    pub async fn insert_violation(
        &mut self,
        session_id: i64,
        batch: i64,
        v: &ViolationRow,
    ) -> Result<i64> {
        Ok(with_conn!(self, |c| {
            sqlx::query_scalar(
                "INSERT INTO violations (session_id, case_no, application_id, sitting_id, room_id, \
                 seat_no, subject, occurred_at, found_by, facts, clause, signed, witnesses, evidence, \
                 step, recorded_on, batch_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
                 RETURNING id",
            )
            .bind(session_id)
            .bind(&v.case_no)
            .bind(v.application_id)
            .bind(v.sitting_id)
            .bind(v.room_id)
            .bind(v.seat_no)
            .bind(&v.subject)
            .bind(&v.occurred_at)
            .bind(&v.found_by)
            .bind(&v.facts)
            .bind(&v.clause)
            .bind(v.signed)
            .bind(&v.witnesses)
            .bind(&v.evidence)
            .bind(&v.step)
            .bind(&v.recorded_on)
            .bind(batch)
            .fetch_one(&mut *c)
            .await?
        }))
    }

    /// Moves a case to its next step: the step, that step's date and, for 申辩, the
    /// statement's summary.
    pub async fn set_violation_step(
        &mut self,
        id: i64,
        batch: i64,
        step: &str,
        on: &str,
        statement: Option<&str>,
    ) -> Result<()> {
        let column = match step {
            "告知" => "notified_on",
            "申辩" => "statement_on",
            "决定" => "decided_on",
            _ => "served_on",
        };
        let sql = format!(
            "UPDATE violations SET step = $1, {column} = $2, statement = COALESCE($3, statement), \
             batch_id = $4 WHERE id = $5"
        );
        with_conn!(self, |c| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(step)
                .bind(on)
                .bind(statement)
                .bind(batch)
                .bind(id)
                .execute(&mut *c)
                .await?;
        });
        Ok(())
    }
}
