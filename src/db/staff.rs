//! Exam staff: the people, the session's staffing rules, what the rooms in use hold (for
//! the posts and the 交叉监考 and 回避 rules), the posts held, assignments and declines.

use super::{Result, Tx, with_conn};

/// A person on the staff list, as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StaffRecord {
    pub id: i64,
    pub staff_no: String,
    pub name: String,
    pub id_number: String,
    pub employer: String,
    pub phone: String,
    pub gender: String,
    pub roles: String,
    pub available: String,
    pub cap_day: Option<i64>,
    pub cap_total: Option<i64>,
    /// The exam area (考区) they work in; empty: any.
    pub exam_area: String,
    pub must_sites: String,
    pub not_sites: String,
    pub relatives: String,
    pub experience: i64,
    pub bank_card: String,
}

/// A site of the session.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StaffSite {
    pub id: i64,
    pub exam_area: String,
    pub code: String,
    pub name: String,
    pub address: String,
}

/// A room with candidates in a sitting.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RoomLoadRow {
    pub sitting_id: i64,
    pub site_id: i64,
    pub room_id: i64,
    pub number: i64,
    pub computer: i64,
    pub seated: i64,
}

/// A candidate in a room at a sitting: what the employer and relative rules look at.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RoomCandidate {
    pub sitting_id: i64,
    pub room_id: i64,
    pub employer: String,
    pub id_number: String,
}

/// A post held (or held once, when released).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PostRow {
    pub id: i64,
    pub sitting_id: i64,
    pub site_id: i64,
    pub room_id: i64,
    pub role: String,
    pub slot: i64,
    pub staff_id: i64,
    pub assignment_id: Option<i64>,
    pub batch_id: i64,
    pub released_batch: Option<i64>,
}

/// A post to store.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NewPost {
    pub sitting_id: i64,
    pub site_id: i64,
    /// 0 for a post of the whole site.
    pub room_id: i64,
    pub role: &'static str,
    pub slot: i64,
    pub staff_id: i64,
}

/// A stored run of `staff assign`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AssignmentRow {
    pub id: i64,
    pub batch_id: i64,
    pub seed: String,
    pub fingerprint: String,
}

const STAFF_COLUMNS: &str = "id, staff_no, name, id_number, employer, phone, gender, roles, \
    available, cap_day, cap_total, exam_area, must_sites, not_sites, relatives, experience, bank_card";

