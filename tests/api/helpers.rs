//! The harness: every test gets its own application, served over real HTTP on port 0, backed by
//! a fresh SQLite file or a fresh PostgreSQL schema.

use std::io::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Method, RequestBuilder, StatusCode, header::HeaderMap};
use secrecy::SecretString;
use serde_json::{Value, json};
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use tempfile::TempDir;
use tokio::sync::{OnceCell, oneshot};
use tudu::config::{LogFormat, Settings};
use tudu::startup::Application;

/// The signing secret every test application uses (40 bytes), so tests can forge tokens.
pub const TEST_SECRET: &str = "tudu-integration-test-secret-0123456789a";
/// The password of users made by [`TestApp::new_user`].
pub const PASSWORD: &str = "correct horse battery staple";
/// Strings that must never appear in an error response (SPEC §3).
const LEAKS: [&str; 5] = ["sqlx", "SELECT", "select ", "/work", "panicked"];
/// PostgreSQL test schemas older than this are dropped by the next run.
const STALE_SCHEMA_SECS: u64 = 60 * 60;
const SCHEMA_PREFIX: &str = "tudu_t_";

/// Generates, for each `async fn name(app: TestApp)`, a module `name` with one `#[tokio::test]`
/// per backend: `name::sqlite` and `name::postgres`.
macro_rules! both_backends {
    ($($test:ident),+ $(,)?) => {$(
        mod $test {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let backend = $crate::helpers::Backend::Sqlite;
                super::$test($crate::helpers::TestApp::spawn(backend).await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(backend) = $crate::helpers::Backend::postgres(module_path!()) else {
                    return;
                };
                super::$test($crate::helpers::TestApp::spawn(backend).await).await;
            }
        }
    )+};
}
pub(crate) use both_backends;

/// Like [`both_backends!`] for tests that build their own application: each
/// `async fn name(backend: Backend)` gets `name::sqlite` and `name::postgres`.
macro_rules! each_backend {
    ($($test:ident),+ $(,)?) => {$(
        mod $test {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$test($crate::helpers::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(backend) = $crate::helpers::Backend::postgres(module_path!()) else {
                    return;
                };
                super::$test(backend).await;
            }
        }
    )+};
}
pub(crate) use each_backend;

/// Which database a test application runs on.
#[derive(Debug, Clone)]
pub enum Backend {
    /// A fresh SQLite file in a temporary directory.
    Sqlite,
    /// A fresh schema in the database `TUDU_TEST_DATABASE_URL` names.
    Postgres {
        /// The server URL tests may create schemas with.
        admin_url: String,
    },
}

impl Backend {
    /// The PostgreSQL backend, or `None` (after saying so on stderr) when
    /// `TUDU_TEST_DATABASE_URL` is not set.
    pub fn postgres(test: &str) -> Option<Self> {
        match std::env::var("TUDU_TEST_DATABASE_URL") {
            Ok(url) if !url.trim().is_empty() => Some(Self::Postgres {
                admin_url: url.trim().to_owned(),
            }),
            _ => {
                // Written to the stream itself: libtest would swallow `eprintln!` of a passing test.
                let _ = writeln!(
                    std::io::stderr(),
                    "skipped {test} on PostgreSQL: TUDU_TEST_DATABASE_URL is not set \
                     (e.g. postgres://postgres@127.0.0.1:5432/postgres)"
                );
                None
            }
        }
    }
}

impl Backend {
    /// `sqlite` or `postgres`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres { .. } => "postgres",
        }
    }

    /// The URL of a new, empty database, and the directory holding it for SQLite (deleted when
    /// dropped).
    pub async fn fresh_database(&self) -> (String, Option<TempDir>) {
        match self {
            Self::Sqlite => {
                let dir = TempDir::new().expect("create a temporary directory");
                let url = format!("sqlite://{}/tudu.db", dir.path().display());
                (url, Some(dir))
            }
            Self::Postgres { admin_url } => (fresh_schema(admin_url).await, None),
        }
    }
}

/// A running application and a client for it. The server stops when this is dropped.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// Shared client (no redirects, no proxy).
    pub client: reqwest::Client,
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// The database this app (and its replicas) use.
    database_url: String,
    _shutdown: oneshot::Sender<()>,
    _sqlite_dir: Option<TempDir>,
}

