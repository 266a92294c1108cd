//! Review: the facts checks read, the flags they write, the selections reviews act on, the
//! conditional state changes with their journal rows, and the journal read back.
//!
//! State changes are set-based: one UPDATE names the (id, version) pairs the preview saw, so
//! an application that another operator changed meanwhile is left alone, and one INSERT ..
//! SELECT journals exactly the rows that changed, each with its own reason when the moves
//! have their own. The list travels as one JSON parameter on SQLite (json_each) and as
//! arrays on PostgreSQL (UNNEST).

use chrono::{NaiveDate, NaiveDateTime};

use super::{DbError, Result, Tx, with_conn};

/// What `review check` reads of an application, in [`Tx::bulk_rows`]' column order.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct CheckRow {
    pub id: i64,
    pub registration_no: String,
    pub exam_area: String,
    pub id_type: String,
    pub id_number: String,
    pub gender: String,
    pub birth_date: Option<NaiveDate>,
    pub mobile: String,
    pub email: String,
    pub address: String,
    pub photo: String,
    pub photo_path: String,
    pub photo_hash: String,
    pub photo_format: String,
    pub photo_width: i64,
    pub photo_height: i64,
    pub photo_bytes: i64,
    pub photo_border: i64,
    pub photo_problem: String,
    pub version: i64,
}

/// What a selection for review needs of an application, in [`Tx::bulk_rows`]' column order.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct SelRow {
    pub id: i64,
    pub registration_no: String,
    pub name: String,
    pub exam_area: String,
    pub qualification: String,
    pub level: String,
    pub status: String,
    pub version: i64,
    /// 1 when the last check saw this content (its flags are current), else 0.
    pub current: i64,
}

/// What a decision sheet shows of an application.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExportRow {
    pub id: i64,
    pub registration_no: String,
    pub name: String,
    pub id_type: String,
    pub id_number: String,
    pub gender: String,
    pub birth_date: Option<NaiveDate>,
    pub exam_area: String,
    pub qualification: String,
    pub level: String,
    pub subjects: String,
    pub employer: String,
    pub mobile: String,
    pub photo: String,
    pub submitted_at: Option<NaiveDateTime>,
}

/// A flag; read in [`Tx::bulk_rows`]' column order.
#[derive(Debug, Clone, sqlx::FromRow, serde::Deserialize)]
pub struct FlagRow {
    pub application_id: i64,
    pub code: String,
    pub severity: String,
    pub message: String,
}

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct BatchRow {
    pub id: i64,
    pub kind: String,
    pub operator: String,
    pub command: String,
    pub created_at: NaiveDateTime,
    pub summary: String,
    pub undoes: Option<i64>,
    /// The batch that undid this one, if any.
    pub undone_by: Option<i64>,
    pub changes: i64,
}

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct JournalRow {
    pub batch_id: i64,
    pub created_at: NaiveDateTime,
    pub operator: String,
    pub kind: String,
    pub application_id: i64,
    pub registration_no: String,
    pub name: String,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub reason: String,
}

/// (id, version) pairs as SQLite's json_each reads them.
fn json_pairs(list: &[(i64, i64)]) -> String {
    let mut s = String::with_capacity(list.len() * 16 + 2);
    s.push('[');
    for (i, (id, v)) in list.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!("[{id},{v}]"));
    }
    s.push(']');
    s
}

const JOURNAL_SELECT: &str = "SELECT j.batch_id, b.created_at, b.operator, b.kind, j.application_id, \
    a.registration_no, a.name, j.field, j.old_value, j.new_value, j.reason \
    FROM journal j JOIN batches b ON b.id = j.batch_id JOIN applications a ON a.id = j.application_id ";

impl Tx {
    pub async fn check_rows(&mut self, session_id: i64) -> Result<Vec<CheckRow>> {
        let columns = [
            "a.id",
            "a.registration_no",
            "a.exam_area",
            "a.id_type",
            "a.id_number",
            "a.gender",
            "a.birth_date",
            "a.mobile",
            "a.email",
            "a.address",
            "a.photo",
            "a.photo_path",
            "a.photo_hash",
            "a.photo_format",
            "a.photo_width",
            "a.photo_height",
            "a.photo_bytes",
            "a.photo_border",
            "a.photo_problem",
            "s.version",
        ];
        let mut rows: Vec<CheckRow> = self
            .bulk_rows(
                &columns,
                "FROM applications a JOIN application_states s ON s.application_id = a.id WHERE a.session_id = $1",
                session_id,
            )
            .await?;
        rows.sort_unstable_by_key(|r| r.id);
        Ok(rows)
    }

