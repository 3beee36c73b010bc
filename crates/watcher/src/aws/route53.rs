//! [`Route53Api`] over the AWS SDK's Route 53 client.
//!
//! Converts between the core's [`RecordSet`] and the SDK's `ResourceRecordSet` (both
//! ways, so that a record read back compares equal to the record the engine planned),
//! and tells a refused compare-and-swap apart from every other failure.

use aws_sdk_route53::Client;
use aws_sdk_route53::error::BuildError;
use aws_sdk_route53::operation::change_resource_record_sets::ChangeResourceRecordSetsError;
use aws_sdk_route53::types as sdk;
use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::retries::classifiers::{ClassifyRetry, RetryAction};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use regionflip_core::records::AliasTarget;
use regionflip_core::{Change, ChangeAction, FailoverRole, RecordSet};

use super::{THROTTLING_CODES, classify};
use crate::ports::{AwsError, ChangeError, RecordPage, Route53Api};

/// Route 53 through the SDK.
#[derive(Debug, Clone)]
pub struct Route53Adapter {
    client: Client,
}

impl Route53Adapter {
    /// Wraps a configured client.
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// The underlying client (set-up in tests and the drill).
    pub fn client(&self) -> &Client {
        &self.client
    }
}

impl Route53Api for Route53Adapter {
    async fn list_records(
        &self,
        zone: &str,
        start_name: &str,
        max_items: i32,
    ) -> Result<RecordPage, AwsError> {
        let output = self
            .client
            .list_resource_record_sets()
            .hosted_zone_id(zone)
            .start_record_name(start_name)
            .max_items(max_items)
            .send()
            .await
            .map_err(|err| classify(&err))?;
        Ok(RecordPage {
            records: output
                .resource_record_sets()
                .iter()
                .map(record_from_sdk)
                .collect(),
            truncated: output.is_truncated(),
        })
    }

    async fn change_records(
        &self,
        zone: &str,
        changes: &[Change],
        comment: &str,
    ) -> Result<String, ChangeError> {
        let batch = change_batch(changes, comment).map_err(|err| {
            ChangeError::Aws(AwsError::Service {
                code: "InvalidChangeBatch".into(),
                message: format!("the change batch could not be built: {err}"),
            })
        })?;
        let output = self
            .client
            .change_resource_record_sets()
            .hosted_zone_id(zone)
            .change_batch(batch)
            .customize()
            .config_override(
                aws_sdk_route53::config::Builder::default().retry_classifier(RetryOnlyRefusals),
            )
            .send()
            .await
            .map_err(|err| change_error(&err))?;
        Ok(bare_change_id(output.change_info().map_or("", |info| info.id())).to_owned())
    }

    async fn change_in_sync(&self, change_id: &str) -> Result<bool, AwsError> {
        let output = self
            .client
            .get_change()
            .id(change_id)
            .send()
            .await
            .map_err(|err| classify(&err))?;
        Ok(output
            .change_info()
            .is_some_and(|info| *info.status() == sdk::ChangeStatus::Insync))
    }
}

/// Lets the SDK retry a change batch only when Route 53 refused it outright (throttling,
/// `PriorRequestNotComplete`, HTTP 429): then nothing was applied and sending it again is
/// safe. After a timeout, a dropped connection or a 5xx the batch may have been applied;
/// a retry would meet its own result as a compare-and-swap conflict, the pass would take
/// that for another writer's change, and the transition would go unrecorded. Those
/// outcomes reach the reconciler as they are, and it reads the state back instead.
#[derive(Debug)]
struct RetryOnlyRefusals;

impl ClassifyRetry for RetryOnlyRefusals {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let Some(Err(error)) = ctx.output_or_error() else {
            return RetryAction::NoActionIndicated;
        };
        let code = error
            .as_operation_error()
            .and_then(|error| error.downcast_ref::<ChangeResourceRecordSetsError>())
            .and_then(ProvideErrorMetadata::code);
        let too_many_requests = ctx
            .response()
            .is_some_and(|response| response.status().as_u16() == 429);
        if code.is_some_and(|code| THROTTLING_CODES.contains(&code)) || too_many_requests {
            // The SDK's own classifiers retry it, within the budget.
            RetryAction::NoActionIndicated
        } else {
            RetryAction::RetryForbidden
        }
    }

    fn name(&self) -> &'static str {
        "regionflip: retry a change batch only when it was refused"
    }
}

/// `/change/C2682N5HXP0BZ4` → `C2682N5HXP0BZ4`, the form `GetChange` accepts and logs
/// show.
fn bare_change_id(id: &str) -> &str {
    id.strip_prefix("/change/").unwrap_or(id)
}

