//! A session's results as the score commands, the pass list, rechecks, certificates and the
//! report read them: its candidates, their scores, the subjects violation cases void, the
//! pass marks, and the pass decisions stored by `scores judge`.

use std::collections::{BTreeMap, HashMap};

use anyhow::Result;
use serde::Serialize;

use crate::db::Tx;
use crate::db::scores::{Candidate, VerdictRow};
use crate::model::level::Level;
use crate::model::score::{self, Entry, Score, Verdict};
use crate::model::violation::Clause;

/// What violation cases void of a candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Voided {
    /// Every subject of the session (§7, §8).
    All,
    /// These subjects (§6, §9, §11).
    Subjects(Vec<String>),
}

/// The session's results, read once.
pub struct Results {
    /// Candidates with an admit card and a seat, by application id.
    pub candidates: Vec<Candidate>,
    /// Stored scores by (application, subject).
    pub scores: HashMap<(i64, String), Entry>,
    pub void: HashMap<i64, Voided>,
    /// Pass marks that differ from 45, by subject.
    pub marks: BTreeMap<String, Score>,
    /// Stored pass decisions by application.
    pub verdicts: HashMap<i64, VerdictRow>,
}

impl Results {
    pub async fn load(tx: &mut Tx, session_id: i64) -> Result<Results> {
        let mut t = crate::progress::Phases::new();
        let mut candidates = tx.score_candidates(session_id).await?;
        candidates.sort_by_key(|c| c.application_id);
        t.mark("results: candidates");
        let scores = tx
            .scores(session_id)
            .await?
            .into_iter()
            .filter_map(|r| {
                Some((
                    (r.application_id, r.subject),
                    stored_entry(&r.entry, r.score)?,
                ))
            })
            .collect();
        t.mark("results: scores");
        let mut void: HashMap<i64, Voided> = HashMap::new();
        for case in tx.violations(session_id).await? {
            let Ok(clause) = Clause::parse(&case.clause) else {
                continue;
            };
            let c = clause.consequence();
            if !c.voids_results() {
                continue;
            }
            let slot = void
                .entry(case.application_id)
                .or_insert_with(|| Voided::Subjects(Vec::new()));
            if c.whole_session() {
                *slot = Voided::All;
            } else if let Voided::Subjects(list) = slot {
                list.push(case.subject);
            }
        }
        let marks = tx
            .pass_marks(session_id)
            .await?
            .into_iter()
            .map(|(s, m)| (s, Score(u16::try_from(m).unwrap_or(u16::MAX))))
            .collect();
        let verdicts = tx
            .verdicts(session_id)
            .await?
            .into_iter()
            .map(|v| (v.application_id, v))
            .collect();
        t.mark("results: cases, marks, decisions");
        Ok(Results {
            candidates,
            scores,
            void,
            marks,
            verdicts,
        })
    }

    /// A candidate by application id.
    pub fn candidate(&self, application_id: i64) -> Option<&Candidate> {
        self.candidates
            .binary_search_by_key(&application_id, |c| c.application_id)
            .ok()
            .map(|i| &self.candidates[i])
    }

    /// The subjects of a candidate's level, in exam order.
    pub fn subjects(c: &Candidate) -> &'static [&'static str] {
        Level::parse(&c.level).map_or(&[], Level::subjects)
    }

    /// A candidate's entry for a subject.
    pub fn entry(&self, application_id: i64, subject: &str) -> Option<Entry> {
        self.scores
            .get(&(application_id, subject.to_string()))
            .copied()
    }

    /// The pass decision on a candidate from what is stored now.
    pub fn judge(&self, c: &Candidate) -> Verdict {
        let Some(level) = Level::parse(&c.level) else {
            return Verdict { failed: Vec::new() };
        };
        let entries: BTreeMap<&str, Entry> = level
            .subjects()
            .iter()
            .filter_map(|s| Some((*s, self.entry(c.application_id, s)?)))
            .collect();
        let marks: BTreeMap<&str, Score> =
            self.marks.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        let void: Vec<&str> = match self.void.get(&c.application_id) {
            None => Vec::new(),
            Some(Voided::All) => level.subjects().to_vec(),
            Some(Voided::Subjects(list)) => list.iter().map(String::as_str).collect(),
        };
        score::judge(level, &entries, &marks, &void)
    }

    /// The mark of a subject in this session.
    pub fn mark(&self, subject: &str) -> Score {
        self.marks.get(subject).copied().unwrap_or(Score::PASS)
    }

    /// Whether the stored decision says the candidate passed.
    pub fn passed(&self, application_id: i64) -> bool {
        self.verdicts
            .get(&application_id)
            .is_some_and(|v| v.passed == 1)
    }
}

