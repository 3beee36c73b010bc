//! `regionflip drill`: a whole DR exercise on this machine, in about a minute.
//!
//! ```text
//!  scenario ── stops/starts ──▶ health (us-east-1)    health (us-west-2)   real processes
//!     │                              ▲  HTTP GET /health   ▲
//!     │                    simulated checkers (probe.rs rules, 18 % rule)
//!     │                              │ verdicts
//!     │              ┌───────────────┴───────────────┐
//!     │   HealthCheckStatus (drill decorator)   data plane: CALCULATED / gate checks,
//!     │              │                          gate alarm evaluation, DNS answer
//!     │              ▼                                 ▲ records, GateOpen
//!     └─ SetAlarmState ─▶ moto_server ◀── Watcher::reconcile (tick + alarm change)
//!                         (zone, checks, records, alarms, state, metrics — set up by init)
//! ```
//!
//! What is real and what is simulated is listed in `render.rs` ([`render::REAL`],
//! [`render::SIMULATED`]) and printed at the start of every run; docs/drill.md explains
//! it. Every process the drill starts (moto, the endpoints) is killed when the drill
//! ends, on success, on error and on Ctrl-C.

mod analysis;
mod chain;
mod checkers;
mod cloudwatch;
mod dataplane;

pub(crate) use dataplane::endpoint_target;
mod endpoint;
mod html;
mod passes;
mod readback;
mod render;
mod scenario;
mod service;
mod setup;
mod timeline;
mod timings;

use std::sync::Arc;

use regionflip_core::Mode;
use regionflip_core::config::Routing;
use regionflip_local_aws::journal::MemoryJournal;
use regionflip_watcher::WatcherSettings;
use regionflip_watcher::aws::{AwsClients, SdkBudget};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::args::{DrillArgs, DrillMode, DrillRouting, GlobalArgs, OutageKind};
use crate::error::CliError;
use checkers::Fleet;
use cloudwatch::{CheckersAnswer, DrillCloudWatch};
use endpoint::HealthEndpoint;
use passes::DrillWatcher;
use regionflip_local_aws::moto::MotoServer;
use render::Report;
use scenario::Scenario;
use setup::{Layout, MATCH_STRING};
use timeline::{Echo, Record, Timeline};
use timings::Timings;

/// `regionflip drill`.
pub(crate) async fn run(global: &GlobalArgs, args: DrillArgs) -> Result<(), CliError> {
    let timings = Timings::from_args(&args)?;
    let health_bin = endpoint::locate(args.health_bin.as_deref())?;
    let timeline = Arc::new(Timeline::new(if global.json {
        Echo::Stderr
    } else {
        Echo::Stdout
    }));
    // Ctrl-C drops the drill future, and with it every process and task it owns.
    tokio::select! {
        outcome = drill(global, &args, &timings, &health_bin, &timeline) => outcome,
        _ = tokio::signal::ctrl_c() => Err(CliError::Failed(
            "interrupted; moto and the health endpoints were stopped".into(),
        )),
    }
}