/// A response read to the end, with the checks every response must pass already made.
#[derive(Debug)]
pub struct TestResponse {
    /// Status code.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body as text.
    pub text: String,
}

/// A signed-up user.
#[derive(Debug, Clone)]
pub struct TestUser {
    /// The user's id.
    pub id: String,
    /// The email used to sign up.
    pub email: String,
    /// The password used to sign up.
    pub password: String,
    /// A valid bearer token.
    pub token: String,
}

static STALE_SCHEMAS_DROPPED: OnceCell<()> = OnceCell::const_new();

impl TestApp {
    /// Builds the application on a fresh database, binds port 0 and serves it in the
    /// background.
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Like [`TestApp::spawn`], with settings adjusted by `configure` first.
    pub async fn spawn_with(backend: Backend, configure: impl FnOnce(&mut Settings)) -> Self {
        if std::env::var("TEST_LOG").is_ok_and(|v| v == "1") {
            tudu::telemetry::init(LogFormat::Pretty);
        }
        let (database_url, sqlite_dir) = backend.fresh_database().await;
        let name = backend.name();
        let mut settings = Settings::for_database(&database_url);
        settings.jwt_secret = Some(SecretString::from(TEST_SECRET));
        configure(&mut settings);
        let mut app = Self::serve(settings, name).await;
        app._sqlite_dir = sqlite_dir;
        app
    }

    /// Builds the application on the PostgreSQL database at `database_url` as it is (a server the
    /// test runs itself), not on a fresh schema of `TUDU_TEST_DATABASE_URL`.
    pub async fn spawn_on_postgres(database_url: &str) -> Self {
        if std::env::var("TEST_LOG").is_ok_and(|v| v == "1") {
            tudu::telemetry::init(LogFormat::Pretty);
        }
        let mut settings = Settings::for_database(database_url);
        settings.jwt_secret = Some(SecretString::from(TEST_SECRET));
        Self::serve(settings, "postgres").await
    }

    /// A second server on this one's database and secret, as a replica behind a load balancer
    /// would be.
    pub async fn replica(&self) -> Self {
        self.replica_with(|_| {}).await
    }

    /// Like [`TestApp::replica`], with settings adjusted by `configure` first.
    pub async fn replica_with(&self, configure: impl FnOnce(&mut Settings)) -> Self {
        let mut settings = Settings::for_database(&self.database_url);
        settings.jwt_secret = Some(SecretString::from(TEST_SECRET));
        configure(&mut settings);
        Self::serve(settings, self.backend).await
    }

    async fn serve(settings: Settings, backend: &'static str) -> Self {
        let database_url = settings.database_url.clone();
        let app = Application::build(settings)
            .await
            .expect("build the application");
        let address = format!("http://127.0.0.1:{}", app.port());
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(app.run_until(async {
            // Resolves when the sender is dropped with the TestApp.
            let _ = stopped.await;
        }));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(Duration::from_mins(1))
            .build()
            .expect("build the HTTP client");
        Self {
            address,
            client,
            backend,
            database_url,
            _shutdown: shutdown,
            _sqlite_dir: None,
        }
    }

