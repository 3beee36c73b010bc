//! How plans and records read to a person: `init --dry-run`, reports and refusals.

use std::fmt;

use regionflip_core::RecordSet;

use crate::plan::{CheckRef, PlannedCheck, Step};

/// `CLOUDWATCH_METRIC on alarm … in …` or `CALCULATED, n of [...] healthy`.
fn planned_check(f: &mut fmt::Formatter<'_>, check: &PlannedCheck) -> fmt::Result {
    match check {
        PlannedCheck::CloudwatchMetric {
            alarm_region,
            alarm_name,
        } => write!(
            f,
            "CLOUDWATCH_METRIC on alarm {alarm_name} in {alarm_region} (insufficient data: \
             last known status)"
        ),
        PlannedCheck::Calculated {
            children,
            health_threshold,
        } => {
            let children: Vec<String> = children.iter().map(ToString::to_string).collect();
            write!(
                f,
                "CALCULATED, {health_threshold} of [{}] healthy",
                children.join(", ")
            )
        }
    }
}

impl fmt::Display for CheckRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckRef::Existing { id } => write!(f, "{id}"),
            CheckRef::New { region, role } => {
                write!(f, "the new {} check of {region}", role.as_str())
            }
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::PutStateAlarm {
                region,
                alarm_name,
                state,
            } => write!(
                f,
                "write state holder alarm {alarm_name} in {region}: {state}"
            ),
            Step::PutGateAlarm {
                region,
                gated_region,
                alarm,
                rewrite,
            } => write!(
                f,
                "{} gate alarm {} in {region} for {gated_region}: {} {} {} over \
                 {} s < {} → ALARM, missing data leaves the alarm's state ({})",
                if *rewrite {
                    "rewrite (settings changed)"
                } else {
                    "create"
                },
                alarm.name,
                alarm.settings.namespace,
                alarm.settings.metric_name,
                alarm.settings.statistic,
                alarm.settings.period,
                alarm.settings.threshold,
                alarm.treat_missing_data
            ),
            Step::PublishGates { region, gates } => {
                let gates: Vec<String> = gates
                    .iter()
                    .map(|g| format!("{} {}", g.region, if g.open { "open" } else { "closed" }))
                    .collect();
                write!(f, "publish initial gates in {region}: {}", gates.join(", "))
            }
            Step::CreateHealthCheck {
                region,
                role,
                check,
            } => {
                write!(f, "create {} health check of {region}: ", role.as_str())?;
                planned_check(f, check)
            }
            Step::UpdateHealthCheck {
                id,
                region,
                role,
                check,
                why,
            } => {
                write!(
                    f,
                    "update {} health check {id} of {region} ({why}) to ",
                    role.as_str()
                )?;
                planned_check(f, check)?;
                if matches!(check, PlannedCheck::CloudwatchMetric { .. }) {
                    write!(f, ": Route 53 copies the alarm's settings again")?;
                }
                Ok(())
            }
            Step::TagHealthCheck { id, tags } => {
                let tags: Vec<String> = tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
                write!(f, "tag health check {id}: {}", tags.join(", "))
            }
            Step::CreateRecords { records, adopted } => {
                match adopted {
                    Some(record) => write!(
                        f,
                        "in one change batch, delete {} → {} (adopted) and create:",
                        describe_record(record),
                        record_target(record)
                    )?,
                    None => write!(f, "create in one change batch:")?,
                }
                for planned in records {
                    let record = &planned.record;
                    write!(f, "\n      {}", describe_record(record))?;
                    if let Some(role) = record.failover {
                        write!(
                            f,
                            " {} → {}",
                            format!("{role:?}").to_uppercase(),
                            record_target(record)
                        )?;
                    } else if record.latency_region.is_some() || record.weight.is_some() {
                        write!(f, " {} → {}", routing_of(record), record_target(record))?;
                    } else {
                        write!(f, " {}", record.values.join(" "))?;
                    }
                    match (&planned.health_check, &record.health_check_id) {
                        (Some(check), _) => write!(f, ", health check {check}")?,
                        (None, Some(id)) => write!(f, ", health check {id}")?,
                        (None, None) => {}
                    }
                }
                Ok(())
            }
            Step::RewireRecords { records } => {
                write!(
                    f,
                    "move onto the replaced endpoint checks, in one change batch (DELETE as \
                     read, CREATE on the new check):"
                )?;
                for rewired in records {
                    write!(
                        f,
                        "\n      {} → {}: health check {} → {}",
                        describe_record(&rewired.old),
                        record_target(&rewired.old),
                        rewired.old.health_check_id.as_deref().unwrap_or("none"),
                        rewired.new.health_check_id.as_deref().unwrap_or("none")
                    )?;
                }
                Ok(())
            }
        }
    }
}

/// `a CNAME record (set identifier other, Primary)`.
pub(crate) fn kind_of_record(record: &RecordSet) -> String {
    let mut text = format!("a {} record", record.record_type);
    match (&record.set_identifier, record.failover) {
        (Some(id), Some(role)) => text.push_str(&format!(" (set identifier {id}, {role:?})")),
        (Some(id), None) => text.push_str(&format!(" (set identifier {id})")),
        _ => {}
    }
    text
}

/// `api.example.com. CNAME regionflip-primary`.
pub(crate) fn describe_record(record: &RecordSet) -> String {
    let mut text = format!("{} {}", record.name, record.record_type);
    if let Some(id) = &record.set_identifier {
        text.push(' ');
        text.push_str(id);
    }
    text
}

/// A latency or weighted record's routing: `latency us-east-1`, `weight 3`.
pub(crate) fn routing_of(record: &RecordSet) -> String {
    match (&record.latency_region, record.weight) {
        (Some(region), _) => format!("latency {region}"),
        (None, Some(weight)) => format!("weight {weight}"),
        (None, None) => "no routing policy".into(),
    }
}

/// Where a record points: its alias target or its first value.
pub(crate) fn record_target(record: &RecordSet) -> String {
    record
        .alias
        .as_ref()
        .map(|a| a.dns_name.clone())
        .or_else(|| record.values.first().cloned())
        .unwrap_or_default()
}
