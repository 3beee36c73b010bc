//! Races: up to eight watchers (two regions' Lambdas, woken by overlapping ticks and
//! alarm events) and operator commands reconcile the same record at once, in `records`
//! mode, against the faithful in-memory Route 53 (all-or-nothing batches, exact-match
//! DELETE: the compare-and-swap).
//!
//! Interleavings are driven by a seed. Every Route 53 and CloudWatch call goes through a
//! wrapper that, before and after the call, yields to the scheduler a number of times
//! drawn from a seeded xorshift generator. All passes of a step run as one `join_all` on
//! a current-thread runtime, so scheduling depends on nothing but the seed: different
//! seeds give different interleavings, one seed always the same one.
//!
//! Each seed plays the same story (failover, pause and resume, failback, an operator's
//! move and return, a standby failing, both failing, a failover with a pause racing it),
//! with a seed-chosen number of watchers per step and clocks a second or two apart.
//! After every step:
//!
//! * every pass ended cleanly (conflicts are re-read, never `Contended` or an error);
//! * the step recorded exactly the transitions its change of health (or command) calls
//!   for, and routing is where it must be;
//! * no state update was lost: the state's sequence counts every applied change batch,
//!   and the applied states form one chain, each the successor of the one before;
//! * the journal matches that history: one record for each applied state that moved
//!   traffic, with its sequence, from and to, and no other record;
//! * the zone holds one PRIMARY (the state's active region) and one SECONDARY.
//!
//! `make test` runs 200 seeds; `RACE_SEEDS=N` runs more (as `make soak` does) and
//! `RACE_SEED=N` replays one. A failure names its seed.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};

use futures_util::future::join_all;
use regionflip_core::records::region_of_record;
use regionflip_core::{
    ChangeAction, Command, Config, EngineState, FailoverRole, Mode, StateObservation,
};
use regionflip_local_aws::fixtures::*;
use regionflip_local_aws::hooked::{Before, Call, Hook, Hooked, Reply};
use regionflip_local_aws::hooks::Interleaving;
use regionflip_local_aws::journal::MemoryJournal;
use regionflip_local_aws::memory::{MemoryCloudWatch, MemoryRoute53};
use regionflip_watcher::ports::AlarmState;
use regionflip_watcher::{PassError, PassReport, Request, Watcher, WatcherSettings};

/// Seeds `make test` runs.
const DEFAULT_SEEDS: u64 = 200;
/// Most watchers running at once: two regions, each with a tick and alarm events
/// (EventBridge and SNS) overlapping.
const MAX_WATCHERS: u64 = 8;
/// Most yields before or after one call.
const MAX_YIELDS: u64 = 4;

/// Keeps every state an applied change batch wrote, in the order applied. It runs before
/// the interleaving's turns after the call, so nothing runs between an apply and its entry.
#[derive(Debug, Clone)]
struct History {
    state_name: String,
    states: Arc<Mutex<Vec<EngineState>>>,
}

impl Hook for History {
    async fn after(&self, call: &Call<'_>, reply: Reply<'_>) {
        let (Call::ChangeRecords { changes, .. }, Reply::Change(Ok(_))) = (call, reply) else {
            return;
        };
        let created = changes
            .iter()
            .find(|c| c.action == ChangeAction::Create && c.record.name == self.state_name)
            .expect("every batch creates the next state record");
        match StateObservation::from_state_record(created.record.clone()) {
            StateObservation::Valid { state, .. } => self.states.lock().unwrap().push(state),
            other => panic!("a batch wrote an unreadable state: {other:?}"),
        }
    }
}

/// Route 53 with seeded interleaving, keeping the history of applied states.
type RacingRoute53 = Hooked<MemoryRoute53, (History, Interleaving)>;
/// CloudWatch with seeded interleaving.
type RacingCloudWatch = Hooked<MemoryCloudWatch, Interleaving>;

type RacingWatcher = Watcher<RacingRoute53, RacingCloudWatch, MemoryJournal>;

/// The shared world and one watcher per slot (region × wake-up).
struct World {
    config: Config,
    route53: MemoryRoute53,
    cloudwatch: MemoryCloudWatch,
    journal: MemoryJournal,
    history: Arc<Mutex<Vec<EngineState>>>,
    interleaver: Interleaving,
    watchers: Vec<RacingWatcher>,
    /// Transitions recorded before the current step.
    recorded: usize,
    /// Passes run and compare-and-swap conflicts they met, over all steps.
    passes: usize,
    conflicts: u32,
}

