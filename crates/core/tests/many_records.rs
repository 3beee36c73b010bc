//! An application of several names (`[[records]]`): one region decision per pass moves
//! every name. `records` mode writes every record's pair in the one compare-and-swap
//! batch of the state; a record whose pair drifted from the others' is reported by its
//! name and repaired in that batch; `health-gate` mode's plan is the same whatever the
//! number of records (the gates are the region's, shared by every name).

mod common;

use common::{DEFAULT_POLICY, GATE3, REC2, Setup, config_toml, parse_health, region, stored_state};
use regionflip_core::records::{failover_record, failover_record_of};
use regionflip_core::{
    ChangeAction, Config, EngineState, FailoverRole, Observations, Outcome, Plan, RecordSet,
    RoutingObservation, Trigger, decide,
};

const T: u64 = 10_000;
const OTHER: &str = "auth.example.com.";

/// The test configuration of `setup` written with `[[records]]` tables: the application's
/// own name (`api.example.com`, with the usual targets) and `auth.example.com`.
fn two_records(setup: Setup) -> Config {
    let shorthand = config_toml(setup, DEFAULT_POLICY);
    let mut text: String = shorthand
        .lines()
        .filter(|l| {
            !l.starts_with("record_name")
                && !l.starts_with("record_type")
                && !l.starts_with("target")
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let names: Vec<&str> = common::REGIONS
        .iter()
        .take(setup.regions)
        .map(|(_, n)| *n)
        .collect();
    for (name, prefix) in [("api.example.com", "api"), ("auth.example.com", "auth")] {
        let targets: Vec<String> = names
            .iter()
            .map(|r| format!("\"{r}\" = \"{prefix}.{r}.example.com\""))
            .collect();
        text.push_str(&format!(
            "[[records]]\nname = \"{name}\"\ntargets = {{ {} }}\n",
            targets.join(", ")
        ));
    }
    Config::from_toml_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// Every record's pair as `records` mode leaves it routing on `active`.
fn pairs_on(config: &Config, active: &str) -> Vec<RecordSet> {
    let primary = config.region(active).expect("a configured region");
    let standby = config
        .regions
        .iter()
        .find(|r| r.name != active)
        .expect("two regions");
    config
        .records()
        .iter()
        .flat_map(|record| {
            [
                failover_record_of(record, primary, FailoverRole::Primary),
                failover_record_of(record, standby, FailoverRole::Secondary),
            ]
        })
        .collect()
}

fn state_on(active: &str) -> EngineState {
    EngineState {
        sequence: 5,
        ..EngineState::initial(active)
    }
}

#[test]
fn the_own_record_is_the_first_and_the_shorthand_s_record() {
    let config = two_records(REC2);
    assert_eq!(config.record_name, "api.example.com.");
    let own = failover_record(&config, &config.regions[0], FailoverRole::Primary);
    assert_eq!(
        own,
        failover_record_of(
            &config.records()[0],
            &config.regions[0],
            FailoverRole::Primary
        )
    );
    let other = failover_record_of(
        &config.records()[1],
        &config.regions[0],
        FailoverRole::Primary,
    );
    assert_eq!(other.name, OTHER);
    assert_eq!(
        other.values,
        vec![format!("auth.{}.example.com.", config.regions[0].name)]
    );
}

#[test]
fn a_failover_moves_every_record_in_the_one_compare_and_swap_batch() {
    let config = two_records(REC2);
    let home = region("east");
    let state = state_on(home);
    let observations = Observations {
        regions: parse_health(&config, "east=alarm west=ok"),
        routing: RoutingObservation::Records(pairs_on(&config, home)),
        state: stored_state(&config, &state),
    };
    let decision = decide(&config, &observations, T, Trigger::EventOrOperator);
    assert!(
        matches!(decision.outcome, Outcome::Transition { .. }),
        "{:?}",
        decision.reasons
    );
    let Plan::ChangeBatch { changes, .. } = &decision.plan else {
        panic!("records mode plans a change batch: {:?}", decision.plan)
    };
    // The compare-and-swap on the state first, then every record's pair, on west.
    assert_eq!(changes[0].action, ChangeAction::Delete);
    assert_eq!(changes[1].action, ChangeAction::Create);
    let upserts: Vec<&RecordSet> = changes[2..].iter().map(|c| &c.record).collect();
    assert!(
        changes[2..]
            .iter()
            .all(|c| c.action == ChangeAction::Upsert)
    );
    assert_eq!(
        upserts,
        pairs_on(&config, region("west")).iter().collect::<Vec<_>>()
    );
}

#[test]
fn a_record_whose_pair_drifted_is_named_and_repaired_in_the_state_batch() {
    let config = two_records(REC2);
    let home = region("east");
    // auth's PRIMARY points at west while api's (and the state) say east.
    let mut routing = pairs_on(&config, home);
    for record in &mut routing {
        if record.name == OTHER {
            let region = match record.failover {
                Some(FailoverRole::Primary) => &config.regions[1],
                _ => &config.regions[0],
            };
            *record = failover_record_of(
                &config.records()[1],
                region,
                record.failover.expect("a failover record"),
            );
        }
    }
    let observations = Observations {
        regions: parse_health(&config, "east=ok west=ok"),
        routing: RoutingObservation::Records(routing),
        state: stored_state(&config, &state_on(home)),
    };
    let decision = decide(&config, &observations, T, Trigger::EventOrOperator);
    let drift: Vec<String> = decision
        .pair_drift()
        .iter()
        .map(|r| r.to_string())
        .collect();
    assert!(
        drift
            .iter()
            .any(|d| d.contains("PRIMARY of auth.example.com (regionflip-primary)")),
        "the drifted record is named: {drift:?}"
    );
    assert!(
        !drift
            .iter()
            .any(|d| d.starts_with("PRIMARY ") || d.contains("record PRIMARY:")),
        "api's own pair is as written: {drift:?}"
    );
    let Plan::ChangeBatch { changes, .. } = &decision.plan else {
        panic!("the repair is a state batch: {:?}", decision.plan)
    };
    let upserts: Vec<&RecordSet> = changes[2..].iter().map(|c| &c.record).collect();
    assert_eq!(upserts, pairs_on(&config, home).iter().collect::<Vec<_>>());
}

#[test]
fn health_gate_plans_the_same_gates_whatever_the_number_of_records() {
    let one = common::config(GATE3);
    let two = two_records(GATE3);
    let home = region("east");
    for health in [
        "east=ok west=ok eu=ok",
        "east=alarm west=ok eu=ok",
        "east=alarm west=alarm eu=ok",
    ] {
        let decide_on = |config: &Config| {
            let observations = Observations {
                regions: parse_health(config, health),
                routing: RoutingObservation::Gates,
                state: stored_state(config, &state_on(home)),
            };
            decide(config, &observations, T, Trigger::EventOrOperator).plan
        };
        assert_eq!(decide_on(&one), decide_on(&two), "{health}");
    }
}
