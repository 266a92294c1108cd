//! Writes samples/: a realistic 2026H2 session for 云南 as an office receives it. The plan
//! and the fees come as XLSX with a title row above the header (as office spreadsheets do);
//! the sites as a GBK CSV with CRLF line ends (as Excel on Chinese Windows saves CSV).
//!
//! Run from the project root: cargo run --example write_samples

use std::error::Error;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, Workbook};

type Res<T = ()> = Result<T, Box<dyn Error>>;

/// An hour and a minute.
type Hm = (u16, u8);

/// (场次, date (day of November 2026), start, end)
const SITTINGS: &[(&str, u8, Hm, Hm)] = &[
    ("第1场", 7, (8, 30), (12, 30)),
    ("第2场", 7, (14, 30), (16, 30)),
    ("第3场", 8, (8, 30), (12, 30)),
    ("第4场", 8, (14, 30), (16, 30)),
    ("第5场", 9, (8, 30), (12, 30)),
    ("第6场", 9, (14, 30), (18, 30)),
    ("第7场", 10, (8, 30), (12, 30)),
    ("第8场", 10, (14, 30), (18, 30)),
];

/// (level, qualification, code, sitting of the first subjects, sitting of 论文)
type Qualification<'a> = (&'a str, &'a str, &'a str, &'a str, Option<&'a str>);
const QUALIFICATIONS: &[Qualification] = &[
    ("高级", "信息系统项目管理师", "11", "第1场", Some("第2场")),
    ("高级", "系统规划与管理师", "12", "第1场", Some("第2场")),
    ("高级", "系统架构设计师", "13", "第3场", Some("第4场")),
    ("高级", "网络规划设计师", "14", "第3场", Some("第4场")),
    ("中级", "软件设计师", "21", "第5场", None),
    ("中级", "电子商务设计师", "22", "第5场", None),
    ("中级", "信息系统监理师", "23", "第5场", None),
    ("中级", "网络工程师", "24", "第6场", None),
    ("中级", "信息安全工程师", "25", "第6场", None),
    ("中级", "嵌入式系统设计师", "26", "第6场", None),
    ("中级", "系统集成项目管理工程师", "27", "第7场", None),
    ("初级", "程序员", "31", "第7场", None),
    ("初级", "网络管理员", "32", "第8场", None),
    ("初级", "信息处理技术员", "33", "第8场", None),
];

fn sitting(label: &str) -> (u8, Hm, Hm) {
    let s = SITTINGS
        .iter()
        .find(|s| s.0 == label)
        .expect("known sitting");
    (s.1, s.2, s.3)
}

fn fixed_properties() -> Res<DocProperties> {
    // A fixed creation time keeps the sample files byte-stable between runs.
    Ok(DocProperties::new()
        .set_author("云南省计算机技术与软件专业技术资格考试办公室")
        .set_creation_datetime(&ExcelDateTime::from_ymd(2026, 7, 1)?))
}

/// A sheet as offices lay it out: a bold, centred title merged over the columns in row 1,
/// the bold header in row 2.
fn title_and_header(ws: &mut rust_xlsxwriter::Worksheet, title: &str, headers: &[&str]) -> Res {
    let title_format = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center);
    ws.merge_range(0, 0, 0, headers.len() as u16 - 1, title, &title_format)?;
    let bold = Format::new().set_bold();
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(1, c as u16, *h, &bold)?;
    }
    Ok(())
}

fn write_plan(path: &str) -> Res {
    let mut wb = Workbook::new();
    wb.set_properties(&fixed_properties()?);
    let ws = wb.add_worksheet().set_name("考试计划")?;
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let time = Format::new().set_num_format("hh:mm");
    title_and_header(
        ws,
        "2026年下半年云南省计算机技术与软件专业技术资格（水平）考试 考试计划",
        &[
            "级别",
            "资格名称",
            "资格代码",
            "科目",
            "场次",
            "考试日期",
            "开始时间",
            "结束时间",
        ],
    )?;
    let mut row = 2u32;
    for (level, name, code, first, essay) in QUALIFICATIONS {
        let subjects: &[(&str, &str)] = if *level == "高级" {
            &[
                ("综合知识", first),
                ("案例分析", first),
                ("论文", essay.expect("高级 has 论文")),
            ]
        } else {
            &[("基础知识", first), ("应用技术", first)]
        };
        for (subject, label) in subjects {
            let (day, (sh, sm), (eh, em)) = sitting(label);
            ws.write_string(row, 0, *level)?;
            ws.write_string(row, 1, *name)?;
            ws.write_string(row, 2, *code)?;
            ws.write_string(row, 3, *subject)?;
            ws.write_string(row, 4, *label)?;
            ws.write_datetime_with_format(row, 5, &ExcelDateTime::from_ymd(2026, 11, day)?, &date)?;
            ws.write_datetime_with_format(row, 6, &ExcelDateTime::from_hms(sh, sm, 0)?, &time)?;
            ws.write_datetime_with_format(row, 7, &ExcelDateTime::from_hms(eh, em, 0)?, &time)?;
            row += 1;
        }
    }
    for (c, w) in [6.0, 24.0, 9.0, 10.0, 8.0, 12.0, 9.0, 9.0]
        .iter()
        .enumerate()
    {
        ws.set_column_width(c as u16, *w)?;
    }
    ws.set_freeze_panes(2, 0)?;
    wb.save(path)?;
    Ok(())
}

