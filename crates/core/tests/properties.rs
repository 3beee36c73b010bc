//! Property tests of the engine's invariants over random worlds: random set-ups (two or
//! three regions, either mode, either failback mode, guards binding or not, CNAME or
//! alias records), random readings, random remembered state (including corrupt,
//! missing and unreadable state, DNS disagreeing with the state, flips stamped by a
//! clock running slightly ahead), and random operator commands.
//!
//! Case counts follow proptest's defaults (256), so `cargo test` stays fast; set
//! `PROPTEST_CASES=10000` to search harder.

mod common;

use common::{
    Policy, REGIONS, Setup, Signal, Status, apply, config_with, region_observation, routing_on,
    stored_state,
};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use regionflip_core::records::state_record;
use regionflip_core::{
    Change, ChangeAction, Command, Config, Decision, EngineState, FailbackMode, Health, Mode,
    Observations, Outcome, Reason, RecordType, RoutingObservation, StateObservation,
    TransitionKind, Trigger, decide, decide_command,
};

/// The time around which worlds are generated.
const NOW: u64 = 1_000_000;

#[derive(Debug, Clone)]
struct World {
    setup: Setup,
    policy: Policy,
    /// Readings of regions 0..3 (only the configured ones are used); `None`: not reported.
    regions: Vec<Option<(Status, Signal)>>,
    state: StateSpec,
    now: u64,
}

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
    )
        .prop_map(
            |(regions, mode, failback, respect_guards, record_type)| Setup {
                regions,
                mode,
                failback,
                respect_guards,
                record_type,
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
    ]
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

fn world() -> impl Strategy<Value = World> {
    (
        setup(),
        policy(900),
        vec(option::weighted(0.9, (status(), signal())), 3),
        state_spec(),
        0u64..=600,
    )
        .prop_map(|(setup, policy, regions, state, dt)| World {
            setup,
            policy,
            regions,
            state,
            now: NOW + dt,
        })
}

/// Worlds where a failback is in question: automation running, traffic on the least
/// preferred region, every region healthy or recovering around now, a recent transition.
fn failback_world() -> impl Strategy<Value = World> {
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
            w.state.active = w.setup.regions - 1;
            w.state.paused = false;
            w.state.hold = false;
            w.state.last = Some(last);
            w.state.stored = Stored::Valid;
            w.state.routing = Routing::OnActive;
            w
        })
}

/// Random worlds, half of them with a failback in question.
fn any_world() -> impl Strategy<Value = World> {
    prop_oneof![world(), failback_world()]
}

