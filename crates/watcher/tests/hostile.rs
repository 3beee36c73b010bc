//! Hostile input to the watcher: payloads that are not what they claim, events forged to
//! provoke a flip, oversized payloads, and a state record edited by hand into garbage.
//!
//! * **Event parsing** (`trigger::parse`, `trigger::relevance`) gets arbitrary JSON and
//!   mutations of the real events in `events/`: it never panics, refuses what is over
//!   [`MAX_PAYLOAD_BYTES`], and yields at least one trigger when it accepts.
//! * **Forged events** through `handler::handle` against the in-memory models: whatever
//!   the payload says (account, region, alarm, claimed state), only the real alarm and
//!   health readings decide. In a healthy world no payload causes a write to Route 53 or
//!   a transition; in a world where home really fails, the only transition any payload
//!   can cause is the one the readings call for. `tests/handler.rs` covers one fixture
//!   per shape; the cases here are the forgeries it does not.
//! * **A state record edited into garbage**, in both modes, through `reconcile`: the
//!   report says the state is corrupt, and no pass routes onto a region known unhealthy.
//!
//! Case counts: 2,000 per property in `make test`, `PROPTEST_CASES` overrides (as
//! `make soak` does).

#![allow(clippy::unwrap_used)]

use std::sync::OnceLock;

use lambda_runtime::{Context, LambdaEvent};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use regionflip_core::records::{quote_txt, state_record};
use regionflip_core::resources::GATE_METRIC;
use regionflip_core::{EngineState, FailoverRole, Health, Mode, RecordSet};
use regionflip_local_aws::fixtures::*;
use regionflip_watcher::handler::{HandlerError, handle};
use regionflip_watcher::ports::AlarmState;
use regionflip_watcher::trigger::{self, MAX_PAYLOAD_BYTES, TriggerError};
use regionflip_watcher::{PassReport, Request};
use serde_json::{Value, json};

const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:regionflip-watcher";
const OWN_ACCOUNT: &str = "123456789012";

/// Cases per property: 2,000 unless `PROPTEST_CASES` says otherwise.
fn cases(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig::with_cases(cases)
}

/// Every watcher event in `events/`, read once.
fn real_events() -> &'static [(String, Value)] {
    static EVENTS: OnceLock<Vec<(String, Value)>> = OnceLock::new();
    EVENTS.get_or_init(read_real_events)
}

fn read_real_events() -> Vec<(String, Value)> {
    let dir = format!("{}/../../events", env!("CARGO_MANIFEST_DIR"));
    let mut events: Vec<(String, Value)> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            (name.starts_with("watcher-") && name.ends_with(".json")).then_some(name)
        })
        .map(|name| {
            let text = std::fs::read_to_string(format!("{dir}/{name}")).unwrap();
            (name, serde_json::from_str(&text).unwrap())
        })
        .collect();
    events.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(
        events.len() >= 8,
        "the fixtures are where tests expect them"
    );
    events
}

/// Strings the parser looks for, and values that mean something in AWS events.
const VOCABULARY: &[&str] = &[
    "detail-type",
    "source",
    "detail",
    "region",
    "account",
    "Records",
    "Sns",
    "Message",
    "alarmName",
    "state",
    "value",
    "AlarmName",
    "AlarmArn",
    "NewStateValue",
    "AWSAccountId",
    "aws.cloudwatch",
    "aws.events",
    "CloudWatch Alarm State Change",
    "Scheduled Event",
    "ALARM",
    "OK",
    "INSUFFICIENT_DATA",
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "123456789012",
    "999999999999",
    EAST_ALARM,
    WEST_ALARM,
    EAST_GUARD,
    "arn:aws:cloudwatch:us-east-1:123456789012:alarm:regionflip-demo-api-errors-us-east-1",
    "arn:aws:cloudwatch:us-west-2:999999999999:alarm:regionflip-demo-api-errors-us-east-1",
    "arn:aws:cloudwatch",
    ":::::::",
    "",
];

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => any::<i64>().prop_map(Value::from),
        1 => any::<f64>().prop_filter_map("JSON numbers are finite", |f| {
            serde_json::Number::from_f64(f).map(Value::Number)
        }),
        3 => prop::sample::select(VOCABULARY).prop_map(|s| Value::String(s.to_owned())),
        1 => any::<String>().prop_map(Value::String),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(5, 96, 8, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..8).prop_map(Value::Array),
            btree_map(json_key(), inner, 0..8).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn json_key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(VOCABULARY).prop_map(str::to_owned),
        1 => any::<String>(),
    ]
}

