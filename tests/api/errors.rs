//! The statuses of SPEC §3 that the routes can produce, each as `application/problem+json`.
//! (`TestApp::send` checks the content type and that no internals leak on every error.)

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{
    TestApp, assert_invalid, assert_not_found, assert_problem, both_backends, task_path,
};

both_backends!(
    body_that_is_not_json_returns_400,
    body_without_json_content_type_returns_415,
    body_over_1_mib_returns_413,
    bad_list_query_values_return_422,
    malformed_task_ids_in_the_path_return_404,
    unknown_task_ids_and_numbers_return_404,
    unknown_route_returns_404_problem,
    wrong_method_returns_405_problem,
    validation_problems_carry_every_rfc_9457_member,
);

async fn body_that_is_not_json_returns_400(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    app.create_task_ok(&user.token, &json!({ "title": "x" }))
        .await;
    let bodies = ["{not json", "{\"title\": \"x\"", ""];
    let targets = [
        (Method::POST, "/api/v1/tasks".to_owned()),
        (Method::PATCH, task_path("1")),
        (Method::PUT, task_path("1")),
        (Method::PATCH, format!("{}/complete", task_path("1"))),
        (Method::PATCH, "/api/v1/auth/me".to_owned()),
    ];
    for (method, path) in &targets {
        for body in bodies {
            // An empty body toggles completion rather than failing.
            if body.is_empty() && path.ends_with("/complete") {
                continue;
            }
            // Act
            let res = app
                .send(
                    app.authed(method.clone(), path, &user.token)
                        .header("content-type", "application/json")
                        .body(body),
                )
                .await;

            // Assert
            assert_problem(&res, StatusCode::BAD_REQUEST);
        }
    }
    // Signup and login too.
    for path in ["/api/v1/auth/signup", "/api/v1/auth/login"] {
        let res = app
            .send(
                app.request(Method::POST, path)
                    .header("content-type", "application/json")
                    .body("{oops"),
            )
            .await;
        assert_problem(&res, StatusCode::BAD_REQUEST);
    }
}

