//! The SDK side of `regionflip init`'s ports: [`HealthCheckApi`] over Route 53 and
//! [`GateAlarmApi`] over CloudWatch.
//!
//! Only init calls these; the watcher's pass never creates anything. Errors go through
//! the same [`classify`] as every other call.

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::types as cw;
use aws_sdk_route53::types as r53;
use aws_smithy_types::error::display::DisplayErrorContext;
use regionflip_watcher::aws::{CloudWatchAdapter, Route53Adapter, classify};
use regionflip_watcher::ports::AwsError;

use crate::ports::{
    AlarmSettings, CheckConfig, GateAlarm, GateAlarmApi, HealthCheckApi, HealthCheckInfo,
    NewHealthCheck, ReportedCheck,
};

/// Route 53 accepts at most this many ids in one `ListTagsForResources`.
const MAX_TAGGED_PER_CALL: usize = 10;

/// Pages of `ListHealthChecks` read at most (1,000 checks each): far above the account
/// quota of health checks, it only bounds a service that keeps answering "truncated".
const MAX_HEALTH_CHECK_PAGES: usize = 50;

impl HealthCheckApi for Route53Adapter {
    async fn list_health_checks(&self) -> Result<Vec<HealthCheckInfo>, AwsError> {
        let mut checks = Vec::new();
        let mut marker: Option<String> = None;
        for _ in 0..MAX_HEALTH_CHECK_PAGES {
            let output = self
                .client()
                .list_health_checks()
                .set_marker(marker.take())
                .max_items(1000)
                .send()
                .await
                .map_err(|err| classify(&err))?;
            checks.extend(output.health_checks().iter().map(check_info));
            match output.next_marker().filter(|_| output.is_truncated()) {
                Some(next) => marker = Some(next.to_owned()),
                None => return Ok(checks),
            }
        }
        Err(AwsError::Service {
            code: "TooManyPages".into(),
            message: format!(
                "ListHealthChecks was still truncated after {MAX_HEALTH_CHECK_PAGES} pages"
            ),
        })
    }

    async fn create_health_check(&self, check: &NewHealthCheck) -> Result<String, AwsError> {
        let config = health_check_config(&check.config).map_err(|err| AwsError::Service {
            code: "InvalidInput".into(),
            message: format!(
                "the health check could not be built: {}",
                DisplayErrorContext(err)
            ),
        })?;
        let output = self
            .client()
            .create_health_check()
            .caller_reference(&check.caller_reference)
            .health_check_config(config)
            .send()
            .await
            .map_err(|err| classify(&err))?;
        output
            .health_check()
            .map(|created| created.id().to_owned())
            .ok_or_else(|| AwsError::Service {
                code: "MissingHealthCheck".into(),
                message: "CreateHealthCheck answered without the health check".into(),
            })
    }

    async fn update_health_check(&self, id: &str, config: &CheckConfig) -> Result<(), AwsError> {
        update_request(self.client(), id, config)?
            .send()
            .await
            .map_err(|err| classify(&err))?;
        Ok(())
    }

    async fn health_check_tags(
        &self,
        ids: &[String],
    ) -> Result<BTreeMap<String, BTreeMap<String, String>>, AwsError> {
        let mut tags = BTreeMap::new();
        for chunk in ids.chunks(MAX_TAGGED_PER_CALL) {
            let output = self
                .client()
                .list_tags_for_resources()
                .resource_type(r53::TagResourceType::Healthcheck)
                .set_resource_ids(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|err| classify(&err))?;
            for set in output.resource_tag_sets() {
                let Some(id) = set.resource_id() else {
                    continue;
                };
                let entry: &mut BTreeMap<String, String> = tags.entry(id.to_owned()).or_default();
                for tag in set.tags() {
                    if let (Some(key), Some(value)) = (tag.key(), tag.value()) {
                        entry.insert(key.to_owned(), value.to_owned());
                    }
                }
            }
        }
        Ok(tags)
    }

