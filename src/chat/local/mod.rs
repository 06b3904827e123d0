//! The local agent: plain-English commands understood without any model or network.
//!
//! [`grammar::parse`] turns a message into a [`command::Command`] (pure: the clock and zone are
//! arguments); [`execute::run`] carries it out through the MCP tools and words the reply from
//! what they returned. `docs/chat.md` lists what it understands.

pub mod adding;
pub mod amend;
pub mod bulk;
pub mod command;
pub mod context;
pub mod edits;
pub mod execute;
pub mod fields;
pub mod filing;
pub mod followup;
pub mod grammar;
pub mod listing;
pub mod lists;
pub mod members;
pub mod membership;
pub mod past;
pub mod reference;
pub mod reply;
pub mod resolve;
pub mod safety;
pub mod sharing;
pub mod stem;
pub mod subtasks;
pub mod undo;
pub mod when;
pub mod words;

#[cfg(test)]
mod tests;

pub use grammar::parse;

use super::agent::Turn;
use super::tools::ToolBox;
use crate::error::ApiError;

/// Answers one turn with the built-in grammar.
///
/// # Errors
/// The tool session broke.
pub async fn reply(turn: &Turn<'_>, tools: &mut ToolBox) -> Result<String, ApiError> {
    let command = followup::follow_up(turn.message, turn.history, turn.now, turn.timezone)
        .unwrap_or_else(|| parse(turn.message, turn.now, turn.timezone));
    let command = followup::answering_bulk(command, turn.history);
    let clock = execute::Clock {
        now: turn.now,
        tz: turn.timezone,
    };
    execute::run(command, clock, turn.history, tools).await
}
