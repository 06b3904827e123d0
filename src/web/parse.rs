//! `GET /app/api/parse?text=…`: reads a quick-add line with the chat agent's grammar and returns
//! the task it describes, without saving it, so that the page can show it before it is added.

use axum::{
    Router,
    extract::{RawQuery, State},
    routing::get,
};
use chrono::Utc;
use serde::Serialize;

use crate::auth::{AuthUser, service};
use crate::chat::local::command::{Command, NewTaskSpec};
use crate::error::{ApiError, AppJson, Result};
use crate::state::AppState;
use crate::tasks::model::{Priority, RecurrencePattern};

/// Longest line the parser reads; a title is at most 200 characters and the rest is short.
const MAX_TEXT_CHARS: usize = 500;

/// `/app/api/parse`.
pub fn router() -> Router<AppState> {
    Router::new().route("/app/api/parse", get(parse_task))
}

/// A task as a create body of `POST /api/v1/tasks`: the page sends it back as it is.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ParsedTask {
    /// What is left once the other phrases are taken out.
    pub title: String,
    /// `HIGH`, `MEDIUM`, `LOW` or `NONE`.
    pub priority: Priority,
    /// From `#tags`.
    pub tags: Vec<String>,
    /// RFC 3339 UTC instant, read in the user's time zone.
    pub due_date: Option<String>,
    /// From "every month", "daily", ….
    pub recurrence_pattern: Option<RecurrencePattern>,
    /// Periods between occurrences.
    pub recurrence_interval: Option<i32>,
}

async fn parse_task(
    State(state): State<AppState>,
    auth: AuthUser,
    RawQuery(query): RawQuery,
) -> Result<AppJson<ParsedTask>> {
    let text = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(key, _)| key == "text")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    if text.chars().count() > MAX_TEXT_CHARS || text.contains('\0') {
        return Err(ApiError::invalid(
            "text",
            "must be at most 500 characters, without NUL",
        ));
    }
    let tz = service::timezone(&state.db, &auth.user_id).await?;
    let (text, marked) = take_priority_mark(&text);
    let command = crate::chat::local::parse(&format!("add {text}"), Utc::now(), tz);
    let Command::Add(spec) = command else {
        return Err(ApiError::invalid("text", "type what the task is"));
    };
    Ok(AppJson(to_task(spec, marked, tz)))
}

fn to_task(spec: NewTaskSpec, marked: Option<Priority>, tz: chrono_tz::Tz) -> ParsedTask {
    let due_date = spec.due.map(|due| {
        crate::tasks::dates::resolve_local(tz, due)
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    });
    ParsedTask {
        title: spec.title,
        priority: marked.or(spec.priority).unwrap_or(Priority::None),
        tags: spec.tags,
        due_date,
        recurrence_pattern: spec.repeat.map(|r| r.pattern),
        recurrence_interval: spec.repeat.map(|r| r.interval),
    }
}

/// Quick-add shorthand the chat grammar does not read: `!high`, `!medium`, `!low`, `!none`
/// (the last one written wins), taken out of the line.
fn take_priority_mark(text: &str) -> (String, Option<Priority>) {
    let mut priority = None;
    let rest: Vec<&str> = text
        .split_whitespace()
        .filter(|word| {
            let mark = match word.to_ascii_lowercase().as_str() {
                "!high" | "!1" => Some(Priority::High),
                "!medium" | "!med" | "!2" => Some(Priority::Medium),
                "!low" | "!3" => Some(Priority::Low),
                "!none" => Some(Priority::None),
                _ => None,
            };
            priority = mark.or(priority);
            mark.is_none()
        })
        .collect();
    (rest.join(" "), priority)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn priority_marks_are_taken_out_of_the_line() {
        let (rest, priority) = take_priority_mark("pay rent #home !HIGH soon");
        assert_eq!(rest, "pay rent #home soon");
        assert_eq!(priority, Some(Priority::High));
        assert_eq!(take_priority_mark("wow! great").1, None);
    }

    #[test]
    fn the_issue_example_reads_as_a_monthly_high_priority_home_task() {
        let now = Utc.with_ymd_and_hms(2026, 12, 5, 10, 0, 0).single();
        let now = now.unwrap_or_default();
        let tz = chrono_tz::UTC;
        let (text, marked) = take_priority_mark("pay rent every month on the 1st #home !high");
        let Command::Add(spec) = crate::chat::local::parse(&format!("add {text}"), now, tz) else {
            panic!("not read as an add");
        };
        let task = to_task(spec, marked, tz);
        assert_eq!(task.title, "pay rent");
        assert_eq!(task.priority, Priority::High);
        assert_eq!(task.tags, vec!["home".to_owned()]);
        assert_eq!(task.recurrence_pattern, Some(RecurrencePattern::Monthly));
        assert!(
            task.due_date
                .is_some_and(|due| due.starts_with("2027-01-01"))
        );
    }
}
