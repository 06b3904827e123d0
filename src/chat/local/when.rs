//! Due phrases ("tomorrow at 5pm", "next friday", "in 3 days", "on Dec 1") found anywhere in a
//! message and read against the user's wall clock.
//!
//! A small hand-written table rather than a natural-date crate (`interim` was considered): the
//! phrases sit inside sentences ("call mom tomorrow at 6pm, high priority"), so the parser must
//! say which words it used, not only read a whole string; every meaning is pinned here and in
//! the tests (no "next friday" that means today on a Friday); and there is nothing to add to
//! the build.
//!
//! The rules (also in `docs/chat.md`):
//! - A date without a time is due at the end of that day, 23:59:59 local — the same rule as a
//!   bare `YYYY-MM-DD` in the REST API.
//! - A time without a date is its next occurrence: today if still ahead, else tomorrow.
//! - A weekday ("friday", "on friday", "next friday") is the first such day after today, 1–7
//!   days ahead; "this friday" is today when today is Friday.
//! - A month and day without a year is the next such date, today included.
//! - "next week" is next Monday; "this week" and "end of week" are this Sunday; "this weekend"
//!   is Saturday (today on a Saturday or Sunday); "next month" is its first day; "end of month"
//!   its last; "in N days/weeks/months" counts calendar days; "in N hours/minutes" is exact.
//! - "tonight" is today 20:00, "this morning/afternoon/evening" 09:00/15:00/19:00 today, and the
//!   same words after a date ("tomorrow morning") give that date those times.
//! - A time needs am/pm or a colon ("5pm", "17:00"): a bare "5" is too often part of a title.

use chrono::{
    DateTime, Datelike, Days, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc, Weekday,
};
use chrono_tz::Tz;

use super::words::{Word, number};

/// Words that introduce a due phrase and go with it ("due", "by" in "by friday").
const CONNECTORS: &[&str] = &[
    "due", "on", "by", "at", "for", "before", "until", "till", "@", "around", "over",
];

/// The time a date alone is due: its last second.
#[must_use]
pub fn end_of_day() -> NaiveTime {
    NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN)
}

fn hm(hour: u32, minute: u32) -> Option<NaiveTime> {
    NaiveTime::from_hms_opt(hour, minute, 0)
}

/// The moment a message is read at, on the user's wall clock and as an instant.
#[derive(Debug, Clone, Copy)]
pub struct Now {
    /// The user's wall clock.
    pub local: NaiveDateTime,
    /// The instant, for exact offsets ("in 2 hours") across DST changes.
    pub instant: DateTime<Utc>,
    /// The user's zone.
    pub tz: Tz,
}

impl Now {
    /// `instant` read in `tz`.
    #[must_use]
    pub fn new(instant: DateTime<Utc>, tz: Tz) -> Self {
        Self {
            local: instant.with_timezone(&tz).naive_local(),
            instant,
            tz,
        }
    }
}

/// A date phrase: the day it names and, for "tonight" and friends, a time of its own.
#[derive(Debug, Clone, Copy)]
struct DateHit {
    len: usize,
    date: NaiveDate,
    time: Option<NaiveTime>,
    /// "in 2 hours": the time is exact, no other time phrase applies.
    exact: bool,
}

/// Finds a due phrase among the words not yet `used`, marks its words (and the connector
/// before it) used, and returns the local date-time it names.
pub fn take_due(words: &[Word], used: &mut [bool], clock: Now) -> Option<NaiveDateTime> {
    take_due_on(words, used, clock, None)
}

