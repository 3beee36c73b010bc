//! `regionflip init` against the faithful in-memory models: what it creates in each mode,
//! that a second run writes nothing, that it never resets a state or overwrites records it
//! does not own, and that an interrupted run continues where it stopped. (The wire-level
//! happy paths run against moto in `crates/cli/tests`.)

#![allow(clippy::unwrap_used)]

use regionflip_core::records::{failover_record, state_record};
use regionflip_core::resources::GATE_METRIC;
use regionflip_core::{Config, EngineState, FailoverRole, Mode, RecordSet, StateObservation};
use regionflip_local_aws::fixtures::{EAST, EAST_CHECK, WEST, WEST_CHECK, sample_config};
use regionflip_local_aws::hooked::Operation;
use regionflip_local_aws::hooks::Instrumented;
use regionflip_local_aws::memory::{MemoryCloudWatch, MemoryHealthChecks, MemoryRoute53};
use regionflip_provision::{
    CheckConfig, InitError, InitReport, ReportedCheck, TAG_RECORD, TAG_REGION, TAG_ROLE, init,
};
use regionflip_watcher::ports::AlarmState;
use regionflip_watcher::ports::AwsError;

const NOW: u64 = 1_795_496_400;

/// The in-memory models, their calls counted and open to injected faults.
struct World {
    config: Config,
    route53: Instrumented<MemoryRoute53>,
    checks: Instrumented<MemoryHealthChecks>,
    cloudwatch: Instrumented<MemoryCloudWatch>,
}

impl World {
    fn new(mode: Mode) -> World {
        let config = sample_config(mode);
        // Route 53's gate checks read their alarms from this CloudWatch, as on AWS.
        let cloudwatch = MemoryCloudWatch::default();
        // The API's alarms and guards exist, as the user's stacks create them before
        // init runs (init refuses when one is missing).
        for region in &config.regions {
            for name in region.alarms.iter().chain(&region.guards) {
                cloudwatch.set_alarm(&region.name, name, AlarmState::Ok, NOW - 3600);
            }
        }
        World {
            route53: Instrumented::instrumented(MemoryRoute53::with_zone(&config.hosted_zone_id)),
            checks: Instrumented::instrumented(MemoryHealthChecks::new(&cloudwatch)),
            cloudwatch: Instrumented::instrumented(cloudwatch),
            config,
        }
    }

    async fn init(&self, dry_run: bool) -> Result<InitReport, InitError> {
        init(
            &self.config,
            &self.route53,
            &self.checks,
            &self.cloudwatch,
            NOW,
            regionflip_provision::InitOptions {
                dry_run,
                adopt: false,
            },
        )
        .await
    }

    /// `regionflip uninstall` with default options (traffic's region from the state).
    async fn uninstall(&self) -> regionflip_provision::UninstallReport {
        regionflip_provision::uninstall(
            &self.config,
            &self.route53,
            &self.checks,
            &self.cloudwatch,
            &regionflip_provision::UninstallOptions::default(),
        )
        .await
        .unwrap()
    }

    fn records(&self) -> Vec<RecordSet> {
        self.route53.records(&self.config.hosted_zone_id)
    }

    fn record(&self, role: FailoverRole) -> Option<RecordSet> {
        self.records()
            .into_iter()
            .find(|r| r.failover == Some(role))
    }

    fn state_holder(&self, region: &str) -> Option<String> {
        self.cloudwatch
            .alarm_description(region, &self.config.state_alarm_name())
    }
}

fn plain_cname(config: &Config) -> RecordSet {
    regionflip_local_aws::fixtures::legacy_cname(config)
}