    /// The URL of this app's database.
    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    /// A request to `path` (which starts with `/`), without credentials.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.address))
    }

    /// A request to `path` carrying `Authorization: Bearer <token>`.
    pub fn authed(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.request(method, path).bearer_auth(token)
    }

    /// [`TestApp::authed`] with an optional JSON body.
    pub fn authed_json(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> RequestBuilder {
        let request = self.authed(method, path, token);
        match body {
            Some(body) => request.json(body),
            None => request,
        }
    }

    /// Sends a request and reads the whole response, checking what every response must carry:
    /// `X-Request-Id`, `X-Content-Type-Options: nosniff`, and for errors a problem+json body
    /// that leaks nothing, plus the header or member SPEC §3 requires for 401, 422 and 429.
    pub async fn send(&self, request: RequestBuilder) -> TestResponse {
        self.check(read(request).await)
    }

    /// Sends all `requests` at once and returns their responses in the same order, each checked
    /// as by [`TestApp::send`].
    pub async fn send_all(&self, requests: Vec<RequestBuilder>) -> Vec<TestResponse> {
        let mut in_flight = tokio::task::JoinSet::new();
        for (index, request) in requests.into_iter().enumerate() {
            in_flight.spawn(async move { (index, read(request).await) });
        }
        let mut responses: Vec<(usize, TestResponse)> = in_flight
            .join_all()
            .await
            .into_iter()
            .map(|(index, res)| (index, self.check(res)))
            .collect();
        responses.sort_by_key(|(index, _)| *index);
        responses.into_iter().map(|(_, res)| res).collect()
    }

    fn check(&self, res: TestResponse) -> TestResponse {
        let status = res.status;
        assert!(
            res.header("x-request-id").is_some_and(|id| !id.is_empty()),
            "[{}] no X-Request-Id on a {status} response",
            self.backend
        );
        assert_eq!(
            res.header("x-content-type-options"),
            Some("nosniff"),
            "[{}] no nosniff on a {status} response",
            self.backend
        );
        if status.is_client_error() || status.is_server_error() {
            assert_eq!(
                res.header("content-type"),
                Some("application/problem+json"),
                "[{}] {status} without problem+json: {}",
                self.backend,
                res.text
            );
            match status {
                StatusCode::UNAUTHORIZED => assert!(
                    res.header("www-authenticate")
                        .is_some_and(|c| c.starts_with("Bearer")),
                    "[{}] 401 without WWW-Authenticate: Bearer",
                    self.backend
                ),
                StatusCode::UNPROCESSABLE_ENTITY => assert!(
                    res.json()["errors"]
                        .as_array()
                        .is_some_and(|e| !e.is_empty()),
                    "[{}] 422 without errors: {}",
                    self.backend,
                    res.text
                ),
                StatusCode::TOO_MANY_REQUESTS => assert!(
                    res.header("retry-after").is_some() && res.header("ratelimit-limit").is_some(),
                    "[{}] 429 without Retry-After and RateLimit-* headers",
                    self.backend
                ),
                _ => {}
            }
            for leak in LEAKS {
                assert!(
                    !res.text.contains(leak),
                    "[{}] {status} response leaks {leak:?}: {}",
                    self.backend,
                    res.text
                );
            }
        }
        res
    }

    // ---- auth ----

    /// `POST /api/v1/auth/signup`.
    pub async fn signup(&self, body: &Value) -> TestResponse {
        self.send(self.request(Method::POST, "/api/v1/auth/signup").json(body))
            .await
    }

    /// `POST /api/v1/auth/login`.
    pub async fn login(&self, email: &str, password: &str) -> TestResponse {
        let body = json!({ "email": email, "password": password });
        self.send(self.request(Method::POST, "/api/v1/auth/login").json(&body))
            .await
    }

    /// `GET /api/v1/auth/me`.
    pub async fn me(&self, token: &str) -> TestResponse {
        self.send(self.authed(Method::GET, "/api/v1/auth/me", token))
            .await
    }

    /// `PATCH /api/v1/auth/me`.
    pub async fn patch_me(&self, token: &str, body: &Value) -> TestResponse {
        self.send(
            self.authed(Method::PATCH, "/api/v1/auth/me", token)
                .json(body),
        )
        .await
    }

    /// `GET /api/v1/auth/validate-token`.
    pub async fn validate_token(&self, token: &str) -> TestResponse {
        self.send(self.authed(Method::GET, "/api/v1/auth/validate-token", token))
            .await
    }

    /// Signs up a user with a unique email and the given extra fields (e.g. `timezone`).
    pub async fn new_user_with(&self, extra: Value) -> TestUser {
        let email = unique_email();
        let mut body = json!({ "email": email, "password": PASSWORD, "name": "Test User" });
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        let res = self.signup(&body).await;
        assert_eq!(
            res.status,
            StatusCode::CREATED,
            "signup failed: {}",
            res.text
        );
        let json = res.json();
        TestUser {
            id: string_at(&json, "/user/id"),
            email,
            password: PASSWORD.to_owned(),
            token: string_at(&json, "/token"),
        }
    }

    /// Signs up a user with a unique email in UTC.
    pub async fn new_user(&self) -> TestUser {
        self.new_user_with(json!({})).await
    }

    // ---- tasks ----

    /// `POST /api/v1/tasks`.
    pub async fn create_task(&self, token: &str, body: &Value) -> TestResponse {
        self.send(self.authed(Method::POST, "/api/v1/tasks", token).json(body))
            .await
    }

    /// `POST /api/v1/tasks`, asserting 201; returns the task.
    pub async fn create_task_ok(&self, token: &str, body: &Value) -> Value {
        let res = self.create_task(token, body).await;
        assert_eq!(
            res.status,
            StatusCode::CREATED,
            "create failed: {}",
            res.text
        );
        res.json()
    }

    /// `GET /api/v1/tasks?<query>` (`query` without the `?`, may be empty).
    pub async fn list_tasks(&self, token: &str, query: &str) -> TestResponse {
        let path = if query.is_empty() {
            "/api/v1/tasks".to_owned()
        } else {
            format!("/api/v1/tasks?{query}")
        };
        self.send(self.authed(Method::GET, &path, token)).await
    }

    /// `GET /api/v1/tasks/{id}` (`id` a UUID or a number).
    pub async fn get_task(&self, token: &str, id: &str) -> TestResponse {
        self.send(self.authed(Method::GET, &task_path(id), token))
            .await
    }

    /// `PUT /api/v1/tasks/{id}`.
    pub async fn put_task(&self, token: &str, id: &str, body: &Value) -> TestResponse {
        self.send(self.authed(Method::PUT, &task_path(id), token).json(body))
            .await
    }

    /// `PATCH /api/v1/tasks/{id}`.
    pub async fn patch_task(&self, token: &str, id: &str, body: &Value) -> TestResponse {
        self.send(self.authed(Method::PATCH, &task_path(id), token).json(body))
            .await
    }

    /// `PATCH /api/v1/tasks/{id}/complete`, with a JSON body or with none (toggle).
    pub async fn complete_task(&self, token: &str, id: &str, body: Option<&Value>) -> TestResponse {
        let path = format!("{}/complete", task_path(id));
        let request = self.authed(Method::PATCH, &path, token);
        let request = match body {
            Some(body) => request.json(body),
            None => request,
        };
        self.send(request).await
    }

    /// `DELETE /api/v1/tasks/{id}`.
    pub async fn delete_task(&self, token: &str, id: &str) -> TestResponse {
        self.send(self.authed(Method::DELETE, &task_path(id), token))
            .await
    }

    /// `GET /api/v1/tasks/stats`.
    pub async fn stats(&self, token: &str) -> TestResponse {
        self.send(self.authed(Method::GET, "/api/v1/tasks/stats", token))
            .await
    }
}

