//! `regionflip status`: where traffic is and why, without writing anything.
//!
//! One [`Watcher::observe_and_decide`](regionflip_watcher::Watcher::observe_and_decide)
//! — the watcher's own reads and the engine's own rules, with nothing applied — so what
//! status shows is exactly what the next automatic pass would see and decide: the active
//! region, every region's alarms, endpoint check, the watcher's own probe of its health
//! endpoint and guards with the verdict drawn from
//! them, in `health-gate` mode the gate values the rules imply, the last transition, when
//! a pending failback becomes eligible, the pause flag, the failback hold and the state
//! sequence. `--json` prints the same as one JSON object.

use std::fmt::Write;

use regionflip_core::engine::{Outcome, flips_in_damping_window};
use regionflip_core::observe::{Observations, RegionObservation, SignalReading, SignalStatus};
use regionflip_core::timestamp::rfc3339;
use regionflip_core::{Config, Decision, Health, Mode, Plan, Reason, StateObservation};
use regionflip_watcher::Request;
use serde::Serialize;

use crate::args::GlobalArgs;
use crate::context::{human_duration, load_watcher, print_json, unix_now, unreadable_essentials};
use crate::error::CliError;

/// `regionflip status`.
pub(crate) async fn run(global: &GlobalArgs) -> Result<(), CliError> {
    let watcher = load_watcher(global).await?;
    let now = unix_now();
    let (observations, decision) = watcher.observe_and_decide(&Request::Automatic, now).await;
    let status = Status::new(watcher.config(), &observations, &decision, now);
    if global.json {
        print_json(&status)?;
    } else {
        print!("{}", status.render());
    }
    // The status is shown either way; when the state or the routing could not be read,
    // an AWS call failed and the exit code says so.
    match unreadable_essentials(&decision) {
        Some(why) => Err(CliError::Failed(why)),
        None => Ok(()),
    }
}

/// The status report (the `--json` document).
#[derive(Debug, Serialize)]
struct Status {
    record: String,
    mode: &'static str,
    hosted_zone_id: String,
    observed_at: String,
    /// Where traffic is, when routing and state could be read.
    active: Option<String>,
    /// The persisted state, when it could be read.
    state: Option<StateView>,
    /// Why the state is not shown, when it is not.
    state_problem: Option<String>,
    regions: Vec<RegionView>,
    /// A failback the rules are waiting for.
    pending_failback: Option<PendingFailback>,
    /// What the next automatic pass would do on these readings.
    next_pass: NextPass,
}

#[derive(Debug, Serialize)]
struct StateView {
    sequence: u64,
    active: String,
    paused: bool,
    hold_failback: bool,
    last_transition_at: Option<String>,
    last_transition_age_secs: Option<u64>,
    away_from_home_since: Option<String>,
    automatic_flips_in_last_hour: usize,
}

#[derive(Debug, Serialize)]
struct RegionView {
    region: String,
    home: bool,
    active: bool,
    health: Health,
    healthy_since: Option<String>,
    evidence: Vec<String>,
    alarms: Vec<SignalView>,
    endpoint: Option<SignalView>,
    /// The watcher's own probe of `health_url`: `healthy`, `failing`, `timed out`.
    probe: Option<SignalView>,
    /// The verdict if the region served traffic: whether the rules would make it leave.
    as_active: Health,
    /// Alarms without data on this region, which serves no traffic, counted as idle
    /// (neither for nor against it): a passive standby's request alarms.
    idle_alarms: Vec<String>,
    guards: Vec<SignalView>,
    blocking_guard: Option<String>,
    /// `health-gate` mode: the gate value the rules imply (true: open).
    gate_open: Option<bool>,
    /// `health-gate` mode: the gate alarm and the region hosting it.
    gate_alarm: Option<String>,
}

#[derive(Debug, Serialize)]
struct SignalView {
    name: String,
    /// `OK`, `ALARM` (alarms) / `healthy`, `unhealthy` (endpoint), or `unknown`.
    status: String,
    /// Why it is unknown.
    detail: Option<String>,
    since: Option<String>,
}

#[derive(Debug, Serialize)]
struct PendingFailback {
    region: String,
    why: String,
    eligible_at: Option<String>,
    eligible_in_secs: Option<u64>,
}

#[derive(Debug, Serialize)]
struct NextPass {
    outcome: Outcome,
    reasons: Vec<String>,
}

