//! `regionflip probe`: checks an endpoint the way a Route 53 health checker does, so an
//! operator can see what Route 53 will conclude before a health check is ever created.
//! The rules live in `regionflip-probe`; this is the command around them (repeats,
//! pacing, the human and `--json` output, the exit code).

use std::time::Duration;

use regionflip_probe::{ProbeLimits, ProbeTarget, ProbeVerdict, probe};
use serde::Serialize;

use crate::args::{GlobalArgs, ProbeArgs};
use crate::context::print_json;
use crate::error::CliError;

/// The `--json` document.
#[derive(Debug, Serialize)]
struct ProbeReport<'a> {
    url: String,
    search: Option<&'a str>,
    healthy: bool,
    probes: &'a [ProbeVerdict],
}

/// `regionflip probe`.
pub(crate) async fn run(global: &GlobalArgs, args: ProbeArgs) -> Result<(), CliError> {
    let target = ProbeTarget::parse(&args.url, args.search).map_err(CliError::Usage)?;
    if args.count == 0 {
        return Err(CliError::Usage("--count must be at least 1".into()));
    }
    let interval = Duration::try_from_secs_f64(args.interval)
        .map_err(|_| CliError::Usage("--interval must be a number of seconds, 0 or more".into()))?;
    let mut verdicts = Vec::new();
    for n in 1..=args.count {
        if n > 1 {
            // Pacing between probes, not synchronisation: the user asked for this gap.
            tokio::time::sleep(interval).await;
        }
        let verdict = probe(&target, ProbeLimits::ROUTE53).await;
        if !global.json {
            println!("{}", describe(&target, n, args.count, &verdict));
        }
        verdicts.push(verdict);
    }
    let unhealthy = verdicts.iter().filter(|v| !v.healthy).count();
    if global.json {
        let report = ProbeReport {
            url: target.url(),
            search: target.search(),
            healthy: unhealthy == 0,
            probes: &verdicts,
        };
        print_json(&report)?;
    }
    if unhealthy == 0 {
        Ok(())
    } else {
        Err(CliError::CheckFailed(format!(
            "{unhealthy} of {} probes of {} found the endpoint unhealthy",
            verdicts.len(),
            target.url()
        )))
    }
}

/// One human-readable line per probe.
fn describe(target: &ProbeTarget, n: u32, count: u32, verdict: &ProbeVerdict) -> String {
    let mut line = format!(
        "{} {} [{n}/{count}]",
        if verdict.healthy {
            "healthy  "
        } else {
            "UNHEALTHY"
        },
        target.url()
    );
    if let Some(ms) = verdict.connect_ms {
        line.push_str(&format!("  connect {ms:.1} ms"));
    }
    if let Some(ms) = verdict.first_byte_ms {
        line.push_str(&format!("  first byte {ms:.1} ms"));
    }
    line.push_str(&format!(
        "  total {:.1} ms  {}",
        verdict.total_ms, verdict.reason
    ));
    line
}