    async fn tag_health_check(
        &self,
        id: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), AwsError> {
        self.client()
            .change_tags_for_resource()
            .resource_type(r53::TagResourceType::Healthcheck)
            .resource_id(id)
            .set_add_tags(Some(
                tags.iter()
                    .map(|(key, value)| r53::Tag::builder().key(key).value(value).build())
                    .collect(),
            ))
            .send()
            .await
            .map_err(|err| classify(&err))?;
        Ok(())
    }

    async fn delete_health_check(&self, id: &str) -> Result<(), AwsError> {
        self.client()
            .delete_health_check()
            .health_check_id(id)
            .send()
            .await
            .map_err(|err| classify(&err))?;
        Ok(())
    }
}

/// The `UpdateHealthCheck` request that gives check `id` the settings `config`.
fn update_request(
    client: &aws_sdk_route53::Client,
    id: &str,
    config: &CheckConfig,
) -> Result<
    aws_sdk_route53::operation::update_health_check::builders::UpdateHealthCheckFluentBuilder,
    AwsError,
> {
    let request = client.update_health_check().health_check_id(id);
    Ok(match config {
        CheckConfig::CloudwatchMetric {
            alarm_region,
            alarm_name,
        } => request
            // The same alarm: Route 53 copies its current settings again.
            .alarm_identifier(alarm_identifier(alarm_region, alarm_name).map_err(|err| {
                AwsError::Service {
                    code: "InvalidInput".into(),
                    message: format!(
                        "the alarm identifier could not be built: {}",
                        DisplayErrorContext(err)
                    ),
                }
            })?)
            .insufficient_data_health_status(r53::InsufficientDataHealthStatus::LastKnownStatus),
        CheckConfig::Calculated {
            children,
            health_threshold,
        } => request
            .set_child_health_checks(Some(children.clone()))
            .health_threshold(i32::try_from(*health_threshold).unwrap_or(i32::MAX)),
    })
}

/// A check as `ListHealthChecks` reports it, in init's terms.
fn check_info(check: &r53::HealthCheck) -> HealthCheckInfo {
    let config = check.health_check_config();
    let reported = match config.map(r53::HealthCheckConfig::r#type) {
        Some(r53::HealthCheckType::CloudwatchMetric) => ReportedCheck::CloudwatchMetric {
            alarm: config
                .and_then(r53::HealthCheckConfig::alarm_identifier)
                .map(|a| (a.region().as_str().to_owned(), a.name().to_owned())),
            insufficient_data: config
                .and_then(r53::HealthCheckConfig::insufficient_data_health_status)
                .map(|s| s.as_str().to_owned()),
            alarm_settings: check
                .cloud_watch_alarm_configuration()
                .map(|c| AlarmSettings {
                    namespace: c.namespace().to_owned(),
                    metric_name: c.metric_name().to_owned(),
                    dimensions: c
                        .dimensions()
                        .iter()
                        .map(|d| (d.name().to_owned(), d.value().to_owned()))
                        .collect(),
                    statistic: c.statistic().as_str().to_owned(),
                    period: u32::try_from(c.period()).unwrap_or(0),
                    threshold: c.threshold(),
                    evaluation_periods: u32::try_from(c.evaluation_periods()).unwrap_or(0),
                    comparison_operator: c.comparison_operator().as_str().to_owned(),
                }),
        },
        Some(r53::HealthCheckType::Calculated) => ReportedCheck::Calculated {
            children: config
                .map(|c| c.child_health_checks().to_vec())
                .unwrap_or_default(),
            health_threshold: config
                .and_then(r53::HealthCheckConfig::health_threshold)
                .and_then(|t| u32::try_from(t).ok())
                .unwrap_or(0),
        },
        other => ReportedCheck::Other(other.map_or("UNKNOWN", |t| t.as_str()).to_owned()),
    };
    HealthCheckInfo {
        id: check.id().to_owned(),
        caller_reference: check.caller_reference().to_owned(),
        reported,
    }
}

fn alarm_identifier(
    region: &str,
    name: &str,
) -> Result<r53::AlarmIdentifier, aws_sdk_route53::error::BuildError> {
    r53::AlarmIdentifier::builder()
        .region(r53::CloudWatchRegion::from(region))
        .name(name)
        .build()
}

