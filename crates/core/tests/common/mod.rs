//! Builders shared by the integration tests: configurations for two and three regions,
//! observations from a compact description, and [`apply`], a model of what the adapters
//! do with a plan (Route 53 applying a change batch atomically, or the gate publisher
//! writing the new state).
//!
//! Regions have short aliases so that tables stay readable: `east` (us-east-1, home),
//! `west` (us-west-2) and `eu` (eu-west-1, third choice). Every region has two alarms
//! (`api-errors`, `api-latency`), an endpoint health check and one data guard (`repl`);
//! [`Setup`] can drop the health checks ([`Setup::unchecked`]), give every region a
//! `health_url` the watcher probes ([`Setup::probed`]), or count INSUFFICIENT_DATA on a
//! standby as unknown ([`Setup::no_data_unknown`]).
//!
//! Compact health descriptions are whitespace-separated words:
//!
//! | word               | meaning                                                        |
//! |--------------------|----------------------------------------------------------------|
//! | `east=ok`          | every signal OK since t=0 (long ago)                           |
//! | `east=ok@9000`     | every signal OK since t=9000                                   |
//! | `east=ok@?`        | every signal OK, since when not known                          |
//! | `east=alarm`       | `api-errors` in ALARM, the rest OK                             |
//! | `east=down`        | the endpoint health check fails, alarms OK                     |
//! | `east=unknown`     | `api-errors` INSUFFICIENT_DATA, the rest OK                    |
//! | `east=nodata`      | every alarm INSUFFICIENT_DATA (no traffic), the check OK since 0 (`nodata@T`: since T) |
//! | `east=gone`        | `api-errors` does not exist, the rest OK                       |
//! | `east=unreadable`  | no signal could be read                                        |
//! | `east=nocheck`     | alarms OK, endpoint check not reported                         |
//! | `east=alarm+unknown` | `api-errors` in ALARM, `api-latency` INSUFFICIENT_DATA        |
//! | `guard:repl=alarm` | the preceding region's guard `repl` is in ALARM (or `unknown`) |
//! | `hcs=stale`        | the preceding region's `HealthCheckStatus` instead: `ok`, `ok@T`, `ok@?` (fresh healthy), `down` (fresh unhealthy), `stale`, `missing`, `unreadable` |
//! | `probe=ok`         | the watcher's probe of the preceding region: `ok`, `fail`, `timeout` (needs [`Setup::probed`]) |
//! | `cw=unreadable`    | the preceding region's CloudWatch cannot be read: every alarm and guard unknown |
//!
//! A region not mentioned is absent from the observations. Guards are OK unless stated;
//! without a `probe=` word a probed region's probe is not reported.
//!
//! [`Reach`] counts how many cases of a property test reach its assertion, for the
//! properties whose assertion sits behind a condition.

#![allow(dead_code, unreachable_pub)] // each test binary uses its own subset

use std::sync::atomic::{AtomicUsize, Ordering};

use regionflip_core::records::{failover_record, state_record};
use regionflip_core::{
    ChangeAction, Config, Decision, EngineState, FailbackMode, FailoverRole, Mode, NoDataOnStandby,
    Observations, Plan, ProbeOutcome, ProbeReading, RecordSet, RecordType, RegionObservation,
    RoutingObservation, SignalReading, SignalStatus, StateObservation,
};

/// Short aliases of the configured regions, in preference order.
pub const REGIONS: [(&str, &str); 3] = [
    ("east", "us-east-1"),
    ("west", "us-west-2"),
    ("eu", "eu-west-1"),
];

/// The alarms every region has.
pub const ALARMS: [&str; 2] = ["api-errors", "api-latency"];
/// The data guard every region has.
pub const GUARD: &str = "repl";

/// The shape of a test configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setup {
    /// Two or three regions.
    pub regions: usize,
    /// How decisions reach DNS.
    pub mode: Mode,
    /// Automatic or manual failback.
    pub failback: FailbackMode,
    /// `failover.respect_guards`.
    pub respect_guards: bool,
    /// CNAME or A alias records.
    pub record_type: RecordType,
    /// `failover.no_data_on_standby`.
    pub no_data_on_standby: NoDataOnStandby,
    /// Every region has a `health_check_id` (Route 53's `HealthCheckStatus`).
    pub health_checks: bool,
    /// Every region has a `health_url` the watcher probes.
    pub probes: bool,
}

