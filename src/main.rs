//! The `kaowu` command: parse, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = kaowu::cli::Cli::parse();
    match kaowu::run(cli) {
        Ok(()) => ExitCode::from(kaowu::EXIT_OK),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(kaowu::exit_code(&e))
        }
    }
}
