//! Table tests of the pure planner, [`regionflip_provision::plan`]: one row of [`ROWS`] per
//! situation, read as a table (the mode, what exists, what init lists as existing, and
//! the steps it plans or the problems it refuses with). The rule table at the top of
//! `crates/provision/src/plan.rs` names the rows that pin each rule; a test below keeps
//! the two in step.
//!
//! Every row is also checked for what holds for every plan: planning twice gives the same
//! plan; steps come in the order `apply` needs (state holders, gate alarms, gate values,
//! checks, records) and refer only to checks that exist or that an earlier step creates;
//! and carrying the plan out on the world as AWS would, then planning again, plans
//! nothing (a second init writes nothing). Every problem of a refusal names a fix.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use regionflip_core::records::{
    CHAIN_LABEL_PREFIX, PRIMARY_SET_ID, SECONDARY_SET_ID, chain_records, failover_record,
    gate_chain, state_record,
};
use regionflip_core::{
    Config, EngineState, FailoverRole, Mode, RecordSet, RecordType, StateObservation,
};
use regionflip_local_aws::fixtures::{EAST, WEST, sample_config};
use regionflip_provision::{
    AlarmSettings, CheckConfig, CheckRef, CheckRole, HealthCheckInfo, InitError, InitPlan,
    PlannedCheck, PlannedRecord, ReportedCheck, Step, TAG_RECORD, TAG_REGION, TAG_ROLE, World,
    caller_reference, gate_alarm, gate_alarm_settings, plan_adopting,
};

/// The third region of `regions=3`.
const EU: &str = "eu-west-1";
const REC: Mode = Mode::Records;
const GATE: Mode = Mode::HealthGate;

/// One situation.
///
/// * `world` — what exists, in words applied left to right (regions by short name:
///   `east`, `west`, `eu`):
///   * `regions=3` adds eu-west-1; `type=A` makes the pair alias A records;
///     `routing=latency|weighted` makes the routing active-active (weighted: home 3, the
///     others 1), where `initialised` lays out `state=east#1 gates checks svc`: `svc` is
///     every region's latency or weighted record as init creates it (on `calc-R`), and
///     `svc-weight@R=N` gives R's record another weight.
///   * `initialised` — everything as init leaves it: `primary=east secondary=west
///     state=east#1`, and in `health-gate` mode also `gates checks`.
///   * `primary=R`, `secondary=R` — regionflip's record as init creates it in the mode
///     (`health-gate`: on the region's CALCULATED check `calc-R`); `primary=R:endpoint`
///     on the region's endpoint check, as `records` mode leaves it; `primary=foreign`
///     pointing at no configured region.
///   * `state=R#N` — the state (sequence N, active R): the TXT state record, or every
///     region's state holder; `state@X=R#N` only region X's holder; `state=corrupt`,
///     `state@X=corrupt`, `state@X=missing`.
///   * `gates` — every gate alarm as init writes it; `gate@R=stale` (another settings
///     fingerprint), `gate@R=bare` (no description), `gate@R=missing`.
///   * `checks` — init's gate and CALCULATED checks of every region (`gate-R`, `calc-R`),
///     tagged, each reporting the settings Route 53 reports for what init created (a gate
///     check its alarm, `LastKnownStatus` and its copy of the alarm's settings, taken
///     when the alarm was as init writes it); `-check=gate/R` deletes one;
///     `untagged=ID` removes a check's tags; `gate-check@R=stale` makes R's gate check
///     report a copy of other alarm settings (namespace `RegionFlipOld`);
///     `gate-check@R=unreported` makes it report no alarm and no settings at all (as
///     moto does); `legacy-refs` gives the gate checks the caller reference they had
///     before it covered the alarm's settings.
///   * `adopt` — the row runs `init --adopt`.
///   * After the world is laid out, the configuration may change under it:
///     `namespace-changed` (`metrics_namespace` becomes `RegionFlipNext`);
///     `endpoint@R=replaced` (R's stack replaced its endpoint check: the configuration
///     names a new id, the new check exists, the old one is gone).
///   * `foreign=cname|cname-home|blue|txt|aaaa|soa` — at the record name, a plain CNAME (to
///     elsewhere, or to the home target), a failover
///     record with set identifier `blue`, a TXT, an AAAA; `foreign=state-cname` a CNAME
///     at the state record name; with `type=A`, `foreign=alias-home` a plain alias A to
///     home's target in its alias zone, `alias-other-zone` the same in another zone,
///     `alias-elsewhere` to another target.
/// * `existing` — what the plan lists as existing, in order: `state=R#N` (the state
///   record), `hold=R#N` (the state holders), `gate-alarm:R@H` (R's gate alarm, hosted in
///   H), `gate/R`, `calculated/R` (checks), `primary=R`, `secondary=R`. `initialised`
///   stands for all that init creates in the mode (sequence 1, on home), followed by
///   changes: `-word` takes one away, `hold=R#N` replaces the state.
/// * `expect` — `refused: A | B` (the problems, in order, contain A and B), or the steps
///   (`nothing` for none): `hold:X=R#N` (state holder of X), `gate-alarm:R@H`,
///   `rewrite-gate-alarm:R@H`, `publish@H:R=open,…`, `check:gate/R`,
///   `check:calculated/R(children)` (`endpoint`, an id, or `+role/R` for a check an
///   earlier step creates), `update:gate/R`, `update:calculated/R(children)`, `tag:ID`,
///   `records(primary=R[check],…,state=R#N)`, `rewire(primary=R,…)` (moved onto R's
///   endpoint check, everything else as read).
struct Row {
    name: &'static str,
    mode: Mode,
    world: &'static str,
    existing: &'static str,
    expect: &'static str,
}

const fn row(
    name: &'static str,
    mode: Mode,
    world: &'static str,
    existing: &'static str,
    expect: &'static str,
) -> Row {
    Row {
        name,
        mode,
        world,
        existing,
        expect,
    }
}

