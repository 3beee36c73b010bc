//! One reconcile pass: observe → decide → apply → record.
//!
//! Like external-dns's `RunOnce`, each step is one call and the decision in the middle is
//! the pure engine's. What this module adds is the policy around the edges:
//!
//! * **Compare-and-swap conflicts** (`records` mode): another watcher or an operator
//!   changed the state record since it was read. The pass reads everything again and
//!   decides again, at most [`WatcherSettings::max_attempts`] times. A conflict never
//!   overwrites: when the re-decision finds the work already done, the pass ends quietly
//!   and records nothing, so one real change of health yields one transition record.
//! * **Any other apply failure** ends the pass with an error (the Lambda reports it; the
//!   next tick tries again). Nothing is recorded as a transition that did not happen.
//!   A timeout, a dropped connection or a 5xx may hide a write that was applied: then
//!   the pass reads the state back, and finding the state it wrote, records the
//!   transition after all, since the next pass would find the work done and record
//!   nothing.
//! * **Gate mode writes the state before the gates**: a gate that moves traffic is
//!   published only once at least one state copy explains it, so a failed state write
//!   never leaves a move the next pass would silently undo.
//! * **Recording never blocks routing**: the transition line is written after the apply;
//!   metrics are published last and a failure to publish them is logged, not raised.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use regionflip_core::observe::{Observations, StateObservation, copy_key};
use regionflip_core::timestamp::rfc3339;
use regionflip_core::{
    Command, Config, Decision, EngineState, GateSetting, Plan, RegionHealth, Trigger, decide,
    decide_command,
};
use serde::Serialize;

use crate::journal::{Journal, TransitionRecord};
use crate::metrics::{PassFacts, gate_data, pass_data};
use crate::observer::{Observed, observe_in_detail, read_state};
use crate::ports::{AwsError, ChangeError, CloudWatchApi, EndpointProbe, Route53Api, StateAlarm};
use crate::probe::HttpProbe;

/// Knobs of the watcher that are not part of the engine's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatcherSettings {
    /// Region whose CloudWatch receives regionflip's own metrics (the watcher's region).
    pub metrics_region: String,
    /// Observe-decide-apply attempts per pass when compare-and-swap conflicts occur.
    pub max_attempts: u32,
    /// The region this watcher Lambda runs in. In `health-gate` mode only the duty
    /// region's watcher carries out a transition on a tick ([`Request::Tick`],
    /// [`regionflip_core::Trigger::WatcherTick`]). `None` for the CLI and the drill, whose
    /// passes always act.
    pub runs_in: Option<String>,
    /// Time that must be left before the deadline to start applying a plan: one SDK
    /// operation (5 s with its retries) for the write and a second for the journal line.
    /// Metrics come after and are best effort.
    pub apply_reserve: Duration,
}

impl WatcherSettings {
    /// Defaults for a watcher running in `region`.
    pub fn for_region(region: &str) -> WatcherSettings {
        WatcherSettings {
            metrics_region: region.to_string(),
            max_attempts: 3,
            runs_in: None,
            apply_reserve: Duration::from_secs(6),
        }
    }
}

/// What a pass is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Apply the rules, woken by an alarm event or an operator's `reconcile`: this
    /// watcher acts on what it decides.
    Automatic,
    /// Apply the rules on the periodic tick. In `health-gate` mode only the duty region's
    /// watcher carries out a transition on a tick ([`regionflip_core::Trigger::WatcherTick`]):
    /// every region's watcher ticks once a minute (EventBridge `rate()` fires "within that
    /// minute", so not at the same moment in every region), while an alarm event reaches
    /// only the watcher of the alarm's region, which must act on it at once.
    Tick,
    /// Carry out an operator's command.
    Command(Command),
}

