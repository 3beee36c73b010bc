//! The active-active scenario (`regionflip drill --routing latency|weighted`, two
//! regions): every region serves; a failing one is evacuated, the last one stays in.
//!
//! | phase           | what the drill does                          | what should follow          |
//! |-----------------|----------------------------------------------|-----------------------------|
//! | baseline        | nothing                                      | DNS answers both regions    |
//! | home-fails      | home's API alarm to ALARM (a gray failure:   | home evacuated: DNS answers |
//! |                 | its endpoint stays healthy)                  | the other alone             |
//! | both-fail       | the other's alarm to ALARM too               | it stays in (last in        |
//! |                 |                                              | service): DNS keeps         |
//! |                 |                                              | answering it, never home,   |
//! |                 |                                              | never both (fail open)      |
//! | second-recovers | the other's alarm back to OK                 | nothing moves               |
//! | home-recovers   | home's alarm back to OK                      | after its stable window,    |
//! |                 |                                              | home returns: DNS answers   |
//! |                 |                                              | both                        |
//!
//! Both regions serve from the start, so their request alarms have data (OK). Only alarms
//! fail here, so every endpoint check stays healthy: each change is the watcher closing
//! or opening a gate, and Route 53 (the drill's data plane) answering every record whose
//! check is healthy. The `regions in service` lane shows the gates as their alarms see
//! them; [`analyse`] turns the timeline into the expectations, pure, and is tested below
//! on made-up timelines.

use aws_sdk_cloudwatch::types::StateValue;
use regionflip_core::TransitionKind;
use regionflip_watcher::journal::TransitionRecord;
use serde::Serialize;

use super::analysis::{Expectation, dns_phase, journal_holds, waited_for_stable_window};
use super::scenario::Scenario;
use super::timeline::Record;
use crate::error::CliError;

/// One phase: its name, the region whose alarm it sets (by rank) and whether to ALARM,
/// and whether home (rank 0) and the other (rank 1) are in DNS's answer at its end.
type PhaseSpec = (&'static str, Option<(usize, bool)>, [bool; 2]);

/// The phases, in order.
const PHASES: [PhaseSpec; 5] = [
    ("baseline", None, [true, true]),
    ("home-fails", Some((0, true)), [false, true]),
    ("both-fail", Some((1, true)), [false, true]),
    ("second-recovers", Some((1, false)), [false, true]),
    ("home-recovers", Some((0, false)), [true, true]),
];

/// What the active-active drill measured: seconds from a phase's start to DNS answering
/// what it should.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub(crate) struct ServiceMeasurements {
    /// home fails → DNS answers the other alone.
    pub(crate) home_evacuated_dns: Option<f64>,
    /// home recovers → DNS answers both again.
    pub(crate) home_restored_dns: Option<f64>,
}

/// DNS's answer with the regions of `wanted` (home, the other) in it.
fn answer_of(regions: &[String], wanted: [bool; 2]) -> String {
    regions
        .iter()
        .zip(wanted)
        .filter(|(_, w)| *w)
        .map(|(r, _)| r.as_str())
        .collect::<Vec<_>>()
        .join("+")
}

impl Scenario<'_> {
    /// Plays the active-active phases; returns what the doctor said before the faults.
    pub(crate) async fn play_active_active(self) -> Result<super::scenario::DoctorRun, CliError> {
        let regions: Vec<String> = self.config.regions.iter().map(|r| r.name.clone()).collect();
        let doctor = self.start().await?;
        let t = self.timings;
        self.timeline.phase(
            "baseline",
            format!(
                "baseline: both regions in service for {:.1} s",
                t.baseline.as_secs_f64()
            ),
        );
        self.pace(t.baseline).await;
        for (phase, change, wanted) in PHASES.iter().skip(1) {
            let Some((rank, failing)) = change else {
                continue;
            };
            let region = &regions[*rank];
            let expected = answer_of(&regions, *wanted);
            let state = if *failing {
                StateValue::Alarm
            } else {
                StateValue::Ok
            };
            let title = format!(
                "{phase}: {region}'s alarm goes to {}; DNS should answer {expected}",
                state.as_str()
            );
            self.alarm_phase(phase, title, region, state, &expected)
                .await?;
        }
        self.timeline.end_phases();
        Ok(doctor)
    }
}

