//! Accounts people can trust (SPEC §10): revocation by password change, logout and logout-all
//! on every replica at once; account deletion; personal access tokens and their scopes.

use jsonwebtoken::Algorithm;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tudu::db::{Db, PoolSettings};

use crate::helpers::{
    Backend, TEST_SECRET, TestApp, TestUser, assert_invalid, assert_problem, assert_unauthorized,
    both_backends, each_backend, sign_token, string_at, task_total, unix_now, valid_claims,
};

both_backends!(
    a_password_change_revokes_every_earlier_token,
    logout_revokes_only_the_presented_token,
    logout_all_revokes_every_token_of_the_user,
    a_logout_on_one_replica_is_honoured_by_another_at_once,
    tokens_signed_outside_tudu_are_retired_by_their_issue_time,
    deleting_the_account_needs_the_password_and_removes_everything,
    a_personal_access_token_is_shown_once_listed_without_secret_and_revoked_at_once,
    a_personal_access_token_records_its_last_use,
    an_expired_personal_access_token_is_refused,
    bad_token_requests_are_422_and_create_nothing,
    a_personal_access_token_cannot_manage_the_account,
    chat_acts_with_the_scopes_of_the_token_that_called_it,
);

each_backend!(lists_read_without_the_cache_check_the_token_in_their_own_query);

const NEW_PASSWORD: &str = "a brand new passphrase";

/// `POST /api/v1/auth/tokens` with `body`.
async fn create_pat(app: &TestApp, token: &str, body: &Value) -> crate::helpers::TestResponse {
    app.send(app.authed_json(Method::POST, "/api/v1/auth/tokens", token, Some(body)))
        .await
}

/// A personal access token of `user` with `scopes`.
async fn pat(app: &TestApp, user: &TestUser, scopes: &[&str]) -> String {
    let res = create_pat(app, &user.token, &json!({"name": "test", "scopes": scopes})).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    string_at(&res.json(), "/token")
}

async fn login_token(app: &TestApp, user: &TestUser, password: &str) -> String {
    let res = app.login(&user.email, password).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    string_at(&res.json(), "/token")
}

/// Asserts that `token` is refused (401 with a revocation message) where it worked before.
async fn assert_revoked(app: &TestApp, token: &str) {
    for path in ["/api/v1/auth/me", "/api/v1/tasks"] {
        let res = app.send(app.authed(Method::GET, path, token)).await;
        assert_unauthorized(&res);
    }
}

async fn assert_accepted(app: &TestApp, token: &str) {
    let res = app.me(token).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}

async fn a_password_change_revokes_every_earlier_token(app: TestApp) {
    // Arrange: two sessions, a personal access token and a token signed outside tudu
    let user = app.new_user().await;
    let second = login_token(&app, &user, &user.password).await;
    let personal = pat(&app, &user, &["tasks:read"]).await;
    let mut claims = valid_claims(&user.id);
    claims["iat"] = json!(unix_now() - 5);
    let signed = sign_token(Algorithm::HS256, &claims, TEST_SECRET.as_bytes());
    for token in [&user.token, &second, &personal, &signed] {
        assert_accepted(&app, token).await;
    }

    // Act
    let changed = app
        .patch_me(
            &user.token,
            &json!({"password": NEW_PASSWORD, "current_password": user.password}),
        )
        .await;

    // Assert
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    for token in [&user.token, &second, &personal, &signed] {
        assert_revoked(&app, token).await;
    }
    assert_unauthorized(&app.login(&user.email, &user.password).await);
    let fresh = login_token(&app, &user, NEW_PASSWORD).await;
    assert_accepted(&app, &fresh).await;
}

async fn logout_revokes_only_the_presented_token(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let laptop = login_token(&app, &user, &user.password).await;

    // Act
    let res = app
        .send(app.authed(Method::POST, "/api/v1/auth/logout", &laptop))
        .await;

    // Assert
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    assert_revoked(&app, &laptop).await;
    let validity = app.validate_token(&laptop).await;
    assert_unauthorized(&validity);
    for compat in [
        format!("/api/{}/tasks", user.id),
        format!("/api/v1/{}/todos", user.id),
        "/api/v1/me".to_owned(),
    ] {
        assert_unauthorized(&app.send(app.authed(Method::GET, &compat, &laptop)).await);
        let works = app
            .send(app.authed(Method::GET, &compat, &user.token))
            .await;
        assert_eq!(works.status, StatusCode::OK, "{compat}: {}", works.text);
    }
    assert_accepted(&app, &user.token).await;
    let again = app
        .send(app.authed(Method::POST, "/api/v1/auth/logout", &laptop))
        .await;
    assert_unauthorized(&again);
}

