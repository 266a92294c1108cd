//! Applications: bulk insert at import, the batches and journal of every change, and the
//! reads that checks and reviews need.

use chrono::{NaiveDate, NaiveDateTime};

use super::{DbError, Result, Tx, with_conn};

/// An application as an import stores it.
#[derive(Debug, Clone, Default, PartialEq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct NewApplication {
    pub registration_no: String,
    pub name: String,
    pub id_type: String,
    pub id_number: String,
    pub gender: String,
    pub birth_date: Option<NaiveDate>,
    pub qualification_id: i64,
    pub subjects: String,
    pub exam_area: String,
    pub title: String,
    pub employer: String,
    pub school: String,
    pub major: String,
    pub education: String,
    pub degree: String,
    pub graduation_date: Option<NaiveDate>,
    pub address: String,
    pub mobile: String,
    pub email: String,
    pub postcode: String,
    pub phone: String,
    pub submitted_at: Option<NaiveDateTime>,
    pub photo: String,
    pub photo_path: String,
    pub photo_hash: String,
    pub photo_format: String,
    pub photo_width: i64,
    pub photo_height: i64,
    pub photo_bytes: i64,
    pub photo_problem: String,
    pub content_hash: String,
}

impl NewApplication {
    /// The fields a re-import compares, with their Chinese names, as text.
    pub fn fields(&self) -> [(&'static str, String); 24] {
        let d = |d: Option<NaiveDate>| d.map_or_else(String::new, |d| d.to_string());
        [
            ("姓名", self.name.clone()),
            ("证件类型", self.id_type.clone()),
            ("证件号码", self.id_number.clone()),
            ("性别", self.gender.clone()),
            ("出生日期", d(self.birth_date)),
            ("报考资格", self.qualification_id.to_string()),
            ("报考科目", self.subjects.clone()),
            ("考区", self.exam_area.clone()),
            ("现有职称", self.title.clone()),
            ("工作单位", self.employer.clone()),
            ("所在学校", self.school.clone()),
            ("所学专业", self.major.clone()),
            ("学历", self.education.clone()),
            ("学位", self.degree.clone()),
            ("毕业时间", d(self.graduation_date)),
            ("通信地址", self.address.clone()),
            ("手机号码", self.mobile.clone()),
            ("Email", self.email.clone()),
            ("邮政编码", self.postcode.clone()),
            ("固定电话", self.phone.clone()),
            (
                "提交时间",
                self.submitted_at
                    .map_or_else(String::new, |t| t.to_string()),
            ),
            ("照片", self.photo.clone()),
            ("照片内容", self.photo_hash.clone()),
            ("照片问题", self.photo_problem.clone()),
        ]
    }

    /// A hash of every compared field (those of [`NewApplication::fields`], without copying
    /// them: this runs for every row of a 200,000-row import), to tell a changed row. The
    /// fields are laid end to end, each closed by 0x1F, and hashed at once: feeding BLAKE3
    /// fifty small pieces cost three times as much as the hash of the whole.
    pub fn compute_hash(&mut self) {
        use std::io::Write;
        let texts: [&str; 21] = [
            &self.name,
            &self.id_type,
            &self.id_number,
            &self.gender,
            &self.subjects,
            &self.exam_area,
            &self.title,
            &self.employer,
            &self.school,
            &self.major,
            &self.education,
            &self.degree,
            &self.address,
            &self.mobile,
            &self.email,
            &self.postcode,
            &self.phone,
            &self.photo,
            &self.photo_hash,
            &self.photo_problem,
            &self.registration_no,
        ];
        let mut buf: Vec<u8> = Vec::with_capacity(512);
        for t in texts {
            buf.extend_from_slice(t.as_bytes());
            buf.push(0x1f);
        }
        for d in [self.birth_date, self.graduation_date] {
            if let Some(d) = d {
                buf.extend_from_slice(Stamp::date(d).as_str().as_bytes());
            }
            buf.push(0x1f);
        }
        let _ = write!(buf, "{}", self.qualification_id);
        if let Some(t) = self.submitted_at {
            buf.push(0x1f);
            buf.extend_from_slice(Stamp::datetime(t).as_str().as_bytes());
        }
        self.content_hash = blake3::hash(&buf).to_hex().to_string();
    }
}

/// What a re-import needs to know of a stored application, in [`Tx::bulk_rows`]' order.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct StoredKey {
    pub id: i64,
    pub registration_no: String,
    pub content_hash: String,
    pub status: String,
}

