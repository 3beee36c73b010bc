//! The rest of Route 53's data plane, simulated: health check evaluation and the answer a
//! resolver gets. moto stores records and health checks but evaluates nothing.
//!
//! Everything is read from the emulator as `init` left it and as the watcher changes it:
//! the failover pair (`ListResourceRecordSets`, every round, so `records` mode flips are
//! seen), and the health checks reachable from it (`GetHealthCheck`, once). Evaluation follows Route 53:
//!
//! | check type                        | healthy when                                   |
//! |-----------------------------------|------------------------------------------------|
//! | `HTTP(S)`, `HTTP(S)_STR_MATCH`    | the simulated checkers say so (`checkers.rs`)  |
//! | `CALCULATED`                      | at least `HealthThreshold` children are healthy |
//! | `CLOUDWATCH_METRIC` (a gate)      | its alarm was OK one gate check lag ago        |
//! | `Disabled` / `Inverted`           | always healthy / the opposite                  |
//!
//! and the answer: PRIMARY while its check is healthy, else SECONDARY while its check is
//! healthy, else — every record unhealthy — Route 53 treats them all as healthy and
//! answers PRIMARY. (Resolver caching for the record's TTL is not simulated: the answer
//! is what Route 53's name servers give.)
//!
//! **Gate alarms.** moto never evaluates alarms, and it drops a `CLOUDWATCH_METRIC`
//! check's alarm identifier. The drill therefore evaluates each gate alarm as init
//! defines it — ALARM when the minimum of the region's `GateOpen` over the period is
//! below 1, missing data keeps the state — from the datapoints the watcher published to
//! the emulator (`GetMetricData`), with the period compressed, and mirrors the result
//! into the emulator with `SetAlarmState`. The gate check of a region is found as the
//! `CLOUDWATCH_METRIC` child of the `CALCULATED` check on that region's record.
//!
//! **Gate checks lag.** Route 53 does not follow the alarm's state: it reads the alarm's
//! metric stream itself (with the settings it copied when the check was created), and
//! AWS documents no latency for that; it cannot be less than one alarm period. So a gate
//! check here shows each change of its alarm only `gate_check_lag` later (a delay line,
//! [`super::timings`]): the drill's gate-mode flips take what the compressed AWS clock
//! takes, not the one data-plane round the evaluation alone would.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{
    Dimension, Metric, MetricDataQuery, MetricStat, ScanBy, StateValue,
};
use aws_sdk_route53::types::HealthCheckType;
use regionflip_core::records::{chain_answer, gate_chain, region_of_record, service_answer};
use regionflip_core::resources::{GATE_METRIC, RECORD_DIMENSION, REGION_DIMENSION};
use regionflip_core::{Config, FailoverRole, Mode, RecordSet};
use regionflip_watcher::aws::AwsClients;
use regionflip_watcher::ports::Route53Api;
use tokio::time::{Instant, MissedTickBehavior};

use super::checkers::{EndpointSpec, Fleet};
use super::timeline::{Timeline, unix_now};
use crate::error::CliError;
use regionflip_probe::ProbeTarget;

/// Records asked for when reading the failover pair.
const PAIR_PAGE: i32 = 10;
/// Nesting of CALCULATED checks followed at most (Route 53 allows no cycles; this only
/// bounds a malformed emulator state).
const MAX_DEPTH: u32 = 8;

