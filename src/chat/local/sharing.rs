//! Requests to share a list with someone: "share Groceries with sam@example.com as an
//! editor", "give sam@example.com access to Groceries", "invite sam@example.com to the
//! Groceries list as a viewer", "let sam@example.com see Groceries". Pure: whether the list is
//! one of the user's, and whether they may share it, is settled when the command runs
//! ([`super::filing::share`]).
//!
//! A share needs a well-formed email and a list named by its name; anything vaguer ("share it
//! with Sam") is asked back and shares nothing, since access cannot be guessed at.

use super::command::Command;
use super::lists;
use super::words::{Word, trim};
use crate::projects::model::Role;

/// Words that end the list's part and start the role's ("… as an editor", "… so they can
/// edit").
const TAIL: &[&str] = &["as", "so", "who", "because"];
/// Words that say the person can only read.
#[rustfmt::skip]
const VIEWER: &[&str] = &[
    "viewer", "viewers", "view", "viewing", "view-only", "read", "read-only", "readonly",
    "reader", "see", "look", "watch", "follow",
];
/// Words that say the person can also change the tasks.
#[rustfmt::skip]
const EDITOR: &[&str] = &[
    "editor", "editors", "edit", "editing", "write", "change", "add", "contributor",
    "collaborator", "collaborate", "work", "help", "update", "full",
];
/// Words that say the person can also manage the list.
const ADMIN: &[&str] = &[
    "admin",
    "administrator",
    "manage",
    "manager",
    "co-owner",
    "coowner",
];
/// Verbs after "let <email>" that say what they may do ("let sam@… edit Groceries").
#[rustfmt::skip]
const LET_VERBS: &[&str] = &[
    "see", "view", "read", "look", "watch", "follow", "edit", "change", "update", "add", "work",
    "help", "manage", "access", "use", "join", "into", "have",
];
/// Words between such a verb and the list ("add to Groceries", "look at my Work list").
const PREPOSITIONS: &[&str] = &["to", "on", "at", "in", "into", "with"];

/// A request to share a list, when `words` is one; `Incomplete("share")` when it is one but
/// lacks a well-formed email or a named list.
#[must_use]
pub fn request(words: &[Word]) -> Option<Command> {
    let verb = words.first()?.norm.as_str();
    let emails: Vec<usize> = (1..words.len())
        .filter(|&i| words[i].norm.contains('@'))
        .collect();
    let has = |w: &str| words.iter().any(|x| x.norm == w);
    let names_a_list = words
        .last()
        .is_some_and(|w| matches!(w.norm.as_str(), "list" | "project"));
    let sharing = match verb {
        "share" => has("with") || !emails.is_empty(),
        "invite" | "let" | "allow" => !emails.is_empty() || names_a_list,
        "give" | "grant" => has("access"),
        _ => false,
    };
    if !sharing {
        return None;
    }
    let ask = Some(Command::Incomplete("share"));
    // One person at a time, named by a whole email address.
    let [at] = emails.as_slice() else {
        return ask;
    };
    let Some(email) = email(&words[*at].norm) else {
        return ask;
    };
    let cut = (1..words.len())
        .find(|&i| i > *at && TAIL.contains(&words[i].norm.as_str()))
        .unwrap_or(words.len());
    let (body, tail) = (&words[1..cut], &words[cut..]);
    let at = at - 1;
    // "with sam@…", "to sam@…": the preposition goes with the email.
    let from = if at > 0 && matches!(body[at - 1].norm.as_str(), "with" | "to" | "for") {
        at - 1
    } else {
        at
    };
    let rest: Vec<Word> = body[..from]
        .iter()
        .chain(&body[at + 1..])
        .cloned()
        .collect();
    let (list, said) = match verb {
        "share" => (trim(&rest, &["with", "out"], &[]), None),
        "give" | "grant" => {
            let access = rest.iter().position(|w| w.norm == "access")?;
            let said = access.checked_sub(1).and_then(|i| role_of(&rest[i].norm));
            (
                trim(&rest[access + 1..], &["to", "for", "on", "in"], &[]),
                said,
            )
        }
        "invite" => (trim(&rest, &["to", "into", "join", "on"], &[]), None),
        // "let": what they may do, then the list ("let sam@… add to Groceries").
        _ => {
            let rest = trim(&rest, &["to"], &[]);
            let said = rest.first().and_then(|w| role_of(&w.norm));
            let mut skip = usize::from(
                rest.first()
                    .is_some_and(|w| LET_VERBS.contains(&w.norm.as_str())),
            );
            if rest
                .get(skip)
                .is_some_and(|w| PREPOSITIONS.contains(&w.norm.as_str()))
            {
                skip += 1;
            }
            (&rest[skip.min(rest.len())..], said)
        }
    };
    let Some(list) = lists::name(list) else {
        return ask;
    };
    let role = tail
        .iter()
        .find_map(|w| role_of(&w.norm))
        .or(said)
        .unwrap_or(Role::Editor);
    Some(Command::Share { list, email, role })
}

