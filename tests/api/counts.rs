//! `X-Total-Count` of plain listings comes from per-user counters kept by every write; they
//! must always equal the real numbers.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, both_backends, string_at, task_path};

both_backends!(counters_match_the_tasks_after_every_kind_of_write);

async fn assert_counts(app: &TestApp, token: &str, step: &str) {
    for status in ["all", "pending", "completed"] {
        let res = app
            .list_tasks(token, &format!("status={status}&limit=1"))
            .await;
        let total: i64 = res
            .header("x-total-count")
            .and_then(|t| t.parse().ok())
            .unwrap_or(-1);
        let all = app
            .list_tasks(token, &format!("status={status}&limit=1000"))
            .await;
        let real = all.json().as_array().map_or(0, Vec::len);
        assert_eq!(
            total,
            i64::try_from(real).unwrap_or(-2),
            "[{}] {step}: status={status}",
            app.backend
        );
    }
}

async fn counters_match_the_tasks_after_every_kind_of_write(app: TestApp) {
    let user = app.new_user().await;
    let other = app.new_user().await;
    let t = &user.token;
    assert_counts(&app, t, "empty").await;

    let plain = app.create_task_ok(t, &json!({"title": "plain"})).await;
    let done = app
        .create_task_ok(t, &json!({"title": "born done", "completed": true}))
        .await;
    let daily = app
        .create_task_ok(t, &json!({"title": "daily", "recurrence_pattern": "DAILY", "due_date": "2099-01-01T09:00:00Z"}))
        .await;
    app.create_task_ok(&other.token, &json!({"title": "someone else's"}))
        .await;
    assert_counts(&app, t, "created").await;

    // Completing a recurring task also creates its next occurrence.
    let completed = app.complete_task(t, &string_at(&daily, "/id"), None).await;
    assert_eq!(completed.status, StatusCode::OK);
    assert_counts(&app, t, "recurring completed").await;

    // Reopen, complete again through PATCH, and a no-op completion.
    app.complete_task(
        t,
        &string_at(&done, "/id"),
        Some(&json!({"completed": false})),
    )
    .await;
    app.patch_task(t, &string_at(&plain, "/id"), &json!({"completed": true}))
        .await;
    app.complete_task(
        t,
        &string_at(&plain, "/id"),
        Some(&json!({"completed": true})),
    )
    .await;
    assert_counts(&app, t, "toggled").await;

    // An idempotent replay creates nothing.
    for _ in 0..2 {
        let res = app
            .send(
                app.authed(Method::POST, "/api/v1/tasks", t)
                    .header("idempotency-key", "once")
                    .json(&json!({"title": "once", "completed": true})),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED);
    }
    assert_counts(&app, t, "idempotent create").await;

    // Deletes, of a completed task by number with If-Match and of a pending one by id; a
    // refused stale delete changes nothing.
    let stale = app
        .send(
            app.authed(Method::DELETE, &task_path("1"), t)
                .header("if-match", "\"999\""),
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    let etag = app
        .get_task(t, "1")
        .await
        .header("etag")
        .unwrap_or_default()
        .to_owned();
    let by_number = app
        .send(
            app.authed(Method::DELETE, &task_path("1"), t)
                .header("if-match", etag),
        )
        .await;
    assert_eq!(by_number.status, StatusCode::OK);
    app.delete_task(t, &string_at(&done, "/id")).await;
    assert_counts(&app, t, "deleted").await;

    // The other user's counts were never touched.
    assert_counts(&app, &other.token, "other user").await;
}
