//! Resident ID numbers (居民身份证号码, GB 11643): 6-digit region code, birth date YYYYMMDD,
//! 3-digit sequence (odd: male), and a check character by ISO 7064 MOD 11-2. Real data
//! carries a lowercase x and full-width digits; both are folded before checking.
//!
//! Also the numbers of the foreign permanent resident ID card (外国人永久居留身份证), as the
//! National Immigration Administration published them for the card issued since
//! 2023-12-01: 18 characters, 9 (a foreigner), the province-level code of the place that
//! took the application (2 digits), the nationality as a 3-digit numeric country code, the
//! birth date YYYYMMDD, a 3-digit sequence and a check character by the same MOD 11-2; and
//! for the cards issued before, still valid until they expire: 15 characters, 3 Latin
//! letters (the nationality) and 12 digits.

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

    /// The spellings that forms and portal exports use: 男/女, 男性/女性, M/F, male/female,
    /// and the codes of GB/T 2261.1 (1 male, 2 female). Anything else is unreadable (`None`),
    /// which `review check` flags rather than pass over.
    pub fn parse(s: &str) -> Option<Sex> {
        let folded = fold_ascii(s).to_ascii_lowercase();
        let t: String = folded.chars().filter(|c| !c.is_whitespace()).collect();
        match t.as_str() {
            "男" | "男性" | "男士" | "m" | "male" | "man" | "1" => Some(Sex::Male),
            "女" | "女性" | "女士" | "f" | "female" | "woman" | "2" => Some(Sex::Female),
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
            IdError::Region(r) if r.starts_with('9') => write!(
                f,
                "{r} is not a province-level region code; a number beginning with 9 is a \
                 外国人永久居留身份证's: is 证件类型 right?"
            ),
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
    let birth_date =
        birth_date(date_text, today).ok_or_else(|| IdError::BirthDate(date_text.to_string()))?;
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

/// Which foreign permanent resident ID card a number is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermanentCard {
    /// 18 characters, issued since 2023-12-01.
    Since2023,
    /// 15 characters: 3 letters and 12 digits.
    Before2023,
}

/// What a valid 外国人永久居留身份证 number says. The card of 2023 gives the birth date;
/// the published format says nothing of sex, so none is read from either card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermanentInfo {
    /// ASCII, uppercase.
    pub number: String,
    pub card: PermanentCard,
    pub birth_date: Option<NaiveDate>,
}

/// Why a 外国人永久居留身份证 number is not valid, each with a stable code for flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PermanentError {
    Length(usize),
    /// The characters do not make the card's pattern: 18 or 15, which.
    Pattern(usize),
    Province(String),
    BirthDate(String),
    CheckDigit {
        expected: char,
        found: char,
    },
}

impl PermanentError {
    /// A stable code, as `review check` flags use it; the birth date and check character
    /// share the codes of the resident ID number, whose rules they are.
    pub fn code(&self) -> &'static str {
        match self {
            PermanentError::Length(_) | PermanentError::Pattern(_) => "prc_format",
            PermanentError::Province(_) => "prc_region",
            PermanentError::BirthDate(_) => "id_birth_date",
            PermanentError::CheckDigit { .. } => "id_check_digit",
        }
    }
}

impl std::fmt::Display for PermanentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PermanentError::Length(n) => write!(
                f,
                "a 外国人永久居留身份证 number has 18 characters (15 on cards issued before \
                 December 2023), found {n}"
            ),
            PermanentError::Pattern(18) => write!(
                f,
                "a 外国人永久居留身份证 number of 18 characters is 9, 16 digits, and a digit or X"
            ),
            PermanentError::Pattern(_) => write!(
                f,
                "a 外国人永久居留身份证 number of 15 characters (cards issued before December \
                 2023) is 3 letters and 12 digits"
            ),
            PermanentError::Province(p) => write!(
                f,
                "{p} (characters 2 and 3) is not the province-level code of a place that issues \
                 the card"
            ),
            PermanentError::BirthDate(d) => write!(f, "{d} is not a possible birth date"),
            PermanentError::CheckDigit { expected, found } => {
                write!(f, "check digit should be {expected}, found {found}")
            }
        }
    }
}