/// The role a word speaks of, if any.
fn role_of(word: &str) -> Option<Role> {
    if VIEWER.contains(&word) {
        Some(Role::Viewer)
    } else if EDITOR.contains(&word) {
        Some(Role::Editor)
    } else if ADMIN.contains(&word) {
        Some(Role::Admin)
    } else if word == "owner" {
        Some(Role::Owner)
    } else {
        None
    }
}

/// `word` as an email address when it is a whole one (`name@domain.tld`).
pub(super) fn email(word: &str) -> Option<String> {
    let word = word.strip_prefix("mailto:").unwrap_or(word);
    let (local, domain) = word.split_once('@')?;
    let local_ok = !local.is_empty()
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || "._%+-'".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(char::is_alphabetic));
    (local_ok && domain_ok).then(|| word.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::local::command::ListName;
    use crate::chat::local::words::split;

    fn share(list: &str, explicit: bool, role: Role) -> Option<Command> {
        Some(Command::Share {
            list: ListName {
                name: list.to_owned(),
                explicit,
            },
            email: "sam@example.com".to_owned(),
            role,
        })
    }

    #[test]
    fn everyday_ways_to_share_a_list() {
        let read = |s: &str| request(&split(s));
        assert_eq!(
            read("share Groceries with sam@example.com as editor"),
            share("Groceries", false, Role::Editor)
        );
        assert_eq!(
            read("share my Work list with Sam@Example.com"),
            share("Work", true, Role::Editor)
        );
        assert_eq!(
            read("give sam@example.com access to Groceries"),
            share("Groceries", false, Role::Editor)
        );
        assert_eq!(
            read("give sam@example.com read-only access to the Groceries list"),
            share("Groceries", true, Role::Viewer)
        );
        assert_eq!(
            read("invite sam@example.com to the Groceries list as a viewer"),
            share("Groceries", true, Role::Viewer)
        );
        assert_eq!(
            read("let sam@example.com see Groceries"),
            share("Groceries", false, Role::Viewer)
        );
        assert_eq!(
            read("let sam@example.com edit my Groceries list"),
            share("Groceries", true, Role::Editor)
        );
        assert_eq!(
            read("share Home Reno with sam@example.com so they can manage it"),
            share("Home Reno", false, Role::Admin)
        );
        assert_eq!(
            read("share with sam@example.com the Groceries list"),
            share("Groceries", true, Role::Editor)
        );
    }

    #[test]
    fn a_vague_share_is_asked_back_and_other_words_are_no_share() {
        let read = |s: &str| request(&split(s));
        for s in [
            "share it with sam",
            "share it with sam@example.com",
            "share Groceries with sam",
            "share Groceries with sam@example",
            "share Groceries with @sam",
            "share Groceries with sam@example.com and kim@example.com",
            "invite sam@example.com",
            "give sam@example.com access",
            "let sam@example.com see it",
        ] {
            assert_eq!(read(s), Some(Command::Incomplete("share")), "{s}");
        }
        for s in [
            "grant application submitted",
            "give mom a call",
            "let the dog out",
            "invite the neighbours to the party",
            "share the photos",
            "buy milk",
        ] {
            assert_eq!(read(s), None, "{s}");
        }
    }
}
