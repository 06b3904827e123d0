//! Task routes of `/api/v1/tasks`: thin adapters over [`super::service`].

use axum::{
    body::Bytes,
    extract::{FromRequestParts, OriginalUri, Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::listing::{TaskFilter, Whose};
use super::model::{
    CompletedTask, CompletionRequest, Deleted, NewTask, Precondition, Task, TaskPatch, TaskRef,
    TaskStats,
};
use super::page_json::RenderedPage;
use super::query::ListTasks;
use super::service::{Created, IdempotencyKey};
use super::{access, service};
use crate::auth::{
    AuthUser,
    extractor::{PendingUser, Presented},
};
use crate::error::{ApiError, AppJson, Problem, Result};
use crate::paging;
use crate::state::AppState;
use sha2::Digest;

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

/// The `If-Match` header as a [`Precondition`]: `*`, or a list of our strong ETags.
/// Anything else (weak tags, another server's tags) can never match.
#[derive(Debug, Clone, Default)]
pub struct IfMatch(pub Precondition);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let mut versions = Vec::new();
        let mut present = false;
        for value in parts.headers.get_all(header::IF_MATCH) {
            present = true;
            let value = value.to_str().unwrap_or_default();
            for tag in value.split(',').map(str::trim) {
                if tag == "*" {
                    return Ok(Self(Precondition::Any));
                }
                let version = tag.strip_prefix('"').and_then(|t| t.strip_suffix('"'));
                versions.extend(version.and_then(|v| v.parse::<i64>().ok()));
            }
        }
        Ok(Self(if present {
            Precondition::Versions(versions)
        } else {
            Precondition::None
        }))
    }
}

/// A single resource (task or project) with its `version` as the `ETag` that [`IfMatch`]
/// reads back.
pub fn with_etag(version: i64, body: impl IntoResponse) -> Response {
    let mut response = body.into_response();
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{version}\"")) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

/// One page for a confirmed caller: of their own tasks, or, with a project filter, of the
/// project's owner's (when the caller may see it), from the cache while the owner's tasks have
/// not changed. Every write to a shared project bumps its owner's `list_version`, so every
/// member's cached page of it, on every replica, goes stale at once.
async fn page_for(state: &AppState, auth: &AuthUser, filter: &TaskFilter) -> Result<RenderedPage> {
    let cached = state.list_cache.serves(filter);
    match filter.project_id {
        None => {
            let version = Some(auth.list_version);
            state
                .list_cache
                .page(&state.db, &auth.user_id, version, filter)
                .await
        }
        Some(project) if cached => {
            // Lets the caller in and reads the version the page is filed under, together.
            let (owner, version) = access::project_owner(&state.db, &auth.user_id, project).await?;
            state
                .list_cache
                .page(&state.db, &owner, Some(version), filter)
                .await
        }
        Some(_) => service::list_json_visible(&state.db, &auth.user_id, filter).await,
    }
}

/// One page for a caller whose signed token is still to be confirmed, read with the checks in
/// the statement that answers: the token's standing, and for a project, the caller's access
/// (with the owner's version, for a cached page). `None` when that found nothing: the caller
/// must confirm the token and ask [`page_for`], which tells an empty page from a refusal.
async fn page_unconfirmed(
    state: &AppState,
    pending: &PendingUser,
    filter: &TaskFilter,
) -> Result<Option<RenderedPage>> {
    let (user, standing) = (pending.user_id(), Some(pending.standing()));
    match (state.list_cache.serves(filter), filter.project_id) {
        // Confirming the token reads the version a personal page is filed under.
        (true, None) => Ok(None),
        (true, Some(project)) => {
            match access::project_owner_standing(&state.db, user, project, standing).await? {
                Some((owner, version)) => {
                    let page = state
                        .list_cache
                        .page(&state.db, &owner, Some(version), filter);
                    Ok(Some(page.await?))
                }
                None => Ok(None),
            }
        }
        (false, _) => {
            let whose = Whose::VisibleTo(user);
            service::list_json_checked(&state.db, whose, filter, standing).await
        }
    }
}

