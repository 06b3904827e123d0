//! Who an MCP request acts for: the middleware in front of `/mcp` (Origin, bearer token,
//! session owner), and session ids that name their user so that any replica can refuse a
//! session presented with another user's token without remembering anything.

use std::borrow::Cow;

use axum::{
    body::Body,
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header, request::Parts},
    middleware::Next,
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::auth::{AuthUser, extractor, scope::Scope};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// The Streamable HTTP session header (MCP 2025-11-25).
pub const SESSION_HEADER: &str = "mcp-session-id";
/// Largest JSON-RPC body read (the limit rmcp applies too).
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// The authenticated user of an HTTP request, as the middleware recorded it.
#[must_use]
pub fn user_of(parts: &Parts) -> Option<String> {
    parts
        .extensions
        .get::<AuthUser>()
        .map(|user| user.user_id.clone())
}

/// `/.well-known/oauth-protected-resource` under `public_url`.
#[must_use]
pub fn metadata_url(public_url: &str) -> String {
    format!("{public_url}/.well-known/oauth-protected-resource")
}

/// Lets a request through to the MCP service only with an allowed (or no) `Origin`, a valid
/// bearer token, and a session id (if any) minted for the same user. The user goes into the
/// request's extensions, where every tool call reads it. A session id is added to the answer of
/// `initialize`.
pub async fn require_user(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match admit(&state, request).await {
        Ok((request, user, initialize)) => {
            let mut response = next.run(request).await;
            if response.status().is_client_error() && !is_json(&response) {
                response = as_problem(response).await;
            }
            if initialize
                && response.status().is_success()
                && !response.headers().contains_key(SESSION_HEADER)
                && let Ok(id) = HeaderValue::from_str(&session::mint(&user.user_id))
            {
                response.headers_mut().insert(SESSION_HEADER, id);
            }
            response
        }
        Err(response) => response,
    }
}

async fn admit(state: &AppState, request: Request) -> Result<(Request, AuthUser, bool), Response> {
    let (mut parts, body) = request.into_parts();
    check_origin(state, &parts.headers).map_err(IntoResponse::into_response)?;
    let user = authenticate(state, extractor::bearer_token(&parts)).await?;
    if let Some(id) = parts.headers.get(SESSION_HEADER)
        && !id
            .to_str()
            .is_ok_and(|id| session::belongs_to(id, &user.user_id))
    {
        // 404 is what MCP prescribes for a session the server does not know: the client starts
        // a new session, bound to the identity it now presents.
        return Err(ApiError::NotFound(
            "no such MCP session for this user: start a new session with initialize",
        )
        .into_response());
    }
    parts.extensions.insert(user.clone());
    let (body, initialize) = if parts.method == Method::POST {
        let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
            .await
            .map_err(|_| {
                ApiError::PayloadTooLarge {
                    limit_bytes: MAX_BODY_BYTES,
                }
                .into_response()
            })?;
        let initialize = is_initialize(&bytes);
        // A call the token may not make is refused at the door, as the MCP authorization spec
        // asks (403 naming the scope), so a client can ask its user for a wider token; the
        // tools check again for every other way in (stdio, chat).
        if let Some(refusal) =
            tool_call_scope(&bytes).and_then(|scope| scope_refusal(state, &user, scope))
        {
            return Err(refusal);
        }
        (Body::from(bytes), initialize)
    } else {
        (body, false)
    };
    Ok((Request::from_parts(parts, body), user, initialize))
}

/// Refuses (403) a request whose `Origin`, when it carries one, is not in `ALLOWED_ORIGINS`:
/// a web page of another site must not drive the MCP endpoint with a user's credentials.
///
/// # Errors
/// 403.
pub fn check_origin(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    match headers.get(header::ORIGIN) {
        Some(origin) if !origin_allowed(origin, &state.settings.allowed_origins) => Err(
            ApiError::Forbidden("this Origin is not allowed to use the MCP endpoint"),
        ),
        _ => Ok(()),
    }
}

/// The user of a bearer token presented to the MCP endpoint.
///
/// # Errors
/// No or an invalid token: the 401 whose challenge names the resource metadata; 503 when the
/// database does not answer.
pub async fn authenticate(state: &AppState, token: Option<&str>) -> Result<AuthUser, Response> {
    let token = token.ok_or_else(|| challenge(state, ApiError::MissingToken))?;
    let user = extractor::authenticate(state, token)
        .await
        .map_err(|err| challenge(state, err))?;
    match scope_refusal(state, &user, Scope::Mcp) {
        Some(refusal) => Err(refusal),
        None => Ok(user),
    }
}

/// Refuses with the MCP authorization spec's answer to a token lacking `scope`: 403 whose
/// `WWW-Authenticate` says `insufficient_scope`, names the scope and the resource metadata.
///
/// `None` when the token carries `scope`.
#[must_use]
pub fn scope_refusal(state: &AppState, user: &AuthUser, scope: Scope) -> Option<Response> {
    user.require(scope).err().map(|err| {
        let mut response = err.into_response();
        let value = crate::error::insufficient_scope_challenge(
            Some(scope),
            Some(&metadata_url(&state.settings.public_url)),
        );
        if let Ok(value) = HeaderValue::from_str(&value) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    })
}

