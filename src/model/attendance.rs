//! Attendance (考勤) per candidate and subject, and the rules a file of it must keep: what
//! the sites send back (the absent of each room and sitting, or a keyed copy of a marked
//! sign-in sheet) becomes one state per (candidate, subject), checked against the seating.
//! Pure: the caller reads the file and the seats, and writes what [`plan`] returns.

use std::collections::{BTreeMap, HashMap};

use super::RowProblem;

/// What a sign-in sheet says of a candidate and a subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    /// 实到: came and wrote the subject.
    Present,
    /// 缺考: did not come.
    Absent,
    /// 提前离场: came, and left before the end (the paper is marked as it was handed in).
    LeftEarly,
}

impl Mark {
    pub const ALL: [Mark; 3] = [Mark::Present, Mark::Absent, Mark::LeftEarly];

    pub fn as_str(self) -> &'static str {
        match self {
            Mark::Present => "present",
            Mark::Absent => "absent",
            Mark::LeftEarly => "left_early",
        }
    }

    /// The word on the sheet.
    pub fn label(self) -> &'static str {
        match self {
            Mark::Present => "实到",
            Mark::Absent => "缺考",
            Mark::LeftEarly => "提前离场",
        }
    }

    /// A stored state.
    pub fn from_stored(s: &str) -> Option<Mark> {
        Mark::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// What an office writes in a cell: the sheet's words, their usual variants, the marks
    /// of a keyed sheet (✓ / ×) and the English names.
    pub fn parse(text: &str) -> Result<Mark, String> {
        let t = text.trim();
        let key = t.to_ascii_lowercase().replace(['-', ' '], "_");
        match key.as_str() {
            "实到" | "到" | "到考" | "出席" | "参考" | "已签到" | "签到" | "✓" | "√"
            | "present" | "p" => Ok(Mark::Present),
            "缺考" | "缺" | "未到" | "缺席" | "×" | "x" | "absent" | "a" => {
                Ok(Mark::Absent)
            }
            "提前离场" | "提前交卷" | "离场" | "left_early" | "left" => {
                Ok(Mark::LeftEarly)
            }
            "违纪" | "违规" | "违纪违规" | "作弊" => Err(format!(
                "\"{t}\" is not an attendance mark: a candidate who sat and broke the rules is 实到 \
                 here, and the violation is recorded with kaowu violations add or import"
            )),
            _ => Err(format!(
                "expected 实到, 缺考 or 提前离场 (present, absent, left early), found \"{t}\""
            )),
        }
    }

    /// Whether the candidate sat the subject (实考): present or left early.
    pub fn sat(self) -> bool {
        self != Mark::Absent
    }
}

/// A seat of the seating: a candidate in a room in a sitting, with the subjects they write
/// there in exam order.
#[derive(Debug, Clone)]
pub struct SeatFacts {
    pub application_id: i64,
    pub card_no: String,
    pub sitting_id: i64,
    pub room_id: i64,
    pub subjects: Vec<String>,
}

/// Counts a file states for a room and sitting (the sign-in sheet's footer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub expected: u32,
    pub present: u32,
    pub absent: u32,
}

impl Counts {
    /// Whether the counts add up: 应到 = 实到 + 缺考.
    pub fn check(&self) -> Result<(), String> {
        if self.expected == self.present + self.absent {
            Ok(())
        } else {
            Err(format!(
                "应到 {} is not 实到 {} + 缺考 {}",
                self.expected, self.present, self.absent
            ))
        }
    }
}

/// One row of an attendance file, as read: each part is optional, and what is missing is
/// worked out from the seating or is a problem.
#[derive(Debug, Clone, Default)]
pub struct Line {
    pub line: usize,
    /// The room the row names, already resolved; `None` when the file has no room columns.
    pub room_id: Option<i64>,
    /// The sitting the row names, resolved; `None` when the file has no sitting column.
    pub sitting_id: Option<i64>,
    /// Empty for a row that only declares a room (its footer counts, or no absentees).
    pub card_no: String,
    /// (subject, mark): one for a row of the long form, one per subject column of a keyed
    /// sign-in sheet; a subject `None` means every subject of the candidate in the sitting.
    pub marks: Vec<(Option<String>, Mark)>,
    pub counts: Option<Counts>,
}