/// [`take_due`], with the day to use when the message gives a time (or nothing) but no date
/// ("every monday at 10am").
pub fn take_due_on(
    words: &[Word],
    used: &mut [bool],
    clock: Now,
    default_date: Option<NaiveDate>,
) -> Option<NaiveDateTime> {
    let now = clock.local;
    let norms: Vec<&str> = words.iter().map(|w| w.norm.as_str()).collect();
    let date = scan(&norms, used, |s| date_at(s, clock))
        .filter(|(at, hit)| !in_title(&norms, *at, hit))
        .or_else(|| {
            // The first weekday was part of a title ("the Monday report"); a later phrase
            // may still be a date ("the Monday report by friday").
            let mut later = used.to_vec();
            let (at, _) = scan(&norms, used, |s| date_at(s, clock))?;
            for flag in later.iter_mut().take(at + 1) {
                *flag = true;
            }
            scan(&norms, &later, |s| date_at(s, clock))
                .filter(|(at, hit)| !in_title(&norms, *at, hit))
        });
    let mut date_end = None;
    if let Some((at, hit)) = date {
        mark(&norms, used, at, hit.len);
        date_end = Some(at + hit.len);
        if hit.exact {
            return Some(hit.date.and_time(hit.time.unwrap_or_else(end_of_day)));
        }
    }
    let time = scan(&norms, used, time_at).or_else(|| {
        // "tomorrow morning": a part of day right after a date.
        let at = date_end?;
        let time = (!used.get(at).copied().unwrap_or(true))
            .then(|| part_of_day(norms.get(at).copied().unwrap_or_default()))
            .flatten()?;
        Some((at, (1, time)))
    });
    if let Some((at, (len, _))) = time {
        mark(&norms, used, at, len);
    }
    let time = time.map(|(_, (_, t))| t);
    match (date, time) {
        (Some((_, hit)), time) => Some(
            hit.date
                .and_time(time.or(hit.time).unwrap_or_else(end_of_day)),
        ),
        (None, time) if default_date.is_some() => {
            default_date.map(|d| d.and_time(time.unwrap_or_else(end_of_day)))
        }
        (None, Some(time)) => {
            let today = now.date().and_time(time);
            if today > now {
                Some(today)
            } else {
                now.date()
                    .checked_add_days(Days::new(1))
                    .map(|d| d.and_time(time))
            }
        }
        (None, None) => None,
    }
}

/// Words after a bare weekday that keep it a date ("friday 3pm", "friday, high priority").
#[rustfmt::skip]
const AFTER_A_DATE: &[&str] = &[
    "at", "by", "before", "morning", "afternoon", "evening", "night", "noon", "midday", "and",
    "high", "low", "medium", "urgent", "important", "asap", "every", "please", "pls", "then",
    "with", "priority", "tagged", "due", "to", "instead", "too",
];

/// Whether a date phrase is a weekday inside a title: "the Monday report", "Sunday roast",
/// "Tuesdays with Morrie" — a bare weekday (no "on", "by", "next" before it) followed by a
/// word that is no time and no other field; or a weekday in the plural.
fn in_title(norms: &[&str], at: usize, hit: &DateHit) -> bool {
    let Some(word) = norms.get(at) else {
        return false;
    };
    if hit.len != 1 || weekday(word).is_none() {
        return false;
    }
    if word.len() > 6 && word.ends_with("days") {
        return true;
    }
    let before = at.checked_sub(1).and_then(|i| norms.get(i)).copied();
    if before.is_some_and(|b| CONNECTORS.contains(&b) || matches!(b, "every" | "each")) {
        return false;
    }
    match norms.get(at + 1) {
        None => false,
        Some(next) => {
            time_at(&norms[at + 1..]).is_none()
                && !AFTER_A_DATE.contains(next)
                && !next.starts_with('#')
                && part_of_day(next).is_none()
        }
    }
}

/// Reads `words` as nothing but a due phrase ("next friday at 5pm"), for "move X to …".
#[must_use]
pub fn due_phrase(words: &[Word], clock: Now) -> Option<NaiveDateTime> {
    let mut used = vec![false; words.len()];
    let due = take_due(words, &mut used, clock)?;
    used.iter().all(|u| *u).then_some(due)
}

/// The first position, scanning left to right over unused words, where `matcher` accepts the
/// unused run of words starting there.
fn scan<T>(
    norms: &[&str],
    used: &[bool],
    matcher: impl Fn(&[&str]) -> Option<T>,
) -> Option<(usize, T)> {
    (0..norms.len()).find_map(|at| {
        if used.get(at).copied().unwrap_or(true) {
            return None;
        }
        let run = (at..norms.len())
            .take_while(|i| !used.get(*i).copied().unwrap_or(true))
            .count();
        matcher(&norms[at..at + run]).map(|hit| (at, hit))
    })
}

