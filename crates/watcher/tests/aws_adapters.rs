//! Wire-level tests of the AWS adapters.
//!
//! Happy paths run against a real `moto_server` (one per test, see [`support`]), so
//! requests and responses go through the SDK's serializers and moto's parsers exactly as
//! they do in the drill. Error classification for answers moto never gives (throttling,
//! Route 53's own `InvalidChangeBatch`) runs against canned HTTP responses with
//! aws-smithy-mocks, with no network; so do composite alarms, which moto does not
//! implement (no `PutCompositeAlarm`): they are replays of real `DescribeAlarms` answers.
//!
//! moto's Route 53 compare-and-swap is only partly faithful (see the field facts), so
//! these tests check what moto does model; CAS semantics are tested against the
//! in-memory model.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_cloudwatch::Client as CloudWatchClient;
use aws_sdk_cloudwatch::operation::put_metric_data::PutMetricDataOutput;
use aws_sdk_cloudwatch::types::{AlarmType, ComparisonOperator, Dimension, StateValue, Statistic};
use aws_sdk_route53::Client as Route53Client;
use aws_sdk_route53::config::{BehaviorVersion, Credentials, Region};
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::DateTime;
use aws_smithy_types::body::SdkBody;
use regionflip_core::records::{
    AliasTarget, PRIMARY_SET_ID, SECONDARY_SET_ID, STATE_RECORD_TTL, quote_txt,
};
use regionflip_core::resources::STATE_METRIC;
use regionflip_core::{Change, ChangeAction, FailoverRole, RecordSet};
use regionflip_local_aws::moto::MotoServer;
use regionflip_local_aws::seed::OTHER_REGION;
use regionflip_watcher::aws::{CloudWatchAdapter, Route53Adapter, SdkBudget};
use regionflip_watcher::ports::{
    AlarmState, AwsError, ChangeError, CloudWatchApi, HealthSample, MetricDatum, MetricUnit,
    Route53Api, StateAlarm,
};

const RECORD: &str = "api.example.com.";
const STATE_RECORD: &str = "_regionflip.api.example.com.";

fn failover_cname(role: FailoverRole, target: &str) -> RecordSet {
    RecordSet {
        name: RECORD.into(),
        record_type: "CNAME".into(),
        set_identifier: Some(
            match role {
                FailoverRole::Primary => PRIMARY_SET_ID,
                FailoverRole::Secondary => SECONDARY_SET_ID,
            }
            .into(),
        ),
        failover: Some(role),
        ttl: Some(60),
        values: vec![target.into()],
        alias: None,
        health_check_id: Some(format!("{target}-check")),
        latency_region: None,
        weight: None,
    }
}

fn state_record(seq: u32) -> RecordSet {
    RecordSet {
        name: STATE_RECORD.into(),
        record_type: "TXT".into(),
        set_identifier: None,
        failover: None,
        ttl: Some(STATE_RECORD_TTL),
        values: vec![quote_txt(&[format!(
            "regionflip/v1 seq={seq} active=us-east-1"
        )])],
        alias: None,
        health_check_id: None,
        latency_region: None,
        weight: None,
    }
}

fn plain_cname(name: &str) -> RecordSet {
    RecordSet {
        name: name.into(),
        record_type: "CNAME".into(),
        set_identifier: None,
        failover: None,
        ttl: Some(300),
        values: vec!["elsewhere.example.net".into()],
        alias: None,
        health_check_id: None,
        latency_region: None,
        weight: None,
    }
}

fn changes(action: ChangeAction, records: &[RecordSet]) -> Vec<Change> {
    records
        .iter()
        .map(|record| Change {
            action,
            record: record.clone(),
        })
        .collect()
}

fn the_pair_and_state(seq: u32) -> Vec<RecordSet> {
    vec![
        failover_cname(FailoverRole::Primary, "api.us-east-1.example.com"),
        failover_cname(FailoverRole::Secondary, "api.eu-west-1.example.com"),
        state_record(seq),
    ]
}

// ---------------------------------------------------------------- Route 53 on moto

