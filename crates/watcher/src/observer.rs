//! Reads the real state of the world into the core's [`Observations`].
//!
//! One pass costs, whatever woke the watcher:
//!
//! * one `DescribeAlarms` per configured region (alarms, guards and, in gate mode, the
//!   state holder), all regions at once so that one slow region does not delay the rest;
//! * one `GetMetricData` in us-east-1 for every region's `AWS/Route53 HealthCheckStatus`;
//! * one probe of every region's health endpoint that has a `health_url`, with Route 53's
//!   checker rules (no AWS call; the watcher's own eyes when `HealthCheckStatus` is late
//!   or unreadable);
//! * in `records` mode, one `ListResourceRecordSets` that returns the failover pair and
//!   the state record together (Route 53 lists `_regionflip.api.example.com.` right after
//!   `api.example.com.`), and a second one only if that page ended before the state
//!   record; for an application of several names (`[[records]]`) instead each hosted
//!   zone that holds some, in pages of 300 record sets from its first name to its last in
//!   listing order (all zones at once; one unreadable zone leaves the routing of every
//!   name unreadable); in `health-gate` mode, no Route 53 call at all, whatever the
//!   number of names.
//!
//! A failed read becomes an `Unknown` signal with the error as its reason: the engine's
//! rule that unknown data never moves traffic then applies, instead of a guess.

use std::collections::BTreeMap;

use futures_util::future::join_all;
use regionflip_core::observe::{
    Observations, ProbeReading, RegionObservation, RoutingObservation, SignalReading, SignalStatus,
    StateObservation,
};
use regionflip_core::{Config, Mode, RecordSet};

use crate::ports::{
    AlarmReading, AlarmState, CloudWatchApi, EndpointProbe, HealthSample, Route53Api,
};

/// A `HealthCheckStatus` datapoint older than this does not describe the endpoint now.
pub(crate) const HEALTH_SAMPLE_MAX_AGE_SECS: u64 = 180;
/// How much history to read beyond the failback stable window.
const HEALTH_HISTORY_MARGIN_SECS: u64 = 600;
/// Records to ask for in one `ListResourceRecordSets`: the pair, the state record and
/// room for a few neighbours.
const LIST_PAGE_SIZE: i32 = 10;

/// What a pass read, with what only the watcher (not the engine) needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Observed {
    /// The engine's input.
    pub observations: Observations,
    /// Gate mode: regions whose state copy is missing, unreadable as a state, or older
    /// than the newest one, while their CloudWatch answered. The pass rewrites them, so
    /// one failed copy write does not leave a region behind until the next transition.
    pub stale_state_copies: Vec<String>,
}

/// Reads the persisted engine state alone, to confirm a write whose answer was lost:
/// `records`, one `ListResourceRecordSets` starting at the state record; `health-gate`,
/// one `DescribeAlarms` of the state holder per region, the newest copy winning as in a
/// pass.
pub(crate) async fn read_state<R: Route53Api, C: CloudWatchApi>(
    config: &Config,
    route53: &R,
    cloudwatch: &C,
) -> StateObservation {
    match config.mode {
        Mode::Records => {
            let state_name = config.state_record_name();
            match route53
                .list_records(&config.hosted_zone_id, &state_name, 1)
                .await
            {
                Ok(page) => page
                    .records
                    .into_iter()
                    .find(|r| r.name == state_name && r.record_type == "TXT")
                    .map_or(
                        StateObservation::Missing,
                        StateObservation::from_state_record,
                    ),
                Err(e) => {
                    StateObservation::Unreadable(format!("ListResourceRecordSets failed: {e}"))
                }
            }
        }
        Mode::HealthGate => {
            let names = [config.state_alarm_name()];
            let reads = config.regions.iter().map(|region| {
                let names = &names;
                async move {
                    let holder = cloudwatch
                        .describe_alarms(&region.name, names)
                        .await
                        .map(|found| {
                            found
                                .into_iter()
                                .find(|a| a.name == names[0])
                                .and_then(|a| a.description)
                        })
                        .map_err(|e| format!("DescribeAlarms in {} failed: {e}", region.name));
                    (region.name.clone(), holder)
                }
            });
            newest_state(&join_all(reads).await).0
        }
    }
}