/// Why a pass failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PassError {
    /// Every attempt met a compare-and-swap conflict.
    #[error(
        "gave up after {0} compare-and-swap conflicts; another writer keeps changing the state record"
    )]
    Contended(u32),
    /// The change batch failed for another reason; routing is unchanged.
    #[error("Route 53 change failed, routing unchanged: {0}")]
    Route53(AwsError),
    /// The gate-mode state could not be written to any region, so no gate was changed:
    /// traffic did not move.
    #[error(
        "the state could not be written to any region, so no gate was changed and traffic did not move: {0}"
    )]
    StateWrite(String),
    /// Too little of the invocation's time was left to write safely; nothing was written.
    #[error(
        "only {left_ms} ms left of the invocation, an apply needs {needed_ms} ms; nothing written, the next tick retries"
    )]
    OutOfTime {
        /// Time left when the pass gave up.
        left_ms: u64,
        /// The reserve an apply needs.
        needed_ms: u64,
    },
}

impl PassError {
    /// Whether the write may have been applied although it reported an error: the
    /// answer of a timed-out, disconnected or 5xx call can be lost after the service
    /// committed it. A throttled call was refused and applied nothing.
    fn may_have_been_applied(&self) -> bool {
        match self {
            PassError::Route53(AwsError::Throttled(_)) => false,
            PassError::Route53(_) | PassError::StateWrite(_) => true,
            PassError::Contended(_) | PassError::OutOfTime { .. } => false,
        }
    }
}

/// The JSON summary of a pass: what the Lambda returns and the CLI prints.
#[derive(Debug, Clone, Serialize)]
pub struct PassReport {
    /// The final decision.
    pub decision: Decision,
    /// Each region's health, in preference order.
    pub regions: Vec<RegionHealth>,
    /// The reasons, as sentences.
    pub reasons: Vec<String>,
    /// Where routing is after the pass.
    pub active_after: Option<String>,
    /// Whether the plan was carried out (false on a dry run).
    pub applied: bool,
    /// Dry run: decided, nothing written.
    pub dry_run: bool,
    /// The Route 53 change id, when a batch was applied.
    pub change_id: Option<String>,
    /// Observe-decide attempts made.
    pub attempts: u32,
    /// Compare-and-swap conflicts met.
    pub conflicts: u32,
    /// Problems that did not stop the pass (metrics, a gate, one state copy).
    pub warnings: Vec<String>,
    /// The transition record written, if any.
    pub transition: Option<TransitionRecord>,
}

/// The watcher: configuration and adapters, built once per cold start.
pub struct Watcher<R, C, J, P = HttpProbe> {
    config: Config,
    route53: R,
    cloudwatch: C,
    journal: J,
    prober: P,
    settings: WatcherSettings,
}

impl<R, C, J> Watcher<R, C, J> {
    /// A watcher on a validated configuration (the only way settings enter) and the
    /// adapters it reaches AWS through; it probes the regions' health endpoints over
    /// the network ([`HttpProbe`]).
    pub fn new(
        config: Config,
        route53: R,
        cloudwatch: C,
        journal: J,
        settings: WatcherSettings,
    ) -> Self {
        Watcher {
            config,
            route53,
            cloudwatch,
            journal,
            prober: HttpProbe,
            settings,
        }
    }
}

impl<R, C, J, P> Watcher<R, C, J, P> {
    /// The same watcher, probing health endpoints through `prober` instead.
    pub fn with_prober<Q>(self, prober: Q) -> Watcher<R, C, J, Q> {
        Watcher {
            config: self.config,
            route53: self.route53,
            cloudwatch: self.cloudwatch,
            journal: self.journal,
            prober,
            settings: self.settings,
        }
    }

    /// How it probes health endpoints.
    pub fn prober(&self) -> &P {
        &self.prober
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The Route 53 adapter.
    pub fn route53(&self) -> &R {
        &self.route53
    }

    /// The CloudWatch adapter.
    pub fn cloudwatch(&self) -> &C {
        &self.cloudwatch
    }

    /// The journal.
    pub fn journal(&self) -> &J {
        &self.journal
    }

    /// The watcher knobs.
    pub fn settings(&self) -> &WatcherSettings {
        &self.settings
    }

    /// The watcher knobs, to change before the first pass (a watcher in another region,
    /// a shorter apply reserve in a test).
    pub fn settings_mut(&mut self) -> &mut WatcherSettings {
        &mut self.settings
    }
}

/// What one attempt at applying a plan came to.
enum Attempt {
    /// Written (or nothing to write).
    Applied(Applied),
    /// The compare-and-swap precondition failed: someone changed the state since it was
    /// read. Nothing was written.
    Conflict(String),
}

/// A plan that was carried out (or, on a dry run, only decided).
#[derive(Debug, Clone, Default)]
struct Applied {
    dry_run: bool,
    change_id: Option<String>,
    /// Problems that did not stop the pass.
    warnings: Vec<String>,
}

impl Applied {
    fn dry_run() -> Applied {
        Applied {
            dry_run: true,
            ..Applied::default()
        }
    }
}

/// Observe-decide attempts of one pass, and the conflicts among them.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    attempts: u32,
    conflicts: u32,
}

