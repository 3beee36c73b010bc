//! The built binary in local mode, probed exactly as a Route 53 `HTTP_STR_MATCH` checker
//! probes it: TCP connect within 4 s, a 2xx/3xx status within 2 s, the search string in
//! the first 5,120 bytes of the body. Also: bad configuration and bad arguments stop the
//! start, SIGTERM stops the server cleanly, and logging honours Lambda's log controls.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

const MATCH: &str = "regionflip-healthy";
const ROUTE53_USER_AGENT: &str = "Amazon-Route53-Health-Check-Service (ref 0f7c4c1e-5d0a-4b8e-9f3a-2c6d8e1b7a45; report http://amzn.to/1vsZADi)";
const CONNECT_TIMEOUT: Duration = Duration::from_secs(4);
const ANSWER_TIMEOUT: Duration = Duration::from_secs(2);
const SEARCH_WINDOW: usize = 5120;
/// Bounds every wait on the child, so a broken binary fails the test instead of hanging it.
const PROCESS_TIMEOUT: Duration = Duration::from_secs(10);

/// A running `health --listen 127.0.0.1:0`, killed when dropped (also when a test fails).
struct Server {
    /// None once a test has taken the child to watch it exit.
    child: Option<Child>,
    addr: SocketAddr,
}

impl Server {
    fn start(vars: &[(&str, &str)]) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_health"));
        command
            .args(["--listen", "127.0.0.1:0"])
            // A clean environment: no AWS_LAMBDA_RUNTIME_API, no operator's REGIONFLIP_*.
            .env_clear()
            .envs(vars.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("spawn the health binary");
        let stdout = child.stdout.take().expect("piped stdout");
        // Wait on the "listening on" line itself, bounded in time.
        let (sender, receiver) = mpsc::channel();
        thread::spawn(move || {
            let mut line = String::new();
            let read = BufReader::new(stdout).read_line(&mut line);
            let _ = sender.send(read.map(|_| line));
        });
        let mut server = Server {
            child: Some(child),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        };
        let line = match receiver.recv_timeout(PROCESS_TIMEOUT) {
            Ok(Ok(line)) => line,
            Ok(Err(error)) => panic!("reading stdout: {error}"),
            Err(_) => panic!("no listening line within {PROCESS_TIMEOUT:?}"),
        };
        let Some(addr) = line.trim().strip_prefix("listening on http://") else {
            let mut stderr = String::new();
            if let Some(child) = server.child.as_mut() {
                let _ = child.kill();
                if let Some(mut pipe) = child.stderr.take() {
                    let _ = pipe.read_to_string(&mut stderr);
                }
            }
            panic!("unexpected first stdout line {line:?}; stderr:\n{stderr}");
        };
        server.addr = addr.parse().expect("socket address in listening line");
        assert_ne!(server.addr.port(), 0);
        server
    }

    fn take_child(&mut self) -> Child {
        self.child.take().expect("child not taken yet")
    }

    /// Sends SIGTERM, waits (bounded) for the exit and returns its status and stderr.
    fn terminate(&mut self) -> (ExitStatus, String) {
        let child = self.take_child();
        let sent = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success());
        let output = wait_bounded(child);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        (output.status, stderr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// What a Route 53 checker observed.
#[derive(Debug)]
struct Observation {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Observation {
    /// Route 53's verdict for an `HTTP_STR_MATCH` check with `search`.
    fn healthy_for(&self, search: &str) -> bool {
        let window = &self.body[..self.body.len().min(SEARCH_WINDOW)];
        (200..400).contains(&self.status)
            && window
                .windows(search.len())
                .any(|candidate| candidate == search.as_bytes())
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then_some(value.trim())
        })
    }
}

/// One probe as a Route 53 checker makes it; Err says which deadline or rule was missed.
fn route53_probe(addr: SocketAddr, path: &str) -> Result<Observation, String> {
    let mut stream = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT)
        .map_err(|e| format!("no TCP connection within {CONNECT_TIMEOUT:?}: {e}"))?;
    let deadline = Instant::now() + ANSWER_TIMEOUT;
    stream
        .set_write_timeout(Some(ANSWER_TIMEOUT))
        .map_err(|e| e.to_string())?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: {ROUTE53_USER_AGENT}\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("sending the request: {e}"))?;
    let mut answer = Vec::new();
    let mut buffer = [0_u8; 4096];
    loop {
        let left = deadline
            .checked_duration_since(Instant::now())
            .filter(|left| !left.is_zero())
            .ok_or_else(|| format!("no complete answer within {ANSWER_TIMEOUT:?}"))?;
        stream
            .set_read_timeout(Some(left))
            .map_err(|e| e.to_string())?;
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buffer[..n]),
            Err(e) => return Err(format!("reading the answer: {e}")),
        }
    }
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no end of headers")?;
    let head = String::from_utf8(answer[..split].to_vec()).map_err(|e| e.to_string())?;
    let body = answer[split + 4..].to_vec();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("bad status line in {head:?}"))?;
    Ok(Observation { status, head, body })
}

#[test]
fn a_route53_str_match_checker_sees_the_local_server_healthy() {
    let server = Server::start(&[("AWS_REGION", "eu-west-1")]);
    let seen = route53_probe(server.addr, "/health").expect("probe");
    assert!(seen.healthy_for(MATCH), "{seen:?}");
    assert_eq!(seen.status, 200);
    assert_eq!(seen.header("content-type"), Some("application/json"));
    assert_eq!(seen.header("cache-control"), Some("no-store"));
    assert_eq!(
        seen.header("content-length"),
        Some(seen.body.len().to_string().as_str())
    );
    assert!(seen.header("transfer-encoding").is_none());
    let json: serde_json::Value = serde_json::from_slice(&seen.body).expect("JSON");
    assert_eq!(json["region"], "eu-west-1");
    // Checkers come in uncoordinated bursts: the answer stays the same.
    for _ in 0..20 {
        let again = route53_probe(server.addr, "/health").expect("probe");
        assert!(again.healthy_for(MATCH), "{again:?}");
    }
}

