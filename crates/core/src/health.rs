//! A region's health as the engine concludes it from the readings: two verdicts, since
//! when, and the evidence.
//!
//! A leaf of the core, so that what produces a verdict and what consumes it need not know
//! each other: [`observe`](crate::observe) assesses the readings (its evidence table says
//! how, row by row: [`EvidenceRow`]), the engine decides on the verdicts, and the plans
//! set the gates from them.
//!
//! A region has two verdicts because the two questions the engine asks of it need
//! different evidence:
//!
//! * **as a target** ([`RegionHealth::health`]): may traffic move onto this region? Only
//!   on positive evidence that it is healthy now, and never while any source says it is
//!   not.
//! * **as the active region** ([`RegionHealth::as_active`]): must traffic leave it? Only
//!   on evidence strong enough to move traffic; a source that may be wrong about the
//!   region for reasons of its own (the watcher's own probe) makes it suspect, not
//!   unhealthy.

use serde::Serialize;

/// What the engine concludes about a region's health, in one of its two roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    /// As a target: positive evidence that it is healthy now and nothing against it. As
    /// the active region: the same, so nothing says traffic should leave.
    Healthy,
    /// As a target: some source says it is unhealthy. As the active region: evidence
    /// enough that traffic must leave it.
    Unhealthy,
    /// Not enough evidence either way (or, as the active region, suspect but not enough
    /// to leave).
    Unknown,
}

/// The row of the evidence table (top of `observe.rs`) that gave a verdict. Each verdict
/// names its row, so a decision can say exactly which evidence it rests on and the
/// table is tested row by row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EvidenceRow {
    /// An alarm is in ALARM.
    AlarmInAlarm,
    /// Route 53's `HealthCheckStatus` is fresh and unhealthy.
    CheckUnhealthy,
    /// The watcher's probe of the endpoint fails or times out (as a target).
    ProbeFails,
    /// As the active region: its CloudWatch cannot be read at all and its endpoint fails
    /// the watcher's probe, while no fresh `HealthCheckStatus` says it is healthy: the
    /// region is unreachable, evidence enough to leave.
    Unreachable,
    /// As the active region: CloudWatch unreadable and the probe fails, but Route 53's
    /// fresh `HealthCheckStatus` says healthy, so the watcher's own path is suspect.
    UnreachableButCheckHealthy,
    /// As the active region: the probe fails and nothing else does: suspect, not a reason
    /// to leave (the watcher's own network may be what fails).
    ProbeFailsAlone,
    /// The region's CloudWatch cannot be read, or an alarm is unreadable or missing.
    AlarmsUnreadable,
    /// An alarm has no data (INSUFFICIENT_DATA) where that counts as unknown: in the
    /// region that serves traffic, or on a standby with `no_data_on_standby = "unknown"`.
    NoDataUnknown,
    /// Route 53's `HealthCheckStatus` is fresh and healthy, and no alarm says otherwise.
    CheckHealthy,
    /// The watcher's probe passes, `HealthCheckStatus` cannot vouch (stale, missing,
    /// unreadable or not configured): healthy now, since when not known.
    ProbeHealthyOnly,
    /// An endpoint source is configured, but neither a fresh healthy `HealthCheckStatus`
    /// nor a passing probe shows the endpoint healthy now.
    NoEndpointEvidence,
    /// No endpoint source is configured (no health check, no `health_url`) and every
    /// alarm is OK: the alarms are all the evidence there can be.
    AlarmsOkNoEndpointSource,
    /// No endpoint source is configured and not every alarm is OK (some have no data, or
    /// none is configured): nothing vouches for the region.
    NothingVouches,
}

impl EvidenceRow {
    /// Every row, in the table's order.
    pub const ALL: [EvidenceRow; 13] = [
        EvidenceRow::AlarmInAlarm,
        EvidenceRow::CheckUnhealthy,
        EvidenceRow::ProbeFails,
        EvidenceRow::Unreachable,
        EvidenceRow::UnreachableButCheckHealthy,
        EvidenceRow::ProbeFailsAlone,
        EvidenceRow::AlarmsUnreadable,
        EvidenceRow::NoDataUnknown,
        EvidenceRow::CheckHealthy,
        EvidenceRow::ProbeHealthyOnly,
        EvidenceRow::NoEndpointEvidence,
        EvidenceRow::AlarmsOkNoEndpointSource,
        EvidenceRow::NothingVouches,
    ];

    /// The verdict this row gives.
    pub fn health(self) -> Health {
        match self {
            EvidenceRow::AlarmInAlarm
            | EvidenceRow::CheckUnhealthy
            | EvidenceRow::ProbeFails
            | EvidenceRow::Unreachable => Health::Unhealthy,
            EvidenceRow::CheckHealthy
            | EvidenceRow::ProbeHealthyOnly
            | EvidenceRow::AlarmsOkNoEndpointSource => Health::Healthy,
            EvidenceRow::UnreachableButCheckHealthy
            | EvidenceRow::ProbeFailsAlone
            | EvidenceRow::AlarmsUnreadable
            | EvidenceRow::NoDataUnknown
            | EvidenceRow::NoEndpointEvidence
            | EvidenceRow::NothingVouches => Health::Unknown,
        }
    }

