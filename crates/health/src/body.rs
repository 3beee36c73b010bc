//! The JSON bodies, built once at start.
//!
//! The fields are written by hand, not through a serialised map, so that their order is
//! fixed: `status` first and `match` second keeps the match string within the first few
//! dozen bytes, far inside the 5,120 bytes a Route 53 `*_STR_MATCH` check searches.
//! Only the values go through `serde_json`, for correct escaping.

/// Healthy body: `{"status":"ok","match":…,"service":…,"region":…}`.
pub fn healthy(service_name: &str, region: &str, match_string: &str) -> String {
    format!(
        r#"{{"status":"ok","match":{},"service":{},"region":{}}}"#,
        json_string(match_string),
        json_string(service_name),
        json_string(region)
    )
}

/// Draining body: `{"status":"draining","service":…,"region":…}`; it never holds the
/// match string, so string-matching checks fail on the body as well as on the status.
pub fn draining(service_name: &str, region: &str) -> String {
    format!(
        r#"{{"status":"draining","service":{},"region":{}}}"#,
        json_string(service_name),
        json_string(region)
    )
}

/// Body of 404 answers.
pub const NOT_FOUND: &str = r#"{"error":"not found"}"#;

/// Body of 405 answers.
pub const METHOD_NOT_ALLOWED: &str = r#"{"error":"method not allowed"}"#;

fn json_string(value: &str) -> String {
    // Serialising a &str cannot fail; the fallback only keeps the body valid JSON.
    serde_json::to_string(value).unwrap_or_else(|_| String::from("\"\""))
}
