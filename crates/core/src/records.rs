//! The DNS records regionflip owns, in the core's own terms (no AWS SDK types): the
//! record and change types, the failover pair and the state record regionflip writes,
//! and the reading of both back. Each format has its writer and its reader here, side by
//! side, so the two cannot drift apart:
//!
//! | record                                  | written by          | read by                |
//! |-----------------------------------------|---------------------|------------------------|
//! | failover pair (PRIMARY, SECONDARY)      | [`failover_record`], [`failover_record_of`] | [`region_of_record`], [`pair_drift`] |
//! | gate chain link `_regionflip-from-<r>.<name>` (health-gate, 3+ regions) | [`chain_records`], [`chain_records_of`] | [`chain_answer`] (Route 53's answer) |
//! | state record `_regionflip.<name>` (TXT) | [`state_record`]    | `state_of_record`      |
//! | one TXT value: `"a" "b"`                | [`quote_txt`]       | [`unquote_txt`]        |
//!
//! (`state_of_record` is reached through [`StateObservation::from_state_record`].)
//!
//! **Which records are regionflip's.** The failover records under `record_name` and
//! under each of the application's other names (`[[records]]`), of that name's type,
//! whose set identifier is [`PRIMARY_SET_ID`] or [`SECONDARY_SET_ID`]; in health-gate
//! mode the same under each gate chain link's name; and the state record. A failover record under the same name and type with another set
//! identifier belongs to someone else: regionflip never writes it, and while one exists
//! it does not act on the pair at all ([`foreign_failover_records`]). Records under
//! other names are never read as the pair.
//!
//! [`StateObservation::from_state_record`]: crate::StateObservation::from_state_record

use serde::Serialize;

use crate::config::{Config, RecordConfig, RecordType, RegionConfig, Routing};
use crate::state::{EngineState, MAX_STATE_TEXT};

/// Set identifier of the record that is PRIMARY in the failover pair.
pub const PRIMARY_SET_ID: &str = "regionflip-primary";
/// Set identifier of the record that is SECONDARY in the failover pair.
pub const SECONDARY_SET_ID: &str = "regionflip-secondary";
/// TTL of the state record.
pub const STATE_RECORD_TTL: u32 = 60;

/// A resource record set in the core's terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordSet {
    /// Fully qualified name, with the trailing dot.
    pub name: String,
    /// `CNAME`, `A` or `TXT`.
    pub record_type: String,
    /// Set identifier, for failover records.
    pub set_identifier: Option<String>,
    /// PRIMARY or SECONDARY, for failover records.
    pub failover: Option<FailoverRole>,
    /// TTL; absent on alias records.
    pub ttl: Option<u32>,
    /// Values in Route 53 wire form (a CNAME target; TXT values quoted).
    pub values: Vec<String>,
    /// Alias target, for `A` alias records.
    pub alias: Option<AliasTarget>,
    /// Health check that Route 53 consults for this record.
    pub health_check_id: Option<String>,
    /// The AWS region of a latency record (Route 53's `Region`): answered to clients
    /// nearest to it.
    pub latency_region: Option<String>,
    /// The weight of a weighted record (0 to 255).
    pub weight: Option<u32>,
}

impl RecordSet {
    /// Where the record points: the alias target's name, else its first value.
    pub(crate) fn target(&self) -> Option<&str> {
        self.alias
            .as_ref()
            .map(|a| a.dns_name.as_str())
            .or_else(|| self.values.first().map(String::as_str))
    }
}

/// Role of a record in a failover pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FailoverRole {
    /// Answered while its health check passes.
    Primary,
    /// Answered while the primary's check fails.
    Secondary,
}

/// Target of an alias record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AliasTarget {
    /// Hosted zone of the target.
    pub hosted_zone_id: String,
    /// DNS name of the target.
    pub dns_name: String,
    /// Whether the alias takes the health of the record set it points at: true only on
    /// the gate chain's links, whose health *is* the rest of the chain's; a region's
    /// record takes its health from its own health check.
    pub evaluate_target_health: bool,
}

/// One change in a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// What to do.
    pub action: ChangeAction,
    /// To which record.
    pub record: RecordSet,
}

/// Route 53 change actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ChangeAction {
    /// Fails when the record exists.
    Create,
    /// Fails unless the record matches exactly.
    Delete,
    /// Creates or replaces.
    Upsert,
}

