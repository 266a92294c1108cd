//! Review: the facts checks read, the flags they write, the selections reviews act on, the
//! conditional state changes with their journal rows, and the journal read back.
//!
//! State changes are set-based: one UPDATE names the (id, version) pairs the preview saw, so
//! an application that another operator changed meanwhile is left alone, and one INSERT ..
//! SELECT journals exactly the rows that changed, each with its own reason when the moves
//! have their own. A list made in kaowu travels as bound rows into a temporary table on
//! SQLite and as arrays on PostgreSQL (UNNEST); `review approve` and `review reject` choose
//! their applications inside the database ([`Tx::choose`]), and nothing travels.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use sqlx::Row;

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

    /// Fills the temporary table `chosen` with every application of the session that `c`
    /// selects: its version, status, error flags, and why it is skipped (NULL: it moves)
    /// with the reason it moves with. Returns how many were selected. The table lives until
    /// the transaction ends on PostgreSQL, and until [`Tx::drop_chosen`] on SQLite.
    pub async fn choose(&mut self, session_id: i64, c: &Choice<'_>) -> Result<u64> {
        let pg = matches!(self, Tx::Postgres(_));
        let (sql, binds) = choose_sql(pg, session_id, c);
        let (table, create) = chosen_table(pg);
        let chosen = with_conn!(self, |c| {
            sqlx::query(table).execute(&mut *c).await?;
            sqlx::query(create).execute(&mut *c).await?;
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for b in binds {
                q = match b {
                    Bound::Int(i) => q.bind(i),
                    Bound::Text(t) => q.bind(t),
                };
            }
            q.execute(&mut *c).await?.rows_affected()
        });
        if let Tx::Postgres(t) = self {
            // A fresh temporary table has no statistics; the moves join it to 200,000 rows.
            // Its size is counted whatever the columns; what the plans need beyond it is how
            // many rows pass `why IS NULL AND status = $4` (without, 0.5% of 0.5% of them).
            // Sampling only those two columns took 38-41 ms against 97-108 ms for all eight
            // (190,101 rows), and the moves', the summary's and the misses' plans are the same.
            sqlx::query("ANALYZE chosen (why, status)")
                .execute(&mut **t)
                .await?;
        }
        Ok(chosen)
    }

    /// What the applications in `chosen` would go through.
    pub async fn chosen_summary(&mut self) -> Result<ChosenSummary> {
        // PostgreSQL sorts text by the database's collation; 报名序号 sort as bytes.
        let by_no = if matches!(self, Tx::Postgres(_)) {
            "registration_no COLLATE \"C\""
        } else {
            "registration_no"
        };
        let mut out = ChosenSummary::default();
        let skipped: Vec<(String, String, i64)>;
        let groups: Vec<(String, String, i64, i64)> = match self {
            // SQLite has no hash aggregate: a GROUP BY sorts all 190,000 moves of a bulk
            // approval (0.17-0.21 s) for a handful of groups. Counting them into a table keyed
            // by the group takes half that (an UPSERT per row into a table of a few rows).
            Tx::Sqlite(t) => {
                for sql in [
                    "DROP TABLE IF EXISTS temp.chosen_groups",
                    "CREATE TEMP TABLE chosen_groups (status TEXT NOT NULL, exam_area TEXT NOT NULL, \
                     n INTEGER NOT NULL, errors INTEGER NOT NULL, PRIMARY KEY (status, exam_area)) WITHOUT ROWID",
                    "INSERT INTO chosen_groups (status, exam_area, n, errors) \
                     SELECT status, exam_area, 1, has_errors FROM chosen WHERE why IS NULL \
                     ON CONFLICT (status, exam_area) DO UPDATE SET n = n + 1, errors = errors + excluded.errors",
                ] {
                    sqlx::query(sql).execute(&mut **t).await?;
                }
                let groups =
                    sqlx::query_as("SELECT status, exam_area, n, errors FROM chosen_groups")
                        .fetch_all(&mut **t)
                        .await?;
                sqlx::query("DROP TABLE temp.chosen_groups")
                    .execute(&mut **t)
                    .await?;
                groups
            }
            Tx::Postgres(t) => sqlx::query_as(
                "SELECT status, exam_area, COUNT(*), CAST(SUM(has_errors) AS BIGINT) FROM chosen \
                     WHERE why IS NULL GROUP BY status, exam_area",
            )
            .fetch_all(&mut **t)
            .await?,
        };
        (out.examples, skipped) = with_conn!(self, |c| {
            (
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT c.registration_no, a.name, c.exam_area, q.name, c.reason \
                     FROM (SELECT application_id, registration_no, exam_area, reason FROM chosen \
                     WHERE why IS NULL ORDER BY {by_no} LIMIT 5) AS c \
                     JOIN applications a ON a.id = c.application_id \
                     JOIN qualifications q ON q.id = a.qualification_id ORDER BY c.{by_no}"
                )))
                .fetch_all(&mut *c)
                .await?,
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT why, registration_no, n FROM (SELECT why, registration_no, \
                     ROW_NUMBER() OVER (PARTITION BY why ORDER BY {by_no}) AS rn, \
                     COUNT(*) OVER (PARTITION BY why) AS n FROM chosen WHERE why IS NOT NULL) AS x \
                     WHERE rn <= 5 ORDER BY why, rn"
                )))
                .fetch_all(&mut *c)
                .await?,
            )
        });
        for (status, area, n, forced) in groups {
            *out.by_status.entry(status).or_default() += n;
            *out.by_exam_area.entry(area).or_default() += n;
            out.forced += forced;
        }
        for (why, no, n) in skipped {
            match out.skipped.last_mut() {
                Some(last) if last.0 == why => last.2.push(no),
                _ => out.skipped.push((why, n, vec![no])),
            }
        }
        Ok(out)
    }

    /// The applications in `chosen` that move, by 报名序号.
    pub async fn chosen_moves(&mut self) -> Result<Vec<ChosenMove>> {
        let mut moves: Vec<ChosenMove> = self
            .bulk_rows(
                &[
                    "application_id",
                    "seen",
                    "status",
                    "registration_no",
                    "exam_area",
                    "reason",
                    "has_errors",
                ],
                "FROM chosen WHERE why IS NULL AND application_id > $1",
                0,
            )
            .await?;
        moves.sort_unstable_by(|a, b| a.registration_no.cmp(&b.registration_no));
        Ok(moves)
    }

    /// Moves the applications in `chosen` that are in `from` and not skipped to `to`, each
    /// only if it still has the version chosen, and journals each with its reason (which
    /// the application shows too when `shown`). Returns how many moved and the ids that did
    /// not (changed by someone else since they were chosen).
    pub async fn transition_chosen(
        &mut self,
        batch: i64,
        from: &str,
        to: &str,
        shown: bool,
        expected: usize,
    ) -> Result<(usize, Vec<i64>)> {
        let shown = if shown { None } else { Some("") };
        let rows = Rows::Chosen(expected);
        match self {
            Tx::Sqlite(t) => move_sqlite(t, batch, rows, from, to, "", shown).await,
            Tx::Postgres(t) => {
                let rows = PgRows::Chosen(expected);
                move_postgres(t, batch, rows, from, to, "", shown).await
            }
        }
    }

    /// Drops `chosen` (PostgreSQL drops it at the end of the transaction).
    pub async fn drop_chosen(&mut self) -> Result<()> {
        if let Tx::Sqlite(t) = self {
            sqlx::query("DROP TABLE IF EXISTS temp.chosen")
                .execute(&mut **t)
                .await?;
        }
        Ok(())
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

/// What `review approve` and `review reject` act on, chosen inside the database into the
/// temporary table `chosen`: the selection's filters, and the rules the decision follows,
/// each rule with the words the preview gives for an application it skips. Choosing in SQL
/// keeps 200,000 applications from travelling to kaowu and back as (id, version) pairs.
#[derive(Debug, Default)]
pub struct Choice<'a> {
    /// `--ids`: the registration numbers named, as a JSON array.
    pub registration_nos: Option<String>,
    /// `--flag`: the flag codes named, as a JSON array.
    pub flags: Option<String>,
    pub clean: bool,
    pub errors: bool,
    pub exam_area: Option<&'a str>,
    pub qualification: Option<&'a str>,
    pub level: Option<&'a str>,
    /// The statuses the decision does not move, each with why.
    pub refused: Vec<(&'static str, &'static str)>,
    /// Why an application that changed since its last check is skipped (approvals only).
    pub unchecked: Option<&'static str>,
    /// Why an application with error flags is skipped (approvals without --force).
    pub with_errors: Option<&'static str>,
    /// The journal reason of an approval forced past error flags, before their codes.
    pub forced: Option<&'static str>,
    /// The reason of a rejection: given, or else the error flags' messages.
    pub reason: Option<&'a str>,
    /// Why a rejection with neither is skipped (rejections only).
    pub no_reason: Option<&'static str>,
}

