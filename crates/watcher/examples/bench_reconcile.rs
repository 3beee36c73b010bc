//! Times reconcile passes and counts the AWS calls each one makes, in both modes.
//!
//! Run by `make bench` (scripts/bench.sh) in a release build, as
//! `cargo run --release -p regionflip-watcher --example bench_reconcile -- --runs 50 --out F`
//! would; it starts its own `moto_server` (reusing the tests' `MotoServer`).
//!
//! For each mode (`records`, `health-gate`) and each backend it runs, on the sample
//! configuration (`events/watcher-config.toml`: two regions, one alarm each, a guard and
//! an endpoint check):
//!
//! * warm-up passes, then `--runs` steady passes (everything healthy, traffic home);
//! * `--runs` flip cycles: home's alarm to ALARM, a timed failover pass; the alarm back to
//!   OK, a timed failback pass once the (shortened) stable window has passed.
//!
//! Backends:
//!
//! * **moto** (`moto_server` on a free loopback port, the production SDK adapters from
//!   `AwsClients::for_endpoint`): the timings, and the call counts, taken by counting
//!   wrappers around the adapters. What is timed is the whole `Watcher::reconcile` call,
//!   network round trips to moto included; moto's own speed dominates it.
//! * **memory** (the in-memory models): the watcher's own CPU per pass without any
//!   network, and a cross-check of the counts against the models' `CallCounts`.
//!
//! The clock is injected (as in the tests): each flip cycle moves it forward, so the
//! stable window, the dwell time and flap damping allow the next flip without sleeping.
//! The failback timings use `stable_for_secs = min_dwell_secs = 60` and
//! `max_flips_per_hour = 60`; everything else is the sample configuration.
//!
//! Then it measures what the watcher's own probes of the health endpoints add to a pass
//! (`probe_run`): none, both answering on loopback, and one that never answers.
//!
//! Also writes the watcher's `REGIONFLIP_*` environment for each mode into the output
//! (`Config::to_env`), so the runtime-API harness can start the real bootstrap.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeMap;
use std::time::Instant;

use aws_sdk_cloudwatch::types::StateValue;
use regionflip_core::records::{failover_record, state_record};
use regionflip_core::{
    Change, ChangeAction, Config, EngineState, FailoverRole, Mode, TransitionKind,
};
use regionflip_local_aws::hooks::{CallCounts, Counting};
use regionflip_local_aws::journal::MemoryJournal;
use regionflip_local_aws::memory::{MemoryCloudWatch, MemoryRoute53};
use regionflip_local_aws::moto::MotoServer;
use regionflip_local_aws::seed::{create_alarm, create_zone, now, publish_health_status};
use regionflip_watcher::aws::{AwsClients, SdkBudget};
use regionflip_watcher::ports::{
    AlarmState, CloudWatchApi, HealthSample, MetricDatum, Route53Api, StateAlarm,
};
use regionflip_watcher::{Request, Watcher, WatcherSettings};
use serde_json::{Value, json};

const HOME: &str = "us-east-1";
const STANDBY: &str = "us-west-2";
const HOME_ALARM: &str = "regionflip-demo-api-errors-us-east-1";
const HOME_GUARD: &str = "regionflip-demo-replication-lag-us-east-1";
const STANDBY_ALARM: &str = "regionflip-demo-api-errors-us-west-2";
/// Shortened failback policy, so that a flip cycle needs little injected time.
const STABLE_FOR_SECS: u64 = 60;
const MIN_DWELL_SECS: u64 = 60;
const MAX_FLIPS_PER_HOUR: u32 = 60;
/// Injected time between a failover and its failback, and between cycles: 2 flips per
/// 150 s is 48 an hour, under the damping limit of 60.
const HALF_CYCLE_SECS: u64 = 75;
const WARM_UP_PASSES: usize = 3;

type BenchWatcher<R, C> = Watcher<Counting<R>, Counting<C>, MemoryJournal>;

/// Calls counted so far by the wrappers: each wrapper counts only its own service's
/// calls, so the two sets add up to the pass's.
fn counted<R, C>(watcher: &BenchWatcher<R, C>) -> CallCounts {
    watcher
        .route53()
        .calls()
        .zip_with(&watcher.cloudwatch().calls(), |a, b| a + b)
}

