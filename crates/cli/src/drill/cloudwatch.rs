//! The watcher's CloudWatch in the drill: the real SDK adapter against the emulator, with
//! one reading replaced.
//!
//! In production the watcher learns Route 53's verdict on each endpoint from
//! `AWS/Route53 HealthCheckStatus`, which Route 53 publishes once a minute. moto has no
//! checkers, and minute-granularity metrics could not follow the drill's compressed
//! clock anyway, so [`DrillCloudWatch::health_check_status`] answers from the simulated
//! checkers (one datapoint per second). Every other call — alarms, gates, the state
//! holder, regionflip's own metrics — goes to the emulator through the production
//! adapter unchanged.

use std::collections::BTreeMap;
use std::sync::Arc;

use regionflip_watcher::aws::CloudWatchAdapter;
use regionflip_watcher::ports::{
    AlarmReading, AwsError, CloudWatchApi, HealthSample, MetricDatum, StateAlarm,
};

use super::checkers::Fleet;

/// The production adapter, with `HealthCheckStatus` read from the simulated checkers.
#[derive(Debug, Clone)]
pub(crate) struct DrillCloudWatch {
    /// The SDK adapter, pointed at the emulator.
    pub(crate) emulator: CloudWatchAdapter,
    /// The simulated checkers.
    pub(crate) checkers: Arc<Fleet>,
}

impl CloudWatchApi for DrillCloudWatch {
    async fn describe_alarms(
        &self,
        region: &str,
        names: &[String],
    ) -> Result<Vec<AlarmReading>, AwsError> {
        self.emulator.describe_alarms(region, names).await
    }

    async fn put_metric_data(
        &self,
        region: &str,
        namespace: &str,
        data: &[MetricDatum],
    ) -> Result<(), AwsError> {
        self.emulator.put_metric_data(region, namespace, data).await
    }

    async fn health_check_status(
        &self,
        check_ids: &[String],
        start: u64,
        end: u64,
    ) -> Result<BTreeMap<String, Vec<HealthSample>>, AwsError> {
        Ok(self.checkers.health_check_status(check_ids, start, end))
    }

    async fn put_state_alarm(&self, region: &str, alarm: &StateAlarm) -> Result<(), AwsError> {
        self.emulator.put_state_alarm(region, alarm).await
    }
}
