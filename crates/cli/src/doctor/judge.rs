//! The doctor's rules: what was read ([`Findings`], plain data) → one [`Check`] per
//! resource and rule. Pure: no I/O, no clock, no AWS types; `read.rs` gathers the
//! findings, `mod.rs` prints the verdict.
//!
//! | #   | rule id                 | what must hold                                   | else |
//! |-----|-------------------------|--------------------------------------------------|------|
//! | D1  | `alarm-exists`          | every configured alarm and guard exists in its   | fail |
//! |     |                         | region, as a metric or composite alarm (both are |      |
//! |     |                         | read by the watcher)                             |      |
//! | D2  | `alarm-resolution`      | a metric alarm's period is at least 60 s         | warn |
//! |     |                         | (standard resolution: regionflip's damping and   |      |
//! |     |                         | evidence windows assume it)                      |      |
//! | D3  | `alarm-missing-data`    | no alarm treats missing data as `breaching`: an  | fail |
//! |     |                         | idle region (the standby, or home after a        |      |
//! |     |                         | failover) gets no requests, so its request alarm |      |
//! |     |                         | would sit in ALARM and the region could never be |      |
//! |     |                         | a target; `notBreaching` on a region with no     | warn |
//! |     |                         | endpoint evidence makes no data read as healthy  |      |
//! | D4  | `endpoint-check-exists` | each region's `health_check_id` names a check    | fail |
//! |     |                         | that exists; a region without one has no static  | warn |
//! |     |                         | stability                                        |      |
//! | D5  | `endpoint-check-type`   | it is an HTTP(S), string-match or TCP check      | fail |
//! | D6  | `endpoint-serves`       | what the check requests answers as Route 53's    | fail |
//! |     |                         | checkers require (2xx/3xx in time, the search    |      |
//! |     |                         | string in the body), probed from here            |      |
//! | D7  | `endpoint-checkers`     | all checker regions, or at least 3               | fail |
//! | D8  | `provisioning`          | `init` would change nothing: every gate alarm,   | fail |
//! |     |                         | gate check (its copy of the alarm's settings),   |      |
//! |     |                         | CALCULATED check (children, threshold) and pair  |      |
//! |     |                         | record is as init creates it; what init no       | warn |
//! |     |                         | longer uses is listed                            |      |
//! | D9  | `gate-alarm-settings`   | each gate alarm watches what its check copied:   | fail |
//! |     |                         | the settings init writes (a hand edit keeps the  |      |
//! |     |                         | description, so init's fingerprint misses it)    |      |
//! | D10 | `state`                 | the state record / every state copy is readable  | fail |
//! |     |                         | and the copies agree                             |      |
//! | D11 | `watcher-ran`           | a watcher pass published `ReconcileDurationMs`   | fail |
//! |     |                         | within the window; a region with none            | warn |
//! | D12 | `target-ready`          | a failing serving region would have somewhere to | fail |
//! |     |                         | go (`regionflip_core::target_ready`): a region   |      |
//! |     |                         | other than the active one known healthy now;     |      |
//! |     |                         | active/active, for every region in service,      |      |
//! |     |                         | another known healthy with room above            |      |
//! |     |                         | `min_in_service`, or a healthy evacuated one     |      |
//! | D13 | `health-url`            | each configured `health_url` answers 2xx/3xx with| fail |
//! |     |                         | `health_search` in its body (the watcher's own   |      |
//! |     |                         | evidence, the one that survives a us-east-1      |      |
//! |     |                         | event); it requests what the region's endpoint   | warn |
//! |     |                         | check requests, for the same string              |      |
//! | D14 | `pair-drift`            | `records` mode: the failover pair is as the      | fail |
//! |     |                         | configuration says (TTL, roles, set identifiers, |      |
//! |     |                         | alias, checks): a hand edit is what Route 53     |      |
//! |     |                         | answers until a pass repairs it                  |      |
//! | D15 | `paused`                | automation is not paused: while it is, no        | warn |
//! |     |                         | automatic failover happens                       |      |
//!
//! Each row is pinned by a test below (`ROWS` names them). Checks come grouped by
//! resource: D13 beside the endpoint checks, D14 beside provisioning, D15 beside the
//! state.

use regionflip_core::{Config, Health, Mode, target_ready};
use regionflip_probe::ProbeTarget;
use regionflip_provision::{AlarmSettings, gate_alarm_settings};
use serde::Serialize;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Status {
    /// Holds.
    Pass,
    /// Holds, but should be known.
    Warn,
    /// Failover may not work: the doctor exits 4.
    Fail,
}

/// One verdict: which rule, on which resource, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Check {
    /// The rule (`alarm-exists`, …).
    pub(crate) rule: &'static str,
    /// The resource, named as an SRE finds it in the console.
    pub(crate) resource: String,
    pub(crate) status: Status,
    /// What was found.
    pub(crate) detail: String,
    /// What to do, when it does not pass.
    pub(crate) fix: Option<String>,
}

/// An alarm or guard of the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Alarm,
    Guard,
}

