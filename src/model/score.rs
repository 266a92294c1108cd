//! Scores (成绩) and the pass rule of 软考, written once: a candidate passes only with every
//! subject of their qualification at or above the session's pass mark for it, in this
//! session: no carry-over, no exemption, no make-up. An absent subject, a voided one, or one
//! with no score fails. Scores run 0 to 75 with at most one decimal, and are kept in tenths
//! so that 44.5 and 45 compare exactly.

use std::collections::BTreeMap;
use std::fmt;

use super::level::Level;
use super::text::fold_ascii;

/// A score in tenths of a point: 45.0 is 450.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Score(pub u16);

impl Score {
    /// The highest score of a paper: 75.
    pub const MAX: Score = Score(750);
    /// The usual pass mark: 45 of 75.
    pub const PASS: Score = Score(450);

    /// `45`, `44.5`, `45.0`, `４５` (full-width): 0 to 75, one decimal at most.
    pub fn parse(text: &str) -> Result<Score, String> {
        let t = fold_ascii(text.trim());
        let bad = || {
            format!(
                "expected a score from 0 to 75 with at most one decimal, found \"{}\"",
                text.trim()
            )
        };
        let (whole, tenth) = match t.split_once('.') {
            Some((w, f)) => (w, f),
            None => (t.as_str(), ""),
        };
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let tenth = tenth.trim_end_matches('0');
        if tenth.len() > 1 || !tenth.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let whole: u16 = whole.parse().map_err(|_| bad())?;
        let tenth: u16 = if tenth.is_empty() {
            0
        } else {
            tenth.parse().map_err(|_| bad())?
        };
        let s = whole
            .checked_mul(10)
            .and_then(|w| w.checked_add(tenth))
            .ok_or_else(bad)?;
        if s > Score::MAX.0 {
            return Err(format!("a score is at most 75, found \"{}\"", text.trim()));
        }
        Ok(Score(s))
    }
}

impl serde::Serialize for Score {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(f64::from(self.0) / 10.0)
    }
}

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_multiple_of(10) {
            write!(f, "{}", self.0 / 10)
        } else {
            write!(f, "{}.{}", self.0 / 10, self.0 % 10)
        }
    }
}

/// What a score file says of one paper of a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    Scored(Score),
    /// 缺考.
    Absent,
    /// 违纪: the result is void.
    Void,
    /// `-`: the level has no such paper (初级 and 中级 write no essay).
    NoPaper,
}

impl Entry {
    /// A cell of the centre's file: a score, 缺考, 违纪 (or 作弊, 无效), or `-`.
    pub fn parse(text: &str) -> Result<Entry, String> {
        // A leading apostrophe is a spreadsheet's mark of text (`'-`), not part of the value.
        let t = fold_ascii(text.trim());
        match t.trim_start_matches('\'') {
            "-" | "—" | "/" => Ok(Entry::NoPaper),
            "缺考" | "缺" => Ok(Entry::Absent),
            "违纪" | "作弊" | "无效" | "违纪违规" => Ok(Entry::Void),
            t => Score::parse(t).map(Entry::Scored).map_err(|e| {
                if e.contains("at most 75") {
                    e
                } else {
                    format!(
                        "expected a score from 0 to 75 with at most one decimal, 缺考, 违纪 or - (no such paper), found \"{}\"",
                        text.trim()
                    )
                }
            }),
        }
    }
}

/// The papers of the centre's file (SWCJ, XWCJ, LWCJ) and the subject each is at a level:
/// the morning's, the afternoon's and the essay.
pub fn subject_of_paper(level: Level, paper: Paper) -> Option<&'static str> {
    match (level, paper) {
        (Level::Senior, Paper::Morning) => Some("综合知识"),
        (Level::Senior, Paper::Afternoon) => Some("案例分析"),
        (Level::Senior, Paper::Essay) => Some("论文"),
        (_, Paper::Morning) => Some("基础知识"),
        (_, Paper::Afternoon) => Some("应用技术"),
        (_, Paper::Essay) => None,
    }
}

/// The session (year, half) a score file's 考试时间 (KSSJ) names: `2026年下半年`, `2026H2`,
/// `202611`, `2026-11`, `2026年11月`, `2026.5` (a month up to June is the first half).
pub fn exam_session(text: &str) -> Option<(u16, u8)> {
    let t = fold_ascii(text.trim()).to_ascii_uppercase();
    let year: u16 = t.get(..4)?.parse().ok()?;
    if !(2000..=2099).contains(&year) {
        return None;
    }
    let rest = t[4..].trim_start_matches(['年', '-', '.', '/', ' ']);
    let half = match rest {
        "上半年" | "上" | "H1" => 1,
        "下半年" | "下" | "H2" => 2,
        _ => {
            let month: u8 = rest.trim_end_matches('月').parse().ok()?;
            match month {
                1..=6 => 1,
                7..=12 => 2,
                _ => return None,
            }
        }
    };
    Some((year, half))
}

