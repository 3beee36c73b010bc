//! Carrying out a plan: one function per kind of step, run in the plan's order. Each
//! adds what it created to `done` as it goes, so a failure reports everything written
//! before it.

use std::collections::BTreeMap;

use regionflip_core::records::changes_by_zone;
use regionflip_core::{Change, ChangeAction, Config, GateSetting, RecordSet};
use regionflip_watcher::metrics::gate_data;
use regionflip_watcher::ports::{AwsError, ChangeError, CloudWatchApi, Route53Api, StateAlarm};

use crate::{
    InitError,
    plan::{CheckRole, InitPlan, PlannedCheck, PlannedRecord, RewiredRecord, Step},
    ports::{GateAlarm, GateAlarmApi, HealthCheckApi, NewHealthCheck},
    resources::{CheckIds, caller_reference, check_tags, resolve, resolve_ref},
    show::describe_record,
};

/// Carries out a plan, step by step, in order. Checks are created before the checks and
/// records that refer to them; gate alarms before the checks that follow them (Route 53
/// refuses a `CLOUDWATCH_METRIC` check on an alarm that does not exist, and copies the
/// alarm's settings when the check is created or updated, so the alarm must be written
/// first).
pub(crate) async fn apply<R, H, C>(
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
    let mut ids = CheckIds::new();
    for step in &plan.steps {
        let carried_out = match step {
            Step::PutStateAlarm {
                region,
                alarm_name,
                state,
            } => put_state_alarm(config, cloudwatch, region, alarm_name, state, &mut done).await,
            Step::PutGateAlarm { region, alarm, .. } => {
                put_gate_alarm(cloudwatch, region, alarm, &mut done).await
            }
            Step::PublishGates { gates, .. } => {
                publish_gates(config, cloudwatch, gates, now, &mut done).await
            }
            Step::CreateHealthCheck {
                region,
                role,
                check,
            } => {
                create_health_check(config, checks, region, *role, check, &mut ids, &mut done).await
            }
            Step::UpdateHealthCheck {
                id,
                region,
                role,
                check,
                ..
            } => update_health_check(checks, id, region, *role, check, &ids, &mut done).await,
            Step::TagHealthCheck { id, tags } => {
                tag_health_check(checks, id, tags, &mut done).await
            }
            Step::CreateRecords { records, adopted } => {
                create_records(config, route53, records, adopted.as_ref(), &ids, &mut done).await
            }
            Step::RewireRecords { records } => {
                rewire_records(config, route53, records, &mut done).await
            }
        };
        if let Err(error) = carried_out {
            return Err(InitError::Apply { error, done });
        }
    }
    Ok(done)
}

/// Writes the state into `region`'s state holder alarm.
async fn put_state_alarm<C: CloudWatchApi>(
    config: &Config,
    cloudwatch: &C,
    region: &str,
    alarm_name: &str,
    state: &str,
    done: &mut Vec<String>,
) -> Result<(), String> {
    let alarm = StateAlarm {
        name: alarm_name.to_string(),
        namespace: config.metrics_namespace.clone(),
        description: state.to_string(),
    };
    cloudwatch
        .put_state_alarm(region, &alarm)
        .await
        .map_err(|e| format!("PutMetricAlarm {alarm_name} in {region} failed: {e}"))?;
    done.push(format!("state holder alarm {alarm_name} in {region}"));
    Ok(())
}

/// Creates or rewrites a gate alarm in its host region.
async fn put_gate_alarm<C: GateAlarmApi>(
    cloudwatch: &C,
    region: &str,
    alarm: &GateAlarm,
    done: &mut Vec<String>,
) -> Result<(), String> {
    cloudwatch
        .put_gate_alarm(region, alarm)
        .await
        .map_err(|e| format!("PutMetricAlarm {} in {region} failed: {e}", alarm.name))?;
    done.push(format!("gate alarm {} in {region}", alarm.name));
    Ok(())
}

/// Publishes the initial gate values, one `PutMetricData` per host region.
async fn publish_gates<C: CloudWatchApi>(
    config: &Config,
    cloudwatch: &C,
    gates: &[GateSetting],
    now: u64,
    done: &mut Vec<String>,
) -> Result<(), String> {
    for (host, data) in gate_data(config, gates, now) {
        cloudwatch
            .put_metric_data(&host, &config.metrics_namespace, &data)
            .await
            .map_err(|e| format!("PutMetricData (gates) in {host} failed: {e}"))?;
        done.push(format!("initial gate values in {host}"));
    }
    Ok(())
}

/// Creates a health check, remembers its id for the steps that refer to it, and tags it.
async fn create_health_check<H: HealthCheckApi>(
    config: &Config,
    checks: &H,
    region: &str,
    role: CheckRole,
    check: &PlannedCheck,
    ids: &mut CheckIds,
    done: &mut Vec<String>,
) -> Result<(), String> {
    let Some(resolved) = resolve(check, ids) else {
        return Err(format!(
            "the {} check of {region} refers to a check not created",
            role.as_str()
        ));
    };
    let caller_reference = caller_reference(config, region, role, &resolved);
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
        format!(
            "CreateHealthCheck ({} of {region}) failed: {e}{hint}",
            role.as_str()
        )
    })?;
    done.push(format!("{} check {id} of {region}", role.as_str()));
    ids.insert((region.to_string(), role), id.clone());
    checks
        .tag_health_check(&id, &check_tags(config, region, role))
        .await
        .map_err(|e| format!("tagging health check {id} failed: {e}"))
}

