//! Races in `health-gate` mode: watchers of both regions pass at once on the same
//! change of health, against the in-memory CloudWatch, which, like CloudWatch, has no
//! conditional write: the last `PutMetricAlarm` of a state copy wins, region by region.
//!
//! This models what AWS does and a lock-step test world does not: EventBridge fires each
//! region's `rate(1 minute)` schedule "within that minute", and an alarm event reaches
//! only its own region's watcher and skips the duty rule, so two watchers can decide the
//! same transition from readings of the same state and both write its sequence, with
//! clocks a second or two apart (so their states differ). Every CloudWatch call yields to
//! a seeded scheduler before and after it (as in `races.rs`), so each seed is one
//! interleaving of reads and writes.
//!
//! After each step, whatever the interleaving:
//!
//! * every pass ends cleanly (a pass that finds the sequence taken re-reads);
//! * the state copies resolve to one state of the expected sequence and region, and a
//!   settling pass leaves every copy equal to it;
//! * the journal as its readers read it (`journal::one_per_sequence`) has exactly one
//!   record of the transition, moving where the state holds, the greatest state recorded
//!   for the sequence (`journal_key`, the order the copies resolve by); the settled
//!   state's own record is among the raw lines;
//! * the raw journal has it at least once (never lost: every writer that wrote records)
//!   and, at most, once per writer. With read/write registers alone two writers cannot
//!   agree on which one records, so exactly-once is the readers' rule; a pass that finds
//!   its sequence taken when it reads again right before writing re-decides instead,
//!   which keeps some races to one line (without that read, none).
//!
//! `make test` runs 200 seeds; `GATE_RACE_SEEDS=N` runs more, `GATE_RACE_SEED=N`
//! replays one. A failure names its seed.

#![allow(clippy::unwrap_used)]

use std::panic::AssertUnwindSafe;

use futures_util::future::join_all;
use regionflip_core::observe::copy_key;
use regionflip_core::{Config, EngineState, Mode, StateObservation};
use regionflip_local_aws::fixtures::*;
use regionflip_local_aws::hooked::Hooked;
use regionflip_local_aws::hooks::Interleaving;
use regionflip_local_aws::journal::MemoryJournal;
use regionflip_local_aws::memory::{MemoryCloudWatch, MemoryRoute53};
use regionflip_watcher::journal::one_per_sequence;
use regionflip_watcher::ports::AlarmState;
use regionflip_watcher::{Request, Watcher, WatcherSettings};

const DEFAULT_SEEDS: u64 = 200;
/// Watchers per step at most: two regions, each with a tick and an alarm event.
const MAX_WATCHERS: u64 = 4;
const MAX_YIELDS: u64 = 4;

type RacingWatcher = Watcher<
    Hooked<MemoryRoute53, Interleaving>,
    Hooked<MemoryCloudWatch, Interleaving>,
    MemoryJournal,
>;

struct World {
    config: Config,
    cloudwatch: MemoryCloudWatch,
    journal: MemoryJournal,
    interleaver: Interleaving,
    watchers: Vec<RacingWatcher>,
}

impl World {
    fn new(seed: u64) -> World {
        let initial = initialised(Mode::HealthGate);
        let interleaver = Interleaving::new(seed, MAX_YIELDS);
        let watchers = (0..MAX_WATCHERS)
            .map(|slot| {
                let region = if slot % 2 == 0 { EAST } else { WEST };
                let mut settings = WatcherSettings::for_region(region);
                settings.runs_in = Some(region.into());
                Watcher::new(
                    initial.config().clone(),
                    Hooked::new(initial.route53().inner().clone(), interleaver.clone()),
                    Hooked::new(initial.cloudwatch().inner().clone(), interleaver.clone()),
                    // Both regions' log groups, read together.
                    initial.journal().clone(),
                    settings,
                )
            })
            .collect();
        World {
            config: initial.config().clone(),
            cloudwatch: initial.cloudwatch().inner().clone(),
            journal: initial.journal().clone(),
            interleaver,
            watchers,
        }
    }

    /// Runs a seeded number (at least two) of alarm-event passes at once, at `now` give
    /// or take the watchers' clocks.
    async fn step(&self, now: u64) {
        for check in [EAST_CHECK, WEST_CHECK] {
            endpoint_healthy_between(
                &self.cloudwatch,
                check,
                now.saturating_sub(900),
                now + 3,
                true,
            );
        }
        let count = 2 + self.interleaver.below(MAX_WATCHERS - 1);
        let passes = (0..count).map(|i| {
            let watcher = &self.watchers[usize::try_from(i).unwrap() % self.watchers.len()];
            let clock = now + self.interleaver.below(3);
            async move { watcher.reconcile(&Request::Automatic, clock, false).await }
        });
        for result in join_all(passes).await {
            if let Err(error) = result {
                panic!("a pass failed: {error}");
            }
        }
    }

