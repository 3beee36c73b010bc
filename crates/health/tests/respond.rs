//! The pure handler: routes, methods, headers and bodies, healthy and draining.

use bytes::Bytes;
use http_body_util::Full;
use lambda_http::http::header::{ALLOW, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE};
use lambda_http::http::{Method, StatusCode};
use regionflip_health::config::{
    DRAIN_VAR, MATCH_VAR, PATH_VAR, REGION_VAR, SERVICE_NAME_VAR, within_search_window,
};
use regionflip_health::{Config, HealthResponse, Prepared, respond};

const MATCH: &str = "checkout-healthy-7f3a";

fn prepared(extra: &[(&str, &str)]) -> Prepared {
    let mut vars = vec![
        (REGION_VAR, "eu-west-1"),
        (SERVICE_NAME_VAR, "checkout"),
        (MATCH_VAR, MATCH),
    ];
    vars.extend_from_slice(extra);
    Prepared::new(&Config::from_vars(vars).expect("valid configuration"))
}

fn body(response: &HealthResponse) -> Bytes {
    // Full yields its bytes in a single ready frame, so no runtime is needed to read it.
    use hyper::body::Body as _;
    let mut body: Full<Bytes> = response.body().clone();
    let waker = std::task::Waker::noop();
    let mut context = std::task::Context::from_waker(waker);
    match std::pin::Pin::new(&mut body).poll_frame(&mut context) {
        std::task::Poll::Ready(Some(Ok(frame))) => frame.into_data().unwrap_or_default(),
        std::task::Poll::Ready(None) => Bytes::new(),
        other => panic!("unexpected body poll: {other:?}"),
    }
}

fn header(response: &HealthResponse, name: impl lambda_http::http::header::AsHeaderName) -> &str {
    response
        .headers()
        .get(name)
        .map(|value| value.to_str().expect("ASCII header"))
        .unwrap_or_default()
}

fn json(bytes: &Bytes) -> serde_json::Value {
    serde_json::from_slice(bytes).expect("body is JSON")
}

#[test]
fn get_on_the_health_path_answers_200_with_the_static_json() {
    let prepared = prepared(&[]);
    let response = respond(&prepared, &Method::GET, "/health");
    assert_eq!(response.status(), StatusCode::OK);
    let body = body(&response);
    assert_eq!(
        json(&body),
        serde_json::json!({
            "status": "ok",
            "match": MATCH,
            "service": "checkout",
            "region": "eu-west-1",
        })
    );
    assert_eq!(header(&response, CONTENT_TYPE), "application/json");
    assert_eq!(header(&response, CACHE_CONTROL), "no-store");
    assert_eq!(header(&response, CONTENT_LENGTH), body.len().to_string());
}

#[test]
fn the_match_string_comes_early_and_the_body_stays_tiny() {
    let prepared = prepared(&[]);
    let body = body(&respond(&prepared, &Method::GET, "/health"));
    let text = std::str::from_utf8(&body).expect("UTF-8");
    let start = text.find(MATCH).expect("match string in body");
    assert!(start < 32, "match string at byte {start}: {text}");
    assert!(body.len() < 128, "{} bytes: {text}", body.len());
}

#[test]
fn even_the_largest_allowed_values_keep_the_match_in_route53s_search_window() {
    // Four-byte characters at every length limit: the worst case the validation admits.
    let service = "𝄞".repeat(64);
    let region = format!("eu-{}", "x".repeat(29));
    let match_string = "😀".repeat(255);
    let config = Config::from_vars([
        (SERVICE_NAME_VAR, service.as_str()),
        (REGION_VAR, region.as_str()),
        (MATCH_VAR, match_string.as_str()),
    ])
    .expect("longest values are valid");
    let prepared = Prepared::new(&config);
    let body = body(&respond(&prepared, &Method::GET, "/health"));
    let text = std::str::from_utf8(&body).expect("UTF-8");
    assert!(within_search_window(text, &match_string));
    // README promises under 2 KB.
    assert!(body.len() < 2048, "{} bytes", body.len());
}

#[test]
fn head_answers_like_get_without_a_body() {
    let prepared = prepared(&[]);
    let get = respond(&prepared, &Method::GET, "/health");
    let head = respond(&prepared, &Method::HEAD, "/health");
    assert_eq!(head.status(), StatusCode::OK);
    assert!(body(&head).is_empty());
    // Same headers, Content-Length included: the size a GET would return.
    assert_eq!(head.headers(), get.headers());
    assert_eq!(header(&head, CONTENT_LENGTH), body(&get).len().to_string());
}

