//! What the drill concludes: measurements and expectations from the timeline, the
//! summary table, the JSON report and the HTML timeline.
//!
//! Every expectation is checked against what was recorded, never against what the drill
//! meant to do, so a failover that did not happen, a DNS answer that stayed on a failing
//! region, or a flip too many shows up as a failed expectation (exit code 4).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Statistic};
use regionflip_core::Config;
use regionflip_core::resources::RECORD_DIMENSION;
use regionflip_watcher::aws::AwsClients;
use regionflip_watcher::journal::{TransitionRecord, rfc3339};
use serde::Serialize;

use super::checkers::lane_name;
use super::dataplane::DNS_LANE;
use super::scenario::{TRUTH_SUFFIX, truth_lane};
use super::timeline::{Record, unix_now};
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
    "health check evaluation: CALCULATED and CLOUDWATCH_METRIC checks, and the gate alarms' evaluation (moto never evaluates alarms)",
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
    /// The home and the standby region.
    pub(crate) regions: [&'a str; 2],
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

/// Durations, seconds from the fault (or its end), and counts.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Measurements {
    /// Outage → home's endpoint check unhealthy (detection).
    pub(crate) outage_detected: Option<f64>,
    /// Outage → DNS answers another region.
    pub(crate) outage_dns_moved: Option<f64>,
    /// Outage → the watcher's failover.
    pub(crate) outage_failover: Option<f64>,
    /// Endpoint back → its check healthy.
    pub(crate) restore_check_healthy: Option<f64>,
    /// Endpoint back → failback.
    pub(crate) restore_failback: Option<f64>,
    /// Check healthy → failback: the stable window as lived.
    pub(crate) restore_stable: Option<f64>,
    /// Gray failure → the watcher's failover.
    pub(crate) gray_failover: Option<f64>,
    /// Gray failure → DNS answers another region.
    pub(crate) gray_dns_moved: Option<f64>,
    /// Alarm OK → failback.
    pub(crate) recovery_failback: Option<f64>,
    /// Transitions while the primary flapped.
    pub(crate) flapping_flips: usize,
    /// Transitions damping allowed while it flapped.
    pub(crate) flapping_flips_allowed: usize,
    /// Passes the engine damped.
    pub(crate) damped_passes: usize,
    /// Automatic failovers.
    pub(crate) failovers: usize,
    /// Automatic failbacks.
    pub(crate) failbacks: usize,
    /// Transition records in the journal.
    pub(crate) events_recorded: usize,
    /// Watcher passes.
    pub(crate) passes: u32,
    /// Watcher passes that failed.
    pub(crate) pass_errors: usize,
    /// Longest time DNS answered a failing region while a healthy one existed, outside
    /// the flapping phase.
    pub(crate) longest_bad_answer: f64,
}

/// One expectation.
#[derive(Debug, Serialize)]
pub(crate) struct Expectation {
    /// What was expected.
    pub(crate) name: String,
    /// Whether it held.
    pub(crate) passed: bool,
    /// What was seen.
    pub(crate) detail: String,
}

/// `Failover` and `Failback` sums from the emulator.
#[derive(Debug, Default, Serialize)]
pub(crate) struct MetricsReadBack {
    /// Sum of `Failover`.
    pub(crate) failover: Option<f64>,
    /// Sum of `Failback`.
    pub(crate) failback: Option<f64>,
    /// Why they could not be read.
    pub(crate) error: Option<String>,
}

/// Reads regionflip's transition counts back from the emulator, as a dashboard would.
pub(crate) async fn read_back_metrics(
    clients: &AwsClients,
    config: &Config,
    metrics_region: &str,
    since_unix: f64,
) -> MetricsReadBack {
    let mut found = MetricsReadBack::default();
    for name in ["Failover", "Failback"] {
        match metric_sum(clients, config, metrics_region, name, since_unix).await {
            Ok(sum) if name == "Failover" => found.failover = Some(sum),
            Ok(sum) => found.failback = Some(sum),
            Err(e) => found.error = Some(e),
        }
    }
    found
}

