//! The compatibility routes of reference designs A, B and D: the same handlers and rules as the
//! canonical routes, plus a `{user_id}` in the path that must be the token's user.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    PASSWORD, TestApp, TestResponse, TestUser, assert_not_found, assert_problem,
    assert_unauthorized, both_backends, string_at, unique_email,
};

both_backends!(
    design_a_signs_up_logs_in_and_manages_tasks_through_its_routes,
    design_b_registers_logs_in_and_manages_todos_through_its_routes,
    design_d_manages_tasks_through_its_routes,
    tasks_made_on_canonical_routes_are_served_by_every_design,
    a_compatibility_list_pages_through_itself,
    another_users_id_in_the_path_is_403_on_every_user_id_route,
    no_or_bad_token_is_401_not_403_on_every_user_id_route,
    another_users_task_under_ones_own_user_id_is_404,
    the_user_id_in_the_path_matches_the_token_user_in_any_case,
    methods_a_design_lacks_are_405,
    openapi_lists_every_compatibility_route,
);

/// Each design's task collection path, with `{user_id}` still in it, and whether it has
/// `PATCH /{id}` (B and D only have `PUT`).
const DESIGNS: [(&str, &str, bool); 3] = [
    ("A", "/api/{user_id}/tasks", true),
    ("B", "/api/v1/{user_id}/todos", false),
    ("D", "/api/v1/{user_id}/tasks", false),
];

fn base(template: &str, user_id: &str) -> String {
    template.replace("{user_id}", user_id)
}

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> TestResponse {
    let request = match token {
        Some(token) => app.authed(method, path, token),
        None => app.request(method, path),
    };
    let request = match body {
        Some(body) => request.json(body),
        None => request,
    };
    app.send(request).await
}

/// Asserts `status` and returns the JSON body.
fn expect(res: &TestResponse, status: StatusCode, what: &str) -> Value {
    assert_eq!(res.status, status, "{what}: {}", res.text);
    res.json()
}

/// Every route with `{user_id}`, for `user_id` and the task `reference`, with a body for the
/// writes.
fn user_id_routes(user_id: &str, reference: &str) -> Vec<(Method, String, Option<Value>)> {
    let update = json!({ "title": "hijacked", "completed": true, "description": null });
    let mut routes = Vec::new();
    for (_, template, has_patch) in DESIGNS {
        let tasks = base(template, user_id);
        let task = format!("{tasks}/{reference}");
        let complete = format!("{task}/complete");
        routes.push((Method::GET, tasks.clone(), None));
        routes.push((Method::POST, tasks, Some(json!({ "title": "planted" }))));
        routes.push((Method::GET, task.clone(), None));
        routes.push((Method::PUT, task.clone(), Some(update.clone())));
        if has_patch {
            routes.push((Method::PATCH, task.clone(), Some(update.clone())));
        }
        routes.push((Method::DELETE, task, None));
        routes.push((
            Method::PATCH,
            complete.clone(),
            Some(json!({ "completed": true })),
        ));
        routes.push((Method::PATCH, complete, None));
    }
    routes
}