/// The SDK form of a check's settings.
fn health_check_config(
    config: &CheckConfig,
) -> Result<r53::HealthCheckConfig, aws_sdk_route53::error::BuildError> {
    match config {
        CheckConfig::CloudwatchMetric {
            alarm_region,
            alarm_name,
        } => r53::HealthCheckConfig::builder()
            .r#type(r53::HealthCheckType::CloudwatchMetric)
            .alarm_identifier(alarm_identifier(alarm_region, alarm_name)?)
            // Route 53 reads the alarm's metric stream, not the alarm's state: while the
            // stream has no data (a watcher outage) this, not the alarm's
            // TreatMissingData, keeps the check's last status — static stability.
            .insufficient_data_health_status(r53::InsufficientDataHealthStatus::LastKnownStatus)
            .build(),
        CheckConfig::Calculated {
            children,
            health_threshold,
        } => r53::HealthCheckConfig::builder()
            .r#type(r53::HealthCheckType::Calculated)
            .set_child_health_checks(Some(children.clone()))
            .health_threshold(i32::try_from(*health_threshold).unwrap_or(i32::MAX))
            .build(),
    }
}

impl GateAlarmApi for CloudWatchAdapter {
    async fn put_gate_alarm(&self, region: &str, alarm: &GateAlarm) -> Result<(), AwsError> {
        let settings = &alarm.settings;
        self.client(region)?
            .put_metric_alarm()
            .alarm_name(&alarm.name)
            .alarm_description(&alarm.description)
            .namespace(&settings.namespace)
            .metric_name(&settings.metric_name)
            .set_dimensions(Some(
                settings
                    .dimensions
                    .iter()
                    .map(|(name, value)| cw::Dimension::builder().name(name).value(value).build())
                    .collect(),
            ))
            .statistic(cw::Statistic::from(settings.statistic.as_str()))
            .period(i32::try_from(settings.period).unwrap_or(60))
            .evaluation_periods(i32::try_from(settings.evaluation_periods).unwrap_or(1))
            .threshold(settings.threshold)
            .comparison_operator(cw::ComparisonOperator::from(
                settings.comparison_operator.as_str(),
            ))
            // The alarm's own state through a watcher outage; routing is held by the
            // check's InsufficientDataHealthStatus (Route 53 reads the stream itself).
            .treat_missing_data(&alarm.treat_missing_data)
            .send()
            .await
            .map_err(|err| classify(&err))?;
        Ok(())
    }

