//! The duty rule of `health-gate` mode (rule 7 of the engine): on the periodic tick the
//! watchers of every region agree, from the same observations, on the one that carries
//! out an automatic transition, so one change of health gives one transition record
//! without a compare-and-swap. The rule is an input of the decision: [`decide`] is told
//! what woke it ([`Trigger`]).

mod common;

use common::{GATE3, REC2, config, observations, region};
use regionflip_core::{EngineState, Outcome, Plan, Reason, Trigger, decide, duty_region};

const T: u64 = 10_000;

fn state_on(active: &str) -> EngineState {
    EngineState {
        sequence: 1,
        ..EngineState::initial(region(active))
    }
}

/// The periodic tick of the watcher in the region `alias` names.
fn tick_in(alias: &str) -> Trigger<'_> {
    Trigger::WatcherTick {
        region: region(alias),
    }
}

#[test]
fn the_duty_region_is_the_most_preferred_one_not_failing() {
    let config = config(GATE3);
    let state = state_on("east");
    for (health, duty) in [
        ("east=ok west=ok eu=ok", Some("east")),
        ("east=alarm west=ok eu=ok", Some("west")),
        ("east=alarm west=unknown eu=ok", Some("west")),
        ("east=alarm west=alarm eu=ok", Some("eu")),
        ("east=alarm west=alarm eu=alarm", None),
    ] {
        let obs = observations(&config, health, &state);
        let decision = decide(&config, &obs, T, Trigger::EventOrOperator);
        let expected = duty.map(region);
        assert_eq!(duty_region(&decision.regions), expected, "{health}");
    }
}

#[test]
fn only_the_duty_watcher_carries_out_an_automatic_failover() {
    let config = config(GATE3);
    let state = state_on("east");
    let obs = observations(&config, "east=alarm west=ok eu=ok", &state);
    let decision = decide(&config, &obs, T, Trigger::EventOrOperator);
    assert!(decision.is_transition());

    let on_duty = decide(&config, &obs, T, tick_in("west"));
    assert_eq!(on_duty, decision, "the duty watcher acts as on an event");

    for elsewhere in ["east", "eu"] {
        let off = decide(&config, &obs, T, tick_in(elsewhere));
        assert_eq!(off.outcome, Outcome::NoChange, "{elsewhere}");
        assert!(off.event.is_none());
        assert!(
            off.reasons
                .iter()
                .any(|r| matches!(r, Reason::NotOnDuty { .. }))
        );
        // It keeps the current routing's gates and writes no state.
        let Plan::Gates { gates, state } = &off.plan else {
            panic!("gate mode keeps publishing gates: {:?}", off.plan);
        };
        assert!(state.is_none());
        assert!(
            gates
                .iter()
                .find(|g| g.region == region("east"))
                .is_some_and(|g| g.open)
        );
    }
}

#[test]
fn records_mode_and_non_transitions_are_untouched() {
    let config = config(REC2);
    let state = state_on("east");
    let obs = observations(&config, "east=alarm west=ok", &state);
    let decision = decide(&config, &obs, T, Trigger::EventOrOperator);
    assert!(decision.is_transition());
    assert_eq!(decide(&config, &obs, T, tick_in("east")), decision);

    let gate = common::config(GATE3);
    let steady_world = observations(&gate, "east=ok west=ok eu=ok", &state_on("east"));
    let steady = decide(&gate, &steady_world, T, Trigger::EventOrOperator);
    assert_eq!(decide(&gate, &steady_world, T, tick_in("eu")), steady);
}