/// What the applications in `chosen` would go through: the preview's figures.
#[derive(Debug, Default)]
pub struct ChosenSummary {
    /// From-status -> how many move.
    pub by_status: BTreeMap<String, i64>,
    pub by_exam_area: BTreeMap<String, i64>,
    /// Moves past error flags (approvals with --force).
    pub forced: i64,
    /// The first five moves by 报名序号: number, name, exam area, qualification, reason.
    pub examples: Vec<(String, String, String, String, String)>,
    /// Why -> how many skipped, and the first five numbers.
    pub skipped: Vec<(String, i64, Vec<String>)>,
}

/// A move out of `chosen`, in [`Tx::bulk_rows`]' column order.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ChosenMove {
    pub id: i64,
    pub version: i64,
    pub status: String,
    pub registration_no: String,
    pub exam_area: String,
    pub reason: String,
    /// 1 when it moves past error flags.
    pub forced: i64,
}

/// A value bound to a statement that kaowu puts together from parts.
enum Bound {
    Int(i64),
    Text(String),
}

/// The parameters of a statement being put together, numbered $1, $2, ... in the order
/// they are bound.
struct Params(Vec<Bound>);

impl Params {
    fn bind(&mut self, b: Bound) -> String {
        self.0.push(b);
        format!("${}", self.0.len())
    }
}