fn counts_json(calls: &CallCounts) -> Value {
    json!({
        "route53": calls.route53(),
        "cloudwatch": calls.cloudwatch(),
        "ListResourceRecordSets": calls.list_records,
        "ChangeResourceRecordSets": calls.change_records,
        "GetChange": calls.get_change,
        "DescribeAlarms": calls.describe_alarms,
        "PutMetricData": calls.put_metric_data,
        "GetMetricData": calls.get_metric_data,
        "PutMetricAlarm": calls.put_metric_alarm,
    })
}

/// The sample configuration in `mode`, with the shortened failback policy.
fn bench_config(mode: Mode) -> Config {
    let mut config = Config::from_toml_str(include_str!("../../../events/watcher-config.toml"))
        .expect("events/watcher-config.toml is valid");
    config.mode = mode;
    config.failback.stable_for_secs = STABLE_FOR_SECS;
    config.failback.min_dwell_secs = MIN_DWELL_SECS;
    config.failback.max_flips_per_hour = MAX_FLIPS_PER_HOUR;
    config
}

/// What `regionflip init` leaves: traffic on home, state sequence 1.
fn initial_state() -> EngineState {
    EngineState {
        sequence: 1,
        ..EngineState::initial(HOME)
    }
}

fn initial_records(config: &Config) -> Vec<Change> {
    [
        state_record(config, &initial_state()),
        failover_record(config, &config.regions[0], FailoverRole::Primary),
        failover_record(config, &config.regions[1], FailoverRole::Secondary),
    ]
    .into_iter()
    .map(|record| Change {
        action: ChangeAction::Create,
        record,
    })
    .collect()
}

/// How the benchmark changes the home alarm on each backend.
enum Backend {
    Moto(AwsClients),
    Memory(MemoryCloudWatch),
}

impl Backend {
    async fn set_home_alarm(&self, alarm: bool, at: u64) {
        match self {
            Backend::Moto(clients) => {
                let state = if alarm {
                    StateValue::Alarm
                } else {
                    StateValue::Ok
                };
                regionflip_local_aws::seed::set_alarm_state(clients, HOME, HOME_ALARM, state).await;
            }
            Backend::Memory(cloudwatch) => {
                let state = if alarm {
                    AlarmState::Alarm
                } else {
                    AlarmState::Ok
                };
                cloudwatch.set_alarm(HOME, HOME_ALARM, state, at);
            }
        }
    }
}

/// Pass durations in milliseconds, with the calls each kind of pass made.
#[derive(Default)]
struct Series {
    millis: Vec<f64>,
    calls: Vec<CallCounts>,
}

impl Series {
    fn json(&self) -> Value {
        let mut sorted = self.millis.clone();
        sorted.sort_by(f64::total_cmp);
        let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
        let first = self.calls.first().cloned().unwrap_or_default();
        // The counts are a property of the code path: every pass of a kind must agree.
        let constant = self.calls.iter().all(|c| *c == first);
        json!({
            "runs": sorted.len(),
            "p50_ms": at(0.5),
            "p90_ms": at(0.9),
            "p99_ms": at(0.99),
            "min_ms": sorted[0],
            "max_ms": sorted[sorted.len() - 1],
            "mean_ms": sorted.iter().sum::<f64>() / sorted.len() as f64,
            "calls": counts_json(&first),
            "calls_constant": constant,
            "calls_max": counts_json(
                &self
                    .calls
                    .iter()
                    .fold(CallCounts::default(), |a, c| a.zip_with(c, usize::max))
            ),
        })
    }
}

/// One timed pass; checks that it made the expected transition (or none).
async fn timed_pass<R: Route53Api, C: CloudWatchApi>(
    watcher: &BenchWatcher<R, C>,
    at: u64,
    expected: Option<TransitionKind>,
    series: &mut Series,
) {
    let before = counted(watcher);
    let started = Instant::now();
    let report = watcher
        .reconcile(&Request::Automatic, at, false)
        .await
        .unwrap_or_else(|e| panic!("pass failed: {e}"));
    let elapsed = started.elapsed();
    let made = report.decision.event.as_ref().map(|e| e.kind);
    assert_eq!(made, expected, "unexpected outcome: {:?}", report.reasons);
    assert!(
        report.warnings.is_empty(),
        "warnings: {:?}",
        report.warnings
    );
    series.millis.push(elapsed.as_secs_f64() * 1000.0);
    series.calls.push(counted(watcher).since(&before));
}

