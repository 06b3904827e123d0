//! "add a subtask check tyres to task 5": an add that says "subtask" and names its parent by
//! number, anywhere in the message. The parent must be named by number ("task 5", "#5"): a vague one ("the car one")
//! is asked about, never guessed, so a subtask never lands under the wrong task.

use super::reference::number_of;
use super::words::Word;

/// Words that make an add a subtask.
const MARKERS: &[&str] = &[
    "subtask",
    "subtasks",
    "sub-task",
    "sub-tasks",
    "subitem",
    "sub-item",
    "child-task",
];
/// Words before the marker that belong to it ("as a subtask").
const MARKER_OPENINGS: &[&str] = &["a", "an", "as", "new", "another", "one", "more"];
/// Words that join the parent's reference to the rest ("to task 5", "under #5").
const JOINS: &[&str] = &[
    "to", "under", "for", "of", "on", "in", "into", "onto", "below", "beneath", "within", "inside",
];
/// Words naming a task before its number.
const TASK_WORDS: &[&str] = &["task", "item", "number", "todo", "no", "no."];

/// What an add says about a parent, once its words are taken out of the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parent {
    /// Not a subtask at all.
    None,
    /// A subtask of the task with this number; the words left are the new task.
    Number(i64, Vec<Word>),
    /// A subtask whose parent was not named by number.
    Unnamed,
}

/// Reads the parent out of the words of an add.
#[must_use]
pub fn parent(words: &[Word]) -> Parent {
    let Some((marker_start, marker_end)) = marker(words) else {
        return Parent::None;
    };
    // The reference right after the marker ("a subtask to task 5: …"), else the last one
    // ("check tyres as a subtask of #5 tomorrow", "check tyres for task 5 as a subtask").
    let references: Vec<(usize, usize)> = (0..words.len())
        .filter_map(|at| reference_at(words, at).map(|end| (at, end)))
        .filter(|&(at, end)| end <= marker_start || at >= marker_end)
        .collect();
    let chosen = references
        .iter()
        .find(|(at, _)| *at == marker_end)
        .or(references.last());
    let Some(&(start, end)) = chosen else {
        return Parent::Unnamed;
    };
    let Some(number) = words[..end].last().and_then(|w| number_of(&w.norm)) else {
        return Parent::Unnamed;
    };
    let rest = words
        .iter()
        .enumerate()
        .filter(|(at, _)| !(marker_start..marker_end).contains(at) && !(start..end).contains(at))
        .map(|(_, w)| w.clone())
        .collect();
    Parent::Number(number, rest)
}

/// "new subtask …": an add that opens with the marker itself ("new" alone adds nothing).
#[must_use]
pub fn opens_an_add(words: &[Word]) -> bool {
    let opening = words.first().is_some_and(|w| w.norm == "new");
    opening && marker(&words[1..]).is_some_and(|(start, _)| start == 0)
}

/// Where the marker and the words belonging to it are, if the add has one.
fn marker(words: &[Word]) -> Option<(usize, usize)> {
    let (at, len) = words.iter().enumerate().find_map(|(at, w)| {
        if MARKERS.contains(&w.norm.as_str()) {
            Some((at, 1))
        } else if w.norm == "sub" && words.get(at + 1).is_some_and(|n| n.norm == "task") {
            Some((at, 2))
        } else {
            None
        }
    })?;
    let mut start = at;
    while start > 0 && MARKER_OPENINGS.contains(&words[start - 1].norm.as_str()) {
        start -= 1;
    }
    Some((start, at + len))
}

/// The end of a reference to a task by number starting at `at` ("to task 5", "under #5",
/// "for task #5"), if there is one.
fn reference_at(words: &[Word], at: usize) -> Option<usize> {
    let join = words.get(at)?;
    if !JOINS.contains(&join.norm.as_str()) {
        return None;
    }
    let mut next = at + 1;
    if words
        .get(next)
        .is_some_and(|w| TASK_WORDS.contains(&w.norm.as_str()))
    {
        next += 1;
        number_of(&words.get(next)?.norm)?;
    } else {
        // A bare number needs its '#': "to 5" could be a time or a quantity.
        let word = words.get(next)?;
        if !word.norm.starts_with('#') {
            return None;
        }
        number_of(&word.norm)?;
    }
    Some(next + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::local::words::{split, text};

    fn read(message: &str) -> Option<(i64, String)> {
        match parent(&split(message)) {
            Parent::Number(number, rest) => Some((number, text(&rest))),
            Parent::Unnamed => Some((0, String::new())),
            Parent::None => None,
        }
    }

    #[test]
    fn the_parent_is_named_by_number_before_or_after_the_title() {
        assert_eq!(
            read("a subtask check tyres to task 5"),
            Some((5, "check tyres".into()))
        );
        assert_eq!(
            read("check tyres as a subtask of #5"),
            Some((5, "check tyres".into()))
        );
        assert_eq!(
            read("a sub-task to task 12: order parts friday"),
            Some((12, "order parts friday".into()))
        );
        assert_eq!(
            read("sub task under task #3 wash"),
            Some((3, "wash".into()))
        );
        assert_eq!(
            read("subtask pack bags for the trip to task 4"),
            Some((4, "pack bags for the trip".into()))
        );
        assert_eq!(
            read("check tyres for task 5 as a subtask friday"),
            Some((5, "check tyres friday".into()))
        );
        assert_eq!(
            read("a subtask check tyres to task 5 tomorrow"),
            Some((5, "check tyres tomorrow".into()))
        );
    }

    #[test]
    fn without_a_number_the_parent_is_asked_for_and_without_the_word_it_is_no_subtask() {
        assert_eq!(
            read("a subtask check tyres to the car task"),
            Some((0, String::new()))
        );
        assert_eq!(read("subtask call bob at 5"), Some((0, String::new())));
        assert_eq!(read("check tyres to task 5"), None);
        assert_eq!(read("talk to #5 about the subject"), None);
    }
}
