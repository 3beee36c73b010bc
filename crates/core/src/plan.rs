//! Change plans: what the adapters must write to carry out a decision.
//!
//! The plan is pure data in the core's own record types (no AWS SDK types), like
//! external-dns's `plan.Changes`. There are two kinds, one per [`Mode`]:
//!
//! * **`records`** — one Route 53 change batch, applied atomically. It always starts by
//!   deleting the state record *exactly as it was read* and creating its successor, so
//!   the whole batch is a compare-and-swap: a watcher that decided on stale state has its
//!   batch refused instead of overwriting a newer decision. The failover pair is then
//!   UPSERTed (the precondition on the state record already makes the batch conditional;
//!   UPSERT keeps flip-backs to earlier values valid, see ARCHITECTURE.md).
//!
//!   ```text
//!   DELETE  TXT   _regionflip.api.example.com.  "regionflip/v1 seq=7 …"   ← precondition
//!   CREATE  TXT   _regionflip.api.example.com.  "regionflip/v1 seq=8 …"
//!   UPSERT  CNAME api.example.com. PRIMARY   → active region's target, its health check
//!   UPSERT  CNAME api.example.com. SECONDARY → standby region's target, its health check
//!   ```
//!
//! * **`health-gate`** — the value of every region's gate metric (1 open, 0 closed), to
//!   be published on every pass so the gate alarms never starve, plus the new engine
//!   state when it changed. No Route 53 call. With active-active routing a gate is open
//!   exactly while its region is in service ([`service_gates`]).

use serde::Serialize;

use crate::config::{Config, Mode, RegionConfig};
use crate::health::{Health, RegionHealth};
use crate::records::{
    Change, ChangeAction, FailoverRole, RecordSet, failover_record_of, state_record,
};
use crate::state::EngineState;

/// The value of one region's gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GateSetting {
    /// The gated region.
    pub region: String,
    /// Open (traffic may go there) or closed.
    pub open: bool,
}

/// A state write with its precondition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateWrite {
    /// The state record as read, which must still be there (absent only when none was).
    pub expected: Option<RecordSet>,
    /// The new state.
    pub new: EngineState,
}

/// What to write.
// One plan is built per pass and moved a few times; boxing a variant would only add an
// allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Plan {
    /// Nothing.
    Nothing,
    /// `records` mode: a change batch whose first change is the compare-and-swap
    /// precondition on the state record. With names in other hosted zones the watcher
    /// sends it as one batch per zone, the state's zone first.
    ChangeBatch {
        /// The changes, in order.
        changes: Vec<Change>,
        /// The state the batch writes (also encoded in its TXT CREATE).
        new_state: EngineState,
    },
    /// `health-gate` mode: gate values to publish, and a state write when state changed.
    Gates {
        /// Every region's gate.
        gates: Vec<GateSetting>,
        /// The state write, on a transition or a state-only change.
        state: Option<StateWrite>,
    },
}

impl Plan {
    /// The new state this plan persists, if any.
    pub fn new_state(&self) -> Option<&EngineState> {
        match self {
            Plan::Nothing => None,
            Plan::ChangeBatch { new_state, .. } => Some(new_state),
            Plan::Gates { state, .. } => state.as_ref().map(|s| &s.new),
        }
    }
}

/// What a plan starts from: the state record as this pass read it, and whether the
/// failover pair must be rewritten.
pub(crate) struct AsRead<'a> {
    /// `records` mode: UPSERT the failover pair for the active region — on a transition
    /// (DNS does not route there yet) or to repair a drifted pair. The engine decides.
    pub(crate) rewrite_pair: bool,
    /// The state record exactly as stored, when there is one: the compare-and-swap
    /// precondition.
    pub(crate) state_record: Option<&'a RecordSet>,
}

