//! Hostile input to the core's parsers: the configuration (TOML file and environment)
//! and the persisted state (the TXT record's quoting, its strings, the state line).
//!
//! The state record is readable and, with the zone's permissions, writable by people and
//! tools other than regionflip; the configuration comes from files and templates that
//! people edit. So each parser is fed arbitrary text and mutations of real documents,
//! and must never panic, must report what it refuses, and must keep its work bounded:
//! inputs beyond the documented limits ([`MAX_CONFIG_BYTES`], [`MAX_REGIONS`],
//! [`MAX_STATE_TEXT`], four times that for a TXT value) are refused before any parsing.
//! Whatever a parser accepts must be canonical: accepted state re-encodes to text that
//! decodes to the same state, and an accepted configuration survives the trip through
//! the environment form the watcher reads.
//!
//! A check that runs only on what a parser accepts (or on what is too long) tests nothing
//! when the parser refuses, and arbitrary text is almost always refused. So the four
//! properties with such checks mix inputs aimed at them (states rewritten without
//! changing their meaning, states split anywhere, TXT values as Route 53 writes them)
//! into the arbitrary ones, and fail unless at least half their cases reach the check
//! ([`Reach`]).
//!
//! Case counts: 2,000 per property in `make test` (a few seconds in a debug build), three
//! times that for the four aimed properties so their arbitrary inputs stay as many;
//! `PROPTEST_CASES` overrides the base, as `make soak` does.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use common::{MIN_REACH, Reach};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use regionflip_core::config::{MAX_CONFIG_BYTES, MAX_REGIONS};
use regionflip_core::records::{quote_txt, unquote_txt};
use regionflip_core::state::{MAX_FLIPS_KEPT, MAX_STATE_TEXT, StateError};
use regionflip_core::{Config, EngineState, RecordSet, StateObservation};

/// Cases per property: 2,000 unless `PROPTEST_CASES` says otherwise.
fn cases() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    ProptestConfig {
        // Shrinking a failure of a parser over long inputs can take minutes; the first
        // failing input is printed either way.
        max_shrink_iters: 2_000,
        ..ProptestConfig::with_cases(cases)
    }
}

/// Cases for a property whose generator mixes inputs aimed at its check with the
/// arbitrary ones: three times [`cases`], so the arbitrary inputs are as many as before.
fn aimed_cases() -> ProptestConfig {
    let base = cases();
    ProptestConfig {
        cases: base.cases.saturating_mul(3),
        ..base
    }
}

/// The configuration files shipped with the project: real documents to mutate.
const SHIPPED_CONFIGS: &[&str] = &[
    include_str!("../../../events/watcher-config.toml"),
    include_str!("../../../regionflip.example.toml"),
    RECORDS_ALIAS_CONFIG,
];

/// A `records`-mode document with alias records, three regions and every key set, so
/// mutations reach the alias and guard validation too.
const RECORDS_ALIAS_CONFIG: &str = r#"
hosted_zone_id = "/hostedzone/Z0123456789ABCDEFGHIJ"
record_name = "API.Example.com."
record_type = "A"
ttl = 30
mode = "records"
metrics_namespace = "Shop/RegionFlip"

[failback]
mode = "manual"
stable_for_secs = 600
min_dwell_secs = 120
max_flips_per_hour = 3

[failover]
respect_guards = true

[[regions]]
name = "us-east-1"
target = "d-abc.execute-api.us-east-1.amazonaws.com"
alias_hosted_zone_id = "Z1UJRXOUMOOFQ8"
health_check_id = "11111111-2222-3333-4444-555555555555"
alarms = ["api-5xx", "api-latency"]
guards = ["replication-lag"]

[[regions]]
name = "eu-west-1"
target = "d-def.execute-api.eu-west-1.amazonaws.com"
alias_hosted_zone_id = "ZLY8HYME6SFDD"
alarms = ["api-5xx"]

[[regions]]
name = "us-gov-west-1"
target = "d-ghi.execute-api.us-gov-west-1.amazonaws.com"
alias_hosted_zone_id = "Z1K6XKP9SAGWDV"
health_check_id = "11111111-2222-3333-4444-666666666666"
"#;

