//! Configuration tests: every mistake an operator can make gets its own error that names
//! the key as they wrote it (`regions[2].name` in TOML, `REGIONFLIP_REGION_2_NAME` in the
//! environment); one run reports every mistake; the TOML file and the environment give
//! the same configuration; and the defaults and the shipped example file are right.
//!
//! Each case starts from one valid document ([`base`]) held as logical keys, edits it,
//! and renders it both as TOML and as environment variables, so that the two sources
//! are checked against the same edits.

use regionflip_core::{Config, ConfigErrors, FailbackMode, Mode, NoDataOnStandby, RecordType};

/// A configuration document as `(logical key, TOML value)` pairs, in order. Logical keys
/// are `hosted_zone_id`, `failback.mode`, `regions[2].name`…
#[derive(Debug, Clone)]
struct Doc(Vec<(String, String)>);

fn base() -> Doc {
    let mut doc = Doc(Vec::new());
    for (key, value) in [
        ("hosted_zone_id", "\"Z0123456789ABCDEFGHIJ\""),
        ("record_name", "\"API.Example.com\""),
        ("record_type", "\"CNAME\""),
        ("ttl", "30"),
        ("mode", "\"records\""),
        ("metrics_namespace", "\"Shop/RegionFlip\""),
        ("failback.mode", "\"manual\""),
        ("failback.stable_for_secs", "600"),
        ("failback.min_dwell_secs", "120"),
        ("failback.max_flips_per_hour", "3"),
        ("failback.horizon_secs", "900"),
        ("failover.respect_guards", "true"),
        ("watcher.wait_in_sync_secs", "30"),
        ("regions[1].name", "\"us-east-1\""),
        (
            "regions[1].target",
            "\"abc123.execute-api.us-east-1.amazonaws.com\"",
        ),
        (
            "regions[1].health_check_id",
            "\"11111111-2222-3333-4444-555555555555\"",
        ),
        ("regions[1].alarms", "[\"api-5xx\", \"api-latency\"]"),
        ("regions[1].guards", "[]"),
        ("regions[2].name", "\"eu-west-1\""),
        (
            "regions[2].target",
            "\"def456.execute-api.eu-west-1.amazonaws.com\"",
        ),
        (
            "regions[2].health_check_id",
            "\"66666666-7777-4888-9999-000000000000\"",
        ),
        ("regions[2].alarms", "[\"api-5xx\"]"),
        ("regions[2].guards", "[\"replication-lag\"]"),
    ] {
        doc = doc.set(key, value);
    }
    doc
}

impl Doc {
    /// Sets `key` (replacing it in place, or adding it at the end).
    fn set(mut self, key: &str, value: &str) -> Doc {
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value.to_string(),
            None => self.0.push((key.to_string(), value.to_string())),
        }
        self
    }

    /// Removes `key`, or every key under `key` when it names a region (`regions[2]`).
    fn remove(mut self, key: &str) -> Doc {
        self.0
            .retain(|(k, _)| k != key && !k.starts_with(&format!("{key}.")));
        self
    }

    /// Renumbers region `from` as region `to`.
    fn renumber(mut self, from: usize, to: usize) -> Doc {
        let (old, new) = (format!("regions[{from}]."), format!("regions[{to}]."));
        for (k, _) in &mut self.0 {
            if let Some(rest) = k.strip_prefix(&old) {
                *k = format!("{new}{rest}");
            }
        }
        self
    }

    fn region_index(key: &str) -> Option<(usize, &str)> {
        let rest = key.strip_prefix("regions[")?;
        let (index, sub) = rest.split_once("].")?;
        Some((index.parse().ok()?, sub))
    }

    /// The document as TOML.
    fn toml(&self) -> String {
        let mut out = String::new();
        let mut sections: Vec<(String, Vec<String>)> = Vec::new();
        let mut regions: Vec<(usize, String)> = Vec::new();
        for (key, value) in &self.0 {
            if let Some((index, sub)) = Doc::region_index(key) {
                regions.push((index, format!("{sub} = {value}\n")));
            } else if let Some((table, sub)) = key.split_once('.') {
                let line = format!("{sub} = {value}\n");
                match sections.iter_mut().find(|(t, _)| t == table) {
                    Some((_, lines)) => lines.push(line),
                    None => sections.push((table.to_string(), vec![line])),
                }
            } else {
                out.push_str(&format!("{key} = {value}\n"));
            }
        }
        for (table, lines) in sections {
            out.push_str(&format!("\n[{table}]\n{}", lines.concat()));
        }
        let count = regions.iter().map(|(i, _)| *i).max().unwrap_or(0);
        for index in 1..=count {
            out.push_str("\n[[regions]]\n");
            for (_, line) in regions.iter().filter(|(i, _)| *i == index) {
                out.push_str(line);
            }
        }
        out
    }

    /// The document as environment variables.
    fn env(&self) -> Vec<(String, String)> {
        self.0
            .iter()
            .map(|(key, value)| {
                let name = match Doc::region_index(key) {
                    Some((index, sub)) => format!("REGION_{index}_{sub}"),
                    None => key.replace('.', "_"),
                };
                (
                    format!("REGIONFLIP_{}", name.to_uppercase()),
                    env_value(value),
                )
            })
            .collect()
    }
}

/// A TOML value as an environment variable holds it: strings unquoted, lists joined.
fn env_value(toml: &str) -> String {
    let unquote = |s: &str| s.trim().trim_matches('"').to_string();
    match toml.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
        Some(items) => items
            .split(',')
            .map(unquote)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(","),
        None => unquote(toml),
    }
}

fn toml_errors(doc: &Doc) -> ConfigErrors {
    match Config::from_toml_str(&doc.toml()) {
        Ok(config) => panic!("expected errors, got {config:?} from\n{}", doc.toml()),
        Err(errors) => errors,
    }
}

fn env_errors(vars: &[(String, String)]) -> ConfigErrors {
    match Config::from_env(vars.iter().cloned()) {
        Ok(config) => panic!("expected errors, got {config:?} from {vars:?}"),
        Err(errors) => errors,
    }
}

/// Checks that `errors` is exactly one error, about `key`, whose sentence names the key,
/// says what is wrong (mentioning `problem`) and how to fix it.
fn assert_single_error(case: &str, errors: &ConfigErrors, key: &str, problem: &str) {
    let keys: Vec<&str> = errors.0.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(
        keys,
        [key],
        "{case}: expected one error about {key}; got {errors}"
    );
    let error = &errors.0[0];
    assert!(
        error.problem.contains(problem),
        "{case}: the problem {:?} should mention {problem:?}",
        error.problem
    );
    assert!(!error.fix.is_empty(), "{case}: no fix suggested");
    assert!(errors.to_string().contains(key), "{case}: {errors}");
    assert!(errors.mentions(key));
}

