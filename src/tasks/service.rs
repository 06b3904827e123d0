//! Task operations for one user: the only place that reads or writes the `task` table. REST
//! handlers, MCP tools and the chat agent all call these functions.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sqlx::{AssertSqlSafe, Row, types::Json};
use uuid::Uuid;

use super::access::{check_assignee, check_writable, owner_for_new, project_owner};
use super::dates;
use super::listing::{self, Cursor, TaskFilter, Whose};
use super::model::{
    CompletedTask, DueDateInput, NewTask, Precondition, Priority, PriorityCounts,
    RecurrencePattern, Task, TaskPage, TaskPatch, TaskRef, TaskStats,
};
use super::page_json::{self, RenderedPage};
use super::query::ListTasks;
use super::rules::{self, TaskFields};
use super::tree;
use crate::auth::credential::Standing;
use crate::db::{self, BeginWrite, Db};
use crate::error::{ApiError, FieldError, Result};
use crate::{bind_args, task_columns, with_pool, with_writer};

/// `select … from task` for one task the user `$1` may see, by id (`$2` a UUID: their own, or
/// one in a project shared with them) or number (`$2` an integer: numbers are per owner, so only
/// their own).
macro_rules! select_task {
    (by_id) => {
        concat!(
            "select ",
            task_columns!(),
            " from task where id = $2 and (user_id = $1 or exists (select 1 from project_member m
                 where m.project_id = task.project_id and m.user_id = $1))"
        )
    };
    (by_number) => {
        concat!(
            "select ",
            task_columns!(),
            " from task where user_id = $1 and number = $2"
        )
    };
}

/// Inserts a task of `$user_id` (its project's owner) written by `$author` with the owner's
/// next number through `$executor` (a connection, or a transaction), answering 401 when the
/// owner no longer exists. The triggers of migration 9 count the task and bump the owner's
/// `list_version`.
macro_rules! insert_task {
    ($executor:expr, $user_id:expr, $author:expr, $fields:expr, $completed_at:expr, $now:expr) => {{
        let fields: &TaskFields = $fields;
        // The number read here is final on SQLite (one writer at a time); on PostgreSQL the
        // trigger `task_numbered` replaces it with one taken under the user row's lock.
        let inserted: Option<Task> = sqlx::query_as::<_, Task>(concat!(
            "insert into task (id, user_id, number, title, description, completed, priority, tags,
                 due_date, is_recurring, recurrence_pattern, recurrence_interval, created_at,
                 updated_at, completed_at, recurrence_anchor_day, project_id, parent_id, position,
                 assignee_id, created_by)
             select $1, id, task_seq + 1, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14,
                 coalesce($15, (select p.id from project p where p.owner_id = $2 and p.is_inbox)),
                 $16,
                 coalesce($17, coalesce(case when $16 is null
                     then (select max(position) from task
                           where parent_id is null and project_id = coalesce($15,
                               (select p.id from project p where p.owner_id = $2 and p.is_inbox)))
                     else (select max(position) from task where parent_id = $16) end, 0) + 1),
                 $18, $19
             from app_user where id = $2
             returning ",
            task_columns!()
        ))
        .bind(Uuid::now_v7())
        .bind($user_id)
        .bind(&fields.title)
        .bind(&fields.description)
        .bind(fields.completed)
        .bind(fields.priority)
        .bind(Json(&fields.tags))
        .bind(fields.due_date)
        .bind(fields.is_recurring)
        .bind(fields.recurrence_pattern)
        .bind(fields.recurrence_interval)
        .bind($now)
        .bind($completed_at)
        .bind(fields.recurrence_anchor_day)
        .bind(fields.project_id)
        .bind(fields.parent_id)
        .bind(fields.position)
        .bind(&fields.assignee_id)
        .bind($author)
        .fetch_optional($executor)
        .await
        .map_err(|err| gone_or(err, fields))?;
        inserted.ok_or(ApiError::Unauthorized("the token's user no longer exists"))?
    }};
}

/// Sets the completion of one task of `$user_id` through `$executor`, unless it already has it
/// (or `$pinned`, when given, is no longer its version); the changed task, if any.
macro_rules! complete_task {
    ($executor:expr, $user_id:expr, $id:expr, $target:expr, $now:expr, $pinned:expr) => {
        sqlx::query_as::<_, Task>(concat!(
            "update task set completed = $1, completed_at = $2, updated_at = $3,
                 version = version + 1
             where id = $4 and user_id = $5 and completed <> $1
                 and ($6 is null or version = $6)
             returning ",
            task_columns!()
        ))
        .bind($target)
        .bind($target.then_some($now))
        .bind($now)
        .bind($id)
        .bind($user_id)
        .bind($pinned)
        .fetch_optional($executor)
        .await?
    };
}

