//! Import: a document merged into the caller's account, all of it or nothing.
//!
//! Every task is checked by the rules of `POST /api/v1/tasks` before anything is written, then
//! the whole merge is one transaction. Re-importing a document creates nothing: each task and
//! conversation keeps its id when no one has it, and otherwise takes an id derived from the
//! caller and the original id (UUID v5), so the same document always lands on the same ids, and
//! one the account already holds under any of them is skipped. Nothing that exists is ever
//! changed, the caller's or anyone else's.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, DurationRound, TimeDelta, Utc};
use chrono_tz::Tz;

use uuid::Uuid;

use super::model::{ImportConversation, ImportDocument, ImportMessage, ImportReport, ImportTask};
use super::store;
use crate::chat::agent::Role;
use crate::chat::model::MAX_MESSAGE_CHARS;
use crate::chat::tools::ToolCall;
use crate::db::Db;
use crate::error::{ApiError, FieldError, Result};
use crate::tasks::model::NewTask;
use crate::tasks::rules::{self, TaskFields};

/// Ids tried per imported row: the original, then ids derived from it in turn.
pub const CANDIDATES: usize = 3;
/// At most this many invalid fields are listed in a 422.
const MAX_REPORTED: usize = 100;
/// Longest conversation title accepted.
const MAX_TITLE_CHARS: usize = 200;
/// Longest assistant reply accepted (users' messages keep the chat limit).
const MAX_REPLY_CHARS: usize = 100_000;
/// The namespace of derived ids (a fixed random UUID: tudu's own).
const NAMESPACE: Uuid = Uuid::from_u128(0x5d0c_2a8e_7f41_4b6e_9c3a_1e8f_0b7d_4a21);

/// A task ready to write.
#[derive(Debug, Clone)]
pub struct CheckedTask {
    /// Its id in the document.
    pub original: Uuid,
    /// Its fields, as the API would store them.
    pub fields: TaskFields,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Completion time, on a completed task.
    pub completed_at: Option<DateTime<Utc>>,
}

/// A conversation ready to write.
#[derive(Debug, Clone)]
pub struct CheckedConversation {
    /// Its id in the document.
    pub original: Uuid,
    /// Title.
    pub title: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last message time.
    pub updated_at: DateTime<Utc>,
    /// Messages, oldest first.
    pub messages: Vec<CheckedMessage>,
}

/// A message ready to write.
#[derive(Debug, Clone)]
pub struct CheckedMessage {
    /// Its id in the document.
    pub original: Uuid,
    /// Author.
    pub role: Role,
    /// Text.
    pub content: String,
    /// Tool calls of an assistant reply.
    pub tool_calls: Vec<ToolCall>,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
}

/// Merges `document` into `user_id`'s account.
///
/// # Errors
/// 422 naming every invalid field (`tasks[17].title`) with nothing written; 409 when ids
/// collide with a concurrent write; 401 when the user no longer exists.
#[tracing::instrument(skip_all, fields(user_id = %user_id))]
pub async fn import(db: &Db, user_id: &str, document: ImportDocument) -> Result<ImportReport> {
    let tz = crate::auth::service::timezone(db, user_id).await?;
    let now = crate::db::now();
    let mut errors = Vec::new();
    let tasks = check_tasks(document.tasks, tz, now, &mut errors);
    let conversations = check_conversations(document.conversations, now, &mut errors);
    if !errors.is_empty() {
        errors.truncate(MAX_REPORTED);
        return Err(ApiError::Validation(errors));
    }
    store::merge(db, user_id, &tasks, &conversations).await
}

/// The ids tried for a row of `user_id` whose document id is `original`, in order.
#[must_use]
pub fn candidates(user_id: &str, original: Uuid) -> [Uuid; CANDIDATES] {
    let mut ids = [original; CANDIDATES];
    for k in 1..CANDIDATES {
        let name = format!("{user_id}/{}", ids[k - 1]);
        ids[k] = Uuid::new_v5(&NAMESPACE, name.as_bytes());
    }
    ids
}

/// What becomes of one imported row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// The account already has it.
    Skip,
    /// Written under this id.
    Create(Uuid),
    /// Every candidate id belongs to someone else or to another row of the document.
    Collides,
}

