//! The project tools (`list_projects`, `add_project`) and the reading of the `project`
//! argument the task tools take, thin adapters over [`crate::projects::service`].

use rmcp::service::RequestContext;
use rmcp::{Json, RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::server::{Parameters, TodoMcp, ToolError};
use crate::auth::scope::Scope;
use crate::error::ApiError;
use crate::projects::model::{NewProject, Project};
use crate::projects::service;

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

/// The user's projects.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct ProjectList {
    /// The Inbox first, then in the user's order.
    pub projects: Vec<Project>,
}

#[tool_router(router = project_router, vis = "pub(super)")]
impl TodoMcp {
    /// List the signed-in user's projects (lists of tasks): the Inbox first, then in the
    /// user's order; archived ones only with include_archived. A task's `project_id` is one of
    /// these ids; the task tools also take a project by name (`project`).
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
}

impl TodoMcp {
    /// The project a task tool's arguments name: `project` (a name or a UUID) resolved among
    /// the user's projects, or else `project_id` as given; `None` when neither is given.
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
        let found = service::find(&self.db, user, name)
            .await
            .map_err(|err| match err {
                ApiError::NotFound(_) => ToolError::Failed(format!(
                    "No project named {:?} among the user's projects (archived ones are only \
                     found by id). Call list_projects to see them.",
                    name.trim()
                )),
                other => other.into(),
            })?;
        match project_id {
            Some(id) if id != found.id => Err(ToolError::Failed(format!(
                "project {:?} and project_id {id} name different projects. Pass only one of them.",
                name.trim()
            ))),
            _ => Ok(Some(found.id)),
        }
    }
}