/// Steady passes, then flip cycles, from injected time `start`.
async fn measure<R: Route53Api, C: CloudWatchApi>(
    watcher: &BenchWatcher<R, C>,
    backend: &Backend,
    start: u64,
    runs: usize,
) -> Value {
    let mut clock = start;
    let mut warm_up = Series::default();
    for _ in 0..WARM_UP_PASSES {
        timed_pass(watcher, clock, None, &mut warm_up).await;
    }
    let mut steady = Series::default();
    for _ in 0..runs {
        clock += 1;
        timed_pass(watcher, clock, None, &mut steady).await;
    }
    // What a month of steady ticks is billed for (the in-memory model records every datum).
    let steady_series = match backend {
        Backend::Memory(cloudwatch) => metric_series(&cloudwatch.published()),
        Backend::Moto(_) => Value::Null,
    };
    let (mut failover, mut failback) = (Series::default(), Series::default());
    for _ in 0..runs {
        clock += 1;
        backend.set_home_alarm(true, clock).await;
        timed_pass(
            watcher,
            clock,
            Some(TransitionKind::Failover),
            &mut failover,
        )
        .await;
        backend.set_home_alarm(false, clock).await;
        clock += HALF_CYCLE_SECS;
        timed_pass(
            watcher,
            clock,
            Some(TransitionKind::Failback),
            &mut failback,
        )
        .await;
        clock += HALF_CYCLE_SECS;
    }
    json!({
        "first_pass_ms": warm_up.millis[0],
        "steady": steady.json(),
        "failover": failover.json(),
        "failback": failback.json(),
        "steady_metric_series": steady_series,
    })
}

fn watcher<R, C>(config: &Config, route53: R, cloudwatch: C) -> BenchWatcher<R, C> {
    Watcher::new(
        config.clone(),
        Counting::counting(route53),
        Counting::counting(cloudwatch),
        MemoryJournal::default(),
        WatcherSettings::for_region(HOME),
    )
}

/// The sample world in moto: zone, alarms, minute samples of healthy endpoints from ten
/// minutes ago until after the injected clock's last flip, and what init leaves.
async fn moto_run(moto: &MotoServer, mode: Mode, runs: usize) -> Value {
    moto.reset().expect("moto resets");
    let mut config = bench_config(mode);
    let regions: Vec<String> = config.regions.iter().map(|r| r.name.clone()).collect();
    let clients = AwsClients::for_endpoint(&moto.endpoint(), &regions, SdkBudget::default()).await;
    config.hosted_zone_id = create_zone(&clients, "regionflip-demo.example").await;
    for (region, alarm) in [
        (HOME, HOME_ALARM),
        (HOME, HOME_GUARD),
        (STANDBY, STANDBY_ALARM),
    ] {
        create_alarm(&clients, region, alarm).await;
    }
    let start = now();
    let horizon = start + injected_span(runs) + 600;
    for region in &config.regions {
        let check = region
            .health_check_id
            .as_deref()
            .expect("sample has checks");
        let minutes: Vec<(u64, f64)> = (start / 60 * 60 - 600..=horizon)
            .step_by(60)
            .map(|at| (at, 1.0))
            .collect();
        // PutMetricData takes at most 1000 values per call.
        for chunk in minutes.chunks(1000) {
            publish_health_status(&clients, check, chunk).await;
        }
    }
    match mode {
        Mode::Records => {
            clients
                .route53
                .change_records(&config.hosted_zone_id, &initial_records(&config), "init")
                .await
                .expect("initial records");
        }
        Mode::HealthGate => {
            for region in [HOME, STANDBY] {
                let holder = StateAlarm {
                    name: config.state_alarm_name(),
                    namespace: config.metrics_namespace.clone(),
                    description: initial_state().encode(),
                };
                clients
                    .cloudwatch
                    .put_state_alarm(region, &holder)
                    .await
                    .expect("state holder");
            }
        }
    }
    let watcher = watcher(&config, clients.route53.clone(), clients.cloudwatch.clone());
    measure(&watcher, &Backend::Moto(clients), start, runs).await
}

