//! The input layer: JSON bodies and query strings as every route receives them, with the rules
//! no field may break — text a database can store (no NUL character, no lone surrogate) — and
//! errors that name the field.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

use crate::error::{ApiError, FieldError};

/// What a NUL character in any field is told.
const NUL_MESSAGE: &str = "must not contain a NUL character (U+0000)";

/// A JSON request body, parsed with the rules of this module; rejections are problem+json
/// with the statuses of SPEC §3.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppJson<T>(pub T);

impl<T: Serialize> IntoResponse for AppJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for AppJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(&request) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    // The routes with a larger limit say so themselves (`account::http`).
                    ApiError::PayloadTooLarge {
                        limit_bytes: crate::startup::MAX_BODY_BYTES,
                    }
                } else {
                    ApiError::BadRequest("the request body could not be read".to_owned())
                }
            })?;
        parse(&bytes).map(Self)
    }
}

/// `Content-Type: application/json` or `application/…+json`, parameters aside.
fn is_json(request: &Request) -> bool {
    let Some(value) = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json") || subtype.to_ascii_lowercase().ends_with("+json"))
}

/// Parses a JSON body into `T`.
///
/// # Errors
/// 400 when it is not JSON; 422 naming the field when a value has the wrong type, is missing,
/// or is text that cannot be stored.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|err| rejection(&err, bytes))?;
    deserializer
        .end()
        .map_err(|_| ApiError::BadRequest("request body is not valid JSON".to_owned()))?;
    if let Some(field) = may_hold_nul(bytes).then(|| nul_field(bytes)).flatten() {
        return Err(ApiError::invalid(field, NUL_MESSAGE));
    }
    Ok(value)
}

/// The error for a body that did not parse.
fn rejection(err: &serde_path_to_error::Error<serde_json::Error>, bytes: &[u8]) -> ApiError {
    let inner = err.inner();
    let mut path = err.path().to_string();
    let message = inner.to_string();
    let message = message
        .split_once(" at line ")
        .map_or(message.as_str(), |(m, _)| m);
    // serde_json's words for a `\u` escape that is no character (a lone surrogate) or a
    // malformed escape inside a string.
    let unstorable = ["surrogate", "unicode code point", "escape"]
        .iter()
        .any(|words| message.contains(words));
    if unstorable && path == "." {
        // Inside a `#[serde(flatten)]`ed field the path is lost; a plain JSON value keeps it.
        let mut plain = serde_json::Deserializer::from_slice(bytes);
        if let Err(err) = serde_path_to_error::deserialize::<_, Value>(&mut plain) {
            path = err.path().to_string();
        }
    }
    if inner.is_data() || (unstorable && path != ".") {
        let (field, message) = name_field(&path, message);
        let message = if unstorable {
            "must be valid Unicode text (no lone surrogate or malformed escape)".to_owned()
        } else {
            message
        };
        return ApiError::invalid(field, message);
    }
    ApiError::BadRequest("request body is not valid JSON".to_owned())
}

/// The field an error is about: its path, or for errors on the body itself (a missing or
/// unknown field) the name serde quotes in backticks.
fn name_field(path: &str, message: &str) -> (String, String) {
    if path != "." {
        return (path.to_owned(), message.to_owned());
    }
    let quoted = message
        .split_once('`')
        .and_then(|(_, rest)| rest.split_once('`'))
        .map(|(name, _)| name);
    match quoted {
        Some(name)
            if message.starts_with("missing field") || message.starts_with("unknown field") =>
        {
            let what = if message.starts_with("missing") {
                "is required"
            } else {
                "is not a known field"
            };
            (name.to_owned(), what.to_owned())
        }
        _ => ("body".to_owned(), message.to_owned()),
    }
}

/// Whether the text can contain the escape `\u0000` (raw NUL bytes are not JSON at all).
fn may_hold_nul(bytes: &[u8]) -> bool {
    bytes.windows(6).any(|w| w == br"\u0000")
}

/// The path of the first string (or key) holding a NUL character, found on the rare body that
/// may hold one.
fn nul_field(bytes: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(bytes).ok()?;
    find_nul(&value, "")
}

