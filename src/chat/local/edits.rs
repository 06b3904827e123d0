//! Reading changes to an existing task: rename, reschedule, priority, tags, recurrence.

use super::adding::trim_title;
use super::command::{Change, Command};
use super::fields::{priority_value, tag, take_priority, take_repeat, take_tags};
use super::reference::parse_ref;
use super::when::{Now, due_phrase, take_due};
use super::words::{Word, unused};

/// Splits at the first of `words` (not at position 0): "task 2 to buy oat milk".
fn split_at_word<'w>(middle: &'w [Word], words: &[&str]) -> Option<(&'w [Word], &'w [Word])> {
    let at = middle
        .iter()
        .enumerate()
        .skip(1)
        .find(|(_, w)| words.contains(&w.norm.as_str()))?
        .0;
    Some((&middle[..at], &middle[at + 1..]))
}

pub fn rename(middle: &[Word]) -> Command {
    let Some((target, title)) = split_at_word(middle, &["to", "as", "into"]) else {
        return Command::Incomplete("rename");
    };
    let title = trim_title(title);
    match parse_ref(target) {
        Some(task) if !title.is_empty() => Command::Update(task, Change::Rename(title)),
        _ => Command::Incomplete("rename"),
    }
}

pub fn reschedule(middle: &[Word], now: Now) -> Command {
    let mut used = vec![false; middle.len()];
    let Some(due) = take_due(middle, &mut used, now) else {
        return Command::Incomplete("reschedule");
    };
    let rest = unused(middle, &used);
    parse_ref(&rest).map_or(Command::Incomplete("reschedule"), |task| {
        Command::Update(task, Change::Due(due))
    })
}

pub fn retag(middle: &[Word], add: bool) -> Command {
    let mut used = vec![false; middle.len()];
    let mut tags = take_tags(middle, &mut used);
    let mut target: Vec<Word> = Vec::new();
    if tags.is_empty() {
        // "tag task 2 with home", "tag task 2 as work"
        if let Some((left, right)) = split_at_word(middle, &["with", "as"]) {
            tags = right
                .iter()
                .filter_map(|w| tag(&format!("#{}", w.norm.trim_start_matches('#'))))
                .filter(|t| t != "and")
                .collect();
            target = left.to_vec();
        }
    } else {
        target = unused(middle, &used);
        target.retain(|w| !matches!(w.norm.as_str(), "and" | "tags" | "tag"));
    }
    match (parse_ref(&target), tags.is_empty()) {
        (Some(task), false) if add => Command::Update(task, Change::AddTags(tags)),
        (Some(task), false) => Command::Update(task, Change::RemoveTags(tags)),
        _ => Command::Incomplete("tag"),
    }
}

/// Which field "change task 3 priority to low" names.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Priority,
    Due,
    Title,
    Unknown,
}

const FIELD_WORDS: &[&str] = &[
    "the", "of", "for", "its", "it's", "priority", "due", "date", "deadline", "title", "name",
    "on", "time",
];

