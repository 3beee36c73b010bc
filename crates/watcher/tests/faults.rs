//! Fault injection: what the watcher does when AWS throttles, fails, hangs or is out of
//! reach, and when the Lambda's time is nearly spent. Every test says in its doc comment
//! which fault it injects and what must happen, and asserts exactly that.
//!
//! Two layers, no sleeps:
//!
//! * **The SDK adapters** (`Route53Adapter`, `CloudWatchAdapter`) over aws-smithy-mocks,
//!   built from the production [`SdkBudget`] (its retry and timeout configuration), so the
//!   SDK's standard retry mode, the budget's `max_attempts` and [`classify`] are what is
//!   tested. The mocks count the responses consumed, which is the number of attempts. The
//!   clock is tokio's paused clock: the SDK's real, jittered backoff runs in virtual time,
//!   and the time a call took is measured against the budget's operation timeout.
//!   Timeouts need a server that does not answer, which mocks cannot be: a local TCP
//!   listener on 127.0.0.1:0 accepts connections and never replies (real clock, a short
//!   budget). An unreachable region is a closed loopback port.
//! * **Reconcile passes** over the faithful in-memory models, wrapped so that a fault can
//!   be aimed at one operation in one region, once or for ever, and so that a write can be
//!   applied and then answered with an error (the answer lost, not the write).
//!
//! Outcomes asserted throughout: retries stay within the budget; unknown data (an alarm
//! or a health status that could not be read) never moves traffic; a failed write fails
//! the pass with an error that says routing is unchanged, and the next pass records the
//! transition exactly once; a write whose answer was lost is recorded exactly once;
//! recording (metrics, one gate, one state copy) never blocks or undoes routing.
//!
//! [`classify`]: regionflip_watcher::aws::classify

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_cloudwatch::Client as CloudWatchClient;
use aws_sdk_route53::Client as Route53Client;
use aws_sdk_route53::config::retry::RetryPartition;
use aws_sdk_route53::config::{BehaviorVersion, Credentials, Region, SharedCredentialsProvider};
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use lambda_runtime::{Context, Diagnostic, LambdaEvent};
use regionflip_core::records::state_record;
use regionflip_core::resources::GATE_METRIC;
use regionflip_core::{Change, ChangeAction, Config, EngineState, Mode, ProbeOutcome, RecordSet};
use regionflip_local_aws::fixtures::*;
use regionflip_local_aws::hooked::Operation;
use regionflip_local_aws::hooks::Faults;
use regionflip_local_aws::journal::MemoryJournal;
use regionflip_watcher::aws::{AwsClients, CloudWatchAdapter, Route53Adapter, SdkBudget};
use regionflip_watcher::handler::{HandlerError, handle};
use regionflip_watcher::ports::{
    AlarmState, AwsError, ChangeError, CloudWatchApi, MetricDatum, MetricUnit, Route53Api,
    StateAlarm,
};
use regionflip_watcher::{PassError, PassReport, Request, Watcher, WatcherSettings};
use tokio::net::TcpListener;

// =======================================================================================
// SDK adapters over aws-smithy-mocks, with the production budget and a paused clock.

/// The SDK configuration the production loader builds from `budget` (timeouts, standard
/// retry mode with `max_attempts`), with canned HTTP instead of the network.
fn mocked_sdk_config(budget: SdkBudget) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "test", "test", None, None, "test",
        )))
        .http_client(create_mock_http_client())
        .timeout_config(budget.timeout_config())
        .retry_config(budget.retry_config())
        .build()
}

/// A retry partition of its own per client: the SDK's retry token bucket is shared per
/// partition across the whole process, and tests that drain it must not starve others.
fn own_retry_partition() -> RetryPartition {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    RetryPartition::new(format!("faults-{}", NEXT.fetch_add(1, Ordering::Relaxed)))
}

fn interceptor(rules: &[&Rule]) -> MockResponseInterceptor {
    rules.iter().fold(
        MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny),
        |interceptor, rule| interceptor.with_rule(rule),
    )
}

/// The Route 53 adapter as `AwsClients::from_sdk_config` builds it, answering from `rules`.
fn mocked_route53(rules: &[&Rule], budget: SdkBudget) -> Route53Adapter {
    let config = aws_sdk_route53::config::Builder::from(&mocked_sdk_config(budget))
        .interceptor(interceptor(rules))
        .retry_partition(own_retry_partition())
        .build();
    Route53Adapter::new(Route53Client::from_conf(config))
}

/// A CloudWatch client for `region` as `AwsClients::from_sdk_config` builds it,
/// answering from `rules`.
fn mocked_cloudwatch_client(region: &str, rules: &[&Rule], budget: SdkBudget) -> CloudWatchClient {
    let config = aws_sdk_cloudwatch::config::Builder::from(&mocked_sdk_config(budget))
        .region(Region::new(region.to_owned()))
        .interceptor(interceptor(rules))
        .retry_partition(own_retry_partition())
        .build();
    CloudWatchClient::from_conf(config)
}

fn http(status: u16, body: String) -> HttpResponse {
    HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::from(body))
}

const ROUTE53_XMLNS: &str = "https://route53.amazonaws.com/doc/2013-04-01/";
const CLOUDWATCH_XMLNS: &str = "http://monitoring.amazonaws.com/doc/2010-08-01/";

/// An error answer as the service writes it (Route 53's REST-XML and CloudWatch's
/// awsQuery share this shape).
fn error_answer(xmlns: &str, status: u16, code: &str, message: &str) -> HttpResponse {
    let kind = if status >= 500 { "Receiver" } else { "Sender" };
    http(
        status,
        format!(
            "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"{xmlns}\"><Error><Type>{kind}</Type>\
             <Code>{code}</Code><Message>{message}</Message></Error>\
             <RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
        ),
    )
}

/// The faults every AWS API can answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// 400 `Throttling`: the account's request rate is exceeded.
    Throttling,
    /// 400 `PriorRequestNotComplete`: Route 53 is still applying the zone's last change.
    PriorRequestNotComplete,
    /// 503 `ServiceUnavailable`.
    ServiceUnavailable,
}

impl Fault {
    fn answer(self, xmlns: &str) -> HttpResponse {
        match self {
            Fault::Throttling => error_answer(xmlns, 400, "Throttling", "Rate exceeded"),
            Fault::PriorRequestNotComplete => error_answer(
                xmlns,
                400,
                "PriorRequestNotComplete",
                "The request was rejected because Route 53 was still processing a prior request.",
            ),
            Fault::ServiceUnavailable => {
                error_answer(xmlns, 503, "ServiceUnavailable", "Service Unavailable")
            }
        }
    }

    /// How the adapters report it once the retries are spent.
    fn classified(self) -> AwsError {
        match self {
            Fault::Throttling => AwsError::Throttled("Throttling: Rate exceeded".into()),
            Fault::PriorRequestNotComplete => AwsError::Throttled(
                "PriorRequestNotComplete: The request was rejected because Route 53 was still \
                 processing a prior request."
                    .into(),
            ),
            Fault::ServiceUnavailable => AwsError::Service {
                code: "ServiceUnavailable".into(),
                message: "Service Unavailable".into(),
            },
        }
    }
}