/// An edit of the base document, the key it breaks (TOML and environment spelling; `None`
/// where that source cannot express the mistake) and a word of the expected problem.
/// 100 distinct alarm names: one more than a region may list (the state holder takes the
/// hundredth name of the one `DescribeAlarms`).
fn hundred_alarms() -> String {
    let names: Vec<String> = (0..100).map(|i| format!("\"api-{i}\"")).collect();
    format!("[{}]", names.join(", "))
}

struct Case {
    what: &'static str,
    edit: fn(Doc) -> Doc,
    toml_key: Option<&'static str>,
    env_key: Option<&'static str>,
    problem: &'static str,
}

#[rustfmt::skip]
/// 240 characters: a valid name, too long for `_regionflip-from-eu-west-1.` before it
/// (the chain link of the second of three regions in health-gate mode).
const LONG_RECORD_NAME: &str = "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc.ddddddddddddddddddddddddddddddddddddddddddd.example.com\"";

const CASES: &[Case] = &[
    Case {
        what: "missing hosted_zone_id",
        edit: |d| d.remove("hosted_zone_id"),
        toml_key: Some("hosted_zone_id"),
        env_key: Some("REGIONFLIP_HOSTED_ZONE_ID"),
        problem: "missing",
    },
    Case {
        what: "missing record_name",
        edit: |d| d.remove("record_name"),
        toml_key: Some("record_name"),
        env_key: Some("REGIONFLIP_RECORD_NAME"),
        problem: "missing",
    },
    Case {
        what: "empty record_name",
        edit: |d| d.set("record_name", "\"\""),
        toml_key: Some("record_name"),
        env_key: Some("REGIONFLIP_RECORD_NAME"),
        problem: "missing",
    },
    Case {
        what: "bad hosted zone id",
        edit: |d| d.set("hosted_zone_id", "\"zone-1\""),
        toml_key: Some("hosted_zone_id"),
        env_key: Some("REGIONFLIP_HOSTED_ZONE_ID"),
        problem: "not a Route 53 hosted zone id",
    },
    Case {
        what: "bad record name",
        edit: |d| d.set("record_name", "\"api..example.com\""),
        toml_key: Some("record_name"),
        env_key: Some("REGIONFLIP_RECORD_NAME"),
        problem: "empty label",
    },
    Case {
        what: "one endpoint check named for two regions",
        edit: |d| {
            d.set(
                "regions[2].health_check_id",
                "\"11111111-2222-3333-4444-555555555555\"",
            )
            .set(
                "regions[1].health_check_id",
                "\"11111111-2222-3333-4444-555555555555\"",
            )
        },
        toml_key: Some("regions[2].health_check_id"),
        env_key: Some("REGIONFLIP_REGION_2_HEALTH_CHECK_ID"),
        problem: "repeats health check 11111111-2222-3333-4444-555555555555 of another region",
    },
    Case {
        what: "record name too long for its chain",
        edit: |d| {
            d.set("mode", "\"health-gate\"")
                .set("record_name", LONG_RECORD_NAME)
                .set("regions[3].name", "\"us-west-2\"")
                .set("regions[3].target", "\"ghi.example.com\"")
                .set("regions[3].alarms", "[\"api-5xx\"]")
        },
        toml_key: Some("record_name"),
        env_key: Some("REGIONFLIP_RECORD_NAME"),
        problem: "_regionflip-from-eu-west-1.",
    },
    Case {
        what: "single-label record name",
        edit: |d| d.set("record_name", "\"localhost\""),
        toml_key: Some("record_name"),
        env_key: Some("REGIONFLIP_RECORD_NAME"),
        problem: "two labels",
    },
    Case {
        what: "bad record_type",
        edit: |d| d.set("record_type", "\"AAAA\""),
        toml_key: Some("record_type"),
        env_key: Some("REGIONFLIP_RECORD_TYPE"),
        problem: "AAAA",
    },
    Case {
        what: "ttl above an hour",
        edit: |d| d.set("ttl", "86400"),
        toml_key: Some("ttl"),
        env_key: Some("REGIONFLIP_TTL"),
        problem: "out of range",
    },
    Case {
        what: "negative ttl",
        edit: |d| d.set("ttl", "-1"),
        toml_key: Some("ttl"),
        env_key: Some("REGIONFLIP_TTL"),
        problem: "out of range",
    },
    Case {
        what: "ttl as a string",
        edit: |d| d.set("ttl", "\"60\""),
        toml_key: Some("ttl"),
        env_key: None,
        problem: "string",
    },
    Case {
        what: "ttl as a word",
        edit: |d| d.set("ttl", "\"sixty\""),
        toml_key: Some("ttl"),
        env_key: Some("REGIONFLIP_TTL"),
        problem: "sixty",
    },
    Case {
        what: "ttl as a decimal",
        edit: |d| d.set("ttl", "60.5"),
        toml_key: Some("ttl"),
        env_key: Some("REGIONFLIP_TTL"),
        problem: "",
    },
    Case {
        what: "bad mode",
        edit: |d| d.set("mode", "\"dns\""),
        toml_key: Some("mode"),
        env_key: Some("REGIONFLIP_MODE"),
        problem: "dns",
    },
    Case {
        what: "namespace reserved for AWS",
        edit: |d| d.set("metrics_namespace", "\"AWS/Route53\""),
        toml_key: Some("metrics_namespace"),
        env_key: Some("REGIONFLIP_METRICS_NAMESPACE"),
        problem: "namespace",
    },
    Case {
        what: "namespace starting with a colon",
        edit: |d| d.set("metrics_namespace", "\":RegionFlip\""),
        toml_key: Some("metrics_namespace"),
        env_key: Some("REGIONFLIP_METRICS_NAMESPACE"),
        problem: "namespace",
    },
    Case {
        what: "a journal log group CloudWatch Logs refuses",
        edit: |d| d.set("journal.log_group", "\"regionflip watcher\""),
        toml_key: Some("journal.log_group"),
        env_key: Some("REGIONFLIP_JOURNAL_LOG_GROUP"),
        problem: "log group",
    },
    Case {
        what: "empty namespace",
        edit: |d| d.set("metrics_namespace", "\"\""),
        toml_key: Some("metrics_namespace"),
        env_key: Some("REGIONFLIP_METRICS_NAMESPACE"),
        problem: "namespace",
    },
    Case {
        what: "bad failback.mode",
        edit: |d| d.set("failback.mode", "\"sometimes\""),
        toml_key: Some("failback.mode"),
        env_key: Some("REGIONFLIP_FAILBACK_MODE"),
        problem: "sometimes",
    },
    Case {
        what: "negative stable_for_secs",
        edit: |d| d.set("failback.stable_for_secs", "-5"),
        toml_key: Some("failback.stable_for_secs"),
        env_key: Some("REGIONFLIP_FAILBACK_STABLE_FOR_SECS"),
        problem: "out of range",
    },
    Case {
        what: "stable_for_secs as a string",
        edit: |d| d.set("failback.stable_for_secs", "\"300\""),
        toml_key: Some("failback.stable_for_secs"),
        env_key: None,
        problem: "string",
    },
    Case {
        what: "stable_for_secs as words",
        edit: |d| d.set("failback.stable_for_secs", "\"five minutes\""),
        toml_key: Some("failback.stable_for_secs"),
        env_key: Some("REGIONFLIP_FAILBACK_STABLE_FOR_SECS"),
        problem: "five minutes",
    },
    Case {
        what: "min_dwell_secs above a day",
        edit: |d| d.set("failback.min_dwell_secs", "100000"),
        toml_key: Some("failback.min_dwell_secs"),
        env_key: Some("REGIONFLIP_FAILBACK_MIN_DWELL_SECS"),
        problem: "out of range",
    },
    Case {
        what: "zero max_flips_per_hour",
        edit: |d| d.set("failback.max_flips_per_hour", "0"),
        toml_key: Some("failback.max_flips_per_hour"),
        env_key: Some("REGIONFLIP_FAILBACK_MAX_FLIPS_PER_HOUR"),
        problem: "out of range",
    },
    Case {
        what: "horizon_secs above a day",
        edit: |d| d.set("failback.horizon_secs", "90000"),
        toml_key: Some("failback.horizon_secs"),
        env_key: Some("REGIONFLIP_FAILBACK_HORIZON_SECS"),
        problem: "out of range",
    },
    Case {
        what: "horizon_secs as words",
        edit: |d| d.set("failback.horizon_secs", "\"soon\""),
        toml_key: Some("failback.horizon_secs"),
        env_key: Some("REGIONFLIP_FAILBACK_HORIZON_SECS"),
        problem: "soon",
    },
    Case {
        what: "wait_in_sync_secs past the Lambda's reach",
        edit: |d| d.set("watcher.wait_in_sync_secs", "61"),
        toml_key: Some("watcher.wait_in_sync_secs"),
        env_key: Some("REGIONFLIP_WATCHER_WAIT_IN_SYNC_SECS"),
        problem: "out of range",
    },
    Case {
        what: "wait_in_sync_secs quoted",
        edit: |d| d.set("watcher.wait_in_sync_secs", "\"30\""),
        toml_key: Some("watcher.wait_in_sync_secs"),
        env_key: None,
        problem: "string",
    },
    Case {
        what: "respect_guards not a boolean",
        edit: |d| d.set("failover.respect_guards", "\"maybe\""),
        toml_key: Some("failover.respect_guards"),
        env_key: Some("REGIONFLIP_FAILOVER_RESPECT_GUARDS"),
        problem: "maybe",
    },
    Case {
        what: "respect_guards quoted",
        edit: |d| d.set("failover.respect_guards", "\"true\""),
        toml_key: Some("failover.respect_guards"),
        env_key: None,
        problem: "string",
    },
    Case {
        what: "only one region",
        edit: |d| d.remove("regions[2]"),
        toml_key: Some("regions"),
        env_key: Some("REGIONFLIP_REGION_2_NAME"),
        problem: "at least two",
    },
    Case {
        what: "duplicate region names",
        edit: |d| d.set("regions[2].name", "\"us-east-1\""),
        toml_key: Some("regions[2].name"),
        env_key: Some("REGIONFLIP_REGION_2_NAME"),
        problem: "repeats",
    },
    Case {
        what: "bad region name",
        edit: |d| d.set("regions[2].name", "\"mars\""),
        toml_key: Some("regions[2].name"),
        env_key: Some("REGIONFLIP_REGION_2_NAME"),
        problem: "not an AWS region name",
    },
    Case {
        what: "upper-case region name",
        edit: |d| d.set("regions[1].name", "\"US-EAST-1\""),
        toml_key: Some("regions[1].name"),
        env_key: Some("REGIONFLIP_REGION_1_NAME"),
        problem: "not an AWS region name",
    },
    Case {
        what: "missing region name",
        edit: |d| d.remove("regions[2].name"),
        toml_key: Some("regions[2].name"),
        env_key: Some("REGIONFLIP_REGION_2_NAME"),
        problem: "missing",
    },
    Case {
        what: "missing target",
        edit: |d| d.remove("regions[2].target"),
        toml_key: Some("regions[2].target"),
        env_key: Some("REGIONFLIP_REGION_2_TARGET"),
        problem: "missing",
    },
    Case {
        what: "bad target",
        edit: |d| d.set("regions[1].target", "\"https://api.example.com\""),
        toml_key: Some("regions[1].target"),
        env_key: Some("REGIONFLIP_REGION_1_TARGET"),
        problem: "https",
    },
    Case {
        what: "two regions with one target",
        edit: |d| {
            d.set(
                "regions[2].target",
                "\"abc123.execute-api.us-east-1.amazonaws.com\"",
            )
        },
        toml_key: Some("regions[2].target"),
        env_key: Some("REGIONFLIP_REGION_2_TARGET"),
        problem: "repeats target",
    },
    Case {
        what: "alarm name with a comma",
        edit: |d| d.set("regions[1].alarms", "[\"api,5xx\"]"),
        toml_key: Some("regions[1].alarms"),
        env_key: None,
        problem: "comma",
    },
    Case {
        what: "alias zone missing for A records",
        edit: |d| {
            d.set("record_type", "\"A\"")
                .set("regions[1].alias_hosted_zone_id", "\"Z1UJRXOUMOOFQ8\"")
        },
        toml_key: Some("regions[2].alias_hosted_zone_id"),
        env_key: Some("REGIONFLIP_REGION_2_ALIAS_HOSTED_ZONE_ID"),
        problem: "missing",
    },
    Case {
        what: "bad alias zone for A records",
        edit: |d| {
            d.set("record_type", "\"A\"")
                .set("regions[1].alias_hosted_zone_id", "\"Z1UJRXOUMOOFQ8\"")
                .set("regions[2].alias_hosted_zone_id", "\"elb\"")
        },
        toml_key: Some("regions[2].alias_hosted_zone_id"),
        env_key: Some("REGIONFLIP_REGION_2_ALIAS_HOSTED_ZONE_ID"),
        problem: "not a hosted zone id",
    },
    Case {
        what: "alias zone set for CNAME records",
        edit: |d| d.set("regions[1].alias_hosted_zone_id", "\"Z1UJRXOUMOOFQ8\""),
        toml_key: Some("regions[1].alias_hosted_zone_id"),
        env_key: Some("REGIONFLIP_REGION_1_ALIAS_HOSTED_ZONE_ID"),
        problem: "CNAME",
    },
    Case {
        what: "bad health_check_id",
        edit: |d| d.set("regions[2].health_check_id", "\"hc-1\""),
        toml_key: Some("regions[2].health_check_id"),
        env_key: Some("REGIONFLIP_REGION_2_HEALTH_CHECK_ID"),
        problem: "not a Route 53 health check id",
    },
    Case {
        what: "region without alarms or check",
        edit: |d| {
            d.remove("regions[2].health_check_id")
                .set("regions[2].alarms", "[]")
        },
        toml_key: Some("regions[2].alarms"),
        env_key: Some("REGIONFLIP_REGION_2_ALARMS"),
        problem: "never be known",
    },
    Case {
        what: "more alarms and guards than one DescribeAlarms reads",
        edit: |d| d.set("regions[1].alarms", &hundred_alarms()),
        toml_key: Some("regions[1].alarms"),
        env_key: Some("REGIONFLIP_REGION_1_ALARMS"),
        problem: "at most 100 names",
    },
    Case {
        what: "an alarm listed twice",
        edit: |d| d.set("regions[1].alarms", "[\"api-5xx\", \"api-5xx\"]"),
        toml_key: Some("regions[1].alarms"),
        env_key: Some("REGIONFLIP_REGION_1_ALARMS"),
        problem: "twice",
    },
    Case {
        what: "alarms not a list of strings",
        edit: |d| d.set("regions[1].alarms", "[1, 2]"),
        toml_key: Some("regions[1].alarms"),
        env_key: None,
        problem: "non-string",
    },
    Case {
        what: "health_url not a URL",
        edit: |d| d.set("regions[1].health_url", "\"api.example.com/health\""),
        toml_key: Some("regions[1].health_url"),
        env_key: Some("REGIONFLIP_REGION_1_HEALTH_URL"),
        problem: "not a URL",
    },
    Case {
        what: "health_url plain http, not loopback",
        edit: |d| d.set("regions[2].health_url", "\"http://api.example.com/health\""),
        toml_key: Some("regions[2].health_url"),
        env_key: Some("REGIONFLIP_REGION_2_HEALTH_URL"),
        problem: "not loopback",
    },
    Case {
        what: "health_url http to a name like 127.x",
        edit: |d| {
            d.set(
                "regions[1].health_url",
                "\"http://127.0.0.1.example.com/health\"",
            )
        },
        toml_key: Some("regions[1].health_url"),
        env_key: Some("REGIONFLIP_REGION_1_HEALTH_URL"),
        problem: "not loopback",
    },
    Case {
        what: "health_url ftp",
        edit: |d| d.set("regions[1].health_url", "\"ftp://api.example.com/health\""),
        toml_key: Some("regions[1].health_url"),
        env_key: Some("REGIONFLIP_REGION_1_HEALTH_URL"),
        problem: "neither https nor http",
    },
    Case {
        what: "health_url without a host",
        edit: |d| d.set("regions[2].health_url", "\"https:///health\""),
        toml_key: Some("regions[2].health_url"),
        env_key: Some("REGIONFLIP_REGION_2_HEALTH_URL"),
        problem: "names no host",
    },
    Case {
        what: "health_url with only a port",
        edit: |d| d.set("regions[2].health_url", "\"http://:8080/health\""),
        toml_key: Some("regions[2].health_url"),
        env_key: Some("REGIONFLIP_REGION_2_HEALTH_URL"),
        problem: "names no host",
    },
    Case {
        what: "health_url not a string",
        edit: |d| d.set("regions[1].health_url", "443"),
        toml_key: Some("regions[1].health_url"),
        env_key: None,
        problem: "number",
    },
    Case {
        what: "empty health_search",
        edit: |d| d.set("regions[1].health_search", "\"\""),
        toml_key: Some("regions[1].health_search"),
        env_key: Some("REGIONFLIP_REGION_1_HEALTH_SEARCH"),
        problem: "has 0 characters",
    },
    Case {
        what: "health_search of 256 characters",
        edit: |d| {
            d.set(
                "regions[2].health_search",
                &format!("\"{}\"", "x".repeat(256)),
            )
        },
        toml_key: Some("regions[2].health_search"),
        env_key: Some("REGIONFLIP_REGION_2_HEALTH_SEARCH"),
        problem: "has 256 characters",
    },
    Case {
        what: "bad no_data_on_standby",
        edit: |d| d.set("failover.no_data_on_standby", "\"ignore\""),
        toml_key: Some("failover.no_data_on_standby"),
        env_key: Some("REGIONFLIP_FAILOVER_NO_DATA_ON_STANDBY"),
        problem: "ignore",
    },
    Case {
        what: "no_data_on_standby not a string",
        edit: |d| d.set("failover.no_data_on_standby", "false"),
        toml_key: Some("failover.no_data_on_standby"),
        env_key: None,
        problem: "boolean",
    },
    // Active-active routing (`routing`, `min_in_service`, `regions[].weight`).
    Case {
        what: "active-active routing in records mode",
        edit: |d| d.set("routing", "\"latency\""),
        toml_key: Some("routing"),
        env_key: Some("REGIONFLIP_ROUTING"),
        problem: "records mode rewrites a failover pair",
    },
    Case {
        what: "an unknown routing",
        edit: |d| d.set("routing", "\"geo\""),
        toml_key: Some("routing"),
        env_key: Some("REGIONFLIP_ROUTING"),
        problem: "geo",
    },
    Case {
        what: "min_in_service with failover routing",
        edit: |d| d.set("min_in_service", "2"),
        toml_key: Some("min_in_service"),
        env_key: Some("REGIONFLIP_MIN_IN_SERVICE"),
        problem: "one region serves at a time",
    },
    Case {
        what: "min_in_service as many as the regions",
        edit: |d| {
            d.set("mode", "\"health-gate\"")
                .set("routing", "\"latency\"")
                .set("min_in_service", "2")
        },
        toml_key: Some("min_in_service"),
        env_key: Some("REGIONFLIP_MIN_IN_SERVICE"),
        problem: "no region could ever be evacuated",
    },
    Case {
        what: "min_in_service of zero",
        edit: |d| {
            d.set("mode", "\"health-gate\"")
                .set("routing", "\"latency\"")
                .set("min_in_service", "0")
        },
        toml_key: Some("min_in_service"),
        env_key: Some("REGIONFLIP_MIN_IN_SERVICE"),
        problem: "0",
    },
    Case {
        what: "a weight without weighted routing",
        edit: |d| {
            d.set("mode", "\"health-gate\"")
                .set("routing", "\"latency\"")
                .set("regions[2].weight", "3")
        },
        toml_key: Some("regions[2].weight"),
        env_key: Some("REGIONFLIP_REGION_2_WEIGHT"),
        problem: "routing is \"latency\"",
    },
    Case {
        what: "a weight of zero",
        edit: |d| {
            d.set("mode", "\"health-gate\"")
                .set("routing", "\"weighted\"")
                .set("regions[1].weight", "0")
        },
        toml_key: Some("regions[1].weight"),
        env_key: Some("REGIONFLIP_REGION_1_WEIGHT"),
        problem: "0",
    },
    Case {
        what: "active-active with one flip an hour",
        edit: |d| {
            d.set("mode", "\"health-gate\"")
                .set("routing", "\"latency\"")
                .set("failback.max_flips_per_hour", "1")
        },
        toml_key: Some("failback.max_flips_per_hour"),
        env_key: Some("REGIONFLIP_FAILBACK_MAX_FLIPS_PER_HOUR"),
        problem: "no region could ever return by itself",
    },
    Case {
        what: "an active-active state too long for its holder alarm",
        edit: |d| {
            let mut d = d
                .set("mode", "\"health-gate\"")
                .set("routing", "\"latency\"")
                .set("failback.max_flips_per_hour", "60");
            for (i, name) in ["us-west-2", "ap-southeast-2", "ap-northeast-1"]
                .iter()
                .enumerate()
            {
                let n = i + 3;
                d = d
                    .set(&format!("regions[{n}].name"), &format!("\"{name}\""))
                    .set(
                        &format!("regions[{n}].target"),
                        &format!("\"api.{name}.example.com\""),
                    )
                    .set(&format!("regions[{n}].alarms"), "[\"api-5xx\"]");
            }
            d
        },
        toml_key: Some("failback.max_flips_per_hour"),
        env_key: Some("REGIONFLIP_FAILBACK_MAX_FLIPS_PER_HOUR"),
        problem: "description takes at most 1024",
    },
    Case {
        what: "misspelt failback key",
        edit: |d| d.set("failback.stable_for_sec", "300"),
        toml_key: Some("failback.stable_for_sec"),
        env_key: Some("REGIONFLIP_FAILBACK_STABLE_FOR_SEC"),
        problem: "not a regionflip setting",
    },
    Case {
        what: "misspelt top-level key",
        edit: |d| d.set("record", "\"api.example.com\""),
        toml_key: Some("record"),
        env_key: Some("REGIONFLIP_RECORD"),
        problem: "not a regionflip setting",
    },
    Case {
        what: "misspelt region key",
        edit: |d| d.set("regions[1].alarm", "[\"api-5xx\"]"),
        toml_key: Some("regions[1].alarm"),
        env_key: Some("REGIONFLIP_REGION_1_ALARM"),
        problem: "not a regionflip setting",
    },
];