/// Checks, through `$executor`, that a task (`$moving`, nil for a new one) may go under
/// `$parent`, and gives the project it then belongs to (see [`tree::check`]).
macro_rules! placed {
    ($executor:expr, $user_id:expr, $parent:expr, $moving:expr, $asked_project:expr) => {{
        let facts: tree::Facts = sqlx::query_as(tree::FACTS)
            .bind($parent)
            .bind($user_id)
            .bind($moving)
            .fetch_one($executor)
            .await?;
        tree::check(facts, $asked_project)?
    }};
}

/// Starts the transaction of a write that places a task under a parent: on PostgreSQL it waits
/// for the user's other such writes, so that two concurrent moves cannot make a cycle or nest
/// too deep between them (SQLite has one writer at a time anyway). An advisory lock, not the
/// user row's: every task write locks that row last (see migration `subtasks`).
macro_rules! begin_placing {
    ($conn:expr, $dialect:expr, $user_id:expr) => {{
        let mut tx = $conn.begin_write().await?;
        if $dialect == db::Dialect::Postgres {
            sqlx::query("select pg_advisory_xact_lock(hashtextextended($1, 0))")
                .bind(format!("task tree {}", $user_id))
                .execute(&mut *tx)
                .await?;
        }
        tx
    }};
}

/// A foreign key that failed under a write: the project or the parent went away meanwhile, or
/// the project changed hands.
fn gone_or(err: sqlx::Error, fields: &TaskFields) -> ApiError {
    if db::is_owner_changed(&err) {
        ApiError::Conflict("the project changed hands meanwhile; send the request again")
    } else if db::is_foreign_key_violation(&err) && fields.parent_id.is_some() {
        ApiError::invalid("parent_id", "is not one of your tasks")
    } else {
        crate::projects::service::gone_or(err)
    }
}

/// Where a task of `user_id` (its project's owner) with `fields` goes: its parent's project
/// when it has a parent (checked now and again under the write's lock), which must be one of
/// the owner's the task may still be added to; and that its assignee may see that project.
async fn place(
    db: &Db,
    user_id: &str,
    fields: &mut TaskFields,
    moving: Option<&Task>,
    asked_project: Option<Uuid>,
) -> Result<()> {
    // A task staying under its parent in its project needs no check (a rename of a subtask).
    let placing = asked_project.is_some() || moving.is_none_or(|t| t.parent_id != fields.parent_id);
    if let Some(parent) = fields.parent_id.filter(|_| placing) {
        let moving_id = moving.map_or(Uuid::nil(), |task| task.id);
        let project = with_pool!(db, |conn| placed!(
            conn,
            user_id,
            parent,
            moving_id,
            asked_project
        ));
        fields.project_id = Some(project);
    }
    check_assignee(db, user_id, fields, moving).await?;
    match (fields.project_id, moving) {
        (Some(project), Some(task)) if project == task.project_id => Ok(()),
        // A new task's own project was checked with the caller's role (`owner_for_new`).
        (Some(project), None) if asked_project == Some(project) => Ok(()),
        (Some(project), _) => crate::projects::service::check_target(db, user_id, project).await,
        (None, _) => Ok(()),
    }
}

/// Copies the subtasks of `$done`, at every level, under `$next`, its next occurrence, through
/// `$executor` (a transaction): reopened, in the same order, due dates moved as far as the
/// parent's moved.
macro_rules! copy_subtasks {
    ($executor:expr, $user_id:expr, $done:expr, $next:expr, $now:expr) => {{
        let done: &Task = $done;
        let next: &Task = $next;
        let subtasks: Vec<Task> = sqlx::query_as(tree::DESCENDANTS)
            .bind(done.id)
            .fetch_all(&mut *$executor)
            .await?;
        let shift = next
            .due_date
            .zip(done.due_date)
            .map_or(chrono::TimeDelta::zero(), |(next_due, due)| next_due - due);
        let mut copies = std::collections::HashMap::from([(done.id, next.id)]);
        for subtask in &subtasks {
            // Parents come before their subtasks, so a parent's copy exists already.
            let Some(&parent) = subtask.parent_id.as_ref().and_then(|p| copies.get(p)) else {
                continue;
            };
            let fields = TaskFields {
                completed: false,
                due_date: subtask.due_date.map(|due| due + shift),
                project_id: Some(next.project_id),
                parent_id: Some(parent),
                ..TaskFields::of(subtask)
            };
            let copy = insert_task!(
                &mut *$executor,
                $user_id,
                subtask.created_by.as_deref(),
                &fields,
                None::<DateTime<Utc>>,
                $now
            );
            copies.insert(subtask.id, copy.id);
        }
    }};
}

/// Checks a list request, reading naive dates in the user's zone (looked up only when
/// needed); `unreadable` is what the door could not read (see [`listing::check`]).
///
/// # Errors
/// 422 on bad parameters.
pub async fn filter_for(
    db: &Db,
    user_id: &str,
    list: &ListTasks,
    unreadable: Vec<FieldError>,
) -> Result<TaskFilter> {
    let needs_zone = [&list.due_before, &list.due_after]
        .into_iter()
        .flatten()
        .any(|d| rules::needs_timezone(Some(&DueDateInput(d.clone()))));
    let tz = zone_if_needed(db, user_id, needs_zone).await?;
    listing::check(list, tz, unreadable)
}

