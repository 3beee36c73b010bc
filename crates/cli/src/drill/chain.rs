//! The three-region scenario (`regionflip drill --regions 3`): traffic goes down the gate
//! chain and comes back up it, one region at a time.
//!
//! | phase           | what the drill does                         | what should follow          |
//! |-----------------|---------------------------------------------|-----------------------------|
//! | baseline        | nothing                                     | DNS answers home            |
//! | home-fails      | home's API alarm to ALARM (a gray failure:  | DNS answers the second      |
//! |                 | its endpoint stays healthy)                 | choice, never the third     |
//! | second-fails    | the second choice's alarm to ALARM too      | DNS answers the third       |
//! | second-recovers | the second choice's alarm back to OK        | after its stable window,    |
//! |                 |                                             | DNS answers the second      |
//! | home-recovers   | home's alarm back to OK                     | after its stable window,    |
//! |                 |                                             | DNS answers home            |
//!
//! The regions after home are passive from the start (their request alarms in
//! INSUFFICIENT_DATA, as on AWS). Only alarms fail here, so every endpoint check stays
//! healthy: each move is the watcher closing or opening gates, and Route 53 (the drill's
//! data plane) following them down the chain. [`analyse`] turns the timeline into the
//! expectations, pure, and is tested below on made-up timelines.

use aws_sdk_cloudwatch::types::StateValue;
use regionflip_watcher::journal::TransitionRecord;
use serde::Serialize;

use super::analysis::{Expectation, dns_phase, journal_holds, waited_for_stable_window};
use super::scenario::Scenario;
use super::timeline::Record;
use crate::error::CliError;

/// The phases, in order, with the region DNS should answer at the end of each.
const PHASES: [(&str, usize); 5] = [
    ("baseline", 0),
    ("home-fails", 1),
    ("second-fails", 2),
    ("second-recovers", 1),
    ("home-recovers", 0),
];

/// What the three-region drill measured: seconds from each phase's start to DNS
/// answering the region it should.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub(crate) struct ChainMeasurements {
    /// home fails → DNS answers the second choice.
    pub(crate) home_fails_dns: Option<f64>,
    /// the second fails too → DNS answers the third.
    pub(crate) second_fails_dns: Option<f64>,
    /// the second recovers → DNS answers it again.
    pub(crate) second_recovers_dns: Option<f64>,
    /// home recovers → DNS answers home.
    pub(crate) home_recovers_dns: Option<f64>,
}

impl Scenario<'_> {
    /// Plays the three-region phases; returns what the doctor said before the faults.
    pub(crate) async fn play_chain(self) -> Result<super::scenario::DoctorRun, CliError> {
        let regions: Vec<String> = self.config.regions.iter().map(|r| r.name.clone()).collect();
        let doctor = self.start().await?;
        let t = self.timings;
        self.timeline.phase(
            "baseline",
            format!(
                "baseline: three regions healthy for {:.1} s",
                t.baseline.as_secs_f64()
            ),
        );
        self.pace(t.baseline).await;
        let steps = [
            (
                "home-fails",
                0,
                StateValue::Alarm,
                "gray failure: home's alarm goes to ALARM; its endpoint stays healthy",
            ),
            (
                "second-fails",
                1,
                StateValue::Alarm,
                "the second choice's alarm goes to ALARM too",
            ),
            (
                "second-recovers",
                1,
                StateValue::Ok,
                "the second choice's alarm is OK again",
            ),
            (
                "home-recovers",
                0,
                StateValue::Ok,
                "home's alarm is OK again",
            ),
        ];
        for (phase, region, state, what) in steps {
            let region = &regions[region];
            let expected = &regions[PHASES
                .iter()
                .find(|(p, _)| *p == phase)
                .map_or(0, |(_, r)| *r)];
            let title = format!("{phase}: {what} ({region}); DNS should answer {expected}");
            self.alarm_phase(phase, title, region, state, expected)
                .await?;
        }
        self.timeline.end_phases();
        Ok(doctor)
    }
}