async fn logout_all_revokes_every_token_of_the_user(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let other = app.new_user().await;
    let phone = login_token(&app, &user, &user.password).await;
    let personal = pat(&app, &user, &["tasks:read", "mcp"]).await;

    // Act
    let res = app
        .send(app.authed(Method::POST, "/api/v1/auth/logout-all", &user.token))
        .await;

    // Assert
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    for token in [&user.token, &phone, &personal] {
        assert_revoked(&app, token).await;
    }
    assert_accepted(&app, &other.token).await;
    assert_accepted(&app, &login_token(&app, &user, &user.password).await).await;
}

async fn a_logout_on_one_replica_is_honoured_by_another_at_once(app: TestApp) {
    // Arrange: a second server on the same database, which has already served the token
    let replica = app.replica().await;
    let user = app.new_user().await;
    let personal = pat(&app, &user, &["tasks:read"]).await;
    assert_accepted(&replica, &user.token).await;
    assert_eq!(
        replica.list_tasks(&personal, "").await.status,
        StatusCode::OK
    );

    // Act: a logout and a revocation on the first server
    let logout = app
        .send(app.authed(Method::POST, "/api/v1/auth/logout", &user.token))
        .await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT);
    let second = login_token(&app, &user, &user.password).await;
    let id = string_at(
        &app.send(app.authed(Method::GET, "/api/v1/auth/tokens", &second))
            .await
            .json(),
        "/0/id",
    );
    let revoked = app
        .send(app.authed(
            Method::DELETE,
            &format!("/api/v1/auth/tokens/{id}"),
            &second,
        ))
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);

    // Assert: the replica's very next requests are refused
    assert_revoked(&replica, &user.token).await;
    assert_revoked(&replica, &personal).await;
    assert_accepted(&replica, &second).await;
}

async fn tokens_signed_outside_tudu_are_retired_by_their_issue_time(app: TestApp) {
    // Arrange: a token signed with the shared secret, as the reference designs' tools do
    let user = app.new_user().await;
    let mut claims = valid_claims(&user.id);
    claims["iat"] = json!(unix_now() - 5);
    let signed = sign_token(Algorithm::HS256, &claims, TEST_SECRET.as_bytes());
    assert_accepted(&app, &signed).await;

    // Act: it logs itself out
    let res = app
        .send(app.authed(Method::POST, "/api/v1/auth/logout", &signed))
        .await;

    // Assert: it (and any signed as early) is refused; sessions are not touched
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    assert_revoked(&app, &signed).await;
    assert_accepted(&app, &user.token).await;
    claims["iat"] = json!(unix_now() + 1);
    let later = sign_token(Algorithm::HS256, &claims, TEST_SECRET.as_bytes());
    assert_accepted(&app, &later).await;
}

async fn deleting_the_account_needs_the_password_and_removes_everything(app: TestApp) {
    // Arrange: a user with tasks, a conversation and a personal access token
    let user = app.new_user().await;
    let other = app.new_user().await;
    app.create_task_ok(&user.token, &json!({"title": "mine"}))
        .await;
    app.create_task_ok(&other.token, &json!({"title": "theirs"}))
        .await;
    let chat = app
        .send(app.authed_json(
            Method::POST,
            "/api/v1/chat",
            &user.token,
            Some(&json!({"message": "add call mom tomorrow"})),
        ))
        .await;
    assert_eq!(chat.status, StatusCode::OK, "{}", chat.text);
    let personal = pat(&app, &user, &["tasks:read"]).await;
    let delete =
        |body: Value| app.authed_json(Method::DELETE, "/api/v1/auth/me", &user.token, Some(&body));

    // Act + Assert: no password, a wrong one, then the right one
    assert_invalid(&app.send(delete(json!({}))).await, "password");
    assert_problem(
        &app.send(delete(json!({"password": "not the password"})))
            .await,
        StatusCode::FORBIDDEN,
    );
    assert_accepted(&app, &user.token).await;
    assert_eq!(task_total(&app, &user.token).await, 2);
    let deleted = app.send(delete(json!({"password": user.password}))).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);

    assert_revoked(&app, &user.token).await;
    assert_revoked(&app, &personal).await;
    assert_eq!(owned_rows(&app, &user.id).await, 0);
    assert_eq!(task_total(&app, &other.token).await, 1);
    let again = app
        .signup(&json!({"email": user.email, "password": user.password}))
        .await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    let token = string_at(&again.json(), "/token");
    assert_eq!(task_total(&app, &token).await, 0);
    let conversations = app
        .send(app.authed(Method::GET, "/api/v1/conversations", &token))
        .await;
    assert_eq!(conversations.json(), json!([]), "{}", conversations.text);
}

