//! End-to-end passes against a real `moto_server` through the production SDK adapters,
//! in both modes: a primary alarm fails over (checked through the SDK: records, or gate
//! metric values and state copies), recovery fails back only after the stable window (an
//! injected clock, no sleeps), metrics read back with GetMetricStatistics, and a steady
//! tick makes no Route 53 write.
//!
//! moto cannot show compare-and-swap, concurrent watchers or unhealthy checkers; those
//! are in `reconcile.rs` against the in-memory model.

use aws_sdk_cloudwatch::types::{Dimension, StateValue, Statistic};
use aws_smithy_types::DateTime;
use regionflip_core::records::{failover_record, region_of_record, state_record};
use regionflip_core::{Change, ChangeAction, Config, EngineState, FailoverRole, Mode};
use regionflip_local_aws::hooks::Counting;
use regionflip_local_aws::journal::MemoryJournal;
use regionflip_local_aws::memory::MemoryRoute53;
use regionflip_local_aws::moto::MotoServer;
use regionflip_local_aws::seed::{
    create_alarm, create_zone, now, publish_health_status, set_alarm_state,
};
use regionflip_watcher::aws::{AwsClients, CloudWatchAdapter, SdkBudget};
use regionflip_watcher::ports::{Route53Api, StateAlarm};
use regionflip_watcher::{Request, Watcher, WatcherSettings};

const EAST: &str = "us-east-1";
const WEST: &str = "us-west-2";
const EAST_ALARM: &str = "regionflip-demo-api-errors-us-east-1";
const EAST_GUARD: &str = "regionflip-demo-replication-lag-us-east-1";
const WEST_ALARM: &str = "regionflip-demo-api-errors-us-west-2";

struct World {
    _moto: MotoServer,
    clients: AwsClients,
    config: Config,
}

/// moto with the sample configuration's zone, alarms (all OK) and ten minutes of healthy
/// `HealthCheckStatus` for both endpoint checks, plus six minutes into the future for the
/// injected clock to walk through.
async fn world(mode: Mode) -> World {
    let moto = MotoServer::start_or_panic();
    let regions = [EAST.to_string(), WEST.to_string()];
    let clients = AwsClients::for_endpoint(&moto.endpoint(), &regions, SdkBudget::default()).await;
    let mut config = Config::from_toml_str(include_str!("../../../events/watcher-config.toml"))
        .expect("sample configuration");
    config.mode = mode;
    config.hosted_zone_id = create_zone(&clients, "regionflip-demo.example").await;
    create_alarm(&clients, EAST, EAST_ALARM).await;
    create_alarm(&clients, EAST, EAST_GUARD).await;
    create_alarm(&clients, WEST, WEST_ALARM).await;
    let start = now() / 60 * 60;
    for region in &config.regions {
        let check = region
            .health_check_id
            .as_deref()
            .expect("sample has checks");
        let minutes: Vec<(u64, f64)> = (0..20).map(|m| (start - 600 + 60 * m, 1.0)).collect();
        publish_health_status(&clients, check, &minutes).await;
    }
    World {
        _moto: moto,
        clients,
        config,
    }
}

impl World {
    /// What `regionflip init` leaves: traffic on home, state sequence 1.
    async fn initialise(&self) {
        let state = EngineState {
            sequence: 1,
            ..EngineState::initial(EAST)
        };
        match self.config.mode {
            Mode::Records => {
                let changes: Vec<Change> = [
                    state_record(&self.config, &state),
                    failover_record(&self.config, &self.config.regions[0], FailoverRole::Primary),
                    failover_record(
                        &self.config,
                        &self.config.regions[1],
                        FailoverRole::Secondary,
                    ),
                ]
                .into_iter()
                .map(|record| Change {
                    action: ChangeAction::Create,
                    record,
                })
                .collect();
                self.clients
                    .route53
                    .change_records(&self.config.hosted_zone_id, &changes, "init")
                    .await
                    .expect("initial records");
            }
            Mode::HealthGate => {
                use regionflip_watcher::ports::CloudWatchApi;
                for region in [EAST, WEST] {
                    let holder = StateAlarm {
                        name: self.config.state_alarm_name(),
                        namespace: self.config.metrics_namespace.clone(),
                        description: state.encode(),
                    };
                    self.clients
                        .cloudwatch
                        .put_state_alarm(region, &holder)
                        .await
                        .expect("state holder");
                }
            }
        }
    }

    fn watcher<R: Route53Api>(&self, route53: R) -> Watcher<R, CloudWatchAdapter, MemoryJournal> {
        Watcher::new(
            self.config.clone(),
            route53,
            self.clients.cloudwatch.clone(),
            MemoryJournal::default(),
            WatcherSettings::for_region(EAST),
        )
    }

    async fn primary_region(&self) -> String {
        let page = self
            .clients
            .route53
            .list_records(&self.config.hosted_zone_id, &self.config.record_name, 10)
            .await
            .expect("list");
        let primary = page
            .records
            .iter()
            .find(|r| {
                r.failover == Some(FailoverRole::Primary) && r.name == self.config.record_name
            })
            .expect("PRIMARY");
        region_of_record(&self.config, primary)
            .expect("configured")
            .name
            .clone()
    }