/// The state record holding `state`.
pub fn state_record(config: &Config, state: &EngineState) -> RecordSet {
    RecordSet {
        name: config.state_record_name(),
        record_type: "TXT".into(),
        set_identifier: None,
        failover: None,
        ttl: Some(STATE_RECORD_TTL),
        values: vec![quote_txt(&state.to_txt_strings())],
        alias: None,
        health_check_id: None,
        latency_region: None,
        weight: None,
    }
}

/// Reads the engine state out of a state record. Strict: the record may have been edited
/// by hand, and one that is not exactly what [`state_record`] writes is an error.
pub(crate) fn state_of_record(record: &RecordSet) -> Result<EngineState, String> {
    match record.values.as_slice() {
        [value] => unquote_txt(value)
            .and_then(|strings| EngineState::from_txt_strings(&strings).map_err(|e| e.to_string())),
        values => Err(format!(
            "the state record has {} values; regionflip writes exactly one",
            values.len()
        )),
    }
}

/// The failover record of the application's own record for `region` in `role`.
pub fn failover_record(config: &Config, region: &RegionConfig, role: FailoverRole) -> RecordSet {
    failover_record_of(&own_record(config), region, role)
}

/// The failover record of `record` (any of the application's) for `region` in `role`.
pub fn failover_record_of(
    record: &RecordConfig,
    region: &RegionConfig,
    role: FailoverRole,
) -> RecordSet {
    failover_record_at(record, &record.name, region, role)
}

/// The application's own record (the top-level keys) as a [`RecordConfig`].
fn own_record(config: &Config) -> RecordConfig {
    RecordConfig {
        hosted_zone_id: config.hosted_zone_id.clone(),
        name: config.record_name.clone(),
        record_type: config.record_type,
        ttl: config.ttl,
        targets: config
            .regions
            .iter()
            .map(|r| crate::config::RecordTarget {
                region: r.name.clone(),
                target: r.target.clone(),
                alias_hosted_zone_id: r.alias_hosted_zone_id.clone(),
            })
            .collect(),
    }
}

/// The failover record of `record` for `region` in `role` under `name` (the record's
/// name, or a link of its gate chain).
fn failover_record_at(
    record: &RecordConfig,
    name: &str,
    region: &RegionConfig,
    role: FailoverRole,
) -> RecordSet {
    let set_identifier = match role {
        FailoverRole::Primary => PRIMARY_SET_ID,
        FailoverRole::Secondary => SECONDARY_SET_ID,
    };
    let (target, alias_zone) = record
        .target(&region.name)
        .map(|t| (t.target.clone(), t.alias_hosted_zone_id.clone()))
        .unwrap_or_default();
    let (ttl, values, alias) = match record.record_type {
        RecordType::Cname => (Some(record.ttl), vec![target], None),
        RecordType::A => (
            None,
            Vec::new(),
            Some(AliasTarget {
                hosted_zone_id: alias_zone.unwrap_or_default(),
                dns_name: target,
                evaluate_target_health: false,
            }),
        ),
    };
    RecordSet {
        name: name.to_string(),
        record_type: record.record_type.as_str().into(),
        set_identifier: Some(set_identifier.into()),
        failover: Some(role),
        ttl,
        values,
        alias,
        health_check_id: region.health_check_id.clone(),
        latency_region: None,
        weight: None,
    }
}

/// Prefix of the set identifier of a region's latency or weighted record
/// (`regionflip-<region>`).
pub const SERVICE_SET_ID_PREFIX: &str = "regionflip-";

/// The set identifier regionflip gives `region`'s record in active-active routing.
pub fn service_set_identifier(region: &str) -> String {
    format!("{SERVICE_SET_ID_PREFIX}{region}")
}

/// Active-active routing (`routing = "latency"` or `"weighted"`): `record`'s record for
/// `region`, as regionflip writes it: a latency record whose `Region` is the region, or a
/// weighted record of the region's weight. It carries the region's endpoint check here;
/// init puts it on the region's CALCULATED check (endpoint and gate) instead, so
/// evacuating a region is closing its gate. `None` with failover routing.
pub fn service_record_of(
    config: &Config,
    record: &RecordConfig,
    region: &RegionConfig,
) -> Option<RecordSet> {
    let (latency_region, weight) = match config.routing {
        Routing::Failover => return None,
        Routing::Latency => (Some(region.name.clone()), None),
        Routing::Weighted => (None, Some(region.weight)),
    };
    let pair_like = failover_record_at(record, &record.name, region, FailoverRole::Primary);
    Some(RecordSet {
        set_identifier: Some(service_set_identifier(&region.name)),
        failover: None,
        latency_region,
        weight,
        ..pair_like
    })
}

