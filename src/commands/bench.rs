//! `kaowu bench`: the figures the applications work is held to, measured as a user would
//! run it. Each step is its own `kaowu` process, so that its time and peak memory (VmHWM,
//! which a child reports when KAOWU_REPORT_PEAK is set) are its own.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde::Serialize;

use super::measure::Runner;
use super::print_json;
use crate::cli::{BenchArgs, GlobalArgs};

#[derive(Debug, Serialize)]
struct Step {
    backend: String,
    step: String,
    rows: usize,
    /// The median of `runs` for a step timed more than once.
    seconds: f64,
    rows_per_second: f64,
    peak_mb: f64,
    /// The seconds of each run, for a step timed more than once.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    runs: Vec<f64>,
}

/// A database to measure on: an SQLite file, or a PostgreSQL one that is dropped afterwards
/// (admin URL, name).
struct Target {
    backend: &'static str,
    url: String,
    file: Option<std::path::PathBuf>,
    pg: Option<(String, String)>,
}

impl Target {
    /// A copy of this database as it is now, for a run that must start where the last one
    /// did: the SQLite file (and its WAL, if one is left) copied, or a PostgreSQL database
    /// made from it as a template. FILE_COPY checkpoints before and after copying, so the
    /// copy starts with no dirty pages, as a superuser's CHECKPOINT would leave it.
    async fn copy(&self, suffix: &str) -> Result<Target> {
        if let Some(file) = &self.file {
            let to = file.with_extension(format!("{suffix}.db"));
            remove_sqlite(&to);
            std::fs::copy(file, &to)?;
            let wal = Path::new(&format!("{}-wal", file.display())).to_path_buf();
            if wal.exists() {
                std::fs::copy(&wal, format!("{}-wal", to.display()))?;
            }
            return Ok(Target {
                backend: self.backend,
                url: format!("sqlite://{}", to.display()),
                file: Some(to),
                pg: None,
            });
        }
        let Some((admin, name)) = &self.pg else {
            bail!("no database to copy");
        };
        let copy = format!("{name}_{suffix}");
        drop_pg(admin, &copy).await;
        create_pg(admin, &copy, Some(name)).await?;
        Ok(Target {
            backend: self.backend,
            url: format!("{}{copy}", &self.url[..self.url.len() - name.len()]),
            file: None,
            pg: Some((admin.clone(), copy)),
        })
    }

    /// Removes the database (the SQLite file with its WAL, or the PostgreSQL database).
    async fn remove(&self) {
        if let Some(file) = &self.file {
            remove_sqlite(file);
        }
        if let Some((admin, name)) = &self.pg {
            drop_pg(admin, name).await;
        }
    }
}

fn remove_sqlite(file: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
}

/// The middle value (the mean of the two middle ones for an even count).
fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => v[n / 2],
        _ => f64::midpoint(v[n / 2 - 1], v[n / 2]),
    }
}

impl Runner<'_> {
    /// A session with the plan, sites and fees the generated applications name.
    fn set_up_session(&self) -> Result<()> {
        self.run(&["session", "create", "2026H2", "--province", "云南"])?;
        for (kind, file) in [
            ("plan", "plan.xlsx"),
            ("sites", "sites.csv"),
            ("fees", "fees.xlsx"),
        ] {
            self.run(&["import", kind, file])?;
        }
        Ok(())
    }

    fn step(&self, steps: &mut Vec<Step>, name: &str, rows: usize, args: &[&str]) -> Result<()> {
        let run = self.run(args)?;
        record(steps, self.backend, name, rows, &[run]);
        Ok(())
    }
}

/// Adds a step timed in one or more runs (seconds, peak MB): its time is their median, its
/// peak memory their highest.
fn record(steps: &mut Vec<Step>, backend: &str, name: &str, rows: usize, runs: &[(f64, f64)]) {
    let times: Vec<f64> = runs
        .iter()
        .map(|r| (r.0 * 1000.0).round() / 1000.0)
        .collect();
    let seconds = median(&times);
    let peak_mb = runs.iter().map(|r| r.1).fold(0.0, f64::max);
    let step = Step {
        backend: backend.to_string(),
        step: name.to_string(),
        rows,
        seconds,
        rows_per_second: (rows as f64 / seconds).round(),
        peak_mb: (peak_mb * 10.0).round() / 10.0,
        runs: if times.len() > 1 { times } else { Vec::new() },
    };
    eprintln!(
        "  {:<9} {:<40} {:>8} rows {:>8.2} s {:>10.0} rows/s {:>7.1} MB{}",
        step.backend,
        step.step,
        step.rows,
        step.seconds,
        step.rows_per_second,
        step.peak_mb,
        spread(&step.runs)
    );
    steps.push(step);
}

