//! The ports `init` needs beyond the watcher's: Route 53 health checks and gate alarms.
//! The SDK side is in [`crate::aws`]; the in-memory models are in `regionflip-local-aws`.

use std::collections::BTreeMap;
use std::future::Future;

use regionflip_watcher::ports::AwsError;
use serde::Serialize;

/// A Route 53 health check as `ListHealthChecks` reports it, as far as init needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheckInfo {
    /// The check id.
    pub id: String,
    /// The caller reference it was created with.
    pub caller_reference: String,
}

/// The settings of a health check regionflip creates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CheckConfig {
    /// Healthy while the alarm is OK; `InsufficientDataHealthStatus` is
    /// `LastKnownStatus`, so a starved gate alarm keeps its last verdict.
    CloudwatchMetric {
        /// Region of the alarm.
        alarm_region: String,
        /// Name of the alarm.
        alarm_name: String,
    },
    /// Healthy while at least `health_threshold` children are healthy.
    Calculated {
        /// The child checks' ids.
        children: Vec<String>,
        /// How many children must be healthy.
        health_threshold: u32,
    },
}

/// A `CreateHealthCheck` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHealthCheck {
    /// Unique per check; see the module documentation.
    pub caller_reference: String,
    /// Its settings.
    pub config: CheckConfig,
}

/// Route 53 health checks, as init uses them.
pub trait HealthCheckApi: Send + Sync {
    /// Every health check of the account (all pages of `ListHealthChecks`).
    fn list_health_checks(
        &self,
    ) -> impl Future<Output = Result<Vec<HealthCheckInfo>, AwsError>> + Send;

    /// Creates a health check and returns its id.
    fn create_health_check(
        &self,
        check: &NewHealthCheck,
    ) -> impl Future<Output = Result<String, AwsError>> + Send;

    /// The tags of these checks (`ListTagsForResources`, in calls of at most ten ids,
    /// Route 53's limit).
    fn health_check_tags(
        &self,
        ids: &[String],
    ) -> impl Future<Output = Result<BTreeMap<String, BTreeMap<String, String>>, AwsError>> + Send;

    /// Adds (or overwrites) tags on a check (`ChangeTagsForResource`).
    fn tag_health_check(
        &self,
        id: &str,
        tags: &BTreeMap<String, String>,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
}

/// A gate alarm: ALARM (gate closed) when the minimum of the region's `GateOpen` metric
/// over a minute is below 1; missing data keeps the last state, so a watcher outage
/// leaves the gates as they were (static stability).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GateAlarm {
    /// Alarm name ([`Config::gate_alarm_name`](regionflip_core::Config::gate_alarm_name)).
    pub name: String,
    /// Description, ending in the settings' fingerprint.
    pub description: String,
    /// The metrics namespace.
    pub namespace: String,
    /// The metric's dimensions: `Record` and `Region`.
    pub dimensions: Vec<(String, String)>,
}

/// CloudWatch alarms, as init uses them beyond [`CloudWatchApi`](regionflip_watcher::ports::CloudWatchApi).
pub trait GateAlarmApi: Send + Sync {
    /// Creates or rewrites a gate alarm in `region` (`PutMetricAlarm`).
    fn put_gate_alarm(
        &self,
        region: &str,
        alarm: &GateAlarm,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
}