/// The error flags' codes or messages of application `x`, in the order of their codes;
/// only for the applications that have some (an aggregate per application costs a sort
/// each).
fn error_flags_joined(pg: bool, what: &str, sep: &str) -> String {
    let agg = if pg { "string_agg" } else { "group_concat" };
    format!(
        "(SELECT {agg}(f.{what}, '{sep}' ORDER BY f.code) FROM flags f \
         WHERE f.application_id = x.id AND f.severity = 'error')"
    )
}

/// The texts of the JSON array bound as `p`, as a subquery.
fn json_texts(pg: bool, p: &str) -> String {
    if pg {
        format!("SELECT json_array_elements_text({p}::json)")
    } else {
        format!("SELECT value FROM json_each({p})")
    }
}

/// The INSERT that fills `chosen` for choice `c`, and its parameters.
fn choose_sql(pg: bool, session_id: i64, c: &Choice<'_>) -> (String, Vec<Bound>) {
    let mut params = Params(vec![Bound::Int(session_id)]);
    let inner = [
        "a.id".to_string(),
        "s.version AS seen".into(),
        "s.status".into(),
        "s.checked".into(),
        "a.registration_no".into(),
        "a.exam_area".into(),
        "CASE WHEN e.application_id IS NULL THEN 0 ELSE 1 END AS has_errors".into(),
    ];
    let (filters, outer) = choice_filters(pg, c, &mut params);
    let with_plan = c.qualification.is_some() || c.level.is_some();
    let (refused, rules, reason) = skip_and_reason(pg, c, &mut params);
    // Whether an application has error flags comes from a join with the set of those that
    // do, not from an EXISTS per row: SQLite copies the subquery's expression into each
    // place the outer query names it (three), so it looked every application up in
    // `flags` three times (0.42-0.49 s for 200,000 against 0.26-0.28 s joined).
    let sql = format!(
        "INSERT INTO chosen (application_id, seen, status, registration_no, exam_area, has_errors, why, reason) \
         SELECT x.id, x.seen, x.status, x.registration_no, x.exam_area, x.has_errors, \
         {refused} ELSE {rules} END, {reason} \
         FROM (SELECT {} FROM applications a JOIN application_states s ON s.application_id = a.id \
         LEFT JOIN (SELECT DISTINCT application_id FROM flags WHERE severity = 'error') AS e \
         ON e.application_id = a.id{} WHERE {}) AS x WHERE {}",
        inner.join(", "),
        if with_plan {
            " JOIN qualifications q ON q.id = a.qualification_id"
        } else {
            ""
        },
        filters.join(" AND "),
        outer.join(" AND "),
    );
    (sql, params.0)
}