/// A 401 whose challenge points at the resource metadata (RFC 9728 §5.1).
fn challenge(state: &AppState, err: ApiError) -> Response {
    let error = if matches!(err, ApiError::MissingToken) {
        ""
    } else {
        r#", error="invalid_token""#
    };
    let mut response = err.into_response();
    if response.status() == StatusCode::UNAUTHORIZED {
        let value = format!(
            r#"Bearer realm="tudu"{error}, resource_metadata="{}""#,
            metadata_url(&state.settings.public_url)
        );
        if let Ok(value) = HeaderValue::from_str(&value) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
    }
    response
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"))
}

/// rmcp answers transport-level refusals (disallowed `Host`, unsupported method or media type)
/// in plain text, and so does axum when a WebSocket handshake is malformed; as everywhere else
/// in tudu, they become problem+json (JSON-RPC errors, which clients parse, are left alone).
pub async fn as_problem(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let detail = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_owned())
        .unwrap_or_default();
    let problem = Problem {
        kind: "about:blank",
        title: parts.status.canonical_reason().unwrap_or("Error"),
        status: parts.status.as_u16(),
        detail,
        errors: None,
        error: None,
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    Response::from_parts(parts, Body::from(body))
}

fn origin_allowed(origin: &HeaderValue, allowed: &[String]) -> bool {
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let origin = origin.trim().trim_end_matches('/');
    allowed
        .iter()
        .any(|a| a == "*" || a.eq_ignore_ascii_case(origin))
}

/// The scope of the tool a `tools/call` message names, if it is one.
fn tool_call_scope(body: &[u8]) -> Option<Scope> {
    #[derive(Deserialize)]
    struct Call {
        method: String,
        params: Option<Params>,
    }
    #[derive(Deserialize)]
    struct Params {
        name: String,
        arguments: Option<serde_json::Map<String, serde_json::Value>>,
    }
    let call = serde_json::from_slice::<Call>(body).ok()?;
    let params = call.params.filter(|_| call.method == "tools/call")?;
    super::server::tool_scope(&params.name, params.arguments.as_ref())
}

fn is_initialize(body: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Probe<'a> {
        #[serde(borrow)]
        method: Option<Cow<'a, str>>,
    }
    serde_json::from_slice::<Probe<'_>>(body)
        .ok()
        .and_then(|probe| probe.method)
        .is_some_and(|method| method == "initialize")
}

/// Session ids `tudu1.<nonce><fingerprint>`: the fingerprint hashes the nonce with the user id,
/// so a session can be checked against the presented token's user by any replica, with no
/// shared store. The id is not a credential (every request still needs the user's token) and
/// does not reveal the user id.
pub mod session {
    use super::{Digest, Engine, Sha256, URL_SAFE_NO_PAD};

    const PREFIX: &str = "tudu1.";
    const NONCE: usize = 16;
    const FINGERPRINT: usize = 16;

    fn fingerprint(nonce: &[u8], user_id: &str) -> [u8; FINGERPRINT] {
        let digest = Sha256::new()
            .chain_update(b"tudu mcp session\0")
            .chain_update(nonce)
            .chain_update(user_id.as_bytes())
            .finalize();
        let mut out = [0; FINGERPRINT];
        out.copy_from_slice(&digest[..FINGERPRINT]);
        out
    }

    /// A new session id for `user_id`.
    #[must_use]
    pub fn mint(user_id: &str) -> String {
        let nonce: [u8; NONCE] = rand::random();
        let mut raw = nonce.to_vec();
        raw.extend_from_slice(&fingerprint(&nonce, user_id));
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(raw))
    }

    /// Whether `id` was minted for `user_id`.
    #[must_use]
    pub fn belongs_to(id: &str, user_id: &str) -> bool {
        let Some(raw) = id
            .strip_prefix(PREFIX)
            .and_then(|b64| URL_SAFE_NO_PAD.decode(b64).ok())
        else {
            return false;
        };
        raw.len() == NONCE + FINGERPRINT && raw[NONCE..] == fingerprint(&raw[..NONCE], user_id)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn a_session_belongs_to_its_user_only() {
            let id = mint("user-a");
            assert!(belongs_to(&id, "user-a"));
            assert!(!belongs_to(&id, "user-b"));
            assert_ne!(id, mint("user-a"), "ids are unique");
            assert!(
                id.bytes().all(|b| (0x21..=0x7e).contains(&b)),
                "visible ASCII"
            );
        }

        #[test]
        fn foreign_or_malformed_ids_belong_to_no_one() {
            for id in ["", "tudu1.", "tudu1.!!!", "abc", "tudu1.AAAA"] {
                assert!(!belongs_to(id, "user-a"), "{id}");
            }
        }
    }
}
