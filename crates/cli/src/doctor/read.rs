//! What the doctor reads, through the SDK clients the CLI's watcher uses, turned into
//! plain [`Findings`]. Read only: every call is a Describe, Get or List, and the probe of
//! each endpoint is the request Route 53's checkers make.
//!
//! Calls: one `DescribeAlarms` per region (its alarms, guards, the gate alarms it hosts
//! and the state holder, at most 100 names a call); one `GetHealthCheck` per configured
//! endpoint check; what `init --dry-run` reads; one watcher observation (what a pass
//! reads); one `GetMetricStatistics` of `ReconcileDurationMs` per region.

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::error::DisplayErrorContext as CloudWatchError;
use aws_sdk_cloudwatch::types::{AlarmType, Statistic};
use aws_sdk_route53::error::DisplayErrorContext as Route53Error;
use futures_util::future::join_all;
use regionflip_core::observe::Observations;
use regionflip_core::{Config, Decision, Mode, StateObservation};
use regionflip_probe::{ProbeLimits, ProbeTarget, probe};
use regionflip_provision::{self as provision, AlarmSettings, InitError};
use regionflip_watcher::aws::{CloudWatchAdapter, Route53Adapter};

use crate::context::own_metric;

use super::judge::{
    AlarmFacts, AlarmFinding, EndpointCheck, EndpointFinding, Findings, GateFinding,
    HealthUrlFinding, Provisioning, Role, StateFinding, TargetFinding, state_resource,
};

/// `DescribeAlarms` takes at most 100 names.
const NAMES_PER_CALL: usize = 100;

/// The SDK clients the doctor reads through.
#[derive(Clone, Copy)]
pub(crate) struct Clients<'a> {
    pub(crate) route53: &'a Route53Adapter,
    pub(crate) cloudwatch: &'a CloudWatchAdapter,
}

/// Reads everything the doctor judges. `observed` is what a watcher pass reads and
/// decides now (the caller's watcher: the CLI's, or the drill's with its simulated
/// `HealthCheckStatus`).
pub(crate) async fn read(
    config: &Config,
    clients: Clients<'_>,
    observed: (Observations, Decision),
    now: u64,
    recent_secs: u64,
) -> Findings {
    let (observations, decision) = observed;
    let alarms = describe_every_region(config, clients).await;
    let provisioning = match provision::init(
        config,
        clients.route53,
        clients.route53,
        clients.cloudwatch,
        now,
        provision::InitOptions {
            dry_run: true,
            adopt: false,
        },
    )
    .await
    {
        Ok(report) => Provisioning::Plan {
            steps: report.steps.iter().map(ToString::to_string).collect(),
            obsolete: report.obsolete,
        },
        Err(InitError::Refused(problems)) => Provisioning::Refused(problems),
        Err(other) => Provisioning::Unreadable(other.to_string()),
    };
    let state = match config.mode {
        Mode::Records => StateFinding {
            resource: state_resource(config),
            readable: summary(&observations.state),
            behind: Vec::new(),
        },
        Mode::HealthGate => {
            let copies: Vec<(String, Result<Option<String>, String>)> = config
                .regions
                .iter()
                .map(|region| {
                    let copy = match alarms.get(&region.name) {
                        Some(Ok(found)) => Ok(found
                            .get(&config.state_alarm_name())
                            .and_then(|(_, description)| description.clone())),
                        Some(Err(why)) => Err(why.clone()),
                        None => Err("not read".into()),
                    };
                    (region.name.clone(), copy)
                })
                .collect();
            let (observation, behind) = StateObservation::from_copies(&copies);
            StateFinding {
                resource: state_resource(config),
                readable: summary(&observation),
                behind,
            }
        }
    };
    Findings {
        alarms: configured_alarms(config, &alarms),
        endpoints: endpoints(config, clients).await,
        gates: gates(config, &alarms),
        provisioning,
        state,
        watcher_runs: watcher_runs(config, clients, now, recent_secs).await,
        recent_secs,
        active: decision.active.clone(),
        serving: serving(config, &observations, &decision),
        pair_drift: decision
            .pair_drift()
            .iter()
            .map(ToString::to_string)
            .collect(),
        paused: decision.paused(),
        targets: decision
            .regions
            .iter()
            .map(|h| TargetFinding {
                region: h.region.clone(),
                health: h.health,
                why: h.evidence.join("; "),
            })
            .collect(),
    }
}

