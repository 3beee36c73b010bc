//! The decision engine: observations in, a decision with its reasons, a change plan and
//! an event record out. Pure and deterministic: the same inputs always give the same
//! decision, and no clock, network or randomness is consulted.
//!
//! The rules, in the order they are applied (ARCHITECTURE.md lists where each is tested):
//!
//! | # | situation                                          | decision                          |
//! |---|----------------------------------------------------|-----------------------------------|
//! | 1 | routing or state unreadable, missing, unrecognised | no change, nothing written (not a |
//! |   |                                                    | gate either); say which           |
//! | 1a| state that cannot be trusted: it does not parse    | no change, nothing written, never |
//! |   | (an unknown version, a field added by hand,        | rewritten (`StateCorrupt`): whether|
//! |   | garbage; in gate mode, a copy not known older than | automation is paused is not known;|
//! |   | the newest valid one) or names a region this       | only an operator command replaces |
//! |   | configuration does not know                        | it (1c)                           |
//! | 1b| `records`: a failover record under the name and    | no change, not even forced: never |
//! |   | type with a set identifier regionflip does not own | touched (`PairDrift`, by hand)    |
//! | 1c| an operator command on a state that is corrupt,    | acts: writes a fresh state whose  |
//! |   | missing or unreadable, or with routing that cannot | sequence is above any seen —      |
//! |   | be read (where traffic is: DNS, else the state,    | `max(now, highest legible + 1)`,  |
//! |   | else the region legible in it)                     | the clock being the floor — and   |
//! |   |                                                    | which stays paused unless `resume`|
//! |   |                                                    | when the old pause flag could not |
//! |   |                                                    | be read (`StateReplaced`). Pause, |
//! |   |                                                    | resume and unforced moves need to |
//! |   |                                                    | know where traffic is (else       |
//! |   |                                                    | refused: use `--force`); a forced |
//! |   |                                                    | move always acts (`Forced` says   |
//! |   |                                                    | what it overrode)                 |
//! | 2 | automation paused (no operator command)            | no change (`Paused`); a drifted   |
//! |   |                                                    | pair waits for `resume`           |
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
//! | 3c| … the flips of the last hour reach                 | fail over all the same, counted   |
//! |   | `max_flips_per_hour`                               | (`DampingOverridden`): damping    |
//! |   |                                                    | never keeps traffic on a region   |
//! |   |                                                    | known unhealthy while one is known|
//! |   |                                                    | healthy. Against ping-pong the    |
//! |   |                                                    | target is then the healthy one    |
//! |   |                                                    | healthy for longest (earliest     |
//! |   |                                                    | "since"; unknown since counts as  |
//! |   |                                                    | now), ties in preference order    |
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
//! | 5a| … a more preferred candidate will be eligible      | wait for it (`FailbackPending`),  |
//! |   | within the horizon, `max(failback.horizon_secs,    | never a move to a less preferred  |
//! |   | min_dwell_secs)`                                   | one first: no avoidable double hop|
//! | 6 | an automatic failback would exceed                 | no change (`Damped`)              |
//! |   | `max_flips_per_hour` in the rolling hour           |                                   |
//! | 7 | `health-gate` mode, woken by a watcher's tick      | no change (`NotOnDuty`): keep the |
//! |   | ([`Trigger::WatcherTick`]), and that watcher's     | current routing's gates, write no |
//! |   | region is not the [duty region](duty_region)       | state; the duty region's watcher  |
//! |   |                                                    | carries the transition out        |
//! | 8 | `records`: the failover pair differs from what     | repair it in the compare-and-swap |
//! |   | regionflip writes for the active region (target,   | batch of a new state, with the    |
//! |   | role, TTL, alias zone, health check; SECONDARY     | transition if there is one, else  |
//! |   | missing, on the active region or on none)          | `StateOnly` (`PairDrift`)         |
//! | 9 | otherwise                                          | no change (`Steady`)              |
//!
//! Each region has two verdicts (`observe.rs`'s evidence table): *as a target* (may
//! traffic move onto it: [`RegionHealth::health`], read by rules 3, 5, the duty rule and
//! the gates) and *as the active region* (must traffic leave it:
//! [`RegionHealth::as_active`], read by rules 3 and 4). Which region is active decides
//! what an alarm without data means, so the regions are assessed knowing it: the region
//! the PRIMARY record points at (`records`), else the one the valid state names.
//!
//! Why rule 5a's horizon is never below `min_dwell_secs`: a move to a less preferred
//! region now holds traffic there for `min_dwell_secs`, so when the more preferred one is
//! eligible within that time, waiting for it reaches it no later than the double hop
//! would, with one move instead of two. A longer `failback.horizon_secs` trades time on
//! the region traffic is on for fewer moves.
//!
//! Operator commands (failover to a region, failback, pause, resume) go through the same
//! health and guard checks unless forced, and are never damped nor left to the duty
//! watcher. A forced move is the last resort: it acts on any state (1c), says what it
//! overrode (`Forced`), and refuses only to touch a record regionflip does not own (1b).