impl Setup {
    /// The same set-up with manual failback.
    pub const fn manual(self) -> Setup {
        Setup {
            failback: FailbackMode::Manual,
            ..self
        }
    }

    /// The same set-up with `failover.respect_guards = true`.
    pub const fn guarded(self) -> Setup {
        Setup {
            respect_guards: true,
            ..self
        }
    }

    /// The same set-up with A alias records.
    pub const fn alias(self) -> Setup {
        Setup {
            record_type: RecordType::A,
            ..self
        }
    }

    /// The same set-up with `failover.no_data_on_standby = "unknown"`.
    pub const fn no_data_unknown(self) -> Setup {
        Setup {
            no_data_on_standby: NoDataOnStandby::Unknown,
            ..self
        }
    }

    /// The same set-up with a `health_url` in every region (see [`health_url`]).
    pub const fn probed(self) -> Setup {
        Setup {
            probes: true,
            ..self
        }
    }

    /// The same set-up without health checks: no `HealthCheckStatus` (and, unless
    /// probed, no endpoint source at all).
    pub const fn unchecked(self) -> Setup {
        Setup {
            health_checks: false,
            ..self
        }
    }
}

/// The `health_url` of a probed region.
pub fn health_url(name: &str) -> String {
    format!("https://api.{name}.example.com/health")
}

const fn setup(regions: usize, mode: Mode) -> Setup {
    Setup {
        regions,
        mode,
        failback: FailbackMode::Auto,
        respect_guards: false,
        record_type: RecordType::Cname,
        no_data_on_standby: NoDataOnStandby::Idle,
        health_checks: true,
        probes: false,
    }
}

/// Two regions, health-gate mode, automatic failback.
pub const GATE2: Setup = setup(2, Mode::HealthGate);
/// Two regions, records mode, automatic failback.
pub const REC2: Setup = setup(2, Mode::Records);
/// Three regions, health-gate mode, automatic failback.
pub const GATE3: Setup = setup(3, Mode::HealthGate);
/// Three regions, records mode, automatic failback.
pub const REC3: Setup = setup(3, Mode::Records);

/// The failback and damping numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// `failback.stable_for_secs`.
    pub stable_for_secs: u64,
    /// `failback.min_dwell_secs`.
    pub min_dwell_secs: u64,
    /// `failback.max_flips_per_hour`.
    pub max_flips_per_hour: u32,
    /// `failback.horizon_secs`.
    pub horizon_secs: u64,
}

/// The defaults: 300 s stable, 300 s dwell, 4 flips an hour, no horizon beyond the dwell.
pub const DEFAULT_POLICY: Policy = Policy {
    stable_for_secs: 300,
    min_dwell_secs: 300,
    max_flips_per_hour: 4,
    horizon_secs: 0,
};

/// Full region name of an alias (`east` → `us-east-1`); full names pass through.
pub fn region(alias: &str) -> &str {
    REGIONS
        .iter()
        .find(|(short, _)| *short == alias)
        .map_or(alias, |(_, full)| full)
}

/// The configured target of a region (normalised, as the config stores it).
pub fn target_of(name: &str) -> String {
    format!("api.{name}.example.com.")
}

/// A configuration with the default policy.
pub fn config(setup: Setup) -> Config {
    config_with(setup, DEFAULT_POLICY)
}

