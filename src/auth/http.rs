//! Account routes: signup, login, me, validate-token.

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, State},
    http::{HeaderMap, StatusCode},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::credential::{self, Credential};
use super::model::{
    AccountDeletion, AuthResponse, LoginRequest, ProfilePatch, SignupRequest, TokenValidity, User,
};
use super::{extractor::AuthUser, limit, service};
use crate::error::{ApiError, AppJson, Problem, Result};
use crate::state::AppState;

/// Routes under `/api/v1/auth`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sign_up))
        .routes(routes!(log_in))
        .routes(routes!(get_me, update_me, delete_me))
        .routes(routes!(validate_token))
        .routes(routes!(log_out))
        .routes(routes!(log_out_everywhere))
        .merge(super::tokens_http::router())
        .merge(crate::account::router())
}

async fn respond_with_token(state: &AppState, user: User) -> Result<AuthResponse> {
    let issued = credential::start_session(&state.db, &state.tokens, &user).await?;
    Ok(AuthResponse {
        user,
        access_token: issued.token.clone(),
        token: issued.token,
        token_type: "bearer",
        expires_at: issued.expires_at,
    })
}

/// Create an account and get a token.
#[utoipa::path(post, path = "/signup", tag = "auth", request_body = SignupRequest,
    responses((status = 201, body = AuthResponse), (status = 409, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn sign_up(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    AppJson(input): AppJson<SignupRequest>,
) -> Result<(StatusCode, AppJson<AuthResponse>)> {
    let client = limit::client_address(peer.ip(), &headers, state.settings.trusted_proxy_hops);
    state.auth_limiter.check_signup(client)?;
    let user = service::sign_up(&state.db, input).await?;
    Ok((
        StatusCode::CREATED,
        AppJson(respond_with_token(&state, user).await?),
    ))
}

/// Exchange email and password for a token.
#[utoipa::path(post, path = "/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = AuthResponse), (status = 401, body = Problem), (status = 429, body = Problem)))]
pub async fn log_in(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    AppJson(input): AppJson<LoginRequest>,
) -> Result<AppJson<AuthResponse>> {
    let client = limit::client_address(peer.ip(), &headers, state.settings.trusted_proxy_hops);
    state
        .auth_limiter
        .check(client, input.email.as_deref().unwrap_or_default())?;
    let user =
        service::log_in(&state.db, input.email.as_deref(), input.password.as_deref()).await?;
    Ok(AppJson(respond_with_token(&state, user).await?))
}

/// The signed-in user.
#[utoipa::path(get, path = "/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = User), (status = 401, body = Problem)))]
pub async fn get_me(State(state): State<AppState>, auth: AuthUser) -> Result<AppJson<User>> {
    let user = service::find(&state.db, &auth.user_id).await?;
    user.map(AppJson)
        .ok_or(ApiError::Unauthorized("the token's user no longer exists"))
}

/// Change name, time zone or password. A password change (which needs `current_password`)
/// revokes every token of the account, this one included: log in again with the new password.
#[utoipa::path(patch, path = "/me", tag = "auth", security(("bearer" = [])), request_body = ProfilePatch,
    responses((status = 200, body = User), (status = 401, body = Problem),
        (status = 403, body = Problem, description = "wrong current_password, or not a session"),
        (status = 422, body = Problem)))]
pub async fn update_me(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    auth: AuthUser,
    AppJson(patch): AppJson<ProfilePatch>,
) -> Result<AppJson<User>> {
    if patch.current_password.is_some() {
        check_password_attempt(&state, peer, &headers, &auth)?;
    }
    Ok(AppJson(
        service::update_profile(&state.db, &auth.user_id, patch).await?,
    ))
}

/// Delete the account and everything it owns (tasks, conversations, tokens), in one
/// transaction. Its tokens stop working at once; the email can sign up again.
#[utoipa::path(delete, path = "/me", tag = "auth", security(("bearer" = [])), request_body = AccountDeletion,
    responses((status = 204), (status = 401, body = Problem),
        (status = 403, body = Problem, description = "wrong password, or not a session"),
        (status = 422, body = Problem)))]
pub async fn delete_me(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    auth: AuthUser,
    AppJson(request): AppJson<AccountDeletion>,
) -> Result<StatusCode> {
    check_password_attempt(&state, peer, &headers, &auth)?;
    service::delete_account(&state.db, &auth.user_id, request.password).await?;
    tracing::info!(user_id = %auth.user_id, "account deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// A password asked again (to change it, or to delete the account) is limited like a login,
/// by address and by account: a stolen token must not become a way to guess the password.
fn check_password_attempt(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    auth: &AuthUser,
) -> Result<()> {
    let client = limit::client_address(peer.ip(), headers, state.settings.trusted_proxy_hops);
    state.auth_limiter.check(client, &auth.user_id)
}

/// Revoke the token this request presents (a session, or a personal access token revoking
/// itself). Other sessions and tokens keep working.
#[utoipa::path(post, path = "/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = Problem)))]
pub async fn log_out(State(state): State<AppState>, auth: AuthUser) -> Result<StatusCode> {
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
    Ok(StatusCode::NO_CONTENT)
}

/// Revoke every token of the account issued until now, this one included: sessions on every
/// device and personal access tokens.
#[utoipa::path(post, path = "/logout-all", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = Problem),
        (status = 403, body = Problem, description = "not a session (insufficient_scope)")))]
pub async fn log_out_everywhere(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<StatusCode> {
    service::revoke_every_token(&state.db, &auth.user_id).await?;
    tracing::info!(user_id = %auth.user_id, "every token revoked");
    Ok(StatusCode::NO_CONTENT)
}

/// Check a token.
#[utoipa::path(get, path = "/validate-token", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = TokenValidity), (status = 401, body = Problem)))]
pub async fn validate_token(auth: AuthUser) -> AppJson<TokenValidity> {
    let expires_at = auth
        .expires_at
        .and_then(|at| chrono::DateTime::from_timestamp(at, 0));
    AppJson(TokenValidity {
        valid: true,
        user_id: auth.user_id,
        expires_at,
    })
}