fn records_world() -> impl Strategy<Value = World> {
    world().prop_map(|mut w| {
        w.setup.mode = Mode::Records;
        w
    })
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
            world.regions[i]
                .map(|(status, guard)| region_observation(&config, name(i), status, guard))
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
    fn an_unforced_decision_routes_only_to_a_region_known_healthy(
        w in world(),
        cmd in option::of(command()),
    ) {
        let cmd = cmd.map(unforced);
        let (config, obs) = build(&w);
        let d = decide_with(&config, &obs, w.now, cmd.as_ref());
        if let Outcome::Transition { to, .. } = &d.outcome {
            prop_assert_eq!(health_of(&d, to), Health::Healthy, "{:?}", d.reasons);
        }
    }

    #[test]
    fn a_region_that_is_not_known_unhealthy_is_never_failed_over_from(w in world()) {
        let (config, obs) = build(&w);
        let d = decide(&config, &obs, w.now, Trigger::EventOrOperator);
        if let (Outcome::Transition { kind: TransitionKind::Failover, from, .. }, _) =
            (&d.outcome, &d.event)
        {
            prop_assert_eq!(health_of(&d, from), Health::Unhealthy, "{:?}", d.reasons);
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
    fn every_change_batch_starts_with_the_compare_and_swap_on_the_observed_state(
        w in records_world(),
        cmd in option::of(command()),
    ) {
        let (config, obs) = build(&w);
        let d = decide_with(&config, &obs, w.now, cmd.as_ref());
        if let regionflip_core::Plan::ChangeBatch { changes, new_state } = &d.plan {
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
        }
    }

    #[test]
    fn the_same_inputs_give_the_same_decision(w in world(), cmd in option::of(command())) {
        let (config, obs) = build(&w);
        let first = decide_with(&config, &obs, w.now, cmd.as_ref());
        let second = decide_with(&config, &obs.clone(), w.now, cmd.as_ref());
        prop_assert_eq!(first, second);
    }

    #[test]
    fn every_state_written_reads_back_unchanged(w in world(), cmd in option::of(command())) {
        let (config, obs) = build(&w);
        let d = decide_with(&config, &obs, w.now, cmd.as_ref());
        if let Some(state) = d.plan.new_state() {
            prop_assert_eq!(EngineState::decode(&state.encode()), Ok(state.clone()));
            let strings = state.to_txt_strings();
            prop_assert!(strings.iter().all(|s| s.len() <= 255));
            prop_assert_eq!(EngineState::from_txt_strings(&strings), Ok(state.clone()));
        }
    }

    #[test]
    fn no_automatic_transition_happens_before_the_reported_eligible_time(
        w in any_world(),
        fraction in 0.0f64..1.0,
    ) {
        let (config, obs) = build(&w);
        let d = decide(&config, &obs, w.now, Trigger::EventOrOperator);
        if let (false, Some(at)) = (d.is_transition(), d.eligible_at()) {
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
        }
    }

    #[test]
    fn a_pending_failback_is_no_longer_pending_at_its_eligible_time(w in any_world()) {
        let (config, obs) = build(&w);
        let d = decide(&config, &obs, w.now, Trigger::EventOrOperator);
        for reason in &d.reasons {
            if let Reason::FailbackPending { region, eligible_at: Some(at), .. } = reason {
                let then = decide(&config, &obs, *at, Trigger::EventOrOperator);
                let still = then.reasons.iter().find(|r| {
                    matches!(r, Reason::FailbackPending { region: again, .. } if again == region)
                });
                prop_assert!(still.is_none(), "pending until {} at {}, then {:?}", at, w.now, still);
            }
        }
    }

    #[test]
    fn damping_lifts_at_its_eligible_time(w in any_world()) {
        let (config, obs) = build(&w);
        let d = decide(&config, &obs, w.now, Trigger::EventOrOperator);
        for reason in &d.reasons {
            if let Reason::Damped { eligible_at, .. } = reason {
                let then = decide(&config, &obs, *eligible_at, Trigger::EventOrOperator);
                let damped = then.reasons.iter().find(|r| matches!(r, Reason::Damped { .. }));
                prop_assert!(damped.is_none(), "{:?} at {}, then {:?}", reason, w.now, damped);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Flap damping over time.

/// One step of a simulation: how long after the previous one, and each region's state
/// (0 OK, 1 ALARM, 2 INSUFFICIENT_DATA).
type Step = (u64, Vec<u8>);

fn steps() -> impl Strategy<Value = Vec<Step>> {
    let health = prop_oneof![5 => Just(0u8), 4 => Just(1u8), 1 => Just(2u8)];
    vec((1u64..=900, vec(health, 3)), 1..80)
}

proptest! {
    #[test]
    fn automatic_transitions_never_exceed_max_flips_in_any_rolling_hour(
        setup in setup(),
        policy in policy(300),
        steps in steps(),
    ) {
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
            obs = apply(&config, &obs, &d);
        }
        let limit = policy.max_flips_per_hour as usize;
        for (i, start) in flips.iter().enumerate() {
            let in_hour = flips[i..].iter().take_while(|f| **f < start + 3600).count();
            prop_assert!(
                in_hour <= limit,
                "{} automatic transitions in the hour from {} (limit {}): {:?}",
                in_hour, start, limit, flips
            );
        }
    }
}
