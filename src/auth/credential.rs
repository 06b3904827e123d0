//! Credentials: the row behind every token tudu issues (a login's session or a personal access
//! token). A token is accepted only while its row exists, which every request checks in the
//! same primary-key read that fetches the user's `list_version`: revoking is deleting rows, and
//! every replica honours it at its next request. The only SQL on `credential`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use super::scope::Scopes;
use crate::db::{self, Db};
use crate::error::Result;
use crate::{with_pool, with_writer};

/// What a personal access token starts with, so that secret scanners (and tudu) recognise it.
pub const PAT_PREFIX: &str = "tudu_pat_";
/// Most personal access tokens one account may hold.
pub const MAX_PATS_PER_USER: i64 = 100;
/// `last_used_at` is written at most this often per token, so a busy script does not turn
/// every read into a write.
const LAST_USED_GRANULARITY: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// Which credential a request presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A login's token; `id` is its `sid` claim and its row.
    Session {
        /// The credential row.
        id: String,
    },
    /// A personal access token.
    Pat {
        /// The credential row.
        id: String,
    },
    /// A token with no row: the external issuer's (JWKS), or one signed with the secret
    /// outside tudu (as the reference designs' tools do). A password change, `logout-all` and
    /// deletion retire it by its `iat`.
    Stateless {
        /// Its `iat` (Unix seconds).
        issued_at: i64,
    },
}

/// What a task query can check itself about the presented credential, so that the list's one
/// statement also proves the token still stands (no round trip before it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing<'a> {
    /// The session row with this id exists.
    Session(&'a str),
    /// The user exists and retired no token issued at this second or later.
    IssuedAt(i64),
}

impl Standing<'_> {
    /// A condition on the user id bound as `$1`, to be completed by one bound value (text for
    /// a session, an integer for `IssuedAt`) and a closing parenthesis.
    #[must_use]
    pub const fn condition(self) -> &'static str {
        match self {
            Self::Session(_) => "exists (select 1 from credential where user_id = $1 and id = ",
            Self::IssuedAt(_) => {
                "exists (select 1 from app_user where id = $1 and tokens_valid_after < "
            }
        }
    }
}

/// A personal access token as its owner sees it; never the secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenInfo {
    /// The token's id (for `DELETE /api/v1/auth/tokens/{id}`).
    pub id: String,
    /// What its owner called it.
    pub name: String,
    /// What it may do.
    #[schema(value_type = Vec<String>, example = json!(["tasks:read", "mcp"]))]
    pub scopes: Scopes,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last used (to the minute); never used: `null`.
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it stops working; `null`: never.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A personal access token that was just created: the only time its secret is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    /// The token.
    #[serde(flatten)]
    pub info: TokenInfo,
    /// The secret, `tudu_pat_…`: send it as `Authorization: Bearer …`. It cannot be shown again.
    pub token: String,
}

/// A personal access token's row, found by its secret, with its user's `list_version`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PatRow {
    /// The credential row.
    pub id: String,
    /// Its owner.
    pub user_id: String,
    /// Stored scopes.
    pub scopes: String,
    /// Expiry, if any.
    pub expires_at: Option<DateTime<Utc>>,
    /// Last use, if any.
    pub last_used_at: Option<DateTime<Utc>>,
    /// The owner's `list_version`.
    pub list_version: i64,
}

/// Records a session for `user` and mints its token.
///
/// # Errors
/// Database failure.
pub async fn start_session(
    db: &Db,
    keys: &super::token::TokenKeys,
    user: &super::model::User,
) -> Result<super::token::IssuedToken> {
    let expires_at = Utc::now() + keys.lifetime();
    let session_id = open_session(db, &user.id, expires_at).await?;
    Ok(keys.issue(&user.id, &user.email, &user.name, &session_id)?)
}

/// Records a new session of `user_id` lasting until `expires_at` and returns its id (the JWT's
/// `sid`).
///
/// # Errors
/// Database failure.
pub async fn open_session(db: &Db, user_id: &str, expires_at: DateTime<Utc>) -> Result<String> {
    let id = Uuid::now_v7().to_string();
    let now = db::now();
    with_writer!(db, |conn| {
        sqlx::query(
            "insert into credential (id, user_id, kind, scopes, created_at, expires_at)
             values ($1, $2, 'session', $3, $4, $5)",
        )
        .bind(&id)
        .bind(user_id)
        .bind(Scopes::SESSION.to_stored())
        .bind(now)
        .bind(expires_at)
        .execute(conn)
        .await?;
    });
    Ok(id)
}

