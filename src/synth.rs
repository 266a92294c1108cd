//! Synthetic sessions for demos, tests and benchmarks: realistic applications for the
//! sample plan and exam areas of 云南, with valid and planted-invalid ID numbers, contacts
//! and real JPEG photos. Deterministic for a seed.
//!
//! Photos are made from a small pool of encoded JPEGs (white background, grey background,
//! too small). Each candidate's file gets a comment segment with its registration number,
//! padded to a size drawn for it: every file is a valid, distinct JPEG of realistic size,
//! without one encode per candidate (an encode costs milliseconds; 200,000 would take
//! minutes).

use chrono::{Duration, NaiveDate};

use crate::model::id_number::check_char;

/// The exam areas of the sample sites, with their ID region codes, postcodes and weights.
pub const AREAS: &[(&str, &str, &str, u32)] = &[
    ("昆明", "530102", "650000", 45),
    ("曲靖", "530302", "655000", 12),
    ("玉溪", "530402", "653100", 9),
    ("红河", "532501", "661100", 10),
    ("大理", "532901", "671000", 12),
    ("丽江", "530702", "674100", 12),
];

/// Qualifications of the sample plan with their subjects and weights.
pub const QUALIFICATIONS: &[(&str, &str, u32)] = &[
    ("信息系统项目管理师", "综合知识,案例分析,论文", 16),
    ("系统规划与管理师", "综合知识,案例分析,论文", 3),
    ("系统架构设计师", "综合知识,案例分析,论文", 6),
    ("网络规划设计师", "综合知识,案例分析,论文", 2),
    ("软件设计师", "基础知识,应用技术", 16),
    ("电子商务设计师", "基础知识,应用技术", 3),
    ("信息系统监理师", "基础知识,应用技术", 2),
    ("网络工程师", "基础知识,应用技术", 9),
    ("信息安全工程师", "基础知识,应用技术", 4),
    ("嵌入式系统设计师", "基础知识,应用技术", 3),
    ("系统集成项目管理工程师", "基础知识,应用技术", 20),
    ("程序员", "基础知识,应用技术", 8),
    ("网络管理员", "基础知识,应用技术", 4),
    ("信息处理技术员", "基础知识,应用技术", 4),
];

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "马", "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "萧", "程", "曹",
    "袁", "邓", "许", "傅", "沈", "曾", "彭", "吕", "苏", "卢", "蒋", "蔡", "贾", "丁", "魏", "薛",
    "叶", "阎", "段", "和", "木", "杨",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "玉", "萍", "红", "波", "鑫", "婷", "宇", "浩",
    "凯", "俊", "帆", "琳", "晨", "欣", "悦", "睿", "博", "思", "雨", "子", "梓", "涵", "一", "诺",
    "嘉", "怡", "昊", "然", "彤", "蕾",
];
/// Names as long and as rare as real registers hold: minority names with a middle dot,
/// four-character names with a compound surname, and characters of CJK extension A (㛃)
/// that GBK lacks. A few candidates get one; the documents must print them whole.
pub const LONG_NAMES: &[&str] = &[
    "阿卜杜热合曼·买买提艾力",
    "欧阳娜仁花",
    "木森·扎西尼玛",
    "司马慧敏",
    "孙㛃",
    "玉苏甫江·艾合麦提",
];

const EMPLOYERS: &[&str] = &[
    "云南省信息技术有限公司",
    "昆明软件园科技有限公司",
    "云南电网有限责任公司",
    "中国移动云南公司",
    "云南大学",
    "大理州人民医院",
    "丽江市数据局",
    "玉溪卷烟厂",
    "曲靖市教育局",
    "红河州政务服务中心",
];
const SCHOOLS: &[&str] = &[
    "云南大学",
    "昆明理工大学",
    "云南财经大学",
    "云南师范大学",
    "大理大学",
    "曲靖师范学院",
];
const MAJORS: &[&str] = &[
    "计算机科学与技术",
    "软件工程",
    "网络工程",
    "信息管理与信息系统",
    "电子商务",
    "通信工程",
];