/// Create, list, get by UUID and by number, update, complete, toggle and delete through the
/// design's task routes at `tasks`, checking each effect through the canonical routes.
async fn manage_tasks(app: &TestApp, user: &TestUser, tasks: &str, has_patch: bool) {
    let token = Some(user.token.as_str());

    // Create: 201, the caller's task, visible on the canonical route.
    let body = json!({ "title": "Water the plants", "priority": "HIGH", "tags": ["home"] });
    let res = call(app, Method::POST, tasks, token, Some(&body)).await;
    let task = expect(&res, StatusCode::CREATED, "create");
    let id = string_at(&task, "/id");
    let number = task["number"].as_i64().expect("number").to_string();
    assert_eq!(task["user_id"], user.id.as_str());
    assert_eq!(task["title"], "Water the plants");
    // Location stays on the design's own path.
    assert_eq!(
        res.header("location"),
        Some(format!("{tasks}/{id}")).as_deref()
    );
    let canonical = app.get_task(&user.token, &id).await;
    assert_eq!(expect(&canonical, StatusCode::OK, "canonical get"), task);

    // List.
    let res = call(app, Method::GET, tasks, token, None).await;
    let listed = expect(&res, StatusCode::OK, "list");
    assert_eq!(listed, app.list_tasks(&user.token, "").await.json());
    assert!(
        listed
            .as_array()
            .is_some_and(|l| l.iter().any(|t| t["id"] == id.as_str())),
        "created task not listed: {listed}"
    );

    // Get by UUID and by number.
    for reference in [&id, &number] {
        let res = call(
            app,
            Method::GET,
            &format!("{tasks}/{reference}"),
            token,
            None,
        )
        .await;
        assert_eq!(expect(&res, StatusCode::OK, "get"), task);
        assert!(res.header("etag").is_some(), "get without ETag");
    }

    // PUT (a partial update, like the canonical one), by number.
    let path = format!("{tasks}/{number}");
    let res = call(
        app,
        Method::PUT,
        &path,
        token,
        Some(&json!({ "title": "Water the ferns" })),
    )
    .await;
    let put = expect(&res, StatusCode::OK, "put");
    assert_eq!(put["title"], "Water the ferns");
    assert_eq!(
        put["priority"], "HIGH",
        "PUT must leave absent fields alone"
    );
    let canonical = app.get_task(&user.token, &id).await.json();
    assert_eq!(canonical["title"], "Water the ferns");

    // PATCH, where the design has it.
    let res = call(
        app,
        Method::PATCH,
        &format!("{tasks}/{id}"),
        token,
        Some(&json!({ "description": "twice a week" })),
    )
    .await;
    if has_patch {
        let patched = expect(&res, StatusCode::OK, "patch");
        assert_eq!(patched["description"], "twice a week");
        assert_eq!(patched["title"], "Water the ferns");
        let canonical = app.get_task(&user.token, &id).await.json();
        assert_eq!(canonical["description"], "twice a week");
    } else {
        assert_problem(&res, StatusCode::METHOD_NOT_ALLOWED);
    }

    // Complete, then toggle back with no body.
    let complete = format!("{tasks}/{id}/complete");
    let body = json!({ "completed": true });
    let res = call(app, Method::PATCH, &complete, token, Some(&body)).await;
    let done = expect(&res, StatusCode::OK, "complete");
    assert_eq!(done["completed"], true);
    assert_eq!(done["next_occurrence"], Value::Null);
    assert_eq!(
        app.get_task(&user.token, &id).await.json()["completed"],
        true
    );
    let res = call(app, Method::PATCH, &complete, token, None).await;
    assert_eq!(expect(&res, StatusCode::OK, "toggle")["completed"], false);
    assert_eq!(
        app.get_task(&user.token, &id).await.json()["completed"],
        false
    );

    // Delete: the canonical body, and gone everywhere.
    let res = call(app, Method::DELETE, &format!("{tasks}/{id}"), token, None).await;
    assert_eq!(
        expect(&res, StatusCode::OK, "delete"),
        json!({ "message": "Task deleted successfully", "deleted_id": id })
    );
    assert_not_found(&app.get_task(&user.token, &id).await);
    assert_not_found(&call(app, Method::GET, &format!("{tasks}/{id}"), token, None).await);
}

async fn design_a_signs_up_logs_in_and_manages_tasks_through_its_routes(app: TestApp) {
    // Arrange + Act: sign up and log in on design A's routes.
    let email = unique_email();
    let signup = json!({ "email": email, "password": PASSWORD, "name": "Ada" });
    let res = call(&app, Method::POST, "/api/auth/signup", None, Some(&signup)).await;
    let signed_up = expect(&res, StatusCode::CREATED, "signup");
    let user_id = string_at(&signed_up, "/user/id");
    let login = json!({ "email": email, "password": PASSWORD });
    let res = call(&app, Method::POST, "/api/auth/login", None, Some(&login)).await;
    let logged_in = expect(&res, StatusCode::OK, "login");

    // Assert: the canonical shape, and the token works on the canonical routes.
    assert_eq!(string_at(&logged_in, "/user/id"), user_id);
    assert_eq!(logged_in["token_type"], "bearer");
    let user = TestUser {
        id: user_id.clone(),
        email,
        password: PASSWORD.to_owned(),
        token: string_at(&logged_in, "/token"),
    };
    assert_eq!(app.me(&user.token).await.json()["id"], user_id.as_str());
    let res = call(
        &app,
        Method::POST,
        "/api/auth/login",
        None,
        Some(&json!({
        "email": user.email, "password": "wrong password" })),
    )
    .await;
    assert_unauthorized(&res);

    // Act + Assert: the task routes.
    manage_tasks(&app, &user, &base("/api/{user_id}/tasks", &user_id), true).await;
}

