//! Composite alarms as a region's `alarms` and `guards`, in both modes, on the faithful
//! in-memory models.
//!
//! **Models:** a CloudWatch composite alarm is an alarm like any other to the watcher: a
//! name in a region with a state. Real `DescribeAlarms` returns it only when `AlarmTypes`
//! names `CompositeAlarm` (the SDK adapter asks for both types; that request and the
//! parsing of a real answer are tested in `aws_adapters.rs` on replays, since moto has no
//! `PutCompositeAlarm`). The in-memory CloudWatch keeps alarms by name, so a composite
//! alarm here is set with `set_alarm` as its rule's evaluation would set it.
//!
//! EventBridge sends a composite alarm's changes with the same source and detail-type as a
//! metric alarm's (`CloudWatch Alarm State Change`); only `detail.configuration` differs
//! (an `alarmRule` instead of `metrics`). `events/watcher-composite-alarm.json` is such an
//! event; `tests/template` checks that the stack's alarm rule matches it.
//!
//! **Expected:** a composite alarm in ALARM fails the region over exactly as a metric
//! alarm does, its state-change event wakes the watcher like a metric alarm's, and a
//! composite guard not OK holds traffic away from its region until it is OK.

use lambda_runtime::{Context, LambdaEvent};
use regionflip_core::{Health, Mode};
use regionflip_local_aws::fixtures::*;
use regionflip_local_aws::journal::MemoryJournal;
use regionflip_local_aws::memory::{MemoryCloudWatch, MemoryRoute53};
use regionflip_watcher::handler::handle;
use regionflip_watcher::ports::AlarmState;
use regionflip_watcher::{PassReport, Request, Watcher, WatcherSettings};

/// A composite alarm of us-east-1's API (say `ALARM(errors) OR ALARM(latency)`).
const EAST_COMPOSITE: &str = "regionflip-demo-api-down-us-east-1";
/// A composite guard of us-east-1 (say "replication caught up AND the cache is warm").
const EAST_COMPOSITE_GUARD: &str = "regionflip-demo-data-ready-us-east-1";

type CompositeWatcher = Watcher<MemoryRoute53, MemoryCloudWatch, MemoryJournal>;

/// The fixture's world (traffic on us-east-1, every alarm OK, endpoints healthy), with a
/// composite alarm added to us-east-1's `alarms` and a composite guard to its `guards`,
/// both OK for an hour. The watcher runs in us-east-1.
fn with_composites(mode: Mode) -> CompositeWatcher {
    let base = initialised(mode);
    let mut config = base.config().clone();
    let east = config
        .regions
        .iter_mut()
        .find(|region| region.name == EAST)
        .expect("us-east-1 is configured");
    east.alarms.push(EAST_COMPOSITE.to_owned());
    east.guards.push(EAST_COMPOSITE_GUARD.to_owned());
    let cloudwatch = base.cloudwatch().inner().clone();
    cloudwatch.set_alarm(EAST, EAST_COMPOSITE, AlarmState::Ok, T0 - 3600);
    cloudwatch.set_alarm(EAST, EAST_COMPOSITE_GUARD, AlarmState::Ok, T0 - 3600);
    Watcher::new(
        config,
        base.route53().inner().clone(),
        cloudwatch,
        MemoryJournal::default(),
        WatcherSettings::for_region(EAST),
    )
}

/// One automatic pass at `now`, with Route 53 having published every endpoint's
/// `HealthCheckStatus` (healthy) up to `now`.
async fn pass(watcher: &CompositeWatcher, now: u64) -> PassReport {
    for check in [EAST_CHECK, WEST_CHECK] {
        endpoint_healthy_between(watcher.cloudwatch(), check, T0, now, true);
    }
    watcher
        .reconcile(&Request::Automatic, now, false)
        .await
        .expect("the pass succeeds")
}

fn active(watcher: &CompositeWatcher) -> String {
    stored_state(watcher.config(), watcher.route53(), watcher.cloudwatch()).active
}

fn east_health(report: &PassReport) -> &regionflip_core::RegionHealth {
    report
        .regions
        .iter()
        .find(|region| region.region == EAST)
        .expect("us-east-1 is assessed")
}