mod service;

pub use service::region_flips_in_window;

use serde::Serialize;

use crate::config::{Config, FailbackMode, Mode};
use crate::event::{TransitionEvent, TransitionKind};
use crate::health::{EvidenceRow, Health, RegionHealth};
use crate::observe::{Observations, RoutingObservation, StateObservation, assess_serving};
use crate::plan::{AsRead, Plan, gates_for, plan_for, standby_for};
use crate::reason::{DriftRepair, Reason};
use crate::records::{
    FailoverRole, PairDrift, foreign_failover_records, pair_drift, region_of_record,
};
use crate::state::EngineState;

/// The `from` of a transition an operator forced when where traffic was could not be
/// known: gate mode with no state naming a region, or `records` mode with the routing
/// unreadable and no valid state. The decision's `active` is then `None`.
pub const UNKNOWN_REGION: &str = "unknown";

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
    /// Active-active routing: take `region` out of service (close its gate).
    Evacuate {
        /// The region.
        region: String,
        /// Skip the health checks of the regions left in service (never
        /// `min_in_service`).
        force: bool,
    },
    /// Active-active routing: return `region` to service (open its gate).
    Restore {
        /// The region.
        region: String,
        /// Skip its health and guard checks.
        force: bool,
    },
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

    /// The drift of the failover pair this decision found (`records` mode), one reason
    /// per record and field, each saying whether this pass repairs it: what a metric
    /// counts and `status` lists.
    pub fn pair_drift(&self) -> Vec<&Reason> {
        self.reasons
            .iter()
            .filter(|r| matches!(r, Reason::PairDrift { .. }))
            .collect()
    }

    /// Whether automation is paused once this decision is carried out: the state it
    /// writes, else the state it read; `None` when the state could not be followed
    /// (missing, unreadable, corrupt), so nothing is known of a pause.
    pub fn paused(&self) -> Option<bool> {
        if let Some(state) = self.plan.new_state() {
            return Some(state.paused);
        }
        let mut known = Some(false);
        for reason in &self.reasons {
            match reason {
                Reason::Paused => return Some(true),
                Reason::StateUnreadable { .. }
                | Reason::StateCorrupt { .. }
                | Reason::NotInitialised { .. } => known = None,
                _ => {}
            }
        }
        known
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
    /// The periodic tick of the watcher running in `region`. Every region's watcher
    /// ticks once a minute, though not together: EventBridge fires a `rate()` schedule
    /// "within that minute" from when the rule was created, so their readings may be up
    /// to a minute apart. In `health-gate` mode, which has no compare-and-swap, only the
    /// [duty region](duty_region)'s watcher carries out an automatic transition on a
    /// tick; two watchers that judged duty from different readings (or a tick and an
    /// alarm event) may still both write the same sequence, and the state copies then
    /// resolve the same way for every reader
    /// ([`StateObservation::from_copies`]).
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

/// Readiness: if any region serving now failed, would routing have somewhere to go?
/// `serving` is the regions routing is on: the active region (failover routing) or the
/// regions in service (active-active); `healthy` whether a region is known healthy as a
/// target now. What the `FailoverTargetReady` metric publishes
/// and `regionflip doctor`'s `target-ready` check judges, from health a pass already read.
///
/// | routing       | ready when, for every region R serving                              |
/// |---------------|---------------------------------------------------------------------|
/// | failover      | a region other than R is known healthy (a failover target)          |
/// | active-active | a region out of service is known healthy (it returns first, S3), or |
/// |               | another region in service is, with room above `min_in_service`      |
/// |               | (S1a, S1b)                                                          |
///
/// Nothing serving known: not ready. Tested in `tests/active_active.rs`
/// (`readiness_rows`) and by the watcher's and the doctor's tests of the metric and check.
pub fn target_ready(config: &Config, serving: &[&str], healthy: impl Fn(&str) -> bool) -> bool {
    let room = serving.len() > config.min_in_service as usize;
    !serving.is_empty()
        && serving.iter().all(|leaving| {
            config
                .regions
                .iter()
                .filter(|r| healthy(&r.name))
                .any(|r| !serving.contains(&r.name.as_str()) || (r.name != *leaving && room))
        })
}

/// The region that serves traffic, as far as the readings tell before the rules run: the
/// region the PRIMARY record points at (`records` mode; DNS is what users get), else the
/// one a valid state names. `None` when neither is known (`assess_serving` says what then).
fn serving_region<'c>(config: &'c Config, observations: &Observations) -> Option<&'c str> {
    let routed = match &observations.routing {
        RoutingObservation::Records(records) => records
            .iter()
            .find(|r| r.failover == Some(FailoverRole::Primary) && r.name == config.record_name)
            .and_then(|primary| region_of_record(config, primary)),
        RoutingObservation::Gates | RoutingObservation::Unreadable(_) => None,
    };
    let recorded = match &observations.state {
        StateObservation::Valid { state, .. } => config.region(&state.active),
        _ => None,
    };
    routed.or(recorded).map(|r| r.name.as_str())
}