const INSERT_COLUMNS: &str = "INSERT INTO applications (session_id, registration_no, name, id_type, id_number, \
    gender, birth_date, qualification_id, subjects, exam_area, title, employer, school, major, education, degree, \
    graduation_date, address, mobile, email, postcode, phone, submitted_at, photo, photo_path, photo_hash, \
    photo_format, photo_width, photo_height, photo_bytes, photo_problem, content_hash) ";

/// Rows per PostgreSQL INSERT: 32 parameters a row stays under its 65,535.
pub const INSERT_CHUNK: usize = 500;

/// The values of [`INSERT_COLUMNS`] after `session_id`.
const INSERT_FIELDS: usize = 31;

impl Tx {
    /// The imported fields of one application, to journal what a re-import changes.
    pub async fn application_fields(&mut self, id: i64) -> Result<NewApplication> {
        Ok(with_conn!(self, |c| {
            sqlx::query_as(
                "SELECT registration_no, name, id_type, id_number, gender, birth_date, qualification_id, subjects, \
                 exam_area, title, employer, school, major, education, degree, graduation_date, address, mobile, \
                 email, postcode, phone, submitted_at, photo, photo_path, photo_hash, photo_format, photo_width, \
                 photo_height, photo_bytes, photo_problem, content_hash FROM applications WHERE id = $1",
            )
            .bind(id)
            .fetch_one(&mut *c)
            .await?
        }))
    }

    pub async fn application_keys(&mut self, session_id: i64) -> Result<Vec<StoredKey>> {
        self.bulk_rows(
            &["a.id", "a.registration_no", "a.content_hash", "s.status"],
            "FROM applications a JOIN application_states s ON s.application_id = a.id WHERE a.session_id = $1",
            session_id,
        )
        .await
    }

