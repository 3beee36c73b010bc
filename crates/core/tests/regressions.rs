//! Regression tests for the engine items of issue 13 (#3, #4, #7, #8, #9). Each test is
//! named after the bug it reproduces and failed on the code before its fix (commit
//! 72680ca); its doc comment says what that code did. They use only what the engine
//! already had (outcomes, plans, reason sentences), so the same file ran against the old
//! engine to show the failures. The new rules are also rows of the scenario table and
//! properties; these tests pin the reported reproductions.

mod common;

use common::{
    DEFAULT_POLICY, GATE2, Policy, REC2, REC3, apply, config, config_with, observations,
    parse_health, region, routing_on, stored_text,
};
use regionflip_core::records::{failover_record, region_of_record};
use regionflip_core::{
    ChangeAction, Command, Config, Decision, EngineState, FailoverRole, Observations, Outcome,
    Plan, RecordSet, RoutingObservation, StateObservation, TransitionKind, Trigger, decide,
    decide_command,
};

const T: u64 = 10_000;

fn state_on(active: &str) -> EngineState {
    EngineState {
        sequence: 5,
        ..EngineState::initial(region(active))
    }
}

fn said(decision: &Decision, text: &str) -> bool {
    decision
        .reasons
        .iter()
        .any(|r| r.to_string().contains(text))
}

fn reasons(decision: &Decision) -> Vec<String> {
    decision.reasons.iter().map(ToString::to_string).collect()
}

/// A state written by a newer regionflip during a rolling deploy, and a v1 state with a
/// field added by hand; both say automation is paused.
const UNPARSEABLE_PAUSED: [&str; 2] = [
    "regionflip/v2 seq=8 active=us-east-1 at=- away=- paused=1 hold=0 flips=- owner=ops",
    "regionflip/v1 seq=8 active=us-east-1 at=- away=- paused=1 hold=0 flips=- note=maintenance",
];

/// Issue 13 #3. The old engine read a state it could not parse as "corrupt", rebuilt it
/// from the initial state with `paused=0` and acted in the same pass: records mode failed
/// over despite the pause; gate mode returned `StateOnly` yet closed home's gate (a
/// traffic move with no transition record) and overwrote the v2 state with v1.
/// Now automation stops, nothing is written, and the reasons say only an operator
/// command may replace the state.
#[test]
fn a_state_that_does_not_parse_loses_the_operators_pause() {
    for setup in [REC2, GATE2] {
        let config = config(setup);
        for text in UNPARSEABLE_PAUSED {
            let obs = Observations {
                regions: parse_health(&config, "east=alarm west=ok"),
                routing: routing_on(&config, "us-east-1"),
                state: stored_text(&config, text),
            };
            for trigger in [
                Trigger::EventOrOperator,
                Trigger::WatcherTick {
                    region: "us-east-1",
                },
            ] {
                let d = decide(&config, &obs, T, trigger);
                let what = format!("{:?} {text}: {:?}", setup.mode, reasons(&d));
                assert_eq!(d.outcome, Outcome::NoChange, "{what}");
                assert_eq!(d.plan, Plan::Nothing, "nothing written, no gate: {what}");
                assert!(d.event.is_none(), "{what}");
                assert!(said(&d, "only an operator command"), "{what}");
            }
        }
    }
}

/// Records mode with the failover pair as a console edit left it.
fn edited_pair(config: &Config, health: &str, edit: impl Fn(&mut Vec<RecordSet>)) -> Observations {
    let mut obs = observations(config, health, &state_on("east"));
    let RoutingObservation::Records(records) = &mut obs.routing else {
        unreachable!("records mode")
    };
    edit(records);
    obs
}

fn pair_after(config: &Config, obs: &Observations, d: &Decision) -> Vec<RecordSet> {
    match apply(config, obs, d).routing {
        RoutingObservation::Records(records) => records,
        other => panic!("{other:?}"),
    }
}

fn role(records: &[RecordSet], role: FailoverRole) -> RecordSet {
    records
        .iter()
        .find(|r| r.failover == Some(role))
        .cloned()
        .unwrap_or_else(|| panic!("no {role:?} in {records:?}"))
}