/// ` (median of 5: 0.71-0.95 s)` for a step timed more than once, else nothing.
fn spread(runs: &[f64]) -> String {
    if runs.len() < 2 {
        return String::new();
    }
    let low = runs.iter().copied().fold(f64::INFINITY, f64::min);
    let high = runs.iter().copied().fold(0.0, f64::max);
    format!(" (median of {}: {low:.2}-{high:.2} s)", runs.len())
}

pub async fn run(g: &GlobalArgs, a: &BenchArgs) -> Result<()> {
    if !a.documents.is_empty() {
        return documents(g, a).await;
    }
    let exe = std::env::current_exe().context("cannot find the kaowu executable")?;
    let dir = &a.dir;
    std::fs::create_dir_all(dir)?;
    let n = a.applications;
    generate_once(&exe, dir, n)?;
    warm_photos(dir)?;
    let empty = dir.join("no-photos");
    std::fs::create_dir_all(&empty)?;
    let backends = targets(dir, a).await?;

    let mut steps = Vec::new();
    eprintln!(
        "  backend   step                                         rows       time         rate    peak"
    );
    for target in &backends {
        let r = Runner {
            exe: exe.clone(),
            dir,
            url: target.url.clone(),
            backend: target.backend,
        };
        bench_target(&r, target, a, &empty, &mut steps).await?;
    }
    bench_xlsx(&exe, dir, n, &empty, &mut steps)?;

    if g.json {
        return print_json(&steps);
    }
    print_steps(&steps)
}

/// Generates `n` applications with photos in `dir`, as CSV and as XLSX, unless an earlier
/// run left its marker there.
fn generate_once(exe: &Path, dir: &Path, n: usize) -> Result<()> {
    let marker = dir.join(format!("generated-{n}"));
    if !marker.exists() {
        eprintln!(
            "generating {n} applications with photos in {} (once)",
            dir.display()
        );
        for (format, extra) in [
            ("csv", &[][..]),
            ("xlsx", &["--applications-only", "--no-photos"][..]),
        ] {
            let mut cmd = Command::new(exe);
            cmd.args([
                "samples",
                "generate",
                "--applications",
                &n.to_string(),
                "--out",
            ])
            .arg(dir)
            .args(["--format", format])
            .args(extra)
            // What it wrote is news for the operator, not the result: under --json, stdout
            // carries the figures alone.
            .stdout(std::io::stderr());
            let status = cmd.status()?;
            if !status.success() {
                bail!("generating the session failed");
            }
        }
        std::fs::write(&marker, b"")?;
    }
    Ok(())
}

