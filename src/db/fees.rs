//! Fee rows (收费标准), amounts in fen.

use chrono::NaiveDate;

use super::{Result, Tx, with_conn};
use crate::model::fee::FeeRule;
use crate::model::level::Level;
use crate::model::money::Fen;

#[derive(Debug, Clone, sqlx::FromRow)]
struct FeeRecord {
    region: String,
    level: String,
    qualification: String,
    subject: String,
    amount_fen: i64,
    effective_from: NaiveDate,
    effective_to: Option<NaiveDate>,
    source: String,
}

impl FeeRecord {
    fn into_rule(self) -> FeeRule {
        let level = Level::parse(&self.level).expect("the schema allows only 初级, 中级, 高级");
        FeeRule {
            region: self.region,
            level,
            qualification: Some(self.qualification).filter(|q| !q.is_empty()),
            subject: if self.subject.is_empty() {
                None
            } else {
                level.subject(&self.subject)
            },
            amount: Fen(self.amount_fen),
            effective_from: self.effective_from,
            effective_to: self.effective_to,
            source: self.source,
        }
    }
}

impl Tx {
    /// The session's fee rows, in a stable order.
    pub async fn fees(&mut self, session_id: i64) -> Result<Vec<FeeRule>> {
        let rows: Vec<FeeRecord> = with_conn!(self, |c| {
            sqlx::query_as(
                "SELECT region, level, qualification, subject, amount_fen, effective_from, effective_to, source \
                 FROM fees WHERE session_id = $1 \
                 ORDER BY region, level, qualification, subject, effective_from",
            )
            .bind(session_id)
            .fetch_all(&mut *c)
            .await?
        });
        Ok(rows.into_iter().map(FeeRecord::into_rule).collect())
    }

    pub async fn upsert_fee(&mut self, session_id: i64, f: &FeeRule) -> Result<()> {
        with_conn!(self, |c| {
            sqlx::query(
                "INSERT INTO fees (session_id, region, level, qualification, subject, amount_fen, \
                 effective_from, effective_to, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (session_id, region, level, qualification, subject, effective_from) \
                 DO UPDATE SET amount_fen = excluded.amount_fen, effective_to = excluded.effective_to, \
                 source = excluded.source",
            )
            .bind(session_id)
            .bind(&f.region)
            .bind(f.level.zh())
            .bind(f.qualification.as_deref().unwrap_or(""))
            .bind(f.subject.unwrap_or(""))
            .bind(f.amount.0)
            .bind(f.effective_from)
            .bind(f.effective_to)
            .bind(&f.source)
            .execute(&mut *c)
            .await?;
        });
        Ok(())
    }
}