/// The same world in the in-memory models; also checks the wrappers' counts against the
/// models' own `CallCounts`.
async fn memory_run(mode: Mode, runs: usize) -> Value {
    let config = bench_config(mode);
    let route53 = MemoryRoute53::with_zone(&config.hosted_zone_id);
    let cloudwatch = MemoryCloudWatch::default();
    // 2026-11-24T05:00:00Z, as in the tests.
    let start: u64 = 1_795_496_400;
    match mode {
        Mode::Records => {
            for change in initial_records(&config) {
                route53.put_record(&config.hosted_zone_id, change.record);
            }
        }
        Mode::HealthGate => {
            for region in [HOME, STANDBY] {
                cloudwatch.set_description(
                    region,
                    &config.state_alarm_name(),
                    &initial_state().encode(),
                );
            }
        }
    }
    let since = start - 3600;
    for (region, alarm) in [
        (HOME, HOME_ALARM),
        (HOME, HOME_GUARD),
        (STANDBY, STANDBY_ALARM),
    ] {
        cloudwatch.set_alarm(region, alarm, AlarmState::Ok, since);
    }
    for region in &config.regions {
        let check = region
            .health_check_id
            .as_deref()
            .expect("sample has checks");
        let samples: Vec<HealthSample> = (since..=start + injected_span(runs) + 600)
            .step_by(60)
            .map(|at| HealthSample { at, value: 1.0 })
            .collect();
        cloudwatch.add_health_samples(check, &samples);
    }
    let watcher = watcher(&config, route53.clone(), cloudwatch.clone());
    let mut result = measure(&watcher, &Backend::Memory(cloudwatch.clone()), start, runs).await;
    result["metric_series"] = metric_series(&cloudwatch.published());
    result
}

/// What the watcher's own probes cost a pass: steady passes on the in-memory models
/// (records mode) without probes, with both regions' endpoints answering on loopback
/// (a minimal HTTP server serving the match string), and with the standby's endpoint
/// accepting connections but never answering (the probe's 2 s limit then bounds the
/// pass). The AWS calls per pass must be the same in all three: probes are no AWS call.
async fn probe_run(runs: usize) -> Value {
    let healthy = [serve_health(), serve_health()];
    let silent = serve_silently();
    let mut results = serde_json::Map::new();
    let cases: [(&str, Option<[String; 2]>, usize); 3] = [
        ("without_probes", None, runs),
        (
            "with_probes",
            Some([healthy[0].clone(), healthy[1].clone()]),
            runs,
        ),
        // Each of these passes waits out the probe's limit: a handful measure it.
        (
            "with_a_silent_standby",
            Some([healthy[0].clone(), silent]),
            runs.min(5),
        ),
    ];
    for (name, urls, passes) in cases {
        let mut config = bench_config(Mode::Records);
        if let Some(urls) = &urls {
            for (region, url) in config.regions.iter_mut().zip(urls) {
                region.health_url = Some(url.clone());
            }
        }
        let route53 = MemoryRoute53::with_zone(&config.hosted_zone_id);
        let cloudwatch = MemoryCloudWatch::default();
        let start: u64 = 1_795_496_400;
        for change in initial_records(&config) {
            route53.put_record(&config.hosted_zone_id, change.record);
        }
        for (region, alarm) in [
            (HOME, HOME_ALARM),
            (HOME, HOME_GUARD),
            (STANDBY, STANDBY_ALARM),
        ] {
            cloudwatch.set_alarm(region, alarm, AlarmState::Ok, start - 3600);
        }
        for region in &config.regions {
            let samples: Vec<HealthSample> = (start - 3600..=start + 600)
                .step_by(60)
                .map(|at| HealthSample { at, value: 1.0 })
                .collect();
            cloudwatch
                .add_health_samples(region.health_check_id.as_deref().expect("checks"), &samples);
        }
        let watcher = watcher(&config, route53, cloudwatch);
        let mut series = Series::default();
        for pass in 0..passes {
            timed_pass(&watcher, start + pass as u64, None, &mut series).await;
        }
        results.insert(name.to_string(), series.json());
    }
    let calls = |name: &str| results[name]["calls"].clone();
    assert_eq!(
        calls("without_probes"),
        calls("with_probes"),
        "probes made AWS calls"
    );
    assert_eq!(
        calls("without_probes"),
        calls("with_a_silent_standby"),
        "probes made AWS calls"
    );
    Value::Object(results)
}

/// A health endpoint on a loopback port: answers every request with 200 and the match
/// string, as the `health` binary does. Runs until the process ends.
fn serve_health() -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/health", listener.local_addr().expect("address"));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut request = [0u8; 2048];
            let _ = stream.read(&mut request);
            let body = r#"{"status":"ok","match":"regionflip-healthy"}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

