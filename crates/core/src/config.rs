//! Configuration: one schema, two sources, one validated [`Config`].
//!
//! The CLI and the drill read a TOML file; the watcher Lambda reads environment variables
//! that the SAM template sets. Both sources are first flattened into the same list of
//! raw fields (logical key → value, plus the name the user wrote it under), then one
//! validator turns that list into a [`Config`]. So the two sources cannot drift apart,
//! and every error names the key *as the user spelled it* (`failback.stable_for_secs` in
//! TOML, `REGIONFLIP_FAILBACK_STABLE_FOR_SECS` in the environment).
//!
//! Validation collects every problem before it returns: an operator fixing a file should
//! see all of its mistakes in one run, not one per run.
//!
//! [`schema`] describes every key as plain data (both spellings, required or not, the
//! default, what it means); the readers accept only the keys its tables list, and
//! docs/config-schema.json, which tools outside Rust read, is generated from it.
//!
//! ```toml
//! hosted_zone_id = "Z0123456789ABCDEFGHIJ"
//! record_name = "api.example.com"
//! record_type = "CNAME"          # or "A" for alias records
//! ttl = 60
//! mode = "health-gate"           # or "records"
//! routing = "failover"           # or "latency" / "weighted": active-active (health-gate)
//! min_in_service = 1             # active-active: regions never evacuated below this
//! metrics_namespace = "RegionFlip"
//!
//! [failback]
//! mode = "auto"                  # or "manual"
//! stable_for_secs = 300
//! min_dwell_secs = 300
//! max_flips_per_hour = 4
//! horizon_secs = 0               # never below min_dwell_secs in effect
//!
//! [failover]
//! respect_guards = false
//!
//! [[regions]]                    # preference order: the first is home
//! name = "us-east-1"
//! target = "abc123.execute-api.us-east-1.amazonaws.com"
//! health_check_id = "11111111-2222-3333-4444-555555555555"
//! alarms = ["api-5xx-rate"]
//! guards = []
//! ```
//!
//! An application of several names lists them as `[[records]]` tables instead of
//! `record_name`, `record_type` and each region's `target` (the one-record shorthand
//! above); the first table is the application's own record:
//!
//! ```toml
//! [[records]]
//! name = "api.example.com"
//! targets = { "us-east-1" = "abc123.execute-api.us-east-1.amazonaws.com" }
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::names;

/// Prefix of every environment variable the configuration reads.
pub(crate) const ENV_PREFIX: &str = "REGIONFLIP_";
/// Longest configuration document accepted. A real file is a few KiB; the limit keeps a
/// wrong or runaway file (a log, a generated dump) from costing unbounded time.
pub const MAX_CONFIG_BYTES: usize = 64 * 1024;
/// Most regions a configuration may list. The environment form numbers them from 1 to
/// this (`REGIONFLIP_REGION_64_NAME`); AWS has fewer regions than that.
pub const MAX_REGIONS: usize = 64;

/// A validated regionflip configuration. Only [`Config::from_toml_str`] and
/// [`Config::from_env`] build one, so holding a `Config` means every rule below held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The Route 53 hosted zone that holds the record, without the `/hostedzone/` prefix.
    pub hosted_zone_id: String,
    /// The name users resolve, fully qualified and lower case (`api.example.com.`).
    pub record_name: String,
    /// What kind of failover records regionflip manages.
    pub record_type: RecordType,
    /// TTL of the failover records, seconds. Resolvers may keep a stale answer this long.
    pub ttl: u32,
    /// How a decision is carried out.
    pub mode: Mode,
    /// How Route 53 spreads traffic over the regions: one active region with failover
    /// records, or every region in service at once (latency or weighted records).
    pub routing: Routing,
    /// Active-active routing: the fewest regions ever left in service; evacuating below
    /// it keeps the healthiest remaining regions in (`LastInService`). 1 with failover.
    pub min_in_service: u32,
    /// CloudWatch namespace for regionflip's own metrics (and, in gate mode, the gates).
    pub metrics_namespace: String,
    /// When and how traffic goes back to a more preferred region.
    pub failback: FailbackPolicy,
    /// Whether data guards also bind a failover away from an unhealthy region.
    pub failover_respects_guards: bool,
    /// What an alarm without data (INSUFFICIENT_DATA) means in a region that serves no
    /// traffic (a passive standby, or home after a failover).
    pub no_data_on_standby: NoDataOnStandby,
    /// `records` mode: how long a watcher pass waits for its change to reach every Route
    /// 53 name server (INSYNC), seconds; 0 does not wait.
    pub wait_in_sync_secs: u64,
    /// The watchers' log group (the same name in every region, `/regionflip/<stack>/watcher`),
    /// where the CLI records operator commands beside the watchers' transition lines and
    /// where `regionflip history` reads them; `None`: operator lines go to stderr only.
    pub journal_log_group: Option<String>,
    /// The regions, most preferred first. `regions[0]` is home. At least two.
    pub regions: Vec<RegionConfig>,
    /// The application's other DNS names, moved together with its own: one region
    /// decision per pass applies to every record ([`Config::records`]). The application's
    /// own record is the top-level `hosted_zone_id`, `record_name`, `record_type` and
    /// `ttl` with every region's `target` and `alias_hosted_zone_id` (the first
    /// `[[records]]` table, or the one-record shorthand); it names the state record, the
    /// gate alarms and the metrics. Empty for one record.
    pub other_records: Vec<RecordConfig>,
}

/// One DNS name of the application (a `[[records]]` table, or the one-record shorthand).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordConfig {
    /// The hosted zone that holds it, without the `/hostedzone/` prefix.
    pub hosted_zone_id: String,
    /// The name users resolve, fully qualified and lower case, with the trailing dot.
    pub name: String,
    /// What kind of failover records it gets.
    pub record_type: RecordType,
    /// TTL of its failover records, seconds.
    pub ttl: u32,
    /// Where it points in each region, in the regions' preference order (one per
    /// configured region).
    pub targets: Vec<RecordTarget>,
}

/// Where one record points in one region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordTarget {
    /// The region.
    pub region: String,
    /// The DNS name (normalised, with a trailing dot).
    pub target: String,
    /// Hosted zone of the alias target; present exactly when the record type is `A`.
    pub alias_hosted_zone_id: Option<String>,
}

impl RecordConfig {
    /// Where this record points in `region`, if that region is configured.
    pub fn target(&self, region: &str) -> Option<&RecordTarget> {
        self.targets.iter().find(|t| t.region == region)
    }
}

/// The kind of DNS record that points users at a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordType {
    /// A CNAME to the region's target name.
    Cname,
    /// An A alias record to the region's target (API Gateway domain, load balancer…).
    A,
}

/// How decisions reach DNS. See ARCHITECTURE.md, "The two ways to flip".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Data plane only: the failover records never change; the watcher opens and closes
    /// per-region gates through CloudWatch metrics that Route 53 health checks follow.
    HealthGate,
    /// Control plane: the watcher rewrites which region is PRIMARY in one atomic
    /// compare-and-swap change batch.
    Records,
}

/// How Route 53 spreads traffic over the regions (`routing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Routing {
    /// One region serves (failover records, or the gate chain); the others stand by.
    Failover,
    /// Every region in service serves the clients nearest to it (latency records, each
    /// with its `Region`).
    Latency,
    /// Every region in service serves a share of the answers (weighted records,
    /// `regions[].weight`).
    Weighted,
}

impl Routing {
    /// The configuration spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Routing::Failover => "failover",
            Routing::Latency => "latency",
            Routing::Weighted => "weighted",
        }
    }

    /// Whether every region in service serves traffic at once (latency or weighted):
    /// regions are evacuated and restored instead of failed over to.
    pub fn is_active_active(self) -> bool {
        self != Routing::Failover
    }
}

/// What an alarm in INSUFFICIENT_DATA says about a region that serves no traffic.
///
/// Request-driven metrics (API Gateway 5XXError, Latency) publish nothing without
/// traffic, and CloudWatch's default `TreatMissingData = missing` turns that into
/// INSUFFICIENT_DATA: a passive standby's request alarms sit there for ever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoDataOnStandby {
    /// The alarm vouches neither for nor against the region: it may become a failover
    /// target on its endpoint's positive health alone (`HealthCheckStatus`, or the
    /// watcher's own probe). The default.
    Idle,
    /// The alarm leaves the region's health unknown, so it is never a target.
    Unknown,
}

impl NoDataOnStandby {
    /// The configuration spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            NoDataOnStandby::Idle => "idle",
            NoDataOnStandby::Unknown => "unknown",
        }
    }
}

/// The search string the health endpoint serves by default (`regionflip-health`'s
/// `REGIONFLIP_HEALTH_MATCH`), and so the default `health_search`.
pub const DEFAULT_HEALTH_SEARCH: &str = "regionflip-healthy";

/// Whether failback happens by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailbackMode {
    /// Fail back once the preferred region has been healthy long enough.
    Auto,
    /// Wait for an operator.
    Manual,
}

/// The failback and flap-damping policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailbackPolicy {
    /// Automatic or operator-driven failback.
    pub mode: FailbackMode,
    /// How long a region must have been continuously healthy before traffic returns to it.
    pub stable_for_secs: u64,
    /// Minimum time between a transition and an automatic failback.
    pub min_dwell_secs: u64,
    /// Automatic failbacks are held once this many automatic transitions happened in the
    /// rolling hour; a failover away from a region known unhealthy never is.
    pub max_flips_per_hour: u32,
    /// A failback waits for a more preferred region that will be eligible within this
    /// many seconds instead of moving to a less preferred one first. In effect never
    /// below `min_dwell_secs` (engine rule 5a says why).
    pub horizon_secs: u64,
}

/// One region that serves the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionConfig {
    /// AWS region name, e.g. `eu-west-1`.
    pub name: String,
    /// The DNS name traffic goes to in this region (normalised, with a trailing dot).
    pub target: String,
    /// Hosted zone of the alias target; present exactly when the record type is `A`.
    pub alias_hosted_zone_id: Option<String>,
    /// The Route 53 health check of this region's health endpoint, if any.
    pub health_check_id: Option<String>,
    /// The URL of this region's health endpoint, which every region's watcher probes
    /// itself as Route 53's checkers do: `https://`, or `http://` on a loopback host.
    pub health_url: Option<String>,
    /// The string the probe must find in the first 5,120 bytes of the body.
    pub health_search: String,
    /// CloudWatch alarms (in this region) whose ALARM state means the API here is failing.
    pub alarms: Vec<String>,
    /// Alarms that must be OK before traffic moves *to* this region (replication lag…).
    pub guards: Vec<String>,
    /// `routing = "weighted"`: this region's weighted record's weight (1 to 255; equal
    /// weights share answers equally). 1 otherwise.
    pub weight: u32,
}

