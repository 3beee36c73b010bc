//! Every command × {AWS unreachable, bad configuration, refused, done}: the exit code
//! follows README's table, and with `--json` standard output is exactly one JSON
//! document — the command's answer, or the documented error document
//! (`{"error": {"exit_code", "kind", "message", "problems"}}`).
//!
//! "AWS unreachable" points the SDK at a loopback port this test closed itself, as a
//! regional outage or a lost network looks to the CLI: every call fails at once.

use aws_sdk_cloudwatch::types::StateValue;
use regionflip_local_aws::seed::OTHER_REGION;
use serde_json::Value;

use crate::harness::records::{HOME, RecordsSetup};
use crate::harness::{ConfigFile, Operated, Run, regionflip};

/// The commands that read or write AWS, with their arguments.
fn commands() -> Vec<Vec<&'static str>> {
    vec![
        vec!["status"],
        vec!["reconcile"],
        vec!["reconcile", "--dry-run"],
        vec!["failover", "--to", OTHER_REGION],
        vec!["failover", "--to", OTHER_REGION, "--force"],
        vec!["failback"],
        vec!["failback", "--force"],
        vec!["pause"],
        vec!["resume"],
        vec!["init"],
        vec!["init", "--dry-run"],
    ]
}

/// Runs `args` with `--json` and checks the exit code and that stdout is one document.
fn check(what: &str, run: Run, code: i32) -> Value {
    let run = run.expect_code(code);
    let document = run.json();
    if code != 0 && document.get("error").is_some() {
        assert_eq!(document["error"]["exit_code"], code, "{what}: {document}");
        assert!(
            !document["error"]["message"]
                .as_str()
                .unwrap_or("")
                .is_empty(),
            "{what}: {document}"
        );
    }
    document
}

fn with_json<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    all
}

#[test]
fn with_aws_unreachable_every_command_exits_1_with_one_json_document() {
    // A valid configuration; no emulator behind the endpoint.
    let config = ConfigFile::new(
        "exit-codes-unreachable",
        &crate::harness::records::records_config(
            "Z0123456789ABCDEFGHIJ",
            "api.exit-codes.regionflip.test",
            "exit-codes",
            "",
        ),
    );
    for args in commands() {
        let what = args.join(" ");
        let document = check(&what, regionflip(None, config.path(), &with_json(&args)), 1);
        let text = document.to_string();
        assert!(
            text.contains("could not be read") || text.contains("failed"),
            "{what}: the document says what failed: {text}"
        );
    }
}

#[test]
fn a_bad_configuration_exits_2_with_every_problem_in_the_json_error() {
    let config = ConfigFile::new(
        "exit-codes-bad-config",
        "hosted_zone_id = \"not a zone\"\nrecord_name = \"api.example.com\"\nttl = 99999\n",
    );
    for args in commands() {
        let what = args.join(" ");
        let document = check(&what, regionflip(None, config.path(), &with_json(&args)), 2);
        assert_eq!(document["error"]["kind"], "configuration", "{what}");
        let keys: Vec<&str> = document["error"]["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["key"].as_str().unwrap())
            .collect();
        for key in ["hosted_zone_id", "ttl", "regions"] {
            assert!(keys.contains(&key), "{what}: {key} not in {keys:?}");
        }
    }
    // A command line clap refuses is a usage error, documented the same way.
    let document = check(
        "failover without --to",
        regionflip(None, config.path(), &["--json", "failover"]),
        2,
    );
    assert_eq!(document["error"]["kind"], "usage");
    let document = check(
        "unknown region",
        regionflip(
            None,
            ConfigFile::new(
                "exit-codes-usage",
                &crate::harness::records::records_config(
                    "Z0123456789ABCDEFGHIJ",
                    "api.exit-codes-usage.regionflip.test",
                    "exit-codes-usage",
                    "",
                ),
            )
            .path(),
            &["--json", "failover", "--to", "mars-north-1"],
        ),
        2,
    );
    assert_eq!(document["error"]["kind"], "usage");
}

#[tokio::test]
async fn commands_the_rules_refuse_exit_3_and_print_their_report() {
    let setup = RecordsSetup::new("exit-codes-refused", "").await;
    setup.run(&["init"]).expect_code(0);
    // The standby fails: a move there is refused.
    setup.set_alarm(OTHER_REGION, StateValue::Alarm).await;
    let report = check(
        "failover to a failing region",
        setup.run(&["--json", "failover", "--to", OTHER_REGION]),
        3,
    );
    assert_eq!(
        report["decision"]["outcome"]["outcome"], "refused",
        "{report}"
    );
    // Forced, it moves; then home fails, and an unforced failback there is refused.
    check(
        "forced failover",
        setup.run(&["--json", "failover", "--to", OTHER_REGION, "--force"]),
        0,
    );
    setup.set_alarm(OTHER_REGION, StateValue::Ok).await;
    setup.set_alarm(HOME, StateValue::Alarm).await;
    let report = check(
        "failback to a failing home",
        setup.run(&["--json", "failback"]),
        3,
    );
    assert_eq!(
        report["decision"]["outcome"]["outcome"], "refused",
        "{report}"
    );
    // init refuses a record it did not create (crates/cli/tests/moto/records_mode.rs
    // shows the record; here only the code and the document).
}

#[tokio::test]
async fn every_command_that_succeeds_exits_0_with_one_json_document() {
    let setup = RecordsSetup::new("exit-codes-done", "").await;
    for args in [
        vec!["init", "--dry-run"],
        vec!["init"],
        vec!["init"],
        vec!["status"],
        vec!["reconcile", "--dry-run"],
        vec!["reconcile"],
        vec!["pause"],
        vec!["resume"],
        vec!["failover", "--to", OTHER_REGION],
        vec!["failback"],
    ] {
        let what = args.join(" ");
        let document = check(&what, setup.run(&with_json(&args)), 0);
        assert!(document.get("error").is_none(), "{what}: {document}");
    }
}

/// Without AWS credentials every AWS-facing command stops before any call with one
/// error that says so (exit 1, the error document with `--json`), instead of the same
/// SDK error once per call and region.
#[test]
fn without_credentials_a_command_says_so_once_and_exits_1() {
    let config = ConfigFile::new(
        "no-credentials",
        &crate::harness::records::records_config(
            "Z0000000000000NOCREDS",
            "api.nocreds.test",
            "nocreds",
            "",
        ),
    );
    let nowhere = std::env::temp_dir().join("regionflip-cli-test-no-aws-config");
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_regionflip"));
    command
        .arg("--config")
        .arg(config.path())
        .args(["--json", "status"]);
    for (name, _) in std::env::vars() {
        if name.starts_with("AWS_") || name.starts_with("REGIONFLIP_") {
            command.env_remove(name);
        }
    }
    let output = command
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", &nowhere)
        .env("AWS_SHARED_CREDENTIALS_FILE", &nowhere)
        .env(
            "AWS_ENDPOINT_URL",
            format!("http://127.0.0.1:{}", crate::harness::closed_port()),
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.matches("no AWS credentials").count(), 1, "{stderr}");
    let document: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(document["error"]["kind"], "aws-failed", "{document}");
}