/// What choice `c` selects: the conditions on the joined applications, and those on the
/// outer query.
fn choice_filters(pg: bool, c: &Choice<'_>, params: &mut Params) -> (Vec<String>, Vec<String>) {
    let mut filters = vec!["a.session_id = $1".to_string()];
    if let Some(nos) = &c.registration_nos {
        let p = params.bind(Bound::Text(nos.clone()));
        filters.push(format!("a.registration_no IN ({})", json_texts(pg, &p)));
    }
    if let Some(codes) = &c.flags {
        let p = params.bind(Bound::Text(codes.clone()));
        filters.push(format!(
            "EXISTS (SELECT 1 FROM flags f WHERE f.application_id = a.id AND f.code IN ({}))",
            json_texts(pg, &p)
        ));
    }
    if let Some(area) = c.exam_area {
        filters.push(format!(
            "a.exam_area = {}",
            params.bind(Bound::Text(area.into()))
        ));
    }
    if let Some(q) = c.qualification {
        filters.push(format!("q.name = {}", params.bind(Bound::Text(q.into()))));
    }
    if let Some(l) = c.level {
        filters.push(format!("q.level = {}", params.bind(Bound::Text(l.into()))));
    }
    // Whether an application has error flags is filtered on the joined set itself, not
    // on `has_errors`: PostgreSQL reads `e.application_id IS NULL` as an anti-join (and
    // IS NOT NULL as a join) and counts its rows right, where it guessed that 0.5% of
    // the applications pass a test of the CASE, and so looked their states up one by
    // one (an approval of 190,000: 0.71-0.80 s for the selection against 0.47-0.63 s).
    let mut outer = vec!["TRUE".to_string()];
    if c.clean {
        filters.push("e.application_id IS NULL".into());
        outer.push("x.status = 'submitted' AND x.checked = 1".into());
    }
    if c.errors {
        filters.push("e.application_id IS NOT NULL".into());
    }
    (filters, outer)
}

/// Why each chosen application is skipped, first by its status (an open `CASE x.status`),
/// then by the decision's own rules (NULL: it moves); and the reason it moves with.
fn skip_and_reason(pg: bool, c: &Choice<'_>, params: &mut Params) -> (String, String, String) {
    let mut refused = String::from("CASE x.status");
    for (status, why) in &c.refused {
        let st = params.bind(Bound::Text(status.to_string()));
        let w = params.bind(Bound::Text(why.to_string()));
        refused.push_str(&format!(" WHEN {st} THEN {w}"));
    }
    let mut rules = Vec::new();
    if let Some(w) = c.unchecked {
        rules.push(format!(
            "WHEN x.checked = 0 THEN {}",
            params.bind(Bound::Text(w.into()))
        ));
    }
    if let Some(w) = c.with_errors {
        rules.push(format!(
            "WHEN x.has_errors = 1 THEN {}",
            params.bind(Bound::Text(w.into()))
        ));
    }
    let reason = match (c.forced, c.reason) {
        (Some(f), _) => format!(
            "CASE WHEN x.has_errors = 0 THEN '' ELSE {} || {} END",
            params.bind(Bound::Text(f.into())),
            error_flags_joined(pg, "code", ", ")
        ),
        (None, Some(r)) => params.bind(Bound::Text(r.into())),
        (None, None) if c.no_reason.is_some() => format!(
            "CASE WHEN x.has_errors = 0 THEN '' ELSE {} END",
            error_flags_joined(pg, "message", "；")
        ),
        (None, None) => "''".into(),
    };
    if let (Some(w), None) = (c.no_reason, c.reason) {
        rules.push(format!(
            "WHEN x.has_errors = 0 THEN {}",
            params.bind(Bound::Text(w.into()))
        ));
    }
    let rules = if rules.is_empty() {
        "NULL".to_string()
    } else {
        format!("CASE {} END", rules.join(" "))
    };
    (refused, rules, reason)
}