    /// The row's name as the table at the top of `observe.rs` writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceRow::AlarmInAlarm => "alarm in ALARM",
            EvidenceRow::CheckUnhealthy => "check unhealthy",
            EvidenceRow::ProbeFails => "probe fails",
            EvidenceRow::Unreachable => "unreachable",
            EvidenceRow::UnreachableButCheckHealthy => "unreachable but check healthy",
            EvidenceRow::ProbeFailsAlone => "probe fails alone",
            EvidenceRow::AlarmsUnreadable => "alarms unreadable",
            EvidenceRow::NoDataUnknown => "no data, unknown",
            EvidenceRow::CheckHealthy => "check healthy",
            EvidenceRow::ProbeHealthyOnly => "probe healthy only",
            EvidenceRow::NoEndpointEvidence => "no endpoint evidence",
            EvidenceRow::AlarmsOkNoEndpointSource => "alarms OK, no endpoint source",
            EvidenceRow::NothingVouches => "nothing vouches",
        }
    }
}

/// One verdict with the row that gave it and the evidence behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// The verdict.
    pub health: Health,
    /// The row of the evidence table that gave it.
    pub row: EvidenceRow,
    /// Human-readable evidence: which sources fail, are unknown or vouch, and why the
    /// row applies.
    pub evidence: Vec<String>,
}

/// One region's assessment, with the evidence for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegionHealth {
    /// Region name.
    pub region: String,
    /// The verdict **as a target**: may traffic move onto this region (failover target,
    /// failback candidate, gates below the active region, the duty region)?
    pub health: Health,
    /// The row of the evidence table that gave `health`.
    pub row: EvidenceRow,
    /// For a region healthy as a target: since when, if known. Only sources with a
    /// history give a "since" (`HealthCheckStatus`, alarms in OK); a probe or an idle
    /// alarm gives none, so probe-only health has no known start. RFC 3339 in JSON.
    #[serde(serialize_with = "crate::timestamp::serialize_rfc3339_opt")]
    pub healthy_since: Option<u64>,
    /// Human-readable evidence for `health`.
    pub evidence: Vec<String>,
    /// The verdict **as the active region**: `Unhealthy` means traffic must leave it;
    /// `Unknown` that it is suspect or unknown, never a failover by itself. Assessed as if
    /// the region served traffic (an alarm without data is unknown there), whichever
    /// region is active.
    pub as_active: Verdict,
    /// Alarms of this region that have no data and, the region serving no traffic, count
    /// as idle (`failover.no_data_on_standby = "idle"`): they vouch neither for nor
    /// against it.
    pub idle_alarms: Vec<String>,
    /// The first guard that is not OK, with its state, if any.
    pub blocking_guard: Option<String>,
}

impl RegionHealth {
    /// Known unhealthy on evidence every region's watcher reads alike: an alarm in ALARM
    /// or Route 53's fresh `HealthCheckStatus` — not one watcher's own probe, which
    /// depends on the network it probes from. The gates and the duty rule go by this, so
    /// that watchers in different regions never publish different gates for one region,
    /// nor disagree on which of them is on duty.
    pub fn known_unhealthy_by_shared_evidence(&self) -> bool {
        matches!(
            self.as_active.row,
            EvidenceRow::AlarmInAlarm | EvidenceRow::CheckUnhealthy
        )
    }

    /// A region of unknown health in both roles, for want of any assessment (`why`).
    pub fn unknown(region: &str, why: String) -> RegionHealth {
        RegionHealth {
            region: region.to_string(),
            health: Health::Unknown,
            row: EvidenceRow::AlarmsUnreadable,
            healthy_since: None,
            evidence: vec![why.clone()],
            as_active: Verdict {
                health: Health::Unknown,
                row: EvidenceRow::AlarmsUnreadable,
                evidence: vec![why],
            },
            idle_alarms: Vec::new(),
            blocking_guard: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_rows_that_move_traffic_off_are_unhealthy_and_only_positive_rows_healthy() {
        use EvidenceRow::*;
        for (row, health) in [
            (AlarmInAlarm, Health::Unhealthy),
            (CheckUnhealthy, Health::Unhealthy),
            (ProbeFails, Health::Unhealthy),
            (Unreachable, Health::Unhealthy),
            (UnreachableButCheckHealthy, Health::Unknown),
            (ProbeFailsAlone, Health::Unknown),
            (AlarmsUnreadable, Health::Unknown),
            (NoDataUnknown, Health::Unknown),
            (CheckHealthy, Health::Healthy),
            (ProbeHealthyOnly, Health::Healthy),
            (NoEndpointEvidence, Health::Unknown),
            (AlarmsOkNoEndpointSource, Health::Healthy),
            (NothingVouches, Health::Unknown),
        ] {
            assert_eq!(row.health(), health, "{}", row.as_str());
        }
    }
}
