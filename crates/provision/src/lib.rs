//! `regionflip init`: creating what regionflip owns, idempotently, never overwriting what
//! it does not own.
//!
//! The crate reads everything init would create (`read`), plans from that alone
//! ([`plan`]: pure, table-tested in `tests/plan.rs`), carries the plan out one function
//! per step (`apply`) and words what it found and did for people (`show`); [`init`] runs
//! them in that order. Its own ports, [`HealthCheckApi`] and [`GateAlarmApi`], sit beside
//! the watcher's, with the SDK adapters here (`aws`) and in-memory models in
//! `regionflip-local-aws`. **API Boundary:** the CLI (`regionflip init`, and the drill,
//! which initialises its emulated deployment with the same call) and the local AWS that
//! implements these ports depend on this crate; the Lambda binaries (`watcher`, `health`)
//! never do, since a watcher pass never creates anything — `cargo tree -i
//! regionflip-provision -e normal` lists only `regionflip-cli` and `regionflip-local-aws`.
//!
//! # Who creates what
//!
//! Every resource has exactly one creator:
//!
//! | resource                                                      | created by            |
//! |---------------------------------------------------------------|-----------------------|
//! | each region's health API (the `health` Lambda)                | SAM stack, per region |
//! | each region's endpoint check (`HTTPS_STR_MATCH`)              | SAM stack, per region |
//! | each region's watcher Lambda, its schedule and rules          | SAM stack, per region |
//! | the dashboard                                                 | SAM stack, per region |
//! | the failover pair `<record>` PRIMARY / SECONDARY              | `init`                |
//! | `records`: the TXT state record `_regionflip.<record>`        | `init`                |
//! | `health-gate`: the state holder alarm, in every region        | `init`                |
//! | `health-gate`: each region's gate alarm (`gate_host_region`)  | `init`                |
//! | `health-gate`: each region's gate check (`CLOUDWATCH_METRIC`) | `init`                |
//! | `health-gate`: each region's `CALCULATED` check               | `init`                |
//!
//! The stack creates what belongs to one region; `init` creates everything that spans
//! regions (state, gates and the records that tie the regions together), so no stack
//! depends on another region's stack and no resource is created twice.
//!
//! # How init stays idempotent
//!
//! Init first reads everything it would create (`read_world`), then plans ([`plan`],
//! pure) and only then writes (`apply`). What exists as init would create it is left
//! alone; what is missing is created; what exists *differently*, or was not created by
//! regionflip, stops init before its first write ([`InitError::Refused`]), naming the
//! resource and the fix. So a second run writes nothing, and a run interrupted half-way
//! continues where it stopped.
//!
//! * **Records** are created in one change batch of CREATEs: a concurrent init, or records
//!   that appeared since they were read, make the whole batch fail instead of mixing two
//!   inits' records. In `records` mode the watcher owns the pair after init (it moves
//!   PRIMARY), so any arrangement of regionflip's pair over configured regions counts as
//!   initialised; in `health-gate` mode the records never change after init (but for a
//!   record moved onto a replaced endpoint check, rule C18) and must match exactly: the
//!   gate chain's pairs, or with active/active routing one latency or weighted record per
//!   region.
//! * **State** is never reset: in `health-gate` mode the state holders are written only
//!   when no region holds a valid state (a region that lacks its copy gets the newest
//!   valid one), and the initial gates (all open) are published only then.
//! * **Health checks** are found again by their `CallerReference`, which is derived from
//!   the record, the region, the role and the check's settings — for a gate check
//!   everything that identifies its alarm's metric stream, namespace included
//!   (`regionflip-gate-us-east-1-<hash>`): real Route 53 answers a repeated
//!   `CreateHealthCheck` with the same reference and settings with the existing check, so
//!   even two inits racing create one check. (moto creates a second one; init lists
//!   first, so only a race would show it.) A check init created under another reference
//!   (earlier settings, or the reference gate checks had before it covered the alarm's
//!   settings) is found by that older reference or by its tags. Checks are tagged
//!   `regionflip:record`, `regionflip:region` and `regionflip:role` for people, for cost
//!   reports and for that; missing tags are added again.
//! * **A check found is compared with what init wants**, as `ListHealthChecks` reports
//!   it, and changed in place with `UpdateHealthCheck` (its id, and so everything that
//!   refers to it, stays): a `CALCULATED` check gets the children and threshold init
//!   wants (the stack replaced the endpoint check: its `RequestInterval` and `Type` are
//!   create-only); a gate check whose copy of its alarm's settings
//!   (`CloudWatchAlarmConfiguration`) differs from the gate alarm init leaves is updated
//!   with the same `AlarmIdentifier`, which makes Route 53 copy the alarm again. Route 53
//!   copies those settings at creation and never refreshes them by itself, and it watches
//!   the metric stream they name, not the alarm's state: without the update, a
//!   `metrics_namespace` change would leave every gate check on an empty stream, frozen
//!   at its last status.
//! * **Records** that regionflip owns in `records` mode but that sit on a health check
//!   other than their region's endpoint check are moved onto it in one batch (DELETE as
//!   read, CREATE on the new check), a compare-and-swap against a watcher's move.
//! * **Gate alarms** carry a fingerprint of their settings in their description; an alarm
//!   whose fingerprint differs is rewritten (it is regionflip's by its name), one whose
//!   fingerprint matches is left alone.