/// Rows of every table that holds something of `user_id`.
async fn owned_rows(app: &TestApp, user_id: &str) -> i64 {
    let db = Db::connect(app.database_url(), &PoolSettings::default())
        .await
        .expect("connect");
    let mut total = 0;
    for sql in [
        "select count(*) from app_user where id = $1",
        "select count(*) from task where user_id = $1",
        "select count(*) from conversation where user_id = $1",
        "select count(*) from idempotency_key where user_id = $1",
        "select count(*) from credential where user_id = $1",
    ] {
        let counted: tudu::error::Result<i64> = async {
            Ok(tudu::with_pool!(&db, |conn| sqlx::query_scalar::<_, i64>(
                sql
            )
            .bind(user_id)
            .fetch_one(conn)
            .await?))
        }
        .await;
        total += counted.expect("count");
    }
    db.close().await;
    total
}

async fn a_personal_access_token_is_shown_once_listed_without_secret_and_revoked_at_once(
    app: TestApp,
) {
    // Arrange
    let user = app.new_user().await;

    // Act
    let created = create_pat(
        &app,
        &user.token,
        &json!({"name": "laptop MCP client", "scopes": ["tasks:read", "mcp"], "expires_in_days": 30}),
    )
    .await;
    let listed = app
        .send(app.authed(Method::GET, "/api/v1/auth/tokens", &user.token))
        .await;

    // Assert
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let body = created.json();
    let secret = string_at(&body, "/token");
    assert!(
        secret.starts_with("tudu_pat_") && secret.len() > 40,
        "{secret}"
    );
    assert_eq!(body["scopes"], json!(["tasks:read", "mcp"]));
    assert!(body["expires_at"].is_string());
    assert_eq!(listed.status, StatusCode::OK);
    assert!(
        !listed.text.contains(&secret),
        "the secret is listed: {}",
        listed.text
    );
    let entry = &listed.json()[0];
    assert_eq!(entry["name"], "laptop MCP client");
    assert_eq!(entry["id"], body["id"]);
    assert!(entry.get("token").is_none());
    assert_eq!(app.list_tasks(&secret, "").await.status, StatusCode::OK);

    let path = format!("/api/v1/auth/tokens/{}", string_at(&body, "/id"));
    let revoked = app
        .send(app.authed(Method::DELETE, &path, &user.token))
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_revoked(&app, &secret).await;
    let twice = app
        .send(app.authed(Method::DELETE, &path, &user.token))
        .await;
    assert_problem(&twice, StatusCode::NOT_FOUND);
    // Someone else's token id is not found either, and not revoked.
    let other = app.new_user().await;
    let theirs = pat(&app, &other, &["tasks:read"]).await;
    let their_id = string_at(
        &app.send(app.authed(Method::GET, "/api/v1/auth/tokens", &other.token))
            .await
            .json(),
        "/0/id",
    );
    let foreign = app
        .send(app.authed(
            Method::DELETE,
            &format!("/api/v1/auth/tokens/{their_id}"),
            &user.token,
        ))
        .await;
    assert_problem(&foreign, StatusCode::NOT_FOUND);
    assert_eq!(app.list_tasks(&theirs, "").await.status, StatusCode::OK);
}

async fn a_personal_access_token_records_its_last_use(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let secret = pat(&app, &user, &["tasks:read"]).await;
    let list = || app.authed(Method::GET, "/api/v1/auth/tokens", &user.token);
    assert_eq!(
        app.send(list()).await.json()[0]["last_used_at"],
        Value::Null
    );

    // Act
    assert_eq!(app.list_tasks(&secret, "").await.status, StatusCode::OK);

    // Assert
    assert!(app.send(list()).await.json()[0]["last_used_at"].is_string());
}

