//! The watcher, run as the Lambda runs it: one [`Watcher::reconcile`] pass per trigger —
//! every alarm change the drill makes (as EventBridge would deliver it) and every tick of
//! the compressed schedule — one pass at a time.

use std::sync::Arc;
use std::time::Duration;

use regionflip_local_aws::journal::MemoryJournal;
use regionflip_watcher::aws::Route53Adapter;
use regionflip_watcher::{PassReport, Request, Watcher};
use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;

use super::cloudwatch::DrillCloudWatch;
use super::timeline::{Timeline, Transition, unix_now};

/// The watcher the drill runs: production Route 53 adapter, the drill's CloudWatch, an
/// in-memory journal.
pub(crate) type DrillWatcher = Watcher<Route53Adapter, DrillCloudWatch, MemoryJournal>;

/// The lane of where the watcher routes.
pub(crate) const WATCHER_LANE: &str = "watcher routes to";

/// Runs passes until the task is dropped.
pub(crate) async fn run(
    watcher: DrillWatcher,
    mut alarm_changes: mpsc::UnboundedReceiver<String>,
    tick: Duration,
    timeline: Arc<Timeline>,
) {
    let mut ticks = tokio::time::interval(tick);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        let cause = tokio::select! {
            _ = ticks.tick() => "tick".to_string(),
            Some(alarm) = alarm_changes.recv() => format!("alarm change of {alarm}"),
        };
        match watcher
            .reconcile(&Request::Automatic, unix_now(), false)
            .await
        {
            Ok(report) => record_pass(&timeline, &cause, &report),
            Err(error) => {
                let text = format!("pass on {cause} failed: {error}");
                timeline.event("error", text.clone());
                let t = timeline.now();
                timeline.update(|r| {
                    r.passes += 1;
                    r.pass_errors.push(super::timeline::Event {
                        t,
                        kind: "error",
                        text,
                    });
                });
            }
        }
    }
}

/// Tells the story of one pass: a transition, or a change in the engine's reasons.
fn record_pass(timeline: &Timeline, cause: &str, report: &PassReport) {
    let t = timeline.now();
    let reasons = report.reasons.join("; ");
    let damped = report
        .decision
        .reasons
        .iter()
        .any(|r| matches!(r, regionflip_core::Reason::Damped { .. }));
    let news = timeline.update(|r| {
        r.passes += 1;
        if damped {
            r.damped.push(t);
        }
        if let Some(record) = &report.transition {
            r.transitions.push(Transition {
                t,
                kind: record.event.kind.as_str(),
                from: record.event.from.clone(),
                to: record.event.to.clone(),
                cause: cause.to_string(),
                reasons: record.event.reasons.clone(),
                sequence: record.event.sequence,
            });
        }
        let changed = r.last_reasons != reasons;
        r.last_reasons = reasons.clone();
        changed
    });
    if let Some(active) = &report.active_after {
        timeline.lane(WATCHER_LANE, active);
    }
    if let Some(record) = &report.transition {
        timeline.event(
            "watcher",
            format!(
                "{} {} → {} on {cause} (state seq {}): {}",
                record.event.kind.as_str().to_uppercase(),
                record.event.from,
                record.event.to,
                record.event.sequence,
                reasons
            ),
        );
    } else if news {
        timeline.event("watcher", format!("on {cause}: {reasons}"));
    }
    for warning in &report.warnings {
        timeline.event("warning", format!("pass on {cause}: {warning}"));
    }
}
