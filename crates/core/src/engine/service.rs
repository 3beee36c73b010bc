//! Active-active routing (`routing = "latency"` or `"weighted"`): every region in
//! service serves traffic at once, and a failing region is *evacuated* (its gate closes,
//! so its latency or weighted record turns unhealthy and Route 53 stops answering it)
//! and later *restored*. The same evidence, guards, damping, duty rule, state and
//! records as failover routing; rule 1 (a state that cannot be followed) and rule 2
//! (pause) are the failover table's, applied before this one.
//!
//! | #  | situation                                          | decision                          |
//! |----|----------------------------------------------------|-----------------------------------|
//! | S1 | a region in service is unhealthy *as a region that | evacuate it (`ServingUnhealthy`,  |
//! |    | serves* (the evidence table's active verdict: an   | `Evacuating`), never damped but   |
//! |    | alarm in ALARM, a fresh failing check, CloudWatch  | counted; of several, the least    |
//! |    | unreadable with its probe failing)                 | preferred first, one per pass     |
//! | S1a| … evacuating would leave fewer than                | it stays in (`LastInService`):    |
//! |    | `min_in_service` regions in service                | Route 53 never has to fail open   |
//! | S1b| … no region left in service is known healthy as a  | it stays in (`NoHealthyTarget`):  |
//! |    | target                                             | never evacuate onto the unknown   |
//! | S2 | a region in service of unknown health, or suspect  | stays in: unknown data never      |
//! |    | (only the watcher's probe fails)                   | evacuates (`ActiveUnknown`,       |
//! |    |                                                    | `ActiveSuspect`)                  |
//! | S3 | an out-of-service region healthy as a target while | restore it at once, like a        |
//! |    | a region in service is held in by S1a/S1b          | failover: no stable window, no    |
//! |    |                                                    | dwell, no operator hold; guards   |
//! |    |                                                    | bind with `respect_guards`        |
//! | S4 | an out-of-service region healthy as a target       | restore when: mode auto, no       |
//! |    |                                                    | operator hold, healthy for        |
//! |    |                                                    | `stable_for_secs` by sources with |
//! |    |                                                    | a history, `min_dwell_secs` since |
//! |    |                                                    | its evacuation, guards OK; else   |
//! |    |                                                    | `RestorePending` / `GuardBlocked` |
//! |    |                                                    | / `AwaitingOperator`; the most    |
//! |    |                                                    | preferred first, one per pass     |
//! | S5 | a restore (S3, S4) with the region's automatic     | no change (`RegionDamped`): a     |
//! |    | changes of the last hour + 2 above                 | return keeps room for the         |
//! |    | `max_flips_per_hour`                               | evacuation that may follow it, so |
//! |    |                                                    | no region changes more often      |
//! | S6 | woken by a watcher's tick in a region that is not  | no change (`NotOnDuty`), as rule 7|
//! |    | the duty region                                    |                                   |
//! | S7 | otherwise                                          | no change (`InService`)           |
//!
//! Operator commands: `evacuate REGION` and `restore REGION` go through S1a, S1b, the
//! target's health and its guards unless forced; S1a binds even a forced evacuation
//! (the health endpoint's drain switch takes a region out without regionflip).
//! An operator's evacuation holds automatic restores until `restore` or `resume`;
//! `failover` and `failback` are refused (they name one active region).
//!
//! Why one change per pass: each change is its own state sequence, transition record
//! and damping entry; a second failing region is evacuated on the next pass (its alarm
//! event, or the next tick).

use crate::event::{ServiceChange, TransitionEvent, TransitionKind};
use crate::health::{EvidenceRow, Health, RegionHealth};
use crate::plan::Plan;
use crate::reason::Reason;
use crate::state::EngineState;

use super::{Command, Current, DAMPING_WINDOW_SECS, Decision, Outcome, Pass};

/// Whether a service change was asked for by an operator or decided by the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum By {
    Rules,
    Operator,
}

/// `region`'s automatic service changes in `state` that count toward its damping at
/// `now`: those less than an hour old (stamped ahead of `now` too), in time order.
pub fn region_flips_in_window(state: &EngineState, region: &str, now: u64) -> Vec<u64> {
    let window_start = now.saturating_sub(DAMPING_WINDOW_SECS);
    let mut recent: Vec<u64> = state
        .region_flips
        .iter()
        .filter(|(r, t)| r == region && *t > window_start)
        .map(|(_, t)| *t)
        .collect();
    recent.sort_unstable();
    recent
}

