//! The AWS SDK side of the [`crate::ports`] traits: client construction and error
//! classification.
//!
//! Clients are built once per cold start from one [`SdkConfig`] (credentials, HTTP
//! connection pool, timeouts and retry policy shared by every client) and reused by every
//! invocation of the sandbox. Production and tests differ only in where that config
//! comes from: [`load_clients`] reads the standard AWS sources (the Lambda role's
//! environment credentials, `AWS_REGION`, profiles, `AWS_ENDPOINT_URL`), while
//! [`AwsClients::for_endpoint`] pins an endpoint URL and static dummy credentials for
//! moto. Both then go through [`AwsClients::from_sdk_config`], so the clients the drill
//! exercises are built exactly as the ones that run in production.
//!
//! Every SDK error is turned into an [`AwsError`] by one function, [`classify`], shared
//! by both adapters, so "throttled", "timed out" and "unreachable" mean the same thing
//! whichever service answered.

mod cloudwatch;
mod route53;

use std::collections::BTreeMap;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_route53::config::Credentials;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

pub use cloudwatch::CloudWatchAdapter;
pub use route53::Route53Adapter;

use crate::ports::AwsError;

/// The region that serves the Route 53 control plane and the only region where Route 53
/// publishes `AWS/Route53` metrics such as `HealthCheckStatus`.
pub const ROUTE53_HOME_REGION: &str = "us-east-1";

/// Time and retry budget of every SDK call.
///
/// The default is sized for a watcher pass that makes a handful of sequential calls
/// inside a 30 s Lambda timeout: each call, retries and backoff included, is cut off
/// after [`operation_timeout`](Self::operation_timeout) (5 s), so five calls that all
/// hit their limit still leave time to report the failure instead of being killed
/// mid-pass. Within that, an attempt gets 2 s (a healthy Route 53 or CloudWatch call
/// answers in well under a second), a TCP/TLS connect 1 s, and up to 3 attempts with
/// the SDK's standard (exponential, jittered) backoff absorb a throttling burst or one
/// dropped connection. Waiting longer would not help: the next scheduled pass retries
/// anyway, and the engine keeps no state in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdkBudget {
    /// Limit on establishing a connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// Limit on one attempt, from sending the request to reading the whole response.
    pub attempt_timeout: Duration,
    /// Limit on the whole call, every attempt and backoff included.
    pub operation_timeout: Duration,
    /// Attempts per call, the first included (1 disables retries).
    pub max_attempts: u32,
}

impl Default for SdkBudget {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(1),
            attempt_timeout: Duration::from_secs(2),
            operation_timeout: Duration::from_secs(5),
            max_attempts: 3,
        }
    }
}

impl SdkBudget {
    /// The SDK timeout configuration for this budget.
    pub fn timeout_config(&self) -> TimeoutConfig {
        TimeoutConfig::builder()
            .connect_timeout(self.connect_timeout)
            .operation_attempt_timeout(self.attempt_timeout)
            .operation_timeout(self.operation_timeout)
            .build()
    }

    /// The SDK retry configuration for this budget: standard mode, which retries
    /// throttling (including Route 53's `PriorRequestNotComplete`), transient and
    /// timeout errors with jittered exponential backoff.
    pub fn retry_config(&self) -> RetryConfig {
        RetryConfig::standard().with_max_attempts(self.max_attempts.max(1))
    }
}

/// Every client the watcher needs, built once per cold start.
#[derive(Debug, Clone)]
pub struct AwsClients {
    /// Route 53 (global; its control plane is in us-east-1).
    pub route53: Route53Adapter,
    /// CloudWatch in every configured region plus us-east-1.
    pub cloudwatch: CloudWatchAdapter,
}

/// Loads the SDK configuration from the standard AWS sources and builds the clients for
/// `regions` (the production path).
///
/// Honours everything `aws_config` honours: on Lambda the role's credentials and
/// `AWS_REGION` from the environment; elsewhere profiles, and `AWS_ENDPOINT_URL` to point
/// every client at a local endpoint.
pub async fn load_clients(regions: &[String], budget: SdkBudget) -> AwsClients {
    AwsClients::from_sdk_config(&load_sdk_config(budget).await, regions)
}

