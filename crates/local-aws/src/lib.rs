//! regionflip-local-aws: a local AWS for the tests, the drill and the benchmarks.
//!
//! * [`moto`]: the one `moto_server` launcher (a free loopback port, killed on drop) and
//!   [`seed`]: set-up through the production SDK clients of what in real AWS only AWS
//!   itself writes (alarm states, `AWS/Route53 HealthCheckStatus` datapoints).
//! * [`memory`]: faithful in-memory Route 53 and CloudWatch behind the watcher's and
//!   `init`'s ports, with the semantics moto lacks (all-or-nothing batches, exact-match
//!   DELETE, Route 53's idempotent `CreateHealthCheck`).
//! * [`hooked`]: the one decorator around any port, and [`hooks`]: counting calls,
//!   injecting faults and lost answers, seeded interleaving.
//! * [`journal`] and [`fixtures`]: an in-memory transition journal and the sample
//!   deployment the watcher's tests start from.
//!
//! **API Boundary:** tests, the drill (`regionflip drill`) and the benchmarks depend on
//! this crate; the Lambda binaries (`watcher`, `health`) never do — `cargo tree -p
//! regionflip-watcher -e normal` does not list it.

pub mod fixtures;
pub mod hooked;
pub mod hooks;
pub mod journal;
pub mod memory;
pub mod moto;
pub mod seed;