/// Deletes the rows of sessions past their expiry (their tokens are refused by `exp` anyway).
/// Expired personal access tokens stay listed, so that their owner sees why a script stopped.
///
/// # Errors
/// Database failure.
pub async fn forget_expired_sessions(db: &Db) -> Result<()> {
    let now = db::now();
    with_writer!(db, |conn| {
        sqlx::query("delete from credential where kind = 'session' and expires_at < $1")
            .bind(now)
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// The `list_version` of `user_id` if the session `id` of that user still stands.
///
/// # Errors
/// Database failure.
pub async fn session_version(db: &Db, id: &str, user_id: &str) -> Result<Option<i64>> {
    Ok(with_pool!(db, |conn| {
        sqlx::query_scalar(
            "select u.list_version from credential c join app_user u on u.id = c.user_id
             where c.id = $1 and c.user_id = $2",
        )
        .bind(id)
        .bind(user_id)
        .fetch_optional(conn)
        .await?
    }))
}

/// The user's `list_version` and `tokens_valid_after`, if the user exists.
///
/// # Errors
/// Database failure.
pub async fn user_standing(db: &Db, user_id: &str) -> Result<Option<(i64, i64)>> {
    Ok(with_pool!(db, |conn| {
        sqlx::query_as("select list_version, tokens_valid_after from app_user where id = $1")
            .bind(user_id)
            .fetch_optional(conn)
            .await?
    }))
}

/// The personal access token whose secret is `token`, if it exists.
///
/// # Errors
/// Database failure.
pub async fn find_pat(db: &Db, token: &str) -> Result<Option<PatRow>> {
    let hash = secret_hash(token);
    Ok(with_pool!(db, |conn| {
        sqlx::query_as::<_, PatRow>(
            "select c.id, c.user_id, c.scopes, c.expires_at, c.last_used_at, u.list_version
             from credential c join app_user u on u.id = c.user_id
             where c.secret_hash = $1 and c.kind = 'pat'",
        )
        .bind(&hash)
        .fetch_optional(conn)
        .await?
    }))
}

/// Notes that `pat` was used now, unless that was already noted within the last minute.
///
/// # Errors
/// Database failure.
pub async fn note_use(db: &Db, pat: &PatRow) -> Result<()> {
    let now = db::now();
    if pat
        .last_used_at
        .is_some_and(|last| now - last < LAST_USED_GRANULARITY)
    {
        return Ok(());
    }
    with_writer!(db, |conn| {
        sqlx::query("update credential set last_used_at = $1 where id = $2")
            .bind(now)
            .bind(&pat.id)
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// A new personal access token's fields, already validated.
#[derive(Debug)]
pub struct NewPat {
    /// Its name.
    pub name: String,
    /// Its scopes (never `account`).
    pub scopes: Scopes,
    /// Its expiry, if any.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Creates a personal access token; `None` when the user already holds the most allowed.
///
/// # Errors
/// Database failure.
pub async fn create_pat(db: &Db, user_id: &str, new: NewPat) -> Result<Option<CreatedToken>> {
    let secret = new_secret();
    let info = TokenInfo {
        id: Uuid::now_v7().to_string(),
        name: new.name,
        scopes: new.scopes,
        created_at: db::now(),
        last_used_at: None,
        expires_at: new.expires_at,
    };
    let inserted = with_writer!(db, |conn| {
        // The count and the insert in one statement: concurrent creations cannot both pass it.
        sqlx::query(
            "insert into credential (id, user_id, kind, name, scopes, secret_hash, created_at, expires_at)
             select $1, $2, 'pat', $3, $4, $5, $6, $7
             where (select count(*) from credential where user_id = $2 and kind = 'pat') < $8",
        )
        .bind(&info.id)
        .bind(user_id)
        .bind(&info.name)
        .bind(info.scopes.to_stored())
        .bind(secret_hash(&secret))
        .bind(info.created_at)
        .bind(info.expires_at)
        .bind(MAX_PATS_PER_USER)
        .execute(conn)
        .await?
        .rows_affected()
    });
    Ok((inserted == 1).then_some(CreatedToken {
        info,
        token: secret,
    }))
}

/// The user's personal access tokens, newest first.
///
/// # Errors
/// Database failure.
pub async fn list_pats(db: &Db, user_id: &str) -> Result<Vec<TokenInfo>> {
    type Row = (
        String,
        Option<String>,
        String,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
    );
    let rows: Vec<Row> = with_pool!(db, |conn| {
        sqlx::query_as(
            "select id, name, scopes, created_at, last_used_at, expires_at from credential
             where user_id = $1 and kind = 'pat' order by created_at desc, id desc",
        )
        .bind(user_id)
        .fetch_all(conn)
        .await?
    });
    Ok(rows
        .into_iter()
        .map(
            |(id, name, scopes, created_at, last_used_at, expires_at)| TokenInfo {
                id,
                name: name.unwrap_or_default(),
                scopes: Scopes::from_stored(&scopes),
                created_at,
                last_used_at,
                expires_at,
            },
        )
        .collect())
}

/// Deletes the credential `id` of `user_id` of the given kind (`session`/`pat`); whether it
/// existed.
///
/// # Errors
/// Database failure.
pub async fn revoke(db: &Db, user_id: &str, id: &str, kind: &str) -> Result<bool> {
    let deleted = with_writer!(db, |conn| {
        sqlx::query("delete from credential where id = $1 and user_id = $2 and kind = $3")
            .bind(id)
            .bind(user_id)
            .bind(kind)
            .execute(conn)
            .await?
            .rows_affected()
    });
    Ok(deleted > 0)
}

/// Retires every token of `$user_id` issued up to `$now`, with the statements of the caller's
/// transaction `$tx`: the credential rows go, and external tokens issued up to that second stop
/// being accepted. (A macro, as `insert_task!`: one body for both backends' transactions.)
#[macro_export]
macro_rules! revoke_all_tokens {
    ($tx:expr, $user_id:expr, $now:expr) => {{
        let user_id: &str = $user_id;
        let now: chrono::DateTime<chrono::Utc> = $now;
        sqlx::query("delete from credential where user_id = $1")
            .bind(user_id)
            .execute(&mut *$tx)
            .await?;
        sqlx::query("update app_user set tokens_valid_after = $1 where id = $2")
            .bind(now.timestamp())
            .bind(user_id)
            .execute(&mut *$tx)
            .await?;
    }};
}

/// SHA-256 of a personal access token, hex: the secret is 256 random bits, so a fast hash is
/// enough (no dictionary to guess from) and lets a request find its row by index.
fn secret_hash(token: &str) -> String {
    use std::fmt::Write;
    Sha256::digest(token.as_bytes())
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

fn new_secret() -> String {
    use base64::Engine;
    let bytes: [u8; 32] = rand::random();
    format!(
        "{PAT_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}
