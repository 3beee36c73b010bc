//! `regionflip`, the operator CLI. Parses the command line, runs one command, maps its
//! outcome to an exit code (see `error.rs`).

// The command futures nest the SDK's deeply generic futures.
#![recursion_limit = "256"]

mod args;
mod context;
mod drill;
mod error;
mod init;
mod operator;
mod probe;
mod status;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};
use crate::error::CliError;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("regionflip: {error}");
            error.exit_code()
        }
    }
}

async fn run(cli: Cli) -> Result<(), CliError> {
    let global = &cli.global;
    match cli.command {
        Command::Status => status::run(global).await,
        Command::Reconcile(args) => operator::reconcile(global, args.dry_run).await,
        Command::Failover(args) => operator::failover(global, args).await,
        Command::Failback(args) => operator::failback(global, args).await,
        Command::Pause => operator::pause(global).await,
        Command::Resume => operator::resume(global).await,
        Command::Init(args) => init::run(global, args.dry_run).await,
        Command::Probe(args) => probe::run(global, args).await,
        Command::Drill(args) => drill::run(global, args).await,
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
