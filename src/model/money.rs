//! Money as integer fen (分). Amounts are parsed from yuan text or spreadsheet numbers
//! and never pass through a float on the way to storage.

use std::fmt;

use serde::{Serialize, Serializer};

use super::text::fold_ascii;

/// An amount in fen (1 yuan = 100 fen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Fen(pub i64);

impl Fen {
    /// Parses yuan as offices write it: `57.50`, `57.5`, `57`, `¥57.50`, `57.50元`, `1,057.00`,
    /// with full-width digits folded. At most two decimals; anything else is `None`.
    pub fn parse_yuan(text: &str) -> Option<Fen> {
        let s = fold_ascii(text);
        let s = s
            .trim_start_matches(['¥', '￥'])
            .trim_end_matches('元')
            .trim();
        let s = s.replace(',', "");
        let (neg, s) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.as_str()),
        };
        let (int, frac) = match s.split_once('.') {
            Some((i, f)) => (i, f),
            None => (s, ""),
        };
        if int.is_empty() && frac.is_empty()
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > 2
            || int.len() > 12
        {
            return None;
        }
        let yuan: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
        let fen: i64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<i64>().ok()? * 10,
            _ => frac.parse().ok()?,
        };
        let v = yuan * 100 + fen;
        Some(Fen(if neg { -v } else { v }))
    }

    /// Converts a spreadsheet number (a float) to fen, refusing values with more than two
    /// decimals. Spreadsheet floats are binary, so `57.5` arrives as 57.499999...: the
    /// value is rounded to fen and accepted only when it lies within a millionth of it.
    pub fn from_yuan_f64(v: f64) -> Option<Fen> {
        if !v.is_finite() || v.abs() > 1e12 {
            return None;
        }
        let fen = (v * 100.0).round();
        if ((v * 100.0) - fen).abs() > 1e-6 {
            return None;
        }
        Some(Fen(fen as i64))
    }

    /// `57.50` (no unit), as printed in tables and sheets.
    pub fn yuan(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        format!("{sign}{}.{:02}", self.0.abs() / 100, self.0.abs() % 100)
    }
}

impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.yuan())
    }
}

impl std::ops::Add for Fen {
    type Output = Fen;
    fn add(self, o: Fen) -> Fen {
        Fen(self.0 + o.0)
    }
}

impl std::iter::Sum for Fen {
    fn sum<I: Iterator<Item = Fen>>(iter: I) -> Fen {
        Fen(iter.map(|f| f.0).sum())
    }
}

/// In JSON an amount is the yuan string (`"57.50"`); the `_fen` fields carry the integer.
impl Serialize for Fen {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.yuan())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_yuan_text() {
        assert_eq!(Fen::parse_yuan("57.50"), Some(Fen(5750)));
        assert_eq!(Fen::parse_yuan("57.5"), Some(Fen(5750)));
        assert_eq!(Fen::parse_yuan("57"), Some(Fen(5700)));
        assert_eq!(Fen::parse_yuan("￥１,057.00元"), Some(Fen(105700)));
        assert_eq!(Fen::parse_yuan("0.05"), Some(Fen(5)));
        assert_eq!(Fen::parse_yuan("-3"), Some(Fen(-300)));
    }

    #[test]
    fn refuses_what_is_not_an_amount() {
        for bad in ["五十", "57.505", "", ".", "1e3", "57.5.0", "abc"] {
            assert_eq!(Fen::parse_yuan(bad), None, "{bad}");
        }
    }

    #[test]
    fn spreadsheet_floats_round_to_fen() {
        assert_eq!(Fen::from_yuan_f64(57.5), Some(Fen(5750)));
        assert_eq!(Fen::from_yuan_f64(0.1 + 0.2), Some(Fen(30)));
        assert_eq!(Fen::from_yuan_f64(57.505), None);
        assert_eq!(Fen::from_yuan_f64(f64::NAN), None);
    }

    #[test]
    fn prints_two_decimals() {
        assert_eq!(Fen(10000).to_string(), "100.00");
        assert_eq!(Fen(5).to_string(), "0.05");
        assert_eq!(Fen(-250).to_string(), "-2.50");
    }
}
