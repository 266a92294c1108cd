//! Every workbook kaowu writes is set up to print: A4, fitted to the page width, the header
//! row repeated on every page (print titles), a page header saying what the list is and
//! page numbers in the footer; a posted list's pages name their room and sitting. Checked
//! in the sheets' XML, as Excel and LibreOffice read it. Dates are dates, not text.

use std::io::Read;
use std::path::Path;

use calamine::{Data, Reader, open_workbook_auto};

use crate::common::{Env, s};

fn zip_text(path: &Path, name: &str) -> String {
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut out = String::new();
    z.by_name(name)
        .unwrap_or_else(|_| panic!("{name} is not in {}", path.display()))
        .read_to_string(&mut out)
        .unwrap();
    out
}

/// The text between `<tag>` and `</tag>`, XML escapes undone.
fn element(xml: &str, tag: &str) -> Option<String> {
    let start = xml.find(&format!("<{tag}>"))? + tag.len() + 2;
    let end = start + xml[start..].find(&format!("</{tag}>"))?;
    Some(
        xml[start..end]
            .replace("&amp;", "&")
            .replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">"),
    )
}

/// Each sheet's name and page header, after checking its print setup.
fn print_setup(path: &Path) -> Vec<(String, String)> {
    let workbook = zip_text(path, "xl/workbook.xml");
    let names: Vec<String> = workbook
        .split("<sheet ")
        .skip(1)
        .map(|t| {
            let t = &t[t.find("name=\"").unwrap() + 6..];
            t[..t.find('"').unwrap()].replace("&amp;", "&")
        })
        .collect();
    assert!(!names.is_empty(), "{}", path.display());
    let mut out = Vec::new();
    for (i, name) in names.into_iter().enumerate() {
        let at = format!("{} [{name}]", path.display());
        assert!(
            workbook.contains(&format!(
                "<definedName name=\"_xlnm.Print_Titles\" localSheetId=\"{i}\">"
            )),
            "{at}: no print titles (a header row repeated on every page)"
        );
        let xml = zip_text(path, &format!("xl/worksheets/sheet{}.xml", i + 1));
        let setup = &xml[xml
            .find("<pageSetup ")
            .unwrap_or_else(|| panic!("{at}: no page setup"))..];
        let setup = &setup[..setup.find("/>").unwrap()];
        assert!(setup.contains("paperSize=\"9\""), "{at}: not A4: {setup}");
        assert!(setup.contains("fitToHeight=\"0\""), "{at}: {setup}");
        assert!(xml.contains("<pageSetUpPr fitToPage=\"1\"/>"), "{at}");
        assert!(
            xml.contains("<headerFooter"),
            "{at}: no page header or footer"
        );
        let header = element(&xml, "oddHeader").unwrap_or_default();
        let footer = element(&xml, "oddFooter").unwrap_or_default();
        assert!(header.len() > 10, "{at}: page header {header:?}");
        assert!(footer.contains("&P"), "{at}: no page numbers: {footer:?}");
        out.push((name, header));
    }
    out
}

