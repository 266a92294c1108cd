//! `kaowu samples generate`: a synthetic session for demos and benchmarks, in the files an
//! office receives (GBK CSV or XLSX with a title row, a photo folder of JPEGs).

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use rayon::prelude::*;

use super::print_json;
use crate::cli::{GenerateArgs, GlobalArgs, SampleFormat};
use crate::io::atomic;
use crate::io::table::Encoding;
use crate::io::xlsx::{Book, Cell};
use crate::synth::{self, Generated, PhotoPool};

/// The sample plan and fees, built into the binary so that generation works anywhere.
const PLAN_XLSX: &[u8] = include_bytes!("../../samples/plan.xlsx");
const FEES_XLSX: &[u8] = include_bytes!("../../samples/fees.xlsx");

/// The sites of each exam area: (area, code, name, address). Codes as offices write them:
/// nine digits of county and number (昆明), letters and digits (丽江, 大理), three digits;
/// names and addresses as long as real ones run.
const SITES: &[(&str, &str, &str, &str)] = &[
    (
        "昆明",
        "530102001",
        "云南大学呈贡校区",
        "昆明市呈贡区大学城东外环南路2号",
    ),
    (
        "昆明",
        "530102002",
        "昆明理工大学莲华校区",
        "昆明市五华区学府路253号",
    ),
    (
        "昆明",
        "530102003",
        "云南财经大学",
        "昆明市盘龙区龙泉路237号",
    ),
    ("曲靖", "001", "曲靖师范学院", "曲靖市麒麟区三江大道222号"),
    ("玉溪", "001", "玉溪师范学院", "玉溪市红塔区凤凰路134号"),
    ("红河", "001", "红河学院", "蒙自市学府路1号"),
    ("大理", "DL01", "大理大学古城校区", "大理市古城区弘圣路2号"),
    (
        "丽江",
        "LJ01",
        "云南大学旅游文化学院考点（丽江校区）",
        "云南省丽江市古城区金山白族乡文化路1号云南大学旅游文化学院丽江校区第二教学楼",
    ),
    ("丽江", "LJ02", "丽江师范学院考点", "丽江市古城区祥和路2号"),
];

const HEADER: [&str; 24] = [
    "报名序号",
    "姓名",
    "证件类型",
    "证件号码",
    "性别",
    "出生日期",
    "报考级别",
    "报考资格",
    "报考科目",
    "考区",
    "现有职称",
    "工作单位",
    "所在学校",
    "所学专业",
    "学历",
    "学位",
    "毕业时间",
    "通信地址",
    "手机号码",
    "Email",
    "邮政编码",
    "固定电话",
    "照片",
    "提交时间",
];

fn record(g: &Generated) -> [String; 24] {
    [
        g.registration_no.clone(),
        g.name.clone(),
        g.id_type.to_string(),
        g.id_number.clone(),
        g.gender.to_string(),
        g.birth_date.to_string(),
        g.level.to_string(),
        g.qualification.to_string(),
        g.subjects.replace(',', ", "),
        g.exam_area.to_string(),
        g.title.to_string(),
        g.employer.to_string(),
        g.school.to_string(),
        g.major.to_string(),
        g.education.to_string(),
        g.degree.to_string(),
        g.graduation_date.to_string(),
        g.address.clone(),
        g.mobile.clone(),
        g.email.clone(),
        g.postcode.to_string(),
        g.phone.clone(),
        g.photo.clone(),
        g.submitted_at.format("%Y-%m-%d %H:%M:%S").to_string(),
    ]
}

#[derive(serde::Serialize)]
struct Generatedreport {
    out: String,
    applications: usize,
    planted: usize,
    photos: usize,
    photo_bytes: u64,
    files: Vec<String>,
    seconds: f64,
}

