//! What the drill reads back from the emulator once the scenario is over: regionflip's
//! `Failover` and `Failback` metrics, with `GetMetricStatistics`, as a dashboard would.
//!
//! The only I/O of the drill's findings; the analysis compares what is read here with
//! the transitions the timeline recorded.

use aws_sdk_cloudwatch::types::Statistic;
use regionflip_core::Config;
use regionflip_watcher::aws::AwsClients;
use serde::Serialize;

use super::timeline::unix_now;
use crate::context::own_metric;

/// `Failover` and `Failback` sums from the emulator.
#[derive(Debug, Default, Serialize)]
pub(crate) struct MetricsReadBack {
    /// Sum of `Failover`.
    pub(crate) failover: Option<f64>,
    /// Sum of `Failback`.
    pub(crate) failback: Option<f64>,
    /// Why they could not be read.
    pub(crate) error: Option<String>,
}

/// Reads regionflip's transition counts back from the emulator, as a dashboard would.
pub(crate) async fn read_back_metrics(
    clients: &AwsClients,
    config: &Config,
    metrics_region: &str,
    since_unix: f64,
) -> MetricsReadBack {
    let mut found = MetricsReadBack::default();
    for name in ["Failover", "Failback"] {
        match metric_sum(clients, config, metrics_region, name, since_unix).await {
            Ok(sum) if name == "Failover" => found.failover = Some(sum),
            Ok(sum) => found.failback = Some(sum),
            Err(e) => found.error = Some(e),
        }
    }
    found
}

async fn metric_sum(
    clients: &AwsClients,
    config: &Config,
    region: &str,
    name: &str,
    since_unix: f64,
) -> Result<f64, String> {
    let start = (since_unix as u64).saturating_sub(120);
    let end = unix_now() + 120;
    let points = own_metric(
        &clients.cloudwatch,
        config,
        region,
        name,
        Statistic::Sum,
        (start, end),
    )
    .await?;
    Ok(points.iter().filter_map(|d| d.sum()).sum())
}