/// Fragments that mean something to one of the parsers, or that parsers get wrong.
const FRAGMENTS: &[&str] = &[
    "=",
    " ",
    "\n",
    "\"",
    "'",
    "\\",
    "\\\\",
    "\\065",
    "\\9",
    "#",
    ",",
    "-",
    "[",
    "]",
    "{",
    "}",
    "[[regions]]\n",
    "[failback]\n",
    "[failover]\n",
    "regions = []\n",
    "name = \"us-west-2\"\n",
    "ttl = ",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551616",
    "1e400",
    "nan",
    "true",
    "1979-05-27T07:32:00Z",
    "seq=",
    "active=",
    "flips=",
    "at=-",
    "paused=1",
    "regionflip/v1",
    "regionflip/v2",
    "\u{0}",
    "\u{7f}",
    "\u{202e}",
    "é",
    "\u{10ffff}",
];

/// One edit of a document, at a position taken modulo its length.
#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, String),
    Delete(usize, usize),
    Duplicate(usize, usize),
    Truncate(usize),
}

fn edit_strategy() -> impl Strategy<Value = Edit> {
    let text = prop_oneof![
        4 => prop::sample::select(FRAGMENTS).prop_map(str::to_owned),
        1 => any::<String>(),
        1 => (prop::sample::select(FRAGMENTS), 1..300usize).prop_map(|(f, n)| f.repeat(n)),
    ];
    prop_oneof![
        4 => (any::<usize>(), text).prop_map(|(at, s)| Edit::Insert(at, s)),
        3 => (any::<usize>(), 1..40usize).prop_map(|(at, n)| Edit::Delete(at, n)),
        2 => (any::<usize>(), 1..200usize).prop_map(|(at, n)| Edit::Duplicate(at, n)),
        1 => any::<usize>().prop_map(Edit::Truncate),
    ]
}

/// Applies edits on characters, so every intermediate text is valid UTF-8 (what a file
/// read into a `String` is).
fn mutate(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for edit in edits {
        let at = |i: usize| {
            if chars.is_empty() {
                0
            } else {
                i % (chars.len() + 1)
            }
        };
        match edit {
            Edit::Insert(i, s) => {
                let at = at(*i);
                chars.splice(at..at, s.chars());
            }
            Edit::Delete(i, n) => {
                let at = at(*i);
                let end = (at + n).min(chars.len());
                chars.drain(at..end);
            }
            Edit::Duplicate(i, n) => {
                let at = at(*i);
                let end = (at + n).min(chars.len());
                let copy: Vec<char> = chars[at..end].to_vec();
                chars.splice(end..end, copy);
            }
            Edit::Truncate(i) => {
                let at = at(*i);
                chars.truncate(at);
            }
        }
    }
    chars.into_iter().collect()
}

/// What every accepted configuration must satisfy, and every refusal must say.
fn check_config_outcome(result: Result<Config, regionflip_core::ConfigErrors>) {
    match result {
        Ok(config) => {
            assert!(
                (2..=MAX_REGIONS).contains(&config.regions.len()),
                "{} regions accepted",
                config.regions.len()
            );
            // The watcher reads the environment form; both forms must agree.
            let again = Config::from_env(config.to_env());
            assert_eq!(again.as_ref(), Ok(&config), "to_env/from_env changed it");
        }
        Err(errors) => {
            assert!(!errors.0.is_empty(), "refused without a reason");
            for error in &errors.0 {
                assert!(
                    !error.key.is_empty() && !error.problem.is_empty() && !error.fix.is_empty(),
                    "an error without key, problem or fix: {error:?}"
                );
            }
        }
    }
}

