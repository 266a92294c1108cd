//! Fees (收费标准): yuan per subject, by region, level, qualification and subject, with
//! effective dates, and the rule that picks the one row that applies to a subject.
//!
//! A row whose region is the province (or 全省) applies to every exam area; a row naming an
//! exam area overrides it there. Within a region, a row for one qualification overrides the
//! level-wide row, and a row for one subject overrides the all-subjects row. The region
//! decides first: an exam area's own price list is complete for that area.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;

use super::RowProblem;
use super::level::Level;
use super::money::Fen;

/// What the province-wide region is called in files besides the province's own name.
pub const WHOLE_PROVINCE: &str = "全省";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeRule {
    /// The province's name for province-wide rows, else an exam area (city).
    pub region: String,
    pub level: Level,
    /// `None`: every qualification of the level.
    pub qualification: Option<String>,
    /// `None`: every subject.
    pub subject: Option<&'static str>,
    pub amount: Fen,
    pub effective_from: NaiveDate,
    /// Inclusive; `None`: open-ended.
    pub effective_to: Option<NaiveDate>,
    /// Where the row was imported from, e.g. `fees.xlsx[收费标准]!5`.
    pub source: String,
}

/// The natural key of a fee row, by which re-imports match rows.
pub type FeeKey = (
    String,
    Level,
    Option<String>,
    Option<&'static str>,
    NaiveDate,
);

impl FeeRule {
    pub fn key(&self) -> FeeKey {
        (
            self.region.clone(),
            self.level,
            self.qualification.clone(),
            self.subject,
            self.effective_from,
        )
    }

    fn scope(&self) -> (&str, Level, Option<&str>, Option<&str>) {
        (
            &self.region,
            self.level,
            self.qualification.as_deref(),
            self.subject,
        )
    }

    pub fn applies_on(&self, d: NaiveDate) -> bool {
        self.effective_from <= d && self.effective_to.is_none_or(|to| d <= to)
    }

    fn overlaps(&self, o: &FeeRule) -> bool {
        let ends_before =
            |a: &FeeRule, b: &FeeRule| a.effective_to.is_some_and(|to| to < b.effective_from);
        !ends_before(self, o) && !ends_before(o, self)
    }

    pub fn period(&self) -> String {
        match self.effective_to {
            Some(to) => format!("{} to {}", self.effective_from, to),
            None => format!("from {}", self.effective_from),
        }
    }

    /// `云南 / 中级 / all qualifications / all subjects`, for quotes and messages.
    pub fn describe(&self) -> String {
        format!(
            "{} / {} / {} / {}",
            self.region,
            self.level,
            self.qualification
                .as_deref()
                .unwrap_or("all qualifications"),
            self.subject.unwrap_or("all subjects")
        )
    }
}

/// Maps a region cell to the stored region: the province for 全省 or the province's name
/// (with or without 省), else the text as given.
pub fn normalize_region(text: &str, province: &str) -> String {
    let t = text.trim();
    let bare = |s: &str| s.trim_end_matches('省').trim_end_matches('市').to_string();
    if t == WHOLE_PROVINCE || bare(t) == bare(province) {
        province.to_string()
    } else {
        t.to_string()
    }
}

/// The exam area `text` names: itself, or without a trailing 市 (`丽江市` -> `丽江`) when
/// that is how the session's sites name it.
pub fn match_area<'a>(text: &'a str, areas: &'a BTreeSet<String>) -> &'a str {
    let t = text.trim();
    if areas.contains(t) {
        return t;
    }
    let bare = t.trim_end_matches('市');
    if areas.contains(bare) { bare } else { t }
}

/// What a fee row may refer to: the session's province, its exam areas, and its plan.
pub struct Scope<'a> {
    pub province: &'a str,
    pub exam_areas: &'a BTreeSet<String>,
    /// Qualification name -> level, from the plan.
    pub qualifications: &'a HashMap<String, Level>,
}

