//! Reconcile passes against the faithful in-memory Route 53 and CloudWatch models, in
//! both modes: failover, failback after the stable window (with an injected clock, no
//! sleeps), gates, compare-and-swap conflicts, concurrent watchers, unhealthy endpoint
//! checks, and the rule that recording never blocks or undoes routing.

use regionflip_core::resources::GATE_METRIC;
use regionflip_core::{Command, EngineState, Mode, RecordSet};
use regionflip_local_aws::fixtures::*;
use regionflip_local_aws::hooked::{Before, Call, Hook, Hooked, Operation};
use regionflip_local_aws::memory::MemoryRoute53;
use regionflip_watcher::ports::{AlarmState, AwsError, ChangeError, Route53Api};
use regionflip_watcher::{PassError, Request, Watcher};

async fn tick(watcher: &MemoryWatcher, now: u64) -> regionflip_watcher::PassReport {
    keep_endpoints_reporting(watcher, now);
    watcher
        .reconcile(&Request::Automatic, now, false)
        .await
        .expect("pass succeeds")
}

/// Route 53 keeps publishing HealthCheckStatus every minute; the tests advance time, so
/// they publish the minutes that passed (healthy unless a test said otherwise).
fn keep_endpoints_reporting(watcher: &MemoryWatcher, now: u64) {
    for check in [EAST_CHECK, WEST_CHECK] {
        let minutes: Vec<u64> = (T0..=now).step_by(60).collect();
        let last_minute = minutes.last().copied().unwrap_or(T0);
        endpoint_healthy_between(
            watcher.cloudwatch(),
            check,
            last_minute.saturating_sub(60 * 10).max(T0),
            last_minute,
            true,
        );
    }
}

fn primary_region(watcher: &MemoryWatcher) -> String {
    regionflip_local_aws::fixtures::primary_region(watcher.config(), watcher.route53())
}

fn stored_state(watcher: &MemoryWatcher) -> EngineState {
    regionflip_local_aws::fixtures::stored_state(
        watcher.config(),
        watcher.route53(),
        watcher.cloudwatch(),
    )
}

fn last_gate(watcher: &MemoryWatcher, region: &str) -> f64 {
    regionflip_local_aws::fixtures::last_gate(watcher.config(), watcher.cloudwatch(), region)
        .expect("gate published")
}

/// Whether anything was ever published for `region`'s gate (the standby of a pair has
/// none).
fn has_gate_data(watcher: &MemoryWatcher, region: &str) -> bool {
    regionflip_local_aws::fixtures::last_gate(watcher.config(), watcher.cloudwatch(), region)
        .is_some()
}

fn metric_values(watcher: &MemoryWatcher, name: &str) -> Vec<f64> {
    watcher
        .cloudwatch()
        .values_of(EAST, name)
        .iter()
        .map(|d| d.value)
        .collect()
}

#[tokio::test]
async fn records_mode_failover_rewrites_the_pair_and_the_state_in_one_batch() {
    let watcher = initialised(Mode::Records);
    watcher
        .cloudwatch()
        .set_alarm(EAST, EAST_ALARM, AlarmState::Alarm, T0);
    let report = tick(&watcher, T0 + 10).await;
    assert!(report.applied);
    assert_eq!(primary_region(&watcher), WEST);
    assert_eq!(stored_state(&watcher).active, WEST);
    assert_eq!(stored_state(&watcher).sequence, 2);
    assert_eq!(watcher.route53().calls().change_records, 1);
    assert_eq!(metric_values(&watcher, "Failover"), vec![1.0]);
    let records = watcher.journal().records();
    assert_eq!(records.len(), 1);
    assert_eq!(
        (records[0].event.from.as_str(), records[0].event.to.as_str()),
        (EAST, WEST)
    );
    assert!(records[0].change_id.is_some());
}

#[tokio::test]
async fn failback_waits_for_the_stable_window_then_happens_on_a_tick() {
    for mode in [Mode::Records, Mode::HealthGate] {
        let watcher = initialised(mode);
        watcher
            .cloudwatch()
            .set_alarm(EAST, EAST_ALARM, AlarmState::Alarm, T0);
        tick(&watcher, T0).await;
        assert_eq!(stored_state(&watcher).active, WEST);

        // Recovered at T0+120: stable_for_secs = 300, so eligible at T0+420.
        watcher
            .cloudwatch()
            .set_alarm(EAST, EAST_ALARM, AlarmState::Ok, T0 + 120);
        let pending = tick(&watcher, T0 + 130).await;
        assert_eq!(pending.decision.eligible_at(), Some(T0 + 420), "{mode:?}");
        tick(&watcher, T0 + 419).await;
        assert_eq!(stored_state(&watcher).active, WEST, "{mode:?}: too early");

        let back = tick(&watcher, T0 + 420).await;
        assert_eq!(
            back.active_after.as_deref(),
            Some(EAST),
            "{mode:?}: {:?}",
            back.reasons
        );
        let records = watcher.journal().records();
        assert_eq!(records.len(), 2, "{mode:?}");
        assert_eq!(records[1].event.time_in_failover_secs, Some(420));
        assert_eq!(
            metric_values(&watcher, "TimeInFailoverSeconds"),
            vec![420.0]
        );
        assert_eq!(metric_values(&watcher, "Failback"), vec![1.0]);
    }
}

