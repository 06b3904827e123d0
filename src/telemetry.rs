//! Logging set-up: JSON lines or pretty output, filtered by `RUST_LOG`.

use tracing::Subscriber;
use tracing_subscriber::{
    EnvFilter, Layer, fmt, fmt::MakeWriter, layer::SubscriberExt, registry::LookupSpan,
    util::SubscriberInitExt,
};

use crate::config::LogFormat;

/// `info`, without rmcp's per-request lines (our own request log already covers them).
pub const DEFAULT_FILTER: &str = "info,rmcp=warn";

/// Installs the global subscriber; logs go to stderr so stdout stays free for command output.
pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let registry = tracing_subscriber::registry().with(filter);
    let result = match format {
        LogFormat::Json => registry.with(json_layer(std::io::stderr)).try_init(),
        LogFormat::Pretty => registry
            .with(fmt::layer().with_writer(std::io::stderr))
            .try_init(),
    };
    // A second init (tests building several apps) keeps the first subscriber.
    drop(result);
}

/// One JSON object per line: the event's fields at the top level, the fields of the innermost
/// span (request id, route, user id…) under `span`.
pub fn json_layer<S, W>(writer: W) -> impl Layer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_writer(writer)
}
