//! Task field rules at their limits, on create and on update, and how input is normalised.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_invalid, both_backends, string_at, task_path};

both_backends!(
    create_task_without_title_returns_422,
    title_of_200_characters_is_accepted_and_201_is_422,
    empty_or_whitespace_title_returns_422_and_titles_are_trimmed,
    description_of_1000_characters_is_accepted_and_1001_is_422,
    twenty_tags_are_accepted_and_21_is_422,
    tag_of_50_characters_is_accepted_and_51_is_422,
    tags_are_trimmed_lowercased_and_deduplicated,
    priority_is_case_insensitive_and_unknown_values_are_422,
    bad_recurrence_settings_return_422,
    unparseable_due_dates_return_422,
    naive_due_date_is_read_in_the_users_timezone,
    due_date_with_an_offset_is_stored_as_utc,
    wrong_json_types_return_422_naming_the_field,
    update_limits_are_the_same_as_create_limits,
    complete_with_a_non_boolean_returns_422,
);

/// Creates a task with `title` plus `extra` fields.
async fn create_with(app: &TestApp, token: &str, extra: Value) -> crate::helpers::TestResponse {
    let mut body = json!({ "title": "Valid title" });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    app.create_task(token, &body).await
}

async fn create_task_without_title_returns_422(app: TestApp) {
    // Arrange
    let user = app.new_user().await;

    // Act
    let res = app
        .create_task(&user.token, &json!({ "description": "no title" }))
        .await;
    let empty_object = app.create_task(&user.token, &json!({})).await;

    // Assert
    assert_invalid(&res, "title");
    assert_invalid(&empty_object, "title");
    assert_eq!(app.list_tasks(&user.token, "").await.json(), json!([]));
}

async fn title_of_200_characters_is_accepted_and_201_is_422(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    // Multi-byte characters: the limit counts characters, not bytes.
    let two_hundred = "é".repeat(200);

    // Act
    let ok = app
        .create_task(&user.token, &json!({ "title": two_hundred }))
        .await;
    let too_long = app
        .create_task(&user.token, &json!({ "title": "x".repeat(201) }))
        .await;

    // Assert
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);
    assert_eq!(ok.json()["title"], two_hundred);
    assert_invalid(&too_long, "title");
}

async fn empty_or_whitespace_title_returns_422_and_titles_are_trimmed(app: TestApp) {
    // Arrange
    let user = app.new_user().await;

    // Act
    let empty = app.create_task(&user.token, &json!({ "title": "" })).await;
    let blank = app
        .create_task(&user.token, &json!({ "title": " \t\n " }))
        .await;
    let padded = app
        .create_task(&user.token, &json!({ "title": "  Buy milk  " }))
        .await;

    // Assert
    assert_invalid(&empty, "title");
    assert_invalid(&blank, "title");
    assert_eq!(padded.status, StatusCode::CREATED, "{}", padded.text);
    assert_eq!(padded.json()["title"], "Buy milk");
    assert_eq!(padded.json()["number"], 1, "rejected creates use no number");
}

async fn description_of_1000_characters_is_accepted_and_1001_is_422(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let thousand = "d".repeat(1000);

    // Act
    let ok = create_with(&app, &user.token, json!({ "description": thousand })).await;
    let too_long = create_with(
        &app,
        &user.token,
        json!({ "description": "d".repeat(1001) }),
    )
    .await;

    // Assert
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);
    assert_eq!(ok.json()["description"], thousand);
    assert_invalid(&too_long, "description");
}

async fn twenty_tags_are_accepted_and_21_is_422(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let twenty: Vec<String> = (1..=20).map(|i| format!("tag{i}")).collect();
    let twenty_one: Vec<String> = (1..=21).map(|i| format!("tag{i}")).collect();

    // Act
    let ok = create_with(&app, &user.token, json!({ "tags": twenty })).await;
    let too_many = create_with(&app, &user.token, json!({ "tags": twenty_one })).await;

    // Assert
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);
    assert_eq!(ok.json()["tags"], json!(twenty));
    assert_invalid(&too_many, "tags");
}

async fn tag_of_50_characters_is_accepted_and_51_is_422(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let fifty = "t".repeat(50);

    // Act
    let ok = create_with(&app, &user.token, json!({ "tags": [fifty] })).await;
    let too_long = create_with(&app, &user.token, json!({ "tags": ["ok", "t".repeat(51)] })).await;
    let empty = create_with(&app, &user.token, json!({ "tags": ["  "] })).await;

    // Assert
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);
    assert_eq!(ok.json()["tags"], json!([fifty]));
    assert_invalid(&too_long, "tags[1]");
    assert_invalid(&empty, "tags[0]");
}

async fn tags_are_trimmed_lowercased_and_deduplicated(app: TestApp) {
    // Arrange
    let user = app.new_user().await;

    // Act
    let res = create_with(
        &app,
        &user.token,
        json!({ "tags": [" Home ", "HOME", "Errand", "home", "errand "] }),
    )
    .await;

    // Assert
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.json()["tags"], json!(["home", "errand"]));
}

async fn priority_is_case_insensitive_and_unknown_values_are_422(app: TestApp) {
    // Arrange
    let user = app.new_user().await;

    // Act
    let high = create_with(&app, &user.token, json!({ "priority": "high" })).await;
    let medium = create_with(&app, &user.token, json!({ "priority": "Medium" })).await;
    let urgent = create_with(&app, &user.token, json!({ "priority": "urgent" })).await;

    // Assert
    assert_eq!(high.status, StatusCode::CREATED, "{}", high.text);
    assert_eq!(high.json()["priority"], "HIGH");
    assert_eq!(medium.json()["priority"], "MEDIUM");
    assert_invalid(&urgent, "priority");
}