impl Config {
    /// The home region: the most preferred one.
    pub fn home(&self) -> &RegionConfig {
        &self.regions[0]
    }

    /// The region with this name, if configured.
    pub fn region(&self, name: &str) -> Option<&RegionConfig> {
        self.regions.iter().find(|r| r.name == name)
    }

    /// Position of a region in preference order (0 = home).
    pub fn rank(&self, name: &str) -> Option<usize> {
        self.regions.iter().position(|r| r.name == name)
    }

    /// Every record of the application, its own (the top-level keys) first.
    pub fn records(&self) -> Vec<RecordConfig> {
        let own = RecordConfig {
            hosted_zone_id: self.hosted_zone_id.clone(),
            name: self.record_name.clone(),
            record_type: self.record_type,
            ttl: self.ttl,
            targets: self
                .regions
                .iter()
                .map(|r| RecordTarget {
                    region: r.name.clone(),
                    target: r.target.clone(),
                    alias_hosted_zone_id: r.alias_hosted_zone_id.clone(),
                })
                .collect(),
        };
        std::iter::once(own)
            .chain(self.other_records.iter().cloned())
            .collect()
    }

    /// Name of the TXT record that carries the engine's persisted state.
    pub fn state_record_name(&self) -> String {
        format!("_regionflip.{}", self.record_name)
    }

    /// Parses and validates a TOML document.
    pub fn from_toml_str(text: &str) -> Result<Config, ConfigErrors> {
        if text.len() > MAX_CONFIG_BYTES {
            return Err(ConfigErrors(vec![ConfigError {
                key: "(file)".into(),
                problem: format!(
                    "is {} bytes long, more than the {MAX_CONFIG_BYTES} a configuration may have",
                    text.len()
                ),
                fix: "check that this is the right file; a configuration is a few KiB".into(),
            }]));
        }
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            ConfigErrors(vec![ConfigError {
                key: "(file)".into(),
                problem: format!("is not valid TOML: {}", e.message()),
                fix: "fix the syntax at the position shown".into(),
            }])
        })?;
        let mut fields = RawFields::new(Source::Toml);
        fields.read_toml(&table);
        fields.validate()
    }

    /// Reads and validates `REGIONFLIP_*` variables from `vars` (pass
    /// `std::env::vars()`). Other variables are ignored.
    pub fn from_env<I, K, V>(vars: I) -> Result<Config, ConfigErrors>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut fields = RawFields::new(Source::Env);
        fields.read_env(vars);
        fields.validate()
    }

    /// The configuration as environment variables, exactly as [`Config::from_env`] reads
    /// them: what the SAM template and the drill hand to the watcher.
    pub fn to_env(&self) -> Vec<(String, String)> {
        // One record: the shorthand; more: every record as `RECORD_<n>_*`, and the
        // regions without their targets (as with `[[records]]` tables).
        let tables = !self.other_records.is_empty();
        let mut vars = vec![
            ("HOSTED_ZONE_ID".to_string(), self.hosted_zone_id.clone()),
            ("TTL".into(), self.ttl.to_string()),
            ("MODE".into(), self.mode.as_str().into()),
            ("ROUTING".into(), self.routing.as_str().into()),
            ("METRICS_NAMESPACE".into(), self.metrics_namespace.clone()),
            ("FAILBACK_MODE".into(), self.failback.mode.as_str().into()),
            (
                "FAILBACK_STABLE_FOR_SECS".into(),
                self.failback.stable_for_secs.to_string(),
            ),
            (
                "FAILBACK_MIN_DWELL_SECS".into(),
                self.failback.min_dwell_secs.to_string(),
            ),
            (
                "FAILBACK_MAX_FLIPS_PER_HOUR".into(),
                self.failback.max_flips_per_hour.to_string(),
            ),
            (
                "FAILBACK_HORIZON_SECS".into(),
                self.failback.horizon_secs.to_string(),
            ),
            (
                "FAILOVER_RESPECT_GUARDS".into(),
                self.failover_respects_guards.to_string(),
            ),
            (
                "FAILOVER_NO_DATA_ON_STANDBY".into(),
                self.no_data_on_standby.as_str().into(),
            ),
            (
                "WATCHER_WAIT_IN_SYNC_SECS".into(),
                self.wait_in_sync_secs.to_string(),
            ),
        ];
        if let Some(group) = &self.journal_log_group {
            vars.push(("JOURNAL_LOG_GROUP".into(), group.clone()));
        }
        vars.push(("MIN_IN_SERVICE".into(), self.min_in_service.to_string()));
        if tables {
            for (i, record) in self.records().iter().enumerate() {
                let p = format!("RECORD_{}_", i + 1);
                vars.push((format!("{p}NAME"), record.name.clone()));
                vars.push((format!("{p}HOSTED_ZONE_ID"), record.hosted_zone_id.clone()));
                vars.push((format!("{p}TYPE"), record.record_type.as_str().into()));
                vars.push((format!("{p}TTL"), record.ttl.to_string()));
                for target in &record.targets {
                    let region = target.region.to_uppercase().replace('-', "_");
                    vars.push((format!("{p}TARGET_{region}"), target.target.clone()));
                    if let Some(zone) = &target.alias_hosted_zone_id {
                        vars.push((format!("{p}ALIAS_HOSTED_ZONE_ID_{region}"), zone.clone()));
                    }
                }
            }
        } else {
            vars.push(("RECORD_NAME".into(), self.record_name.clone()));
            vars.push(("RECORD_TYPE".into(), self.record_type.as_str().into()));
        }
        for (i, region) in self.regions.iter().enumerate() {
            let p = format!("REGION_{}_", i + 1);
            vars.push((format!("{p}NAME"), region.name.clone()));
            if !tables {
                vars.push((format!("{p}TARGET"), region.target.clone()));
                if let Some(zone) = &region.alias_hosted_zone_id {
                    vars.push((format!("{p}ALIAS_HOSTED_ZONE_ID"), zone.clone()));
                }
            }
            if let Some(id) = &region.health_check_id {
                vars.push((format!("{p}HEALTH_CHECK_ID"), id.clone()));
            }
            if let Some(url) = &region.health_url {
                vars.push((format!("{p}HEALTH_URL"), url.clone()));
            }
            vars.push((format!("{p}HEALTH_SEARCH"), region.health_search.clone()));
            vars.push((format!("{p}ALARMS"), region.alarms.join(",")));
            vars.push((format!("{p}GUARDS"), region.guards.join(",")));
            vars.push((format!("{p}WEIGHT"), region.weight.to_string()));
        }
        vars.into_iter()
            .map(|(k, v)| (format!("{ENV_PREFIX}{k}"), v))
            .collect()
    }
}

impl RecordType {
    /// The Route 53 record type.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::Cname => "CNAME",
            RecordType::A => "A",
        }
    }
}

impl Mode {
    /// The configuration spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::HealthGate => "health-gate",
            Mode::Records => "records",
        }
    }
}

impl FailbackMode {
    /// The configuration spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            FailbackMode::Auto => "auto",
            FailbackMode::Manual => "manual",
        }
    }
}

/// One problem with the configuration: which key, what is wrong, how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The key as the user wrote it (`regions[2].name`, `REGIONFLIP_TTL`).
    pub key: String,
    /// What is wrong with its value.
    pub problem: String,
    /// What to do about it.
    pub fix: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}; {}", self.key, self.problem, self.fix)
    }
}

/// Something a valid configuration allows but an SRE should know before an outage:
/// which key, what it costs, what to do. Printed by the CLI on every command and logged
/// by the watcher at cold start; never refuses anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWarning {
    /// The key, in the file and as the environment variable (`ttl` / `REGIONFLIP_TTL`).
    pub key: String,
    /// What the value costs.
    pub problem: String,
    /// What to do about it.
    pub advice: String,
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}; {}", self.key, self.problem, self.advice)
    }
}

/// The TTL AWS recommends at most for records with health checks.
pub const HEALTH_CHECKED_TTL_SECS: u32 = 60;

impl Config {
    /// What this configuration allows but should be known.
    ///
    /// | #  | when                                        | warning                          |
    /// |----|---------------------------------------------|----------------------------------|
    /// | W1 | CNAME records, `ttl` above 60 s, and a      | resolvers may keep answering the |
    /// |    | health check on a record (always in         | failed region up to `ttl` after  |
    /// |    | `health-gate` mode; in `records` a region's | Route 53 fails over; AWS         |
    /// |    | `health_check_id`)                          | recommends 60 s or less with     |
    /// |    |                                             | health checks (Route 53 DG, "TTL |
    /// |    |                                             | (seconds)" of failover records)  |
    /// | W2 | alias A records and `ttl` other than 60     | the value is not used: an alias  |
    /// |    |                                             | answers with its target's TTL    |
    ///
    /// Each row is judged for every name: a `[[records]]` table's own type and `ttl`
    /// (`records[2].ttl`) as much as the application's.
    ///
    /// Rows are tested in `crates/core/tests/config.rs` (`WARNINGS`).
    pub fn warnings(&self) -> Vec<ConfigWarning> {
        let health_checked = self.mode == Mode::HealthGate
            || self.regions.iter().any(|r| r.health_check_id.is_some());
        let mut warnings = Vec::new();
        // Every name is judged: a `[[records]]` table has a type and a ttl of its own.
        for (i, record) in self.records().iter().enumerate() {
            let (key, which) = match i {
                0 => (
                    "ttl (REGIONFLIP_TTL, the template's RecordTtl)".to_string(),
                    String::new(),
                ),
                _ => (
                    format!("records[{n}].ttl ({ENV_PREFIX}RECORD_{n}_TTL)", n = i + 1),
                    format!(" for {}", record.name),
                ),
            };
            let ttl = record.ttl;
            match record.record_type {
                RecordType::Cname if ttl > HEALTH_CHECKED_TTL_SECS && health_checked => {
                    warnings.push(ConfigWarning {
                        key,
                        problem: format!(
                            "is {ttl} s{which}: after Route 53 fails over, resolvers may keep \
                             answering the failed region for up to {ttl} s"
                        ),
                        advice: format!(
                            "AWS recommends {HEALTH_CHECKED_TTL_SECS} s or less for records \
                             with health checks; lower it unless your resolvers' load needs more"
                        ),
                    });
                }
                RecordType::A if ttl != HEALTH_CHECKED_TTL_SECS => {
                    warnings.push(ConfigWarning {
                        key,
                        problem: format!(
                            "is {ttl} s{which}, but alias A records have no TTL of their own: \
                             Route 53 answers with the alias target's TTL"
                        ),
                        advice: "remove the key (or set it to 60) so that it does not mislead"
                            .into(),
                    });
                }
                _ => {}
            }
        }
        warnings
    }
}

