//! The exam plan (考试计划): which qualifications run, in which subjects, in which sittings,
//! and the rules a plan must follow.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, NaiveTime};

use super::RowProblem;
use super::level::Level;

/// One row of a plan file: one subject of one qualification in one sitting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRow {
    /// The row's number as the user sees it in the file (line or spreadsheet row).
    pub line: usize,
    pub level: Level,
    pub qualification: String,
    pub code: Option<String>,
    pub subject: &'static str,
    pub sitting: String,
    pub date: NaiveDate,
    pub start: NaiveTime,
    pub end: NaiveTime,
}

/// A subject's place in exam order within its level: 基础知识 0, 应用技术 1; 综合知识 0,
/// 案例分析 1, 论文 2; a name no level has comes last. Documents list subjects by date and
/// time and then by this, never by the text's code points or a database's collation.
pub fn exam_rank(subject: &str) -> usize {
    Level::ALL
        .iter()
        .find_map(|l| l.subjects().iter().position(|s| *s == subject))
        .unwrap_or(usize::MAX)
}

/// A sitting (场次): one date and time slot, shared by every subject that is taken in it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slot {
    pub date: NaiveDate,
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl Slot {
    pub fn overlaps(&self, o: &Slot) -> bool {
        self.date == o.date && self.start < o.end && o.start < self.end
    }
}

impl std::fmt::Display for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}-{}",
            self.date,
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        )
    }
}

impl PlanRow {
    pub fn slot(&self) -> Slot {
        Slot {
            date: self.date,
            start: self.start,
            end: self.end,
        }
    }
}

/// Checks the rows of a plan file against each other. Problems point at the row and column
/// to fix. The rules compare rows pairwise, so they also hold on a file some of whose rows
/// could not be read; [`check_complete`] needs every row.
pub fn check(rows: &[PlanRow]) -> Vec<RowProblem> {
    let mut out = Vec::new();
    check_times(rows, &mut out);
    check_qualifications(rows, &mut out);
    check_sitting_slots(rows, &mut out);
    // Per qualification: each subject once, every subject of the level present, back-to-back
    // subjects in one sitting, and its different sittings not overlapping.
    let mut by_qual: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        by_qual.entry(&r.qualification).or_default().push(i);
    }
    for (qual, idx) in &by_qual {
        let seen = check_subjects_once(rows, qual, idx, &mut out);
        check_back_to_back(rows, qual, rows[idx[0]].level, &seen, &mut out);
        check_overlaps(rows, qual, idx, &mut out);
    }
    out.sort_by_key(|p| p.row);
    out
}

/// Each sitting ends after it starts.
fn check_times(rows: &[PlanRow], out: &mut Vec<RowProblem>) {
    for (i, r) in rows.iter().enumerate() {
        if r.start >= r.end {
            out.push(RowProblem::new(
                i,
                "end",
                format!(
                    "the sitting ends at {} but starts at {}",
                    r.end.format("%H:%M"),
                    r.start.format("%H:%M")
                ),
            ));
        }
    }
}

/// One level and one code per qualification; one qualification per code.
fn check_qualifications(rows: &[PlanRow], out: &mut Vec<RowProblem>) {
    let mut first_of: HashMap<&str, usize> = HashMap::new();
    let mut code_owner: HashMap<&str, usize> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        let first = *first_of.entry(&r.qualification).or_insert(i);
        let f = &rows[first];
        if f.level != r.level {
            out.push(RowProblem::new(
                i,
                "level",
                format!(
                    "{} is {} in row {} but {} here; a qualification has exactly one level",
                    r.qualification, f.level, f.line, r.level
                ),
            ));
        }
        if let (Some(a), Some(b)) = (&f.code, &r.code)
            && a != b
        {
            out.push(RowProblem::new(
                i,
                "qualification_code",
                format!(
                    "{} has code {a} in row {} but {b} here",
                    r.qualification, f.line
                ),
            ));
        }
        if let Some(code) = &r.code {
            let owner = *code_owner.entry(code).or_insert(i);
            if rows[owner].qualification != r.qualification {
                out.push(RowProblem::new(
                    i,
                    "qualification_code",
                    format!(
                        "code {code} is already used by {} in row {}",
                        rows[owner].qualification, rows[owner].line
                    ),
                ));
            }
        }
    }
}

