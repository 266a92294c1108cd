//! Text normalisation shared by every import: trimming, folding full-width characters to
//! ASCII (as Chinese input methods produce them), and normalising header names; masking
//! phone numbers for posted lists, and the width of text in spreadsheet columns.

/// Folds full-width ASCII variants (U+FF01..U+FF5E) and the ideographic space (U+3000) to
/// their ASCII forms, and trims. Used for codes, numbers, dates and amounts, where `２０２６`
/// and `2026` must mean the same thing. Names and addresses are only trimmed.
pub fn fold_ascii(s: &str) -> String {
    // Most cells are ASCII already: nothing to fold, one copy (this runs for millions of cells).
    if s.is_ascii() {
        return s.trim().to_string();
    }
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            // Chinese punctuation that offices type in numbers and lists.
            '。' => '.',
            '、' => ',',
            '—' | '–' => '-',
            _ => c,
        })
        .collect::<String>()
        .trim()
        .to_string()
}

/// Trims ASCII and ideographic white space (`str::trim` already covers U+3000) and
/// zero-width characters that spreadsheets carry over from web pages.
pub fn clean(s: &str) -> String {
    clean_str(s).to_string()
}

/// [`clean`] without the copy.
pub fn clean_str(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || c == '\u{200B}' || c == '\u{FEFF}')
}

/// The form in which header cells are compared: full-width folded, white space removed,
/// a required-field marker `*` dropped, a unit in brackets dropped (`金额（元）` -> `金额`),
/// and ASCII lowercased (`Amount` -> `amount`).
pub fn header_key(s: &str) -> String {
    let folded = fold_ascii(s);
    let mut out = String::with_capacity(folded.len());
    let mut depth = 0u32;
    for c in folded.chars() {
        match c {
            '(' | '[' | '【' => depth += 1,
            ')' | ']' | '】' => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            '*' | '_' | '-' => {}
            c if c.is_whitespace() => {}
            c => out.push(c.to_ascii_lowercase()),
        }
    }
    out
}

/// Whether `value` matches what a user typed to find it: part of it, or a pattern where `*`
/// stands for any characters (`5301*`, `*1234`, `张*`). Full-width characters are folded and
/// ASCII letters compared without case, so `x` finds an ID number's `X`.
pub fn matches_pattern(value: &str, pattern: &str) -> bool {
    let v = fold_ascii(value).to_ascii_uppercase();
    let p = fold_ascii(pattern.trim()).to_ascii_uppercase();
    if !p.contains('*') {
        return v.contains(&p);
    }
    let parts: Vec<&str> = p.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !v.starts_with(first) || v.len() < first.len() + last.len() || !v.ends_with(last) {
        return false;
    }
    let mut rest = &v[first.len()..v.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

/// A phone number as a posted list shows it: `138****5678` (the first 3 and last 4 of a
/// mobile number kept); other lengths keep a quarter at each end. (ID numbers:
/// [`super::id_number::mask`].)
pub fn mask_phone(phone: &str) -> String {
    let n = clean_str(phone).chars().count();
    let (head, tail) = if n >= 11 { (3, 4) } else { (n / 4, n / 4) };
    mask_middle(clean_str(phone), head, tail)
}

/// `s` with every character but the first `head` and the last `tail` replaced by `*`.
fn mask_middle(s: &str, head: usize, tail: usize) -> String {
    let n = s.chars().count();
    s.chars()
        .enumerate()
        .map(|(i, c)| if i < head || i + tail >= n { c } else { '*' })
        .collect()
}

/// How many columns `s` takes in a spreadsheet or a terminal: East Asian wide and
/// full-width characters (汉字, full-width forms, Hangul) count 2, the rest 1.
pub fn display_width(s: &str) -> usize {
    s.chars().map(|c| if is_wide(c) { 2 } else { 1 }).sum()
}

fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD)
}

/// People's names as lists write them (two invigilators, two witnesses): separated by 、，
/// , ; ； or spaces, each trimmed.
pub fn names(text: &str) -> Vec<String> {
    text.split(['、', '，', ',', ';', '；', ' ', '　'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_full_width_digits_and_letters() {
        assert_eq!(fold_ascii("　２０２６－１０－２４ "), "2026-10-24");
        assert_eq!(fold_ascii("５３０１０２ＡＢ"), "530102AB");
        assert_eq!(fold_ascii("5、17"), "5,17");
    }

    #[test]
    fn header_keys_ignore_units_markers_and_case() {
        assert_eq!(header_key("金额（元）"), "金额");
        assert_eq!(header_key("*姓名"), "姓名");
        assert_eq!(header_key(" Effective_From "), "effectivefrom");
        assert_eq!(header_key("site_code"), header_key("Site Code"));
    }

    #[test]
    fn clean_strips_zero_width_and_ideographic_space() {
        assert_eq!(clean("\u{FEFF} 丽江\u{3000}"), "丽江");
    }

    #[test]
    fn patterns_find_part_of_a_value() {
        assert!(matches_pattern("530102199001011234", "5301*"));
        assert!(!matches_pattern("440102199001011234", "5301*"));
        assert!(matches_pattern("53010219900101123X", "*123x"));
        assert!(matches_pattern("53010219900101123X", "１９９０"));
        assert!(matches_pattern("张三丰", "张*丰"));
        assert!(!matches_pattern("张三", "张*丰"));
        assert!(matches_pattern("张三", "三"));
        assert!(!matches_pattern("53", "53*53"));
    }

    #[test]
    fn phones_are_masked_in_the_middle() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("0888-5123456"), "088*****3456");
        assert_eq!(mask_phone("5123456"), "5*****6");
        assert_eq!(mask_phone(""), "");
    }

    #[test]
    fn wide_characters_count_two_columns() {
        assert_eq!(display_width("2026-11-07"), 10);
        assert_eq!(display_width("丽江"), 4);
        assert_eq!(display_width("第１考场 A"), 10);
        assert_eq!(display_width("㛃"), 2);
    }
}