/// How one health check is evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
enum CheckKind {
    /// Probed by the simulated checkers.
    Endpoint,
    /// Healthy when `threshold` of `children` are.
    Calculated {
        children: Vec<String>,
        threshold: usize,
    },
    /// Follows the gate alarm of `region`.
    Gate { region: String },
    /// A type the drill does not simulate; counted healthy.
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Check {
    kind: CheckKind,
    inverted: bool,
    disabled: bool,
}

/// What the drill found in the emulator after init.
#[derive(Debug)]
pub(crate) struct Discovered {
    checks: BTreeMap<String, Check>,
    /// The endpoint checks reachable from the failover pair: what the checkers probe.
    pub(crate) endpoints: Vec<EndpointSpec>,
}

/// Reads the failover pair and every health check, and works out what to simulate.
pub(crate) async fn discover(
    config: &Config,
    clients: &AwsClients,
) -> Result<Discovered, CliError> {
    let pair = read_pair(config, clients)
        .await
        .map_err(|e| CliError::Failed(format!("cannot read the failover records: {e}")))?;
    let expected = if config.routing.is_active_active() {
        config.regions.len()
    } else {
        2 * layout_names(config).len()
    };
    if pair.len() != expected {
        return Err(CliError::Failed(format!(
            "init left {} records for {}, expected {expected} ({}{})",
            pair.len(),
            config.record_name,
            if config.routing.is_active_active() {
                "one per region"
            } else {
                "a PRIMARY and a SECONDARY for the name"
            },
            if expected > 2 && !config.routing.is_active_active() {
                " and each gate chain link"
            } else {
                ""
            }
        )));
    }
    let mut discovered = Discovered {
        checks: BTreeMap::new(),
        endpoints: Vec::new(),
    };
    for record in &pair {
        let (Some(root), Some(region)) =
            (&record.health_check_id, region_of_record(config, record))
        else {
            continue;
        };
        let mut pending = vec![root.clone()];
        while let Some(id) = pending.pop() {
            if discovered.checks.contains_key(&id) {
                continue;
            }
            // One GetHealthCheck per check reachable from the pair: the emulator may
            // hold any number of other checks (earlier runs, other users).
            let found = clients
                .route53
                .client()
                .get_health_check()
                .health_check_id(&id)
                .send()
                .await
                .map_err(|e| {
                    CliError::Failed(format!(
                        "GetHealthCheck {id} (of {}'s record) failed: {}",
                        region.name,
                        aws_sdk_route53::error::DisplayErrorContext(e)
                    ))
                })?;
            let Some(settings) = found.health_check().and_then(|c| c.health_check_config()) else {
                return Err(CliError::Failed(format!(
                    "health check {id} of {}'s record has no configuration",
                    region.name
                )));
            };
            let kind = match settings.r#type() {
                HealthCheckType::Http
                | HealthCheckType::Https
                | HealthCheckType::HttpStrMatch
                | HealthCheckType::HttpsStrMatch => {
                    // The check is labelled with the region whose endpoint it probes.
                    let owner = config
                        .regions
                        .iter()
                        .find(|r| r.health_check_id.as_deref() == Some(id.as_str()))
                        .map_or(region.name.as_str(), |r| r.name.as_str());
                    discovered.endpoints.push(EndpointSpec {
                        id: id.clone(),
                        region: owner.to_string(),
                        target: endpoint_target(settings)?,
                    });
                    CheckKind::Endpoint
                }
                HealthCheckType::Calculated => {
                    let children = settings.child_health_checks().to_vec();
                    pending.extend(children.iter().cloned());
                    CheckKind::Calculated {
                        threshold: settings
                            .health_threshold()
                            .map_or(children.len(), |t| usize::try_from(t).unwrap_or(0)),
                        children,
                    }
                }
                HealthCheckType::CloudwatchMetric => CheckKind::Gate {
                    region: region.name.clone(),
                },
                other => CheckKind::Other(other.as_str().to_string()),
            };
            discovered.checks.insert(
                id,
                Check {
                    kind,
                    inverted: settings.inverted().unwrap_or(false),
                    disabled: settings.disabled().unwrap_or(false),
                },
            );
        }
    }
    Ok(discovered)
}

/// The URL a Route 53 checker requests for an endpoint check.
pub(crate) fn endpoint_target(
    settings: &aws_sdk_route53::types::HealthCheckConfig,
) -> Result<ProbeTarget, CliError> {
    let https = matches!(
        settings.r#type(),
        HealthCheckType::Https | HealthCheckType::HttpsStrMatch
    );
    let host = settings
        .ip_address()
        .or(settings.fully_qualified_domain_name())
        .ok_or_else(|| {
            CliError::Failed("an endpoint check has neither IP address nor domain name".into())
        })?;
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    let port = settings.port().unwrap_or(if https { 443 } else { 80 });
    let path = settings.resource_path().unwrap_or("/");
    let url = format!(
        "{}://{host}:{port}{}{path}",
        if https { "https" } else { "http" },
        if path.starts_with('/') { "" } else { "/" }
    );
    let search = match settings.r#type() {
        HealthCheckType::HttpStrMatch | HealthCheckType::HttpsStrMatch => {
            settings.search_string().map(str::to_string)
        }
        _ => None,
    };
    ProbeTarget::parse(&url, search).map_err(CliError::Failed)
}

