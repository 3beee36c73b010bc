//! Property tests of the engine's invariants over random worlds: random set-ups (two or
//! three regions, either mode, either failback mode, guards binding or not, CNAME or
//! alias records), random readings, random remembered state (including corrupt,
//! missing and unreadable state, DNS disagreeing with the state, flips stamped by a
//! clock running slightly ahead), and random operator commands.
//!
//! Readings cover every source of the evidence table: alarms (OK, ALARM, INSUFFICIENT_DATA,
//! unreadable, missing), Route 53's `HealthCheckStatus` (fresh healthy or unhealthy,
//! stale, missing, unreadable, or no check configured), the watcher's probe (healthy,
//! failing, timed out, not reported, or no `health_url`), a region's CloudWatch
//! unreadable, and either `no_data_on_standby`. The properties about where traffic may
//! go judge the readings with their own statement of the rules ([`has_positive_evidence`],
//! [`must_leave`]), not with the engine's verdicts.
//!
//! Random worlds rarely produce what some properties are about (a failover, a pending
//! failback, damping), so those properties draw from generators aimed at their case as
//! well as from random worlds, count how many cases reach their assertion ([`Reach`]),
//! and fail unless at least half do.
//!
//! Case counts follow proptest's defaults (256), so `cargo test` stays fast; set
//! `PROPTEST_CASES=10000` to search harder.

mod common;

use common::{
    Hcs, MIN_REACH, Policy, Probe, REGIONS, Reach, RegionSpec, Setup, Signal, Status, apply,
    config_with, region_observation, region_observation_of, routing_on, stored_state,
};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use regionflip_core::records::state_record;
use regionflip_core::{
    Change, ChangeAction, Command, Config, Decision, EngineState, FailbackMode, Health, Mode,
    NoDataOnStandby, Observations, Outcome, ProbeOutcome, Reason, RecordType, RoutingObservation,
    SignalStatus, StateObservation, TransitionKind, Trigger, decide, decide_command,
};

/// The time around which worlds are generated.
const NOW: u64 = 1_000_000;

#[derive(Debug, Clone)]
struct World {
    setup: Setup,
    policy: Policy,
    /// Readings of regions 0..3 (only the configured ones are used); `None`: not reported.
    regions: Vec<Option<(Status, Signal)>>,
    /// What regions 0..3's other sources say (used for the regions reported).
    extras: Vec<Extra>,
    state: StateSpec,
    now: u64,
}

/// The sources beyond alarms and guards: `HealthCheckStatus` instead of what the
/// [`Status`] says, the watcher's probe, and whether the region's CloudWatch is
/// unreadable. Sources the set-up does not configure are dropped when the world is built.
#[derive(Debug, Clone, Copy, Default)]
struct Extra {
    hcs: Option<Hcs>,
    probe: Option<Probe>,
    cloudwatch_unreadable: bool,
}

/// Extras that leave a region as its [`Status`] says, but for a passing probe when the
/// set-up probes: a region that must stay healthy as a target.
const CLEAN: Extra = Extra {
    hcs: None,
    probe: Some(Probe::Ok),
    cloudwatch_unreadable: false,
};

#[derive(Debug, Clone)]
struct StateSpec {
    active: usize,
    sequence: u64,
    paused: bool,
    hold: bool,
    last: Option<u64>,
    away: Option<u64>,
    flips: Vec<u64>,
    stored: Stored,
    routing: Routing,
}

/// How the state is read.
#[derive(Debug, Clone, Copy)]
enum Stored {
    Valid,
    /// Valid, but remembering another region than DNS routes to.
    OtherRegion(usize),
    Corrupt,
    Missing,
    Unreadable,
}

/// How routing is read (`records` mode).
#[derive(Debug, Clone, Copy)]
enum Routing {
    OnActive,
    OnOther(usize),
    Foreign,
    NoPrimary,
    Unreadable,
}

fn setup() -> impl Strategy<Value = Setup> {
    (
        2usize..=3,
        prop_oneof![Just(Mode::HealthGate), Just(Mode::Records)],
        prop_oneof![3 => Just(FailbackMode::Auto), 1 => Just(FailbackMode::Manual)],
        any::<bool>(),
        prop_oneof![3 => Just(RecordType::Cname), 1 => Just(RecordType::A)],
        (
            prop_oneof![3 => Just(NoDataOnStandby::Idle), 1 => Just(NoDataOnStandby::Unknown)],
            proptest::bool::weighted(0.8),
            proptest::bool::weighted(0.5),
        ),
    )
        .prop_map(
            |(regions, mode, failback, respect_guards, record_type, evidence)| {
                let (no_data_on_standby, health_checks, probes) = evidence;
                Setup {
                    regions,
                    mode,
                    failback,
                    respect_guards,
                    record_type,
                    no_data_on_standby,
                    health_checks,
                    probes,
                }
            },
        )
}

fn policy(max_secs: u64) -> impl Strategy<Value = Policy> {
    (0..=max_secs, 0..=max_secs, 1u32..=5).prop_map(
        |(stable_for_secs, min_dwell_secs, max_flips_per_hour)| Policy {
            stable_for_secs,
            min_dwell_secs,
            max_flips_per_hour,
        },
    )
}

