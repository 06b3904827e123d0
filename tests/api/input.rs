//! Text a database cannot store (SPEC §9): a NUL character or a lone surrogate in any field or
//! query parameter is a 422 naming it, on both databases, and nothing is written.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, both_backends, unique_email};

both_backends!(
    a_nul_in_any_body_field_is_a_422_naming_it_and_writes_nothing,
    a_nul_in_a_query_parameter_is_a_422_naming_it,
    a_lone_surrogate_is_a_422_naming_its_field,
    a_missing_required_field_is_named
);

/// The `errors[0].field` of a 422.
fn field_of(app: &TestApp, status: StatusCode, body: &Value, what: &str) -> String {
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "[{}] {what}: {body}",
        app.backend
    );
    body["errors"][0]["field"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn a_nul_in_any_body_field_is_a_422_naming_it_and_writes_nothing(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let nul = "a\u{0}b";
    let cases: Vec<(Method, &str, bool, Value, &str)> = vec![
        (
            Method::POST,
            "/api/v1/tasks",
            true,
            json!({"title": nul}),
            "title",
        ),
        (
            Method::POST,
            "/api/v1/tasks",
            true,
            json!({"title": "ok", "description": nul}),
            "description",
        ),
        (
            Method::POST,
            "/api/v1/tasks",
            true,
            json!({"title": "ok", "tags": ["fine", nul]}),
            "tags[1]",
        ),
        (
            Method::POST,
            "/api/v1/auth/signup",
            false,
            json!({"email": unique_email(), "password": "long enough", "name": nul}),
            "name",
        ),
        (
            Method::POST,
            "/api/v1/auth/signup",
            false,
            json!({"email": format!("{nul}@example.com"), "password": "long enough", "name": "N"}),
            "email",
        ),
        (
            Method::POST,
            "/api/v1/auth/login",
            false,
            json!({"email": nul, "password": "whatever"}),
            "email",
        ),
        (
            Method::PATCH,
            "/api/v1/auth/me",
            true,
            json!({"name": nul}),
            "name",
        ),
        (
            Method::POST,
            "/api/v1/chat",
            true,
            json!({"message": nul}),
            "message",
        ),
    ];
    for (method, path, authed, body, field) in cases {
        // Act
        let request = if authed {
            app.authed(method.clone(), path, &user.token)
        } else {
            app.request(method.clone(), path)
        };
        let res = app.send(request.json(&body)).await;

        // Assert
        assert_eq!(
            field_of(&app, res.status, &res.json(), &format!("{method} {path}")),
            field,
            "[{}] {method} {path}",
            app.backend
        );
    }

    // A create retried under an Idempotency-Key is refused the same way, and remembers nothing.
    let keyed = |title: &str| {
        app.authed(Method::POST, "/api/v1/tasks", &user.token)
            .header("idempotency-key", "nul-key")
            .json(&json!({ "title": title }))
    };
    let refused = app.send(keyed(nul)).await;
    assert_eq!(
        field_of(&app, refused.status, &refused.json(), "keyed create"),
        "title"
    );
    let accepted = app.send(keyed("clean")).await;
    assert_eq!(accepted.status, StatusCode::CREATED, "[{}]", app.backend);

    let listed = app
        .send(app.authed(Method::GET, "/api/v1/tasks", &user.token))
        .await;
    let listed = listed.json();
    let titles: Vec<&str> = listed
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|t| t["title"].as_str())
        .collect();
    assert_eq!(titles, ["clean"], "[{}] only the clean create", app.backend);
}

async fn a_nul_in_a_query_parameter_is_a_422_naming_it(app: TestApp) {
    let user = app.new_user().await;
    for (query, field) in [("q=a%00b", "q"), ("status=all&tag=x%00", "tag")] {
        let res = app
            .send(app.authed(Method::GET, &format!("/api/v1/tasks?{query}"), &user.token))
            .await;
        assert_eq!(
            field_of(&app, res.status, &res.json(), query),
            field,
            "[{}] {query}",
            app.backend
        );
    }
}

async fn a_lone_surrogate_is_a_422_naming_its_field(app: TestApp) {
    let user = app.new_user().await;
    let res = app
        .send(
            app.authed(Method::POST, "/api/v1/tasks", &user.token)
                .header("content-type", "application/json")
                .body(r#"{"title": "ok", "description": "\ud800"}"#),
        )
        .await;
    assert_eq!(
        field_of(&app, res.status, &res.json(), "surrogate"),
        "description",
        "[{}]",
        app.backend
    );
}

async fn a_missing_required_field_is_named(app: TestApp) {
    let user = app.new_user().await;
    let res = app
        .send(
            app.authed(Method::POST, "/api/v1/chat", &user.token)
                .json(&json!({})),
        )
        .await;
    assert_eq!(
        field_of(&app, res.status, &res.json(), "chat {}"),
        "message",
        "[{}]",
        app.backend
    );
}
