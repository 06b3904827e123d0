//! Isolation between users: another user's task is "not found" on every route, by id and by
//! number, and is never changed.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, assert_not_found, both_backends, string_at, task_path};

both_backends!(
    another_users_task_is_404_on_every_task_route_by_id_and_number,
    another_users_task_is_never_changed_by_writes,
    lists_and_stats_show_only_the_callers_tasks,
);

/// Alice with one fully populated task (number 1), and Bob with none.
async fn alice_task_and_bob(app: &TestApp) -> (TestUser, Value, TestUser) {
    let alice = app.new_user().await;
    let task = app
        .create_task_ok(
            &alice.token,
            &json!({
                "title": "Alice's secret",
                "description": "private",
                "priority": "HIGH",
                "tags": ["private"],
                "due_date": "2099-05-01T10:00:00Z",
                "recurrence_pattern": "DAILY",
            }),
        )
        .await;
    let bob = app.new_user().await;
    (alice, task, bob)
}

/// Every task route with `reference` in the path, and a body for the writes.
fn task_routes(reference: &str) -> Vec<(Method, String, Option<Value>)> {
    let path = task_path(reference);
    let complete = format!("{path}/complete");
    let update = json!({ "title": "hijacked", "completed": true, "description": null });
    vec![
        (Method::GET, path.clone(), None),
        (Method::PUT, path.clone(), Some(update.clone())),
        (Method::PATCH, path.clone(), Some(update)),
        (
            Method::PATCH,
            complete.clone(),
            Some(json!({ "completed": true })),
        ),
        (Method::PATCH, complete, None),
        (Method::DELETE, path, None),
    ]
}

async fn another_users_task_is_404_on_every_task_route_by_id_and_number(app: TestApp) {
    // Arrange
    let (_alice, task, bob) = alice_task_and_bob(&app).await;
    let missing = uuid::Uuid::now_v7().to_string();
    let never_exists = app.get_task(&bob.token, &missing).await.json();

    for reference in [string_at(&task, "/id"), "1".to_owned()] {
        for (method, path, body) in task_routes(&reference) {
            // Act
            let request = app.authed_json(method.clone(), &path, &bob.token, body.as_ref());
            let res = app.send(request).await;

            // Assert: indistinguishable from a task that does not exist.
            assert_eq!(
                res.status,
                StatusCode::NOT_FOUND,
                "{method} {path}: {}",
                res.text
            );
            assert_eq!(assert_not_found(&res), never_exists, "{method} {path}");
        }
    }
}

async fn another_users_task_is_never_changed_by_writes(app: TestApp) {
    // Arrange
    let (alice, task, bob) = alice_task_and_bob(&app).await;
    let id = string_at(&task, "/id");

    // Act
    for reference in [id.clone(), "1".to_owned()] {
        for (method, path, body) in task_routes(&reference) {
            app.send(app.authed_json(method, &path, &bob.token, body.as_ref()))
                .await;
        }
    }

    // Assert: same fields, same updated_at, no occurrence created, nothing for Bob.
    let after = app.get_task(&alice.token, &id).await;
    assert_eq!(after.status, StatusCode::OK, "{}", after.text);
    assert_eq!(after.json(), task);
    let alices = app.list_tasks(&alice.token, "").await.json();
    assert_eq!(alices.as_array().map(Vec::len), Some(1), "{alices}");
    assert_eq!(app.list_tasks(&bob.token, "").await.json(), json!([]));
}

async fn lists_and_stats_show_only_the_callers_tasks(app: TestApp) {
    // Arrange
    let (alice, task, bob) = alice_task_and_bob(&app).await;
    let bobs = app
        .create_task_ok(&bob.token, &json!({ "title": "Bob's own" }))
        .await;

    // Act
    let bob_list = app.list_tasks(&bob.token, "status=all").await.json();
    let bob_stats = app.stats(&bob.token).await.json();
    let bob_number_one = app.get_task(&bob.token, "1").await.json();
    let alice_list = app.list_tasks(&alice.token, "").await.json();

    // Assert: both have a task 1, each sees only their own.
    assert_eq!(bob_list, json!([bobs.clone()]));
    assert_eq!(bob_stats["total"], 1);
    assert_eq!(bob_stats["by_priority"]["HIGH"], 0);
    assert_eq!(bob_number_one, bobs);
    assert_eq!(alice_list, json!([task]));
}
