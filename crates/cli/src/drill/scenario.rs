//! The exercise itself: faults injected in turn, each phase waiting (on the timeline, not
//! on a clock) for the outcome it expects or for its time limit.
//!
//! | phase      | what the drill does                               | what should follow      |
//! |------------|---------------------------------------------------|-------------------------|
//! | baseline   | `regionflip doctor`'s checks, once the first pass | every check passes; DNS |
//! |            | ran; then nothing                                 | answers home            |
//! | outage     | stops the home endpoint (or drains it)            | failover                |
//! | restore    | starts it again on the same port                  | failback, after the     |
//! |            |                                                   | stable window           |
//! | gray       | home's API alarm to ALARM; the endpoint is fine;  | failover, on the        |
//! |            | us-east-1's metrics impaired: `HealthCheckStatus` | standby's probe         |
//! |            | cannot be read                                    |                         |
//! | recovery   | the alarm back to OK; the metrics back            | failback, after the     |
//! |            |                                                   | stable window           |
//! | flapping   | the alarm toggles faster than the stable window   | damping holds the flips |
//! | settle     | the alarm stays OK                                | traffic ends at home    |
//!
//! The standby is passive from the start, as on AWS: its API alarm sits in
//! INSUFFICIENT_DATA (a request metric without traffic; moto starts alarms OK, so the
//! drill sets it). The truth the drill created (which region is really failing) is kept
//! as lanes, so the report can tell a slow failover from a correct one.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use aws_sdk_cloudwatch::types::StateValue;
use regionflip_watcher::aws::AwsClients;
use tokio::sync::mpsc;

use super::dataplane::DNS_LANE;
use super::endpoint::HealthEndpoint;
use super::passes::{DrillWatcher, WATCHER_LANE};
use super::setup::API_ALARM;
use super::timeline::{Record, Timeline};
use super::timings::Timings;
use crate::args::OutageKind;
use crate::error::CliError;

/// Ends the name of the lanes of what the drill did to each region.
pub(crate) const TRUTH_SUFFIX: &str = " injected";

/// The lane of what the drill did to a region: `healthy`, or the fault.
pub(crate) fn truth_lane(region: &str) -> String {
    format!("{region}{TRUTH_SUFFIX}")
}

/// The lane of a region's API alarm, as the drill set it.
pub(crate) fn alarm_lane(region: &str) -> String {
    format!("{region} alarm {API_ALARM}")
}

/// The lane of us-east-1's metrics as the drill served them: `published` or `impaired`.
pub(crate) const METRICS_LANE: &str = "us-east-1 HealthCheckStatus";

/// What the scenario works with.
pub(crate) struct Scenario<'a> {
    pub(crate) timeline: &'a Arc<Timeline>,
    pub(crate) timings: &'a Timings,
    pub(crate) clients: &'a AwsClients,
    pub(crate) home: &'a str,
    pub(crate) home_endpoint: &'a mut HealthEndpoint,
    pub(crate) outage: OutageKind,
    pub(crate) alarm_changes: mpsc::UnboundedSender<String>,
    /// While set, the watcher cannot read `HealthCheckStatus`.
    pub(crate) metrics_impaired: &'a Arc<AtomicBool>,
    /// The configuration `init` provisioned.
    pub(crate) config: &'a regionflip_core::Config,
    /// A watcher that only observes (for the doctor): the same reads as the drill's.
    pub(crate) observer: &'a DrillWatcher,
}

/// What `regionflip doctor` said once `init` and the first watcher pass had run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DoctorRun {
    /// No check failed.
    pub(crate) passed: bool,
    /// The checks that did not pass, or the counts.
    pub(crate) detail: String,
}

