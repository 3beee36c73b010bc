//! The duty rule of `health-gate` mode: the watchers of every region agree, from the same
//! observations, on the one that carries out an automatic transition, so one change of
//! health gives one transition record without a compare-and-swap.

mod common;

use common::{GATE3, REC2, config, observations, region};
use regionflip_core::{EngineState, Outcome, Plan, Reason, decide, duty_region, for_watcher_in};

const T: u64 = 10_000;

fn state_on(active: &str) -> EngineState {
    EngineState {
        sequence: 1,
        ..EngineState::initial(region(active))
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
        let decision = decide(&config, &observations(&config, health, &state), T);
        let expected = duty.map(region);
        assert_eq!(duty_region(&decision.regions), expected, "{health}");
    }
}

#[test]
fn only_the_duty_watcher_carries_out_an_automatic_failover() {
    let config = config(GATE3);
    let state = state_on("east");
    let obs = observations(&config, "east=alarm west=ok eu=ok", &state);
    let decision = decide(&config, &obs, T);
    assert!(decision.is_transition());

    let on_duty = for_watcher_in(&config, decision.clone(), region("west"));
    assert_eq!(on_duty, decision, "the duty watcher acts unchanged");

    for elsewhere in ["east", "eu"] {
        let off = for_watcher_in(&config, decision.clone(), region(elsewhere));
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
    let decision = decide(&config, &obs, T);
    assert!(decision.is_transition());
    assert_eq!(
        for_watcher_in(&config, decision.clone(), region("east")),
        decision
    );

    let gate = common::config(GATE3);
    let steady = decide(
        &gate,
        &observations(&gate, "east=ok west=ok eu=ok", &state_on("east")),
        T,
    );
    assert_eq!(for_watcher_in(&gate, steady.clone(), region("eu")), steady);
}
