//! Tokens from an external issuer, verified against its JWKS served over real HTTP.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use axum::{Json, Router, routing::get};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, assert_problem, assert_unauthorized, unix_now};

/// Ed25519 test keys, generated for this suite only.
const ISSUER_KEY: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEINaI5HPgpXMc0QlrbEKe2iJmKkIoU4Qsgtj9/NsgOan3
-----END PRIVATE KEY-----";
/// The public half of [`ISSUER_KEY`], as the JWK `x` parameter.
const ISSUER_PUBLIC_X: &str = "FZ1Y6o0qQPEIQ5ju0WSrFB5vqYW_YgHbFZ8cuiRghXI";
const OTHER_KEY: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEII8KOHLQnioF5woFhNERcQvCJNwHkRjqbkOAZhhTawD2
-----END PRIVATE KEY-----";
const KID: &str = "issuer-key-1";

/// Serves `{"keys":[…]}` on a free port and counts fetches.
async fn spawn_jwks_server() -> (String, Arc<AtomicUsize>) {
    let fetches = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&fetches);
    let jwks = json!({"keys": [
        {"kty": "OKP", "crv": "Ed25519", "x": ISSUER_PUBLIC_X, "kid": KID, "alg": "EdDSA", "use": "sig"},
        // A symmetric key must never be used, whatever a token claims.
        {"kty": "oct", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA", "kid": "hmac-key", "alg": "HS256"}
    ]});
    let router = Router::new().route(
        "/jwks",
        get(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            let jwks = jwks.clone();
            async move { Json(jwks) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind JWKS server");
    let address = listener.local_addr().expect("JWKS address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    (format!("http://{address}/jwks"), fetches)
}

fn external_token(private_pem: &str, kid: &str, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.to_owned());
    let key = EncodingKey::from_ed_der(&pem_to_der(private_pem));
    jsonwebtoken::encode(&header, claims, &key).expect("sign test token")
}

/// The DER bytes of a one-block PEM (base64 between the armour lines).
fn pem_to_der(pem: &str) -> Vec<u8> {
    use base64::Engine;
    let body: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("test PEM is base64")
}

fn claims(sub: &str, email: &str) -> Value {
    json!({"sub": sub, "email": email, "name": "Grace", "iat": unix_now(), "exp": unix_now() + 600})
}

async fn external_tokens_are_accepted_and_forgeries_refused(backend: Backend) {
    // Arrange
    let (jwks_url, fetches) = spawn_jwks_server().await;
    let app = TestApp::spawn_with(backend, |settings| settings.jwt_jwks_url = Some(jwks_url)).await;
    let token = external_token(ISSUER_KEY, KID, &claims("ext|grace", "Grace@Example.com"));

    // Act: first sight creates the user; the token works on every route.
    let me = app.me(&token).await;
    let created = app
        .create_task(&token, &json!({"title": "from the issuer"}))
        .await;
    let again = app.me(&token).await;

    // Assert
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    assert_eq!(me.json()["id"], "ext|grace");
    assert_eq!(me.json()["email"], "grace@example.com");
    assert_eq!(me.json()["name"], "Grace");
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.json()["user_id"], "ext|grace");
    // The user came with an Inbox, and the task went there.
    let projects = app
        .send(app.authed(Method::GET, "/api/v1/projects", &token))
        .await
        .json();
    assert_eq!(projects.as_array().map(Vec::len), Some(1), "{projects}");
    assert_eq!(projects[0]["is_inbox"], true);
    assert_eq!(created.json()["project_id"], projects[0]["id"]);
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(
        fetches.load(Ordering::SeqCst),
        1,
        "keys are cached between requests"
    );

    // A key the issuer never published, under its kid: refused.
    let forged = external_token(OTHER_KEY, KID, &claims("ext|mallory", "m@example.com"));
    assert_unauthorized(&app.me(&forged).await);
    // An unknown kid: refused (one refresh attempt at most per interval).
    let unknown = external_token(
        ISSUER_KEY,
        "rotated-away",
        &claims("ext|grace", "g@example.com"),
    );
    assert_unauthorized(&app.me(&unknown).await);
    assert!(fetches.load(Ordering::SeqCst) <= 2);
    // Expired.
    let mut old = claims("ext|grace", "grace@example.com");
    old["exp"] = json!(unix_now() - 3600);
    assert_unauthorized(&app.me(&external_token(ISSUER_KEY, KID, &old)).await);
    // An HS256 token naming the symmetric key in the set is checked against the local secret only.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("hmac-key".to_owned());
    let confused = jsonwebtoken::encode(
        &header,
        &claims("ext|grace", "grace@example.com"),
        &EncodingKey::from_secret(b"secret-secret-secret-secret-secret"),
    )
    .expect("sign");
    assert_unauthorized(&app.me(&confused).await);
    // The external user sees only their own tasks.
    let listed = app
        .send(app.authed(Method::GET, "/api/v1/tasks", &token))
        .await;
    assert_eq!(listed.json().as_array().map(Vec::len), Some(1));
}

async fn external_email_taken_by_a_local_account_is_a_conflict(backend: Backend) {
    // Arrange
    let (jwks_url, _) = spawn_jwks_server().await;
    let app = TestApp::spawn_with(backend, |settings| settings.jwt_jwks_url = Some(jwks_url)).await;
    let local = app.new_user().await;
    let token = external_token(ISSUER_KEY, KID, &claims("ext|other", &local.email));

    // Act
    let res = app.me(&token).await;

    // Assert
    assert_problem(&res, StatusCode::CONFLICT);
}

macro_rules! jwks_test {
    ($($test:ident),+ $(,)?) => {$(
        mod $test {
            #[tokio::test]
            async fn sqlite() {
                super::$test($crate::helpers::Backend::Sqlite).await;
            }

            #[tokio::test]
            async fn postgres() {
                if let Some(backend) = $crate::helpers::Backend::postgres(module_path!()) {
                    super::$test(backend).await;
                }
            }
        }
    )+};
}

jwks_test!(
    external_tokens_are_accepted_and_forgeries_refused,
    external_email_taken_by_a_local_account_is_a_conflict,
);