/// A (candidate, subject) state to store, with the room and sitting it was recorded in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    pub application_id: i64,
    pub subject: String,
    pub sitting_id: i64,
    pub room_id: i64,
    pub mark: Mark,
}

/// The states a file gives: every (candidate, subject) of every room and sitting it covers,
/// those it names as they are marked, the others present when the room's rows are an
/// absent list.
#[derive(Debug, Default)]
pub struct Planned {
    pub states: Vec<State>,
    /// The (room, sitting) pairs the file covers.
    pub rooms: usize,
}

/// Names rooms and sittings in messages: (room_id, sitting_id) -> "530102001 第03考场 上午".
pub type Names<'a> = &'a dyn Fn(i64, i64) -> String;

/// Works out the states of a file, or every problem, each on its row. `seats` are the
/// seats in use; `subject_sitting` gives the sitting a candidate writes a subject in.
pub fn plan(
    lines: &[Line],
    seats: &[SeatFacts],
    names: Names<'_>,
) -> Result<Planned, Vec<RowProblem>> {
    let by_card: HashMap<&str, Vec<&SeatFacts>> = seats.iter().fold(HashMap::new(), |mut m, s| {
        m.entry(s.card_no.as_str()).or_insert_with(Vec::new).push(s);
        m
    });
    let mut problems = Vec::new();
    let mut marked: HashMap<(i64, String), (usize, Mark, i64, i64)> = HashMap::new();
    let mut covered: BTreeMap<(i64, i64), Room> = BTreeMap::new();
    for (i, l) in lines.iter().enumerate() {
        if l.card_no.is_empty() {
            match (l.room_id, l.sitting_id) {
                (Some(r), Some(s)) => covered.entry((r, s)).or_default().add_counts(i, l.counts),
                _ => problems.push(RowProblem::new(
                    i,
                    "card_no",
                    "a row without 准考证号 declares a room: it needs 考点代码, 考场号 and 场次",
                )),
            }
            continue;
        }
        let Some(mine) = by_card.get(l.card_no.as_str()) else {
            problems.push(RowProblem::new(
                i,
                "card_no",
                format!(
                    "no seated candidate has admit-card number {} in this session",
                    l.card_no
                ),
            ));
            continue;
        };
        for (subject, mark) in &l.marks {
            let seat = match seat_for(i, l, subject.as_deref(), mine, names) {
                Ok(seat) => seat,
                Err(p) => {
                    problems.push(p);
                    continue;
                }
            };
            let room = covered.entry((seat.room_id, seat.sitting_id)).or_default();
            room.add_counts(i, l.counts);
            if *mark != Mark::Absent && *mark != Mark::LeftEarly {
                room.keyed = true;
            }
            let subjects: Vec<&String> = match subject {
                Some(s) => seat.subjects.iter().filter(|x| *x == s).collect(),
                None => seat.subjects.iter().collect(),
            };
            for s in subjects {
                let key = (seat.application_id, s.clone());
                if let Some((first, ..)) = marked.get(&key) {
                    problems.push(RowProblem::new(
                        i,
                        "card_no",
                        format!(
                            "{} {s} is marked twice: here and on row {}",
                            l.card_no, lines[*first].line
                        ),
                    ));
                } else {
                    marked.insert(key, (i, *mark, seat.room_id, seat.sitting_id));
                }
            }
        }
    }
    let planned = fill_rooms(lines, seats, &marked, &covered, names, &mut problems);
    if problems.is_empty() {
        Ok(planned)
    } else {
        problems.sort_by_key(|p| p.row);
        Err(problems)
    }
}

