//! The import's SQL: one transaction that places every row of a checked document, then writes
//! the new ones in multi-row statements.

use std::collections::{HashMap, HashSet};

use sqlx::{AssertSqlSafe, types::Json};
use uuid::Uuid;

use super::import::{
    CANDIDATES, CheckedConversation, CheckedMessage, CheckedTask, Placement, candidates, place,
};
use super::model::ImportReport;
use crate::db::{BeginWrite, Db, Dialect, is_unique_violation};
use crate::error::{ApiError, FieldError, Result};
use crate::with_writer;

/// Rows whose candidate ids are looked up per query (`CANDIDATES` binds each).
const LOOKUP_ROWS: usize = 300;
/// Rows per insert statement (under SQLite's and PostgreSQL's bind limits at 19 columns).
const INSERT_ROWS: usize = 100;

const TASK_OWNERS: &str = "select id, user_id = $1 from task where id in ";
const CONVERSATION_OWNERS: &str = "select id, user_id = $1 from conversation where id in ";
const MESSAGE_OWNERS: &str = "select m.id, c.user_id = $1 from chat_message m
     join conversation c on c.id = m.conversation_id where m.id in ";
const INSERT_TASKS: &str = "insert into task (id, user_id, number, title, description, completed,
     priority, tags, due_date, is_recurring, recurrence_pattern, recurrence_interval, created_at,
     updated_at, completed_at, recurrence_anchor_day, project_id, position, created_by) values ";
const INSERT_CONVERSATIONS: &str = "insert into conversation
     (id, user_id, title, message_count, created_at, updated_at) values ";
const INSERT_MESSAGES: &str = "insert into chat_message
     (id, conversation_id, seq, role, content, tool_calls, created_at) values ";

/// Which of `ids` exist in a table and whether they are `user_id`'s, through `$tx`.
macro_rules! owners {
    ($tx:expr, $select:expr, $user_id:expr, $ids:expr) => {{
        let ids: &[Uuid] = $ids;
        let sql = format!("{}({})", $select, placeholders(2, ids.len()));
        let mut query = sqlx::query_as::<_, (Uuid, bool)>(AssertSqlSafe(sql)).bind($user_id);
        for id in ids {
            query = query.bind(*id);
        }
        query
            .fetch_all(&mut *$tx)
            .await?
            .into_iter()
            .collect::<HashMap<Uuid, bool>>()
    }};
}

/// Runs a multi-row insert of `$rows` through `$tx`, binding each row with `$bind`.
macro_rules! insert_rows {
    ($tx:expr, $insert:expr, $columns:expr, $rows:expr, |$query:ident, $row:ident| $bind:expr) => {
        for chunk in $rows.chunks(INSERT_ROWS) {
            let sql = format!("{}{}", $insert, values(chunk.len(), $columns));
            let mut $query = sqlx::query(AssertSqlSafe(sql));
            for $row in chunk {
                $query = $bind;
            }
            $query.execute(&mut *$tx).await.map_err(raced)?;
        }
    };
}