/// **Fault:** none; us-east-1's composite alarm turns ALARM while its metric alarm stays
/// OK. **Expected:** while the composite is OK, us-east-1 is healthy and its evidence never
/// says the alarm does not exist; once it is in ALARM, one pass fails over to us-west-2,
/// records one transition naming the composite alarm, and in records mode the PRIMARY
/// record points at us-west-2.
#[tokio::test]
async fn a_composite_alarm_in_alarm_fails_over_like_a_metric_alarm() {
    for mode in [Mode::Records, Mode::HealthGate] {
        let watcher = with_composites(mode);

        let steady = pass(&watcher, T0).await;
        assert!(
            steady.transition.is_none(),
            "{mode:?}: {:?}",
            steady.reasons
        );
        let east = east_health(&steady);
        assert_eq!(
            east.health,
            Health::Healthy,
            "{mode:?}: {:?}",
            east.evidence
        );
        assert!(
            !east.evidence.iter().any(|e| e.contains("does not exist")),
            "{mode:?}: a composite alarm must be read, not missing: {:?}",
            east.evidence
        );

        watcher
            .cloudwatch()
            .set_alarm(EAST, EAST_COMPOSITE, AlarmState::Alarm, T0 + 30);
        let report = pass(&watcher, T0 + 40).await;
        assert!(report.applied, "{mode:?}: {:?}", report.reasons);
        assert_eq!(
            report.active_after.as_deref(),
            Some(WEST),
            "{mode:?}: {:?}",
            report.reasons
        );
        assert_eq!(active(&watcher), WEST, "{mode:?}");
        let east = east_health(&report);
        assert_eq!(east.health, Health::Unhealthy, "{mode:?}");
        assert!(
            east.evidence.iter().any(|e| e.contains(EAST_COMPOSITE)),
            "{mode:?}: the evidence names the composite alarm: {:?}",
            east.evidence
        );
        let records = watcher.journal().records();
        assert_eq!(records.len(), 1, "{mode:?}");
        assert_eq!(
            (records[0].event.from.as_str(), records[0].event.to.as_str()),
            (EAST, WEST),
            "{mode:?}"
        );
        if mode == Mode::Records {
            assert_eq!(
                primary_region(watcher.config(), watcher.route53()),
                WEST,
                "records mode rewrites the pair"
            );
        }
    }
}

/// **Fault:** none; us-east-1 fails over on its metric alarm and recovers, but its
/// composite guard is in ALARM. **Expected:** after the stable window the failback is
/// held with "guard … blocks traffic to us-east-1" naming the composite guard; once the
/// guard is OK, the next pass fails back.
#[tokio::test]
async fn a_composite_guard_holds_failback_until_it_is_ok() {
    for mode in [Mode::Records, Mode::HealthGate] {
        let watcher = with_composites(mode);
        let cloudwatch = watcher.cloudwatch();
        cloudwatch.set_alarm(EAST, EAST_ALARM, AlarmState::Alarm, T0);
        cloudwatch.set_alarm(EAST, EAST_COMPOSITE_GUARD, AlarmState::Alarm, T0);
        pass(&watcher, T0 + 10).await;
        assert_eq!(active(&watcher), WEST, "{mode:?}");

        // Recovered at T0+120; stable_for_secs and min_dwell_secs are 300.
        cloudwatch.set_alarm(EAST, EAST_ALARM, AlarmState::Ok, T0 + 120);
        let held = pass(&watcher, T0 + 900).await;
        assert_eq!(active(&watcher), WEST, "{mode:?}: {:?}", held.reasons);
        assert!(
            held.reasons
                .iter()
                .any(|r| r.contains(EAST_COMPOSITE_GUARD)
                    && r.contains("blocks traffic to us-east-1")),
            "{mode:?}: {:?}",
            held.reasons
        );

        cloudwatch.set_alarm(EAST, EAST_COMPOSITE_GUARD, AlarmState::Ok, T0 + 950);
        let back = pass(&watcher, T0 + 960).await;
        assert_eq!(
            back.active_after.as_deref(),
            Some(EAST),
            "{mode:?}: {:?}",
            back.reasons
        );
        assert_eq!(active(&watcher), EAST, "{mode:?}");
        assert_eq!(watcher.journal().records().len(), 2, "{mode:?}");
    }
}

/// **Fault:** none; the EventBridge event of the composite alarm turning ALARM
/// (`events/watcher-composite-alarm.json`) reaches us-east-1's watcher through the Lambda
/// handler. **Expected:** the event parses (its `configuration` has an `alarmRule`, no
/// `metrics`), is relevant (the composite is one of us-east-1's alarms), and the pass it
/// triggers reads the composite's real state and fails over to us-west-2. With the
/// composite really OK, the same event changes nothing: an event is only a trigger.
#[tokio::test]
async fn a_composite_alarm_event_wakes_the_watcher_like_a_metric_alarm_event() {
    let path = format!(
        "{}/../../events/watcher-composite-alarm.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let payload: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(payload["detail"]["alarmName"], EAST_COMPOSITE);
    let event = || {
        let mut context = Context::default();
        context.invoked_function_arn =
            "arn:aws:lambda:us-east-1:123456789012:function:regionflip-watcher".into();
        LambdaEvent::new(payload.clone(), context)
    };
    for mode in [Mode::Records, Mode::HealthGate] {
        let watcher = with_composites(mode);
        for check in [EAST_CHECK, WEST_CHECK] {
            endpoint_healthy_between(watcher.cloudwatch(), check, T0, T0 + 60, true);
        }

        let quiet = handle(&watcher, event(), T0 + 60).await.expect("handled");
        assert!(quiet["transition"].is_null(), "{mode:?}: {quiet:#}");

        watcher
            .cloudwatch()
            .set_alarm(EAST, EAST_COMPOSITE, AlarmState::Alarm, T0 + 60);
        let summary = handle(&watcher, event(), T0 + 60).await.expect("handled");
        assert_eq!(
            summary["transition"]["to"].as_str(),
            Some(WEST),
            "{mode:?}: {summary:#}"
        );
        assert_eq!(summary["transition"]["kind"], "failover", "{mode:?}");
        assert_eq!(active(&watcher), WEST, "{mode:?}");
    }
}
