//! The drill's compressed clock: every timing it uses, from the flags or from the
//! defaults (normal or `--quick`), checked once, with the derived budgets explained.
//!
//! Production timings and their drill defaults:
//!
//! | what                        | production             | drill    | `--quick` |
//! |-----------------------------|------------------------|----------|-----------|
//! | checker request interval    | 10 or 30 s             | 1 s      | 0.5 s     |
//! | checker failure threshold   | 3                      | 3        | 2         |
//! | watcher tick                | 1 min                  | 2 s      | 1 s       |
//! | gate alarm period           | 1 min                  | the tick | the tick  |
//! | gate check lag (health-gate)| ≥ 60 s (see below)     | 6 s      | 3 s       |
//! | `failback.stable_for_secs`  | 300                    | 10       | 4         |
//! | `failback.min_dwell_secs`   | 300                    | 5        | 2         |
//! | `max_flips_per_hour`        | 4                      | 4        | 4         |
//!
//! The damping window itself is the engine's fixed hour: the drill's flips all fall in
//! it, which only makes damping stricter.
//!
//! **Gate check lag.** A `CLOUDWATCH_METRIC` check does not follow its alarm's state: Route
//! 53 reads the alarm's metric stream itself, and AWS documents no latency for it. The
//! drill counts one standard-resolution alarm period (60 s, the least there can be) and
//! compresses it as it compresses Route 53's other intervals: the checker interval stands
//! for Route 53's 10 s, so the lag is six checker intervals. In `records` mode there are
//! no such checks and the lag is 0. Every budget for a DNS move that goes through a gate
//! (a failover or failback the watcher carries out in `health-gate` mode) includes it.

use std::time::Duration;

use crate::args::{DrillArgs, DrillMode};
use crate::error::CliError;

/// Slack added to derived budgets for a loaded two-core machine (process scheduling,
/// moto answering a burst of requests).
const SLACK: Duration = Duration::from_secs(2);

/// Route 53's request interval that the drill's checker interval stands for (its
/// compression of Route 53's clock).
const ROUTE53_CHECKER_INTERVAL_SECS: f64 = 10.0;
/// The least time a `CLOUDWATCH_METRIC` check takes, on AWS, to show a change of its
/// alarm's metric: one standard-resolution period. Route 53's own reading of the stream
/// comes on top and is not documented.
const AWS_GATE_CHECK_LAG_SECS: f64 = 60.0;

/// Every timing of one drill.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(crate) struct Timings {
    /// Simulated checkers per endpoint check.
    pub(crate) checkers: u32,
    /// Between one checker's probes.
    #[serde(with = "secs")]
    pub(crate) checker_interval: Duration,
    /// Consecutive results that turn one checker's verdict.
    pub(crate) failure_threshold: u32,
    /// Between the watcher's scheduled passes.
    #[serde(with = "secs")]
    pub(crate) tick: Duration,
    /// The gate alarms' evaluation period.
    #[serde(with = "secs")]
    pub(crate) gate_period: Duration,
    /// How long a gate's `CLOUDWATCH_METRIC` check takes to show its alarm's change
    /// (health-gate mode; 0 in records mode).
    #[serde(with = "secs")]
    pub(crate) gate_check_lag: Duration,
    /// `failback.stable_for_secs`.
    pub(crate) stable_for_secs: u64,
    /// `failback.min_dwell_secs`.
    pub(crate) min_dwell_secs: u64,
    /// `failback.max_flips_per_hour`.
    pub(crate) max_flips_per_hour: u32,
    /// Calm before the first fault.
    #[serde(with = "secs")]
    pub(crate) baseline: Duration,
    /// Longest wait for an expected transition.
    #[serde(with = "secs")]
    pub(crate) phase_timeout: Duration,
    /// How long a phase goes on after its expected transition.
    #[serde(with = "secs")]
    pub(crate) hold: Duration,
    /// How long the primary flaps.
    #[serde(with = "secs")]
    pub(crate) flap_for: Duration,
    /// Between the flapping alarm's changes.
    #[serde(with = "secs")]
    pub(crate) flap_every: Duration,
    /// Longest acceptable time for DNS to stop answering a failed region.
    #[serde(with = "secs")]
    pub(crate) detection_budget: Duration,
    /// The same, for a move that goes through a gate: the detection budget and the gate
    /// check's lag.
    #[serde(with = "secs")]
    pub(crate) gated_detection_budget: Duration,
}