#[tokio::test]
async fn gate_mode_failover_closes_the_home_gate_and_makes_no_route53_call() {
    let watcher = initialised(Mode::HealthGate);
    tick(&watcher, T0).await;
    assert_eq!(last_gate(&watcher, EAST), 1.0);

    watcher
        .cloudwatch()
        .set_alarm(EAST, EAST_ALARM, AlarmState::Alarm, T0 + 30);
    tick(&watcher, T0 + 60).await;
    assert_eq!(last_gate(&watcher, EAST), 0.0);
    // Home's gate lives in the standby's region; the standby has no gate (its record
    // carries its endpoint check alone), so nothing of its routing is in home's
    // CloudWatch. The state is copied to both.
    assert_eq!(watcher.config().gate_host_region(EAST), WEST);
    assert!(!has_gate_data(&watcher, WEST), "the standby has no gate");
    for region in [EAST, WEST] {
        let text = watcher
            .cloudwatch()
            .alarm_description(region, &watcher.config().state_alarm_name())
            .expect("state copy");
        assert!(text.contains("active=us-west-2"), "{region}: {text}");
    }
    assert_eq!(watcher.route53().calls().route53(), 0);
}

#[tokio::test]
async fn steady_ticks_republish_gates_and_write_nothing_else() {
    let watcher = initialised(Mode::HealthGate);
    for minute in 0..5 {
        let report = tick(&watcher, T0 + 60 * minute).await;
        assert!(report.transition.is_none());
    }
    let host = watcher.config().gate_host_region(EAST).to_string();
    assert_eq!(watcher.cloudwatch().values_of(&host, GATE_METRIC).len(), 5);
    assert_eq!(
        watcher.cloudwatch().calls().put_metric_alarm,
        0,
        "no state rewrite"
    );
    assert_eq!(watcher.route53().calls().route53(), 0);
    assert_eq!(stored_state(&watcher).sequence, 1);
}

#[tokio::test]
async fn unhealthy_endpoint_check_fails_over_with_the_check_as_evidence() {
    let watcher = initialised(Mode::Records);
    endpoint_healthy_between(watcher.cloudwatch(), EAST_CHECK, T0 + 60, T0 + 60, false);
    let report = watcher
        .reconcile(&Request::Automatic, T0 + 60, false)
        .await
        .expect("pass");
    assert_eq!(report.active_after.as_deref(), Some(WEST));
    assert!(
        report.reasons[0].contains(EAST_CHECK),
        "{:?}",
        report.reasons
    );
}

#[tokio::test]
async fn no_healthy_target_changes_nothing_and_is_counted() {
    let watcher = initialised(Mode::Records);
    watcher
        .cloudwatch()
        .set_alarm(EAST, EAST_ALARM, AlarmState::Alarm, T0);
    watcher
        .cloudwatch()
        .set_alarm(WEST, WEST_ALARM, AlarmState::Alarm, T0);
    let report = tick(&watcher, T0 + 10).await;
    assert_eq!(report.active_after.as_deref(), Some(EAST));
    assert_eq!(watcher.route53().calls().change_records, 0);
    assert_eq!(metric_values(&watcher, "NoHealthyTarget"), vec![1.0]);
    assert_eq!(metric_values(&watcher, "RegionHealthy"), vec![0.0, 0.0]);
}

/// `FailoverTargetReady` says, from what each pass already read (no call of its own),
/// whether a failover would have somewhere to go: 1 while the standby is known healthy,
/// 0 once it is not, and (after a failover onto it) 0 while home, the only other
/// region, is failing.
#[tokio::test]
async fn every_pass_publishes_whether_a_failover_target_is_ready() {
    let watcher = initialised(Mode::HealthGate);
    let calls_before = watcher.cloudwatch().calls();
    tick(&watcher, T0).await;
    let calls = watcher.cloudwatch().calls().since(&calls_before);
    watcher
        .cloudwatch()
        .set_alarm(WEST, WEST_ALARM, AlarmState::Alarm, T0 + 30);
    tick(&watcher, T0 + 60).await;
    watcher
        .cloudwatch()
        .set_alarm(WEST, WEST_ALARM, AlarmState::Ok, T0 + 90);
    watcher
        .cloudwatch()
        .set_alarm(EAST, EAST_ALARM, AlarmState::Alarm, T0 + 90);
    let failover = tick(&watcher, T0 + 120).await;
    assert_eq!(failover.active_after.as_deref(), Some(WEST));
    assert_eq!(
        metric_values(&watcher, "FailoverTargetReady"),
        vec![1.0, 0.0, 0.0]
    );
    let again = watcher.cloudwatch().calls();
    tick(&watcher, T0 + 180).await;
    let steady = watcher.cloudwatch().calls().since(&again);
    assert_eq!(
        (steady.describe_alarms, steady.put_metric_data),
        (calls.describe_alarms, calls.put_metric_data),
        "the readiness metric adds no call"
    );
}

/// `Paused` is 1 on every pass while automation is paused (the stack pages when it stays
/// so), 0 otherwise, whatever the mode.
#[tokio::test]
async fn every_pass_publishes_whether_automation_is_paused() {
    for mode in [Mode::Records, Mode::HealthGate] {
        let watcher = initialised(mode);
        tick(&watcher, T0).await;
        watcher
            .reconcile(&Request::Command(Command::Pause), T0 + 10, false)
            .await
            .expect("pause");
        tick(&watcher, T0 + 60).await;
        watcher
            .reconcile(&Request::Command(Command::Resume), T0 + 70, false)
            .await
            .expect("resume");
        tick(&watcher, T0 + 120).await;
        assert_eq!(
            metric_values(&watcher, "Paused"),
            vec![0.0, 1.0, 1.0, 0.0, 0.0],
            "{mode:?}"
        );
    }
}

