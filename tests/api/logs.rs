//! Log lines, as production writes them (`telemetry::json_layer`): each request's completion
//! line and each MCP tool call carry the request id; secrets never appear.
//!
//! The first of these tests installs the process's global subscriber, which keeps only lines
//! mentioning a request id of the form `logtest-…` or a string a test [`watch`]es (a user id,
//! to find lines whose request id the server generated), so that each test finds its own lines
//! among those of every server in the process (including tasks those servers spawn).

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Mutex, OnceLock, PoisonError};

use axum::response::IntoResponse as _;
use reqwest::{Method, StatusCode, header::HeaderValue};
use rmcp::{
    ServiceExt,
    model::CallToolRequestParams,
    transport::{
        StreamableHttpClientTransport, streamable_http_client::StreamableHttpClientTransportConfig,
    },
};
use serde_json::{Value, json};
use tracing_subscriber::{
    EnvFilter, fmt::MakeWriter, layer::SubscriberExt, util::SubscriberInitExt,
};
use tudu::db::{Db, PoolSettings};
use tudu::mcp::TodoMcp;

use crate::helpers::{TestApp, both_backends};

both_backends!(
    a_request_logs_one_line_with_its_id_route_status_latency_and_user,
    secrets_and_headers_are_never_logged,
    mcp_tool_calls_log_the_http_request_id,
    in_process_tool_calls_log_the_given_request_id,
    chat_tool_calls_log_the_chat_request_id,
    an_unacceptable_request_id_is_never_logged,
    internal_errors_are_logged_without_the_database_detail,
);

const MARKER: &str = "logtest-";
static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());
static WATCHED: Mutex<Vec<String>> = Mutex::new(Vec::new());
static INSTALLED: OnceLock<bool> = OnceLock::new();

/// One formatted event; kept when it mentions a test's request id.
struct Line(Vec<u8>);

impl Write for Line {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        let line = String::from_utf8_lossy(&self.0);
        if std::env::var("TEST_LOG").is_ok_and(|v| v == "1") {
            let _ = std::io::stderr().write_all(line.as_bytes());
        }
        let watched = || {
            WATCHED
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .any(|w| line.contains(w.as_str()))
        };
        if line.contains(MARKER) || watched() {
            LINES
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(line.into_owned());
        }
    }
}

struct Lines;

impl<'a> MakeWriter<'a> for Lines {
    type Writer = Line;

    fn make_writer(&'a self) -> Line {
        Line(Vec::new())
    }
}

/// Whether lines are being captured (not when `TEST_LOG=1` installed another subscriber first).
pub(crate) fn capturing() -> bool {
    *INSTALLED.get_or_init(|| {
        tracing_subscriber::registry()
            .with(EnvFilter::new(tudu::telemetry::DEFAULT_FILTER))
            .with(tudu::telemetry::json_layer(Lines))
            .try_init()
            .is_ok()
    })
}

/// A request id no other test uses, whose lines are captured.
pub(crate) fn request_id() -> String {
    format!("{MARKER}{}", uuid::Uuid::now_v7().simple())
}

/// Captures, from now on, the lines that mention `text` too.
pub(crate) fn watch(text: &str) {
    WATCHED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(text.to_owned());
}

