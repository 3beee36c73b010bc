//! Observations: what the watcher read from AWS on this pass, in the core's own terms.
//!
//! Adapters fill these from CloudWatch and Route 53; tests and the drill build them by
//! hand. Nothing here trusts the event that woke the watcher: every field is a reading of
//! real state, and a reading that failed is recorded as [`SignalStatus::Unknown`] with
//! the reason, never guessed.
//!
//! ## The evidence table
//!
//! `assess` turns one region's readings into its [`RegionHealth`]: two verdicts, each
//! naming the [`EvidenceRow`] below that gave it. The sources:
//!
//! | source | states |
//! |---|---|
//! | alarms (each configured alarm) | OK · ALARM · NO_DATA (INSUFFICIENT_DATA) · unreadable (the region's CloudWatch cannot be read, the alarm does not exist, not reported) |
//! | HCS: Route 53's `HealthCheckStatus` (when `health_check_id` is set) | fresh healthy · fresh unhealthy · stale · missing (a new check: no datapoints) · unreadable (us-east-1 impaired). Stale, missing and unreadable are one state, *unknown*; the text says which |
//! | probe: the watcher's own probe of `health_url` | healthy · failing · timed out · not reported · not configured |
//!
//! NO_DATA depends on the region's role. In the region that serves traffic it is unknown.
//! In a region serving no traffic — a passive standby, whose request metrics publish
//! nothing — it is **idle** with `failover.no_data_on_standby = "idle"` (the default): it
//! vouches neither for nor against the region, and the evidence says so; with
//! `"unknown"` it is unknown.
//!
//! ### As a target: may traffic move onto this region? (`RegionHealth::health`)
//!
//! Only on positive evidence that the region is healthy *now* (fresh HCS healthy, or a
//! passing probe), and never while any source says it is not. The first row that matches
//! decides:
//!
//! | row | alarms | HCS | probe | verdict | healthy since |
//! |---|---|---|---|---|---|
//! | alarm in ALARM | any in ALARM | any | any | Unhealthy | — |
//! | check unhealthy | any | fresh unhealthy | any | Unhealthy | — |
//! | probe fails | any | any | failing / timed out | Unhealthy | — |
//! | alarms unreadable | any unreadable, or the region's CloudWatch | any | any | Unknown | — |
//! | no data, unknown | any NO_DATA counted unknown | any | any | Unknown | — |
//! | check healthy | OK / idle / none | fresh healthy | healthy / not reported / not configured | Healthy | latest of HCS's and the OK alarms' since |
//! | probe healthy only | OK / idle / none | unknown / not configured | healthy | Healthy | unknown: a probe has no history |
//! | no endpoint evidence | OK / idle / none | unknown / not configured | not reported / not configured (not both unconfigured) | Unknown | — |
//! | alarms OK, no endpoint source | all OK | not configured | not configured | Healthy | latest of the alarms' since |
//! | nothing vouches | some idle, or none configured | not configured | not configured | Unknown | — |
//!
//! The last two rows are the rule from before the evidence table: a configuration with
//! no endpoint source at all has only its alarms to go by. Idle alarms give no "since"
//! (they carry no evidence), so a standby vouched for by HCS alone is healthy since HCS
//! says; one vouched for by a probe alone has no known start, and failback (which needs
//! `stable_for_secs` of known health) waits for history.
//!
//! ### As the active region: must traffic leave it? (`RegionHealth::as_active`)
//!
//! Assessed as if the region served traffic: NO_DATA is unknown here, always. The first
//! row that matches decides:
//!
//! | row | alarms | HCS | probe | CloudWatch | verdict |
//! |---|---|---|---|---|---|
//! | alarm in ALARM | any in ALARM | any | any | readable | Unhealthy: leave, even with HCS unreadable |
//! | check unhealthy | any | fresh unhealthy | any | any | Unhealthy: leave |
//! | unreachable but check healthy | (unreadable) | fresh healthy | failing / timed out | unreadable | Unknown: suspect |
//! | unreachable | (unreadable) | unknown / not configured | failing / timed out | unreadable | Unhealthy: leave |
//! | probe fails alone | not in ALARM | not unhealthy | failing / timed out | readable | Unknown: suspect |
//! | every other row | as the target table, NO_DATA unknown | | | | Healthy or Unknown |
//!
//! A failing probe alone never makes the active region leave: the watcher's own network
//! may be what fails, and Route 53's checks still fail over in the data plane. Only when
//! the region's CloudWatch cannot be read at all *and* its endpoint fails the probe is
//! the region unreachable from here — evidence enough, unless Route 53's own fresh
//! verdict says the endpoint answers. CloudWatch unreadable with the endpoint answering
//! (probe healthy, or no probe) is unknown: never a failover by itself. So the verdict as
//! the active region is never harsher than the one as a target: `Unhealthy` as active
//! implies `Unhealthy` as a target, and for the region that is active, `Healthy` as
//! active is `Healthy` as a target (`the_guarantees_of_the_table_hold_for_every_combination`).

use crate::config::{Config, NoDataOnStandby, RegionConfig};
use crate::health::{EvidenceRow, RegionHealth, Verdict};
use crate::records::{RecordSet, state_of_record, unquote_txt};
use crate::state::{EngineState, Legible};

/// Everything one pass observed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observations {
    /// One entry per configured region (matched by name; a missing one counts as unknown).
    pub regions: Vec<RegionObservation>,
    /// The routing as read from DNS or from the gates.
    pub routing: RoutingObservation,
    /// The persisted engine state as read.
    pub state: StateObservation,
}

/// Readings for one region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionObservation {
    /// Region name.
    pub region: String,
    /// The region's configured alarms, as read.
    pub alarms: Vec<SignalReading>,
    /// The region's data guards, as read.
    pub guards: Vec<SignalReading>,
    /// Route 53's verdict on the region's health endpoint (`AWS/Route53
    /// HealthCheckStatus`), when a check is configured.
    pub endpoint: Option<SignalReading>,
    /// The watcher's own probe of the region's health endpoint, when `health_url` is
    /// configured.
    pub probe: Option<ProbeReading>,
    /// Set when the region's CloudWatch could not be read at all (`DescribeAlarms`
    /// failed), with why: every alarm and guard of the region is then unknown.
    pub cloudwatch_unreadable: Option<String>,
}

/// The watcher's probe of a health endpoint, with Route 53's rules (regionflip-probe).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeReading {
    /// The URL probed.
    pub url: String,
    /// What the probe found.
    pub outcome: ProbeOutcome,
}

/// What one probe of a health endpoint found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeOutcome {
    /// 2xx or 3xx in time, with the search string in the body's first 5,120 bytes.
    Healthy,
    /// It answered, or refused, wrongly: the text says how.
    Failing(String),
    /// No answer within Route 53's limits (4 s to connect, 2 s to answer).
    TimedOut(String),
}

/// One alarm or health check, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignalReading {
    /// Alarm name, or the health check id.
    pub name: String,
    /// Its state.
    pub status: SignalStatus,
    /// Since when it has been in this state (Unix seconds), when the source says.
    pub since: Option<u64>,
}

/// The state of one signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignalStatus {
    /// Alarm OK, or health check healthy.
    Ok,
    /// Alarm in ALARM, or health check unhealthy.
    Failing,
    /// Alarm in INSUFFICIENT_DATA: its metric had no data (for a request metric, no
    /// traffic).
    NoData,
    /// Unreadable or absent; the text says which.
    Unknown(String),
}