impl World {
    fn new(seed: u64) -> World {
        let initial = initialised(Mode::Records);
        let interleaver = Interleaving::new(seed, MAX_YIELDS);
        let history = Arc::new(Mutex::new(vec![EngineState {
            sequence: 1,
            ..EngineState::initial(EAST)
        }]));
        let watchers = (0..MAX_WATCHERS)
            .map(|slot| {
                let history = History {
                    state_name: initial.config().state_record_name(),
                    states: history.clone(),
                };
                Watcher::new(
                    initial.config().clone(),
                    Hooked::new(
                        initial.route53().inner().clone(),
                        (history, interleaver.clone()),
                    ),
                    Hooked::new(initial.cloudwatch().inner().clone(), interleaver.clone()),
                    initial.journal().clone(),
                    // Half run in each region, and publish their metrics there.
                    WatcherSettings::for_region(if slot % 2 == 0 { EAST } else { WEST }),
                )
            })
            .collect();
        World {
            config: initial.config().clone(),
            route53: initial.route53().inner().clone(),
            cloudwatch: initial.cloudwatch().inner().clone(),
            journal: initial.journal().clone(),
            history,
            interleaver,
            watchers,
            recorded: 0,
            passes: 0,
            conflicts: 0,
        }
    }

    fn set_alarm(&self, region: &str, state: AlarmState, since: u64) {
        let name = if region == EAST {
            EAST_ALARM
        } else {
            WEST_ALARM
        };
        self.cloudwatch.set_alarm(region, name, state, since);
    }

    /// Runs, all at once, a seeded number of automatic passes (ticks and alarm events)
    /// and the operator `commands`, each at `now` give or take the watchers' clocks.
    async fn step(&mut self, now: u64, commands: &[Command]) -> Vec<PassReport> {
        // Route 53 publishes HealthCheckStatus every minute: healthy endpoints.
        for check in [EAST_CHECK, WEST_CHECK] {
            endpoint_healthy_between(
                &self.cloudwatch,
                check,
                now.saturating_sub(600),
                now + 2,
                true,
            );
        }
        let automatic = 1 + self.interleaver.below(MAX_WATCHERS);
        let mut requests: Vec<Request> = (0..automatic).map(|_| Request::Automatic).collect();
        // Operators' commands land anywhere among the watchers' passes.
        for command in commands {
            let at = usize::try_from(self.interleaver.below(requests.len() as u64 + 1)).unwrap();
            requests.insert(at, Request::Command(command.clone()));
        }
        let passes = requests.iter().enumerate().map(|(i, request)| {
            let watcher = &self.watchers[i % self.watchers.len()];
            // Lambdas in two regions do not share a clock to the second.
            let clock = now + self.interleaver.below(3);
            async move { (request, watcher.reconcile(request, clock, false).await) }
        });
        let mut reports = Vec::new();
        for (request, result) in join_all(passes).await {
            match result {
                Ok(report) => {
                    self.passes += 1;
                    self.conflicts += report.conflicts;
                    reports.push(report);
                }
                Err(error) => panic!("{request:?} failed: {error}"),
            }
        }
        reports
    }

    /// Asserts the invariants, then that this step recorded `transitions` and routes on
    /// `active`.
    fn check(&mut self, step: &str, transitions: usize, active: &str) {
        let recorded = self.check_invariants(step);
        assert_eq!(
            recorded - self.recorded,
            transitions,
            "{step}: transitions recorded"
        );
        self.recorded = recorded;
        assert_eq!(self.state().active, active, "{step}: active region");
    }