/// The regions Route 53 may answer for a latency or weighted record set, given whether
/// each region's record is healthy: every healthy one (the nearest, or by weight); when
/// none is, Route 53 "considers all the records in the group healthy" and answers any of
/// them (Route 53 DG, "How Amazon Route 53 chooses records when health checking is
/// configured"), the second element then says so.
pub fn service_answer(config: &Config, healthy: impl Fn(&str) -> bool) -> (Vec<String>, bool) {
    let up: Vec<String> = config
        .regions
        .iter()
        .filter(|r| healthy(&r.name))
        .map(|r| r.name.clone())
        .collect();
    if up.is_empty() {
        (
            config.regions.iter().map(|r| r.name.clone()).collect(),
            true,
        )
    } else {
        (up, false)
    }
}

/// First label of a gate chain link's name: `_regionflip-from-<region>.<record name>`.
pub const CHAIN_LABEL_PREFIX: &str = crate::names::CHAIN_LABEL_PREFIX;

/// One failover pair of `health-gate` mode's layout (ARCHITECTURE.md, "The gate chain").
///
/// With regions r1 … rN in preference order the layout is N − 1 pairs: the pair under
/// the record name has PRIMARY r1; the pair under `_regionflip-from-rk.<name>` has
/// PRIMARY rk; each SECONDARY is the next pair (an alias to its name that evaluates its
/// health), and the last pair's SECONDARY is rN itself. Route 53 answers a pair's
/// PRIMARY while its record is healthy, else the rest of the chain while any of it is,
/// so the answer is the first region whose record is healthy; with two regions this is
/// the one pair regionflip always had.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainLink {
    /// The pair's name (fully qualified, with the trailing dot).
    pub name: String,
    /// The region of its PRIMARY.
    pub primary: String,
    /// What its SECONDARY answers.
    pub secondary: ChainNext,
}

/// What a chain link's SECONDARY answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "to", rename_all = "kebab-case")]
pub enum ChainNext {
    /// The last region, on its endpoint check alone (it has no gate).
    Region(String),
    /// The next link, by name.
    Link(String),
}

/// Name of the application's own chain link whose PRIMARY is `regions[rank]` (the record
/// name for home).
pub fn chain_link_name(config: &Config, rank: usize) -> String {
    chain_link_name_of(config, &config.record_name, rank)
}

/// Name of the chain link of the record named `name` whose PRIMARY is `regions[rank]`.
fn chain_link_name_of(config: &Config, name: &str, rank: usize) -> String {
    match rank {
        0 => name.to_string(),
        _ => format!("{CHAIN_LABEL_PREFIX}{}.{name}", config.regions[rank].name),
    }
}

/// The application's own gate chain, from the record name down ([`ChainLink`]).
pub fn gate_chain(config: &Config) -> Vec<ChainLink> {
    gate_chain_of(config, &config.record_name)
}

/// The gate chain of the record named `name`: every record of the application has one,
/// on the same checks (each region's record of every name carries that region's
/// CALCULATED check, so a gate moves every name at once).
pub fn gate_chain_of(config: &Config, name: &str) -> Vec<ChainLink> {
    let last = config.regions.len() - 1;
    (0..last)
        .map(|rank| ChainLink {
            name: chain_link_name_of(config, name, rank),
            primary: config.regions[rank].name.clone(),
            secondary: if rank + 1 == last {
                ChainNext::Region(config.regions[last].name.clone())
            } else {
                ChainNext::Link(chain_link_name_of(config, name, rank + 1))
            },
        })
        .collect()
}

/// The records of one of the application's own chain links ([`chain_records_of`]).
pub fn chain_records(config: &Config, link: &ChainLink) -> [RecordSet; 2] {
    chain_records_of(config, &own_record(config), link)
}

