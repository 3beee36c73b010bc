//! The decision engine: observations in, a decision with its reasons, a change plan and
//! an event record out. Pure and deterministic: the same inputs always give the same
//! decision, and no clock, network or randomness is consulted.
//!
//! The rules, in the order they are applied (ARCHITECTURE.md lists where each is tested):
//!
//! | # | situation                                          | decision                          |
//! |---|----------------------------------------------------|-----------------------------------|
//! | 1 | routing or state unreadable, missing, unrecognised | no change; say which              |
//! | 2 | automation paused (no operator command)            | no change (`Paused`)              |
//! | 3 | active region unhealthy *as the active region*:    | fail over to the first region     |
//! |   | an alarm in ALARM, a fresh unhealthy               | healthy *as a target* in          |
//! |   | HealthCheckStatus, or its CloudWatch unreadable    | preference order: positive        |
//! |   | and its endpoint failing the watcher's probe       | evidence (fresh HealthCheckStatus |
//! |   | (`ActiveUnhealthy` / `ActiveUnreachable`)          | or a passing probe), nothing      |
//! |   |                                                    | against it; idle alarms and       |
//! |   |                                                    | probe-only health are said        |
//! |   |                                                    | (`IdleAlarms`, `HealthyByProbeOnly`)|
//! | 3a| … no region known healthy as a target              | no change (`NoHealthyTarget`)     |
//! | 3b| … `failover.respect_guards` and target's guard bad | skip it (`GuardBlocked`)          |
//! | 4 | active unknown (INSUFFICIENT_DATA, unreadable) or  | never a failover by itself        |
//! |   | suspect (only the watcher's probe fails)           | (`ActiveUnknown`, `ActiveSuspect`)|
//! | 5 | a more preferred region healthy as a target exists | fail back when: mode auto, no     |
//! |   |                                                    | operator hold, healthy for        |
//! |   |                                                    | `stable_for_secs` by sources with |
//! |   |                                                    | a history (a probe has none: with |
//! |   |                                                    | no history, wait), guards OK,     |
//! |   |                                                    | `min_dwell_secs` since the last   |
//! |   |                                                    | transition; else `FailbackPending`|
//! |   |                                                    | / `GuardBlocked` / `AwaitingOperator`|
//! | 6 | an automatic transition would exceed              | no change (`Damped`)              |
//! |   | `max_flips_per_hour` in the rolling hour           |                                   |
//! | 7 | `health-gate` mode, woken by a watcher's tick      | no change (`NotOnDuty`): keep the |
//! |   | ([`Trigger::WatcherTick`]), and that watcher's     | current routing's gates, write no |
//! |   | region is not the [duty region](duty_region)       | state; the duty region's watcher  |
//! |   |                                                    | carries the transition out        |
//! | 8 | otherwise                                          | no change (`Steady`)              |
//!
//! Each region has two verdicts (`observe.rs`'s evidence table): *as a target* (may
//! traffic move onto it: [`RegionHealth::health`], read by rules 3, 5, the duty rule and
//! the gates) and *as the active region* (must traffic leave it:
//! [`RegionHealth::as_active`], read by rules 3 and 4). Which region is active decides
//! what an alarm without data means, so the regions are assessed knowing it: the region
//! the PRIMARY record points at (`records`), else the one the valid state names.
//!
//! Operator commands (failover to a region, failback, pause, resume) go through the same
//! health and guard checks unless forced, and are never damped nor left to the duty
//! watcher.

use serde::Serialize;

use crate::config::{Config, FailbackMode, Mode};
use crate::event::{TransitionEvent, TransitionKind};
use crate::health::{EvidenceRow, Health, RegionHealth};
use crate::observe::{Observations, RoutingObservation, StateObservation, assess_all};
use crate::plan::{AsRead, Plan, gates_for, plan_for};
use crate::reason::Reason;
use crate::records::{FailoverRole, region_of_record};
use crate::state::EngineState;

/// The rolling window of flap damping.
pub(crate) const DAMPING_WINDOW_SECS: u64 = 3600;