#[rustfmt::skip]
const ROWS: &[Row] = &[
    //   name                                              mode   world                                                existing                                                                  expect
    // -- records mode: what is created --------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------
    row("records: empty world",                            REC,  "",                                                  "",                                                                       "records(primary=east,secondary=west,state=east#1)"),
    row("records: three regions, empty world",             REC,  "regions=3",                                         "",                                                                       "records(primary=east,secondary=west,state=east#1)"),
    row("records: initialised",                            REC,  "initialised",                                       "initialised",                                                            "nothing"),
    row("records: PRIMARY moved by the watcher",           REC,  "primary=west secondary=east state=west#5",          "state=west#5 primary=west secondary=east",                               "nothing"),
    row("records: the pair without the state",             REC,  "primary=west secondary=east",                       "primary=west secondary=east",                                            "records(state=west#1)"),
    row("records: the state without the pair",             REC,  "state=west#5",                                      "state=west#5",                                                           "records(primary=west,secondary=east)"),
    row("records: a state on no configured region",        REC,  "state=ap-south-1#5",                                "state=ap-south-1#5",                                                     "records(primary=east,secondary=west)"),
    row("records: a lone PRIMARY gets a SECONDARY",        REC,  "regions=3 primary=eu",                              "primary=eu",                                                             "records(secondary=east,state=eu#1)"),
    row("records: a lone SECONDARY on home",               REC,  "secondary=east",                                    "secondary=east",                                                         "records(primary=west,state=west#1)"),
    row("records: a lone SECONDARY on the active region",  REC,  "secondary=east state=east#3",                       "state=east#3 secondary=east",                                            "records(primary=west)"),
    row("records: a TXT beside a CNAME pair is ignored",   REC,  "foreign=txt",                                       "",                                                                       "records(primary=east,secondary=west,state=east#1)"),
    row("records: a replaced endpoint check is rewired under the pair", REC, "initialised endpoint@east=replaced",   "initialised",                                                            "rewire(primary=east)"),
    row("records: a moved pair is rewired where the watcher left it", REC, "primary=west secondary=east state=west#5 endpoint@east=replaced", "state=west#5 primary=west secondary=east",          "rewire(secondary=east)"),
    // -- records mode: refusals ---------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------
    row("records: a plain CNAME at the name is refused",   REC,  "foreign=cname",                                     "",                                                                       "refused: api.regionflip-demo.example. already has a CNAME record that regionflip did not create; init never overwrites it. Delete it (regionflip then creates its failover pair there) or choose another record_name"),
    row("records: another set identifier is refused",      REC,  "foreign=blue",                                      "",                                                                       "refused: already has a CNAME record (set identifier blue, Primary) that regionflip did not create"),
    row("records: an AAAA beside an A pair is refused",    REC,  "type=A foreign=aaaa",                               "",                                                                       "refused: already has a AAAA record that regionflip did not create"),
    row("records: a foreign PRIMARY target is refused",    REC,  "primary=foreign secondary=west",                    "",                                                                       "refused: CNAME regionflip-primary points at api.elsewhere.example.net., which is no configured region; init does not touch it. Add that region to the configuration, or delete the record"),
    row("records: a corrupt state record is refused",      REC,  "initialised state=corrupt",                         "",                                                                       "refused: _regionflip.api.regionflip-demo.example. holds a TXT record regionflip cannot read (the state record lacks field \"flips\"); init never resets a state"),
    row("records: a missing alarm is refused before any write", REC, "missing-alarm=east",                         "",                                                                       "refused: regions[1].alarms names alarm regionflip-demo-api-errors-us-east-1, which does not exist in us-east-1"),
    row("gate: a missing guard is refused before any write", GATE, "initialised missing-guard=west",                  "",                                                                       "refused: regions[2].guards names alarm"),
    row("records: --adopt replaces a plain CNAME on home in the creating batch", REC, "adopt foreign=cname-home",    "adopted=east",                                                           "records(delete=cname,primary=east,secondary=west,state=east#1)"),
    row("gate: --adopt replaces a plain CNAME on home in the creating batch", GATE, "adopt foreign=cname-home",      "adopted=east",                                                           "hold:east=east#1 hold:west=east#1 gate-alarm:east@west publish@west:east=open check:gate/east check:calculated/east(endpoint,+gate/east) records(delete=cname,primary=east[+calculated/east],secondary=west)"),
    row("records: --adopt replaces a plain alias A on home in the creating batch", REC, "type=A adopt foreign=alias-home", "adopted=east",                                                  "records(delete=a,primary=east,secondary=west,state=east#1)"),
    row("gate: --adopt replaces a plain alias A on home in the creating batch", GATE, "type=A adopt foreign=alias-home", "adopted=east",                                                     "hold:east=east#1 hold:west=east#1 gate-alarm:east@west publish@west:east=open check:gate/east check:calculated/east(endpoint,+gate/east) records(delete=a,primary=east[+calculated/east],secondary=west)"),
    row("records: --adopt refuses an alias A in another hosted zone", REC, "type=A adopt foreign=alias-other-zone", "",                                                                   "refused: --adopt replaces api.regionflip-demo.example. A"),
    row("gate: --adopt refuses an alias A to another target", GATE, "type=A adopt foreign=alias-elsewhere", "",                                                                           "refused: --adopt replaces api.regionflip-demo.example. A"),
    row("records: --adopt refuses a plain CNAME pointing elsewhere", REC, "adopt foreign=cname",                      "",                                                                       "refused: --adopt replaces api.regionflip-demo.example. CNAME"),
    row("records: a CNAME at the zone apex is refused",    REC,  "foreign=soa",                                       "",                                                                       "refused: record_name api.regionflip-demo.example. is the apex of hosted zone"),
    row("records: a CNAME at the state name is refused",   REC,  "foreign=state-cname",                               "",                                                                       "refused: _regionflip.api.regionflip-demo.example. already has a CNAME record that regionflip did not create; delete it so that init can create the state record there"),
    row("records: the pair on one region is refused",      REC,  "primary=east secondary=east",                       "",                                                                       "refused: regionflip's PRIMARY and SECONDARY records of api.regionflip-demo.example. both point at us-east-1; delete one of them and run init again"),
    // -- health-gate mode: what is created ----------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------
    row("gate: empty world",                               GATE, "",                                                  "",                                                                       "hold:east=east#1 hold:west=east#1 gate-alarm:east@west publish@west:east=open check:gate/east check:calculated/east(endpoint,+gate/east) records(primary=east[+calculated/east],secondary=west)"),
    row("gate: initialised",                               GATE, "initialised",                                       "initialised",                                                            "nothing"),
    // -- health-gate, active-active: one latency or weighted record per region, every region gated ------------------------------------------------------------------------------------------------------------------------------------------------------------
    row("active-active: latency, empty world",             GATE, "routing=latency",                                   "",                                                                       "hold:east=east#1 hold:west=east#1 gate-alarm:east@east gate-alarm:west@west publish@east:east=open publish@west:west=open check:gate/east check:gate/west check:calculated/east(endpoint,+gate/east) check:calculated/west(endpoint,+gate/west) records(svc=east[+calculated/east],svc=west[+calculated/west])"),
    row("active-active: weighted, initialised",            GATE, "routing=weighted initialised",                      "initialised",                                                            "nothing"),
    row("active-active: a record of another weight is refused", GATE, "routing=weighted initialised svc-weight@west=7", "",                                                                      "refused: api.regionflip-demo.example. CNAME regionflip-us-west-2 exists but differs from what init creates (weight 1"),
    row("active-active: --adopt replaces a plain CNAME on home in the creating batch", GATE, "routing=latency adopt foreign=cname-home", "adopted=east", "hold:east=east#1 hold:west=east#1 gate-alarm:east@east gate-alarm:west@west publish@east:east=open publish@west:west=open check:gate/east check:gate/west check:calculated/east(endpoint,+gate/east) check:calculated/west(endpoint,+gate/west) records(delete=cname,svc=east[+calculated/east],svc=west[+calculated/west])"),
    row("active-active: a failover pair at the name is refused", GATE, "routing=latency foreign=blue",                "",                                                                       "refused: already has a CNAME record (set identifier blue, Primary) that regionflip did not create; init never overwrites it. Delete it (regionflip then creates one latency record per region there)"),
    row("gate: a state holder missing in one region",      GATE, "initialised state@east=missing state@west=west#7",  "initialised hold=west#7",                                                "hold:east=west#7"),
    row("gate: the newest of two state copies wins",       GATE, "initialised state@east=east#3 state@west=west#7",   "initialised hold=west#7",                                                "nothing"),
    row("gate: a corrupt copy beside a valid one stays",   GATE, "initialised state@west=corrupt",                    "initialised",                                                            "nothing"),
    row("gate: a stale gate fingerprint is rewritten",     GATE, "initialised gate@east=stale",                       "initialised -gate-alarm:east@west",                                      "rewrite-gate-alarm:east@west"),
    row("gate: an undescribed gate alarm is rewritten",    GATE, "initialised gate@east=bare",                        "initialised -gate-alarm:east@west",                                      "rewrite-gate-alarm:east@west"),
    row("gate: a missing gate alarm is created",           GATE, "initialised gate@east=missing",                     "initialised -gate-alarm:east@west",                                      "gate-alarm:east@west"),
    row("gate: a check without its tags is tagged",        GATE, "initialised untagged=calc-east",                    "initialised",                                                            "tag:calc-east"),
    row("gate: interrupted before the records",            GATE, "state=east#1 gates checks",                         "initialised -primary=east -secondary=west",                              "records(primary=east[calc-east],secondary=west)"),
    row("gate: a lost gate check is created again",        GATE, "state=east#1 gates checks -check=gate/east",        "initialised -gate/east -primary=east -secondary=west",                   "check:gate/east update:calculated/east(endpoint,+gate/east) records(primary=east[calc-east],secondary=west)"),
    row("gate: a lost gate check under the pair is created and rewired", GATE, "initialised -check=gate/east",       "initialised -gate/east",                                                 "check:gate/east update:calculated/east(endpoint,+gate/east)"),
    row("gate: a namespace change updates every gate check", GATE, "initialised namespace-changed",                  "initialised -gate-alarm:east@west",                                      "rewrite-gate-alarm:east@west update:gate/east"),
    row("gate: a gate check holding other alarm settings is updated", GATE, "initialised gate-check@east=stale",     "initialised",                                                            "update:gate/east"),
    row("gate: a gate check reported without its alarm settings is left alone", GATE, "initialised gate-check@east=unreported", "initialised",                                            "nothing"),
    row("gate: a replaced endpoint check is rewired into the CALCULATED check", GATE, "initialised endpoint@east=replaced", "initialised",                                                 "update:calculated/east(endpoint,gate-east)"),
    row("gate: a replaced standby endpoint check is rewired under the SECONDARY", GATE, "initialised endpoint@west=replaced", "initialised -secondary=west",                              "rewire(secondary=west)"),
    row("gate: a replaced endpoint check of the chain's last region is rewired", GATE, "regions=3 initialised endpoint@eu=replaced", "hold=east#1 gate-alarm:east@west gate-alarm:west@eu gate/east gate/west calculated/east calculated/west west:primary=west primary=east secondary=>west", "rewire(secondary=eu)"),
    row("gate: gate checks with the caller reference of before are found", GATE, "initialised legacy-refs untagged=gate-east", "initialised",                                             "tag:gate-east"),
    row("gate: an alias pair at the zone apex is planned", GATE, "type=A foreign=soa",                                "",                                                                       "hold:east=east#1 hold:west=east#1 gate-alarm:east@west publish@west:east=open check:gate/east check:calculated/east(endpoint,+gate/east) records(primary=east[+calculated/east],secondary=west)"),
    row("gate: a lost calculated check is created again",  GATE, "state=east#1 gates checks -check=calculated/east",  "initialised -calculated/east -primary=east -secondary=west",             "check:calculated/east(endpoint,gate-east) records(primary=east[+calculated/east],secondary=west)"),
    row("gate: the standby's gate from before is reported and its record rewired", GATE, "initialised legacy-standby", "initialised -secondary=west +obsolete:gate-alarm:west@east +obsolete:gate/west +obsolete:calculated/west", "rewire(secondary=west)"),
    row("gate: the standby's gate checks from before stay reported once rewired", GATE, "state=east#1 gates checks legacy-standby primary=east secondary=west:endpoint", "initialised +obsolete:gate-alarm:west@east +obsolete:gate/west +obsolete:calculated/west", "nothing"),
    row("gate: three regions, empty world",                GATE, "regions=3",                                         "",                                                                       "hold:east=east#1 hold:west=east#1 hold:eu=east#1 gate-alarm:east@west gate-alarm:west@eu publish@west:east=open publish@eu:west=open check:gate/east check:gate/west check:calculated/east(endpoint,+gate/east) check:calculated/west(endpoint,+gate/west) records(west:primary=west[+calculated/west],west:secondary=eu,primary=east[+calculated/east],secondary=>west)"),
    row("gate: three regions, initialised",                GATE, "regions=3 initialised",                             "hold=east#1 gate-alarm:east@west gate-alarm:west@eu gate/east gate/west calculated/east calculated/west west:primary=west west:secondary=eu primary=east secondary=>west", "nothing"),
    row("gate: a third region extends the chain in place", GATE, "regions=3 state@east=east#1 state@west=east#1 state@eu=missing gates gate@west=missing checks -check=gate/west -check=calculated/west primary=east secondary=west:endpoint", "hold=east#1 gate-alarm:east@west gate/east calculated/east primary=east", "hold:eu=east#1 gate-alarm:west@eu check:gate/west check:calculated/west(endpoint,+gate/west) records(west:primary=west[+calculated/west],west:secondary=eu) extend(secondary=>west)"),
    // -- health-gate mode: refusals -----------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------
    row("gate: a foreign record at a chain link is refused", GATE, "regions=3 initialised foreign=link-txt",           "",                                                                       "refused: _regionflip-from-us-west-2.api.regionflip-demo.example. holds a TXT record, which regionflip did not create"),
    row("gate: a pair on the endpoint checks is refused",  GATE, "primary=east:endpoint",                             "",                                                                       "refused: api.regionflip-demo.example. CNAME regionflip-primary exists but differs from what init creates (its health check would be a new CALCULATED check of us-east-1, not 0f7c4c1e-1111-4a4a-8b8b-000000000001); in health-gate mode regionflip never rewrites the failover records. Delete it and run init again"),
    row("gate: a pair moved to the standby is refused",    GATE, "initialised primary=west secondary=east",           "",                                                                       "refused: regionflip-primary exists but differs from what init creates (a1b2c3d4e5.execute-api.us-east-1.amazonaws.com. on health check calc-east) | regionflip-secondary exists but differs from what init creates (f6g7h8i9j0.execute-api.us-west-2.amazonaws.com. on health check 0f7c4c1e-2222-4a4a-8b8b-000000000002)"),
    row("gate: a plain CNAME at the name is refused",      GATE, "foreign=cname",                                     "",                                                                       "refused: api.regionflip-demo.example. already has a CNAME record that regionflip did not create"),
    row("gate: unreadable state holders are refused",      GATE, "state=corrupt",                                     "",                                                                       "refused: the state holder alarm regionflip-state-api-regionflip--demo-example exists but regionflip cannot read it (us-east-1: "),
    row("gate: one unreadable copy alone is refused",      GATE, "state@west=corrupt",                                "",                                                                       "refused: exists but regionflip cannot read it (us-west-2: "),
];

