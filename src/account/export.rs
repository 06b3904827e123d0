//! Export: the account's data written as one JSON document, a page of rows at a time.
//!
//! Each page is one query on a connection borrowed for that query only, so a slow download
//! holds no pool connection and no more than one page in memory (`bench/export_memory.sh`).
//! The document is therefore not a snapshot: a task written during the export may or may not
//! be in it, but none is written twice (pages follow a key that only grows).

use std::collections::VecDeque;

use axum::body::Bytes;
use futures::Stream;
use sqlx::types::Json;
use uuid::Uuid;

use super::model::{ConversationHead, ExportedTask, ExportedUser, FORMAT, VERSION};
use crate::chat::agent::Role;
use crate::chat::model::Message;
use crate::chat::tools::ToolCall;
use crate::db::Db;
use crate::error::{ApiError, Result};
use crate::tasks::model::Task;
use crate::{task_columns, with_pool};

/// Tasks read per query.
pub const TASK_PAGE: i64 = 500;
/// Conversations read per query (their messages are paged on their own).
const CONVERSATION_PAGE: i64 = 100;
/// Messages read per query.
const MESSAGE_PAGE: i64 = 500;

/// A message row: id, role, content, tool calls, created, seq.
type MessageRow = (
    Uuid,
    String,
    String,
    Json<Vec<ToolCall>>,
    chrono::DateTime<chrono::Utc>,
    i64,
);

/// The account section of `user_id`'s document; `None` when the user no longer exists.
///
/// # Errors
/// Database failure.
pub async fn account(db: &Db, user_id: &str) -> Result<Option<ExportedUser>> {
    Ok(with_pool!(db, |conn| {
        sqlx::query_as::<_, ExportedUser>(
            "select id, email, name, timezone, created_at from app_user where id = $1",
        )
        .bind(user_id)
        .fetch_optional(conn)
        .await
    })?)
}

/// The document of `user`, as a stream of chunks. A failure after the first chunk ends the
/// stream with an error, so that the HTTP body is cut off: a client then holds JSON that does
/// not parse, never a well-formed document missing data.
pub fn document(db: Db, user: &ExportedUser) -> impl Stream<Item = std::io::Result<Bytes>> + use<> {
    let exporter = Exporter::new(db, user);
    futures::stream::unfold(Some(exporter), |state| async move {
        let mut exporter = state?;
        match exporter.next_chunk().await {
            Ok(Some(chunk)) => Some((Ok(Bytes::from(chunk)), Some(exporter))),
            Ok(None) => None,
            Err(err) => {
                log_failure(&err, &exporter.user_id);
                let cut = std::io::Error::other("the export was interrupted");
                Some((Err(cut), None))
            }
        }
    })
}

fn log_failure(err: &ApiError, user_id: &str) {
    if let ApiError::Internal(cause) = err {
        let (error, sqlstate) = crate::error::loggable(cause);
        tracing::error!(error, sqlstate, user_id, "export interrupted");
    } else {
        tracing::warn!(error = %err, user_id, "export interrupted");
    }
}

/// How far the messages of one conversation are written.
#[derive(Debug, Clone, Copy)]
struct MessageCursor {
    conversation: Uuid,
    /// The last position written (0 before the first).
    after: i64,
}

/// Where the writing of one document stands.
struct Exporter {
    db: Db,
    user_id: String,
    /// The opening of the document, until sent.
    opening: Option<Vec<u8>>,
    /// The last task number written, while tasks may remain.
    tasks_after: Option<i64>,
    tasks_written: u64,
    /// Conversations read but not yet written.
    queued: VecDeque<ConversationHead>,
    /// The last conversation read, while more may remain.
    conversations_after: Option<Option<Uuid>>,
    conversations_written: u64,
    /// The conversation whose messages are being written.
    messages_of: Option<MessageCursor>,
    closed: bool,
}

