//! Scenario tests of the decision engine: one row of [`SCENARIOS`] per situation, read as
//! a table (set-up, region health, where traffic is, the remembered state, an optional
//! operator command, the time, and what must happen with its key reason), followed by a
//! few tests of the change plans and event records that a table row cannot express.
//!
//! Every row is also checked for the invariants that hold for every decision: reasons
//! are never empty; a transition has an event record that agrees with it; the plan has
//! the shape its mode requires; and applying the plan, then deciding again (or repeating
//! the command) changes nothing.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};

use common::{
    GATE2, GATE3, REC2, REC3, Setup, apply, config, observations, parse_health, region, routing_on,
    stored_state, stored_text, target_of,
};
use regionflip_core::engine::UNKNOWN_REGION;
use regionflip_core::reason::DriftRepair;
use regionflip_core::records::{failover_record, region_of_record, state_record};
use regionflip_core::{
    Change, ChangeAction, Command, Config, Decision, EngineState, FailoverRole, GateSetting, Mode,
    Observations, Outcome, Plan, Reason, RecordSet, RoutingObservation, StateObservation,
    TransitionKind, Trigger, decide, decide_command,
};

/// The time of most rows. Policy everywhere: stable 300 s, dwell 300 s, 4 flips an hour.
const T: u64 = 10_000;