/// The names whose failover records make up the layout: the name, and in health-gate mode
/// every link of the gate chain (`records::gate_chain`).
fn layout_names(config: &Config) -> Vec<String> {
    match config.mode {
        Mode::HealthGate => gate_chain(config).into_iter().map(|l| l.name).collect(),
        Mode::Records => vec![config.record_name.clone()],
    }
}

/// Every failover record of the layout (the pair, and the chain's links), one page per
/// name.
async fn read_pair(config: &Config, clients: &AwsClients) -> Result<Vec<RecordSet>, String> {
    let mut records = Vec::new();
    for name in layout_names(config) {
        let page = clients
            .route53
            .list_records(&config.hosted_zone_id, &name, PAIR_PAGE)
            .await
            .map_err(|e| e.to_string())?;
        // The failover records, or with active-active routing the latency or weighted
        // ones.
        records.extend(page.records.into_iter().filter(|r| {
            r.name == name
                && (r.failover.is_some() || r.latency_region.is_some() || r.weight.is_some())
        }));
    }
    Ok(records)
}

/// The simulated evaluation and resolver.
#[derive(Debug)]
pub(crate) struct DataPlane {
    config: Config,
    clients: AwsClients,
    checks: BTreeMap<String, Check>,
    fleet: Arc<Fleet>,
    gate_period: Duration,
    gate_check_lag: Duration,
    timeline: Arc<Timeline>,
    /// Each gated region's gate alarm as evaluated: true while OK (gate open).
    gates: Mutex<BTreeMap<String, bool>>,
    /// Each gated region's gate check, as Route 53 reports it, `gate_check_lag` behind
    /// its alarm.
    gate_checks: Mutex<BTreeMap<String, GateCheck>>,
}

/// A gate's `CLOUDWATCH_METRIC` check: what it shows now, and the alarm's changes it has
/// yet to show (when, and what), oldest first.
#[derive(Debug)]
struct GateCheck {
    healthy: bool,
    pending: VecDeque<(Instant, bool)>,
}

impl GateCheck {
    /// Shows every change that is due by `now`; returns what it shows if that changed.
    fn catch_up(&mut self, now: Instant) -> Option<bool> {
        let before = self.healthy;
        while let Some(&(due, healthy)) = self.pending.front() {
            if due > now {
                break;
            }
            self.healthy = healthy;
            self.pending.pop_front();
        }
        (self.healthy != before).then_some(self.healthy)
    }
}

impl DataPlane {
    /// The data plane over what [`discover`] found.
    pub(crate) fn new(
        config: Config,
        clients: AwsClients,
        discovered: Discovered,
        fleet: Arc<Fleet>,
        gate_period: Duration,
        gate_check_lag: Duration,
        timeline: Arc<Timeline>,
    ) -> Arc<DataPlane> {
        // New alarms start OK in moto, and init publishes every gate open.
        let gates = discovered
            .checks
            .values()
            .filter_map(|c| match &c.kind {
                CheckKind::Gate { region } => Some((region.clone(), true)),
                _ => None,
            })
            .collect::<BTreeMap<_, _>>();
        for region in gates.keys() {
            timeline.lane(&gate_lane(region), "open");
            timeline.lane(&gate_check_lane(region), "healthy");
        }
        let gate_checks = gates
            .keys()
            .map(|region| {
                (
                    region.clone(),
                    GateCheck {
                        healthy: true,
                        pending: VecDeque::new(),
                    },
                )
            })
            .collect();
        Arc::new(DataPlane {
            config,
            clients,
            checks: discovered.checks,
            fleet,
            gate_period,
            gate_check_lag,
            timeline,
            gates: Mutex::new(gates),
            gate_checks: Mutex::new(gate_checks),
        })
    }

    /// Evaluates the gates and the answer every `every`, for ever.
    pub(crate) async fn run(self: Arc<Self>, every: Duration) {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut last_error = String::new();
        loop {
            ticks.tick().await;
            if let Err(error) = self.round().await {
                // Once per distinct error: a stuck emulator must not flood the story.
                if error != last_error {
                    self.timeline.event("error", format!("data plane: {error}"));
                    last_error = error;
                }
            }
        }
    }