/// Every problem found in one configuration, in the order the keys were checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(
            f,
            "invalid configuration ({n} problem{}):",
            if n == 1 { "" } else { "s" }
        )?;
        for e in &self.0 {
            writeln!(f, "  - {e}")?;
        }
        Ok(())
    }
}

impl ConfigErrors {
    /// Whether some error concerns this key (as the user spelled it).
    pub fn mentions(&self, key: &str) -> bool {
        self.0.iter().any(|e| e.key == key)
    }
}

// ---------------------------------------------------------------------------------------
// The schema: every key the validator reads, in both spellings, as plain data.
//
// `TOP_KEYS` and `REGION_KEYS`, the lists the two readers accept keys from, are built
// from these tables, so a key cannot be accepted without being described here. The
// defaults are pinned to the validator's by crates/core/tests/schema.rs, which also
// writes the table as docs/config-schema.json (what tools outside Rust read: the
// template tests) and fails when that file is stale.

/// Where a key sits in the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyScope {
    /// Once per configuration (`ttl`, `failback.mode`).
    Top,
    /// Once per region (`regions[2].name`, `REGIONFLIP_REGION_2_NAME`).
    Region,
    /// Once per `[[records]]` table (`records[2].name`, `REGIONFLIP_RECORD_2_NAME`).
    Record,
}

/// The kind of value a key takes. The environment spells every kind as a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ValueKind {
    /// A string.
    String,
    /// A whole number (a string of digits in the environment).
    Integer,
    /// `true` or `false` (also `1`/`0`, `yes`/`no` in the environment).
    Boolean,
    /// A list of strings (comma-separated in the environment).
    List,
    /// A table from region name to string (in the environment, one variable per region,
    /// the region upper-cased with `_` for `-`).
    Map,
}

/// One configuration key: what the validator reads, and how a user spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    /// The logical key: dotted for a table (`failback.mode`); for a region key, its name
    /// inside the region (`target`).
    pub key: &'static str,
    /// Whether the key is set once or per region.
    pub scope: KeyScope,
    /// The kind of value it takes.
    pub kind: ValueKind,
    /// Whether a configuration without it is refused.
    pub required: bool,
    /// The value used when the key is left out, as the environment spells it (and as
    /// [`Config::to_env`] writes it), if there is one.
    pub default: Option<&'static str>,
    /// What the key means, in one line.
    pub doc: &'static str,
}

/// Stands for a region's 1-based position in [`KeySpec::toml_key`] and
/// [`KeySpec::env_var`] (`regions[{n}].name`, `REGIONFLIP_REGION_{n}_NAME`), and for a
/// record's (`records[{n}].name`).
pub const REGION_INDEX: &str = "{n}";

/// Stands for a region's name in a [`ValueKind::Map`] key (`records[{n}].targets.{region}`,
/// `REGIONFLIP_RECORD_{n}_TARGET_{REGION}`).
pub const REGION_NAME: &str = "{region}";

impl KeySpec {
    /// The key as written in TOML: `failback.mode`, `regions[{n}].name`.
    pub fn toml_key(&self) -> String {
        match (self.scope, self.kind) {
            (KeyScope::Top, _) => self.key.to_string(),
            (KeyScope::Region, _) => format!("regions[{REGION_INDEX}].{}", self.key),
            (KeyScope::Record, ValueKind::Map) => {
                format!("records[{REGION_INDEX}].{}.{REGION_NAME}", self.key)
            }
            (KeyScope::Record, _) => format!("records[{REGION_INDEX}].{}", self.key),
        }
    }

    /// The environment variable: `REGIONFLIP_FAILBACK_MODE`, `REGIONFLIP_REGION_{n}_NAME`.
    /// The same derivation the environment reader matches names with.
    pub fn env_var(&self) -> String {
        match self.scope {
            KeyScope::Top => env_name(self.key),
            KeyScope::Region => format!(
                "{ENV_PREFIX}REGION_{REGION_INDEX}_{}",
                self.key.to_uppercase()
            ),
            KeyScope::Record => match RECORD_MAP_KEYS.iter().find(|(map, _)| *map == self.key) {
                Some((_, entry)) => format!(
                    "{ENV_PREFIX}RECORD_{REGION_INDEX}_{entry}_{}",
                    REGION_NAME.to_uppercase()
                ),
                None => format!(
                    "{ENV_PREFIX}RECORD_{REGION_INDEX}_{}",
                    self.key.to_uppercase()
                ),
            },
        }
    }
}

/// Every key set once per configuration, in the order the validator checks them.
pub const TOP_SCHEMA: &[KeySpec] = &[
    KeySpec {
        key: "hosted_zone_id",
        scope: KeyScope::Top,
        kind: ValueKind::String,
        required: true,
        default: None,
        doc: "The Route 53 hosted zone that holds the record (aws route53 list-hosted-zones).",
    },
    KeySpec {
        key: "record_name",
        scope: KeyScope::Top,
        kind: ValueKind::String,
        required: true,
        default: None,
        doc: "The name clients resolve; stored lower case, with a trailing dot.",
    },
    KeySpec {
        key: "record_type",
        scope: KeyScope::Top,
        kind: ValueKind::String,
        required: false,
        default: Some("CNAME"),
        doc: "\"CNAME\" to each region's target, or \"A\" for alias records (then every region needs alias_hosted_zone_id).",
    },
    KeySpec {
        key: "ttl",
        scope: KeyScope::Top,
        kind: ValueKind::Integer,
        required: false,
        default: Some("60"),
        doc: "Seconds resolvers may cache an answer (0 to 3600); failover is never faster than this.",
    },
    KeySpec {
        key: "mode",
        scope: KeyScope::Top,
        kind: ValueKind::String,
        required: false,
        default: Some("health-gate"),
        doc: "\"health-gate\": the records never change, gates flip in the data plane; \"records\": the watcher rewrites which region is PRIMARY.",
    },
    KeySpec {
        key: "routing",
        scope: KeyScope::Top,
        kind: ValueKind::String,
        required: false,
        default: Some("failover"),
        doc: "\"failover\": one region serves, the others stand by; \"latency\" or \"weighted\": active-active, every region in service serves and a failing one is evacuated by closing its gate (health-gate mode only).",
    },
    KeySpec {
        key: "min_in_service",
        scope: KeyScope::Top,
        kind: ValueKind::Integer,
        required: false,
        default: Some("1"),
        doc: "Active-active routing: the fewest regions ever left in service (1 to the number of regions - 1); when evacuating would go below it, the healthiest remaining regions stay in (LastInService).",
    },
    KeySpec {
        key: "metrics_namespace",
        scope: KeyScope::Top,
        kind: ValueKind::String,
        required: false,
        default: Some("RegionFlip"),
        doc: "CloudWatch namespace for regionflip's metrics and gates.",
    },
    KeySpec {
        key: "failback.mode",
        scope: KeyScope::Top,
        kind: ValueKind::String,
        required: false,
        default: Some("auto"),
        doc: "\"auto\": traffic returns to a more preferred region once it is stable; \"manual\": an operator runs regionflip failback.",
    },
    KeySpec {
        key: "failback.stable_for_secs",
        scope: KeyScope::Top,
        kind: ValueKind::Integer,
        required: false,
        default: Some("300"),
        doc: "Seconds a region must have been healthy before traffic returns to it (0 to 86400).",
    },
    KeySpec {
        key: "failback.min_dwell_secs",
        scope: KeyScope::Top,
        kind: ValueKind::Integer,
        required: false,
        default: Some("300"),
        doc: "Seconds after a transition before an automatic failback (0 to 86400).",
    },
    KeySpec {
        key: "failback.max_flips_per_hour",
        scope: KeyScope::Top,
        kind: ValueKind::Integer,
        required: false,
        default: Some("4"),
        doc: "Automatic transitions in any rolling hour after which automatic failbacks wait (1 to 60); a failover away from a region known unhealthy is never held, and operators are not limited.",
    },
    KeySpec {
        key: "failback.horizon_secs",
        scope: KeyScope::Top,
        kind: ValueKind::Integer,
        required: false,
        default: Some("0"),
        doc: "Seconds a failback waits for a more preferred region about to become eligible rather than moving to a less preferred one first (0 to 86400); never less than min_dwell_secs in effect.",
    },
    KeySpec {
        key: "failover.respect_guards",
        scope: KeyScope::Top,
        kind: ValueKind::Boolean,
        required: false,
        default: Some("false"),
        doc: "Whether data guards also bind a failover away from an unhealthy region.",
    },
    KeySpec {
        key: "failover.no_data_on_standby",
        scope: KeyScope::Top,
        kind: ValueKind::String,
        required: false,
        default: Some("idle"),
        doc: "What an alarm in INSUFFICIENT_DATA means in a region serving no traffic: idle (the region may become a target on its endpoint's positive health) or unknown (never a target).",
    },
    KeySpec {
        key: "watcher.wait_in_sync_secs",
        scope: KeyScope::Top,
        kind: ValueKind::Integer,
        required: false,
        default: Some("0"),
        doc: "records mode: seconds a watcher pass waits for its change to be INSYNC (0 to 60; 0 does not wait). The Lambda timeout must cover it.",
    },
    KeySpec {
        key: "journal.log_group",
        scope: KeyScope::Top,
        kind: ValueKind::String,
        required: false,
        default: None,
        doc: "The watchers' log group, the same name in every region (the stack output WatcherLogGroupName, /regionflip/<stack>/watcher): operator commands are recorded there beside the watchers' transitions, and regionflip history reads it. Unset, operator records go to stderr only.",
    },
];

