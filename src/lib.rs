//! kaowu (考务): the back office of a provincial 软考 exam office, as a library behind the
//! `kaowu` command.

/// Every clap type of the command line.
pub mod cli;
/// One file per subcommand; they read through `io`, check with `model`, store through `db`.
pub mod commands;
/// The store: SQLite or PostgreSQL, migrations, queries per aggregate.
pub mod db;
/// Reading tables in any office format, writing files.
pub mod io;
/// Domain types and rules, free of I/O.
pub mod model;
/// Documents (admit cards): pure renderers from data, layout and font to PDF bytes.
pub mod pdf;
/// Progress bars on a terminal (quiet in a cron job) and phase timings; used by the store
/// and the commands alike.
pub mod progress;
/// Synthetic sessions for demos, tests and benchmarks.
pub mod synth;

use cli::{Cli, Command};

/// Exit codes, as the README lists them.
pub const EXIT_OK: u8 = 0;
/// Input rejected, or some items failed.
pub const EXIT_REJECTED: u8 = 1;
/// Usage or system error.
pub const EXIT_ERROR: u8 = 2;

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(dispatch(cli))
}

async fn dispatch(cli: Cli) -> anyhow::Result<()> {
    let g = &cli.global;
    match &cli.command {
        Command::Status => commands::status::run(g).await,
        Command::Report(a) => commands::report::run(g, a).await,
        Command::Session(c) => commands::session::run(g, c).await,
        Command::Import(cli::ImportCommand::Applications(a)) => {
            let a = cli::ApplicationsImportArgs {
                import: a.import.with_stdin()?,
                ..a.clone()
            };
            commands::import_applications::run(g, &a).await
        }
        Command::Import(cli::ImportCommand::Payments(a)) => {
            commands::payments::import(g, &a.with_stdin()?).await
        }
        Command::Import(cli::ImportCommand::Scores(a)) => {
            commands::scores::import_scores(g, a).await
        }
        Command::Import(c) => commands::import::run(g, c).await,
        Command::Scores(c) => commands::scores::run(g, c).await,
        Command::Recheck(c) => commands::recheck::run(g, c).await,
        Command::Certificates(c) => commands::certificates::run(g, c).await,
        Command::Staff(c) => commands::staff::run(g, c).await,
        Command::Fees(c) => commands::fees::run(g, c).await,
        Command::Plan(c) => commands::plan::run(g, c).await,
        Command::Sites(c) => commands::sites::run(g, c).await,
        Command::Review(c) => commands::review::run(g, c).await,
        Command::Bench(a) => commands::bench::run(g, a).await,
        Command::Demo(a) => commands::demo::run(g, a),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            use std::io::Write;
            // clap_complete panics when its writer fails: it writes into memory, and the
            // script goes out as any other output.
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut cli::Cli::command(), "kaowu", &mut script);
            let mut out = std::io::stdout().lock();
            out.write_all(&script)?;
            Ok(out.flush()?)
        }
        Command::Samples(cli::SamplesCommand::Generate(a)) => commands::samples::generate(g, a),
        Command::Samples(cli::SamplesCommand::Payments { out, seed }) => {
            commands::payments::samples(g, out, *seed).await
        }
        Command::Samples(cli::SamplesCommand::ExamDay { out, seed }) => {
            commands::exam_day_samples::run(g, out, *seed).await
        }
        Command::Samples(cli::SamplesCommand::Scores { out, seed }) => {
            commands::score_samples::scores(g, out, *seed).await
        }
        Command::Samples(cli::SamplesCommand::Certificates { out, seed }) => {
            commands::score_samples::certificates(g, out, *seed).await
        }
        Command::Samples(cli::SamplesCommand::Staff { out, shape, seed }) => {
            commands::staff_samples::run(g, out, shape, *seed).await
        }
        Command::Samples(cli::SamplesCommand::RecheckAnswers { out, seed }) => {
            commands::score_samples::recheck_answers(g, out, *seed).await
        }
        Command::Payments(c) => commands::payments::run(g, c).await,
        Command::Applications(c) => commands::applications::run(g, c).await,
        Command::Seat(c) => commands::seat::run(g, c).await,
        Command::Cards(a) => commands::cards::run(g, a).await,
        Command::Sheets(a) => commands::sheets::run(g, a).await,
        Command::Attendance(c) => commands::attendance::run(g, c).await,
        Command::Roomlog(c) => commands::roomlog::run(g, c).await,
        Command::Violations(c) => commands::violations::run(g, c).await,
        Command::Export(cli::ExportCommand::Roster(a)) => commands::roster::run(g, a).await,
        Command::Export(cli::ExportCommand::PassList(a)) => commands::pass_list::run(g, a).await,
    }
}

/// Whether an error is a closed standard output: the reader stopped early, as `head` does,
/// which is a normal end of the command (exit 0, nothing printed). Found by the kind of the
/// I/O error anywhere in the chain, as the standard library, the CSV writer and the file
/// writers carry it.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    err.chain().any(|e| {
        if let Some(e) = e.downcast_ref::<std::io::Error>() {
            return e.kind() == BrokenPipe;
        }
        if let Some(e) = e.downcast_ref::<csv::Error>() {
            return matches!(e.kind(), csv::ErrorKind::Io(e) if e.kind() == BrokenPipe);
        }
        if let Some(io::write::WriteError::Io { cause, .. }) = e.downcast_ref() {
            return cause.kind() == BrokenPipe;
        }
        false
    })
}

/// The exit code for an error: 1 when input was rejected, 2 otherwise.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    if err
        .chain()
        .any(<dyn std::error::Error + 'static>::is::<commands::Rejected>)
    {
        EXIT_REJECTED
    } else {
        EXIT_ERROR
    }
}
