//! The durable journal of operator commands, and `regionflip history`.
//!
//! Every command that can change routing or automation (`failover`, `failback`, `pause`,
//! `resume`) is recorded where the watchers' transitions are: one JSON line in the
//! watchers' log group (`journal.log_group`, the same name in every region), in the
//! region of the operator's AWS configuration (`AWS_REGION`, else home), stream
//! `operator`. A move is a `regionflip transition` line of the watcher's shape (the
//! dashboard's journal widget shows it) with who (`actor`: STS `GetCallerIdentity`) and
//! why (`reason`: `--reason`); every command also writes a `regionflip operator` line
//! (command, outcome, sequence, actor, reason). The pass's metrics (`ManualTransition`,
//! `Paused`) are the watcher's own. A journal that cannot be written is a warning on
//! stderr, never an undo: routing already moved.
//!
//! `history` reads those lines back from every configured region's log group, keeps one
//! transition per record and sequence (`journal::one_per_sequence`'s rule: two gate-mode
//! writers of one sequence are one move) and lists them in time order: time, kind, from,
//! to, who, why, sequence.

use std::fmt::Write;

use aws_config::{Region, SdkConfig};
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use regionflip_core::observe::copy_key;
use regionflip_core::timestamp::rfc3339;
use regionflip_core::{Command, Config};
use regionflip_watcher::PassReport;
use regionflip_watcher::journal::{TransitionRecord, supersedes};
use serde::Serialize;
use serde_json::Value;

use crate::context::unix_now;

/// The log stream operator lines go to.
const OPERATOR_STREAM: &str = "operator";

/// The `message` of an operator line.
const OPERATOR_MESSAGE: &str = "regionflip operator";
/// The `message` of a transition line (the watcher's journal).
const TRANSITION_MESSAGE: &str = "regionflip transition";

/// What an operator command leaves in the journal.
#[derive(Debug, Serialize)]
struct OperatorLine<'a> {
    message: &'static str,
    record: String,
    command: &'static str,
    outcome: String,
    sequence: Option<u64>,
    active_after: Option<&'a str>,
    actor: &'a str,
    reason: Option<&'a str>,
    at: String,
    /// The sequence as the transition lines' `journal_key` begins: the dashboard sorts
    /// by it, and of a move's operator line and transition line keeps the transition's.
    journal_key: Option<String>,
}

/// A move, as the watcher journals it, with who and why.
#[derive(Debug, Serialize)]
struct OperatorTransition<'a> {
    #[serde(flatten)]
    transition: &'a TransitionRecord,
    actor: &'a str,
    reason: Option<&'a str>,
}

/// The command's name in the journal.
fn command_name(command: &Command) -> &'static str {
    match command {
        Command::FailoverTo { .. } => "failover",
        Command::Failback { .. } => "failback",
        Command::Pause => "pause",
        Command::Resume => "resume",
        Command::Evacuate { .. } => "evacuate",
        Command::Restore { .. } => "restore",
    }
}

/// A CloudWatch Logs client in `region`, on the run's one SDK configuration.
fn logs_client(sdk: &SdkConfig, region: &str) -> aws_sdk_cloudwatchlogs::Client {
    aws_sdk_cloudwatchlogs::Client::from_conf(
        aws_sdk_cloudwatchlogs::config::Builder::from(sdk)
            .region(Region::new(region.to_string()))
            .build(),
    )
}

/// Who runs the CLI: the ARN `GetCallerIdentity` answers, or why it is not known.
async fn actor(sdk: &SdkConfig, region: &str) -> String {
    let client = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(sdk)
            .region(Region::new(region.to_string()))
            .build(),
    );
    match client.get_caller_identity().send().await {
        Ok(identity) => identity.arn().unwrap_or("unknown").to_string(),
        Err(e) => format!(
            "unknown (GetCallerIdentity failed: {})",
            aws_sdk_sts::error::DisplayErrorContext(e)
        ),
    }
}

