//! The task columns every task query selects, and reading a [`Task`] from them by position.
//!
//! The columns are listed once, in [`with_task_columns!`]; the SQL lists
//! ([`listed_task_columns!`], [`task_columns!`]) and the positions ([`TaskColumn`]) are
//! generated from that list, so a renamed or reordered column cannot leave a reader behind.
//!
//! Rows are read by position: the derived `FromRow` looks every column up by name (a hash and a
//! string compare per column per row), which showed up in list profiles.
//!
//! Columns are read without sqlx's per-value type-compatibility check (a type-info clone and
//! compare per column per row, ~7 % of the server's CPU under list load): every task query
//! selects [`task_columns!`] from our own schema, whose types the test suite pins on both
//! backends, and decoding still rejects a value of the wrong size or shape.

use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Decode, FromRow, Row, types::Json};
use uuid::Uuid;

use super::model::{Priority, RecurrencePattern, Task};

/// The one list of the task columns: calls `$callback! { $args; listed: …; then: user_id }`.
///
/// The order is the order of every task query's select list: the columns a listing reads, then
/// `user_id`, which a listing leaves out because it already knows it (it filters on it), so
/// PostgreSQL need not send it once per row.
///
/// To add a column (after its migrations on both backends): add it to `listed`, then read it
/// by name, as `TaskColumn::<name>`, in [`Task::from_listed_row`] and, when the API shows it, in
/// `tasks::page_json::write_task`. Writes name their columns on their own (`tasks::service`,
/// `account::store`).
#[macro_export]
macro_rules! with_task_columns {
    ($($callback:ident)::+ $(, $($args:tt)*)?) => {
        $($callback)::+! {
            $($($args)*)?;
            listed: id, number, title, description, completed, priority, tags, due_date,
                is_recurring, recurrence_pattern, recurrence_interval, created_at, updated_at,
                completed_at, version, recurrence_anchor_day, project_id, parent_id, position,
                assignee_id, created_by;
            then: user_id
        }
    };
}

/// The SQL select lists of [`with_task_columns!`]: `listed` (its `listed` columns) or `all`.
#[doc(hidden)]
#[macro_export]
macro_rules! task_column_sql {
    (listed; listed: $first:ident $(, $column:ident)*; then: $owner:ident) => {
        concat!(stringify!($first) $(, ", ", stringify!($column))*)
    };
    (all; listed: $first:ident $(, $column:ident)*; then: $owner:ident) => {
        concat!(stringify!($first) $(, ", ", stringify!($column))*, ", ", stringify!($owner))
    };
}

/// Columns of a listing row, in [`TaskColumn`] order, as a string literal: every task column
/// but `user_id`. What a listing query selects after them starts at [`TaskColumn::LISTED`].
#[macro_export]
macro_rules! listed_task_columns {
    () => {
        $crate::with_task_columns!($crate::task_column_sql, listed)
    };
}

/// Every task column, in [`TaskColumn`] order, as a string literal: [`listed_task_columns!`],
/// then `user_id`. Every task query selects exactly these first (extra trailing columns are
/// ignored).
#[macro_export]
macro_rules! task_columns {
    () => {
        $crate::with_task_columns!($crate::task_column_sql, all)
    };
}

/// Defines [`TaskColumn`] from the list in [`with_task_columns!`].
macro_rules! task_column_positions {
    (; listed: $($column:ident),+; then: $owner:ident) => {
        /// A column's position in a row of [`task_columns!`] (and, but for `user_id`, of
        /// [`listed_task_columns!`]); rows are indexed by it directly.
        // Named exactly as in SQL, so that a reader names the column it reads.
        #[allow(non_camel_case_types)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[repr(usize)]
        pub enum TaskColumn {
            $(#[doc = concat!("`", stringify!($column), "`")] $column,)+
            #[doc = concat!("`", stringify!($owner), "`")]
            $owner,
        }

        impl TaskColumn {
            /// Every column, in select order.
            pub const ALL: &[Self] = &[$(Self::$column,)+ Self::$owner];

            /// How many columns a listing row has: the position of the first column a listing
            /// query selects after [`listed_task_columns!`].
            pub const LISTED: usize = Self::$owner as usize;

            /// The column's name in SQL.
            #[must_use]
            pub const fn name(self) -> &'static str {
                match self {
                    $(Self::$column => stringify!($column),)+
                    Self::$owner => stringify!($owner),
                }
            }
        }
    };
}

with_task_columns!(task_column_positions);

