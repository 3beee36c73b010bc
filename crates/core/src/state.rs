//! The engine's persisted state and its text form.
//!
//! Lambda forgets everything between cold starts, so whatever the rules need to remember
//! (when the last transition happened, the recent automatic flips for damping, the pause
//! flag, a sequence number) is written back with every transition and read again at the
//! start of every pass. In `records` mode it lives in a TXT record beside the failover
//! records (`_regionflip.<record name>`), changed in the same atomic batch; the text form
//! here is what that record holds, split into TXT strings of at most 255 characters.
//!
//! The format is a line of `key=value` words after a version tag, readable by anyone who
//! runs `dig TXT`:
//!
//! ```text
//! regionflip/v1 seq=7 active=us-west-2 at=1732400000 away=1732400000 paused=0 hold=0 flips=1732400000
//! ```
//!
//! Active-active routing (`routing = "latency"` or `"weighted"`) adds two words, written
//! only when they hold something, so a failover state reads as it always did: `out=`, the
//! regions out of service with when each was evacuated, and `rflips=`, each region's
//! automatic service changes of the last hour (damping is per region):
//!
//! ```text
//! … flips=- out=us-east-1:1732400000 rflips=us-east-1:1732399000,us-east-1:1732400000
//! ```
//!
//! Parsing is strict and bounded: the record may have been edited by hand, and a garbled
//! record must be reported, never half-understood.

use std::fmt;

/// The version tag every state record starts with.
pub(crate) const STATE_TAG: &str = "regionflip/v1";
/// Longest state text accepted; far above any real record, it bounds the parser's work.
pub const MAX_STATE_TEXT: usize = 4096;
/// Most recent flips kept: the damping limit is at most 60 an hour.
pub const MAX_FLIPS_KEPT: usize = 64;
/// Route 53 limits one TXT string to 255 characters.
pub(crate) const TXT_STRING_MAX: usize = 255;
/// Longest state a gate-mode state holder can hold: CloudWatch takes an alarm
/// description of at most 1,024 characters. The validator keeps active-active states
/// below it ([`longest_service_state`]).
pub const MAX_HELD_STATE_TEXT: usize = 1024;
/// Most entries of `out=` and `rflips=` accepted: a region's flips in an hour are at most
/// `max_flips_per_hour` (60), and a configuration lists at most 64 regions; the holder's
/// 1,024 characters bound real states far lower.
const MAX_SERVICE_ENTRIES: usize = 256;

/// The longest text an active-active state of these regions can have with
/// `max_flips_per_hour`: every word at its widest (a sequence of 20 digits, every region
/// out, every region at its flip limit).
pub fn longest_service_state(regions: &[&str], max_flips_per_hour: u32) -> usize {
    let longest = regions.iter().map(|r| r.len()).max().unwrap_or(0);
    let time = 10 + 1;
    let head = format!("{STATE_TAG} seq= active= at= away= paused=0 hold=0 flips=- out= rflips=")
        .len()
        + 20
        + longest
        + 2 * time;
    let out: usize = regions.iter().map(|r| r.len() + 1 + time).sum();
    let flips: usize = regions
        .iter()
        .map(|r| (r.len() + 1 + time) * max_flips_per_hour as usize)
        .sum();
    head + out + flips
}

/// What the engine remembers between passes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EngineState {
    /// Increases with every write, so that every state value is new (compare-and-swap
    /// never meets an old value again) and readers can order two copies.
    pub sequence: u64,
    /// The region the last applied decision routes to.
    pub active: String,
    /// When the last transition was applied, Unix seconds (RFC 3339 in JSON, as every
    /// time regionflip prints).
    #[serde(serialize_with = "crate::timestamp::serialize_rfc3339_opt")]
    pub last_transition_at: Option<u64>,
    /// When traffic last left the home region (cleared on return): failover duration.
    #[serde(serialize_with = "crate::timestamp::serialize_rfc3339_opt")]
    pub away_since: Option<u64>,
    /// Times of automatic transitions in the last hour, oldest first (flap damping).
    #[serde(serialize_with = "crate::timestamp::serialize_rfc3339_list")]
    pub recent_flips: Vec<u64>,
    /// Operator pause: routing frozen, regions still observed and reported.
    pub paused: bool,
    /// Set by an operator's move: automatic failback waits until an operator fails back
    /// or resumes, so that automation never undoes a deliberate decision by itself.
    /// Active-active: set by an operator's `evacuate`; automatic restores wait.
    pub hold_failback: bool,
    /// Active-active routing: the regions out of service, each with when it was
    /// evacuated (Unix seconds; `{"region", "at"}` with RFC 3339 in JSON), in preference
    /// order. Empty: every region serves.
    #[serde(serialize_with = "crate::timestamp::serialize_region_times")]
    pub out_of_service: Vec<(String, u64)>,
    /// Active-active routing: each region's automatic service changes (evacuations and
    /// restores) of the last hour, in time order: damping is per region.
    #[serde(serialize_with = "crate::timestamp::serialize_region_times")]
    pub region_flips: Vec<(String, u64)>,
}

