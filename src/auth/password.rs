//! Argon2id password hashing, run on the blocking pool so logins never stall the runtime.

use std::sync::LazyLock;

use anyhow::Context;
use argon2::{
    Algorithm, Argon2, Params, Version,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};

/// Argon2id with m = 12 MiB, t = 3, p = 1: one of OWASP's equivalent recommended settings,
/// chosen over m = 19 MiB, t = 2 because memory is what bounds a replica (two hashes at once
/// stay under 25 MiB). Verification reads the parameters from each stored hash, so changing
/// these later keeps old hashes valid.
fn hasher() -> Argon2<'static> {
    let params = Params::new(12 * 1024, 3, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The hash of a random password nobody knows, with the parameters above. Verified against when
/// an email is unknown, so that the response time does not reveal whether the account exists.
const DUMMY_HASH: &str = "$argon2id$v=19$m=12288,t=3,p=1$Cjq6c4ETp+NrOBHT+iJQYQ$tsrsesi/TQBG5sdmJA8xNDX++kF8WdySDTdfdGdGSXM";

/// Each hash takes 12 MiB and a core for a while; more at once than there are cores only
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
        let phc = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_the_dummy_never_matches() {
        let hash = hash("correct horse".to_owned()).await.expect("hashes");
        assert!(hash.starts_with("$argon2id$v=19$m=12288,t=3,p=1$"));
        assert!(
            verify("correct horse".to_owned(), Some(hash.clone()))
                .await
                .expect("runs")
        );
        assert!(
            !verify("wrong horse".to_owned(), Some(hash))
                .await
                .expect("runs")
        );
        assert!(
            PasswordHash::new(DUMMY_HASH).is_ok(),
            "the dummy hash parses"
        );
        assert!(!verify(String::new(), None).await.expect("runs"));
    }
}
