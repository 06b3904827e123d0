//! Prometheus metrics: the process-wide recorder behind `GET /metrics`, and one recording
//! function per kind of event (HTTP requests, MCP tool calls, LLM calls, chat turns).
//!
//! The names, labels and buckets are documented in `docs/observability.md`.

use std::{
    collections::{HashMap, HashSet},
    sync::{OnceLock, PoisonError, RwLock},
    time::Duration,
};

use axum::http::{Method, StatusCode};
use metrics::{Counter, Histogram};
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};

use crate::db::Db;

/// Requests answered, by `method`, `route` and `status`.
pub const HTTP_REQUESTS: &str = "http_requests_total";
/// Time to the response head, by `method`, `route` and `status`.
pub const HTTP_DURATION: &str = "http_request_duration_seconds";
/// MCP tool calls, by `tool` and `outcome`.
pub const MCP_TOOL_CALLS: &str = "tudu_mcp_tool_calls_total";
/// MCP tool call latency, by `tool` and `outcome`.
pub const MCP_TOOL_DURATION: &str = "tudu_mcp_tool_call_duration_seconds";
/// Calls to the LLM provider, by `outcome`.
pub const LLM_CALLS: &str = "tudu_llm_calls_total";
/// LLM provider call latency, by `outcome`.
pub const LLM_DURATION: &str = "tudu_llm_call_duration_seconds";
/// Chat turns, by `agent` and `outcome`.
pub const CHAT_TURNS: &str = "tudu_chat_turns_total";
/// Chat turn latency, by `agent` and `outcome`.
pub const CHAT_DURATION: &str = "tudu_chat_turn_duration_seconds";
/// Open connections checked out, by `pool`.
pub const POOL_IN_USE: &str = "tudu_db_pool_connections_in_use";
/// Open connections waiting in the pool, by `pool`.
pub const POOL_IDLE: &str = "tudu_db_pool_connections_idle";
/// The pool's upper bound, by `pool`.
pub const POOL_MAX: &str = "tudu_db_pool_connections_max";

/// Connections refused because `TUDU_MAX_CONNECTIONS` were open.
pub const CONNECTIONS_REFUSED: &str = "tudu_http_connections_refused_total";

/// The `route` label of a request that matched no route: one series for every unknown path.
pub const UNMATCHED: &str = "unmatched";
/// The `tool` label of a call to a tool that does not exist.
pub const UNKNOWN_TOOL: &str = "unknown";

/// Requests and tool calls take about a millisecond; the buckets resolve that and still show
/// a slow database or a lock wait of seconds.
const FAST_BUCKETS: &[f64] = &[
    0.000_5, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Model calls and chat turns take seconds, up to the 60 s turn deadline.
const SLOW_BUCKETS: &[f64] = &[
    0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0,
];
/// Histograms are drained into their buckets at every scrape; between scrapes (or when nobody
/// scrapes) this bounds the samples kept in memory.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process-wide recorder, once; later calls (every test app) share it.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = with_buckets(PrometheusBuilder::new()).unwrap_or_else(|err| {
            tracing::warn!(error = %err, "metrics buckets rejected: histograms become summaries");
            PrometheusBuilder::new()
        });
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if let Err(err) = metrics::set_global_recorder(recorder) {
            tracing::warn!(error = %err, "another metrics recorder is installed: /metrics stays empty");
        }
        describe();
        let upkeep = handle.clone();
        let spawned = std::thread::Builder::new()
            .name("metrics-upkeep".to_owned())
            .spawn(move || {
                loop {
                    std::thread::sleep(UPKEEP_EVERY);
                    upkeep.run_upkeep();
                }
            });
        if let Err(err) = spawned {
            tracing::warn!(error = %err, "no metrics upkeep thread: histograms drain at scrapes only");
        }
        handle
    })
}

fn with_buckets(builder: PrometheusBuilder) -> Result<PrometheusBuilder, BuildError> {
    let mut builder = builder;
    for name in [HTTP_DURATION, MCP_TOOL_DURATION] {
        builder = builder.set_buckets_for_metric(Matcher::Full(name.to_owned()), FAST_BUCKETS)?;
    }
    for name in [LLM_DURATION, CHAT_DURATION] {
        builder = builder.set_buckets_for_metric(Matcher::Full(name.to_owned()), SLOW_BUCKETS)?;
    }
    Ok(builder)
}

fn describe() {
    use metrics::Unit::Seconds;
    metrics::describe_counter!(HTTP_REQUESTS, "HTTP requests answered");
    metrics::describe_histogram!(HTTP_DURATION, Seconds, "Time to the response head");
    metrics::describe_counter!(MCP_TOOL_CALLS, "MCP tool calls (HTTP, stdio and chat)");
    metrics::describe_histogram!(MCP_TOOL_DURATION, Seconds, "MCP tool call latency");
    metrics::describe_counter!(LLM_CALLS, "Calls to the LLM provider");
    metrics::describe_histogram!(LLM_DURATION, Seconds, "LLM provider call latency");
    metrics::describe_counter!(CHAT_TURNS, "Chat turns answered or failed");
    metrics::describe_histogram!(CHAT_DURATION, Seconds, "Chat turn latency");
    metrics::describe_gauge!(POOL_IN_USE, "Database connections checked out");
    metrics::describe_gauge!(POOL_IDLE, "Database connections idle in the pool");
    metrics::describe_gauge!(POOL_MAX, "Database pool size limit");
}