/// What CloudWatch reports of one alarm.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct AlarmFacts {
    pub(crate) composite: bool,
    /// `Period` of a metric alarm on one metric.
    pub(crate) period: Option<i32>,
    pub(crate) treat_missing_data: Option<String>,
    /// What a metric alarm on one metric watches.
    pub(crate) settings: Option<AlarmSettings>,
}

/// One configured alarm or guard: `Ok(None)` when its region answered without it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AlarmFinding {
    pub(crate) region: String,
    pub(crate) index: usize,
    pub(crate) name: String,
    pub(crate) role: Role,
    pub(crate) found: Result<Option<AlarmFacts>, String>,
}

/// What Route 53 reports of an endpoint check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EndpointCheck {
    /// `Type`.
    pub(crate) kind: String,
    /// How many checker regions it names (0: Route 53's default, all of them).
    pub(crate) checker_regions: usize,
    /// The probe of what it requests: `Ok` answered as the checkers require, else why
    /// not; `None` when the check is not one the doctor can probe (TCP).
    pub(crate) probe: Option<Result<String, String>>,
    /// What it requests (and the string it searches for), when it is an HTTP(S) check.
    pub(crate) request: Option<ProbeTarget>,
}

/// A region's `health_url`, probed as the watcher probes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HealthUrlFinding {
    pub(crate) url: String,
    /// `regions[].health_search`.
    pub(crate) search: String,
    /// What it requests, when it parses.
    pub(crate) target: Option<ProbeTarget>,
    /// `Ok` when it answered with the search string, else why not.
    pub(crate) probe: Result<String, String>,
}

/// One region's endpoint check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EndpointFinding {
    pub(crate) region: String,
    pub(crate) index: usize,
    /// `regions[].health_check_id`, if configured.
    pub(crate) id: Option<String>,
    pub(crate) check: Result<Option<EndpointCheck>, String>,
    /// `regions[].health_url`, if configured.
    pub(crate) health_url: Option<HealthUrlFinding>,
}

/// A gated region's gate alarm, read in its host region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GateFinding {
    pub(crate) gated: String,
    pub(crate) host: String,
    pub(crate) name: String,
    pub(crate) found: Result<Option<AlarmFacts>, String>,
}

/// What `init --dry-run` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Provisioning {
    /// It plans these steps (empty: everything is as init creates it), and lists these
    /// as no longer used.
    Plan {
        steps: Vec<String>,
        obsolete: Vec<String>,
    },
    /// It refuses, naming these problems.
    Refused(Vec<String>),
    /// It could not read what exists.
    Unreadable(String),
}

/// The persisted state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StateFinding {
    /// Where it lives (`TXT _regionflip.api.example.com.` or the state holder's name).
    pub(crate) resource: String,
    /// `Ok(summary)` when it reads as a valid state, else why not.
    pub(crate) readable: Result<String, String>,
    /// Regions whose copy is behind the newest (`health-gate`).
    pub(crate) behind: Vec<String>,
}

/// One region's health as the watcher's rules judge it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TargetFinding {
    pub(crate) region: String,
    pub(crate) health: Health,
    pub(crate) why: String,
}

/// Everything the doctor read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Findings {
    pub(crate) alarms: Vec<AlarmFinding>,
    pub(crate) endpoints: Vec<EndpointFinding>,
    pub(crate) gates: Vec<GateFinding>,
    pub(crate) provisioning: Provisioning,
    pub(crate) state: StateFinding,
    /// Per region, when its last pass published `ReconcileDurationMs` within the window.
    pub(crate) watcher_runs: Vec<(String, Result<Option<u64>, String>)>,
    /// The window of [`Findings::watcher_runs`], seconds.
    pub(crate) recent_secs: u64,
    /// The active region, if the state or routing says.
    pub(crate) active: Option<String>,
    /// The regions routing is on: the active one, or (active/active) those in service.
    pub(crate) serving: Vec<String>,
    pub(crate) targets: Vec<TargetFinding>,
    /// `records` mode: how the failover pair differs from the configuration, one line
    /// per record and field (the watcher's own judgement, `Reason::PairDrift`).
    pub(crate) pair_drift: Vec<String>,
    /// Whether automation is paused, when the state says.
    pub(crate) paused: Option<bool>,
}

/// Every check, grouped by resource (see the rule table).
pub(crate) fn judge(config: &Config, findings: &Findings) -> Vec<Check> {
    let mut checks = Vec::new();
    alarms(config, findings, &mut checks);
    endpoints(findings, &mut checks);
    health_urls(findings, &mut checks);
    provisioning(&findings.provisioning, &mut checks);
    pair_drift(config, findings, &mut checks);
    gates(config, findings, &mut checks);
    state(&findings.state, &mut checks);
    paused(findings, &mut checks);
    watcher_runs(findings, &mut checks);
    targets(config, findings, &mut checks);
    checks
}

fn check(
    rule: &'static str,
    resource: impl Into<String>,
    status: Status,
    detail: impl Into<String>,
    fix: Option<String>,
) -> Check {
    Check {
        rule,
        resource: resource.into(),
        status,
        detail: detail.into(),
        fix,
    }
}

