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

/// Places in a listing ("the first one", "the 2nd task", "the top one").
const ORDINALS: &[&[&str]] = &[
    &["first", "1st", "top"],
    &["second", "2nd"],
    &["third", "3rd"],
    &["fourth", "4th"],
    &["fifth", "5th"],
    &["sixth", "6th"],
    &["seventh", "7th"],
    &["eighth", "8th"],
    &["ninth", "9th"],
    &["tenth", "10th"],
];

/// Amounts that are not a task number ("delete a couple", "finish a few").
const QUANTITIES: &[&str] = &[
    "couple", "few", "several", "some", "many", "most", "both", "half", "dozen", "bunch", "lot",
    "lots", "any", "either", "neither", "none",
];

/// Words that, right after a number, make it an amount ("2 tasks") rather than a task.
const COUNTED: &[&str] = &["tasks", "items", "todos", "things", "ones", "of"];

/// Reads the words that name a task; `None` when nothing is left once filler is removed.
/// Only pointing words ([`POINTERS`]) are [`TaskRef::Previous`]; something that cannot be a
/// task number is [`TaskRef::Invalid`].
#[must_use]
pub fn parse_ref(words: &[Word]) -> Option<TaskRef> {
    if let Some(amount) = amount(words) {
        return Some(TaskRef::Invalid(amount));
    }
    let core = trim(words, LEADING, TRAILING);
    let pointing = |w: &Word| POINTERS.contains(&w.norm.as_str());
    // "that" and "one" are filler around a title too ("that milk task"), so a reference
    // trimmed to nothing still points when it held one of them.
    if (core.is_empty() && words.iter().any(pointing))
        || (!core.is_empty() && core.iter().all(pointing))
    {
        return Some(TaskRef::Previous);
    }
    if let [only] = core {
        if let Some(place) = ORDINALS
            .iter()
            .position(|names| names.contains(&only.norm.as_str()))
        {
            return Some(TaskRef::Nth(place));
        }
        if let Some(number) = number_of(&only.norm) {
            return Some(TaskRef::Number(number));
        }
        // "zero", "three": a number word is more likely a guess at a number than a title.
        if looks_numeric(&only.norm) || super::words::number(&only.norm).is_some() {
            return Some(TaskRef::Invalid(only.raw.clone()));
        }
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

/// A number used as an amount, or a word of quantity: "2 tasks", "a couple", "three of them".
fn amount(words: &[Word]) -> Option<String> {
    let norms: Vec<&str> = words.iter().map(|w| w.norm.as_str()).collect();
    if let Some(word) = norms.iter().find(|w| QUANTITIES.contains(w)) {
        return Some((*word).to_owned());
    }
    norms.windows(2).find_map(|pair| {
        let is_amount = super::words::number(pair[0]).is_some()
            && !matches!(pair[0], "a" | "an")
            && COUNTED.contains(&pair[1]);
        is_amount.then(|| format!("{} {}", pair[0], pair[1]))
    })
}

/// Digits with a sign, a point or a fraction, or a zero: "0", "-1", "2.5", "1/2", "#0".
fn looks_numeric(norm: &str) -> bool {
    let body = norm.trim_start_matches('#');
    body.chars().any(|c| c.is_ascii_digit())
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | ',' | '/'))
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
            assert_eq!(parse(s), Some(TaskRef::Previous), "{s}");
        }
        assert_eq!(
            parse("it report"),
            Some(TaskRef::Text("it report".to_owned()))
        );
    }

    #[test]
    fn what_cannot_be_a_task_number_is_invalid() {
        for s in [
            "task 0",
            "#0",
            "-1",
            "task -3",
            "2.5",
            "task 1.5",
            "a couple",
            "a few of them",
            "2 tasks",
            "three of them",
            "both",
            "1/2",
        ] {
            assert!(
                matches!(parse(s), Some(TaskRef::Invalid(_))),
                "{s}: {:?}",
                parse(s)
            );
        }
        assert_eq!(parse("task 12"), Some(TaskRef::Number(12)));
        assert_eq!(parse("the first one"), Some(TaskRef::Nth(0)));
        assert_eq!(parse("the 2nd task"), Some(TaskRef::Nth(1)));
        assert_eq!(
            parse("first aid kit"),
            Some(TaskRef::Text("first aid kit".into()))
        );
        assert_eq!(parse("a cake"), Some(TaskRef::Text("cake".into())));
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
