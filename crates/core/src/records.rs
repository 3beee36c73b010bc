//! The DNS records regionflip owns, in the core's own terms (no AWS SDK types): the
//! record and change types, the failover pair and the state record regionflip writes,
//! and the reading of both back. Each format has its writer and its reader here, side by
//! side, so the two cannot drift apart:
//!
//! | record                                  | written by          | read by                |
//! |-----------------------------------------|---------------------|------------------------|
//! | failover pair (PRIMARY, SECONDARY)      | [`failover_record`] | [`region_of_record`]   |
//! | state record `_regionflip.<name>` (TXT) | [`state_record`]    | `state_of_record`      |
//! | one TXT value: `"a" "b"`                | [`quote_txt`]       | [`unquote_txt`]        |
//!
//! (`state_of_record` is reached through [`StateObservation::from_state_record`].)
//!
//! [`StateObservation::from_state_record`]: crate::StateObservation::from_state_record

use serde::Serialize;

use crate::config::{Config, RecordType, RegionConfig};
use crate::state::{EngineState, MAX_STATE_TEXT};

/// Set identifier of the record that is PRIMARY in the failover pair.
pub const PRIMARY_SET_ID: &str = "regionflip-primary";
/// Set identifier of the record that is SECONDARY in the failover pair.
pub const SECONDARY_SET_ID: &str = "regionflip-secondary";
/// TTL of the state record.
pub const STATE_RECORD_TTL: u32 = 60;

/// A resource record set in the core's terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordSet {
    /// Fully qualified name, with the trailing dot.
    pub name: String,
    /// `CNAME`, `A` or `TXT`.
    pub record_type: String,
    /// Set identifier, for failover records.
    pub set_identifier: Option<String>,
    /// PRIMARY or SECONDARY, for failover records.
    pub failover: Option<FailoverRole>,
    /// TTL; absent on alias records.
    pub ttl: Option<u32>,
    /// Values in Route 53 wire form (a CNAME target; TXT values quoted).
    pub values: Vec<String>,
    /// Alias target, for `A` alias records.
    pub alias: Option<AliasTarget>,
    /// Health check that Route 53 consults for this record.
    pub health_check_id: Option<String>,
}

impl RecordSet {
    /// Where the record points: the alias target's name, else its first value.
    pub(crate) fn target(&self) -> Option<&str> {
        self.alias
            .as_ref()
            .map(|a| a.dns_name.as_str())
            .or_else(|| self.values.first().map(String::as_str))
    }
}

/// Role of a record in a failover pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FailoverRole {
    /// Answered while its health check passes.
    Primary,
    /// Answered while the primary's check fails.
    Secondary,
}

/// Target of an alias record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AliasTarget {
    /// Hosted zone of the target.
    pub hosted_zone_id: String,
    /// DNS name of the target.
    pub dns_name: String,
}

/// One change in a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// What to do.
    pub action: ChangeAction,
    /// To which record.
    pub record: RecordSet,
}

/// Route 53 change actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ChangeAction {
    /// Fails when the record exists.
    Create,
    /// Fails unless the record matches exactly.
    Delete,
    /// Creates or replaces.
    Upsert,
}

/// The state record holding `state`.
pub fn state_record(config: &Config, state: &EngineState) -> RecordSet {
    RecordSet {
        name: config.state_record_name(),
        record_type: "TXT".into(),
        set_identifier: None,
        failover: None,
        ttl: Some(STATE_RECORD_TTL),
        values: vec![quote_txt(&state.to_txt_strings())],
        alias: None,
        health_check_id: None,
    }
}

/// Reads the engine state out of a state record. Strict: the record may have been edited
/// by hand, and one that is not exactly what [`state_record`] writes is an error.
pub(crate) fn state_of_record(record: &RecordSet) -> Result<EngineState, String> {
    match record.values.as_slice() {
        [value] => unquote_txt(value)
            .and_then(|strings| EngineState::from_txt_strings(&strings).map_err(|e| e.to_string())),
        values => Err(format!(
            "the state record has {} values; regionflip writes exactly one",
            values.len()
        )),
    }
}