fn state_strategy() -> impl Strategy<Value = EngineState> {
    (
        any::<u64>(),
        prop::sample::select(vec![
            "us-east-1",
            "eu-west-1",
            "us-gov-west-1",
            "ap-south-2",
        ]),
        option::of(any::<u64>()),
        option::of(any::<u64>()),
        vec(any::<u64>(), 0..=MAX_FLIPS_KEPT),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(sequence, active, at, away, mut flips, paused, hold)| {
            flips.sort_unstable();
            EngineState {
                sequence,
                active: active.to_owned(),
                last_transition_at: at,
                away_since: away,
                recent_flips: flips,
                paused,
                hold_failback: hold,
                out_of_service: Vec::new(),
                region_flips: Vec::new(),
            }
        })
}

/// White space a person or another tool may put between the words of a state line.
/// (ASCII white space as Rust defines it: a vertical tab is none.)
const SEPARATORS: &[&str] = &[" ", "  ", "\t", "\n", "\r\n", " \t ", "\u{c}"];

/// A state and its text as a person or another tool might rewrite it without changing
/// what it says: the fields in any order, any ASCII white space around and between the
/// words, numbers with leading zeros. The decoder must read it as that same state.
fn rewritten_state_text() -> impl Strategy<Value = (EngineState, String)> {
    (
        state_strategy(),
        vec(any::<u32>(), 7),
        vec(prop::sample::select(SEPARATORS), 9),
        vec(0usize..4, 7),
    )
        .prop_map(|(state, order, separators, zeros)| {
            let encoded = state.encode();
            let mut words: Vec<String> = encoded.split(' ').map(str::to_owned).collect();
            let mut fields = words.split_off(1);
            for (field, zeros) in fields.iter_mut().zip(zeros) {
                let padded = ["seq=", "at=", "away="].iter().find_map(|key| {
                    let value = field.strip_prefix(key)?;
                    (value != "-").then(|| format!("{key}{}{value}", "0".repeat(zeros)))
                });
                if let Some(padded) = padded {
                    *field = padded;
                }
            }
            let mut keyed: Vec<(u32, String)> = order.into_iter().zip(fields).collect();
            keyed.sort();
            words.extend(keyed.into_iter().map(|(_, field)| field));
            let mut text = separators[0].to_owned();
            for (word, separator) in words.iter().zip(&separators[1..]) {
                text.push_str(word);
                text.push_str(separator);
            }
            (state, text)
        })
}

/// A state and TXT strings that join to its text, split at arbitrary places (inside
/// words too), not only where regionflip splits.
fn state_split_anywhere() -> impl Strategy<Value = (EngineState, Vec<String>)> {
    (state_strategy(), vec(any::<prop::sample::Index>(), 0..12)).prop_map(|(state, cuts)| {
        let text = state.encode();
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c.index(text.len() + 1)).collect();
        cuts.sort_unstable();
        let mut strings = Vec::new();
        let mut from = 0;
        for cut in cuts.into_iter().chain([text.len()]) {
            strings.push(text[from..cut].to_owned());
            from = cut;
        }
        (state, strings)
    })
}

/// A TXT value as Route 53 may return one: strings quoted, with characters written as
/// themselves, as `\c` escapes or as `\ddd` octal bytes, and any white space between
/// the strings. Returns the strings it encodes, too.
fn route53_txt_value() -> impl Strategy<Value = (Vec<String>, String)> {
    let char_form = prop_oneof![3 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)];
    vec(
        (
            vec((any::<char>(), char_form), 0..40),
            prop::sample::select(SEPARATORS),
        ),
        0..8,
    )
    .prop_map(|strings| {
        let mut value = String::new();
        let mut decoded = Vec::new();
        for (chars, separator) in strings {
            let mut string = String::new();
            value.push('"');
            for (c, form) in chars {
                match (form, u32::from(c)) {
                    // Octal escapes carry one byte; only characters below 256 fit.
                    (2, code) if code < 256 => value.push_str(&format!("\\{code:03o}")),
                    // A backslash before a digit starts an octal escape instead.
                    (1, _) | (2, _) if !c.is_ascii_digit() => {
                        value.push('\\');
                        value.push(c);
                    }
                    _ if c == '"' || c == '\\' => {
                        value.push('\\');
                        value.push(c);
                    }
                    _ => value.push(c),
                }
                string.push(c);
            }
            value.push('"');
            value.push_str(separator);
            decoded.push(string);
        }
        (decoded, value)
    })
}