/// The captured lines that mention `request_id`, parsed.
pub(crate) fn lines_of(request_id: &str) -> Vec<Value> {
    LINES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .filter(|l| l.contains(request_id))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// The one line of `request_id` whose message is `message`.
fn line(request_id: &str, message: &str) -> Value {
    let lines = lines_of(request_id);
    let mut found = lines.iter().filter(|l| l["message"] == message);
    let first = found
        .next()
        .unwrap_or_else(|| panic!("no {message:?} line for {request_id} in {lines:#?}"));
    assert!(found.next().is_none(), "two {message:?} lines: {lines:#?}");
    first.clone()
}

pub(crate) fn skip(test: &str) {
    let _ = writeln!(
        std::io::stderr(),
        "skipped {test}: another subscriber (TEST_LOG=1) is installed"
    );
}

async fn a_request_logs_one_line_with_its_id_route_status_latency_and_user(app: TestApp) {
    if !capturing() {
        return skip("a_request_logs_one_line…");
    }
    // Arrange
    let user = app.new_user().await;
    let (authed, anonymous) = (request_id(), request_id());

    // Act
    let ok = app
        .send(
            app.authed(Method::GET, "/api/v1/tasks", &user.token)
                .header("x-request-id", &authed),
        )
        .await;
    let refused = app
        .send(
            app.request(Method::GET, "/api/v1/tasks")
                .header("x-request-id", &anonymous),
        )
        .await;

    // Assert
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let done = line(&authed, "request completed");
    assert_eq!(done["level"], "INFO");
    assert_eq!(done["status"], 200);
    assert!(
        done["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0),
        "{done}"
    );
    let span = &done["span"];
    assert_eq!(span["name"], "request");
    assert_eq!(span["request_id"], authed.as_str());
    assert_eq!(span["method"], "GET");
    assert_eq!(span["route"], "/api/v1/tasks");
    assert_eq!(span["user_id"], user.id.as_str());
    let done = line(&anonymous, "request completed");
    assert_eq!(done["status"], 401);
    assert!(done["span"].get("user_id").is_none(), "{done}");
}

async fn secrets_and_headers_are_never_logged(app: TestApp) {
    if !capturing() {
        return skip("secrets_and_headers_are_never_logged");
    }
    // Arrange
    let (signup, login, authed) = (request_id(), request_id(), request_id());
    let email = crate::helpers::unique_email();
    let password = "a password that must stay secret";
    let body = json!({ "email": email, "password": password, "name": "Secretive" });

    // Act
    let created = app
        .send(
            app.request(Method::POST, "/api/v1/auth/signup")
                .header("x-request-id", &signup)
                .json(&body),
        )
        .await;
    let token = created.json()["token"].as_str().expect("token").to_owned();
    app.send(
        app.request(Method::POST, "/api/v1/auth/login")
            .header("x-request-id", &login)
            .json(&json!({ "email": email, "password": password })),
    )
    .await;
    app.send(
        app.authed(Method::GET, "/api/v1/auth/me", &token)
            .header("x-request-id", &authed),
    )
    .await;

    // Assert
    for id in [&signup, &login, &authed] {
        let lines = lines_of(id);
        assert!(!lines.is_empty(), "no line for {id}");
        for line in lines.iter().map(Value::to_string) {
            for secret in [password, email.as_str(), token.as_str(), "Bearer"] {
                assert!(!line.contains(secret), "{secret:?} logged: {line}");
            }
            assert!(!line.to_lowercase().contains("authorization"), "{line}");
        }
    }
}

async fn mcp_tool_calls_log_the_http_request_id(app: TestApp) {
    if !capturing() {
        return skip("mcp_tool_calls_log_the_http_request_id");
    }
    // Arrange
    let user = app.new_user().await;
    let id = request_id();
    let headers = HashMap::from([(
        reqwest::header::HeaderName::from_static("x-request-id"),
        HeaderValue::from_str(&id).expect("a header value"),
    )]);
    let config = StreamableHttpClientTransportConfig::with_uri(format!("{}/mcp", app.address))
        .auth_header(user.token.clone())
        .custom_headers(headers);
    let client =
        ().serve(StreamableHttpClientTransport::from_config(config))
            .await
            .expect("initialize");

    // Act
    let result = client
        .call_tool(CallToolRequestParams::new("list_tasks"))
        .await
        .expect("list_tasks");
    let _ = client.cancel().await;

    // Assert
    assert_ne!(result.is_error, Some(true));
    let call = line(&id, "tool call completed");
    assert_eq!(call["outcome"], "ok");
    assert!(call["latency_ms"].as_f64().is_some(), "{call}");
    let span = &call["span"];
    assert_eq!(span["name"], "tool_call");
    assert_eq!(span["tool"], "list_tasks");
    assert_eq!(span["request_id"], id.as_str());
    assert_eq!(span["user_id"], user.id.as_str());
    assert!(
        lines_of(&id)
            .iter()
            .any(|l| l["message"] == "request completed" && l["span"]["route"] == "/mcp"),
        "{:#?}",
        lines_of(&id)
    );
}

async fn in_process_tool_calls_log_the_given_request_id(app: TestApp) {
    if !capturing() {
        return skip("in_process_tool_calls_log_the_given_request_id");
    }
    // Arrange: the chat agent's set-up, a server per turn acting as the user.
    let user = app.new_user().await;
    let id = request_id();
    let db = Db::connect(app.database_url(), &PoolSettings::default())
        .await
        .expect("connect");
    let server = TodoMcp::for_user(db.clone(), user.id.clone()).with_request_id(id.clone());
    let (server_io, client_io) = tokio::io::duplex(64 * 1024);
    let serving = tokio::spawn(async move {
        let running = server.serve(server_io).await.expect("serve");
        let _ = running.waiting().await;
    });
    let client = ().serve(client_io).await.expect("initialize");

    // Act
    let result = client
        .call_tool(
            CallToolRequestParams::new("add_task").with_arguments(
                json!({ "title": "x" })
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            ),
        )
        .await
        .expect("add_task");
    let _ = client.cancel().await;
    let _ = serving.await;
    db.close().await;

    // Assert
    assert_ne!(result.is_error, Some(true));
    let call = line(&id, "tool call completed");
    assert_eq!(call["outcome"], "ok");
    assert_eq!(call["span"]["tool"], "add_task");
    assert_eq!(call["span"]["user_id"], user.id.as_str());
}

// Kept apart from the list above so that this test stays one self-contained block.
crate::helpers::each_backend!(the_model_providers_key_is_never_logged);

/// The OpenAI-compatible provider's key, even when the provider echoes it back in an error.
async fn the_model_providers_key_is_never_logged(backend: crate::helpers::Backend) {
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers};
    if !capturing() {
        return skip("the_model_providers_key_is_never_logged");
    }
    // Arrange
    let key = "sk-logtest-key-that-must-stay-secret-0123456789";
    let provider = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": { "message": format!("Incorrect API key provided: {key}"),
                       "type": "invalid_request_error", "param": null, "code": "invalid_api_key" }
        })))
        .mount(&provider)
        .await;
    let app = TestApp::spawn_with(backend, |s| {
        s.chat.agent = tudu::config::AgentKind::Openai;
        s.chat.openai_base_url = format!("{}/v1", provider.uri());
        s.chat.openai_api_key = Some(secrecy::SecretString::from(key));
    })
    .await;
    let user = app.new_user().await;
    let id = request_id();

    // Act
    let res = app
        .send(
            app.authed_json(
                Method::POST,
                "/api/v1/chat",
                &user.token,
                Some(&json!({ "message": "add buy milk" })),
            )
            .header("x-request-id", &id),
        )
        .await;

    // Assert
    assert_eq!(res.status, StatusCode::BAD_GATEWAY, "{}", res.text);
    assert!(!res.text.contains(key));
    let lines = lines_of(&id);
    assert!(
        lines
            .iter()
            .any(|l| l["message"] == "LLM provider refused the request"),
        "the provider's refusal is logged: {lines:#?}"
    );
    for line in lines.iter().map(Value::to_string) {
        assert!(!line.contains(key), "the key was logged: {line}");
    }
}

