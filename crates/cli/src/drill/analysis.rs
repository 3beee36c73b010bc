//! What the drill concludes from what it recorded: the measurements (durations from
//! each fault, counts) and the expectations, each with whether it held and what was seen.
//!
//! Pure: no I/O and no clock. Everything is computed from the timeline's [`Record`], the
//! journal's records and the metrics read back, so it can be tested on a hand-made
//! record. Every expectation is checked against what was recorded, never against what
//! the drill meant to do, so a failover that did not happen, a DNS answer that stayed on
//! a failing region, or a flip too many shows up as a failed expectation (exit code 4).

use regionflip_watcher::journal::TransitionRecord;
use serde::Serialize;

use super::checkers::lane_name;
use super::dataplane::DNS_LANE;
use super::readback::MetricsReadBack;
use super::scenario::{METRICS_LANE, TRUTH_SUFFIX, truth_lane};
use super::timeline::Record;
use super::timings::Timings;

/// Durations, seconds from the fault (or its end), and counts.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Measurements {
    /// Outage → home's endpoint check unhealthy (detection).
    pub(crate) outage_detected: Option<f64>,
    /// Outage → DNS answers another region.
    pub(crate) outage_dns_moved: Option<f64>,
    /// Outage → the watcher's failover.
    pub(crate) outage_failover: Option<f64>,
    /// Endpoint back → its check healthy.
    pub(crate) restore_check_healthy: Option<f64>,
    /// Endpoint back → failback.
    pub(crate) restore_failback: Option<f64>,
    /// Check healthy → failback: the stable window as lived.
    pub(crate) restore_stable: Option<f64>,
    /// Gray failure → the watcher's failover.
    pub(crate) gray_failover: Option<f64>,
    /// Gray failure → DNS answers another region.
    pub(crate) gray_dns_moved: Option<f64>,
    /// What the watcher could read of `HealthCheckStatus` when it failed over on the
    /// gray failure: `impaired` (the drill's us-east-1 metrics outage) or `published`.
    pub(crate) gray_failover_health_status: Option<String>,
    /// Alarm OK → failback.
    pub(crate) recovery_failback: Option<f64>,
    /// Failbacks while the primary flapped.
    pub(crate) flapping_flips: usize,
    /// Failbacks damping and the stable window allowed while it flapped.
    pub(crate) flapping_flips_allowed: usize,
    /// Failovers away from the flapping primary (never damped).
    pub(crate) flapping_failovers: usize,
    /// Passes the engine damped.
    pub(crate) damped_passes: usize,
    /// Automatic failovers.
    pub(crate) failovers: usize,
    /// Automatic failbacks.
    pub(crate) failbacks: usize,
    /// Transition records in the journal.
    pub(crate) events_recorded: usize,
    /// Watcher passes.
    pub(crate) passes: u32,
    /// Watcher passes that failed.
    pub(crate) pass_errors: usize,
    /// Longest time DNS answered a failing region while a healthy one existed, outside
    /// the flapping phase.
    pub(crate) longest_bad_answer: f64,
}

/// One expectation.
#[derive(Debug, Serialize)]
pub(crate) struct Expectation {
    /// What was expected.
    pub(crate) name: String,
    /// Whether it held.
    pub(crate) passed: bool,
    /// What was seen.
    pub(crate) detail: String,
}

/// One phase of a scenario that follows DNS phase by phase (the chain, active/active):
/// DNS ends phase `phases[index]` answering `expected` and never gives an answer `wrong`
/// refuses during it (`wrong` says why, e.g. "while us-east-1 was failing"). Returns the
/// expectation and how long into the phase DNS first answered `expected`.
pub(crate) fn dns_phase(
    record: &Record,
    phases: &[&str],
    index: usize,
    expected: &str,
    wrong: impl Fn(&str) -> Option<String>,
) -> (Expectation, Option<f64>) {
    let name = format!("{}: DNS answers {expected}", phases[index]);
    let Some((start, answers)) = record.during_phase(super::dataplane::DNS_LANE, phases, index)
    else {
        let detail = "the phase did not run".into();
        return (
            Expectation {
                name,
                passed: false,
                detail,
            },
            None,
        );
    };
    let reached = answers
        .iter()
        .find(|(_, a)| *a == expected)
        .map(|(t, _)| ((t - start) * 10.0).round() / 10.0);
    let last = answers.last().map(|(_, a)| *a);
    let refused = answers
        .iter()
        .find_map(|(t, a)| wrong(a).map(|why| (t, a, why)));
    let detail = match (reached, &refused) {
        (_, Some((t, a, why))) => {
            format!("answered {a} at {:.1} s into the phase{why}", *t - start)
        }
        (Some(after), None) if index == 0 => {
            format!("answers {expected} from the start ({after:.1} s)")
        }
        (Some(after), None) => format!("after {after:.1} s"),
        (None, None) => format!("DNS answered {} instead", last.unwrap_or("nothing")),
    };
    let passed = last == Some(expected) && refused.is_none();
    (
        Expectation {
            name,
            passed,
            detail,
        },
        reached,
    )
}