/// The regions that serve traffic, as far as the readings tell: with failover routing
/// the [serving region](serving_region); with active-active routing every region the
/// valid state keeps in service (every region when no state says: init opens every
/// gate). Their alarms are judged as an active region's, which have data.
fn serving_regions<'c>(config: &'c Config, observations: &Observations) -> Vec<&'c str> {
    if !config.routing.is_active_active() {
        return serving_region(config, observations).into_iter().collect();
    }
    let state = match &observations.state {
        StateObservation::Valid { state, .. } => Some(state),
        _ => None,
    };
    config
        .regions
        .iter()
        .filter(|r| state.is_none_or(|s| s.in_service(&r.name)))
        .map(|r| r.name.as_str())
        .collect()
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

/// Why a state is being replaced by an operator command instead of followed (rule 1c).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Replaced {
    /// It did not parse, or named a region this configuration does not know.
    Corrupt,
    /// There was none.
    Missing,
    /// It could not be read.
    Unreadable,
}

impl Replaced {
    fn what(self) -> &'static str {
        match self {
            Replaced::Corrupt => "a state that could not be trusted",
            Replaced::Missing => "a missing state",
            Replaced::Unreadable => "a state that could not be read",
        }
    }

    /// Whether the replaced state may have said "paused" without this pass knowing: a
    /// fresh state then stays paused (unless the command is `resume`), so an operator's
    /// pause is never lost. A missing state had no pause to lose.
    fn pause_unknown(self) -> bool {
        self != Replaced::Missing
    }
}

/// Where routing is and what state goes with it, once both were read.
struct Current {
    /// The region traffic is on. [`UNKNOWN_REGION`] only for an operator command on a
    /// state naming no region, with nothing else telling (rule 1c).
    active: String,
    /// The region the PRIMARY record points at (`records` mode), read once by
    /// [`Pass::current`]: a plan rewrites the failover pair when it differs.
    routed: Option<String>,
    /// The state read, or, when `replacing`, the fresh state an operator command writes.
    state: EngineState,
    /// The state must be rewritten even without a transition (DNS routes elsewhere than
    /// it remembers).
    repair: bool,
    /// An operator command replaces a state that was not followed (rule 1c); `state` is
    /// the fresh one, its sequence already above any seen.
    replacing: Option<Replaced>,
    /// `records` mode: how the failover pair differs from what regionflip writes for
    /// `active` (rule 8).
    drift: Vec<PairDrift>,
    /// Whether `state.paused` was read from the stored state, rather than set for want
    /// of it (rule 1c).
    pause_read: bool,
}

impl Current {
    /// The region traffic is on, when known.
    fn known_active(&self) -> Option<String> {
        (self.active != UNKNOWN_REGION).then(|| self.active.clone())
    }

