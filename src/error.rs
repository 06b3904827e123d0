//! The one error type every HTTP route returns, and its mapping to `application/problem+json`.

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;

/// What a 503 tells the client to wait: a restarting database is usually back within seconds.
pub const SERVICE_RETRY_AFTER_SECS: u64 = 1;

/// Result alias for handlers.
pub type Result<T, E = ApiError> = std::result::Result<T, E>;

/// One invalid input field.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name as sent by the client (`title`, `tags[3]`, `limit`).
    pub field: String,
    /// What is wrong with it, for a person.
    pub message: String,
}

impl FieldError {
    /// Builds a field error.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// What went wrong, as the client sees it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not JSON (or not parseable at all).
    #[error("{0}")]
    BadRequest(String),
    /// No credentials at all.
    #[error("authentication required: send Authorization: Bearer <token>")]
    MissingToken,
    /// Malformed, expired or revoked credentials.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// Authenticated, but acting on another user's path.
    #[error("{0}")]
    Forbidden(&'static str),
    /// The token lacks the scope the route needs; `None`: only a session may act here.
    #[error("{}", insufficient_scope(*.0))]
    InsufficientScope(Option<crate::auth::scope::Scope>),
    /// No such resource for this user.
    #[error("{0}")]
    NotFound(&'static str),
    /// No such route or method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// Uniqueness conflict, e.g. an email already registered.
    #[error("{0}")]
    Conflict(&'static str),
    /// `If-Match` names a version that is no longer current.
    #[error(
        "the task or project has changed since you read it (If-Match does not match its ETag); reload it and retry"
    )]
    PreconditionFailed,
    /// Body larger than the limit of the route that refused it.
    #[error("request body is larger than {} MiB", .limit_bytes / (1024 * 1024))]
    PayloadTooLarge {
        /// The route's limit, in bytes.
        limit_bytes: usize,
    },
    /// The client stopped sending its body.
    #[error("the request body stopped arriving; send it again on a new connection")]
    RequestTimeout,
    /// The request target is longer than the server reads.
    #[error("the request target (path and query) is longer than 8 KiB")]
    UriTooLong,
    /// Too many header fields, or too many bytes of them.
    #[error("the request carries more than 100 header fields or 32 KiB of them")]
    HeadersTooLarge,
    /// Body not sent as `application/json`.
    #[error("expected a request body with Content-Type: application/json")]
    UnsupportedMediaType,
    /// Input that parses but breaks a rule; one entry per field.
    #[error("{}", summarize(.0))]
    Validation(Vec<FieldError>),
    /// Too many attempts; retry after the given seconds.
    #[error("too many requests ({}), retry in {} s", .0.refused_by, .0.retry_after_secs)]
    TooManyRequests(Box<RateLimited>),
    /// The database does not answer in time, or cannot serve now.
    #[error("the service is temporarily unavailable, please retry")]
    ServiceUnavailable,
    /// The database is away; the failure says how (and whether a retry may follow).
    #[error("the service is temporarily unavailable, please retry")]
    DatabaseUnavailable(crate::db::Failure),
    /// The language-model provider failed or answered nonsense; the cause is logged.
    #[error("the language model provider failed; your message was saved, please retry")]
    BadGateway,
    /// The language-model provider did not answer within the turn's deadline.
    #[error(
        "the language model provider did not answer in time; your message was saved, please retry"
    )]
    GatewayTimeout,
    /// Anything unexpected; the cause is logged, never sent.
    #[error("internal server error")]
    Internal(#[source] anyhow::Error),
}

/// A refusal by a rate limit: which one, and every limit of the route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimited {
    /// Whole seconds until a retry succeeds, rounded up: a client that waits exactly this long
    /// is let through.
    pub retry_after_secs: u64,
    /// The budget of the limit that refused, per window.
    pub limit: u32,
    /// The name of the limit that refused (`address`, `email`, `user`).
    pub refused_by: &'static str,
    /// Every limit of the route, as the IETF `RateLimit-Policy` field lists them
    /// (`"address";q=60;w=60, "email";q=10;w=60`).
    pub policy: String,
}

