//! Phrases that name a project (a list) — "to Groceries", "on the Work list", "my Groceries
//! list" — and requests about the lists themselves ("what lists do I have", "create a list
//! called Groceries"). Pure: whether a name is one of the user's projects is settled when the
//! command runs ([`super::filing`]).

use super::command::{Command, ListName, TaskRef};
use super::reference::{number_of, parse_ref};
use super::safety;
use super::words::{Word, text};

/// Words that put a task into a list, or find tasks in one.
const INTO: &[&str] = &["to", "into", "onto", "on", "in", "under"];
/// Words that may stand before a list's name ("the", "my").
const OWNERS: &[&str] = &["the", "my", "our"];
/// Words that say the name before them is a list's.
const NOUNS: &[&str] = &["list", "project"];
/// Words that never make up a list's name on their own ("my to-do list", "talk to me").
#[rustfmt::skip]
const GENERIC: &[&str] = &[
    "to-do", "todo", "to", "do", "task", "tasks", "todos", "to-dos", "whole", "entire", "full",
    "main", "master", "current", "own", "this", "that", "a", "an", "me", "him", "her", "them",
    "us", "it", "you", "pending", "open", "done", "completed", "finished", "overdue", "today",
    "today's", "todays", "tomorrow", "tomorrow's", "shared", "other", "new", "next", "last",
];
/// Words that end a list's name when reading backwards from "list" ("show my Work list").
#[rustfmt::skip]
const BEFORE_NAME: &[&str] = &[
    "the", "my", "our", "to", "into", "onto", "on", "in", "under", "from", "of", "what's",
    "whats", "show", "list", "see", "view", "display", "me", "is", "are", "everything", "all",
    "anything", "tasks", "items", "things", "left", "still", "open", "pending", "what", "any",
    "get", "give", "tell", "about", "for", "at",
];
/// Longest name read without the word "list" or "project" after it.
const MAX_BARE: usize = 3;
/// Longest name read before "list" or "project".
const MAX_NAMED: usize = 6;

/// The list `words` name, all of them: `[the|my] <name> [list|project]`. `None` when nothing
/// is left, a word is quoted (a title as typed), a tag, or the name is only generic words.
fn name_of(words: &[Word], quoted: &[bool]) -> Option<ListName> {
    let explicit = words
        .last()
        .is_some_and(|w| NOUNS.contains(&w.norm.as_str()));
    let end = words.len() - usize::from(explicit);
    let start = usize::from(
        words
            .first()
            .is_some_and(|w| OWNERS.contains(&w.norm.as_str())),
    );
    let name = words.get(start..end)?;
    let most = if explicit { MAX_NAMED } else { MAX_BARE };
    let plain = name
        .iter()
        .all(|w| !w.norm.starts_with('#') && !w.norm.chars().all(|c| c.is_ascii_digit()));
    if name.is_empty()
        || name.len() > most
        || !plain
        || quoted.iter().any(|q| *q)
        || name.iter().all(|w| GENERIC.contains(&w.norm.as_str()))
    {
        return None;
    }
    Some(ListName {
        name: text(name),
        explicit,
    })
}

/// The list `words` name, all of them ("Groceries", "my Work list"); `None` when they are
/// only generic words or pronouns ("it", "my list").
#[must_use]
pub fn name(words: &[Word]) -> Option<ListName> {
    name_of(words, &vec![false; words.len()])
}

/// The closing "to <list>" of an add ("milk to Groceries", "call mom on the Work list"):
/// where the phrase starts in `words` and the list it names. Only the last such word is
/// looked at, and something must stand before it (the title).
#[must_use]
pub fn trailing(words: &[Word], quoted: &[bool]) -> Option<(usize, ListName)> {
    let at = (1..words.len().saturating_sub(1))
        .rev()
        .find(|&at| INTO.contains(&words[at].norm.as_str()) && !quoted[at])?;
    name_of(&words[at + 1..], &quoted[at + 1..]).map(|list| (at, list))
}

/// An opening "in <list>:" of an add ("new task in Work: book the venue"): where the title
/// starts and the list.
#[must_use]
pub fn leading(words: &[Word], quoted: &[bool]) -> Option<(usize, ListName)> {
    if !words
        .first()
        .is_some_and(|w| INTO.contains(&w.norm.as_str()))
    {
        return None;
    }
    let colon = words
        .iter()
        .take(MAX_NAMED + 3)
        .position(|w| w.raw.ends_with(':'))?;
    let list = name_of(&words[1..=colon], &quoted[1..=colon])?;
    Some((colon + 1, list))
}

