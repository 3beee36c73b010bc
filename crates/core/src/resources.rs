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

/// A record name as a fragment of resource names, injectively: two different record names
/// never share a fragment, so they never share a state holder or a gate.
///
/// `.` becomes `-`, `-` becomes `--`, `_` becomes `__`, and a wildcard label `*` becomes
/// `_w`: `api.example.com.` → `api-example-com`, `api-eu.example.com.` →
/// `api--eu-example-com`. It decodes unambiguously because a valid name's labels never
/// start or end with `-` (so a lone `-` is always a dot and a run of them is doubled
/// hyphens), and underscores from the name always come in pairs. The SAM template
/// computes the same fragment for names without `_` or `*`.
pub fn slug_of(record_name: &str) -> String {
    let mut slug = String::with_capacity(record_name.len() + 8);
    for label_char in record_name.trim_end_matches('.').chars() {
        match label_char {
            '.' => slug.push('-'),
            '-' => slug.push_str("--"),
            '_' => slug.push_str("__"),
            '*' => slug.push_str("_w"),
            other => slug.push(other),
        }
    }
    slug
}

impl Config {
    /// The record name as a name fragment ([`slug_of`]).
    pub fn slug(&self) -> String {
        slug_of(&self.record_name)
    }

    /// The alarm on `region`'s gate metric, which the region's CLOUDWATCH_METRIC health
    /// check follows.
    pub fn gate_alarm_name(&self, region: &str) -> String {
        format!("regionflip-gate-{}-{region}", self.slug())
    }

    /// The region that hosts `region`'s gate metric and alarm.
    ///
    /// Failover routing: the next region in preference order. A gate there is what
    /// fails traffic away from its region, so it must be closable while that region (its
    /// CloudWatch included) is failing; and what it depends on is the region traffic
    /// would go to, where Route 53's own fallback — every record unhealthy, the PRIMARY
    /// answers — keeps the name on the region that was serving.
    ///
    /// Active-active routing: the region itself. There a gate only takes its region out
    /// of service, and Route 53's fallback is the other way round: with every record of
    /// the set unhealthy it answers them all. Hosted in another region, a region's
    /// *serving* would depend on that region's CloudWatch, and what Route 53 does when it
    /// cannot read a CLOUDWATCH_METRIC check's alarm region is not documented: with that
    /// region wholly down (its own record out by its endpoint check) the survivor's gate
    /// could read unhealthy too, and the answer would include the dead region again.
    /// Hosted at home, a region's CloudWatch outage can only ever count against that
    /// region itself, the safe side; the cost is that a gray failure (alarms only) of a
    /// region whose CloudWatch cannot be written is not evacuated (docs/deploy.md,
    /// "Active/active").
    pub fn gate_host_region(&self, region: &str) -> &str {
        let rank = self.rank(region).unwrap_or(0);
        if self.routing.is_active_active() {
            &self.regions[rank].name
        } else {
            &self.regions[(rank + 1) % self.regions.len()].name
        }
    }

    /// Whether `region` has a gate: with failover routing every region but the last in
    /// preference order.
    ///
    /// The last region is the SECONDARY of the last failover pair, and Route 53 answers
    /// the PRIMARY whenever the SECONDARY is unhealthy, "regardless of the health of the
    /// primary" (Route 53 DG, "How health checks work in complex configurations"). A gate
    /// on it could only ever pin traffic on a PRIMARY that its own checks (or the
    /// watcher) found failing, never move traffic anywhere better; and in a pair it would
    /// live in the home region, so the standby's routing would depend on the CloudWatch of
    /// the region that is failing. Its record carries its endpoint check alone.
    ///
    /// With active-active routing every region has a gate (hosted in the region itself,
    /// [`Config::gate_host_region`]): evacuating a region is closing it, and no region
    /// stands by as the last.
    pub fn is_gated(&self, region: &str) -> bool {
        self.rank(region)
            .is_some_and(|rank| self.routing.is_active_active() || rank + 1 < self.regions.len())
    }

    /// The regions that have a gate ([`Config::is_gated`]), in preference order.
    pub fn gated_regions(&self) -> impl Iterator<Item = &crate::config::RegionConfig> {
        self.regions.iter().filter(|r| self.is_gated(&r.name))
    }

    /// The gate-mode state holder alarm, present in every region.
    pub fn state_alarm_name(&self) -> String {
        format!("regionflip-state-{}", self.slug())
    }

    /// The alarms a pass reads in `region` in its one `DescribeAlarms` (at most 100
    /// names, which the validator keeps to): the region's alarms and guards, and in gate
    /// mode the state holder.
    pub fn alarms_read_in(&self, region: &crate::config::RegionConfig) -> Vec<String> {
        let mut names: Vec<String> = region
            .alarms
            .iter()
            .chain(&region.guards)
            .cloned()
            .collect();
        if self.mode == crate::config::Mode::HealthGate {
            names.push(self.state_alarm_name());
        }
        names
    }
}

#[cfg(test)]
mod tests {
    use super::slug_of;

    /// Regression (two records shared each other's gates and state): names that the old
    /// fragment (every `.`, `_`, `*` to `-`) mapped to one now map apart.
    #[test]
    fn different_record_names_never_share_a_fragment() {
        let names = [
            "api.eu.example.com.",
            "api-eu.example.com.",
            "api.eu-example.com.",
            "api_eu.example.com.",
            "*.eu.example.com.",
            "_w.eu.example.com.",
            "w.eu.example.com.",
            "api--eu.example.com.",
            "a-b.c.example.com.",
            "a.b-c.example.com.",
        ];
        let mut seen = std::collections::BTreeMap::new();
        for name in names {
            if let Some(other) = seen.insert(slug_of(name), name) {
                panic!("{name} and {other} share the fragment {}", slug_of(name));
            }
        }
        assert_eq!(slug_of("api.example.com."), "api-example-com");
        assert_eq!(slug_of("api-eu.example.com."), "api--eu-example-com");
    }
}
