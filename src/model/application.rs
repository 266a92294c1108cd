//! Applications (报名信息): their states and the moves between them, and the rule checks
//! that flag what reviewers must see. Pure functions over the stored facts.

use std::fmt;

use chrono::NaiveDate;
use serde::Serialize;

use super::id_number::{self, Sex};
use super::regions;
use super::session::{Settings, format_bytes};
use super::text::fold_ascii;

/// Where an application stands (domain.md's states).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Submitted,
    Approved,
    Rejected,
    Paid,
    Seated,
    Expired,
    Withdrawn,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::Submitted,
        Status::Approved,
        Status::Rejected,
        Status::Paid,
        Status::Seated,
        Status::Expired,
        Status::Withdrawn,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Submitted => "submitted",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
            Status::Paid => "paid",
            Status::Seated => "seated",
            Status::Expired => "expired",
            Status::Withdrawn => "withdrawn",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Status::Submitted => "待审核",
            Status::Approved => "审核通过",
            Status::Rejected => "审核未通过",
            Status::Paid => "已缴费",
            Status::Seated => "已编排",
            Status::Expired => "逾期未缴费",
            Status::Withdrawn => "已放弃",
        }
    }

    /// Accepts the stored name or the Chinese term.
    pub fn parse(s: &str) -> Option<Status> {
        let t = s.trim();
        Status::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(t) || st.zh() == t)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A reviewer's decision (审核).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Approve,
    Reject,
}

impl Decision {
    pub fn target(self) -> Status {
        match self {
            Decision::Approve => Status::Approved,
            Decision::Reject => Status::Rejected,
        }
    }

    /// Parses a decision sheet's 审核结果: 通过 / 不通过, approve / reject.
    pub fn parse(s: &str) -> Option<Decision> {
        match fold_ascii(s).to_ascii_lowercase().as_str() {
            "通过" | "审核通过" | "approve" | "approved" | "pass" | "yes" | "y" => {
                Some(Decision::Approve)
            }
            "不通过" | "审核未通过" | "未通过" | "reject" | "rejected" | "fail" | "no" | "n" => {
                Some(Decision::Reject)
            }
            _ => None,
        }
    }

    /// Whether an application in `from` may take this decision; otherwise why not, as the
    /// preview says of skipped applications.
    pub fn allowed_from(self, from: Status) -> Result<(), &'static str> {
        match (self, from) {
            (_, Status::Submitted) => Ok(()),
            (Decision::Approve, Status::Approved) => Err("already approved"),
            (Decision::Reject, Status::Rejected) => Err("already rejected"),
            (_, Status::Approved) => Err("approved; undo the approval's batch to review it again"),
            (_, Status::Rejected) => {
                Err("rejected; it returns to review when the candidate resubmits")
            }
            (_, Status::Paid | Status::Seated) => {
                Err("paid; a paid application is not reviewed again")
            }
            (_, Status::Expired) => Err("expired unpaid"),
            (_, Status::Withdrawn) => Err("withdrawn"),
        }
    }
}

// Why a decision skips an application, as the preview says; the same words whether the
// applications are chosen in kaowu (a decision sheet) or in the database (approve, reject).
pub const UNCHECKED: &str =
    "changed since the last check (or never checked): run kaowu review check";
pub const WITH_ERRORS: &str = "has error flags; --force approves anyway";
pub const NO_REASON: &str = "no --reason given and no error flag to give as the reason";
/// The journal's reason for an approval past error flags, before their codes.
pub const FORCED_DESPITE: &str = "approved with --force despite ";

/// A decision that an application takes: the reason journalled (and, for a rejection,
/// shown to the candidate), and whether it was forced past error flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub reason: String,
    pub forced: bool,
}

