//! Configuration: defaults, every rejected value, and that all problems come at once.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use regionflip_health::config::{
    DEFAULT_MATCH, DEFAULT_PATH, DEFAULT_SERVICE_NAME, DRAIN_VAR, LOCAL_REGION, MATCH_VAR,
    PATH_VAR, REGION_VAR, SERVICE_NAME_VAR,
};
use regionflip_health::{Config, ConfigError, Mode, Problem};

fn parse(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    Config::from_vars(vars.iter().copied())
}

fn problems(vars: &[(&str, &str)]) -> Vec<Problem> {
    match parse(vars) {
        Ok(config) => panic!("expected a configuration error, got {config:?}"),
        Err(error) => error.problems,
    }
}

#[test]
fn defaults_apply_outside_lambda() {
    let config = parse(&[]).expect("empty environment is valid");
    assert_eq!(
        config,
        Config {
            path: DEFAULT_PATH.to_owned(),
            service_name: DEFAULT_SERVICE_NAME.to_owned(),
            match_string: DEFAULT_MATCH.to_owned(),
            drain: false,
            region: LOCAL_REGION.to_owned(),
            mode: Mode::Local,
        }
    );
}

#[test]
fn every_variable_is_read() {
    let config = parse(&[
        (PATH_VAR, "/status/route53"),
        (SERVICE_NAME_VAR, "checkout"),
        (MATCH_VAR, "checkout-ok-7f3a"),
        (DRAIN_VAR, "true"),
        (REGION_VAR, "ap-southeast-2"),
        ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"),
        ("UNRELATED", "ignored"),
    ])
    .expect("valid");
    assert_eq!(config.path, "/status/route53");
    assert_eq!(config.service_name, "checkout");
    assert_eq!(config.match_string, "checkout-ok-7f3a");
    assert!(config.drain);
    assert_eq!(config.region, "ap-southeast-2");
    assert_eq!(config.mode, Mode::Lambda);
}

#[test]
fn drain_accepts_true_false_one_zero_in_any_case() {
    for (value, expected) in [
        ("true", true),
        ("TRUE", true),
        ("True", true),
        ("1", true),
        ("false", false),
        ("FALSE", false),
        ("0", false),
    ] {
        let config = parse(&[(DRAIN_VAR, value)]).expect(value);
        assert_eq!(config.drain, expected, "{DRAIN_VAR}={value}");
    }
}

#[test]
fn drain_rejects_anything_else() {
    for value in ["yes", "on", "2", " true", "draining"] {
        assert_eq!(
            problems(&[(DRAIN_VAR, value)]),
            vec![Problem::DrainNotBoolean {
                value: value.to_owned()
            }],
            "{DRAIN_VAR}={value:?}"
        );
    }
}

#[test]
fn empty_values_are_rejected_with_the_default_named() {
    assert_eq!(
        problems(&[(PATH_VAR, ""), (MATCH_VAR, ""), (DRAIN_VAR, "")]),
        vec![
            Problem::Empty {
                var: PATH_VAR,
                default: DEFAULT_PATH
            },
            Problem::Empty {
                var: MATCH_VAR,
                default: DEFAULT_MATCH
            },
            Problem::Empty {
                var: DRAIN_VAR,
                default: "false"
            },
        ]
    );
}

#[test]
fn path_must_start_with_a_slash() {
    assert_eq!(
        problems(&[(PATH_VAR, "health")]),
        vec![Problem::PathWithoutLeadingSlash {
            value: "health".to_owned()
        }]
    );
}

#[test]
fn path_must_not_hold_query_fragment_or_whitespace() {
    for value in ["/health?deep=1", "/health#x", "/he alth", "/health\n"] {
        assert_eq!(
            problems(&[(PATH_VAR, value)]),
            vec![Problem::PathInvalidCharacter {
                value: value.to_owned()
            }],
            "{PATH_VAR}={value:?}"
        );
    }
}

#[test]
fn path_longer_than_route53_resource_path_is_rejected() {
    let long = format!("/{}", "a".repeat(255));
    assert_eq!(
        problems(&[(PATH_VAR, &long)]),
        vec![Problem::PathTooLong { chars: 256 }]
    );
    let longest = format!("/{}", "a".repeat(254));
    assert!(parse(&[(PATH_VAR, &longest)]).is_ok());
}

#[test]
fn service_name_is_bounded_and_printable() {
    let long = "s".repeat(65);
    assert_eq!(
        problems(&[(SERVICE_NAME_VAR, &long)]),
        vec![Problem::ServiceNameTooLong { chars: 65 }]
    );
    assert_eq!(
        problems(&[(SERVICE_NAME_VAR, "pay\tments")]),
        vec![Problem::ServiceNameControlCharacter {
            value: "pay\tments".to_owned()
        }]
    );
    // Quotes are fine in the name: they are escaped in the body.
    assert!(parse(&[(SERVICE_NAME_VAR, "the \"payments\" API")]).is_ok());
}