/// One page of the user's tasks matching `filter`, with the total count and the next cursor;
/// with a project filter, that project's tasks, when the user owns it or is a member.
///
/// # Errors
/// 404 for a project the user cannot see.
#[tracing::instrument(skip_all, fields(user_id = %user))]
pub async fn list(db: &Db, user: &str, filter: &TaskFilter) -> Result<TaskPage> {
    let whose = Whose::VisibleTo(user);
    let (page, count) = listing::statements(filter, whose, None, db.dialect(), db::now());
    let (mut tasks, total): (Vec<Task>, Option<i64>) = with_pool!(db, |conn| {
        let page_query = sqlx::query(AssertSqlSafe(page.sql.as_str()));
        let rows = bind_args!(page_query, page.args).fetch_all(conn).await?;
        let owner = page_owner(&rows, whose, filter)?;
        let mut tasks = Vec::with_capacity(rows.len());
        for row in &rows {
            tasks.push(Task::from_listed_row(row, owner.to_owned())?);
        }
        (tasks, first_total(&rows)?)
    });
    if let (Some(project), None) = (filter.project_id, &total) {
        // No row: an empty page, or a project the user may not see.
        project_owner(db, user, project).await?;
    }
    let total = resolve_total(db, filter, total, count).await?;
    let next_cursor = if tasks.len() > page_size(filter) {
        tasks.truncate(page_size(filter));
        tasks
            .last()
            .map(|last| Cursor::after(last, filter).encode())
    } else {
        None
    };
    Ok(TaskPage {
        tasks,
        total,
        next_cursor,
    })
}

/// The page [`list`] reads of `owner`'s tasks (for a shared project, once the caller was let
/// in), with its tasks as the JSON array sent, written from the rows without a [`Task`] per
/// row (see `super::page_json`).
///
/// # Errors
/// Database failure.
pub async fn list_json(db: &Db, owner: &str, filter: &TaskFilter) -> Result<RenderedPage> {
    let page = list_json_checked(db, Whose::Own(owner), filter, None).await?;
    page.ok_or_else(|| anyhow::anyhow!("a page without a check of its own came back unread").into())
}

/// The page [`list`] reads for `user`: of their own tasks, or with a project filter, of that
/// project's when they may see it, which the page's statement checks itself.
///
/// # Errors
/// 404 for a project the user cannot see.
pub async fn list_json_visible(db: &Db, user: &str, filter: &TaskFilter) -> Result<RenderedPage> {
    if let Some(page) = list_json_checked(db, Whose::VisibleTo(user), filter, None).await? {
        return Ok(page);
    }
    // No row: an empty page (whose total a cursor page must count), or a project the user may
    // not see.
    let owner = match filter.project_id {
        Some(project) => project_owner(db, user, project).await?.0,
        None => user.to_owned(),
    };
    list_json(db, &owner, filter).await
}

/// [`list_json`] of `whose` tasks whose statement may also check that the presented
/// credential still stands (`standing`) and that the caller may see the filter's project
/// ([`Whose::VisibleTo`]). `None` when such a check was made and no row came back: an empty
/// page, a revoked credential or a project out of sight, which the caller must tell apart.
///
/// # Errors
/// Database failure.
#[tracing::instrument(skip_all)]
pub async fn list_json_checked(
    db: &Db,
    whose: Whose<'_>,
    filter: &TaskFilter,
    standing: Option<Standing<'_>>,
) -> Result<Option<RenderedPage>> {
    let (page, count) = listing::statements(filter, whose, standing, db.dialect(), db::now());
    let limit = page_size(filter);
    let checked = standing.is_some() || whose.finds_owner(filter);
    let read = with_pool!(db, |conn| {
        let page_query = sqlx::query(AssertSqlSafe(page.sql.as_str()));
        let rows = bind_args!(page_query, page.args).fetch_all(conn).await?;
        if checked && rows.is_empty() {
            return Ok(None);
        }
        let owner = page_owner(&rows, whose, filter)?;
        let shown = &rows[..rows.len().min(limit)];
        let body = page_json::write_page(shown, owner)?;
        // Only a page with a successor needs its last task, for the cursor.
        let last_shown = match shown.last() {
            Some(last) if rows.len() > limit => {
                Some(Task::from_listed_row(last, owner.to_owned())?)
            }
            _ => None,
        };
        Some((body, last_shown, first_total(&rows)?))
    });
    let Some((body, last_shown, total)) = read else {
        return Ok(None);
    };
    Ok(Some(RenderedPage {
        body: body.into(),
        total: resolve_total(db, filter, total, count).await?,
        next_cursor: last_shown.map(|last| Cursor::after(&last, filter).encode()),
    }))
}