/// The automatic transitions in `state` that count toward flap damping at `now` (rule 6):
/// those less than an hour (`DAMPING_WINDOW_SECS`) old, in time order. Flips stamped after
/// `now` (by a watcher whose clock ran ahead) count too: damping errs on the side of
/// fewer transitions.
pub fn flips_in_damping_window(state: &EngineState, now: u64) -> Vec<u64> {
    let window_start = now.saturating_sub(DAMPING_WINDOW_SECS);
    let mut recent: Vec<u64> = state
        .recent_flips
        .iter()
        .copied()
        .filter(|t| *t > window_start)
        .collect();
    recent.sort_unstable();
    recent
}

/// An operator's request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "command", rename_all = "kebab-case")]
pub enum Command {
    /// Move traffic to `region`.
    FailoverTo {
        /// The region to route to.
        region: String,
        /// Skip the health and guard checks.
        force: bool,
    },
    /// Move traffic back to the most preferred healthy region (home, when forced).
    Failback {
        /// Skip the health and guard checks and go home.
        force: bool,
    },
    /// Freeze routing; keep observing.
    Pause,
    /// Hand routing back to the rules (also lifts an operator's failback hold).
    Resume,
}

/// What happened to routing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    /// Traffic moves.
    Transition {
        /// Why.
        kind: TransitionKind,
        /// From this region.
        from: String,
        /// To this region.
        to: String,
    },
    /// Routing stays; only the persisted state changes (pause, resume, repair).
    StateOnly,
    /// Nothing changes.
    NoChange,
    /// An operator command was refused; the reasons say why.
    Refused,
}

/// A decision, with everything needed to carry it out and explain it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// What happens to routing.
    pub outcome: Outcome,
    /// Why; never empty.
    pub reasons: Vec<Reason>,
    /// The region routing is on before this decision, when known.
    pub active: Option<String>,
    /// Every region's assessed health, in preference order.
    #[serde(skip)]
    pub regions: Vec<RegionHealth>,
    /// What to write.
    pub plan: Plan,
    /// The record of a transition.
    pub event: Option<TransitionEvent>,
}

impl Decision {
    /// Whether routing moves.
    pub fn is_transition(&self) -> bool {
        matches!(self.outcome, Outcome::Transition { .. })
    }

    /// The earliest moment a pending failback or a damped transition may become
    /// possible, if any: no automatic transition happens before it on the same readings.
    pub fn eligible_at(&self) -> Option<u64> {
        self.reasons.iter().filter_map(Reason::eligible_at).min()
    }
}

/// What woke an automatic pass, and so who carries out what it decides: the input of the
/// duty rule (rule 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger<'a> {
    /// An alarm event, or a pass an operator started (`regionflip reconcile`, `status`)
    /// or the drill runs: whoever received it decides and acts. EventBridge delivers an
    /// alarm event only to the watcher of the alarm's region, which must act on it at
    /// once; waiting for the duty watcher's tick would delay a failover by up to a
    /// minute.
    EventOrOperator,
    /// The periodic tick of the watcher running in `region`. Every region's watcher ticks
    /// at the same moment, so in `health-gate` mode, which has no compare-and-swap, only
    /// the [duty region](duty_region)'s watcher carries out an automatic transition.
    WatcherTick {
        /// The region the ticking watcher runs in.
        region: &'a str,
    },
}

/// Decides an automatic pass, woken by `trigger`.
pub fn decide(
    config: &Config,
    observations: &Observations,
    now: u64,
    trigger: Trigger<'_>,
) -> Decision {
    Pass::new(config, observations, now, trigger).automatic()
}

/// Decides an operator command. The duty rule does not apply: operator moves are never
/// automatic transitions.
pub fn decide_command(
    config: &Config,
    observations: &Observations,
    now: u64,
    command: &Command,
) -> Decision {
    Pass::new(config, observations, now, Trigger::EventOrOperator).command(command)
}

/// The region whose watcher carries out automatic transitions in `health-gate` mode: the
/// most preferred region not known unhealthy.
///
/// Gate mode has no compare-and-swap (its state lives in CloudWatch alarm descriptions),
/// and a watcher runs in every region. Every watcher observes the same signals, so they
/// agree on this region without talking to each other, and only its watcher records a
/// transition: one real change of health, one transition record. The region chosen is
/// one that is not failing, so its watcher is the one most likely to be able to act.
pub fn duty_region(regions: &[RegionHealth]) -> Option<&str> {
    regions
        .iter()
        // Shared evidence only: watchers probing from different networks must agree.
        .find(|h| !h.known_unhealthy_by_shared_evidence())
        .map(|h| h.region.as_str())
}