mod apply;
mod aws;
mod plan;
mod ports;
mod read;
mod resources;
mod show;
mod uninstall;

use regionflip_core::Config;
use regionflip_watcher::ports::{CloudWatchApi, Route53Api};
use serde::Serialize;

use crate::{apply::apply, read::read_world};

pub use plan::{
    CheckRef, CheckRole, InitPlan, PlannedCheck, PlannedRecord, RewiredRecord, Step, World, plan,
    plan_adopting,
};
pub use ports::{
    AlarmSettings, CheckConfig, GateAlarm, GateAlarmApi, HealthCheckApi, HealthCheckInfo,
    NewHealthCheck, ReportedCheck,
};
pub use resources::{caller_reference, gate_alarm, gate_alarm_settings};
pub use uninstall::{RemoveStep, UninstallPlan, plan_uninstall};

/// Tag naming the record a health check belongs to (without the trailing dot).
pub const TAG_RECORD: &str = "regionflip:record";
/// Tag naming the region a health check describes.
pub const TAG_REGION: &str = "regionflip:region";
/// Tag naming the check's role: `gate` or `calculated`.
pub const TAG_ROLE: &str = "regionflip:role";

/// What an init run did (or, on a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InitReport {
    /// Nothing was written.
    pub dry_run: bool,
    /// Everything existed already; nothing was (or would be) written.
    pub already_initialised: bool,
    /// What existed already.
    pub existing: Vec<String>,
    /// The planned writes.
    pub steps: Vec<Step>,
    /// What was created, with the ids AWS gave it (empty on a dry run).
    pub created: Vec<String>,
    /// What init created once and no longer uses, each with the command that deletes
    /// it (init never deletes).
    pub obsolete: Vec<String>,
    /// What init allows but an SRE should know.
    pub warnings: Vec<String>,
}

/// Why init stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InitError {
    /// Something exists that regionflip did not create, or not as init would create it.
    /// Nothing was written.
    #[error("{}", .0.join("\n"))]
    Refused(Vec<String>),
    /// What exists could not be read. Nothing was written.
    #[error("could not read what exists, nothing was written: {0}")]
    Read(String),
    /// A write failed.
    #[error("{error}{}", done_so_far(.done))]
    Apply {
        /// What failed.
        error: String,
        /// What was created before it.
        done: Vec<String>,
    },
}

fn done_so_far(done: &[String]) -> String {
    if done.is_empty() {
        "; nothing was written".into()
    } else {
        format!(
            "; created before the failure: {}. Run init again: it continues where it stopped",
            done.join("; ")
        )
    }
}

/// How uninstall runs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UninstallOptions {
    /// Plan and report; write nothing.
    pub dry_run: bool,
    /// The region the plain record points at; else where traffic is.
    pub to: Option<String>,
}

/// What an uninstall run did (or, on a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UninstallReport {
    /// Nothing was written.
    pub dry_run: bool,
    /// The planned removals, in order.
    pub steps: Vec<RemoveStep>,
    /// What was removed (empty on a dry run).
    pub removed: Vec<String>,
    /// What uninstall leaves, by design.
    pub kept: Vec<String>,
}

/// Reads what exists as init does, plans the removal of what init created
/// ([`uninstall::plan_uninstall`]) and, unless a dry run, carries it out in order.
pub async fn uninstall<R, H, C>(
    config: &Config,
    route53: &R,
    checks: &H,
    cloudwatch: &C,
    options: &UninstallOptions,
) -> Result<UninstallReport, InitError>
where
    R: Route53Api,
    H: HealthCheckApi,
    C: CloudWatchApi + GateAlarmApi,
{
    let world = read_world(config, route53, checks, cloudwatch).await?;
    let plan = plan_uninstall(config, &world, options.to.as_deref())?;
    let removed = if options.dry_run {
        Vec::new()
    } else {
        uninstall::apply_uninstall(config, route53, checks, cloudwatch, &plan).await?
    };
    Ok(UninstallReport {
        dry_run: options.dry_run,
        steps: plan.steps,
        removed,
        kept: plan.kept,
    })
}

/// How init runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InitOptions {
    /// Plan and report; write nothing.
    pub dry_run: bool,
    /// Replace a plain record already at the record name (one that points at the home
    /// region's target) with the failover pair, in the same change batch that creates
    /// the pair (`init --adopt`). Without it such a record is refused.
    pub adopt: bool,
}

/// Reads, plans and (unless a dry run, or nothing is missing) applies.
pub async fn init<R, H, C>(
    config: &Config,
    route53: &R,
    checks: &H,
    cloudwatch: &C,
    now: u64,
    options: InitOptions,
) -> Result<InitReport, InitError>
where
    R: Route53Api,
    H: HealthCheckApi,
    C: CloudWatchApi + GateAlarmApi,
{
    let world = read_world(config, route53, checks, cloudwatch).await?;
    let plan = plan_adopting(config, &world, options.adopt)?;
    let created = if options.dry_run || plan.steps.is_empty() {
        Vec::new()
    } else {
        apply(config, route53, checks, cloudwatch, &plan, now).await?
    };
    Ok(InitReport {
        dry_run: options.dry_run,
        already_initialised: plan.steps.is_empty(),
        existing: plan.existing,
        steps: plan.steps,
        created,
        obsolete: plan.obsolete,
        warnings: plan.warnings,
    })
}