/// That a return after an alarm turned OK (DNS following `after` seconds into the phase)
/// waited for the stable window.
pub(crate) fn waited_for_stable_window(
    name: String,
    after: f64,
    stable_for_secs: u64,
) -> Expectation {
    Expectation {
        name,
        passed: after >= stable_for_secs as f64,
        detail: format!(
            "{after:.1} s after the alarm turned OK (stable window {stable_for_secs} s)"
        ),
    }
}

/// That the journal holds exactly the moves `wanted`, in order.
pub(crate) fn journal_holds(name: String, moves: &[String], wanted: &[String]) -> Expectation {
    Expectation {
        name,
        passed: moves == wanted,
        detail: if moves.is_empty() {
            "no transition recorded".into()
        } else {
            moves.join(", ")
        },
    }
}

/// In the scenarios' analysis tests: whether the expectation whose name starts with
/// `name` held, among `verdicts` (name, passed).
#[cfg(test)]
pub(crate) fn passed(verdicts: &[(String, bool)], name: &str) -> bool {
    verdicts
        .iter()
        .find(|(n, _)| n.starts_with(name))
        .unwrap_or_else(|| panic!("no expectation {name}: {verdicts:?}"))
        .1
}

/// Measures and checks everything the drill expects.
pub(crate) fn analyse(
    record: &Record,
    timings: &Timings,
    home: &str,
    journal: &[TransitionRecord],
    metrics: &MetricsReadBack,
    end: f64,
) -> (Measurements, Vec<Expectation>) {
    let mut m = Measurements::default();
    let mut expectations = Vec::new();
    let mut expect = |name: String, passed: bool, detail: String| {
        expectations.push(Expectation {
            name,
            passed,
            detail,
        });
    };
    let budget = timings.detection_budget.as_secs_f64();
    // A DNS move the watcher makes goes through a gate in health-gate mode, whose check
    // lags behind its alarm (as Route 53's does behind the metric stream).
    let gated_budget = timings.gated_detection_budget.as_secs_f64();
    let stable = timings.stable_for_secs as f64;
    let start_of = |name: &str| record.phase(name).map(|p| p.start);
    let endpoint = record.lane(&lane_name(home));
    let dns = record.lane(DNS_LANE);
    let first_transition =
        |kind: &str, after: f64| record.transitions_after(kind, after).next().map(|t| t.t);
    let dns_left_home = |after: f64| {
        dns.and_then(|l| l.points.iter().find(|p| p.t >= after && p.value != home))
            .map(|p| p.t)
    };
    let since = |from: f64, to: Option<f64>| to.map(|t| round(t - from));

    if let (Some(baseline), Some(outage)) = (start_of("baseline"), start_of("outage")) {
        let moved = record.transitions.iter().any(|t| t.t < outage);
        let stayed = dns.is_some_and(|l| {
            l.at(baseline) == Some(home)
                && l.points
                    .iter()
                    .all(|p| p.t < baseline || p.t >= outage || p.value == home)
        });
        expect(
            format!("baseline: DNS answers {home} and nothing moves"),
            stayed && !moved,
            format!("DNS stayed on {home}: {stayed}; transitions: {moved}"),
        );
    }

    if let Some(outage) = start_of("outage") {
        m.outage_detected = since(outage, endpoint.and_then(|l| l.first("unhealthy", outage)));
        m.outage_dns_moved = since(outage, dns_left_home(outage));
        m.outage_failover = since(outage, first_transition("failover", outage));
        expect_within(
            &mut expect,
            "(a) outage: the endpoint check turns unhealthy",
            m.outage_detected,
            budget,
        );
        expect_within(
            &mut expect,
            &format!("(a) outage: DNS stops answering {home}"),
            m.outage_dns_moved,
            budget,
        );
        expect_within(
            &mut expect,
            "(a) outage: the watcher fails over",
            m.outage_failover,
            timings.phase_timeout.as_secs_f64(),
        );
    }
    if let Some(restore) = start_of("restore") {
        let healthy = endpoint.and_then(|l| l.first("healthy", restore));
        let failback = first_transition("failback", restore);
        m.restore_check_healthy = since(restore, healthy);
        m.restore_failback = since(restore, failback);
        m.restore_stable = healthy.and_then(|h| since(h, failback));
        expect_stable_failback(&mut expect, "(a) restore", m.restore_stable, stable);
    }
    if let Some(gray) = start_of("gray") {
        let failover_at = first_transition("failover", gray);
        m.gray_failover = since(gray, failover_at);
        m.gray_dns_moved = since(gray, dns_left_home(gray));
        m.gray_failover_health_status = failover_at.and_then(|t| {
            record
                .lane(METRICS_LANE)
                .and_then(|l| l.at(t))
                .map(str::to_string)
        });
        expect(
            "(b) gray failure: the failover needs no HealthCheckStatus (us-east-1 metrics impaired)".into(),
            m.gray_failover_health_status.as_deref() == Some("impaired"),
            format!(
                "HealthCheckStatus at the failover: {}",
                m.gray_failover_health_status.as_deref().unwrap_or("no failover")
            ),
        );
        expect_within(
            &mut expect,
            "(b) gray failure: the watcher fails over",
            m.gray_failover,
            budget,
        );
        expect_within(
            &mut expect,
            &format!("(b) gray failure: DNS stops answering {home}"),
            m.gray_dns_moved,
            gated_budget,
        );
    }
    if let Some(recovery) = start_of("recovery") {
        m.recovery_failback = since(recovery, first_transition("failback", recovery));
        expect_stable_failback(&mut expect, "(c) recovery", m.recovery_failback, stable);
    }

    let flips = record.transitions.len();
    m.failovers = record
        .transitions
        .iter()
        .filter(|t| t.kind == "failover")
        .count();
    m.failbacks = record
        .transitions
        .iter()
        .filter(|t| t.kind == "failback")
        .count();
    m.damped_passes = record.damped.len();
    let flapping = record
        .phase("flapping")
        .map(|p| (p.start, p.end.unwrap_or(end)));
    if let Some((from, to)) = flapping {
        let before = record.transitions.iter().filter(|t| t.t < from).count();
        let budget_left = (timings.max_flips_per_hour as usize).saturating_sub(before);
        // While the alarm never stays OK for the stable window, no failback is possible:
        // at most the one failover.
        let by_stability = if timings.flap_every.as_secs_f64() < stable {
            1
        } else {
            usize::MAX
        };
        let during = |kind: &str| {
            record
                .transitions
                .iter()
                .filter(|t| t.kind == kind && t.t >= from && t.t < to)
                .count()
        };
        // Damping holds failbacks; a failover away from the failing primary is never
        // damped (it would keep traffic on a region known unhealthy).
        m.flapping_flips = during("failback");
        m.flapping_failovers = during("failover");
        m.flapping_flips_allowed = budget_left.min(by_stability);
        expect(
            format!(
                "(d) flapping: at most {} failback{} (damping and the stable window; a failover away from the failing primary is never damped)",
                m.flapping_flips_allowed,
                if m.flapping_flips_allowed == 1 {
                    ""
                } else {
                    "s"
                }
            ),
            m.flapping_flips <= m.flapping_flips_allowed,
            format!(
                "{} failbacks and {} failovers while flapping, {} passes damped",
                m.flapping_flips, m.flapping_failovers, m.damped_passes
            ),
        );
    }
    expect(
        format!(
            "never more than max_flips_per_hour ({}) automatic failbacks",
            timings.max_flips_per_hour
        ),
        m.failbacks <= timings.max_flips_per_hour as usize,
        format!("{} failbacks, {} failovers", m.failbacks, m.failovers),
    );

    m.longest_bad_answer = longest_bad_answer(record, flapping, end);
    expect(
        "DNS never answers a failing region for longer than the budget while a healthy one exists (outside flapping)"
            .into(),
        m.longest_bad_answer <= gated_budget,
        format!(
            "longest {:.1} s, budget {gated_budget:.1} s",
            m.longest_bad_answer
        ),
    );
    if let Some(settle) = record.phase("settle") {
        let final_answer = dns.and_then(|l| l.last()).unwrap_or("nothing");
        // Home, or the standby while damping holds the failback for the rest of the hour.
        let healthy_at_end = record
            .lane(&truth_lane(final_answer))
            .and_then(|l| l.last())
            == Some("healthy");
        expect(
            format!(
                "traffic ends on a healthy region ({home}, or the standby while damping holds the failback)"
            ),
            healthy_at_end && (final_answer == home || m.damped_passes > 0),
            format!(
                "DNS answers {final_answer} at the end (settle began at {:.1} s)",
                settle.start
            ),
        );
    }

    m.events_recorded = journal.len();
    let with_reasons = journal.iter().all(|j| !j.event.reasons.is_empty());
    expect(
        "every transition is recorded in the journal, with its reasons".into(),
        journal.len() == flips && flips > 0 && with_reasons,
        format!("{} journal records for {flips} transitions", journal.len()),
    );
    let read_back = (metrics.failover, metrics.failback);
    expect(
        "Failover and Failback metrics read back from the emulator match the transitions".into(),
        read_back == (Some(m.failovers as f64), Some(m.failbacks as f64)),
        match &metrics.error {
            Some(error) => error.clone(),
            None => format!(
                "Failover {} (expected {}), Failback {} (expected {})",
                show(metrics.failover),
                m.failovers,
                show(metrics.failback),
                m.failbacks
            ),
        },
    );
    m.passes = record.passes;
    m.pass_errors = record.pass_errors.len();
    expect(
        "every watcher pass succeeds".into(),
        m.pass_errors == 0 && m.passes > 0,
        format!("{} passes, {} failed", m.passes, m.pass_errors),
    );
    (m, expectations)
}

