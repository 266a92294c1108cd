//! The flags of `review check` in Chinese, for what staff read (the decision sheet, the
//! report). The checks store an English message, which the terminal shows; this says the
//! same from the flag's code and the application's facts, so that no message has to be
//! parsed. A code this file does not know yet keeps its English message.

use chrono::NaiveDate;

use super::application::{Facts, IdKind, valid_mobile};
use super::id_number::{self, IdError, PermanentError, Sex};
use super::session::Settings;
use super::text::fold_ascii;

/// What a flag code means, in a few words: a rejection reason's heading in the report.
pub fn name_zh(code: &str) -> &'static str {
    match code {
        "id_length" => "证件号码位数不对",
        "id_characters" => "证件号码含无效字符",
        "id_region" => "证件号码地区码无效",
        "id_birth_date" => "证件号码中的出生日期无效",
        "id_check_digit" => "证件号码校验位错误",
        "id_format" => "证件号码格式错误",
        "id_county" => "证件号码地区码不在行政区划代码表中",
        "prc_format" => "永居证号码格式错误",
        "prc_region" => "永居证号码受理地代码无效",
        "birth_date_mismatch" => "出生日期与证件号码不符",
        "gender_mismatch" => "性别与证件号码不符",
        "gender_unreadable" => "性别无法识别",
        "id_duplicate" => "同一证件号码重复报名",
        "photo_missing" => "缺少照片",
        "photo_unreadable" => "照片无法读取",
        "photo_not_jpeg" => "照片不是JPEG格式",
        "photo_too_small" => "照片尺寸不足",
        "photo_file_size" => "照片文件大小不符合要求",
        "photo_background" => "照片背景不是白色",
        "mobile_invalid" => "手机号码无效",
        "email_invalid" => "电子邮箱无效",
        "contact_missing" => "缺少手机号码或通信地址",
        _ => "其他审核问题",
    }
}

/// A flag as a reviewer reads it: what is wrong with this application and what it should
/// be. `same_id` are the other applications with the same ID number (for `id_duplicate`);
/// `message` is the stored English message, used only for a code not known here. When the
/// facts no longer show the problem (the application changed since its check), the flag's
/// name stands alone.
pub fn describe_zh(
    code: &str,
    message: &str,
    a: &Facts<'_>,
    s: &Settings,
    today: NaiveDate,
    same_id: &[&str],
) -> String {
    let name = name_zh(code);
    identity_zh(code, name, a, today, same_id)
        .or_else(|| photo_and_contact_zh(code, name, a, s))
        .unwrap_or_else(|| message.to_string())
}

/// The flags about who the candidate is (ID number, birth date, sex, a second
/// application), or none for another code.
fn identity_zh(
    code: &str,
    name: &str,
    a: &Facts<'_>,
    today: NaiveDate,
    same_id: &[&str],
) -> Option<String> {
    let id = id_number::check(a.id_number, today);
    let permanent = IdKind::of(a.id_type) == IdKind::PermanentResident;
    Some(match code {
        // A permanent resident card's faults, by its own rules (its birth date and check
        // character share the resident ID number's codes).
        "prc_format" | "prc_region" | "id_birth_date" | "id_check_digit" if permanent => {
            match id_number::check_permanent(a.id_number, today) {
                Err(e) => format!("永居证号码 {}：{}", a.id_number, permanent_error_zh(&e)),
                Ok(_) => name.into(),
            }
        }
        "id_length" | "id_characters" | "id_region" | "id_birth_date" | "id_check_digit" => {
            match &id {
                Err(e) => format!("证件号码 {}：{}", a.id_number, id_error_zh(e)),
                Ok(_) => name.into(),
            }
        }
        "id_county" => match &id {
            Ok(info) => format!(
                "证件号码 {}：地区码 {} 不在 GB/T 2260 行政区划代码表（1980 至 2020 年，含已撤销的）中，请与考生核对",
                info.number, info.region
            ),
            Err(_) => name.into(),
        },
        "gender_unreadable" => format!(
            "性别“{}”无法识别：应为 男 或 女（也可写 男性/女性、M/F、1/2）",
            a.gender.trim()
        ),
        "birth_date_mismatch" if permanent => {
            match (a.birth_date, id_number::check_permanent(a.id_number, today)) {
                (Some(b), Ok(info)) => match info.birth_date {
                    Some(n) => format!("出生日期 {b} 与永居证号码中的出生日期 {n} 不符"),
                    None => name.into(),
                },
                _ => name.into(),
            }
        }
        "id_format" => format!(
            "证件号码 {}：护照号码应为 5 至 17 位字母或数字",
            fold_ascii(a.id_number)
        ),
        "birth_date_mismatch" => match (a.birth_date, &id) {
            (Some(b), Ok(info)) => format!(
                "出生日期 {b} 与证件号码中的出生日期 {} 不符",
                info.birth_date
            ),
            _ => name.into(),
        },
        "gender_mismatch" => match (Sex::parse(a.gender), &id) {
            (Some(g), Ok(info)) => {
                format!("性别 {} 与证件号码所示性别 {} 不符", g.zh(), info.sex.zh())
            }
            _ => name.into(),
        },
        "id_duplicate" if !same_id.is_empty() => format!(
            "证件号码 {} 也在报名 {} 中",
            a.id_number,
            same_id.join("、")
        ),
        "id_duplicate" => name.into(),
        _ => return None,
    })
}

