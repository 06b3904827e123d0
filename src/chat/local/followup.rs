//! Answers to "Which one do you mean: #2 buy milk, #5 buy milk powder?": "#5", "5", "the
//! second one" re-run the question's command on the task chosen.
//!
//! An answer is only ever a bare pick. Anything that reads as a command of its own ("add first
//! aid kit", "show last week's tasks") is that command: reading it as a pick would re-run the
//! question's command, which may be a delete, on a task the user never chose.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::command::{BulkAction, Command, TaskRef};
use super::execute::WHICH_ONE;
use super::grammar::parse;
use super::reference::number_of;
use super::words::{split, trim};
use crate::chat::agent::{PastMessage, Role};

const ORDINALS: &[(&[&str], usize)] = &[
    (&["first", "1st"], 0),
    (&["second", "2nd"], 1),
    (&["third", "3rd"], 2),
    (&["fourth", "4th"], 3),
    (&["fifth", "5th"], 4),
    (&["sixth", "6th"], 5),
    (&["seventh", "7th"], 6),
    (&["eighth", "8th"], 7),
];

/// The command a reply to the agent's last question stands for, if it is one.
#[must_use]
pub fn follow_up(
    message: &str,
    history: &[PastMessage],
    now: DateTime<Utc>,
    tz: Tz,
) -> Option<Command> {
    let (question, earlier) = history.split_last()?;
    if question.role != Role::Assistant {
        return None;
    }
    let choices = question.content.strip_prefix(WHICH_ONE)?;
    let listed: Vec<i64> = choices
        .split_whitespace()
        .filter(|w| w.starts_with('#'))
        .filter_map(|w| number_of(w.trim_end_matches([',', '?'])))
        .collect();
    // A bare pick ("2", "the second one") is checked first: "the 2nd" alone would also read
    // as a date.
    let chosen = choose(message, &listed)?;
    let original = earlier.iter().rev().find(|m| m.role == Role::User)?;
    let task = TaskRef::Number(chosen);
    match parse(&original.content, now, tz) {
        Command::Complete(_) => Some(Command::Complete(task)),
        Command::Reopen(_) => Some(Command::Reopen(task)),
        Command::Delete(_) => Some(Command::Delete(task)),
        Command::Update(_, change) => Some(Command::Update(task, change)),
        Command::MoveTo(_, list) => Some(Command::MoveTo(task, list)),
        _ => None,
    }
}

/// Words that may stand before the pick itself ("the second", "task 3", "number 3").
const BEFORE: &[&str] = &["the", "task", "number", "no", "nr", "num"];
/// Words that may stand after it ("the last one", "#3 please").
const AFTER: &[&str] = &["one", "task", "please"];

/// The task number a bare pick chooses among `listed`: `[the] <ordinal|last> [one|task]`, or
/// a number (`#3`, `3`, `task 3`). A number that is listed names that task; otherwise it
/// counts along the list ("2" for the second).
fn choose(message: &str, listed: &[i64]) -> Option<i64> {
    let words = split(message);
    let [pick] = trim(&words, BEFORE, AFTER) else {
        return None;
    };
    let pick = pick.norm.as_str();
    if pick == "last" {
        return listed.last().copied();
    }
    if let Some((_, index)) = ORDINALS.iter().find(|(names, _)| names.contains(&pick)) {
        return listed.get(*index).copied();
    }
    let n = number_of(pick)?;
    if listed.contains(&n) {
        return Some(n);
    }
    let index = usize::try_from(n).ok()?.checked_sub(1)?;
    listed.get(index).copied()
}

/// After a bulk question, "delete them" or "complete them all" is its "yes".
#[must_use]
pub fn answering_bulk(command: Command, history: &[PastMessage]) -> Command {
    let Some((action, _)) = super::bulk::pending(history) else {
        return command;
    };
    match (&command, action) {
        (Command::Delete(TaskRef::Previous), BulkAction::Delete)
        | (Command::Complete(TaskRef::Previous), BulkAction::Complete) => Command::Confirm,
        _ => command,
    }
}