async fn design_b_registers_logs_in_and_manages_todos_through_its_routes(app: TestApp) {
    // Arrange + Act: register, log in, me and validate-token on design B's routes.
    let email = unique_email();
    let register = json!({ "email": email, "password": PASSWORD, "name": "Bea" });
    let res = call(
        &app,
        Method::POST,
        "/api/v1/users/register",
        None,
        Some(&register),
    )
    .await;
    let registered = expect(&res, StatusCode::CREATED, "register");
    let user_id = string_at(&registered, "/user/id");
    let login = json!({ "email": email.to_uppercase(), "password": PASSWORD });
    let res = call(
        &app,
        Method::POST,
        "/api/v1/users/login",
        None,
        Some(&login),
    )
    .await;
    let token = string_at(&expect(&res, StatusCode::OK, "login"), "/token");
    let me = call(&app, Method::GET, "/api/v1/me", Some(&token), None).await;
    let valid = call(
        &app,
        Method::GET,
        "/api/v1/validate-token",
        Some(&token),
        None,
    )
    .await;

    // Assert
    let me = expect(&me, StatusCode::OK, "me");
    assert_eq!(me, app.me(&token).await.json());
    assert_eq!(me["email"], email.as_str());
    let valid = expect(&valid, StatusCode::OK, "validate-token");
    assert_eq!(valid["valid"], true);
    assert_eq!(valid["user_id"], user_id.as_str());
    assert_unauthorized(&call(&app, Method::GET, "/api/v1/me", None, None).await);
    assert_unauthorized(
        &call(
            &app,
            Method::GET,
            "/api/v1/validate-token",
            Some("x.y.z"),
            None,
        )
        .await,
    );
    let res = call(
        &app,
        Method::POST,
        "/api/v1/users/register",
        None,
        Some(&register),
    )
    .await;
    assert_problem(&res, StatusCode::CONFLICT);

    // Act + Assert: the todo routes.
    let user = TestUser {
        id: user_id.clone(),
        email,
        password: PASSWORD.to_owned(),
        token,
    };
    manage_tasks(
        &app,
        &user,
        &base("/api/v1/{user_id}/todos", &user_id),
        false,
    )
    .await;
}

async fn design_d_manages_tasks_through_its_routes(app: TestApp) {
    // Arrange: design D has no account routes of its own.
    let user = app.new_user().await;

    // Act + Assert
    manage_tasks(
        &app,
        &user,
        &base("/api/v1/{user_id}/tasks", &user.id),
        false,
    )
    .await;
}

async fn tasks_made_on_canonical_routes_are_served_by_every_design(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let first = app
        .create_task_ok(&user.token, &json!({ "title": "one" }))
        .await;
    let second = app
        .create_task_ok(&user.token, &json!({ "title": "two" }))
        .await;
    let canonical_list = app.list_tasks(&user.token, "").await.json();
    let token = Some(user.token.as_str());

    for (design, template, _) in DESIGNS {
        let tasks = base(template, &user.id);

        // Act
        let list = call(&app, Method::GET, &tasks, token, None).await;
        let by_number = call(&app, Method::GET, &format!("{tasks}/2"), token, None).await;
        let by_id = format!("{tasks}/{}", string_at(&first, "/id"));
        let by_id = call(&app, Method::GET, &by_id, token, None).await;

        // Assert
        assert_eq!(
            expect(&list, StatusCode::OK, design),
            canonical_list,
            "{design}"
        );
        assert_eq!(
            expect(&by_number, StatusCode::OK, design),
            second,
            "{design}"
        );
        assert_eq!(expect(&by_id, StatusCode::OK, design), first, "{design}");
    }

    // A filter on a compatibility list behaves as on the canonical one.
    let tasks = base("/api/v1/{user_id}/todos", &user.id);
    app.complete_task(&user.token, "1", None).await;
    let res = call(
        &app,
        Method::GET,
        &format!("{tasks}?status=pending"),
        token,
        None,
    )
    .await;
    assert_eq!(
        expect(&res, StatusCode::OK, "filtered list"),
        app.list_tasks(&user.token, "status=pending").await.json()
    );
    let res = call(&app, Method::GET, &format!("{tasks}?limit=0"), token, None).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
}