/// Whose tasks a page's rows are: the one [`Whose`] names, or the owner the statement found.
fn page_owner<'r, R>(
    rows: &'r [R],
    whose: Whose<'r>,
    filter: &TaskFilter,
) -> std::result::Result<&'r str, sqlx::Error>
where
    R: Row,
    usize: sqlx::ColumnIndex<R>,
    &'r str: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    match (whose, rows.first()) {
        (_, Some(row)) if whose.finds_owner(filter) => row.try_get(listing::OWNER_COLUMN),
        (Whose::Own(user) | Whose::VisibleTo(user), _) => Ok(user),
    }
}

/// How many tasks a page shows.
fn page_size(filter: &TaskFilter) -> usize {
    usize::try_from(filter.limit).unwrap_or(usize::MAX)
}

/// The total a page row carries (all rows carry the same).
fn first_total<R>(rows: &[R]) -> std::result::Result<Option<i64>, sqlx::Error>
where
    R: Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    rows.first()
        .map(|row| row.try_get::<i64, _>(listing::TOTAL_COLUMN))
        .transpose()
}

/// The total of a page that found no row to carry it: none at all on a first page, otherwise
/// counted on its own.
async fn resolve_total(
    db: &Db,
    filter: &TaskFilter,
    carried: Option<i64>,
    count: listing::Statement,
) -> Result<i64> {
    Ok(match carried {
        Some(total) => total,
        None if filter.after.is_none() => 0,
        None => with_pool!(db, |conn| {
            let count_query = sqlx::query_scalar::<_, i64>(AssertSqlSafe(count.sql.as_str()));
            bind_args!(count_query, count.args).fetch_one(conn).await?
        }),
    })
}

/// The user's `list_version`, which changes whenever any of their tasks does; `None` when the
/// user does not exist.
///
/// # Errors
/// Database failure.
pub async fn list_version(db: &Db, user_id: &str) -> Result<Option<i64>> {
    Ok(with_pool!(db, |conn| {
        sqlx::query_scalar("select list_version from app_user where id = $1")
            .bind(user_id)
            .fetch_optional(conn)
            .await
    })?)
}

/// One task of the user.
///
/// # Errors
/// 404 when it does not exist or belongs to someone else.
pub async fn get(db: &Db, user_id: &str, task: TaskRef) -> Result<Task> {
    let found = with_pool!(db, |conn| {
        match task {
            TaskRef::Id(id) => {
                sqlx::query_as::<_, Task>(select_task!(by_id))
                    .bind(user_id)
                    .bind(id)
                    .fetch_optional(conn)
                    .await
            }
            TaskRef::Number(number) => {
                sqlx::query_as::<_, Task>(select_task!(by_number))
                    .bind(user_id)
                    .bind(number)
                    .fetch_optional(conn)
                    .await
            }
        }
    })?;
    found.ok_or(TASK_NOT_FOUND)
}

pub(super) const TASK_NOT_FOUND: ApiError = ApiError::NotFound("task not found");

/// Creates a task with the next number of the user.
///
/// # Errors
/// 422 on invalid fields.
pub async fn create(db: &Db, user_id: &str, input: NewTask) -> Result<Task> {
    match create_once(db, user_id, input, None).await? {
        Created::New(task) => Ok(*task),
        Created::Replayed { .. } => {
            Err(anyhow::anyhow!("replay without an idempotency key").into())
        }
    }
}

/// A client's `Idempotency-Key` and the fingerprint of the request it came with.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    /// The key as sent.
    pub key: String,
    /// Hash of the canonical request body.
    pub fingerprint: String,
}

/// How long a key is remembered.
pub const IDEMPOTENCY_TTL: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// Outcome of a create that may be a retry.
#[derive(Debug)]
pub enum Created {
    /// A new task (boxed: the variants differ in size by a whole task).
    New(Box<Task>),
    /// The stored answer to the first request with this key.
    Replayed {
        /// Its HTTP status.
        status: u16,
        /// Its JSON body.
        body: String,
    },
}