/// What every accepted state must satisfy: the canonical text decodes to it again.
/// Returns whether there was an accepted state to check.
fn check_state_outcome(result: &Result<EngineState, StateError>) -> bool {
    let Ok(state) = result else {
        return false;
    };
    assert!(state.recent_flips.len() <= MAX_FLIPS_KEPT);
    assert_eq!(EngineState::decode(&state.encode()).as_ref(), Ok(state));
    let strings = state.to_txt_strings();
    assert_eq!(EngineState::from_txt_strings(&strings).as_ref(), Ok(state));
    true
}

fn txt_record(values: Vec<String>) -> RecordSet {
    RecordSet {
        name: "_regionflip.api.example.com.".into(),
        record_type: "TXT".into(),
        set_identifier: None,
        failover: None,
        ttl: Some(60),
        values,
        alias: None,
        health_check_id: None,
        latency_region: None,
        weight: None,
    }
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn toml_parser_survives_arbitrary_text(text in prop_oneof![
        any::<String>(),
        vec(prop::sample::select(FRAGMENTS), 0..200).prop_map(|parts| parts.concat()),
    ]) {
        check_config_outcome(Config::from_toml_str(&text));
    }

    #[test]
    fn toml_parser_survives_mutated_real_files(
        file in prop::sample::select(SHIPPED_CONFIGS),
        edits in vec(edit_strategy(), 1..8),
    ) {
        check_config_outcome(Config::from_toml_str(&mutate(file, &edits)));
    }

    #[test]
    fn environment_parser_survives_arbitrary_maps(
        file in prop::sample::select(SHIPPED_CONFIGS),
        removed in vec(any::<prop::sample::Index>(), 0..4),
        set in vec((env_key_strategy(), env_value_strategy()), 0..8),
    ) {
        // Start from a valid environment, so edits reach deep into validation.
        let mut vars: BTreeMap<String, String> =
            Config::from_toml_str(file).unwrap().to_env().into_iter().collect();
        for index in removed {
            if !vars.is_empty() {
                let key = vars.keys().nth(index.index(vars.len())).cloned().unwrap();
                vars.remove(&key);
            }
        }
        vars.extend(set);
        check_config_outcome(Config::from_env(vars));
    }

    #[test]
    fn txt_quoting_round_trips(strings in vec(any::<String>(), 0..8)) {
        prop_assert_eq!(unquote_txt(&quote_txt(&strings)), Ok(strings));
    }

    #[test]
    fn state_records_never_panic_and_report_what_is_wrong(
        values in prop_oneof![
            // One value, as regionflip writes it, mutated.
            (state_strategy(), vec(edit_strategy(), 0..4)).prop_map(|(state, edits)| {
                vec![mutate(&quote_txt(&state.to_txt_strings()), &edits)]
            }),
            vec(any::<String>(), 0..4),
        ],
    ) {
        match StateObservation::from_state_record(txt_record(values.clone())) {
            StateObservation::Valid { state, record } => {
                prop_assert_eq!(values.len(), 1);
                prop_assert_eq!(record.map(|r| r.values), Some(values));
                check_state_outcome(&Ok(state));
            }
            StateObservation::Corrupt { error, record, .. } => {
                prop_assert!(!error.is_empty());
                // The record is kept exactly as read: a compare-and-swap deletes it.
                prop_assert_eq!(record.map(|r| r.values), Some(values));
            }
            other => prop_assert!(false, "a read record is valid or corrupt: {:?}", other),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Properties whose canonical-form check runs only on what a parser accepts (or whose
// length check only on what is too long). Each counts the cases that reach its check
// ([`Reach`]) and fails when fewer than [`MIN_REACH`] of them do.

#[test]
fn state_decoder_survives_arbitrary_text() {
    let reach = Reach::default();
    proptest!(aimed_cases(), |(text in prop_oneof![
        1 => any::<String>(),
        1 => vec(prop::sample::select(FRAGMENTS), 0..100).prop_map(|parts| parts.join(" ")),
        4 => rewritten_state_text().prop_map(|(_, text)| text),
    ])| {
        reach.case(check_state_outcome(&EngineState::decode(&text)));
    });
    reach.assert_at_least(MIN_REACH, "state_decoder_survives_arbitrary_text");
}

#[test]
fn state_decoder_survives_mutated_real_states() {
    let reach = Reach::default();
    // Each case: a state, a text made from it, and whether the text still says the same.
    let edited = (state_strategy(), vec(edit_strategy(), 1..6)).prop_map(|(state, edits)| {
        let text = mutate(&state.encode(), &edits);
        (state, text, false)
    });
    // A rewrite says the same; padded past the limit, it is refused for its length alone.
    let rewritten = (rewritten_state_text(), option::of(0..MAX_STATE_TEXT)).prop_map(
        |((state, text), past_the_limit)| match past_the_limit {
            None => (state, text, true),
            Some(extra) => {
                let pad = (MAX_STATE_TEXT + 1).saturating_sub(text.len()) + extra;
                (state, format!("{text}{}", " ".repeat(pad)), false)
            }
        },
    );
    proptest!(aimed_cases(), |((state, text, same) in prop_oneof![1 => edited, 2 => rewritten])| {
        let result = EngineState::decode(&text);
        let accepted = check_state_outcome(&result);
        let too_long = text.len() > MAX_STATE_TEXT;
        reach.case(accepted || too_long);
        if too_long {
            prop_assert_eq!(result, Err(StateError::TooLong(text.len())));
        } else if same {
            prop_assert_eq!(result, Ok(state), "{:?}", text);
        }
    });
    reach.assert_at_least(MIN_REACH, "state_decoder_survives_mutated_real_states");
}

#[test]
fn txt_strings_are_bounded_and_canonical() {
    let reach = Reach::default();
    let arbitrary = vec(any::<String>(), 0..40).prop_map(|strings| (None, strings));
    let split = state_split_anywhere().prop_map(|(state, strings)| (Some(state), strings));
    proptest!(aimed_cases(), |((state, strings) in prop_oneof![1 => arbitrary, 2 => split])| {
        let total: usize = strings.iter().map(String::len).sum();
        let result = EngineState::from_txt_strings(&strings);
        let accepted = check_state_outcome(&result);
        let too_long = total > MAX_STATE_TEXT;
        reach.case(accepted || too_long);
        if too_long {
            prop_assert_eq!(result, Err(StateError::TooLong(total)));
        } else if let Some(state) = state {
            // Wherever the strings were cut, they join to the state's text.
            prop_assert_eq!(result, Ok(state));
        }
    });
    reach.assert_at_least(MIN_REACH, "txt_strings_are_bounded_and_canonical");
}

#[test]
fn txt_unquoting_survives_arbitrary_values() {
    let reach = Reach::default();
    let arbitrary = prop_oneof![
        any::<String>(),
        vec(prop::sample::select(FRAGMENTS), 0..200).prop_map(|parts| parts.concat()),
    ]
    .prop_map(|value| (None, value));
    let route53 = route53_txt_value().prop_map(|(strings, value)| (Some(strings), value));
    proptest!(aimed_cases(), |((encoded, value) in prop_oneof![1 => arbitrary, 2 => route53])| {
        let unquoted = unquote_txt(&value);
        if let (true, Ok(strings)) = (reach.case(unquoted.is_ok()), unquoted) {
            // What was read quotes back to a value that reads the same.
            prop_assert_eq!(unquote_txt(&quote_txt(&strings)), Ok(strings.clone()));
            if let Some(encoded) = encoded {
                prop_assert_eq!(strings, encoded, "{:?}", value);
            }
        }
    });
    reach.assert_at_least(MIN_REACH, "txt_unquoting_survives_arbitrary_values");
}

fn env_key_strategy() -> impl Strategy<Value = String> {
    let region_key = (
        0..=70usize,
        prop::sample::select(vec![
            "NAME",
            "TARGET",
            "ALIAS_HOSTED_ZONE_ID",
            "HEALTH_CHECK_ID",
            "ALARMS",
            "GUARDS",
            "OTHER",
        ]),
    )
        .prop_map(|(i, sub)| format!("REGIONFLIP_REGION_{i}_{sub}"));
    let top_key = prop::sample::select(vec![
        "HOSTED_ZONE_ID",
        "RECORD_NAME",
        "RECORD_TYPE",
        "TTL",
        "MODE",
        "METRICS_NAMESPACE",
        "FAILBACK_MODE",
        "FAILBACK_STABLE_FOR_SECS",
        "FAILBACK_MIN_DWELL_SECS",
        "FAILBACK_MAX_FLIPS_PER_HOUR",
        "FAILOVER_RESPECT_GUARDS",
        "HEALTH_PATH",
        "WATCHER_WAIT_IN_SYNC_SECS",
    ])
    .prop_map(|k| format!("REGIONFLIP_{k}"));
    prop_oneof![
        4 => region_key,
        4 => top_key,
        1 => "REGIONFLIP_[A-Z0-9_]{0,30}",
        1 => any::<String>(),
    ]
}

fn env_value_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "", " ", "0", "-1", "3601", "86401", "60", "true", "yes", "maybe", "records",
            "health-gate", "A", "CNAME", "auto", "manual", "us-east-1", "us-east-1 ", "mars",
            "a,b,,c", ",", "Z0123456789ABCDEFGHIJ", "/hostedzone/Z1", "api.example.com",
            "*.example.com", "..", "11111111-2222-3333-4444-555555555555",
        ]).prop_map(str::to_owned),
        1 => any::<String>(),
        1 => (prop::sample::select(FRAGMENTS), 1..2_000usize).prop_map(|(f, n)| f.repeat(n)),
    ]
}

