//! `regionflip doctor [--recent-secs N]`: would failover work right now? Read only.
//!
//! Reads the configured deployment (`read.rs`), judges it by the rule table of
//! `judge.rs` (alarms and guards, endpoint checks and what they request, what `init`
//! manages, gate alarms against their checks, the state, recent watcher passes, a
//! failover target known healthy now) and prints one line per check, or with `--json`
//! one document `{"passed", "checks": [{"rule", "resource", "status", "detail",
//! "fix"}]}`. Exit codes: 0 every check passed (warnings allowed), 4 a check failed,
//! 2 bad configuration; AWS calls that fail are failed checks, never a crash.

mod judge;
mod read;

use std::fmt::Write;

use regionflip_core::Config;
use regionflip_core::Decision;
use regionflip_core::observe::Observations;
use regionflip_watcher::Request;
use serde::Serialize;

use crate::args::{DoctorArgs, GlobalArgs};
use crate::context::{load_watcher, print_json, unix_now};
use crate::error::CliError;
pub(crate) use judge::{Check, Status};
use judge::{judge, passed};
pub(crate) use read::Clients;

/// Reads and judges the deployment; `observed` is what a watcher pass reads and decides
/// now. Returns every check and whether none failed.
pub(crate) async fn examine(
    config: &Config,
    clients: Clients<'_>,
    observed: (Observations, Decision),
    now: u64,
    recent_secs: u64,
) -> (Vec<Check>, bool) {
    let findings = read::read(config, clients, observed, now, recent_secs).await;
    let checks = judge(config, &findings);
    let ok = passed(&checks);
    (checks, ok)
}

/// The `--json` document.
#[derive(Debug, Serialize)]
struct Report<'a> {
    passed: bool,
    checks: &'a [Check],
}

/// `regionflip doctor`.
pub(crate) async fn run(global: &GlobalArgs, args: &DoctorArgs) -> Result<(), CliError> {
    let watcher = load_watcher(global).await?;
    let now = unix_now();
    let observed = watcher.observe_and_decide(&Request::Automatic, now).await;
    let clients = Clients {
        route53: watcher.route53(),
        cloudwatch: watcher.cloudwatch(),
    };
    let (checks, ok) = examine(watcher.config(), clients, observed, now, args.recent_secs).await;
    if global.json {
        print_json(&Report {
            passed: ok,
            checks: &checks,
        })?;
    } else {
        print!("{}", render(&checks));
    }
    if ok {
        Ok(())
    } else {
        let failed = checks.iter().filter(|c| c.status == Status::Fail).count();
        Err(CliError::CheckFailed(format!(
            "{failed} check(s) failed: failover may not work"
        )))
    }
}

/// One line per check, a fix under each that did not pass, then the counts.
pub(crate) fn render(checks: &[Check]) -> String {
    let mut out = String::new();
    for check in checks {
        let word = match check.status {
            Status::Pass => "ok  ",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
        };
        let _ = writeln!(
            out,
            "{word} {:<22} {}: {}",
            check.rule, check.resource, check.detail
        );
        if let Some(fix) = check.fix.as_ref().filter(|_| check.status != Status::Pass) {
            let _ = writeln!(out, "     fix: {fix}");
        }
    }
    let count = |status| checks.iter().filter(|c| c.status == status).count();
    let _ = writeln!(
        out,
        "{} passed, {} warned, {} failed",
        count(Status::Pass),
        count(Status::Warn),
        count(Status::Fail)
    );
    out
}
