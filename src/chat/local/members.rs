//! Requests about the people of a list: who it is shared with ("who can see Groceries",
//! "members of Groceries"), no longer sharing it with someone ("stop sharing Groceries with
//! sam@example.com", "remove sam@example.com from Groceries"), a member's role ("make
//! sam@example.com a viewer of Groceries"), handing it over ("give Groceries to
//! sam@example.com") and leaving it ("leave Groceries"). Pure, like [`super::sharing`]: whether
//! the list is one of the user's and what they may do in it is settled when the command runs
//! ([`super::membership`]).
//!
//! Who may see a list is never guessed at: a person is named by a whole email address, one at
//! a time, and a request without one is asked back. "unshare Groceries" names nobody, so it
//! lists the members to choose from and removes no one.

use super::command::Command;
use super::lists;
use super::sharing::email;
use super::words::{Word, starts_with, trim};
use crate::projects::model::Role;

/// Openings of a question about a list's people.
const WHO: &[&str] = &["who", "who's", "whos"];
/// Words of such a question that say it is about access ("who can see …").
#[rustfmt::skip]
const ACCESS: &[&str] = &[
    "shared", "sharing", "share", "shares", "see", "view", "edit", "access", "member", "members",
    "use", "uses", "using", "on", "in",
];
/// Words around the list's name in such a question.
#[rustfmt::skip]
const QUESTION: &[&str] = &[
    "is", "are", "'s", "else", "can", "could", "has", "have", "got", "gets", "shared", "sharing",
    "share", "shares", "see", "view", "edit", "access", "to", "with", "on", "in", "of", "member",
    "members", "a", "part", "use", "uses", "using", "the", "currently", "now", "right",
];
/// Openings before "members of …" ("show the members of Groceries").
#[rustfmt::skip]
const SHOW: &[&str] = &[
    "show", "list", "see", "view", "display", "get", "give", "tell", "me", "the", "all", "what",
    "what's", "whats", "are", "is", "current",
];
/// Words for a list's people.
const PEOPLE: &[&str] = &["members", "member", "people", "sharers"];
/// Openings that stop sharing a list, wherever the person is named.
const STOP_SHARING: &[&str] = &[
    "stop sharing",
    "quit sharing",
    "unshare",
    "un-share",
    "revoke",
    "revoke access to",
];
/// Verbs that remove the person named right after them ("remove sam@… from Groceries").
const REMOVE: &[&str] = &["remove", "kick", "take", "drop", "delete", "boot"];
/// Words between the removed person and the list.
const OFF: &[&str] = &["from", "off", "out", "of", "access", "to", "on", "in"];
/// Verbs that give a member a role ("make sam@… a viewer of Groceries").
const ROLE_VERBS: &[&str] = &[
    "make", "change", "set", "switch", "turn", "promote", "demote",
];
/// Words that may name whose role changes before the email ("change the role of sam@…").
const ROLE_OF: &[&str] = &["the", "role", "of", "access", "permissions", "permission"];
/// Words a role change may hold besides the person, the role and the list.
#[rustfmt::skip]
const ROLE_FILLER: &[&str] = &[
    "a", "an", "the", "to", "as", "into", "be", "role", "access", "level", "permission",
    "permissions", "from", "now", "instead", "just", "only",
];
/// Words that start the list's part of a role change.
const ROLE_IN: &[&str] = &["of", "on", "in", "for", "at"];
/// Verbs that hand a list over ("give Groceries to sam@…").
const HAND: &[&str] = &["give", "hand", "transfer", "pass"];
/// Openings that can only mean leaving a list.
const LEAVE_SELF: &[&str] = &[
    "remove me from",
    "take me off",
    "take me out of",
    "remove myself from",
    "take myself off",
    "unsubscribe me from",
];
/// Openings that leave a list when nothing else reads them ("leave work tomorrow" is a task).
const LEAVE: &[&str] = &["leave", "quit", "exit", "unsubscribe from", "drop out of"];
/// First words of what follows "leave" that make it no list ("leave a note", "leave for work").
const NOT_A_LIST: &[&str] = &[
    "a", "an", "for", "at", "to", "with", "on", "in", "it", "early",
];

/// A request about a list's people, when `words` is one.
#[must_use]
pub fn request(words: &[Word]) -> Option<Command> {
    who(words)
        .or_else(|| unshare(words))
        .or_else(|| remove(words))
        .or_else(|| role_change(words))
        .or_else(|| hand_over(words))
        .or_else(|| leaving(words, LEAVE_SELF))
}