/// Creates a task (in a shared project: the owner's, written by the user), or with a key
/// already used for the same body, returns the first answer and creates nothing. The task and the remembered answer are written in one transaction, so a
/// retry racing the first request either waits for it or finds its answer.
///
/// # Errors
/// 422 on invalid fields or a key reused with another body.
#[tracing::instrument(skip_all, fields(user_id = %user_id))]
pub async fn create_once(
    db: &Db,
    user_id: &str,
    input: NewTask,
    key: Option<&IdempotencyKey>,
) -> Result<Created> {
    let monthly = input.recurrence_pattern == Some(RecurrencePattern::Monthly);
    let needs_zone =
        rules::needs_timezone(input.due_date.as_ref()) || (monthly && input.due_date.is_some());
    let tz = zone_if_needed(db, user_id, needs_zone).await?;
    let asked_project = input.project_id;
    let owner = owner_for_new(db, user_id, input.project_id, input.parent_id).await?;
    let owner = owner.as_str();
    let mut fields = rules::new_task(input, tz)?;
    place(db, owner, &mut fields, None, asked_project).await?;
    let now = db::now();
    let completed_at = fields.completed.then_some(now);
    let dialect = db.dialect();
    let Some(key) = key else {
        let task = if let Some(parent) = fields.parent_id {
            with_writer!(db, |conn| {
                let mut tx = begin_placing!(conn, dialect, owner);
                placed!(&mut *tx, owner, parent, Uuid::nil(), fields.project_id);
                let task = insert_task!(&mut *tx, owner, user_id, &fields, completed_at, now);
                tx.commit().await?;
                task
            })
        } else {
            with_writer!(db, |conn| insert_task!(
                conn,
                owner,
                user_id,
                &fields,
                completed_at,
                now
            ))
        };
        return Ok(Created::New(Box::new(task)));
    };
    with_writer!(db, |conn| {
        let mut tx = if fields.parent_id.is_some() {
            begin_placing!(conn, dialect, owner)
        } else {
            conn.begin_write().await?
        };
        let stored: Option<StoredAnswer> = sqlx::query_as(STORED_ANSWER)
            .bind(user_id)
            .bind(&key.key)
            .bind(now - IDEMPOTENCY_TTL)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(stored) = stored {
            tx.rollback().await?;
            return Ok(replay(stored, key));
        }
        if let Some(parent) = fields.parent_id {
            placed!(&mut *tx, owner, parent, Uuid::nil(), fields.project_id);
        }
        let task = insert_task!(&mut *tx, owner, user_id, &fields, completed_at, now);
        let response = serde_json::to_string(&task).map_err(anyhow::Error::from)?;
        // An expired entry under the same key is replaced.
        sqlx::query(
            "delete from idempotency_key where user_id = $1 and key = $2 and created_at <= $3",
        )
        .bind(user_id)
        .bind(&key.key)
        .bind(now - IDEMPOTENCY_TTL)
        .execute(&mut *tx)
        .await?;
        let recorded = sqlx::query(
            "insert into idempotency_key (user_id, key, fingerprint, status, response, created_at)
             values ($1, $2, $3, 201, $4, $5)",
        )
        .bind(user_id)
        .bind(&key.key)
        .bind(&key.fingerprint)
        .bind(response)
        .bind(now)
        .execute(&mut *tx)
        .await;
        match recorded {
            Ok(_) => {}
            Err(err) if db::is_unique_violation(&err) => {
                // A concurrent request with this key committed first: answer as it did,
                // and roll back the task this one made.
                tx.rollback().await?;
                let stored: Option<StoredAnswer> = sqlx::query_as(STORED_ANSWER)
                    .bind(user_id)
                    .bind(&key.key)
                    .bind(now - IDEMPOTENCY_TTL)
                    .fetch_optional(conn)
                    .await?;
                return Ok(stored.map_or(Err(err.into()), |stored| replay(stored, key)));
            }
            Err(err) => return Err(err.into()),
        }
        tx.commit().await?;
        Ok(Created::New(Box::new(task)))
    })
}

/// Fingerprint, status and body remembered for a key.
type StoredAnswer = (String, i32, String);

const STORED_ANSWER: &str = "select fingerprint, status, response from idempotency_key
     where user_id = $1 and key = $2 and created_at > $3";

fn replay((fingerprint, status, body): StoredAnswer, key: &IdempotencyKey) -> Result<Created> {
    if fingerprint != key.fingerprint {
        return Err(ApiError::invalid(
            "Idempotency-Key",
            "was already used with a different request body; use a new key for a new request",
        ));
    }
    let status = u16::try_from(status).unwrap_or(201);
    Ok(Created::Replayed { status, body })
}

/// Forgets idempotency keys older than [`IDEMPOTENCY_TTL`].
///
/// # Errors
/// Database failure.
pub async fn forget_expired_idempotency_keys(db: &Db) -> Result<u64> {
    let cutoff = db::now() - IDEMPOTENCY_TTL;
    Ok(with_writer!(db, |conn| {
        sqlx::query("delete from idempotency_key where created_at <= $1")
            .bind(cutoff)
            .execute(conn)
            .await
            .map(|done| done.rows_affected())
    })?)
}

/// Writes `$fields` over `$current` through `$executor` unless its version changed meanwhile;
/// the task as written, if it was. A task given a new place without a position goes after its
/// new siblings.
macro_rules! update_task {
    ($executor:expr, $user_id:expr, $current:expr, $fields:expr, $completed_at:expr, $now:expr) => {{
        let current: &Task = $current;
        let fields: &TaskFields = $fields;
        sqlx::query_as::<_, Task>(concat!(
            "update task set title = $1, description = $2, completed = $3, priority = $4,
                 tags = $5, due_date = $6, is_recurring = $7, recurrence_pattern = $8,
                 recurrence_interval = $9, completed_at = $10, updated_at = $11,
                 recurrence_anchor_day = $15, project_id = coalesce($16, project_id),
                 parent_id = $17, assignee_id = $19,
                 position = coalesce($18, coalesce(case when $17 is null
                     then (select max(position) from task
                           where parent_id is null and project_id = coalesce($16, task.project_id))
                     else (select max(position) from task where parent_id = $17) end, 0) + 1),
                 version = version + 1
             where id = $12 and user_id = $13 and version = $14
             returning ",
            task_columns!()
        ))
        .bind(&fields.title)
        .bind(&fields.description)
        .bind(fields.completed)
        .bind(fields.priority)
        .bind(Json(&fields.tags))
        .bind(fields.due_date)
        .bind(fields.is_recurring)
        .bind(fields.recurrence_pattern)
        .bind(fields.recurrence_interval)
        .bind($completed_at)
        .bind($now)
        .bind(current.id)
        .bind($user_id)
        .bind(current.version)
        .bind(fields.recurrence_anchor_day)
        .bind(fields.project_id)
        .bind(fields.parent_id)
        .bind(fields.position)
        .bind(&fields.assignee_id)
        .fetch_optional($executor)
        .await
        .map_err(|err| gone_or(err, fields))?
    }};
}