/// An entry as stored: (`scored`, tenths), (`absent`, none) or (`void`, none); a missing
/// paper is not stored.
pub fn stored(entry: Entry) -> Option<(&'static str, Option<i64>)> {
    match entry {
        Entry::Scored(s) => Some(("scored", Some(i64::from(s.0)))),
        Entry::Absent => Some(("absent", None)),
        Entry::Void => Some(("void", None)),
        Entry::NoPaper => None,
    }
}

/// The entry of a stored score.
pub fn stored_entry(entry: &str, score: Option<i64>) -> Option<Entry> {
    match (entry, score) {
        ("scored", Some(s)) => Some(Entry::Scored(Score(u16::try_from(s).ok()?))),
        ("absent", _) => Some(Entry::Absent),
        ("void", _) => Some(Entry::Void),
        _ => None,
    }
}

/// An entry as printed and journalled: `44.5`, `缺考`, `违纪`, `-`.
pub fn shown(entry: Entry) -> String {
    match entry {
        Entry::Scored(s) => s.to_string(),
        Entry::Absent => "缺考".to_string(),
        Entry::Void => "违纪".to_string(),
        Entry::NoPaper => "-".to_string(),
    }
}

/// Why a candidate did not pass, as stored and printed: `应用技术 44.5 < 45；论文 缺考`.
pub fn failed_text(v: &Verdict) -> String {
    v.failed
        .iter()
        .map(|(s, why)| format!("{s} {why}"))
        .collect::<Vec<_>>()
        .join("；")
}

/// The decision as journalled.
pub fn verdict_word(passed: bool) -> &'static str {
    if passed { "合格" } else { "不合格" }
}

/// The result figures of the report: pass rates (合格率) and the expected recheck load.
#[derive(Debug, Default, Serialize)]
pub struct ResultFigures {
    /// Scores are imported.
    pub scored: bool,
    /// `scores judge` has run.
    pub judged: bool,
    pub note: String,
    pub total: PassCount,
    /// By exam area, level and qualification.
    pub by_group: Vec<PassGroup>,
    pub by_exam_area: Vec<PassGroup>,
    pub by_level: Vec<PassGroup>,
    /// Per subject: how many scored, and how many at 43 to 44.5, a little under the mark
    /// (the expected recheck load).
    pub near_mark: Vec<NearMark>,
}

/// Candidates counted for a pass rate.
#[derive(Debug, Default, Clone, Serialize)]
pub struct PassCount {
    /// 报考: candidates with an admit card and a seat.
    pub applied: i64,
    /// 全科参考: sat every subject of the level (none absent).
    pub sat_all: i64,
    /// 合格.
    pub passed: i64,
    /// 合格率 = 合格 / 全科参考.
    pub pass_rate_of_sat_all: Option<f64>,
    /// 合格率 = 合格 / 报考.
    pub pass_rate_of_applied: Option<f64>,
}

impl PassCount {
    fn add(&mut self, sat_all: bool, passed: bool) {
        self.applied += 1;
        self.sat_all += i64::from(sat_all);
        self.passed += i64::from(passed);
    }

    fn rates(mut self) -> Self {
        let share = |p: i64, w: i64| (w > 0).then(|| p as f64 / w as f64);
        self.pass_rate_of_sat_all = share(self.passed, self.sat_all);
        self.pass_rate_of_applied = share(self.passed, self.applied);
        self
    }
}

