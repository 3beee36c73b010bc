//! The record of a transition: what dashboards and auditors read.
//!
//! The watcher writes one JSON log line per event and the matching CloudWatch metrics;
//! the CLI and the drill print the same structure. Every field is decided by the engine,
//! so the record says exactly what the decision was, with its reasons.

use serde::Serialize;

/// Why traffic moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TransitionKind {
    /// Automatic, away from an unhealthy region.
    Failover,
    /// Automatic, back toward a more preferred region that recovered.
    Failback,
    /// An operator's command.
    Manual,
}

impl TransitionKind {
    /// The name used in logs and metrics (`failover`, `failback`, `manual`).
    pub fn as_str(self) -> &'static str {
        match self {
            TransitionKind::Failover => "failover",
            TransitionKind::Failback => "failback",
            TransitionKind::Manual => "manual",
        }
    }
}

/// One transition, as decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransitionEvent {
    /// Failover, failback or manual.
    pub kind: TransitionKind,
    /// The region traffic leaves.
    pub from: String,
    /// The region traffic goes to.
    pub to: String,
    /// The decision's reasons, as sentences.
    pub reasons: Vec<String>,
    /// When it was decided, Unix seconds (RFC 3339 when serialised).
    #[serde(serialize_with = "crate::timestamp::serialize_rfc3339")]
    pub decided_at: u64,
    /// The state sequence number this transition writes.
    pub sequence: u64,
    /// How long routing had been as it was, when the last transition is known.
    pub time_in_previous_state_secs: Option<u64>,
    /// On a return home: how long traffic was away.
    pub time_in_failover_secs: Option<u64>,
}
