//! The narrow interfaces through which the watcher reaches AWS, and the regions' health
//! endpoints.
//!
//! Each trait has exactly the operations a reconcile pass needs, in the core's own types,
//! so the SDK stays inside [`crate::aws`] and tests can put a faithful in-memory model
//! ([`crate::memory`]) or the SDK pointed at moto behind the same trait. Errors are
//! classified here once — throttled, timed out, unreachable, refused precondition — so
//! the reconciler can apply one policy to all of them.

use std::collections::BTreeMap;
use std::future::Future;

use regionflip_core::{Change, ProbeOutcome, RecordSet};

/// One page of `ListResourceRecordSets`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecordPage {
    /// Records in Route 53's order, starting at the requested name.
    pub records: Vec<RecordSet>,
    /// More records follow.
    pub truncated: bool,
}

/// A CloudWatch alarm's state as `DescribeAlarms` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlarmReading {
    /// Alarm name.
    pub name: String,
    /// Its state value.
    pub state: AlarmState,
    /// When the state value last changed (Unix seconds), when reported.
    pub since: Option<u64>,
    /// The alarm description (the gate-mode state holder keeps the engine state here).
    pub description: Option<String>,
}

/// CloudWatch alarm state values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlarmState {
    /// OK.
    Ok,
    /// ALARM.
    Alarm,
    /// INSUFFICIENT_DATA.
    InsufficientData,
}

/// Units regionflip publishes metrics in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricUnit {
    /// Events.
    Count,
    /// Seconds.
    Seconds,
    /// Milliseconds.
    Milliseconds,
    /// Plain values (gates, 1/0 indicators).
    None,
}

/// One metric value to publish.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricDatum {
    /// Metric name.
    pub name: String,
    /// Dimensions, name and value.
    pub dimensions: Vec<(String, String)>,
    /// The value.
    pub value: f64,
    /// Its unit.
    pub unit: MetricUnit,
    /// Its timestamp, Unix seconds.
    pub timestamp: u64,
}

/// One `AWS/Route53 HealthCheckStatus` datapoint (Minimum over a minute).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HealthSample {
    /// Start of the minute, Unix seconds.
    pub at: u64,
    /// 1 healthy, 0 unhealthy (the minimum over the checkers' reports).
    pub value: f64,
}

/// The gate-mode state holder: an alarm whose description carries the engine state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateAlarm {
    /// Alarm name.
    pub name: String,
    /// Namespace of the (never published) metric it watches.
    pub namespace: String,
    /// The engine state, in its text form.
    pub description: String,
}

/// How an AWS call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AwsError {
    /// Throttling, `PriorRequestNotComplete`, rate exceeded: try again later.
    #[error("throttled: {0}")]
    Throttled(String),
    /// The call did not answer within its time budget.
    #[error("timed out: {0}")]
    Timeout(String),
    /// No connection could be made.
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// The service answered with an error.
    #[error("{code}: {message}")]
    Service {
        /// The error code.
        code: String,
        /// Its message.
        message: String,
    },
}

/// Why a change batch was not applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangeError {
    /// A precondition failed: a DELETE did not match, or a CREATE met an existing
    /// record. Someone changed the records since they were read.
    #[error("compare-and-swap conflict: {0}")]
    Conflict(String),
    /// Any other failure.
    #[error(transparent)]
    Aws(#[from] AwsError),
}

/// Route 53, as the watcher uses it.
pub trait Route53Api: Send + Sync {
    /// Lists records of `zone` from `start_name` on, at most `max_items` (one API call).
    fn list_records(
        &self,
        zone: &str,
        start_name: &str,
        max_items: i32,
    ) -> impl Future<Output = Result<RecordPage, AwsError>> + Send;

    /// Applies one change batch atomically, returning the change id.
    fn change_records(
        &self,
        zone: &str,
        changes: &[Change],
        comment: &str,
    ) -> impl Future<Output = Result<String, ChangeError>> + Send;

    /// Whether a change has reached every Route 53 name server.
    fn change_in_sync(
        &self,
        change_id: &str,
    ) -> impl Future<Output = Result<bool, AwsError>> + Send;
}

/// CloudWatch, as the watcher uses it, in any region.
pub trait CloudWatchApi: Send + Sync {
    /// `DescribeAlarms` for these names in `region` (one call; at most 100 names), metric
    /// and composite alarms alike: a name is a name, whatever the alarm's type. A name
    /// with no alarm is absent from the answer.
    fn describe_alarms(
        &self,
        region: &str,
        names: &[String],
    ) -> impl Future<Output = Result<Vec<AlarmReading>, AwsError>> + Send;

    /// `PutMetricData` in `region` (one call; at most 1000 values).
    fn put_metric_data(
        &self,
        region: &str,
        namespace: &str,
        data: &[MetricDatum],
    ) -> impl Future<Output = Result<(), AwsError>> + Send;

    /// `AWS/Route53 HealthCheckStatus`, Minimum per minute, for each check between
    /// `start` and `end` (one `GetMetricData` call in us-east-1, where Route 53 publishes
    /// it). Checks without datapoints are absent from the map.
    fn health_check_status(
        &self,
        check_ids: &[String],
        start: u64,
        end: u64,
    ) -> impl Future<Output = Result<BTreeMap<String, Vec<HealthSample>>, AwsError>> + Send;

    /// Creates or rewrites the gate-mode state holder alarm in `region`.
    fn put_state_alarm(
        &self,
        region: &str,
        alarm: &StateAlarm,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
}

/// The watcher's own look at a region's health endpoint: one probe with Route 53's
/// checker rules. Not an AWS call: it costs no quota and works while an AWS control
/// plane is impaired.
pub trait EndpointProbe: Send + Sync {
    /// Probes `url` once, looking for `search` in the body.
    fn probe(&self, url: &str, search: &str) -> impl Future<Output = ProbeOutcome> + Send;
}
