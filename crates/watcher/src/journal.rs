//! The record of every transition: one JSON line each, where auditors and log queries
//! find it.
//!
//! The line is written straight to standard output, not through `tracing`, so it stays
//! one self-contained JSON object whatever log format the function runs with; CloudWatch
//! Logs Insights parses it as is (`filter message = "regionflip transition"`).

use std::io::Write;

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use regionflip_core::{GateSetting, TransitionKind};
use serde::Serialize;

/// One applied transition, as logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransitionRecord {
    /// Always `regionflip transition`, to filter on.
    pub message: &'static str,
    /// The record name.
    pub record: String,
    /// `records` or `health-gate`.
    pub mode: &'static str,
    /// failover, failback or manual.
    pub kind: TransitionKind,
    /// The region traffic left.
    pub from: String,
    /// The region traffic went to.
    pub to: String,
    /// Why, as sentences.
    pub reasons: Vec<String>,
    /// When decided, RFC 3339.
    pub decided_at: String,
    /// When applied, RFC 3339.
    pub applied_at: String,
    /// The state sequence number written.
    pub sequence: u64,
    /// The Route 53 change id (`records` mode).
    pub change_id: Option<String>,
    /// The gate values published (`health-gate` mode).
    pub gates: Option<Vec<GateSetting>>,
    /// How long routing had been as it was.
    pub time_in_previous_state_secs: Option<u64>,
    /// On a return home: how long traffic was away.
    pub time_in_failover_secs: Option<u64>,
}

/// RFC 3339 for a Unix time.
pub fn rfc3339(unix_secs: u64) -> String {
    DateTime::from_secs(i64::try_from(unix_secs).unwrap_or(i64::MAX))
        .fmt(Format::DateTime)
        .unwrap_or_else(|_| unix_secs.to_string())
}

/// Where transition records go.
pub trait Journal: Send + Sync {
    /// Records one transition.
    fn record(&self, record: &TransitionRecord);
}

/// Standard output, one JSON line per record (Lambda sends it to CloudWatch Logs).
#[derive(Debug, Default, Clone, Copy)]
pub struct StdoutJournal;

impl Journal for StdoutJournal {
    fn record(&self, record: &TransitionRecord) {
        if let Ok(line) = serde_json::to_string(record) {
            let mut out = std::io::stdout().lock();
            // A failed write to stdout has nowhere better to be reported.
            let _ = writeln!(out, "{line}");
        }
    }
}

impl<J: Journal> Journal for &J {
    fn record(&self, record: &TransitionRecord) {
        (*self).record(record);
    }
}
