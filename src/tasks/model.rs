//! Task types: the stored/returned `Task`, and the input bodies of create and update.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, de::Error as _};
use sqlx::{Database, Decode, Encode, Type, encode::IsNull, error::BoxDynError};
use utoipa::ToSchema;
use uuid::Uuid;

/// How important a task is; sorts HIGH > MEDIUM > LOW > NONE.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Serialize,
    ToSchema,
    JsonSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Priority {
    /// No priority (default).
    #[default]
    None,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

impl Priority {
    /// All values, lowest first.
    pub const ALL: [Self; 4] = [Self::None, Self::Low, Self::Medium, Self::High];

    /// Stored form: the rank, so that ordering by the column orders by importance.
    #[must_use]
    pub fn rank(self) -> i32 {
        match self {
            Self::None => 0,
            Self::Low => 1,
            Self::Medium => 2,
            Self::High => 3,
        }
    }

    /// The priority stored as `rank`.
    #[must_use]
    pub fn from_rank(rank: i32) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.rank() == rank)
    }

    /// The upper-case name used in JSON.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::Low => "LOW",
            Self::Medium => "MEDIUM",
            Self::High => "HIGH",
        }
    }
}

impl std::str::FromStr for Priority {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or("must be one of HIGH, MEDIUM, LOW, NONE")
    }
}

impl<'de> Deserialize<'de> for Priority {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        raw.parse().map_err(D::Error::custom)
    }
}

/// Period of a recurring task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum RecurrencePattern {
    /// Every `interval` days.
    Daily,
    /// Every `interval` weeks.
    Weekly,
    /// Every `interval` months, keeping the day of month.
    Monthly,
}

impl RecurrencePattern {
    /// The upper-case name used in JSON and storage.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Daily => "DAILY",
            Self::Weekly => "WEEKLY",
            Self::Monthly => "MONTHLY",
        }
    }
}

impl std::str::FromStr for RecurrencePattern {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Self::Daily, Self::Weekly, Self::Monthly]
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or("must be one of DAILY, WEEKLY, MONTHLY")
    }
}

impl<'de> Deserialize<'de> for RecurrencePattern {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        raw.parse().map_err(D::Error::custom)
    }
}

// Both enums are stored through a primitive that every backend knows (rank / name), so one
// generic impl serves PostgreSQL and SQLite alike.
macro_rules! stored_as {
    ($ty:ty, $prim:ty, $to:expr, $from:expr) => {
        impl<DB: Database> Type<DB> for $ty
        where
            $prim: Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <$prim as Type<DB>>::type_info()
            }
            fn compatible(ty: &DB::TypeInfo) -> bool {
                <$prim as Type<DB>>::compatible(ty)
            }
        }
        impl<'q, DB: Database> Encode<'q, DB> for $ty
        where
            $prim: Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as Database>::ArgumentBuffer,
            ) -> Result<IsNull, BoxDynError> {
                let stored: $prim = $to(*self);
                stored.encode(buf)
            }
        }
        impl<'r, DB: Database> Decode<'r, DB> for $ty
        where
            $prim: Decode<'r, DB>,
        {
            fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
                let stored = <$prim as Decode<'r, DB>>::decode(value)?;
                $from(stored)
            }
        }
    };
}

pub(crate) use stored_as;

stored_as!(Priority, i32, Priority::rank, |rank| {
    Priority::from_rank(rank).ok_or_else(|| format!("unknown priority rank {rank}").into())
});
stored_as!(
    RecurrencePattern,
    String,
    |p: RecurrencePattern| p.as_str().to_owned(),
    |name: String| { name.parse::<RecurrencePattern>().map_err(Into::into) }
);

