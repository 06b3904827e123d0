//! The agent's wording: short sentences naming tasks by number, title and local due date.

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;

use super::when::end_of_day;
use crate::tasks::model::{Priority, RecurrencePattern, Task};

/// How replies speak of a task.
pub trait Spoken {
    /// `#4 "call mom"`; `"call mom"` for a task of a shared project, whose number (its
    /// owner's) the tools hide from the agent.
    fn name(&self) -> String;

    /// `#4 "call mom", due Mon 23 Nov 18:00, high priority, tagged #home, repeats weekly`.
    fn describe(&self, tz: Tz, now: DateTime<Utc>) -> String;

    /// The clauses after the name.
    fn details(&self, tz: Tz, now: DateTime<Utc>) -> Vec<String>;

    /// "repeats every 2 weeks".
    fn repeat(&self) -> Option<String>;

    /// One line of a listing.
    fn line(&self, tz: Tz, now: DateTime<Utc>) -> String;
}

impl Spoken for Task {
    fn name(&self) -> String {
        if self.number > 0 {
            format!("#{} \"{}\"", self.number, self.title)
        } else {
            format!("\"{}\"", self.title)
        }
    }

    fn describe(&self, tz: Tz, now: DateTime<Utc>) -> String {
        let mut parts = vec![self.name()];
        parts.extend(self.details(tz, now));
        parts.join(", ")
    }

    fn details(&self, tz: Tz, now: DateTime<Utc>) -> Vec<String> {
        let mut parts = Vec::new();
        if let Some(due) = self.due_date {
            let late = !self.completed && due < now;
            parts.push(format!(
                "{} {}",
                if late { "overdue since" } else { "due" },
                when(due, tz, now)
            ));
        }
        if self.priority != Priority::None {
            parts.push(format!(
                "{} priority",
                self.priority.as_str().to_lowercase()
            ));
        }
        if !self.tags.is_empty() {
            parts.push(format!("tagged {}", hashtags(&self.tags)));
        }
        if let Some(repeat) = self.repeat() {
            parts.push(repeat);
        }
        parts
    }

    fn repeat(&self) -> Option<String> {
        let pattern = self.recurrence_pattern.filter(|_| self.is_recurring)?;
        Some(repeats(pattern, self.recurrence_interval))
    }

    fn line(&self, tz: Tz, now: DateTime<Utc>) -> String {
        let mark = if self.completed { "✓" } else { "•" };
        let details = self.details(tz, now);
        let number = if self.number > 0 {
            format!("#{} ", self.number)
        } else {
            String::new()
        };
        if details.is_empty() {
            format!("{mark} {number}{}", self.title)
        } else {
            format!("{mark} {number}{} ({})", self.title, details.join(", "))
        }
    }
}

/// "repeats weekly", "repeats every 3 days".
#[must_use]
pub fn repeats(pattern: RecurrencePattern, interval: i32) -> String {
    let (one, unit) = match pattern {
        RecurrencePattern::Daily => ("daily", "days"),
        RecurrencePattern::Weekly => ("weekly", "weeks"),
        RecurrencePattern::Monthly => ("monthly", "months"),
    };
    match interval {
        1 => format!("repeats {one}"),
        12 if pattern == RecurrencePattern::Monthly => "repeats yearly".to_owned(),
        n => format!("repeats every {n} {unit}"),
    }
}