/// How traffic is routed now, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoutingObservation {
    /// `records` mode: the failover records found under the record name.
    Records(Vec<RecordSet>),
    /// `health-gate` mode: routing is what the gates say; the gates are republished from
    /// the engine state on every pass, so there is nothing separate to read.
    Gates,
    /// The routing could not be read; the text says why.
    Unreadable(String),
}

/// The persisted state, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateObservation {
    /// No state exists (regionflip not initialised).
    Missing,
    /// State that parsed.
    Valid {
        /// The state.
        state: EngineState,
        /// In `records` mode, the state record exactly as stored: a compare-and-swap
        /// deletes this very record.
        record: Option<RecordSet>,
    },
    /// State that did not parse: written by a newer regionflip (an unknown version, during
    /// a rolling deploy) or edited by hand. Whether automation is paused cannot be known
    /// from it, so the engine never routes on it, never rewrites it automatically, and
    /// stops automation until an operator command replaces it (engine rule 1).
    Corrupt {
        /// Why it did not parse.
        error: String,
        /// In `records` mode, the record exactly as stored.
        record: Option<RecordSet>,
        /// What can still be read from it (for an operator command's fresh state only).
        legible: Legible,
    },
    /// The state could not be read at all.
    Unreadable(String),
}

impl StateObservation {
    /// Reads the state out of the TXT state record (`records` mode).
    pub fn from_state_record(record: RecordSet) -> StateObservation {
        match state_of_record(&record) {
            Ok(state) => StateObservation::Valid {
                state,
                record: Some(record),
            },
            Err(error) => StateObservation::Corrupt {
                error,
                legible: Legible::of(&record_text(&record)),
                record: Some(record),
            },
        }
    }

    /// Reads the state from its one-line text form (stores other than a TXT record).
    pub fn from_text(text: &str) -> StateObservation {
        match EngineState::decode(text) {
            Ok(state) => StateObservation::Valid {
                state,
                record: None,
            },
            Err(error) => StateObservation::Corrupt {
                error: error.to_string(),
                record: None,
                legible: Legible::of(text),
            },
        }
    }

    /// Reads the state from its copies (`health-gate` mode keeps one in every region):
    /// `(region, copy)` with the copy's text, `Ok(None)` when the region holds none, or
    /// why it could not be read. Returns the state and the regions whose copy is behind
    /// it (to be rewritten with it). The rule, the same whatever order the copies come
    /// in:
    ///
    /// * the **newest valid copy** wins: the highest sequence; among copies of that
    ///   sequence (two writers that read the same state — the watchers of different
    ///   regions tick up to a minute apart, and an alarm event skips the duty rule), the
    ///   one an operator paused, then the one holding an operator's failback hold, then
    ///   the greatest state text — a total order, so every reader picks the same copy;
    /// * a copy that does not parse wins over every valid one unless it is known older
    ///   (its legible sequence below the newest valid one): it may be a newer version's
    ///   state, or an operator's, whose pause must not be lost — the state is then
    ///   [`Corrupt`](StateObservation::Corrupt), with the highest sequence seen in any
    ///   copy and the region the highest-sequenced copy names as what is legible;
    /// * behind: a copy missing, older, known-older garbage, or of the winning sequence
    ///   but different; never one whose region could not be read;
    /// * no copy at all: `Missing`, or `Unreadable` when no region could be read.
    pub fn from_copies(
        copies: &[(String, Result<Option<String>, String>)],
    ) -> (StateObservation, Vec<String>) {
        let mut valid: Vec<(&str, EngineState)> = Vec::new();
        let mut corrupt: Vec<(&str, String, Legible)> = Vec::new();
        let mut unreadable: Vec<&str> = Vec::new();
        for (region, copy) in copies {
            match copy {
                Ok(Some(text)) => match EngineState::decode(text) {
                    Ok(state) => valid.push((region, state)),
                    Err(error) => corrupt.push((region, error.to_string(), Legible::of(text))),
                },
                Ok(None) => {}
                Err(why) => unreadable.push(why),
            }
        }
        let newest = valid
            .iter()
            .map(|(_, state)| state)
            .max_by_key(|state| copy_key(state))
            .cloned();
        let unsafe_corrupt: Vec<&(&str, String, Legible)> = corrupt
            .iter()
            .filter(|(_, _, legible)| match (&newest, legible.sequence) {
                (Some(newest), Some(sequence)) => sequence >= newest.sequence,
                _ => true,
            })
            .collect();
        if !unsafe_corrupt.is_empty() {
            // In region order, so the text is the same whatever order the copies came in.
            let mut errors: Vec<String> = unsafe_corrupt
                .iter()
                .map(|(region, error, _)| format!("the copy in {region}: {error}"))
                .collect();
            errors.sort();
            let error = errors.join("; ");
            // Every sequence seen, valid or legible, so a fresh state goes above them all;
            // the region named by the highest-sequenced copy that names one (the greatest
            // name among equals, again for an order-free result).
            let seen: Vec<(Option<u64>, Option<String>)> = valid
                .iter()
                .map(|(_, s)| (Some(s.sequence), Some(s.active.clone())))
                .chain(
                    corrupt
                        .iter()
                        .map(|(_, _, l)| (l.sequence, l.active.clone())),
                )
                .collect();
            let legible = Legible {
                sequence: seen.iter().filter_map(|(s, _)| *s).max(),
                active: seen
                    .iter()
                    .filter(|(_, a)| a.is_some())
                    .max()
                    .and_then(|(_, a)| a.clone()),
            };
            return (
                StateObservation::Corrupt {
                    error,
                    record: None,
                    legible,
                },
                Vec::new(),
            );
        }
        let Some(newest) = newest else {
            let state = if !copies.is_empty() && unreadable.len() == copies.len() {
                StateObservation::Unreadable(unreadable.join("; "))
            } else {
                StateObservation::Missing
            };
            return (state, Vec::new());
        };
        let behind = copies
            .iter()
            .filter(|(region, copy)| match copy {
                Ok(_) => !valid.iter().any(|(r, s)| r == region && *s == newest),
                Err(_) => false,
            })
            .map(|(region, _)| region.clone())
            .collect();
        (
            StateObservation::Valid {
                state: newest,
                record: None,
            },
            behind,
        )
    }

    /// The stored record, for a compare-and-swap, when there is one.
    pub fn record(&self) -> Option<&RecordSet> {
        match self {
            StateObservation::Valid { record, .. } | StateObservation::Corrupt { record, .. } => {
                record.as_ref()
            }
            StateObservation::Missing | StateObservation::Unreadable(_) => None,
        }
    }
}

/// The order of state copies: of two states, the one with the greater key wins — in
/// [`StateObservation::from_copies`], and among journal records of one sequence (the
/// watcher writes it into every transition record, so readers keep the record whose
/// state won, the dashboard with `sort journal_key desc | dedup record, sequence`).
///
/// The newest sequence, then an operator's pause, then a failback hold, then the greater
/// state text: a total order, so the outcome never depends on the order copies or
/// records are read in. A text, so that a log query sorts by it alike: `s`, the sequence
/// zero-padded to the 20 digits of `u64::MAX`, the pause and hold as `0`/`1`, the text.
/// It starts with a letter because Logs Insights' `sort` is a natural sort that puts
/// values made only of digits after all text; its numbers are fixed-width (the sequence,
/// the flags, the times), so that natural order and plain text order agree on it.
pub fn copy_key(state: &EngineState) -> String {
    format!(
        "s{:020} {}{} {}",
        state.sequence,
        u8::from(state.paused),
        u8::from(state.hold_failback),
        state.encode()
    )
}

