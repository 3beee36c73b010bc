//! The regionflip watcher: observes alarms and routing, asks the core engine what to do,
//! carries out its plan against Route 53 or the CloudWatch gates, and records every
//! transition as a structured log line and CloudWatch metrics.
//!
//! Everything here ships in the watcher Lambda. The Lambda binary (`src/main.rs`) and the
//! operator CLI share this library: the CLI's `reconcile` is exactly one
//! [`Watcher::reconcile`] call, the call the Lambda makes.
//!
//! **API Boundary:** other crates use [`Watcher`] (built with [`Watcher::new`]), the
//! [`ports`] and their SDK adapters in [`aws`], the [`handler`] and the [`journal`]'s
//! record type. `regionflip-provision` builds on the ports and adapters; the local AWS
//! doubles (`regionflip-local-aws`) implement the ports. Nothing here depends on them.

pub mod aws;
pub mod handler;
pub mod journal;
pub mod metrics;
mod observer;
pub mod ports;
pub mod probe;
mod reconcile;
pub mod trigger;

pub use reconcile::{PassError, PassReport, Request, Watcher, WatcherSettings};
