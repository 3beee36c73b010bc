//! The regions' health endpoints: the real `health` binary in local mode, one process per
//! region, on loopback ports the operating system picks.
//!
//! A hard outage stops the process (connections are refused) or restarts it draining
//! (503 without the match string); recovery starts it again *on the same port*, because
//! the region's Route 53 health check names that port. Processes are killed on drop.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::error::CliError;

/// The path the endpoint serves, and the check requests.
pub(crate) const HEALTH_PATH: &str = "/health";
/// How long a starting endpoint may take to print its address.
const STARTUP_LIMIT: Duration = Duration::from_secs(20);

/// One region's endpoint.
#[derive(Debug)]
pub(crate) struct HealthEndpoint {
    bin: PathBuf,
    region: String,
    match_string: String,
    port: u16,
    child: Option<Child>,
}

impl HealthEndpoint {
    /// Starts `bin` for `region` on a free loopback port.
    pub(crate) async fn start(
        bin: &Path,
        region: &str,
        match_string: &str,
    ) -> Result<HealthEndpoint, CliError> {
        let mut endpoint = HealthEndpoint {
            bin: bin.to_path_buf(),
            region: region.to_string(),
            match_string: match_string.to_string(),
            port: 0,
            child: None,
        };
        endpoint.spawn(false).await?;
        Ok(endpoint)
    }

    /// The loopback port it listens on.
    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// The health URL.
    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}{HEALTH_PATH}", self.port)
    }

    /// Kills the process: connections are refused from now on.
    pub(crate) async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }

    /// (Re)starts the process on its port, draining or not.
    pub(crate) async fn restart(&mut self, drain: bool) -> Result<(), CliError> {
        self.stop().await;
        self.spawn(drain).await
    }

    async fn spawn(&mut self, drain: bool) -> Result<(), CliError> {
        let listen = format!("127.0.0.1:{}", self.port);
        // A clean environment: an inherited REGIONFLIP_HEALTH_DRAIN or
        // AWS_LAMBDA_RUNTIME_API must not change what the drill runs.
        let mut child = Command::new(&self.bin)
            .args(["--listen", &listen])
            .env_clear()
            .env("AWS_REGION", &self.region)
            .env("REGIONFLIP_HEALTH_MATCH", &self.match_string)
            .env(
                "REGIONFLIP_HEALTH_DRAIN",
                if drain { "true" } else { "false" },
            )
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                CliError::Failed(format!(
                    "cannot run the health endpoint {}: {e}; build it with \
                     `cargo build -p regionflip-health`, or pass --health-bin",
                    self.bin.display()
                ))
            })?;
        let (Some(stdout), Some(mut stderr)) = (child.stdout.take(), child.stderr.take()) else {
            return Err(CliError::Failed(
                "the health endpoint's output was not captured".into(),
            ));
        };
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(STARTUP_LIMIT, lines.next_line()).await;
        let port = match first {
            Ok(Ok(Some(line))) => listening_port(&line),
            _ => None,
        };
        let Some(port) = port else {
            let _ = child.kill().await;
            let mut why = String::new();
            let _ = stderr.read_to_string(&mut why).await;
            return Err(CliError::Failed(format!(
                "the {} health endpoint did not start on {listen}: {}",
                self.region,
                why.trim()
            )));
        };
        // Warnings keep coming on stderr: drain it so the pipe never fills.
        tokio::spawn(async move {
            let _ = tokio::io::copy(&mut stderr, &mut tokio::io::sink()).await;
        });
        self.port = port;
        self.child = Some(child);
        Ok(())
    }
}

/// The port in `listening on http://127.0.0.1:PORT`.
fn listening_port(line: &str) -> Option<u16> {
    line.strip_prefix("listening on http://")?
        .rsplit(':')
        .next()?
        .trim()
        .parse()
        .ok()
}

/// The `health` binary: `--health-bin`, else next to this executable.
pub(crate) fn locate(flag: Option<&Path>) -> Result<PathBuf, CliError> {
    let bin = match flag {
        Some(path) => path.to_path_buf(),
        None => std::env::current_exe()
            .map_err(|e| CliError::Failed(format!("cannot find this executable: {e}")))?
            .with_file_name("health"),
    };
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(CliError::Failed(format!(
            "the health endpoint binary {} is missing: build it with \
             `cargo build -p regionflip-health` (or pass --health-bin PATH)",
            bin.display()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_port_is_read_from_the_listening_line() {
        assert_eq!(
            listening_port("listening on http://127.0.0.1:39411"),
            Some(39411)
        );
        assert_eq!(listening_port("something else"), None);
    }
}