/// The operations of a pass, as the adapters expose them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    ListRecords,
    ChangeRecords,
    /// In one region (us-west-2).
    DescribeAlarms,
    /// `AWS/Route53 HealthCheckStatus`, always in us-east-1.
    GetMetricData,
    /// Gate values to one host region (us-west-2).
    PutGates,
    /// The gate-mode state copy in one region (us-west-2).
    PutStateCopy,
}

const ALL_OPS: [Op; 6] = [
    Op::ListRecords,
    Op::ChangeRecords,
    Op::DescribeAlarms,
    Op::GetMetricData,
    Op::PutGates,
    Op::PutStateCopy,
];

impl Op {
    fn region(self) -> &'static str {
        match self {
            Op::ListRecords | Op::ChangeRecords | Op::GetMetricData => EAST,
            Op::DescribeAlarms | Op::PutGates | Op::PutStateCopy => WEST,
        }
    }

    fn xmlns(self) -> &'static str {
        match self {
            Op::ListRecords | Op::ChangeRecords => ROUTE53_XMLNS,
            _ => CLOUDWATCH_XMLNS,
        }
    }

    /// A successful answer.
    fn success(self) -> HttpResponse {
        let query = |action: &str, result: &str| {
            http(
                200,
                format!(
                    "<{action}Response xmlns=\"{CLOUDWATCH_XMLNS}\">{result}<ResponseMetadata>\
                     <RequestId>r</RequestId></ResponseMetadata></{action}Response>"
                ),
            )
        };
        match self {
            Op::ListRecords => http(
                200,
                format!(
                    "<?xml version=\"1.0\"?>\n<ListResourceRecordSetsResponse xmlns=\"{ROUTE53_XMLNS}\">\
                     <ResourceRecordSets></ResourceRecordSets><IsTruncated>false</IsTruncated>\
                     <MaxItems>10</MaxItems></ListResourceRecordSetsResponse>"
                ),
            ),
            Op::ChangeRecords => http(
                200,
                format!(
                    "<?xml version=\"1.0\"?>\n<ChangeResourceRecordSetsResponse xmlns=\"{ROUTE53_XMLNS}\">\
                     <ChangeInfo><Id>/change/C0000000000001</Id><Status>PENDING</Status>\
                     <SubmittedAt>2026-11-24T05:00:00Z</SubmittedAt></ChangeInfo>\
                     </ChangeResourceRecordSetsResponse>"
                ),
            ),
            Op::DescribeAlarms => query(
                "DescribeAlarms",
                "<DescribeAlarmsResult><MetricAlarms><member><AlarmName>api-errors</AlarmName>\
                 <StateValue>OK</StateValue></member></MetricAlarms></DescribeAlarmsResult>",
            ),
            Op::GetMetricData => query(
                "GetMetricData",
                "<GetMetricDataResult><MetricDataResults/></GetMetricDataResult>",
            ),
            Op::PutGates => query("PutMetricData", ""),
            Op::PutStateCopy => query("PutMetricAlarm", ""),
        }
    }

    /// A rule that answers `fault` `times` times (for ever when `None`), then succeeds.
    fn rule(self, fault: Fault, times: Option<usize>) -> Rule {
        let xmlns = self.xmlns();
        let fault_answer = move || fault.answer(xmlns);
        let success = move || self.success();
        macro_rules! scripted {
            ($operation:path) => {{
                let faults = mock!($operation).sequence().http_response(fault_answer);
                match times {
                    None => faults.repeatedly().build(),
                    Some(n) => faults.times(n).http_response(success).build(),
                }
            }};
        }
        match self {
            Op::ListRecords => scripted!(Route53Client::list_resource_record_sets),
            Op::ChangeRecords => scripted!(Route53Client::change_resource_record_sets),
            Op::DescribeAlarms => scripted!(CloudWatchClient::describe_alarms),
            Op::GetMetricData => scripted!(CloudWatchClient::get_metric_data),
            Op::PutGates => scripted!(CloudWatchClient::put_metric_data),
            Op::PutStateCopy => scripted!(CloudWatchClient::put_metric_alarm),
        }
    }

    /// The faults this API answers with.
    fn faults(self) -> &'static [Fault] {
        match self {
            Op::ListRecords | Op::ChangeRecords => &[
                Fault::Throttling,
                Fault::PriorRequestNotComplete,
                Fault::ServiceUnavailable,
            ],
            _ => &[Fault::Throttling, Fault::ServiceUnavailable],
        }
    }

    /// Whether the SDK may send it again after `fault`. Everything is retried except a
    /// change batch after a 5xx, which may have been applied (see `RetryOnlyRefusals`).
    fn retried_after(self, fault: Fault) -> bool {
        !(self == Op::ChangeRecords && fault == Fault::ServiceUnavailable)
    }

    /// Calls the operation through the adapters once.
    async fn call(
        self,
        route53: &Route53Adapter,
        cloudwatch: &CloudWatchAdapter,
    ) -> Result<(), AwsError> {
        match self {
            Op::ListRecords => route53
                .list_records("Z1", "api.example.com.", 10)
                .await
                .map(drop),
            Op::ChangeRecords => {
                let upsert = Change {
                    action: ChangeAction::Upsert,
                    record: sample_state_record(2),
                };
                match route53.change_records("Z1", &[upsert], "test").await {
                    Ok(_) => Ok(()),
                    Err(ChangeError::Aws(error)) => Err(error),
                    Err(conflict) => panic!("no conflict was scripted: {conflict}"),
                }
            }
            Op::DescribeAlarms => cloudwatch
                .describe_alarms(WEST, &["api-errors".to_owned()])
                .await
                .map(drop),
            Op::GetMetricData => cloudwatch
                .health_check_status(&[EAST_CHECK.to_owned()], T0 - 600, T0)
                .await
                .map(drop),
            Op::PutGates => {
                cloudwatch
                    .put_metric_data(WEST, "RegionFlip", &[gate_datum()])
                    .await
            }
            Op::PutStateCopy => cloudwatch.put_state_alarm(WEST, &state_alarm()).await,
        }
    }
}

fn sample_state_record(sequence: u64) -> RecordSet {
    let config = sample_config(Mode::Records);
    state_record(
        &config,
        &EngineState {
            sequence,
            ..EngineState::initial(EAST)
        },
    )
}

fn gate_datum() -> MetricDatum {
    MetricDatum {
        name: GATE_METRIC.into(),
        dimensions: vec![("Region".into(), EAST.into())],
        value: 0.0,
        unit: MetricUnit::None,
        timestamp: T0,
    }
}

fn state_alarm() -> StateAlarm {
    StateAlarm {
        name: "regionflip-state".into(),
        namespace: "RegionFlip".into(),
        description: EngineState::initial(WEST).encode(),
    }
}

/// Adapters whose only answers for `op` come from `rule` (other operations are not
/// called).
fn adapters_for(op: Op, rule: &Rule, budget: SdkBudget) -> (Route53Adapter, CloudWatchAdapter) {
    let route53 = mocked_route53(&[rule], budget);
    let client = mocked_cloudwatch_client(op.region(), &[rule], budget);
    let cloudwatch = CloudWatchAdapter::new(BTreeMap::from([(op.region().to_owned(), client)]));
    (route53, cloudwatch)
}

