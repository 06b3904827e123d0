//! Messages without a command verb that still change something: a change to the task of the
//! last turn ("actually, tomorrow", "high priority", "in 2 hours"), a statement about a task
//! ("the report is due friday", "buy milk is urgent"), and a new task with a date ("dentist
//! appointment friday 3pm").

use super::adding::add;
use super::command::{Change, Command, TaskRef};
use super::edits::STOP_REPEATING;
use super::fields::{repeat_change, take_priority, take_repeat, take_tags};
use super::reference::parse_ref;
use super::when::{Now, take_due};
use super::words::{Word, starts_with};

/// Words around a bare change that name no task ("and make it due tomorrow").
#[rustfmt::skip]
const FILLER: &[&str] = &[
    "it", "it's", "its", "is", "be", "should", "make", "set", "that", "this", "one", "and", "to",
    "for", "due", "also", "the", "now", "please", "so", "on", "by", "at", "repeat", "repeats",
    "repeating", "change", "move", "let's", "say", "rather", "tag", "tagged", "have", "has",
    "are", "was", "were", "now", "needs", "need", "done", "finished", "completed", "ready",
    "can", "will", "could", "wait", "happen", "go",
];

/// Openings of a question, which never adds a task.
#[rustfmt::skip]
const QUESTIONS: &[&str] = &[
    "what", "what's", "when", "when's", "which", "who", "how", "why", "where", "is", "are", "do",
    "does", "did", "can", "could", "will", "would", "should", "shall", "have", "has", "am",
];

/// Words that join a task and what is said about it.
const COPULAS: &[&str] = &[
    "is", "are", "should", "must", "needs", "need", "due", "was", "can", "will", "could",
];

/// The one change `words` carry, and whether every other word is filler.
fn change_in(words: &[Word], now: Now) -> Option<Change> {
    for phrase in STOP_REPEATING {
        if (0..words.len()).any(|at| starts_with(&words[at..], phrase)) {
            return Some(Change::StopRepeat);
        }
    }
    let mut used = vec![false; words.len()];
    let mut changes = Vec::new();
    if let Some(p) = take_priority(words, &mut used) {
        changes.push(Change::Priority(p));
    }
    if let Some((repeat, anchor)) = take_repeat(words, &mut used) {
        changes.push(repeat_change(repeat, anchor, now.local.date()));
    }
    if let Some(due) = take_due(words, &mut used, now) {
        changes.push(Change::Due(due));
    }
    let tags = take_tags(words, &mut used);
    if !tags.is_empty() {
        changes.push(Change::AddTags(tags));
    }
    let rest_is_filler = words
        .iter()
        .zip(&used)
        .all(|(w, used)| *used || FILLER.contains(&w.norm.as_str()));
    match changes.as_slice() {
        [one] if rest_is_filler => Some(one.clone()),
        _ => None,
    }
}

/// "actually, tomorrow", "high priority", "and it's due on the 1st": the task of the last
/// turn gets the change.
#[must_use]
pub fn amend(words: &[Word], now: Now) -> Option<Command> {
    change_in(words, now).map(|change| Command::Update(TaskRef::Previous, change))
}

/// "the report is due friday", "buy milk is urgent", "water plants should repeat weekly".
#[must_use]
pub fn stated(words: &[Word], now: Now) -> Option<Command> {
    let at = (1..words.len()).find(|&at| COPULAS.contains(&words[at].norm.as_str()))?;
    let task = parse_ref(&words[..at])?;
    let change = change_in(&words[at..], now)?;
    Some(Command::Update(task, change))
}

/// "dentist appointment friday 3pm", "buy milk tomorrow": a task with a due date or a
/// recurrence and no command verb is a new task.
#[must_use]
pub fn dated(words: &[Word], now: Now) -> Option<Command> {
    // "what about friday?" asks; it adds nothing.
    let asks = words
        .first()
        .is_some_and(|w| QUESTIONS.contains(&w.norm.as_str()))
        || words.last().is_some_and(|w| w.raw.ends_with('?'));
    if asks {
        return None;
    }
    match add(words, now) {
        Command::Add(spec) if spec.due.is_some() || spec.repeat.is_some() => {
            Some(Command::Add(spec))
        }
        _ => None,
    }
}