/// Records an operator command (not a dry run) in the journal; returns the warnings.
pub(crate) async fn record_command(
    sdk: &SdkConfig,
    config: &Config,
    region: &str,
    command: &Command,
    reason: Option<&str>,
    report: &PassReport,
) -> Vec<String> {
    let Some(group) = &config.journal_log_group else {
        return vec![format!(
            "the {} is recorded on this terminal only: set journal.log_group (make \
             cli-config writes it) to record operator commands beside the watchers' \
             transitions",
            command_name(command)
        )];
    };
    let actor = actor(sdk, region).await;
    let now = unix_now();
    let mut lines = Vec::new();
    if let Some(transition) = &report.transition {
        let line = OperatorTransition {
            transition,
            actor: &actor,
            reason,
        };
        lines.extend(serde_json::to_string(&line).ok());
    }
    let written = report.decision.plan.new_state().filter(|_| report.applied);
    let sequence = written.map(|s| s.sequence);
    let line = OperatorLine {
        message: OPERATOR_MESSAGE,
        record: config.record_name.trim_end_matches('.').to_string(),
        command: command_name(command),
        outcome: format!("{:?}", report.decision.outcome),
        sequence,
        active_after: report.active_after.as_deref(),
        actor: &actor,
        reason,
        at: rfc3339(now),
        // A command that wrote a state without a move (pause, resume) ranks by that state
        // (`copy_key`) against a transition of the same sequence, as the copies do; a
        // move's line ranks just below its own transition line (a prefix of its key).
        journal_key: written.map(|state| match report.transition {
            Some(_) => format!("s{:020}", state.sequence),
            None => copy_key(state),
        }),
    };
    lines.extend(serde_json::to_string(&line).ok());
    match put_lines(&logs_client(sdk, region), group, &lines, now).await {
        Ok(()) => Vec::new(),
        Err(why) => vec![format!(
            "the {} was applied but not recorded in {group} in {region}: {why}",
            command_name(command)
        )],
    }
}

async fn put_lines(
    client: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    lines: &[String],
    now: u64,
) -> Result<(), String> {
    let created = client
        .create_log_stream()
        .log_group_name(group)
        .log_stream_name(OPERATOR_STREAM)
        .send()
        .await;
    if let Err(e) = created {
        let exists = e
            .as_service_error()
            .is_some_and(|e| e.is_resource_already_exists_exception());
        if !exists {
            return Err(format!(
                "CreateLogStream failed: {} (does the stack's log group exist there?)",
                aws_sdk_cloudwatchlogs::error::DisplayErrorContext(e)
            ));
        }
    }
    let millis = i64::try_from(now).unwrap_or(i64::MAX).saturating_mul(1000);
    let events: Vec<InputLogEvent> = lines
        .iter()
        .filter_map(|line| {
            InputLogEvent::builder()
                .timestamp(millis)
                .message(line)
                .build()
                .ok()
        })
        .collect();
    client
        .put_log_events()
        .log_group_name(group)
        .log_stream_name(OPERATOR_STREAM)
        .set_log_events(Some(events))
        .send()
        .await
        .map_err(|e| {
            format!(
                "PutLogEvents failed: {}",
                aws_sdk_cloudwatchlogs::error::DisplayErrorContext(e)
            )
        })?;
    Ok(())
}

/// One line of `history`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct HistoryEntry {
    /// When it was applied (RFC 3339).
    pub(crate) at: String,
    /// `failover`, `failback`, `manual`, or an operator command (`pause`, `resume`, …).
    pub(crate) kind: String,
    pub(crate) from: Option<String>,
    pub(crate) to: Option<String>,
    /// Who: the operator's ARN, or `watcher in <region>`.
    pub(crate) who: String,
    /// Why: the operator's reason, or the watcher's first reason.
    pub(crate) why: Option<String>,
    pub(crate) sequence: Option<u64>,
    /// The region whose log group held it.
    pub(crate) region: String,
}