/// Classifies a failed change batch: a refused precondition is a [`ChangeError::Conflict`],
/// anything else goes through [`classify`].
fn change_error(err: &SdkError<ChangeResourceRecordSetsError, HttpResponse>) -> ChangeError {
    let code = err.code().unwrap_or_default();
    let mut message = err.message().unwrap_or_default().to_owned();
    // Route 53 used to put the reasons in a `Messages` list instead of `Message`.
    if let Some(ChangeResourceRecordSetsError::InvalidChangeBatch(batch)) = err.as_service_error() {
        for reason in batch.messages() {
            if !message.contains(reason.as_str()) {
                message = format!("{message} {reason}").trim().to_owned();
            }
        }
    }
    if is_precondition_failure(code, &message) {
        ChangeError::Conflict(message)
    } else {
        ChangeError::Aws(classify(err))
    }
}

/// Whether Route 53 refused a batch because the records are not what the batch assumed.
///
/// Only these reasons are conflicts; any other `InvalidChangeBatch` (a malformed value, a
/// name outside the zone, a CNAME beside another type) is a bug that re-reading the
/// records will not fix, so it stays an [`AwsError::Service`] and is reported as such.
fn is_precondition_failure(code: &str, message: &str) -> bool {
    match code {
        // Route 53: "[Tried to delete resource record set [name='…', type='TXT'] but it
        // was not found]", "… but the values provided do not match the current values",
        // "Tried to create resource record set [name='…', type='TXT'] but it already
        // exists". One message may list several reasons.
        "InvalidChangeBatch" => [
            "but it was not found",
            "values provided do not match",
            "but it already exists",
        ]
        .iter()
        .any(|reason| message.contains(reason)),
        // moto answers a DELETE that matches no record it ever wrote with InvalidInput,
        // "… but found none in Change with [Action=DELETE, …]". Real Route 53 uses that
        // text only for a DELETE without values, which this adapter never sends.
        "InvalidInput" => message.contains("Action=DELETE"),
        _ => false,
    }
}

/// The SDK change batch for the core's changes.
fn change_batch(changes: &[Change], comment: &str) -> Result<sdk::ChangeBatch, BuildError> {
    let changes = changes
        .iter()
        .map(|change| {
            sdk::Change::builder()
                .action(match change.action {
                    ChangeAction::Create => sdk::ChangeAction::Create,
                    ChangeAction::Delete => sdk::ChangeAction::Delete,
                    ChangeAction::Upsert => sdk::ChangeAction::Upsert,
                })
                .resource_record_set(record_to_sdk(&change.record)?)
                .build()
        })
        .collect::<Result<Vec<_>, _>>()?;
    sdk::ChangeBatch::builder()
        .set_comment((!comment.is_empty()).then(|| comment.to_owned()))
        .set_changes(Some(changes))
        .build()
}

/// The SDK record for a core record. `EvaluateTargetHealth` is the core's: false on a
/// region's record (its health comes from its own health check, never from the alias
/// target), true only on a gate chain link (its health is the next pair's).
pub(crate) fn record_to_sdk(record: &RecordSet) -> Result<sdk::ResourceRecordSet, BuildError> {
    let resource_records = record
        .values
        .iter()
        .map(|value| sdk::ResourceRecord::builder().value(value).build())
        .collect::<Result<Vec<_>, _>>()?;
    let alias = record
        .alias
        .as_ref()
        .map(|alias| {
            sdk::AliasTarget::builder()
                .hosted_zone_id(&alias.hosted_zone_id)
                .dns_name(&alias.dns_name)
                .evaluate_target_health(alias.evaluate_target_health)
                .build()
        })
        .transpose()?;
    sdk::ResourceRecordSet::builder()
        .name(&record.name)
        .r#type(sdk::RrType::from(record.record_type.as_str()))
        .set_set_identifier(record.set_identifier.clone())
        .set_failover(record.failover.map(|role| match role {
            FailoverRole::Primary => sdk::ResourceRecordSetFailover::Primary,
            FailoverRole::Secondary => sdk::ResourceRecordSetFailover::Secondary,
        }))
        .set_ttl(record.ttl.map(i64::from))
        .set_resource_records((!resource_records.is_empty()).then_some(resource_records))
        .set_alias_target(alias)
        .set_health_check_id(record.health_check_id.clone())
        .set_region(
            record
                .latency_region
                .as_deref()
                .map(sdk::ResourceRecordSetRegion::from),
        )
        .set_weight(record.weight.map(i64::from))
        .build()
}

