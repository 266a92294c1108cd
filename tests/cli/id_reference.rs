//! The ID number checks against two independent implementations: python-stdnum's
//! `stdnum.cn.ric` and id-validator, run by tests/reference/cn_ric.py on about 24,000
//! numbers made here (valid ones, mutated ones, odd dates and regions, lowercase x,
//! full-width digits). The rule: kaowu never rejects a number that every reference accepts,
//! but for one deliberate difference, a birth date before 1900 or after today (no candidate
//! can have one; stdnum takes any calendar date, id-validator any year from 1800 to this
//! one). The figures are printed (`cargo test id_reference -- --nocapture`).
//!
//! The references are Python packages: without python3 and python-stdnum the test says so
//! and passes, unless KAOWU_TEST_REFERENCE=1 (as .ci/run sets it, after installing them),
//! where a missing reference fails it.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use chrono::{Duration, NaiveDate};
use kaowu::model::id_number::{self, check_char};
use kaowu::model::regions;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reference/cn_ric.py");
const CODES: &str = include_str!("../../src/model/regions/codes.txt");

fn with_check(first17: &str) -> String {
    format!("{first17}{}", check_char(first17.as_bytes()))
}

fn date_in(rng: &mut fastrand::Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let days = (to - from).num_days();
    from + Duration::days(rng.i64(0..=days))
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Each number with the kind of case it is.
fn numbers(today: NaiveDate) -> Vec<(&'static str, String)> {
    let mut rng = fastrand::Rng::with_seed(20261107);
    let codes: Vec<&str> = CODES.lines().collect();
    let counties: Vec<&str> = codes
        .iter()
        .copied()
        .filter(|c| !c.ends_with("00"))
        .collect();
    let provinces: Vec<&str> = {
        let mut p: Vec<&str> = codes.iter().map(|c| &c[..2]).collect();
        p.dedup();
        p
    };
    let adult = |rng: &mut fastrand::Rng| date_in(rng, ymd(1930, 1, 1), ymd(2008, 12, 31));
    let body =
        |region: &str, d: NaiveDate, seq: u32| format!("{region}{}{seq:03}", d.format("%Y%m%d"));
    let mut out: Vec<(&'static str, String)> = Vec::new();
    let mut valid = Vec::new();
    for _ in 0..10_000 {
        let region = counties[rng.usize(..counties.len())];
        let d = adult(&mut rng);
        let n = with_check(&body(region, d, rng.u32(0..1000)));
        valid.push(n.clone());
        out.push(("valid, a county of the table", n));
    }
    for _ in 0..2000 {
        let region = format!(
            "{}{:04}",
            provinces[rng.usize(..provinces.len())],
            rng.u32(0..10000)
        );
        let d = adult(&mut rng);
        out.push((
            "valid, any county of a province",
            with_check(&body(&region, d, rng.u32(0..1000))),
        ));
    }
    for _ in 0..1000 {
        let region = format!("{:06}", rng.u32(0..1_000_000));
        let d = adult(&mut rng);
        out.push((
            "valid check digit, any region",
            with_check(&body(&region, d, rng.u32(0..1000))),
        ));
    }
    for _ in 0..2000 {
        let mut n: Vec<u8> = valid[rng.usize(..valid.len())].clone().into_bytes();
        let i = rng.usize(..17);
        let was = n[i];
        while n[i] == was {
            n[i] = b'0' + rng.u8(0..10);
        }
        out.push(("one digit changed", String::from_utf8(n).unwrap()));
    }
    for _ in 0..1500 {
        let mut n: Vec<u8> = valid[rng.usize(..valid.len())].clone().into_bytes();
        let i = rng.usize(..16);
        n.swap(i, i + 1);
        out.push(("two digits swapped", String::from_utf8(n).unwrap()));
    }
    for _ in 0..1500 {
        let mut n = valid[rng.usize(..valid.len())].clone();
        let right = n.pop().unwrap();
        let other = *['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'X']
            .iter()
            .filter(|c| **c != right)
            .nth(rng.usize(..10))
            .unwrap();
        n.push(other);
        out.push(("check character changed", n));
    }
    for _ in 0..500 {
        let n = &valid[rng.usize(..valid.len())];
        let cut = if rng.bool() {
            n[..17].to_string()
        } else {
            format!("{n}{}", rng.u8(0..10))
        };
        out.push(("17 or 19 characters", cut));
    }
    for _ in 0..500 {
        let mut n: Vec<u8> = valid[rng.usize(..valid.len())].clone().into_bytes();
        n[rng.usize(..17)] = b'A' + rng.u8(0..26);
        out.push(("a letter inside", String::from_utf8(n).unwrap()));
    }
    let ending_x: Vec<&String> = valid.iter().filter(|n| n.ends_with('X')).collect();
    for i in 0..1000 {
        out.push(("lowercase x", ending_x[i % ending_x.len()].to_lowercase()));
    }
    for _ in 0..1000 {
        let n = &valid[rng.usize(..valid.len())];
        let wide: String = n
            .chars()
            .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap())
            .collect();
        out.push(("full-width", wide));
    }
    // Dates: the ends of months in every kind of year, impossible months and days, the
    // future, and centuries no candidate is born in; each with a right check character.
    for _ in 0..3000 {
        let region = counties[rng.usize(..counties.len())];
        let seq = rng.u32(0..1000);
        let year = *[1899, 1900, 1901, 1904, 1996, 2000, 2004, 2023, 2024]
            .get(rng.usize(..9))
            .unwrap();
        let (kind, date) = match rng.u8(0..6) {
            0 => (
                "odd date: month end",
                format!("{year}{:02}{:02}", rng.u32(1..13), rng.u32(28..32)),
            ),
            1 => (
                "odd date: 00 or 13 month, 00 or 32 day",
                format!(
                    "{year}{:02}{:02}",
                    [0, 13, 1, 12][rng.usize(..4)],
                    [0, 32, 1, 15][rng.usize(..4)]
                ),
            ),
            2 => {
                let d = today + Duration::days(rng.i64(1..2000));
                ("odd date: in the future", d.format("%Y%m%d").to_string())
            }
            3 => {
                let d = today - Duration::days(rng.i64(0..40));
                ("odd date: the last weeks", d.format("%Y%m%d").to_string())
            }
            4 => {
                let d = date_in(&mut rng, ymd(1800, 1, 1), ymd(1899, 12, 31));
                ("odd date: before 1900", d.format("%Y%m%d").to_string())
            }
            _ => (
                "odd date: 29 February",
                format!("{}0229", 1896 + 4 * rng.i32(0..35) + rng.i32(0..4)),
            ),
        };
        out.push((kind, with_check(&format!("{region}{date}{seq:03}"))));
    }
    // Regions: a province's or a city's own code, the old codes of a city's districts,
    // the residence permits of Hong Kong, Macao and Taiwan residents, and no province.
    for _ in 0..1500 {
        let county = counties[rng.usize(..counties.len())];
        let (kind, region) = match rng.u8(0..5) {
            0 => ("odd region: a province", format!("{}0000", &county[..2])),
            1 => ("odd region: a city", format!("{}00", &county[..4])),
            2 => (
                "odd region: xxxx01/02/11/20",
                format!(
                    "{}{}",
                    &county[..4],
                    ["01", "02", "11", "20"][rng.usize(..4)]
                ),
            ),
            3 => (
                "odd region: 81/82/83 permits, 71",
                ["810000", "820000", "830000", "710000"][rng.usize(..4)].to_string(),
            ),
            _ => (
                "odd region: no province",
                format!(
                    "{}{:04}",
                    ["00", "09", "19", "39", "66", "90", "99"][rng.usize(..7)],
                    rng.u32(0..10000)
                ),
            ),
        };
        let d = adult(&mut rng);
        out.push((kind, with_check(&body(&region, d, rng.u32(0..1000)))));
    }
    out
}

/// Per number, python-stdnum's and id-validator's verdict; `None` where one is missing.
type Verdicts = Vec<[Option<bool>; 2]>;

/// The versions that answered, and the references' verdicts.
fn references(numbers: &[String]) -> Result<(String, Verdicts), String> {
    let mut child = Command::new("python3")
        .arg(SCRIPT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("python3 cannot be run: {e}"))?;
    let mut input = child.stdin.take().unwrap();
    let text = numbers.join("\n") + "\n";
    let writer = std::thread::spawn(move || input.write_all(text.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    if !out.status.success() {
        return Err(format!(
            "{SCRIPT} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    let versions = lines.next().unwrap_or_default().to_string();
    let verdict = |f: &str| match f {
        "1" => Some(true),
        "0" => Some(false),
        _ => None,
    };
    let verdicts: Verdicts = lines
        .map(|l| {
            let (a, b) = l.split_once(' ').unwrap();
            [verdict(a), verdict(b)]
        })
        .collect();
    assert_eq!(verdicts.len(), numbers.len(), "one verdict a number");
    Ok((versions, verdicts))
}

#[test]
fn kaowu_never_rejects_what_every_reference_accepts() {
    let required = std::env::var("KAOWU_TEST_REFERENCE").is_ok_and(|v| v == "1");
    let today = chrono::Local::now().date_naive();
    let cases = numbers(today);
    let numbers: Vec<String> = cases.iter().map(|(_, n)| n.clone()).collect();
    let (versions, verdicts) = match references(&numbers) {
        Ok(r) => r,
        Err(e) if required => panic!("KAOWU_TEST_REFERENCE=1 but {e}"),
        Err(e) => {
            eprintln!("id_reference: skipped: {e}");
            return;
        }
    };
    if verdicts.iter().all(|v| v[0].is_none()) {
        let why = format!("python-stdnum is not installed ({versions})");
        assert!(!required, "KAOWU_TEST_REFERENCE=1 but {why}");
        eprintln!("id_reference: skipped: {why}");
        return;
    }
    if required {
        assert!(
            verdicts.iter().all(|v| v[1].is_some()),
            "KAOWU_TEST_REFERENCE=1 but id-validator is not installed ({versions})"
        );
    }

    // Per kind of case: numbers; every reference accepts, every one rejects; kaowu accepts
    // (no error); of those every reference accepts, kaowu warns of the county; kaowu
    // accepts what every reference rejects, and warns of the county on; deliberate
    // differences.
    #[derive(Default)]
    struct Row {
        numbers: usize,
        all_accept: usize,
        all_reject: usize,
        kaowu_accepts: usize,
        county_warnings: usize,
        kaowu_lenient: usize,
        lenient_warned: usize,
        deliberate: usize,
    }
    let mut table: BTreeMap<&str, Row> = BTreeMap::new();
    let mut violations = Vec::new();
    let earliest = ymd(1900, 1, 1);
    for ((kind, n), refs) in cases.iter().zip(&verdicts) {
        let answered: Vec<bool> = refs.iter().flatten().copied().collect();
        let all_accept = answered.iter().all(|v| *v);
        let all_reject = answered.iter().all(|v| !*v);
        let kaowu = id_number::check(n, today);
        let r = table.entry(kind).or_default();
        r.numbers += 1;
        r.all_accept += usize::from(all_accept);
        r.all_reject += usize::from(all_reject);
        r.kaowu_accepts += usize::from(kaowu.is_ok());
        if let Ok(info) = &kaowu {
            r.county_warnings += usize::from(all_accept && !regions::known_county(&info.region));
            r.kaowu_lenient += usize::from(all_reject);
            r.lenient_warned += usize::from(all_reject && !regions::known_county(&info.region));
        }
        if all_accept && let Err(e) = &kaowu {
            let ascii = kaowu::model::text::fold_ascii(n).to_ascii_uppercase();
            let date = ascii
                .get(6..14)
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y%m%d").ok());
            if date.is_some_and(|d| d < earliest || d > today) {
                r.deliberate += 1;
            } else {
                violations.push(format!("{n} ({kind}): {} {e}", e.code()));
            }
        }
    }
    eprintln!(
        "id_reference: {} numbers; references: {versions}",
        numbers.len()
    );
    eprintln!(
        "{:<42} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7}",
        "kind",
        "numbers",
        "refs ok",
        "refs no",
        "kaowu ok",
        "county",
        "lenient",
        "warned",
        "deliber."
    );
    for (kind, r) in &table {
        eprintln!(
            "{kind:<42} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7}",
            r.numbers,
            r.all_accept,
            r.all_reject,
            r.kaowu_accepts,
            r.county_warnings,
            r.kaowu_lenient,
            r.lenient_warned,
            r.deliberate
        );
    }
    let total = |f: fn(&Row) -> usize| table.values().map(f).sum::<usize>();
    eprintln!(
        "every reference accepts {}, kaowu accepts {} of them and warns of the county on {}; deliberate differences {}; violations {}",
        total(|r| r.all_accept),
        total(|r| r.all_accept) - total(|r| r.deliberate) - violations.len(),
        total(|r| r.county_warnings),
        total(|r| r.deliberate),
        violations.len()
    );
    assert!(numbers.len() >= 20_000);
    // Not a vacuous comparison: plenty of both verdicts.
    assert!(total(|r| r.all_accept) > 4_000);
    assert!(total(|r| r.all_reject) > 5_000);
    assert!(
        violations.is_empty(),
        "kaowu rejects {} numbers every reference accepts, e.g.:\n{}",
        violations.len(),
        violations
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
