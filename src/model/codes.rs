//! Codes that differ only by leading zeros (`001` and `1`): what a spreadsheet program makes
//! of a code it took for a number. A file's code that matches a known one only up to its
//! leading zeros is refused with both named, rather than taken for a new code (a site
//! imported twice, every room twice) or for an unknown one.

use std::collections::{HashMap, HashSet};

/// `code` without its leading zeros; a code of zeros only keeps one (`000` -> `0`).
pub fn without_leading_zeros(code: &str) -> &str {
    let t = code.trim_start_matches('0');
    if t.is_empty() && !code.is_empty() {
        "0"
    } else {
        t
    }
}

/// The known codes that begin with a zero, by their form without zeros. Most sets of codes
/// have none, so this stays small beside the 200,000 registration numbers of a session.
#[derive(Debug, Default, Clone)]
pub struct ZeroPadded(HashMap<String, String>);

impl ZeroPadded {
    pub fn of<'a>(known: impl IntoIterator<Item = &'a str>) -> ZeroPadded {
        let mut z = ZeroPadded::default();
        for code in known {
            z.add(code);
        }
        z
    }

    pub fn add(&mut self, code: &str) {
        if code.starts_with('0') {
            self.0
                .entry(without_leading_zeros(code).to_string())
                .or_insert_with(|| code.to_string());
        }
    }

    /// The known code that `code` equals only up to leading zeros: `None` when `code` is
    /// known as written, or matches none. `is_known` says whether a code is known as written.
    pub fn twin(&self, code: &str, is_known: impl Fn(&str) -> bool) -> Option<String> {
        if code.is_empty() || is_known(code) {
            return None;
        }
        let bare = without_leading_zeros(code);
        if let Some(padded) = self.0.get(bare) {
            return Some(padded.clone());
        }
        (bare != code && is_known(bare)).then(|| bare.to_string())
    }
}

/// Why a file's `found` is refused when `known` is what is stored: `where_known` says where
/// it is (`stored`, `in row 5`).
pub fn twin_message(found: &str, known: &str, where_known: &str) -> String {
    format!(
        "{found} differs from {known} ({where_known}) only by leading zeros, which a \
         spreadsheet program drops from a code it reads as a number: format the column as \
         text and export again, or write the code as {known}"
    )
}

/// Each code of a file (with its row) that differs only by leading zeros from a stored code
/// or from the code of an earlier row: its index among `file`, and why it is refused.
pub fn leading_zero_twins<'a>(
    file: impl IntoIterator<Item = (usize, &'a str)>,
    stored: impl IntoIterator<Item = &'a str>,
) -> Vec<(usize, String)> {
    let stored: HashSet<&str> = stored.into_iter().collect();
    let stored_padded = ZeroPadded::of(stored.iter().copied());
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut seen_padded = ZeroPadded::default();
    let mut out = Vec::new();
    for (i, (row, code)) in file.into_iter().enumerate() {
        if let Some(t) = stored_padded.twin(code, |c| stored.contains(c)) {
            out.push((i, twin_message(code, &t, "stored")));
        } else if !stored.contains(code)
            && let Some(t) = seen_padded.twin(code, |c| seen.contains_key(c))
        {
            let at = format!("row {}", seen[t.as_str()]);
            out.push((i, twin_message(code, &t, &at)));
        }
        if !seen.contains_key(code) {
            seen.insert(code, row);
            seen_padded.add(code);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeros_are_dropped_but_one() {
        assert_eq!(without_leading_zeros("001"), "1");
        assert_eq!(without_leading_zeros("LJ01"), "LJ01");
        assert_eq!(without_leading_zeros("000"), "0");
        assert_eq!(without_leading_zeros(""), "");
    }

    #[test]
    fn twins_either_way() {
        let known: HashSet<&str> = ["001", "LJ01", "20", "530102001"].into_iter().collect();
        let z = ZeroPadded::of(known.iter().copied());
        let twin = |c: &str| z.twin(c, |k| known.contains(k));
        // Stored with zeros, the file without, or with another number of them.
        assert_eq!(twin("1").as_deref(), Some("001"));
        assert_eq!(twin("01").as_deref(), Some("001"));
        // Stored without, the file with.
        assert_eq!(twin("020").as_deref(), Some("20"));
        // Known as written, or new: no twin.
        assert_eq!(twin("001"), None);
        assert_eq!(twin("2"), None);
        assert_eq!(twin("LJ1"), None);
        assert_eq!(twin(""), None);
    }

    #[test]
    fn a_file_against_the_store_and_itself() {
        let file = [
            (2, "1"),
            (3, "1"),
            (4, "LJ01"),
            (5, "7"),
            (6, "007"),
            (7, "001"),
        ];
        let found = leading_zero_twins(file, ["001", "LJ01"]);
        let rows: Vec<usize> = found.iter().map(|(i, _)| file[*i].0).collect();
        assert_eq!(rows, [2, 3, 6], "{found:?}");
        assert!(
            found[0].1.starts_with("1 differs from 001 (stored)"),
            "{found:?}"
        );
        assert!(
            found[2].1.starts_with("007 differs from 7 (row 5)"),
            "{found:?}"
        );
    }

    #[test]
    fn the_message_names_both() {
        let m = twin_message("1", "001", "stored");
        assert!(
            m.starts_with("1 differs from 001 (stored) only by leading zeros"),
            "{m}"
        );
        assert!(m.ends_with("or write the code as 001"), "{m}");
    }
}