fn status() -> impl Strategy<Value = Status> {
    prop_oneof![
        6 => option::weighted(0.9, NOW - 3000..=NOW + 60).prop_map(Status::Ok),
        2 => Just(Status::Alarm),
        1 => Just(Status::Down),
        1 => Just(Status::Unknown),
        1 => Just(Status::Unreadable),
        1 => Just(Status::NoCheck),
        1 => Just(Status::AlarmAndUnknown),
        2 => option::weighted(0.9, NOW - 3000..=NOW + 60).prop_map(Status::NoData),
        1 => Just(Status::Gone),
    ]
}

fn hcs() -> impl Strategy<Value = Hcs> {
    prop_oneof![
        2 => option::weighted(0.9, NOW - 3000..=NOW + 60).prop_map(Hcs::Ok),
        1 => Just(Hcs::Down),
        1 => Just(Hcs::Stale),
        1 => Just(Hcs::Missing),
        1 => Just(Hcs::Unreadable),
    ]
}

fn probe() -> impl Strategy<Value = Probe> {
    prop_oneof![3 => Just(Probe::Ok), 1 => Just(Probe::Fail), 1 => Just(Probe::Timeout)]
}

fn extra() -> impl Strategy<Value = Extra> {
    (
        option::weighted(0.3, hcs()),
        option::weighted(0.8, probe()),
        proptest::bool::weighted(0.1),
    )
        .prop_map(|(hcs, probe, cloudwatch_unreadable)| Extra {
            hcs,
            probe,
            cloudwatch_unreadable,
        })
}

fn signal() -> impl Strategy<Value = Signal> {
    prop_oneof![4 => Just(Signal::Ok), 1 => Just(Signal::Alarm), 1 => Just(Signal::Unknown)]
}

fn state_spec() -> impl Strategy<Value = StateSpec> {
    let stored = prop_oneof![
        12 => Just(Stored::Valid),
        1 => (0usize..3).prop_map(Stored::OtherRegion),
        1 => Just(Stored::Corrupt),
        1 => Just(Stored::Missing),
        1 => Just(Stored::Unreadable),
    ];
    let routing = prop_oneof![
        12 => Just(Routing::OnActive),
        1 => (0usize..3).prop_map(Routing::OnOther),
        1 => Just(Routing::Foreign),
        1 => Just(Routing::NoPrimary),
        1 => Just(Routing::Unreadable),
    ];
    (
        (
            0usize..3,
            0u64..100_000,
            proptest::bool::weighted(0.15),
            proptest::bool::weighted(0.2),
        ),
        option::of(NOW - 2000..=NOW + 30),
        option::of(NOW - 5000..=NOW),
        // Up to a little ahead of now: another watcher's clock may run ahead of ours.
        vec(NOW - 4000..=NOW + 120, 0..=7),
        stored,
        routing,
    )
        .prop_map(
            |((active, sequence, paused, hold), last, away, mut flips, stored, routing)| {
                flips.sort_unstable();
                StateSpec {
                    active,
                    sequence,
                    paused,
                    hold,
                    last,
                    away,
                    flips,
                    stored,
                    routing,
                }
            },
        )
}

fn world() -> BoxedStrategy<World> {
    (
        setup(),
        policy(900),
        vec(option::weighted(0.9, (status(), signal())), 3),
        vec(extra(), 3),
        state_spec(),
        0u64..=600,
    )
        .prop_map(|(setup, policy, regions, extras, state, dt)| World {
            setup,
            policy,
            regions,
            extras,
            state,
            now: NOW + dt,
        })
        .boxed()
}

/// Worlds where a failback is in question: automation running, traffic on the least
/// preferred region, every region healthy or recovering around now, a recent transition.
fn failback_world() -> BoxedStrategy<World> {
    (
        world(),
        vec(option::of(NOW - 900..=NOW + 60), 3),
        NOW - 900..=NOW,
    )
        .prop_map(|(mut w, since, last)| {
            w.setup.failback = FailbackMode::Auto;
            w.regions = since
                .into_iter()
                .map(|s| Some((Status::Ok(s), Signal::Ok)))
                .collect();
            // HealthCheckStatus, with its history, vouches: a probe alone gives no since.
            w.extras = vec![Extra::default(); 3];
            w.setup.health_checks = true;
            w.state.active = w.setup.regions - 1;
            w.state.paused = false;
            w.state.hold = false;
            w.state.last = Some(last);
            w.state.stored = Stored::Valid;
            w.state.routing = Routing::OnActive;
            w
        })
        .boxed()
}

/// Random worlds, half of them with a failback in question.
fn any_world() -> impl Strategy<Value = World> {
    prop_oneof![world(), failback_world()]
}

fn in_records_mode(mut w: World) -> World {
    w.setup.mode = Mode::Records;
    w
}

// The generators below aim at one case each, for the properties that assert only when it
// occurs. Each starts from a random world, so everything the case does not fix (set-up,
// policy, guards, the other regions' readings, the remembered state) stays random.

/// Automation running on a valid state that DNS agrees with: the rules, not a refusal to
/// trust the readings, decide. The active region is normalised to a configured one.
fn running(mut w: World) -> World {
    w.state.active %= w.setup.regions;
    w.state.paused = false;
    w.state.stored = Stored::Valid;
    w.state.routing = Routing::OnActive;
    w
}

