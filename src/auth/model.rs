//! Account types: the user as clients see it and the bodies of the auth routes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A user account; the password hash is never part of it.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct User {
    /// UUID v7 for local accounts.
    pub id: String,
    /// Stored lower-case.
    pub email: String,
    /// Display name, 1–100 characters.
    pub name: String,
    /// IANA time zone used to read naive dates.
    pub timezone: String,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
    /// Last profile change.
    pub updated_at: DateTime<Utc>,
    /// Last successful login.
    pub last_login_at: Option<DateTime<Utc>>,
}

/// `POST /api/v1/auth/signup`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SignupRequest {
    /// Login email, matched case-insensitively.
    pub email: Option<String>,
    /// At least 8 characters.
    pub password: Option<String>,
    /// Display name, 1–100 characters; defaults to the part of the email before `@`.
    pub name: Option<String>,
    /// IANA time zone such as `Europe/Paris`; default `UTC`.
    pub timezone: Option<String>,
}

/// `POST /api/v1/auth/login`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// Login email.
    pub email: Option<String>,
    /// Password.
    pub password: Option<String>,
}

/// `PATCH /api/v1/auth/me`: absent fields are left unchanged.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ProfilePatch {
    /// New display name.
    pub name: Option<String>,
    /// New IANA time zone.
    pub timezone: Option<String>,
    /// New password, at least 8 characters.
    pub password: Option<String>,
    /// The password in use now; required with `password`.
    pub current_password: Option<String>,
}

/// Answer to signup and login.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthResponse {
    /// The account.
    pub user: User,
    /// Bearer token for `Authorization`.
    pub token: String,
    /// The same token, for clients of the reference designs that read `access_token`.
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: &'static str,
    /// When the token expires.
    pub expires_at: DateTime<Utc>,
}

/// Answer to `GET /api/v1/auth/validate-token`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenValidity {
    /// Always true (an invalid token gets 401).
    pub valid: bool,
    /// The token's user.
    pub user_id: String,
    /// When the token expires; `null` for an access token that never does.
    pub expires_at: Option<DateTime<Utc>>,
}

/// `DELETE /api/v1/auth/me`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AccountDeletion {
    /// The account's password, asked again so that a stolen token cannot delete the account.
    pub password: Option<String>,
}

/// Ids are compared as UUIDs when both are (so case does not matter), else as strings: an
/// external issuer's `sub` need not be a UUID. The compatibility routes' `{user_id}` and MCP's
/// `user_id` argument are both checked by it.
#[must_use]
pub fn is_same_user(in_path: &str, token_user: &str) -> bool {
    match (
        uuid::Uuid::parse_str(in_path),
        uuid::Uuid::parse_str(token_user),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => in_path == token_user,
    }
}

#[cfg(test)]
mod identity_tests {
    use super::is_same_user;

    #[test]
    fn user_ids_compare_as_uuids_when_both_are() {
        let id = "0198c0de-0000-7000-8000-00000000abcd";
        assert!(is_same_user(id, id));
        assert!(is_same_user(&id.to_uppercase(), id));
        assert!(!is_same_user("0198c0de-0000-7000-8000-00000000abce", id));
        assert!(is_same_user("auth0|42", "auth0|42"));
        assert!(!is_same_user("auth0|42", "auth0|43"));
    }
}