/// The seat a mark of row `i` is for: by its subject, else its sitting, else the
/// candidate's only seat; checked against the room and sitting the row names.
fn seat_for<'s>(
    i: usize,
    l: &Line,
    subject: Option<&str>,
    mine: &[&'s SeatFacts],
    names: Names<'_>,
) -> Result<&'s SeatFacts, RowProblem> {
    let seat = match subject {
        Some(s) => mine.iter().find(|f| f.subjects.iter().any(|x| x == s)),
        None => match l.sitting_id {
            Some(st) => mine.iter().find(|f| f.sitting_id == st),
            None if mine.len() == 1 => mine.first(),
            None => None,
        },
    };
    let Some(seat) = seat.copied() else {
        return Err(match subject {
            Some(s) => RowProblem::new(
                i,
                "subject",
                format!("{} does not write {s} in this session", l.card_no),
            ),
            None if l.sitting_id.is_some() => RowProblem::new(
                i,
                "sitting",
                format!("{} has no seat in that sitting", l.card_no),
            ),
            None => RowProblem::new(
                i,
                "sitting",
                format!(
                    "{} sits more than one sitting: name the 场次 or the 科目",
                    l.card_no
                ),
            ),
        });
    };
    if let Some(st) = l.sitting_id
        && st != seat.sitting_id
    {
        return Err(RowProblem::new(
            i,
            "sitting",
            format!(
                "{} writes {} in another sitting ({})",
                l.card_no,
                subject.unwrap_or("it"),
                names(seat.room_id, seat.sitting_id)
            ),
        ));
    }
    if let Some(r) = l.room_id
        && r != seat.room_id
    {
        return Err(RowProblem::new(
            i,
            "room",
            format!(
                "{} is not seated in {} but in {}",
                l.card_no,
                names(r, seat.sitting_id),
                names(seat.room_id, seat.sitting_id)
            ),
        ));
    }
    Ok(seat)
}

/// A room and sitting the file covers: whether its rows mark the present too (a keyed
/// sign-in sheet, then every seat must be marked) and the footer counts it states.
#[derive(Debug, Default)]
struct Room {
    keyed: bool,
    counts: Vec<(usize, Counts)>,
}

impl Room {
    fn add_counts(&mut self, row: usize, counts: Option<Counts>) {
        if let Some(c) = counts
            && !self.counts.iter().any(|(_, k)| *k == c)
        {
            self.counts.push((row, c));
        }
    }
}