    /// The invariants that hold after every step; returns the transitions recorded.
    fn check_invariants(&self, step: &str) -> usize {
        let history = self.history.lock().unwrap().clone();
        let state = self.state();

        // No state update lost: every applied batch moved the sequence by one, from the
        // state the one before it wrote.
        assert_eq!(
            state.sequence,
            1 + self.route53.applied_changes() as u64,
            "{step}: sequence vs applied batches"
        );
        assert_eq!(
            history.last(),
            Some(&state),
            "{step}: last write is the state"
        );
        for pair in history.windows(2) {
            assert_eq!(
                pair[1].sequence,
                pair[0].sequence + 1,
                "{step}: history {history:#?}"
            );
        }

        // The journal is the history's transitions: one record per applied state that
        // moved traffic, and nothing else.
        let moves: BTreeMap<u64, (String, String)> = history
            .windows(2)
            .filter(|pair| pair[0].active != pair[1].active)
            .map(|pair| {
                (
                    pair[1].sequence,
                    (pair[0].active.clone(), pair[1].active.clone()),
                )
            })
            .collect();
        let records = self.journal.records();
        let journal: BTreeMap<u64, (String, String)> = records
            .iter()
            .map(|r| (r.event.sequence, (r.event.from.clone(), r.event.to.clone())))
            .collect();
        assert_eq!(
            journal.len(),
            records.len(),
            "{step}: a sequence recorded twice"
        );
        assert_eq!(journal, moves, "{step}: journal vs history");

        // One PRIMARY, the state's region, and one SECONDARY, the other.
        let zone = self.route53.records(&self.config.hosted_zone_id);
        let role = |role| {
            let found: Vec<_> = zone.iter().filter(|r| r.failover == Some(role)).collect();
            assert_eq!(found.len(), 1, "{step}: {role:?} records: {zone:#?}");
            region_of_record(&self.config, found[0])
                .unwrap()
                .name
                .clone()
        };
        assert_eq!(role(FailoverRole::Primary), state.active, "{step}: PRIMARY");
        assert_ne!(
            role(FailoverRole::Secondary),
            state.active,
            "{step}: SECONDARY"
        );
        records.len()
    }

    fn state(&self) -> EngineState {
        let record = self
            .route53
            .records(&self.config.hosted_zone_id)
            .into_iter()
            .find(|r| r.name == self.config.state_record_name())
            .unwrap();
        match StateObservation::from_state_record(record) {
            StateObservation::Valid { state, .. } => state,
            other => panic!("state record unreadable: {other:?}"),
        }
    }
}

/// One seed's story. Times are offsets from `T0`; the sample configuration fails back
/// after 300 s of stable health and 300 s of dwell, at most 4 automatic moves an hour.
async fn play(seed: u64) -> (usize, u32) {
    let mut world = World::new(seed);

    // Home fails: every watcher wakes at once; one failover.
    world.set_alarm(EAST, AlarmState::Alarm, T0);
    world.step(T0 + 10, &[]).await;
    world.check("failover", 1, WEST);

    // An operator pauses while ticks run; home recovers; passes while paused change
    // nothing; the operator resumes while ticks run.
    world.step(T0 + 20, &[Command::Pause]).await;
    world.check("pause", 0, WEST);
    assert!(world.state().paused, "pause applied");
    world.set_alarm(EAST, AlarmState::Ok, T0 + 30);
    world.step(T0 + 40, &[]).await;
    world.check("paused", 0, WEST);
    world.step(T0 + 50, &[Command::Resume]).await;
    world.check("resume", 0, WEST);
    assert!(!world.state().paused, "resume applied");

    // Failback waits for the stable window, then happens once.
    world.step(T0 + 200, &[]).await;
    world.check("failback pending", 0, WEST);
    world.step(T0 + 340, &[]).await;
    world.check("failback", 1, EAST);

    // An operator moves traffic while ticks run: one manual move, and the rules do not
    // undo it; the operator's failback brings it home once.
    world
        .step(
            T0 + 400,
            &[Command::FailoverTo {
                region: WEST.into(),
                force: false,
            }],
        )
        .await;
    world.check("operator failover", 1, WEST);
    world.step(T0 + 800, &[]).await;
    world.check("held", 0, WEST);
    world
        .step(T0 + 810, &[Command::Failback { force: false }])
        .await;
    world.check("operator failback", 1, EAST);

    // The standby fails: nothing moves. Both fail: nothing moves (no healthy target).
    world.set_alarm(WEST, AlarmState::Alarm, T0 + 900);
    world.step(T0 + 910, &[]).await;
    world.check("standby fails", 0, EAST);
    world.set_alarm(EAST, AlarmState::Alarm, T0 + 1000);
    world.step(T0 + 1010, &[]).await;
    world.check("both fail", 0, EAST);

    // The standby recovers: one failover.
    world.set_alarm(WEST, AlarmState::Ok, T0 + 1050);
    world.step(T0 + 1100, &[]).await;
    world.check("failover again", 1, WEST);

    // Home recovers and, once eligible, the failback races an operator's pause: either
    // order is correct, and whichever it was, the journal must match the history.
    world.set_alarm(EAST, AlarmState::Ok, T0 + 1150);
    world.step(T0 + 1460, &[Command::Pause]).await;
    let recorded = world.check_invariants("failback racing a pause");
    let moved = recorded - world.recorded;
    assert!(moved <= 1, "failback racing a pause: {moved} transitions");
    assert!(world.state().paused);
    let active = if moved == 1 { EAST } else { WEST };
    world.check("failback racing a pause", moved, active);
    (world.passes, world.conflicts)
}