#[test]
fn match_longer_than_255_characters_is_rejected() {
    let long = "m".repeat(256);
    assert_eq!(
        problems(&[(MATCH_VAR, &long)]),
        vec![Problem::MatchTooLong { chars: 256 }]
    );
    // Route 53 counts characters, not bytes: 255 two-byte characters are allowed.
    let longest = "é".repeat(255);
    assert!(parse(&[(MATCH_VAR, &longest)]).is_ok());
}

#[test]
fn match_that_json_escaping_would_alter_is_rejected() {
    for value in ["say \"ok\"", "back\\slash", "tab\there"] {
        assert_eq!(
            problems(&[(MATCH_VAR, value)]),
            vec![Problem::MatchNotInBody {
                value: value.to_owned()
            }],
            "{MATCH_VAR}={value:?}"
        );
    }
    // Characters JSON leaves alone pass, even non-ASCII and '/'.
    assert!(parse(&[(MATCH_VAR, "gesund/ok ✓")]).is_ok());
}

#[test]
fn match_that_also_appears_in_the_draining_body_is_rejected() {
    for value in ["regionflip", "status", "eu-west", "draining", "\"region\""] {
        let found = problems(&[(MATCH_VAR, value), (REGION_VAR, "eu-west-1")]);
        assert!(
            found
                .iter()
                .any(|p| matches!(p, Problem::MatchInDrainingBody { value: v, .. } if v == value)),
            "{MATCH_VAR}={value:?}: {found:?}"
        );
    }
}

#[test]
fn region_defaults_to_local_only_outside_lambda() {
    assert_eq!(parse(&[]).expect("valid").region, LOCAL_REGION);
    assert_eq!(
        problems(&[("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")]),
        vec![Problem::RegionMissingUnderLambda]
    );
}

#[test]
fn region_must_look_like_a_region() {
    for value in [
        "EU-WEST-1",
        "1eu-west",
        "eu_west_1",
        "eu-west-1 ",
        &"a".repeat(33),
    ] {
        assert_eq!(
            problems(&[(REGION_VAR, value)]),
            vec![Problem::RegionInvalid {
                value: value.to_owned()
            }],
            "{REGION_VAR}={value:?}"
        );
    }
    for value in ["eu-west-1", "us-gov-west-1", "cn-northwest-1", "local"] {
        assert!(parse(&[(REGION_VAR, value)]).is_ok(), "{value}");
    }
}

#[test]
fn unknown_health_variables_are_rejected_so_a_misspelt_drain_is_not_ignored() {
    assert_eq!(
        problems(&[("REGIONFLIP_HEALTH_DRAINING", "true")]),
        vec![Problem::UnknownVariable {
            var: "REGIONFLIP_HEALTH_DRAINING".to_owned()
        }]
    );
    // Other regionflip components' variables are not ours to judge.
    assert!(parse(&[("REGIONFLIP_WATCHER_CONFIG", "x")]).is_ok());
}

#[test]
fn non_utf8_values_are_rejected() {
    let vars = vec![(
        OsString::from(MATCH_VAR),
        OsString::from_vec(vec![b'o', b'k', 0xff]),
    )];
    let error = Config::from_vars(vars).expect_err("invalid UTF-8");
    assert_eq!(error.problems, vec![Problem::NotUnicode { var: MATCH_VAR }]);
}

#[test]
fn all_problems_are_reported_at_once_each_naming_its_variable() {
    let error = parse(&[
        (PATH_VAR, "health"),
        (SERVICE_NAME_VAR, &"s".repeat(100)),
        (MATCH_VAR, &"m".repeat(300)),
        (DRAIN_VAR, "maybe"),
        (REGION_VAR, "Mars"),
        ("REGIONFLIP_HEALTH_TYPO", "1"),
    ])
    .expect_err("six problems");
    assert_eq!(error.problems.len(), 6, "{error}");
    let text = error.to_string();
    for var in [
        PATH_VAR,
        SERVICE_NAME_VAR,
        MATCH_VAR,
        DRAIN_VAR,
        REGION_VAR,
        "REGIONFLIP_HEALTH_TYPO",
    ] {
        assert!(text.contains(var), "{var} missing from:\n{text}");
    }
    assert!(
        text.starts_with("invalid configuration (6 problem(s)):"),
        "{text}"
    );
}

#[test]
fn every_message_tells_the_fix() {
    // Each message names its variable and says what to set or do.
    let samples = [
        Problem::PathWithoutLeadingSlash {
            value: "health".into(),
        },
        Problem::MatchTooLong { chars: 300 },
        Problem::MatchNotInBody { value: "\"".into() },
        Problem::DrainNotBoolean {
            value: "maybe".into(),
        },
        Problem::RegionMissingUnderLambda,
    ];
    for problem in samples {
        let text = problem.to_string();
        assert!(
            ["set ", "use ", "shorten", "unset", "choose"]
                .iter()
                .any(|verb| text.contains(verb)),
            "no fix in: {text}"
        );
    }
}
