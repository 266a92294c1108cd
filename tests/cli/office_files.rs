//! Files as an office program saves them: the samples opened in LibreOffice Calc and saved
//! as XLSX, XLS and ODS (tests/fixtures/office, made by its make.sh). An identifier that
//! became a number of more than 15 digits is refused with its cell and the fix; one that
//! was kept as text is read exactly; a code that lost its leading zeros is refused with both
//! values named; shorter number cells are read as their digits. Nothing is written when a
//! file is refused.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{Env, backends, s, sample};

fn office(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/office"
    ))
    .join(name)
}

const FORMATS: [&str; 3] = ["xlsx", "xls", "ods"];

fn import_applications(env: &Env, file: &Path) -> std::process::Output {
    env.kaowu()
        .args([
            "import",
            "applications",
            s(file),
            "--photos",
            s(&sample("photos")),
        ])
        .output()
        .unwrap()
}

/// Registration number -> ID number of every stored application.
fn id_numbers(env: &Env) -> Vec<(String, String)> {
    let list = env.json(&["applications", "list"]);
    list.as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["registration_no"].as_str().unwrap().to_string(),
                a["id_number"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn id_numbers_saved_as_numbers_are_refused_with_the_cell_and_the_fix() {
    for env in backends() {
        env.with_samples();
        for ext in FORMATS {
            let name = format!("applications-numbers.{ext}");
            // Messages name the file as it was given: here its whole path.
            let shown = office(&name).display().to_string();
            let out = import_applications(&env, &office(&name));
            let stderr = String::from_utf8(out.stderr).unwrap();
            assert_eq!(
                out.status.code(),
                Some(1),
                "[{}] {name}: {stderr}",
                env.backend
            );
            // 43 of the 45 numbers became numbers; the two ending in X stayed text.
            assert!(
                stderr.starts_with(&format!(
                    "error: {shown}: 43 problems; nothing was written\n"
                )),
                "{stderr}"
            );
            // LibreOffice keeps 530702197906235073 as 5.30702197906235E+17 in XLSX and ODS;
            // its XLS writer keeps a double that reads back as ...235100.
            let rounded = if ext == "xls" {
                "530702197906235100"
            } else {
                "530702197906235000"
            };
            let expected = format!(
                "  {shown}[applications-numbers]!D2: 证件号码: expected text, found the number \
                 {rounded}: a spreadsheet program keeps only 15 significant digits of a number, \
                 so these are not the digits that were exported; format the column as text and \
                 export again from the portal\n"
            );
            assert!(stderr.contains(&expected), "{expected}\nnot in:\n{stderr}");
            assert!(
                !stderr.contains("!D17:"),
                "53010219720526547X stayed text and is not refused: {stderr}"
            );
        }
        assert_eq!(id_numbers(&env), Vec::new(), "nothing was written");
    }
}

#[test]
fn id_numbers_saved_back_as_csv_in_exponent_form_are_refused() {
    for env in backends() {
        env.with_samples();
        let name = "applications-numbers.csv";
        let out = import_applications(&env, &office(name));
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains(
                "applications-numbers.csv:2: 证件号码: expected the digits, found \
                 5.30702197906235E+017: a spreadsheet program wrote a long number in exponent \
                 form and dropped its last digits; format the column as text and export again \
                 from the portal\n"
            ),
            "{stderr}"
        );
        assert_eq!(id_numbers(&env), Vec::new(), "nothing was written");
    }
}

#[test]
fn identifiers_kept_as_text_are_read_exactly() {
    for env in backends() {
        env.with_samples();
        let first = import_applications(&env, &sample("applications.csv"));
        assert!(first.status.success());
        let from_csv = id_numbers(&env);
        assert!(
            from_csv.contains(&("20260000001".into(), "530702197906235073".into())),
            "{from_csv:?}"
        );
        // Every field as the CSV gave it: the same file saved by Calc changes nothing, whether
        // every identifier column was text or only 证件号码 (registration, mobile and postcode
        // numbers are then number cells, read as their digits).
        for stem in ["applications-text", "applications-id-text"] {
            for ext in FORMATS {
                let name = format!("{stem}.{ext}");
                let r = env.json(&[
                    "import",
                    "applications",
                    s(&office(&name)),
                    "--photos",
                    s(&sample("photos")),
                ]);
                assert_eq!(
                    (
                        r["added"].as_u64(),
                        r["changed"].as_u64(),
                        r["unchanged"].as_u64()
                    ),
                    (Some(0), Some(0), Some(45)),
                    "[{}] {name}: {r}",
                    env.backend
                );
            }
        }
        assert_eq!(id_numbers(&env), from_csv);
    }
}

#[test]
fn a_fresh_import_of_an_xls_file_keeps_every_digit() {
    for env in backends() {
        env.with_samples();
        let out = import_applications(&env, &office("applications-id-text.xls"));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let shown = env.json(&["applications", "show", "20260000001"]);
        let fields: Vec<(String, String)> =
            serde_json::from_value(shown["fields"].clone()).unwrap();
        let get = |k: &str| {
            fields
                .iter()
                .find(|(n, _)| n == k)
                .map_or_else(|| panic!("no {k} in {shown}"), |(_, v)| v.as_str())
        };
        assert_eq!(get("证件号码"), "530702197906235073");
        assert_eq!(get("手机号码"), "17426188664");
        assert_eq!(get("邮政编码"), "674100");
    }
}

/// Rooms stored, as `status` counts them.
fn rooms(env: &Env) -> Value {
    env.counts()["rooms"].clone()
}

#[test]
fn a_site_code_that_lost_its_zeros_is_refused_with_both_codes() {
    for env in backends() {
        env.with_samples();
        assert_eq!(rooms(&env), 41);
        for ext in FORMATS {
            let name = format!("sites-numbers.{ext}");
            let shown = office(&name).display().to_string();
            let stderr = env.fails(1, &["import", "sites", s(&office(&name))]);
            assert!(
                stderr.starts_with(&format!(
                    "error: {shown}: 10 problems; nothing was written\n"
                )),
                "{stderr}"
            );
            // The three-digit codes of 曲靖, 玉溪 and 红河 (rows 26 to 35); 昆明's nine digits
            // stay whole as a number cell and read as their digits.
            let expected = format!(
                "  {shown}[sites-numbers]!B26: 考点代码: 1 differs from 001 (stored) only by \
                 leading zeros, which a spreadsheet program drops from a code it reads as a \
                 number: format the column as text and export again, or write the code as 001\n"
            );
            assert!(stderr.contains(&expected), "{expected}\nnot in:\n{stderr}");
            // LJ01 is no number, 530102001 has no zero to lose: their rows are not refused.
            assert!(!stderr.contains("LJ01"), "{stderr}");
            assert!(!stderr.contains("530102001"), "{stderr}");
        }
        assert_eq!(rooms(&env), 41, "nothing was written");
        // Saved with the code column as text: the same rooms.
        for ext in FORMATS {
            let r = env.json(&["import", "sites", s(&office(&format!("sites-text.{ext}")))]);
            assert_eq!(
                (r["added"].as_u64(), r["unchanged"].as_u64()),
                (Some(0), Some(41)),
                "{r}"
            );
        }
    }
}

#[test]
fn the_original_codes_are_refused_after_the_resaved_ones() {
    for env in backends() {
        env.ok(&["session", "create", "2026H2", "--province", "云南"]);
        env.ok(&["import", "plan", s(&sample("plan.xlsx"))]);
        // Nothing stored to compare with: the file is taken as it is, room numbers and all.
        let r = env.json(&["import", "sites", s(&office("sites-numbers.ods"))]);
        assert_eq!(r["added"], 41, "{r}");
        let stderr = env.fails(1, &["import", "sites", s(&sample("sites.csv"))]);
        assert!(
            stderr.contains(
                "sites.csv:26: 考点代码: 001 differs from 1 (stored) only by leading zeros"
            ),
            "{stderr}"
        );
        assert_eq!(rooms(&env), 41, "the rooms were not added twice");
    }
}

#[test]
fn a_gateway_export_saved_by_calc_pays_as_the_csv_does() {
    for env in backends() {
        env.reviewed();
        // Registration numbers are number cells here, read as their 11 digits.
        let r = env.json(&["import", "payments", s(&office("payments-numbers.xlsx"))]);
        assert_eq!(
            (r["added"].as_u64(), r["paid"].as_u64()),
            (Some(37), Some(29)),
            "{r}"
        );
        let again = env.json(&["import", "payments", s(&sample("payments.csv"))]);
        assert_eq!(
            (again["added"].as_u64(), again["unchanged"].as_u64()),
            (Some(0), Some(37)),
            "{again}"
        );
    }
}

#[test]
fn an_order_number_that_lost_its_zeros_is_refused() {
    for env in backends() {
        env.reviewed();
        let first = env.write(
            "first.csv",
            "支付单号,报名序号,金额,支付结果\n0012345,20260000001,50.00,处理中\n",
        );
        env.ok(&["import", "payments", s(&first)]);
        let again = env.write(
            "again.csv",
            "支付单号,报名序号,金额,支付结果\n12345,20260000001,50.00,成功\n",
        );
        let stderr = env.fails(1, &["import", "payments", s(&again)]);
        assert!(
            stderr.contains(
                "again.csv:2: 支付单号: 12345 differs from 0012345 (stored) only by leading zeros"
            ),
            "{stderr}"
        );
        let orders = env.json(&["applications", "show", "20260000001"])["payments"].clone();
        assert_eq!(orders.as_array().map(Vec::len), Some(1), "{orders}");
        assert_eq!(orders[0]["order_no"], "0012345", "{orders}");
    }
}

#[test]
fn a_registration_number_with_zeros_added_is_refused_everywhere() {
    for env in backends() {
        env.reviewed();
        let count = |env: &Env| env.json(&["review", "log"]).as_array().unwrap().len();
        let batches = count(&env);
        let twin = "020260000001 differs from 20260000001 (an application) only by leading zeros";

        let decisions = env.write(
            "decisions.csv",
            "报名序号,审核结果,原因\n020260000001,通过,\n",
        );
        let stderr = env.fails(1, &["review", "apply", s(&decisions), "--yes"]);
        assert!(
            stderr.contains(&format!("decisions.csv:2: 报名序号: {twin}")),
            "{stderr}"
        );

        let fix = env.write("fix.csv", "报名序号,姓名,原因\n020260000001,何睿,更正\n");
        let stderr = env.fails(1, &["applications", "fix", s(&fix), "--yes"]);
        assert!(
            stderr.contains(&format!("fix.csv:2: 报名序号: {twin}")),
            "{stderr}"
        );

        let gateway = env.write(
            "gateway.csv",
            "支付单号,报名序号,金额,支付结果\nP1,020260000001,50.00,成功\n",
        );
        let stderr = env.fails(1, &["import", "payments", s(&gateway)]);
        assert!(
            stderr.contains(&format!("gateway.csv:2: 报名序号: {twin}")),
            "{stderr}"
        );

        // The portal's export again, the first number with a zero in front.
        let bytes = std::fs::read(sample("applications.csv")).unwrap();
        let (text, _, _) = encoding_rs::GBK.decode(&bytes);
        let mut lines = text.lines();
        let csv = format!("{}\n0{}\n", lines.next().unwrap(), lines.next().unwrap());
        let apps = env.write("apps.csv", &csv);
        let stderr = env.fails(
            1,
            &[
                "import",
                "applications",
                s(&apps),
                "--photos",
                s(&sample("photos")),
            ],
        );
        assert!(
            stderr.contains(&format!("apps.csv:2: 报名序号: {twin}")),
            "{stderr}"
        );
        assert_eq!(count(&env), batches, "nothing was written");
    }
}

/// An absent list (缺考名单) of the samples seated as `cards::seated` seats them, written by
/// `kaowu samples exam-day` (attendance.csv) and re-saved by Calc: with its code columns as
/// text it records what the CSV does; as Calc guesses them, site code 001 became 1 and the
/// file is refused on that cell, with the fix.
#[test]
fn an_absent_list_saved_by_calc_records_what_the_csv_does() {
    let env = Env::sqlite();
    crate::cards::seated(&env);
    let look = |file: &str| -> Value {
        let mut r = env.json(&["attendance", "import", s(&office(file)), "--dry-run"]);
        r["file"] = Value::Null;
        r
    };
    let csv = look("attendance.csv");
    assert_eq!(csv["states"], 54, "{csv}");
    assert_eq!(csv["marks"]["缺考"], 16, "{csv}");
    for ext in FORMATS {
        assert_eq!(look(&format!("attendance-text.{ext}")), csv, "{ext}");
        let name = format!("attendance-numbers.{ext}");
        let err = env.fails(1, &["attendance", "import", s(&office(&name))]);
        assert!(
            err.contains(
                "!B6: 考点代码: 1 differs from 001 (a site of this session) only by leading zeros"
            ),
            "{ext}:\n{err}"
        );
        // 530102001 and the 14-digit admit-card numbers survive as numbers.
        assert!(
            !err.contains("530102001") && !err.contains("准考证号"),
            "{err}"
        );
    }
    let done = env.json(&["attendance", "import", s(&office("attendance-text.xlsx"))]);
    assert_eq!(done["added"], 54, "{done}");
}

/// The centre's score file of the samples seated as `cards::seated` seats them, written by
/// `kaowu samples scores` (scores.csv) and re-saved by Calc: with 准考证号 and 证件号码 as
/// text it records exactly what the CSV does; as Calc guesses them, every ID number lost its
/// last digits and the file is refused on those cells, nothing written, rather than matched
/// to nobody or rounded into someone else's.
#[test]
fn a_score_file_saved_by_calc_records_what_the_csv_does() {
    let env = Env::sqlite();
    crate::cards::seated(&env);
    let look = |file: &str| -> Value {
        let mut r = env.json(&["import", "scores", s(&office(file)), "--dry-run"]);
        r["file"] = Value::Null;
        r
    };
    let csv = look("scores.csv");
    assert_eq!(csv["candidates"], 29, "{csv}");
    assert_eq!(csv["scores"], 67, "{csv}");
    for ext in FORMATS {
        assert_eq!(look(&format!("scores-text.{ext}")), csv, "{ext}");
        let name = format!("scores-numbers.{ext}");
        let err = env.fails(1, &["import", "scores", s(&office(&name))]);
        assert!(err.contains("29 problems"), "{ext}:\n{err}");
        assert!(
            err.contains("!D2: ZJH: expected text, found the number 5307021993110"),
            "{ext}:\n{err}"
        );
        // The 14-digit admit-card numbers survive as numbers. (XLS keeps the double to 17
        // digits, XLSX and ODS print it to 15: either way not the ID number.)
        assert!(!err.contains("ZKZH"), "{err}");
    }
    let err = env.fails(1, &["scores", "judge", "--yes"]);
    assert!(err.contains("no scores yet"), "{err}");
    let done = env.json(&["import", "scores", s(&office("scores-text.xlsx"))]);
    assert_eq!(done["added"], 67, "{done}");
}