/// "leave Groceries", "leave the Groceries list", "quit Groceries": tried only once no other
/// rule read the words, so that "leave the office tomorrow" stays a task.
#[must_use]
pub fn leave(words: &[Word]) -> Option<Command> {
    if words
        .get(1)
        .is_some_and(|w| NOT_A_LIST.contains(&w.norm.as_str()))
    {
        return None;
    }
    leaving(words, LEAVE)
}

/// "who is Groceries shared with", "who can see my Work list", "members of Groceries".
fn who(words: &[Word]) -> Option<Command> {
    let first = words.first()?;
    if WHO.contains(&first.norm.as_str()) {
        let rest = &words[1..];
        if !rest.iter().any(|w| ACCESS.contains(&w.norm.as_str())) {
            return None;
        }
        let list = trim(rest, QUESTION, QUESTION);
        return Some(lists::name(list).map_or(Command::Incomplete("members"), Command::Members));
    }
    let people = words
        .iter()
        .position(|w| PEOPLE.contains(&w.norm.as_str()))?;
    let (before, after) = (&words[..people], &words[people + 1..]);
    let opening = before
        .iter()
        .take_while(|w| SHOW.contains(&w.norm.as_str()))
        .count();
    // "members of Groceries", or "Groceries members".
    let list = if opening == before.len() {
        let of = after.first()?;
        if !matches!(of.norm.as_str(), "of" | "in" | "on" | "for") {
            return None;
        }
        &after[1..]
    } else if after.is_empty() {
        &before[opening..]
    } else {
        return None;
    };
    lists::name(list).map(Command::Members)
}

/// "stop sharing Groceries with sam@…", "unshare Groceries", "revoke sam@…'s access to
/// Groceries": the person may stand anywhere, or be missing (then the members are listed).
fn unshare(words: &[Word]) -> Option<Command> {
    let opening = STOP_SHARING
        .iter()
        .filter(|p| starts_with(words, p))
        .map(|p| p.split_whitespace().count())
        .max()?;
    let rest = &words[opening..];
    let ask = Some(Command::Incomplete("unshare"));
    let at: Vec<usize> = (0..rest.len())
        .filter(|&i| rest[i].norm.contains('@'))
        .collect();
    let (list, email) = match at.as_slice() {
        [] => {
            // "stop sharing Groceries with Sam": the list, and nobody named well enough.
            let cut = rest
                .iter()
                .position(|w| matches!(w.norm.as_str(), "with" | "for" | "from"))
                .unwrap_or(rest.len());
            (rest[..cut].to_vec(), None)
        }
        [one] => {
            let Some(email) = person(&rest[*one].norm) else {
                return ask;
            };
            let joins = one
                .checked_sub(1)
                .filter(|&i| matches!(rest[i].norm.as_str(), "with" | "for" | "from" | "to"));
            let list: Vec<Word> = rest
                .iter()
                .enumerate()
                .filter(|(i, _)| i != one && Some(*i) != joins)
                .map(|(_, w)| w.clone())
                .collect();
            (list, Some(email))
        }
        _ => return ask,
    };
    let list = trim(&list, OFF, &["with", "from", "for", "access", "anymore"]);
    match lists::name(list) {
        Some(list) => Some(Command::Unshare { list, email }),
        None => ask,
    }
}

/// "remove sam@… from Groceries", "take sam@… off the Groceries list": the person right after
/// the verb; anything else after these verbs is about tasks.
fn remove(words: &[Word]) -> Option<Command> {
    let (verb, rest) = words.split_first()?;
    if !REMOVE.contains(&verb.norm.as_str()) {
        return None;
    }
    let (who, rest) = rest.split_first()?;
    if !who.norm.contains('@') || !rest.first().is_some_and(|w| OFF.contains(&w.norm.as_str())) {
        return None;
    }
    let ask = Some(Command::Incomplete("unshare"));
    let Some(email) = person(&who.norm) else {
        return ask;
    };
    match lists::name(trim(rest, OFF, &[])) {
        Some(list) => Some(Command::Unshare {
            list,
            email: Some(email),
        }),
        None => ask,
    }
}