#[test]
fn every_row_plans_as_it_says() {
    let failures: Vec<String> = ROWS
        .iter()
        .filter_map(|r| {
            let problem = match catch_unwind(AssertUnwindSafe(|| run(r))) {
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
            Some(format!("row {:?}: {problem}", r.name))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        ROWS.len(),
        failures.join("\n")
    );
}

#[test]
fn the_table_covers_both_modes_every_step_and_refusals() {
    let has = |f: &dyn Fn(&Row) -> bool| ROWS.iter().any(f);
    for mode in [REC, GATE] {
        assert!(has(&|r| r.mode == mode && r.expect.starts_with("refused: ")));
        assert!(has(&|r| r.mode == mode && r.expect == "nothing"));
    }
    for step in [
        "hold:",
        "gate-alarm:",
        "rewrite-gate-alarm:",
        "publish@",
        "check:gate/",
        "check:calculated/",
        "update:gate/",
        "update:calculated/",
        "tag:",
        "records(",
        "rewire(",
    ] {
        assert!(
            has(&|r| r.expect.split(' ').any(|s| s.starts_with(step))),
            "no row plans {step}"
        );
    }
    let mut names: Vec<&str> = ROWS.iter().map(|r| r.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), ROWS.len(), "row names must be unique");
}

#[test]
fn the_rule_table_in_plan_rs_names_rows_of_this_table_and_every_row_has_a_rule() {
    let source = include_str!("../src/plan.rs");
    let mut rules: Vec<(String, Vec<String>)> = Vec::new();
    for line in source.lines().map_while(|l| l.strip_prefix("//!")) {
        let Some(cells) = line.trim().strip_prefix('|') else {
            continue;
        };
        let id = cells.split('|').next().unwrap_or_default().trim();
        if !id.is_empty() && id != "#" && !id.starts_with('-') {
            rules.push((id.to_string(), Vec::new()));
        }
        let mut rest = cells;
        while let Some((_, after)) = rest.split_once("↳ \"") {
            let (name, tail) = after.split_once('"').unwrap_or((after, ""));
            match rules.last_mut() {
                Some((_, rows)) => rows.push(name.to_string()),
                None => panic!("row {name:?} is named before any rule"),
            }
            rest = tail;
        }
    }
    assert!(rules.len() >= 10, "the rule table was not found: {rules:?}");
    for (id, rows) in &rules {
        assert!(!rows.is_empty(), "rule {id} names no row");
        for name in rows {
            assert!(
                ROWS.iter().any(|r| r.name == name),
                "rule {id} names {name:?}, which is no row"
            );
        }
    }
    for r in ROWS {
        assert!(
            rules
                .iter()
                .any(|(_, rows)| rows.iter().any(|n| n == r.name)),
            "row {:?} is named by no rule of plan.rs",
            r.name
        );
    }
}

// ---------------------------------------------------------------------------------------
// Running a row.

/// Whether a row runs `init --adopt`.
fn adopting(r: &Row) -> bool {
    r.world.split_whitespace().any(|w| w == "adopt")
}

fn run(r: &Row) -> Result<(), String> {
    let (config, world) = build(r)?;
    let result = plan_adopting(&config, &world, adopting(r));
    if result != plan_adopting(&config, &world, adopting(r)) {
        return Err("planning the same world twice gives two plans".into());
    }
    match (r.expect.strip_prefix("refused: "), result) {
        (Some(expected), Err(InitError::Refused(problems))) => check_refusal(expected, &problems),
        (Some(_), other) => Err(format!("expected a refusal, got {other:?}")),
        (None, Ok(plan)) => check_plan(r, &config, &world, &plan),
        (None, Err(error)) => Err(format!("expected a plan, got {error:?}")),
    }
}

fn check_refusal(expected: &str, problems: &[String]) -> Result<(), String> {
    let expected: Vec<&str> = expected.split(" | ").collect();
    let matches = problems.len() == expected.len()
        && problems.iter().zip(&expected).all(|(p, e)| p.contains(e));
    if !matches {
        return Err(format!(
            "expected problems containing {expected:#?}, got {problems:#?}"
        ));
    }
    match problems.iter().find(|p| {
        let p = p.to_lowercase();
        !p.contains("delete")
            && !p.contains("use mode = \"records\"")
            && !p.contains("set record_")
            && !p.contains("create it there")
    }) {
        Some(problem) => Err(format!("{problem:?} names no fix")),
        None => Ok(()),
    }
}

fn check_plan(r: &Row, config: &Config, world: &World, plan: &InitPlan) -> Result<(), String> {
    let steps = if plan.steps.is_empty() {
        "nothing".to_string()
    } else {
        plan.steps
            .iter()
            .map(|s| step_key(config, s))
            .collect::<Result<Vec<_>, _>>()?
            .join(" ")
    };
    if steps != r.expect {
        return Err(format!(
            "expected steps\n  {}\nplanned\n  {steps}",
            r.expect
        ));
    }
    let existing = plan
        .existing
        .iter()
        .map(|line| existing_key(config, line))
        .chain(plan.obsolete.iter().map(|line| obsolete_key(config, line)))
        .collect::<Result<Vec<_>, _>>()?
        .join(" ");
    let expected = expected_existing(r)?;
    if existing != expected {
        return Err(format!(
            "expected existing\n  {expected}\nlisted\n  {existing}"
        ));
    }
    // The order `apply` needs: checks after the alarms they follow, records last.
    let ranks: Vec<u8> = plan.steps.iter().map(rank).collect();
    if !ranks.is_sorted() {
        return Err(format!("steps out of order: {steps}"));
    }
    if let Some(step) = plan.steps.iter().find(|s| s.to_string().is_empty()) {
        return Err(format!("{step:?} displays as nothing"));
    }
    // A second init writes nothing.
    let after = carry_out(config, world, plan)?;
    match plan_adopting(config, &after, adopting(r)) {
        Ok(again) if again.steps.is_empty() => Ok(()),
        Ok(again) => Err(format!(
            "planning again after carrying the plan out plans {:?}",
            again.steps
        )),
        Err(error) => Err(format!(
            "planning again after carrying the plan out refuses: {error}"
        )),
    }
}

/// A row's `existing`, with `initialised` and the changes after it spelled out.
fn expected_existing(r: &Row) -> Result<String, String> {
    let mut words = r.existing.split_whitespace();
    if !r.existing.starts_with("initialised") {
        return Ok(words.collect::<Vec<_>>().join(" "));
    }
    words.next();
    let active_active = r.world.contains("routing=");
    let mut listed: Vec<String> = match r.mode {
        Mode::Records => "state=east#1 primary=east secondary=west",
        Mode::HealthGate if active_active => {
            "hold=east#1 gate-alarm:east@east gate-alarm:west@west gate/east gate/west \
             calculated/east calculated/west svc=east svc=west"
        }
        Mode::HealthGate => {
            "hold=east#1 gate-alarm:east@west gate/east calculated/east primary=east \
             secondary=west"
        }
    }
    .split_whitespace()
    .map(String::from)
    .collect();
    for change in words {
        if let Some(gone) = change.strip_prefix('-') {
            let before = listed.len();
            listed.retain(|w| w != gone);
            if listed.len() == before {
                return Err(format!("existing: {gone:?} is not there to take away"));
            }
        } else if let Some(added) = change.strip_prefix('+') {
            listed.push(added.to_string());
        } else if let Some(state) = change.strip_prefix("hold=") {
            let hold = listed
                .iter_mut()
                .find(|w| w.starts_with("hold="))
                .ok_or("existing: no state holder to replace")?;
            *hold = format!("hold={state}");
        } else {
            return Err(format!("existing: unknown change {change:?}"));
        }
    }
    Ok(listed.join(" "))
}

fn rank(step: &Step) -> u8 {
    match step {
        Step::PutStateAlarm { .. } => 0,
        Step::PutGateAlarm { .. } => 1,
        Step::PublishGates { .. } => 2,
        // A CALCULATED check after the gate check it needs: `carry_out` checks that.
        Step::CreateHealthCheck { .. }
        | Step::UpdateHealthCheck { .. }
        | Step::TagHealthCheck { .. } => 3,
        Step::CreateRecords { .. } | Step::RewireRecords { .. } => 4,
    }
}

// ---------------------------------------------------------------------------------------
// Building a row's world.

fn region(short: &str) -> &str {
    match short {
        "east" => EAST,
        "west" => WEST,
        "eu" => EU,
        other => other,
    }
}

fn short(region: &str) -> &str {
    match region {
        EAST => "east",
        WEST => "west",
        EU => "eu",
        other => other,
    }
}

fn role_of(word: &str) -> Result<CheckRole, String> {
    match word {
        "gate" => Ok(CheckRole::Gate),
        "calculated" => Ok(CheckRole::Calculated),
        other => Err(format!("no check role {other:?}")),
    }
}

/// The id a row gives init's check of `role` for `region`.
fn check_id(region: &str, role: CheckRole) -> String {
    let prefix = match role {
        CheckRole::Gate => "gate",
        CheckRole::Calculated => "calc",
    };
    format!("{prefix}-{}", short(region))
}

/// `R#N`: a state with sequence N, active in R.
fn state_of(text: &str) -> Result<EngineState, String> {
    let (active, sequence) = text
        .split_once('#')
        .ok_or_else(|| format!("{text:?} is no R#N"))?;
    Ok(EngineState {
        sequence: sequence
            .parse()
            .map_err(|_| format!("bad sequence {text:?}"))?,
        ..EngineState::initial(region(active))
    })
}

const CORRUPT_STATE: &str = "regionflip/v1 seq=oops active=us-east-1";

/// What a row's words say exists, before it is laid out as `read_world` reads it.
#[derive(Default)]
struct Exists {
    primary: Option<RecordSet>,
    secondary: Option<RecordSet>,
    state_record: Option<RecordSet>,
    foreign: Vec<RecordSet>,
    /// Per region, the state holder's description.
    holders: BTreeMap<String, String>,
    /// Per gated region, its gate alarm's description.
    gates: BTreeMap<String, String>,
    checks: Vec<(String, CheckRole)>,
    untagged: Vec<String>,
    /// Per gated region, what its gate check reports instead of a copy of its alarm as
    /// init writes it: `stale` or `unreported`.
    gate_checks: BTreeMap<String, String>,
    /// The gate checks carry the caller reference of before it covered the settings.
    legacy_refs: bool,
}

/// What changes in the configuration once the world is laid out.
#[derive(Default)]
struct Afterwards {
    namespace_changed: bool,
    replaced_endpoints: Vec<String>,
}

/// The id the stack gives `region`'s endpoint check when it replaces it.
fn replaced_endpoint(region: &str) -> String {
    format!("0f7c4c1e-9999-4a4a-8b8b-{:0>12}", short(region))
}

fn build(r: &Row) -> Result<(Config, World), String> {
    let mut config = sample_config(r.mode);
    let words: Vec<&str> = r.world.split_whitespace().collect();
    for word in &words {
        match *word {
            "regions=3" => {
                let mut third = config.regions[1].clone();
                third.name = EU.into();
                third.target = "k1l2m3n4o5.execute-api.eu-west-1.amazonaws.com".into();
                third.health_check_id = Some("0f7c4c1e-3333-4a4a-8b8b-000000000003".into());
                third.alarms = vec!["regionflip-demo-api-errors-eu-west-1".into()];
                config.regions.push(third);
            }
            "routing=latency" | "routing=weighted" => {
                config.routing = if *word == "routing=latency" {
                    regionflip_core::config::Routing::Latency
                } else {
                    regionflip_core::config::Routing::Weighted
                };
                config.regions[0].weight = 3;
            }
            "type=A" => {
                config.record_type = RecordType::A;
                for region in &mut config.regions {
                    region.alias_hosted_zone_id = Some("Z1UJRXOUMOOFQ8".into());
                }
            }
            _ => {}
        }
    }
    let gate = r.mode == Mode::HealthGate;
    let three_regions = config.regions.len() > 2;
    let mut exists = Exists::default();
    let mut missing_alarms = Vec::new();
    let mut afterwards = Afterwards::default();
    let active_active = config.routing.is_active_active();
    let expanded = words.iter().flat_map(|word| match (*word, gate) {
        ("initialised", true) if active_active => vec!["state=east#1", "gates", "checks", "svc"],
        ("initialised", false) => vec!["primary=east", "secondary=west", "state=east#1"],
        ("initialised", true) if three_regions => vec![
            "state=east#1",
            "gates",
            "checks",
            "primary=east",
            "secondary=west",
            "chain",
        ],
        ("initialised", true) => vec![
            "state=east#1",
            "gates",
            "checks",
            "primary=east",
            "secondary=west",
        ],
        (word, _) => vec![word],
    });
    for word in expanded {
        let (key, value) = word.split_once('=').unwrap_or((word, ""));
        let records_only = |what: &str| -> Result<(), String> {
            if gate {
                Err(format!("{what} means nothing in health-gate mode"))
            } else {
                Ok(())
            }
        };
        let gate_only = |what: &str| -> Result<(), String> {
            if gate {
                Ok(())
            } else {
                Err(format!("{what} means nothing in records mode"))
            }
        };
        match key {
            "regions" | "type" | "routing" => {}
            "svc" => {
                for region in &config.regions {
                    let mut record = regionflip_core::records::service_record_of(
                        &config,
                        &config.records()[0],
                        region,
                    )
                    .ok_or("svc needs routing=latency or routing=weighted")?;
                    record.health_check_id = Some(check_id(&region.name, CheckRole::Calculated));
                    exists.foreign.push(record);
                }
            }
            _ if key.starts_with("svc-weight@") => {
                let id = regionflip_core::records::service_set_identifier(region(
                    &key["svc-weight@".len()..],
                ));
                let record = exists
                    .foreign
                    .iter_mut()
                    .find(|r| r.set_identifier.as_deref() == Some(id.as_str()))
                    .ok_or_else(|| format!("{word}: no such record"))?;
                record.weight = Some(value.parse().map_err(|_| format!("{word}: bad weight"))?);
            }
            "primary" | "secondary" => {
                let role = if key == "primary" {
                    FailoverRole::Primary
                } else {
                    FailoverRole::Secondary
                };
                let record = pair_record(&config, role, value, gate)?;
                match role {
                    FailoverRole::Primary => exists.primary = Some(record),
                    FailoverRole::Secondary => exists.secondary = Some(record),
                }
            }
            "state" if gate => {
                let text = match value {
                    "corrupt" => CORRUPT_STATE.to_string(),
                    value => state_of(value)?.encode(),
                };
                for region in &config.regions {
                    exists.holders.insert(region.name.clone(), text.clone());
                }
            }
            "state" => {
                let mut record = state_record(&config, &EngineState::initial(EAST));
                match value {
                    "corrupt" => record.values = vec![format!("\"{CORRUPT_STATE}\"")],
                    value => record = state_record(&config, &state_of(value)?),
                }
                exists.state_record = Some(record);
            }
            _ if key.starts_with("state@") => {
                gate_only(key)?;
                let holder = region(&key["state@".len()..]).to_string();
                match value {
                    "missing" => {
                        exists.holders.remove(&holder);
                    }
                    "corrupt" => {
                        exists.holders.insert(holder, CORRUPT_STATE.into());
                    }
                    value => {
                        exists.holders.insert(holder, state_of(value)?.encode());
                    }
                }
            }
            "gates" => {
                gate_only(key)?;
                for region in config.gated_regions() {
                    exists.gates.insert(
                        region.name.clone(),
                        gate_alarm(&config, &region.name).description,
                    );
                }
            }
            _ if key.starts_with("gate@") => {
                gate_only(key)?;
                let gated = region(&key["gate@".len()..]).to_string();
                let wanted = gate_alarm(&config, &gated).description;
                match value {
                    "missing" => {
                        exists.gates.remove(&gated);
                    }
                    "bare" => {
                        exists.gates.insert(gated, String::new());
                    }
                    "stale" => {
                        let (text, _fingerprint) =
                            wanted.rsplit_once(' ').ok_or("no fingerprint")?;
                        exists
                            .gates
                            .insert(gated, format!("{text} 00000000deadbeef"));
                    }
                    other => return Err(format!("unknown gate alarm {other:?}")),
                }
            }
            "checks" => {
                gate_only(key)?;
                for role in [CheckRole::Gate, CheckRole::Calculated] {
                    for region in config.gated_regions() {
                        exists.checks.push((region.name.clone(), role));
                    }
                }
            }
            "legacy-standby" => {
                // As init left a pair before the standby lost its gate: the standby's
                // gate alarm (hosted in home), its gate and CALCULATED checks, and the
                // SECONDARY on that CALCULATED check.
                gate_only(key)?;
                let standby = config.regions[1].name.clone();
                exists
                    .gates
                    .insert(standby.clone(), gate_alarm(&config, &standby).description);
                for role in [CheckRole::Gate, CheckRole::Calculated] {
                    exists.checks.push((standby.clone(), role));
                }
                if let Some(secondary) = &mut exists.secondary {
                    secondary.health_check_id = Some(check_id(&standby, CheckRole::Calculated));
                }
            }
            "-check" => {
                let (role, which) = value
                    .split_once('/')
                    .ok_or_else(|| format!("{word:?} is no -check=role/R"))?;
                let role = role_of(role)?;
                exists
                    .checks
                    .retain(|(r, o)| !(r == region(which) && *o == role));
            }
            "untagged" => exists.untagged.push(value.to_string()),
            _ if key.starts_with("gate-check@") => {
                gate_only(key)?;
                if !["stale", "unreported"].contains(&value) {
                    return Err(format!("unknown gate check {value:?}"));
                }
                let gated = region(&key["gate-check@".len()..]).to_string();
                exists.gate_checks.insert(gated, value.to_string());
            }
            _ if key == "missing-alarm" || key == "missing-guard" => {
                // The alarm (or a guard, added to the configuration) is not in its region.
                let index = config
                    .rank(region(value))
                    .ok_or_else(|| format!("{value} is no configured region"))?;
                let slot = &mut config.regions[index];
                let (list, name) = if key == "missing-alarm" {
                    ("alarms", slot.alarms[0].clone())
                } else {
                    slot.guards.push("regionflip-demo-replication-lag".into());
                    ("guards", "regionflip-demo-replication-lag".to_string())
                };
                missing_alarms.push((
                    slot.name.clone(),
                    format!("regions[{}].{list}", index + 1),
                    name,
                ));
            }
            "adopt" => {}
            "legacy-refs" => {
                gate_only(key)?;
                exists.legacy_refs = true;
            }
            "namespace-changed" => {
                gate_only(key)?;
                afterwards.namespace_changed = true;
            }
            _ if key.starts_with("endpoint@") && value == "replaced" => {
                afterwards
                    .replaced_endpoints
                    .push(region(&key["endpoint@".len()..]).to_string());
            }
            "chain" => {
                gate_only(word)?;
                // The gate chain as init creates it: the top SECONDARY becomes the alias
                // to the next link; every link's gated PRIMARY on its CALCULATED check.
                let chain = gate_chain(&config);
                for (rank, link) in chain.iter().enumerate() {
                    let [mut primary, secondary] = chain_records(&config, link);
                    primary.health_check_id = Some(check_id(&link.primary, CheckRole::Calculated));
                    if rank == 0 {
                        exists.secondary = Some(secondary);
                    } else {
                        exists.foreign.extend([primary, secondary]);
                    }
                }
            }
            "foreign" if value == "link-txt" => {
                gate_only(word)?;
                let mut record = regionflip_local_aws::fixtures::legacy_cname(&config);
                record.name = gate_chain(&config)[1].name.clone();
                record.record_type = "TXT".into();
                record.values = vec!["\"left here by hand\"".into()];
                exists.foreign.push(record);
            }
            "foreign" => {
                let mut record = regionflip_local_aws::fixtures::legacy_cname(&config);
                match value {
                    "cname" => {}
                    "blue" => {
                        record =
                            failover_record(&config, &config.regions[0], FailoverRole::Primary);
                        record.set_identifier = Some("blue".into());
                    }
                    "txt" => {
                        record.record_type = "TXT".into();
                        record.values = vec!["\"v=spf1 -all\"".into()];
                    }
                    "aaaa" => {
                        record.record_type = "AAAA".into();
                        record.values = vec!["2001:db8::1".into()];
                    }
                    "soa" => {
                        // The zone's own SOA: the record name is the zone apex.
                        record.record_type = "SOA".into();
                        record.values = vec![
                            "ns-1.awsdns-01.org. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400".into(),
                        ];
                    }
                    "cname-home" => {
                        // A plain CNAME already answering with the home region's target.
                        record.values = vec![config.regions[0].target.clone()];
                    }
                    "alias-home" | "alias-other-zone" | "alias-elsewhere" => {
                        // A plain alias A (`type=A`): to home's target in home's alias
                        // zone, in another zone, or to another target.
                        let home = &config.regions[0];
                        record.record_type = "A".into();
                        record.values = Vec::new();
                        record.ttl = None;
                        record.alias = Some(regionflip_core::records::AliasTarget {
                            hosted_zone_id: match value {
                                "alias-other-zone" => "Z2FDTNDATAQYW2".into(),
                                _ => home.alias_hosted_zone_id.clone().ok_or("needs type=A")?,
                            },
                            dns_name: match value {
                                "alias-elsewhere" => "d-elsewhere.execute-api.example.net.".into(),
                                _ => home.target.clone(),
                            },
                            evaluate_target_health: false,
                        });
                    }
                    "state-cname" => {
                        records_only(word)?;
                        record.name = config.state_record_name();
                    }
                    other => return Err(format!("unknown foreign record {other:?}")),
                }
                exists.foreign.push(record);
            }
            other => return Err(format!("unknown world word {other:?}")),
        }
    }
    let mut world = lay_out(&config, exists, gate);
    world.missing_alarms = missing_alarms;
    if afterwards.namespace_changed {
        config.metrics_namespace = "RegionFlipNext".into();
    }
    for replaced in &afterwards.replaced_endpoints {
        let slot = config
            .regions
            .iter_mut()
            .find(|r| r.name == *replaced)
            .ok_or_else(|| format!("{replaced} is no configured region"))?;
        let old = slot.health_check_id.replace(replaced_endpoint(replaced));
        // CloudFormation created the new check and deleted the old one.
        world.health_checks.retain(|c| Some(&c.id) != old.as_ref());
        if gate {
            world.health_checks.push(HealthCheckInfo {
                id: replaced_endpoint(replaced),
                caller_reference: format!("stack-{replaced}-replaced"),
                reported: ReportedCheck::Other("HTTPS_STR_MATCH".into()),
            });
        }
    }
    Ok((config, world))
}

/// The caller reference of a gate check as init made it before the reference covered
/// the alarm's settings: the formula of that release, spelled out again here so that a
/// change to it in the crate shows.
fn legacy_gate_reference(config: &Config, region: &str) -> String {
    let settings = format!(
        "cloudwatch-metric|{}|{}|LastKnownStatus",
        config.gate_host_region(region),
        config.gate_alarm_name(region)
    );
    let text = format!("{}|{region}|gate|{settings}", config.record_name);
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("regionflip-gate-{region}-{hash:016x}")
}

/// regionflip's PRIMARY or SECONDARY: `R`, `R:endpoint` or `foreign`.
fn pair_record(
    config: &Config,
    role: FailoverRole,
    value: &str,
    gate: bool,
) -> Result<RecordSet, String> {
    if value == "foreign" {
        let mut record = failover_record(config, &config.regions[0], role);
        record.values = vec!["api.elsewhere.example.net.".into()];
        return Ok(record);
    }
    let (name, on_endpoint) = match value.split_once(':') {
        Some((name, "endpoint")) => (name, true),
        Some(_) => return Err(format!("bad record {value:?}")),
        None => (value, false),
    };
    let region = config
        .region(region(name))
        .ok_or_else(|| format!("{name} is no configured region"))?;
    let mut record = failover_record(config, region, role);
    if gate && !on_endpoint && config.is_gated(&region.name) {
        record.health_check_id = Some(check_id(&region.name, CheckRole::Calculated));
    }
    Ok(record)
}

/// What `read_world` would read from that: every configured region's state holder and
/// gate alarm (`None` when missing), every check with its caller reference, the tags of
/// init's checks.
fn lay_out(config: &Config, exists: Exists, gate: bool) -> World {
    let mut world = World {
        records: [exists.primary, exists.secondary, exists.state_record]
            .into_iter()
            .flatten()
            .chain(exists.foreign)
            .collect(),
        ..World::default()
    };
    if !gate {
        return world;
    }
    for region in &config.regions {
        world.state_holders.push((
            region.name.clone(),
            exists.holders.get(&region.name).cloned(),
        ));
        world
            .gate_alarms
            .push((region.name.clone(), exists.gates.get(&region.name).cloned()));
        // The endpoint checks the stacks create are in the account too.
        if let Some(endpoint) = &region.health_check_id {
            world.health_checks.push(HealthCheckInfo {
                id: endpoint.clone(),
                caller_reference: format!("stack-{}", region.name),
                reported: ReportedCheck::Other("HTTPS_STR_MATCH".into()),
            });
        }
    }
    for (region, role) in &exists.checks {
        let settings = match role {
            CheckRole::Gate => CheckConfig::CloudwatchMetric {
                alarm_region: config.gate_host_region(region).to_string(),
                alarm_name: config.gate_alarm_name(region),
            },
            CheckRole::Calculated => {
                let endpoint = config
                    .region(region)
                    .and_then(|r| r.health_check_id.clone());
                let children: Vec<String> = endpoint
                    .into_iter()
                    .chain([check_id(region, CheckRole::Gate)])
                    .collect();
                CheckConfig::Calculated {
                    health_threshold: children.len() as u32,
                    children,
                }
            }
        };
        let id = check_id(region, *role);
        let reference = match role {
            CheckRole::Gate if exists.legacy_refs => legacy_gate_reference(config, region),
            _ => caller_reference(config, region, *role, &settings),
        };
        let reported = match (
            &settings,
            exists.gate_checks.get(region).map(String::as_str),
        ) {
            (CheckConfig::CloudwatchMetric { .. }, Some("unreported")) => {
                ReportedCheck::CloudwatchMetric {
                    alarm: None,
                    insufficient_data: None,
                    alarm_settings: None,
                }
            }
            (CheckConfig::CloudwatchMetric { .. }, Some(_)) => {
                let old = AlarmSettings {
                    namespace: "RegionFlipOld".into(),
                    ..gate_alarm_settings(config, region)
                };
                reported_as_created(config, region, &settings, Some(old))
            }
            _ => reported_as_created(config, region, &settings, None),
        };
        world.health_checks.push(HealthCheckInfo {
            id: id.clone(),
            caller_reference: reference,
            reported,
        });
        if !exists.untagged.contains(&id) {
            world.check_tags.insert(id, tags(config, region, *role));
        }
    }
    world
}

/// What Route 53 reports of a check init created (or updated) with `settings` for
/// `region`: a gate check its alarm, `LastKnownStatus` and its copy of the alarm's
/// settings (`copied`, else the alarm as init writes it for `config`).
fn reported_as_created(
    config: &Config,
    region: &str,
    settings: &CheckConfig,
    copied: Option<AlarmSettings>,
) -> ReportedCheck {
    match settings {
        CheckConfig::CloudwatchMetric {
            alarm_region,
            alarm_name,
        } => ReportedCheck::CloudwatchMetric {
            alarm: Some((alarm_region.clone(), alarm_name.clone())),
            insufficient_data: Some("LastKnownStatus".into()),
            alarm_settings: Some(copied.unwrap_or_else(|| gate_alarm_settings(config, region))),
        },
        CheckConfig::Calculated {
            children,
            health_threshold,
        } => ReportedCheck::Calculated {
            children: children.clone(),
            health_threshold: *health_threshold,
        },
    }
}

fn tags(config: &Config, region: &str, role: CheckRole) -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            TAG_RECORD.to_string(),
            config.record_name.trim_end_matches('.').to_string(),
        ),
        (TAG_REGION.to_string(), region.to_string()),
        (TAG_ROLE.to_string(), role.as_str().to_string()),
    ])
}