fn expect_within(
    expect: &mut impl FnMut(String, bool, String),
    name: &str,
    measured: Option<f64>,
    limit: f64,
) {
    expect(
        format!("{name} within {limit:.1} s"),
        measured.is_some_and(|s| s <= limit),
        match measured {
            Some(s) => format!("after {s:.1} s"),
            None => "never happened".into(),
        },
    );
}

fn expect_stable_failback(
    expect: &mut impl FnMut(String, bool, String),
    name: &str,
    measured: Option<f64>,
    stable: f64,
) {
    // The engine counts whole seconds: a window of N s can close up to 1 s early in
    // wall-clock time.
    expect(
        format!("{name}: failback happens, not before the {stable:.0} s stable window"),
        measured.is_some_and(|s| s >= stable - 1.0),
        match measured {
            Some(s) => format!("{s:.1} s after the region was healthy again"),
            None => "no failback".into(),
        },
    );
}

/// The longest stretch in which DNS answered a region the drill had broken while another
/// region was fine, outside `flapping` (where damping may hold traffic on purpose).
fn longest_bad_answer(record: &Record, flapping: Option<(f64, f64)>, end: f64) -> f64 {
    let Some(dns) = record.lane(DNS_LANE) else {
        return 0.0;
    };
    let truth_lanes: Vec<_> = record
        .lanes
        .iter()
        .filter(|l| l.name.ends_with(TRUTH_SUFFIX))
        .collect();
    let mut times: Vec<f64> = dns.points.iter().map(|p| p.t).collect();
    times.extend(
        truth_lanes
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.t)),
    );
    if let Some((from, to)) = flapping {
        times.extend([from, to]);
    }
    times.push(end);
    times.sort_by(f64::total_cmp);
    times.dedup();
    let healthy = |region: &str, t: f64| {
        record
            .lane(&truth_lane(region))
            .and_then(|l| l.at(t))
            .is_none_or(|v| v == "healthy")
    };
    let regions: Vec<String> = truth_lanes
        .iter()
        .map(|l| l.name.trim_end_matches(TRUTH_SUFFIX).to_string())
        .collect();
    let (mut longest, mut run) = (0.0_f64, 0.0_f64);
    for pair in times.windows(2) {
        let (t, next) = (pair[0], pair[1]);
        let excused = flapping.is_some_and(|(from, _)| t >= from);
        let bad = !excused
            && dns.at(t).is_some_and(|answer| {
                !healthy(answer, t) && regions.iter().any(|r| r != answer && healthy(r, t))
            });
        run = if bad { run + (next - t) } else { 0.0 };
        longest = longest.max(run);
    }
    round(longest)
}