async fn body_without_json_content_type_returns_415(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    app.create_task_ok(&user.token, &json!({ "title": "x" }))
        .await;
    let body = r#"{"title":"x","completed":true}"#;
    let targets = [
        (Method::POST, "/api/v1/tasks".to_owned()),
        (Method::PATCH, task_path("1")),
        (Method::PUT, task_path("1")),
        (Method::PATCH, format!("{}/complete", task_path("1"))),
    ];
    for (method, path) in &targets {
        for content_type in [
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            None,
        ] {
            // Act
            let request = app.authed(method.clone(), path, &user.token).body(body);
            let request = match content_type {
                Some(ct) => request.header("content-type", ct),
                None => request,
            };
            let res = app.send(request).await;

            // Assert
            assert_problem(&res, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        }
    }
    let signup = app
        .send(
            app.request(Method::POST, "/api/v1/auth/signup")
                .header("content-type", "text/plain")
                .body(r#"{"email":"a@example.com","password":"long enough"}"#),
        )
        .await;
    assert_problem(&signup, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        app.get_task(&user.token, "1").await.json()["completed"],
        false
    );
}

async fn body_over_1_mib_returns_413(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let huge = json!({ "title": "big", "description": "d".repeat(1024 * 1024 + 1) });

    // Act
    let create = app.create_task(&user.token, &huge).await;
    let signup = app
        .send(app.request(Method::POST, "/api/v1/auth/signup").json(&huge))
        .await;

    // Assert
    assert_problem(&create, StatusCode::PAYLOAD_TOO_LARGE);
    assert_problem(&signup, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(app.list_tasks(&user.token, "").await.json(), json!([]));
}

async fn bad_list_query_values_return_422(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let cases = [
        ("limit=1001", "limit"),
        ("limit=0", "limit"),
        ("limit=-1", "limit"),
        ("limit=abc", "limit"),
        ("limit=", "limit"),
        ("status=bogus", "status"),
        ("status=PENDING_OR_NOT", "status"),
    ];
    for (query, field) in cases {
        // Act
        let res = app.list_tasks(&user.token, query).await;

        // Assert
        assert_invalid(&res, field);
    }
    // The bounds themselves are fine.
    for query in ["limit=1", "limit=1000"] {
        let res = app.list_tasks(&user.token, query).await;
        assert_eq!(res.status, StatusCode::OK, "{query}: {}", res.text);
    }
}

async fn malformed_task_ids_in_the_path_return_404(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    app.create_task_ok(&user.token, &json!({ "title": "x" }))
        .await;
    let ids = [
        "not-a-uuid",
        "0",
        "-1",
        "1.5",
        "99999999999999999999999",
        "0193a1b2-zzzz-7000-8000-000000000000",
    ];
    for id in ids {
        let path = task_path(id);
        let routes = [
            (Method::GET, path.clone(), None),
            (Method::PUT, path.clone(), Some(json!({ "title": "y" }))),
            (Method::PATCH, path.clone(), Some(json!({ "title": "y" }))),
            (Method::DELETE, path.clone(), None),
            (Method::PATCH, format!("{path}/complete"), None),
        ];
        for (method, path, body) in routes {
            // Act
            let request = app.authed_json(method.clone(), &path, &user.token, body.as_ref());
            let res = app.send(request).await;

            // Assert
            assert_eq!(
                res.status,
                StatusCode::NOT_FOUND,
                "{method} {path}: {}",
                res.text
            );
            assert_not_found(&res);
        }
    }
    assert_eq!(app.get_task(&user.token, "1").await.json()["title"], "x");
}

async fn unknown_task_ids_and_numbers_return_404(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    app.create_task_ok(&user.token, &json!({ "title": "x" }))
        .await;
    let missing = uuid::Uuid::now_v7().to_string();

    // `%237` is "#7", a number written the way chat refers to tasks.
    for id in [missing.as_str(), "2", "%237"] {
        // Act
        let get = app.get_task(&user.token, id).await;
        let patch = app
            .patch_task(&user.token, id, &json!({ "title": "y" }))
            .await;
        let complete = app.complete_task(&user.token, id, None).await;
        let delete = app.delete_task(&user.token, id).await;

        // Assert
        for res in [get, patch, complete, delete] {
            assert_not_found(&res);
        }
    }
}

async fn unknown_route_returns_404_problem(app: TestApp) {
    for path in [
        "/nope",
        "/api/v1/nothing",
        "/api/v1/tasks/1/nope",
        "/api/v2/nothing",
    ] {
        // Act
        let res = app.send(app.request(Method::GET, path)).await;

        // Assert
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{path}: {}", res.text);
        assert_not_found(&res);
    }
}

async fn wrong_method_returns_405_problem(app: TestApp) {
    let user = app.new_user().await;
    let cases = [
        (Method::DELETE, "/api/v1/tasks".to_owned()),
        (Method::PUT, "/api/v1/tasks".to_owned()),
        (Method::POST, task_path("1")),
        (Method::GET, format!("{}/complete", task_path("1"))),
        (Method::POST, "/api/v1/tasks/stats".to_owned()),
        (Method::GET, "/api/v1/auth/login".to_owned()),
        (Method::POST, "/health".to_owned()),
    ];
    for (method, path) in cases {
        // Act
        let res = app
            .send(app.authed(method.clone(), &path, &user.token))
            .await;

        // Assert
        assert_eq!(
            res.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}: {}",
            res.text
        );
        assert_problem(&res, StatusCode::METHOD_NOT_ALLOWED);
    }
}

async fn validation_problems_carry_every_rfc_9457_member(app: TestApp) {
    // Arrange
    let user = app.new_user().await;

    // Act
    let res = app
        .create_task(
            &user.token,
            &json!({ "title": "", "description": "d".repeat(1001), "priority": "LOW" }),
        )
        .await;

    // Assert
    let body = assert_invalid(&res, "title");
    assert_invalid(&res, "description");
    let members: Vec<&str> = body
        .as_object()
        .expect("problem is an object")
        .keys()
        .map(String::as_str)
        .collect();
    for member in ["type", "title", "status", "detail", "errors"] {
        assert!(members.contains(&member), "{member} missing: {body}");
    }
    assert_eq!(body["status"], 422);
}