/// The journal lines of `record` among `lines` (JSON, with the region whose log group
/// held each and its timestamp), as history entries in time order: one line per state
/// sequence — of the lines that wrote one (transitions, and commands that moved
/// nothing: pause, resume), the one whose state ranks first (`journal_key`; of equal
/// keys the later written) — and the lines of commands that wrote nothing (refusals).
pub(crate) fn entries(record: &str, lines: &[(String, i64, Value)]) -> Vec<HistoryEntry> {
    let record = record.trim_end_matches('.');
    // (written at, journal key, entry): of two lines of one sequence, the one whose state
    // ranks first is kept (`journal::supersedes`), as the state copies settle.
    let mut out: Vec<(i64, Option<String>, HistoryEntry)> = Vec::new();
    for (region, millis, line) in lines {
        if line["record"].as_str().map(|r| r.trim_end_matches('.')) != Some(record) {
            continue;
        }
        let text = |key: &str| line[key].as_str().map(str::to_string);
        let sequence = line["sequence"].as_u64();
        let entry = match line["message"].as_str() {
            Some(TRANSITION_MESSAGE) => HistoryEntry {
                at: text("applied_at").unwrap_or_default(),
                kind: text("kind").unwrap_or_default(),
                from: text("from"),
                to: text("to"),
                who: text("actor").unwrap_or_else(|| format!("watcher in {region}")),
                why: text("reason").or_else(|| line["reasons"][0].as_str().map(str::to_string)),
                sequence,
                region: region.clone(),
            },
            // An operator's move is its transition line; the operator line says only
            // what moved nothing (pause, resume, a refusal).
            Some(OPERATOR_MESSAGE)
                if !line["outcome"]
                    .as_str()
                    .is_some_and(|o| o.starts_with("Transition")) =>
            {
                HistoryEntry {
                    at: text("at").unwrap_or_default(),
                    kind: format!(
                        "{} ({})",
                        text("command").unwrap_or_default(),
                        text("outcome").unwrap_or_default().to_lowercase()
                    ),
                    from: None,
                    to: text("active_after"),
                    who: text("actor").unwrap_or_default(),
                    why: text("reason"),
                    sequence,
                    region: region.clone(),
                }
            }
            _ => continue,
        };
        let key = text("journal_key");
        // Lines that wrote a state of one sequence (a transition, or a command that moved
        // nothing: a pause, a resume) are one write: the copies settle on one of them.
        match out
            .iter_mut()
            .find(|(_, _, e)| sequence.is_some() && e.sequence == sequence)
        {
            Some(kept) => {
                if supersedes((key.as_deref(), *millis), (kept.1.as_deref(), kept.0)) {
                    *kept = (*millis, key, entry);
                }
            }
            None => out.push((*millis, key, entry)),
        }
    }
    out.sort_by_key(|(millis, _, _)| *millis);
    out.into_iter().map(|(_, _, e)| e).collect()
}

/// `regionflip history [--since-hours N]`.
pub(crate) async fn history(
    sdk: &SdkConfig,
    config: &Config,
    since_hours: u64,
) -> Result<(Vec<HistoryEntry>, Vec<String>), String> {
    let Some(group) = &config.journal_log_group else {
        return Err(
            "journal.log_group is not set: set it to the stacks' WatcherLogGroupName output \
             (make cli-config writes it)"
                .into(),
        );
    };
    let start = i64::try_from(unix_now().saturating_sub(since_hours * 3600))
        .unwrap_or(0)
        .saturating_mul(1000);
    let mut lines = Vec::new();
    let mut warnings = Vec::new();
    for region in &config.regions {
        let client = logs_client(sdk, &region.name);
        let mut token: Option<String> = None;
        // At most 20 pages a region: a journal is a few lines a day.
        for _ in 0..20 {
            let page = client
                .filter_log_events()
                .log_group_name(group)
                .start_time(start)
                .filter_pattern("regionflip")
                .set_next_token(token.take())
                .send()
                .await;
            let page = match page {
                Ok(page) => page,
                Err(e) => {
                    warnings.push(format!(
                        "{group} in {} could not be read: {}",
                        region.name,
                        aws_sdk_cloudwatchlogs::error::DisplayErrorContext(e)
                    ));
                    break;
                }
            };
            for event in page.events() {
                if let Some(value) = event
                    .message()
                    .and_then(|m| serde_json::from_str::<Value>(m).ok())
                {
                    lines.push((region.name.clone(), event.timestamp().unwrap_or(0), value));
                }
            }
            match page.next_token() {
                Some(next) if !page.events().is_empty() => token = Some(next.to_string()),
                _ => break,
            }
        }
    }
    Ok((entries(&config.record_name, &lines), warnings))
}

