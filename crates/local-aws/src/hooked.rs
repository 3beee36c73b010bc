//! The one decorator: [`Hooked`] wraps any adapter behind the watcher's and `init`'s ports
//! and lets a [`Hook`] see every call before and after it is made.
//!
//! Tests, the drill and the benchmarks need to count calls, inject faults, lose answers,
//! reorder concurrent watchers and replace one reading. Each of those is a small hook;
//! the forwarding of every port method is written once, here. A hook sees a [`Call`]
//! (the operation and its arguments, borrowed) and may:
//!
//! * **before** the call: wait (interleaving), count, or refuse it with an error, in
//!   which case the wrapped adapter is never called ([`Before::Fail`]);
//! * **after** the call: inspect and rewrite what the caller sees ([`Reply`]) — a lost
//!   answer turns a committed write into an error; the drill answers
//!   `HealthCheckStatus` from its simulated checkers.
//!
//! Hooks compose as tuples: `(CallCounter, Faults)` counts every call, refused ones
//! included, then injects faults.

use std::collections::BTreeMap;
use std::future::Future;

use regionflip_core::Change;
use regionflip_provision::{
    CheckConfig, GateAlarm, GateAlarmApi, HealthCheckApi, HealthCheckInfo, NewHealthCheck,
};
use regionflip_watcher::ports::{
    AlarmReading, AwsError, ChangeError, CloudWatchApi, HealthSample, MetricDatum, RecordPage,
    Route53Api, StateAlarm,
};

/// The AWS operation a port call makes (one call is one request).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operation {
    /// Route 53 `ListResourceRecordSets`.
    ListResourceRecordSets,
    /// Route 53 `ChangeResourceRecordSets`.
    ChangeResourceRecordSets,
    /// Route 53 `GetChange`.
    GetChange,
    /// Route 53 `ListHealthChecks`.
    ListHealthChecks,
    /// Route 53 `CreateHealthCheck`.
    CreateHealthCheck,
    /// Route 53 `UpdateHealthCheck`.
    UpdateHealthCheck,
    /// Route 53 `DeleteHealthCheck`.
    DeleteHealthCheck,
    /// Route 53 `ListTagsForResources`.
    ListTagsForResources,
    /// Route 53 `ChangeTagsForResource`.
    ChangeTagsForResource,
    /// CloudWatch `DescribeAlarms`.
    DescribeAlarms,
    /// CloudWatch `PutMetricData`.
    PutMetricData,
    /// CloudWatch `GetMetricData` (`AWS/Route53 HealthCheckStatus`, in us-east-1).
    GetMetricData,
    /// CloudWatch `PutMetricAlarm` (state holders and gate alarms).
    PutMetricAlarm,
    /// CloudWatch `DeleteAlarms`.
    DeleteAlarms,
}

impl Operation {
    /// Whether the operation goes to Route 53's control plane (and its 5 requests/s
    /// account quota), rather than to CloudWatch.
    pub fn is_route53(self) -> bool {
        matches!(
            self,
            Operation::ListResourceRecordSets
                | Operation::ChangeResourceRecordSets
                | Operation::GetChange
                | Operation::ListHealthChecks
                | Operation::CreateHealthCheck
                | Operation::UpdateHealthCheck
                | Operation::DeleteHealthCheck
                | Operation::ListTagsForResources
                | Operation::ChangeTagsForResource
        )
    }
}

/// The region that answers `GetMetricData` for `AWS/Route53` metrics.
const ROUTE53_METRICS_REGION: &str = "us-east-1";

/// One port call with its arguments, as a hook sees it.
#[derive(Debug, Clone, Copy)]
#[allow(missing_docs)] // The fields are the port methods' arguments, documented there.
pub enum Call<'a> {
    ListRecords {
        zone: &'a str,
        start_name: &'a str,
        max_items: i32,
    },
    ChangeRecords {
        zone: &'a str,
        changes: &'a [Change],
        comment: &'a str,
    },
    ChangeInSync {
        change_id: &'a str,
    },
    ListHealthChecks,
    CreateHealthCheck {
        check: &'a NewHealthCheck,
    },
    UpdateHealthCheck {
        id: &'a str,
        config: &'a CheckConfig,
    },
    DeleteHealthCheck {
        id: &'a str,
    },
    HealthCheckTags {
        ids: &'a [String],
    },
    TagHealthCheck {
        id: &'a str,
        tags: &'a BTreeMap<String, String>,
    },
    DescribeAlarms {
        region: &'a str,
        names: &'a [String],
    },
    PutMetricData {
        region: &'a str,
        namespace: &'a str,
        data: &'a [MetricDatum],
    },
    HealthCheckStatus {
        check_ids: &'a [String],
        start: u64,
        end: u64,
    },
    PutStateAlarm {
        region: &'a str,
        alarm: &'a StateAlarm,
    },
    PutGateAlarm {
        region: &'a str,
        alarm: &'a GateAlarm,
    },
    DeleteAlarms {
        region: &'a str,
        names: &'a [String],
    },
}

