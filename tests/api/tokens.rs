//! Bearer tokens: missing, forged, tampered, expired or otherwise unacceptable tokens get 401
//! with a `WWW-Authenticate: Bearer` challenge on every protected route.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::Algorithm;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    TEST_SECRET, TestApp, assert_unauthorized, both_backends, sign_token, task_path, unix_now,
    unsigned_token, valid_claims,
};

both_backends!(
    every_protected_route_without_a_token_returns_401_with_a_bearer_challenge,
    malformed_authorization_headers_return_401,
    a_forged_token_with_the_right_secret_is_accepted,
    a_token_within_the_clock_skew_leeway_is_accepted,
    a_token_with_alg_none_is_rejected,
    a_token_with_a_tampered_payload_is_rejected,
    an_expired_token_is_rejected,
    a_token_signed_with_another_secret_is_rejected,
    a_token_without_exp_is_rejected,
    a_token_signed_with_hs512_and_the_right_secret_is_rejected,
    a_token_of_a_user_that_does_not_exist_is_rejected,
);

/// Every route that needs a token, with a body where one is expected.
fn protected_routes() -> Vec<(Method, String, Option<Value>)> {
    let id = uuid::Uuid::now_v7().to_string();
    let update = Some(json!({ "title": "x" }));
    vec![
        (Method::GET, "/api/v1/auth/me".into(), None),
        (Method::PATCH, "/api/v1/auth/me".into(), Some(json!({}))),
        (Method::GET, "/api/v1/auth/validate-token".into(), None),
        (Method::GET, "/api/v1/tasks".into(), None),
        (Method::POST, "/api/v1/tasks".into(), update.clone()),
        (Method::GET, "/api/v1/tasks/stats".into(), None),
        (Method::GET, task_path(&id), None),
        (Method::GET, task_path("1"), None),
        (Method::PUT, task_path(&id), update.clone()),
        (Method::PATCH, task_path(&id), update),
        (Method::DELETE, task_path(&id), None),
        (Method::PATCH, format!("{}/complete", task_path(&id)), None),
    ]
}

/// Asserts that `token` is refused on `/auth/me` and on the task list.
async fn assert_token_rejected(app: &TestApp, token: &str) {
    for path in [
        "/api/v1/auth/me",
        "/api/v1/tasks",
        "/api/v1/auth/validate-token",
    ] {
        let res = app.send(app.authed(Method::GET, path, token)).await;
        let body = assert_unauthorized(&res);
        assert!(
            res.header("www-authenticate")
                .is_some_and(|c| c.contains("invalid_token")),
            "a bad token's challenge names invalid_token: {:?} {body}",
            res.headers
        );
    }
}

async fn every_protected_route_without_a_token_returns_401_with_a_bearer_challenge(app: TestApp) {
    for (method, path, body) in protected_routes() {
        // Arrange
        let request = app.request(method.clone(), &path);
        let request = match &body {
            Some(body) => request.json(body),
            None => request,
        };

        // Act
        let res = app.send(request).await;

        // Assert
        assert_eq!(
            res.status,
            StatusCode::UNAUTHORIZED,
            "{method} {path}: {}",
            res.text
        );
        assert_unauthorized(&res);
    }
}

async fn malformed_authorization_headers_return_401(app: TestApp) {
    let user = app.new_user().await;
    let headers = [
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
        "Bearer not-a-jwt".to_owned(),
        "Bearer a.b.c".to_owned(),
        format!("Basic {}", URL_SAFE_NO_PAD.encode("user:pass")),
        // The right token under the wrong scheme.
        format!("Token {}", user.token),
    ];
    for header in headers {
        // Act
        let res = app
            .send(
                app.request(Method::GET, "/api/v1/auth/me")
                    .header("authorization", &header),
            )
            .await;

        // Assert
        assert_eq!(
            res.status,
            StatusCode::UNAUTHORIZED,
            "{header}: {}",
            res.text
        );
        assert_unauthorized(&res);
    }
}

