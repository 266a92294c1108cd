//! Dates and times as they appear in office files: `2026-10-24`, `2026/10/24`,
//! `2026年10月24日`, `2026.10.24`, `20261024`, with or without a time; times as `9:00`,
//! `09:00:00`, `9时30分`.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use super::text::fold_ascii;

/// Parses a date written in any of the forms offices use. A trailing time (`2026-10-24
/// 00:00:00`, as Excel exports dates to CSV) is accepted when it is midnight.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    if let Some(d) = iso_date(text.trim().as_bytes()) {
        return Some(d);
    }
    let s = fold_ascii(text);
    if s.contains([':', '时'])
        && let Some(dt) = parse_datetime(&s)
    {
        return (dt.time() == NaiveTime::MIN).then_some(dt.date());
    }
    parse_date_only(&s)
}

/// `2026-10-24` read straight from its bytes: the form nearly every cell has, which the
/// general parser would copy four times.
fn iso_date(b: &[u8]) -> Option<NaiveDate> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    NaiveDate::from_ymd_opt(digits(&b[..4])? as i32, digits(&b[5..7])?, digits(&b[8..])?)
}

/// `2026-08-20 09:00:00`, likewise.
fn iso_datetime(b: &[u8]) -> Option<NaiveDateTime> {
    if b.len() != 19 || b[10] != b' ' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    iso_date(&b[..10])?.and_hms_opt(digits(&b[11..13])?, digits(&b[14..16])?, digits(&b[17..])?)
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |n, &c| {
        c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
    })
}

fn parse_date_only(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::parse_from_str(s, "%Y%m%d").ok();
    }
    let unified: String = s
        .trim_end_matches('日')
        .trim_end_matches('号')
        .chars()
        .map(|c| match c {
            '/' | '.' | '年' | '月' => '-',
            c => c,
        })
        .collect();
    let mut parts = unified.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 {
        return None;
    }
    NaiveDate::from_ymd_opt(
        y.trim().parse().ok()?,
        m.trim().parse().ok()?,
        d.trim().parse().ok()?,
    )
}

/// Parses a time of day: `9:00`, `09:00`, `09:00:00`, `9时30分`, `9点`.
pub fn parse_time(text: &str) -> Option<NaiveTime> {
    let s = fold_ascii(text);
    let s: String = s
        .trim_end_matches('秒')
        .trim_end_matches('分')
        .chars()
        .map(|c| match c {
            '时' | '点' | '分' => ':',
            c => c,
        })
        .collect();
    let s = s.trim_end_matches(':');
    let mut parts = s.split(':');
    let h: u32 = parts.next()?.trim().parse().ok()?;
    let m: u32 = match parts.next() {
        Some(p) => p.trim().parse().ok()?,
        None => 0,
    };
    let sec: u32 = match parts.next() {
        Some(p) => p.trim().parse().ok()?,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    NaiveTime::from_hms_opt(h, m, sec)
}

/// Parses a date with an optional time (`2026-08-20 09:00`, `2026年8月20日 9:00`). A date
/// alone means the start of that day.
pub fn parse_datetime(text: &str) -> Option<NaiveDateTime> {
    let b = text.trim().as_bytes();
    if let Some(dt) = iso_datetime(b).or_else(|| Some(iso_date(b)?.and_time(NaiveTime::MIN))) {
        return Some(dt);
    }
    let s = fold_ascii(text);
    let s = s.replace('T', " ");
    // The date and the time are separated by white space, or directly by 日.
    let (date, time) = match s.split_once(char::is_whitespace) {
        Some((d, t)) => (d.to_string(), Some(t.trim().to_string())),
        None => match s.split_once('日') {
            Some((d, t)) if !t.is_empty() => (format!("{d}日"), Some(t.to_string())),
            _ => (s.clone(), None),
        },
    };
    let date = parse_date_only(&date)?;
    let time = match time {
        Some(t) => parse_time(&t)?,
        None => NaiveTime::MIN,
    };
    Some(date.and_time(time))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn accepts_every_office_date_form() {
        for s in [
            "2026-10-24",
            "2026/10/24",
            "2026年10月24日",
            "2026.10.24",
            "20261024",
            "２０２６－１０－２４",
            "2026-10-24 00:00:00",
            "2026年10月24号",
        ] {
            assert_eq!(parse_date(s), Some(d(2026, 10, 24)), "{s}");
        }
        assert_eq!(parse_date("2026/1/5"), Some(d(2026, 1, 5)));
    }

    #[test]
    fn refuses_non_dates() {
        for s in [
            "2026-02-30",
            "明天",
            "26-10-24",
            "2026-10",
            "2026-10-24 09:00",
        ] {
            assert_eq!(parse_date(s), None, "{s}");
        }
    }

    #[test]
    fn parses_times() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        assert_eq!(parse_time("8:30"), Some(t(8, 30)));
        assert_eq!(parse_time("08:30:00"), Some(t(8, 30)));
        assert_eq!(parse_time("14时30分"), Some(t(14, 30)));
        assert_eq!(parse_time("９点"), Some(t(9, 0)));
        assert_eq!(parse_time("25:00"), None);
        assert_eq!(parse_time("noon"), None);
    }

    #[test]
    fn parses_date_times() {
        let dt = parse_datetime("2026年8月20日 9:00").unwrap();
        assert_eq!(dt, d(2026, 8, 20).and_hms_opt(9, 0, 0).unwrap());
        let dt = parse_datetime("2026-08-30T23:59").unwrap();
        assert_eq!(dt, d(2026, 8, 30).and_hms_opt(23, 59, 0).unwrap());
        assert_eq!(
            parse_datetime("2026-08-20").unwrap(),
            d(2026, 8, 20).and_hms_opt(0, 0, 0).unwrap()
        );
    }

    #[test]
    fn iso_forms_read_from_bytes_agree_with_the_general_parser() {
        assert_eq!(parse_date(" 2026-10-24 "), Some(d(2026, 10, 24)));
        assert_eq!(parse_date("2026-1-05"), Some(d(2026, 1, 5)));
        for s in ["2026-02-30", "2026-13-01", "2026-1a-01"] {
            assert_eq!(parse_date(s), None, "{s}");
        }
        assert_eq!(
            parse_datetime("2026-08-28 17:40:24"),
            d(2026, 8, 28).and_hms_opt(17, 40, 24)
        );
        assert_eq!(parse_datetime("2026-08-28 24:00:00"), None);
        assert_eq!(parse_date("2026-08-28 00:00:00"), Some(d(2026, 8, 28)));
        assert_eq!(parse_date("2026-08-28 17:40:24"), None);
    }
}