/// Every key set once per region, in the order the validator checks them.
pub const REGION_SCHEMA: &[KeySpec] = &[
    KeySpec {
        key: "name",
        scope: KeyScope::Region,
        kind: ValueKind::String,
        required: true,
        default: None,
        doc: "The AWS region name, like us-east-1; regions are listed in preference order, the first is home.",
    },
    KeySpec {
        key: "target",
        scope: KeyScope::Region,
        kind: ValueKind::String,
        required: true,
        default: None,
        doc: "The DNS name that serves the API in this region.",
    },
    KeySpec {
        key: "alias_hosted_zone_id",
        scope: KeyScope::Region,
        kind: ValueKind::String,
        required: false,
        default: None,
        doc: "Hosted zone id of the alias target: required when record_type is A, refused when it is CNAME.",
    },
    KeySpec {
        key: "health_check_id",
        scope: KeyScope::Region,
        kind: ValueKind::String,
        required: false,
        default: None,
        doc: "The Route 53 health check of this region's health endpoint (optional if alarms are set).",
    },
    KeySpec {
        key: "health_url",
        scope: KeyScope::Region,
        kind: ValueKind::String,
        required: false,
        default: None,
        doc: "URL of this region's health endpoint, probed by every region's watcher as Route 53's checkers do: https://, or http:// on a loopback host for local runs.",
    },
    KeySpec {
        key: "health_search",
        scope: KeyScope::Region,
        kind: ValueKind::String,
        required: false,
        default: Some("regionflip-healthy"),
        doc: "The string the probe must find in the first 5,120 bytes of the health endpoint's body (1 to 255 characters).",
    },
    KeySpec {
        key: "alarms",
        scope: KeyScope::Region,
        kind: ValueKind::List,
        required: false,
        default: None,
        doc: "CloudWatch alarms in this region whose ALARM state means the API here is failing; required unless health_check_id is set.",
    },
    KeySpec {
        key: "guards",
        scope: KeyScope::Region,
        kind: ValueKind::List,
        required: false,
        default: Some(""),
        doc: "Alarms that must be OK before traffic moves to this region (replication lag...).",
    },
    KeySpec {
        key: "weight",
        scope: KeyScope::Region,
        kind: ValueKind::Integer,
        required: false,
        default: Some("1"),
        doc: "routing = \"weighted\": this region's share of the answers (1 to 255), relative to the other regions in service.",
    },
];

/// Every key of a `[[records]]` table, in the order the validator checks them. Used
/// instead of the top-level `record_name`, `record_type` and every region's `target` and
/// `alias_hosted_zone_id` (the one-record shorthand); the top-level `hosted_zone_id` and
/// `ttl` are then every record's defaults.
pub const RECORD_SCHEMA: &[KeySpec] = &[
    KeySpec {
        key: "name",
        scope: KeyScope::Record,
        kind: ValueKind::String,
        required: true,
        default: None,
        doc: "A name clients resolve; every record of the application moves with the first, which names its state and gates.",
    },
    KeySpec {
        key: "hosted_zone_id",
        scope: KeyScope::Record,
        kind: ValueKind::String,
        required: false,
        default: None,
        doc: "The hosted zone that holds this record; the top-level hosted_zone_id when left out.",
    },
    KeySpec {
        key: "type",
        scope: KeyScope::Record,
        kind: ValueKind::String,
        required: false,
        default: Some("CNAME"),
        doc: "\"CNAME\" to each region's target, or \"A\" for alias records (then alias_hosted_zone_ids).",
    },
    KeySpec {
        key: "ttl",
        scope: KeyScope::Record,
        kind: ValueKind::Integer,
        required: false,
        default: None,
        doc: "Seconds resolvers may cache an answer (0 to 3600); the top-level ttl when left out.",
    },
    KeySpec {
        key: "targets",
        scope: KeyScope::Record,
        kind: ValueKind::Map,
        required: true,
        default: None,
        doc: "For every configured region, the DNS name that serves this record there.",
    },
    KeySpec {
        key: "alias_hosted_zone_ids",
        scope: KeyScope::Record,
        kind: ValueKind::Map,
        required: false,
        default: None,
        doc: "For every configured region, the hosted zone id of the alias target: required when type is A, refused when it is CNAME.",
    },
];

/// The whole schema as a document: what docs/config-schema.json holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Schema {
    /// Says where the document comes from.
    #[serde(rename = "$comment")]
    pub comment: &'static str,
    /// Prefix of every environment variable ([`ENV_PREFIX`]).
    pub env_prefix: &'static str,
    /// What stands for a region's position in region keys ([`REGION_INDEX`]).
    pub region_index: &'static str,
    /// Most regions a configuration may list ([`MAX_REGIONS`]).
    pub max_regions: usize,
    /// Every key, top-level ones first, each in the order the validator checks it.
    pub keys: Vec<SchemaKey>,
}

/// One key of [`Schema`], with both spellings worked out.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SchemaKey {
    /// [`KeySpec::toml_key`].
    pub toml: String,
    /// [`KeySpec::env_var`].
    pub env: String,
    /// [`KeySpec::scope`].
    pub scope: KeyScope,
    /// [`KeySpec::kind`].
    #[serde(rename = "type")]
    pub kind: ValueKind,
    /// [`KeySpec::required`].
    pub required: bool,
    /// [`KeySpec::default`].
    pub default: Option<&'static str>,
    /// [`KeySpec::doc`].
    pub doc: &'static str,
}

/// Every key the configuration reads, in both spellings, built from [`TOP_SCHEMA`] and
/// [`REGION_SCHEMA`]. Pure: no I/O.
pub fn schema() -> Schema {
    Schema {
        comment: "Every regionflip configuration key, in TOML and environment spelling. \
                  Generated from regionflip_core::config::schema() (crates/core/src/config.rs) \
                  by crates/core/tests/schema.rs; do not edit: run \
                  UPDATE_SCHEMA=1 cargo test -p regionflip-core --test schema. \
                  Defaults are spelled as in the environment.",
        env_prefix: ENV_PREFIX,
        region_index: REGION_INDEX,
        max_regions: MAX_REGIONS,
        keys: TOP_SCHEMA
            .iter()
            .chain(REGION_SCHEMA)
            .chain(RECORD_SCHEMA)
            .map(|spec| SchemaKey {
                toml: spec.toml_key(),
                env: spec.env_var(),
                scope: spec.scope,
                kind: spec.kind,
                required: spec.required,
                default: spec.default,
                doc: spec.doc,
            })
            .collect(),
    }
}

/// The `key` of each spec, as an array the validator's key lists are made of (a const
/// function, so those lists stay plain constants).
const fn key_names<const N: usize>(specs: &[KeySpec]) -> [&'static str; N] {
    let mut names = [""; N];
    let mut i = 0;
    while i < N {
        names[i] = specs[i].key;
        i += 1;
    }
    names
}

// ---------------------------------------------------------------------------------------
// Raw fields: the common shape both sources are flattened into.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Toml,
    Env,
}