async fn metric_sum(
    clients: &AwsClients,
    config: &Config,
    region: &str,
    name: &str,
    since_unix: f64,
) -> Result<f64, String> {
    let start = (since_unix as i64).saturating_sub(120);
    let end = i64::try_from(unix_now())
        .unwrap_or(i64::MAX)
        .saturating_add(120);
    let output = clients
        .cloudwatch
        .client(region)
        .map_err(|e| e.to_string())?
        .get_metric_statistics()
        .namespace(&config.metrics_namespace)
        .metric_name(name)
        .dimensions(
            Dimension::builder()
                .name(RECORD_DIMENSION)
                .value(config.record_name.trim_end_matches('.'))
                .build(),
        )
        .start_time(DateTime::from_secs(start))
        .end_time(DateTime::from_secs(end))
        .period(60)
        .statistics(Statistic::Sum)
        .send()
        .await
        .map_err(|e| {
            format!(
                "GetMetricStatistics {name} failed: {}",
                aws_sdk_cloudwatch::error::DisplayErrorContext(e)
            )
        })?;
    Ok(output.datapoints().iter().filter_map(|d| d.sum()).sum())
}

/// Measures and checks everything the drill expects.
pub(crate) fn analyse(
    record: &Record,
    timings: &Timings,
    home: &str,
    journal: &[TransitionRecord],
    metrics: &MetricsReadBack,
    end: f64,
) -> (Measurements, Vec<Expectation>) {
    let mut m = Measurements::default();
    let mut expectations = Vec::new();
    let mut expect = |name: String, passed: bool, detail: String| {
        expectations.push(Expectation {
            name,
            passed,
            detail,
        });
    };
    let budget = timings.detection_budget.as_secs_f64();
    let stable = timings.stable_for_secs as f64;
    let start_of = |name: &str| record.phase(name).map(|p| p.start);
    let endpoint = record.lane(&lane_name(home));
    let dns = record.lane(DNS_LANE);
    let first_transition =
        |kind: &str, after: f64| record.transitions_after(kind, after).next().map(|t| t.t);
    let dns_left_home = |after: f64| {
        dns.and_then(|l| l.points.iter().find(|p| p.t >= after && p.value != home))
            .map(|p| p.t)
    };
    let since = |from: f64, to: Option<f64>| to.map(|t| round(t - from));

    if let (Some(baseline), Some(outage)) = (start_of("baseline"), start_of("outage")) {
        let moved = record.transitions.iter().any(|t| t.t < outage);
        let stayed = dns.is_some_and(|l| {
            l.at(baseline) == Some(home)
                && l.points
                    .iter()
                    .all(|p| p.t < baseline || p.t >= outage || p.value == home)
        });
        expect(
            format!("baseline: DNS answers {home} and nothing moves"),
            stayed && !moved,
            format!("DNS stayed on {home}: {stayed}; transitions: {moved}"),
        );
    }

    if let Some(outage) = start_of("outage") {
        m.outage_detected = since(outage, endpoint.and_then(|l| l.first("unhealthy", outage)));
        m.outage_dns_moved = since(outage, dns_left_home(outage));
        m.outage_failover = since(outage, first_transition("failover", outage));
        expect_within(
            &mut expect,
            "(a) outage: the endpoint check turns unhealthy",
            m.outage_detected,
            budget,
        );
        expect_within(
            &mut expect,
            &format!("(a) outage: DNS stops answering {home}"),
            m.outage_dns_moved,
            budget,
        );
        expect_within(
            &mut expect,
            "(a) outage: the watcher fails over",
            m.outage_failover,
            timings.phase_timeout.as_secs_f64(),
        );
    }
    if let Some(restore) = start_of("restore") {
        let healthy = endpoint.and_then(|l| l.first("healthy", restore));
        let failback = first_transition("failback", restore);
        m.restore_check_healthy = since(restore, healthy);
        m.restore_failback = since(restore, failback);
        m.restore_stable = healthy.and_then(|h| since(h, failback));
        expect_stable_failback(&mut expect, "(a) restore", m.restore_stable, stable);
    }
    if let Some(gray) = start_of("gray") {
        m.gray_failover = since(gray, first_transition("failover", gray));
        m.gray_dns_moved = since(gray, dns_left_home(gray));
        expect_within(
            &mut expect,
            "(b) gray failure: the watcher fails over",
            m.gray_failover,
            budget,
        );
        expect_within(
            &mut expect,
            &format!("(b) gray failure: DNS stops answering {home}"),
            m.gray_dns_moved,
            budget,
        );
    }
    if let Some(recovery) = start_of("recovery") {
        m.recovery_failback = since(recovery, first_transition("failback", recovery));
        expect_stable_failback(&mut expect, "(c) recovery", m.recovery_failback, stable);
    }

    let flips = record.transitions.len();
    m.failovers = record
        .transitions
        .iter()
        .filter(|t| t.kind == "failover")
        .count();
    m.failbacks = record
        .transitions
        .iter()
        .filter(|t| t.kind == "failback")
        .count();
    m.damped_passes = record.damped.len();
    let flapping = record
        .phase("flapping")
        .map(|p| (p.start, p.end.unwrap_or(end)));
    if let Some((from, to)) = flapping {
        let before = record.transitions.iter().filter(|t| t.t < from).count();
        let budget_left = (timings.max_flips_per_hour as usize).saturating_sub(before);
        // While the alarm never stays OK for the stable window, no failback is possible:
        // at most the one failover.
        let by_stability = if timings.flap_every.as_secs_f64() < stable {
            1
        } else {
            usize::MAX
        };
        m.flapping_flips = record
            .transitions
            .iter()
            .filter(|t| t.t >= from && t.t < to)
            .count();
        m.flapping_flips_allowed = budget_left.min(by_stability);
        expect(
            format!(
                "(d) flapping: at most {} transition{} (damping and the stable window)",
                m.flapping_flips_allowed,
                if m.flapping_flips_allowed == 1 {
                    ""
                } else {
                    "s"
                }
            ),
            m.flapping_flips <= m.flapping_flips_allowed,
            format!(
                "{} transitions while flapping, {} passes damped",
                m.flapping_flips, m.damped_passes
            ),
        );
    }
    expect(
        format!(
            "never more than max_flips_per_hour ({}) automatic transitions",
            timings.max_flips_per_hour
        ),
        flips <= timings.max_flips_per_hour as usize,
        format!("{flips} transitions"),
    );

    m.longest_bad_answer = longest_bad_answer(record, flapping, end);
    expect(
        "DNS never answers a failing region for longer than the budget while a healthy one exists (outside flapping)"
            .into(),
        m.longest_bad_answer <= budget,
        format!("longest {:.1} s, budget {budget:.1} s", m.longest_bad_answer),
    );
    if let Some(settle) = record.phase("settle") {
        let final_answer = dns.and_then(|l| l.last()).unwrap_or("nothing");
        expect(
            format!("traffic ends on {home}"),
            final_answer == home,
            format!(
                "DNS answers {final_answer} at the end (settle began at {:.1} s)",
                settle.start
            ),
        );
    }

    m.events_recorded = journal.len();
    let with_reasons = journal.iter().all(|j| !j.reasons.is_empty());
    expect(
        "every transition is recorded in the journal, with its reasons".into(),
        journal.len() == flips && flips > 0 && with_reasons,
        format!("{} journal records for {flips} transitions", journal.len()),
    );
    let read_back = (metrics.failover, metrics.failback);
    expect(
        "Failover and Failback metrics read back from the emulator match the transitions".into(),
        read_back == (Some(m.failovers as f64), Some(m.failbacks as f64)),
        match &metrics.error {
            Some(error) => error.clone(),
            None => format!(
                "Failover {} (expected {}), Failback {} (expected {})",
                show(metrics.failover),
                m.failovers,
                show(metrics.failback),
                m.failbacks
            ),
        },
    );
    m.passes = record.passes;
    m.pass_errors = record.pass_errors.len();
    expect(
        "every watcher pass succeeds".into(),
        m.pass_errors == 0 && m.passes > 0,
        format!("{} passes, {} failed", m.passes, m.pass_errors),
    );
    (m, expectations)
}