impl<R: Route53Api, C: CloudWatchApi, J: Journal, P: EndpointProbe> Watcher<R, C, J, P> {
    /// Observes the world and decides, without writing anything.
    pub async fn observe_and_decide(
        &self,
        request: &Request,
        now: u64,
    ) -> (Observations, Decision) {
        let (observed, decision) = self.observe_in_detail_and_decide(request, now).await;
        (observed.observations, decision)
    }

    /// [`Self::observe_and_decide`], keeping what only the watcher needs.
    async fn observe_in_detail_and_decide(
        &self,
        request: &Request,
        now: u64,
    ) -> (Observed, Decision) {
        let observed = observe_in_detail(
            &self.config,
            &self.route53,
            &self.cloudwatch,
            &self.prober,
            now,
        )
        .await;
        let observations = &observed.observations;
        let decision = match (request, &self.settings.runs_in) {
            (Request::Tick, Some(region)) => {
                let trigger = Trigger::WatcherTick { region };
                decide(&self.config, observations, now, trigger)
            }
            (Request::Tick | Request::Automatic, _) => {
                decide(&self.config, observations, now, Trigger::EventOrOperator)
            }
            (Request::Command(command), _) => {
                decide_command(&self.config, observations, now, command)
            }
        };
        (observed, decision)
    }

    /// One pass. `now` is the wall clock in Unix seconds (injected so tests need no
    /// sleeps); with `dry_run` nothing is written, metrics included.
    pub async fn reconcile(
        &self,
        request: &Request,
        now: u64,
        dry_run: bool,
    ) -> Result<PassReport, PassError> {
        self.reconcile_before(request, now, dry_run, None).await
    }

    /// One pass that must finish before `deadline` (the Lambda invocation's deadline):
    /// observe and decide → deadline guard → attempt → record, a compare-and-swap
    /// conflict looping back to observe, at most [`WatcherSettings::max_attempts`] times.
    pub async fn reconcile_before(
        &self,
        request: &Request,
        now: u64,
        dry_run: bool,
        deadline: Option<Instant>,
    ) -> Result<PassReport, PassError> {
        let started = Instant::now();
        let mut tally = Tally::default();
        loop {
            tally.attempts += 1;
            let (observed, decision) = self.observe_in_detail_and_decide(request, now).await;
            if dry_run {
                return Ok(self.report(decision, Applied::dry_run(), tally, None));
            }
            self.guard_deadline(&decision, deadline)?;
            match self.attempt(&observed, &decision.plan, now).await {
                Ok(Attempt::Applied(applied)) => {
                    return Ok(self.record(decision, applied, tally, started, now).await);
                }
                Ok(Attempt::Conflict(why)) => {
                    tally.conflicts += 1;
                    tracing::warn!(attempt = tally.attempts, %why, "compare-and-swap conflict; reading again");
                    if tally.attempts >= self.settings.max_attempts {
                        self.publish_metrics(&decision, false, tally.conflicts, started, now)
                            .await;
                        return Err(PassError::Contended(tally.conflicts));
                    }
                }
                Err(error) => {
                    tracing::error!(%error, "apply failed");
                    self.publish_metrics(&decision, false, tally.conflicts, started, now)
                        .await;
                    return Err(error);
                }
            }
        }
    }