#[test]
fn other_methods_answer_405_with_allow() {
    let prepared = prepared(&[]);
    for method in [
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::OPTIONS,
        Method::TRACE,
    ] {
        let response = respond(&prepared, &method, "/health");
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method}"
        );
        assert_eq!(header(&response, ALLOW), "GET, HEAD", "{method}");
        let body = body(&response);
        assert_eq!(
            json(&body),
            serde_json::json!({"error": "method not allowed"})
        );
        assert_eq!(header(&response, CONTENT_LENGTH), body.len().to_string());
        assert_eq!(header(&response, CACHE_CONTROL), "no-store");
    }
}

#[test]
fn unknown_paths_answer_404_whatever_the_method() {
    let prepared = prepared(&[]);
    for (method, path) in [
        (Method::GET, "/"),
        (Method::GET, "/health/"),
        (Method::GET, "/Health"),
        (Method::GET, "/prod/health"),
        (Method::POST, "/admin"),
        (Method::HEAD, "/healthz"),
    ] {
        let response = respond(&prepared, &method, path);
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{method} {path}");
        assert!(response.headers().get(ALLOW).is_none());
        assert_eq!(header(&response, CONTENT_TYPE), "application/json");
        if method == Method::HEAD {
            assert!(body(&response).is_empty());
        } else {
            assert_eq!(
                json(&body(&response)),
                serde_json::json!({"error": "not found"})
            );
        }
    }
}

#[test]
fn the_configured_path_replaces_the_default() {
    let prepared = prepared(&[(PATH_VAR, "/status/route53")]);
    assert_eq!(
        respond(&prepared, &Method::GET, "/status/route53").status(),
        StatusCode::OK
    );
    assert_eq!(
        respond(&prepared, &Method::GET, "/health").status(),
        StatusCode::NOT_FOUND
    );
}

#[test]
fn draining_answers_503_without_the_match_string() {
    let prepared = prepared(&[(DRAIN_VAR, "true")]);
    let response = respond(&prepared, &Method::GET, "/health");
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = body(&response);
    assert_eq!(
        json(&body),
        serde_json::json!({"status": "draining", "service": "checkout", "region": "eu-west-1"})
    );
    assert!(!std::str::from_utf8(&body).expect("UTF-8").contains(MATCH));
    assert_eq!(header(&response, CACHE_CONTROL), "no-store");
    assert_eq!(header(&response, CONTENT_LENGTH), body.len().to_string());

    let head = respond(&prepared, &Method::HEAD, "/health");
    assert_eq!(head.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(crate::body(&head).is_empty());
}

#[test]
fn drain_false_is_healthy() {
    let prepared = prepared(&[(DRAIN_VAR, "0")]);
    assert_eq!(
        respond(&prepared, &Method::GET, "/health").status(),
        StatusCode::OK
    );
}

#[test]
fn no_body_reveals_internals() {
    let prepared = prepared(&[]);
    let draining = self::prepared(&[(DRAIN_VAR, "true")]);
    let responses = [
        respond(&prepared, &Method::GET, "/health"),
        respond(&draining, &Method::GET, "/health"),
        respond(&prepared, &Method::GET, "/nope"),
        respond(&prepared, &Method::DELETE, "/health"),
    ];
    for response in &responses {
        let body = body(response);
        let text = std::str::from_utf8(&body).expect("UTF-8").to_lowercase();
        for secret in [
            env!("CARGO_PKG_VERSION"),
            "rust",
            "hyper",
            "lambda",
            "tokio",
            "panic",
            "src/",
            "error:",
            "stack",
        ] {
            assert!(!text.contains(secret), "{secret:?} in {text}");
        }
        assert!(body.len() < 128, "{text}");
        for name in response.headers().keys() {
            assert!(
                !["server", "x-powered-by"].contains(&name.as_str()),
                "header {name} reveals the stack"
            );
        }
    }
}

#[test]
fn the_prepared_answer_is_exposed_for_logging_and_benchmarks() {
    let healthy = prepared(&[]);
    assert_eq!(healthy.path(), "/health");
    assert_eq!(healthy.health_status(), StatusCode::OK);
    assert!(healthy.health_body().starts_with(br#"{"status":"ok""#));
    let draining = prepared(&[(DRAIN_VAR, "1")]);
    assert_eq!(draining.health_status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[test]
fn bodies_are_shared_not_rebuilt_per_request() {
    let prepared = prepared(&[]);
    let first = body(&respond(&prepared, &Method::GET, "/health"));
    let second = body(&respond(&prepared, &Method::GET, "/health"));
    // Same bytes in memory as the prepared body: a reference-count increment, no copy.
    assert_eq!(first.as_ptr(), prepared.health_body().as_ptr());
    assert_eq!(second.as_ptr(), prepared.health_body().as_ptr());
}
