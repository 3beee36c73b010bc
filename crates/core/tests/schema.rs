//! The configuration schema (`regionflip_core::config::schema`) against the validator,
//! and docs/config-schema.json against the schema.
//!
//! The validator's key lists are built from the schema tables, so it cannot accept a key
//! the schema lacks. These tests pin the rest: every schema key is read from TOML and
//! from the environment under the spelling the schema gives, `Config::to_env` writes
//! exactly the schema's variables, the documented defaults and required keys are the
//! validator's, and the checked-in JSON (what the template tests read instead of parsing
//! config.rs) is what `schema()` gives today.
//!
//! When the schema changes on purpose, rewrite the file with
//! `UPDATE_SCHEMA=1 cargo test -p regionflip-core --test schema`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use regionflip_core::Config;
use regionflip_core::config::{
    KeyScope, KeySpec, REGION_INDEX, REGION_SCHEMA, TOP_SCHEMA, ValueKind, schema,
};

/// Regions in the documents below (three, so that `min_in_service` can be 2).
const REGIONS: usize = 3;

/// The two full documents: no one configuration can set every key to a value other than
/// its default, because active-active routing (`routing`, `min_in_service`, `weight`)
/// needs health-gate mode, the default `mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Doc {
    /// `mode = "records"`, failover routing: every key but the active-active ones.
    Failover,
    /// Weighted routing in health-gate mode: every key but `mode`.
    ActiveActive,
}

const DOCS: [Doc; 2] = [Doc::Failover, Doc::ActiveActive];

/// Whether `doc` sets `spec` (to a value other than its default).
fn in_doc(spec: &KeySpec, doc: Doc) -> bool {
    let active_active = matches!(spec.key, "routing" | "min_in_service" | "weight");
    match doc {
        Doc::Failover => !active_active,
        Doc::ActiveActive => spec.key != "mode" || spec.scope != KeyScope::Top,
    }
}

/// A value for every key, none of them a default, as TOML text: record type A, so that
/// `alias_hosted_zone_id` is allowed, and every optional key set.
fn full_value(spec: &KeySpec, region: usize) -> String {
    let value = match (spec.scope, spec.key) {
        (KeyScope::Top, "hosted_zone_id") => "\"Z0123456789ABCDEFGHIJ\"",
        (KeyScope::Top, "record_name") => "\"api.example.com\"",
        (KeyScope::Top, "record_type") => "\"A\"",
        (KeyScope::Top, "ttl") => "30",
        (KeyScope::Top, "mode") => "\"records\"",
        (KeyScope::Top, "routing") => "\"weighted\"",
        (KeyScope::Top, "min_in_service") => "2",
        (KeyScope::Region, "weight") => ["5", "3", "2"][region - 1],
        (KeyScope::Top, "metrics_namespace") => "\"Shop/RegionFlip\"",
        (KeyScope::Top, "failback.mode") => "\"manual\"",
        (KeyScope::Top, "failback.stable_for_secs") => "600",
        (KeyScope::Top, "failback.min_dwell_secs") => "120",
        (KeyScope::Top, "failback.max_flips_per_hour") => "3",
        (KeyScope::Top, "failback.horizon_secs") => "900",
        (KeyScope::Top, "failover.respect_guards") => "true",
        (KeyScope::Top, "watcher.wait_in_sync_secs") => "30",
        (KeyScope::Top, "failover.no_data_on_standby") => "\"unknown\"",
        (KeyScope::Top, "journal.log_group") => "\"/regionflip/shop-api/watcher\"",
        (KeyScope::Region, "name") => {
            ["\"us-east-1\"", "\"eu-west-1\"", "\"ap-southeast-2\""][region - 1]
        }
        (KeyScope::Region, "target") => [
            "\"abc123.execute-api.us-east-1.amazonaws.com\"",
            "\"def456.execute-api.eu-west-1.amazonaws.com\"",
            "\"ghi789.execute-api.ap-southeast-2.amazonaws.com\"",
        ][region - 1],
        (KeyScope::Region, "alias_hosted_zone_id") => [
            "\"Z1UJRXOUMOOFQ8\"",
            "\"ZLY8HYME6SFDD\"",
            "\"Z2RPCDW04V8134\"",
        ][region - 1],
        (KeyScope::Region, "health_check_id") => [
            "\"11111111-2222-4333-8444-555555555555\"",
            "\"66666666-7777-4888-9999-000000000000\"",
            "\"77777777-8888-4999-8000-111111111111\"",
        ][region - 1],
        (KeyScope::Region, "health_url") => [
            "\"https://abc123.execute-api.us-east-1.amazonaws.com/prod/health\"",
            "\"https://def456.execute-api.eu-west-1.amazonaws.com/prod/health\"",
            "\"https://ghi789.execute-api.ap-southeast-2.amazonaws.com/prod/health\"",
        ][region - 1],
        (KeyScope::Region, "health_search") => "\"shop-api-healthy\"",
        (KeyScope::Region, "alarms") => "[\"api-5xx\", \"api-latency\"]",
        (KeyScope::Region, "guards") => "[\"replication-lag\"]",
        (_, key) => panic!(
            "the schema has a key this test does not know: {key}; give it a non-default value here"
        ),
    };
    value.to_string()
}

