//! The operator commands end to end in `health-gate` mode: the built binary against
//! moto. The regions' endpoint checks are created first, as each region's SAM stack would
//! create them; their health comes from `AWS/Route53 HealthCheckStatus` in us-east-1,
//! which moto never publishes by itself, so the test publishes it with `PutMetricData`.
//!
//! moto stores a `CLOUDWATCH_METRIC` check without its `AlarmIdentifier` and
//! `InsufficientDataHealthStatus`; the adapter's unit tests check that both are sent.

use std::collections::BTreeMap;

use crate::harness::regions::{check_tree, gate_alarms_in};
use crate::harness::{ConfigFile, Operated, Run, TestZone, create_region_stack, regionflip};
use aws_sdk_cloudwatch::types::{StateValue, Statistic};
use aws_sdk_route53::types::{HealthCheckConfig, HealthCheckType, TagResourceType};
use regionflip_core::{EngineState, FailoverRole, RecordSet};
use regionflip_local_aws::moto::MotoServer;
use regionflip_local_aws::seed::OTHER_REGION;
use regionflip_watcher::aws::AwsClients;
use regionflip_watcher::ports::Route53Api;
use serde_json::Value;

const HOME: &str = "us-east-1";

struct Setup {
    moto: std::sync::Arc<MotoServer>,
    aws: AwsClients,
    zone: String,
    record: String,
    config: ConfigFile,
    endpoint_checks: [String; 2],
    alarm_prefix: String,
}

impl Operated for Setup {
    fn run(&self, args: &[&str]) -> Run {
        regionflip(Some(&self.moto), self.config.path(), args)
    }

    async fn set_alarm(&self, region: &str, state: StateValue) {
        let name = format!("{}-{region}", self.alarm_prefix);
        regionflip_local_aws::seed::set_alarm_state(&self.aws, region, &name, state).await;
    }
}

impl Setup {
    async fn new(name: &str) -> Setup {
        let test_zone = TestZone::new(name).await;
        let (moto, aws, zone, record) = (
            test_zone.moto.clone(),
            test_zone.aws.clone(),
            test_zone.zone.clone(),
            test_zone.record.clone(),
        );
        let mut endpoint_checks = Vec::new();
        for region in [HOME, OTHER_REGION] {
            // What each region's SAM stack creates: an HTTPS string-match check.
            let check = create_region_stack(
                &test_zone,
                region,
                &format!("{name}-errors-{region}"),
                HealthCheckConfig::builder()
                    .r#type(HealthCheckType::HttpsStrMatch)
                    .fully_qualified_domain_name(format!("health.{region}.{name}.regionflip.test"))
                    .search_string("\"status\":\"ok\""),
            )
            .await;
            endpoint_checks.push(check);
        }
        let config = ConfigFile::new(
            name,
            &format!(
                r#"
hosted_zone_id = "{zone}"
record_name = "{record}"
mode = "health-gate"

[[regions]]
name = "{HOME}"
target = "east.{record}.backend.example"
health_check_id = "{east}"
alarms = ["{name}-errors-{HOME}"]

[[regions]]
name = "{OTHER_REGION}"
target = "west.{record}.backend.example"
health_check_id = "{west}"
alarms = ["{name}-errors-{OTHER_REGION}"]
"#,
                east = endpoint_checks[0],
                west = endpoint_checks[1],
            ),
        );
        let setup = Setup {
            moto,
            aws,
            zone,
            record,
            config,
            endpoint_checks: [endpoint_checks[0].clone(), endpoint_checks[1].clone()],
            alarm_prefix: format!("{name}-errors"),
        };
        // Both endpoints healthy for the last few minutes.
        for check in &setup.endpoint_checks {
            let reports: Vec<(u64, f64)> = (0..3)
                .map(|m| (regionflip_local_aws::seed::minute_start(m), 1.0))
                .collect();
            regionflip_local_aws::seed::publish_health_status(&setup.aws, check, &reports).await;
        }
        setup
    }

    async fn pair(&self) -> Vec<RecordSet> {
        let name = format!("{}.", self.record);
        let page = self
            .aws
            .route53
            .list_records(&self.zone, &name, 100)
            .await
            .unwrap();
        page.records
            .into_iter()
            .filter(|r| r.name == name)
            .collect()
    }