/// The core record for an SDK record. Latency and weighted records keep their `Region`
/// and `Weight` (active-active routing writes them); other routing policies regionflip
/// does not write (geolocation, multivalue, …) keep their name, type and values but lose
/// the policy, which is enough for the engine to see that the record is not its own.
pub(crate) fn record_from_sdk(record: &sdk::ResourceRecordSet) -> RecordSet {
    RecordSet {
        name: record.name().to_owned(),
        record_type: record.r#type().as_str().to_owned(),
        set_identifier: record.set_identifier().map(str::to_owned),
        failover: match record.failover() {
            Some(sdk::ResourceRecordSetFailover::Primary) => Some(FailoverRole::Primary),
            Some(sdk::ResourceRecordSetFailover::Secondary) => Some(FailoverRole::Secondary),
            _ => None,
        },
        // Alias records have no TTL of their own (Route 53 refuses one in a change), but
        // moto reports `TTL 0` for them; dropping it keeps a record read back equal to
        // the record written, and writable again. Route 53 limits TTLs to
        // 0..=2147483647, which always fits.
        ttl: match record.alias_target() {
            Some(_) => None,
            None => record.ttl().and_then(|ttl| u32::try_from(ttl).ok()),
        },
        values: record
            .resource_records()
            .iter()
            .map(|rr| rr.value().to_owned())
            .collect(),
        alias: record.alias_target().map(|alias| AliasTarget {
            hosted_zone_id: alias.hosted_zone_id().to_owned(),
            dns_name: alias.dns_name().to_owned(),
            evaluate_target_health: alias.evaluate_target_health(),
        }),
        health_check_id: record.health_check_id().map(str::to_owned),
        latency_region: record.region().map(|r| r.as_str().to_owned()),
        weight: record.weight().and_then(|w| u32::try_from(w).ok()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failover_cname() -> RecordSet {
        RecordSet {
            name: "api.example.com.".into(),
            record_type: "CNAME".into(),
            set_identifier: Some("regionflip-primary".into()),
            failover: Some(FailoverRole::Primary),
            ttl: Some(60),
            values: vec!["api.us-east-1.example.com".into()],
            alias: None,
            health_check_id: Some("11111111-2222-3333-4444-555555555555".into()),
            latency_region: None,
            weight: None,
        }
    }

    #[test]
    fn records_round_trip_through_sdk_types() {
        let alias = RecordSet {
            record_type: "A".into(),
            failover: Some(FailoverRole::Secondary),
            set_identifier: Some("regionflip-secondary".into()),
            ttl: None,
            values: Vec::new(),
            alias: Some(AliasTarget {
                hosted_zone_id: "Z2FDTNDATAQYW2".into(),
                dns_name: "d111111abcdef8.cloudfront.net.".into(),
                evaluate_target_health: false,
            }),
            ..failover_cname()
        };
        let link = RecordSet {
            alias: Some(AliasTarget {
                hosted_zone_id: "Z0123456789ABCDEFGHIJ".into(),
                dns_name: "_regionflip-from-us-west-2.api.example.com.".into(),
                evaluate_target_health: true,
            }),
            health_check_id: None,
            ..alias.clone()
        };
        let txt = RecordSet {
            name: "_regionflip.api.example.com.".into(),
            record_type: "TXT".into(),
            set_identifier: None,
            failover: None,
            values: vec!["\"regionflip/v1 seq=1\"".into()],
            health_check_id: None,
            ..failover_cname()
        };
        for record in [failover_cname(), alias.clone(), link, txt] {
            let sdk_record = record_to_sdk(&record).expect("builds");
            assert_eq!(record_from_sdk(&sdk_record), record);
        }
        let mut sdk_alias = record_to_sdk(&alias).expect("builds");
        assert!(sdk_alias.ttl().is_none());
        // As moto reports it.
        sdk_alias.ttl = Some(0);
        assert_eq!(record_from_sdk(&sdk_alias), alias);
        assert_eq!(
            sdk_alias.alias_target().map(|a| a.evaluate_target_health()),
            Some(false)
        );
        assert!(sdk_alias.resource_records().is_empty());
    }

    #[test]
    fn only_refused_preconditions_are_conflicts() {
        assert!(is_precondition_failure(
            "InvalidChangeBatch",
            "[Tried to delete resource record set [name='_regionflip.api.example.com.', \
             type='TXT'] but it was not found]"
        ));
        assert!(is_precondition_failure(
            "InvalidChangeBatch",
            "[Tried to delete resource record set [name='a.', type='TXT'] but the values \
             provided do not match the current values]"
        ));
        assert!(is_precondition_failure(
            "InvalidChangeBatch",
            "Tried to create resource record set [name='a.', type='TXT'] but it already exists"
        ));
        assert!(is_precondition_failure(
            "InvalidInput",
            "Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and \
             ResourceRecords], or TrafficPolicyInstanceId], but found none in Change with \
             [Action=DELETE, Name=a., Type=TXT, SetIdentifier=null]"
        ));
        assert!(!is_precondition_failure(
            "InvalidChangeBatch",
            "RRSet with DNS name a.example.org. is not permitted in zone example.com."
        ));
        assert!(!is_precondition_failure("InvalidInput", "Invalid request"));
        assert!(!is_precondition_failure(
            "Throttling",
            "but it was not found"
        ));
    }

    #[test]
    fn change_ids_lose_their_prefix() {
        assert_eq!(bare_change_id("/change/C2682N5HXP0BZ4"), "C2682N5HXP0BZ4");
        assert_eq!(bare_change_id("C2682N5HXP0BZ4"), "C2682N5HXP0BZ4");
    }
}
