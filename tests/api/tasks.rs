//! Task routes: create, read, list, update, delete and stats (completion is in `completion`).

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, assert_invalid, assert_not_found, both_backends, instant, numbers, string_at,
};

both_backends!(
    create_task_returns_201_with_location_and_every_field,
    create_task_with_only_a_title_uses_the_defaults,
    task_numbers_count_from_one_per_user_and_are_never_reused,
    get_task_by_uuid_and_by_number_returns_the_same_task,
    list_tasks_is_newest_first_and_filters_by_status_and_limit,
    list_tasks_of_a_new_user_is_empty,
    put_and_patch_leave_absent_fields_unchanged,
    patch_with_null_clears_description_and_due_date,
    patch_with_null_title_returns_422_and_changes_nothing,
    patch_by_number_updates_the_task,
    patch_recurrence_off_clears_the_pattern,
    delete_task_returns_the_message_and_then_404,
    delete_task_by_number_deletes_it,
    stats_count_tasks_by_state_and_priority,
);

async fn create_task_returns_201_with_location_and_every_field(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let body = json!({
        "title": "Write the report",
        "description": "Quarterly numbers",
        "priority": "MEDIUM",
        "tags": ["work", "q3"],
        "due_date": "2099-03-01T17:00:00Z",
    });

    // Act
    let res = app.create_task(&user.token, &body).await;

    // Assert
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let task = res.json();
    let id = uuid::Uuid::parse_str(&string_at(&task, "/id")).expect("id is a UUID");
    assert_eq!(id.get_version_num(), 7, "id is a UUID v7");
    assert_eq!(
        res.header("location"),
        Some(format!("/api/v1/tasks/{id}").as_str())
    );
    assert!(res.header("etag").is_some());
    assert_eq!(task["number"], 1);
    assert_eq!(task["user_id"], user.id.as_str());
    assert_eq!(task["title"], "Write the report");
    assert_eq!(task["description"], "Quarterly numbers");
    assert_eq!(task["completed"], false);
    assert_eq!(task["priority"], "MEDIUM");
    assert_eq!(task["tags"], json!(["work", "q3"]));
    assert_eq!(task["due_date"], "2099-03-01T17:00:00Z");
    assert_eq!(task["is_recurring"], false);
    assert_eq!(task["recurrence_pattern"], Value::Null);
    assert_eq!(task["recurrence_interval"], 1);
    assert_eq!(task["completed_at"], Value::Null);
    let created = instant(&task, "/created_at");
    assert_eq!(created, instant(&task, "/updated_at"));
    assert!((Utc::now() - created).abs() < Duration::minutes(1));
    // The location serves the same task.
    let fetched = app.get_task(&user.token, &id.to_string()).await;
    assert_eq!(fetched.json(), task);
}

async fn create_task_with_only_a_title_uses_the_defaults(app: TestApp) {
    // Arrange
    let user = app.new_user().await;

    // Act
    let task = app
        .create_task_ok(&user.token, &json!({ "title": "Minimal" }))
        .await;

    // Assert
    assert_eq!(task["description"], Value::Null);
    assert_eq!(task["completed"], false);
    assert_eq!(task["priority"], "NONE");
    assert_eq!(task["tags"], json!([]));
    assert_eq!(task["due_date"], Value::Null);
    assert_eq!(task["is_recurring"], false);
    assert_eq!(task["recurrence_pattern"], Value::Null);
    assert_eq!(task["recurrence_interval"], 1);
    assert_eq!(task["completed_at"], Value::Null);
}

async fn task_numbers_count_from_one_per_user_and_are_never_reused(app: TestApp) {
    // Arrange
    let alice = app.new_user().await;
    let bob = app.new_user().await;
    let mut alice_numbers = Vec::new();
    for title in ["one", "two", "three"] {
        let task = app
            .create_task_ok(&alice.token, &json!({ "title": title }))
            .await;
        alice_numbers.push(task["number"].as_i64().expect("number"));
    }

    // Act
    let bobs_first = app
        .create_task_ok(&bob.token, &json!({ "title": "bob's" }))
        .await;
    let deleted = app.delete_task(&alice.token, "3").await;
    let after_delete = app
        .create_task_ok(&alice.token, &json!({ "title": "four" }))
        .await;

    // Assert
    assert_eq!(alice_numbers, vec![1, 2, 3]);
    assert_eq!(bobs_first["number"], 1);
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.text);
    assert_eq!(after_delete["number"], 4);
}

async fn get_task_by_uuid_and_by_number_returns_the_same_task(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    app.create_task_ok(&user.token, &json!({ "title": "first" }))
        .await;
    let second = app
        .create_task_ok(&user.token, &json!({ "title": "second" }))
        .await;

    // Act
    let by_id = app.get_task(&user.token, &string_at(&second, "/id")).await;
    let by_number = app.get_task(&user.token, "2").await;

    // Assert
    assert_eq!(by_id.status, StatusCode::OK, "{}", by_id.text);
    assert_eq!(by_number.status, StatusCode::OK, "{}", by_number.text);
    assert_eq!(by_id.json(), second);
    assert_eq!(by_number.json(), second);
    assert!(by_id.header("etag").is_some());
}

