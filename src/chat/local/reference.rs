//! Naming a task in a message: by number ("task 3", "#3", "number 3", "3") or by a fragment of
//! its title ("the milk task" → "milk").

use super::command::TaskRef;
use super::words::{Word, text, trim};

/// Words around a reference that are not part of it.
const LEADING: &[&str] = &[
    "the", "my", "a", "an", "that", "this", "task", "tasks", "item", "todo", "to-do", "number",
    "no", "nr", "num", "with", "about", "on", "of", "for", "from", "to", "one", "called", "named",
    "titled", "entry",
];
const TRAILING: &[&str] = &[
    "task", "tasks", "item", "todo", "to-do", "one", "thing", "entry", "please", "now", "for",
    "to", "from", "on", "of", "as", "with", "and", "too", "already", "again", "then",
];

/// Words that point at a task without naming any of its title ("delete it", "finish that",
/// "the last one"). Matched as text they would name whatever title holds them ("it" in "Submit
/// it"), so a reference made of them alone is no reference: the agent asks which task.
const POINTERS: &[&str] = &[
    "it",
    "its",
    "that",
    "this",
    "these",
    "those",
    "them",
    "they",
    "one",
    "ones",
    "last",
    "latest",
    "previous",
    "same",
    "former",
    "latter",
    "thing",
    "stuff",
    "everything",
    "all",
];

/// Reads the words that name a task; `None` when nothing is left once filler is removed, or
/// when only pointing words are ([`POINTERS`]).
#[must_use]
pub fn parse_ref(words: &[Word]) -> Option<TaskRef> {
    let core = trim(words, LEADING, TRAILING);
    if !core.is_empty() && core.iter().all(|w| POINTERS.contains(&w.norm.as_str())) {
        return None;
    }
    if let [only] = core
        && let Some(number) = number_of(&only.norm)
    {
        return Some(TaskRef::Number(number));
    }
    let fragment = text(core);
    let fragment = fragment.strip_suffix("'s").unwrap_or(&fragment).trim();
    if fragment.is_empty() {
        // "task 3" with "task" eaten as filler still reads as a number above; an empty core
        // means the message named nothing.
        return None;
    }
    Some(TaskRef::Text(fragment.to_owned()))
}

/// "3", "#3", "3's", "#3,".
#[must_use]
pub fn number_of(norm: &str) -> Option<i64> {
    let digits = norm.trim_start_matches('#');
    let digits = digits.strip_suffix("'s").unwrap_or(digits);
    let n: i64 = digits.parse().ok()?;
    (n > 0 && digits.chars().all(|c| c.is_ascii_digit())).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::local::words::split;

    fn parse(s: &str) -> Option<TaskRef> {
        parse_ref(&split(s))
    }

    #[test]
    fn pointing_words_alone_name_no_task() {
        for s in [
            "it",
            "that",
            "this one",
            "the last one",
            "them",
            "that thing",
        ] {
            assert_eq!(parse(s), None, "{s}");
        }
        assert_eq!(
            parse("it report"),
            Some(TaskRef::Text("it report".to_owned()))
        );
    }

    #[test]
    fn numbers_in_every_spelling() {
        for s in [
            "task 3",
            "#3",
            "number 3",
            "3",
            "task #3",
            "the task number 3",
            "no. 3",
        ] {
            assert_eq!(parse(s), Some(TaskRef::Number(3)), "{s}");
        }
    }

    #[test]
    fn fragments_lose_their_filler() {
        assert_eq!(parse("the milk task"), Some(TaskRef::Text("milk".into())));
        assert_eq!(parse("the Report"), Some(TaskRef::Text("Report".into())));
        assert_eq!(parse("buy milk"), Some(TaskRef::Text("buy milk".into())));
        assert_eq!(parse("the task"), None);
        assert_eq!(parse(""), None);
    }
}
