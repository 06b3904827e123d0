//! `AuthUser`: a handler that takes it only runs for a valid, unrevoked bearer token of an
//! existing user, carrying the scope its route needs.

use axum::{
    extract::{FromRef, FromRequestParts, MatchedPath},
    http::{header, request::Parts},
};

use super::credential::{self, Credential, Standing};
use super::scope::{self, Needs, Scope, Scopes};
use super::{
    jwks::JwksVerifier,
    service,
    token::{Claims, TokenError},
};
use crate::error::ApiError;
use crate::state::AppState;

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthUser {
    /// The token's user id.
    pub user_id: String,
    /// When the presented token expires (Unix seconds); `None` for a token that never does.
    pub expires_at: Option<i64>,
    /// What the token may do.
    pub scopes: Scopes,
    /// The credential presented, for revoking it (`logout`).
    pub credential: Credential,
    /// The user's `list_version`, read by the same query that checked the credential (before
    /// anything the request reads), so the list cache needs no read of its own.
    pub list_version: i64,
}

impl AuthUser {
    /// Refuses (403) unless the token carries `scope`.
    ///
    /// # Errors
    /// [`ApiError::InsufficientScope`].
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.scopes.contains(scope) {
            Ok(())
        } else {
            Err(ApiError::InsufficientScope(Some(scope)))
        }
    }

    /// Refuses (403) unless the route `needs` allows the token: the check of the scope matrix.
    ///
    /// # Errors
    /// [`ApiError::InsufficientScope`].
    pub fn require_route(&self, needs: Option<Needs>) -> Result<(), ApiError> {
        if scope::allows(self.scopes, needs) {
            return Ok(());
        }
        Err(ApiError::InsufficientScope(match needs {
            Some(Needs::Scope(Scope::Account)) | None => None,
            Some(Needs::Scope(scope)) => Some(scope),
            Some(Needs::Public | Needs::AnyToken) => None,
        }))
    }
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
        // Every route is checked against the one table of what it needs.
        let needs = parts
            .extensions
            .get::<MatchedPath>()
            .and_then(|path| scope::needed(&parts.method, path.as_str()));
        user.require_route(needs)?;
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

/// Verifies a token and that its credential still stands (one primary-key read, on every
/// request: a revocation is honoured by every replica at once). A user known only to the
/// external issuer is created on first sight.
///
/// # Errors
/// 401 for any invalid, expired or revoked token or a deleted user; 503 if the database is down.
pub async fn authenticate(state: &AppState, token: &str) -> Result<AuthUser, ApiError> {
    let user = if token.starts_with(credential::PAT_PREFIX) {
        personal(state, token).await?
    } else {
        session(state, token).await?
    };
    crate::observe::record_user(&user.user_id);
    Ok(user)
}

async fn personal(state: &AppState, token: &str) -> Result<AuthUser, ApiError> {
    let pat = credential::find_pat(&state.db, token)
        .await?
        .ok_or(ApiError::Unauthorized(
            "this access token has been revoked or never existed",
        ))?;
    if pat.expires_at.is_some_and(|at| at <= chrono::Utc::now()) {
        return Err(ApiError::Unauthorized("this access token has expired"));
    }
    credential::note_use(&state.db, &pat).await?;
    Ok(AuthUser {
        expires_at: pat.expires_at.map(|at| at.timestamp()),
        scopes: Scopes::from_stored(&pat.scopes),
        credential: Credential::Pat { id: pat.id },
        list_version: pat.list_version,
        user_id: pat.user_id,
    })
}

async fn session(state: &AppState, token: &str) -> Result<AuthUser, ApiError> {
    verify_signed(state, token).await?.confirm(state).await
}

/// A signed token whose signature and claims are verified but whose credential is not yet
/// known to stand: [`PendingUser::confirm`] asks the database, or a task list's own statement
/// checks [`PendingUser::standing`] (the list then confirms only when it found nothing).
#[derive(Debug, Clone)]
pub struct PendingUser {
    claims: Claims,
    external: bool,
}

impl PendingUser {
    /// The token's user id (not yet known to stand).
    #[must_use]
    pub fn user_id(&self) -> &str {
        &self.claims.sub
    }

    /// What a query must find for the token to stand.
    #[must_use]
    pub fn standing(&self) -> Standing<'_> {
        match self.claims.sid.as_deref().filter(|_| !self.external) {
            Some(id) => Standing::Session(id),
            None => Standing::IssuedAt(self.claims.iat),
        }
    }

    /// Checks that the credential stands (one primary-key read).
    ///
    /// # Errors
    /// 401 when revoked or the user is gone; 503 if the database is down.
    pub async fn confirm(self, state: &AppState) -> Result<AuthUser, ApiError> {
        let claims = self.claims;
        let (credential, list_version) = match claims.sid.clone().filter(|_| !self.external) {
            Some(id) => {
                let version = credential::session_version(&state.db, &id, &claims.sub)
                    .await?
                    .ok_or(REVOKED)?;
                (Credential::Session { id }, version)
            }
            // No row to look for: the token is judged by its `iat` against the user's
            // revocation time.
            None => {
                let standing = match credential::user_standing(&state.db, &claims.sub).await? {
                    Some(standing) => standing,
                    None if self.external => {
                        service::ensure_external_user(&state.db, &claims).await?;
                        credential::user_standing(&state.db, &claims.sub)
                            .await?
                            .ok_or(GONE)?
                    }
                    None => return Err(GONE),
                };
                let (list_version, valid_after) = standing;
                if claims.iat <= valid_after {
                    return Err(REVOKED);
                }
                (
                    Credential::Stateless {
                        issued_at: claims.iat,
                    },
                    list_version,
                )
            }
        };
        Ok(AuthUser {
            user_id: claims.sub,
            expires_at: Some(claims.exp),
            scopes: Scopes::SESSION,
            credential,
            list_version,
        })
    }
}

/// Verifies a signed token (ours or the external issuer's) without asking the database.
async fn verify_signed(state: &AppState, token: &str) -> Result<PendingUser, ApiError> {
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
    Ok(PendingUser { claims, external })
}

/// The caller of a route that can check the credential in its own query (the task list): a
/// personal access token, already checked (its lookup is the check), or a signed token still
/// to be confirmed.
#[derive(Debug)]
pub enum Presented {
    /// Fully authenticated.
    Verified(AuthUser),
    /// Signature verified; standing not yet checked.
    Pending(PendingUser),
}

impl<S> FromRequestParts<S> for Presented
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        if let Some(user) = parts.extensions.get::<AuthUser>() {
            return Ok(Self::Verified(user.clone()));
        }
        let is_personal = bearer_token(parts)
            .ok_or(ApiError::MissingToken)?
            .starts_with(credential::PAT_PREFIX);
        if is_personal {
            return AuthUser::from_request_parts(parts, state)
                .await
                .map(Self::Verified);
        }
        let state = AppState::from_ref(state);
        let token = bearer_token(parts).ok_or(ApiError::MissingToken)?;
        // A signed token is a session, which every route allows: no scope to check.
        let pending = verify_signed(&state, token).await?;
        crate::observe::record_user(pending.user_id());
        Ok(Self::Pending(pending))
    }
}

const INVALID: ApiError = ApiError::Unauthorized("invalid token");
const REVOKED: ApiError = ApiError::Unauthorized(
    "this token has been revoked (logout, password change or deleted account)",
);
const GONE: ApiError = ApiError::Unauthorized("the token's user no longer exists");

fn refusal(err: TokenError) -> ApiError {
    match err {
        TokenError::Expired => ApiError::Unauthorized("token has expired"),
        TokenError::Invalid => INVALID,
    }
}
