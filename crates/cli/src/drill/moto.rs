//! The drill's own local AWS: [`regionflip_watcher::emulator::MotoServer`] (the same
//! launcher the tests use), started off the async runtime and stopped when the drill
//! ends, whichever way it ends — the process is killed when the handle is dropped, also
//! when Ctrl-C drops the drill.

use regionflip_watcher::emulator::MotoServer;

use crate::error::CliError;

/// A running `moto_server`, killed on drop.
#[derive(Debug)]
pub(crate) struct MotoProcess(MotoServer);

impl MotoProcess {
    /// Starts moto and returns once it answers HTTP. Starting blocks (a process, its
    /// startup line, a readiness poll), so it runs on the blocking pool.
    pub(crate) async fn start() -> Result<MotoProcess, CliError> {
        let started = tokio::task::spawn_blocking(MotoServer::start)
            .await
            .map_err(|e| CliError::Failed(format!("starting moto failed: {e}")))?;
        started.map(MotoProcess).map_err(|why| {
            CliError::Failed(format!(
                "{why}; or point AWS_ENDPOINT_URL at a running emulator"
            ))
        })
    }

    /// Kills the server and waits for it to exit.
    pub(crate) fn stop(self) {
        drop(self);
    }

    /// The endpoint URL for the SDK.
    pub(crate) fn endpoint(&self) -> String {
        self.0.endpoint()
    }
}
