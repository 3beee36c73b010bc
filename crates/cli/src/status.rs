//! `regionflip status`: where traffic is and why, without writing anything.
//!
//! One [`Watcher::observe_and_decide`](regionflip_watcher::Watcher::observe_and_decide)
//! — the watcher's own reads and the engine's own rules, with nothing applied — so what
//! status shows is exactly what the next automatic pass would see and decide: the active
//! region, every region's alarms, endpoint check, the watcher's own probe of its health
//! endpoint and guards with the verdict drawn from
//! them, in `health-gate` mode the gate values the rules imply, the last transition, when
//! a pending failback becomes eligible, the pause flag, the failback hold and the state
//! sequence. Beside that plan, what Route 53 is doing now (`route53`): each failover
//! record and its health check's `HealthCheckStatus` as Route 53 publishes it, each
//! endpoint check's checkers as `GetHealthCheckStatus` reports them, each gate alarm's
//! state, and Route 53's answer for the name (`TestDNSAnswer`); each is "unreadable"
//! with the reason when its API does not answer (us-east-1's control plane and metrics
//! during a us-east-1 event). While automation is paused with the active region
//! unhealthy, status warns that a needed failover is held back. With active-active
//! routing it shows each region in or out of service, since when, and why (the reasons
//! of the next pass name the region). `--json` prints the same as one JSON object.

use std::fmt::Write;

use regionflip_core::engine::{Outcome, flips_in_damping_window};
use regionflip_core::observe::{Observations, RegionObservation, SignalReading, SignalStatus};
use regionflip_core::timestamp::rfc3339;
use regionflip_core::{Config, Decision, Health, Mode, Plan, Reason, StateObservation};
use regionflip_watcher::Request;
use serde::Serialize;

use crate::args::GlobalArgs;
use crate::context::{human_duration, load_session, print_json, unix_now, unreadable_essentials};
use crate::error::CliError;

/// `regionflip status`.
pub(crate) async fn run(global: &GlobalArgs) -> Result<(), CliError> {
    let (watcher, sdk) = load_session(global).await?;
    let now = unix_now();
    let (observations, decision) = watcher.observe_and_decide(&Request::Automatic, now).await;
    let mut status = Status::new(watcher.config(), &observations, &decision, now);
    status.route53 = Some(route53_now(&watcher, now).await);
    // The last move as the journal tells it (kind, from, to, who, why), when one is kept.
    if watcher.config().journal_log_group.is_some() {
        match crate::journal::history(&sdk, watcher.config(), 24 * 30).await {
            Ok((entries, _)) => {
                status.last_move = entries.into_iter().rev().find(|e| e.from.is_some());
            }
            Err(why) => status
                .warnings
                .push(format!("the journal could not be read: {why}")),
        }
    }
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
    /// `failover`, `latency` or `weighted`.
    routing: &'static str,
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
    /// What Route 53 is doing now, as its APIs report it.
    route53: Option<Route53Now>,
    /// The last transition in the journal (the last 30 days), with who and why.
    last_move: Option<crate::journal::HistoryEntry>,
    /// Whether a journal is configured (`journal.log_group`): without one, the last
    /// move's kind, who and why are not known here.
    #[serde(skip)]
    journal_kept: bool,
    /// Things an operator must know now.
    warnings: Vec<String>,
}

/// What Route 53 is doing now.
#[derive(Debug, Serialize)]
struct Route53Now {
    /// Each failover record, its target and its health check's status.
    records: Vec<RecordNow>,
    /// Each endpoint check as `GetHealthCheckStatus` reports its checkers.
    endpoint_checks: Vec<CheckNow>,
    /// `health-gate` mode: each gate alarm's state in its host region.
    gate_alarms: Vec<CheckNow>,
    /// Route 53's answer for the name (`TestDNSAnswer`), or why it is not known.
    answer: String,
}

#[derive(Debug, Serialize)]
struct RecordNow {
    /// The record's name: the name users resolve, or a gate chain link's.
    name: String,
    role: String,
    target: String,
    health_check: Option<String>,
    /// `healthy`, `unhealthy`, `no data`, or `unreadable: …`.
    status: String,
}

