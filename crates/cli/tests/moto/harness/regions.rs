//! A deployment over any regions, each with the stack's API alarm and a healthy endpoint
//! check, for the tests that need regions the shared seed clients do not know (three
//! regions, eu-west-1): [`Regions`], and the pieces it is made of.

use aws_sdk_cloudwatch::types::StateValue;
use aws_sdk_route53::types::{HealthCheckConfig, HealthCheckType};
use regionflip_core::{Config, EngineState, RecordSet};
use regionflip_watcher::aws::{AwsClients, SdkBudget};
use regionflip_watcher::ports::Route53Api;

use super::{ConfigFile, Run, TestZone, gate_minimums, regionflip};

/// A health-gate deployment over `regions` (preference order), its clients knowing every
/// one of them, and the parsed configuration.
pub(crate) struct Regions {
    pub(crate) zone: TestZone,
    /// Clients for every region of the deployment.
    pub(crate) aws: AwsClients,
    pub(crate) config: ConfigFile,
    pub(crate) parsed: Config,
    name: String,
}

impl Regions {
    /// Every region's stack (its API alarm `<name>-errors-<region>`, a healthy endpoint
    /// check) and a health-gate configuration over them, with `extra` top-level TOML.
    pub(crate) async fn new(name: &str, regions: &[&str], extra: &str) -> Regions {
        let zone = TestZone::new(name).await;
        let names: Vec<String> = regions.iter().map(|r| r.to_string()).collect();
        let aws =
            AwsClients::for_endpoint(&zone.moto.endpoint(), &names, SdkBudget::default()).await;
        let mut text = format!(
            "hosted_zone_id = \"{}\"\nrecord_name = \"{}\"\nmode = \"health-gate\"\n{extra}",
            zone.zone, zone.record
        );
        for region in regions {
            text.push_str(&healthy_region_stack(&aws, &zone, name, region).await);
        }
        let parsed = Config::from_toml_str(&text).unwrap();
        Regions {
            config: ConfigFile::new(name, &text),
            zone,
            aws,
            parsed,
            name: name.to_string(),
        }
    }

    pub(crate) fn run(&self, args: &[&str]) -> Run {
        regionflip(Some(&self.zone.moto), self.config.path(), args)
    }

    /// Sets `region`'s API alarm, as CloudWatch would.
    pub(crate) async fn set_alarm(&self, region: &str, state: StateValue) {
        let alarm = format!("{}-errors-{region}", self.name);
        regionflip_local_aws::seed::set_alarm_state(&self.aws, region, &alarm, state).await;
    }

    /// regionflip's records under `name` (those with a set identifier: failover pairs,
    /// latency or weighted sets).
    pub(crate) async fn records_at(&self, name: &str) -> Vec<RecordSet> {
        let page = self
            .aws
            .route53
            .list_records(&self.zone.zone, name, 100)
            .await
            .unwrap();
        page.records
            .into_iter()
            .filter(|r| r.name == name && r.set_identifier.is_some())
            .collect()
    }

    /// The state as home's state holder holds it.
    pub(crate) async fn state(&self) -> EngineState {
        let alarms = self
            .aws
            .cloudwatch
            .client(&self.parsed.home().name)
            .unwrap()
            .describe_alarms()
            .alarm_names(self.parsed.state_alarm_name())
            .send()
            .await
            .unwrap();
        let description = alarms.metric_alarms()[0].alarm_description().unwrap();
        EngineState::decode(description).unwrap()
    }

    /// The last `GateOpen` value published for `gated` in its host region (with failover
    /// routing never the region it gates; with active/active routing always that region);
    /// `None` for a region without a gate.
    pub(crate) async fn gate(&self, gated: &str) -> Option<bool> {
        if !self.parsed.is_gated(gated) {
            return None;
        }
        let host = self.parsed.gate_host_region(gated);
        assert_eq!(
            host == gated,
            self.parsed.routing.is_active_active(),
            "where {gated}'s gate lives"
        );
        let (_, newest) = *gate_minimums(&self.aws, host, &self.zone.record, gated, 60)
            .await
            .last()
            .expect("the gate was published");
        Some(newest >= 1.0)
    }
}

