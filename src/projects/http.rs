//! Project routes of `/api/v1/projects`: thin adapters over [`super::service`].

use axum::{
    extract::{FromRequestParts, OriginalUri, Path, State},
    http::{HeaderValue, StatusCode, header, request::Parts},
    response::Response,
};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::model::{
    DeleteProject, ListProjects, NewProject, Project, ProjectDeleted, ProjectPatch,
};
use super::service;
use crate::auth::AuthUser;
use crate::error::{ApiError, AppJson, Problem, Result};
use crate::state::AppState;
use crate::tasks::http::{IfMatch, with_etag};

/// Routes under `/api/v1/projects`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_projects, create_project))
        .routes(routes!(get_project, update_project, delete_project))
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

/// List the user's projects: the Inbox first, then by position.
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