/// The exposition text: pool gauges read now, everything else as recorded.
#[must_use]
pub fn render(db: &Db) -> String {
    let handle = install();
    match db {
        Db::Postgres(pool) => pool_gauges("postgres", pool),
        Db::Sqlite(pools) => {
            pool_gauges("sqlite_read", &pools.read);
            pool_gauges("sqlite_write", &pools.write);
        }
    }
    handle.render()
}

fn pool_gauges<C: sqlx::Connection + 'static>(name: &'static str, pool: &crate::db::pool::Pool<C>) {
    let (open, idle, max) = crate::db::pool::usage(pool);
    // Gauges are f64; pool sizes are far below the range where the conversion loses anything.
    #[allow(clippy::cast_precision_loss)]
    let gauge = |n: usize| n as f64;
    metrics::gauge!(POOL_IN_USE, "pool" => name).set(gauge(open.saturating_sub(idle)));
    metrics::gauge!(POOL_IDLE, "pool" => name).set(gauge(idle));
    metrics::gauge!(POOL_MAX, "pool" => name).set(gauge(max));
}

type SeriesKey = (&'static str, &'static str, u16);

/// Handles of the HTTP series seen so far: the hot path then costs two map look-ups under
/// read locks and two atomic updates, with no allocation.
static HTTP_SERIES: OnceLock<RwLock<HashMap<SeriesKey, (Counter, Histogram)>>> = OnceLock::new();

/// Counts one answered request; `route` is a route template or [`UNMATCHED`], never a raw path.
pub fn http_request(method: &Method, route: &str, status: StatusCode, elapsed: Duration) {
    let key = (method_label(method), intern(route), status.as_u16());
    let series = HTTP_SERIES.get_or_init(RwLock::default);
    {
        let known = series.read().unwrap_or_else(PoisonError::into_inner);
        if let Some((count, duration)) = known.get(&key) {
            count.increment(1);
            duration.record(elapsed);
            return;
        }
    }
    let mut known = series.write().unwrap_or_else(PoisonError::into_inner);
    let (count, duration) = known.entry(key).or_insert_with(|| {
        let labels = [
            ("method", key.0.to_owned()),
            ("route", key.1.to_owned()),
            ("status", status.as_str().to_owned()),
        ];
        (
            metrics::counter!(HTTP_REQUESTS, &labels),
            metrics::histogram!(HTTP_DURATION, &labels),
        )
    });
    count.increment(1);
    duration.record(elapsed);
}

/// Unusual methods share one label, so a client cannot create series at will.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// A `'static` copy of a route template. Templates come from the router, a fixed set, so what
/// is kept is bounded.
fn intern(route: &str) -> &'static str {
    static SEEN: OnceLock<RwLock<HashSet<&'static str>>> = OnceLock::new();
    let seen = SEEN.get_or_init(RwLock::default);
    if let Some(found) = seen
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(route)
    {
        return found;
    }
    let mut seen = seen.write().unwrap_or_else(PoisonError::into_inner);
    if let Some(found) = seen.get(route) {
        return found;
    }
    let leaked: &'static str = Box::leak(route.to_owned().into_boxed_str());
    seen.insert(leaked);
    leaked
}

/// Counts one connection answered 503 at the connection cap.
pub fn connection_refused() {
    metrics::counter!(CONNECTIONS_REFUSED).increment(1);
}

/// Counts one MCP tool call; `outcome` is `ok`, `tool_error` or `protocol_error`.
pub fn mcp_tool_call(tool: &'static str, outcome: &'static str, elapsed: Duration) {
    metrics::counter!(MCP_TOOL_CALLS, "tool" => tool, "outcome" => outcome).increment(1);
    metrics::histogram!(MCP_TOOL_DURATION, "tool" => tool, "outcome" => outcome).record(elapsed);
}

/// Counts one call to the LLM provider; `outcome` is e.g. `ok`, `error` or `timeout`.
pub fn llm_call(outcome: &'static str, elapsed: Duration) {
    metrics::counter!(LLM_CALLS, "outcome" => outcome).increment(1);
    metrics::histogram!(LLM_DURATION, "outcome" => outcome).record(elapsed);
}

/// Counts one chat turn of `agent` (`local`, `openai`); `outcome` is e.g. `ok` or `error`.
pub fn chat_turn(agent: &'static str, outcome: &'static str, elapsed: Duration) {
    metrics::counter!(CHAT_TURNS, "agent" => agent, "outcome" => outcome).increment(1);
    metrics::histogram!(CHAT_DURATION, "agent" => agent, "outcome" => outcome).record(elapsed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unusual_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        let custom = Method::from_bytes(b"BREW").expect("a valid method token");
        assert_eq!(method_label(&custom), "other");
    }

    #[test]
    fn a_template_is_kept_once() {
        let a = intern("/api/v1/tasks/{id}");
        let b = intern(&String::from("/api/v1/tasks/{id}"));
        assert!(std::ptr::eq(a, b));
    }

    #[test]
    fn chat_and_llm_series_are_rendered() {
        let handle = install();
        llm_call("ok", Duration::from_millis(1500));
        chat_turn("local", "ok", Duration::from_millis(3));
        let text = handle.render();
        assert!(
            text.contains(r#"tudu_llm_calls_total{outcome="ok"}"#),
            "{text}"
        );
        assert!(
            text.contains(r#"tudu_llm_call_duration_seconds_bucket{outcome="ok",le="2.5"}"#),
            "{text}"
        );
        assert!(
            text.contains(r#"tudu_chat_turns_total{agent="local",outcome="ok"}"#),
            "{text}"
        );
    }
}