    /// Stores measured border lightness, each only if the photo is still the content it was
    /// measured on (a re-import may have replaced it meanwhile).
    pub async fn set_photo_borders(&mut self, rows: &[(i64, String, i64)]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        match self {
            Tx::Sqlite(t) => {
                let json = serde_json::to_string(rows).expect("numbers and hex strings");
                sqlx::query(
                    "UPDATE applications SET photo_border = json_extract(j.value, '$[2]') FROM json_each($1) AS j \
                     WHERE applications.id = json_extract(j.value, '$[0]') \
                     AND applications.photo_hash = json_extract(j.value, '$[1]')",
                )
                .bind(json)
                .execute(&mut **t)
                .await?;
            }
            Tx::Postgres(t) => {
                let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
                let hashes: Vec<String> = rows.iter().map(|r| r.1.clone()).collect();
                let borders: Vec<i64> = rows.iter().map(|r| r.2).collect();
                sqlx::query(
                    "UPDATE applications a SET photo_border = u.b \
                     FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::BIGINT[]) AS u(id, h, b) \
                     WHERE a.id = u.id AND a.photo_hash = u.h",
                )
                .bind(ids)
                .bind(hashes)
                .bind(borders)
                .execute(&mut **t)
                .await?;
            }
        }
        Ok(())
    }

