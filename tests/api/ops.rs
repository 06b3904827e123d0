//! Operational surface: banner, health probes, OpenAPI document, docs, and the headers every
//! response carries.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, TestResponse, both_backends};

both_backends!(
    root_returns_the_banner_and_version,
    health_probes_return_200,
    openapi_document_is_3_1_and_lists_every_route,
    docs_serve_html,
    every_response_carries_a_request_id_and_nosniff,
    an_incoming_request_id_is_echoed,
    cors_allows_the_configured_origin_only,
);

async fn get(app: &TestApp, path: &str) -> TestResponse {
    app.send(app.request(Method::GET, path)).await
}

async fn root_returns_the_banner_and_version(app: TestApp) {
    // Act
    let res = get(&app, "/").await;

    // Assert
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(
        res.json(),
        json!({ "message": "Todo API is running", "version": env!("CARGO_PKG_VERSION") })
    );
}

async fn health_probes_return_200(app: TestApp) {
    for path in ["/health", "/health/live", "/health/ready"] {
        // Act
        let res = get(&app, path).await;

        // Assert
        assert_eq!(res.status, StatusCode::OK, "{path}: {}", res.text);
        assert!(
            res.header("content-type")
                .is_some_and(|ct| ct.starts_with("application/json")),
            "{path}"
        );
        assert_eq!(res.json()["status"], "ok", "{path}");
    }
    assert_eq!(get(&app, "/health/ready").await.json()["database"], "ok");
}

async fn openapi_document_is_3_1_and_lists_every_route(app: TestApp) {
    // Act
    let res = get(&app, "/openapi.json").await;

    // Assert
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let doc = res.json();
    let version = doc["openapi"].as_str().expect("openapi version");
    assert!(version.starts_with("3.1."), "OpenAPI {version}");
    let paths = doc["paths"].as_object().expect("paths");
    let expected = [
        ("/", "get"),
        ("/health", "get"),
        ("/health/live", "get"),
        ("/health/ready", "get"),
        ("/api/v1/auth/signup", "post"),
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/me", "get"),
        ("/api/v1/auth/me", "patch"),
        ("/api/v1/auth/validate-token", "get"),
        ("/api/v1/tasks", "get"),
        ("/api/v1/tasks", "post"),
        ("/api/v1/tasks/stats", "get"),
        ("/api/v1/tasks/{id}", "get"),
        ("/api/v1/tasks/{id}", "put"),
        ("/api/v1/tasks/{id}", "patch"),
        ("/api/v1/tasks/{id}", "delete"),
        ("/api/v1/tasks/{id}/complete", "patch"),
        ("/.well-known/oauth-protected-resource", "get"),
        ("/.well-known/oauth-protected-resource/mcp", "get"),
    ];
    for (path, method) in expected {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing from the OpenAPI paths {:?}",
            paths.keys().collect::<Vec<_>>()
        );
    }
    let schemes = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(schemes["scheme"], "bearer", "{schemes}");
    for schema in ["Task", "Problem", "AuthResponse", "ResourceMetadata"] {
        assert!(
            doc["components"]["schemas"].get(schema).is_some(),
            "schema {schema} missing"
        );
    }
}

async fn docs_serve_html(app: TestApp) {
    // Act
    let res = get(&app, "/docs/").await;

    // Assert
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(
        res.header("content-type")
            .is_some_and(|ct| ct.starts_with("text/html")),
        "{:?}",
        res.headers
    );
    assert!(res.text.to_lowercase().contains("<html"), "{}", res.text);
}

async fn every_response_carries_a_request_id_and_nosniff(app: TestApp) {
    // Arrange: a success, a 401, a 404, a 405, a 422 (`send` asserts both headers on each).
    let user = app.new_user().await;
    let responses = [
        get(&app, "/").await,
        get(&app, "/api/v1/tasks").await,
        get(&app, "/no/such/route").await,
        app.send(app.request(Method::DELETE, "/health")).await,
        app.list_tasks(&user.token, "limit=abc").await,
        app.create_task(&user.token, &json!({ "title": "x" })).await,
    ];

    // Assert: generated ids are distinct per request.
    let mut ids: Vec<&str> = responses
        .iter()
        .map(|r| r.header("x-request-id").expect("X-Request-Id"))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), responses.len(), "request ids repeat: {ids:?}");
}

async fn an_incoming_request_id_is_echoed(app: TestApp) {
    // Arrange
    let id = "test-request-4f1c2a";

    // Act
    let ok = app
        .send(
            app.request(Method::GET, "/health")
                .header("x-request-id", id),
        )
        .await;
    let error = app
        .send(
            app.request(Method::GET, "/api/v1/tasks")
                .header("x-request-id", id),
        )
        .await;

    // Assert
    assert_eq!(ok.header("x-request-id"), Some(id));
    assert_eq!(error.status, StatusCode::UNAUTHORIZED);
    assert_eq!(error.header("x-request-id"), Some(id));
}

async fn cors_allows_the_configured_origin_only(app: TestApp) {
    // Arrange
    let preflight = |origin: &'static str| {
        app.request(Method::OPTIONS, "/api/v1/tasks")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
    };

    // Act
    let allowed = app.send(preflight("http://localhost:3000")).await;
    let refused = app.send(preflight("https://evil.example")).await;

    // Assert
    assert!(allowed.status.is_success(), "{}", allowed.status);
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("http://localhost:3000")
    );
    assert_eq!(refused.header("access-control-allow-origin"), None);
}
