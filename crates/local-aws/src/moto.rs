//! A local AWS for tests and the drill: a `moto_server` process on a loopback port.
//!
//! moto speaks the real Route 53 and CloudWatch wire protocols, so the production SDK
//! clients run against it unchanged (`AwsClients::for_endpoint`). It is started on port 0:
//! the operating system picks a free port and it is read from moto's startup line, so no
//! port is ever guessed and no other process can take it in between. The process is
//! killed when the [`MotoServer`] is dropped — at the end, on an error, on a panic — and
//! its log is drained so a full pipe never stalls it.
//!
//! Nothing in the Lambda binaries uses this module; the drill and the tests do. Tests
//! call [`MotoServer::start_or_panic`], so a missing or broken moto fails them loudly with
//! the install instructions (they never skip).

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// The executable; CI installs it with `pip install 'moto[server]'`.
const MOTO_SERVER: &str = "moto_server";
/// How to get it.
pub const INSTALL_HINT: &str = "install moto's server with `pip install 'moto[server]'` (moto 5.2.x); \
                                `make test` and `make drill` install it when it is missing";

/// How long moto may take to print the port it listens on. It starts in under a second
/// on an idle machine; parallel tests on two cores make that several seconds.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// Readiness polls of `GET /moto-api/` after the port is known, with their backoff.
const READINESS_ATTEMPTS: u32 = 50;
const FIRST_BACKOFF: Duration = Duration::from_millis(20);
const MAX_BACKOFF: Duration = Duration::from_millis(500);
/// Limit on each of the harness's own HTTP requests.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A running `moto_server` on a loopback port chosen by the operating system.
#[derive(Debug)]
pub struct MotoServer {
    child: Child,
    port: u16,
}

impl MotoServer {
    /// Starts moto and returns once it answers HTTP; the error says why it could not,
    /// and how to install moto when it is missing.
    pub fn start() -> Result<Self, String> {
        let mut child = Command::new(MOTO_SERVER)
            .args(["-H", "127.0.0.1", "-p", "0"])
            // Startup line and request log go to stderr; Python must not hold them back.
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|err| match err.kind() {
                ErrorKind::NotFound => format!("`{MOTO_SERVER}` was not found: {INSTALL_HINT}"),
                _ => format!("could not start `{MOTO_SERVER}`: {err}; {INSTALL_HINT}"),
            })?;
        let Some(stderr) = child.stderr.take() else {
            stop(&mut child);
            return Err(format!("`{MOTO_SERVER}`'s stderr was not captured"));
        };
        let (port_sender, port_receiver) = mpsc::channel();
        thread::spawn(move || watch_stderr(stderr, port_sender));