/// Every spec with the region it stands for (0 for a top-level key).
fn keys() -> Vec<(&'static KeySpec, usize)> {
    let top = TOP_SCHEMA.iter().map(|spec| (spec, 0));
    let regions =
        (1..=REGIONS).flat_map(|region| REGION_SCHEMA.iter().map(move |spec| (spec, region)));
    top.chain(regions).collect()
}

/// The key's TOML spelling for this region (`regions[2].name`).
fn toml_key(spec: &KeySpec, region: usize) -> String {
    spec.toml_key().replace(REGION_INDEX, &region.to_string())
}

/// The key's environment variable for this region (`REGIONFLIP_REGION_2_NAME`).
fn env_var(spec: &KeySpec, region: usize) -> String {
    spec.env_var().replace(REGION_INDEX, &region.to_string())
}

/// A TOML document of `(spec, region, value)` entries, grouped into tables the way a
/// user writes them.
fn render(entries: &[(&KeySpec, usize, String)]) -> String {
    let mut top = String::new();
    let mut tables: Vec<(&str, String)> = Vec::new();
    let mut regions = vec![String::new(); REGIONS];
    for (spec, region, value) in entries {
        match (spec.scope, spec.key.split_once('.')) {
            (KeyScope::Region, _) => {
                regions[region - 1].push_str(&format!("{} = {value}\n", spec.key));
            }
            (KeyScope::Top, Some((table, sub))) => {
                let line = format!("{sub} = {value}\n");
                match tables.iter_mut().find(|(t, _)| *t == table) {
                    Some((_, lines)) => lines.push_str(&line),
                    None => tables.push((table, line)),
                }
            }
            (KeyScope::Top, None) => top.push_str(&format!("{} = {value}\n", spec.key)),
            (KeyScope::Record, _) => panic!(
                "{}: [[records]] keys are written by the records test below, not by render",
                spec.key
            ),
        }
    }
    for (table, lines) in tables {
        top.push_str(&format!("\n[{table}]\n{lines}"));
    }
    for lines in regions {
        top.push_str(&format!("\n[[regions]]\n{lines}"));
    }
    top
}

fn full_entries(doc: Doc) -> Vec<(&'static KeySpec, usize, String)> {
    keys()
        .into_iter()
        .filter(|(spec, _)| in_doc(spec, doc))
        .map(|(spec, region)| (spec, region, full_value(spec, region)))
        .collect()
}

fn parse(text: &str) -> Config {
    Config::from_toml_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn env_names(vars: &[(String, String)]) -> BTreeSet<String> {
    vars.iter().map(|(name, _)| name.clone()).collect()
}

#[test]
fn to_env_writes_exactly_the_schema_variables_and_from_env_reads_each_back() {
    for doc in DOCS {
        to_env_writes_exactly_the_schema_variables_and_from_env_reads_each_back_in(doc);
    }
    // Every key is set to a value other than its default in one document at least.
    for (spec, region) in keys() {
        assert!(
            DOCS.iter().any(|doc| in_doc(spec, *doc)),
            "{}",
            toml_key(spec, region)
        );
    }
}

fn to_env_writes_exactly_the_schema_variables_and_from_env_reads_each_back_in(doc: Doc) {
    let config = parse(&render(&full_entries(doc)));
    let vars = config.to_env();
    let expected: BTreeSet<String> = keys()
        .into_iter()
        .map(|(spec, region)| env_var(spec, region))
        .collect();
    assert_eq!(
        env_names(&vars),
        expected,
        "Config::to_env and the schema name different variables"
    );
    // No value is a default, so a variable from_env did not read would come back as one.
    for (spec, region) in keys().into_iter().filter(|(spec, _)| in_doc(spec, doc)) {
        let name = env_var(spec, region);
        let value = vars
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str());
        assert_ne!(
            value, spec.default,
            "{name}: the test document must set a value other than the default"
        );
    }
    let back = Config::from_env(vars.iter().cloned()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        back, config,
        "from_env(to_env()) lost a setting: a schema variable is not read"
    );
}

