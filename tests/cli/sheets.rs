//! `kaowu sheets`: the sign-in sheet and door sticker of every room and sitting in use, read
//! back as a user would (the PDF's text), incremental runs, and the same bytes on every run.

use std::collections::BTreeMap;
use std::path::Path;

use crate::cards::{pages, pdfs, seated};
use crate::common::{Env, backends, s};

/// Every seated candidate: admit-card number -> (name, ID number).
fn candidates(env: &Env) -> BTreeMap<String, (String, String)> {
    let list = env.json(&["applications", "list", "--status", "seated"]);
    let mut out = BTreeMap::new();
    for a in list.as_array().unwrap() {
        let no = a["registration_no"].as_str().unwrap();
        let shown = env.json(&["applications", "show", no]);
        let field = |k: &str| {
            shown["fields"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f[0] == k)
                .unwrap_or_else(|| panic!("no {k} in {shown}"))[1]
                .as_str()
                .unwrap()
                .to_string()
        };
        out.insert(
            shown["admit_card"].as_str().unwrap().to_string(),
            (field("姓名"), field("证件号码")),
        );
    }
    out
}

fn name_of(p: &Path) -> String {
    p.file_name().unwrap().to_str().unwrap().to_string()
}

#[test]
fn every_room_has_a_sign_in_sheet_in_seat_order_and_a_sticker_with_masked_ids() {
    for env in backends() {
        seated(&env);
        let out = env.path("rooms");
        let r = env.json(&["sheets", "--out", s(&out)]);
        let in_use = env.json(&["seat", "verify"])["seats_in_use"]
            .as_u64()
            .unwrap();
        assert_eq!(r["seats"].as_u64(), Some(in_use), "{r}");
        let rooms = r["rooms"].as_u64().unwrap();
        assert!(rooms > 1);
        assert_eq!(r["files"].as_u64(), Some(2 * rooms));
        let people = candidates(&env);

        let files = pdfs(&out);
        assert_eq!(files.len() as u64, 2 * rooms);
        let mut listed = 0;
        for f in &files {
            let text = pages(f).join("\n");
            let room = name_of(f).split('_').nth(2).unwrap().to_string();
            assert!(text.contains(&room), "{f:?}: {text}");
            assert!(text.contains("计算机技术与软件专业技术资格"), "{text}");
            // The admit-card numbers on it, in the order printed.
            let cards: Vec<&String> = people
                .keys()
                .filter(|c| text.contains(c.as_str()))
                .collect();
            assert!(!cards.is_empty(), "{f:?}: {text}");
            if name_of(f).ends_with("_签到表.pdf") {
                listed += cards.len();
                assert!(text.contains("考场签到表") && text.contains("考生签名"));
                assert!(text.contains("监考人员签名") && text.contains("缺考"));
                assert!(text.contains("第 1 页 / 共 1 页"), "{text}");
                assert!(text.contains(&format!("应到：|{}", cards.len())), "{text}");
                // In seat order: the cell before each admit-card number is its seat.
                let cells: Vec<&str> = text.split(['|', '\n']).collect();
                let seats: Vec<u32> = cells
                    .windows(2)
                    .filter(|w| people.contains_key(w[1]))
                    .map(|w| w[0].parse().unwrap())
                    .collect();
                assert_eq!(seats.len(), cards.len(), "{text}");
                assert!(seats.windows(2).all(|w| w[0] < w[1]), "{seats:?} {f:?}");
                // A long name wraps in its cell: its lines read back as pieces.
                let whole: String = text.chars().filter(|c| !"|\n".contains(*c)).collect();
                for c in &cards {
                    let (name, id) = &people[*c];
                    assert!(whole.contains(name) && text.contains(id), "{c} {f:?}");
                }
            } else {
                assert!(name_of(f).ends_with("_门贴.pdf"), "{f:?}");
                assert!(
                    text.contains(&format!("考生人数：{} 人", cards.len())),
                    "{text}"
                );
                let first = cards.first().unwrap();
                let last = cards.last().unwrap();
                assert!(text.contains(&format!("{first} — {last}")), "{text}");
                let whole: String = text.chars().filter(|c| !"|\n".contains(*c)).collect();
                for c in &cards {
                    let (name, id) = &people[*c];
                    let masked = format!("{}********{}", &id[..6], &id[14..]);
                    assert!(
                        whole.contains(name) && text.contains(&masked),
                        "{c}: {text}"
                    );
                    assert!(!text.contains(id.as_str()), "full ID on a door sticker");
                }
            }
        }
        assert_eq!(listed as u64, in_use, "every seat on one sign-in sheet");

        // Again: nothing to do. A corrected name: only the documents of that candidate's
        // rooms are made again.
        let again = env.json(&["sheets", "--out", s(&out)]);
        assert_eq!(again["rendered"], 0, "{again}");
        let (card, (_, _)) = people.iter().next().unwrap();
        let no = env
            .json(&["applications", "list", "--status", "seated"])
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["registration_no"].as_str().unwrap().to_string())
            .find(|no| env.json(&["applications", "show", no])["admit_card"] == card.as_str())
            .unwrap();
        let sittings = env.json(&["applications", "show", &no])["seats"]
            .as_array()
            .unwrap()
            .len() as u64;
        env.ok(&[
            "applications",
            "set",
            &no,
            "姓名=孙㛃",
            "--reason",
            "生僻字",
            "--yes",
        ]);
        let fixed = env.json(&["sheets", "--out", s(&out)]);
        assert_eq!(fixed["rendered"].as_u64(), Some(2 * sittings), "{fixed}");
        let with_new_name = pdfs(&out)
            .iter()
            .filter(|f| pages(f).join("").contains("孙㛃"))
            .count() as u64;
        assert_eq!(with_new_name, 2 * sittings);
    }
}

