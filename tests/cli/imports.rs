//! `kaowu import plan|sites|fees`: the samples as offices send them, re-imports, dry runs,
//! and bad files whose every problem is named with its place while nothing is written.

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

use crate::common::{Env, backends, s, sample};

#[test]
fn samples_import_on_every_backend() {
    for env in backends() {
        env.ok(&["session", "create", "2026H2", "--province", "云南"]);
        let plan = env.json(&["import", "plan", s(&sample("plan.xlsx"))]);
        // The title row above the header is skipped; dates and times are Excel cells.
        assert_eq!(plan["sheet"], "考试计划");
        assert_eq!(
            (plan["rows"].as_u64(), plan["added"].as_u64()),
            (Some(32), Some(32)),
            "{plan}"
        );
        let sites = env.json(&["import", "sites", s(&sample("sites.csv"))]);
        assert_eq!(
            sites["encoding"], "GBK/GB18030",
            "the sample is a GBK CSV: {sites}"
        );
        assert_eq!(sites["added"], 41);
        let fees = env.json(&["import", "fees", s(&sample("fees.xlsx"))]);
        assert_eq!(fees["added"], 7);
        let c = env.counts();
        for (k, v) in [
            ("qualifications", 14),
            ("plan_subjects", 32),
            ("sittings", 8),
            ("fees", 7),
            ("exam_areas", 6),
            ("sites", 9),
            ("rooms", 41),
            ("seats", 1410),
            ("usable_seats", 1384),
        ] {
            assert_eq!(c[k], v, "[{}] {k}: {c}", env.backend);
        }
    }
}

#[test]
fn reimporting_changes_nothing_and_duplicates_nothing() {
    for env in backends() {
        env.with_samples();
        let before = env.counts();
        for (kind, file, rows) in [
            ("plan", "plan.xlsx", 32),
            ("sites", "sites.csv", 41),
            ("fees", "fees.xlsx", 7),
        ] {
            let r = env.json(&["import", kind, s(&sample(file))]);
            assert_eq!(
                (
                    r["added"].as_u64(),
                    r["changed"].as_u64(),
                    r["unchanged"].as_u64()
                ),
                (Some(0), Some(0), Some(rows)),
                "{r}"
            );
        }
        assert_eq!(env.counts(), before);
    }
}

#[test]
fn dry_run_shows_what_would_change_and_writes_nothing() {
    for env in backends() {
        env.ok(&["session", "create", "2026H2", "--province", "云南"]);
        let out = env.ok(&["import", "plan", s(&sample("plan.xlsx")), "--dry-run"]);
        assert!(out.contains("dry run, nothing written"), "{out}");
        assert!(out.contains("would add 32"), "{out}");
        assert!(out.contains("+ 电子商务设计师 基础知识"), "{out}");
        assert_eq!(env.counts()["plan_subjects"], 0);
    }
}

#[test]
fn a_changed_row_is_updated_and_reported() {
    for env in backends() {
        env.with_samples();
        let text = std::fs::read(sample("sites.csv")).unwrap();
        let (text, _, _) = encoding_rs::GBK.decode(&text);
        // Room 01 of 丽江师范学院考点 loses five seats.
        let changed = text.replace(
            "丽江市古城区祥和路2号,01,30,",
            "丽江市古城区祥和路2号,01,25,",
        );
        assert_ne!(changed, text);
        let f = env.write_gbk("sites.csv", &changed);
        let out = env.ok(&["import", "sites", s(&f), "--dry-run"]);
        assert!(out.contains("would change 1"), "{out}");
        assert!(
            out.contains("丽江 LJ02 丽江师范学院考点 第1考场: 座位数: 30 -> 25"),
            "{out}"
        );
        assert_eq!(env.counts()["seats"], 1410);
        let r = env.json(&["import", "sites", s(&f)]);
        assert_eq!(
            (r["changed"].as_u64(), r["unchanged"].as_u64()),
            (Some(1), Some(40))
        );
        assert_eq!(env.counts()["seats"], 1405);
    }
}