/// A value as the source gave it. The environment only has strings; TOML has types.
#[derive(Debug, Clone)]
enum RawValue {
    Str(String),
    Int(i64),
    Bool(bool),
    List(Vec<String>),
    /// A TOML value of a type no key accepts (a table where a string belongs, …).
    Other(&'static str),
}

/// Logical key of a field: `failback.mode`, or a region key with its 0-based index.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Top(&'static str),
    Region(usize, &'static str),
    /// A key of the `[[records]]` table with this 0-based index.
    Record(usize, &'static str),
    /// One region's entry of a `[[records]]` table's `targets` or `alias_hosted_zone_ids`.
    RecordMap(usize, &'static str, String),
}

/// The keys of a `[[records]]` table; `targets` and `alias_hosted_zone_ids` are tables
/// from region name to value.
const RECORD_KEYS: &[&str] = &key_names::<{ RECORD_SCHEMA.len() }>(RECORD_SCHEMA);
/// The keys of [`RECORD_KEYS`] that are tables of region name → value, with the name of
/// one entry in the environment (`REGIONFLIP_RECORD_2_TARGET_US_EAST_1`).
const RECORD_MAP_KEYS: &[(&str, &str)] = &[
    ("targets", "TARGET"),
    ("alias_hosted_zone_ids", "ALIAS_HOSTED_ZONE_ID"),
];
/// Most `[[records]]` tables a configuration may have.
pub const MAX_RECORDS: usize = 1000;
/// Most records `records` mode moves per flip: Route 53 takes 1,000 changes per batch and
/// counts an UPSERT twice, so each record's pair costs 4 and the state record's DELETE
/// and CREATE 2. Counted over every zone, which bounds the state's own batch whatever the
/// split (names in other zones go in one batch per zone after it).
pub const MAX_RECORDS_PER_BATCH: usize = 249;

/// The top-level keys the readers accept: [`TOP_SCHEMA`]'s.
const TOP_KEYS: &[&str] = &key_names::<{ TOP_SCHEMA.len() }>(TOP_SCHEMA);

/// The keys the readers accept inside a region: [`REGION_SCHEMA`]'s.
const REGION_KEYS: &[&str] = &key_names::<{ REGION_SCHEMA.len() }>(REGION_SCHEMA);

/// The TTL range accepted. Route 53 allows more, but a failover record cached for longer
/// than an hour would make failover pointless.
const TTL_RANGE: std::ops::RangeInclusive<i64> = 0..=3600;
const SECS_RANGE: std::ops::RangeInclusive<i64> = 0..=86_400;
const FLIPS_RANGE: std::ops::RangeInclusive<i64> = 1..=60;
/// `min_in_service`; its upper bound, the number of regions less one, is checked apart.
const MIN_IN_SERVICE_RANGE: std::ops::RangeInclusive<i64> = 1..=(MAX_REGIONS as i64 - 1);
/// Route 53 takes weights from 0 to 255; 0 would serve no traffic, which is what
/// evacuating is for.
const WEIGHT_RANGE: std::ops::RangeInclusive<i64> = 1..=255;
/// Alarms and guards one region may list: `DescribeAlarms` takes 100 names, and the pass
/// reads the gate-mode state holder in the same call.
const MAX_ALARMS_PER_REGION: usize = 99;
/// Waiting for INSYNC happens inside one Lambda invocation; the template's function
/// timeout grows with it up to this (`Mappings.WatcherTimeout`).
const WAIT_IN_SYNC_RANGE: std::ops::RangeInclusive<i64> = 0..=60;

struct RawFields {
    source: Source,
    values: BTreeMap<Key, RawValue>,
    region_count: usize,
    /// How many `[[records]]` tables (0: the one-record shorthand).
    record_count: usize,
    /// Region indices already reported as a whole (a numbering gap, a region that is not
    /// a table): their individual keys are not reported again as missing.
    reported_regions: BTreeSet<usize>,
    errors: Vec<ConfigError>,
}

impl RawFields {
    fn new(source: Source) -> Self {
        RawFields {
            source,
            values: BTreeMap::new(),
            region_count: 0,
            record_count: 0,
            reported_regions: BTreeSet::new(),
            errors: Vec::new(),
        }
    }

    /// The key as the user wrote it in this source.
    fn display(&self, key: &Key) -> String {
        match (self.source, key) {
            (Source::Toml, Key::Top(k)) => (*k).to_string(),
            (Source::Toml, Key::Region(i, k)) => format!("regions[{}].{k}", i + 1),
            (Source::Env, Key::Top(k)) => env_name(k),
            (Source::Env, Key::Region(i, k)) => env_name(&format!("region_{}_{k}", i + 1)),
            (Source::Toml, Key::Record(i, k)) => format!("records[{}].{k}", i + 1),
            (Source::Toml, Key::RecordMap(i, k, region)) => {
                format!("records[{}].{k}.{region}", i + 1)
            }
            (Source::Env, Key::Record(i, k)) => env_name(&format!("record_{}_{k}", i + 1)),
            (Source::Env, Key::RecordMap(i, k, region)) => {
                let entry = RECORD_MAP_KEYS
                    .iter()
                    .find(|(map, _)| map == k)
                    .map_or("TARGET", |(_, entry)| entry);
                format!(
                    "{ENV_PREFIX}RECORD_{}_{entry}_{}",
                    i + 1,
                    region.to_uppercase().replace('-', "_")
                )
            }
        }
    }

    fn error(&mut self, key: &Key, problem: impl Into<String>, fix: impl Into<String>) {
        let key = self.display(key);
        self.errors.push(ConfigError {
            key,
            problem: problem.into(),
            fix: fix.into(),
        });
    }

    fn read_toml(&mut self, table: &toml::Table) {
        // A TOML table (`[failback]`) is the prefix of the schema's dotted keys.
        fn is_table(name: &str) -> bool {
            TOP_KEYS
                .iter()
                .any(|k| k.split_once('.').is_some_and(|(table, _)| table == name))
        }
        for (name, value) in table {
            match (name.as_str(), value) {
                (table, toml::Value::Table(inner)) if is_table(table) => {
                    for (sub, value) in inner {
                        let dotted = format!("{name}.{sub}");
                        match TOP_KEYS.iter().find(|k| **k == dotted) {
                            Some(k) => {
                                self.values.insert(Key::Top(k), from_toml(value));
                            }
                            None => self.unknown(&dotted),
                        }
                    }
                }
                ("regions", toml::Value::Array(items)) if items.len() > MAX_REGIONS => {
                    self.errors.push(ConfigError {
                        key: name.clone(),
                        problem: format!("lists {} regions, more than {MAX_REGIONS}", items.len()),
                        fix: "list only the regions that serve the API".into(),
                    });
                    // Reported as a whole, so no region is validated (each would add its
                    // own errors, and validation cost grows with their number).
                    self.region_count = items.len();
                    self.reported_regions.extend(0..items.len());
                }
                ("regions", toml::Value::Array(items)) => {
                    self.region_count = items.len();
                    for (i, item) in items.iter().enumerate() {
                        let Some(region) = item.as_table() else {
                            self.reported_regions.insert(i);
                            self.errors.push(ConfigError {
                                key: format!("regions[{}]", i + 1),
                                problem: "is not a table".into(),
                                fix: "write each region as a [[regions]] table".into(),
                            });
                            continue;
                        };
                        for (sub, value) in region {
                            match REGION_KEYS.iter().find(|k| **k == sub) {
                                Some(k) => {
                                    self.values.insert(Key::Region(i, k), from_toml(value));
                                }
                                None => self.unknown(&format!("regions[{}].{sub}", i + 1)),
                            }
                        }
                    }
                }
                ("records", toml::Value::Array(items)) if items.len() > MAX_RECORDS => {
                    self.errors.push(ConfigError {
                        key: name.clone(),
                        problem: format!("lists {} records, more than {MAX_RECORDS}", items.len()),
                        fix: "split the application into several configurations".into(),
                    });
                }
                ("records", toml::Value::Array(items)) => {
                    self.record_count = items.len();
                    for (i, item) in items.iter().enumerate() {
                        let Some(record) = item.as_table() else {
                            self.errors.push(ConfigError {
                                key: format!("records[{}]", i + 1),
                                problem: "is not a table".into(),
                                fix: "write each record as a [[records]] table".into(),
                            });
                            continue;
                        };
                        for (sub, value) in record {
                            match (RECORD_KEYS.iter().find(|k| **k == sub), value) {
                                (Some(k), toml::Value::Table(entries))
                                    if RECORD_MAP_KEYS.iter().any(|(m, _)| m == k) =>
                                {
                                    for (region, value) in entries {
                                        self.values.insert(
                                            Key::RecordMap(i, k, region.clone()),
                                            from_toml(value),
                                        );
                                    }
                                }
                                (Some(k), _) if RECORD_MAP_KEYS.iter().any(|(m, _)| m == k) => {
                                    self.errors.push(ConfigError {
                                        key: format!("records[{}].{k}", i + 1),
                                        problem: "is not a table".into(),
                                        fix: format!(
                                            "write it as a table from region to value, like {k} = {{ \"us-east-1\" = \"...\" }}"
                                        ),
                                    });
                                }
                                (Some(k), value) => {
                                    self.values.insert(Key::Record(i, k), from_toml(value));
                                }
                                (None, _) => self.unknown(&format!("records[{}].{sub}", i + 1)),
                            }
                        }
                    }
                }
                ("records", _) => self.errors.push(ConfigError {
                    key: name.clone(),
                    problem: "has the wrong shape".into(),
                    fix: "write records as [[records]] tables".into(),
                }),
                (table, _) if table == "regions" || is_table(table) => {
                    self.errors.push(ConfigError {
                        key: name.clone(),
                        problem: "has the wrong shape".into(),
                        fix: if name == "regions" {
                            "write regions as [[regions]] tables".into()
                        } else {
                            format!("write it as a [{name}] table")
                        },
                    })
                }
                (name, value) => match TOP_KEYS.iter().find(|k| **k == name) {
                    Some(k) if !k.contains('.') => {
                        self.values.insert(Key::Top(k), from_toml(value));
                    }
                    _ => self.unknown(name),
                },
            }
        }
    }

    fn read_env<I, K, V>(&mut self, vars: I)
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut max_index = 0;
        let mut indices = BTreeSet::new();
        let mut record_indices = BTreeSet::new();
        for (name, value) in vars {
            let (name, value) = (name.as_ref(), value.as_ref().to_string());
            let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            if let Some(k) = TOP_KEYS.iter().find(|k| env_name(k) == name) {
                self.values.insert(Key::Top(k), RawValue::Str(value));
                continue;
            }
            if let Some((index, sub)) = parse_region_var(rest)
                && let Some(k) = REGION_KEYS.iter().find(|k| k.to_uppercase() == sub)
            {
                indices.insert(index);
                max_index = max_index.max(index);
                self.values
                    .insert(Key::Region(index - 1, k), RawValue::Str(value));
                continue;
            }
            if let Some((index, key)) = parse_record_var(rest) {
                record_indices.insert(index);
                self.values.insert(key, RawValue::Str(value));
                continue;
            }
            // Variables of other regionflip components share the prefix.
            if !OTHER_COMPONENT_VARS.iter().any(|p| rest.starts_with(p)) {
                self.unknown(name);
            }
        }
        self.record_count = record_indices.last().copied().unwrap_or(0);
        for missing in (1..=self.record_count).filter(|i| !record_indices.contains(i)) {
            self.errors.push(ConfigError {
                key: env_name(&format!("record_{missing}_name")),
                problem: format!("is missing, but record {} is set", self.record_count),
                fix: "number the records 1, 2, 3… without gaps".into(),
            });
        }
        self.region_count = max_index;
        for missing in (1..=max_index).filter(|i| !indices.contains(i)) {
            self.reported_regions.insert(missing - 1);
            self.errors.push(ConfigError {
                key: env_name(&format!("region_{missing}_name")),
                problem: format!("is missing, but region {max_index} is set"),
                fix: "number the regions 1, 2, 3… without gaps, in preference order".into(),
            });
        }
    }

    fn unknown(&mut self, key: &str) {
        let (known, fix) = match self.source {
            Source::Toml => (
                TOP_KEYS.join(", ") + ", regions",
                "remove it or correct its spelling",
            ),
            Source::Env => (
                "see ARCHITECTURE.md, Configuration".to_string(),
                "remove it or correct its spelling",
            ),
        };
        self.errors.push(ConfigError {
            key: key.to_string(),
            problem: format!("is not a regionflip setting (known: {known})"),
            fix: fix.into(),
        });
    }

    fn take(&mut self, key: &Key) -> Option<RawValue> {
        self.values.remove(key)
    }

    fn string(&mut self, key: Key) -> Option<String> {
        match self.take(&key)? {
            RawValue::Str(s) => Some(s.trim().to_string()),
            other => {
                let found = type_name(&other);
                self.error(&key, format!("is {found}"), "write it as a quoted string");
                None
            }
        }
    }

    fn required_string(&mut self, key: Key, fix: &str) -> Option<String> {
        let value = self.string(key.clone());
        match value {
            Some(v) if !v.is_empty() => Some(v),
            _ => {
                if !self.errors.iter().any(|e| e.key == self.display(&key)) {
                    self.error(&key, "is missing", fix.to_string());
                }
                None
            }
        }
    }

    fn integer(
        &mut self,
        key: Key,
        default: i64,
        range: std::ops::RangeInclusive<i64>,
        unit: &str,
    ) -> i64 {
        let value = match self.take(&key) {
            None => return default,
            Some(RawValue::Int(i)) => i,
            Some(RawValue::Str(s)) if self.source == Source::Env => match s.trim().parse() {
                Ok(i) => i,
                Err(_) => {
                    self.error(
                        &key,
                        format!("is {s:?}, not a whole number"),
                        format!("set it to a whole number of {unit}"),
                    );
                    return default;
                }
            },
            Some(other) => {
                let found = type_name(&other);
                self.error(
                    &key,
                    format!("is {found}"),
                    format!("write it as a whole number of {unit}, without quotes"),
                );
                return default;
            }
        };
        if !range.contains(&value) {
            self.error(
                &key,
                format!("is {value}, out of range"),
                format!("use {} to {} {unit}", range.start(), range.end()),
            );
            return default;
        }
        value
    }

    fn boolean(&mut self, key: Key, default: bool) -> bool {
        match self.take(&key) {
            None => default,
            Some(RawValue::Bool(b)) => b,
            Some(RawValue::Str(s)) if self.source == Source::Env => {
                match s.trim().to_ascii_lowercase().as_str() {
                    "true" | "1" | "yes" => true,
                    "false" | "0" | "no" | "" => false,
                    _ => {
                        self.error(&key, format!("is {s:?}"), "set it to true or false");
                        default
                    }
                }
            }
            Some(other) => {
                let found = type_name(&other);
                self.error(
                    &key,
                    format!("is {found}"),
                    "write true or false, without quotes",
                );
                default
            }
        }
    }

    fn list(&mut self, key: Key) -> Vec<String> {
        match self.take(&key) {
            None => Vec::new(),
            Some(RawValue::List(items)) => items,
            Some(RawValue::Str(s)) if self.source == Source::Env => s
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
            Some(other) => {
                let found = type_name(&other);
                self.error(
                    &key,
                    format!("is {found}"),
                    "write a list of strings, like [\"api-5xx\"]",
                );
                Vec::new()
            }
        }
    }

    fn choice<T: Copy>(&mut self, key: Key, default: T, choices: &[(&str, T)]) -> T {
        match self.string(key.clone()) {
            None => default,
            Some(s) => match choices
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(&s))
            {
                Some((_, v)) => *v,
                None => {
                    let names: Vec<_> = choices.iter().map(|(n, _)| format!("{n:?}")).collect();
                    self.error(
                        &key,
                        format!("is {s:?}"),
                        format!("use one of {}", names.join(", ")),
                    );
                    default
                }
            },
        }
    }

    fn validate(mut self) -> Result<Config, ConfigErrors> {
        // `[[records]]` tables, or the one-record shorthand of the top-level keys. With
        // tables, the top-level hosted_zone_id and ttl are every record's defaults, and
        // the shorthand's own keys must not be there (which one would win?).
        let tables = self.record_count > 0;
        if tables {
            for (key, fix) in [
                (
                    "record_name",
                    "move it into the first [[records]] table as name",
                ),
                ("record_type", "move it into each [[records]] table as type"),
            ] {
                if self.take(&Key::Top(key)).is_some() {
                    self.error(&Key::Top(key), "is set beside [[records]] tables", fix);
                }
            }
        }
        let hosted_zone_id = match self.string(Key::Top("hosted_zone_id")) {
            Some(raw) if !raw.is_empty() => self.zone_id(Key::Top("hosted_zone_id"), &raw),
            _ if tables => None,
            _ => {
                self.error(
                    &Key::Top("hosted_zone_id"),
                    "is missing",
                    "set it to the id of the hosted zone that holds the record (aws route53 list-hosted-zones)",
                );
                None
            }
        };
        let record_name = if tables {
            None
        } else {
            self.required_string(
                Key::Top("record_name"),
                "set it to the name clients resolve, like api.example.com",
            )
            .and_then(|raw| self.dns_name(Key::Top("record_name"), &raw, false))
        };
        let record_type = if tables {
            RecordType::Cname
        } else {
            self.choice(
                Key::Top("record_type"),
                RecordType::Cname,
                &[("CNAME", RecordType::Cname), ("A", RecordType::A)],
            )
        };
        let ttl = self.integer(Key::Top("ttl"), 60, TTL_RANGE, "seconds") as u32;
        let mode = self.choice(
            Key::Top("mode"),
            Mode::HealthGate,
            &[
                ("health-gate", Mode::HealthGate),
                ("records", Mode::Records),
            ],
        );
        let routing = self.choice(
            Key::Top("routing"),
            Routing::Failover,
            &[
                ("failover", Routing::Failover),
                ("latency", Routing::Latency),
                ("weighted", Routing::Weighted),
            ],
        );
        if routing.is_active_active() && mode == Mode::Records {
            self.error(
                &Key::Top("routing"),
                format!(
                    "is {:?}, and records mode rewrites a failover pair",
                    routing.as_str()
                ),
                "set mode = \"health-gate\" (active-active evacuates a region by closing its gate), or routing = \"failover\"",
            );
        }
        let min_in_service = self.integer(
            Key::Top("min_in_service"),
            1,
            MIN_IN_SERVICE_RANGE,
            "regions",
        ) as u32;
        // 1, its default, means nothing with failover routing; another value would be
        // silently ignored there.
        if min_in_service != 1 && !routing.is_active_active() {
            self.error(
                &Key::Top("min_in_service"),
                format!(
                    "is {min_in_service}, but routing is \"failover\", where one region serves at a time"
                ),
                "remove it, or set routing = \"latency\" or \"weighted\"",
            );
        }
        let metrics_namespace = self
            .string(Key::Top("metrics_namespace"))
            .unwrap_or_else(|| "RegionFlip".into());
        if !names::is_metrics_namespace(&metrics_namespace) {
            self.error(
                &Key::Top("metrics_namespace"),
                format!("is {metrics_namespace:?}, not a usable CloudWatch namespace"),
                "use 1-255 letters, digits, spaces and . - _ / # : (not starting with AWS/ or :)",
            );
        }
        let failback = FailbackPolicy {
            mode: self.choice(
                Key::Top("failback.mode"),
                FailbackMode::Auto,
                &[
                    ("auto", FailbackMode::Auto),
                    ("manual", FailbackMode::Manual),
                ],
            ),
            stable_for_secs: self.integer(
                Key::Top("failback.stable_for_secs"),
                300,
                SECS_RANGE,
                "seconds",
            ) as u64,
            min_dwell_secs: self.integer(
                Key::Top("failback.min_dwell_secs"),
                300,
                SECS_RANGE,
                "seconds",
            ) as u64,
            max_flips_per_hour: self.integer(
                Key::Top("failback.max_flips_per_hour"),
                4,
                FLIPS_RANGE,
                "transitions",
            ) as u32,
            horizon_secs: self.integer(Key::Top("failback.horizon_secs"), 0, SECS_RANGE, "seconds")
                as u64,
        };
        let failover_respects_guards = self.boolean(Key::Top("failover.respect_guards"), false);
        let no_data_on_standby = self.choice(
            Key::Top("failover.no_data_on_standby"),
            NoDataOnStandby::Idle,
            &[
                ("idle", NoDataOnStandby::Idle),
                ("unknown", NoDataOnStandby::Unknown),
            ],
        );
        let journal_log_group = self.string(Key::Top("journal.log_group"));
        if let Some(group) = &journal_log_group
            && !names::is_log_group_name(group)
        {
            self.error(
                &Key::Top("journal.log_group"),
                format!("is {group:?}, not a CloudWatch Logs log group name"),
                "use 1-512 letters, digits and . - _ / # (the stack's WatcherLogGroupName output)",
            );
        }
        let wait_in_sync_secs = self.integer(
            Key::Top("watcher.wait_in_sync_secs"),
            0,
            WAIT_IN_SYNC_RANGE,
            "seconds",
        ) as u64;

        // Each region with its index, so errors name the region where the user wrote it
        // even when an earlier one was invalid and dropped.
        let mut regions = Vec::new();
        for i in 0..self.region_count {
            if self.reported_regions.contains(&i) {
                continue;
            }
            if let Some(region) = self.region(i, record_type, tables, routing) {
                regions.push((i, region));
            }
        }
        if self.region_count < 2 {
            let key = match self.source {
                Source::Toml => "regions".to_string(),
                Source::Env => env_name(&format!("region_{}_name", self.region_count + 1)),
            };
            self.errors.push(ConfigError {
                key,
                problem: format!(
                    "lists {} region{}; failover needs at least two",
                    self.region_count,
                    if self.region_count == 1 { "" } else { "s" }
                ),
                fix: "list every region that serves the API, most preferred first".into(),
            });
        }
        if routing.is_active_active() && self.region_count >= 2 {
            self.active_active_limits(min_in_service, &failback, &regions);
        }
        let mut seen = BTreeSet::new();
        let mut targets = BTreeSet::new();
        let mut checks = BTreeSet::new();
        for (i, region) in &regions {
            // Each region's endpoint check probes that region's endpoint: one check named
            // for two regions would make a failing region look like its standby (and init
            // would wire it under the wrong record).
            if let Some(id) = &region.health_check_id
                && !checks.insert(id.clone())
            {
                let key = self.display(&Key::Region(*i, "health_check_id"));
                self.errors.push(ConfigError {
                    key,
                    problem: format!("repeats health check {id} of another region"),
                    fix: "set each region's health_check_id to its own stack's HealthCheckId \
                          output (make cli-config writes them)"
                        .into(),
                });
            }
            if !seen.insert(region.name.clone()) {
                let key = self.display(&Key::Region(*i, "name"));
                self.errors.push(ConfigError {
                    key,
                    problem: format!("repeats region {}", region.name),
                    fix: "list each region once".into(),
                });
            }
            // The PRIMARY record's target is how regionflip tells which region DNS
            // routes to; two regions with one target would make that ambiguous. (With
            // `[[records]]` tables each record checks its own.)
            if !tables && !targets.insert(region.target.clone()) {
                let key = self.display(&Key::Region(*i, "target"));
                self.errors.push(ConfigError {
                    key,
                    problem: format!("repeats target {} of another region", region.target),
                    fix: "give each region its own target (its regional API domain)".into(),
                });
            }
        }

        // The `[[records]]` tables: the first is the application's own record (the
        // top-level fields and every region's target), the others move with it.
        let (mut hosted_zone_id, mut record_name, mut record_type, mut ttl) =
            (hosted_zone_id, record_name, record_type, ttl);
        let mut other_records = Vec::new();
        if tables {
            let names: Vec<String> = regions.iter().map(|(_, r)| r.name.clone()).collect();
            let every_region_valid = names.len() == self.region_count;
            let mut parsed = Vec::new();
            for i in 0..self.record_count {
                let record = self.record(
                    i,
                    hosted_zone_id.as_deref(),
                    ttl,
                    &names,
                    every_region_valid,
                );
                parsed.push((i, record));
            }
            let mut seen: BTreeMap<String, usize> = BTreeMap::new();
            for (i, record) in &parsed {
                let Some(record) = record else { continue };
                if let Some(first) = seen.insert(record.name.clone(), *i) {
                    let key = self.display(&Key::Record(*i, "name"));
                    let other = self.display(&Key::Record(first, "name"));
                    self.errors.push(ConfigError {
                        key,
                        problem: format!("repeats {} of {other}", record.name),
                        fix: "list each name once".into(),
                    });
                }
            }
            if mode == Mode::Records && self.record_count > MAX_RECORDS_PER_BATCH {
                self.errors.push(ConfigError {
                    key: match self.source {
                        Source::Toml => "records".into(),
                        Source::Env => env_name(&format!("record_{}_name", self.record_count)),
                    },
                    problem: format!(
                        "lists {} records, and records mode moves them in change batches of at most {MAX_RECORDS_PER_BATCH} names (Route 53: 1,000 changes, an UPSERT counts twice; the state's compare-and-swap batch must hold them when they share its zone)",
                        self.record_count
                    ),
                    fix: "use mode = \"health-gate\" (its records never change), or split the application".into(),
                });
            }
            let mut parsed = parsed.into_iter().map(|(_, r)| r);
            if let Some(Some(first)) = parsed.next() {
                hosted_zone_id = Some(first.hosted_zone_id.clone());
                record_name = Some(first.name.clone());
                record_type = first.record_type;
                ttl = first.ttl;
                for (_, region) in &mut regions {
                    if let Some(target) = first.target(&region.name) {
                        region.target = target.target.clone();
                        region.alias_hosted_zone_id = target.alias_hosted_zone_id.clone();
                    }
                }
            }
            other_records = parsed.flatten().collect();
        }

        // health-gate with three or more regions names a chain link under the record name
        // for every region but home and the last (records::chain_link_name); each must
        // still be a DNS name.
        let every_name: Vec<(Key, String)> = record_name
            .iter()
            .map(|n| {
                let key = if tables {
                    Key::Record(0, "name")
                } else {
                    Key::Top("record_name")
                };
                (key, n.clone())
            })
            .chain(
                other_records
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (Key::Record(i + 1, "name"), r.name.clone())),
            )
            .collect();
        for (key, name) in every_name.iter().filter(|_| {
            mode == Mode::HealthGate && !routing.is_active_active() && regions.len() > 2
        }) {
            let longest = regions[1..regions.len() - 1]
                .iter()
                .map(|(_, r)| r.name.as_str())
                .max_by_key(|r| r.len())
                .unwrap_or_default();
            let link = format!("{}{longest}.{name}", names::CHAIN_LABEL_PREFIX);
            if link.trim_end_matches('.').len() > names::MAX_DNS_NAME_LEN {
                self.error(
                    key,
                    format!(
                        "is {} characters, and with {} regions in health-gate mode regionflip \
                         needs the name {link} ({} characters; DNS allows {})",
                        name.trim_end_matches('.').len(),
                        regions.len(),
                        link.trim_end_matches('.').len(),
                        names::MAX_DNS_NAME_LEN
                    ),
                    "use a shorter name",
                );
            }
        }

        if !self.errors.is_empty() {
            return Err(ConfigErrors(self.errors));
        }
        // Every field above either produced a value or recorded an error.
        match (hosted_zone_id, record_name) {
            (Some(hosted_zone_id), Some(record_name)) => Ok(Config {
                hosted_zone_id,
                record_name,
                record_type,
                ttl,
                mode,
                routing,
                min_in_service,
                metrics_namespace,
                failback,
                failover_respects_guards,
                no_data_on_standby,
                wait_in_sync_secs,
                journal_log_group,
                regions: regions.into_iter().map(|(_, region)| region).collect(),
                other_records,
            }),
            _ => Err(ConfigErrors(self.errors)),
        }
    }

