//! `Idempotency-Key` on task creation: retries return the first answer and create nothing.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use tudu::db::{Db, PoolSettings};
use tudu::tasks::service::{IDEMPOTENCY_TTL, forget_expired_idempotency_keys};

use crate::helpers::{TestApp, assert_invalid, both_backends, string_at};

both_backends!(
    retry_with_same_key_and_body_returns_first_response_and_creates_nothing,
    same_key_with_another_body_is_422_and_creates_nothing,
    keys_belong_to_their_user,
    concurrent_retries_with_one_key_create_one_task,
    malformed_key_is_422,
    an_expired_key_is_forgotten_and_can_be_used_again,
);

fn post_with_key(app: &TestApp, token: &str, key: &str, body: &str) -> reqwest::RequestBuilder {
    app.authed(Method::POST, "/api/v1/tasks", token)
        .header("idempotency-key", key)
        .header("content-type", "application/json")
        .body(body.to_owned())
}

async fn task_count(app: &TestApp, token: &str) -> usize {
    let listed = app.list_tasks(token, "").await;
    listed.json().as_array().map_or(0, Vec::len)
}

async fn retry_with_same_key_and_body_returns_first_response_and_creates_nothing(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let body = r#"{"title": "pay rent", "priority": "high", "tags": ["home"]}"#;
    // Same request, other whitespace and key order.
    let retry_body = r#"{"tags":["home"],"priority":"high","title":"pay rent"}"#;

    // Act
    let first = app
        .send(post_with_key(&app, &user.token, "rent-2026-12", body))
        .await;
    let retry = app
        .send(post_with_key(&app, &user.token, "rent-2026-12", retry_body))
        .await;

    // Assert
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    assert_eq!(retry.status, StatusCode::CREATED, "{}", retry.text);
    assert_eq!(retry.json(), first.json());
    assert_eq!(retry.header("location"), first.header("location"));
    assert_eq!(task_count(&app, &user.token).await, 1);
}

async fn same_key_with_another_body_is_422_and_creates_nothing(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let first = app
        .send(post_with_key(
            &app,
            &user.token,
            "k1",
            r#"{"title": "one"}"#,
        ))
        .await;
    assert_eq!(first.status, StatusCode::CREATED);

    // Act
    let reused = app
        .send(post_with_key(
            &app,
            &user.token,
            "k1",
            r#"{"title": "two"}"#,
        ))
        .await;

    // Assert
    assert_invalid(&reused, "Idempotency-Key");
    let listed: Value = app.list_tasks(&user.token, "").await.json();
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert_eq!(listed[0]["title"], "one");
}

async fn keys_belong_to_their_user(app: TestApp) {
    // Arrange
    let alice = app.new_user().await;
    let bob = app.new_user().await;
    let body = r#"{"title": "same words"}"#;

    // Act
    let for_alice = app
        .send(post_with_key(&app, &alice.token, "shared-key", body))
        .await;
    let for_bob = app
        .send(post_with_key(&app, &bob.token, "shared-key", body))
        .await;

    // Assert: Bob gets his own task, not Alice's answer.
    assert_eq!(for_bob.status, StatusCode::CREATED);
    assert_ne!(for_bob.json()["id"], for_alice.json()["id"]);
    assert_eq!(for_bob.json()["user_id"], json!(bob.id));
    assert_eq!(task_count(&app, &alice.token).await, 1);
    assert_eq!(task_count(&app, &bob.token).await, 1);
}

async fn concurrent_retries_with_one_key_create_one_task(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let body = r#"{"title": "tapped twice"}"#;
    let requests = (0..10)
        .map(|_| post_with_key(&app, &user.token, "double-tap", body))
        .collect();

    // Act
    let responses = app.send_all(requests).await;

    // Assert
    let first = responses[0].json();
    for res in &responses {
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        assert_eq!(res.json()["id"], first["id"]);
    }
    assert_eq!(task_count(&app, &user.token).await, 1);
}

async fn malformed_key_is_422(app: TestApp) {
    // Arrange
    let user = app.new_user().await;

    // Act
    let too_long = "k".repeat(256);
    let res = app
        .send(post_with_key(
            &app,
            &user.token,
            &too_long,
            r#"{"title": "x"}"#,
        ))
        .await;

    // Assert
    assert_invalid(&res, "Idempotency-Key");
    assert_eq!(task_count(&app, &user.token).await, 0);
}

/// Moves every remembered key of the app's database `age` into the past.
async fn age_keys(db: &Db, age: chrono::TimeDelta) {
    let created_at = chrono::Utc::now() - age;
    let sql = "update idempotency_key set created_at = $1";
    let aged: tudu::error::Result<u64> = async {
        Ok(tudu::with_writer!(db, |conn| sqlx::query(sql)
            .bind(created_at)
            .execute(conn)
            .await
            .map(|done| done.rows_affected())?))
    }
    .await;
    assert_eq!(aged.expect("age the keys"), 1);
}

async fn an_expired_key_is_forgotten_and_can_be_used_again(app: TestApp) {
    // Arrange: a key used once, then made older than the TTL.
    let user = app.new_user().await;
    let body = r#"{"title": "water the plants"}"#;
    let first = app
        .send(post_with_key(&app, &user.token, "plants", body))
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let db = Db::connect(app.database_url(), &PoolSettings::default())
        .await
        .expect("connect");
    age_keys(&db, IDEMPOTENCY_TTL + chrono::TimeDelta::minutes(1)).await;

    // Act: the same key, now with another body, then the housekeeping sweep.
    let reused = app
        .send(post_with_key(
            &app,
            &user.token,
            "plants",
            r#"{"title": "water the plants again"}"#,
        ))
        .await;
    age_keys(&db, IDEMPOTENCY_TTL + chrono::TimeDelta::minutes(1)).await;
    let forgotten = forget_expired_idempotency_keys(&db).await;
    db.close().await;

    // Assert: the expired key neither replayed nor refused; it made a new task, and the sweep
    // removed the one remembered entry.
    assert_eq!(reused.status, StatusCode::CREATED, "{}", reused.text);
    assert_ne!(
        string_at(&reused.json(), "/id"),
        string_at(&first.json(), "/id")
    );
    assert_eq!(
        string_at(&reused.json(), "/title"),
        "water the plants again"
    );
    assert_eq!(task_count(&app, &user.token).await, 2);
    assert_eq!(forgotten.expect("sweep"), 1);
}