#[test]
fn documents_are_the_same_bytes_on_every_run_dated_by_source_date_epoch() {
    let env = Env::sqlite();
    seated(&env);
    // The second of each pair of runs renders in groups of 3 candidates (or seats), so
    // that groups split sites and rooms follow each other: the files must not change.
    let grouped = |args: &[&str], group: &str| {
        let out = env
            .kaowu()
            .env("SOURCE_DATE_EPOCH", "1794355200")
            .env("KAOWU_DOCUMENT_GROUP", group)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let run = |args: &[&str]| grouped(args, "5000");
    for (a, b, per) in [("c1", "c2", "candidate"), ("r1", "r2", "room")] {
        run(&["cards", "--out", s(&env.path(a)), "--per", per, "-j", "1"]);
        grouped(
            &["cards", "--out", s(&env.path(b)), "--per", per, "-j", "2"],
            "3",
        );
    }
    // One card made alone is the same file as in a run of all.
    let first = env.json(&["applications", "list", "--status", "seated"])[0]["registration_no"]
        .as_str()
        .unwrap()
        .to_string();
    run(&["cards", "--out", s(&env.path("c0")), "--only", &first]);
    let alone = pdfs(&env.path("c0"));
    assert_eq!(alone.len(), 1);
    let rel = alone[0].strip_prefix(env.path("c0")).unwrap();
    assert!(
        std::fs::read(&alone[0]).unwrap() == std::fs::read(env.path("c1").join(rel)).unwrap(),
        "{rel:?} differs when made alone"
    );
    run(&["sheets", "--out", s(&env.path("s1")), "-j", "1"]);
    grouped(&["sheets", "--out", s(&env.path("s2")), "-j", "2"], "3");
    for (a, b) in [("c1", "c2"), ("r1", "r2"), ("s1", "s2")] {
        let manifest = |d: &str| std::fs::read(env.path(d).join("manifest.json")).unwrap();
        assert!(
            manifest(a) == manifest(b),
            "the manifests of {a} and {b} differ"
        );
        let (one, two) = (pdfs(&env.path(a)), pdfs(&env.path(b)));
        assert_eq!(one.len(), two.len());
        assert!(!one.is_empty());
        for (x, y) in one.iter().zip(&two) {
            let (bx, by) = (std::fs::read(x).unwrap(), std::fs::read(y).unwrap());
            assert!(bx == by, "{x:?} and {y:?} differ");
            // 1794355200 is 2026-11-11 00:00:00 UTC.
            let raw = String::from_utf8_lossy(&bx).replace("/CreationDate (", "/CreationDate(");
            assert!(raw.contains("/CreationDate(D:20261111000000"), "{x:?}");
        }
    }
}
