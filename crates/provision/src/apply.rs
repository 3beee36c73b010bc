//! Carrying out a plan, step by step, in order.

use std::collections::BTreeMap;

use regionflip_core::{Change, ChangeAction, Config};
use regionflip_watcher::ports::{AwsError, ChangeError, CloudWatchApi, Route53Api, StateAlarm};

use crate::InitError;
use crate::plan::CheckRole;
use crate::plan::InitPlan;
use crate::plan::Step;
use crate::ports::GateAlarmApi;
use crate::ports::HealthCheckApi;
use crate::ports::NewHealthCheck;
use crate::resources::caller_reference;
use crate::resources::check_tags;
use crate::resources::resolve;
use crate::resources::resolve_ref;
use crate::show::describe_record;
use regionflip_watcher::metrics::gate_data;

// ----------------------------------------------------------------------- applying

/// Carries out a plan, step by step, in order. Checks are created before the checks and
/// records that refer to them; gate alarms before the checks that follow them (Route 53
/// refuses a `CLOUDWATCH_METRIC` check on an alarm that does not exist).
pub async fn apply<R, H, C>(
    config: &Config,
    route53: &R,
    checks: &H,
    cloudwatch: &C,
    plan: &InitPlan,
    now: u64,
) -> Result<Vec<String>, InitError>
where
    R: Route53Api,
    H: HealthCheckApi,
    C: CloudWatchApi + GateAlarmApi,
{
    let mut done: Vec<String> = Vec::new();
    let mut ids: BTreeMap<(String, CheckRole), String> = BTreeMap::new();
    for step in &plan.steps {
        let failed = |error: String, done: &[String]| InitError::Apply {
            error,
            done: done.to_vec(),
        };
        match step {
            Step::PutStateAlarm {
                region,
                alarm_name,
                state,
            } => {
                let alarm = StateAlarm {
                    name: alarm_name.clone(),
                    namespace: config.metrics_namespace.clone(),
                    description: state.clone(),
                };
                cloudwatch
                    .put_state_alarm(region, &alarm)
                    .await
                    .map_err(|e| {
                        failed(
                            format!("PutMetricAlarm {alarm_name} in {region} failed: {e}"),
                            &done,
                        )
                    })?;
                done.push(format!("state holder alarm {alarm_name} in {region}"));
            }
            Step::PutGateAlarm { region, alarm, .. } => {
                cloudwatch
                    .put_gate_alarm(region, alarm)
                    .await
                    .map_err(|e| {
                        failed(
                            format!("PutMetricAlarm {} in {region} failed: {e}", alarm.name),
                            &done,
                        )
                    })?;
                done.push(format!("gate alarm {} in {region}", alarm.name));
            }
            Step::PublishGates { gates, .. } => {
                for (host, data) in gate_data(config, gates, now) {
                    cloudwatch
                        .put_metric_data(&host, &config.metrics_namespace, &data)
                        .await
                        .map_err(|e| {
                            failed(
                                format!("PutMetricData (gates) in {host} failed: {e}"),
                                &done,
                            )
                        })?;
                    done.push(format!("initial gate values in {host}"));
                }
            }
            Step::CreateHealthCheck {
                region,
                role,
                check,
            } => {
                let Some(resolved) = resolve(check, &ids) else {
                    return Err(failed(
                        format!(
                            "the {} check of {region} refers to a check not created",
                            role.as_str()
                        ),
                        &done,
                    ));
                };
                let caller_reference = caller_reference(config, region, *role, &resolved);
                let request = NewHealthCheck {
                    caller_reference: caller_reference.clone(),
                    config: resolved,
                };
                let id = checks.create_health_check(&request).await.map_err(|e| {
                    let hint = match &e {
                        AwsError::Service { code, .. } if code == "HealthCheckAlreadyExists" => format!(
                            " (Route 53 keeps caller reference {caller_reference} even after its \
                             check is deleted; change metrics_namespace or the record to get new \
                             references)"
                        ),
                        _ => String::new(),
                    };
                    failed(
                        format!("CreateHealthCheck ({} of {region}) failed: {e}{hint}", role.as_str()),
                        &done,
                    )
                })?;
                done.push(format!("{} check {id} of {region}", role.as_str()));
                ids.insert((region.clone(), *role), id.clone());
                checks
                    .tag_health_check(&id, &check_tags(config, region, *role))
                    .await
                    .map_err(|e| failed(format!("tagging health check {id} failed: {e}"), &done))?;
            }
            Step::TagHealthCheck { id, tags } => {
                checks
                    .tag_health_check(id, tags)
                    .await
                    .map_err(|e| failed(format!("tagging health check {id} failed: {e}"), &done))?;
                done.push(format!("tags of health check {id}"));
            }
            Step::CreateRecords { records } => {
                let mut changes = Vec::new();
                for planned in records {
                    let mut record = planned.record.clone();
                    if let Some(check) = &planned.health_check {
                        let Some(id) = resolve_ref(check, &ids) else {
                            return Err(failed(
                                format!(
                                    "{} refers to a health check not created",
                                    describe_record(&record)
                                ),
                                &done,
                            ));
                        };
                        record.health_check_id = Some(id);
                    }
                    changes.push(Change {
                        action: ChangeAction::Create,
                        record,
                    });
                }
                let names: Vec<String> =
                    changes.iter().map(|c| describe_record(&c.record)).collect();
                let change_id = route53
                    .change_records(&config.hosted_zone_id, &changes, "regionflip init")
                    .await
                    .map_err(|e| match e {
                        ChangeError::Conflict(why) => failed(
                            format!(
                                "the records changed while init ran (another init?), so none \
                                 was created: {why}"
                            ),
                            &done,
                        ),
                        ChangeError::Aws(e) => {
                            failed(format!("creating the records failed: {e}"), &done)
                        }
                    })?;
                done.push(format!("{} (change {change_id})", names.join(", ")));
            }
        }
    }
    Ok(done)
}