impl ApiError {
    /// A 429 after `wait`, from the limit `refused_by` of `limit` per window, among `policy`.
    #[must_use]
    pub fn rate_limited(
        wait: std::time::Duration,
        limit: u32,
        refused_by: &'static str,
        policy: String,
    ) -> Self {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        Self::TooManyRequests(Box::new(RateLimited {
            retry_after_secs: secs.max(1),
            limit,
            refused_by,
            policy,
        }))
    }
}

fn insufficient_scope(needed: Option<crate::auth::scope::Scope>) -> String {
    match needed {
        Some(scope) => format!("this token lacks the `{scope}` scope that this needs"),
        None => "only a session (the token of a login) may do this; a personal access token \
                 cannot manage the account or its tokens"
            .to_owned(),
    }
}

/// RFC 6750 §3.1's challenge for a token without the needed scope (the MCP authorization spec
/// asks for the same on `/mcp`), naming the scope when one would do.
#[must_use]
pub fn insufficient_scope_challenge(
    needed: Option<crate::auth::scope::Scope>,
    resource_metadata: Option<&str>,
) -> String {
    let mut challenge = String::from(r#"Bearer realm="tudu", error="insufficient_scope""#);
    let scope = needed.unwrap_or(crate::auth::scope::Scope::Account);
    challenge.push_str(&format!(r#", scope="{scope}""#));
    if let Some(url) = resource_metadata {
        challenge.push_str(&format!(r#", resource_metadata="{url}""#));
    }
    challenge
}

fn summarize(errors: &[FieldError]) -> String {
    match errors {
        [one] => format!("{}: {}", one.field, one.message),
        _ => format!("{} fields are invalid", errors.len()),
    }
}

impl ApiError {
    /// A validation error on a single field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// Whether the database connection this error came from is dead (its pool's idle
    /// siblings most likely are too).
    #[must_use]
    pub fn is_dead_connection(&self) -> bool {
        matches!(
            self,
            Self::DatabaseUnavailable(
                crate::db::Failure::SessionEnded | crate::db::Failure::ConnectionLost
            )
        )
    }

    /// The HTTP status this error maps to.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::MissingToken | Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::InsufficientScope(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::UriTooLong => StatusCode::URI_TOO_LONG,
            Self::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::ServiceUnavailable | Self::DatabaseUnavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::BadGateway => StatusCode::BAD_GATEWAY,
            Self::GatewayTimeout => StatusCode::GATEWAY_TIMEOUT,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        let failure = crate::db::classify(&err);
        if failure == crate::db::Failure::Other {
            return Self::Internal(anyhow::Error::new(err));
        }
        outage_log::warn(&err);
        Self::DatabaseUnavailable(failure)
    }
}

/// One WARN line per [`outage_log::EVERY`] while the database is away, not one per request:
/// an outage under load wrote thousands of identical lines a minute.
mod outage_log {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    /// How often an outage is logged.
    pub const EVERY: Duration = Duration::from_secs(10);

    static LAST_LOGGED_SECS: AtomicU64 = AtomicU64::new(0);
    static SUPPRESSED: AtomicU64 = AtomicU64::new(0);

    pub fn warn(err: &sqlx::Error) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let last = LAST_LOGGED_SECS.load(Ordering::Relaxed);
        let due = now.saturating_sub(last) >= EVERY.as_secs();
        if due
            && LAST_LOGGED_SECS
                .compare_exchange(last, now, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        {
            let suppressed = SUPPRESSED.swap(0, Ordering::AcqRel);
            tracing::warn!(
                error = %err,
                suppressed,
                "database unavailable (answering 503; repeats within 10 s are counted in `suppressed`)"
            );
        } else {
            SUPPRESSED.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(err: anyhow::Error) -> Self {
        Self::Internal(err)
    }
}

/// The RFC 9457 body.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem kind (`about:blank` = see `title`).
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Short summary of the status.
    pub title: &'static str,
    /// The HTTP status code.
    pub status: u16,
    /// What happened, for a person.
    pub detail: String,
    /// Present on validation failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    /// An OAuth error code where one applies (`insufficient_scope`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'static str>,
}

/// What a log line may say about an internal error: its chain of messages and, for a database
/// error, the SQLSTATE. Display, not Debug: a database error's Debug carries PostgreSQL's
/// `detail`, which quotes row values (the email of a unique violation).
#[must_use]
pub fn loggable(cause: &anyhow::Error) -> (String, Option<String>) {
    let sqlstate = cause
        .chain()
        .find_map(|e| e.downcast_ref::<sqlx::Error>())
        .and_then(sqlx::Error::as_database_error)
        .and_then(|e| e.code())
        .map(std::borrow::Cow::into_owned);
    (format!("{cause:#}"), sqlstate)
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let Self::Internal(cause) = &self {
            let (error, sqlstate) = loggable(cause);
            tracing::error!(error, sqlstate, "request failed");
        }
        let detail = self.to_string();
        // RFC 6750: no error code when the request carried no credentials at all.
        let challenge = if matches!(self, Self::MissingToken) {
            r#"Bearer realm="tudu""#
        } else {
            r#"Bearer realm="tudu", error="invalid_token""#
        };
        let scope_needed = match &self {
            Self::InsufficientScope(needed) => Some(*needed),
            _ => None,
        };
        let (errors, limited) = match self {
            Self::Validation(errors) => (Some(errors), None),
            Self::TooManyRequests(limited) => (None, Some(limited)),
            _ => (None, None),
        };
        let problem = Problem {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail,
            errors,
            error: scope_needed.map(|_| "insufficient_scope"),
        };
        let mut response = (status, Json(problem)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        match status {
            StatusCode::UNAUTHORIZED => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(challenge),
                );
            }
            StatusCode::FORBIDDEN => {
                if let Some(needed) = scope_needed
                    && let Ok(value) =
                        HeaderValue::from_str(&insufficient_scope_challenge(needed, None))
                {
                    headers.insert(header::WWW_AUTHENTICATE, value);
                }
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                headers.insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(SERVICE_RETRY_AFTER_SECS),
                );
            }
            StatusCode::TOO_MANY_REQUESTS => {
                // RFC 9110 Retry-After plus the IETF RateLimit header fields draft: the
                // structured `RateLimit`/`RateLimit-Policy` pair names the limit that refused
                // among all of the route's; the older `RateLimit-Limit` trio is kept for
                // clients of earlier drafts.
                if let Some(limited) = limited {
                    let secs = limited.retry_after_secs;
                    headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
                    headers.insert("ratelimit-limit", HeaderValue::from(limited.limit));
                    headers.insert("ratelimit-remaining", HeaderValue::from(0));
                    headers.insert("ratelimit-reset", HeaderValue::from(secs));
                    let current = format!("\"{}\";r=0;t={secs}", limited.refused_by);
                    if let Ok(value) = HeaderValue::from_str(&current) {
                        headers.insert("ratelimit", value);
                    }
                    if let Ok(value) = HeaderValue::from_str(&limited.policy) {
                        headers.insert("ratelimit-policy", value);
                    }
                }
            }
            _ => {}
        }
        response
    }
}

pub use crate::input::AppJson;

/// Answers unknown routes with a problem+json 404.
pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such route")
}

/// Answers known routes called with the wrong method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn retry_after(wait: Duration) -> u64 {
        match ApiError::rate_limited(wait, 10, "email", String::new()) {
            ApiError::TooManyRequests(limited) => limited.retry_after_secs,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn retry_after_rounds_up_so_that_waiting_that_long_succeeds() {
        assert_eq!(retry_after(Duration::from_millis(1_200)), 2);
        assert_eq!(retry_after(Duration::from_millis(300)), 1);
        assert_eq!(retry_after(Duration::from_secs(2)), 2);
        assert_eq!(retry_after(Duration::ZERO), 1);
    }
}