/// **Fault:** a burst of throttling (`Throttling`, `PriorRequestNotComplete`) or 5xx
/// answers, one fewer than the budget's attempts, on every operation of a pass.
/// **Expected:** the SDK retries with backoff and the call succeeds on the last attempt
/// (exactly `max_attempts` answers consumed), within the budget's operation timeout —
/// except a change batch after a 5xx, which is not sent again (it may have been
/// applied) and fails after one attempt with the service error.
#[tokio::test(start_paused = true)]
async fn a_burst_of_faults_is_absorbed_within_the_budget() {
    let budget = SdkBudget::default();
    let burst = usize::try_from(budget.max_attempts - 1).unwrap();
    for op in ALL_OPS {
        for &fault in op.faults() {
            let rule = op.rule(fault, Some(burst));
            let (route53, cloudwatch) = adapters_for(op, &rule, budget);
            let started = tokio::time::Instant::now();
            let result = op.call(&route53, &cloudwatch).await;
            let took = started.elapsed();
            if op.retried_after(fault) {
                assert_eq!(result, Ok(()), "{op:?} after {burst} × {fault:?}");
                assert_eq!(rule.num_calls(), burst + 1, "{op:?} {fault:?}: attempts");
            } else {
                assert_eq!(result, Err(fault.classified()), "{op:?} {fault:?}");
                assert_eq!(rule.num_calls(), 1, "{op:?} {fault:?}: sent once");
            }
            assert!(
                took <= budget.operation_timeout,
                "{op:?} {fault:?}: {took:?} > {:?}",
                budget.operation_timeout
            );
        }
    }
}

/// **Fault:** the same faults on every attempt.
/// **Expected:** exactly `max_attempts` attempts (one for a change batch after a 5xx),
/// then the classified error — `AwsError::Throttled` for throttling and
/// `PriorRequestNotComplete`, `AwsError::Service` with the code for a 5xx — within the
/// operation timeout; the last attempt's error is what is reported.
#[tokio::test(start_paused = true)]
async fn persistent_faults_end_after_exactly_the_budgeted_attempts() {
    for budget in [
        SdkBudget::default(),
        SdkBudget {
            max_attempts: 2,
            ..SdkBudget::default()
        },
    ] {
        let attempts = usize::try_from(budget.max_attempts).unwrap();
        for op in ALL_OPS {
            for &fault in op.faults() {
                let rule = op.rule(fault, None);
                let (route53, cloudwatch) = adapters_for(op, &rule, budget);
                let started = tokio::time::Instant::now();
                let result = op.call(&route53, &cloudwatch).await;
                let took = started.elapsed();
                assert_eq!(result, Err(fault.classified()), "{op:?} {fault:?}");
                let expected = if op.retried_after(fault) { attempts } else { 1 };
                assert_eq!(rule.num_calls(), expected, "{op:?} {fault:?}: attempts");
                assert!(
                    took <= budget.operation_timeout,
                    "{op:?} {fault:?}: {took:?}"
                );
                if expected > 1 {
                    // The SDK backed off between attempts rather than hammering.
                    assert!(took > Duration::ZERO, "{op:?} {fault:?}: no backoff");
                }
            }
        }
    }
}

/// **Fault:** a change batch answered 503, and, were it sent again, refused as a
/// compare-and-swap conflict (what Route 53 answers when the first attempt was in fact
/// applied).
/// **Expected:** the batch is sent once and the 503 is reported, never the conflict:
/// a conflict would make the pass think another writer made the change and leave the
/// transition unrecorded. (Regression test for `RetryOnlyRefusals`.)
#[tokio::test(start_paused = true)]
async fn a_change_batch_is_not_resent_after_an_answer_that_may_hide_its_success() {
    let rule = mock!(Route53Client::change_resource_record_sets)
        .sequence()
        .http_response(|| Fault::ServiceUnavailable.answer(ROUTE53_XMLNS))
        .http_response(|| {
            error_answer(
                ROUTE53_XMLNS,
                400,
                "InvalidChangeBatch",
                "[Tried to delete resource record set [name='_regionflip.api.example.com.', \
                 type='TXT'] but it was not found]",
            )
        })
        .build();
    let route53 = mocked_route53(&[&rule], SdkBudget::default());
    let delete_and_create = [
        Change {
            action: ChangeAction::Delete,
            record: sample_state_record(1),
        },
        Change {
            action: ChangeAction::Create,
            record: sample_state_record(2),
        },
    ];
    let result = route53.change_records("Z1", &delete_and_create, "").await;
    assert_eq!(
        result,
        Err(ChangeError::Aws(Fault::ServiceUnavailable.classified()))
    );
    assert_eq!(rule.num_calls(), 1);
}

// =======================================================================================
// Timeouts and unreachable endpoints: real sockets on loopback, real clock.

/// A TCP server on 127.0.0.1 that accepts every connection and never answers.
struct SilentServer {
    port: u16,
    connections: Arc<AtomicUsize>,
}

impl SilentServer {
    async fn start() -> SilentServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = connections.clone();
        // The task ends with the test's runtime; the held sockets close with it.
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                held.push(socket);
            }
        });
        SilentServer { port, connections }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// A loopback port with nothing listening: connections are refused.
async fn closed_port_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// **Fault:** every API of a pass hangs: the server accepts the connection and never
/// answers (one server per operation, so each one's attempts are counted).
/// **Expected:** each call ends with `AwsError::Timeout` within the operation timeout
/// (plus scheduling slack), after at most `max_attempts` attempts; a change batch is
/// attempted exactly once, since a timed-out batch may have been applied. Clients are
/// built by `AwsClients::for_endpoint`, the production construction path, with a short
/// budget so the test takes about a second and a half.
#[tokio::test]
async fn hanging_apis_time_out_within_the_operation_timeout() {
    let budget = SdkBudget {
        connect_timeout: Duration::from_millis(500),
        attempt_timeout: Duration::from_millis(250),
        operation_timeout: Duration::from_millis(1500),
        max_attempts: 3,
    };
    let regions = [EAST.to_owned(), WEST.to_owned()];
    let mut calls = Vec::new();
    for op in ALL_OPS {
        let server = SilentServer::start().await;
        let clients = AwsClients::for_endpoint(&server.endpoint(), &regions, budget).await;
        calls.push(async move {
            let started = std::time::Instant::now();
            let result = op.call(&clients.route53, &clients.cloudwatch).await;
            (
                op,
                result,
                started.elapsed(),
                server.connections.load(Ordering::SeqCst),
            )
        });
    }
    for (op, result, took, connections) in futures_util::future::join_all(calls).await {
        assert!(
            matches!(result, Err(AwsError::Timeout(_))),
            "{op:?}: {result:?}"
        );
        assert!(
            took < budget.operation_timeout + Duration::from_millis(500),
            "{op:?}: {took:?}"
        );
        let attempts = usize::try_from(budget.max_attempts).unwrap();
        assert!(
            (1..=attempts).contains(&connections),
            "{op:?}: {connections} attempts"
        );
        if op == Op::ChangeRecords {
            assert_eq!(connections, 1, "a timed-out change batch is not sent again");
        }
    }
}

// =======================================================================================
// Reconcile passes over the in-memory models, with aimed faults.

type FaultyWatcher = MemoryWatcher;

