//! The handler behind `lambda_http`, fed the sample events in `events/health-*.json`
//! (the same files `cargo lambda invoke --data-file` uses).

use lambda_http::http::header::{ALLOW, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, USER_AGENT};
use lambda_http::http::{Method, StatusCode};
use lambda_http::request::{RequestContext, from_str};
use lambda_http::{Body, IntoResponse, Request, RequestExt};
use regionflip_health::config::{DRAIN_VAR, MATCH_VAR, PATH_VAR, REGION_VAR, SERVICE_NAME_VAR};
use regionflip_health::lambda::route_path;
use regionflip_health::{Config, Prepared, respond};

const REST_GET: &str = include_str!("../../../events/health-rest-get.json");
const REST_HEAD: &str = include_str!("../../../events/health-rest-head.json");
const REST_POST: &str = include_str!("../../../events/health-rest-post.json");
const HTTP_API_GET: &str = include_str!("../../../events/health-http-api-get.json");
const FUNCTION_URL_GET: &str = include_str!("../../../events/health-function-url-get.json");

const ROUTE53_USER_AGENT_PREFIX: &str = "Amazon-Route53-Health-Check-Service (ref ";
const MATCH: &str = "regionflip-healthy";

/// What a Lambda HTTP integration hands back to API Gateway / the function URL.
struct LambdaAnswer {
    status: StatusCode,
    headers: lambda_http::http::HeaderMap,
    body: Body,
}

fn prepared(extra: &[(&str, &str)]) -> Prepared {
    let mut vars = vec![
        ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"),
        (REGION_VAR, "eu-west-1"),
    ];
    vars.extend_from_slice(extra);
    Prepared::new(&Config::from_vars(vars).expect("valid configuration"))
}

fn event(json: &str) -> Request {
    from_str(json).expect("event parses as a lambda_http request")
}