/// Places a row given the owners of its candidate ids (`true`: the caller) and the ids other
/// rows of this import already took.
#[must_use]
pub fn place(
    candidates: &[Uuid; CANDIDATES],
    owners: &HashMap<Uuid, bool>,
    taken: &mut HashSet<Uuid>,
) -> Placement {
    if candidates.iter().any(|id| owners.get(id) == Some(&true)) {
        return Placement::Skip;
    }
    candidates
        .iter()
        .find(|id| !owners.contains_key(id) && !taken.contains(id))
        .map_or(Placement::Collides, |id| {
            taken.insert(*id);
            Placement::Create(*id)
        })
}

fn check_tasks(
    tasks: Vec<ImportTask>,
    tz: Tz,
    now: DateTime<Utc>,
    errors: &mut Vec<FieldError>,
) -> Vec<CheckedTask> {
    let mut seen = HashSet::with_capacity(tasks.len());
    let mut checked = Vec::with_capacity(tasks.len());
    for (index, task) in tasks.into_iter().enumerate() {
        if errors.len() >= MAX_REPORTED {
            break;
        }
        let at = format!("tasks[{index}]");
        let original = required_id(task.id, &at, &mut seen, errors);
        let created_at = instant(task.created_at, now, &at, "created_at", errors);
        let updated_at = instant(task.updated_at, created_at, &at, "updated_at", errors);
        let completed_at = instant(task.completed_at, updated_at, &at, "completed_at", errors);
        let anchor = task.recurrence_anchor_day;
        if anchor.is_some_and(|day| !(1..=31).contains(&day)) {
            let field = format!("{at}.recurrence_anchor_day");
            errors.push(FieldError::new(field, "must be between 1 and 31"));
        }
        let input = NewTask {
            title: task.title,
            description: task.description,
            completed: task.completed,
            priority: task.priority,
            tags: task.tags,
            due_date: task.due_date,
            is_recurring: task.is_recurring,
            recurrence_pattern: task.recurrence_pattern,
            recurrence_interval: task.recurrence_interval,
            position: task.position,
            ..NewTask::default()
        };
        match rules::new_task(input, tz) {
            Ok(mut fields) => {
                if fields.recurrence_anchor_day.is_some() && anchor.is_some() {
                    fields.recurrence_anchor_day = anchor;
                }
                if let Some(original) = original {
                    let completed_at = fields.completed.then_some(completed_at);
                    checked.push(CheckedTask {
                        original,
                        fields,
                        created_at,
                        updated_at,
                        completed_at,
                    });
                }
            }
            Err(ApiError::Validation(invalid)) => {
                errors.extend(invalid.into_iter().map(|e| nested(&at, e)));
            }
            Err(other) => errors.push(FieldError::new(at, other.to_string())),
        }
    }
    checked
}

fn check_conversations(
    conversations: Vec<ImportConversation>,
    now: DateTime<Utc>,
    errors: &mut Vec<FieldError>,
) -> Vec<CheckedConversation> {
    let mut seen = HashSet::new();
    let mut seen_messages = HashSet::new();
    let mut checked = Vec::with_capacity(conversations.len());
    for (index, conversation) in conversations.into_iter().enumerate() {
        if errors.len() >= MAX_REPORTED {
            break;
        }
        let at = format!("conversations[{index}]");
        let original = required_id(conversation.id, &at, &mut seen, errors);
        let title = conversation.title.unwrap_or_default();
        if title.chars().count() > MAX_TITLE_CHARS {
            let message = format!("must be at most {MAX_TITLE_CHARS} characters");
            errors.push(FieldError::new(format!("{at}.title"), message));
        }
        let created_at = instant(conversation.created_at, now, &at, "created_at", errors);
        let updated_at = instant(
            conversation.updated_at,
            created_at,
            &at,
            "updated_at",
            errors,
        );
        let messages = conversation
            .messages
            .into_iter()
            .enumerate()
            .filter_map(|(i, message)| {
                let at = format!("{at}.messages[{i}]");
                check_message(message, &at, created_at, &mut seen_messages, errors)
            })
            .collect();
        if let Some(original) = original {
            checked.push(CheckedConversation {
                original,
                title,
                created_at,
                updated_at,
                messages,
            });
        }
    }
    checked
}

