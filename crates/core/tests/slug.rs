//! The resource-name fragment of a record (`resources::slug_of`) is injective: it decodes
//! back to the record name for every valid name, so two records never share a state
//! holder or a gate alarm (regression: `api.eu.example.com` and `api-eu.example.com` did).

use proptest::prelude::*;
use regionflip_core::resources::slug_of;

/// A valid label: a-z, 0-9, `-` and `_`, not starting or ending with `-`. The alphabet
/// is small on purpose, so that hyphens, underscores and dots meet often.
fn label() -> impl Strategy<Value = String> {
    "[aw_][aw_-]{0,4}[aw_]|[aw_]".prop_map(String::from)
}

/// A record name as the configuration normalises it: labels, a trailing dot, and maybe a
/// leading wildcard label.
fn record_name() -> impl Strategy<Value = String> {
    (any::<bool>(), prop::collection::vec(label(), 2..5)).prop_map(|(wildcard, labels)| {
        let mut name = if wildcard {
            "*.".to_string()
        } else {
            String::new()
        };
        name.push_str(&labels.join("."));
        name.push('.');
        name
    })
}

/// The inverse of `slug_of`, written from its rules.
fn decode(slug: &str) -> String {
    let mut name = String::new();
    let chars: Vec<char> = slug.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '-' if chars.get(i + 1) == Some(&'-') => {
                name.push('-');
                i += 2;
            }
            '-' => {
                name.push('.');
                i += 1;
            }
            '_' if chars.get(i + 1) == Some(&'_') => {
                name.push('_');
                i += 2;
            }
            '_' if chars.get(i + 1) == Some(&'w') => {
                name.push('*');
                i += 2;
            }
            other => {
                name.push(other);
                i += 1;
            }
        }
    }
    name.push('.');
    name
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn every_fragment_decodes_to_its_record_name(name in record_name()) {
        prop_assert_eq!(decode(&slug_of(&name)), name);
    }
}
