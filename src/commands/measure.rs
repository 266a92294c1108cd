//! Running kaowu as a child process and measuring it (time, peak memory, CPU), for `kaowu
//! bench` and the timings `kaowu demo` prints.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

/// Prints this process's peak resident memory to stderr (Linux), for `kaowu bench`.
pub fn report_peak() {
    if let Ok(status) = std::fs::read_to_string("/proc/self/status")
        && let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:"))
    {
        let kb: u64 = line
            .split_whitespace()
            .nth(1)
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        eprintln!("kaowu-peak-rss-kb: {kb}");
    }
    // utime and stime of every thread, in the 100 Hz ticks /proc reports on Linux.
    if let Ok(stat) = std::fs::read_to_string("/proc/self/stat")
        && let Some(after) = stat.rsplit_once(')').map(|(_, a)| a)
    {
        let f: Vec<u64> = after
            .split_whitespace()
            .map(|x| x.parse().unwrap_or(0))
            .collect();
        // Fields 14 and 15 of the line; `after` starts at field 3.
        if f.len() > 12 {
            eprintln!("kaowu-cpu-ms: {}", (f[11] + f[12]) * 10);
        }
    }
}

/// What one kaowu process cost, and what it printed.
pub(crate) struct Measured {
    pub seconds: f64,
    pub peak_mb: f64,
    pub cpu_ms: f64,
    pub stdout: String,
}

/// Runs kaowu as a child, in `dir`, on the database `url`.
#[derive(Clone)]
pub(crate) struct Runner<'a> {
    pub exe: std::path::PathBuf,
    pub dir: &'a Path,
    pub url: String,
    pub backend: &'static str,
}

impl Runner<'_> {
    /// Runs one kaowu command; returns seconds and peak MB.
    pub(crate) fn run(&self, args: &[&str]) -> Result<(f64, f64)> {
        self.measure(args).map(|m| (m.seconds, m.peak_mb))
    }

    /// Runs one kaowu command; returns what it cost and what it printed.
    pub(crate) fn measure(&self, args: &[&str]) -> Result<Measured> {
        let started = Instant::now();
        let out = Command::new(&self.exe)
            .args(args)
            .current_dir(self.dir)
            .env("KAOWU_DATABASE_URL", &self.url)
            .env("KAOWU_REPORT_PEAK", "1")
            .env_remove("KAOWU_SESSION")
            .output()
            .with_context(|| format!("cannot run {}", self.exe.display()))?;
        let seconds = started.elapsed().as_secs_f64();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            bail!(
                "[{}] kaowu {} failed:\n{}",
                self.backend,
                args.join(" "),
                stderr
            );
        }
        let figure = |key: &str| -> f64 {
            stderr
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or(0.0)
        };
        Ok(Measured {
            seconds,
            peak_mb: figure("kaowu-peak-rss-kb: ") / 1024.0,
            cpu_ms: figure("kaowu-cpu-ms: "),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        })
    }
}
