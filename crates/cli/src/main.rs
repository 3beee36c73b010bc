//! `regionflip`, the operator CLI. Parses the command line, runs one command, maps its
//! outcome to an exit code (see `error.rs`).

// The command futures nest the SDK's deeply generic futures.
#![recursion_limit = "256"]

mod args;
mod context;
mod doctor;
mod drill;
mod error;
mod init;
mod journal;
mod operator;
mod probe;
mod status;
mod uninstall;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};
use crate::error::CliError;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(error),
    };
    init_logging();
    let json = cli.global.json;
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("regionflip: {error}");
            // One document on stdout, always: the answer if the command printed one
            // before failing (a refused command's report), else the error.
            if json && !context::json_printed() {
                let _ = context::print_json(&error.document());
            }
            error.exit_code()
        }
    }
}

/// A command line clap refuses: its message (and, with `--json` anywhere on the line,
/// the error document on stdout), exit code 2. `--help` and `--version` are answers,
/// printed as clap prints them.
fn usage_error(error: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = error.print();
        return if error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        };
    }
    let message = error.render().to_string();
    eprint!("{message}");
    if std::env::args().any(|a| a == "--json") {
        let error = CliError::Usage(message.trim().to_string());
        let _ = context::print_json(&error.document());
    }
    ExitCode::from(2)
}

async fn run(cli: Cli) -> Result<(), CliError> {
    let global = &cli.global;
    match cli.command {
        Command::Status => status::run(global).await,
        Command::Reconcile(args) => operator::reconcile(global, args.dry_run).await,
        Command::Failover(args) => operator::failover(global, args).await,
        Command::Failback(args) => operator::failback(global, args).await,
        Command::Evacuate(args) => operator::service(global, args, false).await,
        Command::Restore(args) => operator::service(global, args, true).await,
        Command::Pause(args) => operator::pause(global, args.reason).await,
        Command::Resume(args) => operator::resume(global, args.reason).await,
        Command::History(args) => operator::history(global, &args).await,
        Command::Init(args) => init::run(global, &args).await,
        Command::Probe(args) => probe::run(global, args).await,
        Command::Drill(args) => drill::run(global, *args).await,
        Command::Doctor(args) => doctor::run(global, &args).await,
        Command::Uninstall(args) => uninstall::run(global, &args).await,
    }
}

/// Logs go to stderr so that `--json` output on stdout stays parseable. `RUST_LOG`
/// chooses the level (default: warnings).
fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