async fn bad_recurrence_settings_return_422(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let cases = [
        (
            json!({ "recurrence_pattern": "YEARLY" }),
            "recurrence_pattern",
        ),
        (json!({ "is_recurring": true }), "recurrence_pattern"),
        (
            json!({ "recurrence_pattern": "DAILY", "recurrence_interval": 0 }),
            "recurrence_interval",
        ),
        (
            json!({ "recurrence_pattern": "DAILY", "recurrence_interval": -3 }),
            "recurrence_interval",
        ),
    ];
    for (extra, field) in cases {
        // Act
        let res = create_with(&app, &user.token, extra).await;

        // Assert
        assert_invalid(&res, field);
    }
    // A lower-case pattern is fine.
    let ok = create_with(&app, &user.token, json!({ "recurrence_pattern": "weekly" })).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);
    assert_eq!(ok.json()["recurrence_pattern"], "WEEKLY");
}

async fn unparseable_due_dates_return_422(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    for due in [
        "not a date",
        "2026-02-30",
        "2026-13-01T10:00:00Z",
        "tomorrow",
        "",
    ] {
        // Act
        let res = create_with(&app, &user.token, json!({ "due_date": due })).await;

        // Assert
        assert_invalid(&res, "due_date");
    }
}

async fn naive_due_date_is_read_in_the_users_timezone(app: TestApp) {
    // Arrange: New York is UTC-4 in July.
    let user = app
        .new_user_with(json!({ "timezone": "America/New_York" }))
        .await;

    // Act
    let created = create_with(&app, &user.token, json!({ "due_date": "2026-07-01T09:00" })).await;
    let id = string_at(&created.json(), "/id");
    let patched = app
        .patch_task(
            &user.token,
            &id,
            &json!({ "due_date": "2026-12-01 09:00:00" }),
        )
        .await;

    let bare_date = create_with(&app, &user.token, json!({ "due_date": "2026-07-01" })).await;

    // Assert
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.json()["due_date"], "2026-07-01T13:00:00Z");
    // A bare date is the end of that day, locally.
    assert_eq!(bare_date.json()["due_date"], "2026-07-02T03:59:59Z");
    // UTC-5 in December.
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    assert_eq!(patched.json()["due_date"], "2026-12-01T14:00:00Z");
}

async fn due_date_with_an_offset_is_stored_as_utc(app: TestApp) {
    // Arrange
    let user = app
        .new_user_with(json!({ "timezone": "America/New_York" }))
        .await;

    // Act
    let res = create_with(
        &app,
        &user.token,
        json!({ "due_date": "2026-07-01T09:00:00+02:00" }),
    )
    .await;

    // Assert: the offset wins over the user's zone.
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.json()["due_date"], "2026-07-01T07:00:00Z");
}

async fn wrong_json_types_return_422_naming_the_field(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let cases = [
        (json!({ "title": 5 }), "title"),
        (json!({ "title": "x", "tags": "work" }), "tags"),
        (json!({ "title": "x", "completed": "yes" }), "completed"),
        (
            json!({ "title": "x", "recurrence_interval": "2" }),
            "recurrence_interval",
        ),
    ];
    for (body, field) in cases {
        // Act
        let res = app.create_task(&user.token, &body).await;

        // Assert
        let problem = assert_invalid(&res, field);
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let not_an_object = app.create_task(&user.token, &json!("a title")).await;
    assert_invalid(&not_an_object, "body");
}

async fn update_limits_are_the_same_as_create_limits(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let original = app
        .create_task_ok(
            &user.token,
            &json!({ "title": "Stable", "description": "same" }),
        )
        .await;
    let id = string_at(&original, "/id");
    let twenty_one: Vec<String> = (1..=21).map(|i| format!("tag{i}")).collect();
    let cases = [
        (json!({ "title": "" }), "title"),
        (json!({ "title": "   " }), "title"),
        (json!({ "title": "x".repeat(201) }), "title"),
        (json!({ "description": "d".repeat(1001) }), "description"),
        (json!({ "tags": twenty_one }), "tags"),
        (json!({ "tags": ["t".repeat(51)] }), "tags[0]"),
        (json!({ "priority": "urgent" }), "priority"),
        (
            json!({ "recurrence_pattern": "YEARLY" }),
            "recurrence_pattern",
        ),
        (json!({ "is_recurring": true }), "recurrence_pattern"),
        (json!({ "recurrence_interval": 0 }), "recurrence_interval"),
        (json!({ "due_date": "2026-02-30" }), "due_date"),
        (json!({ "title": 5 }), "title"),
    ];
    for (body, field) in cases {
        for method in [Method::PUT, Method::PATCH] {
            // Act
            let res = app
                .send(
                    app.authed(method.clone(), &task_path(&id), &user.token)
                        .json(&body),
                )
                .await;

            // Assert
            assert_invalid(&res, field);
        }
    }
    assert_eq!(app.get_task(&user.token, &id).await.json(), original);
    // The upper limits themselves are accepted.
    let at_limits = app
        .patch_task(
            &user.token,
            &id,
            &json!({ "title": "x".repeat(200), "description": "d".repeat(1000) }),
        )
        .await;
    assert_eq!(at_limits.status, StatusCode::OK, "{}", at_limits.text);
}

async fn complete_with_a_non_boolean_returns_422(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    app.create_task_ok(&user.token, &json!({ "title": "x" }))
        .await;

    // Act
    let res = app
        .complete_task(&user.token, "1", Some(&json!({ "completed": "yes" })))
        .await;

    // Assert
    assert_invalid(&res, "completed");
    assert_eq!(
        app.get_task(&user.token, "1").await.json()["completed"],
        false
    );
}