/// The region that serves traffic, as far as the readings tell before the rules run: the
/// region the PRIMARY record points at (`records` mode; DNS is what users get), else the
/// one a valid state names. `None` when neither is known (`assess_all` says what then).
fn serving_region<'c>(config: &'c Config, observations: &Observations) -> Option<&'c str> {
    let routed = match &observations.routing {
        RoutingObservation::Records(records) => records
            .iter()
            .find(|r| r.failover == Some(FailoverRole::Primary))
            .and_then(|primary| region_of_record(config, primary)),
        RoutingObservation::Gates | RoutingObservation::Unreadable(_) => None,
    };
    let recorded = match &observations.state {
        StateObservation::Valid { state, .. } => config.region(&state.active),
        _ => None,
    };
    routed.or(recorded).map(|r| r.name.as_str())
}

/// The context of one decision.
struct Pass<'a> {
    config: &'a Config,
    observations: &'a Observations,
    now: u64,
    trigger: Trigger<'a>,
    regions: Vec<RegionHealth>,
    reasons: Vec<Reason>,
}

/// Where routing is and what state goes with it, once both were read.
struct Current {
    active: String,
    /// The region the PRIMARY record points at (`records` mode), read once by
    /// [`Pass::current`]: a plan rewrites the failover pair only when it differs.
    routed: Option<String>,
    state: EngineState,
    /// The state must be rewritten even without a transition (it was corrupt).
    repair: bool,
}

impl<'a> Pass<'a> {
    fn new(
        config: &'a Config,
        observations: &'a Observations,
        now: u64,
        trigger: Trigger<'a>,
    ) -> Self {
        Pass {
            config,
            observations,
            now,
            trigger,
            regions: assess_all(config, observations, serving_region(config, observations)),
            reasons: Vec::new(),
        }
    }

    /// The assessment of `region`.
    ///
    /// The lookup cannot fail: `assess_all` assesses every configured region, and the
    /// engine only asks about configured ones (`current` names a region the PRIMARY
    /// record, the state or the assessments point at, each checked against the
    /// configuration; commands refuse an unconfigured target before asking). Should it
    /// fail all the same, the region is of unknown health — never another region's — and
    /// unknown health never moves traffic by itself.
    fn health(&self, region: &str) -> RegionHealth {
        self.regions
            .iter()
            .find(|h| h.region == region)
            .cloned()
            .unwrap_or_else(|| {
                RegionHealth::unknown(region, format!("{region} is not a configured region"))
            })
    }

    fn automatic(mut self) -> Decision {
        let Some(current) = self.current() else {
            return self.finish(Outcome::NoChange, None, None);
        };
        if current.state.paused {
            self.reasons.push(Reason::Paused);
            return self.stay(current);
        }
        let active = current.active.clone();
        let leaving = self.health(&active).as_active;
        match leaving.health {
            Health::Unhealthy => {
                let region = active.clone();
                let evidence = leaving.evidence;
                self.reasons
                    .push(if leaving.row == EvidenceRow::Unreachable {
                        Reason::ActiveUnreachable { region, evidence }
                    } else {
                        Reason::ActiveUnhealthy { region, evidence }
                    });
                match self.failover_target(&active, self.config.failover_respects_guards) {
                    Some(target) => self.automatic_move(current, TransitionKind::Failover, target),
                    None => {
                        self.reasons.push(Reason::NoHealthyTarget);
                        self.stay(current)
                    }
                }
            }
            Health::Unknown => {
                let region = active.clone();
                let evidence = leaving.evidence;
                self.reasons.push(match leaving.row {
                    EvidenceRow::ProbeFailsAlone | EvidenceRow::UnreachableButCheckHealthy => {
                        Reason::ActiveSuspect { region, evidence }
                    }
                    _ => Reason::ActiveUnknown { region, evidence },
                });
                self.consider_failback(current)
            }
            Health::Healthy => self.consider_failback(current),
        }
    }

