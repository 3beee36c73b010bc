//! The record of every transition: one JSON line each, where auditors and log queries
//! find it.
//!
//! The line is written straight to standard output, not through `tracing`, so it stays
//! one self-contained JSON object whatever log format the function runs with; CloudWatch
//! Logs Insights parses it as is (`filter message = "regionflip transition"`).

use std::io::Write;

use regionflip_core::{GateSetting, TransitionEvent};
use serde::Serialize;

/// One applied transition, as logged: the engine's [`TransitionEvent`], serialised once
/// (flattened, its `decided_at` in RFC 3339), with what only applying it tells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransitionRecord {
    /// Always `regionflip transition`, to filter on.
    pub message: &'static str,
    /// The record name.
    pub record: String,
    /// `records` or `health-gate`.
    pub mode: &'static str,
    /// What the engine decided: kind, from, to, reasons, decided at, sequence, durations.
    #[serde(flatten)]
    pub event: TransitionEvent,
    /// When applied, RFC 3339.
    pub applied_at: String,
    /// The Route 53 change id (`records` mode).
    pub change_id: Option<String>,
    /// The gate values published (`health-gate` mode).
    pub gates: Option<Vec<GateSetting>>,
}

/// The journal as its readers must read it: one record per record name and state
/// sequence, the last one written.
///
/// In `health-gate` mode nothing serialises writers (CloudWatch has no conditional
/// write, and with read/write registers alone two writers cannot agree on which one
/// records). A pass reads the state again right before writing and re-decides if the
/// sequence is taken, which keeps most races to one writer; two writers that both pass
/// that read both write and both record — every writer that wrote records, so a
/// transition is never lost. Readers keep one record per sequence: the two are the same
/// move (same sequence, from and to, decided from the same state) and differ in
/// `decided_at` by the watchers' clock skew. The last one is kept; the dashboard's
/// journal widget does the same in Logs Insights (`sort @timestamp desc | dedup record,
/// sequence`). `records` mode needs none of this: its compare-and-swap lets one writer
/// per sequence through.
pub fn one_per_sequence(records: &[TransitionRecord]) -> Vec<TransitionRecord> {
    let mut kept: Vec<TransitionRecord> = Vec::new();
    for record in records {
        match kept
            .iter_mut()
            .find(|k| k.record == record.record && k.event.sequence == record.event.sequence)
        {
            Some(earlier) => *earlier = record.clone(),
            None => kept.push(record.clone()),
        }
    }
    kept
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

#[cfg(test)]
mod tests {
    use aws_smithy_types::DateTime;
    use aws_smithy_types::date_time::Format;
    use regionflip_core::timestamp::rfc3339;

    /// The core's RFC 3339 agrees with the SDK's formatter across four centuries.
    #[test]
    fn the_core_formats_times_as_the_sdk_does() {
        let mut unix: u64 = 0;
        while unix < 13_000_000_000 {
            let sdk = DateTime::from_secs(unix as i64)
                .fmt(Format::DateTime)
                .expect("formats");
            assert_eq!(rfc3339(unix), sdk, "{unix}");
            unix += 86_399 * 7 + 3_607;
        }
    }
}