/// Photos are read from the page cache in the figures the targets name: reads every
/// photo once to warm it.
fn warm_photos(dir: &Path) -> Result<()> {
    let started = Instant::now();
    let mut bytes = 0u64;
    for e in std::fs::read_dir(dir.join("photos"))? {
        bytes += std::fs::read(e?.path()).map_or(0, |b| b.len() as u64);
    }
    eprintln!(
        "photos: {:.1} GB read into the page cache in {:.1} s",
        bytes as f64 / 1e9,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Removes the SQLite files of an earlier run, and returns the databases to time the
/// import and review on: a fresh SQLite file, and a new PostgreSQL database with
/// `--postgres`.
async fn targets(dir: &Path, a: &BenchArgs) -> Result<Vec<Target>> {
    let mut backends: Vec<Target> = Vec::new();
    for name in [
        "bench-csv.db",
        "bench-xlsx.db",
        "bench-csv-no-photos.db",
        "bench-xlsx-no-photos.db",
    ] {
        remove_sqlite(&dir.join(name));
    }
    backends.push(Target {
        backend: "sqlite",
        url: format!("sqlite://{}", dir.join("bench-csv.db").display()),
        file: Some(dir.join("bench-csv.db")),
        pg: None,
    });
    if let Some(admin) = &a.postgres {
        let name = format!("kaowu_bench_{}", std::process::id());
        create_pg(admin, &name, None).await?;
        let base = admin.split('?').next().unwrap_or(admin);
        let url = format!("{}/{name}", &base[..base.rfind('/').unwrap_or(base.len())]);
        backends.push(Target {
            backend: "postgres",
            url,
            file: None,
            pg: Some((admin.clone(), name)),
        });
    }
    Ok(backends)
}

/// Times the CSV import, the checks, the approval and the export on one database, then
/// drops it if it is PostgreSQL's.
async fn bench_target(
    r: &Runner<'_>,
    target: &Target,
    a: &BenchArgs,
    empty: &Path,
    steps: &mut Vec<Step>,
) -> Result<()> {
    let backend = target.backend;
    let (n, dir) = (a.applications, r.dir);
    r.set_up_session()?;
    let no_photos = empty.display().to_string();
    r.step(
        steps,
        "import CSV, not reading photos (dry run)",
        n,
        &[
            "import",
            "applications",
            "applications.csv",
            "--photos",
            &no_photos,
            "--dry-run",
        ],
    )?;
    r.step(
        steps,
        "import CSV with photos",
        n,
        &["import", "applications", "applications.csv"],
    )?;
    r.step(
        steps,
        "review check (first: measures photos)",
        n,
        &["review", "check"],
    )?;
    r.step(steps, "review check (again)", n, &["review", "check"])?;
    // One run moves by a quarter on a busy host: the approval (the tightest target) is
    // timed on fresh copies of the checked database, then on the database itself,
    // which the export reads next.
    let approve = ["review", "approve", "--clean", "--yes"];
    let mut runs = Vec::new();
    for _ in 1..a.approvals.max(1) {
        let copy = target.copy("approve").await?;
        let run = Runner {
            url: copy.url.clone(),
            ..r.clone()
        }
        .run(&approve);
        copy.remove().await;
        runs.push(run?);
    }
    runs.push(r.run(&approve)?);
    record(steps, backend, "review approve --clean", n, &runs);
    let out = dir
        .join(format!("approved-{backend}.xlsx"))
        .display()
        .to_string();
    r.step(
        steps,
        "review export (approved)",
        n,
        &["review", "export", "--status", "approved", "--out", &out],
    )?;
    if target.pg.is_some() {
        target.remove().await;
    }
    Ok(())
}

/// Times the XLSX import on a database of its own, then the import of each format with
/// no photo read, each on a fresh file of its own.
fn bench_xlsx(exe: &Path, dir: &Path, n: usize, empty: &Path, steps: &mut Vec<Step>) -> Result<()> {
    // The XLSX import on a database of its own.
    let r = Runner {
        exe: exe.to_path_buf(),
        dir,
        url: format!("sqlite://{}", dir.join("bench-xlsx.db").display()),
        backend: "sqlite",
    };
    r.set_up_session()?;
    let no_photos = empty.display().to_string();
    r.step(
        steps,
        "import XLSX, not reading photos (dry run)",
        n,
        &[
            "import",
            "applications",
            "applications.xlsx",
            "--photos",
            &no_photos,
            "--dry-run",
        ],
    )?;
    r.step(
        steps,
        "import XLSX with photos",
        n,
        &["import", "applications", "applications.xlsx"],
    )?;
    // The figure the import targets name: the rows read, written and committed, with no
    // photo read (an empty photo folder), each format on a fresh file of its own.
    for (format, file) in [("CSV", "applications.csv"), ("XLSX", "applications.xlsx")] {
        let db = dir.join(format!("bench-{}-no-photos.db", format.to_lowercase()));
        let r = Runner {
            exe: exe.to_path_buf(),
            dir,
            url: format!("sqlite://{}", db.display()),
            backend: "sqlite",
        };
        r.set_up_session()?;
        r.step(
            steps,
            &format!("import {format}, not reading photos"),
            n,
            &["import", "applications", file, "--photos", &no_photos],
        )?;
    }
    Ok(())
}

/// Prints the steps as a table, with the number of cores they ran on.
fn print_steps(steps: &[Step]) -> Result<()> {
    let mut t = super::table(&["backend", "step", "rows", "seconds", "rows/s", "peak MB"]);
    for s in steps {
        t.add_row(vec![
            s.backend.clone(),
            format!("{}{}", s.step, spread(&s.runs)),
            s.rows.to_string(),
            format!("{:.2}", s.seconds),
            format!("{:.0}", s.rows_per_second),
            format!("{:.1}", s.peak_mb),
        ]);
    }
    outln!("{t}")?;
    outln!(
        "(each step is one kaowu process: its time includes start-up and connecting; {} cores)",
        std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
    )?;
    Ok(())
}

/// Creates the database `name`, empty or as a copy of `template` (which no one may be
/// connected to: PostgreSQL waits a few seconds for them, and stops autovacuum there).
async fn create_pg(admin: &str, name: &str, template: Option<&str>) -> Result<()> {
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(admin)
        .await
        .context("--postgres does not connect")?;
    let from = match template {
        Some(t) => format!(" TEMPLATE {t} STRATEGY = FILE_COPY"),
        None => String::new(),
    };
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}{from}")))
        .execute(&mut c)
        .await
        .with_context(|| format!("cannot create the database {name}{from}"))?;
    Ok(())
}

async fn drop_pg(admin: &str, name: &str) {
    use sqlx::Connection;
    if let Ok(mut c) = sqlx::PgConnection::connect(admin).await {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut c)
        .await;
    }
}

