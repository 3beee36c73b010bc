//! The production [`EndpointProbe`]: `regionflip-probe`'s Route 53-faithful check over
//! HTTP(S), with Route 53's limits (4 s to connect, then 2 s for the status and the
//! search string in the first 5,120 bytes), so a region the watcher calls healthy is one
//! Route 53's checkers would call healthy from here.

use regionflip_core::ProbeOutcome;
use regionflip_probe::{ProbeLimits, ProbeTarget, probe};

use crate::ports::EndpointProbe;

/// Probes over the network, as Route 53's checkers do.
#[derive(Debug, Clone, Copy, Default)]
pub struct HttpProbe;

impl EndpointProbe for HttpProbe {
    async fn probe(&self, url: &str, search: &str) -> ProbeOutcome {
        // The configuration validated both; a failure here is reported, never hidden.
        let target = match ProbeTarget::parse(url, Some(search.to_string())) {
            Ok(target) => target,
            Err(why) => return ProbeOutcome::Failing(why),
        };
        let verdict = probe(&target, ProbeLimits::ROUTE53).await;
        match (verdict.healthy, verdict.timed_out) {
            (true, _) => ProbeOutcome::Healthy,
            (false, true) => ProbeOutcome::TimedOut(verdict.reason),
            (false, false) => ProbeOutcome::Failing(verdict.reason),
        }
    }
}
