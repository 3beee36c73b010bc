//! Change plans: what the adapters must write to carry out a decision.
//!
//! The plan is pure data in the core's own record types (no AWS SDK types), like
//! external-dns's `plan.Changes`. There are two kinds, one per [`Mode`](crate::Mode):
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
//!   state when it changed. No Route 53 call.

use serde::Serialize;

use crate::config::{Config, RecordType, RegionConfig};
use crate::observe::{Health, RegionHealth};
use crate::state::EngineState;

/// Set identifier of the record that is PRIMARY in the failover pair.
pub const PRIMARY_SET_ID: &str = "regionflip-primary";
/// Set identifier of the record that is SECONDARY in the failover pair.
pub const SECONDARY_SET_ID: &str = "regionflip-secondary";
/// TTL of the state record.
pub const STATE_RECORD_TTL: u32 = 60;

/// A resource record set in the core's terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordSet {
    /// Fully qualified name, with the trailing dot.
    pub name: String,
    /// `CNAME`, `A` or `TXT`.
    pub record_type: String,
    /// Set identifier, for failover records.
    pub set_identifier: Option<String>,
    /// PRIMARY or SECONDARY, for failover records.
    pub failover: Option<FailoverRole>,
    /// TTL; absent on alias records.
    pub ttl: Option<u32>,
    /// Values in Route 53 wire form (a CNAME target; TXT values quoted).
    pub values: Vec<String>,
    /// Alias target, for `A` alias records.
    pub alias: Option<AliasTarget>,
    /// Health check that Route 53 consults for this record.
    pub health_check_id: Option<String>,
}

/// Role of a record in a failover pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FailoverRole {
    /// Answered while its health check passes.
    Primary,
    /// Answered while the primary's check fails.
    Secondary,
}

/// Target of an alias record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AliasTarget {
    /// Hosted zone of the target.
    pub hosted_zone_id: String,
    /// DNS name of the target.
    pub dns_name: String,
}

/// One change in a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// What to do.
    pub action: ChangeAction,
    /// To which record.
    pub record: RecordSet,
}

/// Route 53 change actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ChangeAction {
    /// Fails when the record exists.
    Create,
    /// Fails unless the record matches exactly.
    Delete,
    /// Creates or replaces.
    Upsert,
}

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Plan {
    /// Nothing.
    Nothing,
    /// `records` mode: one atomic change batch whose first change is the compare-and-swap
    /// precondition on the state record.
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
    /// Number of Route 53 writes this plan makes (at most one: a batch is one call).
    pub fn route53_writes(&self) -> usize {
        usize::from(matches!(self, Plan::ChangeBatch { .. }))
    }

    /// The new state this plan persists, if any.
    pub fn new_state(&self) -> Option<&EngineState> {
        match self {
            Plan::Nothing => None,
            Plan::ChangeBatch { new_state, .. } => Some(new_state),
            Plan::Gates { state, .. } => state.as_ref().map(|s| &s.new),
        }
    }
}

/// The state record holding `state`.
pub fn state_record(config: &Config, state: &EngineState) -> RecordSet {
    RecordSet {
        name: config.state_record_name(),
        record_type: "TXT".into(),
        set_identifier: None,
        failover: None,
        ttl: Some(STATE_RECORD_TTL),
        values: vec![quote_txt(&state.to_txt_strings())],
        alias: None,
        health_check_id: None,
    }
}

/// The failover record for `region` in `role`.
pub fn failover_record(config: &Config, region: &RegionConfig, role: FailoverRole) -> RecordSet {
    let set_identifier = match role {
        FailoverRole::Primary => PRIMARY_SET_ID,
        FailoverRole::Secondary => SECONDARY_SET_ID,
    };
    let (ttl, values, alias) = match config.record_type {
        RecordType::Cname => (Some(config.ttl), vec![region.target.clone()], None),
        RecordType::A => (
            None,
            Vec::new(),
            Some(AliasTarget {
                hosted_zone_id: region.alias_hosted_zone_id.clone().unwrap_or_default(),
                dns_name: region.target.clone(),
            }),
        ),
    };
    RecordSet {
        name: config.record_name.clone(),
        record_type: config.record_type.as_str().into(),
        set_identifier: Some(set_identifier.into()),
        failover: Some(role),
        ttl,
        values,
        alias,
        health_check_id: region.health_check_id.clone(),
    }
}