/// Every seat of each covered room: its marks, or present when the room's rows list only
/// the absent; then the footer counts checked against the states.
fn fill_rooms(
    lines: &[Line],
    seats: &[SeatFacts],
    marked: &HashMap<(i64, String), (usize, Mark, i64, i64)>,
    covered: &BTreeMap<(i64, i64), Room>,
    names: Names<'_>,
    problems: &mut Vec<RowProblem>,
) -> Planned {
    let mut planned = Planned {
        rooms: covered.len(),
        ..Planned::default()
    };
    let mut tally: HashMap<(i64, i64), (u32, u32, u32)> = HashMap::new();
    let mut unmarked: BTreeMap<(i64, i64), Vec<String>> = BTreeMap::new();
    for seat in seats {
        let Some(room) = covered.get(&(seat.room_id, seat.sitting_id)) else {
            continue;
        };
        let mut came = false;
        for s in &seat.subjects {
            let mark = match marked.get(&(seat.application_id, s.clone())) {
                Some((_, m, ..)) => *m,
                None if room.keyed => {
                    unmarked
                        .entry((seat.room_id, seat.sitting_id))
                        .or_default()
                        .push(format!("{} {s}", seat.card_no));
                    continue;
                }
                None => Mark::Present,
            };
            came |= mark.sat();
            planned.states.push(State {
                application_id: seat.application_id,
                subject: s.clone(),
                sitting_id: seat.sitting_id,
                room_id: seat.room_id,
                mark,
            });
        }
        let t = tally.entry((seat.room_id, seat.sitting_id)).or_default();
        t.0 += 1;
        if came {
            t.1 += 1;
        } else {
            t.2 += 1;
        }
    }
    for ((room, sitting), missing) in &unmarked {
        let row = first_row(lines, marked, *room, *sitting);
        let shown: Vec<&str> = missing.iter().take(5).map(String::as_str).collect();
        problems.push(RowProblem::new(
            row,
            "card_no",
            format!(
                "{} is a keyed sign-in sheet (it marks the present), and {} of its seats have no mark: {}{}",
                names(*room, *sitting),
                missing.len(),
                shown.join(", "),
                if missing.len() > 5 { ", ..." } else { "" }
            ),
        ));
    }
    for ((room, sitting), r) in covered {
        let (expected, present, absent) =
            tally.get(&(*room, *sitting)).copied().unwrap_or_default();
        for (row, c) in &r.counts {
            if let Err(e) = c.check() {
                problems.push(RowProblem::new(*row, "expected", e));
            } else if (c.expected, c.present, c.absent) != (expected, present, absent) {
                problems.push(RowProblem::new(
                    *row,
                    "expected",
                    format!(
                        "{}: the counts say 应到 {} 实到 {} 缺考 {}, the seating and the rows say 应到 {expected} 实到 {present} 缺考 {absent}",
                        names(*room, *sitting),
                        c.expected,
                        c.present,
                        c.absent
                    ),
                ));
            }
        }
    }
    planned
}

/// The first row of the file that names this room and sitting, for a problem of the room.
fn first_row(
    lines: &[Line],
    marked: &HashMap<(i64, String), (usize, Mark, i64, i64)>,
    room: i64,
    sitting: i64,
) -> usize {
    let from_marks = marked
        .values()
        .filter(|(_, _, r, s)| *r == room && *s == sitting)
        .map(|(i, ..)| *i)
        .min();
    from_marks.unwrap_or_else(|| {
        lines
            .iter()
            .position(|l| l.room_id == Some(room) && l.sitting_id == Some(sitting))
            .unwrap_or(0)
    })
}