/// The SDK configuration [`load_clients`] builds its clients from, for a caller that
/// needs more clients on the same credentials, timeouts and retries (the CLI's journal).
pub async fn load_sdk_config(budget: SdkBudget) -> SdkConfig {
    config_loader(budget).load().await
}

impl AwsClients {
    /// Builds the clients against `endpoint_url` with static dummy credentials (moto, the
    /// drill). Apart from the endpoint, the credentials and a fixed default region, the
    /// configuration is the one [`load_clients`] builds.
    pub async fn for_endpoint(endpoint_url: &str, regions: &[String], budget: SdkBudget) -> Self {
        let credentials = Credentials::new(
            "regionflip-test-access-key",
            "regionflip-test-secret-key",
            None,
            None,
            "regionflip-static",
        );
        let config = config_loader(budget)
            .endpoint_url(endpoint_url)
            .credentials_provider(credentials)
            // Pinned so that loading never probes IMDS for a region; every client
            // overrides it anyway.
            .region(Region::new(ROUTE53_HOME_REGION))
            .load()
            .await;
        Self::from_sdk_config(&config, regions)
    }

    /// Builds the clients from a loaded configuration: one CloudWatch client per region
    /// in `regions` plus us-east-1 (for `AWS/Route53` metrics), and the Route 53 client
    /// in us-east-1. All share the configuration's credentials, HTTP client, timeouts and
    /// retry policy; only the region differs.
    pub fn from_sdk_config(config: &SdkConfig, regions: &[String]) -> Self {
        let route53 = aws_sdk_route53::Client::from_conf(
            aws_sdk_route53::config::Builder::from(config)
                .region(Region::new(ROUTE53_HOME_REGION))
                .build(),
        );
        let cloudwatch = regions
            .iter()
            .map(String::as_str)
            .chain([ROUTE53_HOME_REGION])
            .map(|region| {
                let client = aws_sdk_cloudwatch::Client::from_conf(
                    aws_sdk_cloudwatch::config::Builder::from(config)
                        .region(Region::new(region.to_owned()))
                        .build(),
                );
                (region.to_owned(), client)
            })
            .collect::<BTreeMap<_, _>>();
        Self {
            route53: Route53Adapter::new(route53),
            cloudwatch: CloudWatchAdapter::new(cloudwatch),
        }
    }
}

/// The one place both construction paths configure the SDK.
fn config_loader(budget: SdkBudget) -> aws_config::ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(budget.timeout_config())
        .retry_config(budget.retry_config())
}

/// Error codes AWS services use for "slow down". Route 53 answers a second change to a
/// zone whose previous change is still being applied with `PriorRequestNotComplete`,
/// which is the same condition: come back later.
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "PriorRequestNotComplete",
    "SlowDown",
];

/// Classifies an SDK error, whichever operation or service it came from.
///
/// * timeouts of the operation or an attempt, and connections that timed out →
///   [`AwsError::Timeout`];
/// * any other failure to send the request or read a response (refused connection,
///   DNS, TLS, I/O) → [`AwsError::Unreachable`];
/// * throttling codes or HTTP 429 → [`AwsError::Throttled`];
/// * every other error the service returned → [`AwsError::Service`] with its code.
///
/// After retries, the SDK hands back the last attempt's error, so a call throttled on
/// every attempt arrives here as a throttling service error.
pub fn classify<E>(err: &SdkError<E, HttpResponse>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let description = || DisplayErrorContext(err).to_string();
    match err {
        SdkError::TimeoutError(_) => AwsError::Timeout(description()),
        SdkError::DispatchFailure(failure) if failure.is_timeout() => {
            AwsError::Timeout(description())
        }
        SdkError::DispatchFailure(_) => AwsError::Unreachable(description()),
        SdkError::ServiceError(_) => {
            let code = err.code().unwrap_or("Unknown");
            let message = err.message().unwrap_or_default();
            let too_many_requests = err
                .raw_response()
                .is_some_and(|response| response.status().as_u16() == 429);
            if THROTTLING_CODES.contains(&code) || too_many_requests {
                AwsError::Throttled(format!("{code}: {message}"))
            } else {
                AwsError::Service {
                    code: code.to_owned(),
                    message: message.to_owned(),
                }
            }
        }
        // The service answered with something the SDK could not parse (a proxy's HTML
        // page, a protocol the pinned client does not speak).
        SdkError::ResponseError(_) => AwsError::Service {
            code: "UnparseableResponse".into(),
            message: description(),
        },
        // The request could not even be built: a bug on our side, reported with the
        // SDK's explanation.
        SdkError::ConstructionFailure(_) => AwsError::Service {
            code: "ConstructionFailure".into(),
            message: description(),
        },
        _ => AwsError::Service {
            code: "Unknown".into(),
            message: description(),
        },
    }
}

