//! Configuration: read once at start from environment variables, validated as a whole.
//!
//! [`Config::from_vars`] is a pure function of the variables it is given, so tests pass
//! plain `(name, value)` pairs instead of mutating the process environment. Every problem
//! is collected before returning, so an operator fixes a broken deployment in one round
//! trip instead of one variable per cold start.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fmt;

use crate::body;

/// Path that answers the health checks; must equal the path of the Route 53 check's ResourcePath.
pub const PATH_VAR: &str = "REGIONFLIP_HEALTH_PATH";
/// Service name reported in the body.
pub const SERVICE_NAME_VAR: &str = "REGIONFLIP_SERVICE_NAME";
/// String a Route 53 `HTTP(S)_STR_MATCH` check searches for.
pub const MATCH_VAR: &str = "REGIONFLIP_HEALTH_MATCH";
/// Drain switch: `true` makes the endpoint answer 503.
pub const DRAIN_VAR: &str = "REGIONFLIP_HEALTH_DRAIN";
/// Region reported in the body; Lambda always sets it.
pub const REGION_VAR: &str = "AWS_REGION";
/// Set by Lambda in every execution environment; its absence selects the local server.
pub const LAMBDA_RUNTIME_API_VAR: &str = "AWS_LAMBDA_RUNTIME_API";

/// Default for [`PATH_VAR`].
pub const DEFAULT_PATH: &str = "/health";
/// Default for [`SERVICE_NAME_VAR`].
pub const DEFAULT_SERVICE_NAME: &str = "regionflip";
/// Default for [`MATCH_VAR`].
pub const DEFAULT_MATCH: &str = "regionflip-healthy";
/// Region reported when [`REGION_VAR`] is unset outside Lambda.
pub const LOCAL_REGION: &str = "local";

/// Route 53 accepts a search string of at most this many characters.
pub const MAX_MATCH_CHARS: usize = 255;
/// Route 53 only searches this many leading bytes of the body.
pub const ROUTE53_SEARCH_WINDOW_BYTES: usize = 5120;
/// Route 53 accepts a ResourcePath of at most this many characters.
pub const MAX_PATH_CHARS: usize = 255;
/// Keeps the body tiny and far inside the search window whatever the operator sets.
pub const MAX_SERVICE_NAME_CHARS: usize = 64;
/// Longer than any real region name (the longest today is about 15 characters).
pub const MAX_REGION_CHARS: usize = 32;

/// Variables under this prefix that we do not know are rejected: a typo in the drain
/// switch (say `REGIONFLIP_HEALTH_DRAINING=true`) must not silently leave a region in service.
const OWN_PREFIX: &str = "REGIONFLIP_HEALTH_";
const KNOWN_OWN_VARS: [&str; 3] = [PATH_VAR, MATCH_VAR, DRAIN_VAR];

/// Where the binary runs, decided by the presence of [`LAMBDA_RUNTIME_API_VAR`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Inside a Lambda execution environment: serve invocations through the runtime API.
    Lambda,
    /// Anywhere else: serve the same routes as a plain HTTP/1.1 server.
    Local,
}

/// The validated configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Request path that answers health checks (exact match, query string ignored).
    pub path: String,
    /// Service name reported in the body.
    pub service_name: String,
    /// String placed in the healthy body for Route 53 `*_STR_MATCH` checks.
    pub match_string: String,
    /// When true every health request answers 503 `draining`.
    pub drain: bool,
    /// Region reported in the body.
    pub region: String,
    /// Lambda or local server.
    pub mode: Mode,
}

