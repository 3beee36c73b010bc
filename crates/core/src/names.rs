//! Syntax checks for the names regionflip is given: DNS names, AWS region names, Route 53
//! zone and health-check ids, CloudWatch namespaces. Pure string rules, no look-ups: they
//! catch typos at load time, before anything talks to AWS.

/// Longest DNS name, in characters without the final dot (RFC 1035's 255 octets on the
/// wire).
pub(crate) const MAX_DNS_NAME_LEN: usize = 253;

/// First label of a gate chain link's name: `_regionflip-from-<region>.<record name>`
/// (`records::chain_link_name`). Here, among the leaves, so that the validator can check
/// that every link's name fits.
pub(crate) const CHAIN_LABEL_PREFIX: &str = "_regionflip-from-";

/// Lower-cases a DNS name and gives it the trailing dot Route 53 returns, or says why it
/// is not a name.
pub(crate) fn normalise_dns_name(raw: &str, allow_wildcard: bool) -> Result<String, String> {
    let trimmed = raw.trim().trim_end_matches('.');
    if trimmed.is_empty() {
        return Err("it is empty".into());
    }
    if trimmed.len() > MAX_DNS_NAME_LEN {
        return Err(format!("it is longer than {MAX_DNS_NAME_LEN} characters"));
    }
    let lower = trimmed.to_ascii_lowercase();
    let labels: Vec<&str> = lower.split('.').collect();
    if labels.len() < 2 {
        return Err("it needs at least two labels".into());
    }
    for (i, label) in labels.iter().enumerate() {
        if label.is_empty() {
            return Err("it has an empty label (two dots in a row)".into());
        }
        if label.len() > 63 {
            return Err(format!("label {label:?} is longer than 63 characters"));
        }
        if *label == "*" && i == 0 && allow_wildcard {
            continue;
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(format!(
                "label {label:?} has a character other than a-z, 0-9, - or _"
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!("label {label:?} starts or ends with a hyphen"));
        }
    }
    Ok(format!("{lower}."))
}

/// Strips the `/hostedzone/` prefix the Route 53 API puts on zone ids.
pub(crate) fn normalise_zone_id(raw: &str) -> String {
    raw.trim().trim_start_matches("/hostedzone/").to_string()
}

/// Route 53 hosted zone ids: up to 32 upper-case letters and digits. AWS's own ids start
/// with `Z` by habit, not by contract (the API promises only a string of at most 32
/// characters), and moto's do not, so the first letter is not checked.
pub(crate) fn is_zone_id(id: &str) -> bool {
    (2..=32).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// AWS region names: `us-east-1`, `eu-central-2`, `us-gov-west-1`, `ap-southeast-7`.
pub(crate) fn is_region_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    let letters = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase());
    match parts.as_slice() {
        [area, direction, number] => {
            area.len() == 2 && letters(area) && letters(direction) && is_small_number(number)
        }
        [area, partition, direction, number] => {
            area.len() == 2
                && letters(area)
                && matches!(*partition, "gov" | "iso" | "isob" | "isof" | "isoe")
                && letters(direction)
                && is_small_number(number)
        }
        _ => false,
    }
}

fn is_small_number(s: &str) -> bool {
    (1..=2).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// Route 53 health check ids are UUIDs.
pub(crate) fn is_health_check_id(id: &str) -> bool {
    let groups: Vec<&str> = id.split('-').collect();
    groups.len() == 5
        && groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// CloudWatch custom namespaces: 1–255 of a restricted character set, not `AWS/…`, not `:…`.
pub(crate) fn is_metrics_namespace(ns: &str) -> bool {
    (1..=255).contains(&ns.len())
        && !ns.starts_with("AWS/")
        // CloudWatch's API pattern for `Namespace` is `[^:].*`: PutMetricData refuses it.
        && !ns.starts_with(':')
        && ns
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-_/#: ".contains(&b))
}

/// Whether `name` is a CloudWatch Logs log group name: 1 to 512 of letters, digits and
/// `. - _ / #` (CloudWatch Logs API reference, `CreateLogGroup`, `logGroupName` pattern
/// `[\.\-_/#A-Za-z0-9]+`).
pub(crate) fn is_log_group_name(name: &str) -> bool {
    (1..=512).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/' | '#'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names_are_normalised_to_lower_case_fqdn() {
        assert_eq!(
            normalise_dns_name("API.Example.com", false).as_deref(),
            Ok("api.example.com.")
        );
        assert_eq!(
            normalise_dns_name("api.example.com.", false).as_deref(),
            Ok("api.example.com.")
        );
        assert!(normalise_dns_name("localhost", false).is_err());
        assert!(normalise_dns_name("a..b", false).is_err());
        assert!(normalise_dns_name("-a.b", false).is_err());
        assert!(normalise_dns_name("a b.com", false).is_err());
        assert!(normalise_dns_name("*.b.com", false).is_err());
        assert!(normalise_dns_name("*.b.com", true).is_ok());
    }

    #[test]
    fn region_names() {
        for ok in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "ap-southeast-7",
            "il-central-1",
        ] {
            assert!(is_region_name(ok), "{ok}");
        }
        for bad in [
            "us-east",
            "useast1",
            "US-EAST-1",
            "us-east-100",
            "u-east-1",
            "",
        ] {
            assert!(!is_region_name(bad), "{bad}");
        }
    }

    #[test]
    fn zone_and_check_ids() {
        assert!(is_zone_id("Z0123456789ABCDEFGHIJ"));
        assert!(!is_zone_id("z0123"));
        assert!(is_zone_id("LGU7TS0GUFMKQDP92CUVE1"), "a moto zone id");
        assert!(!is_zone_id("Z"));
        assert!(!is_zone_id("Z0123-456"));
        assert_eq!(normalise_zone_id("/hostedzone/Z123"), "Z123");
        assert!(is_health_check_id("2d5b6f0c-1234-4c3b-9d41-0a1b2c3d4e5f"));
        assert!(!is_health_check_id("2d5b6f0c-1234-4c3b-9d41"));
        assert!(!is_health_check_id("zzzzzzzz-1234-4c3b-9d41-0a1b2c3d4e5f"));
    }

    #[test]
    fn namespaces() {
        assert!(is_metrics_namespace("RegionFlip"));
        assert!(!is_metrics_namespace("AWS/Route53"));
        assert!(!is_metrics_namespace(""));
        assert!(!is_metrics_namespace(":RegionFlip"));
        assert!(is_metrics_namespace("Shop:RegionFlip"));
        assert!(!is_metrics_namespace("bad\u{7}"));
    }
}
