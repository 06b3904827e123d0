//! The intents table and [`parse`]: message → [`Command`], pure and without I/O.
//!
//! To teach the agent a new phrasing, add its opening words (or closing words) to a [`Rule`]
//! in [`RULES`]; rules are tried in order and the first that fits wins, so put specific rules
//! ("remove tag") before general ones ("remove"). Add a unit test below and a corpus case in
//! `tests/chat_corpus/`.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::adding::add;
use super::amend::{amend, dated, stated};
use super::command::{BulkAction, Change, Command, ListSpec, TaskRef};
use super::edits::{describe, rename, reschedule, retag, update};
use super::fields::tag;
use super::listing::{fallback, list, listing, search};
use super::lists;
use super::members;
use super::past::{passive, past_tense};
use super::reference::parse_ref;
use super::safety;
use super::sharing;
use super::subtasks;
use super::when::Now;
use super::words::{Word, ends_with, len, split, starts_with, strip_around, trim};

/// What a message is about, before its details are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Intent {
    Help,
    Greeting,
    Thanks,
    Stats,
    Add,
    List,
    Search,
    Complete,
    Reopen,
    Delete,
    Rename,
    Update,
    Move,
    ClearDue,
    AddTag,
    RemoveTag,
    Prioritize,
    Deprioritize,
    Clear,
    Decline,
    Describe,
    StopRepeat,
}

/// One line of the intents table: a message fits when it starts with one of `starts` and ends
/// with one of `ends` (an empty `ends` accepts any ending); with `exact`, nothing may be left
/// between them.
struct Rule {
    starts: &'static [&'static str],
    ends: &'static [&'static str],
    exact: bool,
    intent: Intent,
}

const fn rule(starts: &'static [&'static str], intent: Intent) -> Rule {
    Rule {
        starts,
        ends: &[],
        exact: false,
        intent,
    }
}

const fn exact(starts: &'static [&'static str], intent: Intent) -> Rule {
    Rule {
        starts,
        ends: &[],
        exact: true,
        intent,
    }
}

const fn ending(
    starts: &'static [&'static str],
    ends: &'static [&'static str],
    intent: Intent,
) -> Rule {
    Rule {
        starts,
        ends,
        exact: false,
        intent,
    }
}

#[rustfmt::skip]
const DONE: &[&str] = &[
    "as done", "as complete", "as completed", "as finished", "done", "complete", "completed",
    "finished", "off", "as checked",
];
#[rustfmt::skip]
const NOT_DONE: &[&str] = &[
    "as not done", "as undone", "as incomplete", "as not complete", "as not completed",
    "as pending", "as open", "as todo", "as to do", "not done", "undone", "incomplete", "pending",
    "unfinished", "as unfinished",
];