#[tokio::test]
async fn failover_pair_and_state_record_round_trip_through_route53() {
    let moto = MotoServer::start_or_panic();
    let aws = regionflip_local_aws::seed::clients(&moto).await;
    let zone = regionflip_local_aws::seed::create_zone(&aws, "example.com.").await;
    let planned = the_pair_and_state(1);

    let change_id = aws
        .route53
        .change_records(
            &zone,
            &changes(ChangeAction::Create, &planned),
            "regionflip test",
        )
        .await
        .expect("the batch is applied");
    assert!(
        !change_id.is_empty() && !change_id.starts_with("/change/"),
        "{change_id}"
    );
    assert!(
        aws.route53
            .change_in_sync(&change_id)
            .await
            .expect("GetChange")
    );

    let page = aws
        .route53
        .list_records(&zone, RECORD, 10)
        .await
        .expect("ListResourceRecordSets");
    assert_eq!(page.records, planned);
    assert!(!page.truncated);
}

#[tokio::test]
async fn alias_records_round_trip_and_a_short_page_is_truncated() {
    let moto = MotoServer::start_or_panic();
    let aws = regionflip_local_aws::seed::clients(&moto).await;
    let zone = regionflip_local_aws::seed::create_zone(&aws, "example.com.").await;
    let alias = |role, set_id: &str, dns_name: &str| RecordSet {
        name: "alias.example.com.".into(),
        record_type: "A".into(),
        set_identifier: Some(set_id.into()),
        failover: Some(role),
        ttl: None,
        values: Vec::new(),
        alias: Some(AliasTarget {
            hosted_zone_id: "Z2FDTNDATAQYW2".into(),
            dns_name: dns_name.into(),
            evaluate_target_health: false,
        }),
        health_check_id: Some(format!("{set_id}-check")),
        latency_region: None,
        weight: None,
    };
    let planned = vec![
        alias(
            FailoverRole::Primary,
            "alias-primary",
            "primary.cloudfront.net.",
        ),
        alias(
            FailoverRole::Secondary,
            "alias-secondary",
            "secondary.cloudfront.net.",
        ),
    ];
    let mut records = planned.clone();
    records.push(plain_cname("www.example.com."));
    aws.route53
        .change_records(&zone, &changes(ChangeAction::Create, &records), "")
        .await
        .expect("the batch is applied");

    let page = aws
        .route53
        .list_records(&zone, "alias.example.com.", 2)
        .await
        .expect("ListResourceRecordSets");
    assert_eq!(page.records, planned);
    assert!(page.truncated, "www.example.com. follows");
}

/// Can one `ListResourceRecordSets` starting at the record name read both the failover
/// pair and its `_regionflip.` state record? In moto, yes: moto sorts by the name with
/// its labels reversed, compared as one string, so `com.example.api` is followed by
/// `com.example.api._regionflip`, then the record's other subdomains. But a sibling whose
/// name extends the record's last label with a character that sorts before `.` (`-`, as
/// in `api-v2`) lands between the pair and the state record, so the reader must find the
/// state record in the page rather than assume its position.
#[tokio::test]
async fn one_list_call_reads_the_pair_then_its_state_record() {
    let moto = MotoServer::start_or_panic();
    let aws = regionflip_local_aws::seed::clients(&moto).await;
    let zone = regionflip_local_aws::seed::create_zone(&aws, "example.com.").await;
    let neighbours = [
        plain_cname("a.example.com."),
        plain_cname("api-v2.example.com."),
        plain_cname("v2.api.example.com."),
        plain_cname("www.example.com."),
    ];
    let mut records = neighbours.to_vec();
    records.extend(the_pair_and_state(1));
    aws.route53
        .change_records(&zone, &changes(ChangeAction::Create, &records), "")
        .await
        .expect("the batch is applied");

    let page = aws
        .route53
        .list_records(&zone, RECORD, 10)
        .await
        .expect("ListResourceRecordSets");
    let order = page
        .records
        .iter()
        .map(|record| format!("{} {}", record.name, record.record_type))
        .collect::<Vec<_>>();
    assert_eq!(
        order,
        [
            "api.example.com. CNAME",
            "api.example.com. CNAME",
            "api-v2.example.com. CNAME",
            "_regionflip.api.example.com. TXT",
            "v2.api.example.com. CNAME",
            "www.example.com. CNAME",
        ],
    );
    assert!(!page.truncated);
}