/// Lets another writer in once, between a watcher's read and its first change batch.
struct RaceBeforeFirstChange<F> {
    /// The model the other writer writes to.
    model: MemoryRoute53,
    race: F,
    raced: std::sync::atomic::AtomicBool,
}

impl<F: Fn(&MemoryRoute53) + Send + Sync> Hook for RaceBeforeFirstChange<F> {
    async fn before(&self, call: &Call<'_>) -> Before {
        if matches!(call, Call::ChangeRecords { .. })
            && !self.raced.swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            (self.race)(&self.model);
        }
        Before::Proceed
    }
}

#[tokio::test]
async fn a_stale_writer_meets_a_conflict_rereads_and_records_nothing_twice() {
    let first = initialised(Mode::Records);
    first
        .cloudwatch()
        .set_alarm(EAST, EAST_ALARM, AlarmState::Alarm, T0);
    keep_endpoints_reporting(&first, T0 + 10);
    // The second watcher shares the same Route 53 and CloudWatch, and its first write
    // is preceded by the first watcher's complete pass.
    let shared = first.route53().clone();
    let second = Watcher::new(
        first.config().clone(),
        shared,
        first.cloudwatch().clone(),
        regionflip_local_aws::journal::MemoryJournal::default(),
        first.settings().clone(),
    );
    // Both decide on the same observations; the first applies; the second's batch
    // carries the old state record as its precondition.
    let (_, stale) = second
        .observe_and_decide(&Request::Automatic, T0 + 10)
        .await;
    tick(&first, T0 + 10).await;
    let regionflip_core::Plan::ChangeBatch { changes, .. } = &stale.plan else {
        panic!("expected a change batch, got {:?}", stale.plan);
    };
    let refused = second
        .route53()
        .change_records(&first.config().hosted_zone_id, changes, "stale")
        .await;
    assert!(
        matches!(refused, Err(ChangeError::Conflict(_))),
        "{refused:?}"
    );

    // Through reconcile the second watcher re-reads and finds the work done.
    let report = second
        .reconcile(&Request::Automatic, T0 + 11, false)
        .await
        .expect("pass");
    assert!(report.transition.is_none());
    assert_eq!(
        first.journal().records().len() + second.journal().records().len(),
        1
    );
    assert_eq!(stored_state(&first).sequence, 2);
}

#[tokio::test]
async fn a_conflict_inside_a_pass_is_retried_on_fresh_observations() {
    let watcher = initialised(Mode::Records);
    watcher
        .cloudwatch()
        .set_alarm(EAST, EAST_ALARM, AlarmState::Alarm, T0);
    keep_endpoints_reporting(&watcher, T0 + 10);
    let config = watcher.config().clone();
    // Just before this watcher writes, an operator pauses automation elsewhere: the
    // state record changes, so the batch must be refused and the pass must re-decide.
    let racing = Watcher::new(
        config.clone(),
        Hooked::new(
            watcher.route53().clone(),
            RaceBeforeFirstChange {
                model: watcher.route53().inner().clone(),
                race: move |r53: &MemoryRoute53| {
                    let zone = &config.hosted_zone_id;
                    let name = config.state_record_name();
                    let old: RecordSet = r53
                        .records(zone)
                        .into_iter()
                        .find(|r| r.name == name)
                        .expect("state record");
                    let mut paused = EngineState::initial(EAST);
                    paused.sequence = 2;
                    paused.paused = true;
                    r53.put_record(
                        zone,
                        regionflip_core::records::state_record(&config, &paused),
                    );
                    assert_ne!(
                        old,
                        regionflip_core::records::state_record(&config, &paused)
                    );
                },
                raced: Default::default(),
            },
        ),
        watcher.cloudwatch().clone(),
        regionflip_local_aws::journal::MemoryJournal::default(),
        watcher.settings().clone(),
    );
    let report = racing
        .reconcile(&Request::Automatic, T0 + 10, false)
        .await
        .expect("pass");
    assert_eq!(report.conflicts, 1);
    assert_eq!(report.attempts, 2);
    assert!(report.transition.is_none(), "paused: no failover");
    assert!(racing.journal().records().is_empty());
    assert_eq!(primary_region(&watcher), EAST);
    assert_eq!(metric_values(&watcher, "ApplyConflicts"), vec![1.0]);
}

#[tokio::test]
async fn eight_watchers_on_one_alarm_record_exactly_one_transition() {
    let first = initialised(Mode::Records);
    first
        .cloudwatch()
        .set_alarm(EAST, EAST_ALARM, AlarmState::Alarm, T0);
    keep_endpoints_reporting(&first, T0 + 5);
    let watchers: Vec<MemoryWatcher> = (0..8)
        .map(|_| sharing_aws(&first, first.journal().clone()))
        .collect();
    let passes = watchers
        .iter()
        .map(|w| w.reconcile(&Request::Automatic, T0 + 5, false));
    for result in futures_util::future::join_all(passes).await {
        result.expect("every pass ends cleanly");
    }
    assert_eq!(first.journal().records().len(), 1);
    assert_eq!(first.route53().applied_changes(), 1);
    assert_eq!(primary_region(&first), WEST);
}