// ---------------------------------------------------------------------------------------
// Reading a plan back in the table's words.

fn state_key(text: &str) -> Result<String, String> {
    let state = EngineState::decode(text).map_err(|e| format!("bad state {text:?}: {e}"))?;
    Ok(format!("{}#{}", short(&state.active), state.sequence))
}

fn child_key(config: &Config, region: &str, check: &CheckRef) -> String {
    match check {
        CheckRef::Existing { id }
            if config
                .region(region)
                .and_then(|r| r.health_check_id.as_ref())
                == Some(id) =>
        {
            "endpoint".into()
        }
        CheckRef::Existing { id } => id.clone(),
        CheckRef::New { region, role } => format!("+{}/{}", role.as_str(), short(region)),
    }
}

fn step_key(config: &Config, step: &Step) -> Result<String, String> {
    Ok(match step {
        Step::PutStateAlarm {
            region,
            alarm_name,
            state,
        } => {
            if *alarm_name != config.state_alarm_name() {
                return Err(format!("a state holder named {alarm_name}"));
            }
            format!("hold:{}={}", short(region), state_key(state)?)
        }
        Step::PutGateAlarm {
            region,
            gated_region,
            alarm,
            rewrite,
        } => {
            if *alarm != gate_alarm(config, gated_region)
                || region != config.gate_host_region(gated_region)
            {
                return Err(format!("{step:?} is not the gate alarm init creates"));
            }
            format!(
                "{}gate-alarm:{}@{}",
                if *rewrite { "rewrite-" } else { "" },
                short(gated_region),
                short(region)
            )
        }
        Step::PublishGates { region, gates } => {
            let gates: Vec<String> = gates
                .iter()
                .map(|g| {
                    format!(
                        "{}={}",
                        short(&g.region),
                        if g.open { "open" } else { "closed" }
                    )
                })
                .collect();
            format!("publish@{}:{}", short(region), gates.join(","))
        }
        Step::CreateHealthCheck {
            region,
            role,
            check,
        } => match (role, check) {
            (CheckRole::Gate, PlannedCheck::CloudwatchMetric { .. }) => {
                format!("check:gate/{}", short(region))
            }
            (
                CheckRole::Calculated,
                PlannedCheck::Calculated {
                    children,
                    health_threshold,
                },
            ) => {
                if *health_threshold as usize != children.len() {
                    return Err(format!("{step:?} does not need every child"));
                }
                let children: Vec<String> = children
                    .iter()
                    .map(|c| child_key(config, region, c))
                    .collect();
                format!("check:calculated/{}({})", short(region), children.join(","))
            }
            _ => return Err(format!("{step:?}: role and settings disagree")),
        },
        Step::UpdateHealthCheck {
            id,
            region,
            role,
            check,
            why,
        } => {
            if *id != check_id(region, *role) {
                return Err(format!("{step:?} updates a check that is not the slot's"));
            }
            if why.is_empty() {
                return Err(format!("{step:?} says nothing of what differs"));
            }
            match (role, check) {
                (
                    CheckRole::Gate,
                    PlannedCheck::CloudwatchMetric {
                        alarm_region,
                        alarm_name,
                    },
                ) if *alarm_region == config.gate_host_region(region)
                    && *alarm_name == config.gate_alarm_name(region) =>
                {
                    format!("update:gate/{}", short(region))
                }
                (
                    CheckRole::Calculated,
                    PlannedCheck::Calculated {
                        children,
                        health_threshold,
                    },
                ) if *health_threshold as usize == children.len() => {
                    let children: Vec<String> = children
                        .iter()
                        .map(|c| child_key(config, region, c))
                        .collect();
                    format!(
                        "update:calculated/{}({})",
                        short(region),
                        children.join(",")
                    )
                }
                _ => return Err(format!("{step:?} is not what init updates a check to")),
            }
        }
        Step::TagHealthCheck { id, .. } => format!("tag:{id}"),
        Step::CreateRecords { records, adopted } => {
            let mut keys: Vec<String> = Vec::new();
            if let Some(record) = adopted {
                if record.set_identifier.is_some() || record.name != config.record_name {
                    return Err(format!("{record:?} is no plain record at the name"));
                }
                keys.push(format!("delete={}", record.record_type.to_lowercase()));
            }
            for planned in records {
                keys.push(record_key(config, planned)?);
            }
            format!("records({})", keys.join(","))
        }
        Step::RewireRecords { records } => {
            let mut keys = Vec::new();
            let mut extends = Vec::new();
            for rewired in records {
                // A chain extended by a region: the old SECONDARY becomes the alias to the
                // new link, as `chain_records` writes it (`extend(secondary=>R)`).
                if let Some(link) = gate_chain(config)
                    .iter()
                    .find(|l| l.name == rewired.new.name)
                    && rewired
                        .new
                        .alias
                        .as_ref()
                        .is_some_and(|a| a.evaluate_target_health)
                {
                    if rewired.new != chain_records(config, link)[1] {
                        return Err(format!("{rewired:?} is not the chain's alias"));
                    }
                    extends.push(record_key(
                        config,
                        &PlannedRecord {
                            record: rewired.new.clone(),
                            health_check: None,
                        },
                    )?);
                    continue;
                }
                let region = regionflip_core::records::region_of_record(config, &rewired.old)
                    .ok_or_else(|| format!("{:?} points at no configured region", rewired.old))?;
                let expected = RecordSet {
                    health_check_id: region.health_check_id.clone(),
                    ..rewired.old.clone()
                };
                if rewired.new != expected || rewired.new == rewired.old {
                    return Err(format!(
                        "{rewired:?} is not the record on its endpoint check"
                    ));
                }
                let role = match rewired.old.failover {
                    Some(FailoverRole::Primary) => "primary",
                    Some(FailoverRole::Secondary) => "secondary",
                    None => return Err(format!("{:?} is no failover record", rewired.old)),
                };
                keys.push(format!("{role}={}", short(&region.name)));
            }
            match (keys.is_empty(), extends.is_empty()) {
                (false, true) => format!("rewire({})", keys.join(",")),
                (true, false) => format!("extend({})", extends.join(",")),
                _ => return Err(format!("a batch that rewires and extends: {records:?}")),
            }
        }
    })
}

