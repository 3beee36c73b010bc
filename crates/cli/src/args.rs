//! The command line, as clap definitions. Parsing only: each command's behaviour lives in
//! its own module.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Operate regionflip: see and steer Route 53 failover between regions, and rehearse it.
#[derive(Debug, Parser)]
#[command(name = "regionflip", version, about, long_about = None)]
pub(crate) struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    /// The command.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options every command takes.
#[derive(Debug, Clone, Args)]
pub(crate) struct GlobalArgs {
    /// The configuration file (TOML; see regionflip.example.toml).
    #[arg(
        long,
        global = true,
        default_value = "regionflip.toml",
        env = "REGIONFLIP_CONFIG"
    )]
    pub(crate) config: PathBuf,
    /// Machine-readable JSON output.
    #[arg(long, global = true)]
    pub(crate) json: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Active region, each region's health, last transition, pending failback, pause flag.
    Status,
    /// Exactly one watcher pass, through the call the Lambda makes.
    Reconcile(DryRun),
    /// Move traffic to a region (refused unless it is healthy and its guards are OK).
    Failover(FailoverArgs),
    /// Move traffic back to the most preferred healthy region.
    Failback(FailbackArgs),
    /// Active-active routing: take a region out of service (close its gate); refused
    /// below min_in_service, and unless a region left in service is known healthy.
    Evacuate(ServiceArgs),
    /// Active-active routing: return a region to service (refused unless it is healthy
    /// and its guards are OK).
    Restore(ServiceArgs),
    /// Freeze routing; regions are still observed.
    Pause(ReasonArgs),
    /// Hand routing back to the rules (also lifts an operator's failback hold).
    Resume(ReasonArgs),
    /// Transitions and operator commands from the journal, oldest first: time, kind,
    /// from, to, who, why, sequence.
    History(HistoryArgs),
    /// Create what regionflip owns (records, state, gates), idempotently.
    Init(InitArgs),
    /// Check an endpoint the way Route 53 health checkers do.
    Probe(ProbeArgs),
    /// Run a whole DR exercise on this machine against a local AWS emulator. It builds
    /// its own deployment (us-east-1 home, us-west-2 standby, a CNAME on loopback
    /// endpoints) and does not read --config: your region names and record type are
    /// rehearsed with `regionflip doctor` and docs/deploy.md's live drill instead.
    Drill(Box<DrillArgs>),
    /// Remove what `init` created: the name back to a plain record on the active region
    /// first (one atomic change), then init's health checks and alarms.
    Uninstall(UninstallArgs),
    /// Would failover work right now? Checks every alarm, check, gate, record, the state,
    /// recent watcher passes and a healthy target; read only. Exit 4 when a check fails.
    Doctor(DoctorArgs),
}

/// `uninstall`.
#[derive(Debug, Clone, Args)]
pub(crate) struct UninstallArgs {
    /// Plan and print, change nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// The region the plain record points at (default: where traffic is now).
    #[arg(long, value_name = "REGION")]
    pub(crate) to: Option<String>,
}

/// `doctor`.
#[derive(Debug, Clone, Args)]
pub(crate) struct DoctorArgs {
    /// A watcher pass must have published `ReconcileDurationMs` within this many seconds.
    #[arg(long, default_value_t = 600)]
    pub(crate) recent_secs: u64,
}

/// `--dry-run`.
#[derive(Debug, Clone, Args)]
pub(crate) struct DryRun {
    /// Decide and print, write nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
}

/// `init`.
#[derive(Debug, Clone, Args)]
pub(crate) struct InitArgs {
    /// Plan and print, write nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Replace a plain CNAME or alias A record already at the name, when it points at the
    /// home region's target, with the failover pair in one atomic change batch.
    #[arg(long)]
    pub(crate) adopt: bool,
}

/// `failover`.
#[derive(Debug, Clone, Args)]
pub(crate) struct FailoverArgs {
    /// The region to route to.
    #[arg(long = "to", value_name = "REGION")]
    pub(crate) to: String,
    /// Move even if the region is not known healthy or a guard is not OK.
    #[arg(long)]
    pub(crate) force: bool,
    /// Decide and print, write nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Why, recorded in the journal with who ran it.
    #[arg(long)]
    pub(crate) reason: Option<String>,
}

/// `evacuate`, `restore`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ServiceArgs {
    /// The region.
    #[arg(value_name = "REGION")]
    pub(crate) region: String,
    /// Skip the health and guard checks (`evacuate`: never min_in_service).
    #[arg(long)]
    pub(crate) force: bool,
    /// Decide and print, write nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Why, recorded in the journal with who ran it.
    #[arg(long)]
    pub(crate) reason: Option<String>,
}

/// `pause`, `resume`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ReasonArgs {
    /// Why, recorded in the journal with who ran it.
    #[arg(long)]
    pub(crate) reason: Option<String>,
}

/// `history`.
#[derive(Debug, Clone, Args)]
pub(crate) struct HistoryArgs {
    /// How far back to read the journal, hours.
    #[arg(long, default_value_t = 24 * 7)]
    pub(crate) since_hours: u64,
}

/// `failback`.
#[derive(Debug, Clone, Args)]
pub(crate) struct FailbackArgs {
    /// Go home even if it is not known healthy or a guard is not OK.
    #[arg(long)]
    pub(crate) force: bool,
    /// Decide and print, write nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Why, recorded in the journal with who ran it.
    #[arg(long)]
    pub(crate) reason: Option<String>,
}

