//! What chat routes accept and return.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::agent::Role;
use super::tools::ToolCall;
use crate::error::{ApiError, FieldError};

/// Longest message accepted, in characters.
pub const MAX_MESSAGE_CHARS: usize = 4000;

/// A message to the agent.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ChatRequest {
    /// What the user writes, 1–4000 characters.
    pub message: String,
    /// The conversation to continue; omit (or null) to start a new one.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub conversation_id: Option<serde_json::Value>,
}

/// A checked [`ChatRequest`].
#[derive(Debug, Clone)]
pub struct ChatInput {
    /// The message, trimmed.
    pub message: String,
    /// The conversation to continue, if any.
    pub conversation: ConversationRef,
}

/// Which conversation a message belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversationRef {
    /// Start a new one.
    New,
    /// Continue this one.
    Existing(Uuid),
    /// An id that cannot name any conversation (answered 404 like an unknown one).
    Unknown,
}

impl ChatRequest {
    /// Checks the message length and reads the conversation id.
    ///
    /// # Errors
    /// 422 when the message is empty or longer than [`MAX_MESSAGE_CHARS`].
    pub fn validate(self) -> Result<ChatInput, ApiError> {
        let mut errors: Vec<FieldError> = Vec::new();
        let message =
            crate::validate::text(&self.message, "message", 1, MAX_MESSAGE_CHARS, &mut errors);
        let conversation = match self.conversation_id {
            None | Some(serde_json::Value::Null) => ConversationRef::New,
            Some(serde_json::Value::String(s)) if s.trim().is_empty() => ConversationRef::New,
            Some(serde_json::Value::String(s)) => Uuid::parse_str(s.trim())
                .map_or(ConversationRef::Unknown, ConversationRef::Existing),
            // Reference-design clients used integer ids; none of them exists here.
            Some(serde_json::Value::Number(_)) => ConversationRef::Unknown,
            Some(_) => {
                errors.push(FieldError::new(
                    "conversation_id",
                    "must be a conversation id (a UUID string) or null",
                ));
                ConversationRef::New
            }
        };
        match message {
            Some(message) if errors.is_empty() => Ok(ChatInput {
                message,
                conversation,
            }),
            _ => Err(ApiError::Validation(errors)),
        }
    }
}

/// The agent's answer to one message.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChatResponse {
    /// The conversation the exchange was stored in; send it back to continue.
    pub conversation_id: Uuid,
    /// The agent's reply.
    pub response: String,
    /// The same reply, for clients of the reference design that read this name.
    pub agent_response: String,
    /// Every tool the agent called for this reply, in order.
    pub tool_calls: Vec<ToolCall>,
}

/// A conversation in the list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConversationSummary {
    /// Its id.
    pub id: Uuid,
    /// The start of its first message.
    pub title: String,
    /// How many messages it holds.
    pub message_count: i64,
    /// When it started.
    #[serde(serialize_with = "crate::json::instant")]
    pub created_at: DateTime<Utc>,
    /// When its last message was stored.
    #[serde(serialize_with = "crate::json::instant")]
    pub updated_at: DateTime<Utc>,
}

/// A conversation with all its messages, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Conversation {
    /// Its id.
    pub id: Uuid,
    /// The start of its first message.
    pub title: String,
    /// When it started.
    #[serde(serialize_with = "crate::json::instant")]
    pub created_at: DateTime<Utc>,
    /// When its last message was stored.
    #[serde(serialize_with = "crate::json::instant")]
    pub updated_at: DateTime<Utc>,
    /// Every message, in the order they were written.
    pub messages: Vec<Message>,
}

/// One stored message.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Message {
    /// Its id.
    pub id: Uuid,
    /// `user` or `assistant`.
    pub role: Role,
    /// Its text.
    pub content: String,
    /// The tool calls behind an assistant reply; empty for user messages.
    pub tool_calls: Vec<ToolCall>,
    /// When it was stored.
    #[serde(serialize_with = "crate::json::instant")]
    pub created_at: DateTime<Utc>,
}

/// Answer to a deleted conversation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConversationDeleted {
    /// A sentence for people.
    pub message: &'static str,
    /// The id of the deleted conversation.
    pub deleted_id: Uuid,
}