fn record_key(config: &Config, planned: &PlannedRecord) -> Result<String, String> {
    let record = &planned.record;
    if record.name == config.state_record_name() {
        return match StateObservation::from_state_record(record.clone()) {
            StateObservation::Valid { state, .. } => {
                Ok(format!("state={}#{}", short(&state.active), state.sequence))
            }
            other => Err(format!("a state record that does not read back: {other:?}")),
        };
    }
    if record.latency_region.is_some() || record.weight.is_some() {
        let region = record
            .set_identifier
            .as_deref()
            .and_then(|id| id.strip_prefix(regionflip_core::records::SERVICE_SET_ID_PREFIX))
            .and_then(|r| config.region(r))
            .ok_or_else(|| format!("{record:?} names no configured region"))?;
        let mut wanted =
            regionflip_core::records::service_record_of(config, &config.records()[0], region)
                .ok_or("a latency or weighted record with failover routing")?;
        wanted.health_check_id = record.health_check_id.clone();
        if *record != wanted {
            return Err(format!("{record:?} is not the record init creates"));
        }
        let check = planned.health_check.as_ref().ok_or("no check planned")?;
        return Ok(format!(
            "svc={}[{}]",
            short(&region.name),
            child_key(config, &region.name, check)
        ));
    }
    let role = record
        .failover
        .ok_or_else(|| format!("{record:?} is no failover record"))?;
    // A record of the gate chain: `R:` names the link by its PRIMARY's region, and an
    // alias to a link is `>R`.
    let chain = gate_chain(config);
    if let Some(link) = chain.iter().find(|l| l.name == record.name)
        && (link.name != config.record_name
            || record
                .alias
                .as_ref()
                .is_some_and(|a| a.evaluate_target_health))
    {
        let index = usize::from(role == FailoverRole::Secondary);
        let mut wanted = chain_records(config, link)[index].clone();
        if planned.health_check.is_some() {
            wanted.health_check_id = record.health_check_id.clone();
        }
        if *record != wanted {
            return Err(format!("{record:?} is not the chain record init creates"));
        }
        let prefix = if link.name == config.record_name {
            String::new()
        } else {
            format!("{}:", short(&link.primary))
        };
        let role_word = if index == 0 { "primary" } else { "secondary" };
        let answers = match (
            regionflip_core::records::region_of_record(config, record),
            &record.alias,
        ) {
            (Some(region), _) => short(&region.name).to_string(),
            (None, Some(alias)) => {
                let next = chain
                    .iter()
                    .find(|l| l.name == alias.dns_name)
                    .ok_or_else(|| format!("{record:?} aliases no chain link"))?;
                format!(">{}", short(&next.primary))
            }
            (None, None) => return Err(format!("{record:?} answers nothing")),
        };
        return Ok(match &planned.health_check {
            Some(check) => format!(
                "{prefix}{role_word}={answers}[{}]",
                child_key(config, &link.primary, check)
            ),
            None => format!("{prefix}{role_word}={answers}"),
        });
    }
    let region = regionflip_core::records::region_of_record(config, record)
        .ok_or_else(|| format!("{record:?} points at no configured region"))?;
    let mut wanted = failover_record(config, region, role);
    if planned.health_check.is_some() {
        wanted.health_check_id = record.health_check_id.clone();
    }
    if *record != wanted {
        return Err(format!("{record:?} is not the record init creates"));
    }
    let role = match role {
        FailoverRole::Primary => "primary",
        FailoverRole::Secondary => "secondary",
    };
    Ok(match &planned.health_check {
        Some(check) => format!(
            "{role}={}[{}]",
            short(&region.name),
            child_key(config, &region.name, check)
        ),
        None => format!("{role}={}", short(&region.name)),
    })
}