/// Marks `len` words from `at` used, and the connectors right before them.
fn mark(norms: &[&str], used: &mut [bool], at: usize, len: usize) {
    for flag in used.iter_mut().skip(at).take(len) {
        *flag = true;
    }
    let mut before = at;
    while before > 0 {
        before -= 1;
        let is_connector = CONNECTORS.contains(&norms.get(before).copied().unwrap_or_default());
        match used.get_mut(before) {
            Some(flag) if !*flag && is_connector => *flag = true,
            _ => break,
        }
    }
}

fn date_at(s: &[&str], clock: Now) -> Option<DateHit> {
    let today = clock.local.date();
    let plain = |len: usize, date: NaiveDate| {
        Some(DateHit {
            len,
            date,
            time: None,
            exact: false,
        })
    };
    let with_time = |len: usize, date: NaiveDate, time: Option<NaiveTime>| {
        Some(DateHit {
            len,
            date,
            time,
            exact: false,
        })
    };
    let first = *s.first()?;
    let second = s.get(1).copied().unwrap_or_default();
    let third = s.get(2).copied().unwrap_or_default();
    match (first, second, third) {
        ("today" | "eod" | "cob" | "tod", ..) => plain(1, today),
        ("tonight", ..) => with_time(1, today, hm(20, 0)),
        ("this", part, _) if part_of_day(part).is_some() => with_time(2, today, part_of_day(part)),
        ("tomorrow" | "tmrw" | "tmr" | "tomorow", ..) => {
            plain(1, today.checked_add_days(Days::new(1))?)
        }
        ("the", "day", "after") if s.get(3) == Some(&"tomorrow") => {
            plain(4, today.checked_add_days(Days::new(2))?)
        }
        ("day", "after", "tomorrow") => plain(3, today.checked_add_days(Days::new(2))?),
        ("in", ..) => in_n(s, clock),
        ("next", "week", _) => plain(2, monday_after(today)?),
        ("this", "week", _) | ("eow", ..) => {
            plain(if first == "eow" { 1 } else { 2 }, sunday_of(today)?)
        }
        ("end", "of", _) => {
            let (len, unit) = if third == "the" {
                (4, s.get(3).copied().unwrap_or_default())
            } else {
                (3, third)
            };
            match unit {
                "day" => plain(len, today),
                "week" => plain(len, sunday_of(today)?),
                "month" => plain(len, last_of_month(today)?),
                "year" => plain(len, NaiveDate::from_ymd_opt(today.year(), 12, 31)?),
                _ => None,
            }
        }
        ("eom", ..) => plain(1, last_of_month(today)?),
        ("next", "month", _) => plain(2, today.with_day(1)?.checked_add_months(Months::new(1))?),
        ("this" | "the", "weekend", _) => plain(2, saturday_of(today)?),
        ("weekend", ..) => plain(1, saturday_of(today)?),
        ("next", "weekend", _) => plain(2, saturday_of(today)?.checked_add_days(Days::new(7))?),
        ("next" | "coming", day, _) if weekday(day).is_some() => {
            plain(2, weekday_after(today, weekday(day)?, false)?)
        }
        ("this", "coming", day) if weekday(day).is_some() => {
            plain(3, weekday_after(today, weekday(day)?, false)?)
        }
        ("this", day, _) if weekday(day).is_some() => {
            plain(2, weekday_after(today, weekday(day)?, true)?)
        }
        (day, ..) if weekday(day).is_some() => {
            plain(1, weekday_after(today, weekday(day)?, false)?)
        }
        _ => calendar_date(s, today).map(|(len, date)| DateHit {
            len,
            date,
            time: None,
            exact: false,
        }),
    }
}

