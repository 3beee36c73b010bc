//! Sets the emulator up the way a real deployment is set up.
//!
//! A deployment has two creators (see `regionflip_provision`): each region's SAM
//! stack creates what belongs to that region — its health endpoint, the endpoint's
//! `HTTPS_STR_MATCH` check and the API's alarms — and `regionflip init` creates what
//! spans regions: the failover pair, the state, the gates and their checks. The drill
//! plays the stacks here (the endpoints are local processes, so their checks point at
//! 127.0.0.1 over HTTP; moto, unlike Route 53, accepts loopback addresses), writes the
//! configuration a user would write, and then calls init's own library function.

use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic};
use aws_sdk_route53::types::{HealthCheckConfig, HealthCheckType};
use regionflip_core::{Config, Mode};
use regionflip_provision as provision;
use regionflip_watcher::aws::AwsClients;

use super::endpoint::{HEALTH_PATH, HealthEndpoint};
use super::timeline::{Timeline, unix_now};
use super::timings::Timings;
use crate::error::CliError;

/// The API alarm each region's stack creates, and the drill sets for a gray failure.
pub(crate) const API_ALARM: &str = "drill-api-5xx-rate";
/// The string the endpoints serve and their checks search for.
pub(crate) const MATCH_STRING: &str = "regionflip-healthy";
/// Route 53's request interval for the endpoint checks (the checkers run compressed).
const REQUEST_INTERVAL_SECS: i32 = 10;

/// Names of what the drill creates.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    /// The hosted zone.
    pub(crate) zone: String,
    /// The record users resolve.
    pub(crate) record: String,
    /// The regions, home first.
    pub(crate) regions: Vec<String>,
}

impl Layout {
    /// The drill's names, for `regions` regions (home first). On a shared emulator (`AWS_ENDPOINT_URL`) the record carries
    /// the run's start time, so alarms and checks of earlier runs are never reused.
    pub(crate) fn new(shared_emulator: bool, regions: usize) -> Layout {
        let record = if shared_emulator {
            format!("api-{}.drill.example.com", unix_now())
        } else {
            "api.drill.example.com".to_string()
        };
        Layout {
            zone: "drill.example.com".into(),
            record,
            regions: ["us-east-1", "us-west-2", "eu-west-1"]
                .iter()
                .take(regions)
                .map(|r| r.to_string())
                .collect(),
        }
    }
}

/// The configuration the drill runs with, and its TOML text.
#[derive(Debug, Clone)]
pub(crate) struct Provisioned {
    /// The validated configuration.
    pub(crate) config: Config,
    /// As a user would have written it.
    pub(crate) toml: String,
}