#[test]
fn each_mistake_gives_one_error_naming_the_key_as_written_in_toml() {
    for case in CASES {
        if let Some(key) = case.toml_key {
            let errors = toml_errors(&(case.edit)(base()));
            assert_single_error(case.what, &errors, key, case.problem);
        }
    }
}

#[test]
fn each_mistake_gives_one_error_naming_the_environment_variable() {
    for case in CASES {
        if let Some(key) = case.env_key {
            let errors = env_errors(&(case.edit)(base()).env());
            assert_single_error(case.what, &errors, key, case.problem);
        }
    }
}

#[test]
fn the_base_document_is_valid_in_both_forms() {
    // Without this, every case above could pass for the wrong reason.
    let doc = base();
    Config::from_toml_str(&doc.toml()).unwrap_or_else(|e| panic!("{e}\n{}", doc.toml()));
    Config::from_env(doc.env()).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn text_that_is_not_toml_is_one_error_about_the_file() {
    let errors =
        Config::from_toml_str("hosted_zone_id = \"Z1\"\nthis is not toml\n").expect_err("not TOML");
    assert_single_error("not TOML", &errors, "(file)", "not valid TOML");
}

#[test]
fn regions_written_as_a_plain_value_are_one_error() {
    let toml = format!(
        "regions = \"us-east-1\"\n{}",
        base().remove("regions[1]").remove("regions[2]").toml()
    );
    let errors = Config::from_toml_str(&toml).expect_err("expected errors");
    assert!(
        errors.0.iter().all(|e| e.key == "regions"),
        "only `regions` is wrong: {errors}"
    );
    assert!(
        errors
            .0
            .iter()
            .any(|e| e.problem.contains("wrong shape") && e.fix.contains("[[regions]]")),
        "{errors}"
    );
}

#[test]
fn regions_that_are_not_tables_are_one_error_each() {
    let toml = format!(
        "regions = [\"us-east-1\", \"eu-west-1\"]\n{}",
        base().remove("regions[1]").remove("regions[2]").toml()
    );
    let errors = Config::from_toml_str(&toml).expect_err("expected errors");
    let keys: Vec<&str> = errors.0.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["regions[1]", "regions[2]"], "{errors}");
}

