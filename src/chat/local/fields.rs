//! The parts of a task a message can carry besides its title and due date: priority, `#tags`
//! and recurrence. Each `take_*` marks the words it used, so that what is left is the title.

use crate::tasks::model::{Priority, RecurrencePattern};

use super::command::Repeat;
use super::when::{ordinal_day, weekday};
use super::words::{Word, number};

/// Priority phrases, longest first so that "high priority" wins over "high".
const PRIORITIES: &[(&str, Priority)] = &[
    ("very high priority", Priority::High),
    ("top priority", Priority::High),
    ("high priority", Priority::High),
    ("high prio", Priority::High),
    ("priority high", Priority::High),
    ("hi pri", Priority::High),
    ("urgent", Priority::High),
    ("urgently", Priority::High),
    ("important", Priority::High),
    ("asap", Priority::High),
    ("medium priority", Priority::Medium),
    ("normal priority", Priority::Medium),
    ("priority medium", Priority::Medium),
    ("low priority", Priority::Low),
    ("low prio", Priority::Low),
    ("priority low", Priority::Low),
    ("not urgent", Priority::Low),
    ("no priority", Priority::None),
    ("priority none", Priority::None),
];

/// Bare levels, understood where a priority is expected ("change its priority to low").
const LEVELS: &[(&str, Priority)] = &[
    ("high", Priority::High),
    ("highest", Priority::High),
    ("medium", Priority::Medium),
    ("normal", Priority::Medium),
    ("med", Priority::Medium),
    ("low", Priority::Low),
    ("lowest", Priority::Low),
    ("none", Priority::None),
];

/// Words that lead into a priority and go with it ("with high priority", "as urgent").
const PRIORITY_LEADS: &[&str] = &["with", "as", "and"];

/// Short priority marks: "p1" … "p4", and a level after "!" ("!high", "!urgent").
const MARKS: &[(&str, Priority)] = &[
    ("p1", Priority::High),
    ("p2", Priority::Medium),
    ("p3", Priority::Low),
    ("p4", Priority::None),
    ("prio1", Priority::High),
    ("prio2", Priority::Medium),
    ("prio3", Priority::Low),
];

/// The priority a single word marks: "p1", "!high", "!!" (high).
fn mark(word: &Word) -> Option<Priority> {
    if let Some((_, p)) = MARKS.iter().find(|(m, _)| *m == word.norm) {
        return Some(*p);
    }
    let bang = word.raw.strip_prefix('!')?;
    let level = bang
        .trim_start_matches('!')
        .trim_end_matches([',', '.', ';'])
        .to_lowercase();
    if level.is_empty() {
        return Some(Priority::High);
    }
    LEVELS
        .iter()
        .chain(PRIORITIES)
        .find(|(name, _)| *name == level)
        .map(|(_, p)| *p)
}

/// Finds a priority phrase among unused words and marks it (with "with"/"as" before it).
pub fn take_priority(words: &[Word], used: &mut [bool]) -> Option<Priority> {
    for (at, word) in words.iter().enumerate() {
        if used.get(at).copied().unwrap_or(true) {
            continue;
        }
        if let Some(priority) = mark(word) {
            if let Some(flag) = used.get_mut(at) {
                *flag = true;
            }
            lead_in(words, used, at, PRIORITY_LEADS);
            return Some(priority);
        }
    }
    for (phrase, priority) in PRIORITIES {
        let parts: Vec<&str> = phrase.split_whitespace().collect();
        if let Some(at) = find(words, used, &parts) {
            for flag in used.iter_mut().skip(at).take(parts.len()) {
                *flag = true;
            }
            lead_in(words, used, at, PRIORITY_LEADS);
            return Some(*priority);
        }
    }
    None
}

/// A priority named by the whole of `words` ("low", "high priority", "urgent").
#[must_use]
pub fn priority_value(words: &[Word]) -> Option<Priority> {
    let text: Vec<&str> = words
        .iter()
        .map(|w| w.norm.as_str())
        .filter(|w| !matches!(*w, "a" | "the" | "to" | "be" | "priority"))
        .collect();
    if let [word] = words
        && let Some(priority) = mark(word)
    {
        return Some(priority);
    }
    match text.as_slice() {
        [one] => LEVELS
            .iter()
            .chain(PRIORITIES)
            .find(|(name, _)| name == one)
            .map(|(_, p)| *p),
        _ => {
            let mut used = vec![false; words.len()];
            take_priority(words, &mut used)
        }
    }
}

/// Takes every `#tag` among unused words (a `#` followed by a digit is a task number, not a
/// tag).
pub fn take_tags(words: &[Word], used: &mut [bool]) -> Vec<String> {
    let mut tags = Vec::new();
    for (at, word) in words.iter().enumerate() {
        if used.get(at).copied().unwrap_or(true) {
            continue;
        }
        if let Some(tag) = tag(&word.norm) {
            if !tags.contains(&tag) {
                tags.push(tag);
            }
            if let Some(flag) = used.get_mut(at) {
                *flag = true;
            }
        }
    }
    tags
}

/// The tag a `#word` names.
#[must_use]
pub fn tag(norm: &str) -> Option<String> {
    let name = norm.strip_prefix('#')?.trim_start_matches('#');
    let starts_well = name.chars().next().is_some_and(char::is_alphabetic);
    (starts_well && name.chars().count() <= crate::tasks::rules::MAX_TAG_CHARS)
        .then(|| name.to_owned())
}

