//! The only chat SQL: conversations and their messages, always scoped to their owner.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use uuid::Uuid;

use super::agent::{PastMessage, Role};
use super::model::{Conversation, ConversationSummary, Message};
use super::tools::ToolCall;
use crate::db::{BeginWrite, Db};
use crate::error::{ApiError, Result};
use crate::{with_pool, with_writer};

/// A conversation row: id, title, message count, created, updated.
type SummaryRow = (Uuid, String, i64, DateTime<Utc>, DateTime<Utc>);
/// A message row: id, role, content, tool calls, created.
type MessageRow = (Uuid, String, String, Json<Vec<ToolCall>>, DateTime<Utc>);

const CONVERSATION_NOT_FOUND: ApiError = ApiError::NotFound("conversation not found");
/// Characters of the first message kept as a conversation's title.
const TITLE_CHARS: usize = 80;

/// Hands out the next message position of one of the user's conversations inside the open
/// transaction `$tx` (locking its row, so concurrent turns queue); `None` when it is not theirs.
macro_rules! next_seq {
    ($tx:expr, $conversation_id:expr, $user_id:expr, $now:expr) => {
        sqlx::query_scalar::<_, i64>(
            "update conversation set message_count = message_count + 1, updated_at = $3
             where id = $1 and user_id = $2
             returning message_count",
        )
        .bind($conversation_id)
        .bind($user_id)
        .bind($now)
        .fetch_optional(&mut *$tx)
        .await
    };
}

/// Inserts one message at `seq` inside the open transaction `$tx` (a macro so the same
/// statement serves both backends' transaction types).
macro_rules! insert_message {
    ($tx:expr, $conversation_id:expr, $seq:expr, $role:expr, $content:expr, $tool_calls:expr, $now:expr) => {
        sqlx::query(
            "insert into chat_message (id, conversation_id, seq, role, content, tool_calls, created_at)
             values ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(Uuid::now_v7())
        .bind($conversation_id)
        .bind($seq)
        .bind($role.as_str())
        .bind($content)
        .bind(Json($tool_calls))
        .bind($now)
        .execute(&mut *$tx)
        .await
    };
}

/// A user's message, stored, with the conversation it belongs to.
#[derive(Debug, Clone)]
pub struct OpenedTurn {
    /// The conversation (new or continued).
    pub conversation_id: Uuid,
    /// The most recent messages before this one, oldest first.
    pub history: Vec<PastMessage>,
}

/// Stores the user's message, starting a conversation when `conversation` is `None`, and
/// returns up to `history_len` earlier messages. Committed before the agent runs, so the
/// message is kept whatever happens next.
///
/// # Errors
/// 404 when `conversation` is not one of the user's.
pub async fn open_turn(
    db: &Db,
    user_id: &str,
    conversation: Option<Uuid>,
    message: &str,
    history_len: usize,
) -> Result<OpenedTurn> {
    let now = crate::db::now();
    let history_len = i64::try_from(history_len).unwrap_or(i64::MAX);
    with_writer!(db, |conn| {
        let mut tx = conn.begin_write().await?;
        let conversation_id = match conversation {
            Some(id) => id,
            None => {
                let id = Uuid::now_v7();
                sqlx::query(
                    "insert into conversation (id, user_id, title, created_at, updated_at)
                     values ($1, $2, $3, $4, $4)",
                )
                .bind(id)
                .bind(user_id)
                .bind(title_of(message))
                .bind(now)
                .execute(&mut *tx)
                .await?;
                id
            }
        };
        let Some(seq) = next_seq!(tx, conversation_id, user_id, now)? else {
            tx.rollback().await?;
            return Err(CONVERSATION_NOT_FOUND);
        };
        let rows: Vec<(String, String, Json<Vec<ToolCall>>)> = sqlx::query_as(
            "select role, content, tool_calls from chat_message
             where conversation_id = $1 and seq < $2
             order by seq desc limit $3",
        )
        .bind(conversation_id)
        .bind(seq)
        .bind(history_len)
        .fetch_all(&mut *tx)
        .await?;
        let no_calls: &[ToolCall] = &[];
        insert_message!(tx, conversation_id, seq, Role::User, message, no_calls, now)?;
        tx.commit().await?;
        let history = rows
            .into_iter()
            .rev()
            .filter_map(|(role, content, Json(tool_calls))| {
                Some(PastMessage {
                    role: Role::parse(&role)?,
                    content,
                    tool_calls,
                })
            })
            .collect();
        Ok(OpenedTurn {
            conversation_id,
            history,
        })
    })
}

/// Stores the agent's reply and the tool calls behind it.
///
/// # Errors
/// 404 when the conversation was deleted while the agent ran.
pub async fn close_turn(
    db: &Db,
    user_id: &str,
    conversation_id: Uuid,
    reply: &str,
    tool_calls: &[ToolCall],
) -> Result<()> {
    let now = crate::db::now();
    with_writer!(db, |conn| {
        let mut tx = conn.begin_write().await?;
        let Some(seq) = next_seq!(tx, conversation_id, user_id, now)? else {
            tx.rollback().await?;
            return Err(CONVERSATION_NOT_FOUND);
        };
        insert_message!(
            tx,
            conversation_id,
            seq,
            Role::Assistant,
            reply,
            tool_calls,
            now
        )?;
        tx.commit().await?;
        Ok(())
    })
}

/// Where a page of the conversation list ends: its last conversation's `updated_at` and id
/// (the list's order), sent to clients as an opaque cursor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationCursor {
    #[serde(rename = "u")]
    updated_at: DateTime<Utc>,
    #[serde(rename = "i")]
    id: Uuid,
}

