//! Real `health` endpoints for the tests: the binary the Lambda runs, in local mode on a
//! loopback port the operating system picks, killed when dropped.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The `health` binary beside the `regionflip` under test, built if missing.
pub(crate) fn health_bin() -> PathBuf {
    let regionflip = Path::new(env!("CARGO_BIN_EXE_regionflip"));
    let health = regionflip.with_file_name(format!("health{}", std::env::consts::EXE_SUFFIX));
    if !health.is_file() {
        let profile_dir = regionflip.parent().unwrap();
        let mut build = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        build.args(["build", "-p", "regionflip-health", "--bin", "health"]);
        if profile_dir
            .file_name()
            .is_some_and(|name| name == "release")
        {
            build.arg("--release");
        }
        let status = build.status().unwrap();
        assert!(status.success(), "cargo build -p regionflip-health failed");
    }
    assert!(health.is_file(), "{} is missing", health.display());
    health
}

/// One region's health endpoint, serving the default match string.
pub(crate) struct HealthProcess {
    child: Child,
    port: u16,
}

impl HealthProcess {
    /// Starts the endpoint of `region` and returns once it listens.
    pub(crate) fn start(region: &str) -> HealthProcess {
        let mut child = Command::new(health_bin())
            .args(["--listen", "127.0.0.1:0"])
            // A clean environment: an inherited drain switch or Lambda runtime variable
            // must not change what the test runs.
            .env_clear()
            .env("AWS_REGION", region)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // The first line says where it listens: `listening on http://127.0.0.1:PORT`.
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("listening on http://127.0.0.1:")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the {region} endpoint said {line:?}"));
        HealthProcess { child, port }
    }

    /// The loopback port it listens on.
    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// The URL a watcher probes.
    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}/health", self.port)
    }

    /// Stops it: connections to its port are refused from now on.
    pub(crate) fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for HealthProcess {
    fn drop(&mut self) {
        self.stop();
    }
}
