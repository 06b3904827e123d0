//! Argon2id password hashing, run on a few threads of its own so logins never stall the
//! runtime and the memory hashing needs stays bounded.

use std::sync::{LazyLock, Mutex, PoisonError, mpsc};

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

/// One hashing thread (and slot) per core: each hash takes 12 MiB and a core for a while, and
/// more at once would only queue on the CPU while memory grows, so a burst of sign-ups or
/// logins waits for a slot instead.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
}

static HASHING_SLOTS: LazyLock<tokio::sync::Semaphore> =
    LazyLock::new(|| tokio::sync::Semaphore::new(cores()));

type Job = Box<dyn FnOnce() + Send>;

/// The hashing threads. On the shared blocking pool every hash could land on another thread,
/// and each thread's allocator kept its own freed 12 MiB: a burst of sign-ups grew the process
/// by several times the two hashes' worth. The same few threads reuse their own memory.
static HASHERS: LazyLock<Mutex<mpsc::Sender<Job>>> = LazyLock::new(|| {
    let (jobs, queue) = mpsc::channel::<Job>();
    let queue = std::sync::Arc::new(Mutex::new(queue));
    for n in 0..cores() {
        let queue = std::sync::Arc::clone(&queue);
        let spawned = std::thread::Builder::new()
            .name(format!("tudu-argon2-{n}"))
            .spawn(move || {
                loop {
                    let job = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                }
            });
        if let Err(err) = spawned {
            tracing::error!(error = %err, "cannot start a password hashing thread");
        }
    }
    Mutex::new(jobs)
});

/// Runs `work` on a hashing thread, holding a slot.
async fn on_hasher<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> anyhow::Result<T> {
    let _slot = HASHING_SLOTS
        .acquire()
        .await
        .context("password hashing is shut down")?;
    let (done, result) = tokio::sync::oneshot::channel();
    HASHERS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .send(Box::new(move || {
            let _ = done.send(work());
        }))
        .map_err(|_| anyhow::anyhow!("no password hashing thread is running"))?;
    result.await.context("password hashing task failed")
}

/// Hashes a password into a PHC string.
///
/// # Errors
/// The blocking task failed or the hasher refused the input.
pub async fn hash(password: String) -> anyhow::Result<String> {
    on_hasher(move || {
        hasher()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))
    })
    .await?
}

/// Checks a password against a stored hash; with no hash, spends the same time and fails.
///
/// # Errors
/// The blocking task failed.
pub async fn verify(password: String, stored: Option<String>) -> anyhow::Result<bool> {
    on_hasher(move || {
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
