//! The sample deployment the watcher's and `init`'s tests start from: the configuration
//! in `events/watcher-config.toml` (us-east-1 home, us-west-2 standby), a zone initialised
//! the way `regionflip init` leaves it, alarms and endpoint checks in a chosen state, and
//! helpers that read the world back as a watcher would.
//!
//! Every helper panics when the world is not as a test set it up: a fixture that cannot
//! hold is a broken test, not a result.

use regionflip_core::records::{failover_record, state_record};
use regionflip_core::{Config, EngineState, FailoverRole, Mode, ProbeOutcome};
use regionflip_watcher::ports::{AlarmState, HealthSample};
use regionflip_watcher::{PassReport, Watcher, WatcherSettings};

use crate::hooked::Hooked;
use crate::hooks::{CallCounter, Faults, Instrumented};
use crate::journal::MemoryJournal;
use crate::memory::{MemoryCloudWatch, MemoryEndpoints, MemoryRoute53};

/// The sample's home region.
pub const EAST: &str = "us-east-1";
/// The sample's standby region.
pub const WEST: &str = "us-west-2";
/// us-east-1's application alarm.
pub const EAST_ALARM: &str = "regionflip-demo-api-errors-us-east-1";
/// us-west-2's application alarm.
pub const WEST_ALARM: &str = "regionflip-demo-api-errors-us-west-2";
/// us-east-1's data guard (a replication-lag alarm).
pub const EAST_GUARD: &str = "regionflip-demo-replication-lag-us-east-1";
/// us-east-1's endpoint health check id.
pub const EAST_CHECK: &str = "0f7c4c1e-1111-4a4a-8b8b-000000000001";
/// us-west-2's endpoint health check id.
pub const WEST_CHECK: &str = "0f7c4c1e-2222-4a4a-8b8b-000000000002";
/// An arbitrary fixed "now" for the start of each test: 2026-11-24T05:00:00Z.
pub const T0: u64 = 1_795_496_400;

/// `events/watcher-config.toml` in `mode`.
pub fn sample_config(mode: Mode) -> Config {
    let mut config = Config::from_toml_str(include_str!("../../../events/watcher-config.toml"))
        .expect("events/watcher-config.toml is valid");
    config.mode = mode;
    config
}

/// A watcher on the in-memory models, its calls counted and open to injected faults, its
/// probes answered by in-memory health endpoints.
pub type MemoryWatcher = Watcher<
    Instrumented<MemoryRoute53>,
    Instrumented<MemoryCloudWatch>,
    MemoryJournal,
    MemoryEndpoints,
>;

/// us-east-1's health endpoint, in the worlds with probes.
pub const EAST_URL: &str = "https://api.us-east-1.example.test/health";
/// us-west-2's health endpoint, in the worlds with probes.
pub const WEST_URL: &str = "https://api.us-west-2.example.test/health";

/// A watcher on fresh in-memory AWS, initialised with traffic on us-east-1 and every
/// alarm OK and every endpoint healthy since an hour before `T0`. No `health_url` is
/// configured, so the watcher probes nothing.
pub fn initialised(mode: Mode) -> MemoryWatcher {
    build(sample_config(mode), true, AlarmState::Ok)
}

/// As [`initialised`] in health-gate mode, with active-active latency routing: both
/// regions in service, every region's request alarm OK (each serves traffic, so its
/// alarms have data).
pub fn initialised_active_active() -> MemoryWatcher {
    let mut config = sample_config(Mode::HealthGate);
    config.routing = regionflip_core::config::Routing::Latency;
    build(config, true, AlarmState::Ok)
}

/// As [`initialised`], with a `health_url` for each region ([`EAST_URL`],
/// [`WEST_URL`]) and both endpoints answering the watcher's probe.
pub fn initialised_with_probes(mode: Mode) -> MemoryWatcher {
    build(config_with_probes(mode), true, AlarmState::Ok)
}

/// The world real AWS delivers when it matters (field facts): Route 53 has published no
/// `HealthCheckStatus` at all (a new check, or us-east-1's CloudWatch impaired), and the
/// passive standby's request alarm sits in INSUFFICIENT_DATA (no traffic, default
/// `TreatMissingData = missing`). Both endpoints answer the watcher's probe.
pub fn as_real_aws_delivers(mode: Mode) -> MemoryWatcher {
    build(
        config_with_probes(mode),
        false,
        AlarmState::InsufficientData,
    )
}

/// The sample configuration with each region's `health_url` set.
fn config_with_probes(mode: Mode) -> Config {
    let mut config = sample_config(mode);
    for (region, url) in config.regions.iter_mut().zip([EAST_URL, WEST_URL]) {
        region.health_url = Some(url.to_string());
    }
    config
}

