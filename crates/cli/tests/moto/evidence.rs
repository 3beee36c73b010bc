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
use aws_sdk_route53::types::{HealthCheckConfig, HealthCheckType};
use regionflip_core::EngineState;
use regionflip_local_aws::seed::OTHER_REGION;
use serde_json::Value;

use crate::harness::health::HealthProcess;
use crate::harness::records::{HOME, RecordsSetup, region_of_target};
use crate::harness::{ConfigFile, Operated, Run, TestZone, create_region_stack};

/// One test's deployment: zone, alarms, endpoint checks and configuration (the harness's
/// setup, whatever the mode), and the two health endpoints.
struct World {
    setup: RecordsSetup,
    endpoints: [HealthProcess; 2],
}

impl World {
    /// Initialised in `mode`, traffic home, no `HealthCheckStatus` published, the
    /// standby's alarm in INSUFFICIENT_DATA.
    async fn new(name: &str, mode: &str) -> World {
        let test_zone = TestZone::new(name).await;
        let (zone, record) = (&test_zone.zone, &test_zone.record);
        // The harness's alarm names: `<name>-errors-<region>`.
        let alarm_prefix = name.to_string();
        let endpoints = [
            HealthProcess::start(HOME),
            HealthProcess::start(OTHER_REGION),
        ];
        let mut regions = String::new();
        for (region, endpoint, target) in [
            (HOME, &endpoints[0], "east"),
            (OTHER_REGION, &endpoints[1], "west"),
        ] {
            // What each region's SAM stack creates; Route 53 never reports on it here.
            let check = create_region_stack(
                &test_zone,
                region,
                &format!("{alarm_prefix}-errors-{region}"),
                HealthCheckConfig::builder()
                    .r#type(HealthCheckType::HttpStrMatch)
                    .ip_address("127.0.0.1")
                    .port(i32::from(endpoint.port()))
                    .search_string("regionflip-healthy"),
            )
            .await;
            regions.push_str(&format!(
                r#"
[[regions]]
name = "{region}"
target = "{target}.{record}.backend.example"
health_check_id = "{check}"
health_url = "{url}"
alarms = ["{alarm_prefix}-errors-{region}"]
"#,
                url = endpoint.url(),
            ));
        }
        let config = ConfigFile::new(
            name,
            &format!(
                "hosted_zone_id = \"{zone}\"\nrecord_name = \"{record}\"\nmode = \"{mode}\"\n{regions}"
            ),
        );
        let world = World {
            setup: RecordsSetup::of(test_zone, config, alarm_prefix),
            endpoints,
        };
        world.run(&["init"]).expect_code(0);
        world
            .set_alarm(OTHER_REGION, StateValue::InsufficientData)
            .await;
        world
    }

    fn run(&self, args: &[&str]) -> Run {
        self.setup.run(args)
    }

    async fn set_alarm(&self, region: &str, state: StateValue) {
        self.setup.set_alarm(region, state).await;
    }

    /// Where traffic goes: the PRIMARY record's region (`records`), or the newest state
    /// copy's active region, whose gates the pass published (`health-gate`).
    async fn routed_to(&self, mode: &str) -> String {
        if mode == "records" {
            let name = format!("{}.", self.setup.record);
            let page = regionflip_watcher::ports::Route53Api::list_records(
                &self.setup.aws.route53,
                &self.setup.zone,
                &name,
                100,
            )
            .await
            .unwrap();
            let primary = page
                .records
                .iter()
                .find(|r| {
                    r.name == name && r.failover == Some(regionflip_core::FailoverRole::Primary)
                })
                .expect("a PRIMARY record");
            return region_of_target(&primary.values[0]).to_owned();
        }
        let alarm = format!(
            "regionflip-state-{}",
            regionflip_core::resources::slug_of(&self.setup.record)
        );
        let mut newest: Option<EngineState> = None;
        for region in [HOME, OTHER_REGION] {
            let found = self
                .setup
                .aws
                .cloudwatch
                .client(region)
                .unwrap()
                .describe_alarms()
                .alarm_names(&alarm)
                .send()
                .await
                .unwrap();
            let text = found.metric_alarms()[0]
                .alarm_description()
                .unwrap()
                .to_owned();
            let state = EngineState::decode(&text).unwrap();
            if newest.as_ref().is_none_or(|n| state.sequence > n.sequence) {
                newest = Some(state);
            }
        }
        newest.unwrap().active
    }
}

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
