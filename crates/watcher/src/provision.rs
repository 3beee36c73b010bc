//! `regionflip init`: creating what regionflip owns, idempotently, never overwriting what
//! it does not own.
//!
//! # Who creates what
//!
//! Every resource has exactly one creator:
//!
//! | resource                                                      | created by            |
//! |---------------------------------------------------------------|-----------------------|
//! | each region's health API (the `health` Lambda)                | SAM stack, per region |
//! | each region's endpoint check (`HTTPS_STR_MATCH`)              | SAM stack, per region |
//! | each region's watcher Lambda, its schedule and rules          | SAM stack, per region |
//! | the dashboard                                                 | SAM stack, per region |
//! | the failover pair `<record>` PRIMARY / SECONDARY              | `init`                |
//! | `records`: the TXT state record `_regionflip.<record>`        | `init`                |
//! | `health-gate`: the state holder alarm, in every region        | `init`                |
//! | `health-gate`: each region's gate alarm (in the next region)  | `init`                |
//! | `health-gate`: each region's gate check (`CLOUDWATCH_METRIC`) | `init`                |
//! | `health-gate`: each region's `CALCULATED` check               | `init`                |
//!
//! The stack creates what belongs to one region; `init` creates everything that spans
//! regions (state, gates and the records that tie the regions together), so no stack
//! depends on another region's stack and no resource is created twice.
//!
//! # How init stays idempotent
//!
//! Init first reads everything it would create ([`read_world`]), then plans ([`plan`],
//! pure) and only then writes ([`apply`]). What exists as init would create it is left
//! alone; what is missing is created; what exists *differently*, or was not created by
//! regionflip, stops init before its first write ([`InitError::Refused`]), naming the
//! resource and the fix. So a second run writes nothing, and a run interrupted half-way
//! continues where it stopped.
//!
//! * **Records** are created in one change batch of CREATEs: a concurrent init, or records
//!   that appeared since they were read, make the whole batch fail instead of mixing two
//!   inits' records. In `records` mode the watcher owns the pair after init (it moves
//!   PRIMARY), so any arrangement of regionflip's pair over configured regions counts as
//!   initialised; in `health-gate` mode the pair never changes after init and must match
//!   exactly. That pair is home (PRIMARY) and the next region (SECONDARY), so in
//!   `health-gate` mode a third region is never routed to.
//! * **State** is never reset: in `health-gate` mode the state holders are written only
//!   when no region holds a valid state (a region that lacks its copy gets the newest
//!   valid one), and the initial gates (all open) are published only then.
//! * **Health checks** are found again by their `CallerReference`, which is derived from
//!   the record, the region, the role and the check's settings
//!   (`regionflip-gate-us-east-1-<hash>`): real Route 53 answers a repeated
//!   `CreateHealthCheck` with the same reference and settings with the existing check, so
//!   even two inits racing create one check. (moto creates a second one; init lists
//!   first, so only a race would show it.) Checks are tagged `regionflip:record`,
//!   `regionflip:region` and `regionflip:role` for people and for cost reports; missing
//!   tags are added again.
//! * **Gate alarms** carry a fingerprint of their settings in their description; an alarm
//!   whose fingerprint differs is rewritten (it is regionflip's by its name), one whose
//!   fingerprint matches is left alone.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;

use futures_util::future::join_all;
use regionflip_core::records::{
    PRIMARY_SET_ID, SECONDARY_SET_ID, failover_record, region_of_record, state_record,
};
use regionflip_core::resources::{GATE_METRIC, RECORD_DIMENSION, REGION_DIMENSION};
use regionflip_core::{
    Change, ChangeAction, Config, EngineState, FailoverRole, GateSetting, Mode, RecordSet,
    RegionConfig, StateObservation,
};
use serde::Serialize;

use crate::metrics::gate_data;
use crate::ports::{AwsError, ChangeError, CloudWatchApi, Route53Api, StateAlarm};

