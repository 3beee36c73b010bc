//! Running the built `regionflip` binary against a moto server, as an operator would run
//! it against AWS: `AWS_ENDPOINT_URL` pointed at moto, dummy credentials, a configuration
//! file of the test's own.
//!
//! The tests of one file share one moto process ([`shared_moto`]) and keep out of each
//! other's way with their own hosted zone, record and alarm names, so a file costs one
//! moto start whatever its number of tests.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, Weak};

use regionflip_local_aws::moto::MotoServer;

pub(crate) mod deployment;
pub(crate) mod health;
pub(crate) mod records;
pub(crate) mod regions;

/// One moto for the tests of this binary that run at the same time: started by the first
/// that needs it, stopped (by `Drop`) when the last holder finishes. A static would keep
/// the process alive after the tests, since statics are never dropped.
pub(crate) fn shared_moto() -> Arc<MotoServer> {
    static SHARED: Mutex<Weak<MotoServer>> = Mutex::new(Weak::new());
    let mut slot = SHARED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(server) = slot.upgrade() {
        return server;
    }
    let server = Arc::new(MotoServer::start_or_panic());
    *slot = Arc::downgrade(&server);
    server
}

/// The times in a `--json` document that are not RFC 3339: a number under a key that
/// names a time (ending in `_at` or `since`, the state's `recent_flips`, the active-active
/// state's `out_of_service` and `region_flips`), or a string under such a key (or `at`)
/// that is not UTC RFC 3339. Empty: every time is in the one format scripts parse.
pub(crate) fn times_not_in_rfc3339(document: &serde_json::Value) -> Vec<String> {
    fn names_a_time(key: &str) -> bool {
        key.ends_with("_at")
            || key.ends_with("since")
            || matches!(
                key,
                "at" | "recent_flips" | "out_of_service" | "region_flips"
            )
    }
    fn walk(value: &serde_json::Value, key: &str, found: &mut Vec<String>) {
        use serde_json::Value;
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    walk(v, k, found);
                }
            }
            Value::Array(items) => {
                for item in items {
                    walk(item, key, found);
                }
            }
            Value::Number(n) if names_a_time(key) => found.push(format!("{key} = {n}")),
            Value::String(s)
                if (key.ends_with("_at") || key == "at")
                    && !(s.len() == 20 && s.ends_with('Z') && s.as_bytes()[10] == b'T') =>
            {
                found.push(format!("{key} = {s:?}"));
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(document, "", &mut found);
    found
}

/// What the story tests do to a deployment, in either mode.
pub(crate) trait Operated: Sized {
    /// Runs the binary with the deployment's configuration.
    fn run(&self, args: &[&str]) -> Run;
    /// Forces `region`'s API alarm into `state`.
    async fn set_alarm(&self, region: &str, state: aws_sdk_cloudwatch::types::StateValue);

    /// `regionflip init`, which must succeed.
    fn initialised(self) -> Self {
        self.run(&["init"]).expect_code(0);
        self
    }

    /// Home's alarm fires and one pass fails over (checked by the caller).
    async fn after_a_failover(self) -> Self {
        self.set_alarm(records::HOME, aws_sdk_cloudwatch::types::StateValue::Alarm)
            .await;
        self.run(&["reconcile"]).expect_code(0);
        self
    }
}

/// One test's own hosted zone in the shared moto, and the record it serves.
pub(crate) struct TestZone {
    pub(crate) moto: Arc<MotoServer>,
    pub(crate) aws: regionflip_watcher::aws::AwsClients,
    /// The hosted zone's id.
    pub(crate) zone: String,
    /// The record users resolve: `api.<name>.regionflip.test`.
    pub(crate) record: String,
}

impl TestZone {
    /// A zone named after `name`, so tests sharing one moto keep out of each other's way.
    pub(crate) async fn new(name: &str) -> TestZone {
        let moto = shared_moto();
        let aws = regionflip_local_aws::seed::clients(&moto).await;
        let zone_name = format!("{name}.regionflip.test");
        let zone = regionflip_local_aws::seed::create_zone(&aws, &zone_name).await;
        TestZone {
            moto,
            aws,
            zone,
            record: format!("api.{zone_name}"),
        }
    }
}

/// Creates what each region's SAM stack creates: the API's alarm `alarm` (OK) and a
/// string-match health check of the endpoint with `config`'s target; returns its id.
pub(crate) async fn create_region_stack(
    zone: &TestZone,
    region: &str,
    alarm: &str,
    config: aws_sdk_route53::types::builders::HealthCheckConfigBuilder,
) -> String {
    regionflip_local_aws::seed::create_alarm(&zone.aws, region, alarm).await;
    let check = zone
        .aws
        .route53
        .client()
        .create_health_check()
        .caller_reference(format!("stack-{}-{region}", zone.record))
        .health_check_config(config.resource_path("/health").build().unwrap())
        .send()
        .await
        .unwrap();
    check.health_check().unwrap().id().to_owned()
}