/// The text of a state record's values, unquoted when they can be (else as stored), for
/// what is [`Legible`] in it.
fn record_text(record: &RecordSet) -> String {
    record
        .values
        .iter()
        .map(|v| unquote_txt(v).map_or_else(|_| v.clone(), |strings| strings.concat()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a region serves traffic: what an alarm without data means depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// The region traffic is routed to.
    Active,
    /// A region serving no traffic: every region but the active one, and every region
    /// when which one is active is not known (see [`assess_serving`]).
    Standby,
}

/// A region's alarms summed up for the tables: the worst state any of them is in
/// (variants in rising order of weight).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Alarms {
    /// No alarm is configured.
    None,
    /// Every alarm is OK.
    Ok,
    /// Every alarm is OK or idle, and at least one is idle.
    Idle,
    /// An alarm has no data, and that counts as unknown here.
    NoData,
    /// An alarm is unreadable (or the region's CloudWatch is).
    Unreadable,
    /// An alarm is in ALARM.
    Alarm,
}

/// Route 53's `HealthCheckStatus` for the tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    /// No `health_check_id`.
    NotConfigured,
    /// Fresh and healthy, since when the source says.
    Healthy { since: Option<u64> },
    /// Fresh and unhealthy.
    Unhealthy,
    /// Stale, missing or unreadable (or not reported).
    Unknown,
}

/// The watcher's probe for the tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe {
    /// No `health_url`, and no probe reported.
    NotConfigured,
    /// A `health_url` is configured, but no probe was reported on this pass.
    NotReported,
    /// The probe passed.
    Healthy,
    /// The probe failed or timed out.
    Fails,
}

/// The target table (module docs): the row that decides whether traffic may move onto
/// a region. The arms are the table's rows, in order.
fn target_row(alarms: Alarms, check: Check, probe: Probe) -> EvidenceRow {
    match (alarms, check, probe) {
        (Alarms::Alarm, _, _) => EvidenceRow::AlarmInAlarm,
        (_, Check::Unhealthy, _) => EvidenceRow::CheckUnhealthy,
        (_, _, Probe::Fails) => EvidenceRow::ProbeFails,
        (Alarms::Unreadable, _, _) => EvidenceRow::AlarmsUnreadable,
        (Alarms::NoData, _, _) => EvidenceRow::NoDataUnknown,
        (_, Check::Healthy { .. }, _) => EvidenceRow::CheckHealthy,
        (_, _, Probe::Healthy) => EvidenceRow::ProbeHealthyOnly,
        (Alarms::Ok, Check::NotConfigured, Probe::NotConfigured) => {
            EvidenceRow::AlarmsOkNoEndpointSource
        }
        (_, Check::NotConfigured, Probe::NotConfigured) => EvidenceRow::NothingVouches,
        (_, Check::NotConfigured | Check::Unknown, Probe::NotConfigured | Probe::NotReported) => {
            EvidenceRow::NoEndpointEvidence
        }
    }
}

/// The active table (module docs): the row that decides whether traffic must leave a
/// region. `alarms` is summed up as for the region that serves traffic.
fn active_row(
    alarms: Alarms,
    check: Check,
    probe: Probe,
    cloudwatch_unreadable: bool,
) -> EvidenceRow {
    match (alarms, check, probe, cloudwatch_unreadable) {
        (Alarms::Alarm, ..) => EvidenceRow::AlarmInAlarm,
        (_, Check::Unhealthy, ..) => EvidenceRow::CheckUnhealthy,
        (_, Check::Healthy { .. }, Probe::Fails, true) => EvidenceRow::UnreachableButCheckHealthy,
        (_, _, Probe::Fails, true) => EvidenceRow::Unreachable,
        (_, _, Probe::Fails, false) => EvidenceRow::ProbeFailsAlone,
        _ => target_row(alarms, check, probe),
    }
}

/// What one alarm reading means in a role.
#[derive(Debug, Clone, PartialEq, Eq)]
enum AlarmMeaning {
    Ok(Option<u64>),
    Alarm,
    /// No data, counted unknown; the text says why it is not idle.
    NoData(&'static str),
    Idle,
    Unreadable(String),
}

impl AlarmMeaning {
    fn weight(&self) -> Alarms {
        match self {
            AlarmMeaning::Ok(_) => Alarms::Ok,
            AlarmMeaning::Alarm => Alarms::Alarm,
            AlarmMeaning::NoData(_) => Alarms::NoData,
            AlarmMeaning::Idle => Alarms::Idle,
            AlarmMeaning::Unreadable(_) => Alarms::Unreadable,
        }
    }
}

/// One region's readings, gathered once for both tables.
struct Readings<'a> {
    region: &'a RegionConfig,
    /// Each configured alarm with its reading (unknown when not reported, or when the
    /// region's CloudWatch could not be read at all).
    alarms: Vec<SignalReading>,
    /// Why the region's CloudWatch could not be read, if it could not.
    cloudwatch_unreadable: Option<&'a str>,
    /// `HealthCheckStatus`, when a check is configured.
    check: Option<SignalReading>,
    /// The probe, when reported.
    probe: Option<&'a ProbeReading>,
    no_data_on_standby: NoDataOnStandby,
}

impl<'a> Readings<'a> {
    fn new(
        region: &'a RegionConfig,
        observed: Option<&'a RegionObservation>,
        no_data_on_standby: NoDataOnStandby,
    ) -> Self {
        let cloudwatch_unreadable = observed.and_then(|o| o.cloudwatch_unreadable.as_deref());
        let alarms = region
            .alarms
            .iter()
            .map(|a| signal(observed.map(|o| &o.alarms), a, cloudwatch_unreadable))
            .collect();
        let check = region.health_check_id.as_ref().map(|id| {
            observed
                .and_then(|o| o.endpoint.clone())
                .unwrap_or_else(|| not_reported(id))
        });
        Readings {
            region,
            alarms,
            cloudwatch_unreadable,
            check,
            probe: observed.and_then(|o| o.probe.as_ref()),
            no_data_on_standby,
        }
    }

    fn meaning(&self, reading: &SignalReading, role: Role) -> AlarmMeaning {
        match &reading.status {
            SignalStatus::Ok => AlarmMeaning::Ok(reading.since),
            SignalStatus::Failing => AlarmMeaning::Alarm,
            SignalStatus::Unknown(why) => AlarmMeaning::Unreadable(why.clone()),
            SignalStatus::NoData => match (role, self.no_data_on_standby) {
                (Role::Standby, NoDataOnStandby::Idle) => AlarmMeaning::Idle,
                (Role::Standby, NoDataOnStandby::Unknown) => AlarmMeaning::NoData(
                    "INSUFFICIENT_DATA; failover.no_data_on_standby = \"unknown\"",
                ),
                (Role::Active, _) => AlarmMeaning::NoData("INSUFFICIENT_DATA"),
            },
        }
    }

    fn alarms(&self, role: Role) -> Vec<(&SignalReading, AlarmMeaning)> {
        self.alarms
            .iter()
            .map(|r| (r, self.meaning(r, role)))
            .collect()
    }

