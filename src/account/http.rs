//! `GET /api/v1/auth/export` and `POST /api/v1/auth/import`.

use axum::{
    body::Body,
    extract::{DefaultBodyLimit, FromRequest, Request, State},
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::model::{ExportDocument, ImportDocument, ImportReport};
use super::{export, import};
use crate::auth::AuthUser;
use crate::error::{ApiError, AppJson, Problem, Result};
use crate::state::AppState;

/// Largest import document accepted; every other route keeps `startup::MAX_BODY_BYTES`.
pub const MAX_IMPORT_BYTES: usize = 64 * 1024 * 1024;

/// Routes merged into `/api/v1/auth`.
pub fn router() -> OpenApiRouter<AppState> {
    let import = OpenApiRouter::new()
        .routes(routes!(import_account))
        .layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES));
    OpenApiRouter::new()
        .routes(routes!(export_account))
        .merge(import)
}

/// Everything the signed-in user owns, as one JSON document (the input of an import).
///
/// Streamed a page of rows at a time. If the database fails after the first bytes were sent,
/// the body is cut off (the connection closes without the final chunk), so the client holds
/// JSON that does not parse rather than a complete-looking document with data missing.
#[utoipa::path(get, path = "/export", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = ExportDocument, content_type = "application/json",
            headers(("Content-Disposition" = String, description = "attachment; filename=\"tudu-export-<date>.json\""))),
        (status = 401, body = Problem), (status = 503, body = Problem)))]
pub async fn export_account(State(state): State<AppState>, auth: AuthUser) -> Result<Response> {
    let user = export::account(&state.db, &auth.user_id)
        .await?
        .ok_or(ApiError::Unauthorized("the token's user no longer exists"))?;
    let disposition = format!(
        "attachment; filename=\"tudu-export-{}.json\"",
        chrono::Utc::now().format("%Y-%m-%d")
    );
    let disposition = HeaderValue::from_str(&disposition).map_err(anyhow::Error::from)?;
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ),
        (header::CONTENT_DISPOSITION, disposition),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ];
    let body = Body::from_stream(export::document(state.db.clone(), &user));
    Ok((headers, body).into_response())
}

/// Merge an exported document into the signed-in user's account.
///
/// Tasks get new numbers; a task or conversation the account already has (from an earlier
/// import of the same document) is skipped, so re-importing creates nothing. Any invalid row
/// is a 422 naming it (`tasks[17].title`) and nothing is written. Bodies up to 64 MiB.
#[utoipa::path(post, path = "/import", tag = "auth", security(("bearer" = [])),
    request_body(content = ExportDocument, content_type = "application/json"),
    responses((status = 200, body = ImportReport), (status = 401, body = Problem),
        (status = 409, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn import_account(
    State(state): State<AppState>,
    auth: AuthUser,
    request: Request,
) -> Result<AppJson<ImportReport>> {
    let AppJson(document) = AppJson::<ImportDocument>::from_request(request, &state)
        .await
        .map_err(too_large_for_an_import)?;
    Ok(AppJson(
        import::import(&state.db, &auth.user_id, document).await?,
    ))
}

/// A body refused for its size names this route's own limit.
fn too_large_for_an_import(err: ApiError) -> ApiError {
    match err {
        ApiError::PayloadTooLarge { .. } => ApiError::PayloadTooLarge {
            limit_bytes: MAX_IMPORT_BYTES,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

    use super::*;

    #[tokio::test]
    async fn an_oversized_import_is_a_413_naming_the_routes_own_limit() {
        use tower::ServiceExt;
        let app = axum::Router::new()
            .route(
                "/",
                axum::routing::post(|request: Request| async move {
                    AppJson::<ImportDocument>::from_request(request, &())
                        .await
                        .map(|_| ())
                        .map_err(too_large_for_an_import)
                }),
            )
            .layer(DefaultBodyLimit::max(16));
        let request = Request::post("/")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(vec![b' '; 17]))
            .expect("a request");

        let response = app.oneshot(request).await.expect("a response");

        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(
            response.headers().get(header::CONTENT_TYPE),
            Some(&HeaderValue::from_static("application/problem+json"))
        );
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .expect("the body");
        let problem: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(problem["detail"], "request body is larger than 64 MiB");
    }
}