async fn a_compatibility_list_pages_through_itself(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    for title in ["one", "two", "three"] {
        app.create_task_ok(&user.token, &json!({ "title": title }))
            .await;
    }
    let token = Some(user.token.as_str());

    for (design, template, _) in DESIGNS {
        let tasks = base(template, &user.id);

        // Act
        let first = call(&app, Method::GET, &format!("{tasks}?limit=2"), token, None).await;
        let link = first.header("link").unwrap_or_default().to_owned();
        let next = link
            .strip_prefix('<')
            .and_then(|l| l.split_once('>'))
            .map(|(path, _)| path.to_owned())
            .unwrap_or_else(|| panic!("{design}: no Link: {link:?}"));
        let second = call(&app, Method::GET, &next, token, None).await;

        // Assert: the next page is on the same compatibility path, and the pages cover all.
        assert!(next.starts_with(&format!("{tasks}?")), "{design}: {link}");
        assert_eq!(first.header("x-total-count"), Some("3"), "{design}");
        let mut seen: Vec<Value> = expect(&first, StatusCode::OK, design)
            .as_array()
            .expect("array")
            .clone();
        seen.extend(
            expect(&second, StatusCode::OK, design)
                .as_array()
                .expect("array")
                .clone(),
        );
        assert!(second.header("link").is_none(), "{design}: a third page");
        let mut titles: Vec<&str> = seen.iter().filter_map(|t| t["title"].as_str()).collect();
        titles.sort_unstable();
        assert_eq!(titles, ["one", "three", "two"], "{design}");
    }
}

async fn another_users_id_in_the_path_is_403_on_every_user_id_route(app: TestApp) {
    // Arrange
    let alice = app.new_user().await;
    let task = app
        .create_task_ok(
            &alice.token,
            &json!({ "title": "Alice's", "description": "private" }),
        )
        .await;
    let bob = app.new_user().await;
    let before = app.list_tasks(&alice.token, "").await.json();

    for reference in [string_at(&task, "/id"), "1".to_owned()] {
        for (method, path, body) in user_id_routes(&alice.id, &reference) {
            // Act: Bob's token, Alice's id in the path.
            let res = call(&app, method.clone(), &path, Some(&bob.token), body.as_ref()).await;

            // Assert
            assert_problem(&res, StatusCode::FORBIDDEN);
            assert!(res.header("www-authenticate").is_none(), "{method} {path}");
        }
    }

    // Nothing changed for either of them.
    assert_eq!(app.list_tasks(&alice.token, "").await.json(), before);
    assert_eq!(app.list_tasks(&bob.token, "").await.json(), json!([]));
    // A made-up id is refused the same way.
    let stranger = uuid::Uuid::now_v7().to_string();
    for (method, path, body) in user_id_routes(&stranger, "1") {
        let res = call(&app, method.clone(), &path, Some(&bob.token), body.as_ref()).await;
        assert_eq!(
            res.status,
            StatusCode::FORBIDDEN,
            "{method} {path}: {}",
            res.text
        );
    }
}

async fn no_or_bad_token_is_401_not_403_on_every_user_id_route(app: TestApp) {
    // Arrange
    let alice = app.new_user().await;
    let task = app
        .create_task_ok(&alice.token, &json!({ "title": "Alice's" }))
        .await;
    let before = app.list_tasks(&alice.token, "").await.json();

    for user_id in [alice.id.clone(), uuid::Uuid::now_v7().to_string()] {
        for (method, path, body) in user_id_routes(&user_id, &string_at(&task, "/id")) {
            for token in [None, Some("not-a-jwt")] {
                // Act
                let res = call(&app, method.clone(), &path, token, body.as_ref()).await;

                // Assert
                assert_eq!(
                    res.status,
                    StatusCode::UNAUTHORIZED,
                    "{method} {path}: {}",
                    res.text
                );
                assert_unauthorized(&res);
            }
        }
    }
    assert_eq!(app.list_tasks(&alice.token, "").await.json(), before);
}

async fn another_users_task_under_ones_own_user_id_is_404(app: TestApp) {
    // Arrange: Alice has task number 1; Bob has none.
    let alice = app.new_user().await;
    let task = app
        .create_task_ok(
            &alice.token,
            &json!({ "title": "Alice's", "description": "private" }),
        )
        .await;
    let bob = app.new_user().await;
    let missing = app
        .get_task(&bob.token, &uuid::Uuid::now_v7().to_string())
        .await
        .json();

    for reference in [string_at(&task, "/id"), "1".to_owned()] {
        for (method, path, body) in user_id_routes(&bob.id, &reference) {
            if DESIGNS
                .iter()
                .any(|(_, tasks, _)| path == base(tasks, &bob.id))
            {
                continue; // list and create name no task
            }
            // Act
            let res = call(&app, method.clone(), &path, Some(&bob.token), body.as_ref()).await;

            // Assert: indistinguishable from a task that does not exist.
            assert_eq!(
                res.status,
                StatusCode::NOT_FOUND,
                "{method} {path}: {}",
                res.text
            );
            assert_eq!(assert_not_found(&res), missing, "{method} {path}");
        }
    }
    assert_eq!(
        app.get_task(&alice.token, &string_at(&task, "/id"))
            .await
            .json(),
        task
    );
}