impl Tx {
    /// The staff list, by staff number.
    pub async fn staff(&mut self, session_id: i64) -> Result<Vec<StaffRecord>> {
        let sql = format!("SELECT {STAFF_COLUMNS} FROM staff WHERE session_id = $1");
        let mut rows: Vec<StaffRecord> = with_conn!(self, |c| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(session_id)
                .fetch_all(&mut *c)
                .await?
        });
        rows.sort_by(|a, b| a.staff_no.cmp(&b.staff_no));
        Ok(rows)
    }

    /// Adds a person (`id` ignored) or updates the one with this ID number; returns its id.
    pub async fn upsert_staff(&mut self, session_id: i64, r: &StaffRecord) -> Result<i64> {
        Ok(with_conn!(self, |c| {
            sqlx::query_scalar(
                "INSERT INTO staff (session_id, staff_no, name, id_number, employer, phone, gender, \
                 roles, available, cap_day, cap_total, must_sites, not_sites, relatives, experience, \
                 bank_card, exam_area) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
                 $14, $15, $16, $17) \
                 ON CONFLICT (session_id, id_number) DO UPDATE SET staff_no = excluded.staff_no, \
                 name = excluded.name, \
                 employer = excluded.employer, phone = excluded.phone, gender = excluded.gender, \
                 roles = excluded.roles, available = excluded.available, cap_day = excluded.cap_day, \
                 cap_total = excluded.cap_total, must_sites = excluded.must_sites, \
                 not_sites = excluded.not_sites, relatives = excluded.relatives, \
                 experience = excluded.experience, bank_card = excluded.bank_card, \
                 exam_area = excluded.exam_area RETURNING id",
            )
            .bind(session_id)
            .bind(&r.staff_no)
            .bind(&r.name)
            .bind(&r.id_number)
            .bind(&r.employer)
            .bind(&r.phone)
            .bind(&r.gender)
            .bind(&r.roles)
            .bind(&r.available)
            .bind(r.cap_day)
            .bind(r.cap_total)
            .bind(&r.must_sites)
            .bind(&r.not_sites)
            .bind(&r.relatives)
            .bind(r.experience)
            .bind(&r.bank_card)
            .bind(&r.exam_area)
            .fetch_one(&mut *c)
            .await?
        }))
    }

    /// The session's staffing rules as set, by key.
    pub async fn staff_rules(&mut self, session_id: i64) -> Result<Vec<(String, String)>> {
        let mut rows: Vec<(String, String)> = with_conn!(self, |c| {
            sqlx::query_as("SELECT key, value FROM staff_rules WHERE session_id = $1")
                .bind(session_id)
                .fetch_all(&mut *c)
                .await?
        });
        rows.sort();
        Ok(rows)
    }

    pub async fn set_staff_rule(&mut self, session_id: i64, key: &str, value: &str) -> Result<()> {
        with_conn!(self, |c| {
            sqlx::query(
                "INSERT INTO staff_rules (session_id, key, value) VALUES ($1, $2, $3) \
                 ON CONFLICT (session_id, key) DO UPDATE SET value = excluded.value",
            )
            .bind(session_id)
            .bind(key)
            .bind(value)
            .execute(&mut *c)
            .await?;
        });
        Ok(())
    }

    /// The session's sites, by exam area and code (compared here: the backends' text orders
    /// differ).
    pub async fn staff_sites(&mut self, session_id: i64) -> Result<Vec<StaffSite>> {
        let mut rows: Vec<StaffSite> = with_conn!(self, |c| {
            sqlx::query_as(
                "SELECT id, exam_area, code, name, address FROM sites WHERE session_id = $1",
            )
            .bind(session_id)
            .fetch_all(&mut *c)
            .await?
        });
        rows.sort_by(|a, b| (&a.exam_area, &a.code).cmp(&(&b.exam_area, &b.code)));
        Ok(rows)
    }

    /// The rooms with seats in use at each sitting, and how many.
    pub async fn room_loads(&mut self, session_id: i64) -> Result<Vec<RoomLoadRow>> {
        let mut rows: Vec<RoomLoadRow> = with_conn!(self, |c| {
            sqlx::query_as(
                "SELECT st.sitting_id, r.site_id, st.room_id, r.number, r.computer, COUNT(*) AS seated \
                 FROM seats st JOIN rooms r ON r.id = st.room_id JOIN sites s ON s.id = r.site_id \
                 WHERE s.session_id = $1 AND st.released_batch IS NULL \
                 GROUP BY st.sitting_id, r.site_id, st.room_id, r.number, r.computer",
            )
            .bind(session_id)
            .fetch_all(&mut *c)
            .await?
        });
        rows.sort_by_key(|r| (r.sitting_id, r.site_id, r.number));
        Ok(rows)
    }

    /// Every seated candidate's employer and ID number, by sitting and room.
    pub async fn room_candidates(&mut self, session_id: i64) -> Result<Vec<RoomCandidate>> {
        Ok(with_conn!(self, |c| {
            sqlx::query_as(
                "SELECT st.sitting_id, st.room_id, a.employer, a.id_number \
                 FROM seats st JOIN applications a ON a.id = st.application_id \
                 WHERE a.session_id = $1 AND st.released_batch IS NULL",
            )
            .bind(session_id)
            .fetch_all(&mut *c)
            .await?
        }))
    }

    /// The posts of the session: in use only, or every one ever held.
    pub async fn staff_posts(&mut self, session_id: i64, all: bool) -> Result<Vec<PostRow>> {
        let sql = format!(
            "SELECT id, sitting_id, site_id, room_id, role, slot, staff_id, assignment_id, batch_id, \
             released_batch FROM staff_posts WHERE session_id = $1{}",
            if all {
                ""
            } else {
                " AND released_batch IS NULL"
            }
        );
        let mut rows: Vec<PostRow> = with_conn!(self, |c| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(session_id)
                .fetch_all(&mut *c)
                .await?
        });
        rows.sort_by_key(|r| r.id);
        Ok(rows)
    }

    pub async fn staff_assignments(&mut self, session_id: i64) -> Result<Vec<AssignmentRow>> {
        Ok(with_conn!(self, |c| {
            sqlx::query_as(
                "SELECT id, batch_id, seed, fingerprint FROM staff_assignments \
                 WHERE session_id = $1 ORDER BY id",
            )
            .bind(session_id)
            .fetch_all(&mut *c)
            .await?
        }))
    }

    pub async fn insert_staff_assignment(
        &mut self,
        session_id: i64,
        batch: i64,
        seed: &str,
        fingerprint: &str,
    ) -> Result<i64> {
        Ok(with_conn!(self, |c| {
            sqlx::query_scalar(
                "INSERT INTO staff_assignments (session_id, batch_id, seed, fingerprint) \
                 VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(session_id)
            .bind(batch)
            .bind(seed)
            .bind(fingerprint)
            .fetch_one(&mut *c)
            .await?
        }))
    }

    /// Stores posts held from `batch` (by `assignment`, when a run of `staff assign`).
    pub async fn insert_posts(
        &mut self,
        session_id: i64,
        batch: i64,
        assignment: Option<i64>,
        posts: &[NewPost],
    ) -> Result<()> {
        for chunk in posts.chunks(5_000) {
            let json = serde_json::to_string(
                &chunk
                    .iter()
                    .map(|p| {
                        (
                            p.sitting_id,
                            p.site_id,
                            p.room_id,
                            p.role,
                            p.slot,
                            p.staff_id,
                        )
                    })
                    .collect::<Vec<_>>(),
            )
            .expect("values serialise");
            let sql = match self {
                Tx::Sqlite(_) => {
                    "INSERT INTO staff_posts (session_id, sitting_id, site_id, room_id, role, slot, \
                     staff_id, assignment_id, batch_id) \
                     SELECT $1, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, \
                     value ->> 5, $2, $3 FROM json_each($4)"
                }
                Tx::Postgres(_) => {
                    "INSERT INTO staff_posts (session_id, sitting_id, site_id, room_id, role, slot, \
                     staff_id, assignment_id, batch_id) \
                     SELECT $1, (v ->> 0)::BIGINT, (v ->> 1)::BIGINT, (v ->> 2)::BIGINT, v ->> 3, \
                     (v ->> 4)::BIGINT, (v ->> 5)::BIGINT, $2, $3 \
                     FROM json_array_elements($4::json) AS e(v)"
                }
            };
            with_conn!(self, |c| {
                sqlx::query(sql)
                    .bind(session_id)
                    .bind(assignment)
                    .bind(batch)
                    .bind(&json)
                    .execute(&mut *c)
                    .await?;
            });
        }
        Ok(())
    }

    /// Releases posts in use by id; returns how many were still in use.
    pub async fn release_posts(&mut self, batch: i64, ids: &[i64]) -> Result<u64> {
        let mut n = 0;
        for chunk in ids.chunks(5_000) {
            let json = serde_json::to_string(chunk).expect("numbers serialise");
            let sql = match self {
                Tx::Sqlite(_) => {
                    "UPDATE staff_posts SET released_batch = $1 WHERE released_batch IS NULL \
                     AND id IN (SELECT value FROM json_each($2))"
                }
                Tx::Postgres(_) => {
                    "UPDATE staff_posts SET released_batch = $1 WHERE released_batch IS NULL \
                     AND id IN (SELECT (v #>> '{}')::BIGINT FROM json_array_elements($2::json) AS e(v))"
                }
            };
            n += with_conn!(self, |c| {
                sqlx::query(sql)
                    .bind(batch)
                    .bind(&json)
                    .execute(&mut *c)
                    .await?
                    .rows_affected()
            });
        }
        Ok(n)
    }

    /// Undoes a staff batch: the posts it gave are released by `batch`, those it released are
    /// held again, its declines are forgotten. Returns the posts changed.
    pub async fn undo_staff_batch(&mut self, undone: i64, batch: i64) -> Result<u64> {
        Ok(with_conn!(self, |c| {
            let released = sqlx::query(
                "UPDATE staff_posts SET released_batch = $2 WHERE batch_id = $1 AND released_batch IS NULL",
            )
            .bind(undone)
            .bind(batch)
            .execute(&mut *c)
            .await?
            .rows_affected();
            let restored = sqlx::query(
                "UPDATE staff_posts SET released_batch = NULL WHERE released_batch = $1",
            )
            .bind(undone)
            .execute(&mut *c)
            .await?
            .rows_affected();
            sqlx::query("DELETE FROM staff_declines WHERE batch_id = $1")
                .bind(undone)
                .execute(&mut *c)
                .await?;
            released + restored
        }))
    }

    /// The posts a staff batch gave that are still held, and those it released: what its
    /// undo changes; and posts it gave that a later batch released (which stop the undo).
    pub async fn staff_batch_posts(&mut self, batch: i64) -> Result<(i64, i64, Vec<i64>)> {
        let (placed, released): (i64, i64) = with_conn!(self, |c| {
            sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM staff_posts WHERE batch_id = $1 AND released_batch IS NULL), \
                 (SELECT COUNT(*) FROM staff_posts WHERE released_batch = $1)",
            )
            .bind(batch)
            .fetch_one(&mut *c)
            .await?
        });
        let mut later: Vec<i64> = with_conn!(self, |c| {
            sqlx::query_scalar(
                "SELECT DISTINCT released_batch FROM staff_posts WHERE batch_id = $1 \
                 AND released_batch IS NOT NULL AND released_batch <> $1",
            )
            .bind(batch)
            .fetch_all(&mut *c)
            .await?
        });
        later.sort_unstable();
        Ok((placed, released, later))
    }

    /// Records that a person declined these sittings.
    pub async fn insert_declines(
        &mut self,
        staff_id: i64,
        sittings: &[i64],
        batch: i64,
    ) -> Result<()> {
        for s in sittings {
            with_conn!(self, |c| {
                sqlx::query(
                    "INSERT INTO staff_declines (staff_id, sitting_id, batch_id) VALUES ($1, $2, $3) \
                     ON CONFLICT (staff_id, sitting_id) DO NOTHING",
                )
                .bind(staff_id)
                .bind(s)
                .bind(batch)
                .execute(&mut *c)
                .await?;
            });
        }
        Ok(())
    }

    /// Who declined which sitting.
    pub async fn staff_declines(&mut self, session_id: i64) -> Result<Vec<(i64, i64)>> {
        let mut rows: Vec<(i64, i64)> = with_conn!(self, |c| {
            sqlx::query_as(
                "SELECT d.staff_id, d.sitting_id FROM staff_declines d JOIN staff p ON p.id = d.staff_id \
                 WHERE p.session_id = $1",
            )
            .bind(session_id)
            .fetch_all(&mut *c)
            .await?
        });
        rows.sort_unstable();
        Ok(rows)
    }
}
