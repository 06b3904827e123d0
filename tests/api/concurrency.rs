//! Concurrent writes: numbers stay unique, a recurring task yields one next occurrence, and no
//! update is lost.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, both_backends, string_at, task_path};

both_backends!(
    concurrent_creates_get_distinct_consecutive_numbers,
    concurrent_completions_of_a_recurring_task_create_one_occurrence,
    concurrent_updates_of_different_fields_are_all_kept,
);

async fn concurrent_creates_get_distinct_consecutive_numbers(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let requests = (1..=10)
        .map(|i| {
            app.authed(Method::POST, "/api/v1/tasks", &user.token)
                .json(&json!({ "title": format!("task {i}") }))
        })
        .collect();

    // Act
    let responses = app.send_all(requests).await;

    // Assert
    let mut numbers: Vec<i64> = responses
        .iter()
        .map(|res| {
            assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
            res.json()["number"].as_i64().expect("number")
        })
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=10).collect::<Vec<i64>>());
}

async fn concurrent_completions_of_a_recurring_task_create_one_occurrence(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let task = app
        .create_task_ok(
            &user.token,
            &json!({ "title": "Daily", "recurrence_pattern": "DAILY", "due_date": "2099-01-01T09:00:00Z" }),
        )
        .await;
    let path = format!("{}/complete", task_path(&string_at(&task, "/id")));
    let requests = (0..20)
        .map(|_| {
            app.authed(Method::PATCH, &path, &user.token)
                .json(&json!({ "completed": true }))
        })
        .collect();

    // Act
    let responses = app.send_all(requests).await;

    // Assert
    for res in &responses {
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!(res.json()["completed"], true);
    }
    let occurrences = responses
        .iter()
        .filter(|res| !res.json()["next_occurrence"].is_null())
        .count();
    assert_eq!(
        occurrences, 1,
        "exactly one completion creates the next one"
    );
    let all = app.list_tasks(&user.token, "").await.json();
    assert_eq!(all.as_array().map(Vec::len), Some(2), "{all}");
    assert_eq!(all[0]["due_date"], "2099-01-02T09:00:00Z");
}

async fn concurrent_updates_of_different_fields_are_all_kept(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    app.create_task_ok(&user.token, &json!({ "title": "Original" }))
        .await;
    let patches = [
        json!({ "title": "Renamed" }),
        json!({ "description": "Described" }),
        json!({ "priority": "HIGH" }),
        json!({ "tags": ["tagged"] }),
        json!({ "due_date": "2099-01-01T00:00:00Z" }),
    ];
    let requests = patches
        .iter()
        .map(|patch| {
            app.authed(Method::PATCH, &task_path("1"), &user.token)
                .json(patch)
        })
        .collect();

    // Act
    let responses = app.send_all(requests).await;

    // Assert
    for res in &responses {
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    }
    let task = app.get_task(&user.token, "1").await.json();
    assert_eq!(task["title"], "Renamed");
    assert_eq!(task["description"], "Described");
    assert_eq!(task["priority"], "HIGH");
    assert_eq!(task["tags"], json!(["tagged"]));
    assert_eq!(task["due_date"], "2099-01-01T00:00:00Z");
}
