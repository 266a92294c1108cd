//! Mutation fuzzing of every importer (issue 22): real files (tests/fixtures/fuzz/, each
//! importer's sample as CSV, XLSX, XLS and ODS) are damaged the ways files are damaged in the
//! field and the ways a hostile sender would (bytes flipped, cut short, cells of extreme
//! values and places inside the zip's XML, BIFF records whose lengths, rows and columns
//! lie, CSV with stray quotes, CRs, NULs and bad GBK), and each mutant is imported by the
//! real binary into a database that holds a reviewed session. Every run must end with exit
//! 0, 1 or 2 within 20 s (no panic, abort or hang), a refused run must name the file and
//! leave the database file byte for byte as it was.
//!
//! Why not cargo-fuzz: it needs a nightly compiler, which CI does not have, and it runs a
//! function in-process, where an abort on a failed allocation (one of the defects found)
//! kills the fuzzer instead of being counted. A process per input costs about 30 ms and
//! checks what a user sees: exit code, message, database.
//!
//! In `cargo test` the run is bounded by time (KAOWU_FUZZ_SECONDS, 40 by default) with a
//! fixed seed, so CI repeats it exactly; a campaign sets KAOWU_FUZZ_INPUTS, KAOWU_FUZZ_SEED
//! and KAOWU_FUZZ_BIN (a release build). Failing inputs are kept in target/fuzz-failures/.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::common::{Env, s};

const KINDS: [&str; 8] = [
    "plan",
    "fees",
    "sites",
    "applications",
    "payments",
    "statement",
    "decisions",
    "corrections",
];
const FORMATS: [&str; 4] = ["csv", "xlsx", "xls", "ods"];
/// Longer than this is a hang.
const HANG: Duration = Duration::from_secs(20);

fn seed_file(kind: &str, format: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz")
        .join(format!("{kind}.{format}"))
}

/// The command that imports `file` as `kind`.
fn command(kind: &str, file: &Path) -> Vec<String> {
    let f = s(file).to_string();
    let v: Vec<&str> = match kind {
        "applications" => vec![
            "import",
            "applications",
            &f,
            "--photos",
            s(Path::new(SAMPLES_PHOTOS)),
        ],
        "statement" => vec![
            "payments",
            "mark-paid",
            "--statement",
            &f,
            "--gateway",
            GATEWAY,
            "--yes",
        ],
        "decisions" => vec!["review", "apply", &f, "--yes"],
        "corrections" => vec!["applications", "fix", &f, "--yes"],
        k => vec!["import", k, &f],
    };
    v.into_iter().map(String::from).collect()
}

const SAMPLES_PHOTOS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/photos");
const GATEWAY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/payments.csv");

// ---------------------------------------------------------------------------------------
// Mutators. Each takes the seed's bytes and a random source and returns a mutant.

/// Values that broke or may break a reader: extreme, not-a-number, past Excel's limits.
const NUMBERS: &[&str] = &[
    "-1e300",
    "1e308",
    "NaN",
    "inf",
    "-inf",
    "4294967296",
    "-0",
    "2958466",
    "1e-320",
    "99999999999999999999",
    "-1",
    "0",
];
const REFS: &[&str] = &[
    "ZZZZZZZ1",
    "XFD1048576",
    "XFE1",
    "A0",
    "A4294967296",
    "A99999999999",
    "",
    "1A",
    "AAAAAAAAAAAAA5",
];
const TOKENS: &[&[u8]] = &[
    b"\"",
    b"\r",
    b"\n",
    b"\r\n",
    b",",
    b"\0",
    b"\xFF\xFE",
    b"\xEF\xBB\xBF",
    b"\x81",
    b"\x81\x30",
    b"=HYPERLINK(\"http://x\",\"y\")",
    b"-1e300",
    b"NaN",
    b"2026-02-30",
    b"24:61",
    b"\t",
    b"\xE3\x9B\x83",
    b"99999999999999999999999",
];