#[derive(Debug, Serialize)]
struct CheckNow {
    name: String,
    status: String,
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
    /// Active-active routing: whether the region is in service (its gate open), as the
    /// state read says; `None` with failover routing or no readable state.
    in_service: Option<bool>,
    /// Active-active routing: when it left service, if it is out.
    out_since: Option<String>,
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
    /// `failback`, or with active-active routing `return to service`.
    kind: &'static str,
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
        let read_state = match &observations.state {
            StateObservation::Valid { state, .. } => Some(state),
            _ => None,
        };
        let active_active = config.routing.is_active_active();
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
                    in_service: read_state
                        .filter(|_| active_active)
                        .map(|s| s.in_service(&region.name)),
                    out_since: read_state
                        .filter(|_| active_active)
                        .and_then(|s| s.out_since(&region.name))
                        .map(rfc3339),
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
                kind: "failback",
                region: region.clone(),
                why: why.clone(),
                eligible_at: eligible_at.map(rfc3339),
                eligible_in_secs: eligible_at.map(|t| t.saturating_sub(now)),
            }),
            Reason::RestorePending {
                region,
                eligible_at,
                why,
            } => Some(PendingFailback {
                kind: "return to service",
                region: region.clone(),
                why: why.clone(),
                eligible_at: eligible_at.map(rfc3339),
                eligible_in_secs: eligible_at.map(|t| t.saturating_sub(now)),
            }),
            Reason::AwaitingOperator { region, why } => Some(PendingFailback {
                kind: if config.routing.is_active_active() {
                    "return to service"
                } else {
                    "failback"
                },
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
            routing: config.routing.as_str(),
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
            route53: None,
            last_move: None,
            journal_kept: config.journal_log_group.is_some(),
            warnings: held_back(config, observations, decision)
                .into_iter()
                .collect(),
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
        if self.routing == "failover" {
            let _ = writeln!(
                out,
                "active   {}",
                self.active.as_deref().unwrap_or("unknown")
            );
        } else {
            let named = |inside: bool| {
                let names: Vec<&str> = self
                    .regions
                    .iter()
                    .filter(|r| r.in_service == Some(inside))
                    .map(|r| r.region.as_str())
                    .collect();
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            };
            let _ = writeln!(
                out,
                "routing  {} (active-active): in service {}; out of service {}",
                self.routing,
                named(true),
                named(false)
            );
        }
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
                if let Some(last) = &self.last_move {
                    let _ = writeln!(
                        out,
                        "         {} {} → {} by {}{}",
                        last.kind,
                        last.from.as_deref().unwrap_or("?"),
                        last.to.as_deref().unwrap_or("?"),
                        last.who,
                        last.why
                            .as_ref()
                            .map(|w| format!(": {w}"))
                            .unwrap_or_default()
                    );
                } else if !self.journal_kept && state.last_transition_at.is_some() {
                    let _ = writeln!(
                        out,
                        "         (its kind, from, to, who and why are in the journal: set \
                         journal.log_group, which make cli-config writes, or see the \
                         dashboard's journal)"
                    );
                }
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
                "{} of {} pending: {}; {when}",
                pending.kind, pending.region, pending.why
            );
        }
        let _ = writeln!(out);
        let gate_mode = self.regions.iter().any(|r| r.gate_open.is_some());
        let service = self.regions.iter().any(|r| r.in_service.is_some());
        let mut rows = vec![{
            let mut header = vec!["REGION", "HEALTH"];
            if service {
                header.push("SERVICE");
            }
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
            if service {
                row.push(match (region.in_service, &region.out_since) {
                    (Some(true), _) => "in".into(),
                    (Some(false), Some(since)) => format!("OUT since {since}"),
                    (Some(false), None) => "OUT".into(),
                    (None, _) => "-".into(),
                });
            }
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
        if let Some(route53) = &self.route53 {
            let _ = writeln!(out);
            let _ = writeln!(out, "Route 53 now:");
            for record in &route53.records {
                let _ = writeln!(
                    out,
                    "  {}{} → {}, health check {}: {}",
                    if record.name == self.record {
                        String::new()
                    } else {
                        format!("{} ", record.name)
                    },
                    record.role,
                    record.target,
                    record.health_check.as_deref().unwrap_or("none"),
                    record.status
                );
            }
            for check in route53.endpoint_checks.iter().chain(&route53.gate_alarms) {
                let _ = writeln!(out, "  {}: {}", check.name, check.status);
            }
            let _ = writeln!(out, "  answer for the name: {}", route53.answer);
        }
        for warning in &self.warnings {
            let _ = writeln!(out, "WARNING: {warning}");
        }
        out
    }
}