/// Checks a 外国人永久居留身份证 number, `today` bounding the birth date.
pub fn check_permanent(text: &str, today: NaiveDate) -> Result<PermanentInfo, PermanentError> {
    let number = fold_ascii(text).to_ascii_uppercase();
    let b = number.as_bytes();
    match number.chars().count() {
        18 => {
            if b[0] != b'9'
                || !b[1..17].iter().all(u8::is_ascii_digit)
                || !(b[17].is_ascii_digit() || b[17] == b'X')
            {
                return Err(PermanentError::Pattern(18));
            }
            let province = &number[1..3];
            if !PROVINCES.contains(&province) {
                return Err(PermanentError::Province(province.to_string()));
            }
            let birth_date = birth_date(&number[6..14], today)
                .ok_or_else(|| PermanentError::BirthDate(number[6..14].to_string()))?;
            let expected = check_char(&b[..17]);
            if expected != b[17] as char {
                return Err(PermanentError::CheckDigit {
                    expected,
                    found: b[17] as char,
                });
            }
            Ok(PermanentInfo {
                card: PermanentCard::Since2023,
                birth_date: Some(birth_date),
                number,
            })
        }
        15 => {
            if !(b[..3].iter().all(u8::is_ascii_uppercase) && b[3..].iter().all(u8::is_ascii_digit))
            {
                return Err(PermanentError::Pattern(15));
            }
            Ok(PermanentInfo {
                card: PermanentCard::Before2023,
                birth_date: None,
                number,
            })
        }
        n => Err(PermanentError::Length(n)),
    }
}

/// `YYYYMMDD` as a birth date: a real day from 1900 to `today`.
fn birth_date(text: &str, today: NaiveDate) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y%m%d")
        .ok()
        .filter(|d| *d <= today && *d >= NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid"))
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
    fn sexes_parse_in_the_usual_spellings() {
        for s in ["男", "男性", " 男 ", "男士", "M", "ｍ", "Male", "MAN", "1"] {
            assert_eq!(Sex::parse(s), Some(Sex::Male), "{s}");
        }
        for s in ["女", "女性", "女士", "F", "female", "Woman", "2", "２"] {
            assert_eq!(Sex::parse(s), Some(Sex::Female), "{s}");
        }
        for s in ["未知", "0", "9", "男女", "x", "", "男性别"] {
            assert_eq!(Sex::parse(s), None, "{s}");
        }
    }

    /// A card of 2023 as the published format builds it: 9, the province that took the
    /// application, the nationality's numeric code, birth date, sequence, check character.
    fn card(province: &str, country: &str, birth: &str, seq: &str) -> String {
        valid(&format!("9{province}{country}{birth}{seq}"))
    }

    #[test]
    fn permanent_resident_cards_of_2023() {
        // Taken in 北京 (11), a citizen of the United States (840), born 1985-06-12.
        let n = card("11", "840", "19850612", "001");
        let info = check_permanent(&n, today()).unwrap();
        assert_eq!(info.card, PermanentCard::Since2023);
        assert_eq!(info.birth_date, NaiveDate::from_ymd_opt(1985, 6, 12));
        // Taken in 云南 (53), a citizen of Myanmar (104); a lowercase x folded.
        let mut n = String::new();
        for seq in 0..100 {
            n = card("53", "104", "19921130", &format!("{seq:03}"));
            if n.ends_with('X') {
                break;
            }
        }
        assert!(n.ends_with('X'), "some sequence gives X");
        let lower = n.to_lowercase();
        assert_eq!(check_permanent(&lower, today()).unwrap().number, n);
        // The resident ID number's rules turn it away: the reason for rules of its own.
        assert_eq!(check(&n, today()).unwrap_err().code(), "id_region");
        assert!(
            check(&n, today())
                .unwrap_err()
                .to_string()
                .contains("外国人永久居留身份证")
        );
    }

    #[test]
    fn permanent_resident_faults_have_their_codes() {
        let bad = |s: &str| check_permanent(s, today()).unwrap_err().code();
        assert_eq!(bad(&card("99", "840", "19850612", "001")), "prc_region");
        assert_eq!(bad(&card("11", "840", "19850230", "001")), "id_birth_date");
        assert_eq!(bad(&card("11", "840", "20300101", "001")), "id_birth_date");
        // A resident ID number (does not begin with 9) is no such card.
        assert_eq!(bad(&valid("53010219900307001")), "prc_format");
        assert_eq!(bad("9110840198506120"), "prc_format");
        let mut n = card("11", "840", "19850612", "001");
        let last = if n.ends_with('1') { '2' } else { '1' };
        n.pop();
        n.push(last);
        assert_eq!(bad(&n), "id_check_digit");
        let e = check_permanent("USA1101850612", today()).unwrap_err();
        assert_eq!(e, PermanentError::Length(13));
    }

    #[test]
    fn permanent_resident_cards_before_2023() {
        // 3 letters (the nationality, USA) and 12 digits.
        let info = check_permanent("USA110085061201", today()).unwrap();
        assert_eq!(info.card, PermanentCard::Before2023);
        assert_eq!(info.birth_date, None);
        assert_eq!(
            check_permanent("usa110085061201", today()).unwrap().number,
            "USA110085061201"
        );
        let e = check_permanent("US1110085061201", today()).unwrap_err();
        assert_eq!(e.code(), "prc_format");
        assert!(e.to_string().contains("3 letters and 12 digits"), "{e}");
    }
}
