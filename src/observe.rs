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

/// Longest request id accepted from a client.
pub const MAX_REQUEST_ID_LEN: usize = 128;

/// Whether a client's request id may be kept: 1 to [`MAX_REQUEST_ID_LEN`] characters of
/// `A-Z a-z 0-9 . _ : -` (UUIDs, ULIDs, W3C trace ids, `host:counter` forms).
#[must_use]
pub fn acceptable_request_id(id: &[u8]) -> bool {
    (1..=MAX_REQUEST_ID_LEN).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// Removes a client's `X-Request-Id` that is not acceptable (or is sent more than once), so
/// that the next layer generates a fresh one. The id is copied into every log line of the
/// request and into the response, so a client must not choose its size or its characters.
pub fn screen_request_id(mut request: Request) -> Request {
    let headers = request.headers_mut();
    let keep = {
        let mut ids = headers.get_all(REQUEST_ID_HEADER).iter();
        match (ids.next(), ids.next()) {
            (Some(id), None) => acceptable_request_id(id.as_bytes()),
            (None, None) => true,
            _ => false,
        }
    };
    if !keep {
        headers.remove(REQUEST_ID_HEADER);
    }
    request
}

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

#[cfg(test)]
mod tests {
    use super::{MAX_REQUEST_ID_LEN, acceptable_request_id};

    #[test]
    fn request_ids_of_safe_characters_up_to_the_limit_are_acceptable() {
        for id in [
            "a",
            "1817546b-1efb-4703-a605-c32b9f7aa3ad",
            "01HZX3K9Q8.trace_id:42",
            &"x".repeat(MAX_REQUEST_ID_LEN),
        ] {
            assert!(acceptable_request_id(id.as_bytes()), "{id:?}");
        }
    }

    #[test]
    fn empty_long_or_unusual_request_ids_are_not() {
        for id in [
            String::new(),
            "x".repeat(MAX_REQUEST_ID_LEN + 1),
            "has space".to_owned(),
            "quote\"d".to_owned(),
            "new\nline".to_owned(),
            "{\"json\":1}".to_owned(),
            "caf\u{e9}".to_owned(),
            "a/b".to_owned(),
        ] {
            assert!(!acceptable_request_id(id.as_bytes()), "{id:?}");
        }
    }
}
