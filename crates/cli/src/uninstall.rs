//! `regionflip uninstall [--dry-run] [--to REGION]`: removes what `init` created, the name
//! first handed back to a plain record on the region traffic is on (one change batch, so
//! it never goes unanswered), then init's health checks, then its alarms. The order and
//! what stays are [`regionflip_provision::plan_uninstall`]'s. Exit codes: 0 removed (or
//! nothing left, or a dry run), 1 an AWS call failed (the message lists what was removed
//! before it; running uninstall again continues), 2 bad configuration, 3 refused (where
//! traffic is cannot be known: pass `--to`).

use std::fmt::Write;

use regionflip_provision::{self as provision, InitError, UninstallOptions, UninstallReport};

use crate::args::{GlobalArgs, UninstallArgs};
use crate::context::{load_watcher, print_json};
use crate::error::CliError;

/// Said before every run: a gate-mode watcher still running writes its state copies back.
const WATCHERS_FIRST: &str = "disable the watchers first (deploy every stack with \
     WatcherState=DISABLED) or delete the stacks right after: a health-gate watcher that \
     still runs writes its state holder alarms again";

/// `regionflip uninstall`.
pub(crate) async fn run(global: &GlobalArgs, args: &UninstallArgs) -> Result<(), CliError> {
    let watcher = load_watcher(global).await?;
    let options = UninstallOptions {
        dry_run: args.dry_run,
        to: args.to.clone(),
    };
    let result = provision::uninstall(
        watcher.config(),
        watcher.route53(),
        watcher.route53(),
        watcher.cloudwatch(),
        &options,
    )
    .await;
    match result {
        Ok(report) if global.json => print_json(&report),
        Ok(report) => {
            print!("{}", render(&report));
            Ok(())
        }
        Err(InitError::Refused(problems)) => Err(CliError::Refused(problems.join("\n  "))),
        Err(error) => Err(CliError::Failed(format!("uninstall: {error}"))),
    }
}

fn render(report: &UninstallReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "note: {WATCHERS_FIRST}");
    if report.steps.is_empty() {
        let _ = writeln!(out, "nothing of regionflip's is left to remove");
    } else if report.dry_run {
        let _ = writeln!(
            out,
            "dry run, nothing was changed; uninstall would, in order:"
        );
        for step in &report.steps {
            let _ = writeln!(out, "  {step}");
        }
    } else {
        let _ = writeln!(out, "removed, in order:");
        for line in &report.removed {
            let _ = writeln!(out, "  {line}");
        }
    }
    let _ = writeln!(out, "kept:");
    for line in &report.kept {
        let _ = writeln!(out, "  {line}");
    }
    out
}
