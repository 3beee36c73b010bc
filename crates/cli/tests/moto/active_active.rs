//! Active-active routing (`routing = "latency"`, health-gate mode, two regions), the built
//! binary against moto: `init` creates one latency record per region, each on its
//! region's CALCULATED check (endpoint and gate); home's alarm → one `reconcile` closes
//! home's gate and keeps the other's open; the other region's alarm too → its gate stays
//! open (last in service) and the reason says so. No Route 53 write after init.
//!
//! What real AWS does that this world keeps: in active-active every region serves
//! traffic, so its request alarms have data — the test sets both to OK before anything
//! else, as CloudWatch would have them (moto creates them in INSUFFICIENT_DATA, which in a
//! region that serves is unknown, never a reason to evacuate onto it). Route 53's
//! `HealthCheckStatus` is published by the test (moto never publishes it), and moto never
//! evaluates health checks, so where Route 53 would answer is worked out with
//! `records::service_answer` (healthy records answer; none healthy, all answer) from the
//! gates as the watchers published them in their host regions.

use aws_sdk_cloudwatch::types::StateValue;
use aws_sdk_route53::types::HealthCheckType;
use regionflip_core::records::{service_answer, service_set_identifier};

use crate::harness::regions::{Regions, check_tree, check_type, gate_alarms_in};

/// Preference order: home, then the other.
const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];

/// Every region serves traffic, so its request alarm has data and is OK (moto creates it
/// in INSUFFICIENT_DATA).
async fn active_active(name: &str) -> Regions {
    let aa = Regions::new(name, &REGIONS, "routing = \"latency\"\n").await;
    for region in REGIONS {
        aa.set_alarm(region, StateValue::Ok).await;
    }
    aa
}

/// Every region has a gate in active-active routing: whether `region`'s is open.
async fn gate(aa: &Regions, region: &str) -> bool {
    aa.gate(region).await.expect("every region is gated")
}

/// The regions Route 53 would answer: endpoints stay healthy (the failures are gray,
/// alarms only), so a region's record is healthy while its gate is open.
async fn answers(aa: &Regions) -> (Vec<String>, bool) {
    let mut open = Vec::new();
    for region in REGIONS {
        open.push((region, gate(aa, region).await));
    }
    service_answer(&aa.parsed, |region| {
        open.iter().any(|(r, o)| *r == region && *o)
    })
}

