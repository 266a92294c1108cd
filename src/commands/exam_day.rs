//! What was written where on exam day, as attendance, room logs, violations and the report
//! read it: every seat in use with the subjects its candidate writes there (in exam order),
//! and rooms and sittings found by the names files give them.

use std::collections::{BTreeMap, HashMap, HashSet};

use anyhow::Result;
use serde::Serialize;

use super::printing::SittingSubjects;
use crate::db::Tx;
use crate::db::exam_day::{AttendanceRow, ExamSeat, ViolationRow};
use crate::db::seating::{RoomIdRow, SittingRow};
use crate::io::table::{self, Cells};
use crate::model::attendance::{Figures, Mark, SeatFacts};
use crate::model::codes::{ZeroPadded, twin_message};
use crate::model::level::Level;
use crate::model::plan::exam_rank;
use crate::model::violation::Clause;

pub struct ExamDay {
    /// Seats in use, by candidate and sitting time.
    pub seats: Vec<ExamSeat>,
    /// The same seats with their subjects, in the same order.
    pub facts: Vec<SeatFacts>,
    pub rooms: HashMap<i64, RoomIdRow>,
    pub sittings: Vec<SittingRow>,
    room_by_key: HashMap<(String, i64), Vec<i64>>,
}

impl ExamDay {
    pub async fn load(tx: &mut Tx, session_id: i64) -> Result<ExamDay> {
        let plan = tx.subject_sittings(session_id).await?;
        let subjects_of = SittingSubjects::new(&plan);
        let sittings = tx.sitting_rows(session_id).await?;
        let rank: HashMap<i64, usize> = sittings
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id, i))
            .collect();
        let mut seats = tx.exam_seats(session_id).await?;
        seats.sort_by_key(|s| (s.application_id, rank.get(&s.sitting_id).copied()));
        let facts = seats
            .iter()
            .map(|s| {
                let mut subjects: Vec<String> = subjects_of
                    .taken(&s.qualification, s.sitting_id, &s.subjects)
                    .map(str::to_string)
                    .collect();
                subjects.sort_by_key(|x| exam_rank(x));
                SeatFacts {
                    application_id: s.application_id,
                    card_no: s.card_no.clone(),
                    sitting_id: s.sitting_id,
                    room_id: s.room_id,
                    subjects,
                }
            })
            .collect();
        let rooms: HashMap<i64, RoomIdRow> = tx
            .room_ids(session_id)
            .await?
            .into_iter()
            .map(|r| (r.id, r))
            .collect();
        let mut room_by_key: HashMap<(String, i64), Vec<i64>> = HashMap::new();
        for r in rooms.values() {
            room_by_key
                .entry((r.site_code.clone(), r.number))
                .or_default()
                .push(r.id);
        }
        Ok(ExamDay {
            seats,
            facts,
            rooms,
            sittings,
            room_by_key,
        })
    }

    /// A room and sitting as messages name them: `530102001 第03考场 第1场 (2026-11-07 08:30)`.
    pub fn name(&self, room: i64, sitting: i64) -> String {
        let r = self.rooms.get(&room).map_or_else(
            || format!("room {room}"),
            |r| format!("{} 第{:02}考场", r.site_code, r.number),
        );
        format!("{r} {}", self.sitting_name(sitting))
    }

    pub fn sitting_name(&self, sitting: i64) -> String {
        self.sittings.iter().find(|s| s.id == sitting).map_or_else(
            || format!("sitting {sitting}"),
            |s| {
                format!(
                    "{} ({} {})",
                    s.label,
                    s.exam_date,
                    s.starts_at.format("%H:%M")
                )
            },
        )
    }

    /// The room of a site code and room number, and the exam area when the file names it: a
    /// site code is unique only within its exam area (three-digit codes repeat across them).
    /// A problem names the column it is about: the site code's or the room's.
    pub fn room_id(
        &self,
        area: Option<&str>,
        site_code: &str,
        number: i64,
    ) -> Result<i64, (&'static str, String)> {
        let found: Vec<&RoomIdRow> = self
            .room_by_key
            .get(&(site_code.to_string(), number))
            .map(|ids| ids.iter().filter_map(|id| self.rooms.get(id)).collect())
            .unwrap_or_default();
        let wanted: Vec<&&RoomIdRow> = found
            .iter()
            .filter(|r| area.is_none_or(|a| r.exam_area == a.trim()))
            .collect();
        match wanted.as_slice() {
            [one] => Ok(one.id),
            [] if found.is_empty() => Err(self.no_room(site_code, number)),
            [] => Err((
                "exam_area",
                format!(
                    "site {site_code} room {number:02} is not in exam area {}",
                    area.unwrap_or_default()
                ),
            )),
            many => {
                let mut areas: Vec<&str> = many.iter().map(|r| r.exam_area.as_str()).collect();
                areas.sort_unstable();
                Err((
                    "site_code",
                    format!(
                        "site code {site_code} is used in more than one exam area ({}): add a 考区 (exam_area) column",
                        areas.join(", ")
                    ),
                ))
            }
        }
    }

    /// Why no room has this code and number: a code that lost its leading zeros in a
    /// spreadsheet (`1` for `001`) is named as such.
    fn no_room(&self, site_code: &str, number: i64) -> (&'static str, String) {
        let codes: HashSet<&str> = self.rooms.values().map(|r| r.site_code.as_str()).collect();
        let padded = ZeroPadded::of(codes.iter().copied());
        match padded.twin(site_code, |c| codes.contains(c)) {
            Some(known) => (
                "site_code",
                twin_message(site_code, &known, "a site of this session"),
            ),
            None if codes.contains(site_code) => (
                "room",
                format!("site {site_code} has no room {number:02} in this session"),
            ),
            None => (
                "site_code",
                format!("no site has the code {site_code} in this session"),
            ),
        }
    }

    /// A sitting by its label (第1场), or by date and half-day (2026-11-07 上午).
    pub fn sitting_id(&self, text: &str) -> Option<i64> {
        let t = text.trim();
        if let Some(s) = self.sittings.iter().find(|s| s.label == t) {
            return Some(s.id);
        }
        let (date, half) = t.split_once(char::is_whitespace)?;
        let date = chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").ok()?;
        let morning = match half.trim() {
            "上午" => true,
            "下午" => false,
            _ => return None,
        };
        let noon = chrono::NaiveTime::from_hms_opt(12, 0, 0).expect("noon");
        let found: Vec<&SittingRow> = self
            .sittings
            .iter()
            .filter(|s| s.exam_date == date && (s.starts_at < noon) == morning)
            .collect();
        match found.as_slice() {
            [one] => Some(one.id),
            _ => None,
        }
    }

    /// The labels of the sittings, for a message naming what is allowed.
    pub fn sitting_labels(&self) -> String {
        self.sittings
            .iter()
            .map(|s| s.label.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A candidate's seats with their subjects, in exam order.
    pub fn facts_of(&self, application: i64) -> &[SeatFacts] {
        let from = self
            .facts
            .partition_point(|f| f.application_id < application);
        let to = self
            .facts
            .partition_point(|f| f.application_id <= application);
        &self.facts[from..to]
    }

    /// The seat of a candidate in a sitting.
    pub fn seat_of(&self, application: i64, sitting: i64) -> Option<&ExamSeat> {
        let at = self
            .seats
            .partition_point(|s| s.application_id < application);
        self.seats[at..]
            .iter()
            .take_while(|s| s.application_id == application)
            .find(|s| s.sitting_id == sitting)
    }
}

/// One group of the exam-day figures: what it is (exam area, site, ...) and its figures.
#[derive(Debug, Serialize)]
pub struct Grouped {
    #[serde(flatten)]
    pub key: BTreeMap<&'static str, String>,
    #[serde(flatten)]
    pub figures: Figures,
}

/// Candidates (人) rather than candidate-subjects: who came to at least one subject, who
/// missed every one.
#[derive(Debug, Default, Serialize)]
pub struct People {
    /// 应考人数: seated.
    pub expected: u64,
    /// 实考人数: sat at least one subject.
    pub sat: u64,
    /// 缺考人数: absent from every subject.
    pub absent: u64,
    /// Not every subject recorded, none sat.
    pub unrecorded: u64,
    /// 违纪人数: with a result voided by a violation.
    pub void: u64,
}

/// The exam-day figures of a session (see [`Figures`] for what each counts).
#[derive(Debug, Serialize)]
pub struct ExamDayFigures {
    /// Whether any attendance is recorded.
    pub recorded: bool,
    /// What the figures count.
    pub unit: &'static str,
    /// Each rate with its numerator and denominator.
    pub rates: BTreeMap<&'static str, &'static str>,
    pub candidates: People,
    pub total: Figures,
    pub by_exam_area: Vec<Grouped>,
    pub by_site: Vec<Grouped>,
    pub by_level: Vec<Grouped>,
    pub by_qualification: Vec<Grouped>,
    /// By sitting and subject, in exam order.
    pub by_subject: Vec<Grouped>,
}

/// The (candidate, subject) results that violations void: the case's subject, or every
/// subject of the candidate when the clause voids the session.
pub fn voided(day: &ExamDay, cases: &[ViolationRow]) -> HashSet<(i64, String)> {
    let mut out = HashSet::new();
    for v in cases {
        let Ok(clause) = Clause::parse(&v.clause) else {
            continue;
        };
        let c = clause.consequence();
        if !c.voids_results() {
            continue;
        }
        if c.whole_session() {
            for f in day.facts_of(v.application_id) {
                out.extend(f.subjects.iter().map(|s| (v.application_id, s.clone())));
            }
        } else {
            out.insert((v.application_id, v.subject.clone()));
        }
    }
    out
}

/// A group's order and what it is (`[("exam_area", "昆明")]`).
type Key = (Vec<usize>, Vec<(&'static str, String)>);

/// The groups a candidate-subject counts in: its exam area, site, level, qualification,
/// and sitting with subject.
fn group_keys(
    seat: &ExamSeat,
    subject: &str,
    sitting: Option<&SittingRow>,
    sitting_rank: &HashMap<i64, usize>,
) -> [Key; 5] {
    let level = Level::parse(&seat.level).map_or(usize::from(u8::MAX), |l| l as usize);
    let area = ("exam_area", seat.exam_area.clone());
    [
        (vec![], vec![area.clone()]),
        (
            vec![],
            vec![
                area,
                ("site_code", seat.site_code.clone()),
                ("site_name", seat.site_name.clone()),
            ],
        ),
        (vec![level], vec![("level", seat.level.clone())]),
        (
            vec![level],
            vec![
                ("level", seat.level.clone()),
                ("qualification", seat.qualification.clone()),
            ],
        ),
        (
            vec![
                sitting_rank
                    .get(&seat.sitting_id)
                    .copied()
                    .unwrap_or(usize::MAX),
                exam_rank(subject),
            ],
            vec![
                (
                    "sitting",
                    sitting.map(|s| s.label.clone()).unwrap_or_default(),
                ),
                (
                    "date",
                    sitting.map(|s| s.exam_date.to_string()).unwrap_or_default(),
                ),
                (
                    "starts_at",
                    sitting
                        .map(|s| s.starts_at.format("%H:%M").to_string())
                        .unwrap_or_default(),
                ),
                ("subject", subject.to_string()),
            ],
        ),
    ]
}

/// Works out the exam-day figures from the seats, the attendance recorded and the cases.
pub fn figures(
    day: &ExamDay,
    recorded: &[AttendanceRow],
    cases: &[ViolationRow],
) -> ExamDayFigures {
    let marks: HashMap<(i64, &str), Mark> = recorded
        .iter()
        .filter_map(|r| {
            Some((
                (r.application_id, r.subject.as_str()),
                Mark::from_stored(&r.state)?,
            ))
        })
        .collect();
    let owned = voided(day, cases);
    let void: HashSet<(i64, &str)> = owned.iter().map(|(a, s)| (*a, s.as_str())).collect();
    let sitting_rank: HashMap<i64, usize> = day
        .sittings
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id, i))
        .collect();
    // Counted first by room, sitting, qualification and subject (a few thousand groups for
    // 200,000 candidates), then rolled up: the groups' names are made once per group.
    let mut fine: HashMap<(i64, i64, &str, &str), (Figures, &ExamSeat)> = HashMap::new();
    let mut total = Figures::default();
    let mut people: HashMap<i64, (bool, bool, bool, bool)> = HashMap::new();
    for (seat, f) in day.seats.iter().zip(&day.facts) {
        for subject in &f.subjects {
            let mark = marks.get(&(seat.application_id, subject.as_str())).copied();
            let is_void = void.contains(&(seat.application_id, subject.as_str()));
            total.add(mark, is_void);
            let p = people
                .entry(seat.application_id)
                .or_insert((false, true, true, false));
            p.0 |= mark.is_some_and(Mark::sat);
            p.1 &= mark == Some(Mark::Absent);
            p.2 &= mark.is_some();
            p.3 |= is_void && mark.is_some_and(Mark::sat);
            fine.entry((
                seat.room_id,
                seat.sitting_id,
                seat.qualification.as_str(),
                subject.as_str(),
            ))
            .or_insert((Figures::default(), seat))
            .0
            .add(mark, is_void);
        }
    }
    let mut groups: [BTreeMap<Key, Figures>; 5] = Default::default();
    for ((_, sitting, _, subject), (figures, seat)) in &fine {
        let sitting = day.sittings.iter().find(|s| s.id == *sitting);
        let keys = group_keys(seat, subject, sitting, &sitting_rank);
        for (g, k) in groups.iter_mut().zip(keys) {
            g.entry(k).or_default().merge(figures);
        }
    }
    let mut candidates = People::default();
    for (sat, all_absent, all_recorded, void) in people.values() {
        candidates.expected += 1;
        if *sat {
            candidates.sat += 1;
        } else if *all_absent && *all_recorded {
            candidates.absent += 1;
        } else {
            candidates.unrecorded += 1;
        }
        candidates.void += u64::from(*void);
    }
    let [area, site, level, qualification, subject] = groups.map(|g| {
        g.into_iter()
            .map(|((_, key), figures)| Grouped {
                key: key.into_iter().collect(),
                figures,
            })
            .collect()
    });
    ExamDayFigures {
        recorded: !recorded.is_empty(),
        unit: "人科次 (one candidate in one subject)",
        rates: [
            ("participation_rate", "参考率 = 实考 / 应考"),
            ("absence_rate", "缺考率 = 缺考 / 应考"),
            ("violation_rate", "违纪率 = 违纪 / 实考"),
        ]
        .into_iter()
        .collect(),
        candidates,
        total,
        by_exam_area: area,
        by_site: site,
        by_level: level,
        by_qualification: qualification,
        by_subject: subject,
    }
}

/// The room a row names by 考点代码 and 考场号 (and 考区 where codes repeat), with a
/// problem recorded when it names none or half of one.
pub fn room_cell(c: &mut Cells<'_, '_>, day: &ExamDay, required: bool) -> Option<i64> {
    let area = c.text("exam_area", false);
    let site = c.code("site_code", required);
    let number = c.get("room", required, table::count);
    match (site, number) {
        (Some(s), Some(n)) => match day.room_id(area.as_deref(), &s, i64::from(n)) {
            Ok(id) => Some(id),
            Err((column, e)) => {
                c.problem(column, e);
                None
            }
        },
        (Some(_), None) | (None, Some(_)) if !required => {
            c.problem("room", "a room is named by 考点代码 and 考场号 together");
            None
        }
        _ => None,
    }
}

/// The sitting a row names by its 场次, with a problem recorded when there is none such.
pub fn sitting_cell(c: &mut Cells<'_, '_>, day: &ExamDay, required: bool) -> Option<i64> {
    let text = c.text("sitting", required)?;
    let id = day.sitting_id(&text);
    if id.is_none() {
        c.problem(
            "sitting",
            format!(
                "no sitting \"{text}\" in this session; its sittings are {}",
                day.sitting_labels()
            ),
        );
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(app: i64, subject: &str, clause: &str) -> ViolationRow {
        ViolationRow {
            id: 0,
            case_no: String::new(),
            application_id: app,
            sitting_id: 1,
            room_id: 1,
            seat_no: 1,
            subject: subject.into(),
            occurred_at: String::new(),
            found_by: "现场".into(),
            facts: String::new(),
            clause: clause.into(),
            signed: 1,
            witnesses: String::new(),
            evidence: "[]".into(),
            step: "记录".into(),
            recorded_on: String::new(),
            notified_on: None,
            statement_on: None,
            statement: String::new(),
            decided_on: None,
            served_on: None,
        }
    }

    #[test]
    fn a_clause_voids_its_subject_or_every_subject_of_the_session() {
        let fact = |app, sitting, subjects: &[&str]| SeatFacts {
            application_id: app,
            card_no: format!("C{app}"),
            sitting_id: sitting,
            room_id: 1,
            subjects: subjects.iter().map(|s| (*s).to_string()).collect(),
        };
        let day = ExamDay {
            seats: Vec::new(),
            facts: vec![
                fact(1, 1, &["综合知识", "案例分析"]),
                fact(1, 2, &["论文"]),
                fact(2, 1, &["综合知识", "案例分析"]),
                fact(2, 2, &["论文"]),
            ],
            rooms: HashMap::new(),
            sittings: Vec::new(),
            room_by_key: HashMap::new(),
        };
        let void = voided(
            &day,
            &[case(1, "案例分析", "6.1"), case(2, "综合知识", "7.2")],
        );
        let mut got: Vec<(i64, String)> = void.into_iter().collect();
        got.sort();
        let want: Vec<(i64, String)> = [
            (1, "案例分析"),
            (2, "案例分析"),
            (2, "综合知识"),
            (2, "论文"),
        ]
        .iter()
        .map(|(a, s)| (*a, (*s).to_string()))
        .collect();
        assert_eq!(got, want);
        // A certificate obtained by fraud (§10) voids no result of this session.
        assert!(voided(&day, &[case(1, "论文", "10")]).is_empty());
    }
}
