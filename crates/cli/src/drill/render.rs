//! How the drill tells what it found: what is real and what is simulated, the summary
//! table for people, and the JSON report; the files it writes (`report.json`,
//! `timeline.html` — drawn by [`super::html`] — and `regionflip.toml`).
//!
//! Rendering only: every number and verdict comes from [`super::analysis`] and
//! [`super::readback`].

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use regionflip_core::timestamp::rfc3339;
use regionflip_watcher::journal::TransitionRecord;
use serde::Serialize;

use super::analysis::{Expectation, Measurements, show};
use super::chain::ChainMeasurements;
use super::readback::MetricsReadBack;
use super::service::ServiceMeasurements;
use super::timeline::Record;
use super::timings::Timings;
use crate::error::CliError;

/// What is real in the drill.
pub(crate) const REAL: &[&str] = &[
    "the AWS wire protocol: every call goes through the production SDK clients to the emulator (moto_server)",
    "the health endpoints: the `health` binary, one process per region, probed over HTTP",
    "set-up through `regionflip init`'s library function (the drill plays each region's stack: endpoint check and API alarm)",
    "the watcher: Watcher::reconcile with the core engine, on every alarm change and every tick",
    "state, gates and metrics in the emulator, and the metrics read back with GetMetricStatistics",
];

/// What is simulated in the drill, because the emulator has no Route 53 data plane.
pub(crate) const SIMULATED: &[&str] = &[
    "Route 53's health checkers: N per endpoint check, probing with `regionflip probe`'s rules, each turning after the failure threshold, the check healthy above 18 %",
    "health check evaluation: CALCULATED and CLOUDWATCH_METRIC checks, and the gate alarms' evaluation (moto never evaluates alarms); a gate check shows its alarm's change only after the gate check lag (Route 53 reads the metric stream: at least one 60 s alarm period on AWS, compressed)",
    "the resolver's answer from the failover records and their checks (TTL caching not simulated)",
    "the watcher's one simulated input: AWS/Route53 HealthCheckStatus, answered from the simulated checkers (moto's metrics are per minute; the drill's clock is compressed)",
];

/// The drill's findings.
#[derive(Debug, Serialize)]
pub(crate) struct Report<'a> {
    /// Whether every expectation held.
    pub(crate) passed: bool,
    /// `health-gate` or `records`.
    pub(crate) mode: &'static str,
    /// How the outage was made.
    pub(crate) outage: &'static str,
    /// When the drill started.
    pub(crate) started_at: String,
    /// How long it ran, seconds.
    pub(crate) duration_secs: f64,
    /// The emulator's endpoint.
    pub(crate) emulator: String,
    /// `two-regions` (outage, gray failure, recovery, flapping), `three-regions` (down
    /// the gate chain and back) or `active-active` (evacuation, last in service, return).
    pub(crate) scenario: &'static str,
    /// `failover`, `latency` or `weighted`.
    pub(crate) routing: &'static str,
    /// The active-active scenario's measurements (`measurements` is then empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) active_active: Option<ServiceMeasurements>,
    /// The regions, home first.
    pub(crate) regions: Vec<&'a str>,
    /// The three-region scenario's measurements (`measurements` is then empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) chain: Option<ChainMeasurements>,
    /// Every timing used.
    pub(crate) timings: &'a Timings,
    /// What is real.
    pub(crate) real: &'static [&'static str],
    /// What is simulated.
    pub(crate) simulated: &'static [&'static str],
    /// What was measured.
    pub(crate) measurements: Measurements,
    /// What was expected, and whether it held.
    pub(crate) expectations: Vec<Expectation>,
    /// The transition records the watcher's journal holds.
    pub(crate) journal: Vec<TransitionRecord>,
    /// regionflip's metrics as read back from the emulator.
    pub(crate) metrics_read_back: MetricsReadBack,
    /// The whole timeline.
    pub(crate) timeline: &'a Record,
    /// The configuration the drill ran with.
    pub(crate) config: &'a str,
}

