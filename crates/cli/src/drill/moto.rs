//! The drill's own local AWS: a `moto_server` on a loopback port the operating system
//! picks, stopped when the drill ends, whichever way it ends.
//!
//! moto is started with port 0 and the real port is read from its startup line, so no
//! port is ever guessed. The child is killed when [`MotoProcess`] is dropped — at the end,
//! on an error, or when Ctrl-C drops the drill — and its log is drained so that a full
//! pipe can never stall it.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::error::CliError;
use crate::probe::{ProbeLimits, ProbeTarget, probe};

const MOTO_SERVER: &str = "moto_server";
const INSTALL_HINT: &str = "install it with `pip install 'moto[server]'` (moto 5.2), or run \
                            `make drill`, which installs it; or point AWS_ENDPOINT_URL at a \
                            running emulator";
/// moto starts in well under a second; a busy two-core machine may need several.
const STARTUP_LIMIT: Duration = Duration::from_secs(60);
/// Readiness checks after the port is known.
const READY_ATTEMPTS: u32 = 40;
const READY_PAUSE: Duration = Duration::from_millis(100);

/// A running `moto_server`, killed on drop.
#[derive(Debug)]
pub(crate) struct MotoProcess {
    child: Child,
    port: u16,
}

impl MotoProcess {
    /// Starts moto and returns once it answers HTTP.
    pub(crate) async fn start() -> Result<MotoProcess, CliError> {
        let mut child = Command::new(MOTO_SERVER)
            .args(["-H", "127.0.0.1", "-p", "0"])
            // Its startup line goes to stderr; Python must not hold it back.
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => {
                    CliError::Failed(format!("`{MOTO_SERVER}` is not installed: {INSTALL_HINT}"))
                }
                _ => CliError::Failed(format!("cannot start `{MOTO_SERVER}`: {e}; {INSTALL_HINT}")),
            })?;
        let Some(stderr) = child.stderr.take() else {
            return Err(CliError::Failed("moto's stderr was not captured".into()));
        };
        let mut lines = BufReader::new(stderr).lines();
        let mut output = Vec::new();
        let port = tokio::time::timeout(STARTUP_LIMIT, async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(port) = startup_port(&line) {
                    return Some(port);
                }
                output.push(line);
            }
            None
        })
        .await;
        let port = match port {
            Ok(Some(port)) => port,
            // A pyenv shim without moto in the active Python exits here, saying
            // "command not found".
            Ok(None) => {
                return Err(CliError::Failed(format!(
                    "`{MOTO_SERVER}` exited before listening: {INSTALL_HINT}\n{}",
                    output.join("\n")
                )));
            }
            Err(_) => {
                return Err(CliError::Failed(format!(
                    "`{MOTO_SERVER}` did not report its port within {STARTUP_LIMIT:?}"
                )));
            }
        };
        // Its request log keeps coming: drain it so the pipe never fills.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let moto = MotoProcess { child, port };
        moto.wait_until_ready().await?;
        Ok(moto)
    }

    /// Kills the server and waits for it to exit.
    pub(crate) async fn stop(mut self) {
        let _ = self.child.kill().await;
    }

    /// The endpoint URL for the SDK.
    pub(crate) fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    async fn wait_until_ready(&self) -> Result<(), CliError> {
        let target = ProbeTarget::parse(&format!("{}/moto-api/", self.endpoint()), None)
            .map_err(CliError::Failed)?;
        let mut last = String::new();
        for _ in 0..READY_ATTEMPTS {
            let verdict = probe(&target, ProbeLimits::ROUTE53).await;
            if verdict.healthy {
                return Ok(());
            }
            last = verdict.reason;
            // Polling a starting process: nothing to wait on but time.
            tokio::time::sleep(READY_PAUSE).await;
        }
        Err(CliError::Failed(format!(
            "moto on port {} did not answer: {last}",
            self.port
        )))
    }
}

/// The port in werkzeug's startup line (` * Running on http://127.0.0.1:PORT`).
fn startup_port(line: &str) -> Option<u16> {
    let address = line.split("Running on http://").nth(1)?;
    let port = address.trim().trim_end_matches('/').rsplit(':').next()?;
    port.parse().ok().filter(|port| *port != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_port_is_read_from_the_startup_line() {
        assert_eq!(
            startup_port(" * Running on http://127.0.0.1:44123"),
            Some(44123)
        );
        assert_eq!(startup_port("Press CTRL+C to quit"), None);
        assert_eq!(startup_port(" * Running on http://127.0.0.1:0"), None);
    }
}