/// The list a listing asks about: "[in|on] my Work list" anywhere, or a closing "in Work".
#[must_use]
pub fn in_list(middle: &[Word]) -> Option<ListName> {
    let unquoted = vec![false; middle.len()];
    // "… my Work list …": read back from the noun to the word before the name.
    if let Some(noun) = middle
        .iter()
        .rposition(|w| NOUNS.contains(&w.norm.as_str()))
    {
        let start = middle[..noun]
            .iter()
            .rposition(|w| BEFORE_NAME.contains(&w.norm.as_str()))
            .map_or(0, |at| at + 1);
        if let Some(list) = name_of(&middle[start..=noun], &unquoted[start..=noun]) {
            return Some(list);
        }
    }
    let at = middle
        .iter()
        .rposition(|w| matches!(w.norm.as_str(), "in" | "on" | "from"))?;
    name_of(&middle[at + 1..], &unquoted[at + 1..])
}

/// "move task 3 to Work", "move 'buy milk' to the Groceries list": the task and the list,
/// once no date was found in the words. Several tasks ("move everything to Work") are not
/// moved: the answer says so.
#[must_use]
pub fn move_to(middle: &[Word]) -> Option<Command> {
    let unquoted = vec![false; middle.len()];
    let at = (1..middle.len().saturating_sub(1))
        .rev()
        .find(|&at| INTO.contains(&middle[at].norm.as_str()))?;
    let list = name_of(&middle[at + 1..], &unquoted[at + 1..])?;
    let mut target = &middle[..at];
    // "shift the bank task over to Work".
    while let [rest @ .., last] = target
        && matches!(last.norm.as_str(), "over" | "across" | "back")
    {
        target = rest;
    }
    if safety::bulk(target).is_some() {
        return Some(Command::Incomplete("move"));
    }
    parse_ref(target).map(|task| Command::MoveTo(task, list))
}

/// "task 3", "#3", "number 3": a title that is a task's number, in "put task 2 in Errands".
#[must_use]
pub fn numbered(title: &[Word]) -> Option<TaskRef> {
    match title {
        [only] if only.norm.starts_with('#') => number_of(&only.norm).map(TaskRef::Number),
        [word, n] if matches!(word.norm.as_str(), "task" | "number" | "item") => {
            number_of(&n.norm).map(TaskRef::Number)
        }
        _ => None,
    }
}

/// Words that may surround "lists" or "projects" in a question about them.
#[rustfmt::skip]
const ASKING: &[&str] = &[
    "what", "which", "show", "me", "my", "list", "all", "do", "i", "have", "are", "the", "see",
    "view", "display", "get", "give", "tell", "about", "your", "of", "there", "any", "got",
    "i've", "ive", "what's", "whats", "current", "existing", "available", "how", "many", "is",
    "does", "use", "we", "our", "has", "been", "set", "up", "made", "created",
];
/// Words that start a request to create a list.
const CREATE: &[&str] = &[
    "create", "make", "add", "start", "new", "open", "begin", "setup",
];
/// Words between the verb and "list" ("make me a new list").
const ARTICLES: &[&str] = &["a", "an", "the", "new", "another", "me", "us", "fresh"];
/// Words between "list" and its name.
const CALLED: &[&str] = &["called", "named", "titled", "for"];
/// Words that cannot start a list's name ("a list of groceries to buy" is a task).
#[rustfmt::skip]
const NOT_A_NAME: &[&str] = &[
    "of", "to", "with", "from", "in", "on", "about", "and", "that", "which", "i", "we", "the",
    "a", "an", "my", "where", "so", "item", "items", "task", "tasks",
];

/// A request about the lists themselves: "what lists do I have", "show my projects", "create
/// a list called Groceries", "new project Work", "make a Holiday list".
#[must_use]
pub fn request(words: &[Word]) -> Option<Command> {
    let norms: Vec<&str> = words.iter().map(|w| w.norm.as_str()).collect();
    let about_lists = norms.iter().any(|w| matches!(*w, "lists" | "projects"));
    if about_lists
        && norms
            .iter()
            .all(|w| ASKING.contains(w) || matches!(*w, "lists" | "projects"))
    {
        return Some(Command::Projects);
    }
    create(words)
}