#[tokio::test]
async fn throttled_route53_fails_the_pass_and_records_no_transition() {
    let watcher = initialised(Mode::Records);
    watcher
        .cloudwatch()
        .set_alarm(EAST, EAST_ALARM, AlarmState::Alarm, T0);
    keep_endpoints_reporting(&watcher, T0 + 10);
    watcher.route53().faults().aim_once(
        Operation::ChangeResourceRecordSets,
        AwsError::Throttled("Rate exceeded".into()),
    );
    let error = watcher
        .reconcile(&Request::Automatic, T0 + 10, false)
        .await
        .expect_err("pass fails");
    assert!(
        matches!(error, PassError::Route53(AwsError::Throttled(_))),
        "{error}"
    );
    assert!(watcher.journal().records().is_empty());
    assert_eq!(primary_region(&watcher), EAST);
    // The next tick succeeds and records the failover once.
    tick(&watcher, T0 + 70).await;
    assert_eq!(watcher.journal().records().len(), 1);
}

#[tokio::test]
async fn failed_metrics_never_block_or_undo_the_routing_change() {
    let mut watcher = initialised(Mode::Records);
    watcher.settings_mut().metrics_region = "eu-west-1".into();
    watcher.cloudwatch().set_unreachable("eu-west-1", true);
    watcher
        .cloudwatch()
        .set_alarm(EAST, EAST_ALARM, AlarmState::Alarm, T0);
    let report = tick(&watcher, T0 + 10).await;
    assert!(report.applied);
    assert_eq!(primary_region(&watcher), WEST);
    assert_eq!(watcher.journal().records().len(), 1);
    assert_warns(&report, &["metrics not published"]);
}

#[tokio::test]
async fn dry_run_decides_but_writes_nothing() {
    let watcher = initialised(Mode::Records);
    watcher
        .cloudwatch()
        .set_alarm(EAST, EAST_ALARM, AlarmState::Alarm, T0);
    keep_endpoints_reporting(&watcher, T0 + 10);
    let report = watcher
        .reconcile(&Request::Automatic, T0 + 10, true)
        .await
        .expect("pass");
    assert!(report.decision.is_transition());
    assert!(!report.applied);
    assert_eq!(watcher.route53().calls().change_records, 0);
    assert_eq!(watcher.cloudwatch().calls().put_metric_data, 0);
    assert!(watcher.journal().records().is_empty());
}

#[tokio::test]
async fn operator_failover_is_recorded_as_a_manual_transition() {
    let watcher = initialised(Mode::HealthGate);
    keep_endpoints_reporting(&watcher, T0);
    let command = Request::Command(Command::FailoverTo {
        region: WEST.into(),
        force: false,
    });
    let report = watcher.reconcile(&command, T0, false).await.expect("pass");
    assert_eq!(report.active_after.as_deref(), Some(WEST));
    assert_eq!(watcher.journal().records()[0].event.kind.as_str(), "manual");
    assert_eq!(metric_values(&watcher, "ManualTransition"), vec![1.0]);
    assert!(stored_state(&watcher).hold_failback);
}

#[tokio::test]
async fn one_region_s_cloudwatch_unreachable_is_unknown_not_a_failover() {
    let watcher = initialised(Mode::HealthGate);
    watcher.cloudwatch().set_unreachable(EAST, true);
    let report = tick(&watcher, T0 + 10).await;
    assert!(report.transition.is_none(), "{:?}", report.reasons);
    assert!(
        report
            .reasons
            .iter()
            .any(|r| r.contains("DescribeAlarms in us-east-1 failed")),
        "{:?}",
        report.reasons
    );
}

#[tokio::test]
async fn a_pass_with_too_little_time_left_writes_nothing_and_says_so() {
    let watcher = initialised(Mode::Records);
    watcher
        .cloudwatch()
        .set_alarm(EAST, EAST_ALARM, AlarmState::Alarm, T0);
    keep_endpoints_reporting(&watcher, T0 + 10);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    let error = watcher
        .reconcile_before(&Request::Automatic, T0 + 10, false, Some(deadline))
        .await
        .expect_err("not enough time to apply");
    assert!(matches!(error, PassError::OutOfTime { .. }), "{error}");
    assert_eq!(watcher.route53().calls().change_records, 0);
    assert!(watcher.journal().records().is_empty());

    // With time to spare the same pass applies.
    let later = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let report = watcher
        .reconcile_before(&Request::Automatic, T0 + 10, false, Some(later))
        .await
        .expect("enough time");
    assert_eq!(report.active_after.as_deref(), Some(WEST));
}

#[tokio::test]
async fn a_steady_pass_needs_no_write_reserve() {
    let watcher = initialised(Mode::Records);
    keep_endpoints_reporting(&watcher, T0 + 10);
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(500);
    let report = watcher
        .reconcile_before(&Request::Automatic, T0 + 10, false, Some(deadline))
        .await
        .expect("nothing to write, nothing to reserve");
    assert_eq!(report.active_after.as_deref(), Some(EAST));
}

/// A scheduled tick, as the Lambda runs it: in gate mode only the duty watcher acts.
async fn duty_tick(watcher: &MemoryWatcher, now: u64) -> regionflip_watcher::PassReport {
    keep_endpoints_reporting(watcher, now);
    watcher
        .reconcile(&Request::Tick, now, false)
        .await
        .expect("pass succeeds")
}