    /// Rule 1: reads where traffic is, refusing to act on anything it cannot trust.
    fn current(&mut self) -> Option<Current> {
        let (state, repair) = match &self.observations.state {
            StateObservation::Valid { state, .. } => (Some(state.clone()), false),
            StateObservation::Corrupt { error, .. } => {
                self.reasons.push(Reason::StateCorrupt {
                    error: error.clone(),
                });
                (None, true)
            }
            StateObservation::Missing => {
                self.reasons.push(Reason::NotInitialised {
                    what: "the state record".into(),
                });
                return None;
            }
            StateObservation::Unreadable(why) => {
                self.reasons
                    .push(Reason::StateUnreadable { why: why.clone() });
                return None;
            }
        };
        let routed = match &self.observations.routing {
            RoutingObservation::Unreadable(why) => {
                self.reasons
                    .push(Reason::RoutingUnreadable { why: why.clone() });
                return None;
            }
            RoutingObservation::Gates => None,
            RoutingObservation::Records(records) => {
                let primary = records
                    .iter()
                    .find(|r| r.failover == Some(FailoverRole::Primary));
                let Some(primary) = primary else {
                    self.reasons.push(Reason::NotInitialised {
                        what: "the PRIMARY failover record".into(),
                    });
                    return None;
                };
                match region_of_record(self.config, primary) {
                    Some(region) => Some(region.name.clone()),
                    None => {
                        self.reasons.push(Reason::RoutingUnrecognised {
                            record: primary.target().unwrap_or_default().to_string(),
                        });
                        return None;
                    }
                }
            }
        };
        let state_active = state
            .as_ref()
            .map(|s| s.active.clone())
            .filter(|a| self.config.region(a).is_some());
        if let (Some(state), None) = (&state, &state_active) {
            self.reasons.push(Reason::StateCorrupt {
                error: format!(
                    "it names region {:?}, which is not configured",
                    state.active
                ),
            });
        }
        let active = match (routed.clone(), state_active) {
            (Some(routed), Some(recorded)) if routed != recorded => {
                // DNS is what users get; the state only remembers. Trust DNS, say so.
                self.reasons.push(Reason::RoutingDiffersFromState {
                    routed: routed.clone(),
                    recorded,
                });
                routed
            }
            (Some(routed), _) => routed,
            (None, Some(recorded)) => recorded,
            (None, None) => {
                // Gate mode with a broken state: start again on the most preferred
                // healthy region, or wait for one.
                match self.first_healthy(|_| true) {
                    Some(target) => {
                        self.push_target_evidence(&target);
                        target.region
                    }
                    None => {
                        self.reasons.push(Reason::NoHealthyTarget);
                        return None;
                    }
                }
            }
        };
        let repair = repair || state.as_ref().is_none_or(|s| s.active != active);
        let state = match state {
            Some(state) if !repair => state,
            Some(state) => EngineState {
                active: active.clone(),
                ..state
            },
            None => EngineState {
                // The old sequence is lost; the clock is larger than any sequence
                // regionflip has counted to, so the next value is still new.
                sequence: self.now,
                ..EngineState::initial(&active)
            },
        };
        Some(Current {
            active,
            routed,
            state,
            repair,
        })
    }

    /// The first region in preference order that is healthy as a target and passes
    /// `accept`.
    fn first_healthy(&self, accept: impl Fn(&RegionHealth) -> bool) -> Option<RegionHealth> {
        self.regions
            .iter()
            .find(|h| h.health == Health::Healthy && accept(h))
            .cloned()
    }

    /// Rule 3: where to go when `active` is unhealthy: the first region healthy as a
    /// target, saying what evidence it rests on when that is less than the full set.
    fn failover_target(&mut self, active: &str, guards_bind: bool) -> Option<String> {
        let mut target = None;
        for h in &self.regions {
            if h.region == active || h.health != Health::Healthy {
                continue;
            }
            match (&h.blocking_guard, guards_bind) {
                (Some(guard), true) => self.reasons.push(Reason::GuardBlocked {
                    region: h.region.clone(),
                    guard: guard.clone(),
                }),
                _ => {
                    target = Some(h.clone());
                    break;
                }
            }
        }
        let target = target?;
        self.push_target_evidence(&target);
        Some(target.region)
    }

    /// The reasons that make explicit what a target's health rests on: alarms counted
    /// idle, and health known only by the watcher's probe.
    fn push_target_evidence(&mut self, target: &RegionHealth) {
        if !target.idle_alarms.is_empty() {
            self.reasons.push(Reason::IdleAlarms {
                region: target.region.clone(),
                alarms: target.idle_alarms.clone(),
            });
        }
        if target.row == EvidenceRow::ProbeHealthyOnly {
            self.reasons.push(Reason::HealthyByProbeOnly {
                region: target.region.clone(),
            });
        }
    }

