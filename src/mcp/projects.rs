//! The project tools (`list_projects`, `add_project`, and the sharing tools `share_project`,
//! `list_members`, `unshare_project`, `leave_project`, `change_member_role`) and the reading of
//! the `project` argument the task tools take, thin adapters over [`crate::projects::service`]
//! and [`crate::projects::sharing`].

use rmcp::service::RequestContext;
use rmcp::{Json, RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::server::{Parameters, TodoMcp, ToolError};
use crate::auth::scope::Scope;
use crate::error::ApiError;
use crate::projects::model::{Member, MemberPatch, NewProject, Project, Role, ShareProject};
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

/// Arguments of `list_members` and `leave_project`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct ProjectArgs {
    /// The project, by name ("Groceries": ignoring case, among the user's projects that are
    /// not archived, shared ones included) or by UUID.
    pub project: String,
    /// Optional, for clients of the reference design: the signed-in user's id. Any other value
    /// is refused; omit it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

/// Arguments of `unshare_project`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct UnshareProjectArgs {
    /// The project, by name ("Groceries": ignoring case, among the user's projects that are
    /// not archived, shared ones included) or by UUID.
    pub project: String,
    /// The email of the member to remove (ignoring case); one of the project's members as
    /// list_members shows them.
    pub email: String,
    /// Optional, for clients of the reference design: the signed-in user's id. Any other value
    /// is refused; omit it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

/// Arguments of `change_member_role`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct ChangeMemberRoleArgs {
    /// The project, by name ("Groceries": ignoring case, among the user's projects that are
    /// not archived, shared ones included) or by UUID.
    pub project: String,
    /// The email of the member whose role changes (ignoring case); one of the project's
    /// members as list_members shows them.
    pub email: String,
    /// `viewer`, `editor` or `admin`; `owner` hands the project over to them.
    pub role: Role,
    /// Optional, for clients of the reference design: the signed-in user's id. Any other value
    /// is refused; omit it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

/// The people of a project.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct MemberList {
    /// The project's UUID.
    pub project_id: Uuid,
    /// Its owner first, then its members in the order they joined.
    pub members: Vec<Member>,
}

/// A member who is no longer in a project.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Unshared {
    /// The project's UUID.
    pub project_id: Uuid,
    /// The person removed, with the role they had.
    pub removed: Member,
    /// true when the caller removed themself (left the project).
    pub left: bool,
}

/// A member's new role.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct RoleChanged {
    /// The project's UUID.
    pub project_id: Uuid,
    /// The member as they are now (`owner` after a hand-over).
    pub member: Member,
    /// The role they had before.
    pub previous_role: Role,
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

    /// List who a project is shared with: its owner first, then each member with their role
    /// (`admin`, `editor` or `viewer`) and email, in the order they joined. Any member of the
    /// project may ask; a project only its owner sees lists the owner alone.
    #[tool(annotations(
        title = "List a project's members",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn list_members(
        &self,
        Parameters(args): Parameters<ProjectArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<Json<MemberList>, ToolError> {
        let user = self
            .caller(&ctx, args.user_id.as_deref(), Scope::TasksRead)
            .await?;
        let project_id = self.named_project(&user, &args.project).await?;
        Ok(Json(MemberList {
            project_id,
            members: sharing::members(&self.db, &user, project_id).await?,
        }))
    }

    /// Stop sharing a project with one member, named by email: they lose access at once and
    /// the project's tasks assigned to them become unassigned. Only the project's owner and
    /// its admins may remove someone else; any member may give their own email to leave (as
    /// leave_project does). The owner cannot be removed. Fails when the email is none of the
    /// project's members (call list_members to see them). Returns who was removed, with the
    /// role they had (share_project with that role adds them back).
    #[tool(annotations(
        title = "Stop sharing a project with someone",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn unshare_project(
        &self,
        Parameters(args): Parameters<UnshareProjectArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<Json<Unshared>, ToolError> {
        let user = self
            .caller(&ctx, args.user_id.as_deref(), Scope::TasksWrite)
            .await?;
        let project_id = self.named_project(&user, &args.project).await?;
        let member = self.person(&user, project_id, &args.email).await?;
        sharing::remove(&self.db, &user, project_id, &member.user_id).await?;
        Ok(Json(Unshared {
            project_id,
            left: member.user_id == user,
            removed: member,
        }))
    }

    /// Leave a project another user shared with the signed-in user: they lose access to it and
    /// its tasks assigned to them become unassigned. Only someone else (its owner or an admin)
    /// can share it with them again. The owner cannot leave their own project; they hand it
    /// over first (change_member_role with role owner).
    #[tool(annotations(
        title = "Leave a shared project",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn leave_project(
        &self,
        Parameters(args): Parameters<ProjectArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<Json<Unshared>, ToolError> {
        let user = self
            .caller(&ctx, args.user_id.as_deref(), Scope::TasksWrite)
            .await?;
        let project_id = self.named_project(&user, &args.project).await?;
        let me = sharing::members(&self.db, &user, project_id)
            .await?
            .into_iter()
            .find(|m| m.user_id == user)
            .ok_or_else(|| ToolError::Failed("You are not a member of this project.".into()))?;
        sharing::remove(&self.db, &user, project_id, &user).await?;
        Ok(Json(Unshared {
            project_id,
            removed: me,
            left: true,
        }))
    }

    /// Change a project member's role, named by email: `viewer` (reads), `editor` (also
    /// writes tasks) or `admin` (also renames the project and manages members); the project's
    /// owner and its admins may. `owner` hands the project over to that member, and
    /// only the owner may do that: the caller stays on as an admin and cannot take it back
    /// themself, and the tasks move into the new owner's numbering. The owner's own role
    /// cannot change. Fails when the email is none of the project's members (call
    /// list_members to see them; share_project adds people). Returns the member as they are
    /// now and their previous role.
    #[tool(annotations(
        title = "Change a member's role",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn change_member_role(
        &self,
        Parameters(args): Parameters<ChangeMemberRoleArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<Json<RoleChanged>, ToolError> {
        let user = self
            .caller(&ctx, args.user_id.as_deref(), Scope::TasksWrite)
            .await?;
        let project_id = self.named_project(&user, &args.project).await?;
        let before = self.person(&user, project_id, &args.email).await?;
        let patch = MemberPatch { role: args.role };
        let member = sharing::set_role(&self.db, &user, project_id, &before.user_id, patch).await?;
        Ok(Json(RoleChanged {
            project_id,
            member,
            previous_role: before.role,
        }))
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

    /// The person of the project whose email is `email` (ignoring case), owner included.
    ///
    /// # Errors
    /// A failed call when nobody of the project has that email.
    async fn person(&self, user: &str, project_id: Uuid, email: &str) -> Result<Member, ToolError> {
        let wanted = email.trim();
        sharing::members(&self.db, user, project_id)
            .await?
            .into_iter()
            .find(|m| m.email.to_lowercase() == wanted.to_lowercase())
            .ok_or_else(|| {
                ToolError::Failed(format!(
                    "{wanted:?} is not a member of this project. Call list_members to see who \
                     is, or share_project to add them."
                ))
            })
    }
}