#[test]
fn headers_in_english_with_bom_and_extra_columns() {
    for env in backends() {
        env.ok(&["session", "create", "2026H2", "--province", "云南"]);
        let f = env.write(
            "sites-en.csv",
            "\u{FEFF}Remarks,room,exam_area,site_code,Site Name,address,seats,disabled_seats\n\
             new,１,丽江,００１,丽江一中,古城区,３０,5、17\n",
        );
        let out = env
            .kaowu()
            .args(["import", "sites", s(&f)])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("warning: {}: ignored columns", f.display()))
                && stderr.contains("Remarks"),
            "{stderr}"
        );
        let c = env.counts();
        // Full-width digits were folded; two seats are switched off.
        assert_eq!(
            (
                c["rooms"].as_u64(),
                c["seats"].as_u64(),
                c["usable_seats"].as_u64()
            ),
            (Some(1), Some(30), Some(28))
        );
    }
}

/// Writes a fees workbook with a title row, as the sample, with the given rows.
fn fees_xlsx(env: &Env, rows: &[[&str; 7]]) -> std::path::PathBuf {
    let path = env.path("fees.xlsx");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("收费标准").unwrap();
    ws.merge_range(0, 0, 0, 6, "收费标准", &Format::new())
        .unwrap();
    for (c, h) in [
        "地区",
        "级别",
        "资格名称",
        "科目",
        "金额",
        "生效日期",
        "失效日期",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(1, c as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (r, c) = (r as u32 + 2, c as u16);
            if c == 4
                && let Ok(n) = v.parse::<f64>()
            {
                ws.write_number(r, c, n).unwrap();
            } else if c >= 5 && v.len() == 10 && v.as_bytes()[4] == b'-' {
                let d = ExcelDateTime::parse_from_str(v).unwrap();
                ws.write_datetime_with_format(
                    r,
                    c,
                    &d,
                    &Format::new().set_num_format("yyyy-mm-dd"),
                )
                .unwrap();
            } else if !v.is_empty() {
                ws.write_string(r, c, *v).unwrap();
            }
        }
    }
    wb.save(&path).unwrap();
    path
}

#[test]
fn a_bad_fees_workbook_names_every_cell_and_writes_nothing() {
    for env in backends() {
        env.ok(&["session", "create", "2026H2", "--province", "云南"]);
        env.ok(&["import", "plan", s(&sample("plan.xlsx"))]);
        env.ok(&["import", "sites", s(&sample("sites.csv"))]);
        let f = fees_xlsx(
            &env,
            &[
                ["云南", "中级", "", "", "50", "2026-01-01", ""],
                ["云南", "高级", "", "", "60", "2026-01-01", ""],
                ["昆明", "中级", "", "", "57.5", "2026-01-01", ""],
                ["丽江", "初级", "", "", "45.005", "2026-01-01", ""],
                ["云南", "初级", "", "", "五十", "2026-01-01", ""],
                ["北京", "中级", "", "", "50", "2026-01-01", ""],
                ["云南", "中级", "", "", "50", "2026-06-01", ""],
                ["云南", "特级", "", "", "50", "2026-01-01", ""],
                ["云南", "中级", "架构师", "", "50", "2026-01-01", ""],
                ["云南", "高级", "", "论文", "70", "2026-01-01", "2025-12-31"],
                ["云南", "中级", "", "", "", "明天", ""],
            ],
        );
        let err = env.fails(1, &["import", "fees", s(&f)]);
        for expected in [
            "fees.xlsx: 9 problems; nothing was written",
            "fees.xlsx[收费标准]!E6: 金额: expected an amount in yuan like 57.50, found \"45.005\"",
            "fees.xlsx[收费标准]!E7: 金额: expected an amount in yuan like 57.50, found \"五十\"",
            "fees.xlsx[收费标准]!A8: 地区: 北京 is neither the province (云南), 全省, nor an exam area (考区) of the session: 丽江, 大理, 昆明, 曲靖, 玉溪, 红河",
            "fees.xlsx[收费标准]!F9: 生效日期: 云南 / 中级 / all qualifications / all subjects from 2026-06-01 overlaps row 3 (from 2026-01-01)",
            "fees.xlsx[收费标准]!B10: 级别: expected 初级, 中级 or 高级",
            "fees.xlsx[收费标准]!C11: 资格名称: 架构师 is not in the session's plan",
            "fees.xlsx[收费标准]!G12: 失效日期: the fee ends on 2025-12-31, before it takes effect on 2026-01-01",
            "fees.xlsx[收费标准]!E13: 金额: a value is required here, found an empty cell",
            "fees.xlsx[收费标准]!F13: 生效日期: expected a date like 2026-10-24, 2026/10/24 or 2026年10月24日, found \"明天\"",
        ] {
            assert!(
                err.contains(expected),
                "[{}] missing «{expected}» in:\n{err}",
                env.backend
            );
        }
        assert_eq!(env.counts()["fees"], 0, "nothing may be written");
    }
}

