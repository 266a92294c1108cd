//! `kaowu sites list`: exam sites and rooms with their seats.

use anyhow::Result;
use serde::Serialize;

use super::{connect, current_session, print_json, table};
use crate::cli::{GlobalArgs, SitesCommand};
use crate::model::fee::match_area;
use crate::model::site::format_seat_list;

#[derive(Serialize)]
struct RoomView {
    exam_area: String,
    site_code: String,
    site_name: String,
    address: String,
    room: u32,
    seats: u32,
    disabled_seats: Vec<u32>,
    usable_seats: u32,
    computer: bool,
}

pub async fn run(g: &GlobalArgs, cmd: &SitesCommand) -> Result<()> {
    let SitesCommand::List { exam_area } = cmd;
    let db = connect(g).await?;
    let mut tx = db.begin().await?;
    let session = current_session(&mut tx, g).await?;
    let rooms = tx.rooms(session.id).await?;
    let areas = rooms.iter().map(|r| r.exam_area.clone()).collect();
    let wanted = exam_area
        .as_deref()
        .map(|a| match_area(a, &areas).to_string());
    let rows: Vec<RoomView> = rooms
        .into_iter()
        .filter(|r| wanted.as_ref().is_none_or(|a| &r.exam_area == a))
        .map(|r| RoomView {
            usable_seats: r.usable_seats(),
            exam_area: r.exam_area,
            site_code: r.site_code,
            site_name: r.site_name,
            address: r.address,
            room: r.room,
            seats: r.seats,
            disabled_seats: r.disabled_seats,
            computer: r.computer,
        })
        .collect();
    if g.json {
        return print_json(&rows);
    }
    if rows.is_empty() {
        outln!(
            "session {} has no rooms{}: kaowu import sites FILE",
            session.code,
            if wanted.is_some() {
                " in that exam area"
            } else {
                ""
            }
        )?;
        return Ok(());
    }
    let mut t = table(&[
        "考区",
        "考点代码",
        "考点名称",
        "考场号",
        "座位数",
        "停用座位",
        "可用座位",
        "类型",
    ]);
    for r in &rows {
        t.add_row(vec![
            r.exam_area.clone(),
            r.site_code.clone(),
            r.site_name.clone(),
            format!("{:02}", r.room),
            r.seats.to_string(),
            format_seat_list(&r.disabled_seats),
            r.usable_seats.to_string(),
            if r.computer { "机房" } else { "普通" }.to_string(),
        ]);
    }
    outln!("{t}")?;
    let usable: u32 = rows.iter().map(|r| r.usable_seats).sum();
    outln!("{} rooms, {usable} usable seats", rows.len())?;
    Ok(())
}