    /// The sequence of the next state written.
    fn next_sequence(&self) -> u64 {
        match self.replacing {
            Some(_) => self.state.sequence,
            None => self.state.sequence.saturating_add(1),
        }
    }
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
            regions: assess_serving(config, observations, &serving_regions(config, observations)),
            reasons: Vec::new(),
        }
    }

    /// The assessment of `region`.
    ///
    /// The lookup cannot fail for a configured region: `assess_serving` assesses every
    /// configured region, and the engine only asks about configured ones (`current`
    /// names a region the PRIMARY record, the state or the assessments point at, each
    /// checked against the configuration; commands refuse an unconfigured target before
    /// asking) — or about [`UNKNOWN_REGION`]. Then the region is of unknown health —
    /// never another region's — and unknown health never moves traffic by itself.
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
        let Some(current) = self.current(false) else {
            return self.finish(Outcome::NoChange, None, None);
        };
        if current.state.paused {
            self.reasons.push(Reason::Paused);
            return self.stay(current);
        }
        if self.config.routing.is_active_active() {
            return self.service_pass(current);
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
                // Rule 3c: damping never holds this move, but once the budget is spent
                // the target is the one healthy for longest, against ping-pong.
                let flips = flips_in_damping_window(&current.state, self.now).len();
                let limit = self.config.failback.max_flips_per_hour;
                let over_budget = flips >= limit as usize;
                let guards_bind = self.config.failover_respects_guards;
                match self.failover_target(&active, guards_bind, over_budget) {
                    Some(target) => {
                        if over_budget {
                            self.reasons.push(Reason::DampingOverridden {
                                flips: flips as u32,
                                limit,
                                from: active,
                                to: target.clone(),
                            });
                        }
                        self.transition(current, TransitionKind::Failover, target, true)
                    }
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

    /// Rule 1: reads where traffic is, refusing to act automatically on anything it
    /// cannot trust. For an operator command (`for_command`) it goes on where it can
    /// (rule 1c): a state that is corrupt, missing or unreadable is replaced by a fresh
    /// one, and routing that cannot be read leaves where traffic is to what the state
    /// says — or unknown. `None` only when nothing may be done at all.
    fn current(&mut self, for_command: bool) -> Option<Current> {
        // The state, and what can be known from it when it cannot be followed.
        let mut seen_sequence = None;
        let mut legible_active = None;
        // The pause flag of a state that parses but is not followed can still be read.
        let mut known_paused = None;
        let (trusted, replacing) = match &self.observations.state {
            StateObservation::Valid { state, .. }
                if self.config.region(&state.active).is_some() =>
            {
                (Some(state.clone()), None)
            }
            StateObservation::Valid { state, .. } => {
                // Written under another configuration (a rolling deploy that adds a
                // region?): its pause flag reads, but in gate mode where traffic is
                // would be a guess, so it is not followed either.
                self.reasons.push(Reason::StateCorrupt {
                    error: format!(
                        "it names region {:?}, which is not configured",
                        state.active
                    ),
                });
                seen_sequence = Some(state.sequence);
                known_paused = Some(state.paused);
                (None, Some(Replaced::Corrupt))
            }
            StateObservation::Corrupt { error, legible, .. } => {
                self.reasons.push(Reason::StateCorrupt {
                    error: error.clone(),
                });
                seen_sequence = legible.sequence;
                legible_active = legible
                    .active
                    .as_deref()
                    .and_then(|a| self.config.region(a))
                    .map(|r| r.name.clone());
                (None, Some(Replaced::Corrupt))
            }
            StateObservation::Missing => {
                self.reasons.push(Reason::NotInitialised {
                    what: "the state record".into(),
                });
                (None, Some(Replaced::Missing))
            }
            StateObservation::Unreadable(why) => {
                self.reasons
                    .push(Reason::StateUnreadable { why: why.clone() });
                (None, Some(Replaced::Unreadable))
            }
        };
        if replacing.is_some() && !for_command {
            // Rule 1a: automation stops; only an operator command replaces the state.
            return None;
        }

        // Where DNS routes (`records` mode).
        let mut routing_known = true;
        let routed = match &self.observations.routing {
            RoutingObservation::Unreadable(why) => {
                self.reasons
                    .push(Reason::RoutingUnreadable { why: why.clone() });
                routing_known = false;
                None
            }
            RoutingObservation::Gates => None,
            RoutingObservation::Records(records) => {
                let foreign = foreign_failover_records(self.config, records);
                if !foreign.is_empty() {
                    // Rule 1b: Route 53 answers that record like the pair, and an UPSERT
                    // of the pair would collide with it; not even a forced command acts.
                    for record in foreign {
                        let role = record.failover.unwrap_or(FailoverRole::Primary);
                        self.reasons.push(Reason::PairDrift {
                            record: role.as_str().into(),
                            field: "set identifier".into(),
                            found: format!(
                                "{:?} (a record regionflip does not own)",
                                record.set_identifier.as_deref().unwrap_or("")
                            ),
                            wanted: role.set_identifier().into(),
                            repair: DriftRepair::ByHand,
                        });
                    }
                    return None;
                }
                // The application's own record says where DNS routes; the others are
                // judged against it (drift, rule 8).
                let primary = records.iter().find(|r| {
                    r.failover == Some(FailoverRole::Primary) && r.name == self.config.record_name
                });
                match primary.map(|p| (p, region_of_record(self.config, p))) {
                    None => {
                        self.reasons.push(Reason::NotInitialised {
                            what: "the PRIMARY failover record".into(),
                        });
                        routing_known = false;
                        None
                    }
                    Some((_, Some(region))) => Some(region.name.clone()),
                    Some((primary, None)) => {
                        self.reasons.push(Reason::RoutingUnrecognised {
                            record: primary.target().unwrap_or_default().to_string(),
                        });
                        routing_known = false;
                        None
                    }
                }
            }
        };
        if !routing_known && !for_command {
            return None;
        }

        // Where traffic is: DNS is what users get; the state only remembers.
        let recorded = trusted.as_ref().map(|s| s.active.clone());
        let active = match (routed.clone(), recorded) {
            (Some(routed), Some(recorded)) if routed != recorded => {
                self.reasons.push(Reason::RoutingDiffersFromState {
                    routed: routed.clone(),
                    recorded,
                });
                Some(routed)
            }
            (Some(routed), _) => Some(routed),
            (None, Some(recorded)) => Some(recorded),
            // Only an operator command gets here: in gate mode the gates most likely
            // route where the unreadable state says (if it names a region at all).
            (None, None) => legible_active,
        };
        let (state, repair) = match trusted {
            Some(state) => {
                let active = active.clone().unwrap_or_else(|| state.active.clone());
                let repair = state.active != active;
                (EngineState { active, ..state }, repair)
            }
            None => {
                let pause_unknown = replacing.is_some_and(Replaced::pause_unknown);
                let home = self.config.home().name.clone();
                let state = EngineState {
                    sequence: self.fresh_sequence(seen_sequence),
                    paused: known_paused.unwrap_or(pause_unknown),
                    ..EngineState::initial(active.as_deref().unwrap_or(&home))
                };
                (state, false)
            }
        };
        let pause_read = replacing.is_none() || known_paused.is_some();
        let active = active.unwrap_or_else(|| UNKNOWN_REGION.to_string());
        let drift = match (&self.observations.routing, &routed) {
            (RoutingObservation::Records(records), Some(routed)) => {
                let on = self.config.region(routed).unwrap_or(self.config.home());
                let standby = standby_for(self.config, routed, &self.regions);
                pair_drift(self.config, records, on, standby)
            }
            _ => Vec::new(),
        };
        Some(Current {
            active,
            routed,
            state,
            repair,
            replacing,
            drift,
            pause_read,
        })
    }

    /// The sequence of a fresh state replacing one that could not be followed (rule
    /// 1c): above every sequence seen in it (`seen`), and never below the clock — the
    /// documented floor when none is legible: a sequence counts one per write from 0, so
    /// the clock in Unix seconds is far above any regionflip reached, and above any
    /// earlier floor. One below the maximum at most: a state at `u64::MAX` reads as
    /// corrupt.
    fn fresh_sequence(&self, seen: Option<u64>) -> u64 {
        seen.map_or(0, |s| s.saturating_add(1))
            .max(self.now)
            .min(u64::MAX - 1)
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
    /// target — in preference order, or, with `longest_first` (rule 3c), the one healthy
    /// for longest (an unknown "since" counting as now), ties in preference order —
    /// saying what evidence it rests on when that is less than the full set.
    fn failover_target(
        &mut self,
        active: &str,
        guards_bind: bool,
        longest_first: bool,
    ) -> Option<String> {
        let mut candidates: Vec<&RegionHealth> = self
            .regions
            .iter()
            .filter(|h| h.region != active && h.health == Health::Healthy)
            .collect();
        if longest_first {
            // A stable sort: equal "since" keeps preference order.
            let now = self.now;
            candidates.sort_by_key(|h| h.healthy_since.unwrap_or(now));
        }
        let mut target = None;
        let mut blocked = Vec::new();
        for h in candidates {
            match (&h.blocking_guard, guards_bind) {
                (Some(guard), true) => blocked.push(Reason::GuardBlocked {
                    region: h.region.clone(),
                    guard: guard.clone(),
                }),
                _ => {
                    target = Some(h.clone());
                    break;
                }
            }
        }
        self.reasons.extend(blocked);
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

    /// Rule 5: failback toward a more preferred region, and rule 5a: never by way of a
    /// less preferred one when a more preferred one is eligible within the horizon.
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
        if self.awaits_operator(
            &current,
            &candidates[0].region,
            "an operator moved traffic; failback waits for `failback` or `resume`",
            "failback.mode is manual",
        ) {
            return self.stay(current);
        }
        let policy = &self.config.failback;
        let (stable_for, min_dwell) = (policy.stable_for_secs, policy.min_dwell_secs);
        let horizon = policy.horizon_secs.max(min_dwell);
        let dwell_until = current
            .state
            .last_transition_at
            .map(|t| t.saturating_add(min_dwell));
        let mut target = None;
        for (i, h) in candidates.iter().enumerate() {
            self.push_target_evidence(h);
            if let Some(guard) = &h.blocking_guard {
                self.reasons.push(Reason::GuardBlocked {
                    region: h.region.clone(),
                    guard: guard.clone(),
                });
                continue;
            }
            let Some(ready_at) = h
                .healthy_since
                .map(|since| since.saturating_add(stable_for))
            else {
                self.reasons.push(Reason::FailbackPending {
                    region: h.region.clone(),
                    eligible_at: None,
                    // Failback is never urgent: with no history, wait.
                    why: if h.row == EvidenceRow::ProbeHealthyOnly {
                        concat!(
                            "it is healthy now by the watcher's probe alone, which has no ",
                            "history; failback is never urgent: with no history, wait"
                        )
                        .into()
                    } else {
                        "when it became healthy is not known".into()
                    },
                });
                continue;
            };
            // Eligible once it is stable *and* the dwell time has passed.
            let eligible_at = dwell_until.map_or(ready_at, |d| ready_at.max(d));
            if eligible_at <= self.now {
                target = Some(h.region.clone());
                break;
            }
            let mut why = if dwell_until.is_some_and(|d| d > ready_at) {
                format!("the last transition was less than {min_dwell} s ago")
            } else {
                format!("not yet healthy for {stable_for} s")
            };
            let within_horizon = eligible_at <= self.now.saturating_add(horizon);
            // A less preferred candidate that could take traffic now.
            let detour = candidates[i + 1..].iter().any(|c| {
                c.blocking_guard.is_none()
                    && c.healthy_since.is_some_and(|since| {
                        let ready = since.saturating_add(stable_for);
                        dwell_until.map_or(ready, |d| ready.max(d)) <= self.now
                    })
            });
            if within_horizon && detour {
                why.push_str(&format!(
                    "; it is eligible within {horizon} s, so traffic waits for it rather than moving to a less preferred region first (two moves)"
                ));
            }
            self.reasons.push(Reason::FailbackPending {
                region: h.region.clone(),
                eligible_at: Some(eligible_at),
                why,
            });
            if within_horizon {
                // Rule 5a: wait for it; no less preferred region is considered.
                return self.stay(current);
            }
        }
        let Some(target) = target else {
            return self.stay(current);
        };
        self.reasons.push(Reason::FailbackReady {
            region: target.clone(),
        });
        self.automatic_move(current, TransitionKind::Failback, target)
    }

    /// Rule 6 for a failback (an optional move), then the transition.
    fn automatic_move(mut self, current: Current, kind: TransitionKind, to: String) -> Decision {
        let recent = flips_in_damping_window(&current.state, self.now);
        let limit = self.config.failback.max_flips_per_hour;
        if recent.len() >= limit as usize {
            // Possible again once all but `limit - 1` flips have left the window (there
            // can be more than `limit` of them after the limit was lowered, or after
            // failovers that damping may not hold).
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

    /// The drift of the pair, said with what this pass does about it.
    /// Reports the pair's drift as repaired in this pass's batch, or on `resume`.
    /// Rule 5b, and S4's wait with active-active routing: an automatic return waits for
    /// an operator while an operator's hold stands (`held` says what lifts it) or with
    /// `failback.mode = "manual"` (`manual`); says so and returns true then.
    fn awaits_operator(
        &mut self,
        current: &Current,
        region: &str,
        held: &str,
        manual: &str,
    ) -> bool {
        let why = if current.state.hold_failback {
            held
        } else if self.config.failback.mode == FailbackMode::Manual {
            manual
        } else {
            return false;
        };
        self.reasons.push(Reason::AwaitingOperator {
            region: region.to_string(),
            why: why.into(),
        });
        true
    }

    fn report_drift_repaired_now_or_on_resume(&mut self, current: &Current, now: bool) {
        let repair = if now {
            DriftRepair::ThisPass
        } else {
            DriftRepair::WhenResumed
        };
        self.report_drift(current, repair);
    }

    fn report_drift(&mut self, current: &Current, repair: DriftRepair) {
        for drift in &current.drift {
            self.reasons.push(Reason::PairDrift {
                record: match &drift.name {
                    Some(name) => format!(
                        "{} of {}",
                        drift.record.as_str(),
                        name.trim_end_matches('.')
                    ),
                    None => drift.record.as_str().into(),
                },
                field: drift.field.into(),
                found: drift.found.clone(),
                wanted: drift.wanted.clone(),
                repair,
            });
        }
    }

    /// No routing change in an automatic pass. Gates are still republished (gate mode);
    /// a state that DNS contradicts is rewritten, and a drifted pair repaired unless
    /// automation is paused (rules 2 and 8).
    fn stay(mut self, current: Current) -> Decision {
        let repair_pair = !current.drift.is_empty() && !current.state.paused;
        self.report_drift_repaired_now_or_on_resume(&current, repair_pair);
        let next = (current.repair || repair_pair).then(|| EngineState {
            sequence: current.next_sequence(),
            ..current.state.clone()
        });
        let outcome = if next.is_some() {
            Outcome::StateOnly
        } else {
            Outcome::NoChange
        };
        let active = current.active.clone();
        let plan = self.plan(&active, &current.state, next, repair_pair);
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
        let not_on_duty = if automatic { self.not_on_duty() } else { None };
        if let Some(not_on_duty) = not_on_duty {
            // The duty watcher carries the move out; this one keeps the gates of the
            // current routing and writes no state, not even a repair.
            self.reasons.push(Reason::Moving {
                from: from.clone(),
                to: to.clone(),
            });
            self.reasons.push(not_on_duty);
            let gates = gates_for(self.config, &from, &self.regions);
            return self.finish(
                Outcome::NoChange,
                Some(from),
                Some(Plan::Gates { gates, state: None }),
            );
        }
        // The pair is rewritten for `to`, which repairs any drift with it.
        self.report_drift(&current, DriftRepair::ThisPass);
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
            sequence: current.next_sequence(),
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
            out_of_service: old.out_of_service.clone(),
            region_flips: old.region_flips.clone(),
        };
        if let Some(replaced) = current.replacing {
            self.reasons.push(Reason::StateReplaced {
                replaced: replaced.what().into(),
                sequence: next.sequence,
                kept_paused: next.paused && !current.pause_read,
            });
        }
        self.reasons.push(Reason::Moving {
            from: from.clone(),
            to: to.clone(),
        });
        let event = TransitionEvent {
            kind,
            from: from.clone(),
            to: to.clone(),
            service: None,
            reasons: self.reasons.iter().map(ToString::to_string).collect(),
            decided_at: now,
            sequence: next.sequence,
            time_in_previous_state_secs: old.last_transition_at.map(|t| now.saturating_sub(t)),
            time_in_failover_secs: (to == home)
                .then_some(old.away_since)
                .flatten()
                .map(|t| now.saturating_sub(t)),
        };
        let rewrite_pair = current.routed.as_deref() != Some(to.as_str());
        let plan = self.plan(&to, &current.state, Some(next), rewrite_pair);
        let mut decision = self.finish(
            Outcome::Transition { kind, from, to },
            current.known_active(),
            Some(plan),
        );
        decision.event = Some(event);
        decision
    }

    /// The plan that routes on `active` and persists `next` (if any); in `records` mode
    /// it rewrites the failover pair when `rewrite_pair`.
    fn plan(
        &self,
        active: &str,
        current: &EngineState,
        next: Option<EngineState>,
        rewrite_pair: bool,
    ) -> Plan {
        let read = AsRead {
            rewrite_pair,
            state_record: self.observations.state.record(),
        };
        plan_for(self.config, &self.regions, &read, active, current, next)
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
        let Some(current) = self.current(true) else {
            self.reasons.push(Reason::Refused {
                why: "routing state is not known; fix what the reasons above say first".into(),
            });
            return self.finish(Outcome::Refused, None, None);
        };
        if self.config.routing.is_active_active() {
            return self.service_command(current, command);
        }
        match command {
            Command::Pause | Command::Resume => self.pause_or_resume(current, command),
            Command::Evacuate { .. } | Command::Restore { .. } => {
                self.reasons.push(Reason::Refused {
                    why: "routing is \"failover\": one region serves at a time, so no region is evacuated or restored; use `regionflip failover REGION` or `regionflip failback`".into(),
                });
                self.refuse(current)
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
                // one qualify, so "failback" can never send traffic further away. With
                // where traffic is unknown, every region is above it.
                let active_rank = self
                    .config
                    .rank(&current.active)
                    .unwrap_or(self.regions.len());
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

    /// Pause or resume: a state-only write. On a state that could not be followed it
    /// replaces it (rule 1c), which needs to know where traffic is: in gate mode the
    /// state *is* the routing (the gates follow it), so a state written from nothing
    /// would pick the gates — a move, which only `failover`/`failback` name.
    fn pause_or_resume(mut self, current: Current, command: &Command) -> Decision {
        let pause = matches!(command, Command::Pause);
        let verb = if pause { "pause" } else { "resume" };
        let Some(active) = current.known_active() else {
            self.reasons.push(Reason::Refused {
                why: format!(
                    "where traffic is cannot be known (no state names a region, and no routing says), so a {verb} would have to guess which region the new state routes to; use `regionflip failover --force <region>`, which names it (and leaves automation paused)"
                ),
            });
            return self.refuse(current);
        };
        let changes_something = current.replacing.is_some()
            || if pause {
                !current.state.paused
            } else {
                current.state.paused || current.state.hold_failback
            };
        if !changes_something {
            // Idempotent: the operator's intent already holds. The pass goes on as any
            // other (gates republished, drift repaired while not paused).
            self.reasons.push(Reason::AlreadySo {
                state: if pause { "paused" } else { "running" }.into(),
            });
            return self.stay(current);
        }
        self.reasons.push(if pause {
            Reason::Paused
        } else {
            Reason::Resumed
        });
        let next = EngineState {
            sequence: current.next_sequence(),
            paused: pause,
            hold_failback: pause && current.state.hold_failback,
            ..current.state.clone()
        };
        if let Some(replaced) = current.replacing {
            self.reasons.push(Reason::StateReplaced {
                replaced: replaced.what().into(),
                sequence: next.sequence,
                // The command says what it wants.
                kept_paused: false,
            });
        }
        // Resuming hands routing back to the rules, which repair a drifted pair: in the
        // same batch. A pause leaves the records as they are (an operator may be at them).
        let repair_pair = !pause && !current.drift.is_empty();
        self.report_drift_repaired_now_or_on_resume(&current, repair_pair);
        let plan = self.plan(&active, &current.state, Some(next), repair_pair);
        self.finish(Outcome::StateOnly, Some(active), Some(plan))
    }

    /// An operator move to `to`, through the health and guard rules unless forced.
    fn operator_move(mut self, current: Current, to: String, force: bool) -> Decision {
        if to == current.active && current.replacing.is_none() {
            self.reasons.push(Reason::Refused {
                why: format!("traffic is already on {to}"),
            });
            return self.refuse(current);
        }
        let target = self.health(&to);
        // Leaving a region is judged by its verdict as the active region.
        let from_health = self.health(&current.active).as_active.health;
        // Guards bind when leaving a healthy (or unknown) region, and when the
        // configuration says they bind on failover too.
        let guards_bind = from_health != Health::Unhealthy || self.config.failover_respects_guards;
        let blocking_guard = target.blocking_guard.clone().filter(|_| guards_bind);
        if force {
            let mut overrode = Vec::new();
            if target.health != Health::Healthy {
                overrode.push(format!("{to} is not known healthy"));
            }
            if let Some(guard) = &blocking_guard {
                overrode.push(format!("guard {guard} of {to}"));
            }
            if let Some(replaced) = current.replacing {
                overrode.push(format!("{} (rule 1c)", replaced.what()));
            }
            if current.known_active().is_none() {
                overrode.push("where traffic was is not known".into());
            }
            self.reasons.push(Reason::Forced {
                region: to.clone(),
                health: target.health,
                overrode,
            });
        } else {
            if current.known_active().is_none() {
                self.reasons.push(Reason::Refused {
                    why: "where traffic is cannot be known (no state or routing names a region); use --force to move anyway".into(),
                });
                return self.refuse(current);
            }
            if self.target_refused(&target, blocking_guard.as_ref(), "move anyway") {
                return self.refuse(current);
            }
        }
        if target.health == Health::Healthy {
            self.push_target_evidence(&target);
        }
        self.reasons
            .push(Reason::OperatorRequest { region: to.clone() });
        if to == current.active {
            return self.replace_in_place(current);
        }
        self.transition(current, TransitionKind::Manual, to, false)
    }

    /// The checks of an unforced operator command on its target: known healthy, and no
    /// guard blocking (`guard`, when guards bind). Says why it is refused, if it is;
    /// `anyway` ends "use --force to …".
    fn target_refused(
        &mut self,
        target: &RegionHealth,
        guard: Option<&String>,
        anyway: &str,
    ) -> bool {
        let region = &target.region;
        if target.health != Health::Healthy {
            self.reasons.push(Reason::Refused {
                why: format!(
                    "{region} is not known healthy ({}); use --force to {anyway}",
                    if target.evidence.is_empty() {
                        "no signals".to_string()
                    } else {
                        target.evidence.join("; ")
                    }
                ),
            });
            return true;
        }
        if let Some(guard) = guard {
            self.reasons.push(Reason::GuardBlocked {
                region: region.clone(),
                guard: guard.clone(),
            });
            self.reasons.push(Reason::Refused {
                why: format!("guard {guard} of {region} is not OK; use --force to {anyway}"),
            });
            return true;
        }
        false
    }

    /// An operator move to where traffic already is, on a state that could not be
    /// followed: no move, but the state is replaced (rule 1c), as a manual move would
    /// write it.
    fn replace_in_place(mut self, current: Current) -> Decision {
        let home = self.config.home().name.clone();
        let active = current.active.clone();
        let next = EngineState {
            sequence: current.next_sequence(),
            hold_failback: active != home,
            away_since: (active != home).then_some(self.now),
            ..current.state.clone()
        };
        if let Some(replaced) = current.replacing {
            self.reasons.push(Reason::StateReplaced {
                replaced: replaced.what().into(),
                sequence: next.sequence,
                kept_paused: next.paused && !current.pause_read,
            });
        }
        self.report_drift(&current, DriftRepair::ThisPass);
        let repair_pair = !current.drift.is_empty();
        let plan = self.plan(&active, &current.state, Some(next), repair_pair);
        self.finish(Outcome::StateOnly, Some(active), Some(plan))
    }

    /// A refused command writes nothing, not even a state repair: refusing must leave
    /// everything as it was.
    fn refuse(mut self, current: Current) -> Decision {
        self.report_drift(&current, DriftRepair::NextPass);
        let active = current.known_active();
        self.finish(Outcome::Refused, active, None)
    }
}