impl Status {
    fn new(config: &Config, observations: &Observations, decision: &Decision, now: u64) -> Status {
        let (state, state_problem) = match &observations.state {
            StateObservation::Valid { state, .. } => (
                Some(StateView {
                    sequence: state.sequence,
                    active: state.active.clone(),
                    paused: state.paused,
                    hold_failback: state.hold_failback,
                    last_transition_at: state.last_transition_at.map(rfc3339),
                    last_transition_age_secs: state
                        .last_transition_at
                        .map(|t| now.saturating_sub(t)),
                    away_from_home_since: state.away_since.map(rfc3339),
                    automatic_flips_in_last_hour: flips_in_damping_window(state, now).len(),
                }),
                None,
            ),
            StateObservation::Missing => (
                None,
                Some(
                    "no state exists: regionflip is not initialised (run `regionflip init`)".into(),
                ),
            ),
            StateObservation::Corrupt { error, .. } => {
                (None, Some(format!("the state is corrupt: {error}")))
            }
            StateObservation::Unreadable(why) => {
                (None, Some(format!("the state could not be read: {why}")))
            }
        };
        let gates = match (&decision.plan, config.mode) {
            (Plan::Gates { gates, .. }, Mode::HealthGate) => Some(gates),
            _ => None,
        };
        let regions = config
            .regions
            .iter()
            .zip(&decision.regions)
            .map(|(region, health)| {
                let observed = observations
                    .regions
                    .iter()
                    .find(|o| o.region == region.name);
                RegionView {
                    region: region.name.clone(),
                    home: region.name == config.home().name,
                    active: decision.active.as_deref() == Some(region.name.as_str()),
                    health: health.health,
                    healthy_since: health.healthy_since.map(rfc3339),
                    evidence: health.evidence.clone(),
                    alarms: signals(observed, |o| &o.alarms, alarm_word),
                    endpoint: observed
                        .and_then(|o| o.endpoint.as_ref())
                        .map(|e| signal_view(e, endpoint_word)),
                    probe: observed.and_then(|o| o.probe.as_ref()).map(probe_view),
                    as_active: health.as_active.health,
                    idle_alarms: health.idle_alarms.clone(),
                    guards: signals(observed, |o| &o.guards, alarm_word),
                    blocking_guard: health.blocking_guard.clone(),
                    gate_open: gates.and_then(|gates| {
                        gates
                            .iter()
                            .find(|g| g.region == region.name)
                            .map(|g| g.open)
                    }),
                    // The last region has no gate (`Config::is_gated`).
                    gate_alarm: (config.mode == Mode::HealthGate && config.is_gated(&region.name))
                        .then(|| {
                            format!(
                                "{} in {}",
                                config.gate_alarm_name(&region.name),
                                config.gate_host_region(&region.name)
                            )
                        }),
                }
            })
            .collect();
        let pending_failback = decision.reasons.iter().find_map(|reason| match reason {
            Reason::FailbackPending {
                region,
                eligible_at,
                why,
            } => Some(PendingFailback {
                region: region.clone(),
                why: why.clone(),
                eligible_at: eligible_at.map(rfc3339),
                eligible_in_secs: eligible_at.map(|t| t.saturating_sub(now)),
            }),
            Reason::AwaitingOperator { region, why } => Some(PendingFailback {
                region: region.clone(),
                why: why.clone(),
                eligible_at: None,
                eligible_in_secs: None,
            }),
            _ => None,
        });
        Status {
            record: config.record_name.clone(),
            mode: config.mode.as_str(),
            hosted_zone_id: config.hosted_zone_id.clone(),
            observed_at: rfc3339(now),
            active: decision.active.clone(),
            state,
            state_problem,
            regions,
            pending_failback,
            next_pass: NextPass {
                outcome: decision.outcome.clone(),
                reasons: decision.reasons.iter().map(ToString::to_string).collect(),
            },
        }
    }

