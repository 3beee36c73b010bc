//! Serving under Lambda: API Gateway REST (payload 1.0), HTTP API (payload 2.0) and
//! function URL events, all through `lambda_http`.
//!
//! The stage is handled here, deliberately and independently of
//! `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH`: `lambda_http` prefixes the request URI with the
//! stage for API Gateway events unless that variable is set, which would make
//! `/prod/health` and `/health` depend on a setting far from this code. We route on the
//! raw path the event carries instead: REST events carry it without the stage, HTTP API
//! events on a named stage carry it with the stage (which we strip), and `$default`
//! stages and function URLs carry none.

use std::convert::Infallible;
use std::future::ready;
use std::sync::Arc;

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt, service_fn};

use crate::respond::{Prepared, respond_logged};

/// The path to route on for a Lambda HTTP event: the raw path, minus the stage prefix that
/// HTTP API events on a named stage carry.
pub fn route_path(request: &Request) -> &str {
    let raw = request.raw_http_path();
    let stage = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.stage.as_deref(),
        // REST events' `path` never holds the stage; other sources have none.
        _ => None,
    };
    match stage {
        Some(stage) if stage != "$default" => strip_stage(raw, stage),
        _ => raw,
    }
}

fn strip_stage<'a>(path: &'a str, stage: &str) -> &'a str {
    match path.strip_prefix('/').and_then(|p| p.strip_prefix(stage)) {
        Some(rest) if rest.starts_with('/') => rest,
        Some("") => "/",
        _ => path,
    }
}

/// Serves invocations until the runtime stops; errors are the runtime's (the handler
/// cannot fail).
pub async fn run(prepared: Arc<Prepared>) -> Result<(), lambda_http::Error> {
    lambda_http::run(service_fn(move |request: Request| {
        let response = respond_logged(
            &prepared,
            request.method(),
            route_path(&request),
            request.headers(),
        );
        ready(Ok::<_, Infallible>(response))
    }))
    .await
}