/// Payloads shaped like the two accepted kinds, with arbitrary contents, so the parser is
/// exercised past its first check.
fn shaped_payload() -> impl Strategy<Value = Value> {
    let eventbridge = (
        json_value(),
        json_value(),
        json_value(),
        json_value(),
        json_value(),
    )
        .prop_map(|(detail_type, source, detail, region, account)| {
            json!({ "detail-type": detail_type, "source": source, "detail": detail,
                    "region": region, "account": account })
        });
    let alarm_detail = (json_value(), json_value()).prop_map(|(name, state)| {
        json!({ "detail-type": "CloudWatch Alarm State Change", "source": "aws.cloudwatch",
                "detail": { "alarmName": name, "state": { "value": state } } })
    });
    let sns = vec(
        (json_value(), json_value(), json_value(), json_value()),
        0..4,
    )
    .prop_map(|records| {
        let records: Vec<Value> = records
            .into_iter()
            .map(|(name, arn, state, account)| {
                sns_record(json!({ "AlarmName": name, "AlarmArn": arn,
                                       "NewStateValue": state, "AWSAccountId": account }))
            })
            .collect();
        json!({ "Records": records })
    });
    prop_oneof![eventbridge, alarm_detail, sns]
}

/// One edit of a JSON document: follow `path` (indices taken modulo each level's size)
/// as far as it goes, then change what is there.
#[derive(Debug, Clone)]
struct JsonEdit {
    path: Vec<usize>,
    action: JsonAction,
}

#[derive(Debug, Clone)]
enum JsonAction {
    Remove,
    Replace(Value),
    /// Turn the value into a string holding its JSON (a common producer mistake).
    Stringify,
    /// Repeat an array's items (many SNS records, many resources).
    Repeat(usize),
}

fn json_edit() -> impl Strategy<Value = JsonEdit> {
    let action = prop_oneof![
        2 => Just(JsonAction::Remove),
        4 => json_value().prop_map(JsonAction::Replace),
        1 => Just(JsonAction::Stringify),
        1 => (1..50usize).prop_map(JsonAction::Repeat),
    ];
    (vec(any::<usize>(), 0..6), action).prop_map(|(path, action)| JsonEdit { path, action })
}

fn apply_edit(value: &mut Value, path: &[usize], action: &JsonAction) {
    if let Some((step, rest)) = path.split_first() {
        let remove_here = rest.is_empty() && matches!(action, JsonAction::Remove);
        match value {
            Value::Object(map) if !map.is_empty() => {
                let key = map.keys().nth(step % map.len()).unwrap().clone();
                if remove_here {
                    map.remove(&key);
                } else {
                    apply_edit(map.get_mut(&key).unwrap(), rest, action);
                }
                return;
            }
            Value::Array(items) if !items.is_empty() => {
                let index = step % items.len();
                if remove_here {
                    items.remove(index);
                } else {
                    apply_edit(&mut items[index], rest, action);
                }
                return;
            }
            _ => {}
        }
    }
    match action {
        JsonAction::Remove => *value = Value::Null,
        JsonAction::Replace(replacement) => *value = replacement.clone(),
        JsonAction::Stringify => *value = Value::String(value.to_string()),
        JsonAction::Repeat(times) => {
            if let Value::Array(items) = value {
                let copy = items.clone();
                for _ in 0..*times {
                    items.extend(copy.iter().cloned());
                }
            }
        }
    }
}

