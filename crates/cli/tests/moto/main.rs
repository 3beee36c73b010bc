//! The `regionflip` binary against moto, as an operator runs it against AWS: every
//! command in each mode, concurrent passes, failover on the evidence real AWS delivers,
//! and the quick drill. One test binary, so the tests share one
//! moto process ([`harness::shared_moto`]) and one link step; each test keeps out of the
//! others' way with its own hosted zone, record and alarm names.

#![allow(clippy::unwrap_used)]

mod active_active;
mod concurrent;
mod doctor;
mod drill;
mod evidence;
mod exit_codes;
mod gate_mode;
mod harness;
mod many_records;
mod records_mode;
mod three_regions;