/// Issue 13 #4. A console edit pointing PRIMARY at us-west-2 was adopted ("trusting
/// DNS") but SECONDARY was rewritten only when the PRIMARY region changed, so both
/// records stayed on us-west-2; a PRIMARY with TTL 86,400 or without its health check
/// stayed "steady" for ever, and nothing reported it. Now the pair is compared with what
/// the configuration says for the active region, repaired in the compare-and-swap batch
/// of a new state, and the drift is named in the reasons.
#[test]
fn records_mode_never_repairs_or_reports_a_hand_edited_pair() {
    let config = config(REC2);
    let west = config.region("us-west-2").expect("configured").clone();

    // PRIMARY pointed at us-west-2 by hand; SECONDARY already there. Home is healthy
    // but not yet stable, so traffic stays where the edit put it.
    let obs = edited_pair(&config, "east=ok@9900 west=ok", |records| {
        records[0] = failover_record(&config, &west, FailoverRole::Primary);
    });
    let d = decide(&config, &obs, T, Trigger::EventOrOperator);
    assert_eq!(d.outcome, Outcome::StateOnly, "{:?}", reasons(&d));
    assert!(said(&d, "SECONDARY"), "{:?}", reasons(&d));
    let pair = pair_after(&config, &obs, &d);
    let primary = region_of_record(&config, &role(&pair, FailoverRole::Primary)).map(|r| &r.name);
    let secondary =
        region_of_record(&config, &role(&pair, FailoverRole::Secondary)).map(|r| &r.name);
    assert_eq!(primary.map(String::as_str), Some("us-west-2"));
    assert_eq!(secondary.map(String::as_str), Some("us-east-1"));

    // PRIMARY with TTL 86,400; PRIMARY without its health check.
    type Edit = fn(&mut RecordSet);
    let edits: [(&str, Edit); 2] = [
        ("TTL", |r| r.ttl = Some(86_400)),
        ("health check", |r| r.health_check_id = None),
    ];
    for (field, edit) in edits {
        let obs = edited_pair(&config, "east=ok west=ok", |records| edit(&mut records[0]));
        let d = decide(&config, &obs, T, Trigger::EventOrOperator);
        assert_eq!(d.outcome, Outcome::StateOnly, "{field}: {:?}", reasons(&d));
        assert!(said(&d, field), "{field}: {:?}", reasons(&d));
        let Plan::ChangeBatch { changes, new_state } = &d.plan else {
            panic!("{field}: {:?}", d.plan);
        };
        assert_eq!(new_state.sequence, 6, "a repair writes a new sequence");
        assert_eq!(
            changes[0].action,
            ChangeAction::Delete,
            "the CAS precondition"
        );
        let east = config.region("us-east-1").expect("configured");
        assert!(
            changes.iter().any(|c| c.action == ChangeAction::Upsert
                && c.record == failover_record(&config, east, FailoverRole::Primary)),
            "{field}: {changes:?}"
        );
        // Applied, the pair is what the configuration says: the next pass is steady.
        let after = apply(&config, &obs, &d);
        let again = decide(&config, &after, T, Trigger::EventOrOperator);
        assert_eq!(again.plan, Plan::Nothing, "{field}: {:?}", reasons(&again));
    }
}

