//! Names, tags, caller references and settings of what `init` owns, derived from the
//! configuration alone so that every run (and every region) derives the same ones.

use std::collections::BTreeMap;

use regionflip_core::resources::{GATE_METRIC, RECORD_DIMENSION, REGION_DIMENSION};
use regionflip_core::{Config, RegionConfig};

use crate::{
    TAG_RECORD, TAG_REGION, TAG_ROLE,
    plan::{CheckRef, CheckRole, PlannedCheck},
    ports::{AlarmSettings, CheckConfig, GateAlarm, HealthCheckInfo, ReportedCheck},
};

/// The tags of checks, by id.
pub(crate) type CheckTags = BTreeMap<String, BTreeMap<String, String>>;

/// Ids of init's checks by region and role: those found (`check_slots`), or those
/// created so far in a run (`apply`), for the checks and records that refer to them.
pub(crate) type CheckIds = BTreeMap<(String, CheckRole), String>;

/// The tags of the check of `role` for `region`.
pub(crate) fn check_tags(
    config: &Config,
    region: &str,
    role: CheckRole,
) -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            TAG_RECORD.to_string(),
            config.record_name.trim_end_matches('.').to_string(),
        ),
        (TAG_REGION.to_string(), region.to_string()),
        (TAG_ROLE.to_string(), role.as_str().to_string()),
    ])
}

/// The caller reference of a check: readable prefix, then a hash of the record, the
/// region, the role and the settings (at most 64 characters, as Route 53 requires). A
/// gate check's settings include everything that identifies the stream its alarm watches
/// (namespace, metric, dimensions, statistic, period, threshold, comparison), so a check
/// created for other alarm settings never shares a reference with one for these.
pub fn caller_reference(
    config: &Config,
    region: &str,
    role: CheckRole,
    check: &CheckConfig,
) -> String {
    let settings = match check {
        CheckConfig::CloudwatchMetric {
            alarm_region,
            alarm_name,
        } => format!(
            "cloudwatch-metric|{alarm_region}|{alarm_name}|LastKnownStatus|{}",
            gate_settings_text(config, region)
        ),
        CheckConfig::Calculated {
            children,
            health_threshold,
        } => format!("calculated|{health_threshold}|{}", children.join(",")),
    };
    reference_of(config, region, role, &settings)
}

/// The caller reference gate checks were created with before it covered the alarm's
/// settings (it named the alarm only). Such checks are still init's: they are found by
/// it, then compared and updated like any other.
pub(crate) fn legacy_gate_reference(config: &Config, region: &str) -> String {
    let settings = format!(
        "cloudwatch-metric|{}|{}|LastKnownStatus",
        config.gate_host_region(region),
        config.gate_alarm_name(region)
    );
    reference_of(config, region, CheckRole::Gate, &settings)
}

fn reference_of(config: &Config, region: &str, role: CheckRole, settings: &str) -> String {
    let hash = fnv1a(&format!(
        "{}|{region}|{}|{settings}",
        config.record_name,
        role.as_str()
    ));
    format!("regionflip-{}-{region}-{hash:016x}", role.as_str())
}

/// The readable start of the caller references of init's checks of `role` for `region`
/// (of any record: the record is in the hash).
pub(crate) fn reference_prefix(region: &str, role: CheckRole) -> String {
    format!("regionflip-{}-{region}-", role.as_str())
}

/// FNV-1a, 64 bits: a hash whose value never changes between builds (std's hasher makes
/// no such promise, and caller references must stay the same forever).
pub(crate) fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The settings of `region`'s gate alarm: what it watches and when it closes the gate.
pub fn gate_alarm_settings(config: &Config, region: &str) -> AlarmSettings {
    let record = config.record_name.trim_end_matches('.').to_string();
    AlarmSettings {
        namespace: config.metrics_namespace.clone(),
        metric_name: GATE_METRIC.to_string(),
        dimensions: vec![
            (RECORD_DIMENSION.to_string(), record),
            (REGION_DIMENSION.to_string(), region.to_string()),
        ],
        // One closed datapoint in a minute closes the gate: the watcher publishes 0 or
        // 1, never anything in between.
        statistic: "Minimum".to_string(),
        period: 60,
        threshold: 1.0,
        evaluation_periods: 1,
        comparison_operator: "LessThanThreshold".to_string(),
    }
}

/// The gate alarm's `TreatMissingData`: a watcher outage leaves the alarm's state alone
/// (routing is held by the check's `InsufficientDataHealthStatus`, see [`GateAlarm`]).
const GATE_TREAT_MISSING_DATA: &str = "ignore";