    /// Rule 5: failback toward a more preferred region.
    fn consider_failback(mut self, current: Current) -> Decision {
        let active_rank = self.config.rank(&current.active).unwrap_or(0);
        let candidates: Vec<RegionHealth> = self.regions[..active_rank]
            .iter()
            .filter(|h| h.health == Health::Healthy)
            .cloned()
            .collect();
        if candidates.is_empty() {
            if self.reasons.is_empty() {
                self.reasons.push(Reason::Steady {
                    region: current.active.clone(),
                });
            }
            return self.stay(current);
        }
        if self.config.failback.mode == FailbackMode::Manual || current.state.hold_failback {
            self.reasons.push(Reason::AwaitingOperator {
                region: candidates[0].region.clone(),
                why: if current.state.hold_failback {
                    "an operator moved traffic; failback waits for `failback` or `resume`".into()
                } else {
                    "failback.mode is manual".into()
                },
            });
            return self.stay(current);
        }
        let stable_for = self.config.failback.stable_for_secs;
        let dwell_until = current
            .state
            .last_transition_at
            .map(|t| t.saturating_add(self.config.failback.min_dwell_secs));
        let mut target = None;
        for h in &candidates {
            self.push_target_evidence(h);
            if let Some(guard) = &h.blocking_guard {
                self.reasons.push(Reason::GuardBlocked {
                    region: h.region.clone(),
                    guard: guard.clone(),
                });
                continue;
            }
            match h
                .healthy_since
                .map(|since| since.saturating_add(stable_for))
            {
                Some(ready_at) if ready_at <= self.now => {
                    target = Some(h.region.clone());
                    break;
                }
                ready_at => {
                    self.reasons.push(Reason::FailbackPending {
                        region: h.region.clone(),
                        // Eligible once it is stable *and* the dwell time has passed.
                        eligible_at: ready_at.map(|r| dwell_until.map_or(r, |d| r.max(d))),
                        why: match ready_at {
                            Some(_) => format!("not yet healthy for {stable_for} s"),
                            // Failback is never urgent: with no history, wait.
                            None if h.row == EvidenceRow::ProbeHealthyOnly => concat!(
                                "it is healthy now by the watcher's probe alone, which has no ",
                                "history; failback is never urgent: with no history, wait"
                            )
                            .into(),
                            None => "when it became healthy is not known".into(),
                        },
                    });
                }
            }
        }
        let Some(target) = target else {
            return self.stay(current);
        };
        if let Some(until) = dwell_until.filter(|until| *until > self.now) {
            self.reasons.push(Reason::FailbackPending {
                region: target,
                eligible_at: Some(until),
                why: format!(
                    "the last transition was less than {} s ago",
                    self.config.failback.min_dwell_secs
                ),
            });
            return self.stay(current);
        }
        self.reasons.push(Reason::FailbackReady {
            region: target.clone(),
        });
        self.automatic_move(current, TransitionKind::Failback, target)
    }

    /// Rule 6, then the transition.
    fn automatic_move(mut self, current: Current, kind: TransitionKind, to: String) -> Decision {
        let recent = flips_in_damping_window(&current.state, self.now);
        let limit = self.config.failback.max_flips_per_hour;
        if recent.len() >= limit as usize {
            // Possible again once all but `limit - 1` flips have left the window (there
            // can be more than `limit` of them after the limit was lowered).
            let must_leave = recent[recent.len() - limit as usize];
            self.reasons.push(Reason::Damped {
                flips: recent.len() as u32,
                limit,
                eligible_at: must_leave.saturating_add(DAMPING_WINDOW_SECS),
            });
            return self.stay(current);
        }
        self.transition(current, kind, to, true)
    }

    /// No routing change. Gates are still republished (gate mode) and a corrupt state is
    /// rewritten.
    fn stay(self, current: Current) -> Decision {
        let next = current.repair.then(|| EngineState {
            sequence: current.state.sequence.saturating_add(1),
            ..current.state.clone()
        });
        let outcome = if next.is_some() {
            Outcome::StateOnly
        } else {
            Outcome::NoChange
        };
        let active = current.active.clone();
        let plan = self.plan(&current, &active, next);
        self.finish(outcome, Some(active), Some(plan))
    }