async fn an_expired_personal_access_token_is_refused(app: TestApp) {
    // Arrange: a token whose expiry is moved into the past
    let user = app.new_user().await;
    let res = create_pat(
        &app,
        &user.token,
        &json!({"name": "short", "scopes": ["tasks:read"], "expires_in_days": 1}),
    )
    .await;
    let secret = string_at(&res.json(), "/token");
    assert_eq!(app.list_tasks(&secret, "").await.status, StatusCode::OK);
    let db = Db::connect(app.database_url(), &PoolSettings::default())
        .await
        .expect("connect");
    let past = chrono::Utc::now() - chrono::TimeDelta::minutes(1);
    let aged: tudu::error::Result<u64> = async {
        Ok(tudu::with_writer!(&db, |conn| sqlx::query(
            "update credential set expires_at = $1 where kind = 'pat'"
        )
        .bind(past)
        .execute(conn)
        .await
        .map(|done| done.rows_affected())?))
    }
    .await;
    assert_eq!(aged.expect("age the token"), 1);
    db.close().await;

    // Act
    let res = app.list_tasks(&secret, "").await;

    // Assert
    let body = assert_unauthorized(&res);
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("expired")),
        "{body}"
    );
}

async fn bad_token_requests_are_422_and_create_nothing(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let cases = [
        (json!({"scopes": ["tasks:read"]}), "name"),
        (json!({"name": "   ", "scopes": ["tasks:read"]}), "name"),
        (
            json!({"name": "x".repeat(101), "scopes": ["tasks:read"]}),
            "name",
        ),
        (json!({"name": "n"}), "scopes"),
        (json!({"name": "n", "scopes": []}), "scopes"),
        (
            json!({"name": "n", "scopes": ["tasks:read", "admin"]}),
            "scopes[1]",
        ),
        (json!({"name": "n", "scopes": ["account"]}), "scopes[0]"),
        (
            json!({"name": "n", "scopes": ["mcp"], "expires_in_days": 0}),
            "expires_in_days",
        ),
        (
            json!({"name": "n", "scopes": ["mcp"], "expires_in_days": 366}),
            "expires_in_days",
        ),
        (
            json!({"name": "n", "scopes": ["mcp"], "expires_in_days": -3}),
            "expires_in_days",
        ),
    ];

    // Act + Assert
    for (body, field) in cases {
        assert_invalid(&create_pat(&app, &user.token, &body).await, field);
    }
    let wrong_type = create_pat(&app, &user.token, &json!({"name": "n", "scopes": "mcp"})).await;
    assert_invalid(&wrong_type, "scopes");
    let listed = app
        .send(app.authed(Method::GET, "/api/v1/auth/tokens", &user.token))
        .await;
    assert_eq!(listed.json(), json!([]));
    let bad_id = app
        .send(app.authed(
            Method::DELETE,
            "/api/v1/auth/tokens/not-an-id%00",
            &user.token,
        ))
        .await;
    assert_problem(&bad_id, StatusCode::NOT_FOUND);
}

