//! The connection pool: a connection whose user stopped half-way (a cancelled request, an
//! early `?`) is settled before anyone else can use it, and never leaves a lock behind.

use tokio::sync::oneshot;
use tudu::db::{BeginWrite, Db, Dialect, PoolSettings};
use tudu::{with_pool, with_writer};

use crate::helpers::{Backend, each_backend};

each_backend!(
    an_abandoned_transaction_is_rolled_back_at_once,
    a_dropped_transaction_is_rolled_back_at_once,
    a_failed_transaction_leaves_a_clean_connection
);

/// A database with one row `counter(id = 1, n = 0)`, on `max_connections` connections.
async fn counter_database(
    backend: &Backend,
    max_connections: u32,
) -> (Db, Option<tempfile::TempDir>) {
    let (url, dir) = backend.fresh_database().await;
    let settings = PoolSettings {
        max_connections,
        ..PoolSettings::default()
    };
    let db = Db::connect(&url, &settings).await.expect("connect");
    let created: tudu::error::Result<()> = async {
        with_writer!(&db, |conn| {
            sqlx::query("create table counter (id integer primary key, n bigint not null)")
                .execute(&mut *conn)
                .await?;
            sqlx::query("insert into counter (id, n) values (1, 0)")
                .execute(&mut *conn)
                .await?;
            Ok(())
        })
    }
    .await;
    created.expect("create the counter");
    (db, dir)
}

/// Runs `leave` (code that leaves a transaction on the counter behind) while a second
/// connection is held, then adds 10 on that connection and reads the counter back. Holding the
/// second connection throughout means only settling the left one, not its reuse by the next
/// query, can release the row.
async fn counter_after(db: &Db, leave: impl Future<Output = ()>) -> tudu::error::Result<i64> {
    // `leave` runs once: the statements around it cannot be retried.
    let mut leave = std::pin::pin!(leave);
    let mut left = false;
    Ok(with_pool!(db, |other| {
        if db.dialect() == Dialect::Postgres {
            // A leaked lock then fails the test instead of hanging it.
            sqlx::query("set lock_timeout = '10s'")
                .execute(&mut *other)
                .await?;
        }
        if !std::mem::replace(&mut left, true) {
            leave.as_mut().await;
        }
        sqlx::query("update counter set n = n + 10 where id = 1")
            .execute(&mut *other)
            .await?;
        sqlx::query_scalar("select n from counter where id = 1")
            .fetch_one(&mut *other)
            .await?
    }))
}

async fn an_abandoned_transaction_is_rolled_back_at_once(backend: Backend) {
    // Arrange
    let (db, _dir) = counter_database(&backend, 4).await;

    // Act: a request that locked the row is cancelled mid-transaction.
    let cancelled = async {
        let (locked, on_locked) = oneshot::channel();
        let mut locked = Some(locked);
        let request = async {
            let _: tudu::error::Result<()> = async {
                with_writer!(&db, |conn| {
                    let mut tx = conn.begin_write().await?;
                    sqlx::query("update counter set n = n + 1 where id = 1")
                        .execute(&mut *tx)
                        .await?;
                    if let Some(locked) = locked.take() {
                        let _ = locked.send(());
                    }
                    std::future::pending::<tudu::error::Result<()>>().await
                })
            }
            .await;
        };
        tokio::select! {
            () = request => unreachable!("the request never finishes"),
            _ = on_locked => {}
        }
    };
    let outcome = counter_after(&db, cancelled).await;

    // Assert: the other connection got the row, and the abandoned increment is gone.
    assert_eq!(outcome.expect("update after the abandoned transaction"), 10);
}

async fn a_dropped_transaction_is_rolled_back_at_once(backend: Backend) {
    // Arrange
    let (db, _dir) = counter_database(&backend, 4).await;

    // Act: code that runs to its end but lets a transaction go without committing.
    let dropped = async {
        let ran: tudu::error::Result<()> = async {
            with_writer!(&db, |conn| {
                let mut tx = conn.begin_write().await?;
                sqlx::query("update counter set n = n + 1 where id = 1")
                    .execute(&mut *tx)
                    .await?;
                drop(tx);
                Ok(())
            })
        }
        .await;
        ran.expect("the transaction ran");
    };
    let outcome = counter_after(&db, dropped).await;

    // Assert
    assert_eq!(outcome.expect("update after the dropped transaction"), 10);
}

async fn a_failed_transaction_leaves_a_clean_connection(backend: Backend) {
    // Arrange: one connection, so the next query reuses the failed one.
    let (db, _dir) = counter_database(&backend, 1).await;

    // Act: a transaction fails on a duplicate key and leaves through `?`.
    let failed: tudu::error::Result<()> = async {
        with_writer!(&db, |conn| {
            let mut tx = conn.begin_write().await?;
            sqlx::query("update counter set n = 5 where id = 1")
                .execute(&mut *tx)
                .await?;
            sqlx::query("insert into counter (id, n) values (1, 0)")
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }
    .await;
    let after: tudu::error::Result<i64> = async {
        Ok(with_writer!(&db, |conn| sqlx::query_scalar(
            "select n from counter where id = 1"
        )
        .fetch_one(conn)
        .await?))
    }
    .await;

    // Assert: the failure is reported, and the connection answers outside any transaction,
    // with the half-done update rolled back.
    let failure = failed.expect_err("duplicate key");
    assert!(
        matches!(&failure, tudu::error::ApiError::Internal(cause)
            if cause.downcast_ref::<sqlx::Error>().is_some_and(tudu::db::is_unique_violation)),
        "{failure:?}"
    );
    assert_eq!(after.expect("the connection still works"), 0);
}