pub fn generate(g: &GlobalArgs, a: &GenerateArgs) -> Result<()> {
    let started = Instant::now();
    let out = &a.out;
    std::fs::create_dir_all(out.join("photos"))
        .with_context(|| format!("cannot create {}", out.display()))?;
    let mut apps = synth::applications(a.applications, a.seed, a.invalid);
    synth::vary_for_exam_day(&mut apps);
    let mut files = Vec::new();
    if !a.applications_only {
        atomic::write(&out.join("plan.xlsx"), PLAN_XLSX)?;
        atomic::write(&out.join("fees.xlsx"), FEES_XLSX)?;
        atomic::write(&out.join("sites.csv"), &sites_csv(&apps))?;
        files.extend(["plan.xlsx", "fees.xlsx", "sites.csv"].map(String::from));
    }
    let name = match a.format {
        SampleFormat::Csv => {
            let mut w = csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(Vec::new());
            w.write_record(HEADER)?;
            for g in &apps {
                w.write_record(record(g))?;
            }
            let text = String::from_utf8(w.into_inner()?).expect("UTF-8");
            let bytes = match a.encoding {
                Encoding::Gbk => encoding_rs::GB18030.encode(&text).0.into_owned(),
                Encoding::Utf8 => [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat(),
                Encoding::Utf16 => {
                    anyhow::bail!("--encoding utf-16 is for reading; write gbk or utf-8")
                }
            };
            atomic::write(&out.join("applications.csv"), &bytes)?;
            "applications.csv"
        }
        SampleFormat::Xlsx => {
            write_xlsx(&out.join("applications.xlsx"), &apps)?;
            "applications.xlsx"
        }
    };
    files.push(name.to_string());

    let pool = PhotoPool::new(a.seed);
    let progress = crate::progress::bar(apps.len() as u64, "writing photos");
    // What was written, counted as it is written: with --no-photos, none.
    let written: Vec<u64> = apps
        .par_iter()
        .filter(|_| !a.no_photos)
        .map(|app| -> Result<Option<u64>> {
            progress.inc(1);
            match pool.photo(app) {
                Some(bytes) => {
                    // Whole or not at all; the generator does not wait for the disk per photo.
                    crate::io::atomic::write_unsynced(
                        &out.join("photos").join(&app.photo),
                        &bytes,
                    )?;
                    Ok(Some(bytes.len() as u64))
                }
                None => Ok(None),
            }
        })
        .filter_map(Result::transpose)
        .collect::<Result<_>>()?;
    progress.finish_and_clear();
    let report = Generatedreport {
        out: out.display().to_string(),
        applications: apps.len(),
        planted: apps.iter().filter(|g| g.plant.is_some()).count(),
        photos: written.len(),
        photo_bytes: written.iter().sum(),
        files,
        seconds: (started.elapsed().as_secs_f64() * 100.0).round() / 100.0,
    };
    if g.json {
        return print_json(&report);
    }
    let photos = if a.no_photos {
        "; no photos written (--no-photos)".to_string()
    } else {
        format!(
            ", photos/ ({} photos, {:.1} MB)",
            report.photos,
            report.photo_bytes as f64 / 1e6
        )
    };
    outln!(
        "wrote {} applications ({} with a planted problem) to {} in {:.1} s: {}{photos}",
        report.applications,
        report.planted,
        report.out,
        report.seconds,
        report.files.join(", ")
    )?;
    Ok(())
}

/// The most rooms a generated site holds, about a large school's classrooms. An area that
/// needs more rooms gets more sites, so that site and room numbers stay within the three
/// digits the admit-card number gives each ({site3}, {room3}) at any size of session.
const ROOMS_PER_SITE: usize = 60;

/// Rooms of 30 seats enough for every area's candidates, spread over the area's sites: the
/// real ones of [`SITES`], then as many numbered ones as the rooms need.
fn sites_csv(apps: &[Generated]) -> Vec<u8> {
    let mut text = String::from("考区,考点代码,考点名称,考点地址,考场号,座位数,停用座位,机房\r\n");
    for (area, ..) in synth::AREAS {
        let n = apps.iter().filter(|g| g.exam_area == *area).count();
        let rooms = (n * 115 / 100).div_ceil(30).max(2);
        let mut sites: Vec<(String, String, String)> = SITES
            .iter()
            .filter(|s| s.0 == *area)
            .map(|&(_, code, name, address)| (code.into(), name.into(), address.into()))
            .collect();
        let city = sites[0]
            .2
            .split_inclusive('市')
            .next()
            .unwrap_or(area)
            .to_string();
        // More sites are numbered after the area's real codes: 530102004, DL02, 002.
        let last = sites[sites.len() - 1].0.clone();
        let mut stem = last
            .trim_end_matches(|c: char| c.is_ascii_digit())
            .to_string();
        let mut digits = last.len() - stem.len();
        if stem.is_empty() && digits > 6 {
            // A county's code and a three-digit number.
            stem = last[..digits - 3].to_string();
            digits = 3;
        }
        for k in sites.len()..rooms.div_ceil(ROOMS_PER_SITE) {
            sites.push((
                format!("{stem}{:0digits$}", k + 1),
                format!("{area}考区第{}考点", k + 1),
                format!("{city}学府路{}号", 100 + k),
            ));
        }
        for r in 0..rooms {
            let (code, name, address) = &sites[r % sites.len()];
            let number = r / sites.len() + 1;
            let disabled = if number % 7 == 3 { "30" } else { "" };
            // One room in eight a computer room (机房), for technicians' posts.
            let computer = if number.is_multiple_of(8) { "是" } else { "" };
            text.push_str(&format!(
                "{area},{code},{name},{address},{number:02},30,{disabled},{computer}\r\n"
            ));
        }
    }
    encoding_rs::GB18030.encode(&text).0.into_owned()
}

fn write_xlsx(path: &Path, apps: &[Generated]) -> Result<()> {
    const TITLE: &str = "2026年下半年计算机技术与软件专业技术资格（水平）考试 报名信息";
    let mut book = Book::new();
    let mut sheet = book.sheet("报名信息", TITLE)?;
    // As the portal exports it: a title row above the header.
    sheet.title_line(TITLE)?;
    sheet.header(&HEADER)?;
    for g in apps {
        let record = record(g);
        let cells: Vec<Cell> = record
            .iter()
            .enumerate()
            .map(|(c, v)| match c {
                5 => Cell::Date(g.birth_date),
                23 => Cell::DateTime(g.submitted_at),
                _ => Cell::Text(v),
            })
            .collect();
        sheet.row(&cells)?;
    }
    book.save(path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// At the size the README's `kaowu demo --applications 200000` generates, every room is
    /// numbered within the admit-card number's three digits ({room3}), no site holds more
    /// than ROOMS_PER_SITE rooms, and the seats still outnumber the candidates by 15%.
    #[test]
    fn a_large_session_spreads_its_rooms_over_more_sites() {
        let apps = synth::applications(200_000, 7, 0.05);
        let bytes = sites_csv(&apps);
        let (text, _, bad) = encoding_rs::GB18030.decode(&bytes);
        assert!(!bad);
        let mut rooms: std::collections::HashMap<(String, String), usize> = Default::default();
        let mut seats: std::collections::HashMap<String, usize> = Default::default();
        let mut names: std::collections::HashMap<(String, String), String> = Default::default();
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let room: usize = f[4].parse().unwrap();
            assert!(room <= 999, "{line}");
            *rooms.entry((f[0].into(), f[1].into())).or_default() += 1;
            // 停用座位 lists seat numbers: one here, or none.
            let usable = if f[6].is_empty() { 30 } else { 29 };
            *seats.entry(f[0].into()).or_default() += usable;
            let name = names
                .entry((f[0].into(), f[1].into()))
                .or_insert(f[2].into());
            assert_eq!(name, f[2], "one name per site code");
        }
        assert!(rooms.values().all(|&n| n <= ROOMS_PER_SITE), "{rooms:?}");
        let kunming = rooms.keys().filter(|(a, _)| a == "昆明").count();
        assert!(kunming > 3, "昆明 has {kunming} sites");
        assert!(rooms.contains_key(&("昆明".to_string(), "530102001".to_string())));
        assert!(rooms.contains_key(&("昆明".to_string(), "530102004".to_string())));
        assert!(rooms.contains_key(&("丽江".to_string(), "LJ02".to_string())));
        for (area, ..) in synth::AREAS {
            let n = apps.iter().filter(|g| g.exam_area == *area).count();
            assert!(seats[*area] >= n, "{area}: {} seats for {n}", seats[*area]);
        }
    }

    /// A small session keeps the sample's real sites and nothing else.
    #[test]
    fn a_small_session_uses_the_real_sites() {
        let apps = synth::applications(2_000, 7, 0.05);
        let bytes = sites_csv(&apps);
        let (text, ..) = encoding_rs::GB18030.decode(&bytes);
        let mut codes: Vec<(String, String)> = text
            .lines()
            .skip(1)
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                (f[0].to_string(), f[2].to_string())
            })
            .collect();
        codes.sort();
        codes.dedup();
        let real: Vec<(String, String)> = {
            let mut v: Vec<_> = SITES
                .iter()
                .map(|s| (s.0.to_string(), s.2.to_string()))
                .collect();
            v.sort();
            v
        };
        assert_eq!(codes, real);
    }
}
