//! Completion said as news: "I posted the letter", "just paid the rent", "finally called mom"
//! → complete the task those words name.

use super::command::{Command, TaskRef};
use super::stem::is_past;
use super::words::{Word, text};

/// Who did it, and words of timing or emphasis around the verb.
#[rustfmt::skip]
const SUBJECTS: &[&str] = &[
    "i", "i've", "ive", "i have", "we", "we've", "we have", "just", "finally", "already", "today",
    "yesterday", "earlier", "so", "well", "guess what", "good news", "update", "fyi", "btw",
];

/// The complete command a past-tense statement stands for: `[subject] <past verb> <rest>`,
/// the reference being the verb and the rest ("posted the letter").
#[must_use]
pub fn past_tense(words: &[Word]) -> Option<Command> {
    let mut at = 0;
    loop {
        let next = SUBJECTS
            .iter()
            .filter(|s| super::words::starts_with(&words[at..], s))
            .map(|s| super::words::len(s))
            .max();
        match next {
            Some(n) if at + n < words.len() => at += n,
            _ => break,
        }
    }
    let verb = words.get(at)?;
    if !is_past(&verb.norm) || at + 1 >= words.len() {
        return None;
    }
    let reference = text(&words[at..]);
    Some(Command::Complete(TaskRef::Said(reference)))
}

/// Words that may follow the participle of a passive statement ("rent sent already").
const AFTER: &[&str] = &[
    "now",
    "already",
    "finally",
    "today",
    "yesterday",
    "too",
    "at",
    "last",
];
/// Words that may join the task and the participle ("flights are booked").
const BE: &[&str] = &[
    "is", "are", "was", "were", "has", "have", "been", "got", "all",
];

/// Completion said in the passive: "flights are booked", "rent sent", "invoice paid now".
#[must_use]
pub fn passive(words: &[Word]) -> Option<Command> {
    let mut end = words.len();
    while end > 0 && AFTER.contains(&words[end - 1].norm.as_str()) {
        end -= 1;
    }
    let verb = words.get(end.checked_sub(1)?)?;
    let mut start = end - 1;
    while start > 0 && BE.contains(&words[start - 1].norm.as_str()) {
        start -= 1;
    }
    if start == 0 || !is_past(&verb.norm) {
        return None;
    }
    Some(Command::Complete(TaskRef::Said(text(&words[..end]))))
}
