//! Personal access tokens: `/api/v1/auth/tokens` (create, list, revoke) and their validation,
//! which `tudu token --scopes` shares.

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::credential::{self, CreatedToken, NewPat, TokenInfo};
use super::extractor::AuthUser;
use super::scope::{Scope, Scopes};
use crate::db::Db;
use crate::error::{ApiError, AppJson, FieldError, Problem, Result};
use crate::state::AppState;
use crate::validate;

/// Longest lifetime a personal access token can be given, in days.
pub const MAX_EXPIRY_DAYS: i64 = 365;

/// Routes under `/api/v1/auth/tokens`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}

/// `POST /api/v1/auth/tokens`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewTokenRequest {
    /// What the token is for, 1–100 characters (`laptop MCP client`).
    pub name: Option<String>,
    /// At least one of `tasks:read`, `tasks:write`, `chat`, `mcp` (`account` is for sessions
    /// only).
    pub scopes: Option<Vec<String>>,
    /// Days until it expires, 1–365; it never expires when absent.
    pub expires_in_days: Option<i64>,
}

/// Validates `request` and creates the token.
///
/// # Errors
/// 422 naming each invalid field; 409 when the user already holds the most tokens allowed.
pub async fn create(db: &Db, user_id: &str, request: NewTokenRequest) -> Result<CreatedToken> {
    let mut errors = Vec::new();
    let name = match request.name.as_deref() {
        Some(name) => validate::text(name, "name", 1, 100, &mut errors),
        None => {
            errors.push(FieldError::new("name", "is required"));
            None
        }
    };
    let scopes = check_scopes(request.scopes.as_deref(), &mut errors);
    let expires_at = match request.expires_in_days {
        None => None,
        Some(days) if (1..=MAX_EXPIRY_DAYS).contains(&days) => {
            Some(crate::db::now() + chrono::TimeDelta::days(days))
        }
        Some(_) => {
            errors.push(FieldError::new(
                "expires_in_days",
                format!("must be between 1 and {MAX_EXPIRY_DAYS}"),
            ));
            None
        }
    };
    let (Some(name), Some(scopes), true) = (name, scopes, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let new = NewPat {
        name,
        scopes,
        expires_at,
    };
    credential::create_pat(db, user_id, new)
        .await?
        .ok_or(ApiError::Conflict(
            "this account already holds 100 access tokens: revoke one first",
        ))
}

fn check_scopes(scopes: Option<&[String]>, errors: &mut Vec<FieldError>) -> Option<Scopes> {
    let Some(names) = scopes.filter(|names| !names.is_empty()) else {
        errors.push(FieldError::new(
            "scopes",
            "must list at least one of tasks:read, tasks:write, chat, mcp",
        ));
        return None;
    };
    let mut granted = Scopes::NONE;
    let before = errors.len();
    for (i, name) in names.iter().enumerate() {
        match Scope::parse(name.trim()) {
            Some(Scope::Account) => errors.push(FieldError::new(
                format!("scopes[{i}]"),
                "`account` is for sessions only: a personal access token cannot manage the account",
            )),
            Some(scope) => granted = granted.with(scope),
            None => errors.push(FieldError::new(
                format!("scopes[{i}]"),
                "is not a scope: use tasks:read, tasks:write, chat or mcp",
            )),
        }
    }
    (errors.len() == before).then_some(granted)
}

/// Create a personal access token; its secret is in this answer only.
#[utoipa::path(post, path = "/tokens", tag = "auth", security(("bearer" = [])), request_body = NewTokenRequest,
    responses((status = 201, body = CreatedToken), (status = 401, body = Problem),
        (status = 403, body = Problem, description = "not a session (insufficient_scope)"),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_token(
    State(state): State<AppState>,
    auth: AuthUser,
    AppJson(request): AppJson<NewTokenRequest>,
) -> Result<(StatusCode, AppJson<CreatedToken>)> {
    let created = create(&state.db, &auth.user_id, request).await?;
    tracing::info!(token_id = %created.info.id, "personal access token created");
    Ok((StatusCode::CREATED, AppJson(created)))
}

/// The personal access tokens of the account (never their secrets).
#[utoipa::path(get, path = "/tokens", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Vec<TokenInfo>), (status = 401, body = Problem),
        (status = 403, body = Problem, description = "not a session (insufficient_scope)")))]
pub async fn list_tokens(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<AppJson<Vec<TokenInfo>>> {
    Ok(AppJson(
        credential::list_pats(&state.db, &auth.user_id).await?,
    ))
}

/// Revoke a personal access token: it is refused from the next request on, by every replica.
#[utoipa::path(delete, path = "/tokens/{id}", tag = "auth", security(("bearer" = [])),
    params(("id" = String, Path, description = "the token's id")),
    responses((status = 204), (status = 401, body = Problem),
        (status = 403, body = Problem, description = "not a session (insufficient_scope)"),
        (status = 404, body = Problem)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    const NO_SUCH_TOKEN: ApiError = ApiError::NotFound("no such access token");
    // Ids are UUIDs: anything else names no token (and never reaches the database).
    let id = uuid::Uuid::parse_str(&id)
        .map_err(|_| NO_SUCH_TOKEN)?
        .to_string();
    if credential::revoke(&state.db, &auth.user_id, &id, "pat").await? {
        tracing::info!(token_id = %id, "personal access token revoked");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(NO_SUCH_TOKEN)
    }
}
