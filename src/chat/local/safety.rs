//! The guard rails read from a message's words: negation, "yes", `undo`, and requests that
//! cover several tasks at once.

use super::command::{BulkSpec, Command, TaskRef};
use super::fields::tag;
use super::reference::number_of;
use super::words::{Word, len, starts_with};
use crate::tasks::model::StatusFilter;

/// Words that negate what follows ("don't delete it", "never complete that", "no, do not").
const NEGATIONS: &[&str] = &[
    "don't",
    "dont",
    "do not",
    "never",
    "not",
    "shouldn't",
    "mustn't",
    "won't",
    "wouldn't",
    "doesn't",
    "didn't mean",
    "did not mean",
    "wasn't",
    "cannot",
    "can't",
];

/// Phrases holding a negation word that negate nothing: reminders ("don't forget to"), and
/// values ("not done", "no due date", "no. 3").
const NOT_NEGATIONS: &[&str] = &[
    "don't let me forget",
    "dont let me forget",
    "do not let me forget",
    "don't forget",
    "dont forget",
    "do not forget",
    "never forget",
    "not forget",
    "not done",
    "not finished",
    "not complete",
    "not completed",
    "not urgent",
    "not important",
    "not recurring",
    "not repeating",
    "not repeat",
    "no longer",
    "no due",
    "no deadline",
    "no date",
    "no priority",
    "no tags",
    "no tag",
    "no description",
    "no note",
    "as not",
    "did not finish",
    "not done yet",
    "not yet done",
    "no.",
];

/// Answers that confirm the question asked.
const YES: &[&str] = &[
    "yes",
    "y",
    "yep",
    "yeah",
    "yup",
    "ya",
    "sure",
    "confirm",
    "confirmed",
    "do it",
    "go ahead",
    "go for it",
    "correct",
    "affirmative",
    "please do",
    "absolutely",
    "yes please",
    "i confirm",
    "proceed",
];

/// Requests to take back the last change ("undo", "undo that", "revert the last change").
const UNDO: &[&str] = &[
    "undo",
    "revert",
    "take that back",
    "take it back",
    "roll back",
    "rollback",
    "reverse",
    "put it back",
    "put that back",
    "bring it back",
    "bring that back",
    "oops",
    "whoops",
    "that was a mistake",
    "scratch that",
    "that was wrong",
    "my mistake",
    "i didn't mean that",
    "i did not mean that",
    "i didn't mean to",
    "i did not mean to",
    "restore it",
    "restore that",
    "undelete it",
    "undelete",
];

/// What may follow an undo verb without naming a task of its own.
const UNDO_OBJECTS: &[&str] = &[
    "it", "that", "this", "the", "last", "change", "changes", "action", "step", "edit", "my",
    "your", "what", "you", "just", "did", "done", "please", "thing", "one", "previous", "please",
    "undo", "now", "again", "delete", "deletion",
];

/// Words that make a task reference cover many tasks.
const QUANTIFIERS: &[&str] = &[
    "all",
    "everything",
    "every",
    "each",
    "entire",
    "whole",
    "list",
    "everythin",
    "evrything",
];

/// Words that say which tasks a bulk request covers, with the status they select.
const STATUS_WORDS: &[(&str, StatusFilter)] = &[
    ("completed", StatusFilter::Completed),
    ("complete", StatusFilter::Completed),
    ("done", StatusFilter::Completed),
    ("finished", StatusFilter::Completed),
    ("checked", StatusFilter::Completed),
    ("ticked", StatusFilter::Completed),
    ("old", StatusFilter::Completed),
    ("pending", StatusFilter::Pending),
    ("open", StatusFilter::Pending),
    ("unfinished", StatusFilter::Pending),
    ("incomplete", StatusFilter::Pending),
    ("remaining", StatusFilter::Pending),
    ("outstanding", StatusFilter::Pending),
    ("active", StatusFilter::Pending),
];

/// Plural nouns that, with a status word, make a request cover many tasks ("delete done
/// tasks").
const PLURALS: &[&str] = &[
    "tasks", "todos", "items", "ones", "things", "to-dos", "them",
];

