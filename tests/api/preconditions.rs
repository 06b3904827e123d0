//! `ETag` / `If-Match`: two devices editing one task cannot silently overwrite each other.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, assert_problem, both_backends, string_at, task_path};

both_backends!(
    etag_changes_with_every_write_and_matches_between_reads,
    stale_if_match_is_refused_with_412_and_nothing_changes,
    current_if_match_and_star_are_accepted,
);

async fn etag_changes_with_every_write_and_matches_between_reads(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let created = app
        .create_task(&user.token, &json!({"title": "etag"}))
        .await;
    let id = string_at(&created.json(), "/id");

    // Act
    let first = app.get_task(&user.token, &id).await;
    let by_number = app.get_task(&user.token, "1").await;
    let patched = app
        .patch_task(&user.token, &id, &json!({"title": "etag 2"}))
        .await;
    let completed = app.complete_task(&user.token, &id, None).await;

    // Assert
    let tag = |res: &crate::helpers::TestResponse| res.header("etag").map(str::to_owned);
    assert!(tag(&first).is_some_and(|t| t.starts_with('"') && t.ends_with('"')));
    assert_eq!(tag(&created), tag(&first));
    assert_eq!(tag(&by_number), tag(&first));
    assert_ne!(tag(&patched), tag(&first));
    assert_ne!(tag(&completed), tag(&patched));
}

async fn stale_if_match_is_refused_with_412_and_nothing_changes(app: TestApp) {
    // Arrange: two devices read the task; the first one writes.
    let user = app.new_user().await;
    let created = app
        .create_task(&user.token, &json!({"title": "shared"}))
        .await;
    let id = string_at(&created.json(), "/id");
    let stale = created.header("etag").expect("etag").to_owned();
    let first_write = app
        .send(
            app.authed(Method::PATCH, &task_path(&id), &user.token)
                .header("if-match", &stale)
                .json(&json!({"title": "device one"})),
        )
        .await;
    assert_eq!(first_write.status, StatusCode::OK);

    // Act: the second device writes with what it read.
    let mut refused = Vec::new();
    for (method, path, body) in [
        (
            Method::PATCH,
            task_path(&id),
            Some(json!({"title": "device two"})),
        ),
        (
            Method::PUT,
            task_path(&id),
            Some(json!({"title": "device two"})),
        ),
        (
            Method::PATCH,
            format!("{}/complete", task_path(&id)),
            Some(json!({"completed": true})),
        ),
        (Method::DELETE, task_path(&id), None),
    ] {
        let mut request = app
            .authed(method, &path, &user.token)
            .header("if-match", &stale);
        if let Some(body) = body {
            request = request.json(&body);
        }
        refused.push(app.send(request).await);
    }

    // Assert
    for res in &refused {
        assert_problem(res, StatusCode::PRECONDITION_FAILED);
    }
    let now = app.get_task(&user.token, &id).await.json();
    assert_eq!(now["title"], "device one");
    assert_eq!(now["completed"], false);
}

async fn current_if_match_and_star_are_accepted(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let created = app
        .create_task(&user.token, &json!({"title": "fresh"}))
        .await;
    let id = string_at(&created.json(), "/id");
    let etag = created.header("etag").expect("etag").to_owned();

    // Act
    let patched = app
        .send(
            app.authed(Method::PATCH, &task_path(&id), &user.token)
                .header("if-match", format!("\"999\", {etag}"))
                .json(&json!({"title": "fresh 2"})),
        )
        .await;
    let new_etag = patched.header("etag").expect("etag").to_owned();
    let completed = app
        .send(
            app.authed(
                Method::PATCH,
                &format!("{}/complete", task_path(&id)),
                &user.token,
            )
            .header("if-match", &new_etag),
        )
        .await;
    let weak = app
        .send(
            app.authed(Method::DELETE, &task_path(&id), &user.token)
                .header(
                    "if-match",
                    format!("W/{}", completed.header("etag").unwrap_or_default()),
                ),
        )
        .await;
    let deleted = app
        .send(
            app.authed(Method::DELETE, &task_path(&id), &user.token)
                .header("if-match", "*"),
        )
        .await;
    let missing = app
        .send(
            app.authed(Method::DELETE, &task_path(&id), &user.token)
                .header("if-match", "*"),
        )
        .await;

    // Assert
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    assert_eq!(completed.status, StatusCode::OK, "{}", completed.text);
    assert_eq!(completed.json()["completed"], true);
    assert_problem(&weak, StatusCode::PRECONDITION_FAILED);
    assert_eq!(deleted.status, StatusCode::OK);
    assert_problem(&missing, StatusCode::NOT_FOUND);
}