/// The TOML document of a test configuration.
pub fn config_toml(setup: Setup, policy: Policy) -> String {
    let mut toml = format!(
        "hosted_zone_id = \"Z0123456789ABCDEFGHIJ\"\n\
         record_name = \"api.example.com\"\n\
         record_type = \"{}\"\n\
         mode = \"{}\"\n\
         [failback]\n\
         mode = \"{}\"\n\
         stable_for_secs = {}\n\
         min_dwell_secs = {}\n\
         max_flips_per_hour = {}\n\
         horizon_secs = {}\n\
         [failover]\n\
         respect_guards = {}\n\
         no_data_on_standby = \"{}\"\n",
        setup.record_type.as_str(),
        setup.mode.as_str(),
        setup.failback.as_str(),
        policy.stable_for_secs,
        policy.min_dwell_secs,
        policy.max_flips_per_hour,
        policy.horizon_secs,
        setup.respect_guards,
        setup.no_data_on_standby.as_str(),
    );
    for (i, (_, name)) in REGIONS.iter().take(setup.regions).enumerate() {
        toml.push_str(&format!(
            "[[regions]]\n\
             name = \"{name}\"\n\
             target = \"{}\"\n\
             alarms = [\"{}\", \"{}\"]\n\
             guards = [\"{GUARD}\"]\n",
            target_of(name),
            ALARMS[0],
            ALARMS[1],
        ));
        if setup.health_checks {
            toml.push_str(&format!(
                "health_check_id = \"00000000-0000-4000-8000-00000000000{}\"\n",
                i + 1
            ));
        }
        if setup.probes {
            toml.push_str(&format!("health_url = \"{}\"\n", health_url(name)));
        }
        if setup.record_type == RecordType::A {
            toml.push_str(&format!(
                "alias_hosted_zone_id = \"Z00000000000000{}\"\n",
                i + 1
            ));
        }
    }
    toml
}

/// A configuration with the given policy.
pub fn config_with(setup: Setup, policy: Policy) -> Config {
    Config::from_toml_str(&config_toml(setup, policy))
        .unwrap_or_else(|e| panic!("test configuration is invalid: {e}"))
}

/// One region's readings, described by the status words of the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Every signal OK since this time (or since an unknown time).
    Ok(Option<u64>),
    /// `api-errors` in ALARM.
    Alarm,
    /// Endpoint check failing.
    Down,
    /// `api-errors` INSUFFICIENT_DATA.
    Unknown,
    /// Nothing could be read.
    Unreadable,
    /// Endpoint check not reported.
    NoCheck,
    /// `api-errors` in ALARM and `api-latency` INSUFFICIENT_DATA.
    AlarmAndUnknown,
    /// Every alarm INSUFFICIENT_DATA (no traffic); the endpoint check OK since this time.
    NoData(Option<u64>),
    /// `api-errors` does not exist; the rest OK.
    Gone,
}

/// A region's `HealthCheckStatus`, overriding what its [`Status`] says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hcs {
    /// Fresh and healthy since this time (or since an unknown time).
    Ok(Option<u64>),
    /// Fresh and unhealthy.
    Down,
    /// The latest datapoint is too old.
    Stale,
    /// No datapoints (a new check).
    Missing,
    /// `GetMetricData` in us-east-1 failed.
    Unreadable,
}

/// The watcher's probe of a region's health endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// 2xx/3xx with the search string, in time.
    Ok,
    /// Answered wrongly (503).
    Fail,
    /// No answer in time.
    Timeout,
}

/// Everything a description says about one region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegionSpec {
    /// Alarms and endpoint check.
    pub status: Status,
    /// The guard `repl`.
    pub guard: Signal,
    /// `HealthCheckStatus` instead of what `status` says, if set.
    pub hcs: Option<Hcs>,
    /// The watcher's probe, if reported.
    pub probe: Option<Probe>,
    /// `DescribeAlarms` for the region failed.
    pub cloudwatch_unreadable: bool,
}

impl RegionSpec {
    /// A region described by its status and guard alone.
    pub const fn new(status: Status, guard: Signal) -> RegionSpec {
        RegionSpec {
            status,
            guard,
            hcs: None,
            probe: None,
            cloudwatch_unreadable: false,
        }
    }
}

/// Why `DescribeAlarms` failed, in `cw=unreadable` readings.
pub const CLOUDWATCH_DOWN: &str = "DescribeAlarms failed: timed out";

/// The state of a guard (or of any single signal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// OK.
    Ok,
    /// In ALARM.
    Alarm,
    /// INSUFFICIENT_DATA.
    Unknown,
}

