//! The one request handler, shared by the Lambda adapter and the local server.
//!
//! Everything a response needs is computed once in [`Prepared::new`]; answering a request
//! is a path comparison, a method match and a few reference-count increments. Health
//! probes arrive more than once a second forever, so the request path does no I/O and
//! no formatting.

use bytes::Bytes;
use http_body_util::Full;
use lambda_http::http::header::{ALLOW, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use lambda_http::http::{HeaderMap, Method, Response, StatusCode};

use crate::body;
use crate::config::Config;

/// Response type of [`respond`]: a fixed, fully buffered body.
pub type HealthResponse = Response<Full<Bytes>>;

/// Value of the `Allow` header on 405 answers.
pub const ALLOWED_METHODS: &str = "GET, HEAD";

/// One precomputed answer.
#[derive(Debug, Clone)]
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Reply {
    fn new(status: StatusCode, body: impl Into<String>) -> Self {
        let body = Bytes::from(body.into());
        let mut headers = HeaderMap::with_capacity(4);
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        // Route 53 and any cache in between must see the live state, drain included.
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        // Set for HEAD too (same value as GET, as RFC 9110 §9.3.2 recommends); hyper
        // frames HEAD answers accordingly and sends no body.
        headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
        Reply {
            status,
            headers,
            body,
        }
    }

    fn to_response(&self, with_body: bool) -> HealthResponse {
        let body = if with_body {
            self.body.clone()
        } else {
            Bytes::new()
        };
        let mut response = Response::new(Full::new(body));
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers.clone();
        response
    }
}

/// The answers for one configuration, built once at start.
#[derive(Debug, Clone)]
pub struct Prepared {
    path: Box<str>,
    health: Reply,
    not_found: Reply,
    method_not_allowed: Reply,
}

impl Prepared {
    /// Builds every answer the endpoint can give under `config`.
    pub fn new(config: &Config) -> Self {
        let health = if config.drain {
            Reply::new(
                StatusCode::SERVICE_UNAVAILABLE,
                body::draining(&config.service_name, &config.region),
            )
        } else {
            Reply::new(
                StatusCode::OK,
                body::healthy(&config.service_name, &config.region, &config.match_string),
            )
        };
        let mut method_not_allowed =
            Reply::new(StatusCode::METHOD_NOT_ALLOWED, body::METHOD_NOT_ALLOWED);
        method_not_allowed
            .headers
            .insert(ALLOW, HeaderValue::from_static(ALLOWED_METHODS));
        Prepared {
            path: config.path.as_str().into(),
            health,
            not_found: Reply::new(StatusCode::NOT_FOUND, body::NOT_FOUND),
            method_not_allowed,
        }
    }

    /// The path that answers health checks.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Status of `GET` on the health path: 200, or 503 while draining.
    pub fn health_status(&self) -> StatusCode {
        self.health.status
    }

    /// Body of `GET` on the health path.
    pub fn health_body(&self) -> &Bytes {
        &self.health.body
    }
}

/// Answers one request. `path` is the request path without query string (and, under API
/// Gateway, without the stage: see [`crate::lambda::route_path`]).
///
/// Unknown paths get 404 whatever the method; the health path answers `GET` and `HEAD`
/// and refuses everything else with 405 and `Allow: GET, HEAD`. `HEAD` answers carry the
/// headers of the `GET` answer and an empty body.
pub fn respond(prepared: &Prepared, method: &Method, path: &str) -> HealthResponse {
    let with_body = method != Method::HEAD;
    if path != &*prepared.path {
        return prepared.not_found.to_response(with_body);
    }
    match *method {
        Method::GET | Method::HEAD => prepared.health.to_response(with_body),
        _ => prepared.method_not_allowed.to_response(with_body),
    }
}

/// Answers one request and logs it at debug level: the one place both serving paths
/// (Lambda and local) go through. Route 53 probes arrive more than once a second forever,
/// so they are never logged above debug.
pub fn respond_logged(
    prepared: &Prepared,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
) -> HealthResponse {
    let response = respond(prepared, method, path);
    tracing::debug!(
        method = %method,
        path,
        status = response.status().as_u16(),
        user_agent = headers
            .get(lambda_http::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok()),
        "health request"
    );
    response
}
