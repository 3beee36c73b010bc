//! Names, tags, caller references and settings of what `init` owns, derived from the
//! configuration alone so that every run (and every region) derives the same ones.

use std::collections::BTreeMap;

use regionflip_core::resources::{GATE_METRIC, RECORD_DIMENSION, REGION_DIMENSION};
use regionflip_core::{Config, RegionConfig};

use crate::{
    TAG_RECORD, TAG_REGION, TAG_ROLE,
    plan::{CheckRef, CheckRole, PlannedCheck},
    ports::{CheckConfig, GateAlarm, HealthCheckInfo},
};

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
/// region, the role and the settings (at most 64 characters, as Route 53 requires).
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
        } => format!("cloudwatch-metric|{alarm_region}|{alarm_name}|LastKnownStatus"),
        CheckConfig::Calculated {
            children,
            health_threshold,
        } => format!("calculated|{health_threshold}|{}", children.join(",")),
    };
    let hash = fnv1a(&format!(
        "{}|{region}|{}|{settings}",
        config.record_name,
        role.as_str()
    ));
    format!("regionflip-{}-{region}-{hash:016x}", role.as_str())
}

/// FNV-1a, 64 bits: a hash whose value never changes between builds (std's hasher makes
/// no such promise, and caller references must stay the same forever).
pub(crate) fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The gate alarm of `region`, as init creates it.
pub fn gate_alarm(config: &Config, region: &str) -> GateAlarm {
    let record = config.record_name.trim_end_matches('.').to_string();
    let dimensions = vec![
        (RECORD_DIMENSION.to_string(), record.clone()),
        (REGION_DIMENSION.to_string(), region.to_string()),
    ];
    let settings = format!(
        "{}|{GATE_METRIC}|{}|Minimum|60|1|LessThanThreshold|1|ignore",
        config.metrics_namespace,
        dimensions
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    GateAlarm {
        name: config.gate_alarm_name(region),
        description: format!(
            "regionflip gate of {region} for {record}: ALARM closes it. Managed by \
             `regionflip init`; do not edit. settings {:016x}",
            fnv1a(&settings)
        ),
        namespace: config.metrics_namespace.clone(),
        dimensions,
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
    pub(crate) existing: Option<String>,
}

impl CheckSlot {
    pub(crate) fn reference(&self) -> CheckRef {
        match &self.existing {
            Some(id) => CheckRef::Existing { id: id.clone() },
            None => CheckRef::New {
                region: self.region.clone(),
                role: self.role,
            },
        }
    }
}

/// The gate and calculated checks of every region, matched with existing checks by
/// caller reference. A calculated check whose gate check is still to be created is
/// necessarily new.
pub(crate) fn check_slots(config: &Config, checks: &[HealthCheckInfo]) -> Vec<CheckSlot> {
    let find = |reference: &str| {
        checks
            .iter()
            .find(|c| c.caller_reference == reference)
            .map(|c| c.id.clone())
    };
    let mut found = CheckIds::new();
    let mut slots = Vec::new();
    for role in [CheckRole::Gate, CheckRole::Calculated] {
        for region in &config.regions {
            let gate = slots
                .iter()
                .find(|s: &&CheckSlot| s.region == region.name && s.role == CheckRole::Gate)
                .map_or(
                    CheckRef::New {
                        region: region.name.clone(),
                        role: CheckRole::Gate,
                    },
                    CheckSlot::reference,
                );
            let planned = planned_check(config, region, role, gate);
            let existing = resolve(&planned, &found).and_then(|resolved| {
                find(&caller_reference(config, &region.name, role, &resolved))
            });
            if let Some(id) = &existing {
                found.insert((region.name.clone(), role), id.clone());
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