/// Whether an application in `from` takes `decision`, or why it is skipped: an approval
/// needs a current check (`checked`) and no error flag (unless `force`); a rejection needs
/// a reason. `errors` are the codes of its error flags.
pub fn decide(
    decision: Decision,
    from: Status,
    checked: bool,
    errors: &[&str],
    reason: Option<String>,
    force: bool,
) -> Result<Verdict, &'static str> {
    decision.allowed_from(from)?;
    let mut forced = false;
    if decision == Decision::Approve {
        if !checked {
            return Err(UNCHECKED);
        }
        if !errors.is_empty() {
            if !force {
                return Err(WITH_ERRORS);
            }
            forced = true;
        }
    }
    let reason = match (decision, reason, forced) {
        (Decision::Reject, Some(r), _) => r,
        (Decision::Reject, None, _) => return Err(NO_REASON),
        (_, _, true) => format!("{FORCED_DESPITE}{}", errors.join(", ")),
        _ => String::new(),
    };
    Ok(Verdict { reason, forced })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Blocks approval unless forced.
    Error,
    /// Shown to reviewers.
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One finding of `review check`, with a stable code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flag {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
}

impl Flag {
    fn error(code: &'static str, message: impl Into<String>) -> Flag {
        Flag {
            code,
            severity: Severity::Error,
            message: message.into(),
        }
    }
    fn warning(code: &'static str, message: impl Into<String>) -> Flag {
        Flag {
            code,
            severity: Severity::Warning,
            message: message.into(),
        }
    }
}

/// Every flag code with its severity and what it means, for `review flags` and the README.
pub const FLAG_CODES: &[(&str, Severity, &str)] = &[
    (
        "id_length",
        Severity::Error,
        "ID number is not 18 characters",
    ),
    (
        "id_characters",
        Severity::Error,
        "ID number has characters other than digits and a final X",
    ),
    (
        "id_region",
        Severity::Error,
        "ID number's region prefix is not a province-level region",
    ),
    (
        "id_birth_date",
        Severity::Error,
        "ID number's birth date is impossible",
    ),
    (
        "id_check_digit",
        Severity::Error,
        "ID number's check digit is wrong",
    ),
    (
        "id_county",
        Severity::Warning,
        "ID number's region code is no county of GB/T 2260 in kaowu's table (1980-2020, retired codes included)",
    ),
    (
        "prc_format",
        Severity::Error,
        "外国人永久居留身份证 number is neither 9 and 17 characters nor 3 letters and 12 digits",
    ),
    (
        "prc_region",
        Severity::Error,
        "外国人永久居留身份证 number's province code of the issuing place is unknown",
    ),
    (
        "id_format",
        Severity::Error,
        "passport or other document number is malformed",
    ),
    (
        "birth_date_mismatch",
        Severity::Error,
        "birth date on the form differs from the ID number's",
    ),
    (
        "gender_mismatch",
        Severity::Error,
        "sex on the form differs from the ID number's",
    ),
    (
        "gender_unreadable",
        Severity::Error,
        "性别 is given but reads as neither male nor female, so it cannot be checked",
    ),
    (
        "id_duplicate",
        Severity::Error,
        "the same ID number is on another application of the session",
    ),
    (
        "photo_missing",
        Severity::Error,
        "no photo, or the photo file is not in the photo folder",
    ),
    (
        "photo_unreadable",
        Severity::Error,
        "the photo file cannot be read as an image",
    ),
    ("photo_not_jpeg", Severity::Error, "the photo is not a JPEG"),
    (
        "photo_too_small",
        Severity::Error,
        "the photo is smaller than the session's minimum size",
    ),
    (
        "photo_file_size",
        Severity::Error,
        "the photo file is outside the session's byte range",
    ),
    (
        "photo_background",
        Severity::Warning,
        "the photo's background is far from white",
    ),
    (
        "mobile_invalid",
        Severity::Error,
        "mobile number is not an 11-digit mainland number",
    ),
    (
        "email_invalid",
        Severity::Warning,
        "email address is malformed",
    ),
    (
        "contact_missing",
        Severity::Error,
        "a required contact field (手机号码, 通信地址) is empty",
    ),
];

/// How an ID type is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    /// 居民身份证, 社保卡 (which carries the ID number), 港澳台居民居住证: GB 11643.
    Resident,
    /// 外国人永久居留身份证 (also written 外国人永久居留证, 永居证): rules of its own.
    PermanentResident,
    Passport,
    Other,
}

impl IdKind {
    pub fn of(id_type: &str) -> IdKind {
        // Before 身份证: the card's name contains it.
        if id_type.contains("永久居留") || id_type.contains("永居") {
            IdKind::PermanentResident
        } else if id_type.contains("身份证")
            || id_type.contains("社保卡")
            || id_type.contains("居住证")
        {
            IdKind::Resident
        } else if id_type.contains("护照") || id_type.to_ascii_lowercase().contains("passport") {
            IdKind::Passport
        } else {
            IdKind::Other
        }
    }
}