    /// Active-active: `min_in_service` below the number of regions, and a state that
    /// fits its holder. The gate-mode state lives in an alarm description (CloudWatch:
    /// at most 1,024 characters) and remembers every region's flips of the last hour
    /// (damping is per region), so regions × `max_flips_per_hour` bound its length.
    fn active_active_limits(
        &mut self,
        min_in_service: u32,
        failback: &FailbackPolicy,
        regions: &[(usize, RegionConfig)],
    ) {
        let count = self.region_count;
        if min_in_service as usize >= count {
            self.error(
                &Key::Top("min_in_service"),
                format!(
                    "is {min_in_service}, and with {count} regions no region could ever be evacuated"
                ),
                format!("set it to at most {}", count - 1),
            );
        }
        if failback.max_flips_per_hour < 2 {
            self.error(
                &Key::Top("failback.max_flips_per_hour"),
                format!(
                    "is {}, and with active-active routing a region's return to service keeps room for the evacuation that may follow it, so no region could ever return by itself",
                    failback.max_flips_per_hour
                ),
                "set it to at least 2",
            );
        }
        let names: Vec<&str> = regions.iter().map(|(_, r)| r.name.as_str()).collect();
        let longest = crate::state::longest_service_state(&names, failback.max_flips_per_hour);
        if longest > crate::state::MAX_HELD_STATE_TEXT {
            self.error(
                &Key::Top("failback.max_flips_per_hour"),
                format!(
                    "is {}, and with {count} regions in active-active routing the state \
                     could need {longest} characters; its holder alarm's description takes \
                     at most {}",
                    failback.max_flips_per_hour,
                    crate::state::MAX_HELD_STATE_TEXT
                ),
                "lower it (each region keeps its flips of the last hour), or list fewer regions",
            );
        }
    }

