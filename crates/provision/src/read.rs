//! Reading everything `init` would create, before it plans.

use std::collections::BTreeMap;

use futures_util::future::join_all;
use regionflip_core::records::{gate_chain_of, zone_of};
use regionflip_core::{Config, Mode, RecordSet};
use regionflip_watcher::ports::{AwsError, CloudWatchApi, Route53Api};

use crate::{InitError, plan::World, ports::HealthCheckApi, resources::candidates};

/// The configured alarms and guards that do not exist in their region (one
/// `DescribeAlarms` per region: the validator keeps them to at most 99, under the call's
/// 100 names), as `(region, key, name)` with the key as written (`regions[1].alarms`).
async fn missing_alarms<C: CloudWatchApi>(
    config: &Config,
    cloudwatch: &C,
) -> Result<Vec<(String, String, String)>, InitError> {
    let reads = config.regions.iter().enumerate().map(|(index, region)| {
        let names: Vec<String> = region
            .alarms
            .iter()
            .chain(&region.guards)
            .cloned()
            .collect();
        async move {
            let found = cloudwatch
                .describe_alarms(&region.name, &names)
                .await
                .map_err(|e| {
                    InitError::Read(format!("DescribeAlarms in {} failed: {e}", region.name))
                })?;
            let keyed = region
                .alarms
                .iter()
                .map(|a| (a, "alarms"))
                .chain(region.guards.iter().map(|g| (g, "guards")));
            Ok::<_, InitError>(
                keyed
                    .filter(|(name, _)| !found.iter().any(|f| f.name == **name))
                    .map(|(name, list)| {
                        (
                            region.name.clone(),
                            format!("regions[{}].{list}", index + 1),
                            name.clone(),
                        )
                    })
                    .collect::<Vec<_>>(),
            )
        }
    });
    let mut missing = Vec::new();
    for found in join_all(reads).await {
        missing.extend(found?);
    }
    Ok(missing)
}

/// Records asked for in the one `ListResourceRecordSets` that reads the record name.
const RECORD_PAGE: i32 = 100;

/// Reads everything init would create: the records at the record name and the state
/// record name and, in `health-gate` mode, the state holders and gate alarms (one
/// `DescribeAlarms` per region) and the health checks (with the settings Route 53
/// reports) and the tags of those that may be init's.
pub(crate) async fn read_world<R: Route53Api, H: HealthCheckApi, C: CloudWatchApi>(
    config: &Config,
    route53: &R,
    checks: &H,
    cloudwatch: &C,
) -> Result<World, InitError> {
    let mut world = World {
        records: read_records(config, route53).await?,
        missing_alarms: missing_alarms(config, cloudwatch).await?,
        ..World::default()
    };
    if config.mode != Mode::HealthGate {
        return Ok(world);
    }
    let state_alarm = config.state_alarm_name();
    let reads = config.regions.iter().map(|region| {
        let mut names = vec![state_alarm.clone()];
        names.extend(
            config
                .regions
                .iter()
                .filter(|gated| config.gate_host_region(&gated.name) == region.name)
                .map(|gated| config.gate_alarm_name(&gated.name)),
        );
        async move {
            cloudwatch
                .describe_alarms(&region.name, &names)
                .await
                .map_err(|e| {
                    InitError::Read(format!("DescribeAlarms in {} failed: {e}", region.name))
                })
        }
    });
    let found = join_all(reads).await;
    let mut alarms = BTreeMap::new();
    for (region, result) in config.regions.iter().zip(found) {
        for alarm in result? {
            // An alarm without a description counts as one with other settings.
            alarms.insert(
                (region.name.clone(), alarm.name.clone()),
                alarm.description.unwrap_or_default(),
            );
        }
    }
    for region in &config.regions {
        world.state_holders.push((
            region.name.clone(),
            alarms
                .get(&(region.name.clone(), state_alarm.clone()))
                .cloned(),
        ));
        // Ungated regions too: a gate alarm left from before the last region lost its
        // gate is reported as no longer used.
        let host = config.gate_host_region(&region.name).to_string();
        world.gate_alarms.push((
            region.name.clone(),
            alarms
                .get(&(host, config.gate_alarm_name(&region.name)))
                .cloned(),
        ));
    }
    world.health_checks = checks
        .list_health_checks()
        .await
        .map_err(|e| InitError::Read(format!("ListHealthChecks failed: {e}")))?;
    // The tags of every check that may be init's (its caller reference starts as init's
    // do): they find a check init created under an older reference.
    let ours = candidates(config, &world.health_checks);
    if !ours.is_empty() {
        world.check_tags = checks
            .health_check_tags(&ours)
            .await
            .map_err(|e| InitError::Read(format!("ListTagsForResources failed: {e}")))?;
    }
    Ok(world)
}

/// The records at the record name and at the state record name, which Route 53 lists
/// next to each other (one call; a second only when the first page ends before the state
/// record). moto never returns `NextRecordIdentifier`, so init never pages further.
async fn read_records<R: Route53Api>(
    config: &Config,
    route53: &R,
) -> Result<Vec<RecordSet>, InitError> {
    let zone = &config.hosted_zone_id;
    let state_name = config.state_record_name();
    let read_error = |e: AwsError| {
        InitError::Read(format!(
            "ListResourceRecordSets in hosted zone {zone} failed: {e}"
        ))
    };
    let page = route53
        .list_records(zone, &config.record_name, RECORD_PAGE)
        .await
        .map_err(read_error)?;
    let mut records: Vec<RecordSet> = page
        .records
        .iter()
        .filter(|r| r.name == config.record_name || r.name == state_name)
        .cloned()
        .collect();
    if page.truncated {
        if page
            .records
            .last()
            .is_some_and(|r| r.name == config.record_name)
        {
            return Err(InitError::Refused(vec![format!(
                "{} has more than {RECORD_PAGE} records, which regionflip did not create; \
                 choose another record_name",
                config.record_name
            )]));
        }
        if !records.iter().any(|r| r.name == state_name) {
            let more = route53
                .list_records(zone, &state_name, 10)
                .await
                .map_err(read_error)?;
            records.extend(more.records.into_iter().filter(|r| r.name == state_name));
        }
    }
    // The application's other records, each in its own zone, and in health-gate mode with
    // three or more regions every chain link below each name: one small page each (init
    // runs rarely; a name holds a pair).
    let mut names: Vec<String> = config
        .other_records
        .iter()
        .map(|r| r.name.clone())
        .collect();
    if config.mode == Mode::HealthGate {
        for record in config.records() {
            names.extend(
                gate_chain_of(config, &record.name)
                    .into_iter()
                    .skip(1)
                    .map(|l| l.name),
            );
        }
    }
    for name in names {
        let zone = zone_of(config, &name);
        let page = route53.list_records(zone, &name, 10).await.map_err(|e| {
            InitError::Read(format!(
                "ListResourceRecordSets in hosted zone {zone} failed: {e}"
            ))
        })?;
        records.extend(page.records.into_iter().filter(|r| r.name == name));
    }
    Ok(records)
}