/// What may be wrong with a generated application, each once at least, then at a rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plant {
    CheckDigit,
    BirthDate,
    Gender,
    DuplicateId,
    PhotoMissing,
    PhotoSmall,
    PhotoNotJpeg,
    PhotoGrey,
    PhotoLarge,
    Mobile,
    Email,
    NoAddress,
}

impl Plant {
    pub const ALL: [Plant; 12] = [
        Plant::CheckDigit,
        Plant::BirthDate,
        Plant::Gender,
        Plant::DuplicateId,
        Plant::PhotoMissing,
        Plant::PhotoSmall,
        Plant::PhotoNotJpeg,
        Plant::PhotoGrey,
        Plant::PhotoLarge,
        Plant::Mobile,
        Plant::Email,
        Plant::NoAddress,
    ];

    /// The flag `review check` gives it.
    pub fn flag(self) -> &'static str {
        match self {
            Plant::CheckDigit => "id_check_digit",
            Plant::BirthDate => "birth_date_mismatch",
            Plant::Gender => "gender_mismatch",
            Plant::DuplicateId => "id_duplicate",
            Plant::PhotoMissing => "photo_missing",
            Plant::PhotoSmall => "photo_too_small",
            Plant::PhotoNotJpeg => "photo_not_jpeg",
            Plant::PhotoGrey => "photo_background",
            Plant::PhotoLarge => "photo_file_size",
            Plant::Mobile => "mobile_invalid",
            Plant::Email => "email_invalid",
            Plant::NoAddress => "contact_missing",
        }
    }
}

/// Which photo a generated application gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoKind {
    Normal,
    Grey,
    Small,
    Large,
    NotJpeg,
    None,
}

/// One generated application: the fields of the registration form.
#[derive(Debug, Clone)]
pub struct Generated {
    pub registration_no: String,
    pub name: String,
    pub id_type: &'static str,
    pub id_number: String,
    pub gender: &'static str,
    pub birth_date: NaiveDate,
    pub level: &'static str,
    pub qualification: &'static str,
    pub subjects: &'static str,
    pub exam_area: &'static str,
    pub title: &'static str,
    pub employer: &'static str,
    pub school: &'static str,
    pub major: &'static str,
    pub education: &'static str,
    pub degree: &'static str,
    pub graduation_date: NaiveDate,
    pub address: String,
    pub mobile: String,
    pub email: String,
    pub postcode: &'static str,
    pub phone: String,
    pub photo: String,
    pub submitted_at: chrono::NaiveDateTime,
    pub plant: Option<Plant>,
    pub photo_kind: PhotoKind,
    /// The photo file's size to pad to.
    pub photo_bytes: usize,
}

fn weighted<'a, T>(rng: &mut fastrand::Rng, items: &'a [T], weight: impl Fn(&T) -> u32) -> &'a T {
    let total: u32 = items.iter().map(&weight).sum();
    let mut pick = rng.u32(0..total);
    for it in items {
        let w = weight(it);
        if pick < w {
            return it;
        }
        pick -= w;
    }
    &items[items.len() - 1]
}

fn level_of(subjects: &str) -> &'static str {
    if subjects.contains("论文") {
        "高级"
    } else {
        "中级"
    }
}

