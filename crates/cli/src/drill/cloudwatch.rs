//! The watcher's CloudWatch in the drill: the real SDK adapter against the emulator, with
//! one reading replaced by a hook.
//!
//! In production the watcher learns Route 53's verdict on each endpoint from
//! `AWS/Route53 HealthCheckStatus`, which Route 53 publishes once a minute. moto has no
//! checkers, and minute-granularity metrics could not follow the drill's compressed
//! clock anyway, so [`CheckersAnswer`] replaces that one answer with the simulated
//! checkers' (one datapoint per second). Every other call — alarms, gates, the state
//! holder, regionflip's own metrics — goes to the emulator through the production
//! adapter unchanged.
//!
//! For one phase the drill impairs those metrics, as a us-east-1 event does on AWS
//! (`HealthCheckStatus` is published only there): the answer is then an error, and the
//! watcher must fail over on its own probes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use regionflip_local_aws::hooked::{Call, Hook, Hooked, Reply};
use regionflip_watcher::aws::CloudWatchAdapter;
use regionflip_watcher::ports::AwsError;

use super::checkers::Fleet;

/// The production adapter, with `HealthCheckStatus` read from the simulated checkers.
pub(crate) type DrillCloudWatch = Hooked<CloudWatchAdapter, CheckersAnswer>;

/// Answers `HealthCheckStatus` from the simulated checkers, unless impaired.
#[derive(Debug, Clone)]
pub(crate) struct CheckersAnswer {
    pub(crate) checkers: Arc<Fleet>,
    /// While set, `HealthCheckStatus` cannot be read (us-east-1's metrics impaired).
    pub(crate) impaired: Arc<AtomicBool>,
}

impl Hook for CheckersAnswer {
    async fn after(&self, call: &Call<'_>, reply: Reply<'_>) {
        if let (
            Call::HealthCheckStatus {
                check_ids,
                start,
                end,
            },
            Reply::HealthStatus(answer),
        ) = (call, reply)
        {
            *answer = if self.impaired.load(Ordering::SeqCst) {
                Err(AwsError::Unreachable(
                    "monitoring.us-east-1.amazonaws.com did not answer (the drill impairs us-east-1's metrics)".into(),
                ))
            } else {
                Ok(self.checkers.health_check_status(check_ids, *start, *end))
            };
        }
    }
}