fn alarms(config: &Config, findings: &Findings, checks: &mut Vec<Check>) {
    for alarm in &findings.alarms {
        let key = match alarm.role {
            Role::Alarm => format!("regions[{}].alarms", alarm.index + 1),
            Role::Guard => format!("regions[{}].guards", alarm.index + 1),
        };
        let resource = format!("alarm {} in {}", alarm.name, alarm.region);
        let facts = match &alarm.found {
            Err(why) => {
                checks.push(check(
                    "alarm-exists",
                    resource,
                    Status::Fail,
                    format!("DescribeAlarms failed: {why}"),
                    Some(
                        "check the credentials' cloudwatch:DescribeAlarms on * and try again"
                            .into(),
                    ),
                ));
                continue;
            }
            Ok(None) => {
                checks.push(check(
                    "alarm-exists",
                    resource,
                    Status::Fail,
                    "no metric or composite alarm of that name in that region: the watcher \
                     reads it as unknown, so it can never fail over on it",
                    Some(format!(
                        "create the alarm in {}, or correct {key}",
                        alarm.region
                    )),
                ));
                continue;
            }
            Ok(Some(facts)) => facts,
        };
        checks.push(check(
            "alarm-exists",
            resource.clone(),
            Status::Pass,
            if facts.composite {
                "a composite alarm"
            } else {
                "a metric alarm"
            },
            None,
        ));
        if let Some(period) = facts.period
            && period < 60
        {
            checks.push(check(
                "alarm-resolution",
                resource.clone(),
                Status::Warn,
                format!(
                    "a high-resolution alarm (period {period} s): it turns on seconds of data, \
                     and regionflip's damping and evidence windows assume periods of 60 s or more"
                ),
                Some("use a period of 60 s or more".into()),
            ));
        }
        let region_has_endpoint_evidence = config
            .region(&alarm.region)
            .is_some_and(|r| r.health_check_id.is_some() || r.health_url.is_some());
        match (facts.treat_missing_data.as_deref(), alarm.role) {
            (Some("breaching"), Role::Alarm) => checks.push(check(
                "alarm-missing-data",
                resource,
                Status::Fail,
                "TreatMissingData is breaching: an idle region (the standby, or home after a \
                 failover) serves no requests, so its request alarm goes to ALARM and the \
                 region can never be a failover target or take traffic back",
                Some(
                    "set TreatMissingData to missing (the default) or notBreaching on this alarm"
                        .into(),
                ),
            )),
            (Some("breaching"), Role::Guard) => checks.push(check(
                "alarm-missing-data",
                resource,
                Status::Warn,
                "TreatMissingData is breaching: a guard with no data blocks failback until its \
                 metric reports again",
                Some("set TreatMissingData to missing unless no data really means unsafe".into()),
            )),
            (Some("notBreaching"), Role::Alarm) if !region_has_endpoint_evidence => {
                checks.push(check(
                    "alarm-missing-data",
                    resource,
                    Status::Warn,
                    "TreatMissingData is notBreaching and the region has neither an endpoint \
                     check nor a health_url: with no data the alarm reads OK, and OK alarms \
                     alone then count as the region being healthy",
                    Some(
                        "give the region a health_check_id or health_url, or set \
                         TreatMissingData to missing"
                            .into(),
                    ),
                ))
            }
            _ => {}
        }
    }
}

fn endpoints(findings: &Findings, checks: &mut Vec<Check>) {
    for endpoint in &findings.endpoints {
        let key = format!("regions[{}].health_check_id", endpoint.index + 1);
        let Some(id) = &endpoint.id else {
            checks.push(check(
                "endpoint-check-exists",
                format!("region {}", endpoint.region),
                Status::Warn,
                "no endpoint check configured: Route 53 cannot fail away from this region by \
                 itself if every watcher is down (no static stability)",
                Some(format!("set {key} to the stack's HealthCheckId output")),
            ));
            continue;
        };
        let resource = format!("health check {id} of {}", endpoint.region);
        let found = match &endpoint.check {
            Err(why) => {
                checks.push(check(
                    "endpoint-check-exists",
                    resource,
                    Status::Fail,
                    format!("GetHealthCheck failed: {why}"),
                    Some("check the credentials' route53:GetHealthCheck and try again".into()),
                ));
                continue;
            }
            Ok(None) => {
                checks.push(check(
                    "endpoint-check-exists",
                    resource,
                    Status::Fail,
                    "no such health check: the record (or its CALCULATED check) refers to a \
                     check that does not exist",
                    Some(format!(
                        "set {key} to the stack's HealthCheckId output and run \
                         regionflip init"
                    )),
                ));
                continue;
            }
            Ok(Some(found)) => found,
        };
        checks.push(check(
            "endpoint-check-exists",
            resource.clone(),
            Status::Pass,
            format!("type {}", found.kind),
            None,
        ));
        let probed_kinds = ["HTTP", "HTTPS", "HTTP_STR_MATCH", "HTTPS_STR_MATCH"];
        if !probed_kinds.contains(&found.kind.as_str()) && found.kind != "TCP" {
            checks.push(check(
                "endpoint-check-type",
                resource.clone(),
                Status::Fail,
                format!(
                    "a {} check does not probe the endpoint: Route 53 would route on something \
                     else than whether the region serves",
                    found.kind
                ),
                Some(format!(
                    "point {key} at the stack's HTTPS_STR_MATCH endpoint check"
                )),
            ));
        }
        match &found.probe {
            Some(Ok(answer)) => checks.push(check(
                "endpoint-serves",
                resource.clone(),
                Status::Pass,
                answer.clone(),
                None,
            )),
            Some(Err(why)) => checks.push(check(
                "endpoint-serves",
                resource.clone(),
                Status::Fail,
                format!("Route 53's checkers would find it unhealthy: {why}"),
                Some(
                    "make the endpoint answer 2xx/3xx with the check's search string in its \
                     first 5,120 bytes, or correct the check's ResourcePath or SearchString \
                     (regionflip probe URL --search TEXT shows what it answers)"
                        .into(),
                ),
            )),
            None => {}
        }
        if (1..3).contains(&found.checker_regions) {
            checks.push(check(
                "endpoint-checkers",
                resource,
                Status::Fail,
                format!(
                    "it names {} checker region(s); Route 53 needs at least 3",
                    found.checker_regions
                ),
                Some("set HealthCheckRegions to at least 3 regions, or leave it empty".into()),
            ));
        }
    }
}