/// The path (`title`, `tags[2]`, `a.b`) of the first string or key in `value` holding a NUL.
/// Paths are only built along the branch that holds one: MCP checks every call's arguments.
#[must_use]
pub fn find_nul(value: &Value, at: &str) -> Option<String> {
    match value {
        Value::String(text) if text.contains('\0') => {
            Some(if at.is_empty() { "body" } else { at }.to_owned())
        }
        Value::Array(items) => {
            let (i, item) = items.iter().enumerate().find(|(_, item)| holds_nul(item))?;
            find_nul(item, &format!("{at}[{i}]"))
        }
        Value::Object(fields) => find_nul_in(fields, at),
        _ => None,
    }
}

/// [`find_nul`] over the fields of an object.
#[must_use]
pub fn find_nul_in(fields: &serde_json::Map<String, Value>, at: &str) -> Option<String> {
    let (key, item) = fields
        .iter()
        .find(|(key, item)| key.contains('\0') || holds_nul(item))?;
    // The name is echoed in the answer: its NUL is shown as U+FFFD, as in a query's.
    let name = key.replace('\0', "\u{FFFD}");
    let path = if at.is_empty() {
        name
    } else {
        format!("{at}.{name}")
    };
    if key.contains('\0') {
        Some(path)
    } else {
        find_nul(item, &path)
    }
}

/// Whether any string or key inside `value` holds a NUL.
fn holds_nul(value: &Value) -> bool {
    match value {
        Value::String(text) => text.contains('\0'),
        Value::Array(items) => items.iter().any(holds_nul),
        Value::Object(fields) => fields
            .iter()
            .any(|(key, item)| key.contains('\0') || holds_nul(item)),
        _ => false,
    }
}

/// The last value of `key` in the request's query string.
pub fn query_value(uri: &axum::http::Uri, key: &str) -> Option<String> {
    form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .filter(|(k, _)| k == key)
        .last()
        .map(|(_, v)| v.into_owned())
}

/// The first query parameter whose name or value holds a NUL character, as a 422: no route
/// takes such a value, and PostgreSQL cannot compare with one.
#[must_use]
pub fn query_error(query: &str) -> Option<FieldError> {
    // Encoded NULs are `%00`; a raw one cannot reach here (hyper refuses it in the target).
    if !query.as_bytes().windows(3).any(|w| w == b"%00") {
        return None;
    }
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, value)| key.contains('\0') || value.contains('\0'))
        .map(|(key, _)| FieldError::new(key.replace('\0', "\u{FFFD}"), NUL_MESSAGE))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Body {
        message: String,
        tags: Option<Vec<String>>,
    }

    fn field_of(err: ApiError) -> String {
        match err {
            ApiError::Validation(errors) => errors[0].field.clone(),
            other => panic!("expected 422, got {other:?}"),
        }
    }

    #[test]
    fn a_missing_field_is_named() {
        let err = parse::<Body>(b"{}").expect_err("missing");
        assert_eq!(field_of(err), "message");
    }

    #[test]
    fn a_nul_anywhere_is_a_422_on_its_field() {
        let err = parse::<Body>(br#"{"message":"a\u0000b"}"#).expect_err("nul");
        assert_eq!(field_of(err), "message");
        let err = parse::<Body>(br#"{"message":"ok","tags":["x","\u0000"]}"#).expect_err("nul");
        assert_eq!(field_of(err), "tags[1]");
    }

    #[test]
    fn an_escaped_backslash_before_u0000_is_plain_text() {
        let body: Body = parse(br#"{"message":"C:\\u0000"}"#).expect("plain text");
        assert_eq!(body.message, r"C:\u0000");
    }

    #[test]
    fn a_lone_surrogate_is_a_422_on_its_field() {
        let err = parse::<Body>(br#"{"message":"\ud800"}"#).expect_err("surrogate");
        assert_eq!(field_of(err), "message");
    }

    #[test]
    fn broken_json_is_a_400() {
        let err = parse::<Body>(b"{\"message\":").expect_err("eof");
        assert!(matches!(err, ApiError::BadRequest(_)), "{err:?}");
        let err = parse::<Body>(br#"{"message":"x"} trailing"#).expect_err("trailing");
        assert!(matches!(err, ApiError::BadRequest(_)), "{err:?}");
    }

    #[test]
    fn a_nul_in_a_query_names_the_parameter() {
        assert_eq!(
            query_error("status=all&q=a%00b").map(|e| e.field),
            Some("q".to_owned())
        );
        assert_eq!(query_error("q=a%2500b"), None);
        assert_eq!(query_error("q=plain"), None);
    }
}