/// Places and writes `tasks` and `conversations` for `user_id` in one transaction.
///
/// # Errors
/// 422 when every candidate id of a row is taken; 409 on a concurrent write of the same ids;
/// 401 when the user no longer exists.
pub async fn merge(
    db: &Db,
    user_id: &str,
    tasks: &[CheckedTask],
    conversations: &[CheckedConversation],
) -> Result<ImportReport> {
    let postgres = db.dialect() == Dialect::Postgres;
    // PostgreSQL: the user row stays locked until commit, so the numbers handed out below are
    // the account's next ones whatever else writes its tasks meanwhile (SQLite: one writer).
    let sequence = if postgres {
        "select task_seq from app_user where id = $1 for update"
    } else {
        "select task_seq from app_user where id = $1"
    };
    with_writer!(db, |conn| {
        let mut tx = conn.begin_write().await?;
        let seq: Option<i64> = sqlx::query_scalar(sequence)
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(seq) = seq else {
            return Err(ApiError::Unauthorized("the token's user no longer exists"));
        };
        // Imported tasks go to the Inbox.
        let inbox: Uuid =
            sqlx::query_scalar("select id from project where owner_id = $1 and is_inbox")
                .bind(user_id)
                .fetch_one(&mut *tx)
                .await?;
        if postgres {
            // Migration 30: the insert trigger leaves numbering and counting to this import.
            sqlx::query("select set_config('tudu.bulk_insert', 'on', true)")
                .execute(&mut *tx)
                .await?;
        }
        let mut report = ImportReport::default();

        let task_ids = candidate_rows(user_id, tasks.iter().map(|t| t.original));
        let mut placed = Vec::with_capacity(tasks.len());
        let mut taken = HashSet::new();
        for (chunk_index, chunk) in task_ids.chunks(LOOKUP_ROWS).enumerate() {
            let owners = owners!(tx, TASK_OWNERS, user_id, chunk.as_flattened());
            let path = |i: usize| format!("tasks[{}].id", chunk_index * LOOKUP_ROWS + i);
            placed.extend(placements(chunk, &owners, &mut taken, path)?);
        }
        let new_tasks: Vec<(Uuid, &CheckedTask)> = placed
            .iter()
            .zip(tasks)
            .filter_map(|(id, task)| id.map(|id| (id, task)))
            .collect();
        report.tasks_created = count(new_tasks.len());
        report.tasks_skipped = count(tasks.len() - new_tasks.len());
        let numbered: Vec<(i64, &(Uuid, &CheckedTask))> = (seq + 1..).zip(&new_tasks).collect();
        insert_rows!(tx, INSERT_TASKS, 19, numbered, |query, row| {
            let (number, (id, task)) = row;
            let fields = &task.fields;
            query
                .bind(*id)
                .bind(user_id)
                .bind(*number)
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
                .bind(task.updated_at)
                .bind(task.completed_at)
                .bind(fields.recurrence_anchor_day)
                .bind(inbox)
                // The import is flat: every task at the Inbox's top level, in its order.
                .bind(fields.position.unwrap_or(*number))
                .bind(user_id)
        });
        if postgres && !new_tasks.is_empty() {
            let completed = new_tasks.iter().filter(|(_, t)| t.fields.completed).count();
            sqlx::query(
                "update app_user set task_seq = task_seq + $2, task_count = task_count + $2,
                     completed_count = completed_count + $3, list_version = list_version + 1
                 where id = $1",
            )
            .bind(user_id)
            .bind(i64::try_from(new_tasks.len()).unwrap_or(i64::MAX))
            .bind(i64::try_from(completed).unwrap_or(i64::MAX))
            .execute(&mut *tx)
            .await?;
        }

        let conversation_ids = candidate_rows(user_id, conversations.iter().map(|c| c.original));
        let mut placed = Vec::with_capacity(conversations.len());
        let mut taken = HashSet::new();
        for (chunk_index, chunk) in conversation_ids.chunks(LOOKUP_ROWS).enumerate() {
            let owners = owners!(tx, CONVERSATION_OWNERS, user_id, chunk.as_flattened());
            let path = |i: usize| format!("conversations[{}].id", chunk_index * LOOKUP_ROWS + i);
            placed.extend(placements(chunk, &owners, &mut taken, path)?);
        }
        // (index in the document, id written under, conversation)
        let new_conversations: Vec<(usize, Uuid, &CheckedConversation)> = placed
            .iter()
            .zip(conversations)
            .enumerate()
            .filter_map(|(index, (id, conversation))| id.map(|id| (index, id, conversation)))
            .collect();
        report.conversations_created = count(new_conversations.len());
        report.conversations_skipped = count(conversations.len() - new_conversations.len());
        report.messages_skipped = conversations
            .iter()
            .zip(&placed)
            .filter(|(_, id)| id.is_none())
            .map(|(c, _)| count(c.messages.len()))
            .sum();

        // (conversation's index in the document, message's index in it, conversation id, message)
        let messages: Vec<(usize, usize, Uuid, &CheckedMessage)> = new_conversations
            .iter()
            .flat_map(|(index, id, c)| {
                c.messages
                    .iter()
                    .enumerate()
                    .map(move |(i, m)| (*index, i, *id, m))
            })
            .collect();
        let message_ids = candidate_rows(user_id, messages.iter().map(|m| m.3.original));
        let mut placed = Vec::with_capacity(messages.len());
        let mut taken = HashSet::new();
        for (chunk_index, chunk) in message_ids.chunks(LOOKUP_ROWS).enumerate() {
            let owners = owners!(tx, MESSAGE_OWNERS, user_id, chunk.as_flattened());
            let path = |i: usize| {
                let (conversation, message, _, _) = messages[chunk_index * LOOKUP_ROWS + i];
                format!("conversations[{conversation}].messages[{message}].id")
            };
            placed.extend(placements(chunk, &owners, &mut taken, path)?);
        }
        let mut positions: HashMap<Uuid, i64> = HashMap::new();
        let new_messages: Vec<(Uuid, Uuid, i64, &CheckedMessage)> = placed
            .iter()
            .zip(&messages)
            .filter_map(|(id, (_, _, conversation, message))| {
                let position = positions.entry(*conversation).or_insert(0);
                id.map(|id| {
                    *position += 1;
                    (id, *conversation, *position, *message)
                })
            })
            .collect();
        report.messages_created = count(new_messages.len());
        report.messages_skipped += count(messages.len() - new_messages.len());

        insert_rows!(
            tx,
            INSERT_CONVERSATIONS,
            6,
            new_conversations,
            |query, row| {
                let (_, id, conversation) = row;
                query
                    .bind(*id)
                    .bind(user_id)
                    .bind(&conversation.title)
                    .bind(positions.get(id).copied().unwrap_or(0))
                    .bind(conversation.created_at)
                    .bind(conversation.updated_at)
            }
        );
        insert_rows!(tx, INSERT_MESSAGES, 7, new_messages, |query, row| {
            let (id, conversation, seq, message) = row;
            query
                .bind(*id)
                .bind(*conversation)
                .bind(*seq)
                .bind(message.role.as_str())
                .bind(&message.content)
                .bind(Json(&message.tool_calls))
                .bind(message.created_at)
        });
        tx.commit().await?;
        Ok(report)
    })
}