#[test]
fn a_gap_in_environment_region_numbers_is_one_error_about_the_missing_number() {
    let vars = base().renumber(2, 3).env();
    let errors = env_errors(&vars);
    assert_single_error(
        "REGION_2 missing",
        &errors,
        "REGIONFLIP_REGION_2_NAME",
        "missing",
    );
    assert!(errors.0[0].fix.contains("without gaps"), "{errors}");
}

#[test]
fn variables_of_other_components_and_other_programs_are_ignored() {
    let mut vars = base().env();
    vars.push(("REGIONFLIP_HEALTH_PORT".into(), "8080".into()));
    // The health endpoint's own (REGIONFLIP_WATCHER_* belong to this schema now, so a
    // misspelled one is refused: crates/core/tests/schema.rs).
    vars.push(("REGIONFLIP_SERVICE_NAME".into(), "shop-api".into()));
    vars.push(("PATH".into(), "/usr/bin".into()));
    vars.push(("AWS_REGION".into(), "us-east-1".into()));
    let expected = Config::from_env(base().env()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(Config::from_env(vars), Ok(expected));
}

#[test]
fn one_run_reports_every_mistake() {
    let doc = base()
        .set("ttl", "99999")
        .set("failback.mode", "\"sometimes\"")
        .set("regions[2].name", "\"mars\"");
    let expect = |errors: &ConfigErrors, keys: [&str; 3]| {
        let found: Vec<&str> = errors.0.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(found.len(), 3, "{errors}");
        for key in keys {
            assert!(errors.mentions(key), "{key} missing from {errors}");
        }
        assert!(
            errors
                .to_string()
                .starts_with("invalid configuration (3 problems)")
        );
    };
    expect(
        &toml_errors(&doc),
        ["ttl", "failback.mode", "regions[2].name"],
    );
    expect(
        &env_errors(&doc.env()),
        [
            "REGIONFLIP_TTL",
            "REGIONFLIP_FAILBACK_MODE",
            "REGIONFLIP_REGION_2_NAME",
        ],
    );
}

#[test]
fn a_repeated_region_is_named_at_its_own_position_even_after_an_invalid_one() {
    let doc = base()
        .set("regions[1].target", "\"not a name\"")
        .set("regions[3].name", "\"eu-west-1\"")
        .set("regions[3].target", "\"ghi.example.com\"")
        .set("regions[3].alarms", "[\"api-5xx\"]");
    let errors = toml_errors(&doc);
    let keys: Vec<&str> = errors.0.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["regions[1].target", "regions[3].name"], "{errors}");
}

