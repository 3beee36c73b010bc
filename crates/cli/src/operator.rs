//! `reconcile`, `failover`, `failback`, `evacuate`, `restore`, `pause`, `resume`: each is
//! exactly one
//! [`Watcher::reconcile`](regionflip_watcher::Watcher::reconcile) call, the call the
//! Lambda makes, so an operator's move goes through the same rules, the same
//! compare-and-swap, the same transition record and the same metrics as an automatic one.
//!
//! Output: the decision (outcome and reasons), the plan, what was applied and the
//! transition; with `--json` the pass report as one JSON document. The transition record
//! goes to standard error as one JSON line ([`StderrJournal`](crate::context::StderrJournal)).
//! A command the rules refuse exits with 3 and the reason.

use std::fmt::Write;

use regionflip_core::engine::Outcome;
use regionflip_core::{ChangeAction, Command, Config, Mode, Plan, RecordSet, RecordType};
use regionflip_core::{Reason, TransitionKind};
use regionflip_watcher::{PassReport, Request};

use crate::args::{FailbackArgs, FailoverArgs, GlobalArgs, HistoryArgs, ServiceArgs};
use crate::context::{load_session, print_json, unix_now, unreadable_essentials};
use crate::error::CliError;

/// `regionflip reconcile [--dry-run]`: one automatic pass.
pub(crate) async fn reconcile(global: &GlobalArgs, dry_run: bool) -> Result<(), CliError> {
    pass(global, Request::Automatic, dry_run, None).await
}

/// `regionflip failover --to REGION [--force] [--dry-run]`.
pub(crate) async fn failover(global: &GlobalArgs, args: FailoverArgs) -> Result<(), CliError> {
    let command = Command::FailoverTo {
        region: args.to,
        force: args.force,
    };
    pass(
        global,
        Request::Command(command),
        args.dry_run,
        args.reason.as_deref(),
    )
    .await
}

/// `regionflip failback [--force] [--dry-run]`.
pub(crate) async fn failback(global: &GlobalArgs, args: FailbackArgs) -> Result<(), CliError> {
    let command = Command::Failback { force: args.force };
    pass(
        global,
        Request::Command(command),
        args.dry_run,
        args.reason.as_deref(),
    )
    .await
}

/// `regionflip evacuate REGION` / `regionflip restore REGION` (`into_service`), each
/// with `[--force] [--dry-run] [--reason TEXT]`.
pub(crate) async fn service(
    global: &GlobalArgs,
    args: ServiceArgs,
    into_service: bool,
) -> Result<(), CliError> {
    let command = if into_service {
        Command::Restore {
            region: args.region,
            force: args.force,
        }
    } else {
        Command::Evacuate {
            region: args.region,
            force: args.force,
        }
    };
    pass(
        global,
        Request::Command(command),
        args.dry_run,
        args.reason.as_deref(),
    )
    .await
}

/// `regionflip pause [--reason TEXT]`.
pub(crate) async fn pause(global: &GlobalArgs, reason: Option<String>) -> Result<(), CliError> {
    pass(
        global,
        Request::Command(Command::Pause),
        false,
        reason.as_deref(),
    )
    .await
}

/// `regionflip resume [--reason TEXT]`.
pub(crate) async fn resume(global: &GlobalArgs, reason: Option<String>) -> Result<(), CliError> {
    pass(
        global,
        Request::Command(Command::Resume),
        false,
        reason.as_deref(),
    )
    .await
}

/// `regionflip history`.
pub(crate) async fn history(global: &GlobalArgs, args: &HistoryArgs) -> Result<(), CliError> {
    let config = crate::context::load_config(global)?;
    let sdk = crate::context::load_sdk().await?;
    let (entries, warnings) = crate::journal::history(&sdk, &config, args.since_hours)
        .await
        .map_err(CliError::Usage)?;
    for warning in &warnings {
        eprintln!("warning: {warning}");
    }
    if global.json {
        print_json(&serde_json::json!({ "entries": entries, "warnings": warnings }))
    } else {
        print!("{}", crate::journal::render(&entries));
        Ok(())
    }
}