    /// Replaces the session's flags with `flags`, and records the versions they describe.
    pub async fn replace_flags(
        &mut self,
        session_id: i64,
        flags: &[FlagRow],
        checked: &[(i64, i64)],
    ) -> Result<()> {
        with_conn!(self, |c| {
            sqlx::query("DELETE FROM flags WHERE application_id IN (SELECT id FROM applications WHERE session_id = $1)")
                .bind(session_id)
                .execute(&mut *c)
                .await?;
        });
        for chunk in flags.chunks(1000) {
            with_conn!(self, |c| {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO flags (application_id, code, severity, message) ",
                );
                qb.push_values(chunk, |mut b, f| {
                    b.push_bind(f.application_id)
                        .push_bind(f.code.as_str())
                        .push_bind(f.severity.as_str())
                        .push_bind(f.message.as_str());
                });
                qb.build().execute(&mut *c).await?;
            });
        }
        match self {
            Tx::Sqlite(t) => {
                sqlx::query(
                    "UPDATE application_states SET checked = 1 WHERE (application_id, version) IN \
                     (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each($1))",
                )
                .bind(json_pairs(checked))
                .execute(&mut **t)
                .await?;
            }
            Tx::Postgres(t) => {
                let (ids, versions): (Vec<i64>, Vec<i64>) = checked.iter().copied().unzip();
                sqlx::query(
                    "UPDATE application_states SET checked = 1 WHERE (application_id, version) IN \
                     (SELECT * FROM UNNEST($1::BIGINT[], $2::BIGINT[]))",
                )
                .bind(ids)
                .bind(versions)
                .execute(&mut **t)
                .await?;
            }
        }
        Ok(())
    }

    /// Every flag of the session, by application and code. Read as one value (a session's
    /// flags can be tens of thousands of rows).
    pub async fn flags(&mut self, session_id: i64) -> Result<Vec<FlagRow>> {
        let mut flags: Vec<FlagRow> = self
            .bulk_rows(
                &["f.application_id", "f.code", "f.severity", "f.message"],
                "FROM flags f JOIN applications a ON a.id = f.application_id WHERE a.session_id = $1",
                session_id,
            )
            .await?;
        flags
            .sort_unstable_by(|a, b| (a.application_id, &a.code).cmp(&(b.application_id, &b.code)));
        Ok(flags)
    }

    /// Every application of the session with what reviews select by, by 报名序号.
    pub async fn selection_rows(&mut self, session_id: i64) -> Result<Vec<SelRow>> {
        let columns = [
            "a.id",
            "a.registration_no",
            "a.name",
            "a.exam_area",
            "q.name",
            "q.level",
            "s.status",
            "s.version",
            "s.checked",
        ];
        let mut rows: Vec<SelRow> = self
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

    /// The fields a decision sheet shows, for every application of the session in `status`.
    pub async fn export_rows(&mut self, session_id: i64, status: &str) -> Result<Vec<ExportRow>> {
        Ok(with_conn!(self, |c| {
            sqlx::query_as(
                "SELECT a.id, a.registration_no, a.name, a.id_type, a.id_number, a.gender, a.birth_date, a.exam_area, \
                 q.name AS qualification, q.level, a.subjects, a.employer, a.mobile, a.photo, a.submitted_at \
                 FROM applications a JOIN qualifications q ON q.id = a.qualification_id \
                 JOIN application_states s ON s.application_id = a.id \
                 WHERE a.session_id = $1 AND s.status = $2 ORDER BY a.registration_no",
            )
            .bind(session_id)
            .bind(status)
            .fetch_all(&mut *c)
            .await?
        }))
    }

    /// Moves the listed applications from `from` to `to`, each only if it still has the
    /// version listed, and journals each move with `reason` (`status_reason` is what the
    /// application shows). Returns how many moved and the listed ids that did not (changed
    /// by someone else since they were listed).
    pub async fn transition(
        &mut self,
        batch: i64,
        list: &[(i64, i64)],
        from: &str,
        to: &str,
        reason: &str,
        status_reason: &str,
    ) -> Result<(usize, Vec<i64>)> {
        let moves = Moves::Shared {
            list,
            reason,
            shown: status_reason,
        };
        self.transition_moves(batch, moves, from, to).await
    }

    /// [`Tx::transition`] where each application has its own reason: `(id, version,
    /// reason)`, such as a rejection that names the application's own flags. The reason is
    /// also what the application shows when `shown`. All of them move in one statement,
    /// however many reasons there are.
    pub async fn transition_each(
        &mut self,
        batch: i64,
        list: &[(i64, i64, &str)],
        from: &str,
        to: &str,
        shown: bool,
    ) -> Result<(usize, Vec<i64>)> {
        self.transition_moves(batch, Moves::Each { list, shown }, from, to)
            .await
    }

    async fn transition_moves(
        &mut self,
        batch: i64,
        moves: Moves<'_>,
        from: &str,
        to: &str,
    ) -> Result<(usize, Vec<i64>)> {
        if moves.is_empty() {
            return Ok((0, Vec::new()));
        }
        match self {
            Tx::Sqlite(t) => transition_sqlite(t, batch, moves, from, to).await,
            Tx::Postgres(t) => transition_postgres(t, batch, moves, from, to).await,
        }
    }

    pub async fn batches(&mut self, session_id: i64) -> Result<Vec<BatchRow>> {
        Ok(with_conn!(self, |c| {
            sqlx::query_as(
                "SELECT b.id, b.kind, b.operator, b.command, b.created_at, b.summary, b.undoes, \
                 (SELECT MAX(u.id) FROM batches u WHERE u.undoes = b.id) AS undone_by, \
                 (SELECT COUNT(*) FROM journal j WHERE j.batch_id = b.id) AS changes \
                 FROM batches b WHERE b.session_id = $1 ORDER BY b.id",
            )
            .bind(session_id)
            .fetch_all(&mut *c)
            .await?
        }))
    }

    pub async fn journal_of_batch(&mut self, batch: i64) -> Result<Vec<JournalRow>> {
        let sql =
            format!("{JOURNAL_SELECT} WHERE j.batch_id = $1 ORDER BY a.registration_no, j.id");
        Ok(with_conn!(self, |c| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(batch)
                .fetch_all(&mut *c)
                .await?
        }))
    }

    pub async fn journal_of_application(
        &mut self,
        session_id: i64,
        registration_no: &str,
    ) -> Result<Vec<JournalRow>> {
        let sql = format!(
            "{JOURNAL_SELECT} WHERE a.session_id = $1 AND a.registration_no = $2 ORDER BY j.id"
        );
        Ok(with_conn!(self, |c| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(session_id)
                .bind(registration_no)
                .fetch_all(&mut *c)
                .await?
        }))
    }

    /// The last batch that changed each application of `batch`'s journal, with its version.
    pub async fn batch_members(
        &mut self,
        batch: i64,
    ) -> Result<Vec<(i64, String, Option<i64>, i64, String)>> {
        Ok(with_conn!(self, |c| {
            sqlx::query_as(
                "SELECT DISTINCT a.id, a.registration_no, s.last_batch, s.version, s.status \
                 FROM journal j JOIN applications a ON a.id = j.application_id \
                 JOIN application_states s ON s.application_id = a.id WHERE j.batch_id = $1",
            )
            .bind(batch)
            .fetch_all(&mut *c)
            .await?
        }))
    }
}

