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
