//! What happened during the drill, in order: the one place every part reports to.
//!
//! Each report is printed at once as one line (`[  12.3s] kind     text`) and kept for
//! the summary, the JSON report and the HTML timeline. Besides the events, the timeline
//! keeps *lanes*: named signals (a region's endpoint check, its gate, the DNS answer…)
//! as a list of changes, which is what the expectations are checked on and what the
//! timeline draws.
//!
//! The scenario waits on the timeline ([`Timeline::wait_until`]) instead of sleeping: it
//! is woken by every change and checks its condition again.

use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use tokio::sync::watch;

/// Where the live lines go: stdout, or stderr when stdout carries the JSON report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Echo {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// One line of the drill's story.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Event {
    /// Seconds since the drill started.
    pub(crate) t: f64,
    /// `setup`, `phase`, `fault`, `check`, `gate`, `dns`, `watcher`, `warning`, `error`.
    pub(crate) kind: &'static str,
    /// What happened.
    pub(crate) text: String,
}

/// A phase of the scenario.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Phase {
    /// Short name (`outage`, `gray`…).
    pub(crate) name: &'static str,
    /// What it does.
    pub(crate) title: String,
    /// Start, seconds since the drill started.
    pub(crate) start: f64,
    /// End, once known.
    pub(crate) end: Option<f64>,
}

/// One change of a lane's value.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Point {
    /// Seconds since the drill started.
    pub(crate) t: f64,
    /// The new value (`healthy`, `ALARM`, a region name…).
    pub(crate) value: String,
}

/// A named signal over time.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Lane {
    /// Its name, e.g. `us-east-1 endpoint check`.
    pub(crate) name: String,
    /// Its changes, in time order.
    pub(crate) points: Vec<Point>,
}

impl Lane {
    /// The value now.
    pub(crate) fn last(&self) -> Option<&str> {
        self.points.last().map(|p| p.value.as_str())
    }

    /// The first time at or after `after` that the lane took `value`.
    pub(crate) fn first(&self, value: &str, after: f64) -> Option<f64> {
        self.points
            .iter()
            .find(|p| p.t >= after && p.value == value)
            .map(|p| p.t)
    }

    /// The value at time `t`.
    pub(crate) fn at(&self, t: f64) -> Option<&str> {
        self.points
            .iter()
            .rev()
            .find(|p| p.t <= t)
            .map(|p| p.value.as_str())
    }
}

/// A transition the watcher applied.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Transition {
    /// Seconds since the drill started.
    pub(crate) t: f64,
    /// `failover`, `failback` or `manual`.
    pub(crate) kind: &'static str,
    /// From this region.
    pub(crate) from: String,
    /// To this region.
    pub(crate) to: String,
    /// What woke the pass.
    pub(crate) cause: String,
    /// The engine's reasons.
    pub(crate) reasons: Vec<String>,
    /// The state sequence it wrote.
    pub(crate) sequence: u64,
}

/// Everything recorded.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Record {
    /// The story, line by line.
    pub(crate) events: Vec<Event>,
    /// The scenario's phases.
    pub(crate) phases: Vec<Phase>,
    /// The signals.
    pub(crate) lanes: Vec<Lane>,
    /// Transitions applied.
    pub(crate) transitions: Vec<Transition>,
    /// Watcher passes run.
    pub(crate) passes: u32,
    /// Passes that failed, with the error.
    pub(crate) pass_errors: Vec<Event>,
    /// Times of passes the engine damped.
    pub(crate) damped: Vec<f64>,
    /// The watcher's last reasons, to print only changes.
    #[serde(skip)]
    pub(crate) last_reasons: String,
}

impl Record {
    /// The lane called `name`, if it ever changed.
    pub(crate) fn lane(&self, name: &str) -> Option<&Lane> {
        self.lanes.iter().find(|l| l.name == name)
    }

    /// The transitions of `kind` at or after `after`.
    pub(crate) fn transitions_after(
        &self,
        kind: &str,
        after: f64,
    ) -> impl Iterator<Item = &Transition> {
        self.transitions
            .iter()
            .filter(move |tr| tr.kind == kind && tr.t >= after)
    }

    /// The phase called `name`.
    pub(crate) fn phase(&self, name: &str) -> Option<&Phase> {
        self.phases.iter().find(|p| p.name == name)
    }

    /// The values `lane` took during phase `phases[index]` of a scenario whose phases are
    /// `phases`, in order: the one in force at its start, then each change before its end
    /// (its own, else the next phase's start); with the phase's start. `None` when the
    /// phase did not run.
    pub(crate) fn during_phase(
        &self,
        lane: &str,
        phases: &[&str],
        index: usize,
    ) -> Option<(f64, Vec<(f64, &str)>)> {
        let span = self.phase(phases.get(index)?)?;
        let end = span
            .end
            .or_else(|| {
                phases
                    .get(index + 1)
                    .and_then(|next| self.phase(next))
                    .map(|p| p.start)
            })
            .unwrap_or(f64::INFINITY);
        let values = self
            .lane(lane)
            .map(|l| {
                l.at(span.start)
                    .map(|v| (span.start, v))
                    .into_iter()
                    .chain(
                        l.points
                            .iter()
                            .filter(|p| p.t > span.start && p.t < end)
                            .map(|p| (p.t, p.value.as_str())),
                    )
                    .collect()
            })
            .unwrap_or_default();
        Some((span.start, values))
    }

