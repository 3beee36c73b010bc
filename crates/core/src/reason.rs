//! Reasons: why the engine decided what it did, as data and as sentences.
//!
//! Every decision carries at least one reason, so that "why did it (not) fail over?" is
//! always answered — in the watcher's log, the CLI's output and the drill's report.

use std::fmt;

use serde::Serialize;

use crate::health::Health;
use crate::records::{PRIMARY_SET_ID, SECONDARY_SET_ID};

/// One reason for a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum Reason {
    /// Active-active: the regions in service, all healthy or not known unhealthy, and
    /// none out of service waiting.
    InService {
        /// The regions in service, in preference order.
        regions: Vec<String>,
    },
    /// Active-active: a region in service is unhealthy (as a region that serves).
    ServingUnhealthy {
        /// The region.
        region: String,
        /// Which signals fail.
        evidence: Vec<String>,
    },
    /// Active-active: a region in service is unhealthy, but taking it out would leave
    /// fewer than `min_in_service` regions in service, so it stays in and Route 53 never
    /// has to fail open (answer every record when all are unhealthy).
    LastInService {
        /// The region kept in.
        region: String,
        /// Regions in service now.
        in_service: u32,
        /// `min_in_service`.
        min_in_service: u32,
    },
    /// Active-active: a region leaves service (its gate closes).
    Evacuating {
        /// The region.
        region: String,
    },
    /// Active-active: a region returns to service (its gate opens).
    Restoring {
        /// The region.
        region: String,
        /// Why now: stable long enough, or at once because a region in service is
        /// unhealthy and only held in by `min_in_service`.
        why: String,
    },
    /// Active-active: an evacuated region is healthy again but does not return yet.
    RestorePending {
        /// The region.
        region: String,
        /// When it may return, if known.
        eligible_at: Option<u64>,
        /// Why not yet.
        why: String,
    },
    /// Active-active: a region's automatic service change is held by flap damping, per
    /// region: a restore needs room for the evacuation that may follow it, so no region
    /// ever changes more than `max_flips_per_hour` times in a rolling hour.
    RegionDamped {
        /// The region.
        region: String,
        /// Its automatic changes in the last hour.
        flips: u32,
        /// `max_flips_per_hour`.
        limit: u32,
        /// When the restore may happen.
        eligible_at: u64,
    },
    /// The active region is healthy and nothing better exists.
    Steady {
        /// The active region.
        region: String,
    },
    /// The active region is unhealthy.
    ActiveUnhealthy {
        /// The active region.
        region: String,
        /// Which signals fail.
        evidence: Vec<String>,
    },
    /// The active region's health is unknown: not a reason to fail over.
    ActiveUnknown {
        /// The active region.
        region: String,
        /// Which signals are unknown.
        evidence: Vec<String>,
    },
    /// The active region's CloudWatch cannot be read at all and its endpoint fails the
    /// watcher's probe: the region is unreachable, evidence enough to leave it.
    ActiveUnreachable {
        /// The active region.
        region: String,
        /// What could not be read and how the probe failed.
        evidence: Vec<String>,
    },
    /// The active region fails the watcher's probe, but no other source says it is
    /// unhealthy: suspect, not a reason to fail over (the watcher's own network may be
    /// what fails; Route 53's checks still fail over in the data plane).
    ActiveSuspect {
        /// The active region.
        region: String,
        /// How the probe fails and what the other sources say.
        evidence: Vec<String>,
    },
    /// A region that serves no traffic has alarms without data; they count as idle
    /// (`failover.no_data_on_standby = "idle"`): they vouch neither for nor against it.
    IdleAlarms {
        /// The region.
        region: String,
        /// The alarms counted idle.
        alarms: Vec<String>,
    },
    /// A region is known healthy now only by the watcher's probe, which has no history:
    /// it may take traffic in a failover, but a failback onto it waits for a source with
    /// a history.
    HealthyByProbeOnly {
        /// The region.
        region: String,
    },
    /// No region is known healthy, so traffic stays where it is.
    NoHealthyTarget,
    /// A more preferred region is healthy but failback must wait.
    FailbackPending {
        /// The region traffic would go back to.
        region: String,
        /// When it becomes possible, if known (RFC 3339 in JSON).
        #[serde(serialize_with = "crate::timestamp::serialize_rfc3339_opt")]
        eligible_at: Option<u64>,
        /// What it waits for.
        why: String,
    },
    /// A more preferred region is ready: traffic goes back.
    FailbackReady {
        /// The region.
        region: String,
    },
    /// Failback waits for an operator.
    AwaitingOperator {
        /// The region traffic would go back to.
        region: String,
        /// Why an operator is needed.
        why: String,
    },
    /// A data guard of the target region is not OK.
    GuardBlocked {
        /// The region guarded.
        region: String,
        /// The guard and its state.
        guard: String,
    },
    /// Too many automatic transitions in the last hour.
    Damped {
        /// Transitions in the window.
        flips: u32,
        /// The configured limit.
        limit: u32,
        /// When the oldest of them leaves the window (RFC 3339 in JSON).
        #[serde(serialize_with = "crate::timestamp::serialize_rfc3339")]
        eligible_at: u64,
    },
    /// Automation is paused.
    Paused,
    /// Automation resumed.
    Resumed,
    /// An operator's `pause` or `resume` found automation already so: nothing to change
    /// (a repeated command succeeds, as in a runbook that pauses before every step).
    AlreadySo {
        /// `paused` or `running`.
        state: String,
    },
    /// Something regionflip manages does not exist yet.
    NotInitialised {
        /// What is missing.
        what: String,
    },
    /// The routing could not be read.
    RoutingUnreadable {
        /// Why.
        why: String,
    },
    /// The PRIMARY record points somewhere no configured region is.
    RoutingUnrecognised {
        /// Where it points.
        record: String,
    },
    /// DNS routes elsewhere than the state remembers; DNS wins.
    RoutingDiffersFromState {
        /// Where DNS points.
        routed: String,
        /// What the state says.
        recorded: String,
    },
    /// The state could not be read.
    StateUnreadable {
        /// Why.
        why: String,
    },
    /// The state does not parse (an unknown version, a field added by hand, garbage) or
    /// names a region this configuration does not know: whether automation is paused
    /// cannot be trusted, so automation stops and nothing rewrites it but an operator
    /// command.
    StateCorrupt {
        /// What is wrong with it.
        error: String,
    },
    /// An operator command replaces a state that was corrupt, missing or unreadable with
    /// a fresh one.
    StateReplaced {
        /// What was replaced: "a corrupt state", "a missing state", "an unreadable state".
        replaced: String,
        /// The fresh state's sequence: above any sequence seen (or the clock, when none
        /// was), so it wins over every copy of what it replaces.
        sequence: u64,
        /// Whether the fresh state keeps automation paused for want of the replaced
        /// state's pause flag (a move on a corrupt or unreadable state; `pause` and
        /// `resume` say what they want instead).
        kept_paused: bool,
    },
    /// `records` mode: a record of the failover pair differs from what regionflip writes
    /// for the active region (a console edit, another tool).
    PairDrift {
        /// `PRIMARY` or `SECONDARY`: the record (by the set identifier regionflip gives
        /// that role), followed by `of <name>` for one of the application's other records.
        record: String,
        /// What differs: `record` (missing), `role`, `target`, `TTL`, `alias zone`,
        /// `health check`, or `set identifier` (a failover record regionflip does not own).
        field: String,
        /// What was found.
        found: String,
        /// What regionflip writes.
        wanted: String,
        /// What happens about it.
        repair: DriftRepair,
    },
    /// A failover away from a region known unhealthy went ahead although the automatic
    /// transitions of the last hour reached `max_flips_per_hour`: damping limits optional
    /// moves only.
    DampingOverridden {
        /// Transitions in the window before this one.
        flips: u32,
        /// The configured limit.
        limit: u32,
        /// The region traffic leaves, known unhealthy.
        from: String,
        /// The target, known healthy: among the healthy targets, the one healthy for
        /// longest.
        to: String,
    },
    /// An operator asked for this move.
    OperatorRequest {
        /// The target region.
        region: String,
    },
    /// An operator forced this move past the safety checks.
    Forced {
        /// The target region.
        region: String,
        /// Its health at the time.
        health: Health,
        /// What the force overrode (empty when nothing stood in the way).
        overrode: Vec<String>,
    },
    /// An operator command was refused.
    Refused {
        /// Why.
        why: String,
    },
    /// In gate mode, another region's watcher carries out this automatic transition.
    NotOnDuty {
        /// The region this watcher runs in.
        region: String,
        /// The region whose watcher is on duty.
        duty: String,
    },
    /// Traffic moves.
    Moving {
        /// From.
        from: String,
        /// To.
        to: String,
    },
}

