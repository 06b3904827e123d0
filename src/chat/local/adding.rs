//! Reading a new task out of "add …": due date, priority, tags and recurrence come out first,
//! and what is left, trimmed of filler, is the title — and, when it ends "to <list>", maybe a
//! project.

use super::command::{Command, NewTaskSpec, ToList};
use super::fields::{Anchor, take_priority, take_repeat, take_tags};
use super::lists;
use super::safety::quoted;
use super::subtasks::{self, Parent};
use super::when::{Now, next_day_of_month, take_due_on, weekday_after};
use super::words::{Word, strip_around, text};

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
    let (parent, middle) = match subtasks::parent(middle) {
        Parent::None => (None, middle.to_vec()),
        Parent::Number(number, rest) => (Some(number), rest),
        Parent::Unnamed => return Command::Incomplete("subtask"),
    };
    let middle = middle.as_slice();
    // Quoted words are the title, whatever they say ("Friday drinks").
    let quoted = quoted(middle);
    let mut used = quoted.clone();
    let repeat = take_repeat(middle, &mut used);
    // "every monday": the series starts on the next Monday, today included; "the 15th of each
    // month" on the next 15th.
    let today = now.local.date();
    let first_day = repeat.and_then(|(_, anchor)| match anchor? {
        Anchor::Weekday(day) => weekday_after(today, day, true),
        Anchor::DayOfMonth(day) => next_day_of_month(today, day),
    });
    let due = take_due_on(middle, &mut used, now, first_day);
    let priority = take_priority(middle, &mut used);
    let tags = take_tags(middle, &mut used);
    for (flag, quoted) in used.iter_mut().zip(&quoted) {
        if *quoted {
            *flag = false;
        }
    }
    let (rest, rest_quoted): (Vec<Word>, Vec<bool>) = middle
        .iter()
        .zip(&used)
        .zip(&quoted)
        .filter(|((_, used), _)| !**used)
        .map(|((w, _), quoted)| {
            let mut w = w.clone();
            w.raw = w.raw.trim_matches(['"', '\u{201c}', '\u{201d}']).to_owned();
            (w, *quoted)
        })
        .filter(|(w, _)| !w.raw.is_empty())
        .unzip();
    let title = trim_title(&rest);
    if title.is_empty() {
        return Command::Incomplete("add");
    }
    // The list phrase is looked for once the title's own filler ("a task to", "to my list")
    // is gone, so "a reminder to call the bank" names no list.
    let core = strip_around(&rest, TITLE_OPENINGS, TITLE_CLOSINGS);
    let start = (0..rest.len())
        .find(|&at| rest[at..].starts_with(core))
        .unwrap_or_default();
    let quoted_core = &rest_quoted[start..start + core.len()];
    let mut to_list = None;
    if parent.is_some() {
        // A subtask goes in its parent's list: "to …" is part of the title.
    } else if let Some((at, list)) = lists::trailing(core, quoted_core) {
        // "put task 2 in Errands" moves task 2 (the title filler took "task" off `core`).
        if let Some(task) = lists::numbered(&rest[..start + at]) {
            return Command::MoveTo(task, list);
        }
        let title = trim_title(&core[..at]);
        if !title.is_empty() {
            to_list = Some(ToList { list, title });
        }
    } else if let Some((at, list)) = lists::leading(core, quoted_core) {
        // "in Work: book the venue", "to my Groceries list: milk".
        let title = trim_title(&core[at..]);
        if !title.is_empty() {
            to_list = Some(ToList { list, title });
        }
    }
    Command::Add(NewTaskSpec {
        title,
        priority,
        tags,
        due,
        repeat: repeat.map(|(r, _)| r),
        to_list,
        parent,
    })
}

pub fn trim_title(words: &[Word]) -> String {
    let words = strip_around(words, TITLE_OPENINGS, TITLE_CLOSINGS);
    let title = text(words);
    title
        .chars()
        .take(crate::tasks::rules::MAX_TITLE)
        .collect::<String>()
        .trim()
        .to_owned()
}
