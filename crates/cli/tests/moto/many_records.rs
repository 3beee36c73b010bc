//! An application of two names (`[[records]]`) in `records` mode, the built binary against
//! moto: `init` creates both failover pairs and one state record; one primary alarm and
//! one `reconcile` move both names; two reconciles at once, round after round, leave
//! every pair consistent — one PRIMARY and one SECONDARY each, PRIMARY on the region the
//! state names — because both names move in the one compare-and-swap change batch.
//!
//! As in `concurrent.rs`: moto enforces compare-and-swap only partly (field facts), so
//! what this shows is the wire path ending in well-formed pairs; exactly-once under races
//! is the in-memory model's (`crates/watcher/tests/races.rs`).
//!
//! Kinder than AWS, on purpose: both regions' alarms are OK (moto starts alarms OK), as
//! for a standby that serves some traffic, and no endpoint check is configured, so the
//! alarms alone are the evidence. What a passive standby looks like on real AWS (its
//! request alarm in INSUFFICIENT_DATA, no `HealthCheckStatus`) is the world of
//! `evidence.rs`; the names here only add more records to move.

use aws_sdk_cloudwatch::types::StateValue;
use regionflip_core::{EngineState, FailoverRole, RecordSet, StateObservation};
use regionflip_local_aws::seed::OTHER_REGION;
use regionflip_watcher::ports::Route53Api;

use crate::harness::records::{HOME, region_of_target};
use crate::harness::{ConfigFile, Run, TestZone, regionflip};

/// The application's names, below the test's zone.
const NAMES: [&str; 2] = ["api", "auth"];

struct App {
    zone: TestZone,
    config: ConfigFile,
    alarm_prefix: String,
    zone_name: String,
}

impl App {
    async fn new(name: &str) -> App {
        let zone = TestZone::new(name).await;
        let alarm_prefix = format!("{name}-api");
        for region in [HOME, OTHER_REGION] {
            regionflip_local_aws::seed::create_alarm(
                &zone.aws,
                region,
                &format!("{alarm_prefix}-errors-{region}"),
            )
            .await;
        }
        let zone_name = zone.record.trim_start_matches("api.").to_string();
        let mut text = format!(
            "hosted_zone_id = \"{}\"\nmode = \"records\"\n\n[failback]\nstable_for_secs = 0\n\
             min_dwell_secs = 0\nmax_flips_per_hour = 60\n",
            zone.zone
        );
        for region in [HOME, OTHER_REGION] {
            text.push_str(&format!(
                "\n[[regions]]\nname = \"{region}\"\nalarms = [\"{alarm_prefix}-errors-{region}\"]\n"
            ));
        }
        for record in NAMES {
            text.push_str(&format!(
                "\n[[records]]\nname = \"{record}.{zone_name}\"\n\
                 targets = {{ \"{HOME}\" = \"east.{record}.backend.example\", \"{OTHER_REGION}\" = \"west.{record}.backend.example\" }}\n"
            ));
        }
        App {
            config: ConfigFile::new(name, &text),
            zone,
            alarm_prefix,
            zone_name,
        }
    }

    fn run(&self, args: &[&str]) -> Run {
        regionflip(Some(&self.zone.moto), self.config.path(), args)
    }

    async fn set_home_alarm(&self, state: StateValue) {
        let alarm = format!("{}-errors-{HOME}", self.alarm_prefix);
        regionflip_local_aws::seed::set_alarm_state(&self.zone.aws, HOME, &alarm, state).await;
    }

    /// Every record of the test's zone (moto never reports NextRecordIdentifier).
    async fn zone_records(&self) -> Vec<RecordSet> {
        self.zone
            .aws
            .route53
            .list_records(&self.zone.zone, &format!("{}.", self.zone_name), 300)
            .await
            .unwrap()
            .records
    }

    /// Checks every name's pair and the one state record; returns the state and, per
    /// name, the PRIMARY's region.
    async fn check(&self, when: &str) -> (EngineState, Vec<String>) {
        let records = self.zone_records().await;
        let states: Vec<&RecordSet> = records
            .iter()
            .filter(|r| r.record_type == "TXT" && r.name.starts_with("_regionflip."))
            .collect();
        assert_eq!(states.len(), 1, "{when}: one state record, {records:#?}");
        assert!(
            states[0].name.starts_with("_regionflip.api."),
            "{when}: the state lives with the first record"
        );
        let state = match StateObservation::from_state_record(states[0].clone()) {
            StateObservation::Valid { state, .. } => state,
            other => panic!("{when}: the state does not parse: {other:?}"),
        };
        let mut primaries = Vec::new();
        for name in NAMES {
            let fqdn = format!("{name}.{}.", self.zone_name);
            let role = |role| {
                let found: Vec<&RecordSet> = records
                    .iter()
                    .filter(|r| r.name == fqdn && r.failover == Some(role))
                    .collect();
                assert_eq!(found.len(), 1, "{when}: {fqdn} {role:?} in {records:#?}");
                assert!(
                    found[0].values[0].contains(&format!(".{name}.backend")),
                    "{when}: {fqdn} points at another name's target: {:?}",
                    found[0]
                );
                region_of_target(&found[0].values[0]).to_owned()
            };
            let (primary, secondary) = (role(FailoverRole::Primary), role(FailoverRole::Secondary));
            assert_ne!(primary, secondary, "{when}: {fqdn}");
            assert_eq!(
                state.active, primary,
                "{when}: {fqdn}'s PRIMARY and the state disagree"
            );
            primaries.push(primary);
        }
        (state, primaries)
    }
}

#[tokio::test]
async fn two_records_move_together_and_concurrent_reconciles_keep_every_pair_consistent() {
    let app = App::new("many-records").await;
    app.run(&["init"]).expect_code(0);
    let (state, primaries) = app.check("after init").await;
    assert_eq!(
        (state.sequence, primaries),
        (1, vec![HOME.to_string(), HOME.to_string()])
    );
    let again = app
        .run(&["init", "--dry-run", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(again["steps"].as_array().unwrap().len(), 0, "{again:#}");

    // One primary alarm, one reconcile: both names move.
    app.set_home_alarm(StateValue::Alarm).await;
    let run = app.run(&["reconcile", "--json"]).expect_code(0);
    assert_eq!(
        run.json()["decision"]["outcome"]["outcome"],
        "transition",
        "{}",
        run.stdout
    );
    let (_, primaries) = app.check("after the failover").await;
    assert_eq!(
        primaries,
        vec![OTHER_REGION.to_string(), OTHER_REGION.to_string()]
    );
    let status = app.run(&["status"]).expect_code(0).stdout;
    for name in NAMES {
        assert!(
            status.contains(&format!("{name}.{}", app.zone_name)),
            "status lists {name}:\n{status}"
        );
    }

    // Two reconciles at once, back and forth.
    for round in 1..=4 {
        let failing = round % 2 == 0;
        app.set_home_alarm(if failing {
            StateValue::Alarm
        } else {
            StateValue::Ok
        })
        .await;
        let runs = crate::harness::two_at_once(|| app.run(&["reconcile", "--json"]));
        for run in &runs {
            crate::harness::assert_raced_well(run, &format!("round {round}"));
        }
        let (_, primaries) = app.check(&format!("round {round}")).await;
        let expected = if failing { OTHER_REGION } else { HOME };
        assert_eq!(
            primaries,
            vec![expected.to_string(), expected.to_string()],
            "round {round}"
        );
    }
}
