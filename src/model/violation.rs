//! Violations (违纪违规) under 《专业技术人员资格考试违纪违规行为处理规定》(人社部令第31号,
//! 2017): the clause a case is decided under, what follows from it, how it was found, and
//! the legal steps a case goes through. What follows is worked out from the clause alone,
//! never taken from free text.

use std::fmt;

use chrono::NaiveDate;

/// A clause of 令31 that a case is decided under: an article (6 to 11) and, for the
/// articles that list kinds, the item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Clause {
    pub article: u8,
    pub item: Option<u8>,
}

/// What a clause does to the candidate's results and record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Consequence {
    /// §6, §9, §11: that subject's result void.
    SubjectVoid,
    /// §7: every subject of the session void, and five years in the integrity record.
    SessionVoidFiveYears,
    /// §8: every subject void, and a long-term record.
    SessionVoidLongTerm,
    /// §10: the certificate or score proof obtained is void; results of this session stay.
    CertificateVoid,
}

impl Consequence {
    /// The decision's words.
    pub fn text(self) -> &'static str {
        match self {
            Consequence::SubjectVoid => "当次该科目考试成绩无效",
            Consequence::SessionVoidFiveYears => {
                "当次全部科目考试成绩无效，并记入专业技术人员资格考试诚信档案库，记录期限为五年"
            }
            Consequence::SessionVoidLongTerm => {
                "当次全部科目考试成绩无效，并记入专业技术人员资格考试诚信档案库，长期记录"
            }
            Consequence::CertificateVoid => "所取得的资格证书或者成绩证明无效",
        }
    }

    /// Whether every subject of the session is void, not only the case's.
    pub fn whole_session(self) -> bool {
        matches!(
            self,
            Consequence::SessionVoidFiveYears | Consequence::SessionVoidLongTerm
        )
    }

    /// Whether any result of this session is void.
    pub fn voids_results(self) -> bool {
        self != Consequence::CertificateVoid
    }

    /// Years in the integrity record (诚信档案); `None` for none, `Some(0)` for long-term.
    pub fn record_years(self) -> Option<u8> {
        match self {
            Consequence::SessionVoidFiveYears => Some(5),
            Consequence::SessionVoidLongTerm => Some(0),
            _ => None,
        }
    }
}

/// How many kinds each article that lists them has.
fn items_of(article: u8) -> Option<u8> {
    match article {
        6 => Some(10),
        7 => Some(6),
        8 => Some(3),
        _ => None,
    }
}

const NUMERALS: [&str; 11] = [
    "〇", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十",
];

impl Clause {
    /// `6.3`, `§6.3`, `6(3)`, `第六条第三项`, `第六条第（三）项`, `11`, `§11`, `第十一条`.
    pub fn parse(text: &str) -> Result<Clause, String> {
        let t: String = text.trim().chars().filter(|c| !c.is_whitespace()).collect();
        let bad = || {
            format!(
                "expected a clause of 人社部令第31号 such as 6.3, 7.1, 8.2, 9, 10 or 11 (第六条第三项), found \"{}\"",
                text.trim()
            )
        };
        let (article, item) = if let Some(rest) = t.strip_prefix('第') {
            let (a, rest) = rest.split_once('条').ok_or_else(bad)?;
            let item = rest
                .trim_start_matches('第')
                .trim_end_matches('项')
                .trim_start_matches(['（', '('])
                .trim_end_matches(['）', ')']);
            (
                chinese_number(a).ok_or_else(bad)?,
                if item.is_empty() {
                    None
                } else {
                    Some(chinese_number(item).ok_or_else(bad)?)
                },
            )
        } else {
            let t = t.trim_start_matches('§');
            let (a, i) = match t.split_once(['.', '(', '（']) {
                Some((a, i)) => (a, Some(i.trim_end_matches([')', '）']))),
                None => (t, None),
            };
            let a: u8 = a.parse().map_err(|_| bad())?;
            let i = match i {
                Some(i) => Some(i.parse::<u8>().map_err(|_| bad())?),
                None => None,
            };
            (a, i)
        };
        let c = Clause { article, item };
        c.check()
            .map_err(|e| format!("{e} (found \"{}\")", text.trim()))?;
        Ok(c)
    }

