//! `regionflip doctor` against moto, on a deployment as its stacks and `init` leave it
//! ([`Deployment`]: real `health` endpoints on loopback, no `HealthCheckStatus`, the
//! standby's alarm in INSUFFICIENT_DATA): it passes once `init` and a first watcher pass
//! have run, in both modes, and fails (exit 4), naming the resource and a fix, when a gate
//! alarm is deleted, when a gate alarm's settings drift from what its check copied, when
//! an endpoint's body lacks the check's search string, when no failover target is
//! healthy, when a region's `health_url` does not answer with its search string (the
//! watcher's own evidence), and when the records-mode pair was edited by hand.

use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, Statistic};
use aws_sdk_route53::types::HealthCheckType;
use regionflip_local_aws::seed::OTHER_REGION;
use serde_json::Value;

use crate::harness::deployment::Deployment;
use crate::harness::records::HOME;

/// A deployment after `init` and one watcher pass.
async fn deployed(name: &str, mode: &str) -> Deployment {
    let world = Deployment::new(name, mode).await;
    world.run(&["reconcile"]).expect_code(0);
    world
}

/// The checks of a doctor report with this status.
fn with_status<'a>(report: &'a Value, status: &str) -> Vec<&'a Value> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == status)
        .collect()
}

/// Asserts the doctor failed (exit 4) with a failed `rule` check whose resource names
/// `resource` and which names a fix.
fn assert_fails(world: &Deployment, rule: &str, resource: &str) -> Value {
    let report = world.run(&["--json", "doctor"]).expect_code(4).json();
    assert_eq!(report["passed"], false);
    let failed = with_status(&report, "fail");
    assert!(
        failed.iter().any(|c| c["rule"] == rule
            && c["resource"].as_str().unwrap().contains(resource)
            && c["fix"].is_string()),
        "no failed {rule} check naming {resource}: {failed:#?}"
    );
    report
}

async fn passes_after_init_and_a_first_pass(mode: &str) {
    let world = deployed(&format!("doctor-{mode}-passes"), mode).await;
    let report = world.run(&["--json", "doctor"]).expect_code(0).json();
    assert_eq!(report["passed"], true, "{report:#}");
    assert!(with_status(&report, "fail").is_empty(), "{report:#}");
    let rules: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["rule"].as_str().unwrap())
        .collect();
    for rule in [
        "alarm-exists",
        "endpoint-check-exists",
        "endpoint-serves",
        "provisioning",
        "state",
        "watcher-ran",
        "target-ready",
        "health-url",
    ] {
        assert!(rules.contains(&rule), "{rule} was not checked: {rules:?}");
    }
    // Each region's health_url requests what its endpoint check requests, for the same
    // string, as the stacks set them up: no warning that the two could disagree.
    let warned = with_status(&report, "warn");
    assert!(
        warned.iter().all(|c| c["rule"] != "health-url"),
        "{warned:#?}"
    );
    if mode == "health-gate" {
        assert!(rules.contains(&"gate-alarm-settings"), "{rules:?}");
    }
    let text = world.run(&["doctor"]).expect_code(0);
    assert!(text.stdout.contains("0 failed"), "{}", text.stdout);
}

#[tokio::test]
async fn doctor_passes_after_init_and_a_first_pass_in_gate_mode() {
    passes_after_init_and_a_first_pass("health-gate").await;
}

#[tokio::test]
async fn doctor_passes_after_init_and_a_first_pass_in_records_mode() {
    passes_after_init_and_a_first_pass("records").await;
}

fn gate_alarm_name(world: &Deployment) -> String {
    format!(
        "regionflip-gate-{}-{HOME}",
        regionflip_core::resources::slug_of(&world.setup.record)
    )
}

#[tokio::test]
async fn doctor_fails_naming_a_deleted_gate_alarm() {
    let world = deployed("doctor-gate-deleted", "health-gate").await;
    let alarm = gate_alarm_name(&world);
    world
        .setup
        .aws
        .cloudwatch
        .client(OTHER_REGION)
        .unwrap()
        .delete_alarms()
        .alarm_names(&alarm)
        .send()
        .await
        .unwrap();
    assert_fails(&world, "provisioning", &alarm);
}