/// Tag naming the record a health check belongs to (without the trailing dot).
pub const TAG_RECORD: &str = "regionflip:record";
/// Tag naming the region a health check describes.
pub const TAG_REGION: &str = "regionflip:region";
/// Tag naming the check's role: `gate` or `calculated`.
pub const TAG_ROLE: &str = "regionflip:role";

/// Records asked for in the one `ListResourceRecordSets` that reads the record name.
const RECORD_PAGE: i32 = 100;
/// Route 53 accepts at most this many ids in one `ListTagsForResources`.
pub const MAX_TAGGED_PER_CALL: usize = 10;

// ------------------------------------------------------------------------------- ports

/// A Route 53 health check as `ListHealthChecks` reports it, as far as init needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheckInfo {
    /// The check id.
    pub id: String,
    /// The caller reference it was created with.
    pub caller_reference: String,
}

/// The settings of a health check regionflip creates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CheckConfig {
    /// Healthy while the alarm is OK; `InsufficientDataHealthStatus` is
    /// `LastKnownStatus`, so a starved gate alarm keeps its last verdict.
    CloudwatchMetric {
        /// Region of the alarm.
        alarm_region: String,
        /// Name of the alarm.
        alarm_name: String,
    },
    /// Healthy while at least `health_threshold` children are healthy.
    Calculated {
        /// The child checks' ids.
        children: Vec<String>,
        /// How many children must be healthy.
        health_threshold: u32,
    },
}

/// A `CreateHealthCheck` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHealthCheck {
    /// Unique per check; see the module documentation.
    pub caller_reference: String,
    /// Its settings.
    pub config: CheckConfig,
}

/// Route 53 health checks, as init uses them.
pub trait HealthCheckApi: Send + Sync {
    /// Every health check of the account (all pages of `ListHealthChecks`).
    fn list_health_checks(
        &self,
    ) -> impl Future<Output = Result<Vec<HealthCheckInfo>, AwsError>> + Send;

    /// Creates a health check and returns its id.
    fn create_health_check(
        &self,
        check: &NewHealthCheck,
    ) -> impl Future<Output = Result<String, AwsError>> + Send;

    /// The tags of these checks (`ListTagsForResources`, in calls of at most
    /// [`MAX_TAGGED_PER_CALL`]).
    fn health_check_tags(
        &self,
        ids: &[String],
    ) -> impl Future<Output = Result<BTreeMap<String, BTreeMap<String, String>>, AwsError>> + Send;

    /// Adds (or overwrites) tags on a check (`ChangeTagsForResource`).
    fn tag_health_check(
        &self,
        id: &str,
        tags: &BTreeMap<String, String>,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
}

/// A gate alarm: ALARM (gate closed) when the minimum of the region's `GateOpen` metric
/// over a minute is below 1; missing data keeps the last state, so a watcher outage
/// leaves the gates as they were (static stability).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GateAlarm {
    /// Alarm name ([`Config::gate_alarm_name`]).
    pub name: String,
    /// Description, ending in the settings' fingerprint.
    pub description: String,
    /// The metrics namespace.
    pub namespace: String,
    /// The metric's dimensions: `Record` and `Region`.
    pub dimensions: Vec<(String, String)>,
}

/// CloudWatch alarms, as init uses them beyond [`CloudWatchApi`].
pub trait GateAlarmApi: Send + Sync {
    /// Creates or rewrites a gate alarm in `region` (`PutMetricAlarm`).
    fn put_gate_alarm(
        &self,
        region: &str,
        alarm: &GateAlarm,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
}

// ------------------------------------------------------------------------- the plan

/// The two health checks init creates per region in `health-gate` mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckRole {
    /// `CLOUDWATCH_METRIC` on the region's gate alarm.
    Gate,
    /// `CALCULATED`: the endpoint check and the gate check.
    Calculated,
}

