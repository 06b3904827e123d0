//! Accounts: sign-up, login and profile changes. The only SQL on `app_user`.

use uuid::Uuid;

use super::model::{ProfilePatch, SignupRequest, User};
use super::password;
use crate::db::{self, BeginWrite, Db};
use crate::error::{ApiError, FieldError, Result};
use crate::validate;
use crate::{with_pool, with_writer};

/// Columns of [`User`], as a literal so that it can be `concat!`ed into `'static` SQL.
macro_rules! user_columns {
    () => {
        "id, email, name, timezone, created_at, updated_at, last_login_at"
    };
}
const MIN_PASSWORD_CHARS: usize = 8;
/// Bounds hashing work per request.
const MAX_PASSWORD_CHARS: usize = 1024;

/// Creates a local account.
///
/// # Errors
/// Invalid fields (422) or an email already registered (409).
#[tracing::instrument(skip_all)]
pub async fn sign_up(db: &Db, input: SignupRequest) -> Result<User> {
    let mut errors = Vec::new();
    let email = check_email(input.email.as_deref(), &mut errors);
    let password = check_password(input.password.as_deref(), true, &mut errors);
    let name = match input.name.as_deref() {
        Some(name) => validate::text(name, "name", 1, 100, &mut errors),
        None => email
            .as_deref()
            .and_then(|e| e.split('@').next())
            .map(str::to_owned),
    };
    let timezone = match input.timezone.as_deref() {
        Some(tz) => check_timezone(tz, &mut errors),
        None => Some("UTC".to_owned()),
    };
    let (Some(email), Some(password), Some(name), Some(timezone), true) =
        (email, password, name, timezone, errors.is_empty())
    else {
        return Err(ApiError::Validation(errors));
    };
    let password_hash = password::hash(password).await?;
    let id = Uuid::now_v7().to_string();
    let now = db::now();
    let inserted = with_writer!(db, |conn| {
        sqlx::query_as::<_, User>(concat!(
            "insert into app_user (id, email, name, timezone, password_hash, created_at, updated_at)
             values ($1, $2, $3, $4, $5, $6, $6)
             returning ", user_columns!()))
        .bind(&id)
        .bind(&email)
        .bind(&name)
        .bind(&timezone)
        .bind(&password_hash)
        .bind(now)
        .fetch_one(conn)
        .await
    });
    inserted.map_err(|err| {
        if db::is_unique_violation(&err) {
            ApiError::Conflict("this email is already registered")
        } else {
            err.into()
        }
    })
}

/// Checks credentials; unknown email and wrong password are the same error and take the same
/// time.
///
/// # Errors
/// 401 on bad credentials, 422 when a field is missing.
#[tracing::instrument(skip_all)]
pub async fn log_in(db: &Db, email: Option<&str>, password: Option<&str>) -> Result<User> {
    let (Some(email), Some(password)) = (email, password) else {
        let mut errors = Vec::new();
        if email.is_none() {
            errors.push(FieldError::new("email", "is required"));
        }
        if password.is_none() {
            errors.push(FieldError::new("password", "is required"));
        }
        return Err(ApiError::Validation(errors));
    };
    let email = email.trim().to_lowercase();
    let stored: Option<(String, Option<String>)> = with_pool!(db, |conn| {
        sqlx::query_as("select id, password_hash from app_user where email = $1")
            .bind(&email)
            .fetch_optional(conn)
            .await
    })?;
    let (user_id, hash) = stored.map_or((None, None), |(id, hash)| (Some(id), hash));
    let password_ok = password::verify(password.to_owned(), hash).await?;
    match user_id {
        Some(id) if password_ok => {
            let now = db::now();
            let user = with_writer!(db, |conn| {
                sqlx::query_as::<_, User>(concat!(
                    "update app_user set last_login_at = $1 where id = $2 returning ",
                    user_columns!()
                ))
                .bind(now)
                .bind(&id)
                .fetch_optional(conn)
                .await
            })?;
            user.ok_or(ApiError::Unauthorized(INVALID_CREDENTIALS))
        }
        _ => Err(ApiError::Unauthorized(INVALID_CREDENTIALS)),
    }
}

const INVALID_CREDENTIALS: &str = "invalid email or password";

/// The user with this id.
///
/// # Errors
/// Database failure.
pub async fn find(db: &Db, user_id: &str) -> Result<Option<User>> {
    let sql = concat!("select ", user_columns!(), " from app_user where id = $1");
    Ok(with_pool!(db, |conn| {
        sqlx::query_as::<_, User>(sql)
            .bind(user_id)
            .fetch_optional(conn)
            .await
    })?)
}

/// The user with this email (any case).
///
/// # Errors
/// Database failure.
pub async fn find_by_email(db: &Db, email: &str) -> Result<Option<User>> {
    let sql = concat!(
        "select ",
        user_columns!(),
        " from app_user where email = $1"
    );
    let email = email.trim().to_lowercase();
    Ok(with_pool!(db, |conn| {
        sqlx::query_as::<_, User>(sql)
            .bind(&email)
            .fetch_optional(conn)
            .await
    })?)
}

/// Whether an account with this id still exists.
///
/// # Errors
/// Database failure.
pub async fn exists(db: &Db, user_id: &str) -> Result<bool> {
    let found: Option<i32> = with_pool!(db, |conn| {
        sqlx::query_scalar("select 1 from app_user where id = $1")
            .bind(user_id)
            .fetch_optional(conn)
            .await
    })?;
    Ok(found.is_some())
}

/// Creates the account of an external issuer's user on first sight, from `sub`, `email` and
/// `name`; an existing account with that id is left as it is.
///
/// # Errors
/// 401 when the token carries no usable email, 409 when the email belongs to another account.
pub async fn ensure_external_user(db: &Db, claims: &super::token::Claims) -> Result<()> {
    let email = claims
        .email
        .as_deref()
        .map(|e| e.trim().to_lowercase())
        .filter(|e| e.contains('@'))
        .ok_or(ApiError::Unauthorized("the token carries no email claim"))?;
    let name = claims
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map_or_else(
            || email.split('@').next().unwrap_or_default().to_owned(),
            str::to_owned,
        );
    let name: String = name.chars().take(100).collect();
    let now = db::now();
    let inserted = with_writer!(db, |conn| {
        sqlx::query(
            "insert into app_user (id, email, name, created_at, updated_at)
             values ($1, $2, $3, $4, $4) on conflict (id) do nothing",
        )
        .bind(&claims.sub)
        .bind(&email)
        .bind(&name)
        .bind(now)
        .execute(conn)
        .await
        .map(|_| ())
    });
    match inserted {
        Ok(_) => Ok(()),
        Err(err) if db::is_unique_violation(&err) => Err(ApiError::Conflict(
            "this email is already registered to another account",
        )),
        Err(err) => Err(err.into()),
    }
}

/// The user's time zone (UTC when unknown).
///
/// # Errors
/// Database failure.
pub async fn timezone(db: &Db, user_id: &str) -> Result<chrono_tz::Tz> {
    let name: Option<String> = with_pool!(db, |conn| {
        sqlx::query_scalar("select timezone from app_user where id = $1")
            .bind(user_id)
            .fetch_optional(conn)
            .await
    })?;
    Ok(name.and_then(|n| n.parse().ok()).unwrap_or(chrono_tz::UTC))
}

/// Changes name, time zone and/or password (which needs the current one).
///
/// # Errors
/// Invalid fields (422), a wrong current password (403) or the user vanished (401).
#[tracing::instrument(skip_all, fields(user_id = %user_id))]
pub async fn update_profile(db: &Db, user_id: &str, patch: ProfilePatch) -> Result<User> {
    let mut errors = Vec::new();
    let name = patch
        .name
        .as_deref()
        .and_then(|n| validate::text(n, "name", 1, 100, &mut errors));
    let timezone = patch
        .timezone
        .as_deref()
        .and_then(|tz| check_timezone(tz, &mut errors));
    let password = check_password(patch.password.as_deref(), false, &mut errors);
    if password.is_some() && patch.current_password.is_none() {
        errors.push(FieldError::new(
            "current_password",
            "is required to change the password",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let password_hash = match (password, patch.current_password) {
        (Some(password), Some(current)) => {
            // A stolen token alone must not be enough to take the account over.
            prove_password(
                db,
                user_id,
                current,
                "current_password is not the password in use",
            )
            .await?;
            Some(password::hash(password).await?)
        }
        _ => None,
    };
    // The version bump retires cached listings: a new zone changes what naive dates in a
    // listing's query mean (the cache key holds resolved instants too; this is the second guard).
    let now = db::now();
    let updated = with_writer!(db, |conn| {
        let mut tx = conn.begin_write().await?;
        let updated = sqlx::query_as::<_, User>(concat!(
            "update app_user set name = coalesce($1, name), timezone = coalesce($2, timezone),
                 password_hash = coalesce($3, password_hash), updated_at = $4,
                 list_version = list_version + 1
             where id = $5
             returning ",
            user_columns!()
        ))
        .bind(&name)
        .bind(&timezone)
        .bind(&password_hash)
        .bind(now)
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?;
        // Whoever held a token (perhaps the thief the change is meant to lock out) holds
        // nothing now, and the password and the revocation commit together.
        if password_hash.is_some() {
            crate::revoke_all_tokens!(tx, user_id, now);
        }
        tx.commit().await?;
        updated
    });
    updated.ok_or(ApiError::Unauthorized("user no longer exists"))
}

/// Revokes every token of the user issued until now (`logout-all`).
///
/// # Errors
/// Database failure.
pub async fn revoke_every_token(db: &Db, user_id: &str) -> Result<()> {
    let now = db::now();
    with_writer!(db, |conn| {
        let mut tx = conn.begin_write().await?;
        crate::revoke_all_tokens!(tx, user_id, now);
        tx.commit().await?;
    });
    Ok(())
}

/// Refuses the user's tokens without a session row (the external issuer's, or signed outside
/// tudu) issued at or before `issued_at`: their `logout`, as they have no row to delete.
///
/// # Errors
/// Database failure.
pub async fn retire_stateless_tokens(db: &Db, user_id: &str, issued_at: i64) -> Result<()> {
    with_writer!(db, |conn| {
        sqlx::query(
            "update app_user set tokens_valid_after = $1 where id = $2 and tokens_valid_after < $1",
        )
        .bind(issued_at)
        .bind(user_id)
        .execute(conn)
        .await?;
    });
    Ok(())
}

/// Deletes the account and everything it owns, in one transaction, once `password` is proven.
///
/// # Errors
/// 422 without a password, 403 with a wrong one (nothing deleted), 401 if the user vanished.
#[tracing::instrument(skip_all, fields(user_id = %user_id))]
pub async fn delete_account(db: &Db, user_id: &str, password: Option<String>) -> Result<()> {
    let password = password.ok_or_else(|| {
        ApiError::Validation(vec![FieldError::new(
            "password",
            "is required to delete the account",
        )])
    })?;
    prove_password(db, user_id, password, "password is not the password in use").await?;
    with_writer!(db, |conn| {
        let mut tx = conn.begin_write().await?;
        // Each owned table by name (not only by cascade): what goes is visible here, and the
        // task triggers that keep the user's counters run while the user row still exists.
        for statement in [
            "delete from chat_message where conversation_id in
                 (select id from conversation where user_id = $1)",
            "delete from conversation where user_id = $1",
            "delete from task where user_id = $1",
            "delete from project where owner_id = $1",
            "delete from idempotency_key where user_id = $1",
            "delete from credential where user_id = $1",
            "delete from app_user where id = $1",
        ] {
            sqlx::query(statement)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    });
    Ok(())
}

/// Checks that `password` is the user's password.
///
/// # Errors
/// 403 with `refusal` when it is not (an account without a password never matches), 401 if
/// the user vanished.
async fn prove_password(
    db: &Db,
    user_id: &str,
    password: String,
    refusal: &'static str,
) -> Result<()> {
    let stored: Option<Option<String>> = with_pool!(db, |conn| {
        sqlx::query_scalar("select password_hash from app_user where id = $1")
            .bind(user_id)
            .fetch_optional(conn)
            .await?
    });
    let Some(stored) = stored else {
        return Err(ApiError::Unauthorized("user no longer exists"));
    };
    if password::verify(password, stored).await? {
        Ok(())
    } else {
        Err(ApiError::Forbidden(refusal))
    }
}

fn check_email(email: Option<&str>, errors: &mut Vec<FieldError>) -> Option<String> {
    let Some(email) = email else {
        errors.push(FieldError::new("email", "is required"));
        return None;
    };
    let email = email.trim().to_lowercase();
    let well_formed = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if well_formed {
        Some(email)
    } else {
        errors.push(FieldError::new("email", "must be a valid email address"));
        None
    }
}

fn check_password(
    password: Option<&str>,
    required: bool,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    match password {
        None if required => {
            errors.push(FieldError::new("password", "is required"));
            None
        }
        None => None,
        Some(p) if p.chars().count() < MIN_PASSWORD_CHARS => {
            errors.push(FieldError::new("password", "must be at least 8 characters"));
            None
        }
        Some(p) if p.chars().count() > MAX_PASSWORD_CHARS => {
            errors.push(FieldError::new(
                "password",
                "must be at most 1024 characters",
            ));
            None
        }
        Some(p) => Some(p.to_owned()),
    }
}

fn check_timezone(tz: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    match tz.trim().parse::<chrono_tz::Tz>() {
        Ok(zone) => Some(zone.name().to_owned()),
        Err(_) => {
            errors.push(FieldError::new(
                "timezone",
                "must be an IANA time zone such as Europe/Paris",
            ));
            None
        }
    }
}
