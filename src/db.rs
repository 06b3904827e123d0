//! One database handle over PostgreSQL or SQLite, its connection set-up and migrations.
//!
//! Queries are written once as runtime-checked SQL that both dialects accept and run through
//! [`with_pool!`] (reads) or [`with_writer!`] (writes), which expand the same code for each
//! backend's concrete pool type.

use std::{path::Path, str::FromStr, time::Duration};

use anyhow::Context;
use sqlx::{
    PgPool, Postgres, Sqlite, SqlitePool, Transaction,
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

/// A connection pool to whichever database `DATABASE_URL` names.
#[derive(Clone, Debug)]
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
#[derive(Clone, Debug)]
pub struct SqlitePools {
    /// Connections for reads.
    pub read: SqlitePool,
    /// The one connection for writes.
    pub write: SqlitePool,
}

/// Read connections for SQLite: reads are short and CPU-bound, so more than a few only hold
/// more page cache.
const SQLITE_MAX_READERS: u32 = 4;

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

/// Runs `$body` with `$pool` bound to the concrete pool of `$db` for reading, once per backend.
#[macro_export]
macro_rules! with_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Postgres($pool) => $body,
            $crate::db::Db::Sqlite(pools) => {
                let $pool = &pools.read;
                $body
            }
        }
    };
}

/// Like [`with_pool!`], for statements that write (SQLite's single writer connection).
#[macro_export]
macro_rules! with_writer {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Postgres($pool) => $body,
            $crate::db::Db::Sqlite(pools) => {
                let $pool = &pools.write;
                $body
            }
        }
    };
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
            max_connections: 16,
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
    /// # Errors
    /// The server does not answer or refuses the connection.
    pub async fn connect_postgres(
        options: PgConnectOptions,
        settings: &PoolSettings,
    ) -> anyhow::Result<Self> {
        // No ping before every checkout: it cost a round trip per query (-19 % list
        // throughput in bench/run.sh). A connection that died while idle fails one request
        // (503) and is then replaced.
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .context("cannot connect to PostgreSQL")?;
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
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(settings.acquire_timeout)
            .connect_with(
                options
                    .clone()
                    .pragma("wal_autocheckpoint", SQLITE_WRITER_CHECKPOINT_PAGES),
            )
            .await
            .context("cannot open the SQLite database")?;
        let read = SqlitePoolOptions::new()
            .max_connections(settings.max_connections.clamp(1, SQLITE_MAX_READERS))
            .acquire_timeout(settings.acquire_timeout)
            .connect_with(options)
            .await
            .context("cannot open the SQLite database")?;
        tokio::spawn(checkpoint_sqlite(read.clone()));
        Ok(Self::Sqlite(SqlitePools { read, write }))
    }

    /// Applies pending migrations for this backend.
    ///
    /// # Errors
    /// A migration fails or the database was migrated by a newer tudu.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Self::Postgres(pool) => sqlx::migrate!("migrations/postgres").run(pool).await,
            Self::Sqlite(pools) => sqlx::migrate!("migrations/sqlite").run(&pools.write).await,
        }
        .context("database migration failed")
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
        with_pool!(self, |pool| sqlx::query("select 1")
            .execute(pool)
            .await
            .is_ok())
    }

    /// A short name for logs: backend and, for SQLite, the file.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::Postgres(_) => "postgresql".to_owned(),
            Self::Sqlite(pools) => {
                let options = pools.read.connect_options();
                format!("sqlite ({})", display_path(options.get_filename()))
            }
        }
    }

    /// Closes every connection, waiting for checked-out ones to come back.
    pub async fn close(&self) {
        match self {
            Self::Postgres(pool) => pool.close().await,
            Self::Sqlite(pools) => {
                pools.read.close().await;
                pools.write.close().await;
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
            Self::Sqlite(pools) => Some(pools.read.connect_options().get_filename().to_path_buf()),
            Self::Postgres(_) => None,
        }
    }
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
        if let Err(err) = sqlx::query("pragma wal_checkpoint(PASSIVE)")
            .execute(&read)
            .await
        {
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
        &self,
    ) -> impl Future<Output = sqlx::Result<Transaction<'static, Self::Database>>> + Send;
}

impl BeginWrite for PgPool {
    type Database = Postgres;
    fn begin_write(&self) -> impl Future<Output = sqlx::Result<Transaction<'static, Postgres>>> {
        self.begin()
    }
}

impl BeginWrite for SqlitePool {
    type Database = Sqlite;
    fn begin_write(&self) -> impl Future<Output = sqlx::Result<Transaction<'static, Sqlite>>> {
        self.begin_with("BEGIN IMMEDIATE")
    }
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
        let writer_threshold: i64 = sqlx::query_scalar("pragma wal_autocheckpoint")
            .fetch_one(&pools.write)
            .await
            .expect("read the writer's threshold");
        assert_eq!(writer_threshold.to_string(), SQLITE_WRITER_CHECKPOINT_PAGES);

        let checkpointer = tokio::spawn(checkpoint_sqlite(pools.read.clone()));
        db.close().await;
        tokio::time::timeout(SQLITE_CHECKPOINT_EVERY * 4, checkpointer)
            .await
            .expect("the checkpointer stops once the pool is closed")
            .expect("the checkpointer does not panic");
    }
}