    fn check(self) -> Result<(), String> {
        if !(6..=11).contains(&self.article) {
            return Err(format!(
                "article {} of 人社部令第31号 does not decide a candidate's case: 6 to 11 do",
                self.article
            ));
        }
        match (items_of(self.article), self.item) {
            (Some(n), Some(i)) if (1..=n).contains(&i) => Ok(()),
            (Some(n), Some(i)) => Err(format!(
                "article {} has items 1 to {n}, not {i}",
                self.article
            )),
            (Some(n), None) => Err(format!(
                "article {} lists {n} kinds: name the item, as {}.1",
                self.article, self.article
            )),
            (None, None) => Ok(()),
            (None, Some(_)) => Err(format!("article {} has no items", self.article)),
        }
    }

    /// What follows from the clause.
    pub fn consequence(self) -> Consequence {
        match self.article {
            7 => Consequence::SessionVoidFiveYears,
            8 => Consequence::SessionVoidLongTerm,
            10 => Consequence::CertificateVoid,
            _ => Consequence::SubjectVoid,
        }
    }

    /// As a document cites it: 第六条第（三）项, 第十一条.
    pub fn chinese(self) -> String {
        let article = chinese_numeral(self.article);
        match self.item {
            Some(i) => format!("第{article}条第（{}）项", chinese_numeral(i)),
            None => format!("第{article}条"),
        }
    }

    /// How the store keeps it: `6.3`, `11`.
    pub fn code(self) -> String {
        match self.item {
            Some(i) => format!("{}.{i}", self.article),
            None => self.article.to_string(),
        }
    }
}

impl fmt::Display for Clause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "§{}", self.code())
    }
}

fn chinese_numeral(n: u8) -> String {
    match n {
        0..=10 => NUMERALS[n as usize].to_string(),
        11..=19 => format!("十{}", NUMERALS[(n - 10) as usize]),
        _ => n.to_string(),
    }
}

fn chinese_number(s: &str) -> Option<u8> {
    if let Ok(n) = s.parse() {
        return Some(n);
    }
    (0..=19u8).find(|n| chinese_numeral(*n) == s)
}

/// How a violation was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoundBy {
    /// 现场: by the invigilators in the room.
    OnSite,
    /// 视频: on the video record.
    Video,
    /// 雷同: identical answers found in marking.
    Identical,
}

impl FoundBy {
    pub fn as_str(self) -> &'static str {
        match self {
            FoundBy::OnSite => "现场",
            FoundBy::Video => "视频",
            FoundBy::Identical => "雷同",
        }
    }

    /// As a document says it.
    pub fn described(self) -> &'static str {
        match self {
            FoundBy::OnSite => "考场现场发现",
            FoundBy::Video => "视频监控发现",
            FoundBy::Identical => "试卷雷同甄别",
        }
    }

    pub fn parse(text: &str) -> Result<FoundBy, String> {
        let t = text.trim();
        match t.to_ascii_lowercase().as_str() {
            "现场" | "现场发现" | "考场" | "on_site" | "onsite" | "on site" => {
                Ok(FoundBy::OnSite)
            }
            "视频" | "视频监控" | "监控" | "video" => Ok(FoundBy::Video),
            "雷同" | "雷同试卷" | "试卷雷同" | "identical" => Ok(FoundBy::Identical),
            _ => Err(format!(
                "expected 现场, 视频 or 雷同 (on site, video, identical answers), found \"{t}\""
            )),
        }
    }
}

/// The legal steps of a case, in order. 申辩 may be passed over when the candidate makes
/// no statement within the time the notice gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    /// 记录: facts and evidence recorded, signed by the candidate (or witnessed) and the site.
    Recorded,
    /// 告知: the notice of the proposed decision served, with the right to state a case.
    Notified,
    /// 申辩: the candidate's statement and defence received.
    Statement,
    /// 决定: the decision made.
    Decided,
    /// 送达: the decision served.
    Served,
}