/// "create a list called Groceries", "new project: Work", "make a Holiday list".
fn create(words: &[Word]) -> Option<Command> {
    let verb = words.first()?.norm.as_str();
    let skip = match (verb, words.get(1).map(|w| w.norm.as_str())) {
        ("set", Some("up")) => 2,
        _ if CREATE.contains(&verb) => 1,
        _ => return None,
    };
    let articles = words[skip..]
        .iter()
        .take_while(|w| ARTICLES.contains(&w.norm.as_str()))
        .count();
    let rest = &words[skip + articles..];
    let first = rest.first()?;
    if NOUNS.contains(&first.norm.as_str()) {
        // "create a list called Groceries", "new project Work", "new list: Groceries".
        let called = rest
            .get(1)
            .is_some_and(|w| CALLED.contains(&w.norm.as_str()));
        let name = &rest[1 + usize::from(called)..];
        // "add project review" is more likely a task about a project than a new project.
        if verb == "add" && !called && !first.raw.ends_with(':') {
            return None;
        }
        return match name.first() {
            None => Some(Command::Incomplete("project")),
            Some(w) if !called && NOT_A_NAME.contains(&w.norm.as_str()) => None,
            Some(_) => {
                let name = text(name);
                (!name.is_empty()).then_some(Command::NewProject(name))
            }
        };
    }
    // "create a Holiday list", "make a new Work project": an article is needed after "add"
    // ("add review project" is a task).
    let (last, name) = rest.split_last()?;
    let named = NOUNS.contains(&last.norm.as_str())
        && (1..=MAX_BARE).contains(&name.len())
        && (verb != "add" || articles > 0)
        && name
            .iter()
            .all(|w| !NOT_A_NAME.contains(&w.norm.as_str()) && !GENERIC.contains(&w.norm.as_str()));
    named.then(|| Command::NewProject(text(name)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::local::words::split;

    fn list(name: &str, explicit: bool) -> ListName {
        ListName {
            name: name.to_owned(),
            explicit,
        }
    }

    fn trail(s: &str) -> Option<(usize, ListName)> {
        let words = split(s);
        trailing(&words, &vec![false; words.len()])
    }

    #[test]
    fn a_closing_to_names_a_list_maybe() {
        assert_eq!(
            trail("milk to Groceries"),
            Some((1, list("Groceries", false)))
        );
        assert_eq!(
            trail("milk to my groceries list"),
            Some((1, list("groceries", true)))
        );
        assert_eq!(
            trail("call mom on the Work list"),
            Some((2, list("Work", true)))
        );
        assert_eq!(trail("talk to bob to Work"), Some((3, list("Work", false))));
        assert_eq!(trail("call to mom"), Some((1, list("mom", false))));
        // Filler lists, pronouns, tags and long tails are no list.
        assert_eq!(trail("milk to my list"), None);
        assert_eq!(trail("milk to my to-do list"), None);
        assert_eq!(trail("talk to me"), None);
        assert_eq!(trail("add #home to it"), None);
        assert_eq!(trail("go to the very big old house"), None);
        assert_eq!(trail("Groceries"), None);
        let lead = |s: &str| {
            let words = split(s);
            leading(&words, &vec![false; words.len()])
        };
        assert_eq!(
            lead("in Work: book the venue"),
            Some((2, list("Work", false)))
        );
        assert_eq!(
            lead("to my Groceries list: milk"),
            Some((4, list("Groceries", true)))
        );
        assert_eq!(lead("in the morning call Bob"), None);
    }

    #[test]
    fn a_listing_names_its_list() {
        let named = |s: &str| in_list(&split(s));
        assert_eq!(named("in my Work list"), Some(list("Work", true)));
        assert_eq!(named("my Groceries list"), Some(list("Groceries", true)));
        assert_eq!(named("tasks in Work"), Some(list("Work", false)));
        assert_eq!(
            named("still open in the Home project"),
            Some(list("Home", true))
        );
        assert_eq!(named("my to-do list"), None);
        assert_eq!(named("my tasks"), None);
        assert_eq!(named("everything on my list"), None);
        assert_eq!(named("pending tasks"), None);
    }

    #[test]
    fn moves_name_a_task_and_a_list() {
        let moved = |s: &str| move_to(&split(s));
        assert_eq!(
            moved("task 3 to Work"),
            Some(Command::MoveTo(TaskRef::Number(3), list("Work", false)))
        );
        assert_eq!(
            moved("'buy milk' to the Groceries list"),
            Some(Command::MoveTo(
                TaskRef::Text("buy milk".into()),
                list("Groceries", true)
            ))
        );
        assert_eq!(
            moved("the bank task over to the Work project"),
            Some(Command::MoveTo(
                TaskRef::Text("bank".into()),
                list("Work", true)
            ))
        );
        assert_eq!(
            moved("everything to Work"),
            Some(Command::Incomplete("move"))
        );
        assert_eq!(moved("to Work"), None);
    }

    #[test]
    fn requests_about_lists() {
        let req = |s: &str| request(&split(s));
        for s in [
            "what lists do I have",
            "show my projects",
            "list my lists",
            "projects",
        ] {
            assert_eq!(req(s), Some(Command::Projects), "{s}");
        }
        for (s, name) in [
            ("create a list called Groceries", "Groceries"),
            ("new project Work", "Work"),
            ("make me a new list named Home Reno", "Home Reno"),
            ("add a project called Work", "Work"),
            ("create a Holiday list", "Holiday"),
            ("new list: Groceries", "Groceries"),
            ("set up a project for the move", "the move"),
        ] {
            assert_eq!(req(s), Some(Command::NewProject(name.to_owned())), "{s}");
        }
        assert_eq!(
            req("create a new list"),
            Some(Command::Incomplete("project"))
        );
        for s in [
            "add review project",
            "add a list of groceries to buy",
            "add project review",
            "create a task",
            "delete my lists",
            "add milk to my list",
        ] {
            assert_eq!(req(s), None, "{s}");
        }
    }
}
