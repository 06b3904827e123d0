//! Task routes of `/api/v1/tasks`: thin adapters over [`super::service`].

use axum::{
    body::Bytes,
    extract::{FromRequestParts, Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::model::{
    CompletedTask, CompletionRequest, Deleted, NewTask, StatusFilter, Task, TaskPatch, TaskQuery,
    TaskRef, TaskStats,
};
use super::service::{self, ListOptions};
use crate::auth::AuthUser;
use crate::error::{ApiError, AppJson, Problem, Result};
use crate::state::AppState;

/// Routes under `/api/v1/tasks`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tasks, create_task))
        .routes(routes!(get_stats))
        .routes(routes!(get_task, replace_task, update_task, delete_task))
        .routes(routes!(complete_task))
}

/// The `{id}` path segment: a task UUID or number; anything else is a 404.
#[derive(Debug, Clone, Copy)]
pub struct TaskPath(pub TaskRef);

impl<S: Send + Sync> FromRequestParts<S> for TaskPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(params) = Path::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound("task not found"))?;
        params
            .iter()
            .find(|(name, _)| name == "id")
            .and_then(|(_, raw)| TaskRef::parse(raw))
            .map(TaskPath)
            .ok_or(ApiError::NotFound("task not found"))
    }
}

/// A single task with its `ETag`.
fn with_etag(task: &Task, body: impl IntoResponse) -> Response {
    let mut response = body.into_response();
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", task.version)) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

fn list_options(query: TaskQuery) -> Result<ListOptions> {
    let mut options = ListOptions::default();
    let mut errors = Vec::new();
    if let Some(status) = query.status.as_deref() {
        match status {
            "all" => options.status = StatusFilter::All,
            "pending" => options.status = StatusFilter::Pending,
            "completed" => options.status = StatusFilter::Completed,
            _ => errors.push(crate::error::FieldError::new(
                "status",
                "must be one of all, pending, completed",
            )),
        }
    }
    if let Some(limit) = query.limit.as_deref() {
        match limit.parse::<i64>() {
            Ok(n) if (1..=service::MAX_LIMIT).contains(&n) => options.limit = n,
            _ => errors.push(crate::error::FieldError::new(
                "limit",
                format!("must be an integer between 1 and {}", service::MAX_LIMIT),
            )),
        }
    }
    if errors.is_empty() {
        Ok(options)
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// List the user's tasks, newest first.
#[utoipa::path(get, path = "", tag = "tasks", security(("bearer" = [])), params(TaskQuery),
    responses((status = 200, body = [Task]), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn list_tasks(
    State(state): State<AppState>,
    auth: AuthUser,
    query: std::result::Result<Query<TaskQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<AppJson<Vec<Task>>> {
    let Query(query) = query.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let tasks = service::list(&state.db, &auth.user_id, list_options(query)?).await?;
    Ok(AppJson(tasks))
}

/// Create a task.
#[utoipa::path(post, path = "", tag = "tasks", security(("bearer" = [])), request_body = NewTask,
    responses((status = 201, body = Task, headers(("Location" = String))), (status = 422, body = Problem)))]
pub async fn create_task(
    State(state): State<AppState>,
    auth: AuthUser,
    AppJson(input): AppJson<NewTask>,
) -> Result<Response> {
    let task = service::create(&state.db, &auth.user_id, input).await?;
    let location = HeaderValue::from_str(&format!("/api/v1/tasks/{}", task.id))
        .map_err(|e| ApiError::Internal(e.into()))?;
    let response = (
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        AppJson(&task),
    );
    Ok(with_etag(&task, response))
}

/// Counts of the user's tasks.
#[utoipa::path(get, path = "/stats", tag = "tasks", security(("bearer" = [])),
    responses((status = 200, body = TaskStats), (status = 401, body = Problem)))]
pub async fn get_stats(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<AppJson<TaskStats>> {
    Ok(AppJson(service::stats(&state.db, &auth.user_id).await?))
}

/// One task, by UUID or number.
#[utoipa::path(get, path = "/{id}", tag = "tasks", security(("bearer" = [])),
    params(("id" = String, Path, description = "task UUID or per-user number")),
    responses((status = 200, body = Task, headers(("ETag" = String))), (status = 404, body = Problem)))]
pub async fn get_task(
    State(state): State<AppState>,
    auth: AuthUser,
    TaskPath(task): TaskPath,
) -> Result<Response> {
    let task = service::get(&state.db, &auth.user_id, task).await?;
    Ok(with_etag(&task, AppJson(&task)))
}

/// Partial update (same as PATCH): absent fields unchanged, null clears.
#[utoipa::path(put, path = "/{id}", tag = "tasks", security(("bearer" = [])), request_body = TaskPatch,
    params(("id" = String, Path, description = "task UUID or per-user number")),
    responses((status = 200, body = Task), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn replace_task(
    state: State<AppState>,
    auth: AuthUser,
    path: TaskPath,
    body: AppJson<TaskPatch>,
) -> Result<Response> {
    update_task(state, auth, path, body).await
}

/// Partial update: absent fields unchanged, null clears.
#[utoipa::path(patch, path = "/{id}", tag = "tasks", security(("bearer" = [])), request_body = TaskPatch,
    params(("id" = String, Path, description = "task UUID or per-user number")),
    responses((status = 200, body = Task), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_task(
    State(state): State<AppState>,
    auth: AuthUser,
    TaskPath(task): TaskPath,
    AppJson(patch): AppJson<TaskPatch>,
) -> Result<Response> {
    let task = service::update(&state.db, &auth.user_id, task, patch).await?;
    Ok(with_etag(&task, AppJson(&task)))
}

/// Mark done (`{"completed": true}`), pending (`false`), or toggle (no body).
#[utoipa::path(patch, path = "/{id}/complete", tag = "tasks", security(("bearer" = [])),
    request_body(content = Option<CompletionRequest>, description = "omit to toggle"),
    params(("id" = String, Path, description = "task UUID or per-user number")),
    responses((status = 200, body = CompletedTask), (status = 404, body = Problem)))]
pub async fn complete_task(
    State(state): State<AppState>,
    auth: AuthUser,
    TaskPath(task): TaskPath,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    let completed = completion_body(&headers, &body)?;
    let done = service::set_completed(&state.db, &auth.user_id, task, completed).await?;
    Ok(with_etag(&done.task, AppJson(&done)))
}

/// An empty body toggles; otherwise it must be a JSON `CompletionRequest`.
fn completion_body(headers: &HeaderMap, body: &[u8]) -> Result<Option<bool>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json") || ct.contains("+json"));
    if !is_json {
        return Err(ApiError::UnsupportedMediaType);
    }
    let request: CompletionRequest = serde_json::from_slice(body).map_err(|err| {
        if err.is_data() {
            ApiError::invalid("completed", "must be true or false")
        } else {
            ApiError::BadRequest("request body is not valid JSON".to_owned())
        }
    })?;
    Ok(request.completed)
}

/// Delete a task.
#[utoipa::path(delete, path = "/{id}", tag = "tasks", security(("bearer" = [])),
    params(("id" = String, Path, description = "task UUID or per-user number")),
    responses((status = 200, body = Deleted), (status = 404, body = Problem)))]
pub async fn delete_task(
    State(state): State<AppState>,
    auth: AuthUser,
    TaskPath(task): TaskPath,
) -> Result<AppJson<Deleted>> {
    let deleted_id = service::delete(&state.db, &auth.user_id, task).await?;
    Ok(AppJson(Deleted {
        message: "Task deleted successfully",
        deleted_id,
    }))
}
