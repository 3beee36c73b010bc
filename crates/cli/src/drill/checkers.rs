//! Simulated Route 53 health checkers: the part of Route 53's data plane that moto lacks.
//!
//! Every endpoint check the drill finds in the emulator gets its own fleet of checkers
//! (eight by default, named after Route 53's checker regions). Each checker probes the
//! check's endpoint over real HTTP with [`regionflip_probe::probe`], the same function as
//! `regionflip probe`, at the drill's compressed interval and at its own phase, so the
//! endpoint sees uncoordinated requests as it would from Route 53. Route 53's rules
//! decide the verdicts:
//!
//! * one checker changes its verdict after `failure_threshold` consecutive results that
//!   disagree with it (failures to turn unhealthy, successes to turn healthy back);
//! * the check is healthy while **more than 18 %** of its checkers say healthy;
//! * a new check is healthy until results arrive.
//!
//! The check's verdicts over time are what the watcher reads as
//! `AWS/Route53 HealthCheckStatus` (see `cloudwatch.rs`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use regionflip_watcher::ports::HealthSample;
use tokio::task::JoinSet;
use tokio::time::MissedTickBehavior;

use super::timeline::{Timeline, unix_now_f64};
use regionflip_probe::{ProbeLimits, ProbeTarget, ProbeVerdict, probe};

/// Route 53's checker regions (field facts); more checkers than these get numbers.
const CHECKER_REGIONS: [&str; 8] = [
    "us-east-1",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "sa-east-1",
];

/// Route 53 counts an endpoint healthy when more than this share of checkers do.
pub(crate) const HEALTHY_SHARE_PERCENT: usize = 18;

/// An endpoint check to simulate.
#[derive(Debug, Clone)]
pub(crate) struct EndpointSpec {
    /// The Route 53 health check id.
    pub(crate) id: String,
    /// The region whose endpoint it probes (for the story).
    pub(crate) region: String,
    /// What its checkers probe.
    pub(crate) target: ProbeTarget,
}

/// One endpoint check and its checkers' verdicts.
#[derive(Debug)]
struct EndpointCheck {
    spec: EndpointSpec,
    state: Mutex<CheckState>,
}

#[derive(Debug)]
struct CheckState {
    checkers: Vec<Checker>,
    healthy: bool,
    /// Every change of the check's verdict, Unix seconds; starts healthy.
    history: Vec<(f64, bool)>,
}

#[derive(Debug, Clone)]
struct Checker {
    healthy: bool,
    /// Consecutive results that disagree with `healthy`.
    disagreeing: u32,
    last: Option<ProbeVerdict>,
}

/// Every simulated endpoint check.
#[derive(Debug)]
pub(crate) struct Fleet {
    checks: Vec<EndpointCheck>,
    per_check: usize,
    interval: Duration,
    threshold: u32,
    timeline: Arc<Timeline>,
}

impl Fleet {
    /// Checks, each with `per_check` checkers that are all healthy until they probe.
    pub(crate) fn new(
        specs: Vec<EndpointSpec>,
        per_check: u32,
        interval: Duration,
        threshold: u32,
        timeline: Arc<Timeline>,
    ) -> Arc<Fleet> {
        let per_check = per_check as usize;
        let started = unix_now_f64();
        let checks = specs
            .into_iter()
            .map(|spec| {
                timeline.lane(&lane_name(&spec.region), "healthy");
                EndpointCheck {
                    spec,
                    state: Mutex::new(CheckState {
                        checkers: vec![
                            Checker {
                                healthy: true,
                                disagreeing: 0,
                                last: None,
                            };
                            per_check
                        ],
                        healthy: true,
                        history: vec![(started, true)],
                    }),
                }
            })
            .collect();
        Arc::new(Fleet {
            checks,
            per_check,
            interval,
            threshold,
            timeline,
        })
    }

    /// Starts every checker of every check.
    pub(crate) fn spawn(self: &Arc<Self>, tasks: &mut JoinSet<()>) {
        for check in 0..self.checks.len() {
            for checker in 0..self.per_check {
                let fleet = Arc::clone(self);
                tasks.spawn(async move { fleet.run_checker(check, checker).await });
            }
        }
    }

    /// The checks, as specified.
    pub(crate) fn specs(&self) -> impl Iterator<Item = &EndpointSpec> {
        self.checks.iter().map(|c| &c.spec)
    }

    /// The verdict on check `id` now, if the fleet simulates it.
    pub(crate) fn healthy(&self, id: &str) -> Option<bool> {
        self.check(id).map(|c| lock(&c.state).healthy)
    }