/// Generates `n` applications for the session code `2026H2`; `invalid` is the share of
/// applications with a planted problem beyond the first of each kind. The 40 of seed 2026
/// are samples/applications.csv's first 40 (its tests read them from here).
pub fn applications(n: usize, seed: u64, invalid: f64) -> Vec<Generated> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut out: Vec<Generated> = Vec::with_capacity(n);
    for i in 0..n {
        let (area, region, postcode, _) = *weighted(&mut rng, AREAS, |a| a.3);
        let (qualification, subjects, _) = *weighted(&mut rng, QUALIFICATIONS, |q| q.2);
        let level = match qualification {
            "程序员" | "网络管理员" | "信息处理技术员" => "初级",
            _ => level_of(subjects),
        };
        let birth = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid")
            + Duration::days(rng.i64(0..(35 * 365)));
        let male = rng.bool();
        let seq = rng.u32(0..500) * 2 + u32::from(male);
        let first17 = format!("{region}{}{seq:03}", birth.format("%Y%m%d"));
        let id_number = format!("{first17}{}", check_char(first17.as_bytes()));
        let name = format!(
            "{}{}{}",
            SURNAMES[rng.usize(..SURNAMES.len())],
            GIVEN[rng.usize(..GIVEN.len())],
            if rng.u8(0..3) > 0 {
                GIVEN[rng.usize(..GIVEN.len())]
            } else {
                ""
            }
        );
        let registration_no = format!("2026{:07}", i + 1);
        let graduation = birth + Duration::days(22 * 365 + rng.i64(0..400));
        let mut g = Generated {
            photo: format!("{registration_no}.jpg"),
            registration_no,
            name,
            id_type: "居民身份证",
            id_number,
            gender: if male { "男" } else { "女" },
            birth_date: birth,
            level,
            qualification,
            subjects,
            exam_area: area,
            title: ["无", "助理工程师", "工程师", "高级工程师"][rng.usize(..4)],
            employer: EMPLOYERS[rng.usize(..EMPLOYERS.len())],
            school: SCHOOLS[rng.usize(..SCHOOLS.len())],
            major: MAJORS[rng.usize(..MAJORS.len())],
            education: ["大专", "本科", "硕士研究生"][rng.usize(..3)],
            degree: ["无", "学士", "硕士"][rng.usize(..3)],
            graduation_date: graduation,
            address: format!(
                "{area}市{}路{}号",
                ["人民", "北京", "环城", "学府", "东风"][rng.usize(..5)],
                rng.u32(1..300)
            ),
            mobile: format!(
                "1{}{:09}",
                [3, 5, 7, 8, 9][rng.usize(..5)],
                rng.u32(0..1_000_000_000)
            ),
            email: format!("user{}@example.com", rng.u32(10_000..99_999_999)),
            postcode,
            phone: String::new(),
            submitted_at: NaiveDate::from_ymd_opt(2026, 8, 20)
                .expect("valid")
                .and_hms_opt(9, 0, 0)
                .expect("valid")
                + Duration::seconds(rng.i64(0..(10 * 86_400))),
            plant: None,
            photo_kind: PhotoKind::Normal,
            photo_bytes: rng.usize(20_000..40_000),
        };
        // Every kind once (at rows 3, 5, 7, ...), then at the given rate.
        let forced = (i >= 3 && i % 2 == 1)
            .then(|| (i - 3) / 2)
            .and_then(|k| Plant::ALL.get(k).copied());
        let plant = forced
            .or_else(|| (rng.f64() < invalid).then(|| Plant::ALL[rng.usize(..Plant::ALL.len())]));
        if let Some(p) = plant {
            apply(&mut g, p, &mut rng, &out);
        }
        out.push(g);
    }
    out
}

