//! One database handle over PostgreSQL or SQLite, its connection set-up and migrations.
//!
//! Queries are written once as runtime-checked SQL that both dialects accept and run through
//! [`with_pool!`] (reads) or [`with_writer!`] (writes), which expand the same code for each
//! backend's concrete connection type.

pub mod pool;

use std::{path::Path, str::FromStr, time::Duration};

use anyhow::Context;
use sqlx::{
    Connection, PgConnection, Postgres, Sqlite, SqliteConnection, Transaction,
    postgres::PgConnectOptions,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous},
};

/// A pool of PostgreSQL connections.
pub type PgPool = pool::Pool<PgConnection>;
/// A pool of SQLite connections.
pub type SqlitePool = pool::Pool<SqliteConnection>;

/// A connection pool to whichever database `DATABASE_URL` names.
#[derive(Clone)]
pub enum Db {
    /// Production backend.
    Postgres(PgPool),
    /// Embedded default backend.
    Sqlite(SqlitePools),
}

/// SQLite allows one writer at a time. Writers queue for the single connection of `write`
/// (a fair async queue) instead of spinning in SQLite's busy handler, whose sleeps made tail
/// latency under concurrent writes hundreds of milliseconds; readers use `read` in parallel
/// (WAL mode lets them run alongside the writer).
#[derive(Clone)]
pub struct SqlitePools {
    /// Connections for reads.
    pub read: SqlitePool,
    /// The one connection for writes.
    pub write: SqlitePool,
}

/// Read connections for SQLite: reads are short and CPU-bound, so more than a few only hold
/// more page cache.
const SQLITE_MAX_READERS: usize = 4;

/// How often a background task copies the WAL into the database file. By default SQLite makes
/// the commit that fills the WAL do that copy (and its fsyncs), and every write queued behind
/// the single writer waited for it: that was the 20 ms tail of writes in the benchmark's paced
/// mix. A checkpoint on a reader connection runs alongside the writer instead.
const SQLITE_CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// The writer still checkpoints by itself past this many WAL pages (≈ 40 MB), so the WAL stays
/// bounded should the background checkpoints fall behind.
const SQLITE_WRITER_CHECKPOINT_PAGES: &str = "10000";

/// Which SQL dialect a [`Db`] speaks, for the few fragments that differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// PostgreSQL.
    Postgres,
    /// SQLite.
    Sqlite,
}

/// Runs `$body` with `$conn` bound to a `&mut` connection of `$db`'s backend for reading, once
/// per backend. The connection goes back to the pool when `$body` is done; an early return
/// (`?`) through `$body` costs a round trip to settle it (see [`db::pool`](crate::db::pool)).
/// A read on a pooled connection that turns out dead is run once more on a fresh one.
#[macro_export]
macro_rules! with_pool {
    ($db:expr, |$conn:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Postgres(pool) => {
                $crate::with_connection!(pool, $crate::db::Retry::Read, |$conn| $body)
            }
            $crate::db::Db::Sqlite(pools) => {
                $crate::with_connection!(&pools.read, $crate::db::Retry::Read, |$conn| $body)
            }
        }
    };
}

/// Like [`with_pool!`], for statements that write (SQLite's single writer connection). A write
/// is run again only when the server said it had ended the session before running it.
#[macro_export]
macro_rules! with_writer {
    ($db:expr, |$conn:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Postgres(pool) => {
                $crate::with_connection!(pool, $crate::db::Retry::Write, |$conn| $body)
            }
            $crate::db::Db::Sqlite(pools) => {
                $crate::with_connection!(&pools.write, $crate::db::Retry::Write, |$conn| $body)
            }
        }
    };
}

/// Runs `$body` with `$conn` bound to a `&mut` connection borrowed from `$pool`. `$body` may use
/// `?` and `return Err(…)` as in the enclosing function, whose error type takes an
/// [`ApiError`](crate::error::ApiError).
#[doc(hidden)]
#[macro_export]
macro_rules! with_connection {
    ($pool:expr, $retry:expr, |$conn:ident| $body:expr) => {{
        let mut retried = false;
        loop {
            let mut lent = $crate::db::pool::acquire($pool).await?;
            let outcome: ::std::result::Result<_, $crate::error::ApiError> = async {
                let $conn = &mut *lent;
                ::std::result::Result::Ok($body)
            }
            .await;
            match outcome {
                ::std::result::Result::Ok(value) => {
                    lent.finish();
                    break value;
                }
                ::std::result::Result::Err(err) => {
                    if !retried && $retry.after(&err, lent.reused()) {
                        retried = true;
                        lent.discard();
                        $crate::db::pool::forget_idle($pool);
                        continue;
                    }
                    if err.is_dead_connection() {
                        $crate::db::pool::forget_idle($pool);
                    }
                    return ::std::result::Result::Err(::core::convert::From::from(err));
                }
            }
        }
    }};
}