// ------------------------------------------------------------------ the size limits

/// A megabyte of text of one kind, well past every limit.
fn megabyte(unit: &str) -> String {
    unit.repeat(1024 * 1024 / unit.len())
}

#[test]
fn oversized_configuration_files_are_refused_before_parsing() {
    for text in [
        megabyte("# comment\n"),
        megabyte("a"),
        "x".repeat(MAX_CONFIG_BYTES + 1),
    ] {
        let errors = Config::from_toml_str(&text).expect_err("refused");
        assert_eq!(errors.0.len(), 1, "{errors}");
        assert_eq!(errors.0[0].key, "(file)");
        assert!(
            errors.0[0]
                .problem
                .contains(&format!("is {} bytes long", text.len())),
            "{errors}"
        );
    }
    // The limit itself is far above any real file.
    for file in SHIPPED_CONFIGS {
        assert!(file.len() * 10 < MAX_CONFIG_BYTES);
    }
}

/// Regression: a file listing thousands of (empty) regions was validated region by
/// region, each check scanning every error found so far: 48 KB took 80 s, and a file
/// under the size limit could take far longer. Now more than [`MAX_REGIONS`] regions is
/// one error, found without validating any of them.
#[test]
fn more_regions_than_the_limit_is_one_error_without_validating_each() {
    let many = format!("regions = [{}]", vec!["{}"; 20_000].join(","));
    assert!(many.len() < MAX_CONFIG_BYTES);
    let errors = Config::from_toml_str(&many).expect_err("refused");
    let about_regions: Vec<_> = errors
        .0
        .iter()
        .filter(|e| e.key.starts_with("regions"))
        .collect();
    assert_eq!(about_regions.len(), 1, "{errors}");
    assert!(
        about_regions[0]
            .problem
            .contains("lists 20000 regions, more than 64"),
        "{errors}"
    );

    // Exactly the limit is accepted, and reads back through the environment.
    let region = |i: usize| {
        format!(
            "[[regions]]\nname = \"us-east-{i}\"\ntarget = \"api{i}.example.net\"\nalarms = [\"a{i}\"]\n"
        )
    };
    let header = "hosted_zone_id = \"Z0123456789ABCDEFGHIJ\"\nrecord_name = \"api.example.com\"\n";
    let at_limit: String = std::iter::once(header.to_owned())
        .chain((1..=MAX_REGIONS).map(region))
        .collect();
    let config = Config::from_toml_str(&at_limit).expect("64 regions are accepted");
    assert_eq!(config.regions.len(), MAX_REGIONS);
    assert_eq!(Config::from_env(config.to_env()), Ok(config));
    let over: String = std::iter::once(header.to_owned())
        .chain((1..=MAX_REGIONS + 1).map(region))
        .collect();
    let errors = Config::from_toml_str(&over).expect_err("65 regions are refused");
    assert!(errors.mentions("regions"), "{errors}");
}

