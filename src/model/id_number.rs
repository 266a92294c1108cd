//! Resident ID numbers (居民身份证号码, GB 11643): 6-digit region code, birth date YYYYMMDD,
//! 3-digit sequence (odd: male), and a check character by ISO 7064 MOD 11-2. Real data
//! carries a lowercase x and full-width digits; both are folded before checking.

use chrono::NaiveDate;

use super::text::fold_ascii;

/// Sex as the ID number encodes it and the form states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    pub fn zh(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }

    pub fn parse(s: &str) -> Option<Sex> {
        match fold_ascii(s).to_ascii_lowercase().as_str() {
            "男" | "m" | "male" | "1" => Some(Sex::Male),
            "女" | "f" | "female" | "2" => Some(Sex::Female),
            _ => None,
        }
    }
}

/// What a valid ID number says about its holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdInfo {
    /// The number in canonical form: ASCII, uppercase X.
    pub number: String,
    pub region: String,
    pub birth_date: NaiveDate,
    pub sex: Sex,
}

/// Why an ID number is not valid, each with a stable code for flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdError {
    Length(usize),
    Characters,
    Region(String),
    BirthDate(String),
    CheckDigit { expected: char, found: char },
}

impl IdError {
    /// A stable code, as `review check` flags use it.
    pub fn code(&self) -> &'static str {
        match self {
            IdError::Length(_) => "id_length",
            IdError::Characters => "id_characters",
            IdError::Region(_) => "id_region",
            IdError::BirthDate(_) => "id_birth_date",
            IdError::CheckDigit { .. } => "id_check_digit",
        }
    }
}

impl std::fmt::Display for IdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IdError::Length(n) => write!(f, "an ID number has 18 characters, found {n}"),
            IdError::Characters => write!(f, "an ID number is 17 digits and a digit or X"),
            IdError::Region(r) => write!(f, "{r} is not a province-level region code"),
            IdError::BirthDate(d) => write!(f, "{d} is not a possible birth date"),
            IdError::CheckDigit { expected, found } => {
                write!(f, "check digit should be {expected}, found {found}")
            }
        }
    }
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// The first two digits of every province-level region in GB/T 2260, with 71, 81, 82 for
/// Taiwan, Hong Kong and Macao, and 83 for the residence permits of Taiwan residents.
const PROVINCES: [&str; 35] = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
    "81", "82", "83",
];

/// The check character of the first 17 digits.
pub fn check_char(first17: &[u8]) -> char {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK[(sum % 11) as usize]
}

/// Checks an ID number, `today` bounding the birth date.
pub fn check(text: &str, today: NaiveDate) -> Result<IdInfo, IdError> {
    let number = fold_ascii(text).to_ascii_uppercase();
    let n = number.chars().count();
    if n != 18 {
        return Err(IdError::Length(n));
    }
    let b = number.as_bytes();
    if !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
        return Err(IdError::Characters);
    }
    let region = &number[..6];
    if !PROVINCES.contains(&&region[..2]) {
        return Err(IdError::Region(region.to_string()));
    }
    let date_text = &number[6..14];
    let birth_date = NaiveDate::parse_from_str(date_text, "%Y%m%d")
        .ok()
        .filter(|d| *d <= today && *d >= NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid"))
        .ok_or_else(|| IdError::BirthDate(date_text.to_string()))?;
    let expected = check_char(&b[..17]);
    if expected != b[17] as char {
        return Err(IdError::CheckDigit {
            expected,
            found: b[17] as char,
        });
    }
    let sex = if (b[16] - b'0') % 2 == 1 {
        Sex::Male
    } else {
        Sex::Female
    };
    Ok(IdInfo {
        region: region.to_string(),
        birth_date,
        sex,
        number,
    })
}

/// `530102********1234`: the first six and last four characters, for anything posted.
pub fn mask(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    if chars.len() <= 10 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 10))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
    }

    /// Builds a valid number from its first 17 digits.
    fn valid(first17: &str) -> String {
        format!("{first17}{}", check_char(first17.as_bytes()))
    }

    #[test]
    fn the_standard_example_is_valid() {
        // GB 11643-1999's own example.
        let info = check("11010519491231002X", today()).unwrap();
        assert_eq!(
            info.birth_date,
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        assert_eq!(info.sex, Sex::Female);
        assert_eq!(info.region, "110105");
    }

    #[test]
    fn lowercase_x_and_full_width_digits_are_folded() {
        let info = check("11010519491231002x", today()).unwrap();
        assert_eq!(info.number, "11010519491231002X");
        let full: String = valid("53010219900307001")
            .chars()
            .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap())
            .collect();
        assert_eq!(check(&full, today()).unwrap().sex, Sex::Male);
    }

    #[test]
    fn each_fault_has_its_code() {
        let bad = |s: &str| check(s, today()).unwrap_err().code();
        assert_eq!(bad("5301021990030700"), "id_length");
        assert_eq!(bad("53010219900307A01X"), "id_characters");
        assert_eq!(bad(&valid("99010219900307001")), "id_region");
        assert_eq!(bad(&valid("53010219900230001")), "id_birth_date");
        assert_eq!(bad(&valid("53010220300101001")), "id_birth_date");
        let mut n = valid("53010219900307001");
        let last = if n.ends_with('1') { '2' } else { '1' };
        n.pop();
        n.push(last);
        let e = check(&n, today()).unwrap_err();
        assert_eq!(e.code(), "id_check_digit");
        assert!(e.to_string().starts_with("check digit should be "), "{e}");
    }

    #[test]
    fn masks_keep_six_and_four() {
        assert_eq!(mask("530102199003070011"), "530102********0011");
        assert_eq!(mask("X123"), "****");
    }

    #[test]
    fn sexes_parse() {
        assert_eq!(Sex::parse("男"), Some(Sex::Male));
        assert_eq!(Sex::parse("F"), Some(Sex::Female));
        assert_eq!(Sex::parse("未知"), None);
    }
}
