//! Faithful in-memory models of Route 53 and CloudWatch behind the watcher's ports.
//!
//! moto serves the wire protocols but not the semantics a failover service depends on:
//! its change batches are not all-or-nothing, a stale DELETE can succeed, and it never
//! evaluates health checks (see field-facts). These models implement exactly those
//! semantics so that compare-and-swap, concurrent watchers and unhealthy endpoints can be
//! tested deterministically:
//!
//! * a change batch is validated against a copy and committed whole, or not at all;
//! * DELETE must match the stored record exactly (name, type, set identifier, TTL,
//!   values, alias, health check); CREATE of an existing record fails;
//! * records list in Route 53's order (labels reversed, then type, then set identifier);
//! * a whole region's CloudWatch can be made unreachable, as in a regional event;
//! * a `CLOUDWATCH_METRIC` health check copies its alarm's settings when it is created
//!   and keeps that copy, whatever happens to the alarm, until `UpdateHealthCheck`
//!   (Route 53 "doesn't automatically update the alarm settings in the health check");
//!   a check on an alarm that does not exist is refused;
//! * deleting a health check is never refused, even while records or CALCULATED checks
//!   still refer to it (Route 53 does not check).
//!
//! Counting calls and injecting faults are hooks ([`crate::hooks`]), not part of the models.
//!
//! The drill and the tests use them; nothing in production does.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

use regionflip_core::{Change, ChangeAction, ProbeOutcome, RecordSet};

use regionflip_provision::{
    AlarmSettings, CheckConfig, GateAlarm, GateAlarmApi, HealthCheckApi, HealthCheckInfo,
    NewHealthCheck, ReportedCheck,
};
use regionflip_watcher::ports::{
    AlarmReading, AlarmState, AwsError, ChangeError, CloudWatchApi, EndpointProbe, HealthSample,
    MetricDatum, RecordPage, Route53Api, StateAlarm,
};

/// Route 53 in memory: one hosted zone's records.
#[derive(Debug, Clone, Default)]
pub struct MemoryRoute53 {
    inner: Arc<Mutex<Route53State>>,
}

#[derive(Debug, Default)]
struct Route53State {
    zones: BTreeMap<String, BTreeMap<RecordKey, RecordSet>>,
    changes: usize,
}

/// Route 53 identifies a record set by name, type and set identifier; the key orders
/// them the way `ListResourceRecordSets` does.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct RecordKey {
    reversed_name: Vec<String>,
    record_type: String,
    set_identifier: Option<String>,
}

impl RecordKey {
    fn of(record: &RecordSet) -> RecordKey {
        RecordKey {
            reversed_name: reversed_labels(&record.name),
            record_type: record.record_type.clone(),
            set_identifier: record.set_identifier.clone(),
        }
    }
}