/// What a pass does about a [`Reason::PairDrift`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DriftRepair {
    /// Rewritten in this pass's compare-and-swap batch, with a new state.
    ThisPass,
    /// Left alone: automation is paused (an operator may be editing the records); the
    /// first pass after `resume` repairs it.
    WhenResumed,
    /// Left to the next automatic pass: an operator command that does not move traffic
    /// writes only the state.
    NextPass,
    /// Left alone for good: the record is not regionflip's, so a person must fix it.
    ByHand,
}

impl Reason {
    /// When the thing this reason waits for can happen, if it says.
    pub fn eligible_at(&self) -> Option<u64> {
        match self {
            Reason::FailbackPending { eligible_at, .. }
            | Reason::RestorePending { eligible_at, .. } => *eligible_at,
            Reason::RegionDamped { eligible_at, .. } => Some(*eligible_at),
            Reason::Damped { eligible_at, .. } => Some(*eligible_at),
            _ => None,
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::InService { regions } => {
                write!(
                    f,
                    "in service: {}; none waits to change",
                    regions.join(", ")
                )
            }
            Reason::ServingUnhealthy { region, evidence } => write!(
                f,
                "{region} serves traffic and is unhealthy: {}",
                evidence.join("; ")
            ),
            Reason::LastInService {
                region,
                in_service,
                min_in_service,
            } => write!(
                f,
                "{region} stays in service although unhealthy: {in_service} region{} in service, and taking it out would leave {}, fewer than min_in_service = {min_in_service} (last in service; with every record unhealthy Route 53 would answer them all)",
                if *in_service == 1 { " is" } else { "s are" },
                in_service.saturating_sub(1)
            ),
            Reason::Evacuating { region } => {
                write!(f, "taking {region} out of service (closing its gate)")
            }
            Reason::Restoring { region, why } => {
                write!(f, "returning {region} to service (opening its gate): {why}")
            }
            Reason::RestorePending {
                region,
                eligible_at,
                why,
            } => match eligible_at {
                Some(t) => write!(
                    f,
                    "return of {region} to service pending: {why}; eligible at {}",
                    crate::timestamp::rfc3339(*t)
                ),
                None => write!(f, "return of {region} to service pending: {why}"),
            },
            Reason::RegionDamped {
                region,
                flips,
                limit,
                eligible_at,
            } => write!(
                f,
                "{region} changed service {flips} times automatically in the last hour (limit {limit}, and a return keeps room for the evacuation that may follow); next possible at {}",
                crate::timestamp::rfc3339(*eligible_at)
            ),
            Reason::Steady { region } => {
                write!(f, "{region} is active and no preferred region is waiting")
            }
            Reason::ActiveUnhealthy { region, evidence } => {
                write!(
                    f,
                    "active region {region} is unhealthy: {}",
                    evidence.join("; ")
                )
            }
            Reason::ActiveUnknown { region, evidence } => write!(
                f,
                "active region {region} is not known healthy ({}); unknown data never triggers a failover",
                evidence.join("; ")
            ),
            Reason::ActiveUnreachable { region, evidence } => write!(
                f,
                "{region}'s CloudWatch cannot be read and its endpoint fails the watcher's probe: evidence enough to leave ({})",
                evidence.join("; ")
            ),
            Reason::ActiveSuspect { region, evidence } => write!(
                f,
                "active region {region} fails the watcher's probe, but nothing else says it is unhealthy ({}); the watcher's own network may be what fails, so this never triggers a failover by itself",
                evidence.join("; ")
            ),
            Reason::IdleAlarms { region, alarms } => write!(
                f,
                "{region} has no data for alarm{} {} (no traffic); counted as idle, vouching neither for nor against it",
                if alarms.len() == 1 { "" } else { "s" },
                alarms.join(", ")
            ),
            Reason::HealthyByProbeOnly { region } => write!(
                f,
                "{region} is healthy now by the watcher's probe alone, which has no history"
            ),
            Reason::NoHealthyTarget => {
                write!(
                    f,
                    "no other region is known healthy; traffic stays where it is"
                )
            }
            Reason::FailbackPending {
                region,
                eligible_at,
                why,
            } => match eligible_at {
                Some(t) => write!(
                    f,
                    "failback to {region} pending: {why}; eligible at {}",
                    crate::timestamp::rfc3339(*t)
                ),
                None => write!(f, "failback to {region} pending: {why}"),
            },
            Reason::FailbackReady { region } => {
                write!(f, "{region} has been healthy long enough; failing back")
            }
            Reason::AwaitingOperator { region, why } => {
                write!(f, "{region} is healthy again; {why}")
            }
            Reason::GuardBlocked { region, guard } => {
                write!(f, "guard {guard} blocks traffic to {region}")
            }
            Reason::Damped {
                flips,
                limit,
                eligible_at,
            } => write!(
                f,
                "{flips} automatic transitions in the last hour (limit {limit}); next possible at {}",
                crate::timestamp::rfc3339(*eligible_at)
            ),
            Reason::Paused => write!(f, "automation is paused; routing is frozen"),
            Reason::Resumed => write!(f, "automation resumed"),
            Reason::AlreadySo { state } => {
                write!(f, "automation is already {state}; nothing to change")
            }
            Reason::NotInitialised { what } => {
                write!(f, "{what} does not exist; run `regionflip init`")
            }
            Reason::RoutingUnreadable { why } => write!(f, "routing could not be read: {why}"),
            Reason::RoutingUnrecognised { record } => write!(
                f,
                "the PRIMARY record points at {record:?}, which is no configured region; not touching it"
            ),
            Reason::RoutingDiffersFromState { routed, recorded } => write!(
                f,
                "DNS routes to {routed} but the state says {recorded}; trusting DNS"
            ),
            Reason::StateUnreadable { why } => write!(f, "state could not be read: {why}"),
            Reason::StateCorrupt { error } => write!(
                f,
                "state record is corrupt ({error}): whether automation is paused cannot be trusted, so automation stops and nothing rewrites it; only an operator command (pause, resume, failover, failback, each with --force if need be) may replace it"
            ),
            Reason::StateReplaced {
                replaced,
                sequence,
                kept_paused,
            } => {
                write!(
                    f,
                    "this command replaces {replaced} with a fresh state at sequence {sequence}, above any sequence seen"
                )?;
                if *kept_paused {
                    write!(
                        f,
                        "; automation stays paused, since whether an operator had paused it cannot be known: `regionflip resume` hands routing back to the rules"
                    )?;
                }
                Ok(())
            }
            Reason::PairDrift {
                record,
                field,
                found,
                wanted,
                repair,
            } => {
                // `PRIMARY`, or `PRIMARY of auth.example.com` for another record.
                let set_identifier = if record.starts_with("PRIMARY") {
                    PRIMARY_SET_ID
                } else {
                    SECONDARY_SET_ID
                };
                write!(
                    f,
                    "failover record {record} ({set_identifier}) drifted: its {field} is {found}, regionflip writes {wanted}; "
                )?;
                f.write_str(match repair {
                    DriftRepair::ThisPass => {
                        "repaired in this pass's compare-and-swap batch, with a new state"
                    }
                    DriftRepair::WhenResumed => {
                        "left alone while automation is paused; repaired after `resume`"
                    }
                    DriftRepair::NextPass => "the next automatic pass repairs it",
                    DriftRepair::ByHand => {
                        "regionflip does not own that record and never touches it, so it acts on the pair no more until a person removes it"
                    }
                })
            }
            Reason::DampingOverridden {
                flips,
                limit,
                from,
                to,
            } => write!(
                f,
                "{flips} automatic transitions in the last hour reach the limit of {limit}, but damping never keeps traffic on {from}, known unhealthy, while {to} is known healthy: damping overridden (the move is counted; of the healthy targets, the one healthy for longest is taken, against ping-pong)"
            ),
            Reason::OperatorRequest { region } => write!(f, "operator requested {region}"),
            Reason::Forced {
                region,
                health,
                overrode,
            } => {
                write!(f, "forced by operator ({region} is {health:?})")?;
                if !overrode.is_empty() {
                    write!(f, "; overriding: {}", overrode.join("; "))?;
                }
                Ok(())
            }
            Reason::Refused { why } => write!(f, "refused: {why}"),
            Reason::NotOnDuty { region, duty } => write!(
                f,
                "the watcher in {duty} carries out this transition; the one in {region} keeps the gates as they are"
            ),
            Reason::Moving { from, to } => write!(f, "moving traffic from {from} to {to}"),
        }
    }
}