    fn check(&self) -> Check {
        match self.check.as_ref().map(|c| &c.status) {
            None => Check::NotConfigured,
            Some(SignalStatus::Ok) => Check::Healthy {
                since: self.check.as_ref().and_then(|c| c.since),
            },
            Some(SignalStatus::Failing) => Check::Unhealthy,
            Some(SignalStatus::NoData | SignalStatus::Unknown(_)) => Check::Unknown,
        }
    }

    fn probe(&self) -> Probe {
        match (self.probe.map(|p| &p.outcome), &self.region.health_url) {
            (Some(ProbeOutcome::Healthy), _) => Probe::Healthy,
            (Some(ProbeOutcome::Failing(_) | ProbeOutcome::TimedOut(_)), _) => Probe::Fails,
            (None, Some(_)) => Probe::NotReported,
            (None, None) => Probe::NotConfigured,
        }
    }

    /// One verdict: the row the table gives for `role`, and the evidence lines.
    fn verdict(&self, role: Role, row_of: impl Fn(Alarms) -> EvidenceRow) -> Verdict {
        let alarms = self.alarms(role);
        // A region whose CloudWatch cannot be read counts as unreadable even with no
        // alarm configured: nothing from its CloudWatch (guards, gate state) is known.
        let unreadable = self
            .cloudwatch_unreadable
            .map_or(Alarms::None, |_| Alarms::Unreadable);
        let summary = alarms
            .iter()
            .map(|(_, m)| m.weight())
            .fold(unreadable, Alarms::max);
        let row = row_of(summary);
        let mut evidence = Vec::new();
        if let Some(why) = self.cloudwatch_unreadable {
            // One line for the region, rather than the same reason once per alarm.
            evidence.push(format!(
                "its CloudWatch cannot be read ({why}): its alarms and guards are unknown"
            ));
        }
        for (reading, meaning) in &alarms {
            let name = &reading.name;
            match meaning {
                AlarmMeaning::Ok(_) => {}
                AlarmMeaning::Alarm => evidence.push(format!("alarm {name} is failing")),
                AlarmMeaning::NoData(why) => {
                    evidence.push(format!("alarm {name} is unknown ({why})"));
                }
                AlarmMeaning::Idle => evidence.push(format!(
                    "alarm {name} has no data (no traffic); counted as idle"
                )),
                AlarmMeaning::Unreadable(_) if self.cloudwatch_unreadable.is_some() => {}
                AlarmMeaning::Unreadable(why) => {
                    evidence.push(format!("alarm {name} is unknown ({why})"));
                }
            }
        }
        if let Some(check) = &self.check {
            let name = &check.name;
            match &check.status {
                SignalStatus::Ok => {}
                SignalStatus::Failing => evidence.push(format!("endpoint check {name} is failing")),
                SignalStatus::NoData => {
                    evidence.push(format!("endpoint check {name} is unknown (no data)"));
                }
                SignalStatus::Unknown(why) => {
                    evidence.push(format!("endpoint check {name} is unknown ({why})"));
                }
            }
        }
        match (self.probe, &self.region.health_url) {
            (Some(probe), _) => match &probe.outcome {
                ProbeOutcome::Healthy => {}
                ProbeOutcome::Failing(why) => evidence.push(format!(
                    "the watcher's probe of {} fails ({why})",
                    probe.url
                )),
                ProbeOutcome::TimedOut(why) => evidence.push(format!(
                    "the watcher's probe of {} timed out ({why})",
                    probe.url
                )),
            },
            (None, Some(url)) => evidence.push(format!("no probe of {url} was reported")),
            (None, None) => {}
        }
        if let Some(note) = self.note(row) {
            evidence.push(note);
        }
        Verdict {
            health: row.health(),
            row,
            evidence,
        }
    }

    /// Why a row applies, where the signal lines alone do not say it.
    fn note(&self, row: EvidenceRow) -> Option<String> {
        let probed = self.probe.map_or("its endpoint", |p| p.url.as_str());
        let note = match row {
            EvidenceRow::ProbeHealthyOnly => format!(
                "healthy now by the watcher's probe of {probed}, which has no history: since when is not known"
            ),
            EvidenceRow::NoEndpointEvidence => "nothing shows its endpoint healthy now: no fresh healthy HealthCheckStatus, no passing probe".to_string(),
            EvidenceRow::NothingVouches => "no endpoint source is configured (health_check_id, health_url), so only its alarms could vouch for it, and not every alarm is OK".to_string(),
            EvidenceRow::Unreachable => "its CloudWatch cannot be read and its endpoint fails the watcher's probe: evidence enough to leave".to_string(),
            EvidenceRow::UnreachableButCheckHealthy => "its CloudWatch cannot be read and its endpoint fails the watcher's probe, but Route 53's fresh HealthCheckStatus says healthy: the watcher's own path is suspect, not a reason to leave".to_string(),
            EvidenceRow::ProbeFailsAlone => "only the watcher's probe fails: the watcher's own network may be what fails, and Route 53's checks still fail over in the data plane; not a reason to leave".to_string(),
            EvidenceRow::AlarmInAlarm
            | EvidenceRow::CheckUnhealthy
            | EvidenceRow::ProbeFails
            | EvidenceRow::AlarmsUnreadable
            | EvidenceRow::NoDataUnknown
            | EvidenceRow::CheckHealthy
            | EvidenceRow::AlarmsOkNoEndpointSource => return None,
        };
        Some(note)
    }

    /// Since when a region healthy as a target by `row` has been healthy. Only sources
    /// with a history count: `HealthCheckStatus` and alarms in OK. A probe is one
    /// observation, and an idle alarm carries no evidence, so neither gives a start; with
    /// the probe as the only positive evidence, the start is not known.
    fn healthy_since(&self, row: EvidenceRow, role: Role) -> Option<u64> {
        let ok_alarms = || {
            self.alarms(role)
                .into_iter()
                .filter_map(|(_, m)| match m {
                    AlarmMeaning::Ok(since) => Some(since),
                    _ => None,
                })
                .collect::<Vec<_>>()
        };
        let latest = |sinces: Vec<Option<u64>>| {
            sinces
                .into_iter()
                .try_fold(0u64, |latest, since| since.map(|s| latest.max(s)))
        };
        match (row, self.check()) {
            (EvidenceRow::CheckHealthy, Check::Healthy { since }) => {
                let mut sinces = ok_alarms();
                sinces.push(since);
                latest(sinces)
            }
            (EvidenceRow::AlarmsOkNoEndpointSource, _) => latest(ok_alarms()),
            _ => None,
        }
    }

    fn idle_alarms(&self, role: Role) -> Vec<String> {
        self.alarms(role)
            .into_iter()
            .filter(|(_, m)| *m == AlarmMeaning::Idle)
            .map(|(r, _)| r.name.clone())
            .collect()
    }
}

/// The reading of signal `name` in `list`; unknown when it is missing, or when the
/// region's CloudWatch could not be read at all (then nothing from it can be trusted).
fn signal(
    list: Option<&Vec<SignalReading>>,
    name: &str,
    cloudwatch_unreadable: Option<&str>,
) -> SignalReading {
    if let Some(why) = cloudwatch_unreadable {
        return SignalReading {
            name: name.to_string(),
            status: SignalStatus::Unknown(why.to_string()),
            since: None,
        };
    }
    list.and_then(|l| l.iter().find(|r| r.name == name))
        .cloned()
        .unwrap_or_else(|| not_reported(name))
}