/// A sitting label names one slot.
fn check_sitting_slots(rows: &[PlanRow], out: &mut Vec<RowProblem>) {
    let mut slot_of: HashMap<&str, usize> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        let first = *slot_of.entry(&r.sitting).or_insert(i);
        let f = &rows[first];
        if f.slot() != r.slot() {
            out.push(RowProblem::new(
                i,
                "date",
                format!(
                    "sitting {} is {} in row {} but {} here; one sitting has one date and time",
                    r.sitting,
                    f.slot(),
                    f.line,
                    r.slot()
                ),
            ));
        }
    }
}

/// Each subject of qualification `qual` (rows `idx`) once. Returns each subject's first row.
fn check_subjects_once<'r>(
    rows: &'r [PlanRow],
    qual: &str,
    idx: &[usize],
    out: &mut Vec<RowProblem>,
) -> HashMap<&'r str, usize> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for &i in idx {
        if let Some(&prev) = seen.get(rows[i].subject) {
            out.push(RowProblem::new(
                i,
                "subject",
                format!(
                    "{qual} {} is already planned in row {}",
                    rows[i].subject, rows[prev].line
                ),
            ));
        } else {
            seen.insert(rows[i].subject, i);
        }
    }
    seen
}

/// The subjects of `level` taken back to back are in one sitting; `seen` is each subject's
/// row.
fn check_back_to_back(
    rows: &[PlanRow],
    qual: &str,
    level: Level,
    seen: &HashMap<&str, usize>,
    out: &mut Vec<RowProblem>,
) {
    let b2b: Vec<usize> = level
        .back_to_back()
        .iter()
        .filter_map(|s| seen.get(s).copied())
        .collect();
    if let Some((&first, others)) = b2b.split_first() {
        for &i in others {
            if rows[i].sitting != rows[first].sitting {
                out.push(RowProblem::new(
                    i,
                    "sitting",
                    format!(
                        "{qual} {} must be in the same sitting as {} (row {}: {}), as they are taken back to back",
                        rows[i].subject, rows[first].subject, rows[first].line, rows[first].sitting
                    ),
                ));
            }
        }
    }
}

/// The different sittings of qualification `qual` (rows `idx`) do not overlap.
fn check_overlaps(rows: &[PlanRow], qual: &str, idx: &[usize], out: &mut Vec<RowProblem>) {
    // Distinct sittings of the qualification, by first row.
    let mut sittings: Vec<usize> = Vec::new();
    for &i in idx {
        if !sittings.iter().any(|&j| rows[j].sitting == rows[i].sitting) {
            sittings.push(i);
        }
    }
    for (a_pos, &a) in sittings.iter().enumerate() {
        for &b in &sittings[a_pos + 1..] {
            if rows[a].slot().overlaps(&rows[b].slot()) {
                out.push(RowProblem::new(
                    b,
                    "start",
                    format!(
                        "{qual}: sitting {} ({}) overlaps sitting {} ({}, row {})",
                        rows[b].sitting,
                        rows[b].slot(),
                        rows[a].sitting,
                        rows[a].slot(),
                        rows[a].line
                    ),
                ));
            }
        }
    }
}