#[derive(Debug, Serialize)]
pub struct PassGroup {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub exam_area: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub level: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub qualification: String,
    #[serde(flatten)]
    pub count: PassCount,
}

#[derive(Debug, Serialize)]
pub struct NearMark {
    pub subject: &'static str,
    pub scored: i64,
    /// 43 <= score < 45 (tenths 430 to 449).
    pub at_43_44: i64,
}

/// The result figures of a session without scores.
pub fn not_scored() -> ResultFigures {
    ResultFigures {
        note: "scores not imported yet (kaowu import scores FILE)".to_string(),
        ..ResultFigures::default()
    }
}

/// The report's result figures from what is stored.
pub fn figures(res: &Results) -> ResultFigures {
    if res.scores.is_empty() {
        return not_scored();
    }
    let judged = !res.verdicts.is_empty();
    let mut total = PassCount::default();
    let mut groups: BTreeMap<(String, (usize, String), String), PassCount> = BTreeMap::new();
    let mut areas: BTreeMap<String, PassCount> = BTreeMap::new();
    let mut levels: BTreeMap<(usize, String), PassCount> = BTreeMap::new();
    for c in &res.candidates {
        let subjects = Results::subjects(c);
        let sat_all = !subjects.is_empty()
            && subjects.iter().all(|s| {
                matches!(
                    res.entry(c.application_id, s),
                    Some(Entry::Scored(_) | Entry::Void)
                )
            });
        let passed = res.passed(c.application_id);
        let rank = Level::parse(&c.level).map_or(9, |l| {
            Level::ALL.len() - Level::ALL.iter().position(|x| *x == l).unwrap_or(0)
        });
        let level = Level::parse(&c.level).map_or_else(|| c.level.clone(), |l| l.zh().to_string());
        total.add(sat_all, passed);
        groups
            .entry((
                c.exam_area.clone(),
                (rank, level.clone()),
                c.qualification.clone(),
            ))
            .or_default()
            .add(sat_all, passed);
        areas
            .entry(c.exam_area.clone())
            .or_default()
            .add(sat_all, passed);
        levels
            .entry((rank, level))
            .or_default()
            .add(sat_all, passed);
    }
    let mut near: BTreeMap<usize, NearMark> = BTreeMap::new();
    for ((_, subject), e) in &res.scores {
        let Entry::Scored(s) = e else { continue };
        // In exam order: 高级's papers, then those of 中级 and 初级.
        let Some((rank, name)) = Level::ALL
            .iter()
            .rev()
            .flat_map(|l| l.subjects())
            .enumerate()
            .find(|(_, x)| **x == subject.as_str())
        else {
            continue;
        };
        let n = near.entry(rank).or_insert(NearMark {
            subject: name,
            scored: 0,
            at_43_44: 0,
        });
        n.scored += 1;
        n.at_43_44 += i64::from((430..450).contains(&s.0));
    }
    ResultFigures {
        scored: true,
        judged,
        note: if judged {
            String::new()
        } else {
            "scores imported, not judged yet (kaowu scores judge): 合格 is 0 until then".to_string()
        },
        total: total.rates(),
        by_group: groups
            .into_iter()
            .map(
                |((exam_area, (_, level), qualification), count)| PassGroup {
                    exam_area,
                    level,
                    qualification,
                    count: count.rates(),
                },
            )
            .collect(),
        by_exam_area: areas
            .into_iter()
            .map(|(exam_area, count)| PassGroup {
                exam_area,
                level: String::new(),
                qualification: String::new(),
                count: count.rates(),
            })
            .collect(),
        by_level: levels
            .into_iter()
            .map(|((_, level), count)| PassGroup {
                exam_area: String::new(),
                level,
                qualification: String::new(),
                count: count.rates(),
            })
            .collect(),
        near_mark: near.into_values().collect(),
    }
}