/// The failover record for `region` in `role`.
pub fn failover_record(config: &Config, region: &RegionConfig, role: FailoverRole) -> RecordSet {
    let set_identifier = match role {
        FailoverRole::Primary => PRIMARY_SET_ID,
        FailoverRole::Secondary => SECONDARY_SET_ID,
    };
    let (ttl, values, alias) = match config.record_type {
        RecordType::Cname => (Some(config.ttl), vec![region.target.clone()], None),
        RecordType::A => (
            None,
            Vec::new(),
            Some(AliasTarget {
                hosted_zone_id: region.alias_hosted_zone_id.clone().unwrap_or_default(),
                dns_name: region.target.clone(),
            }),
        ),
    };
    RecordSet {
        name: config.record_name.clone(),
        record_type: config.record_type.as_str().into(),
        set_identifier: Some(set_identifier.into()),
        failover: Some(role),
        ttl,
        values,
        alias,
        health_check_id: region.health_check_id.clone(),
    }
}

/// The region a failover record points at, if it points at a configured one.
pub fn region_of_record<'c>(config: &'c Config, record: &RecordSet) -> Option<&'c RegionConfig> {
    let target = record.target()?.trim_end_matches('.').to_ascii_lowercase();
    config
        .regions
        .iter()
        .find(|r| r.target.trim_end_matches('.') == target)
}

/// Quotes TXT strings into one Route 53 TXT value: `"a" "b"`.
pub fn quote_txt<S: AsRef<str>>(strings: &[S]) -> String {
    strings
        .iter()
        .map(|s| {
            let escaped = s.as_ref().replace('\\', "\\\\").replace('"', "\\\"");
            format!("\"{escaped}\"")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Splits a Route 53 TXT value into its strings, undoing the quoting. Bounded: refuses
/// values longer than the state record ever is.
pub fn unquote_txt(value: &str) -> Result<Vec<String>, String> {
    if value.len() > 4 * MAX_STATE_TEXT {
        return Err(format!(
            "TXT value of {} characters is too long",
            value.len()
        ));
    }
    let mut strings = Vec::new();
    let mut chars = value.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            chars.next();
        }
        match chars.next() {
            None => break,
            Some('"') => {}
            Some(c) => return Err(format!("TXT value has {c:?} outside quotes")),
        }
        let mut current = String::new();
        loop {
            match chars.next() {
                None => return Err("TXT value has an unterminated string".into()),
                Some('"') => break,
                Some('\\') => {
                    let Some(next) = chars.next() else {
                        return Err("TXT value ends in a backslash".into());
                    };
                    if next.is_ascii_digit() {
                        // \ddd: an octal byte, as Route 53 writes non-printable characters.
                        let mut code = next.to_digit(8).unwrap_or(0);
                        for _ in 0..2 {
                            match chars.next().and_then(|c| c.to_digit(8)) {
                                Some(d) => code = code * 8 + d,
                                None => return Err("TXT value has a bad \\ddd escape".into()),
                            }
                        }
                        current.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                    } else {
                        current.push(next);
                    }
                }
                Some(c) => current.push(c),
            }
        }
        strings.push(current);
    }
    Ok(strings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn txt_quoting_round_trips() {
        let strings = vec!["plain".to_string(), "with \"quote\" and \\".to_string()];
        let value = quote_txt(&strings);
        assert_eq!(unquote_txt(&value), Ok(strings));
        assert_eq!(unquote_txt("\"a\\065\""), Ok(vec!["a5".to_string()]));
    }

    #[test]
    fn broken_txt_values_are_errors() {
        assert!(unquote_txt("\"open").is_err());
        assert!(unquote_txt("bare").is_err());
        assert!(unquote_txt("\"a\\").is_err());
        assert!(unquote_txt(&"\"x\"".repeat(10_000)).is_err());
    }
}
