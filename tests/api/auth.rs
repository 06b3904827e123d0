//! Accounts: signup, login, profile, token validation and the login rate limit.

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{
    Backend, PASSWORD, TestApp, assert_invalid, assert_problem, assert_unauthorized, both_backends,
    string_at, unique_email,
};

both_backends!(
    signup_returns_201_with_user_token_and_expiry,
    signup_with_an_email_registered_in_another_case_returns_409,
    signup_with_invalid_fields_returns_422_naming_the_field,
    login_matches_the_email_case_insensitively,
    login_with_unknown_email_or_wrong_password_returns_the_same_401,
    login_without_fields_returns_422,
    me_returns_the_signed_in_user_without_password_hash,
    patch_me_changes_name_and_timezone_and_keeps_the_rest,
    patch_me_password_replaces_the_old_password,
    patch_me_with_invalid_fields_returns_422,
    a_password_change_needs_the_current_password,
    validate_token_returns_validity_user_and_expiry,
    login_attempts_beyond_the_per_email_budget_return_429_with_retry_after,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_logins_are_limited_per_forwarded_client() {
    let app =
        TestApp::spawn_with(Backend::Sqlite, |settings| settings.trusted_proxy_hops = 1).await;
    // 60 attempts a minute per address; without a password they are counted but not hashed.
    for _ in 0..60 {
        assert_invalid(
            &login_without_password(&app, "203.0.113.7").await,
            "password",
        );
    }

    // Act: the same client again, also with a forged entry in front; then another client
    // through the same proxy (the same TCP peer).
    let again = login_without_password(&app, "203.0.113.7").await;
    let forged = login_without_password(&app, "198.51.100.1, 203.0.113.7").await;
    let other_client = login_without_password(&app, "203.0.113.8").await;

    // Assert
    assert_problem(&again, StatusCode::TOO_MANY_REQUESTS);
    assert_problem(&forged, StatusCode::TOO_MANY_REQUESTS);
    assert_invalid(&other_client, "password");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_trusted_proxies_forwarded_addresses_are_ignored() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    for attempt in 0..60 {
        let claimed = format!("203.0.113.{attempt}");
        assert_invalid(&login_without_password(&app, &claimed).await, "password");
    }

    // Act: a "new" address in the header does not buy a new budget.
    let res = login_without_password(&app, "198.51.100.99").await;

    // Assert
    assert_problem(&res, StatusCode::TOO_MANY_REQUESTS);
}

/// A login with a fresh email and no password, as forwarded for `forwarded_for`.
async fn login_without_password(
    app: &TestApp,
    forwarded_for: &str,
) -> crate::helpers::TestResponse {
    app.send(
        app.request(reqwest::Method::POST, "/api/v1/auth/login")
            .header("x-forwarded-for", forwarded_for)
            .json(&json!({ "email": unique_email() })),
    )
    .await
}

async fn signup_returns_201_with_user_token_and_expiry(app: TestApp) {
    // Arrange
    let email = unique_email()
        .replace("user-", "Mixed.Case-")
        .replace("example", "EXAMPLE");
    let body = json!({ "email": email, "password": PASSWORD, "name": "  Ada  " });

    // Act
    let res = app.signup(&body).await;

    // Assert
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert!(!res.text.contains("password_hash"), "{}", res.text);
    assert!(!res.text.contains(PASSWORD), "{}", res.text);
    let json = res.json();
    let user = &json["user"];
    let id = uuid::Uuid::parse_str(&string_at(user, "/id")).expect("user id is a UUID");
    assert_eq!(id.get_version_num(), 7);
    assert_eq!(user["email"], email.to_lowercase());
    assert_eq!(user["name"], "Ada");
    assert_eq!(user["timezone"], "UTC");
    assert!(user["created_at"].is_string());
    assert!(user["updated_at"].is_string());
    assert!(user.get("last_login_at").is_some());
    assert!(!string_at(&json, "/token").is_empty());
    assert_eq!(json["token_type"], "bearer");
    let expires_at: DateTime<Utc> = string_at(&json, "/expires_at")
        .parse()
        .expect("expires_at is RFC 3339");
    let lifetime = expires_at - Utc::now();
    assert!(
        lifetime > chrono::Duration::days(7) - chrono::Duration::minutes(5)
            && lifetime <= chrono::Duration::days(7),
        "tokens live 7 days, got {lifetime}"
    );
}

async fn signup_with_an_email_registered_in_another_case_returns_409(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let body = json!({ "email": user.email.to_uppercase(), "password": "another password" });

    // Act
    let res = app.signup(&body).await;

    // Assert
    assert_problem(&res, StatusCode::CONFLICT);
}

async fn signup_with_invalid_fields_returns_422_naming_the_field(app: TestApp) {
    let cases = [
        (
            json!({ "email": "not-an-email", "password": PASSWORD }),
            "email",
        ),
        (json!({ "email": "a@b", "password": PASSWORD }), "email"),
        (json!({ "password": PASSWORD }), "email"),
        (
            json!({ "email": unique_email(), "password": "short" }),
            "password",
        ),
        (json!({ "email": unique_email() }), "password"),
        (
            json!({ "email": unique_email(), "password": PASSWORD, "timezone": "Mars/Olympus" }),
            "timezone",
        ),
        (
            json!({ "email": unique_email(), "password": PASSWORD, "name": "x".repeat(101) }),
            "name",
        ),
    ];
    for (body, field) in cases {
        // Act
        let res = app.signup(&body).await;

        // Assert
        assert_invalid(&res, field);
    }
}

async fn login_matches_the_email_case_insensitively(app: TestApp) {
    // Arrange
    let user = app.new_user().await;

    // Act
    let res = app.login(&user.email.to_uppercase(), &user.password).await;

    // Assert
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(!res.text.contains("password_hash"));
    let json = res.json();
    assert_eq!(json["user"]["id"], user.id.as_str());
    assert_eq!(json["user"]["email"], user.email.as_str());
    assert!(json["user"]["last_login_at"].is_string());
    assert_eq!(json["token_type"], "bearer");
    assert!(json["expires_at"].is_string());
    let token = string_at(&json, "/token");
    assert_eq!(app.me(&token).await.status, StatusCode::OK);
}

async fn login_with_unknown_email_or_wrong_password_returns_the_same_401(app: TestApp) {
    // Arrange
    let user = app.new_user().await;

    // Act
    let wrong_password = app.login(&user.email, "not the password").await;
    let unknown_email = app.login(&unique_email(), "not the password").await;

    // Assert
    let a = assert_unauthorized(&wrong_password);
    let b = assert_unauthorized(&unknown_email);
    assert_eq!(a, b);
}

async fn login_without_fields_returns_422(app: TestApp) {
    // Act
    let res = app
        .send(
            app.request(reqwest::Method::POST, "/api/v1/auth/login")
                .json(&json!({})),
        )
        .await;

    // Assert
    assert_invalid(&res, "email");
    assert_invalid(&res, "password");
}

async fn me_returns_the_signed_in_user_without_password_hash(app: TestApp) {
    // Arrange
    let user = app
        .new_user_with(json!({ "name": "Grace", "timezone": "Europe/Paris" }))
        .await;

    // Act
    let res = app.me(&user.token).await;

    // Assert
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(!res.text.contains("password"), "{}", res.text);
    let me = res.json();
    assert_eq!(me["id"], user.id.as_str());
    assert_eq!(me["email"], user.email.as_str());
    assert_eq!(me["name"], "Grace");
    assert_eq!(me["timezone"], "Europe/Paris");
}

async fn patch_me_changes_name_and_timezone_and_keeps_the_rest(app: TestApp) {
    // Arrange
    let user = app.new_user().await;

    // Act
    let renamed = app
        .patch_me(&user.token, &json!({ "name": "Renamed" }))
        .await;
    let moved = app
        .patch_me(&user.token, &json!({ "timezone": "Asia/Tokyo" }))
        .await;

    // Assert
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.text);
    assert_eq!(renamed.json()["name"], "Renamed");
    assert_eq!(renamed.json()["timezone"], "UTC");
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    assert!(!moved.text.contains("password"));
    let me = app.me(&user.token).await.json();
    assert_eq!(me["name"], "Renamed");
    assert_eq!(me["timezone"], "Asia/Tokyo");
    assert_eq!(me["email"], user.email.as_str());
    // The password was not touched.
    assert_eq!(
        app.login(&user.email, &user.password).await.status,
        StatusCode::OK
    );
}

