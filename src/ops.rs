//! Operational routes: service banner, health probes and metrics.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::chat::limit::ChatLimiter;
use crate::error::ApiError;
use crate::state::AppState;

/// The Prometheus text exposition format.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Routes at the root.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(root))
        .routes(routes!(health))
        .routes(routes!(live))
        .routes(routes!(ready))
        .routes(routes!(metrics))
}

/// `GET /` banner.
#[derive(Debug, Serialize, ToSchema)]
pub struct Banner {
    /// Always "Todo API is running".
    pub message: &'static str,
    /// The server's version.
    pub version: &'static str,
}

/// Health probe answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `unavailable`; on readiness, the database's state.
    pub status: &'static str,
    /// Database state, on readiness only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'static str>,
    /// Redis state, on readiness only and when `REDIS_URL` is set. Reported, never a reason to
    /// be unready.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redis: Option<&'static str>,
}

/// Service banner; a browser (`Accept: text/html`) is sent to the web app instead.
#[utoipa::path(get, path = "/", tag = "operations", responses((status = 200, body = Banner),
    (status = 303, description = "a browser is redirected to the web app at /app")))]
pub async fn root(headers: HeaderMap) -> Response {
    // Caches must not hand one kind of client the other's answer.
    let vary = [(header::VARY, "Accept")];
    if crate::web::wants_html(&headers) {
        return (vary, Redirect::to(crate::web::APP_PATH)).into_response();
    }
    let banner = Banner {
        message: "Todo API is running",
        version: env!("CARGO_PKG_VERSION"),
    };
    (vary, Json(banner)).into_response()
}

/// The process is up.
#[utoipa::path(get, path = "/health", tag = "operations", responses((status = 200, body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health {
        status: "ok",
        database: None,
        redis: None,
    })
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/health/live", tag = "operations", responses((status = 200, body = Health)))]
pub async fn live() -> Json<Health> {
    Json(Health {
        status: "ok",
        database: None,
        redis: None,
    })
}

/// Readiness: the database answers. Redis is reported but does not count: it only holds the
/// chat limits, which let messages through while it is down, so a Redis outage must not take
/// every replica out of the Service.
#[utoipa::path(get, path = "/health/ready", tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let limit = std::time::Duration::from_secs(2);
    let database = tokio::time::timeout(limit, state.db.ping());
    let redis = async {
        match &state.chat.limiter {
            ChatLimiter::Redis { .. } => Some(matches!(
                tokio::time::timeout(limit, state.chat.limiter.is_ready()).await,
                Ok(true)
            )),
            ChatLimiter::Memory { .. } => None,
        }
    };
    let (database, redis) = tokio::join!(database, redis);
    let database_ok = matches!(database, Ok(true));
    let label = |ok: bool| if ok { "ok" } else { "unavailable" };
    let body = Health {
        status: label(database_ok),
        database: Some(label(database_ok)),
        redis: redis.map(label),
    };
    let status = if database_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}

/// Prometheus metrics in the text exposition format. Unauthenticated, for scrapes from inside
/// the cluster: keep it off the public ingress. 404 when `METRICS_ENABLED=false`.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses(
        (status = 200, description = "Prometheus text format 0.0.4", body = String,
            content_type = "text/plain; version=0.0.4"),
        (status = 404, description = "metrics are disabled", body = crate::error::Problem,
            content_type = "application/problem+json"),
    ))]
pub async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    if !state.settings.metrics_enabled {
        return Err(ApiError::NotFound("no such route"));
    }
    let text = crate::metrics::render(&state.db);
    let content_type = [(
        header::CONTENT_TYPE,
        HeaderValue::from_static(PROMETHEUS_TEXT),
    )];
    Ok((content_type, text).into_response())
}