#[test]
fn every_schema_key_is_read_from_toml_under_its_schema_spelling() {
    for doc in DOCS {
        every_schema_key_is_read_from_toml_under_its_schema_spelling_in(doc);
    }
}

fn every_schema_key_is_read_from_toml_under_its_schema_spelling_in(doc: Doc) {
    let full = full_entries(doc);
    // The full document parses, so every schema key is accepted where the schema puts it.
    parse(&render(&full));
    for (i, (spec, region, _)) in full.iter().enumerate() {
        // A date is a value no key takes: the validator must complain, naming the key.
        let mut entries = full.clone();
        entries[i].2 = "1979-05-27".to_string();
        let text = render(&entries);
        let errors = match Config::from_toml_str(&text) {
            Ok(_) => panic!(
                "a date for {} was accepted:\n{text}",
                toml_key(spec, *region)
            ),
            Err(errors) => errors,
        };
        assert!(
            errors.mentions(&toml_key(spec, *region)),
            "a date for {} gave no error naming it: {errors}",
            toml_key(spec, *region)
        );
    }
}

#[test]
fn a_misspelled_key_is_refused_in_both_sources() {
    for doc in DOCS {
        a_misspelled_key_is_refused_in_both_sources_in(doc);
    }
}

fn a_misspelled_key_is_refused_in_both_sources_in(doc: Doc) {
    let full = full_entries(doc);
    let config = parse(&render(&full));
    for (spec, region) in keys().into_iter().filter(|(spec, _)| in_doc(spec, doc)) {
        // The schema key with an extra letter: the readers accept only schema keys.
        let misspelled = KeySpec {
            key: Box::leak(format!("{}x", spec.key).into_boxed_str()),
            ..*spec
        };
        let mut entries = full.clone();
        entries.push((&misspelled, region, full_value(spec, region)));
        let errors = Config::from_toml_str(&render(&entries))
            .err()
            .unwrap_or_else(|| panic!("{} was accepted", toml_key(&misspelled, region)));
        assert!(errors.mentions(&toml_key(&misspelled, region)), "{errors}");

        let mut vars = config.to_env();
        vars.push((env_var(&misspelled, region), "x".into()));
        let errors = Config::from_env(vars)
            .err()
            .unwrap_or_else(|| panic!("{} was accepted", env_var(&misspelled, region)));
        assert!(errors.mentions(&env_var(&misspelled, region)), "{errors}");
    }
}

/// The required keys, and an alarm per region (a region needs an alarm or a health
/// check; the schema documents that as a rule of `alarms`, not as a required key).
fn minimal_entries() -> Vec<(&'static KeySpec, usize, String)> {
    full_entries(Doc::Failover)
        .into_iter()
        .filter(|(spec, _, _)| spec.required || spec.key == "alarms")
        .collect()
}

#[test]
fn documented_defaults_are_the_validators() {
    let minimal = parse(&render(&minimal_entries()));
    let from_env = Config::from_env(minimal.to_env()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(from_env, minimal);
    let vars = minimal.to_env();
    for (spec, region) in keys() {
        let name = env_var(spec, region);
        let value = vars
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str());
        if spec.required || spec.key == "alarms" {
            continue;
        }
        assert_eq!(
            value, spec.default,
            "{name} left out: the validator's value and the schema's default differ"
        );
    }
}

#[test]
fn required_keys_are_the_validators() {
    let minimal = minimal_entries();
    parse(&render(&minimal));
    for (i, (spec, region, _)) in minimal.iter().enumerate() {
        if !spec.required {
            continue;
        }
        let mut entries = minimal.clone();
        entries.remove(i);
        let key = toml_key(spec, *region);
        match Config::from_toml_str(&render(&entries)) {
            Ok(_) => {
                panic!("{key} is required in the schema, but the validator accepts its absence")
            }
            Err(errors) => assert!(errors.mentions(&key), "{key} left out: {errors}"),
        }
    }
}

#[test]
fn each_key_takes_the_kind_of_value_the_schema_gives() {
    // The full document parses (above), and here each of its values is of the kind the
    // schema gives that key: so the validator takes that kind.
    for (spec, region, value) in DOCS.into_iter().flat_map(full_entries) {
        let looks = if value.starts_with('[') {
            ValueKind::List
        } else if value.starts_with('"') {
            ValueKind::String
        } else if value == "true" || value == "false" {
            ValueKind::Boolean
        } else {
            ValueKind::Integer
        };
        assert_eq!(looks, spec.kind, "{}", toml_key(spec, region));
    }
}

fn schema_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/config-schema.json")
}