fn pick<T: Copy>(rng: &mut fastrand::Rng, items: &[T]) -> T {
    items[rng.usize(..items.len())]
}

/// Damage any file can take: bits flipped, bytes set, cut short, a span lost or doubled.
fn bytes_mutant(rng: &mut fastrand::Rng, data: &mut Vec<u8>) {
    if data.is_empty() {
        data.push(rng.u8(..));
        return;
    }
    match rng.u8(..6) {
        0 => {
            for _ in 0..rng.usize(1..8) {
                let i = rng.usize(..data.len());
                data[i] ^= 1 << rng.u8(..8);
            }
        }
        1 => {
            let i = rng.usize(..data.len());
            data[i] = pick(rng, &[0x00, 0xFF, 0x7F, 0x80, 0xFE]);
        }
        2 => data.truncate(rng.usize(..data.len())),
        3 => {
            let a = rng.usize(..data.len());
            let b = (a + rng.usize(1..512)).min(data.len());
            data.drain(a..b);
        }
        4 => {
            let a = rng.usize(..data.len());
            let b = (a + rng.usize(1..512)).min(data.len());
            let span = data[a..b].to_vec();
            let at = rng.usize(..=data.len());
            data.splice(at..at, span);
        }
        _ => {
            let i = rng.usize(..data.len());
            let v = u32::MAX - rng.u32(..16);
            let n = (data.len() - i).min(4);
            data[i..i + n].copy_from_slice(&v.to_le_bytes()[..n]);
        }
    }
}

/// CSV: tokens that confuse a CSV reader or a decoder inserted or overwriting text.
fn csv_mutant(rng: &mut fastrand::Rng, data: &mut Vec<u8>) {
    match rng.u8(..4) {
        0 | 1 => {
            for _ in 0..rng.usize(1..4) {
                let at = rng.usize(..=data.len());
                let token = pick(rng, TOKENS);
                data.splice(at..at, token.iter().copied());
            }
        }
        2 => {
            // A field replaced: between two commas.
            let commas: Vec<usize> = data
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b',')
                .map(|(i, _)| i)
                .collect();
            if commas.len() > 2 {
                let k = rng.usize(..commas.len() - 1);
                let (a, b) = (commas[k] + 1, commas[k + 1]);
                let number = pick(rng, NUMBERS);
                let by: Vec<u8> = if rng.bool() {
                    number.as_bytes().to_vec()
                } else {
                    vec![b'x'; rng.usize(1..200_000)]
                };
                data.splice(a..b, by);
            }
        }
        _ => bytes_mutant(rng, data),
    }
}

/// XLSX and ODS: one XML part of the zip damaged, the zip written again; or the zip itself.
fn zip_mutant(rng: &mut fastrand::Rng, data: &mut Vec<u8>) {
    if rng.u8(..4) == 0 {
        return bytes_mutant(rng, data);
    }
    let Ok(mut z) = zip::ZipArchive::new(std::io::Cursor::new(data.clone())) else {
        return bytes_mutant(rng, data);
    };
    let mut parts = Vec::new();
    for i in 0..z.len() {
        // A zip damaged by an earlier round is damaged further byte by byte.
        let mut b = Vec::new();
        let name = z.by_index(i).ok().and_then(|mut f| {
            f.read_to_end(&mut b).ok()?;
            f.name().ok().map(|n| n.to_string())
        });
        let Some(name) = name else {
            return bytes_mutant(rng, data);
        };
        parts.push((name, b));
    }
    // The sheets and strings mostly; any XML part sometimes.
    let xml: Vec<usize> = (0..parts.len())
        .filter(|&i| {
            let n = &parts[i].0;
            n.ends_with(".xml")
                && (rng.u8(..4) == 0
                    || n.contains("worksheets/")
                    || n.contains("sharedStrings")
                    || n == "content.xml")
        })
        .collect();
    if xml.is_empty() {
        return bytes_mutant(rng, data);
    }
    let target = pick(rng, &xml);
    let text = String::from_utf8_lossy(&parts[target].1).into_owned();
    parts[target].1 = xml_mutant(rng, &text).into_bytes();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, b) in &parts {
        let opts = zip::write::SimpleFileOptions::default();
        out.start_file(name.as_str(), opts).unwrap();
        out.write_all(b).unwrap();
    }
    *data = out.finish().unwrap().into_inner();
}