#[test]
fn environment_regions_beyond_the_limit_are_not_settings() {
    let mut vars = Config::from_toml_str(SHIPPED_CONFIGS[0]).unwrap().to_env();
    vars.push((
        format!("REGIONFLIP_REGION_{}_NAME", MAX_REGIONS + 1),
        "eu-west-3".into(),
    ));
    let errors = Config::from_env(vars).expect_err("refused");
    assert!(
        errors.mentions(&format!("REGIONFLIP_REGION_{}_NAME", MAX_REGIONS + 1)),
        "{errors}"
    );
}

#[test]
fn deeply_nested_toml_is_refused_not_a_stack_overflow() {
    for text in [
        format!("a = {}{}", "[".repeat(50_000), "]".repeat(50_000)),
        format!("a = {}{}", "{a=".repeat(15_000), "}".repeat(15_000)),
    ] {
        let errors = Config::from_toml_str(&text).expect_err("refused");
        assert_eq!(errors.0[0].key, "(file)", "{errors}");
    }
}

#[test]
fn oversized_state_text_is_refused_before_parsing() {
    let valid = EngineState::initial("us-east-1").encode();
    for text in [
        megabyte("x"),
        megabyte(&format!("{valid} ")),
        format!("{valid}{}", " ".repeat(MAX_STATE_TEXT)),
    ] {
        assert_eq!(
            EngineState::decode(&text),
            Err(StateError::TooLong(text.len()))
        );
        // Split into many TXT strings, the total counts.
        let strings: Vec<&str> = text
            .as_bytes()
            .chunks(255)
            .map(|chunk| std::str::from_utf8(chunk).unwrap())
            .collect();
        assert_eq!(
            EngineState::from_txt_strings(&strings),
            Err(StateError::TooLong(text.len()))
        );
    }
    // At the limit, white space padding still parses: the limit is on length alone.
    let padded = format!("{valid}{}", " ".repeat(MAX_STATE_TEXT - valid.len()));
    assert_eq!(padded.len(), MAX_STATE_TEXT);
    assert!(EngineState::decode(&padded).is_ok());
}

