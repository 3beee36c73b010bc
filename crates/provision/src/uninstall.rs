//! `regionflip uninstall`: removes what `init` created, in the order that keeps the name
//! answering, from what it reads ([`World`], as `init` reads it). Pure planning, then
//! one write per step; a run that stops part way is continued by running it again (it
//! plans from what is left).
//!
//! | # | order | what                                                                 |
//! |---|-------|----------------------------------------------------------------------|
//! | U1| first | one change batch: DELETE regionflip's failover pair (and, in        |
//! |   |       | `records` mode, the state record; active-active, every region's      |
//! |   |       | latency or weighted record) exactly as read, CREATE a plain          |
//! |   |       | record (CNAME, or alias A) on the region traffic is on — Route 53   |
//! |   |       | applies it all or nothing, so the name never goes unanswered; the    |
//! |   |       | same for each of the application's other names (`[[records]]`), one |
//! |   |       | batch per name in its own hosted zone                                |
//! | U5| then  | `health-gate` with three or more regions: the chain links' pairs     |
//! |   |       | (`_regionflip-from-<region>.<name>`), deleted as read in one batch — |
//! |   |       | after U1 nothing answers through them                                |
//! | U2| then  | init's CALCULATED checks, then its gate checks (a check is deleted  |
//! |   |       | only once nothing that init created refers to it; Route 53 does not  |
//! |   |       | refuse deleting a check in use)                                      |
//! | U3| last  | the gate alarms and the state holder alarms, per region              |
//! | U4| never | the stacks' endpoint checks (`DeletionPolicy: Retain`), the watcher's|
//! |   |       | log groups (the journal), your alarms and anything else not init's   |
//!
//! The region traffic is on: `--to REGION` if given; else the region regionflip's PRIMARY
//! points at (`records`: DNS is what users get) or the newest valid state copy's active
//! region (`health-gate`: the gates follow it); else uninstall refuses and asks for
//! `--to`. Tested in `crates/provision/tests/provision.rs` (`uninstall_*`) and against
//! moto in `crates/cli/tests/moto/records_mode.rs` and `gate_mode.rs`.

use regionflip_core::records::{
    AliasTarget, PRIMARY_SET_ID, SECONDARY_SET_ID, SERVICE_SET_ID_PREFIX, gate_chain_of,
    region_of_record, zone_of,
};
use regionflip_core::{
    Change, ChangeAction, Config, Mode, RecordConfig, RecordSet, RecordType, StateObservation,
};
use regionflip_watcher::ports::{AwsError, ChangeError, CloudWatchApi, Route53Api};
use serde::Serialize;

use crate::{
    InitError,
    plan::{CheckRole, World},
    ports::{GateAlarmApi, HealthCheckApi},
    resources::{check_slots, obsolete_checks},
    show::describe_record,
};

/// One removal, in the order they are carried out.
// A plan holds a handful of steps; boxing the record would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "kebab-case")]
pub enum RemoveStep {
    /// U1: one batch, the pair (and state record) deleted as read and a plain record on
    /// `region` created.
    RestoreRecord {
        /// Where the plain record points.
        region: String,
        /// Deleted exactly as read.
        delete: Vec<RecordSet>,
        /// The plain record.
        create: RecordSet,
    },
    /// U5: the gate chain's links, deleted as read in one batch.
    DeleteLinks {
        /// Deleted exactly as read.
        delete: Vec<RecordSet>,
    },
    /// U2: one of init's checks.
    DeleteHealthCheck {
        /// The check.
        id: String,
        /// The region it describes.
        region: String,
        /// Its role.
        role: CheckRole,
    },
    /// U3: alarms of one region.
    DeleteAlarms {
        /// The region.
        region: String,
        /// The alarms (state holder, gate alarms hosted there).
        names: Vec<String>,
    },
}

/// What uninstall would remove, and what it leaves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UninstallPlan {
    /// The removals, in order. Empty: nothing of init's is left.
    pub steps: Vec<RemoveStep>,
    /// What stays, as sentences (U4).
    pub kept: Vec<String>,
}