async fn the_user_id_in_the_path_matches_the_token_user_in_any_case(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    app.create_task_ok(&user.token, &json!({ "title": "mine" }))
        .await;

    for (design, template, _) in DESIGNS {
        // Act
        let path = format!("{}/1", base(template, &user.id.to_uppercase()));
        let res = call(&app, Method::GET, &path, Some(&user.token), None).await;

        // Assert
        assert_eq!(expect(&res, StatusCode::OK, design)["title"], "mine");
    }
}

async fn methods_a_design_lacks_are_405(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    app.create_task_ok(&user.token, &json!({ "title": "mine" }))
        .await;
    let token = Some(user.token.as_str());
    let body = json!({ "title": "patched" });

    // Act + Assert: B and D have PUT but no PATCH on a task; B has no PATCH on /me.
    for template in ["/api/v1/{user_id}/todos/1", "/api/v1/{user_id}/tasks/1"] {
        let path = base(template, &user.id);
        let res = call(&app, Method::PATCH, &path, token, Some(&body)).await;
        assert_problem(&res, StatusCode::METHOD_NOT_ALLOWED);
    }
    let res = call(&app, Method::PATCH, "/api/v1/me", token, Some(&body)).await;
    assert_problem(&res, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(app.get_task(&user.token, "1").await.json()["title"], "mine");
}

async fn openapi_lists_every_compatibility_route(app: TestApp) {
    // Act
    let res = call(&app, Method::GET, "/openapi.json", None, None).await;

    // Assert
    let doc = expect(&res, StatusCode::OK, "openapi.json");
    let paths = doc["paths"].as_object().expect("paths");
    let expected = [
        ("/api/auth/signup", "post"),
        ("/api/auth/login", "post"),
        ("/api/{user_id}/tasks", "get"),
        ("/api/{user_id}/tasks", "post"),
        ("/api/{user_id}/tasks/{id}", "get"),
        ("/api/{user_id}/tasks/{id}", "put"),
        ("/api/{user_id}/tasks/{id}", "patch"),
        ("/api/{user_id}/tasks/{id}", "delete"),
        ("/api/{user_id}/tasks/{id}/complete", "patch"),
        ("/api/{user_id}/chat", "post"),
        ("/api/v1/users/register", "post"),
        ("/api/v1/users/login", "post"),
        ("/api/v1/me", "get"),
        ("/api/v1/validate-token", "get"),
        ("/api/v1/{user_id}/todos", "get"),
        ("/api/v1/{user_id}/todos", "post"),
        ("/api/v1/{user_id}/todos/{id}", "get"),
        ("/api/v1/{user_id}/todos/{id}", "put"),
        ("/api/v1/{user_id}/todos/{id}", "delete"),
        ("/api/v1/{user_id}/todos/{id}/complete", "patch"),
        ("/api/v1/{user_id}/tasks", "get"),
        ("/api/v1/{user_id}/tasks", "post"),
        ("/api/v1/{user_id}/tasks/{id}", "get"),
        ("/api/v1/{user_id}/tasks/{id}", "put"),
        ("/api/v1/{user_id}/tasks/{id}", "delete"),
        ("/api/v1/{user_id}/tasks/{id}/complete", "patch"),
    ];
    for (path, method) in expected {
        let operation = &paths
            .get(path)
            .unwrap_or_else(|| panic!("{path} missing from the OpenAPI document"))[method];
        assert!(operation.is_object(), "{method} {path} missing");
        assert_eq!(
            operation["tags"],
            json!(["compatibility"]),
            "{method} {path}"
        );
        let names: Vec<&str> = operation["parameters"]
            .as_array()
            .map(|ps| ps.iter().filter_map(|p| p["name"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(
            names.contains(&"user_id"),
            path.contains("{user_id}"),
            "{method} {path}: parameters {names:?}"
        );
        assert_eq!(
            names.contains(&"id"),
            path.contains("{id}"),
            "{method} {path}: parameters {names:?}"
        );
        if path.contains("{user_id}") {
            assert!(
                operation["responses"]["403"].is_object(),
                "{method} {path}: no 403"
            );
        }
    }
    // Nothing else is documented under the compatibility tag, and operation ids stay unique.
    let mut ids = Vec::new();
    let mut tagged = 0;
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("path item") {
            if let Some(id) = operation["operationId"].as_str() {
                ids.push(id.to_owned());
            }
            if operation["tags"] == json!(["compatibility"]) {
                tagged += 1;
                assert!(
                    expected.contains(&(path.as_str(), method.as_str())),
                    "{method} {path}"
                );
            }
        }
    }
    assert_eq!(tagged, expected.len());
    let count = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), count, "duplicate operationId");
}
