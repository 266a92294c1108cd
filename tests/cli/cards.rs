//! `kaowu cards`: admit cards of the seated sample candidates, read back as a user would
//! (the PDF's text, its size, its photo bytes), incremental runs, rare characters, a
//! character the font lacks, and cards per room in seat order.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{Env, backends, s, sample};

pub fn seated(env: &Env) {
    env.reviewed();
    env.ok(&["import", "payments", s(&sample("payments.csv"))]);
    env.ok(&["seat", "assign", "--seed", "20261107", "--yes"]);
}

/// The text of each page, as a PDF reader extracts it.
pub fn pages(path: &Path) -> Vec<String> {
    let bytes = std::fs::read(path).unwrap();
    let doc = printpdf::PdfDocument::parse(
        &bytes,
        &printpdf::PdfParseOptions::default(),
        &mut Vec::new(),
    )
    .unwrap();
    doc.extract_text()
        .into_iter()
        .map(|p| p.join("|"))
        .collect()
}

pub fn pdfs(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(pdfs(&p));
        } else if p.extension().is_some_and(|x| x == "pdf") {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn every_seated_candidate_gets_a_card_with_their_photo_and_seat() {
    for env in backends() {
        seated(&env);
        let out = env.path("cards");
        let r = env.json(&["cards", "--out", s(&out)]);
        assert_eq!(
            (r["files"].as_u64(), r["rendered"].as_u64()),
            (Some(29), Some(29)),
            "{r}"
        );
        let files = pdfs(&out);
        assert_eq!(files.len(), 29);
        let kunming = env.json(&[
            "applications",
            "list",
            "--status",
            "seated",
            "--exam-area",
            "昆明",
        ]);
        let no = kunming[0]["registration_no"].as_str().unwrap().to_string();
        let shown = env.json(&["applications", "show", &no]);
        let card_no = shown["admit_card"].as_str().unwrap().to_string();
        let file = files
            .iter()
            .find(|f| f.file_stem().unwrap().to_str() == Some(card_no.as_str()))
            .expect("a file named by the admit-card number");
        // In a folder per exam area and site.
        assert!(
            file.parent().unwrap().parent().unwrap().ends_with("昆明"),
            "{file:?}"
        );
        let text = &pages(file)[0];
        for want in [
            card_no.as_str(),
            "准 考 证",
            "考生须知",
            shown["fields"][1][1].as_str().unwrap(),
            shown["seats"][0]["site_name"].as_str().unwrap(),
            shown["seats"][0]["exam_date"].as_str().unwrap(),
        ] {
            assert!(text.contains(want), "{want} not on the card: {text}");
        }
        // Small enough to upload, with the photo's own JPEG bytes inside.
        let bytes = std::fs::read(file).unwrap();
        assert!(bytes.len() < 85 * 1024, "{} bytes", bytes.len());
        let photo = std::fs::read(sample(&format!("photos/{no}.jpg"))).unwrap();
        assert!(
            bytes.windows(photo.len()).any(|w| w == photo.as_slice()),
            "photo re-encoded"
        );

        // Again: nothing to do. A corrected name: that card only.
        let again = env.json(&["cards", "--out", s(&out)]);
        assert_eq!(
            (again["rendered"].as_u64(), again["unchanged"].as_u64()),
            (Some(0), Some(29))
        );
        env.ok(&[
            "applications",
            "set",
            &no,
            "姓名=孙㛃",
            "--reason",
            "生僻字",
            "--yes",
        ]);
        assert_eq!(
            env.json(&["applications", "show", &no])["stale"],
            "admit card"
        );
        let fixed = env.json(&["cards", "--out", s(&out)]);
        assert_eq!(fixed["rendered"], 1, "{fixed}");
        assert_eq!(env.json(&["applications", "show", &no])["stale"], "");
        assert!(
            pages(file)[0].contains("孙㛃"),
            "extension A character printed"
        );
        // A lost seat: its card goes.
        env.ok(&["seat", "release", &no, "--reason", "调整", "--yes"]);
        let gone = env.json(&["cards", "--out", s(&out)]);
        assert_eq!(gone["removed"], 1);
        assert!(!file.exists());
    }
}

#[test]
fn a_character_the_font_lacks_fails_that_card_by_name() {
    for env in backends() {
        seated(&env);
        env.ok(&[
            "applications",
            "set",
            "20260000002",
            "姓名=王𠀀",
            "--reason",
            "扩展B",
            "--yes",
        ]);
        let out = env.path("cards");
        let err = env.fails(1, &["cards", "--out", s(&out)]);
        assert!(
            err.contains("20260000002") && err.contains("U+20000") && err.contains("王𠀀"),
            "{err}"
        );
        // The others are written.
        assert_eq!(pdfs(&out).len(), 28);
    }
}

#[test]
fn cards_per_room_are_in_seat_order() {
    for env in backends() {
        seated(&env);
        let out = env.path("rooms");
        let r: Value = env.json(&["cards", "--out", s(&out), "--per", "room", "-j", "2"]);
        // A page for every seat in use: 高级 candidates have two.
        let in_use = env.json(&["seat", "verify"])["seats_in_use"]
            .as_u64()
            .unwrap();
        assert!(in_use > 24);
        assert_eq!(r["cards"].as_u64(), Some(in_use), "{r}");
        let mut seats_seen = 0;
        for f in pdfs(&out) {
            let seats: Vec<u32> = pages(&f)
                .iter()
                .map(|p| {
                    // The seat of this room's sitting: the 座位号 cell after this file's room.
                    let room = f
                        .file_stem()
                        .unwrap()
                        .to_str()
                        .unwrap()
                        .rsplit('_')
                        .next()
                        .unwrap()
                        .to_string();
                    let parts: Vec<&str> = p.split('|').collect();
                    let i = parts
                        .iter()
                        .position(|x| x.ends_with(room.as_str()))
                        .unwrap();
                    parts[i + 1].parse().unwrap()
                })
                .collect();
            let mut sorted = seats.clone();
            sorted.sort_unstable();
            assert_eq!(seats, sorted, "{f:?}");
            seats_seen += seats.len();
        }
        assert_eq!(seats_seen as u64, in_use);
    }
}

#[test]
fn the_documents_benchmark_measures_cards_and_sheets_of_a_seated_session() {
    let env = Env::sqlite();
    seated(&env);
    let dir = env.path("bench");
    let r = env.json(&[
        "bench",
        "--documents",
        "5",
        "--threads",
        "1",
        "--dir",
        s(&dir),
    ]);
    let steps = r.as_array().expect("a list of runs");
    let what: Vec<&str> = steps.iter().map(|x| x["what"].as_str().unwrap()).collect();
    assert_eq!(
        what,
        [
            "5 cards per candidate",
            "5 cards per room",
            "sign-in sheets and door stickers"
        ]
    );
    assert_eq!(steps[0]["cards"].as_u64(), Some(5));
    assert_eq!(steps[0]["files"].as_u64(), Some(5));
    // A room's file holds every candidate of the room: at least the five.
    assert!(steps[1]["cards"].as_u64().unwrap() >= 5, "{r}");
    // The sheets count every seat in use, as `kaowu sheets` does.
    let sheets = env.json(&["sheets", "--out", s(&env.path("rooms"))]);
    assert_eq!(steps[2]["cards"], sheets["seats"], "{r}");
    assert!(sheets["seats"].as_u64().unwrap() > 5);
    for x in steps {
        for k in ["seconds", "cpu_ms_per_card", "bytes_per_card", "peak_mb"] {
            assert!(x[k].as_f64().unwrap() > 0.0, "{k} in {x}");
        }
    }
    // What it rendered is cleared away.
    assert!(!dir.join("documents-out").exists());
}