fn expect_within(
    expect: &mut impl FnMut(String, bool, String),
    name: &str,
    measured: Option<f64>,
    limit: f64,
) {
    expect(
        format!("{name} within {limit:.1} s"),
        measured.is_some_and(|s| s <= limit),
        match measured {
            Some(s) => format!("after {s:.1} s"),
            None => "never happened".into(),
        },
    );
}

fn expect_stable_failback(
    expect: &mut impl FnMut(String, bool, String),
    name: &str,
    measured: Option<f64>,
    stable: f64,
) {
    // The engine counts whole seconds: a window of N s can close up to 1 s early in
    // wall-clock time.
    expect(
        format!("{name}: failback happens, not before the {stable:.0} s stable window"),
        measured.is_some_and(|s| s >= stable - 1.0),
        match measured {
            Some(s) => format!("{s:.1} s after the region was healthy again"),
            None => "no failback".into(),
        },
    );
}

/// The longest stretch in which DNS answered a region the drill had broken while another
/// region was fine, outside `flapping` (where damping may hold traffic on purpose).
fn longest_bad_answer(record: &Record, flapping: Option<(f64, f64)>, end: f64) -> f64 {
    let Some(dns) = record.lane(DNS_LANE) else {
        return 0.0;
    };
    let truth_lanes: Vec<_> = record
        .lanes
        .iter()
        .filter(|l| l.name.ends_with(TRUTH_SUFFIX))
        .collect();
    let mut times: Vec<f64> = dns.points.iter().map(|p| p.t).collect();
    times.extend(
        truth_lanes
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.t)),
    );
    if let Some((from, to)) = flapping {
        times.extend([from, to]);
    }
    times.push(end);
    times.sort_by(f64::total_cmp);
    times.dedup();
    let healthy = |region: &str, t: f64| {
        record
            .lane(&truth_lane(region))
            .and_then(|l| l.at(t))
            .is_none_or(|v| v == "healthy")
    };
    let regions: Vec<String> = truth_lanes
        .iter()
        .map(|l| l.name.trim_end_matches(TRUTH_SUFFIX).to_string())
        .collect();
    let (mut longest, mut run) = (0.0_f64, 0.0_f64);
    for pair in times.windows(2) {
        let (t, next) = (pair[0], pair[1]);
        let excused = flapping.is_some_and(|(from, _)| t >= from);
        let bad = !excused
            && dns.at(t).is_some_and(|answer| {
                !healthy(answer, t) && regions.iter().any(|r| r != answer && healthy(r, t))
            });
        run = if bad { run + (next - t) } else { 0.0 };
        longest = longest.max(run);
    }
    round(longest)
}