async fn chat_tool_calls_log_the_chat_request_id(app: TestApp) {
    if !capturing() {
        return skip("chat_tool_calls_log_the_chat_request_id");
    }
    // Arrange: the user's lines are captured whatever their request id.
    let user = app.new_user().await;
    watch(&user.id);
    let given = request_id();
    let chat = |message: &str| {
        app.authed_json(
            Method::POST,
            "/api/v1/chat",
            &user.token,
            Some(&json!({ "message": message })),
        )
    };

    // Act
    let with_id = app
        .send(chat("add buy milk").header("x-request-id", &given))
        .await;
    let without_id = app.send(chat("add buy bread")).await;

    // Assert
    assert_eq!(with_id.status, StatusCode::OK, "{}", with_id.text);
    assert_eq!(without_id.status, StatusCode::OK, "{}", without_id.text);
    assert_eq!(with_id.header("x-request-id"), Some(given.as_str()));
    let generated = without_id
        .header("x-request-id")
        .expect("a generated request id")
        .to_owned();
    assert!(uuid::Uuid::parse_str(&generated).is_ok(), "{generated}");
    for (id, title) in [(&given, "buy milk"), (&generated, "buy bread")] {
        let call = line(id, "tool call completed");
        assert_eq!(call["outcome"], "ok", "{call}");
        let span = &call["span"];
        assert_eq!(span["name"], "tool_call", "{call}");
        assert_eq!(span["tool"], "add_task", "{call}");
        assert_eq!(span["request_id"], id.as_str(), "{call}");
        assert_eq!(span["user_id"], user.id.as_str(), "{call}");
        let done = line(id, "request completed");
        assert_eq!(done["span"]["route"], "/api/v1/chat", "{done}");
        let tasks = app.list_tasks(&user.token, "").await.json();
        assert!(
            tasks.to_string().to_lowercase().contains(title),
            "{title:?} not created: {tasks}"
        );
    }
}