fn provisioning(found: &Provisioning, checks: &mut Vec<Check>) {
    let fix = || Some("run regionflip init --dry-run, then regionflip init".to_string());
    match found {
        Provisioning::Unreadable(why) => checks.push(check(
            "provisioning",
            "what regionflip init creates",
            Status::Fail,
            why.clone(),
            Some("check the credentials and try again".into()),
        )),
        Provisioning::Refused(problems) => {
            for problem in problems {
                checks.push(check(
                    "provisioning",
                    "what regionflip init creates",
                    Status::Fail,
                    format!("init refuses: {problem}"),
                    Some("follow init's advice in the message".into()),
                ));
            }
        }
        Provisioning::Plan { steps, obsolete } => {
            if steps.is_empty() {
                checks.push(check(
                    "provisioning",
                    "what regionflip init creates",
                    Status::Pass,
                    "init would change nothing",
                    None,
                ));
            }
            for step in steps {
                checks.push(check(
                    "provisioning",
                    step.clone(),
                    Status::Fail,
                    format!("missing or drifted; init would: {step}"),
                    fix(),
                ));
            }
            for line in obsolete {
                checks.push(check(
                    "provisioning",
                    line.split(':').next().unwrap_or(line).to_string(),
                    Status::Warn,
                    format!("no longer used: {line}"),
                    None,
                ));
            }
        }
    }
}

fn gates(config: &Config, findings: &Findings, checks: &mut Vec<Check>) {
    for gate in &findings.gates {
        let resource = format!("gate alarm {} in {}", gate.name, gate.host);
        let wanted = gate_alarm_settings(config, &gate.gated);
        match &gate.found {
            // Missing or unreadable: the provisioning check names it already.
            Err(_) | Ok(None) => {}
            Ok(Some(AlarmFacts {
                settings: Some(actual),
                ..
            })) if actual.same_as(&wanted) => checks.push(check(
                "gate-alarm-settings",
                resource,
                Status::Pass,
                "watches what its gate check copied",
                None,
            )),
            Ok(Some(facts)) => checks.push(check(
                "gate-alarm-settings",
                resource.clone(),
                Status::Fail,
                format!(
                    "it watches {}, but its gate check copied {} when it was created and Route \
                     53 never refreshes that copy: the gate's routing no longer follows this \
                     alarm",
                    facts
                        .settings
                        .as_ref()
                        .map_or_else(|| "no single metric".to_string(), AlarmSettings::describe),
                    wanted.describe()
                ),
                Some(format!(
                    "delete the alarm (aws cloudwatch delete-alarms --region {} --alarm-names \
                     {}) and run regionflip init, which writes it as its check expects",
                    gate.host, gate.name
                )),
            )),
        }
    }
}

fn state(found: &StateFinding, checks: &mut Vec<Check>) {
    match &found.readable {
        Err(why) => checks.push(check(
            "state",
            found.resource.clone(),
            Status::Fail,
            why.clone(),
            Some(
                "automation is stopped until an operator command replaces the state: run \
                 regionflip status, then regionflip failover --to REGION (or resume)"
                    .into(),
            ),
        )),
        Ok(summary) if found.behind.is_empty() => checks.push(check(
            "state",
            found.resource.clone(),
            Status::Pass,
            summary.clone(),
            None,
        )),
        Ok(summary) => checks.push(check(
            "state",
            found.resource.clone(),
            Status::Fail,
            format!(
                "{summary}, but the copies in {} are behind",
                found.behind.join(", ")
            ),
            Some(
                "a watcher pass rewrites them: wait for the next tick or run regionflip reconcile"
                    .into(),
            ),
        )),
    }
}