fn show(value: Option<f64>) -> String {
    value.map_or_else(|| "none".into(), |v| format!("{v}"))
}

fn round(secs: f64) -> f64 {
    (secs * 10.0).round() / 10.0
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
        let rows = [
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
                "(b) gray failure → DNS off the failed region",
                s(m.gray_dns_moved),
            ),
            (
                "(c) alarm OK → failback (stable window)",
                s(m.recovery_failback),
            ),
            (
                "(d) flips while flapping (allowed)",
                format!("{} ({})", m.flapping_flips, m.flapping_flips_allowed),
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
        ];
        for (name, value) in rows {
            let _ = writeln!(out, "  {name:<52} {value}");
        }
        let _ = writeln!(
            out,
            "expectations (detection budget {:.1} s; home {home}):",
            t.detection_budget.as_secs_f64()
        );
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

    /// The lanes grouped by region (what was injected, then what each part of the
    /// system saw), then the DNS answer and the watcher's routing.
    fn lanes_in_order(&self) -> Vec<&super::timeline::Lane> {
        const ORDER: [&str; 7] = [
            TRUTH_SUFFIX,
            " alarm ",
            " endpoint check",
            " gate",
            " record health",
            DNS_LANE,
            super::passes::WATCHER_LANE,
        ];
        let mut lanes: Vec<_> = self.timeline.lanes.iter().collect();
        lanes.sort_by_key(|lane| {
            let region = self
                .regions
                .iter()
                .position(|r| lane.name.starts_with(&format!("{r} ")))
                .unwrap_or(self.regions.len());
            let kind = ORDER
                .iter()
                .position(|part| lane.name.contains(part))
                .unwrap_or(ORDER.len());
            (region, kind)
        });
        lanes
    }

    /// The timeline as a self-contained HTML page with an inline SVG.
    fn html(&self) -> String {
        let record = self.timeline;
        let duration = self.duration_secs.max(1.0);
        let (left, width, lane_h, gap) = (230.0, 880.0, 20.0, 6.0);
        let x = |t: f64| left + t.clamp(0.0, duration) / duration * width;
        let mut svg = String::new();
        let lanes_top = 40.0;
        let height = lanes_top + (record.lanes.len() as f64) * (lane_h + gap) + 61.0;
        let _ = write!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{height}" font-family="sans-serif" font-size="11">"#,
            left + width + 20.0
        );
        for (i, phase) in record.phases.iter().enumerate() {
            let (from, to) = (x(phase.start), x(phase.end.unwrap_or(duration)));
            let fill = if i % 2 == 0 { "#f3f3f3" } else { "#e6e6e6" };
            let _ = write!(
                svg,
                r#"<rect x="{from:.1}" y="0" width="{:.1}" height="{:.1}" fill="{fill}"><title>{}</title></rect><text x="{:.1}" y="14">{}</text>"#,
                (to - from).max(0.5),
                height - 30.0,
                escape(&phase.title),
                from + 3.0,
                escape(phase.name)
            );
        }
        for (i, lane) in self.lanes_in_order().into_iter().enumerate() {
            let y = lanes_top + i as f64 * (lane_h + gap);
            let _ = write!(
                svg,
                r#"<text x="4" y="{:.1}">{}</text>"#,
                y + 14.0,
                escape(&lane.name)
            );
            for (j, point) in lane.points.iter().enumerate() {
                let to = lane.points.get(j + 1).map_or(duration, |next| next.t);
                let colour = colour(&point.value, self.regions);
                let _ = write!(
                    svg,
                    r#"<rect x="{:.1}" y="{y:.1}" width="{:.1}" height="{lane_h}" fill="{colour}"><title>{}: {} from {:.1} s</title></rect>"#,
                    x(point.t),
                    (x(to) - x(point.t)).max(0.5),
                    escape(&lane.name),
                    escape(&point.value),
                    point.t
                );
            }
        }
        let bottom = lanes_top + record.lanes.len() as f64 * (lane_h + gap);
        for (i, transition) in record.transitions.iter().enumerate() {
            let tx = x(transition.t);
            // Alternate rows, so that close transitions do not print over each other.
            let _ = write!(
                svg,
                r##"<line x1="{tx:.1}" y1="20" x2="{tx:.1}" y2="{bottom:.1}" stroke="#222" stroke-dasharray="3,2"/><text x="{:.1}" y="{:.1}" font-weight="bold">{}</text>"##,
                tx + 2.0,
                bottom + 12.0 + (i % 2) as f64 * 11.0,
                transition.kind
            );
        }
        let bottom = bottom + 11.0;
        let step = if duration > 60.0 { 10.0 } else { 5.0 };
        let mut tick = 0.0;
        while tick <= duration {
            let _ = write!(
                svg,
                r##"<line x1="{0:.1}" y1="{1:.1}" x2="{0:.1}" y2="{2:.1}" stroke="#888"/><text x="{0:.1}" y="{3:.1}" text-anchor="middle">{tick:.0} s</text>"##,
                x(tick),
                bottom + 18.0,
                bottom + 24.0,
                bottom + 36.0
            );
            tick += step;
        }
        svg.push_str("</svg>");

        let mut page = String::new();
        let _ = write!(
            page,
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>regionflip drill</title>\
             <style>body{{font-family:sans-serif;margin:20px}}td,th{{padding:2px 8px;text-align:left;vertical-align:top}}\
             .ok{{color:#2e7d32}}.fail{{color:#c62828;font-weight:bold}}</style></head><body>\
             <h1>regionflip drill: {}</h1><p>{} mode, {:.1} s, started {}, emulator {}. Colours: green healthy/OK/open, \
             red failing/ALARM/closed, blue {}, orange {}.</p>{svg}<h2>Expectations</h2><table>",
            if self.passed { "passed" } else { "FAILED" },
            self.mode,
            self.duration_secs,
            escape(&self.started_at),
            escape(&self.emulator),
            escape(self.regions[0]),
            escape(self.regions[1])
        );
        for e in &self.expectations {
            let _ = write!(
                page,
                "<tr><td class=\"{}\">{}</td><td>{}</td><td>{}</td></tr>",
                if e.passed { "ok" } else { "fail" },
                if e.passed { "ok" } else { "FAIL" },
                escape(&e.name),
                escape(&e.detail)
            );
        }
        page.push_str("</table><h2>Simulated</h2><ul>");
        for line in self.simulated {
            let _ = write!(page, "<li>{}</li>", escape(line));
        }
        page.push_str("</ul><h2>Real</h2><ul>");
        for line in self.real {
            let _ = write!(page, "<li>{}</li>", escape(line));
        }
        page.push_str("</ul><h2>Events</h2><table><tr><th>t</th><th>what</th><th></th></tr>");
        for event in &record.events {
            let _ = write!(
                page,
                "<tr><td>{:.1} s</td><td>{}</td><td>{}</td></tr>",
                event.t,
                event.kind,
                escape(&event.text)
            );
        }
        page.push_str("</table></body></html>\n");
        page
    }
}

/// A lane value's colour: healthy green, failing red, regions blue (home) and orange.
fn colour(value: &str, regions: [&str; 2]) -> &'static str {
    match value {
        "healthy" | "OK" | "open" => "#43a047",
        "unhealthy" | "ALARM" | "closed" | "endpoint down" | "API failing" => "#e53935",
        v if v == regions[0] => "#1e88e5",
        v if v == regions[1] => "#fb8c00",
        _ => "#9e9e9e",
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// RFC 3339 for a Unix time with a fraction.
pub(crate) fn started_at(unix: f64) -> String {
    rfc3339(unix as u64)
}