    /// A write is started only when at least [`WatcherSettings::apply_reserve`] is left,
    /// so the invocation is never killed between a routing change and its record: a pass
    /// that runs out of time writes nothing and the next tick starts afresh.
    fn guard_deadline(
        &self,
        decision: &Decision,
        deadline: Option<Instant>,
    ) -> Result<(), PassError> {
        let Some(deadline) = deadline else {
            return Ok(());
        };
        let left = deadline.saturating_duration_since(Instant::now());
        if decision.plan == Plan::Nothing || left >= self.settings.apply_reserve {
            return Ok(());
        }
        tracing::error!(
            left_ms = left.as_millis() as u64,
            "too little time left to apply safely"
        );
        Err(PassError::OutOfTime {
            left_ms: u64::try_from(left.as_millis()).unwrap_or(u64::MAX),
            needed_ms: u64::try_from(self.settings.apply_reserve.as_millis()).unwrap_or(u64::MAX),
        })
    }

    /// Applies the plan; after an error that may hide a committed write, confirms it by
    /// reading the state back; after a success, repairs gate-mode state copies that fell
    /// behind.
    async fn attempt(
        &self,
        observed: &Observed,
        plan: &Plan,
        now: u64,
    ) -> Result<Attempt, PassError> {
        let outcome = match self.apply(plan, now).await {
            Err(error) if error.may_have_been_applied() => {
                self.confirm_written(plan, error, now).await
            }
            outcome => outcome,
        };
        if let Ok(Attempt::Applied(applied)) = &outcome {
            let mut applied = applied.clone();
            applied
                .warnings
                .extend(self.repair_state_copies(observed, plan).await);
            return Ok(Attempt::Applied(applied));
        }
        outcome
    }

    /// Records what was applied: the transition line (if routing moved), then the
    /// metrics (a failure there is a warning, never an undo), then the report.
    async fn record(
        &self,
        decision: Decision,
        mut applied: Applied,
        tally: Tally,
        started: Instant,
        now: u64,
    ) -> PassReport {
        let transition = decision.event.as_ref().map(|event| TransitionRecord {
            message: "regionflip transition",
            record: self.config.record_name.clone(),
            mode: self.config.mode.as_str(),
            event: event.clone(),
            applied_at: rfc3339(now),
            change_id: applied.change_id.clone(),
            gates: match &decision.plan {
                Plan::Gates { gates, .. } => Some(gates.clone()),
                _ => None,
            },
            journal_key: decision.plan.new_state().map(copy_key),
        });
        if let Some(record) = &transition {
            self.journal.record(record);
        }
        if let Some(warning) = self
            .publish_metrics(&decision, true, tally.conflicts, started, now)
            .await
        {
            applied.warnings.push(warning);
        }
        self.report(decision, applied, tally, transition)
    }

    fn report(
        &self,
        decision: Decision,
        applied: Applied,
        tally: Tally,
        transition: Option<TransitionRecord>,
    ) -> PassReport {
        let active_after = active_after(&decision, !applied.dry_run);
        PassReport {
            regions: decision.regions.clone(),
            reasons: decision.reasons.iter().map(ToString::to_string).collect(),
            active_after,
            applied: !applied.dry_run,
            dry_run: applied.dry_run,
            change_id: applied.change_id,
            attempts: tally.attempts,
            conflicts: tally.conflicts,
            warnings: applied.warnings,
            transition,
            decision,
        }
    }

