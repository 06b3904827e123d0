//! Completion: setting, reopening and toggling, and the next occurrence of recurring tasks.

use chrono::{Duration, Timelike, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, both_backends, instant, numbers, string_at};

both_backends!(
    complete_sets_reopens_and_toggles_without_a_body,
    completing_a_recurring_task_returns_the_next_occurrence,
    completing_an_overdue_recurring_task_skips_the_backlog,
    reopening_a_recurring_task_creates_no_occurrence,
    monthly_series_on_the_31st_returns_to_the_31st_after_february,
    daily_series_keeps_local_time_across_dst,
);

async fn complete_sets_reopens_and_toggles_without_a_body(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let task = app
        .create_task_ok(&user.token, &json!({ "title": "Toggle me" }))
        .await;
    let id = string_at(&task, "/id");

    // Act + Assert: set.
    let res = app
        .complete_task(&user.token, &id, Some(&json!({ "completed": true })))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let done = res.json();
    assert_eq!(done["completed"], true);
    assert_eq!(done["next_occurrence"], Value::Null);
    let completed_at = instant(&done, "/completed_at");
    assert!((Utc::now() - completed_at).abs() < Duration::minutes(1));

    // Setting the same state again changes nothing.
    let again = app
        .complete_task(&user.token, &id, Some(&json!({ "completed": true })))
        .await
        .json();
    assert_eq!(again["completed"], true);
    assert_eq!(instant(&again, "/completed_at"), completed_at);

    // Reopen clears completed_at.
    let reopened = app
        .complete_task(&user.token, &id, Some(&json!({ "completed": false })))
        .await;
    assert_eq!(reopened.status, StatusCode::OK, "{}", reopened.text);
    assert_eq!(reopened.json()["completed"], false);
    assert_eq!(reopened.json()["completed_at"], Value::Null);

    // No body toggles, both ways.
    let toggled_on = app.complete_task(&user.token, &id, None).await;
    assert_eq!(toggled_on.status, StatusCode::OK, "{}", toggled_on.text);
    assert_eq!(toggled_on.json()["completed"], true);
    assert!(toggled_on.json()["completed_at"].is_string());
    let toggled_off = app.complete_task(&user.token, "1", None).await;
    assert_eq!(toggled_off.json()["completed"], false);
    assert_eq!(toggled_off.json()["completed_at"], Value::Null);
    assert_eq!(
        app.get_task(&user.token, &id).await.json()["completed"],
        false
    );
}

async fn completing_a_recurring_task_returns_the_next_occurrence(app: TestApp) {
    let user = app.new_user().await;
    let cases = [
        ("DAILY", 1, "2099-01-01T09:00:00Z", "2099-01-02T09:00:00Z"),
        ("WEEKLY", 2, "2099-01-01T09:00:00Z", "2099-01-15T09:00:00Z"),
        // Monthly keeps the day, clamped to the end of a shorter month.
        ("MONTHLY", 1, "2099-01-31T09:00:00Z", "2099-02-28T09:00:00Z"),
    ];
    let mut expected_number = 1;
    for (pattern, interval, due, next_due) in cases {
        // Arrange
        let task = app
            .create_task_ok(
                &user.token,
                &json!({
                    "title": format!("{pattern} chore"),
                    "description": "repeat",
                    "priority": "high",
                    "tags": ["home"],
                    "is_recurring": true,
                    "recurrence_pattern": pattern,
                    "recurrence_interval": interval,
                    "due_date": due,
                }),
            )
            .await;
        assert_eq!(task["number"], expected_number);
        assert_eq!(task["is_recurring"], true);
        assert_eq!(task["recurrence_pattern"], pattern);

        // Act
        let res = app
            .complete_task(
                &user.token,
                &string_at(&task, "/id"),
                Some(&json!({ "completed": true })),
            )
            .await;

        // Assert
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let done = res.json();
        assert_eq!(done["id"], task["id"]);
        assert_eq!(done["completed"], true);
        let next = &done["next_occurrence"];
        assert_eq!(next["number"], expected_number + 1, "{pattern}: {next}");
        assert_ne!(next["id"], task["id"]);
        assert_eq!(next["due_date"], next_due, "{pattern}");
        assert_eq!(next["completed"], false);
        assert_eq!(next["completed_at"], Value::Null);
        for field in [
            "title",
            "description",
            "priority",
            "tags",
            "is_recurring",
            "recurrence_pattern",
            "recurrence_interval",
        ] {
            assert_eq!(next[field], task[field], "{pattern}: {field}");
        }
        let stored = app
            .get_task(&user.token, &string_at(next, "/id"))
            .await
            .json();
        assert_eq!(&stored, next);
        expected_number += 2;
    }
}