impl Exporter {
    fn new(db: Db, user: &ExportedUser) -> Self {
        let mut opening = Vec::with_capacity(256);
        opening.extend_from_slice(br#"{"format":"#);
        crate::json::write_str(FORMAT, &mut opening);
        opening.extend_from_slice(format!(r#","version":{VERSION},"exported_at":"#).as_bytes());
        crate::json::write_instant(&crate::db::now(), &mut opening);
        opening.extend_from_slice(br#","user":"#);
        // Serialising plain strings and instants into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut opening, user);
        opening.extend_from_slice(br#","tasks":["#);
        Self {
            db,
            user_id: user.id.clone(),
            opening: Some(opening),
            tasks_after: Some(0),
            tasks_written: 0,
            queued: VecDeque::new(),
            conversations_after: Some(None),
            conversations_written: 0,
            messages_of: None,
            closed: false,
        }
    }

    /// The next piece of the document; `None` once it is complete.
    async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>> {
        let mut out = self.opening.take().unwrap_or_default();
        if let Some(after) = self.tasks_after {
            self.write_tasks(after, &mut out).await?;
            return Ok(Some(out));
        }
        if let Some(cursor) = self.messages_of {
            self.write_messages(cursor, &mut out).await?;
            return Ok(Some(out));
        }
        if self.queued.is_empty()
            && let Some(after) = self.conversations_after
        {
            let heads = conversation_page(&self.db, &self.user_id, after).await?;
            self.conversations_after =
                (heads.len() == page_len(CONVERSATION_PAGE)).then(|| heads.last().map(|h| h.id));
            self.queued.extend(heads);
        }
        if let Some(head) = self.queued.pop_front() {
            if self.conversations_written > 0 {
                out.push(b',');
            }
            self.conversations_written += 1;
            // The head's object, reopened to take the messages.
            serde_json::to_writer(&mut out, &head).map_err(anyhow::Error::from)?;
            out.pop();
            out.extend_from_slice(br#","messages":["#);
            self.messages_of = Some(MessageCursor {
                conversation: head.id,
                after: 0,
            });
            return Ok(Some(out));
        }
        if self.closed {
            return Ok(None);
        }
        self.closed = true;
        out.extend_from_slice(b"]}");
        Ok(Some(out))
    }

    async fn write_tasks(&mut self, after: i64, out: &mut Vec<u8>) -> Result<()> {
        let tasks = task_page(&self.db, &self.user_id, after).await?;
        self.tasks_after = (tasks.len() == page_len(TASK_PAGE))
            .then(|| tasks.last().map(|t| t.number))
            .flatten();
        for task in tasks {
            if self.tasks_written > 0 {
                out.push(b',');
            }
            self.tasks_written += 1;
            let recurrence_anchor_day = task.recurrence_anchor_day;
            let exported = ExportedTask {
                task,
                recurrence_anchor_day,
            };
            serde_json::to_writer(&mut *out, &exported).map_err(anyhow::Error::from)?;
        }
        if self.tasks_after.is_none() {
            out.extend_from_slice(br#"],"conversations":["#);
        }
        Ok(())
    }

    async fn write_messages(&mut self, cursor: MessageCursor, out: &mut Vec<u8>) -> Result<()> {
        let rows = message_page(&self.db, cursor.conversation, cursor.after).await?;
        let full = rows.len() == page_len(MESSAGE_PAGE);
        let mut first = cursor.after == 0;
        self.messages_of = rows.last().filter(|_| full).map(|row| MessageCursor {
            after: row.5,
            ..cursor
        });
        for (id, role, content, Json(tool_calls), created_at, _) in rows {
            if !first {
                out.push(b',');
            }
            first = false;
            let role = Role::parse(&role).ok_or_else(|| anyhow::anyhow!("stored role {role:?}"))?;
            let message = Message {
                id,
                role,
                content,
                tool_calls,
                created_at,
            };
            serde_json::to_writer(&mut *out, &message).map_err(anyhow::Error::from)?;
        }
        if self.messages_of.is_none() {
            out.extend_from_slice(b"]}");
        }
        Ok(())
    }
}

fn page_len(page: i64) -> usize {
    usize::try_from(page).unwrap_or(usize::MAX)
}

/// The user's tasks after number `after`, by number (the `(user_id, number)` key serves it).
async fn task_page(db: &Db, user_id: &str, after: i64) -> Result<Vec<Task>> {
    Ok(with_pool!(db, |conn| {
        sqlx::query_as::<_, Task>(concat!(
            "select ",
            task_columns!(),
            " from task where user_id = $1 and number > $2 order by number limit $3"
        ))
        .bind(user_id)
        .bind(after)
        .bind(TASK_PAGE)
        .fetch_all(conn)
        .await
    })?)
}

/// The user's conversations after `after`, by id.
async fn conversation_page(
    db: &Db,
    user_id: &str,
    after: Option<Uuid>,
) -> Result<Vec<ConversationHead>> {
    Ok(with_pool!(db, |conn| {
        sqlx::query_as::<_, ConversationHead>(
            "select id, title, created_at, updated_at from conversation
             where user_id = $1 and ($2 is null or id > $2)
             order by id limit $3",
        )
        .bind(user_id)
        .bind(after)
        .bind(CONVERSATION_PAGE)
        .fetch_all(conn)
        .await
    })?)
}

/// Messages of one conversation after position `after`, in order (the conversation was read
/// as the user's just before).
async fn message_page(db: &Db, conversation: Uuid, after: i64) -> Result<Vec<MessageRow>> {
    Ok(with_pool!(db, |conn| {
        sqlx::query_as::<_, MessageRow>(
            "select id, role, content, tool_calls, created_at, seq from chat_message
             where conversation_id = $1 and seq > $2
             order by seq limit $3",
        )
        .bind(conversation)
        .bind(after)
        .bind(MESSAGE_PAGE)
        .fetch_all(conn)
        .await
    })?)
}
