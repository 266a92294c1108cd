//! Progress on a terminal, nothing in a cron job: indicatif draws to stderr only when it is
//! a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar over `len` items with rate and time left.
pub fn bar(len: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({per_sec}, {eta} left)")
            .expect("valid template")
            .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

/// A counter for work of unknown length.
pub fn spinner(what: &str) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg}: {pos} ({per_sec})").expect("valid template"),
    );
    pb.set_message(what.to_string());
    pb.enable_steady_tick(std::time::Duration::from_millis(200));
    pb
}

/// Phase timings on stderr when KAOWU_TIMINGS is set, for finding where a slow run spends
/// its time without a profiler.
pub struct Phases {
    on: bool,
    started: std::time::Instant,
    last: std::time::Instant,
}

impl Phases {
    pub fn new() -> Phases {
        let now = std::time::Instant::now();
        Phases {
            on: std::env::var_os("KAOWU_TIMINGS").is_some(),
            started: now,
            last: now,
        }
    }

    pub fn mark(&mut self, what: &str) {
        if self.on {
            let now = std::time::Instant::now();
            eprintln!(
                "timing: {what}: {:.3} s (total {:.3} s)",
                (now - self.last).as_secs_f64(),
                (now - self.started).as_secs_f64()
            );
            self.last = now;
        }
    }

    /// A time measured inside a phase, such as the part of it spent waiting.
    pub fn note(&self, what: &str, d: std::time::Duration) {
        if self.on {
            eprintln!("timing:   {what}: {:.3} s", d.as_secs_f64());
        }
    }
}

impl Default for Phases {
    fn default() -> Self {
        Phases::new()
    }
}