async fn completing_an_overdue_recurring_task_skips_the_backlog(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let task = app
        .create_task_ok(
            &user.token,
            &json!({
                "title": "Water plants",
                "recurrence_pattern": "DAILY",
                "due_date": "2020-01-01T09:00:00Z",
            }),
        )
        .await;
    assert_eq!(task["is_recurring"], true, "a pattern implies recurrence");

    // Act
    let res = app.complete_task(&user.token, "1", None).await;

    // Assert: the next one is the first 09:00 UTC after the completion, not 2020-01-02.
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let done = res.json();
    let completed_at = instant(&done, "/completed_at");
    let next_due = instant(&done, "/next_occurrence/due_date");
    assert!(next_due > completed_at, "{next_due} after {completed_at}");
    assert!(next_due - Duration::days(1) <= completed_at);
    assert_eq!((next_due.hour(), next_due.minute()), (9, 0));
    let all = app.list_tasks(&user.token, "").await.json();
    assert_eq!(numbers(&all), vec![2, 1], "exactly one new occurrence");
}

async fn reopening_a_recurring_task_creates_no_occurrence(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    app.create_task_ok(
        &user.token,
        &json!({ "title": "Weekly", "recurrence_pattern": "WEEKLY" }),
    )
    .await;
    let done = app.complete_task(&user.token, "1", None).await.json();
    assert_eq!(done["next_occurrence"]["number"], 2);
    // Without a due date the next one is due one period after completion.
    let gap = instant(&done, "/next_occurrence/due_date") - instant(&done, "/completed_at");
    assert_eq!(gap, Duration::weeks(1));

    // Act
    let reopened = app
        .complete_task(&user.token, "1", Some(&json!({ "completed": false })))
        .await
        .json();

    // Assert
    assert_eq!(reopened["completed"], false);
    assert_eq!(reopened["next_occurrence"], Value::Null);
    let all = app.list_tasks(&user.token, "").await.json();
    assert_eq!(numbers(&all).len(), 2);
}

/// Completes `id` and returns the next occurrence.
async fn complete_and_next(app: &TestApp, token: &str, id: &str) -> Value {
    let res = app
        .complete_task(token, id, Some(&json!({ "completed": true })))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.json()["next_occurrence"].clone()
}

async fn monthly_series_on_the_31st_returns_to_the_31st_after_february(app: TestApp) {
    // Arrange: a user in Paris, a series due at 09:00 local on 31 January 2099.
    let user = app
        .new_user_with(json!({ "timezone": "Europe/Paris" }))
        .await;
    let task = app
        .create_task_ok(
            &user.token,
            &json!({ "title": "Rent", "recurrence_pattern": "monthly", "due_date": "2099-01-31T09:00" }),
        )
        .await;

    // Act
    let february = complete_and_next(&app, &user.token, &string_at(&task, "/id")).await;
    let march = complete_and_next(&app, &user.token, &string_at(&february, "/id")).await;
    let april = complete_and_next(&app, &user.token, &string_at(&march, "/id")).await;

    // Assert: last day of February, back to the 31st, then the 30th; always 09:00 in Paris.
    assert_eq!(task["due_date"], "2099-01-31T08:00:00Z");
    assert_eq!(february["due_date"], "2099-02-28T08:00:00Z");
    assert_eq!(march["due_date"], "2099-03-31T07:00:00Z");
    assert_eq!(april["due_date"], "2099-04-30T07:00:00Z");
}

async fn daily_series_keeps_local_time_across_dst(app: TestApp) {
    // Arrange: New York leaves daylight saving time on 1 November 2099 (first Sunday).
    let user = app
        .new_user_with(json!({ "timezone": "America/New_York" }))
        .await;
    let task = app
        .create_task_ok(
            &user.token,
            &json!({ "title": "Walk", "recurrence_pattern": "DAILY", "due_date": "2099-10-31T07:30" }),
        )
        .await;

    // Act
    let next = complete_and_next(&app, &user.token, &string_at(&task, "/id")).await;

    // Assert: 07:30 local both days, so the UTC time moves by an hour.
    assert_eq!(task["due_date"], "2099-10-31T11:30:00Z");
    assert_eq!(next["due_date"], "2099-11-01T12:30:00Z");
}