/// The active-active expectations from the timeline and the journal (pure).
pub(crate) fn analyse(
    record: &Record,
    regions: &[String],
    stable_for_secs: u64,
    journal: &[TransitionRecord],
) -> (ServiceMeasurements, Vec<Expectation>) {
    let mut expectations = Vec::new();
    let mut measured = ServiceMeasurements::default();
    let names: Vec<&str> = PHASES.iter().map(|(p, _, _)| *p).collect();
    let home = regions[0].as_str();
    for (index, (phase, _, wanted)) in PHASES.iter().enumerate() {
        let expected = answer_of(regions, *wanted);
        // While home is failing, DNS never answers it — not alone, and not beside the
        // other (Route 53 failing open because every record went unhealthy).
        let home_failing = matches!(*phase, "both-fail" | "second-recovers");
        let answers_home = |a: &str| {
            (home_failing && a.split('+').any(|r| r == home))
                .then(|| format!(", while {home} was failing"))
        };
        let (expectation, reached) = dns_phase(record, &names, index, &expected, answers_home);
        expectations.push(expectation);
        match *phase {
            "home-fails" => measured.home_evacuated_dns = reached,
            "home-recovers" => {
                measured.home_restored_dns = reached;
                if let Some(after) = reached {
                    expectations.push(waited_for_stable_window(
                        format!("{phase}: {home} returned after its stable window"),
                        after,
                        stable_for_secs,
                    ));
                }
            }
            _ => {}
        }
    }
    let moves: Vec<String> = journal
        .iter()
        .map(|t| {
            let service = t.event.service.as_ref();
            format!(
                "{} {}{}",
                t.event.kind.as_str(),
                service.map_or("?", |s| s.region.as_str()),
                match service {
                    Some(s) if s.in_service => " in",
                    Some(_) => " out",
                    None => "",
                }
            )
        })
        .collect();
    let wanted = [
        format!("{} {} out", TransitionKind::Evacuate.as_str(), regions[0]),
        format!("{} {} in", TransitionKind::Restore.as_str(), regions[0]),
    ];
    expectations.push(journal_holds(
        format!(
            "the journal holds {home}'s evacuation and return, and no evacuation of the last region in service"
        ),
        &moves,
        &wanted,
    ));
    (measured, expectations)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drill::analysis::passed;
    use crate::drill::dataplane::DNS_LANE;

    fn regions() -> Vec<String> {
        ["us-east-1", "us-west-2"].map(String::from).to_vec()
    }

    /// A timeline whose DNS lane answers `answers` (time, answer) through the phases,
    /// each ten seconds long.
    fn record(answers: &[(f64, &str)]) -> Record {
        let names: Vec<&'static str> = PHASES.iter().map(|(p, _, _)| *p).collect();
        Record::made_up(&names, DNS_LANE, answers)
    }

    fn verdicts(answers: &[(f64, &str)]) -> Vec<(String, bool)> {
        analyse(&record(answers), &regions(), 4, &[])
            .1
            .into_iter()
            .map(|e| (e.name, e.passed))
            .collect()
    }

    #[test]
    fn evacuation_last_in_service_and_return_pass_every_phase() {
        let v = verdicts(&[
            (0.0, "us-east-1+us-west-2"),
            (13.0, "us-west-2"),
            (46.0, "us-east-1+us-west-2"),
        ]);
        for phase in [
            "baseline",
            "home-fails",
            "both-fail",
            "second-recovers",
            "home-recovers",
        ] {
            assert!(passed(&v, phase), "{phase}: {v:?}");
        }
        assert!(passed(&v, "home-recovers: us-east-1 returned"));
        assert!(!passed(&v, "the journal"), "no journal given");
    }

    #[test]
    fn failing_open_while_both_fail_fails_that_phase() {
        let v = verdicts(&[
            (0.0, "us-east-1+us-west-2"),
            (13.0, "us-west-2"),
            (24.0, "us-east-1+us-west-2"),
            (25.0, "us-west-2"),
        ]);
        assert!(passed(&v, "home-fails"));
        assert!(
            !passed(&v, "both-fail"),
            "it answered home while failing: {v:?}"
        );
    }

    #[test]
    fn a_return_before_the_stable_window_fails() {
        let v = verdicts(&[
            (0.0, "us-east-1+us-west-2"),
            (13.0, "us-west-2"),
            (41.0, "us-east-1+us-west-2"),
        ]);
        assert!(passed(&v, "home-recovers: DNS"));
        assert!(
            !passed(&v, "home-recovers: us-east-1 returned"),
            "1 s < 4 s: {v:?}"
        );
    }

    #[test]
    fn an_evacuation_dns_never_follows_fails_the_phase() {
        let v = verdicts(&[(0.0, "us-east-1+us-west-2")]);
        assert!(passed(&v, "baseline"));
        assert!(!passed(&v, "home-fails"));
    }
}