/// Checks that every qualification has a row for each subject of its level.
pub fn check_complete(rows: &[PlanRow]) -> Vec<RowProblem> {
    let mut out = Vec::new();
    let mut by_qual: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        by_qual.entry(&r.qualification).or_default().push(i);
    }
    for (qual, idx) in &by_qual {
        let level = rows[idx[0]].level;
        let seen: Vec<&str> = idx.iter().map(|&i| rows[i].subject).collect();
        let missing: Vec<&str> = level
            .subjects()
            .iter()
            .copied()
            .filter(|s| !seen.contains(s))
            .collect();
        if !missing.is_empty() {
            out.push(RowProblem::new(
                idx[0],
                "subject",
                format!(
                    "{qual} has no row for {}; {level} qualifications are examined in {}",
                    missing.join(", "),
                    level.subjects().join(", ")
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::too_many_arguments)]
    fn row(
        line: usize,
        level: Level,
        q: &str,
        subject: &'static str,
        sitting: &str,
        day: u32,
        start: u32,
        end: u32,
    ) -> PlanRow {
        PlanRow {
            line,
            level,
            qualification: q.to_string(),
            code: None,
            subject,
            sitting: sitting.to_string(),
            date: NaiveDate::from_ymd_opt(2026, 11, day).unwrap(),
            start: NaiveTime::from_hms_opt(start, 30, 0).unwrap(),
            end: NaiveTime::from_hms_opt(end, 30, 0).unwrap(),
        }
    }

    fn good() -> Vec<PlanRow> {
        use Level::*;
        vec![
            row(2, Intermediate, "软件设计师", "基础知识", "第1场", 7, 8, 12),
            row(3, Intermediate, "软件设计师", "应用技术", "第1场", 7, 8, 12),
            row(4, Senior, "系统架构设计师", "综合知识", "第2场", 8, 8, 12),
            row(5, Senior, "系统架构设计师", "案例分析", "第2场", 8, 8, 12),
            row(6, Senior, "系统架构设计师", "论文", "第3场", 8, 14, 16),
        ]
    }

    #[test]
    fn subjects_rank_in_exam_order_not_by_their_characters() {
        let mut s = vec![
            "论文",
            "案例分析",
            "综合知识",
            "应用技术",
            "基础知识",
            "其他",
        ];
        s.sort_by_key(|x| (exam_rank(x), *x));
        assert_eq!(
            s,
            [
                "基础知识",
                "综合知识",
                "应用技术",
                "案例分析",
                "论文",
                "其他"
            ]
        );
        // By code point 案例分析 (U+6848) would come before 综合知识 (U+7EFC).
        assert!(exam_rank("综合知识") < exam_rank("案例分析"));
    }

    #[test]
    fn a_good_plan_passes() {
        assert_eq!(check(&good()), vec![]);
        assert_eq!(check_complete(&good()), vec![]);
    }

    #[test]
    fn one_level_per_qualification() {
        let mut rows = good();
        rows[1].level = Level::Junior;
        let p = check(&rows);
        assert!(
            p.iter().any(|p| p.row == 1
                && p.column == "level"
                && p.message.contains("exactly one level")),
            "{p:?}"
        );
    }

    #[test]
    fn missing_subject_is_named_with_the_allowed_ones() {
        let mut rows = good();
        rows.remove(4);
        assert_eq!(check(&rows), vec![]);
        let p = check_complete(&rows);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].message.contains("no row for 论文"));
        assert!(p[0].message.contains("综合知识, 案例分析, 论文"));
    }

    #[test]
    fn back_to_back_subjects_share_a_sitting() {
        let mut rows = good();
        rows[1].sitting = "第9场".into();
        rows[1].start = NaiveTime::from_hms_opt(13, 0, 0).unwrap();
        rows[1].end = NaiveTime::from_hms_opt(17, 0, 0).unwrap();
        let p = check(&rows);
        assert!(
            p.iter().any(|p| p.row == 1 && p.column == "sitting"),
            "{p:?}"
        );
    }

    #[test]
    fn sittings_of_a_qualification_must_not_overlap() {
        let mut rows = good();
        rows[4].start = NaiveTime::from_hms_opt(11, 0, 0).unwrap();
        let p = check(&rows);
        assert!(
            p.iter()
                .any(|p| p.row == 4 && p.message.contains("overlaps sitting 第2场")),
            "{p:?}"
        );
    }

    #[test]
    fn a_sitting_label_has_one_slot() {
        let mut rows = good();
        rows[3].date = NaiveDate::from_ymd_opt(2026, 11, 9).unwrap();
        let p = check(&rows);
        assert!(
            p.iter()
                .any(|p| p.row == 3 && p.message.contains("one sitting has one date")),
            "{p:?}"
        );
    }

    #[test]
    fn duplicate_subject_rows() {
        let mut rows = good();
        rows.push(rows[0].clone());
        rows[5].line = 7;
        let p = check(&rows);
        assert!(
            p.iter()
                .any(|p| p.row == 5 && p.message.contains("already planned in row 2")),
            "{p:?}"
        );
    }

    #[test]
    fn end_before_start() {
        let mut rows = good();
        rows[0].end = NaiveTime::from_hms_opt(8, 0, 0).unwrap();
        rows[1].end = rows[0].end;
        let p = check(&rows);
        assert!(p.iter().any(|p| p.row == 0 && p.column == "end"), "{p:?}");
    }
}