/// The common initialised world (traffic on us-east-1, all healthy), and the fault queue
/// its Route 53 and CloudWatch models share.
fn faulty(mode: Mode) -> (FaultyWatcher, Faults) {
    let watcher = initialised(mode);
    let faults = watcher.route53().faults().clone();
    (watcher, faults)
}

/// Route 53 keeps publishing `HealthCheckStatus` every minute up to `now`.
fn keep_endpoints_reporting(watcher: &FaultyWatcher, now: u64) {
    for check in [EAST_CHECK, WEST_CHECK] {
        endpoint_healthy_between(watcher.cloudwatch().inner(), check, T0, now, true);
    }
}

async fn pass(watcher: &FaultyWatcher, now: u64) -> Result<PassReport, PassError> {
    keep_endpoints_reporting(watcher, now);
    watcher.reconcile(&Request::Automatic, now, false).await
}

fn alarm(watcher: &FaultyWatcher, region: &str, state: AlarmState, since: u64) {
    let name = if region == EAST {
        EAST_ALARM
    } else {
        WEST_ALARM
    };
    watcher.cloudwatch().set_alarm(region, name, state, since);
}

fn primary_region(watcher: &FaultyWatcher) -> String {
    regionflip_local_aws::fixtures::primary_region(watcher.config(), watcher.route53().inner())
}

/// The state as the watcher would read it (records: the TXT record; gates: the newest
/// copy).
fn stored_state(watcher: &FaultyWatcher) -> EngineState {
    regionflip_local_aws::fixtures::stored_state(
        watcher.config(),
        watcher.route53().inner(),
        watcher.cloudwatch().inner(),
    )
}

fn state_copy(watcher: &FaultyWatcher, region: &str) -> EngineState {
    regionflip_local_aws::fixtures::state_copy(
        watcher.config(),
        watcher.cloudwatch().inner(),
        region,
    )
}

fn last_gate(watcher: &FaultyWatcher, region: &str) -> Option<f64> {
    regionflip_local_aws::fixtures::last_gate(
        watcher.config(),
        watcher.cloudwatch().inner(),
        region,
    )
}

/// Whether the report says `text`: in a reason, or in a region's evidence.
fn report_says(report: &PassReport, text: &str) -> bool {
    report.reasons.iter().any(|r| r.contains(text))
        || report
            .regions
            .iter()
            .any(|region| region.evidence.iter().any(|e| e.contains(text)))
}

/// Captures the log lines of the current thread (the tests run on a current-thread
/// runtime, so a pass logs here).
struct Logs {
    lines: Arc<Mutex<Vec<u8>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

impl Logs {
    fn capture() -> Logs {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || LogSink(sink.clone()))
            .finish();
        Logs {
            lines,
            _guard: tracing::subscriber::set_default(subscriber),
        }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.lines.lock().unwrap()).into_owned()
    }
}

struct LogSink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The error kinds a call can end with after the SDK's retries.
fn every_error_kind() -> Vec<AwsError> {
    vec![
        AwsError::Throttled("Throttling: Rate exceeded".into()),
        AwsError::Throttled("PriorRequestNotComplete: still processing a prior request".into()),
        AwsError::Timeout("operation timeout (all attempts including retries) occurred".into()),
        AwsError::Unreachable("io error: connection refused".into()),
        AwsError::Service {
            code: "ServiceUnavailable".into(),
            message: "Service Unavailable".into(),
        },
    ]
}

/// **Fault:** `ListResourceRecordSets` fails (each error kind) during a pass that would
/// otherwise fail over (us-east-1's alarm is in ALARM).
/// **Expected:** routing and state are unknown, so nothing moves: the pass succeeds
/// with no change, says "state could not be read: ListResourceRecordSets failed: …",
/// writes nothing and records nothing. The next pass reads and fails over, recorded
/// exactly once.
#[tokio::test]
async fn unreadable_records_are_unknown_and_move_nothing() {
    for error in every_error_kind() {
        let (watcher, faults) = faulty(Mode::Records);
        alarm(&watcher, EAST, AlarmState::Alarm, T0);
        faults.aim_once(Operation::ListResourceRecordSets, error.clone());

        let report = pass(&watcher, T0 + 10)
            .await
            .expect("the pass itself succeeds");
        assert!(report.transition.is_none(), "{error}");
        assert!(
            report_says(
                &report,
                &format!("could not be read: ListResourceRecordSets failed: {error}")
            ),
            "{error}: {:?}",
            report.reasons
        );
        assert_eq!(watcher.route53().calls().change_records, 0, "{error}");
        assert!(watcher.journal().records().is_empty(), "{error}");

        let next = pass(&watcher, T0 + 70).await.expect("healed");
        assert_eq!(next.active_after.as_deref(), Some(WEST), "{error}");
        pass(&watcher, T0 + 130).await.expect("steady");
        assert_eq!(watcher.journal().records().len(), 1, "{error}");
    }
}

/// **Fault:** `ChangeResourceRecordSets` is refused (each error kind; nothing applied)
/// on a failover.
/// **Expected:** the pass fails with `PassError::Route53` naming the error and saying
/// routing is unchanged, and logs "apply failed"; PRIMARY stays on us-east-1, the state
/// keeps its sequence, nothing is recorded. After an error that may hide a success
/// (timeout, unreachable, 5xx) the pass reads the state back once before giving up.
/// The next pass fails over, recorded exactly once.
#[tokio::test]
async fn a_refused_change_fails_the_pass_and_the_next_pass_records_once() {
    for error in every_error_kind() {
        let logs = Logs::capture();
        let (watcher, faults) = faulty(Mode::Records);
        alarm(&watcher, EAST, AlarmState::Alarm, T0);
        faults.aim_once(Operation::ChangeResourceRecordSets, error.clone());

        let failed = pass(&watcher, T0 + 10).await.expect_err("the apply fails");
        assert_eq!(failed, PassError::Route53(error.clone()));
        assert!(failed.to_string().contains("routing unchanged"), "{failed}");
        assert!(logs.text().contains("apply failed"), "{}", logs.text());
        assert_eq!(primary_region(&watcher), EAST, "{error}");
        assert_eq!(stored_state(&watcher).sequence, 1, "{error}");
        assert!(watcher.journal().records().is_empty(), "{error}");
        let reads = watcher.route53().calls().list_records;
        let ambiguous = !matches!(error, AwsError::Throttled(_));
        assert_eq!(reads, if ambiguous { 2 } else { 1 }, "{error}: reads");

        pass(&watcher, T0 + 70)
            .await
            .expect("the next pass applies");
        pass(&watcher, T0 + 130).await.expect("steady");
        assert_eq!(primary_region(&watcher), WEST, "{error}");
        assert_eq!(watcher.journal().records().len(), 1, "{error}");
        assert_eq!(stored_state(&watcher).sequence, 2, "{error}");
    }
}