#[test]
fn the_checked_in_schema_file_is_current() {
    let mut expected = serde_json::to_string_pretty(&schema()).unwrap_or_else(|e| panic!("{e}"));
    expected.push('\n');
    let path = schema_file();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &expected)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        return;
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/config-schema.json is stale (or missing): the configuration schema changed. \
         Rewrite it with `UPDATE_SCHEMA=1 cargo test -p regionflip-core --test schema` and \
         commit it; the template tests read it."
    );
}

#[test]
fn each_table_holds_keys_of_its_own_scope_once() {
    // The readers take TOP_SCHEMA's keys at the top, REGION_SCHEMA's inside a region and
    // RECORD_SCHEMA's inside a [[records]] table, whatever a spec's `scope` says: they
    // must agree, or the spellings would lie.
    use regionflip_core::config::RECORD_SCHEMA;
    assert!(TOP_SCHEMA.iter().all(|spec| spec.scope == KeyScope::Top));
    assert!(
        REGION_SCHEMA
            .iter()
            .all(|spec| spec.scope == KeyScope::Region)
    );
    assert!(
        RECORD_SCHEMA
            .iter()
            .all(|spec| spec.scope == KeyScope::Record)
    );
    let names: BTreeSet<String> = schema().keys.into_iter().map(|key| key.toml).collect();
    assert_eq!(
        names.len(),
        TOP_SCHEMA.len() + REGION_SCHEMA.len() + RECORD_SCHEMA.len(),
        "a key is listed twice"
    );
}

/// The `[[records]]` keys, written under the spellings [`RECORD_SCHEMA`] gives them (TOML
/// and environment), are read into the configuration: the schema and the readers agree.
#[test]
fn every_record_key_is_read_under_its_schema_spelling() {
    use regionflip_core::config::{RECORD_SCHEMA, REGION_NAME};
    let regions = ["us-east-1", "eu-west-1"];
    let value = |key: &str, region: &str| match key {
        "name" => "\"shop.example.com\"".to_string(),
        "hosted_zone_id" => "\"Z0123456789ABCDEFGHIJ\"".into(),
        "type" => "\"A\"".into(),
        "ttl" => "45".into(),
        "targets" => format!("\"shop.{region}.example.net\""),
        "alias_hosted_zone_ids" => "\"Z1UJRXOUMOOFQ8\"".into(),
        other => panic!("no test value for records key {other}: add one"),
    };
    let mut toml = "mode = \"health-gate\"\n".to_string();
    for region in regions {
        toml.push_str(&format!(
            "\n[[regions]]\nname = \"{region}\"\nalarms = [\"api-5xx\"]\n"
        ));
    }
    let mut record = String::new();
    let mut env: Vec<(String, String)> = vec![("REGIONFLIP_MODE".into(), "health-gate".into())];
    for (i, region) in regions.iter().enumerate() {
        env.push((
            format!("REGIONFLIP_REGION_{}_NAME", i + 1),
            region.to_string(),
        ));
        env.push((
            format!("REGIONFLIP_REGION_{}_ALARMS", i + 1),
            "api-5xx".into(),
        ));
    }
    for spec in RECORD_SCHEMA {
        assert_eq!(spec.scope, KeyScope::Record);
        let entries: Vec<&str> = if spec.kind == ValueKind::Map {
            regions.to_vec()
        } else {
            vec![""]
        };
        for region in entries {
            let key = spec
                .toml_key()
                .replace(REGION_INDEX, "1")
                .replace(REGION_NAME, region);
            let local = key.strip_prefix("records[1].").expect("a records key");
            record.push_str(&format!("{local} = {}\n", value(spec.key, region)));
            let var = spec.env_var().replace(REGION_INDEX, "1").replace(
                &REGION_NAME.to_uppercase(),
                &region.to_uppercase().replace('-', "_"),
            );
            env.push((var, value(spec.key, region).trim_matches('"').to_string()));
        }
    }
    toml.push_str(&format!("\n[[records]]\n{record}"));
    let from_toml = Config::from_toml_str(&toml).unwrap_or_else(|e| panic!("{e}\n{toml}"));
    let from_env = Config::from_env(env).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(from_toml, from_env);
    let records = from_toml.records();
    assert_eq!(records.len(), 1);
    let shop = &records[0];
    assert_eq!(
        (shop.name.as_str(), shop.hosted_zone_id.as_str(), shop.ttl),
        ("shop.example.com.", "Z0123456789ABCDEFGHIJ", 45)
    );
    assert_eq!(shop.record_type, regionflip_core::RecordType::A);
    for region in regions {
        let target = shop.target(region).expect("a target per region");
        assert_eq!(target.target, format!("shop.{region}.example.net."));
        assert_eq!(
            target.alias_hosted_zone_id.as_deref(),
            Some("Z1UJRXOUMOOFQ8")
        );
    }
}