/// The records of one chain link of `record`, PRIMARY then SECONDARY, as regionflip
/// writes them. A region's record carries its endpoint check here; init puts a gated
/// region's record on its CALCULATED check (endpoint and gate) instead. A link's alias
/// carries no check: its health is the next pair's (`EvaluateTargetHealth`).
pub fn chain_records_of(
    config: &Config,
    record: &RecordConfig,
    link: &ChainLink,
) -> [RecordSet; 2] {
    // Links come from `gate_chain`, so every name is a configured region.
    let region = |name: &str| config.region(name).unwrap_or_else(|| config.home());
    let primary = failover_record_at(
        record,
        &link.name,
        region(&link.primary),
        FailoverRole::Primary,
    );
    let secondary = match &link.secondary {
        ChainNext::Region(name) => {
            failover_record_at(record, &link.name, region(name), FailoverRole::Secondary)
        }
        ChainNext::Link(next) => RecordSet {
            name: link.name.clone(),
            record_type: record.record_type.as_str().into(),
            set_identifier: Some(SECONDARY_SET_ID.into()),
            failover: Some(FailoverRole::Secondary),
            ttl: None,
            values: Vec::new(),
            alias: Some(AliasTarget {
                hosted_zone_id: record.hosted_zone_id.clone(),
                dns_name: next.clone(),
                evaluate_target_health: true,
            }),
            health_check_id: None,
            latency_region: None,
            weight: None,
        },
    };
    [primary, secondary]
}

/// The region Route 53 answers through the gate chain, and why, given whether each
/// region's record is healthy (its health check, as Route 53 evaluates it). Route 53's
/// rules, pair by pair: PRIMARY while healthy; else SECONDARY while healthy (a link is
/// healthy while any record below it is); else — both unhealthy — it treats both as
/// healthy and answers PRIMARY.
pub fn chain_answer(config: &Config, healthy: impl Fn(&str) -> bool) -> (String, String) {
    let chain = gate_chain(config);
    let mut why = Vec::new();
    for link in &chain {
        if healthy(&link.primary) {
            why.push(format!("{} is healthy", link.primary));
            return (link.primary.clone(), why.join("; "));
        }
        let rest_healthy = config.regions[config.rank(&link.primary).map_or(0, |r| r + 1)..]
            .iter()
            .any(|r| healthy(&r.name));
        if !rest_healthy {
            why.push(format!(
                "{} and every region after it are unhealthy, so Route 53 treats both records \
                 of its pair as healthy and answers PRIMARY {}",
                link.primary, link.primary
            ));
            return (link.primary.clone(), why.join("; "));
        }
        why.push(format!("{} is unhealthy", link.primary));
        if let ChainNext::Region(last) = &link.secondary {
            why.push(format!("{last} is healthy"));
            return (last.clone(), why.join("; "));
        }
    }
    // Fewer than two regions never validates; answer home.
    (config.home().name.clone(), why.join("; "))
}

/// The region a failover record points at, if it points at a configured one. The
/// record's name says whose targets to compare with: one of the application's other
/// records (or a link of its gate chain), else the application's own.
pub fn region_of_record<'c>(config: &'c Config, record: &RecordSet) -> Option<&'c RegionConfig> {
    let target = record.target()?.trim_end_matches('.').to_ascii_lowercase();
    match other_record_named(config, &record.name) {
        Some(other) => other
            .targets
            .iter()
            .find(|t| t.target.trim_end_matches('.') == target)
            .and_then(|t| config.region(&t.region)),
        None => config
            .regions
            .iter()
            .find(|r| r.target.trim_end_matches('.') == target),
    }
}

/// The order `ListResourceRecordSets` lists names in: labels reversed and compared one by
/// one, case aside (`com.example.api` before `com.example.api._regionflip`).
pub fn listing_key(name: &str) -> Vec<String> {
    name.trim_end_matches('.')
        .to_ascii_lowercase()
        .split('.')
        .rev()
        .map(String::from)
        .collect()
}

/// The hosted zone that holds the record named `name`: one of the application's other
/// records (or a link of its chain) is in its own zone; everything else — the
/// application's own record, its links, the state record — in the configured one.
pub fn zone_of<'c>(config: &'c Config, name: &str) -> &'c str {
    other_record_named(config, name).map_or(config.hosted_zone_id.as_str(), |r| {
        r.hosted_zone_id.as_str()
    })
}

