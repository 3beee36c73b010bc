//! What woke the watcher, and whether it is a reason to look.
//!
//! An event is only a trigger: the pass that follows reads every alarm's real state and
//! never uses the state the event claims. The event still decides *whether* to run a
//! pass: an alarm regionflip does not watch, or an event from another account, causes no
//! read and no write at all.
//!
//! Accepted shapes:
//! * EventBridge `CloudWatch Alarm State Change` (source `aws.cloudwatch`), of metric and
//!   composite alarms alike;
//! * EventBridge `Scheduled Event` (source `aws.events`): the periodic tick;
//! * SNS notifications whose message is a CloudWatch alarm notification.
//!
//! Only the fields a pass needs are read (the alarm's name, region and account, and the
//! claimed state for the log), and `null` counts as absent: CloudWatch sends
//! `"AlarmDescription": null` for an alarm without a description, and a typed reading of
//! the whole payload would refuse the event for a field nobody uses. Field names follow
//! AWS's documented event shapes (CloudWatch UG, "Alarm events and EventBridge"; SNS
//! alarm notifications).

use regionflip_core::Config;
use serde_json::Value;

/// Largest payload accepted: real triggers are a few KiB; anything bigger is refused
/// before it is parsed further.
pub const MAX_PAYLOAD_BYTES: usize = 64 * 1024;

/// A parsed trigger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// An alarm changed state (the claimed state is informational only).
    AlarmChange {
        /// Alarm name.
        alarm: String,
        /// Region the event says the alarm lives in, when it says.
        region: Option<String>,
        /// Account the event comes from, when it says.
        account: Option<String>,
        /// The state the event claims (never trusted).
        claimed_state: String,
    },
    /// The periodic tick.
    Tick,
}

/// Why a payload is not a trigger.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TriggerError {
    /// Too big to be a real trigger.
    #[error("payload of {0} bytes exceeds the {MAX_PAYLOAD_BYTES}-byte limit for a trigger")]
    TooLarge(usize),
    /// Not a shape regionflip accepts.
    #[error("unsupported event: {0}")]
    Unsupported(String),
    /// The right shape with wrong fields.
    #[error("malformed {kind} event: {why}")]
    Malformed {
        /// Which shape it claimed to be.
        kind: &'static str,
        /// What was wrong.
        why: String,
    },
}

/// Parses a payload of `size` bytes (as received) into the triggers it carries.
pub fn parse(payload: &Value, size: usize) -> Result<Vec<Trigger>, TriggerError> {
    if size > MAX_PAYLOAD_BYTES {
        return Err(TriggerError::TooLarge(size));
    }
    if payload.get("detail-type").is_some() {
        return parse_eventbridge(payload).map(|t| vec![t]);
    }
    if payload.get("Records").is_some() {
        return parse_sns(payload);
    }
    Err(TriggerError::Unsupported(
        "expected an EventBridge event (with \"detail-type\") or an SNS notification (with \"Records\")"
            .into(),
    ))
}

/// A string field of a JSON object; absent and `null` are the same (CloudWatch sends
/// `null` for fields it has no value for, such as an alarm's missing description).
fn text<'v>(value: &'v Value, field: &str) -> Option<&'v str> {
    value.get(field).and_then(Value::as_str)
}