/// "in 3 days", "in a week", "in 2 hours", "in a couple of days".
fn in_n(s: &[&str], clock: Now) -> Option<DateHit> {
    let mut at = 1;
    let n = number(s.get(at)?)?;
    at += 1;
    if s.get(at) == Some(&"of") {
        at += 1;
    }
    let unit = s.get(at)?.trim_end_matches('s');
    let len = at + 1;
    let today = clock.local.date();
    let day = |date: NaiveDate| {
        Some(DateHit {
            len,
            date,
            time: None,
            exact: false,
        })
    };
    let exact = |delta: TimeDelta| {
        let then = clock
            .instant
            .checked_add_signed(delta)?
            .with_timezone(&clock.tz)
            .naive_local();
        Some(DateHit {
            len,
            date: then.date(),
            time: Some(then.time()),
            exact: true,
        })
    };
    match unit {
        "day" => day(today.checked_add_days(Days::new(u64::from(n)))?),
        "week" => day(today.checked_add_days(Days::new(7 * u64::from(n)))?),
        "month" => day(today.checked_add_months(Months::new(n))?),
        "hour" | "hr" => exact(TimeDelta::try_hours(i64::from(n))?),
        "minute" | "min" => exact(TimeDelta::try_minutes(i64::from(n))?),
        _ => None,
    }
}

/// "2026-12-01", "dec 1", "december 1st 2026", "1 dec", "1st of december", "the 15th".
fn calendar_date(s: &[&str], today: NaiveDate) -> Option<(usize, NaiveDate)> {
    let first = *s.first()?;
    if let Ok(date) = NaiveDate::parse_from_str(first, "%Y-%m-%d") {
        return Some((1, date));
    }
    let year_at = |at: usize| s.get(at).and_then(|w| year(w));
    let (len, month, day) = if let Some(month) = month(first) {
        let day = day_of_month(s.get(1)?)?;
        (2, month, day)
    } else if first == "the" {
        let day = ordinal(s.get(1)?)?;
        if s.get(2) == Some(&"of") {
            let month = month(s.get(3)?)?;
            (4, month, day)
        } else {
            return next_day_of_month(today, day).map(|d| (2, d));
        }
    } else {
        let day = day_of_month(first)?;
        match s.get(1).copied() {
            Some("of") => (3, month(s.get(2)?)?, day),
            Some(m) => (2, month(m)?, day),
            None => return None,
        }
    };
    if let Some(year) = year_at(len) {
        return Some((len + 1, NaiveDate::from_ymd_opt(year, month, day)?));
    }
    let this_year = NaiveDate::from_ymd_opt(today.year(), month, day);
    match this_year {
        Some(date) if date >= today => Some((len, date)),
        _ => Some((len, NaiveDate::from_ymd_opt(today.year() + 1, month, day)?)),
    }
}

/// "the 15th": the next date with that day of month, today included.
#[must_use]
pub fn next_day_of_month(today: NaiveDate, day: u32) -> Option<NaiveDate> {
    (0..13).find_map(|ahead| {
        let month = today.with_day(1)?.checked_add_months(Months::new(ahead))?;
        let date = month.with_day(day)?;
        (date >= today).then_some(date)
    })
}

fn time_at(s: &[&str]) -> Option<(usize, NaiveTime)> {
    let first = *s.first()?;
    let second = s.get(1).copied().unwrap_or_default();
    match first {
        "noon" | "midday" => return Some((1, hm(12, 0)?)),
        "midnight" => return Some((1, end_of_day())),
        "in" if second == "the" => {
            return part_of_day(s.get(2)?).map(|t| (3, t));
        }
        "at" if second == "night" => return Some((2, hm(21, 0)?)),
        _ => {}
    }
    let meridiem = match second {
        "am" | "a.m" => Some(false),
        "pm" | "p.m" => Some(true),
        _ => None,
    };
    if let Some(time) = meridiem.and_then(|pm| twelve_hour(first, pm)) {
        return Some((2, time));
    }
    clock(first, None).map(|time| (1, time))
}

/// "17:00", "9:30", "5pm", "5:30pm", "7am".
fn clock(word: &str, pm: Option<bool>) -> Option<NaiveTime> {
    for (suffix, is_pm) in [("pm", true), ("p.m", true), ("am", false), ("a.m", false)] {
        if let Some(head) = word.strip_suffix(suffix) {
            return (pm.is_none() && !head.is_empty())
                .then(|| twelve_hour(head, is_pm))
                .flatten();
        }
    }
    let (h, m) = word.split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    hm(h.parse().ok()?, m.parse().ok()?)
}