/// What the checks look at of one application.
#[derive(Debug, Clone, Default)]
pub struct Facts<'a> {
    pub id_type: &'a str,
    pub id_number: &'a str,
    pub gender: &'a str,
    pub birth_date: Option<NaiveDate>,
    pub mobile: &'a str,
    pub email: &'a str,
    pub address: &'a str,
    pub photo: PhotoFacts<'a>,
}

/// What the import found of the photo.
#[derive(Debug, Clone, Default)]
pub struct PhotoFacts<'a> {
    /// The file name given; empty when the row names none.
    pub name: &'a str,
    /// Why the file could not be used: `missing`, `unreadable: ...`; empty when read.
    pub problem: &'a str,
    /// `jpeg`, `png`, ...
    pub format: &'a str,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    /// Mean lightness of the border (0..255); `None` when not measured.
    pub border: Option<u8>,
}

/// The border must average at least this lightness to count as a white background.
pub const WHITE_BORDER_MIN: u8 = 200;

/// The flags of one application, in a fixed order. Duplicate ID numbers are found across
/// applications by the caller.
pub fn check(a: &Facts<'_>, s: &Settings, today: NaiveDate) -> Vec<Flag> {
    let mut out = Vec::new();
    check_id(a, today, &mut out);
    // Unread, a sex that contradicts the number would pass unseen; empty claims nothing.
    let gender = a.gender.trim();
    if !gender.is_empty() && Sex::parse(gender).is_none() {
        out.push(Flag::error(
            "gender_unreadable",
            format!(
                "性别 \"{gender}\" cannot be read: expected 男 or 女 (also 男性/女性, M/F, male/female, 1/2)"
            ),
        ));
    }
    check_photo(&a.photo, s, &mut out);
    check_contact(a, &mut out);
    out
}

/// The ID number by its kind of document, and what it says against the stated birth
/// date and sex.
fn check_id(a: &Facts<'_>, today: NaiveDate, out: &mut Vec<Flag>) {
    match IdKind::of(a.id_type) {
        IdKind::Resident => match id_number::check(a.id_number, today) {
            Ok(info) => {
                if let Some(b) = a.birth_date
                    && b != info.birth_date
                {
                    out.push(Flag::error(
                        "birth_date_mismatch",
                        format!("出生日期 {b} but the ID number says {}", info.birth_date),
                    ));
                }
                match Sex::parse(a.gender) {
                    Some(g) if g != info.sex => out.push(Flag::error(
                        "gender_mismatch",
                        format!("性别 {} but the ID number says {}", g.zh(), info.sex.zh()),
                    )),
                    _ => {}
                }
                if !regions::known_county(&info.region) {
                    out.push(Flag::warning(
                        "id_county",
                        format!(
                            "证件号码 {}: {} is no county code of GB/T 2260 that kaowu knows (1980 to 2020, retired ones included); check the number with the candidate",
                            info.number, info.region
                        ),
                    ));
                }
            }
            Err(e) => out.push(Flag::error(
                e.code(),
                format!("证件号码 {}: {e}", a.id_number),
            )),
        },
        IdKind::PermanentResident => match id_number::check_permanent(a.id_number, today) {
            Ok(info) => {
                if let (Some(b), Some(n)) = (a.birth_date, info.birth_date)
                    && b != n
                {
                    out.push(Flag::error(
                        "birth_date_mismatch",
                        format!("出生日期 {b} but the ID number says {n}"),
                    ));
                }
            }
            Err(e) => out.push(Flag::error(
                e.code(),
                format!("证件号码 {}: {e}", a.id_number),
            )),
        },
        IdKind::Passport => {
            let n = fold_ascii(a.id_number);
            if !(5..=17).contains(&n.len()) || !n.bytes().all(|b| b.is_ascii_alphanumeric()) {
                out.push(Flag::error(
                    "id_format",
                    format!("证件号码 {n}: a passport number is 5 to 17 letters and digits"),
                ));
            }
        }
        IdKind::Other => {}
    }
}