fn reading(name: &str, status: SignalStatus, since: Option<u64>) -> SignalReading {
    SignalReading {
        name: name.to_string(),
        status,
        since,
    }
}

fn insufficient() -> SignalStatus {
    SignalStatus::NoData
}

/// The readings of one configured region.
pub fn region_observation(
    config: &Config,
    name: &str,
    status: Status,
    guard: Signal,
) -> RegionObservation {
    region_observation_of(config, name, RegionSpec::new(status, guard))
}

/// The readings of one configured region, with every source [`RegionSpec`] describes.
pub fn region_observation_of(config: &Config, name: &str, spec: RegionSpec) -> RegionObservation {
    let mut observation = base_observation(config, name, spec.status, spec.guard);
    let configured = config
        .region(name)
        .unwrap_or_else(|| panic!("{name} is not configured"));
    if let Some(hcs) = spec.hcs {
        let check = configured
            .health_check_id
            .clone()
            .unwrap_or_else(|| panic!("hcs= needs a health check: {name} has none"));
        let (status, since) = match hcs {
            Hcs::Ok(since) => (SignalStatus::Ok, since),
            Hcs::Down => (SignalStatus::Failing, Some(0)),
            Hcs::Stale => (
                SignalStatus::Unknown("the latest HealthCheckStatus datapoint is 900 s old".into()),
                None,
            ),
            Hcs::Missing => (
                SignalStatus::Unknown("no HealthCheckStatus datapoints".into()),
                None,
            ),
            Hcs::Unreadable => (
                SignalStatus::Unknown("HealthCheckStatus could not be read: timed out".into()),
                None,
            ),
        };
        observation.endpoint = Some(reading(&check, status, since));
    }
    if let Some(probe) = spec.probe {
        let url = configured
            .health_url
            .clone()
            .unwrap_or_else(|| panic!("probe= needs a probed set-up: {name} has no health_url"));
        let outcome = match probe {
            Probe::Ok => ProbeOutcome::Healthy,
            Probe::Fail => ProbeOutcome::Failing("HTTP 503".into()),
            Probe::Timeout => ProbeOutcome::TimedOut("no answer within 4 s".into()),
        };
        observation.probe = Some(ProbeReading { url, outcome });
    }
    if spec.cloudwatch_unreadable {
        // What the observer reports when DescribeAlarms fails: the region's alarms and
        // guards are unknown, with why.
        let unknown = |r: &mut SignalReading| {
            r.status = SignalStatus::Unknown(CLOUDWATCH_DOWN.into());
            r.since = None;
        };
        observation.alarms.iter_mut().for_each(unknown);
        observation.guards.iter_mut().for_each(unknown);
        observation.cloudwatch_unreadable = Some(CLOUDWATCH_DOWN.into());
    }
    observation
}

