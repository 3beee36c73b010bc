//! What every AWS-facing command needs: the validated configuration and a watcher built
//! on the SDK clients (the same ones the Lambda uses; `AWS_ENDPOINT_URL`, profiles and
//! regions are honoured by aws-config).

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_config::SdkConfig;
use regionflip_core::Config;
use regionflip_watcher::aws::{
    AwsClients, CloudWatchAdapter, Route53Adapter, SdkBudget, load_sdk_config,
};
use regionflip_watcher::journal::{Journal, TransitionRecord};
use regionflip_watcher::{Watcher, WatcherSettings};
use serde::Serialize;

use crate::args::GlobalArgs;
use crate::error::CliError;

/// The watcher the CLI drives.
pub(crate) type CliWatcher = Watcher<Route53Adapter, CloudWatchAdapter, StderrJournal>;

/// The transition record, one JSON line on standard error.
///
/// The Lambda writes the same line to standard output, where CloudWatch Logs collects
/// it. The CLI keeps standard output for its own answer (one JSON document with
/// `--json`), so the record goes to standard error, where it is still one parseable line
/// (and the `transition` field of the JSON answer carries it too).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct StderrJournal;

impl Journal for StderrJournal {
    fn record(&self, record: &TransitionRecord) {
        if let Ok(line) = serde_json::to_string(record) {
            // A failed write to stderr has nowhere better to be reported.
            let _ = writeln!(std::io::stderr().lock(), "{line}");
        }
    }
}

/// Reads and validates the configuration file.
pub(crate) fn load_config(global: &GlobalArgs) -> Result<Config, CliError> {
    let text = std::fs::read_to_string(&global.config).map_err(|source| CliError::ConfigFile {
        path: global.config.clone(),
        source,
    })?;
    let config = Config::from_toml_str(&text)?;
    // On stderr, so that `--json` output stays one document.
    for warning in config.warnings() {
        eprintln!("warning: {warning}");
    }
    Ok(config)
}

/// Loads the SDK configuration once per run (the watcher's loader: its timeouts and
/// retries), and fails once, with the SDK's own words, when no AWS credentials can be
/// found: every call would otherwise fail with the same error, once per call and region.
pub(crate) async fn load_sdk() -> Result<SdkConfig, CliError> {
    use aws_sdk_sts::config::ProvideCredentials;
    let sdk = load_sdk_config(SdkBudget::default()).await;
    let Some(provider) = sdk.credentials_provider() else {
        return Err(CliError::Failed(
            "no AWS credentials provider is configured; set AWS_PROFILE, or \
             AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
                .into(),
        ));
    };
    provider.provide_credentials().await.map_err(|e| {
        CliError::Failed(format!(
            "no AWS credentials could be loaded ({}); nothing was read. Set AWS_PROFILE \
             (and run aws sso login if it uses SSO), or AWS_ACCESS_KEY_ID and \
             AWS_SECRET_ACCESS_KEY",
            aws_sdk_sts::error::DisplayErrorContext(e)
        ))
    })?;
    Ok(sdk)
}

/// The configuration and a watcher on the SDK clients.
pub(crate) async fn load_watcher(global: &GlobalArgs) -> Result<CliWatcher, CliError> {
    Ok(load_session(global).await?.0)
}

/// [`load_watcher`], and the SDK configuration its clients were built from (for the
/// journal's clients: the same credentials, loaded once).
pub(crate) async fn load_session(global: &GlobalArgs) -> Result<(CliWatcher, SdkConfig), CliError> {
    let config = load_config(global)?;
    let sdk = load_sdk().await?;
    let regions: Vec<String> = config.regions.iter().map(|r| r.name.clone()).collect();
    let clients = AwsClients::from_sdk_config(&sdk, &regions);
    Ok((watcher_on(config, clients), sdk))
}