/// The region a failover record points at, if it points at a configured one.
pub fn region_of_record<'c>(config: &'c Config, record: &RecordSet) -> Option<&'c RegionConfig> {
    let target = record
        .alias
        .as_ref()
        .map(|a| a.dns_name.as_str())
        .or_else(|| record.values.first().map(String::as_str))?;
    let target = target.trim_end_matches('.').to_ascii_lowercase();
    config
        .regions
        .iter()
        .find(|r| r.target.trim_end_matches('.') == target)
}

/// The region that stands by as SECONDARY while `active` is PRIMARY: the most preferred
/// other region that is healthy, else the most preferred one not known unhealthy, else
/// the most preferred other one.
pub fn standby_for<'c>(
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
pub fn gates_for(config: &Config, active: &str, regions: &[RegionHealth]) -> Vec<GateSetting> {
    let active_rank = config.rank(active).unwrap_or(0);
    config
        .regions
        .iter()
        .enumerate()
        .map(|(rank, r)| {
            let unhealthy = regions
                .iter()
                .any(|h| h.region == r.name && h.health == Health::Unhealthy);
            let open = rank == active_rank || (rank > active_rank && !unhealthy);
            GateSetting {
                region: r.name.clone(),
                open,
            }
        })
        .collect()
}

/// Quotes TXT strings into one Route 53 TXT value: `"a" "b"`.
pub fn quote_txt<S: AsRef<str>>(strings: &[S]) -> String {
    strings
        .iter()
        .map(|s| {
            let escaped = s.as_ref().replace('\\', "\\\\").replace('"', "\\\"");
            format!("\"{escaped}\"")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Splits a Route 53 TXT value into its strings, undoing the quoting. Bounded: refuses
/// values longer than the state record ever is.
pub fn unquote_txt(value: &str) -> Result<Vec<String>, String> {
    if value.len() > 4 * crate::state::MAX_STATE_TEXT {
        return Err(format!(
            "TXT value of {} characters is too long",
            value.len()
        ));
    }
    let mut strings = Vec::new();
    let mut chars = value.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            chars.next();
        }
        match chars.next() {
            None => break,
            Some('"') => {}
            Some(c) => return Err(format!("TXT value has {c:?} outside quotes")),
        }
        let mut current = String::new();
        loop {
            match chars.next() {
                None => return Err("TXT value has an unterminated string".into()),
                Some('"') => break,
                Some('\\') => {
                    let Some(next) = chars.next() else {
                        return Err("TXT value ends in a backslash".into());
                    };
                    if next.is_ascii_digit() {
                        // \ddd: an octal byte, as Route 53 writes non-printable characters.
                        let mut code = next.to_digit(8).unwrap_or(0);
                        for _ in 0..2 {
                            match chars.next().and_then(|c| c.to_digit(8)) {
                                Some(d) => code = code * 8 + d,
                                None => return Err("TXT value has a bad \\ddd escape".into()),
                            }
                        }
                        current.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                    } else {
                        current.push(next);
                    }
                }
                Some(c) => current.push(c),
            }
        }
        strings.push(current);
    }
    Ok(strings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn txt_quoting_round_trips() {
        let strings = vec!["plain".to_string(), "with \"quote\" and \\".to_string()];
        let value = quote_txt(&strings);
        assert_eq!(unquote_txt(&value), Ok(strings));
        assert_eq!(unquote_txt("\"a\\065\""), Ok(vec!["a5".to_string()]));
    }

    #[test]
    fn broken_txt_values_are_errors() {
        assert!(unquote_txt("\"open").is_err());
        assert!(unquote_txt("bare").is_err());
        assert!(unquote_txt("\"a\\").is_err());
        assert!(unquote_txt(&"\"x\"".repeat(10_000)).is_err());
    }
}
