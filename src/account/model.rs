//! The account document: its versioned shape as export writes it and import reads it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, de::Error as _};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::chat::agent::Role;
use crate::chat::model::Message;
use crate::chat::tools::ToolCall;
use crate::tasks::model::{DueDateInput, Priority, RecurrencePattern, Task};

/// The `format` of every document.
pub const FORMAT: &str = "tudu-export";
/// The `version` this server writes and reads. A change of shape that an older reader would
/// misread gets a new version.
pub const VERSION: u32 = 1;

/// The whole document (`GET /api/v1/auth/export`, `POST /api/v1/auth/import`).
#[derive(Debug, ToSchema)]
pub struct ExportDocument {
    /// Always `tudu-export`.
    pub format: String,
    /// Always 1.
    pub version: u32,
    /// When the export started.
    pub exported_at: DateTime<Utc>,
    /// The account, for reference: import does not change the caller's profile.
    pub user: ExportedUser,
    /// Every task, by `number`.
    pub tasks: Vec<ExportedTask>,
    /// Every conversation with its messages in order.
    pub conversations: Vec<ExportedConversation>,
}

/// The account section of a document.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct ExportedUser {
    /// The account's id.
    pub id: String,
    /// Login email.
    pub email: String,
    /// Display name.
    pub name: String,
    /// IANA time zone.
    pub timezone: String,
    /// When the account was created.
    #[serde(serialize_with = "crate::json::instant")]
    pub created_at: DateTime<Utc>,
}

/// One task: every field the API shows, plus the day of month a monthly series keeps.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExportedTask {
    /// The task as the API returns it.
    #[serde(flatten)]
    pub task: Task,
    /// Day of month (1–31) a monthly series returns to after shorter months; null otherwise.
    pub recurrence_anchor_day: Option<i32>,
}

/// A conversation without its messages, as it opens in the document.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ConversationHead {
    /// Its id.
    pub id: Uuid,
    /// Its title.
    pub title: String,
    /// When it started.
    #[serde(serialize_with = "crate::json::instant")]
    pub created_at: DateTime<Utc>,
    /// When its last message was stored.
    #[serde(serialize_with = "crate::json::instant")]
    pub updated_at: DateTime<Utc>,
}

/// One conversation of a document.
#[derive(Debug, Clone, ToSchema)]
pub struct ExportedConversation {
    /// Its id.
    pub id: Uuid,
    /// Its title.
    pub title: String,
    /// When it started.
    pub created_at: DateTime<Utc>,
    /// When its last message was stored.
    pub updated_at: DateTime<Utc>,
    /// Every message, oldest first.
    pub messages: Vec<Message>,
}

/// What `POST /api/v1/auth/import` reads. Fields a document may carry beyond these (`user`,
/// `exported_at`, a task's `number` and `user_id`) are ignored.
#[derive(Debug, Deserialize)]
pub struct ImportDocument {
    /// Must be `tudu-export`.
    pub format: Format,
    /// Must be 1.
    pub version: Version,
    /// Tasks to merge.
    #[serde(default)]
    pub tasks: Vec<ImportTask>,
    /// Conversations to merge.
    #[serde(default)]
    pub conversations: Vec<ImportConversation>,
}

/// A document's `format`, accepted only when it is ours.
#[derive(Debug)]
pub struct Format;

impl<'de> Deserialize<'de> for Format {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::String(s) if s == FORMAT => Ok(Self),
            _ => Err(D::Error::custom(format!("must be \"{FORMAT}\""))),
        }
    }
}

/// A document's `version`, accepted only when this server reads it.
#[derive(Debug)]
pub struct Version;

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        if value.as_u64() == Some(u64::from(VERSION)) {
            Ok(Self)
        } else {
            Err(D::Error::custom(format!(
                "unsupported version: this server reads version {VERSION}"
            )))
        }
    }
}

/// A task of an imported document; checked by the rules of `POST /api/v1/tasks`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ImportTask {
    /// Its id in the exporting account; required (re-imports recognise the task by it).
    pub id: Option<Uuid>,
    /// As in `POST /api/v1/tasks`.
    pub title: Option<String>,
    /// As in `POST /api/v1/tasks`.
    pub description: Option<String>,
    /// As in `POST /api/v1/tasks`.
    pub completed: Option<bool>,
    /// As in `POST /api/v1/tasks`.
    pub priority: Option<Priority>,
    /// As in `POST /api/v1/tasks`.
    pub tags: Option<Vec<String>>,
    /// As in `POST /api/v1/tasks`.
    pub due_date: Option<DueDateInput>,
    /// As in `POST /api/v1/tasks`.
    pub is_recurring: Option<bool>,
    /// As in `POST /api/v1/tasks`.
    pub recurrence_pattern: Option<RecurrencePattern>,
    /// As in `POST /api/v1/tasks`.
    pub recurrence_interval: Option<i32>,
    /// 1–31; derived from the due date when absent.
    pub recurrence_anchor_day: Option<i32>,
    /// Kept (the import is flat: every task goes to the Inbox's top level); after the
    /// account's other tasks when absent.
    pub position: Option<i64>,
    /// Kept; now when absent.
    pub created_at: Option<DateTime<Utc>>,
    /// Kept; `created_at` when absent.
    pub updated_at: Option<DateTime<Utc>>,
    /// Kept on a completed task; `updated_at` when absent.
    pub completed_at: Option<DateTime<Utc>>,
}

/// A conversation of an imported document.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ImportConversation {
    /// Its id in the exporting account; required.
    pub id: Option<Uuid>,
    /// Up to 200 characters; empty when absent.
    pub title: Option<String>,
    /// Kept; now when absent.
    pub created_at: Option<DateTime<Utc>>,
    /// Kept; `created_at` when absent.
    pub updated_at: Option<DateTime<Utc>>,
    /// Its messages, oldest first.
    #[serde(default)]
    pub messages: Vec<ImportMessage>,
}

/// A message of an imported conversation.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ImportMessage {
    /// Its id in the exporting account; required.
    pub id: Option<Uuid>,
    /// `user` or `assistant`; required.
    pub role: Option<Role>,
    /// Its text; required.
    pub content: Option<String>,
    /// The tool calls behind an assistant reply.
    #[serde(default)]
    pub tool_calls: Vec<ToolCall>,
    /// Kept; the conversation's `created_at` when absent.
    pub created_at: Option<DateTime<Utc>>,
}

/// Answer of `POST /api/v1/auth/import`: what was added and what was already there.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct ImportReport {
    /// Tasks added to the account.
    pub tasks_created: u64,
    /// Tasks the account already had (an earlier import of the same document, or its own).
    pub tasks_skipped: u64,
    /// Conversations added.
    pub conversations_created: u64,
    /// Conversations the account already had; their messages are left as they are.
    pub conversations_skipped: u64,
    /// Messages added (those of the added conversations).
    pub messages_created: u64,
    /// Messages of skipped conversations.
    pub messages_skipped: u64,
}