/// A task as stored and returned (read from rows by `super::row`; read back from JSON by the
/// chat agent, which sees tasks as its tools return them).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, JsonSchema)]
pub struct Task {
    /// UUID v7.
    pub id: Uuid,
    /// Per-user sequence number, never reused ("task 3").
    pub number: i64,
    /// The owner.
    pub user_id: String,
    /// The project (list) it belongs to; the owner's Inbox unless another was chosen.
    pub project_id: Uuid,
    /// The task it is a subtask of (in the same project); null at the top level.
    pub parent_id: Option<Uuid>,
    /// Manual order among its siblings (the project's top level, or its parent's subtasks).
    pub position: i64,
    /// The member (or owner) of its project who is to do it; null when nobody is.
    pub assignee_id: Option<String>,
    /// Who created it (the owner, or a member of a shared project); null once that account is
    /// deleted.
    pub created_by: Option<String>,
    /// 1–200 characters.
    pub title: String,
    /// Up to 1000 characters.
    pub description: Option<String>,
    /// Done or not.
    pub completed: bool,
    /// Importance.
    pub priority: Priority,
    /// Lower-case labels.
    pub tags: Vec<String>,
    /// When it is due (UTC).
    #[serde(serialize_with = "crate::json::optional_instant")]
    pub due_date: Option<DateTime<Utc>>,
    /// Whether completing it schedules the next occurrence.
    pub is_recurring: bool,
    /// Period of the recurrence.
    pub recurrence_pattern: Option<RecurrencePattern>,
    /// How many periods between occurrences.
    pub recurrence_interval: i32,
    /// Creation time.
    #[serde(serialize_with = "crate::json::instant")]
    pub created_at: DateTime<Utc>,
    /// Last change.
    #[serde(serialize_with = "crate::json::instant")]
    pub updated_at: DateTime<Utc>,
    /// When it was completed; null while pending.
    #[serde(serialize_with = "crate::json::optional_instant")]
    pub completed_at: Option<DateTime<Utc>>,
    /// Bumped on every write; the basis of the ETag.
    #[serde(skip)]
    pub version: i64,
    /// Day of month a monthly series keeps.
    #[serde(skip)]
    pub recurrence_anchor_day: Option<i32>,
}

/// A due date as sent: an RFC 3339 instant, or a naive date/datetime read in the user's zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, JsonSchema)]
#[serde(transparent)]
#[schema(value_type = String, example = "2026-12-01T17:00:00Z")]
pub struct DueDateInput(pub String);

/// `POST /api/v1/tasks`. Serialisable so that its canonical form can fingerprint a request.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, JsonSchema)]
pub struct NewTask {
    /// Short summary, 1–200 characters after trimming. Required.
    #[schemars(required)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Longer notes, up to 1000 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Create it already completed (default false).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed: Option<bool>,
    /// HIGH, MEDIUM, LOW or NONE (any case); default NONE.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    /// Up to 20 labels of 1–50 characters; trimmed, lower-cased, de-duplicated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// RFC 3339 instant (`2026-12-01T17:00:00Z`), or a date/datetime without offset read in
    /// the user's time zone (`2026-12-01T17:00`; a bare date means the end of that day).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_date: Option<DueDateInput>,
    /// Repeat on completion; requires `recurrence_pattern` (inferred true when a pattern is given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_recurring: Option<bool>,
    /// DAILY, WEEKLY or MONTHLY.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recurrence_pattern: Option<RecurrencePattern>,
    /// Periods between occurrences, 1–1000 (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recurrence_interval: Option<i32>,
    /// The project (list) to put it in, one of the user's that is not archived; the user's
    /// Inbox when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_id: Option<Uuid>,
    /// Make it a subtask of this task (one of the user's, at most 4 levels deep); it goes in
    /// its parent's project.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<Uuid>,
    /// Place among its siblings (any integer, smaller first); default: after the last one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
    /// The user id of who is to do it: the project's owner or one of its members.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<String>,
}

/// `PUT`/`PATCH /api/v1/tasks/{id}`: absent fields are unchanged, `null` clears.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, JsonSchema)]
pub struct TaskPatch {
    /// New title (cannot be null).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    pub title: Option<Option<String>>,
    /// New description; null clears it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, nullable)]
    pub description: Option<Option<String>>,
    /// Mark done or pending.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed: Option<bool>,
    /// New priority; null resets to NONE.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<Priority>, nullable)]
    pub priority: Option<Option<Priority>>,
    /// Replaces all tags; null or [] removes them.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<Vec<String>>, nullable)]
    pub tags: Option<Option<Vec<String>>>,
    /// New due date; null clears it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, nullable)]
    pub due_date: Option<Option<DueDateInput>>,
    /// Turn recurrence on or off (off clears the pattern).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_recurring: Option<bool>,
    /// New period; null stops the recurrence.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<RecurrencePattern>, nullable)]
    pub recurrence_pattern: Option<Option<RecurrencePattern>>,
    /// New interval, 1–1000.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recurrence_interval: Option<i32>,
    /// Move it, with its subtasks, to this project (list) of the user's; it must not be
    /// archived. A subtask moved on its own leaves its parent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_id: Option<Uuid>,
    /// Make it a subtask of this task (moving it, with its subtasks, into that task's
    /// project); null moves it to the top level.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub parent_id: Option<Option<Uuid>>,
    /// New place among its siblings (smaller first); a task given a new parent without one
    /// goes after the last of its new siblings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
    /// Assign it to this user (the project's owner or a member); null unassigns it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, nullable)]
    pub assignee_id: Option<Option<String>>,
}

