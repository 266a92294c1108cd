//! Rosters (名册): which lines a roster has, in which order, which file or sheet each line
//! goes in, and what each column shows, masked for a posted list. Pure: rows in, values out.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use serde::Deserialize;

use super::application::Status;
use super::id_number;
use super::money::Fen;
use super::seating::Seat;
use super::text::mask_phone;

/// One application as a roster shows it; the store reads it in this column order.
#[derive(Debug, Clone, Deserialize)]
pub struct Entry {
    pub id: i64,
    pub registration_no: String,
    pub name: String,
    pub gender: String,
    pub id_type: String,
    pub id_number: String,
    /// `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    pub mobile: String,
    pub email: String,
    pub address: String,
    pub employer: String,
    pub exam_area: String,
    pub level: String,
    pub qualification: String,
    pub subjects: String,
    pub status: String,
    /// The payment that made it paid: amount and time (`YYYY-MM-DD HH:MM:SS`).
    pub paid_fen: Option<i64>,
    pub paid_at: Option<String>,
    pub card_no: Option<String>,
}

/// A room as a roster names it.
#[derive(Debug, Clone)]
pub struct Room {
    pub exam_area: String,
    pub site_code: String,
    pub site_name: String,
    pub number: i64,
}

/// A sitting (场次) as a roster names it.
#[derive(Debug, Clone)]
pub struct Sitting {
    pub label: String,
    pub date: NaiveDate,
    /// `HH:MM`.
    pub starts_at: String,
    pub ends_at: String,
}

/// How a roster is split into files (or sheets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// One per exam area (考区); every application, seated or not.
    ExamArea,
    /// One per site (考点); seated applications only.
    Site,
    /// One per room (考场) and sitting; seated applications only.
    Room,
}

/// What a file (or sheet) holds: an exam area, a site, or a room in one sitting. Ordered
/// as the files are listed: exam area, site code, room, date and time.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct GroupKey {
    pub exam_area: String,
    /// Site code and name.
    pub site: Option<(String, String)>,
    pub room: Option<i64>,
    /// Date, start time and label of the sitting.
    pub sitting: Option<(NaiveDate, String, String)>,
}

impl GroupKey {
    /// The parts that name it, in its order, e.g. `丽江`, `丽江 001 丽江一中`, or `丽江 001
    /// 丽江一中 第003考场 2026-11-07 第1场`.
    pub fn parts(&self) -> Vec<String> {
        let mut out = vec![self.exam_area.clone()];
        if let Some((code, name)) = &self.site {
            out.push(code.clone());
            out.push(name.clone());
        }
        if let Some(room) = self.room {
            out.push(format!("第{room:03}考场"));
        }
        if let Some((date, _, label)) = &self.sitting {
            out.push(date.to_string());
            out.push(label.clone());
        }
        out
    }

    /// A name short enough for a sheet (31 characters): `丽江`, `丽江 丽江一中`, or `丽江
    /// 001-003 11-07 第1场` (site code and room number, the date without its year).
    pub fn short(&self) -> String {
        let mut out = self.exam_area.clone();
        match (&self.site, self.room) {
            (Some((code, _)), Some(room)) => out.push_str(&format!(" {code}-{room:03}")),
            (Some((_, name)), None) => out.push_str(&format!(" {name}")),
            _ => {}
        }
        if let Some((date, _, label)) = &self.sitting {
            out.push_str(&format!(" {} {label}", date.format("%m-%d")));
        }
        out
    }
}

/// One line of a roster: an application, and one of its seats once it is seated.
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    pub entry: &'a Entry,
    pub seat: Option<(&'a Room, &'a Sitting, u32)>,
}

/// A roster split into its files, each in roster order, and the applications that could
/// not be placed in any (no seat, where the files are per site or room).
#[derive(Debug)]
pub struct Arranged<'a> {
    pub groups: BTreeMap<GroupKey, Vec<Line<'a>>>,
    pub unplaced: Vec<&'a Entry>,
}

