//! Project routes of `/api/v1/projects`: thin adapters over [`super::service`].

use axum::{
    extract::{FromRequestParts, OriginalUri, Path, State},
    http::{HeaderValue, StatusCode, header, request::Parts},
    response::Response,
};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::model::{
    DeleteProject, ListProjects, Member, MemberPatch, NewProject, Project, ProjectDeleted,
    ProjectPatch, ShareProject,
};
use super::{service, sharing};
use crate::auth::AuthUser;
use crate::error::{ApiError, AppJson, Problem, Result};
use crate::state::AppState;
use crate::tasks::http::{IfMatch, with_etag};

/// Routes under `/api/v1/projects`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_projects, create_project))
        .routes(routes!(get_project, update_project, delete_project))
        .routes(routes!(list_members, share_project))
        .routes(routes!(update_member, remove_member))
}

/// The `{id}` path segment: a project UUID; anything else is a 404.
#[derive(Debug, Clone, Copy)]
pub struct ProjectPath(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for ProjectPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(params) = Path::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound("project not found"))?;
        params
            .iter()
            .find(|(name, _)| name == "id")
            .and_then(|(_, raw)| raw.parse().ok())
            .map(ProjectPath)
            .ok_or(ApiError::NotFound("project not found"))
    }
}

/// List the user's projects and those shared with them (each with the user's `role`): the
/// Inbox first, then the user's own by position, then shared ones.
#[utoipa::path(get, path = "", tag = "projects", security(("bearer" = [])), params(ListProjects),
    responses((status = 200, body = [Project]), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn list_projects(
    State(state): State<AppState>,
    auth: AuthUser,
    OriginalUri(uri): OriginalUri,
) -> Result<AppJson<Vec<Project>>> {
    let archived = match crate::input::query_value(&uri, "archived")
        .as_deref()
        .map(str::trim)
    {
        None | Some("false" | "0") => false,
        Some("true" | "1") => true,
        Some(_) => return Err(ApiError::invalid("archived", "must be true or false")),
    };
    Ok(AppJson(
        service::list(&state.db, &auth.user_id, archived).await?,
    ))
}

/// Create a project.
#[utoipa::path(post, path = "", tag = "projects", security(("bearer" = [])), request_body = NewProject,
    responses((status = 201, body = Project, headers(("Location" = String), ("ETag" = String))),
        (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn create_project(
    State(state): State<AppState>,
    auth: AuthUser,
    AppJson(input): AppJson<NewProject>,
) -> Result<Response> {
    let project = service::create(&state.db, &auth.user_id, input).await?;
    let location = HeaderValue::try_from(format!("/api/v1/projects/{}", project.id))
        .map_err(anyhow::Error::from)?;
    let response = (
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        AppJson(&project),
    );
    Ok(with_etag(project.version, response))
}

/// One project.
#[utoipa::path(get, path = "/{id}", tag = "projects", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "project UUID")),
    responses((status = 200, body = Project, headers(("ETag" = String))), (status = 404, body = Problem)))]
pub async fn get_project(
    State(state): State<AppState>,
    auth: AuthUser,
    ProjectPath(id): ProjectPath,
) -> Result<Response> {
    let project = service::get(&state.db, &auth.user_id, id).await?;
    Ok(with_etag(project.version, AppJson(&project)))
}

/// Partial update: name, color, position, archived. The Inbox cannot be renamed or archived.
#[utoipa::path(patch, path = "/{id}", tag = "projects", security(("bearer" = [])), request_body = ProjectPatch,
    params(("id" = Uuid, Path, description = "project UUID"),
        ("If-Match" = Option<String>, Header, description = "ETag from a previous read; stale → 412")),
    responses((status = 200, body = Project), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update_project(
    State(state): State<AppState>,
    auth: AuthUser,
    ProjectPath(id): ProjectPath,
    IfMatch(precondition): IfMatch,
    AppJson(patch): AppJson<ProjectPatch>,
) -> Result<Response> {
    let project = service::update(&state.db, &auth.user_id, id, patch, &precondition).await?;
    Ok(with_etag(project.version, AppJson(&project)))
}

/// Delete a project and its tasks, or move its tasks first with `?move_to=<project id>`.
/// The Inbox cannot be deleted.
#[utoipa::path(delete, path = "/{id}", tag = "projects", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "project UUID"), DeleteProject,
        ("If-Match" = Option<String>, Header, description = "ETag from a previous read; stale → 412")),
    responses((status = 200, body = ProjectDeleted), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn delete_project(
    State(state): State<AppState>,
    auth: AuthUser,
    ProjectPath(id): ProjectPath,
    IfMatch(precondition): IfMatch,
    OriginalUri(uri): OriginalUri,
) -> Result<AppJson<ProjectDeleted>> {
    let move_to = crate::input::query_value(&uri, "move_to");
    let deleted = service::delete(
        &state.db,
        &auth.user_id,
        id,
        move_to.as_deref(),
        &precondition,
    )
    .await?;
    Ok(AppJson(deleted))
}

/// The `{id}/members/{user_id}` path segments: a project UUID and a user id.
#[derive(Debug, Clone)]
pub struct MemberPath {
    /// The project.
    pub project: Uuid,
    /// The member's user id.
    pub user_id: String,
}

impl<S: Send + Sync> FromRequestParts<S> for MemberPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let ProjectPath(project) = ProjectPath::from_request_parts(parts, state).await?;
        let Path(params) = Path::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound("member not found"))?;
        let user_id = params
            .into_iter()
            .find(|(name, _)| name == "user_id")
            .map(|(_, raw)| raw)
            .ok_or(ApiError::NotFound("member not found"))?;
        Ok(Self { project, user_id })
    }
}