/// A configured region other than the active one, chosen by `pick`.
fn other_than_active(w: &World, pick: usize) -> usize {
    let n = w.setup.regions;
    (w.state.active + 1 + pick % (n - 1)) % n
}

/// Readings that make a region known unhealthy.
fn unhealthy_status() -> impl Strategy<Value = Status> {
    prop_oneof![
        Just(Status::Alarm),
        Just(Status::Down),
        Just(Status::AlarmAndUnknown)
    ]
}

/// Readings that leave a region not known unhealthy: healthy, or unknown in every way
/// the observer can report (`None`: the region missing from the observations).
fn not_unhealthy_reading() -> impl Strategy<Value = Option<(Status, Signal)>> {
    let status = prop_oneof![
        3 => option::weighted(0.9, NOW - 3000..=NOW + 60).prop_map(Status::Ok),
        1 => Just(Status::Unknown),
        1 => Just(Status::Unreadable),
        1 => Just(Status::NoCheck),
    ];
    option::weighted(0.9, (status, signal()))
}

/// A failover in question: the active region known unhealthy (by an alarm, its endpoint
/// check, or — when probed — its CloudWatch unreadable and its probe failing), another
/// region healthy, no recent automatic transition to damp it.
fn failover_world() -> BoxedStrategy<World> {
    (
        world(),
        unhealthy_status(),
        any::<usize>(),
        option::weighted(0.9, NOW - 3000..=NOW + 60),
        proptest::bool::weighted(0.25),
        prop_oneof![Just(Probe::Fail), Just(Probe::Timeout)],
    )
        .prop_map(|(w, failing, pick, since, unreachable, failed_probe)| {
            let mut w = running(w);
            let active = w.state.active;
            let guard = w.regions[active].map_or(Signal::Ok, |(_, guard)| guard);
            if unreachable && w.setup.probes {
                w.regions[active] = Some((Status::Ok(Some(0)), guard));
                w.extras[active] = Extra {
                    hcs: Some(Hcs::Unreadable),
                    probe: Some(failed_probe),
                    cloudwatch_unreadable: true,
                };
            } else {
                w.regions[active] = Some((failing, guard));
                // Readable, so that the failing alarm is what is read; and the endpoint
                // check as the status says.
                w.extras[active].cloudwatch_unreadable = false;
                w.extras[active].hcs = None;
            }
            let target = other_than_active(&w, pick);
            // Its guard OK, so that it can take traffic (guards stay random elsewhere).
            w.regions[target] = Some((Status::Ok(since), Signal::Ok));
            w.extras[target] = CLEAN;
            // Only flips from before the window: they must not count.
            let window_start = w.now - 3600;
            w.state.flips.retain(|t| *t <= window_start);
            w
        })
        .boxed()
}

/// The active region not known unhealthy enough to leave while another region is
/// healthy: a failover would have somewhere to go, and must not happen. The active
/// region's probe may fail (alone it is never a reason to leave), and its CloudWatch may
/// be unreadable while its endpoint answers.
fn not_unhealthy_active_world() -> BoxedStrategy<World> {
    (
        world(),
        not_unhealthy_reading(),
        any::<usize>(),
        option::weighted(0.9, NOW - 3000..=NOW + 60),
        prop_oneof![
            2 => Just(None),
            2 => prop_oneof![Just(Probe::Fail), Just(Probe::Timeout)].prop_map(Some),
            1 => Just(Some(Probe::Ok)),
        ],
        option::weighted(
            0.5,
            prop_oneof![
                Just(Hcs::Ok(Some(0))),
                Just(Hcs::Stale),
                Just(Hcs::Unreadable)
            ],
        ),
        proptest::bool::weighted(0.3),
    )
        .prop_map(
            |(w, reading, pick, since, probe, hcs, cloudwatch_unreadable)| {
                let mut w = running(w);
                let active = w.state.active;
                w.regions[active] = reading;
                let failing_probe = matches!(probe, Some(Probe::Fail | Probe::Timeout));
                w.extras[active] = Extra {
                    hcs,
                    probe,
                    // Unreadable CloudWatch and a failing probe is evidence enough to leave:
                    // not this world's case.
                    cloudwatch_unreadable: cloudwatch_unreadable && !failing_probe,
                };
                let target = other_than_active(&w, pick);
                // Its guard OK, so that it can take traffic (guards stay random elsewhere).
                w.regions[target] = Some((Status::Ok(since), Signal::Ok));
                w.extras[target] = CLEAN;
                w
            },
        )
        .boxed()
}

