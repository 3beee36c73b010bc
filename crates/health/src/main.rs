//! The `health` binary (the Lambda `bootstrap`): parse the command line, validate the
//! configuration, then serve under Lambda or locally. All logic lives in the library.

use std::process::ExitCode;
use std::sync::Arc;

use regionflip_health::local::{self, Command, USAGE};
use regionflip_health::logging;
use regionflip_health::{Config, Mode, Prepared, lambda};

fn main() -> ExitCode {
    let listen = match local::parse_args(std::env::args_os().skip(1)) {
        Ok(Command::Serve { listen }) => listen,
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("health: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    // Plain stderr, not the log: the reason must be visible whatever the log level is.
    let config = match Config::from_vars(std::env::vars_os()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("health: {error}");
            return ExitCode::FAILURE;
        }
    };

    // AWS_LAMBDA_LOG_FORMAT (JSON or text) and AWS_LAMBDA_LOG_LEVEL (then RUST_LOG,
    // then INFO). Locally, stdout is kept for the single "listening on" line.
    let (format, level) = logging::settings_from(std::env::vars_os());
    match config.mode {
        Mode::Lambda => logging::init(format, level, std::io::stdout),
        Mode::Local => logging::init(format, level, std::io::stderr),
    }
    tracing::info!(
        mode = ?config.mode,
        path = %config.path,
        service = %config.service_name,
        region = %config.region,
        match_string = %config.match_string,
        drain = config.drain,
        "health endpoint configured"
    );
    if config.drain {
        tracing::warn!("drain switch is on: every health check answers 503 draining");
    }

    let prepared = Arc::new(Prepared::new(&config));
    // One thread: the work per request is tiny, and Lambda sends one request at a time.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!(%error, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async move {
        match config.mode {
            Mode::Lambda => lambda::run(prepared).await,
            Mode::Local => local::run(listen, prepared).await.map_err(Into::into),
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = %error, "health endpoint stopped");
            ExitCode::FAILURE
        }
    }
}