#[tokio::test]
async fn deleting_a_state_value_that_is_not_there_is_a_conflict() {
    let moto = MotoServer::start_or_panic();
    let aws = regionflip_local_aws::seed::clients(&moto).await;
    let zone = regionflip_local_aws::seed::create_zone(&aws, "example.com.").await;
    aws.route53
        .change_records(
            &zone,
            &changes(ChangeAction::Create, &[state_record(1)]),
            "",
        )
        .await
        .expect("the state record is created");

    // A watcher that read seq=0 (never written) tries to replace it.
    let stale_swap = [
        Change {
            action: ChangeAction::Delete,
            record: state_record(0),
        },
        Change {
            action: ChangeAction::Create,
            record: state_record(2),
        },
    ];
    let refused = aws.route53.change_records(&zone, &stale_swap, "").await;
    assert!(
        matches!(refused, Err(ChangeError::Conflict(_))),
        "{refused:?}"
    );
    let page = aws
        .route53
        .list_records(&zone, STATE_RECORD, 1)
        .await
        .expect("ListResourceRecordSets");
    assert_eq!(page.records, [state_record(1)], "the batch was not applied");

    // The swap from what is really there goes through.
    let fresh_swap = [
        Change {
            action: ChangeAction::Delete,
            record: state_record(1),
        },
        Change {
            action: ChangeAction::Create,
            record: state_record(2),
        },
    ];
    aws.route53
        .change_records(&zone, &fresh_swap, "")
        .await
        .expect("the swap is applied");
    let page = aws
        .route53
        .list_records(&zone, STATE_RECORD, 1)
        .await
        .expect("ListResourceRecordSets");
    assert_eq!(page.records, [state_record(2)]);
}

// -------------------------------------------------------------- CloudWatch on moto

#[tokio::test]
async fn alarm_states_are_read_from_their_region() {
    let moto = MotoServer::start_or_panic();
    let aws = regionflip_local_aws::seed::clients(&moto).await;
    regionflip_local_aws::seed::create_alarm(&aws, OTHER_REGION, "gate-a").await;
    regionflip_local_aws::seed::create_alarm(&aws, OTHER_REGION, "gate-b").await;
    let before = regionflip_local_aws::seed::now();
    regionflip_local_aws::seed::set_alarm_state(&aws, OTHER_REGION, "gate-a", StateValue::Alarm)
        .await;
    let after = regionflip_local_aws::seed::now();

    let names = ["gate-a", "gate-b", "never-created"].map(String::from);
    let mut readings = aws
        .cloudwatch
        .describe_alarms(OTHER_REGION, &names)
        .await
        .expect("DescribeAlarms");
    readings.sort_by(|a, b| a.name.cmp(&b.name));
    let summary = readings
        .iter()
        .map(|reading| (reading.name.as_str(), reading.state))
        .collect::<Vec<_>>();
    // moto starts new alarms in OK (real CloudWatch: INSUFFICIENT_DATA); the missing
    // name is simply absent.
    assert_eq!(
        summary,
        [("gate-a", AlarmState::Alarm), ("gate-b", AlarmState::Ok)]
    );
    // moto reports the state change only as StateUpdatedTimestamp, in whole seconds.
    let since = readings[0].since.expect("a state time");
    assert!(
        (before.saturating_sub(1)..=after + 1).contains(&since),
        "{before} <= {since} <= {after}"
    );

    let elsewhere = aws
        .cloudwatch
        .describe_alarms("us-east-1", &names)
        .await
        .expect("DescribeAlarms");
    assert!(elsewhere.is_empty(), "alarms are regional: {elsewhere:?}");
}

#[tokio::test]
async fn published_metrics_are_readable_with_get_metric_statistics() {
    let moto = MotoServer::start_or_panic();
    let aws = regionflip_local_aws::seed::clients(&moto).await;
    let minute = regionflip_local_aws::seed::minute_start(2);
    let dimensions = vec![
        ("Record".to_owned(), "api-example-com".to_owned()),
        ("Region".to_owned(), "us-east-1".to_owned()),
    ];
    let gate = |value: f64, second: u64| MetricDatum {
        name: "GateOpen".into(),
        dimensions: dimensions.clone(),
        value,
        unit: MetricUnit::None,
        timestamp: minute + second,
    };
    aws.cloudwatch
        .put_metric_data(
            OTHER_REGION,
            "regionflip/test",
            &[gate(1.0, 5), gate(0.0, 25), gate(1.0, 45)],
        )
        .await
        .expect("PutMetricData");

    let statistics = aws
        .cloudwatch
        .client(OTHER_REGION)
        .expect("a client")
        .get_metric_statistics()
        .namespace("regionflip/test")
        .metric_name("GateOpen")
        .set_dimensions(Some(
            dimensions
                .iter()
                .map(|(name, value)| Dimension::builder().name(name).value(value).build())
                .collect(),
        ))
        .start_time(DateTime::from_secs(to_i64(minute)))
        .end_time(DateTime::from_secs(to_i64(minute + 60)))
        .period(60)
        .statistics(Statistic::Minimum)
        .statistics(Statistic::SampleCount)
        .send()
        .await
        .expect("GetMetricStatistics");
    let datapoints = statistics.datapoints();
    assert_eq!(datapoints.len(), 1, "{datapoints:?}");
    assert_eq!(datapoints[0].minimum(), Some(0.0));
    assert_eq!(datapoints[0].sample_count(), Some(3.0));
}