#[test]
fn every_workbook_prints_with_titles_header_and_page_numbers() {
    let env = Env::sqlite();
    let out = env.path("demo");
    env.ok(&["demo", "--out", s(&out)]);
    let run = |args: &[&str]| {
        let o = env
            .kaowu()
            .env(
                "KAOWU_DATABASE_URL",
                format!("sqlite://{}", out.join("kaowu.db").display()),
            )
            .current_dir(&out)
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    run(&[
        "review",
        "export",
        "--status",
        "rejected",
        "--out",
        "sheet.xlsx",
    ]);
    run(&[
        "export", "roster", "--by", "room", "--public", "--out", "doors",
    ]);
    run(&[
        "samples",
        "generate",
        "--applications",
        "30",
        "--format",
        "xlsx",
        "--no-photos",
        "--out",
        "generated",
    ]);

    let report = print_setup(&out.join("report.xlsx"));
    assert_eq!(
        report[0].1,
        "&C&\"-,Bold\"2026H2 2026年下半年 统计报表：汇总"
    );
    for (name, header) in &report {
        assert!(header.ends_with(&format!("：{name}")), "{header}");
    }
    let recon = print_setup(&out.join("reconcile/reconcile.xlsx"));
    assert!(recon[1].1.contains("缴费对账：掉单"), "{:?}", recon[1]);
    let sheet = print_setup(&out.join("sheet.xlsx"));
    assert!(sheet[0].1.contains("审核结果表（审核未通过）"), "{sheet:?}");
    // The sample bank statement, on the test's own database (the demo's is all paid).
    env.reviewed();
    env.ok(&["samples", "payments", "--out", s(&env.path("samples"))]);
    print_setup(&env.path("samples/statement.xlsx"));
    print_setup(&out.join("generated/applications.xlsx"));
    for f in std::fs::read_dir(out.join("rosters")).unwrap() {
        let p = f.unwrap().path();
        if p.extension().is_some_and(|e| e == "xlsx") {
            let area = p.file_stem().unwrap().to_str().unwrap().to_string();
            let pages = print_setup(&p);
            assert!(
                pages[0].1.ends_with(&format!("名册 {area}考区")),
                "{pages:?}"
            );
        }
    }

    // A posted list: each room and sitting on its own sheet, each page naming them, e.g.
    // sheet 丽江 001-003 11-09 第5场: 丽江考区 001 丽江文化旅游学院 第003考场 2026-11-09 第5场 08:30-12:30.
    let posted = print_setup(&out.join("posted/名册.xlsx"));
    assert!(posted.len() > 10);
    for (name, header) in &posted {
        let parts: Vec<&str> = name.split(' ').collect();
        let (area, site_room, day, sitting) = (parts[0], parts[1], parts[2], parts[3]);
        let (site, room) = site_room.split_once('-').unwrap();
        for want in [
            format!("名册（张贴用） {area}考区 {site} "),
            format!(" 第{room}考场 2026-{day} {sitting} "),
        ] {
            assert!(header.contains(&want), "{name}: {want} not in {header}");
        }
        let time = header.rsplit(' ').next().unwrap();
        assert!(
            time.len() == 11 && time.as_bytes()[5] == b'-',
            "{name}: {header}"
        );
    }
    // The same in a file per room.
    let doors: Vec<_> = std::fs::read_dir(out.join("doors"))
        .unwrap()
        .map(|f| f.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xlsx"))
        .collect();
    assert_eq!(doors.len(), posted.len());
    for p in doors {
        let pages = print_setup(&p);
        let stem = p.file_stem().unwrap().to_str().unwrap();
        // 丽江_001_丽江文化旅游学院_第001考场_2026-11-07_第1场
        assert!(
            pages[0]
                .1
                .contains(&stem.replace('_', " ").replacen(' ', "考区 ", 1)),
            "{stem}: {}",
            pages[0].1
        );
    }

    // Dates are dates: the report's sittings and the decision sheet's birth dates.
    let mut wb = open_workbook_auto(out.join("report.xlsx")).unwrap();
    let seats = wb.worksheet_range("考场").unwrap();
    assert!(
        matches!(seats.get((1, 1)), Some(Data::DateTime(_))),
        "{:?}",
        seats.get((1, 1))
    );
    let summary = wb.worksheet_range("汇总").unwrap();
    assert_eq!(summary.get((2, 0)), Some(&Data::String("生成时间".into())));
    assert!(matches!(summary.get((2, 1)), Some(Data::DateTime(_))));
    let mut wb = open_workbook_auto(out.join("sheet.xlsx")).unwrap();
    let decisions = wb.worksheet_range("审核").unwrap();
    assert_eq!(
        decisions.get((0, 5)),
        Some(&Data::String("出生日期".into()))
    );
    assert!(matches!(decisions.get((1, 5)), Some(Data::DateTime(_))));
    assert!(matches!(decisions.get((1, 13)), Some(Data::DateTime(_))));
}
