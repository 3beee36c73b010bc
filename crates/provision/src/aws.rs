//! The SDK side of `regionflip init`'s ports: [`HealthCheckApi`] over Route 53 and
//! [`GateAlarmApi`] over CloudWatch.
//!
//! Only init calls these; the watcher's pass never creates anything. Errors go through
//! the same [`classify`] as every other call.

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::types as cw;
use aws_sdk_route53::types as r53;
use aws_smithy_types::error::display::DisplayErrorContext;
use regionflip_core::resources::GATE_METRIC;
use regionflip_watcher::aws::{CloudWatchAdapter, Route53Adapter, classify};
use regionflip_watcher::ports::AwsError;

use crate::ports::{
    CheckConfig, GateAlarm, GateAlarmApi, HealthCheckApi, HealthCheckInfo, NewHealthCheck,
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
            checks.extend(output.health_checks().iter().map(|check| HealthCheckInfo {
                id: check.id().to_owned(),
                caller_reference: check.caller_reference().to_owned(),
            }));
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
            .alarm_identifier(
                r53::AlarmIdentifier::builder()
                    .region(r53::CloudWatchRegion::from(alarm_region.as_str()))
                    .name(alarm_name)
                    .build()?,
            )
            // A gate alarm with no data (a watcher outage) keeps the last verdict, as the
            // alarm itself does: static stability.
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
        self.client(region)?
            .put_metric_alarm()
            .alarm_name(&alarm.name)
            .alarm_description(&alarm.description)
            .namespace(&alarm.namespace)
            .metric_name(GATE_METRIC)
            .set_dimensions(Some(
                alarm
                    .dimensions
                    .iter()
                    .map(|(name, value)| cw::Dimension::builder().name(name).value(value).build())
                    .collect(),
            ))
            // One closed datapoint in a minute closes the gate: the watcher publishes 0
            // or 1, never anything in between.
            .statistic(cw::Statistic::Minimum)
            .period(60)
            .evaluation_periods(1)
            .threshold(1.0)
            .comparison_operator(cw::ComparisonOperator::LessThanThreshold)
            // A watcher outage must not open or close any gate.
            .treat_missing_data("ignore")
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