/// List the user's tasks: filters, sort, keyset paging (`Link: <…>; rel="next"`) and the
/// total in `X-Total-Count`.
#[utoipa::path(get, path = "", tag = "tasks", security(("bearer" = [])), params(ListTasks),
    responses(
        (status = 200, body = [Task], headers(("X-Total-Count" = i64), ("Link" = String, description = "next page"))),
        (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn list_tasks(
    State(state): State<AppState>,
    caller: Presented,
    OriginalUri(uri): OriginalUri,
) -> Result<Response> {
    let (list, unreadable) = ListTasks::from_query_string(uri.query().unwrap_or_default());
    let page = match caller {
        Presented::Verified(auth) => {
            let filter = service::filter_for(&state.db, &auth.user_id, &list, unreadable).await?;
            page_for(&state, &auth, &filter).await?
        }
        Presented::Pending(pending) => {
            let filter =
                match service::filter_for(&state.db, pending.user_id(), &list, unreadable).await {
                    Ok(filter) => filter,
                    // A revoked token learns nothing, not even that its query was wrong.
                    Err(err) => return Err(pending.confirm(&state).await.err().unwrap_or(err)),
                };
            match page_unconfirmed(&state, &pending, &filter).await? {
                Some(page) => page,
                None => {
                    let auth = pending.confirm(&state).await?;
                    page_for(&state, &auth, &filter).await?
                }
            }
        }
    };
    let mut response = (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        page.body,
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert("x-total-count", HeaderValue::from(page.total));
    if let Some(link) = page
        .next_cursor
        .and_then(|cursor| paging::next_link(&uri, &cursor))
    {
        headers.insert(header::LINK, link);
    }
    Ok(response)
}

/// Create a task. With `Idempotency-Key`, a retry with the same key and body returns the
/// first response and creates nothing; the same key with another body is a 422.
#[utoipa::path(post, path = "", tag = "tasks", security(("bearer" = [])), request_body = NewTask,
    params(("Idempotency-Key" = Option<String>, Header, description = "1–255 printable ASCII characters; remembered 24 h")),
    responses((status = 201, body = Task, headers(("Location" = String), ("ETag" = String))), (status = 422, body = Problem)))]
pub async fn create_task(
    State(state): State<AppState>,
    auth: AuthUser,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    AppJson(input): AppJson<NewTask>,
) -> Result<Response> {
    let key = idempotency_key(&headers, &input)?;
    match service::create_once(&state.db, &auth.user_id, input, key.as_ref()).await? {
        Created::New(task) => {
            let response = (
                StatusCode::CREATED,
                [(header::LOCATION, location(uri.path(), task.id))],
                AppJson(&task),
            );
            Ok(with_etag(task.version, response))
        }
        Created::Replayed { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED);
            let id = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| {
                    v["id"]
                        .as_str()
                        .and_then(|id| id.parse::<uuid::Uuid>().ok())
                });
            let mut response = (
                status,
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                body,
            )
                .into_response();
            if let Some(id) = id {
                response
                    .headers_mut()
                    .insert(header::LOCATION, location(uri.path(), id));
            }
            response
                .headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            Ok(response)
        }
    }
}

/// The new task's URL under the collection it was posted to, so that a compatibility route's
/// client is sent to its own design's path (each has a `GET …/{id}`).
fn location(collection: &str, id: uuid::Uuid) -> HeaderValue {
    // A request path is visible ASCII, always a valid header value; the fallback is unreachable.
    HeaderValue::try_from(format!("{}/{id}", collection.trim_end_matches('/')))
        .unwrap_or_else(|_| HeaderValue::from_static("/api/v1/tasks"))
}

/// The `Idempotency-Key` header with a fingerprint of the parsed body (so whitespace and key
/// order do not make a retry look different).
fn idempotency_key(headers: &HeaderMap, input: &NewTask) -> Result<Option<IdempotencyKey>> {
    let Some(raw) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = raw
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| (1..=255).contains(&k.len()) && k.chars().all(|c| c.is_ascii_graphic()))
        .ok_or_else(|| {
            ApiError::invalid(
                "Idempotency-Key",
                "must be 1–255 printable ASCII characters",
            )
        })?;
    let canonical = serde_json::to_vec(input).map_err(anyhow::Error::from)?;
    let fingerprint = format!("{:x}", sha2::Sha256::digest(&canonical));
    Ok(Some(IdempotencyKey {
        key: key.to_owned(),
        fingerprint,
    }))
}