impl Call<'_> {
    /// The AWS operation this call makes.
    pub fn operation(&self) -> Operation {
        match self {
            Call::ListRecords { .. } => Operation::ListResourceRecordSets,
            Call::ChangeRecords { .. } => Operation::ChangeResourceRecordSets,
            Call::ChangeInSync { .. } => Operation::GetChange,
            Call::ListHealthChecks => Operation::ListHealthChecks,
            Call::CreateHealthCheck { .. } => Operation::CreateHealthCheck,
            Call::UpdateHealthCheck { .. } => Operation::UpdateHealthCheck,
            Call::DeleteHealthCheck { .. } => Operation::DeleteHealthCheck,
            Call::DeleteAlarms { .. } => Operation::DeleteAlarms,
            Call::HealthCheckTags { .. } => Operation::ListTagsForResources,
            Call::TagHealthCheck { .. } => Operation::ChangeTagsForResource,
            Call::DescribeAlarms { .. } => Operation::DescribeAlarms,
            Call::PutMetricData { .. } => Operation::PutMetricData,
            Call::HealthCheckStatus { .. } => Operation::GetMetricData,
            Call::PutStateAlarm { .. } | Call::PutGateAlarm { .. } => Operation::PutMetricAlarm,
        }
    }

    /// The CloudWatch region the call goes to; `None` for Route 53, which is global.
    pub fn region(&self) -> Option<&str> {
        match self {
            Call::DescribeAlarms { region, .. }
            | Call::PutMetricData { region, .. }
            | Call::PutStateAlarm { region, .. }
            | Call::PutGateAlarm { region, .. }
            | Call::DeleteAlarms { region, .. } => Some(region),
            Call::HealthCheckStatus { .. } => Some(ROUTE53_METRICS_REGION),
            _ => None,
        }
    }
}

/// What a hook decides before a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Before {
    /// Make the call.
    Proceed,
    /// Do not make it; the caller gets this error. A [`ChangeError::Conflict`] aimed at
    /// an operation other than a change batch arrives as an `InvalidChangeBatch`
    /// service error.
    Fail(ChangeError),
}