fn mutated_real_event() -> impl Strategy<Value = Value> {
    let events = real_events();
    (0..events.len(), vec(json_edit(), 1..4)).prop_map(move |(index, edits)| {
        let mut value = events[index].1.clone();
        for edit in &edits {
            apply_edit(&mut value, &edit.path, &edit.action);
        }
        value
    })
}

/// Real alarm events (EventBridge and SNS) with their account, region, alarm and
/// claimed state forged: payloads that parse, and that a real attacker would send.
fn forged_event() -> impl Strategy<Value = Value> {
    let pick = |choices: &'static [&'static str]| prop::sample::select(choices);
    (
        any::<bool>(),
        pick(&["123456789012", "999999999999", ""]),
        pick(&["us-east-1", "us-west-2", "eu-west-1", ""]),
        pick(&[EAST_ALARM, WEST_ALARM, EAST_GUARD, "someone-elses-alarm"]),
        pick(&["ALARM", "OK", "INSUFFICIENT_DATA"]),
    )
        .prop_map(|(sns, account, region, alarm, state)| {
            if sns {
                let arn = format!("arn:aws:cloudwatch:{region}:{account}:alarm:{alarm}");
                sns_notification(&[(alarm, &arn, state, account)])
            } else {
                let mut event = fixture("watcher-alarm-alarm.json");
                let fields = event.as_object_mut().unwrap();
                for (key, value) in [("account", account), ("region", region)] {
                    if value.is_empty() {
                        fields.remove(key);
                    } else {
                        fields.insert(key.into(), json!(value));
                    }
                }
                event["detail"]["alarmName"] = json!(alarm);
                event["detail"]["state"]["value"] = json!(state);
                event
            }
        })
}

fn any_payload() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => json_value(),
        1 => shaped_payload(),
        2 => mutated_real_event(),
        2 => forged_event(),
    ]
}

fn serialized_size(value: &Value) -> usize {
    serde_json::to_vec(value).unwrap().len()
}

fn lambda_event(payload: Value) -> LambdaEvent<Value> {
    let mut context = Context::default();
    context.invoked_function_arn = FUNCTION_ARN.into();
    LambdaEvent::new(payload, context)
}

/// Runs the handler on a fresh current-thread runtime (proptest bodies are synchronous).
fn run_handler(watcher: &MemoryWatcher, payload: Value, now: u64) -> Result<Value, HandlerError> {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(handle(watcher, lambda_event(payload), now))
}

fn config() -> regionflip_core::Config {
    sample_config(Mode::Records)
}

proptest! {
    #![proptest_config(cases(2_000))]

    #[test]
    fn event_parsing_never_panics_and_honours_the_size_limit(payload in any_payload()) {
        let size = serialized_size(&payload);
        match trigger::parse(&payload, size) {
            Ok(triggers) => {
                prop_assert!(size <= MAX_PAYLOAD_BYTES);
                prop_assert!(!triggers.is_empty(), "accepted, yet no trigger");
                let config = config();
                for trigger in &triggers {
                    let _ = trigger::relevance(trigger, &config, Some(OWN_ACCOUNT));
                    let _ = trigger::relevance(trigger, &config, None);
                }
            }
            Err(TriggerError::TooLarge(reported)) => {
                prop_assert_eq!(reported, size);
                prop_assert!(size > MAX_PAYLOAD_BYTES);
            }
            Err(error) => prop_assert!(!error.to_string().is_empty()),
        }
        // The size is checked before anything else: the same payload claimed to be one
        // byte over the limit is refused whatever it holds.
        prop_assert_eq!(
            trigger::parse(&payload, MAX_PAYLOAD_BYTES + 1),
            Err(TriggerError::TooLarge(MAX_PAYLOAD_BYTES + 1))
        );
    }

    /// In a healthy world, no payload — forged, mutated or arbitrary — writes to Route 53
    /// or records a transition, in either mode.
    #[test]
    fn no_payload_flips_a_healthy_world(payload in any_payload(), gate_mode in any::<bool>()) {
        let mode = if gate_mode { Mode::HealthGate } else { Mode::Records };
        let watcher = initialised(mode);
        let result = run_handler(&watcher, payload, T0);
        prop_assert_eq!(watcher.route53().calls().change_records, 0);
        prop_assert!(watcher.journal().records().is_empty(), "{:?}", result);
        if let Ok(summary) = &result {
            prop_assert!(summary["transition"].is_null(), "{}", summary);
        }
    }

    /// When home really fails, a payload can at most trigger the pass the readings call
    /// for: a failover to the standby. It can never choose another target or direction.
    #[test]
    fn no_payload_chooses_where_traffic_goes(payload in any_payload()) {
        let watcher = initialised(Mode::Records);
        watcher.cloudwatch().set_alarm(EAST, EAST_ALARM, AlarmState::Alarm, T0 - 60);
        let _ = run_handler(&watcher, payload, T0);
        for record in watcher.journal().records() {
            prop_assert_eq!((record.event.from.as_str(), record.event.to.as_str()), (EAST, WEST));
        }
        prop_assert!(watcher.journal().records().len() <= 1);
    }
}

