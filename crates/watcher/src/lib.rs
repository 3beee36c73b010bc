//! The regionflip watcher: observes alarms and routing, asks the core engine what to do,
//! carries out its plan against Route 53 or the CloudWatch gates, and records every
//! transition as a structured log line and CloudWatch metrics.
//!
//! The Lambda binary (`src/main.rs`) and the operator CLI share this library: the CLI's
//! `reconcile` is exactly one [`Watcher::reconcile`] call, the call the Lambda makes.

pub mod aws;
pub mod counting;
pub mod emulator;
pub mod handler;
pub mod journal;
pub mod memory;
pub mod metrics;
pub mod observer;
pub mod ports;
pub mod provision;
pub mod reconcile;
pub mod trigger;

pub use reconcile::{PassError, PassReport, Request, Watcher, WatcherSettings};