    /// Inserts applications as submitted by `batch`, and journals each as having entered
    /// `submitted` for `reason`: on PostgreSQL in statements of [`INSERT_CHUNK`] rows, on
    /// SQLite a row at a time through SQLite's own API (see [`insert_sqlite`]).
    pub async fn insert_applications(
        &mut self,
        session_id: i64,
        batch: i64,
        reason: &str,
        rows: Vec<NewApplication>,
    ) -> Result<()> {
        // Each new application starts submitted, changed last by this batch. PostgreSQL makes
        // the three rows in one statement (a data-modifying CTE); looking the new rows up by
        // registration number there went through a generic plan that scanned the table, which
        // made a 200,000-row import quadratic. SQLite numbers the rows itself (see
        // [`insert_sqlite`]). Journaling each chunk as it goes in, rather than the whole
        // import at its end, takes that work off the import's serial tail.
        let t = match self {
            Tx::Sqlite(t) => return insert_sqlite(t, session_id, batch, reason, rows).await,
            Tx::Postgres(t) => t,
        };
        for chunk in rows.chunks(INSERT_CHUNK) {
            let mut qb = sqlx::QueryBuilder::new("WITH ins AS (");
            qb.push(INSERT_COLUMNS);
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(session_id)
                    .push_bind(r.registration_no.as_str())
                    .push_bind(r.name.as_str())
                    .push_bind(r.id_type.as_str())
                    .push_bind(r.id_number.as_str())
                    .push_bind(r.gender.as_str())
                    .push_bind(r.birth_date)
                    .push_bind(r.qualification_id)
                    .push_bind(r.subjects.as_str())
                    .push_bind(r.exam_area.as_str())
                    .push_bind(r.title.as_str())
                    .push_bind(r.employer.as_str())
                    .push_bind(r.school.as_str())
                    .push_bind(r.major.as_str())
                    .push_bind(r.education.as_str())
                    .push_bind(r.degree.as_str())
                    .push_bind(r.graduation_date)
                    .push_bind(r.address.as_str())
                    .push_bind(r.mobile.as_str())
                    .push_bind(r.email.as_str())
                    .push_bind(r.postcode.as_str())
                    .push_bind(r.phone.as_str())
                    .push_bind(r.submitted_at)
                    .push_bind(r.photo.as_str())
                    .push_bind(r.photo_path.as_str())
                    .push_bind(r.photo_hash.as_str())
                    .push_bind(r.photo_format.as_str())
                    .push_bind(r.photo_width)
                    .push_bind(r.photo_height)
                    .push_bind(r.photo_bytes)
                    .push_bind(r.photo_problem.as_str())
                    .push_bind(r.content_hash.as_str());
            });
            qb.push(" RETURNING id), st AS (INSERT INTO application_states (application_id, last_batch) SELECT id, ");
            qb.push_bind(batch).push(" FROM ins) ");
            qb.push("INSERT INTO journal (batch_id, application_id, field, old_value, new_value, reason) SELECT ");
            qb.push_bind(batch)
                .push(", id, 'status', CAST(NULL AS TEXT), 'submitted', ")
                .push_bind(reason)
                .push(" FROM ins");
            qb.build().execute(&mut **t).await?;
        }
        Ok(())
    }

    /// Replaces the imported fields of one application; with `status`, moves it there.
    pub async fn update_application(
        &mut self,
        id: i64,
        batch: i64,
        r: &NewApplication,
        status: Option<&str>,
    ) -> Result<()> {
        with_conn!(self, |c| {
            sqlx::query(
                "UPDATE applications SET name = $2, id_type = $3, id_number = $4, gender = $5, birth_date = $6, \
                 qualification_id = $7, subjects = $8, exam_area = $9, title = $10, employer = $11, school = $12, \
                 major = $13, education = $14, degree = $15, graduation_date = $16, address = $17, mobile = $18, \
                 email = $19, postcode = $20, phone = $21, submitted_at = $22, photo = $23, photo_path = $24, \
                 photo_hash = $25, photo_format = $26, photo_width = $27, photo_height = $28, photo_bytes = $29, \
                 photo_problem = $30, content_hash = $31, \
                 photo_border = CASE WHEN photo_hash = $25 THEN photo_border ELSE -1 END WHERE id = $1",
            )
            .bind(id)
            .bind(&r.name)
            .bind(&r.id_type)
            .bind(&r.id_number)
            .bind(&r.gender)
            .bind(r.birth_date)
            .bind(r.qualification_id)
            .bind(&r.subjects)
            .bind(&r.exam_area)
            .bind(&r.title)
            .bind(&r.employer)
            .bind(&r.school)
            .bind(&r.major)
            .bind(&r.education)
            .bind(&r.degree)
            .bind(r.graduation_date)
            .bind(&r.address)
            .bind(&r.mobile)
            .bind(&r.email)
            .bind(&r.postcode)
            .bind(&r.phone)
            .bind(r.submitted_at)
            .bind(&r.photo)
            .bind(&r.photo_path)
            .bind(&r.photo_hash)
            .bind(&r.photo_format)
            .bind(r.photo_width)
            .bind(r.photo_height)
            .bind(r.photo_bytes)
            .bind(&r.photo_problem)
            .bind(&r.content_hash)
            .execute(&mut *c)
            .await?;
            // Changed content needs checking again; a new status clears the old reason.
            sqlx::query(
                "UPDATE application_states SET status = COALESCE($2, status), \
                 status_reason = CASE WHEN $2 IS NULL THEN status_reason ELSE '' END, \
                 version = version + 1, checked = 0, last_batch = $3 WHERE application_id = $1",
            )
            .bind(id)
            .bind(status)
            .bind(batch)
            .execute(&mut *c)
            .await?;
        });
        Ok(())
    }

    /// Opens a batch: one command's changes, which the journal rows point to.
    pub async fn create_batch(
        &mut self,
        session_id: i64,
        kind: &str,
        operator: &str,
        command: &str,
        at: NaiveDateTime,
        undoes: Option<i64>,
    ) -> Result<i64> {
        Ok(with_conn!(self, |c| {
            sqlx::query_scalar(
                "INSERT INTO batches (session_id, kind, operator, command, created_at, undoes) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(session_id)
            .bind(kind)
            .bind(operator)
            .bind(command)
            .bind(at)
            .bind(undoes)
            .fetch_one(&mut *c)
            .await?
        }))
    }

    /// What a [`super::Db::begin_bulk`] transaction checks before it commits, in place of
    /// SQLite's check per row: that `batch` and its session exist (every row the command
    /// wrote names that batch, and the batch names the session), and so does every one of
    /// `qualifications` (those its applications name). The rest of its references are to
    /// rows it read or inserted itself in the same transaction.
    pub async fn check_references(&mut self, batch: i64, qualifications: &[i64]) -> Result<()> {
        let ids = serde_json::to_string(qualifications).expect("numbers serialise");
        let listed = self.ids_in(2);
        let sql = format!(
            "SELECT (SELECT COUNT(*) FROM batches b JOIN sessions s ON s.id = b.session_id \
             WHERE b.id = $1), (SELECT COUNT(*) FROM qualifications WHERE id IN ({listed}))"
        );
        let (batches, found): (i64, i64) = with_conn!(self, |c| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(batch)
                .bind(&ids)
                .fetch_one(&mut *c)
                .await?
        });
        if batches != 1 {
            return Err(DbError::Reference(format!(
                "batch {batch} or its session does not exist"
            )));
        }
        let distinct: std::collections::BTreeSet<_> = qualifications.iter().collect();
        if found != distinct.len() as i64 {
            return Err(DbError::Reference(format!(
                "not every qualification of {ids} exists ({} missing)",
                distinct.len() as i64 - found
            )));
        }
        Ok(())
    }

    pub async fn set_batch_summary(&mut self, batch: i64, summary: &str) -> Result<()> {
        with_conn!(self, |c| {
            sqlx::query("UPDATE batches SET summary = $2 WHERE id = $1")
                .bind(batch)
                .bind(summary)
                .execute(&mut *c)
                .await?;
        });
        Ok(())
    }

    /// One journal row.
    pub async fn journal(
        &mut self,
        batch: i64,
        application_id: i64,
        field: &str,
        old: Option<&str>,
        new: Option<&str>,
        reason: &str,
    ) -> Result<()> {
        with_conn!(self, |c| {
            sqlx::query(
                "INSERT INTO journal (batch_id, application_id, field, old_value, new_value, reason) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(batch)
            .bind(application_id)
            .bind(field)
            .bind(old)
            .bind(new)
            .bind(reason)
            .execute(&mut *c)
            .await?;
        });
        Ok(())
    }
}