/// The payload generators reach past the parser: a good share of payloads parse, and
/// some are relevant enough to run a pass (otherwise the handler properties above would
/// only ever test the refusal path).
#[test]
fn the_payload_generators_reach_the_pass() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let config = config();
    let (mut parsed, mut relevant) = (0, 0);
    let samples = 1_000;
    for _ in 0..samples {
        let payload = any_payload().new_tree(&mut runner).unwrap().current();
        if let Ok(triggers) = trigger::parse(&payload, serialized_size(&payload)) {
            parsed += 1;
            if triggers
                .iter()
                .any(|t| trigger::relevance(t, &config, Some(OWN_ACCOUNT)).is_ok())
            {
                relevant += 1;
            }
        }
    }
    assert!(parsed * 10 > samples, "only {parsed} of {samples} parsed");
    assert!(
        relevant * 20 > samples,
        "only {relevant} of {samples} relevant"
    );
}

// ------------------------------------------------------------------- forged events

fn fixture(name: &str) -> Value {
    real_events()
        .iter()
        .find(|(n, _)| n == name)
        .unwrap()
        .1
        .clone()
}

/// One SNS record as the real fixture has it, its alarm message's fields replaced by
/// those of `fields`.
fn sns_record(fields: Value) -> Value {
    let mut record = fixture("watcher-sns-alarm.json")["Records"][0].clone();
    let mut message: Value =
        serde_json::from_str(record["Sns"]["Message"].as_str().unwrap()).unwrap();
    for (key, value) in fields.as_object().unwrap() {
        message[key] = value.clone();
    }
    record["Sns"]["Message"] = Value::String(message.to_string());
    record
}

/// An SNS notification carrying one alarm message per entry of `alarms`:
/// (alarm name, ARN, claimed state, account field).
fn sns_notification(alarms: &[(&str, &str, &str, &str)]) -> Value {
    let records: Vec<Value> = alarms
        .iter()
        .map(|(name, arn, state, account)| {
            sns_record(json!({ "AlarmName": name, "AlarmArn": arn,
                               "NewStateValue": state, "AWSAccountId": account }))
        })
        .collect();
    json!({ "Records": records })
}

fn assert_ignored_without_a_call(watcher: &MemoryWatcher, summary: &Value, why: &str) {
    let ignored = summary["ignored"].to_string();
    assert!(ignored.contains(why), "{why}: {summary:#}");
    assert_eq!(watcher.route53().calls().route53(), 0, "{why}");
    assert_eq!(watcher.cloudwatch().calls().cloudwatch(), 0, "{why}");
    assert!(watcher.journal().records().is_empty(), "{why}");
}

/// **Forged:** the home alarm's event, from this account, claiming another region
/// (the alarm name exists, but in us-east-1).
/// **Expected:** ignored, naming the mismatch; nothing read or written.
#[tokio::test]
async fn an_alarm_event_from_the_wrong_region_is_ignored() {
    let watcher = initialised(Mode::Records);
    watcher
        .cloudwatch()
        .set_alarm(EAST, EAST_ALARM, AlarmState::Alarm, T0 - 60);
    let mut payload = fixture("watcher-alarm-alarm.json");
    payload["region"] = json!(WEST);
    let summary = handle(&watcher, lambda_event(payload), T0).await.unwrap();
    assert_ignored_without_a_call(
        &watcher,
        &summary,
        "configured in us-east-1, not in us-west-2",
    );
}