impl EngineState {
    /// The state before any transition: routing on `active`, nothing remembered.
    pub fn initial(active: &str) -> EngineState {
        EngineState {
            sequence: 0,
            active: active.to_string(),
            last_transition_at: None,
            away_since: None,
            recent_flips: Vec::new(),
            paused: false,
            hold_failback: false,
            out_of_service: Vec::new(),
            region_flips: Vec::new(),
        }
    }

    /// Active-active: whether `region` is in service (not evacuated).
    pub fn in_service(&self, region: &str) -> bool {
        !self.out_of_service.iter().any(|(r, _)| r == region)
    }

    /// Active-active: when `region` was evacuated, if it is out of service.
    pub fn out_since(&self, region: &str) -> Option<u64> {
        self.out_of_service
            .iter()
            .find(|(r, _)| r == region)
            .map(|(_, t)| *t)
    }

    /// The text form, as one line.
    pub fn encode(&self) -> String {
        let opt = |v: Option<u64>| v.map_or_else(|| "-".to_string(), |t| t.to_string());
        let flips: Vec<String> = self.recent_flips.iter().map(u64::to_string).collect();
        let pairs = |list: &[(String, u64)]| {
            list.iter()
                .map(|(r, t)| format!("{r}:{t}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        let mut text = format!(
            "{STATE_TAG} seq={} active={} at={} away={} paused={} hold={} flips={}",
            self.sequence,
            self.active,
            opt(self.last_transition_at),
            opt(self.away_since),
            u8::from(self.paused),
            u8::from(self.hold_failback),
            if flips.is_empty() {
                "-".to_string()
            } else {
                flips.join(",")
            }
        );
        if !self.out_of_service.is_empty() {
            text.push_str(&format!(" out={}", pairs(&self.out_of_service)));
        }
        if !self.region_flips.is_empty() {
            text.push_str(&format!(" rflips={}", pairs(&self.region_flips)));
        }
        text
    }

    /// The text form split into TXT strings of at most 255 characters, at spaces and
    /// commas so each string stays readable.
    pub fn to_txt_strings(&self) -> Vec<String> {
        split_for_txt(&self.encode())
    }

    /// Reads the TXT strings of a state record (they are joined as written).
    pub fn from_txt_strings<S: AsRef<str>>(strings: &[S]) -> Result<EngineState, StateError> {
        let total: usize = strings.iter().map(|s| s.as_ref().len()).sum();
        if total > MAX_STATE_TEXT {
            return Err(StateError::TooLong(total));
        }
        let joined: String = strings.iter().map(AsRef::as_ref).collect();
        EngineState::decode(&joined)
    }

    /// Parses the one-line text form.
    pub fn decode(text: &str) -> Result<EngineState, StateError> {
        if text.len() > MAX_STATE_TEXT {
            return Err(StateError::TooLong(text.len()));
        }
        let mut words = text.split_ascii_whitespace();
        match words.next() {
            Some(STATE_TAG) => {}
            Some(other) => return Err(StateError::UnknownVersion(truncate(other))),
            None => return Err(StateError::Empty),
        }
        let mut fields = Fields::default();
        for word in words {
            let (key, value) = word
                .split_once('=')
                .ok_or_else(|| StateError::Malformed(truncate(word)))?;
            let slot = match key {
                "seq" => &mut fields.seq,
                "active" => &mut fields.active,
                "at" => &mut fields.at,
                "away" => &mut fields.away,
                "paused" => &mut fields.paused,
                "hold" => &mut fields.hold,
                "flips" => &mut fields.flips,
                "out" => &mut fields.out,
                "rflips" => &mut fields.rflips,
                other => return Err(StateError::UnknownField(truncate(other))),
            };
            if slot.replace(value).is_some() {
                return Err(StateError::Repeated(key.to_string()));
            }
        }
        let active = need(fields.active, "active")?;
        if !crate::names::is_region_name(active) {
            return Err(StateError::BadValue("active", truncate(active)));
        }
        let mut recent_flips = Vec::new();
        let flips = need(fields.flips, "flips")?;
        if flips != "-" {
            for t in flips.split(',') {
                if recent_flips.len() == MAX_FLIPS_KEPT {
                    return Err(StateError::BadValue("flips", "too many entries".into()));
                }
                recent_flips.push(number(t, "flips")?);
            }
        }
        if recent_flips.windows(2).any(|w| w[0] > w[1]) {
            return Err(StateError::BadValue("flips", "not in time order".into()));
        }
        let sequence = number(need(fields.seq, "seq")?, "seq")?;
        if sequence == u64::MAX {
            // No state could follow it: the next write would repeat it, and copies that
            // share a sequence cannot be ordered. Hand-made or hostile; never trusted.
            return Err(StateError::BadValue(
                "seq",
                "at its maximum; no later state could be written".into(),
            ));
        }
        let out_of_service = fields
            .out
            .map(|v| region_times(v, "out"))
            .transpose()?
            .unwrap_or_default();
        if out_of_service
            .iter()
            .enumerate()
            .any(|(i, (r, _))| out_of_service[..i].iter().any(|(o, _)| o == r))
        {
            return Err(StateError::BadValue("out", "a region listed twice".into()));
        }
        let region_flips = fields
            .rflips
            .map(|v| region_times(v, "rflips"))
            .transpose()?
            .unwrap_or_default();
        if region_flips.windows(2).any(|w| w[0].1 > w[1].1) {
            return Err(StateError::BadValue("rflips", "not in time order".into()));
        }
        Ok(EngineState {
            sequence,
            active: active.to_string(),
            last_transition_at: optional_number(need(fields.at, "at")?, "at")?,
            away_since: optional_number(need(fields.away, "away")?, "away")?,
            recent_flips,
            paused: flag(need(fields.paused, "paused")?, "paused")?,
            hold_failback: flag(need(fields.hold, "hold")?, "hold")?,
            out_of_service,
            region_flips,
        })
    }
}

/// What can still be read from a state text that does not parse: its sequence and the
/// region it names, each only when written as regionflip writes it (the first `seq=`
/// word that is a number, the first `active=` word that is a region name). Never routed on and never a reason to trust
/// the text: an operator command replacing an unreadable state uses the sequence to
/// write one above it, and in `health-gate` mode the region as where the gates it
/// replaces most likely route ([`crate::observe`] says how).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Legible {
    /// The first `seq=` word that is a number.
    pub sequence: Option<u64>,
    /// The first `active=` word that is a region name (configured or not).
    pub active: Option<String>,
}

impl Legible {
    /// Reads what it can from `text`, bounded like [`EngineState::decode`].
    pub fn of(text: &str) -> Legible {
        let mut legible = Legible::default();
        if text.len() > MAX_STATE_TEXT {
            return legible;
        }
        for word in text.split_ascii_whitespace() {
            match word.split_once('=') {
                Some(("seq", value)) if legible.sequence.is_none() => {
                    legible.sequence = value.parse().ok();
                }
                Some(("active", value))
                    if legible.active.is_none() && crate::names::is_region_name(value) =>
                {
                    legible.active = Some(value.to_string());
                }
                _ => {}
            }
        }
        legible
    }
}

#[derive(Default)]
struct Fields<'a> {
    seq: Option<&'a str>,
    active: Option<&'a str>,
    at: Option<&'a str>,
    away: Option<&'a str>,
    paused: Option<&'a str>,
    hold: Option<&'a str>,
    flips: Option<&'a str>,
    out: Option<&'a str>,
    rflips: Option<&'a str>,
}