fn watcher_runs(findings: &Findings, checks: &mut Vec<Check>) {
    let ran: Vec<&str> = findings
        .watcher_runs
        .iter()
        .filter(|(_, last)| matches!(last, Ok(Some(_))))
        .map(|(region, _)| region.as_str())
        .collect();
    if ran.is_empty() {
        checks.push(check(
            "watcher-ran",
            "ReconcileDurationMs",
            Status::Fail,
            format!(
                "no watcher pass published ReconcileDurationMs in the last {} s in any region",
                findings.recent_secs
            ),
            Some(
                "check that each stack's WatcherState is ENABLED, its schedule rule exists, and \
                 its watcher-silent alarm is OK"
                    .into(),
            ),
        ));
        return;
    }
    for (region, last) in &findings.watcher_runs {
        let resource = format!("watcher in {region}");
        match last {
            Ok(Some(_)) => checks.push(check(
                "watcher-ran",
                resource,
                Status::Pass,
                format!("a pass within the last {} s", findings.recent_secs),
                None,
            )),
            Ok(None) => checks.push(check(
                "watcher-ran",
                resource,
                Status::Warn,
                format!(
                    "no pass published ReconcileDurationMs here in the last {} s (the watchers \
                     of {} did)",
                    findings.recent_secs,
                    ran.join(", ")
                ),
                Some(format!(
                    "deploy or enable the stack in {region}, or check its watcher-silent alarm"
                )),
            )),
            Err(why) => checks.push(check(
                "watcher-ran",
                resource,
                Status::Warn,
                format!("its metrics could not be read: {why}"),
                None,
            )),
        }
    }
}

