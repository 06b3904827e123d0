//! Business rules of a task's fields: parsing input into a checked [`TaskFields`], for create
//! and for update alike.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use uuid::Uuid;

use super::dates::{self, DueDate};
use super::model::{DueDateInput, NewTask, Priority, RecurrencePattern, Task, TaskPatch};
use crate::error::{ApiError, FieldError};
use crate::validate;

/// Longest title, in characters.
pub const MAX_TITLE: usize = 200;
/// Longest description, in characters.
pub const MAX_DESCRIPTION: usize = 1000;
/// Most tags on one task.
pub const MAX_TAGS: usize = 20;
/// Longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 50;
/// Largest recurrence interval.
pub const MAX_INTERVAL: i32 = 1000;
/// How deep subtasks nest: a top-level task is at depth 0, its subtasks at 1, and so on.
pub const MAX_DEPTH: i64 = 4;
/// Largest position either way: the largest integer a JSON client reads exactly.
pub const MAX_POSITION: i64 = (1 << 53) - 1;

/// Every writable field of a task, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFields {
    /// Trimmed, 1–200 characters.
    pub title: String,
    /// Trimmed; empty becomes `None`.
    pub description: Option<String>,
    /// Done or not.
    pub completed: bool,
    /// Importance.
    pub priority: Priority,
    /// Normalised labels.
    pub tags: Vec<String>,
    /// Due instant.
    pub due_date: Option<DateTime<Utc>>,
    /// True exactly when `recurrence_pattern` is set.
    pub is_recurring: bool,
    /// Period.
    pub recurrence_pattern: Option<RecurrencePattern>,
    /// Periods between occurrences.
    pub recurrence_interval: i32,
    /// Day of month a monthly series keeps (derived from the due date).
    pub recurrence_anchor_day: Option<i32>,
    /// The project; `None` for a new task means the user's Inbox. That it is the user's is
    /// checked by `tasks::service`, which can read projects.
    pub project_id: Option<Uuid>,
    /// The parent task; its project, the depth and the absence of cycles are checked by
    /// `tasks::service`, which can read tasks.
    pub parent_id: Option<Uuid>,
    /// Place among siblings; `None` puts it after the last one.
    pub position: Option<i64>,
    /// Who is to do it; that they may see the project is checked by `tasks::service`.
    pub assignee_id: Option<String>,
}

impl TaskFields {
    /// The fields of an existing task.
    #[must_use]
    pub fn of(task: &Task) -> Self {
        Self {
            title: task.title.clone(),
            description: task.description.clone(),
            completed: task.completed,
            priority: task.priority,
            tags: task.tags.clone(),
            due_date: task.due_date,
            is_recurring: task.is_recurring,
            recurrence_pattern: task.recurrence_pattern,
            recurrence_interval: task.recurrence_interval,
            recurrence_anchor_day: task.recurrence_anchor_day,
            project_id: Some(task.project_id),
            parent_id: task.parent_id,
            position: Some(task.position),
            assignee_id: task.assignee_id.clone(),
        }
    }
}

/// Whether parsing needs the user's time zone (some date came without an offset).
#[must_use]
pub fn needs_timezone(due: Option<&DueDateInput>) -> bool {
    due.is_some_and(|d| matches!(dates::parse_due(&d.0), Some(DueDate::Local(_))))
}