/// The text the gate alarm's fingerprint is taken of. Its spelling never changes: a
/// change would rewrite every gate alarm.
fn gate_settings_text(config: &Config, region: &str) -> String {
    let settings = gate_alarm_settings(config, region);
    format!(
        "{}|{}|{}|{}|{}|{}|{}|{}|{GATE_TREAT_MISSING_DATA}",
        settings.namespace,
        settings.metric_name,
        settings
            .dimensions
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(","),
        settings.statistic,
        settings.period,
        settings.evaluation_periods,
        settings.comparison_operator,
        settings.threshold,
    )
}

/// The gate alarm of `region`, as init creates it.
pub fn gate_alarm(config: &Config, region: &str) -> GateAlarm {
    let record = config.record_name.trim_end_matches('.').to_string();
    GateAlarm {
        name: config.gate_alarm_name(region),
        description: format!(
            "regionflip gate of {region} for {record}: ALARM closes it. Managed by \
             `regionflip init`; do not edit. settings {:016x}",
            fnv1a(&gate_settings_text(config, region))
        ),
        settings: gate_alarm_settings(config, region),
        treat_missing_data: GATE_TREAT_MISSING_DATA.to_string(),
    }
}

/// The check of `role` for `region`, with children that may still be planned.
pub(crate) fn planned_check(
    config: &Config,
    region: &RegionConfig,
    role: CheckRole,
    gate: CheckRef,
) -> PlannedCheck {
    match role {
        CheckRole::Gate => PlannedCheck::CloudwatchMetric {
            alarm_region: config.gate_host_region(&region.name).to_string(),
            alarm_name: config.gate_alarm_name(&region.name),
        },
        CheckRole::Calculated => {
            let mut children = Vec::new();
            if let Some(endpoint) = &region.health_check_id {
                children.push(CheckRef::Existing {
                    id: endpoint.clone(),
                });
            }
            children.push(gate);
            // Every child must be healthy: the endpoint *and* the gate.
            let health_threshold = u32::try_from(children.len()).unwrap_or(u32::MAX);
            PlannedCheck::Calculated {
                children,
                health_threshold,
            }
        }
    }
}

/// The settings of a planned check once the ids it refers to are known.
pub(crate) fn resolve(check: &PlannedCheck, ids: &CheckIds) -> Option<CheckConfig> {
    Some(match check {
        PlannedCheck::CloudwatchMetric {
            alarm_region,
            alarm_name,
        } => CheckConfig::CloudwatchMetric {
            alarm_region: alarm_region.clone(),
            alarm_name: alarm_name.clone(),
        },
        PlannedCheck::Calculated {
            children,
            health_threshold,
        } => CheckConfig::Calculated {
            children: children
                .iter()
                .map(|child| resolve_ref(child, ids))
                .collect::<Option<Vec<_>>>()?,
            health_threshold: *health_threshold,
        },
    })
}

/// The id of a check that exists or that this run created.
pub(crate) fn resolve_ref(check: &CheckRef, ids: &CheckIds) -> Option<String> {
    match check {
        CheckRef::Existing { id } => Some(id.clone()),
        CheckRef::New { region, role } => ids.get(&(region.clone(), *role)).cloned(),
    }
}

/// One check init manages, and whether it exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CheckSlot {
    pub(crate) region: String,
    pub(crate) role: CheckRole,
    pub(crate) planned: PlannedCheck,
    /// The check found for the slot, and what Route 53 reports of it.
    pub(crate) existing: Option<HealthCheckInfo>,
}

impl CheckSlot {
    pub(crate) fn reference(&self) -> CheckRef {
        match &self.existing {
            Some(check) => CheckRef::Existing {
                id: check.id.clone(),
            },
            None => CheckRef::New {
                region: self.region.clone(),
                role: self.role,
            },
        }
    }
}

/// Whether a reported check is of the type init creates for `role`.
fn of_role(check: &HealthCheckInfo, role: CheckRole) -> bool {
    matches!(
        (&check.reported, role),
        (ReportedCheck::CloudwatchMetric { .. }, CheckRole::Gate)
            | (ReportedCheck::Calculated { .. }, CheckRole::Calculated)
    )
}

/// The checks that may be init's for a record, before their tags are read: those whose
/// caller reference starts as init's do for a configured region.
pub(crate) fn candidates(config: &Config, checks: &[HealthCheckInfo]) -> Vec<String> {
    checks
        .iter()
        .filter(|check| {
            config.regions.iter().any(|region| {
                [CheckRole::Gate, CheckRole::Calculated].iter().any(|role| {
                    check
                        .caller_reference
                        .starts_with(&reference_prefix(&region.name, *role))
                })
            })
        })
        .map(|check| check.id.clone())
        .collect()
}

