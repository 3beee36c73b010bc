//! The plan: what `init` would write, from what it read ([`World`]). Pure: no I/O, no
//! clock; the same world always gives the same plan, and every problem is collected
//! before refusing, so one run names them all.
//!
//! # The rules
//!
//! In the order [`plan`] applies them; the steps come out in the order `apply` needs
//! them: state holders, gate alarms, gate values, checks, records. `↳` names the rows of
//! `tests/plan.rs` that pin a rule (a test there checks that every rule names a row and
//! every row is named here).
//!
//! | #   | what exists                          | what init plans                                  |
//! |-----|--------------------------------------|--------------------------------------------------|
//! |     | *both modes*                         |                                                  |
//! | A1  | `health-gate` with three or more     | the gate chain (`records::gate_chain`): one pair |
//! |     | regions                              | per region but the last, linked by SECONDARY     |
//! |     |                                      | aliases that evaluate the next pair's health;    |
//! |     |                                      | anything else under a link's name is refused     |
//! |     |                                      | ↳ "gate: three regions, empty world"             |
//! |     |                                      | ↳ "gate: three regions, initialised"             |
//! |     |                                      | ↳ "gate: a foreign record at a chain link is refused" |
//! | A2  | at the record name, a record         | refused, naming it: delete it or choose another  |
//! |     | regionflip did not create that would | `record_name`                                    |
//! |     | mix with the pair (the record type,  | ↳ "records: a plain CNAME at the name is refused"|
//! |     | a CNAME, an AAAA beside A records)   | ↳ "records: another set identifier is refused"   |
//! |     |                                      | ↳ "records: an AAAA beside an A pair is refused" |
//! |     |                                      | ↳ "gate: a plain CNAME at the name is refused"   |
//! | A6  | a configured alarm or guard missing  | refused, naming the key and the alarm: create it |
//! |     | in its region                        | or correct the key (nothing is written)          |
//! |     |                                      | ↳ "records: a missing alarm is refused before any write" |
//! |     |                                      | ↳ "gate: a missing guard is refused before any write" |
//! | A5  | the zone's SOA at the record name    | refused for `record_type = "CNAME"`: a CNAME     |
//! |     | (the name is the zone apex)          | cannot sit at a zone apex (RFC 1034 §3.6.2;      |
//! |     |                                      | Route 53 refuses it); use `"A"` (alias) or a     |
//! |     |                                      | subdomain. An alias A pair there is planned      |
//! |     |                                      | ↳ "records: a CNAME at the zone apex is refused" |
//! |     |                                      | ↳ "gate: an alias pair at the zone apex is planned" |
//! | A7  | with `--adopt`: a plain CNAME or     | the DELETE of it, exactly as read, leads the one |
//! |     | alias A at the record name (no set   | batch that creates the pair (and the state):     |
//! |     | identifier) pointing at the home     | all or nothing, the name never goes dark; one    |
//! |     | region's target                      | pointing elsewhere is refused (adopting it would |
//! |     |                                      | move traffic)                                    |
//! |     |                                      | ↳ "records: --adopt replaces a plain CNAME on home in the creating batch" |
//! |     |                                      | ↳ "gate: --adopt replaces a plain CNAME on home in the creating batch" |
//! |     |                                      | ↳ "records: --adopt refuses a plain CNAME pointing elsewhere" |
//! |     |                                      | ↳ "records: --adopt replaces a plain alias A on home in the creating batch" |
//! |     |                                      | ↳ "gate: --adopt replaces a plain alias A on home in the creating batch" |
//! |     |                                      | ↳ "records: --adopt refuses an alias A in another hosted zone" |
//! |     |                                      | ↳ "gate: --adopt refuses an alias A to another target" |
//! |     |                                      | ↳ "records: a plain CNAME at the name is refused" |
//! | A3  | any other type at the record name    | ignored                                          |
//! |     |                                      | ↳ "records: a TXT beside a CNAME pair is ignored"|
//! | A4  | regionflip's PRIMARY or SECONDARY on | refused: add the region, or delete the record    |
//! |     | no configured region                 | ↳ "records: a foreign PRIMARY target is refused" |
//! |     | *`records`*                          |                                                  |
//! | B1  | at the state name, a TXT record that | refused: init never resets a state; delete it    |
//! |     | does not parse                       | ↳ "records: a corrupt state record is refused"   |
//! | B2  | at the state name, any other record  | refused: delete it                               |
//! |     |                                      | ↳ "records: a CNAME at the state name is refused"|
//! | B3  | regionflip's PRIMARY and SECONDARY   | refused: delete one                              |
//! |     | on one region                        | ↳ "records: the pair on one region is refused"   |
//! | B4  | nothing                              | one CREATE batch: PRIMARY home, SECONDARY the    |
//! |     |                                      | next region, the state (sequence 1, on home)     |
//! |     |                                      | ↳ "records: empty world"                         |
//! |     |                                      | ↳ "records: three regions, empty world"          |
//! | B5  | the pair in any arrangement over     | nothing; the watcher owns the pair after init    |
//! |     | configured regions, and a state      | ↳ "records: initialised"                         |
//! |     |                                      | ↳ "records: PRIMARY moved by the watcher"        |
//! | B6  | the pair, no state                   | the state, on the region PRIMARY points at (DNS  |
//! |     |                                      | is what users get)                               |
//! |     |                                      | ↳ "records: the pair without the state"          |
//! | B7  | a state, no pair                     | the pair around the state's region; around home  |
//! |     |                                      | if that is no configured region (the state is    |
//! |     |                                      | kept: the watcher rewrites it)                   |
//! |     |                                      | ↳ "records: the state without the pair"          |
//! |     |                                      | ↳ "records: a state on no configured region"     |
//! | B8  | a lone PRIMARY                       | SECONDARY on the first other region              |
//! |     |                                      | ↳ "records: a lone PRIMARY gets a SECONDARY"     |
//! | B9  | a lone SECONDARY                     | PRIMARY on the state's region or home, unless    |
//! |     |                                      | the SECONDARY is there: then the first other one |
//! |     |                                      | ↳ "records: a lone SECONDARY on home"            |
//! |     |                                      | ↳ "records: a lone SECONDARY on the active region" |
//! | B10 | a pair record on a health check      | rewired in one batch: DELETE the record as read, |
//! |     | other than its region's endpoint     | CREATE it on the endpoint check (a compare-and-  |
//! |     | check (the stack replaced the check: | swap: a watcher's move in between fails it       |
//! |     | `RequestInterval` and `Type` are     | whole); nothing else of the record changes       |
//! |     | create-only)                         | ↳ "records: a replaced endpoint check is rewired under the pair" |
//! |     |                                      | ↳ "records: a moved pair is rewired where the watcher left it" |
//! |     | *`health-gate`*                      |                                                  |
//! | C1  | no state holder in any region        | the state (sequence 1, on home) in every region; |
//! |     |                                      | after the gate alarms, every gate open           |
//! |     |                                      | ↳ "gate: empty world"                            |
//! | C2  | a valid copy in some region          | the newest valid copy where a holder is missing; |
//! |     |                                      | gates are the watcher's (not published); copies  |
//! |     |                                      | behind or unreadable are the watcher's to fix    |
//! |     |                                      | ↳ "gate: a state holder missing in one region"   |
//! |     |                                      | ↳ "gate: the newest of two state copies wins"    |
//! |     |                                      | ↳ "gate: a corrupt copy beside a valid one stays"|
//! | C3  | copies, none valid                   | refused: init never resets a state; delete them  |
//! |     |                                      | ↳ "gate: unreadable state holders are refused"   |
//! |     |                                      | ↳ "gate: one unreadable copy alone is refused"   |
//! | C0  | (any world)                          | only gated regions get a gate alarm and gate and |
//! |     |                                      | CALCULATED checks: every region but the last     |
//! |     |                                      | (`Config::is_gated`); the last region's record   |
//! |     |                                      | carries its endpoint check alone, so nothing it  |
//! |     |                                      | needs lives in home's CloudWatch                 |
//! |     |                                      | ↳ "gate: empty world"                            |
//! | C4  | a gate alarm missing                 | created in its host (`gate_host_region`)         |
//! |     |                                      | ↳ "gate: a missing gate alarm is created"        |
//! | C5  | a gate alarm of another settings     | rewritten (`rewrite`): it is regionflip's by its |
//! |     | fingerprint, or of none              | name                                             |
//! |     |                                      | ↳ "gate: a stale gate fingerprint is rewritten"  |
//! |     |                                      | ↳ "gate: an undescribed gate alarm is rewritten" |
//! | C6  | a gate or CALCULATED check missing   | created: gate checks, then CALCULATED (endpoint  |
//! |     | (found neither by caller reference   | and gate); a CALCULATED check found on a gate    |
//! |     | nor by its tags, C14)                | check still to create is rewired onto it (C13)   |
//! |     |                                      | ↳ "gate: a lost gate check is created again"     |
//! |     |                                      | ↳ "gate: a lost calculated check is created again" |
//! | C7  | a check without all its tags         | tagged                                           |
//! |     |                                      | ↳ "gate: a check without its tags is tagged"     |
//! | C8  | the pair (or a chain link) missing   | one CREATE batch, deepest link first: each gated |
//! |     |                                      | region's PRIMARY on its CALCULATED check, the    |
//! |     |                                      | last region's SECONDARY on its endpoint check,   |
//! |     |                                      | the links' aliases on none                       |
//! |     |                                      | ↳ "gate: empty world"                            |
//! |     |                                      | ↳ "gate: interrupted before the records"         |
//! | C9  | a pair record other than init        | refused, naming the check it would carry: delete |
//! |     | creates it (check, target, TTL…)     | it                                               |
//! |     |                                      | ↳ "gate: a pair on the endpoint checks is refused" |
//! |     |                                      | ↳ "gate: a pair moved to the standby is refused" |
//! | C10 | everything as init creates it        | nothing                                          |
//! |     |                                      | ↳ "gate: initialised"                            |
//! | C11 | a gate check whose copy of its       | `UpdateHealthCheck` with the same alarm, after   |
//! |     | alarm's settings (namespace, metric, | the gate alarm is written: Route 53 copies the   |
//! |     | dimensions, statistic, period,       | alarm's settings again. The check keeps its id,  |
//! |     | threshold, evaluation periods,       | so its CALCULATED parent and the record stay.    |
//! |     | comparison), its alarm or its        | (Route 53 never refreshes the copy itself: after |
//! |     | `InsufficientDataHealthStatus`       | a `metrics_namespace` change it would watch an   |
//! |     | differ from what init leaves         | empty stream and freeze every gate)              |
//! |     |                                      | ↳ "gate: a namespace change updates every gate check" |
//! |     |                                      | ↳ "gate: a gate check holding other alarm settings is updated" |
//! | C12 | a gate check whose alarm settings    | left alone: there is nothing to compare (Route   |
//! |     | were not reported                    | 53 always reports them; moto drops them)         |
//! |     |                                      | ↳ "gate: a gate check reported without its alarm settings is left alone" |
//! | C13 | a CALCULATED check whose children or | `UpdateHealthCheck` with the children and        |
//! |     | threshold differ (a replaced endpoint| threshold init wants; its id, and so the record  |
//! |     | check; a lost gate check)            | on it, stays                                     |
//! |     |                                      | ↳ "gate: a replaced endpoint check is rewired into the CALCULATED check" |
//! |     |                                      | ↳ "gate: a lost gate check under the pair is created and rewired" |
//! | C14 | a check init created under another   | found by the caller reference gate checks had    |
//! |     | caller reference (older settings, or | before it covered the alarm's settings, else by  |
//! |     | before the reference covered the     | its three `regionflip:*` tags on a check of the  |
//! |     | alarm's settings)                    | right type and reference prefix (the one in use  |
//! |     |                                      | first); then compared as any other (C7, C11, C13)|
//! |     |                                      | ↳ "gate: gate checks with the caller reference of before are found" |
//! |     |                                      | ↳ "gate: a namespace change updates every gate check" |
//! | C15 | the SECONDARY on init's CALCULATED   | rewired in one batch (DELETE as read, CREATE on  |
//! |     | check of its region, from before the | its endpoint check): a compare-and-swap, nothing |
//! |     | last region lost its gate            | else of the record changes                       |
//! |     |                                      | ↳ "gate: the standby's gate from before is reported and its record rewired" |
//! | C16 | init's gate alarm, gate or CALCULATED| reported as no longer used, with the command that|
//! |     | check of an ungated region           | deletes it; never deleted by init (a watcher of  |
//! |     |                                      | an older version may still publish its gate)     |
//! |     |                                      | ↳ "gate: the standby's gate from before is reported and its record rewired" |
//! |     |                                      | ↳ "gate: the standby's gate checks from before stay reported once rewired" |
//! |     | *active-active (`routing = "latency" \| "weighted"`)* |                          |
//! | D1  | (any world)                          | every region gated (its gate alarm in its own    |
//! |     |                                      | region: `gate_host_region`) with its gate and CALCULATED |
//! |     |                                      | checks, as C4–C7, C11–C14; state and gates as    |
//! |     |                                      | C1–C3                                            |
//! |     |                                      | ↳ "active-active: latency, empty world"          |
//! | D2  | regionflip's latency or weighted     | one CREATE batch of the missing ones, each       |
//! |     | record of a region (set identifier   | region's on its CALCULATED check; one as init    |
//! |     | `regionflip-<region>`) missing       | creates it is kept                               |
//! |     |                                      | ↳ "active-active: latency, empty world"          |
//! |     |                                      | ↳ "active-active: weighted, initialised"         |
//! | D3  | one of them as init does not create  | refused, naming what differs: delete it          |
//! |     | it (target, Region, weight, check)   | ↳ "active-active: a record of another weight is refused" |
//! | D4  | anything else at the name that would | refused as A2 (with `--adopt`, a plain record on |
//! |     | mix with the set (the type, a CNAME, | home is replaced in the creating batch, A7)      |
//! |     | an AAAA beside A, a failover pair)   | ↳ "active-active: a failover pair at the name is refused" |
//! |     |                                      | ↳ "active-active: --adopt replaces a plain CNAME on home in the creating batch" |
//! | C17 | a chain with fewer regions: a link's | the new links created, then that SECONDARY       |
//! |     | SECONDARY on the region that was     | rewired in one batch (DELETE as read, CREATE the |
//! |     | last, where the chain now continues  | alias to the next link): the PRIMARY never       |
//! |     | (a region added to the end)          | changes and the name never goes dark; the newly  |
//! |     |                                      | gated region gets its gate as in C4 and C6       |
//! |     |                                      | ↳ "gate: a third region extends the chain in place" |
//! | C18 | the last region's failover record on | rewired in one batch (DELETE as read, CREATE on  |
//! |     | an endpoint check other than the one | the configured check): a compare-and-swap,       |
//! |     | configured (the stack replaced it:   | nothing else of the record changes — as B10 for  |
//! |     | `RequestInterval`, `Type`)           | the gated regions' C13                           |
//! |     |                                      | ↳ "gate: a replaced standby endpoint check is rewired under the SECONDARY" |
//! |     |                                      | ↳ "gate: a replaced endpoint check of the chain's last region is rewired" |
//!
//! **The application's other names** (`[[records]]`). Each gets the rules of the record
//! name for the types that would mix with its pair (A2) and for a CNAME at a zone apex
//! (A5; `another_name_at_a_zone_apex_as_a_cname_is_refused_before_any_write`), its pair around the regions the
//! application's own pair uses (`records`: B4–B10, one batch with the state) or its own
//! gate chain on the very same checks (`health-gate`: C8, C15, C17: a gate moves every
//! name at once); the state and the gates stay the application's. Writes are grouped
//! into one change batch per hosted zone, the application's zone first (apply.rs,
//! `by_zone`); a later batch that fails leaves what the next run plans again. `--adopt`
//! replaces the application's own record only. Tested in `tests/provision.rs`
//! (`every_record_gets_its_pair_in_its_zone_on_the_region_s_checks_and_uninstall_restores_each`,
//! `records_mode_creates_every_record_s_pair_and_one_state`) and against moto in
//! `crates/cli/tests/moto/many_records.rs`.