/// An endpoint that accepts connections and never answers. Runs until the process ends.
fn serve_silently() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/health", listener.local_addr().expect("address"));
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    url
}

/// Distinct custom metric series (what CloudWatch bills per month) published into each
/// region: those every steady pass publishes, and all, including those only a transition
/// publishes.
fn metric_series(published: &[(String, String, MetricDatum)]) -> Value {
    let mut by_region: BTreeMap<&str, std::collections::BTreeSet<String>> = BTreeMap::new();
    for (region, namespace, datum) in published {
        let mut dimensions = datum.dimensions.clone();
        dimensions.sort();
        by_region
            .entry(region)
            .or_default()
            .insert(format!("{namespace}/{}{dimensions:?}", datum.name));
    }
    let counts: BTreeMap<&str, usize> = by_region.iter().map(|(r, s)| (*r, s.len())).collect();
    let names: BTreeMap<&str, Vec<&String>> = by_region
        .iter()
        .map(|(r, s)| (*r, s.iter().collect()))
        .collect();
    json!({ "per_region": counts, "series": names })
}

/// Regions of the N-region run, in preference order (Route 53 checker regions).
const CHAIN_REGIONS: [&str; 5] = [
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "ap-southeast-1",
    "ap-northeast-1",
];

/// health-gate mode with five regions (the gate chain) and one name, on the in-memory
/// models: steady passes (traffic home, every gate republished) and failovers of home onto
/// the second region. No Route 53 call at all; one `DescribeAlarms` per region.
async fn chain_run(runs: usize) -> Value {
    app_run(Mode::HealthGate, 1, runs).await
}

/// Names of the synthetic application of `app_run`.
const APP_RECORDS: usize = 100;

/// An application of `names` names (`[[records]]`) over [`CHAIN_REGIONS`], in `mode`, on
/// the in-memory models: steady passes and failovers of home onto the second region
/// (then traffic put back on home, as an operator's state would). health-gate: the names
/// alternate between two hosted zones, and a pass must make the calls of one name (the
/// gates are the regions'). records: one zone, read in pages, every name moved by the one
/// change batch of a failover.
async fn app_run(mode: Mode, names: usize, runs: usize) -> Value {
    let zones = ["Z0123456789ABCDEFGHIJ", "Z9999999999999999999"];
    let mut toml = format!(
        "hosted_zone_id = \"{}\"\nmode = \"{}\"\n",
        zones[0],
        mode.as_str()
    );
    for (i, region) in CHAIN_REGIONS.iter().enumerate() {
        toml.push_str(&format!(
            "[[regions]]\nname = \"{region}\"\n\
             health_check_id = \"00000000-0000-4000-8000-00000000000{i}\"\n\
             alarms = [\"api-errors-{region}\"]\n"
        ));
    }
    for n in 0..names {
        let zone = match mode {
            Mode::HealthGate => zones[n % 2],
            Mode::Records => zones[0],
        };
        let targets: Vec<String> = CHAIN_REGIONS
            .iter()
            .map(|r| format!("\"{r}\" = \"name{n}.{r}.example.net\""))
            .collect();
        toml.push_str(&format!(
            "[[records]]\nname = \"name{n}.regionflip-demo.example\"\nhosted_zone_id = \"{zone}\"\ntargets = {{ {} }}\n",
            targets.join(", ")
        ));
    }
    let config = Config::from_toml_str(&toml).expect("the synthetic application is valid");
    let route53 = MemoryRoute53::with_zone(zones[0]);
    route53.add_zone(zones[1]);
    let cloudwatch = MemoryCloudWatch::default();
    let start: u64 = 1_795_496_400;
    for region in &config.regions {
        cloudwatch.set_description(
            &region.name,
            &config.state_alarm_name(),
            &initial_state().encode(),
        );
        cloudwatch.set_alarm(
            &region.name,
            &region.alarms[0],
            AlarmState::Ok,
            start - 3600,
        );
        let samples: Vec<HealthSample> = (start - 3600..=start + runs as u64 * 10 + 600)
            .step_by(60)
            .map(|at| HealthSample { at, value: 1.0 })
            .collect();
        cloudwatch.add_health_samples(region.health_check_id.as_deref().expect("checks"), &samples);
    }
    let home_records = |state: &EngineState| {
        route53.put_record(zones[0], state_record(&config, state));
        for record in config.records() {
            for (region, role) in [(0, FailoverRole::Primary), (1, FailoverRole::Secondary)] {
                route53.put_record(
                    &record.hosted_zone_id,
                    regionflip_core::records::failover_record_of(
                        &record,
                        &config.regions[region],
                        role,
                    ),
                );
            }
        }
    };
    if mode == Mode::Records {
        home_records(&initial_state());
    }
    let watcher = watcher(&config, route53.clone(), cloudwatch.clone());
    let mut clock = start;
    let mut warm_up = Series::default();
    for _ in 0..WARM_UP_PASSES {
        timed_pass(&watcher, clock, None, &mut warm_up).await;
    }
    let mut steady = Series::default();
    for _ in 0..runs {
        clock += 1;
        timed_pass(&watcher, clock, None, &mut steady).await;
    }
    let mut failover = Series::default();
    let home_alarm = &config.regions[0].alarms[0];
    let mut sequence = 1;
    for _ in 0..runs {
        clock += 1;
        cloudwatch.set_alarm(HOME, home_alarm, AlarmState::Alarm, clock);
        timed_pass(
            &watcher,
            clock,
            Some(TransitionKind::Failover),
            &mut failover,
        )
        .await;
        cloudwatch.set_alarm(HOME, home_alarm, AlarmState::Ok, start - 3600);
        sequence += 2;
        let home_again = EngineState {
            sequence,
            ..EngineState::initial(HOME)
        };
        match mode {
            Mode::HealthGate => {
                for region in &config.regions {
                    cloudwatch.set_description(
                        &region.name,
                        &config.state_alarm_name(),
                        &home_again.encode(),
                    );
                }
            }
            Mode::Records => home_records(&home_again),
        }
    }
    json!({
        "records": names,
        "regions": CHAIN_REGIONS.len(),
        "zones": if mode == Mode::HealthGate && names > 1 { 2 } else { 1 },
        "steady": steady.json(),
        "failover": failover.json(),
    })
}