/// Changes a check init created earlier in place: a gate check re-reads its alarm (the
/// same `AlarmIdentifier`), a CALCULATED check gets its children and threshold.
async fn update_health_check<H: HealthCheckApi>(
    checks: &H,
    id: &str,
    region: &str,
    role: CheckRole,
    check: &PlannedCheck,
    ids: &CheckIds,
    done: &mut Vec<String>,
) -> Result<(), String> {
    let Some(resolved) = resolve(check, ids) else {
        return Err(format!(
            "the {} check {id} of {region} refers to a check not created",
            role.as_str()
        ));
    };
    checks
        .update_health_check(id, &resolved)
        .await
        .map_err(|e| {
            format!(
                "UpdateHealthCheck ({} {id} of {region}) failed: {e}",
                role.as_str()
            )
        })?;
    done.push(format!("{} check {id} of {region} updated", role.as_str()));
    Ok(())
}

/// Adds the missing tags to a check init created earlier.
async fn tag_health_check<H: HealthCheckApi>(
    checks: &H,
    id: &str,
    tags: &BTreeMap<String, String>,
    done: &mut Vec<String>,
) -> Result<(), String> {
    checks
        .tag_health_check(id, tags)
        .await
        .map_err(|e| format!("tagging health check {id} failed: {e}"))?;
    done.push(format!("tags of health check {id}"));
    Ok(())
}

/// Creates the records in one change batch of CREATEs, each on the id of its health
/// check: all of them, or (if any exists by now) none. An adopted record's DELETE, exactly
/// as read, leads the batch: Route 53 applies it all or nothing and refuses a DELETE that
/// does not match, so the name is answered throughout, and a record changed since init
/// read it fails the batch instead of being overwritten.
async fn create_records<R: Route53Api>(
    config: &Config,
    route53: &R,
    records: &[PlannedRecord],
    adopted: Option<&RecordSet>,
    ids: &CheckIds,
    done: &mut Vec<String>,
) -> Result<(), String> {
    let mut changes: Vec<Change> = adopted
        .map(|record| Change {
            action: ChangeAction::Delete,
            record: record.clone(),
        })
        .into_iter()
        .collect();
    for planned in records {
        let mut record = planned.record.clone();
        if let Some(check) = &planned.health_check {
            let Some(id) = resolve_ref(check, ids) else {
                return Err(format!(
                    "{} refers to a health check not created",
                    describe_record(&record)
                ));
            };
            record.health_check_id = Some(id);
        }
        changes.push(Change {
            action: ChangeAction::Create,
            record,
        });
    }
    let names: Vec<String> = changes
        .iter()
        .map(|c| match c.action {
            ChangeAction::Delete => format!("{} deleted (adopted)", describe_record(&c.record)),
            _ => describe_record(&c.record),
        })
        .collect();
    let mut change_ids = Vec::new();
    for (zone, batch) in by_zone(config, changes) {
        let change_id = route53
            .change_records(&zone, &batch, "regionflip init")
            .await
            .map_err(|e| match e {
                ChangeError::Conflict(why) => format!(
                    "the records changed while init ran (another init?), so none \
                     was created in hosted zone {zone}: {why}"
                ),
                ChangeError::Aws(e) => {
                    format!("creating the records in hosted zone {zone} failed: {e}")
                }
            })?;
        change_ids.push(change_id);
    }
    done.push(format!(
        "{} (change {})",
        names.join(", "),
        change_ids.join(", ")
    ));
    Ok(())
}

/// The changes as one batch per hosted zone, the application's first. A batch that fails
/// after an earlier one was applied leaves what init plans again on the next run.
pub(crate) fn by_zone(config: &Config, changes: Vec<Change>) -> Vec<(String, Vec<Change>)> {
    changes_by_zone(config, &changes)
}

/// Moves records onto their regions' endpoint checks in one change batch: DELETE each as
/// read and CREATE it on the new check, so a record that changed since it was read (a
/// watcher moved the pair) fails the whole batch instead of being overwritten.
async fn rewire_records<R: Route53Api>(
    config: &Config,
    route53: &R,
    records: &[RewiredRecord],
    done: &mut Vec<String>,
) -> Result<(), String> {
    let changes: Vec<Change> = records
        .iter()
        .flat_map(|r| {
            [
                Change {
                    action: ChangeAction::Delete,
                    record: r.old.clone(),
                },
                Change {
                    action: ChangeAction::Create,
                    record: r.new.clone(),
                },
            ]
        })
        .collect();
    let mut change_ids = Vec::new();
    for (zone, batch) in by_zone(config, changes) {
        let change_id = route53
            .change_records(&zone, &batch, "regionflip init: rewiring records")
            .await
            .map_err(|e| match e {
                ChangeError::Conflict(why) => format!(
                    "the records changed while init ran (a watcher moved the pair?), so none \
                     was rewired in hosted zone {zone}; run init again: {why}"
                ),
                ChangeError::Aws(e) => {
                    format!("rewiring the records in hosted zone {zone} failed: {e}")
                }
            })?;
        change_ids.push(change_id);
    }
    let change_id = change_ids.join(", ");
    let names: Vec<String> = records
        .iter()
        .map(|r| {
            format!(
                "{} on health check {}",
                describe_record(&r.new),
                r.new.health_check_id.as_deref().unwrap_or("none")
            )
        })
        .collect();
    done.push(format!("{} (change {change_id})", names.join(", ")));
    Ok(())
}