/// Distinguishes a field sent as `null` (`Some(None)`) from an absent one (`None`, by default).
fn present<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// `PATCH /api/v1/tasks/{id}/complete` body; without it the state toggles.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct CompletionRequest {
    /// The state to set.
    pub completed: Option<bool>,
}

/// A task after completion, with the occurrence its recurrence created.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, JsonSchema)]
pub struct CompletedTask {
    /// The task itself.
    #[serde(flatten)]
    pub task: Task,
    /// The next occurrence created by this completion, if any.
    pub next_occurrence: Option<Task>,
}

/// Which tasks a listing returns.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum StatusFilter {
    /// Every task (default).
    #[default]
    All,
    /// Not completed.
    Pending,
    /// Completed.
    Completed,
}

impl std::str::FromStr for StatusFilter {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "all" => Ok(Self::All),
            "pending" => Ok(Self::Pending),
            "completed" => Ok(Self::Completed),
            _ => Err("must be one of all, pending, completed"),
        }
    }
}

/// One page of a listing.
#[derive(Debug, Clone)]
pub struct TaskPage {
    /// The tasks, in order.
    pub tasks: Vec<Task>,
    /// How many tasks match the filters in all pages.
    pub total: i64,
    /// Where the next page starts, when there is one.
    pub next_cursor: Option<String>,
}

/// Answer of `DELETE /api/v1/tasks/{id}`.
#[derive(Debug, Serialize, ToSchema, JsonSchema)]
pub struct Deleted {
    /// Always "Task deleted successfully".
    pub message: &'static str,
    /// Id of the deleted task.
    pub deleted_id: Uuid,
}

/// Counts for `GET /api/v1/tasks/stats`.
#[derive(Debug, Serialize, ToSchema, PartialEq, Eq)]
pub struct TaskStats {
    /// All tasks.
    pub total: i64,
    /// Completed tasks.
    pub completed: i64,
    /// Pending tasks.
    pub pending: i64,
    /// Pending tasks past their due date.
    pub overdue: i64,
    /// All tasks per priority.
    pub by_priority: PriorityCounts,
}

/// Task counts per priority.
#[derive(Debug, Serialize, ToSchema, PartialEq, Eq)]
#[allow(non_snake_case)]
pub struct PriorityCounts {
    /// HIGH.
    pub HIGH: i64,
    /// MEDIUM.
    pub MEDIUM: i64,
    /// LOW.
    pub LOW: i64,
    /// NONE.
    pub NONE: i64,
}

/// What the client believes the task's current version is (`If-Match`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Precondition {
    /// No condition.
    #[default]
    None,
    /// `*`: the task must exist.
    Any,
    /// One of these versions must be current.
    Versions(Vec<i64>),
}

impl Precondition {
    /// Whether a task at `version` satisfies the condition.
    #[must_use]
    pub fn allows(&self, version: i64) -> bool {
        match self {
            Self::None | Self::Any => true,
            Self::Versions(versions) => versions.contains(&version),
        }
    }

    /// The version a conditional write must still find, if any.
    #[must_use]
    pub fn pinned(&self, current: i64) -> Option<i64> {
        matches!(self, Self::Versions(_)).then_some(current)
    }
}

/// A task reference from a path: its UUID or its per-user number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskRef {
    /// By id.
    Id(Uuid),
    /// By per-user number.
    Number(i64),
}

impl TaskRef {
    /// Reads a path segment; anything that is neither a UUID nor a positive number is `None`.
    #[must_use]
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim().trim_start_matches('#');
        if let Ok(number) = raw.parse::<i64>() {
            return (number > 0).then_some(Self::Number(number));
        }
        Uuid::parse_str(raw).ok().map(Self::Id)
    }
}
