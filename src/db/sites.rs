//! Exam sites (考点) and their rooms (考场).

use super::{Result, Tx, with_conn};
use crate::model::site::{RoomRow, format_seat_list, parse_seat_list};

#[derive(Debug, Clone, sqlx::FromRow)]
struct RoomRecord {
    exam_area: String,
    site_code: String,
    site_name: String,
    address: String,
    number: i64,
    seats: i64,
    disabled_seats: String,
    computer: i64,
}

impl Tx {
    /// Every room of the session with its site, ordered by exam area, site code, room.
    pub async fn rooms(&mut self, session_id: i64) -> Result<Vec<RoomRow>> {
        let rows: Vec<RoomRecord> = with_conn!(self, |c| {
            sqlx::query_as(
                "SELECT s.exam_area, s.code AS site_code, s.name AS site_name, s.address, \
                 r.number, r.seats, r.disabled_seats, r.computer \
                 FROM rooms r JOIN sites s ON s.id = r.site_id WHERE s.session_id = $1 \
                 ORDER BY s.exam_area, s.code, r.number",
            )
            .bind(session_id)
            .fetch_all(&mut *c)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|r| RoomRow {
                line: 0,
                exam_area: r.exam_area,
                site_code: r.site_code,
                site_name: r.site_name,
                address: r.address,
                room: r.number as u32,
                seats: r.seats as u32,
                disabled_seats: parse_seat_list(&r.disabled_seats).unwrap_or_default(),
                computer: r.computer != 0,
            })
            .collect())
    }

    /// The exam areas (考区) that have sites, sorted.
    pub async fn exam_areas(&mut self, session_id: i64) -> Result<Vec<String>> {
        Ok(with_conn!(self, |c| {
            sqlx::query_scalar(
                "SELECT DISTINCT exam_area FROM sites WHERE session_id = $1 ORDER BY exam_area",
            )
            .bind(session_id)
            .fetch_all(&mut *c)
            .await?
        }))
    }

    pub async fn upsert_site(
        &mut self,
        session_id: i64,
        exam_area: &str,
        code: &str,
        name: &str,
        address: &str,
    ) -> Result<i64> {
        Ok(with_conn!(self, |c| {
            sqlx::query_scalar(
                "INSERT INTO sites (session_id, exam_area, code, name, address) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (session_id, exam_area, code) DO UPDATE SET name = excluded.name, \
                 address = excluded.address RETURNING id",
            )
            .bind(session_id)
            .bind(exam_area)
            .bind(code)
            .bind(name)
            .bind(address)
            .fetch_one(&mut *c)
            .await?
        }))
    }

    pub async fn upsert_room(&mut self, site_id: i64, r: &RoomRow) -> Result<()> {
        with_conn!(self, |c| {
            sqlx::query(
                "INSERT INTO rooms (site_id, number, seats, disabled_seats, usable_seats, computer) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (site_id, number) DO UPDATE SET seats = excluded.seats, \
                 disabled_seats = excluded.disabled_seats, usable_seats = excluded.usable_seats, \
                 computer = excluded.computer",
            )
            .bind(site_id)
            .bind(i64::from(r.room))
            .bind(i64::from(r.seats))
            .bind(format_seat_list(&r.disabled_seats))
            .bind(i64::from(r.usable_seats()))
            .bind(i64::from(r.computer))
            .execute(&mut *c)
            .await?;
        });
        Ok(())
    }
}