/// The regions routing is on: the active region, or (active/active) the regions the
/// state has in service.
fn serving(config: &Config, observations: &Observations, decision: &Decision) -> Vec<String> {
    match (&observations.state, config.routing.is_active_active()) {
        (StateObservation::Valid { state, .. }, true) => config
            .regions
            .iter()
            .filter(|r| state.in_service(&r.name))
            .map(|r| r.name.clone())
            .collect(),
        (_, true) => Vec::new(),
        (_, false) => decision.active.iter().cloned().collect(),
    }
}

fn summary(state: &StateObservation) -> Result<String, String> {
    match state {
        StateObservation::Valid { state, .. } => Ok(format!(
            "sequence {}, active {}{}",
            state.sequence,
            state.active,
            if state.paused { ", paused" } else { "" }
        )),
        other => Err(format!("{other:?}")),
    }
}

/// Per region: every alarm read there, by name, with its facts and its description.
type Described = BTreeMap<String, Result<BTreeMap<String, (AlarmFacts, Option<String>)>, String>>;

async fn describe_every_region(config: &Config, clients: Clients<'_>) -> Described {
    let reads = config.regions.iter().map(|region| {
        // What the watcher reads there, and the gate alarms the region hosts.
        let mut names = config.alarms_read_in(region);
        if config.mode == Mode::HealthGate {
            names.extend(
                config
                    .gated_regions()
                    .filter(|g| config.gate_host_region(&g.name) == region.name)
                    .map(|g| config.gate_alarm_name(&g.name)),
            );
        }
        async move {
            (
                region.name.clone(),
                describe(clients, &region.name, &names).await,
            )
        }
    });
    join_all(reads).await.into_iter().collect()
}

async fn describe(
    clients: Clients<'_>,
    region: &str,
    names: &[String],
) -> Result<BTreeMap<String, (AlarmFacts, Option<String>)>, String> {
    let client = clients
        .cloudwatch
        .client(region)
        .map_err(|e| e.to_string())?;
    let mut found = BTreeMap::new();
    for chunk in names.chunks(NAMES_PER_CALL) {
        let answer = client
            .describe_alarms()
            .set_alarm_names(Some(chunk.to_vec()))
            .alarm_types(AlarmType::MetricAlarm)
            .alarm_types(AlarmType::CompositeAlarm)
            .send()
            .await
            .map_err(|e| format!("DescribeAlarms in {region}: {}", CloudWatchError(e)))?;
        for alarm in answer.metric_alarms() {
            let settings = match (alarm.namespace(), alarm.metric_name()) {
                (Some(namespace), Some(metric)) => Some(AlarmSettings {
                    namespace: namespace.to_string(),
                    metric_name: metric.to_string(),
                    dimensions: alarm
                        .dimensions()
                        .iter()
                        .map(|d| {
                            (
                                d.name().unwrap_or_default().to_string(),
                                d.value().unwrap_or_default().to_string(),
                            )
                        })
                        .collect(),
                    statistic: alarm
                        .statistic()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                    period: alarm
                        .period()
                        .and_then(|p| u32::try_from(p).ok())
                        .unwrap_or(0),
                    threshold: alarm.threshold().unwrap_or(f64::NAN),
                    evaluation_periods: alarm
                        .evaluation_periods()
                        .and_then(|p| u32::try_from(p).ok())
                        .unwrap_or(0),
                    comparison_operator: alarm
                        .comparison_operator()
                        .map(|c| c.as_str().to_string())
                        .unwrap_or_default(),
                }),
                _ => None,
            };
            let facts = AlarmFacts {
                composite: false,
                period: alarm.period(),
                treat_missing_data: alarm.treat_missing_data().map(str::to_string),
                settings,
            };
            found.insert(
                alarm.alarm_name().unwrap_or_default().to_string(),
                (facts, alarm.alarm_description().map(str::to_string)),
            );
        }
        for alarm in answer.composite_alarms() {
            let facts = AlarmFacts {
                composite: true,
                ..AlarmFacts::default()
            };
            found.insert(
                alarm.alarm_name().unwrap_or_default().to_string(),
                (facts, alarm.alarm_description().map(str::to_string)),
            );
        }
    }
    Ok(found)
}

fn configured_alarms(config: &Config, described: &Described) -> Vec<AlarmFinding> {
    let mut findings = Vec::new();
    for (index, region) in config.regions.iter().enumerate() {
        let alarms = region.alarms.iter().map(|a| (a, Role::Alarm));
        let guards = region.guards.iter().map(|g| (g, Role::Guard));
        for (name, role) in alarms.chain(guards) {
            let found = match described.get(&region.name) {
                Some(Ok(found)) => Ok(found.get(name).map(|(facts, _)| facts.clone())),
                Some(Err(why)) => Err(why.clone()),
                None => Err("not read".into()),
            };
            findings.push(AlarmFinding {
                region: region.name.clone(),
                index,
                name: name.clone(),
                role,
                found,
            });
        }
    }
    findings
}

