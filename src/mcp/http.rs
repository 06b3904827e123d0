//! Mounting: Streamable HTTP at `/mcp` behind [`super::auth::require_user`], WebSocket upgrades
//! of `/mcp` diverted to [`super::ws`], and the RFC 9728 protected-resource metadata that their
//! 401 challenges point to.

use std::sync::Arc;

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, Uri, header, uri::Authority},
    middleware,
};
use rmcp::transport::streamable_http_server::{
    StreamableHttpServerConfig, StreamableHttpService, session::never::NeverSessionManager,
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{TodoMcp, auth, ws};
use crate::state::AppState;

/// `/mcp`, to merge into the application router (its metadata is in [`metadata_router`]).
pub fn routes(state: &AppState) -> Router<AppState> {
    let mcp = TodoMcp::new(state.db.clone());
    // Stateless: no session or stream lives in this process, so any replica answers any
    // request, whether the client speaks 2026-07-28 or starts with `initialize` (2025-11-25).
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_allowed_hosts(allowed_hosts(&state.settings.public_url));
    let service = StreamableHttpService::new(
        move || Ok(mcp.clone()),
        Arc::new(NeverSessionManager::default()),
        config,
    );
    Router::new()
        .nest_service("/mcp", service)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_user,
        ))
        // Outermost: a WebSocket upgrade is answered by its own door, with the same checks.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            ws::upgrade_or_next,
        ))
}

/// The RFC 9728 metadata routes, documented in the OpenAPI document like every other route.
pub fn metadata_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(resource_metadata))
        .routes(routes!(resource_metadata_of_mcp))
}

/// Whether `Host` names one of [`allowed_hosts`]: for the WebSocket door, the DNS-rebinding
/// guard that rmcp applies to Streamable HTTP requests.
pub(super) fn host_allowed(headers: &HeaderMap, public_url: &str) -> bool {
    let Some(authority) = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .and_then(|host| host.parse::<Authority>().ok())
    else {
        return false;
    };
    let host = authority
        .host()
        .trim_matches(['[', ']'])
        .to_ascii_lowercase();
    allowed_hosts(public_url).contains(&host)
}

/// Loopback names (rmcp's DNS-rebinding guard) plus the host of `PUBLIC_URL`.
fn allowed_hosts(public_url: &str) -> Vec<String> {
    let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "::1"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    if let Some(host) = public_url.parse::<Uri>().ok().as_ref().and_then(Uri::host) {
        let host = host.trim_matches(['[', ']']).to_ascii_lowercase();
        if !hosts.contains(&host) {
            hosts.push(host);
        }
    }
    hosts
}

/// OAuth 2.0 protected resource metadata (RFC 9728).
#[derive(Debug, Serialize, ToSchema)]
pub struct ResourceMetadata {
    /// The MCP endpoint.
    pub resource: String,
    /// Issuers whose tokens are accepted, when one is configured.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authorization_servers: Vec<String>,
    /// Tokens go in `Authorization: Bearer`.
    #[schema(value_type = Vec<String>)]
    pub bearer_methods_supported: [&'static str; 1],
    /// Human-readable name.
    pub resource_name: &'static str,
    /// Where obtaining a token is documented.
    pub resource_documentation: String,
}

/// Where MCP clients learn how to get a token for `/mcp` (the URL its 401 challenges name).
#[utoipa::path(get, path = "/.well-known/oauth-protected-resource", tag = "mcp",
    responses((status = 200, body = ResourceMetadata)))]
pub async fn resource_metadata(State(state): State<AppState>) -> Json<ResourceMetadata> {
    metadata(&state)
}

/// The same metadata at the path RFC 9728 derives from the resource `/mcp`.
#[utoipa::path(get, path = "/.well-known/oauth-protected-resource/mcp", tag = "mcp",
    responses((status = 200, body = ResourceMetadata)))]
pub async fn resource_metadata_of_mcp(State(state): State<AppState>) -> Json<ResourceMetadata> {
    metadata(&state)
}

fn metadata(state: &AppState) -> Json<ResourceMetadata> {
    let public_url = &state.settings.public_url;
    let authorization_servers = state
        .settings
        .jwt_issuer
        .iter()
        .filter(|iss| iss.starts_with("https://") || iss.starts_with("http://"))
        .cloned()
        .collect();
    Json(ResourceMetadata {
        resource: format!("{public_url}/mcp"),
        authorization_servers,
        bearer_methods_supported: ["header"],
        resource_name: "tudu tasks (MCP)",
        resource_documentation: format!("{public_url}/docs"),
    })
}

#[cfg(test)]
mod tests {
    use super::allowed_hosts;

    #[test]
    fn a_host_is_allowed_with_any_port_by_its_name() {
        use axum::http::{HeaderMap, HeaderValue, header};
        let with_host = |host: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::HOST, HeaderValue::from_static(host));
            headers
        };
        let public = "https://todo.example.com";
        assert!(super::host_allowed(&with_host("127.0.0.1:8000"), public));
        assert!(super::host_allowed(&with_host("[::1]:8000"), public));
        assert!(super::host_allowed(&with_host("TODO.example.com"), public));
        assert!(!super::host_allowed(&with_host("evil.example"), public));
        assert!(!super::host_allowed(&HeaderMap::new(), public));
    }

    #[test]
    fn the_public_host_is_allowed_besides_loopback() {
        let hosts = allowed_hosts("https://todo.example.com");
        assert!(hosts.iter().any(|h| h == "todo.example.com"));
        assert!(hosts.iter().any(|h| h == "127.0.0.1"));
        assert_eq!(allowed_hosts("http://127.0.0.1:8000").len(), 3);
        assert_eq!(allowed_hosts("not a url").len(), 3);
    }
}