/// Checks the rows of a fee file (each with its line) against each other, against the
/// session's scope, and against the rows already stored that the file does not replace.
pub fn check(rows: &[(usize, FeeRule)], kept: &[FeeRule], scope: &Scope<'_>) -> Vec<RowProblem> {
    let mut out = Vec::new();
    for (i, (_, r)) in rows.iter().enumerate() {
        if r.amount.0 <= 0 {
            out.push(RowProblem::new(
                i,
                "amount",
                format!("expected a positive amount, found {}", r.amount),
            ));
        }
        if let Some(to) = r.effective_to
            && to < r.effective_from
        {
            out.push(RowProblem::new(
                i,
                "effective_to",
                format!(
                    "the fee ends on {to}, before it takes effect on {}",
                    r.effective_from
                ),
            ));
        }
        if r.region != scope.province && !scope.exam_areas.contains(&r.region) {
            let areas: Vec<&str> = scope.exam_areas.iter().map(String::as_str).collect();
            out.push(RowProblem::new(
                i,
                "region",
                if areas.is_empty() {
                    format!(
                        "{} is neither the province ({}) nor {WHOLE_PROVINCE}, and the session has no exam areas (考区) yet: import sites first",
                        r.region, scope.province
                    )
                } else {
                    format!(
                        "{} is neither the province ({}), {WHOLE_PROVINCE}, nor an exam area (考区) of the session: {}",
                        r.region,
                        scope.province,
                        areas.join(", ")
                    )
                },
            ));
        }
        if let Some(q) = &r.qualification {
            match scope.qualifications.get(q) {
                None if scope.qualifications.is_empty() => out.push(RowProblem::new(
                    i,
                    "qualification",
                    format!(
                        "{q} is not in the session's plan, which is empty: import the plan first"
                    ),
                )),
                None => out.push(RowProblem::new(
                    i,
                    "qualification",
                    format!("{q} is not in the session's plan"),
                )),
                Some(&l) if l != r.level => out.push(RowProblem::new(
                    i,
                    "level",
                    format!("{q} is a {l} qualification in the plan, not {}", r.level),
                )),
                Some(_) => {}
            }
        }
    }
    // The same natural key twice, or overlapping periods of one scope. A row is reported
    // once, against the first row it clashes with: a file of 16,384 copies of one row made
    // 134 million messages (gigabytes) when every pair was reported.
    for (i, (_, a)) in rows.iter().enumerate() {
        for (line_b, b) in &rows[..i] {
            if a.scope() != b.scope() {
                continue;
            }
            if a.effective_from == b.effective_from {
                out.push(RowProblem::new(
                    i,
                    "effective_from",
                    format!(
                        "the same fee ({}, {}) is already in row {line_b}",
                        a.describe(),
                        a.effective_from
                    ),
                ));
            } else if a.overlaps(b) {
                out.push(RowProblem::new(
                    i,
                    "effective_from",
                    format!(
                        "{} {} overlaps row {line_b} ({}); periods of one fee must not overlap",
                        a.describe(),
                        a.period(),
                        b.period()
                    ),
                ));
            } else {
                continue;
            }
            break;
        }
        for k in kept {
            if a.scope() == k.scope() && a.overlaps(k) {
                out.push(RowProblem::new(
                    i,
                    "effective_from",
                    format!(
                        "{} {} overlaps the stored fee {} (imported from {}); end that one first with 失效日期",
                        a.describe(),
                        a.period(),
                        k.period(),
                        k.source
                    ),
                ));
                break;
            }
        }
    }
    out.sort_by_key(|p| p.row);
    out
}

/// The fee row that applies to `subject` of `qualification` (of `level`) in `area` on `on`:
/// the most specific of the rows in force, by region first, then qualification, then subject.
pub fn resolve<'a>(
    rules: &'a [FeeRule],
    province: &str,
    area: &str,
    level: Level,
    qualification: &str,
    subject: &str,
    on: NaiveDate,
) -> Option<&'a FeeRule> {
    rules
        .iter()
        .filter(|r| {
            (r.region == area || r.region == province)
                && r.level == level
                && r.qualification
                    .as_deref()
                    .is_none_or(|q| q == qualification)
                && r.subject.is_none_or(|s| s == subject)
                && r.applies_on(on)
        })
        .max_by_key(|r| {
            (
                r.region == area && area != province,
                r.qualification.is_some(),
                r.subject.is_some(),
            )
        })
}

/// A subject of an application and the fee row that prices it.
pub type SubjectFee<'a> = (String, &'a FeeRule);