/// Which failures of a pooled connection a statement may be run again after.
#[derive(Debug, Clone, Copy)]
pub enum Retry {
    /// Reads: any sign of a dead connection.
    Read,
    /// Writes: only the server's word that the session ended before the statement ran.
    Write,
}

impl Retry {
    /// Whether `err`, met on a connection that had been idle in the pool (`reused`), may be
    /// retried once on a fresh connection.
    #[must_use]
    pub fn after(self, err: &crate::error::ApiError, reused: bool) -> bool {
        let crate::error::ApiError::DatabaseUnavailable(failure) = err else {
            return false;
        };
        reused
            && match self {
                Self::Read => matches!(failure, Failure::SessionEnded | Failure::ConnectionLost),
                Self::Write => *failure == Failure::SessionEnded,
            }
    }
}

/// How a database error bears on the request that met it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The server ended the session before running the statement (it is shutting down or
    /// restarting): nothing of it was done.
    SessionEnded,
    /// The connection broke; what the server did with the statement is unknown.
    ConnectionLost,
    /// No connection could be had, or the server cannot serve now (starting up, busy, full).
    Unavailable,
    /// Anything else: a bug or a constraint, not an outage.
    Other,
}

/// Sorts a database error by what the client should be told.
#[must_use]
pub fn classify(err: &sqlx::Error) -> Failure {
    match err {
        sqlx::Error::Io(_) | sqlx::Error::Protocol(_) | sqlx::Error::WorkerCrashed => {
            Failure::ConnectionLost
        }
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Tls(_) => {
            Failure::Unavailable
        }
        sqlx::Error::Database(db) => db.code().map_or(Failure::Other, |code| sqlstate(&code)),
        _ => Failure::Other,
    }
}

/// PostgreSQL SQLSTATEs (class 57 operator intervention, 08 connection exception, 53
/// insufficient resources) and SQLite result codes (busy, locked, I/O, full, cannot open).
fn sqlstate(code: &str) -> Failure {
    match code {
        // admin_shutdown, crash_shutdown, idle_session_timeout
        "57P01" | "57P02" | "57P05" => Failure::SessionEnded,
        // cannot_connect_now (starting up or shutting down), database_dropped
        "57P03" | "57P04" => Failure::Unavailable,
        _ if code.starts_with("08") || code.starts_with("53") => Failure::Unavailable,
        _ => match code.parse::<u32>().map(|c| c & 0xff) {
            Ok(5 | 6 | 10 | 13 | 14) => Failure::Unavailable,
            _ => Failure::Other,
        },
    }
}

/// Pool settings that do not come from the URL.
#[derive(Clone, Debug)]
pub struct PoolSettings {
    /// Upper bound on open connections.
    pub max_connections: u32,
    /// How long a request waits for a connection before it is answered with 503.
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 8,
            acquire_timeout: Duration::from_secs(3),
        }
    }
}