fn write_fees(path: &str) -> Res {
    let mut wb = Workbook::new();
    wb.set_properties(&fixed_properties()?);
    let ws = wb.add_worksheet().set_name("收费标准")?;
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let money = Format::new().set_num_format("0.00");
    title_and_header(
        ws,
        "云南省计算机软件资格考试收费标准（元/科）",
        &[
            "地区",
            "级别",
            "资格名称",
            "科目",
            "金额",
            "生效日期",
            "失效日期",
        ],
    )?;
    // (地区, 级别, 资格名称, 科目, 金额, 生效, 失效)
    #[allow(clippy::items_after_statements)]
    type Fee<'a> = (
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        f64,
        (u16, u8, u8),
        Option<(u16, u8, u8)>,
    );
    let rows: &[Fee] = &[
        ("全省", "初级", "", "", 45.0, (2026, 1, 1), None),
        (
            "云南",
            "中级",
            "",
            "",
            45.0,
            (2025, 1, 1),
            Some((2025, 12, 31)),
        ),
        ("云南", "中级", "", "", 50.0, (2026, 1, 1), None),
        (
            "云南",
            "中级",
            "信息安全工程师",
            "",
            55.0,
            (2026, 1, 1),
            None,
        ),
        ("云南", "高级", "", "", 60.0, (2026, 1, 1), None),
        ("云南", "高级", "", "论文", 70.0, (2026, 1, 1), None),
        ("昆明", "中级", "", "", 57.5, (2026, 1, 1), None),
    ];
    for (i, (region, level, qual, subject, amount, from, to)) in rows.iter().enumerate() {
        let r = i as u32 + 2;
        ws.write_string(r, 0, *region)?;
        ws.write_string(r, 1, *level)?;
        ws.write_string(r, 2, *qual)?;
        ws.write_string(r, 3, *subject)?;
        ws.write_number_with_format(r, 4, *amount, &money)?;
        ws.write_datetime_with_format(
            r,
            5,
            &ExcelDateTime::from_ymd(from.0, from.1, from.2)?,
            &date,
        )?;
        if let Some(to) = to {
            ws.write_datetime_with_format(
                r,
                6,
                &ExcelDateTime::from_ymd(to.0, to.1, to.2)?,
                &date,
            )?;
        }
    }
    for (c, w) in [8.0, 6.0, 18.0, 8.0, 8.0, 12.0, 12.0].iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    wb.save(path)?;
    Ok(())
}

fn write_sites(path: &str) -> Res {
    // (考区, 考点代码, 考点名称, 考点地址, rooms, seats per room). Codes as offices write
    // them: nine digits of county and number (昆明), letters and digits (丽江, 大理), three
    // digits; a site name and address as long as real ones run (丽江 LJ01).
    let sites: &[(&str, &str, &str, &str, u32, u32)] = &[
        (
            "昆明",
            "530102001",
            "云南大学呈贡校区",
            "昆明市呈贡区大学城东外环南路2号",
            10,
            40,
        ),
        (
            "昆明",
            "530102002",
            "昆明理工大学莲华校区",
            "昆明市五华区学府路253号",
            8,
            40,
        ),
        (
            "昆明",
            "530102003",
            "云南财经大学",
            "昆明市盘龙区龙泉路237号",
            6,
            30,
        ),
        (
            "曲靖",
            "001",
            "曲靖师范学院",
            "曲靖市麒麟区三江大道222号",
            4,
            30,
        ),
        (
            "玉溪",
            "001",
            "玉溪师范学院",
            "玉溪市红塔区凤凰路134号",
            3,
            30,
        ),
        ("红河", "001", "红河学院", "蒙自市学府路1号", 3, 30),
        (
            "大理",
            "DL01",
            "大理大学古城校区",
            "大理市古城区弘圣路2号",
            4,
            30,
        ),
        (
            "丽江",
            "LJ01",
            "云南大学旅游文化学院考点（丽江校区）",
            "云南省丽江市古城区金山白族乡文化路1号云南大学旅游文化学院丽江校区第二教学楼",
            2,
            30,
        ),
        (
            "丽江",
            "LJ02",
            "丽江师范学院考点",
            "丽江市古城区祥和路2号",
            1,
            30,
        ),
    ];
    let mut text = String::from("考区,考点代码,考点名称,考点地址,考场号,座位数,停用座位\r\n");
    for (area, code, name, address, rooms, seats) in sites {
        for room in 1..=*rooms {
            // A few machines are out of order, as in every lab.
            let disabled = match (room % 4, area) {
                (1, &"昆明") => "\"5,17\"",
                (2, _) => "30",
                _ => "",
            };
            text.push_str(&format!(
                "{area},{code},{name},{address},{room:02},{seats},{disabled}\r\n"
            ));
        }
    }
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable, "every sample character exists in GBK");
    std::fs::write(path, bytes)?;
    Ok(())
}

fn main() -> Res {
    std::fs::create_dir_all("samples")?;
    write_plan("samples/plan.xlsx")?;
    write_fees("samples/fees.xlsx")?;
    write_sites("samples/sites.csv")?;
    println!("wrote samples/plan.xlsx, samples/fees.xlsx, samples/sites.csv");
    Ok(())
}