    /// Rule 7: whether the duty rule leaves an automatic transition to another region's
    /// watcher, and if so the reason.
    fn not_on_duty(&self) -> Option<Reason> {
        let Trigger::WatcherTick { region } = self.trigger else {
            return None;
        };
        if self.config.mode != Mode::HealthGate {
            // The compare-and-swap on the state record already lets exactly one writer win.
            return None;
        }
        let duty = duty_region(&self.regions)?;
        (duty != region).then(|| Reason::NotOnDuty {
            region: region.to_string(),
            duty: duty.to_string(),
        })
    }

    fn transition(
        mut self,
        current: Current,
        kind: TransitionKind,
        to: String,
        automatic: bool,
    ) -> Decision {
        let now = self.now;
        let from = current.active.clone();
        self.reasons.push(Reason::Moving {
            from: from.clone(),
            to: to.clone(),
        });
        let not_on_duty = if automatic { self.not_on_duty() } else { None };
        if let Some(not_on_duty) = not_on_duty {
            // The duty watcher carries the move out; this one keeps the gates of the
            // current routing and writes no state, not even a repair.
            self.reasons.push(not_on_duty);
            let gates = gates_for(self.config, &from, &self.regions);
            return self.finish(
                Outcome::NoChange,
                Some(from),
                Some(Plan::Gates { gates, state: None }),
            );
        }
        let old = &current.state;
        let home = self.config.home().name.clone();
        let mut recent_flips = flips_in_damping_window(old, now);
        if automatic {
            recent_flips.push(now);
            // Kept in time order even when an earlier flip was stamped by a clock ahead
            // of ours: the state record refuses flips out of order.
            recent_flips.sort_unstable();
        }
        let next = EngineState {
            sequence: old.sequence.saturating_add(1),
            active: to.clone(),
            last_transition_at: Some(now),
            away_since: if to == home {
                None
            } else if from == home || old.away_since.is_none() {
                Some(now)
            } else {
                old.away_since
            },
            recent_flips,
            paused: old.paused,
            hold_failback: match kind {
                TransitionKind::Manual => to != home,
                // Once traffic is home there is no failback left to hold.
                _ => old.hold_failback && to != home,
            },
        };
        let event = TransitionEvent {
            kind,
            from: from.clone(),
            to: to.clone(),
            reasons: self.reasons.iter().map(ToString::to_string).collect(),
            decided_at: now,
            sequence: next.sequence,
            time_in_previous_state_secs: old.last_transition_at.map(|t| now.saturating_sub(t)),
            time_in_failover_secs: (to == home)
                .then_some(old.away_since)
                .flatten()
                .map(|t| now.saturating_sub(t)),
        };
        let plan = self.plan(&current, &to, Some(next));
        let mut decision = self.finish(
            Outcome::Transition { kind, from, to },
            Some(current.active),
            Some(plan),
        );
        decision.event = Some(event);
        decision
    }

    /// The plan that routes on `active` and persists `next` (if any).
    fn plan(&self, current: &Current, active: &str, next: Option<EngineState>) -> Plan {
        let read = AsRead {
            routed: current.routed.as_deref(),
            state_record: self.observations.state.record(),
        };
        plan_for(self.config, &self.regions, &read, active, next)
    }

    fn finish(self, outcome: Outcome, active: Option<String>, plan: Option<Plan>) -> Decision {
        debug_assert!(!self.reasons.is_empty(), "every decision carries a reason");
        Decision {
            outcome,
            reasons: self.reasons,
            active,
            regions: self.regions,
            plan: plan.unwrap_or(Plan::Nothing),
            event: None,
        }
    }

    // ---------------------------------------------------------------- operator commands

