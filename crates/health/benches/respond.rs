//! In-process cost of answering one request (budget: `BUDGET_HEALTH_HANDLER_NS` in
//! scripts/bench/budgets.json, judged by scripts/bench-health.sh).
//!
//! `respond` is what both the Lambda adapter and the local server call per request;
//! `route_path` is the extra work the Lambda adapter does to find the path in an event.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use lambda_http::http::Method;
use lambda_http::request::from_str;
use regionflip_health::lambda::route_path;
use regionflip_health::{Config, Prepared, respond};

const HTTP_API_GET: &str = include_str!("../../../events/health-http-api-get.json");

fn prepared(drain: &str) -> Prepared {
    let config = Config::from_vars([
        ("AWS_REGION", "eu-west-1"),
        ("REGIONFLIP_HEALTH_DRAIN", drain),
    ])
    .expect("valid configuration");
    Prepared::new(&config)
}

fn handler(c: &mut Criterion) {
    let healthy = prepared("false");
    let draining = prepared("true");
    // Ids are stable: scripts/bench-health.sh reads their estimates for the budget check.
    let mut group = c.benchmark_group("health");
    group.bench_function("respond_get_healthy", |b| {
        b.iter(|| {
            respond(
                black_box(&healthy),
                black_box(&Method::GET),
                black_box("/health"),
            )
        })
    });
    group.bench_function("respond_get_draining", |b| {
        b.iter(|| {
            respond(
                black_box(&draining),
                black_box(&Method::GET),
                black_box("/health"),
            )
        })
    });
    group.bench_function("respond_head", |b| {
        b.iter(|| {
            respond(
                black_box(&healthy),
                black_box(&Method::HEAD),
                black_box("/health"),
            )
        })
    });
    group.bench_function("respond_not_found", |b| {
        b.iter(|| {
            respond(
                black_box(&healthy),
                black_box(&Method::GET),
                black_box("/unknown"),
            )
        })
    });
    let request = from_str(HTTP_API_GET).expect("sample event");
    group.bench_function("route_path_and_respond_http_api_event", |b| {
        b.iter(|| {
            let request = black_box(&request);
            respond(&healthy, request.method(), route_path(request))
        })
    });
    group.finish();
}

criterion_group!(benches, handler);
criterion_main!(benches);