impl Step {
    pub const ALL: [Step; 5] = [
        Step::Recorded,
        Step::Notified,
        Step::Statement,
        Step::Decided,
        Step::Served,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Recorded => "记录",
            Step::Notified => "告知",
            Step::Statement => "申辩",
            Step::Decided => "决定",
            Step::Served => "送达",
        }
    }

    pub fn parse(text: &str) -> Result<Step, String> {
        let t = text.trim();
        let by_english = match t.to_ascii_lowercase().as_str() {
            "recorded" | "record" => Some(Step::Recorded),
            "notified" | "notice" => Some(Step::Notified),
            "statement" | "defence" | "defense" => Some(Step::Statement),
            "decided" | "decision" => Some(Step::Decided),
            "served" => Some(Step::Served),
            _ => None,
        };
        by_english
            .or_else(|| Step::ALL.into_iter().find(|s| s.as_str() == t))
            .ok_or_else(|| {
                format!(
                    "expected one of 记录, 告知, 申辩, 决定, 送达 (recorded, notified, statement, decided, served), found \"{t}\""
                )
            })
    }

    /// Whether a case at `self` may move to `to`: one step on, or from 告知 straight to
    /// 决定 when no statement was made.
    pub fn may_move_to(self, to: Step) -> Result<(), String> {
        let next = |s: Step| Step::ALL.iter().position(|x| *x == s).unwrap_or(0);
        let (from_i, to_i) = (next(self), next(to));
        if to_i == from_i + 1 || (self == Step::Notified && to == Step::Decided) {
            Ok(())
        } else if to_i <= from_i {
            Err(format!(
                "the case is at {} already; a step is never taken back",
                self.as_str()
            ))
        } else {
            Err(format!(
                "the case is at {}: the next step is {}{}",
                self.as_str(),
                Step::ALL[from_i + 1].as_str(),
                if self == Step::Notified {
                    " or 决定"
                } else {
                    ""
                }
            ))
        }
    }
}

/// Checks a step's date against the date of the step before: never earlier.
pub fn check_date(step: Step, on: NaiveDate, before: NaiveDate) -> Result<(), String> {
    if on < before {
        Err(format!(
            "{} on {on} would come before the case's previous step on {before}",
            step.as_str()
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clauses_are_read_in_every_usual_spelling() {
        for t in [
            "6.3",
            "§6.3",
            "6(3)",
            "第六条第三项",
            "第六条第（三）项",
            "第6条第3项",
        ] {
            assert_eq!(
                Clause::parse(t),
                Ok(Clause {
                    article: 6,
                    item: Some(3)
                }),
                "{t}"
            );
        }
        assert_eq!(Clause::parse("第十一条").unwrap().code(), "11");
        assert_eq!(Clause::parse("§11").unwrap().chinese(), "第十一条");
        assert_eq!(Clause::parse("7.6").unwrap().chinese(), "第七条第（六）项");
        assert_eq!(Clause::parse("6.10").unwrap().chinese(), "第六条第（十）项");
    }

    #[test]
    fn clauses_that_do_not_exist_are_refused_with_the_reason() {
        assert!(Clause::parse("6.11").unwrap_err().contains("items 1 to 10"));
        assert!(Clause::parse("7.7").unwrap_err().contains("items 1 to 6"));
        assert!(Clause::parse("8.4").unwrap_err().contains("items 1 to 3"));
        assert!(Clause::parse("6").unwrap_err().contains("name the item"));
        assert!(Clause::parse("5.1").unwrap_err().contains("6 to 11"));
        assert!(Clause::parse("11.2").unwrap_err().contains("no items"));
        assert!(
            Clause::parse("抄袭")
                .unwrap_err()
                .contains("expected a clause")
        );
    }

    #[test]
    fn the_consequence_follows_from_the_article() {
        let c = |t| Clause::parse(t).unwrap().consequence();
        assert_eq!(c("6.1"), Consequence::SubjectVoid);
        assert_eq!(c("9"), Consequence::SubjectVoid);
        assert_eq!(c("11"), Consequence::SubjectVoid);
        assert_eq!(c("7.2"), Consequence::SessionVoidFiveYears);
        assert_eq!(c("8.3"), Consequence::SessionVoidLongTerm);
        assert_eq!(c("10"), Consequence::CertificateVoid);
        assert!(c("7.2").whole_session() && c("8.1").whole_session() && !c("6.1").whole_session());
        assert_eq!(c("7.1").record_years(), Some(5));
        assert!(!c("10").voids_results());
    }

    #[test]
    fn steps_go_forward_one_at_a_time_and_the_statement_may_be_passed_over() {
        assert!(Step::Recorded.may_move_to(Step::Notified).is_ok());
        assert!(Step::Notified.may_move_to(Step::Decided).is_ok());
        assert!(Step::Notified.may_move_to(Step::Statement).is_ok());
        assert!(
            Step::Recorded
                .may_move_to(Step::Decided)
                .unwrap_err()
                .contains("next step is 告知")
        );
        assert!(
            Step::Decided
                .may_move_to(Step::Notified)
                .unwrap_err()
                .contains("never taken back")
        );
        assert_eq!(Step::parse("decided"), Ok(Step::Decided));
        assert_eq!(Step::parse("送达"), Ok(Step::Served));
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(check_date(Step::Notified, d("2026-11-08"), d("2026-11-07")).is_ok());
        assert!(check_date(Step::Notified, d("2026-11-06"), d("2026-11-07")).is_err());
    }
}