/// The statements that drop and create the temporary table `chosen`. Each application
/// once (the ids come from the applications' key). On PostgreSQL no index: every later
/// statement reads `chosen` whole, and keeping a primary key up to date cost a third of
/// the INSERT (0.3 s for 190,000). SQLite's key is the rowid.
fn chosen_table(pg: bool) -> (&'static str, &'static str) {
    if pg {
        (
            "DROP TABLE IF EXISTS pg_temp.chosen",
            "CREATE TEMP TABLE chosen (application_id BIGINT NOT NULL, seen BIGINT NOT NULL, \
             status TEXT NOT NULL, registration_no TEXT NOT NULL, exam_area TEXT NOT NULL, \
             has_errors INTEGER NOT NULL, why TEXT, reason TEXT NOT NULL) ON COMMIT DROP",
        )
    } else {
        (
            "DROP TABLE IF EXISTS temp.chosen",
            "CREATE TEMP TABLE chosen (application_id INTEGER PRIMARY KEY, seen INTEGER NOT NULL, \
             status TEXT NOT NULL, registration_no TEXT NOT NULL, exam_area TEXT NOT NULL, \
             has_errors INTEGER NOT NULL, why TEXT, reason TEXT NOT NULL)",
        )
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

/// [`Tx::transition`] on PostgreSQL: the moves travel as arrays to [`move_postgres`].
async fn transition_postgres(
    t: &mut sqlx::Transaction<'static, sqlx::Postgres>,
    batch: i64,
    moves: Moves<'_>,
    from: &str,
    to: &str,
) -> Result<(usize, Vec<i64>)> {
    let reasons: Vec<&str> = match moves {
        Moves::Shared { .. } => Vec::new(),
        Moves::Each { list, .. } => list.iter().map(|m| m.2).collect(),
    };
    let (reason, shown) = moves.shared();
    let rows = PgRows::Arrays {
        ids: moves.ids(),
        versions: moves.versions(),
        reasons,
    };
    move_postgres(t, batch, rows, from, to, reason, shown).await
}

/// Where [`move_postgres`] finds its rows, as `u(id, v, r)`: the application, the version
/// its preview saw, and its own reason (NULL: the shared one).
enum PgRows<'a> {
    /// Bound as arrays; UNNEST pads the reasons with NULL when they are shared.
    Arrays {
        ids: Vec<i64>,
        versions: Vec<i64>,
        reasons: Vec<&'a str>,
    },
    /// The moves of `chosen` ([`Tx::choose`]) out of the from-status, with how many there are.
    Chosen(usize),
}

impl PgRows<'_> {
    fn source(&self) -> &'static str {
        match self {
            PgRows::Arrays { .. } => {
                "UNNEST($6::BIGINT[], $7::BIGINT[], $8::TEXT[]) AS u(id, v, r)"
            }
            PgRows::Chosen(_) => {
                "(SELECT application_id AS id, seen AS v, reason AS r FROM chosen \
                 WHERE why IS NULL AND status = $4) AS u"
            }
        }
    }

    fn len(&self) -> usize {
        match self {
            PgRows::Arrays { ids, .. } => ids.len(),
            PgRows::Chosen(n) => *n,
        }
    }
}

/// The moves of [`Tx::transition`] and [`Tx::transition_chosen`] on PostgreSQL. The UPDATE
/// hands its rows to the journal's INSERT in one statement: the probe form met stale
/// statistics after a bulk import and ran for minutes. Returns how many moved and the ids
/// that did not (changed by someone else since their preview).
async fn move_postgres(
    t: &mut sqlx::Transaction<'static, sqlx::Postgres>,
    batch: i64,
    rows: PgRows<'_>,
    from: &str,
    to: &str,
    reason: &str,
    shown: Option<&str>,
) -> Result<(usize, Vec<i64>)> {
    let source = rows.source();
    // Both statements take the same parameters: $1 to, $2 the status reason shown (NULL:
    // each its own), $3 batch, $4 from, $5 the shared reason, then the arrays.
    let bind = |sql: String| {
        let q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(to)
            .bind(shown)
            .bind(batch)
            .bind(from)
            .bind(reason);
        match &rows {
            PgRows::Arrays {
                ids,
                versions,
                reasons,
            } => q
                .bind(ids.as_slice())
                .bind(versions.as_slice())
                .bind(reasons.as_slice()),
            PgRows::Chosen(_) => q,
        }
    };
    let moved = bind(format!(
        "WITH moved AS (UPDATE application_states s SET status = $1, \
         status_reason = COALESCE($2, u.r), version = s.version + 1, last_batch = $3 \
         FROM {source} WHERE s.application_id = u.id AND s.version = u.v AND s.status = $4 \
         RETURNING s.application_id, u.r) \
         INSERT INTO journal (batch_id, application_id, field, old_value, new_value, reason) \
         SELECT $3, application_id, 'status', $4, $1, COALESCE(r, $5) FROM moved"
    ))
    .execute(&mut **t)
    .await?
    .rows_affected() as usize;
    if moved == rows.len() {
        return Ok((moved, Vec::new()));
    }
    // An anti-join: NOT IN over a subquery too big to hash goes row by row.
    let missed = bind(format!(
        "SELECT u.id FROM {source} WHERE NOT EXISTS (SELECT 1 FROM application_states s \
         WHERE s.application_id = u.id AND s.last_batch = $3 AND s.status = $1)"
    ))
    .fetch_all(&mut **t)
    .await?
    .iter()
    .map(|r| r.try_get(0))
    .collect::<std::result::Result<_, _>>()?;
    Ok((moved, missed))
}