/// `INSERT INTO applications (id, ..) VALUES (?, ..)`: one row, with its id.
fn insert_sql() -> String {
    let columns = INSERT_COLUMNS.replacen("(session_id", "(id, session_id", 1);
    format!(
        "{columns}VALUES ({})",
        vec!["?"; INSERT_FIELDS + 2].join(", ")
    )
}

/// A date or time as text, as chrono displays it: written by hand for the years an
/// application can have (1000 to 9999) and whole seconds, where chrono's formatting
/// machinery was 2% of an import's samples (three stamps a row, on the inserting thread);
/// by chrono otherwise.
enum Stamp {
    Digits([u8; 19], usize),
    Text(String),
}

impl Stamp {
    /// `%Y-%m-%d`, as `NaiveDate`'s Display.
    fn date(d: NaiveDate) -> Stamp {
        use chrono::Datelike;
        match Stamp::digits(d.year(), d.month(), d.day()) {
            Some((b, n)) => Stamp::Digits(b, n),
            None => Stamp::Text(d.to_string()),
        }
    }

    /// `%Y-%m-%d %H:%M:%S` and any fraction, as `NaiveDateTime`'s Display.
    fn datetime(t: NaiveDateTime) -> Stamp {
        use chrono::{Datelike, Timelike};
        match Stamp::digits(t.year(), t.month(), t.day()) {
            Some((mut b, _)) if t.nanosecond() == 0 => {
                b[10] = b' ';
                for (at, v) in [(11, t.hour()), (14, t.minute()), (17, t.second())] {
                    b[at] = b'0' + (v / 10) as u8;
                    b[at + 1] = b'0' + (v % 10) as u8;
                }
                b[13] = b':';
                b[16] = b':';
                Stamp::Digits(b, 19)
            }
            _ => Stamp::Text(t.to_string()),
        }
    }

    fn digits(year: i32, month: u32, day: u32) -> Option<([u8; 19], usize)> {
        let year = u32::try_from(year)
            .ok()
            .filter(|y| (1000..=9999).contains(y))?;
        let mut b = [0u8; 19];
        for (i, div) in [1000, 100, 10, 1].into_iter().enumerate() {
            b[i] = b'0' + (year / div % 10) as u8;
        }
        b[4] = b'-';
        b[5] = b'0' + (month / 10) as u8;
        b[6] = b'0' + (month % 10) as u8;
        b[7] = b'-';
        b[8] = b'0' + (day / 10) as u8;
        b[9] = b'0' + (day % 10) as u8;
        Some((b, 10))
    }