async fn a_personal_access_token_cannot_manage_the_account(app: TestApp) {
    // Arrange: a token with every scope a personal access token can carry
    let user = app.new_user().await;
    let secret = pat(&app, &user, &["tasks:read", "tasks:write", "chat", "mcp"]).await;
    let attempts = [
        (Method::GET, "/api/v1/auth/tokens", None),
        (
            Method::POST,
            "/api/v1/auth/tokens",
            Some(json!({"name": "n", "scopes": ["mcp"]})),
        ),
        (Method::POST, "/api/v1/auth/logout-all", None),
        (
            Method::PATCH,
            "/api/v1/auth/me",
            Some(json!({"name": "Mallory"})),
        ),
        (
            Method::DELETE,
            "/api/v1/auth/me",
            Some(json!({"password": user.password})),
        ),
    ];

    // Act + Assert
    for (method, path, body) in attempts {
        let res = app
            .send(app.authed_json(method.clone(), path, &secret, body.as_ref()))
            .await;
        let problem = assert_problem(&res, StatusCode::FORBIDDEN);
        assert_eq!(problem["error"], "insufficient_scope", "{method} {path}");
        let challenge = res.header("www-authenticate").unwrap_or_default();
        assert!(
            challenge.contains(r#"error="insufficient_scope""#),
            "{challenge}"
        );
    }
    assert_accepted(&app, &user.token).await;
    assert_eq!(app.me(&secret).await.json()["name"], "Test User");
}

async fn chat_acts_with_the_scopes_of_the_token_that_called_it(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    app.create_task_ok(&user.token, &json!({"title": "water the plants"}))
        .await;
    let reader = pat(&app, &user, &["chat", "tasks:read"]).await;
    let no_chat = pat(&app, &user, &["tasks:read", "tasks:write"]).await;
    let say = |token: &str, message: &str| {
        app.authed_json(
            Method::POST,
            "/api/v1/chat",
            token,
            Some(&json!({ "message": message })),
        )
    };

    // Act
    let listed = app.send(say(&reader, "show my tasks")).await;
    let added = app.send(say(&reader, "add buy milk")).await;
    let completed = app.send(say(&reader, "complete task 1")).await;
    let refused = app.send(say(&no_chat, "show my tasks")).await;

    // Assert
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    assert!(
        listed.json()["response"]
            .as_str()
            .is_some_and(|r| r.contains("water the plants"))
    );
    for res in [&added, &completed] {
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let reply = res.json()["response"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(reply.contains("tasks:write"), "the reply says why: {reply}");
    }
    let tasks = app.list_tasks(&user.token, "").await.json();
    assert_eq!(
        task_total(&app, &user.token).await,
        1,
        "nothing was added: {tasks}"
    );
    assert_eq!(tasks[0]["completed"], false, "nothing was completed");
    let problem = assert_problem(&refused, StatusCode::FORBIDDEN);
    assert_eq!(problem["error"], "insufficient_scope");
}

async fn lists_read_without_the_cache_check_the_token_in_their_own_query(backend: Backend) {
    // Arrange: no list cache, so every list is read by the statement that also checks the
    // token; a user with tasks, one without, and a token signed outside tudu
    let app = TestApp::spawn_with(backend, |s| s.list_cache_bytes = 0).await;
    let user = app.new_user().await;
    let empty = app.new_user().await;
    for title in ["one", "two", "three"] {
        app.create_task_ok(&user.token, &json!({ "title": title }))
            .await;
    }
    let phone = login_token(&app, &user, &user.password).await;
    let mut claims = valid_claims(&user.id);
    claims["iat"] = json!(unix_now() - 5);
    let signed = sign_token(Algorithm::HS256, &claims, TEST_SECRET.as_bytes());
    let first_page = app.list_tasks(&phone, "limit=2").await;
    assert_eq!(first_page.json().as_array().map(Vec::len), Some(2));
    let next = crate::helpers::link_next(&first_page, "/api/v1/tasks").expect("a next page");
    assert_eq!(
        app.list_tasks(&signed, "")
            .await
            .json()
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    let nothing = app.list_tasks(&empty.token, "").await;
    assert_eq!(
        (nothing.status, nothing.json()),
        (StatusCode::OK, json!([]))
    );

    // Act: the phone logs out; then every token of the user is retired
    let logout = app
        .send(app.authed(Method::POST, "/api/v1/auth/logout", &phone))
        .await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT);
    let phone_list = app.list_tasks(&phone, "").await;
    let phone_next = app.send(app.authed(Method::GET, &next, &phone)).await;
    let phone_bad_query = app.list_tasks(&phone, "sort=nonsense").await;
    let still = app.list_tasks(&user.token, "").await;
    let all = app
        .send(app.authed(Method::POST, "/api/v1/auth/logout-all", &user.token))
        .await;
    assert_eq!(all.status, StatusCode::NO_CONTENT);

    // Assert
    assert_unauthorized(&phone_list);
    assert_unauthorized(&phone_next);
    assert_unauthorized(&phone_bad_query);
    assert_eq!(still.json().as_array().map(Vec::len), Some(3));
    assert_unauthorized(&app.list_tasks(&user.token, "").await);
    assert_unauthorized(&app.list_tasks(&signed, "overdue=true").await);
    assert_unauthorized(&app.list_tasks(&signed, "").await);
}