/// The intents table, tried in order.
#[rustfmt::skip]
const RULES: &[Rule] = &[
    exact(&[
        "help", "help me", "what can you do", "what can i do", "what can i say", "what do you do",
        "how does this work", "how do i use this", "how do i use you", "commands", "menu",
        "what do you understand", "who are you", "what are you", "options", "usage",
    ], Intent::Help),
    exact(&[
        "never mind", "nevermind", "nvm", "forget it", "forget that", "cancel that", "no",
        "nope", "nah", "no thanks", "no thank you", "stop", "abort", "leave it", "leave it be",
        "keep it", "keep them", "no way", "don't", "dont", "do not", "never", "not now",
    ], Intent::Decline),
    exact(&[
        "hi", "hello", "hey", "hey there", "hi there", "hello there", "yo", "hiya", "howdy",
        "good morning", "good afternoon", "good evening", "morning", "greetings", "sup",
    ], Intent::Greeting),
    exact(&[
        "thanks", "thank you", "thx", "ty", "cheers", "thanks a lot", "thank you very much",
        "great thanks", "ok thanks", "perfect", "great", "awesome", "cool", "nice", "ok", "okay",
    ], Intent::Thanks),
    exact(&[
        "stats", "statistics", "my stats", "show stats", "show my stats", "show statistics",
        "how am i doing", "how am i doing today", "how am i doing so far", "how's it going",
        "progress", "my progress", "show my progress", "show progress", "summary",
        "give me a summary", "show me a summary", "how many tasks do i have", "how many tasks",
        "how many tasks are left", "how many tasks have i completed", "status report", "report",
        "overview", "show overview", "dashboard",
    ], Intent::Stats),
    rule(&[
        "add tag", "add the tag", "add tags", "add the tags", "add a tag", "tag", "label",
    ], Intent::AddTag),
    rule(&[
        "remove tag", "remove the tag", "remove tags", "remove the tags", "delete tag",
        "delete the tag", "untag", "drop the tag", "drop tag", "take off the tag", "clear the tag",
        "clear tag",
    ], Intent::RemoveTag),
    rule(&[
        "clear the due date of", "clear the due date on", "clear the due date for",
        "clear the due date from", "clear due date of", "clear due date on", "clear due date for",
        "clear the deadline of", "clear the deadline on", "clear the deadline for",
        "remove the due date from", "remove the due date of", "remove the due date on",
        "remove due date from", "remove due date of", "remove the deadline from",
        "remove the deadline of", "delete the due date of", "delete the due date from",
        "delete the due date on", "unschedule", "unset the due date of", "unset due date of",
        "drop the due date of", "drop the due date from", "no due date for", "no deadline for",
    ], Intent::ClearDue),
    ending(&["clear", "remove", "delete", "unset", "drop"], &["due date", "'s due date", "deadline", "date"], Intent::ClearDue),
    rule(&["note to self", "note to myself", "notes to self"], Intent::Add),
    rule(&[
        "note", "notes", "add a note", "add note", "description", "add a note to", "add note to", "add a description to", "set the description of",
        "set description of", "set the note of", "change the description of",
        "change the note of", "describe", "annotate",
    ], Intent::Describe),
    rule(&[
        "clear", "wipe", "empty", "purge", "reset", "clean out", "clean up", "start over with",
        "start fresh with", "nuke all", "get rid of all", "get rid of everything",
    ], Intent::Clear),
    rule(&[
        "reopen", "re-open", "uncomplete", "un-complete", "undo", "unfinish", "uncheck", "unmark",
        "untick", "restore", "reactivate", "resume", "i didn't finish", "i did not finish",
        "i haven't finished", "not done with", "i'm not done with", "i am not done with",
    ], Intent::Reopen),
    ending(&["mark", "set", "flag"], NOT_DONE, Intent::Reopen),
    rule(&[
        "add task:", "add a task", "add task", "add a new task", "add new task", "add a todo",
        "add todo", "add a reminder", "add reminder", "add", "new task", "new todo",
        "create a new task", "create a task", "create task", "create new task", "create a todo",
        "create todo", "create a reminder", "create", "make a task", "make a new task",
        "make a todo", "remind me to", "remind me", "i need to", "i have to", "i must", "i should",
        "i've got to", "i gotta", "don't forget to", "dont forget to", "do not forget to",
        "note to", "put", "schedule", "set a reminder to", "set a reminder for",
        "set reminder to", "jot down", "write down", "save", "remember to", "please remember to",
        "i need to remember to", "todo", "to do", "to-do", "need to",
        "have to", "gotta", "got to", "must", "i'll need to", "i will need to", "i'm going to",
        "i am going to", "i plan to", "i want to remember to", "remind me about", "we need to",
        "we have to", "we must", "i ought to", "reminder", "reminder to", "new reminder",
        "don't let me forget to", "dont let me forget to", "make sure i", "make sure to",
        "never forget to", "i must remember to", "i should remember to", "need", "add to my list",
        "put on my list", "i need 2", "need 2", "remember 2", "i have 2", "have 2", "i got to",
        "i've gotta", "dont let me forget", "don't let me forget", "set up a reminder for",
        "set up a reminder to", "set up a reminder", "set up a task to", "set up a task for",
        "set up a task",
    ], Intent::Add),
    ending(&["mark", "set", "flag", "check", "tick"], DONE, Intent::Complete),
    rule(&[
        "complete", "finish", "finished", "i finished", "i've finished", "i have finished",
        "i just finished", "i completed", "i've completed", "i have completed", "i just completed",
        "i did", "i've done", "i have done", "i just did", "completed", "done with",
        "i'm done with", "im done with", "i am done with", "done", "check off", "tick off",
        "cross off", "close", "knock out", "knocked out", "i knocked out", "got done", "i got done",
        "accomplished", "i accomplished",
    ], Intent::Complete),
    rule(&[
        "delete", "remove", "erase", "cancel", "drop", "trash", "get rid of", "discard",
        "forget about", "forget", "scrap", "del", "rm", "kill", "bin", "nuke", "throw away",
        "throw out", "destroy",
    ], Intent::Delete),
    rule(&[
        "rename", "retitle", "change the title of", "change title of", "change the name of",
        "change name of", "set the title of", "set title of", "set the name of",
    ], Intent::Rename),
    rule(&[
        "stop repeating", "stop recurring", "stop the recurrence of", "stop the repetition of",
        "end the recurrence of", "no more repeats for", "make non-recurring",
    ], Intent::StopRepeat),
    ending(&[""], super::edits::STOP_REPEATING, Intent::StopRepeat),
    rule(&[
        "move", "reschedule", "postpone", "push back", "push", "delay", "defer", "bump", "shift",
        "put off", "bring forward", "bring", "pull forward", "pull",
    ], Intent::Move),
    rule(&["prioritize", "prioritise"], Intent::Prioritize),
    rule(&["deprioritize", "deprioritise"], Intent::Deprioritize),
    rule(&[
        "change", "set", "update", "make", "edit", "modify", "mark", "flag", "switch", "turn",
    ], Intent::Update),
    rule(&[
        "search for", "search", "find", "look for", "look up", "lookup", "grep",
    ], Intent::Search),
    rule(&[
        "list", "show me", "show", "display", "view", "see", "what's", "whats", "what is",
        "what are", "what do i have", "what have i got", "what do i need to do", "what should i do",
        "which", "any", "do i have", "get", "give me", "tasks", "my tasks", "all tasks", "todos",
        "my todos", "to-dos", "agenda", "my agenda", "anything", "is anything", "is there anything",
        "are there", "are there any", "pending", "overdue", "completed", "due", "open", "upcoming",
        "today's", "todays", "tell me",
    ], Intent::List),
    ending(&[""], &[
        "is not done", "isn't done", "is not finished", "isn't finished", "not done",
        "not done yet", "is undone", "is pending",
    ], Intent::Reopen),
    ending(&[""], &[
        "is done", "is finished", "is complete", "is completed", "was done", "done", "finished",
        "completed", "complete",
    ], Intent::Complete),
];

