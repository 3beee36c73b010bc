//! The operator commands end to end in `records` mode: the built binary against moto,
//! through the SDK clients the watcher uses. Alarms are driven with `SetAlarmState`
//! (moto never evaluates them); the regions have no endpoint checks here (the gate-mode
//! tests cover `AWS/Route53 HealthCheckStatus`).
//!
//! Also here, because they need no particular mode: `init` refusing a record it did not
//! create, and a bad configuration.

use crate::harness::records::{HOME, RecordsSetup, records_config, region_of_target};
use crate::harness::{ConfigFile, Operated, regionflip};
use aws_sdk_cloudwatch::types::{DimensionFilter, StateValue};
use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
};
use regionflip_core::{EngineState, FailoverRole, RecordSet, StateObservation};
use regionflip_local_aws::seed::OTHER_REGION;
use serde_json::Value;

type Setup = RecordsSetup;

impl RecordsSetup {
    /// The region the PRIMARY record points at.
    async fn primary(&self) -> String {
        let records = self.records().await;
        let primary = records
            .iter()
            .find(|r| r.failover == Some(FailoverRole::Primary))
            .expect("a PRIMARY record");
        region_of_target(&primary.values[0]).into()
    }

    async fn state(&self) -> EngineState {
        let records = self.records().await;
        let record = records
            .into_iter()
            .find(|r| r.record_type == "TXT")
            .expect("a state record");
        match StateObservation::from_state_record(record) {
            StateObservation::Valid { state, .. } => state,
            other => panic!("the state record does not parse: {other:?}"),
        }
    }
}

fn outcome(report: &Value) -> &str {
    report["decision"]["outcome"]["outcome"].as_str().unwrap()
}

/// A zone of the test's own, initialised: traffic on home, state sequence 1.
async fn initialised(name: &str) -> Setup {
    Setup::new(name, "").await.initialised()
}

/// Initialised, then home's alarm fired and a pass failed over: traffic on the standby,
/// home in ALARM.
async fn failed_over(name: &str) -> Setup {
    let setup = initialised(name).await.after_a_failover().await;
    assert_eq!(setup.primary().await, OTHER_REGION, "set-up: the failover");
    setup
}

#[tokio::test]
async fn init_dry_run_says_what_it_would_create_and_writes_nothing() {
    let setup = Setup::new("rec-init-dry", "").await;
    let dry = setup.run(&["init", "--dry-run"]).expect_code(0);
    assert!(dry.stdout.contains("init would:"), "{}", dry.stdout);
    assert!(dry.stdout.contains("regionflip-primary"), "{}", dry.stdout);
    assert!(setup.records().await.is_empty(), "a dry run wrote records");
}

#[tokio::test]
async fn init_creates_the_pair_and_the_state_record_and_a_second_init_writes_nothing() {
    let setup = Setup::new("rec-init", "").await;
    setup.run(&["init"]).expect_code(0);
    assert_eq!(setup.primary().await, HOME);
    let state = setup.state().await;
    assert_eq!((state.sequence, state.active.as_str()), (1, HOME));
    let initialised = setup.records().await;
    assert_eq!(initialised.len(), 3, "{initialised:#?}");
    let again = setup.run(&["init"]).expect_code(0);
    assert!(
        again.stdout.contains("already initialised"),
        "{}",
        again.stdout
    );
    assert_eq!(setup.records().await, initialised);
    let again = setup.run(&["init", "--json"]).expect_code(0).json();
    assert_eq!(again["already_initialised"], true);
}

#[tokio::test]
async fn status_shows_the_active_region_and_health() {
    let setup = initialised("rec-status").await;
    let status = setup.run(&["status"]).expect_code(0);
    assert!(
        status.stdout.contains("us-east-1 * (home)"),
        "{}",
        status.stdout
    );
    assert!(status.stdout.contains("sequence 1"), "{}", status.stdout);
    let status = setup.run(&["status", "--json"]).expect_code(0).json();
    assert_eq!(status["active"], HOME);
    assert_eq!(status["state"]["sequence"], 1);
    assert_eq!(status["state"]["paused"], false);
    assert_eq!(status["regions"][0]["health"], "healthy");
    assert_eq!(status["regions"][0]["alarms"][0]["status"], "OK");
    assert_eq!(status["next_pass"]["outcome"]["outcome"], "no-change");
}