/// The warning that a needed failover is held back: paused, with the active region
/// unhealthy as the active region.
fn held_back(config: &Config, observations: &Observations, decision: &Decision) -> Option<String> {
    let StateObservation::Valid { state, .. } = &observations.state else {
        return None;
    };
    if config.routing.is_active_active() {
        let failing: Vec<&str> = decision
            .regions
            .iter()
            .filter(|h| state.in_service(&h.region) && h.as_active.health == Health::Unhealthy)
            .map(|h| h.region.as_str())
            .collect();
        return (state.paused && !failing.is_empty()).then(|| {
            format!(
                "automation is paused while {} in service {} unhealthy: an evacuation is \
                 being held back. Run `regionflip resume` to let the rules act, or \
                 `regionflip evacuate REGION`",
                failing.join(", "),
                if failing.len() == 1 { "is" } else { "are" }
            )
        });
    }
    let active = decision.active.as_deref()?;
    let health = decision.regions.iter().find(|h| h.region == active)?;
    (state.paused && health.as_active.health == Health::Unhealthy).then(|| {
        format!(
            "automation is paused while the active region {active} is unhealthy: a failover \
             is being held back. Run `regionflip resume` to let the rules act, or \
             `regionflip failover --to REGION`"
        )
    })
}

/// An SDK error in a few words (the watcher's classification): the code and message of
/// a service error, else timed out or unreachable.
fn short<E>(error: &aws_sdk_route53::error::SdkError<E>) -> String
where
    E: aws_sdk_route53::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    match regionflip_watcher::aws::classify(error) {
        regionflip_watcher::ports::AwsError::Service { code, message } if code == "Unknown" => {
            let status = error
                .raw_response()
                .map(|r| r.status().as_u16().to_string())
                .unwrap_or_default();
            format!("HTTP {status} {message}").trim().to_string()
        }
        other => other.to_string(),
    }
}

