//! After the scores come: the candidates a score file may name, scores per candidate and
//! subject, pass decisions (verdicts), score rechecks (复核) and certificates (证书).

use serde::Deserialize;

use super::{Result, Tx, with_conn};

/// A candidate with an admit card and a seat: who a score file may name, in
/// [`Tx::bulk_rows`]' column order.
#[derive(Debug, Clone, Deserialize)]
pub struct Candidate {
    pub application_id: i64,
    pub card_no: String,
    pub id_number: String,
    pub name: String,
    pub gender: String,
    pub qualification: String,
    pub level: String,
    /// The candidate's subjects, comma-separated.
    pub subjects: String,
    pub exam_area: String,
    pub employer: String,
    pub mobile: String,
}

/// A stored score, in [`Tx::bulk_rows`]' column order: `entry` is `scored`, `absent` or
/// `void`, `score` in tenths when scored.
#[derive(Debug, Clone, Deserialize)]
pub struct ScoreRow {
    pub application_id: i64,
    pub subject: String,
    pub entry: String,
    pub score: Option<i64>,
}

/// A stored pass decision.
#[derive(Debug, Clone, Deserialize)]
pub struct VerdictRow {
    pub application_id: i64,
    pub passed: i64,
    pub failed: String,
}

/// A recheck request and its answer.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RecheckRow {
    pub id: i64,
    pub reference: String,
    pub application_id: i64,
    pub subject: String,
    pub requested_on: String,
    pub old_score: i64,
    pub result: String,
    pub new_score: Option<i64>,
    pub answered_on: Option<String>,
    pub note: String,
}

/// A certificate and its hand-out.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CertificateRow {
    pub application_id: i64,
    pub cert_no: String,
    pub by_post: i64,
    pub address: String,
    pub phone: String,
    pub received_on: String,
    pub waybill: String,
    pub issued_how: Option<String>,
    pub issued_on: Option<String>,
    pub proxy_name: String,
    pub proxy_id: String,
}

/// A certificate to store: (application, number, by post, address, phone).
pub type NewCertificate<'a> = (i64, &'a str, bool, &'a str, &'a str);

const CHUNK: usize = 10_000;

const RECHECK_COLUMNS: &str = "id, reference, application_id, subject, requested_on, old_score, \
     result, new_score, answered_on, note";

const CERTIFICATE_COLUMNS: &str = "application_id, cert_no, by_post, address, phone, received_on, \
     waybill, issued_how, issued_on, proxy_name, proxy_id";

impl Tx {
    /// Every candidate of the session with an admit card and a seat. Unordered.
    pub async fn score_candidates(&mut self, session_id: i64) -> Result<Vec<Candidate>> {
        self.bulk_rows(
            &[
                "a.id",
                "ac.card_no",
                "a.id_number",
                "a.name",
                "a.gender",
                "q.name",
                "q.level",
                "a.subjects",
                "a.exam_area",
                "a.employer",
                "a.mobile",
            ],
            "FROM admit_cards ac JOIN applications a ON a.id = ac.application_id \
             JOIN qualifications q ON q.id = a.qualification_id \
             WHERE ac.session_id = $1 AND EXISTS (SELECT 1 FROM seats t \
             WHERE t.application_id = ac.application_id AND t.released_batch IS NULL)",
            session_id,
        )
        .await
    }

    /// The session's stored scores. Unordered.
    pub async fn scores(&mut self, session_id: i64) -> Result<Vec<ScoreRow>> {
        self.bulk_rows(
            &["s.application_id", "s.subject", "s.entry", "s.score"],
            "FROM scores s JOIN applications a ON a.id = s.application_id WHERE a.session_id = $1",
            session_id,
        )
        .await
    }

    /// How many scores the session holds and the newest batch that set one: what a score
    /// import read, checked again before it writes.
    pub async fn scores_fingerprint(&mut self, session_id: i64) -> Result<(i64, i64)> {
        Ok(with_conn!(self, |c| {
            sqlx::query_as(
                "SELECT COUNT(*), COALESCE(MAX(s.batch_id), 0) FROM scores s \
                 JOIN applications a ON a.id = s.application_id WHERE a.session_id = $1",
            )
            .bind(session_id)
            .fetch_one(&mut *c)
            .await?
        }))
    }

