//! The routes of reference designs A, B and D (SPEC §5): more paths to the canonical handlers,
//! plus the rule that a `{user_id}` in the path must be the token's user.

use axum::{
    Router,
    extract::{Path, Request, rejection::PathRejection},
    middleware::{self, Next},
    response::Response,
    routing::{get, patch, post},
};
use utoipa::openapi::{
    ContentBuilder, Ref, Required, ResponseBuilder,
    path::{HttpMethod, Operation, ParameterBuilder, ParameterIn, Paths},
    schema::{ObjectBuilder, Type},
};
use utoipa_axum::router::OpenApiRouter;

use crate::auth::{
    AuthUser,
    http::{get_me, log_in, sign_up, validate_token},
    model::is_same_user,
};
use crate::chat::http::chat;
use crate::error::ApiError;
use crate::state::AppState;
use crate::tasks::http::{
    complete_task, create_task, delete_task, get_task, list_tasks, replace_task, update_task,
};

/// The tag of every compatibility operation in the OpenAPI document.
const TAG: &str = "compatibility";

/// Every compatibility path: its design, the canonical path whose handlers serve it, and the
/// methods it answers. The router below mounts exactly these.
#[rustfmt::skip]
const ALIASES: [(&str, &str, &str, &[HttpMethod]); 16] = {
    use HttpMethod::{Delete, Get, Patch, Post, Put};
    [
        ("A", "/api/auth/signup", "/api/v1/auth/signup", &[Post]),
        ("A", "/api/auth/login", "/api/v1/auth/login", &[Post]),
        ("A", "/api/{user_id}/tasks", "/api/v1/tasks", &[Get, Post]),
        ("A", "/api/{user_id}/tasks/{id}", "/api/v1/tasks/{id}", &[Get, Put, Patch, Delete]),
        ("A", "/api/{user_id}/tasks/{id}/complete", "/api/v1/tasks/{id}/complete", &[Patch]),
        ("A", "/api/{user_id}/chat", "/api/v1/chat", &[Post]),
        ("B", "/api/v1/users/register", "/api/v1/auth/signup", &[Post]),
        ("B", "/api/v1/users/login", "/api/v1/auth/login", &[Post]),
        ("B", "/api/v1/me", "/api/v1/auth/me", &[Get]),
        ("B", "/api/v1/validate-token", "/api/v1/auth/validate-token", &[Get]),
        ("B", "/api/v1/{user_id}/todos", "/api/v1/tasks", &[Get, Post]),
        ("B", "/api/v1/{user_id}/todos/{id}", "/api/v1/tasks/{id}", &[Get, Put, Delete]),
        ("B", "/api/v1/{user_id}/todos/{id}/complete", "/api/v1/tasks/{id}/complete", &[Patch]),
        ("D", "/api/v1/{user_id}/tasks", "/api/v1/tasks", &[Get, Post]),
        ("D", "/api/v1/{user_id}/tasks/{id}", "/api/v1/tasks/{id}", &[Get, Put, Delete]),
        ("D", "/api/v1/{user_id}/tasks/{id}/complete", "/api/v1/tasks/{id}/complete", &[Patch]),
    ]
};

/// Adds the compatibility routes to `api`, and to its document a copy of each canonical
/// operation under each compatibility path.
pub fn mount(mut api: OpenApiRouter<AppState>, state: &AppState) -> OpenApiRouter<AppState> {
    document(&mut api.get_openapi_mut().paths);
    api.merge(router(state).into())
}