/// `changes` as one change batch per hosted zone ([`zone_of`] each record's name), in
/// the order given, the application's own zone first: records in several zones cannot
/// share a batch, and the state record's compare-and-swap lives in the application's.
pub fn changes_by_zone(config: &Config, changes: &[Change]) -> Vec<(String, Vec<Change>)> {
    let mut batches: Vec<(String, Vec<Change>)> = vec![(config.hosted_zone_id.clone(), Vec::new())];
    for change in changes {
        let zone = zone_of(config, &change.record.name);
        match batches.iter_mut().find(|(z, _)| z == zone) {
            Some((_, batch)) => batch.push(change.clone()),
            None => batches.push((zone.to_string(), vec![change.clone()])),
        }
    }
    batches.retain(|(_, batch)| !batch.is_empty());
    batches
}

/// The application's other record whose name (or whose gate chain link's name) is `name`.
fn other_record_named<'c>(config: &'c Config, name: &str) -> Option<&'c RecordConfig> {
    if config.other_records.is_empty() || name == config.record_name {
        return None;
    }
    config.other_records.iter().find(|r| {
        r.name == name
            || name.strip_suffix(r.name.as_str()).is_some_and(|head| {
                head.strip_prefix(CHAIN_LABEL_PREFIX)
                    .and_then(|region| region.strip_suffix('.'))
                    .is_some_and(|region| config.region(region).is_some())
            })
    })
}

/// Whether `found` is one of regionflip's failover pair of `record` (module docs).
fn is_ours(record: &RecordConfig, found: &RecordSet) -> bool {
    found.name == record.name
        && found.record_type == record.record_type.as_str()
        && matches!(
            found.set_identifier.as_deref(),
            Some(PRIMARY_SET_ID | SECONDARY_SET_ID)
        )
}

/// Failover records under one of the application's names and types that regionflip does
/// not own (their set identifier is not one regionflip writes). Route 53 answers them
/// like the pair, and an UPSERT of the pair would collide with them, so while one exists
/// regionflip touches nothing (engine rule 1).
pub fn foreign_failover_records<'r>(
    config: &Config,
    records: &'r [RecordSet],
) -> Vec<&'r RecordSet> {
    let all = config.records();
    records
        .iter()
        .filter(|r| {
            r.failover.is_some()
                && all.iter().any(|own| {
                    r.name == own.name
                        && r.record_type == own.record_type.as_str()
                        && !is_ours(own, r)
                })
        })
        .collect()
}

/// One way the failover pair differs from what regionflip writes for the active region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PairDrift {
    /// The record's name when it is not the application's own (`None`: the record name).
    pub name: Option<String>,
    /// The record, by the role regionflip gives it: [`PRIMARY_SET_ID`] is PRIMARY,
    /// [`SECONDARY_SET_ID`] SECONDARY.
    pub record: FailoverRole,
    /// What differs: `record` (missing), `role`, `target`, `TTL`, `alias zone` or
    /// `health check`.
    pub field: &'static str,
    /// What was found.
    pub found: String,
    /// What regionflip writes.
    pub wanted: String,
}

impl FailoverRole {
    /// `PRIMARY` or `SECONDARY`, as Route 53 spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            FailoverRole::Primary => "PRIMARY",
            FailoverRole::Secondary => "SECONDARY",
        }
    }

    /// The set identifier regionflip writes for the record in this role.
    pub fn set_identifier(self) -> &'static str {
        match self {
            FailoverRole::Primary => PRIMARY_SET_ID,
            FailoverRole::Secondary => SECONDARY_SET_ID,
        }
    }
}

/// How the failover pair in `records` differs from what [`failover_record`] writes for
/// routing on `active`: PRIMARY on `active`; SECONDARY on any other configured region
/// (`standby` when it is missing, on `active`, or on no configured region — the region a
/// repair would write). Each field is compared: role, target (as names compare: case and
/// the final dot aside), TTL, alias zone and health check. Only regionflip's own records
/// are judged (module docs); an empty list means the pair is as regionflip writes it.
pub fn pair_drift(
    config: &Config,
    records: &[RecordSet],
    active: &RegionConfig,
    standby: &RegionConfig,
) -> Vec<PairDrift> {
    config
        .records()
        .iter()
        .flat_map(|record| pair_drift_of(config, record, records, active, standby))
        .collect()
}