/// The three-region expectations from the timeline and the journal (pure).
pub(crate) fn analyse(
    record: &Record,
    regions: &[String],
    stable_for_secs: u64,
    journal: &[TransitionRecord],
) -> (ChainMeasurements, Vec<Expectation>) {
    let mut expectations = Vec::new();
    let mut measured = ChainMeasurements::default();
    let names: Vec<&str> = PHASES.iter().map(|(p, _)| *p).collect();
    for (index, (phase, expected)) in PHASES.iter().enumerate() {
        let expected = &regions[*expected];
        // On the way down, DNS never answers a region further down the chain than the
        // one it should (a failover skips no healthy region); on the way up, never one
        // above it (that region is still failing).
        let rank = |r: &str| regions.iter().position(|x| x == r).unwrap_or(usize::MAX);
        let recovering = phase.ends_with("recovers");
        let overshoot = |a: &str| {
            let beyond = if recovering {
                rank(a) < rank(expected)
            } else {
                rank(a) > rank(expected)
            };
            beyond.then(String::new)
        };
        let (expectation, reached) = dns_phase(record, &names, index, expected, overshoot);
        expectations.push(expectation);
        match *phase {
            "home-fails" => measured.home_fails_dns = reached,
            "second-fails" => measured.second_fails_dns = reached,
            "second-recovers" => measured.second_recovers_dns = reached,
            "home-recovers" => measured.home_recovers_dns = reached,
            _ => {}
        }
        // A failback waits for the stable window of the region it returns to.
        if let (true, Some(after)) = (recovering, reached) {
            expectations.push(waited_for_stable_window(
                format!("{phase}: the failback to {expected} waited for its stable window"),
                after,
                stable_for_secs,
            ));
        }
    }
    let moves: Vec<String> = journal
        .iter()
        .map(|t| format!("{} {}→{}", t.event.kind.as_str(), t.event.from, t.event.to))
        .collect();
    let wanted = [
        format!("failover {}→{}", regions[0], regions[1]),
        format!("failover {}→{}", regions[1], regions[2]),
        format!("failback {}→{}", regions[2], regions[1]),
        format!("failback {}→{}", regions[1], regions[0]),
    ];
    expectations.push(journal_holds(
        "the journal holds the four moves down and up the chain, in order".into(),
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
        ["us-east-1", "us-west-2", "eu-west-1"]
            .map(String::from)
            .to_vec()
    }

    /// A timeline whose DNS lane answers `answers` (time, region) through the phases,
    /// each ten seconds long.
    fn record(answers: &[(f64, &str)]) -> Record {
        let names: Vec<&'static str> = PHASES.iter().map(|(p, _)| *p).collect();
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
    fn traffic_down_and_up_the_chain_passes_every_phase() {
        let v = verdicts(&[
            (0.0, "us-east-1"),
            (12.0, "us-west-2"),
            (23.0, "eu-west-1"),
            (35.0, "us-west-2"),
            (46.0, "us-east-1"),
        ]);
        for phase in [
            "baseline",
            "home-fails",
            "second-fails",
            "second-recovers",
            "home-recovers",
        ] {
            assert!(passed(&v, phase), "{phase}: {v:?}");
        }
        assert!(passed(&v, "second-recovers: the failback"));
        assert!(passed(&v, "home-recovers: the failback"));
        assert!(!passed(&v, "the journal"), "no journal given");
    }

    #[test]
    fn skipping_the_second_choice_on_the_way_down_fails_that_phase() {
        let v = verdicts(&[(0.0, "us-east-1"), (12.0, "eu-west-1"), (13.0, "us-west-2")]);
        assert!(passed(&v, "baseline"));
        assert!(
            !passed(&v, "home-fails"),
            "it answered the third first: {v:?}"
        );
    }

    #[test]
    fn a_failback_before_the_stable_window_fails() {
        let v = verdicts(&[
            (0.0, "us-east-1"),
            (12.0, "us-west-2"),
            (23.0, "eu-west-1"),
            (31.0, "us-west-2"),
            (46.0, "us-east-1"),
        ]);
        assert!(passed(&v, "second-recovers: DNS"));
        assert!(
            !passed(&v, "second-recovers: the failback"),
            "1 s < 4 s: {v:?}"
        );
    }

    #[test]
    fn answering_a_region_still_failing_on_the_way_up_fails_that_phase() {
        let v = verdicts(&[
            (0.0, "us-east-1"),
            (12.0, "us-west-2"),
            (23.0, "eu-west-1"),
            (35.0, "us-east-1"),
            (36.0, "us-west-2"),
            (46.0, "us-east-1"),
        ]);
        assert!(
            !passed(&v, "second-recovers: DNS"),
            "home answered while failing: {v:?}"
        );
        assert!(passed(&v, "home-recovers: DNS"));
    }

    #[test]
    fn dns_that_never_follows_fails_the_phase() {
        let v = verdicts(&[(0.0, "us-east-1"), (12.0, "us-west-2")]);
        assert!(passed(&v, "home-fails"));
        assert!(!passed(&v, "second-fails"));
        assert!(
            !passed(&v, "home-recovers"),
            "it still answers us-west-2: {v:?}"
        );
    }
}