/// Filler inside a bulk request, never a title word.
const BULK_FILLER: &[&str] = &[
    "my", "the", "of", "off", "task", "tasks", "todos", "items", "ones", "things", "to-dos",
    "them", "that", "are", "is", "which", "i", "have", "from", "in", "on", "and", "tagged", "with",
    "tag", "out", "up", "clean", "as", "mark", "overdue", "late", "list", "please", "stuff",
    "these", "those", "it", "its", "to-do", "todo", "out", "already",
];

/// Whether the phrase at `at` is one of `phrases`, returning its length.
fn phrase_at(words: &[Word], at: usize, phrases: &[&str]) -> Option<usize> {
    phrases
        .iter()
        .filter(|p| starts_with(&words[at..], p))
        .map(|p| len(p))
        .max()
}

/// Words inside double quotes: a title, never a command word.
#[must_use]
pub fn quoted(words: &[Word]) -> Vec<bool> {
    let mut inside = false;
    words
        .iter()
        .map(|w| {
            let opens = w.raw.starts_with(['"', '\u{201c}']);
            let closes =
                w.raw.ends_with(['"', '\u{201d}']) && (w.raw.chars().count() > 1 || inside);
            let this = inside || opens;
            if opens && !closes {
                inside = true;
            } else if closes {
                inside = false;
            }
            this
        })
        .collect()
}

/// Whether the message negates what it asks (outside quotes, and not in a reminder or value
/// phrase).
#[must_use]
pub fn negated(words: &[Word]) -> bool {
    let quoted = quoted(words);
    let mut at = 0;
    while at < words.len() {
        if quoted.get(at).copied().unwrap_or(false) {
            at += 1;
            continue;
        }
        if let Some(n) = phrase_at(words, at, NOT_NEGATIONS) {
            at += n;
            continue;
        }
        if phrase_at(words, at, NEGATIONS).is_some() {
            return true;
        }
        at += 1;
    }
    false
}

/// "yes", "yes please", "confirm", "do it": `Some(rest)` with what follows the yes.
#[must_use]
pub fn confirmation(words: &[Word]) -> Option<&[Word]> {
    let n = phrase_at(words, 0, YES)?;
    Some(&words[n..])
}

/// Whether the message asks to take back the last change.
#[must_use]
pub fn is_undo(words: &[Word]) -> bool {
    let Some(mut at) = phrase_at(words, 0, UNDO) else {
        return false;
    };
    // "oops, I didn't mean that": one undo phrase after another.
    while let Some(n) = phrase_at(words, at, UNDO) {
        at += n;
    }
    words[at..]
        .iter()
        .all(|w| UNDO_OBJECTS.contains(&w.norm.as_str()) || w.norm.starts_with("last"))
}

/// The tasks a request covers when it names many ("all completed tasks", "everything",
/// "tasks 3 and 4", "my #work tasks"); `None` when it names one task or none.
#[must_use]
pub fn bulk(middle: &[Word]) -> Option<BulkSpec> {
    let norms: Vec<&str> = middle.iter().map(|w| w.norm.as_str()).collect();
    let numbers: Vec<i64> = norms
        .iter()
        .flat_map(|w| w.split(','))
        .filter_map(number_of)
        .collect();
    let only_numbers = norms.iter().all(|w| {
        w.split(',')
            .all(|part| part.is_empty() || number_of(part).is_some())
            || matches!(
                *w,
                "and" | "&" | "task" | "tasks" | "#" | "numbers" | "both" | "plus"
            )
    });
    if numbers.len() > 1 && only_numbers {
        let mut spec = BulkSpec {
            numbers,
            ..BulkSpec::default()
        };
        spec.numbers.dedup();
        return Some(spec);
    }
    let quantified = norms.iter().any(|w| QUANTIFIERS.contains(w));
    let plural = norms.iter().any(|w| PLURALS.contains(w));
    let spec = scope(middle);
    let selective = spec.status.is_some() || spec.overdue || !spec.tags.is_empty();
    (quantified || (plural && selective)).then_some(spec)
}