/// A configuration file in the temporary directory, removed when dropped.
pub(crate) struct ConfigFile {
    path: PathBuf,
}

impl ConfigFile {
    /// Writes `text` to a file named after `name` and this process, so parallel tests
    /// and parallel test runs never share one.
    pub(crate) fn new(name: &str, text: &str) -> ConfigFile {
        let path = std::env::temp_dir().join(format!(
            "regionflip-cli-test-{}-{name}.toml",
            std::process::id()
        ));
        std::fs::write(&path, text).expect("the temporary directory is writable");
        ConfigFile { path }
    }

    /// Where it is.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ConfigFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// What one run of the binary did.
#[derive(Debug)]
pub(crate) struct Run {
    /// The exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Standard output as one JSON document (the whole of it: nothing else may be there).
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON document ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// Asserts the exit code, showing both outputs when it differs.
    pub(crate) fn expect_code(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "exit code {} instead of {code}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }
}

/// Runs `regionflip --config CONFIG ARGS…` against `moto` (or against nothing when
/// `moto` is `None`: a command that must fail before any AWS call).
pub(crate) fn regionflip(moto: Option<&MotoServer>, config: &Path, args: &[&str]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_regionflip"));
    command.arg("--config").arg(config).args(args);
    // Only what the test sets: no profile, no real credentials, no instance metadata.
    for (name, _) in std::env::vars() {
        if name.starts_with("AWS_") || name.starts_with("REGIONFLIP_") {
            command.env_remove(name);
        }
    }
    let nowhere = std::env::temp_dir().join("regionflip-cli-test-no-aws-config");
    command
        .env("AWS_ACCESS_KEY_ID", "regionflip-test-access-key")
        .env("AWS_SECRET_ACCESS_KEY", "regionflip-test-secret-key")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", &nowhere)
        .env("AWS_SHARED_CREDENTIALS_FILE", &nowhere)
        .env("RUST_LOG", "warn");
    match moto {
        Some(server) => command.env("AWS_ENDPOINT_URL", server.endpoint()),
        // A port this test closed itself: anything that does call AWS fails fast instead
        // of reaching out.
        None => command.env(
            "AWS_ENDPOINT_URL",
            format!("http://127.0.0.1:{}", closed_port()),
        ),
    };
    let output = command.output().expect("the regionflip binary runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A loopback port that this process bound and closed again, so nothing of ours listens
/// there (rather than a fixed port assumed to be closed).
pub(crate) fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("a local address").port()
}

/// The minimum of `gated`'s `GateOpen` values per `period` seconds over the last ten
/// minutes, as the watcher published them in `host` (the region hosting that gate), each
/// with the start of its period (Unix seconds), oldest first.
pub(crate) async fn gate_minimums(
    aws: &regionflip_watcher::aws::AwsClients,
    host: &str,
    record: &str,
    gated: &str,
    period: i32,
) -> Vec<(i64, f64)> {
    use aws_sdk_cloudwatch::types::{Dimension, Statistic};
    let now = regionflip_local_aws::seed::now();
    let stats = aws
        .cloudwatch
        .client(host)
        .unwrap()
        .get_metric_statistics()
        .namespace("RegionFlip")
        .metric_name("GateOpen")
        .dimensions(Dimension::builder().name("Record").value(record).build())
        .dimensions(Dimension::builder().name("Region").value(gated).build())
        .start_time(aws_smithy_types::DateTime::from_secs(
            i64::try_from(now - 600).unwrap(),
        ))
        .end_time(aws_smithy_types::DateTime::from_secs(
            i64::try_from(now + 60).unwrap(),
        ))
        .period(period)
        .statistics(Statistic::Minimum)
        .send()
        .await
        .unwrap();
    let mut values: Vec<(i64, f64)> = stats
        .datapoints()
        .iter()
        .filter_map(|d| Some((d.timestamp()?.secs(), d.minimum()?)))
        .collect();
    values.sort_by_key(|(at, _)| *at);
    values
}

/// Runs `run` twice at the same moment, on two threads: two operators, or an operator and
/// a watcher, racing.
pub(crate) fn two_at_once(run: impl Fn() -> Run + Sync) -> [Run; 2] {
    std::thread::scope(|scope| {
        let first = scope.spawn(&run);
        let second = scope.spawn(&run);
        [first.join().unwrap(), second.join().unwrap()]
    })
}

/// Asserts that a pass which raced another ended as a lost race may: done (exit 0, having
/// re-read and found the work done), or given up after repeated compare-and-swap
/// conflicts (exit 1, saying so).
pub(crate) fn assert_raced_well(run: &Run, when: &str) {
    assert!(
        run.code == 0 || run.stderr.contains("compare-and-swap"),
        "{when}: exit {}\n{}\n{}",
        run.code,
        run.stdout,
        run.stderr
    );
}
