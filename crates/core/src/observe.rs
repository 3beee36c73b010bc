//! Observations: what the watcher read from AWS on this pass, in the core's own terms.
//!
//! Adapters fill these from CloudWatch and Route 53; tests and the drill build them by
//! hand. Nothing here trusts the event that woke the watcher: every field is a reading of
//! real state, and a reading that failed is recorded as [`SignalStatus::Unknown`] with
//! the reason, never guessed.
//!
//! `assess` turns one region's readings into its [`RegionHealth`]:
//!
//! | alarms                     | endpoint check | region      |
//! |----------------------------|----------------|-------------|
//! | any in ALARM               | any            | Unhealthy   |
//! | any                        | unhealthy      | Unhealthy   |
//! | all OK                     | healthy / none | Healthy     |
//! | some unknown, none ALARM   | not unhealthy  | Unknown     |
//! | all OK                     | unknown        | Unknown     |
//!
//! A region is healthy *since* the latest moment one of its signals became healthy;
//! a signal without a known start time gives the region no known start either, so it
//! cannot count toward a failback's stable window.

use crate::config::{Config, RegionConfig};
use crate::health::{Health, RegionHealth};
use crate::records::{RecordSet, state_of_record};
use crate::state::EngineState;

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
    /// State that did not parse (edited by hand?). Reported; never routed on.
    Corrupt {
        /// Why it did not parse.
        error: String,
        /// In `records` mode, the record exactly as stored.
        record: Option<RecordSet>,
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
            },
        }
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

/// Assesses one configured region from its readings (or their absence).
pub(crate) fn assess(region: &RegionConfig, observed: Option<&RegionObservation>) -> RegionHealth {
    let reading = |list: Option<&Vec<SignalReading>>, name: &str| -> SignalReading {
        list.and_then(|l| l.iter().find(|r| r.name == name))
            .cloned()
            .unwrap_or_else(|| SignalReading {
                name: name.to_string(),
                status: SignalStatus::Unknown("not reported".into()),
                since: None,
            })
    };
    let mut signals: Vec<(String, SignalReading)> = region
        .alarms
        .iter()
        .map(|a| {
            (
                format!("alarm {a}"),
                reading(observed.map(|o| &o.alarms), a),
            )
        })
        .collect();
    if let Some(check) = &region.health_check_id {
        let endpoint = observed
            .and_then(|o| o.endpoint.clone())
            .unwrap_or_else(|| SignalReading {
                name: check.clone(),
                status: SignalStatus::Unknown("not reported".into()),
                since: None,
            });
        signals.push((format!("endpoint check {check}"), endpoint));
    }

    let mut evidence = Vec::new();
    let mut failing = false;
    let mut unknown = false;
    let mut healthy_since = Some(0u64);
    for (label, signal) in &signals {
        match &signal.status {
            SignalStatus::Ok => {
                healthy_since = match (healthy_since, signal.since) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
            }
            SignalStatus::Failing => {
                failing = true;
                evidence.push(format!("{label} is failing"));
            }
            SignalStatus::NoData => {
                unknown = true;
                evidence.push(format!("{label} is unknown (INSUFFICIENT_DATA)"));
            }
            SignalStatus::Unknown(why) => {
                unknown = true;
                evidence.push(format!("{label} is unknown ({why})"));
            }
        }
    }
    let health = if failing {
        Health::Unhealthy
    } else if unknown || signals.is_empty() {
        Health::Unknown
    } else {
        Health::Healthy
    };

    let blocking_guard = region.guards.iter().find_map(|g| {
        let r = reading(observed.map(|o| &o.guards), g);
        match r.status {
            SignalStatus::Ok => None,
            SignalStatus::Failing => Some(format!("{g} (in ALARM)")),
            SignalStatus::NoData => Some(format!("{g} (unknown: INSUFFICIENT_DATA)")),
            SignalStatus::Unknown(why) => Some(format!("{g} (unknown: {why})")),
        }
    });

    RegionHealth {
        region: region.name.clone(),
        health,
        healthy_since: if health == Health::Healthy {
            healthy_since
        } else {
            None
        },
        evidence,
        blocking_guard,
    }
}

/// Assesses every configured region, in preference order.
pub(crate) fn assess_all(config: &Config, observations: &Observations) -> Vec<RegionHealth> {
    config
        .regions
        .iter()
        .map(|r| assess(r, observations.regions.iter().find(|o| o.region == r.name)))
        .collect()
}