/// "make sam@… a viewer of Groceries", "change sam@…'s role in Groceries to admin", "make
/// sam@… the owner of Groceries".
fn role_change(words: &[Word]) -> Option<Command> {
    let (verb, rest) = words.split_first()?;
    if !ROLE_VERBS.contains(&verb.norm.as_str()) {
        return None;
    }
    // The person comes first, maybe after "the role of".
    let at = rest
        .iter()
        .position(|w| !ROLE_OF.contains(&w.norm.as_str()))?;
    if !rest[at].norm.contains('@') {
        return None;
    }
    let after = &rest[at + 1..];
    let roles: Vec<(usize, Role)> = after
        .iter()
        .enumerate()
        .filter_map(|(i, w)| role_of(&w.norm).map(|r| (i, r)))
        .collect();
    let names_role = after.iter().any(|w| w.norm == "role");
    let [(r, role)] = roles.as_slice() else {
        return (names_role || !roles.is_empty()).then_some(Command::Incomplete("role"));
    };
    let ask = Some(Command::Incomplete("role"));
    let Some(email) = person(&rest[at].norm) else {
        return ask;
    };
    let Some(p) = after
        .iter()
        .position(|w| ROLE_IN.contains(&w.norm.as_str()))
    else {
        return ask;
    };
    let end = (p + 1..after.len())
        .find(|&i| i == *r || matches!(after[i].norm.as_str(), "to" | "as" | "into" | "from"))
        .unwrap_or(after.len());
    let others_fill = after
        .iter()
        .enumerate()
        .all(|(i, w)| (p..end).contains(&i) || i == *r || ROLE_FILLER.contains(&w.norm.as_str()));
    match lists::name(&after[p + 1..end]) {
        Some(list) if others_fill => Some(Command::ChangeRole {
            list,
            email,
            role: *role,
        }),
        _ => ask,
    }
}

/// "give Groceries to sam@…", "hand my Work list over to sam@…", "transfer ownership of
/// Groceries to sam@…": the person last, after "to".
fn hand_over(words: &[Word]) -> Option<Command> {
    let (verb, rest) = words.split_first()?;
    if !HAND.contains(&verb.norm.as_str()) || rest.len() < 3 {
        return None;
    }
    let (who, rest) = rest.split_last()?;
    let (to, rest) = rest.split_last()?;
    if to.norm != "to" || !who.norm.contains('@') {
        return None;
    }
    let ask = Some(Command::Incomplete("owner"));
    let Some(email) = person(&who.norm) else {
        return ask;
    };
    let list = trim(rest, &["over", "ownership", "of"], &["over"]);
    match lists::name(list) {
        Some(list) => Some(Command::ChangeRole {
            list,
            email,
            role: Role::Owner,
        }),
        None => ask,
    }
}

/// `words` as leaving the list after one of `openings`.
fn leaving(words: &[Word], openings: &[&str]) -> Option<Command> {
    let opening = openings
        .iter()
        .filter(|p| starts_with(words, p))
        .map(|p| p.split_whitespace().count())
        .max()?;
    // Only a whole list name: "leave a note on task 3" and "leave work at 5" are no lists.
    lists::name(&words[opening..]).map(Command::Leave)
}

/// The role a word names, strictly (the sharing words "see", "edit" are no roles here).
fn role_of(word: &str) -> Option<Role> {
    match word {
        "viewer" | "viewers" | "read-only" | "readonly" | "reader" => Some(Role::Viewer),
        "editor" | "editors" | "contributor" => Some(Role::Editor),
        "admin" | "admins" | "administrator" | "manager" | "co-owner" => Some(Role::Admin),
        "owner" => Some(Role::Owner),
        _ => None,
    }
}

