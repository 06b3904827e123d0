//! What an agent is given for one turn, and the choice between the agents.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::local;
use super::openai::OpenAiAgent;
use super::tools::{ToolBox, ToolCall};
use crate::error::ApiError;

/// Who wrote a stored message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The person chatting.
    User,
    /// The agent's reply (with the tool calls it made).
    Assistant,
}

impl Role {
    /// The stored spelling.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Assistant => "assistant",
        }
    }

    /// Reads the stored spelling.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "user" => Some(Self::User),
            "assistant" => Some(Self::Assistant),
            _ => None,
        }
    }
}

/// An earlier message of the conversation, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct PastMessage {
    /// Who wrote it.
    pub role: Role,
    /// Its text.
    pub content: String,
    /// The tool calls behind an assistant message (what it did and showed), oldest first.
    pub tool_calls: Vec<ToolCall>,
}

/// Everything an agent knows about the turn it answers.
#[derive(Debug, Clone)]
pub struct Turn<'a> {
    /// What the user just wrote.
    pub message: &'a str,
    /// The conversation so far (the most recent messages, oldest first), without `message`.
    pub history: &'a [PastMessage],
    /// The current instant.
    pub now: DateTime<Utc>,
    /// The user's time zone: "tomorrow" and "5pm" are read in it.
    pub timezone: Tz,
}

/// The agent that answers chat, chosen once at start.
#[derive(Debug, Clone)]
pub enum Agent {
    /// The built-in grammar: no network, no model.
    Local,
    /// An OpenAI-compatible chat-completions model with tool calling.
    OpenAi(Box<OpenAiAgent>),
}

impl Agent {
    /// The name used in logs and metrics.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::OpenAi(_) => "openai",
        }
    }

    /// Answers one turn, acting only through `tools`.
    ///
    /// # Errors
    /// The model provider failed (502) or ran out of time (504), or the tool session broke.
    pub async fn reply(&self, turn: &Turn<'_>, tools: &mut ToolBox) -> Result<String, ApiError> {
        match self {
            Self::Local => local::reply(turn, tools).await,
            Self::OpenAi(agent) => agent.reply(turn, tools).await,
        }
    }
}
