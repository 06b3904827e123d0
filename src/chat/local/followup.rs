//! Answers to "Which one do you mean: #2 buy milk, #5 buy milk powder?": "#5", "5", "the
//! second one" re-run the question's command on the task chosen.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::command::{Command, TaskRef};
use super::execute::WHICH_ONE;
use super::grammar::parse;
use super::reference::{number_of, parse_ref};
use super::words::split;
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
    let chosen = choose(message, &listed)?;
    let original = earlier.iter().rev().find(|m| m.role == Role::User)?;
    let task = TaskRef::Number(chosen);
    match parse(&original.content, now, tz) {
        Command::Complete(_) => Some(Command::Complete(task)),
        Command::Reopen(_) => Some(Command::Reopen(task)),
        Command::Delete(_) => Some(Command::Delete(task)),
        Command::Update(_, change) => Some(Command::Update(task, change)),
        _ => None,
    }
}

/// The task number a short answer picks among `listed`.
fn choose(message: &str, listed: &[i64]) -> Option<i64> {
    let words = split(message);
    if words.is_empty() || words.len() > 5 {
        return None;
    }
    if words.iter().any(|w| w.norm == "last") {
        return listed.last().copied();
    }
    for (names, index) in ORDINALS {
        if words.iter().any(|w| names.contains(&w.norm.as_str())) {
            return listed.get(*index).copied();
        }
    }
    match parse_ref(&words)? {
        TaskRef::Number(n) if listed.contains(&n) => Some(n),
        TaskRef::Number(n) => {
            let index = usize::try_from(n).ok()?.checked_sub(1)?;
            listed.get(index).copied()
        }
        TaskRef::Text(_) => None,
    }
}
