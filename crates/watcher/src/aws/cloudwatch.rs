//! [`CloudWatchApi`] over the AWS SDK's CloudWatch client, one client per region.
//!
//! CloudWatch is regional, and regionflip deliberately spreads its alarms and gate
//! metrics over several regions (a gate never lives in the region it gates), so every
//! call names its region and goes to that region's client. `AWS/Route53` metrics exist
//! only in us-east-1, so health-check status is always read there.

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::types as sdk;
use regionflip_core::resources::STATE_METRIC;

use super::{ROUTE53_HOME_REGION, classify, from_sdk_time, to_sdk_time};
use crate::ports::{
    AlarmReading, AlarmState, AwsError, CloudWatchApi, HealthSample, MetricDatum, MetricUnit,
    StateAlarm,
};

/// Most values `PutMetricData` accepts in one request.
pub(crate) const MAX_DATA_PER_PUT: usize = 1000;

/// Namespace where Route 53 publishes health-check metrics.
pub(crate) const ROUTE53_NAMESPACE: &str = "AWS/Route53";
/// Route 53's per-check health metric: its assessment of the endpoint (the checkers'
/// reports combined, after the failure threshold and the 18 % rule), 1 healthy,
/// 0 unhealthy. Published only in us-east-1, and late.
pub(crate) const HEALTH_CHECK_STATUS_METRIC: &str = "HealthCheckStatus";
/// Its dimension naming the health check.
pub(crate) const HEALTH_CHECK_ID_DIMENSION: &str = "HealthCheckId";

/// Route 53 publishes health-check metrics once a minute.
const HEALTH_PERIOD_SECONDS: i32 = 60;

/// CloudWatch through the SDK, one client per region.
#[derive(Debug, Clone)]
pub struct CloudWatchAdapter {
    clients: BTreeMap<String, Client>,
}

impl CloudWatchAdapter {
    /// Wraps one configured client per region, keyed by region name.
    pub fn new(clients: BTreeMap<String, Client>) -> Self {
        Self { clients }
    }

    /// The client for `region`, or [`AwsError::Unreachable`] when none was built (a
    /// region missing from the configuration cannot be reached, which is exactly how the
    /// reconciler should treat it).
    pub fn client(&self, region: &str) -> Result<&Client, AwsError> {
        self.clients
            .get(region)
            .ok_or_else(|| AwsError::Unreachable(format!("no client for region {region}")))
    }

    /// The regions this adapter has clients for.
    pub fn regions(&self) -> impl Iterator<Item = &str> {
        self.clients.keys().map(String::as_str)
    }
}

impl CloudWatchApi for CloudWatchAdapter {
    async fn describe_alarms(
        &self,
        region: &str,
        names: &[String],
    ) -> Result<Vec<AlarmReading>, AwsError> {
        // Without names DescribeAlarms lists every alarm in the account: never that.
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let output = self
            .client(region)?
            .describe_alarms()
            .set_alarm_names(Some(names.to_vec()))
            // Without AlarmTypes, DescribeAlarms answers metric alarms only: a composite
            // alarm named in `alarms` or `guards` would read as "does not exist" for
            // ever. Asking for both types needs `cloudwatch:DescribeAlarms` on "*"
            // (template.yaml, WatcherRole).
            .alarm_types(sdk::AlarmType::MetricAlarm)
            .alarm_types(sdk::AlarmType::CompositeAlarm)
            // The default page is 50; 100 is the most names one call may ask for, and
            // alarm names are unique in a region whatever the alarm's type, so every
            // alarm asked for fits in this one page.
            .max_records(100)
            .send()
            .await
            .map_err(|err| classify(&err))?;
        Ok(output
            .metric_alarms()
            .iter()
            .map(alarm_reading)
            .chain(output.composite_alarms().iter().map(composite_reading))
            .collect())
    }

    async fn put_metric_data(
        &self,
        region: &str,
        namespace: &str,
        data: &[MetricDatum],
    ) -> Result<(), AwsError> {
        let client = self.client(region)?;
        for chunk in data.chunks(MAX_DATA_PER_PUT) {
            client
                .put_metric_data()
                .namespace(namespace)
                .set_metric_data(Some(chunk.iter().map(sdk_datum).collect()))
                .send()
                .await
                .map_err(|err| classify(&err))?;
        }
        Ok(())
    }