/// The gate and calculated checks of every region, each matched with the check init
/// created for it, found by (in this order):
///
/// 1. its caller reference for today's settings;
/// 2. for a gate check, the reference gate checks had before it covered the alarm's
///    settings ([`legacy_gate_reference`]);
/// 3. its tags (`regionflip:record`, `regionflip:region`, `regionflip:role`) on a check
///    of the right type whose reference starts as init's: a check init created for
///    earlier settings (another namespace; another endpoint child), which init then
///    updates in place so that what refers to it stays valid. Of several, the one in
///    use (`in_use`: the pair's checks and the reported children of CALCULATED checks)
///    wins, else the first listed.
pub(crate) fn check_slots(
    config: &Config,
    checks: &[HealthCheckInfo],
    tags: &CheckTags,
    in_use: &[String],
) -> Vec<CheckSlot> {
    let by_reference = |reference: &str, role: CheckRole| {
        checks
            .iter()
            .find(|c| c.caller_reference == reference && of_role(c, role))
    };
    let by_tags = |region: &str, role: CheckRole| {
        let wanted = check_tags(config, region, role);
        let prefix = reference_prefix(region, role);
        let mut tagged = checks.iter().filter(|c| {
            c.caller_reference.starts_with(&prefix)
                && of_role(c, role)
                && tags
                    .get(&c.id)
                    .is_some_and(|t| wanted.iter().all(|(k, v)| t.get(k) == Some(v)))
        });
        let first = tagged.clone().next();
        tagged.find(|c| in_use.contains(&c.id)).or(first)
    };
    let mut found = CheckIds::new();
    let mut slots: Vec<CheckSlot> = Vec::new();
    for role in [CheckRole::Gate, CheckRole::Calculated] {
        for region in config.gated_regions() {
            let gate = slots
                .iter()
                .find(|s| s.region == region.name && s.role == CheckRole::Gate)
                .map_or(
                    CheckRef::New {
                        region: region.name.clone(),
                        role: CheckRole::Gate,
                    },
                    CheckSlot::reference,
                );
            let planned = planned_check(config, region, role, gate);
            let exact = resolve(&planned, &found).and_then(|resolved| {
                by_reference(
                    &caller_reference(config, &region.name, role, &resolved),
                    role,
                )
            });
            let legacy = match role {
                CheckRole::Gate => by_reference(&legacy_gate_reference(config, &region.name), role),
                CheckRole::Calculated => None,
            };
            let existing = exact
                .or(legacy)
                .or_else(|| by_tags(&region.name, role))
                .cloned();
            if let Some(check) = &existing {
                found.insert((region.name.clone(), role), check.id.clone());
            }
            slots.push(CheckSlot {
                region: region.name.clone(),
                role,
                planned,
                existing,
            });
        }
    }
    slots
}

/// A check init created for a region that has no gate any more
/// ([`Config::is_gated`]): found by its reference prefix and its three tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ObsoleteCheck {
    pub(crate) id: String,
    pub(crate) region: String,
    pub(crate) role: CheckRole,
}

/// The gate and CALCULATED checks init created for ungated regions (before the last
/// region lost its gate), in the order Route 53 lists them.
pub(crate) fn obsolete_checks(
    config: &Config,
    checks: &[HealthCheckInfo],
    tags: &CheckTags,
) -> Vec<ObsoleteCheck> {
    let mut obsolete = Vec::new();
    for check in checks {
        for region in config.regions.iter().filter(|r| !config.is_gated(&r.name)) {
            for role in [CheckRole::Gate, CheckRole::Calculated] {
                let wanted = check_tags(config, &region.name, role);
                if check
                    .caller_reference
                    .starts_with(&reference_prefix(&region.name, role))
                    && of_role(check, role)
                    && tags
                        .get(&check.id)
                        .is_some_and(|t| wanted.iter().all(|(k, v)| t.get(k) == Some(v)))
                {
                    obsolete.push(ObsoleteCheck {
                        id: check.id.clone(),
                        region: region.name.clone(),
                        role,
                    });
                }
            }
        }
    }
    obsolete
}

