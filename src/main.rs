//! The `kaowu` command: parse, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

// mimalloc: see Cargo.toml; bulk imports and reviews allocate millions of small strings.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = kaowu::cli::Cli::parse();
    let code = match kaowu::run(cli) {
        Ok(()) => ExitCode::from(kaowu::EXIT_OK),
        // `kaowu applications list | head` closes the pipe early: a normal end. (Rust
        // ignores SIGPIPE, so a write fails with EPIPE; every command prints through writers
        // that return that error, see commands::out!.)
        Err(e) if kaowu::is_broken_pipe(&e) => ExitCode::from(kaowu::EXIT_OK),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(kaowu::exit_code(&e))
        }
    };
    // `kaowu bench` runs each step as a child and reads its peak memory from here.
    if std::env::var_os("KAOWU_REPORT_PEAK").is_some() {
        kaowu::commands::measure::report_peak();
    }
    code
}
