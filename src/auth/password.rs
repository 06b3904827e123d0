//! Argon2id password hashing, run on the blocking pool so logins never stall the runtime.

use std::sync::LazyLock;

use anyhow::Context;
use argon2::{
    Argon2,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};

/// Argon2's defaults are OWASP's recommendation: Argon2id, m = 19 MiB, t = 2, p = 1.
fn hasher() -> Argon2<'static> {
    Argon2::default()
}

/// A real hash of a random password, verified against when an email is unknown so that the
/// response time does not reveal whether the account exists.
static DUMMY_HASH: LazyLock<Option<String>> = LazyLock::new(|| {
    let password = crate::auth::token::random_secret();
    hasher()
        .hash_password(password.as_bytes())
        .ok()
        .map(|h| h.to_string())
});

/// Each hash takes 19 MiB and a core for a while; more at once than there are cores only
/// queues them on the blocking pool while memory grows, so a burst of sign-ups or logins waits
/// here instead.
static HASHING_SLOTS: LazyLock<tokio::sync::Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    tokio::sync::Semaphore::new(cores)
});

/// Hashes a password into a PHC string.
///
/// # Errors
/// The blocking task failed or the hasher refused the input.
pub async fn hash(password: String) -> anyhow::Result<String> {
    let _slot = HASHING_SLOTS
        .acquire()
        .await
        .context("password hashing is shut down")?;
    tokio::task::spawn_blocking(move || {
        hasher()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))
    })
    .await
    .context("password hashing task failed")?
}

/// Checks a password against a stored hash; with no hash, spends the same time and fails.
///
/// # Errors
/// The blocking task failed.
pub async fn verify(password: String, stored: Option<String>) -> anyhow::Result<bool> {
    let _slot = HASHING_SLOTS
        .acquire()
        .await
        .context("password hashing is shut down")?;
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let Some(phc) = stored.or_else(|| DUMMY_HASH.clone()) else {
            return false;
        };
        let matches = PasswordHash::new(&phc).is_ok_and(|parsed| {
            hasher()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        });
        known && matches
    })
    .await
    .context("password verification task failed")
}

/// Computes the dummy hash ahead of the first login so that it does not skew that login's time.
pub fn warm_up() {
    LazyLock::force(&DUMMY_HASH);
}