/// **Fault:** the failover's change batch is applied, but its answer is lost: a timeout,
/// a dropped connection or a 5xx after Route 53 committed it.
/// **Expected:** the pass reads the state back, finds the state it wrote, and records
/// the transition exactly once (without a change id, with a warning saying why); later
/// passes record nothing more. (Regression: the pass used to fail, and the next pass,
/// finding the work done, recorded nothing — the failover had no record.)
#[tokio::test]
async fn a_change_whose_answer_is_lost_is_recorded_exactly_once() {
    for error in every_error_kind()
        .into_iter()
        .filter(|e| !matches!(e, AwsError::Throttled(_)))
    {
        let (watcher, faults) = faulty(Mode::Records);
        alarm(&watcher, EAST, AlarmState::Alarm, T0);
        faults.lose_answer(Operation::ChangeResourceRecordSets, None, error.clone(), 1);

        let report = pass(&watcher, T0 + 10)
            .await
            .expect("the write is confirmed");
        assert_eq!(primary_region(&watcher), WEST, "{error}");
        let transition = report.transition.as_ref().expect("recorded");
        assert_eq!(
            (transition.event.from.as_str(), transition.event.to.as_str()),
            (EAST, WEST)
        );
        assert_eq!(transition.change_id, None);
        assert_warns(&report, &[&error.to_string(), "read back"]);
        for minute in 2..5 {
            pass(&watcher, T0 + 60 * minute).await.expect("steady");
        }
        assert_eq!(watcher.journal().records().len(), 1, "{error}");
        assert_eq!(stored_state(&watcher).sequence, 2, "{error}");
    }
}

/// **Fault:** in gate mode, every state copy is written but every answer is lost.
/// **Expected:** as for a change batch: the pass reads the copies back, finds the state
/// it wrote, and records the failover exactly once.
#[tokio::test]
async fn gate_mode_state_writes_whose_answers_are_lost_are_recorded_exactly_once() {
    let (watcher, faults) = faulty(Mode::HealthGate);
    alarm(&watcher, EAST, AlarmState::Alarm, T0);
    let timeout = AwsError::Timeout("attempt timeout occurred after 2s".into());
    faults.lose_answer(Operation::PutMetricAlarm, None, timeout, 2);

    let report = pass(&watcher, T0 + 10)
        .await
        .expect("the write is confirmed");
    assert_eq!(report.active_after.as_deref(), Some(WEST));
    assert!(report.transition.is_some());
    for minute in 2..5 {
        pass(&watcher, T0 + 60 * minute).await.expect("steady");
    }
    assert_eq!(watcher.journal().records().len(), 1);
    assert_eq!(stored_state(&watcher).active, WEST);
}

/// **Fault:** `DescribeAlarms` fails in one region, for the whole pass, while the
/// alarm there is really in ALARM (home region) or while home fails and the standby
/// is the one unread.
/// **Expected:** the unknown-data rule: an unread region is unknown, never a reason to
/// fail over and never a target. No change, the report names the failed call (as a
/// reason, or as the standby's evidence); once the
/// region reads again, one failover, recorded once.
#[tokio::test]
async fn alarms_unreadable_in_one_region_are_unknown_not_a_failover() {
    for unread in [EAST, WEST] {
        let (watcher, faults) = faulty(Mode::Records);
        alarm(&watcher, EAST, AlarmState::Alarm, T0);
        let throttled = AwsError::Throttled("Throttling: Rate exceeded".into());
        faults.aim(Operation::DescribeAlarms, Some(unread), throttled, None);

        let report = pass(&watcher, T0 + 10).await.expect("pass");
        assert!(
            report.transition.is_none(),
            "{unread}: {:?}",
            report.reasons
        );
        assert!(
            report_says(
                &report,
                &format!("DescribeAlarms in {unread} failed: throttled")
            ),
            "{unread}: {:?}",
            report.reasons
        );
        assert_eq!(primary_region(&watcher), EAST);

        faults.clear();
        pass(&watcher, T0 + 70).await.expect("pass");
        pass(&watcher, T0 + 130).await.expect("pass");
        assert_eq!(primary_region(&watcher), WEST, "{unread}");
        assert_eq!(watcher.journal().records().len(), 1, "{unread}");
    }
}

/// **Fault:** `GetMetricData` (`AWS/Route53 HealthCheckStatus`, us-east-1) times out
/// while home's alarm is in ALARM.
/// **Expected:** every endpoint is unknown, so no region is known healthy and there is
/// no failover target: no change ("no healthy target"), the reason names the failed read.
/// Route 53's own endpoint checks still fail over in the data plane. Once the metric
/// reads again, one failover, recorded once.
#[tokio::test]
async fn health_status_unreadable_in_us_east_1_leaves_no_known_target() {
    let (watcher, faults) = faulty(Mode::HealthGate);
    alarm(&watcher, EAST, AlarmState::Alarm, T0);
    let timeout = AwsError::Timeout("operation timeout occurred".into());
    faults.aim(Operation::GetMetricData, Some(EAST), timeout, None);

    let report = pass(&watcher, T0 + 10).await.expect("pass");
    assert!(report.transition.is_none(), "{:?}", report.reasons);
    assert!(
        report_says(&report, "HealthCheckStatus could not be read: timed out"),
        "{:?}",
        report.reasons
    );
    assert_eq!(stored_state(&watcher).active, EAST);

    faults.clear();
    let report = pass(&watcher, T0 + 70).await.expect("pass");
    assert_eq!(report.active_after.as_deref(), Some(WEST));
    pass(&watcher, T0 + 130).await.expect("pass");
    assert_eq!(watcher.journal().records().len(), 1);
}

/// **Fault:** on a gate-mode failover, `PutMetricData` of gates fails in one host
/// region (us-west-2, which hosts us-east-1's gate).
/// **Expected:** the gate that did not publish keeps its alarm's last value; the pass
/// succeeds with a warning naming the region, both state copies are written (the
/// standby has no gate to publish), the transition is recorded once; the next pass republishes the missing
/// gate (closed) and records nothing more.
#[tokio::test]
async fn a_gate_that_fails_to_publish_is_a_warning_and_the_next_pass_publishes_it() {
    let (watcher, faults) = faulty(Mode::HealthGate);
    alarm(&watcher, EAST, AlarmState::Alarm, T0);
    assert_eq!(watcher.config().gate_host_region(EAST), WEST);
    let throttled = AwsError::Throttled("Throttling: Rate exceeded".into());
    faults.aim(Operation::PutMetricData, Some(WEST), throttled, Some(1));

    let report = pass(&watcher, T0 + 10).await.expect("pass");
    assert!(report.transition.is_some());
    assert_warns(&report, &["gate metrics to us-west-2 failed: throttled"]);
    assert_eq!(last_gate(&watcher, EAST), None, "not published yet");
    assert_eq!(last_gate(&watcher, WEST), None, "the standby has no gate");
    assert_eq!(
        (
            state_copy(&watcher, EAST).sequence,
            state_copy(&watcher, WEST).sequence
        ),
        (2, 2)
    );

    let next = pass(&watcher, T0 + 70).await.expect("pass");
    assert!(next.transition.is_none());
    assert_eq!(last_gate(&watcher, EAST), Some(0.0));
    assert_eq!(watcher.journal().records().len(), 1);
}

