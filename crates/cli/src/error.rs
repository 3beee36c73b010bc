//! Errors of the CLI and the exit codes they map to (documented in README.md):
//!
//! | code | meaning                                                        |
//! |------|----------------------------------------------------------------|
//! | 0    | done                                                           |
//! | 1    | an AWS call or the apply failed; the message says what changed |
//! | 2    | usage or configuration error; nothing was read or written      |
//! | 3    | refused by the safety rules (unhealthy target, guard, …)       |
//! | 4    | a check failed: `probe` found the endpoint unhealthy, or a     |
//! |      | `drill` expectation was not met                                |

use std::path::PathBuf;
use std::process::ExitCode;

use regionflip_core::ConfigErrors;
use regionflip_watcher::PassError;

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
        ExitCode::from(match self {
            CliError::Pass(_) | CliError::Failed(_) => 1,
            CliError::ConfigFile { .. } | CliError::Config(_) | CliError::Usage(_) => 2,
            CliError::Refused(_) => 3,
            CliError::CheckFailed(_) => 4,
        })
    }
}