fn refusal(result: Result<InitReport, InitError>) -> String {
    match result {
        Err(InitError::Refused(problems)) => problems.join("\n"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

// ------------------------------------------------------------------------ records mode

#[tokio::test]
async fn records_mode_creates_the_pair_and_the_state_in_one_batch_then_nothing() {
    let world = World::new(Mode::Records);
    let report = world.init(false).await.unwrap();
    assert!(!report.already_initialised);
    assert_eq!(world.route53.applied_changes(), 1, "one change batch");
    let config = &world.config;
    let state = EngineState {
        sequence: 1,
        ..EngineState::initial(EAST)
    };
    let mut expected = vec![
        failover_record(config, &config.regions[0], FailoverRole::Primary),
        failover_record(config, &config.regions[1], FailoverRole::Secondary),
        state_record(config, &state),
    ];
    let mut found = world.records();
    expected.sort_by(|a, b| {
        a.name
            .cmp(&b.name)
            .then(a.set_identifier.cmp(&b.set_identifier))
    });
    found.sort_by(|a, b| {
        a.name
            .cmp(&b.name)
            .then(a.set_identifier.cmp(&b.set_identifier))
    });
    assert_eq!(found, expected);

    let again = world.init(false).await.unwrap();
    assert!(again.already_initialised, "{again:?}");
    assert!(again.steps.is_empty());
    assert_eq!(
        world.route53.applied_changes(),
        1,
        "the second run writes nothing"
    );
}

#[tokio::test]
async fn records_mode_after_a_failover_is_initialised_and_the_state_is_kept() {
    let world = World::new(Mode::Records);
    let config = &world.config;
    let zone = &config.hosted_zone_id;
    let state = EngineState {
        sequence: 5,
        last_transition_at: Some(NOW - 60),
        ..EngineState::initial(WEST)
    };
    world.route53.put_record(zone, state_record(config, &state));
    world.route53.put_record(
        zone,
        failover_record(config, &config.regions[1], FailoverRole::Primary),
    );
    world.route53.put_record(
        zone,
        failover_record(config, &config.regions[0], FailoverRole::Secondary),
    );
    let report = world.init(false).await.unwrap();
    assert!(report.already_initialised, "{report:?}");
    assert_eq!(world.route53.applied_changes(), 0);
}

#[tokio::test]
async fn records_mode_completes_a_partial_initialisation_from_where_traffic_is() {
    let world = World::new(Mode::Records);
    let config = &world.config;
    // Only the pair exists, routed to the standby: the state follows DNS.
    world.route53.put_record(
        &config.hosted_zone_id,
        failover_record(config, &config.regions[1], FailoverRole::Primary),
    );
    world.route53.put_record(
        &config.hosted_zone_id,
        failover_record(config, &config.regions[0], FailoverRole::Secondary),
    );
    world.init(false).await.unwrap();
    let state_name = config.state_record_name();
    let record = world
        .records()
        .into_iter()
        .find(|r| r.name == state_name)
        .expect("the state record was created");
    match StateObservation::from_state_record(record) {
        StateObservation::Valid { state, .. } => {
            assert_eq!((state.sequence, state.active.as_str()), (1, WEST));
        }
        other => panic!("unexpected state {other:?}"),
    }
}

#[tokio::test]
async fn a_record_regionflip_did_not_create_is_refused_by_name_and_nothing_is_written() {
    let world = World::new(Mode::Records);
    let config = &world.config;
    world
        .route53
        .put_record(&config.hosted_zone_id, plain_cname(config));
    let why = refusal(world.init(false).await);
    assert!(why.contains(&config.record_name), "{why}");
    assert!(why.contains("CNAME"), "{why}");
    assert_eq!(world.route53.applied_changes(), 0);
    assert_eq!(world.records(), vec![plain_cname(config)]);
}

#[tokio::test]
async fn failover_records_with_other_set_identifiers_are_not_regionflip_s() {
    let world = World::new(Mode::Records);
    let config = &world.config;
    let mut theirs = failover_record(config, &config.regions[0], FailoverRole::Primary);
    theirs.set_identifier = Some("blue".into());
    world.route53.put_record(&config.hosted_zone_id, theirs);
    let why = refusal(world.init(false).await);
    assert!(why.contains("set identifier blue"), "{why}");
    assert_eq!(world.route53.applied_changes(), 0);
}

#[tokio::test]
async fn a_state_record_regionflip_cannot_read_is_never_reset() {
    let world = World::new(Mode::Records);
    let config = &world.config;
    let mut garbled = state_record(config, &EngineState::initial(EAST));
    garbled.values = vec!["\"owned by someone else\"".into()];
    world.route53.put_record(&config.hosted_zone_id, garbled);
    let why = refusal(world.init(false).await);
    assert!(why.contains(&config.state_record_name()), "{why}");
    assert_eq!(world.route53.applied_changes(), 0);
}

#[tokio::test]
async fn a_dry_run_plans_and_writes_nothing() {
    for mode in [Mode::Records, Mode::HealthGate] {
        let world = World::new(mode);
        let report = world.init(true).await.unwrap();
        assert!(report.dry_run);
        assert!(!report.steps.is_empty());
        assert!(report.created.is_empty());
        assert!(world.records().is_empty());
        assert!(world.checks.checks().is_empty());
        assert_eq!(world.cloudwatch.calls().put_metric_alarm, 0);
        assert_eq!(world.cloudwatch.calls().put_metric_data, 0);
    }
}

// -------------------------------------------------------------------- health-gate mode

#[tokio::test]
async fn gate_mode_creates_state_gates_checks_and_the_pair_then_nothing() {
    let world = World::new(Mode::HealthGate);
    let config = &world.config;
    world.init(false).await.unwrap();

    // State in every region, sequence 1 on home.
    for region in [EAST, WEST] {
        let text = world.state_holder(region).expect("a state holder");
        let state = EngineState::decode(&text).unwrap();
        assert_eq!((state.sequence, state.active.as_str()), (1, EAST));
    }
    // Home's gate alarm lives in the standby's region and starts open; the standby has
    // no gate, so nothing its routing needs lives in home's CloudWatch.
    assert!(
        world
            .cloudwatch
            .alarm_description(EAST, &config.gate_alarm_name(WEST))
            .is_none(),
        "the standby has no gate alarm"
    );
    assert!(
        world.cloudwatch.values_of(EAST, GATE_METRIC).is_empty(),
        "nothing is published to home for the standby"
    );
    {
        let (gated, host) = (EAST, WEST);
        assert!(
            world
                .cloudwatch
                .alarm_description(host, &config.gate_alarm_name(gated))
                .is_some(),
            "gate alarm of {gated} in {host}"
        );
        assert!(
            world
                .cloudwatch
                .alarm_description(gated, &config.gate_alarm_name(gated))
                .is_none(),
            "a gate never lives in the region it gates"
        );
        let published = world.cloudwatch.values_of(host, GATE_METRIC);
        assert_eq!(published.len(), 1);
        assert_eq!(published[0].value, 1.0);
        assert!(
            published[0]
                .dimensions
                .contains(&("Region".into(), gated.into()))
        );
    }
    // Home: a gate check and a calculated check needing the endpoint and the gate. The
    // standby's record carries its endpoint check alone.
    let checks = world.checks.checks();
    assert_eq!(checks.len(), 2);
    let standby = world
        .record(FailoverRole::Secondary)
        .expect("a SECONDARY record");
    assert_eq!(standby.health_check_id.as_deref(), Some(WEST_CHECK));
    for (region, endpoint) in [(EAST, EAST_CHECK)] {
        let record = world
            .record(FailoverRole::Primary)
            .expect("a failover record");
        let calculated = record.health_check_id.clone().expect("a health check");
        let Some(CheckConfig::Calculated {
            children,
            health_threshold,
        }) = world.checks.config_of(&calculated)
        else {
            panic!("{region}'s record carries no CALCULATED check");
        };
        assert_eq!(health_threshold, 2);
        assert_eq!(children[0], endpoint);
        let gate = &children[1];
        assert_eq!(
            world.checks.config_of(gate),
            Some(CheckConfig::CloudwatchMetric {
                alarm_region: config.gate_host_region(region).into(),
                alarm_name: config.gate_alarm_name(region),
            })
        );
        for (id, role) in [(&calculated, "calculated"), (gate, "gate")] {
            let tags = world.checks.tags_of(id);
            assert_eq!(tags.get(TAG_ROLE).map(String::as_str), Some(role));
            assert_eq!(tags.get(TAG_REGION).map(String::as_str), Some(region));
            assert_eq!(
                tags.get(TAG_RECORD).map(String::as_str),
                Some(config.record_name.trim_end_matches('.'))
            );
        }
    }

    let writes_before = (
        world.cloudwatch.calls().put_metric_alarm,
        world.cloudwatch.calls().put_metric_data,
        world.checks.calls().create_health_check,
        world.route53.applied_changes(),
    );
    let again = world.init(false).await.unwrap();
    assert!(again.already_initialised, "{:#?}", again.steps);
    let writes_after = (
        world.cloudwatch.calls().put_metric_alarm,
        world.cloudwatch.calls().put_metric_data,
        world.checks.calls().create_health_check,
        world.route53.applied_changes(),
    );
    assert_eq!(writes_before, writes_after, "the second run writes nothing");
}

#[tokio::test]
async fn gate_mode_never_resets_a_state_nor_reopens_gates() {
    let world = World::new(Mode::HealthGate);
    let state = EngineState {
        sequence: 7,
        last_transition_at: Some(NOW - 600),
        ..EngineState::initial(WEST)
    };
    // Only one region holds the state (the other copy was lost).
    world
        .cloudwatch
        .set_description(WEST, &world.config.state_alarm_name(), &state.encode());
    world.init(false).await.unwrap();
    assert_eq!(world.state_holder(WEST), Some(state.encode()));
    assert_eq!(
        world.state_holder(EAST),
        Some(state.encode()),
        "the missing copy is the newest state, not a fresh one"
    );
    assert_eq!(
        world.cloudwatch.calls().put_metric_data,
        0,
        "gates are the watcher's once a state exists"
    );
}

#[tokio::test]
async fn gate_mode_adds_missing_tags_without_creating_checks() {
    let world = World::new(Mode::HealthGate);
    world.init(false).await.unwrap();
    let (id, _) = world.checks.checks()[0].clone();
    world.checks.clear_tags(&id);
    let report = world.init(false).await.unwrap();
    assert_eq!(report.steps.len(), 1, "{:#?}", report.steps);
    assert_eq!(world.checks.checks().len(), 2);
    assert_eq!(world.checks.tags_of(&id).len(), 3);
}

#[tokio::test]
async fn gate_mode_refuses_a_pair_on_other_health_checks() {
    let world = World::new(Mode::HealthGate);
    let config = &world.config;
    // regionflip's pair as records mode would leave it: on the endpoint checks directly.
    world.route53.put_record(
        &config.hosted_zone_id,
        failover_record(config, &config.regions[0], FailoverRole::Primary),
    );
    let why = refusal(world.init(false).await);
    assert!(why.contains("regionflip-primary"), "{why}");
    assert!(why.contains(EAST_CHECK), "{why}");
    assert!(world.checks.checks().is_empty(), "nothing was created");
    assert_eq!(world.cloudwatch.calls().put_metric_alarm, 0);
}

#[tokio::test]
async fn an_interrupted_gate_init_continues_without_duplicates() {
    let world = World::new(Mode::HealthGate);
    world.route53.faults().aim_once(
        Operation::ChangeResourceRecordSets,
        AwsError::Throttled("Rate exceeded".into()),
    );
    let error = world.init(false).await.unwrap_err();
    let InitError::Apply { done, .. } = &error else {
        panic!("expected an apply error, got {error:?}");
    };
    assert!(
        done.iter().any(|d| d.contains("calculated check")),
        "{done:?}"
    );
    assert!(error.to_string().contains("Run init again"), "{error}");
    assert!(world.records().is_empty());

    let report = world.init(false).await.unwrap();
    assert_eq!(
        report.steps.len(),
        1,
        "only the records remain: {:#?}",
        report.steps
    );
    assert_eq!(world.checks.checks().len(), 2, "no check was created twice");
    assert!(world.record(FailoverRole::Primary).is_some());
}

#[tokio::test]
async fn records_mode_routes_a_missing_primary_away_from_a_lone_secondary() {
    let world = World::new(Mode::Records);
    let config = &world.config;
    // Only a SECONDARY on home survived (someone deleted the rest by hand).
    world.route53.put_record(
        &config.hosted_zone_id,
        failover_record(config, &config.regions[0], FailoverRole::Secondary),
    );
    world.init(false).await.unwrap();
    let primary = world
        .record(FailoverRole::Primary)
        .expect("a PRIMARY was created");
    assert_eq!(primary.values, vec![config.regions[1].target.clone()]);
    let state_name = config.state_record_name();
    let record = world
        .records()
        .into_iter()
        .find(|r| r.name == state_name)
        .unwrap();
    let StateObservation::Valid { state, .. } = StateObservation::from_state_record(record) else {
        panic!("the state record does not parse");
    };
    assert_eq!(
        state.active, WEST,
        "the state names the region PRIMARY points at"
    );
}

/// health-gate with three regions lays out the gate chain (init refused it before the
/// chain existed): the pair at the name, whose SECONDARY is an alias that evaluates the
/// next link's health, and the link of the second region; a second init writes nothing;
/// uninstall hands the name back first, then removes the link and everything else.
#[tokio::test]
async fn health_gate_mode_with_three_regions_lays_out_the_chain_and_uninstall_removes_it() {
    let mut world = World::new(Mode::HealthGate);
    let mut third = world.config.regions[1].clone();
    third.name = "eu-west-1".into();
    third.target = "k1l2m3n4o5.execute-api.eu-west-1.amazonaws.com.".into();
    third.health_check_id = Some("0f7c4c1e-3333-4a4a-8b8b-000000000003".into());
    third.alarms = vec!["regionflip-demo-api-errors-eu-west-1".into()];
    world
        .cloudwatch
        .set_alarm("eu-west-1", &third.alarms[0], AlarmState::Ok, NOW - 3600);
    world.config.regions.push(third);
    let config = world.config.clone();
    world.init(false).await.unwrap();

    let link = regionflip_core::records::chain_link_name(&config, 1);
    let records = world.records();
    let at = |name: &str, role| {
        records
            .iter()
            .find(|r| r.name == name && r.failover == Some(role))
            .unwrap_or_else(|| panic!("no {role:?} at {name}: {records:#?}"))
    };
    let alias = at(&config.record_name, FailoverRole::Secondary)
        .alias
        .clone()
        .unwrap();
    assert_eq!(
        (alias.dns_name.as_str(), alias.evaluate_target_health),
        (link.as_str(), true)
    );
    assert_eq!(
        at(&link, FailoverRole::Primary).values,
        vec![config.regions[1].target.clone()]
    );
    assert_eq!(
        at(&link, FailoverRole::Secondary).values,
        vec![config.regions[2].target.clone()]
    );
    // Two gated regions: a gate and a CALCULATED check each.
    assert_eq!(world.checks.checks().len(), 4);
    let changes = world.route53.applied_changes();
    let again = world.init(false).await.unwrap();
    assert!(again.already_initialised, "{:#?}", again.steps);
    assert_eq!(world.route53.applied_changes(), changes);

    let report = world.uninstall().await;
    assert!(
        matches!(
            report.steps.get(..2),
            Some([
                regionflip_provision::RemoveStep::RestoreRecord { .. },
                regionflip_provision::RemoveStep::DeleteLinks { .. }
            ])
        ),
        "the name first, then the links: {:#?}",
        report.steps
    );
    let left = world.records();
    assert_eq!(left.len(), 1, "only the plain record: {left:#?}");
    assert!(world.checks.checks().is_empty());
    for region in [EAST, WEST, "eu-west-1"] {
        assert_eq!(world.state_holder(region), None);
    }
}

/// Regression (two records shared each other's gates and state): `api.eu.example.com`
/// and `api-eu.example.com` used to get the same state holder and gate alarm names, so
/// the second record's init rewrote the first's gate alarms and adopted its state. Now
/// the second init finds nothing of its own, creates its own, and leaves the first's
/// gate alarms and state holders exactly as they were.
#[tokio::test]
async fn a_second_record_whose_name_differs_only_in_punctuation_owns_nothing_of_the_first() {
    let first = World::new(Mode::HealthGate);
    let mut second_config = first.config.clone();
    let mut first_config = first.config.clone();
    first_config.record_name = "api.eu.example.com.".into();
    second_config.record_name = "api-eu.example.com.".into();
    let first = World {
        config: first_config,
        ..first
    };
    first.init(false).await.unwrap();
    let gate_alarms = |world: &World| -> Vec<Option<String>> {
        // Home is the one gated region of a pair.
        [EAST]
            .iter()
            .map(|gated| {
                let host = world.config.gate_host_region(gated).to_owned();
                world
                    .cloudwatch
                    .alarm_description(&host, &world.config.gate_alarm_name(gated))
            })
            .collect()
    };
    let first_gates = gate_alarms(&first);
    let first_state = [first.state_holder(EAST), first.state_holder(WEST)];
    assert!(first_gates.iter().all(Option::is_some));

    let second = World {
        config: second_config,
        route53: first.route53.clone(),
        checks: first.checks.clone(),
        cloudwatch: first.cloudwatch.clone(),
    };
    assert_ne!(
        second.config.state_alarm_name(),
        first.config.state_alarm_name()
    );
    let report = second.init(false).await.unwrap();
    assert!(
        report.existing.is_empty(),
        "the second record's init found the first's resources: {:?}",
        report.existing
    );
    assert_eq!(
        gate_alarms(&first),
        first_gates,
        "the first record's gate alarms changed"
    );
    assert_eq!(
        [first.state_holder(EAST), first.state_holder(WEST)],
        first_state,
        "the first record's state changed"
    );
    assert!(gate_alarms(&second).iter().all(Option::is_some));
}

// ------------------------------------------------ health checks that must follow a change

/// The gate check of `gated` (the CLOUDWATCH_METRIC child of its record's CALCULATED
/// check) and the alarm it follows.
fn gate_check_of(world: &World, gated: &str) -> String {
    let role = if gated == EAST {
        FailoverRole::Primary
    } else {
        FailoverRole::Secondary
    };
    let calculated = world
        .record(role)
        .and_then(|r| r.health_check_id)
        .expect("the record carries its CALCULATED check");
    let Some(CheckConfig::Calculated { children, .. }) = world.checks.config_of(&calculated) else {
        panic!("{calculated} is no CALCULATED check");
    };
    children
        .into_iter()
        .find(|c| {
            matches!(
                world.checks.config_of(c),
                Some(CheckConfig::CloudwatchMetric { .. })
            )
        })
        .expect("a gate child")
}

/// Models Route 53: "Route 53 doesn't automatically update the alarm settings in the
/// health check" — a CLOUDWATCH_METRIC check copies its alarm's settings when it is
/// created and keeps the copy, whatever happens to the alarm, until UpdateHealthCheck
/// names the same alarm again; a check on an alarm that does not exist is refused.
#[tokio::test]
async fn a_gate_check_keeps_the_alarm_settings_it_copied_until_it_is_updated() {
    use regionflip_provision::{GateAlarmApi, HealthCheckApi, NewHealthCheck, gate_alarm};
    let world = World::new(Mode::HealthGate);
    let mut config = world.config.clone();
    let on_alarm = CheckConfig::CloudwatchMetric {
        alarm_region: WEST.into(),
        alarm_name: config.gate_alarm_name(EAST),
    };
    let request = NewHealthCheck {
        caller_reference: "copy-test".into(),
        config: on_alarm.clone(),
    };
    let refused = world
        .checks
        .create_health_check(&request)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("does not exist"), "{refused}");

    let before = gate_alarm(&config, EAST);
    world
        .cloudwatch
        .put_gate_alarm(WEST, &before)
        .await
        .unwrap();
    let id = world.checks.create_health_check(&request).await.unwrap();
    config.metrics_namespace = "RegionFlipV2".into();
    let after = gate_alarm(&config, EAST);
    world.cloudwatch.put_gate_alarm(WEST, &after).await.unwrap();
    let reported = |checks: Vec<regionflip_provision::HealthCheckInfo>| match checks
        .into_iter()
        .find(|c| c.id == id)
        .map(|c| c.reported)
    {
        Some(ReportedCheck::CloudwatchMetric { alarm_settings, .. }) => alarm_settings,
        other => panic!("not a gate check: {other:?}"),
    };
    assert_eq!(
        reported(world.checks.list_health_checks().await.unwrap()),
        Some(before.settings.clone()),
        "the check still watches the stream it copied at creation"
    );
    world
        .checks
        .update_health_check(&id, &on_alarm)
        .await
        .unwrap();
    assert_eq!(
        reported(world.checks.list_health_checks().await.unwrap()),
        Some(after.settings),
        "UpdateHealthCheck with the same alarm copies it again"
    );
}

/// Models Route 53 copying a gate alarm's settings into its CLOUDWATCH_METRIC check at
/// creation and never refreshing them (it watches the copied namespace's stream, not the
/// alarm's state). Without the update, after a `metrics_namespace` change every gate
/// check would watch the old, now empty, stream and freeze at its last status: failover
/// and failback would silently stop.
#[tokio::test]
async fn a_namespace_change_makes_init_update_every_gate_check_to_the_new_stream() {
    let mut world = World::new(Mode::HealthGate);
    world.init(false).await.unwrap();
    // Home is the one gated region of a pair.
    let gates: Vec<String> = [EAST].iter().map(|g| gate_check_of(&world, g)).collect();
    let pair = (
        world.record(FailoverRole::Primary),
        world.record(FailoverRole::Secondary),
    );
    let created = world.checks.calls().create_health_check;
    let old_namespace = world.config.metrics_namespace.clone();
    for gate in &gates {
        let copied = world.checks.copied_alarm_settings(gate).unwrap();
        assert_eq!(copied.namespace, old_namespace);
    }

    world.config.metrics_namespace = "RegionFlipV2".into();
    let report = world.init(false).await.unwrap();
    let updates: Vec<String> = report
        .steps
        .iter()
        .filter(|s| matches!(s, regionflip_provision::Step::UpdateHealthCheck { .. }))
        .map(ToString::to_string)
        .collect();
    assert_eq!(updates.len(), 1, "{:#?}", report.steps);
    assert!(updates[0].contains(&old_namespace), "{}", updates[0]);
    assert_eq!(world.checks.calls().update_health_check, 1);
    assert_eq!(
        world.checks.calls().create_health_check,
        created,
        "no new check"
    );
    for (gated, gate) in [EAST].iter().zip(&gates) {
        let host = world.config.gate_host_region(gated).to_owned();
        let alarm = world
            .cloudwatch
            .alarm_settings(&host, &world.config.gate_alarm_name(gated))
            .unwrap();
        assert_eq!(
            alarm.namespace, "RegionFlipV2",
            "the gate alarm was rewritten"
        );
        assert_eq!(
            world.checks.copied_alarm_settings(gate),
            Some(alarm),
            "{gated}'s gate check reads back the settings of the alarm it follows"
        );
    }
    assert_eq!(
        [EAST]
            .iter()
            .map(|g| gate_check_of(&world, g))
            .collect::<Vec<_>>(),
        gates,
        "the same checks, updated in place"
    );
    assert_eq!(
        (
            world.record(FailoverRole::Primary),
            world.record(FailoverRole::Secondary)
        ),
        pair,
        "the records never change in health-gate mode"
    );
    let again = world.init(false).await.unwrap();
    assert!(again.already_initialised, "{:#?}", again.steps);
}

/// Models CloudFormation replacing the stack's endpoint check (`RequestInterval` and
/// `Type` are create-only, so a change gives a new check id) and Route 53 not refusing to
/// delete the old one while a CALCULATED check still lists it: init rewires the
/// CALCULATED check in place, so the record on it needs no change.
#[tokio::test]
async fn a_replaced_endpoint_check_is_rewired_into_the_calculated_check() {
    let mut world = World::new(Mode::HealthGate);
    world.init(false).await.unwrap();
    let pair = world.record(FailoverRole::Primary).unwrap();
    let calculated = pair.health_check_id.clone().unwrap();
    let gate = gate_check_of(&world, EAST);
    let replaced = "0f7c4c1e-1111-4a4a-8b8b-0000000000ff";
    world.config.regions[0].health_check_id = Some(replaced.into());

    let report = world.init(false).await.unwrap();
    assert_eq!(report.steps.len(), 1, "{:#?}", report.steps);
    assert_eq!(
        world.checks.config_of(&calculated),
        Some(CheckConfig::Calculated {
            children: vec![replaced.into(), gate],
            health_threshold: 2,
        })
    );
    assert_eq!(
        world.record(FailoverRole::Primary),
        Some(pair),
        "same record, same check"
    );
    assert_eq!(world.checks.checks().len(), 2, "no new check");
    let again = world.init(false).await.unwrap();
    assert!(again.already_initialised, "{:#?}", again.steps);
}

/// In health-gate mode the last region (a pair's standby) has no gate, so its record
/// carries its endpoint check itself. After its stack replaced that check, init moves the
/// SECONDARY onto the new check in one compare-and-swap batch (rule C18) instead of
/// refusing it, and plans nothing more afterwards.
#[tokio::test]
async fn health_gate_mode_moves_the_standby_s_record_onto_a_replaced_endpoint_check() {
    let mut world = World::new(Mode::HealthGate);
    world.init(false).await.unwrap();
    let primary = world.record(FailoverRole::Primary).unwrap();
    let secondary = world.record(FailoverRole::Secondary).unwrap();
    let writes = world.route53.applied_changes();
    let replaced = "0f7c4c1e-2222-4a4a-8b8b-0000000000ff";
    world.config.regions[1].health_check_id = Some(replaced.into());

    world.init(false).await.unwrap();
    assert_eq!(world.route53.applied_changes(), writes + 1, "one batch");
    let moved = world.record(FailoverRole::Secondary).unwrap();
    assert_eq!(moved.health_check_id.as_deref(), Some(replaced));
    assert_eq!(
        RecordSet {
            health_check_id: secondary.health_check_id.clone(),
            ..moved
        },
        secondary,
        "nothing else of the record changes"
    );
    assert_eq!(world.record(FailoverRole::Primary), Some(primary));
    let again = world.init(false).await.unwrap();
    assert!(again.already_initialised, "{:#?}", again.steps);
    assert_eq!(world.route53.applied_changes(), writes + 1);
}

/// In records mode the pair carries the endpoint checks themselves; the watcher rewrites
/// the pair only on a transition. After the stack replaced an endpoint check, init moves
/// the record onto the new check in one compare-and-swap batch (DELETE as read, CREATE),
/// leaving the rest of the record, and where PRIMARY points, as the watcher left it.
#[tokio::test]
async fn records_mode_moves_the_pair_onto_a_replaced_endpoint_check() {
    let mut world = World::new(Mode::Records);
    let zone = world.config.hosted_zone_id.clone();
    // After a failover: PRIMARY on us-west-2.
    let config = world.config.clone();
    world.route53.put_record(
        &zone,
        state_record(
            &config,
            &EngineState {
                sequence: 4,
                ..EngineState::initial(WEST)
            },
        ),
    );
    world.route53.put_record(
        &zone,
        failover_record(&config, &config.regions[1], FailoverRole::Primary),
    );
    world.route53.put_record(
        &zone,
        failover_record(&config, &config.regions[0], FailoverRole::Secondary),
    );
    let replaced = "0f7c4c1e-1111-4a4a-8b8b-0000000000ff";
    world.config.regions[0].health_check_id = Some(replaced.into());

    world.init(false).await.unwrap();
    assert_eq!(world.route53.applied_changes(), 1, "one batch");
    let secondary = world.record(FailoverRole::Secondary).unwrap();
    assert_eq!(secondary.health_check_id.as_deref(), Some(replaced));
    assert_eq!(secondary.values, vec![config.regions[0].target.clone()]);
    let primary = world.record(FailoverRole::Primary).unwrap();
    assert_eq!(primary.health_check_id.as_deref(), Some(WEST_CHECK));
    let again = world.init(false).await.unwrap();
    assert!(again.already_initialised, "{:#?}", again.steps);
    assert_eq!(world.route53.applied_changes(), 1);
}

// ------------------------------------------------------------------------------ uninstall

/// Uninstall after a failover, in each mode: the first write is one batch that deletes the
/// pair (and the state record) and creates a plain record on where traffic is (the
/// standby), so the name is answered throughout; then init's checks and alarms go; the
/// API's own alarms stay; a second run finds nothing left.
#[tokio::test]
async fn uninstall_hands_the_name_to_a_plain_record_on_the_active_region_then_removes_the_rest() {
    for mode in [Mode::Records, Mode::HealthGate] {
        let world = World::new(mode);
        world.init(false).await.unwrap();
        let config = &world.config;
        // A failover moved traffic to us-west-2.
        let moved = EngineState {
            sequence: 2,
            ..EngineState::initial(WEST)
        };
        match mode {
            Mode::Records => {
                let zone = &config.hosted_zone_id;
                world.route53.put_record(zone, state_record(config, &moved));
                world.route53.put_record(
                    zone,
                    failover_record(config, &config.regions[1], FailoverRole::Primary),
                );
                world.route53.put_record(
                    zone,
                    failover_record(config, &config.regions[0], FailoverRole::Secondary),
                );
            }
            Mode::HealthGate => {
                for region in [EAST, WEST] {
                    world.cloudwatch.set_description(
                        region,
                        &config.state_alarm_name(),
                        &moved.encode(),
                    );
                }
            }
        }
        let changes_before = world.route53.applied_changes();
        let report = world.uninstall().await;
        assert!(
            matches!(
                report.steps.first(),
                Some(regionflip_provision::RemoveStep::RestoreRecord { region, .. }) if region == WEST
            ),
            "{mode:?}: the name is handed back first: {:#?}",
            report.steps
        );
        assert_eq!(
            world.route53.applied_changes(),
            changes_before + 1,
            "one batch"
        );
        let records = world.records();
        assert_eq!(records.len(), 1, "{mode:?}: {records:#?}");
        assert_eq!(records[0].set_identifier, None);
        assert_eq!(records[0].values, vec![config.regions[1].target.clone()]);
        assert!(
            world.checks.checks().is_empty(),
            "{mode:?}: init's checks are gone"
        );
        for region in [EAST, WEST] {
            assert_eq!(world.state_holder(region), None, "{mode:?}");
            assert!(
                world
                    .cloudwatch
                    .alarm_description(region, &config.gate_alarm_name(EAST))
                    .is_none()
            );
            let own = config.region(region).unwrap().alarms.clone();
            let found = regionflip_watcher::ports::CloudWatchApi::describe_alarms(
                &world.cloudwatch,
                region,
                &own,
            )
            .await
            .unwrap();
            assert_eq!(found.len(), own.len(), "{mode:?}: the API's alarms stay");
        }
        let again = world.uninstall().await;
        assert!(again.steps.is_empty(), "{mode:?}: {:#?}", again.steps);
    }
}

/// `config` written again with `[[records]]` tables for `names` (each `(name, zone)`, the
/// zone `None` for the configured one), each pointing at `<first label>.<region>.example.net`.
fn with_names(config: &Config, names: &[(&str, Option<&str>)]) -> Config {
    let quoted = |list: &[String]| {
        list.iter()
            .map(|a| format!("\"{a}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut text = format!(
        "hosted_zone_id = \"{}\"\nmode = \"{}\"\nmetrics_namespace = \"{}\"\n",
        config.hosted_zone_id,
        config.mode.as_str(),
        config.metrics_namespace
    );
    for region in &config.regions {
        text.push_str(&format!(
            "\n[[regions]]\nname = \"{}\"\nhealth_check_id = \"{}\"\nalarms = [{}]\nguards = [{}]\n",
            region.name,
            region.health_check_id.as_deref().unwrap_or_default(),
            quoted(&region.alarms),
            quoted(&region.guards),
        ));
    }
    for (name, zone) in names {
        let label = name.split('.').next().unwrap_or_default();
        let targets: Vec<String> = config
            .regions
            .iter()
            .map(|r| format!("\"{}\" = \"{label}.{}.example.net\"", r.name, r.name))
            .collect();
        text.push_str(&format!(
            "\n[[records]]\nname = \"{name}\"\n{}targets = {{ {} }}\n",
            zone.map(|z| format!("hosted_zone_id = \"{z}\"\n"))
                .unwrap_or_default(),
            targets.join(", ")
        ));
    }
    Config::from_toml_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// The health-gate sample world with a second name, `name`, in a hosted zone of its own
/// (returned beside the world).
fn with_a_name_in_another_zone(name: &str) -> (World, &'static str) {
    let base = World::new(Mode::HealthGate);
    let other_zone = "Z9999999999999999999";
    let config = with_names(
        &base.config,
        &[(&base.config.record_name, None), (name, Some(other_zone))],
    );
    let world = World { config, ..base };
    world.route53.add_zone(other_zone);
    (world, other_zone)
}

/// An application of two names (`[[records]]`) in health-gate mode, the second in a
/// hosted zone of its own: init gives each name its failover pair in its zone, both on
/// the same CALCULATED check of home (a gate moves every name); a second init writes
/// nothing; uninstall hands every name back to a plain record, each in its zone.
#[tokio::test]
async fn every_record_gets_its_pair_in_its_zone_on_the_region_s_checks_and_uninstall_restores_each()
{
    let (world, other_zone) = with_a_name_in_another_zone("auth.example.org");
    world.init(false).await.unwrap();

    let own = world.records();
    let other = world.route53.records(other_zone);
    let primary = |records: &[RecordSet]| {
        records
            .iter()
            .find(|r| r.failover == Some(FailoverRole::Primary))
            .cloned()
            .unwrap_or_else(|| panic!("no PRIMARY in {records:#?}"))
    };
    let (api, auth) = (primary(&own), primary(&other));
    assert_eq!(auth.name, "auth.example.org.");
    assert_eq!(auth.values, vec![format!("auth.{EAST}.example.net.")]);
    assert!(api.health_check_id.is_some());
    assert_eq!(
        api.health_check_id, auth.health_check_id,
        "both names ride home's one CALCULATED check"
    );
    assert_eq!(other.iter().filter(|r| r.failover.is_some()).count(), 2);
    let changes = world.route53.applied_changes();
    assert!(world.init(false).await.unwrap().already_initialised);
    assert_eq!(
        world.route53.applied_changes(),
        changes,
        "a second init writes nothing"
    );

    world.uninstall().await;
    for (zone, name, target) in [
        (
            world.config.hosted_zone_id.clone(),
            world.config.record_name.clone(),
            format!("api.{EAST}.example.net."),
        ),
        (
            other_zone.to_string(),
            "auth.example.org.".to_string(),
            format!("auth.{EAST}.example.net."),
        ),
    ] {
        let left = world.route53.records(&zone);
        assert_eq!(
            left.len(),
            1,
            "{name}: only the plain record is left: {left:#?}"
        );
        assert_eq!(
            (left[0].name.as_str(), left[0].set_identifier.as_deref()),
            (name.as_str(), None)
        );
        assert_eq!(left[0].values, vec![target]);
    }
    assert!(world.checks.checks().is_empty());
}

/// Two names in records mode: init creates both pairs and one state record, in the one
/// zone, and a second init writes nothing.
#[tokio::test]
async fn records_mode_creates_every_record_s_pair_and_one_state() {
    let base = World::new(Mode::Records);
    let config = with_names(
        &base.config,
        &[("api.example.com", None), ("auth.example.com", None)],
    );
    let world = World { config, ..base };
    world.init(false).await.unwrap();
    let records = world.records();
    for name in ["api.example.com.", "auth.example.com."] {
        let pair: Vec<&RecordSet> = records
            .iter()
            .filter(|r| r.name == name && r.failover.is_some())
            .collect();
        assert_eq!(pair.len(), 2, "{name}: {records:#?}");
        let primary = pair
            .iter()
            .find(|r| r.failover == Some(FailoverRole::Primary))
            .unwrap();
        assert!(
            primary.values[0].starts_with(&format!("{}.{EAST}", &name[..name.find('.').unwrap()]))
        );
    }
    assert_eq!(records.iter().filter(|r| r.record_type == "TXT").count(), 1);
    let changes = world.route53.applied_changes();
    assert!(world.init(false).await.unwrap().already_initialised);
    assert_eq!(world.route53.applied_changes(), changes);
}

/// Rule A5 holds for every name: one of the application's other names at the apex of its
/// zone cannot be a CNAME, and init refuses it, naming it, before writing anything.
#[tokio::test]
async fn another_name_at_a_zone_apex_as_a_cname_is_refused_before_any_write() {
    let (world, other_zone) = with_a_name_in_another_zone("example.org");
    world.route53.put_record(
        other_zone,
        RecordSet {
            name: "example.org.".into(),
            record_type: "SOA".into(),
            set_identifier: None,
            failover: None,
            ttl: Some(900),
            values: vec![
                "ns-1.awsdns-01.org. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400".into(),
            ],
            alias: None,
            health_check_id: None,
            latency_region: None,
            weight: None,
        },
    );
    let why = refusal(world.init(false).await);
    assert!(why.contains("example.org. is the apex"), "{why}");
    assert_eq!(world.route53.applied_changes(), 0);
    assert!(world.checks.checks().is_empty());
}

/// Active/active (latency routing): init gates every region and creates one latency
/// record per region on its CALCULATED check, a second init writes nothing, and
/// uninstall replaces the set with a plain record on the most preferred region in service
/// in one batch, then removes every check and alarm init created.
#[tokio::test]
async fn active_active_init_creates_a_latency_set_and_uninstall_hands_the_name_back() {
    let mut world = World::new(Mode::HealthGate);
    world.config.routing = regionflip_core::config::Routing::Latency;
    world.init(false).await.unwrap();
    let config = world.config.clone();
    let set: Vec<RecordSet> = world
        .records()
        .into_iter()
        .filter(|r| r.name == config.record_name)
        .collect();
    assert_eq!(set.len(), 2, "{set:#?}");
    for region in [EAST, WEST] {
        let record = set
            .iter()
            .find(|r| r.latency_region.as_deref() == Some(region))
            .unwrap_or_else(|| panic!("no latency record of {region}: {set:#?}"));
        assert!(record.failover.is_none());
        let check = record.health_check_id.clone().expect("a check");
        assert!(
            world.checks.checks().iter().any(|(id, _)| *id == check),
            "{region}'s record is on a check init created"
        );
        // Every region has a gate, hosted in the region itself: a region's CloudWatch
        // outage only ever counts against that region (issue 14, finding 2; it was the
        // other region, which made the survivor's serving depend on a dead region).
        let host = config.gate_host_region(region);
        assert_eq!(host, region);
        assert!(
            world
                .cloudwatch
                .alarm_description(host, &config.gate_alarm_name(region))
                .is_some(),
            "{region}'s gate alarm in {host}"
        );
    }
    let changes = world.route53.applied_changes();
    let again = world.init(false).await.unwrap();
    assert!(again.already_initialised, "{:#?}", again.steps);
    assert_eq!(
        world.route53.applied_changes(),
        changes,
        "a second init writes nothing"
    );

    let report = world.uninstall().await;
    assert!(
        matches!(
            report.steps.first(),
            Some(regionflip_provision::RemoveStep::RestoreRecord { region, delete, .. })
                if region == EAST && delete.len() == 2
        ),
        "the set is handed back first, in one batch: {:#?}",
        report.steps
    );
    let records = world.records();
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(records[0].set_identifier, None);
    assert_eq!(records[0].values, vec![config.regions[0].target.clone()]);
    assert!(world.checks.checks().is_empty(), "init's checks are gone");
}