/// **Forged:** SNS notifications whose alarm ARN names another account, another region,
/// or an alarm that is not configured.
/// **Expected:** each record is ignored with its reason; nothing read or written.
#[tokio::test]
async fn forged_sns_notifications_are_ignored() {
    let foreign_arn =
        "arn:aws:cloudwatch:us-east-1:999999999999:alarm:regionflip-demo-api-errors-us-east-1";
    let wrong_region_arn =
        "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:regionflip-demo-api-errors-us-east-1";
    let unknown_arn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:someone-elses-alarm";
    for (alarm, why) in [
        (
            (EAST_ALARM, foreign_arn, "ALARM", "999999999999"),
            "999999999999",
        ),
        // The account field says ours; the ARN, which CloudWatch writes, wins.
        (
            (EAST_ALARM, foreign_arn, "ALARM", OWN_ACCOUNT),
            "999999999999",
        ),
        (
            (EAST_ALARM, wrong_region_arn, "ALARM", OWN_ACCOUNT),
            "not in eu-west-1",
        ),
        (
            ("someone-elses-alarm", unknown_arn, "ALARM", OWN_ACCOUNT),
            "not configured",
        ),
    ] {
        let watcher = initialised(Mode::HealthGate);
        let summary = handle(&watcher, lambda_event(sns_notification(&[alarm])), T0)
            .await
            .unwrap();
        assert_ignored_without_a_call(&watcher, &summary, why);
    }
}

/// **Forged:** events claiming ALARM for the standby's alarm, and an SNS batch of many
/// ALARM claims for every configured alarm, while every real alarm is OK.
/// **Expected:** a pass runs (the events are relevant) and reads the real states: no
/// transition, no Route 53 write.
#[tokio::test]
async fn relevant_forged_alarm_claims_change_nothing_when_the_alarms_are_ok() {
    let mut standby = fixture("watcher-alarm-alarm.json");
    standby["region"] = json!(WEST);
    standby["detail"]["alarmName"] = json!(WEST_ALARM);
    let arn = |region: &str, name: &str| {
        format!("arn:aws:cloudwatch:{region}:{OWN_ACCOUNT}:alarm:{name}")
    };
    let (east_arn, west_arn, guard_arn) = (
        arn(EAST, EAST_ALARM),
        arn(WEST, WEST_ALARM),
        arn(EAST, EAST_GUARD),
    );
    let batch: Vec<(&str, &str, &str, &str)> = (0..10)
        .flat_map(|_| {
            [
                (EAST_ALARM, east_arn.as_str(), "ALARM", OWN_ACCOUNT),
                (WEST_ALARM, west_arn.as_str(), "ALARM", OWN_ACCOUNT),
                (EAST_GUARD, guard_arn.as_str(), "ALARM", OWN_ACCOUNT),
            ]
        })
        .collect();
    let mut no_account = fixture("watcher-alarm-alarm.json");
    no_account.as_object_mut().unwrap().remove("account");
    for (what, payload) in [
        ("standby ALARM", standby),
        ("SNS batch", sns_notification(&batch)),
        ("no account", no_account),
    ] {
        for mode in [Mode::Records, Mode::HealthGate] {
            let watcher = initialised(mode);
            let summary = handle(&watcher, lambda_event(payload.clone()), T0)
                .await
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            assert!(
                summary["transition"].is_null(),
                "{what} {mode:?}: {summary:#}"
            );
            assert_eq!(summary["active_after"], EAST, "{what} {mode:?}");
            assert_eq!(
                watcher.route53().calls().change_records,
                0,
                "{what} {mode:?}"
            );
            // One pass per invocation, however many records claimed ALARM.
            assert_eq!(
                watcher.cloudwatch().calls().get_metric_data,
                1,
                "{what} {mode:?}"
            );
        }
    }
}

