//! Cost of one engine decision (`regionflip_core::decide`) for 2, 3 and 8 regions, in
//! both modes: a steady decision (every region healthy, traffic home: no transition)
//! and a failover decision (home's alarm in ALARM: a change batch, or new gates and state).
//!
//! Budget (`BUDGET_ENGINE_3_REGIONS_NS` in scripts/bench/budgets.json, checked by
//! scripts/bench/budgets.py, not here): the slowest 3-region decision. The benchmark ids `engine/{steady,failover}/{records,health-gate}/{N}` are
//! stable because scripts/bench.sh reads their estimates.
//!
//! Only `decide` is timed: building the observations is the observer's job and is
//! measured with the whole pass (crates/watcher/examples/bench_reconcile.rs).

// Benchmarks may fail loudly on a broken fixture.
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use regionflip_core::observe::{
    Observations, RegionObservation, RoutingObservation, SignalReading, SignalStatus,
    StateObservation,
};
use regionflip_core::records::{failover_record, state_record};
use regionflip_core::{Config, EngineState, FailoverRole, Mode, Trigger, decide};

/// Route 53's eight health-checker regions: a realistic upper bound on regions served.
const REGION_NAMES: [&str; 8] = [
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "sa-east-1",
    "us-west-1",
];
const REGION_COUNTS: [usize; 3] = [2, 3, 8];
/// A fixed "now", well after every signal turned healthy (t = 1000).
const NOW: u64 = 1_800_000_000;

/// A configuration like the sample one: two alarms, a guard and an endpoint check per region.
fn config(mode: Mode, regions: usize) -> Config {
    let mut toml = format!(
        "hosted_zone_id = \"Z0123456789ABCDEFGHIJ\"\n\
         record_name = \"api.example.com\"\n\
         record_type = \"CNAME\"\n\
         mode = \"{}\"\n",
        mode.as_str()
    );
    for (index, name) in REGION_NAMES.iter().take(regions).enumerate() {
        toml.push_str(&format!(
            "[[regions]]\n\
             name = \"{name}\"\n\
             target = \"api.{name}.example.com\"\n\
             health_check_id = \"00000000-0000-4000-8000-00000000000{index}\"\n\
             alarms = [\"api-errors-{name}\", \"api-latency-{name}\"]\n\
             guards = [\"replication-{name}\"]\n"
        ));
    }
    Config::from_toml_str(&toml).unwrap()
}

fn reading(name: &str, status: SignalStatus) -> SignalReading {
    SignalReading {
        name: name.to_string(),
        status,
        since: Some(1000),
    }
}

/// What a pass reads when traffic is home and `failing_home` says whether home's first
/// alarm is in ALARM.
fn observations(config: &Config, failing_home: bool) -> Observations {
    let regions = config
        .regions
        .iter()
        .enumerate()
        .map(|(index, region)| {
            let alarm_status = |alarm: usize| {
                if failing_home && index == 0 && alarm == 0 {
                    SignalStatus::Failing
                } else {
                    SignalStatus::Ok
                }
            };
            RegionObservation {
                region: region.name.clone(),
                alarms: region
                    .alarms
                    .iter()
                    .enumerate()
                    .map(|(i, name)| reading(name, alarm_status(i)))
                    .collect(),
                guards: region
                    .guards
                    .iter()
                    .map(|name| reading(name, SignalStatus::Ok))
                    .collect(),
                endpoint: region
                    .health_check_id
                    .as_ref()
                    .map(|id| reading(id, SignalStatus::Ok)),
                probe: None,
                cloudwatch_unreadable: None,
            }
        })
        .collect();
    let state = EngineState {
        sequence: 1,
        ..EngineState::initial(&config.regions[0].name)
    };
    let (routing, state) = match config.mode {
        Mode::Records => (
            RoutingObservation::Records(vec![
                failover_record(config, &config.regions[0], FailoverRole::Primary),
                failover_record(config, &config.regions[1], FailoverRole::Secondary),
            ]),
            StateObservation::from_state_record(state_record(config, &state)),
        ),
        Mode::HealthGate => (
            RoutingObservation::Gates,
            StateObservation::Valid {
                state,
                record: None,
            },
        ),
    };
    Observations {
        regions,
        routing,
        state,
    }
}

fn decisions(c: &mut Criterion) {
    for (scenario, failing_home) in [("steady", false), ("failover", true)] {
        for mode in [Mode::Records, Mode::HealthGate] {
            let mut group = c.benchmark_group(format!("engine/{scenario}/{}", mode.as_str()));
            for regions in REGION_COUNTS {
                let config = config(mode, regions);
                let observed = observations(&config, failing_home);
                // Guard the fixture: a benchmark of the wrong branch would mislead.
                let decision = decide(&config, &observed, NOW, Trigger::EventOrOperator);
                assert_eq!(
                    decision.event.is_some(),
                    failing_home,
                    "{scenario} {regions} regions: {:?}",
                    decision.reasons
                );
                group.bench_with_input(BenchmarkId::from_parameter(regions), &regions, |b, _| {
                    b.iter(|| {
                        decide(
                            black_box(&config),
                            black_box(&observed),
                            black_box(NOW),
                            Trigger::EventOrOperator,
                        )
                    })
                });
            }
            group.finish();
        }
    }
}

criterion_group!(benches, decisions);
criterion_main!(benches);