    /// A hosted zone id as written (`/hostedzone/` prefix and all), checked.
    fn zone_id(&mut self, key: Key, raw: &str) -> Option<String> {
        let id = names::normalise_zone_id(raw);
        if names::is_zone_id(&id) {
            Some(id)
        } else {
            self.error(
                &key,
                format!("is {raw:?}, not a Route 53 hosted zone id"),
                "use an id like Z0123456789ABCDEFGHIJ (aws route53 list-hosted-zones)",
            );
            None
        }
    }

    /// The `[[records]]` table `i`, with a target (and for `A`, an alias zone) for every
    /// region of `regions`; `zone` and `ttl` are the top-level defaults.
    fn record(
        &mut self,
        i: usize,
        zone: Option<&str>,
        ttl: u32,
        regions: &[String],
        every_region_valid: bool,
    ) -> Option<RecordConfig> {
        let name = self
            .required_string(
                Key::Record(i, "name"),
                "set it to a name clients resolve, like api.example.com",
            )
            .and_then(|raw| self.dns_name(Key::Record(i, "name"), &raw, false));
        let hosted_zone_id = match self.string(Key::Record(i, "hosted_zone_id")) {
            Some(raw) if !raw.is_empty() => self.zone_id(Key::Record(i, "hosted_zone_id"), &raw),
            _ => match zone {
                Some(zone) => Some(zone.to_string()),
                None => {
                    self.error(
                        &Key::Record(i, "hosted_zone_id"),
                        "is missing, and no top-level hosted_zone_id gives a default",
                        "set it to the id of the hosted zone that holds this record, or set hosted_zone_id at the top for every record",
                    );
                    None
                }
            },
        };
        let record_type = self.choice(
            Key::Record(i, "type"),
            RecordType::Cname,
            &[("CNAME", RecordType::Cname), ("A", RecordType::A)],
        );
        let ttl = self.integer(Key::Record(i, "ttl"), i64::from(ttl), TTL_RANGE, "seconds") as u32;
        let type_key = self.display(&Key::Record(i, "type"));
        let mut targets = Vec::new();
        let mut complete = true;
        let mut seen = BTreeSet::new();
        for region in regions {
            let key = Key::RecordMap(i, "targets", region.clone());
            let target = self
                .required_string(
                    key.clone(),
                    &format!("set it to the DNS name that serves this record in {region}"),
                )
                .and_then(|t| self.dns_name(key.clone(), &t, false));
            if let Some(target) = &target
                && !seen.insert(target.clone())
            {
                self.error(
                    &key,
                    format!("repeats target {target} of another region"),
                    "give each region its own target for this record",
                );
            }
            let alias_key = Key::RecordMap(i, "alias_hosted_zone_ids", region.clone());
            let alias = self.string(alias_key.clone());
            let alias_hosted_zone_id = match (record_type, alias) {
                (RecordType::A, None) => {
                    self.error(
                        &alias_key,
                        format!("is missing, and {type_key} is A (alias)"),
                        "set it to the hosted zone id of the alias target (for a regional API Gateway domain, its regionalHostedZoneId)",
                    );
                    complete = false;
                    None
                }
                (RecordType::A, Some(raw)) => {
                    let id = self.zone_id(alias_key, &raw);
                    complete &= id.is_some();
                    id
                }
                (RecordType::Cname, Some(_)) => {
                    self.error(
                        &alias_key,
                        format!("is set, but {type_key} is CNAME"),
                        format!("remove it, or set {type_key} = \"A\" for alias records"),
                    );
                    None
                }
                (RecordType::Cname, None) => None,
            };
            match target {
                Some(target) => targets.push(RecordTarget {
                    region: region.clone(),
                    target,
                    alias_hosted_zone_id,
                }),
                None => complete = false,
            }
        }
        // Entries for regions that are not configured would be silently ignored.
        let stray: Vec<Key> = self
            .values
            .keys()
            .filter(|k| matches!(k, Key::RecordMap(j, _, r) if *j == i && !regions.contains(r)))
            .cloned()
            .collect();
        for key in stray {
            self.values.remove(&key);
            if every_region_valid {
                self.error(
                    &key,
                    "names a region that is not configured",
                    "list that region under [[regions]], or remove the entry",
                );
            }
        }
        match (name, hosted_zone_id, complete) {
            (Some(name), Some(hosted_zone_id), true) => Some(RecordConfig {
                hosted_zone_id,
                name,
                record_type,
                ttl,
                targets,
            }),
            _ => None,
        }
    }

    fn dns_name(&mut self, key: Key, raw: &str, allow_wildcard: bool) -> Option<String> {
        match names::normalise_dns_name(raw, allow_wildcard) {
            Ok(name) => Some(name),
            Err(why) => {
                self.error(
                    &key,
                    format!("is {raw:?}: {why}"),
                    "use a domain name like api.example.com",
                );
                None
            }
        }
    }