impl TestResponse {
    /// The body parsed as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|err| panic!("body is not JSON ({err}): {}", self.text))
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

async fn read(request: RequestBuilder) -> TestResponse {
    let response = request.send().await.expect("send the request");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("read the response body");
    TestResponse {
        status,
        headers,
        text,
    }
}

/// `/api/v1/tasks/{id}`.
pub fn task_path(id: &str) -> String {
    format!("/api/v1/tasks/{id}")
}

/// An email no other test uses.
pub fn unique_email() -> String {
    format!("user-{}@example.com", uuid::Uuid::now_v7().simple())
}

/// The string at a JSON pointer, panicking with the document when it is not one.
pub fn string_at(json: &Value, pointer: &str) -> String {
    json.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string at {pointer} in {json}"))
        .to_owned()
}

/// Asserts an RFC 9457 problem with `status`; returns the body.
pub fn assert_problem(res: &TestResponse, status: StatusCode) -> Value {
    assert_eq!(res.status, status, "unexpected status, body: {}", res.text);
    let body = res.json();
    assert!(body["type"].is_string(), "problem without type: {body}");
    assert!(body["title"].is_string(), "problem without title: {body}");
    assert_eq!(body["status"], status.as_u16(), "problem status: {body}");
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "problem without detail: {body}"
    );
    body
}

/// The URL of `Link: <…>; rel="next"`, which must be relative to the server and start with
/// `prefix`; `None` without the header.
pub fn link_next(res: &TestResponse, prefix: &str) -> Option<String> {
    let link = res.header("link")?;
    let start = link.find('<').expect("Link has <") + 1;
    let end = link.find('>').expect("Link has >");
    assert!(
        link[end..].contains(r#"rel="next""#),
        "Link is not rel=next: {link}"
    );
    let url = &link[start..end];
    assert!(
        url.starts_with(prefix),
        "Link does not start with {prefix}: {link}"
    );
    Some(url.to_owned())
}

/// Asserts a 422 whose `errors` name `field`; returns the body.
pub fn assert_invalid(res: &TestResponse, field: &str) -> Value {
    let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("422 without errors: {body}"));
    assert!(
        errors
            .iter()
            .all(|e| e["field"].is_string() && e["message"].is_string()),
        "malformed errors: {body}"
    );
    assert!(
        errors.iter().any(|e| e["field"] == field),
        "no error on {field}: {body}"
    );
    body
}