use std::collections::BTreeMap;

use regionflip_core::records::{
    CHAIN_LABEL_PREFIX, PRIMARY_SET_ID, SECONDARY_SET_ID, SERVICE_SET_ID_PREFIX, chain_records_of,
    failover_record, failover_record_of, gate_chain_of, region_of_record, service_record_of,
    state_record,
};
use regionflip_core::{
    Config, EngineState, FailoverRole, GateSetting, Mode, RecordConfig, RecordSet, RecordType,
    StateObservation,
};
use serde::Serialize;

use crate::{
    InitError,
    ports::{GateAlarm, HealthCheckInfo, ReportedCheck},
    resources::{CheckIds, check_slots, check_tags, gate_alarm, obsolete_checks, stale},
    show::{describe_record, kind_of_record, record_target, routing_of},
};

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
    /// See [`CheckConfig::CloudwatchMetric`](crate::CheckConfig::CloudwatchMetric).
    CloudwatchMetric {
        /// Region of the alarm.
        alarm_region: String,
        /// Name of the alarm.
        alarm_name: String,
    },
    /// See [`CheckConfig::Calculated`](crate::CheckConfig::Calculated).
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
    /// Changes a check init created earlier in place (`UpdateHealthCheck`): a gate check
    /// re-reads its alarm, a CALCULATED check gets its children and threshold.
    UpdateHealthCheck {
        /// The check.
        id: String,
        /// The region it describes.
        region: String,
        /// Its role.
        role: CheckRole,
        /// The settings it gets.
        check: PlannedCheck,
        /// What differs.
        why: String,
    },
    /// Adds missing tags to a check init created earlier.
    TagHealthCheck {
        /// The check.
        id: String,
        /// The tags.
        tags: BTreeMap<String, String>,
    },
    /// Creates records in one change batch of CREATEs, after the DELETE of the record it
    /// adopts, if any (`init --adopt`): all or nothing, so the name never goes dark.
    CreateRecords {
        /// The records.
        records: Vec<PlannedRecord>,
        /// The plain record at the name that the pair replaces, exactly as read.
        #[serde(skip_serializing_if = "Option::is_none")]
        adopted: Option<RecordSet>,
    },
    /// Moves regionflip's pair records onto their regions' endpoint checks, in one
    /// change batch: DELETE each as read, CREATE it on the new check.
    RewireRecords {
        /// The records.
        records: Vec<RewiredRecord>,
    },
}