#[tokio::test]
async fn reconcile_on_a_steady_world_changes_nothing() {
    let setup = initialised("rec-steady").await;
    let steady = setup.run(&["reconcile", "--json"]).expect_code(0).json();
    assert_eq!(outcome(&steady), "no-change");
    assert_eq!(steady["applied"], true);
    assert_eq!(setup.state().await.sequence, 1);
}

#[tokio::test]
async fn a_dry_run_reconcile_decides_the_failover_and_writes_nothing() {
    let setup = initialised("rec-reconcile-dry").await;
    let initialised = setup.records().await;
    setup.set_alarm(HOME, StateValue::Alarm).await;
    let dry = setup
        .run(&["reconcile", "--dry-run", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(outcome(&dry), "transition");
    assert_eq!(dry["dry_run"], true);
    assert_eq!(
        setup.records().await,
        initialised,
        "a dry run wrote records"
    );
}

#[tokio::test]
async fn a_failing_home_fails_over_records_the_transition_on_stderr_and_publishes_it() {
    let setup = initialised("rec-failover").await;
    setup.set_alarm(HOME, StateValue::Alarm).await;
    let failover = setup.run(&["reconcile"]).expect_code(0);
    assert!(
        failover.stdout.contains("FAILOVER us-east-1 → eu-west-1"),
        "{}",
        failover.stdout
    );
    let journal_line = failover
        .stderr
        .lines()
        .find(|l| l.contains("regionflip transition"))
        .expect("the transition record on stderr");
    let journal: Value = serde_json::from_str(journal_line).unwrap();
    assert_eq!(journal["kind"], "failover");
    assert_eq!(journal["to"], OTHER_REGION);
    assert_eq!(setup.primary().await, OTHER_REGION);
    assert_eq!(setup.state().await.sequence, 2);
    let published = setup
        .aws
        .cloudwatch
        .client(HOME)
        .unwrap()
        .list_metrics()
        .namespace("RegionFlip")
        .metric_name("Failover")
        .dimensions(
            DimensionFilter::builder()
                .name("Record")
                .value(&setup.record)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(
        !published.metrics().is_empty(),
        "the Failover metric was not published"
    );
}

#[tokio::test]
async fn failover_to_an_unhealthy_region_is_refused_with_exit_3() {
    let setup = failed_over("rec-refused").await;
    let refused = setup.run(&["failover", "--to", HOME]).expect_code(3);
    assert!(refused.stderr.contains("refused"), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("us-east-1 is not known healthy"),
        "{}",
        refused.stderr
    );
    assert_eq!(setup.primary().await, OTHER_REGION);
}

#[tokio::test]
async fn failover_to_a_region_that_is_not_configured_is_a_usage_error_exit_2() {
    let setup = failed_over("rec-typo").await;
    let typo = setup.run(&["failover", "--to", "us-east-9"]).expect_code(2);
    assert!(typo.stderr.contains("us-east-9"), "{}", typo.stderr);
}

#[tokio::test]
async fn a_forced_failover_to_an_unhealthy_region_goes_and_json_carries_the_transition() {
    let setup = failed_over("rec-forced").await;
    // With --json stdout is one JSON document and the transition record is in it.
    let forced = setup
        .run(&["failover", "--to", HOME, "--force", "--json"])
        .expect_code(0);
    let report = forced.json();
    assert_eq!(report["decision"]["outcome"]["kind"], "manual");
    assert_eq!(report["transition"]["to"], HOME);
    assert!(
        forced.stderr.contains("regionflip transition"),
        "{}",
        forced.stderr
    );
    assert_eq!(setup.primary().await, HOME);
}

#[tokio::test]
async fn a_manual_move_to_a_healthy_region_needs_no_force_and_holds_automatic_failback() {
    let setup = initialised("rec-hold").await;
    setup
        .run(&["failover", "--to", OTHER_REGION])
        .expect_code(0);
    assert_eq!(setup.primary().await, OTHER_REGION);
    assert!(setup.state().await.hold_failback);
    let held = setup.run(&["reconcile", "--json"]).expect_code(0).json();
    assert_eq!(outcome(&held), "no-change");
    let status = setup.run(&["status", "--json"]).expect_code(0).json();
    assert_eq!(status["pending_failback"]["region"], HOME);
}

#[tokio::test]
async fn failback_takes_traffic_home_after_a_manual_move() {
    let setup = initialised("rec-failback").await;
    setup
        .run(&["failover", "--to", OTHER_REGION])
        .expect_code(0);
    let back = setup.run(&["failback"]).expect_code(0);
    assert!(
        back.stdout.contains("MANUAL MOVE eu-west-1 → us-east-1"),
        "{}",
        back.stdout
    );
    assert_eq!(setup.primary().await, HOME);
}

#[tokio::test]
async fn pause_freezes_routing_even_when_home_fails() {
    let setup = initialised("rec-pause").await;
    setup.run(&["pause"]).expect_code(0);
    assert!(setup.state().await.paused);
    setup.set_alarm(HOME, StateValue::Alarm).await;
    let frozen = setup.run(&["reconcile", "--json"]).expect_code(0).json();
    assert_eq!(outcome(&frozen), "no-change");
    assert_eq!(setup.primary().await, HOME);
    let status = setup.run(&["status", "--json"]).expect_code(0).json();
    assert_eq!(status["state"]["paused"], true);
}

/// A runbook may pause before every step: a repeated `pause` succeeds (exit 0), says
/// automation was already paused, and writes nothing (the state's sequence stays).
#[tokio::test]
async fn pausing_twice_succeeds_quietly_and_writes_nothing() {
    let setup = initialised("rec-pause-twice").await;
    setup.run(&["pause"]).expect_code(0);
    let sequence = setup.state().await.sequence;
    let twice = setup.run(&["pause"]).expect_code(0);
    assert!(
        format!("{}{}", twice.stdout, twice.stderr).contains("already paused"),
        "{}{}",
        twice.stdout,
        twice.stderr
    );
    assert!(setup.state().await.paused);
    assert_eq!(setup.state().await.sequence, sequence, "nothing written");
}

#[tokio::test]
async fn resume_hands_routing_back_and_a_failing_home_then_fails_over() {
    let setup = initialised("rec-resume").await;
    setup.run(&["pause"]).expect_code(0);
    setup.set_alarm(HOME, StateValue::Alarm).await;
    setup.run(&["reconcile"]).expect_code(0);
    assert_eq!(setup.primary().await, HOME, "set-up: paused, traffic stays");
    setup.run(&["resume", "--json"]).expect_code(0).json();
    assert!(!setup.state().await.paused);
    setup.run(&["reconcile"]).expect_code(0);
    assert_eq!(
        setup.primary().await,
        OTHER_REGION,
        "resumed automation fails over"
    );
}

#[tokio::test]
async fn init_refuses_a_record_it_did_not_create() {
    let setup = Setup::new("foreign", "").await;
    let name = format!("{}.", setup.record);
    put_plain_cname(&setup, "legacy.example.net").await;
    let before = setup.records().await;

    let refused = setup.run(&["init"]).expect_code(3);
    assert!(refused.stderr.contains(&name), "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("CNAME record that regionflip did not create"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        setup.records().await,
        before,
        "init wrote beside a record it does not own"
    );
    let refused = setup.run(&["init", "--json"]).expect_code(3).json();
    assert!(refused["refused"][0].as_str().unwrap().contains(&name));
}

/// Models Route 53's zone apex: every hosted zone holds its SOA (and NS) records at its
/// own name, and DNS forbids a CNAME beside them (RFC 1034 §3.6.2). `init` finds the SOA
/// in the one `ListResourceRecordSets` it makes anyway and refuses before any write,
/// naming `record_name`, `record_type` and the fix.
#[tokio::test]
async fn init_refuses_a_cname_at_the_zone_apex() {
    let mut zone = crate::harness::TestZone::new("apex").await;
    let apex = zone
        .record
        .strip_prefix("api.")
        .expect("the test record is api.<zone>")
        .to_string();
    zone.record = apex.clone();
    let config = ConfigFile::new("apex", &records_config(&zone.zone, &apex, "apex-api", ""));
    let setup = RecordsSetup::of(zone, config, "apex-api".into());
    let before = setup.records().await;
    assert!(
        before.iter().any(|r| r.record_type == "SOA"),
        "the emulator keeps the zone's SOA at the apex: {before:?}"
    );

    let refused = setup.run(&["init"]).expect_code(3);
    for text in [
        "is the apex of hosted zone",
        "a CNAME cannot sit at a zone apex",
        "record_type = \"A\"",
    ] {
        assert!(refused.stderr.contains(text), "{text}: {}", refused.stderr);
    }
    assert_eq!(setup.records().await, before, "nothing was written");
}

/// A TTL above 60 s with health checks is allowed (AWS only recommends 60 s or less),
/// so the command runs as usual, and says on stderr what the value costs; `--json`
/// output stays one document on stdout.
#[tokio::test]
async fn a_ttl_above_60_s_with_health_checks_is_warned_and_allowed() {
    let zone = crate::harness::TestZone::new("long-ttl").await;
    for region in [HOME, OTHER_REGION] {
        regionflip_local_aws::seed::create_alarm(
            &zone.aws,
            region,
            &format!("long-ttl-api-errors-{region}"),
        )
        .await;
    }
    let text = records_config(&zone.zone, &zone.record, "long-ttl-api", "")
        .replace("mode = \"records\"", "mode = \"health-gate\"\nttl = 300");
    let config = ConfigFile::new("long-ttl", &text);
    let setup = RecordsSetup::of(zone, config, "long-ttl-api".into());
    let dry = setup.run(&["init", "--dry-run", "--json"]).expect_code(0);
    assert!(
        dry.stderr.contains("warning: ttl (REGIONFLIP_TTL")
            && dry.stderr.contains("is 300 s")
            && dry.stderr.contains("60 s or less"),
        "{}",
        dry.stderr
    );
    let report = dry.json();
    assert_eq!(report["dry_run"], true);
    // The same configuration has no endpoint checks: in health-gate mode init warns that
    // Route 53 then cannot fail over by itself (no static stability), and goes on.
    let warnings = report["warnings"].to_string();
    assert!(
        warnings.contains("regions[1].health_check_id is not set")
            && warnings.contains("no static stability"),
        "{warnings}"
    );
}

#[test]
fn a_bad_configuration_exits_2_naming_the_key() {
    let config = ConfigFile::new(
        "bad-config",
        &records_config("Z0123456789ABCDEFGHIJ", "api.bad.example", "bad", "")
            .replace("mode = \"records\"", "mode = \"records\"\nttl = 99999"),
    );
    for args in [&["status"][..], &["init"], &["reconcile"], &["pause"]] {
        let run = regionflip(None, config.path(), args).expect_code(2);
        assert!(run.stderr.contains("ttl"), "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("use 0 to 3600 seconds"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(run.stdout.is_empty());
    }
    let missing = regionflip(
        None,
        &std::env::temp_dir().join("regionflip-no-such.toml"),
        &["status"],
    )
    .expect_code(2);
    assert!(missing.stderr.contains("--config"), "{}", missing.stderr);
}

/// `init` reads every configured alarm and guard before writing anything: a name that
/// does not exist in its region (a typo, or the API's stack not deployed there yet) would
/// make the watcher read "unknown" for ever and never fail over on it.
#[tokio::test]
async fn init_refuses_an_alarm_that_does_not_exist_and_writes_nothing() {
    let zone = crate::harness::TestZone::new("no-alarm").await;
    // Only home's alarm exists.
    regionflip_local_aws::seed::create_alarm(
        &zone.aws,
        HOME,
        &format!("no-alarm-api-errors-{HOME}"),
    )
    .await;
    let config = ConfigFile::new(
        "no-alarm",
        &records_config(&zone.zone, &zone.record, "no-alarm-api", ""),
    );
    let setup = RecordsSetup::of(zone, config, "no-alarm-api".into());
    let refused = setup.run(&["init"]).expect_code(3);
    let missing = format!("no-alarm-api-errors-{OTHER_REGION}");
    for text in [
        "regions[2].alarms names alarm",
        missing.as_str(),
        "does not exist in",
    ] {
        assert!(refused.stderr.contains(text), "{text}: {}", refused.stderr);
    }
    assert!(setup.records().await.is_empty(), "nothing was written");
}

/// A plain CNAME as a team serves the name before regionflip.
async fn put_plain_cname(setup: &Setup, value: &str) {
    let cname = ResourceRecordSet::builder()
        .name(format!("{}.", setup.record))
        .r#type(RrType::Cname)
        .ttl(300)
        .resource_records(ResourceRecord::builder().value(value).build().unwrap())
        .build()
        .unwrap();
    setup
        .aws
        .route53
        .client()
        .change_resource_record_sets()
        .hosted_zone_id(&setup.zone)
        .change_batch(
            ChangeBatch::builder()
                .changes(
                    Change::builder()
                        .action(ChangeAction::Create)
                        .resource_record_set(cname)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

/// Adoption: the name keeps answering throughout. Plain `init` refuses the team's CNAME
/// and names `--adopt`; `--adopt --dry-run` shows the one batch and writes nothing;
/// `--adopt` deletes the CNAME and creates the pair and the state in that one batch (Route
/// 53 applies a batch all or nothing, so there is no moment without an answer); a second
/// `init` finds everything.
#[tokio::test]
async fn init_adopt_replaces_a_plain_cname_on_home_in_one_batch() {
    let setup = Setup::new("adopt", "").await;
    let home_target = format!("east.{}.backend.example", setup.record);
    put_plain_cname(&setup, &home_target).await;
    let before = setup.records().await;

    let refused = setup.run(&["init"]).expect_code(3);
    assert!(
        refused.stderr.contains("regionflip init --adopt"),
        "{}",
        refused.stderr
    );
    let dry = setup.run(&["init", "--adopt", "--dry-run"]).expect_code(0);
    assert!(
        dry.stdout.contains("(adopted) and create"),
        "{}",
        dry.stdout
    );
    assert_eq!(setup.records().await, before, "a dry run writes nothing");

    adopt(&setup).await;
    assert_eq!(setup.primary().await, HOME);
}

/// `init --adopt`, which must succeed: the plain record is gone, the pair and the state
/// (on home) are there, and a second `init` finds everything. Returns the records.
async fn adopt(setup: &Setup) -> Vec<RecordSet> {
    setup.run(&["init", "--adopt"]).expect_code(0);
    let records = setup.records().await;
    assert!(
        records
            .iter()
            .all(|r| r.set_identifier.is_some() || r.record_type == "TXT"),
        "the plain record is gone: {records:#?}"
    );
    assert_eq!(setup.state().await.active, HOME);
    let again = setup.run(&["init"]).expect_code(0);
    assert!(
        again.stdout.contains("already initialised"),
        "{}",
        again.stdout
    );
    records
}

/// The case most teams have: the name is a plain alias A to the home region's API
/// Gateway domain. `--adopt` refuses one whose alias zone is not home's (it would move
/// traffic), writing nothing, and replaces one on home's target and zone in the batch
/// that creates the alias pair and the state.
#[tokio::test]
async fn init_adopt_replaces_a_plain_alias_a_on_home_and_refuses_one_in_another_zone() {
    use regionflip_core::records::AliasTarget;
    use regionflip_core::{Change, ChangeAction};
    use regionflip_watcher::ports::Route53Api;
    const HOME_ALIAS_ZONE: &str = "Z1UJRXOUMOOFQ8";
    let setup = Setup::new("adopt-alias", "").await;
    let path = setup.config.path();
    let text = std::fs::read_to_string(path).unwrap();
    let alias_config = text
        .replace(
            "mode = \"records\"",
            "mode = \"records\"\nrecord_type = \"A\"",
        )
        .replace(
            "alarms = [",
            &format!("alias_hosted_zone_id = \"{HOME_ALIAS_ZONE}\"\nalarms = ["),
        );
    std::fs::write(path, alias_config).unwrap();
    let home_target = format!("east.{}.backend.example.", setup.record);
    let plain_alias = |zone: &str| RecordSet {
        name: format!("{}.", setup.record),
        record_type: "A".into(),
        set_identifier: None,
        failover: None,
        ttl: None,
        values: Vec::new(),
        alias: Some(AliasTarget {
            hosted_zone_id: zone.into(),
            dns_name: home_target.clone(),
            evaluate_target_health: false,
        }),
        health_check_id: None,
        latency_region: None,
        weight: None,
    };
    let put = |action: ChangeAction, record: RecordSet| {
        let aws = &setup.aws;
        let zone = setup.zone.clone();
        async move {
            aws.route53
                .change_records(&zone, &[Change { action, record }], "the team's own record")
                .await
                .unwrap();
        }
    };

    put(ChangeAction::Create, plain_alias("Z2FDTNDATAQYW2")).await;
    let before = setup.records().await;
    let refused = setup.run(&["init", "--adopt"]).expect_code(3);
    assert!(
        refused.stderr.contains("--adopt replaces")
            && refused.stderr.contains("Z2FDTNDATAQYW2")
            && refused.stderr.contains("alias_hosted_zone_id"),
        "{}",
        refused.stderr
    );
    assert_eq!(setup.records().await, before, "nothing was written");

    put(ChangeAction::Delete, plain_alias("Z2FDTNDATAQYW2")).await;
    put(ChangeAction::Create, plain_alias(HOME_ALIAS_ZONE)).await;
    let records = adopt(&setup).await;
    let primary = records
        .iter()
        .find(|r| r.failover == Some(FailoverRole::Primary))
        .expect("the PRIMARY");
    assert_eq!(
        primary.alias.as_ref().map(|a| a.dns_name.as_str()),
        Some(home_target.as_str()),
        "{primary:#?}"
    );
}

/// `--adopt` never moves traffic: a plain CNAME that points anywhere but the home
/// region's target is refused, naming both, and nothing is written.
#[tokio::test]
async fn init_adopt_refuses_a_record_pointing_elsewhere_and_writes_nothing() {
    let setup = Setup::new("adopt-elsewhere", "").await;
    put_plain_cname(&setup, "legacy.example.net").await;
    let before = setup.records().await;
    let refused = setup.run(&["init", "--adopt"]).expect_code(3);
    for text in [
        "--adopt replaces",
        "legacy.example.net",
        "home region's target",
    ] {
        assert!(refused.stderr.contains(text), "{text}: {}", refused.stderr);
    }
    assert_eq!(setup.records().await, before);
}

/// A CloudWatch Logs client on the test's moto, in `region`.
async fn logs_client(setup: &Setup, region: &str) -> aws_sdk_cloudwatchlogs::Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(setup.moto.endpoint())
        .region(aws_config::Region::new(region.to_string()))
        .credentials_provider(aws_sdk_cloudwatchlogs::config::Credentials::new(
            "regionflip-test-access-key",
            "regionflip-test-secret-key",
            None,
            None,
            "test",
        ))
        .load()
        .await;
    aws_sdk_cloudwatchlogs::Client::new(&config)
}

/// Operator commands land in the journal the watchers write (the stacks' log group, in
/// the operator's region), with who ran them (STS `GetCallerIdentity`) and why
/// (`--reason`); `history` lists them beside the watchers' own lines, read from every
/// region's log group. Without `journal.log_group` a command says it was recorded on the
/// terminal only.
#[tokio::test]
async fn operator_commands_are_journalled_with_who_and_why_and_history_lists_them() {
    let zone = crate::harness::TestZone::new("journal").await;
    for region in [HOME, OTHER_REGION] {
        regionflip_local_aws::seed::create_alarm(
            &zone.aws,
            region,
            &format!("journal-api-errors-{region}"),
        )
        .await;
    }
    let group = "/regionflip/journal-test/watcher";
    let text = records_config(&zone.zone, &zone.record, "journal-api", "")
        + &format!("\n[journal]\nlog_group = \"{group}\"\n");
    let config = ConfigFile::new("journal", &text);
    let setup = RecordsSetup::of(zone, config, "journal-api".into()).initialised();
    for region in [HOME, OTHER_REGION] {
        logs_client(&setup, region)
            .await
            .create_log_group()
            .log_group_name(group)
            .send()
            .await
            .unwrap();
    }
    // What the watcher Lambda in the other region logged: a transition line on stdout.
    let watcher_line = serde_json::json!({
        "message": "regionflip transition", "record": setup.record, "mode": "records",
        "kind": "failover", "from": HOME, "to": OTHER_REGION, "reasons": ["home's alarm"],
        "sequence": 1, "applied_at": "2026-12-01T00:00:00Z"
    });
    let west = logs_client(&setup, OTHER_REGION).await;
    west.create_log_stream()
        .log_group_name(group)
        .log_stream_name("2026/12/01/[$LATEST]abc")
        .send()
        .await
        .unwrap();
    west.put_log_events()
        .log_group_name(group)
        .log_stream_name("2026/12/01/[$LATEST]abc")
        .log_events(
            aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                .timestamp(i64::try_from(regionflip_local_aws::seed::now() - 60).unwrap() * 1000)
                .message(watcher_line.to_string())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    setup
        .run(&["pause", "--reason", "maintenance window"])
        .expect_code(0);
    let moved = setup
        .run(&[
            "failover",
            "--to",
            OTHER_REGION,
            "--force",
            "--reason",
            "game day",
        ])
        .expect_code(0);
    assert!(!moved.stdout.contains("not recorded"), "{}", moved.stdout);
    // What happens next, and roughly when users follow (records mode: INSYNC, then TTL).
    assert!(
        moved.stdout.contains(&format!(
            "routing moved to {OTHER_REGION}; DNS follows once"
        )) && moved.stdout.contains("TTL 60 s"),
        "{}",
        moved.stdout
    );

    let history = setup.run(&["history", "--json"]).expect_code(0).json();
    let found = crate::harness::times_not_in_rfc3339(&history);
    assert!(found.is_empty(), "history's times: {found:?}");
    let entries = history["entries"].as_array().unwrap();
    let find = |kind: &str| {
        entries
            .iter()
            .find(|e| e["kind"].as_str().unwrap().starts_with(kind))
            .unwrap_or_else(|| panic!("no {kind} entry: {entries:#?}"))
    };
    let watcher = find("failover");
    assert_eq!(watcher["who"], format!("watcher in {OTHER_REGION}"));
    assert_eq!(watcher["why"], "home's alarm");
    let pause = find("pause");
    assert_eq!(pause["why"], "maintenance window");
    assert!(
        pause["who"].as_str().unwrap().starts_with("arn:aws"),
        "{pause}"
    );
    assert_eq!(
        entries
            .iter()
            .filter(|e| e["sequence"] == find("manual")["sequence"])
            .count(),
        1,
        "the operator's move is one entry, not also its operator line: {entries:#?}"
    );
    let manual = find("manual");
    assert_eq!(
        (manual["from"].as_str(), manual["to"].as_str()),
        (Some(HOME), Some(OTHER_REGION))
    );
    assert_eq!(manual["why"], "game day");
    assert!(
        manual["who"].as_str().unwrap().starts_with("arn:aws"),
        "{manual}"
    );
    let text = setup.run(&["history"]).expect_code(0);
    assert!(text.stdout.contains("game day"), "{}", text.stdout);
    // status names the last move, who made it and why, from the same journal.
    let status = setup.run(&["status", "--json"]).expect_code(0).json();
    assert_eq!(status["last_move"]["kind"], "manual", "{status:#}");
    assert_eq!(status["last_move"]["why"], "game day");
    assert_eq!(
        (
            status["last_move"]["from"].as_str(),
            status["last_move"]["to"].as_str()
        ),
        (Some(HOME), Some(OTHER_REGION))
    );
    let text = setup.run(&["status"]).expect_code(0).stdout;
    assert!(
        text.contains(&format!("manual {HOME} → {OTHER_REGION} by arn:aws"))
            && text.contains("game day"),
        "{text}"
    );
}

#[tokio::test]
async fn without_a_journal_log_group_an_operator_command_says_it_is_recorded_on_the_terminal_only()
{
    let setup = initialised("no-journal").await;
    let paused = setup.run(&["pause"]).expect_code(0);
    assert!(
        paused.stdout.contains("recorded on this terminal only"),
        "{}",
        paused.stdout
    );
    // status cannot name the last move's kind, who and why without the journal, and says
    // where they are.
    setup.run(&["resume"]).expect_code(0);
    setup
        .run(&["failover", "--to", OTHER_REGION])
        .expect_code(0);
    let text = setup.run(&["status"]).expect_code(0).stdout;
    assert!(text.contains("set journal.log_group"), "{text}");
}

/// Every time in every `--json` document is RFC 3339 (see
/// [`crate::harness::times_not_in_rfc3339`]), never Unix seconds: one format for scripts to parse.
/// `active_active.rs` checks the same of the active-active state's lists.
#[tokio::test]
async fn every_time_in_json_output_is_rfc3339() {
    let setup = failed_over("rfc3339").await;
    for args in [
        &["--json", "status"][..],
        &["--json", "reconcile", "--dry-run"],
        &["--json", "failback", "--dry-run", "--force"],
        &["--json", "doctor"],
        &["--json", "init", "--dry-run"],
        &["--json", "uninstall", "--dry-run"],
    ] {
        let found = crate::harness::times_not_in_rfc3339(&setup.run(args).json());
        assert!(found.is_empty(), "{args:?}: {found:?}");
    }
}

/// `uninstall` in records mode after a failover, against moto: the dry run changes
/// nothing; the run hands the name to one plain CNAME on the standby (where traffic is)
/// and deletes the state record in the same batch; a second run finds nothing left.
#[tokio::test]
async fn uninstall_hands_the_name_back_on_the_active_region_and_removes_the_state_record() {
    let setup = failed_over("rec-uninstall").await;
    let before = setup.records().await;
    let dry = setup.run(&["uninstall", "--dry-run"]).expect_code(0);
    assert!(
        dry.stdout.contains("in one change batch, delete"),
        "{}",
        dry.stdout
    );
    assert_eq!(setup.records().await, before, "a dry run changes nothing");

    let report = setup.run(&["uninstall", "--json"]).expect_code(0).json();
    assert_eq!(report["steps"][0]["step"], "restore-record", "{report:#}");
    let records = setup.records().await;
    assert_eq!(
        records.len(),
        1,
        "one plain record and no state record: {records:#?}"
    );
    assert_eq!(records[0].set_identifier, None, "{records:#?}");
    assert!(records[0].failover.is_none(), "{records:#?}");
    assert_eq!(
        region_of_target(&records[0].values[0]),
        OTHER_REGION,
        "the plain record points where traffic is: {records:#?}"
    );
    let again = setup.run(&["uninstall"]).expect_code(0);
    assert!(
        again.stdout.contains("nothing of regionflip's is left"),
        "{}",
        again.stdout
    );
}
