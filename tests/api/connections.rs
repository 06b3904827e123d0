//! Connections as raw sockets see them (SPEC §9): slow or idle clients are cut at their
//! deadlines, a reused connection never loses a request, oversized heads get problem+json, the
//! connection cap answers instead of starving, and a shutdown ends whatever clients do.

use std::net::SocketAddr;
use std::time::Duration;

use secrecy::SecretString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tudu::config::Settings;
use tudu::startup::Application;

use crate::helpers::{Backend, TEST_SECRET, TestApp, both_backends};

/// Longest any wait on the server in these tests may take; deadlines under test are 1 s.
const PATIENCE: Duration = Duration::from_secs(10);

both_backends!(
    a_request_answered_before_its_body_was_read_never_costs_the_next_request,
    an_oversized_head_gets_a_problem_json_414_or_431
);

fn socket_of(app: &TestApp) -> SocketAddr {
    app.address
        .trim_start_matches("http://")
        .parse()
        .expect("the app's address")
}

/// One response read off a raw connection.
#[derive(Debug)]
struct Raw {
    status: u16,
    head: String,
    body: String,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then_some(value.trim())
        })
    }

    fn closes(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

/// Reads one response with a `Content-Length` body; `None` when the connection closed first.
async fn read_response(stream: &mut TcpStream) -> Option<Raw> {
    let mut raw = Vec::new();
    let mut chunk = [0_u8; 4096];
    let head_end = loop {
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let n = tokio::time::timeout(PATIENCE, stream.read(&mut chunk))
            .await
            .expect("the server answers in time")
            .ok()?;
        if n == 0 {
            return None;
        }
        raw.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).into_owned();
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let mut response = Raw {
        status,
        head,
        body: String::new(),
    };
    let length: usize = response
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while raw.len() < head_end + length {
        let n = tokio::time::timeout(PATIENCE, stream.read(&mut chunk))
            .await
            .expect("the body arrives in time")
            .ok()?;
        if n == 0 {
            return None;
        }
        raw.extend_from_slice(&chunk[..n]);
    }
    response.body = String::from_utf8_lossy(&raw[head_end..head_end + length]).into_owned();
    Some(response)
}

/// Whether the server closes `stream` within [`PATIENCE`] (reading and dropping what it sends).
async fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut sink = [0_u8; 1024];
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut sink)).await {
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => {}
            Err(_) => return false,
        }
    }
}

async fn a_request_answered_before_its_body_was_read_never_costs_the_next_request(app: TestApp) {
    // Arrange: requests answered by a rejection that never reads the body.
    let user = app.new_user().await;
    let body = r#"{"title": "not read"}"#;
    let cases = [
        ("POST", "/api/v1/tasks", None, "application/json", 401),
        (
            "POST",
            "/api/v1/no-such-route",
            None,
            "application/json",
            404,
        ),
        ("PUT", "/health", None, "application/json", 405),
        (
            "POST",
            "/api/v1/tasks",
            Some(user.token.as_str()),
            "text/plain",
            415,
        ),
    ];
    for (method, path, token, content_type, expected) in cases {
        let mut stream = TcpStream::connect(socket_of(&app)).await.expect("connect");
        let auth = token.map_or_else(String::new, |t| format!("Authorization: Bearer {t}\r\n"));
        // The body is announced larger than sent: the server cannot have read it all.
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: test\r\n{auth}Content-Type: {content_type}\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len() + 100
        );

        // Act
        stream.write_all(request.as_bytes()).await.expect("send");
        let first = read_response(&mut stream).await.expect("an answer");

        // Assert: the answer warns the client, or the connection still serves.
        assert_eq!(first.status, expected, "[{}] {first:?}", app.backend);
        assert!(
            first.closes(),
            "[{}] {method} {path}: the unread body leaves the connection unusable, so the \
             answer must say Connection: close: {first:?}",
            app.backend
        );
        assert!(closed_by_server(&mut stream).await, "[{}]", app.backend);
    }

    // A small body sent whole and rejected unread: keep-alive goes on or is closed with
    // warning; never a silent loss of the second request.
    let mut stream = TcpStream::connect(socket_of(&app)).await.expect("connect");
    for round in 0..3 {
        let request = format!(
            "POST /api/v1/tasks HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{body}GET /health HTTP/1.1\r\nHost: test\r\n\r\n",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.expect("send");
        let first = read_response(&mut stream).await.expect("the 401");
        assert_eq!(first.status, 401, "[{}] round {round}", app.backend);
        if first.closes() {
            break;
        }
        let second = read_response(&mut stream)
            .await
            .expect("the request sent after it on the same connection is answered");
        assert_eq!(second.status, 200, "[{}] round {round}", app.backend);
    }
}

async fn an_oversized_head_gets_a_problem_json_414_or_431(app: TestApp) {
    let long_target = format!("/api/v1/tasks?q={}", "a".repeat(9 * 1024));
    let many_headers: String = (0..150).map(|i| format!("X-Filler-{i}: {i}\r\n")).collect();
    let big_header = format!("X-Big: {}\r\n", "b".repeat(40 * 1024));
    let cases = [
        (long_target.as_str(), String::new(), 414),
        ("/health", many_headers, 431),
        ("/health", big_header, 431),
    ];
    for (target, extra, expected) in cases {
        // Arrange
        let mut stream = TcpStream::connect(socket_of(&app)).await.expect("connect");
        let request = format!("GET {target} HTTP/1.1\r\nHost: test\r\n{extra}\r\n");

        // Act
        stream.write_all(request.as_bytes()).await.expect("send");
        let answer = read_response(&mut stream).await.expect("an answer");

        // Assert
        assert_eq!(answer.status, expected, "[{}] {answer:?}", app.backend);
        assert_eq!(
            answer.header("content-type"),
            Some("application/problem+json"),
            "[{}] {answer:?}",
            app.backend
        );
        let problem: serde_json::Value = serde_json::from_str(&answer.body).expect("JSON");
        assert_eq!(problem["status"], expected, "[{}]", app.backend);
        assert!(answer.header("x-request-id").is_some(), "[{}]", app.backend);
    }
}