fn build(
    config: Config,
    health_status_published: bool,
    standby_alarm: AlarmState,
) -> MemoryWatcher {
    let route53 = MemoryRoute53::with_zone(&config.hosted_zone_id);
    let cloudwatch = MemoryCloudWatch::default();
    let faults = Faults::default();
    let endpoints = MemoryEndpoints::default();
    let state = EngineState {
        sequence: 1,
        ..EngineState::initial(EAST)
    };
    match config.mode {
        Mode::Records => {
            let zone = &config.hosted_zone_id;
            route53.put_record(zone, state_record(&config, &state));
            route53.put_record(
                zone,
                failover_record(&config, &config.regions[0], FailoverRole::Primary),
            );
            route53.put_record(
                zone,
                failover_record(&config, &config.regions[1], FailoverRole::Secondary),
            );
        }
        Mode::HealthGate => {
            for region in [EAST, WEST] {
                cloudwatch.set_description(region, &config.state_alarm_name(), &state.encode());
            }
        }
    }
    let since = T0 - 3600;
    cloudwatch.set_alarm(EAST, EAST_ALARM, AlarmState::Ok, since);
    cloudwatch.set_alarm(EAST, EAST_GUARD, AlarmState::Ok, since);
    cloudwatch.set_alarm(WEST, WEST_ALARM, standby_alarm, since);
    if health_status_published {
        endpoint_healthy_between(&cloudwatch, EAST_CHECK, since, T0, true);
        endpoint_healthy_between(&cloudwatch, WEST_CHECK, since, T0, true);
    }
    for region in &config.regions {
        if let Some(url) = &region.health_url {
            endpoints.set(url, ProbeOutcome::Healthy);
        }
    }
    Watcher::new(
        config,
        // One fault queue for both services: a test aims every fault in one place.
        Hooked::new(route53, (CallCounter::default(), faults.clone())),
        Hooked::new(cloudwatch, (CallCounter::default(), faults)),
        MemoryJournal::default(),
        WatcherSettings::for_region(EAST),
    )
    .with_prober(endpoints)
}

/// Publishes one `HealthCheckStatus` sample a minute in `[from, to]`.
pub fn endpoint_healthy_between(
    cloudwatch: &MemoryCloudWatch,
    check: &str,
    from: u64,
    to: u64,
    healthy: bool,
) {
    let samples: Vec<HealthSample> = (from..=to)
        .step_by(60)
        .map(|at| HealthSample {
            at,
            value: if healthy { 1.0 } else { 0.0 },
        })
        .collect();
    cloudwatch.add_health_samples(check, &samples);
}

// ------------------------------------------------------------------ reading the world back

/// The region the PRIMARY record points at.
pub fn primary_region(config: &Config, route53: &MemoryRoute53) -> String {
    let records = route53.records(&config.hosted_zone_id);
    let primary = records
        .iter()
        .find(|r| r.failover == Some(FailoverRole::Primary))
        .expect("a PRIMARY record");
    regionflip_core::records::region_of_record(config, primary)
        .expect("PRIMARY points at a configured region")
        .name
        .clone()
}

/// The state as a watcher would read it: the TXT record (`records`) or the newest of the
/// regions' copies (`health-gate`).
pub fn stored_state(
    config: &Config,
    route53: &MemoryRoute53,
    cloudwatch: &MemoryCloudWatch,
) -> EngineState {
    match config.mode {
        Mode::Records => {
            let record = route53
                .records(&config.hosted_zone_id)
                .into_iter()
                .find(|r| r.name == config.state_record_name())
                .expect("a state record");
            match regionflip_core::StateObservation::from_state_record(record) {
                regionflip_core::StateObservation::Valid { state, .. } => state,
                other => panic!("state record unreadable: {other:?}"),
            }
        }
        Mode::HealthGate => [EAST, WEST]
            .iter()
            .map(|region| state_copy(config, cloudwatch, region))
            .max_by_key(|state| state.sequence)
            .expect("two copies"),
    }
}

/// One region's copy of the gate-mode state.
pub fn state_copy(config: &Config, cloudwatch: &MemoryCloudWatch, region: &str) -> EngineState {
    let text = cloudwatch
        .alarm_description(region, &config.state_alarm_name())
        .expect("a state copy");
    EngineState::decode(&text).expect("a valid state copy")
}

/// The last value published for `region`'s gate, in the region that hosts it.
pub fn last_gate(config: &Config, cloudwatch: &MemoryCloudWatch, region: &str) -> Option<f64> {
    let host = config.gate_host_region(region).to_owned();
    cloudwatch
        .values_of(&host, regionflip_core::resources::GATE_METRIC)
        .iter()
        .rev()
        .find(|d| {
            d.dimensions
                .iter()
                .any(|(k, v)| k == "Region" && v == region)
        })
        .map(|d| d.value)
}

/// Asserts that one warning of `report` mentions every one of `texts`; on failure the
/// message lists every warning the pass gave.
#[track_caller]
pub fn assert_warns(report: &PassReport, texts: &[&str]) {
    assert!(
        report
            .warnings
            .iter()
            .any(|w| texts.iter().all(|t| w.contains(t))),
        "no warning mentions {texts:?}; the warnings: {:#?}",
        report.warnings
    );
}

/// Another watcher on the same in-memory AWS and endpoints as `watcher` (another
/// Lambda invocation, or another region's watcher), recording into `journal`.
pub fn sharing_aws(watcher: &MemoryWatcher, journal: MemoryJournal) -> MemoryWatcher {
    Watcher::new(
        watcher.config().clone(),
        watcher.route53().clone(),
        watcher.cloudwatch().clone(),
        journal,
        watcher.settings().clone(),
    )
    .with_prober(watcher.prober().clone())
}

/// A plain CNAME at the record's name, as a team serves it before regionflip: a record
/// regionflip did not create and must never touch.
pub fn legacy_cname(config: &Config) -> regionflip_core::RecordSet {
    regionflip_core::RecordSet {
        name: config.record_name.clone(),
        record_type: "CNAME".into(),
        set_identifier: None,
        failover: None,
        ttl: Some(300),
        values: vec!["legacy.example.net.".into()],
        alias: None,
        health_check_id: None,
        latency_region: None,
        weight: None,
    }
}
