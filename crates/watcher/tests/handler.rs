//! Handler tests: every watcher event in `events/` through the Lambda handler, against
//! the in-memory AWS models. They pin down that an event is only a trigger (the real
//! alarm state decides), that irrelevant or foreign events read and write nothing, and
//! that a malformed payload is refused with a message saying what is wrong.

use lambda_runtime::{Context, LambdaEvent};
use regionflip_core::Mode;
use regionflip_local_aws::fixtures::*;
use regionflip_watcher::handler::{HandlerError, handle};
use regionflip_watcher::ports::AlarmState;
use serde_json::Value;

const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:regionflip-watcher";

fn event(name: &str) -> LambdaEvent<Value> {
    let path = format!("{}/../../events/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let payload = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut context = Context::default();
    context.invoked_function_arn = FUNCTION_ARN.into();
    LambdaEvent::new(payload, context)
}

async fn run(watcher: &MemoryWatcher, name: &str) -> Result<Value, HandlerError> {
    handle(watcher, event(name), T0).await
}

fn transition_to(summary: &Value) -> Option<&str> {
    summary["transition"]["to"].as_str()
}

#[tokio::test]
async fn alarm_event_with_the_alarm_really_in_alarm_fails_over() {
    for mode in [Mode::HealthGate, Mode::Records] {
        let watcher = initialised(mode);
        watcher
            .cloudwatch()
            .set_alarm(EAST, EAST_ALARM, AlarmState::Alarm, T0 - 60);
        let summary = run(&watcher, "watcher-alarm-alarm.json")
            .await
            .expect("handled");
        assert_eq!(transition_to(&summary), Some(WEST), "{mode:?}: {summary:#}");
        assert_eq!(summary["transition"]["kind"], "failover");
        assert_eq!(watcher.journal().records().len(), 1);
    }
}

#[tokio::test]
async fn alarm_event_that_contradicts_the_real_alarm_state_changes_nothing() {
    // The event claims ALARM; CloudWatch says OK. The event is only a trigger.
    let watcher = initialised(Mode::Records);
    let summary = run(&watcher, "watcher-alarm-alarm.json")
        .await
        .expect("handled");
    assert_eq!(transition_to(&summary), None, "{summary:#}");
    assert_eq!(watcher.route53().calls().change_records, 0);
    assert!(watcher.journal().records().is_empty());
}

#[tokio::test]
async fn alarm_ok_event_in_steady_state_writes_nothing_to_route53() {
    let watcher = initialised(Mode::Records);
    let summary = run(&watcher, "watcher-alarm-ok.json")
        .await
        .expect("handled");
    assert_eq!(summary["applied"], true);
    assert_eq!(transition_to(&summary), None);
    assert_eq!(watcher.route53().calls().change_records, 0);
}

#[tokio::test]
async fn insufficient_data_never_fails_over_by_itself() {
    let watcher = initialised(Mode::HealthGate);
    watcher
        .cloudwatch()
        .set_alarm(EAST, EAST_ALARM, AlarmState::InsufficientData, T0 - 60);
    let summary = run(&watcher, "watcher-alarm-insufficient-data.json")
        .await
        .expect("handled");
    assert_eq!(transition_to(&summary), None, "{summary:#}");
    let reasons = summary["reasons"].to_string();
    assert!(
        reasons.contains("unknown data never triggers a failover"),
        "{reasons}"
    );
}

#[tokio::test]
async fn scheduled_tick_runs_a_pass_and_steady_state_makes_no_route53_write() {
    let watcher = initialised(Mode::Records);
    let summary = run(&watcher, "watcher-scheduled-tick.json")
        .await
        .expect("handled");
    assert_eq!(summary["active_after"], EAST);
    let calls = watcher.route53().calls();
    assert_eq!((calls.list_records, calls.change_records), (1, 0));
}

#[tokio::test]
async fn sns_wrapped_alarm_notification_triggers_a_pass() {
    let watcher = initialised(Mode::HealthGate);
    watcher
        .cloudwatch()
        .set_alarm(EAST, EAST_ALARM, AlarmState::Alarm, T0 - 60);
    let summary = run(&watcher, "watcher-sns-alarm.json")
        .await
        .expect("handled");
    assert_eq!(transition_to(&summary), Some(WEST), "{summary:#}");
}

/// Regression (SNS notifications refused): CloudWatch sends `"AlarmDescription": null`
/// for an alarm without a description (and `null` for other fields it has no value
/// for). The notification must still trigger a pass, not fail the invocation.
#[tokio::test]
async fn sns_notification_of_an_alarm_without_description_triggers_a_pass() {
    let watcher = initialised(Mode::HealthGate);
    watcher
        .cloudwatch()
        .set_alarm(EAST, EAST_ALARM, AlarmState::Alarm, T0 - 60);
    let summary = run(&watcher, "watcher-sns-alarm-no-description.json")
        .await
        .expect("handled");
    assert_eq!(transition_to(&summary), Some(WEST), "{summary:#}");
}

/// The EventBridge event of an alarm without description carries
/// `"configuration": {"description": null}`; it triggers a pass like any other.
#[tokio::test]
async fn alarm_event_of_an_alarm_without_description_triggers_a_pass() {
    let watcher = initialised(Mode::Records);
    watcher
        .cloudwatch()
        .set_alarm(EAST, EAST_ALARM, AlarmState::Alarm, T0 - 60);
    let summary = run(&watcher, "watcher-alarm-no-description.json")
        .await
        .expect("handled");
    assert_eq!(transition_to(&summary), Some(WEST), "{summary:#}");
}

#[tokio::test]
async fn alarm_outside_the_configuration_reads_and_writes_nothing() {
    let watcher = initialised(Mode::Records);
    let summary = run(&watcher, "watcher-alarm-unconfigured.json")
        .await
        .expect("handled");
    assert!(
        summary["ignored"][0]
            .as_str()
            .unwrap_or("")
            .contains("not configured")
    );
    assert_eq!(watcher.route53().calls().route53(), 0);
    assert_eq!(watcher.cloudwatch().calls().cloudwatch(), 0);
}

#[tokio::test]
async fn alarm_event_from_another_account_reads_and_writes_nothing() {
    let watcher = initialised(Mode::HealthGate);
    watcher
        .cloudwatch()
        .set_alarm(EAST, EAST_ALARM, AlarmState::Alarm, T0 - 60);
    let summary = run(&watcher, "watcher-alarm-other-account.json")
        .await
        .expect("handled");
    assert!(
        summary["ignored"][0]
            .as_str()
            .unwrap_or("")
            .contains("999999999999")
    );
    assert_eq!(watcher.cloudwatch().calls().cloudwatch(), 0);
    assert!(watcher.journal().records().is_empty());
}

#[tokio::test]
async fn malformed_event_is_refused_with_what_is_wrong_and_changes_nothing() {
    let watcher = initialised(Mode::Records);
    let error = run(&watcher, "watcher-malformed.json")
        .await
        .expect_err("malformed payloads are errors");
    let message = error.to_string();
    assert!(message.contains("alarmName"), "{message}");
    assert_eq!(watcher.route53().calls().route53(), 0);
    assert_eq!(watcher.cloudwatch().calls().cloudwatch(), 0);
}

#[tokio::test]
async fn unknown_payload_shapes_are_refused() {
    let watcher = initialised(Mode::Records);
    let mut ev = event("watcher-scheduled-tick.json");
    ev.payload = serde_json::json!({ "hello": "world" });
    let error = handle(&watcher, ev, T0).await.expect_err("refused");
    assert!(error.to_string().contains("detail-type"), "{error}");
}

#[test]
fn every_watcher_fixture_has_a_handler_test() {
    // A new fixture must be added to this list, and so get a test above.
    let tested = [
        "watcher-alarm-alarm.json",
        "watcher-alarm-insufficient-data.json",
        "watcher-alarm-no-description.json",
        "watcher-alarm-ok.json",
        "watcher-alarm-other-account.json",
        "watcher-alarm-unconfigured.json",
        // A composite alarm's event: tests/composite.rs, on a configuration that lists it.
        "watcher-composite-alarm.json",
        "watcher-malformed.json",
        "watcher-scheduled-tick.json",
        "watcher-sns-alarm-no-description.json",
        "watcher-sns-alarm.json",
    ];
    let dir = format!("{}/../../events", env!("CARGO_MANIFEST_DIR"));
    let mut found: Vec<String> = std::fs::read_dir(&dir)
        .expect("events/ exists")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("watcher-") && n.ends_with(".json"))
        .collect();
    found.sort();
    assert_eq!(found, tested);
}