/// Replaces the value of one occurrence of `attr="..."` (or of `<v>...</v>` when `attr` is
/// `v`) with `by`.
fn replace_value(
    rng: &mut fastrand::Rng,
    text: &str,
    open: &str,
    close: &str,
    by: &str,
) -> Option<String> {
    let starts: Vec<usize> = text
        .match_indices(open)
        .map(|(i, _)| i + open.len())
        .collect();
    if starts.is_empty() {
        return None;
    }
    let a = pick(rng, &starts);
    let b = a + text[a..].find(close)?;
    Some(format!("{}{by}{}", &text[..a], &text[b..]))
}

fn xml_mutant(rng: &mut fastrand::Rng, text: &str) -> String {
    let number = pick(rng, NUMBERS);
    let r = match rng.u8(..8) {
        0 => replace_value(rng, text, "<v>", "</v>", number),
        1 => {
            let at = pick(rng, REFS);
            replace_value(rng, text, " r=\"", "\"", at)
        }
        2 => replace_value(rng, text, "office:value=\"", "\"", number),
        3 => {
            let date = pick(
                rng,
                &[
                    "-999999-01-01",
                    "NaN",
                    "2026-13-45T25:61:00",
                    "99999-01-01",
                    "",
                ],
            );
            replace_value(rng, text, "office:date-value=\"", "\"", date)
        }
        4 => {
            let attr = pick(
                rng,
                &[
                    "table:number-rows-repeated",
                    "table:number-columns-repeated",
                ],
            );
            let n = pick(rng, &["1048576", "16384", "4294967295", "100000000", "-1"]);
            let tag = if attr.contains("rows") {
                "<table:table-row"
            } else {
                "<table:table-cell"
            };
            replace_value(rng, text, tag, ">", &format!(" {attr}=\"{n}\""))
        }
        5 => {
            let dim = pick(rng, &["A1:ZZZZZZZ99999999", "XFD1048576:A1", "A1"]);
            replace_value(rng, text, "<dimension ref=\"", "\"", dim)
        }
        6 => {
            // A span lost: tags left open.
            let a = rng.usize(..text.len().max(1));
            let b = (a + rng.usize(1..64)).min(text.len());
            (text.is_char_boundary(a) && text.is_char_boundary(b))
                .then(|| format!("{}{}", &text[..a], &text[b..]))
        }
        _ => {
            let style = pick(rng, &["4294967295", "99999", "-1", "x"]);
            replace_value(rng, text, " s=\"", "\"", style)
        }
    };
    r.unwrap_or_else(|| {
        let mut b = text.as_bytes().to_vec();
        bytes_mutant(rng, &mut b);
        String::from_utf8_lossy(&b).into_owned()
    })
}