    /// A region; with `[[records]]` tables its target lives in each record's `targets`
    /// (it is filled in from the first record's), so `target` and `alias_hosted_zone_id`
    /// must not be set here.
    fn region(
        &mut self,
        i: usize,
        record_type: RecordType,
        tables: bool,
        routing: Routing,
    ) -> Option<RegionConfig> {
        let name = self
            .required_string(
                Key::Region(i, "name"),
                "set it to the AWS region name, like us-east-1",
            )
            .and_then(|name| {
                if names::is_region_name(&name) {
                    Some(name)
                } else {
                    self.error(
                        &Key::Region(i, "name"),
                        format!("is {name:?}, not an AWS region name"),
                        "use a region name like us-east-1 or eu-west-2",
                    );
                    None
                }
            });
        if tables {
            for (key, fix) in [
                ("target", "move it into each [[records]] table's targets"),
                (
                    "alias_hosted_zone_id",
                    "move it into each [[records]] table's alias_hosted_zone_ids",
                ),
            ] {
                if self.take(&Key::Region(i, key)).is_some() {
                    self.error(
                        &Key::Region(i, key),
                        "is set beside [[records]] tables",
                        fix,
                    );
                }
            }
        }
        let target = if tables {
            Some(String::new())
        } else {
            self.required_string(
                Key::Region(i, "target"),
                "set it to the DNS name that serves the API in this region",
            )
            .and_then(|t| self.dns_name(Key::Region(i, "target"), &t, false))
        };
        let alias = if tables {
            None
        } else {
            self.string(Key::Region(i, "alias_hosted_zone_id"))
        };
        let alias_hosted_zone_id = match (record_type, alias) {
            (RecordType::A, None) if tables => None,
            (RecordType::A, None) => {
                self.error(
                    &Key::Region(i, "alias_hosted_zone_id"),
                    "is missing, and record_type is A (alias)",
                    "set it to the hosted zone id of the alias target (for a regional API Gateway domain, its regionalHostedZoneId)",
                );
                None
            }
            (RecordType::A, Some(zone)) => {
                let id = names::normalise_zone_id(&zone);
                if names::is_zone_id(&id) {
                    Some(id)
                } else {
                    self.error(
                        &Key::Region(i, "alias_hosted_zone_id"),
                        format!("is {zone:?}, not a hosted zone id"),
                        "use an id like Z1UJRXOUMOOFQ8",
                    );
                    None
                }
            }
            (RecordType::Cname, Some(_)) => {
                self.error(
                    &Key::Region(i, "alias_hosted_zone_id"),
                    "is set, but record_type is CNAME",
                    "remove it, or set record_type = \"A\" for alias records",
                );
                None
            }
            (RecordType::Cname, None) => None,
        };
        let health_check_id = self
            .string(Key::Region(i, "health_check_id"))
            .filter(|s| !s.is_empty());
        if let Some(id) = &health_check_id
            && !names::is_health_check_id(id)
        {
            let problem = format!("is {id:?}, not a Route 53 health check id");
            self.error(
                &Key::Region(i, "health_check_id"),
                problem,
                "use the id Route 53 gave the check, like 2d5b6f0c-1234-4c3b-9d41-0a1b2c3d4e5f",
            );
        }
        let health_url = self.health_url(i);
        let health_search = self.health_search(i);
        let alarms = self.alarm_list(Key::Region(i, "alarms"));
        let guards = self.alarm_list(Key::Region(i, "guards"));
        // One DescribeAlarms a pass reads a region's alarms, guards and (gate mode) state
        // holder, and AWS takes at most 100 names per call: more would leave the region
        // unreadable on every pass.
        if alarms.len() + guards.len() > MAX_ALARMS_PER_REGION {
            self.error(
                &Key::Region(i, "alarms"),
                format!(
                    "lists {} alarms and guards together; one DescribeAlarms reads at most 100 names, one of them regionflip's state holder",
                    alarms.len() + guards.len()
                ),
                format!(
                    "list at most {MAX_ALARMS_PER_REGION} alarms and guards in a region (a composite alarm can combine several)"
                ),
            );
        }
        if alarms.is_empty() && health_check_id.is_none() {
            self.error(
                &Key::Region(i, "alarms"),
                "is empty and there is no health_check_id, so this region's health could never be known",
                "list at least one alarm, or set health_check_id",
            );
        }
        let weight = self.integer(Key::Region(i, "weight"), 1, WEIGHT_RANGE, "parts") as u32;
        // 1, the default, is every region's equal share; another value would be
        // silently ignored without weighted routing.
        if weight != 1 && routing != Routing::Weighted {
            self.error(
                &Key::Region(i, "weight"),
                format!("is {weight}, but routing is {:?}", routing.as_str()),
                "remove it, or set routing = \"weighted\"",
            );
        }
        Some(RegionConfig {
            name: name?,
            target: target?,
            alias_hosted_zone_id,
            health_check_id,
            health_url,
            health_search,
            alarms,
            guards,
            weight,
        })
    }

    /// `regions[].health_url`: an `https://` URL with a host, or `http://` on a loopback
    /// host (a local run: the drill, tests). Route 53 checkers and the probe do not
    /// validate certificates, so https here is about not sending the probe in clear
    /// across networks, and about probing what Route 53 probes.
    fn health_url(&mut self, i: usize) -> Option<String> {
        let key = Key::Region(i, "health_url");
        let url = self.string(key.clone()).filter(|s| !s.is_empty())?;
        let (scheme, rest) = match url.split_once("://") {
            Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
            None => {
                self.error(
                    &key,
                    format!("is {url:?}, not a URL"),
                    "write the whole URL, like https://abc123.execute-api.us-east-1.amazonaws.com/prod/health",
                );
                return None;
            }
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host = url_host(authority);
        // An address that is loopback, or the name `localhost`: a name that merely starts
        // with "127." (127.0.0.1.example.com) resolves anywhere.
        let loopback = host.eq_ignore_ascii_case("localhost")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        let problem = match scheme.as_str() {
            _ if host.is_empty() => Some((
                format!("is {url:?}, which names no host"),
                "write the URL with its host name",
            )),
            "https" => None,
            "http" if loopback => None,
            "http" => Some((
                format!("is {url:?}, plain http to a host that is not loopback"),
                "use https:// (http:// is for local runs on 127.0.0.1 or localhost)",
            )),
            _ => Some((
                format!("is {url:?}, neither https nor http"),
                "use an https:// URL",
            )),
        };
        match problem {
            Some((problem, fix)) => {
                self.error(&key, problem, fix);
                None
            }
            None => Some(url),
        }
    }

    /// `regions[].health_search`: what Route 53 accepts as a search string.
    fn health_search(&mut self, i: usize) -> String {
        let key = Key::Region(i, "health_search");
        let Some(search) = self.string(key.clone()) else {
            return DEFAULT_HEALTH_SEARCH.to_string();
        };
        let chars = search.chars().count();
        if chars == 0 || chars > 255 {
            self.error(
                &key,
                format!("has {chars} characters; Route 53 accepts 1 to 255"),
                "use the match string the region's health endpoint serves (REGIONFLIP_HEALTH_MATCH, default regionflip-healthy)",
            );
            return DEFAULT_HEALTH_SEARCH.to_string();
        }
        search
    }

    fn alarm_list(&mut self, key: Key) -> Vec<String> {
        let items = self.list(key.clone());
        let mut seen = BTreeSet::new();
        for item in &items {
            if item.contains(',') {
                // The environment form separates alarms with commas.
                self.error(
                    &key,
                    format!("has {item:?}, with a comma"),
                    "rename the alarm without commas; regionflip lists alarms comma-separated in the watcher's environment",
                );
            } else if item.is_empty() || item.len() > 255 {
                self.error(
                    &key,
                    format!("has {item:?}, not a CloudWatch alarm name"),
                    "use alarm names of 1 to 255 characters",
                );
            } else if !seen.insert(item) {
                self.error(
                    &key,
                    format!("lists {item:?} twice"),
                    "list each alarm once",
                );
            }
        }
        items
    }
}

/// The host of a URL's authority (`user@host:port`, `[::1]:8080`), without brackets.
fn url_host(authority: &str) -> &str {
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    if let Some(bracketed) = authority.strip_prefix('[') {
        return bracketed.split(']').next().unwrap_or_default();
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => authority,
    }
}

/// Variables of the health endpoint and the CLI, which share the prefix but are not part
/// of this schema.
const OTHER_COMPONENT_VARS: &[&str] = &["HEALTH_", "SERVICE_NAME", "CONFIG"];

fn env_name(key: &str) -> String {
    format!("{ENV_PREFIX}{}", key.replace('.', "_").to_uppercase())
}

/// `RECORD_2_NAME` → (2, `records[2].name`); `RECORD_2_TARGET_US_EAST_1` → (2,
/// `records[2].targets.us-east-1`). Region names are lower case letters, digits and
/// dashes, so the environment's upper case and underscores map back to one name.
fn parse_record_var(rest: &str) -> Option<(usize, Key)> {
    let rest = rest.strip_prefix("RECORD_")?;
    let (index, sub) = rest.split_once('_')?;
    let index: usize = index.parse().ok()?;
    if !(1..=MAX_RECORDS).contains(&index) {
        return None;
    }
    for (map, entry) in RECORD_MAP_KEYS {
        if let Some(region) = sub.strip_prefix(entry).and_then(|r| r.strip_prefix('_'))
            && !region.is_empty()
        {
            let key = RECORD_KEYS.iter().find(|k| *k == map)?;
            return Some((
                index,
                Key::RecordMap(index - 1, key, region.to_lowercase().replace('_', "-")),
            ));
        }
    }
    let key = RECORD_KEYS
        .iter()
        .filter(|k| !RECORD_MAP_KEYS.iter().any(|(m, _)| m == *k))
        .find(|k| k.to_uppercase() == sub)?;
    Some((index, Key::Record(index - 1, key)))
}

/// `REGION_2_TARGET` → (2, "TARGET").
fn parse_region_var(rest: &str) -> Option<(usize, &str)> {
    let rest = rest.strip_prefix("REGION_")?;
    let (index, sub) = rest.split_once('_')?;
    let index: usize = index.parse().ok()?;
    (1..=MAX_REGIONS).contains(&index).then_some((index, sub))
}

fn from_toml(value: &toml::Value) -> RawValue {
    match value {
        toml::Value::String(s) => RawValue::Str(s.clone()),
        toml::Value::Integer(i) => RawValue::Int(*i),
        toml::Value::Boolean(b) => RawValue::Bool(*b),
        toml::Value::Array(items) => {
            let strings: Option<Vec<String>> = items
                .iter()
                .map(|v| v.as_str().map(|s| s.trim().to_string()))
                .collect();
            strings.map_or(
                RawValue::Other("a list with non-string items"),
                RawValue::List,
            )
        }
        toml::Value::Float(_) => RawValue::Other("a decimal number"),
        toml::Value::Datetime(_) => RawValue::Other("a date"),
        toml::Value::Table(_) => RawValue::Other("a table"),
    }
}

fn type_name(value: &RawValue) -> String {
    match value {
        RawValue::Str(s) => format!("the string {s:?}"),
        RawValue::Int(i) => format!("the number {i}"),
        RawValue::Bool(b) => format!("the boolean {b}"),
        RawValue::List(_) => "a list".into(),
        RawValue::Other(what) => (*what).into(),
    }
}