    /// The health checks of this test's world: its stack's endpoint checks and every
    /// check tagged with its record. (The tests of this file share one moto, so the
    /// account holds other tests' checks too.)
    async fn health_check_count(&self) -> usize {
        let route53 = self.aws.route53.client();
        let mut ids = Vec::new();
        let mut marker = None;
        loop {
            let page = route53
                .list_health_checks()
                .set_marker(marker)
                .send()
                .await
                .unwrap();
            ids.extend(page.health_checks().iter().map(|c| c.id().to_owned()));
            match page.next_marker() {
                Some(next) if page.is_truncated() => marker = Some(next.to_owned()),
                _ => break,
            }
        }
        let mut ours = 0;
        // ListTagsForResources takes at most ten ids.
        for chunk in ids.chunks(10) {
            let tags = route53
                .list_tags_for_resources()
                .resource_type(TagResourceType::Healthcheck)
                .set_resource_ids(Some(chunk.to_vec()))
                .send()
                .await
                .unwrap();
            ours += tags
                .resource_tag_sets()
                .iter()
                .filter(|set| {
                    let id = set.resource_id().unwrap_or_default();
                    self.endpoint_checks.iter().any(|own| own == id)
                        || set.tags().iter().any(|t| {
                            t.key() == Some("regionflip:record")
                                && t.value() == Some(self.record.as_str())
                        })
                })
                .count();
        }
        ours
    }

    async fn state_in(&self, region: &str) -> Option<EngineState> {
        let alarm_name = format!(
            "regionflip-state-{}",
            regionflip_core::resources::slug_of(&self.record)
        );
        let alarms = self
            .aws
            .cloudwatch
            .client(region)
            .unwrap()
            .describe_alarms()
            .alarm_names(alarm_name)
            .send()
            .await
            .unwrap();
        let description = alarms
            .metric_alarms()
            .first()?
            .alarm_description()?
            .to_owned();
        Some(EngineState::decode(&description).unwrap())
    }

    /// The lowest `GateOpen` value of `gated`'s gate published in the last ten minutes.
    async fn lowest_gate_value(&self, gated: &str, host: &str) -> Option<f64> {
        crate::harness::gate_minimums(&self.aws, host, &self.record, gated, 3600)
            .await
            .into_iter()
            .map(|(_, value)| value)
            .reduce(f64::min)
    }
}

fn region_view<'a>(status: &'a Value, region: &str) -> &'a Value {
    status["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["region"] == region)
        .unwrap()
}

/// The tests' own world, initialised: state holders, gates (open), checks and the pair,
/// traffic on home.
async fn initialised(name: &str) -> Setup {
    Setup::new(name).await.initialised()
}

/// Initialised, then home's alarm fired and a pass failed over: traffic on the standby,
/// home's gate closed, home in ALARM.
async fn failed_over(name: &str) -> Setup {
    let setup = initialised(name).await.after_a_failover().await;
    assert_eq!(
        setup.state_in(HOME).await.unwrap().active,
        OTHER_REGION,
        "set-up: the failover"
    );
    setup
}