impl Scenario<'_> {
    /// The start every scenario shares: each configured region healthy, home's alarm OK
    /// and the others passive (INSUFFICIENT_DATA, as a request alarm without traffic);
    /// then, once the data plane and the watcher have reported, the doctor's verdict.
    pub(super) async fn start(&self) -> Result<DoctorRun, CliError> {
        for region in &self.config.regions {
            self.timeline.lane(&truth_lane(&region.name), "healthy");
        }
        self.timeline.lane(&alarm_lane(self.home), "OK");
        // With active-active routing every region serves traffic, so its request alarm
        // has data (OK); otherwise the regions after home are passive, as on AWS.
        if !self.config.routing.is_active_active() {
            for passive in &self.config.regions[1..] {
                self.set_alarm_of(&passive.name, StateValue::InsufficientData)
                    .await?;
            }
        }
        // The first DNS answer and the first pass come within a round of starting.
        let running = |r: &Record| r.lane(DNS_LANE).is_some() && r.lane(WATCHER_LANE).is_some();
        if !self
            .timeline
            .wait_until(self.timings.phase_timeout, running)
            .await
        {
            return Err(CliError::Failed(
                "the simulated data plane or the watcher never reported; see the errors above"
                    .into(),
            ));
        }
        Ok(self.doctor().await)
    }

    /// Plays every phase in order; returns what the doctor said before the faults.
    pub(crate) async fn play(self) -> Result<DoctorRun, CliError> {
        self.timeline.lane(METRICS_LANE, "published");
        let doctor = self.start().await?;
        let t = self.timings;
        let home = self.home.to_string();

        self.timeline.phase(
            "baseline",
            format!(
                "baseline: both regions healthy for {:.1} s",
                t.baseline.as_secs_f64()
            ),
        );
        self.pace(t.baseline).await;

        let start = match self.outage {
            OutageKind::Stop => {
                let start = self.timeline.phase(
                    "outage",
                    format!(
                        "(a) hard outage: {home}'s health endpoint is stopped (connections refused)"
                    ),
                );
                self.home_endpoint.stop().await;
                start
            }
            OutageKind::Drain => {
                let start = self.timeline.phase(
                    "outage",
                    format!(
                        "(a) hard outage: {home}'s health endpoint drains (503, no match string)"
                    ),
                );
                self.home_endpoint.restart(true).await?;
                start
            }
        };
        self.timeline.lane(&truth_lane(&home), "endpoint down");
        self.expect_move("failover", start, false).await;

        let start = self.timeline.phase(
            "restore",
            format!("(a) ends: {home}'s endpoint serves again on the same port"),
        );
        self.home_endpoint.restart(false).await?;
        self.timeline.lane(&truth_lane(&home), "healthy");
        self.expect_move("failback", start, true).await;

        let start = self.timeline.phase(
            "gray",
            format!("(b) gray failure: {home}'s {API_ALARM} alarm goes to ALARM; its endpoint stays healthy; us-east-1 metrics impaired (HealthCheckStatus unreadable)"),
        );
        self.impair_metrics(true);
        self.set_alarm(StateValue::Alarm).await?;
        self.expect_move("failover", start, false).await;

        let start = self.timeline.phase(
            "recovery",
            format!("(c) recovery: {home}'s alarm is OK again; us-east-1 metrics published again"),
        );
        self.impair_metrics(false);
        self.set_alarm(StateValue::Ok).await?;
        self.expect_move("failback", start, true).await;

        self.timeline.phase(
            "flapping",
            format!(
                "(d) flapping: {home}'s alarm toggles every {:.1} s for {:.1} s",
                t.flap_every.as_secs_f64(),
                t.flap_for.as_secs_f64()
            ),
        );
        let toggles = (t.flap_for.as_secs_f64() / t.flap_every.as_secs_f64()).ceil() as u32;
        for toggle in 0..toggles {
            let state = if toggle % 2 == 0 {
                StateValue::Alarm
            } else {
                StateValue::Ok
            };
            self.set_alarm(state).await?;
            self.pace(t.flap_every).await;
        }
        if toggles % 2 == 1 {
            self.set_alarm(StateValue::Ok).await?;
        }

        self.timeline
            .phase("settle", format!("settle: {home}'s alarm stays OK"));
        let settle = self.timeline.now();
        let routed_home = |r: &Record| {
            r.lane(WATCHER_LANE).and_then(|l| l.last()) == Some(home.as_str())
                && r.lane(DNS_LANE).and_then(|l| l.last()) == Some(home.as_str())
        };
        // Traffic comes home, or damping holds the failback for the rest of the hour:
        // either ends the wait (damping is the engine's answer, not a stall).
        let held_by_damping = |r: &Record| r.damped.iter().any(|t| *t >= settle);
        if !self
            .timeline
            .wait_until(t.follow_timeout(), |r| routed_home(r) || held_by_damping(r))
            .await
        {
            self.timeline.event(
                "phase",
                format!(
                    "traffic is not back on {home} after {:.1} s",
                    t.follow_timeout().as_secs_f64()
                ),
            );
        }
        self.pace(t.hold).await;
        self.timeline.end_phases();
        Ok(doctor)
    }

    /// Runs `regionflip doctor`'s checks against the drill's own deployment, with the
    /// observer's view of `HealthCheckStatus` (the simulated checkers'), and puts the
    /// verdict on the timeline.
    pub(super) async fn doctor(&self) -> DoctorRun {
        let now = crate::context::unix_now();
        let observed = self
            .observer
            .observe_and_decide(&regionflip_watcher::Request::Automatic, now)
            .await;
        let clients = crate::doctor::Clients {
            route53: &self.clients.route53,
            cloudwatch: &self.clients.cloudwatch,
        };
        let (checks, passed) =
            crate::doctor::examine(self.config, clients, observed, now, 600).await;
        let not_passing: Vec<String> = checks
            .iter()
            .filter(|c| c.status == crate::doctor::Status::Fail)
            .map(|c| format!("{} {}: {}", c.rule, c.resource, c.detail))
            .collect();
        let detail = if not_passing.is_empty() {
            format!("{} checks, none failed", checks.len())
        } else {
            not_passing.join("; ")
        };
        self.timeline.event(
            "doctor",
            format!(
                "regionflip doctor: {}",
                if passed { "passed" } else { "FAILED" }
            ),
        );
        DoctorRun { passed, detail }
    }

    /// Waits for a transition of `kind` after `start` and for DNS to follow (to home on a
    /// failback, away from it on a failover; through a gate, one gate check lag later),
    /// then lets the phase run on for the hold.
    async fn expect_move(&self, kind: &'static str, start: f64, to_home: bool) {
        let home = self.home;
        let limit = self.timings.follow_timeout();
        let done = self
            .timeline
            .wait_until(limit, |r| {
                let moved = r.transitions_after(kind, start).next().is_some();
                let answer = r.lane(DNS_LANE).and_then(|l| l.last());
                moved && (answer == Some(home)) == to_home
            })
            .await;
        if !done {
            self.timeline.event(
                "phase",
                format!(
                    "no {kind} with DNS following within {:.1} s",
                    limit.as_secs_f64()
                ),
            );
        }
        self.pace(self.timings.hold).await;
    }

    /// Stops (or resumes) serving `HealthCheckStatus` to the watcher.
    fn impair_metrics(&self, impaired: bool) {
        self.metrics_impaired.store(impaired, Ordering::SeqCst);
        self.timeline.lane(
            METRICS_LANE,
            if impaired { "impaired" } else { "published" },
        );
        self.timeline.event(
            "fault",
            if impaired {
                "us-east-1 metrics impaired: the watcher cannot read HealthCheckStatus".to_string()
            } else {
                "us-east-1 metrics published again".to_string()
            },
        );
    }

    /// Sets home's API alarm in the emulator (moto never evaluates alarms) and delivers
    /// the change to the watcher, as EventBridge would.
    async fn set_alarm(&self, state: StateValue) -> Result<(), CliError> {
        let alarm = state == StateValue::Alarm;
        self.set_alarm_of(self.home, state.clone()).await?;
        let home = self.home;
        self.timeline.lane(
            &truth_lane(home),
            if alarm { "API failing" } else { "healthy" },
        );
        self.timeline
            .event("fault", format!("{home} {API_ALARM} → {}", state.as_str()));
        // The receiver lives as long as the watcher task; if it is gone the drill is
        // ending anyway.
        let _ = self.alarm_changes.send(API_ALARM.to_string());
        Ok(())
    }

    /// Sets `region`'s API alarm in the emulator (moto never evaluates alarms).
    pub(super) async fn set_alarm_of(
        &self,
        region: &str,
        state: StateValue,
    ) -> Result<(), CliError> {
        self.timeline.lane(&alarm_lane(region), state.as_str());
        self.clients
            .cloudwatch
            .client(region)
            .map_err(|e| CliError::Failed(e.to_string()))?
            .set_alarm_state()
            .alarm_name(API_ALARM)
            .state_value(state.clone())
            .state_reason("set by regionflip drill")
            .send()
            .await
            .map_err(|e| {
                CliError::Failed(format!(
                    "SetAlarmState {API_ALARM} failed: {}",
                    aws_sdk_cloudwatch::error::DisplayErrorContext(e)
                ))
            })?;
        Ok(())
    }

    /// The drill's pacing: real time, by design.
    /// One phase of the chain and active/active scenarios: `region`'s API alarm to
    /// `state` (a gray failure, or its end), then a wait on the timeline until DNS
    /// answers `expected` (or the follow timeout passes, said in the story), then the
    /// hold.
    pub(super) async fn alarm_phase(
        &self,
        phase: &'static str,
        title: String,
        region: &str,
        state: StateValue,
        expected: &str,
    ) -> Result<(), CliError> {
        self.timeline.phase(phase, title);
        let failing = state == StateValue::Alarm;
        self.set_alarm_of(region, state.clone()).await?;
        self.timeline.lane(
            &truth_lane(region),
            if failing { "API failing" } else { "healthy" },
        );
        self.timeline.event(
            "fault",
            format!("{region} {API_ALARM} → {}", state.as_str()),
        );
        let _ = self.alarm_changes.send(API_ALARM.to_string());
        let limit = self.timings.follow_timeout();
        let answered = |r: &Record| r.lane(DNS_LANE).and_then(|l| l.last()) == Some(expected);
        if !self.timeline.wait_until(limit, answered).await {
            self.timeline.event(
                "phase",
                format!(
                    "DNS does not answer {expected} within {:.1} s",
                    limit.as_secs_f64()
                ),
            );
        }
        self.pace(self.timings.hold).await;
        Ok(())
    }

    pub(super) async fn pace(&self, duration: std::time::Duration) {
        tokio::time::sleep(duration).await;
    }
}
