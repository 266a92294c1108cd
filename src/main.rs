//! The `kaowu` command: parse, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

// mimalloc: see Cargo.toml; bulk imports and reviews allocate millions of small strings.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // `kaowu applications list | head` closes the pipe early: stop quietly, as Unix tools
    // do, rather than report a panic. (Rust ignores SIGPIPE, so println! panics instead.)
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let msg = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
    let cli = kaowu::cli::Cli::parse();
    let code = match kaowu::run(cli) {
        Ok(()) => ExitCode::from(kaowu::EXIT_OK),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(kaowu::exit_code(&e))
        }
    };
    // `kaowu bench` runs each step as a child and reads its peak memory from here.
    if std::env::var_os("KAOWU_REPORT_PEAK").is_some() {
        kaowu::commands::bench::report_peak();
    }
    code
}