/// Labels that, with a colon, introduce a new task ("Task: order glasses").
const LABELS: &[&str] = &["task", "todo", "to-do", "reminder", "new", "item"];

/// Polite or idle openings that change nothing ("please", "can you").
#[rustfmt::skip]
const OPENINGS: &[&str] = &[
    "please", "pls", "plz", "kindly", "can you", "could you", "would you", "will you", "can u",
    "could u", "can you please", "could you please", "would you please", "hey", "hey tudu", "hi",
    "hello", "ok", "okay", "so", "also", "and", "then", "now", "i want to", "i'd like to",
    "i would like to", "i want you to", "i'd like you to", "go ahead and", "let's", "lets", "quick",
    "quickly", "tudu", "oh", "um", "uh", "alright", "yes", "yeah", "actually", "sorry",
    "i meant", "i mean", "no", "wait", "no wait", "correction", "hmm", "well", "btw", "oh and",
    "and also", "yo", "could ya", "can ya", "would ya", "could you pls", "can you pls", "pls can you",
    "please could you", "please can you", "hiya", "ok so", "right", "so yeah",
];

/// Polite closings.
#[rustfmt::skip]
const CLOSINGS: &[&str] = &[
    "please", "pls", "plz", "thanks", "thank you", "thx", "for me", "thanks a lot", "for me please",
    "if you can", "if possible", "now", "instead", "then", "from my list", "off my list",
    "from the list", "off the list", "from my to-do list", "from my todo list", "from my tasks",
    "off my to-do list", "off my todo list",
];