    /// A made-up timeline for the scenarios' analysis tests: `phases`, each ten seconds
    /// long, and `lane` taking `values` (time, value).
    #[cfg(test)]
    pub(crate) fn made_up(phases: &[&'static str], lane: &str, values: &[(f64, &str)]) -> Record {
        let mut record = Record::default();
        for (i, name) in phases.iter().enumerate() {
            record.phases.push(Phase {
                name,
                title: String::new(),
                start: 10.0 * i as f64,
                end: Some(10.0 * (i + 1) as f64),
            });
        }
        record.lanes.push(Lane {
            name: lane.into(),
            points: values
                .iter()
                .map(|(t, v)| Point {
                    t: *t,
                    value: v.to_string(),
                })
                .collect(),
        });
        record
    }
}

/// The drill's recorder.
#[derive(Debug)]
pub(crate) struct Timeline {
    started: Instant,
    started_unix: f64,
    echo: Echo,
    record: Mutex<Record>,
    changed: watch::Sender<u64>,
}

impl Timeline {
    /// Starts the drill's clock.
    pub(crate) fn new(echo: Echo) -> Timeline {
        Timeline {
            started: Instant::now(),
            started_unix: unix_now_f64(),
            echo,
            record: Mutex::new(Record::default()),
            changed: watch::Sender::new(0),
        }
    }

    /// Seconds since the drill started.
    pub(crate) fn now(&self) -> f64 {
        round_ms(self.started.elapsed().as_secs_f64())
    }

    /// The wall clock when the drill started, Unix seconds.
    pub(crate) fn started_unix(&self) -> f64 {
        self.started_unix
    }

    /// Prints and keeps one event.
    pub(crate) fn event(&self, kind: &'static str, text: impl Into<String>) {
        let t = self.now();
        let text = text.into();
        self.print(t, kind, &text);
        self.update(|r| r.events.push(Event { t, kind, text }));
    }

    /// Records a lane's value; only a change is kept. Returns whether it changed.
    pub(crate) fn lane(&self, name: &str, value: &str) -> bool {
        let t = self.now();
        self.update(|r| {
            let lane = match r.lanes.iter_mut().position(|l| l.name == name) {
                Some(i) => &mut r.lanes[i],
                None => {
                    r.lanes.push(Lane {
                        name: name.to_string(),
                        points: Vec::new(),
                    });
                    let last = r.lanes.len() - 1;
                    &mut r.lanes[last]
                }
            };
            if lane.last() == Some(value) {
                return false;
            }
            lane.points.push(Point {
                t,
                value: value.to_string(),
            });
            true
        })
    }

    /// Starts a phase (ending the previous one) and prints it.
    pub(crate) fn phase(&self, name: &'static str, title: impl Into<String>) -> f64 {
        let t = self.now();
        let title = title.into();
        self.print(t, "phase", &title);
        self.update(|r| {
            if let Some(last) = r.phases.last_mut() {
                last.end.get_or_insert(t);
            }
            r.phases.push(Phase {
                name,
                title: title.clone(),
                start: t,
                end: None,
            });
            r.events.push(Event {
                t,
                kind: "phase",
                text: title,
            });
        });
        t
    }

    /// Ends the current phase.
    pub(crate) fn end_phases(&self) {
        let t = self.now();
        self.update(|r| {
            if let Some(last) = r.phases.last_mut() {
                last.end.get_or_insert(t);
            }
        });
    }

    /// Changes the record and wakes every waiter.
    pub(crate) fn update<T>(&self, change: impl FnOnce(&mut Record) -> T) -> T {
        let result = {
            let mut record = self.record.lock().unwrap_or_else(|e| e.into_inner());
            change(&mut record)
        };
        self.changed.send_modify(|version| *version += 1);
        result
    }

    /// Reads the record.
    pub(crate) fn read<T>(&self, look: impl FnOnce(&Record) -> T) -> T {
        let record = self.record.lock().unwrap_or_else(|e| e.into_inner());
        look(&record)
    }

    /// Waits until `condition` holds or `limit` has passed; says whether it held.
    pub(crate) async fn wait_until(
        &self,
        limit: Duration,
        condition: impl Fn(&Record) -> bool,
    ) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        // Subscribing first: a change between the check and the wait still wakes us.
        let mut changes = self.changed.subscribe();
        loop {
            if self.read(&condition) {
                return true;
            }
            tokio::select! {
                changed = changes.changed() => {
                    if changed.is_err() {
                        return self.read(&condition);
                    }
                }
                () = tokio::time::sleep_until(deadline) => return self.read(&condition),
            }
        }
    }

    fn print(&self, t: f64, kind: &str, text: &str) {
        let line = format!("[{t:>6.1}s] {kind:<8} {text}");
        // A closed terminal must not stop the drill (its processes still need stopping).
        let _ = match self.echo {
            Echo::Stdout => writeln!(std::io::stdout().lock(), "{line}"),
            Echo::Stderr => writeln!(std::io::stderr().lock(), "{line}"),
        };
    }
}

/// Now, Unix seconds.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Now, Unix seconds with a fraction.
pub(crate) fn unix_now_f64() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn round_ms(secs: f64) -> f64 {
    (secs * 1000.0).round() / 1000.0
}