/// **Fault:** on a gate-mode failover, `PutMetricAlarm` of the state copy fails in one
/// region (us-east-1); then, in a second world, in every region.
/// **Expected:** one copy failing is a warning: the other copy holds the new state, the
/// newest copy wins on every later read, and the transition is recorded once (no second
/// failover from the stale copy). Every copy failing fails the pass with
/// `PassError::StateWrite` and records nothing; the next pass (state still old, home
/// still failing) fails over again and records it — once in all.
#[tokio::test]
async fn state_copies_failing_to_write() {
    let (watcher, faults) = faulty(Mode::HealthGate);
    alarm(&watcher, EAST, AlarmState::Alarm, T0);
    let timeout = AwsError::Timeout("attempt timeout occurred".into());
    faults.aim(
        Operation::PutMetricAlarm,
        Some(EAST),
        timeout.clone(),
        Some(1),
    );
    let report = pass(&watcher, T0 + 10).await.expect("pass");
    assert!(report.transition.is_some());
    assert_warns(&report, &["state copy in us-east-1 failed: timed out"]);
    assert_eq!(state_copy(&watcher, EAST).sequence, 1, "the stale copy");
    assert_eq!(state_copy(&watcher, WEST).sequence, 2);
    for minute in 2..5 {
        let steady = pass(&watcher, T0 + 60 * minute).await.expect("pass");
        assert_eq!(steady.active_after.as_deref(), Some(WEST));
    }
    assert_eq!(watcher.journal().records().len(), 1);

    let (watcher, faults) = faulty(Mode::HealthGate);
    alarm(&watcher, EAST, AlarmState::Alarm, T0);
    faults.aim(Operation::PutMetricAlarm, None, timeout, Some(2));
    let failed = pass(&watcher, T0 + 10).await.expect_err("no copy written");
    assert!(matches!(failed, PassError::StateWrite(_)), "{failed}");
    assert!(watcher.journal().records().is_empty());
    assert_eq!(stored_state(&watcher).sequence, 1);
    pass(&watcher, T0 + 70).await.expect("pass");
    pass(&watcher, T0 + 130).await.expect("pass");
    assert_eq!(watcher.journal().records().len(), 1);
    assert_eq!(stored_state(&watcher).active, WEST);
}

/// **Fault:** the routing change succeeds but publishing the pass's metrics fails
/// (the metrics region's CloudWatch unreachable), in both modes.
/// **Expected:** routing moves and stays moved, the transition is recorded once, and the
/// report carries the warning "metrics not published".
#[tokio::test]
async fn routing_applied_but_metrics_failed() {
    for mode in [Mode::Records, Mode::HealthGate] {
        let (mut watcher, faults) = faulty(mode);
        watcher.settings_mut().metrics_region = "eu-west-1".into();
        let unreachable = AwsError::Unreachable("monitoring.eu-west-1: connection refused".into());
        faults.aim(
            Operation::PutMetricData,
            Some("eu-west-1"),
            unreachable,
            None,
        );
        alarm(&watcher, EAST, AlarmState::Alarm, T0);

        let report = pass(&watcher, T0 + 10).await.expect("pass");
        assert_eq!(report.active_after.as_deref(), Some(WEST), "{mode:?}");
        assert!(report.applied);
        assert_warns(&report, &["metrics not published"]);
        pass(&watcher, T0 + 70).await.expect("pass");
        assert_eq!(stored_state(&watcher).active, WEST, "{mode:?}");
        assert_eq!(watcher.journal().records().len(), 1, "{mode:?}");
    }
}

/// **Fault:** one region's every CloudWatch API is unreachable — home (active), then
/// the standby — in both modes.
/// **Expected:** the unread region is unknown: home unreachable is no reason to fail
/// over (Route 53's endpoint checks do that in the data plane), and the standby
/// unreachable changes nothing while home is healthy. Each pass succeeds; writes into
/// the unreachable region (a gate it hosts, metrics) are warnings; nothing is recorded.
#[tokio::test]
async fn a_whole_region_unreachable_moves_nothing() {
    for mode in [Mode::Records, Mode::HealthGate] {
        for down in [EAST, WEST] {
            let (watcher, faults) = faulty(mode);
            let unreachable =
                AwsError::Unreachable(format!("monitoring.{down}.amazonaws.com did not answer"));
            for api in [
                Operation::DescribeAlarms,
                Operation::PutMetricData,
                Operation::PutMetricAlarm,
            ] {
                faults.aim(api, Some(down), unreachable.clone(), None);
            }
            if down == EAST {
                faults.aim(
                    Operation::GetMetricData,
                    Some(EAST),
                    unreachable.clone(),
                    None,
                );
            }
            for minute in 0..3 {
                let report = pass(&watcher, T0 + 60 * minute).await.expect("pass");
                assert_eq!(
                    report.active_after.as_deref(),
                    Some(EAST),
                    "{mode:?} {down}"
                );
                assert!(
                    report_says(&report, &format!("DescribeAlarms in {down} failed")),
                    "{mode:?} {down}: {:?}",
                    report.reasons
                );
                if mode == Mode::HealthGate {
                    assert!(!report.warnings.is_empty(), "{mode:?} {down}");
                }
            }
            assert!(watcher.journal().records().is_empty(), "{mode:?} {down}");
            assert_eq!(watcher.route53().calls().change_records, 0);
        }
    }
}