#[tokio::test]
async fn latency_routing_evacuates_a_failing_region_and_keeps_the_last_one_in_service() {
    let aa = active_active("active-active").await;
    aa.run(&["init"]).expect_code(0);

    // One latency record per region, its Region set, on a CALCULATED check.
    let records = aa.records_at(&aa.parsed.record_name).await;
    assert_eq!(records.len(), 2, "{records:#?}");
    for region in REGIONS {
        let record = records
            .iter()
            .find(|r| r.set_identifier.as_deref() == Some(service_set_identifier(region).as_str()))
            .unwrap_or_else(|| panic!("no record of {region} in {records:#?}"));
        assert_eq!(
            record.latency_region.as_deref(),
            Some(region),
            "{record:#?}"
        );
        assert!(record.failover.is_none() && record.weight.is_none());
        assert!(record.values[0].starts_with(region));
        let check = record.health_check_id.clone().expect("a health check");
        assert_eq!(
            check_type(&aa.zone.aws, &check).await,
            HealthCheckType::Calculated,
            "{region}'s record is on its endpoint-and-gate check"
        );
    }
    let again = aa
        .run(&["init", "--dry-run", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(again["steps"].as_array().unwrap().len(), 0, "{again:#}");
    // A first pass publishes the gates as the state says: both in service.
    aa.run(&["reconcile"]).expect_code(0);
    assert_eq!(
        answers(&aa).await,
        (REGIONS.map(String::from).to_vec(), false)
    );

    // Home's alarm: one reconcile closes home's gate and keeps the other's open.
    aa.set_alarm(REGIONS[0], StateValue::Alarm).await;
    // The planned state holds home out of service and its change in the hour: both
    // times print in RFC 3339, as every time in a `--json` document does.
    let planned = aa
        .run(&["--json", "reconcile", "--dry-run"])
        .expect_code(0)
        .json();
    let new_state = planned.to_string();
    assert!(
        new_state.contains("out_of_service") && new_state.contains("region_flips"),
        "{planned:#}"
    );
    let found = crate::harness::times_not_in_rfc3339(&planned);
    assert!(found.is_empty(), "{found:?} in {planned:#}");
    aa.run(&["reconcile"]).expect_code(0);
    assert!(!gate(&aa, REGIONS[0]).await, "home's gate closed");
    assert!(gate(&aa, REGIONS[1]).await, "the other's gate open");
    assert_eq!(answers(&aa).await, (vec![REGIONS[1].to_string()], false));
    let state = aa.state().await;
    assert!(!state.in_service(REGIONS[0]) && state.in_service(REGIONS[1]));
    let status = aa.run(&["status", "--json"]).expect_code(0).json();
    assert_eq!(status["routing"], "latency", "{status:#}");
    assert_eq!(status["regions"][0]["in_service"], false, "{status:#}");
    assert_eq!(status["regions"][1]["in_service"], true, "{status:#}");
    let text = aa.run(&["status"]).expect_code(0).stdout;
    assert!(
        text.contains(&format!(
            "in service {}; out of service {}",
            REGIONS[1], REGIONS[0]
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("latency {}", REGIONS[0])),
        "Route 53 now lists the records:\n{text}"
    );

    // The other region's alarm too: its gate stays open, and the reason says why.
    aa.set_alarm(REGIONS[1], StateValue::Alarm).await;
    let pass = aa.run(&["reconcile", "--json"]).expect_code(0).json();
    assert!(
        gate(&aa, REGIONS[1]).await,
        "the last region in service keeps its gate open"
    );
    assert!(!gate(&aa, REGIONS[0]).await);
    let reasons = pass["reasons"].to_string();
    assert!(
        reasons.contains("stays in service although unhealthy")
            && reasons.contains("last in service"),
        "{reasons}"
    );
    assert_eq!(
        aa.records_at(&aa.parsed.record_name).await,
        records,
        "health-gate mode never writes a record after init"
    );
    // An operator cannot take the last one out either, not even forced.
    let refused = aa.run(&["evacuate", REGIONS[1], "--force"]).expect_code(3);
    assert!(
        refused.stderr.contains("min_in_service"),
        "{}",
        refused.stderr
    );
}

/// Where the gates live with active/active routing (issue 14, finding 2): each region's
/// record carries its CALCULATED check over its endpoint check and its gate, and that
/// gate's alarm is in the region itself. So with home's region wholly gone (its
/// CloudWatch included) nothing the other region's serving needs lives there — Route 53's
/// reading of a check whose alarm region cannot be reached is not documented, and with
/// every record of the set unhealthy Route 53 would answer them all, the dead one too.
/// (moto's `GetHealthCheck` reports no `AlarmIdentifier`, so where each gate alarm lives
/// is read from each region's CloudWatch.)
#[tokio::test]
async fn no_region_s_serving_depends_on_another_region_s_cloudwatch() {
    let aa = active_active("aa-placement").await;
    aa.run(&["init"]).expect_code(0);
    for record in aa.records_at(&aa.parsed.record_name).await {
        let region = record.latency_region.clone().expect("a latency record");
        let check = record.health_check_id.clone().expect("a health check");
        let (types, _) = check_tree(&aa.zone.aws, &check).await;
        assert_eq!(
            types,
            ["CALCULATED", "CLOUDWATCH_METRIC", "HTTPS_STR_MATCH"].map(String::from),
            "{region}'s record: its CALCULATED check over its endpoint and its gate"
        );
    }
    for host in REGIONS {
        assert_eq!(
            gate_alarms_in(&aa.zone.aws, host, &aa.zone.record).await,
            [aa.parsed.gate_alarm_name(host)],
            "{host} hosts its own gate and no other region's"
        );
    }
}
