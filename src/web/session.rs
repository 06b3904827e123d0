//! The browser session (SPEC §13): logging in and signing up set an `HttpOnly` cookie holding
//! the token, so that no script of the page can ever read it; logging out clears it.

use std::net::SocketAddr;

use axum::{
    Router,
    extract::{ConnectInfo, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::auth::cookie::{SESSION_COOKIE, cookie, require_same_origin};
use crate::auth::credential::{self, Credential};
use crate::auth::extractor::authenticate;
use crate::auth::model::{LoginRequest, SignupRequest, User};
use crate::auth::{limit, service};
use crate::error::{ApiError, AppJson, Result};
use crate::state::AppState;

/// `/app/api/session` and `/app/api/signup`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/app/api/session",
            get(current_session)
                .post(log_in_route)
                .delete(log_out_route),
        )
        .route("/app/api/signup", post(sign_up_route))
}

/// What the page learns from logging in: the account, never the token.
#[derive(Debug, Serialize)]
pub struct Session {
    /// The signed-in account.
    pub user: User,
    /// When the session ends and the user must log in again.
    pub expires_at: DateTime<Utc>,
}

/// Who the session cookie signs in, if anyone.
#[derive(Debug, Serialize)]
pub struct CurrentSession {
    /// The account, or null without a valid session.
    pub user: Option<User>,
}

/// `GET /app/api/session`: the page's first question. Answers 200 either way, so that a
/// visitor who is not signed in causes no error.
async fn current_session(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<AppJson<CurrentSession>> {
    let Some(token) = cookie(&headers, SESSION_COOKIE) else {
        return Ok(AppJson(CurrentSession { user: None }));
    };
    let user = match authenticate(&state, token).await {
        Ok(auth) => service::find(&state.db, &auth.user_id).await?,
        Err(ApiError::Unauthorized(_)) => None,
        Err(err) => return Err(err),
    };
    Ok(AppJson(CurrentSession { user }))
}

/// `POST /app/api/session` `{email, password}`: logs in and sets the session cookie.
async fn log_in_route(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    AppJson(input): AppJson<LoginRequest>,
) -> Result<Response> {
    // Also refuses login CSRF: a foreign page logging the browser into the attacker's account.
    require_same_origin(&headers, &state.settings.public_url)?;
    let client = limit::client_address(peer.ip(), &headers, state.settings.trusted_proxy_hops);
    state
        .auth_limiter
        .check(client, input.email.as_deref().unwrap_or_default())?;
    let user =
        service::log_in(&state.db, input.email.as_deref(), input.password.as_deref()).await?;
    start_session(&state, &headers, user, StatusCode::OK).await
}

/// `POST /app/api/signup` `{email, password, name, timezone?}`: creates the account and logs
/// in.
async fn sign_up_route(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    AppJson(input): AppJson<SignupRequest>,
) -> Result<Response> {
    require_same_origin(&headers, &state.settings.public_url)?;
    let client = limit::client_address(peer.ip(), &headers, state.settings.trusted_proxy_hops);
    state.auth_limiter.check_signup(client)?;
    let user = service::sign_up(&state.db, input).await?;
    start_session(&state, &headers, user, StatusCode::CREATED).await
}

/// `DELETE /app/api/session`: ends the session and clears the cookie, even one that no longer
/// verifies.
async fn log_out_route(State(state): State<AppState>, headers: HeaderMap) -> Result<Response> {
    require_same_origin(&headers, &state.settings.public_url)?;
    log_out(&state, cookie(&headers, SESSION_COOKIE)).await?;
    let clear = session_cookie("", 0, secure(&state, &headers));
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear)]).into_response())
}

/// Revokes the token the cookie carried (SPEC §10), as `POST /api/v1/auth/logout` revokes a
/// presented one; the caller clears the cookie. A token that no longer verifies has nothing
/// left to revoke.
///
/// # Errors
/// The database failed.
pub async fn log_out(state: &AppState, token: Option<&str>) -> Result<()> {
    let Some(token) = token else {
        return Ok(());
    };
    let auth = match authenticate(state, token).await {
        Ok(auth) => auth,
        Err(ApiError::Unauthorized(_) | ApiError::MissingToken) => return Ok(()),
        Err(err) => return Err(err),
    };
    match &auth.credential {
        Credential::Session { id } => {
            credential::revoke(&state.db, &auth.user_id, id, "session").await?;
        }
        Credential::Pat { id } => {
            credential::revoke(&state.db, &auth.user_id, id, "pat").await?;
        }
        Credential::Stateless { issued_at } => {
            service::retire_stateless_tokens(&state.db, &auth.user_id, *issued_at).await?;
        }
    }
    Ok(())
}

async fn start_session(
    state: &AppState,
    headers: &HeaderMap,
    user: User,
    status: StatusCode,
) -> Result<Response> {
    let issued = credential::start_session(&state.db, &state.tokens, &user).await?;
    let max_age = (issued.expires_at - Utc::now()).num_seconds().max(0);
    let cookie = session_cookie(&issued.token, max_age, secure(state, headers));
    let body = Session {
        user,
        expires_at: issued.expires_at,
    };
    Ok((status, [(header::SET_COOKIE, cookie)], AppJson(body)).into_response())
}

fn session_cookie(token: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let value = format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}"
    );
    // A JWT is base64url and dots: always a valid header value.
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("tudu_session=; Max-Age=0"))
}

/// `Secure` everywhere but on a loopback host, where browsers are reached over plain HTTP (a
/// `Secure` cookie would not be stored there by every browser). An `https` `PUBLIC_URL` always
/// gets it: a proxy in front may send a loopback `Host` for a public site.
fn secure(state: &AppState, headers: &HeaderMap) -> bool {
    if state.settings.public_url.starts_with("https://") {
        return true;
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    !is_loopback_host(host)
}

fn is_loopback_host(host: &str) -> bool {
    let name = if host.starts_with('[') {
        host.split_once(']').map_or(host, |(name, _)| name)
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    let name = name.trim_start_matches('[').to_ascii_lowercase();
    if name == "localhost" || name.ends_with(".localhost") {
        return true;
    }
    name.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_recognised_with_or_without_a_port() {
        for host in [
            "127.0.0.1:8000",
            "localhost",
            "LOCALHOST:3000",
            "[::1]:8000",
            "127.1.2.3",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "example.com",
            "10.0.0.1:8000",
            "[2001:db8::1]:443",
            "",
            "localhost.evil.com",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_secure_when_asked() {
        let value = session_cookie("a.b.c", 60, true);
        let text = value.to_str().unwrap_or_default();
        assert!(text.starts_with("tudu_session=a.b.c; HttpOnly; SameSite=Strict; Path=/"));
        assert!(text.ends_with("; Secure"));
        let plain = session_cookie("a.b.c", 60, false);
        assert!(!plain.to_str().unwrap_or_default().contains("Secure"));
    }
}