fn not_reported(name: &str) -> SignalReading {
    SignalReading {
        name: name.to_string(),
        status: SignalStatus::Unknown("not reported".into()),
        since: None,
    }
}

/// Assesses one configured region from its readings (or their absence), in `role`.
pub(crate) fn assess(
    region: &RegionConfig,
    observed: Option<&RegionObservation>,
    role: Role,
    no_data_on_standby: NoDataOnStandby,
) -> RegionHealth {
    let readings = Readings::new(region, observed, no_data_on_standby);
    let (check, probe) = (readings.check(), readings.probe());
    let target = readings.verdict(role, |alarms| target_row(alarms, check, probe));
    let unreadable = readings.cloudwatch_unreadable.is_some();
    // As the active region whichever region is active now, so the verdict does not
    // change when traffic moves onto the region.
    let as_active = readings.verdict(Role::Active, |alarms| {
        active_row(alarms, check, probe, unreadable)
    });

    let blocking_guard = region.guards.iter().find_map(|g| {
        let r = signal(
            observed.map(|o| &o.guards),
            g,
            readings.cloudwatch_unreadable,
        );
        match r.status {
            SignalStatus::Ok => None,
            SignalStatus::Failing => Some(format!("{g} (in ALARM)")),
            SignalStatus::NoData => Some(format!("{g} (unknown: INSUFFICIENT_DATA)")),
            SignalStatus::Unknown(why) => Some(format!("{g} (unknown: {why})")),
        }
    });

    RegionHealth {
        region: region.name.clone(),
        health: target.health,
        row: target.row,
        healthy_since: readings.healthy_since(target.row, role),
        evidence: target.evidence,
        as_active,
        idle_alarms: readings.idle_alarms(role),
        blocking_guard,
    }
}