/// **Forged:** an event claiming OK while the home alarm is really in ALARM.
/// **Expected:** the real state decides: the pass fails over (an event never suppresses
/// a failover either).
#[tokio::test]
async fn an_ok_claim_does_not_hide_a_real_alarm() {
    let watcher = initialised(Mode::Records);
    watcher
        .cloudwatch()
        .set_alarm(EAST, EAST_ALARM, AlarmState::Alarm, T0 - 60);
    let summary = handle(&watcher, lambda_event(fixture("watcher-alarm-ok.json")), T0)
        .await
        .unwrap();
    assert_eq!(summary["transition"]["to"], WEST, "{summary:#}");
}

/// **Hostile:** payloads over [`MAX_PAYLOAD_BYTES`]: a real alarm event padded, and a
/// megabyte of SNS records.
/// **Expected:** refused as too large before anything is read; exactly at the limit the
/// same event is accepted.
#[tokio::test]
async fn oversized_payloads_are_refused_before_anything_is_read() {
    let padded = |total: usize| {
        let mut payload = fixture("watcher-alarm-alarm.json");
        payload["detail"]["padding"] = json!("");
        let base = serialized_size(&payload);
        payload["detail"]["padding"] = json!("x".repeat(total - base));
        assert_eq!(serialized_size(&payload), total);
        payload
    };
    let claim = (
        EAST_ALARM,
        "arn:aws:cloudwatch:us-east-1:123456789012:alarm:x",
        "ALARM",
        OWN_ACCOUNT,
    );
    for payload in [
        padded(MAX_PAYLOAD_BYTES + 1),
        sns_notification(&vec![claim; 1_000]),
    ] {
        let size = serialized_size(&payload);
        assert!(size > MAX_PAYLOAD_BYTES);
        let watcher = initialised(Mode::Records);
        let error = handle(&watcher, lambda_event(payload), T0)
            .await
            .expect_err("refused");
        assert!(
            matches!(&error, HandlerError::Trigger(TriggerError::TooLarge(n)) if *n == size),
            "{error}"
        );
        assert!(
            error.to_string().contains("exceeds the 65536-byte limit"),
            "{error}"
        );
        assert_eq!(watcher.cloudwatch().calls().cloudwatch(), 0);
        assert_eq!(watcher.route53().calls().route53(), 0);
    }
    let watcher = initialised(Mode::Records);
    handle(&watcher, lambda_event(padded(MAX_PAYLOAD_BYTES)), T0)
        .await
        .expect("exactly at the limit is accepted");
}

// ------------------------------------------------------- a state record made garbage

/// Hand edits of the state, as text regionflip would find in the TXT value (records) or
/// in the state holders' descriptions (gate mode).
fn garbage_states() -> Vec<String> {
    vec![
        String::new(),
        "garbage".into(),
        "regionflip/v2 seq=9 active=us-west-2".into(),
        "regionflip/v1 seq=2 active=eu-central-1 at=- away=- paused=0 hold=0 flips=-".into(),
        "regionflip/v1 seq=2 active=us-west-2 at=- away=- paused=1 hold=0 flips=-,".into(),
        "regionflip/v1 seq=-1 active=us-west-2 at=- away=- paused=0 hold=0 flips=-".into(),
        "regionflip/v1 seq=3 seq=4 active=us-west-2 at=- away=- paused=0 hold=0 flips=-".into(),
        format!(
            "regionflip/v1 seq=2 active=us-west-2 {}",
            "x=1 ".repeat(2_000)
        ),
        "regionflip/v1 seq=2 active=us-west-2 at=- away=- paused=0 hold=0 flips=9,1".into(),
        "\u{0}\u{202e}regionflip/v1".into(),
    ]
}