/// A failback that must wait a known time: traffic on the least preferred region, every
/// region healthy since a known moment, and either the most preferred not yet healthy
/// for `stable_for_secs` or the last transition less than `min_dwell_secs` ago.
fn pending_failback_world() -> BoxedStrategy<World> {
    (
        failback_world(),
        vec(0.0f64..1.0, 3),
        0.0f64..1.0,
        any::<bool>(),
    )
        .prop_map(|(mut w, recency, dwell, wait_for_stability)| {
            let stable = w.policy.stable_for_secs.max(1);
            let min_dwell = w.policy.min_dwell_secs.max(1);
            w.policy.stable_for_secs = stable;
            w.policy.min_dwell_secs = min_dwell;
            let ago = |limit: u64, fraction: f64| (limit as f64 * fraction) as u64;
            w.regions = recency
                .iter()
                .map(|f| {
                    let since = if wait_for_stability {
                        w.now - ago(stable, *f)
                    } else {
                        w.now.saturating_sub(ago(3000, *f) + stable)
                    };
                    Some((Status::Ok(Some(since)), Signal::Ok))
                })
                .collect();
            // HealthCheckStatus, with its history, vouches: a probe would not (no since).
            w.extras = vec![Extra::default(); 3];
            w.setup.health_checks = true;
            if !wait_for_stability {
                w.state.last = Some(w.now - ago(min_dwell, dwell));
            }
            w.state.flips.clear();
            w
        })
        .boxed()
}

/// An automatic failover that flap damping holds back: as [`failover_world`], with at
/// least `max_flips_per_hour` automatic transitions in the last hour (some stamped by a
/// clock running slightly ahead).
fn damped_world() -> BoxedStrategy<World> {
    (failover_world(), vec(-120i64..3600, 7), 0usize..=2)
        .prop_map(|(mut w, ages, extra)| {
            let count = (w.policy.max_flips_per_hour as usize + extra).min(ages.len());
            let mut flips: Vec<u64> = ages[..count]
                .iter()
                .map(|age| w.now.saturating_add_signed(-age))
                .collect();
            flips.sort_unstable();
            w.state.flips = flips;
            w
        })
        .boxed()
}

/// A world and what decides in it: an automatic pass (`None`) or an operator's command.
type Case = (World, Option<Command>);

/// An operator's (unforced) move to a region known healthy, away from one known
/// unhealthy or not.
fn operator_move_case() -> BoxedStrategy<Case> {
    prop_oneof![failover_world(), not_unhealthy_active_world()]
        .prop_map(|w| {
            let n = w.setup.regions;
            let healthy = |i: usize| {
                matches!(w.regions[i], Some((Status::Ok(_), _)))
                    && !w.extras[i].cloudwatch_unreadable
            };
            // Both worlds make some other region healthy; any other will do otherwise.
            let target = (0..n)
                .find(|i| *i != w.state.active && healthy(*i))
                .unwrap_or((w.state.active + 1) % n);
            let command = Command::FailoverTo {
                region: REGIONS[target].1.to_string(),
                force: false,
            };
            (w, Some(command))
        })
        .boxed()
}

/// A pause of running automation, or a resume of paused automation.
fn pause_or_resume_case() -> BoxedStrategy<Case> {
    (world(), any::<bool>())
        .prop_map(|(w, pause)| {
            let mut w = running(w);
            w.state.paused = !pause;
            let command = if pause {
                Command::Pause
            } else {
                Command::Resume
            };
            (w, Some(command))
        })
        .boxed()
}

/// Cases where traffic is likely to move: anything at random, failovers and failbacks in
/// question, and operator moves.
fn moving_case() -> BoxedStrategy<Case> {
    prop_oneof![
        1 => (world(), option::of(command())),
        3 => failover_world().prop_map(|w| (w, None)),
        1 => failback_world().prop_map(|w| (w, None)),
        3 => operator_move_case(),
    ]
    .boxed()
}

/// Cases likely to write the state: moves, pauses and resumes.
fn state_writing_case() -> BoxedStrategy<Case> {
    prop_oneof![3 => moving_case(), 1 => pause_or_resume_case()].boxed()
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        (0usize..4, any::<bool>()).prop_map(|(i, force)| Command::FailoverTo {
            region: REGIONS.get(i).map_or("ap-south-1", |r| r.1).to_string(),
            force,
        }),
        any::<bool>().prop_map(|force| Command::Failback { force }),
        Just(Command::Pause),
        Just(Command::Resume),
    ]
}

