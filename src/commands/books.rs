//! A session's money as the commands read it from the store: each application's fee due,
//! and stored payments and applications in the model's terms, for payments and the report.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::db::payments::{PayRow, PaymentRow};
use crate::model::application::Status;
use crate::model::fee::{self, FeeRule};
use crate::model::level::Level;
use crate::model::money::Fen;
use crate::model::payment::{Order, PayResult, ReconApp};

/// A stored payment as the model sees it.
pub(crate) fn order_of(p: &PaymentRow) -> Order {
    Order {
        order_no: p.order_no.clone(),
        registration_no: p.registration_no.clone(),
        amount: Fen(p.amount_fen),
        paid_at: p.paid_at(),
        channel: p.channel.clone(),
        result: PayResult::parse(&p.result).unwrap_or(PayResult::Pending),
        applied: p.applied_batch.is_some(),
    }
}

/// Each application's fee due: its subjects' fees on the day of its approval. Computed once
/// per distinct (area, level, qualification, subjects, day).
pub fn fees_due(rows: &[PayRow], rules: &[FeeRule], province: &str) -> Vec<Option<Fen>> {
    let mut cache: HashMap<(&str, &str, &str, &str, NaiveDate), Option<Fen>> = HashMap::new();
    rows.iter()
        .map(|r| {
            let on = r.approved_on()?;
            let level = Level::parse(&r.level)?;
            *cache
                .entry((&r.exam_area, &r.level, &r.qualification, &r.subjects, on))
                .or_insert_with(|| {
                    fee::due(
                        rules,
                        province,
                        &r.exam_area,
                        level,
                        &r.qualification,
                        &r.subjects,
                        on,
                    )
                    .ok()
                    .map(|(total, _)| total)
                })
        })
        .collect()
}

pub(crate) fn status_of(r: &PayRow) -> Status {
    Status::parse(&r.status).unwrap_or(Status::Submitted)
}

/// An application as the reconciliation sees it, with its fee due.
pub(crate) fn recon_app(r: &PayRow, fee_due: Option<Fen>) -> ReconApp {
    ReconApp {
        registration_no: r.registration_no.clone(),
        name: r.name.clone(),
        id_number: r.id_number.clone(),
        exam_area: r.exam_area.clone(),
        qualification: r.qualification.clone(),
        status: status_of(r),
        fee_due,
        paid_by: r.paid_by.clone(),
        refund: r.refund_batch.is_some(),
    }
}
