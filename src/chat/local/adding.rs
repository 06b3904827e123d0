//! Reading a new task out of "add …": due date, priority, tags and recurrence come out first,
//! and what is left, trimmed of filler, is the title.

use super::command::{Command, NewTaskSpec};
use super::fields::{take_priority, take_repeat, take_tags};
use super::when::{Now, take_due_on, weekday_after};
use super::words::{Word, strip_around, text, unused};

/// Title filler before the real title ("a task to", "called").
#[rustfmt::skip]
const TITLE_OPENINGS: &[&str] = &[
    "a new task to", "a task to", "a task for", "a task", "task to", "task", "a reminder to",
    "a reminder", "reminder to", "reminder", "a todo to", "a todo", "todo", "to do", "to-do", "to",
    "called", "named", "titled", "that i need to", "that i have to", "that", "me to", "for me to",
    "-", ":",
];
/// Title filler after the real title ("to my list", or a "due" whose date was unreadable).
#[rustfmt::skip]
const TITLE_CLOSINGS: &[&str] = &[
    "to my list", "to the list", "to my tasks", "to my todo list", "to my to-do list",
    "to my todos", "on my list", "to list", "to tasks", "to my task list", "to the task list",
    "please", "and", "with", "also", "as", "task", "a", "due", "by", "on", "at", "for", "-",
];

pub fn add(middle: &[Word], now: Now) -> Command {
    let mut used = vec![false; middle.len()];
    let repeat = take_repeat(middle, &mut used);
    // "every monday": the series starts on the next Monday, today included.
    let first_day = repeat
        .and_then(|(_, day)| day)
        .and_then(|day| weekday_after(now.local.date(), day, true));
    let due = take_due_on(middle, &mut used, now, first_day);
    let priority = take_priority(middle, &mut used);
    let tags = take_tags(middle, &mut used);
    let rest = unused(middle, &used);
    let title = trim_title(&rest);
    if title.is_empty() {
        return Command::Incomplete("add");
    }
    Command::Add(NewTaskSpec {
        title,
        priority,
        tags,
        due,
        repeat: repeat.map(|(r, _)| r),
    })
}

pub fn trim_title(words: &[Word]) -> String {
    let words = strip_around(words, TITLE_OPENINGS, TITLE_CLOSINGS);
    let title = text(words);
    title
        .chars()
        .take(200)
        .collect::<String>()
        .trim()
        .to_owned()
}