/// Reads everything one pass needs, and which gate-mode state copies are stale.
pub(crate) async fn observe_in_detail<R: Route53Api, C: CloudWatchApi, P: EndpointProbe>(
    config: &Config,
    route53: &R,
    cloudwatch: &C,
    prober: &P,
    now: u64,
) -> Observed {
    let alarms = read_alarms(config, cloudwatch);
    let endpoints = read_endpoints(config, cloudwatch, now);
    let probes = probe_endpoints(config, prober);
    let routing = async {
        match config.mode {
            Mode::Records => read_records(config, route53).await,
            Mode::HealthGate => (RoutingObservation::Gates, None),
        }
    };
    let (alarms, endpoints, probes, (routing, records_state)) =
        tokio::join!(alarms, endpoints, probes, routing);

    let mut regions = Vec::new();
    let mut state_holders = Vec::new();
    for ((region, readings), probe) in config.regions.iter().zip(alarms).zip(probes) {
        let reading = |name: &String| -> SignalReading {
            match &readings {
                Err(why) => SignalReading {
                    name: name.clone(),
                    status: SignalStatus::Unknown(why.clone()),
                    since: None,
                },
                Ok(found) => match found.iter().find(|a| &a.name == name) {
                    Some(alarm) => alarm_signal(alarm),
                    None => SignalReading {
                        name: name.clone(),
                        status: SignalStatus::Unknown(format!(
                            "alarm does not exist in {}",
                            region.name
                        )),
                        since: None,
                    },
                },
            }
        };
        state_holders.push((
            region.name.clone(),
            match &readings {
                Ok(found) => Ok(found
                    .iter()
                    .find(|a| a.name == config.state_alarm_name())
                    .and_then(|a| a.description.clone())),
                Err(why) => Err(why.clone()),
            },
        ));
        regions.push(RegionObservation {
            region: region.name.clone(),
            alarms: region.alarms.iter().map(reading).collect(),
            guards: region.guards.iter().map(reading).collect(),
            endpoint: region
                .health_check_id
                .as_ref()
                .map(|id| endpoint_signal(id, &endpoints, now)),
            probe,
            cloudwatch_unreadable: readings.as_ref().err().cloned(),
        });
    }

    let (state, stale_state_copies) = match config.mode {
        Mode::Records => (
            records_state.unwrap_or(StateObservation::Missing),
            Vec::new(),
        ),
        Mode::HealthGate => newest_state(&state_holders),
    };
    Observed {
        observations: Observations {
            regions,
            routing,
            state,
        },
        stale_state_copies,
    }
}

/// The watcher's own probe of every region's health endpoint that has a `health_url`,
/// all at once; in region order. Each probe is bounded by Route 53's limits (6 s), so
/// the probes finish with the AWS reads they run beside.
async fn probe_endpoints<P: EndpointProbe>(
    config: &Config,
    prober: &P,
) -> Vec<Option<ProbeReading>> {
    let probes = config.regions.iter().map(|region| async move {
        let url = region.health_url.as_ref()?;
        Some(ProbeReading {
            url: url.clone(),
            outcome: prober.probe(url, &region.health_search).await,
        })
    });
    join_all(probes).await
}

/// One `DescribeAlarms` per region, concurrently; in region order.
async fn read_alarms<C: CloudWatchApi>(
    config: &Config,
    cloudwatch: &C,
) -> Vec<Result<Vec<AlarmReading>, String>> {
    let calls = config.regions.iter().map(|region| {
        let names = config.alarms_read_in(region);
        async move {
            cloudwatch
                .describe_alarms(&region.name, &names)
                .await
                .map_err(|e| format!("DescribeAlarms in {} failed: {e}", region.name))
        }
    });
    join_all(calls).await
}

fn alarm_signal(alarm: &AlarmReading) -> SignalReading {
    SignalReading {
        name: alarm.name.clone(),
        status: match alarm.state {
            AlarmState::Ok => SignalStatus::Ok,
            AlarmState::Alarm => SignalStatus::Failing,
            AlarmState::InsufficientData => SignalStatus::NoData,
        },
        since: alarm.since,
    }
}

type EndpointHistory = Result<BTreeMap<String, Vec<HealthSample>>, String>;

/// All regions' endpoint checks in one `GetMetricData`.
async fn read_endpoints<C: CloudWatchApi>(
    config: &Config,
    cloudwatch: &C,
    now: u64,
) -> EndpointHistory {
    let ids: Vec<String> = config
        .regions
        .iter()
        .filter_map(|r| r.health_check_id.clone())
        .collect();
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let window = config.failback.stable_for_secs + HEALTH_HISTORY_MARGIN_SECS;
    cloudwatch
        .health_check_status(&ids, now.saturating_sub(window), now)
        .await
        .map_err(|e| format!("HealthCheckStatus could not be read: {e}"))
}