impl Timings {
    /// The timings `args` ask for.
    pub(crate) fn from_args(args: &DrillArgs) -> Result<Timings, CliError> {
        let quick = args.quick;
        let pick = |flag: Option<f64>, normal: f64, fast: f64, name: &str| {
            seconds(flag.unwrap_or(if quick { fast } else { normal }), name)
        };
        let checker_interval = pick(args.checker_interval, 1.0, 0.5, "--checker-interval")?;
        let failure_threshold = args.failure_threshold.unwrap_or(if quick { 2 } else { 3 });
        if !(1..=10).contains(&failure_threshold) {
            return Err(CliError::Usage(
                "--failure-threshold must be 1 to 10, as in Route 53".into(),
            ));
        }
        let checkers = args.checkers.unwrap_or(8);
        if !(1..=64).contains(&checkers) {
            return Err(CliError::Usage("--checkers must be 1 to 64".into()));
        }
        let tick = pick(args.tick, 2.0, 1.0, "--tick")?;
        let gate_period = match args.gate_period {
            Some(secs) => seconds(secs, "--gate-period")?,
            None => tick,
        };
        let gate_check_lag = match (args.mode, args.gate_check_lag) {
            (DrillMode::HealthGate, Some(secs)) => seconds(secs, "--gate-check-lag")?,
            (DrillMode::HealthGate, None) => {
                checker_interval.mul_f64(AWS_GATE_CHECK_LAG_SECS / ROUTE53_CHECKER_INTERVAL_SECS)
            }
            (DrillMode::Records, None) => Duration::ZERO,
            (DrillMode::Records, Some(_)) => {
                return Err(CliError::Usage(
                    "--gate-check-lag is for health-gate mode; records mode has no gate checks"
                        .into(),
                ));
            }
        };
        let stable_for_secs = args.stable_for.unwrap_or(if quick { 4 } else { 10 });
        let min_dwell_secs = args.min_dwell.unwrap_or(if quick { 2 } else { 5 });
        let max_flips_per_hour = args.max_flips.unwrap_or(4);
        if !(1..=60).contains(&max_flips_per_hour) {
            return Err(CliError::Usage("--max-flips must be 1 to 60".into()));
        }
        // A checker turns after `threshold` results, and may have just probed when the
        // fault began: one interval more.
        let endpoint_detection = checker_interval * (failure_threshold + 1);
        let detection_budget = match args.detection_budget {
            Some(secs) => seconds(secs, "--detection-budget")?,
            None => endpoint_detection + tick + gate_period + checker_interval + SLACK,
        };
        let phase_timeout = match args.phase_timeout {
            Some(secs) => seconds(secs, "--phase-timeout")?,
            None => {
                endpoint_detection
                    + Duration::from_secs(stable_for_secs + min_dwell_secs)
                    + tick * 2
                    + gate_period
                    + SLACK * 2
            }
        };
        Ok(Timings {
            checkers,
            checker_interval,
            failure_threshold,
            tick,
            gate_period,
            gate_check_lag,
            stable_for_secs,
            min_dwell_secs,
            max_flips_per_hour,
            baseline: pick(args.baseline, 5.0, 3.0, "--baseline")?,
            phase_timeout,
            hold: pick(args.hold, 2.0, 1.0, "--hold")?,
            flap_for: pick(args.flap_for, 12.0, 6.0, "--flap-for")?,
            flap_every: pick(args.flap_every, 1.5, 1.0, "--flap-every")?,
            detection_budget,
            gated_detection_budget: detection_budget + gate_check_lag,
        })
    }
}

impl Timings {
    /// How long the drill waits for an expected transition and for DNS to follow it: the
    /// phase timeout, and the gate check's lag when DNS follows through a gate.
    pub(crate) fn follow_timeout(&self) -> Duration {
        self.phase_timeout + self.gate_check_lag
    }
}

/// A positive, finite number of seconds, at most an hour.
fn seconds(value: f64, name: &str) -> Result<Duration, CliError> {
    if value.is_finite() && value > 0.0 && value <= 3600.0 {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(CliError::Usage(format!(
            "{name} is {value}; give a number of seconds above 0 and at most 3600"
        )))
    }
}

/// Durations in reports: seconds as a number.
mod secs {
    use std::time::Duration;

    pub(super) fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    /// The timings `drill ARGS` asks for, or its usage error.
    fn parse(args: &[&str]) -> Result<Timings, CliError> {
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            drill: DrillArgs,
        }
        let cli = Cli::try_parse_from(std::iter::once("drill").chain(args.iter().copied()))
            .expect("valid flags");
        Timings::from_args(&cli.drill)
    }

    fn timings(args: &[&str]) -> Timings {
        parse(args).expect("valid timings")
    }

    /// Models AWS: a CLOUDWATCH_METRIC check shows its alarm's change no sooner than one
    /// standard-resolution period (60 s), and the drill compresses Route 53's intervals
    /// by the checker interval (1 s for Route 53's 10 s): 6 s, or 3 s with --quick.
    #[test]
    fn the_gate_check_lag_is_aws_s_alarm_period_at_the_drill_s_route53_compression() {
        let normal = timings(&[]);
        assert_eq!(normal.gate_check_lag, Duration::from_secs(6));
        assert_eq!(
            normal.gated_detection_budget,
            normal.detection_budget + Duration::from_secs(6)
        );
        let quick = timings(&["--quick"]);
        assert_eq!(quick.gate_check_lag, Duration::from_secs(3));
        assert_eq!(
            timings(&["--checker-interval", "2"]).gate_check_lag,
            Duration::from_secs(12),
            "the lag follows the drill's compression of Route 53's clock"
        );
        assert_eq!(
            quick.follow_timeout(),
            quick.phase_timeout + Duration::from_secs(3)
        );
    }

    /// The lag is a timing like the others: `--gate-check-lag` sets it (a slower
    /// Route 53 reading of the metric stream than the 60 s floor AWS documents).
    #[test]
    fn the_gate_check_lag_is_a_flag_too() {
        let slow = timings(&["--gate-check-lag", "15"]);
        assert_eq!(slow.gate_check_lag, Duration::from_secs(15));
        assert_eq!(
            slow.gated_detection_budget,
            slow.detection_budget + Duration::from_secs(15)
        );
        assert!(matches!(
            parse(&["--mode", "records", "--gate-check-lag", "5"]),
            Err(CliError::Usage(_))
        ));
        assert!(matches!(
            parse(&["--gate-check-lag", "0"]),
            Err(CliError::Usage(_))
        ));
    }

    #[test]
    fn records_mode_has_no_gate_check_and_no_lag() {
        let records = timings(&["--quick", "--mode", "records"]);
        assert_eq!(records.gate_check_lag, Duration::ZERO);
        assert_eq!(records.gated_detection_budget, records.detection_budget);
    }
}