impl Pass<'_> {
    /// The regions in service in `state`, as assessed, in preference order.
    fn in_service<'s>(&'s self, state: &EngineState) -> Vec<&'s RegionHealth> {
        self.regions
            .iter()
            .filter(|h| state.in_service(&h.region))
            .collect()
    }

    /// An automatic pass with active-active routing (rules S1–S7).
    pub(super) fn service_pass(mut self, current: Current) -> Decision {
        let serving: Vec<RegionHealth> = self
            .in_service(&current.state)
            .into_iter()
            .cloned()
            .collect();
        let mut unhealthy = Vec::new();
        for h in &serving {
            let verdict = &h.as_active;
            let (region, evidence) = (h.region.clone(), verdict.evidence.clone());
            match verdict.health {
                Health::Unhealthy => {
                    self.reasons
                        .push(if verdict.row == EvidenceRow::Unreachable {
                            Reason::ActiveUnreachable { region, evidence }
                        } else {
                            Reason::ServingUnhealthy { region, evidence }
                        });
                    unhealthy.push(h.region.clone());
                }
                Health::Unknown => self.reasons.push(match verdict.row {
                    EvidenceRow::ProbeFailsAlone | EvidenceRow::UnreachableButCheckHealthy => {
                        Reason::ActiveSuspect { region, evidence }
                    }
                    _ => Reason::ActiveUnknown { region, evidence },
                }),
                Health::Healthy => {}
            }
        }
        // S1: the least preferred unhealthy region first, so that of equally unhealthy
        // regions the most preferred stays in longest.
        let mut held_in = false;
        for region in unhealthy.iter().rev() {
            match self.evacuation_refusal(&current.state, region) {
                None => {
                    return self.service_change(current, region.clone(), false, By::Rules);
                }
                Some(why) => {
                    self.reasons.push(why);
                    held_in = true;
                }
            }
        }
        self.consider_restore(current, held_in)
    }

    /// Why `region` may not leave service now (S1a, S1b), if it may not.
    fn evacuation_refusal(&self, state: &EngineState, region: &str) -> Option<Reason> {
        let min = self.config.min_in_service;
        let serving = self.in_service(state);
        let count = serving.len() as u32;
        if count.saturating_sub(1) < min {
            return Some(Reason::LastInService {
                region: region.to_string(),
                in_service: count,
                min_in_service: min,
            });
        }
        let healthy_left = serving
            .iter()
            .any(|h| h.region != region && h.health == Health::Healthy);
        (!healthy_left).then_some(Reason::NoHealthyTarget)
    }

    /// S3–S5: whether an out-of-service region returns. `urgent` when a region in
    /// service is unhealthy and held in (S3).
    fn consider_restore(mut self, current: Current, urgent: bool) -> Decision {
        let candidates: Vec<RegionHealth> = self
            .regions
            .iter()
            .filter(|h| !current.state.in_service(&h.region) && h.health == Health::Healthy)
            .cloned()
            .collect();
        if candidates.is_empty() {
            if self.reasons.is_empty() {
                let regions = self
                    .in_service(&current.state)
                    .iter()
                    .map(|h| h.region.clone())
                    .collect();
                self.reasons.push(Reason::InService { regions });
            }
            return self.stay(current);
        }
        if !urgent
            && self.awaits_operator(
                &current,
                &candidates[0].region,
                "an operator evacuated a region; returns wait for `restore` or `resume`",
                "failback.mode is manual: `regionflip restore` returns it",
            )
        {
            return self.stay(current);
        }
        let policy = &self.config.failback;
        let (stable_for, min_dwell, limit) = (
            policy.stable_for_secs,
            policy.min_dwell_secs,
            policy.max_flips_per_hour,
        );
        let guards_bind = !urgent || self.config.failover_respects_guards;
        for h in &candidates {
            self.push_target_evidence(h);
            if let (Some(guard), true) = (&h.blocking_guard, guards_bind) {
                self.reasons.push(Reason::GuardBlocked {
                    region: h.region.clone(),
                    guard: guard.clone(),
                });
                continue;
            }
            // S5: room for this return and the evacuation that may follow it.
            let recent = region_flips_in_window(&current.state, &h.region, self.now);
            if recent.len() + 2 > limit as usize {
                let keep = (limit as usize).saturating_sub(2);
                // Possible once all but `keep` flips left the window; never, with a
                // limit below 2 (the validator refuses it), the hour after the newest.
                let must_leave = recent
                    .len()
                    .checked_sub(keep + 1)
                    .and_then(|i| recent.get(i))
                    .or(recent.last())
                    .copied()
                    .unwrap_or(self.now);
                self.reasons.push(Reason::RegionDamped {
                    region: h.region.clone(),
                    flips: recent.len() as u32,
                    limit,
                    eligible_at: must_leave.saturating_add(DAMPING_WINDOW_SECS),
                });
                continue;
            }
            if urgent {
                self.reasons.push(Reason::Restoring {
                    region: h.region.clone(),
                    why: "a region in service is unhealthy and only held in by min_in_service, so the healthy one returns at once, like a failover".into(),
                });
                return self.service_change(current, h.region.clone(), true, By::Rules);
            }
            let Some(ready_at) = h.healthy_since.map(|s| s.saturating_add(stable_for)) else {
                self.reasons.push(Reason::RestorePending {
                    region: h.region.clone(),
                    eligible_at: None,
                    why: if h.row == EvidenceRow::ProbeHealthyOnly {
                        "it is healthy now by the watcher's probe alone, which has no history; with no history, wait".into()
                    } else {
                        "when it became healthy is not known".into()
                    },
                });
                continue;
            };
            let dwell_until = current
                .state
                .out_since(&h.region)
                .map(|t| t.saturating_add(min_dwell));
            let eligible_at = dwell_until.map_or(ready_at, |d| ready_at.max(d));
            if eligible_at <= self.now {
                self.reasons.push(Reason::Restoring {
                    region: h.region.clone(),
                    why: format!("healthy for {stable_for} s and out for {min_dwell} s at least"),
                });
                return self.service_change(current, h.region.clone(), true, By::Rules);
            }
            self.reasons.push(Reason::RestorePending {
                region: h.region.clone(),
                eligible_at: Some(eligible_at),
                why: if dwell_until.is_some_and(|d| d > ready_at) {
                    format!("it left service less than {min_dwell} s ago")
                } else {
                    format!("not yet healthy for {stable_for} s")
                },
            });
        }
        self.stay(current)
    }

    /// Carries out one region's change of service: `region` into service or out of it.
    fn service_change(
        mut self,
        current: Current,
        region: String,
        into_service: bool,
        by: By,
    ) -> Decision {
        let now = self.now;
        if by == By::Rules
            && let Some(not_on_duty) = self.not_on_duty()
        {
            // The duty watcher carries the change out; this one keeps the gates of the
            // current state and writes nothing.
            self.reasons.push(if into_service {
                Reason::Restoring {
                    region: region.clone(),
                    why: "decided here, carried out by the duty watcher".into(),
                }
            } else {
                Reason::Evacuating {
                    region: region.clone(),
                }
            });
            self.reasons.push(not_on_duty);
            let gates = crate::plan::service_gates(self.config, &current.state);
            let active = current.state.active.clone();
            return self.finish(
                Outcome::NoChange,
                Some(active),
                Some(Plan::Gates { gates, state: None }),
            );
        }
        let old = &current.state;
        let before: Vec<String> = self.in_service_names(old);
        let mut out_of_service: Vec<(String, u64)> = old
            .out_of_service
            .iter()
            .filter(|(r, _)| *r != region)
            .cloned()
            .collect();
        if !into_service {
            out_of_service.push((region.clone(), now));
        }
        // Kept in preference order, so that every writer writes the same text.
        out_of_service.sort_by_key(|(r, _)| self.config.rank(r).unwrap_or(usize::MAX));
        let mut region_flips: Vec<(String, u64)> = old
            .region_flips
            .iter()
            .filter(|(_, t)| *t > now.saturating_sub(DAMPING_WINDOW_SECS))
            .cloned()
            .collect();
        if by == By::Rules {
            region_flips.push((region.clone(), now));
            region_flips.sort_by_key(|(_, t)| *t);
        }
        let home = self.config.home().name.clone();
        let home_out = out_of_service.iter().any(|(r, _)| *r == home);
        let mut next = EngineState {
            sequence: current.next_sequence(),
            last_transition_at: Some(now),
            away_since: if home_out {
                old.away_since.or(Some(now))
            } else {
                None
            },
            hold_failback: match (by, into_service) {
                (By::Operator, false) => true,
                _ => old.hold_failback && !out_of_service.is_empty(),
            },
            out_of_service,
            region_flips,
            ..old.clone()
        };
        let after = self.in_service_names(&next);
        next.active = after.first().cloned().unwrap_or_else(|| old.active.clone());
        if !into_service {
            self.reasons.push(Reason::Evacuating {
                region: region.clone(),
            });
        }
        if let Some(replaced) = current.replacing {
            self.reasons.push(Reason::StateReplaced {
                replaced: replaced.what().into(),
                sequence: next.sequence,
                kept_paused: next.paused && !current.pause_read,
            });
        }
        let kind = match (by, into_service) {
            (By::Operator, _) => TransitionKind::Manual,
            (By::Rules, false) => TransitionKind::Evacuate,
            (By::Rules, true) => TransitionKind::Restore,
        };
        let (from, to) = if into_service {
            (before.join("+"), region.clone())
        } else {
            (region.clone(), after.join("+"))
        };
        let event = TransitionEvent {
            kind,
            from: from.clone(),
            to: to.clone(),
            service: Some(ServiceChange {
                region: region.clone(),
                in_service: into_service,
                regions_in_service: after,
            }),
            reasons: self.reasons.iter().map(ToString::to_string).collect(),
            decided_at: now,
            sequence: next.sequence,
            time_in_previous_state_secs: old.last_transition_at.map(|t| now.saturating_sub(t)),
            time_in_failover_secs: (into_service && region == home)
                .then_some(old.away_since)
                .flatten()
                .map(|t| now.saturating_sub(t)),
        };
        let active = current.state.active.clone();
        let plan = self.plan(&active, &current.state, Some(next), false);
        let mut decision = self.finish(
            Outcome::Transition { kind, from, to },
            current.known_active(),
            Some(plan),
        );
        decision.event = Some(event);
        decision
    }

    fn in_service_names(&self, state: &EngineState) -> Vec<String> {
        self.config
            .regions
            .iter()
            .filter(|r| state.in_service(&r.name))
            .map(|r| r.name.clone())
            .collect()
    }

    /// An operator command with active-active routing: `evacuate` and `restore`, with
    /// `failover` and `failback` refused (pause and resume are shared).
    pub(super) fn service_command(mut self, current: Current, command: &Command) -> Decision {
        let (region, force, into_service) = match command {
            Command::Evacuate { region, force } => (region, *force, false),
            Command::Restore { region, force } => (region, *force, true),
            Command::FailoverTo { .. } | Command::Failback { .. } => {
                self.reasons.push(Reason::Refused {
                    why: format!(
                        "routing is {:?}: every region in service serves, so there is no one region to move traffic to; use `regionflip evacuate REGION` or `regionflip restore REGION`",
                        self.config.routing.as_str()
                    ),
                });
                return self.refuse(current);
            }
            Command::Pause | Command::Resume => return self.pause_or_resume(current, command),
        };
        if self.config.region(region).is_none() {
            self.reasons.push(Reason::Refused {
                why: format!("{region} is not a configured region"),
            });
            return self.refuse(current);
        }
        let target = self.health(region);
        let is_in = current.state.in_service(region);
        if is_in == into_service {
            self.reasons.push(Reason::Refused {
                why: format!(
                    "{region} is already {} service",
                    if is_in { "in" } else { "out of" }
                ),
            });
            return self.refuse(current);
        }
        if !into_service {
            match self.evacuation_refusal(&current.state, region) {
                Some(why @ Reason::LastInService { .. }) => {
                    self.reasons.push(why);
                    self.reasons.push(Reason::Refused {
                        why: format!(
                            "min_in_service = {} binds even a forced evacuation; lower it in the configuration, or drain {region} through its health endpoint's drain switch",
                            self.config.min_in_service
                        ),
                    });
                    return self.refuse(current);
                }
                Some(why) if !force => {
                    self.reasons.push(why);
                    self.reasons.push(Reason::Refused {
                        why: format!(
                            "no region left in service is known healthy; use --force to evacuate {region} anyway"
                        ),
                    });
                    return self.refuse(current);
                }
                Some(_) | None => {}
            }
        } else if !force {
            if self.target_refused(&target, target.blocking_guard.as_ref(), "restore it anyway") {
                return self.refuse(current);
            }
            self.push_target_evidence(&target);
        }
        if force {
            let mut overrode = Vec::new();
            if into_service && target.health != Health::Healthy {
                overrode.push(format!("{region} is not known healthy"));
            }
            if into_service && let Some(guard) = &target.blocking_guard {
                overrode.push(format!("guard {guard} of {region}"));
            }
            if let Some(replaced) = current.replacing {
                overrode.push(format!("{} (rule 1c)", replaced.what()));
            }
            self.reasons.push(Reason::Forced {
                region: region.clone(),
                health: target.health,
                overrode,
            });
        }
        self.reasons.push(Reason::OperatorRequest {
            region: region.clone(),
        });
        if into_service {
            self.reasons.push(Reason::Restoring {
                region: region.clone(),
                why: "an operator asked".into(),
            });
        }
        self.service_change(current, region.clone(), into_service, By::Operator)
    }
}
