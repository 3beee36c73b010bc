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
    /// The state as a newer regionflip would write it (`regionflip/v2`), paused.
    NewerVersion,
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
    (
        0..=max_secs,
        0..=max_secs,
        1u32..=5,
        prop_oneof![2 => Just(0), 1 => 0..=2 * max_secs],
    )
        .prop_map(
            |(stable_for_secs, min_dwell_secs, max_flips_per_hour, horizon_secs)| Policy {
                stable_for_secs,
                min_dwell_secs,
                max_flips_per_hour,
                horizon_secs,
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
        1 => Just(Stored::NewerVersion),
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

/// At least `max_flips_per_hour` automatic transitions in the last hour of `w` (some
/// stamped by a clock running slightly ahead).
fn with_spent_damping(mut w: World, ages: &[i64], extra: usize) -> World {
    let count = (w.policy.max_flips_per_hour as usize + extra).min(ages.len());
    let mut flips: Vec<u64> = ages[..count]
        .iter()
        .map(|age| w.now.saturating_add_signed(-age))
        .collect();
    flips.sort_unstable();
    w.state.flips = flips;
    w
}

/// An automatic failback that flap damping holds back: as [`failback_world`], every
/// region stable, the dwell passed, with the damping budget spent.
fn damped_world() -> BoxedStrategy<World> {
    (failback_world(), vec(-120i64..3600, 7), 0usize..=2)
        .prop_map(|(mut w, ages, extra)| {
            w.regions = vec![Some((Status::Ok(Some(0)), Signal::Ok)); 3];
            w.state.last = Some(w.now.saturating_sub(w.policy.min_dwell_secs));
            with_spent_damping(w, &ages, extra)
        })
        .boxed()
}

/// A failover that the old damping held back (issue 13 #7): as [`failover_world`], with
/// the damping budget spent.
fn spent_failover_world() -> BoxedStrategy<World> {
    (failover_world(), vec(-120i64..3600, 7), 0usize..=2)
        .prop_map(|(w, ages, extra)| with_spent_damping(w, &ages, extra))
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
        out_of_service: Vec::new(),
        region_flips: Vec::new(),
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
        Stored::NewerVersion => {
            let text = EngineState {
                paused: true,
                ..state.clone()
            }
            .encode()
            .replace("regionflip/v1", "regionflip/v2");
            match config.mode {
                Mode::Records => {
                    let mut record = state_record(&config, &state);
                    record.values = vec![regionflip_core::records::quote_txt(&[text])];
                    StateObservation::from_state_record(record)
                }
                Mode::HealthGate => StateObservation::from_text(&text),
            }
        }
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
        // The state record as read is deleted; with none read — only an operator command
        // replacing a missing or unreadable state (rule 1c) — the CREATE is the
        // precondition: Route 53 refuses it if a state record exists.
        let create_at = match obs.state.record().cloned() {
            Some(observed) => {
                prop_assert_eq!(
                    &changes[0],
                    &Change { action: ChangeAction::Delete, record: observed }
                );
                1
            }
            None => {
                prop_assert!(
                    cmd.is_some()
                        && matches!(obs.state, StateObservation::Missing | StateObservation::Unreadable(_)),
                    "a batch without a precondition: {:?}", changes
                );
                0
            }
        };
        prop_assert_eq!(
            &changes[create_at],
            &Change { action: ChangeAction::Create, record: state_record(&config, new_state) }
        );
        let state_name = config.state_record_name();
        for change in &changes[create_at + 1..] {
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
    // Home flapping while the others stay OK: failovers away from it and failbacks onto
    // it in turn, the failbacks being what damping may hold.
    let home_flaps = || prop_oneof![3 => Just(vec![0u8, 0, 0]), 1 => Just(vec![1u8, 0, 0])];
    prop_oneof![
        1 => vec((1u64..=900, vec(health(), 3)), 1..80),
        // Flapping: many changes of health within the hour, so the limit bites.
        1 => vec((1u64..=300, vec(health(), 3)), 20..80),
        3 => vec((1u64..=120, home_flaps()), 30..80),
    ]
}

/// Damping limits optional moves only (issue 13 #7): no automatic *failback* happens
/// while the automatic transitions of the rolling hour, itself included, would exceed
/// `max_flips_per_hour`; a failover away from a region known unhealthy may go beyond it
/// (the next property). So over a run, every hour that exceeds the limit does so by
/// failovers alone, and every move is onto a region known healthy. The property reaches
/// its point when the limit bites: some automatic transition of the run was damped.
///
/// Was `automatic_transitions_never_exceed_max_flips_in_any_rolling_hour`, which held
/// failovers to the limit too: the behaviour issue 13 #7 calls a bug.
#[test]
fn automatic_failbacks_never_exceed_max_flips_in_any_rolling_hour() {
    let reach = Reach::default();
    proptest!(|(setup in setup(), policy in policy(120), steps in steps())| {
        // Manual failback has no automatic failback for damping to hold.
        let setup = Setup { failback: FailbackMode::Auto, ..setup };
        let config = config_with(setup, policy);
        let n = setup.regions;
        let mut t = NOW;
        let mut healthy_since: Vec<Option<u64>> = vec![Some(0); n];
        let mut obs = Observations {
            regions: Vec::new(),
            routing: routing_on(&config, REGIONS[0].1),
            state: stored_state(&config, &EngineState::initial(REGIONS[0].1)),
        };
        let mut flips: Vec<(u64, TransitionKind)> = Vec::new();
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
            if let Outcome::Transition { to, kind, .. } = &d.outcome {
                prop_assert_eq!(health_of(&d, to), Health::Healthy);
                flips.push((t, *kind));
            }
            damped |= d.reasons.iter().any(|r| matches!(r, Reason::Damped { .. }));
            obs = apply(&config, &obs, &d);
        }
        reach.case(damped);
        let limit = policy.max_flips_per_hour as usize;
        for (i, (at, kind)) in flips.iter().enumerate() {
            if *kind != TransitionKind::Failback {
                continue;
            }
            // The transitions of the hour ending with this failback, itself included.
            let in_hour = flips[..=i].iter().filter(|(f, _)| f + 3600 > *at).count();
            prop_assert!(
                in_hour <= limit,
                "a failback at {} made {} automatic transitions in the hour (limit {}): {:?}",
                at, in_hour, limit, flips
            );
        }
    });
    reach.assert_at_least(
        MIN_REACH,
        "automatic_failbacks_never_exceed_max_flips_in_any_rolling_hour",
    );
}

/// Issue 13 #7: a failover from an active region known unhealthy to a target known
/// healthy is never damped, whatever the flips of the hour: it happens, is counted in
/// the state's flips, and says damping was overridden when the budget was spent.
#[test]
fn a_failover_from_a_known_unhealthy_active_to_a_known_healthy_target_is_never_damped() {
    let reach = Reach::default();
    let worlds = prop_oneof![1 => any_world(), 3 => spent_failover_world()];
    proptest!(|(w in worlds)| {
        let (config, obs) = build(&w);
        let d = decide(&config, &obs, w.now, Trigger::EventOrOperator);
        // The case: automation decides on the readings (not paused), the active region
        // must be left and some other region is a target with positive evidence.
        let case = d.active.as_deref().is_some_and(|active| {
            let paused = d.reasons.iter().any(|r| matches!(r, Reason::Paused));
            let target = d.regions.iter().any(|h| {
                h.region != active
                    && h.health == Health::Healthy
                    && (h.blocking_guard.is_none() || !config.failover_respects_guards)
            });
            !paused && must_leave(&config, &obs, active) && target
        });
        if reach.case(case) {
            prop_assert!(
                !d.reasons.iter().any(|r| matches!(r, Reason::Damped { .. })),
                "damped: {:?}", d.reasons
            );
            let Outcome::Transition { kind: TransitionKind::Failover, to, .. } = &d.outcome else {
                return Err(TestCaseError::fail(format!("no failover: {:?}", d.reasons)));
            };
            prop_assert!(has_positive_evidence(&config, &obs, to, d.active.as_deref()));
            let state = d.plan.new_state().expect("a transition writes the state");
            prop_assert!(state.recent_flips.contains(&w.now), "not counted: {:?}", state);
            let window = state.recent_flips.iter().filter(|f| **f + 3600 > w.now).count();
            let overridden = d.reasons.iter().any(|r| matches!(r, Reason::DampingOverridden { .. }));
            prop_assert_eq!(
                overridden,
                window > config.failback.max_flips_per_hour as usize,
                "{:?}", d.reasons
            );
        }
    });
    reach.assert_at_least(
        MIN_REACH,
        "a_failover_from_a_known_unhealthy_active_to_a_known_healthy_target_is_never_damped",
    );
}

// ---------------------------------------------------------------------------------------
// States that cannot be followed, forced commands, the failover pair, failback detours
// and state copies (issue 13 #3, #4, #8, #9; issue 14 #6).

/// Worlds whose state cannot be followed: corrupt, a newer version's (paused), missing
/// or unreadable.
fn untrusted_world() -> BoxedStrategy<World> {
    (
        world(),
        prop_oneof![
            Just(Stored::Corrupt),
            Just(Stored::NewerVersion),
            Just(Stored::Missing),
            Just(Stored::Unreadable),
        ],
    )
        .prop_map(|(mut w, stored)| {
            w.state.stored = stored;
            w
        })
        .boxed()
}

/// Issue 13 #3: an automatic pass on a state it cannot follow — its pause flag may say
/// "paused" — changes nothing at all: no transition, no state write, no gate published,
/// whatever woke it.
#[test]
fn an_automatic_pass_never_acts_on_a_state_it_cannot_follow() {
    proptest!(|(w in untrusted_world(), tick_in in option::of(0usize..3))| {
        let (config, obs) = build(&w);
        let trigger = match tick_in {
            Some(i) => Trigger::WatcherTick { region: REGIONS[i % w.setup.regions].1 },
            None => Trigger::EventOrOperator,
        };
        let d = decide(&config, &obs, w.now, trigger);
        prop_assert_eq!(&d.outcome, &Outcome::NoChange, "{:?}", d.reasons);
        prop_assert_eq!(&d.plan, &regionflip_core::Plan::Nothing, "{:?}", d.reasons);
        prop_assert!(d.event.is_none());
    });
}

/// Every sequence the observations show: the state's, or what is legible in a state
/// that does not parse.
fn sequences_seen(obs: &Observations) -> Option<u64> {
    match &obs.state {
        StateObservation::Valid { state, .. } => Some(state.sequence),
        StateObservation::Corrupt { legible, .. } => legible.sequence,
        StateObservation::Missing | StateObservation::Unreadable(_) => None,
    }
}

/// Issue 13 #8: a forced move is the last resort and always acts — on a corrupt, a newer
/// version's, a missing or an unreadable state, with the routing unreadable or pointing
/// nowhere — unless traffic already is where it asks (on a state that can be followed).
/// Its state's sequence is above any seen, and never below the clock when the state could
/// not be followed; its reasons say it was forced.
#[test]
fn a_forced_move_always_acts_with_a_sequence_above_any_seen() {
    let reach = Reach::default();
    let worlds = prop_oneof![1 => world(), 2 => untrusted_world()];
    proptest!(|(w in worlds, target in 0usize..3, failback in any::<bool>())| {
        let (config, obs) = build(&w);
        let command = if failback {
            Command::Failback { force: true }
        } else {
            Command::FailoverTo { region: REGIONS[target % w.setup.regions].1.into(), force: true }
        };
        let d = decide_command(&config, &obs, w.now, &command);
        if d.outcome == Outcome::Refused {
            reach.case(false);
            let trusted = matches!(obs.state, StateObservation::Valid { .. });
            prop_assert!(
                trusted && d.reasons.iter().any(|r| r.to_string().contains("already")),
                "a forced {:?} was refused: {:?}", command, d.reasons
            );
            return Ok(());
        }
        reach.case(true);
        prop_assert!(d.reasons.iter().any(|r| matches!(r, Reason::Forced { .. })), "{:?}", d.reasons);
        let written = d.plan.new_state().expect("a forced move writes the state");
        if let Some(seen) = sequences_seen(&obs) {
            prop_assert!(written.sequence > seen, "{} after {}", written.sequence, seen);
        }
        if !matches!(obs.state, StateObservation::Valid { ref state, .. } if config.region(&state.active).is_some()) {
            prop_assert!(written.sequence >= w.now, "{} below the clock", written.sequence);
            prop_assert!(d.reasons.iter().any(|r| matches!(r, Reason::StateReplaced { .. })), "{:?}", d.reasons);
        }
        // Applied, it is what the next pass reads (the state parses, the copy wins).
        let after = apply(&config, &obs, &d);
        let is_valid = matches!(&after.state, StateObservation::Valid { state, .. } if state == written);
        prop_assert!(is_valid, "{:?}", after.state);
    });
    reach.assert_at_least(
        MIN_REACH,
        "a_forced_move_always_acts_with_a_sequence_above_any_seen",
    );
}

/// A hand edit of the failover pair (`records` mode).
#[derive(Debug, Clone, Copy)]
enum Edit {
    Ttl(u32),
    NoHealthCheck,
    SecondaryOnActive,
    NoSecondary,
    PrimaryRole,
}

/// Issue 13 #4: while automation runs on a state it can follow, a hand-edited pair is
/// reported (a `PairDrift` reason naming the record and field) and repaired in the same
/// compare-and-swap batch as a new state; applied, the pair is what regionflip writes and
/// the next pass finds nothing to repair. Never a record under another name, never a
/// change that is not an UPSERT of the pair after the state's CAS.
#[test]
fn a_drifted_pair_is_reported_and_repaired_in_the_state_batch() {
    let edits = prop_oneof![
        (61u32..=86_400).prop_map(Edit::Ttl),
        Just(Edit::NoHealthCheck),
        Just(Edit::SecondaryOnActive),
        Just(Edit::NoSecondary),
        Just(Edit::PrimaryRole),
    ];
    proptest!(|(w in world(), edit in edits)| {
        let mut w = running(in_records_mode(w));
        w.setup.record_type = RecordType::Cname;
        w.setup.health_checks = true;
        let (config, mut obs) = build(&w);
        let RoutingObservation::Records(records) = &mut obs.routing else {
            unreachable!("records mode")
        };
        let active = REGIONS[w.state.active].1;
        match edit {
            Edit::Ttl(ttl) => records[0].ttl = Some(ttl),
            Edit::NoHealthCheck => records[0].health_check_id = None,
            Edit::SecondaryOnActive => {
                let on = config.region(active).expect("configured");
                records[1] = regionflip_core::records::failover_record(
                    &config, on, regionflip_core::FailoverRole::Secondary,
                );
            }
            Edit::NoSecondary => {
                records.pop();
            }
            Edit::PrimaryRole => records[1].failover = None,
        }
        let d = decide(&config, &obs, w.now, Trigger::EventOrOperator);
        let drift = d.pair_drift();
        prop_assert!(!drift.is_empty(), "{:?} not reported: {:?}", edit, d.reasons);
        let regionflip_core::Plan::ChangeBatch { changes, .. } = &d.plan else {
            return Err(TestCaseError::fail(format!("{edit:?} not repaired: {:?} {:?}", d.plan, d.reasons)));
        };
        prop_assert_eq!(changes[0].action, ChangeAction::Delete);
        for change in &changes[2..] {
            prop_assert_eq!(change.action, ChangeAction::Upsert);
            prop_assert_eq!(&change.record.name, &config.record_name);
        }
        let after = apply(&config, &obs, &d);
        let again = decide(&config, &after, w.now, Trigger::EventOrOperator);
        prop_assert!(again.pair_drift().is_empty(), "{:?}", again.reasons);
    });
}

/// Issue 13 #9: a failback never goes to a region while a region preferred above it is a
/// candidate (healthy since a known time, its guard OK) that will be eligible within the
/// horizon, `max(horizon_secs, min_dwell_secs)`: no avoidable double hop.
#[test]
fn a_failback_never_detours_when_a_more_preferred_region_is_within_the_horizon() {
    let reach = Reach::default();
    // Three regions, traffic on the third; the second stable for long; home recovering
    // (maybe stable, maybe within the horizon, maybe beyond), guarded or of unknown since
    // now and then; the dwell mostly passed.
    let detour = (
        failback_world(),
        prop_oneof![4 => (0.0f64..2.0).prop_map(Some), 1 => Just(None)],
        proptest::bool::weighted(0.15),
        option::weighted(0.8, 0.9f64..3.0),
    )
        .prop_map(|(mut w, recovered, guarded, last)| {
            w.setup.regions = 3;
            w.state.active = 2;
            let stable = w.policy.stable_for_secs;
            let since = recovered.map(|f| w.now - (stable as f64 * f) as u64);
            let guard = if guarded { Signal::Alarm } else { Signal::Ok };
            w.regions = vec![
                Some((Status::Ok(since), guard)),
                Some((Status::Ok(Some(0)), Signal::Ok)),
                Some((Status::Ok(Some(0)), Signal::Ok)),
            ];
            w.state.last = last.map(|f| {
                w.now
                    .saturating_sub((w.policy.min_dwell_secs as f64 * f) as u64)
            });
            w.state.flips.clear();
            w
        });
    let worlds = prop_oneof![1 => failback_world().prop_map(|mut w| {
        w.setup.regions = 3;
        w.state.active = 2;
        w
    }), 3 => detour];
    proptest!(|(w in worlds)| {
        let (config, obs) = build(&w);
        let d = decide(&config, &obs, w.now, Trigger::EventOrOperator);
        let Outcome::Transition { kind: TransitionKind::Failback, to, .. } = &d.outcome else {
            reach.case(false);
            return Ok(());
        };
        reach.case(true);
        let policy = &config.failback;
        let horizon = policy.horizon_secs.max(policy.min_dwell_secs);
        let dwell_until = w.state.last.map(|t| t + policy.min_dwell_secs);
        let rank = config.rank(to).expect("configured");
        for better in &d.regions[..rank] {
            let Some(since) = better.healthy_since.filter(|_| {
                better.health == Health::Healthy && better.blocking_guard.is_none()
            }) else {
                continue;
            };
            let eligible = (since + policy.stable_for_secs).max(dwell_until.unwrap_or(0));
            prop_assert!(
                eligible > w.now + horizon,
                "failed back to {} while {} is eligible at {} (now {}, horizon {}): {:?}",
                to, better.region, eligible, w.now, horizon, d.reasons
            );
        }
    });
    reach.assert_at_least(
        MIN_REACH,
        "a_failback_never_detours_when_a_more_preferred_region_is_within_the_horizon",
    );
}

/// Issue 14 #6: the state copies of gate mode resolve the same way whatever order they
/// are read in — two writers of the same sequence included — and a copy that does not
/// parse wins unless it is known older.
#[test]
fn state_copies_resolve_the_same_way_whatever_order_they_are_read_in() {
    let copy = prop_oneof![
        4 => (0u64..4, any::<bool>(), any::<bool>(), 0usize..3).prop_map(|(seq, paused, hold, at)| {
            Ok(Some(EngineState {
                sequence: seq,
                paused,
                hold_failback: hold,
                ..EngineState::initial(REGIONS[at].1)
            }.encode()))
        }),
        1 => option::of(0u64..5).prop_map(|seq| Ok(Some(match seq {
            Some(seq) => format!("regionflip/v2 seq={seq} active=us-east-1 paused=1"),
            None => "hello".to_string(),
        }))),
        1 => Just(Ok(None)),
        1 => Just(Err("DescribeAlarms failed: throttled".to_string())),
    ];
    proptest!(|(copies in vec(copy, 1..=4).prop_flat_map(|c| {
        let named: Vec<(String, Result<Option<String>, String>)> = c
            .into_iter()
            .enumerate()
            .map(|(i, copy)| (format!("region-{i}"), copy))
            .collect();
        (Just(named.clone()), Just(named).prop_shuffle())
    }))| {
        let (first, shuffled) = copies;
        let (state, mut behind) = StateObservation::from_copies(&first);
        let (again, mut behind_again) = StateObservation::from_copies(&shuffled);
        behind.sort();
        behind_again.sort();
        prop_assert_eq!(&state, &again);
        prop_assert_eq!(&behind, &behind_again);
        if let StateObservation::Valid { state, .. } = &state {
            // No valid copy beats it, and garbage is known older.
            for (_, copy) in &first {
                if let Ok(Some(text)) = copy {
                    match EngineState::decode(text) {
                        Ok(other) => prop_assert!(other.sequence <= state.sequence),
                        Err(_) => {
                            let legible = regionflip_core::state::Legible::of(text);
                            prop_assert!(legible.sequence.is_some_and(|s| s < state.sequence));
                        }
                    }
                }
            }
        }
    });
}
