//! Errors of the CLI and the exit codes they map to (documented in README.md):
//!
//! | code | meaning                                                        |
//! |------|----------------------------------------------------------------|
//! | 0    | done                                                           |
//! | 1    | an AWS call or the apply failed; the message says what changed |
//! |      | (the state or the routing could not be read counts: nothing    |
//! |      | could be decided)                                              |
//! | 2    | usage or configuration error; nothing was read or written      |
//! | 3    | refused by the safety rules (unhealthy target, guard, …)       |
//! | 4    | a check failed: `probe` found the endpoint unhealthy, a        |
//! |      | `drill` expectation was not met, or a `doctor` check failed    |
//!
//! With `--json`, standard output is always exactly one JSON document: the command's
//! answer, or, when the command fails before it has one, the error document
//! [`ErrorDocument`]: `{"error": {"exit_code", "kind", "message", "problems"}}`.

use std::path::PathBuf;
use std::process::ExitCode;

use regionflip_core::ConfigErrors;
use regionflip_watcher::PassError;
use serde::Serialize;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// The configuration file is missing or unreadable.
    #[error("cannot read {path}: {source}; pass --config FILE (see regionflip.example.toml)")]
    ConfigFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The configuration is invalid.
    #[error("{0}")]
    Config(#[from] ConfigErrors),
    /// Bad arguments beyond what clap checks.
    #[error("{0}")]
    Usage(String),
    /// A pass failed.
    #[error(transparent)]
    Pass(#[from] PassError),
    /// An AWS call or local operation failed.
    #[error("{0}")]
    Failed(String),
    /// The engine refused an operator command.
    #[error("refused: {0}")]
    Refused(String),
    /// A check did not pass (probe, drill).
    #[error("{0}")]
    CheckFailed(String),
}

impl CliError {
    /// The process exit code for this error.
    pub(crate) fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.code())
    }

    fn code(&self) -> u8 {
        match self {
            CliError::Pass(_) | CliError::Failed(_) => 1,
            CliError::ConfigFile { .. } | CliError::Config(_) | CliError::Usage(_) => 2,
            CliError::Refused(_) => 3,
            CliError::CheckFailed(_) => 4,
        }
    }

    /// The `--json` document for this error.
    pub(crate) fn document(&self) -> ErrorDocument {
        let kind = match self {
            CliError::Pass(_) => "apply-failed",
            CliError::Failed(_) => "aws-failed",
            CliError::ConfigFile { .. } | CliError::Config(_) => "configuration",
            CliError::Usage(_) => "usage",
            CliError::Refused(_) => "refused",
            CliError::CheckFailed(_) => "check-failed",
        };
        let problems = match self {
            CliError::Config(errors) => errors
                .0
                .iter()
                .map(|e| Problem {
                    key: e.key.clone(),
                    problem: e.problem.clone(),
                    fix: e.fix.clone(),
                })
                .collect(),
            _ => Vec::new(),
        };
        ErrorDocument {
            error: ErrorBody {
                exit_code: self.code(),
                kind,
                message: self.to_string(),
                problems,
            },
        }
    }
}

/// What `--json` prints when a command fails before it has an answer.
#[derive(Debug, Serialize)]
pub(crate) struct ErrorDocument {
    /// The error.
    pub(crate) error: ErrorBody,
}

/// The body of an [`ErrorDocument`].
#[derive(Debug, Serialize)]
pub(crate) struct ErrorBody {
    /// The process exit code (1, 2, 3 or 4).
    pub(crate) exit_code: u8,
    /// `apply-failed`, `aws-failed`, `configuration`, `usage`, `refused` or
    /// `check-failed`.
    pub(crate) kind: &'static str,
    /// The message also printed on standard error.
    pub(crate) message: String,
    /// For a configuration error, every problem: the key as written, what is wrong, the
    /// fix.
    pub(crate) problems: Vec<Problem>,
}

/// One configuration problem.
#[derive(Debug, Serialize)]
pub(crate) struct Problem {
    /// The key as the user wrote it.
    pub(crate) key: String,
    /// What is wrong with its value.
    pub(crate) problem: String,
    /// What to do about it.
    pub(crate) fix: String,
}