#[test]
fn a_bad_gbk_sites_file_names_rows_and_writes_nothing() {
    for env in backends() {
        env.ok(&["session", "create", "2026H2", "--province", "云南"]);
        let mut text = String::from(
            "云南省2026年下半年考点考场安排表\n考区,考点代码,考点名称,考点地址,考场号,座位数,停用座位\n",
        );
        for room in 1..=11 {
            text.push_str(&format!("丽江,001,丽江一中,古城区福慧路,{room:02},30,\n"));
        }
        text.push_str("丽江,001,丽江一中,古城区福慧路,12,三十,\n"); // line 14
        text.push_str("丽江,001,丽江二中,古城区福慧路,13,30,\n"); // line 15: 001 is 丽江一中
        text.push_str("丽江,002,丽江三中,古城区长水路,01,30,31\n"); // line 16
        text.push_str("丽江,002,丽江三中,古城区长水路,01,30,\n"); // line 17: room twice
        text.push_str("丽江,003,丽江四中,古城区,02,0,\n"); // line 18
        let f = env.write_gbk("sites.csv", &text);
        let err = env.fails(1, &["import", "sites", s(&f)]);
        for expected in [
            "sites.csv:14: 座位数: expected a whole number like 30, found \"三十\"",
            "sites.csv:15: 考点名称: site 001 of 丽江 is called 丽江一中 in row 3; a site code names one site in an exam area",
            "sites.csv:16: 停用座位: seat 31 is switched off, but room 1 has only 30 seats",
            "sites.csv:17: 考场号: room 1 of site 002 is already listed in row 16",
            "sites.csv:18: 座位数: expected at least 1 seat, found 0",
        ] {
            assert!(
                err.contains(expected),
                "[{}] missing «{expected}» in:\n{err}",
                env.backend
            );
        }
        assert_eq!(env.counts()["rooms"], 0);
    }
}

#[test]
fn a_bad_plan_names_the_rule_it_breaks() {
    for env in backends() {
        env.ok(&["session", "create", "2026H2", "--province", "云南"]);
        let f = env.write(
            "plan.csv",
            "级别,资格名称,科目,场次,考试日期,开始时间,结束时间\n\
             中级,软件设计师,基础知识,第1场,2026-11-07,08:30,12:30\n\
             中级,软件设计师,应用技术,第2场,2026-11-07,14:30,18:30\n\
             中级,软件设计师,论文,第1场,2026-11-07,08:30,12:30\n\
             高级,系统架构设计师,综合知识,第3场,2026-11-08,08:30,12:30\n\
             高级,系统架构设计师,案例分析,第3场,2026-11-08,08:30,12:30\n\
             高级,系统架构设计师,论文,第4场,2026-11-08,11:00,13:00\n\
             初级,程序员,基础知识,第3场,2026-11-09,08:30,12:30\n\
             中级,程序员,应用技术,第3场,2026-11-08,08:30,12:30\n",
        );
        let err = env.fails(1, &["import", "plan", s(&f)]);
        for expected in [
            "plan.csv:3: 场次: 软件设计师 应用技术 must be in the same sitting as 基础知识 (row 2: 第1场), as they are taken back to back",
            "plan.csv:4: 科目: \"论文\" is not a subject of 中级 qualifications; allowed: 基础知识, 应用技术",
            "plan.csv:7: 开始时间: 系统架构设计师: sitting 第4场 (2026-11-08 11:00-13:00) overlaps sitting 第3场 (2026-11-08 08:30-12:30, row 5)",
            "plan.csv:8: 考试日期: sitting 第3场 is 2026-11-08 08:30-12:30 in row 5 but 2026-11-09 08:30-12:30 here",
            "plan.csv:9: 级别: 程序员 is 初级 in row 8 but 中级 here; a qualification has exactly one level",
        ] {
            assert!(
                err.contains(expected),
                "[{}] missing «{expected}» in:\n{err}",
                env.backend
            );
        }
        assert_eq!(env.counts()["plan_subjects"], 0);

        let f = env.write(
            "plan2.csv",
            "级别,资格名称,科目,场次,考试日期,开始时间,结束时间\n高级,系统架构设计师,综合知识,第3场,2026年11月8日,8:30,12:30\n",
        );
        let err = env.fails(1, &["import", "plan", s(&f)]);
        assert!(
            err.contains("plan2.csv:2: 科目: 系统架构设计师 has no row for 案例分析, 论文; 高级 qualifications are examined in 综合知识, 案例分析, 论文"),
            "{err}"
        );
    }
}

