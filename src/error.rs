//! The one error type every HTTP route returns, and its mapping to `application/problem+json`.

use axum::{
    Json,
    extract::{FromRequest, rejection::JsonRejection},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;

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
        "the task has changed since you read it (If-Match does not match its ETag); reload it and retry"
    )]
    PreconditionFailed,
    /// Body larger than the limit.
    #[error("request body is larger than 1 MiB")]
    PayloadTooLarge,
    /// Body not sent as `application/json`.
    #[error("expected a request body with Content-Type: application/json")]
    UnsupportedMediaType,
    /// Input that parses but breaks a rule; one entry per field.
    #[error("{}", summarize(.0))]
    Validation(Vec<FieldError>),
    /// Too many attempts; retry after the given seconds.
    #[error("too many requests, retry in {retry_after_secs} s")]
    TooManyRequests {
        /// Seconds until a retry can succeed.
        retry_after_secs: u64,
        /// The budget per window, for `RateLimit-Limit`.
        limit: u32,
    },
    /// The database does not answer in time.
    #[error("the service is temporarily unavailable, please retry")]
    ServiceUnavailable,
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

    /// The HTTP status this error maps to.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::MissingToken | Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::BadGateway => StatusCode::BAD_GATEWAY,
            Self::GatewayTimeout => StatusCode::GATEWAY_TIMEOUT,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_) => {
                tracing::warn!(error = %err, "database unavailable");
                Self::ServiceUnavailable
            }
            other => Self::Internal(anyhow::Error::new(other)),
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
        let (errors, retry_after) = match self {
            Self::Validation(errors) => (Some(errors), None),
            Self::TooManyRequests {
                retry_after_secs,
                limit,
            } => (None, Some((retry_after_secs, limit))),
            _ => (None, None),
        };
        let problem = Problem {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail,
            errors,
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
            StatusCode::TOO_MANY_REQUESTS => {
                // RFC 9110 Retry-After plus the IETF RateLimit header fields draft.
                if let Some((secs, limit)) = retry_after {
                    headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
                    headers.insert("ratelimit-limit", HeaderValue::from(limit));
                    headers.insert("ratelimit-remaining", HeaderValue::from(0));
                    headers.insert("ratelimit-reset", HeaderValue::from(secs));
                }
            }
            _ => {}
        }
        response
    }
}

/// `axum::Json` whose rejections are problem+json with the statuses of SPEC §3.
#[derive(Debug, Clone, Copy, Default, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct AppJson<T>(pub T);

impl<T: Serialize> IntoResponse for AppJson<T> {
    fn into_response(self) -> Response {
        Json(self.0).into_response()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonDataError(err) => {
                let (field, message) = split_serde_message(&err.body_text());
                Self::invalid(field, message)
            }
            JsonRejection::JsonSyntaxError(_) => {
                Self::BadRequest("request body is not valid JSON".to_owned())
            }
            JsonRejection::MissingJsonContentType(_) => Self::UnsupportedMediaType,
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge,
            other => Self::BadRequest(other.body_text()),
        }
    }
}

/// axum reports `"…target type: tags[0]: invalid type …"`; the path before the colon names the
/// field (`.` is the body itself).
fn split_serde_message(text: &str) -> (String, String) {
    let rest = text
        .strip_prefix("Failed to deserialize the JSON body into the target type: ")
        .unwrap_or(text);
    let rest = rest
        .split_once(" at line ")
        .map_or(rest, |(message, _)| message);
    match rest.split_once(": ") {
        Some((path, message)) if !path.contains(' ') && path != "." => {
            (path.to_owned(), message.to_owned())
        }
        Some((".", message)) => ("body".to_owned(), message.to_owned()),
        _ => ("body".to_owned(), rest.to_owned()),
    }
}

/// Answers unknown routes with a problem+json 404.
pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such route")
}

/// Answers known routes called with the wrong method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
