//! Failover in the world real AWS delivers (field facts, "What real AWS does that moto and
//! our models did not"): Route 53 has published no `AWS/Route53 HealthCheckStatus` at
//! all (moto never publishes it; on AWS a new check has none, and during a us-east-1
//! event it is unreadable for hours), and the passive standby's request alarm sits in
//! INSUFFICIENT_DATA (it serves no traffic; `TreatMissingData` is `missing` by default;
//! moto starts alarms OK, so the test puts it there with SetAlarmState).
//!
//! Two real `health` binaries serve the regions on loopback, and each region's
//! `health_url` points at its own. Then one `regionflip reconcile` must fail over on a
//! primary alarm, on the standby's positive evidence (the watcher's probe); and with the
//! standby's endpoint stopped, the same pass must move nothing and say why.

use aws_sdk_cloudwatch::types::StateValue;
use regionflip_local_aws::seed::OTHER_REGION;
use serde_json::Value;

use crate::harness::deployment::Deployment as World;
use crate::harness::records::HOME;

/// Every reason and every region's evidence of a pass report, as one text to search.
fn explained(report: &Value) -> String {
    let mut text: Vec<String> = report["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect();
    for region in report["regions"].as_array().unwrap() {
        text.push(region.to_string());
    }
    text.join("\n")
}

async fn a_primary_alarm_fails_over_on_the_standby_s_probe(mode: &str) {
    let world = World::new(&format!("evidence-{mode}-fails-over"), mode).await;
    world.set_alarm(HOME, StateValue::Alarm).await;
    let report = world.run(&["--json", "reconcile"]).expect_code(0).json();
    assert_eq!(
        report["active_after"],
        OTHER_REGION,
        "{}",
        explained(&report)
    );
    assert_eq!(report["transition"]["kind"], "failover", "{report}");
    assert_eq!(world.routed_to(mode).await, OTHER_REGION);
    if mode == "health-gate" {
        let gates = report["transition"]["gates"].as_array().unwrap();
        let home_gate = gates.iter().find(|g| g["region"] == HOME).unwrap();
        assert_eq!(home_gate["open"], false, "home's gate closes: {gates:?}");
    }
    let why = explained(&report);
    assert!(why.contains("probe"), "the reasons name the probe: {why}");
}

async fn with_the_standby_endpoint_down_nothing_moves(mode: &str) {
    let mut world = World::new(&format!("evidence-{mode}-standby-down"), mode).await;
    world.endpoints[1].stop();
    world.set_alarm(HOME, StateValue::Alarm).await;
    let report = world.run(&["--json", "reconcile"]).expect_code(0).json();
    assert_eq!(report["active_after"], HOME, "{}", explained(&report));
    assert!(report["transition"].is_null(), "{report}");
    assert_eq!(world.routed_to(mode).await, HOME);
    let why = explained(&report);
    assert!(
        why.contains("no other region is known healthy"),
        "the pass says no target is healthy: {why}"
    );
    assert!(
        why.contains(&world.endpoints[1].url()),
        "the reasons name the standby's failing endpoint: {why}"
    );
}

#[tokio::test]
async fn records_mode_fails_over_on_a_primary_alarm_with_no_health_check_status_and_an_idle_standby()
 {
    a_primary_alarm_fails_over_on_the_standby_s_probe("records").await;
}

#[tokio::test]
async fn gate_mode_fails_over_on_a_primary_alarm_with_no_health_check_status_and_an_idle_standby() {
    a_primary_alarm_fails_over_on_the_standby_s_probe("health-gate").await;
}

#[tokio::test]
async fn records_mode_with_the_standby_endpoint_down_moves_nothing_and_says_why() {
    with_the_standby_endpoint_down_nothing_moves("records").await;
}

#[tokio::test]
async fn gate_mode_with_the_standby_endpoint_down_moves_nothing_and_says_why() {
    with_the_standby_endpoint_down_nothing_moves("health-gate").await;
}