/// The endpoint's status from its `HealthCheckStatus` history: the latest datapoint
/// decides, and the run of equal datapoints before it says since when.
pub(crate) fn endpoint_signal(
    check_id: &str,
    history: &EndpointHistory,
    now: u64,
) -> SignalReading {
    let unknown = |why: String| SignalReading {
        name: check_id.to_string(),
        status: SignalStatus::Unknown(why),
        since: None,
    };
    let samples = match history {
        Err(why) => return unknown(why.clone()),
        Ok(map) => map.get(check_id).map(Vec::as_slice).unwrap_or_default(),
    };
    let Some(latest) = samples.last() else {
        return unknown("no HealthCheckStatus datapoints".into());
    };
    if latest.at + HEALTH_SAMPLE_MAX_AGE_SECS < now {
        return unknown(format!(
            "the latest HealthCheckStatus datapoint is {} s old",
            now.saturating_sub(latest.at)
        ));
    }
    let healthy = latest.value >= 1.0;
    let mut since = latest.at;
    for pair in samples.windows(2).rev() {
        let (earlier, later) = (pair[0], pair[1]);
        // A gap means Route 53 published nothing: the run cannot be assumed unbroken.
        if (earlier.value >= 1.0) != healthy || later.at - earlier.at > HEALTH_SAMPLE_MAX_AGE_SECS {
            break;
        }
        since = earlier.at;
    }
    SignalReading {
        name: check_id.to_string(),
        status: if healthy {
            SignalStatus::Ok
        } else {
            SignalStatus::Failing
        },
        since: Some(since),
    }
}

/// The failover pair and the state record, in one call when they share a page.
async fn read_records<R: Route53Api>(
    config: &Config,
    route53: &R,
) -> (RoutingObservation, Option<StateObservation>) {
    if !config.other_records.is_empty() {
        return read_many_records(config, route53).await;
    }
    let zone = &config.hosted_zone_id;
    let state_name = config.state_record_name();
    let page = match route53
        .list_records(zone, &config.record_name, LIST_PAGE_SIZE)
        .await
    {
        Ok(page) => page,
        Err(e) => {
            let why = format!("ListResourceRecordSets failed: {e}");
            return (
                RoutingObservation::Unreadable(why.clone()),
                Some(StateObservation::Unreadable(why)),
            );
        }
    };
    let pair: Vec<RecordSet> = page
        .records
        .iter()
        .filter(|r| {
            r.name == config.record_name
                && r.record_type == config.record_type.as_str()
                && r.failover.is_some()
        })
        .cloned()
        .collect();
    let is_state = |r: &&RecordSet| r.name == state_name && r.record_type == "TXT";
    let mut state_record = page.records.iter().find(is_state).cloned();
    if state_record.is_none() && page.truncated {
        match route53.list_records(zone, &state_name, 1).await {
            Ok(more) => state_record = more.records.iter().find(is_state).cloned(),
            Err(e) => {
                return (
                    RoutingObservation::Records(pair),
                    Some(StateObservation::Unreadable(format!(
                        "ListResourceRecordSets failed: {e}"
                    ))),
                );
            }
        }
    }
    let state = state_record.map_or(
        StateObservation::Missing,
        StateObservation::from_state_record,
    );
    (RoutingObservation::Records(pair), Some(state))
}