#[tokio::test]
async fn health_check_status_reads_route53_metrics_in_us_east_1() {
    let moto = MotoServer::start_or_panic();
    let aws = regionflip_local_aws::seed::clients(&moto).await;
    let start = regionflip_local_aws::seed::minute_start(5);
    // Check "a": healthy in the first minute; in the second, one checker of two says
    // unhealthy, so the minute's Minimum is 0.
    regionflip_local_aws::seed::publish_health_status(
        &aws,
        "0a000000-check-a",
        &[(start + 10, 1.0), (start + 70, 1.0), (start + 75, 0.0)],
    )
    .await;
    regionflip_local_aws::seed::publish_health_status(
        &aws,
        "0b000000-check-b",
        &[(start + 20, 0.0)],
    )
    .await;

    let checks = ["0a000000-check-a", "0b000000-check-b", "0c000000-no-data"].map(String::from);
    let statuses = aws
        .cloudwatch
        .health_check_status(&checks, start, start + 180)
        .await
        .expect("GetMetricData");
    let expected = BTreeMap::from([
        (
            "0a000000-check-a".to_owned(),
            vec![
                HealthSample {
                    at: start,
                    value: 1.0,
                },
                HealthSample {
                    at: start + 60,
                    value: 0.0,
                },
            ],
        ),
        (
            "0b000000-check-b".to_owned(),
            vec![HealthSample {
                at: start,
                value: 0.0,
            }],
        ),
    ]);
    assert_eq!(statuses, expected);
}

#[tokio::test]
async fn the_state_alarm_holds_the_state_in_its_description() {
    let moto = MotoServer::start_or_panic();
    let aws = regionflip_local_aws::seed::clients(&moto).await;
    let mut alarm = StateAlarm {
        name: "regionflip-state-api-example-com".into(),
        namespace: "regionflip".into(),
        description: "regionflip/v1 seq=1 active=us-east-1".into(),
    };
    aws.cloudwatch
        .put_state_alarm(OTHER_REGION, &alarm)
        .await
        .expect("PutMetricAlarm");
    alarm.description = "regionflip/v1 seq=2 active=eu-west-1".into();
    aws.cloudwatch
        .put_state_alarm(OTHER_REGION, &alarm)
        .await
        .expect("PutMetricAlarm rewrites the alarm");

    let readings = aws
        .cloudwatch
        .describe_alarms(OTHER_REGION, std::slice::from_ref(&alarm.name))
        .await
        .expect("DescribeAlarms");
    assert_eq!(readings.len(), 1, "{readings:?}");
    assert_eq!(
        readings[0].description.as_deref(),
        Some(alarm.description.as_str())
    );

    // The alarm can never act: it watches a metric nobody publishes, treats missing
    // data as fine, and has its actions disabled.
    let raw = aws
        .cloudwatch
        .client(OTHER_REGION)
        .expect("a client")
        .describe_alarms()
        .alarm_names(&alarm.name)
        .send()
        .await
        .expect("DescribeAlarms");
    let raw = &raw.metric_alarms()[0];
    assert_eq!(raw.metric_name(), Some(STATE_METRIC));
    assert_eq!(raw.namespace(), Some("regionflip"));
    assert_eq!(raw.actions_enabled(), Some(false));
    assert_eq!(raw.treat_missing_data(), Some("notBreaching"));
    assert_eq!(
        raw.comparison_operator(),
        Some(&ComparisonOperator::LessThanThreshold)
    );
}