/// The human form of `history`.
pub(crate) fn render(entries: &[HistoryEntry]) -> String {
    let mut out = String::new();
    if entries.is_empty() {
        let _ = writeln!(out, "no transition or operator command in the journal");
    }
    for e in entries {
        let _ = writeln!(
            out,
            "{}  {:<22} {} → {}  by {}{}{}",
            e.at,
            e.kind,
            e.from.as_deref().unwrap_or("-"),
            e.to.as_deref().unwrap_or("-"),
            e.who,
            e.why.as_ref().map(|w| format!(": {w}")).unwrap_or_default(),
            e.sequence
                .map(|s| format!(" (sequence {s})"))
                .unwrap_or_default()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Two gate-mode watchers of one sequence are one move (the later line is kept); an
    /// operator's move shows who and why once, not also as its operator line; a pause
    /// shows as the command; another record's lines are not this record's history.
    #[test]
    fn history_keeps_one_move_per_sequence_and_says_who_and_why() {
        let move_line = |seq: u64, applied: &str, extra: Value| {
            let mut line = json!({"message": TRANSITION_MESSAGE, "record": "api.example.com",
                "kind": "failover", "from": "us-east-1", "to": "us-west-2",
                "reasons": ["home's alarm"], "sequence": seq, "applied_at": applied});
            if let (Value::Object(line), Value::Object(extra)) = (&mut line, extra) {
                line.extend(extra);
            }
            line
        };
        let lines = vec![
            (
                "us-west-2".to_string(),
                1_000,
                move_line(2, "t1", json!({})),
            ),
            (
                "us-east-1".to_string(),
                2_000,
                move_line(2, "t2", json!({})),
            ),
            (
                "us-east-1".to_string(),
                3_000,
                move_line(
                    3,
                    "t3",
                    json!({"kind": "manual", "from": "us-west-2", "to": "us-east-1",
                       "actor": "arn:aws:iam::1:user/sre", "reason": "game day"}),
                ),
            ),
            (
                "us-east-1".to_string(),
                3_000,
                json!({"message": OPERATOR_MESSAGE,
                "record": "api.example.com", "command": "failover", "outcome": "Transition { kind: Manual, from: \"us-west-2\", to: \"us-east-1\" }",
                "sequence": 3, "actor": "arn:aws:iam::1:user/sre", "at": "t3"}),
            ),
            (
                "us-east-1".to_string(),
                4_000,
                json!({"message": OPERATOR_MESSAGE,
                "record": "api.example.com.", "command": "pause", "outcome": "StateOnly",
                "sequence": 4, "active_after": "us-east-1", "actor": "arn:aws:iam::1:user/sre",
                "reason": "maintenance", "at": "t4"}),
            ),
            (
                "us-east-1".to_string(),
                5_000,
                move_line(9, "t9", json!({"record": "other.example.com"})),
            ),
        ];
        let history = entries("api.example.com.", &lines);
        let kinds: Vec<(&str, Option<u64>, &str)> = history
            .iter()
            .map(|e| (e.kind.as_str(), e.sequence, e.who.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("failover", Some(2), "watcher in us-east-1"),
                ("manual", Some(3), "arn:aws:iam::1:user/sre"),
                ("pause (stateonly)", Some(4), "arn:aws:iam::1:user/sre"),
            ]
        );
        assert_eq!(
            history[0].at, "t2",
            "the later of two writers of one sequence"
        );
        assert_eq!(history[1].why.as_deref(), Some("game day"));
        assert_eq!(history[0].why.as_deref(), Some("home's alarm"));
    }

    /// Two writers of one sequence that made different moves (an operator's failover to
    /// eu-west-1 racing a watcher's to us-west-2, three regions): every state copy
    /// settles on the greater state (`copy_key`), so history keeps that move's line,
    /// whichever was written last and whichever region's journal was read first.
    #[test]
    fn of_two_moves_of_one_sequence_history_keeps_the_one_the_state_holds() {
        use regionflip_core::EngineState;
        use regionflip_core::observe::copy_key;
        let state = |active: &str| EngineState {
            sequence: 7,
            ..EngineState::initial(active)
        };
        let (watcher, operator) = (state("us-west-2"), state("eu-west-1"));
        let winner = if copy_key(&watcher) > copy_key(&operator) {
            "us-west-2"
        } else {
            "eu-west-1"
        };
        let line = |to: &str, key: String| {
            json!({"message": TRANSITION_MESSAGE, "record": "api.example.com",
                "kind": "failover", "from": "us-east-1", "to": to, "sequence": 7,
                "applied_at": "t", "journal_key": key})
        };
        let watcher_line = (
            "us-west-2".to_string(),
            1_000,
            line("us-west-2", copy_key(&watcher)),
        );
        let operator_line = (
            "eu-west-1".to_string(),
            2_000,
            line("eu-west-1", copy_key(&operator)),
        );
        for lines in [
            vec![watcher_line.clone(), operator_line.clone()],
            vec![operator_line.clone(), watcher_line.clone()],
            vec![
                (watcher_line.0.clone(), 3_000, watcher_line.2.clone()),
                operator_line.clone(),
            ],
        ] {
            let history = entries("api.example.com", &lines);
            assert_eq!(history.len(), 1, "{history:?}");
            assert_eq!(history[0].to.as_deref(), Some(winner), "{lines:?}");
        }
    }

    /// An operator's pause racing a watcher's failover to the same sequence (health-gate
    /// mode): the copies settle on the pause (an operator's pause ranks first), so
    /// history shows the pause, not the failover that lost, in either order.
    #[test]
    fn a_pause_racing_a_transition_of_one_sequence_is_what_history_keeps() {
        use regionflip_core::EngineState;
        use regionflip_core::observe::copy_key;
        let failover = EngineState {
            sequence: 7,
            ..EngineState::initial("us-west-2")
        };
        let pause = EngineState {
            sequence: 7,
            paused: true,
            ..EngineState::initial("us-east-1")
        };
        let transition = (
            "us-west-2".to_string(),
            1_000,
            json!({"message": TRANSITION_MESSAGE, "record": "api.example.com",
                "kind": "failover", "from": "us-east-1", "to": "us-west-2", "sequence": 7,
                "applied_at": "t1", "journal_key": copy_key(&failover)}),
        );
        let paused = (
            "us-east-1".to_string(),
            900,
            json!({"message": OPERATOR_MESSAGE, "record": "api.example.com",
                "command": "pause", "outcome": "StateOnly", "sequence": 7,
                "active_after": "us-east-1", "actor": "arn:aws:iam::1:user/sre", "at": "t0",
                "journal_key": copy_key(&pause)}),
        );
        for lines in [
            vec![transition.clone(), paused.clone()],
            vec![paused.clone(), transition.clone()],
        ] {
            let history = entries("api.example.com", &lines);
            assert_eq!(history.len(), 1, "{history:?}");
            assert_eq!(history[0].kind, "pause (stateonly)", "{history:?}");
        }
    }
}