/// A record as found, and as it is written back on another health check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RewiredRecord {
    /// As read (the DELETE must match it exactly).
    pub old: RecordSet,
    /// The same record on its region's endpoint check.
    pub new: RecordSet,
}

/// What init would do, and what already exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InitPlan {
    /// The writes, in order. Empty: already initialised.
    pub steps: Vec<Step>,
    /// What exists already as init would create it, as sentences.
    pub existing: Vec<String>,
    /// What init created once and no longer uses, with the command that deletes it.
    /// init never deletes: a watcher of an older version may still publish to it.
    pub obsolete: Vec<String>,
    /// What init allows but an SRE should know, as sentences.
    pub warnings: Vec<String>,
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
    /// `health-gate`: every health check of the account, with its settings as reported.
    pub health_checks: Vec<HealthCheckInfo>,
    /// `health-gate`: the tags of the checks that may be init's (their caller reference
    /// starts as init's do for a configured region).
    pub check_tags: BTreeMap<String, BTreeMap<String, String>>,
    /// Configured alarms and guards that do not exist in their region: `(region, key as
    /// written, name)`.
    pub missing_alarms: Vec<(String, String, String)>,
}

/// Plans init from what exists. Pure: the same world always gives the same plan. Every
/// problem is collected before refusing, so one run names them all.
pub fn plan(config: &Config, world: &World) -> Result<InitPlan, InitError> {
    plan_adopting(config, world, false)
}

