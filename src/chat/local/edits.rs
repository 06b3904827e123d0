//! Reading changes to an existing task: rename, reschedule (or move to a list), priority, tags,
//! recurrence.

use super::adding::trim_title;
use super::command::{Change, Command};
use super::fields::{priority_value, repeat_change, tag, take_priority, take_repeat, take_tags};
use super::reference::parse_ref;
use super::when::{Now, due_phrase, take_due};
use super::words::{Word, number, unused};

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

/// Words that turn a shift ("a day") earlier; without one it is later.
const EARLIER: &[&str] = &["earlier", "forward", "sooner", "forwards", "up"];
/// Words that go with a shift and name no task.
const SHIFT_WORDS: &[&str] = &[
    "by", "back", "later", "out", "further", "another", "an", "extra",
];

/// "by a day", "2 days later", "a week earlier": how many days a due date moves.
fn take_shift(words: &[Word], used: &mut [bool]) -> Option<i64> {
    let norms: Vec<&str> = words.iter().map(|w| w.norm.as_str()).collect();
    let at = (0..norms.len().saturating_sub(1)).find(|&at| {
        number(norms[at]).is_some()
            && matches!(norms[at + 1].trim_end_matches('s'), "day" | "week")
            && (at == 0 || norms[at - 1] != "in")
    })?;
    let n = i64::from(number(norms[at])?);
    let days = if norms[at + 1].starts_with("week") {
        7 * n
    } else {
        n
    };
    used[at] = true;
    used[at + 1] = true;
    let mut sign = 1;
    for (i, word) in norms.iter().enumerate() {
        if EARLIER.contains(word) {
            sign = -1;
            used[i] = true;
        } else if SHIFT_WORDS.contains(word) {
            used[i] = true;
        }
    }
    Some(sign * days)
}

pub fn reschedule(middle: &[Word], now: Now) -> Command {
    let mut used = vec![false; middle.len()];
    if let Some(days) = take_shift(middle, &mut used) {
        let rest = unused(middle, &used);
        return parse_ref(&rest).map_or(Command::Incomplete("reschedule"), |task| {
            Command::Update(task, Change::Shift(days))
        });
    }
    let Some(due) = take_due(middle, &mut used, now) else {
        // No date: "move task 3 to Work" moves it to another list.
        return super::lists::move_to(middle).unwrap_or(Command::Incomplete("reschedule"));
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
        // "tag task 2 with home" (task first), "add the tag home to task 2", "remove tag
        // errands from task 1" (tags first).
        let bare = |words: &[Word]| -> Vec<String> {
            words
                .iter()
                .filter(|w| !TAG_FILLER.contains(&w.norm.as_str()))
                .filter_map(|w| tag(&format!("#{}", w.norm.trim_start_matches('#'))))
                .collect()
        };
        if let Some((left, right)) = split_at_word(middle, &["with", "as"]) {
            tags = bare(right);
            target = left.to_vec();
        } else if let Some((left, right)) = split_at_word(middle, &["to", "from", "off", "on"]) {
            tags = bare(left);
            target = right.to_vec();
        }
    } else {
        target = unused(middle, &used);
        target.retain(|w| !TAG_FILLER.contains(&w.norm.as_str()));
    }
    match (parse_ref(&target), tags.is_empty()) {
        (Some(task), false) if add => Command::Update(task, Change::AddTags(tags)),
        (Some(task), false) => Command::Update(task, Change::RemoveTags(tags)),
        _ => Command::Incomplete("tag"),
    }
}

/// Words around tags that are not tags or a task ("the #draft tag from …").
const TAG_FILLER: &[&str] = &[
    "and", "tags", "tag", "the", "a", "label", "labels", "from", "off", "to", "on", "of",
];

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
    "on", "time", "repeat", "to", "be", "is",
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
                    Some((repeat, anchor)) if used.iter().all(|u| *u) => {
                        Some(repeat_change(repeat, anchor, now.local.date()))
                    }
                    _ => Some(trim_title(right))
                        .filter(|t| !t.is_empty())
                        .map(Change::Rename),
                }
            }
        }
    };
    change.map_or(Command::Incomplete("update"), |c| Command::Update(task, c))
}

/// Phrases that end a recurrence ("make task 1 stop repeating", "water plants: no longer
/// repeats").
#[rustfmt::skip]
pub const STOP_REPEATING: &[&str] = &[
    "stop repeating", "stop recurring", "not repeat", "not recurring", "not repeating",
    "no longer repeat", "no longer repeats", "no longer recurring", "no longer repeating",
    "non recurring", "non-recurring", "a one-off", "one-off", "a one off", "one off",
    "should stop repeating", "not repeat any more", "not repeat anymore", "repeat no more",
];

/// "make task 3 high priority", "make the report urgent", "set task 4 due tomorrow", "make
/// task 1 stop repeating".
pub fn update_inline(middle: &[Word], now: Now) -> Command {
    let mut used = vec![false; middle.len()];
    if let Some((at, len)) = find_phrase(middle, STOP_REPEATING) {
        let mut rest: Vec<Word> = middle[..at].to_vec();
        rest.extend_from_slice(&middle[at + len..]);
        rest.retain(|w| !matches!(w.norm.as_str(), "should" | "to" | "be" | "is" | "it's"));
        return parse_ref(&rest).map_or(Command::Incomplete("update"), |t| {
            Command::Update(t, Change::StopRepeat)
        });
    }
    let change = if let Some(p) = take_priority(middle, &mut used) {
        Change::Priority(p)
    } else if let Some((repeat, anchor)) = take_repeat(middle, &mut used) {
        repeat_change(repeat, anchor, now.local.date())
    } else if let Some(due) = take_due(middle, &mut used, now) {
        Change::Due(due)
    } else {
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

/// Where the first of `phrases` starts in `words`, and its length.
fn find_phrase(words: &[Word], phrases: &[&str]) -> Option<(usize, usize)> {
    (0..words.len()).find_map(|at| {
        phrases
            .iter()
            .filter(|p| super::words::starts_with(&words[at..], p))
            .map(|p| super::words::len(p))
            .max()
            .map(|len| (at, len))
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
