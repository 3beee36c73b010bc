//! The built `watcher` binary under a real Lambda runtime API: `cargo lambda watch`
//! emulates it on a free loopback port, `cargo lambda invoke` sends a file from
//! `events/`, and the function talks to a real moto_server through `AWS_ENDPOINT_URL`.
//!
//! This is the only test that runs the binary as Lambda runs it (runtime API, cold start,
//! environment configuration). cargo-lambda must be installed (`make test` and `.ci/run`
//! install it); when it is missing the test fails and says so rather than pass silently.

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_cloudwatch::types::StateValue;
use regionflip_core::{Config, EngineState, Mode};
use regionflip_local_aws::moto::MotoServer;
use regionflip_local_aws::seed::{
    create_alarm, create_zone, now, publish_health_status, set_alarm_state,
};
use regionflip_watcher::aws::{AwsClients, SdkBudget};
use regionflip_watcher::ports::{CloudWatchApi, StateAlarm};

const EAST: &str = "us-east-1";
const WEST: &str = "us-west-2";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn require_cargo_lambda() {
    let found = Command::new("cargo")
        .args(["lambda", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "cargo-lambda is not installed, so the watcher cannot be run under a Lambda runtime API; \
         install it with `pip install cargo-lambda` (make test does this)"
    );
}

/// `cargo lambda watch` and everything it starts, killed as one process group.
struct LambdaWatch {
    child: Child,
    port: u16,
}

impl Drop for LambdaWatch {
    fn drop(&mut self) {
        // The whole group: cargo-lambda, and the watcher process it runs. TERM first so
        // it can stop its function; KILL what is still there after a bounded wait.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local address").port()
}

impl LambdaWatch {
    fn start(env_file: &Path) -> LambdaWatch {
        let port = free_port();
        let mut child = Command::new("cargo")
            .current_dir(workspace_root())
            .args([
                "lambda",
                "watch",
                "--ignore-changes",
                "--invoke-address",
                "127.0.0.1",
            ])
            .args(["--invoke-port", &port.to_string()])
            .arg("--env-file")
            .arg(env_file)
            .args(["--package", "regionflip-watcher"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .expect("start cargo lambda watch");
        // Keep draining its log so it never blocks on a full pipe; echo it for failures.
        let stderr = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("[cargo lambda watch] {line}");
            }
        });
        let watch = LambdaWatch { child, port };
        // Readiness: the emulator accepts connections once it is up. Bounded poll.
        let deadline = Instant::now() + Duration::from_secs(120);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "cargo lambda watch did not listen on {port} within 120 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        watch
    }

    fn invoke(&self, event: &str) -> serde_json::Value {
        let output = Command::new("cargo")
            .current_dir(workspace_root())
            .args(["lambda", "invoke", "watcher", "--output-format", "json"])
            .args([
                "--invoke-address",
                "127.0.0.1",
                "--invoke-port",
                &self.port.to_string(),
            ])
            .arg("--data-file")
            .arg(workspace_root().join("events").join(event))
            .output()
            .expect("run cargo lambda invoke");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "invoke failed: {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn watcher_binary_under_cargo_lambda_watch_fails_over_on_an_alarm_event() {
    require_cargo_lambda();
    let moto = MotoServer::start_or_panic();
    let regions = [EAST.to_string(), WEST.to_string()];
    let clients = AwsClients::for_endpoint(&moto.endpoint(), &regions, SdkBudget::default()).await;
    let mut config = Config::from_toml_str(include_str!("../../../events/watcher-config.toml"))
        .expect("sample configuration");
    config.mode = Mode::HealthGate;
    config.hosted_zone_id = create_zone(&clients, "regionflip-demo.example").await;
    for (region, alarm) in [
        (EAST, "regionflip-demo-api-errors-us-east-1"),
        (EAST, "regionflip-demo-replication-lag-us-east-1"),
        (WEST, "regionflip-demo-api-errors-us-west-2"),
    ] {
        create_alarm(&clients, region, alarm).await;
    }
    let minute = now() / 60 * 60;
    for region in &config.regions {
        let check = region
            .health_check_id
            .as_deref()
            .expect("sample has checks");
        let healthy: Vec<(u64, f64)> = (0..5).map(|m| (minute - 60 * m, 1.0)).collect();
        publish_health_status(&clients, check, &healthy).await;
    }
    let state = EngineState {
        sequence: 1,
        ..EngineState::initial(EAST)
    };
    for region in [EAST, WEST] {
        let holder = StateAlarm {
            name: config.state_alarm_name(),
            namespace: config.metrics_namespace.clone(),
            description: state.encode(),
        };
        clients
            .cloudwatch
            .put_state_alarm(region, &holder)
            .await
            .expect("state holder");
    }
    set_alarm_state(
        &clients,
        EAST,
        "regionflip-demo-api-errors-us-east-1",
        StateValue::Alarm,
    )
    .await;

    // The function's environment: the configuration as the SAM template passes it, and
    // the SDK pointed at moto.
    let env_file =
        std::env::temp_dir().join(format!("regionflip-watch-{}.env", std::process::id()));
    let mut lines: Vec<String> = config
        .to_env()
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    lines.extend([
        format!("AWS_ENDPOINT_URL={}", moto.endpoint()),
        "AWS_ACCESS_KEY_ID=regionflip-test".into(),
        "AWS_SECRET_ACCESS_KEY=regionflip-test".into(),
        format!("AWS_REGION={EAST}"),
        "AWS_EC2_METADATA_DISABLED=true".into(),
    ]);
    std::fs::write(&env_file, lines.join("\n") + "\n").expect("write env file");

    let watch = LambdaWatch::start(&env_file);
    let summary = watch.invoke("watcher-alarm-alarm.json");
    assert_eq!(summary["transition"]["kind"], "failover", "{summary:#}");
    assert_eq!(summary["transition"]["to"], WEST);

    // A second event in the same warm sandbox finds the work done.
    let again = watch.invoke("watcher-scheduled-tick.json");
    assert_eq!(again["active_after"], WEST, "{again:#}");
    assert!(again["transition"].is_null());

    let ignored = watch.invoke("watcher-alarm-unconfigured.json");
    assert!(
        ignored["ignored"][0]
            .as_str()
            .unwrap_or("")
            .contains("not configured"),
        "{ignored:#}"
    );
    drop(watch);
    let _ = std::fs::remove_file(env_file);
}
