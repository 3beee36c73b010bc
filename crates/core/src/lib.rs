//! The pure core of regionflip.
//!
//! Configuration, observations, the decision engine, change plans and event records. No
//! I/O, no clock, no AWS SDK types: the watcher Lambda, the CLI and the drill read the
//! world through their adapters, hand the readings to [`decide`], and carry out the
//! [`Plan`] it returns. See ARCHITECTURE.md for the rules and their invariants.

pub mod config;
pub mod engine;
pub mod event;
pub mod health;
mod names;
pub mod observe;
pub mod plan;
pub mod reason;
pub mod records;
pub mod resources;
pub mod state;
pub mod timestamp;

pub use config::{
    Config, ConfigError, ConfigErrors, ConfigWarning, FailbackMode, Mode, NoDataOnStandby,
    RecordConfig, RecordTarget, RecordType, RegionConfig,
};
pub use engine::{
    Command, Decision, Outcome, Trigger, decide, decide_command, duty_region, target_ready,
};
pub use event::{TransitionEvent, TransitionKind};
pub use health::{Health, RegionHealth};
pub use observe::{
    Observations, ProbeOutcome, ProbeReading, RegionObservation, RoutingObservation, SignalReading,
    SignalStatus, StateObservation,
};
pub use plan::{GateSetting, Plan, StateWrite};
pub use reason::Reason;
pub use records::{Change, ChangeAction, FailoverRole, RecordSet};
pub use state::EngineState;