    /// Stores scores, each (application, subject, entry, tenths when scored), replacing
    /// what a candidate's subject held.
    pub async fn set_scores(
        &mut self,
        batch: i64,
        rows: &[(i64, &str, &str, Option<i64>)],
    ) -> Result<()> {
        if let Tx::Postgres(t) = self {
            let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
            let subjects: Vec<&str> = rows.iter().map(|r| r.1).collect();
            let entries: Vec<&str> = rows.iter().map(|r| r.2).collect();
            let scores: Vec<Option<i64>> = rows.iter().map(|r| r.3).collect();
            sqlx::query(
                "INSERT INTO scores (application_id, subject, entry, score, batch_id) \
                 SELECT u.id, u.subject, u.entry, u.score, $1 \
                 FROM UNNEST($2::BIGINT[], $3::TEXT[], $4::TEXT[], $5::BIGINT[]) \
                 AS u(id, subject, entry, score) \
                 ON CONFLICT (application_id, subject) DO UPDATE SET entry = EXCLUDED.entry, \
                 score = EXCLUDED.score, batch_id = EXCLUDED.batch_id",
            )
            .bind(batch)
            .bind(&ids)
            .bind(&subjects)
            .bind(&entries)
            .bind(&scores)
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
                "INSERT INTO scores (application_id, subject, entry, score, batch_id) \
                 SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, $1 \
                 FROM json_each($2) WHERE true \
                 ON CONFLICT (application_id, subject) DO UPDATE SET entry = excluded.entry, \
                 score = excluded.score, batch_id = excluded.batch_id",
            )
            .bind(batch)
            .bind(&json)
            .execute(&mut **t)
            .await?;
        }
        Ok(())
    }

    /// The session's pass decisions. Unordered.
    pub async fn verdicts(&mut self, session_id: i64) -> Result<Vec<VerdictRow>> {
        self.bulk_rows(
            &["v.application_id", "v.passed", "v.failed"],
            "FROM verdicts v JOIN applications a ON a.id = v.application_id WHERE a.session_id = $1",
            session_id,
        )
        .await
    }

    /// Stores pass decisions, each (application, passed, why not).
    pub async fn set_verdicts(&mut self, batch: i64, rows: &[(i64, bool, &str)]) -> Result<()> {
        if let Tx::Postgres(t) = self {
            let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
            let passed: Vec<i64> = rows.iter().map(|r| i64::from(r.1)).collect();
            let failed: Vec<&str> = rows.iter().map(|r| r.2).collect();
            sqlx::query(
                "INSERT INTO verdicts (application_id, passed, failed, batch_id) \
                 SELECT u.id, u.passed, u.failed, $1 \
                 FROM UNNEST($2::BIGINT[], $3::BIGINT[], $4::TEXT[]) AS u(id, passed, failed) \
                 ON CONFLICT (application_id) DO UPDATE SET passed = EXCLUDED.passed, \
                 failed = EXCLUDED.failed, batch_id = EXCLUDED.batch_id",
            )
            .bind(batch)
            .bind(&ids)
            .bind(&passed)
            .bind(&failed)
            .execute(&mut **t)
            .await?;
            return Ok(());
        }
        let Tx::Sqlite(t) = self else {
            unreachable!("PostgreSQL stored them above")
        };
        let rows: Vec<(i64, i64, &str)> = rows.iter().map(|r| (r.0, i64::from(r.1), r.2)).collect();
        for chunk in rows.chunks(CHUNK) {
            let json = serde_json::to_string(chunk).expect("plain values serialise");
            sqlx::query(
                "INSERT INTO verdicts (application_id, passed, failed, batch_id) \
                 SELECT value ->> 0, value ->> 1, value ->> 2, $1 \
                 FROM json_each($2) WHERE true \
                 ON CONFLICT (application_id) DO UPDATE SET passed = excluded.passed, \
                 failed = excluded.failed, batch_id = excluded.batch_id",
            )
            .bind(batch)
            .bind(&json)
            .execute(&mut **t)
            .await?;
        }
        Ok(())
    }

    /// The session's recheck requests, by reference.
    pub async fn rechecks(&mut self, session_id: i64) -> Result<Vec<RecheckRow>> {
        let sql = format!(
            "SELECT {RECHECK_COLUMNS} FROM rechecks WHERE session_id = $1 ORDER BY reference"
        );
        let mut rows: Vec<RecheckRow> = with_conn!(self, |c| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(session_id)
                .fetch_all(&mut *c)
                .await?
        });
        // In byte order on both backends (PostgreSQL's collation may order text otherwise).
        rows.sort_by(|a, b| a.reference.cmp(&b.reference));
        Ok(rows)
    }

    /// Records a recheck request: (reference, application, subject, date, score in tenths).
    pub async fn insert_recheck(
        &mut self,
        session_id: i64,
        batch: i64,
        r: (&str, i64, &str, &str, i64),
    ) -> Result<()> {
        with_conn!(self, |c| {
            sqlx::query(
                "INSERT INTO rechecks (session_id, reference, application_id, subject, \
                 requested_on, old_score, batch_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(session_id)
            .bind(r.0)
            .bind(r.1)
            .bind(r.2)
            .bind(r.3)
            .bind(r.4)
            .bind(batch)
            .execute(&mut *c)
            .await?;
        });
        Ok(())
    }

    /// Records the centre's answer to a pending request; false when it was answered already.
    pub async fn answer_recheck(
        &mut self,
        id: i64,
        batch: i64,
        new_score: i64,
        changed: bool,
        answered_on: &str,
        note: &str,
    ) -> Result<bool> {
        let n = with_conn!(self, |c| {
            sqlx::query(
                "UPDATE rechecks SET result = $2, new_score = $3, answered_on = $4, note = $5, \
                 answer_batch = $6 WHERE id = $1 AND result = 'pending'",
            )
            .bind(id)
            .bind(if changed { "changed" } else { "kept" })
            .bind(new_score)
            .bind(answered_on)
            .bind(note)
            .bind(batch)
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// The session's certificates, by number.
    pub async fn certificates(&mut self, session_id: i64) -> Result<Vec<CertificateRow>> {
        let sql = format!(
            "SELECT {CERTIFICATE_COLUMNS} FROM certificates WHERE session_id = $1 ORDER BY cert_no"
        );
        let mut rows: Vec<CertificateRow> = with_conn!(self, |c| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(session_id)
                .fetch_all(&mut *c)
                .await?
        });
        rows.sort_by(|a, b| a.cert_no.cmp(&b.cert_no));
        Ok(rows)
    }

    /// Stores certificates received on `received_on`, replacing the number and delivery of
    /// one not yet handed out.
    pub async fn insert_certificates(
        &mut self,
        session_id: i64,
        batch: i64,
        received_on: &str,
        rows: &[NewCertificate<'_>],
    ) -> Result<()> {
        with_conn!(self, |c| {
            for r in rows {
                sqlx::query(
                    "INSERT INTO certificates (application_id, session_id, cert_no, by_post, \
                     address, phone, received_on, batch_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (application_id) DO UPDATE SET cert_no = excluded.cert_no, \
                     by_post = excluded.by_post, address = excluded.address, phone = excluded.phone, \
                     batch_id = excluded.batch_id",
                )
                .bind(r.0)
                .bind(session_id)
                .bind(r.1)
                .bind(i64::from(r.2))
                .bind(r.3)
                .bind(r.4)
                .bind(received_on)
                .bind(batch)
                .execute(&mut *c)
                .await?;
            }
        });
        Ok(())
    }

    /// Records a certificate's hand-out; false when it was handed out already.
    pub async fn issue_certificate(
        &mut self,
        application_id: i64,
        batch: i64,
        how: &str,
        on: &str,
        proxy: (&str, &str),
        waybill: &str,
    ) -> Result<bool> {
        let n = with_conn!(self, |c| {
            sqlx::query(
                "UPDATE certificates SET issued_how = $2, issued_on = $3, proxy_name = $4, \
                 proxy_id = $5, waybill = $6, issue_batch = $7 \
                 WHERE application_id = $1 AND issued_how IS NULL",
            )
            .bind(application_id)
            .bind(how)
            .bind(on)
            .bind(proxy.0)
            .bind(proxy.1)
            .bind(waybill)
            .bind(batch)
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// Holds again the certificates batch `undone` recorded as handed out or posted.
    pub async fn unissue_certificates(&mut self, undone: i64) -> Result<u64> {
        Ok(with_conn!(self, |c| {
            sqlx::query(
                "UPDATE certificates SET issued_how = NULL, issued_on = NULL, proxy_name = '', \
                 proxy_id = '', waybill = '', issue_batch = NULL WHERE issue_batch = $1",
            )
            .bind(undone)
            .execute(&mut *c)
            .await?
            .rows_affected()
        }))
    }

    /// One candidate's scores, decision, rechecks and certificate, for `applications show`.
    pub async fn results_of(&mut self, application_id: i64) -> Result<ResultsOf> {
        let scores: Vec<(String, String, Option<i64>)> = with_conn!(self, |c| {
            sqlx::query_as("SELECT subject, entry, score FROM scores WHERE application_id = $1")
                .bind(application_id)
                .fetch_all(&mut *c)
                .await?
        });
        let verdict: Option<(i64, String)> = with_conn!(self, |c| {
            sqlx::query_as("SELECT passed, failed FROM verdicts WHERE application_id = $1")
                .bind(application_id)
                .fetch_optional(&mut *c)
                .await?
        });
        let sql =
            format!("SELECT {RECHECK_COLUMNS} FROM rechecks WHERE application_id = $1 ORDER BY id");
        let rechecks: Vec<RecheckRow> = with_conn!(self, |c| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(application_id)
                .fetch_all(&mut *c)
                .await?
        });
        let sql =
            format!("SELECT {CERTIFICATE_COLUMNS} FROM certificates WHERE application_id = $1");
        let certificate: Option<CertificateRow> = with_conn!(self, |c| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(application_id)
                .fetch_optional(&mut *c)
                .await?
        });
        Ok(ResultsOf {
            scores,
            verdict,
            rechecks,
            certificate,
        })
    }
}

/// One candidate's results as stored: scores (subject, entry, tenths), the decision
/// (passed, why not), rechecks and the certificate.
pub struct ResultsOf {
    pub scores: Vec<(String, String, Option<i64>)>,
    pub verdict: Option<(i64, String)>,
    pub rechecks: Vec<RecheckRow>,
    pub certificate: Option<CertificateRow>,
}
