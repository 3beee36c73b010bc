//! Call counting: how many AWS requests a pass makes, by operation.
//!
//! [`Counting`] wraps any adapter behind the ports (the SDK adapters against moto, or
//! the in-memory models) and counts each port call, which is one AWS request. The
//! benchmarks report these counts (Route 53 allows 5 requests/s per account) and tests
//! assert on them; the in-memory models keep the same [`CallCounts`] themselves.

use std::collections::BTreeMap;
use std::sync::Mutex;

use regionflip_core::Change;

use crate::ports::{
    AlarmReading, AwsError, ChangeError, CloudWatchApi, HealthSample, MetricDatum, RecordPage,
    Route53Api, StateAlarm,
};

/// Counts of calls made, by operation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallCounts {
    /// `ListResourceRecordSets`.
    pub list_records: usize,
    /// `ChangeResourceRecordSets`, including refused ones.
    pub change_records: usize,
    /// `GetChange`.
    pub get_change: usize,
    /// `DescribeAlarms`.
    pub describe_alarms: usize,
    /// `PutMetricData`.
    pub put_metric_data: usize,
    /// `GetMetricData`.
    pub get_metric_data: usize,
    /// `PutMetricAlarm`.
    pub put_metric_alarm: usize,
}

impl CallCounts {
    /// Calls that reach the Route 53 API (and its 5 requests/s account quota).
    pub fn route53(&self) -> usize {
        self.list_records + self.change_records + self.get_change
    }

    /// Calls that reach CloudWatch.
    pub fn cloudwatch(&self) -> usize {
        self.describe_alarms + self.put_metric_data + self.get_metric_data + self.put_metric_alarm
    }

    /// Field by field, `self` combined with `other` by `op`.
    pub fn zip_with(&self, other: &CallCounts, op: impl Fn(usize, usize) -> usize) -> CallCounts {
        CallCounts {
            list_records: op(self.list_records, other.list_records),
            change_records: op(self.change_records, other.change_records),
            get_change: op(self.get_change, other.get_change),
            describe_alarms: op(self.describe_alarms, other.describe_alarms),
            put_metric_data: op(self.put_metric_data, other.put_metric_data),
            get_metric_data: op(self.get_metric_data, other.get_metric_data),
            put_metric_alarm: op(self.put_metric_alarm, other.put_metric_alarm),
        }
    }

    /// The calls made since `before` was taken.
    pub fn since(&self, before: &CallCounts) -> CallCounts {
        self.zip_with(before, usize::saturating_sub)
    }
}

/// An adapter whose port calls are counted.
#[derive(Debug, Default)]
pub struct Counting<T> {
    inner: T,
    counts: Mutex<CallCounts>,
}

impl<T> Counting<T> {
    /// Counts the calls made through `inner`.
    pub fn new(inner: T) -> Self {
        Counting {
            inner,
            counts: Mutex::new(CallCounts::default()),
        }
    }

    /// The calls counted so far.
    pub fn calls(&self) -> CallCounts {
        self.counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The wrapped adapter.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    fn count(&self, field: impl FnOnce(&mut CallCounts) -> &mut usize) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        *field(&mut counts) += 1;
    }
}

impl<R: Route53Api> Route53Api for Counting<R> {
    async fn list_records(
        &self,
        zone: &str,
        start_name: &str,
        max_items: i32,
    ) -> Result<RecordPage, AwsError> {
        self.count(|c| &mut c.list_records);
        self.inner.list_records(zone, start_name, max_items).await
    }

    async fn change_records(
        &self,
        zone: &str,
        changes: &[Change],
        comment: &str,
    ) -> Result<String, ChangeError> {
        self.count(|c| &mut c.change_records);
        self.inner.change_records(zone, changes, comment).await
    }

    async fn change_in_sync(&self, change_id: &str) -> Result<bool, AwsError> {
        self.count(|c| &mut c.get_change);
        self.inner.change_in_sync(change_id).await
    }
}

impl<C: CloudWatchApi> CloudWatchApi for Counting<C> {
    async fn describe_alarms(
        &self,
        region: &str,
        names: &[String],
    ) -> Result<Vec<AlarmReading>, AwsError> {
        self.count(|c| &mut c.describe_alarms);
        self.inner.describe_alarms(region, names).await
    }

    async fn put_metric_data(
        &self,
        region: &str,
        namespace: &str,
        data: &[MetricDatum],
    ) -> Result<(), AwsError> {
        self.count(|c| &mut c.put_metric_data);
        self.inner.put_metric_data(region, namespace, data).await
    }

    async fn health_check_status(
        &self,
        check_ids: &[String],
        start: u64,
        end: u64,
    ) -> Result<BTreeMap<String, Vec<HealthSample>>, AwsError> {
        self.count(|c| &mut c.get_metric_data);
        self.inner.health_check_status(check_ids, start, end).await
    }

    async fn put_state_alarm(&self, region: &str, alarm: &StateAlarm) -> Result<(), AwsError> {
        self.count(|c| &mut c.put_metric_alarm);
        self.inner.put_state_alarm(region, alarm).await
    }
}
