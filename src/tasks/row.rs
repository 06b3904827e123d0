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

/// Columns in the order [`Task::from_row`] reads them; every task query selects exactly these
/// first (extra trailing columns are ignored).
#[macro_export]
macro_rules! task_columns {
    () => {
        "id, number, user_id, title, description, completed, priority, tags, due_date, \
         is_recurring, recurrence_pattern, recurrence_interval, created_at, updated_at, \
         completed_at, version, recurrence_anchor_day"
    };
}

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
        Ok(Self {
            id: row.try_get_unchecked(0)?,
            number: row.try_get_unchecked(1)?,
            user_id: row.try_get_unchecked(2)?,
            title: row.try_get_unchecked(3)?,
            description: row.try_get_unchecked(4)?,
            completed: row.try_get_unchecked(5)?,
            priority: row.try_get_unchecked(6)?,
            tags: row.try_get_unchecked::<Json<Vec<String>>, _>(7)?.0,
            due_date: row.try_get_unchecked(8)?,
            is_recurring: row.try_get_unchecked(9)?,
            recurrence_pattern: row.try_get_unchecked(10)?,
            recurrence_interval: row.try_get_unchecked(11)?,
            created_at: row.try_get_unchecked(12)?,
            updated_at: row.try_get_unchecked(13)?,
            completed_at: row.try_get_unchecked(14)?,
            version: row.try_get_unchecked(15)?,
            recurrence_anchor_day: row.try_get_unchecked(16)?,
        })
    }
}