/// An app on SQLite with short connection limits.
async fn app_with_limits(configure: impl FnOnce(&mut Settings)) -> TestApp {
    TestApp::spawn_with(Backend::Sqlite, |settings| {
        settings.connections.header_timeout = Duration::from_secs(1);
        settings.connections.body_timeout = Duration::from_secs(1);
        settings.connections.idle_timeout = Duration::from_secs(1);
        configure(settings);
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_sends_its_head_slowly_is_disconnected_at_the_header_timeout() {
    // Arrange
    let app = app_with_limits(|_| {}).await;
    let mut silent = TcpStream::connect(socket_of(&app)).await.expect("connect");
    let mut slow = TcpStream::connect(socket_of(&app)).await.expect("connect");

    // Act: one sends nothing, the other half a head and then nothing.
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: te")
        .await
        .expect("send");

    // Assert
    assert!(closed_by_server(&mut silent).await, "a silent connection");
    assert!(closed_by_server(&mut slow).await, "half a head");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    // Arrange: a connection that was served once.
    let app = app_with_limits(|_| {}).await;
    let mut stream = TcpStream::connect(socket_of(&app)).await.expect("connect");
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .expect("send");
    let answer = read_response(&mut stream).await.expect("an answer");
    assert_eq!(answer.status, 200);
    assert!(!answer.closes(), "kept alive: {answer:?}");

    // Act + Assert: left idle, it is closed by the server.
    assert!(closed_by_server(&mut stream).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_stops_arriving_gets_a_408_and_the_connection_closes() {
    // Arrange
    let app = app_with_limits(|_| {}).await;
    let user = app.new_user().await;
    let mut stream = TcpStream::connect(socket_of(&app)).await.expect("connect");
    let head = format!(
        "POST /api/v1/tasks HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"title\": ",
        user.token
    );

    // Act: a third of the body, then silence.
    stream.write_all(head.as_bytes()).await.expect("send");
    let answer = read_response(&mut stream).await.expect("an answer");

    // Assert
    assert_eq!(answer.status, 408, "{answer:?}");
    assert_eq!(
        answer.header("content-type"),
        Some("application/problem+json")
    );
    assert!(answer.closes(), "{answer:?}");
    assert!(closed_by_server(&mut stream).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_connection_cap_a_new_connection_is_answered_503_and_served_once_one_closes() {
    // Arrange: a cap of two, both taken by connections in the middle of a head.
    let app = TestApp::spawn_with(Backend::Sqlite, |settings| {
        settings.connections.max_connections = 2;
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(socket_of(&app)).await.expect("connect");
        // A complete exchange proves the server took the connection under a permit.
        stream
            .write_all(b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n")
            .await
            .expect("send");
        assert_eq!(
            read_response(&mut stream).await.expect("served").status,
            200
        );
        held.push(stream);
    }

    // Act
    let mut refused = TcpStream::connect(socket_of(&app)).await.expect("connect");
    refused
        .write_all(b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .expect("send");
    let answer = read_response(&mut refused).await.expect("an answer");

    // Assert
    assert_eq!(answer.status, 503, "{answer:?}");
    assert_eq!(
        answer.header("content-type"),
        Some("application/problem+json")
    );
    assert!(answer.header("retry-after").is_some(), "{answer:?}");
    assert!(answer.closes());

    // One held connection goes: the next client is served again (once the server saw it go).
    drop(held.pop());
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let mut stream = TcpStream::connect(socket_of(&app)).await.expect("connect");
        stream
            .write_all(b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n")
            .await
            .expect("send");
        let status = read_response(&mut stream).await.map(|r| r.status);
        if status == Some(200) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still refused: {status:?}"
        );
        tokio::task::yield_now().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_within_its_deadline_while_a_client_holds_a_half_sent_request() {
    // Arrange: a client holds a request whose body never comes (the body timeout is long).
    let dir = tempfile::TempDir::new().expect("temporary directory");
    let mut settings =
        Settings::for_database(&format!("sqlite://{}/tudu.db", dir.path().display()));
    settings.jwt_secret = Some(SecretString::from(TEST_SECRET));
    settings.connections.shutdown_timeout = Duration::from_secs(1);
    let app = Application::build(settings).await.expect("build");
    let addr = SocketAddr::from(([127, 0, 0, 1], app.port()));
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\
              Content-Length: 1000\r\nExpect: 100-continue\r\n\r\n",
        )
        .await
        .expect("send the head");
    // `100 Continue` comes once the handler reads the body: the request is in flight.
    let mut interim = [0_u8; 25];
    stream.read_exact(&mut interim).await.expect("100 Continue");
    assert!(interim.starts_with(b"HTTP/1.1 100"));

    // Act
    stop.send(()).expect("the server is running");

    // Assert: the server returns by its deadline (plus slack), not when the client gives up.
    tokio::time::timeout(PATIENCE, server)
        .await
        .expect("the shutdown finished within its deadline")
        .expect("the server task")
        .expect("the server stopped without error");
}
