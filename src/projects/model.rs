//! What a project is, and what clients send to create, change, list and delete one.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Longest project name.
pub const MAX_NAME: usize = 100;
/// The name of every user's first project, the one that cannot go.
pub const INBOX: &str = "Inbox";

/// A list of tasks.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Project {
    /// Its UUID.
    pub id: Uuid,
    /// The owning user.
    pub owner_id: String,
    /// 1–100 characters.
    pub name: String,
    /// `#rgb` or `#rrggbb`, if chosen.
    pub color: Option<String>,
    /// Manual order among the owner's projects (the Inbox always comes first).
    pub position: i64,
    /// Hidden from the project list unless asked for; no new tasks go into it.
    pub archived: bool,
    /// The user's Inbox: where tasks without a project go; it cannot be deleted, archived or
    /// renamed.
    pub is_inbox: bool,
    /// Creation time.
    #[serde(serialize_with = "crate::json::instant")]
    pub created_at: DateTime<Utc>,
    /// Last change.
    #[serde(serialize_with = "crate::json::instant")]
    pub updated_at: DateTime<Utc>,
    /// Bumped on every write; the basis of the ETag.
    #[serde(skip)]
    pub version: i64,
}

/// `POST /api/v1/projects`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema, JsonSchema)]
pub struct NewProject {
    /// 1–100 characters after trimming. Required.
    #[schemars(required)]
    pub name: Option<String>,
    /// `#rgb` or `#rrggbb`.
    pub color: Option<String>,
    /// Manual order; after the user's other projects when absent.
    pub position: Option<i64>,
}

/// `PATCH /api/v1/projects/{id}`: absent fields are unchanged; `color: null` clears it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema, JsonSchema)]
pub struct ProjectPatch {
    /// New name, 1–100 characters (not for the Inbox).
    pub name: Option<String>,
    /// New color; null clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable)]
    pub color: Option<Option<String>>,
    /// New position.
    pub position: Option<i64>,
    /// Archive or unarchive (not the Inbox).
    pub archived: Option<bool>,
}

/// Distinguishes a field sent as `null` (`Some(None)`) from an absent one (`None`, by default).
fn present<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// `GET /api/v1/projects` query.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListProjects {
    /// true: archived projects too.
    pub archived: Option<bool>,
}

/// `DELETE /api/v1/projects/{id}` query.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteProject {
    /// Move the project's tasks to this project of the user's instead of deleting them.
    pub move_to: Option<String>,
}

/// Answer to `DELETE /api/v1/projects/{id}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectDeleted {
    /// Always "Project deleted successfully".
    pub message: &'static str,
    /// Id of the deleted project.
    pub deleted_id: Uuid,
    /// How many of its tasks were deleted with it.
    pub tasks_deleted: u64,
    /// How many of its tasks were moved (with `move_to`).
    pub tasks_moved: u64,
}