async fn pass(
    global: &GlobalArgs,
    request: Request,
    dry_run: bool,
    reason: Option<&str>,
) -> Result<(), CliError> {
    let (watcher, sdk) = load_session(global).await?;
    if let Request::Command(
        Command::FailoverTo { region, .. }
        | Command::Evacuate { region, .. }
        | Command::Restore { region, .. },
    ) = &request
    {
        // A typo is a usage error, caught before anything is read.
        if watcher.config().region(region).is_none() {
            let known: Vec<&str> = watcher
                .config()
                .regions
                .iter()
                .map(|r| r.name.as_str())
                .collect();
            let what = match &request {
                Request::Command(Command::FailoverTo { .. }) => format!("--to {region}"),
                _ => region.clone(),
            };
            return Err(CliError::Usage(format!(
                "{what}: not a configured region; use one of {}",
                known.join(", ")
            )));
        }
    }
    let mut report = watcher.reconcile(&request, unix_now(), dry_run).await?;
    if let (Request::Command(command), false) = (&request, dry_run) {
        let region = watcher.settings().metrics_region.clone();
        let warnings = crate::journal::record_command(
            &sdk,
            watcher.config(),
            &region,
            command,
            reason,
            &report,
        )
        .await;
        report.warnings.extend(warnings);
    }
    if global.json {
        print_json(&report)?;
    } else {
        print!("{}", render(&report, watcher.config()));
    }
    // Nothing can be decided, and nothing is refused by the rules, when the state or the
    // routing cannot be read: an AWS call failed (exit 1), whatever the command.
    // A forced command may act all the same (it writes fresh state); only a command that
    // did nothing for want of the reads is a failure.
    let acted = matches!(
        report.decision.outcome,
        Outcome::Transition { .. } | Outcome::StateOnly
    );
    if let (false, Some(why)) = (acted, unreadable_essentials(&report.decision)) {
        return Err(CliError::Failed(format!("{why}; nothing was written")));
    }
    match report.decision.outcome {
        Outcome::Refused => Err(CliError::Refused(refusal(&report))),
        _ => Ok(()),
    }
}

/// Why a command was refused: the refusal's own words, else every reason.
fn refusal(report: &PassReport) -> String {
    let refused: Vec<String> = report
        .decision
        .reasons
        .iter()
        .filter_map(|r| match r {
            Reason::Refused { why } => Some(why.clone()),
            _ => None,
        })
        .collect();
    if refused.is_empty() {
        report.reasons.join("; ")
    } else {
        refused.join("; ")
    }
}

/// When DNS follows a move just applied, from AWS's documented intervals (docs/deploy.md,
/// "How long a failover takes"): the watcher has moved routing, users follow later.
pub(crate) fn dns_follows(config: &Config) -> String {
    let ttl = match config.record_type {
        RecordType::Cname => format!("resolvers' caches expire (TTL {} s)", config.ttl),
        RecordType::A => "resolvers' caches expire (the alias target's TTL)".to_string(),
    };
    match config.mode {
        Mode::HealthGate => format!(
            "DNS follows once the gate alarm has seen a whole 60 s period, Route 53 has read \
             the gate's metric stream (not documented; count at least 60 s) and its \
             CALCULATED check has turned, then {ttl}: expect about 2 to 3 minutes"
        ),
        Mode::Records => format!(
            "DNS follows once Route 53's name servers have the change (INSYNC, \
             \"generally within 60 seconds\"), then {ttl}: expect about 1 to 2 minutes"
        ),
    }
}

