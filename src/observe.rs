//! The request middleware: one span per request (request id, method, route template, and the
//! user once authenticated), its completion log line, and its HTTP metrics.

use std::time::Instant;

use axum::{
    extract::{MatchedPath, Request, State},
    middleware::Next,
    response::Response,
};
use tracing::Instrument;

/// The header carrying the request id, generated when the client sends none.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Whether the middleware records metrics (`METRICS_ENABLED`).
#[derive(Debug, Clone, Copy)]
pub struct Observe {
    /// Record HTTP metrics.
    pub metrics: bool,
}

/// Runs the request inside its span, then logs its status and latency and counts it.
///
/// Headers are never logged: `Authorization` carries the bearer token. The user id is added to
/// the span by [`record_user`] when authentication succeeds.
pub async fn observe(State(config): State<Observe>, request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = request.method().clone();
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let route = matched
        .as_ref()
        .map_or(crate::metrics::UNMATCHED, MatchedPath::as_str);
    let request_id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let span = tracing::info_span!(
        "request",
        method = %method,
        route,
        request_id,
        user_id = tracing::field::Empty,
    );
    let response = next.run(request).instrument(span.clone()).await;
    let elapsed = start.elapsed();
    let status = response.status();
    span.in_scope(|| {
        tracing::info!(
            status = status.as_u16(),
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "request completed"
        );
    });
    if config.metrics {
        crate::metrics::http_request(&method, route, status, elapsed);
    }
    response
}

/// Names the authenticated user on the current request's span (and on nothing else: the field
/// only exists there).
pub fn record_user(user_id: &str) {
    tracing::Span::current().record("user_id", user_id);
}