#[test]
fn toml_and_environment_give_the_same_configuration() {
    for doc in [
        base(),
        base()
            .set("record_type", "\"A\"")
            .set(
                "regions[1].alias_hosted_zone_id",
                "\"/hostedzone/Z1UJRXOUMOOFQ8\"",
            )
            .set("regions[2].alias_hosted_zone_id", "\"Z32O12XQLNTSW2\""),
        base()
            .set("regions[3].name", "\"ap-southeast-2\"")
            .set("regions[3].alarms", "[\"api-5xx\"]")
            .set("regions[3].target", "\"api.ap-southeast-2.example.com.\""),
    ] {
        let from_toml = Config::from_toml_str(&doc.toml()).unwrap_or_else(|e| panic!("{e}"));
        let from_env = Config::from_env(doc.env()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(from_toml, from_env);
        assert_eq!(
            Config::from_env(from_toml.to_env()),
            Ok(from_toml.clone()),
            "to_env must round-trip through from_env"
        );
    }
}

#[test]
fn parsed_values_are_normalised() {
    let config = Config::from_toml_str(&base().toml()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.record_name, "api.example.com.");
    assert_eq!(config.state_record_name(), "_regionflip.api.example.com.");
    assert_eq!(
        config.regions[0].target,
        "abc123.execute-api.us-east-1.amazonaws.com."
    );
    assert_eq!(config.home().name, "us-east-1");
    assert_eq!(config.rank("eu-west-1"), Some(1));
    assert_eq!(config.regions[1].guards, ["replication-lag"]);
    assert_eq!(config.ttl, 30);
    assert_eq!(config.mode, Mode::Records);
    assert_eq!(config.failback.mode, FailbackMode::Manual);
    assert_eq!(
        (
            config.failback.stable_for_secs,
            config.failback.min_dwell_secs,
            config.failback.max_flips_per_hour,
            config.failback.horizon_secs
        ),
        (600, 120, 3, 900)
    );
    assert!(config.failover_respects_guards);
    assert_eq!(config.wait_in_sync_secs, 30);

    let zone = Config::from_toml_str(
        &base()
            .set("hosted_zone_id", "\"/hostedzone/Z0123456789ABCDEFGHIJ\"")
            .toml(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(zone.hosted_zone_id, "Z0123456789ABCDEFGHIJ");
}

#[test]
fn omitted_settings_take_their_documented_defaults() {
    let doc = base()
        .remove("record_type")
        .remove("ttl")
        .remove("mode")
        .remove("metrics_namespace")
        .remove("failback.mode")
        .remove("failback.stable_for_secs")
        .remove("failback.min_dwell_secs")
        .remove("failback.max_flips_per_hour")
        .remove("failback.horizon_secs")
        .remove("failover.respect_guards")
        .remove("watcher.wait_in_sync_secs")
        .remove("regions[1].guards")
        .remove("regions[2].guards");
    for config in [
        Config::from_toml_str(&doc.toml()).unwrap_or_else(|e| panic!("{e}")),
        Config::from_env(doc.env()).unwrap_or_else(|e| panic!("{e}")),
    ] {
        assert_eq!(config.mode, Mode::HealthGate);
        assert_eq!(config.record_type, RecordType::Cname);
        assert_eq!(config.ttl, 60);
        assert_eq!(config.metrics_namespace, "RegionFlip");
        assert_eq!(config.failback.mode, FailbackMode::Auto);
        assert_eq!(config.failback.stable_for_secs, 300);
        assert_eq!(config.failback.min_dwell_secs, 300);
        assert_eq!(config.failback.max_flips_per_hour, 4);
        assert_eq!(config.failback.horizon_secs, 0);
        assert!(!config.failover_respects_guards);
        assert_eq!(config.wait_in_sync_secs, 0);
        assert!(config.regions.iter().all(|r| r.guards.is_empty()));
        assert_eq!(config.record_name, "api.example.com.");
        assert_eq!(config.no_data_on_standby, NoDataOnStandby::Idle);
        assert!(config.regions.iter().all(|r| r.health_url.is_none()));
        assert!(
            config
                .regions
                .iter()
                .all(|r| r.health_search == "regionflip-healthy")
        );
    }
}

#[test]
fn evidence_settings_are_read_from_both_sources() {
    let long_search = format!("\"{}\"", "y".repeat(255));
    let doc = base()
        .set("failover.no_data_on_standby", "\"unknown\"")
        .set(
            "regions[1].health_url",
            "\"https://abc123.execute-api.us-east-1.amazonaws.com/prod/health\"",
        )
        .set("regions[1].health_search", "\"shop-api-healthy\"")
        .set("regions[2].health_url", "\"http://127.0.0.1:8080/health\"")
        .set("regions[2].health_search", &long_search);
    for config in [
        Config::from_toml_str(&doc.toml()).unwrap_or_else(|e| panic!("{e}")),
        Config::from_env(doc.env()).unwrap_or_else(|e| panic!("{e}")),
    ] {
        assert_eq!(config.no_data_on_standby, NoDataOnStandby::Unknown);
        assert_eq!(
            config.regions[0].health_url.as_deref(),
            Some("https://abc123.execute-api.us-east-1.amazonaws.com/prod/health")
        );
        assert_eq!(config.regions[0].health_search, "shop-api-healthy");
        assert_eq!(
            config.regions[1].health_url.as_deref(),
            Some("http://127.0.0.1:8080/health")
        );
        assert_eq!(config.regions[1].health_search.chars().count(), 255);
        assert_eq!(
            Config::from_env(config.to_env()),
            Ok(config.clone()),
            "to_env must round-trip the evidence settings"
        );
    }
}

#[test]
fn plain_http_is_accepted_only_on_loopback_hosts() {
    for url in [
        "http://127.0.0.1:8080/health",
        "http://127.1.2.3/health",
        "http://localhost:9000/health",
        "http://[::1]:8080/health",
        "HTTP://localhost/health",
        "https://api.example.com/health",
        "https://user@api.example.com:8443/prod/health?x=1",
    ] {
        let doc = base().set("regions[1].health_url", &format!("\"{url}\""));
        let config = Config::from_toml_str(&doc.toml()).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(config.regions[0].health_url.as_deref(), Some(url));
    }
    for url in [
        "http://127.0.0.1.example.com/health",
        "http://localhost.example.com/health",
        "http://10.0.0.1/health",
        "http://[::2]/health",
    ] {
        let doc = base().set("regions[1].health_url", &format!("\"{url}\""));
        let errors = toml_errors(&doc);
        assert_single_error(url, &errors, "regions[1].health_url", "not loopback");
    }
}

#[test]
fn the_example_configuration_file_is_valid() {
    let text = include_str!("../../../regionflip.example.toml");
    let config = Config::from_toml_str(text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.regions.len(), 2);
    assert_eq!(config.mode, Mode::HealthGate);
}

/// The warnings of `Config::warnings`, one row per rule of its table (W1, W2) and the
/// cases beside them that must stay quiet: `(case, edits of the base document, the
/// warnings expected, each as words it must contain)`. The base document is `records`
/// mode, CNAME, `ttl = 30`, health checks on both regions.
#[allow(clippy::type_complexity)]
#[rustfmt::skip]
const WARNINGS: &[(&str, &[(&str, Option<&str>)], &[&str])] = &[
    ("W1: a CNAME above 60 s with health checks", &[("ttl", Some("300"))], &["is 300 s", "60 s or less"]),
    ("W1: health-gate mode always has health checks", &[("ttl", Some("120")), ("mode", Some("\"health-gate\"")), ("regions[1].health_check_id", None), ("regions[2].health_check_id", None)], &["is 120 s"]),
    ("quiet: 60 s exactly is what AWS recommends", &[("ttl", Some("60"))], &[]),
    ("quiet: records mode without health checks has nothing to fail over on", &[("ttl", Some("300")), ("regions[1].health_check_id", None), ("regions[2].health_check_id", None)], &[]),
    ("W2: an alias A record ignores ttl", &[("record_type", Some("\"A\"")), ("regions[1].alias_hosted_zone_id", Some("\"Z1UJRXOUMOOFQ8\"")), ("regions[2].alias_hosted_zone_id", Some("\"ZLY8HYME6SFDD\""))], &["is 30 s", "alias target's TTL"]),
    ("quiet: an alias A record with the default ttl", &[("record_type", Some("\"A\"")), ("ttl", None), ("regions[1].alias_hosted_zone_id", Some("\"Z1UJRXOUMOOFQ8\"")), ("regions[2].alias_hosted_zone_id", Some("\"ZLY8HYME6SFDD\""))], &[]),
];

#[test]
fn each_warning_row_warns_as_it_says_and_the_valid_rest_stays_quiet() {
    let mut failures = Vec::new();
    for (case, edits, expected) in WARNINGS {
        let doc = edits.iter().fold(base(), |doc, (key, value)| match value {
            Some(value) => doc.set(key, value),
            None => doc.remove(key),
        });
        let config = match Config::from_toml_str(&doc.toml()) {
            Ok(config) => config,
            Err(e) => {
                failures.push(format!("{case}: the document is invalid: {e}"));
                continue;
            }
        };
        assert_eq!(
            Some(&config),
            Config::from_env(doc.env()).ok().as_ref(),
            "{case}: both sources"
        );
        let warnings: Vec<String> = config.warnings().iter().map(ToString::to_string).collect();
        let matches = match expected {
            [] => warnings.is_empty(),
            words => {
                warnings.len() == 1
                    && words.iter().all(|w| warnings[0].contains(w))
                    && warnings[0].starts_with("ttl (REGIONFLIP_TTL")
            }
        };
        if !matches {
            failures.push(format!("{case}: expected {expected:?}, got {warnings:#?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let warned = WARNINGS.iter().filter(|(_, _, e)| !e.is_empty()).count();
    assert!(
        warned >= 2 && warned < WARNINGS.len(),
        "rows that warn and rows that do not"
    );
}

// ---------------------------------------------------------------------------------------
// `[[records]]`: many names per application.

/// Two regions and two records, every key of a `[[records]]` table used once.
fn records_doc(mode: &str, extra: &str) -> String {
    format!(
        r#"hosted_zone_id = "Z0123456789ABCDEFGHIJ"
mode = "{mode}"
ttl = 30

[[regions]]
name = "us-east-1"
alarms = ["api-5xx"]

[[regions]]
name = "eu-west-1"
alarms = ["api-5xx"]

[[records]]
name = "API.example.com"
targets = {{ "us-east-1" = "api-east.example.net", "eu-west-1" = "api-west.example.net" }}

[[records]]
name = "auth.example.com"
type = "A"
ttl = 10
targets = {{ "us-east-1" = "d-east.execute-api.us-east-1.amazonaws.com", "eu-west-1" = "d-west.execute-api.eu-west-1.amazonaws.com" }}
alias_hosted_zone_ids = {{ "us-east-1" = "Z1UJRXOUMOOFQ8", "eu-west-1" = "ZLY8HYME6SFDD" }}
{extra}"#
    )
}

/// W1 and W2 judge every name: a `[[records]]` table's own type and ttl are warned for
/// under its own key (`records[2].ttl`), naming the record; the application's CNAME at
/// 30 s stays quiet.
#[test]
fn each_warning_row_judges_every_records_table_under_its_own_key() {
    let third = r#"
[[records]]
name = "www.example.com"
ttl = 300
targets = { "us-east-1" = "www-east.example.net", "eu-west-1" = "www-west.example.net" }
"#;
    let config =
        Config::from_toml_str(&records_doc("health-gate", third)).unwrap_or_else(|e| panic!("{e}"));
    let warnings: Vec<String> = config.warnings().iter().map(ToString::to_string).collect();
    assert_eq!(warnings.len(), 2, "{warnings:#?}");
    assert!(
        warnings[0]
            .starts_with("records[2].ttl (REGIONFLIP_RECORD_2_TTL) is 10 s for auth.example.com.")
            && warnings[0].contains("alias target's TTL"),
        "W2 for the alias table: {warnings:#?}"
    );
    assert!(
        warnings[1]
            .starts_with("records[3].ttl (REGIONFLIP_RECORD_3_TTL) is 300 s for www.example.com.")
            && warnings[1].contains("60 s or less"),
        "W1 for the CNAME table: {warnings:#?}"
    );
}

#[test]
fn records_tables_give_every_name_and_the_first_is_the_application_s_own() {
    let config =
        Config::from_toml_str(&records_doc("health-gate", "")).unwrap_or_else(|e| panic!("{e}"));
    // The first table is the application's own record: the top-level fields and every
    // region's target.
    assert_eq!(config.record_name, "api.example.com.");
    assert_eq!(config.ttl, 30, "the top-level ttl is the default");
    assert_eq!(config.regions[1].target, "api-west.example.net.");
    let records = config.records();
    assert_eq!(records.len(), 2);
    assert_eq!(records[1].name, "auth.example.com.");
    assert_eq!(records[1].record_type, RecordType::A);
    assert_eq!(records[1].ttl, 10);
    assert_eq!(
        records[1].hosted_zone_id, "Z0123456789ABCDEFGHIJ",
        "the top-level zone is the default"
    );
    let west = records[1]
        .target("eu-west-1")
        .expect("a target in eu-west-1");
    assert_eq!(
        (west.target.as_str(), west.alias_hosted_zone_id.as_deref()),
        (
            "d-west.execute-api.eu-west-1.amazonaws.com.",
            Some("ZLY8HYME6SFDD")
        )
    );
    // The environment form reads back the same configuration.
    let env = Config::from_env(config.to_env()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(env, config);
    assert!(
        config
            .to_env()
            .iter()
            .any(|(k, _)| k == "REGIONFLIP_RECORD_2_TARGET_EU_WEST_1"),
        "{:?}",
        config.to_env()
    );
}

#[test]
fn each_records_mistake_names_the_key_as_written() {
    // (what, mode, text edit, key, problem)
    let doc = |mode: &str, extra: &str| records_doc(mode, extra);
    let cases: Vec<(&str, String, &str, &str)> = vec![
        (
            "a region without a target",
            doc("health-gate", "").replace(r#", "eu-west-1" = "api-west.example.net""#, ""),
            "records[1].targets.eu-west-1",
            "missing",
        ),
        (
            "a target for a region not configured",
            doc("health-gate", "").replace(
                r#""eu-west-1" = "api-west.example.net""#,
                r#""eu-west-1" = "api-west.example.net", "ap-south-1" = "x.example.net""#,
            ),
            "records[1].targets.ap-south-1",
            "not configured",
        ),
        (
            "record_name beside [[records]]",
            doc("health-gate", "").replace(
                "ttl = 30\n",
                "ttl = 30\nrecord_name = \"api.example.com\"\n",
            ),
            "record_name",
            "beside [[records]]",
        ),
        (
            "a region's target beside [[records]]",
            doc("health-gate", "").replace(
                "name = \"us-east-1\"\n",
                "name = \"us-east-1\"\ntarget = \"x.example.net\"\n",
            ),
            "regions[1].target",
            "beside [[records]]",
        ),
        (
            "an alias record without its zone",
            doc("health-gate", "").replace(r#", "eu-west-1" = "ZLY8HYME6SFDD""#, ""),
            "records[2].alias_hosted_zone_ids.eu-west-1",
            "is missing, and records[2].type is A",
        ),
        (
            "a CNAME with an alias zone",
            doc(
                "health-gate",
                "\n[[records]]\nname = \"www.example.com\"\ntargets = { \"us-east-1\" = \"w1.example.net\", \"eu-west-1\" = \"w2.example.net\" }\nalias_hosted_zone_ids = { \"us-east-1\" = \"Z1UJRXOUMOOFQ8\" }\n",
            ),
            "records[3].alias_hosted_zone_ids.us-east-1",
            "is set, but records[3].type is CNAME",
        ),
        (
            "a name listed twice",
            doc(
                "health-gate",
                "\n[[records]]\nname = \"api.example.com\"\ntargets = { \"us-east-1\" = \"w1.example.net\", \"eu-west-1\" = \"w2.example.net\" }\n",
            ),
            "records[3].name",
            "repeats api.example.com. of records[1].name",
        ),
        (
            "more names than records mode's batch takes",
            doc(
                "records",
                &(3..=250)
                    .map(|n| {
                        format!(
                            "\n[[records]]\nname = \"n{n}.example.com\"\ntargets = {{ \"us-east-1\" = \"n{n}-e.example.net\", \"eu-west-1\" = \"n{n}-w.example.net\" }}\n"
                        )
                    })
                    .collect::<String>(),
            ),
            "records",
            "at most 249",
        ),
        (
            "no zone at all",
            doc("health-gate", "")
                .replace("hosted_zone_id = \"Z0123456789ABCDEFGHIJ\"\n", "")
                .replace(
                    "name = \"auth.example.com\"\n",
                    "name = \"auth.example.com\"\nhosted_zone_id = \"Z9999999999999999999\"\n",
                ),
            "records[1].hosted_zone_id",
            "no top-level hosted_zone_id",
        ),
        (
            "one target for two regions",
            doc("health-gate", "").replace("api-west.example.net", "api-east.example.net"),
            "records[1].targets.eu-west-1",
            "repeats target",
        ),
    ];
    for (what, text, key, problem) in cases {
        let errors = Config::from_toml_str(&text).expect_err(what);
        assert_single_error(what, &errors, key, problem);
    }
    // Names in different zones are fine in both modes (records mode writes one batch per
    // zone, the state's first).
    for mode in ["health-gate", "records"] {
        let two_zones = doc(mode, "").replace(
            "name = \"auth.example.com\"\n",
            "name = \"auth.example.com\"\nhosted_zone_id = \"Z9999999999999999999\"\n",
        );
        let config = Config::from_toml_str(&two_zones).unwrap_or_else(|e| panic!("{mode}: {e}"));
        assert_eq!(config.records()[1].hosted_zone_id, "Z9999999999999999999");
    }
}

#[test]
fn records_mistakes_in_the_environment_name_the_variable() {
    let config = Config::from_toml_str(&records_doc("health-gate", "")).expect("valid");
    let vars: Vec<(String, String)> = config
        .to_env()
        .into_iter()
        .filter(|(k, _)| k != "REGIONFLIP_RECORD_2_ALIAS_HOSTED_ZONE_ID_EU_WEST_1")
        .collect();
    let errors = Config::from_env(vars).expect_err("a missing alias zone");
    assert_single_error(
        "env: a missing alias zone",
        &errors,
        "REGIONFLIP_RECORD_2_ALIAS_HOSTED_ZONE_ID_EU_WEST_1",
        "is missing, and REGIONFLIP_RECORD_2_TYPE is A",
    );
    let mut vars = config.to_env();
    vars.retain(|(k, _)| !k.starts_with("REGIONFLIP_RECORD_1_"));
    let errors = Config::from_env(vars).expect_err("a gap in the records");
    assert!(errors.mentions("REGIONFLIP_RECORD_1_NAME"), "{errors}");
}