fn parse_eventbridge(payload: &Value) -> Result<Trigger, TriggerError> {
    let malformed = |why: String| TriggerError::Malformed {
        kind: "EventBridge",
        why,
    };
    let source = text(payload, "source").ok_or_else(|| malformed("source is missing".into()))?;
    let detail_type = text(payload, "detail-type")
        .ok_or_else(|| malformed("detail-type is not a string".into()))?;
    match (source, detail_type) {
        ("aws.events", "Scheduled Event") => Ok(Trigger::Tick),
        ("aws.cloudwatch", "CloudWatch Alarm State Change") => {
            // Only what a pass needs is read: the alarm's name, and the claimed state
            // for the log. Metric and composite alarms differ in `configuration`
            // (metrics vs. alarmRule), which is never looked at.
            let detail = payload
                .get("detail")
                .filter(|d| d.is_object())
                .ok_or_else(|| malformed("detail is missing".into()))?;
            let alarm = text(detail, "alarmName")
                .filter(|a| !a.is_empty())
                .ok_or_else(|| malformed("detail.alarmName is missing".into()))?;
            let claimed_state = detail
                .get("state")
                .and_then(|state| text(state, "value"))
                .ok_or_else(|| malformed("detail.state is missing".into()))?;
            Ok(Trigger::AlarmChange {
                alarm: alarm.to_string(),
                region: text(payload, "region").map(String::from),
                account: text(payload, "account").map(String::from),
                claimed_state: claimed_state.to_string(),
            })
        }
        (source, detail_type) => Err(TriggerError::Unsupported(format!(
            "source {source:?} with detail-type {detail_type:?}"
        ))),
    }
}

fn parse_sns(payload: &Value) -> Result<Vec<Trigger>, TriggerError> {
    let malformed = |why: String| TriggerError::Malformed { kind: "SNS", why };
    let records = payload
        .get("Records")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed("Records is not a list".into()))?;
    if records.is_empty() {
        return Err(malformed("Records is empty".into()));
    }
    records
        .iter()
        .map(|record| {
            let message = record
                .get("Sns")
                .and_then(|sns| text(sns, "Message"))
                .ok_or_else(|| malformed("Sns.Message is missing".into()))?;
            let alarm: Value = serde_json::from_str(message).map_err(|e| {
                malformed(format!(
                    "Sns.Message is not a CloudWatch alarm notification: {e}"
                ))
            })?;
            let name = text(&alarm, "AlarmName")
                .filter(|a| !a.is_empty())
                .ok_or_else(|| {
                    malformed(
                        "Sns.Message is not a CloudWatch alarm notification: AlarmName is missing"
                            .into(),
                    )
                })?;
            // The notification's Region is a display name ("US East (N. Virginia)"); the
            // ARN carries the code: arn:aws:cloudwatch:us-east-1:123456789012:alarm:name.
            let mut arn = text(&alarm, "AlarmArn").unwrap_or_default().split(':');
            let region = arn.nth(3).filter(|r| !r.is_empty()).map(String::from);
            let account = arn.next().filter(|a| !a.is_empty()).map(String::from);
            Ok(Trigger::AlarmChange {
                alarm: name.to_string(),
                region,
                account: account
                    .or_else(|| text(&alarm, "AWSAccountId").map(String::from))
                    .filter(|a| !a.is_empty()),
                claimed_state: text(&alarm, "NewStateValue")
                    .unwrap_or("unknown")
                    .to_string(),
            })
        })
        .collect()
}

/// Whether a trigger is a reason for a pass: a tick always is; an alarm change only when
/// it names an alarm (or guard) configured in that region, from this account.
pub fn relevance(
    trigger: &Trigger,
    config: &Config,
    own_account: Option<&str>,
) -> Result<(), String> {
    match trigger {
        Trigger::Tick => Ok(()),
        Trigger::AlarmChange {
            alarm,
            region,
            account,
            ..
        } => {
            if let (Some(own), Some(theirs)) = (own_account, account.as_deref())
                && own != theirs
            {
                return Err(format!(
                    "event from account {theirs}, not this account ({own})"
                ));
            }
            let watched_in: Vec<&str> = config
                .regions
                .iter()
                .filter(|r| r.alarms.contains(alarm) || r.guards.contains(alarm))
                .map(|r| r.name.as_str())
                .collect();
            if watched_in.is_empty() {
                return Err(format!("alarm {alarm:?} is not configured"));
            }
            match region.as_deref() {
                Some(region) if !watched_in.contains(&region) => Err(format!(
                    "alarm {alarm:?} is configured in {}, not in {region}",
                    watched_in.join(", ")
                )),
                _ => Ok(()),
            }
        }
    }
}