/// The watchers of both regions in gate mode, on one shared (in-memory) AWS.
fn watchers_in_both_regions() -> (MemoryWatcher, MemoryWatcher) {
    let east = initialised(Mode::HealthGate);
    let mut west = sharing_aws(
        &east,
        regionflip_local_aws::journal::MemoryJournal::default(),
    );
    west.settings_mut().runs_in = Some(WEST.into());
    west.settings_mut().metrics_region = WEST.into();
    let mut east = east;
    east.settings_mut().runs_in = Some(EAST.into());
    (east, west)
}

#[tokio::test]
async fn on_ticks_in_gate_mode_only_the_duty_region_s_watcher_records_a_transition() {
    let (east, west) = watchers_in_both_regions();
    east.cloudwatch()
        .set_alarm(EAST, EAST_ALARM, AlarmState::Alarm, T0);
    // Both watchers tick at the same moment; us-east-1 is failing, so us-west-2 is on
    // duty, whichever runs first.
    let from_east = duty_tick(&east, T0 + 10).await;
    assert!(from_east.transition.is_none(), "{:?}", from_east.reasons);
    assert!(
        from_east
            .reasons
            .iter()
            .any(|r| r.contains("the watcher in us-west-2 carries out"))
    );
    let from_west = duty_tick(&west, T0 + 10).await;
    assert_eq!(from_west.active_after.as_deref(), Some(WEST));
    duty_tick(&east, T0 + 20).await;
    assert_eq!(
        (
            east.journal().records().len(),
            west.journal().records().len()
        ),
        (0, 1)
    );

    // Recovery: us-east-1 is the most preferred region not failing, so its watcher fails
    // back, and us-west-2's leaves it alone.
    east.cloudwatch()
        .set_alarm(EAST, EAST_ALARM, AlarmState::Ok, T0 + 30);
    let later = T0 + 30 + 300;
    let west_pass = duty_tick(&west, later).await;
    assert!(west_pass.transition.is_none(), "{:?}", west_pass.reasons);
    let east_pass = duty_tick(&east, later).await;
    assert_eq!(
        east_pass.active_after.as_deref(),
        Some(EAST),
        "{:?}",
        east_pass.reasons
    );
    assert_eq!(
        (
            east.journal().records().len(),
            west.journal().records().len()
        ),
        (1, 1)
    );
    assert_eq!(stored_state(&east).sequence, 3);
}

#[tokio::test]
async fn a_watcher_off_duty_keeps_the_gates_of_the_current_routing() {
    let (east, _west) = watchers_in_both_regions();
    east.cloudwatch()
        .set_alarm(EAST, EAST_ALARM, AlarmState::Alarm, T0);
    duty_tick(&east, T0 + 10).await;
    // Routing has not moved (the duty watcher has not run yet): home's gate stays open.
    assert_eq!(last_gate(&east, EAST), 1.0);
    assert!(!has_gate_data(&east, WEST), "the standby has no gate");
}

#[tokio::test]
async fn an_alarm_event_is_acted_on_by_the_watcher_it_reaches_even_off_duty() {
    // EventBridge delivers us-east-1's alarm only to us-east-1's watcher; waiting for the
    // duty watcher's tick would delay a gray-failure failover by up to a minute.
    let (east, west) = watchers_in_both_regions();
    east.cloudwatch()
        .set_alarm(EAST, EAST_ALARM, AlarmState::Alarm, T0);
    let report = tick(&east, T0 + 10).await;
    assert_eq!(
        report.active_after.as_deref(),
        Some(WEST),
        "{:?}",
        report.reasons
    );
    // The duty watcher's next tick finds the work done.
    let later = duty_tick(&west, T0 + 60).await;
    assert!(later.transition.is_none());
    assert_eq!(
        (
            east.journal().records().len(),
            west.journal().records().len()
        ),
        (1, 0)
    );
}

#[tokio::test]
async fn a_stale_or_missing_state_copy_is_rewritten_by_the_next_steady_pass() {
    let watcher = initialised(Mode::HealthGate);
    let name = watcher.config().state_alarm_name();
    // us-west-2 missed the last write (an older state) ...
    let older = EngineState::initial(EAST);
    watcher
        .cloudwatch()
        .set_description(WEST, &name, &older.encode());
    let report = tick(&watcher, T0 + 10).await;
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let copy = |region| {
        EngineState::decode(
            &watcher
                .cloudwatch()
                .alarm_description(region, &name)
                .expect("copy"),
        )
        .expect("valid copy")
    };
    assert_eq!((copy(EAST).sequence, copy(WEST).sequence), (1, 1));
    // ... and once repaired, steady passes write nothing more.
    let writes = watcher.cloudwatch().calls().put_metric_alarm;
    tick(&watcher, T0 + 70).await;
    assert_eq!(watcher.cloudwatch().calls().put_metric_alarm, writes);
}