fn build(world: &World) -> (Config, Observations) {
    let config = config_with(world.setup, world.policy);
    let n = world.setup.regions;
    let name = |i: usize| REGIONS[i % n].1;
    let regions = (0..n)
        .filter_map(|i| {
            world.regions[i].map(|(status, guard)| {
                let extra = world.extras[i];
                let spec = RegionSpec {
                    status,
                    guard,
                    hcs: extra.hcs.filter(|_| world.setup.health_checks),
                    probe: extra.probe.filter(|_| world.setup.probes),
                    cloudwatch_unreadable: extra.cloudwatch_unreadable,
                };
                region_observation_of(&config, name(i), spec)
            })
        })
        .collect();
    let spec = &world.state;
    let active = name(spec.active);
    let mut state = EngineState {
        sequence: spec.sequence,
        active: active.to_string(),
        last_transition_at: spec.last,
        away_since: spec.away,
        recent_flips: spec.flips.clone(),
        paused: spec.paused,
        hold_failback: spec.hold,
    };
    let stored = match spec.stored {
        Stored::Valid => stored_state(&config, &state),
        Stored::OtherRegion(j) => {
            state.active = name(j).to_string();
            stored_state(&config, &state)
        }
        Stored::Corrupt => match config.mode {
            Mode::Records => {
                let mut record = state_record(&config, &state);
                record.values = vec!["\"regionflip/v1 seq=1 active=\"".into()];
                StateObservation::from_state_record(record)
            }
            Mode::HealthGate => StateObservation::from_text("hello"),
        },
        Stored::Missing => StateObservation::Missing,
        Stored::Unreadable => StateObservation::Unreadable("Throttling".into()),
    };
    let routing = match (config.mode, spec.routing) {
        (Mode::HealthGate, _) => RoutingObservation::Gates,
        (Mode::Records, Routing::OnActive) => routing_on(&config, active),
        (Mode::Records, Routing::OnOther(j)) => routing_on(&config, name(j)),
        (Mode::Records, Routing::Foreign) => match routing_on(&config, active) {
            RoutingObservation::Records(mut records) => {
                let foreign = "api.elsewhere.example.net.".to_string();
                match &mut records[0].alias {
                    Some(alias) => alias.dns_name = foreign,
                    None => records[0].values = vec![foreign],
                }
                RoutingObservation::Records(records)
            }
            other => other,
        },
        (Mode::Records, Routing::NoPrimary) => RoutingObservation::Records(Vec::new()),
        (Mode::Records, Routing::Unreadable) => RoutingObservation::Unreadable("Throttling".into()),
    };
    let observations = Observations {
        regions,
        routing,
        state: stored,
    };
    (config, observations)
}

fn decide_with(config: &Config, obs: &Observations, now: u64, cmd: Option<&Command>) -> Decision {
    match cmd {
        None => decide(config, obs, now, Trigger::EventOrOperator),
        Some(command) => decide_command(config, obs, now, command),
    }
}

/// Whether `region`'s readings show positive evidence that it is healthy now and nothing
/// against it: the rule for a target, restated from the readings for the properties (the
/// evidence table in `observe.rs` is the engine's statement of it). Positive evidence is a
/// fresh healthy `HealthCheckStatus` or a passing probe — or, with no endpoint source
/// configured at all, every alarm OK. Against it: any alarm not OK (INSUFFICIENT_DATA is
/// neither for nor against on a standby with `no_data_on_standby = "idle"`), a CloudWatch
/// that cannot be read, a failing check, a failing or timed-out probe. `active` is where
/// traffic is.
fn has_positive_evidence(
    config: &Config,
    obs: &Observations,
    region: &str,
    active: Option<&str>,
) -> bool {
    let (Some(configured), Some(o)) = (
        config.region(region),
        obs.regions.iter().find(|o| o.region == region),
    ) else {
        return false;
    };
    if o.cloudwatch_unreadable.is_some() {
        return false;
    }
    let idle_allowed = active != Some(region) && config.no_data_on_standby == NoDataOnStandby::Idle;
    let mut every_alarm_ok = !configured.alarms.is_empty();
    for alarm in &configured.alarms {
        match o
            .alarms
            .iter()
            .find(|r| &r.name == alarm)
            .map(|r| &r.status)
        {
            Some(SignalStatus::Ok) => {}
            Some(SignalStatus::NoData) if idle_allowed => every_alarm_ok = false,
            _ => return false,
        }
    }
    let check = configured
        .health_check_id
        .as_ref()
        .and(o.endpoint.as_ref())
        .map(|e| &e.status);
    let probe = o.probe.as_ref().map(|p| &p.outcome);
    if check == Some(&SignalStatus::Failing)
        || matches!(
            probe,
            Some(ProbeOutcome::Failing(_) | ProbeOutcome::TimedOut(_))
        )
    {
        return false;
    }
    let no_endpoint_source = configured.health_check_id.is_none()
        && configured.health_url.is_none()
        && o.probe.is_none();
    check == Some(&SignalStatus::Ok)
        || probe == Some(&ProbeOutcome::Healthy)
        || (no_endpoint_source && every_alarm_ok)
}

/// Whether `region`'s readings are evidence enough that traffic must leave it: an alarm in
/// ALARM, a fresh failing check, or its CloudWatch unreadable while its endpoint fails the
/// watcher's probe and no fresh check says it is healthy. Never a probe alone.
fn must_leave(config: &Config, obs: &Observations, region: &str) -> bool {
    let (Some(configured), Some(o)) = (
        config.region(region),
        obs.regions.iter().find(|o| o.region == region),
    ) else {
        return false;
    };
    let readable = o.cloudwatch_unreadable.is_none();
    let alarm = readable
        && configured.alarms.iter().any(|a| {
            o.alarms
                .iter()
                .any(|r| &r.name == a && r.status == SignalStatus::Failing)
        });
    let check = configured
        .health_check_id
        .as_ref()
        .and(o.endpoint.as_ref())
        .map(|e| &e.status);
    let probe_fails = matches!(
        o.probe.as_ref().map(|p| &p.outcome),
        Some(ProbeOutcome::Failing(_) | ProbeOutcome::TimedOut(_))
    );
    alarm
        || check == Some(&SignalStatus::Failing)
        || (!readable && probe_fails && check != Some(&SignalStatus::Ok))
}

fn health_of(d: &Decision, region: &str) -> Health {
    d.regions
        .iter()
        .find(|h| h.region == region)
        .map_or(Health::Unknown, |h| h.health)
}