    /// Sum or minimum of a regionflip metric in `region` over the last hour and the next
    /// ten minutes (the injected clock runs ahead of the wall clock).
    async fn statistic(
        &self,
        region: &str,
        metric: &str,
        extra: Option<(&str, &str)>,
        stat: Statistic,
    ) -> Option<f64> {
        let mut dimensions = vec![
            Dimension::builder()
                .name("Record")
                .value(self.config.record_name.trim_end_matches('.'))
                .build(),
        ];
        if let Some((name, value)) = extra {
            dimensions.push(Dimension::builder().name(name).value(value).build());
        }
        let wall = now() as i64;
        let out = self
            .clients
            .cloudwatch
            .client(region)
            .expect("client")
            .get_metric_statistics()
            .namespace(&self.config.metrics_namespace)
            .metric_name(metric)
            .set_dimensions(Some(dimensions))
            .start_time(DateTime::from_secs(wall - 3600))
            .end_time(DateTime::from_secs(wall + 900))
            .period(3600 + 900)
            .statistics(stat.clone())
            .send()
            .await
            .expect("GetMetricStatistics");
        out.datapoints().iter().find_map(|d| match stat {
            Statistic::Sum => d.sum(),
            Statistic::Minimum => d.minimum(),
            _ => d.maximum(),
        })
    }
}

#[tokio::test]
async fn records_mode_fails_over_and_back_through_moto() {
    let world = world(Mode::Records).await;
    world.initialise().await;
    // Counted, so "no Route 53 write" is measured, not assumed.
    let route53 = Counting::counting(world.clients.route53.clone());
    let watcher = world.watcher(route53);
    let t0 = now();

    // A steady tick reads once and writes nothing.
    let steady = watcher
        .reconcile(&Request::Automatic, t0, false)
        .await
        .expect("pass");
    assert_eq!(
        steady.active_after.as_deref(),
        Some(EAST),
        "{:?}",
        steady.reasons
    );
    assert_eq!(watcher.route53().calls().change_records, 0);
    assert_eq!(
        watcher.route53().calls().list_records,
        1,
        "pair and state in one page"
    );

    // The primary's alarm fires: one atomic batch moves PRIMARY to us-west-2.
    set_alarm_state(&world.clients, EAST, EAST_ALARM, StateValue::Alarm).await;
    let failover = watcher
        .reconcile(&Request::Automatic, t0 + 1, false)
        .await
        .expect("pass");
    assert!(failover.change_id.is_some(), "{:?}", failover.reasons);
    assert_eq!(world.primary_region().await, WEST);
    assert_eq!(watcher.route53().calls().change_records, 1);

    // Recovery: moto stamps the alarm's OK with the wall clock; the injected clock then
    // walks through the 300 s stable window without waiting for it.
    set_alarm_state(&world.clients, EAST, EAST_ALARM, StateValue::Ok).await;
    let recovered_at = now();
    let early = watcher
        .reconcile(&Request::Automatic, recovered_at + 60, false)
        .await
        .expect("pass");
    assert_eq!(early.active_after.as_deref(), Some(WEST));
    let eligible = early
        .decision
        .eligible_at()
        .expect("a pending failback says when");
    assert!(
        eligible >= recovered_at + 300,
        "eligible at {eligible}, recovered at {recovered_at}"
    );

    let back = watcher
        .reconcile(&Request::Automatic, eligible, false)
        .await
        .expect("pass");
    assert_eq!(
        back.active_after.as_deref(),
        Some(EAST),
        "{:?}",
        back.reasons
    );
    assert_eq!(world.primary_region().await, EAST);

    let kinds: Vec<&str> = watcher
        .journal()
        .records()
        .iter()
        .map(|r| r.event.kind.as_str())
        .collect();
    assert_eq!(kinds, ["failover", "failback"]);
    assert_eq!(
        world
            .statistic(EAST, "Failover", None, Statistic::Sum)
            .await,
        Some(1.0)
    );
    assert_eq!(
        world
            .statistic(EAST, "Failback", None, Statistic::Sum)
            .await,
        Some(1.0)
    );
}

#[tokio::test]
async fn health_gate_mode_fails_over_by_gates_alone() {
    let world = world(Mode::HealthGate).await;
    world.initialise().await;
    // Route 53 is the in-memory model here only to count: gate mode must not call it.
    let route53 = Counting::counting(MemoryRoute53::default());
    let watcher = world.watcher(route53);
    let t0 = now();

    watcher
        .reconcile(&Request::Automatic, t0, false)
        .await
        .expect("steady pass");
    set_alarm_state(&world.clients, EAST, EAST_ALARM, StateValue::Alarm).await;
    let report = watcher
        .reconcile(&Request::Automatic, t0 + 1, false)
        .await
        .expect("pass");
    assert_eq!(
        report.active_after.as_deref(),
        Some(WEST),
        "{:?}",
        report.reasons
    );

    // us-east-1's gate lives in us-west-2 and was closed; us-west-2, the standby, has no
    // gate (its record carries its endpoint check alone), so nothing is published to
    // us-east-1.
    let east_gate = world
        .statistic(WEST, "GateOpen", Some(("Region", EAST)), Statistic::Minimum)
        .await;
    let west_gate = world
        .statistic(EAST, "GateOpen", Some(("Region", WEST)), Statistic::Minimum)
        .await;
    assert_eq!((east_gate, west_gate), (Some(0.0), None));

    // Both state copies say where traffic is.
    for region in [EAST, WEST] {
        let alarms = world
            .clients
            .cloudwatch
            .client(region)
            .expect("client")
            .describe_alarms()
            .alarm_names(world.config.state_alarm_name())
            .send()
            .await
            .expect("DescribeAlarms");
        let description = alarms.metric_alarms()[0]
            .alarm_description()
            .unwrap_or_default();
        assert!(
            description.contains("active=us-west-2 "),
            "{region}: {description}"
        );
    }
    assert_eq!(watcher.route53().calls().route53(), 0);
    assert_eq!(
        world
            .statistic(EAST, "Failover", None, Statistic::Sum)
            .await,
        Some(1.0)
    );
    assert_eq!(
        world
            .statistic(
                EAST,
                "ActiveRegion",
                Some(("Region", WEST)),
                Statistic::Maximum
            )
            .await,
        Some(1.0)
    );
}
