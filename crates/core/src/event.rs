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
    /// Active-active, automatic: a region taken out of service.
    Evacuate,
    /// Active-active, automatic: a region returned to service.
    Restore,
}

impl TransitionKind {
    /// The name used in logs and metrics (`failover`, `failback`, `manual`, `evacuate`,
    /// `restore`).
    pub fn as_str(self) -> &'static str {
        match self {
            TransitionKind::Failover => "failover",
            TransitionKind::Failback => "failback",
            TransitionKind::Manual => "manual",
            TransitionKind::Evacuate => "evacuate",
            TransitionKind::Restore => "restore",
        }
    }
}

/// Active-active: one region's change of service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceChange {
    /// The region that leaves or returns.
    pub region: String,
    /// Whether it is in service after the change.
    pub in_service: bool,
    /// Every region in service after the change, in preference order.
    pub regions_in_service: Vec<String>,
}

/// One transition, as decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransitionEvent {
    /// Failover, failback or manual.
    pub kind: TransitionKind,
    /// The region traffic leaves. Active-active: the region evacuated, or on a return
    /// the regions in service before, joined by `+`.
    pub from: String,
    /// The region traffic goes to. Active-active: the region returned to service, or on
    /// an evacuation the regions left in service, joined by `+`.
    pub to: String,
    /// Active-active: the service change (which region, in or out, and every region in
    /// service after it); absent with failover routing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceChange>,
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