/// Splits `entries` into files. A seated application has one line per seat (a 高级
/// candidate sits twice); one without a seat has one line, in its exam area's file, and
/// in no file per site or room. Lines are in site, room, sitting and seat order, the
/// applications without a seat after them in 报名序号 order.
pub fn arrange<'a>(
    entries: &'a [Entry],
    seats: &[Seat],
    rooms: &'a HashMap<i64, Room>,
    sittings: &'a HashMap<i64, Sitting>,
    grouping: Grouping,
) -> Arranged<'a> {
    let mut seats_of: HashMap<i64, Vec<(&'a Room, &'a Sitting, u32)>> = HashMap::new();
    for s in seats {
        if let (Some(room), Some(sitting)) = (rooms.get(&s.room_id), sittings.get(&s.sitting_id)) {
            seats_of
                .entry(s.application_id)
                .or_default()
                .push((room, sitting, s.seat));
        }
    }
    let mut groups: BTreeMap<GroupKey, Vec<Line<'a>>> = BTreeMap::new();
    let mut unplaced = Vec::new();
    for e in entries {
        let Some(placed) = seats_of.get(&e.id) else {
            if grouping == Grouping::ExamArea {
                groups
                    .entry(area_key(&e.exam_area))
                    .or_default()
                    .push(Line {
                        entry: e,
                        seat: None,
                    });
            } else {
                unplaced.push(e);
            }
            continue;
        };
        for &(room, sitting, seat) in placed {
            let key = match grouping {
                Grouping::ExamArea => area_key(&e.exam_area),
                Grouping::Site => GroupKey {
                    site: Some((room.site_code.clone(), room.site_name.clone())),
                    ..area_key(&room.exam_area)
                },
                Grouping::Room => GroupKey {
                    site: Some((room.site_code.clone(), room.site_name.clone())),
                    room: Some(room.number),
                    sitting: Some((
                        sitting.date,
                        sitting.starts_at.clone(),
                        sitting.label.clone(),
                    )),
                    ..area_key(&room.exam_area)
                },
            };
            groups.entry(key).or_default().push(Line {
                entry: e,
                seat: Some((room, sitting, seat)),
            });
        }
    }
    for lines in groups.values_mut() {
        lines.sort_by(|a, b| order_key(a).cmp(&order_key(b)));
    }
    unplaced.sort_by(|a, b| a.registration_no.cmp(&b.registration_no));
    Arranged { groups, unplaced }
}

fn area_key(area: &str) -> GroupKey {
    GroupKey {
        exam_area: area.to_string(),
        site: None,
        room: None,
        sitting: None,
    }
}

type OrderKey<'a> = (
    bool,
    Option<(&'a str, i64, NaiveDate, &'a str, u32)>,
    &'a str,
);

fn order_key<'a>(l: &Line<'a>) -> OrderKey<'a> {
    (
        l.seat.is_none(),
        l.seat.map(|(room, sitting, seat)| {
            (
                room.site_code.as_str(),
                room.number,
                sitting.date,
                sitting.starts_at.as_str(),
                seat,
            )
        }),
        l.entry.registration_no.as_str(),
    )
}

/// A cell of a roster, typed so that a workbook can hold real dates and numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Text(Cow<'a, str>),
    Date(NaiveDate),
    DateTime(NaiveDateTime),
    Money(Fen),
    /// A number shown with at least this many digits (room 003, seat 07).
    Padded(i64, usize),
    Empty,
}

impl Value<'_> {
    /// The text a CSV file carries: ISO dates, yuan without a unit, padded numbers.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Value::Text(s) => Cow::Borrowed(s.as_ref()),
            Value::Date(d) => Cow::Owned(d.format("%Y-%m-%d").to_string()),
            Value::DateTime(t) => Cow::Owned(t.format("%Y-%m-%d %H:%M:%S").to_string()),
            Value::Money(f) => Cow::Owned(f.yuan()),
            Value::Padded(n, w) => Cow::Owned(format!("{n:0w$}", w = *w)),
            Value::Empty => Cow::Borrowed(""),
        }
    }
}

