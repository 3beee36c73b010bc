//! Seeding moto through the SDK: hosted zones, alarms, alarm states and `AWS/Route53`
//! datapoints that in real AWS only Route 53 would publish.
//!
//! Tests build [`AwsClients`] against their own [`MotoServer`] exactly as the watcher
//! builds them in production (only the endpoint and the dummy credentials differ).
//! Every helper panics on failure: it is set-up, and a test cannot go on without it.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit, StateValue};
use aws_smithy_types::DateTime;
use regionflip_watcher::aws::{AwsClients, ROUTE53_HOME_REGION, SdkBudget};

use crate::moto::MotoServer;

/// A second region, so tests can tell regional clients apart.
pub const OTHER_REGION: &str = "eu-west-1";

/// Clients against `server` for us-east-1 and [`OTHER_REGION`], with dummy credentials
/// and the production budget.
pub async fn clients(server: &MotoServer) -> AwsClients {
    let regions = [ROUTE53_HOME_REGION.to_owned(), OTHER_REGION.to_owned()];
    AwsClients::for_endpoint(&server.endpoint(), &regions, SdkBudget::default()).await
}

/// Creates a public hosted zone for `name` and returns its id without the
/// `/hostedzone/` prefix, the form a configuration holds.
pub async fn create_zone(clients: &AwsClients, name: &str) -> String {
    let output = clients
        .route53
        .client()
        .create_hosted_zone()
        .name(name)
        .caller_reference(format!("regionflip-test-{name}"))
        .send()
        .await
        .expect("CreateHostedZone");
    let id = output.hosted_zone().expect("a hosted zone").id();
    id.trim_start_matches("/hostedzone/").to_owned()
}

/// Creates a metric alarm `name` in `region`, on a test metric nobody publishes.
pub async fn create_alarm(clients: &AwsClients, region: &str, name: &str) {
    clients
        .cloudwatch
        .client(region)
        .expect("a client for the region")
        .put_metric_alarm()
        .alarm_name(name)
        .namespace("regionflip/test")
        .metric_name("Errors")
        .statistic(aws_sdk_cloudwatch::types::Statistic::Sum)
        .period(60)
        .evaluation_periods(1)
        .threshold(1.0)
        .comparison_operator(
            aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanOrEqualToThreshold,
        )
        .send()
        .await
        .expect("PutMetricAlarm");
}

/// Forces an alarm's state (moto never evaluates alarms).
pub async fn set_alarm_state(clients: &AwsClients, region: &str, name: &str, state: StateValue) {
    clients
        .cloudwatch
        .client(region)
        .expect("a client for the region")
        .set_alarm_state()
        .alarm_name(name)
        .state_value(state)
        .state_reason("set by a test")
        .send()
        .await
        .expect("SetAlarmState");
}

/// Publishes `AWS/Route53 HealthCheckStatus` values for `check_id` in us-east-1, as
/// Route 53's checkers would: `(unix seconds, 1.0 healthy or 0.0 unhealthy)`.
pub async fn publish_health_status(clients: &AwsClients, check_id: &str, reports: &[(u64, f64)]) {
    let data = reports
        .iter()
        .map(|(at, value)| {
            MetricDatum::builder()
                .metric_name("HealthCheckStatus")
                .dimensions(
                    Dimension::builder()
                        .name("HealthCheckId")
                        .value(check_id)
                        .build(),
                )
                .value(*value)
                .unit(StandardUnit::None)
                .timestamp(DateTime::from_secs(
                    i64::try_from(*at).expect("a plausible time"),
                ))
                .build()
        })
        .collect();
    clients
        .cloudwatch
        .client(ROUTE53_HOME_REGION)
        .expect("a us-east-1 client")
        .put_metric_data()
        .namespace("AWS/Route53")
        .set_metric_data(Some(data))
        .send()
        .await
        .expect("PutMetricData into AWS/Route53");
}

/// The start of the minute `minutes_ago` minutes before now, in Unix seconds. Tests
/// publish into whole minutes in the recent past, where CloudWatch (and moto) bucket
/// per-minute statistics.
pub fn minute_start(minutes_ago: u64) -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs();
    (now / 60 - minutes_ago) * 60
}

/// Now, in Unix seconds.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs()
}
