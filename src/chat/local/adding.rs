//! Reading a new task out of "add …": due date, priority, tags and recurrence come out first,
//! and what is left, trimmed of filler, is the title.

use chrono::{Datelike, Days};

use super::command::{Command, NewTaskSpec};
use super::fields::{take_priority, take_repeat, take_tags};
use super::when::{Now, end_of_day, take_due};
use super::words::{Word, ends_with, len, starts_with, text};

/// Title filler before the real title ("a task to", "called").
const TITLE_OPENINGS: &[&str] = &[
    "a new task to",
    "a task to",
    "a task for",
    "a task",
    "task to",
    "task",
    "a reminder to",
    "a reminder",
    "reminder to",
    "reminder",
    "a todo to",
    "a todo",
    "todo",
    "to do",
    "to-do",
    "to",
    "called",
    "named",
    "titled",
    "that i need to",
    "that i have to",
    "that",
    "me to",
    "for me to",
    "-",
    ":",
];
/// Title filler after the real title ("to my list", or a "due" whose date was unreadable).
const TITLE_CLOSINGS: &[&str] = &[
    "to my list",
    "to the list",
    "to my tasks",
    "to my todo list",
    "to my to-do list",
    "to my todos",
    "on my list",
    "to list",
    "to tasks",
    "to my task list",
    "to the task list",
    "please",
    "and",
    "with",
    "also",
    "as",
    "task",
    "a",
    "due",
    "by",
    "on",
    "at",
    "for",
    "-",
];

pub fn add(middle: &[Word], now: Now) -> Command {
    let mut used = vec![false; middle.len()];
    let repeat = take_repeat(middle, &mut used);
    let mut due = take_due(middle, &mut used, now);
    let priority = take_priority(middle, &mut used);
    let tags = take_tags(middle, &mut used);
    if due.is_none() {
        // "every monday" with no other date: first due next Monday (today counts), end of day.
        if let Some((_, Some(day))) = repeat {
            let today = now.local.date();
            let ahead =
                (7 + day.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
            due = today
                .checked_add_days(Days::new(u64::from(ahead)))
                .map(|d| d.and_time(end_of_day()));
        }
    }
    let rest: Vec<Word> = middle
        .iter()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .map(|(w, _)| w.clone())
        .collect();
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
    let mut words = words;
    loop {
        let opening = TITLE_OPENINGS
            .iter()
            .filter(|p| starts_with(words, p) && len(p) < words.len())
            .map(|p| len(p))
            .max();
        let closing = TITLE_CLOSINGS
            .iter()
            .filter(|p| ends_with(words, p) && len(p) < words.len())
            .map(|p| len(p))
            .max();
        match (opening, closing) {
            (Some(n), _) => words = &words[n..],
            (None, Some(n)) => words = &words[..words.len() - n],
            (None, None) => break,
        }
    }
    let title = text(words);
    title
        .chars()
        .take(200)
        .collect::<String>()
        .trim()
        .to_owned()
}