    fn command(mut self, command: &Command) -> Decision {
        let Some(current) = self.current() else {
            self.reasons.push(Reason::Refused {
                why: "routing state is not known; fix what the reasons above say first".into(),
            });
            return self.finish(Outcome::Refused, None, None);
        };
        match command {
            Command::Pause | Command::Resume => {
                let pause = matches!(command, Command::Pause);
                let changes_something = if pause {
                    !current.state.paused
                } else {
                    current.state.paused || current.state.hold_failback
                };
                if !changes_something {
                    self.reasons.push(Reason::Refused {
                        why: format!(
                            "automation is already {}",
                            if pause { "paused" } else { "running" }
                        ),
                    });
                    return self.refuse(current);
                }
                self.reasons.push(if pause {
                    Reason::Paused
                } else {
                    Reason::Resumed
                });
                let next = EngineState {
                    sequence: current.state.sequence.saturating_add(1),
                    paused: pause,
                    hold_failback: if pause {
                        current.state.hold_failback
                    } else {
                        false
                    },
                    ..current.state.clone()
                };
                let active = current.active.clone();
                let plan = self.plan(&current, &active, Some(next));
                self.finish(Outcome::StateOnly, Some(active), Some(plan))
            }
            Command::FailoverTo { region, force } => {
                if self.config.region(region).is_none() {
                    let known: Vec<&str> = self
                        .config
                        .regions
                        .iter()
                        .map(|r| r.name.as_str())
                        .collect();
                    self.reasons.push(Reason::Refused {
                        why: format!(
                            "{region} is not a configured region (configured: {})",
                            known.join(", ")
                        ),
                    });
                    return self.refuse(current);
                }
                self.operator_move(current, region.clone(), *force)
            }
            Command::Failback { force } => {
                // Failback moves toward home: only regions preferred above the active
                // one qualify, so "failback" can never send traffic further away.
                let active_rank = self.config.rank(&current.active).unwrap_or(0);
                let target = if *force {
                    Some(self.config.home().name.clone())
                } else {
                    let above: Vec<String> = self.regions[..active_rank]
                        .iter()
                        .map(|h| h.region.clone())
                        .collect();
                    self.first_healthy(|h| above.contains(&h.region))
                        .map(|h| h.region)
                };
                match target {
                    None if active_rank == 0 => {
                        self.reasons.push(Reason::Refused {
                            why: format!("traffic is already home, on {}", current.active),
                        });
                        self.refuse(current)
                    }
                    None => {
                        self.reasons.push(Reason::NoHealthyTarget);
                        self.reasons.push(Reason::Refused {
                            why: format!(
                                "no region preferred above {} is known healthy; use --force to go home anyway",
                                current.active
                            ),
                        });
                        self.refuse(current)
                    }
                    Some(target) => self.operator_move(current, target, *force),
                }
            }
        }
    }

    /// An operator move to `to`, through the health and guard rules unless forced.
    fn operator_move(mut self, current: Current, to: String, force: bool) -> Decision {
        if to == current.active {
            self.reasons.push(Reason::Refused {
                why: format!("traffic is already on {to}"),
            });
            return self.refuse(current);
        }
        let target = self.health(&to);
        // Leaving a region is judged by its verdict as the active region.
        let from_health = self.health(&current.active).as_active.health;
        if force {
            self.reasons.push(Reason::Forced {
                region: to.clone(),
                health: target.health,
            });
        } else {
            if target.health != Health::Healthy {
                self.reasons.push(Reason::Refused {
                    why: format!(
                        "{to} is not known healthy ({}); use --force to move anyway",
                        if target.evidence.is_empty() {
                            "no signals".to_string()
                        } else {
                            target.evidence.join("; ")
                        }
                    ),
                });
                return self.refuse(current);
            }
            // Guards bind when leaving a healthy (or unknown) region, and when the
            // configuration says they bind on failover too.
            let guards_bind =
                from_health != Health::Unhealthy || self.config.failover_respects_guards;
            if let (Some(guard), true) = (&target.blocking_guard, guards_bind) {
                self.reasons.push(Reason::GuardBlocked {
                    region: to.clone(),
                    guard: guard.clone(),
                });
                self.reasons.push(Reason::Refused {
                    why: format!("guard {guard} of {to} is not OK; use --force to move anyway"),
                });
                return self.refuse(current);
            }
        }
        if target.health == Health::Healthy {
            self.push_target_evidence(&target);
        }
        self.reasons
            .push(Reason::OperatorRequest { region: to.clone() });
        self.transition(current, TransitionKind::Manual, to, false)
    }

    /// A refused command writes nothing, not even a state repair: refusing must leave
    /// everything as it was.
    fn refuse(self, current: Current) -> Decision {
        self.finish(Outcome::Refused, Some(current.active), None)
    }
}
