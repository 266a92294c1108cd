//! A session (考试批次) and its settings: photo rules, the admit-card number template, and
//! the registration and payment windows. Settings differ by year, so none is a constant.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;

use super::level::Level;
use super::score::Score;

use super::text::fold_ascii;

/// A session code such as `2026H2` (2026年下半年).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionCode {
    pub year: u16,
    pub half: u8,
}

impl SessionCode {
    pub fn parse(s: &str) -> Result<SessionCode, String> {
        let s = fold_ascii(s).to_ascii_uppercase();
        let bad =
            || format!("expected a session code like 2026H2 (year, then H1 or H2), found \"{s}\"");
        let (y, h) = s.split_once('H').ok_or_else(bad)?;
        let year: u16 = y.parse().map_err(|_| bad())?;
        let half: u8 = h.parse().map_err(|_| bad())?;
        if y.len() != 4 || !(2000..=2099).contains(&year) || !(1..=2).contains(&half) {
            return Err(bad());
        }
        Ok(SessionCode { year, half })
    }

    pub fn code(&self) -> String {
        format!("{}H{}", self.year, self.half)
    }

    /// `2026年下半年`, the default display name.
    pub fn default_name(&self) -> String {
        format!(
            "{}年{}半年",
            self.year,
            if self.half == 1 { "上" } else { "下" }
        )
    }
}

/// What the settings of a session hold. Every field has a default fit for 软考 as the
/// seeds describe it; `session set` changes any of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Settings {
    pub photo_min_width: u32,
    pub photo_min_height: u32,
    pub photo_min_bytes: u64,
    pub photo_max_bytes: u64,
    pub card_number_template: String,
    pub registration_opens: Option<NaiveDateTime>,
    pub registration_closes: Option<NaiveDateTime>,
    pub payment_opens: Option<NaiveDateTime>,
    pub payment_closes: Option<NaiveDateTime>,
    /// The score-recheck (复核) window: requests dated from the first day to the last.
    pub recheck_opens: Option<NaiveDate>,
    pub recheck_closes: Option<NaiveDate>,
    /// Pass marks that differ from 45 of 75, by subject.
    pub pass_marks: BTreeMap<String, Score>,
}

/// The default admit-card number: 14 digits. The site is its number within the exam area
/// (`{siteno3}`), not its code: offices' codes hold letters (`LJ01`) or run to nine digits
/// (`530102001`), and a number of digits only is what candidates type into score lookups
/// and scanners read. A template may still print the code itself with `{siteN}`.
pub const DEFAULT_CARD_TEMPLATE: &str = "{yy}{half}{area2}{sitting1}{siteno3}{room3}{seat2}";

impl Default for Settings {
    fn default() -> Self {
        Settings {
            photo_min_width: 295,
            photo_min_height: 413,
            photo_min_bytes: 14 * 1024,
            photo_max_bytes: 50 * 1024,
            card_number_template: DEFAULT_CARD_TEMPLATE.to_string(),
            registration_opens: None,
            registration_closes: None,
            payment_opens: None,
            payment_closes: None,
            recheck_opens: None,
            recheck_closes: None,
            pass_marks: BTreeMap::new(),
        }
    }
}

impl Settings {
    /// Checks the settings as a whole; each problem is one message.
    pub fn check(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.photo_min_width == 0 || self.photo_min_height == 0 {
            out.push("photo minimum width and height must be at least 1 px".to_string());
        }
        if self.photo_min_bytes > self.photo_max_bytes {
            out.push(format!(
                "photo minimum size {} is larger than the maximum {}",
                format_bytes(self.photo_min_bytes),
                format_bytes(self.photo_max_bytes)
            ));
        }
        if let Err(e) = CardTemplate::parse(&self.card_number_template) {
            out.push(e);
        }
        for (what, opens, closes) in [
            (
                "registration",
                self.registration_opens,
                self.registration_closes,
            ),
            ("payment", self.payment_opens, self.payment_closes),
        ] {
            if let (Some(o), Some(c)) = (opens, closes)
                && o >= c
            {
                out.push(format!(
                    "the {what} window closes ({c}) before it opens ({o})"
                ));
            }
        }
        if let (Some(o), Some(c)) = (self.recheck_opens, self.recheck_closes)
            && c < o
        {
            out.push(format!(
                "the recheck window closes ({c}) before it opens ({o})"
            ));
        }
        for subject in self.pass_marks.keys() {
            if !Level::ALL
                .iter()
                .any(|l| l.subjects().contains(&subject.as_str()))
            {
                out.push(format!(
                    "a pass mark for \"{subject}\", which is not a subject of 软考"
                ));
            }
        }
        if let (Some(r), Some(p)) = (self.registration_opens, self.payment_opens)
            && p < r
        {
            out.push(format!(
                "payment opens ({p}) before registration opens ({r})"
            ));
        }
        out
    }
}

