//! `regionflip drill --quick`, run as a user runs it, in both modes: it must pass, and its
//! JSON report must show the exercise it claims — two failovers and two failbacks in
//! order, damping holding the flapping primary, every transition journalled, the
//! metrics read back, and the files written.
//!
//! Needs `moto_server` on PATH (`make test` installs it) and the `health` binary, which
//! the test builds with cargo when the target directory lacks it.

use std::path::{Path, PathBuf};

use crate::harness::health::health_bin;
use std::process::Command;
use std::sync::Mutex;

use serde_json::Value;

/// Drills run one at a time: each is timed against budgets, and two at once on a
/// two-core machine would measure the machine.
static ONE_DRILL_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Runs a quick drill in `mode` and returns its JSON report and output directory.
fn quick_drill(mode: &str) -> (Value, PathBuf) {
    quick_drill_with(mode, &[])
}

/// [`quick_drill`] with more arguments.
fn quick_drill_with(mode: &str, more: &[&str]) -> (Value, PathBuf) {
    let _one = ONE_DRILL_AT_A_TIME
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "drill-{mode}-{}{}",
        std::process::id(),
        more.join("")
    ));
    let output = Command::new(env!("CARGO_BIN_EXE_regionflip"))
        .args(["--json", "drill", "--quick", "--mode", mode])
        .args(more)
        .arg("--out")
        .arg(&out)
        .arg("--health-bin")
        .arg(health_bin())
        // Our own moto, not whatever emulator the environment points at.
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "the drill failed:\n{stderr}");
    let report: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("no JSON report on stdout ({e}); stderr:\n{stderr}"));
    (report, out)
}

fn check_report(report: &Value, out: &Path, mode: &str) {
    assert_eq!(report["passed"], true);
    assert_eq!(report["mode"], mode);
    let failed: Vec<&Value> = report["expectations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["passed"] != true)
        .collect();
    assert!(failed.is_empty(), "{failed:?}");

    let kinds: Vec<&str> = report["timeline"]["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["kind"].as_str().unwrap())
        .collect();
    // The outage and the gray failure each fail over and back; while the primary flaps,
    // a failover away from it is never damped (it is known unhealthy), and the failback
    // after it is: the four earlier flips used the hour's budget.
    assert_eq!(kinds[..4], ["failover", "failback", "failover", "failback"]);
    assert!(kinds[4..].iter().all(|k| *k == "failover"), "{kinds:?}");
    let m = &report["measurements"];
    let transitions = kinds.len() as u64;
    let failovers = kinds.iter().filter(|k| **k == "failover").count() as f64;
    assert_eq!(m["events_recorded"], transitions);
    assert_eq!(
        report["journal"].as_array().unwrap().len() as u64,
        transitions
    );
    assert_eq!(report["metrics_read_back"]["failover"], failovers);
    assert_eq!(report["metrics_read_back"]["failback"], 2.0);
    assert_eq!(m["flapping_flips"], 0, "no failback while flapping");
    assert!(m["damped_passes"].as_u64().unwrap() > 0, "{m}");
    let stable = report["timings"]["stable_for_secs"].as_f64().unwrap();
    assert!(m["restore_stable"].as_f64().unwrap() >= stable - 1.0, "{m}");
    assert!(
        m["recovery_failback"].as_f64().unwrap() >= stable - 1.0,
        "{m}"
    );
    // How long it took is a benchmark budget (scripts/bench), not a test assertion: a
    // loaded machine must not fail a correct drill. The field must be there for it.
    assert!(report["duration_secs"].as_f64().is_some(), "{report}");
    assert!(!report["simulated"].as_array().unwrap().is_empty());

    let html = std::fs::read_to_string(out.join("timeline.html")).unwrap();
    assert!(
        html.contains("<svg") && html.contains("DNS answer"),
        "timeline.html lacks the timeline"
    );
    let config = std::fs::read_to_string(out.join("regionflip.toml")).unwrap();
    assert!(config.contains(&format!("mode = \"{mode}\"")), "{config}");
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(&written, report);
}

#[test]
fn a_quick_drill_in_health_gate_mode_passes() {
    let (report, out) = quick_drill("health-gate");
    check_report(&report, &out, "health-gate");
    let lanes: Vec<&str> = report["timeline"]["lanes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert!(lanes.contains(&"us-east-1 gate"), "{lanes:?}");
}

#[test]
fn a_quick_drill_in_records_mode_passes() {
    let (report, out) = quick_drill("records");
    check_report(&report, &out, "records");
}

/// Three regions in health-gate mode: traffic goes down the gate chain (home fails, then
/// the second choice) and back up it (the second recovers, then home), each move a gate
/// and Route 53's failover rules down the chain (the drill's data plane).
#[test]
fn a_quick_three_region_drill_goes_down_the_chain_and_back() {
    let (report, out) = quick_drill_with("health-gate", &["--regions", "3"]);
    assert_eq!(report["passed"], true, "{:#}", report["expectations"]);
    assert_eq!(report["scenario"], "three-regions");
    assert_eq!(report["regions"].as_array().unwrap().len(), 3);
    let moves: Vec<String> = report["journal"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            format!(
                "{} {}→{}",
                t["kind"].as_str().unwrap(),
                t["from"].as_str().unwrap(),
                t["to"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        moves,
        [
            "failover us-east-1→us-west-2",
            "failover us-west-2→eu-west-1",
            "failback eu-west-1→us-west-2",
            "failback us-west-2→us-east-1"
        ]
    );
    for measured in [
        "home_fails_dns",
        "second_fails_dns",
        "second_recovers_dns",
        "home_recovers_dns",
    ] {
        assert!(
            report["chain"][measured].as_f64().is_some(),
            "{measured}: {:#}",
            report["chain"]
        );
    }
    let config = std::fs::read_to_string(out.join("regionflip.toml")).unwrap();
    assert_eq!(config.matches("[[regions]]").count(), 3, "{config}");
}

#[test]
fn a_missing_health_binary_is_explained() {
    let output = Command::new(env!("CARGO_BIN_EXE_regionflip"))
        .args(["drill", "--quick", "--health-bin", "/nonexistent/health"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cargo build -p regionflip-health"),
        "{stderr}"
    );
}

#[test]
fn impossible_timings_are_usage_errors() {
    let output = Command::new(env!("CARGO_BIN_EXE_regionflip"))
        .args(["drill", "--failure-threshold", "11"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

/// Active-active (latency routing, two regions): home gray-fails and is evacuated while
/// the other keeps serving; the other fails too and stays in (last in service), and DNS
/// never fails open onto home; both recover and home returns after its stable window.
#[test]
fn a_quick_active_active_drill_evacuates_home_and_keeps_the_last_region_in() {
    let (report, out) = quick_drill_with("health-gate", &["--routing", "latency"]);
    assert_eq!(report["passed"], true, "{:#}", report["expectations"]);
    assert_eq!(report["scenario"], "active-active");
    assert_eq!(report["routing"], "latency");
    let kinds: Vec<&str> = report["journal"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["evacuate", "restore"]);
    assert!(
        report["active_active"]["home_evacuated_dns"]
            .as_f64()
            .is_some()
    );
    // The timeline shows the regions in service.
    let lanes = report["timeline"]["lanes"].to_string();
    assert!(lanes.contains("regions in service"), "{lanes}");
    let config = std::fs::read_to_string(out.join("regionflip.toml")).unwrap();
    assert!(config.contains("routing = \"latency\""), "{config}");
}