fn unforced(command: Command) -> Command {
    match command {
        Command::FailoverTo { region, .. } => Command::FailoverTo {
            region,
            force: false,
        },
        Command::Failback { .. } => Command::Failback { force: false },
        other => other,
    }
}

proptest! {
    #[test]
    fn every_decision_carries_a_reason(w in world(), cmd in option::of(command())) {
        let (config, obs) = build(&w);
        let d = decide_with(&config, &obs, w.now, cmd.as_ref());
        prop_assert!(!d.reasons.is_empty(), "{:?}", d.outcome);
        if let Some(event) = &d.event {
            prop_assert!(!event.reasons.is_empty());
        }
    }

    #[test]
    fn deciding_again_after_applying_the_plan_changes_nothing(w in any_world()) {
        let (config, obs) = build(&w);
        let d = decide(&config, &obs, w.now, Trigger::EventOrOperator);
        let after = apply(&config, &obs, &d);
        let again = decide(&config, &after, w.now, Trigger::EventOrOperator);
        prop_assert!(
            !again.is_transition() && again.plan.new_state().is_none(),
            "first {:?} {:?}, then {:?} {:?}",
            d.outcome, d.reasons, again.outcome, again.reasons
        );
        if config.mode == Mode::Records {
            prop_assert_eq!(&again.plan, &regionflip_core::Plan::Nothing);
        }
    }

    #[test]
    fn the_same_inputs_give_the_same_decision(w in world(), cmd in option::of(command())) {
        let (config, obs) = build(&w);
        let first = decide_with(&config, &obs, w.now, cmd.as_ref());
        let second = decide_with(&config, &obs.clone(), w.now, cmd.as_ref());
        prop_assert_eq!(first, second);
    }
}

// ---------------------------------------------------------------------------------------
// Properties that assert only when some case occurs. Each counts the cases that reach
// its assertion ([`Reach`]) and fails when fewer than [`MIN_REACH`] of them do, so a
// generator that drifts away from the case cannot leave the property checking nothing.

#[test]
fn an_unforced_decision_routes_only_to_a_region_known_healthy() {
    let reach = Reach::default();
    proptest!(|((w, cmd) in moving_case())| {
        let cmd = cmd.map(unforced);
        let (config, obs) = build(&w);
        let d = decide_with(&config, &obs, w.now, cmd.as_ref());
        if let Outcome::Transition { to, .. } = &d.outcome {
            reach.case(true);
            prop_assert_eq!(health_of(&d, to), Health::Healthy, "{:?}", d.reasons);
            prop_assert!(
                has_positive_evidence(&config, &obs, to, d.active.as_deref()),
                "moved onto {} without positive evidence that it is healthy now: {:?} {:?}",
                to, d.reasons, obs.regions
            );
        } else {
            reach.case(false);
        }
    });
    reach.assert_at_least(
        MIN_REACH,
        "an_unforced_decision_routes_only_to_a_region_known_healthy",
    );
}

#[test]
fn a_region_that_is_not_known_unhealthy_is_never_failed_over_from() {
    let reach = Reach::default();
    let worlds = prop_oneof![1 => world(), 3 => not_unhealthy_active_world()];
    proptest!(|(w in worlds)| {
        let (config, obs) = build(&w);
        let d = decide(&config, &obs, w.now, Trigger::EventOrOperator);
        let failed_over = matches!(
            d.outcome,
            Outcome::Transition { kind: TransitionKind::Failover, .. }
        );
        // The case in question: the readings of the active region are not evidence
        // enough to leave it (at most its probe fails, or its CloudWatch cannot be read
        // while its endpoint answers), and a failover would have somewhere to go.
        let tempted = d.active.as_deref().is_some_and(|active| {
            !must_leave(&config, &obs, active)
                && config.regions.iter().any(|r| {
                    r.name != active
                        && has_positive_evidence(&config, &obs, &r.name, Some(active))
                })
        });
        if reach.case(tempted) {
            prop_assert!(!failed_over, "failed over from a region not known unhealthy: {:?}", d.reasons);
        }
        if let Outcome::Transition { kind: TransitionKind::Failover, from, .. } = &d.outcome {
            prop_assert!(must_leave(&config, &obs, from), "{:?} {:?}", d.reasons, obs.regions);
            let left = d.regions.iter().find(|h| &h.region == from).map(|h| h.as_active.health);
            prop_assert_eq!(left, Some(Health::Unhealthy), "{:?}", d.reasons);
        }
    });
    reach.assert_at_least(
        MIN_REACH,
        "a_region_that_is_not_known_unhealthy_is_never_failed_over_from",
    );
}

/// The active region healthy by every source but the watcher's own probe, which fails or
/// times out; another region healthy as a target.
fn failing_probe_world() -> BoxedStrategy<World> {
    (
        not_unhealthy_active_world(),
        prop_oneof![Just(Probe::Fail), Just(Probe::Timeout)],
        option::weighted(
            0.5,
            prop_oneof![Just(Hcs::Ok(Some(0))), Just(Hcs::Stale), Just(Hcs::Missing)],
        ),
    )
        .prop_map(|(mut w, probe, hcs)| {
            w.setup.probes = true;
            let active = w.state.active;
            let guard = w.regions[active].map_or(Signal::Ok, |(_, guard)| guard);
            w.regions[active] = Some((Status::Ok(Some(0)), guard));
            w.extras[active] = Extra {
                hcs,
                probe: Some(probe),
                cloudwatch_unreadable: false,
            };
            w
        })
        .boxed()
}

