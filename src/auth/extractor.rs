//! `AuthUser`: a handler that takes it only runs for a valid bearer token of an existing user.

use axum::{
    extract::{FromRef, FromRequestParts},
    http::{header, request::Parts},
};

use super::{jwks::JwksVerifier, service, token::TokenError};
use crate::error::ApiError;
use crate::state::AppState;

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthUser {
    /// The token's user id.
    pub user_id: String,
    /// When the presented token expires (Unix seconds).
    pub expires_at: i64,
}

impl<S> FromRequestParts<S> for AuthUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        if let Some(user) = parts.extensions.get::<Self>() {
            return Ok(user.clone());
        }
        let state = AppState::from_ref(state);
        let token = bearer_token(parts).ok_or(ApiError::MissingToken)?;
        let user = authenticate(&state, token).await?;
        parts.extensions.insert(user.clone());
        Ok(user)
    }
}

/// The token in `Authorization: Bearer …`, if any.
#[must_use]
pub fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// How [`authenticate_with`] learns that a token's user still exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// Trusts a sighting of the last minute ([`AppState::known_users`]): what every request does.
    Recent,
    /// Asks the database: each message of a long-lived connection, which must end at the first
    /// message after its user is deleted, not up to a minute later.
    Fresh,
}

/// Verifies a token and that its user exists; a user known only to the external issuer is
/// created on first sight.
///
/// # Errors
/// 401 for any invalid token or a deleted user; 503 if the database is down.
pub async fn authenticate(state: &AppState, token: &str) -> Result<AuthUser, ApiError> {
    authenticate_with(state, token, Lookup::Recent).await
}

/// [`authenticate`], looking the user up as `lookup` says.
///
/// # Errors
/// As [`authenticate`].
pub async fn authenticate_with(
    state: &AppState,
    token: &str,
    lookup: Lookup,
) -> Result<AuthUser, ApiError> {
    // The header is only read to route a token to the external issuer's keys; our own
    // verification checks the algorithm itself.
    let external_header = match &state.jwks {
        Some(jwks) => {
            let header = jsonwebtoken::decode_header(token).map_err(|_| INVALID)?;
            JwksVerifier::accepts(&header).then_some((jwks, header))
        }
        None => None,
    };
    let (claims, external) = match external_header {
        Some((jwks, header)) => (jwks.verify(token, &header).await.map_err(refusal)?, true),
        None => (state.tokens.verify(token).map_err(refusal)?, false),
    };
    let user_id = claims.sub.clone();
    if lookup == Lookup::Fresh || !state.known_users.contains_key(&user_id) {
        if external {
            service::ensure_external_user(&state.db, &claims).await?;
        } else if !service::exists(&state.db, &user_id).await? {
            // Requests stop trusting the old sighting at once too.
            state.known_users.invalidate(&user_id);
            return Err(ApiError::Unauthorized("the token's user no longer exists"));
        }
        state.known_users.insert(user_id.clone(), ());
    }
    crate::observe::record_user(&user_id);
    Ok(AuthUser {
        user_id,
        expires_at: claims.exp,
    })
}

const INVALID: ApiError = ApiError::Unauthorized("invalid token");

fn refusal(err: TokenError) -> ApiError {
    match err {
        TokenError::Expired => ApiError::Unauthorized("token has expired"),
        TokenError::Invalid => INVALID,
    }
}