/// Plans the removal of what init created; `to` names the region the plain record points
/// at (else where traffic is).
pub fn plan_uninstall(
    config: &Config,
    world: &World,
    to: Option<&str>,
) -> Result<UninstallPlan, InitError> {
    let mut steps = Vec::new();
    let state_name = config.state_record_name();
    // Every record's pair: the application's own first, then its other records'.
    let records = config.records();
    let pairs: Vec<(&RecordConfig, Vec<&RecordSet>)> = records
        .iter()
        .map(|record| {
            let pair = world
                .records
                .iter()
                .filter(|r| {
                    let set_id = r.set_identifier.as_deref();
                    let failover = matches!(set_id, Some(PRIMARY_SET_ID | SECONDARY_SET_ID))
                        && r.failover.is_some();
                    // Active-active: a latency or weighted record of a configured region.
                    let service = (r.latency_region.is_some() || r.weight.is_some())
                        && set_id
                            .and_then(|id| id.strip_prefix(SERVICE_SET_ID_PREFIX))
                            .is_some_and(|region| config.region(region).is_some());
                    r.name == record.name
                        && r.record_type == record.record_type.as_str()
                        && (failover || service)
                })
                .collect();
            (record, pair)
        })
        .collect();
    let state_record: Vec<&RecordSet> = world
        .records
        .iter()
        .filter(|r| config.mode == Mode::Records && r.name == state_name && r.record_type == "TXT")
        .collect();
    if pairs.iter().any(|(_, pair)| !pair.is_empty()) {
        let region = match to {
            Some(name) => config.region(name).map(|r| r.name.clone()).ok_or_else(|| {
                InitError::Refused(vec![format!(
                    "--to {name} is no configured region; name one of {}",
                    config
                        .regions
                        .iter()
                        .map(|r| r.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )])
            })?,
            None => routed_to(config, world, &pairs[0].1).ok_or_else(|| {
                InitError::Refused(vec![
                    "where traffic is cannot be known (no PRIMARY on a configured region, no \
                     readable state); run uninstall with --to REGION to name the region the \
                     plain record points at"
                        .to_string(),
                ])
            })?,
        };
        for (index, (record, pair)) in pairs.iter().enumerate() {
            if pair.is_empty() {
                continue;
            }
            let Some(target) = record.target(&region) else {
                continue;
            };
            let create = RecordSet {
                name: record.name.clone(),
                record_type: record.record_type.as_str().into(),
                set_identifier: None,
                failover: None,
                ttl: (record.record_type == RecordType::Cname).then_some(record.ttl),
                values: match record.record_type {
                    RecordType::Cname => vec![target.target.clone()],
                    RecordType::A => Vec::new(),
                },
                alias: (record.record_type == RecordType::A).then(|| AliasTarget {
                    hosted_zone_id: target.alias_hosted_zone_id.clone().unwrap_or_default(),
                    dns_name: target.target.clone(),
                    evaluate_target_health: false,
                }),
                health_check_id: None,
                latency_region: None,
                weight: None,
            };
            // The state record goes in the application's own batch.
            let state: &[&RecordSet] = if index == 0 { &state_record } else { &[] };
            steps.push(RemoveStep::RestoreRecord {
                region: region.clone(),
                delete: pair.iter().chain(state).map(|r| (*r).clone()).collect(),
                create,
            });
        }
    }
    // The chain links (U5): once the name is a plain record, nothing answers through them.
    if config.mode == Mode::HealthGate {
        let links: Vec<String> = records
            .iter()
            .flat_map(|r| gate_chain_of(config, &r.name).into_iter().skip(1))
            .map(|l| l.name)
            .collect();
        let delete: Vec<RecordSet> = world
            .records
            .iter()
            .filter(|r| {
                links.contains(&r.name)
                    && r.failover.is_some()
                    && matches!(
                        r.set_identifier.as_deref(),
                        Some(PRIMARY_SET_ID | SECONDARY_SET_ID)
                    )
            })
            .cloned()
            .collect();
        if !delete.is_empty() {
            steps.push(RemoveStep::DeleteLinks { delete });
        }
    }
    let mut kept = vec![
        "the stacks' endpoint checks (delete them after the stacks: DeletionPolicy Retain)"
            .to_string(),
        "the watchers' log groups, which hold the transition journal".to_string(),
        "your own alarms and guards".to_string(),
    ];
    if config.mode == Mode::HealthGate {
        let in_use: Vec<String> = Vec::new();
        let slots = check_slots(config, &world.health_checks, &world.check_tags, &in_use);
        let obsolete = obsolete_checks(config, &world.health_checks, &world.check_tags);
        for role in [CheckRole::Calculated, CheckRole::Gate] {
            for slot in slots.iter().filter(|s| s.role == role) {
                if let Some(check) = &slot.existing {
                    steps.push(RemoveStep::DeleteHealthCheck {
                        id: check.id.clone(),
                        region: slot.region.clone(),
                        role,
                    });
                }
            }
            for check in obsolete.iter().filter(|c| c.role == role) {
                steps.push(RemoveStep::DeleteHealthCheck {
                    id: check.id.clone(),
                    region: check.region.clone(),
                    role,
                });
            }
        }
        for region in &config.regions {
            let mut names = Vec::new();
            if world
                .state_holders
                .iter()
                .any(|(r, d)| *r == region.name && d.is_some())
            {
                names.push(config.state_alarm_name());
            }
            // Gate alarms hosted here, ungated regions' (from an older release) included.
            for (gated, description) in &world.gate_alarms {
                if description.is_some() && config.gate_host_region(gated) == region.name {
                    names.push(config.gate_alarm_name(gated));
                }
            }
            if !names.is_empty() {
                steps.push(RemoveStep::DeleteAlarms {
                    region: region.name.clone(),
                    names,
                });
            }
        }
        kept.push(
            "the gate metrics already published (CloudWatch keeps datapoints 15 months; they \
             cost nothing)"
                .to_string(),
        );
    }
    Ok(UninstallPlan { steps, kept })
}

/// Where traffic is: PRIMARY's region in `records` mode, the newest valid state copy's
/// active region in `health-gate` mode.
fn routed_to(config: &Config, world: &World, pair: &[&RecordSet]) -> Option<String> {
    match config.mode {
        Mode::Records => pair
            .iter()
            .find(|r| r.set_identifier.as_deref() == Some(PRIMARY_SET_ID))
            .and_then(|r| region_of_record(config, r))
            .map(|r| r.name.clone()),
        Mode::HealthGate => world
            .state_holders
            .iter()
            .filter_map(|(_, d)| match StateObservation::from_text(d.as_deref()?) {
                StateObservation::Valid { state, .. } => Some(state),
                _ => None,
            })
            .max_by_key(|s| s.sequence)
            .map(|s| s.active)
            .filter(|active| config.region(active).is_some()),
    }
}

impl std::fmt::Display for RemoveStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RemoveStep::RestoreRecord {
                region,
                delete,
                create,
            } => {
                let deleted: Vec<String> = delete.iter().map(describe_record).collect();
                write!(
                    f,
                    "in one change batch, delete {} and create {} → {} ({region})",
                    deleted.join(", "),
                    describe_record(create),
                    create
                        .alias
                        .as_ref()
                        .map_or_else(|| create.values.join(" "), |a| a.dns_name.clone())
                )
            }
            RemoveStep::DeleteLinks { delete } => {
                let deleted: Vec<String> = delete.iter().map(describe_record).collect();
                write!(
                    f,
                    "in one change batch, delete the chain links {}",
                    deleted.join(", ")
                )
            }
            RemoveStep::DeleteHealthCheck { id, region, role } => {
                write!(f, "delete {} check {id} of {region}", role.as_str())
            }
            RemoveStep::DeleteAlarms { region, names } => {
                write!(f, "delete alarms {} in {region}", names.join(", "))
            }
        }
    }
}