/// [`pair_drift`] of one of the application's records.
fn pair_drift_of(
    config: &Config,
    record: &RecordConfig,
    records: &[RecordSet],
    active: &RegionConfig,
    standby: &RegionConfig,
) -> Vec<PairDrift> {
    let mut drift = Vec::new();
    // The application's own record is named by its role alone, as before there were more.
    let name = (record.name != config.record_name).then(|| record.name.clone());
    for role in [FailoverRole::Primary, FailoverRole::Secondary] {
        let found = records.iter().find(|r| {
            is_ours(record, r) && r.set_identifier.as_deref() == Some(role.set_identifier())
        });
        let region = match (role, found.and_then(|r| region_of_record(config, r))) {
            (FailoverRole::Primary, _) => active,
            (FailoverRole::Secondary, Some(r)) if r.name != active.name => r,
            (FailoverRole::Secondary, _) => standby,
        };
        let wanted = failover_record_of(record, region, role);
        let Some(found) = found else {
            drift.push(PairDrift {
                name: name.clone(),
                record: role,
                field: "record",
                found: "missing".into(),
                wanted: describe_target(config, &wanted, active),
            });
            continue;
        };
        let mut differs = |field: &'static str, found: String, wanted: String| {
            if found != wanted {
                drift.push(PairDrift {
                    name: name.clone(),
                    record: role,
                    field,
                    found,
                    wanted,
                });
            }
        };
        let role_of = |r: &RecordSet| r.failover.map_or("none", FailoverRole::as_str).to_string();
        differs("role", role_of(found), role_of(&wanted));
        let target = |r: &RecordSet| {
            r.target()
                .map(|t| t.trim_end_matches('.').to_ascii_lowercase())
                .unwrap_or_default()
        };
        let ttl = |r: &RecordSet| {
            r.ttl
                .map_or_else(|| "none (alias)".to_string(), |t| t.to_string())
        };
        differs("TTL", ttl(found), ttl(&wanted));
        if target(found) != target(&wanted) {
            differs(
                "target",
                describe_target(config, found, active),
                describe_target(config, &wanted, active),
            );
            // The alias zone and the health check go with the region: a wrong target
            // already says they are wrong.
            continue;
        }
        let zone = |r: &RecordSet| {
            r.alias
                .as_ref()
                .map_or_else(|| "none".to_string(), |a| a.hosted_zone_id.clone())
        };
        differs("alias zone", zone(found), zone(&wanted));
        let check = |r: &RecordSet| r.health_check_id.clone().unwrap_or_else(|| "none".into());
        differs("health check", check(found), check(&wanted));
    }
    drift
}

/// A record's target for a drift report, with the region it belongs to.
fn describe_target(config: &Config, record: &RecordSet, active: &RegionConfig) -> String {
    let target = record.target().unwrap_or("nothing");
    match region_of_record(config, record) {
        Some(r) if r.name == active.name => format!("{target} ({}, the active region)", r.name),
        Some(r) => format!("{target} ({})", r.name),
        None => format!("{target} (no configured region)"),
    }
}

