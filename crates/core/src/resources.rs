//! Deterministic names of everything regionflip owns outside DNS records.
//!
//! The watcher, `regionflip init`, the drill and the SAM template all derive these names
//! from the configuration alone, so a second region can be deployed without copying ids
//! by hand, and two components can never disagree on what a gate is called.

use crate::config::Config;

/// Metric the watcher publishes for each region's gate: 1 open, 0 closed.
pub const GATE_METRIC: &str = "GateOpen";
/// Metric watched by the gate-mode state holder alarm; never published, so the alarm
/// stays quiet and only its description matters.
pub const STATE_METRIC: &str = "StateHolder";
/// Dimension naming the record a metric belongs to.
pub const RECORD_DIMENSION: &str = "Record";
/// Dimension naming the region a metric describes.
pub const REGION_DIMENSION: &str = "Region";

impl Config {
    /// The record name as a name fragment: `api.example.com.` → `api-example-com`.
    pub fn slug(&self) -> String {
        self.record_name
            .trim_end_matches('.')
            .replace(['.', '_', '*'], "-")
    }

    /// The alarm on `region`'s gate metric, which the region's CLOUDWATCH_METRIC health
    /// check follows.
    pub fn gate_alarm_name(&self, region: &str) -> String {
        format!("regionflip-gate-{}-{region}", self.slug())
    }

    /// The region that hosts `region`'s gate metric and alarm: the next region in
    /// preference order (wrapping). A gate never lives in the region it gates, so a
    /// region's own CloudWatch outage cannot hold its gate open or shut.
    pub fn gate_host_region(&self, region: &str) -> &str {
        let rank = self.rank(region).unwrap_or(0);
        &self.regions[(rank + 1) % self.regions.len()].name
    }

    /// The gate-mode state holder alarm, present in every region.
    pub fn state_alarm_name(&self) -> String {
        format!("regionflip-state-{}", self.slug())
    }
}