#[test]
fn files_that_cannot_be_read_say_why() {
    let env = Env::sqlite();
    env.ok(&["session", "create", "2026H2", "--province", "云南"]);
    let err = env.fails(
        1,
        &[
            "import",
            "sites",
            s(&sample("sites.csv")),
            "--encoding",
            "utf-8",
        ],
    );
    assert!(
        err.contains("sites.csv: not valid UTF-8") && err.contains("--encoding gbk"),
        "{err}"
    );
    let f = env.write("x.csv", "考区,考点代码,考点名称,考场号\n丽江,001,一中,1\n");
    let err = env.fails(1, &["import", "sites", s(&f)]);
    assert!(
        err.contains("x.csv:1: the header row has no column 考点地址 (address), 座位数 (seats)"),
        "{err}"
    );
    let f = env.write("y.csv", "姓名,金额\n张三,1\n");
    let err = env.fails(1, &["import", "plan", s(&f)]);
    assert!(
        err.contains("y.csv: no header row found in the first 20 rows"),
        "{err}"
    );
    let err = env.fails(
        1,
        &[
            "import",
            "plan",
            s(&sample("plan.xlsx")),
            "--sheet",
            "Sheet9",
        ],
    );
    assert!(
        err.contains("no sheet named \"Sheet9\"; the workbook has: 考试计划"),
        "{err}"
    );
    let f = env.write("z.pdf", "x");
    let err = env.fails(1, &["import", "plan", s(&f)]);
    assert!(err.contains("unknown file type .pdf"), "{err}");
    let err = env.fails(2, &["import", "plan", "missing.xlsx"]);
    assert!(err.contains("missing.xlsx: cannot open"), "{err}");
}

#[test]
fn fees_must_not_overlap_what_is_stored() {
    for env in backends() {
        env.with_samples();
        let f = env.write(
            "more-fees.csv",
            "地区,级别,金额,生效日期\n云南,初级,48,2026-10-01\n",
        );
        let err = env.fails(1, &["import", "fees", s(&f)]);
        assert!(
            err.contains(&format!("{}:2: 生效日期: 云南 / 初级 / all qualifications / all subjects from 2026-10-01 overlaps the stored fee from 2026-01-01 (imported from {}[收费标准]!3)", f.display(), sample("fees.xlsx").display())),
            "{err}"
        );
        // Ending the old period first makes room for the new one.
        let f = env.write(
            "more-fees.csv",
            "地区,级别,金额,生效日期,失效日期\n全省,初级,45,2026-01-01,2026-09-30\n云南,初级,48,2026-10-01,\n",
        );
        let r = env.json(&["import", "fees", s(&f)]);
        assert_eq!(
            (
                r["added"].as_u64(),
                r["changed"].as_u64(),
                r["kept"].as_u64()
            ),
            (Some(1), Some(1), Some(6)),
            "{r}"
        );
    }
}