impl Report<'_> {
    /// The summary table, for people.
    pub(crate) fn summary(&self) -> String {
        let m = &self.measurements;
        let t = self.timings;
        let home = self.regions[0];
        let s = |v: Option<f64>| v.map_or_else(|| "—".to_string(), |v| format!("{v:.1} s"));
        let mut out = String::new();
        let _ = writeln!(
            out,
            "\nsummary: {} mode, {:.1} s, checkers every {:.1} s (threshold {}), tick {:.1} s, stable window {} s, dwell {} s",
            self.mode,
            self.duration_secs,
            t.checker_interval.as_secs_f64(),
            t.failure_threshold,
            t.tick.as_secs_f64(),
            t.stable_for_secs,
            t.min_dwell_secs
        );
        if let Some(chain) = &self.chain {
            let r = &self.regions;
            let rows = [
                (
                    format!("{} fails → DNS answers {}", r[0], r[1]),
                    s(chain.home_fails_dns),
                ),
                (
                    format!("{} fails too → DNS answers {}", r[1], r[2]),
                    s(chain.second_fails_dns),
                ),
                (
                    format!("{} recovers → DNS answers it", r[1]),
                    s(chain.second_recovers_dns),
                ),
                (
                    format!("{} recovers → DNS answers it", r[0]),
                    s(chain.home_recovers_dns),
                ),
            ];
            for (name, value) in rows {
                let _ = writeln!(out, "  {name:<52} {value}");
            }
        }
        if let Some(service) = &self.active_active {
            let r = &self.regions;
            for (name, value) in [
                (
                    format!("{} fails → evacuated, DNS answers {}", r[0], r[1]),
                    s(service.home_evacuated_dns),
                ),
                (
                    format!("{} recovers → back in service", r[0]),
                    s(service.home_restored_dns),
                ),
            ] {
                let _ = writeln!(out, "  {name:<52} {value}");
            }
        }
        let rows = if self.chain.is_some() || self.active_active.is_some() {
            Vec::new()
        } else {
            vec![
                (
                    "(a) outage → endpoint check unhealthy (detection)",
                    s(m.outage_detected),
                ),
                (
                    "(a) outage → DNS off the failed region",
                    s(m.outage_dns_moved),
                ),
                ("(a) outage → watcher failover", s(m.outage_failover)),
                (
                    "(a) endpoint back → check healthy",
                    s(m.restore_check_healthy),
                ),
                (
                    "(a) check healthy → failback (stable window)",
                    s(m.restore_stable),
                ),
                ("(b) gray failure → watcher failover", s(m.gray_failover)),
                (
                    "(b) HealthCheckStatus at that failover",
                    m.gray_failover_health_status
                        .clone()
                        .unwrap_or_else(|| "-".into()),
                ),
                (
                    "(b) gray failure → DNS off the failed region",
                    s(m.gray_dns_moved),
                ),
                (
                    "(c) alarm OK → failback (stable window)",
                    s(m.recovery_failback),
                ),
                (
                    "(d) failbacks (allowed) + failovers while flapping",
                    format!(
                        "{} ({}) + {}",
                        m.flapping_flips, m.flapping_flips_allowed, m.flapping_failovers
                    ),
                ),
                ("passes damped", m.damped_passes.to_string()),
                (
                    "flips: failovers + failbacks",
                    format!(
                        "{} + {} (max {}/h)",
                        m.failovers, m.failbacks, t.max_flips_per_hour
                    ),
                ),
                (
                    "transition records in the journal",
                    m.events_recorded.to_string(),
                ),
                (
                    "metrics read back: Failover, Failback",
                    format!(
                        "{}, {}",
                        show(self.metrics_read_back.failover),
                        show(self.metrics_read_back.failback)
                    ),
                ),
                (
                    "watcher passes (failed)",
                    format!("{} ({})", m.passes, m.pass_errors),
                ),
                (
                    "longest DNS answer on a failing region",
                    format!("{:.1} s", m.longest_bad_answer),
                ),
            ]
        };
        for (name, value) in rows {
            let _ = writeln!(out, "  {name:<52} {value}");
        }
        if t.gate_check_lag.is_zero() {
            let _ = writeln!(
                out,
                "expectations (detection budget {:.1} s; home {home}):",
                t.detection_budget.as_secs_f64()
            );
        } else {
            let _ = writeln!(
                out,
                "expectations (detection budget {:.1} s, {:.1} s through a gate: its check lags \
                 {:.1} s behind its alarm; home {home}):",
                t.detection_budget.as_secs_f64(),
                t.gated_detection_budget.as_secs_f64(),
                t.gate_check_lag.as_secs_f64()
            );
        }
        for e in &self.expectations {
            let _ = writeln!(
                out,
                "  {}  {} — {}",
                if e.passed { "ok  " } else { "FAIL" },
                e.name,
                e.detail
            );
        }
        out
    }

    /// Writes `report.json` (this report as `json`), `timeline.html` and
    /// `regionflip.toml` into `dir`.
    pub(crate) fn write(&self, dir: &Path, json: &str) -> Result<Vec<PathBuf>, CliError> {
        let files = [
            (dir.join("report.json"), json.to_string()),
            (dir.join("timeline.html"), self.html()),
            (dir.join("regionflip.toml"), self.config.to_string()),
        ];
        for (path, text) in &files {
            std::fs::write(path, text)
                .map_err(|e| CliError::Failed(format!("cannot write {}: {e}", path.display())))?;
        }
        Ok(files.into_iter().map(|(path, _)| path).collect())
    }
}

/// RFC 3339 for a Unix time with a fraction.
pub(crate) fn started_at(unix: f64) -> String {
    rfc3339(unix as u64)
}