/// Gives a generated session what exam day must cope with (`samples generate` and so the
/// demo): the first clean rows (those of even number, where no problem is planted) become a
/// 高级 candidate in each exam area, who sits twice a day, then candidates with the names
/// of [`LONG_NAMES`]; after those, one row in about a thousand gets such a name. A row moved to
/// another area gets that area's ID region (the same birth date and sequence), postcode
/// and address, and so does the duplicate planted from it.
pub fn vary_for_exam_day(apps: &mut [Generated]) {
    let seniors: Vec<&(&str, &str, u32)> = QUALIFICATIONS
        .iter()
        .filter(|q| q.1.contains("论文"))
        .collect();
    for i in (0..apps.len()).step_by(2) {
        let k = i / 2;
        if apps[i].plant.is_some() {
            continue;
        }
        if let Some(&(area, region, postcode, _)) = AREAS.get(k) {
            let (qualification, subjects, _) = *seniors[k % seniors.len()];
            let old_id = apps[i].id_number.clone();
            let first17 = format!("{region}{}", &old_id[6..17]);
            let id = format!("{first17}{}", check_char(first17.as_bytes()));
            for g in apps.iter_mut().filter(|g| g.id_number == old_id) {
                g.id_number = id.clone();
            }
            let g = &mut apps[i];
            if let Some(rest) = g.address.split_once('市').map(|(_, r)| r.to_string()) {
                g.address = format!("{area}市{rest}");
            }
            g.exam_area = area;
            g.postcode = postcode;
            g.qualification = qualification;
            g.subjects = subjects;
            g.level = "高级";
        } else if let Some(name) = k
            .checked_sub(AREAS.len())
            .and_then(|n| LONG_NAMES.get(n))
            .or_else(|| (i % 499 == 250).then(|| &LONG_NAMES[i % LONG_NAMES.len()]))
        {
            apps[i].name = (*name).to_string();
        }
    }
}

fn apply(g: &mut Generated, p: Plant, rng: &mut fastrand::Rng, before: &[Generated]) {
    g.plant = Some(p);
    match p {
        Plant::CheckDigit => {
            let last = g.id_number.pop().expect("18 characters");
            g.id_number.push(if last == '0' { '1' } else { '0' });
        }
        Plant::BirthDate => g.birth_date += Duration::days(1 + rng.i64(0..300)),
        Plant::Gender => g.gender = if g.gender == "男" { "女" } else { "男" },
        Plant::DuplicateId => match before.iter().rev().find(|o| o.plant.is_none()) {
            Some(o) => {
                g.id_number = o.id_number.clone();
                g.birth_date = o.birth_date;
                g.gender = o.gender;
            }
            None => g.plant = None,
        },
        Plant::PhotoMissing => g.photo_kind = PhotoKind::None,
        Plant::PhotoSmall => g.photo_kind = PhotoKind::Small,
        Plant::PhotoNotJpeg => g.photo_kind = PhotoKind::NotJpeg,
        Plant::PhotoGrey => g.photo_kind = PhotoKind::Grey,
        Plant::PhotoLarge => {
            g.photo_kind = PhotoKind::Large;
            g.photo_bytes = 80_000 + rng.usize(0..20_000);
        }
        Plant::Mobile => g.mobile = format!("1{}", rng.u32(1_000_000..9_999_999)),
        Plant::Email => g.email = format!("user{}.example.com", rng.u32(1000..9999)),
        Plant::NoAddress => g.address.clear(),
    }
}

/// The encoded photos every candidate's file is made from.
pub struct PhotoPool {
    white: Vec<Vec<u8>>,
    grey: Vec<u8>,
    small: Vec<u8>,
}

impl PhotoPool {
    pub fn new(seed: u64) -> PhotoPool {
        let mut rng = fastrand::Rng::with_seed(seed ^ 0x5EED);
        let white = (0..8).map(|_| portrait(295, 413, 252, &mut rng)).collect();
        PhotoPool {
            white,
            grey: portrait(295, 413, 150, &mut rng),
            small: portrait(180, 240, 252, &mut rng),
        }
    }

    /// A plain white-background photo for `key` (a staff member's ID number, for a badge).
    pub fn portrait_for(&self, key: &str) -> Vec<u8> {
        let index = key.bytes().fold(0usize, |h, b| {
            h.wrapping_mul(31).wrapping_add(usize::from(b))
        });
        with_comment(&self.white[index % self.white.len()], key, 0)
    }