#[test]
fn a_failing_probe_alone_never_makes_the_active_region_leave() {
    let reach = Reach::default();
    let worlds = prop_oneof![1 => world(), 3 => failing_probe_world()];
    proptest!(|(w in worlds)| {
        let (config, obs) = build(&w);
        let d = decide(&config, &obs, w.now, Trigger::EventOrOperator);
        // The case in question: automation decides, and the active region's probe fails
        // while its CloudWatch reads and nothing else fails.
        let probe_alone = d.active.as_deref().is_some_and(|active| {
            let o = obs.regions.iter().find(|o| o.region == active);
            let probe_fails = o.and_then(|o| o.probe.as_ref()).is_some_and(|p| {
                matches!(p.outcome, ProbeOutcome::Failing(_) | ProbeOutcome::TimedOut(_))
            });
            let readable = o.is_some_and(|o| o.cloudwatch_unreadable.is_none());
            let paused = d.reasons.iter().any(|r| matches!(r, Reason::Paused));
            probe_fails && readable && !paused && !must_leave(&config, &obs, active)
        });
        if reach.case(probe_alone) {
            let failed_over = matches!(
                d.outcome,
                Outcome::Transition { kind: TransitionKind::Failover, .. }
            );
            prop_assert!(!failed_over, "a failing probe alone moved traffic: {:?}", d.reasons);
            prop_assert!(
                d.reasons.iter().any(|r| matches!(r, Reason::ActiveSuspect { .. })),
                "the decision says the active region is suspect: {:?}",
                d.reasons
            );
        }
    });
    reach.assert_at_least(
        MIN_REACH,
        "a_failing_probe_alone_never_makes_the_active_region_leave",
    );
}

#[test]
fn every_change_batch_starts_with_the_compare_and_swap_on_the_observed_state() {
    let reach = Reach::default();
    let cases = state_writing_case().prop_map(|(w, cmd)| (in_records_mode(w), cmd));
    proptest!(|((w, cmd) in cases)| {
        let (config, obs) = build(&w);
        let d = decide_with(&config, &obs, w.now, cmd.as_ref());
        let regionflip_core::Plan::ChangeBatch { changes, new_state } = &d.plan else {
            reach.case(false);
            return Ok(());
        };
        reach.case(true);
        let observed = obs.state.record().cloned();
        prop_assert!(observed.is_some(), "a batch without a precondition: {:?}", changes);
        let observed = observed.expect("checked above");
        prop_assert_eq!(
            &changes[0],
            &Change { action: ChangeAction::Delete, record: observed }
        );
        prop_assert_eq!(
            &changes[1],
            &Change { action: ChangeAction::Create, record: state_record(&config, new_state) }
        );
        let state_name = config.state_record_name();
        for change in &changes[2..] {
            prop_assert_ne!(&change.record.name, &state_name);
            prop_assert_eq!(change.action, ChangeAction::Upsert);
        }
    });
    reach.assert_at_least(
        MIN_REACH,
        "every_change_batch_starts_with_the_compare_and_swap_on_the_observed_state",
    );
}

#[test]
fn every_state_written_reads_back_unchanged() {
    let reach = Reach::default();
    proptest!(|((w, cmd) in state_writing_case())| {
        let (config, obs) = build(&w);
        let d = decide_with(&config, &obs, w.now, cmd.as_ref());
        let Some(state) = d.plan.new_state() else {
            reach.case(false);
            return Ok(());
        };
        reach.case(true);
        prop_assert_eq!(EngineState::decode(&state.encode()), Ok(state.clone()));
        let strings = state.to_txt_strings();
        prop_assert!(strings.iter().all(|s| s.len() <= 255));
        prop_assert_eq!(EngineState::from_txt_strings(&strings), Ok(state.clone()));
    });
    reach.assert_at_least(MIN_REACH, "every_state_written_reads_back_unchanged");
}

#[test]
fn no_automatic_transition_happens_before_the_reported_eligible_time() {
    let reach = Reach::default();
    let worlds = prop_oneof![1 => any_world(), 2 => pending_failback_world(), 1 => damped_world()];
    proptest!(|(w in worlds, fraction in 0.0f64..1.0)| {
        let (config, obs) = build(&w);
        let d = decide(&config, &obs, w.now, Trigger::EventOrOperator);
        let (false, Some(at)) = (d.is_transition(), d.eligible_at()) else {
            reach.case(false);
            return Ok(());
        };
        reach.case(true);
        prop_assert!(at > w.now, "eligible at {} is not after now {}", at, w.now);
        let between = w.now + ((at - w.now) as f64 * fraction) as u64;
        for probe in [between, at - 1] {
            let early = decide(&config, &obs, probe, Trigger::EventOrOperator);
            prop_assert!(
                !early.is_transition(),
                "promised {} at {}, but at {}: {:?}",
                at, w.now, probe, early.reasons
            );
        }
    });
    reach.assert_at_least(
        MIN_REACH,
        "no_automatic_transition_happens_before_the_reported_eligible_time",
    );
}