/// Whether a paper may be rechecked (复核): only the subjective ones (案例分析, 应用技术, 论文);
/// 综合知识 and 基础知识 are machine-marked choice questions.
pub fn recheckable(subject: &str) -> Result<(), String> {
    match subject {
        "案例分析" | "应用技术" | "论文" => Ok(()),
        "综合知识" | "基础知识" => Err(format!(
            "{subject} is machine-marked (choice questions): a recheck is for 案例分析, 应用技术 or 论文 only"
        )),
        _ => Err(format!("\"{subject}\" is not a subject of 软考")),
    }
}

/// A column of scores in the centre's file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paper {
    /// SWCJ, 上午成绩.
    Morning,
    /// XWCJ, 下午成绩.
    Afternoon,
    /// LWCJ, 论文成绩.
    Essay,
}

/// Why a subject did not pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Short {
    /// Below the pass mark: the score and the mark.
    Below(Score, Score),
    Absent,
    /// Void by a violation (the file's 违纪, or a case recorded in kaowu).
    Void,
    /// No score for a subject the qualification has.
    Missing,
}

impl fmt::Display for Short {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Short::Below(s, m) => write!(f, "{s} < {m}"),
            Short::Absent => f.write_str("缺考"),
            Short::Void => f.write_str("违纪（成绩无效）"),
            Short::Missing => f.write_str("无成绩"),
        }
    }
}

/// The verdict on a candidate: passed, or each subject that did not and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub failed: Vec<(&'static str, Short)>,
}

impl Verdict {
    pub fn passed(&self) -> bool {
        self.failed.is_empty()
    }
}