pub fn update(middle: &[Word], now: Now) -> Command {
    let (left, right) = split_at_word(middle, &["to", "as", "="]).unwrap_or((middle, &[]));
    let norms: Vec<&str> = left.iter().map(|w| w.norm.as_str()).collect();
    let field = if norms.iter().any(|w| w.starts_with("priority")) {
        Field::Priority
    } else if norms
        .iter()
        .any(|w| matches!(*w, "due" | "deadline" | "date"))
    {
        Field::Due
    } else if norms.iter().any(|w| matches!(*w, "title" | "name")) {
        Field::Title
    } else {
        Field::Unknown
    };
    if right.is_empty() {
        return update_inline(middle, now);
    }
    let target: Vec<Word> = left
        .iter()
        .filter(|w| {
            field == Field::Unknown || !FIELD_WORDS.contains(&w.norm.trim_end_matches("'s"))
        })
        .cloned()
        .map(|mut w| {
            if let Some(stripped) = w.norm.strip_suffix("'s") {
                w.norm = stripped.to_owned();
                w.raw = w.raw.trim_end_matches("'s").to_owned();
            }
            w
        })
        .collect();
    let Some(task) = parse_ref(&target) else {
        return Command::Incomplete("update");
    };
    let right_norm: Vec<&str> = right.iter().map(|w| w.norm.as_str()).collect();
    let clears = matches!(
        right_norm.as_slice(),
        ["none"] | ["nothing"] | ["never"] | ["no", "date"] | ["no", "due", "date"]
    );
    let change = match field {
        Field::Priority => priority_value(right).map(Change::Priority),
        Field::Due if clears => Some(Change::ClearDue),
        Field::Due => due_phrase(right, now).map(Change::Due),
        Field::Title => Some(trim_title(right))
            .filter(|t| !t.is_empty())
            .map(Change::Rename),
        Field::Unknown => {
            if let Some(p) = priority_value(right) {
                Some(Change::Priority(p))
            } else if let Some(due) = due_phrase(right, now) {
                Some(Change::Due(due))
            } else if matches!(
                right_norm.as_slice(),
                ["done"] | ["complete"] | ["completed"] | ["finished"]
            ) {
                return Command::Complete(task);
            } else if matches!(
                right_norm.as_slice(),
                ["not", "done"] | ["pending"] | ["open"] | ["incomplete"] | ["undone"]
            ) {
                return Command::Reopen(task);
            } else {
                let mut used = vec![false; right.len()];
                match take_repeat(right, &mut used) {
                    Some((repeat, _)) if used.iter().all(|u| *u) => Some(Change::Repeat(repeat)),
                    _ => Some(trim_title(right))
                        .filter(|t| !t.is_empty())
                        .map(Change::Rename),
                }
            }
        }
    };
    change.map_or(Command::Incomplete("update"), |c| Command::Update(task, c))
}

/// "make task 3 high priority", "make the report urgent", "set task 4 due tomorrow".
fn update_inline(middle: &[Word], now: Now) -> Command {
    let mut used = vec![false; middle.len()];
    let change = if let Some(p) = take_priority(middle, &mut used) {
        Change::Priority(p)
    } else if let Some(due) = take_due(middle, &mut used, now) {
        Change::Due(due)
    } else if let Some((repeat, _)) = take_repeat(middle, &mut used) {
        Change::Repeat(repeat)
    } else {
        let norms: Vec<&str> = middle.iter().map(|w| w.norm.as_str()).collect();
        if let Some(at) = norms.iter().position(|w| matches!(*w, "not" | "non"))
            && norms
                .get(at + 1)
                .is_some_and(|w| matches!(*w, "recurring" | "repeating"))
        {
            return parse_ref(&middle[..at]).map_or(Command::Incomplete("update"), |t| {
                Command::Update(t, Change::StopRepeat)
            });
        }
        return Command::Incomplete("update");
    };
    let rest: Vec<Word> = middle
        .iter()
        .zip(&used)
        .filter(|(w, used)| !**used && !FIELD_WORDS.contains(&w.norm.as_str()))
        .map(|(w, _)| w.clone())
        .collect();
    parse_ref(&rest).map_or(Command::Incomplete("update"), |task| {
        Command::Update(task, change)
    })
}

/// "note: bring ID" (the task of the last turn), "add a note to task 3: bring ID", "set the
/// description of task 3 to bring ID".
/// With `after_colon` ("note: …"), all of `middle` is the note.
pub fn describe(middle: &[Word], after_colon: bool) -> Command {
    let colon = middle.iter().position(|w| w.raw.ends_with(':'));
    let (target, note) = match colon {
        _ if after_colon => (&[][..], middle),
        Some(at) => (&middle[..=at], &middle[at + 1..]),
        None => split_at_word(middle, &["to", "saying", "that", "as", "with", "-"])
            .unwrap_or((&[], middle)),
    };
    let note = super::words::text(note);
    if note.is_empty() {
        return Command::Incomplete("describe");
    }
    let task = if target.is_empty() {
        Some(super::command::TaskRef::Previous)
    } else {
        parse_ref(target)
    };
    task.map_or(Command::Incomplete("describe"), |task| {
        Command::Update(task, Change::Describe(note))
    })
}