fn run_seed(seed: u64) -> (usize, u32) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(play(seed))
}

#[test]
fn concurrent_watchers_record_each_transition_exactly_once() {
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    let seeds: Vec<u64> = match env("RACE_SEED") {
        Some(seed) => vec![seed],
        None => (0..env("RACE_SEEDS").unwrap_or(DEFAULT_SEEDS)).collect(),
    };
    let (mut passes, mut conflicts) = (0, 0);
    for &seed in &seeds {
        match std::panic::catch_unwind(AssertUnwindSafe(|| run_seed(seed))) {
            Ok((seed_passes, seed_conflicts)) => {
                passes += seed_passes;
                conflicts += seed_conflicts;
            }
            Err(_) => panic!(
                "seed {seed} failed (see the message above); replay it with \
                 RACE_SEED={seed} cargo test -p regionflip-watcher --test races"
            ),
        }
    }
    println!(
        "{} seeds × up to {MAX_WATCHERS} concurrent watchers: {passes} passes, \
         {conflicts} compare-and-swap conflicts re-read, all invariants held",
        seeds.len()
    );
    // Without conflicts the writers never overlapped, and nothing was tested.
    assert!(
        seeds.len() < 10 || conflicts > 0,
        "no pass met a conflict: the interleavings never overlap a write"
    );
}

/// The seeds really produce different interleavings, and one seed always the same:
/// otherwise the test above would run one schedule many times.
#[test]
fn seeds_drive_the_interleaving() {
    let order_of = |seed: u64| -> Vec<u64> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            let interleaver = Interleaving::new(seed, MAX_YIELDS);
            let order = Arc::new(Mutex::new(Vec::new()));
            let tasks = (0..MAX_WATCHERS).map(|id| {
                let (interleaver, order) = (interleaver.clone(), order.clone());
                async move {
                    for _ in 0..3 {
                        interleaver.shuffle().await;
                        order.lock().unwrap().push(id);
                    }
                }
            });
            join_all(tasks).await;
            order.lock().unwrap().clone()
        })
    };
    assert_eq!(order_of(7), order_of(7));
    let distinct: std::collections::BTreeSet<Vec<u64>> = (0..20).map(order_of).collect();
    assert!(
        distinct.len() > 15,
        "only {} orders from 20 seeds",
        distinct.len()
    );
}

/// A contended pass gives up with `Contended` rather than loop: with every attempt
/// meeting a new write, `max_attempts` bounds the pass (guards the assumption above
/// that conflicts end).
#[test]
fn a_pass_that_keeps_losing_gives_up_after_max_attempts() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let world = World::new(1);
        world.set_alarm(EAST, AlarmState::Alarm, T0);
        for check in [EAST_CHECK, WEST_CHECK] {
            endpoint_healthy_between(&world.cloudwatch, check, T0 - 600, T0 + 10, true);
        }
        // Before each of its writes, another writer rewrites the state (a stream of
        // operator pauses and resumes elsewhere).
        struct Overtaken {
            model: MemoryRoute53,
            config: Config,
        }
        impl Hook for Overtaken {
            async fn before(&self, call: &Call<'_>) -> Before {
                let Call::ChangeRecords { zone, .. } = call else {
                    return Before::Proceed;
                };
                let name = self.config.state_record_name();
                let current = self
                    .model
                    .records(zone)
                    .into_iter()
                    .find(|r| r.name == name)
                    .unwrap();
                let StateObservation::Valid { state, .. } =
                    StateObservation::from_state_record(current)
                else {
                    panic!("valid state expected");
                };
                let next = EngineState {
                    sequence: state.sequence + 1,
                    ..state
                };
                self.model.put_record(
                    zone,
                    regionflip_core::records::state_record(&self.config, &next),
                );
                Before::Proceed
            }
        }
        let base = &world.watchers[0];
        let watcher = Watcher::new(
            base.config().clone(),
            Hooked::new(
                base.route53().clone(),
                Overtaken {
                    model: world.route53.clone(),
                    config: base.config().clone(),
                },
            ),
            base.cloudwatch().clone(),
            base.journal().clone(),
            base.settings().clone(),
        );
        let error = watcher
            .reconcile(&Request::Automatic, T0 + 10, false)
            .await
            .expect_err("always overtaken");
        assert_eq!(error, PassError::Contended(watcher.settings().max_attempts));
        assert!(world.journal.records().is_empty());
    });
}
