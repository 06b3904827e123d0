//! Reading a [`Task`] from a row by position. The derived `FromRow` looks every column up by
//! name (a hash and a string compare per column per row), which showed up in list profiles.
//!
//! Columns are read without sqlx's per-value type-compatibility check (a type-info clone and
//! compare per column per row, ~7 % of the server's CPU under list load): every task query
//! selects [`task_columns!`] from our own schema, whose types the test suite pins on both
//! backends, and decoding still rejects a value of the wrong size or shape.

use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Decode, FromRow, Row, types::Json};
use uuid::Uuid;

use super::model::{Priority, RecurrencePattern, Task};

/// Columns of a listing row, in the order [`Task::from_listed_row`] reads them: every task
/// column but `user_id`, which a listing already knows (it filters on it), so PostgreSQL need not
/// send it once per row.
#[macro_export]
macro_rules! listed_task_columns {
    () => {
        "id, number, title, description, completed, priority, tags, due_date, is_recurring, \
         recurrence_pattern, recurrence_interval, created_at, updated_at, completed_at, version, \
         recurrence_anchor_day"
    };
}

/// Columns in the order [`Task::from_row`] reads them: [`listed_task_columns!`], then `user_id`.
/// Every task query selects exactly these first (extra trailing columns are ignored).
#[macro_export]
macro_rules! task_columns {
    () => {
        concat!($crate::listed_task_columns!(), ", user_id")
    };
}

/// Position of `user_id` in [`task_columns!`].
const USER_ID_COLUMN: usize = 16;

impl<'r, R> FromRow<'r, R> for Task
where
    R: Row,
    usize: ColumnIndex<R>,
    Uuid: Decode<'r, R::Database>,
    i64: Decode<'r, R::Database>,
    i32: Decode<'r, R::Database>,
    bool: Decode<'r, R::Database>,
    String: Decode<'r, R::Database>,
    Priority: Decode<'r, R::Database>,
    RecurrencePattern: Decode<'r, R::Database>,
    Json<Vec<String>>: Decode<'r, R::Database>,
    DateTime<Utc>: Decode<'r, R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        Self::from_listed_row(row, row.try_get_unchecked(USER_ID_COLUMN)?)
    }
}

impl Task {
    /// Reads a row of [`listed_task_columns!`] whose owner, `user_id`, the caller already knows.
    ///
    /// # Errors
    /// A column that does not decode.
    // The bounds repeat `FromRow`'s: Rust does not carry where-clauses on other types through a
    // trait, so a shared trait would not spare stating them at each use.
    pub fn from_listed_row<'r, R>(row: &'r R, user_id: String) -> Result<Self, sqlx::Error>
    where
        R: Row,
        usize: ColumnIndex<R>,
        Uuid: Decode<'r, R::Database>,
        i64: Decode<'r, R::Database>,
        i32: Decode<'r, R::Database>,
        bool: Decode<'r, R::Database>,
        String: Decode<'r, R::Database>,
        Priority: Decode<'r, R::Database>,
        RecurrencePattern: Decode<'r, R::Database>,
        Json<Vec<String>>: Decode<'r, R::Database>,
        DateTime<Utc>: Decode<'r, R::Database>,
    {
        Ok(Self {
            id: row.try_get_unchecked(0)?,
            number: row.try_get_unchecked(1)?,
            user_id,
            title: row.try_get_unchecked(2)?,
            description: row.try_get_unchecked(3)?,
            completed: row.try_get_unchecked(4)?,
            priority: row.try_get_unchecked(5)?,
            tags: row.try_get_unchecked::<Json<Vec<String>>, _>(6)?.0,
            due_date: row.try_get_unchecked(7)?,
            is_recurring: row.try_get_unchecked(8)?,
            recurrence_pattern: row.try_get_unchecked(9)?,
            recurrence_interval: row.try_get_unchecked(10)?,
            created_at: row.try_get_unchecked(11)?,
            updated_at: row.try_get_unchecked(12)?,
            completed_at: row.try_get_unchecked(13)?,
            version: row.try_get_unchecked(14)?,
            recurrence_anchor_day: row.try_get_unchecked(15)?,
        })
    }
}
