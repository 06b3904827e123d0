//! Reading a request to see tasks: status, overdue, due ranges, priority, tags and text.

use chrono::{Datelike, Days, Months};

use super::command::{Command, ListSpec};
use super::fields::{priority_value, tag, take_priority, take_tags};
use super::when::{Now, monday_of, sunday_of};
use super::words::{Word, split, text};
use crate::tasks::model::StatusFilter;

/// Words that mean "not done yet" or "done" in a listing request.
#[rustfmt::skip]
const PENDING_WORDS: &[&str] = &[
    "pending", "open", "left", "remaining", "todo", "outstanding", "incomplete", "unfinished",
    "undone", "active", "current", "upcoming", "unchecked",
];
#[rustfmt::skip]
const COMPLETED_WORDS: &[&str] = &[
    "completed", "done", "finished", "complete", "closed", "checked",
];
const OVERDUE_WORDS: &[&str] = &["overdue", "late", "missed", "behind", "past-due"];

pub fn list(words: &[Word], now: Now) -> ListSpec {
    let mut spec = ListSpec::default();
    let norms: Vec<&str> = words.iter().map(|w| w.norm.as_str()).collect();
    let has = |w: &str| norms.contains(&w);
    let has_pair = |a: &str, b: &str| norms.windows(2).any(|p| p[0] == a && p[1] == b);
    let mut labels: Vec<String> = Vec::new();
    if OVERDUE_WORDS.iter().any(|w| has(w)) || has_pair("past", "due") {
        spec.overdue = true;
        labels.push("overdue".into());
    } else if has_pair("not", "done")
        || has_pair("to", "do")
        || PENDING_WORDS.iter().any(|w| has(w))
    {
        spec.status = Some(StatusFilter::Pending);
        labels.push("pending".into());
    } else if COMPLETED_WORDS.iter().any(|w| has(w)) {
        spec.status = Some(StatusFilter::Completed);
        labels.push("completed".into());
    }
    let today = now.local.date();
    let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    let mut range =
        |from: Option<chrono::NaiveDate>, to: Option<chrono::NaiveDate>, label: &str| {
            spec.due_after = from.map(day);
            spec.due_before = to.map(day);
            labels.push(label.to_owned());
        };
    if has("today") || has("today's") || has("todays") || has("tonight") {
        range(Some(today), Some(today), "due today");
    } else if has("tomorrow") || has("tomorrow's") {
        let tomorrow = today.checked_add_days(Days::new(1));
        range(tomorrow, tomorrow, "due tomorrow");
    } else if has_pair("next", "week") {
        let monday = monday_of(today).and_then(|m| m.checked_add_days(Days::new(7)));
        range(monday, monday.and_then(sunday_of), "due next week");
    } else if has_pair("this", "week") || has("week") || has("week's") {
        range(monday_of(today), sunday_of(today), "due this week");
    } else if has_pair("this", "month") || has("month") {
        let first = today.with_day(1);
        let last = first
            .and_then(|f| f.checked_add_months(Months::new(1)))
            .and_then(|n| n.pred_opt());
        range(first, last, "due this month");
    }
    if spec.due_before.is_some() && spec.status.is_none() && !spec.overdue {
        spec.status = Some(StatusFilter::Pending);
    }
    let mut used = vec![false; words.len()];
    spec.priority = take_priority(words, &mut used).or_else(|| {
        let at = norms.iter().position(|w| *w == "priority")?;
        let level = norms.get(at.checked_sub(1)?)?;
        priority_value(&split(level))
    });
    if let Some(priority) = spec.priority {
        labels.push(format!("{} priority", priority.as_str().to_lowercase()));
    }
    spec.tags = take_tags(words, &mut used);
    for (at, w) in norms.iter().enumerate() {
        let named = matches!(*w, "tagged" | "tag" | "label" | "labelled" | "labeled");
        let next = norms.get(at + 1).copied().unwrap_or_default();
        let next = if next == "with" || next == "as" {
            norms.get(at + 2).copied().unwrap_or_default()
        } else {
            next
        };
        if named && !next.is_empty() && !next.starts_with('#') {
            let name = next.to_owned();
            if tag(&format!("#{name}")).is_some() && !spec.tags.contains(&name) {
                spec.tags.push(name);
            }
        }
    }
    for tag in &spec.tags {
        labels.push(format!("tagged #{tag}"));
    }
    for (at, w) in norms.iter().enumerate() {
        if matches!(
            *w,
            "about" | "containing" | "mentioning" | "matching" | "called" | "named"
        ) {
            let q = text(&words[at + 1..]);
            if !q.is_empty() {
                labels.push(format!("matching \"{q}\""));
                spec.q = Some(q);
            }
            break;
        }
    }
    spec.label = labels.join(", ");
    spec
}

pub fn search(middle: &[Word]) -> Command {
    let mut used = vec![false; middle.len()];
    let tags = take_tags(middle, &mut used);
    let rest: Vec<Word> = middle
        .iter()
        .zip(&used)
        .filter(|(w, used)| {
            !**used
                && !matches!(
                    w.norm.as_str(),
                    "tasks"
                        | "task"
                        | "my"
                        | "for"
                        | "with"
                        | "the"
                        | "in"
                        | "containing"
                        | "about"
                )
        })
        .map(|(w, _)| w.clone())
        .collect();
    let q = text(&rest);
    let mut spec = if q.is_empty() && tags.is_empty() {
        return Command::Incomplete("search");
    } else {
        ListSpec::default()
    };
    let mut labels = Vec::new();
    if !q.is_empty() {
        labels.push(format!("matching \"{q}\""));
        spec.q = Some(q);
    }
    for t in &tags {
        labels.push(format!("tagged #{t}"));
    }
    spec.tags = tags;
    spec.label = labels.join(", ");
    Command::List(spec)
}

/// Words that make an unfiltered question a request for the whole list.
#[rustfmt::skip]
const LIST_NOUNS: &[&str] = &[
    "list", "tasks", "task", "todos", "todo", "to-dos", "agenda", "plate", "items", "everything",
    "all",
];

/// A listing, unless the question was about something else ("what is the time").
pub fn listing(words: &[Word], now: Now) -> Command {
    let spec = list(words, now);
    let asks_for_list = words.iter().any(|w| LIST_NOUNS.contains(&w.norm.as_str()));
    if spec == ListSpec::default() && !asks_for_list {
        return Command::Unknown;
    }
    Command::List(spec)
}

/// No rule fitted: a message about tasks lists them; anything else is not understood.
pub fn fallback(words: &[Word], now: Now) -> Command {
    let about_tasks = words.iter().any(|w| {
        matches!(
            w.norm.as_str(),
            "tasks" | "todos" | "to-dos" | "overdue" | "pending"
        )
    });
    if about_tasks {
        return Command::List(list(words, now));
    }
    Command::Unknown
}