/// The words of one line of `InitPlan::existing`.
fn existing_key(config: &Config, line: &str) -> Result<String, String> {
    let unknown = || format!("unrecognised existing line {line:?}");
    let sequence_and_active = |rest: &str| -> Result<String, String> {
        let (_, numbers) = rest.split_once(" (sequence ").ok_or_else(unknown)?;
        let (sequence, active) = numbers
            .trim_end_matches(')')
            .split_once(", active ")
            .ok_or_else(unknown)?;
        Ok(format!("{}#{sequence}", short(active)))
    };
    if let Some(rest) = line.strip_prefix("state record ") {
        return Ok(format!("state={}", sequence_and_active(rest)?));
    }
    if let Some(rest) = line.strip_prefix("state holder ") {
        return Ok(format!("hold={}", sequence_and_active(rest)?));
    }
    if let Some(rest) = line.strip_prefix("gate alarm ") {
        let (name, host) = rest.split_once(" in ").ok_or_else(unknown)?;
        let gated = config
            .regions
            .iter()
            .find(|r| config.gate_alarm_name(&r.name) == name)
            .ok_or_else(unknown)?;
        return Ok(format!("gate-alarm:{}@{}", short(&gated.name), short(host)));
    }
    for role in ["gate", "calculated"] {
        if let Some(rest) = line.strip_prefix(&format!("{role} check ")) {
            let (_, region) = rest.split_once(" of ").ok_or_else(unknown)?;
            return Ok(format!("{role}/{}", short(region)));
        }
    }
    let (record, region) = line.split_once(" → ").ok_or_else(unknown)?;
    if let Some((region, _)) = region.split_once(" (adopted:") {
        return Ok(format!("adopted={}", short(region)));
    }
    if record.ends_with(&format!(
        " {}",
        regionflip_core::records::service_set_identifier(region)
    )) {
        return Ok(format!("svc={}", short(region)));
    }
    // Chain links: `R:` before a link's records, `>R` for an alias to R's link.
    let link_of = |name: &str| {
        name.strip_prefix(CHAIN_LABEL_PREFIX)
            .and_then(|rest| rest.split_once('.'))
            .map(|(region, _)| short(region).to_string())
    };
    let prefix = link_of(record).map(|r| format!("{r}:")).unwrap_or_default();
    let region = match link_of(region) {
        Some(next) => format!(">{next}"),
        None => short(region).to_string(),
    };
    if record.ends_with(&format!(" {PRIMARY_SET_ID}")) {
        Ok(format!("{prefix}primary={region}"))
    } else if record.ends_with(&format!(" {SECONDARY_SET_ID}")) {
        Ok(format!("{prefix}secondary={region}"))
    } else {
        Err(unknown())
    }
}