#[tokio::test]
async fn a_reset_wipes_moto() {
    let moto = MotoServer::start_or_panic();
    let aws = regionflip_local_aws::seed::clients(&moto).await;
    regionflip_local_aws::seed::create_alarm(&aws, OTHER_REGION, "gate-a").await;
    moto.reset().expect("moto resets");
    let readings = aws
        .cloudwatch
        .describe_alarms(OTHER_REGION, &["gate-a".to_owned()])
        .await
        .expect("DescribeAlarms");
    assert!(readings.is_empty(), "{readings:?}");
}

fn to_i64(seconds: u64) -> i64 {
    i64::try_from(seconds).expect("a plausible time")
}

// ------------------------------------------------- error classification, no network

/// A Route 53 adapter whose HTTP answers come from `rule`, with the default budget's
/// retry policy (backoff shortened so the test does not wait for it).
fn mocked_route53(rule: &Rule) -> Route53Adapter {
    let budget = SdkBudget::default();
    let config = aws_sdk_route53::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .http_client(create_mock_http_client())
        .interceptor(
            MockResponseInterceptor::new()
                .rule_mode(RuleMode::MatchAny)
                .with_rule(rule),
        )
        .timeout_config(budget.timeout_config())
        .retry_config(
            budget
                .retry_config()
                .with_initial_backoff(Duration::from_millis(1)),
        )
        .build();
    Route53Adapter::new(Route53Client::from_conf(config))
}

/// A CloudWatch adapter for us-east-1 whose answers come from `rule`.
fn mocked_cloudwatch(rule: &Rule) -> CloudWatchAdapter {
    let config = aws_sdk_cloudwatch::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .http_client(create_mock_http_client())
        .interceptor(
            MockResponseInterceptor::new()
                .rule_mode(RuleMode::MatchAny)
                .with_rule(rule),
        )
        .build();
    let client = CloudWatchClient::from_conf(config);
    CloudWatchAdapter::new(BTreeMap::from([("us-east-1".to_owned(), client)]))
}

/// A Route 53 error response as Route 53 writes it.
fn route53_error(code: &str, message: &str) -> HttpResponse {
    let body = format!(
        "<?xml version=\"1.0\"?>\n<ErrorResponse \
         xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><Error><Type>Sender</Type>\
         <Code>{code}</Code><Message>{message}</Message></Error>\
         <RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
    );
    HttpResponse::new(
        StatusCode::try_from(400).expect("a valid status"),
        SdkBody::from(body),
    )
}

fn empty_record_page() -> HttpResponse {
    let body = "<?xml version=\"1.0\"?>\n<ListResourceRecordSetsResponse \
                xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><ResourceRecordSets>\
                </ResourceRecordSets><IsTruncated>false</IsTruncated><MaxItems>10</MaxItems>\
                </ListResourceRecordSetsResponse>";
    HttpResponse::new(
        StatusCode::try_from(200).expect("a valid status"),
        SdkBody::from(body),
    )
}

#[tokio::test]
async fn route53_throttling_on_every_attempt_is_throttled() {
    let rule = mock!(Route53Client::list_resource_record_sets)
        .sequence()
        .http_response(|| route53_error("Throttling", "Rate exceeded"))
        .repeatedly()
        .build();
    let route53 = mocked_route53(&rule);

    let result = route53.list_records("Z1", RECORD, 10).await;
    assert_eq!(
        result,
        Err(AwsError::Throttled("Throttling: Rate exceeded".into()))
    );
    assert_eq!(rule.num_calls(), 3, "the SDK retried up to the budget");
}

#[tokio::test]
async fn a_throttling_burst_is_absorbed_by_retries() {
    let rule = mock!(Route53Client::list_resource_record_sets)
        .sequence()
        .http_response(|| route53_error("Throttling", "Rate exceeded"))
        .times(2)
        .http_response(empty_record_page)
        .build();
    let route53 = mocked_route53(&rule);

    let page = route53
        .list_records("Z1", RECORD, 10)
        .await
        .expect("the third attempt succeeds");
    assert!(page.records.is_empty() && !page.truncated);
    assert_eq!(rule.num_calls(), 3);
}