/// What triggers the decision: an automatic pass (woken by an alarm event, or by the
/// periodic tick of the watcher in a region), or an operator command.
#[derive(Debug, Clone, Copy)]
enum Cmd {
    Auto,
    TickIn(&'static str),
    OpTo(&'static str),
    OpForceTo(&'static str),
    OpFailback,
    OpForceFailback,
    OpPause,
    OpResume,
}
use Cmd::*;

/// The expected outcome.
#[derive(Debug, Clone, Copy)]
enum Expect {
    Failover(&'static str),
    Failback(&'static str),
    Manual(&'static str),
    NoChange,
    StateOnly,
    Refused,
}
use Expect::*;

/// One scenario.
///
/// * `active` — where traffic is: the PRIMARY record (`records`) or the state's region.
/// * `state` — words: `paused`, `hold`, `last=T` (last transition), `away=T`,
///   `flips=T,T…` (recent automatic transitions), `state=missing|unreadable|corrupt`,
///   `state=<region>` (the state remembers another region than DNS routes to),
///   `routing=unreadable|foreign|none` (PRIMARY record unreadable, pointing at no
///   configured region, absent).
/// * `reason` — `Variant` (any reason of that kind), `Variant(detail)` (exact, e.g.
///   `FailbackPending(eligible_at=10200)`, `GuardBlocked(repl)`), or `Variant:text`
///   (its sentence contains `text`). An `eligible_at` must also be the decision's
///   [`Decision::eligible_at`].
struct Scenario {
    name: &'static str,
    setup: Setup,
    health: &'static str,
    active: &'static str,
    state: &'static str,
    command: Cmd,
    now: u64,
    expect: Expect,
    reason: &'static str,
}

#[allow(clippy::too_many_arguments)]
const fn row(
    name: &'static str,
    setup: Setup,
    health: &'static str,
    active: &'static str,
    state: &'static str,
    command: Cmd,
    now: u64,
    expect: Expect,
    reason: &'static str,
) -> Scenario {
    Scenario {
        name,
        setup,
        health,
        active,
        state,
        command,
        now,
        expect,
        reason,
    }
}

#[rustfmt::skip]
const SCENARIOS: &[Scenario] = &[
    //   name                                                                    set-up             health                                        active   state                                  command              now expect              key reason
    // -- health assessment and failover ---------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------
    row("a healthy home region stays active",                                    GATE2,            "east=ok west=ok",                            "east",  "",                                     Auto,                T,  NoChange,          "Steady"),
    row("an alarm in the active region fails over to the healthy standby",       GATE2,            "east=alarm west=ok",                         "east",  "",                                     Auto,                T,  Failover("west"),  "ActiveUnhealthy"),
    row("records mode: an alarm in the active region fails over",                REC2,             "east=alarm west=ok",                         "east",  "",                                     Auto,                T,  Failover("west"),  "ActiveUnhealthy"),
    row("a failing endpoint check alone is enough to fail over",                 REC2,             "east=down west=ok",                          "east",  "",                                     Auto,                T,  Failover("west"),  "ActiveUnhealthy"),
    row("one alarm in ALARM outweighs other signals being unknown",              GATE2,            "east=alarm+unknown west=ok",                 "east",  "",                                     Auto,                T,  Failover("west"),  "ActiveUnhealthy"),
    row("INSUFFICIENT_DATA in the active region never fails over by itself",     GATE2,            "east=unknown west=ok",                       "east",  "",                                     Auto,                T,  NoChange,          "ActiveUnknown"),
    row("unreadable signals in the active region never fail over",               REC2,             "east=unreadable west=ok",                    "east",  "",                                     Auto,                T,  NoChange,          "ActiveUnknown"),
    row("an active region missing from the observations is unknown",             GATE2,            "west=ok",                                    "east",  "",                                     Auto,                T,  NoChange,          "ActiveUnknown"),
    row("an unreported endpoint check is unknown, not unhealthy",                REC3,             "east=nocheck west=ok eu=ok",                 "east",  "",                                     Auto,                T,  NoChange,          "ActiveUnknown"),
    row("no failover onto a standby in ALARM",                                   GATE2,            "east=alarm west=alarm",                      "east",  "",                                     Auto,                T,  NoChange,          "NoHealthyTarget"),
    // Was "no failover onto a standby of unknown health" (NoChange, NoHealthyTarget): a standby's INSUFFICIENT_DATA is idle now
    // (failover.no_data_on_standby = "idle", the default), so west is a target on its fresh health check; the next row keeps the old expectation.
    row("a standby whose alarm has no data is idle: failover onto it",            REC2,              "east=down west=unknown",                     "east",  "",                                     Auto,                T,  Failover("west"),  "IdleAlarms:no data for alarm api-errors (no traffic); counted as idle"),
    row("no failover onto a standby of unknown health (no data = unknown)",       REC2.no_data_unknown(), "east=down west=unknown",                     "east",  "",                                     Auto,                T,  NoChange,          "NoHealthyTarget"),
    row("no failover onto a standby nobody reported",                            GATE2,            "east=alarm",                                 "east",  "",                                     Auto,                T,  NoChange,          "NoHealthyTarget"),
    row("three regions: failover skips an unhealthy second choice",              GATE3,            "east=alarm west=alarm eu=ok",                "east",  "",                                     Auto,                T,  Failover("eu"),    "ActiveUnhealthy"),
    row("three regions: failover takes the first healthy region in order",       REC3,             "east=down west=ok eu=ok",                    "east",  "",                                     Auto,                T,  Failover("west"),  "ActiveUnhealthy"),
    row("failover from the second region goes home without a stable wait",       GATE3,            "east=ok@9990 west=alarm eu=ok",              "west",  "last=5000 away=5000",                  Auto,                T,  Failover("east"),  "ActiveUnhealthy"),
    // Was "three regions, none known healthy: traffic stays" (NoChange, NoHealthyTarget): west's INSUFFICIENT_DATA is idle on a
    // standby now, so west is a target on its fresh health check; the next row keeps the old expectation.
    row("three regions: an idle standby is a target, an unreadable one is not",   REC3,              "east=alarm west=unknown eu=unreadable",      "east",  "",                                     Auto,                T,  Failover("west"),  "IdleAlarms"),
    row("three regions, none known healthy: traffic stays",                       REC3.no_data_unknown(), "east=alarm west=unknown eu=unreadable",      "east",  "",                                     Auto,                T,  NoChange,          "NoHealthyTarget"),
    row("alias A records fail over like CNAME records",                          REC2.alias(),     "east=alarm west=ok",                         "east",  "",                                     Auto,                T,  Failover("west"),  "ActiveUnhealthy"),
    // -- evidence, as a target (observe.rs's target table: may traffic move onto west?) ---------------------------------------------------------------------------------------------------------------------------------------------------------------
    row("evidence: a fresh unhealthy check keeps a standby off",                  GATE2,             "east=alarm west=ok hcs=down",                "east",  "",                                     Auto,                T,  NoChange,          "NoHealthyTarget"),
    row("evidence: a failing probe keeps a standby off, whatever its check says", GATE2.probed(),    "east=alarm west=ok probe=fail",              "east",  "",                                     Auto,                T,  NoChange,          "NoHealthyTarget"),
    row("evidence: a standby whose probe timed out is never a target",            REC2.probed(),     "east=alarm west=nodata hcs=unreadable probe=timeout", "east",  "",                                     Auto,                T,  NoChange,          "NoHealthyTarget"),
    row("evidence: a timed-out probe outweighs a fresh healthy check",            GATE3.probed(),    "east=alarm west=ok probe=timeout eu=ok probe=ok", "east",  "",                                     Auto,                T,  Failover("eu"),    "ActiveUnhealthy"),
    row("evidence: a standby whose CloudWatch cannot be read is no target",       GATE2.probed(),    "east=alarm west=ok cw=unreadable probe=ok",  "east",  "",                                     Auto,                T,  NoChange,          "NoHealthyTarget"),
    row("evidence: a standby alarm that does not exist keeps it off",             REC2,              "east=alarm west=gone",                       "east",  "",                                     Auto,                T,  NoChange,          "NoHealthyTarget"),
    row("evidence: no data on a standby is unknown when so configured",           GATE2.no_data_unknown(), "east=alarm west=nodata",                     "east",  "",                                     Auto,                T,  NoChange,          "NoHealthyTarget"),
    row("evidence: a passive standby (no data, idle) is a target on its check",   GATE2,             "east=alarm west=nodata",                     "east",  "",                                     Auto,                T,  Failover("west"),  "IdleAlarms:counted as idle"),
    row("evidence: fresh check and passing probe make a standby a target",        REC2.probed(),     "east=alarm west=ok probe=ok",                "east",  "",                                     Auto,                T,  Failover("west"),  "ActiveUnhealthy"),
    row("evidence: a fresh healthy check suffices while the probe is unreported", GATE2.probed(),    "east=alarm west=ok",                         "east",  "",                                     Auto,                T,  Failover("west"),  "ActiveUnhealthy"),
    row("evidence: a stale check and a passing probe make a standby a target",    REC2.probed(),     "east=alarm west=ok hcs=stale probe=ok",      "east",  "",                                     Auto,                T,  Failover("west"),  "HealthyByProbeOnly"),
    row("evidence: a new check without data and a passing probe: a target",       GATE2.probed(),    "east=alarm west=nodata hcs=missing probe=ok", "east",  "",                                     Auto,                T,  Failover("west"),  "HealthyByProbeOnly"),
    row("evidence: gray failure, checks unreadable: idle standby by its probe",   GATE2.probed(),    "east=alarm hcs=unreadable probe=ok west=nodata hcs=unreadable probe=ok", "east",  "",                                     Auto,                T,  Failover("west"),  "IdleAlarms"),
    row("evidence: no health check configured: a passing probe vouches",          REC2.unchecked().probed(), "east=alarm west=nodata probe=ok",            "east",  "",                                     Auto,                T,  Failover("west"),  "HealthyByProbeOnly"),
    row("evidence: a stale check and no probe configured: no target",             GATE2,             "east=alarm west=ok hcs=stale",               "east",  "",                                     Auto,                T,  NoChange,          "NoHealthyTarget"),
    row("evidence: a new check without data and no probe: no target",             REC2,              "east=alarm west=nodata hcs=missing",         "east",  "",                                     Auto,                T,  NoChange,          "NoHealthyTarget"),
    row("evidence: an unreadable check and an unreported probe: no target",       GATE2.probed(),    "east=alarm west=ok hcs=unreadable",          "east",  "",                                     Auto,                T,  NoChange,          "NoHealthyTarget"),
    row("evidence: no endpoint source configured: alarms OK vouch as before",     REC2.unchecked(),  "east=alarm west=ok",                         "east",  "",                                     Auto,                T,  Failover("west"),  "ActiveUnhealthy"),
    row("evidence: no endpoint source configured: idle alarms vouch for nothing", GATE2.unchecked(), "east=alarm west=nodata",                     "east",  "",                                     Auto,                T,  NoChange,          "NoHealthyTarget"),
    // -- evidence, as the active region (observe.rs's active table: must traffic leave east?) ----------------------------------------------------------------------------------------------------------------------------------------------------------
    row("evidence: an alarm fails over even when the check cannot be read",       GATE2,             "east=alarm hcs=unreadable west=ok",          "east",  "",                                     Auto,                T,  Failover("west"),  "ActiveUnhealthy:alarm api-errors is failing"),
    row("evidence: a fresh unhealthy check fails over with CloudWatch unreadable", REC2,              "east=ok hcs=down cw=unreadable west=ok",     "east",  "",                                     Auto,                T,  Failover("west"),  "ActiveUnhealthy"),
    row("evidence: CloudWatch unreadable and probe failing: leave",               GATE2.probed(),    "east=ok hcs=unreadable cw=unreadable probe=fail west=nodata hcs=unreadable probe=ok", "east",  "",                                     Auto,                T,  Failover("west"),  "ActiveUnreachable:evidence enough to leave"),
    row("evidence: CloudWatch unreadable and probe timing out: leave",            REC2.probed(),     "east=ok hcs=stale cw=unreadable probe=timeout west=ok", "east",  "",                                     Auto,                T,  Failover("west"),  "ActiveUnreachable"),
    row("evidence: unreachable without a health check: leave",                    GATE2.unchecked().probed(), "east=ok cw=unreadable probe=fail west=ok probe=ok", "east",  "",                                     Auto,                T,  Failover("west"),  "ActiveUnreachable"),
    row("evidence: unreachable from here but Route 53 sees it healthy: stay",     GATE2.probed(),    "east=ok cw=unreadable probe=fail west=ok probe=ok", "east",  "",                                     Auto,                T,  NoChange,          "ActiveSuspect:Route 53's fresh HealthCheckStatus says healthy"),
    row("evidence: a failing probe alone never fails over",                       GATE2.probed(),    "east=ok probe=fail west=ok probe=ok",        "east",  "",                                     Auto,                T,  NoChange,          "ActiveSuspect:the watcher's own network may be what fails"),
    row("evidence: a timed-out probe alone never fails over, check stale",        REC2.probed(),     "east=ok hcs=stale probe=timeout west=ok probe=ok", "east",  "",                                     Auto,                T,  NoChange,          "ActiveSuspect"),
    row("evidence: CloudWatch unreadable, probe healthy: nothing moves",          GATE2.probed(),    "east=ok cw=unreadable probe=ok west=ok probe=ok", "east",  "",                                     Auto,                T,  NoChange,          "ActiveUnknown:its CloudWatch cannot be read"),
    row("evidence: CloudWatch unreadable, no probe configured: nothing moves",    REC2,              "east=ok cw=unreadable west=ok",              "east",  "",                                     Auto,                T,  NoChange,          "ActiveUnknown"),
    row("evidence: no data anywhere in the active region never fails over",       GATE2,             "east=nodata west=ok",                        "east",  "",                                     Auto,                T,  NoChange,          "ActiveUnknown:INSUFFICIENT_DATA"),
    row("evidence: an active region healthy by its probe alone stays steady",     GATE2.probed(),    "east=ok hcs=stale probe=ok west=ok",         "east",  "",                                     Auto,                T,  NoChange,          "Steady"),
    // -- evidence, failback (a candidate is healthy as a target, since a known time) -----------------------------------------------------------------------------------------------------------------------------------------------------------------
    row("evidence: failback with probe-only evidence waits: no history",          GATE2.probed(),    "east=ok hcs=missing probe=ok west=ok",       "west",  "last=5000",                            Auto,                T,  NoChange,          "FailbackPending:with no history, wait"),
    row("evidence: a home probed healthy without a health check never fails back", REC2.unchecked().probed(), "east=nodata probe=ok west=ok",               "west",  "last=5000",                            Auto,                T,  NoChange,          "HealthyByProbeOnly"),
    row("evidence: an idle home fails back on its check's history",               REC2,              "east=nodata@9000 west=ok",                   "west",  "last=8000 away=8000",                  Auto,                T,  Failback("east"),  "IdleAlarms"),
    row("evidence: idle alarms give no since; the check's decides",               GATE2,             "east=nodata@9900 west=ok",                   "west",  "last=5000",                            Auto,                T,  NoChange,          "FailbackPending(eligible_at=10200)"),
    row("evidence: no endpoint source: alarms' since decides failback",           REC2.unchecked(),  "east=ok@9000 west=ok",                       "west",  "last=8000 away=8000",                  Auto,                T,  Failback("east"),  "FailbackReady"),
    row("evidence: a home failing the probe is no failback candidate",            GATE2.probed(),    "east=ok probe=fail west=ok",                 "west",  "",                                     Auto,                T,  NoChange,          "Steady"),
    row("evidence: a home with stale check and no probe is no candidate",         REC2,              "east=ok hcs=stale west=ok",                  "west",  "",                                     Auto,                T,  NoChange,          "Steady"),
    // -- failback -------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------
    row("failback once home is stable and the dwell time has passed",            GATE2,            "east=ok@9000 west=ok",                       "west",  "last=8000 away=8000",                  Auto,                T,  Failback("east"),  "FailbackReady"),
    row("records mode: failback once home is stable",                            REC2,             "east=ok@9000 west=ok",                       "west",  "last=8000 away=8000",                  Auto,                T,  Failback("east"),  "FailbackReady"),
    row("failback waits until home has been healthy for stable_for_secs",        GATE2,            "east=ok@9900 west=ok",                       "west",  "last=5000",                            Auto,                T,  NoChange,          "FailbackPending(eligible_at=10200)"),
    row("failback waits for min_dwell_secs after the last transition",           REC2,             "east=ok@5000 west=ok",                       "west",  "last=9800",                            Auto,                T,  NoChange,          "FailbackPending(eligible_at=10100)"),
    row("a pending failback is eligible at the later of stability and dwell",    GATE2,            "east=ok@9900 west=ok",                       "west",  "last=9950",                            Auto,                T,  NoChange,          "FailbackPending(eligible_at=10250)"),
    row("healthy for exactly stable_for_secs is stable enough",                  GATE2,            "east=ok@9700 west=ok",                       "west",  "last=9700",                            Auto,                T,  Failback("east"),  "FailbackReady"),
    row("a home healthy since an unknown time never counts as stable",           GATE2,            "east=ok@? west=ok",                          "west",  "",                                     Auto,                T,  NoChange,          "FailbackPending(eligible_at=?)"),
    // Was "a home of unknown health is no failback candidate" (NoChange, Steady): home serves no traffic after a failover, so its
    // INSUFFICIENT_DATA is idle and its health check (OK since 0) vouches; the next row keeps the old expectation.
    row("a home whose alarm has no data (no traffic) fails back on its check",    REC2,              "east=unknown west=ok",                       "west",  "",                                     Auto,                T,  Failback("east"),  "IdleAlarms"),
    row("a home of unknown health is no failback candidate",                      REC2.no_data_unknown(), "east=unknown west=ok",                       "west",  "",                                     Auto,                T,  NoChange,          "Steady"),
    row("manual failback mode waits for an operator",                            GATE2.manual(),   "east=ok west=ok",                            "west",  "",                                     Auto,                T,  NoChange,          "AwaitingOperator"),
    row("manual failback mode, three regions, records",                          REC3.manual(),    "east=ok west=ok eu=ok",                      "eu",    "",                                     Auto,                T,  NoChange,          "AwaitingOperator"),
    row("an operator's hold keeps automatic failback waiting",                   REC2,             "east=ok west=ok",                            "west",  "hold",                                 Auto,                T,  NoChange,          "AwaitingOperator"),
    // Was "three regions: fail back to the second choice while home is unstable" (Failback("west")): home is eligible at 10200,
    // within min_dwell_secs, so moving to west first would only add a move (issue 13 #9); the failback waits for home.
    row("three regions: home eligible within the dwell: wait, no detour via west",  GATE3,            "east=ok@9900 west=ok eu=ok",                 "eu",    "last=1000",                            Auto,                T,  NoChange,          "FailbackPending(eligible_at=10200)"),
    row("three regions: ... and at home's eligible time, straight home",           GATE3,            "east=ok@9900 west=ok eu=ok",                 "eu",    "last=1000",                            Auto,                10_200, Failback("east"), "FailbackReady"),
    row("three regions: home of unknown since: fail back to the second choice",    REC3,             "east=ok@? west=ok eu=ok",                    "eu",    "last=1000",                            Auto,                T,  Failback("west"),  "FailbackReady"),
    row("three regions: a home held by its guard does not hold back the second",   GATE3,            "east=ok@9900 guard:repl=alarm west=ok eu=ok", "eu",    "last=1000",                            Auto,                T,  Failback("west"),  "GuardBlocked(repl)"),
    row("fail back from an active region of unknown health",                     GATE2,            "east=ok west=unknown",                       "west",  "",                                     Auto,                T,  Failback("east"),  "FailbackReady"),
    // Was "the earliest of several pending failbacks is reported" (eligible_at=10100, west's): at 10100 west would have been
    // taken, then home at 10400 — two moves. Home is eligible at 10250, within the horizon, so the failback waits for it alone.
    row("several pending failbacks: the most preferred within the horizon is awaited", REC3,          "east=ok@9950 west=ok@9800 eu=ok",            "eu",    "last=1000",                            Auto,                T,  NoChange,          "FailbackPending(eligible_at=10250)"),
    // -- data guards ----------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------
    row("failback never goes into a region whose guard is in ALARM",             GATE2,            "east=ok guard:repl=alarm west=ok",           "west",  "",                                     Auto,                T,  NoChange,          "GuardBlocked(repl)"),
    row("an unknown guard blocks a failback too",                                REC2,             "east=ok guard:repl=unknown west=ok",         "west",  "",                                     Auto,                T,  NoChange,          "GuardBlocked(repl)"),
    row("three regions: a guarded home leaves failback to the second choice",    REC3,             "east=ok guard:repl=alarm west=ok eu=ok",     "eu",    "",                                     Auto,                T,  Failback("west"),  "GuardBlocked(repl)"),
    row("failover ignores the target's guards by default",                       GATE2,            "east=alarm west=ok guard:repl=alarm",        "east",  "",                                     Auto,                T,  Failover("west"),  "ActiveUnhealthy"),
    row("failover.respect_guards makes guards bind on failover",                 GATE2.guarded(),  "east=alarm west=ok guard:repl=alarm",        "east",  "",                                     Auto,                T,  NoChange,          "GuardBlocked(repl)"),
    row("with respect_guards, failover passes a guarded region for the next",    REC3.guarded(),   "east=alarm west=ok guard:repl=alarm eu=ok",  "east",  "",                                     Auto,                T,  Failover("eu"),    "GuardBlocked(repl)"),
    row("an operator move away from a healthy region respects guards",           GATE2,            "east=ok west=ok guard:repl=alarm",           "east",  "",                                     OpTo("west"),        T,  Refused,           "GuardBlocked(repl)"),
    row("an operator move away from an unhealthy region ignores guards",         REC2,             "east=alarm west=ok guard:repl=alarm",        "east",  "",                                     OpTo("west"),        T,  Manual("west"),    "OperatorRequest"),
    row("with respect_guards, an operator failover respects guards too",         REC2.guarded(),   "east=alarm west=ok guard:repl=alarm",        "east",  "",                                     OpTo("west"),        T,  Refused,           "GuardBlocked(repl)"),
    row("a forced operator move passes a guard",                                 GATE2,            "east=ok west=ok guard:repl=alarm",           "east",  "",                                     OpForceTo("west"),   T,  Manual("west"),    "Forced"),
    row("an operator failback respects the home region's guard",                 REC2,             "east=ok guard:repl=alarm west=ok",           "west",  "",                                     OpFailback,          T,  Refused,           "GuardBlocked(repl)"),
    // -- flap damping ---------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------
    // Was "failover is damped after max_flips_per_hour flips in the hour" (NoChange, Damped): damping kept traffic on a region
    // known unhealthy while another was known healthy (issue 13 #7). A failover is never damped; it is counted and said.
    row("a failover from a known-unhealthy region is never damped (flips at the limit)", GATE2,      "east=alarm west=ok",                         "east",  "flips=7000,8000,9000,9500",            Auto,                T,  Failover("west"),  "DampingOverridden:damping never keeps traffic on us-east-1"),
    row("a flip exactly an hour old no longer counts",                           REC2,             "east=alarm west=ok",                         "east",  "flips=6400,8000,9000,9500",            Auto,                T,  Failover("west"),  "ActiveUnhealthy"),
    row("failback is damped too",                                                GATE3,            "east=ok west=ok eu=ok",                      "west",  "last=9500 flips=7000,8000,9000,9500",  Auto,                T,  NoChange,          "Damped(eligible_at=10600)"),
    // Was "more flips than the limit: damped until enough have aged out" (a failover, NoChange): see the row above; the
    // failback row after it keeps the old expectation.
    row("more flips than the limit: a failover still goes, counted",              REC2,             "east=alarm west=ok",                         "east",  "flips=6500,7000,8000,9000,9500",       Auto,                T,  Failover("west"),  "DampingOverridden"),
    row("more flips than the limit: a failback is damped until enough age out",   REC2,             "east=ok west=ok",                            "west",  "flips=6500,7000,8000,9000,9500",       Auto,                T,  NoChange,          "Damped(eligible_at=10600)"),
    row("damping spent: the failover takes the target healthy for longest",       GATE3,            "east=alarm west=ok@9900 eu=ok",              "east",  "flips=7000,8000,9000,9500",            Auto,                T,  Failover("eu"),    "DampingOverridden"),
    row("damping not spent: the failover takes the first healthy in order",       GATE3,            "east=alarm west=ok@9900 eu=ok",              "east",  "flips=9500",                           Auto,                T,  Failover("west"),  "ActiveUnhealthy"),
    row("damping spent, both flapping: leave the unhealthy one all the same",     REC2,             "east=ok@9990 west=alarm",                    "west",  "last=9900 flips=8000,9000,9500,9900",  Auto,                T,  Failover("east"),  "DampingOverridden"),
    row("a flip stamped by a clock running ahead counts and stays readable",     REC2,             "east=alarm west=ok",                         "east",  "flips=10100",                          Auto,                T,  Failover("west"),  "ActiveUnhealthy"),
    row("operators are never damped",                                            GATE2,            "east=alarm west=ok",                         "east",  "flips=7000,8000,9000,9500",            OpTo("west"),        T,  Manual("west"),    "OperatorRequest"),
    // -- the duty rule of health-gate mode ------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------
    row("gate mode: on its tick, the duty region's watcher fails over",          GATE3,            "east=alarm west=ok eu=ok",                   "east",  "",                                     TickIn("west"),      T,  Failover("west"),  "ActiveUnhealthy"),
    row("gate mode: on its tick, a watcher off duty leaves a failover to duty",  GATE3,            "east=alarm west=ok eu=ok",                   "east",  "",                                     TickIn("east"),      T,  NoChange,          "NotOnDuty"),
    row("gate mode: the watcher of a third region is off duty too",              GATE3,            "east=alarm west=ok eu=ok",                   "east",  "",                                     TickIn("eu"),        T,  NoChange,          "NotOnDuty:watcher in us-west-2 carries out"),
    row("gate mode: on its tick, a watcher off duty leaves a failback to duty",  GATE2,            "east=ok@9000 west=ok",                       "west",  "last=8000 away=8000",                  TickIn("west"),      T,  NoChange,          "NotOnDuty"),
    row("gate mode: the home region's watcher fails back on its tick",           GATE2,            "east=ok@9000 west=ok",                       "west",  "last=8000 away=8000",                  TickIn("east"),      T,  Failback("east"),  "FailbackReady"),
    // Was "gate mode: a watcher off duty still rewrites a corrupt state" (StateOnly): an automatic rewrite lost the pause of a
    // state it could not read (issue 13 #3); no watcher, on duty or off, rewrites it now.
    row("gate mode: no watcher rewrites a corrupt state, off duty or on",         GATE2,            "east=alarm west=ok",                         "west",  "state=corrupt",                        TickIn("east"),      T,  NoChange,          "StateCorrupt:only an operator command"),
    row("gate mode: the duty watcher does not rewrite a corrupt state either",    GATE2,            "east=alarm west=ok",                         "west",  "state=corrupt",                        TickIn("west"),      T,  NoChange,          "StateCorrupt"),
    row("gate mode: a watcher off duty with nothing to move stays steady",       GATE2,            "east=alarm west=ok",                         "west",  "",                                     TickIn("east"),      T,  NoChange,          "Steady"),
    row("records mode: every watcher acts on its tick (the CAS picks one)",      REC2,             "east=alarm west=ok",                         "east",  "",                                     TickIn("east"),      T,  Failover("west"),  "ActiveUnhealthy"),
    // -- pause and resume -----------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------
    row("paused automation does not fail over",                                  GATE2,            "east=alarm west=ok",                         "east",  "paused",                               Auto,                T,  NoChange,          "Paused"),
    row("paused automation does not fail back",                                  REC2,             "east=ok west=ok",                            "west",  "paused",                               Auto,                T,  NoChange,          "Paused"),
    row("pause freezes routing",                                                 GATE2,            "east=ok west=ok",                            "east",  "",                                     OpPause,             T,  StateOnly,         "Paused"),
    row("pausing twice changes nothing, quietly",                                REC2,             "east=ok west=ok",                            "east",  "paused",                               OpPause,             T,  NoChange,          "AlreadySo:already paused"),
    row("resume lifts a pause",                                                  GATE2,            "east=ok west=ok",                            "east",  "paused",                               OpResume,            T,  StateOnly,         "Resumed"),
    row("resume lifts an operator's failback hold",                              REC2,             "east=ok west=ok",                            "west",  "hold",                                 OpResume,            T,  StateOnly,         "Resumed"),
    row("resume while running changes nothing, quietly",                         GATE2,            "east=ok west=ok",                            "east",  "",                                     OpResume,            T,  NoChange,          "AlreadySo:already running"),
    row("operators can move traffic while automation is paused",                 REC2,             "east=ok west=ok",                            "east",  "paused",                               OpTo("west"),        T,  Manual("west"),    "OperatorRequest"),
    // -- operator commands ----------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------
    row("operator failover to a healthy region",                                 REC3,             "east=ok west=ok eu=ok",                      "east",  "",                                     OpTo("eu"),          T,  Manual("eu"),      "OperatorRequest"),
    row("operator failover to an unhealthy region is refused",                   GATE2,            "east=ok west=alarm",                         "east",  "",                                     OpTo("west"),        T,  Refused,           "Refused:not known healthy"),
    // Was "operator failover to a region of unknown health is refused" (Refused): west's INSUFFICIENT_DATA is idle on a standby
    // now, so west is known healthy by its check; the next row keeps the old expectation.
    row("operator failover to an idle standby goes, and says it is idle",         REC2,              "east=ok west=unknown",                       "east",  "",                                     OpTo("west"),        T,  Manual("west"),    "IdleAlarms"),
    row("operator failover to a region of unknown health is refused",             REC2.no_data_unknown(), "east=ok west=unknown",                       "east",  "",                                     OpTo("west"),        T,  Refused,           "Refused:not known healthy"),
    row("a forced operator failover goes even to an unhealthy region",           GATE2,            "east=ok west=alarm",                         "east",  "",                                     OpForceTo("west"),   T,  Manual("west"),    "Forced"),
    row("operator failover to an unconfigured region is refused",                REC2,             "east=ok west=ok",                            "east",  "",                                     OpTo("ap-south-1"),  T,  Refused,           "Refused:not a configured region"),
    row("operator failover to where traffic already is is refused",              GATE2,            "east=ok west=ok",                            "east",  "",                                     OpTo("east"),        T,  Refused,           "Refused:already on"),
    row("operator failback goes to the most preferred healthy region at once",   REC3,             "east=ok@9999 west=ok eu=ok",                 "eu",    "hold last=9990",                       OpFailback,          T,  Manual("east"),    "OperatorRequest"),
    row("operator failback with nothing healthy is refused",                     GATE2,            "east=alarm west=unknown",                    "west",  "",                                     OpFailback,          T,  Refused,           "NoHealthyTarget"),
    row("operator failback never sends traffic further from home",                REC3,             "east=alarm west=unknown eu=ok",              "west",  "",                                     OpFailback,          T,  Refused,           "NoHealthyTarget"),
    row("operator failback when already home is refused",                         GATE2,            "east=ok west=ok",                            "east",  "",                                     OpFailback,          T,  Refused,           "Refused"),
    row("a forced failback goes home even when home is not known healthy",       REC2,             "east=unknown west=ok",                       "west",  "",                                     OpForceFailback,     T,  Manual("east"),    "Forced"),
    // -- state and routing that cannot be trusted -----------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------
    row("missing state: nothing changes until regionflip is initialised",        REC2,             "east=alarm west=ok",                         "east",  "state=missing",                        Auto,                T,  NoChange,          "NotInitialised"),
    row("unreadable state: nothing changes",                                     GATE2,            "east=alarm west=ok",                         "east",  "state=unreadable",                     Auto,                T,  NoChange,          "StateUnreadable"),
    // The next rows were "a corrupt state record is rewritten and routing stays" (StateOnly), "a corrupt state record does not
    // block a needed failover" (Failover), "gate mode, corrupt state: restart on the most preferred healthy" (StateOnly, which
    // closed home's gate: a move without a transition record) and "gate mode, corrupt state: restart on an idle standby"
    // (StateOnly). A state that does not parse may have said "paused" (issue 13 #3): it stops automation and nothing rewrites it.
    row("a corrupt state record stops automation and is not rewritten",          REC2,             "east=ok west=ok",                            "east",  "state=corrupt",                        Auto,                T,  NoChange,          "StateCorrupt:only an operator command"),
    row("a corrupt state record stops even a needed failover",                    REC2,             "east=alarm west=ok",                         "east",  "state=corrupt",                        Auto,                T,  NoChange,          "StateCorrupt"),
    row("gate mode, corrupt state: no restart, no gate published",                GATE3,            "east=alarm west=ok eu=ok",                   "east",  "state=corrupt",                        Auto,                T,  NoChange,          "StateCorrupt"),
    // Was "gate mode, corrupt state, nothing healthy: nothing changes" (NoChange, NoHealthyTarget): with no usable state every
    // region is assessed as serving no traffic, so west's INSUFFICIENT_DATA is idle and west is the restart; the next row keeps the old expectation.
    row("gate mode, corrupt state, an idle standby: no restart either",           GATE2,             "east=alarm west=unknown",                    "east",  "state=corrupt",                        Auto,                T,  NoChange,          "StateCorrupt"),
    // Was NoChange for want of a healthy region (NoHealthyTarget); now for the state alone.
    row("gate mode, corrupt state, nothing healthy: nothing changes",             GATE2.no_data_unknown(), "east=alarm west=unknown",                    "east",  "state=corrupt",                        Auto,                T,  NoChange,          "StateCorrupt"),
    // Was "a state naming an unconfigured region is rewritten" (StateOnly): written under another configuration (a rolling
    // deploy?), in gate mode it would leave where traffic is to a guess; it is not followed either.
    row("a state naming an unconfigured region stops automation",                 REC2,             "east=ok west=ok",                            "east",  "state=ap-south-1",                     Auto,                T,  NoChange,          "StateCorrupt:not configured"),
    row("a newer version's state (v2, paused) stops automation: records",         REC2,             "east=alarm west=ok",                         "east",  "state=v2",                             Auto,                T,  NoChange,          "StateCorrupt:regionflip/v2"),
    row("a newer version's state (v2, paused) stops automation: gates",           GATE2,            "east=alarm west=ok",                         "east",  "state=v2",                             TickIn("west"),      T,  NoChange,          "StateCorrupt:only an operator command"),
    row("a v1 state with a field added by hand stops automation",                 GATE3,            "east=ok west=ok eu=ok",                      "eu",    "state=edited",                         Auto,                T,  NoChange,          "StateCorrupt:unknown field"),
    row("unreadable routing: nothing changes",                                   REC2,             "east=alarm west=ok",                         "east",  "routing=unreadable",                   Auto,                T,  NoChange,          "RoutingUnreadable"),
    row("a PRIMARY record pointing at no configured region is not touched",      REC2,             "east=alarm west=ok",                         "east",  "routing=foreign",                      Auto,                T,  NoChange,          "RoutingUnrecognised"),
    row("no PRIMARY record: nothing changes until regionflip is initialised",    REC3,             "east=alarm west=ok",                         "east",  "routing=none",                         Auto,                T,  NoChange,          "NotInitialised"),
    row("DNS differs from the state: DNS wins and the state is rewritten",       REC2,             "east=alarm west=ok",                         "west",  "state=east",                           Auto,                T,  StateOnly,         "RoutingDiffersFromState"),
    row("DNS differs from the state and its region fails: fail over from DNS",   REC3,             "east=ok west=alarm eu=ok",                   "west",  "state=eu",                             Auto,                T,  Failover("east"),  "RoutingDiffersFromState"),
    // -- the failover pair against what regionflip writes (rule 8, records mode) ----------------------------------------------------------------------------------------------------------------------------------------------------------------------
    row("a console edit of PRIMARY to west: DNS trusted, SECONDARY repaired",     REC2,             "east=ok@9900 west=ok",                       "west",  "state=east routing=secondary-on-active", Auto,              T,  StateOnly,         "PairDrift:its target is api.us-west-2.example.com. (us-west-2, the active region)"),
    row("a SECONDARY on the active region is repaired with a new state",          REC3,             "east=ok west=ok eu=ok",                      "east",  "routing=secondary-on-active",          Auto,                T,  StateOnly,         "PairDrift:repaired in this pass"),
    row("a PRIMARY whose TTL was set to a day is repaired",                       REC2,             "east=ok west=ok",                            "east",  "routing=ttl",                          Auto,                T,  StateOnly,         "PairDrift:its TTL is 86400, regionflip writes 60"),
    row("a PRIMARY without its health check is repaired",                         REC3,             "east=ok west=ok eu=ok",                      "east",  "routing=nocheck",                      Auto,                T,  StateOnly,         "PairDrift:its health check is none"),
    row("a missing SECONDARY is written again",                                   REC2.alias(),     "east=ok west=ok",                            "east",  "routing=nosecondary",                  Auto,                T,  StateOnly,         "PairDrift:its record is missing"),
    row("a drifted pair is repaired by the failover that rewrites it",            REC2,             "east=alarm west=ok",                         "east",  "routing=ttl",                          Auto,                T,  Failover("west"),  "PairDrift:repaired in this pass"),
    row("paused: a drifted pair is reported and waits for resume",                REC2,             "east=ok west=ok",                            "east",  "paused routing=ttl",                   Auto,                T,  NoChange,          "PairDrift:repaired after `resume`"),
    row("resume repairs a drifted pair in its own batch",                         REC2,             "east=ok west=ok",                            "east",  "paused routing=ttl",                   OpResume,            T,  StateOnly,         "PairDrift:repaired in this pass"),
    row("pause reports a drifted pair and leaves it",                             REC2,             "east=ok west=ok",                            "east",  "routing=nocheck",                      OpPause,             T,  StateOnly,         "PairDrift:left alone while automation is paused"),
    row("a failover record regionflip does not own stops automation",             REC2,             "east=alarm west=ok",                         "east",  "routing=foreign-set",                  Auto,                T,  NoChange,          "PairDrift:regionflip does not own that record"),
    row("a failover record regionflip does not own: not even forced",             REC2,             "east=alarm west=ok",                         "east",  "routing=foreign-set",                  OpForceTo("west"),   T,  Refused,           "PairDrift"),
    row("commands are refused while the state is unreadable",                    GATE2,            "east=ok west=ok",                            "east",  "state=unreadable",                     OpTo("west"),        T,  Refused,           "Refused:use --force"),
    row("a refused command does not even repair a corrupt state",                REC2,             "east=ok west=alarm",                         "east",  "state=corrupt",                        OpTo("west"),        T,  Refused,           "Refused:not known healthy"),
    // -- operator commands replace a state that cannot be followed (rule 1c) --------------------------------------------------------------------------------------------------------------------------------------------------------------------------
    row("pause replaces a corrupt state (gate mode, where it names)",             GATE2,            "east=alarm west=alarm",                      "east",  "state=corrupt",                        OpPause,             T,  StateOnly,         "StateReplaced"),
    row("pause replaces a v2 state and keeps automation paused",                  REC2,             "east=ok west=ok",                            "east",  "state=v2",                             OpPause,             T,  StateOnly,         "Paused"),
    row("resume replaces a corrupt state and hands routing to the rules",         REC2,             "east=alarm west=ok",                         "east",  "state=corrupt",                        OpResume,            T,  StateOnly,         "Resumed"),
    row("a move replacing a corrupt state leaves automation paused",              REC2,             "east=alarm west=ok",                         "east",  "state=corrupt",                        OpTo("west"),        T,  Manual("west"),    "StateReplaced:automation stays paused"),
    row("a forced failover acts on a corrupt state with nothing healthy",         GATE2,            "east=alarm west=alarm",                      "east",  "state=corrupt",                        OpForceTo("west"),   T,  Manual("west"),    "Forced:overriding: us-west-2 is not known healthy"),
    row("a forced failback to where the corrupt state names replaces it",         GATE2,            "east=alarm west=alarm",                      "east",  "state=corrupt",                        OpForceFailback,     T,  StateOnly,         "StateReplaced"),
    row("a forced failback acts on a corrupt state, records mode",                REC2,             "east=alarm west=alarm",                      "west",  "state=corrupt",                        OpForceFailback,     T,  Manual("east"),    "Forced:a state that could not be trusted"),
    row("a forced failover acts on a missing state record",                       REC2,             "east=alarm west=alarm",                      "east",  "state=missing",                        OpForceTo("west"),   T,  Manual("west"),    "StateReplaced:a missing state"),
    row("an unforced move on a missing state passes the checks and acts",         REC3,             "east=ok west=ok eu=ok",                      "east",  "state=missing",                        OpTo("eu"),          T,  Manual("eu"),      "StateReplaced"),
    row("gate mode, nothing names where traffic is: pause is refused",            GATE2,            "east=ok west=ok",                            "east",  "state=garbage",                        OpPause,             T,  Refused,           "Refused:failover --force"),
    row("gate mode, nothing names where traffic is: an unforced move is refused", GATE2,            "east=ok west=ok",                            "east",  "state=garbage",                        OpTo("west"),        T,  Refused,           "Refused:use --force"),
    row("gate mode, nothing names where traffic is: a forced move acts",          GATE2,            "east=alarm west=alarm",                      "east",  "state=garbage",                        OpForceTo("west"),   T,  Manual("west"),    "Forced:where traffic was is not known"),
    row("gate mode, unreadable state: a forced failback acts",                    GATE2,            "east=alarm west=alarm",                      "west",  "state=unreadable",                     OpForceFailback,     T,  Manual("east"),    "StateReplaced:a state that could not be read"),
    row("records mode, routing unreadable: a forced failover acts",               REC2,             "east=alarm west=alarm",                      "east",  "routing=unreadable",                   OpForceTo("west"),   T,  Manual("west"),    "Forced"),
];

#[test]
fn every_scenario_decides_as_its_row_says() {
    let failures: Vec<String> = SCENARIOS
        .iter()
        .filter_map(|s| {
            let result = catch_unwind(AssertUnwindSafe(|| run(s)));
            let problem = match result {
                Ok(Ok(())) => return None,
                Ok(Err(problem)) => problem,
                Err(panic) => format!(
                    "panicked: {}",
                    panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default()
                ),
            };
            Some(format!("row {:?}: {problem}", s.name))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} scenarios failed:\n{}",
        failures.len(),
        SCENARIOS.len(),
        failures.join("\n")
    );
}

#[test]
fn the_table_covers_both_modes_both_sizes_and_every_kind_of_outcome() {
    let has = |f: &dyn Fn(&Scenario) -> bool| SCENARIOS.iter().any(f);
    assert!(SCENARIOS.len() >= 40);
    assert!(has(&|s| s.setup.regions == 2) && has(&|s| s.setup.regions == 3));
    assert!(has(&|s| s.setup.mode == Mode::Records) && has(&|s| s.setup.mode == Mode::HealthGate));
    for expect in [
        "Failover",
        "Failback",
        "Manual",
        "NoChange",
        "StateOnly",
        "Refused",
    ] {
        assert!(
            has(&|s| format!("{:?}", s.expect).starts_with(expect)),
            "{expect}"
        );
    }
    let mut names: Vec<&str> = SCENARIOS.iter().map(|s| s.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), SCENARIOS.len(), "row names must be unique");
}

// ---------------------------------------------------------------------------------------
// Running a row.

fn build(s: &Scenario) -> (Config, Observations) {
    let config = config(s.setup);
    let mut state = EngineState {
        sequence: 5,
        ..EngineState::initial(region(s.active))
    };
    let mut routing = routing_on(&config, region(s.active));
    let mut stored = None;
    for word in s.state.split_whitespace() {
        let (key, value) = word.split_once('=').unwrap_or((word, ""));
        let time = || -> u64 {
            value
                .parse()
                .unwrap_or_else(|_| panic!("bad time in {word:?}"))
        };
        match key {
            "paused" => state.paused = true,
            "hold" => state.hold_failback = true,
            "last" => state.last_transition_at = Some(time()),
            "away" => state.away_since = Some(time()),
            "flips" => {
                state.recent_flips = value
                    .split(',')
                    .map(|t| t.parse().unwrap_or_else(|_| panic!("bad time in {word:?}")))
                    .collect();
            }
            "state" => match value {
                "missing" | "unreadable" | "corrupt" | "v2" | "edited" | "garbage" => {
                    stored = Some(value)
                }
                other => state.active = region(other).to_string(),
            },
            "routing" => {
                routing = match value {
                    "unreadable" => RoutingObservation::Unreadable("Throttling".into()),
                    "none" => RoutingObservation::Records(Vec::new()),
                    // Console edits of the pair.
                    "secondary-on-active" | "ttl" | "nocheck" | "nosecondary" | "foreign-set" => {
                        let RoutingObservation::Records(mut records) = routing else {
                            panic!("routing={value} needs records mode");
                        };
                        match value {
                            "secondary-on-active" => {
                                let on = config.region(region(s.active)).expect("configured");
                                records[1] = failover_record(&config, on, FailoverRole::Secondary);
                            }
                            "ttl" => records[0].ttl = Some(86_400),
                            "nocheck" => records[0].health_check_id = None,
                            "nosecondary" => {
                                records.pop();
                            }
                            _ => records[0].set_identifier = Some("mine".into()),
                        }
                        RoutingObservation::Records(records)
                    }
                    "foreign" => {
                        let mut primary = match routing {
                            RoutingObservation::Records(records) => records[0].clone(),
                            other => panic!("routing=foreign needs records mode, not {other:?}"),
                        };
                        primary.values = vec!["api.elsewhere.example.net.".into()];
                        RoutingObservation::Records(vec![primary])
                    }
                    other => panic!("unknown routing {other:?}"),
                }
            }
            other => panic!("unknown state word {other:?}"),
        }
    }
    let observations = Observations {
        regions: parse_health(&config, s.health),
        routing,
        state: match stored {
            Some("missing") => StateObservation::Missing,
            Some("unreadable") => StateObservation::Unreadable("AccessDenied".into()),
            Some("v2") => stored_text(&config, V2_PAUSED),
            Some("edited") => stored_text(&config, EDITED_PAUSED),
            Some("garbage") => stored_text(&config, "hello"),
            Some(_) => corrupt_state(&config),
            None => stored_state(&config, &state),
        },
    };
    (config, observations)
}

/// A state written by a newer regionflip during a rolling deploy, automation paused.
const V2_PAUSED: &str =
    "regionflip/v2 seq=8 active=us-east-1 at=- away=- paused=1 hold=0 flips=- owner=ops";
/// A v1 state with a field added by hand, automation paused.
const EDITED_PAUSED: &str =
    "regionflip/v1 seq=8 active=eu-west-1 at=- away=- paused=1 hold=0 flips=- note=maint";

/// A garbled state naming us-east-1 (what is legible in it: no sequence, the region).
fn corrupt_state(config: &Config) -> StateObservation {
    stored_text(config, "regionflip/v1 seq=oops active=us-east-1")
}

fn command_of(cmd: Cmd) -> Option<Command> {
    let to = |r: &str, force| Command::FailoverTo {
        region: region(r).to_string(),
        force,
    };
    match cmd {
        Auto | TickIn(_) => None,
        OpTo(r) => Some(to(r, false)),
        OpForceTo(r) => Some(to(r, true)),
        OpFailback => Some(Command::Failback { force: false }),
        OpForceFailback => Some(Command::Failback { force: true }),
        OpPause => Some(Command::Pause),
        OpResume => Some(Command::Resume),
    }
}

fn decide_with(config: &Config, obs: &Observations, now: u64, cmd: Cmd) -> Decision {
    match (cmd, command_of(cmd)) {
        (_, Some(command)) => decide_command(config, obs, now, &command),
        (TickIn(alias), None) => {
            let trigger = Trigger::WatcherTick {
                region: region(alias),
            };
            decide(config, obs, now, trigger)
        }
        (_, None) => decide(config, obs, now, Trigger::EventOrOperator),
    }
}

fn run(s: &Scenario) -> Result<(), String> {
    let (config, obs) = build(s);
    let d = decide_with(&config, &obs, s.now, s.command);
    let keys: Vec<String> = d.reasons.iter().map(reason_key).collect();

    check_outcome(s.expect, &d).map_err(|e| format!("{e}; reasons {keys:?}"))?;
    if !d.reasons.iter().any(|r| reason_matches(s.reason, r)) {
        return Err(format!("expected reason {} among {keys:?}", s.reason));
    }
    if let Some(at) = s.reason.split("eligible_at=").nth(1) {
        let at = at.trim_end_matches(')');
        let expected = at.parse::<u64>().ok();
        if d.eligible_at() != expected {
            return Err(format!(
                "decision.eligible_at() is {:?}, expected {at}",
                d.eligible_at()
            ));
        }
    }
    check_event(&d, s.now)?;
    check_plan(&config, &obs, &d)?;

    // Applying the plan and deciding again (or repeating the command) changes nothing.
    let after = apply(&config, &obs, &d);
    let again = decide_with(&config, &after, s.now, s.command);
    if again.is_transition() || again.plan.new_state().is_some() {
        return Err(format!(
            "deciding again after applying the plan changes something: {:?} {:?}",
            again.outcome,
            again.reasons.iter().map(reason_key).collect::<Vec<_>>()
        ));
    }
    if config.mode == Mode::Records && again.plan != Plan::Nothing {
        return Err(format!("second pass plans {:?}", again.plan));
    }
    Ok(())
}

fn check_outcome(expect: Expect, d: &Decision) -> Result<(), String> {
    let ok = match (expect, &d.outcome) {
        (Failover(to), Outcome::Transition { kind, to: t, .. }) => {
            *kind == TransitionKind::Failover && t == region(to)
        }
        (Failback(to), Outcome::Transition { kind, to: t, .. }) => {
            *kind == TransitionKind::Failback && t == region(to)
        }
        (Manual(to), Outcome::Transition { kind, to: t, .. }) => {
            *kind == TransitionKind::Manual && t == region(to)
        }
        (NoChange, Outcome::NoChange)
        | (StateOnly, Outcome::StateOnly)
        | (Refused, Outcome::Refused) => true,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("expected {expect:?}, decided {:?}", d.outcome))
    }
}

/// The short name of a reason, with the detail rows compare on.
fn reason_key(reason: &Reason) -> String {
    let variant = format!("{reason:?}");
    let variant = variant
        .split([' ', '{', '('])
        .next()
        .unwrap_or_default()
        .to_string();
    match reason {
        Reason::FailbackPending { eligible_at, .. } => format!(
            "{variant}(eligible_at={})",
            eligible_at.map_or("?".to_string(), |t| t.to_string())
        ),
        Reason::Damped { eligible_at, .. } => format!("{variant}(eligible_at={eligible_at})"),
        Reason::GuardBlocked { guard, .. } => {
            format!("{variant}({})", guard.split(' ').next().unwrap_or_default())
        }
        _ => variant,
    }
}

fn reason_matches(pattern: &str, reason: &Reason) -> bool {
    let key = reason_key(reason);
    let variant = key.split('(').next().unwrap_or_default();
    if let Some((name, text)) = pattern.split_once(':') {
        name == variant && reason.to_string().contains(text)
    } else if pattern.contains('(') {
        pattern == key
    } else {
        pattern == variant
    }
}

fn check_event(d: &Decision, now: u64) -> Result<(), String> {
    if d.reasons.is_empty() {
        return Err("the decision has no reason".into());
    }
    match (&d.outcome, &d.event) {
        (Outcome::Transition { kind, from, to }, Some(event)) => {
            let new_state = d.plan.new_state().ok_or("a transition writes no state")?;
            let agrees = event.kind == *kind
                && &event.from == from
                && &event.to == to
                && (Some(from) == d.active.as_ref()
                    || (d.active.is_none() && from == UNKNOWN_REGION))
                && event.decided_at == now
                && event.sequence == new_state.sequence
                && !event.reasons.is_empty()
                && new_state.active == *to
                && new_state.last_transition_at == Some(now);
            if agrees {
                Ok(())
            } else {
                Err(format!("event {event:?} disagrees with {:?}", d.outcome))
            }
        }
        (Outcome::Transition { .. }, None) => Err("a transition without an event record".into()),
        (_, Some(event)) => Err(format!("an event without a transition: {event:?}")),
        (_, None) => Ok(()),
    }
}

fn check_plan(config: &Config, obs: &Observations, d: &Decision) -> Result<(), String> {
    let routed_to = match &d.outcome {
        Outcome::Transition { to, .. } => Some(to.clone()),
        _ => d
            .plan
            .new_state()
            .map(|s| s.active.clone())
            .or(d.active.clone()),
    };
    let writes_state = matches!(d.outcome, Outcome::Transition { .. } | Outcome::StateOnly);
    if d.outcome == Outcome::Refused || (d.active.is_none() && !d.is_transition()) {
        // Refusals, and passes that could not tell where traffic is, write nothing (but a
        // forced move, which may not know where traffic was).
        return match d.plan {
            Plan::Nothing => Ok(()),
            ref plan => Err(format!("expected no plan, got {plan:?}")),
        };
    }
    if writes_state != d.plan.new_state().is_some() {
        return Err(format!("{:?} but plan {:?}", d.outcome, d.plan));
    }
    match (&d.plan, config.mode) {
        (Plan::Nothing, Mode::Records) if !writes_state => Ok(()),
        (Plan::ChangeBatch { changes, new_state }, Mode::Records) => {
            // The CAS: the state record as read is deleted; with none read (a command
            // replacing a missing or unreadable state), its CREATE is the precondition.
            let mut expected: Vec<Change> = obs
                .state
                .record()
                .cloned()
                .map(|record| Change {
                    action: ChangeAction::Delete,
                    record,
                })
                .into_iter()
                .collect();
            let replacing = matches!(
                obs.state,
                StateObservation::Missing | StateObservation::Unreadable(_)
            );
            if expected.is_empty() && !replacing {
                return Err("no state record was read".into());
            }
            expected.push(Change {
                action: ChangeAction::Create,
                record: state_record(config, new_state),
            });
            let repairs_pair = d.reasons.iter().any(|r| {
                matches!(
                    r,
                    Reason::PairDrift {
                        repair: DriftRepair::ThisPass,
                        ..
                    }
                )
            });
            let pair_to = match &d.outcome {
                Outcome::Transition { to, .. } => Some(to.clone()),
                _ if repairs_pair => routed_to.clone(),
                _ => None,
            };
            if let Some(to) = &pair_to {
                let at = expected.len();
                let primary = changes.get(at).ok_or("a batch without the failover pair")?;
                let secondary = changes.get(at + 1).ok_or("a batch without SECONDARY")?;
                let points_at = |r: &RecordSet| region_of_record(config, r).map(|r| r.name.clone());
                if primary.record.failover != Some(FailoverRole::Primary)
                    || points_at(&primary.record).as_ref() != Some(to)
                    || secondary.record.failover != Some(FailoverRole::Secondary)
                    || points_at(&secondary.record).as_ref() == Some(to)
                {
                    return Err(format!("bad failover pair in {changes:?}"));
                }
                expected.push(primary.clone());
                expected.push(secondary.clone());
                if expected
                    .iter()
                    .skip(at)
                    .any(|c| c.action != ChangeAction::Upsert)
                {
                    return Err("the failover pair is not UPSERTed".into());
                }
            }
            if changes == &expected {
                Ok(())
            } else {
                Err(format!("change batch {changes:?}, expected {expected:?}"))
            }
        }
        (Plan::Gates { gates, .. }, Mode::HealthGate) => {
            let active = routed_to.ok_or("no active region")?;
            check_gates(config, gates, &active)
        }
        (plan, mode) => Err(format!("{mode:?} mode cannot carry out {plan:?}")),
    }
}

fn check_gates(config: &Config, gates: &[GateSetting], active: &str) -> Result<(), String> {
    let rank = config.rank(active).ok_or("active region not configured")?;
    let names: Vec<&str> = gates.iter().map(|g| g.region.as_str()).collect();
    // Every region but the last has a gate: a gate on the last SECONDARY could only pin
    // traffic on a failing PRIMARY (Route 53 answers the PRIMARY whenever the SECONDARY
    // is unhealthy).
    let configured: Vec<&str> = config.regions[..config.regions.len() - 1]
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    if names != configured {
        return Err(format!(
            "gates for {names:?}, expected every region but the last {configured:?}"
        ));
    }
    if gates.get(rank).is_some_and(|g| !g.open) || gates[..rank].iter().any(|g| g.open) {
        return Err(format!("gates {gates:?} do not route to {active}"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Plans and event records in detail.

fn state_at(active: &str, words: &[(&str, u64)]) -> EngineState {
    let mut state = EngineState {
        sequence: 5,
        ..EngineState::initial(region(active))
    };
    for (word, t) in words {
        match *word {
            "last" => state.last_transition_at = Some(*t),
            "away" => state.away_since = Some(*t),
            "hold" => state.hold_failback = true,
            other => panic!("unknown word {other}"),
        }
    }
    state
}

#[test]
fn records_failover_batch_is_cas_on_the_state_record_then_the_new_pair() {
    let config = config(REC2);
    let old = state_at("east", &[("last", 8000)]);
    let obs = observations(&config, "east=alarm west=ok", &old);
    let d = decide(&config, &obs, T, Trigger::EventOrOperator);
    let Plan::ChangeBatch { changes, new_state } = &d.plan else {
        panic!("expected a change batch, got {:?}", d.plan);
    };
    let actions: Vec<ChangeAction> = changes.iter().map(|c| c.action).collect();
    assert_eq!(
        actions,
        [
            ChangeAction::Delete,
            ChangeAction::Create,
            ChangeAction::Upsert,
            ChangeAction::Upsert
        ]
    );
    assert_eq!(Some(&changes[0].record), obs.state.record());
    assert_eq!(changes[1].record.name, "_regionflip.api.example.com.");
    assert_eq!(
        StateObservation::from_state_record(changes[1].record.clone()),
        StateObservation::Valid {
            state: new_state.clone(),
            record: Some(changes[1].record.clone())
        }
    );
    assert_eq!(new_state.sequence, 6);
    assert_eq!(new_state.active, "us-west-2");
    let primary = &changes[2].record;
    assert_eq!(primary.failover, Some(FailoverRole::Primary));
    assert_eq!(primary.values, [target_of("us-west-2")]);
    assert_eq!(primary.ttl, Some(60));
    assert_eq!(
        primary.health_check_id,
        config
            .region("us-west-2")
            .and_then(|r| r.health_check_id.clone())
    );
    let secondary = &changes[3].record;
    assert_eq!(secondary.failover, Some(FailoverRole::Secondary));
    assert_eq!(secondary.values, [target_of("us-east-1")]);
}

#[test]
fn records_state_only_batch_leaves_the_failover_pair_alone() {
    let config = config(REC2);
    let obs = observations(&config, "east=ok west=ok", &state_at("east", &[]));
    let d = decide_command(&config, &obs, T, &Command::Pause);
    let Plan::ChangeBatch { changes, new_state } = &d.plan else {
        panic!("expected a change batch, got {:?}", d.plan);
    };
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert!(new_state.paused);
}

#[test]
fn alias_records_carry_the_alias_target_and_its_zone() {
    let config = config(REC2.alias());
    let obs = observations(&config, "east=alarm west=ok", &state_at("east", &[]));
    let d = decide(&config, &obs, T, Trigger::EventOrOperator);
    let Plan::ChangeBatch { changes, .. } = &d.plan else {
        panic!("expected a change batch, got {:?}", d.plan);
    };
    let primary = &changes[2].record;
    assert_eq!(primary.record_type, "A");
    assert_eq!(primary.ttl, None, "alias records have no TTL");
    assert!(primary.values.is_empty());
    let alias = primary.alias.as_ref().expect("an alias target");
    assert_eq!(alias.dns_name, target_of("us-west-2"));
    assert_eq!(alias.hosted_zone_id, "Z000000000000002");
}

#[test]
fn gates_close_regions_above_active_and_keep_healthy_ones_below_open() {
    let config = config(GATE3);
    let obs = observations(&config, "east=alarm west=ok eu=ok", &state_at("west", &[]));
    let d = decide(&config, &obs, T, Trigger::EventOrOperator);
    assert_eq!(d.outcome, Outcome::NoChange);
    let Plan::Gates { gates, state } = &d.plan else {
        panic!("gates are republished on every pass, got {:?}", d.plan);
    };
    assert_eq!(state, &None, "nothing to persist without a change");
    let open: Vec<(&str, bool)> = gates.iter().map(|g| (g.region.as_str(), g.open)).collect();
    assert_eq!(
        open,
        [("us-east-1", false), ("us-west-2", true)],
        "the last region, eu-west-1, has no gate"
    );

    let obs = observations(&config, "east=ok west=down eu=ok", &state_at("east", &[]));
    let d = decide(&config, &obs, T, Trigger::EventOrOperator);
    let Plan::Gates { gates, .. } = &d.plan else {
        panic!("expected gates, got {:?}", d.plan);
    };
    assert!(gates[0].open, "the active region's gate is open");
    assert!(
        !gates[1].open,
        "a region below the active one that is known unhealthy stays closed"
    );
}

/// Was `gate_mode_with_corrupt_state_routes_to_the_most_preferred_healthy_region`, which
/// expected a `StateOnly` restart on us-west-2 (closing home's gate: a traffic move with
/// no transition record, and the pause of the unreadable state lost). Issue 13 #3 calls
/// that a bug: the pass now stops, publishes no gate and writes nothing; an operator
/// command replaces the state with a sequence above any seen, and keeps it paused.
#[test]
fn gate_mode_with_corrupt_state_stops_until_an_operator_command_replaces_it() {
    let config = config(GATE3);
    let obs = Observations {
        regions: parse_health(&config, "east=alarm west=ok eu=ok"),
        routing: RoutingObservation::Gates,
        state: corrupt_state(&config),
    };
    let d = decide(&config, &obs, T, Trigger::EventOrOperator);
    assert_eq!(d.outcome, Outcome::NoChange);
    assert_eq!(
        d.plan,
        Plan::Nothing,
        "no gate is published, no state written"
    );

    let failover = Command::FailoverTo {
        region: "us-west-2".into(),
        force: false,
    };
    let moved = decide_command(&config, &obs, T, &failover);
    assert!(moved.is_transition(), "{:?}", moved.reasons);
    let new_state = moved.plan.new_state().expect("the state is replaced");
    assert_eq!(new_state.active, "us-west-2");
    assert!(
        new_state.sequence >= T,
        "a replacing state gets a sequence never used before"
    );
    assert!(new_state.paused, "the old pause flag could not be read");
    let after = apply(&config, &obs, &moved);
    let next = decide(&config, &after, T + 60, Trigger::EventOrOperator);
    assert!(next.reasons.contains(&Reason::Paused), "{:?}", next.reasons);
}

#[test]
fn failover_event_records_kind_regions_reasons_and_time_in_previous_state() {
    let config = config(GATE2);
    let obs = observations(
        &config,
        "east=alarm west=ok",
        &state_at("east", &[("last", 8000)]),
    );
    let event = decide(&config, &obs, T, Trigger::EventOrOperator)
        .event
        .expect("a transition event");
    assert_eq!(event.kind, TransitionKind::Failover);
    assert_eq!(event.kind.as_str(), "failover");
    assert_eq!(
        (event.from.as_str(), event.to.as_str()),
        ("us-east-1", "us-west-2")
    );
    assert_eq!(event.decided_at, T);
    assert_eq!(event.sequence, 6);
    assert_eq!(event.time_in_previous_state_secs, Some(2000));
    assert_eq!(event.time_in_failover_secs, None);
    assert!(
        event
            .reasons
            .iter()
            .any(|r| r.contains("us-east-1 is unhealthy")
                && r.contains("alarm api-errors is failing")),
        "{:?}",
        event.reasons
    );
}

#[test]
fn return_home_event_records_how_long_traffic_was_away() {
    let config = config(REC3);
    let state = state_at("eu", &[("last", 8500), ("away", 8000)]);
    let event = decide(
        &config,
        &observations(&config, "east=ok west=ok eu=ok", &state),
        T,
        Trigger::EventOrOperator,
    )
    .event
    .expect("a transition event");
    assert_eq!(event.kind.as_str(), "failback");
    assert_eq!(event.to, "us-east-1");
    assert_eq!(event.time_in_previous_state_secs, Some(1500));
    assert_eq!(event.time_in_failover_secs, Some(2000));
}

#[test]
fn operator_event_is_manual_and_away_time_starts_when_traffic_leaves_home() {
    let config = config(GATE3);
    let obs = observations(&config, "east=ok west=ok eu=ok", &state_at("east", &[]));
    let command = Command::FailoverTo {
        region: "eu-west-1".into(),
        force: false,
    };
    let d = decide_command(&config, &obs, T, &command);
    let event = d.event.as_ref().expect("a transition event");
    assert_eq!(event.kind.as_str(), "manual");
    assert_eq!(
        event.time_in_previous_state_secs, None,
        "no earlier transition known"
    );
    let new_state = d.plan.new_state().expect("a state write");
    assert_eq!(new_state.away_since, Some(T));
    assert!(
        new_state.recent_flips.is_empty(),
        "operator moves are not counted as flips"
    );
}

#[test]
fn a_manual_move_away_from_home_holds_automatic_failback_until_resume() {
    let config = config(REC2);
    let obs = observations(&config, "east=ok west=ok", &state_at("east", &[]));
    let to_west = Command::FailoverTo {
        region: "us-west-2".into(),
        force: false,
    };
    let moved = decide_command(&config, &obs, T, &to_west);
    assert!(moved.plan.new_state().is_some_and(|s| s.hold_failback));
    let obs = apply(&config, &obs, &moved);

    let later = T + 3600;
    let waiting = decide(&config, &obs, later, Trigger::EventOrOperator);
    assert_eq!(waiting.outcome, Outcome::NoChange);
    assert!(
        waiting
            .reasons
            .iter()
            .any(|r| matches!(r, Reason::AwaitingOperator { .. })),
        "{:?}",
        waiting.reasons
    );

    let resumed = decide_command(&config, &obs, later, &Command::Resume);
    assert_eq!(resumed.outcome, Outcome::StateOnly);
    let obs = apply(&config, &obs, &resumed);
    let back = decide(&config, &obs, later, Trigger::EventOrOperator);
    assert_eq!(
        back.outcome,
        Outcome::Transition {
            kind: TransitionKind::Failback,
            from: "us-west-2".into(),
            to: "us-east-1".into()
        }
    );
}

#[test]
fn an_automatic_return_home_clears_an_operators_failback_hold() {
    // An operator moved traffic to west; west then failed and automation brought traffic
    // home. The hold has served its purpose: it must not block a later automatic failback.
    let config = config(GATE2);
    let state = state_at("west", &[("hold", 0), ("last", 5000), ("away", 5000)]);
    let obs = observations(&config, "east=ok west=alarm", &state);
    let home = decide(&config, &obs, T, Trigger::EventOrOperator);
    assert!(home.is_transition(), "{:?}", home.reasons);
    let written = home.plan.new_state().expect("a state write");
    assert_eq!(written.active, "us-east-1");
    assert!(
        !written.hold_failback,
        "hold survives the return home: {written}"
    );
}

#[test]
fn an_outage_and_recovery_round_trip_through_the_stored_state_alone() {
    // Every pass starts from what the adapters read back, as after a cold start.
    let config = config(REC2);
    let mut obs = observations(&config, "east=ok west=ok", &state_at("east", &[]));
    let mut step = |health: &str, now: u64| {
        obs.regions = parse_health(&config, health);
        let d = decide(&config, &obs, now, Trigger::EventOrOperator);
        obs = apply(&config, &obs, &d);
        d
    };
    let failover = step("east=alarm west=ok", 10_000);
    assert_eq!(
        failover.event.as_ref().map(|e| e.kind),
        Some(TransitionKind::Failover)
    );
    let pending = step("east=ok@10100 west=ok", 10_100);
    assert_eq!(pending.eligible_at(), Some(10_400));
    assert!(!step("east=ok@10100 west=ok", 10_399).is_transition());
    let failback = step("east=ok@10100 west=ok", 10_400);
    let event = failback
        .event
        .expect("failback at the moment it became eligible");
    assert_eq!(event.kind, TransitionKind::Failback);
    assert_eq!(event.time_in_failover_secs, Some(400));
    assert_eq!(event.sequence, 7);
    let steady = step("east=ok@10100 west=ok", 10_400);
    assert_eq!(steady.outcome, Outcome::NoChange);
}