/// [`read_records`] for an application of several names (`[[records]]`).
async fn read_many_records<R: Route53Api>(
    config: &Config,
    route53: &R,
) -> (RoutingObservation, Option<StateObservation>) {
    let zone = &config.hosted_zone_id;
    let state_name = config.state_record_name();
    // An application of several names: each zone that holds some is read in pages of 300
    // from the first of its names to the last (Route 53 lists a zone in order), so a pass
    // costs one page per 300 record sets of that span, whatever the number of names.
    let mut by_zone: Vec<(&str, Vec<&str>)> = Vec::new();
    for record in std::iter::once((zone.as_str(), config.record_name.as_str()))
        .chain(std::iter::once((zone.as_str(), state_name.as_str())))
        .chain(
            config
                .other_records
                .iter()
                .map(|r| (r.hosted_zone_id.as_str(), r.name.as_str())),
        )
    {
        match by_zone.iter_mut().find(|(z, _)| *z == record.0) {
            Some((_, names)) => names.push(record.1),
            None => by_zone.push((record.0, vec![record.1])),
        }
    }
    let pages = join_all(
        by_zone
            .iter()
            .map(|(zone, names)| read_names_in_zone(route53, zone, names)),
    )
    .await;
    let mut found = Vec::new();
    for ((zone, _), page) in by_zone.iter().zip(pages) {
        match page {
            Ok(records) => found.extend(records),
            // Where the state lives could not be read: nothing is known.
            Err(why) if *zone == config.hosted_zone_id => {
                return (
                    RoutingObservation::Unreadable(why.clone()),
                    Some(StateObservation::Unreadable(why)),
                );
            }
            Err(why) => {
                // The state was read (it lives in the application's zone); only the
                // routing of every name is not known.
                let state = found
                    .iter()
                    .find(|r: &&RecordSet| r.name == state_name && r.record_type == "TXT")
                    .cloned()
                    .map_or(
                        StateObservation::Missing,
                        StateObservation::from_state_record,
                    );
                return (RoutingObservation::Unreadable(why), Some(state));
            }
        }
    }
    let records = config.records();
    let pair: Vec<RecordSet> = found
        .iter()
        .filter(|r| {
            r.failover.is_some()
                && records
                    .iter()
                    .any(|own| own.name == r.name && own.record_type.as_str() == r.record_type)
        })
        .cloned()
        .collect();
    let state = found
        .iter()
        .find(|r| r.name == state_name && r.record_type == "TXT")
        .cloned()
        .map_or(
            StateObservation::Missing,
            StateObservation::from_state_record,
        );
    (RoutingObservation::Records(pair), Some(state))
}

/// Most pages one zone is read in per pass: 30,000 record sets between the application's
/// first and last name. Beyond, the routing is unreadable (and the error says why).
const MAX_ZONE_PAGES: usize = 100;
/// Record sets per page (Route 53's largest).
const ZONE_PAGE_SIZE: i32 = 300;

/// The records under `names` in `zone`, read in pages from the first name in Route 53's
/// listing order until the last one is passed. Each next page starts at the last name the
/// page ended on (records of that name repeat, and are kept once).
async fn read_names_in_zone<R: Route53Api>(
    route53: &R,
    zone: &str,
    names: &[&str],
) -> Result<Vec<RecordSet>, String> {
    let mut ordered: Vec<&str> = names.to_vec();
    ordered.sort_by_key(|n| regionflip_core::records::listing_key(n));
    let (Some(first), Some(last)) = (ordered.first(), ordered.last()) else {
        return Ok(Vec::new());
    };
    let last_key = regionflip_core::records::listing_key(last);
    let wanted: std::collections::BTreeSet<&str> = names.iter().copied().collect();
    let mut start = first.to_string();
    let mut found: Vec<RecordSet> = Vec::new();
    // (name, type, set identifier) of what is kept: a page boundary repeats records.
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..MAX_ZONE_PAGES {
        let page = route53
            .list_records(zone, &start, ZONE_PAGE_SIZE)
            .await
            .map_err(|e| format!("ListResourceRecordSets in hosted zone {zone} failed: {e}"))?;
        for record in &page.records {
            if wanted.contains(record.name.as_str())
                && seen.insert((
                    record.name.clone(),
                    record.record_type.clone(),
                    record.set_identifier.clone(),
                ))
            {
                found.push(record.clone());
            }
        }
        let Some(ended) = page.records.last() else {
            return Ok(found);
        };
        if !page.truncated || regionflip_core::records::listing_key(&ended.name) > last_key {
            return Ok(found);
        }
        if ended.name == start {
            return Err(format!(
                "hosted zone {zone} holds more than {ZONE_PAGE_SIZE} record sets named {start}; \
                 regionflip cannot page past them"
            ));
        }
        start = ended.name.clone();
    }
    Err(format!(
        "the application's names in hosted zone {zone} span more than {} record sets; keep \
         them closer together (one parent name) or in a zone of their own",
        MAX_ZONE_PAGES * ZONE_PAGE_SIZE as usize
    ))
}

/// Gate mode keeps a copy of the state in every region; the newest valid copy wins, so
/// losing a region (or a write to it) loses nothing. Also returns the regions whose copy
/// is behind it while their CloudWatch answered. The rule — ties between writers of one
/// sequence, and copies that do not parse — is the core's
/// ([`StateObservation::from_copies`]), so every reader resolves the copies alike.
fn newest_state(
    holders: &[(String, Result<Option<String>, String>)],
) -> (StateObservation, Vec<String>) {
    StateObservation::from_copies(holders)
}