fn targets(config: &Config, findings: &Findings, checks: &mut Vec<Check>) {
    let healthy = |region: &str| {
        findings
            .targets
            .iter()
            .any(|t| t.region == region && t.health == Health::Healthy)
    };
    let serving: Vec<&str> = findings.serving.iter().map(String::as_str).collect();
    let known_healthy: Vec<&str> = findings
        .targets
        .iter()
        .filter(|t| healthy(&t.region))
        .map(|t| t.region.as_str())
        .collect();
    let evidence = |only_others: bool| -> String {
        findings
            .targets
            .iter()
            .filter(|t| !only_others || !serving.contains(&t.region.as_str()))
            .map(|t| format!("{} {:?}: {}", t.region, t.health, t.why).to_lowercase())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let ready = target_ready(config, &serving, healthy);
    let active_active = config.routing.is_active_active();
    match (ready, active_active) {
        (true, false) => checks.push(check(
            "target-ready",
            format!(
                "region {}",
                known_healthy
                    .iter()
                    .find(|r| !serving.contains(r))
                    .unwrap_or(&"")
            ),
            Status::Pass,
            format!("known healthy now: {}", evidence(true)),
            None,
        )),
        (true, true) => checks.push(check(
            "target-ready",
            "regions in service",
            Status::Pass,
            format!(
                "each region in service ({}) could leave it: known healthy now {}",
                serving.join(", "),
                known_healthy.join(", ")
            ),
            None,
        )),
        (false, false) => checks.push(check(
            "target-ready",
            "failover targets",
            Status::Fail,
            format!(
                "no region other than the active one ({}) is known healthy now, so a failover \
                 would have nowhere to go: {}",
                serving.first().copied().unwrap_or("unknown"),
                evidence(true)
            ),
            Some(
                "make a standby's endpoint answer and its alarms OK (regionflip status shows \
                 each region's evidence)"
                    .into(),
            ),
        )),
        (false, true) => checks.push(check(
            "target-ready",
            "regions in service",
            Status::Fail,
            format!(
                "with {} in service and min_in_service = {}, a region in service that failed \
                 could not be evacuated: no other region known healthy could take its traffic \
                 within the limit, so an evacuation would have nowhere to go: {}",
                if serving.is_empty() {
                    "no region known".to_string()
                } else {
                    serving.join(", ")
                },
                config.min_in_service,
                evidence(false)
            ),
            Some(
                "make an evacuated region's endpoint answer and its alarms OK, or another \
                 region in service healthy (regionflip status shows each region's evidence)"
                    .into(),
            ),
        )),
    }
}

fn health_urls(findings: &Findings, checks: &mut Vec<Check>) {
    for endpoint in &findings.endpoints {
        let Some(url) = &endpoint.health_url else {
            continue;
        };
        let n = endpoint.index + 1;
        let search = &url.search;
        let resource = format!("health_url {} of {}", url.url, endpoint.region);
        match &url.probe {
            Ok(answer) => checks.push(check(
                "health-url",
                resource.clone(),
                Status::Pass,
                answer.clone(),
                None,
            )),
            Err(why) => checks.push(check(
                "health-url",
                resource.clone(),
                Status::Fail,
                format!(
                    "the watcher's own probe of this region fails ({why}): without it the \
                     region is a failover target only on a fresh HealthCheckStatus, which \
                     Route 53 publishes in us-east-1's CloudWatch and a us-east-1 event can \
                     make unreadable"
                ),
                Some(format!(
                    "make it answer 2xx/3xx with {search:?} in its body, or correct \
                     regions[{n}].health_url / regions[{n}].health_search \
                     (regionflip probe URL --search TEXT shows what it answers)"
                )),
            )),
        }
        if let (
            Ok(Some(EndpointCheck {
                request: Some(request),
                ..
            })),
            Some(target),
        ) = (&endpoint.check, &url.target)
            && !(request.same_request_as(target) && request.search() == Some(search.as_str()))
        {
            checks.push(check(
                "health-url",
                resource,
                Status::Warn,
                format!(
                    "Route 53's endpoint check requests {} for {:?}, the watcher probes {} for \
                     {search:?}: the two can judge this region differently",
                    request.url(),
                    request.search().unwrap_or("any 2xx/3xx"),
                    url.url
                ),
                Some(format!(
                    "set regions[{n}].health_url and health_search to what the endpoint check \
                     requests (deploy-region.py reads both from the stack's tagged check)"
                )),
            ));
        }
    }
}

fn pair_drift(config: &Config, findings: &Findings, checks: &mut Vec<Check>) {
    if config.mode != Mode::Records || findings.pair_drift.is_empty() {
        return;
    }
    checks.push(check(
        "pair-drift",
        format!(
            "failover records of {}",
            config.record_name.trim_end_matches('.')
        ),
        Status::Fail,
        format!(
            "the pair differs from the configuration, and Route 53 answers what it holds: {}",
            findings.pair_drift.join("; ")
        ),
        Some(
            "let a watcher pass repair it in its compare-and-swap batch (regionflip reconcile \
             runs one now; a paused deployment repairs nothing until regionflip resume), or \
             undo the hand edit; change the configuration instead if the edit was meant"
                .into(),
        ),
    ));
}

fn paused(findings: &Findings, checks: &mut Vec<Check>) {
    if findings.paused == Some(true) {
        checks.push(check(
            "paused",
            findings.state.resource.clone(),
            Status::Warn,
            "automation is paused: no automatic failover or failback happens until an \
             operator resumes it",
            Some(
                "regionflip resume when the pause is over (regionflip failover --to REGION \
                 moves traffic by hand meanwhile)"
                    .into(),
            ),
        ));
    }
}

/// Whether the deployment passes: no check failed.
pub(crate) fn passed(checks: &[Check]) -> bool {
    checks.iter().all(|c| c.status != Status::Fail)
}

/// The state's resource name, as the console shows it.
pub(crate) fn state_resource(config: &Config) -> String {
    match config.mode {
        Mode::Records => format!("TXT record {}", config.state_record_name()),
        Mode::HealthGate => format!("state holder alarm {}", config.state_alarm_name()),
    }
}

#[cfg(test)]
mod tests {
    //! One row per rule of the table above: a change of a passing world, and the rule id,
    //! status and words the change must give. Every row also checks that a failing check
    //! names a fix and that nothing else changed status.

    use super::*;
    use regionflip_local_aws::fixtures::{EAST, WEST, sample_config};

    fn passing(config: &Config) -> Findings {
        let facts = AlarmFacts {
            composite: false,
            period: Some(60),
            treat_missing_data: Some("missing".into()),
            settings: None,
        };
        Findings {
            alarms: config
                .regions
                .iter()
                .enumerate()
                .flat_map(|(index, r)| {
                    let facts = facts.clone();
                    r.alarms.iter().map(move |name| AlarmFinding {
                        region: r.name.clone(),
                        index,
                        name: name.clone(),
                        role: Role::Alarm,
                        found: Ok(Some(facts.clone())),
                    })
                })
                .collect(),
            endpoints: config
                .regions
                .iter()
                .enumerate()
                .map(|(index, r)| EndpointFinding {
                    region: r.name.clone(),
                    index,
                    id: r.health_check_id.clone(),
                    check: Ok(Some(EndpointCheck {
                        kind: "HTTPS_STR_MATCH".into(),
                        checker_regions: 0,
                        probe: Some(Ok("200, search string found".into())),
                        request: Some(health_target(&r.name, "/health")),
                    })),
                    health_url: Some(health_url(
                        &r.name,
                        "/health",
                        Ok("200, search string found".into()),
                    )),
                })
                .collect(),
            gates: config
                .gated_regions()
                .map(|r| GateFinding {
                    gated: r.name.clone(),
                    host: config.gate_host_region(&r.name).into(),
                    name: config.gate_alarm_name(&r.name),
                    found: Ok(Some(AlarmFacts {
                        settings: Some(gate_alarm_settings(config, &r.name)),
                        treat_missing_data: Some("ignore".into()),
                        ..facts.clone()
                    })),
                })
                .collect(),
            provisioning: Provisioning::Plan {
                steps: Vec::new(),
                obsolete: Vec::new(),
            },
            state: StateFinding {
                resource: state_resource(config),
                readable: Ok("sequence 1, active us-east-1".into()),
                behind: Vec::new(),
            },
            watcher_runs: config
                .regions
                .iter()
                .map(|r| (r.name.clone(), Ok(Some(1_000))))
                .collect(),
            recent_secs: 600,
            active: Some(EAST.into()),
            serving: if config.routing.is_active_active() {
                config.regions.iter().map(|r| r.name.clone()).collect()
            } else {
                vec![EAST.into()]
            },
            pair_drift: Vec::new(),
            paused: Some(false),
            targets: config
                .regions
                .iter()
                .map(|r| TargetFinding {
                    region: r.name.clone(),
                    health: Health::Healthy,
                    why: "HealthCheckStatus healthy".into(),
                })
                .collect(),
        }
    }

    /// What region `region`'s endpoint check requests in the passing world (and what a
    /// `health_url` at `path` would).
    fn health_target(region: &str, path: &str) -> ProbeTarget {
        ProbeTarget::parse(
            &format!("https://{region}.example.com{path}"),
            Some("regionflip-healthy".into()),
        )
        .expect("a valid URL")
    }

    /// Region `region`'s `health_url` at `path`, probed with this outcome.
    fn health_url(region: &str, path: &str, probe: Result<String, String>) -> HealthUrlFinding {
        let target = health_target(region, path);
        HealthUrlFinding {
            url: target.url(),
            search: "regionflip-healthy".into(),
            target: Some(target),
            probe,
        }
    }

    /// The rows' configurations: the passing world is judged under each.
    fn records_mode() -> Config {
        sample_config(Mode::Records)
    }

    fn active_active() -> Config {
        let mut config = sample_config(Mode::HealthGate);
        config.routing = regionflip_core::config::Routing::Latency;
        config
    }

    type Edit = fn(&mut Findings);

    /// Rows judged under another configuration than the gate-mode pair:
    /// `(rule row, configuration, edit, rule id, status, words in the detail)`.
    type OtherConfigRow = (
        &'static str,
        fn() -> Config,
        Edit,
        &'static str,
        Status,
        &'static str,
    );

    const OTHER_CONFIG_ROWS: &[OtherConfigRow] = &[
        (
            "D12",
            active_active,
            |f| f.targets[1].health = Health::Unknown,
            "target-ready",
            Status::Fail,
            "could not be evacuated",
        ),
        (
            "D14",
            records_mode,
            |f| f.pair_drift = vec!["the SECONDARY's TTL is 300, not 60".into()],
            "pair-drift",
            Status::Fail,
            "differs from the configuration",
        ),
    ];

    /// `(rule row, edit, rule id, status, words in the detail)`.
    const ROWS: &[(&str, Edit, &str, Status, &str)] = &[
        (
            "D1",
            |f| f.alarms[0].found = Ok(None),
            "alarm-exists",
            Status::Fail,
            "no metric or composite alarm",
        ),
        (
            "D1",
            |f| f.alarms[0].found = Err("timed out".into()),
            "alarm-exists",
            Status::Fail,
            "timed out",
        ),
        (
            "D2",
            |f| set_alarm(f, |a| a.period = Some(10)),
            "alarm-resolution",
            Status::Warn,
            "period 10 s",
        ),
        (
            "D3",
            |f| set_alarm(f, |a| a.treat_missing_data = Some("breaching".into())),
            "alarm-missing-data",
            Status::Fail,
            "can never be a failover target",
        ),
        (
            "D3",
            |f| {
                set_alarm(f, |a| a.treat_missing_data = Some("breaching".into()));
                f.alarms[0].role = Role::Guard;
            },
            "alarm-missing-data",
            Status::Warn,
            "blocks failback",
        ),
        (
            "D4",
            |f| f.endpoints[0].check = Ok(None),
            "endpoint-check-exists",
            Status::Fail,
            "no such health check",
        ),
        (
            "D4",
            |f| f.endpoints[1].id = None,
            "endpoint-check-exists",
            Status::Warn,
            "no static stability",
        ),
        (
            "D5",
            |f| set_endpoint(f, |e| e.kind = "CALCULATED".into()),
            "endpoint-check-type",
            Status::Fail,
            "does not probe the endpoint",
        ),
        (
            "D6",
            |f| {
                set_endpoint(f, |e| {
                    e.probe = Some(Err("the search string is not in the body".into()))
                })
            },
            "endpoint-serves",
            Status::Fail,
            "search string is not in the body",
        ),
        (
            "D7",
            |f| set_endpoint(f, |e| e.checker_regions = 2),
            "endpoint-checkers",
            Status::Fail,
            "at least 3",
        ),
        (
            "D8",
            |f| {
                f.provisioning = Provisioning::Plan {
                    steps: vec!["create gate alarm regionflip-gate-x in us-west-2".into()],
                    obsolete: Vec::new(),
                }
            },
            "provisioning",
            Status::Fail,
            "init would: create gate alarm",
        ),
        (
            "D8",
            |f| {
                f.provisioning =
                    Provisioning::Refused(vec!["a record regionflip did not create".into()])
            },
            "provisioning",
            Status::Fail,
            "init refuses",
        ),
        (
            "D8",
            |f| {
                f.provisioning = Provisioning::Plan {
                    steps: Vec::new(),
                    obsolete: vec!["gate alarm x in us-east-1: no gate".into()],
                }
            },
            "provisioning",
            Status::Warn,
            "no longer used",
        ),
        (
            "D9",
            |f| set_gate(f, |s| s.threshold = 5.0),
            "gate-alarm-settings",
            Status::Fail,
            "Route 53 never refreshes that copy",
        ),
        (
            "D10",
            |f| f.state.readable = Err("the state does not parse".into()),
            "state",
            Status::Fail,
            "does not parse",
        ),
        (
            "D10",
            |f| f.state.behind = vec![WEST.into()],
            "state",
            Status::Fail,
            "behind",
        ),
        (
            "D11",
            |f| {
                for run in &mut f.watcher_runs {
                    run.1 = Ok(None);
                }
            },
            "watcher-ran",
            Status::Fail,
            "no watcher pass",
        ),
        (
            "D11",
            |f| f.watcher_runs[1].1 = Ok(None),
            "watcher-ran",
            Status::Warn,
            "the watchers of us-east-1 did",
        ),
        (
            "D12",
            |f| f.targets[1].health = Health::Unknown,
            "target-ready",
            Status::Fail,
            "nowhere to go",
        ),
        (
            "D13",
            |f| {
                f.endpoints[0].health_url = Some(health_url(
                    EAST,
                    "/health",
                    Err("connection refused".into()),
                ))
            },
            "health-url",
            Status::Fail,
            "the watcher's own probe of this region fails",
        ),
        (
            "D13",
            |f| {
                f.endpoints[1].health_url = Some(health_url(
                    WEST,
                    "/other",
                    Ok("200, search string found".into()),
                ))
            },
            "health-url",
            Status::Warn,
            "can judge this region differently",
        ),
        (
            "D15",
            |f| f.paused = Some(true),
            "paused",
            Status::Warn,
            "automation is paused",
        ),
    ];

    fn set_alarm(findings: &mut Findings, edit: impl Fn(&mut AlarmFacts)) {
        if let Ok(Some(facts)) = &mut findings.alarms[0].found {
            edit(facts);
        }
    }

    fn set_endpoint(findings: &mut Findings, edit: impl Fn(&mut EndpointCheck)) {
        if let Ok(Some(check)) = &mut findings.endpoints[0].check {
            edit(check);
        }
    }

    fn set_gate(findings: &mut Findings, edit: impl Fn(&mut AlarmSettings)) {
        if let Ok(Some(AlarmFacts {
            settings: Some(settings),
            ..
        })) = &mut findings.gates[0].found
        {
            edit(settings);
        }
    }

    #[test]
    fn a_passing_world_passes_every_check() {
        let config = sample_config(Mode::HealthGate);
        let checks = judge(&config, &passing(&config));
        assert!(passed(&checks), "{checks:#?}");
        assert!(
            checks.iter().all(|c| c.status == Status::Pass),
            "{checks:#?}"
        );
    }

    #[test]
    fn each_row_gives_its_verdict_with_a_fix_and_changes_nothing_else() {
        fn gate_mode() -> Config {
            sample_config(Mode::HealthGate)
        }
        let rows = ROWS
            .iter()
            .map(|&(row, edit, rule, status, words)| {
                (row, gate_mode as fn() -> Config, edit, rule, status, words)
            })
            .chain(OTHER_CONFIG_ROWS.iter().copied());
        for (row, config, edit, rule, status, words) in rows {
            let (row, rule, status) = (&row, &rule, &status);
            let config = config();
            let baseline = judge(&config, &passing(&config));
            assert!(passed(&baseline), "{row}: the passing world passes");
            let mut findings = passing(&config);
            edit(&mut findings);
            let checks = judge(&config, &findings);
            let changed: Vec<&Check> = checks.iter().filter(|c| !baseline.contains(c)).collect();
            assert!(
                changed
                    .iter()
                    .any(|c| c.rule == *rule && c.status == *status && c.detail.contains(words)),
                "{row} {rule}: expected {status:?} with {words:?}, got {changed:#?}"
            );
            for c in &changed {
                assert!(
                    c.status == Status::Pass || c.fix.is_some() || c.rule == "provisioning",
                    "{row}: {c:?} names no fix"
                );
                assert!(
                    c.rule == *rule || c.status == Status::Pass,
                    "{row}: another rule changed: {c:?}"
                );
            }
            assert_eq!(passed(&checks), *status != Status::Fail, "{row}: exit code");
        }
    }

    #[test]
    fn every_rule_of_the_table_has_a_row() {
        let source = include_str!("judge.rs");
        let rules: Vec<&str> = source
            .lines()
            .filter_map(|l| l.strip_prefix("//! | D"))
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        assert_eq!(rules.len(), 15, "{rules:?}");
        for rule in rules {
            let row = format!("D{rule}");
            assert!(
                ROWS.iter().any(|r| r.0 == row) || OTHER_CONFIG_ROWS.iter().any(|r| r.0 == row),
                "rule {row} has no row"
            );
        }
    }
}