fn base_observation(
    config: &Config,
    name: &str,
    status: Status,
    guard: Signal,
) -> RegionObservation {
    let configured = config
        .region(name)
        .unwrap_or_else(|| panic!("{name} is not configured"));
    let check = configured.health_check_id.clone().unwrap_or_default();
    let ok = |n: &str| reading(n, SignalStatus::Ok, Some(0));
    let (alarms, endpoint) = match status {
        Status::Ok(since) => (
            ALARMS
                .iter()
                .map(|a| reading(a, SignalStatus::Ok, since))
                .collect(),
            Some(reading(&check, SignalStatus::Ok, since)),
        ),
        Status::Alarm => (
            vec![
                reading(ALARMS[0], SignalStatus::Failing, Some(0)),
                ok(ALARMS[1]),
            ],
            Some(ok(&check)),
        ),
        Status::Down => (
            ALARMS.iter().map(|a| ok(a)).collect(),
            Some(reading(&check, SignalStatus::Failing, Some(0))),
        ),
        Status::Unknown => (
            vec![reading(ALARMS[0], insufficient(), None), ok(ALARMS[1])],
            Some(ok(&check)),
        ),
        Status::Unreadable => {
            let unreadable = || SignalStatus::Unknown("unreadable: AccessDenied".into());
            (
                ALARMS
                    .iter()
                    .map(|a| reading(a, unreadable(), None))
                    .collect(),
                Some(reading(&check, unreadable(), None)),
            )
        }
        Status::NoCheck => (ALARMS.iter().map(|a| ok(a)).collect(), None),
        Status::AlarmAndUnknown => (
            vec![
                reading(ALARMS[0], SignalStatus::Failing, Some(0)),
                reading(ALARMS[1], insufficient(), None),
            ],
            Some(ok(&check)),
        ),
        Status::NoData(since) => (
            ALARMS
                .iter()
                .map(|a| reading(a, insufficient(), None))
                .collect(),
            Some(reading(&check, SignalStatus::Ok, since)),
        ),
        Status::Gone => (
            vec![
                reading(
                    ALARMS[0],
                    SignalStatus::Unknown("the alarm does not exist".into()),
                    None,
                ),
                ok(ALARMS[1]),
            ],
            Some(ok(&check)),
        ),
    };
    // Without a configured check there is no HealthCheckStatus to read.
    let endpoint = endpoint.filter(|_| configured.health_check_id.is_some());
    let guard = match guard {
        Signal::Ok => reading(GUARD, SignalStatus::Ok, Some(0)),
        Signal::Alarm => reading(GUARD, SignalStatus::Failing, Some(0)),
        Signal::Unknown => reading(GUARD, insufficient(), None),
    };
    RegionObservation {
        region: name.to_string(),
        alarms,
        guards: vec![guard],
        endpoint,
        probe: None,
        cloudwatch_unreadable: None,
    }
}

/// The time after `@` in a word: a number, or `?` for not known.
fn since_of(word: &str, t: &str) -> Option<u64> {
    match t {
        "?" => None,
        t => Some(t.parse().unwrap_or_else(|_| panic!("bad time in {word:?}"))),
    }
}

fn parse_status(word: &str) -> Status {
    match word.split_once('@') {
        Some(("ok", t)) => Status::Ok(since_of(word, t)),
        Some(("nodata", t)) => Status::NoData(since_of(word, t)),
        None => match word {
            "nodata" => Status::NoData(Some(0)),
            "gone" => Status::Gone,
            "ok" => Status::Ok(Some(0)),
            "alarm" => Status::Alarm,
            "down" => Status::Down,
            "unknown" => Status::Unknown,
            "unreadable" => Status::Unreadable,
            "nocheck" => Status::NoCheck,
            "alarm+unknown" => Status::AlarmAndUnknown,
            other => panic!("unknown region status {other:?}"),
        },
        Some(_) => panic!("unknown region status {word:?}"),
    }
}

fn parse_signal(word: &str) -> Signal {
    match word {
        "ok" => Signal::Ok,
        "alarm" => Signal::Alarm,
        "unknown" => Signal::Unknown,
        other => panic!("unknown guard status {other:?}"),
    }
}

fn parse_hcs(word: &str, value: &str) -> Hcs {
    match value.split_once('@') {
        Some(("ok", t)) => Hcs::Ok(since_of(word, t)),
        Some(_) => panic!("unknown HealthCheckStatus {word:?}"),
        None => match value {
            "ok" => Hcs::Ok(Some(0)),
            "down" => Hcs::Down,
            "stale" => Hcs::Stale,
            "missing" => Hcs::Missing,
            "unreadable" => Hcs::Unreadable,
            other => panic!("unknown HealthCheckStatus {other:?}"),
        },
    }
}

fn parse_probe(value: &str) -> Probe {
    match value {
        "ok" => Probe::Ok,
        "fail" => Probe::Fail,
        "timeout" => Probe::Timeout,
        other => panic!("unknown probe outcome {other:?}"),
    }
}