/// Injected seconds the measurement walks through.
fn injected_span(runs: usize) -> u64 {
    (WARM_UP_PASSES + runs) as u64 + runs as u64 * (2 * HALF_CYCLE_SECS + 1)
}

fn main() {
    let mut runs = 50;
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => runs = args.next().and_then(|v| v.parse().ok()).expect("--runs N"),
            "--out" => out = Some(args.next().expect("--out FILE")),
            other => panic!("unknown argument {other:?}; usage: --runs N --out FILE"),
        }
    }
    assert!(runs > 0, "--runs must be at least 1");
    // A multi-threaded runtime, as the Lambda's `#[tokio::main]`.
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let result = runtime.block_on(async {
        let moto = MotoServer::start_or_panic();
        let mut modes = serde_json::Map::new();
        for mode in [Mode::Records, Mode::HealthGate] {
            eprintln!("bench_reconcile: {} mode, {runs} runs, moto", mode.as_str());
            let on_moto = moto_run(&moto, mode, runs).await;
            eprintln!("bench_reconcile: {} mode, {runs} runs, memory", mode.as_str());
            let in_memory = memory_run(mode, runs).await;
            let env: BTreeMap<String, String> = bench_config(mode).to_env().into_iter().collect();
            modes.insert(
                mode.as_str().to_string(),
                json!({ "moto": on_moto, "memory": in_memory, "watcher_env": env }),
            );
        }
        eprintln!("bench_reconcile: probes, {runs} runs, memory");
        let probes = probe_run(runs).await;
        eprintln!("bench_reconcile: health-gate, five regions, {runs} runs, memory");
        let chain = chain_run(runs).await;
        let mut app = serde_json::Map::new();
        for mode in [Mode::HealthGate, Mode::Records] {
            eprintln!("bench_reconcile: {APP_RECORDS} records, {} mode, {runs} runs, memory", mode.as_str());
            app.insert(mode.as_str().to_string(), app_run(mode, APP_RECORDS, runs).await);
        }
        json!({
            "application": app,
            "runs": runs,
            "warm_up_passes": WARM_UP_PASSES,
            "probes": probes,
            "chain": chain,
            "config": "events/watcher-config.toml (2 regions); failback stable_for 60 s, min_dwell 60 s, max 60 flips/h",
            "modes": modes,
        })
    });
    let text = serde_json::to_string_pretty(&result).expect("JSON");
    match out {
        Some(path) => std::fs::write(&path, text + "\n").expect("write --out"),
        None => println!("{text}"),
    }
}