    /// `HealthCheckStatus` for `ids` between `start` and `end` (Unix seconds): one
    /// datapoint per second, the Minimum over that second as CloudWatch would compute
    /// it per minute. Checks the fleet does not simulate are absent, as checks without
    /// datapoints are in CloudWatch.
    pub(crate) fn health_check_status(
        &self,
        ids: &[String],
        start: u64,
        end: u64,
    ) -> BTreeMap<String, Vec<HealthSample>> {
        ids.iter()
            .filter_map(|id| {
                let check = self.check(id)?;
                let samples = per_second(&lock(&check.state).history, start, end);
                (!samples.is_empty()).then(|| (id.clone(), samples))
            })
            .collect()
    }

    fn check(&self, id: &str) -> Option<&EndpointCheck> {
        self.checks.iter().find(|c| c.spec.id == id)
    }

    async fn run_checker(&self, check: usize, checker: usize) {
        let check = &self.checks[check];
        // Checkers are not coordinated: each starts at its own point of the interval.
        let phase = self
            .interval
            .mul_f64(checker as f64 / self.per_check as f64);
        let mut ticks =
            tokio::time::interval_at(tokio::time::Instant::now() + phase, self.interval);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let verdict = probe(&check.spec.target, ProbeLimits::ROUTE53).await;
            self.report(check, checker, verdict);
        }
    }

    /// Applies one probe's result: the checker's threshold, then the 18 % rule.
    fn report(&self, check: &EndpointCheck, checker: usize, verdict: ProbeVerdict) {
        let mut state = lock(&check.state);
        let one = &mut state.checkers[checker];
        if verdict.healthy == one.healthy {
            one.disagreeing = 0;
        } else {
            one.disagreeing += 1;
            if one.disagreeing >= self.threshold {
                one.healthy = verdict.healthy;
                one.disagreeing = 0;
            }
        }
        one.last = Some(verdict);
        let healthy_checkers = state.checkers.iter().filter(|c| c.healthy).count();
        let healthy = healthy_checkers * 100 > HEALTHY_SHARE_PERCENT * self.per_check;
        if healthy == state.healthy {
            return;
        }
        state.healthy = healthy;
        state.history.push((unix_now_f64(), healthy));
        let example = state
            .checkers
            .iter()
            .enumerate()
            .find(|(_, c)| c.healthy == healthy)
            .and_then(|(i, c)| c.last.as_ref().map(|v| (i, v.clone())));
        drop(state);
        let mut text = format!(
            "{} endpoint check {}: {healthy_checkers} of {} checkers say healthy (healthy above {HEALTHY_SHARE_PERCENT} %)",
            check.spec.region,
            if healthy { "healthy" } else { "UNHEALTHY" },
            self.per_check
        );
        if let Some((i, verdict)) = example {
            text.push_str(&format!(
                "; e.g. the checker in {}: {}",
                checker_name(i),
                verdict.reason
            ));
        }
        self.timeline.lane(
            &lane_name(&check.spec.region),
            if healthy { "healthy" } else { "unhealthy" },
        );
        self.timeline.event("check", text);
    }
}

/// The lane of a region's endpoint check.
pub(crate) fn lane_name(region: &str) -> String {
    format!("{region} endpoint check")
}

fn checker_name(index: usize) -> String {
    CHECKER_REGIONS.get(index).map_or_else(
        || format!("checker region {}", index + 1),
        |r| (*r).to_string(),
    )
}

/// One sample per second of `[start, end]` from a history of changes: 0 if the check was
/// unhealthy at any moment of that second (Minimum), else 1. Seconds before the history
/// begins have no datapoint.
fn per_second(history: &[(f64, bool)], start: u64, end: u64) -> Vec<HealthSample> {
    let Some(&(first_at, _)) = history.first() else {
        return Vec::new();
    };
    let from = start.max(first_at.floor() as u64);
    (from..=end)
        .map(|second| {
            let (low, high) = (second as f64, second as f64 + 1.0);
            let at_start = history
                .iter()
                .rev()
                .find(|(t, _)| *t <= low)
                .is_none_or(|(_, healthy)| *healthy);
            let fails_within = history
                .iter()
                .any(|(t, healthy)| *t > low && *t < high && !healthy);
            HealthSample {
                at: second,
                value: if at_start && !fails_within { 1.0 } else { 0.0 },
            }
        })
        .collect()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_with_any_unhealthy_moment_is_unhealthy() {
        let history = [(100.2, true), (103.5, false), (105.9, true)];
        let values: Vec<(u64, f64)> = per_second(&history, 90, 107)
            .iter()
            .map(|s| (s.at, s.value))
            .collect();
        assert_eq!(
            values,
            vec![
                (100, 1.0),
                (101, 1.0),
                (102, 1.0),
                (103, 0.0),
                (104, 0.0),
                (105, 0.0),
                (106, 1.0),
                (107, 1.0)
            ]
        );
    }
}