/// Region observations from a compact description (see the module docs).
pub fn parse_health(config: &Config, description: &str) -> Vec<RegionObservation> {
    let mut regions: Vec<(String, RegionSpec)> = Vec::new();
    for word in description.split_whitespace() {
        let (subject, value) = word
            .split_once('=')
            .unwrap_or_else(|| panic!("{word:?} is not name=status"));
        let is_region =
            !subject.starts_with("guard:") && !["hcs", "probe", "cw"].contains(&subject);
        if is_region {
            regions.push((
                region(subject).to_string(),
                RegionSpec::new(parse_status(value), Signal::Ok),
            ));
            continue;
        }
        let last = regions
            .last_mut()
            .map(|(_, spec)| spec)
            .unwrap_or_else(|| panic!("{word:?} must follow a region"));
        if let Some(guard) = subject.strip_prefix("guard:") {
            assert_eq!(guard, GUARD, "only the guard {GUARD:?} is configured");
            last.guard = parse_signal(value);
        } else if subject == "hcs" {
            last.hcs = Some(parse_hcs(word, value));
        } else if subject == "probe" {
            last.probe = Some(parse_probe(value));
        } else {
            assert_eq!(value, "unreadable", "{word:?}: only cw=unreadable is known");
            last.cloudwatch_unreadable = true;
        }
    }
    regions
        .into_iter()
        .map(|(name, spec)| region_observation_of(config, &name, spec))
        .collect()
}

/// Routing on `active`, as the adapters read it: the failover pair in `records` mode
/// (SECONDARY on the most preferred other region), the gates otherwise.
pub fn routing_on(config: &Config, active: &str) -> RoutingObservation {
    match config.mode {
        Mode::HealthGate => RoutingObservation::Gates,
        Mode::Records => {
            let primary = config
                .region(active)
                .unwrap_or_else(|| panic!("{active} is not configured"));
            let standby = config
                .regions
                .iter()
                .find(|r| r.name != active)
                .unwrap_or_else(|| panic!("fewer than two regions"));
            RoutingObservation::Records(vec![
                failover_record(config, primary, FailoverRole::Primary),
                failover_record(config, standby, FailoverRole::Secondary),
            ])
        }
    }
}

/// `state` as the adapters read it back: through the TXT state record in `records` mode
/// (exercising the text codec), as is otherwise.
pub fn stored_state(config: &Config, state: &EngineState) -> StateObservation {
    match config.mode {
        Mode::Records => StateObservation::from_state_record(state_record(config, state)),
        Mode::HealthGate => StateObservation::Valid {
            state: state.clone(),
            record: None,
        },
    }
}

/// Observations of a consistent world: routing on `state.active`, the state as stored.
pub fn observations(config: &Config, health: &str, state: &EngineState) -> Observations {
    Observations {
        regions: parse_health(config, health),
        routing: routing_on(config, &state.active),
        state: stored_state(config, state),
    }
}