/// Regression (issue 13 #3, gate mode): a newer regionflip (a rolling deploy) wrote a
/// `regionflip/v2` state, paused, into one region's copy; the other region still held the
/// older v1 copy. The pass used to take the valid v1 copy as the state, fail over despite
/// the pause (closing home's gate) and overwrite the v2 copy with v1. Now a copy that does
/// not parse and is not known older stops automation: no gate, no state write, nothing
/// downgraded — until an operator command replaces the state, above every sequence seen.
#[tokio::test]
async fn a_newer_version_s_paused_state_copy_is_never_downgraded_nor_ignored() {
    let watcher = initialised(Mode::HealthGate);
    tick(&watcher, T0).await;
    let name = watcher.config().state_alarm_name();
    let v2 = "regionflip/v2 seq=2 active=us-east-1 at=- away=- paused=1 hold=0 flips=- by=v2";
    watcher.cloudwatch().set_description(WEST, &name, v2);
    watcher
        .cloudwatch()
        .set_alarm(EAST, EAST_ALARM, AlarmState::Alarm, T0 + 30);
    let writes = watcher.cloudwatch().calls().put_metric_alarm;
    let report = tick(&watcher, T0 + 60).await;
    assert!(report.transition.is_none(), "{:?}", report.reasons);
    assert!(
        report
            .reasons
            .iter()
            .any(|r| r.contains("only an operator command")),
        "{:?}",
        report.reasons
    );
    assert_eq!(last_gate(&watcher, EAST), 1.0, "home's gate stays open");
    assert_eq!(watcher.cloudwatch().calls().put_metric_alarm, writes);
    assert_eq!(
        watcher
            .cloudwatch()
            .alarm_description(WEST, &name)
            .as_deref(),
        Some(v2)
    );

    // An operator's pause replaces it in every region, above every sequence seen.
    let paused = watcher
        .reconcile(&Request::Command(Command::Pause), T0 + 120, false)
        .await
        .expect("pause acts");
    assert!(paused.reasons.iter().any(|r| r.contains("replaces")));
    for region in [EAST, WEST] {
        let copy = state_copy(watcher.config(), watcher.cloudwatch(), region);
        assert!(copy.paused && copy.sequence >= T0, "{region}: {copy}");
    }
    let report = tick(&watcher, T0 + 180).await;
    assert!(
        report.reasons.iter().any(|r| r.contains("paused")),
        "{:?}",
        report.reasons
    );
}

/// Another name of the application, `<label>.<domain>` in `zone`, pointing at
/// `<label>.<region>.example.net` in each region, added to `config` with its pair as
/// init leaves it (PRIMARY home, SECONDARY the standby) in `model`.
fn add_name(
    config: &mut regionflip_core::Config,
    model: &MemoryRoute53,
    zone: &str,
    label: &str,
    domain: &str,
) -> regionflip_core::RecordConfig {
    use regionflip_core::records::failover_record_of;
    use regionflip_core::{FailoverRole, RecordConfig, RecordTarget};
    let record = RecordConfig {
        hosted_zone_id: zone.into(),
        name: format!("{label}.{domain}."),
        record_type: config.record_type,
        ttl: config.ttl,
        targets: config
            .regions
            .iter()
            .map(|r| RecordTarget {
                region: r.name.clone(),
                target: format!("{label}.{}.example.net.", r.name),
                alias_hosted_zone_id: None,
            })
            .collect(),
    };
    model.add_zone(zone);
    for (region, role) in [(0, FailoverRole::Primary), (1, FailoverRole::Secondary)] {
        model.put_record(
            zone,
            failover_record_of(&record, &config.regions[region], role),
        );
    }
    config.other_records.push(record.clone());
    record
}

/// Refuses every listing of one hosted zone (where another record of the application
/// lives).
struct RefuseListingIn(String);

impl Hook for RefuseListingIn {
    async fn before(&self, call: &Call<'_>) -> Before {
        match call {
            Call::ListRecords { zone, .. } if *zone == self.0 => {
                Before::Fail(AwsError::Throttled("Rate exceeded".into()).into())
            }
            _ => Before::Proceed,
        }
    }
}

/// An application of two names in records mode whose second name, in a zone of its own,
/// cannot be read (Route 53 throttles that listing, as it does at its 5 requests/s):
/// home's alarm fires, but with one name's routing unknown nothing moves — moving the
/// names the pass could read would split the application — and the state, which was
/// read, is not lost or rewritten. The next pass, with the listing answered, moves both.
#[tokio::test]
async fn one_name_unreadable_moves_no_name_and_keeps_the_state() {
    use regionflip_core::FailoverRole;
    let base = initialised(Mode::Records);
    let mut config = base.config().clone();
    let other_zone = "Z8888888888888888888";
    let model = base.route53().inner().clone();
    let other = add_name(&mut config, &model, other_zone, "auth", "example.org");
    base.cloudwatch()
        .set_alarm(EAST, EAST_ALARM, AlarmState::Alarm, T0);
    keep_endpoints_reporting(&base, T0 + 10);
    let refusing = Watcher::new(
        config.clone(),
        Hooked::new(model.clone(), RefuseListingIn(other_zone.into())),
        base.cloudwatch().clone(),
        regionflip_local_aws::journal::MemoryJournal::default(),
        base.settings().clone(),
    );
    let report = refusing
        .reconcile(&Request::Automatic, T0 + 10, false)
        .await
        .expect("a pass that moves nothing still succeeds");
    assert!(report.transition.is_none(), "{:?}", report.reasons);
    assert!(
        report.reasons.iter().any(|r| r.contains(other_zone)),
        "the pass says which zone it could not read: {:?}",
        report.reasons
    );
    assert_eq!(
        stored_state(&base).sequence,
        1,
        "the state is neither lost nor rewritten"
    );
    assert_eq!(primary_region(&base), EAST);

    let answered = Watcher::new(
        config,
        model.clone(),
        base.cloudwatch().clone(),
        regionflip_local_aws::journal::MemoryJournal::default(),
        base.settings().clone(),
    );
    let report = answered
        .reconcile(&Request::Automatic, T0 + 11, false)
        .await
        .expect("pass");
    assert!(report.transition.is_some(), "{:?}", report.reasons);
    let auth_primary = model
        .records(other_zone)
        .into_iter()
        .find(|r| r.name == other.name && r.failover == Some(FailoverRole::Primary))
        .expect("auth's PRIMARY");
    assert_eq!(
        auth_primary.values,
        vec![format!("auth.{WEST}.example.net.")]
    );
}

