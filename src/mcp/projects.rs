//! The project tools (`list_projects`, `add_project`, `share_project`) and the reading of the
//! `project` argument the task tools take, thin adapters over [`crate::projects::service`] and
//! [`crate::projects::sharing`].

use rmcp::service::RequestContext;
use rmcp::{Json, RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::server::{Parameters, TodoMcp, ToolError};
use crate::auth::scope::Scope;
use crate::error::ApiError;
use crate::projects::model::{Member, NewProject, Project, ShareProject};
use crate::projects::{service, sharing};

/// Arguments of `list_projects`.
#[derive(Debug, Default, Serialize, Deserialize, JsonSchema)]
pub struct ListProjectsArgs {
    /// true: archived projects too (they keep their tasks but take no new ones). Default
    /// false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_archived: Option<bool>,
    /// Optional, for clients of the reference design: the signed-in user's id. Any other value
    /// is refused; omit it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

/// Arguments of `add_project`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct AddProjectArgs {
    /// The new project.
    #[serde(flatten)]
    pub project: NewProject,
    /// Optional, for clients of the reference design: the signed-in user's id. Any other value
    /// is refused; omit it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

/// Arguments of `share_project`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct ShareProjectArgs {
    /// The project to share, by name ("Groceries": ignoring case, among the user's projects
    /// that are not archived) or by UUID.
    pub project: String,
    /// Who to share it with, and as what.
    #[serde(flatten)]
    pub share: ShareProject,
    /// Optional, for clients of the reference design: the signed-in user's id. Any other value
    /// is refused; omit it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

/// The user's projects.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct ProjectList {
    /// The Inbox first, then the user's own in their order, then those shared with them.
    pub projects: Vec<Project>,
}

#[tool_router(router = project_router, vis = "pub(super)")]
impl TodoMcp {
    /// List the signed-in user's projects (lists of tasks): the Inbox first, then their own in
    /// their order, then the projects other users shared with them; archived ones only with
    /// include_archived. Each project's `role` says what the user may do in it: `owner`,
    /// `admin` (also share it), `editor` (add and change its tasks) or `viewer` (read only).
    /// A task's `project_id` is one of these ids; the task tools also take a project by name
    /// (`project`).
    #[tool(annotations(
        title = "List projects",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn list_projects(
        &self,
        Parameters(args): Parameters<ListProjectsArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<Json<ProjectList>, ToolError> {
        let user = self
            .caller(&ctx, args.user_id.as_deref(), Scope::TasksRead)
            .await?;
        let include_archived = args.include_archived.unwrap_or(false);
        Ok(Json(ProjectList {
            projects: service::list(&self.db, &user, include_archived).await?,
        }))
    }

    /// Create a project (a list of tasks, e.g. "Groceries") for the signed-in user. Only
    /// `name` is required. Returns the project; add tasks to it with add_task's `project`.
    #[tool(annotations(
        title = "Add a project",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = false
    ))]
    async fn add_project(
        &self,
        Parameters(args): Parameters<AddProjectArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<Json<Project>, ToolError> {
        let user = self
            .caller(&ctx, args.user_id.as_deref(), Scope::TasksWrite)
            .await?;
        Ok(Json(service::create(&self.db, &user, args.project).await?))
    }

    /// Share one of the user's projects with another person's tudu account, by their email,
    /// as `viewer` (reads it), `editor` (default: also adds, changes, completes and deletes
    /// its tasks) or `admin` (also renames it and shares it further). Only the project's owner
    /// and its admins may share it; the Inbox cannot be shared; the person must already have
    /// a tudu account (else ask them to sign up). Returns the new member.
    #[tool(annotations(
        title = "Share a project",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = false
    ))]
    async fn share_project(
        &self,
        Parameters(args): Parameters<ShareProjectArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<Json<Member>, ToolError> {
        let user = self
            .caller(&ctx, args.user_id.as_deref(), Scope::TasksWrite)
            .await?;
        let project = self.named_project(&user, &args.project).await?;
        Ok(Json(
            sharing::share(&self.db, &user, project, args.share).await?,
        ))
    }
}

impl TodoMcp {
    /// The project a task tool's arguments name: `project` (a name or a UUID) resolved among
    /// the user's projects (shared ones included), or else `project_id` as given; `None` when neither is given.
    ///
    /// # Errors
    /// A failed call when `project` names none of the user's projects (another user's read the
    /// same), several of them, or another project than `project_id`.
    pub(super) async fn project_id(
        &self,
        user: &str,
        project: Option<&str>,
        project_id: Option<Uuid>,
    ) -> Result<Option<Uuid>, ToolError> {
        let Some(name) = project else {
            return Ok(project_id);
        };
        let found = self.named_project(user, name).await?;
        match project_id {
            Some(id) if id != found => Err(ToolError::Failed(format!(
                "project {:?} and project_id {id} name different projects. Pass only one of them.",
                name.trim()
            ))),
            _ => Ok(Some(found)),
        }
    }

    /// The id of the project `name` (a name or a UUID) names among the user's projects,
    /// their own and those shared with them.
    async fn named_project(&self, user: &str, name: &str) -> Result<Uuid, ToolError> {
        service::find(&self.db, user, name)
            .await
            .map(|project| project.id)
            .map_err(|err| match err {
                ApiError::NotFound(_) => ToolError::Failed(format!(
                    "No project named {:?} among the user's projects (archived ones are only \
                     found by id). Call list_projects to see them.",
                    name.trim()
                )),
                other => other.into(),
            })
    }
}