/// What the adapters leave behind after carrying out `decision`'s plan: the observations
/// the next pass reads. Region health is unchanged. Panics when the plan could not be
/// applied (a compare-and-swap precondition that does not hold, a CREATE of a record
/// that exists), because the real adapters would fail there too.
pub fn apply(config: &Config, observations: &Observations, decision: &Decision) -> Observations {
    let mut next = observations.clone();
    match &decision.plan {
        Plan::Nothing => {}
        Plan::ChangeBatch { changes, new_state } => {
            let mut records = match observations.routing.clone() {
                RoutingObservation::Records(records) => records,
                // A forced command writes blind: Route 53 applies the batch to whatever
                // is there; the model starts from no failover record.
                RoutingObservation::Unreadable(_) => Vec::new(),
                RoutingObservation::Gates => {
                    panic!("a change batch was planned, but routing was not read from records")
                }
            };
            let state_name = config.state_record_name();
            let mut state_slot: Option<RecordSet> = observations.state.record().cloned();
            for change in changes {
                let record = &change.record;
                if record.name == state_name && record.record_type == "TXT" {
                    match change.action {
                        ChangeAction::Delete => {
                            assert_eq!(
                                state_slot.as_ref(),
                                Some(record),
                                "DELETE of the state record must match it exactly"
                            );
                            state_slot = None;
                        }
                        ChangeAction::Create => {
                            assert!(state_slot.is_none(), "CREATE of an existing state record");
                            state_slot = Some(record.clone());
                        }
                        ChangeAction::Upsert => state_slot = Some(record.clone()),
                    }
                    continue;
                }
                assert_eq!(
                    record.name, config.record_name,
                    "change to a foreign record"
                );
                match change.action {
                    ChangeAction::Upsert => {
                        records.retain(|r| r.set_identifier != record.set_identifier);
                        records.push(record.clone());
                    }
                    ChangeAction::Delete => {
                        let before = records.len();
                        records.retain(|r| r != record);
                        assert_eq!(records.len() + 1, before, "DELETE of a missing record");
                    }
                    ChangeAction::Create => {
                        assert!(
                            records
                                .iter()
                                .all(|r| r.set_identifier != record.set_identifier),
                            "CREATE of an existing failover record"
                        );
                        records.push(record.clone());
                    }
                }
            }
            records.sort_by_key(|r| r.set_identifier.clone());
            next.routing = RoutingObservation::Records(records);
            next.state = state_slot.map_or(StateObservation::Missing, |record| {
                StateObservation::from_state_record(record)
            });
            match &next.state {
                StateObservation::Valid { state, .. } => assert_eq!(
                    state, new_state,
                    "the state record read back differs from the state the batch writes"
                ),
                other => panic!("the state record written does not read back: {other:?}"),
            }
        }
        Plan::Gates { state, .. } => {
            if let Some(write) = state {
                assert_eq!(
                    write.expected.as_ref(),
                    observations.state.record(),
                    "state write precondition does not hold"
                );
                next.state = StateObservation::Valid {
                    state: write.new.clone(),
                    record: None,
                };
            }
        }
    }
    next
}

/// How many cases of a property reached its assertion.
///
/// A property that asserts only when some case occurs ("if it fails over, then …") tests
/// nothing in the cases that miss it, and a generator that rarely produces the case lets
/// the property pass while checking almost nothing. So such a property counts its cases
/// and the ones that reached the assertion, and after the run asserts a minimum rate
/// with [`Reach::assert_at_least`]. Atomics, so a property may count from any thread.
#[derive(Debug, Default)]
pub struct Reach {
    cases: AtomicUsize,
    reached: AtomicUsize,
}

/// The share of cases every conditional property must reach its assertion in.
pub const MIN_REACH: f64 = 0.5;

impl Reach {
    /// Counts one case that did (`true`) or did not reach the assertion; returns
    /// `reached`, so the count can guard the assertion itself: `if reach.case(c) { … }`.
    pub fn case(&self, reached: bool) -> bool {
        self.cases.fetch_add(1, Ordering::Relaxed);
        if reached {
            self.reached.fetch_add(1, Ordering::Relaxed);
        }
        reached
    }

    /// The share of cases that reached the assertion, with the counts, as text.
    pub fn report(&self, property: &str) -> String {
        let cases = self.cases.load(Ordering::Relaxed);
        let reached = self.reached.load(Ordering::Relaxed);
        format!(
            "{property} reached its assertion in {reached} of {cases} cases ({:.0} %)",
            100.0 * reached as f64 / cases.max(1) as f64
        )
    }

    /// Panics unless at least `min` of the cases (and at least one) reached the
    /// assertion. Prints the rate either way, so `--nocapture` shows every property's.
    pub fn assert_at_least(&self, min: f64, property: &str) {
        let cases = self.cases.load(Ordering::Relaxed);
        let reached = self.reached.load(Ordering::Relaxed);
        let report = self.report(property);
        eprintln!("{report}");
        assert!(
            reached > 0 && reached as f64 >= min * cases as f64,
            "{report}; at least {:.0} % must: aim the generator at the case",
            100.0 * min
        );
    }
}

/// `text` where the state lives: in the TXT state record (`records`) or in every state
/// copy (`health-gate`), as a reader would observe it.
pub fn stored_text(config: &Config, text: &str) -> StateObservation {
    match config.mode {
        Mode::Records => {
            let mut record = state_record(config, &EngineState::initial("us-east-1"));
            record.values = vec![format!("\"{text}\"")];
            StateObservation::from_state_record(record)
        }
        Mode::HealthGate => StateObservation::from_text(text),
    }
}