#[tokio::test]
async fn init_dry_run_plans_everything_and_creates_nothing() {
    let setup = Setup::new("gate-init-dry").await;
    let dry = setup
        .run(&["init", "--dry-run", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(dry["dry_run"], true);
    // Two state holders, home's gate alarm, its first value, its gate and CALCULATED
    // checks, the pair: the standby has no gate.
    assert_eq!(dry["steps"].as_array().unwrap().len(), 7, "{dry:#}");
    assert_eq!(setup.health_check_count().await, 2);
    assert!(setup.state_in(HOME).await.is_none());
    assert!(setup.pair().await.is_empty());
}

#[tokio::test]
async fn init_writes_state_holders_everywhere_and_home_s_gate_alarm_in_the_next_region() {
    let setup = initialised("gate-init-state").await;
    let slug = regionflip_core::resources::slug_of(&setup.record);
    for region in [HOME, OTHER_REGION] {
        let state = setup.state_in(region).await.expect("a state holder");
        assert_eq!((state.sequence, state.active.as_str()), (1, HOME));
    }
    let gate_alarm = format!("regionflip-gate-{slug}-{HOME}");
    let alarms = setup
        .aws
        .cloudwatch
        .client(OTHER_REGION)
        .unwrap()
        .describe_alarms()
        .alarm_names(&gate_alarm)
        .send()
        .await
        .unwrap();
    let alarm = alarms
        .metric_alarms()
        .first()
        .expect("home's gate alarm lives in the next region");
    assert_eq!(alarm.metric_name(), Some("GateOpen"));
    assert_eq!(alarm.statistic(), Some(&Statistic::Minimum));
    assert_eq!(alarm.treat_missing_data(), Some("ignore"));
    assert_eq!(alarm.threshold(), Some(1.0));
    assert_eq!(
        setup.lowest_gate_value(HOME, OTHER_REGION).await,
        Some(1.0),
        "gates start open"
    );
}

#[tokio::test]
async fn init_creates_home_s_gate_and_calculated_checks_and_the_pair_on_them() {
    let setup = initialised("gate-init-checks").await;
    assert_eq!(
        setup.health_check_count().await,
        4,
        "the two endpoint checks, home's gate check and home's calculated check"
    );

    let pair = setup.pair().await;
    assert_eq!(pair.len(), 2);
    let primary = pair
        .iter()
        .find(|r| r.failover == Some(FailoverRole::Primary))
        .unwrap();
    assert!(primary.values[0].starts_with("east."));
    let calculated = primary
        .health_check_id
        .clone()
        .expect("PRIMARY carries a check");
    let check = setup
        .aws
        .route53
        .client()
        .get_health_check()
        .health_check_id(&calculated)
        .send()
        .await
        .unwrap();
    let config = check.health_check().unwrap().health_check_config().unwrap();
    assert_eq!(config.r#type(), &HealthCheckType::Calculated);
    assert_eq!(config.health_threshold(), Some(2));
    assert_eq!(config.child_health_checks()[0], setup.endpoint_checks[0]);
    let tags = setup
        .aws
        .route53
        .client()
        .list_tags_for_resources()
        .resource_type(TagResourceType::Healthcheck)
        .resource_ids(&calculated)
        .send()
        .await
        .unwrap();
    let tags: BTreeMap<&str, &str> = tags.resource_tag_sets()[0]
        .tags()
        .iter()
        .map(|t| (t.key().unwrap(), t.value().unwrap()))
        .collect();
    assert_eq!(tags.get("regionflip:role"), Some(&"calculated"));
    assert_eq!(tags.get("regionflip:region"), Some(&HOME));
    assert_eq!(tags.get("regionflip:record"), Some(&setup.record.as_str()));
}

#[tokio::test]
async fn a_second_init_finds_everything_and_creates_no_duplicate_checks() {
    let setup = initialised("gate-init-again").await;
    let pair = setup.pair().await;
    // moto would create duplicate checks if init asked.
    let again = setup.run(&["init"]).expect_code(0);
    assert!(
        again.stdout.contains("already initialised"),
        "{}",
        again.stdout
    );
    assert_eq!(setup.health_check_count().await, 4);
    assert_eq!(setup.pair().await, pair);
}

#[tokio::test]
async fn status_shows_both_regions_healthy_with_gates_open_from_health_check_status() {
    let setup = initialised("gate-status").await;
    let status = setup.run(&["status", "--json"]).expect_code(0).json();
    assert_eq!(status["active"], HOME);
    for region in [HOME, OTHER_REGION] {
        let view = region_view(&status, region);
        assert_eq!(view["health"], "healthy", "{view:#}");
        assert_eq!(view["endpoint"]["status"], "healthy");
    }
    assert_eq!(region_view(&status, HOME)["gate_open"], true);
    let standby = region_view(&status, OTHER_REGION);
    assert!(
        standby["gate_open"].is_null() && standby["gate_alarm"].is_null(),
        "the standby has no gate: {standby:#}"
    );
}

/// Finding 2 of "Holds on real AWS": with home's region wholly unreachable, nothing the
/// standby's routing needs lives there. Walks every record's health-check tree as Route
/// 53 reports it (GetHealthCheck, CALCULATED children down to CLOUDWATCH_METRIC checks)
/// : the SECONDARY depends on its endpoint check alone (no CloudWatch at all), and the
/// one alarm home's routing depends on, its gate, lives in the standby's region. (moto
/// drops a CLOUDWATCH_METRIC check's `AlarmIdentifier`; Route 53 reports it, and where it
/// is reported it must not name home.)
#[tokio::test]
async fn nothing_the_standby_s_routing_needs_lives_in_home_s_region() {
    let setup = initialised("gate-placement").await;
    let mut alarm_regions_of = BTreeMap::new();
    for record in setup.pair().await {
        let check = record.health_check_id.clone().expect("a health check");
        let role = match record.failover {
            Some(FailoverRole::Primary) => "primary",
            _ => "secondary",
        };
        alarm_regions_of.insert(role, check_tree(&setup.aws, &check).await);
    }
    let (standby_types, standby_alarms) = &alarm_regions_of["secondary"];
    assert_eq!(
        standby_types,
        &["HTTPS_STR_MATCH".to_string()],
        "the standby's record carries its endpoint check alone"
    );
    assert!(standby_alarms.is_empty(), "{standby_alarms:?}");
    let (home_types, home_alarms) = &alarm_regions_of["primary"];
    assert_eq!(
        home_types,
        &["CALCULATED", "CLOUDWATCH_METRIC", "HTTPS_STR_MATCH"].map(String::from),
        "home's record: its CALCULATED check over its endpoint and its gate"
    );
    assert!(
        home_alarms.iter().all(|region| region != HOME),
        "home's gate is hosted in home: {home_alarms:?}"
    );
    let slug = regionflip_core::resources::slug_of(&setup.record);
    assert_eq!(
        gate_alarms_in(&setup.aws, OTHER_REGION, &setup.record).await,
        [format!("regionflip-gate-{slug}-{HOME}")],
        "home's gate alarm lives in the standby's region"
    );
    let in_home = gate_alarms_in(&setup.aws, HOME, &setup.record).await;
    assert!(
        in_home.is_empty(),
        "no gate alarm lives in home: {in_home:?}"
    );
}

#[tokio::test]
async fn reconcile_on_a_steady_world_changes_nothing() {
    let setup = initialised("gate-steady").await;
    let steady = setup.run(&["reconcile", "--json"]).expect_code(0).json();
    assert_eq!(steady["decision"]["outcome"]["outcome"], "no-change");
}

#[tokio::test]
async fn a_failing_home_alarm_closes_home_s_gate_and_never_rewrites_the_records() {
    let setup = initialised("gate-failover").await;
    let pair = setup.pair().await;
    setup.set_alarm(HOME, StateValue::Alarm).await;
    let failover = setup.run(&["reconcile"]).expect_code(0);
    assert!(
        failover.stdout.contains("FAILOVER us-east-1 → eu-west-1"),
        "{}",
        failover.stdout
    );
    assert!(
        failover.stderr.contains("regionflip transition"),
        "{}",
        failover.stderr
    );
    assert_eq!(
        setup.lowest_gate_value(HOME, OTHER_REGION).await,
        Some(0.0),
        "home's gate closed"
    );
    assert_eq!(
        setup.pair().await,
        pair,
        "gate mode never rewrites the records"
    );
}

#[tokio::test]
async fn after_a_failover_status_and_every_state_copy_show_the_standby_active() {
    let setup = failed_over("gate-after-failover").await;
    let status = setup.run(&["status"]).expect_code(0);
    assert!(status.stdout.contains("eu-west-1 *"), "{}", status.stdout);
    assert!(status.stdout.contains("closed"), "{}", status.stdout);
    for region in [HOME, OTHER_REGION] {
        assert_eq!(setup.state_in(region).await.unwrap().active, OTHER_REGION);
    }
}

#[tokio::test]
async fn failover_to_a_failing_region_is_refused_with_exit_3() {
    let setup = failed_over("gate-refused").await;
    let refused = setup
        .run(&["failover", "--to", HOME, "--json"])
        .expect_code(3);
    assert_eq!(refused.json()["decision"]["outcome"]["outcome"], "refused");
}

#[tokio::test]
async fn a_forced_dry_run_failover_says_so_and_moves_nothing() {
    let setup = failed_over("gate-forced-dry").await;
    let dry = setup
        .run(&["failover", "--to", HOME, "--force", "--dry-run"])
        .expect_code(0);
    assert!(dry.stdout.contains("dry run"), "{}", dry.stdout);
    assert_eq!(setup.state_in(HOME).await.unwrap().active, OTHER_REGION);
}

#[tokio::test]
async fn a_forced_failover_moves_traffic_to_a_failing_region() {
    let setup = failed_over("gate-forced").await;
    setup
        .run(&["failover", "--to", HOME, "--force"])
        .expect_code(0);
    assert_eq!(setup.state_in(HOME).await.unwrap().active, HOME);
}

#[tokio::test]
async fn failback_after_a_manual_move_takes_traffic_home_and_opens_its_gate() {
    let setup = initialised("gate-failback").await;
    let moved = setup
        .run(&["failover", "--to", OTHER_REGION])
        .expect_code(0);
    // What happens next, and roughly when: routing moved now, DNS follows once the gate's
    // alarm, Route 53's reading of its stream and the TTL have passed (docs/deploy.md).
    assert!(
        moved
            .stdout
            .contains(&format!("routing moved to {OTHER_REGION}"))
            && moved
                .stdout
                .contains("gate alarm has seen a whole 60 s period")
            && moved.stdout.contains("TTL"),
        "{}",
        moved.stdout
    );
    let back = setup.run(&["failback", "--json"]).expect_code(0).json();
    assert_eq!(back["transition"]["to"], HOME);
    let status = setup.run(&["status", "--json"]).expect_code(0).json();
    assert_eq!(status["active"], HOME);
    assert_eq!(region_view(&status, HOME)["gate_open"], true);
}

#[tokio::test]
async fn pause_is_written_to_every_state_copy_and_resume_clears_it() {
    let setup = initialised("gate-pause").await;
    setup.run(&["pause"]).expect_code(0);
    assert!(setup.state_in(OTHER_REGION).await.unwrap().paused);
    setup.run(&["resume"]).expect_code(0);
    let status = setup.run(&["status", "--json"]).expect_code(0).json();
    assert_eq!(status["state"]["paused"], false);
}

#[tokio::test]
async fn a_failing_standby_endpoint_check_shows_unhealthy_in_status() {
    let setup = initialised("gate-standby-down").await;
    // From HealthCheckStatus, as Route 53 would publish it: unhealthy for the last two
    // minutes. (One minute alone raced the wall clock: when a minute began between the
    // set-up's healthy reports and this one, the newest minute the pass read was still a
    // healthy one, and the test failed by chance.)
    regionflip_local_aws::seed::publish_health_status(
        &setup.aws,
        &setup.endpoint_checks[1],
        &[
            (regionflip_local_aws::seed::minute_start(1), 0.0),
            (regionflip_local_aws::seed::minute_start(0), 0.0),
        ],
    )
    .await;
    let status = setup.run(&["status", "--json"]).expect_code(0).json();
    let standby = region_view(&status, OTHER_REGION);
    assert_eq!(standby["health"], "unhealthy", "{standby:#}");
    assert_eq!(standby["endpoint"]["status"], "unhealthy");
}

/// CloudFormation replaces the stack's endpoint check when `RequestInterval` or `Type`
/// changes (both create-only): a new id, and the old check deleted, which Route 53 does
/// not refuse while a CALCULATED check still lists it. A second init rewires home's
/// CALCULATED check onto the new endpoint check with `UpdateHealthCheck` (over the wire,
/// against moto), so the failover records, which name the CALCULATED check, stay as
/// they are; a third init finds everything.
#[tokio::test]
async fn init_rewires_the_calculated_check_onto_a_replaced_endpoint_check() {
    let setup = initialised("gate-init-replaced").await;
    let pair = setup.pair().await;
    let calculated = pair
        .iter()
        .find(|r| r.failover == Some(FailoverRole::Primary))
        .and_then(|r| r.health_check_id.clone())
        .unwrap();
    let route53 = setup.aws.route53.client();
    let children = |id: String| async move {
        let check = route53
            .get_health_check()
            .health_check_id(id)
            .send()
            .await
            .unwrap();
        check
            .health_check()
            .unwrap()
            .health_check_config()
            .unwrap()
            .child_health_checks()
            .to_vec()
    };
    let gate = children(calculated.clone()).await[1].clone();
    // The stack's replacement, at the new interval; the old check is deleted.
    let replacement = route53
        .create_health_check()
        .caller_reference("stack-gate-init-replaced-us-east-1-replacement")
        .health_check_config(
            HealthCheckConfig::builder()
                .r#type(HealthCheckType::HttpsStrMatch)
                .fully_qualified_domain_name("health.us-east-1.gate-init-replaced.regionflip.test")
                .resource_path("/health")
                .search_string("\"status\":\"ok\"")
                .request_interval(10)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .health_check()
        .unwrap()
        .id()
        .to_owned();
    route53
        .delete_health_check()
        .health_check_id(&setup.endpoint_checks[0])
        .send()
        .await
        .expect("Route 53 deletes a check a CALCULATED check still lists");
    let text = std::fs::read_to_string(setup.config.path()).unwrap();
    std::fs::write(
        setup.config.path(),
        text.replace(&setup.endpoint_checks[0], &replacement),
    )
    .unwrap();

    let rewired = setup.run(&["init"]).expect_code(0);
    assert!(rewired.stdout.contains("updated"), "{}", rewired.stdout);
    assert_eq!(
        children(calculated.clone()).await,
        [replacement.clone(), gate]
    );
    assert_eq!(setup.pair().await, pair, "the records are untouched");
    let again = setup.run(&["init"]).expect_code(0);
    assert!(
        again.stdout.contains("already initialised"),
        "{}",
        again.stdout
    );
}

/// `uninstall` after a failover, against moto: the dry run lists the order and changes
/// nothing; the run hands the name to a plain CNAME on the standby (where traffic is)
/// in one batch, then deletes init's checks and alarms, keeping the stacks' endpoint
/// checks; a second run finds nothing left.
#[tokio::test]
async fn uninstall_hands_the_name_back_on_the_active_region_then_removes_what_init_created() {
    let setup = failed_over("gate-uninstall").await;
    let pair = setup.pair().await;
    let checks = setup.health_check_count().await;
    let holders = [
        setup.state_in(HOME).await.is_some(),
        setup.state_in(OTHER_REGION).await.is_some(),
    ];
    let dry = setup.run(&["uninstall", "--dry-run"]).expect_code(0);
    assert!(
        dry.stdout.contains("in one change batch, delete")
            && dry.stdout.contains("delete calculated check")
            && dry.stdout.contains("delete alarms"),
        "{}",
        dry.stdout
    );
    assert_eq!(setup.pair().await, pair, "a dry run changes nothing");
    assert_eq!(
        setup.health_check_count().await,
        checks,
        "nor any health check"
    );
    assert_eq!(
        [
            setup.state_in(HOME).await.is_some(),
            setup.state_in(OTHER_REGION).await.is_some()
        ],
        holders,
        "nor any state holder alarm"
    );

    let report = setup.run(&["uninstall", "--json"]).expect_code(0).json();
    assert_eq!(report["steps"][0]["step"], "restore-record", "{report:#}");
    let records = setup.pair().await;
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(records[0].set_identifier, None);
    assert!(
        records[0].values[0].starts_with("west."),
        "the plain record points where traffic is: {records:#?}"
    );
    assert_eq!(
        setup.health_check_count().await,
        2,
        "only the stacks' endpoint checks are left"
    );
    for region in [HOME, OTHER_REGION] {
        assert!(setup.state_in(region).await.is_none(), "{region}");
    }
    let again = setup.run(&["uninstall"]).expect_code(0);
    assert!(
        again.stdout.contains("nothing of regionflip's is left"),
        "{}",
        again.stdout
    );
}

/// `status` shows what Route 53 is doing, not only the plan: each failover record and
/// its check, each endpoint check's checkers, each gate alarm's state and Route 53's
/// answer, every part readable or saying why not (moto: no HealthCheckStatus at all).
/// Paused with home failing, it warns that a needed failover is held back.
#[tokio::test]
async fn status_shows_route53_now_and_warns_when_a_pause_holds_a_failover_back() {
    let setup = initialised("gate-status-now").await;
    let status = setup.run(&["status", "--json"]).expect_code(0).json();
    let route53 = &status["route53"];
    let roles: Vec<&str> = route53["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles.len(), 2, "{route53:#}");
    assert!(roles.contains(&"PRIMARY") && roles.contains(&"SECONDARY"));
    let gates = route53["gate_alarms"].as_array().unwrap();
    assert_eq!(gates.len(), 1, "home's gate alone: {route53:#}");
    assert!(
        gates[0]["name"].as_str().unwrap().contains(OTHER_REGION),
        "{route53:#}"
    );
    assert_eq!(route53["endpoint_checks"].as_array().unwrap().len(), 2);
    assert!(route53["answer"].is_string());
    assert!(status["warnings"].as_array().unwrap().is_empty());

    setup.run(&["pause"]).expect_code(0);
    setup.set_alarm(HOME, StateValue::Alarm).await;
    let held = setup.run(&["status"]).expect_code(0);
    assert!(
        held.stdout.contains(
            "WARNING: automation is paused while the active region us-east-1 is unhealthy"
        ),
        "{}",
        held.stdout
    );
    assert!(held.stdout.contains("Route 53 now:"), "{}", held.stdout);
}