#[test]
fn oversized_txt_values_are_refused_before_parsing() {
    for value in [
        megabyte("\"x\" "),
        megabyte("\\"),
        "\"".repeat(4 * MAX_STATE_TEXT + 1),
    ] {
        let error = unquote_txt(&value).expect_err("refused");
        assert!(error.contains("too long"), "{error}");
        match StateObservation::from_state_record(txt_record(vec![value])) {
            StateObservation::Corrupt { error, .. } => assert!(error.contains("too long")),
            other => panic!("{other:?}"),
        }
    }
    // Many values: regionflip writes exactly one, so more is corrupt whatever they hold.
    let state = quote_txt(&EngineState::initial("us-east-1").to_txt_strings());
    match StateObservation::from_state_record(txt_record(vec![state; 10_000])) {
        StateObservation::Corrupt { error, .. } => {
            assert!(error.contains("10000 values"), "{error}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn flip_lists_longer_than_kept_are_refused() {
    let flips: Vec<String> = (0..=MAX_FLIPS_KEPT).map(|i| i.to_string()).collect();
    let text = format!(
        "regionflip/v1 seq=1 active=us-east-1 at=- away=- paused=0 hold=0 flips={}",
        flips.join(",")
    );
    assert_eq!(
        EngineState::decode(&text),
        Err(StateError::BadValue("flips", "too many entries".into()))
    );
}