/// Applies a partial update. Concurrent writers are detected through `version` and the update
/// is re-applied on the fresh row, so no write is silently lost.
///
/// # Errors
/// 404 when the task is not the user's; 422 on invalid fields.
#[tracing::instrument(skip_all, fields(user_id = %user_id))]
pub async fn update(
    db: &Db,
    user_id: &str,
    task: TaskRef,
    patch: TaskPatch,
    precondition: &Precondition,
) -> Result<Task> {
    let due_needs_zone = patch
        .due_date
        .as_ref()
        .is_some_and(|d| rules::needs_timezone(d.as_ref()));
    let tz = zone_if_needed(db, user_id, due_needs_zone).await?;
    loop {
        let current = get(db, user_id, task).await?;
        check_writable(db, user_id, &current).await?;
        if !precondition.allows(current.version) {
            return Err(ApiError::PreconditionFailed);
        }
        let owner = current.user_id.as_str();
        let mut fields = rules::apply_patch(TaskFields::of(&current), patch.clone(), tz)?;
        let new_parent = fields.parent_id.filter(|p| Some(*p) != current.parent_id);
        let asked_project = patch.project_id.filter(|p| *p != current.project_id);
        place(db, owner, &mut fields, Some(&current), asked_project).await?;
        let now = db::now();
        let completed_at = match (current.completed, fields.completed) {
            (false, true) => Some(now),
            (true, true) => current.completed_at,
            (_, false) => None,
        };
        let dialect = db.dialect();
        let updated = with_writer!(db, |conn| {
            if let Some(parent) = new_parent {
                let mut tx = begin_placing!(conn, dialect, owner);
                placed!(&mut *tx, owner, parent, current.id, fields.project_id);
                let updated = update_task!(&mut *tx, owner, &current, &fields, completed_at, now);
                tx.commit().await?;
                updated
            } else {
                update_task!(conn, owner, &current, &fields, completed_at, now)
            }
        });
        if let Some(updated) = updated {
            return Ok(updated);
        }
    }
}

/// Sets (or, with `None`, toggles) completion. Completing a recurring task creates its next
/// occurrence in the same transaction; of concurrent completions only one changes the row, so
/// only one next occurrence is ever created.
///
/// # Errors
/// 404 when the task is not the user's.
#[tracing::instrument(skip_all, fields(user_id = %user_id))]
pub async fn set_completed(
    db: &Db,
    user_id: &str,
    task: TaskRef,
    completed: Option<bool>,
    precondition: &Precondition,
) -> Result<CompletedTask> {
    let current = get(db, user_id, task).await?;
    check_writable(db, user_id, &current).await?;
    if !precondition.allows(current.version) {
        return Err(ApiError::PreconditionFailed);
    }
    let owner = current.user_id.as_str();
    let target = completed.unwrap_or(!current.completed);
    let tz = if target && current.is_recurring {
        crate::auth::service::timezone(db, user_id).await?
    } else {
        chrono_tz::UTC
    };
    let now = db::now();
    let pinned = precondition.pinned(current.version);
    let (changed, next_occurrence) = if target && current.is_recurring {
        // The next occurrence is created with the completion, atomically: of concurrent
        // completions only one changes the row, so only one creates it.
        with_writer!(db, |conn| {
            let mut tx = conn.begin_write().await?;
            let changed = complete_task!(&mut *tx, owner, current.id, target, now, pinned);
            let next = match changed
                .as_ref()
                .and_then(|done| next_occurrence(done, tz, now))
            {
                Some(fields) => {
                    let next = insert_task!(
                        &mut *tx,
                        owner,
                        current.created_by.as_deref(),
                        &fields,
                        None::<DateTime<Utc>>,
                        now
                    );
                    if let Some(done) = &changed {
                        copy_subtasks!(&mut *tx, owner, done, &next, now);
                    }
                    Some(next)
                }
                None => None,
            };
            tx.commit().await?;
            (changed, next)
        })
    } else {
        let changed = with_writer!(db, |conn| complete_task!(
            conn, owner, current.id, target, now, pinned
        ));
        (changed, None)
    };
    if let Some(task) = changed {
        return Ok(CompletedTask {
            task,
            next_occurrence,
        });
    }
    // Already in the requested state (or a concurrent request got there first).
    let latest = get(db, user_id, task).await?;
    if !precondition.allows(latest.version) {
        return Err(ApiError::PreconditionFailed);
    }
    Ok(CompletedTask {
        task: latest,
        next_occurrence: None,
    })
}