/// Parses a size such as `30K`, `30KB`, `50 KiB`, `1M` or `20480`. K and KB mean 1024 bytes,
/// as the photo tools in the field count them.
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let t = fold_ascii(s).to_ascii_uppercase().replace(' ', "");
    let (num, mult) = if let Some(n) = t
        .strip_suffix("KIB")
        .or_else(|| t.strip_suffix("KB"))
        .or_else(|| t.strip_suffix('K'))
    {
        (n, 1024)
    } else if let Some(n) = t
        .strip_suffix("MIB")
        .or_else(|| t.strip_suffix("MB"))
        .or_else(|| t.strip_suffix('M'))
    {
        (n, 1024 * 1024)
    } else {
        (t.strip_suffix('B').unwrap_or(&t), 1)
    };
    num.parse::<u64>()
        .map(|n| n * mult)
        .map_err(|_| format!("expected a size like 30K, 50KB or 20480, found \"{s}\""))
}

pub fn format_bytes(n: u64) -> String {
    if n >= 1024 && n.is_multiple_of(1024) {
        format!("{}K", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

/// One part of an admit-card number template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplatePart {
    Literal(String),
    /// A field with its fixed width, such as `{site3}`.
    Field {
        name: &'static str,
        width: usize,
    },
}

/// The admit-card number (准考证号) template: fixed-width fields from session, exam area,
/// sitting, site, room and seat, e.g. `{yy}{half}{area2}{sitting1}{site3}{room3}{seat2}`. A seat
/// is used in every sitting, so a number made from the seat of a candidate's first sitting is
/// unique only with that sitting in it (or a {seq}).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardTemplate {
    pub parts: Vec<TemplatePart>,
}

/// The fields a template may use and their natural widths (`None`: a width must be given).
const TEMPLATE_FIELDS: &[(&str, Option<usize>, &str)] = &[
    ("yyyy", Some(4), "the year, 2026"),
    ("yy", Some(2), "the year's last two digits, 26"),
    ("half", Some(1), "1 or 2 for the half-year"),
    ("area", None, "the exam area's number"),
    ("site", None, "the site code"),
    (
        "siteno",
        None,
        "the site's number in its exam area (1-based, in site-code order)",
    ),
    ("room", None, "the room number"),
    ("seat", None, "the seat number"),
    ("sitting", None, "the sitting's number"),
    ("level", Some(1), "1 初级, 2 中级, 3 高级"),
    ("seq", None, "a running number within the session"),
];

impl CardTemplate {
    pub fn parse(s: &str) -> Result<CardTemplate, String> {
        let mut parts = Vec::new();
        let mut rest = s;
        let mut has_seat = false;
        let mut has_seq = false;
        while !rest.is_empty() {
            match rest.find('{') {
                Some(0) => {
                    let end = rest.find('}').ok_or_else(|| {
                        format!("card number template \"{s}\": a '{{' is not closed")
                    })?;
                    let field = &rest[1..end];
                    let split = field
                        .find(|c: char| c.is_ascii_digit())
                        .unwrap_or(field.len());
                    let (name, width) = field.split_at(split);
                    let known = TEMPLATE_FIELDS
                        .iter()
                        .find(|(n, _, _)| *n == name)
                        .ok_or_else(|| {
                            format!(
                                "card number template \"{s}\": unknown field {{{field}}}; known fields: {}",
                                TEMPLATE_FIELDS
                                    .iter()
                                    .map(|(n, _, what)| format!("{{{n}}} {what}"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        })?;
                    let width = match (width, known.1) {
                        ("", Some(w)) => w,
                        ("", None) => {
                            return Err(format!(
                                "card number template \"{s}\": {{{name}}} needs a width, e.g. {{{name}3}}"
                            ));
                        }
                        (w, _) => w
                            .parse::<usize>()
                            .ok()
                            .filter(|w| (1..=9).contains(w))
                            .ok_or_else(|| {
                                format!("card number template \"{s}\": bad width in {{{field}}}")
                            })?,
                    };
                    has_seat |= known.0 == "seat";
                    has_seq |= known.0 == "seq";
                    parts.push(TemplatePart::Field {
                        name: known.0,
                        width,
                    });
                    rest = &rest[end + 1..];
                }
                found => {
                    let end = found.unwrap_or(rest.len());
                    let lit = &rest[..end];
                    if !lit.chars().all(|c| c.is_ascii_alphanumeric()) {
                        return Err(format!(
                            "card number template \"{s}\": only letters and digits may stand outside fields, found \"{lit}\""
                        ));
                    }
                    parts.push(TemplatePart::Literal(lit.to_string()));
                    rest = &rest[end..];
                }
            }
        }
        if !has_seat && !has_seq {
            return Err(format!(
                "card number template \"{s}\": needs {{seatN}} or {{seqN}}, or numbers would repeat"
            ));
        }
        Ok(CardTemplate { parts })
    }

    /// The length of every number the template makes.
    pub fn width(&self) -> usize {
        self.parts
            .iter()
            .map(|p| match p {
                TemplatePart::Literal(l) => l.len(),
                TemplatePart::Field { width, .. } => *width,
            })
            .sum()
    }
}

/// The template as it is written, e.g. `{yy}{half}{area2}{siteno3}{room3}{seat2}`.
impl std::fmt::Display for CardTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for p in &self.parts {
            match p {
                TemplatePart::Literal(l) => f.write_str(l)?,
                TemplatePart::Field { name, width } => {
                    let natural = TEMPLATE_FIELDS
                        .iter()
                        .find(|(n, _, _)| n == name)
                        .and_then(|(_, w, _)| *w);
                    if natural == Some(*width) {
                        write!(f, "{{{name}}}")?;
                    } else {
                        write!(f, "{{{name}{width}}}")?;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_codes() {
        assert_eq!(SessionCode::parse("2026h2").unwrap().code(), "2026H2");
        assert_eq!(
            SessionCode::parse("2026H1").unwrap().default_name(),
            "2026年上半年"
        );
        for bad in ["2026H3", "26H2", "2026", "2026-2", "H2"] {
            assert!(SessionCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_bytes("30K"), Ok(30 * 1024));
        assert_eq!(parse_bytes("50 KB"), Ok(50 * 1024));
        assert_eq!(parse_bytes("20480"), Ok(20480));
        assert_eq!(parse_bytes("1M"), Ok(1024 * 1024));
        assert!(parse_bytes("big").is_err());
    }

    #[test]
    fn default_template_is_fixed_width() {
        let t = CardTemplate::parse(DEFAULT_CARD_TEMPLATE).unwrap();
        assert_eq!(t.width(), 2 + 1 + 2 + 1 + 3 + 3 + 2);
    }

    #[test]
    fn template_errors_name_the_problem() {
        assert!(
            CardTemplate::parse("{yy}{bogus2}{seat2}")
                .unwrap_err()
                .contains("unknown field {bogus2}")
        );
        assert!(
            CardTemplate::parse("{yy}{site}{seat2}")
                .unwrap_err()
                .contains("needs a width")
        );
        assert!(
            CardTemplate::parse("{yy}{site3}")
                .unwrap_err()
                .contains("{seatN}")
        );
        assert!(
            CardTemplate::parse("{yy}-{seat2}")
                .unwrap_err()
                .contains("letters and digits")
        );
        assert!(CardTemplate::parse("ZK{yyyy}{seq6}").is_ok());
        for t in [
            DEFAULT_CARD_TEMPLATE,
            "ZK{yyyy}{seq6}",
            "{yy}{half}{site4}{seat2}",
        ] {
            assert_eq!(CardTemplate::parse(t).unwrap().to_string(), t);
        }
    }

    #[test]
    fn settings_check_windows_and_sizes() {
        let mut s = Settings::default();
        assert!(s.check().is_empty());
        s.photo_min_bytes = 60 * 1024;
        let d = |day| {
            chrono::NaiveDate::from_ymd_opt(2026, 8, day)
                .unwrap()
                .and_hms_opt(9, 0, 0)
        };
        s.registration_opens = d(20);
        s.registration_closes = d(10);
        let problems = s.check();
        assert_eq!(problems.len(), 2, "{problems:?}");
    }
}