    async fn round(&self) -> Result<(), String> {
        if self.config.mode == Mode::HealthGate {
            self.evaluate_gates().await?;
            self.show_due_gate_changes();
        }
        let pair = read_pair(&self.config, &self.clients)
            .await
            .map_err(|e| format!("ListResourceRecordSets failed: {e}"))?;
        let gates: BTreeMap<String, bool> = self
            .gate_checks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(region, check)| (region.clone(), check.healthy))
            .collect();
        if self.config.routing.is_active_active() {
            return self.answer_in_service(&pair, &gates);
        }
        if self.config.mode == Mode::HealthGate {
            return self.answer_through_the_chain(&pair, &gates);
        }
        let primary = pair
            .iter()
            .find(|r| r.failover == Some(FailoverRole::Primary));
        let secondary = pair
            .iter()
            .find(|r| r.failover == Some(FailoverRole::Secondary));
        let (Some(primary), Some(secondary)) = (primary, secondary) else {
            return Err(format!(
                "{} lacks its PRIMARY or SECONDARY record",
                self.config.record_name
            ));
        };
        let region = |record: &RecordSet| {
            region_of_record(&self.config, record)
                .map_or_else(|| "elsewhere".to_string(), |r| r.name.clone())
        };
        let healthy = |record: &RecordSet| {
            record
                .health_check_id
                .as_ref()
                .is_none_or(|id| self.healthy(id, &gates, 0))
        };
        let (primary_ok, secondary_ok) = (healthy(primary), healthy(secondary));
        for (record, ok) in [(primary, primary_ok), (secondary, secondary_ok)] {
            self.timeline.lane(
                &record_lane(&region(record)),
                if ok { "healthy" } else { "unhealthy" },
            );
        }
        let (answer, why) = match (primary_ok, secondary_ok) {
            (true, _) => (primary, format!("PRIMARY {} is healthy", region(primary))),
            (false, true) => (
                secondary,
                format!(
                    "PRIMARY {} is unhealthy, SECONDARY {} is healthy",
                    region(primary),
                    region(secondary)
                ),
            ),
            (false, false) => (
                primary,
                "every record is unhealthy, so Route 53 treats them all as healthy and answers PRIMARY".to_string(),
            ),
        };
        let answered = region(answer);
        if self.timeline.lane(DNS_LANE, &answered) {
            self.timeline.event(
                "dns",
                format!(
                    "{} answers {answered} ({})",
                    self.config.record_name.trim_end_matches('.'),
                    why
                ),
            );
        }
        Ok(())
    }

    /// health-gate mode: each region's record is evaluated on its check, and the answer
    /// goes down the gate chain by Route 53's rules (`records::chain_answer`; for two
    /// regions, the one pair).
    fn answer_through_the_chain(
        &self,
        records: &[RecordSet],
        gates: &BTreeMap<String, bool>,
    ) -> Result<(), String> {
        let healthy_regions = self.region_records_health(records, gates)?;
        let (answered, why) = chain_answer(&self.config, |region| {
            healthy_regions.get(region).copied().unwrap_or(false)
        });
        if self.timeline.lane(DNS_LANE, &answered) {
            self.timeline.event(
                "dns",
                format!(
                    "{} answers {answered} ({why})",
                    self.config.record_name.trim_end_matches('.')
                ),
            );
        }
        Ok(())
    }

    /// Active-active routing: each region's latency or weighted record is evaluated on
    /// its check, and Route 53 answers every healthy one (the nearest, or by weight) —
    /// every one when none is (`records::service_answer`). The answer is the regions
    /// joined by `+`; the `in service` lane shows the regions whose gate alarm is OK.
    fn answer_in_service(
        &self,
        records: &[RecordSet],
        gates: &BTreeMap<String, bool>,
    ) -> Result<(), String> {
        let healthy_regions = self.region_records_health(records, gates)?;
        let open = self.gates.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let in_service: Vec<&str> = self
            .config
            .regions
            .iter()
            .filter(|r| open.get(&r.name).copied().unwrap_or(true))
            .map(|r| r.name.as_str())
            .collect();
        self.timeline.lane(IN_SERVICE_LANE, &in_service.join("+"));
        let (answered, fail_open) = service_answer(&self.config, |region| {
            healthy_regions.get(region).copied().unwrap_or(false)
        });
        let answered = answered.join("+");
        if self.timeline.lane(DNS_LANE, &answered) {
            self.timeline.event(
                "dns",
                format!(
                    "{} answers {answered} ({})",
                    self.config.record_name.trim_end_matches('.'),
                    if fail_open {
                        "every record is unhealthy, so Route 53 answers them all"
                    } else {
                        "every healthy record"
                    }
                ),
            );
        }
        Ok(())
    }

    /// health-gate mode: whether each region's record is healthy on its check (shown in
    /// its record lane); an error when a region has no record. A chain link's alias has
    /// no region: its health is the rest of the chain's.
    fn region_records_health(
        &self,
        records: &[RecordSet],
        gates: &BTreeMap<String, bool>,
    ) -> Result<BTreeMap<String, bool>, String> {
        let mut healthy_regions = BTreeMap::new();
        for record in records {
            let Some(region) = region_of_record(&self.config, record) else {
                continue;
            };
            let ok = record
                .health_check_id
                .as_ref()
                .is_none_or(|id| self.healthy(id, gates, 0));
            healthy_regions.insert(region.name.clone(), ok);
        }
        for region in &self.config.regions {
            let Some(ok) = healthy_regions.get(&region.name) else {
                return Err(format!("no record answers {}", region.name));
            };
            self.timeline.lane(
                &record_lane(&region.name),
                if *ok { "healthy" } else { "unhealthy" },
            );
        }
        Ok(healthy_regions)
    }

    fn healthy(&self, id: &str, gates: &BTreeMap<String, bool>, depth: u32) -> bool {
        let Some(check) = self.checks.get(id) else {
            // Not reachable from the pair when discovered; Route 53 counts a check
            // without data healthy.
            return true;
        };
        if check.disabled || depth > MAX_DEPTH {
            return true;
        }
        let healthy = match &check.kind {
            CheckKind::Endpoint => self.fleet.healthy(id).unwrap_or(true),
            CheckKind::Calculated {
                children,
                threshold,
            } => {
                children
                    .iter()
                    .filter(|child| self.healthy(child, gates, depth + 1))
                    .count()
                    >= *threshold
            }
            CheckKind::Gate { region } => gates.get(region).copied().unwrap_or(true),
            CheckKind::Other(_) => true,
        };
        healthy != check.inverted
    }

    /// Lets each gate check show the alarm changes that are `gate_check_lag` old.
    fn show_due_gate_changes(&self) {
        let now = Instant::now();
        let shown: Vec<(String, bool)> = self
            .gate_checks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter_mut()
            .filter_map(|(region, check)| Some((region.clone(), check.catch_up(now)?)))
            .collect();
        for (region, healthy) in shown {
            self.timeline.lane(
                &gate_check_lane(&region),
                if healthy { "healthy" } else { "unhealthy" },
            );
            self.timeline.event(
                "gate",
                format!(
                    "{region}'s gate check (CLOUDWATCH_METRIC) turns {}, {:.1} s after its alarm \
                     (Route 53 reads the metric stream, not the alarm)",
                    if healthy { "healthy" } else { "UNHEALTHY" },
                    self.gate_check_lag.as_secs_f64()
                ),
            );
        }
    }

    /// Evaluates every gate alarm from the `GateOpen` datapoints in the emulator.
    async fn evaluate_gates(&self) -> Result<(), String> {
        let regions: Vec<String> = self
            .gates
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect();
        for region in regions {
            let Some(minimum) = self.gate_minimum(&region).await? else {
                // No datapoint in the period: the alarm keeps its state.
                continue;
            };
            let open = minimum >= 1.0;
            let changed = {
                let mut gates = self.gates.lock().unwrap_or_else(|e| e.into_inner());
                gates.insert(region.clone(), open) != Some(open)
            };
            if changed {
                // The gate check shows the change one lag later.
                if let Some(check) = self
                    .gate_checks
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get_mut(&region)
                {
                    check
                        .pending
                        .push_back((Instant::now() + self.gate_check_lag, open));
                }
                self.mirror_gate_alarm(&region, open, minimum).await?;
            }
        }
        Ok(())
    }

    /// The minimum of `region`'s `GateOpen` over the last gate period, if published.
    async fn gate_minimum(&self, region: &str) -> Result<Option<f64>, String> {
        let host = self.config.gate_host_region(region);
        let now = unix_now();
        let period = self.gate_period.as_secs_f64().ceil() as u64;
        let metric = Metric::builder()
            .namespace(&self.config.metrics_namespace)
            .metric_name(GATE_METRIC)
            .dimensions(
                Dimension::builder()
                    .name(RECORD_DIMENSION)
                    .value(self.config.record_name.trim_end_matches('.'))
                    .build(),
            )
            .dimensions(
                Dimension::builder()
                    .name(REGION_DIMENSION)
                    .value(region)
                    .build(),
            )
            .build();
        let output = self
            .clients
            .cloudwatch
            .client(host)
            .map_err(|e| e.to_string())?
            .get_metric_data()
            .metric_data_queries(
                MetricDataQuery::builder()
                    .id("gate")
                    .metric_stat(
                        MetricStat::builder()
                            .metric(metric)
                            .period(1)
                            .stat("Minimum")
                            .build(),
                    )
                    .build(),
            )
            .start_time(unix_time(now.saturating_sub(period)))
            .end_time(unix_time(now + 1))
            .scan_by(ScanBy::TimestampDescending)
            .send()
            .await
            .map_err(|e| format!("GetMetricData for {region}'s gate in {host} failed: {e}"))?;
        Ok(output
            .metric_data_results()
            .iter()
            .flat_map(|r| r.values().iter().copied())
            .reduce(f64::min))
    }

    /// Writes the evaluated state into the emulator's gate alarm and tells the story.
    async fn mirror_gate_alarm(
        &self,
        region: &str,
        open: bool,
        minimum: f64,
    ) -> Result<(), String> {
        let host = self.config.gate_host_region(region);
        let alarm = self.config.gate_alarm_name(region);
        self.clients
            .cloudwatch
            .client(host)
            .map_err(|e| e.to_string())?
            .set_alarm_state()
            .alarm_name(&alarm)
            .state_value(if open {
                StateValue::Ok
            } else {
                StateValue::Alarm
            })
            .state_reason(format!(
                "evaluated by regionflip drill: minimum GateOpen {minimum} over the last {:.1} s",
                self.gate_period.as_secs_f64()
            ))
            .send()
            .await
            .map_err(|e| format!("SetAlarmState {alarm} in {host} failed: {e}"))?;
        self.timeline
            .lane(&gate_lane(region), if open { "open" } else { "closed" });
        self.timeline.event(
            "gate",
            format!(
                "{alarm} in {host} → {}: {region}'s gate {} (GateOpen minimum {minimum})",
                if open { "OK" } else { "ALARM" },
                if open { "opens" } else { "closes" }
            ),
        );
        Ok(())
    }
}