/// The fields of the occurrence that follows `done`, if it recurs.
fn next_occurrence(done: &Task, tz: Tz, completed_at: DateTime<Utc>) -> Option<TaskFields> {
    let pattern = done
        .recurrence_pattern
        .filter(|_| done.is_recurring && done.completed)?;
    let due = dates::next_due(
        done.due_date,
        pattern,
        done.recurrence_interval,
        done.recurrence_anchor_day,
        tz,
        completed_at,
    );
    Some(TaskFields {
        completed: false,
        due_date: Some(due),
        ..TaskFields::of(done)
    })
}

/// Deletes a task (the user's, or one of a project shared with them as editor or admin) and
/// returns its id.
///
/// # Errors
/// 404 when the user cannot see the task, 403 for a viewer.
#[tracing::instrument(skip_all, fields(user_id = %user_id))]
pub async fn delete(
    db: &Db,
    user_id: &str,
    task: TaskRef,
    precondition: &Precondition,
) -> Result<Uuid> {
    // One statement for the common case, the user's own task without a precondition; a
    // member's task, or a pinned version, is read first.
    if let Precondition::None = precondition {
        let (id, number) = match task {
            TaskRef::Id(id) => (Some(id), None),
            TaskRef::Number(number) => (None, Some(number)),
        };
        if let Some(deleted) = delete_row(db, user_id, id, number, None).await? {
            return Ok(deleted);
        }
        if let TaskRef::Number(_) = task {
            return Err(TASK_NOT_FOUND);
        }
    }
    let current = get(db, user_id, task).await?;
    check_writable(db, user_id, &current).await?;
    if !precondition.allows(current.version) {
        return Err(ApiError::PreconditionFailed);
    }
    // With a precondition, pin the exact version read, so a change in between cannot be
    // deleted unseen.
    let pinned = precondition.pinned(current.version);
    let deleted = delete_row(db, &current.user_id, Some(current.id), None, pinned).await?;
    deleted.ok_or(if pinned.is_some() {
        ApiError::PreconditionFailed
    } else {
        TASK_NOT_FOUND
    })
}

/// Deletes the task of `owner` with `id` or `number` (at `version`, when given); its id, if
/// one was.
async fn delete_row(
    db: &Db,
    owner: &str,
    id: Option<Uuid>,
    number: Option<i64>,
    version: Option<i64>,
) -> Result<Option<Uuid>> {
    Ok(with_writer!(db, |conn| {
        sqlx::query_scalar(
            "delete from task
             where user_id = $1 and (id = $2 or number = $3) and ($4 is null or version = $4)
             returning id",
        )
        .bind(owner)
        .bind(id)
        .bind(number)
        .bind(version)
        .fetch_optional(conn)
        .await
    })?)
}

/// Counts of the user's own tasks, or of a project's they own or are a member of.
///
/// # Errors
/// 404 for a project the user cannot see.
#[tracing::instrument(skip_all, fields(user_id = %user))]
pub async fn stats(db: &Db, user: &str, project: Option<Uuid>) -> Result<TaskStats> {
    let owner = match project {
        Some(project) => project_owner(db, user, project).await?.0,
        None => user.to_owned(),
    };
    let user_id = owner.as_str();
    type Counts = (i64, i64, i64, i64, i64, i64, i64);
    let (total, completed, overdue, high, medium, low, none): Counts = with_pool!(db, |conn| {
        sqlx::query_as(
            "select count(*),
                 count(*) filter (where completed),
                 count(*) filter (where not completed and due_date < $2),
                 count(*) filter (where priority = $3),
                 count(*) filter (where priority = $4),
                 count(*) filter (where priority = $5),
                 count(*) filter (where priority = $6)
             from task where user_id = $1 and ($7 is null or project_id = $7)",
        )
        .bind(user_id)
        .bind(Utc::now())
        .bind(Priority::High)
        .bind(Priority::Medium)
        .bind(Priority::Low)
        .bind(Priority::None)
        .bind(project)
        .fetch_one(conn)
        .await
    })?;
    Ok(TaskStats {
        total,
        completed,
        pending: total - completed,
        overdue,
        by_priority: PriorityCounts {
            HIGH: high,
            MEDIUM: medium,
            LOW: low,
            NONE: none,
        },
    })
}

/// The user's zone, looked up only when some input needs it.
async fn zone_if_needed(db: &Db, user_id: &str, needed: bool) -> Result<Tz> {
    if needed {
        crate::auth::service::timezone(db, user_id).await
    } else {
        Ok(chrono_tz::UTC)
    }
}

