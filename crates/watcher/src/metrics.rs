//! The CloudWatch metrics a pass publishes, built as plain data.
//!
//! Every metric carries the `Record` dimension (the record name), so one dashboard can
//! show several records side by side:
//!
//! | metric                  | unit         | when                                   |
//! |-------------------------|--------------|----------------------------------------|
//! | `Failover`              | Count        | an automatic failover was applied      |
//! | `Failback`              | Count        | an automatic failback was applied      |
//! | `ManualTransition`      | Count        | an operator's move was applied         |
//! | `Evacuation`            | Count        | active-active: a region was taken out of service automatically |
//! | `Restoration`           | Count        | active-active: a region was returned to service automatically |
//! | `ActiveRegion`          | None (1/0)   | every pass, per region (`Region`); failover routing |
//! | `InService`             | None (1/0)   | active-active: every pass whose routing is known, per region (`Region`): 1 while in service (its gate open) |
//! | `RegionHealthy`         | None (1/0)   | every pass, per region whose health is known |
//! | `TimeInFailoverSeconds` | Seconds      | on the return home                     |
//! | `ReconcileDurationMs`   | Milliseconds | every pass                             |
//! | `NoHealthyTarget`       | Count        | a failover was needed but impossible (active/active: an evacuation, `LastInService` included) |
//! | `Paused`                | None (1/0)   | every pass whose state could be read: 1 while automation is paused (the stack's alarm pages when it stays paused too long) |
//! | `FailoverTargetReady`   | None (1/0)   | every pass: 1 when a failing serving region would have somewhere to go (`regionflip_core::target_ready`: another region known healthy; active/active also room above `min_in_service` or a healthy evacuated region), from what the pass read; no extra call |
//! | `ApplyConflicts`        | Count        | every pass (compare-and-swap refusals) |
//! | `PairDrift`             | Count        | every `records` pass: fields of the failover pair that differ from the configuration (hand edits) |
//!
//! In gate mode the gates themselves (`GateOpen`, per `Region`) are metrics too, but they
//! are routing, not records: [`gate_data`] builds them for their host regions.

use regionflip_core::resources::{GATE_METRIC, RECORD_DIMENSION, REGION_DIMENSION};
use regionflip_core::{
    Config, Decision, GateSetting, Health, Plan, Reason, TransitionKind, target_ready,
};

use crate::ports::{MetricDatum, MetricUnit};

/// What a pass did, as the metrics need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassFacts<'a> {
    /// The final decision of the pass.
    pub decision: &'a Decision,
    /// Whether its plan was applied (false for dry runs and failed applies).
    pub applied: bool,
    /// The region routing is on after the pass.
    pub active_after: Option<&'a str>,
    /// Compare-and-swap conflicts met during the pass.
    pub conflicts: u32,
    /// Wall-clock duration of the pass.
    pub duration_ms: u64,
}

