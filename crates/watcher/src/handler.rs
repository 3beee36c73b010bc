//! The Lambda handler: a payload in, a JSON summary out.
//!
//! Kept apart from `main.rs` so tests drive it with the fixtures in `events/` and the
//! in-memory or moto-backed adapters, exactly as Lambda would.

use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::{Value, json};

use crate::journal::Journal;
use crate::ports::{CloudWatchApi, EndpointProbe, Route53Api};
use crate::reconcile::{PassError, Request, Watcher};
use crate::trigger::{self, Trigger, TriggerError};

/// Why an invocation failed. Lambda records it as the invocation's error.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// The payload is not a trigger; nothing was read or written.
    #[error(transparent)]
    Trigger(#[from] TriggerError),
    /// The pass failed; the error says what was (not) changed.
    #[error(transparent)]
    Pass(#[from] PassError),
}

impl From<HandlerError> for Diagnostic {
    fn from(error: HandlerError) -> Diagnostic {
        let error_type = match &error {
            HandlerError::Trigger(_) => "InvalidTrigger",
            HandlerError::Pass(PassError::Contended(_)) => "Contended",
            HandlerError::Pass(PassError::OutOfTime { .. }) => "OutOfTime",
            HandlerError::Pass(_) => "ApplyFailed",
        };
        Diagnostic {
            error_type: error_type.into(),
            error_message: error.to_string(),
        }
    }
}

/// Handles one invocation at wall-clock time `now` (Unix seconds).
pub async fn handle<R: Route53Api, C: CloudWatchApi, J: Journal, P: EndpointProbe>(
    watcher: &Watcher<R, C, J, P>,
    event: LambdaEvent<Value>,
    now: u64,
) -> Result<Value, HandlerError> {
    let size = json_size(&event.payload);
    let triggers = trigger::parse(&event.payload, size)?;
    let own_account = account_of(&event.context.invoked_function_arn);
    let mut relevant: Vec<&Trigger> = Vec::new();
    let mut ignored: Vec<String> = Vec::new();
    for t in &triggers {
        match trigger::relevance(t, watcher.config(), own_account) {
            Ok(()) => relevant.push(t),
            Err(why) => ignored.push(why),
        }
    }
    if relevant.is_empty() {
        tracing::info!(?ignored, "trigger ignored; nothing read, nothing written");
        return Ok(json!({ "ignored": ignored }));
    }
    // Health probes and ticks arrive forever: the pass itself is logged only when it
    // changes something (the transition record) or fails.
    tracing::debug!(?relevant, "pass triggered");
    // An alarm event reaches only the watcher of the alarm's region: it acts at once. A
    // tick reaches every region's watcher: only the duty region's acts on it.
    let request = if relevant.iter().all(|t| **t == Trigger::Tick) {
        Request::Tick
    } else {
        Request::Automatic
    };
    let report = watcher
        .reconcile_before(&request, now, false, deadline_of(&event.context))
        .await?;
    let mut summary =
        serde_json::to_value(&report).unwrap_or_else(|e| json!({ "error": e.to_string() }));
    if !ignored.is_empty() {
        summary["ignored"] = json!(ignored);
    }
    Ok(summary)
}

/// The invocation's deadline as an `Instant`. Lambda gives it in epoch milliseconds; a
/// context without one (tests, local runs) has no deadline.
fn deadline_of(context: &lambda_runtime::Context) -> Option<std::time::Instant> {
    if context.deadline == 0 {
        return None;
    }
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    if context.deadline <= now_ms {
        // Lambda always invokes with time left; a deadline already past is a local
        // emulator's placeholder (cargo lambda watch sends one), not a real budget.
        tracing::warn!(
            deadline_ms = context.deadline,
            now_ms,
            "ignoring a deadline already past"
        );
        return None;
    }
    let left = std::time::Duration::from_millis(context.deadline - now_ms);
    Some(std::time::Instant::now() + left)
}

/// The account id in a function ARN (`arn:aws:lambda:REGION:ACCOUNT:function:NAME`).
fn account_of(function_arn: &str) -> Option<&str> {
    function_arn.split(':').nth(4).filter(|a| !a.is_empty())
}

/// Size of a JSON value as serialised, without building the string.
fn json_size(value: &Value) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    let _ = serde_json::to_writer(&mut counter, value);
    counter.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context_with_deadline(deadline: u64) -> lambda_runtime::Context {
        let mut context = lambda_runtime::Context::default();
        context.deadline = deadline;
        context
    }

    #[test]
    fn a_real_deadline_bounds_the_pass() {
        let in_a_minute = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64 + 60_000)
            .unwrap_or(0);
        let deadline = deadline_of(&context_with_deadline(in_a_minute)).expect("a deadline");
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        assert!(left > std::time::Duration::from_secs(50), "{left:?}");
    }

    #[test]
    fn absent_or_past_deadlines_do_not_bound_the_pass() {
        assert!(deadline_of(&context_with_deadline(0)).is_none());
        assert!(deadline_of(&context_with_deadline(1_000)).is_none());
    }

    #[test]
    fn account_comes_from_the_function_arn() {
        assert_eq!(
            account_of("arn:aws:lambda:us-east-1:123456789012:function:w"),
            Some("123456789012")
        );
        assert_eq!(account_of(""), None);
    }
}