async fn an_unacceptable_request_id_is_never_logged(app: TestApp) {
    if !capturing() {
        return skip("an_unacceptable_request_id_is_never_logged");
    }
    // Arrange: ids that carry the capture marker, so any line logging them would be kept.
    let user = app.new_user().await;
    let too_long = format!("{}{}", request_id(), "x".repeat(128));
    let forged = format!("{} level=ERROR injected", request_id());

    for bad in [too_long, forged] {
        // Act
        let res = app
            .send(
                app.authed(Method::GET, "/api/v1/tasks", &user.token)
                    .header("x-request-id", &bad),
            )
            .await;

        // Assert
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let replaced = res.header("x-request-id").expect("a request id");
        assert!(uuid::Uuid::parse_str(replaced).is_ok(), "{replaced}");
        assert!(lines_of(&bad).is_empty(), "{:#?}", lines_of(&bad));
    }
}

async fn internal_errors_are_logged_without_the_database_detail(app: TestApp) {
    if !capturing() {
        return skip("internal_errors_are_logged_without_the_database_detail");
    }
    // Arrange: a real unique violation, whose PostgreSQL `detail` quotes the duplicated value.
    let id = request_id();
    let email = crate::helpers::unique_email();
    let cause = unique_violation(app.database_url(), &email).await;

    // Act
    let status = tracing::info_span!("request", request_id = id.as_str()).in_scope(|| {
        tudu::error::ApiError::Internal(anyhow::Error::new(cause))
            .into_response()
            .status()
    });

    // Assert
    assert_eq!(status.as_u16(), 500);
    let logged = line(&id, "request failed");
    assert_eq!(logged["level"], "ERROR");
    let error = logged["error"].as_str().expect("an error message");
    assert!(error.to_lowercase().contains("unique"), "{logged}");
    assert!(
        !logged.to_string().contains(&email),
        "the detail was logged: {logged}"
    );
    if app.backend == "postgres" {
        assert_eq!(logged["sqlstate"], "23505", "{logged}");
    }
}

/// The error of inserting `email` twice into a unique column of a temporary table.
async fn unique_violation(database_url: &str, email: &str) -> sqlx::Error {
    use sqlx::{AssertSqlSafe, Connection};
    let create = "create temporary table logtest_people (email text unique)";
    // A fresh UUID-based address: nothing to escape.
    let insert = format!("insert into logtest_people (email) values ('{email}')");
    macro_rules! on {
        ($connection:ty) => {{
            let mut conn = <$connection>::connect(database_url).await.expect("connect");
            sqlx::query(create)
                .execute(&mut conn)
                .await
                .expect("create the table");
            sqlx::query(AssertSqlSafe(insert.clone()))
                .execute(&mut conn)
                .await
                .expect("the first insert");
            let err = sqlx::query(AssertSqlSafe(insert))
                .execute(&mut conn)
                .await
                .expect_err("the duplicate is refused");
            let _ = conn.close().await;
            err
        }};
    }
    if database_url.starts_with("sqlite:") {
        on!(sqlx::SqliteConnection)
    } else {
        on!(sqlx::PgConnection)
    }
}