/// Refuses every change batch to one hosted zone (its Route 53 answers 5xx).
struct RefuseChangesIn(String);

impl Hook for RefuseChangesIn {
    async fn before(&self, call: &Call<'_>) -> Before {
        match call {
            Call::ChangeRecords { zone, .. } if *zone == self.0 => Before::Fail(
                AwsError::Service {
                    code: "ServiceUnavailable".into(),
                    message: "injected".into(),
                }
                .into(),
            ),
            _ => Before::Proceed,
        }
    }
}

/// records mode with a name in another hosted zone: a failover writes the application's
/// zone first (the compare-and-swap on the state with its names), then one batch for the
/// other zone. When that second batch fails, the pass still moved the application (the
/// state says so) and warns which names did not follow; the next pass finds them drifted
/// from the state and moves them — nothing is left behind, nothing is recorded twice.
#[tokio::test]
async fn a_name_in_another_zone_follows_in_its_own_batch_and_a_failed_one_is_repaired_next_pass() {
    use regionflip_core::FailoverRole;
    let base = initialised(Mode::Records);
    let mut config = base.config().clone();
    let other_zone = "Z9999999999999999999".to_string();
    let model = base.route53().inner().clone();
    add_name(&mut config, &model, &other_zone, "auth", "example.org");
    let auth_primary = || {
        model
            .records(&other_zone)
            .into_iter()
            .find(|r| r.failover == Some(FailoverRole::Primary))
            .expect("auth's PRIMARY")
            .values
    };
    base.cloudwatch()
        .set_alarm(EAST, EAST_ALARM, AlarmState::Alarm, T0);
    keep_endpoints_reporting(&base, T0 + 10);
    let with = |hook: RefuseChangesIn| {
        Watcher::new(
            config.clone(),
            Hooked::new(model.clone(), hook),
            base.cloudwatch().clone(),
            regionflip_local_aws::journal::MemoryJournal::default(),
            base.settings().clone(),
        )
    };
    let failing = with(RefuseChangesIn(other_zone.clone()));
    let report = failing
        .reconcile(&Request::Automatic, T0 + 10, false)
        .await
        .expect("the state's batch went through");
    assert!(report.transition.is_some(), "{:?}", report.reasons);
    assert_eq!(
        primary_region(&base),
        WEST,
        "the application's own name moved"
    );
    assert_eq!(
        auth_primary(),
        vec![format!("auth.{EAST}.example.net.")],
        "auth did not"
    );
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains(&other_zone) && w.contains("auth.example.org")),
        "{:?}",
        report.warnings
    );

    let healthy = with(RefuseChangesIn("no zone".into()));
    let report = healthy
        .reconcile(&Request::Automatic, T0 + 11, false)
        .await
        .expect("pass");
    assert!(
        report.transition.is_none(),
        "no second transition: {:?}",
        report.reasons
    );
    assert!(
        report
            .reasons
            .iter()
            .any(|r| r.contains("PRIMARY of auth.example.org")),
        "the drift is named: {:?}",
        report.reasons
    );
    assert_eq!(
        auth_primary(),
        vec![format!("auth.{WEST}.example.net.")],
        "repaired"
    );
    assert_eq!(stored_state(&base).active, WEST);
}

/// 160 names beside the application's own in one zone — 323 record sets, more than one
/// page of 300 — with 400 unrelated records among them: a steady pass reads the zone in
/// pages from the first name to the last (record sets repeated at a page boundary are
/// kept once), and a failover moves every name in one change batch.
#[tokio::test]
async fn many_names_are_read_in_pages_and_moved_in_one_batch() {
    use regionflip_core::FailoverRole;
    use regionflip_local_aws::hooks::Counting;
    let base = initialised(Mode::Records);
    let mut config = base.config().clone();
    let model = base.route53().inner().clone();
    let zone = config.hosted_zone_id.clone();
    for n in 0..160 {
        add_name(
            &mut config,
            &model,
            &zone,
            &format!("n{n:03}"),
            "regionflip-demo.example",
        );
    }
    // Someone else's records, sorted among regionflip's.
    for n in 0..400 {
        let mut unrelated = regionflip_local_aws::fixtures::legacy_cname(&config);
        unrelated.name = format!("n{:03}x.regionflip-demo.example.", n % 160);
        unrelated.set_identifier = Some(format!("other-{n}"));
        unrelated.failover = None;
        model.put_record(&zone, unrelated);
    }
    let watcher = Watcher::new(
        config.clone(),
        Counting::counting(model.clone()),
        base.cloudwatch().clone(),
        regionflip_local_aws::journal::MemoryJournal::default(),
        base.settings().clone(),
    );
    keep_endpoints_reporting(&base, T0 + 10);
    let report = watcher
        .reconcile(&Request::Automatic, T0 + 10, false)
        .await
        .expect("steady pass");
    assert!(report.transition.is_none(), "{:?}", report.reasons);
    assert!(
        report.decision.pair_drift().is_empty(),
        "every name read: {:?}",
        report.reasons
    );
    let pages = watcher.route53().calls().list_records;
    assert!(
        (2..=4).contains(&pages),
        "723 record sets in pages of 300: {pages} pages"
    );

    base.cloudwatch()
        .set_alarm(EAST, EAST_ALARM, AlarmState::Alarm, T0 + 11);
    keep_endpoints_reporting(&base, T0 + 12);
    let before = watcher.route53().calls().change_records;
    let report = watcher
        .reconcile(&Request::Automatic, T0 + 12, false)
        .await
        .expect("failover");
    assert!(report.transition.is_some(), "{:?}", report.reasons);
    assert_eq!(
        watcher.route53().calls().change_records - before,
        1,
        "one batch"
    );
    let on_west = model
        .records(&zone)
        .iter()
        .filter(|r| r.failover == Some(FailoverRole::Primary))
        .filter(|r| r.values.first().is_some_and(|v| v.contains(WEST)))
        .count();
    assert_eq!(on_west, 161, "every name's PRIMARY is on {WEST}");
}