/// The flags about the photo and how to reach the candidate, or none for another code.
fn photo_and_contact_zh(code: &str, name: &str, a: &Facts<'_>, s: &Settings) -> Option<String> {
    let p = &a.photo;
    Some(match code {
        "photo_missing" if p.name.is_empty() => "没有照片".into(),
        "photo_missing" => format!("照片 {} 不在照片文件夹中", p.name),
        "photo_unreadable" => format!("照片 {} 无法作为图片读取", p.name),
        "photo_not_jpeg" => format!(
            "照片 {} 是 {} 格式，应为 JPEG",
            p.name,
            p.format.to_uppercase()
        ),
        "photo_too_small" => format!(
            "照片 {} 为 {}×{} 像素，至少应为 {}×{} 像素",
            p.name, p.width, p.height, s.photo_min_width, s.photo_min_height
        ),
        "photo_file_size" => format!(
            "照片 {} 大小为 {}，应在 {} 至 {} 之间",
            p.name,
            bytes_zh(p.bytes),
            bytes_zh(s.photo_min_bytes),
            bytes_zh(s.photo_max_bytes)
        ),
        "photo_background" => match p.border {
            Some(b) => format!("照片 {} 背景亮度为 {b}（最亮为 255），应为白色背景", p.name),
            None => name.into(),
        },
        "mobile_invalid" => {
            let m = fold_ascii(a.mobile);
            if valid_mobile(&m) {
                name.into()
            } else {
                format!("手机号码 {m} 应为以 13 至 19 开头的 11 位数字")
            }
        }
        "email_invalid" => format!(
            "电子邮箱 {} 格式不对，应如 name@example.com",
            a.email.trim()
        ),
        "contact_missing" => {
            let missing: Vec<&str> = [
                ("手机号码", fold_ascii(a.mobile).is_empty()),
                ("通信地址", a.address.trim().is_empty()),
            ]
            .into_iter()
            .filter_map(|(n, empty)| empty.then_some(n))
            .collect();
            if missing.is_empty() {
                name.into()
            } else {
                format!("{}未填写", missing.join("、"))
            }
        }
        _ => return None,
    })
}

fn id_error_zh(e: &IdError) -> String {
    match e {
        IdError::Length(n) => format!("应为 18 位，实为 {n} 位"),
        IdError::Characters => "应为 17 位数字加一位数字或 X".into(),
        IdError::Region(r) => format!("开头的 {r} 不是省级行政区代码"),
        IdError::BirthDate(d) => format!("其中的出生日期 {d} 不存在"),
        IdError::CheckDigit { expected, found } => {
            format!("校验位应为 {expected}，实为 {found}")
        }
    }
}

fn permanent_error_zh(e: &PermanentError) -> String {
    match e {
        PermanentError::Length(n) => {
            format!("应为 18 位（2023 年版）或 15 位（旧版），实为 {n} 位")
        }
        PermanentError::Pattern(18) => "2023 年版应为 9 开头的 17 位数字加一位数字或 X".into(),
        PermanentError::Pattern(_) => "旧版应为 3 个字母加 12 位数字".into(),
        PermanentError::Province(p) => format!("受理地代码 {p} 不是省级行政区代码"),
        PermanentError::BirthDate(d) => format!("其中的出生日期 {d} 不存在"),
        PermanentError::CheckDigit { expected, found } => {
            format!("校验位应为 {expected}，实为 {found}")
        }
    }
}