#[derive(Debug, Serialize)]
struct DocStep {
    what: String,
    threads: usize,
    cards: u64,
    files: u64,
    seconds: f64,
    cards_per_second: f64,
    cpu_ms_per_card: f64,
    bytes_per_card: f64,
    peak_mb: f64,
}

/// `kaowu bench --documents N,...`: admit cards, sign-in sheets and door stickers of the
/// seated session in the database given, each run into a fresh folder that is removed after.
async fn documents(g: &GlobalArgs, a: &BenchArgs) -> Result<()> {
    let exe = std::env::current_exe().context("cannot find the kaowu executable")?;
    std::fs::create_dir_all(&a.dir)?;
    let dir = std::fs::canonicalize(&a.dir)?;
    // The photos are read from the page cache in the figures the targets name: warm it
    // (cold, a run waits on the disk for half its time).
    let photos = {
        let db = super::connect(g).await?;
        let mut tx = db.begin().await?;
        let session = super::current_session(&mut tx, g).await?;
        let paths = tx.carded_photos(session.id).await?;
        drop(tx);
        db.close().await;
        paths
    };
    let started = Instant::now();
    let bytes: u64 = photos
        .iter()
        .map(|p| std::fs::read(p).map_or(0, |b| b.len() as u64))
        .sum();
    eprintln!(
        "photos: {} files, {:.1} GB read into the page cache in {:.1} s",
        photos.len(),
        bytes as f64 / 1e9,
        started.elapsed().as_secs_f64()
    );
    let r = Runner {
        exe,
        dir: &dir,
        url: g.database_url.clone(),
        backend: "",
    };
    let mut runs: Vec<(String, usize, Vec<String>)> = Vec::new();
    for &n in &a.documents {
        for per in ["candidate", "room"] {
            for &threads in &a.threads {
                runs.push((
                    format!("{n} cards per {per}"),
                    threads,
                    ["cards", "--per", per, "--limit", &n.to_string()]
                        .map(String::from)
                        .to_vec(),
                ));
            }
        }
    }
    runs.push((
        "sign-in sheets and door stickers".into(),
        2,
        vec!["sheets".into()],
    ));
    let mut steps = Vec::new();
    eprintln!(
        "  {:<40} {:>2} {:>8} {:>8} {:>9} {:>10} {:>10} {:>9}",
        "what", "j", "cards", "seconds", "cards/s", "CPU ms/card", "bytes/card", "peak MB"
    );
    for (what, threads, args) in runs {
        let out = dir.join("documents-out");
        let _ = std::fs::remove_dir_all(&out);
        let out_s = out.display().to_string();
        let j = threads.to_string();
        let mut full: Vec<&str> = args.iter().map(String::as_str).collect();
        full.extend(["--out", &out_s, "-j", &j, "--json"]);
        let m = r.measure(&full)?;
        let _ = std::fs::remove_dir_all(&out);
        let report: serde_json::Value = serde_json::from_str(&m.stdout)
            .with_context(|| format!("kaowu {} printed no JSON", full.join(" ")))?;
        let cards = report["cards"]
            .as_u64()
            .or_else(|| report["seats"].as_u64())
            .unwrap_or(0);
        let per = |x: f64| if cards == 0 { 0.0 } else { x / cards as f64 };
        let step = DocStep {
            what,
            threads,
            cards,
            files: report["files"].as_u64().unwrap_or(0),
            seconds: (m.seconds * 100.0).round() / 100.0,
            cards_per_second: (cards as f64 / m.seconds).round(),
            cpu_ms_per_card: (per(m.cpu_ms) * 100.0).round() / 100.0,
            bytes_per_card: per(report["bytes_written"].as_f64().unwrap_or(0.0)).round(),
            peak_mb: (m.peak_mb * 10.0).round() / 10.0,
        };
        eprintln!(
            "  {:<40} {:>2} {:>8} {:>8.2} {:>9.0} {:>10.2} {:>10.0} {:>9.1}",
            step.what,
            step.threads,
            step.cards,
            step.seconds,
            step.cards_per_second,
            step.cpu_ms_per_card,
            step.bytes_per_card,
            step.peak_mb
        );
        steps.push(step);
    }
    if g.json {
        return print_json(&steps);
    }
    outln!(
        "(each run is one kaowu process: its time includes start-up and reading the seats; \
         sheets count seats, not cards; {} cores)",
        std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
    )?;
    Ok(())
}