/// Converts Unix seconds into the SDK's timestamp type.
fn to_sdk_time(unix_seconds: u64) -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from_secs(i64::try_from(unix_seconds).unwrap_or(i64::MAX))
}

/// Converts the SDK's timestamp into Unix seconds; instants before 1970 are clamped to 0
/// (no AWS timestamp the watcher reads predates its resources).
fn from_sdk_time(time: &aws_smithy_types::DateTime) -> u64 {
    u64::try_from(time.secs()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use aws_sdk_route53::operation::list_resource_record_sets::ListResourceRecordSetsError;
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    use super::*;

    #[test]
    fn default_budget_leaves_room_for_five_calls_in_a_lambda_timeout() {
        let budget = SdkBudget::default();
        assert!(budget.operation_timeout * 5 < Duration::from_secs(30));
        assert!(budget.attempt_timeout < budget.operation_timeout);
        assert!(budget.connect_timeout < budget.attempt_timeout);
        let timeouts = budget.timeout_config();
        assert_eq!(timeouts.operation_timeout(), Some(budget.operation_timeout));
        assert_eq!(
            timeouts.operation_attempt_timeout(),
            Some(budget.attempt_timeout)
        );
        assert_eq!(timeouts.connect_timeout(), Some(budget.connect_timeout));
        assert_eq!(budget.retry_config().max_attempts(), 3);
    }

    #[test]
    fn zero_attempts_still_makes_one() {
        let budget = SdkBudget {
            max_attempts: 0,
            ..SdkBudget::default()
        };
        assert_eq!(budget.retry_config().max_attempts(), 1);
    }

    fn service_error(
        status: u16,
        code: Option<&str>,
    ) -> SdkError<ListResourceRecordSetsError, HttpResponse> {
        let mut meta = ErrorMetadata::builder().message("from the service");
        if let Some(code) = code {
            meta = meta.code(code);
        }
        SdkError::service_error(
            ListResourceRecordSetsError::generic(meta.build()),
            HttpResponse::new(
                StatusCode::try_from(status).expect("a valid status"),
                SdkBody::empty(),
            ),
        )
    }

    #[test]
    fn errors_are_classified_by_kind_and_code() {
        type Error = SdkError<ListResourceRecordSetsError, HttpResponse>;
        assert!(matches!(
            classify(&Error::timeout_error("operation timed out")),
            AwsError::Timeout(_)
        ));
        assert!(matches!(
            classify(&Error::dispatch_failure(ConnectorError::timeout(
                "connect timed out".into()
            ))),
            AwsError::Timeout(_)
        ));
        assert!(matches!(
            classify(&Error::dispatch_failure(ConnectorError::io(
                "connection refused".into()
            ))),
            AwsError::Unreachable(_)
        ));
        assert_eq!(
            classify(&service_error(400, Some("Throttling"))),
            AwsError::Throttled("Throttling: from the service".into())
        );
        assert!(matches!(
            classify(&service_error(400, Some("PriorRequestNotComplete"))),
            AwsError::Throttled(_)
        ));
        assert!(matches!(
            classify(&service_error(429, None)),
            AwsError::Throttled(_)
        ));
        assert_eq!(
            classify(&service_error(404, Some("NoSuchHostedZone"))),
            AwsError::Service {
                code: "NoSuchHostedZone".into(),
                message: "from the service".into()
            }
        );
    }

    #[test]
    fn sdk_time_round_trips_unix_seconds() {
        assert_eq!(from_sdk_time(&to_sdk_time(1_700_000_000)), 1_700_000_000);
        assert_eq!(from_sdk_time(&aws_smithy_types::DateTime::from_secs(-5)), 0);
    }
}