/// The last `InService` value the watcher published for `region`.
fn in_service_metric(watcher: &MemoryWatcher, region: &str) -> Option<f64> {
    watcher
        .cloudwatch()
        .values_of(EAST, "InService")
        .iter()
        .rfind(|d| {
            d.dimensions
                .iter()
                .any(|(k, v)| k == "Region" && v == region)
        })
        .map(|d| d.value)
}

#[tokio::test]
async fn active_active_evacuates_by_closing_a_gate_and_keeps_the_last_region_in_service() {
    let watcher = initialised_active_active();
    tick(&watcher, T0).await;
    // Every region has a gate, each hosted in its own region (its CloudWatch outage
    // counts against itself only).
    assert_eq!(watcher.config().gate_host_region(WEST), WEST);
    assert_eq!(
        (last_gate(&watcher, EAST), last_gate(&watcher, WEST)),
        (1.0, 1.0)
    );
    assert_eq!(in_service_metric(&watcher, EAST), Some(1.0));

    // Home's request alarm (a gray failure): home leaves service, the other stays.
    watcher
        .cloudwatch()
        .set_alarm(EAST, EAST_ALARM, AlarmState::Alarm, T0 + 30);
    let report = tick(&watcher, T0 + 60).await;
    assert_eq!(
        (last_gate(&watcher, EAST), last_gate(&watcher, WEST)),
        (0.0, 1.0)
    );
    assert_eq!(
        report.active_after.as_deref(),
        Some(WEST),
        "{:?}",
        report.reasons
    );
    let records = watcher.journal().records();
    assert_eq!(records.len(), 1);
    let service = records[0].event.service.clone().expect("a service change");
    assert_eq!((service.region.as_str(), service.in_service), (EAST, false));
    assert_eq!(service.regions_in_service, vec![WEST.to_string()]);
    assert_eq!(metric_values(&watcher, "Evacuation"), vec![1.0]);
    assert_eq!(in_service_metric(&watcher, EAST), Some(0.0));
    assert_eq!(in_service_metric(&watcher, WEST), Some(1.0));
    assert!(!stored_state(&watcher).in_service(EAST));

    // The other region's alarm too: it is the last in service and stays in.
    watcher
        .cloudwatch()
        .set_alarm(WEST, WEST_ALARM, AlarmState::Alarm, T0 + 90);
    let report = tick(&watcher, T0 + 120).await;
    assert_eq!(
        last_gate(&watcher, WEST),
        1.0,
        "the last region's gate stays open"
    );
    assert!(
        report.reasons.iter().any(|r| r.contains("last in service")),
        "{:?}",
        report.reasons
    );
    assert_eq!(watcher.journal().records().len(), 1, "nothing moved");
    assert_eq!(
        metric_values(&watcher, "NoHealthyTarget"),
        vec![1.0],
        "every region left is failing: the no-healthy-target page"
    );
    assert_eq!(watcher.route53().calls().route53(), 0, "data plane only");
}

/// Active-active readiness judges every region in service, not only the most preferred:
/// with home's request alarm out of data (in a region that serves, unknown: AWS leaves an
/// alarm in INSUFFICIENT_DATA when its metric stops arriving) and the other region
/// healthy, the other could not be evacuated if it failed — no region left in service is
/// known healthy (rule S1b) — so `FailoverTargetReady` is 0 although a region other than
/// the active one is healthy. Home's data back: 1 again.
#[tokio::test]
async fn active_active_readiness_needs_somewhere_to_go_for_every_region_in_service() {
    let watcher = initialised_active_active();
    tick(&watcher, T0).await;
    watcher
        .cloudwatch()
        .set_alarm(EAST, EAST_ALARM, AlarmState::InsufficientData, T0 + 30);
    let report = tick(&watcher, T0 + 60).await;
    assert_eq!(
        report.active_after.as_deref(),
        Some(EAST),
        "unknown never evacuates: {:?}",
        report.reasons
    );
    watcher
        .cloudwatch()
        .set_alarm(EAST, EAST_ALARM, AlarmState::Ok, T0 + 90);
    tick(&watcher, T0 + 120).await;
    assert_eq!(
        metric_values(&watcher, "FailoverTargetReady"),
        vec![1.0, 0.0, 1.0]
    );
}
