//! Unix seconds as RFC 3339 (`2026-11-24T05:00:00Z`): the one formatting of times in
//! transition records, logs and reports. Pure arithmetic on the proleptic Gregorian
//! calendar (UTC, no leap seconds, as Unix time itself), so the core needs no date library.

/// `unix_secs` as RFC 3339 in UTC, to the second.
pub fn rfc3339(unix_secs: u64) -> String {
    let days = unix_secs / 86_400;
    let secs_of_day = unix_secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs_of_day / 3600,
        secs_of_day % 3600 / 60,
        secs_of_day % 60
    )
}

/// Serialises Unix seconds as RFC 3339 (`#[serde(serialize_with = ...)]`).
pub(crate) fn serialize_rfc3339<S: serde::Serializer>(
    unix_secs: &u64,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&rfc3339(*unix_secs))
}

/// Serialises optional Unix seconds as RFC 3339, or null.
pub(crate) fn serialize_rfc3339_opt<S: serde::Serializer>(
    unix_secs: &Option<u64>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match unix_secs {
        Some(secs) => serializer.serialize_str(&rfc3339(*secs)),
        None => serializer.serialize_none(),
    }
}

/// Serialises a list of Unix seconds as RFC 3339 strings.
pub(crate) fn serialize_rfc3339_list<S: serde::Serializer>(
    unix_secs: &[u64],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = serializer.serialize_seq(Some(unix_secs.len()))?;
    for secs in unix_secs {
        seq.serialize_element(&rfc3339(*secs))?;
    }
    seq.end()
}

/// Serialises (region, Unix seconds) pairs as `{"region": …, "at": RFC 3339}` objects:
/// the active-active state's `out_of_service` and `region_flips`, so that they print in
/// the one time format too.
pub(crate) fn serialize_region_times<S: serde::Serializer>(
    pairs: &[(String, u64)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::{SerializeMap, SerializeSeq};
    struct RegionAt<'a>(&'a str, u64);
    impl serde::Serialize for RegionAt<'_> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut map = serializer.serialize_map(Some(2))?;
            map.serialize_entry("region", self.0)?;
            map.serialize_entry("at", &rfc3339(self.1))?;
            map.end()
        }
    }
    let mut seq = serializer.serialize_seq(Some(pairs.len()))?;
    for (region, secs) in pairs {
        seq.serialize_element(&RegionAt(region, *secs))?;
    }
    seq.end()
}

/// Year, month (1–12) and day (1–31) of the `days`-th day after 1970-01-01: Howard
/// Hinnant's `civil_from_days`, in eras of 400 years (146,097 days), restricted to days
/// on or after the epoch, which is all a Unix time can name here.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // Shift the epoch to 0000-03-01, so that leap days fall at the end of a year.
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153; // 0 = March
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn known_instants_format_as_rfc3339() {
        for (unix, text) in [
            (0, "1970-01-01T00:00:00Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (1_709_251_199, "2024-02-29T23:59:59Z"),
            (1_795_496_400, "2026-11-24T05:00:00Z"),
            (4_102_444_800, "2100-01-01T00:00:00Z"),
            (253_402_300_799, "9999-12-31T23:59:59Z"),
        ] {
            assert_eq!(rfc3339(unix), text, "{unix}");
        }
    }
}