#[test]
fn a_pending_failback_is_no_longer_pending_at_its_eligible_time() {
    let reach = Reach::default();
    let worlds = prop_oneof![1 => any_world(), 3 => pending_failback_world()];
    proptest!(|(w in worlds)| {
        let (config, obs) = build(&w);
        let d = decide(&config, &obs, w.now, Trigger::EventOrOperator);
        let pending: Vec<(&String, u64)> = d
            .reasons
            .iter()
            .filter_map(|reason| match reason {
                Reason::FailbackPending { region, eligible_at: Some(at), .. } => Some((region, *at)),
                _ => None,
            })
            .collect();
        reach.case(!pending.is_empty());
        for (region, at) in pending {
            let then = decide(&config, &obs, at, Trigger::EventOrOperator);
            let still = then.reasons.iter().find(|r| {
                matches!(r, Reason::FailbackPending { region: again, .. } if again == region)
            });
            prop_assert!(still.is_none(), "pending until {} at {}, then {:?}", at, w.now, still);
        }
    });
    reach.assert_at_least(
        MIN_REACH,
        "a_pending_failback_is_no_longer_pending_at_its_eligible_time",
    );
}

#[test]
fn damping_lifts_at_its_eligible_time() {
    let reach = Reach::default();
    let worlds = prop_oneof![1 => any_world(), 3 => damped_world()];
    proptest!(|(w in worlds)| {
        let (config, obs) = build(&w);
        let d = decide(&config, &obs, w.now, Trigger::EventOrOperator);
        let damped: Vec<(&Reason, u64)> = d
            .reasons
            .iter()
            .filter_map(|reason| match reason {
                Reason::Damped { eligible_at, .. } => Some((reason, *eligible_at)),
                _ => None,
            })
            .collect();
        reach.case(!damped.is_empty());
        for (reason, eligible_at) in damped {
            let then = decide(&config, &obs, eligible_at, Trigger::EventOrOperator);
            let still = then.reasons.iter().find(|r| matches!(r, Reason::Damped { .. }));
            prop_assert!(still.is_none(), "{:?} at {}, then {:?}", reason, w.now, still);
        }
    });
    reach.assert_at_least(MIN_REACH, "damping_lifts_at_its_eligible_time");
}

// ---------------------------------------------------------------------------------------
// Flap damping over time.

/// One step of a simulation: how long after the previous one, and each region's state
/// (0 OK, 1 ALARM, 2 INSUFFICIENT_DATA).
type Step = (u64, Vec<u8>);

fn steps() -> impl Strategy<Value = Vec<Step>> {
    let health = || prop_oneof![5 => Just(0u8), 4 => Just(1u8), 1 => Just(2u8)];
    prop_oneof![
        vec((1u64..=900, vec(health(), 3)), 1..80),
        // Flapping: many changes of health within the hour, so the limit bites.
        vec((1u64..=300, vec(health(), 3)), 20..80),
    ]
}

/// The damping property reaches its point when the limit bites: some automatic transition
/// of the run was damped.
#[test]
fn automatic_transitions_never_exceed_max_flips_in_any_rolling_hour() {
    let reach = Reach::default();
    proptest!(|(setup in setup(), policy in policy(300), steps in steps())| {
        let config = config_with(setup, policy);
        let n = setup.regions;
        let mut t = NOW;
        let mut healthy_since: Vec<Option<u64>> = vec![Some(0); n];
        let mut obs = Observations {
            regions: Vec::new(),
            routing: routing_on(&config, REGIONS[0].1),
            state: stored_state(&config, &EngineState::initial(REGIONS[0].1)),
        };
        let mut flips: Vec<u64> = Vec::new();
        let mut damped = false;
        for (dt, health) in &steps {
            t += dt;
            obs.regions = (0..n)
                .map(|i| {
                    let status = match health[i] {
                        0 => {
                            let since = *healthy_since[i].get_or_insert(t);
                            Status::Ok(Some(since))
                        }
                        h => {
                            healthy_since[i] = None;
                            if h == 1 { Status::Alarm } else { Status::Unknown }
                        }
                    };
                    region_observation(&config, REGIONS[i].1, status, Signal::Ok)
                })
                .collect();
            let d = decide(&config, &obs, t, Trigger::EventOrOperator);
            if let Outcome::Transition { to, .. } = &d.outcome {
                prop_assert_eq!(health_of(&d, to), Health::Healthy);
                flips.push(t);
            }
            damped |= d.reasons.iter().any(|r| matches!(r, Reason::Damped { .. }));
            obs = apply(&config, &obs, &d);
        }
        reach.case(damped);
        let limit = policy.max_flips_per_hour as usize;
        for (i, start) in flips.iter().enumerate() {
            let in_hour = flips[i..].iter().take_while(|f| **f < start + 3600).count();
            prop_assert!(
                in_hour <= limit,
                "{} automatic transitions in the hour from {} (limit {}): {:?}",
                in_hour, start, limit, flips
            );
        }
    });
    reach.assert_at_least(
        MIN_REACH,
        "automatic_transitions_never_exceed_max_flips_in_any_rolling_hour",
    );
}