/// Puts `text` where the state lives, as a person editing it by hand would: records mode
/// gets it as the TXT value (quoted, or raw when `raw`); gate mode in both holders.
fn corrupt_state(watcher: &MemoryWatcher, text: &str, raw: bool) {
    let config = &watcher.config();
    match config.mode {
        Mode::Records => {
            let mut record: RecordSet = state_record(config, &EngineState::initial(EAST));
            record.values = vec![if raw {
                text.to_owned()
            } else {
                quote_txt(&[text])
            }];
            watcher.route53().put_record(&config.hosted_zone_id, record);
        }
        Mode::HealthGate => {
            for region in [EAST, WEST] {
                watcher
                    .cloudwatch()
                    .set_description(region, &config.state_alarm_name(), text);
            }
        }
    }
}

fn set_health(watcher: &MemoryWatcher, east_healthy: bool, west_healthy: bool) {
    for (region, alarm, healthy) in [
        (EAST, EAST_ALARM, east_healthy),
        (WEST, WEST_ALARM, west_healthy),
    ] {
        let state = if healthy {
            AlarmState::Ok
        } else {
            AlarmState::Alarm
        };
        watcher
            .cloudwatch()
            .set_alarm(region, alarm, state, T0 - 60);
    }
}

fn primary(watcher: &MemoryWatcher) -> String {
    let records = watcher.route53().records(&watcher.config().hosted_zone_id);
    let primary = records
        .iter()
        .find(|r| r.failover == Some(FailoverRole::Primary))
        .unwrap();
    regionflip_core::records::region_of_record(watcher.config(), primary)
        .unwrap()
        .name
        .clone()
}

/// The gates this pass opened, by region.
fn gates_opened(watcher: &MemoryWatcher) -> Vec<String> {
    watcher
        .cloudwatch()
        .published()
        .iter()
        .filter(|(_, _, datum)| datum.name == GATE_METRIC && datum.value >= 1.0)
        .filter_map(|(_, _, datum)| {
            datum
                .dimensions
                .iter()
                .find(|(k, _)| k == "Region")
                .map(|(_, v)| v.clone())
        })
        .collect()
}

/// Where traffic is routed after a pass on a corrupt state, and the checks every such
/// pass must pass: the corruption is reported, nothing is routed onto an unhealthy
/// region (a transition's target, a gate opened), and in records mode traffic never
/// moves onto an unhealthy region.
fn check_corrupt_pass(
    watcher: &MemoryWatcher,
    report: &PassReport,
    east_healthy: bool,
    west_healthy: bool,
    what: &str,
) {
    let healthy = |region: &str| {
        if region == EAST {
            east_healthy
        } else {
            west_healthy
        }
    };
    for region in &report.regions {
        assert_eq!(
            region.health == Health::Healthy,
            healthy(&region.region),
            "{what}: {region:?}"
        );
    }
    if let Some(transition) = &report.transition {
        assert!(
            healthy(&transition.event.to),
            "{what}: moved onto {}",
            transition.event.to
        );
    }
    match watcher.config().mode {
        Mode::Records => {
            let routed = primary(watcher);
            // PRIMARY only changes by a transition, and then onto a healthy region.
            assert!(
                routed == EAST || healthy(&routed),
                "{what}: PRIMARY on unhealthy {routed}"
            );
        }
        Mode::HealthGate => {
            for region in gates_opened(watcher) {
                assert!(
                    healthy(&region),
                    "{what}: gate of unhealthy {region} opened"
                );
            }
        }
    }
}

