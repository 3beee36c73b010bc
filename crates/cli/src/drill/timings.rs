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
//! | `failback.stable_for_secs`  | 300                    | 10       | 4         |
//! | `failback.min_dwell_secs`   | 300                    | 5        | 2         |
//! | `max_flips_per_hour`        | 4                      | 4        | 4         |
//!
//! The damping window itself is the engine's fixed hour: the drill's flips all fall in
//! it, which only makes damping stricter.

use std::time::Duration;

use crate::args::DrillArgs;
use crate::error::CliError;

/// Slack added to derived budgets for a loaded two-core machine (process scheduling,
/// moto answering a burst of requests).
const SLACK: Duration = Duration::from_secs(2);

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
            stable_for_secs,
            min_dwell_secs,
            max_flips_per_hour,
            baseline: pick(args.baseline, 5.0, 3.0, "--baseline")?,
            phase_timeout,
            hold: pick(args.hold, 2.0, 1.0, "--hold")?,
            flap_for: pick(args.flap_for, 12.0, 6.0, "--flap-for")?,
            flap_every: pick(args.flap_every, 1.5, 1.0, "--flap-every")?,
            detection_budget,
        })
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