/// Models a hand edit of the gate alarm in the console: its description (and so init's
/// fingerprint) stays, its threshold changes; the gate check keeps the settings it copied
/// at creation (Route 53 never refreshes them), so routing no longer follows the alarm.
#[tokio::test]
async fn doctor_fails_naming_a_gate_alarm_whose_settings_drifted_from_its_check() {
    let world = deployed("doctor-gate-drift", "health-gate").await;
    let alarm = gate_alarm_name(&world);
    let client = world.setup.aws.cloudwatch.client(OTHER_REGION).unwrap();
    let found = client
        .describe_alarms()
        .alarm_names(&alarm)
        .send()
        .await
        .unwrap();
    let before = &found.metric_alarms()[0];
    client
        .put_metric_alarm()
        .alarm_name(&alarm)
        .set_alarm_description(before.alarm_description().map(str::to_string))
        .namespace(before.namespace().unwrap())
        .metric_name(before.metric_name().unwrap())
        .set_dimensions(Some(
            before
                .dimensions()
                .iter()
                .map(|d| {
                    Dimension::builder()
                        .name(d.name().unwrap())
                        .value(d.value().unwrap())
                        .build()
                })
                .collect(),
        ))
        .statistic(Statistic::Minimum)
        .period(60)
        .evaluation_periods(1)
        .threshold(0.5)
        .comparison_operator(ComparisonOperator::LessThanThreshold)
        .treat_missing_data("ignore")
        .send()
        .await
        .unwrap();
    let report = assert_fails(&world, "gate-alarm-settings", &alarm);
    let failed = with_status(&report, "fail");
    assert!(
        failed.iter().all(|c| c["rule"] == "gate-alarm-settings"),
        "the description still matches, so only the settings check sees it: {failed:#?}"
    );
}

#[tokio::test]
async fn doctor_fails_naming_an_endpoint_check_whose_search_string_the_body_lacks() {
    let world = deployed("doctor-search", "health-gate").await;
    let config_text = std::fs::read_to_string(world.setup.config.path()).unwrap();
    let check = config_text
        .lines()
        .filter_map(|l| l.strip_prefix("health_check_id = \""))
        .map(|l| l.trim_end_matches('"').to_string())
        .nth(1)
        .expect("the standby's endpoint check");
    world
        .setup
        .aws
        .route53
        .client()
        .update_health_check()
        .health_check_id(&check)
        .search_string("a-string-the-endpoint-never-serves")
        .send()
        .await
        .unwrap();
    let check_type = world
        .setup
        .aws
        .route53
        .client()
        .get_health_check()
        .health_check_id(&check)
        .send()
        .await
        .unwrap();
    assert_eq!(
        check_type
            .health_check()
            .unwrap()
            .health_check_config()
            .unwrap()
            .r#type(),
        &HealthCheckType::HttpStrMatch
    );
    let report = assert_fails(&world, "endpoint-serves", &check);
    let detail = with_status(&report, "fail")
        .into_iter()
        .find(|c| c["rule"] == "endpoint-serves")
        .unwrap()["detail"]
        .to_string();
    assert!(
        detail.contains("a-string-the-endpoint-never-serves"),
        "{detail}"
    );
}

#[tokio::test]
async fn doctor_fails_when_no_failover_target_is_healthy() {
    let mut world = deployed("doctor-no-target", "health-gate").await;
    world.endpoints[1].stop();
    assert_fails(&world, "target-ready", "failover targets");
}

/// The watcher's own evidence: the standby's `health_url` answers, but without the
/// configured `health_search`, so the watcher's probe fails there — during a us-east-1
/// event (HealthCheckStatus unreadable) the standby could not be a failover target.
#[tokio::test]
async fn doctor_fails_naming_a_health_url_that_does_not_answer_with_its_search_string() {
    let world = deployed("doctor-health-url", "health-gate").await;
    let config_path = world.setup.config.path();
    let text = std::fs::read_to_string(config_path).unwrap();
    let standby_url = world.endpoints[1].url();
    let edited = text.replacen(
        &format!("health_url = \"{standby_url}\"\n"),
        &format!("health_url = \"{standby_url}\"\nhealth_search = \"never-served\"\n"),
        1,
    );
    assert_ne!(
        edited, text,
        "the standby's health_url is in the configuration"
    );
    std::fs::write(config_path, edited).unwrap();
    let report = assert_fails(&world, "health-url", &standby_url);
    let warned = with_status(&report, "warn");
    assert!(
        warned
            .iter()
            .any(|c| c["rule"] == "health-url"
                && c["detail"].as_str().unwrap().contains("never-served")),
        "the check and the watcher search for different strings: {warned:#?}"
    );
}

/// A hand edit of the records-mode pair (the SECONDARY's TTL raised in the console) is
/// what Route 53 answers until a watcher pass repairs it: the doctor names the records.
#[tokio::test]
async fn doctor_fails_naming_a_hand_edited_pair_in_records_mode() {
    use regionflip_core::{Change, ChangeAction, FailoverRole};
    use regionflip_watcher::ports::Route53Api;
    let world = deployed("doctor-pair-drift", "records").await;
    let mut secondary = world
        .setup
        .records()
        .await
        .into_iter()
        .find(|r| r.failover == Some(FailoverRole::Secondary))
        .expect("the SECONDARY");
    secondary.ttl = Some(300);
    world
        .setup
        .aws
        .route53
        .change_records(
            &world.setup.zone,
            &[Change {
                action: ChangeAction::Upsert,
                record: secondary,
            }],
            "a hand edit in the console",
        )
        .await
        .unwrap();
    let report = assert_fails(&world, "pair-drift", &world.setup.record);
    let detail = with_status(&report, "fail")
        .into_iter()
        .find(|c| c["rule"] == "pair-drift")
        .unwrap()["detail"]
        .to_string();
    assert!(detail.contains("300"), "{detail}");
}
