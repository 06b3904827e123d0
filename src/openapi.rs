//! The OpenAPI document's fixed parts; paths and schemas come from the handlers.

use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

#[derive(OpenApi)]
#[openapi(
    info(title = "tudu", description = "Multi-user task API: accounts, tasks, MCP and chat."),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Accounts and tokens"),
        (name = "tasks", description = "The signed-in user's tasks"),
        (name = "projects", description = "The signed-in user's projects (lists of tasks)"),
        (name = "chat", description = "Plain-language task management and stored conversations"),
        (name = "operations", description = "Health and service information"),
        (name = "mcp", description = "Metadata of the MCP endpoint `/mcp` (JSON-RPC over Streamable HTTP, not described here)"),
        (name = "compatibility", description = "Paths of reference designs A, B and D"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Title, tags and the bearer security scheme.
#[must_use]
pub fn base() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