/// The compatibility routes.
pub fn router(state: &AppState) -> Router<AppState> {
    let per_user = Router::new()
        .route("/api/{user_id}/tasks", get(list_tasks).post(create_task))
        .route(
            "/api/{user_id}/tasks/{id}",
            get(get_task)
                .put(replace_task)
                .patch(update_task)
                .delete(delete_task),
        )
        .route("/api/{user_id}/tasks/{id}/complete", patch(complete_task))
        .route("/api/{user_id}/chat", post(chat))
        .route("/api/v1/{user_id}/todos", get(list_tasks).post(create_task))
        .route(
            "/api/v1/{user_id}/todos/{id}",
            get(get_task).put(replace_task).delete(delete_task),
        )
        .route(
            "/api/v1/{user_id}/todos/{id}/complete",
            patch(complete_task),
        )
        .route("/api/v1/{user_id}/tasks", get(list_tasks).post(create_task))
        .route(
            "/api/v1/{user_id}/tasks/{id}",
            get(get_task).put(replace_task).delete(delete_task),
        )
        .route(
            "/api/v1/{user_id}/tasks/{id}/complete",
            patch(complete_task),
        )
        .route_layer(middleware::from_fn_with_state(state.clone(), same_user));
    Router::new()
        .route("/api/auth/signup", post(sign_up))
        .route("/api/auth/login", post(log_in))
        .route("/api/v1/users/register", post(sign_up))
        .route("/api/v1/users/login", post(log_in))
        .route("/api/v1/me", get(get_me))
        .route("/api/v1/validate-token", get(validate_token))
        .merge(per_user)
}

/// Authenticates (401 as usual), then refuses a `{user_id}` that is not the token's user.
async fn same_user(
    auth: AuthUser,
    params: Result<Path<Vec<(String, String)>>, PathRejection>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let in_path = params
        .ok()
        .and_then(|Path(params)| params.into_iter().find(|(name, _)| name == "user_id"))
        .map(|(_, value)| value);
    match in_path {
        Some(id) if is_same_user(&id, &auth.user_id) => Ok(next.run(request).await),
        _ => Err(ApiError::Forbidden(
            "the user id in the path is not the signed-in user",
        )),
    }
}

/// Copies each canonical operation under its compatibility path, tagged [`TAG`], with its own
/// `operationId`, and with the `user_id` parameter and the 403 where the path has one.
fn document(paths: &mut Paths) {
    for (design, path, canonical, methods) in ALIASES {
        for method in methods {
            let Some(operation) = paths.get_path_operation(canonical, method.clone()) else {
                tracing::warn!(
                    canonical,
                    "compatibility path without a canonical operation"
                );
                continue;
            };
            let operation = alias(operation.clone(), design, method, path, canonical);
            paths.add_path_operation(path, vec![method.clone()], operation);
        }
    }
}

fn alias(
    mut operation: Operation,
    design: &str,
    method: &HttpMethod,
    path: &str,
    canonical: &str,
) -> Operation {
    operation.tags = Some(vec![TAG.to_owned()]);
    operation.operation_id = operation
        .operation_id
        .map(|id| format!("design_{}_{id}", design.to_lowercase()));
    operation.description = Some(format!(
        "Reference design {design}: the same handler and rules as `{} {canonical}`.",
        verb(method)
    ));
    if path.contains("{user_id}") {
        let user_id = ParameterBuilder::new()
            .name("user_id")
            .parameter_in(ParameterIn::Path)
            .required(Required::True)
            .description(Some("must be the signed-in user's id, else 403"))
            .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
            .build();
        operation
            .parameters
            .get_or_insert_with(Vec::new)
            .insert(0, user_id.into());
        let forbidden = ResponseBuilder::new()
            .description("`user_id` is not the signed-in user")
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build();
        operation
            .responses
            .responses
            .insert("403".to_owned(), forbidden.into());
    }
    operation
}

fn verb(method: &HttpMethod) -> &'static str {
    match method {
        HttpMethod::Get => "GET",
        HttpMethod::Put => "PUT",
        HttpMethod::Post => "POST",
        HttpMethod::Delete => "DELETE",
        HttpMethod::Options => "OPTIONS",
        HttpMethod::Head => "HEAD",
        HttpMethod::Patch => "PATCH",
        HttpMethod::Trace => "TRACE",
    }
}