/// Quotes TXT strings into one Route 53 TXT value: `"a" "b"`.
pub fn quote_txt<S: AsRef<str>>(strings: &[S]) -> String {
    strings
        .iter()
        .map(|s| {
            let escaped = s.as_ref().replace('\\', "\\\\").replace('"', "\\\"");
            format!("\"{escaped}\"")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Splits a Route 53 TXT value into its strings, undoing the quoting. Bounded: refuses
/// values longer than the state record ever is.
pub fn unquote_txt(value: &str) -> Result<Vec<String>, String> {
    if value.len() > 4 * MAX_STATE_TEXT {
        return Err(format!(
            "TXT value of {} characters is too long",
            value.len()
        ));
    }
    let mut strings = Vec::new();
    let mut chars = value.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            chars.next();
        }
        match chars.next() {
            None => break,
            Some('"') => {}
            Some(c) => return Err(format!("TXT value has {c:?} outside quotes")),
        }
        let mut current = String::new();
        loop {
            match chars.next() {
                None => return Err("TXT value has an unterminated string".into()),
                Some('"') => break,
                Some('\\') => {
                    let Some(next) = chars.next() else {
                        return Err("TXT value ends in a backslash".into());
                    };
                    if next.is_ascii_digit() {
                        // \ddd: an octal byte, as Route 53 writes non-printable characters.
                        let mut code = next.to_digit(8).unwrap_or(0);
                        for _ in 0..2 {
                            match chars.next().and_then(|c| c.to_digit(8)) {
                                Some(d) => code = code * 8 + d,
                                None => return Err("TXT value has a bad \\ddd escape".into()),
                            }
                        }
                        current.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                    } else {
                        current.push(next);
                    }
                }
                Some(c) => current.push(c),
            }
        }
        strings.push(current);
    }
    Ok(strings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn txt_quoting_round_trips() {
        let strings = vec!["plain".to_string(), "with \"quote\" and \\".to_string()];
        let value = quote_txt(&strings);
        assert_eq!(unquote_txt(&value), Ok(strings));
        assert_eq!(unquote_txt("\"a\\065\""), Ok(vec!["a5".to_string()]));
    }

    fn config(record_type: &str) -> Config {
        let mut toml = format!(
            "hosted_zone_id = \"Z0123456789ABCDEFGHIJ\"\nrecord_name = \"api.example.com\"\nrecord_type = \"{record_type}\"\nmode = \"records\"\n"
        );
        for (i, name) in ["us-east-1", "us-west-2", "eu-west-1"].iter().enumerate() {
            toml.push_str(&format!(
                "[[regions]]\nname = \"{name}\"\ntarget = \"api.{name}.example.com\"\nalarms = [\"errors\"]\nhealth_check_id = \"00000000-0000-4000-8000-00000000000{}\"\n",
                i + 1
            ));
            if record_type == "A" {
                toml.push_str(&format!(
                    "alias_hosted_zone_id = \"Z00000000000000{}\"\n",
                    i + 1
                ));
            }
        }
        Config::from_toml_str(&toml).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Route 53's answer through the chain for every combination of healthy records
    /// (three and four regions): the first healthy region in preference order, and with
    /// none healthy, home (each pair treats two unhealthy records as healthy and answers
    /// its PRIMARY, so the top pair answers home).
    #[test]
    fn the_chain_answers_the_first_healthy_region_and_home_when_none_is() {
        for regions in [3usize, 4] {
            let mut toml =
                "hosted_zone_id = \"Z0123456789ABCDEFGHIJ\"\nrecord_name = \"api.example.com\"\n"
                    .to_string();
            let names = ["us-east-1", "us-west-2", "eu-west-1", "ap-south-1"];
            for name in &names[..regions] {
                toml.push_str(&format!(
                    "[[regions]]\nname = \"{name}\"\ntarget = \"api.{name}.example.com\"\nalarms = [\"errors\"]\n"
                ));
            }
            let config = Config::from_toml_str(&toml).unwrap_or_else(|e| panic!("{e}"));
            let chain = gate_chain(&config);
            assert_eq!(chain.len(), regions - 1);
            assert_eq!(chain[0].name, "api.example.com.");
            assert_eq!(chain[1].name, "_regionflip-from-us-west-2.api.example.com.");
            for (rank, link) in chain.iter().enumerate() {
                let [primary, secondary] = chain_records(&config, link);
                assert_eq!(
                    (primary.name.as_str(), secondary.name.as_str()),
                    (link.name.as_str(), link.name.as_str())
                );
                assert_eq!(
                    region_of_record(&config, &primary).map(|r| r.name.as_str()),
                    Some(names[rank])
                );
                match &link.secondary {
                    ChainNext::Link(next) => {
                        let alias = secondary.alias.expect("a link's SECONDARY is an alias");
                        assert_eq!(
                            (&alias.dns_name, alias.evaluate_target_health),
                            (next, true)
                        );
                        assert_eq!(alias.hosted_zone_id, config.hosted_zone_id);
                        assert!(secondary.health_check_id.is_none());
                    }
                    ChainNext::Region(last) => {
                        assert_eq!(rank, regions - 2);
                        assert_eq!(last, names[regions - 1]);
                        assert_eq!(secondary.alias, None);
                    }
                }
            }
            for healthy_set in 0u32..(1 << regions) {
                let healthy = |name: &str| {
                    names[..regions]
                        .iter()
                        .position(|n| *n == name)
                        .is_some_and(|i| healthy_set & (1 << i) != 0)
                };
                let expected = names[..regions]
                    .iter()
                    .find(|n| healthy(n))
                    .copied()
                    .unwrap_or(names[0]);
                let (answer, why) = chain_answer(&config, healthy);
                assert_eq!(answer, expected, "healthy set {healthy_set:b}: {why}");
                assert!(!why.is_empty());
            }
        }
    }

    fn pair(config: &Config, primary: usize, secondary: usize) -> Vec<RecordSet> {
        vec![
            failover_record(config, &config.regions[primary], FailoverRole::Primary),
            failover_record(config, &config.regions[secondary], FailoverRole::Secondary),
        ]
    }

    fn fields(drift: &[PairDrift]) -> Vec<(&'static str, &'static str)> {
        drift.iter().map(|d| (d.record.as_str(), d.field)).collect()
    }

    #[test]
    fn the_pair_as_regionflip_writes_it_has_no_drift() {
        for record_type in ["CNAME", "A"] {
            let config = config(record_type);
            let (east, west, eu) = (&config.regions[0], &config.regions[1], &config.regions[2]);
            // SECONDARY on any other configured region is as regionflip writes it.
            for secondary in [1, 2] {
                assert!(pair_drift(&config, &pair(&config, 0, secondary), east, west).is_empty());
            }
            // Names compare as names: case and the final dot aside.
            let mut records = pair(&config, 0, 1);
            if let Some(alias) = &mut records[0].alias {
                alias.dns_name = alias.dns_name.to_ascii_uppercase();
            } else {
                records[0].values = vec!["API.us-east-1.example.com".into()];
            }
            assert!(
                pair_drift(&config, &records, east, eu).is_empty(),
                "{records:?}"
            );
        }
    }

    #[test]
    fn every_field_of_the_pair_is_compared() {
        let config = config("CNAME");
        let (east, west) = (&config.regions[0], &config.regions[1]);
        type Edit = fn(&mut Vec<RecordSet>);
        let edits: [(Edit, &[(&str, &str)]); 6] = [
            (|r| r[0].ttl = Some(86_400), &[("PRIMARY", "TTL")]),
            (
                |r| r[0].health_check_id = None,
                &[("PRIMARY", "health check")],
            ),
            (
                |r| r[1].values = vec!["api.us-east-1.example.com.".into()],
                &[("SECONDARY", "target")],
            ),
            (
                |r| r[1].values = vec!["elsewhere.example.net.".into()],
                &[("SECONDARY", "target")],
            ),
            (
                |r| {
                    r.pop();
                },
                &[("SECONDARY", "record")],
            ),
            (
                |r| r[1].failover = Some(FailoverRole::Primary),
                &[("SECONDARY", "role")],
            ),
        ];
        for (edit, expected) in edits {
            let mut records = pair(&config, 0, 1);
            edit(&mut records);
            let drift = pair_drift(&config, &records, east, west);
            assert_eq!(fields(&drift), expected, "{records:?}");
        }
        // PRIMARY elsewhere than the active region: its target (and health check) drift.
        let drift = pair_drift(&config, &pair(&config, 1, 0), east, west);
        assert_eq!(
            fields(&drift),
            [("PRIMARY", "target"), ("SECONDARY", "target")]
        );
        assert!(drift[0].found.contains("us-west-2") && drift[0].wanted.contains("us-east-1"));
    }

    #[test]
    fn only_regionflips_set_identifiers_are_its_records() {
        let config = config("CNAME");
        let mut records = pair(&config, 0, 1);
        assert!(foreign_failover_records(&config, &records).is_empty());
        records[0].set_identifier = Some("primary".into());
        // Another name or another type is not the pair at all.
        let mut other_name = pair(&config, 0, 1)[1].clone();
        other_name.name = "www.example.com.".into();
        other_name.set_identifier = Some("mine".into());
        records.push(other_name);
        let foreign = foreign_failover_records(&config, &records);
        assert_eq!(foreign.len(), 1);
        assert_eq!(foreign[0].set_identifier.as_deref(), Some("primary"));
        // Its own PRIMARY is then missing from regionflip's view.
        let drift = pair_drift(&config, &records, &config.regions[0], &config.regions[1]);
        assert_eq!(fields(&drift), [("PRIMARY", "record")]);
    }

    #[test]
    fn broken_txt_values_are_errors() {
        assert!(unquote_txt("\"open").is_err());
        assert!(unquote_txt("bare").is_err());
        assert!(unquote_txt("\"a\\").is_err());
        assert!(unquote_txt(&"\"x\"".repeat(10_000)).is_err());
    }
}