/// Writes a minimal OpenDocument spreadsheet, as LibreOffice and WPS save one: dates as
/// `office:date-value`, times as `office:time-value` durations.
fn write_ods(path: &std::path::Path, sheet: &str, rows: &[Vec<(&str, &str)>]) {
    use std::io::Write;
    let mut body = String::new();
    for row in rows {
        body.push_str("<table:table-row>");
        for (kind, v) in row {
            body.push_str(&match *kind {
                "date" => format!(r#"<table:table-cell office:value-type="date" office:date-value="{v}"><text:p>{v}</text:p></table:table-cell>"#),
                "time" => format!(r#"<table:table-cell office:value-type="time" office:time-value="{v}"><text:p>{v}</text:p></table:table-cell>"#),
                _ => format!(r#"<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>"#),
            });
        }
        body.push_str("</table:table-row>");
    }
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="{sheet}">{body}</table:table></office:spreadsheet></office:body></office:document-content>"#
    );
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    z.start_file("mimetype", stored).unwrap();
    z.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    z.start_file("META-INF/manifest.xml", stored).unwrap();
    z.write_all(manifest.as_bytes()).unwrap();
    z.start_file("content.xml", stored).unwrap();
    z.write_all(content.as_bytes()).unwrap();
    z.finish().unwrap();
}

#[test]
fn an_ods_plan_with_date_and_time_cells() {
    let env = Env::sqlite();
    env.ok(&["session", "create", "2026H2", "--province", "云南"]);
    let path = env.path("plan.ods");
    let t = |v| ("text", v);
    let mut rows = vec![
        vec![t("2026年下半年考试计划")],
        vec![
            t("级别"),
            t("资格名称"),
            t("科目"),
            t("场次"),
            t("考试日期"),
            t("开始时间"),
            t("结束时间"),
        ],
    ];
    for subject in ["基础知识", "应用技术"] {
        rows.push(vec![
            t("初级"),
            t("程序员"),
            t(subject),
            t("第7场"),
            ("date", "2026-11-10"),
            ("time", "PT08H30M00S"),
            ("time", "PT12H30M00S"),
        ]);
    }
    write_ods(&path, "计划", &rows);
    let r = env.json(&["import", "plan", s(&path)]);
    assert_eq!(
        (r["sheet"].as_str(), r["added"].as_u64()),
        (Some("计划"), Some(2)),
        "{r}"
    );
    let plan = env.json(&["plan", "list"]);
    assert_eq!(plan[0]["date"], "2026-11-10");
    assert_eq!(
        (plan[0]["start"].as_str(), plan[0]["end"].as_str()),
        (Some("08:30"), Some("12:30"))
    );
}

/// Every import that changes the database leaves a record of its file with the file's
/// SHA-256, so that an office can tell later which export went in.
#[test]
fn each_import_records_its_file_and_sha256() {
    use sha2::{Digest, Sha256};
    for env in backends() {
        env.with_samples();
        env.ok(&[
            "import",
            "applications",
            s(&sample("applications.csv")),
            "--photos",
            s(&sample("photos")),
        ]);
        let sql = "SELECT kind, file, sha256 FROM imports ORDER BY id";
        let recorded: Vec<(String, String, String)> = crate::common::block_on(async {
            let db = kaowu::db::Db::connect(&env.url).await.unwrap();
            let mut tx = db.begin().await.unwrap();
            let rows = match &mut tx {
                kaowu::db::Tx::Sqlite(t) => sqlx::query_as(sql).fetch_all(&mut **t).await,
                kaowu::db::Tx::Postgres(t) => sqlx::query_as(sql).fetch_all(&mut **t).await,
            };
            drop(tx);
            db.close().await;
            rows.unwrap()
        });
        let expected: Vec<(String, String, String)> = [
            ("plan", "plan.xlsx"),
            ("sites", "sites.csv"),
            ("fees", "fees.xlsx"),
            ("applications", "applications.csv"),
        ]
        .into_iter()
        .map(|(kind, name)| {
            let path = sample(name);
            let sha = format!("{:x}", Sha256::digest(std::fs::read(&path).unwrap()));
            (kind.to_string(), path.display().to_string(), sha)
        })
        .collect();
        assert_eq!(recorded, expected, "[{}]", env.backend);
    }
}