/// **Fault:** the watcher Lambda is invoked with 2 s left of its timeout (an apply needs
/// its 10 s reserve), on a gate-mode failover, through the handler.
/// **Expected:** `PassError::OutOfTime` (Lambda error type `OutOfTime`, message "nothing
/// written"), an error log line, and nothing written: no gate, no state copy, no
/// metrics, no record. With a full minute left, the same event fails over.
#[tokio::test]
async fn a_nearly_spent_time_budget_writes_nothing() {
    let logs = Logs::capture();
    let (watcher, _) = faulty(Mode::HealthGate);
    alarm(&watcher, EAST, AlarmState::Alarm, T0);
    keep_endpoints_reporting(&watcher, T0 + 10);
    let event = |left: Duration| {
        let path = format!(
            "{}/../../events/watcher-alarm-alarm.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let payload = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let mut context = Context::default();
        context.invoked_function_arn =
            "arn:aws:lambda:us-east-1:123456789012:function:regionflip-watcher".into();
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis();
        context.deadline = u64::try_from(now_ms + left.as_millis()).unwrap();
        LambdaEvent::new(payload, context)
    };

    let error = handle(&watcher, event(Duration::from_secs(2)), T0 + 10)
        .await
        .expect_err("too little time");
    assert!(
        matches!(error, HandlerError::Pass(PassError::OutOfTime { .. })),
        "{error}"
    );
    let diagnostic = Diagnostic::from(error);
    assert_eq!(diagnostic.error_type, "OutOfTime");
    assert!(
        diagnostic.error_message.contains("nothing written"),
        "{}",
        diagnostic.error_message
    );
    assert!(
        logs.text().contains("too little time left"),
        "{}",
        logs.text()
    );
    let calls = watcher.cloudwatch().calls();
    assert_eq!((calls.put_metric_data, calls.put_metric_alarm), (0, 0));
    assert!(watcher.journal().records().is_empty());
    assert_eq!(stored_state(&watcher).active, EAST);

    let summary = handle(&watcher, event(Duration::from_secs(60)), T0 + 11)
        .await
        .expect("enough time");
    assert_eq!(summary["transition"]["to"], WEST);
    assert_eq!(watcher.journal().records().len(), 1);
}

// =======================================================================================
// A whole region unreachable, through the SDK adapters end to end.

/// us-west-2's `DescribeAlarms` answer when only it can be reached: its API alarm OK and
/// its copy of the state holder holding `state`.
fn west_alarms_holding(config: &Config, state: &EngineState) -> Rule {
    let state_holder = config.state_alarm_name();
    let description = state.encode();
    mock!(CloudWatchClient::describe_alarms).then_http_response(move || {
        http(
            200,
            format!(
                "<DescribeAlarmsResponse xmlns=\"{CLOUDWATCH_XMLNS}\"><DescribeAlarmsResult>\
                 <MetricAlarms><member><AlarmName>{WEST_ALARM}</AlarmName><StateValue>OK</StateValue>\
                 </member><member><AlarmName>{state_holder}</AlarmName><StateValue>OK</StateValue>\
                 <AlarmDescription>{description}</AlarmDescription></member></MetricAlarms>\
                 </DescribeAlarmsResult><ResponseMetadata><RequestId>r</RequestId>\
                 </ResponseMetadata></DescribeAlarmsResponse>"
            ),
        )
    })
}

/// us-west-2's watcher, with the production budget, when us-east-1 cannot be reached at
/// all (a closed loopback port behind its CloudWatch client) and us-west-2's CloudWatch
/// and Route 53 answer from `west` and `route53`.
async fn west_watcher_with_home_unreachable(
    config: Config,
    west: &[&Rule],
    route53: &Rule,
) -> Watcher<Route53Adapter, CloudWatchAdapter, MemoryJournal> {
    let budget = SdkBudget::default();
    let east =
        AwsClients::for_endpoint(&closed_port_endpoint().await, &[EAST.to_owned()], budget).await;
    Watcher::new(
        config,
        mocked_route53(&[route53], budget),
        CloudWatchAdapter::new(BTreeMap::from([
            (
                EAST.to_owned(),
                east.cloudwatch.client(EAST).unwrap().clone(),
            ),
            (
                WEST.to_owned(),
                mocked_cloudwatch_client(WEST, west, budget),
            ),
        ])),
        MemoryJournal::default(),
        WatcherSettings::for_region(WEST),
    )
}

/// **Fault:** us-east-1 (home, active, and the region of `AWS/Route53` metrics) cannot
/// be reached at all — a closed loopback port behind its CloudWatch client — while
/// us-west-2 answers (canned), in gate mode, with the production budget.
/// **Expected:** the pass succeeds without a transition: us-east-1's alarms and every
/// endpoint are unknown ("DescribeAlarms in us-east-1 failed: unreachable",
/// "HealthCheckStatus could not be read: unreachable"), so the unknown-data rule holds
/// traffic; us-west-2 is read once and gets home's gate; nothing is published to
/// us-east-1, because nothing the standby's routing needs lives there (the standby has
/// no gate: its record carries its endpoint check alone); Route 53 is never called.
#[tokio::test]
async fn home_region_unreachable_through_the_sdk_moves_nothing() {
    let config = sample_config(Mode::HealthGate);
    let state = EngineState {
        sequence: 1,
        ..EngineState::initial(EAST)
    };
    let west_alarms = west_alarms_holding(&config, &state);
    let west_puts =
        mock!(CloudWatchClient::put_metric_data).then_http_response(|| Op::PutGates.success());
    let route53_rule = mock!(Route53Client::list_resource_record_sets)
        .then_http_response(|| Op::ListRecords.success());
    let watcher =
        west_watcher_with_home_unreachable(config, &[&west_alarms, &west_puts], &route53_rule)
            .await;

    let report = watcher
        .reconcile(&Request::Automatic, T0, false)
        .await
        .expect("the pass succeeds");
    assert!(report.transition.is_none(), "{:?}", report.reasons);
    assert_eq!(report.active_after.as_deref(), Some(EAST));
    for reason in [
        "DescribeAlarms in us-east-1 failed: unreachable",
        "HealthCheckStatus could not be read: unreachable",
    ] {
        assert!(
            report_says(&report, reason),
            "{reason}: {:?}",
            report.reasons
        );
    }
    assert!(
        !report.warnings.iter().any(|w| w.contains("gate metrics")),
        "no gate is hosted in the unreachable home region: {:?}",
        report.warnings
    );
    assert_eq!(west_alarms.num_calls(), 1);
    // us-east-1's gate (hosted in us-west-2) and the pass's metrics (us-west-2).
    assert_eq!(west_puts.num_calls(), 2);
    assert_eq!(route53_rule.num_calls(), 0);
    assert!(watcher.journal().records().is_empty());
}

/// **Fault:** as above, us-east-1 wholly unreachable, with active/active routing.
/// **Expected:** the pass succeeds and moves nothing (us-east-1 is unknown, never a
/// reason to evacuate); the surviving region's gate goes to its own CloudWatch, open, so
/// its serving needs nothing of us-east-1 (with every record of the set unhealthy
/// Route 53 would answer them all, the dead region too); only us-east-1's own gate
/// cannot be published, and the pass says so. Route 53 is never called.
#[tokio::test]
async fn active_active_with_home_unreachable_the_survivor_s_gate_lives_in_its_own_region() {
    use regionflip_core::resources::GATE_METRIC;
    let mut config = sample_config(Mode::HealthGate);
    config.routing = regionflip_core::config::Routing::Latency;
    let state = EngineState {
        sequence: 1,
        ..EngineState::initial(EAST)
    };
    let west_alarms = west_alarms_holding(&config, &state);
    // Matches only a put of us-west-2's own gate, open, and nothing of another region's.
    let west_own_gate = mock!(CloudWatchClient::put_metric_data)
        .match_requests(|request| {
            let gates: Vec<_> = request
                .metric_data()
                .iter()
                .filter(|d| d.metric_name() == Some(GATE_METRIC))
                .collect();
            !gates.is_empty()
                && gates.iter().all(|d| {
                    d.value() == Some(1.0)
                        && d.dimensions()
                            .iter()
                            .any(|dim| dim.name() == Some("Region") && dim.value() == Some(WEST))
                })
        })
        .then_http_response(|| Op::PutGates.success());
    let west_pass_metrics = mock!(CloudWatchClient::put_metric_data)
        .match_requests(|request| {
            request
                .metric_data()
                .iter()
                .all(|d| d.metric_name() != Some(GATE_METRIC))
        })
        .then_http_response(|| Op::PutGates.success());
    let route53_rule = mock!(Route53Client::list_resource_record_sets)
        .then_http_response(|| Op::ListRecords.success());
    let watcher = west_watcher_with_home_unreachable(
        config,
        &[&west_alarms, &west_own_gate, &west_pass_metrics],
        &route53_rule,
    )
    .await;

    let report = watcher
        .reconcile(&Request::Automatic, T0, false)
        .await
        .expect("the pass succeeds");
    assert!(report.transition.is_none(), "{:?}", report.reasons);
    assert_eq!(west_own_gate.num_calls(), 1, "{:?}", report.warnings);
    assert_eq!(west_pass_metrics.num_calls(), 1);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("gate") && w.contains(EAST)),
        "only us-east-1's own gate cannot be published: {:?}",
        report.warnings
    );
    assert_eq!(route53_rule.num_calls(), 0);
    assert!(watcher.journal().records().is_empty());
}