/// What each region's stack creates, through `aws` (clients that know `region`): the
/// API's alarm `<name>-errors-<region>` and a string-match endpoint check that Route 53
/// has found healthy for the last few minutes (moto never publishes `HealthCheckStatus`;
/// this does). Returns the region's `[[regions]]` table.
pub(crate) async fn healthy_region_stack(
    aws: &AwsClients,
    zone: &TestZone,
    name: &str,
    region: &str,
) -> String {
    let alarm = format!("{name}-errors-{region}");
    regionflip_local_aws::seed::create_alarm(aws, region, &alarm).await;
    let check = aws
        .route53
        .client()
        .create_health_check()
        .caller_reference(format!("stack-{}-{region}", zone.record))
        .health_check_config(
            HealthCheckConfig::builder()
                .r#type(HealthCheckType::HttpsStrMatch)
                .fully_qualified_domain_name(format!("health.{region}.{name}.regionflip.test"))
                .search_string("regionflip-healthy")
                .resource_path("/health")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .health_check()
        .unwrap()
        .id()
        .to_owned();
    let reports: Vec<(u64, f64)> = (0..3)
        .map(|m| (regionflip_local_aws::seed::minute_start(m), 1.0))
        .collect();
    regionflip_local_aws::seed::publish_health_status(aws, &check, &reports).await;
    format!(
        "\n[[regions]]\nname = \"{region}\"\ntarget = \"{region}.{}.backend.example\"\n\
         health_check_id = \"{check}\"\nalarms = [\"{alarm}\"]\n",
        zone.record
    )
}

/// The health check tree under `id` as `GetHealthCheck` reports it: every check's type
/// (sorted) and the region of every alarm a check follows (moto reports no
/// `AlarmIdentifier`, so [`gate_alarms_in`] says where gate alarms live).
pub(crate) async fn check_tree(aws: &AwsClients, id: &str) -> (Vec<String>, Vec<String>) {
    let mut pending = vec![id.to_string()];
    let (mut types, mut alarm_regions) = (Vec::new(), Vec::new());
    while let Some(id) = pending.pop() {
        let check = aws
            .route53
            .client()
            .get_health_check()
            .health_check_id(&id)
            .send()
            .await
            .unwrap();
        let config = check.health_check().unwrap().health_check_config().unwrap();
        types.push(config.r#type().as_str().to_string());
        pending.extend(config.child_health_checks().iter().cloned());
        if let Some(identifier) = config.alarm_identifier() {
            alarm_regions.push(identifier.region().as_str().to_string());
        }
    }
    types.sort();
    (types, alarm_regions)
}

/// The gate alarms of `record` that live in `host`'s CloudWatch.
pub(crate) async fn gate_alarms_in(aws: &AwsClients, host: &str, record: &str) -> Vec<String> {
    let slug = regionflip_core::resources::slug_of(record);
    let found = aws
        .cloudwatch
        .client(host)
        .unwrap()
        .describe_alarms()
        .alarm_name_prefix(format!("regionflip-gate-{slug}-"))
        .send()
        .await
        .unwrap();
    found
        .metric_alarms()
        .iter()
        .filter_map(|a| a.alarm_name().map(str::to_string))
        .collect()
}

/// The type of health check `id`, as `GetHealthCheck` reports it.
pub(crate) async fn check_type(aws: &AwsClients, id: &str) -> HealthCheckType {
    aws.route53
        .client()
        .get_health_check()
        .health_check_id(id)
        .send()
        .await
        .unwrap()
        .health_check()
        .unwrap()
        .health_check_config()
        .unwrap()
        .r#type()
        .clone()
}
