//! Connection pools that cost no round trip when a connection is given back.
//!
//! sqlx's own pool pings every connection it gets back (a `Sync` and a wait for
//! `ReadyForQuery`) so that whatever a cancelled query left behind is flushed before the next
//! user. That is a second round trip for every statement: under list load PostgreSQL spent
//! 15–20 % more CPU per page than on the page itself, and tudu's uncached list throughput rose
//! 6–40 % in A/B pairs without it (docs/benchmarks.md). Here a connection is settled that way
//! only when the code that borrowed it did not run to the end (an error path, a cancelled
//! request) or left something queued (a dropped transaction's rollback); otherwise it goes
//! straight back. [`deadpool`] keeps the connections, limits and wait timeouts.

use std::{
    ops::{Deref, DerefMut},
    time::Duration,
};

use deadpool::managed::{self, Metrics, Object, PoolError, RecycleError, RecycleResult};
use sqlx::{ConnectOptions, Connection};

/// A pool of `C` connections.
pub type Pool<C> = managed::Pool<Manager<C>>;

/// A connection is replaced once it is this old, so server-side memory and settings do not
/// grow stale (sqlx's pool default).
const MAX_LIFETIME: Duration = Duration::from_mins(30);

/// A connection unused for this long is replaced rather than trusted: firewalls and poolers
/// drop quiet connections silently (sqlx's pool default).
const MAX_IDLE: Duration = Duration::from_mins(10);

/// How long settling a connection (see the module doc) may take before it is closed instead.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens connections with fixed options and recycles them by age only.
#[derive(Debug)]
pub struct Manager<C: Connection + 'static> {
    options: C::Options,
}

impl<C: Connection + 'static> Manager<C> {
    /// The options every connection is opened with.
    #[must_use]
    pub fn options(&self) -> &C::Options {
        &self.options
    }
}

impl<C: Connection + 'static> managed::Manager for Manager<C> {
    type Type = C;
    type Error = sqlx::Error;

    async fn create(&self) -> Result<C, sqlx::Error> {
        self.options.connect().await
    }

    async fn recycle(&self, _: &mut C, metrics: &Metrics) -> RecycleResult<sqlx::Error> {
        if metrics.age() > MAX_LIFETIME || metrics.last_used() > MAX_IDLE {
            return Err(RecycleError::message("connection past its lifetime"));
        }
        Ok(())
    }
}

/// A pool of at most `max_connections`, whose users wait at most `acquire_timeout`.
///
/// # Errors
/// Only on an invalid configuration (a size of 0 is raised to 1).
pub fn build<C: Connection + 'static>(
    options: C::Options,
    max_connections: usize,
    acquire_timeout: Duration,
) -> anyhow::Result<Pool<C>> {
    Ok(managed::Pool::builder(Manager { options })
        .max_size(max_connections.max(1))
        .wait_timeout(Some(acquire_timeout))
        .create_timeout(Some(acquire_timeout))
        .runtime(deadpool::Runtime::Tokio1)
        .build()?)
}

/// A connection lent by a [`Pool`]; see [`PooledConnection::finish`].
pub struct PooledConnection<C: Connection + 'static> {
    object: Option<Object<Manager<C>>>,
    finished: bool,
}

/// Borrows a connection, waiting for one up to the pool's timeout.
///
/// # Errors
/// [`sqlx::Error::PoolTimedOut`] when none came free in time, the connect error when a new one
/// could not be opened, [`sqlx::Error::PoolClosed`] after [`close`].
pub async fn acquire<C: Connection + 'static>(
    pool: &Pool<C>,
) -> Result<PooledConnection<C>, sqlx::Error> {
    match pool.get().await {
        Ok(object) => Ok(PooledConnection {
            object: Some(object),
            finished: false,
        }),
        Err(PoolError::Backend(err)) => Err(err),
        Err(PoolError::Timeout(_)) => Err(sqlx::Error::PoolTimedOut),
        Err(PoolError::Closed | PoolError::NoRuntimeSpecified | PoolError::PostCreateHook(_)) => {
            Err(sqlx::Error::PoolClosed)
        }
    }
}

impl<C: Connection + 'static> PooledConnection<C> {
    /// Marks the work done: the connection then goes back without a round trip, unless the
    /// driver still has something queued for the server.
    pub fn finish(&mut self) {
        self.finished = true;
    }

    /// Whether the connection had served before (it came from the idle pool, not a connect).
    #[must_use]
    pub fn reused(&self) -> bool {
        self.object
            .as_ref()
            .is_some_and(|o| Object::metrics(o).recycle_count > 0)
    }

    /// Closes the connection instead of giving it back.
    pub fn discard(mut self) {
        if let Some(object) = self.object.take() {
            drop(Object::take(object));
        }
    }
}

impl<C: Connection + 'static> Deref for PooledConnection<C> {
    type Target = C;
    fn deref(&self) -> &C {
        // `object` is only taken in `drop`.
        self.object.as_deref().unwrap_or_else(|| unreachable!())
    }
}

impl<C: Connection + 'static> DerefMut for PooledConnection<C> {
    fn deref_mut(&mut self) -> &mut C {
        self.object.as_deref_mut().unwrap_or_else(|| unreachable!())
    }
}

impl<C: Connection + 'static> Drop for PooledConnection<C> {
    fn drop(&mut self) {
        let Some(object) = self.object.take() else {
            return;
        };
        // `should_flush` is hidden from sqlx's docs but public: it sees the rollback a dropped
        // transaction queued (tests/api/pool.rs, `a_dropped_transaction_…`).
        if self.finished && !object.should_flush() {
            return; // `object` goes back to the pool as it drops
        }
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(settle(object));
            }
            Err(_) => drop(Object::take(object)),
        }
    }
}

/// Flushes what an interrupted user left queued (a rollback, half a message) and reads the
/// server's answers up to `ReadyForQuery`; a connection that cannot be settled is closed and
/// the pool opens another when needed.
async fn settle<C: Connection + 'static>(mut object: Object<Manager<C>>) {
    if !matches!(
        tokio::time::timeout(SETTLE_TIMEOUT, object.ping()).await,
        Ok(Ok(()))
    ) {
        drop(Object::take(object));
    }
}

/// Closes the pool: waiters fail at once and idle connections are closed politely.
pub async fn close<C: Connection + 'static>(pool: &Pool<C>) {
    let idle = pool.retain(|_, _| false).removed;
    pool.close();
    for connection in idle {
        let _ = connection.close().await;
    }
}

/// Closes every idle connection: after one was found dead (a database restart), the others
/// most likely are too, and each would fail one request.
pub fn forget_idle<C: Connection + 'static>(pool: &Pool<C>) {
    pool.retain(|_, _| false);
}

/// Connections open, idle, and the limit.
#[must_use]
pub fn usage<C: Connection + 'static>(pool: &Pool<C>) -> (usize, usize, usize) {
    let status = pool.status();
    (status.size, status.available, status.max_size)
}