/// The applications a transition moves, each with the version its preview saw, and the
/// reason journalled for each.
#[derive(Clone, Copy)]
enum Moves<'a> {
    /// One reason for all; `shown` is the status reason they show.
    Shared {
        list: &'a [(i64, i64)],
        reason: &'a str,
        shown: &'a str,
    },
    /// Each its own reason, shown too when `shown`.
    Each {
        list: &'a [(i64, i64, &'a str)],
        shown: bool,
    },
}

impl Moves<'_> {
    fn len(&self) -> usize {
        match self {
            Moves::Shared { list, .. } => list.len(),
            Moves::Each { list, .. } => list.len(),
        }
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn ids(&self) -> Vec<i64> {
        match self {
            Moves::Shared { list, .. } => list.iter().map(|m| m.0).collect(),
            Moves::Each { list, .. } => list.iter().map(|m| m.0).collect(),
        }
    }

    fn versions(&self) -> Vec<i64> {
        match self {
            Moves::Shared { list, .. } => list.iter().map(|m| m.1).collect(),
            Moves::Each { list, .. } => list.iter().map(|m| m.1).collect(),
        }
    }

    /// The reason journalled for a move without its own, and the status reason shown by
    /// every move (None: each shows its own).
    fn shared(&self) -> (&str, Option<&str>) {
        match *self {
            Moves::Shared { reason, shown, .. } => (reason, Some(shown)),
            Moves::Each { shown: true, .. } => ("", None),
            Moves::Each { shown: false, .. } => ("", Some("")),
        }
    }

    /// Move `i`: its id, the version its preview saw, and its own reason if it has one.
    fn get(&self, i: usize) -> (i64, i64, Option<&str>) {
        match self {
            Moves::Shared { list, .. } => (list[i].0, list[i].1, None),
            Moves::Each { list, .. } => (list[i].0, list[i].1, Some(list[i].2)),
        }
    }
}

/// Rows per INSERT into SQLite's `temp.moving`: three values a row.
const MOVING_CHUNK: usize = 500;

/// [`Tx::transition`] on PostgreSQL. The UPDATE hands its rows to the INSERT in one
/// statement: the probe form met stale statistics after a bulk import and ran for minutes.
/// The moves travel as arrays; UNNEST pads the reasons with NULL when they are shared.
async fn transition_postgres(
    t: &mut sqlx::Transaction<'static, sqlx::Postgres>,
    batch: i64,
    moves: Moves<'_>,
    from: &str,
    to: &str,
) -> Result<(usize, Vec<i64>)> {
    let ids = moves.ids();
    let reasons: Vec<&str> = match moves {
        Moves::Shared { .. } => Vec::new(),
        Moves::Each { list, .. } => list.iter().map(|m| m.2).collect(),
    };
    let (reason, shown) = moves.shared();
    let moved = sqlx::query(
        "WITH moved AS (UPDATE application_states s SET status = $1, \
         status_reason = COALESCE($2, u.r), version = s.version + 1, last_batch = $3 \
         FROM UNNEST($5::BIGINT[], $6::BIGINT[], $7::TEXT[]) AS u(id, v, r) \
         WHERE s.application_id = u.id AND s.version = u.v AND s.status = $4 \
         RETURNING s.application_id, u.r) \
         INSERT INTO journal (batch_id, application_id, field, old_value, new_value, reason) \
         SELECT $3, application_id, 'status', $4, $1, COALESCE(r, $8) FROM moved",
    )
    .bind(to)
    .bind(shown)
    .bind(batch)
    .bind(from)
    .bind(&ids)
    .bind(moves.versions())
    .bind(reasons)
    .bind(reason)
    .execute(&mut **t)
    .await?
    .rows_affected() as usize;
    if moved == moves.len() {
        return Ok((moved, Vec::new()));
    }
    let missed: Vec<i64> = sqlx::query_scalar(
        "SELECT u.id FROM UNNEST($1::BIGINT[]) AS u(id) WHERE u.id NOT IN \
         (SELECT application_id FROM application_states WHERE last_batch = $2 AND status = $3)",
    )
    .bind(ids)
    .bind(batch)
    .bind(to)
    .fetch_all(&mut **t)
    .await?;
    Ok((moved, missed))
}

