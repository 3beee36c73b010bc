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
    /// The state this transition wrote, as the order of state copies ranks it
    /// ([`copy_key`](regionflip_core::observe::copy_key)): of two records of one sequence, readers keep the one whose state
    /// won, which is the move the state and routing hold.
    pub journal_key: Option<String>,
}

/// The journal as its readers must read it: one record per record name and state
/// sequence, the one whose state ranks first ([`TransitionRecord::journal_key`]; among
/// equal keys, the last written).
///
/// In `health-gate` mode nothing serialises writers (CloudWatch has no conditional
/// write, and with read/write registers alone two writers cannot agree on which one
/// records). A pass reads the state again right before writing and re-decides if the
/// sequence is taken, which keeps most races to one writer; two writers that both pass
/// that read both write and both record — every writer that wrote records, so a
/// transition is never lost. Their states resolve by the order of state copies
/// ([`copy_key`](regionflip_core::observe::copy_key): the pause, the hold, then the
/// greater text), and two records of one sequence may even name different moves (an
/// operator racing a watcher; active/active watchers evacuating different regions).
/// Readers keep the record whose state ranks first: the one the copies settle on
/// whenever any copy of it survived the race (when the other writer overwrote every
/// copy, only the state itself tells: docs/deploy.md, "Reserved concurrency").
/// `regionflip history` does the same over every region's journal, by [`supersedes`];
/// the dashboard's journal widget in Logs Insights (`sort journal_key desc | dedup
/// record, sequence`), over its own region's log group only. `records` mode needs none
/// of this: its compare-and-swap lets one writer per sequence through.
pub fn one_per_sequence(records: &[TransitionRecord]) -> Vec<TransitionRecord> {
    let mut kept: Vec<(usize, TransitionRecord)> = Vec::new();
    for (written, record) in records.iter().enumerate() {
        let candidate = (record.journal_key.as_deref(), written as i64);
        match kept
            .iter_mut()
            .find(|(_, k)| k.record == record.record && k.event.sequence == record.event.sequence)
        {
            Some((at, earlier)) => {
                if supersedes(candidate, (earlier.journal_key.as_deref(), *at as i64)) {
                    *at = written;
                    *earlier = record.clone();
                }
            }
            None => kept.push((written, record.clone())),
        }
    }
    kept.into_iter().map(|(_, record)| record).collect()
}

/// Of two records of one record name and sequence, each `(journal key, when written)`,
/// whether `candidate` is kept instead of `kept`: its state wins, or both rank alike and
/// it was written later. A record without a key (older watchers) ranks lowest. The one
/// rule of [`one_per_sequence`] and `regionflip history`.
pub fn supersedes(candidate: (Option<&str>, i64), kept: (Option<&str>, i64)) -> bool {
    candidate >= kept
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
