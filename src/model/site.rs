//! Exam sites (考点) and rooms (考场): seats per room, disabled seats, and the rules a site
//! list must follow.

use std::collections::HashMap;

use super::RowProblem;
use super::text::fold_ascii;

/// One row of a sites file: one room of one site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomRow {
    pub line: usize,
    pub exam_area: String,
    pub site_code: String,
    pub site_name: String,
    pub address: String,
    pub room: u32,
    pub seats: u32,
    /// Sorted, without duplicates.
    pub disabled_seats: Vec<u32>,
    /// A computer room (机房): its invigilators and technicians follow their own rules.
    pub computer: bool,
}

impl RoomRow {
    pub fn usable_seats(&self) -> u32 {
        self.seats.saturating_sub(self.disabled_seats.len() as u32)
    }
}

/// Parses a seat list such as `5,17`, `5、17`, `5，17`, `3-6` (a range) or `5 17`; empty
/// means none. Returns the seats sorted; a seat named twice is an error.
pub fn parse_seat_list(text: &str) -> Result<Vec<u32>, String> {
    let s = fold_ascii(text).replace(['，', ';', '；'], ",");
    let mut seats = Vec::new();
    for part in s
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty())
    {
        let bad = || format!("expected seat numbers like 5,17 or 3-6, found \"{part}\"");
        if let Some((a, b)) = part.split_once('-') {
            let (a, b): (u32, u32) = (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
            if a == 0 || a > b {
                return Err(bad());
            }
            seats.extend(a..=b);
        } else {
            let n: u32 = part.parse().map_err(|_| bad())?;
            if n == 0 {
                return Err(bad());
            }
            seats.push(n);
        }
    }
    seats.sort_unstable();
    if let Some(&[a, _]) = seats.windows(2).find(|w| w[0] == w[1]) {
        return Err(format!("seat {a} is listed twice"));
    }
    Ok(seats)
}

/// The canonical text of a seat list: `5,17`.
pub fn format_seat_list(seats: &[u32]) -> String {
    seats
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Checks a sites file as a whole.
pub fn check(rows: &[RoomRow]) -> Vec<RowProblem> {
    let mut out = Vec::new();
    let mut site_first: HashMap<(&str, &str), usize> = HashMap::new();
    let mut name_first: HashMap<(&str, &str), usize> = HashMap::new();
    let mut rooms: HashMap<(&str, &str, u32), usize> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        if r.seats == 0 {
            out.push(RowProblem::new(
                i,
                "seats",
                "expected at least 1 seat, found 0",
            ));
        }
        if let Some(&s) = r.disabled_seats.iter().find(|&&s| s > r.seats) {
            out.push(RowProblem::new(
                i,
                "disabled_seats",
                format!(
                    "seat {s} is switched off, but room {} has only {} seats",
                    r.room, r.seats
                ),
            ));
        } else if r.seats > 0 && r.usable_seats() == 0 {
            out.push(RowProblem::new(
                i,
                "disabled_seats",
                format!("every seat of room {} is switched off", r.room),
            ));
        }
        let first = *site_first.entry((&r.exam_area, &r.site_code)).or_insert(i);
        let f = &rows[first];
        if f.site_name != r.site_name {
            out.push(RowProblem::new(
                i,
                "site_name",
                format!(
                    "site {} of {} is called {} in row {}; a site code names one site in an exam area",
                    r.site_code, r.exam_area, f.site_name, f.line
                ),
            ));
        } else if f.address != r.address {
            out.push(RowProblem::new(
                i,
                "address",
                format!(
                    "site {} {} has the address {} in row {}",
                    r.site_code, r.site_name, f.address, f.line
                ),
            ));
        }
        let named = *name_first.entry((&r.exam_area, &r.site_name)).or_insert(i);
        if rows[named].site_code != r.site_code {
            out.push(RowProblem::new(
                i,
                "site_code",
                format!(
                    "{} in {} has code {} in row {}; one site has one code",
                    r.site_name, r.exam_area, rows[named].site_code, rows[named].line
                ),
            ));
        }
        if let Some(&prev) = rooms.get(&(r.exam_area.as_str(), r.site_code.as_str(), r.room)) {
            out.push(RowProblem::new(
                i,
                "room",
                format!(
                    "room {} of site {} is already listed in row {}",
                    r.room, r.site_code, rows[prev].line
                ),
            ));
        } else {
            rooms.insert((&r.exam_area, &r.site_code, r.room), i);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(
        line: usize,
        code: &str,
        name: &str,
        room: u32,
        seats: u32,
        disabled: &[u32],
    ) -> RoomRow {
        RoomRow {
            line,
            exam_area: "丽江".into(),
            site_code: code.into(),
            site_name: name.into(),
            address: "丽江市古城区".into(),
            room,
            seats,
            disabled_seats: disabled.to_vec(),
            computer: false,
        }
    }

    #[test]
    fn seat_lists() {
        assert_eq!(parse_seat_list("5,17"), Ok(vec![5, 17]));
        assert_eq!(parse_seat_list("17、5"), Ok(vec![5, 17]));
        assert_eq!(parse_seat_list("３-５，９"), Ok(vec![3, 4, 5, 9]));
        assert_eq!(parse_seat_list(""), Ok(vec![]));
        assert!(parse_seat_list("5,5").unwrap_err().contains("twice"));
        assert!(parse_seat_list("a").is_err());
        assert!(parse_seat_list("0").is_err());
        assert_eq!(format_seat_list(&[5, 17]), "5,17");
    }

    #[test]
    fn good_sites_pass() {
        let rows = vec![
            room(2, "001", "丽江一中", 1, 30, &[5]),
            room(3, "001", "丽江一中", 2, 30, &[]),
        ];
        assert_eq!(check(&rows), vec![]);
        assert_eq!(rows[0].usable_seats(), 29);
    }

    #[test]
    fn disabled_seats_must_exist() {
        let p = check(&[room(2, "001", "丽江一中", 1, 30, &[31])]);
        assert!(p[0].message.contains("only 30 seats"), "{p:?}");
    }

    #[test]
    fn codes_are_unique_per_area() {
        let rows = vec![
            room(2, "001", "丽江一中", 1, 30, &[]),
            room(3, "001", "丽江二中", 1, 30, &[]),
        ];
        let p = check(&rows);
        assert!(
            p.iter()
                .any(|p| p.column == "site_name" && p.message.contains("row 2")),
            "{p:?}"
        );
    }

    #[test]
    fn rooms_once_and_seats_positive() {
        let rows = vec![
            room(2, "001", "丽江一中", 1, 30, &[]),
            room(3, "001", "丽江一中", 1, 0, &[]),
        ];
        let cols: Vec<&str> = check(&rows).iter().map(|p| p.column).collect();
        assert_eq!(cols, ["seats", "room"]);
    }
}