/// [`Tx::transition`] on SQLite. The list goes into a temporary table, from which
/// [`move_sqlite`] moves it.
async fn transition_sqlite(
    t: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    batch: i64,
    moves: Moves<'_>,
    from: &str,
    to: &str,
) -> Result<(usize, Vec<i64>)> {
    let c = &mut **t;
    let (reason, shown) = moves.shared();
    let mut t = crate::progress::Phases::new();
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
    let done = move_sqlite(
        &mut *c,
        batch,
        Rows::Moving(moves.len()),
        from,
        to,
        reason,
        shown,
    )
    .await?;
    sqlx::query("DROP TABLE temp.moving")
        .execute(&mut *c)
        .await?;
    Ok(done)
}

/// Where [`move_sqlite`] finds its rows: `temp.moving` with how many it holds, or the moves
/// of `chosen` ([`Tx::choose`]) out of one status, with how many there are.
#[derive(Clone, Copy)]
enum Rows {
    Moving(usize),
    Chosen(usize),
}

/// The journal rows first, then the UPDATE of the same rows: the write lock is held
/// throughout and nothing in between changes a state, and the two counts are compared.
/// (Journalling after the UPDATE needed a scan for the batch's rows in `to` and a NOT EXISTS
/// probe for those an earlier call of the batch had journalled: a third of an approval.)
async fn move_sqlite(
    c: &mut sqlx::SqliteConnection,
    batch: i64,
    rows: Rows,
    from: &str,
    to: &str,
    reason: &str,
    shown: Option<&str>,
) -> Result<(usize, Vec<i64>)> {
    let mut t = crate::progress::Phases::new();
    let (source, only, expected) = match rows {
        Rows::Moving(n) => ("temp.moving", "", n),
        Rows::Chosen(n) => ("temp.chosen", "AND m.why IS NULL AND m.status = $2", n),
    };
    // `chosen` was filled in this transaction, and SQLite lets a transaction write only
    // while nothing has been written since it began: its versions are the current ones,
    // and its moves are journalled as they stand, without looking each state up again
    // (0.04 s of 0.4 for 190,000). `moving` holds a preview read in an earlier transaction:
    // each is journalled only from the version it saw. Either way the UPDATE moves only
    // from that version, and the two counts must match.
    let journal_from = match rows {
        Rows::Moving(_) => {
            "JOIN application_states s ON s.application_id = m.application_id \
                            WHERE s.version = m.seen AND s.status = $2"
        }
        Rows::Chosen(_) => "WHERE TRUE",
    };
    let journalled = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO journal (batch_id, application_id, field, old_value, new_value, reason) \
         SELECT $1, m.application_id, 'status', $2, $3, COALESCE(m.reason, $4) FROM {source} m \
         {journal_from} {only}"
    )))
    .bind(batch)
    .bind(from)
    .bind(to)
    .bind(reason)
    .execute(&mut *c)
    .await?
    .rows_affected();
    t.mark("  journal");
    let moved = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE application_states SET status = $1, status_reason = COALESCE($2, m.reason), \
         version = version + 1, last_batch = $3 \
         FROM {source} m WHERE application_states.application_id = m.application_id \
         AND application_states.version = m.seen AND application_states.status = $4 {}",
        only.replace("$2", "$4")
    )))
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
    if moved as usize == expected {
        return Ok((expected, Vec::new()));
    }
    let sql = format!(
        "SELECT m.application_id FROM {source} m LEFT JOIN application_states s \
         ON s.application_id = m.application_id AND s.last_batch = $1 AND s.status = $2 \
         WHERE s.application_id IS NULL {}",
        only.replace("$2", "$3")
    );
    let q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(batch)
        .bind(to);
    let missed = match rows {
        Rows::Moving(_) => q.fetch_all(&mut *c).await?,
        Rows::Chosen(_) => q.bind(from).fetch_all(&mut *c).await?,
    };
    Ok((moved as usize, missed))
}