impl ConversationCursor {
    /// The position just after `last`.
    #[must_use]
    pub fn after(last: &ConversationSummary) -> Self {
        Self {
            updated_at: last.updated_at,
            id: last.id,
        }
    }
}

/// Up to `limit` of the user's conversations, most recently active first, starting after
/// `after` when given. Conversations continued or deleted between pages cannot shift the rest:
/// the position is a value, not an offset.
///
/// # Errors
/// The database failed.
pub async fn list(
    db: &Db,
    user_id: &str,
    limit: i64,
    after: Option<&ConversationCursor>,
) -> Result<Vec<ConversationSummary>> {
    let rows: Vec<SummaryRow> = with_pool!(db, |conn| {
        match after {
            None => {
                sqlx::query_as(
                    "select id, title, message_count, created_at, updated_at from conversation
                     where user_id = $1
                     order by updated_at desc, id desc
                     limit $2",
                )
                .bind(user_id)
                .bind(limit)
                .fetch_all(conn)
                .await
            }
            Some(cursor) => {
                sqlx::query_as(
                    "select id, title, message_count, created_at, updated_at from conversation
                     where user_id = $1
                       and (updated_at < $2 or (updated_at = $2 and id < $3))
                     order by updated_at desc, id desc
                     limit $4",
                )
                .bind(user_id)
                .bind(cursor.updated_at)
                .bind(cursor.id)
                .bind(limit)
                .fetch_all(conn)
                .await
            }
        }
    })?;
    Ok(rows
        .into_iter()
        .map(
            |(id, title, message_count, created_at, updated_at)| ConversationSummary {
                id,
                title,
                message_count,
                created_at,
                updated_at,
            },
        )
        .collect())
}

/// One of the user's conversations with its messages in order.
///
/// # Errors
/// 404 when it is not one of the user's.
pub async fn get(db: &Db, user_id: &str, id: Uuid) -> Result<Conversation> {
    with_pool!(db, |conn| {
        let mut tx = sqlx::Connection::begin(conn).await?;
        let head: Option<(String, DateTime<Utc>, DateTime<Utc>)> = sqlx::query_as(
            "select title, created_at, updated_at from conversation where id = $1 and user_id = $2",
        )
        .bind(id)
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((title, created_at, updated_at)) = head else {
            return Err(CONVERSATION_NOT_FOUND);
        };
        let rows: Vec<MessageRow> = sqlx::query_as(
            "select id, role, content, tool_calls, created_at from chat_message
                 where conversation_id = $1 order by seq",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let messages = rows
            .into_iter()
            .filter_map(|(id, role, content, Json(tool_calls), created_at)| {
                Some(Message {
                    id,
                    role: Role::parse(&role)?,
                    content,
                    tool_calls,
                    created_at,
                })
            })
            .collect();
        Ok(Conversation {
            id,
            title,
            created_at,
            updated_at,
            messages,
        })
    })
}

/// Deletes one of the user's conversations and its messages.
///
/// # Errors
/// 404 when it is not one of the user's.
pub async fn delete(db: &Db, user_id: &str, id: Uuid) -> Result<()> {
    let deleted = with_writer!(db, |conn| {
        let mut tx = conn.begin_write().await?;
        // Explicit, not left to the foreign key, so SQLite files opened without
        // `foreign_keys` still lose the messages.
        sqlx::query(
            "delete from chat_message where conversation_id in
               (select id from conversation where id = $1 and user_id = $2)",
        )
        .bind(id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        let deleted = sqlx::query("delete from conversation where id = $1 and user_id = $2")
            .bind(id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok::<_, ApiError>(deleted)
    })?;
    if deleted == 0 {
        return Err(CONVERSATION_NOT_FOUND);
    }
    Ok(())
}

fn title_of(message: &str) -> String {
    let first_line = message.lines().next().unwrap_or_default().trim();
    match first_line.char_indices().nth(TITLE_CHARS) {
        Some((cut, _)) => format!("{}…", first_line[..cut].trim_end()),
        None => first_line.to_owned(),
    }
}