/// A deleted task as it was, read back from the record of its deletion (chat's `undo`).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct DeletedTask {
    /// Its id, given back.
    pub id: Uuid,
    /// Its number, given back (never taken by another task: numbers are not reused).
    pub number: i64,
    /// Its project, given back while it is still the user's.
    #[serde(default)]
    pub project_id: Option<Uuid>,
    /// Its parent, given back while that still exists (then in the parent's project).
    #[serde(default)]
    pub parent_id: Option<Uuid>,
    /// Its place among its siblings.
    #[serde(default)]
    pub position: Option<i64>,
    /// Title.
    pub title: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Done or not.
    #[serde(default)]
    pub completed: bool,
    /// Importance.
    #[serde(default)]
    pub priority: Priority,
    /// Labels.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Due instant.
    #[serde(default)]
    pub due_date: Option<DateTime<Utc>>,
    /// Whether it repeats.
    #[serde(default)]
    pub is_recurring: bool,
    /// How it repeats.
    #[serde(default)]
    pub recurrence_pattern: Option<RecurrencePattern>,
    /// Every how many periods.
    #[serde(default = "one")]
    pub recurrence_interval: i32,
    /// When it was first created.
    pub created_at: DateTime<Utc>,
    /// When it was completed.
    #[serde(default)]
    pub completed_at: Option<DateTime<Utc>>,
}

const fn one() -> i32 {
    1
}

/// Puts a deleted task back with its id and number.
///
/// # Errors
/// 409 when a task with that id or number exists (it was never deleted, or is back already);
/// 422 when its fields no longer pass the rules.
#[tracing::instrument(skip_all, fields(user_id = %user_id))]
pub async fn restore(db: &Db, user_id: &str, task: DeletedTask) -> Result<Task> {
    const TAKEN: ApiError = ApiError::Conflict("that task exists already");
    let tz = crate::auth::service::timezone(db, user_id).await?;
    let fields = rules::new_task(
        NewTask {
            title: Some(task.title),
            description: task.description,
            completed: Some(task.completed),
            priority: Some(task.priority),
            tags: Some(task.tags),
            due_date: task
                .due_date
                .map(|d| DueDateInput(d.format("%Y-%m-%dT%H:%M:%SZ").to_string())),
            is_recurring: Some(task.is_recurring),
            recurrence_pattern: task.recurrence_pattern,
            recurrence_interval: Some(task.recurrence_interval),
            ..NewTask::default()
        },
        tz,
    )?;
    let now = db::now();
    let completed_at = if fields.completed {
        Some(task.completed_at.unwrap_or(now))
    } else {
        None
    };
    with_writer!(db, |conn| {
        let mut tx = conn.begin_write().await?;
        // On PostgreSQL the insert trigger hands out a fresh number; the update right after
        // gives the old one back (free: numbers are never reused). SQLite keeps it as sent.
        let inserted = sqlx::query(
            "insert into task (id, user_id, number, title, description, completed, priority, tags,
                 due_date, is_recurring, recurrence_pattern, recurrence_interval, created_at,
                 updated_at, completed_at, recurrence_anchor_day, project_id, parent_id, position,
                 created_by)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                 -- Back under its parent while that exists, else in its project while that is
                 -- still the user's, else in the Inbox.
                 coalesce((select t.project_id from task t where t.id = $18 and t.user_id = $2),
                     (select p.id from project p where p.id = $17 and p.owner_id = $2),
                     (select p.id from project p where p.owner_id = $2 and p.is_inbox)),
                 (select t.id from task t where t.id = $18 and t.user_id = $2),
                 $19, $2)",
        )
        .bind(task.id)
        .bind(user_id)
        .bind(task.number)
        .bind(&fields.title)
        .bind(&fields.description)
        .bind(fields.completed)
        .bind(fields.priority)
        .bind(Json(&fields.tags))
        .bind(fields.due_date)
        .bind(fields.is_recurring)
        .bind(fields.recurrence_pattern)
        .bind(fields.recurrence_interval)
        .bind(task.created_at)
        .bind(now)
        .bind(completed_at)
        .bind(fields.recurrence_anchor_day)
        .bind(task.project_id)
        .bind(task.parent_id)
        .bind(task.position.unwrap_or(task.number))
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(err) if db::is_unique_violation(&err) => {
                tx.rollback().await?;
                return Err(TAKEN);
            }
            Err(err) => return Err(err.into()),
        }
        let renumbered = sqlx::query_as::<_, Task>(concat!(
            "update task set number = $3 where user_id = $1 and id = $2 returning ",
            task_columns!()
        ))
        .bind(user_id)
        .bind(task.id)
        .bind(task.number)
        .fetch_one(&mut *tx)
        .await;
        match renumbered {
            Ok(restored) => {
                tx.commit().await?;
                Ok(restored)
            }
            Err(err) if db::is_unique_violation(&err) => {
                tx.rollback().await?;
                Err(TAKEN)
            }
            Err(err) => Err(err.into()),
        }
    })
}
