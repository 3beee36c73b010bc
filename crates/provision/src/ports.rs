//! The ports `init` needs beyond the watcher's: Route 53 health checks and gate alarms.
//! The SDK side is in [`crate::aws`]; the in-memory models are in `regionflip-local-aws`.

use std::collections::BTreeMap;
use std::future::Future;

use regionflip_watcher::ports::AwsError;
use serde::Serialize;

/// A Route 53 health check as `ListHealthChecks` (or `GetHealthCheck`) reports it, as far
/// as init needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheckInfo {
    /// The check id.
    pub id: String,
    /// The caller reference it was created with (fixed for the check's life).
    pub caller_reference: String,
    /// Its settings as Route 53 reports them now.
    pub reported: ReportedCheck,
}

/// What Route 53 reports of a check's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportedCheck {
    /// `CLOUDWATCH_METRIC`. Each part is `None` when the service did not report it: Route
    /// 53 always does; moto drops all three.
    CloudwatchMetric {
        /// `AlarmIdentifier`: the alarm's region and name.
        alarm: Option<(String, String)>,
        /// `InsufficientDataHealthStatus`, as Route 53 spells it (`LastKnownStatus`).
        insufficient_data: Option<String>,
        /// `CloudWatchAlarmConfiguration`: the alarm's settings **as Route 53 copied them
        /// when the check was created or last updated**. Route 53 watches the metric
        /// stream these name, not the alarm's state, and never refreshes the copy by
        /// itself ("Route 53 doesn't automatically update the alarm settings in the
        /// health check"); `UpdateHealthCheck` with the same `AlarmIdentifier` does.
        alarm_settings: Option<AlarmSettings>,
    },
    /// `CALCULATED`.
    Calculated {
        /// `ChildHealthChecks`.
        children: Vec<String>,
        /// `HealthThreshold`.
        health_threshold: u32,
    },
    /// Any other type (the stacks' endpoint checks), by its name (`HTTPS_STR_MATCH`).
    Other(String),
}

/// The settings of a metric alarm that a `CLOUDWATCH_METRIC` check copies: what
/// `CloudWatchAlarmConfiguration` reports (namespace, metric, dimensions, statistic,
/// period, threshold, evaluation periods, comparison).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlarmSettings {
    /// `Namespace`.
    pub namespace: String,
    /// `MetricName`.
    pub metric_name: String,
    /// `Dimensions`, as (name, value).
    pub dimensions: Vec<(String, String)>,
    /// `Statistic` (`Minimum`).
    pub statistic: String,
    /// `Period`, seconds.
    pub period: u32,
    /// `Threshold`.
    pub threshold: f64,
    /// `EvaluationPeriods`.
    pub evaluation_periods: u32,
    /// `ComparisonOperator` (`LessThanThreshold`).
    pub comparison_operator: String,
}

// Thresholds are small whole numbers written by init, never NaN.
impl Eq for AlarmSettings {}

impl AlarmSettings {
    /// Whether `other` names the same metric stream and rule: dimensions compare as a
    /// set (Route 53 and CloudWatch do not promise their order).
    pub fn same_as(&self, other: &AlarmSettings) -> bool {
        let sorted = |d: &[(String, String)]| {
            let mut d = d.to_vec();
            d.sort();
            d
        };
        self.namespace == other.namespace
            && self.metric_name == other.metric_name
            && sorted(&self.dimensions) == sorted(&other.dimensions)
            && self.statistic == other.statistic
            && self.period == other.period
            && self.threshold.to_bits() == other.threshold.to_bits()
            && self.evaluation_periods == other.evaluation_periods
            && self.comparison_operator == other.comparison_operator
    }

    /// `namespace/metric{dims} statistic over period s, threshold` for messages.
    pub fn describe(&self) -> String {
        let dimensions: Vec<String> = self
            .dimensions
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        format!(
            "{}/{}{{{}}} {} over {} s {} {} ({} period{})",
            self.namespace,
            self.metric_name,
            dimensions.join(","),
            self.statistic,
            self.period,
            self.comparison_operator,
            self.threshold,
            self.evaluation_periods,
            if self.evaluation_periods == 1 {
                ""
            } else {
                "s"
            }
        )
    }
}

/// The settings of a health check regionflip creates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CheckConfig {
    /// Healthy while the data in the alarm's metric stream is within the alarm's
    /// threshold (Route 53 reads the stream, not the alarm's state);
    /// `InsufficientDataHealthStatus` is `LastKnownStatus`, so while the stream has no
    /// data (a watcher outage) the check keeps its last status. That, not the alarm's
    /// `TreatMissingData`, is what holds routing when nobody publishes.
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

    /// Changes a check's settings in place (`UpdateHealthCheck`); its id, and so every
    /// parent check and record that refers to it, stays. For a `CLOUDWATCH_METRIC` check
    /// the request names the same `AlarmIdentifier`, which makes Route 53 copy the
    /// alarm's current settings again; for a `CALCULATED` check it sets the children and
    /// threshold. A check's type cannot change.
    fn update_health_check(
        &self,
        id: &str,
        config: &CheckConfig,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;

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

    /// Deletes a check (`DeleteHealthCheck`). Route 53 does not refuse deleting a check
    /// that records or a CALCULATED check still use: callers delete users first.
    fn delete_health_check(&self, id: &str) -> impl Future<Output = Result<(), AwsError>> + Send;
}

/// A gate alarm: ALARM (gate closed) when the minimum of the region's `GateOpen` metric
/// over a minute is below 1. Its `TreatMissingData` (`ignore`) keeps the *alarm's* state
/// through a watcher outage, but routing does not follow the alarm's state: the gate's
/// `CLOUDWATCH_METRIC` check reads the metric stream itself, and what holds routing while
/// the stream is empty is the check's `InsufficientDataHealthStatus = LastKnownStatus`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GateAlarm {
    /// Alarm name ([`Config::gate_alarm_name`](regionflip_core::Config::gate_alarm_name)).
    pub name: String,
    /// Description, ending in the settings' fingerprint.
    pub description: String,
    /// What the alarm watches and when it goes to ALARM: the settings a gate check copies.
    pub settings: AlarmSettings,
    /// `TreatMissingData` (`ignore`): not copied by the check.
    pub treat_missing_data: String,
}

/// CloudWatch alarms, as init uses them beyond [`CloudWatchApi`](regionflip_watcher::ports::CloudWatchApi).
pub trait GateAlarmApi: Send + Sync {
    /// Creates or rewrites a gate alarm in `region` (`PutMetricAlarm`).
    fn put_gate_alarm(
        &self,
        region: &str,
        alarm: &GateAlarm,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;

    /// Deletes alarms in `region` (`DeleteAlarms`, at most 100 names; names that do not
    /// exist are not an error).
    fn delete_alarms(
        &self,
        region: &str,
        names: &[String],
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
}