/// The columns of a roster, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    RegistrationNo,
    Name,
    Gender,
    IdType,
    IdNumber,
    BirthDate,
    Mobile,
    Email,
    Address,
    Employer,
    ExamArea,
    Level,
    Qualification,
    Subjects,
    Status,
    PaidAmount,
    PaidAt,
    CardNo,
    SiteCode,
    SiteName,
    Room,
    Seat,
    Sitting,
    ExamDate,
    ExamTime,
}

impl Column {
    pub const ALL: [Column; 25] = [
        Column::RegistrationNo,
        Column::Name,
        Column::Gender,
        Column::IdType,
        Column::IdNumber,
        Column::BirthDate,
        Column::Mobile,
        Column::Email,
        Column::Address,
        Column::Employer,
        Column::ExamArea,
        Column::Level,
        Column::Qualification,
        Column::Subjects,
        Column::Status,
        Column::PaidAmount,
        Column::PaidAt,
        Column::CardNo,
        Column::SiteCode,
        Column::SiteName,
        Column::Room,
        Column::Seat,
        Column::Sitting,
        Column::ExamDate,
        Column::ExamTime,
    ];

    /// The columns of a roster for staff, or of one to be posted (`public`).
    pub fn of(public: bool) -> Vec<Column> {
        Column::ALL
            .into_iter()
            .filter(|c| !public || c.posted())
            .collect()
    }