/// Asserts a 401 with a `WWW-Authenticate: Bearer …` challenge; returns the body.
pub fn assert_unauthorized(res: &TestResponse) -> Value {
    let body = assert_problem(res, StatusCode::UNAUTHORIZED);
    assert!(
        res.header("www-authenticate")
            .is_some_and(|c| c.starts_with("Bearer")),
        "401 without a Bearer challenge: {:?}",
        res.headers
    );
    body
}

/// Asserts a 404 problem; returns the body.
pub fn assert_not_found(res: &TestResponse) -> Value {
    assert_problem(res, StatusCode::NOT_FOUND)
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A JWT signed with `alg` and `secret`.
pub fn sign_token(alg: Algorithm, claims: &Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(secret))
        .expect("sign a test token")
}

/// The claims tudu issues, for `user_id`, valid for an hour.
pub fn valid_claims(user_id: &str) -> Value {
    let now = unix_now();
    json!({
        "sub": user_id,
        "user_id": user_id,
        "email": "someone@example.com",
        "name": "Someone",
        "iat": now,
        "exp": now + 3600,
    })
}

/// An unsigned token (`alg: none`, empty signature).
pub fn unsigned_token(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.")
}

/// A fresh schema in the database at `admin_url`; returns the URL that makes it the
/// connection's `search_path`.
async fn fresh_schema(admin_url: &str) -> String {
    STALE_SCHEMAS_DROPPED
        .get_or_init(|| drop_stale_schemas(admin_url))
        .await;
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    let schema = format!("{SCHEMA_PREFIX}{secs}_{:016x}", rand::random::<u64>());
    let mut conn = PgConnection::connect(admin_url)
        .await
        .expect("connect to TUDU_TEST_DATABASE_URL");
    sqlx::query(AssertSqlSafe(format!(r#"create schema "{schema}""#)))
        .execute(&mut conn)
        .await
        .expect("create the test schema");
    conn.close().await.expect("close the admin connection");
    let separator = if admin_url.contains('?') { '&' } else { '?' };
    // `options=-c search_path=<schema>`, URL-encoded.
    format!("{admin_url}{separator}options=-c%20search_path%3D{schema}")
}

/// Best effort: drops test schemas left behind by runs more than an hour old.
async fn drop_stale_schemas(admin_url: &str) {
    let Ok(mut conn) = PgConnection::connect(admin_url).await else {
        return;
    };
    let names: Vec<String> = sqlx::query_scalar(
        r"select nspname::text from pg_namespace where nspname like 'tudu\_t\_%'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap_or_default();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    for name in names {
        let created = name
            .strip_prefix(SCHEMA_PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|secs| secs.parse::<u64>().ok());
        let safe = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if let (Some(created), true) = (created, safe)
            && now.saturating_sub(created) > STALE_SCHEMA_SECS
        {
            let dropped = sqlx::query(AssertSqlSafe(format!(
                r#"drop schema if exists "{name}" cascade"#
            )))
            .execute(&mut conn)
            .await;
            if let Err(err) = dropped {
                eprintln!("could not drop stale test schema {name}: {err}");
            }
        }
    }
    let _ = conn.close().await;
}

/// The RFC 3339 instant at `pointer`.
pub fn instant(json: &Value, pointer: &str) -> DateTime<Utc> {
    string_at(json, pointer)
        .parse()
        .unwrap_or_else(|err| panic!("{pointer} is not RFC 3339 ({err}) in {json}"))
}

/// The `number`s of a JSON array of tasks, in order.
pub fn numbers(tasks: &Value) -> Vec<i64> {
    tasks
        .as_array()
        .unwrap_or_else(|| panic!("expected an array: {tasks}"))
        .iter()
        .map(|t| t["number"].as_i64().expect("number"))
        .collect()
}

/// How many tasks `token`'s user has (up to 100).
pub async fn task_total(app: &TestApp, token: &str) -> usize {
    let res = app.list_tasks(token, "limit=100").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.json().as_array().map_or(0, Vec::len)
}
