//! The per-user chat budget: in memory for one process, and in Redis shared by replicas.

use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::json;
use tudu::config::Settings;

use crate::chat::say;
use crate::helpers::{Backend, TestApp, TestResponse, each_backend};

const BUDGET: u32 = 3;

fn redis_url(test: &str) -> Option<String> {
    match std::env::var("TUDU_TEST_REDIS_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().to_owned()),
        _ => {
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "skipped {test} with Redis: TUDU_TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379)"
            );
            None
        }
    }
}

fn limited(settings: &mut Settings, redis: Option<&str>) {
    settings.chat.rate_limit_per_minute = BUDGET;
    settings.redis_url = redis.map(SecretString::from);
}

fn assert_refused(res: &TestResponse) {
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.text);
    let retry_after: u64 = res
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    // One message per 20 s refills a budget of 3 a minute.
    assert!((1..=20).contains(&retry_after), "Retry-After {retry_after}");
    assert_eq!(res.header("ratelimit-limit"), Some("3"));
    assert_eq!(res.header("ratelimit-remaining"), Some("0"));
}

each_backend!(
    the_budget_is_per_user_in_memory,
    replicas_share_the_budget_through_redis,
    concurrent_messages_cannot_overspend_in_memory,
    concurrent_messages_on_two_replicas_cannot_overspend_through_redis
);

/// Sends `n` messages of `token` at once, alternating between `apps`, and returns how many
/// were answered and how many refused (anything else fails the test).
async fn burst(apps: &[&TestApp], token: &str, n: usize) -> (usize, usize) {
    let sends = (0..n).map(|i| say(apps[i % apps.len()], token, "help", None));
    let mut answered = 0;
    let mut refused = 0;
    for res in futures::future::join_all(sends).await {
        match res.status {
            StatusCode::OK => answered += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                assert_refused(&res);
                refused += 1;
            }
            other => panic!("unexpected {other}: {}", res.text),
        }
    }
    (answered, refused)
}

async fn stored_conversations(app: &TestApp, token: &str) -> Option<usize> {
    app.send(app.authed(reqwest::Method::GET, "/api/v1/conversations", token))
        .await
        .json()
        .as_array()
        .map(Vec::len)
}

// Sequential messages pass with a limiter that reads and then writes the budget in two steps;
// messages that race each other do not.
async fn concurrent_messages_cannot_overspend_in_memory(backend: Backend) {
    // Arrange
    let app = TestApp::spawn_with(backend, |s| limited(s, None)).await;
    let user = app.new_user().await;

    // Act
    let (answered, refused) = burst(&[&app], &user.token, 10).await;

    // Assert
    assert_eq!((answered, refused), (3, 7));
    assert_eq!(stored_conversations(&app, &user.token).await, Some(3));
}

async fn concurrent_messages_on_two_replicas_cannot_overspend_through_redis(backend: Backend) {
    let Some(redis) = redis_url(module_path!()) else {
        return;
    };
    // Arrange
    let first = TestApp::spawn_with(backend, |s| limited(s, Some(&redis))).await;
    let second = first.replica_with(|s| limited(s, Some(&redis))).await;
    let user = first.new_user().await;

    // Act
    let (answered, refused) = burst(&[&first, &second], &user.token, 10).await;

    // Assert
    assert_eq!((answered, refused), (3, 7));
    assert_eq!(stored_conversations(&first, &user.token).await, Some(3));
}

async fn the_budget_is_per_user_in_memory(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| limited(s, None)).await;
    let user = app.new_user().await;
    let other = app.new_user().await;
    // One message comes back every 20 s, so the whole budget is back 20 s per message spent.
    for (remaining, reset) in [("2", "20"), ("1", "40"), ("0", "60")] {
        let res = say(&app, &user.token, "help", None).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!(res.header("ratelimit-limit"), Some("3"));
        assert_eq!(res.header("ratelimit-remaining"), Some(remaining));
        assert_eq!(res.header("ratelimit-reset"), Some(reset));
    }
    assert_refused(&say(&app, &user.token, "help", None).await);
    // Another user's budget is untouched.
    assert_eq!(
        say(&app, &other.token, "help", None).await.status,
        StatusCode::OK
    );
    // A refused message is not stored.
    let listed = app
        .send(app.authed(reqwest::Method::GET, "/api/v1/conversations", &user.token))
        .await
        .json();
    assert_eq!(listed.as_array().map(Vec::len), Some(3));
}

async fn replicas_share_the_budget_through_redis(backend: Backend) {
    let Some(redis) = redis_url(module_path!()) else {
        return;
    };
    let first = TestApp::spawn_with(backend, |s| limited(s, Some(&redis))).await;
    let second = first.replica_with(|s| limited(s, Some(&redis))).await;
    let user = first.new_user().await;
    let other = first.new_user().await;

    assert_eq!(
        say(&first, &user.token, "help", None).await.status,
        StatusCode::OK
    );
    assert_eq!(
        say(&second, &user.token, "help", None).await.status,
        StatusCode::OK
    );
    let third = say(&first, &user.token, "help", None).await;
    assert_eq!(third.status, StatusCode::OK);
    assert_eq!(third.header("ratelimit-remaining"), Some("0"));
    // Three messages spent, 20 s each to come back, less the moments between them.
    let reset: u64 = third
        .header("ratelimit-reset")
        .and_then(|v| v.parse().ok())
        .expect("RateLimit-Reset in seconds");
    assert!((41..=60).contains(&reset), "RateLimit-Reset {reset}");
    // Spent on either replica, refused on both.
    assert_refused(&say(&second, &user.token, "help", None).await);
    assert_refused(&say(&first, &user.token, "help", None).await);
    assert_eq!(
        say(&second, &other.token, "help", None).await.status,
        StatusCode::OK
    );

    let ready = second
        .send(second.request(reqwest::Method::GET, "/health/ready"))
        .await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(
        ready.json(),
        json!({ "status": "ok", "database": "ok", "redis": "ok" })
    );
}
