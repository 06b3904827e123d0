//! Account routes: signup, login, me, validate-token.

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, State},
    http::{HeaderMap, StatusCode},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::model::{AuthResponse, LoginRequest, ProfilePatch, SignupRequest, TokenValidity, User};
use super::{extractor::AuthUser, limit, service};
use crate::error::{ApiError, AppJson, Problem, Result};
use crate::state::AppState;

/// Routes under `/api/v1/auth`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sign_up))
        .routes(routes!(log_in))
        .routes(routes!(get_me, update_me))
        .routes(routes!(validate_token))
        .merge(crate::account::router())
}

fn respond_with_token(state: &AppState, user: User) -> Result<AuthResponse> {
    let issued = state.tokens.issue(&user.id, &user.email, &user.name)?;
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
        AppJson(respond_with_token(&state, user)?),
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
    Ok(AppJson(respond_with_token(&state, user)?))
}

/// The signed-in user.
#[utoipa::path(get, path = "/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = User), (status = 401, body = Problem)))]
pub async fn get_me(State(state): State<AppState>, auth: AuthUser) -> Result<AppJson<User>> {
    let user = service::find(&state.db, &auth.user_id).await?;
    user.map(AppJson)
        .ok_or(ApiError::Unauthorized("the token's user no longer exists"))
}

/// Change name, time zone or password.
#[utoipa::path(patch, path = "/me", tag = "auth", security(("bearer" = [])), request_body = ProfilePatch,
    responses((status = 200, body = User), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn update_me(
    State(state): State<AppState>,
    auth: AuthUser,
    AppJson(patch): AppJson<ProfilePatch>,
) -> Result<AppJson<User>> {
    Ok(AppJson(
        service::update_profile(&state.db, &auth.user_id, patch).await?,
    ))
}

/// Check a token.
#[utoipa::path(get, path = "/validate-token", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = TokenValidity), (status = 401, body = Problem)))]
pub async fn validate_token(auth: AuthUser) -> AppJson<TokenValidity> {
    let expires_at = chrono::DateTime::from_timestamp(auth.expires_at, 0).unwrap_or_default();
    AppJson(TokenValidity {
        valid: true,
        user_id: auth.user_id,
        expires_at,
    })
}