/// "#home, #work".
#[must_use]
pub fn hashtags(tags: &[String]) -> String {
    tags.iter()
        .map(|t| format!("#{t}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A due instant on the user's wall clock: "Mon 23 Nov 18:00"; a date alone (end of day)
/// without its time; the year only when it is not this year.
#[must_use]
pub fn when(due: DateTime<Utc>, tz: Tz, now: DateTime<Utc>) -> String {
    let local = due.with_timezone(&tz);
    let this_year = now.with_timezone(&tz).year() == local.year();
    let date = if this_year {
        local.format("%a %-d %b").to_string()
    } else {
        local.format("%a %-d %b %Y").to_string()
    };
    if local.time() == end_of_day() {
        date
    } else {
        format!("{date} {}", local.format("%H:%M"))
    }
}

/// A tool's failure message made fit for a person: the first sentence, without the advice
/// meant for a model ("Call list_tasks …").
#[must_use]
pub fn failure(message: Option<&str>) -> String {
    let message = message.unwrap_or("something went wrong");
    let cut = [". Correct", ". Call", ". Omit", ". Answer", ". Try"]
        .iter()
        .filter_map(|m| message.find(m))
        .min()
        .unwrap_or(message.len());
    let message = message[..cut].trim_end_matches('.');
    format!("Sorry, that didn't work: {message}.")
}

/// What the agent understands, for "help".
pub const HELP: &str = "I manage your tasks from plain sentences. Try:\n\
• Add: \"add buy milk tomorrow at 5pm #shopping, high priority\" · \"I need to call the bank on friday\" · \"remind me to water plants every 3 days\" · \"pay rent on the 15th of each month\" · quotes keep a title as typed: add \"Friday drinks\"\n\
• See: \"list my tasks\" · \"what's due today?\" · \"show overdue\" · \"tasks tagged #work\" · \"show task 3\" · \"search milk\"\n\
• Finish: \"complete task 3\" · \"done with milk\" · \"I posted the letter\" · \"reopen task 2\"\n\
• Change: \"move the dentist to next monday\" · \"push task 4 back a day\" · \"make task 1 p1\" (or !high) · \"note for task 2: bring ID\" · \"tag task 2 #home\" · \"rename task 2 to buy oat milk\" · \"stop repeating task 5\" · \"clear the due date of task 5\"\n\
• Right after a change: \"and make it high priority\" · \"actually, tomorrow\" · \"undo\"\n\
• Lists: \"add milk to Groceries\" · \"what's in my Work list\" · \"move task 3 to Work\" · \"show my lists\" · \"create a list called Groceries\"\n\
• Share a list: \"share Groceries with sam@example.com as an editor\" · \"let sam@example.com see Groceries\" (they need a tudu account)\n\
• Its people: \"who is Groceries shared with\" · \"stop sharing Groceries with sam@example.com\" · \"make sam@example.com a viewer of Groceries\" · \"make sam@example.com the owner of Groceries\" · \"leave Groceries\"\n\
• Subtasks: \"add a subtask check tyres to task 5\"\n\
• Delete: \"delete task 4\". Several at once (\"delete all completed tasks\", \"clear my list\") are listed first and wait for your \"yes\".\n\
I name tasks by number or by whole words of their title. I ask when \"it\" could mean nothing or several tasks, and I never act on \"don't …\".";

/// The answer to a negated request.
pub const DECLINED: &str = "OK — I won't do that. Nothing was changed.";

/// The answer to anything not understood: nothing was changed.
pub const NOT_UNDERSTOOD: &str = "Sorry, I didn't understand that, so I changed nothing. \
Try \"add buy milk tomorrow\", \"list my tasks\" or \"complete task 3\" — or say \"help\".";

/// What to say when a command lacks what it needs.
#[must_use]
pub fn incomplete(kind: &str) -> &'static str {
    match kind {
        "add" => "What should I add? For example: \"add buy milk tomorrow\".",
        "complete" => "Which task is done? Say e.g. \"complete task 3\" or \"done with milk\".",
        "reopen" => "Which task should I reopen? Say e.g. \"reopen task 2\".",
        "delete" => "Which task should I delete? Say e.g. \"delete task 4\".",
        "rename" => "Say e.g. \"rename task 2 to buy oat milk\".",
        "reschedule" => "When to? Say e.g. \"move task 3 to next monday\".",
        "tag" => "Say e.g. \"add tag #home to task 2\".",
        "search" => "What should I search for? Say e.g. \"search milk\".",
        "subtask" => {
            "Which task should it go under? Say its number, e.g. \"add a subtask check tyres \
             to task 5\"."
        }
        "project" => {
            "What should the new list be called? Say e.g. \"create a list called Groceries\"."
        }
        "share" => {
            "Who should I share which list with? Say their email and the list's name, one \
             person at a time, e.g. \"share Groceries with sam@example.com as an editor\"."
        }
        "members" => {
            "Which list? Say e.g. \"who is Groceries shared with\" or \"members of Groceries\"."
        }
        "unshare" => {
            "Who should I stop sharing which list with? Say their whole email and the list, one \
             person at a time, e.g. \"stop sharing Groceries with sam@example.com\". Nothing \
             was changed."
        }
        "role" => {
            "Whose role in which list? Say their whole email, the list and the role, e.g. \
             \"make sam@example.com a viewer of Groceries\". Nothing was changed."
        }
        "owner" => {
            "Which list should I hand over, and to whom? Say e.g. \"make sam@example.com the \
             owner of Groceries\". Nothing was changed."
        }
        "move" => {
            "I move one task at a time, so I changed nothing. Say e.g. \"move task 3 to Work\"."
        }
        _ => {
            "I didn't catch what to change. Say e.g. \"change task 3 priority to low\" or \
             \"set due date of task 1 to friday\"."
        }
    }
}

/// A pending task with only a number and a title, for tests.
#[cfg(test)]
#[must_use]
pub fn sample(number: i64, title: &str) -> Task {
    let now = Utc::now();
    Task {
        id: uuid::Uuid::now_v7(),
        number,
        user_id: "sample".to_owned(),
        project_id: uuid::Uuid::nil(),
        parent_id: None,
        position: number,
        assignee_id: None,
        created_by: Some("sample".to_owned()),
        title: title.to_owned(),
        description: None,
        completed: false,
        priority: Priority::None,
        tags: Vec::new(),
        due_date: None,
        is_recurring: false,
        recurrence_pattern: None,
        recurrence_interval: 1,
        created_at: now,
        updated_at: now,
        completed_at: None,
        version: 1,
        recurrence_anchor_day: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_on_the_users_clock() {
        let now: DateTime<Utc> = "2026-11-20T12:00:00Z".parse().expect("instant");
        let due: DateTime<Utc> = "2026-11-23T23:00:00Z".parse().expect("instant");
        assert_eq!(
            when(due, chrono_tz::America::New_York, now),
            "Mon 23 Nov 18:00"
        );
        let end: DateTime<Utc> = "2027-01-02T04:59:59Z".parse().expect("instant");
        assert_eq!(
            when(end, chrono_tz::America::New_York, now),
            "Fri 1 Jan 2027"
        );
    }

    #[test]
    fn model_advice_is_cut_from_failures() {
        assert_eq!(
            failure(Some(
                "Task 9 was not found among the user's tasks. Call list_tasks to see them"
            )),
            "Sorry, that didn't work: Task 9 was not found among the user's tasks."
        );
    }
}