/// `probe`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ProbeArgs {
    /// The endpoint, http:// or https://.
    pub(crate) url: String,
    /// The string Route 53 must find in the first 5,120 bytes (STR_MATCH checks).
    #[arg(long)]
    pub(crate) search: Option<String>,
    /// How many probes.
    #[arg(long, default_value_t = 1)]
    pub(crate) count: u32,
    /// Seconds between probes.
    #[arg(long, default_value_t = 1.0)]
    pub(crate) interval: f64,
}

/// `drill`: every timing is a flag; the defaults finish within two minutes, `--quick`
/// within one. Flags without a default shown take theirs from `--quick` or not.
#[derive(Debug, Clone, Args)]
pub(crate) struct DrillArgs {
    /// Where to write the JSON report, the HTML timeline and the generated configuration.
    #[arg(long, default_value = "drill-out")]
    pub(crate) out: PathBuf,
    /// How the watcher moves traffic.
    #[arg(long, value_enum, default_value_t = DrillMode::HealthGate)]
    pub(crate) mode: DrillMode,
    /// Short timings for CI; explicit timing flags still win.
    #[arg(long)]
    pub(crate) quick: bool,
    /// How the primary's hard outage is made.
    #[arg(long, value_enum, default_value_t = OutageKind::Stop)]
    pub(crate) outage: OutageKind,
    /// Regions: 2 (outage, gray failure, recovery, flapping) or 3 (down the chain and
    /// back: home fails, then the second choice, then both recover in order).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(2..=3))]
    pub(crate) regions: u8,
    /// failover (default), or active-active (latency, weighted; health-gate mode, two
    /// regions): home gray-fails and is evacuated, the other stays; then the other fails
    /// too and stays in (last in service); both recover and home returns.
    #[arg(long, value_enum, default_value_t = DrillRouting::Failover)]
    pub(crate) routing: DrillRouting,
    /// The `health` binary that serves each region's endpoint [default: next to this
    /// executable].
    #[arg(long, value_name = "PATH")]
    pub(crate) health_bin: Option<PathBuf>,
    /// Simulated Route 53 checkers per endpoint check [default: 8].
    #[arg(long, value_name = "N")]
    pub(crate) checkers: Option<u32>,
    /// Seconds between one checker's probes [default: 1; --quick: 0.5].
    #[arg(long, value_name = "SECS")]
    pub(crate) checker_interval: Option<f64>,
    /// Consecutive failures (or successes) that turn one checker's verdict, 1–10
    /// [default: 3; --quick: 2].
    #[arg(long, value_name = "N")]
    pub(crate) failure_threshold: Option<u32>,
    /// Seconds between the watcher's scheduled passes [default: 2; --quick: 1].
    #[arg(long, value_name = "SECS")]
    pub(crate) tick: Option<f64>,
    /// Evaluation period of the gate alarms, seconds [default: the tick].
    #[arg(long, value_name = "SECS")]
    pub(crate) gate_period: Option<f64>,
    /// How long a gate's CLOUDWATCH_METRIC check takes to show its alarm's change,
    /// seconds (health-gate mode) [default: AWS's 60 s at the drill's compression of
    /// Route 53's clock, 6 × --checker-interval: 6; --quick: 3].
    #[arg(long, value_name = "SECS")]
    pub(crate) gate_check_lag: Option<f64>,
    /// `failback.stable_for_secs` of the drill's configuration [default: 10; --quick: 4].
    #[arg(long, value_name = "SECS")]
    pub(crate) stable_for: Option<u64>,
    /// `failback.min_dwell_secs` [default: 5; --quick: 2].
    #[arg(long, value_name = "SECS")]
    pub(crate) min_dwell: Option<u64>,
    /// `failback.max_flips_per_hour` [default: 4].
    #[arg(long, value_name = "N")]
    pub(crate) max_flips: Option<u32>,
    /// Seconds of calm before the first fault [default: 5; --quick: 3].
    #[arg(long, value_name = "SECS")]
    pub(crate) baseline: Option<f64>,
    /// Longest wait for an expected failover or failback, seconds [default: derived from
    /// the checker, tick and failback timings].
    #[arg(long, value_name = "SECS")]
    pub(crate) phase_timeout: Option<f64>,
    /// Seconds a phase goes on after its expected transition [default: 2; --quick: 1].
    #[arg(long, value_name = "SECS")]
    pub(crate) hold: Option<f64>,
    /// Seconds the primary's alarm flaps [default: 12; --quick: 6].
    #[arg(long, value_name = "SECS")]
    pub(crate) flap_for: Option<f64>,
    /// Seconds between the flapping alarm's state changes [default: 1.5; --quick: 1].
    #[arg(long, value_name = "SECS")]
    pub(crate) flap_every: Option<f64>,
    /// Longest acceptable time for DNS to stop answering a failed region, seconds
    /// [default: derived from the checker, tick and gate timings].
    #[arg(long, value_name = "SECS")]
    pub(crate) detection_budget: Option<f64>,
}

/// `drill --mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum DrillMode {
    /// Gates through CloudWatch metrics; the records never change (data plane).
    HealthGate,
    /// The watcher rewrites which record is PRIMARY (control plane).
    Records,
}

/// `drill --routing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum DrillRouting {
    /// One region serves; the others stand by.
    Failover,
    /// Every region in service serves the clients nearest to it.
    Latency,
    /// Every region in service serves a share of the answers.
    Weighted,
}

/// `drill --outage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum OutageKind {
    /// Stop the primary's health process: connections are refused.
    Stop,
    /// Restart it with the drain switch on: it answers 503 without the match string.
    Drain,
}