    /// The bytes of one candidate's photo file.
    pub fn photo(&self, g: &Generated) -> Option<Vec<u8>> {
        let index = g.registration_no.bytes().fold(0usize, |h, b| {
            h.wrapping_mul(31).wrapping_add(usize::from(b))
        });
        let base = match g.photo_kind {
            PhotoKind::None => return None,
            PhotoKind::NotJpeg => return Some(bmp(120, 160)),
            PhotoKind::Grey => &self.grey,
            PhotoKind::Small => &self.small,
            PhotoKind::Normal | PhotoKind::Large => &self.white[index % self.white.len()],
        };
        Some(with_comment(base, &g.registration_no, g.photo_bytes))
    }
}

/// A head-and-shoulders figure on a background of the given lightness, with sensor noise.
fn portrait(w: u16, h: u16, background: u8, rng: &mut fastrand::Rng) -> Vec<u8> {
    let (wf, hf) = (f32::from(w), f32::from(h));
    let skin = [
        200 + rng.u8(0..30),
        160 + rng.u8(0..30),
        130 + rng.u8(0..30),
    ];
    let cloth = [rng.u8(20..90), rng.u8(20..90), rng.u8(40..120)];
    let mut px = vec![0u8; usize::from(w) * usize::from(h) * 3];
    for y in 0..usize::from(h) {
        for x in 0..usize::from(w) {
            let (fx, fy) = (x as f32 / wf, y as f32 / hf);
            let head = ((fx - 0.5) / 0.2).powi(2) + ((fy - 0.38) / 0.2).powi(2) < 1.0;
            let body = fy > 0.62 && (fx - 0.5).abs() < (fy - 0.5) * 1.4;
            let (base, noise) = if head {
                (skin, 18)
            } else if body {
                (cloth, 14)
            } else {
                ([background; 3], 4)
            };
            let i = (y * usize::from(w) + x) * 3;
            for c in 0..3 {
                px[i + c] = base[c].saturating_sub(rng.u8(0..noise));
            }
        }
    }
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 80)
        .encode(&px, w, h, jpeg_encoder::ColorType::Rgb)
        .expect("encoding into memory");
    out
}