    async fn apply(&self, plan: &Plan, now: u64) -> Result<Attempt, PassError> {
        match plan {
            Plan::Nothing => Ok(Attempt::Applied(Applied::default())),
            Plan::ChangeBatch { changes, new_state } => {
                let comment = format!("regionflip state seq {}", new_state.sequence);
                // The application's own zone first: its batch carries the compare-and-swap
                // on the state, so it alone decides whether this pass moved anything.
                // Names in other zones follow in one batch per zone; one that fails is a
                // warning, and the next pass finds those names drifted from the state and
                // moves them in its own state batch (engine rule 8).
                let mut batches =
                    regionflip_core::records::changes_by_zone(&self.config, changes).into_iter();
                let Some((zone, first)) = batches.next() else {
                    return Ok(Attempt::Applied(Applied::default()));
                };
                let change_id = match self.route53.change_records(&zone, &first, &comment).await {
                    Ok(change_id) => change_id,
                    Err(ChangeError::Conflict(why)) => return Ok(Attempt::Conflict(why)),
                    Err(ChangeError::Aws(e)) => return Err(PassError::Route53(e)),
                };
                let mut warnings = Vec::new();
                for (zone, batch) in batches {
                    if let Err(e) = self.route53.change_records(&zone, &batch, &comment).await {
                        let names: Vec<&str> =
                            batch.iter().map(|c| c.record.name.as_str()).collect();
                        let warning = format!(
                            "the names in hosted zone {zone} ({}) were not moved: {e}; the \
                             state is written, so the next pass finds them drifted and moves \
                             them",
                            names.join(", ")
                        );
                        tracing::warn!(%warning, "partial apply");
                        warnings.push(warning);
                    }
                }
                warnings.extend(self.wait_in_sync(&change_id).await);
                Ok(Attempt::Applied(Applied {
                    change_id: Some(change_id),
                    warnings,
                    ..Applied::default()
                }))
            }
            Plan::Gates { gates, state } => {
                // The state first: gates that move traffic are published only once at
                // least one copy of the state that explains them is written. Otherwise
                // the next pass would read the old state and undo the move at once —
                // skipping the stable window, the dwell and damping — with no record.
                let mut warnings = Vec::new();
                if let Some(write) = state {
                    // Ticks are not simultaneous and alarm events skip the duty rule, so
                    // another watcher may have written this sequence (or a later one)
                    // since this pass read the state: then this pass reads again and
                    // decides from that state. CloudWatch has no conditional write, so
                    // this only narrows the race to the time between this read and the
                    // writes; two writers of one sequence that both pass it both
                    // record, and the journal's readers keep one record per sequence
                    // (`journal::one_per_sequence`). Suppressing a record here instead
                    // could lose every record of a transition when three writers race.
                    if let StateObservation::Valid { state: found, .. } =
                        read_state(&self.config, &self.route53, &self.cloudwatch).await
                        && found.sequence >= write.new.sequence
                    {
                        return Ok(Attempt::Conflict(format!(
                            "another watcher wrote state sequence {} (active {}) since this \
                             pass read sequence {}",
                            found.sequence,
                            found.active,
                            write.new.sequence.saturating_sub(1)
                        )));
                    }
                    let every_region: Vec<&str> = self
                        .config
                        .regions
                        .iter()
                        .map(|r| r.name.as_str())
                        .collect();
                    let failures = self.write_state_copies(&every_region, &write.new).await;
                    if failures.len() == self.config.regions.len() {
                        return Err(PassError::StateWrite(failures.join("; ")));
                    }
                    warnings.extend(failures);
                }
                warnings.extend(self.publish_gates(gates, now).await);
                for warning in &warnings {
                    tracing::warn!(%warning, "partial apply");
                }
                Ok(Attempt::Applied(Applied {
                    warnings,
                    ..Applied::default()
                }))
            }
        }
    }

    /// Publishes the gate values in their host regions, all at once; returns one message
    /// per host that failed. A gate that failed to publish keeps its check's last status
    /// (`InsufficientDataHealthStatus = LastKnownStatus`); the next pass publishes it
    /// again from the state.
    async fn publish_gates(&self, gates: &[GateSetting], now: u64) -> Vec<String> {
        let namespace = &self.config.metrics_namespace;
        let publishes =
            gate_data(&self.config, gates, now)
                .into_iter()
                .map(|(host, data)| async move {
                    self.cloudwatch
                        .put_metric_data(&host, namespace, &data)
                        .await
                        .map_err(|e| format!("gate metrics to {host} failed: {e}"))
                });
        join_all(publishes)
            .await
            .into_iter()
            .filter_map(Result::err)
            .collect()
    }

    /// After a write whose outcome is unknown (its answer was lost: a timeout, a dropped
    /// connection, a 5xx), reads the state back — the state alone, not the whole world. Finding exactly the state this pass
    /// wrote means the write was applied, and the transition must be recorded now: the
    /// next pass would find the work done and record nothing. Anything else keeps the
    /// error (the next tick retries).
    ///
    /// A writer that made the very same decision in the same second writes an identical
    /// state; if its write won and this pass's answer was lost, the transition is
    /// recorded twice. Recording once at least is the lesser evil than not at all.
    async fn confirm_written(
        &self,
        plan: &Plan,
        error: PassError,
        now: u64,
    ) -> Result<Attempt, PassError> {
        let Some(written) = plan.new_state() else {
            return Err(error);
        };
        match &read_state(&self.config, &self.route53, &self.cloudwatch).await {
            StateObservation::Valid { state, .. } if state == written => {
                let warning = format!(
                    "{error}; but the state read back is the one this pass wrote (sequence {}), so the change was applied",
                    written.sequence
                );
                tracing::warn!(%warning);
                let mut warnings = vec![warning];
                // Gate mode published no gate before a copy was known written: now it is.
                if let Plan::Gates { gates, .. } = plan {
                    warnings.extend(self.publish_gates(gates, now).await);
                }
                Ok(Attempt::Applied(Applied {
                    warnings,
                    ..Applied::default()
                }))
            }
            _ => Err(error),
        }
    }