#[tokio::test]
async fn prior_request_not_complete_is_throttled() {
    let rule = mock!(Route53Client::change_resource_record_sets)
        .sequence()
        .http_response(|| {
            route53_error(
                "PriorRequestNotComplete",
                "The request was rejected because Route 53 was still processing a prior \
                 request.",
            )
        })
        .repeatedly()
        .build();
    let route53 = mocked_route53(&rule);

    let result = route53
        .change_records("Z1", &changes(ChangeAction::Upsert, &[state_record(1)]), "")
        .await;
    assert!(
        matches!(result, Err(ChangeError::Aws(AwsError::Throttled(_)))),
        "{result:?}"
    );
}

#[tokio::test]
async fn more_values_than_one_request_may_carry_are_split() {
    // moto accepts any number of values per request; real CloudWatch refuses more than
    // 1000, so the split is checked on the requests themselves.
    let rule = mock!(CloudWatchClient::put_metric_data)
        .match_requests(|request| request.metric_data().len() <= 1000)
        .then_output(|| PutMetricDataOutput::builder().build());
    let cloudwatch = mocked_cloudwatch(&rule);
    let data = (0..2001)
        .map(|i| MetricDatum {
            name: "Passes".into(),
            dimensions: Vec::new(),
            value: f64::from(i),
            unit: MetricUnit::Count,
            timestamp: 1_700_000_000,
        })
        .collect::<Vec<_>>();

    cloudwatch
        .put_metric_data("us-east-1", "regionflip/test", &data)
        .await
        .expect("every request is within the limit");
    assert_eq!(rule.num_calls(), 3, "1000 + 1000 + 1");
}

#[tokio::test]
async fn invalid_change_batch_for_a_missing_record_is_a_conflict() {
    let message = "[Tried to delete resource record set \
                   [name='_regionflip.api.example.com.', type='TXT'] but it was not found]";
    let rule = mock!(Route53Client::change_resource_record_sets)
        .then_http_response(move || route53_error("InvalidChangeBatch", message));
    let route53 = mocked_route53(&rule);

    let result = route53
        .change_records("Z1", &changes(ChangeAction::Delete, &[state_record(1)]), "")
        .await;
    assert_eq!(result, Err(ChangeError::Conflict(message.into())));
    assert_eq!(rule.num_calls(), 1, "a conflict is not retried");
}

#[tokio::test]
async fn other_invalid_change_batches_are_service_errors() {
    let message = "RRSet with DNS name api.example.org. is not permitted in zone example.com.";
    let rule = mock!(Route53Client::change_resource_record_sets)
        .then_http_response(move || route53_error("InvalidChangeBatch", message));
    let route53 = mocked_route53(&rule);

    let result = route53
        .change_records("Z1", &changes(ChangeAction::Upsert, &[state_record(1)]), "")
        .await;
    assert_eq!(
        result,
        Err(ChangeError::Aws(AwsError::Service {
            code: "InvalidChangeBatch".into(),
            message: message.into(),
        }))
    );
}

// ------------------------------------------- composite alarms: replays, no network

/// us-east-1, the region `mocked_cloudwatch` answers for.
const REPLAY_REGION: &str = "us-east-1";
const METRIC_ALARM: &str = "regionflip-demo-api-errors-us-east-1";
const COMPOSITE_ALARM: &str = "regionflip-demo-api-down-us-east-1";

