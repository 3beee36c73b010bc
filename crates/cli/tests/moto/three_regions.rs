//! Three regions in `health-gate` mode, the built binary against moto: `init` lays out the
//! gate chain (ARCHITECTURE.md, "The gate chain"), one `reconcile` per alarm closes the
//! gates, and traffic goes down the chain — home, then the second choice, then the third —
//! with no Route 53 write after init.
//!
//! What real AWS does that this world keeps: moto never evaluates health checks nor the
//! chain, so where traffic goes is worked out by `records::chain_answer` (Route 53's
//! failover rules, pair by pair) from what the test reads back: each region's endpoint
//! health as published in `AWS/Route53 HealthCheckStatus` (moto never publishes it; the
//! test does) and each gate's value as the watcher published it in its host region.

use aws_sdk_cloudwatch::types::StateValue;
use aws_sdk_route53::types::HealthCheckType;
use regionflip_core::records::{CHAIN_LABEL_PREFIX, chain_answer};
use regionflip_core::{FailoverRole, RecordSet};

use crate::harness::regions::{Regions, check_type};

/// Preference order: home, the second choice, the third.
const REGIONS: [&str; 3] = ["us-east-1", "eu-west-1", "us-west-2"];

/// Where Route 53 would answer: each region's record is healthy while its endpoint is
/// (all three stay healthy here: the failures are gray, alarms only) and its gate is open
/// (the last region has none).
async fn answer(chain: &Regions) -> String {
    let mut open = Vec::new();
    for region in REGIONS {
        open.push((region, chain.gate(region).await.unwrap_or(true)));
    }
    chain_answer(&chain.parsed, |region| {
        open.iter().any(|(r, o)| *r == region && *o)
    })
    .0
}

#[tokio::test]
async fn three_regions_fail_over_down_the_gate_chain_one_reconcile_per_alarm() {
    let chain = Regions::new("chain-three", &REGIONS, "").await;
    chain.run(&["init"]).expect_code(0);

    // The layout: the pair at the name (home on its CALCULATED check, SECONDARY an alias
    // that evaluates the next link's health), and the link of the second choice (its
    // CALCULATED check; SECONDARY the third region on its endpoint check alone).
    let top = chain.records_at(&chain.parsed.record_name).await;
    let link_name = format!(
        "{CHAIN_LABEL_PREFIX}{}.{}",
        REGIONS[1], chain.parsed.record_name
    );
    let link = chain.records_at(&link_name).await;
    let role = |records: &[RecordSet], role| {
        records
            .iter()
            .find(|r| r.failover == Some(role))
            .cloned()
            .unwrap_or_else(|| panic!("no {role:?} in {records:#?}"))
    };
    let alias = role(&top, FailoverRole::Secondary)
        .alias
        .expect("the top SECONDARY is an alias");
    assert_eq!(alias.dns_name, link_name);
    assert!(
        alias.evaluate_target_health,
        "the alias takes the link's health"
    );
    assert!(
        role(&top, FailoverRole::Secondary)
            .health_check_id
            .is_none()
    );
    assert!(role(&top, FailoverRole::Primary).values[0].starts_with(REGIONS[0]));
    assert!(role(&link, FailoverRole::Primary).values[0].starts_with(REGIONS[1]));
    let last = role(&link, FailoverRole::Secondary);
    assert!(last.values[0].starts_with(REGIONS[2]));
    assert_eq!(
        last.health_check_id.as_deref(),
        chain.parsed.regions[2].health_check_id.as_deref(),
        "the last region's record carries its endpoint check alone"
    );
    for primary in [
        role(&top, FailoverRole::Primary),
        role(&link, FailoverRole::Primary),
    ] {
        let check = primary.health_check_id.clone().expect("a check");
        assert_eq!(
            check_type(&chain.zone.aws, &check).await,
            HealthCheckType::Calculated,
            "{} is gated",
            primary.name
        );
    }
    // A second init finds everything as it left it.
    let again = chain
        .run(&["init", "--dry-run", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(again["steps"].as_array().unwrap().len(), 0, "{again:#}");
    assert_eq!(answer(&chain).await, REGIONS[0]);

    // Home's alarm: one reconcile closes home's gate, keeps the second's open.
    chain.set_alarm(REGIONS[0], StateValue::Alarm).await;
    chain.run(&["reconcile"]).expect_code(0);
    assert_eq!(chain.state().await.active, REGIONS[1]);
    assert_eq!(
        chain.gate(REGIONS[0]).await,
        Some(false),
        "home's gate closed"
    );
    assert_eq!(
        chain.gate(REGIONS[1]).await,
        Some(true),
        "the second's gate open"
    );
    assert_eq!(answer(&chain).await, REGIONS[1]);
    let status = chain.run(&["status", "--json"]).expect_code(0).json();
    assert_eq!(status["active"], REGIONS[1], "{status:#}");
    // What Route 53 is doing now lists the link's records beside the name's.
    let text = chain.run(&["status"]).expect_code(0).stdout;
    assert!(
        text.contains(&format!("{link_name} PRIMARY")),
        "status shows the chain link:\n{text}"
    );
    let records = chain.records_at(&chain.parsed.record_name).await;
    assert_eq!(
        records, top,
        "health-gate mode never writes a record after init"
    );

    // The second choice's alarm too: traffic goes to the third.
    chain.set_alarm(REGIONS[1], StateValue::Alarm).await;
    chain.run(&["reconcile"]).expect_code(0);
    assert_eq!(chain.state().await.active, REGIONS[2]);
    assert_eq!(chain.gate(REGIONS[0]).await, Some(false));
    assert_eq!(
        chain.gate(REGIONS[1]).await,
        Some(false),
        "the second's gate closed"
    );
    assert_eq!(answer(&chain).await, REGIONS[2]);
    assert_eq!(chain.records_at(&link_name).await, link, "nor under a link");
}