/// The fee due for an application: each of its `subjects` (as stored, comma-separated) with
/// the row that prices it, and the total. `Err` names the first subject no row prices.
pub fn due<'a>(
    rules: &'a [FeeRule],
    province: &str,
    area: &str,
    level: Level,
    qualification: &str,
    subjects: &str,
    on: NaiveDate,
) -> Result<(Fen, Vec<SubjectFee<'a>>), String> {
    let mut total = Fen(0);
    let mut lines = Vec::new();
    for subject in subjects
        .split([',', '，', '、'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let rule =
            resolve(rules, province, area, level, qualification, subject, on).ok_or_else(|| {
                format!(
                    "no fee row prices {subject} of {qualification} ({level}) in {area} on {on}"
                )
            })?;
        total = Fen(total.0 + rule.amount.0);
        lines.push((subject.to_string(), rule));
    }
    if lines.is_empty() {
        return Err("the application names no subject".into());
    }
    Ok((total, lines))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    fn rule(
        region: &str,
        level: Level,
        q: Option<&str>,
        s: Option<&'static str>,
        fen: i64,
    ) -> FeeRule {
        FeeRule {
            region: region.into(),
            level,
            qualification: q.map(Into::into),
            subject: s,
            amount: Fen(fen),
            effective_from: d(1, 1),
            effective_to: None,
            source: "test".into(),
        }
    }

    #[test]
    fn city_suffixes_match_exam_areas() {
        let areas: BTreeSet<String> = ["丽江".to_string()].into();
        assert_eq!(match_area("丽江市", &areas), "丽江");
        assert_eq!(match_area("丽江", &areas), "丽江");
        assert_eq!(match_area("大理市", &areas), "大理市");
    }

    #[test]
    fn region_names_fold_to_the_province() {
        assert_eq!(normalize_region("全省", "云南"), "云南");
        assert_eq!(normalize_region("云南省", "云南"), "云南");
        assert_eq!(normalize_region("丽江", "云南"), "丽江");
    }

    #[test]
    fn fee_due_sums_the_subjects_each_from_its_row() {
        use Level::*;
        let rules = vec![
            rule("云南", Senior, None, None, 6000),
            rule("云南", Senior, None, Some("论文"), 7000),
        ];
        let (total, lines) = due(
            &rules,
            "云南",
            "丽江",
            Senior,
            "系统架构设计师",
            "综合知识,案例分析,论文",
            d(11, 1),
        )
        .unwrap();
        assert_eq!(total, Fen(19000));
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[2].1.subject, Some("论文"));
        let err = due(
            &rules,
            "云南",
            "丽江",
            Junior,
            "程序员",
            "基础知识",
            d(11, 1),
        )
        .unwrap_err();
        assert!(err.contains("基础知识"), "{err}");
    }

    #[test]
    fn more_specific_rows_win() {
        use Level::*;
        let rules = vec![
            rule("云南", Intermediate, None, None, 5000),
            rule("昆明", Intermediate, None, None, 5750),
            rule("云南", Senior, None, None, 6000),
            rule("云南", Senior, None, Some("论文"), 7000),
            rule("云南", Intermediate, Some("网络工程师"), None, 5500),
        ];
        let r = |area, level, q, s| {
            resolve(&rules, "云南", area, level, q, s, d(11, 1)).map(|r| r.amount.0)
        };
        assert_eq!(
            r("丽江", Intermediate, "电子商务设计师", "基础知识"),
            Some(5000)
        );
        assert_eq!(
            r("昆明", Intermediate, "电子商务设计师", "基础知识"),
            Some(5750)
        );
        assert_eq!(
            r("丽江", Intermediate, "网络工程师", "应用技术"),
            Some(5500)
        );
        // The exam area's own list decides over a province-wide qualification row.
        assert_eq!(
            r("昆明", Intermediate, "网络工程师", "应用技术"),
            Some(5750)
        );
        assert_eq!(r("大理", Senior, "系统架构设计师", "论文"), Some(7000));
        assert_eq!(r("大理", Senior, "系统架构设计师", "综合知识"), Some(6000));
        assert_eq!(r("大理", Junior, "程序员", "基础知识"), None);
    }

    #[test]
    fn effective_dates_are_inclusive() {
        let mut old = rule("云南", Level::Junior, None, None, 4000);
        old.effective_to = Some(d(6, 30));
        let mut new = rule("云南", Level::Junior, None, None, 4500);
        new.effective_from = d(7, 1);
        let rules = vec![old, new];
        let r = |on| {
            resolve(
                &rules,
                "云南",
                "丽江",
                Level::Junior,
                "程序员",
                "基础知识",
                on,
            )
            .map(|r| r.amount.0)
        };
        assert_eq!(r(d(6, 30)), Some(4000));
        assert_eq!(r(d(7, 1)), Some(4500));
        assert_eq!(r(NaiveDate::from_ymd_opt(2025, 12, 31).unwrap()), None);
    }

    #[test]
    fn overlapping_periods_are_refused() {
        let areas: BTreeSet<String> = ["丽江".to_string()].into();
        let quals = HashMap::new();
        let scope = Scope {
            province: "云南",
            exam_areas: &areas,
            qualifications: &quals,
        };
        let a = rule("云南", Level::Junior, None, None, 4500);
        let mut b = a.clone();
        b.effective_from = d(6, 1);
        let p = check(&[(2, a.clone()), (3, b)], &[], &scope);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].message.contains("overlaps row 2"));
        // Against a stored row that the file does not replace.
        let mut stored = a.clone();
        stored.effective_from = d(3, 1);
        stored.source = "fees.xlsx[收费标准]!4".into();
        let p = check(&[(2, a)], &[stored], &scope);
        assert!(p[0].message.contains("fees.xlsx[收费标准]!4"), "{p:?}");
    }

    #[test]
    fn rows_must_fit_the_session() {
        let areas: BTreeSet<String> = ["丽江".to_string()].into();
        let quals: HashMap<String, Level> = [("程序员".to_string(), Level::Junior)].into();
        let scope = Scope {
            province: "云南",
            exam_areas: &areas,
            qualifications: &quals,
        };
        let mut r = rule("北京", Level::Intermediate, Some("程序员"), None, 0);
        r.effective_to = Some(NaiveDate::from_ymd_opt(2025, 1, 1).unwrap());
        let p = check(&[(2, r)], &[], &scope);
        let cols: Vec<&str> = p.iter().map(|p| p.column).collect();
        assert_eq!(cols, ["amount", "effective_to", "region", "level"], "{p:?}");
    }
}