/// The photo: named and found, readable, a JPEG of the required size and file size, on a
/// white background.
fn check_photo(p: &PhotoFacts<'_>, s: &Settings, out: &mut Vec<Flag>) {
    if p.name.is_empty() || p.problem == "missing" {
        out.push(Flag::error(
            "photo_missing",
            if p.name.is_empty() {
                "no photo is named".to_string()
            } else {
                format!("照片 {} is not in the photo folder", p.name)
            },
        ));
    } else if !p.problem.is_empty() {
        out.push(Flag::error(
            "photo_unreadable",
            format!("照片 {}: {}", p.name, p.problem),
        ));
    } else if p.format != "jpeg" {
        out.push(Flag::error(
            "photo_not_jpeg",
            format!("照片 {} is {}, not JPEG", p.name, p.format.to_uppercase()),
        ));
    } else {
        if p.width < s.photo_min_width || p.height < s.photo_min_height {
            out.push(Flag::error(
                "photo_too_small",
                format!(
                    "照片 {} is {}x{} px; at least {}x{} is required",
                    p.name, p.width, p.height, s.photo_min_width, s.photo_min_height
                ),
            ));
        }
        if p.bytes < s.photo_min_bytes || p.bytes > s.photo_max_bytes {
            out.push(Flag::error(
                "photo_file_size",
                format!(
                    "照片 {} has {} bytes; {} to {} is required",
                    p.name,
                    p.bytes,
                    format_bytes(s.photo_min_bytes),
                    format_bytes(s.photo_max_bytes)
                ),
            ));
        }
        if let Some(b) = p.border
            && b < WHITE_BORDER_MIN
        {
            out.push(Flag::warning(
                "photo_background",
                format!("照片 {}: the background's lightness is {b} of 255; a white background is required", p.name),
            ));
        }
    }
}

/// A way to reach the candidate: a mobile number and an address, and an email that reads
/// as one.
fn check_contact(a: &Facts<'_>, out: &mut Vec<Flag>) {
    let mobile = fold_ascii(a.mobile);
    if mobile.is_empty() || a.address.trim().is_empty() {
        let missing: Vec<&str> = [
            ("手机号码", mobile.is_empty()),
            ("通信地址", a.address.trim().is_empty()),
        ]
        .into_iter()
        .filter_map(|(n, empty)| empty.then_some(n))
        .collect();
        let verb = if missing.len() > 1 { "are" } else { "is" };
        out.push(Flag::error(
            "contact_missing",
            format!("{} {verb} empty", missing.join(" and ")),
        ));
    }
    if !mobile.is_empty() && !valid_mobile(&mobile) {
        out.push(Flag::error(
            "mobile_invalid",
            format!("手机号码 {mobile}: expected 11 digits starting with 13 to 19"),
        ));
    }
    let email = a.email.trim();
    if !email.is_empty() && !valid_email(email) {
        out.push(Flag::warning(
            "email_invalid",
            format!("Email {email} is not an address like name@example.com"),
        ));
    }
}

/// A mainland mobile number: 11 digits, 1 then 3..9; a +86 or 86 prefix is allowed.
pub fn valid_mobile(m: &str) -> bool {
    let m: String = m.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let m = m
        .strip_prefix("+86")
        .or_else(|| m.strip_prefix("86").filter(|r| r.len() == 11))
        .unwrap_or(&m);
    m.len() == 11
        && m.bytes().all(|b| b.is_ascii_digit())
        && m.as_bytes()[0] == b'1'
        && (b'3'..=b'9').contains(&m.as_bytes()[1])
}

