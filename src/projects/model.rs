//! What a project is, and what clients send to create, change, list and delete one.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use sqlx::{Database, Decode, Encode, Type, encode::IsNull, error::BoxDynError};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Longest project name.
pub const MAX_NAME: usize = 100;
/// The name of every user's first project, the one that cannot go.
pub const INBOX: &str = "Inbox";

/// A list of tasks. Deserialisable because the chat agent reads projects back as its tools
/// return them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, JsonSchema, sqlx::FromRow)]
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
    /// What the caller may do in it: `owner`, or the role they were given as a member.
    #[sqlx(default)]
    #[serde(default)]
    pub role: Role,
    /// How many people it is shared with, its owner not counted: 0 for a project only its
    /// owner sees.
    #[sqlx(default)]
    #[serde(default)]
    pub member_count: i64,
}

/// A user's standing in a project, weakest first: each role may do what the ones before it
/// may.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    ToSchema,
    JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads the project and its tasks.
    Viewer,
    /// Also creates, changes, completes and deletes its tasks.
    Editor,
    /// Also renames and archives the project and manages its members.
    Admin,
    /// Also deletes the project and hands it to another member; one per project.
    #[default]
    Owner,
}

impl Role {
    /// The lower-case name used in JSON and storage.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Editor => "editor",
            Self::Admin => "admin",
            Self::Owner => "owner",
        }
    }

    /// Whether the role may write the project's tasks.
    #[must_use]
    pub fn writes_tasks(self) -> bool {
        self >= Self::Editor
    }

    /// Whether the role may change the project and its members.
    #[must_use]
    pub fn manages(self) -> bool {
        self >= Self::Admin
    }
}

impl std::str::FromStr for Role {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Self::Viewer, Self::Editor, Self::Admin, Self::Owner]
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or("must be one of viewer, editor, admin, owner")
    }
}

crate::tasks::model::stored_as!(
    Role,
    String,
    |r: Role| r.as_str().to_owned(),
    |name: String| { name.parse::<Role>().map_err(Into::into) }
);

/// One person in a project: its owner or a member.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, JsonSchema, sqlx::FromRow)]
pub struct Member {
    /// Their user id.
    pub user_id: String,
    /// Their email, which others share the project with.
    pub email: String,
    /// Their display name.
    pub name: String,
    /// `owner`, `admin`, `editor` or `viewer`.
    pub role: Role,
    /// When they joined (for the owner: when the project was created).
    #[serde(serialize_with = "crate::json::instant")]
    pub added_at: DateTime<Utc>,
}

/// `POST /api/v1/projects/{id}/members`, and the MCP tool `share_project`'s own fields.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, JsonSchema)]
pub struct ShareProject {
    /// The email of the tudu account to share with. Required.
    #[schemars(required)]
    pub email: Option<String>,
    /// `viewer` (reads), `editor` (also writes tasks) or `admin` (also manages members);
    /// `editor` when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
}

/// `PATCH /api/v1/projects/{id}/members/{user_id}`.
#[derive(Debug, Clone, Deserialize, ToSchema, JsonSchema)]
pub struct MemberPatch {
    /// The new role; `owner` hands the project over (the owner only), and the previous owner
    /// stays as an admin.
    pub role: Role,
}

/// What a project name (as a person or a model says it) picks among a user's projects.
#[derive(Debug)]
pub enum Named<'p> {
    /// Exactly this project.
    One(&'p Project),
    /// None of them.
    Nothing,
    /// Several have that name.
    Several,
}

/// The project `name` picks among `projects`: the one whose name equals it ignoring case and
/// surrounding spaces; "inbox" always picks the Inbox (even beside a project a user named
/// "inbox" too). Archived projects are left to the caller to leave out.
#[must_use]
pub fn named<'p>(projects: &'p [Project], name: &str) -> Named<'p> {
    let wanted = name.trim().to_lowercase();
    if wanted == INBOX.to_lowercase()
        && let Some(inbox) = projects.iter().find(|p| p.is_inbox)
    {
        return Named::One(inbox);
    }
    let mut matching = projects
        .iter()
        .filter(|p| p.name.trim().to_lowercase() == wanted);
    match (matching.next(), matching.next()) {
        (Some(one), None) => Named::One(one),
        (None, _) => Named::Nothing,
        (Some(_), Some(_)) => Named::Several,
    }
}

/// `POST /api/v1/projects`, and the arguments of the MCP tool `add_project`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, JsonSchema)]
pub struct NewProject {
    /// 1–100 characters after trimming. Required.
    #[schemars(required)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `#rgb` or `#rrggbb`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Manual order; after the user's other projects when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
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

#[cfg(test)]
mod tests {
    use super::*;

    fn project(name: &str, is_inbox: bool) -> Project {
        let now = Utc::now();
        Project {
            id: Uuid::now_v7(),
            owner_id: "u".to_owned(),
            name: name.to_owned(),
            color: None,
            position: 0,
            archived: false,
            is_inbox,
            created_at: now,
            updated_at: now,
            version: 1,
            role: Role::Owner,
            member_count: 0,
        }
    }

    #[test]
    fn a_name_picks_its_project_ignoring_case_and_inbox_is_the_inbox() {
        let projects = [
            project(INBOX, true),
            project("Groceries", false),
            project("inbox", false),
            project("Work", false),
            project("WORK", false),
            project("Müsli", false),
        ];
        let picks = |name: &str| match named(&projects, name) {
            Named::One(p) => Some(p.id),
            Named::Nothing | Named::Several => None,
        };
        assert_eq!(picks(" groceries "), Some(projects[1].id));
        assert_eq!(picks("INBOX"), Some(projects[0].id));
        assert_eq!(picks("MÜSLI"), Some(projects[5].id));
        assert!(matches!(named(&projects, "work"), Named::Several));
        assert!(matches!(named(&projects, "grocer"), Named::Nothing));
        assert!(matches!(named(&projects, ""), Named::Nothing));
    }
}