    /// The compact human form: a header, a table of regions, what the next pass does.
    fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "record   {} ({} mode, hosted zone {})",
            self.record, self.mode, self.hosted_zone_id
        );
        let _ = writeln!(
            out,
            "active   {}",
            self.active.as_deref().unwrap_or("unknown")
        );
        match &self.state {
            Some(state) => {
                let _ = writeln!(
                    out,
                    "state    sequence {}, automation {}, failback hold {}",
                    state.sequence,
                    if state.paused { "PAUSED" } else { "running" },
                    if state.hold_failback {
                        "ON (waits for an operator)"
                    } else {
                        "off"
                    }
                );
                let _ = writeln!(
                    out,
                    "last     {}",
                    match (&state.last_transition_at, state.last_transition_age_secs) {
                        (Some(at), Some(age)) =>
                            format!("transition at {at} ({} ago)", human_duration(age)),
                        _ => "no transition yet".into(),
                    }
                );
                if let Some(since) = &state.away_from_home_since {
                    let _ = writeln!(out, "away     from home since {since}");
                }
            }
            None => {
                let _ = writeln!(
                    out,
                    "state    {}",
                    self.state_problem.as_deref().unwrap_or("unknown")
                );
            }
        }
        if let Some(pending) = &self.pending_failback {
            let when = match (&pending.eligible_at, pending.eligible_in_secs) {
                (Some(at), Some(0)) => format!("eligible now ({at})"),
                (Some(at), Some(secs)) => format!("eligible at {at} (in {})", human_duration(secs)),
                _ => "no time known".into(),
            };
            let _ = writeln!(
                out,
                "failback to {} pending: {}; {when}",
                pending.region, pending.why
            );
        }
        let _ = writeln!(out);
        let gate_mode = self.regions.iter().any(|r| r.gate_open.is_some());
        let mut rows = vec![{
            let mut header = vec!["REGION", "HEALTH"];
            if gate_mode {
                header.push("GATE");
            }
            header.extend(["ALARMS", "ENDPOINT", "PROBE", "GUARDS"]);
            header.into_iter().map(String::from).collect::<Vec<_>>()
        }];
        for region in &self.regions {
            let mut name = region.region.clone();
            if region.active {
                name.push_str(" *");
            }
            if region.home {
                name.push_str(" (home)");
            }
            let mut row = vec![name, format!("{:?}", region.health).to_lowercase()];
            if gate_mode {
                row.push(match region.gate_open {
                    Some(true) => "open".into(),
                    Some(false) => "closed".into(),
                    None => "no gate".into(),
                });
            }
            row.push(list(&region.alarms));
            row.push(
                region
                    .endpoint
                    .as_ref()
                    .map_or("-".into(), |e| e.status.clone()),
            );
            row.push(
                region
                    .probe
                    .as_ref()
                    .map_or("-".into(), |p| p.status.clone()),
            );
            row.push(list(&region.guards));
            rows.push(row);
        }
        let widths: Vec<usize> = (0..rows[0].len())
            .map(|col| {
                rows.iter()
                    .map(|r| r[col].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for row in &rows {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(cell, width)| format!("{cell:<width$}"))
                .collect();
            let _ = writeln!(out, "{}", cells.join("  ").trim_end());
        }
        let evidence: Vec<String> = self
            .regions
            .iter()
            .flat_map(|r| r.evidence.iter().map(move |e| format!("{}: {e}", r.region)))
            .collect();
        if !evidence.is_empty() {
            let _ = writeln!(out);
            for line in evidence {
                let _ = writeln!(out, "  {line}");
            }
        }
        let _ = writeln!(out);
        let outcome = match &self.next_pass.outcome {
            Outcome::Transition { kind, from, to } => {
                format!("{} {from} → {to}", kind.as_str())
            }
            Outcome::StateOnly => "state repair only".into(),
            Outcome::NoChange => "no change".into(),
            Outcome::Refused => "refused".into(),
        };
        let _ = writeln!(out, "next pass: {outcome}");
        for reason in &self.next_pass.reasons {
            let _ = writeln!(out, "  - {reason}");
        }
        out
    }
}

fn signals(
    observed: Option<&RegionObservation>,
    pick: impl Fn(&RegionObservation) -> &Vec<SignalReading>,
    word: fn(bool) -> &'static str,
) -> Vec<SignalView> {
    observed
        .map(|o| pick(o).iter().map(|s| signal_view(s, word)).collect())
        .unwrap_or_default()
}

fn alarm_word(ok: bool) -> &'static str {
    if ok { "OK" } else { "ALARM" }
}

/// The watcher's probe of a region's health endpoint, for people and for `--json`.
fn probe_view(probe: &regionflip_core::ProbeReading) -> SignalView {
    use regionflip_core::ProbeOutcome;
    let (status, detail) = match &probe.outcome {
        ProbeOutcome::Healthy => ("healthy".to_string(), None),
        ProbeOutcome::Failing(why) => ("failing".to_string(), Some(why.clone())),
        ProbeOutcome::TimedOut(why) => ("timed out".to_string(), Some(why.clone())),
    };
    SignalView {
        name: probe.url.clone(),
        status,
        detail,
        since: None,
    }
}

fn endpoint_word(ok: bool) -> &'static str {
    if ok { "healthy" } else { "unhealthy" }
}

fn signal_view(reading: &SignalReading, word: fn(bool) -> &'static str) -> SignalView {
    let (status, detail) = match &reading.status {
        SignalStatus::Ok => (word(true).to_string(), None),
        SignalStatus::Failing => (word(false).to_string(), None),
        SignalStatus::NoData => ("INSUFFICIENT_DATA".to_string(), None),
        SignalStatus::Unknown(why) => ("unknown".to_string(), Some(why.clone())),
    };
    SignalView {
        name: reading.name.clone(),
        status,
        detail,
        since: reading.since.map(rfc3339),
    }
}

/// `name OK, other ALARM`, or `-` for none.
fn list(signals: &[SignalView]) -> String {
    if signals.is_empty() {
        return "-".into();
    }
    signals
        .iter()
        .map(|s| format!("{} {}", s.name, s.status))
        .collect::<Vec<_>>()
        .join(", ")
}