#[test]
fn a_route53_checker_sees_a_draining_server_unhealthy() {
    let server = Server::start(&[("REGIONFLIP_HEALTH_DRAIN", "true")]);
    let seen = route53_probe(server.addr, "/health").expect("probe");
    assert_eq!(seen.status, 503);
    assert!(!seen.healthy_for(MATCH), "{seen:?}");
    // Even a check that only looked at the body would fail.
    let body = String::from_utf8(seen.body.clone()).expect("UTF-8");
    assert!(!body.contains(MATCH), "{body}");
    assert!(body.contains(r#""status":"draining""#), "{body}");
}

#[test]
fn the_local_server_routes_like_the_lambda() {
    let server = Server::start(&[("REGIONFLIP_HEALTH_PATH", "/status")]);
    let get = route53_probe(server.addr, "/status?from=route53").expect("probe");
    assert!(get.healthy_for(MATCH), "{get:?}");
    let missing = route53_probe(server.addr, "/health").expect("probe");
    assert_eq!(missing.status, 404);

    // 405 and HEAD need a method other than GET: same raw exchange, another verb.
    let mut stream = TcpStream::connect_timeout(&server.addr, CONNECT_TIMEOUT).expect("connect");
    stream
        .set_read_timeout(Some(ANSWER_TIMEOUT))
        .expect("timeout");
    stream
        .write_all(b"HEAD /status HTTP/1.1\r\nHost: x\r\n\r\nDELETE /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    let (head, rest) = answer.split_once("\r\n\r\n").expect("HEAD answer");
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    let get_length = format!("content-length: {}", get.body.len());
    assert!(head.to_lowercase().contains(&get_length), "{head}");
    // HEAD has no body: the next bytes are the DELETE answer's status line.
    assert!(
        rest.starts_with("HTTP/1.1 405 Method Not Allowed"),
        "{rest}"
    );
    assert!(rest.to_lowercase().contains("allow: get, head"), "{rest}");
}

/// Runs the binary to its exit, bounded in time.
fn run_to_exit(args: &[&str], vars: &[(&str, &str)]) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_health"))
        .args(args)
        .env_clear()
        .envs(vars.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_bounded(child)
}

#[test]
fn bad_configuration_stops_the_start_naming_every_variable() {
    let output = run_to_exit(
        &["--listen", "127.0.0.1:0"],
        &[
            ("REGIONFLIP_HEALTH_MATCH", "say \"ok\""),
            ("REGIONFLIP_HEALTH_DRAIN", "maybe"),
        ],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("REGIONFLIP_HEALTH_MATCH"), "{stderr}");
    assert!(stderr.contains("REGIONFLIP_HEALTH_DRAIN"), "{stderr}");
    // It never got as far as listening.
    assert!(
        output.stdout.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn bad_arguments_exit_2_with_usage() {
    for args in [
        &["--port", "1"][..],
        &["--listen"],
        &["--listen", "localhost"],
    ] {
        let output = run_to_exit(args, &[]);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("usage: health"), "{stderr}");
    }
    let help = run_to_exit(&["--help"], &[]);
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--listen"));
}

fn wait_bounded(child: Child) -> Output {
    let pid = child.id();
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        let _ = sender.send(child.wait_with_output());
    });
    match receiver.recv_timeout(PROCESS_TIMEOUT) {
        Ok(output) => output.expect("wait"),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!("no exit within {PROCESS_TIMEOUT:?}");
        }
    }
}

#[test]
fn sigterm_stops_the_local_server_cleanly() {
    let mut server = Server::start(&[]);
    assert!(
        route53_probe(server.addr, "/health")
            .expect("probe")
            .healthy_for(MATCH)
    );
    let (status, stderr) = server.terminate();
    assert!(status.success(), "{status}: {stderr}");
    assert!(stderr.contains("shutting down"), "{stderr}");
}

#[test]
fn by_default_the_configuration_is_logged_and_probes_are_not() {
    let mut server = Server::start(&[("AWS_REGION", "eu-west-1")]);
    for _ in 0..3 {
        assert!(
            route53_probe(server.addr, "/health")
                .expect("probe")
                .healthy_for(MATCH)
        );
    }
    let (_, stderr) = server.terminate();
    let configured = stderr
        .lines()
        .find(|line| line.contains("health endpoint configured"))
        .unwrap_or_else(|| panic!("no configuration line in:\n{stderr}"));
    assert!(configured.contains("INFO"), "{configured}");
    assert!(configured.contains("region=eu-west-1"), "{configured}");
    assert!(
        configured.contains("match_string=regionflip-healthy"),
        "{configured}"
    );
    assert!(
        !stderr.contains("health request"),
        "probe logged at info:\n{stderr}"
    );
}

#[test]
fn lambda_log_format_and_level_are_honoured() {
    let mut server = Server::start(&[
        ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
        ("AWS_LAMBDA_LOG_LEVEL", "DEBUG"),
    ]);
    assert!(
        route53_probe(server.addr, "/health")
            .expect("probe")
            .healthy_for(MATCH)
    );
    let (_, stderr) = server.terminate();
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let probe = lines
        .iter()
        .find(|line| line["message"] == "health request")
        .unwrap_or_else(|| panic!("no probe line in:\n{stderr}"));
    assert_eq!(probe["level"], "DEBUG");
    assert_eq!(probe["status"], 200);
    assert_eq!(probe["user_agent"], ROUTE53_USER_AGENT);
}