/// [`plan`], and with `adopt` a plain record at the record name that points at the home
/// region's target is replaced by the failover pair in the batch that creates it (rule
/// A7) instead of refused.
pub fn plan_adopting(config: &Config, world: &World, adopt: bool) -> Result<InitPlan, InitError> {
    let mut planner = Planner {
        adopt,
        adopted: None,
        config,
        steps: Vec::new(),
        existing: Vec::new(),
        problems: Vec::new(),
        obsolete: Vec::new(),
        initial_gates: Vec::new(),
    };
    for (region, key, name) in &world.missing_alarms {
        planner.problems.push(format!(
            "{key} names alarm {name}, which does not exist in {region}; the watcher would \
             read it as unknown and never fail over on it. Create it there (your API's \
             stack), or correct {key}; init writes nothing until every alarm and guard exists"
        ));
    }
    // Active-active sets are judged name by name (`service_records`).
    let pair = if config.routing.is_active_active() {
        OwnPair::default()
    } else {
        planner.own_records(&world.records)
    };
    match config.mode {
        Mode::Records => planner.records_mode(&world.records, pair),
        Mode::HealthGate => planner.gate_mode(world, pair),
    }
    if planner.problems.is_empty() {
        let warnings = config
            .regions
            .iter()
            .enumerate()
            .filter(|(_, r)| config.mode == Mode::HealthGate && r.health_check_id.is_none())
            .map(|(index, r)| {
                format!(
                    "regions[{}].health_check_id is not set: {}'s record carries no endpoint \
                     check, so Route 53 cannot fail away from {} by itself when no watcher \
                     runs (no static stability). Set it to the stack's HealthCheckId \
                     output and run init again",
                    index + 1,
                    r.name,
                    r.name
                )
            })
            .collect();
        Ok(InitPlan {
            steps: planner.steps,
            existing: planner.existing,
            obsolete: planner.obsolete,
            warnings,
        })
    } else {
        Err(InitError::Refused(planner.problems))
    }
}