async fn patch_me_password_replaces_the_old_password(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let new_password = "a brand new passphrase";

    // Act
    let res = app
        .patch_me(
            &user.token,
            &json!({ "password": new_password, "current_password": user.password }),
        )
        .await;

    // Assert
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(!res.text.contains(new_password));
    assert_unauthorized(&app.login(&user.email, &user.password).await);
    let login = app.login(&user.email, new_password).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
}

async fn patch_me_with_invalid_fields_returns_422(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let cases = [
        (json!({ "password": "short" }), "password"),
        (json!({ "timezone": "Nowhere/Town" }), "timezone"),
        (json!({ "name": "   " }), "name"),
        (json!({ "name": "x".repeat(101) }), "name"),
    ];
    for (body, field) in cases {
        // Act
        let res = app.patch_me(&user.token, &body).await;

        // Assert
        assert_invalid(&res, field);
    }
    let me = app.me(&user.token).await.json();
    assert_eq!(me["name"], "Test User");
    assert_eq!(me["timezone"], "UTC");
}

async fn validate_token_returns_validity_user_and_expiry(app: TestApp) {
    // Arrange
    let email = unique_email();
    let signup = app
        .signup(&json!({ "email": email, "password": PASSWORD }))
        .await
        .json();
    let token = string_at(&signup, "/token");

    // Act
    let res = app.validate_token(&token).await;

    // Assert
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let json = res.json();
    assert_eq!(json["valid"], true);
    assert_eq!(json["user_id"], signup["user"]["id"]);
    let expected: DateTime<Utc> = string_at(&signup, "/expires_at")
        .parse()
        .expect("signup expires_at");
    let actual: DateTime<Utc> = string_at(&json, "/expires_at")
        .parse()
        .expect("validate-token expires_at");
    assert_eq!(actual, expected);
}