    async fn health_check_status(
        &self,
        check_ids: &[String],
        start: u64,
        end: u64,
    ) -> Result<BTreeMap<String, Vec<HealthSample>>, AwsError> {
        // CloudWatch refuses an empty window, and no checks means nothing to ask.
        if check_ids.is_empty() || start >= end {
            return Ok(BTreeMap::new());
        }
        let output = self
            .client(ROUTE53_HOME_REGION)?
            .get_metric_data()
            .set_metric_data_queries(Some(
                check_ids
                    .iter()
                    .enumerate()
                    .map(|(index, check_id)| health_query(index, check_id))
                    .collect(),
            ))
            .start_time(to_sdk_time(start))
            .end_time(to_sdk_time(end))
            .scan_by(sdk::ScanBy::TimestampAscending)
            .send()
            .await
            .map_err(|err| classify(&err))?;
        if output.next_token().is_some() {
            // One page holds 100,800 datapoints, so only a window of days over hundreds
            // of checks gets here; the watcher asks for minutes. Say so rather than
            // spend a second call of the pass's budget on it.
            tracing::warn!(
                checks = check_ids.len(),
                start,
                end,
                "GetMetricData returned more than one page; later datapoints are missing"
            );
        }
        let mut statuses = BTreeMap::new();
        for result in output.metric_data_results() {
            let Some(check_id) = result
                .id()
                .and_then(query_index)
                .and_then(|index| check_ids.get(index))
            else {
                continue;
            };
            let mut samples = result
                .timestamps()
                .iter()
                .zip(result.values())
                .map(|(at, value)| HealthSample {
                    at: from_sdk_time(at),
                    value: *value,
                })
                .collect::<Vec<_>>();
            if samples.is_empty() {
                continue;
            }
            samples.sort_by_key(|sample| sample.at);
            statuses.insert(check_id.clone(), samples);
        }
        Ok(statuses)
    }

    async fn put_state_alarm(&self, region: &str, alarm: &StateAlarm) -> Result<(), AwsError> {
        // The alarm only stores the engine state in its description. Its metric is never
        // published and missing data is not breaching, so it stays quiet, and with
        // actions disabled it could not page anyone even if it did change state.
        self.client(region)?
            .put_metric_alarm()
            .alarm_name(&alarm.name)
            .alarm_description(&alarm.description)
            .namespace(&alarm.namespace)
            .metric_name(STATE_METRIC)
            .statistic(sdk::Statistic::Minimum)
            .period(60)
            .evaluation_periods(1)
            .threshold(0.0)
            .comparison_operator(sdk::ComparisonOperator::LessThanThreshold)
            .treat_missing_data("notBreaching")
            .actions_enabled(false)
            .send()
            .await
            .map_err(|err| classify(&err))?;
        Ok(())
    }
}

/// The reading of one metric alarm.
fn alarm_reading(alarm: &sdk::MetricAlarm) -> AlarmReading {
    reading(
        alarm.alarm_name(),
        alarm.state_value(),
        alarm.state_transitioned_timestamp(),
        alarm.state_updated_timestamp(),
        alarm.alarm_description(),
    )
}

/// The reading of one composite alarm: the same fields as a metric alarm's, read the
/// same way. A composite alarm's state is its rule over other alarms' states; the
/// watcher reads the result, never the rule.
fn composite_reading(alarm: &sdk::CompositeAlarm) -> AlarmReading {
    reading(
        alarm.alarm_name(),
        alarm.state_value(),
        alarm.state_transitioned_timestamp(),
        alarm.state_updated_timestamp(),
        alarm.alarm_description(),
    )
}

/// One alarm's reading from the fields both alarm types share.
fn reading(
    name: Option<&str>,
    state: Option<&sdk::StateValue>,
    transitioned: Option<&aws_smithy_types::DateTime>,
    updated: Option<&aws_smithy_types::DateTime>,
    description: Option<&str>,
) -> AlarmReading {
    AlarmReading {
        name: name.unwrap_or_default().to_owned(),
        state: match state {
            Some(sdk::StateValue::Ok) => AlarmState::Ok,
            Some(sdk::StateValue::Alarm) => AlarmState::Alarm,
            // INSUFFICIENT_DATA, and any state a newer API might add: no verdict.
            _ => AlarmState::InsufficientData,
        },
        // StateTransitionedTimestamp changes only with the state value; the updated
        // timestamp also moves when only the reason changes, so it is the fallback
        // (moto returns only that one).
        since: transitioned.or(updated).map(from_sdk_time),
        description: description.map(str::to_owned),
    }
}