/// The lane of the simulated DNS answer.
pub(crate) const DNS_LANE: &str = "DNS answer";

/// Active-active routing: the regions whose gate alarm is OK (in service), joined by `+`.
pub(crate) const IN_SERVICE_LANE: &str = "regions in service";

/// The lane of a region's gate.
pub(crate) fn gate_lane(region: &str) -> String {
    format!("{region} gate")
}

/// The lane of a region's gate check, as Route 53 reports it.
pub(crate) fn gate_check_lane(region: &str) -> String {
    format!("{region} gate check")
}

/// The lane of a region's record health, as Route 53 would evaluate it.
pub(crate) fn record_lane(region: &str) -> String {
    format!("{region} record health")
}

fn unix_time(secs: u64) -> DateTime {
    DateTime::from_secs(i64::try_from(secs).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Models Route 53's CLOUDWATCH_METRIC checks: a check shows each change of its
    /// alarm's metric one lag later, in order, never sooner.
    #[test]
    fn a_gate_check_shows_each_alarm_change_one_lag_later_in_order() {
        let start = Instant::now();
        let lag = Duration::from_secs(3);
        let mut check = GateCheck {
            healthy: true,
            pending: VecDeque::from([(start + lag, false), (start + lag * 2, true)]),
        };
        assert_eq!(check.catch_up(start), None, "nothing shows before the lag");
        assert_eq!(check.catch_up(start + lag - Duration::from_millis(1)), None);
        assert_eq!(check.catch_up(start + lag), Some(false));
        assert!(!check.healthy);
        assert_eq!(check.catch_up(start + lag + Duration::from_secs(1)), None);
        assert_eq!(check.catch_up(start + lag * 2), Some(true));
        assert!(check.pending.is_empty());
        // A change and its undoing both due: the check shows where it ended, no turn.
        let mut blip = GateCheck {
            healthy: true,
            pending: VecDeque::from([(start, false), (start, true)]),
        };
        assert_eq!(blip.catch_up(start + lag), None);
        assert!(blip.healthy);
    }
}