impl Db {
    /// Connects to `url` (`postgres://…` or `sqlite://…`), creating a SQLite file and its
    /// directory when missing.
    ///
    /// # Errors
    /// The URL is not understood or the database does not answer.
    pub async fn connect(url: &str, settings: &PoolSettings) -> anyhow::Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url).context("invalid PostgreSQL URL")?;
            Self::connect_postgres(options, settings).await
        } else if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url).context("invalid SQLite URL")?;
            Self::connect_sqlite(options, settings).await
        } else {
            anyhow::bail!("DATABASE_URL must start with postgres:// or sqlite://")
        }
    }

    /// Connects to PostgreSQL with explicit options (tests use this to pick a schema).
    ///
    /// The error names the server and only the innermost cause (sqlx's own message repeats it).
    ///
    /// # Errors
    /// The server does not answer or refuses the connection.
    pub async fn connect_postgres(
        options: PgConnectOptions,
        settings: &PoolSettings,
    ) -> anyhow::Result<Self> {
        // No ping before a checkout either: it cost a round trip per query (-19 % list
        // throughput in bench/run.sh). A connection that died while idle fails one request
        // (503) and is then replaced.
        let pool =
            pool::build::<PgConnection>(options, pool_size(settings), settings.acquire_timeout)?;
        let server = {
            let options = pool.manager().options();
            format!(
                "{}:{} (database {})",
                options.get_host(),
                options.get_port(),
                options.get_database().unwrap_or("postgres")
            )
        };
        match pool::acquire(&pool).await {
            Ok(mut connection) => connection.finish(),
            Err(err) => {
                let root =
                    std::iter::successors(Some(&err as &(dyn std::error::Error + 'static)), |e| {
                        e.source()
                    })
                    .last()
                    .map_or_else(|| err.to_string(), ToString::to_string);
                anyhow::bail!("cannot connect to PostgreSQL at {server}: {root}");
            }
        }
        Ok(Self::Postgres(pool))
    }

    /// Opens a SQLite database file in WAL mode.
    ///
    /// # Errors
    /// The file or its directory cannot be created or opened.
    pub async fn connect_sqlite(
        options: SqliteConnectOptions,
        settings: &PoolSettings,
    ) -> anyhow::Result<Self> {
        if let Some(dir) = options
            .get_filename()
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create directory {}", dir.display()))?;
        }
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let write = pool::build::<SqliteConnection>(
            options
                .clone()
                .pragma("wal_autocheckpoint", SQLITE_WRITER_CHECKPOINT_PAGES)
                // Subtasks follow their parent through triggers that fire each other, one
                // level at a time (migration `subtasks`).
                .pragma("recursive_triggers", "ON"),
            1,
            settings.acquire_timeout,
        )?;
        // The first connection creates the file; readers open it afterwards.
        pool::acquire(&write)
            .await
            .context("cannot open the SQLite database")?
            .finish();
        let readers = pool_size(settings).min(SQLITE_MAX_READERS);
        let read = pool::build(options, readers, settings.acquire_timeout)?;
        tokio::spawn(checkpoint_sqlite(read.clone()));
        Ok(Self::Sqlite(SqlitePools { read, write }))
    }

    /// Applies pending migrations for this backend.
    ///
    /// # Errors
    /// A migration fails or the database was migrated by a newer tudu.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        self.run_migrations()
            .await
            .context("database migration failed")
    }

    async fn run_migrations(&self) -> anyhow::Result<()> {
        match self {
            Self::Postgres(pool) => {
                let mut conn = pool::acquire(pool).await?;
                sqlx::migrate!("migrations/postgres")
                    .run(&mut *conn)
                    .await?;
                conn.finish();
            }
            Self::Sqlite(pools) => {
                let mut conn = pool::acquire(&pools.write).await?;
                sqlx::migrate!("migrations/sqlite").run(&mut *conn).await?;
                conn.finish();
            }
        }
        Ok(())
    }

    /// The dialect of this database.
    #[must_use]
    pub fn dialect(&self) -> Dialect {
        match self {
            Self::Postgres(_) => Dialect::Postgres,
            Self::Sqlite(_) => Dialect::Sqlite,
        }
    }

    /// Answers whether the database responds to a trivial query.
    pub async fn ping(&self) -> bool {
        let answered: crate::error::Result<()> = async {
            with_pool!(self, |conn| sqlx::query("select 1")
                .execute(conn)
                .await
                .map(drop)?);
            Ok(())
        }
        .await;
        answered.is_ok()
    }

    /// A short name for logs: backend and, for SQLite, the file.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::Postgres(_) => "postgresql".to_owned(),
            Self::Sqlite(pools) => {
                let options = pools.read.manager().options();
                format!("sqlite ({})", display_path(options.get_filename()))
            }
        }
    }

    /// Closes the idle connections; a connection still lent out closes when it comes back.
    pub async fn close(&self) {
        match self {
            Self::Postgres(pool) => pool::close(pool).await,
            Self::Sqlite(pools) => {
                pool::close(&pools.read).await;
                pool::close(&pools.write).await;
            }
        }
    }

    /// Whether [`Db::close`] has been called.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        match self {
            Self::Postgres(pool) => pool.is_closed(),
            Self::Sqlite(pools) => pools.read.is_closed() && pools.write.is_closed(),
        }
    }

    /// The SQLite file this database lives in, if it is one.
    #[must_use]
    pub fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        match self {
            Self::Sqlite(pools) => {
                Some(pools.read.manager().options().get_filename().to_path_buf())
            }
            Self::Postgres(_) => None,
        }
    }
}

/// The file a `sqlite:` URL names, if it is one (not `:memory:`).
#[must_use]
pub fn sqlite_file_of(url: &str) -> Option<std::path::PathBuf> {
    if !url.starts_with("sqlite:") {
        return None;
    }
    let options = SqliteConnectOptions::from_str(url).ok()?;
    let file = options.get_filename();
    (!file.as_os_str().is_empty() && file != Path::new(":memory:")).then(|| file.to_path_buf())
}