/// The words of one line of `InitPlan::obsolete`: `obsolete:gate-alarm:R@H`,
/// `obsolete:gate/R`, `obsolete:calculated/R`. Each must carry the command that deletes
/// what it names.
fn obsolete_key(config: &Config, line: &str) -> Result<String, String> {
    let unknown = || format!("unrecognised obsolete line {line:?}");
    let (what, why) = line.split_once(": ").ok_or_else(unknown)?;
    let key = existing_key(config, what)?;
    let command = match key.split_once(':') {
        Some(("gate-alarm", _)) => "aws cloudwatch delete-alarms",
        _ => "aws route53 delete-health-check --health-check-id",
    };
    if !why.contains(command) {
        return Err(format!(
            "{line:?} does not say how to delete it ({command})"
        ));
    }
    Ok(format!("obsolete:{key}"))
}

// ---------------------------------------------------------------------------------------
// Carrying a plan out on a world, as AWS would.

/// The id of `check`: an existing one, or one an earlier step created.
fn id_of(
    check: &CheckRef,
    created: &BTreeMap<(String, CheckRole), String>,
) -> Result<String, String> {
    match check {
        CheckRef::Existing { id } => Ok(id.clone()),
        CheckRef::New { region, role } => created
            .get(&(region.clone(), *role))
            .cloned()
            .ok_or_else(|| format!("{check} is created by no earlier step")),
    }
}