fn twelve_hour(word: &str, pm: bool) -> Option<NaiveTime> {
    let (h, m) = match word.split_once(':') {
        Some((h, m)) if m.len() == 2 => (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?),
        Some(_) => return None,
        None => (word.parse::<u32>().ok()?, 0),
    };
    if !(1..=12).contains(&h) {
        return None;
    }
    let hour = match (h, pm) {
        (12, false) => 0,
        (12, true) => 12,
        (h, true) => h + 12,
        (h, false) => h,
    };
    hm(hour, m)
}

fn part_of_day(word: &str) -> Option<NaiveTime> {
    match word {
        "morning" => hm(9, 0),
        "afternoon" => hm(15, 0),
        "evening" => hm(19, 0),
        "night" => hm(21, 0),
        _ => None,
    }
}

/// A weekday's name or common abbreviation.
#[must_use]
pub fn weekday(word: &str) -> Option<Weekday> {
    Some(match word {
        "mon" | "monday" | "mondays" => Weekday::Mon,
        "tue" | "tues" | "tuesday" | "tuesdays" => Weekday::Tue,
        "wed" | "weds" | "wednesday" | "wednesdays" => Weekday::Wed,
        "thu" | "thur" | "thurs" | "thursday" | "thursdays" => Weekday::Thu,
        "fri" | "friday" | "fridays" => Weekday::Fri,
        "sat" | "saturday" | "saturdays" => Weekday::Sat,
        "sun" | "sunday" | "sundays" => Weekday::Sun,
        _ => return None,
    })
}

fn month(word: &str) -> Option<u32> {
    const NAMES: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let word = word.trim_end_matches('.');
    if word == "sept" {
        return Some(9);
    }
    NAMES
        .iter()
        .position(|name| *name == word || (word.len() == 3 && name.starts_with(word)))
        .and_then(|i| u32::try_from(i + 1).ok())
}

/// "1", "1st", "22nd", "3rd", "15th" (a trailing comma is already gone).
fn day_of_month(word: &str) -> Option<u32> {
    let digits = ["st", "nd", "rd", "th"]
        .iter()
        .find_map(|s| word.strip_suffix(s))
        .unwrap_or(word);
    let day: u32 = digits.parse().ok()?;
    (1..=31).contains(&day).then_some(day)
}

/// "15th" → 15 (the suffix required).
#[must_use]
pub fn ordinal_day(word: &str) -> Option<u32> {
    ordinal(word)
}

/// Like [`day_of_month`] but requires the suffix, so "the 3 tasks" is no date.
fn ordinal(word: &str) -> Option<u32> {
    ["st", "nd", "rd", "th"]
        .iter()
        .any(|s| word.ends_with(s))
        .then(|| day_of_month(word))
        .flatten()
}

fn year(word: &str) -> Option<i32> {
    (word.len() == 4)
        .then(|| word.parse::<i32>().ok())
        .flatten()
        .filter(|y| (1970..=9999).contains(y))
}

/// The first `day` after `today` (or `today` itself when `today_counts`).
#[must_use]
pub fn weekday_after(today: NaiveDate, day: Weekday, today_counts: bool) -> Option<NaiveDate> {
    let ahead = (7 + day.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
    let ahead = if ahead == 0 && !today_counts {
        7
    } else {
        ahead
    };
    today.checked_add_days(Days::new(u64::from(ahead)))
}

fn monday_after(today: NaiveDate) -> Option<NaiveDate> {
    weekday_after(today, Weekday::Mon, false)
}

/// The Sunday ending `today`'s week (weeks run Monday to Sunday).
#[must_use]
pub fn sunday_of(today: NaiveDate) -> Option<NaiveDate> {
    weekday_after(today, Weekday::Sun, true)
}

/// The Monday starting `today`'s week.
#[must_use]
pub fn monday_of(today: NaiveDate) -> Option<NaiveDate> {
    today.checked_sub_days(Days::new(u64::from(today.weekday().num_days_from_monday())))
}

/// This weekend's Saturday; on a Sunday, that Sunday.
fn saturday_of(today: NaiveDate) -> Option<NaiveDate> {
    if today.weekday() == Weekday::Sun {
        return Some(today);
    }
    weekday_after(today, Weekday::Sat, true)
}

fn last_of_month(today: NaiveDate) -> Option<NaiveDate> {
    today
        .with_day(1)?
        .checked_add_months(Months::new(1))?
        .pred_opt()
}
