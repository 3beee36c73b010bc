//! A deployment as its stacks and `init` leave it, in either mode: a zone, each region's
//! alarm and HTTP string-match endpoint check, two real `health` endpoints on loopback
//! (each region's `health_url` and check point at its own), no `AWS/Route53
//! HealthCheckStatus` at all (moto never publishes it) and the passive standby's request
//! alarm in INSUFFICIENT_DATA: the world real AWS delivers (field facts).

use aws_sdk_cloudwatch::types::StateValue;
use aws_sdk_route53::types::{HealthCheckConfig, HealthCheckType};
use regionflip_core::EngineState;
use regionflip_local_aws::seed::OTHER_REGION;

use crate::harness::health::HealthProcess;
use crate::harness::records::{HOME, RecordsSetup, region_of_target};
use crate::harness::{ConfigFile, Operated, Run, TestZone, create_region_stack};

/// One test's deployment: zone, alarms, endpoint checks and configuration (the harness's
/// setup, whatever the mode), and the two health endpoints.
pub(crate) struct Deployment {
    pub(crate) setup: RecordsSetup,
    pub(crate) endpoints: [HealthProcess; 2],
}

impl Deployment {
    /// Initialised in `mode`, traffic home, no `HealthCheckStatus` published, the
    /// standby's alarm in INSUFFICIENT_DATA.
    pub(crate) async fn new(name: &str, mode: &str) -> Deployment {
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
                    .resource_path("/health")
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
        let world = Deployment {
            setup: RecordsSetup::of(test_zone, config, alarm_prefix),
            endpoints,
        };
        world.run(&["init"]).expect_code(0);
        world
            .set_alarm(OTHER_REGION, StateValue::InsufficientData)
            .await;
        world
    }

    pub(crate) fn run(&self, args: &[&str]) -> Run {
        self.setup.run(args)
    }

    pub(crate) async fn set_alarm(&self, region: &str, state: StateValue) {
        self.setup.set_alarm(region, state).await;
    }

    /// Where traffic goes: the PRIMARY record's region (`records`), or the newest state
    /// copy's active region, whose gates the pass published (`health-gate`).
    pub(crate) async fn routed_to(&self, mode: &str) -> String {
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
