//! Two `regionflip reconcile` processes at once against moto, in `records` mode: what
//! two operators (or an operator and a watcher) running a pass at the same moment do to
//! the zone.
//!
//! After each alarm change both processes are started together, several rounds, failing
//! over and back. Afterwards the zone must hold exactly one state record with one value
//! that parses, one PRIMARY and one SECONDARY record, PRIMARY on the region the state
//! names, and that region is where the alarms say traffic belongs.
//!
//! What this shows, honestly: the wire path of two real processes racing through the SDK
//! (list, change, conflict handling, the journal line) ends in a well-formed zone.
//! What it cannot show: that exactly one of the two applied its batch. moto enforces
//! compare-and-swap only partly (field facts: it accepts a DELETE of a stale value that
//! was once written, and a CREATE beside an existing record can add a duplicate), so two
//! processes that read the same state may both "succeed" in moto where Route 53 would
//! refuse the second. The number of transition lines is therefore reported, and only
//! bounded (at least one per round, at most one per process); exactly-once recording
//! under races is tested against the faithful in-memory model in
//! `crates/watcher/tests/races.rs`.

use crate::harness::records::{HOME, RecordsSetup, region_of_target};
use crate::harness::{Operated, Run};
use aws_sdk_cloudwatch::types::StateValue;
use regionflip_core::{EngineState, FailoverRole, RecordSet, StateObservation};
use regionflip_local_aws::seed::OTHER_REGION;

/// Rounds of "change the alarm, run two passes at once".
const ROUNDS: usize = 4;

/// Fail back as soon as home is healthy again, so every round moves traffic.
const FAILBACK_AT_ONCE: &str =
    "[failback]\nstable_for_secs = 0\nmin_dwell_secs = 0\nmax_flips_per_hour = 60\n";

type Setup = RecordsSetup;

impl RecordsSetup {
    /// Runs `regionflip reconcile` twice at the same time.
    fn two_passes_at_once(&self) -> [Run; 2] {
        crate::harness::two_at_once(|| self.run(&["reconcile", "--json"]))
    }

    /// Checks the zone is well formed and returns the state and the PRIMARY's region.
    async fn check_zone(&self, round: usize) -> (EngineState, String) {
        let records = self.records().await;
        let states: Vec<&RecordSet> = records.iter().filter(|r| r.record_type == "TXT").collect();
        assert_eq!(states.len(), 1, "round {round}: state records {records:#?}");
        assert_eq!(states[0].values.len(), 1, "round {round}: {:?}", states[0]);
        let state = match StateObservation::from_state_record(states[0].clone()) {
            StateObservation::Valid { state, .. } => state,
            other => panic!("round {round}: the state record does not parse: {other:?}"),
        };
        let role = |role| {
            let found: Vec<&RecordSet> = records
                .iter()
                .filter(|r| r.failover == Some(role))
                .collect();
            assert_eq!(
                found.len(),
                1,
                "round {round}: {role:?} records {records:#?}"
            );
            region_of_target(&found[0].values[0]).to_owned()
        };
        let primary = role(FailoverRole::Primary);
        let secondary = role(FailoverRole::Secondary);
        assert_ne!(primary, secondary, "round {round}");
        assert_eq!(
            state.active, primary,
            "round {round}: state and PRIMARY disagree"
        );
        (state, primary)
    }
}

fn transition_lines(run: &Run) -> usize {
    run.stderr
        .lines()
        .filter(|line| line.contains("\"regionflip transition\""))
        .count()
}

#[tokio::test]
async fn two_reconciles_at_once_leave_one_state_and_one_pair() {
    let setup = Setup::new("concurrent", FAILBACK_AT_ONCE).await;
    setup.run(&["init"]).expect_code(0);
    setup.check_zone(0).await;

    let (mut transitions, mut conflicts) = (Vec::new(), Vec::new());
    for round in 1..=ROUNDS {
        // Odd rounds: home fails, traffic must leave; even rounds: home recovers,
        // traffic must come back.
        let failing = round % 2 == 1;
        let state = if failing {
            StateValue::Alarm
        } else {
            StateValue::Ok
        };
        regionflip_local_aws::seed::set_alarm_state(&setup.aws, HOME, &setup.alarm(HOME), state)
            .await;

        let runs = setup.two_passes_at_once();
        for run in &runs {
            crate::harness::assert_raced_well(run, &format!("round {round}"));
        }
        let lines: usize = runs.iter().map(transition_lines).sum();
        transitions.push(lines);
        // Whether the two really overlapped: one of them met the other's write.
        conflicts.push(
            runs.iter()
                .filter(|run| run.code == 0)
                .map(|run| run.json()["conflicts"].as_u64().unwrap_or(0))
                .sum::<u64>(),
        );
        assert!(
            (1..=2).contains(&lines),
            "round {round}: {lines} transition lines"
        );

        let (state, primary) = setup.check_zone(round).await;
        let expected = if failing { OTHER_REGION } else { HOME };
        assert_eq!(primary, expected, "round {round}");
        assert!(!state.paused);
    }
    // Not assertions (see the module comment; overlap depends on process timing): how
    // often the passes overlapped, and how often moto let both writers in.
    println!(
        "per round, of two processes: transition lines {transitions:?}, \
         compare-and-swap conflicts met {conflicts:?}"
    );

    // A last pass on the settled world changes nothing.
    let settled = setup.run(&["reconcile", "--json"]).expect_code(0).json();
    assert_eq!(settled["decision"]["outcome"]["outcome"], "no-change");
}