impl CheckRole {
    /// The spelling in tags and caller references.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckRole::Gate => "gate",
            CheckRole::Calculated => "calculated",
        }
    }
}

/// A health check that exists, or one this plan creates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "check", rename_all = "kebab-case")]
pub enum CheckRef {
    /// An existing check.
    Existing {
        /// Its id.
        id: String,
    },
    /// The check of `role` for `region` that an earlier step of the plan creates.
    New {
        /// Its region.
        region: String,
        /// Its role.
        role: CheckRole,
    },
}

/// A health check's settings before the ids of checks still to be created are known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PlannedCheck {
    /// See [`CheckConfig::CloudwatchMetric`].
    CloudwatchMetric {
        /// Region of the alarm.
        alarm_region: String,
        /// Name of the alarm.
        alarm_name: String,
    },
    /// See [`CheckConfig::Calculated`].
    Calculated {
        /// The children.
        children: Vec<CheckRef>,
        /// How many must be healthy.
        health_threshold: u32,
    },
}

/// A failover record to create, whose health check may not exist yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedRecord {
    /// The record (its `health_check_id` is filled in from `health_check` when applied).
    pub record: RecordSet,
    /// Its health check, when it is one init creates or found.
    pub health_check: Option<CheckRef>,
}

/// One write of the plan, in the order they are applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "kebab-case")]
pub enum Step {
    /// Writes the engine state into the state holder alarm of `region`.
    PutStateAlarm {
        /// The region.
        region: String,
        /// The alarm.
        alarm_name: String,
        /// The state, in its text form.
        state: String,
    },
    /// Creates (or rewrites, when its settings changed) a gate alarm.
    PutGateAlarm {
        /// The region hosting the alarm.
        region: String,
        /// The region it gates.
        gated_region: String,
        /// The alarm.
        alarm: GateAlarm,
        /// It exists with other settings and is rewritten.
        rewrite: bool,
    },
    /// Publishes gate values in their host region.
    PublishGates {
        /// The host region.
        region: String,
        /// The gates hosted there.
        gates: Vec<GateSetting>,
    },
    /// Creates a health check and tags it.
    CreateHealthCheck {
        /// The region it describes.
        region: String,
        /// Its role.
        role: CheckRole,
        /// Its settings.
        check: PlannedCheck,
    },
    /// Adds missing tags to a check init created earlier.
    TagHealthCheck {
        /// The check.
        id: String,
        /// The tags.
        tags: BTreeMap<String, String>,
    },
    /// Creates records in one change batch of CREATEs.
    CreateRecords {
        /// The records.
        records: Vec<PlannedRecord>,
    },
}

/// What init would do, and what already exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InitPlan {
    /// The writes, in order. Empty: already initialised.
    pub steps: Vec<Step>,
    /// What exists already as init would create it, as sentences.
    pub existing: Vec<String>,
}

/// Everything init reads before it plans.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct World {
    /// Records named like the record or the state record.
    pub records: Vec<RecordSet>,
    /// `health-gate`: per configured region, the state holder's description if the alarm
    /// exists.
    pub state_holders: Vec<(String, Option<String>)>,
    /// `health-gate`: per configured region (the gated one), its gate alarm's description
    /// if the alarm exists.
    pub gate_alarms: Vec<(String, Option<String>)>,
    /// `health-gate`: every health check of the account.
    pub health_checks: Vec<HealthCheckInfo>,
    /// `health-gate`: the tags of the checks that init would create and that exist.
    pub check_tags: BTreeMap<String, BTreeMap<String, String>>,
}

/// What an init run did (or, on a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InitReport {
    /// Nothing was written.
    pub dry_run: bool,
    /// Everything existed already; nothing was (or would be) written.
    pub already_initialised: bool,
    /// What existed already.
    pub existing: Vec<String>,
    /// The planned writes.
    pub steps: Vec<Step>,
    /// What was created, with the ids AWS gave it (empty on a dry run).
    pub created: Vec<String>,
}