/// Judges a candidate of `level`: every subject of the level must be scored at or above its
/// pass mark (`marks`, by subject; [`Score::PASS`] where none is set) in this session's
/// `entries` (by subject), and not voided (`void`: subjects a recorded case voids).
pub fn judge(
    level: Level,
    entries: &BTreeMap<&str, Entry>,
    marks: &BTreeMap<&str, Score>,
    void: &[&str],
) -> Verdict {
    let failed = level
        .subjects()
        .iter()
        .filter_map(|&subject| {
            let mark = marks.get(subject).copied().unwrap_or(Score::PASS);
            let short = match entries.get(subject) {
                _ if void.contains(&subject) => Short::Void,
                Some(Entry::Scored(s)) if *s >= mark => return None,
                Some(Entry::Scored(s)) => Short::Below(*s, mark),
                Some(Entry::Absent) => Short::Absent,
                Some(Entry::Void) => Short::Void,
                Some(Entry::NoPaper) | None => Short::Missing,
            };
            Some((subject, short))
        })
        .collect();
    Verdict { failed }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(pairs: &[(&'static str, &str)]) -> BTreeMap<&'static str, Entry> {
        pairs
            .iter()
            .map(|(s, t)| (*s, Entry::parse(t).unwrap()))
            .collect()
    }

    fn judged(level: Level, pairs: &[(&'static str, &str)]) -> Verdict {
        judge(level, &entries(pairs), &BTreeMap::new(), &[])
    }

    #[test]
    fn only_subjective_papers_are_rechecked() {
        for s in ["案例分析", "应用技术", "论文"] {
            assert_eq!(recheckable(s), Ok(()));
        }
        for s in ["综合知识", "基础知识"] {
            assert!(
                recheckable(s).unwrap_err().contains("machine-marked"),
                "{s}"
            );
        }
        assert!(recheckable("英语").is_err());
    }

    #[test]
    fn the_exam_time_names_a_session() {
        for (t, want) in [
            ("2026年下半年", Some((2026, 2))),
            ("2026H2", Some((2026, 2))),
            ("2026h1", Some((2026, 1))),
            ("202611", Some((2026, 2))),
            ("202605", Some((2026, 1))),
            ("2026-11", Some((2026, 2))),
            ("2026年5月", Some((2026, 1))),
            ("２０２６年下半年", Some((2026, 2))),
            ("2026年13月", None),
            ("26H2", None),
            ("", None),
        ] {
            assert_eq!(exam_session(t), want, "{t}");
        }
    }

    #[test]
    fn scores_are_read_to_the_tenth_and_kept_within_75() {
        assert_eq!(Score::parse("45"), Ok(Score(450)));
        assert_eq!(Score::parse("44.5"), Ok(Score(445)));
        assert_eq!(Score::parse("45.0"), Ok(Score(450)));
        assert_eq!(Score::parse("４４．５"), Ok(Score(445)));
        assert_eq!(Score::parse("75"), Ok(Score::MAX));
        assert_eq!(Score::parse("0"), Ok(Score(0)));
        assert!(Score::parse("75.5").unwrap_err().contains("at most 75"));
        assert!(Score::parse("76").unwrap_err().contains("at most 75"));
        for bad in ["44.55", "-1", "", "四十五", "4 5", ".5", "1e2"] {
            assert!(Score::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Score(445).to_string(), "44.5");
        assert_eq!(Score(450).to_string(), "45");
    }

    #[test]
    fn the_mark_itself_passes_and_a_tenth_below_does_not() {
        let v = judged(
            Level::Intermediate,
            &[("基础知识", "45"), ("应用技术", "45.0")],
        );
        assert!(v.passed(), "{v:?}");
        let v = judged(
            Level::Intermediate,
            &[("基础知识", "45"), ("应用技术", "44.5")],
        );
        assert_eq!(
            v.failed,
            vec![("应用技术", Short::Below(Score(445), Score(450)))]
        );
    }

    #[test]
    fn the_afternoon_counts_as_much_as_the_morning() {
        // A public script checked the morning score twice and never the afternoon.
        let v = judged(Level::Junior, &[("基础知识", "60"), ("应用技术", "30")]);
        assert!(!v.passed());
        let v = judged(Level::Junior, &[("基础知识", "30"), ("应用技术", "60")]);
        assert!(!v.passed());
    }

    #[test]
    fn a_senior_candidate_needs_the_essay_and_an_intermediate_one_has_none() {
        let v = judged(
            Level::Senior,
            &[("综合知识", "50"), ("案例分析", "50"), ("论文", "-")],
        );
        assert_eq!(v.failed, vec![("论文", Short::Missing)]);
        let v = judged(Level::Senior, &[("综合知识", "50"), ("案例分析", "50")]);
        assert_eq!(v.failed, vec![("论文", Short::Missing)]);
        let v = judged(
            Level::Senior,
            &[("综合知识", "50"), ("案例分析", "50"), ("论文", "45")],
        );
        assert!(v.passed());
        // 中级 with "-" in the essay column: it has no essay, and passes on its two subjects.
        let mut e = entries(&[("基础知识", "50"), ("应用技术", "46")]);
        e.insert("论文", Entry::NoPaper);
        assert!(judge(Level::Intermediate, &e, &BTreeMap::new(), &[]).passed());
    }

    #[test]
    fn absent_and_void_fail_whatever_the_score() {
        let v = judged(
            Level::Intermediate,
            &[("基础知识", "缺考"), ("应用技术", "70")],
        );
        assert_eq!(v.failed, vec![("基础知识", Short::Absent)]);
        let v = judged(
            Level::Intermediate,
            &[("基础知识", "违纪"), ("应用技术", "70")],
        );
        assert_eq!(v.failed, vec![("基础知识", Short::Void)]);
        // A case recorded in kaowu voids a subject the file scored.
        let e = entries(&[("基础知识", "70"), ("应用技术", "70")]);
        let v = judge(Level::Intermediate, &e, &BTreeMap::new(), &["应用技术"]);
        assert_eq!(v.failed, vec![("应用技术", Short::Void)]);
    }

    #[test]
    fn a_session_may_set_its_own_mark_per_subject() {
        let e = entries(&[("综合知识", "44"), ("案例分析", "45"), ("论文", "45")]);
        let marks: BTreeMap<&str, Score> = [("综合知识", Score(440))].into_iter().collect();
        assert!(judge(Level::Senior, &e, &marks, &[]).passed());
        assert!(!judge(Level::Senior, &e, &BTreeMap::new(), &[]).passed());
    }

    #[test]
    fn the_papers_of_the_centres_file_are_the_levels_subjects() {
        assert_eq!(
            subject_of_paper(Level::Senior, Paper::Afternoon),
            Some("案例分析")
        );
        assert_eq!(
            subject_of_paper(Level::Junior, Paper::Afternoon),
            Some("应用技术")
        );
        assert_eq!(subject_of_paper(Level::Intermediate, Paper::Essay), None);
        assert_eq!(Entry::parse(" - "), Ok(Entry::NoPaper));
        assert!(Entry::parse("优").unwrap_err().contains("缺考, 违纪 or -"));
    }

    /// Any scores: a candidate passes exactly when every subject of the level is scored at
    /// 45 or more, checked against a second, plainer statement of the rule.
    #[test]
    fn the_rule_holds_for_any_scores() {
        let mut rng = fastrand::Rng::with_seed(25);
        for _ in 0..20_000 {
            let level = Level::ALL[rng.usize(..3)];
            let mut e: BTreeMap<&str, Entry> = BTreeMap::new();
            for s in level.subjects() {
                let entry = match rng.u8(0..10) {
                    0 => Entry::Absent,
                    1 => Entry::Void,
                    2 => continue,
                    _ => Entry::Scored(Score(rng.u16(400..=500))),
                };
                e.insert(s, entry);
            }
            let plain = level
                .subjects()
                .iter()
                .all(|s| matches!(e.get(s), Some(Entry::Scored(Score(t))) if *t >= 450));
            assert_eq!(
                judge(level, &e, &BTreeMap::new(), &[]).passed(),
                plain,
                "{level:?} {e:?}"
            );
        }
    }
}
