//! Reading a [`Task`] from a row by position. The derived `FromRow` looks every column up by
//! name (a hash and a string compare per column per row), which showed up in list profiles.

use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Decode, FromRow, Row, Type, types::Json};
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
    Uuid: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    i32: Decode<'r, R::Database> + Type<R::Database>,
    bool: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Priority: Decode<'r, R::Database> + Type<R::Database>,
    RecurrencePattern: Decode<'r, R::Database> + Type<R::Database>,
    Json<Vec<String>>: Decode<'r, R::Database> + Type<R::Database>,
    DateTime<Utc>: Decode<'r, R::Database> + Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: row.try_get(0)?,
            number: row.try_get(1)?,
            user_id: row.try_get(2)?,
            title: row.try_get(3)?,
            description: row.try_get(4)?,
            completed: row.try_get(5)?,
            priority: row.try_get(6)?,
            tags: row.try_get::<Json<Vec<String>>, _>(7)?.0,
            due_date: row.try_get(8)?,
            is_recurring: row.try_get(9)?,
            recurrence_pattern: row.try_get(10)?,
            recurrence_interval: row.try_get(11)?,
            created_at: row.try_get(12)?,
            updated_at: row.try_get(13)?,
            completed_at: row.try_get(14)?,
            version: row.try_get(15)?,
            recurrence_anchor_day: row.try_get(16)?,
        })
    }
}