fn gates(config: &Config, described: &Described) -> Vec<GateFinding> {
    if config.mode != Mode::HealthGate {
        return Vec::new();
    }
    config
        .gated_regions()
        .map(|gated| {
            let host = config.gate_host_region(&gated.name).to_string();
            let name = config.gate_alarm_name(&gated.name);
            let found = match described.get(&host) {
                Some(Ok(found)) => Ok(found.get(&name).map(|(facts, _)| facts.clone())),
                Some(Err(why)) => Err(why.clone()),
                None => Err("not read".into()),
            };
            GateFinding {
                gated: gated.name.clone(),
                host,
                name,
                found,
            }
        })
        .collect()
}

async fn endpoints(config: &Config, clients: Clients<'_>) -> Vec<EndpointFinding> {
    let reads = config
        .regions
        .iter()
        .enumerate()
        .map(|(index, region)| async move {
            let check = async {
                match &region.health_check_id {
                    Some(id) => endpoint_check(clients, id).await,
                    None => Ok(None),
                }
            };
            let health_url = async {
                let url = region.health_url.clone()?;
                let search = region.health_search.clone();
                // As the watcher probes it (`HttpProbe`, Route 53's limits); the
                // configuration validated the URL, a failure to parse it is reported.
                let (target, probed) = match ProbeTarget::parse(&url, Some(search.clone())) {
                    Ok(target) => (Some(target.clone()), probed(&target).await),
                    Err(why) => (None, Err(why)),
                };
                Some(HealthUrlFinding {
                    url,
                    search,
                    target,
                    probe: probed,
                })
            };
            let (check, health_url) = futures_util::join!(check, health_url);
            EndpointFinding {
                region: region.name.clone(),
                index,
                id: region.health_check_id.clone(),
                check,
                health_url,
            }
        });
    join_all(reads).await
}

/// One probe with Route 53's limits (as its checkers and the watcher's `HttpProbe` make
/// it): `Ok` when it answered as they require, else why not, each with the URL.
async fn probed(target: &ProbeTarget) -> Result<String, String> {
    let verdict = probe(target, ProbeLimits::ROUTE53).await;
    let answer = format!("{}: {}", target.url(), verdict.reason);
    if verdict.healthy {
        Ok(answer)
    } else {
        Err(answer)
    }
}

async fn endpoint_check(clients: Clients<'_>, id: &str) -> Result<Option<EndpointCheck>, String> {
    let answer = clients
        .route53
        .client()
        .get_health_check()
        .health_check_id(id)
        .send()
        .await;
    let answer = match answer {
        Ok(answer) => answer,
        Err(error) => {
            let no_such = error
                .as_service_error()
                .is_some_and(|e| e.is_no_such_health_check());
            return if no_such {
                Ok(None)
            } else {
                Err(format!("GetHealthCheck {id}: {}", Route53Error(error)))
            };
        }
    };
    let Some(settings) = answer.health_check().and_then(|c| c.health_check_config()) else {
        return Ok(None);
    };
    let kind = settings.r#type().as_str().to_string();
    let (probe, request) = match kind.as_str() {
        "HTTP" | "HTTPS" | "HTTP_STR_MATCH" | "HTTPS_STR_MATCH" => {
            match crate::drill::endpoint_target(settings) {
                Ok(target) => (Some(probed(&target).await), Some(target)),
                Err(why) => (Some(Err(why.to_string())), None),
            }
        }
        _ => (None, None),
    };
    Ok(Some(EndpointCheck {
        kind,
        checker_regions: settings.regions().len(),
        probe,
        request,
    }))
}

async fn watcher_runs(
    config: &Config,
    clients: Clients<'_>,
    now: u64,
    recent_secs: u64,
) -> Vec<(String, Result<Option<u64>, String>)> {
    let window = (now.saturating_sub(recent_secs), now + 60);
    let reads = config.regions.iter().map(|region| async move {
        let last = own_metric(
            clients.cloudwatch,
            config,
            &region.name,
            "ReconcileDurationMs",
            Statistic::SampleCount,
            window,
        )
        .await
        .map(|points| {
            points
                .iter()
                .filter(|d| d.sample_count().unwrap_or(0.0) > 0.0)
                .filter_map(|d| d.timestamp())
                .map(|t| u64::try_from(t.secs()).unwrap_or(0))
                .max()
        });
        (region.name.clone(), last)
    });
    join_all(reads).await
}