/// Creates the zone and each region's stack resources, writes the configuration, and
/// runs init.
pub(crate) async fn provision(
    clients: &AwsClients,
    layout: &Layout,
    endpoints: &[&HealthEndpoint],
    mode: Mode,
    routing: regionflip_core::config::Routing,
    timings: &Timings,
    timeline: &Timeline,
) -> Result<Provisioned, CliError> {
    let zone = clients
        .route53
        .client()
        .create_hosted_zone()
        .name(&layout.zone)
        .caller_reference(format!("regionflip-drill-{}", layout.record))
        .send()
        .await
        .map_err(|e| failed("CreateHostedZone", e))?;
    let zone_id = zone
        .hosted_zone()
        .map(|z| z.id().trim_start_matches("/hostedzone/").to_string())
        .ok_or_else(|| CliError::Failed("CreateHostedZone answered without a zone".into()))?;
    timeline.event("setup", format!("hosted zone {} ({zone_id})", layout.zone));

    let mut regions_toml = String::new();
    for (region, endpoint) in layout.regions.iter().zip(endpoints) {
        let check_id = create_endpoint_check(clients, layout, region, endpoint, timings).await?;
        create_api_alarm(clients, region).await?;
        timeline.event(
            "setup",
            format!(
                "{region} stack: endpoint check {check_id} (HTTP_STR_MATCH {}, \"{MATCH_STRING}\"), alarm {API_ALARM}",
                endpoint.url()
            ),
        );
        regions_toml.push_str(&format!(
            "\n[[regions]]\nname = \"{region}\"\ntarget = \"api.{region}.{zone}\"\n\
             health_check_id = \"{check_id}\"\nhealth_url = \"{url}\"\n\
             health_search = \"{MATCH_STRING}\"\nalarms = [\"{API_ALARM}\"]\n",
            zone = layout.zone,
            url = endpoint.url(),
        ));
    }
    let toml = format!(
        "# Written by `regionflip drill`: the configuration the drill ran with.\n\
         hosted_zone_id = \"{zone_id}\"\nrecord_name = \"{record}\"\nrecord_type = \"CNAME\"\n\
         ttl = 10\nmode = \"{mode}\"\nrouting = \"{routing}\"\nmetrics_namespace = \"RegionFlip\"\n\n\
         [failback]\nmode = \"auto\"\nstable_for_secs = {stable}\nmin_dwell_secs = {dwell}\n\
         max_flips_per_hour = {flips}\n{regions_toml}",
        record = layout.record,
        mode = mode.as_str(),
        routing = routing.as_str(),
        stable = timings.stable_for_secs,
        dwell = timings.min_dwell_secs,
        flips = timings.max_flips_per_hour,
    );
    let config = Config::from_toml_str(&toml)?;

    // The same library call `regionflip init` makes.
    let report = provision::init(
        &config,
        &clients.route53,
        &clients.route53,
        &clients.cloudwatch,
        unix_now(),
        provision::InitOptions::default(),
    )
    .await
    .map_err(|e| CliError::Failed(format!("init failed: {e}")))?;
    for created in &report.created {
        timeline.event("setup", format!("init: {created}"));
    }
    Ok(Provisioned { config, toml })
}

/// What a region's stack creates for its endpoint: an `HTTP_STR_MATCH` check.
async fn create_endpoint_check(
    clients: &AwsClients,
    layout: &Layout,
    region: &str,
    endpoint: &HealthEndpoint,
    timings: &Timings,
) -> Result<String, CliError> {
    let settings = HealthCheckConfig::builder()
        .r#type(HealthCheckType::HttpStrMatch)
        .ip_address("127.0.0.1")
        .port(i32::from(endpoint.port()))
        .resource_path(HEALTH_PATH)
        .search_string(MATCH_STRING)
        .request_interval(REQUEST_INTERVAL_SECS)
        .failure_threshold(i32::try_from(timings.failure_threshold).unwrap_or(3))
        .build()
        .map_err(|e| CliError::Failed(format!("the endpoint check could not be built: {e}")))?;
    let created = clients
        .route53
        .client()
        .create_health_check()
        .caller_reference(format!("regionflip-drill-{}-{region}", layout.record))
        .health_check_config(settings)
        .send()
        .await
        .map_err(|e| failed("CreateHealthCheck", e))?;
    created
        .health_check()
        .map(|c| c.id().to_string())
        .ok_or_else(|| CliError::Failed("CreateHealthCheck answered without the check".into()))
}

/// What a region's stack creates for its API: an error-rate alarm (moto never evaluates
/// it; the drill drives it with `SetAlarmState`).
async fn create_api_alarm(clients: &AwsClients, region: &str) -> Result<(), CliError> {
    clients
        .cloudwatch
        .client(region)
        .map_err(|e| CliError::Failed(e.to_string()))?
        .put_metric_alarm()
        .alarm_name(API_ALARM)
        .alarm_description(
            "The API's 5xx rate in this region (created by the drill as a stack would).",
        )
        .namespace("RegionFlipDrill/API")
        .metric_name("5xxRate")
        .statistic(Statistic::Average)
        .period(60)
        .evaluation_periods(1)
        .threshold(5.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .treat_missing_data("notBreaching")
        .send()
        .await
        .map_err(|e| failed("PutMetricAlarm", e))?;
    Ok(())
}

fn failed(call: &str, error: impl std::error::Error) -> CliError {
    CliError::Failed(format!(
        "{call} failed: {}",
        aws_sdk_route53::error::DisplayErrorContext(error)
    ))
}
