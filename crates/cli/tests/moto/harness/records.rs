//! A `records`-mode world for CLI tests: a hosted zone of the test's own in the shared
//! moto, one alarm per region (all OK), and a configuration file naming them.

use std::sync::Arc;

use regionflip_core::RecordSet;
use regionflip_watcher::aws::AwsClients;
use regionflip_watcher::ports::Route53Api;

use super::{ConfigFile, Operated, Run, TestZone, regionflip};
use regionflip_local_aws::moto::MotoServer;
use regionflip_local_aws::seed::OTHER_REGION;

/// The home region of every CLI test configuration.
pub(crate) const HOME: &str = "us-east-1";

/// A `records` configuration for `record` in `zone`, one alarm per region; `failback`
/// is a `[failback]` table or empty for the defaults.
pub(crate) fn records_config(
    zone_id: &str,
    record: &str,
    alarm_prefix: &str,
    failback: &str,
) -> String {
    format!(
        r#"
hosted_zone_id = "{zone_id}"
record_name = "{record}"
mode = "records"
{failback}
[[regions]]
name = "{HOME}"
target = "east.{record}.backend.example"
alarms = ["{alarm_prefix}-errors-{HOME}"]

[[regions]]
name = "{OTHER_REGION}"
target = "west.{record}.backend.example"
alarms = ["{alarm_prefix}-errors-{OTHER_REGION}"]
"#
    )
}

/// One test's zone, alarms and configuration file.
pub(crate) struct RecordsSetup {
    pub moto: Arc<MotoServer>,
    pub aws: AwsClients,
    pub zone: String,
    pub record: String,
    pub config: ConfigFile,
    pub alarm_prefix: String,
}

impl RecordsSetup {
    /// A zone named after `name` and the two regions' alarms, all OK.
    pub(crate) async fn new(name: &str, failback: &str) -> RecordsSetup {
        let TestZone {
            moto,
            aws,
            zone,
            record,
        } = TestZone::new(name).await;
        let alarm_prefix = format!("{name}-api");
        for region in [HOME, OTHER_REGION] {
            regionflip_local_aws::seed::create_alarm(
                &aws,
                region,
                &format!("{alarm_prefix}-errors-{region}"),
            )
            .await;
        }
        let config = ConfigFile::new(
            name,
            &records_config(&zone, &record, &alarm_prefix, failback),
        );
        RecordsSetup::of(
            TestZone {
                moto,
                aws,
                zone,
                record,
            },
            config,
            alarm_prefix,
        )
    }

    /// A setup from its parts: the zone, the configuration file naming it, and the prefix
    /// of its alarms (`<prefix>-errors-<region>`).
    pub(crate) fn of(zone: TestZone, config: ConfigFile, alarm_prefix: String) -> RecordsSetup {
        RecordsSetup {
            moto: zone.moto,
            aws: zone.aws,
            zone: zone.zone,
            record: zone.record,
            config,
            alarm_prefix,
        }
    }

    /// The name of `region`'s alarm.
    pub(crate) fn alarm(&self, region: &str) -> String {
        format!("{}-errors-{region}", self.alarm_prefix)
    }

    /// Every record under the record's name and the state record's name (moto never
    /// reports NextRecordIdentifier; one page holds this zone).
    pub(crate) async fn records(&self) -> Vec<RecordSet> {
        let name = format!("{}.", self.record);
        let state_name = format!("_regionflip.{name}");
        let page = self
            .aws
            .route53
            .list_records(&self.zone, &name, 100)
            .await
            .expect("ListResourceRecordSets");
        page.records
            .into_iter()
            .filter(|r| r.name == name || r.name == state_name)
            .collect()
    }
}

impl Operated for RecordsSetup {
    fn run(&self, args: &[&str]) -> Run {
        regionflip(Some(&self.moto), self.config.path(), args)
    }

    /// Forces `region`'s alarm into `state` (moto never evaluates alarms).
    async fn set_alarm(&self, region: &str, state: aws_sdk_cloudwatch::types::StateValue) {
        regionflip_local_aws::seed::set_alarm_state(&self.aws, region, &self.alarm(region), state)
            .await;
    }
}

/// The region a record of this world points at.
pub(crate) fn region_of_target(target: &str) -> &'static str {
    if target.starts_with("east.") {
        HOME
    } else if target.starts_with("west.") {
        OTHER_REGION
    } else {
        panic!("a record points at {target}, no configured region")
    }
}