/// Understands one message. `now` and `tz` give "tomorrow" and "5pm" their meaning.
#[must_use]
pub fn parse(message: &str, now: DateTime<Utc>, tz: Tz) -> Command {
    let local_now = Now::new(now, tz);
    let all = split(message);
    if let Some(rest) = safety::confirmation(&all) {
        return confirmed(rest, local_now);
    }
    let words = strip_courtesy(&all);
    if words.is_empty() {
        return Command::Unknown;
    }
    if safety::is_undo(words) {
        return Command::Undo;
    }
    let command = understand(words, local_now);
    // A negated request never acts, whatever it asked ("don't delete it", "no, never mind
    // completing task 3"); reading it without the negation would do the opposite.
    if safety::changes(&command) && safety::negated(&all) {
        return Command::Declined;
    }
    command
}

/// "yes", "yes please", "yes, delete them": the answer to the question asked; "yes, add
/// milk": the command after the yes.
fn confirmed(rest: &[Word], now: Now) -> Command {
    let rest = strip_courtesy(rest);
    if rest.is_empty() || safety::negated(rest) {
        return if safety::negated(rest) {
            Command::Declined
        } else {
            Command::Confirm
        };
    }
    match understand(rest, now) {
        Command::Unknown
        | Command::Thanks
        | Command::Greeting
        | Command::Bulk(..)
        | Command::Confirm
        | Command::Incomplete(_) => Command::Confirm,
        Command::Delete(task) | Command::Complete(task) if safety::restates(&task) => {
            Command::Confirm
        }
        other => other,
    }
}

/// The command of a message stripped of courtesy: a rule of [`RULES`]; else a change to the
/// task of the last turn ("actually, tomorrow"), a statement about a task ("the report is
/// due friday", "I posted the letter"), a new task with a date ("dentist friday 3pm"), or a
/// listing.
fn understand(words: &[Word], now: Now) -> Command {
    // Before the rules: "create a list called …" would read as adding a task.
    if let Some(command) = lists::request(words) {
        return command;
    }
    // Before the rules too: "let sam@… add to Groceries" is no task.
    if let Some(command) = sharing::request(words) {
        return command;
    }
    // Before the rules: "remove sam@… from Groceries" is no task to delete.
    if let Some(command) = members::request(words) {
        return command;
    }
    if let Some(command) = labelled(words, now) {
        return command;
    }
    if subtasks::opens_an_add(words) {
        return add(&words[1..], now);
    }
    let Some((intent, start, end)) = match_rule(words) else {
        return amend(words, now)
            .or_else(|| stated(words, now))
            .or_else(|| past_tense(words))
            .or_else(|| passive(words))
            .or_else(|| dated(words, now))
            .or_else(|| members::leave(words))
            .unwrap_or_else(|| fallback(words, now));
    };
    build(intent, words, start, end, now)
}

/// "Task: order glasses", "todo - clean windows": a label that introduces a new task.
fn labelled(words: &[Word], now: Now) -> Option<Command> {
    let first = words.first()?;
    let label = LABELS.contains(&first.norm.as_str())
        && (first.raw.ends_with(':') || words.get(1).is_some_and(|w| w.raw == "-" || w.raw == ":"));
    label.then(|| add(&words[1..], now))
}

fn is_tag_word(word: &Word) -> bool {
    matches!(word.norm.as_str(), "tag" | "tags" | "label" | "labels") || tag(&word.norm).is_some()
}

/// Removes greetings and courtesy around a command, but keeps a bare greeting.
fn strip_courtesy(words: &[Word]) -> &[Word] {
    strip_around(words, OPENINGS, CLOSINGS)
}

/// The first rule that fits, with where its arguments start and end.
fn match_rule(words: &[Word]) -> Option<(Intent, usize, usize)> {
    RULES.iter().find_map(|rule| {
        let start = rule
            .starts
            .iter()
            .filter(|p| starts_with(words, p))
            .map(|p| len(p))
            .max()?;
        let end = if rule.ends.is_empty() {
            words.len()
        } else {
            let tail = rule
                .ends
                .iter()
                .filter(|p| len(p) + start <= words.len() && ends_with(words, p))
                .map(|p| len(p))
                .max()?;
            words.len() - tail
        };
        if end < start || (rule.exact && end != start) {
            return None;
        }
        // A suffix rule needs something to act on ("done" alone is no command).
        if !rule.ends.is_empty() && end == start && rule.intent != Intent::Help {
            return None;
        }
        Some((rule.intent, start, end))
    })
}