async fn list_tasks_is_newest_first_and_filters_by_status_and_limit(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    for title in ["one", "two", "three"] {
        app.create_task_ok(&user.token, &json!({ "title": title }))
            .await;
    }
    let done = app
        .complete_task(&user.token, "2", Some(&json!({ "completed": true })))
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);

    // Act
    let all = app.list_tasks(&user.token, "").await;
    let explicit_all = app.list_tasks(&user.token, "status=all").await;
    let pending = app.list_tasks(&user.token, "status=pending").await;
    let completed = app.list_tasks(&user.token, "status=completed").await;
    let limited = app.list_tasks(&user.token, "limit=2").await;
    let pending_limited = app.list_tasks(&user.token, "status=pending&limit=1").await;

    // Assert
    assert_eq!(all.status, StatusCode::OK, "{}", all.text);
    assert_eq!(numbers(&all.json()), vec![3, 2, 1]);
    assert_eq!(numbers(&explicit_all.json()), vec![3, 2, 1]);
    assert_eq!(numbers(&pending.json()), vec![3, 1]);
    assert_eq!(numbers(&completed.json()), vec![2]);
    assert_eq!(numbers(&limited.json()), vec![3, 2]);
    assert_eq!(numbers(&pending_limited.json()), vec![3]);
    assert_eq!(all.json()[0]["title"], "three");
}

async fn list_tasks_of_a_new_user_is_empty(app: TestApp) {
    // Arrange
    let user = app.new_user().await;

    // Act
    let res = app.list_tasks(&user.token, "").await;

    // Assert
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json(), json!([]));
}

async fn put_and_patch_leave_absent_fields_unchanged(app: TestApp) {
    for method in ["PUT", "PATCH"] {
        // Arrange
        let user = app.new_user().await;
        let original = app
            .create_task_ok(
                &user.token,
                &json!({
                    "title": "Original",
                    "description": "Keep me",
                    "priority": "LOW",
                    "tags": ["a", "b"],
                    "due_date": "2099-01-01T00:00:00Z",
                }),
            )
            .await;
        let id = string_at(&original, "/id");
        let patch = json!({ "priority": "HIGH", "title": "  Renamed  " });

        // Act
        let res = if method == "PUT" {
            app.put_task(&user.token, &id, &patch).await
        } else {
            app.patch_task(&user.token, &id, &patch).await
        };

        // Assert
        assert_eq!(res.status, StatusCode::OK, "{method}: {}", res.text);
        let updated = res.json();
        assert_eq!(updated["title"], "Renamed", "{method}");
        assert_eq!(updated["priority"], "HIGH", "{method}");
        for field in [
            "id",
            "number",
            "user_id",
            "description",
            "completed",
            "tags",
            "due_date",
            "is_recurring",
            "recurrence_pattern",
            "recurrence_interval",
            "created_at",
            "completed_at",
        ] {
            assert_eq!(updated[field], original[field], "{method} changed {field}");
        }
        assert!(instant(&updated, "/updated_at") >= instant(&original, "/updated_at"));
        assert_eq!(app.get_task(&user.token, &id).await.json(), updated);
    }
}

async fn patch_with_null_clears_description_and_due_date(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let original = app
        .create_task_ok(
            &user.token,
            &json!({
                "title": "Has extras",
                "description": "to be cleared",
                "due_date": "2099-01-01T00:00:00Z",
                "priority": "HIGH",
                "tags": ["x"],
            }),
        )
        .await;
    let id = string_at(&original, "/id");

    // Act
    let res = app
        .patch_task(
            &user.token,
            &id,
            &json!({ "description": null, "due_date": null }),
        )
        .await;
    let rest = app
        .patch_task(&user.token, &id, &json!({ "priority": null, "tags": null }))
        .await;

    // Assert
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let updated = res.json();
    assert_eq!(updated["description"], Value::Null);
    assert_eq!(updated["due_date"], Value::Null);
    assert_eq!(updated["title"], "Has extras");
    assert_eq!(updated["priority"], "HIGH");
    assert_eq!(updated["tags"], json!(["x"]));
    let fetched = app.get_task(&user.token, &id).await.json();
    assert_eq!(fetched["description"], Value::Null);
    assert_eq!(fetched["due_date"], Value::Null);
    // `null` resets the non-nullable ones to their defaults.
    assert_eq!(rest.status, StatusCode::OK, "{}", rest.text);
    assert_eq!(rest.json()["priority"], "NONE");
    assert_eq!(rest.json()["tags"], json!([]));
}