async fn login_attempts_beyond_the_per_email_budget_return_429_with_retry_after(app: TestApp) {
    // Arrange: the per-email budget is 10 attempts a minute, refilled one every 6 s. One wrong
    // password, then attempts without a password (counted, but answered without hashing) so
    // that all ten land well within one refill.
    let user = app.new_user().await;
    assert_unauthorized(&app.login(&user.email, "wrong password").await);
    for attempt in 2..=10 {
        // Any case of the email spends the same budget.
        let email = if attempt % 2 == 0 {
            user.email.to_uppercase()
        } else {
            user.email.clone()
        };
        let res = app
            .send(
                app.request(reqwest::Method::POST, "/api/v1/auth/login")
                    .json(&json!({ "email": email })),
            )
            .await;
        assert_invalid(&res, "password");
    }

    // Act
    let limited = app.login(&user.email, &user.password).await;
    let other_email = app.login(&unique_email(), "wrong password").await;

    // Assert: even the right password is refused now, for this email only.
    assert_problem(&limited, StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = limited
        .header("retry-after")
        .expect("Retry-After header")
        .parse()
        .expect("Retry-After in seconds");
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    assert_eq!(limited.header("ratelimit-limit"), Some("10"));
    assert_eq!(limited.header("ratelimit-remaining"), Some("0"));
    assert_eq!(
        limited.header("ratelimit-reset"),
        Some(retry_after.to_string().as_str())
    );
    // The limit that refused, among every limit of the route.
    assert_eq!(
        limited.header("ratelimit"),
        Some(format!("\"email\";r=0;t={retry_after}").as_str())
    );
    assert_eq!(
        limited.header("ratelimit-policy"),
        Some("\"address\";q=60;w=60, \"email\";q=10;w=60")
    );
    assert_unauthorized(&other_email);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signups_beyond_the_hourly_budget_of_an_address_return_429() {
    // Arrange
    let app = TestApp::spawn_with(Backend::Sqlite, |settings| {
        settings.signup_rate_limit_per_hour = 3;
    })
    .await;
    let signup = || json!({"email": unique_email(), "password": PASSWORD, "name": "Burst"});
    for _ in 0..3 {
        assert_eq!(app.signup(&signup()).await.status, StatusCode::CREATED);
    }

    // Act
    let refused = app.signup(&signup()).await;

    // Assert: a new account needs a new hour's budget (one every 20 min).
    assert_problem(&refused, StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = refused
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!(
        (1..=1200).contains(&retry_after),
        "Retry-After {retry_after}"
    );
    assert_eq!(
        refused.header("ratelimit-policy"),
        Some("\"address\";q=3;w=3600")
    );
}

async fn a_password_change_needs_the_current_password(app: TestApp) {
    // Arrange
    let user = app.new_user().await;

    // Act: without it, then with a wrong one.
    let missing = app
        .patch_me(&user.token, &json!({ "password": "taken over now" }))
        .await;
    let wrong = app
        .patch_me(
            &user.token,
            &json!({ "password": "taken over now", "current_password": "a guess!" }),
        )
        .await;

    // Assert: refused, and the password in use still works.
    assert_invalid(&missing, "current_password");
    assert_problem(&wrong, StatusCode::FORBIDDEN);
    assert_eq!(
        app.login(&user.email, &user.password).await.status,
        StatusCode::OK
    );
    assert_unauthorized(&app.login(&user.email, "taken over now").await);
}