    fn as_str(&self) -> &str {
        match self {
            Stamp::Digits(b, n) => std::str::from_utf8(&b[..*n]).expect("ASCII digits"),
            Stamp::Text(t) => t,
        }
    }
}

/// A date or time as sqlx binds it on SQLite (`%F`, `%F %T%.f`), which is how chrono
/// displays it in the years an application can have.
fn sql_date(d: Option<NaiveDate>) -> Option<Stamp> {
    use chrono::Datelike;
    d.map(|d| {
        if (1000..=9999).contains(&d.year()) {
            Stamp::date(d)
        } else {
            Stamp::Text(d.format("%F").to_string())
        }
    })
}

fn sql_datetime(t: Option<NaiveDateTime>) -> Option<Stamp> {
    use chrono::Datelike;
    t.map(|t| {
        if (1000..=9999).contains(&t.year()) {
            Stamp::datetime(t)
        } else {
            Stamp::Text(t.format("%F %T%.f").to_string())
        }
    })
}

/// SQLite: the rows go in one by one through a statement prepared for the chunk, bound
/// where they lie ([`super::sqlite_raw`]), on this thread.
///
/// The rows are numbered here, after the highest id in the table: this transaction holds
/// the write lock, so nobody else can take those numbers, and the new rows' states are
/// then made from that range of ids, with nothing to look up. One row per statement also
/// spares SQLite the statement journal that a many-row INSERT keeps (a copy of each page
/// before the statement first changes it, in case it fails half-way).
async fn insert_sqlite(
    t: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    session_id: i64,
    batch: i64,
    reason: &str,
    rows: Vec<NewApplication>,
) -> Result<()> {
    use super::sqlite_raw::{Statement, Value};
    if rows.is_empty() {
        return Ok(());
    }
    let last: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM applications")
        .fetch_one(&mut **t)
        .await?;
    let ids = last + 1..last + 1 + rows.len() as i64;
    {
        let mut handle = t.lock_handle().await?;
        let mut insert = Statement::prepare(&mut handle, &insert_sql())?;
        for (id, r) in ids.clone().zip(&rows) {
            let (birth, graduated) = (sql_date(r.birth_date), sql_date(r.graduation_date));
            let submitted = sql_datetime(r.submitted_at);
            let values: [Value<'_>; INSERT_FIELDS + 2] = [
                Value::Int(id),
                Value::Int(session_id),
                Value::Text(&r.registration_no),
                Value::Text(&r.name),
                Value::Text(&r.id_type),
                Value::Text(&r.id_number),
                Value::Text(&r.gender),
                birth.as_ref().map(Stamp::as_str).into(),
                Value::Int(r.qualification_id),
                Value::Text(&r.subjects),
                Value::Text(&r.exam_area),
                Value::Text(&r.title),
                Value::Text(&r.employer),
                Value::Text(&r.school),
                Value::Text(&r.major),
                Value::Text(&r.education),
                Value::Text(&r.degree),
                graduated.as_ref().map(Stamp::as_str).into(),
                Value::Text(&r.address),
                Value::Text(&r.mobile),
                Value::Text(&r.email),
                Value::Text(&r.postcode),
                Value::Text(&r.phone),
                submitted.as_ref().map(Stamp::as_str).into(),
                Value::Text(&r.photo),
                Value::Text(&r.photo_path),
                Value::Text(&r.photo_hash),
                Value::Text(&r.photo_format),
                Value::Int(r.photo_width),
                Value::Int(r.photo_height),
                Value::Int(r.photo_bytes),
                Value::Text(&r.photo_problem),
                Value::Text(&r.content_hash),
            ];
            insert.execute(&values)?;
        }
    }
    let range =
        "WITH RECURSIVE n (id) AS (SELECT $1 UNION ALL SELECT id + 1 FROM n WHERE id < $2) ";
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "{range}INSERT INTO application_states (application_id, last_batch) SELECT id, $3 FROM n"
    )))
    .bind(ids.start)
    .bind(ids.end - 1)
    .bind(batch)
    .execute(&mut **t)
    .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "{range}INSERT INTO journal (batch_id, application_id, field, old_value, new_value, reason) \
         SELECT $3, id, 'status', NULL, 'submitted', $4 FROM n"
    )))
    .bind(ids.start)
    .bind(ids.end - 1)
    .bind(batch)
    .bind(reason)
    .execute(&mut **t)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_bound_as_sqlx_binds_them() {
        let d = NaiveDate::from_ymd_opt(2026, 8, 28).unwrap();
        for t in [
            d.and_hms_opt(17, 40, 24).unwrap(),
            d.and_hms_milli_opt(9, 0, 0, 250).unwrap(),
            d.and_hms_micro_opt(9, 0, 0, 250_001).unwrap(),
            d.and_hms_nano_opt(23, 59, 59, 1).unwrap(),
        ] {
            assert_eq!(
                sql_datetime(Some(t)).unwrap().as_str(),
                t.format("%F %T%.f").to_string()
            );
            assert_eq!(Stamp::datetime(t).as_str(), t.to_string());
        }
        for d in [
            d,
            NaiveDate::from_ymd_opt(1, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(1000, 1, 9).unwrap(),
            NaiveDate::from_ymd_opt(9999, 12, 31).unwrap(),
            NaiveDate::from_ymd_opt(10000, 1, 1).unwrap(),
        ] {
            assert_eq!(
                sql_date(Some(d)).unwrap().as_str(),
                d.format("%F").to_string()
            );
            assert_eq!(Stamp::date(d).as_str(), d.to_string());
            let t = d.and_hms_opt(0, 9, 5).unwrap();
            assert_eq!(
                sql_datetime(Some(t)).unwrap().as_str(),
                t.format("%F %T%.f").to_string()
            );
            assert_eq!(Stamp::datetime(t).as_str(), t.to_string());
        }
        assert!(sql_date(None).is_none());
    }

    /// Stored hashes must keep matching: a re-import compares them with new ones. This is
    /// the hash as kaowu fed it to BLAKE3 before, piece by piece.
    fn hash_in_pieces(a: &NewApplication) -> String {
        let mut h = blake3::Hasher::new();
        for t in [
            &a.name,
            &a.id_type,
            &a.id_number,
            &a.gender,
            &a.subjects,
            &a.exam_area,
            &a.title,
            &a.employer,
            &a.school,
            &a.major,
            &a.education,
            &a.degree,
            &a.address,
            &a.mobile,
            &a.email,
            &a.postcode,
            &a.phone,
            &a.photo,
            &a.photo_hash,
            &a.photo_problem,
            &a.registration_no,
        ] {
            h.update(t.as_bytes());
            h.update(b"\x1f");
        }
        for d in [a.birth_date, a.graduation_date] {
            h.update(d.map(|d| d.to_string()).unwrap_or_default().as_bytes());
            h.update(b"\x1f");
        }
        let mut last = a.qualification_id.to_string();
        if let Some(t) = a.submitted_at {
            last.push_str(&format!("\x1f{t}"));
        }
        h.update(last.as_bytes());
        h.finalize().to_hex().to_string()
    }

    #[test]
    fn a_stored_content_hash_still_matches() {
        let d = NaiveDate::from_ymd_opt(1990, 2, 28).unwrap();
        let mut a = NewApplication {
            registration_no: "20260000001".into(),
            name: "何睿浩".into(),
            id_type: "居民身份证".into(),
            id_number: "530702199002285073".into(),
            birth_date: Some(d),
            qualification_id: 14,
            subjects: "基础知识,应用技术".into(),
            exam_area: "丽江".into(),
            address: "丽江市北京路114号".into(),
            submitted_at: d.and_hms_milli_opt(9, 30, 0, 250),
            photo: "20260000001.jpg".into(),
            photo_problem: "missing".into(),
            ..NewApplication::default()
        };
        for step in 0..3 {
            a.compute_hash();
            assert_eq!(a.content_hash, hash_in_pieces(&a), "step {step}");
            assert_eq!(a.content_hash.len(), 64);
            // No dates, a whole-second time, then no time at all.
            a.birth_date = None;
            a.graduation_date = Some(d);
            a.submitted_at = if step == 0 {
                d.and_hms_opt(17, 40, 24)
            } else {
                None
            };
        }
    }

    #[test]
    fn insert_sql_has_a_placeholder_per_value() {
        let sql = insert_sql();
        assert!(sql.starts_with("INSERT INTO applications (id, session_id, registration_no,"));
        assert_eq!(sql.matches('?').count(), INSERT_FIELDS + 2);
        assert_eq!(
            INSERT_COLUMNS.split(',').count(),
            INSERT_FIELDS + 1,
            "{INSERT_COLUMNS}"
        );
    }
}