/// `region:time,region:time`, as `out=` and `rflips=` hold them; never empty (the words
/// are left out then).
fn region_times(text: &str, field: &'static str) -> Result<Vec<(String, u64)>, StateError> {
    let mut list = Vec::new();
    for entry in text.split(',') {
        if list.len() == MAX_SERVICE_ENTRIES {
            return Err(StateError::BadValue(field, "too many entries".into()));
        }
        let (region, time) = entry
            .split_once(':')
            .ok_or_else(|| StateError::BadValue(field, truncate(entry)))?;
        if !crate::names::is_region_name(region) {
            return Err(StateError::BadValue(field, truncate(region)));
        }
        list.push((region.to_string(), number(time, field)?));
    }
    Ok(list)
}

fn need<'a>(value: Option<&'a str>, key: &'static str) -> Result<&'a str, StateError> {
    value.ok_or(StateError::Missing(key))
}

fn number(text: &str, field: &'static str) -> Result<u64, StateError> {
    text.parse()
        .map_err(|_| StateError::BadValue(field, truncate(text)))
}

fn optional_number(text: &str, field: &'static str) -> Result<Option<u64>, StateError> {
    if text == "-" {
        Ok(None)
    } else {
        number(text, field).map(Some)
    }
}

fn flag(text: &str, field: &'static str) -> Result<bool, StateError> {
    match text {
        "0" => Ok(false),
        "1" => Ok(true),
        _ => Err(StateError::BadValue(field, truncate(text))),
    }
}