/// The rate of `part` in `whole`, none of none.
pub fn rate(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Exam-day figures of a group, counted in candidate-subjects (人科次: one candidate in one
/// subject): 应考 = 实考 + 缺考 + 未录入; 违纪 counts the void among 实考. Each rate names its
/// denominator: 参考率 = 实考 / 应考, 缺考率 = 缺考 / 应考, 违纪率 = 违纪 / 实考.
#[derive(Debug, Default, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Figures {
    /// 应考: seated for the subject.
    pub expected: u64,
    /// 实考: present or left early.
    pub sat: u64,
    /// 缺考.
    pub absent: u64,
    /// 违纪: sat, and the result is void by a violation.
    pub void: u64,
    /// 未录入: no attendance recorded yet.
    pub unrecorded: u64,
    /// 实考 / 应考.
    pub participation_rate: Option<f64>,
    /// 缺考 / 应考.
    pub absence_rate: Option<f64>,
    /// 违纪 / 实考.
    pub violation_rate: Option<f64>,
}

impl Figures {
    /// Counts one candidate-subject: its recorded mark, and whether a violation voids it.
    pub fn add(&mut self, mark: Option<Mark>, void: bool) {
        self.expected += 1;
        match mark {
            None => self.unrecorded += 1,
            Some(m) if m.sat() => {
                self.sat += 1;
                if void {
                    self.void += 1;
                }
            }
            Some(_) => self.absent += 1,
        }
        self.rate();
    }

    /// Adds the counts of another group.
    pub fn merge(&mut self, o: &Figures) {
        self.expected += o.expected;
        self.sat += o.sat;
        self.absent += o.absent;
        self.void += o.void;
        self.unrecorded += o.unrecorded;
        self.rate();
    }

    fn rate(&mut self) {
        self.participation_rate = rate(self.sat, self.expected);
        self.absence_rate = rate(self.absent, self.expected);
        self.violation_rate = rate(self.void, self.sat);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seat(app: i64, card: &str, sitting: i64, room: i64, subjects: &[&str]) -> SeatFacts {
        SeatFacts {
            application_id: app,
            card_no: card.into(),
            sitting_id: sitting,
            room_id: room,
            subjects: subjects.iter().map(|s| (*s).to_string()).collect(),
        }
    }

    fn names(room: i64, sitting: i64) -> String {
        format!("room {room} sitting {sitting}")
    }

    /// Two senior candidates in room 1 (sitting 1: 综合知识+案例分析, sitting 2: 论文), one
    /// junior in room 2 (sitting 1).
    fn seats() -> Vec<SeatFacts> {
        vec![
            seat(1, "A1", 1, 1, &["综合知识", "案例分析"]),
            seat(1, "A1", 2, 1, &["论文"]),
            seat(2, "A2", 1, 1, &["综合知识", "案例分析"]),
            seat(2, "A2", 2, 1, &["论文"]),
            seat(3, "B1", 1, 2, &["基础知识", "应用技术"]),
        ]
    }

    fn absent(line: usize, card: &str, subject: Option<&str>) -> Line {
        Line {
            line,
            card_no: card.into(),
            marks: vec![(subject.map(str::to_string), Mark::Absent)],
            ..Line::default()
        }
    }

    fn state_of(p: &Planned, app: i64, subject: &str) -> Option<Mark> {
        p.states
            .iter()
            .find(|s| s.application_id == app && s.subject == subject)
            .map(|s| s.mark)
    }

    #[test]
    fn an_absent_list_makes_the_rest_of_its_rooms_present_per_subject() {
        // A1 left after 综合知识 and missed 案例分析; nothing said of room 2.
        let lines = vec![absent(2, "A1", Some("案例分析"))];
        let p = plan(&lines, &seats(), &names).unwrap();
        assert_eq!(p.rooms, 1);
        assert_eq!(state_of(&p, 1, "综合知识"), Some(Mark::Present));
        assert_eq!(state_of(&p, 1, "案例分析"), Some(Mark::Absent));
        assert_eq!(state_of(&p, 2, "案例分析"), Some(Mark::Present));
        // Sitting 2 and room 2 are not covered.
        assert_eq!(state_of(&p, 1, "论文"), None);
        assert_eq!(state_of(&p, 3, "基础知识"), None);
    }

    #[test]
    fn a_row_without_subject_marks_every_subject_of_its_sitting() {
        let mut l = absent(2, "A2", None);
        l.sitting_id = Some(1);
        let p = plan(&[l], &seats(), &names).unwrap();
        assert_eq!(state_of(&p, 2, "综合知识"), Some(Mark::Absent));
        assert_eq!(state_of(&p, 2, "案例分析"), Some(Mark::Absent));
        assert_eq!(state_of(&p, 2, "论文"), None);
    }

    #[test]
    fn unknown_twice_and_wrong_room_are_refused_on_their_rows() {
        let mut wrong_room = absent(4, "A2", Some("综合知识"));
        wrong_room.room_id = Some(2);
        let lines = vec![
            absent(2, "ZZ9", Some("综合知识")),
            absent(3, "A1", Some("综合知识")),
            wrong_room,
            absent(5, "A1", Some("综合知识")),
            absent(6, "B1", Some("论文")),
        ];
        let e = plan(&lines, &seats(), &names).unwrap_err();
        let rows: Vec<usize> = e.iter().map(|p| p.row).collect();
        assert_eq!(rows, vec![0, 2, 3, 4], "{e:?}");
        assert!(
            e[1].message.contains("not seated in room 2"),
            "{}",
            e[1].message
        );
        assert!(e[2].message.contains("marked twice") && e[2].message.contains("row 3"));
    }

    #[test]
    fn a_keyed_sheet_must_mark_every_seat_of_its_room() {
        let lines = vec![Line {
            line: 2,
            card_no: "A1".into(),
            marks: vec![
                (Some("综合知识".into()), Mark::Present),
                (Some("案例分析".into()), Mark::LeftEarly),
            ],
            ..Line::default()
        }];
        let e = plan(&lines, &seats(), &names).unwrap_err();
        assert!(e[0].message.contains("A2 综合知识"), "{e:?}");
    }

    #[test]
    fn footer_counts_must_add_up_and_match_the_rows() {
        let counted = |c: Counts| Line {
            line: 9,
            room_id: Some(1),
            sitting_id: Some(1),
            counts: Some(c),
            ..Line::default()
        };
        let lines = vec![
            absent(2, "A1", None),
            counted(Counts {
                expected: 2,
                present: 1,
                absent: 1,
            }),
        ];
        let mut l0 = lines.clone();
        l0[0].sitting_id = Some(1);
        assert!(plan(&l0, &seats(), &names).is_ok());
        l0[1] = counted(Counts {
            expected: 2,
            present: 2,
            absent: 1,
        });
        let e = plan(&l0, &seats(), &names).unwrap_err();
        assert!(e[0].message.contains("is not 实到"), "{e:?}");
        l0[1] = counted(Counts {
            expected: 2,
            present: 2,
            absent: 0,
        });
        let e = plan(&l0, &seats(), &names).unwrap_err();
        assert!(
            e[0].message.contains("the rows say 应到 2 实到 1 缺考 1"),
            "{e:?}"
        );
    }

    #[test]
    fn a_room_with_no_absentees_is_declared_by_a_row_of_its_own() {
        let lines = vec![Line {
            line: 2,
            room_id: Some(2),
            sitting_id: Some(1),
            counts: Some(Counts {
                expected: 1,
                present: 1,
                absent: 0,
            }),
            ..Line::default()
        }];
        let p = plan(&lines, &seats(), &names).unwrap();
        assert_eq!(state_of(&p, 3, "基础知识"), Some(Mark::Present));
        assert_eq!(state_of(&p, 3, "应用技术"), Some(Mark::Present));
    }

    #[test]
    fn figures_add_up_and_name_their_denominators() {
        let mut f = Figures::default();
        f.add(Some(Mark::Present), false);
        f.add(Some(Mark::LeftEarly), true);
        f.add(Some(Mark::Absent), true);
        f.add(None, false);
        assert_eq!(
            (f.expected, f.sat, f.absent, f.void, f.unrecorded),
            (4, 2, 1, 1, 1)
        );
        assert_eq!(f.expected, f.sat + f.absent + f.unrecorded);
        assert_eq!(f.participation_rate, Some(0.5));
        assert_eq!(f.absence_rate, Some(0.25));
        assert_eq!(f.violation_rate, Some(0.5));
        assert_eq!(Figures::default().participation_rate, None);
        let mut g = Figures::default();
        g.merge(&f);
        g.merge(&f);
        assert_eq!(
            (g.expected, g.void, g.participation_rate),
            (8, 2, Some(0.5))
        );
    }

    #[test]
    fn marks_are_read_as_offices_write_them_and_violations_are_not_marks() {
        assert_eq!(Mark::parse(" 缺考 "), Ok(Mark::Absent));
        assert_eq!(Mark::parse("✓"), Ok(Mark::Present));
        assert_eq!(Mark::parse("提前交卷"), Ok(Mark::LeftEarly));
        assert_eq!(Mark::parse("Left early"), Ok(Mark::LeftEarly));
        assert!(Mark::parse("违纪").unwrap_err().contains("violations add"));
        assert!(Mark::parse("迟到").unwrap_err().contains("expected 实到"));
    }
}