/// The day a series is tied to, which gives its first due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// "every friday": the next Friday.
    Weekday(chrono::Weekday),
    /// "the 15th of each month": the next 15th.
    DayOfMonth(u32),
}

/// Finds a recurrence ("every 2 weeks", "daily", "every monday", "the 15th of each month")
/// among unused words and marks it, with the day it is tied to, if any.
pub fn take_repeat(words: &[Word], used: &mut [bool]) -> Option<(Repeat, Option<Anchor>)> {
    let norms: Vec<&str> = words.iter().map(|w| w.norm.as_str()).collect();
    for at in 0..norms.len() {
        let free = |i: usize| !used.get(i).copied().unwrap_or(true);
        if !free(at) {
            continue;
        }
        let next = |i: usize| if free(i) { norms.get(i).copied() } else { None };
        let single = match norms.get(at).copied().unwrap_or_default() {
            "daily" | "everyday" | "nightly" => Some((RecurrencePattern::Daily, 1)),
            "weekly" => Some((RecurrencePattern::Weekly, 1)),
            "biweekly" | "fortnightly" => Some((RecurrencePattern::Weekly, 2)),
            "monthly" => Some((RecurrencePattern::Monthly, 1)),
            "yearly" | "annually" => Some((RecurrencePattern::Monthly, 12)),
            _ => None,
        };
        let (len, repeat, day) = if let Some((pattern, interval)) = single {
            (1, Repeat { pattern, interval }, None)
        } else if matches!(norms.get(at), Some(&("every" | "each"))) {
            let (n, unit_at) = match next(at + 1) {
                Some("other") => (2, at + 2),
                Some(word) => match number(word) {
                    Some(n) if word != "a" && word != "an" => (n, at + 2),
                    _ => (1, at + 1),
                },
                None => continue,
            };
            let Some(unit) = next(unit_at) else { continue };
            let Ok(interval) = i32::try_from(n) else {
                continue;
            };
            let (pattern, interval, day) = match unit.trim_end_matches('s') {
                "day" | "night" | "morning" | "evening" | "afternoon" => {
                    (RecurrencePattern::Daily, interval, None)
                }
                "week" => (RecurrencePattern::Weekly, interval, None),
                "month" => (RecurrencePattern::Monthly, interval, None),
                "year" => (
                    RecurrencePattern::Monthly,
                    interval.saturating_mul(12),
                    None,
                ),
                other => match weekday(other) {
                    Some(day) => (
                        RecurrencePattern::Weekly,
                        interval,
                        Some(Anchor::Weekday(day)),
                    ),
                    None => continue,
                },
            };
            (unit_at + 1 - at, Repeat { pattern, interval }, day)
        } else {
            continue;
        };
        // "the 15th of each month": the day comes before the recurrence.
        let day_before = (repeat.pattern == RecurrencePattern::Monthly
            && at >= 2
            && norms.get(at - 1) == Some(&"of")
            && free(at - 1)
            && free(at - 2))
        .then(|| norms.get(at - 2).and_then(|w| ordinal_day(w)))
        .flatten();
        let the_before = at >= 3 && norms.get(at - 3) == Some(&"the") && free(at - 3);
        for flag in used.iter_mut().skip(at).take(len) {
            *flag = true;
        }
        let mut start = at;
        let mut day = day;
        if let Some(dom) = day_before {
            day = Some(Anchor::DayOfMonth(dom));
            start = if the_before { at - 3 } else { at - 2 };
            for flag in used.iter_mut().skip(start).take(at - start) {
                *flag = true;
            }
            lead_in(words, used, start, &["on", "by", "due"]);
        }
        lead_in(
            words,
            used,
            start,
            &["repeat", "repeating", "recurring", "repeats", "and", "to"],
        );
        return Some((repeat, day));
    }
    None
}

/// The first position where `parts` appear in a row among unused words.
fn find(words: &[Word], used: &[bool], parts: &[&str]) -> Option<usize> {
    (0..words.len()).find(|&at| {
        parts.iter().enumerate().all(|(k, part)| {
            !used.get(at + k).copied().unwrap_or(true)
                && words.get(at + k).is_some_and(|w| w.norm == *part)
        })
    })
}

/// Marks the unused lead-in words right before `at`.
fn lead_in(words: &[Word], used: &mut [bool], at: usize, leads: &[&str]) {
    let mut before = at;
    while before > 0 {
        before -= 1;
        let is_lead = words
            .get(before)
            .is_some_and(|w| leads.contains(&w.norm.as_str()));
        match used.get_mut(before) {
            Some(flag) if !*flag && is_lead => *flag = true,
            _ => break,
        }
    }
}

/// The change a recurrence makes to a task: tied to a day ("every friday", "the 15th of each
/// month"), it is also due on the next such day, today included.
#[must_use]
pub fn repeat_change(
    repeat: Repeat,
    anchor: Option<Anchor>,
    today: chrono::NaiveDate,
) -> super::command::Change {
    use super::command::Change;
    use super::when::{end_of_day, next_day_of_month, weekday_after};
    let first = anchor.and_then(|anchor| match anchor {
        Anchor::Weekday(day) => weekday_after(today, day, true),
        Anchor::DayOfMonth(day) => next_day_of_month(today, day),
    });
    match first {
        Some(date) => Change::RepeatFrom(repeat, date.and_time(end_of_day())),
        None => Change::Repeat(repeat),
    }
}