/// Route 53's listing order: the core's statement of it, which the watcher pages by.
fn reversed_labels(name: &str) -> Vec<String> {
    regionflip_core::records::listing_key(name)
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock poisons it; the data is still consistent because
    // every mutation below is committed in one assignment.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl MemoryRoute53 {
    /// An empty Route 53 with one hosted zone.
    pub fn with_zone(zone: &str) -> MemoryRoute53 {
        let model = MemoryRoute53::default();
        lock(&model.inner)
            .zones
            .insert(zone.to_string(), BTreeMap::new());
        model
    }

    /// Adds an empty hosted zone (an application's names may live in several).
    pub fn add_zone(&self, zone: &str) {
        lock(&self.inner).zones.entry(zone.to_string()).or_default();
    }

    /// Every record in `zone`, in listing order.
    pub fn records(&self, zone: &str) -> Vec<RecordSet> {
        lock(&self.inner)
            .zones
            .get(zone)
            .map(|z| z.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Replaces a record directly, as a person editing the zone by hand would.
    pub fn put_record(&self, zone: &str, record: RecordSet) {
        let mut state = lock(&self.inner);
        state
            .zones
            .entry(zone.to_string())
            .or_default()
            .insert(RecordKey::of(&record), record);
    }

    /// Number of change batches applied.
    pub fn applied_changes(&self) -> usize {
        lock(&self.inner).changes
    }

    fn apply(
        zone: &mut BTreeMap<RecordKey, RecordSet>,
        changes: &[Change],
    ) -> Result<(), ChangeError> {
        let mut next = zone.clone();
        for change in changes {
            let key = RecordKey::of(&change.record);
            let describe = || {
                format!(
                    "{} {} {}",
                    change.record.name,
                    change.record.record_type,
                    change.record.set_identifier.as_deref().unwrap_or("")
                )
            };
            match change.action {
                ChangeAction::Create => {
                    if next.contains_key(&key) {
                        return Err(ChangeError::Conflict(format!(
                            "Tried to create resource record set [{}] but it already exists",
                            describe()
                        )));
                    }
                    next.insert(key, change.record.clone());
                }
                ChangeAction::Delete => {
                    if next.get(&key) != Some(&change.record) {
                        return Err(ChangeError::Conflict(format!(
                            "Tried to delete resource record set [{}] but it was not found",
                            describe()
                        )));
                    }
                    next.remove(&key);
                }
                ChangeAction::Upsert => {
                    next.insert(key, change.record.clone());
                }
            }
        }
        validate_failover_pairs(&next)?;
        *zone = next;
        Ok(())
    }
}

/// Route 53 refuses a zone in which one name has two PRIMARY (or two SECONDARY) records.
fn validate_failover_pairs(zone: &BTreeMap<RecordKey, RecordSet>) -> Result<(), ChangeError> {
    let mut seen = BTreeSet::new();
    for record in zone.values() {
        if let Some(role) = record.failover {
            let slot = (
                record.name.clone(),
                record.record_type.clone(),
                format!("{role:?}"),
            );
            if !seen.insert(slot) {
                return Err(ChangeError::Aws(AwsError::Service {
                    code: "InvalidChangeBatch".into(),
                    message: format!("two {role:?} failover records for {}", record.name),
                }));
            }
        }
    }
    Ok(())
}

impl Route53Api for MemoryRoute53 {
    async fn list_records(
        &self,
        zone: &str,
        start_name: &str,
        max_items: i32,
    ) -> Result<RecordPage, AwsError> {
        let state = lock(&self.inner);
        let Some(records) = state.zones.get(zone) else {
            return Err(AwsError::Service {
                code: "NoSuchHostedZone".into(),
                message: format!("No hosted zone found with ID: {zone}"),
            });
        };
        let start = reversed_labels(start_name);
        let mut matching = records
            .iter()
            .filter(|(key, _)| key.reversed_name >= start)
            .map(|(_, r)| r.clone());
        let limit = usize::try_from(max_items.max(1)).unwrap_or(1);
        let page: Vec<RecordSet> = matching.by_ref().take(limit).collect();
        Ok(RecordPage {
            records: page,
            truncated: matching.next().is_some(),
        })
    }

    async fn change_records(
        &self,
        zone: &str,
        changes: &[Change],
        _comment: &str,
    ) -> Result<String, ChangeError> {
        let mut state = lock(&self.inner);
        let Some(records) = state.zones.get_mut(zone) else {
            return Err(ChangeError::Aws(AwsError::Service {
                code: "NoSuchHostedZone".into(),
                message: format!("No hosted zone found with ID: {zone}"),
            }));
        };
        MemoryRoute53::apply(records, changes)?;
        state.changes += 1;
        Ok(format!("C{:012}", state.changes))
    }

    async fn change_in_sync(&self, _change_id: &str) -> Result<bool, AwsError> {
        Ok(true)
    }
}

/// CloudWatch in memory, across regions.
///
/// Alarms are kept by region and name only, with no alarm type: alarm names are unique in
/// a region across metric and composite alarms, and the watcher reads both types in one
/// `DescribeAlarms` call (the SDK adapter asks for both `AlarmTypes`). So a composite
/// alarm is just a name here; [`MemoryCloudWatch::set_alarm`] sets its state as the
/// evaluation of its rule would. (moto has no composite alarms at all.)
#[derive(Debug, Clone, Default)]
pub struct MemoryCloudWatch {
    inner: Arc<Mutex<CloudWatchState>>,
}

#[derive(Debug, Default)]
struct CloudWatchState {
    alarms: BTreeMap<(String, String), AlarmReading>,
    /// What `PutMetricAlarm` set for the gate alarms: what a `CLOUDWATCH_METRIC` check
    /// copies.
    alarm_settings: BTreeMap<(String, String), AlarmSettings>,
    metrics: Vec<(String, String, MetricDatum)>,
    health: BTreeMap<String, Vec<HealthSample>>,
    unreachable: BTreeSet<String>,
}

impl MemoryCloudWatch {
    /// Sets an alarm's state, as CloudWatch's evaluation (or `SetAlarmState`) would; a
    /// metric or a composite alarm alike.
    pub fn set_alarm(&self, region: &str, name: &str, state: AlarmState, since: u64) {
        let mut inner = lock(&self.inner);
        let key = (region.to_string(), name.to_string());
        let description = inner.alarms.get(&key).and_then(|a| a.description.clone());
        inner.alarms.insert(
            key,
            AlarmReading {
                name: name.to_string(),
                state,
                since: Some(since),
                description,
            },
        );
    }

    /// Sets an alarm's description (creating an OK alarm if needed), as `init` or a
    /// person editing the alarm would.
    pub fn set_description(&self, region: &str, name: &str, description: &str) {
        write_description(&mut lock(&self.inner), region, name, description);
    }

    /// Adds `AWS/Route53 HealthCheckStatus` samples for a check.
    pub fn add_health_samples(&self, check_id: &str, samples: &[HealthSample]) {
        let mut inner = lock(&self.inner);
        let series = inner.health.entry(check_id.to_string()).or_default();
        series.extend_from_slice(samples);
        series.sort_by_key(|s| s.at);
    }

    /// Makes every call to `region` fail as unreachable, or heals it.
    pub fn set_unreachable(&self, region: &str, unreachable: bool) {
        let mut inner = lock(&self.inner);
        if unreachable {
            inner.unreachable.insert(region.to_string());
        } else {
            inner.unreachable.remove(region);
        }
    }

    /// Every value published, as (region, namespace, datum).
    pub fn published(&self) -> Vec<(String, String, MetricDatum)> {
        lock(&self.inner).metrics.clone()
    }

    /// The values of metric `name` published in `region`, in order.
    pub fn values_of(&self, region: &str, name: &str) -> Vec<MetricDatum> {
        lock(&self.inner)
            .metrics
            .iter()
            .filter(|(r, _, d)| r == region && d.name == name)
            .map(|(_, _, d)| d.clone())
            .collect()
    }

    /// The metric settings of an alarm written with `PutMetricAlarm` (a gate alarm), as
    /// `DescribeAlarms` would report them now.
    pub fn alarm_settings(&self, region: &str, name: &str) -> Option<AlarmSettings> {
        lock(&self.inner)
            .alarm_settings
            .get(&(region.to_string(), name.to_string()))
            .cloned()
    }

    /// The description of an alarm, if it exists.
    pub fn alarm_description(&self, region: &str, name: &str) -> Option<String> {
        lock(&self.inner)
            .alarms
            .get(&(region.to_string(), name.to_string()))
            .and_then(|a| a.description.clone())
    }

    /// `PutMetricAlarm`: creates the alarm (OK, as moto does; real AWS starts it in
    /// INSUFFICIENT_DATA — the tests that care set its state) or rewrites its
    /// description, keeping its state, as a rewrite does on AWS.
    fn put_alarm(&self, region: &str, name: &str, description: &str) -> Result<(), AwsError> {
        let mut inner = lock(&self.inner);
        MemoryCloudWatch::check(&inner, region)?;
        write_description(&mut inner, region, name, description);
        Ok(())
    }

    fn check(inner: &CloudWatchState, region: &str) -> Result<(), AwsError> {
        if inner.unreachable.contains(region) {
            return Err(AwsError::Unreachable(format!(
                "monitoring.{region}.amazonaws.com did not answer"
            )));
        }
        Ok(())
    }
}

/// Creates the alarm (OK) if needed and sets its description, keeping its state.
fn write_description(inner: &mut CloudWatchState, region: &str, name: &str, description: &str) {
    let entry = inner
        .alarms
        .entry((region.to_string(), name.to_string()))
        .or_insert_with(|| AlarmReading {
            name: name.to_string(),
            state: AlarmState::Ok,
            since: Some(0),
            description: None,
        });
    entry.description = Some(description.to_string());
}

impl CloudWatchApi for MemoryCloudWatch {
    async fn describe_alarms(
        &self,
        region: &str,
        names: &[String],
    ) -> Result<Vec<AlarmReading>, AwsError> {
        let inner = lock(&self.inner);
        MemoryCloudWatch::check(&inner, region)?;
        Ok(names
            .iter()
            .filter_map(|n| inner.alarms.get(&(region.to_string(), n.clone())).cloned())
            .collect())
    }

    async fn put_metric_data(
        &self,
        region: &str,
        namespace: &str,
        data: &[MetricDatum],
    ) -> Result<(), AwsError> {
        let mut inner = lock(&self.inner);
        MemoryCloudWatch::check(&inner, region)?;
        for datum in data {
            inner
                .metrics
                .push((region.to_string(), namespace.to_string(), datum.clone()));
        }
        Ok(())
    }

    async fn health_check_status(
        &self,
        check_ids: &[String],
        start: u64,
        end: u64,
    ) -> Result<BTreeMap<String, Vec<HealthSample>>, AwsError> {
        let inner = lock(&self.inner);
        MemoryCloudWatch::check(&inner, "us-east-1")?;
        Ok(check_ids
            .iter()
            .filter_map(|id| {
                let samples: Vec<HealthSample> = inner
                    .health
                    .get(id)?
                    .iter()
                    .copied()
                    .filter(|s| s.at >= start && s.at <= end)
                    .collect();
                (!samples.is_empty()).then(|| (id.clone(), samples))
            })
            .collect())
    }

    async fn put_state_alarm(&self, region: &str, alarm: &StateAlarm) -> Result<(), AwsError> {
        self.put_alarm(region, &alarm.name, &alarm.description)
    }
}

// ---------------------------------------------------------------------------------------
// `regionflip init`'s ports (regionflip-provision): Route 53 health checks with Route 53's
// caller-reference semantics, and gate alarms.

/// Route 53 health checks in memory, with real Route 53's idempotency: a
/// `CreateHealthCheck` with a caller reference used before returns the existing check
/// when the settings are the same, and fails with `HealthCheckAlreadyExists` when they
/// differ (moto creates a second check instead).
///
/// A `CLOUDWATCH_METRIC` check reads its alarm from the [`MemoryCloudWatch`] it was made
/// with ([`MemoryHealthChecks::new`]) as Route 53 does: once, when the check is created,
/// and again only on `UpdateHealthCheck`. `ListHealthChecks` reports that copy
/// (`CloudWatchAlarmConfiguration`), never the alarm as it is now. A check on an alarm
/// that does not exist is refused.
#[derive(Debug, Clone, Default)]
pub struct MemoryHealthChecks {
    inner: Arc<Mutex<HealthCheckState>>,
    cloudwatch: MemoryCloudWatch,
}

#[derive(Debug, Default)]
struct HealthCheckState {
    checks: Vec<StoredCheck>,
    tags: BTreeMap<String, BTreeMap<String, String>>,
    created: usize,
}

#[derive(Debug, Clone)]
struct StoredCheck {
    id: String,
    /// The caller reference and the settings (as created, then as updated).
    check: NewHealthCheck,
    /// A `CLOUDWATCH_METRIC` check's copy of its alarm's settings.
    copied: Option<AlarmSettings>,
}

impl MemoryHealthChecks {
    /// Health checks whose `CLOUDWATCH_METRIC` checks follow alarms in `cloudwatch`.
    pub fn new(cloudwatch: &MemoryCloudWatch) -> MemoryHealthChecks {
        MemoryHealthChecks {
            inner: Arc::default(),
            cloudwatch: cloudwatch.clone(),
        }
    }

    /// Every check, as (id, caller reference and settings), in creation order.
    pub fn checks(&self) -> Vec<(String, NewHealthCheck)> {
        lock(&self.inner)
            .checks
            .iter()
            .map(|c| (c.id.clone(), c.check.clone()))
            .collect()
    }

    /// A check's settings.
    pub fn config_of(&self, id: &str) -> Option<CheckConfig> {
        lock(&self.inner)
            .checks
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.check.config.clone())
    }

    /// The alarm settings a `CLOUDWATCH_METRIC` check copied (what Route 53 watches).
    pub fn copied_alarm_settings(&self, id: &str) -> Option<AlarmSettings> {
        lock(&self.inner)
            .checks
            .iter()
            .find(|c| c.id == id)
            .and_then(|c| c.copied.clone())
    }

    /// A check's tags.
    pub fn tags_of(&self, id: &str) -> BTreeMap<String, String> {
        lock(&self.inner).tags.get(id).cloned().unwrap_or_default()
    }

    /// Removes every tag of a check, as a person cleaning up tags would.
    pub fn clear_tags(&self, id: &str) {
        lock(&self.inner).tags.remove(id);
    }

    /// Deletes a check, as `DeleteHealthCheck` (or CloudFormation replacing the check)
    /// does: never refused, even while records or CALCULATED checks refer to it.
    pub fn delete(&self, id: &str) {
        let mut state = lock(&self.inner);
        state.checks.retain(|c| c.id != id);
        state.tags.remove(id);
    }

    /// The alarm's settings as Route 53 copies them, or the refusal when it does not
    /// exist.
    fn copy_alarm(&self, config: &CheckConfig) -> Result<Option<AlarmSettings>, AwsError> {
        let CheckConfig::CloudwatchMetric {
            alarm_region,
            alarm_name,
        } = config
        else {
            return Ok(None);
        };
        match self.cloudwatch.alarm_settings(alarm_region, alarm_name) {
            Some(settings) => Ok(Some(settings)),
            None => Err(AwsError::Service {
                code: "InvalidInput".into(),
                message: format!(
                    "the CloudWatch alarm {alarm_name} in {alarm_region} does not exist"
                ),
            }),
        }
    }
}

impl HealthCheckApi for MemoryHealthChecks {
    async fn list_health_checks(&self) -> Result<Vec<HealthCheckInfo>, AwsError> {
        Ok(lock(&self.inner)
            .checks
            .iter()
            .map(|stored| HealthCheckInfo {
                id: stored.id.clone(),
                caller_reference: stored.check.caller_reference.clone(),
                reported: match &stored.check.config {
                    CheckConfig::CloudwatchMetric {
                        alarm_region,
                        alarm_name,
                    } => ReportedCheck::CloudwatchMetric {
                        alarm: Some((alarm_region.clone(), alarm_name.clone())),
                        insufficient_data: Some("LastKnownStatus".into()),
                        alarm_settings: stored.copied.clone(),
                    },
                    CheckConfig::Calculated {
                        children,
                        health_threshold,
                    } => ReportedCheck::Calculated {
                        children: children.clone(),
                        health_threshold: *health_threshold,
                    },
                },
            })
            .collect())
    }

    async fn create_health_check(&self, check: &NewHealthCheck) -> Result<String, AwsError> {
        let copied = self.copy_alarm(&check.config)?;
        let mut state = lock(&self.inner);
        if let Some(existing) = state
            .checks
            .iter()
            .find(|c| c.check.caller_reference == check.caller_reference)
        {
            return if existing.check.config == check.config {
                Ok(existing.id.clone())
            } else {
                Err(AwsError::Service {
                    code: "HealthCheckAlreadyExists".into(),
                    message: format!(
                        "A health check with caller reference {} already exists with other settings",
                        check.caller_reference
                    ),
                })
            };
        }
        state.created += 1;
        let id = format!("00000000-0000-4000-8000-{:012}", state.created);
        state.checks.push(StoredCheck {
            id: id.clone(),
            check: check.clone(),
            copied,
        });
        Ok(id)
    }

    async fn update_health_check(&self, id: &str, config: &CheckConfig) -> Result<(), AwsError> {
        let copied = self.copy_alarm(config)?;
        let mut state = lock(&self.inner);
        let Some(stored) = state.checks.iter_mut().find(|c| c.id == id) else {
            return Err(AwsError::Service {
                code: "NoSuchHealthCheck".into(),
                message: format!("No health check exists with the specified ID {id}"),
            });
        };
        if std::mem::discriminant(&stored.check.config) != std::mem::discriminant(config) {
            return Err(AwsError::Service {
                code: "InvalidInput".into(),
                message: format!("health check {id}: a check's type cannot change"),
            });
        }
        // The caller reference stays what the check was created with.
        stored.check.config = config.clone();
        stored.copied = copied;
        Ok(())
    }

    /// Like Route 53: a check that records or CALCULATED checks still use is deleted all
    /// the same (field facts); an unknown id is `NoSuchHealthCheck`.
    async fn delete_health_check(&self, id: &str) -> Result<(), AwsError> {
        let mut state = lock(&self.inner);
        let before = state.checks.len();
        state.checks.retain(|c| c.id != id);
        if state.checks.len() == before {
            return Err(AwsError::Service {
                code: "NoSuchHealthCheck".into(),
                message: format!("No health check exists with the specified ID {id}"),
            });
        }
        state.tags.remove(id);
        Ok(())
    }

    async fn health_check_tags(
        &self,
        ids: &[String],
    ) -> Result<BTreeMap<String, BTreeMap<String, String>>, AwsError> {
        let state = lock(&self.inner);
        Ok(ids
            .iter()
            .map(|id| (id.clone(), state.tags.get(id).cloned().unwrap_or_default()))
            .collect())
    }

    async fn tag_health_check(
        &self,
        id: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), AwsError> {
        let mut state = lock(&self.inner);
        if !state.checks.iter().any(|c| c.id == id) {
            return Err(AwsError::Service {
                code: "NoSuchHealthCheck".into(),
                message: format!("No health check exists with the specified ID {id}"),
            });
        }
        state
            .tags
            .entry(id.to_string())
            .or_default()
            .extend(tags.iter().map(|(k, v)| (k.clone(), v.clone())));
        Ok(())
    }
}

impl GateAlarmApi for MemoryCloudWatch {
    async fn put_gate_alarm(&self, region: &str, alarm: &GateAlarm) -> Result<(), AwsError> {
        self.put_alarm(region, &alarm.name, &alarm.description)?;
        lock(&self.inner).alarm_settings.insert(
            (region.to_string(), alarm.name.clone()),
            alarm.settings.clone(),
        );
        Ok(())
    }

    /// Like CloudWatch: names that do not exist are not an error.
    async fn delete_alarms(&self, region: &str, names: &[String]) -> Result<(), AwsError> {
        let mut state = lock(&self.inner);
        if state.unreachable.contains(region) {
            return Err(AwsError::Unreachable(format!("{region} is unreachable")));
        }
        for name in names {
            let key = (region.to_string(), name.clone());
            state.alarms.remove(&key);
            state.alarm_settings.remove(&key);
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// The regions' health endpoints, as the watcher's probe sees them.

/// Health endpoints in memory: what a probe of each URL finds. A URL nobody set refuses
/// the connection, as a host with nothing listening does.
#[derive(Debug, Clone, Default)]
pub struct MemoryEndpoints {
    inner: Arc<Mutex<BTreeMap<String, ProbeOutcome>>>,
}

impl MemoryEndpoints {
    /// What a probe of `url` finds from now on.
    pub fn set(&self, url: &str, outcome: ProbeOutcome) {
        lock(&self.inner).insert(url.to_string(), outcome);
    }
}

impl EndpointProbe for MemoryEndpoints {
    async fn probe(&self, url: &str, _search: &str) -> ProbeOutcome {
        lock(&self.inner).get(url).cloned().unwrap_or_else(|| {
            ProbeOutcome::Failing(format!("TCP connect to {url} failed: Connection refused"))
        })
    }
}