/// Issue 13 #7. With `max_flips_per_hour = 1`, after one failover a standby that went
/// into ALARM stayed active for ~50 minutes with a healthy home: the old engine damped a
/// failover away from a region known unhealthy. Now such a failover is never damped; it
/// is counted and says damping was overridden.
#[test]
fn damping_keeps_traffic_on_a_region_known_unhealthy() {
    for setup in [REC2, GATE2] {
        let policy = Policy {
            max_flips_per_hour: 1,
            ..DEFAULT_POLICY
        };
        let config = config_with(setup, policy);
        let mut obs = observations(&config, "east=alarm west=ok", &state_on("east"));
        let first = decide(&config, &obs, T, Trigger::EventOrOperator);
        assert!(first.is_transition(), "{:?}", reasons(&first));
        obs = apply(&config, &obs, &first);

        // Ten minutes later west fails and home has been healthy for a while.
        obs.regions = parse_health(&config, "east=ok@9000 west=alarm");
        let later = T + 600;
        let second = decide(&config, &obs, later, Trigger::EventOrOperator);
        assert_eq!(
            second.outcome,
            Outcome::Transition {
                kind: TransitionKind::Failover,
                from: "us-west-2".into(),
                to: "us-east-1".into()
            },
            "{:?}",
            reasons(&second)
        );
        assert!(said(&second, "damping"), "{:?}", reasons(&second));
        let written = second.plan.new_state().expect("a state write");
        assert_eq!(written.recent_flips, [T, later], "the override is counted");
    }
}

/// Issue 13 #8. In gate mode with every state copy corrupt and no region known healthy,
/// `failover --force`, `failback --force` and `pause` were all refused; in records mode
/// a missing TXT state refused a forced failover. A forced command is the last resort:
/// it acts, writing a fresh state with a sequence above any seen.
#[test]
fn force_cannot_act_on_corrupt_or_missing_state() {
    let gate = config(GATE2);
    let obs = Observations {
        regions: parse_health(&gate, "east=alarm west=alarm"),
        routing: RoutingObservation::Gates,
        state: StateObservation::from_text("regionflip/v1 seq=41 active=us-east-1 flips=oops"),
    };
    let to_west = Command::FailoverTo {
        region: "us-west-2".into(),
        force: true,
    };
    for command in [
        to_west.clone(),
        Command::Failback { force: true },
        Command::Pause,
    ] {
        let d = decide_command(&gate, &obs, T, &command);
        assert_ne!(
            d.outcome,
            Outcome::Refused,
            "{command:?}: {:?}",
            reasons(&d)
        );
        let written = d.plan.new_state().expect("a fresh state");
        // Above the legible 41, and never below the clock (the floor).
        assert!(
            written.sequence >= T,
            "{command:?}: sequence {} is not above any seen",
            written.sequence
        );
        assert!(said(&d, "replace"), "{command:?}: {:?}", reasons(&d));
    }

    let records = config(REC2);
    let mut obs = observations(&records, "east=alarm west=alarm", &state_on("east"));
    obs.state = StateObservation::Missing;
    let d = decide_command(&records, &obs, T, &to_west);
    assert!(d.is_transition(), "{:?}", reasons(&d));
    let Plan::ChangeBatch { changes, .. } = &d.plan else {
        panic!("{:?}", d.plan);
    };
    // No state record to delete: the CREATE is the precondition (it fails if one exists).
    assert_eq!(changes[0].action, ChangeAction::Create, "{changes:?}");
    assert_eq!(changes[0].record.name, records.state_record_name());
    let after = apply(&records, &obs, &d);
    assert!(matches!(after.state, StateObservation::Valid { .. }));
}

/// Issue 13 #9. With three regions and home about to become eligible, the old engine
/// failed back eu-west-1 → us-west-2 and then us-west-2 → us-east-1 after the dwell: two
/// DNS moves and two flips. Now, with home eligible within `min_dwell_secs`, the failback
/// waits for home and goes there in one move.
#[test]
fn a_failback_with_three_regions_hops_twice_when_home_is_about_to_be_eligible() {
    let config = config(REC3);
    let away = EngineState {
        last_transition_at: Some(1000),
        away_since: Some(1000),
        ..state_on("eu")
    };
    // Home healthy since 9,900 (stable at 10,200); us-west-2 stable for long.
    let mut obs = observations(&config, "east=ok@9900 west=ok eu=ok", &away);
    let mut moves = Vec::new();
    for now in (T..=T + 900).step_by(50) {
        let d = decide(&config, &obs, now, Trigger::EventOrOperator);
        if let Outcome::Transition { to, .. } = &d.outcome {
            moves.push((now, to.clone()));
        }
        obs = apply(&config, &obs, &d);
    }
    assert_eq!(moves, [(10_200, "us-east-1".to_string())], "one move, home");
}