/// XLS: a BIFF record's length, row, column or number made to lie; or the container hit.
fn xls_mutant(rng: &mut fastrand::Rng, data: &mut Vec<u8>) {
    // Cell, DIMENSIONS, BOUNDSHEET, SST, BOF, LABELSST, RK, MULRK and FORMULA records.
    const TYPES: &[u16] = &[
        0x0203, 0x0200, 0x0085, 0x00FC, 0x0809, 0x00FD, 0x027E, 0x00BD, 0x0006,
    ];
    let want = pick(rng, TYPES).to_le_bytes();
    let found: Vec<usize> = data
        .windows(2)
        .enumerate()
        .filter(|(_, w)| *w == want)
        .map(|(i, _)| i)
        .collect();
    if found.is_empty() || rng.u8(..4) == 0 {
        return bytes_mutant(rng, data);
    }
    let at = pick(rng, &found);
    let field = at + pick(rng, &[2usize, 4, 6, 8, 10, 12]);
    if field + 8 > data.len() {
        return bytes_mutant(rng, data);
    }
    match rng.u8(..4) {
        0 => data[field..field + 2].copy_from_slice(&[0xFF, 0xFF]),
        1 => data[field..field + 4].copy_from_slice(&u32::MAX.to_le_bytes()),
        2 => {
            let v: f64 = pick(rng, &[-1e300, f64::NAN, f64::INFINITY, 1e308, -0.0]);
            data[field..field + 8].copy_from_slice(&v.to_le_bytes());
        }
        _ => data[field..field + 2].copy_from_slice(&rng.u16(..).to_le_bytes()),
    }
}

fn mutate(rng: &mut fastrand::Rng, format: &str, seed: &[u8]) -> Vec<u8> {
    let mut data = seed.to_vec();
    // Mostly one damage, sometimes a few on top of each other.
    for _ in 0..(if rng.u8(..4) == 0 { rng.usize(2..5) } else { 1 }) {
        match format {
            "csv" => csv_mutant(rng, &mut data),
            "xlsx" | "ods" => zip_mutant(rng, &mut data),
            _ => xls_mutant(rng, &mut data),
        }
    }
    data
}

// ---------------------------------------------------------------------------------------
// The runner.

/// The database file's bytes (and its write-ahead log's), hashed.
fn db_hash(dir: &Path) -> String {
    let mut h = Sha256::new();
    for f in ["kaowu.db", "kaowu.db-wal"] {
        if let Ok(b) = std::fs::read(dir.join(f)) {
            h.update(&b);
        }
    }
    format!("{:x}", h.finalize())
}

/// The database as the template holds it, with no log or shared memory of a later run.
fn restore(dir: &Path, template: &[u8]) {
    std::fs::write(dir.join("kaowu.db"), template).unwrap();
    for f in ["kaowu.db-wal", "kaowu.db-shm"] {
        let _ = std::fs::remove_file(dir.join(f));
    }
}

struct Outcome {
    code: Option<i32>,
    stderr: String,
    took: Duration,
}

fn run(bin: &Path, dir: &Path, args: &[String]) -> Outcome {
    let started = Instant::now();
    let mut child = Command::new(bin)
        .current_dir(dir)
        .env(
            "KAOWU_DATABASE_URL",
            format!("sqlite://{}", dir.join("kaowu.db").display()),
        )
        .env_remove("KAOWU_SESSION")
        .env("KAOWU_OPERATOR", "fuzz")
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stderr.read_to_end(&mut s);
        String::from_utf8_lossy(&s).into_owned()
    });
    let code = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st.code();
        }
        if started.elapsed() > HANG {
            let _ = child.kill();
            let _ = child.wait();
            break Some(-999);
        }
        std::thread::sleep(Duration::from_millis(3));
    };
    Outcome {
        code,
        stderr: reader.join().unwrap(),
        took: started.elapsed(),
    }
}

#[derive(Default, Debug)]
struct Tally {
    inputs: usize,
    accepted: usize,
    refused: usize,
    usage: usize,
    failures: Vec<String>,
    slowest: Duration,
}