/// The tasks a request that is known to cover many ("clear …") selects.
#[must_use]
pub fn scope(middle: &[Word]) -> BulkSpec {
    let norms: Vec<&str> = middle.iter().map(|w| w.norm.as_str()).collect();
    let status = norms
        .iter()
        .find_map(|w| STATUS_WORDS.iter().find(|(s, _)| s == w).map(|(_, v)| *v));
    let overdue = norms.iter().any(|w| matches!(*w, "overdue" | "late"));
    let tags: Vec<String> = norms.iter().filter_map(|w| tag(w)).collect();
    // "everything except the milk", "all but the report".
    let cut = norms
        .iter()
        .position(|w| {
            matches!(
                *w,
                "except" | "but" | "besides" | "excluding" | "apart" | "other"
            )
        })
        .unwrap_or(norms.len());
    let except: Vec<String> = norms[cut..]
        .iter()
        .skip(1)
        .filter(|w| !BULK_FILLER.contains(w) && !matches!(**w, "from" | "than" | "for"))
        .map(|w| (*w).to_owned())
        .collect();
    let norms = &norms[..cut];
    let words = norms
        .iter()
        .filter(|w| {
            !QUANTIFIERS.contains(w)
                && !BULK_FILLER.contains(w)
                && !STATUS_WORDS.iter().any(|(s, _)| s == *w)
                && tag(w).is_none()
        })
        .map(|w| (*w).to_owned())
        .collect();
    BulkSpec {
        status,
        overdue,
        tags,
        words,
        numbers: Vec::new(),
        except,
    }
}

/// Whether a command changes tasks (and so must not run when negated).
#[must_use]
pub const fn changes(command: &Command) -> bool {
    matches!(
        command,
        Command::Add(_)
            | Command::Complete(_)
            | Command::Reopen(_)
            | Command::Delete(_)
            | Command::Update(..)
            | Command::MoveTo(..)
            | Command::NewProject(_)
            | Command::Share { .. }
            | Command::Unshare { .. }
            | Command::ChangeRole { .. }
            | Command::Leave(_)
            | Command::Bulk(..)
            | Command::Confirm
            | Command::Undo
    )
}

/// Whether a reference, seen inside a "yes, …" answer, only restates the question.
#[must_use]
pub const fn restates(task: &TaskRef) -> bool {
    matches!(task, TaskRef::Previous)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::local::words::split;

    #[test]
    fn negation_outside_reminders_and_values() {
        for s in [
            "don't delete it",
            "do not complete task 3",
            "never mark that done",
            "no, don't",
            "please dont remove the milk",
            "I do not want to delete anything",
        ] {
            assert!(negated(&split(s)), "{s}");
        }
        for s in [
            "don't forget to buy milk",
            "mark task 3 as not done",
            "set task 2 to no due date",
            "add \"do not disturb\" sign",
            "delete task 3",
        ] {
            assert!(!negated(&split(s)), "{s}");
        }
    }

    #[test]
    fn bulk_requests_are_recognised() {
        let spec = bulk(&split("all completed tasks")).expect("bulk");
        assert_eq!(spec.status, Some(StatusFilter::Completed));
        assert!(spec.words.is_empty());
        assert_eq!(bulk(&split("everything")), Some(BulkSpec::default()));
        let spec = bulk(&split("tasks 3 and 4")).expect("bulk");
        assert_eq!(spec.numbers, vec![3, 4]);
        let spec = bulk(&split("all the milk tasks")).expect("bulk");
        assert_eq!(spec.words, vec!["milk".to_owned()]);
        assert_eq!(bulk(&split("the milk")), None);
        assert_eq!(bulk(&split("task 3")), None);
        assert_eq!(bulk(&split("done report")), None);
    }

    #[test]
    fn undo_and_yes() {
        assert!(is_undo(&split("undo")));
        assert!(is_undo(&split("undo that")));
        assert!(is_undo(&split("undo the last change")));
        assert!(!is_undo(&split("undo task 3")));
        assert!(is_undo(&split("oops i didn't mean that")));
        assert!(confirmation(&split("yes")).is_some());
        assert!(confirmation(&split("yes please")).is_some());
        assert!(confirmation(&split("add milk")).is_none());
    }
}
