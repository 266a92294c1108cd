//! Running the checks (`review check`, and corrections after they change applications):
//! every application of a session against the rules of `model::application`, with the photo
//! backgrounds measured, and the flags stored.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use anyhow::Result;
use rayon::prelude::*;
use serde::Serialize;

use crate::db::review::{CheckRow, FlagRow};
use crate::db::sessions::SessionRow;
use crate::io::photos::border_lightness;
use crate::model::application::{self, FLAG_CODES, Facts, PhotoFacts, Severity};
use crate::model::text::fold_ascii;

#[derive(Serialize)]
pub(crate) struct CheckReport {
    pub(crate) session: String,
    pub(crate) applications: usize,
    pub(crate) photos_measured: usize,
    pub(crate) with_errors: usize,
    pub(crate) with_warnings: usize,
    pub(crate) clean: usize,
    pub(crate) flags: BTreeMap<&'static str, usize>,
    pub(crate) seconds: f64,
}

/// Checks every application of the session and stores its flags (as `review check` does,
/// and as corrections do after they change applications).
pub(crate) async fn run_check(db: &crate::db::Db, session: &SessionRow) -> Result<CheckReport> {
    let started = Instant::now();
    let mut t = crate::progress::Phases::new();
    let mut tx = db.begin().await?;
    let rows = tx.check_rows(session.id).await?;
    t.mark("load");
    drop(tx);

    // The background needs a decode: measure each photo once, in parallel, and keep it.
    let unmeasured: Vec<&CheckRow> = rows
        .iter()
        .filter(|r| r.photo_border < 0 && r.photo_problem.is_empty() && r.photo_format == "jpeg")
        .collect();
    let measured: Vec<(i64, String, i64)> = if unmeasured.is_empty() {
        Vec::new()
    } else {
        let bar = crate::progress::bar(unmeasured.len() as u64, "measuring photo backgrounds");
        let out = unmeasured
            .par_iter()
            .filter_map(|r| {
                bar.inc(1);
                let bytes = crate::io::photos::read(r.photo_path.as_ref()).ok()?;
                // A file replaced since the import is measured at the next import, not now.
                (blake3::hash(&bytes).to_hex().as_str() == r.photo_hash)
                    .then(|| {
                        border_lightness(&bytes).map(|b| (r.id, r.photo_hash.clone(), i64::from(b)))
                    })
                    .flatten()
            })
            .collect();
        bar.finish_and_clear();
        out
    };
    let border_of: HashMap<i64, i64> = measured.iter().map(|(id, _, b)| (*id, *b)).collect();
    t.mark("measure photos");

    let mut tx = db.begin_write().await?;
    tx.lock_session(session.id).await?;
    tx.set_photo_borders(&measured).await?;
    // The rows read above are what is flagged. One changed meanwhile keeps its flags from
    // the version read, but is not marked current (replace_flags names versions), so its
    // approval waits for the next check.
    t.mark("store borders");
    let settings = session.settings();
    let today = chrono::Local::now().date_naive();
    let by_id_number = by_id_number(&rows);
    let flags: Vec<FlagRow> = rows
        .par_iter()
        .flat_map_iter(|r| {
            let border = if r.photo_border >= 0 {
                Some(r.photo_border)
            } else {
                border_of.get(&r.id).copied()
            };
            let facts = facts_of(r, border);
            let mut found = application::check(&facts, &settings, today);
            if let Some(others) = by_id_number.get(&fold_ascii(&r.id_number).to_ascii_uppercase())
                && others.len() > 1
            {
                let others: Vec<&str> = others
                    .iter()
                    .copied()
                    .filter(|n| *n != r.registration_no)
                    .collect();
                found.push(application::Flag {
                    code: "id_duplicate",
                    severity: Severity::Error,
                    message: format!("证件号码 {} is also on {}", r.id_number, others.join(", ")),
                });
            }
            found.into_iter().map(move |f| FlagRow {
                application_id: r.id,
                code: f.code.to_string(),
                severity: f.severity.as_str().to_string(),
                message: f.message,
            })
        })
        .collect();
    t.mark("flag");
    let checked: Vec<(i64, i64)> = rows.iter().map(|r| (r.id, r.version)).collect();
    tx.replace_flags(session.id, &flags, &checked).await?;
    // Every state's `checked` and the flags are new: plans made on the old figures expect
    // none of them checked (see Tx::analyze_after).
    tx.analyze(&["application_states", "flags"]).await?;
    t.mark("store flags");
    tx.commit().await?;
    t.mark("commit");

    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let (mut errors, mut warnings) = (HashSet::new(), HashSet::new());
    for f in &flags {
        let code = FLAG_CODES
            .iter()
            .find(|c| c.0 == f.code)
            .map_or("unknown", |c| c.0);
        *counts.entry(code).or_default() += 1;
        if f.severity == "error" {
            errors.insert(f.application_id);
        } else {
            warnings.insert(f.application_id);
        }
    }
    let report = CheckReport {
        session: session.code.clone(),
        applications: rows.len(),
        photos_measured: measured.len(),
        with_errors: errors.len(),
        with_warnings: warnings.difference(&errors).count(),
        clean: rows.len() - errors.len(),
        flags: counts,
        seconds: (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
    };
    Ok(report)
}

/// The registration numbers of each ID number (as the checks compare them: ASCII,
/// uppercase), to find the same person twice.
pub(crate) fn by_id_number(rows: &[CheckRow]) -> HashMap<String, Vec<&str>> {
    let mut out: HashMap<String, Vec<&str>> = HashMap::new();
    for r in rows {
        if !r.id_number.is_empty() {
            out.entry(fold_ascii(&r.id_number).to_ascii_uppercase())
                .or_default()
                .push(&r.registration_no);
        }
    }
    out
}

/// What the checks look at of an application, as stored; `border` as measured.
pub(crate) fn facts_of(r: &CheckRow, border: Option<i64>) -> Facts<'_> {
    Facts {
        id_type: &r.id_type,
        id_number: &r.id_number,
        gender: &r.gender,
        birth_date: r.birth_date,
        mobile: &r.mobile,
        email: &r.email,
        address: &r.address,
        photo: PhotoFacts {
            name: &r.photo,
            problem: &r.photo_problem,
            format: &r.photo_format,
            width: r.photo_width as u32,
            height: r.photo_height as u32,
            bytes: r.photo_bytes as u64,
            border: border.map(|b| b.clamp(0, 255) as u8),
        },
    }
}
