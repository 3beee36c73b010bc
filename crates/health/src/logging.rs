//! Logging set-up that honours Lambda's advanced logging controls without a regex engine.
//!
//! `AWS_LAMBDA_LOG_FORMAT` (`JSON` or `Text`) chooses the format and
//! `AWS_LAMBDA_LOG_LEVEL` (`TRACE` … `FATAL`) the level, as lambda_http's own initialiser
//! does; that initialiser also accepts `RUST_LOG` directive filters, which need
//! tracing-subscriber's `env-filter` and its regex engine — about a fifth of this
//! binary. A health endpoint needs one level, not per-module filters, so it reads the
//! two variables itself (then `RUST_LOG` as a plain level, for local runs).

use tracing::level_filters::LevelFilter;

/// Log format chosen by `AWS_LAMBDA_LOG_FORMAT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line (Lambda's JSON log format).
    Json,
    /// Plain text.
    Text,
}

/// The format and level the environment asks for. Unknown values fall back to text and
/// INFO: a logging typo must not stop a health endpoint from serving.
pub fn settings_from<I, K, V>(vars: I) -> (LogFormat, LevelFilter)
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<std::ffi::OsStr>,
    V: AsRef<std::ffi::OsStr>,
{
    let mut format = LogFormat::Text;
    let mut lambda_level = None;
    let mut rust_log = None;
    for (key, value) in vars {
        let value = value.as_ref().to_string_lossy().trim().to_ascii_uppercase();
        match key.as_ref().to_str() {
            Some("AWS_LAMBDA_LOG_FORMAT") if value == "JSON" => format = LogFormat::Json,
            Some("AWS_LAMBDA_LOG_LEVEL") => lambda_level = parse_level(&value),
            Some("RUST_LOG") => rust_log = parse_level(&value),
            _ => {}
        }
    }
    (
        format,
        lambda_level.or(rust_log).unwrap_or(LevelFilter::INFO),
    )
}

fn parse_level(value: &str) -> Option<LevelFilter> {
    Some(match value {
        "TRACE" => LevelFilter::TRACE,
        "DEBUG" => LevelFilter::DEBUG,
        "INFO" => LevelFilter::INFO,
        "WARN" => LevelFilter::WARN,
        "ERROR" | "FATAL" => LevelFilter::ERROR,
        "OFF" => LevelFilter::OFF,
        _ => return None,
    })
}

/// Installs the global subscriber, writing to `writer` (stdout under Lambda; stderr
/// locally, where stdout carries only the "listening on" line).
pub fn init<W>(format: LogFormat, level: LevelFilter, writer: W)
where
    W: for<'a> tracing_subscriber::fmt::MakeWriter<'a> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(writer)
        .with_ansi(false)
        .with_target(false);
    // A second initialisation (tests) is harmless; the first subscriber stays.
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init(),
        LogFormat::Text => builder.without_time().try_init(),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_controls_choose_format_and_level() {
        let (format, level) = settings_from([
            ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
            ("AWS_LAMBDA_LOG_LEVEL", "debug"),
        ]);
        assert_eq!((format, level), (LogFormat::Json, LevelFilter::DEBUG));
    }

    #[test]
    fn lambda_level_wins_over_rust_log_and_fatal_means_error() {
        let (_, level) = settings_from([("RUST_LOG", "trace"), ("AWS_LAMBDA_LOG_LEVEL", "FATAL")]);
        assert_eq!(level, LevelFilter::ERROR);
    }

    #[test]
    fn defaults_are_text_and_info() {
        let none: [(&str, &str); 0] = [];
        assert_eq!(settings_from(none), (LogFormat::Text, LevelFilter::INFO));
        let (format, level) =
            settings_from([("AWS_LAMBDA_LOG_FORMAT", "Text"), ("RUST_LOG", "nonsense")]);
        assert_eq!((format, level), (LogFormat::Text, LevelFilter::INFO));
    }
}