/// Why `check` (found for the slot) does not hold what init wants, or `None` when it
/// does. Only what Route 53 reports is compared: a setting the service did not report
/// (moto drops a gate check's alarm and its copy of the alarm's settings; Route 53
/// always reports both) cannot be judged and is left alone.
pub(crate) fn stale(config: &Config, slot: &CheckSlot, ids: &CheckIds) -> Option<String> {
    let check = slot.existing.as_ref()?;
    match (&check.reported, &slot.planned) {
        (
            ReportedCheck::CloudwatchMetric {
                alarm,
                insufficient_data,
                alarm_settings,
            },
            PlannedCheck::CloudwatchMetric {
                alarm_region,
                alarm_name,
            },
        ) => {
            let mut why = Vec::new();
            if let Some((region, name)) = alarm
                && (region != alarm_region || name != alarm_name)
            {
                why.push(format!(
                    "it follows alarm {name} in {region}, not {alarm_name} in {alarm_region}"
                ));
            }
            if let Some(status) = insufficient_data
                && status != "LastKnownStatus"
            {
                why.push(format!(
                    "with no data it reports {status}, not its last known status"
                ));
            }
            let wanted = gate_alarm_settings(config, &slot.region);
            if let Some(copied) = alarm_settings
                && !copied.same_as(&wanted)
            {
                why.push(format!(
                    "Route 53 holds the alarm settings it copied, {}, and the alarm has {}",
                    copied.describe(),
                    wanted.describe()
                ));
            }
            (!why.is_empty()).then(|| why.join("; "))
        }
        (
            ReportedCheck::Calculated {
                children,
                health_threshold,
            },
            PlannedCheck::Calculated {
                children: planned,
                health_threshold: wanted_threshold,
            },
        ) => {
            let Some(wanted) = planned
                .iter()
                .map(|child| resolve_ref(child, ids))
                .collect::<Option<Vec<String>>>()
            else {
                return Some(format!(
                    "its children [{}] lack a check this run creates",
                    children.join(", ")
                ));
            };
            // Route 53 does not promise the children's order: they compare as a set.
            let sorted = |list: &[String]| {
                let mut list = list.to_vec();
                list.sort();
                list
            };
            (sorted(children) != sorted(&wanted) || health_threshold != wanted_threshold).then(
                || {
                    format!(
                        "it needs {health_threshold} of [{}], not {wanted_threshold} of [{}]",
                        children.join(", "),
                        wanted.join(", ")
                    )
                },
            )
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caller_reference_hash_is_fnv1a_and_never_changes() {
        // Published FNV-1a 64 test vectors: a change here would orphan every check.
        assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a("foobar"), 0x8594_4171_f739_67e8);
    }

    /// The fingerprint in a gate alarm's description must not change with the code that
    /// computes it: a change would make init rewrite every deployed gate alarm.
    #[test]
    fn gate_alarm_fingerprints_are_those_of_before() {
        let config = Config::from_toml_str(include_str!("../../../events/watcher-config.toml"))
            .expect("valid");
        let record = config.record_name.trim_end_matches('.');
        let before = format!(
            "{}|GateOpen|Record={record},Region=us-east-1|Minimum|60|1|LessThanThreshold|1|ignore",
            config.metrics_namespace
        );
        let description = gate_alarm(&config, "us-east-1").description;
        assert!(
            description.ends_with(&format!("settings {:016x}", fnv1a(&before))),
            "{description}"
        );
    }

    #[test]
    fn a_gate_check_s_caller_reference_covers_the_namespace() {
        let mut config = Config::from_toml_str(include_str!("../../../events/watcher-config.toml"))
            .expect("valid");
        let gate = CheckConfig::CloudwatchMetric {
            alarm_region: config.gate_host_region("us-east-1").to_string(),
            alarm_name: config.gate_alarm_name("us-east-1"),
        };
        let before = caller_reference(&config, "us-east-1", CheckRole::Gate, &gate);
        config.metrics_namespace = "RegionFlipV2".into();
        assert_ne!(
            caller_reference(&config, "us-east-1", CheckRole::Gate, &gate),
            before
        );
        assert!(before.starts_with(&reference_prefix("us-east-1", CheckRole::Gate)));
    }

    #[test]
    fn caller_references_fit_route53_s_limit_and_differ_by_settings() {
        let text = "hosted_zone_id = \"Z0123456789ABCDEFGHIJ\"\nrecord_name = \"a-very-long-label-for-the-api-name.example.com\"\n\
                    [[regions]]\nname = \"ap-southeast-2\"\ntarget = \"a.example.com\"\nalarms = [\"x\"]\n\
                    [[regions]]\nname = \"us-gov-west-1\"\ntarget = \"b.example.com\"\nalarms = [\"y\"]\n";
        let config = Config::from_toml_str(text).expect("valid");
        let gate = |name: &str| CheckConfig::CloudwatchMetric {
            alarm_region: "us-gov-west-1".into(),
            alarm_name: name.into(),
        };
        let calculated = CheckConfig::Calculated {
            children: vec!["11111111-2222-3333-4444-555555555555".into(); 2],
            health_threshold: 2,
        };
        let a = caller_reference(
            &config,
            "ap-southeast-2",
            CheckRole::Calculated,
            &calculated,
        );
        assert!(a.len() <= 64, "{a} is {} characters", a.len());
        assert!(
            a.starts_with("regionflip-calculated-ap-southeast-2-"),
            "{a}"
        );
        assert_ne!(
            caller_reference(&config, "ap-southeast-2", CheckRole::Gate, &gate("one")),
            caller_reference(&config, "ap-southeast-2", CheckRole::Gate, &gate("two"))
        );
    }
}