    /// The state every reader follows, and whether every copy holds it.
    fn resolved(&self) -> (EngineState, bool) {
        let copies: Vec<(String, Result<Option<String>, String>)> = [EAST, WEST]
            .iter()
            .map(|region| {
                (
                    region.to_string(),
                    Ok(self
                        .cloudwatch
                        .alarm_description(region, &self.config.state_alarm_name())),
                )
            })
            .collect();
        let (observation, behind) = StateObservation::from_copies(&copies);
        match observation {
            StateObservation::Valid { state, .. } => (state, behind.is_empty()),
            other => panic!("the copies do not resolve: {other:?}"),
        }
    }

    /// Checks one step: the state resolves to `sequence` on `active`, the reader's
    /// journal holds exactly one record of it, moving to `active`; returns how many raw
    /// journal lines hold that sequence.
    async fn check(&self, step: &str, sequence: u64, active: &str) -> usize {
        let (state, _) = self.resolved();
        assert_eq!(
            (state.sequence, state.active.as_str()),
            (sequence, active),
            "{step}: the state"
        );
        let records = self.journal.records();
        let read: Vec<_> = one_per_sequence(&records)
            .into_iter()
            .filter(|r| r.event.sequence == sequence)
            .collect();
        assert_eq!(read.len(), 1, "{step}: the journal as read: {records:#?}");
        assert_eq!(read[0].event.to, active, "{step}: the record's move");
        // The state every copy settled on was recorded (never lost), and readers keep the
        // greatest state of the sequence: that one, unless its copies were all overwritten
        // by a lesser one, which no reader of the journal alone can know (a writer whose
        // copies were all overwritten never learns it either: CloudWatch has no
        // conditional write).
        let settled_key = copy_key(&state);
        assert!(
            records
                .iter()
                .any(|r| r.journal_key.as_deref() == Some(settled_key.as_str())),
            "{step}: the settled state's transition is recorded: {records:#?} {state:?}"
        );
        assert!(
            read[0].journal_key.as_deref() >= Some(settled_key.as_str()),
            "{step}: readers keep the greatest state of the sequence: {records:#?}"
        );
        let raw = records
            .iter()
            .filter(|r| r.event.sequence == sequence)
            .count();
        assert!(raw >= 1, "{step}: {raw} raw lines");
        assert!(
            raw <= MAX_WATCHERS as usize,
            "{step}: {raw} raw lines, more than writers"
        );

        // One pass settles: no new transition, every copy the resolved state.
        let before = records.len();
        self.watchers[1]
            .reconcile(
                &Request::Automatic,
                state.last_transition_at.unwrap() + 30,
                false,
            )
            .await
            .unwrap();
        assert_eq!(
            self.journal.records().len(),
            before,
            "{step}: settling records nothing"
        );
        let (settled, every_copy) = self.resolved();
        assert_eq!(settled, state, "{step}: settling keeps the state");
        assert!(every_copy, "{step}: settling rewrites the copies that lost");
        raw
    }
}

/// One seed: home fails and every watcher that wakes fails over; home recovers and,
/// once stable and past the dwell, every watcher that wakes fails back. Returns the
/// raw journal lines of each transition.
async fn play(seed: u64) -> [usize; 2] {
    let world = World::new(seed);
    world
        .cloudwatch
        .set_alarm(EAST, EAST_ALARM, AlarmState::Alarm, T0);
    world.step(T0 + 10).await;
    let failover = world.check("failover", 2, WEST).await;

    world
        .cloudwatch
        .set_alarm(EAST, EAST_ALARM, AlarmState::Ok, T0 + 60);
    world.step(T0 + 700).await;
    let failback = world.check("failback", 3, EAST).await;
    [failover, failback]
}

fn run_seed(seed: u64) -> [usize; 2] {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    match std::panic::catch_unwind(AssertUnwindSafe(|| runtime.block_on(play(seed)))) {
        Ok(raw) => raw,
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("seed {seed} (GATE_RACE_SEED={seed} replays it): {message}");
        }
    }
}

#[test]
fn concurrent_gate_watchers_leave_one_state_and_one_record_per_transition_as_read() {
    let seeds: Vec<u64> = match std::env::var("GATE_RACE_SEED") {
        Ok(one) => vec![one.parse().unwrap()],
        Err(_) => {
            let count = std::env::var("GATE_RACE_SEEDS")
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(DEFAULT_SEEDS);
            (0..count).collect()
        }
    };
    let mut transitions = 0;
    let mut recorded_once = 0;
    for seed in &seeds {
        for raw in run_seed(*seed) {
            transitions += 1;
            recorded_once += usize::from(raw == 1);
        }
    }
    // Every step runs at least two writers: without the read right before writing, every
    // transition would be recorded once per writer (measured: none of 2,000 once).
    if seeds.len() > 1 {
        assert!(
            recorded_once > 0,
            "no race of {transitions} was kept to one writer"
        );
    }
    eprintln!("{recorded_once} of {transitions} transitions recorded once in the raw journal");
}