/// The human form of a pass report.
pub(crate) fn render(report: &PassReport, config: &Config) -> String {
    let mut out = String::new();
    let decision = &report.decision;
    let outcome = match &decision.outcome {
        Outcome::Transition { kind, from, to } => format!(
            "{} {from} → {to}",
            match kind {
                TransitionKind::Failover => "FAILOVER",
                TransitionKind::Failback => "FAILBACK",
                TransitionKind::Manual =>
                    match decision.event.as_ref().and_then(|e| e.service.as_ref()) {
                        Some(s) if s.in_service => "RESTORE (operator)",
                        Some(_) => "EVACUATE (operator)",
                        None => "MANUAL MOVE",
                    },
                TransitionKind::Evacuate => "EVACUATE",
                TransitionKind::Restore => "RESTORE",
            }
        ),
        Outcome::StateOnly => "state change only; routing stays".into(),
        Outcome::NoChange => "no change".into(),
        Outcome::Refused => "REFUSED".into(),
    };
    let _ = writeln!(
        out,
        "decision: {outcome}{}",
        decision
            .active
            .as_ref()
            .map(|a| format!(" (traffic was on {a})"))
            .unwrap_or_default()
    );
    for reason in &report.reasons {
        let _ = writeln!(out, "  - {reason}");
    }
    let _ = write!(out, "{}", render_plan(&decision.plan));
    if report.dry_run {
        let _ = writeln!(out, "dry run: nothing was written");
    } else if report.applied && !matches!(decision.plan, Plan::Nothing) {
        let _ = writeln!(
            out,
            "applied{}",
            report
                .change_id
                .as_ref()
                .map(|id| format!(" (Route 53 change {id})"))
                .unwrap_or_default()
        );
    }
    if let Some(transition) = &report.transition {
        let _ = writeln!(
            out,
            "transition recorded: {} {} → {} at {}, state sequence {}",
            transition.event.kind.as_str(),
            transition.event.from,
            transition.event.to,
            transition.applied_at,
            transition.event.sequence
        );
    }
    let service = report
        .transition
        .as_ref()
        .and_then(|t| t.event.service.as_ref());
    match (&report.active_after, &report.transition, service) {
        (_, Some(_), Some(service)) => {
            let _ = writeln!(
                out,
                "{} {} service; in service now: {}; {}",
                service.region,
                if service.in_service {
                    "returned to"
                } else {
                    "left"
                },
                service.regions_in_service.join(", "),
                dns_follows(config)
            );
        }
        (Some(active), Some(_), None) => {
            let _ = writeln!(out, "routing moved to {active}; {}", dns_follows(config));
        }
        (Some(active), None, _) => {
            let _ = writeln!(out, "traffic on: {active}");
        }
        (None, _, _) => {}
    }
    if report.conflicts > 0 {
        let _ = writeln!(
            out,
            "compare-and-swap conflicts: {} (read again and decided again)",
            report.conflicts
        );
    }
    for warning in &report.warnings {
        let _ = writeln!(out, "warning: {warning}");
    }
    out
}

/// What the plan writes, one line per write.
fn render_plan(plan: &Plan) -> String {
    let mut out = String::new();
    match plan {
        Plan::Nothing => {
            let _ = writeln!(out, "plan: nothing to write");
        }
        Plan::ChangeBatch { changes, new_state } => {
            let _ = writeln!(
                out,
                "plan: one Route 53 change batch ({} changes), state sequence {}",
                changes.len(),
                new_state.sequence
            );
            for change in changes {
                let action = match change.action {
                    ChangeAction::Create => "CREATE",
                    ChangeAction::Delete => "DELETE",
                    ChangeAction::Upsert => "UPSERT",
                };
                let _ = writeln!(out, "    {action} {}", render_record(&change.record));
            }
        }
        Plan::Gates { gates, state } => {
            let gates: Vec<String> = gates
                .iter()
                .map(|g| format!("{} {}", g.region, if g.open { "open" } else { "closed" }))
                .collect();
            let _ = writeln!(out, "plan: publish gates: {}", gates.join(", "));
            if let Some(write) = state {
                let _ = writeln!(
                    out,
                    "    write state (every region's state holder): {}",
                    write.new.encode()
                );
            }
        }
    }
    out
}

fn render_record(record: &RecordSet) -> String {
    let mut text = format!("{} {}", record.record_type, record.name);
    if let (Some(id), Some(role)) = (&record.set_identifier, record.failover) {
        let _ = write!(text, " {id} {}", format!("{role:?}").to_uppercase());
    }
    let target = record
        .alias
        .as_ref()
        .map(|a| format!("alias {}", a.dns_name))
        .unwrap_or_else(|| record.values.join(" "));
    let _ = write!(text, " → {target}");
    if let Some(check) = &record.health_check_id {
        let _ = write!(text, " (health check {check})");
    }
    text
}