/// Reads what Route 53 is doing now; every part that cannot be read says why.
async fn route53_now(watcher: &crate::context::CliWatcher, now: u64) -> Route53Now {
    use regionflip_watcher::ports::{CloudWatchApi, Route53Api};
    let config = watcher.config();
    let client = watcher.route53().client();
    let mut records = Vec::new();
    // The pair at the name, and in health-gate mode with three or more regions each link
    // of the gate chain: one small page per name.
    // Every record of the application (`[[records]]`), each in its own zone.
    let names: Vec<String> = config
        .records()
        .iter()
        .flat_map(|record| match config.mode {
            Mode::HealthGate => regionflip_core::records::gate_chain_of(config, &record.name)
                .into_iter()
                .map(|l| l.name)
                .collect(),
            Mode::Records => vec![record.name.clone()],
        })
        .collect();
    let mut found = Vec::new();
    for name in &names {
        match watcher
            .route53()
            .list_records(regionflip_core::records::zone_of(config, name), name, 10)
            .await
        {
            Ok(page) => found.extend(page.records.into_iter().filter(|r| {
                r.name == *name
                    && (r.failover.is_some() || r.latency_region.is_some() || r.weight.is_some())
            })),
            Err(e) => records.push(RecordNow {
                name: name.clone(),
                role: "records".into(),
                target: name.clone(),
                health_check: None,
                status: format!("unreadable: {e}"),
            }),
        }
    }
    let ids: Vec<String> = found
        .iter()
        .filter_map(|r| r.health_check_id.clone())
        .collect();
    let statuses = watcher
        .cloudwatch()
        .health_check_status(&ids, now.saturating_sub(600), now)
        .await;
    for record in found {
        let status = match (&record.health_check_id, &statuses, &record.alias) {
            (None, _, Some(alias)) if alias.evaluate_target_health => format!(
                "healthy while any record of {} is (an alias that evaluates its target)",
                alias.dns_name
            ),
            (None, _, _) => "no health check: always answered".to_string(),
            (Some(id), Ok(found), _) => match found.get(id).and_then(|s| s.last()) {
                Some(sample) if sample.value >= 1.0 => "healthy".to_string(),
                Some(_) => "UNHEALTHY".to_string(),
                None => "no HealthCheckStatus data in the last 10 minutes".to_string(),
            },
            (Some(_), Err(e), _) => format!("HealthCheckStatus unreadable: {e}"),
        };
        records.push(RecordNow {
            name: record.name.clone(),
            role: match (&record.failover, &record.latency_region, record.weight) {
                (Some(role), _, _) => format!("{role:?}").to_uppercase(),
                (None, Some(region), _) => format!("latency {region}"),
                (None, None, Some(weight)) => format!("weight {weight}"),
                (None, None, None) => String::new(),
            },
            target: record
                .alias
                .as_ref()
                .map_or_else(|| record.values.join(" "), |a| a.dns_name.clone()),
            health_check: record.health_check_id.clone(),
            status,
        });
    }
    let mut endpoint_checks = Vec::new();
    for region in &config.regions {
        let Some(id) = &region.health_check_id else {
            continue;
        };
        let status = match client
            .get_health_check_status()
            .health_check_id(id)
            .send()
            .await
        {
            Ok(answer) => {
                let observations = answer.health_check_observations();
                let healthy = observations
                    .iter()
                    .filter(|o| {
                        o.status_report()
                            .and_then(|r| r.status())
                            .is_some_and(|s| s.starts_with("Success"))
                    })
                    .count();
                format!(
                    "{healthy} of {} checkers report success",
                    observations.len()
                )
            }
            Err(e) => format!("unreadable: {}", short(&e)),
        };
        endpoint_checks.push(CheckNow {
            name: format!("endpoint check {id} of {}", region.name),
            status,
        });
    }
    let mut gate_alarms = Vec::new();
    if config.mode == Mode::HealthGate {
        for gated in config.gated_regions() {
            let host = config.gate_host_region(&gated.name);
            let name = config.gate_alarm_name(&gated.name);
            let status = match watcher
                .cloudwatch()
                .describe_alarms(host, std::slice::from_ref(&name))
                .await
            {
                Ok(found) => match found.iter().find(|a| a.name == name) {
                    Some(alarm) => match alarm.state {
                        regionflip_watcher::ports::AlarmState::Ok => "OK: gate open".to_string(),
                        regionflip_watcher::ports::AlarmState::Alarm => {
                            "ALARM: gate closed".to_string()
                        }
                        regionflip_watcher::ports::AlarmState::InsufficientData => {
                            "INSUFFICIENT_DATA: its check holds its last status".to_string()
                        }
                    },
                    None => "missing: run regionflip init".to_string(),
                },
                Err(e) => format!("unreadable: {e}"),
            };
            gate_alarms.push(CheckNow {
                name: format!("gate alarm {name} in {host} ({}'s gate)", gated.name),
                status,
            });
        }
    }
    let answer = match client
        .test_dns_answer()
        .hosted_zone_id(&config.hosted_zone_id)
        .record_name(&config.record_name)
        .record_type(aws_sdk_route53::types::RrType::from(
            config.record_type.as_str(),
        ))
        .send()
        .await
    {
        Ok(answer) => {
            let data = answer.record_data().join(" ");
            if data.is_empty() {
                format!("no data ({})", answer.response_code())
            } else {
                data
            }
        }
        Err(e) => format!("unreadable: {}", short(&e)),
    };
    Route53Now {
        records,
        endpoint_checks,
        gate_alarms,
        answer,
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