/// Checks a create body.
///
/// # Errors
/// 422 listing every invalid field.
pub fn new_task(input: NewTask, tz: Tz) -> Result<TaskFields, ApiError> {
    let mut errors = Vec::new();
    let title = match input.title.as_deref() {
        Some(title) => validate::text(title, "title", 1, MAX_TITLE, &mut errors),
        None => {
            errors.push(FieldError::new("title", "is required"));
            None
        }
    };
    let description = description(input.description.as_deref(), &mut errors);
    let tags = input.tags.map_or_else(Vec::new, |t| tags(t, &mut errors));
    let due_date = input.due_date.and_then(|d| due_date(&d, tz, &mut errors));
    let pattern = input.recurrence_pattern;
    let is_recurring = input.is_recurring.unwrap_or(pattern.is_some());
    let interval = interval(input.recurrence_interval.unwrap_or(1), &mut errors);
    let mut fields = TaskFields {
        title: title.unwrap_or_default(),
        description,
        completed: input.completed.unwrap_or(false),
        priority: input.priority.unwrap_or_default(),
        tags,
        due_date,
        is_recurring,
        recurrence_pattern: pattern,
        recurrence_interval: interval,
        recurrence_anchor_day: None,
        project_id: input.project_id,
        parent_id: input.parent_id,
        position: input.position.and_then(|p| position(p, &mut errors)),
        assignee_id: input.assignee_id.map(|a| a.trim().to_owned()),
    };
    recurrence(&mut fields, &mut errors);
    fields.recurrence_anchor_day =
        dates::anchor_day(fields.due_date, fields.recurrence_pattern, tz);
    if errors.is_empty() {
        Ok(fields)
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// Applies a partial update to `current`: absent fields stay, `null` clears.
///
/// # Errors
/// 422 listing every invalid field.
pub fn apply_patch(current: TaskFields, patch: TaskPatch, tz: Tz) -> Result<TaskFields, ApiError> {
    let mut errors = Vec::new();
    let mut fields = current;
    if let Some(project_id) = patch.project_id.filter(|p| fields.project_id != Some(*p)) {
        fields.project_id = Some(project_id);
        // Moved on its own, a subtask leaves its parent (which stays where it is).
        fields.parent_id = None;
        fields.position = None;
    }
    if let Some(parent_id) = patch.parent_id.filter(|p| *p != fields.parent_id) {
        fields.parent_id = parent_id;
        fields.position = None;
    }
    if let Some(value) = patch.position {
        fields.position = position(value, &mut errors);
    }
    if let Some(assignee) = patch.assignee_id {
        fields.assignee_id = assignee.map(|a| a.trim().to_owned());
    }
    match patch.title {
        Some(Some(title)) => {
            if let Some(title) = validate::text(&title, "title", 1, MAX_TITLE, &mut errors) {
                fields.title = title;
            }
        }
        Some(None) => errors.push(FieldError::new("title", "cannot be null")),
        None => {}
    }
    if let Some(value) = patch.description {
        fields.description = description(value.as_deref(), &mut errors);
    }
    if let Some(completed) = patch.completed {
        fields.completed = completed;
    }
    if let Some(priority) = patch.priority {
        fields.priority = priority.unwrap_or_default();
    }
    if let Some(value) = patch.tags {
        fields.tags = value.map_or_else(Vec::new, |t| tags(t, &mut errors));
    }
    let due_changed = patch.due_date.is_some();
    if let Some(value) = patch.due_date {
        fields.due_date = value.and_then(|d| due_date(&d, tz, &mut errors));
    }
    if let Some(value) = patch.recurrence_pattern {
        fields.recurrence_pattern = value;
        fields.is_recurring = value.is_some();
    }
    match patch.is_recurring {
        Some(false) if patch.recurrence_pattern.flatten().is_none() => {
            fields.is_recurring = false;
            fields.recurrence_pattern = None;
        }
        Some(flag) => fields.is_recurring = flag,
        None => {}
    }
    if let Some(value) = patch.recurrence_interval {
        fields.recurrence_interval = interval(value, &mut errors);
    }
    recurrence(&mut fields, &mut errors);
    // A new due date or pattern starts a new anchor; otherwise the series keeps its own.
    if due_changed || patch.recurrence_pattern.is_some() || fields.recurrence_pattern.is_none() {
        fields.recurrence_anchor_day =
            dates::anchor_day(fields.due_date, fields.recurrence_pattern, tz);
    }
    if errors.is_empty() {
        Ok(fields)
    } else {
        Err(ApiError::Validation(errors))
    }
}

fn position(value: i64, errors: &mut Vec<FieldError>) -> Option<i64> {
    if (-MAX_POSITION..=MAX_POSITION).contains(&value) {
        Some(value)
    } else {
        errors.push(FieldError::new(
            "position",
            format!("must be between -{MAX_POSITION} and {MAX_POSITION}"),
        ));
        None
    }
}

fn description(value: Option<&str>, errors: &mut Vec<FieldError>) -> Option<String> {
    let value = value?.trim();
    if value.chars().count() > MAX_DESCRIPTION {
        errors.push(FieldError::new(
            "description",
            format!("must be at most {MAX_DESCRIPTION} characters"),
        ));
        return None;
    }
    (!value.is_empty()).then(|| value.to_owned())
}

fn tags(raw: Vec<String>, errors: &mut Vec<FieldError>) -> Vec<String> {
    let mut normalized: Vec<String> = Vec::with_capacity(raw.len());
    for (index, tag) in raw.iter().enumerate() {
        let field = format!("tags[{index}]");
        if let Some(tag) = validate::text(tag, &field, 1, MAX_TAG_CHARS, errors) {
            let tag = tag.to_lowercase();
            if !normalized.contains(&tag) {
                normalized.push(tag);
            }
        }
    }
    if normalized.len() > MAX_TAGS {
        errors.push(FieldError::new(
            "tags",
            format!("at most {MAX_TAGS} tags are allowed"),
        ));
    }
    normalized
}

fn due_date(input: &DueDateInput, tz: Tz, errors: &mut Vec<FieldError>) -> Option<DateTime<Utc>> {
    match dates::parse_due(&input.0) {
        Some(DueDate::Instant(instant)) => Some(instant),
        Some(DueDate::Local(naive)) => Some(dates::resolve_local(tz, naive)),
        None => {
            errors.push(FieldError::new(
                "due_date",
                "must be an RFC 3339 date-time (2026-12-01T17:00:00Z) or a date (2026-12-01)",
            ));
            None
        }
    }
}

fn interval(value: i32, errors: &mut Vec<FieldError>) -> i32 {
    if (1..=MAX_INTERVAL).contains(&value) {
        value
    } else {
        errors.push(FieldError::new(
            "recurrence_interval",
            format!("must be between 1 and {MAX_INTERVAL}"),
        ));
        1
    }
}

fn recurrence(fields: &mut TaskFields, errors: &mut Vec<FieldError>) {
    match (fields.is_recurring, fields.recurrence_pattern) {
        (true, None) => errors.push(FieldError::new(
            "recurrence_pattern",
            "is required when is_recurring is true (DAILY, WEEKLY or MONTHLY)",
        )),
        (false, Some(_)) => errors.push(FieldError::new(
            "is_recurring",
            "must be true when a recurrence_pattern is given",
        )),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(input: NewTask) -> Result<TaskFields, ApiError> {
        new_task(input, chrono_tz::UTC)
    }

    #[test]
    fn tags_are_trimmed_lowercased_and_deduplicated() {
        let input = NewTask {
            title: Some(" Buy milk ".into()),
            tags: Some(vec![" Home ".into(), "home".into(), "Errand".into()]),
            ..NewTask::default()
        };
        let fields = fields(input).expect("valid");
        assert_eq!(fields.title, "Buy milk");
        assert_eq!(fields.tags, vec!["home", "errand"]);
    }

    #[test]
    fn pattern_implies_recurring_and_flag_requires_pattern() {
        let implied = NewTask {
            title: Some("x".into()),
            recurrence_pattern: Some(RecurrencePattern::Weekly),
            ..NewTask::default()
        };
        assert!(fields(implied).expect("valid").is_recurring);
        let missing = NewTask {
            title: Some("x".into()),
            is_recurring: Some(true),
            ..NewTask::default()
        };
        assert!(
            matches!(fields(missing), Err(ApiError::Validation(e)) if e[0].field == "recurrence_pattern")
        );
    }

    #[test]
    fn patch_null_clears_and_absent_keeps() {
        let current = fields(NewTask {
            title: Some("x".into()),
            description: Some("keep".into()),
            due_date: Some(DueDateInput("2026-01-01T00:00:00Z".into())),
            ..NewTask::default()
        })
        .expect("valid");
        let patch = TaskPatch {
            due_date: Some(None),
            ..TaskPatch::default()
        };
        let updated = apply_patch(current, patch, chrono_tz::UTC).expect("valid");
        assert_eq!(updated.description.as_deref(), Some("keep"));
        assert_eq!(updated.due_date, None);
    }
}