/// Assesses every configured region, in preference order, knowing which regions serve
/// traffic (`serving`: the active region; with active-active routing every region in
/// service), each judged as an active region, whose alarms have data because it serves;
/// the others as standbys.
///
/// With no serving region known (no valid state, no routing read), every region is
/// assessed as serving no traffic. The one decision taken then is gate mode's restart on
/// the most preferred region healthy as a target (engine rule 1); once that region is
/// active, every other region is a standby as it was assessed, so deciding again changes
/// nothing. (The verdict as the active region does not depend on the role.)
pub(crate) fn assess_serving(
    config: &Config,
    observations: &Observations,
    serving: &[&str],
) -> Vec<RegionHealth> {
    config
        .regions
        .iter()
        .map(|r| {
            let role = if serving.contains(&r.name.as_str()) {
                Role::Active
            } else {
                Role::Standby
            };
            let observed = observations.regions.iter().find(|o| o.region == r.name);
            assess(r, observed, role, config.no_data_on_standby)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    //! The evidence table, row by row: each case names the row it shows, builds one
    //! region's readings from compact words, and checks both verdicts, the row each
    //! names, and "healthy since". Then every combination of source states is checked
    //! for the table's guarantees.

    use super::*;
    use crate::health::Health;

    use EvidenceRow::*;

    const URL: &str = "https://api.us-west-2.example.com/health";
    const CHECK: &str = "00000000-0000-4000-8000-000000000002";

    /// One case. Words: alarms (space-separated, one per alarm `a0`, `a1`…): `ok`,
    /// `ok@T`, `alarm`, `nodata`, `unknown` (unreadable), `gone` (does not exist, not
    /// reported). `hcs`: `none` (not configured), `unreported`, `ok`, `ok@T`, `ok@?`,
    /// `down`, `stale`, `missing`, `unreadable`. `probe`: `none` (no health_url),
    /// `unreported`, `ok`, `fail`, `timeout`.
    struct Case {
        row: &'static str,
        alarms: &'static str,
        hcs: &'static str,
        probe: &'static str,
        cloudwatch_unreadable: bool,
        role: Role,
        no_data: NoDataOnStandby,
        target: EvidenceRow,
        since: Option<u64>,
        as_active: EvidenceRow,
    }

    use NoDataOnStandby::{Idle, Unknown as NoDataUnknownSetting};
    use Role::{Active, Standby};

    #[allow(clippy::too_many_arguments)]
    const fn case(
        row: &'static str,
        alarms: &'static str,
        hcs: &'static str,
        probe: &'static str,
        cloudwatch_unreadable: bool,
        role: Role,
        no_data: NoDataOnStandby,
        target: EvidenceRow,
        since: Option<u64>,
        as_active: EvidenceRow,
    ) -> Case {
        Case {
            row,
            alarms,
            hcs,
            probe,
            cloudwatch_unreadable,
            role,
            no_data,
            target,
            since,
            as_active,
        }
    }

    #[rustfmt::skip]
    const CASES: &[Case] = &[
        //    row of the table                                         alarms          hcs           probe         CW ✗   role     no data  as a target                since      as the active region
        case("alarm in ALARM",                                         "alarm ok",     "ok",         "ok",         false, Standby, Idle,    AlarmInAlarm,              None,      AlarmInAlarm),
        case("alarm in ALARM, HCS unreadable: still leave",            "alarm ok",     "unreadable", "none",       false, Active,  Idle,    AlarmInAlarm,              None,      AlarmInAlarm),
        case("alarm in ALARM outweighs NO_DATA and a passing probe",   "alarm nodata", "stale",      "ok",         false, Active,  Idle,    AlarmInAlarm,              None,      AlarmInAlarm),
        case("check unhealthy",                                        "ok ok",        "down",       "ok",         false, Standby, Idle,    CheckUnhealthy,            None,      CheckUnhealthy),
        case("check unhealthy, CloudWatch unreadable",                 "ok ok",        "down",       "none",       true,  Active,  Idle,    CheckUnhealthy,            None,      CheckUnhealthy),
        case("probe fails: off as a target, suspect as active",        "ok ok",        "ok",         "fail",       false, Standby, Idle,    ProbeFails,                None,      ProbeFailsAlone),
        case("probe fails: timed out, the same",                     "ok ok",        "ok",         "timeout",    false, Active,  Idle,    ProbeFails,                None,      ProbeFailsAlone),
        case("probe fails: timed out on an idle standby, HCS unreadable","nodata nodata","unreadable", "timeout",    false, Standby, Idle,    ProbeFails,                None,      ProbeFailsAlone),
        case("probe fails with HCS stale: suspect, not a leave",       "ok ok",        "stale",      "fail",       false, Active,  Idle,    ProbeFails,                None,      ProbeFailsAlone),
        case("unreachable: CloudWatch unreadable, probe fails",        "ok ok",        "unreadable", "fail",       true,  Active,  Idle,    ProbeFails,                None,      Unreachable),
        case("unreachable: CloudWatch unreadable, probe times out",    "ok ok",        "none",       "timeout",    true,  Active,  Idle,    ProbeFails,                None,      Unreachable),
        case("unreachable: with a new check (no data)",                "ok ok",        "missing",    "fail",       true,  Active,  Idle,    ProbeFails,                None,      Unreachable),
        case("unreachable but check healthy: suspect",                 "ok ok",        "ok",         "fail",       true,  Active,  Idle,    ProbeFails,                None,      UnreachableButCheckHealthy),
        case("alarms unreadable: an alarm unknown",                    "unknown ok",   "ok",         "ok",         false, Standby, Idle,    AlarmsUnreadable,          None,      AlarmsUnreadable),
        case("alarms unreadable: an alarm that does not exist",        "gone ok",      "ok",         "none",       false, Standby, Idle,    AlarmsUnreadable,          None,      AlarmsUnreadable),
        case("alarms unreadable: CloudWatch unreadable, probe healthy","ok ok",        "ok",         "ok",         true,  Active,  Idle,    AlarmsUnreadable,          None,      AlarmsUnreadable),
        case("alarms unreadable: CloudWatch unreadable, no probe",     "ok ok",        "unreadable", "none",       true,  Active,  Idle,    AlarmsUnreadable,          None,      AlarmsUnreadable),
        case("alarms unreadable: CloudWatch unreadable, unreported",   "ok ok",        "ok",         "unreported", true,  Standby, Idle,    AlarmsUnreadable,          None,      AlarmsUnreadable),
        case("no data, unknown: NO_DATA in the active region",         "nodata ok",    "ok",         "ok",         false, Active,  Idle,    NoDataUnknown,             None,      NoDataUnknown),
        case("no data, unknown: on a standby, set to unknown",         "nodata ok",    "ok",         "ok",         false, Standby, NoDataUnknownSetting, NoDataUnknown, None,   NoDataUnknown),
        case("check healthy: since the latest signal",                 "ok@100 ok@200","ok@300",     "none",       false, Active,  Idle,    CheckHealthy,              Some(300), CheckHealthy),
        case("check healthy: an OK alarm later than HCS",              "ok@500 ok",    "ok@300",     "none",       false, Standby, Idle,    CheckHealthy,              Some(500), CheckHealthy),
        case("check healthy: since unknown when HCS does not say",     "ok ok",        "ok@?",       "none",       false, Standby, Idle,    CheckHealthy,              None,      CheckHealthy),
        case("check healthy: idle standby, idle alarms give no since", "nodata nodata","ok@300",     "none",       false, Standby, Idle,    CheckHealthy,              Some(300), NoDataUnknown),
        case("check healthy: one idle, one OK alarm",                  "nodata ok@500","ok@300",     "none",       false, Standby, Idle,    CheckHealthy,              Some(500), NoDataUnknown),
        case("check healthy: a passing probe adds no since",           "ok ok",        "ok@300",     "ok",         false, Standby, Idle,    CheckHealthy,              Some(300), CheckHealthy),
        case("check healthy: probe unreported",                        "ok ok",        "ok@300",     "unreported", false, Standby, Idle,    CheckHealthy,              Some(300), CheckHealthy),
        case("check healthy: no alarms configured",                    "",             "ok@300",     "none",       false, Standby, Idle,    CheckHealthy,              Some(300), CheckHealthy),
        case("probe healthy only: HCS stale",                          "ok ok",        "stale",      "ok",         false, Active,  Idle,    ProbeHealthyOnly,          None,      ProbeHealthyOnly),
        case("probe healthy only: HCS missing (a new check)",          "ok ok",        "missing",    "ok",         false, Standby, Idle,    ProbeHealthyOnly,          None,      ProbeHealthyOnly),
        case("probe healthy only: HCS unreadable, idle standby",       "nodata nodata","unreadable", "ok",         false, Standby, Idle,    ProbeHealthyOnly,          None,      NoDataUnknown),
        case("probe healthy only: HCS not reported",                   "ok ok",        "unreported", "ok",         false, Standby, Idle,    ProbeHealthyOnly,          None,      ProbeHealthyOnly),
        case("probe healthy only: no health check configured",         "ok@100 ok",    "none",       "ok",         false, Standby, Idle,    ProbeHealthyOnly,          None,      ProbeHealthyOnly),
        case("no endpoint evidence: HCS stale, no probe configured",   "ok ok",        "stale",      "none",       false, Active,  Idle,    NoEndpointEvidence,        None,      NoEndpointEvidence),
        case("no endpoint evidence: HCS missing, idle standby",        "nodata nodata","missing",    "none",       false, Standby, Idle,    NoEndpointEvidence,        None,      NoDataUnknown),
        case("no endpoint evidence: HCS unreadable, probe unreported", "ok ok",        "unreadable", "unreported", false, Standby, Idle,    NoEndpointEvidence,        None,      NoEndpointEvidence),
        case("no endpoint evidence: only a probe configured, unreported","ok ok",      "none",       "unreported", false, Standby, Idle,    NoEndpointEvidence,        None,      NoEndpointEvidence),
        case("alarms OK, no endpoint source",                          "ok@100 ok@200","none",       "none",       false, Standby, Idle,    AlarmsOkNoEndpointSource,  Some(200), AlarmsOkNoEndpointSource),
        case("nothing vouches: an idle alarm, no endpoint source",     "nodata ok",    "none",       "none",       false, Standby, Idle,    NothingVouches,            None,      NoDataUnknown),
        case("nothing vouches: no alarm, no endpoint source",          "",             "none",       "none",       false, Standby, Idle,    NothingVouches,            None,      NothingVouches),
    ];

    fn since_of(word: &str) -> Option<u64> {
        match word.split_once('@') {
            None => Some(0),
            Some((_, "?")) => None,
            Some((_, t)) => Some(t.parse().expect("a time")),
        }
    }

    fn build(c: &Case) -> (RegionConfig, RegionObservation) {
        let names: Vec<String> = (0..c.alarms.split_whitespace().count())
            .map(|i| format!("a{i}"))
            .collect();
        let config = RegionConfig {
            weight: 1,
            name: "us-west-2".into(),
            target: "api.us-west-2.example.com.".into(),
            alias_hosted_zone_id: None,
            health_check_id: (c.hcs != "none").then(|| CHECK.to_string()),
            health_url: (c.probe != "none").then(|| URL.to_string()),
            health_search: "regionflip-healthy".into(),
            alarms: names.clone(),
            guards: Vec::new(),
        };
        let reading = |name: &str, status, since| SignalReading {
            name: name.to_string(),
            status,
            since,
        };
        let alarms = c
            .alarms
            .split_whitespace()
            .zip(&names)
            .filter_map(|(word, name)| {
                let status = match word.split('@').next() {
                    Some("ok") => SignalStatus::Ok,
                    Some("alarm") => SignalStatus::Failing,
                    Some("nodata") => SignalStatus::NoData,
                    Some("unknown") => SignalStatus::Unknown("AccessDenied".into()),
                    Some("gone") => return None,
                    other => panic!("alarm word {other:?}"),
                };
                let since = (status == SignalStatus::Ok)
                    .then(|| since_of(word))
                    .flatten();
                Some(reading(name, status, since))
            })
            .collect();
        let endpoint = match c.hcs.split('@').next() {
            Some("none" | "unreported") => None,
            Some("ok") => Some(reading(CHECK, SignalStatus::Ok, since_of(c.hcs))),
            Some("down") => Some(reading(CHECK, SignalStatus::Failing, Some(0))),
            Some("stale") => Some(reading(
                CHECK,
                SignalStatus::Unknown("the latest HealthCheckStatus datapoint is 900 s old".into()),
                None,
            )),
            Some("missing") => Some(reading(
                CHECK,
                SignalStatus::Unknown("no HealthCheckStatus datapoints".into()),
                None,
            )),
            Some("unreadable") => Some(reading(
                CHECK,
                SignalStatus::Unknown("HealthCheckStatus could not be read: timed out".into()),
                None,
            )),
            other => panic!("hcs word {other:?}"),
        };
        let outcome = match c.probe {
            "none" | "unreported" => None,
            "ok" => Some(ProbeOutcome::Healthy),
            "fail" => Some(ProbeOutcome::Failing("HTTP 503".into())),
            "timeout" => Some(ProbeOutcome::TimedOut("no answer within 4 s".into())),
            other => panic!("probe word {other:?}"),
        };
        let observation = RegionObservation {
            region: "us-west-2".into(),
            alarms,
            guards: Vec::new(),
            endpoint,
            probe: outcome.map(|outcome| ProbeReading {
                url: URL.into(),
                outcome,
            }),
            cloudwatch_unreadable: c
                .cloudwatch_unreadable
                .then(|| "DescribeAlarms failed: timed out".to_string()),
        };
        (config, observation)
    }

    #[test]
    fn every_row_of_the_evidence_table_gives_its_verdicts() {
        let mut failures = Vec::new();
        for c in CASES {
            let (config, observation) = build(c);
            let h = assess(&config, Some(&observation), c.role, c.no_data);
            let got = (
                h.row,
                h.health,
                h.healthy_since,
                h.as_active.row,
                h.as_active.health,
            );
            let want = (
                c.target,
                c.target.health(),
                c.since,
                c.as_active,
                c.as_active.health(),
            );
            if got != want {
                failures.push(format!("{}: got {got:?}, want {want:?}; {h:?}", c.row));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn the_table_names_every_row_of_both_verdicts() {
        let rows: Vec<EvidenceRow> = CASES.iter().flat_map(|c| [c.target, c.as_active]).collect();
        for row in EvidenceRow::ALL {
            assert!(rows.contains(&row), "no case shows row {:?}", row.as_str());
        }
        for c in CASES {
            let shown = [c.target.as_str(), c.as_active.as_str()];
            assert!(
                shown.iter().any(|name| c.row.starts_with(name)),
                "case {:?} is named after neither of its rows {shown:?}",
                c.row
            );
        }
    }

    fn assessed(
        alarms: &'static str,
        hcs: &'static str,
        probe: &'static str,
        cw: bool,
        role: Role,
    ) -> RegionHealth {
        let c = case(
            "",
            alarms,
            hcs,
            probe,
            cw,
            role,
            Idle,
            AlarmInAlarm,
            None,
            AlarmInAlarm,
        );
        let (config, observation) = build(&c);
        assess(&config, Some(&observation), role, Idle)
    }

    #[test]
    fn idle_alarms_are_named_and_said_to_be_idle() {
        let h = assessed("nodata ok", "ok", "none", false, Standby);
        assert_eq!(h.idle_alarms, ["a0"]);
        assert!(
            h.evidence
                .contains(&"alarm a0 has no data (no traffic); counted as idle".to_string()),
            "{:?}",
            h.evidence
        );
        assert!(
            h.as_active
                .evidence
                .contains(&"alarm a0 is unknown (INSUFFICIENT_DATA)".to_string()),
            "as the active region no data is unknown: {:?}",
            h.as_active.evidence
        );
        let active = assessed("nodata ok", "ok", "none", false, Active);
        assert!(
            active.idle_alarms.is_empty(),
            "the active region has no idle alarm"
        );
    }

    #[test]
    fn the_evidence_says_why_each_deciding_row_applies() {
        let says = |h: &RegionHealth, active: bool, text: &str| {
            let evidence = if active {
                &h.as_active.evidence
            } else {
                &h.evidence
            };
            assert!(
                evidence.iter().any(|e| e.contains(text)),
                "{text:?} not in {evidence:?}"
            );
        };
        let h = assessed("ok ok", "stale", "ok", false, Standby);
        says(
            &h,
            false,
            "healthy now by the watcher's probe of https://api.us-west-2.example.com/health, which has no history",
        );
        says(&h, false, "HealthCheckStatus datapoint is 900 s old");
        let h = assessed("ok ok", "unreadable", "fail", true, Active);
        says(&h, true, "evidence enough to leave");
        says(
            &h,
            true,
            "its CloudWatch cannot be read (DescribeAlarms failed: timed out)",
        );
        says(&h, true, "fails (HTTP 503)");
        let h = assessed("ok ok", "ok", "timeout", false, Active);
        says(&h, true, "the watcher's own network may be what fails");
        says(&h, true, "timed out (no answer within 4 s)");
        let h = assessed("ok ok", "ok", "fail", true, Active);
        says(&h, true, "Route 53's fresh HealthCheckStatus says healthy");
        let h = assessed("ok ok", "missing", "unreported", false, Standby);
        says(
            &h,
            false,
            "no probe of https://api.us-west-2.example.com/health was reported",
        );
        says(&h, false, "nothing shows its endpoint healthy now");
        let h = assessed("nodata ok", "none", "none", false, Standby);
        says(&h, false, "no endpoint source is configured");
    }

    /// Every combination of source states, both roles and both settings: the table's
    /// guarantees hold whatever the readings.
    #[test]
    fn the_guarantees_of_the_table_hold_for_every_combination() {
        let alarm_words = ["ok", "alarm", "nodata", "unknown", "gone"];
        let mut alarm_sets: Vec<String> = vec![String::new()];
        for a in alarm_words {
            alarm_sets.push(a.to_string());
            for b in alarm_words {
                alarm_sets.push(format!("{a} {b}"));
            }
        }
        let alarm_sets: Vec<&'static str> = alarm_sets
            .into_iter()
            .map(|s| &*Box::leak(s.into_boxed_str()))
            .collect();
        let mut combinations = 0;
        for alarms in &alarm_sets {
            for hcs in [
                "none",
                "unreported",
                "ok",
                "ok@?",
                "down",
                "stale",
                "missing",
                "unreadable",
            ] {
                for probe in ["none", "unreported", "ok", "fail", "timeout"] {
                    for cw in [false, true] {
                        for role in [Active, Standby] {
                            for no_data in [Idle, NoDataUnknownSetting] {
                                combinations += 1;
                                let c = case(
                                    "",
                                    alarms,
                                    hcs,
                                    probe,
                                    cw,
                                    role,
                                    no_data,
                                    AlarmInAlarm,
                                    None,
                                    AlarmInAlarm,
                                );
                                let (config, observation) = build(&c);
                                let h = assess(&config, Some(&observation), role, no_data);
                                let what = format!(
                                    "{alarms:?} hcs={hcs} probe={probe} cw={cw} {role:?} {no_data:?}: {h:?}"
                                );
                                // Nothing read from an unreadable CloudWatch counts.
                                let alarm = !cw && alarms.split_whitespace().any(|a| a == "alarm");
                                let negative =
                                    alarm || hcs == "down" || probe == "fail" || probe == "timeout";
                                let unreadable = cw
                                    || alarms
                                        .split_whitespace()
                                        .any(|a| a == "unknown" || a == "gone");
                                let positive = hcs == "ok"
                                    || hcs == "ok@?"
                                    || probe == "ok"
                                    || (hcs == "none"
                                        && probe == "none"
                                        && !alarms.is_empty()
                                        && alarms.split_whitespace().all(|a| a == "ok"));
                                // A target only on positive evidence, never against any.
                                assert_eq!(h.health == Health::Unhealthy, negative, "{what}");
                                if h.health == Health::Healthy {
                                    assert!(positive && !unreadable, "{what}");
                                }
                                // Leaving needs an alarm, a fresh unhealthy check, or an
                                // unreachable region; never a probe alone.
                                let unreachable = cw
                                    && (probe == "fail" || probe == "timeout")
                                    && !(hcs == "ok" || hcs == "ok@?");
                                assert_eq!(
                                    h.as_active.health == Health::Unhealthy,
                                    alarm || hcs == "down" || unreachable,
                                    "{what}"
                                );
                                // As active, never harsher than as a target.
                                if h.as_active.health == Health::Unhealthy {
                                    assert_eq!(h.health, Health::Unhealthy, "{what}");
                                }
                                if role == Active {
                                    assert_eq!(
                                        h.as_active.health == Health::Healthy,
                                        h.health == Health::Healthy,
                                        "{what}"
                                    );
                                }
                                // A probe gives no history.
                                if h.row == ProbeHealthyOnly {
                                    assert_eq!(h.healthy_since, None, "{what}");
                                }
                                if h.health != Health::Healthy {
                                    assert_eq!(h.healthy_since, None, "{what}");
                                }
                                assert!(
                                    h.health == Health::Healthy || !h.evidence.is_empty(),
                                    "a region not healthy says why: {what}"
                                );
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(combinations, 31 * 8 * 5 * 2 * 2 * 2);
    }

    #[test]
    fn a_region_missing_from_the_observations_is_unknown_in_both_roles() {
        let (config, _) = build(&case(
            "",
            "ok",
            "ok",
            "ok",
            false,
            Standby,
            Idle,
            AlarmInAlarm,
            None,
            AlarmInAlarm,
        ));
        let h = assess(&config, None, Standby, Idle);
        assert_eq!(
            (h.health, h.as_active.health),
            (Health::Unknown, Health::Unknown)
        );
        assert!(
            h.evidence.iter().any(|e| e.contains("not reported")),
            "{:?}",
            h.evidence
        );
    }

    // ------------------------------------------------------------ gate-mode state copies

    fn copy(region: &str, text: &str) -> (String, Result<Option<String>, String>) {
        (region.to_string(), Ok(Some(text.to_string())))
    }

    fn state(sequence: u64, active: &str, paused: bool) -> EngineState {
        EngineState {
            sequence,
            paused,
            ..EngineState::initial(active)
        }
    }

    /// Regression (issue 14 #6): two writers of one sequence — the watchers of different
    /// regions tick up to a minute apart, and an alarm event skips the duty rule. The
    /// watcher's newest-copy rule kept the first copy read among equal sequences, so
    /// readers that listed the regions in another order disagreed on the state (and on
    /// the gates). Now every order gives the same state, an operator's pause first, and
    /// the copy that lost is behind (rewritten).
    #[test]
    fn two_writers_of_one_sequence_resolve_the_same_way_in_any_order() {
        let failover = state(6, "us-west-2", false);
        let pause = state(6, "us-east-1", true);
        let a = copy("us-east-1", &failover.encode());
        let b = copy("us-west-2", &pause.encode());
        for copies in [vec![a.clone(), b.clone()], vec![b, a]] {
            let (observed, behind) = StateObservation::from_copies(&copies);
            assert_eq!(
                observed,
                StateObservation::Valid {
                    state: pause.clone(),
                    record: None
                }
            );
            assert_eq!(behind, ["us-east-1"]);
        }
        // Neither paused: the greater text wins, whatever the order.
        let west = state(6, "us-west-2", false);
        let eu = state(6, "eu-west-1", false);
        let pick = |copies: &[(String, Result<Option<String>, String>)]| {
            StateObservation::from_copies(copies).0
        };
        assert_eq!(
            pick(&[copy("a", &west.encode()), copy("b", &eu.encode())]),
            pick(&[copy("b", &eu.encode()), copy("a", &west.encode())]),
        );
    }

    /// The key is a text a log query sorts like the copies: sequences by number (9
    /// before 10, up to `u64::MAX`), then a pause, then a hold, then the text.
    #[test]
    fn the_copy_key_orders_as_text_what_wins_among_copies() {
        let held = |mut s: EngineState| {
            s.hold_failback = true;
            s
        };
        let ascending = [
            state(9, "us-west-2", true),
            state(10, "eu-west-1", false),
            state(10, "us-west-2", false),
            held(state(10, "eu-west-1", false)),
            state(10, "eu-west-1", true),
            state(u64::MAX, "eu-west-1", false),
        ];
        for pair in ascending.windows(2) {
            assert!(copy_key(&pair[0]) < copy_key(&pair[1]), "{pair:?}");
        }
    }

    #[test]
    fn a_copy_that_does_not_parse_wins_unless_known_older() {
        let valid = state(7, "us-east-1", false);
        let v2_newer = "regionflip/v2 seq=8 active=us-west-2 paused=1";
        let v2_same = "regionflip/v2 seq=7 active=us-west-2 paused=1";
        let garbage_older = "regionflip/v1 seq=3 active=us-east-1 owner=me";
        for (other, untrusted) in [
            (v2_newer, true),
            (v2_same, true),
            ("hello", true),
            (garbage_older, false),
        ] {
            let copies = [copy("us-east-1", &valid.encode()), copy("us-west-2", other)];
            let (observed, behind) = StateObservation::from_copies(&copies);
            match observed {
                StateObservation::Corrupt { legible, error, .. } => {
                    assert!(untrusted, "{other}: {error}");
                    assert!(error.contains("the copy in us-west-2"), "{error}");
                    // The highest sequence of any copy, so a fresh state goes above all.
                    let highest = Legible::of(other).sequence.unwrap_or(0).max(7);
                    assert_eq!(legible.sequence, Some(highest));
                    assert!(behind.is_empty(), "nothing rewritten: {behind:?}");
                }
                StateObservation::Valid { state, .. } => {
                    assert!(!untrusted, "{other}");
                    assert_eq!(state, valid);
                    assert_eq!(behind, ["us-west-2"], "known-older garbage is rewritten");
                }
                other => panic!("{other:?}"),
            }
        }
        // The region the highest-sequenced copy names: where the gates most likely route.
        let (observed, _) = StateObservation::from_copies(&[
            copy("us-east-1", &valid.encode()),
            copy("us-west-2", v2_newer),
        ]);
        let StateObservation::Corrupt { legible, .. } = observed else {
            panic!("{observed:?}");
        };
        assert_eq!(legible.active.as_deref(), Some("us-west-2"));
    }

    #[test]
    fn copies_missing_or_unreadable() {
        let valid = state(4, "us-east-1", false);
        let unreadable = || Err::<Option<String>, String>("timed out".into());
        let (observed, behind) = StateObservation::from_copies(&[
            ("us-east-1".into(), Ok(None)),
            ("us-west-2".into(), unreadable()),
            copy("eu-west-1", &valid.encode()),
        ]);
        assert!(matches!(observed, StateObservation::Valid { .. }));
        assert_eq!(
            behind,
            ["us-east-1"],
            "a region that could not be read is not behind"
        );
        let (observed, _) = StateObservation::from_copies(&[
            ("us-east-1".into(), unreadable()),
            ("us-west-2".into(), unreadable()),
        ]);
        assert!(matches!(observed, StateObservation::Unreadable(_)));
        let (observed, _) = StateObservation::from_copies(&[
            ("us-east-1".into(), unreadable()),
            ("us-west-2".into(), Ok(None)),
        ]);
        assert_eq!(observed, StateObservation::Missing);
    }
}