/// `14K` or `14,336 字节`, as the session's photo limits are set.
fn bytes_zh(n: u64) -> String {
    if n >= 1024 && n.is_multiple_of(1024) {
        format!("{}K", n / 1024)
    } else {
        format!("{n} 字节")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::application::{PhotoFacts, check};

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 9, 1).unwrap()
    }

    /// Every flag the checks raise on these facts, in Chinese.
    fn flags_zh(a: &Facts<'_>) -> Vec<(&'static str, String)> {
        let s = Settings::default();
        check(a, &s, today())
            .into_iter()
            .map(|f| (f.code, describe_zh(f.code, &f.message, a, &s, today(), &[])))
            .collect()
    }

    fn assert_chinese(text: &str) {
        // File names, numbers and the example address may be ASCII; no English word is.
        let english = text
            .replace("name@example.com", "")
            .replace("JPEG", "")
            .replace("PNG", "")
            .split(|c: char| !c.is_ascii_alphabetic())
            .find(|w| w.len() >= 3 && !w.ends_with("jpg") && !w.ends_with("png"))
            .map(str::to_string);
        assert_eq!(english, None, "{text}");
    }

    #[test]
    fn each_flag_reads_in_chinese_with_its_facts() {
        let bad = Facts {
            id_type: "居民身份证",
            id_number: "530702197906235074",
            gender: "女",
            birth_date: None,
            mobile: "1234",
            email: "12@3",
            address: "",
            photo: PhotoFacts {
                name: "a.png",
                format: "png",
                ..PhotoFacts::default()
            },
        };
        let got = flags_zh(&bad);
        assert_eq!(
            got[0],
            (
                "id_check_digit",
                "证件号码 530702197906235074：校验位应为 3，实为 4".to_string()
            )
        );
        for (code, text) in &got {
            assert_chinese(text);
            assert_ne!(text, name_zh(code), "{code} says more than its name");
        }
        let codes: Vec<&str> = got.iter().map(|g| g.0).collect();
        assert!(codes.contains(&"photo_not_jpeg"), "{codes:?}");
        assert!(codes.contains(&"contact_missing"), "{codes:?}");

        let mismatch = Facts {
            id_number: "530702197906235073",
            birth_date: NaiveDate::from_ymd_opt(1979, 6, 24),
            mobile: "13800000000",
            address: "昆明",
            photo: PhotoFacts {
                name: "b.jpg",
                format: "jpeg",
                width: 200,
                height: 300,
                bytes: 1000,
                border: Some(90),
                ..PhotoFacts::default()
            },
            ..bad
        };
        let got = flags_zh(&mismatch);
        let text: Vec<&str> = got.iter().map(|g| g.1.as_str()).collect();
        assert!(
            text.contains(&"出生日期 1979-06-24 与证件号码中的出生日期 1979-06-23 不符"),
            "{text:?}"
        );
        assert!(
            text.contains(&"性别 女 与证件号码所示性别 男 不符"),
            "{text:?}"
        );
        assert!(
            text.contains(&"照片 b.jpg 为 200×300 像素，至少应为 295×413 像素"),
            "{text:?}"
        );
        for t in text {
            assert_chinese(t);
        }
    }

    #[test]
    fn the_flags_of_other_documents_sexes_and_counties_read_in_chinese() {
        // A 2023 permanent resident card taken in 北京 (11), of the United States (840),
        // born 1985-06-12, with its check character wrong; then an unknown province.
        let first17 = "911840198506120010";
        let right = id_number::check_char(&first17.as_bytes()[..17]);
        let wrong = if right == '0' { '1' } else { '0' };
        let number = format!("{}{wrong}", &first17[..17]);
        let card = Facts {
            id_type: "外国人永久居留身份证",
            id_number: &number,
            gender: "女性",
            ..Facts::default()
        };
        let got = flags_zh(&card);
        assert_eq!(
            got[0],
            (
                "id_check_digit",
                format!("永居证号码 {number}：校验位应为 {right}，实为 {wrong}")
            ),
            "{got:?}"
        );
        let province = "999840198506120010";
        let province = format!(
            "{}{}",
            &province[..17],
            id_number::check_char(&province.as_bytes()[..17])
        );
        let got = flags_zh(&Facts {
            id_number: &province,
            ..card
        });
        assert_eq!(got[0].0, "prc_region", "{got:?}");
        assert!(got[0].1.contains("受理地代码 99"), "{got:?}");
        // A sex written as nobody writes it; a county the table lacks.
        let first17 = "53079919790623507";
        let county = format!("{first17}{}", id_number::check_char(first17.as_bytes()));
        let got = flags_zh(&Facts {
            id_type: "居民身份证",
            id_number: &county,
            gender: "未知",
            mobile: "13800000000",
            address: "昆明",
            ..Facts::default()
        });
        let by: std::collections::BTreeMap<&str, &str> =
            got.iter().map(|(c, t)| (*c, t.as_str())).collect();
        assert!(by["id_county"].contains("地区码 530799"), "{got:?}");
        assert_eq!(
            by["gender_unreadable"],
            "性别“未知”无法识别：应为 男 或 女（也可写 男性/女性、M/F、1/2）"
        );
        for (_, t) in &got {
            assert_chinese(t);
        }
    }

    #[test]
    fn a_code_not_known_here_keeps_its_message() {
        let a = Facts {
            id_number: "530702197906235073",
            ..Facts::default()
        };
        let s = Settings::default();
        assert_eq!(
            describe_zh("id_new", "a new rule", &a, &s, today(), &[]),
            "a new rule"
        );
        assert_eq!(
            describe_zh("id_duplicate", "", &a, &s, today(), &["20260000002"]),
            "证件号码 530702197906235073 也在报名 20260000002 中"
        );
    }
}
