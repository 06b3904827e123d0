//! The `openai` agent: an OpenAI-compatible chat-completions model calling the MCP tools.

use super::agent::Turn;
use super::tools::ToolBox;
use crate::error::ApiError;

/// A configured OpenAI-compatible provider.
#[derive(Debug, Clone)]
pub struct OpenAiAgent {}

impl OpenAiAgent {
    /// Answers one turn by letting the model call tools, at most
    /// [`super::tools::MAX_TOOL_STEPS`] times.
    ///
    /// # Errors
    /// The provider failed (502) or ran out of time (504).
    pub async fn reply(&self, turn: &Turn<'_>, tools: &mut ToolBox) -> Result<String, ApiError> {
        let _ = (turn, tools);
        Err(ApiError::ServiceUnavailable)
    }
}
