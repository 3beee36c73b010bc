//! `regionflip init [--dry-run] [--adopt]`: creates what regionflip owns, idempotently,
//! and refuses to overwrite what it does not own; with `--adopt`, a plain record already
//! serving the name from the home region is replaced by the failover pair in the one
//! change batch that creates it.
//!
//! The work is [`regionflip_provision`] (which documents what init creates and
//! what the SAM stack creates); this module runs it on the SDK clients and prints the
//! result. Exit codes: 0 initialised or already initialised (or a dry run), 1 an AWS
//! call failed (the message lists what was created before it; running init again
//! continues), 2 bad configuration, 3 refused: something exists that regionflip did not
//! create, or not as init would create it (nothing was written).

use std::fmt::Write;

use regionflip_provision::{self as provision, InitError, InitReport};
use serde::Serialize;

use crate::args::{GlobalArgs, InitArgs};
use crate::context::{load_watcher, print_json, unix_now};
use crate::error::CliError;

/// `regionflip init`.
pub(crate) async fn run(global: &GlobalArgs, args: &InitArgs) -> Result<(), CliError> {
    let watcher = load_watcher(global).await?;
    let result = provision::init(
        watcher.config(),
        watcher.route53(),
        watcher.route53(),
        watcher.cloudwatch(),
        unix_now(),
        provision::InitOptions {
            dry_run: args.dry_run,
            adopt: args.adopt,
        },
    )
    .await;
    match result {
        Ok(report) => {
            if global.json {
                print_json(&report)
            } else {
                print!("{}", render(&report, watcher.config().record_name.as_str()));
                Ok(())
            }
        }
        Err(InitError::Refused(problems)) => {
            if global.json {
                print_json(&Refusal { refused: &problems })?;
            }
            Err(CliError::Refused(problems.join("\n  ")))
        }
        Err(error) => Err(CliError::Failed(format!("init: {error}"))),
    }
}

/// The `--json` document of a refusal.
#[derive(Debug, Serialize)]
struct Refusal<'a> {
    refused: &'a [String],
}

fn render(report: &InitReport, record: &str) -> String {
    let mut out = String::new();
    for warning in &report.warnings {
        let _ = writeln!(out, "warning: {warning}");
    }
    if !report.existing.is_empty() {
        let _ = writeln!(out, "exists:");
        for line in &report.existing {
            let _ = writeln!(out, "  {line}");
        }
    }
    if !report.obsolete.is_empty() {
        let _ = writeln!(out, "no longer used (init never deletes):");
        for line in &report.obsolete {
            let _ = writeln!(out, "  {line}");
        }
    }
    if report.already_initialised {
        let _ = writeln!(out, "{record} is already initialised; nothing to do");
        return out;
    }
    if report.dry_run {
        let _ = writeln!(out, "dry run, nothing was written; init would:");
        for step in &report.steps {
            let _ = writeln!(out, "  {step}");
        }
    } else {
        let _ = writeln!(out, "created:");
        for line in &report.created {
            let _ = writeln!(out, "  {line}");
        }
        let _ = writeln!(out, "{record} is initialised");
    }
    out
}