/// One metric alarm, as real CloudWatch writes it in a `DescribeAlarms` answer (awsQuery,
/// the protocol of the pinned client): an API Gateway 5XXError alarm in OK.
fn metric_alarm_member() -> String {
    format!(
        "<member><AlarmName>{METRIC_ALARM}</AlarmName>\
         <AlarmArn>arn:aws:cloudwatch:us-east-1:123456789012:alarm:{METRIC_ALARM}</AlarmArn>\
         <AlarmDescription>5XX rate of the API in us-east-1</AlarmDescription>\
         <AlarmConfigurationUpdatedTimestamp>2026-11-20T09:12:44.018Z</AlarmConfigurationUpdatedTimestamp>\
         <ActionsEnabled>true</ActionsEnabled><OKActions/><AlarmActions/><InsufficientDataActions/>\
         <StateValue>OK</StateValue>\
         <StateReason>Threshold Crossed: 1 out of the last 1 datapoints [0.0 (24/11/26 04:56:00)] \
         was not greater than or equal to the threshold (5.0) (minimum 1 datapoint for ALARM -&gt; OK \
         transition).</StateReason>\
         <StateReasonData>{{&quot;version&quot;:&quot;1.0&quot;,&quot;queryDate&quot;:\
         &quot;2026-11-24T04:57:12.345+0000&quot;,&quot;statistic&quot;:&quot;Sum&quot;,\
         &quot;period&quot;:60,&quot;recentDatapoints&quot;:[0.0],&quot;threshold&quot;:5.0}}</StateReasonData>\
         <StateUpdatedTimestamp>2026-11-24T04:57:12.351Z</StateUpdatedTimestamp>\
         <MetricName>5XXError</MetricName><Namespace>AWS/ApiGateway</Namespace>\
         <Statistic>Sum</Statistic>\
         <Dimensions><member><Name>ApiName</Name><Value>demo-api</Value></member></Dimensions>\
         <Period>60</Period><EvaluationPeriods>3</EvaluationPeriods><DatapointsToAlarm>2</DatapointsToAlarm>\
         <Threshold>5.0</Threshold><ComparisonOperator>GreaterThanOrEqualToThreshold</ComparisonOperator>\
         <TreatMissingData>notBreaching</TreatMissingData>\
         <StateTransitionedTimestamp>2026-11-24T04:01:00.002Z</StateTransitionedTimestamp>\
         </member>"
    )
}

/// One composite alarm in ALARM, as real CloudWatch writes it: its rule over two metric
/// alarms, the child that tripped it in StateReasonData.
fn composite_alarm_member() -> String {
    format!(
        "<member><ActionsEnabled>true</ActionsEnabled><AlarmActions/>\
         <AlarmArn>arn:aws:cloudwatch:us-east-1:123456789012:alarm:{COMPOSITE_ALARM}</AlarmArn>\
         <AlarmConfigurationUpdatedTimestamp>2026-11-20T09:13:02.771Z</AlarmConfigurationUpdatedTimestamp>\
         <AlarmDescription>The API in us-east-1 is failing (errors or latency)</AlarmDescription>\
         <AlarmName>{COMPOSITE_ALARM}</AlarmName>\
         <AlarmRule>ALARM(&quot;{METRIC_ALARM}&quot;) OR \
         ALARM(&quot;regionflip-demo-api-latency-us-east-1&quot;)</AlarmRule>\
         <InsufficientDataActions/><OKActions/>\
         <StateReason>arn:aws:cloudwatch:us-east-1:123456789012:alarm:regionflip-demo-api-latency-us-east-1 \
         transitioned to ALARM at Tuesday 24 November, 2026 04:58:03 UTC</StateReason>\
         <StateReasonData>{{&quot;triggeringAlarms&quot;:[{{&quot;arn&quot;:\
         &quot;arn:aws:cloudwatch:us-east-1:123456789012:alarm:regionflip-demo-api-latency-us-east-1&quot;,\
         &quot;state&quot;:{{&quot;value&quot;:&quot;ALARM&quot;,&quot;timestamp&quot;:\
         &quot;2026-11-24T04:58:03.412+0000&quot;}}}}]}}</StateReasonData>\
         <StateTransitionedTimestamp>2026-11-24T04:58:03.640Z</StateTransitionedTimestamp>\
         <StateUpdatedTimestamp>2026-11-24T04:59:41.108Z</StateUpdatedTimestamp>\
         <StateValue>ALARM</StateValue>\
         </member>"
    )
}

/// A whole `DescribeAlarms` answer holding `composites` and `metrics`.
fn describe_alarms_answer(composites: &str, metrics: &str) -> HttpResponse {
    let body = format!(
        "<DescribeAlarmsResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\">\
         <DescribeAlarmsResult><CompositeAlarms>{composites}</CompositeAlarms>\
         <MetricAlarms>{metrics}</MetricAlarms></DescribeAlarmsResult>\
         <ResponseMetadata><RequestId>0c2f3a8e-6b1d-4f0e-9a57-3e1c2d4b5a69</RequestId>\
         </ResponseMetadata></DescribeAlarmsResponse>"
    );
    HttpResponse::new(
        StatusCode::try_from(200).expect("a valid status"),
        SdkBody::from(body),
    )
}

/// Unix seconds of an RFC 3339 instant in the replays.
fn at(rfc3339: &str) -> u64 {
    let time = DateTime::from_str(rfc3339, aws_smithy_types::date_time::Format::DateTime)
        .expect("a valid instant");
    u64::try_from(time.secs()).expect("after 1970")
}

