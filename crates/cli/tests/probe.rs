//! `regionflip probe` against small local servers, each answering one way: the built
//! binary must reach the verdict a Route 53 checker would, with the reason and timings.
//!
//! Every server is a std `TcpListener` on 127.0.0.1:0 in a thread. The slow ones wait on
//! a channel that the test closes once the probe has given up, so no test sleeps to
//! synchronise and no server outlives its test.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use serde_json::Value;

const ROUTE53_USER_AGENT_PREFIX: &str = "Amazon-Route53-Health-Check-Service (ref ";
/// Longer than any probe may take (4 s connect + 2 s answer): a server waiting this long
/// on its release channel means the test forgot to release it.
const SERVER_PATIENCE: Duration = Duration::from_secs(30);

/// The request head a server received.
#[derive(Debug)]
struct Seen {
    request_line: String,
    headers: Vec<String>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find_map(|h| {
            let (key, value) = h.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

/// Serves `connections` connections, the n-th (from 0) with `answer(n, stream)`, and
/// returns the port and a handle that yields what each request looked like.
fn serve(
    connections: usize,
    answer: impl Fn(usize, &mut TcpStream) + Send + 'static,
) -> (u16, JoinHandle<Vec<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = thread::spawn(move || {
        let mut seen = Vec::new();
        for n in 0..connections {
            let (mut stream, _) = listener.accept().unwrap();
            seen.push(read_head(&stream));
            answer(n, &mut stream);
        }
        seen
    });
    (port, handle)
}

fn read_head(stream: &TcpStream) -> Seen {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).unwrap();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end().to_string();
        if line.is_empty() {
            break;
        }
        headers.push(line);
    }
    Seen {
        request_line: request_line.trim_end().to_string(),
        headers,
    }
}

fn respond(stream: &mut TcpStream, status: &str, extra_headers: &str, body: &[u8]) {
    // The probe may already have given up and closed: a failed write is its verdict.
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n{extra_headers}\r\n",
        body.len()
    );
    let _ = stream.write_all(body);
}

/// Runs `regionflip --json probe URL ARGS…`.
fn probe(url: &str, args: &[&str]) -> (Output, Value) {
    let output = Command::new(env!("CARGO_BIN_EXE_regionflip"))
        .args(["--json", "probe", url])
        .args(args)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON on stdout ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output, report)
}

fn only_probe(report: &Value) -> &Value {
    let probes = report["probes"].as_array().unwrap();
    assert_eq!(probes.len(), 1, "{report}");
    &probes[0]
}

fn reason(verdict: &Value) -> &str {
    verdict["reason"].as_str().unwrap()
}

#[test]
fn a_2xx_with_the_string_in_the_window_is_healthy_and_looks_like_route53() {
    let (port, server) = serve(1, |_, s| {
        respond(
            s,
            "200 OK",
            "",
            br#"{"status":"ok","match":"regionflip-healthy"}"#,
        );
    });
    let url = format!("http://127.0.0.1:{port}/health?deep=1");
    let (output, report) = probe(&url, &["--search", "regionflip-healthy"]);

    assert_eq!(output.status.code(), Some(0), "{report}");
    assert_eq!(report["healthy"], true);
    let verdict = only_probe(&report);
    assert_eq!(verdict["status"], 200);
    assert!(verdict["connect_ms"].as_f64().unwrap() <= verdict["first_byte_ms"].as_f64().unwrap());
    assert!(verdict["first_byte_ms"].as_f64().unwrap() <= verdict["total_ms"].as_f64().unwrap());
    let seen = server.join().unwrap();
    assert_eq!(seen[0].request_line, "GET /health?deep=1 HTTP/1.1");
    assert_eq!(
        seen[0].header("host"),
        Some(format!("127.0.0.1:{port}").as_str())
    );
    let agent = seen[0].header("user-agent").unwrap();
    assert!(agent.starts_with(ROUTE53_USER_AGENT_PREFIX), "{agent}");
    assert!(
        agent.ends_with("; report http://amzn.to/1vsZADi)"),
        "{agent}"
    );
}

#[test]
fn a_status_later_than_two_seconds_is_unhealthy() {
    let (release, released) = mpsc::channel::<()>();
    let (port, server) = serve(1, move |_, s| {
        // Holds the answer until the test has its verdict (the channel closes).
        let _ = released.recv_timeout(SERVER_PATIENCE);
        respond(s, "200 OK", "", b"late");
    });
    let (output, report) = probe(&format!("http://127.0.0.1:{port}/"), &[]);
    drop(release);
    server.join().unwrap();

    assert_eq!(output.status.code(), Some(4), "{report}");
    let verdict = only_probe(&report);
    assert_eq!(verdict["healthy"], false);
    assert!(verdict["status"].is_null(), "{verdict}");
    assert!(
        reason(verdict).contains("no HTTP status within 2 s"),
        "{verdict}"
    );
    let total = verdict["total_ms"].as_f64().unwrap();
    assert!((2000.0..4000.0).contains(&total), "{total} ms");
}