/// Counts of the user's tasks, or of one project's with `?project_id=`.
#[utoipa::path(get, path = "/stats", tag = "tasks", security(("bearer" = [])),
    params(("project_id" = Option<uuid::Uuid>, Query, description = "count only this project's tasks")),
    responses((status = 200, body = TaskStats), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn get_stats(
    State(state): State<AppState>,
    auth: AuthUser,
    OriginalUri(uri): OriginalUri,
) -> Result<AppJson<TaskStats>> {
    let project = crate::input::query_value(&uri, "project_id")
        .map(|raw| raw.trim().parse::<uuid::Uuid>())
        .transpose()
        .map_err(|_| ApiError::invalid("project_id", "must be a UUID"))?;
    Ok(AppJson(
        service::stats(&state.db, &auth.user_id, project).await?,
    ))
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
    Ok(with_etag(task.version, AppJson(&task)))
}

/// Partial update (same as PATCH): absent fields unchanged, null clears.
#[utoipa::path(put, path = "/{id}", tag = "tasks", security(("bearer" = [])), request_body = TaskPatch,
    params(("id" = String, Path, description = "task UUID or per-user number"),
        ("If-Match" = Option<String>, Header, description = "ETag from a previous read; stale → 412")),
    responses((status = 200, body = Task), (status = 404, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn replace_task(
    state: State<AppState>,
    auth: AuthUser,
    path: TaskPath,
    if_match: IfMatch,
    body: AppJson<TaskPatch>,
) -> Result<Response> {
    update_task(state, auth, path, if_match, body).await
}

/// Partial update: absent fields unchanged, null clears.
#[utoipa::path(patch, path = "/{id}", tag = "tasks", security(("bearer" = [])), request_body = TaskPatch,
    params(("id" = String, Path, description = "task UUID or per-user number"),
        ("If-Match" = Option<String>, Header, description = "ETag from a previous read; stale → 412")),
    responses((status = 200, body = Task), (status = 404, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update_task(
    State(state): State<AppState>,
    auth: AuthUser,
    TaskPath(task): TaskPath,
    IfMatch(precondition): IfMatch,
    AppJson(patch): AppJson<TaskPatch>,
) -> Result<Response> {
    let task = service::update(&state.db, &auth.user_id, task, patch, &precondition).await?;
    Ok(with_etag(task.version, AppJson(&task)))
}

/// Mark done (`{"completed": true}`), pending (`false`), or toggle (no body).
#[utoipa::path(patch, path = "/{id}/complete", tag = "tasks", security(("bearer" = [])),
    request_body(content = Option<CompletionRequest>, description = "omit to toggle"),
    params(("id" = String, Path, description = "task UUID or per-user number"),
        ("If-Match" = Option<String>, Header, description = "ETag from a previous read; stale → 412")),
    responses((status = 200, body = CompletedTask), (status = 404, body = Problem), (status = 412, body = Problem)))]
pub async fn complete_task(
    State(state): State<AppState>,
    auth: AuthUser,
    TaskPath(task): TaskPath,
    IfMatch(precondition): IfMatch,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    let completed = completion_body(&headers, &body)?;
    let done =
        service::set_completed(&state.db, &auth.user_id, task, completed, &precondition).await?;
    Ok(with_etag(done.task.version, AppJson(&done)))
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
    params(("id" = String, Path, description = "task UUID or per-user number"),
        ("If-Match" = Option<String>, Header, description = "ETag from a previous read; stale → 412")),
    responses((status = 200, body = Deleted), (status = 404, body = Problem), (status = 412, body = Problem)))]
pub async fn delete_task(
    State(state): State<AppState>,
    auth: AuthUser,
    TaskPath(task): TaskPath,
    IfMatch(precondition): IfMatch,
) -> Result<AppJson<Deleted>> {
    let deleted_id = service::delete(&state.db, &auth.user_id, task, &precondition).await?;
    Ok(AppJson(Deleted {
        message: "Task deleted successfully",
        deleted_id,
    }))
}