/// Carries the plan out in order; stops at the first failure, reporting what was removed
/// before it (running uninstall again continues from what is left).
pub(crate) async fn apply_uninstall<R, H, C>(
    config: &Config,
    route53: &R,
    checks: &H,
    cloudwatch: &C,
    plan: &UninstallPlan,
) -> Result<Vec<String>, InitError>
where
    R: Route53Api,
    H: HealthCheckApi,
    C: CloudWatchApi + GateAlarmApi,
{
    let mut removed = Vec::new();
    for step in &plan.steps {
        let outcome = match step {
            RemoveStep::RestoreRecord { delete, create, .. } => {
                let mut changes: Vec<Change> = delete
                    .iter()
                    .map(|record| Change {
                        action: ChangeAction::Delete,
                        record: record.clone(),
                    })
                    .collect();
                changes.push(Change {
                    action: ChangeAction::Create,
                    record: create.clone(),
                });
                route53
                    .change_records(
                        zone_of(config, &create.name),
                        &changes,
                        "regionflip uninstall",
                    )
                    .await
                    .map(|change| format!("{step} (change {change})"))
                    .map_err(|e| match e {
                        ChangeError::Conflict(why) => format!(
                            "the records changed since uninstall read them (a watcher still \
                             running?), so nothing was changed; disable the watchers and run \
                             uninstall again: {why}"
                        ),
                        ChangeError::Aws(e) => format!("restoring the plain record failed: {e}"),
                    })
            }
            RemoveStep::DeleteLinks { delete } => {
                let changes: Vec<Change> = delete
                    .iter()
                    .map(|record| Change {
                        action: ChangeAction::Delete,
                        record: record.clone(),
                    })
                    .collect();
                let mut ids = Vec::new();
                let mut failed = None;
                for (zone, batch) in crate::apply::by_zone(config, changes) {
                    match route53
                        .change_records(&zone, &batch, "regionflip uninstall")
                        .await
                    {
                        Ok(id) => ids.push(id),
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    }
                }
                match failed {
                    None => Ok(ids.join(", ")),
                    Some(e) => Err(e),
                }
                .map(|change| format!("{step} (change {change})"))
                .map_err(|e| match e {
                    ChangeError::Conflict(why) => format!(
                        "the chain links changed since uninstall read them, so nothing was \
                             changed; run uninstall again: {why}"
                    ),
                    ChangeError::Aws(e) => format!("deleting the chain links failed: {e}"),
                })
            }
            RemoveStep::DeleteHealthCheck { id, .. } => {
                match checks.delete_health_check(id).await {
                    Ok(()) => Ok(step.to_string()),
                    // Already gone: what uninstall wanted.
                    Err(AwsError::Service { code, .. }) if code == "NoSuchHealthCheck" => {
                        Ok(format!("{step} (already gone)"))
                    }
                    Err(e) => Err(format!("DeleteHealthCheck {id} failed: {e}")),
                }
            }
            RemoveStep::DeleteAlarms { region, names } => cloudwatch
                .delete_alarms(region, names)
                .await
                .map(|()| step.to_string())
                .map_err(|e| format!("DeleteAlarms in {region} failed: {e}")),
        };
        match outcome {
            Ok(line) => removed.push(line),
            Err(error) => {
                return Err(InitError::Apply {
                    error,
                    done: removed,
                });
            }
        }
    }
    Ok(removed)
}