async fn patch_with_null_title_returns_422_and_changes_nothing(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let original = app
        .create_task_ok(&user.token, &json!({ "title": "Keep" }))
        .await;
    let id = string_at(&original, "/id");

    // Act
    let patched = app
        .patch_task(
            &user.token,
            &id,
            &json!({ "title": null, "priority": "HIGH" }),
        )
        .await;
    let put = app
        .put_task(&user.token, &id, &json!({ "title": null }))
        .await;

    // Assert
    assert_invalid(&patched, "title");
    assert_invalid(&put, "title");
    assert_eq!(app.get_task(&user.token, &id).await.json(), original);
}

async fn patch_by_number_updates_the_task(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let original = app
        .create_task_ok(&user.token, &json!({ "title": "By number" }))
        .await;

    // Act
    let res = app
        .patch_task(&user.token, "1", &json!({ "completed": true }))
        .await;

    // Assert
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let updated = res.json();
    assert_eq!(updated["id"], original["id"]);
    assert_eq!(updated["completed"], true);
    assert!(updated["completed_at"].is_string());
    let reopened = app
        .put_task(&user.token, "1", &json!({ "completed": false }))
        .await
        .json();
    assert_eq!(reopened["completed"], false);
    assert_eq!(reopened["completed_at"], Value::Null);
}

async fn patch_recurrence_off_clears_the_pattern(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    app.create_task_ok(
        &user.token,
        &json!({ "title": "Daily", "recurrence_pattern": "DAILY", "recurrence_interval": 3 }),
    )
    .await;

    // Act
    let off = app
        .patch_task(&user.token, "1", &json!({ "is_recurring": false }))
        .await;
    let on = app
        .patch_task(
            &user.token,
            "1",
            &json!({ "recurrence_pattern": "MONTHLY" }),
        )
        .await;

    // Assert
    assert_eq!(off.status, StatusCode::OK, "{}", off.text);
    assert_eq!(off.json()["is_recurring"], false);
    assert_eq!(off.json()["recurrence_pattern"], Value::Null);
    assert_eq!(on.status, StatusCode::OK, "{}", on.text);
    assert_eq!(on.json()["is_recurring"], true);
    assert_eq!(on.json()["recurrence_pattern"], "MONTHLY");
    assert_eq!(on.json()["recurrence_interval"], 3);
}

async fn delete_task_returns_the_message_and_then_404(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let task = app
        .create_task_ok(&user.token, &json!({ "title": "Short-lived" }))
        .await;
    let id = string_at(&task, "/id");

    // Act
    let res = app.delete_task(&user.token, &id).await;

    // Assert
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(
        res.json(),
        json!({ "message": "Task deleted successfully", "deleted_id": id })
    );
    assert_not_found(&app.get_task(&user.token, &id).await);
    assert_not_found(&app.get_task(&user.token, "1").await);
    assert_not_found(&app.delete_task(&user.token, &id).await);
    assert_eq!(app.list_tasks(&user.token, "").await.json(), json!([]));
}

async fn delete_task_by_number_deletes_it(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let task = app
        .create_task_ok(&user.token, &json!({ "title": "By number" }))
        .await;

    // Act
    let res = app.delete_task(&user.token, "1").await;

    // Assert
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["deleted_id"], task["id"]);
    assert_not_found(&app.get_task(&user.token, &string_at(&task, "/id")).await);
}

async fn stats_count_tasks_by_state_and_priority(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let empty = app.stats(&user.token).await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.text);
    assert_eq!(
        empty.json(),
        json!({
            "total": 0, "completed": 0, "pending": 0, "overdue": 0,
            "by_priority": { "HIGH": 0, "MEDIUM": 0, "LOW": 0, "NONE": 0 },
        })
    );
    let tasks = [
        // Overdue: pending and past due.
        json!({ "title": "late", "priority": "HIGH", "due_date": "2020-01-01T00:00:00Z" }),
        json!({ "title": "late too", "priority": "HIGH", "due_date": "2021-06-01T12:00:00Z" }),
        // Past due but completed: not overdue.
        json!({ "title": "done late", "priority": "MEDIUM", "due_date": "2020-01-01T00:00:00Z", "completed": true }),
        json!({ "title": "future", "priority": "LOW", "due_date": "2099-01-01T00:00:00Z" }),
        json!({ "title": "no due" }),
    ];
    for task in &tasks {
        app.create_task_ok(&user.token, task).await;
    }
    app.complete_task(&user.token, "5", None).await;

    // Act
    let res = app.stats(&user.token).await;

    // Assert
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(
        res.json(),
        json!({
            "total": 5, "completed": 2, "pending": 3, "overdue": 2,
            "by_priority": { "HIGH": 2, "MEDIUM": 1, "LOW": 1, "NONE": 1 },
        })
    );
    // Another user's stats do not see them.
    let other = app.new_user().await;
    assert_eq!(app.stats(&other.token).await.json()["total"], 0);
}