/// A plausible email address: one @, a non-empty local part, a dotted domain, no spaces.
pub fn valid_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && !e.contains(char::is_whitespace)
        && domain.split('.').count() >= 2
        && domain
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || c == '-'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::id_number::check_char;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
    }

    fn id(first17: &str) -> String {
        format!("{first17}{}", check_char(first17.as_bytes()))
    }

    fn good(id_number: &str) -> Facts<'_> {
        Facts {
            id_type: "居民身份证",
            id_number,
            gender: "男",
            birth_date: NaiveDate::from_ymd_opt(1990, 3, 7),
            mobile: "13987654321",
            email: "zhang@example.com",
            address: "昆明市五华区",
            photo: PhotoFacts {
                name: "a.jpg",
                problem: "",
                format: "jpeg",
                width: 295,
                height: 413,
                bytes: 30 * 1024,
                border: Some(250),
            },
        }
    }

    fn codes(f: &Facts<'_>) -> Vec<&'static str> {
        check(f, &Settings::default(), today())
            .iter()
            .map(|f| f.code)
            .collect()
    }

    #[test]
    fn a_decision_follows_the_office_rules() {
        use Decision::*;
        let ok = |reason: &str, forced| {
            Ok(Verdict {
                reason: reason.into(),
                forced,
            })
        };
        assert_eq!(
            decide(Approve, Status::Submitted, true, &[], None, false),
            ok("", false)
        );
        assert_eq!(
            decide(Approve, Status::Submitted, false, &[], None, true),
            Err(UNCHECKED)
        );
        assert_eq!(
            decide(Approve, Status::Submitted, true, &["id_check"], None, false),
            Err(WITH_ERRORS)
        );
        assert_eq!(
            decide(
                Approve,
                Status::Submitted,
                true,
                &["id_check", "age"],
                None,
                true
            ),
            ok("approved with --force despite id_check, age", true)
        );
        assert_eq!(
            decide(Reject, Status::Submitted, false, &[], None, false),
            Err(NO_REASON)
        );
        assert_eq!(
            decide(
                Reject,
                Status::Submitted,
                false,
                &[],
                Some("照片不合格".into()),
                false
            ),
            ok("照片不合格", false)
        );
        assert_eq!(
            decide(Reject, Status::Paid, true, &[], Some("x".into()), false),
            Err("paid; a paid application is not reviewed again")
        );
    }
    #[test]
    fn a_clean_application_has_no_flags() {
        let n = id("53010219900307001");
        assert_eq!(codes(&good(&n)), Vec::<&str>::new());
    }

    #[test]
    fn form_and_id_number_must_agree() {
        let n = id("53010219900307001");
        let mut f = good(&n);
        f.gender = "女";
        f.birth_date = NaiveDate::from_ymd_opt(1990, 3, 8);
        assert_eq!(codes(&f), ["birth_date_mismatch", "gender_mismatch"]);
    }

    #[test]
    fn id_faults_and_other_documents() {
        let mut n = id("53010219900307001");
        n.replace_range(17.., if n.ends_with('0') { "1" } else { "0" });
        assert_eq!(codes(&good(&n)), ["id_check_digit"]);
        let mut f = good("E1234567");
        f.id_type = "护照";
        assert_eq!(codes(&f), Vec::<&str>::new());
        f.id_number = "E12-34";
        assert_eq!(codes(&f), ["id_format"]);
    }

    #[test]
    fn sex_in_other_spellings_is_checked_and_an_unreadable_one_flagged() {
        let n = id("53010219900307001");
        let mut f = good(&n);
        f.gender = "男性";
        assert_eq!(codes(&f), Vec::<&str>::new());
        f.gender = "女性";
        assert_eq!(codes(&f), ["gender_mismatch"]);
        f.gender = "未知";
        assert_eq!(codes(&f), ["gender_unreadable"]);
        let flags = check(&f, &Settings::default(), today());
        assert_eq!(flags[0].severity, Severity::Error);
        assert!(
            flags[0].message.starts_with("性别 \"未知\" cannot be read"),
            "{}",
            flags[0].message
        );
        // Not given: nothing claimed, nothing to flag; the number says the sex.
        f.gender = " ";
        assert_eq!(codes(&f), Vec::<&str>::new());
        // Unreadable whatever the document.
        f.id_type = "护照";
        f.id_number = "E1234567";
        f.gender = "?";
        assert_eq!(codes(&f), ["gender_unreadable"]);
    }

    #[test]
    fn a_permanent_resident_card_has_rules_of_its_own() {
        // 9, 云南 (53), Myanmar (104), born 1990-03-07, sequence 002.
        let n = id("95310419900307002");
        let mut f = good(&n);
        f.id_type = "外国人永久居留身份证";
        f.gender = "女";
        assert_eq!(codes(&f), Vec::<&str>::new());
        // As a 居民身份证 it was turned away.
        f.id_type = "居民身份证";
        assert_eq!(codes(&f), ["id_region"]);
        f.id_type = "外国人永久居留证";
        f.birth_date = NaiveDate::from_ymd_opt(1990, 3, 8);
        assert_eq!(codes(&f), ["birth_date_mismatch"]);
        f.birth_date = None;
        let old = "MMR530090030701";
        f.id_number = old;
        assert_eq!(codes(&f), Vec::<&str>::new());
        f.id_number = "95310419900307";
        assert_eq!(codes(&f), ["prc_format"]);
        let wrong_province = id("99910419900307002");
        f.id_number = &wrong_province;
        assert_eq!(codes(&f), ["prc_region"]);
        assert_eq!(IdKind::of("永居证"), IdKind::PermanentResident);
        assert_eq!(IdKind::of("居民身份证/社保卡"), IdKind::Resident);
    }

    #[test]
    fn an_unknown_county_is_a_warning_only() {
        let n = id("53079919900307001");
        let flags = check(&good(&n), &Settings::default(), today());
        assert_eq!(flags.len(), 1, "{flags:?}");
        assert_eq!(
            (flags[0].code, flags[0].severity),
            ("id_county", Severity::Warning)
        );
        assert!(
            flags[0].message.contains("530799 is no county code"),
            "{}",
            flags[0].message
        );
        // Retired codes are known: 北京市崇文区, merged into 东城区 in 2010.
        let n = id("11010319900307001");
        assert_eq!(codes(&good(&n)), Vec::<&str>::new());
    }

    #[test]
    fn photo_rules_follow_the_session() {
        let n = id("53010219900307001");
        let mut f = good(&n);
        f.photo.width = 200;
        f.photo.bytes = 5000;
        f.photo.border = Some(120);
        assert_eq!(
            codes(&f),
            ["photo_too_small", "photo_file_size", "photo_background"]
        );
        let flags = check(&f, &Settings::default(), today());
        assert_eq!(flags[2].severity, Severity::Warning);
        f.photo.format = "png";
        assert_eq!(codes(&f), ["photo_not_jpeg"]);
        f.photo.problem = "missing";
        assert_eq!(codes(&f), ["photo_missing"]);
        f.photo.name = "";
        assert_eq!(codes(&f), ["photo_missing"]);
    }

    #[test]
    fn contacts() {
        let n = id("53010219900307001");
        let mut f = good(&n);
        f.mobile = "1398765432";
        f.email = "zhang@";
        assert_eq!(codes(&f), ["mobile_invalid", "email_invalid"]);
        f.mobile = "";
        f.address = " ";
        f.email = "";
        let flags = check(&f, &Settings::default(), today());
        assert_eq!(flags[0].message, "手机号码 and 通信地址 are empty");
        assert!(valid_mobile("+86 139-8765-4321"));
        assert!(valid_mobile(
            "８６13987654321"
                .replace('８', "8")
                .replace('６', "6")
                .as_str()
        ));
        assert!(!valid_mobile("12987654321"));
        assert!(valid_email("a.b@mail.example.cn"));
        assert!(!valid_email("a b@example.com"));
    }

    #[test]
    fn decisions_move_only_from_submitted() {
        assert_eq!(Decision::Approve.allowed_from(Status::Submitted), Ok(()));
        assert_eq!(
            Decision::Approve.allowed_from(Status::Approved),
            Err("already approved")
        );
        assert!(Decision::Reject.allowed_from(Status::Paid).is_err());
        assert_eq!(Decision::parse("不通过"), Some(Decision::Reject));
        assert_eq!(Decision::parse(" 通过 "), Some(Decision::Approve));
        assert_eq!(Decision::parse("待定"), None);
        assert_eq!(Status::parse("待审核"), Some(Status::Submitted));
        assert_eq!(Status::parse("Approved"), Some(Status::Approved));
    }

    #[test]
    fn every_code_is_listed() {
        let listed: Vec<&str> = FLAG_CODES.iter().map(|c| c.0).collect();
        for code in [
            "id_check_digit",
            "photo_background",
            "contact_missing",
            "id_duplicate",
            "id_county",
            "prc_format",
            "prc_region",
            "gender_unreadable",
        ] {
            assert!(listed.contains(&code));
        }
    }
}