/// The email a word holds, without a possessive ("sam@example.com's").
fn person(word: &str) -> Option<String> {
    let word = word
        .strip_suffix("'s")
        .or_else(|| word.strip_suffix('\''))
        .unwrap_or(word);
    email(word)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::local::command::ListName;
    use crate::chat::local::words::split;

    fn list(name: &str, explicit: bool) -> ListName {
        ListName {
            name: name.to_owned(),
            explicit,
        }
    }

    const SAM: &str = "sam@example.com";

    #[test]
    fn questions_about_who_a_list_is_shared_with() {
        let read = |s: &str| request(&split(s));
        for (s, name, explicit) in [
            ("who is Groceries shared with", "Groceries", false),
            ("who can see Groceries", "Groceries", false),
            ("who has access to my Work list", "Work", true),
            ("who's on the Groceries list", "Groceries", true),
            ("who are the members of Groceries", "Groceries", false),
            ("members of Groceries", "Groceries", false),
            ("show the members of Home Reno", "Home Reno", false),
            ("Groceries members", "Groceries", false),
        ] {
            assert_eq!(read(s), Some(Command::Members(list(name, explicit))), "{s}");
        }
        assert_eq!(read("who can see it"), Some(Command::Incomplete("members")));
    }

    #[test]
    fn removing_a_member_needs_a_whole_email() {
        let read = |s: &str| request(&split(s));
        let gone = |name: &str, explicit: bool| {
            Some(Command::Unshare {
                list: list(name, explicit),
                email: Some(SAM.to_owned()),
            })
        };
        assert_eq!(
            read("stop sharing Groceries with sam@example.com"),
            gone("Groceries", false)
        );
        assert_eq!(
            read("remove Sam@Example.com from Groceries"),
            gone("Groceries", false)
        );
        assert_eq!(
            read("unshare Groceries with sam@example.com"),
            gone("Groceries", false)
        );
        assert_eq!(
            read("take sam@example.com off the Groceries list"),
            gone("Groceries", true)
        );
        assert_eq!(
            read("kick sam@example.com out of Groceries"),
            gone("Groceries", false)
        );
        assert_eq!(
            read("revoke sam@example.com's access to Groceries"),
            gone("Groceries", false)
        );
        assert_eq!(
            read("revoke access to Groceries for sam@example.com"),
            gone("Groceries", false)
        );
        // Nobody named: the members are listed, nobody removed.
        for s in [
            "unshare Groceries",
            "stop sharing Groceries",
            "stop sharing Groceries with Sam",
        ] {
            assert_eq!(
                read(s),
                Some(Command::Unshare {
                    list: list("Groceries", false),
                    email: None,
                }),
                "{s}"
            );
        }
        for s in [
            "stop sharing it with sam@example.com",
            "unshare Groceries with sam@example and kim@example.com",
            "remove sam@example from Groceries",
            "stop sharing",
        ] {
            assert_eq!(read(s), Some(Command::Incomplete("unshare")), "{s}");
        }
    }

    #[test]
    fn roles_and_hand_over() {
        let read = |s: &str| request(&split(s));
        let role = |name: &str, role: Role| {
            Some(Command::ChangeRole {
                list: list(name, false),
                email: SAM.to_owned(),
                role,
            })
        };
        assert_eq!(
            read("make sam@example.com a viewer of Groceries"),
            role("Groceries", Role::Viewer)
        );
        assert_eq!(
            read("change sam@example.com's role in Groceries to admin"),
            role("Groceries", Role::Admin)
        );
        assert_eq!(
            read("change the role of sam@example.com in Groceries to editor"),
            role("Groceries", Role::Editor)
        );
        assert_eq!(
            read("promote sam@example.com to admin on Groceries"),
            role("Groceries", Role::Admin)
        );
        assert_eq!(
            read("make sam@example.com the owner of Groceries"),
            role("Groceries", Role::Owner)
        );
        assert_eq!(
            read("give Groceries to sam@example.com"),
            role("Groceries", Role::Owner)
        );
        assert_eq!(
            read("hand Groceries over to sam@example.com"),
            role("Groceries", Role::Owner)
        );
        assert_eq!(
            read("transfer ownership of Groceries to sam@example.com"),
            role("Groceries", Role::Owner)
        );
        for s in [
            "make sam@example.com a viewer",
            "change sam@example.com's role in Groceries",
        ] {
            assert_eq!(read(s), Some(Command::Incomplete("role")), "{s}");
        }
        assert_eq!(
            read("give it to sam@example.com"),
            Some(Command::Incomplete("owner"))
        );
    }

    #[test]
    fn leaving_and_what_is_no_request_about_people() {
        let read = |s: &str| request(&split(s));
        let late = |s: &str| leave(&split(s));
        assert_eq!(
            late("leave Groceries"),
            Some(Command::Leave(list("Groceries", false)))
        );
        assert_eq!(
            late("leave the Groceries list"),
            Some(Command::Leave(list("Groceries", true)))
        );
        for s in [
            "leave a note on task 3",
            "leave a note",
            "leave for work at 8",
            "leave it",
        ] {
            assert_eq!(late(s), None, "{s}");
        }
        assert_eq!(
            read("remove me from Groceries"),
            Some(Command::Leave(list("Groceries", false)))
        );
        for s in [
            "remove milk from Groceries",
            "leave a note on task 3",
            "make task 3 high priority",
            "remove task 2",
            "take out the trash",
            "who is the dentist",
            "give mom a call",
            "change the title of task 3 to email sam@example.com",
            "delete the email to sam@example.com",
            "show my tasks",
        ] {
            assert_eq!(read(s), None, "{s}");
        }
    }
}