/// The SDK form of one value.
fn sdk_datum(datum: &MetricDatum) -> sdk::MetricDatum {
    sdk::MetricDatum::builder()
        .metric_name(&datum.name)
        .set_dimensions(Some(
            datum
                .dimensions
                .iter()
                .map(|(name, value)| sdk::Dimension::builder().name(name).value(value).build())
                .collect(),
        ))
        .value(datum.value)
        .unit(match datum.unit {
            MetricUnit::Count => sdk::StandardUnit::Count,
            MetricUnit::Seconds => sdk::StandardUnit::Seconds,
            MetricUnit::Milliseconds => sdk::StandardUnit::Milliseconds,
            MetricUnit::None => sdk::StandardUnit::None,
        })
        .timestamp(to_sdk_time(datum.timestamp))
        .build()
}

/// The `GetMetricData` query for one health check. Query ids must start with a lowercase
/// letter and be unique in the request, so they are built from the check's position
/// (`hc0`, `hc1`, …) rather than from the check id, which may start with a digit.
fn health_query(index: usize, check_id: &str) -> sdk::MetricDataQuery {
    let metric = sdk::Metric::builder()
        .namespace(ROUTE53_NAMESPACE)
        .metric_name(HEALTH_CHECK_STATUS_METRIC)
        .dimensions(
            sdk::Dimension::builder()
                .name(HEALTH_CHECK_ID_DIMENSION)
                .value(check_id)
                .build(),
        )
        .build();
    sdk::MetricDataQuery::builder()
        .id(format!("hc{index}"))
        .metric_stat(
            sdk::MetricStat::builder()
                .metric(metric)
                .period(HEALTH_PERIOD_SECONDS)
                // Minimum over the checkers: one unhealthy report makes the minute
                // unhealthy, the conservative reading for deciding to fail over.
                .stat("Minimum")
                .build(),
        )
        .return_data(true)
        .build()
}

/// The position encoded in a query id built by [`health_query`].
fn query_index(query_id: &str) -> Option<usize> {
    query_id.strip_prefix("hc")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_ids_are_valid_and_map_back() {
        let query = health_query(12, "0a1b2c3d-health-check");
        let id = query.id().expect("an id");
        assert!(id.starts_with(|c: char| c.is_ascii_lowercase()));
        assert_eq!(query_index(id), Some(12));
        assert_eq!(query_index("other"), None);
        assert_eq!(query_index("hcx"), None);
    }

    #[test]
    fn transition_time_wins_over_update_time() {
        let alarm = sdk::MetricAlarm::builder()
            .alarm_name("gate")
            .state_value(sdk::StateValue::Alarm)
            .state_updated_timestamp(to_sdk_time(200))
            .state_transitioned_timestamp(to_sdk_time(100))
            .build();
        assert_eq!(alarm_reading(&alarm).since, Some(100));
        let moto_alarm = sdk::MetricAlarm::builder()
            .alarm_name("gate")
            .state_value(sdk::StateValue::Ok)
            .state_updated_timestamp(to_sdk_time(200))
            .build();
        let reading = alarm_reading(&moto_alarm);
        assert_eq!(reading.since, Some(200));
        assert_eq!(reading.state, AlarmState::Ok);
    }

    #[test]
    fn a_composite_alarm_reads_like_a_metric_alarm() {
        let composite = sdk::CompositeAlarm::builder()
            .alarm_name("api-down")
            .alarm_rule("ALARM(api-errors) AND ALARM(api-latency)")
            .alarm_description("the API is failing")
            .state_value(sdk::StateValue::Alarm)
            .state_updated_timestamp(to_sdk_time(200))
            .state_transitioned_timestamp(to_sdk_time(100))
            .build();
        assert_eq!(
            composite_reading(&composite),
            AlarmReading {
                name: "api-down".into(),
                state: AlarmState::Alarm,
                since: Some(100),
                description: Some("the API is failing".into()),
            }
        );
        let updated_only = sdk::CompositeAlarm::builder()
            .alarm_name("api-down")
            .state_value(sdk::StateValue::InsufficientData)
            .state_updated_timestamp(to_sdk_time(200))
            .build();
        let reading = composite_reading(&updated_only);
        assert_eq!(reading.since, Some(200));
        assert_eq!(reading.state, AlarmState::InsufficientData);
    }

    #[tokio::test]
    async fn a_region_without_a_client_is_unreachable() {
        let adapter = CloudWatchAdapter::new(BTreeMap::new());
        let result = adapter
            .describe_alarms("eu-west-1", &["gate".to_owned()])
            .await;
        assert_eq!(
            result,
            Err(AwsError::Unreachable(
                "no client for region eu-west-1".into()
            ))
        );
    }
}
