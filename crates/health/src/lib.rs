//! The regionflip health endpoint: a static answer for Route 53 health checkers.
//!
//! One pure handler, [`respond()`], answers from responses precomputed at start
//! ([`Prepared`]) and serves both under Lambda ([`lambda`]: API Gateway REST, HTTP API
//! and function URL events) and as a plain local HTTP server ([`local`]). The
//! configuration ([`Config`]) is read once from environment variables by a pure function
//! and rejected as a whole when any part of it is wrong. The drain switch
//! (`REGIONFLIP_HEALTH_DRAIN=true`) makes the endpoint answer 503 so an operator can take
//! a region out of service through the data plane, without calling Route 53.

pub mod body;
pub mod config;
pub mod lambda;
pub mod local;
pub mod logging;
pub mod respond;

pub use config::{Config, ConfigError, Mode, Problem};
pub use respond::{HealthResponse, Prepared, respond};