/// The settings a planned check is created or updated with, once its children exist.
fn settings_of(
    check: &PlannedCheck,
    created: &BTreeMap<(String, CheckRole), String>,
) -> Result<CheckConfig, String> {
    Ok(match check {
        PlannedCheck::CloudwatchMetric {
            alarm_region,
            alarm_name,
        } => CheckConfig::CloudwatchMetric {
            alarm_region: alarm_region.clone(),
            alarm_name: alarm_name.clone(),
        },
        PlannedCheck::Calculated {
            children,
            health_threshold,
        } => CheckConfig::Calculated {
            children: children
                .iter()
                .map(|c| id_of(c, created))
                .collect::<Result<_, _>>()?,
            health_threshold: *health_threshold,
        },
    })
}

/// The world after `plan`, refusing what AWS refuses: a CREATE of a record that exists,
/// a reference to a check that does not exist, a second check with a caller reference.
fn carry_out(config: &Config, world: &World, plan: &InitPlan) -> Result<World, String> {
    let mut world = world.clone();
    let mut created: BTreeMap<(String, CheckRole), String> = BTreeMap::new();
    let set = |list: &mut Vec<(String, Option<String>)>, region: &str, text: &str| match list
        .iter_mut()
        .find(|(r, _)| r == region)
    {
        Some((_, slot)) => {
            *slot = Some(text.to_string());
            Ok(())
        }
        None => Err(format!("{region} is no configured region")),
    };
    for step in &plan.steps {
        match step {
            Step::PutStateAlarm { region, state, .. } => {
                set(&mut world.state_holders, region, state)?;
            }
            Step::PutGateAlarm {
                gated_region,
                alarm,
                ..
            } => set(&mut world.gate_alarms, gated_region, &alarm.description)?,
            Step::PublishGates { .. } => {}
            Step::CreateHealthCheck {
                region,
                role,
                check,
            } => {
                let settings = settings_of(check, &created)?;
                let reference = caller_reference(config, region, *role, &settings);
                if world
                    .health_checks
                    .iter()
                    .any(|c| c.caller_reference == reference)
                {
                    return Err(format!("a second check with caller reference {reference}"));
                }
                let id = format!("new-{}-{}", role.as_str(), short(region));
                world.health_checks.push(HealthCheckInfo {
                    id: id.clone(),
                    caller_reference: reference,
                    reported: reported_as_created(config, region, &settings, None),
                });
                world
                    .check_tags
                    .insert(id.clone(), tags(config, region, *role));
                created.insert((region.clone(), *role), id);
            }
            Step::UpdateHealthCheck {
                id, region, check, ..
            } => {
                // Route 53 copies the alarm as it is now: written earlier in the plan, or
                // already as init writes it.
                let settings = settings_of(check, &created)?;
                let found = world
                    .health_checks
                    .iter_mut()
                    .find(|c| c.id == *id)
                    .ok_or_else(|| format!("UpdateHealthCheck of {id}, which does not exist"))?;
                found.reported = reported_as_created(config, region, &settings, None);
            }
            Step::RewireRecords { records } => {
                for rewired in records {
                    let before = world.records.len();
                    world.records.retain(|r| *r != rewired.old);
                    if world.records.len() + 1 != before {
                        return Err(format!("DELETE of a record not as read: {:?}", rewired.old));
                    }
                    world.records.push(rewired.new.clone());
                }
            }
            Step::TagHealthCheck { id, tags } => {
                world
                    .check_tags
                    .entry(id.clone())
                    .or_default()
                    .extend(tags.clone());
            }
            Step::CreateRecords { records, adopted } => {
                // The DELETE leads the batch and must match the record exactly.
                if let Some(record) = adopted {
                    let before = world.records.len();
                    world.records.retain(|r| r != record);
                    if world.records.len() == before {
                        return Err(format!("DELETE of a record that is not there: {record:?}"));
                    }
                }
                for planned in records {
                    let mut record = planned.record.clone();
                    if let Some(check) = &planned.health_check {
                        record.health_check_id = Some(id_of(check, &created)?);
                    }
                    if world.records.iter().any(|r| {
                        r.name == record.name
                            && r.record_type == record.record_type
                            && r.set_identifier == record.set_identifier
                    }) {
                        return Err(format!("CREATE of a record that exists: {record:?}"));
                    }
                    world.records.push(record);
                }
            }
        }
    }
    Ok(world)
}