/// The metrics one pass publishes in the watcher's own region.
pub fn pass_data(config: &Config, facts: &PassFacts<'_>, now: u64) -> Vec<MetricDatum> {
    let record = config.record_name.trim_end_matches('.').to_string();
    let datum = |name: &str, value: f64, unit: MetricUnit, region: Option<&str>| {
        let mut dimensions = vec![(RECORD_DIMENSION.to_string(), record.clone())];
        if let Some(region) = region {
            dimensions.push((REGION_DIMENSION.to_string(), region.to_string()));
        }
        MetricDatum {
            name: name.to_string(),
            dimensions,
            value,
            unit,
            timestamp: now,
        }
    };
    let mut data = Vec::new();
    if let (true, Some(event)) = (facts.applied, &facts.decision.event) {
        let name = match event.kind {
            TransitionKind::Failover => "Failover",
            TransitionKind::Failback => "Failback",
            TransitionKind::Manual => "ManualTransition",
            TransitionKind::Evacuate => "Evacuation",
            TransitionKind::Restore => "Restoration",
        };
        data.push(datum(name, 1.0, MetricUnit::Count, None));
        if let Some(away) = event.time_in_failover_secs {
            data.push(datum(
                "TimeInFailoverSeconds",
                away as f64,
                MetricUnit::Seconds,
                None,
            ));
        }
    }
    if config.routing.is_active_active() {
        // The gates a pass publishes are its routing: the state read, or on an applied
        // change the state written.
        if let (Plan::Gates { gates, .. }, true) = (
            &facts.decision.plan,
            facts.applied || !facts.decision.is_transition(),
        ) {
            for gate in gates {
                data.push(datum(
                    "InService",
                    if gate.open { 1.0 } else { 0.0 },
                    MetricUnit::None,
                    Some(&gate.region),
                ));
            }
        }
    } else if let Some(active) = facts.active_after {
        for region in &config.regions {
            let value = if region.name == active { 1.0 } else { 0.0 };
            data.push(datum(
                "ActiveRegion",
                value,
                MetricUnit::None,
                Some(&region.name),
            ));
        }
    }
    for health in &facts.decision.regions {
        let value = match health.health {
            Health::Healthy => 1.0,
            Health::Unhealthy => 0.0,
            // Unknown is no data, not a zero: a dashboard gap says "not known" honestly.
            Health::Unknown => continue,
        };
        data.push(datum(
            "RegionHealthy",
            value,
            MetricUnit::None,
            Some(&health.region),
        ));
    }
    if let Some(paused) = facts.decision.paused() {
        data.push(datum(
            "Paused",
            if paused { 1.0 } else { 0.0 },
            MetricUnit::None,
            None,
        ));
    }
    // Readiness: from what the pass read, whether a failing serving region would have
    // somewhere to go (active-active: the regions whose gates the pass keeps open).
    let serving: Option<Vec<&str>> = if config.routing.is_active_active() {
        match (
            &facts.decision.plan,
            facts.applied || !facts.decision.is_transition(),
        ) {
            (Plan::Gates { gates, .. }, true) => Some(
                gates
                    .iter()
                    .filter(|g| g.open)
                    .map(|g| g.region.as_str())
                    .collect(),
            ),
            _ => None,
        }
    } else {
        facts.active_after.map(|active| vec![active])
    };
    if let Some(serving) = serving {
        let ready = target_ready(config, &serving, |region| {
            facts
                .decision
                .regions
                .iter()
                .any(|h| h.region == region && h.health == Health::Healthy)
        });
        data.push(datum(
            "FailoverTargetReady",
            if ready { 1.0 } else { 0.0 },
            MetricUnit::None,
            None,
        ));
    }
    if facts
        .decision
        .reasons
        .iter()
        // Active/active: a region that should leave service but is the last in service
        // (`LastInService`) is the same page: every region left is failing.
        .any(|r| matches!(r, Reason::NoHealthyTarget | Reason::LastInService { .. }))
    {
        data.push(datum("NoHealthyTarget", 1.0, MetricUnit::Count, None));
    }
    if config.mode == regionflip_core::Mode::Records {
        data.push(datum(
            "PairDrift",
            facts.decision.pair_drift().len() as f64,
            MetricUnit::Count,
            None,
        ));
    }
    data.push(datum(
        "ApplyConflicts",
        f64::from(facts.conflicts),
        MetricUnit::Count,
        None,
    ));
    data.push(datum(
        "ReconcileDurationMs",
        facts.duration_ms as f64,
        MetricUnit::Milliseconds,
        None,
    ));
    data
}

/// The gate values, grouped by the region that hosts each gate's metric and alarm.
pub fn gate_data(
    config: &Config,
    gates: &[GateSetting],
    now: u64,
) -> Vec<(String, Vec<MetricDatum>)> {
    let record = config.record_name.trim_end_matches('.').to_string();
    let mut by_host: Vec<(String, Vec<MetricDatum>)> = Vec::new();
    for gate in gates {
        let host = config.gate_host_region(&gate.region).to_string();
        let datum = MetricDatum {
            name: GATE_METRIC.to_string(),
            dimensions: vec![
                (RECORD_DIMENSION.to_string(), record.clone()),
                (REGION_DIMENSION.to_string(), gate.region.clone()),
            ],
            value: if gate.open { 1.0 } else { 0.0 },
            unit: MetricUnit::None,
            timestamp: now,
        };
        match by_host.iter_mut().find(|(h, _)| *h == host) {
            Some((_, data)) => data.push(datum),
            None => by_host.push((host, vec![datum])),
        }
    }
    by_host
}