    async fn delete_alarms(&self, region: &str, names: &[String]) -> Result<(), AwsError> {
        if names.is_empty() {
            return Ok(());
        }
        self.client(region)?
            .delete_alarms()
            .set_alarm_names(Some(names.to_vec()))
            .send()
            .await
            .map_err(|err| classify(&err))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gate_checks_follow_their_alarm_and_keep_the_last_status() {
        let config = health_check_config(&CheckConfig::CloudwatchMetric {
            alarm_region: "eu-west-1".into(),
            alarm_name: "regionflip-gate-api-example-com-us-east-1".into(),
        })
        .expect("builds");
        assert_eq!(config.r#type(), &r53::HealthCheckType::CloudwatchMetric);
        let alarm = config.alarm_identifier().expect("an alarm");
        assert_eq!(alarm.region().as_str(), "eu-west-1");
        assert_eq!(alarm.name(), "regionflip-gate-api-example-com-us-east-1");
        assert_eq!(
            config.insufficient_data_health_status(),
            Some(&r53::InsufficientDataHealthStatus::LastKnownStatus)
        );
    }

    fn offline_client() -> aws_sdk_route53::Client {
        aws_sdk_route53::Client::from_conf(
            aws_sdk_route53::Config::builder()
                .behavior_version(aws_sdk_route53::config::BehaviorVersion::latest())
                .region(aws_sdk_route53::config::Region::new("us-east-1"))
                .build(),
        )
    }

    #[test]
    fn a_gate_check_update_names_the_same_alarm_so_route53_copies_it_again() {
        let request = update_request(
            &offline_client(),
            "gate-id",
            &CheckConfig::CloudwatchMetric {
                alarm_region: "eu-west-1".into(),
                alarm_name: "regionflip-gate-api-example-com-us-east-1".into(),
            },
        )
        .expect("builds");
        let input = request.as_input();
        assert_eq!(input.get_health_check_id().as_deref(), Some("gate-id"));
        let alarm = input.get_alarm_identifier().as_ref().expect("an alarm");
        assert_eq!(alarm.region().as_str(), "eu-west-1");
        assert_eq!(alarm.name(), "regionflip-gate-api-example-com-us-east-1");
        assert_eq!(
            input.get_insufficient_data_health_status(),
            &Some(r53::InsufficientDataHealthStatus::LastKnownStatus)
        );
        assert_eq!(input.get_child_health_checks(), &None);
    }

    #[test]
    fn a_calculated_check_update_sets_its_children_and_threshold() {
        let request = update_request(
            &offline_client(),
            "calc-id",
            &CheckConfig::Calculated {
                children: vec!["new-endpoint".into(), "gate".into()],
                health_threshold: 2,
            },
        )
        .expect("builds");
        let input = request.as_input();
        assert_eq!(
            input.get_child_health_checks().as_deref(),
            Some(&["new-endpoint".to_string(), "gate".to_string()][..])
        );
        assert_eq!(input.get_health_threshold(), &Some(2));
        assert_eq!(input.get_alarm_identifier(), &None);
    }

    /// Models what GetHealthCheck / ListHealthChecks return for a CLOUDWATCH_METRIC
    /// check: its `AlarmIdentifier` in the config and, beside the config, the alarm
    /// settings Route 53 copied (`CloudWatchAlarmConfiguration`).
    #[test]
    fn a_listed_gate_check_reports_the_alarm_settings_route53_copied() {
        let check = r53::HealthCheck::builder()
            .id("gate-id")
            .caller_reference("regionflip-gate-us-east-1-0")
            .health_check_version(3)
            .health_check_config(
                health_check_config(&CheckConfig::CloudwatchMetric {
                    alarm_region: "us-west-2".into(),
                    alarm_name: "gate".into(),
                })
                .expect("builds"),
            )
            .cloud_watch_alarm_configuration(
                r53::CloudWatchAlarmConfiguration::builder()
                    .namespace("RegionFlip")
                    .metric_name("GateOpen")
                    .dimensions(
                        r53::Dimension::builder()
                            .name("Region")
                            .value("us-east-1")
                            .build()
                            .expect("builds"),
                    )
                    .statistic(r53::Statistic::Minimum)
                    .period(60)
                    .threshold(1.0)
                    .evaluation_periods(1)
                    .comparison_operator(r53::ComparisonOperator::LessThanThreshold)
                    .build()
                    .expect("builds"),
            )
            .build()
            .expect("builds");
        let info = check_info(&check);
        assert_eq!(info.id, "gate-id");
        assert_eq!(
            info.reported,
            ReportedCheck::CloudwatchMetric {
                alarm: Some(("us-west-2".into(), "gate".into())),
                insufficient_data: Some("LastKnownStatus".into()),
                alarm_settings: Some(AlarmSettings {
                    namespace: "RegionFlip".into(),
                    metric_name: "GateOpen".into(),
                    dimensions: vec![("Region".into(), "us-east-1".into())],
                    statistic: "Minimum".into(),
                    period: 60,
                    threshold: 1.0,
                    evaluation_periods: 1,
                    comparison_operator: "LessThanThreshold".into(),
                }),
            }
        );
    }

    #[test]
    fn calculated_checks_need_every_child() {
        let config = health_check_config(&CheckConfig::Calculated {
            children: vec!["endpoint".into(), "gate".into()],
            health_threshold: 2,
        })
        .expect("builds");
        assert_eq!(config.r#type(), &r53::HealthCheckType::Calculated);
        assert_eq!(config.child_health_checks(), ["endpoint", "gate"]);
        assert_eq!(config.health_threshold(), Some(2));
    }
}