/// A watcher on given clients. Operator actions publish their metrics in the region the
/// operator's AWS configuration names (AWS_REGION), else in the home region.
pub(crate) fn watcher_on(config: Config, clients: AwsClients) -> CliWatcher {
    let metrics_region = std::env::var("AWS_REGION").unwrap_or_else(|_| config.home().name.clone());
    Watcher::new(
        config,
        clients.route53,
        clients.cloudwatch,
        StderrJournal,
        WatcherSettings::for_region(&metrics_region),
    )
}

/// The per-minute datapoints of regionflip's own metric `name` (dimension `Record`, the
/// record) in `region` between `start` and `end`, Unix seconds, with `statistic`: how the
/// drill reads its transition counts back and the doctor finds recent watcher passes.
pub(crate) async fn own_metric(
    cloudwatch: &CloudWatchAdapter,
    config: &Config,
    region: &str,
    name: &str,
    statistic: aws_sdk_cloudwatch::types::Statistic,
    (start, end): (u64, u64),
) -> Result<Vec<aws_sdk_cloudwatch::types::Datapoint>, String> {
    use aws_sdk_cloudwatch::primitives::DateTime;
    let secs = |t: u64| DateTime::from_secs(i64::try_from(t).unwrap_or(i64::MAX));
    let answer = cloudwatch
        .client(region)
        .map_err(|e| e.to_string())?
        .get_metric_statistics()
        .namespace(&config.metrics_namespace)
        .metric_name(name)
        .dimensions(
            aws_sdk_cloudwatch::types::Dimension::builder()
                .name(regionflip_core::resources::RECORD_DIMENSION)
                .value(config.record_name.trim_end_matches('.'))
                .build(),
        )
        .start_time(secs(start))
        .end_time(secs(end))
        .period(60)
        .statistics(statistic)
        .send()
        .await
        .map_err(|e| {
            format!(
                "GetMetricStatistics {name} in {region} failed: {}",
                aws_sdk_cloudwatch::error::DisplayErrorContext(e)
            )
        })?;
    Ok(answer.datapoints().to_vec())
}

/// The wall clock in Unix seconds: the `now` every pass and report is decided at.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Whether this process has printed its one `--json` document.
static JSON_PRINTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Prints one JSON document on standard output (the command's answer; at most one per
/// run: an error after it is reported on standard error only).
pub(crate) fn print_json<T: Serialize>(value: &T) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::Failed(format!("cannot write the JSON answer: {e}")))?;
    JSON_PRINTED.store(true, std::sync::atomic::Ordering::SeqCst);
    println!("{text}");
    Ok(())
}

/// Prints an already encoded JSON document as the one `--json` answer.
pub(crate) fn print_json_text(text: &str) {
    JSON_PRINTED.store(true, std::sync::atomic::Ordering::SeqCst);
    println!("{text}");
}

/// Whether the one `--json` document has been printed.
pub(crate) fn json_printed() -> bool {
    JSON_PRINTED.load(std::sync::atomic::Ordering::SeqCst)
}

/// Why nothing could be decided, when an AWS read that every decision needs failed: the
/// persisted state or the routing could not be read (the decision's reasons say so).
pub(crate) fn unreadable_essentials(decision: &regionflip_core::Decision) -> Option<String> {
    use regionflip_core::Reason;
    let why: Vec<String> = decision
        .reasons
        .iter()
        .filter(|r| {
            matches!(
                r,
                Reason::RoutingUnreadable { .. } | Reason::StateUnreadable { .. }
            )
        })
        .map(ToString::to_string)
        .collect();
    (!why.is_empty()).then(|| why.join("; "))
}

/// `1h 02m`, `3m 05s`, `12s`: a duration for people.
pub(crate) fn human_duration(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m {:02}s", secs / 60, secs % 60),
        3600..86_400 => format!("{}h {:02}m", secs / 3600, secs % 3600 / 60),
        _ => format!("{}d {:02}h", secs / 86_400, secs % 86_400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_at_a_glance() {
        assert_eq!(human_duration(0), "0s");
        assert_eq!(human_duration(59), "59s");
        assert_eq!(human_duration(185), "3m 05s");
        assert_eq!(human_duration(3720), "1h 02m");
        assert_eq!(human_duration(90_000), "1d 01h");
    }
}
