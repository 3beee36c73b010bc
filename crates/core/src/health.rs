//! A region's health as the engine concludes it from the readings: the verdict, since
//! when, and the evidence.
//!
//! A leaf of the core, so that what produces a verdict and what consumes it need not know
//! each other: [`observe`](crate::observe) assesses the readings (its table says how),
//! the engine decides on the verdicts, and the plans set the gates from them.

use serde::Serialize;

/// What the engine concludes about a region's health.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    /// Every signal says healthy.
    Healthy,
    /// Some alarm is in ALARM or the endpoint check fails.
    Unhealthy,
    /// Not enough data either way.
    Unknown,
}

/// One region's assessment, with the evidence for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegionHealth {
    /// Region name.
    pub region: String,
    /// The verdict.
    pub health: Health,
    /// For a healthy region: since when every signal has been healthy, if known.
    pub healthy_since: Option<u64>,
    /// Human-readable evidence: which signals fail or are unknown.
    pub evidence: Vec<String>,
    /// The first guard that is not OK, with its state, if any.
    pub blocking_guard: Option<String>,
}