/// Runs the handler as `lambda::run` does, including lambda_http's body conversion,
/// which decides between a text and a base64 body from the Content-Type.
fn invoke(prepared: &Prepared, request: &Request) -> LambdaAnswer {
    let response = respond(prepared, request.method(), route_path(request));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let (parts, body) = runtime.block_on(response.into_response()).into_parts();
    LambdaAnswer {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

fn header(answer: &LambdaAnswer, name: lambda_http::http::header::HeaderName) -> &str {
    answer
        .headers
        .get(name)
        .map(|v| v.to_str().expect("ASCII"))
        .unwrap_or_default()
}

fn text(answer: &LambdaAnswer) -> &str {
    match &answer.body {
        Body::Text(text) => text,
        Body::Empty => "",
        other => panic!("body must be plain text for API Gateway, got {other:?}"),
    }
}

fn assert_healthy(answer: &LambdaAnswer) {
    assert_eq!(answer.status, StatusCode::OK);
    let body = text(answer);
    let json: serde_json::Value = serde_json::from_str(body).expect("JSON body");
    assert_eq!(
        json,
        serde_json::json!({"status": "ok", "match": MATCH, "service": "regionflip", "region": "eu-west-1"})
    );
    assert!(body.find(MATCH).is_some_and(|at| at < 5120));
    assert_eq!(header(answer, CONTENT_TYPE), "application/json");
    assert_eq!(header(answer, CACHE_CONTROL), "no-store");
    assert_eq!(header(answer, CONTENT_LENGTH), body.len().to_string());
}

fn assert_draining(answer: &LambdaAnswer) {
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    let body = text(answer);
    let json: serde_json::Value = serde_json::from_str(body).expect("JSON body");
    assert_eq!(json["status"], "draining");
    assert!(!body.contains(MATCH), "{body}");
    assert_eq!(header(answer, CACHE_CONTROL), "no-store");
}

#[test]
fn every_sample_event_comes_from_a_route53_checker() {
    for json in [
        REST_GET,
        REST_HEAD,
        REST_POST,
        HTTP_API_GET,
        FUNCTION_URL_GET,
    ] {
        let request = event(json);
        let agent = request
            .headers()
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(agent.starts_with(ROUTE53_USER_AGENT_PREFIX), "{agent}");
        assert!(
            agent.ends_with("; report http://amzn.to/1vsZADi)"),
            "{agent}"
        );
    }
}

#[test]
fn rest_get_is_healthy() {
    let request = event(REST_GET);
    assert!(matches!(
        request.request_context_ref(),
        Some(RequestContext::ApiGatewayV1(_))
    ));
    assert_eq!(request.method(), Method::GET);
    assert_healthy(&invoke(&prepared(&[]), &request));
}

#[test]
fn rest_stage_is_not_part_of_the_route() {
    let request = event(REST_GET);
    let Some(RequestContext::ApiGatewayV1(context)) = request.request_context_ref() else {
        panic!("REST event");
    };
    // The REST event was served at /prod/health …
    assert_eq!(context.stage.as_deref(), Some("prod"));
    assert_eq!(context.path.as_deref(), Some("/prod/health"));
    // … and routes as /health whether or not lambda_http put the stage into the URI
    // (it does unless AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH is set).
    assert!(["/prod/health", "/health"].contains(&request.uri().path()));
    assert_eq!(route_path(&request), "/health");
    // So the configured path is the resource path, never the stage-prefixed one.
    let staged = prepared(&[(PATH_VAR, "/prod/health")]);
    assert_eq!(invoke(&staged, &request).status, StatusCode::NOT_FOUND);
}

#[test]
fn rest_head_has_get_headers_and_no_body() {
    let request = event(REST_HEAD);
    assert_eq!(request.method(), Method::HEAD);
    let prepared = prepared(&[]);
    let head = invoke(&prepared, &request);
    let get = invoke(&prepared, &event(REST_GET));
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(text(&head), "");
    assert_eq!(head.headers, get.headers);
}

#[test]
fn rest_post_is_refused_with_405_and_allow() {
    let request = event(REST_POST);
    assert_eq!(request.method(), Method::POST);
    let answer = invoke(&prepared(&[]), &request);
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(&answer, ALLOW), "GET, HEAD");
    assert_eq!(text(&answer), r#"{"error":"method not allowed"}"#);
    assert_eq!(header(&answer, CACHE_CONTROL), "no-store");
}

#[test]
fn http_api_get_on_a_named_stage_is_healthy() {
    let request = event(HTTP_API_GET);
    let Some(RequestContext::ApiGatewayV2(context)) = request.request_context_ref() else {
        panic!("HTTP API event");
    };
    // HTTP API events on a named stage carry the stage in rawPath; we strip it.
    assert_eq!(context.stage.as_deref(), Some("prod"));
    assert_eq!(request.raw_http_path(), "/prod/health");
    assert_eq!(route_path(&request), "/health");
    assert_healthy(&invoke(&prepared(&[]), &request));
}

#[test]
fn function_url_get_is_healthy() {
    let request = event(FUNCTION_URL_GET);
    let Some(RequestContext::ApiGatewayV2(context)) = request.request_context_ref() else {
        panic!("function URL events have the HTTP API payload 2.0 shape");
    };
    assert_eq!(context.stage.as_deref(), Some("$default"));
    assert_eq!(route_path(&request), "/health");
    assert_healthy(&invoke(&prepared(&[]), &request));
}

#[test]
fn every_get_event_answers_503_draining_when_the_switch_is_on() {
    let draining = prepared(&[(DRAIN_VAR, "true")]);
    for json in [REST_GET, HTTP_API_GET, FUNCTION_URL_GET] {
        assert_draining(&invoke(&draining, &event(json)));
    }
    let head = invoke(&draining, &event(REST_HEAD));
    assert_eq!(head.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(text(&head), "");
}

#[test]
fn every_event_honours_the_configured_service_name_and_match() {
    let custom = prepared(&[(SERVICE_NAME_VAR, "checkout"), (MATCH_VAR, "checkout-ok")]);
    for json in [REST_GET, HTTP_API_GET, FUNCTION_URL_GET] {
        let answer = invoke(&custom, &event(json));
        assert_eq!(answer.status, StatusCode::OK);
        assert!(
            text(&answer)
                .starts_with(r#"{"status":"ok","match":"checkout-ok","service":"checkout""#)
        );
    }
}

/// Variants of the HTTP API event that pin down the stage stripping at its edges.
#[test]
fn http_api_stage_stripping_only_removes_a_whole_leading_segment() {
    let cases = [
        // (stage, rawPath, route)
        ("$default", "/health", "/health"),
        ("prod", "/prod/health", "/health"),
        ("prod", "/prod", "/"),
        ("prod", "/production/health", "/production/health"),
        ("prod", "/health", "/health"),
    ];
    for (stage, raw_path, route) in cases {
        let mut json: serde_json::Value = serde_json::from_str(HTTP_API_GET).expect("JSON");
        json["rawPath"] = raw_path.into();
        json["requestContext"]["http"]["path"] = raw_path.into();
        json["requestContext"]["stage"] = stage.into();
        let request = event(&json.to_string());
        assert_eq!(
            route_path(&request),
            route,
            "stage {stage}, rawPath {raw_path}"
        );
    }
}

#[test]
fn unknown_paths_in_events_answer_404() {
    let mut json: serde_json::Value = serde_json::from_str(FUNCTION_URL_GET).expect("JSON");
    json["rawPath"] = "/admin".into();
    json["requestContext"]["http"]["path"] = "/admin".into();
    let answer = invoke(&prepared(&[]), &event(&json.to_string()));
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(text(&answer), r#"{"error":"not found"}"#);
}