/// The plan that routes on `active` (active-active: on the regions in service in `next`,
/// else in `current`) and persists `next` (if any), starting from what was read. In `records` mode the failover pair is rewritten only when `read.rewrite_pair`,
/// and always with a new state (the state record is the batch's compare-and-swap);
/// without a state to persist there is nothing to write at all. In `health-gate` mode
/// every region's gate is republished on every pass.
pub(crate) fn plan_for(
    config: &Config,
    regions: &[RegionHealth],
    read: &AsRead<'_>,
    active: &str,
    current: &EngineState,
    next: Option<EngineState>,
) -> Plan {
    let expected = read.state_record.cloned();
    match config.mode {
        Mode::HealthGate => Plan::Gates {
            gates: if config.routing.is_active_active() {
                service_gates(config, next.as_ref().unwrap_or(current))
            } else {
                gates_for(config, active, regions)
            },
            state: next.map(|new| StateWrite { expected, new }),
        },
        Mode::Records => {
            let Some(new_state) = next else {
                return Plan::Nothing;
            };
            let mut changes = Vec::new();
            if let Some(old) = expected {
                changes.push(Change {
                    action: ChangeAction::Delete,
                    record: old,
                });
            }
            changes.push(Change {
                action: ChangeAction::Create,
                record: state_record(config, &new_state),
            });
            if read.rewrite_pair {
                // Every record of the application moves with this plan. Records in other
                // hosted zones cannot share the state's batch: the watcher sends one
                // batch per zone, the state's (the compare-and-swap) first.
                let standby = standby_for(config, active, regions);
                let primary = config.region(active).unwrap_or(config.home());
                for record in config.records() {
                    for (region, role) in [
                        (primary, FailoverRole::Primary),
                        (standby, FailoverRole::Secondary),
                    ] {
                        changes.push(Change {
                            action: ChangeAction::Upsert,
                            record: failover_record_of(&record, region, role),
                        });
                    }
                }
            }
            Plan::ChangeBatch { changes, new_state }
        }
    }
}

/// The region that stands by as SECONDARY while `active` is PRIMARY: the most preferred
/// other region that is healthy, else the most preferred one not known unhealthy, else
/// the most preferred other one.
pub(crate) fn standby_for<'c>(
    config: &'c Config,
    active: &str,
    regions: &[RegionHealth],
) -> &'c RegionConfig {
    let others = || config.regions.iter().filter(|r| r.name != active);
    let health = |name: &str| {
        regions
            .iter()
            .find(|h| h.region == name)
            .map_or(Health::Unknown, |h| h.health)
    };
    others()
        .find(|r| health(&r.name) == Health::Healthy)
        .or_else(|| others().find(|r| health(&r.name) != Health::Unhealthy))
        .or_else(|| others().next())
        .unwrap_or_else(|| config.home())
}

/// The gates for routing on `active`: regions preferred above it are closed (that is
/// what moves traffic down the failover chain), `active` is open, and regions below it
/// are open unless known unhealthy — so Route 53 can still fail over past `active` on
/// its own, through the data plane, if `active`'s endpoint dies while no watcher runs.
/// Only gated regions ([`Config::is_gated`]) have a gate: the last region has none.
pub(crate) fn gates_for(
    config: &Config,
    active: &str,
    regions: &[RegionHealth],
) -> Vec<GateSetting> {
    let active_rank = config.rank(active).unwrap_or(0);
    config
        .regions
        .iter()
        .enumerate()
        .filter(|(_, r)| config.is_gated(&r.name))
        .map(|(rank, r)| {
            // Shared evidence only: every watcher must publish the same gate.
            let unhealthy = regions
                .iter()
                .any(|h| h.region == r.name && h.known_unhealthy_by_shared_evidence());
            let open = rank == active_rank || (rank > active_rank && !unhealthy);
            GateSetting {
                region: r.name.clone(),
                open,
            }
        })
        .collect()
}

/// Active-active routing: every region's gate, open exactly while `state` keeps it in
/// service. Every region has one ([`Config::is_gated`]); closing it is what takes the
/// region's latency or weighted record out of Route 53's answers.
pub(crate) fn service_gates(config: &Config, state: &EngineState) -> Vec<GateSetting> {
    config
        .regions
        .iter()
        .map(|r| GateSetting {
            region: r.name.clone(),
            open: state.in_service(&r.name),
        })
        .collect()
}