struct Planner<'c> {
    /// `init --adopt`.
    adopt: bool,
    /// The plain record the pair replaces.
    adopted: Option<RecordSet>,
    config: &'c Config,
    steps: Vec<Step>,
    existing: Vec<String>,
    problems: Vec<String>,
    obsolete: Vec<String>,
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
        let at_apex = records
            .iter()
            .any(|r| r.name == config.record_name && r.record_type == "SOA");
        if at_apex && config.record_type == RecordType::Cname {
            self.problems.push(format!(
                "record_name {} is the apex of hosted zone {} (the zone's SOA record is \
                 there), and a CNAME cannot sit at a zone apex (RFC 1034 §3.6.2; Route 53 \
                 refuses it). Set record_type = \"A\" (an alias to each region's API \
                 Gateway domain, with regions[].alias_hosted_zone_id), or set record_name to \
                 a name below the apex",
                config.record_name, config.hosted_zone_id
            ));
        }
        for record in records.iter().filter(|r| r.name == config.record_name) {
            let role = match record.set_identifier.as_deref() {
                Some(PRIMARY_SET_ID) => Some(FailoverRole::Primary),
                Some(SECONDARY_SET_ID) => Some(FailoverRole::Secondary),
                _ => None,
            };
            let ours = record.record_type == config.record_type.as_str()
                && role.is_some()
                && record.failover == role;
            let plain = record.set_identifier.is_none()
                && record.failover.is_none()
                && (record.record_type == "CNAME"
                    || (record.record_type == "A" && record.alias.is_some()));
            match (ours, role) {
                (true, Some(FailoverRole::Primary)) => pair.primary = Some(record.clone()),
                (true, Some(FailoverRole::Secondary)) => pair.secondary = Some(record.clone()),
                _ if plain && self.adopt => self.adopt(record),
                _ if conflicting(&record.record_type) => self.problems.push(format!(
                    "{} already has {} that regionflip did not create; init never overwrites \
                     it. Delete it (regionflip then creates its failover pair there) or choose \
                     another record_name{}",
                    config.record_name,
                    kind_of_record(record),
                    if plain {
                        "; or, to keep the name answering, run `regionflip init --adopt`, which \
                         replaces it with the failover pair in one atomic change when it points \
                         at regions[1].target"
                    } else {
                        ""
                    }
                )),
                _ => {}
            }
        }
        if self.adopted.is_some() && (pair.primary.is_some() || pair.secondary.is_some()) {
            self.problems.push(format!(
                "{} holds both a plain record and regionflip's failover records, which DNS \
                 cannot serve together; delete the plain record (the pair already serves the \
                 name) and run init again",
                config.record_name
            ));
        }
        // In health-gate mode with three or more regions the SECONDARY is an alias to
        // the next chain link, which is no region: judged with the chain (`gate_mode`).
        let chain_alias = |record: &RecordSet| {
            config.mode == Mode::HealthGate
                && record.alias.as_ref().is_some_and(|a| {
                    a.dns_name.starts_with(CHAIN_LABEL_PREFIX)
                        && a.dns_name.ends_with(&format!(".{}", config.record_name))
                })
        };
        for record in [&pair.primary, &pair.secondary].into_iter().flatten() {
            if region_of_record(config, record).is_none() && !chain_alias(record) {
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

    /// Rule A7: a plain record at the name is adopted when it points at the home
    /// region's target (what the pair's PRIMARY will answer), else refused.
    fn adopt(&mut self, record: &RecordSet) {
        let config = self.config;
        let home = config.home();
        let normal = |name: &str| name.trim_end_matches('.').to_ascii_lowercase();
        let (target, zone_matches) = match &record.alias {
            Some(alias) => (
                alias.dns_name.clone(),
                home.alias_hosted_zone_id.as_deref() == Some(alias.hosted_zone_id.as_str()),
            ),
            None => (record.values.join(" "), true),
        };
        if normal(&target) == normal(&home.target) && zone_matches {
            self.existing.push(format!(
                "{} → {} (adopted: replaced by the failover pair in the same change batch)",
                describe_record(record),
                home.name
            ));
            self.adopted = Some(record.clone());
        } else {
            self.problems.push(format!(
                "--adopt replaces {} only when it points at the home region's target, {} \
                 (regions[1].target{}), and it points at {}{}: adopting it would move traffic. \
                 Point the record at home first, or set regions[1].target to where it points, \
                 or delete it",
                describe_record(record),
                home.target,
                if record.alias.is_some() {
                    " and regions[1].alias_hosted_zone_id"
                } else {
                    ""
                },
                target,
                record
                    .alias
                    .as_ref()
                    .map(|a| format!(" in zone {}", a.hosted_zone_id))
                    .unwrap_or_default()
            ));
        }
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
        // The application's other records: their pairs as found (only records that would
        // mix with a pair are problems there), created around the same regions.
        let others: Vec<(RecordConfig, [Option<RecordSet>; 2])> = config
            .other_records
            .iter()
            .map(|record| {
                (
                    record.clone(),
                    self.records_at(records, record.into(), false),
                )
            })
            .collect();
        if !self.problems.is_empty() {
            return;
        }
        // The stack may have replaced an endpoint check (a create-only property changed):
        // a pair record still on the old one is moved onto the new one.
        let rewired: Vec<RewiredRecord> = [&pair.primary, &pair.secondary]
            .into_iter()
            .chain(others.iter().flat_map(|(_, found)| found.iter()))
            .flatten()
            .filter_map(|record| {
                let endpoint = region_of_record(config, record)?.health_check_id.clone()?;
                (record.health_check_id.as_ref() != Some(&endpoint)).then(|| RewiredRecord {
                    old: record.clone(),
                    new: RecordSet {
                        health_check_id: Some(endpoint),
                        ..record.clone()
                    },
                })
            })
            .collect();
        if !rewired.is_empty() {
            self.steps.push(Step::RewireRecords { records: rewired });
        }
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
        for (record, [primary, secondary]) in &others {
            for (found, role, region) in [
                (primary, FailoverRole::Primary, &active),
                (secondary, FailoverRole::Secondary, &standby),
            ] {
                match (found, config.region(region)) {
                    (Some(found), _) => self.existing.push(format!(
                        "{} → {}",
                        describe_record(found),
                        region_of_record(config, found).map_or("?", |r| r.name.as_str())
                    )),
                    (None, Some(region)) => creates.push(PlannedRecord {
                        record: failover_record_of(record, region, role),
                        health_check: None,
                    }),
                    (None, None) => {}
                }
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
            self.steps.push(Step::CreateRecords {
                records: creates,
                adopted: self.adopted.take(),
            });
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
            if !config.is_gated(&region.name) {
                if let Some(Some(_)) = found {
                    self.obsolete.push(format!(
                        "gate alarm {} in {host}: {} has no gate any more (a gate on the \
                         last region could only pin traffic on a failing PRIMARY). Delete it \
                         once no watcher of an older version runs: aws cloudwatch \
                         delete-alarms --region {host} --alarm-names {}",
                        wanted.name, region.name, wanted.name
                    ));
                }
                continue;
            }
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
        // The checks in use: the failover records' (the pair's and every chain link's),
        // and the children of every CALCULATED check. Of two checks tagged for one slot,
        // the one in use is init's.
        let links: Vec<String> = config
            .records()
            .iter()
            .flat_map(|r| gate_chain_of(config, &r.name))
            .map(|l| l.name)
            .collect();
        let in_use: Vec<String> = world
            .records
            .iter()
            .filter(|r| {
                (r.failover.is_some() || r.latency_region.is_some() || r.weight.is_some())
                    && links.contains(&r.name)
            })
            .filter_map(|r| r.health_check_id.clone())
            .chain(world.health_checks.iter().flat_map(|c| match &c.reported {
                ReportedCheck::Calculated { children, .. } => children.clone(),
                _ => Vec::new(),
            }))
            .collect();
        let slots = check_slots(config, &world.health_checks, &world.check_tags, &in_use);
        let obsolete = obsolete_checks(config, &world.health_checks, &world.check_tags);
        for check in &obsolete {
            self.obsolete.push(format!(
                "{} check {} of {}: {} has no gate any more, so its record carries its \
                 endpoint check alone. Delete it once no record uses it: aws route53 \
                 delete-health-check --health-check-id {}",
                check.role.as_str(),
                check.id,
                check.region,
                check.region,
                check.id
            ));
        }
        let found: CheckIds = slots
            .iter()
            .filter_map(|s| Some(((s.region.clone(), s.role), s.existing.as_ref()?.id.clone())))
            .collect();
        for slot in &slots {
            match &slot.existing {
                Some(check) => {
                    let id = &check.id;
                    self.existing.push(format!(
                        "{} check {id} of {}",
                        slot.role.as_str(),
                        slot.region
                    ));
                    if let Some(why) = stale(config, slot, &found) {
                        self.steps.push(Step::UpdateHealthCheck {
                            id: id.clone(),
                            region: slot.region.clone(),
                            role: slot.role,
                            check: slot.planned.clone(),
                            why,
                        });
                    }
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
        if config.routing.is_active_active() {
            self.service_records(&world.records, &slots);
            return;
        }
        // The gate chain (ARCHITECTURE.md, "The gate chain"): every gated region's record
        // on its CALCULATED check (endpoint and gate), the last region's on its endpoint
        // check alone, each link's SECONDARY an alias to the next link. Created deepest
        // link first, so that an alias never points at a name that does not exist yet.
        let mut creates = Vec::new();
        let mut rewired = Vec::new();
        let mut extended = Vec::new();
        // Every record of the application gets its own chain on the same checks.
        let records = config.records();
        for (index, record) in records.iter().enumerate() {
            let chain = gate_chain_of(config, &record.name);
            for (rank, link) in chain.iter().enumerate().rev() {
                let found_at_link = match (index, rank) {
                    (0, 0) => [pair.primary.clone(), pair.secondary.clone()],
                    (_, 0) => self.records_at(&world.records, record.into(), false),
                    _ => self.records_at(&world.records, record_at_link(record, &link.name), true),
                };
                let [wanted_primary, wanted_secondary] = chain_records_of(config, record, link);
                for (found, mut wanted) in found_at_link
                    .into_iter()
                    .zip([wanted_primary, wanted_secondary])
                {
                    let region = wanted
                        .failover
                        .and_then(|_| region_of_record(config, &wanted))
                        .cloned();
                    let check = match &region {
                        Some(region) if config.is_gated(&region.name) => {
                            let Some(calculated) = slots.iter().find(|s| {
                                s.region == region.name && s.role == CheckRole::Calculated
                            }) else {
                                continue;
                            };
                            let check = calculated.reference();
                            wanted.health_check_id = match &check {
                                CheckRef::Existing { id } => Some(id.clone()),
                                CheckRef::New { .. } => None,
                            };
                            Some(check)
                        }
                        // The last region's endpoint check, already in the record (or none
                        // configured); a link's alias carries none.
                        _ => None,
                    };
                    let gated = region.as_ref().is_some_and(|r| config.is_gated(&r.name));
                    let complete = wanted.health_check_id.is_some() || !gated;
                    let answers = region
                        .as_ref()
                        .map_or_else(|| record_target(&wanted), |r| r.name.clone());
                    // A SECONDARY from before the last region lost its gate: on init's
                    // CALCULATED check of that region, otherwise as init creates it (C15).
                    let on_obsolete_check = |record: &RecordSet| {
                        record.health_check_id.as_ref().is_some_and(|id| {
                            obsolete
                                .iter()
                                .any(|c| c.id == *id && c.role == CheckRole::Calculated)
                        }) && RecordSet {
                            health_check_id: wanted.health_check_id.clone(),
                            ..record.clone()
                        } == wanted
                    };
                    // The SECONDARY of a chain that had fewer regions: on the region that was
                    // last, where the chain now goes on to the next link (C17).
                    let before_extension = |record: &RecordSet| {
                        record.failover == Some(FailoverRole::Secondary)
                            && wanted
                                .alias
                                .as_ref()
                                .is_some_and(|a| a.evaluate_target_health)
                            && region_of_record(config, record).is_some_and(|r| {
                                Some(r.name.as_str())
                                    == chain.get(rank + 1).map(|l| l.primary.as_str())
                            })
                    };
                    // The last region's record on an endpoint check the stack has since
                    // replaced (create-only `RequestInterval` or `Type` changed): moved
                    // onto the configured check, nothing else of it changing (C18).
                    let on_replaced_endpoint = |record: &RecordSet| {
                        !gated
                            && wanted.failover.is_some()
                            && wanted.health_check_id.is_some()
                            && record.health_check_id != wanted.health_check_id
                            && RecordSet {
                                health_check_id: wanted.health_check_id.clone(),
                                ..record.clone()
                            } == wanted
                    };
                    match found {
                    Some(record) if complete && record == wanted => {
                        self.existing
                            .push(format!("{} → {answers}", describe_record(&record)));
                    }
                    Some(record) if on_obsolete_check(&record) || on_replaced_endpoint(&record) => rewired.push(RewiredRecord {
                        old: record,
                        new: wanted,
                    }),
                    Some(record) if before_extension(&record) => extended.push(RewiredRecord {
                        old: record,
                        new: wanted,
                    }),
                    Some(record) => self.problems.push(format!(
                        "{} exists but differs from what init creates ({}); in health-gate mode \
                         regionflip never rewrites the failover records. Delete it and run init \
                         again",
                        describe_record(&record),
                        match (&check, &wanted.health_check_id, &region) {
                            (Some(CheckRef::New { .. }), _, Some(region)) => format!(
                                "its health check would be a new CALCULATED check of {}, not {}",
                                region.name,
                                record.health_check_id.as_deref().unwrap_or("none")
                            ),
                            (_, _, None) => format!(
                                "an alias to {} that evaluates its health, with no health check",
                                record_target(&wanted)
                            ),
                            (_, Some(id), Some(region)) => {
                                format!("{} on health check {id}", region.target)
                            }
                            (_, None, Some(region)) => {
                                format!("{} with no health check", region.target)
                            }
                        }
                    )),
                    None => creates.push(PlannedRecord {
                        record: wanted,
                        health_check: check,
                    }),
                }
                }
            }
        }
        if !rewired.is_empty() {
            self.steps.push(Step::RewireRecords { records: rewired });
        }
        if !creates.is_empty() {
            self.steps.push(Step::CreateRecords {
                records: creates,
                adopted: self.adopted.take(),
            });
        }
        // After the links it points to exist: the old last SECONDARY becomes the alias
        // to the new link in one compare-and-swap batch, so the name never goes dark.
        if !extended.is_empty() {
            self.steps.push(Step::RewireRecords { records: extended });
        }
    }

    /// Rules D2–D4: every record of the application gets one latency or weighted record
    /// per region, on that region's CALCULATED check (endpoint and gate): evacuating a
    /// region is closing its gate, data plane only.
    fn service_records(&mut self, records: &[RecordSet], slots: &[crate::resources::CheckSlot]) {
        let config = self.config;
        let mut creates = Vec::new();
        for (index, record) in config.records().iter().enumerate() {
            let record_type = record.record_type;
            let conflicting = |t: &str| {
                t == record_type.as_str()
                    || t == "CNAME"
                    || (record_type == RecordType::A && t == "AAAA")
            };
            let mut found: Vec<Option<RecordSet>> = vec![None; config.regions.len()];
            for existing in records.iter().filter(|r| r.name == record.name) {
                let rank = existing
                    .set_identifier
                    .as_deref()
                    .and_then(|id| id.strip_prefix(SERVICE_SET_ID_PREFIX))
                    .and_then(|region| config.rank(region));
                let plain = existing.set_identifier.is_none()
                    && existing.failover.is_none()
                    && (existing.record_type == "CNAME"
                        || (existing.record_type == "A" && existing.alias.is_some()));
                match rank {
                    Some(rank) if existing.record_type == record_type.as_str() => {
                        found[rank] = Some(existing.clone());
                    }
                    _ if existing.record_type == "SOA" && record_type == RecordType::Cname => {
                        self.problems.push(format!(
                            "{} is the apex of its hosted zone (the zone's SOA record is \
                             there), and a CNAME cannot sit at a zone apex (RFC 1034 §3.6.2; \
                             Route 53 refuses it). Use type \"A\" (an alias to each region's \
                             API Gateway domain), or a name below the apex",
                            record.name
                        ));
                    }
                    _ if plain && self.adopt && index == 0 => self.adopt(existing),
                    _ if conflicting(&existing.record_type) => self.problems.push(format!(
                        "{} already has {} that regionflip did not create; init never \
                         overwrites it. Delete it (regionflip then creates one {} record per \
                         region there) or choose another name{}",
                        record.name,
                        kind_of_record(existing),
                        config.routing.as_str(),
                        if plain && index == 0 {
                            "; or, to keep the name answering, run `regionflip init --adopt`, \
                             which replaces it in one atomic change when it points at \
                             regions[1].target"
                        } else {
                            ""
                        }
                    )),
                    _ => {}
                }
            }
            for (rank, region) in config.regions.iter().enumerate() {
                let Some(mut wanted) = service_record_of(config, record, region) else {
                    continue;
                };
                let Some(calculated) = slots
                    .iter()
                    .find(|s| s.region == region.name && s.role == CheckRole::Calculated)
                else {
                    continue;
                };
                let check = calculated.reference();
                wanted.health_check_id = match &check {
                    CheckRef::Existing { id } => Some(id.clone()),
                    CheckRef::New { .. } => None,
                };
                match found[rank].take() {
                    Some(existing) if wanted.health_check_id.is_some() && existing == wanted => {
                        self.existing.push(format!(
                            "{} → {}",
                            describe_record(&existing),
                            region.name
                        ));
                    }
                    Some(existing) => self.problems.push(format!(
                        "{} exists but differs from what init creates ({} {}, health check \
                         {}); in health-gate mode regionflip never rewrites its records. \
                         Delete it and run init again",
                        describe_record(&existing),
                        routing_of(&wanted),
                        record_target(&wanted),
                        match &check {
                            CheckRef::Existing { id } => id.clone(),
                            CheckRef::New { .. } =>
                                format!("a new CALCULATED check of {}", region.name),
                        }
                    )),
                    None => creates.push(PlannedRecord {
                        record: wanted,
                        health_check: Some(check),
                    }),
                }
            }
        }
        if !creates.is_empty() {
            self.steps.push(Step::CreateRecords {
                records: creates,
                adopted: self.adopted.take(),
            });
        }
    }

    /// regionflip's PRIMARY and SECONDARY of `record` under its name (or, `link`, under a
    /// chain link's name, which is regionflip's alone: anything else there is a problem).
    /// Under one of the application's other names, only a record that would mix with
    /// the pair is (as A2 for the record name); `--adopt` replaces the application's own
    /// record only.
    fn records_at(
        &mut self,
        records: &[RecordSet],
        record: RecordAt<'_>,
        link: bool,
    ) -> [Option<RecordSet>; 2] {
        let config = self.config;
        let (name, record_type) = (record.name, record.record_type);
        let conflicting = |t: &str| {
            t == record_type.as_str()
                || t == "CNAME"
                || (record_type == RecordType::A && t == "AAAA")
        };
        let mut found = [None, None];
        for record in records.iter().filter(|r| r.name == name) {
            let slot = match (record.set_identifier.as_deref(), record.failover) {
                (Some(PRIMARY_SET_ID), Some(FailoverRole::Primary)) => 0,
                (Some(SECONDARY_SET_ID), Some(FailoverRole::Secondary)) => 1,
                // A5 for the other names: a CNAME cannot sit at a zone apex.
                _ if !link && record.record_type == "SOA" && record_type == RecordType::Cname => {
                    self.problems.push(format!(
                        "{name} is the apex of its hosted zone (the zone's SOA record is \
                         there), and a CNAME cannot sit at a zone apex (RFC 1034 §3.6.2; Route \
                         53 refuses it). Set its [[records]] type = \"A\" (an alias, with \
                         alias_hosted_zone_ids), or use a name below the apex"
                    ));
                    continue;
                }
                _ if !link && !conflicting(&record.record_type) => continue,
                _ if !link => {
                    self.problems.push(format!(
                        "{name} already has {} that regionflip did not create; init never \
                         overwrites it. Delete it (regionflip then creates its failover pair \
                         there) or take the name out of [[records]]",
                        kind_of_record(record)
                    ));
                    continue;
                }
                _ => {
                    self.problems.push(format!(
                        "{name} holds {}, which regionflip did not create; the name is where \
                         regionflip links its failover chain (health-gate with {} regions). \
                         Delete it and run init again",
                        kind_of_record(record),
                        config.regions.len()
                    ));
                    continue;
                }
            };
            if record.record_type == record_type.as_str() {
                found[slot] = Some(record.clone());
            } else {
                self.problems.push(format!(
                    "{} is a {} record, and the chain needs {}; delete it and run init again",
                    describe_record(record),
                    record.record_type,
                    record_type.as_str()
                ));
            }
        }
        found
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
                    .gated_regions()
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

/// A name where regionflip's failover records of one record live, with their type.
#[derive(Clone, Copy)]
struct RecordAt<'a> {
    name: &'a str,
    record_type: RecordType,
}

impl<'a> From<&'a RecordConfig> for RecordAt<'a> {
    fn from(record: &'a RecordConfig) -> Self {
        RecordAt {
            name: &record.name,
            record_type: record.record_type,
        }
    }
}

/// `record`'s records under the chain link named `name`.
fn record_at_link<'a>(record: &RecordConfig, name: &'a str) -> RecordAt<'a> {
    RecordAt {
        name,
        record_type: record.record_type,
    }
}
