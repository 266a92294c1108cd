//! Nothing on a printed document runs over another text or off the page, measured by an
//! independent reader: poppler's `pdftotext -bbox-layout` gives every word's box as it
//! reads the PDF (its own parser, the font's widths, ascent and descent). Every admit card
//! (per candidate and per room), sign-in sheet and door sticker of the samples and of a
//! generated session is measured; the generated one has the longest names (阿卜杜热合曼·
//! 买买提艾力), site names and addresses (丽江 LJ01's 39 characters), 高级 candidates in
//! every area, and site codes of letters and of nine digits.
//!
//! poppler-utils is installed by .ci/run, which sets KAOWU_TEST_TOOLS=require: there the
//! test fails without it; elsewhere it says it was skipped.

use std::path::Path;
use std::process::Command;

use crate::cards::pdfs;
use crate::common::{Env, s};

/// A word's box (left, top, right, bottom in points, y downwards) and its text.
type Word = ([f64; 4], String);

/// The pages of a PDF as pdftotext reads them: (width, height, words).
fn read(pdf: &Path) -> Vec<(f64, f64, Vec<Word>)> {
    let out = Command::new("pdftotext")
        .args(["-bbox-layout", s(pdf), "-"])
        .output()
        .expect("pdftotext runs");
    assert!(out.status.success(), "pdftotext {pdf:?}");
    let html = String::from_utf8(out.stdout).unwrap();
    let attr = |tag: &str, name: &str| -> f64 {
        let k = format!("{name}=\"");
        let i = tag.find(&k).unwrap() + k.len();
        tag[i..i + tag[i..].find('"').unwrap()].parse().unwrap()
    };
    let mut pages = Vec::new();
    for part in html.split("<page ").skip(1) {
        let head = &part[..part.find('>').unwrap()];
        let (w, h) = (attr(head, "width"), attr(head, "height"));
        let mut words = Vec::new();
        for piece in part.split("<word ").skip(1) {
            let end = piece.find('>').unwrap();
            let tag = &piece[..end];
            let text = &piece[end + 1..piece.find("</word>").unwrap()];
            words.push((
                [
                    attr(tag, "xMin"),
                    attr(tag, "yMin"),
                    attr(tag, "xMax"),
                    attr(tag, "yMax"),
                ],
                text.to_string(),
            ));
        }
        pages.push((w, h, words));
    }
    pages
}

/// Every word on its page and clear of every other word (touching is allowed: a quarter
/// point of slack for rounding).
fn problems(pdf: &Path) -> Vec<String> {
    const SLACK: f64 = 0.25;
    let mut out = Vec::new();
    for (n, (w, h, words)) in read(pdf).into_iter().enumerate() {
        for (b, t) in &words {
            if b[0] < -SLACK || b[1] < -SLACK || b[2] > w + SLACK || b[3] > h + SLACK {
                out.push(format!("{pdf:?} page {}: \"{t}\" runs off the page", n + 1));
            }
        }
        for i in 0..words.len() {
            for j in i + 1..words.len() {
                let (a, ta) = &words[i];
                let (b, tb) = &words[j];
                if a[0] < b[2] - SLACK
                    && b[0] < a[2] - SLACK
                    && a[1] < b[3] - SLACK
                    && b[1] < a[3] - SLACK
                {
                    out.push(format!(
                        "{pdf:?} page {}: \"{ta}\" and \"{tb}\" overlap",
                        n + 1
                    ));
                }
            }
        }
    }
    out
}

fn have_pdftotext() -> bool {
    let found = Command::new("pdftotext").arg("-v").output().is_ok();
    if !found {
        assert!(
            std::env::var("KAOWU_TEST_TOOLS").as_deref() != Ok("require"),
            "pdftotext is missing: apt-get install poppler-utils"
        );
        eprintln!("skipped: pdftotext (poppler-utils) is not installed");
    }
    found
}

/// Runs `kaowu demo` (the samples, or N generated applications) and cards per room on its
/// database; every PDF is measured.
fn measure_demo(env: &Env, applications: Option<&str>) -> usize {
    let out = env.path("demo");
    let mut args = vec!["demo", "--out", s(&out)];
    if let Some(n) = applications {
        args.extend(["--applications", n]);
    }
    env.ok(&args);
    let db = format!("sqlite://{}", out.join("kaowu.db").display());
    let print = env.path("print");
    env.ok(&[
        "--database-url",
        &db,
        "cards",
        "--out",
        s(&print),
        "--per",
        "room",
    ]);
    let mut files = pdfs(&out.join("cards"));
    files.extend(pdfs(&out.join("rooms")));
    files.extend(pdfs(&print));
    let kinds = ["_签到表.pdf", "_门贴.pdf", "考场.pdf"];
    for k in kinds {
        assert!(
            files.iter().any(|f| f.to_string_lossy().ends_with(k)),
            "no {k} made"
        );
    }
    let found: Vec<String> = files.iter().flat_map(|f| problems(f)).collect();
    assert!(
        found.is_empty(),
        "{} problems, e.g.:\n{}",
        found.len(),
        found[..found.len().min(10)].join("\n")
    );
    files.len()
}

#[test]
fn no_text_of_the_samples_documents_overlaps_or_leaves_the_page() {
    if !have_pdftotext() {
        return;
    }
    let env = Env::sqlite();
    let n = measure_demo(&env, None);
    assert!(n > 50, "{n} files");
}

#[test]
fn no_text_of_a_generated_sessions_documents_overlaps_or_leaves_the_page() {
    if !have_pdftotext() {
        return;
    }
    let env = Env::sqlite();
    let n = measure_demo(&env, Some("600"));
    assert!(n > 500, "{n} files");
}

#[test]
fn the_measure_sees_an_overlap() {
    if !have_pdftotext() {
        return;
    }
    // Two texts drawn over each other: the check must say so, or it checks nothing.
    let env = Env::sqlite();
    let pdf = env.path("over.pdf");
    let content = "BT /F1 12 Tf 100 700 Td (Hello) Tj ET\nBT /F1 12 Tf 104 702 Td (World) Tj ET\n";
    let file = format!(
        "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
         2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n\
         3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >> endobj\n\
         4 0 obj << /Length {} >> stream\n{content}endstream endobj\n\
         5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj\n\
         trailer << /Root 1 0 R >>\n%%EOF\n",
        content.len()
    );
    std::fs::write(&pdf, file).unwrap();
    let p = problems(&pdf);
    assert!(p.iter().any(|x| x.contains("overlap")), "{p:?}");
}