    /// Gate mode: rewrites the state copies that are behind the newest one, when this
    /// pass wrote no state itself (a transition writes every copy anyway). Failures are
    /// warnings; the next pass tries again.
    async fn repair_state_copies(&self, observed: &Observed, plan: &Plan) -> Vec<String> {
        let (Plan::Gates { state: None, .. }, StateObservation::Valid { state, .. }) =
            (plan, &observed.observations.state)
        else {
            return Vec::new();
        };
        let stale: Vec<&str> = observed
            .stale_state_copies
            .iter()
            .map(String::as_str)
            .collect();
        if !stale.is_empty() {
            tracing::info!(
                ?stale,
                sequence = state.sequence,
                "rewriting stale state copies"
            );
        }
        self.write_state_copies(&stale, state).await
    }

    /// Writes `state` into the state holder alarm of each of `regions`, all at once;
    /// returns one message per failed copy.
    async fn write_state_copies(&self, regions: &[&str], state: &EngineState) -> Vec<String> {
        let alarm = StateAlarm {
            name: self.config.state_alarm_name(),
            namespace: self.config.metrics_namespace.clone(),
            description: state.encode(),
        };
        let writes = regions.iter().map(|region| {
            let alarm = &alarm;
            async move {
                self.cloudwatch
                    .put_state_alarm(region, alarm)
                    .await
                    .map_err(|e| format!("state copy in {region} failed: {e}"))
            }
        });
        join_all(writes)
            .await
            .into_iter()
            .filter_map(Result::err)
            .collect()
    }

    /// Waits for INSYNC when asked to, within the configured bound.
    async fn wait_in_sync(&self, change_id: &str) -> Vec<String> {
        let deadline = self.config.wait_in_sync_secs;
        if deadline == 0 {
            return Vec::new();
        }
        let started = Instant::now();
        loop {
            match self.route53.change_in_sync(change_id).await {
                Ok(true) => return Vec::new(),
                Ok(false) => {}
                Err(e) => return vec![format!("GetChange {change_id} failed: {e}")],
            }
            if started.elapsed().as_secs() >= deadline {
                return vec![format!("change {change_id} not INSYNC after {deadline} s")];
            }
            // Route 53 propagates in about 60 s; polling faster only spends quota.
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        }
    }

    /// Publishes the pass's metrics; a failure is returned as a warning, never raised.
    async fn publish_metrics(
        &self,
        decision: &Decision,
        applied: bool,
        conflicts: u32,
        started: Instant,
        now: u64,
    ) -> Option<String> {
        let active = active_after(decision, applied);
        let facts = PassFacts {
            decision,
            applied,
            active_after: active.as_deref(),
            conflicts,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        };
        let data = pass_data(&self.config, &facts, now);
        match self
            .cloudwatch
            .put_metric_data(
                &self.settings.metrics_region,
                &self.config.metrics_namespace,
                &data,
            )
            .await
        {
            Ok(()) => None,
            Err(e) => {
                let warning = format!("metrics not published (next pass catches up): {e}");
                tracing::warn!(%warning);
                Some(warning)
            }
        }
    }
}

/// Where routing is once the decision has (or has not) been applied.
/// An applied transition routes where the state it wrote says (with active-active
/// routing the most preferred region in service: its `to` names the regions in service,
/// or the one returned).
fn active_after(decision: &Decision, applied: bool) -> Option<String> {
    match (
        decision.plan.new_state(),
        applied && decision.is_transition(),
    ) {
        (Some(state), true) => Some(state.active.clone()),
        _ => decision.active.clone(),
    }
}