/// Inserts COM segments after the SOI marker: the registration number, then padding to
/// `target` bytes. Decoders skip comments, so the image is unchanged.
pub fn with_comment(jpeg: &[u8], text: &str, target: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(target.max(jpeg.len()) + 64);
    out.extend_from_slice(&jpeg[..2]);
    let mut push = |data: &[u8]| {
        out.extend_from_slice(&[0xFF, 0xFE]);
        out.extend_from_slice(&((data.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(data);
    };
    push(text.as_bytes());
    let mut missing = target.saturating_sub(jpeg.len() + text.len() + 4);
    while missing > 4 {
        let n = (missing - 4).min(65_000);
        push(&vec![b' '; n]);
        missing = missing.saturating_sub(n + 4);
    }
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A small grey BMP: what a candidate uploads when they send the wrong kind of file.
fn bmp(w: u32, h: u32) -> Vec<u8> {
    let row = (w * 3).div_ceil(4) * 4;
    let size = 54 + row * h;
    let mut b = Vec::with_capacity(size as usize);
    b.extend_from_slice(b"BM");
    b.extend_from_slice(&size.to_le_bytes());
    b.extend_from_slice(&[0, 0, 0, 0]);
    b.extend_from_slice(&54u32.to_le_bytes());
    b.extend_from_slice(&40u32.to_le_bytes());
    b.extend_from_slice(&w.to_le_bytes());
    b.extend_from_slice(&h.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&24u16.to_le_bytes());
    b.extend_from_slice(&[0; 24]);
    b.resize(size as usize, 200);
    b
}

/// A staff member's name (an invigilator, a site's chief) as the generator draws them.
pub fn staff_name(rng: &mut fastrand::Rng) -> String {
    format!(
        "{}{}{}",
        SURNAMES[rng.usize(..SURNAMES.len())],
        GIVEN[rng.usize(..GIVEN.len())],
        GIVEN[rng.usize(..GIVEN.len())]
    )
}

/// A JPEG to stand for an evidence photo taken in the room (640 x 480).
pub fn evidence_photo(seed: u64) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed);
    portrait(640, 480, 120 + rng.u8(0..60), &mut rng)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::photos::{border_lightness, fingerprint_bytes};
    use crate::model::id_number;

    #[test]
    fn deterministic_and_every_kind_planted() {
        let a = applications(40, 7, 0.0);
        let b = applications(40, 7, 0.0);
        assert_eq!(
            a.iter().map(|g| &g.id_number).collect::<Vec<_>>(),
            b.iter().map(|g| &g.id_number).collect::<Vec<_>>()
        );
        for p in Plant::ALL {
            assert!(a.iter().any(|g| g.plant == Some(p)), "{p:?} not planted");
        }
        let today = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
        for g in a.iter().filter(|g| g.plant != Some(Plant::CheckDigit)) {
            assert!(
                id_number::check(&g.id_number, today).is_ok(),
                "{}",
                g.id_number
            );
        }
    }

    #[test]
    fn every_area_has_a_senior_candidate_and_long_names_come_early() {
        let mut a = applications(40, 7, 0.0);
        let plain = a.clone();
        vary_for_exam_day(&mut a);
        for (area, ..) in AREAS {
            assert!(
                a.iter()
                    .any(|g| g.exam_area == *area && g.level == "高级" && g.plant.is_none()),
                "no clean 高级 candidate in {area}"
            );
        }
        for name in LONG_NAMES {
            assert!(a.iter().any(|g| g.name == *name), "{name}");
        }
        let today = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
        for (g, p) in a.iter().zip(&plain) {
            // A moved row is still a valid candidate of its new area; planted ones untouched.
            if g.plant.is_none() {
                let info = id_number::check(&g.id_number, today).unwrap();
                assert_eq!(info.birth_date, g.birth_date, "{}", g.registration_no);
                let region = AREAS.iter().find(|a| a.0 == g.exam_area).unwrap().1;
                assert!(g.id_number.starts_with(region), "{}", g.id_number);
            } else if g.plant != Some(Plant::DuplicateId) {
                assert_eq!(g.id_number, p.id_number);
            }
        }
        // The planted duplicate still duplicates.
        let dup = a
            .iter()
            .find(|g| g.plant == Some(Plant::DuplicateId))
            .unwrap();
        assert_eq!(
            a.iter().filter(|g| g.id_number == dup.id_number).count(),
            2,
            "{}",
            dup.id_number
        );
    }

    #[test]
    fn photos_are_real_jpegs_of_the_drawn_size() {
        let pool = PhotoPool::new(1);
        let mut a = applications(30, 3, 0.0);
        a[0].photo_bytes = 31_000;
        let bytes = pool.photo(&a[0]).unwrap();
        assert_eq!(bytes.len(), 31_000);
        let f = fingerprint_bytes(&bytes);
        assert_eq!((f.format.as_str(), f.width, f.height), ("jpeg", 295, 413));
        assert!(border_lightness(&bytes).unwrap() > 230);
        let other = pool.photo(&a[1]).unwrap();
        assert_ne!(
            fingerprint_bytes(&other).hash,
            f.hash,
            "every candidate's file differs"
        );
        let grey = a
            .iter()
            .find(|g| g.plant == Some(Plant::PhotoGrey))
            .unwrap();
        assert!(border_lightness(&pool.photo(grey).unwrap()).unwrap() < 180);
        let bmp = a
            .iter()
            .find(|g| g.plant == Some(Plant::PhotoNotJpeg))
            .unwrap();
        assert_eq!(fingerprint_bytes(&pool.photo(bmp).unwrap()).format, "bmp");
    }
}