/// One invalid variable, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// The value is not valid UTF-8.
    #[error("{var} is not valid UTF-8: set it to plain text")]
    NotUnicode {
        /// Variable name.
        var: &'static str,
    },
    /// The variable is set to the empty string (usually a templating slip).
    #[error("{var} is set but empty: unset it to use the default {default:?}, or give it a value")]
    Empty {
        /// Variable name.
        var: &'static str,
        /// What unsetting it gives.
        default: &'static str,
    },
    /// A `REGIONFLIP_HEALTH_*` variable this binary does not read.
    #[error(
        "{var} is not a setting of the health endpoint (known: {PATH_VAR}, {MATCH_VAR}, {DRAIN_VAR}): fix its name or remove it"
    )]
    UnknownVariable {
        /// Variable name as found.
        var: String,
    },
    /// The path does not start with `/`.
    #[error(
        "{PATH_VAR}={value:?} does not start with '/': set it to the path of the Route 53 health check's ResourcePath, for example {DEFAULT_PATH}"
    )]
    PathWithoutLeadingSlash {
        /// The value found.
        value: String,
    },
    /// The path holds a query, a fragment, whitespace or control characters.
    #[error(
        "{PATH_VAR}={value:?} contains '?', '#', whitespace or a control character: set only the path, for example {DEFAULT_PATH} (a query string in the ResourcePath is ignored when matching)"
    )]
    PathInvalidCharacter {
        /// The value found.
        value: String,
    },
    /// The path is longer than Route 53 accepts.
    #[error(
        "{PATH_VAR} is {chars} characters long; a Route 53 ResourcePath holds at most {MAX_PATH_CHARS}: shorten it"
    )]
    PathTooLong {
        /// Length in characters.
        chars: usize,
    },
    /// The service name is too long.
    #[error(
        "{SERVICE_NAME_VAR} is {chars} characters long; at most {MAX_SERVICE_NAME_CHARS}: shorten it"
    )]
    ServiceNameTooLong {
        /// Length in characters.
        chars: usize,
    },
    /// The service name holds control characters.
    #[error("{SERVICE_NAME_VAR}={value:?} contains a control character: remove it")]
    ServiceNameControlCharacter {
        /// The value found.
        value: String,
    },
    /// The match string is longer than a Route 53 search string may be.
    #[error(
        "{MATCH_VAR} is {chars} characters long; a Route 53 search string holds at most {MAX_MATCH_CHARS}: shorten it"
    )]
    MatchTooLong {
        /// Length in characters.
        chars: usize,
    },
    /// The match string would not appear verbatim in the first 5,120 bytes of the body,
    /// because JSON escapes it (quotes, backslashes, control characters).
    #[error(
        "{MATCH_VAR}={value:?} would not appear verbatim in the first {ROUTE53_SEARCH_WINDOW_BYTES} bytes of the healthy body (JSON escapes quotes, backslashes and control characters), so a Route 53 string-matching check would never pass: use a string without them"
    )]
    MatchNotInBody {
        /// The value found.
        value: String,
    },
    /// The match string also appears in the draining body, so draining would not fail
    /// string-matching checks on the body alone.
    #[error(
        "{MATCH_VAR}={value:?} also appears in the draining body {draining_body}: choose a string that is not part of the service name, the region or the draining body's field names"
    )]
    MatchInDrainingBody {
        /// The value found.
        value: String,
        /// The draining body that contains it.
        draining_body: String,
    },
    /// The drain switch is not a boolean.
    #[error(
        "{DRAIN_VAR}={value:?} is not a switch value: set true or false (1 or 0 also work), or unset it for false"
    )]
    DrainNotBoolean {
        /// The value found.
        value: String,
    },
    /// Under Lambda, the region must be known.
    #[error(
        "{REGION_VAR} is not set although {LAMBDA_RUNTIME_API_VAR} is: Lambda always sets it, so set it to the function's region (for example eu-west-1) if this is an emulator"
    )]
    RegionMissingUnderLambda,
    /// The region is not shaped like a region name.
    #[error(
        "{REGION_VAR}={value:?} is not a region name: set it like eu-west-1 (lowercase letters, digits and '-', starting with a letter, at most {MAX_REGION_CHARS} characters), or unset it outside Lambda to report \"{LOCAL_REGION}\""
    )]
    RegionInvalid {
        /// The value found.
        value: String,
    },
}