#[test]
fn every_importer_survives_mutated_files() {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let seconds: u64 = var("KAOWU_FUZZ_SECONDS").map_or(40, |v| v.parse().unwrap());
    let inputs: Option<usize> = var("KAOWU_FUZZ_INPUTS").map(|v| v.parse().unwrap());
    let seed: u64 = var("KAOWU_FUZZ_SEED").map_or(22, |v| v.parse().unwrap());
    let bin: PathBuf =
        var("KAOWU_FUZZ_BIN").map_or_else(|| assert_cmd::cargo::cargo_bin("kaowu"), PathBuf::from);
    // The database every mutant is imported into: a reviewed session with its payments,
    // so that each importer finds what it refers to. Kept aside, restored after a run that
    // was accepted (and so may change it).
    let env = Env::sqlite();
    crate::seat::paid(&env);
    // Checkpointed, so that the database is its file alone: a run that only reads leaves
    // its bytes as they are.
    crate::common::block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&env.url).await.unwrap();
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();
    });
    let template = std::fs::read(env.path("kaowu.db")).unwrap();
    let clean = db_hash(env.dir.path());
    let work = env.path("mutants");
    std::fs::create_dir_all(&work).unwrap();
    let failures_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-failures");
    let seeds: Vec<(&str, &str, Vec<u8>)> = KINDS
        .iter()
        .flat_map(|k| FORMATS.iter().map(move |f| (*k, *f)))
        .map(|(k, f)| (k, f, std::fs::read(seed_file(k, f)).unwrap()))
        .collect();
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut tally = Tally::default();
    let mut per: std::collections::BTreeMap<(&str, &str), (usize, usize)> = Default::default();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut n = 0usize;
    loop {
        match inputs {
            Some(max) if n >= max => break,
            None if Instant::now() >= deadline => break,
            _ => {}
        }
        let (kind, format, bytes) = &seeds[n % seeds.len()];
        let mutant = mutate(&mut rng, format, bytes);
        let name = format!("{kind}-{n}.{format}");
        let file = work.join(&name);
        std::fs::write(&file, &mutant).unwrap();
        let args = command(kind, &file);
        let out = run(&bin, env.dir.path(), &args);
        tally.inputs += 1;
        tally.slowest = tally.slowest.max(out.took);
        let e = per.entry((kind, format)).or_default();
        e.0 += 1;
        let mut problem = None;
        match out.code {
            Some(0) => {
                tally.accepted += 1;
                e.1 += 1;
                restore(env.dir.path(), &template);
            }
            Some(c @ (1 | 2)) => {
                if c == 1 {
                    tally.refused += 1;
                } else {
                    tally.usage += 1;
                }
                if db_hash(env.dir.path()) != clean {
                    problem = Some("the database changed".to_string());
                    restore(env.dir.path(), &template);
                } else if !out.stderr.contains(&name) {
                    problem = Some("the message does not name the file".into());
                } else if out.stderr.contains("panicked") {
                    problem = Some("a panic reported".into());
                }
            }
            Some(-999) => problem = Some(format!("hang: killed after {HANG:?}")),
            other => {
                problem = Some(format!(
                    "exit {other:?} (a panic is 101, an abort a signal)"
                ));
            }
        }
        if let Some(p) = problem {
            std::fs::create_dir_all(&failures_dir).unwrap();
            std::fs::copy(&file, failures_dir.join(&name)).unwrap();
            tally
                .failures
                .push(format!("{name} (seed {seed}): {p}\n{}", out.stderr.trim()));
        }
        let _ = std::fs::remove_file(&file);
        n += 1;
    }
    eprintln!(
        "fuzz: seed {seed}, {} inputs in {:.0} s: {} accepted, {} refused (exit 1), {} exit 2, {} failures; slowest run {:.2} s",
        tally.inputs,
        started.elapsed().as_secs_f64(),
        tally.accepted,
        tally.refused,
        tally.usage,
        tally.failures.len(),
        tally.slowest.as_secs_f64()
    );
    for ((k, f), (runs, ok)) in &per {
        eprintln!("  {k:>12} {f:>4}: {runs} inputs, {ok} accepted");
    }
    assert!(
        tally.failures.is_empty(),
        "{} of {} mutants failed (kept in {}):\n{}",
        tally.failures.len(),
        tally.inputs,
        failures_dir.display(),
        tally
            .failures
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n---\n")
    );
    // Every importer and format ran.
    assert_eq!(per.len(), KINDS.len() * FORMATS.len(), "{per:?}");
}
