//! `kaowu status`: the database, its schema version, and per session what it holds.

use anyhow::Result;
use serde::Serialize;

use super::{connect, print_json, table};
use crate::cli::GlobalArgs;
use crate::db::sessions::SessionCounts;
use crate::db::{Backend, display_url};

#[derive(Serialize)]
struct Status {
    database: String,
    backend: Backend,
    schema_version: i64,
    sessions: Vec<SessionCounts>,
}

pub async fn run(g: &GlobalArgs) -> Result<()> {
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let status = Status {
        database: display_url(&g.database_url),
        backend: db.backend(),
        schema_version: tx.schema_version().await?,
        sessions: tx.session_counts().await?,
    };
    drop(tx);
    db.close().await;
    if g.json {
        return print_json(&status);
    }
    outln!(
        "database: {} ({}, schema version {})",
        status.database,
        match status.backend {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        },
        status.schema_version
    )?;
    if status.sessions.is_empty() {
        outln!("no sessions yet: kaowu session create 2026H2 --province 云南")?;
        return Ok(());
    }
    let mut t = table(&[
        "session",
        "name",
        "province",
        "qualifications",
        "plan rows",
        "sittings",
        "fees",
        "exam areas",
        "sites",
        "rooms",
        "seats",
        "usable seats",
    ]);
    for s in &status.sessions {
        t.add_row(vec![
            s.code.clone(),
            s.name.clone(),
            s.province.clone(),
            s.qualifications.to_string(),
            s.plan_subjects.to_string(),
            s.sittings.to_string(),
            s.fees.to_string(),
            s.exam_areas.to_string(),
            s.sites.to_string(),
            s.rooms.to_string(),
            s.seats.to_string(),
            s.usable_seats.to_string(),
        ]);
    }
    outln!("{t}")?;
    Ok(())
}
