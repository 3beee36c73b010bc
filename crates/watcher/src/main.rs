//! The watcher Lambda's entry point: configuration and clients once per cold start, then
//! one reconcile pass per invocation (see `handler.rs`).

// The handler future nests the SDK's deeply generic futures; computing its layout
// needs more than the default query depth.
#![recursion_limit = "256"]

use std::time::{SystemTime, UNIX_EPOCH};

use lambda_runtime::{Error, LambdaEvent, service_fn};
use regionflip_core::Config;
use regionflip_watcher::aws::{SdkBudget, load_clients};
use regionflip_watcher::handler::handle;
use regionflip_watcher::journal::StdoutJournal;
use regionflip_watcher::{Watcher, WatcherSettings};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    // Honours AWS_LAMBDA_LOG_FORMAT (Text/JSON) and AWS_LAMBDA_LOG_LEVEL.
    lambda_runtime::tracing::init_default_subscriber();

    // A bad configuration must stop the cold start with every problem named, not
    // surface later as a wrong decision.
    let config = Config::from_env(std::env::vars()).map_err(|errors| {
        tracing::error!("{errors}");
        errors
    })?;
    let region = std::env::var("AWS_REGION").unwrap_or_else(|_| config.home().name.clone());
    let mut settings = WatcherSettings::for_region(&region);
    // One watcher runs in every region; in gate mode only the duty region's acts.
    settings.runs_in = Some(region.clone());
    let regions: Vec<String> = config.regions.iter().map(|r| r.name.clone()).collect();
    let clients = load_clients(&regions, SdkBudget::default()).await;
    for warning in config.warnings() {
        tracing::warn!(key = %warning.key, "configuration: {warning}");
    }
    tracing::info!(record = %config.record_name, mode = config.mode.as_str(), %region, "watcher ready");

    let watcher = Watcher::new(
        config,
        clients.route53,
        clients.cloudwatch,
        StdoutJournal,
        settings,
    );
    let watcher = &watcher;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handle(watcher, event, unix_now()).await
    }))
    .await
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