/// Why init stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InitError {
    /// Something exists that regionflip did not create, or not as init would create it.
    /// Nothing was written.
    #[error("{}", .0.join("\n"))]
    Refused(Vec<String>),
    /// What exists could not be read. Nothing was written.
    #[error("could not read what exists, nothing was written: {0}")]
    Read(String),
    /// A write failed.
    #[error("{error}{}", done_so_far(.done))]
    Apply {
        /// What failed.
        error: String,
        /// What was created before it.
        done: Vec<String>,
    },
}

fn done_so_far(done: &[String]) -> String {
    if done.is_empty() {
        "; nothing was written".into()
    } else {
        format!(
            "; created before the failure: {}. Run init again: it continues where it stopped",
            done.join("; ")
        )
    }
}

// ------------------------------------------------------------------ names and hashes

/// The tags of the check of `role` for `region`.
pub fn check_tags(config: &Config, region: &str, role: CheckRole) -> BTreeMap<String, String> {
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
fn fnv1a(text: &str) -> u64 {
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
fn planned_check(
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
fn resolve(
    check: &PlannedCheck,
    ids: &BTreeMap<(String, CheckRole), String>,
) -> Option<CheckConfig> {
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

fn resolve_ref(check: &CheckRef, ids: &BTreeMap<(String, CheckRole), String>) -> Option<String> {
    match check {
        CheckRef::Existing { id } => Some(id.clone()),
        CheckRef::New { region, role } => ids.get(&(region.clone(), *role)).cloned(),
    }
}

/// One check init manages, and whether it exists.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CheckSlot {
    region: String,
    role: CheckRole,
    planned: PlannedCheck,
    existing: Option<String>,
}

impl CheckSlot {
    fn reference(&self) -> CheckRef {
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
fn check_slots(config: &Config, checks: &[HealthCheckInfo]) -> Vec<CheckSlot> {
    let find = |reference: &str| {
        checks
            .iter()
            .find(|c| c.caller_reference == reference)
            .map(|c| c.id.clone())
    };
    let mut found = BTreeMap::new();
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

// ------------------------------------------------------------------------ planning

/// Plans init from what exists. Pure: the same world always gives the same plan. Every
/// problem is collected before refusing, so one run names them all.
pub fn plan(config: &Config, world: &World) -> Result<InitPlan, InitError> {
    let mut planner = Planner {
        config,
        steps: Vec::new(),
        existing: Vec::new(),
        problems: Vec::new(),
        initial_gates: Vec::new(),
    };
    if config.mode == Mode::HealthGate && config.regions.len() > 2 {
        // The static failover pair holds two regions; a gate closed on both would leave
        // Route 53 answering PRIMARY ("all unhealthy counts as all healthy"), so a third
        // region would be decided on but never served. Refuse rather than pretend.
        planner.problems.push(format!(
            "mode = \"health-gate\" routes through one static failover pair, so it serves two regions, and {} are configured; use mode = \"records\" for three or more regions, or list two",
            config.regions.len()
        ));
    }
    let pair = planner.own_records(&world.records);
    match config.mode {
        Mode::Records => planner.records_mode(&world.records, pair),
        Mode::HealthGate => planner.gate_mode(world, pair),
    }
    if planner.problems.is_empty() {
        Ok(InitPlan {
            steps: planner.steps,
            existing: planner.existing,
        })
    } else {
        Err(InitError::Refused(planner.problems))
    }
}

struct Planner<'c> {
    config: &'c Config,
    steps: Vec<Step>,
    existing: Vec<String>,
    problems: Vec<String>,
    /// Initial gate values by host region, published once the gate alarms exist.
    initial_gates: Vec<(String, Vec<GateSetting>)>,
}

/// regionflip's failover pair as found.
#[derive(Default)]
struct OwnPair {
    primary: Option<RecordSet>,
    secondary: Option<RecordSet>,
}

impl Planner<'_> {
    /// Sorts the records at the record name into regionflip's pair and records it does
    /// not own; the latter are problems.
    fn own_records(&mut self, records: &[RecordSet]) -> OwnPair {
        let config = self.config;
        let mut pair = OwnPair::default();
        // Types that would mix with the pair: the same type, a CNAME (which excludes
        // every other type), and for A records an AAAA, whose answers would bypass the
        // failover.
        let conflicting = |t: &str| {
            t == config.record_type.as_str()
                || t == "CNAME"
                || (config.record_type.as_str() == "A" && t == "AAAA")
        };
        for record in records.iter().filter(|r| r.name == config.record_name) {
            let role = match record.set_identifier.as_deref() {
                Some(PRIMARY_SET_ID) => Some(FailoverRole::Primary),
                Some(SECONDARY_SET_ID) => Some(FailoverRole::Secondary),
                _ => None,
            };
            let ours = record.record_type == config.record_type.as_str()
                && role.is_some()
                && record.failover == role;
            match (ours, role) {
                (true, Some(FailoverRole::Primary)) => pair.primary = Some(record.clone()),
                (true, Some(FailoverRole::Secondary)) => pair.secondary = Some(record.clone()),
                _ if conflicting(&record.record_type) => self.problems.push(format!(
                    "{} already has {} that regionflip did not create; init never overwrites \
                     it. Delete it (regionflip then creates its failover pair there) or choose \
                     another record_name",
                    config.record_name,
                    kind_of_record(record)
                )),
                _ => {}
            }
        }
        for record in [&pair.primary, &pair.secondary].into_iter().flatten() {
            if region_of_record(config, record).is_none() {
                self.problems.push(format!(
                    "{} points at {}, which is no configured region; init does not touch it. \
                     Add that region to the configuration, or delete the record",
                    describe_record(record),
                    record_target(record)
                ));
            }
        }
        pair
    }

    fn records_mode(&mut self, records: &[RecordSet], pair: OwnPair) {
        let config = self.config;
        let state_name = config.state_record_name();
        let mut state = None;
        for record in records.iter().filter(|r| r.name == state_name) {
            match StateObservation::from_state_record(record.clone()) {
                StateObservation::Valid { state: found, .. } if record.record_type == "TXT" => {
                    self.existing.push(format!(
                        "state record {state_name} (sequence {}, active {})",
                        found.sequence, found.active
                    ));
                    state = Some(found);
                }
                StateObservation::Corrupt { error, .. } if record.record_type == "TXT" => {
                    self.problems.push(format!(
                        "{state_name} holds a TXT record regionflip cannot read ({error}); init \
                         never resets a state. If nothing else uses it, delete it and run init \
                         again"
                    ));
                }
                _ => self.problems.push(format!(
                    "{state_name} already has {} that regionflip did not create; delete it so \
                     that init can create the state record there",
                    kind_of_record(record)
                )),
            }
        }
        let region_of = |record: &Option<RecordSet>| {
            record
                .as_ref()
                .and_then(|r| region_of_record(config, r))
                .map(|r| r.name.clone())
        };
        let (routed_primary, routed_secondary) =
            (region_of(&pair.primary), region_of(&pair.secondary));
        if routed_primary.is_some() && routed_primary == routed_secondary {
            self.problems.push(format!(
                "regionflip's PRIMARY and SECONDARY records of {} both point at {}; delete one \
                 of them and run init again",
                config.record_name,
                routed_primary.as_deref().unwrap_or_default()
            ));
        }
        if !self.problems.is_empty() {
            return;
        }
        // DNS is what users get: a PRIMARY that exists decides where traffic is; else the
        // state, else home (but never the region a lone SECONDARY already points at).
        let other_than = |taken: Option<&str>| {
            config
                .regions
                .iter()
                .find(|r| Some(r.name.as_str()) != taken)
                .map(|r| r.name.clone())
        };
        let active = routed_primary.clone().unwrap_or_else(|| {
            let wanted = state
                .as_ref()
                .map(|s| s.active.clone())
                .filter(|a| config.region(a).is_some())
                .unwrap_or_else(|| config.home().name.clone());
            if Some(&wanted) == routed_secondary.as_ref() {
                other_than(routed_secondary.as_deref()).unwrap_or(wanted)
            } else {
                wanted
            }
        });
        let standby = routed_secondary
            .clone()
            .or_else(|| other_than(Some(&active)))
            .unwrap_or_else(|| config.home().name.clone());
        let mut creates = Vec::new();
        for (found, role, region) in [
            (&pair.primary, FailoverRole::Primary, &active),
            (&pair.secondary, FailoverRole::Secondary, &standby),
        ] {
            match (found, config.region(region)) {
                (Some(record), _) => self.existing.push(format!(
                    "{} → {}",
                    describe_record(record),
                    region_of_record(config, record).map_or("?", |r| r.name.as_str())
                )),
                (None, Some(region)) => creates.push(PlannedRecord {
                    record: failover_record(config, region, role),
                    health_check: None,
                }),
                // Every name above comes from the configuration.
                (None, None) => {}
            }
        }
        if state.is_none() {
            let initial = EngineState {
                sequence: 1,
                ..EngineState::initial(&active)
            };
            creates.push(PlannedRecord {
                record: state_record(config, &initial),
                health_check: None,
            });
        }
        if !creates.is_empty() {
            self.steps.push(Step::CreateRecords { records: creates });
        }
    }

    fn gate_mode(&mut self, world: &World, pair: OwnPair) {
        let config = self.config;
        self.gate_state(world);
        for region in &config.regions {
            let wanted = gate_alarm(config, &region.name);
            let host = config.gate_host_region(&region.name).to_string();
            let found = world
                .gate_alarms
                .iter()
                .find(|(gated, _)| *gated == region.name)
                .map(|(_, description)| description);
            match found {
                Some(Some(description)) if *description == wanted.description => self
                    .existing
                    .push(format!("gate alarm {} in {host}", wanted.name)),
                found => self.steps.push(Step::PutGateAlarm {
                    region: host,
                    gated_region: region.name.clone(),
                    rewrite: matches!(found, Some(Some(_))),
                    alarm: wanted,
                }),
            }
        }
        for (host, gates) in std::mem::take(&mut self.initial_gates) {
            self.steps.push(Step::PublishGates {
                region: host,
                gates,
            });
        }
        let slots = check_slots(config, &world.health_checks);
        for slot in &slots {
            match &slot.existing {
                Some(id) => {
                    self.existing.push(format!(
                        "{} check {id} of {}",
                        slot.role.as_str(),
                        slot.region
                    ));
                    let wanted = check_tags(config, &slot.region, slot.role);
                    let tags = world.check_tags.get(id);
                    if wanted
                        .iter()
                        .any(|(k, v)| tags.and_then(|t| t.get(k)) != Some(v))
                    {
                        self.steps.push(Step::TagHealthCheck {
                            id: id.clone(),
                            tags: wanted,
                        });
                    }
                }
                None => self.steps.push(Step::CreateHealthCheck {
                    region: slot.region.clone(),
                    role: slot.role,
                    check: slot.planned.clone(),
                }),
            }
        }
        // The pair: home PRIMARY, the next region SECONDARY, each on its CALCULATED check.
        let mut creates = Vec::new();
        for (found, region, role) in [
            (&pair.primary, &config.regions[0], FailoverRole::Primary),
            (&pair.secondary, &config.regions[1], FailoverRole::Secondary),
        ] {
            let Some(calculated) = slots
                .iter()
                .find(|s| s.region == region.name && s.role == CheckRole::Calculated)
            else {
                continue;
            };
            let check = calculated.reference();
            let mut wanted = failover_record(config, region, role);
            wanted.health_check_id = match &check {
                CheckRef::Existing { id } => Some(id.clone()),
                CheckRef::New { .. } => None,
            };
            match found {
                Some(record) if wanted.health_check_id.is_some() && *record == wanted => {
                    self.existing
                        .push(format!("{} → {}", describe_record(record), region.name));
                }
                Some(record) => self.problems.push(format!(
                    "{} exists but differs from what init creates ({}); in health-gate mode \
                     regionflip never rewrites the failover records. Delete it and run init \
                     again",
                    describe_record(record),
                    match &check {
                        CheckRef::Existing { id } =>
                            format!("{} on health check {id}", region.target),
                        CheckRef::New { .. } => format!(
                            "its health check would be a new CALCULATED check of {}, not {}",
                            region.name,
                            record.health_check_id.as_deref().unwrap_or("none")
                        ),
                    }
                )),
                None => creates.push(PlannedRecord {
                    record: wanted,
                    health_check: Some(check),
                }),
            }
        }
        if !creates.is_empty() {
            self.steps.push(Step::CreateRecords { records: creates });
        }
    }

    /// The state holders: written only when no region holds a valid state; a region
    /// without its copy gets the newest valid one; a state is never reset.
    fn gate_state(&mut self, world: &World) {
        let config = self.config;
        let alarm_name = config.state_alarm_name();
        let mut newest: Option<EngineState> = None;
        let mut corrupt = Vec::new();
        for (region, description) in &world.state_holders {
            let Some(text) = description else { continue };
            match StateObservation::from_text(text) {
                StateObservation::Valid { state, .. }
                    if newest.as_ref().is_none_or(|n| state.sequence > n.sequence) =>
                {
                    newest = Some(state);
                }
                StateObservation::Corrupt { error, .. } => {
                    corrupt.push(format!("{region}: {error}"))
                }
                _ => {}
            }
        }
        let missing: Vec<&String> = world
            .state_holders
            .iter()
            .filter(|(_, d)| d.is_none())
            .map(|(r, _)| r)
            .collect();
        match newest {
            Some(state) => {
                self.existing.push(format!(
                    "state holder {alarm_name} (sequence {}, active {})",
                    state.sequence, state.active
                ));
                for region in missing {
                    self.steps.push(Step::PutStateAlarm {
                        region: region.clone(),
                        alarm_name: alarm_name.clone(),
                        state: state.encode(),
                    });
                }
            }
            None if !corrupt.is_empty() => self.problems.push(format!(
                "the state holder alarm {alarm_name} exists but regionflip cannot read it ({}); \
                 init never resets a state. If no watcher runs yet, delete the alarm in those \
                 regions and run init again",
                corrupt.join("; ")
            )),
            None => {
                let initial = EngineState {
                    sequence: 1,
                    ..EngineState::initial(&config.home().name)
                };
                for (region, _) in &world.state_holders {
                    self.steps.push(Step::PutStateAlarm {
                        region: region.clone(),
                        alarm_name: alarm_name.clone(),
                        state: initial.encode(),
                    });
                }
                // Every gate open: Route 53's own endpoint checks decide until the watcher
                // runs. Published after the alarms exist (see `apply`).
                let gates: Vec<GateSetting> = config
                    .regions
                    .iter()
                    .map(|r| GateSetting {
                        region: r.name.clone(),
                        open: true,
                    })
                    .collect();
                let mut by_host: Vec<(String, Vec<GateSetting>)> = Vec::new();
                for gate in gates {
                    let host = config.gate_host_region(&gate.region).to_string();
                    match by_host.iter_mut().find(|(h, _)| *h == host) {
                        Some((_, list)) => list.push(gate),
                        None => by_host.push((host, vec![gate])),
                    }
                }
                self.initial_gates = by_host;
            }
        }
    }
}

/// `a CNAME record (set identifier other, Primary)`.
fn kind_of_record(record: &RecordSet) -> String {
    let mut text = format!("a {} record", record.record_type);
    match (&record.set_identifier, record.failover) {
        (Some(id), Some(role)) => text.push_str(&format!(" (set identifier {id}, {role:?})")),
        (Some(id), None) => text.push_str(&format!(" (set identifier {id})")),
        _ => {}
    }
    text
}

/// `api.example.com. CNAME regionflip-primary`.
pub fn describe_record(record: &RecordSet) -> String {
    let mut text = format!("{} {}", record.name, record.record_type);
    if let Some(id) = &record.set_identifier {
        text.push(' ');
        text.push_str(id);
    }
    text
}

fn record_target(record: &RecordSet) -> String {
    record
        .alias
        .as_ref()
        .map(|a| a.dns_name.clone())
        .or_else(|| record.values.first().cloned())
        .unwrap_or_default()
}

// ----------------------------------------------------------------------- reading

/// Reads everything init would create: the records at the record name and the state
/// record name and, in `health-gate` mode, the state holders and gate alarms (one
/// `DescribeAlarms` per region) and the health checks with their tags.
pub async fn read_world<R: Route53Api, H: HealthCheckApi, C: CloudWatchApi>(
    config: &Config,
    route53: &R,
    checks: &H,
    cloudwatch: &C,
) -> Result<World, InitError> {
    let mut world = World {
        records: read_records(config, route53).await?,
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
    let ours: Vec<String> = check_slots(config, &world.health_checks)
        .into_iter()
        .filter_map(|slot| slot.existing)
        .collect();
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
    Ok(records)
}

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

/// Reads, plans and (unless `dry_run`, or nothing is missing) applies.
pub async fn init<R, H, C>(
    config: &Config,
    route53: &R,
    checks: &H,
    cloudwatch: &C,
    now: u64,
    dry_run: bool,
) -> Result<InitReport, InitError>
where
    R: Route53Api,
    H: HealthCheckApi,
    C: CloudWatchApi + GateAlarmApi,
{
    let world = read_world(config, route53, checks, cloudwatch).await?;
    let plan = plan(config, &world)?;
    let created = if dry_run || plan.steps.is_empty() {
        Vec::new()
    } else {
        apply(config, route53, checks, cloudwatch, &plan, now).await?
    };
    Ok(InitReport {
        dry_run,
        already_initialised: plan.steps.is_empty(),
        existing: plan.existing,
        steps: plan.steps,
        created,
    })
}

// ----------------------------------------------------------------------- display

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
                "{} gate alarm {} in {region} for {gated_region}: {} {GATE_METRIC} Minimum over \
                 60 s < 1 → ALARM, missing data keeps the state",
                if *rewrite {
                    "rewrite (settings changed)"
                } else {
                    "create"
                },
                alarm.name,
                alarm.namespace
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
                match check {
                    PlannedCheck::CloudwatchMetric {
                        alarm_region,
                        alarm_name,
                    } => write!(
                        f,
                        "CLOUDWATCH_METRIC on alarm {alarm_name} in {alarm_region} (insufficient \
                         data: last known status)"
                    ),
                    PlannedCheck::Calculated {
                        children,
                        health_threshold,
                    } => {
                        let children: Vec<String> =
                            children.iter().map(ToString::to_string).collect();
                        write!(
                            f,
                            "CALCULATED, {health_threshold} of [{}] healthy",
                            children.join(", ")
                        )
                    }
                }
            }
            Step::TagHealthCheck { id, tags } => {
                let tags: Vec<String> = tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
                write!(f, "tag health check {id}: {}", tags.join(", "))
            }
            Step::CreateRecords { records } => {
                write!(f, "create in one change batch:")?;
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
        }
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