/// Copies committed WAL pages into the database file every [`SQLITE_CHECKPOINT_EVERY`] until
/// the pool closes. `PASSIVE` never waits for readers or the writer: what it cannot copy now
/// waits for the next round.
async fn checkpoint_sqlite(read: SqlitePool) {
    let mut every = tokio::time::interval(SQLITE_CHECKPOINT_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if read.is_closed() {
            return;
        }
        let checkpointed: crate::error::Result<()> = async {
            crate::with_connection!(&read, Retry::Read, |conn| sqlx::query(
                "pragma wal_checkpoint(PASSIVE)"
            )
            .execute(conn)
            .await
            .map(drop)?);
            Ok(())
        }
        .await;
        if let Err(err) = checkpointed {
            if read.is_closed() {
                return;
            }
            tracing::warn!(error = %err, "SQLite checkpoint failed; retrying");
        }
    }
}

fn display_path(path: &Path) -> String {
    path.display().to_string()
}

/// Starts a transaction that will write.
///
/// SQLite takes the write lock up front (`BEGIN IMMEDIATE`): a deferred transaction that reads
/// first and writes later can fail with "database is locked" instead of waiting its turn.
pub trait BeginWrite {
    /// The backend of the transaction.
    type Database: sqlx::Database;
    /// Begins the transaction.
    fn begin_write(
        &mut self,
    ) -> impl Future<Output = sqlx::Result<Transaction<'_, Self::Database>>> + Send;
}

impl BeginWrite for PgConnection {
    type Database = Postgres;
    fn begin_write(&mut self) -> impl Future<Output = sqlx::Result<Transaction<'_, Postgres>>> {
        self.begin()
    }
}

impl BeginWrite for SqliteConnection {
    type Database = Sqlite;
    fn begin_write(&mut self) -> impl Future<Output = sqlx::Result<Transaction<'_, Sqlite>>> {
        self.begin_with("BEGIN IMMEDIATE")
    }
}

fn pool_size(settings: &PoolSettings) -> usize {
    usize::try_from(settings.max_connections).unwrap_or(usize::MAX)
}

/// The current instant at the precision both databases store (microseconds), so a value read
/// back equals the value written.
#[must_use]
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::{DurationRound, TimeDelta};
    let now = chrono::Utc::now();
    now.duration_trunc(TimeDelta::microseconds(1))
        .unwrap_or(now)
}

/// Whether `err` is a unique-constraint violation.
#[must_use]
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// Whether `err` is a foreign-key violation.
#[must_use]
pub fn is_foreign_key_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_foreign_key_violation())
}

/// What the trigger of migration `sharing` says of a task write that read its project's owner
/// before the project changed hands.
pub const OWNER_CHANGED: &str = "the task's project has another owner";

/// Whether `err` is that trigger refusing a stale write.
#[must_use]
pub fn is_owner_changed(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.message().contains(OWNER_CHANGED))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The writer leaves checkpoints to the background task (its own threshold is only the
    /// backstop), and that task ends once the pools close.
    #[tokio::test]
    async fn sqlite_checkpoints_run_beside_the_writer_and_stop_with_the_pool() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let options = SqliteConnectOptions::new().filename(dir.path().join("t.db"));
        let db = Db::connect_sqlite(options, &PoolSettings::default())
            .await
            .expect("open");
        let Db::Sqlite(pools) = &db else {
            unreachable!("a SQLite database")
        };
        let mut writer = pool::acquire(&pools.write).await.expect("the writer");
        let writer_threshold: i64 = sqlx::query_scalar("pragma wal_autocheckpoint")
            .fetch_one(&mut *writer)
            .await
            .expect("read the writer's threshold");
        writer.finish();
        drop(writer);
        assert_eq!(writer_threshold.to_string(), SQLITE_WRITER_CHECKPOINT_PAGES);

        let checkpointer = tokio::spawn(checkpoint_sqlite(pools.read.clone()));
        db.close().await;
        tokio::time::timeout(SQLITE_CHECKPOINT_EVERY * 4, checkpointer)
            .await
            .expect("the checkpointer stops once the pool is closed")
            .expect("the checkpointer does not panic");
    }

    /// `.cargo/config.toml` compiles SQLite without its allocation statistics, whose global
    /// mutex the reader threads contended on (half an uncached page's server CPU).
    #[tokio::test]
    async fn sqlite_is_compiled_without_memory_statistics() {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
            .await
            .expect("open");
        let options: Vec<String> = sqlx::query_scalar("pragma compile_options")
            .fetch_all(&mut conn)
            .await
            .expect("read the compile options");
        assert!(
            options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
            "{options:?}"
        );
    }
}