fn build(intent: Intent, words: &[Word], start: usize, end: usize, now: Now) -> Command {
    let middle = &words[start..end];
    let bulk = |action: BulkAction| safety::bulk(middle).map(|spec| Command::Bulk(action, spec));
    let on_task = |make: fn(TaskRef) -> Command, missing: &'static str| match parse_ref(middle) {
        Some(task) => make(task),
        // "completed tasks", "done tasks?": a listing that starts like a command.
        None => match fallback(words, now) {
            Command::Unknown => Command::Incomplete(missing),
            listing => listing,
        },
    };
    match intent {
        Intent::Help => Command::Help,
        Intent::Greeting => Command::Greeting,
        Intent::Thanks => Command::Thanks,
        Intent::Stats => Command::Stats,
        // "put a #home tag on it": a tag for a task, not a task.
        Intent::Add
            if middle
                .iter()
                .any(|w| matches!(w.norm.as_str(), "tag" | "label"))
                && middle.iter().any(|w| tag(&w.norm).is_some()) =>
        {
            retag(middle, true)
        }
        Intent::Add => add(middle, now),
        Intent::List => match parse_ref(middle) {
            Some(task @ TaskRef::Number(_)) => Command::Show(task),
            // "get my hair cut on the 15th": a task with a date that opens like a listing.
            _ => match (listing(words, now), lists::in_list(middle)) {
                (Command::List(spec), project) => Command::List(ListSpec { project, ..spec }),
                // "what's in Work": naming a list is asking for it, unless the words are a
                // task with a date ("get my hair cut on the 15th").
                (Command::Unknown, project) => dated(words, now)
                    .or_else(|| {
                        project.map(|project| {
                            Command::List(ListSpec {
                                project: Some(project),
                                ..list(words, now)
                            })
                        })
                    })
                    .unwrap_or(Command::Unknown),
                (other, _) => other,
            },
        },
        Intent::Search => search(middle),
        Intent::Complete => {
            bulk(BulkAction::Complete).unwrap_or_else(|| on_task(Command::Complete, "complete"))
        }
        Intent::Reopen => on_task(Command::Reopen, "reopen"),
        Intent::Delete => bulk(BulkAction::Delete).unwrap_or_else(|| {
            // "remove the #draft tag from the report" takes a tag off, not the task.
            if middle.iter().any(is_tag_word) {
                retag(middle, false)
            } else {
                on_task(Command::Delete, "delete")
            }
        }),
        Intent::Clear => Command::Bulk(BulkAction::Delete, safety::scope(middle)),
        Intent::Decline => Command::Declined,
        Intent::StopRepeat => {
            // "make task 1 stop repeating", "task 1 should stop repeating".
            let target = trim(
                middle,
                &["make", "set", "have", "let"],
                &["should", "to", "must"],
            );
            parse_ref(target).map_or(Command::Incomplete("update"), |t| {
                Command::Update(t, Change::StopRepeat)
            })
        }
        Intent::Describe => describe(
            middle,
            start > 0 && words.get(start - 1).is_some_and(|w| w.raw.ends_with(':')),
        ),
        Intent::Rename => rename(middle),
        Intent::Update => update(middle, now),
        Intent::Move => reschedule(middle, now),
        Intent::ClearDue => on_task(|t| Command::Update(t, Change::ClearDue), "update"),
        Intent::AddTag => retag(middle, true),
        Intent::RemoveTag => retag(middle, false),
        Intent::Prioritize => on_task(
            |t| Command::Update(t, Change::Priority(crate::tasks::model::Priority::High)),
            "update",
        ),
        Intent::Deprioritize => on_task(
            |t| Command::Update(t, Change::Priority(crate::tasks::model::Priority::Low)),
            "update",
        ),
    }
}