/// **Hostile:** the state record (records mode: the TXT value, quoted or not; gate mode:
/// both holders' descriptions) edited by hand into garbage, under every combination of
/// the two regions' health.
/// **Expected:** the pass succeeds, its report says "state record is corrupt" (or, for a
/// well-formed state naming the wrong region, that DNS is trusted over it), and it never
/// routes onto an unhealthy region: a transition only to a healthy region, no gate of an
/// unhealthy region opened, PRIMARY only ever moved onto a healthy region. The state is
/// never rewritten by an automatic pass (issue 13 #3: its pause flag cannot be trusted,
/// so automation stops until an operator command replaces it): a second pass still finds
/// it corrupt and moves nothing. (It used to expect the state rewritten where a healthy
/// region existed, which is the behaviour the issue calls a bug.)
#[tokio::test]
async fn a_state_edited_into_garbage_is_reported_and_never_routes_onto_an_unhealthy_region() {
    for mode in [Mode::Records, Mode::HealthGate] {
        for text in garbage_states() {
            for raw in [false, true] {
                if raw && mode == Mode::HealthGate {
                    continue;
                }
                for (east_healthy, west_healthy) in
                    [(true, true), (true, false), (false, true), (false, false)]
                {
                    let what = format!(
                        "{mode:?} raw={raw} east={east_healthy} west={west_healthy} {:?}",
                        text.chars().take(60).collect::<String>()
                    );
                    let watcher = initialised(mode);
                    corrupt_state(&watcher, &text, raw);
                    set_health(&watcher, east_healthy, west_healthy);
                    let report = watcher
                        .reconcile(&Request::Automatic, T0, false)
                        .await
                        .unwrap_or_else(|e| panic!("{what}: {e}"));
                    assert!(
                        report
                            .reasons
                            .iter()
                            .any(|r| r.contains("state record is corrupt")),
                        "{what}: {:?}",
                        report.reasons
                    );
                    check_corrupt_pass(&watcher, &report, east_healthy, west_healthy, &what);
                    assert!(report.transition.is_none(), "{what}: {:?}", report.reasons);
                    let again = watcher
                        .reconcile(&Request::Automatic, T0 + 1, false)
                        .await
                        .unwrap();
                    assert!(
                        again
                            .reasons
                            .iter()
                            .any(|r| r.contains("only an operator command")),
                        "{what}: rewritten by an automatic pass: {:?}",
                        again.reasons
                    );
                    assert!(again.transition.is_none(), "{what}: {:?}", again.reasons);
                }
            }
        }
    }
}

/// **Hostile:** a well-formed state that names the unhealthy standby as active (records
/// mode, PRIMARY on healthy home) and, in gate mode, a forged newest copy doing the same.
/// **Expected:** records mode trusts DNS and says so; gate mode, believing the state,
/// finds its "active" region unhealthy and fails over to the healthy one. Neither routes
/// onto the unhealthy standby.
#[tokio::test]
async fn a_well_formed_state_naming_an_unhealthy_region_is_not_followed() {
    let forged = "regionflip/v1 seq=99 active=us-west-2 at=- away=- paused=0 hold=0 flips=-";
    for mode in [Mode::Records, Mode::HealthGate] {
        let watcher = initialised(mode);
        corrupt_state(&watcher, forged, false);
        set_health(&watcher, true, false);
        let report = watcher
            .reconcile(&Request::Automatic, T0, false)
            .await
            .unwrap();
        check_corrupt_pass(&watcher, &report, true, false, &format!("{mode:?}"));
        assert_eq!(report.active_after.as_deref(), Some(EAST), "{mode:?}");
        if mode == Mode::Records {
            assert!(
                report.reasons.iter().any(|r| r.contains("trusting DNS")),
                "{:?}",
                report.reasons
            );
        }
    }
}

proptest! {
    #![proptest_config(cases(500))]

    /// Arbitrary text as the state, arbitrary health, both modes: the same checks as
    /// above, over inputs nobody thought of.
    #[test]
    fn arbitrary_state_text_never_routes_onto_an_unhealthy_region(
        text in prop_oneof![any::<String>(), vec(prop::sample::select(VOCABULARY), 0..12)
            .prop_map(|w| format!("regionflip/v1 {}", w.join(" ")))],
        raw in any::<bool>(),
        gate_mode in any::<bool>(),
        east_healthy in any::<bool>(),
        west_healthy in any::<bool>(),
    ) {
        let mode = if gate_mode { Mode::HealthGate } else { Mode::Records };
        let watcher = initialised(mode);
        corrupt_state(&watcher, &text, raw);
        set_health(&watcher, east_healthy, west_healthy);
        let report = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(watcher.reconcile(&Request::Automatic, T0, false))
            .unwrap();
        check_corrupt_pass(&watcher, &report, east_healthy, west_healthy, &format!("{text:?}"));
    }
}