/// **Models:** real `DescribeAlarms` answers only metric alarms unless the request's
/// `AlarmTypes` names `CompositeAlarm` too (the API reference: "If you omit this
/// parameter, only metric alarms are returned, even if composite alarms exist in the
/// account"). The replay answers a request that asks for both types with one
/// metric alarm (OK) and one composite alarm (ALARM), and any other request as CloudWatch
/// would, with the metric alarm alone.
/// **Expected:** the adapter asks for both types in its one call, and reads both alarms
/// with their states, state-transition times and descriptions; a composite alarm in
/// `alarms` or `guards` is never "missing".
#[tokio::test]
async fn composite_alarms_are_read_beside_metric_alarms() {
    let both_types = mock!(CloudWatchClient::describe_alarms)
        .match_requests(|request| {
            request.alarm_types().contains(&AlarmType::MetricAlarm)
                && request.alarm_types().contains(&AlarmType::CompositeAlarm)
        })
        .then_http_response(|| {
            describe_alarms_answer(&composite_alarm_member(), &metric_alarm_member())
        });
    let mut interceptor = MockResponseInterceptor::new()
        .rule_mode(RuleMode::MatchAny)
        .with_rule(&both_types);
    // What real CloudWatch answers a request without CompositeAlarm in AlarmTypes.
    let metric_only = mock!(CloudWatchClient::describe_alarms)
        .then_http_response(|| describe_alarms_answer("", &metric_alarm_member()));
    interceptor = interceptor.with_rule(&metric_only);
    let config = aws_sdk_cloudwatch::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REPLAY_REGION))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .http_client(create_mock_http_client())
        .interceptor(interceptor)
        .build();
    let cloudwatch = CloudWatchAdapter::new(BTreeMap::from([(
        REPLAY_REGION.to_owned(),
        CloudWatchClient::from_conf(config),
    )]));

    let mut readings = cloudwatch
        .describe_alarms(
            REPLAY_REGION,
            &[COMPOSITE_ALARM.to_owned(), METRIC_ALARM.to_owned()],
        )
        .await
        .expect("DescribeAlarms");
    readings.sort_by(|a, b| a.name.cmp(&b.name));

    assert_eq!(
        (both_types.num_calls(), metric_only.num_calls()),
        (1, 0),
        "one DescribeAlarms call, asking for both alarm types"
    );
    let summary = readings
        .iter()
        .map(|reading| (reading.name.as_str(), reading.state, reading.since))
        .collect::<Vec<_>>();
    assert_eq!(
        summary,
        [
            (
                COMPOSITE_ALARM,
                AlarmState::Alarm,
                // The transition, not the later update of its reason.
                Some(at("2026-11-24T04:58:03.640Z"))
            ),
            (
                METRIC_ALARM,
                AlarmState::Ok,
                Some(at("2026-11-24T04:01:00.002Z"))
            ),
        ]
    );
    assert_eq!(
        readings[0].description.as_deref(),
        Some("The API in us-east-1 is failing (errors or latency)")
    );
}

/// **Models:** the request real CloudWatch needs to answer composite alarms: `AlarmTypes`
/// names both `MetricAlarm` and `CompositeAlarm` (omitting it returns metric alarms only),
/// and `AlarmNames` carries the configured names with `MaxRecords` 100 (CloudWatch's most
/// names per call, unchanged by the second type: alarm names are unique in a region).
/// **Expected:** exactly that request, once.
#[tokio::test]
async fn describe_alarms_asks_for_both_alarm_types_in_one_page() {
    let names = [METRIC_ALARM, COMPOSITE_ALARM].map(String::from);
    let expected_names = names.to_vec();
    let rule = mock!(CloudWatchClient::describe_alarms)
        .match_requests(move |request| {
            request.alarm_types() == [AlarmType::MetricAlarm, AlarmType::CompositeAlarm]
                && request.alarm_names() == expected_names.as_slice()
                && request.max_records() == Some(100)
        })
        .then_http_response(|| describe_alarms_answer("", ""));
    let cloudwatch = mocked_cloudwatch(&rule);

    let readings = cloudwatch
        .describe_alarms(REPLAY_REGION, &names)
        .await
        .expect("DescribeAlarms");
    assert!(readings.is_empty(), "{readings:?}");
    assert_eq!(rule.num_calls(), 1);
}