/// [`Tx::transition`] on SQLite. The list goes into a temporary table; the journal rows are
/// written from it first, then the UPDATE moves the same rows: the write lock is held
/// throughout and nothing in between changes a state, and the two counts are compared.
/// (Journalling after the UPDATE needed a scan for the batch's rows in `to` and a NOT EXISTS
/// probe for those an earlier call of the batch had journalled: a third of an approval.)
async fn transition_sqlite(
    t: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    batch: i64,
    moves: Moves<'_>,
    from: &str,
    to: &str,
) -> Result<(usize, Vec<i64>)> {
    let c = &mut **t;
    let (reason, shown) = moves.shared();
    let mut t = crate::commands::progress::Phases::new();
    sqlx::query("DROP TABLE IF EXISTS temp.moving")
        .execute(&mut *c)
        .await?;
    sqlx::query(
        "CREATE TEMP TABLE moving (application_id INTEGER PRIMARY KEY, seen INTEGER NOT NULL, reason TEXT)",
    )
    .execute(&mut *c)
    .await?;
    // The moves go in as bound numbers, 500 rows a statement. As one JSON text read with
    // json_each and `->>` they took 0.2 s for 190,000 applications: each `->>` parses its
    // element again.
    let mut start = 0;
    while start < moves.len() {
        let n = MOVING_CHUNK.min(moves.len() - start);
        let mut sql =
            String::from("INSERT INTO temp.moving (application_id, seen, reason) VALUES ");
        for i in 0..n {
            sql.push_str(if i == 0 { "(?, ?, ?)" } else { ", (?, ?, ?)" });
        }
        sql.push_str(" ON CONFLICT (application_id) DO NOTHING");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for i in start..start + n {
            let (id, version, reason) = moves.get(i);
            q = q.bind(id).bind(version).bind(reason);
        }
        q.execute(&mut *c).await?;
        start += n;
    }
    t.mark("  moves into temp.moving");
    let journalled = sqlx::query(
        "INSERT INTO journal (batch_id, application_id, field, old_value, new_value, reason) \
         SELECT $1, s.application_id, 'status', $2, $3, COALESCE(m.reason, $4) FROM temp.moving m \
         JOIN application_states s ON s.application_id = m.application_id \
         WHERE s.version = m.seen AND s.status = $2",
    )
    .bind(batch)
    .bind(from)
    .bind(to)
    .bind(reason)
    .execute(&mut *c)
    .await?
    .rows_affected();
    t.mark("  journal");
    let moved = sqlx::query(
        "UPDATE application_states SET status = $1, status_reason = COALESCE($2, m.reason), \
         version = version + 1, last_batch = $3 \
         FROM temp.moving m WHERE application_states.application_id = m.application_id \
         AND application_states.version = m.seen AND application_states.status = $4",
    )
    .bind(to)
    .bind(shown)
    .bind(batch)
    .bind(from)
    .execute(&mut *c)
    .await?
    .rows_affected();
    t.mark("  update");
    if moved != journalled {
        return Err(DbError::Sql(sqlx::Error::Protocol(format!(
            "{moved} applications moved from {from} to {to}, but {journalled} were journalled"
        ))));
    }
    let missed: Vec<i64> = if moved as usize == moves.len() {
        Vec::new()
    } else {
        sqlx::query_scalar(
            "SELECT m.application_id FROM temp.moving m LEFT JOIN application_states s \
             ON s.application_id = m.application_id AND s.last_batch = $1 AND s.status = $2 \
             WHERE s.application_id IS NULL",
        )
        .bind(batch)
        .bind(to)
        .fetch_all(&mut *c)
        .await?
    };
    sqlx::query("DROP TABLE temp.moving")
        .execute(&mut *c)
        .await?;
    Ok((moved as usize, missed))
}