#[test]
fn a_body_later_than_two_seconds_fails_a_string_match() {
    let (release, released) = mpsc::channel::<()>();
    let (port, server) = serve(1, move |_, s| {
        // The head at once, announcing a body that only comes once the test is done.
        let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n");
        let _ = s.flush();
        let _ = released.recv_timeout(SERVER_PATIENCE);
        let _ = s.write_all(&[b'x'; 40]);
    });
    let (output, report) = probe(&format!("http://127.0.0.1:{port}/"), &["--search", "ok"]);
    drop(release);
    server.join().unwrap();

    assert_eq!(output.status.code(), Some(4), "{report}");
    let verdict = only_probe(&report);
    assert_eq!(verdict["status"], 200);
    assert!(
        reason(verdict).contains("did not arrive within 2 s"),
        "{verdict}"
    );
}

#[test]
fn the_search_string_counts_only_within_the_first_5120_bytes() {
    let body = |offset: usize| {
        let mut body = vec![b'.'; offset];
        body.extend_from_slice(b"needle");
        body.extend_from_slice(&[b'.'; 100]);
        body
    };
    // Ends exactly at byte 5,120: found. Starts at byte 5,120: not found.
    let (port, server) = serve(2, move |n, s| {
        let offset = if n == 0 { 5120 - 6 } else { 5120 };
        respond(s, "200 OK", "", &body(offset));
    });
    let url = format!("http://127.0.0.1:{port}/");
    let (inside, inside_report) = probe(&url, &["--search", "needle"]);
    let (beyond, beyond_report) = probe(&url, &["--search", "needle"]);
    server.join().unwrap();

    assert_eq!(inside.status.code(), Some(0), "{inside_report}");
    assert_eq!(beyond.status.code(), Some(4), "{beyond_report}");
    let verdict = only_probe(&beyond_report);
    assert!(
        reason(verdict).contains("not in the first 5120 bytes"),
        "{verdict}"
    );
}

#[test]
fn a_gzip_body_is_searched_after_decoding() {
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(br#"{"status":"ok","match":"regionflip-healthy"}"#)
        .unwrap();
    let gzip = gzip.finish().unwrap();
    let (port, server) = serve(1, move |_, s| {
        respond(s, "200 OK", "Content-Encoding: gzip\r\n", &gzip);
    });
    let (output, report) = probe(
        &format!("http://127.0.0.1:{port}/"),
        &["--search", "regionflip-healthy"],
    );
    server.join().unwrap();
    assert_eq!(output.status.code(), Some(0), "{report}");
}

#[test]
fn a_redirect_is_healthy_and_not_followed() {
    // The redirect's target listens and never accepts: a probe that followed it would
    // leave its connection in the backlog.
    let elsewhere = TcpListener::bind("127.0.0.1:0").unwrap();
    let location = format!(
        "Location: http://127.0.0.1:{}/\r\n",
        elsewhere.local_addr().unwrap().port()
    );
    let (port, server) = serve(1, move |_, s| {
        respond(s, "301 Moved Permanently", &location, b"");
    });
    let (output, report) = probe(&format!("http://127.0.0.1:{port}/"), &[]);
    server.join().unwrap();
    assert_eq!(output.status.code(), Some(0), "{report}");
    assert_eq!(only_probe(&report)["status"], 301);
    elsewhere.set_nonblocking(true).unwrap();
    let followed = elsewhere.accept();
    assert!(
        followed
            .as_ref()
            .is_err_and(|e| e.kind() == std::io::ErrorKind::WouldBlock),
        "the probe followed the redirect: {followed:?}"
    );
}

#[test]
fn a_5xx_is_unhealthy() {
    let (port, server) = serve(1, |_, s| {
        respond(
            s,
            "503 Service Unavailable",
            "",
            br#"{"status":"draining"}"#,
        );
    });
    let (output, report) = probe(&format!("http://127.0.0.1:{port}/health"), &[]);
    server.join().unwrap();
    assert_eq!(output.status.code(), Some(4), "{report}");
    let verdict = only_probe(&report);
    assert_eq!(verdict["status"], 503);
    assert!(reason(verdict).contains("HTTP 503"), "{verdict}");
}

#[test]
fn a_refused_connection_is_unhealthy_without_connect_time() {
    let closed_port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let (output, report) = probe(&format!("http://127.0.0.1:{closed_port}/health"), &[]);
    assert_eq!(output.status.code(), Some(4), "{report}");
    let verdict = only_probe(&report);
    assert!(verdict["connect_ms"].is_null(), "{verdict}");
    assert!(reason(verdict).contains("refused"), "{verdict}");
}

#[test]
fn every_probe_of_a_count_is_reported_and_one_failure_fails_the_command() {
    let (port, server) = serve(2, |n, s| {
        if n == 0 {
            respond(s, "204 No Content", "", b"");
        } else {
            respond(s, "500 Internal Server Error", "", b"");
        }
    });
    let (output, report) = probe(
        &format!("http://127.0.0.1:{port}/"),
        &["--count", "2", "--interval", "0"],
    );
    server.join().unwrap();
    assert_eq!(output.status.code(), Some(4), "{report}");
    let probes = report["probes"].as_array().unwrap();
    let statuses: Vec<&Value> = probes.iter().map(|p| &p["status"]).collect();
    assert_eq!(statuses, [204, 500]);
    assert_eq!(report["healthy"], false);
}

#[test]
fn bad_urls_and_search_strings_are_usage_errors() {
    for args in [
        vec!["ftp://127.0.0.1/"],
        vec!["http://127.0.0.1/", "--search", ""],
        vec!["http://127.0.0.1/", "--count", "0"],
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_regionflip"))
            .arg("probe")
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
}