// Reads go straight to the position, as with a literal index (the same bounds check); a decode
// error names the column through `Debug` instead of giving its number.
impl<R> ColumnIndex<R> for TaskColumn
where
    R: Row,
    usize: ColumnIndex<R>,
{
    #[inline]
    fn index(&self, row: &R) -> Result<usize, sqlx::Error> {
        (*self as usize).index(row)
    }
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
        Self::from_listed_row(row, row.try_get_unchecked(TaskColumn::user_id)?)
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
        use TaskColumn as C;
        Ok(Self {
            id: row.try_get_unchecked(C::id)?,
            number: row.try_get_unchecked(C::number)?,
            user_id,
            project_id: row.try_get_unchecked(C::project_id)?,
            parent_id: row.try_get_unchecked(C::parent_id)?,
            position: row.try_get_unchecked(C::position)?,
            assignee_id: row.try_get_unchecked(C::assignee_id)?,
            created_by: row.try_get_unchecked(C::created_by)?,
            title: row.try_get_unchecked(C::title)?,
            description: row.try_get_unchecked(C::description)?,
            completed: row.try_get_unchecked(C::completed)?,
            priority: row.try_get_unchecked(C::priority)?,
            tags: row.try_get_unchecked::<Json<Vec<String>>, _>(C::tags)?.0,
            due_date: row.try_get_unchecked(C::due_date)?,
            is_recurring: row.try_get_unchecked(C::is_recurring)?,
            recurrence_pattern: row.try_get_unchecked(C::recurrence_pattern)?,
            recurrence_interval: row.try_get_unchecked(C::recurrence_interval)?,
            created_at: row.try_get_unchecked(C::created_at)?,
            updated_at: row.try_get_unchecked(C::updated_at)?,
            completed_at: row.try_get_unchecked(C::completed_at)?,
            version: row.try_get_unchecked(C::version)?,
            recurrence_anchor_day: row.try_get_unchecked(C::recurrence_anchor_day)?,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use chrono::TimeZone;
    use sqlx::{Column, Connection, SqliteConnection};

    use super::*;

    /// An in-memory SQLite database of our schema holding one task, and that task. Its columns
    /// all hold different values, so that a reader taking one column for another shows.
    pub(crate) async fn sqlite_with_a_task() -> (SqliteConnection, Task) {
        let at = |hour| Utc.with_ymd_and_hms(2026, 3, 10, hour, 0, 0).single();
        let mut task = Task {
            id: Uuid::from_u128(0x0192_0000_0000_7000_8000_0000_0000_0001),
            number: 7,
            user_id: "owner-1".to_owned(),
            project_id: Uuid::nil(),
            parent_id: None,
            position: 9,
            assignee_id: Some("assignee-1".to_owned()),
            created_by: Some("creator-1".to_owned()),
            title: "the title".to_owned(),
            description: Some("the description".to_owned()),
            completed: true,
            priority: Priority::High,
            tags: vec!["a".to_owned(), "b \"c\"".to_owned()],
            due_date: at(1),
            is_recurring: false,
            recurrence_pattern: Some(RecurrencePattern::Weekly),
            recurrence_interval: 4,
            created_at: at(2).expect("a valid time"),
            updated_at: at(3).expect("a valid time"),
            completed_at: at(4),
            version: 5,
            recurrence_anchor_day: Some(11),
        };
        let mut conn = SqliteConnection::connect("sqlite::memory:")
            .await
            .expect("open");
        sqlx::migrate!("migrations/sqlite")
            .run(&mut conn)
            .await
            .expect("migrate");
        sqlx::query(
            "insert into app_user (id, email, name, created_at, updated_at)
             values ($1, 'owner@example.com', 'Owner', $2, $2)",
        )
        .bind(&task.user_id)
        .bind(task.created_at)
        .execute(&mut conn)
        .await
        .expect("insert the owner");
        for (id, email) in [
            ("assignee-1", "assignee@example.com"),
            ("creator-1", "creator@example.com"),
        ] {
            sqlx::query(
                "insert into app_user (id, email, name, created_at, updated_at)
                 values ($1, $2, 'Member', $3, $3)",
            )
            .bind(id)
            .bind(email)
            .bind(task.created_at)
            .execute(&mut conn)
            .await
            .expect("insert a member");
        }
        // The owner's Inbox, created with the owner.
        task.project_id = sqlx::query_scalar("select id from project where owner_id = $1")
            .bind(&task.user_id)
            .fetch_one(&mut conn)
            .await
            .expect("the owner's Inbox");
        // Columns named here, not taken from the list under test.
        sqlx::query(
            "insert into task (id, user_id, number, title, description, completed, priority,
                 tags, due_date, is_recurring, recurrence_pattern, recurrence_interval,
                 created_at, updated_at, completed_at, version, recurrence_anchor_day, project_id,
                 position, assignee_id, created_by)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                 $18, $19, $20, $21)",
        )
        .bind(task.id)
        .bind(&task.user_id)
        .bind(task.number)
        .bind(&task.title)
        .bind(&task.description)
        .bind(task.completed)
        .bind(task.priority)
        .bind(Json(&task.tags))
        .bind(task.due_date)
        .bind(task.is_recurring)
        .bind(task.recurrence_pattern)
        .bind(task.recurrence_interval)
        .bind(task.created_at)
        .bind(task.updated_at)
        .bind(task.completed_at)
        .bind(task.version)
        .bind(task.recurrence_anchor_day)
        .bind(task.project_id)
        .bind(task.position)
        .bind(&task.assignee_id)
        .bind(&task.created_by)
        .execute(&mut conn)
        .await
        .expect("insert the task");
        (conn, task)
    }

    #[test]
    fn the_sql_lists_name_the_columns_in_position_order() {
        let names: Vec<_> = TaskColumn::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(task_columns!().split(", ").collect::<Vec<_>>(), names);
        assert_eq!(
            listed_task_columns!().split(", ").collect::<Vec<_>>(),
            names[..TaskColumn::LISTED]
        );
        for (position, column) in TaskColumn::ALL.iter().enumerate() {
            assert_eq!(*column as usize, position, "{column:?}");
        }
        assert_eq!(TaskColumn::user_id as usize, TaskColumn::LISTED);
    }

    #[tokio::test]
    async fn a_task_row_has_each_column_at_its_position() {
        let (mut conn, task) = sqlite_with_a_task().await;
        let row = sqlx::query(concat!("select ", task_columns!(), " from task"))
            .fetch_one(&mut conn)
            .await
            .expect("select the task");
        assert_eq!(row.columns().len(), TaskColumn::ALL.len());
        for &column in TaskColumn::ALL {
            assert_eq!(row.column(column as usize).name(), column.name());
        }
        let read = Task::from_row(&row).expect("decodes");
        assert_eq!(format!("{read:?}"), format!("{task:?}"));
    }
}