/// Every problem found in the configuration; nothing is served while there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The problems, in a stable order (path, service name, match, drain, region, unknown).
    pub problems: Vec<Problem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid configuration ({} problem(s)):",
            self.problems.len()
        )?;
        for problem in &self.problems {
            write!(f, "\n  - {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads and validates the configuration from `(name, value)` pairs, such as
    /// `std::env::vars_os()`. Variables this binary does not read are ignored, except
    /// unknown `REGIONFLIP_HEALTH_*` ones.
    pub fn from_vars<I, K, V>(vars: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        let mut problems = Vec::new();
        let mut unknown = Vec::new();
        // Keep only our variables; None marks a value that is not UTF-8.
        let mut found: HashMap<&'static str, Option<String>> = HashMap::new();
        for (name, value) in vars {
            let Some(name) = name.as_ref().to_str() else {
                continue;
            };
            let known = [
                PATH_VAR,
                SERVICE_NAME_VAR,
                MATCH_VAR,
                DRAIN_VAR,
                REGION_VAR,
                LAMBDA_RUNTIME_API_VAR,
            ]
            .into_iter()
            .find(|known| *known == name);
            match known {
                Some(known) => {
                    found.insert(known, value.as_ref().to_str().map(str::to_owned));
                }
                None if name.starts_with(OWN_PREFIX) && !KNOWN_OWN_VARS.contains(&name) => {
                    unknown.push(name.to_owned());
                }
                None => {}
            }
        }

        let mode = if found.contains_key(LAMBDA_RUNTIME_API_VAR) {
            Mode::Lambda
        } else {
            Mode::Local
        };

        // Each lookup: Ok(None) when unset, Err(()) after recording a problem.
        let mut text = |var: &'static str, default: &'static str| -> Result<Option<String>, ()> {
            match found.get(var) {
                None => Ok(None),
                Some(None) => {
                    problems.push(Problem::NotUnicode { var });
                    Err(())
                }
                Some(Some(value)) if value.is_empty() => {
                    problems.push(Problem::Empty { var, default });
                    Err(())
                }
                Some(Some(value)) => Ok(Some(value.clone())),
            }
        };
        let path = text(PATH_VAR, DEFAULT_PATH);
        let service_name = text(SERVICE_NAME_VAR, DEFAULT_SERVICE_NAME);
        let match_string = text(MATCH_VAR, DEFAULT_MATCH);
        let drain = text(DRAIN_VAR, "false");
        let region = text(REGION_VAR, LOCAL_REGION);

        let path = path.map(|path| path.unwrap_or_else(|| DEFAULT_PATH.to_owned()));
        if let Ok(path) = &path {
            problems.extend(check_path(path));
        }

        let service_name =
            service_name.map(|name| name.unwrap_or_else(|| DEFAULT_SERVICE_NAME.to_owned()));
        if let Ok(name) = &service_name {
            problems.extend(check_service_name(name));
        }

        let region = match region {
            Ok(Some(region)) => {
                problems.extend(check_region(&region));
                Ok(region)
            }
            Ok(None) if mode == Mode::Lambda => {
                problems.push(Problem::RegionMissingUnderLambda);
                Err(())
            }
            Ok(None) => Ok(LOCAL_REGION.to_owned()),
            Err(()) => Err(()),
        };

        let match_string = match_string.map(|m| m.unwrap_or_else(|| DEFAULT_MATCH.to_owned()));
        if let Ok(match_string) = &match_string {
            // The body checks use the values as given, even ones rejected above, so a
            // problem they find is real and not an artefact of a substituted default.
            let name = service_name.as_deref().unwrap_or(DEFAULT_SERVICE_NAME);
            let region = region.as_deref().unwrap_or(LOCAL_REGION);
            problems.extend(check_match(match_string, name, region));
        }

        let drain = match drain {
            Ok(None) => Ok(false),
            Ok(Some(value)) => parse_switch(&value).ok_or_else(|| {
                problems.push(Problem::DrainNotBoolean { value });
            }),
            Err(()) => Err(()),
        };

        unknown.sort();
        problems.extend(
            unknown
                .into_iter()
                .map(|var| Problem::UnknownVariable { var }),
        );

        match (path, service_name, match_string, drain, region) {
            (Ok(path), Ok(service_name), Ok(match_string), Ok(drain), Ok(region))
                if problems.is_empty() =>
            {
                Ok(Config {
                    path,
                    service_name,
                    match_string,
                    drain,
                    region,
                    mode,
                })
            }
            _ => Err(ConfigError { problems }),
        }
    }
}

fn check_path(path: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
    if !path.starts_with('/') {
        problems.push(Problem::PathWithoutLeadingSlash {
            value: path.to_owned(),
        });
    }
    if path
        .chars()
        .any(|c| c == '?' || c == '#' || c.is_whitespace() || c.is_control())
    {
        problems.push(Problem::PathInvalidCharacter {
            value: path.to_owned(),
        });
    }
    let chars = path.chars().count();
    if chars > MAX_PATH_CHARS {
        problems.push(Problem::PathTooLong { chars });
    }
    problems
}

fn check_service_name(name: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
    let chars = name.chars().count();
    if chars > MAX_SERVICE_NAME_CHARS {
        problems.push(Problem::ServiceNameTooLong { chars });
    }
    if name.chars().any(char::is_control) {
        problems.push(Problem::ServiceNameControlCharacter {
            value: name.to_owned(),
        });
    }
    problems
}

fn check_region(region: &str) -> Option<Problem> {
    let well_formed = region.len() <= MAX_REGION_CHARS
        && region.starts_with(|c: char| c.is_ascii_lowercase())
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    (!well_formed).then(|| Problem::RegionInvalid {
        value: region.to_owned(),
    })
}

/// Checks the match string against the bodies that would really be served, so that
/// escaping or an unlucky overlap with other fields cannot slip through.
fn check_match(match_string: &str, service_name: &str, region: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
    let chars = match_string.chars().count();
    if chars > MAX_MATCH_CHARS {
        problems.push(Problem::MatchTooLong { chars });
    }
    let healthy = body::healthy(service_name, region, match_string);
    if !within_search_window(&healthy, match_string) {
        problems.push(Problem::MatchNotInBody {
            value: match_string.to_owned(),
        });
    }
    let draining = body::draining(service_name, region);
    if draining.contains(match_string) {
        problems.push(Problem::MatchInDrainingBody {
            value: match_string.to_owned(),
            draining_body: draining,
        });
    }
    problems
}

/// True when `needle` ends within the leading bytes Route 53 searches.
pub fn within_search_window(body: &str, needle: &str) -> bool {
    body.find(needle)
        .is_some_and(|start| start + needle.len() <= ROUTE53_SEARCH_WINDOW_BYTES)
}

fn parse_switch(value: &str) -> Option<bool> {
    if value.eq_ignore_ascii_case("true") || value == "1" {
        Some(true)
    } else if value.eq_ignore_ascii_case("false") || value == "0" {
        Some(false)
    } else {
        None
    }
}