async fn a_forged_token_with_the_right_secret_is_accepted(app: TestApp) {
    // Arrange: proves the forging below is faithful, so the rejections are meaningful.
    let user = app.new_user().await;
    let token = sign_token(
        Algorithm::HS256,
        &valid_claims(&user.id),
        TEST_SECRET.as_bytes(),
    );

    // Act
    let res = app.me(&token).await;

    // Assert
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["id"], user.id.as_str());
}

async fn a_token_within_the_clock_skew_leeway_is_accepted(app: TestApp) {
    // Arrange: expired 20 s ago, inside the 60 s leeway.
    let user = app.new_user().await;
    let mut claims = valid_claims(&user.id);
    claims["iat"] = json!(unix_now() - 3600);
    claims["exp"] = json!(unix_now() - 20);
    let token = sign_token(Algorithm::HS256, &claims, TEST_SECRET.as_bytes());

    // Act
    let res = app.me(&token).await;

    // Assert
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}

async fn a_token_with_alg_none_is_rejected(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let token = unsigned_token(&valid_claims(&user.id));

    // Act + Assert
    assert_token_rejected(&app, &token).await;
}

async fn a_token_with_a_tampered_payload_is_rejected(app: TestApp) {
    // Arrange: B's valid token with its payload swapped for one naming A.
    let victim = app.new_user().await;
    let attacker = app.new_user().await;
    let parts: Vec<&str> = attacker.token.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWS has three parts");
    let payload = URL_SAFE_NO_PAD.encode(valid_claims(&victim.id).to_string());
    let tampered = format!("{}.{payload}.{}", parts[0], parts[2]);

    // Act + Assert
    assert_token_rejected(&app, &tampered).await;
    // The untouched token still works and is still the attacker's.
    assert_eq!(
        app.me(&attacker.token).await.json()["id"],
        attacker.id.as_str()
    );
}

async fn an_expired_token_is_rejected(app: TestApp) {
    // Arrange: expired two hours ago, far beyond the 60 s leeway.
    let user = app.new_user().await;
    let mut claims = valid_claims(&user.id);
    claims["iat"] = json!(unix_now() - 3 * 3600);
    claims["exp"] = json!(unix_now() - 2 * 3600);
    let token = sign_token(Algorithm::HS256, &claims, TEST_SECRET.as_bytes());

    // Act + Assert
    assert_token_rejected(&app, &token).await;
}

async fn a_token_signed_with_another_secret_is_rejected(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let token = sign_token(
        Algorithm::HS256,
        &valid_claims(&user.id),
        b"some-other-secret-that-is-also-40-bytes!",
    );

    // Act + Assert
    assert_token_rejected(&app, &token).await;
}

async fn a_token_without_exp_is_rejected(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let mut claims = valid_claims(&user.id);
    claims
        .as_object_mut()
        .expect("claims are an object")
        .remove("exp");
    let token = sign_token(Algorithm::HS256, &claims, TEST_SECRET.as_bytes());

    // Act + Assert
    assert_token_rejected(&app, &token).await;
}

async fn a_token_signed_with_hs512_and_the_right_secret_is_rejected(app: TestApp) {
    // Arrange: the algorithm is pinned to HS256.
    let user = app.new_user().await;
    let token = sign_token(
        Algorithm::HS512,
        &valid_claims(&user.id),
        TEST_SECRET.as_bytes(),
    );

    // Act + Assert
    assert_token_rejected(&app, &token).await;
}

async fn a_token_of_a_user_that_does_not_exist_is_rejected(app: TestApp) {
    // Arrange: correctly signed, but nobody has this id.
    let ghost = uuid::Uuid::now_v7().to_string();
    let token = sign_token(
        Algorithm::HS256,
        &valid_claims(&ghost),
        TEST_SECRET.as_bytes(),
    );

    // Act + Assert
    assert_token_rejected(&app, &token).await;
    let res = app.create_task(&token, &json!({ "title": "x" })).await;
    assert_unauthorized(&res);
}