// =======================================================================================
// Evidence that survives the outage: the watcher's own probes when Route 53's
// HealthCheckStatus (published only in us-east-1) cannot be read. The worlds start from
// `as_real_aws_delivers`: no HealthCheckStatus at all, the passive standby's request
// alarm in INSUFFICIENT_DATA, both health endpoints answering the probe.

/// A pass with the endpoints reporting nothing (Route 53 publishes no HealthCheckStatus
/// in these worlds, so unlike [`pass`] nothing is added), which must leave traffic on
/// `region`.
async fn unkind_pass_routing_to(watcher: &FaultyWatcher, now: u64, region: &str) -> PassReport {
    let report = watcher
        .reconcile(&Request::Automatic, now, false)
        .await
        .expect("the pass itself succeeds");
    assert_eq!(
        report.active_after.as_deref(),
        Some(region),
        "{:?}: {:?}",
        watcher.config().mode,
        report.reasons
    );
    report
}

/// **Fault:** `GetMetricData` (HealthCheckStatus, us-east-1) unreachable while home's
/// application alarm fires; the standby serves no traffic (alarm INSUFFICIENT_DATA).
/// **Expected:** fails over in both modes, on the standby's passing probe; the reasons
/// say the standby's alarm counted as idle and the probe vouched for it.
#[tokio::test]
async fn health_check_status_unreachable_and_home_s_alarm_firing_fails_over_on_the_standby_s_probe()
{
    for mode in [Mode::Records, Mode::HealthGate] {
        let watcher = as_real_aws_delivers(mode);
        watcher.route53().faults().aim(
            Operation::GetMetricData,
            None,
            AwsError::Unreachable("monitoring.us-east-1.amazonaws.com did not answer".into()),
            None,
        );
        alarm(&watcher, EAST, AlarmState::Alarm, T0);
        let report = unkind_pass_routing_to(&watcher, T0 + 10, WEST).await;
        assert_eq!(stored_state(&watcher).active, WEST, "{mode:?}");
        assert_eq!(watcher.journal().records().len(), 1, "{mode:?}");
        assert!(
            report_says(&report, WEST_URL),
            "{mode:?}: {:?}",
            report.reasons
        );
    }
}

/// **Fault:** us-east-1 (home) wholly unreachable — DescribeAlarms there and
/// HealthCheckStatus both fail — and home's endpoint refuses connections.
/// **Expected:** fails over: home's CloudWatch unreadable *and* its endpoint failing the
/// probe from another region's watcher is evidence enough, and the reasons say so.
#[tokio::test]
async fn us_east_1_unreachable_and_home_s_endpoint_down_fails_over() {
    for mode in [Mode::Records, Mode::HealthGate] {
        let mut watcher = as_real_aws_delivers(mode);
        watcher.settings_mut().metrics_region = WEST.into();
        watcher.cloudwatch().set_unreachable(EAST, true);
        watcher.prober().set(
            EAST_URL,
            ProbeOutcome::Failing(format!(
                "TCP connect to {EAST_URL} failed: Connection refused"
            )),
        );
        let report = unkind_pass_routing_to(&watcher, T0 + 10, WEST).await;
        assert!(
            report_says(&report, "cannot be read") && report_says(&report, EAST_URL),
            "{mode:?}: the reasons name both halves of the evidence: {:?}",
            report.reasons
        );
        assert_eq!(watcher.journal().records().len(), 1, "{mode:?}");
    }
}

/// **Fault:** us-east-1 (home) wholly unreachable, but home's endpoint answers the probe.
/// **Expected:** nothing moves (unreadable CloudWatch with the endpoint answering is no
/// evidence against home), nothing is recorded.
#[tokio::test]
async fn us_east_1_unreachable_with_every_endpoint_answering_moves_nothing() {
    for mode in [Mode::Records, Mode::HealthGate] {
        let mut watcher = as_real_aws_delivers(mode);
        watcher.settings_mut().metrics_region = WEST.into();
        watcher.cloudwatch().set_unreachable(EAST, true);
        let report = unkind_pass_routing_to(&watcher, T0 + 10, EAST).await;
        assert!(
            report.transition.is_none(),
            "{mode:?}: {:?}",
            report.reasons
        );
        assert!(watcher.journal().records().is_empty(), "{mode:?}");
        assert_eq!(stored_state(&watcher).active, EAST, "{mode:?}");
    }
}

/// **Fault:** the standby's endpoint never answers the probe (a timeout) while home's
/// alarm fires and HealthCheckStatus has no data.
/// **Expected:** the standby is never a target: nothing moves, `NoHealthyTarget`, and
/// the standby's evidence names the timeout.
#[tokio::test]
async fn a_standby_whose_endpoint_times_out_is_never_a_target() {
    for mode in [Mode::Records, Mode::HealthGate] {
        let watcher = as_real_aws_delivers(mode);
        watcher.prober().set(
            WEST_URL,
            ProbeOutcome::TimedOut("no HTTP status within 2 s of connecting".into()),
        );
        alarm(&watcher, EAST, AlarmState::Alarm, T0);
        let report = unkind_pass_routing_to(&watcher, T0 + 10, EAST).await;
        assert!(
            report.transition.is_none(),
            "{mode:?}: {:?}",
            report.reasons
        );
        assert!(
            report_says(&report, "no HTTP status within 2 s"),
            "{mode:?}: {:?}",
            report.regions
        );
        assert!(watcher.journal().records().is_empty(), "{mode:?}");
    }
}

/// Regression (gate mode moved traffic when no state copy was written): `PutMetricAlarm`
/// refused in every region (throttled) while home's alarm toggles every minute.
/// **Expected:** no gate ever closes (a move is published only after a state copy that
/// explains it is written), every pass fails saying traffic did not move, nothing is
/// recorded; once the state can be written, one failover, recorded once.
#[tokio::test]
async fn gate_mode_publishes_no_gate_while_no_state_copy_can_be_written() {
    let (watcher, faults) = faulty(Mode::HealthGate);
    let throttled = AwsError::Throttled("Throttling: Rate exceeded".into());
    faults.aim(Operation::PutMetricAlarm, None, throttled, None);
    for minute in 0..6 {
        let state = if minute % 2 == 0 {
            AlarmState::Alarm
        } else {
            AlarmState::Ok
        };
        alarm(&watcher, EAST, state, T0 + 60 * minute);
        match pass(&watcher, T0 + 60 * minute + 10).await {
            Err(failed) => {
                assert!(matches!(failed, PassError::StateWrite(_)), "{failed}");
                assert!(
                    failed.to_string().contains("traffic did not move"),
                    "{failed}"
                );
            }
            Ok(report) => assert!(report.transition.is_none(), "{:?}", report.reasons),
        }
        assert_ne!(
            last_gate(&watcher, EAST),
            Some(0.0),
            "minute {minute}: home's gate closed without a state copy"
        );
    }
    assert!(watcher.journal().records().is_empty());
    assert_eq!(stored_state(&watcher).sequence, 1);

    faults.clear();
    alarm(&watcher, EAST, AlarmState::Alarm, T0 + 400);
    let report = pass(&watcher, T0 + 410)
        .await
        .expect("the state is written now");
    assert_eq!(report.active_after.as_deref(), Some(WEST));
    assert_eq!(last_gate(&watcher, EAST), Some(0.0));
    assert_eq!(watcher.journal().records().len(), 1);
}