        let port = match port_receiver.recv_timeout(STARTUP_TIMEOUT) {
            Ok(Ok(port)) => port,
            Ok(Err(output)) => {
                stop(&mut child);
                // A pyenv shim without moto in the active Python exits here, saying
                // "command not found".
                return Err(format!(
                    "`{MOTO_SERVER}` exited before listening: {INSTALL_HINT}\n{output}"
                ));
            }
            Err(_) => {
                stop(&mut child);
                return Err(format!(
                    "`{MOTO_SERVER}` did not report its port within {STARTUP_TIMEOUT:?}"
                ));
            }
        };
        let server = Self { child, port };
        server.wait_until_ready()?;
        Ok(server)
    }

    /// [`MotoServer::start`] for tests.
    ///
    /// # Panics
    ///
    /// When `moto_server` is not installed (with instructions), or does not start.
    pub fn start_or_panic() -> Self {
        Self::start().unwrap_or_else(|why| panic!("{why}"))
    }

    /// The endpoint URL for the SDK (`AWS_ENDPOINT_URL`).
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Wipes every resource in every service (`POST /moto-api/reset`).
    pub fn reset(&self) -> Result<(), String> {
        match self.request("POST", "/moto-api/reset") {
            Ok(200) => Ok(()),
            Ok(status) => Err(format!("moto answered the reset with HTTP {status}")),
            Err(err) => Err(format!("resetting moto failed: {err}")),
        }
    }

    /// Polls `GET /moto-api/` until moto answers, a bounded number of times with a
    /// growing backoff (a starting process gives nothing else to wait on).
    fn wait_until_ready(&self) -> Result<(), String> {
        let mut backoff = FIRST_BACKOFF;
        let mut last_error = String::new();
        for _ in 0..READINESS_ATTEMPTS {
            match self.request("GET", "/moto-api/") {
                Ok(status) if status < 500 => return Ok(()),
                Ok(status) => last_error = format!("HTTP {status}"),
                Err(err) => last_error = err.to_string(),
            }
            thread::sleep(backoff);
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
        Err(format!(
            "moto on port {} did not answer after {READINESS_ATTEMPTS} attempts: {last_error}",
            self.port
        ))
    }

    /// A minimal HTTP/1.1 request without a body; returns the status code.
    fn request(&self, method: &str, path: &str) -> std::io::Result<u16> {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let mut stream = TcpStream::connect_timeout(&address, REQUEST_TIMEOUT)?;
        stream.set_read_timeout(Some(REQUEST_TIMEOUT))?;
        stream.set_write_timeout(Some(REQUEST_TIMEOUT))?;
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\n\
             Connection: close\r\n\r\n",
            self.port
        )?;
        // `Connection: close`: the response ends when moto closes the connection.
        let mut response = Vec::new();
        stream.read_to_end(&mut response)?;
        parse_status(&response).ok_or_else(|| {
            std::io::Error::new(
                ErrorKind::InvalidData,
                format!(
                    "not an HTTP response: {:?}",
                    String::from_utf8_lossy(&response[..response.len().min(80)])
                ),
            )
        })
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// Kills and reaps the process (killing one that already exited is harmless).
fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Reads moto's stderr until it closes: sends the port from the startup line
/// (` * Running on http://127.0.0.1:PORT`), or everything read so far if moto exits
/// first; then keeps draining, so the request log never fills the pipe and blocks moto.
fn watch_stderr(stderr: ChildStderr, port_sender: mpsc::Sender<Result<u16, String>>) {
    let mut port_sender = Some(port_sender);
    let mut output = Vec::new();
    for line in BufReader::new(stderr).lines() {
        let Ok(line) = line else { break };
        let Some(sender) = port_sender.as_ref() else {
            continue;
        };
        if let Some(port) = startup_port(&line) {
            // The receiver is gone only when start() gave up already.
            let _ = sender.send(Ok(port));
            port_sender = None;
        } else {
            output.push(line);
        }
    }
    if let Some(sender) = port_sender {
        let _ = sender.send(Err(output.join("\n")));
    }
}

/// The port in werkzeug's startup line.
fn startup_port(line: &str) -> Option<u16> {
    let address = line.split("Running on http://").nth(1)?;
    let port = address.trim().trim_end_matches('/').rsplit(':').next()?;
    port.parse().ok().filter(|port| *port != 0)
}

/// The status code of an HTTP response.
fn parse_status(response: &[u8]) -> Option<u16> {
    let status_line = response.split(|byte| *byte == b'\n').next()?;
    let status_line = std::str::from_utf8(status_line).ok()?;
    let mut parts = status_line.split_whitespace();
    parts
        .next()
        .filter(|version| version.starts_with("HTTP/"))?;
    parts.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn startup_and_status_lines_parse() {
        assert_eq!(
            startup_port(" * Running on http://127.0.0.1:44123"),
            Some(44123)
        );
        assert_eq!(startup_port("Press CTRL+C to quit"), None);
        assert_eq!(parse_status(b"HTTP/1.1 200 OK\r\n\r\n"), Some(200));
        assert_eq!(parse_status(b"garbage"), None);
    }
}