/// A value that may be missing, as the expectations' details and the summary show it.
pub(crate) fn show(value: Option<f64>) -> String {
    value.map_or_else(|| "none".into(), |v| format!("{v}"))
}

fn round(secs: f64) -> f64 {
    (secs * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::timeline::{Lane, Phase, Point, Transition};
    use super::*;

    const HOME: &str = "us-east-1";
    const STANDBY: &str = "us-west-2";

    fn lane(name: &str, points: &[(f64, &str)]) -> Lane {
        Lane {
            name: name.to_string(),
            points: points
                .iter()
                .map(|&(t, value)| Point {
                    t,
                    value: value.to_string(),
                })
                .collect(),
        }
    }

    fn phase(name: &'static str, start: f64, end: Option<f64>) -> Phase {
        Phase {
            name,
            title: name.to_string(),
            start,
            end,
        }
    }

    /// What `expect` would have pushed: (name, passed, detail).
    fn expectations(check: impl FnOnce(&mut dyn FnMut(String, bool, String))) -> Vec<Expectation> {
        let mut found = Vec::new();
        check(&mut |name, passed, detail| {
            found.push(Expectation {
                name,
                passed,
                detail,
            });
        });
        found
    }

    fn timings() -> Timings {
        Timings {
            checkers: 8,
            checker_interval: Duration::from_millis(500),
            failure_threshold: 2,
            tick: Duration::from_secs(1),
            gate_period: Duration::from_secs(1),
            gate_check_lag: Duration::from_secs(3),
            stable_for_secs: 4,
            min_dwell_secs: 2,
            max_flips_per_hour: 4,
            baseline: Duration::from_secs(3),
            phase_timeout: Duration::from_secs(20),
            hold: Duration::from_secs(1),
            flap_for: Duration::from_secs(6),
            flap_every: Duration::from_secs(1),
            detection_budget: Duration::from_secs(5),
            gated_detection_budget: Duration::from_secs(8),
        }
    }

    #[test]
    fn expect_within_passes_at_the_limit_and_fails_beyond_it_or_when_nothing_happened() {
        let found = expectations(|mut expect| {
            expect_within(&mut expect, "moves", Some(5.0), 5.0);
            expect_within(&mut expect, "moves", Some(5.1), 5.0);
            expect_within(&mut expect, "moves", None, 5.0);
        });
        let seen: Vec<(&str, bool, &str)> = found
            .iter()
            .map(|e| (e.name.as_str(), e.passed, e.detail.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                ("moves within 5.0 s", true, "after 5.0 s"),
                ("moves within 5.0 s", false, "after 5.1 s"),
                ("moves within 5.0 s", false, "never happened"),
            ]
        );
    }

    #[test]
    fn a_stable_failback_may_close_a_second_early_but_not_more_and_must_happen() {
        let found = expectations(|mut expect| {
            expect_stable_failback(&mut expect, "(c) recovery", Some(9.0), 10.0);
            expect_stable_failback(&mut expect, "(c) recovery", Some(8.9), 10.0);
            expect_stable_failback(&mut expect, "(c) recovery", None, 10.0);
        });
        let verdicts: Vec<bool> = found.iter().map(|e| e.passed).collect();
        assert_eq!(verdicts, [true, false, false]);
        assert_eq!(
            found[0].name,
            "(c) recovery: failback happens, not before the 10 s stable window"
        );
        assert_eq!(found[0].detail, "9.0 s after the region was healthy again");
        assert_eq!(found[2].detail, "no failback");
    }

    #[test]
    fn longest_bad_answer_is_the_time_dns_stayed_on_a_broken_region_beside_a_healthy_one() {
        let record = Record {
            lanes: vec![
                lane(
                    &truth_lane(HOME),
                    &[(0.0, "healthy"), (10.0, "endpoint down")],
                ),
                lane(&truth_lane(STANDBY), &[(0.0, "healthy")]),
                lane(DNS_LANE, &[(0.0, HOME), (13.5, STANDBY)]),
            ],
            ..Record::default()
        };
        assert_eq!(longest_bad_answer(&record, None, 30.0), 3.5);
    }

    #[test]
    fn longest_bad_answer_excuses_flapping_and_needs_a_healthy_alternative() {
        let home_down = lane(
            &truth_lane(HOME),
            &[(0.0, "healthy"), (10.0, "endpoint down")],
        );
        let dns_stays = lane(DNS_LANE, &[(0.0, HOME)]);
        let flapping = Record {
            lanes: vec![
                home_down.clone(),
                lane(&truth_lane(STANDBY), &[(0.0, "healthy")]),
                dns_stays.clone(),
            ],
            ..Record::default()
        };
        // Damping may hold traffic on purpose from the flapping phase on.
        assert_eq!(longest_bad_answer(&flapping, Some((12.0, 20.0)), 20.0), 2.0);
        assert_eq!(longest_bad_answer(&flapping, None, 20.0), 10.0);
        // Both regions broken: staying is no bad answer.
        let both_down = Record {
            lanes: vec![
                home_down,
                lane(
                    &truth_lane(STANDBY),
                    &[(0.0, "healthy"), (5.0, "API failing")],
                ),
                dns_stays,
            ],
            ..Record::default()
        };
        assert_eq!(longest_bad_answer(&both_down, None, 20.0), 0.0);
        // No DNS answer recorded at all: nothing to measure.
        assert_eq!(longest_bad_answer(&Record::default(), None, 20.0), 0.0);
    }

    #[test]
    fn a_failover_that_never_happened_fails_its_expectations() {
        let record = Record {
            phases: vec![
                phase("baseline", 0.0, Some(5.0)),
                phase("outage", 5.0, Some(30.0)),
            ],
            lanes: vec![
                lane(
                    &truth_lane(HOME),
                    &[(0.0, "healthy"), (5.0, "endpoint down")],
                ),
                lane(&truth_lane(STANDBY), &[(0.0, "healthy")]),
                lane(&lane_name(HOME), &[(0.0, "healthy"), (6.5, "unhealthy")]),
                lane(DNS_LANE, &[(0.0, HOME)]),
            ],
            passes: 30,
            ..Record::default()
        };
        let metrics = MetricsReadBack {
            failover: Some(0.0),
            failback: Some(0.0),
            error: None,
        };
        let (m, expectations) = analyse(&record, &timings(), HOME, &[], &metrics, 30.0);
        assert_eq!(m.outage_detected, Some(1.5));
        assert_eq!((m.outage_failover, m.outage_dns_moved), (None, None));
        assert_eq!(m.longest_bad_answer, 25.0);
        let verdict = |prefix: &str| {
            let e = expectations
                .iter()
                .find(|e| e.name.starts_with(prefix))
                .unwrap_or_else(|| panic!("no expectation {prefix:?} in {expectations:#?}"));
            (e.passed, e.detail.as_str())
        };
        assert_eq!(
            verdict("baseline: DNS answers us-east-1"),
            (true, "DNS stayed on us-east-1: true; transitions: false")
        );
        assert_eq!(
            verdict("(a) outage: the endpoint check turns unhealthy"),
            (true, "after 1.5 s")
        );
        assert_eq!(
            verdict("(a) outage: the watcher fails over"),
            (false, "never happened")
        );
        assert_eq!(
            verdict("(a) outage: DNS stops answering us-east-1"),
            (false, "never happened")
        );
        assert!(!verdict("DNS never answers a failing region").0);
        assert_eq!(
            verdict("every transition is recorded in the journal"),
            (false, "0 journal records for 0 transitions")
        );
        assert!(verdict("Failover and Failback metrics").0);
        assert!(verdict("every watcher pass succeeds").0);
    }

    /// Models Route 53 in health-gate mode: an endpoint outage moves DNS through the
    /// endpoint check alone (no gate), a move the watcher decides goes through a gate
    /// whose CLOUDWATCH_METRIC check lags its alarm. Only the latter gets the lag.
    #[test]
    fn only_a_move_through_a_gate_is_allowed_the_gate_check_lag() {
        let t = timings();
        let (plain, gated) = (
            t.detection_budget.as_secs_f64(),
            t.gated_detection_budget.as_secs_f64(),
        );
        assert!(
            plain < 7.0 && 7.0 <= gated,
            "the case below sits between the budgets"
        );
        let record = Record {
            phases: vec![
                phase("outage", 0.0, Some(20.0)),
                phase("gray", 20.0, Some(40.0)),
            ],
            lanes: vec![
                lane(&lane_name(HOME), &[(0.0, "healthy"), (1.0, "unhealthy")]),
                lane(
                    DNS_LANE,
                    &[(0.0, HOME), (7.0, STANDBY), (15.0, HOME), (27.0, STANDBY)],
                ),
            ],
            passes: 10,
            ..Record::default()
        };
        let metrics = MetricsReadBack {
            failover: Some(0.0),
            failback: Some(0.0),
            error: None,
        };
        let (m, expectations) = analyse(&record, &t, HOME, &[], &metrics, 40.0);
        assert_eq!(
            (m.outage_dns_moved, m.gray_dns_moved),
            (Some(7.0), Some(7.0))
        );
        let passed = |prefix: &str| {
            expectations
                .iter()
                .find(|e| e.name.starts_with(prefix))
                .unwrap_or_else(|| panic!("no expectation {prefix:?}"))
                .passed
        };
        assert!(
            !passed("(a) outage: DNS stops answering"),
            "no gate on that path: no lag"
        );
        assert!(passed("(b) gray failure: DNS stops answering"));
    }

    #[test]
    fn transitions_count_by_kind_and_within_the_hour_s_budget() {
        let transition = |t: f64, kind: &'static str| Transition {
            t,
            kind,
            from: String::new(),
            to: String::new(),
            cause: "tick".into(),
            reasons: vec!["why".into()],
            sequence: 0,
        };
        let record = Record {
            transitions: ["failover", "failback", "failover", "failback", "failover"]
                .iter()
                .enumerate()
                .map(|(i, kind)| transition(i as f64, kind))
                .collect(),
            damped: vec![1.0, 2.0],
            passes: 10,
            ..Record::default()
        };
        let metrics = MetricsReadBack {
            failover: None,
            failback: None,
            error: Some("GetMetricStatistics Failover failed: no".into()),
        };
        let (m, expectations) = analyse(&record, &timings(), HOME, &[], &metrics, 10.0);
        assert_eq!((m.failovers, m.failbacks, m.damped_passes), (3, 2, 2));
        let by_name = |name: &str| {
            expectations
                .iter()
                .find(|e| e.name == name)
                .unwrap_or_else(|| panic!("no expectation {name:?} in {expectations:#?}"))
        };
        // Failovers away from a failing region are never damped: only failbacks count.
        let flips = by_name("never more than max_flips_per_hour (4) automatic failbacks");
        assert_eq!(
            (flips.passed, flips.detail.as_str()),
            (true, "2 failbacks, 3 failovers")
        );
        let too_many = Record {
            transitions: (0..5)
                .map(|i| transition(f64::from(i), "failback"))
                .collect(),
            ..Record::default()
        };
        let (_, expectations) = analyse(&too_many, &timings(), HOME, &[], &metrics, 10.0);
        let flips = expectations
            .iter()
            .find(|e| e.name == "never more than max_flips_per_hour (4) automatic failbacks")
            .expect("the failback budget is checked");
        assert_eq!(
            (flips.passed, flips.detail.as_str()),
            (false, "5 failbacks, 0 failovers")
        );
        let read_back = by_name(
            "Failover and Failback metrics read back from the emulator match the transitions",
        );
        assert_eq!(
            (read_back.passed, read_back.detail.as_str()),
            (false, "GetMetricStatistics Failover failed: no")
        );
    }
}