/// What the caller of a call that was made will see; a hook may rewrite it.
#[derive(Debug)]
#[allow(missing_docs)] // One variant per result type of the ports.
pub enum Reply<'r> {
    Records(&'r mut Result<RecordPage, AwsError>),
    Change(&'r mut Result<String, ChangeError>),
    InSync(&'r mut Result<bool, AwsError>),
    HealthChecks(&'r mut Result<Vec<HealthCheckInfo>, AwsError>),
    CheckId(&'r mut Result<String, AwsError>),
    Tags(&'r mut Result<BTreeMap<String, BTreeMap<String, String>>, AwsError>),
    Alarms(&'r mut Result<Vec<AlarmReading>, AwsError>),
    Done(&'r mut Result<(), AwsError>),
    HealthStatus(&'r mut Result<BTreeMap<String, Vec<HealthSample>>, AwsError>),
}

impl Reply<'_> {
    /// Whether the call succeeded.
    pub fn is_ok(&self) -> bool {
        match self {
            Reply::Records(r) => r.is_ok(),
            Reply::Change(r) => r.is_ok(),
            Reply::InSync(r) => r.is_ok(),
            Reply::HealthChecks(r) => r.is_ok(),
            Reply::CheckId(r) => r.is_ok(),
            Reply::Tags(r) => r.is_ok(),
            Reply::Alarms(r) => r.is_ok(),
            Reply::Done(r) => r.is_ok(),
            Reply::HealthStatus(r) => r.is_ok(),
        }
    }

    /// Replaces the answer with `error`, whatever the call did (a lost answer).
    pub fn fail(&mut self, error: ChangeError) {
        match self {
            Reply::Change(r) => **r = Err(error),
            Reply::Records(r) => **r = Err(as_aws(error)),
            Reply::InSync(r) => **r = Err(as_aws(error)),
            Reply::HealthChecks(r) => **r = Err(as_aws(error)),
            Reply::CheckId(r) => **r = Err(as_aws(error)),
            Reply::Tags(r) => **r = Err(as_aws(error)),
            Reply::Alarms(r) => **r = Err(as_aws(error)),
            Reply::Done(r) => **r = Err(as_aws(error)),
            Reply::HealthStatus(r) => **r = Err(as_aws(error)),
        }
    }
}

/// The error an operation other than a change batch reports for `error`.
fn as_aws(error: ChangeError) -> AwsError {
    match error {
        ChangeError::Aws(error) => error,
        ChangeError::Conflict(message) => AwsError::Service {
            code: "InvalidChangeBatch".into(),
            message,
        },
    }
}

/// Sees every call a [`Hooked`] adapter makes. Both methods default to doing nothing.
pub trait Hook: Send + Sync {
    /// Runs before the call; may wait, count, or refuse it.
    fn before(&self, call: &Call<'_>) -> impl Future<Output = Before> + Send {
        let _ = call;
        async { Before::Proceed }
    }

    /// Runs after a call that was made; may rewrite its reply.
    fn after(&self, call: &Call<'_>, reply: Reply<'_>) -> impl Future<Output = ()> + Send {
        let _ = (call, reply);
        async {}
    }
}

/// Two hooks: the first's `before` runs first, and a refusal by it skips the second's.
impl<A: Hook, B: Hook> Hook for (A, B) {
    async fn before(&self, call: &Call<'_>) -> Before {
        match self.0.before(call).await {
            Before::Proceed => self.1.before(call).await,
            refused => refused,
        }
    }

    async fn after(&self, call: &Call<'_>, mut reply: Reply<'_>) {
        self.0.after(call, reply.reborrow()).await;
        self.1.after(call, reply).await;
    }
}

impl Reply<'_> {
    /// The same reply, borrowed again, so that several hooks can see it in turn.
    pub fn reborrow(&mut self) -> Reply<'_> {
        match self {
            Reply::Records(r) => Reply::Records(r),
            Reply::Change(r) => Reply::Change(r),
            Reply::InSync(r) => Reply::InSync(r),
            Reply::HealthChecks(r) => Reply::HealthChecks(r),
            Reply::CheckId(r) => Reply::CheckId(r),
            Reply::Tags(r) => Reply::Tags(r),
            Reply::Alarms(r) => Reply::Alarms(r),
            Reply::Done(r) => Reply::Done(r),
            Reply::HealthStatus(r) => Reply::HealthStatus(r),
        }
    }
}

/// An adapter whose every port call passes through `hook`.
#[derive(Debug, Clone, Default)]
pub struct Hooked<T, H> {
    inner: T,
    hook: H,
}

impl<T, H> Hooked<T, H> {
    /// Wraps `inner`.
    pub fn new(inner: T, hook: H) -> Self {
        Hooked { inner, hook }
    }

    /// The wrapped adapter.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// The hook.
    pub fn hook(&self) -> &H {
        &self.hook
    }
}

/// Reads through to the wrapped model's own methods (set-up and read-back, such as
/// `MemoryRoute53::records`), which are not AWS calls and bypass the hook.
impl<T, H> std::ops::Deref for Hooked<T, H> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.inner
    }
}

/// Forwards one call: `before`, the call itself (unless refused), `after`.
macro_rules! hooked_call {
    ($self:ident, $call:expr, $variant:ident, $error:expr, $inner:expr) => {{
        let call = $call;
        let mut result = match $self.hook.before(&call).await {
            Before::Proceed => $inner.await,
            Before::Fail(error) => return Err($error(error)),
        };
        $self.hook.after(&call, Reply::$variant(&mut result)).await;
        result
    }};
}

impl<T: Route53Api, H: Hook> Route53Api for Hooked<T, H> {
    async fn list_records(
        &self,
        zone: &str,
        start_name: &str,
        max_items: i32,
    ) -> Result<RecordPage, AwsError> {
        hooked_call!(
            self,
            Call::ListRecords {
                zone,
                start_name,
                max_items
            },
            Records,
            as_aws,
            self.inner.list_records(zone, start_name, max_items)
        )
    }

    async fn change_records(
        &self,
        zone: &str,
        changes: &[Change],
        comment: &str,
    ) -> Result<String, ChangeError> {
        hooked_call!(
            self,
            Call::ChangeRecords {
                zone,
                changes,
                comment
            },
            Change,
            std::convert::identity,
            self.inner.change_records(zone, changes, comment)
        )
    }

    async fn change_in_sync(&self, change_id: &str) -> Result<bool, AwsError> {
        hooked_call!(
            self,
            Call::ChangeInSync { change_id },
            InSync,
            as_aws,
            self.inner.change_in_sync(change_id)
        )
    }
}

impl<T: CloudWatchApi, H: Hook> CloudWatchApi for Hooked<T, H> {
    async fn describe_alarms(
        &self,
        region: &str,
        names: &[String],
    ) -> Result<Vec<AlarmReading>, AwsError> {
        hooked_call!(
            self,
            Call::DescribeAlarms { region, names },
            Alarms,
            as_aws,
            self.inner.describe_alarms(region, names)
        )
    }

    async fn put_metric_data(
        &self,
        region: &str,
        namespace: &str,
        data: &[MetricDatum],
    ) -> Result<(), AwsError> {
        hooked_call!(
            self,
            Call::PutMetricData {
                region,
                namespace,
                data
            },
            Done,
            as_aws,
            self.inner.put_metric_data(region, namespace, data)
        )
    }

    async fn health_check_status(
        &self,
        check_ids: &[String],
        start: u64,
        end: u64,
    ) -> Result<BTreeMap<String, Vec<HealthSample>>, AwsError> {
        hooked_call!(
            self,
            Call::HealthCheckStatus {
                check_ids,
                start,
                end
            },
            HealthStatus,
            as_aws,
            self.inner.health_check_status(check_ids, start, end)
        )
    }

    async fn put_state_alarm(&self, region: &str, alarm: &StateAlarm) -> Result<(), AwsError> {
        hooked_call!(
            self,
            Call::PutStateAlarm { region, alarm },
            Done,
            as_aws,
            self.inner.put_state_alarm(region, alarm)
        )
    }
}

impl<T: HealthCheckApi, H: Hook> HealthCheckApi for Hooked<T, H> {
    async fn list_health_checks(&self) -> Result<Vec<HealthCheckInfo>, AwsError> {
        hooked_call!(
            self,
            Call::ListHealthChecks,
            HealthChecks,
            as_aws,
            self.inner.list_health_checks()
        )
    }

    async fn create_health_check(&self, check: &NewHealthCheck) -> Result<String, AwsError> {
        hooked_call!(
            self,
            Call::CreateHealthCheck { check },
            CheckId,
            as_aws,
            self.inner.create_health_check(check)
        )
    }

    async fn update_health_check(&self, id: &str, config: &CheckConfig) -> Result<(), AwsError> {
        hooked_call!(
            self,
            Call::UpdateHealthCheck { id, config },
            Done,
            as_aws,
            self.inner.update_health_check(id, config)
        )
    }

    async fn health_check_tags(
        &self,
        ids: &[String],
    ) -> Result<BTreeMap<String, BTreeMap<String, String>>, AwsError> {
        hooked_call!(
            self,
            Call::HealthCheckTags { ids },
            Tags,
            as_aws,
            self.inner.health_check_tags(ids)
        )
    }

    async fn tag_health_check(
        &self,
        id: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), AwsError> {
        hooked_call!(
            self,
            Call::TagHealthCheck { id, tags },
            Done,
            as_aws,
            self.inner.tag_health_check(id, tags)
        )
    }

    async fn delete_health_check(&self, id: &str) -> Result<(), AwsError> {
        hooked_call!(
            self,
            Call::DeleteHealthCheck { id },
            Done,
            as_aws,
            self.inner.delete_health_check(id)
        )
    }
}

impl<T: GateAlarmApi, H: Hook> GateAlarmApi for Hooked<T, H> {
    async fn put_gate_alarm(&self, region: &str, alarm: &GateAlarm) -> Result<(), AwsError> {
        hooked_call!(
            self,
            Call::PutGateAlarm { region, alarm },
            Done,
            as_aws,
            self.inner.put_gate_alarm(region, alarm)
        )
    }

    async fn delete_alarms(&self, region: &str, names: &[String]) -> Result<(), AwsError> {
        hooked_call!(
            self,
            Call::DeleteAlarms { region, names },
            Done,
            as_aws,
            self.inner.delete_alarms(region, names)
        )
    }
}