    /// The header, as the import names the same field where it has one.
    pub fn header(self) -> &'static str {
        match self {
            Column::RegistrationNo => "报名序号",
            Column::Name => "姓名",
            Column::Gender => "性别",
            Column::IdType => "证件类型",
            Column::IdNumber => "证件号码",
            Column::BirthDate => "出生日期",
            Column::Mobile => "手机号码",
            Column::Email => "电子邮箱",
            Column::Address => "通信地址",
            Column::Employer => "工作单位",
            Column::ExamArea => "考区",
            Column::Level => "级别",
            Column::Qualification => "报考资格",
            Column::Subjects => "报考科目",
            Column::Status => "状态",
            Column::PaidAmount => "缴费金额",
            Column::PaidAt => "缴费时间",
            Column::CardNo => "准考证号",
            Column::SiteCode => "考点代码",
            Column::SiteName => "考点名称",
            Column::Room => "考场号",
            Column::Seat => "座位号",
            Column::Sitting => "场次",
            Column::ExamDate => "考试日期",
            Column::ExamTime => "考试时间",
        }
    }

    /// Whether a posted list carries it. Addresses, e-mail and the employer tell where a
    /// candidate can be found; the birth date is what a masked ID number hides.
    pub fn posted(self) -> bool {
        !matches!(
            self,
            Column::BirthDate | Column::Email | Column::Address | Column::Employer
        )
    }

    /// What this column shows for `line`; `public` masks ID and phone numbers.
    pub fn value<'a>(self, line: &Line<'a>, public: bool) -> Value<'a> {
        let e = line.entry;
        let text = |s: &'a str| {
            if s.is_empty() {
                Value::Empty
            } else {
                Value::Text(Cow::Borrowed(s))
            }
        };
        let seat = line.seat;
        match self {
            Column::RegistrationNo => text(&e.registration_no),
            Column::Name => text(&e.name),
            Column::Gender => text(&e.gender),
            Column::IdType => text(&e.id_type),
            Column::IdNumber if public => Value::Text(Cow::Owned(id_number::mask(&e.id_number))),
            Column::IdNumber => text(&e.id_number),
            Column::BirthDate => e.birth_date.as_deref().map_or(Value::Empty, |d| {
                NaiveDate::parse_from_str(d, "%Y-%m-%d").map_or_else(|_| text(d), Value::Date)
            }),
            Column::Mobile if public => Value::Text(Cow::Owned(mask_phone(&e.mobile))),
            Column::Mobile => text(&e.mobile),
            Column::Email => text(&e.email),
            Column::Address => text(&e.address),
            Column::Employer => text(&e.employer),
            Column::ExamArea => text(&e.exam_area),
            Column::Level => text(&e.level),
            Column::Qualification => text(&e.qualification),
            Column::Subjects => text(&e.subjects),
            Column::Status => Status::parse(&e.status)
                .map_or_else(|| text(&e.status), |s| Value::Text(Cow::Borrowed(s.zh()))),
            Column::PaidAmount => e.paid_fen.map_or(Value::Empty, |f| Value::Money(Fen(f))),
            Column::PaidAt => e.paid_at.as_deref().map_or(Value::Empty, |t| {
                let t19 = t.get(..19).unwrap_or(t).replace('T', " ");
                NaiveDateTime::parse_from_str(&t19, "%Y-%m-%d %H:%M:%S")
                    .map_or_else(|_| text(t), Value::DateTime)
            }),
            Column::CardNo => e.card_no.as_deref().map_or(Value::Empty, text),
            Column::SiteCode => seat.map_or(Value::Empty, |(r, _, _)| text(&r.site_code)),
            Column::SiteName => seat.map_or(Value::Empty, |(r, _, _)| text(&r.site_name)),
            Column::Room => seat.map_or(Value::Empty, |(r, _, _)| Value::Padded(r.number, 3)),
            Column::Seat => seat.map_or(Value::Empty, |(_, _, n)| Value::Padded(i64::from(n), 2)),
            Column::Sitting => seat.map_or(Value::Empty, |(_, s, _)| text(&s.label)),
            Column::ExamDate => seat.map_or(Value::Empty, |(_, s, _)| Value::Date(s.date)),
            Column::ExamTime => seat.map_or(Value::Empty, |(_, s, _)| {
                Value::Text(Cow::Owned(format!("{}-{}", s.starts_at, s.ends_at)))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: i64, no: &str, area: &str) -> Entry {
        Entry {
            id,
            registration_no: no.into(),
            name: "张三".into(),
            gender: "男".into(),
            id_type: "居民身份证".into(),
            id_number: "530102199001011234".into(),
            birth_date: Some("1990-01-01".into()),
            mobile: "13812345678".into(),
            email: "a@example.com".into(),
            address: "丽江市古城区".into(),
            employer: String::new(),
            exam_area: area.into(),
            level: "高级".into(),
            qualification: "系统架构设计师".into(),
            subjects: "综合知识,案例分析,论文".into(),
            status: "seated".into(),
            paid_fen: Some(19000),
            paid_at: Some("2026-08-25 10:30:00".into()),
            card_no: Some("2626010010100101".into()),
        }
    }

    fn places() -> (HashMap<i64, Room>, HashMap<i64, Sitting>) {
        let room = |code: &str, n| Room {
            exam_area: "丽江".into(),
            site_code: code.into(),
            site_name: format!("考点{code}"),
            number: n,
        };
        let rooms = HashMap::from([
            (1, room("001", 1)),
            (2, room("001", 2)),
            (3, room("002", 1)),
        ]);
        let sitting = |label: &str, d, t: &str| Sitting {
            label: label.into(),
            date: NaiveDate::from_ymd_opt(2026, 11, d).unwrap(),
            starts_at: t.into(),
            ends_at: "11:00".into(),
        };
        let sittings = HashMap::from([
            (10, sitting("第1场", 7, "08:30")),
            (20, sitting("第2场", 7, "14:30")),
        ]);
        (rooms, sittings)
    }

    fn seat(application_id: i64, sitting_id: i64, room_id: i64, seat: u32) -> Seat {
        Seat {
            application_id,
            sitting_id,
            room_id,
            seat,
        }
    }

    #[test]
    fn lines_per_seat_in_site_room_sitting_seat_order_then_the_unseated() {
        let entries = vec![
            entry(1, "20260000001", "丽江"),
            entry(2, "20260000002", "丽江"),
            entry(3, "20260000003", "丽江"),
            entry(4, "20260000004", "大理"),
        ];
        let (rooms, sittings) = places();
        // 1 sits twice (a 高级 candidate), 2 once in another site, 3 and 4 have no seat.
        let seats = [
            seat(1, 20, 3, 4),
            seat(1, 10, 1, 9),
            seat(2, 10, 1, 2),
            seat(2, 20, 2, 1),
        ];
        let a = arrange(&entries, &seats, &rooms, &sittings, Grouping::ExamArea);
        assert!(a.unplaced.is_empty());
        let keys: Vec<String> = a.groups.keys().map(|k| k.parts().join(" ")).collect();
        // In code-point order, as the store orders exam areas.
        assert_eq!(keys, ["丽江", "大理"]);
        let lijiang: Vec<(String, Option<u32>)> = a.groups[&area_key("丽江")]
            .iter()
            .map(|l| (l.entry.registration_no.clone(), l.seat.map(|s| s.2)))
            .collect();
        assert_eq!(
            lijiang,
            [
                ("20260000002".to_string(), Some(2)),
                ("20260000001".to_string(), Some(9)),
                ("20260000002".to_string(), Some(1)),
                ("20260000001".to_string(), Some(4)),
                ("20260000003".to_string(), None),
            ]
        );

        let rooms_of = arrange(&entries, &seats, &rooms, &sittings, Grouping::Room);
        let names: Vec<String> = rooms_of
            .groups
            .keys()
            .map(|k| k.parts().join(" "))
            .collect();
        assert_eq!(
            names,
            [
                "丽江 001 考点001 第001考场 2026-11-07 第1场",
                "丽江 001 考点001 第002考场 2026-11-07 第2场",
                "丽江 002 考点002 第001考场 2026-11-07 第2场",
            ]
        );
        let short: Vec<String> = rooms_of.groups.keys().map(GroupKey::short).collect();
        assert_eq!(short[0], "丽江 001-001 11-07 第1场");
        let first: Vec<u32> = rooms_of
            .groups
            .values()
            .next()
            .unwrap()
            .iter()
            .map(|l| l.seat.unwrap().2)
            .collect();
        assert_eq!(first, [2, 9]);
        let unplaced: Vec<&str> = rooms_of
            .unplaced
            .iter()
            .map(|e| e.registration_no.as_str())
            .collect();
        assert_eq!(unplaced, ["20260000003", "20260000004"]);
        let sites = arrange(&entries, &seats, &rooms, &sittings, Grouping::Site);
        assert_eq!(sites.groups.len(), 2);
        assert_eq!(sites.groups.values().map(Vec::len).sum::<usize>(), 4);
    }

    #[test]
    fn a_posted_list_masks_numbers_and_drops_contacts() {
        let e = entry(1, "20260000001", "丽江");
        let line = Line {
            entry: &e,
            seat: None,
        };
        let public = Column::of(true);
        assert!(!public.contains(&Column::Address));
        assert!(!public.contains(&Column::Email));
        assert!(!public.contains(&Column::BirthDate));
        assert_eq!(
            Column::IdNumber.value(&line, true).text(),
            "530102********1234"
        );
        assert_eq!(Column::Mobile.value(&line, true).text(), "138****5678");
        assert_eq!(
            Column::IdNumber.value(&line, false).text(),
            "530102199001011234"
        );
        assert_eq!(Column::of(false).len(), Column::ALL.len());
    }

    #[test]
    fn values_are_typed() {
        let e = entry(1, "20260000001", "丽江");
        let (rooms, sittings) = places();
        let line = Line {
            entry: &e,
            seat: Some((&rooms[&1], &sittings[&10], 7)),
        };
        assert_eq!(
            Column::PaidAmount.value(&line, false),
            Value::Money(Fen(19000))
        );
        assert_eq!(Column::PaidAmount.value(&line, false).text(), "190.00");
        assert!(matches!(
            Column::BirthDate.value(&line, false),
            Value::Date(_)
        ));
        assert!(matches!(
            Column::PaidAt.value(&line, false),
            Value::DateTime(_)
        ));
        assert_eq!(Column::Seat.value(&line, false).text(), "07");
        assert_eq!(Column::Room.value(&line, false).text(), "001");
        assert_eq!(Column::Status.value(&line, false).text(), "已编排");
        assert_eq!(Column::ExamTime.value(&line, false).text(), "08:30-11:00");
        assert_eq!(Column::Employer.value(&line, false), Value::Empty);
    }
}