/// The candidate ids of each row.
fn candidate_rows(user_id: &str, originals: impl Iterator<Item = Uuid>) -> Vec<[Uuid; CANDIDATES]> {
    originals
        .map(|original| candidates(user_id, original))
        .collect()
}

/// The id each row of a lookup chunk is written under (`None`: skipped); a collision is a
/// 422 on the row's `path`.
fn placements(
    chunk: &[[Uuid; CANDIDATES]],
    owners: &HashMap<Uuid, bool>,
    taken: &mut HashSet<Uuid>,
    path: impl Fn(usize) -> String,
) -> Result<Vec<Option<Uuid>>> {
    chunk
        .iter()
        .enumerate()
        .map(|(i, ids)| match place(ids, owners, taken) {
            Placement::Skip => Ok(None),
            Placement::Create(id) => Ok(Some(id)),
            Placement::Collides => Err(ApiError::Validation(vec![FieldError::new(
                path(i),
                "collides with ids already in use; give it a new id",
            )])),
        })
        .collect()
}

/// `$first, $first+1, …` for `n` binds.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `($1, …, $c), ($c+1, …)` for `rows` rows of `columns` binds.
fn values(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|row| format!("({})", placeholders(row * columns + 1, columns)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// A unique violation here means a concurrent import wrote one of the same ids first.
fn raced(err: sqlx::Error) -> ApiError {
    if is_unique_violation(&err) {
        ApiError::Conflict("a concurrent write took one of the document's ids; send it again")
    } else {
        err.into()
    }
}