/// Error messages quote at most this much of what was found: the record is untrusted.
fn truncate(text: &str) -> String {
    text.chars().take(40).collect()
}

fn split_for_txt(line: &str) -> Vec<String> {
    let mut strings = Vec::new();
    let mut current = String::new();
    // Break after a space or comma; the joined strings give back the line exactly.
    for piece in line.split_inclusive([' ', ',']) {
        if !current.is_empty() && current.len() + piece.len() > TXT_STRING_MAX {
            strings.push(std::mem::take(&mut current));
        }
        current.push_str(piece);
    }
    if !current.is_empty() {
        strings.push(current);
    }
    strings
}

/// Why a state record could not be read. The engine reports it and acts as if no state
/// were known; it never routes on a guess drawn from a broken record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// Nothing but white space.
    #[error("the state record is empty")]
    Empty,
    /// Longer than any state regionflip writes.
    #[error("the state record is {0} characters long, more than regionflip ever writes")]
    TooLong(usize),
    /// Does not start with the version tag.
    #[error("the state record starts with {0:?}, not {STATE_TAG}")]
    UnknownVersion(String),
    /// A word without `=`.
    #[error("the state record has {0:?} where key=value belongs")]
    Malformed(String),
    /// A key regionflip does not write.
    #[error("the state record has an unknown field {0:?}")]
    UnknownField(String),
    /// A key written twice.
    #[error("the state record repeats field {0:?}")]
    Repeated(String),
    /// A key regionflip always writes is absent.
    #[error("the state record lacks field {0:?}")]
    Missing(&'static str),
    /// A value that does not parse.
    #[error("the state record's field {0:?} has a bad value {1:?}")]
    BadValue(&'static str, String),
}

impl fmt::Display for EngineState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

#[cfg(test)]
mod tests {
    /// Regression (a sequence at u64::MAX saturated silently, so gate-mode copies could
    /// not be ordered): such a state is refused as corrupt; one below it still reads.
    #[test]
    fn a_sequence_at_its_maximum_is_refused() {
        let mut state = EngineState::initial("us-east-1");
        state.sequence = u64::MAX;
        assert!(matches!(
            EngineState::decode(&state.encode()),
            Err(StateError::BadValue("seq", _))
        ));
        state.sequence = u64::MAX - 1;
        assert_eq!(EngineState::decode(&state.encode()), Ok(state));
    }

    use super::*;

    fn sample() -> EngineState {
        EngineState {
            sequence: 7,
            active: "us-west-2".into(),
            last_transition_at: Some(1_732_400_000),
            away_since: Some(1_732_400_000),
            recent_flips: vec![1_732_399_000, 1_732_400_000],
            paused: false,
            hold_failback: true,
            out_of_service: Vec::new(),
            region_flips: Vec::new(),
        }
    }

    #[test]
    fn round_trips_through_txt_strings() {
        let state = sample();
        let strings = state.to_txt_strings();
        assert_eq!(EngineState::from_txt_strings(&strings), Ok(state));
    }

    /// Active-active words: written only when they hold something (a failover state's text
    /// is unchanged), read back exactly, and refused when garbled.
    #[test]
    fn service_words_round_trip_and_garbled_ones_are_refused() {
        let mut state = sample();
        assert!(!state.encode().contains("out=") && !state.encode().contains("rflips="));
        state.out_of_service = vec![("us-east-1".into(), 1_732_400_000)];
        state.region_flips = vec![
            ("us-east-1".into(), 1_732_399_000),
            ("eu-west-1".into(), 1_732_400_000),
        ];
        let text = state.encode();
        assert!(text.ends_with(
            " out=us-east-1:1732400000 rflips=us-east-1:1732399000,eu-west-1:1732400000"
        ));
        assert_eq!(EngineState::decode(&text), Ok(state.clone()));
        assert!(!state.in_service("us-east-1") && state.in_service("eu-west-1"));
        assert_eq!(state.out_since("us-east-1"), Some(1_732_400_000));
        let base = sample().encode();
        for (words, field) in [
            (" out=us-east-1:1,us-east-1:2", "out"),
            (" out=nowhere:1", "out"),
            (" out=us-east-1", "out"),
            (" rflips=us-east-1:5,eu-west-1:4", "rflips"),
            (" rflips=us-east-1:x", "rflips"),
        ] {
            assert!(
                matches!(
                    EngineState::decode(&format!("{base}{words}")),
                    Err(StateError::BadValue(f, _)) if f == field
                ),
                "{words}"
            );
        }
    }

    #[test]
    fn initial_state_round_trips() {
        let state = EngineState::initial("eu-west-1");
        assert_eq!(EngineState::decode(&state.encode()), Ok(state));
    }

    #[test]
    fn long_flip_lists_split_into_txt_sized_strings() {
        let mut state = sample();
        state.recent_flips = (0..60).map(|i| 1_732_000_000 + i).collect();
        let strings = state.to_txt_strings();
        assert!(strings.len() > 1);
        assert!(strings.iter().all(|s| s.len() <= TXT_STRING_MAX));
        assert_eq!(EngineState::from_txt_strings(&strings), Ok(state));
    }

    #[test]
    fn garbage_is_reported_with_what_is_wrong() {
        let cases: &[(&str, StateError)] = &[
            ("", StateError::Empty),
            ("hello", StateError::UnknownVersion("hello".into())),
            (
                "regionflip/v1 seq=1 active=us-east-1 at=- away=- paused=0 hold=0",
                StateError::Missing("flips"),
            ),
            (
                "regionflip/v1 seq=x active=us-east-1 at=- away=- paused=0 hold=0 flips=-",
                StateError::BadValue("seq", "x".into()),
            ),
            (
                "regionflip/v1 seq=1 active=mars at=- away=- paused=0 hold=0 flips=-",
                StateError::BadValue("active", "mars".into()),
            ),
            (
                "regionflip/v1 seq=1 seq=2 active=us-east-1 at=- away=- paused=0 hold=0 flips=-",
                StateError::Repeated("seq".into()),
            ),
            (
                "regionflip/v1 seq=1 active=us-east-1 at=- away=- paused=2 hold=0 flips=-",
                StateError::BadValue("paused", "2".into()),
            ),
            (
                "regionflip/v1 seq=1 active=us-east-1 at=- away=- paused=0 hold=0 flips=5,3",
                StateError::BadValue("flips", "not in time order".into()),
            ),
            (
                "regionflip/v1 seq=1 owner=me",
                StateError::UnknownField("owner".into()),
            ),
            ("regionflip/v1 seq", StateError::Malformed("seq".into())),
        ];
        for (text, expected) in cases {
            let error = EngineState::decode(text).expect_err(text);
            assert_eq!(&error, expected, "{text}");
        }
    }

    #[test]
    fn what_is_legible_in_a_state_that_does_not_parse() {
        let cases: &[(&str, Option<u64>, Option<&str>)] = &[
            (
                "regionflip/v2 seq=8 active=us-east-1 paused=1 owner=ops",
                Some(8),
                Some("us-east-1"),
            ),
            ("regionflip/v1 seq=oops active=mars", None, None),
            (
                "seq=3 seq=9 active=eu-west-1 active=us-east-1",
                Some(3),
                Some("eu-west-1"),
            ),
            ("hello", None, None),
            ("", None, None),
        ];
        for (text, sequence, active) in cases {
            let legible = Legible::of(text);
            assert_eq!(legible.sequence, *sequence, "{text}");
            assert_eq!(legible.active.as_deref(), *active, "{text}");
        }
        assert_eq!(
            Legible::of(&"seq=1 ".repeat(MAX_STATE_TEXT)),
            Legible::default()
        );
    }

    #[test]
    fn oversized_records_are_refused_before_parsing() {
        let huge = "x".repeat(MAX_STATE_TEXT + 1);
        assert_eq!(
            EngineState::from_txt_strings(&[huge]),
            Err(StateError::TooLong(MAX_STATE_TEXT + 1))
        );
    }
}