fn check_message(
    message: ImportMessage,
    at: &str,
    default_time: DateTime<Utc>,
    seen: &mut HashSet<Uuid>,
    errors: &mut Vec<FieldError>,
) -> Option<CheckedMessage> {
    let original = required_id(message.id, at, seen, errors);
    let created_at = instant(message.created_at, default_time, at, "created_at", errors);
    let Some(role) = message.role else {
        errors.push(FieldError::new(format!("{at}.role"), "is required"));
        return None;
    };
    let Some(content) = message.content else {
        errors.push(FieldError::new(format!("{at}.content"), "is required"));
        return None;
    };
    let chars = content.chars().count();
    let (min, max) = match role {
        Role::User => (1, MAX_MESSAGE_CHARS),
        Role::Assistant => (0, MAX_REPLY_CHARS),
    };
    if chars < min || chars > max {
        let message = format!(
            "must be {min}–{max} characters for a {} message",
            role.as_str()
        );
        errors.push(FieldError::new(format!("{at}.content"), message));
    }
    Some(CheckedMessage {
        original: original?,
        role,
        content,
        tool_calls: message.tool_calls,
        created_at,
    })
}

/// The id of a row, which must be present and not repeat another row's.
fn required_id(
    id: Option<Uuid>,
    at: &str,
    seen: &mut HashSet<Uuid>,
    errors: &mut Vec<FieldError>,
) -> Option<Uuid> {
    let field = format!("{at}.id");
    match id {
        None => {
            errors.push(FieldError::new(field, "is required"));
            None
        }
        Some(id) if !seen.insert(id) => {
            errors.push(FieldError::new(
                field,
                "appears more than once in the document",
            ));
            None
        }
        Some(id) => Some(id),
    }
}

/// An instant as both databases store it (microseconds, years 1–9999), or `default`.
fn instant(
    value: Option<DateTime<Utc>>,
    default: DateTime<Utc>,
    at: &str,
    name: &str,
    errors: &mut Vec<FieldError>,
) -> DateTime<Utc> {
    let Some(value) = value else {
        return default;
    };
    if !(1..=9999).contains(&value.year()) {
        errors.push(FieldError::new(
            format!("{at}.{name}"),
            "must be between the years 1 and 9999",
        ));
        return default;
    }
    value
        .duration_trunc(TimeDelta::microseconds(1))
        .unwrap_or(value)
}

fn nested(at: &str, error: FieldError) -> FieldError {
    FieldError::new(format!("{at}.{}", error.field), error.message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_free_original_id_is_kept_and_a_foreign_one_is_derived() {
        let original = Uuid::now_v7();
        let ids = candidates("me", original);
        let mut taken = HashSet::new();
        assert_eq!(
            place(&ids, &HashMap::new(), &mut taken),
            Placement::Create(original)
        );
        let foreign = HashMap::from([(original, false)]);
        let mut taken = HashSet::new();
        assert_eq!(place(&ids, &foreign, &mut taken), Placement::Create(ids[1]));
        assert_ne!(ids[1], original);
        assert_eq!(
            candidates("me", original),
            ids,
            "derivation is deterministic"
        );
        assert_ne!(candidates("you", original)[1], ids[1], "and per caller");
    }

    #[test]
    fn a_row_the_caller_holds_under_any_candidate_is_skipped() {
        let ids = candidates("me", Uuid::now_v7());
        let owners = HashMap::from([(ids[0], false), (ids[1], true)]);
        assert_eq!(place(&ids, &owners, &mut HashSet::new()), Placement::Skip);
    }

    #[test]
    fn ids_taken_by_everyone_else_collide() {
        let ids = candidates("me", Uuid::now_v7());
        let owners: HashMap<Uuid, bool> = ids.iter().map(|id| (*id, false)).collect();
        assert_eq!(
            place(&ids, &owners, &mut HashSet::new()),
            Placement::Collides
        );
        let mut taken: HashSet<Uuid> = ids.into_iter().collect();
        assert_eq!(
            place(&ids, &HashMap::new(), &mut taken),
            Placement::Collides
        );
    }

    #[test]
    fn errors_name_the_task_and_its_field() {
        let tasks = vec![
            ImportTask {
                id: Some(Uuid::now_v7()),
                title: Some("fine".into()),
                ..ImportTask::default()
            },
            ImportTask {
                id: Some(Uuid::now_v7()),
                title: Some("   ".into()),
                recurrence_anchor_day: Some(40),
                ..ImportTask::default()
            },
        ];
        let mut errors = Vec::new();
        let checked = check_tasks(tasks, chrono_tz::UTC, crate::db::now(), &mut errors);
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["tasks[1].recurrence_anchor_day", "tasks[1].title"]);
        assert_eq!(checked.len(), 1);
    }
}