async fn drill(
    global: &GlobalArgs,
    args: &DrillArgs,
    timings: &Timings,
    health_bin: &std::path::Path,
    timeline: &Arc<Timeline>,
) -> Result<(), CliError> {
    std::fs::create_dir_all(&args.out)
        .map_err(|e| CliError::Failed(format!("cannot create {}: {e}", args.out.display())))?;
    let mode = match args.mode {
        DrillMode::HealthGate => Mode::HealthGate,
        DrillMode::Records => Mode::Records,
    };
    let routing = match args.routing {
        DrillRouting::Failover => Routing::Failover,
        DrillRouting::Latency => Routing::Latency,
        DrillRouting::Weighted => Routing::Weighted,
    };
    if routing.is_active_active() && (mode != Mode::HealthGate || args.regions != 2) {
        return Err(CliError::Usage(format!(
            "--routing {}: the active-active scenario runs in health-gate mode on two \
             regions; drop --mode records and --regions 3",
            routing.as_str()
        )));
    }
    timeline.event("setup", format!("regionflip drill, {} mode", mode.as_str()));
    for real in render::REAL {
        timeline.event("setup", format!("real: {real}"));
    }
    for simulated in render::SIMULATED {
        timeline.event(
            "setup",
            format!("SIMULATED (no Route 53 data plane in the emulator): {simulated}"),
        );
    }

    // The emulator: the user's, or our own moto for the length of the drill.
    let external = std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let (moto, emulator) = match external {
        Some(url) => {
            timeline.event("setup", format!("emulator: AWS_ENDPOINT_URL {url}"));
            (None, url)
        }
        None => {
            let moto = start_moto().await?;
            let url = moto.endpoint();
            timeline.event(
                "setup",
                format!("emulator: moto_server on {url} (stopped at the end)"),
            );
            (Some(moto), url)
        }
    };
    let layout = Layout::new(moto.is_none(), usize::from(args.regions));
    let home = layout.regions[0].as_str();
    let mut endpoints = Vec::new();
    for region in &layout.regions {
        let endpoint = HealthEndpoint::start(health_bin, region, MATCH_STRING).await?;
        timeline.event(
            "setup",
            format!("{region} health endpoint: {}", endpoint.url()),
        );
        endpoints.push(endpoint);
    }

    let clients = AwsClients::for_endpoint(&emulator, &layout.regions, SdkBudget::default()).await;
    let provisioned = setup::provision(
        &clients,
        &layout,
        &endpoints.iter().collect::<Vec<_>>(),
        mode,
        routing,
        timings,
        timeline,
    )
    .await?;
    let config = provisioned.config.clone();

    let discovered = dataplane::discover(&config, &clients).await?;
    let fleet = Fleet::new(
        discovered.endpoints.clone(),
        timings.checkers,
        timings.checker_interval,
        timings.failure_threshold,
        Arc::clone(timeline),
    );
    for spec in fleet.specs() {
        timeline.event(
            "setup",
            format!(
                "{} simulated checkers on {}'s endpoint check {} ({})",
                timings.checkers,
                spec.region,
                spec.id,
                spec.target.url()
            ),
        );
    }
    let data_plane = dataplane::DataPlane::new(
        config.clone(),
        clients.clone(),
        discovered,
        Arc::clone(&fleet),
        timings.gate_period,
        timings.gate_check_lag,
        Arc::clone(timeline),
    );
    let journal = MemoryJournal::default();
    let metrics_impaired = Arc::new(std::sync::atomic::AtomicBool::new(false));
    // The watcher's reads: the production adapters, with `HealthCheckStatus` from the
    // simulated checkers.
    let drill_watcher = |journal: MemoryJournal| -> DrillWatcher {
        regionflip_watcher::Watcher::new(
            config.clone(),
            clients.route53.clone(),
            DrillCloudWatch::new(
                clients.cloudwatch.clone(),
                CheckersAnswer {
                    checkers: Arc::clone(&fleet),
                    impaired: Arc::clone(&metrics_impaired),
                },
            ),
            journal,
            WatcherSettings::for_region(home),
        )
    };
    let watcher = drill_watcher(journal.clone());
    // Observes only, for `regionflip doctor`'s checks.
    let observer = drill_watcher(MemoryJournal::default());

    let (alarm_changes, alarm_events) = mpsc::unbounded_channel();
    let mut tasks = JoinSet::new();
    fleet.spawn(&mut tasks);
    tasks.spawn(Arc::clone(&data_plane).run(timings.checker_interval));
    tasks.spawn(passes::run(
        watcher,
        alarm_events,
        timings.tick,
        Arc::clone(timeline),
    ));

    let three_regions = layout.regions.len() == 3;
    let scenario = Scenario {
        timeline,
        timings,
        clients: &clients,
        home,
        home_endpoint: &mut endpoints[0],
        outage: args.outage,
        alarm_changes,
        metrics_impaired: &metrics_impaired,
        config: &config,
        observer: &observer,
    };
    let doctor = if routing.is_active_active() {
        scenario.play_active_active().await?
    } else if three_regions {
        scenario.play_chain().await?
    } else {
        scenario.play().await?
    };
    // Everything stops before the results are read, so nothing changes under them.
    tasks.shutdown().await;
    let end = timeline.now();

    let metrics =
        readback::read_back_metrics(&clients, &config, home, timeline.started_unix()).await;
    let journal = journal.records();
    let record = timeline.read(Record::clone);
    let mut active_active = None;
    let (measurements, chain, mut expectations) = if routing.is_active_active() {
        let (service, expectations) =
            service::analyse(&record, &layout.regions, timings.stable_for_secs, &journal);
        active_active = Some(service);
        (analysis::Measurements::default(), None, expectations)
    } else if three_regions {
        let (chain, expectations) =
            chain::analyse(&record, &layout.regions, timings.stable_for_secs, &journal);
        (analysis::Measurements::default(), Some(chain), expectations)
    } else {
        let (measurements, expectations) =
            analysis::analyse(&record, timings, home, &journal, &metrics, end);
        (measurements, None, expectations)
    };
    expectations.insert(
        0,
        analysis::Expectation {
            name: "regionflip doctor passes once init and the first watcher pass have run".into(),
            passed: doctor.passed,
            detail: doctor.detail,
        },
    );
    let report = Report {
        passed: expectations.iter().all(|e| e.passed),
        mode: mode.as_str(),
        outage: match args.outage {
            OutageKind::Stop => "stop",
            OutageKind::Drain => "drain",
        },
        started_at: render::started_at(timeline.started_unix()),
        duration_secs: end,
        emulator: emulator.clone(),
        scenario: if routing.is_active_active() {
            "active-active"
        } else if three_regions {
            "three-regions"
        } else {
            "two-regions"
        },
        routing: routing.as_str(),
        active_active,
        regions: layout.regions.iter().map(String::as_str).collect(),
        chain,
        timings,
        real: render::REAL,
        simulated: render::SIMULATED,
        measurements,
        expectations,
        journal,
        metrics_read_back: metrics,
        timeline: &record,
        config: &provisioned.toml,
    };
    // Stopped and reaped here on the way out; on an error or Ctrl-C, dropping them kills
    // them instead.
    for endpoint in &mut endpoints {
        endpoint.stop().await;
    }
    drop(moto);
    let json = serde_json::to_string_pretty(&report)
        .map_err(|e| CliError::Failed(format!("cannot encode the report: {e}")))?;
    let files = report.write(&args.out, &json)?;
    let summary = report.summary();
    if global.json {
        eprint!("{summary}");
        crate::context::print_json_text(&json);
    } else {
        print!("{summary}");
    }
    let listed: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    eprintln!("wrote {}", listed.join(", "));
    if report.passed {
        Ok(())
    } else {
        Err(CliError::CheckFailed(
            "the drill failed expectations (see FAIL above and report.json)".into(),
        ))
    }
}

/// Starts the drill's own moto and returns once it answers HTTP. Starting blocks (a
/// process, its startup line, a readiness poll), so it runs on the blocking pool; the
/// process is killed when the handle is dropped, also when Ctrl-C drops the drill.
async fn start_moto() -> Result<MotoServer, CliError> {
    let started = tokio::task::spawn_blocking(MotoServer::start)
        .await
        .map_err(|e| CliError::Failed(format!("starting moto failed: {e}")))?;
    started.map_err(|why| {
        CliError::Failed(format!(
            "{why}; or point AWS_ENDPOINT_URL at a running emulator"
        ))
    })
}