/// The project's owner, then its members. Any member may read it.
#[utoipa::path(get, path = "/{id}/members", tag = "projects", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "project UUID")),
    responses((status = 200, body = [Member]), (status = 404, body = Problem)))]
pub async fn list_members(
    State(state): State<AppState>,
    auth: AuthUser,
    ProjectPath(id): ProjectPath,
) -> Result<AppJson<Vec<Member>>> {
    Ok(AppJson(
        sharing::members(&state.db, &auth.user_id, id).await?,
    ))
}

/// Share the project with a tudu account by its email, as `viewer`, `editor` (the default) or
/// `admin`. Owner and admins; the Inbox cannot be shared.
#[utoipa::path(post, path = "/{id}/members", tag = "projects", security(("bearer" = [])),
    request_body = ShareProject, params(("id" = Uuid, Path, description = "project UUID")),
    responses((status = 201, body = Member), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn share_project(
    State(state): State<AppState>,
    auth: AuthUser,
    ProjectPath(id): ProjectPath,
    AppJson(input): AppJson<ShareProject>,
) -> Result<(StatusCode, AppJson<Member>)> {
    let member = sharing::share(&state.db, &auth.user_id, id, input).await?;
    Ok((StatusCode::CREATED, AppJson(member)))
}

/// Change a member's role (owner and admins); `owner` hands the project over (the owner only),
/// and the previous owner stays as an admin. The project's tasks then take numbers in the new
/// owner's sequence.
#[utoipa::path(patch, path = "/{id}/members/{user_id}", tag = "projects", security(("bearer" = [])),
    request_body = MemberPatch,
    params(("id" = Uuid, Path, description = "project UUID"), ("user_id" = String, Path, description = "the member's user id")),
    responses((status = 200, body = Member), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update_member(
    State(state): State<AppState>,
    auth: AuthUser,
    path: MemberPath,
    AppJson(patch): AppJson<MemberPatch>,
) -> Result<AppJson<Member>> {
    Ok(AppJson(
        sharing::set_role(&state.db, &auth.user_id, path.project, &path.user_id, patch).await?,
    ))
}

/// Remove a member (owner and admins), or leave the project (any member, with their own user
/// id). Their assigned tasks in it become unassigned.
#[utoipa::path(delete, path = "/{id}/members/{user_id}", tag = "projects", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "project UUID"), ("user_id" = String, Path, description = "the member's user id")),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
pub async fn remove_member(
    State(state): State<AppState>,
    auth: AuthUser,
    path: MemberPath,
) -> Result<StatusCode> {
    sharing::remove(&state.db, &auth.user_id, path.project, &path.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
