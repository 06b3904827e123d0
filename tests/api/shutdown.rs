//! Graceful shutdown (SPEC §9): once told to stop, the server accepts no new connection, every
//! request already in flight completes, and the process exits with its pool closed.
//!
//! Two kinds of traffic cross the stop:
//!
//! - **Held requests.** "In flight" is made observable without sleeps: each is a
//!   `POST /api/v1/tasks` sent with `Expect: 100-continue`, and the server answers
//!   `100 Continue` only once the handler (past authentication) starts reading the body. The
//!   test holds every body back until the server has stopped accepting connections, so the stop
//!   certainly lands while all of them are inside the application.
//! - **A client under load.** Workers share one `reqwest` client, so their requests go over
//!   pooled keep-alive connections, and send listings back to back from before the stop until
//!   a connection is refused. Every request must get a complete 2xx answer, or fail to connect
//!   (nothing was sent); never a reset or a cut answer after it was sent, which is what closing
//!   an idle keep-alive connection under a client's next request would cause.

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::json;
use sqlx::{Connection, Row};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Notify, oneshot};
use tudu::config::Settings;
use tudu::startup::Application;

use crate::helpers::{Backend, TEST_SECRET, each_backend, string_at, unique_email};

/// Requests in flight when the stop comes.
const IN_FLIGHT: usize = 24;
/// Workers of the client under load, and the answers each must have had before the stop.
const WORKERS: usize = 4;
const WARM_UP: usize = 10;

mod in_flight_requests_complete_when_the_server_is_stopped {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::in_process(crate::helpers::Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        if let Some(backend) = crate::helpers::Backend::postgres(module_path!()) {
            super::in_process(backend).await;
        }
    }
}

async fn in_process(backend: Backend) {
    // Arrange
    let (database_url, _dir) = backend.fresh_database().await;
    let mut settings = Settings::for_database(&database_url);
    settings.jwt_secret = Some(SecretString::from(TEST_SECRET));
    let app = Application::build(settings).await.expect("build");
    let addr = SocketAddr::from(([127, 0, 0, 1], app.port()));
    let db = app.db().clone();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    let token = sign_up(addr).await;
    let pending = start_all(addr, &token).await;
    let load = Load::start(addr, &token).await;

    // Act
    stop.send(()).expect("the server is running");
    // The load ends only once connections are refused: the listener is closed.
    let outcomes = load.finish().await;
    let answers = finish_all(pending).await;

    // Assert
    assert_load_served(&outcomes, backend.name());
    assert_all_created(&answers, backend.name());
    server
        .await
        .expect("the server task")
        .expect("the server stops without error");
    assert!(db.is_closed(), "[{}] pool left open", backend.name());
    assert_eq!(
        count_tasks(&database_url).await,
        i64::try_from(IN_FLIGHT).expect("small"),
        "[{}]",
        backend.name()
    );
}

#[cfg(unix)]
each_backend!(sigterm_lets_in_flight_requests_finish_then_the_process_exits_cleanly);

#[cfg(unix)]
async fn sigterm_lets_in_flight_requests_finish_then_the_process_exits_cleanly(backend: Backend) {
    // Arrange: the real binary on a fresh database, on a free port it reports in its log.
    let dir = tempfile::TempDir::new().expect("temporary directory");
    let (database_url, _sqlite_dir) = backend.fresh_database().await;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tudu"))
        .arg("serve")
        .current_dir(dir.path())
        .env("DATABASE_URL", &database_url)
        .env("HOST", "127.0.0.1")
        .env("PORT", "0")
        .env("BETTER_AUTH_SECRET", TEST_SECRET)
        .env("ENVIRONMENT", "development")
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .env_remove("PUBLIC_URL")
        .env_remove("JWT_JWKS_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tudu");
    let pid = child.id();
    let stderr = child.stderr.take().expect("piped stderr");
    let (listening, address) = oneshot::channel::<String>();
    let log = std::thread::spawn(move || read_log(stderr, listening));
    let addr: SocketAddr = address
        .await
        .expect("tudu logs where it listens")
        .parse()
        .expect("a socket address");
    let token = sign_up(addr).await;
    let pending = start_all(addr, &token).await;
    let load = Load::start(addr, &token).await;

    // Act
    let sent = std::process::Command::new("sh")
        .args(["-c", r#"kill -TERM "$0""#, &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success(), "kill -TERM failed");
    let outcomes = load.finish().await;
    let answers = finish_all(pending).await;
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .expect("join")
        .expect("wait for tudu");
    let lines = log.join().expect("the log reader");

    // Assert
    let server = format!("binary, {}", backend.name());
    assert_load_served(&outcomes, &server);
    assert_all_created(&answers, &server);
    assert!(status.success(), "tudu exited with {status}:\n{lines:#?}");
    let messages: Vec<String> = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|l| l["message"].as_str().map(str::to_owned))
        .collect();
    let requested = messages
        .iter()
        .position(|m| m.starts_with("shutdown requested"));
    let stopped = messages.iter().position(|m| *m == "tudu stopped");
    assert!(
        matches!((requested, stopped), (Some(a), Some(b)) if a < b),
        "expected the shutdown and, after it, the pool closed: {messages:#?}"
    );
    assert_eq!(
        count_tasks(&database_url).await,
        i64::try_from(IN_FLIGHT).expect("small")
    );
}

/// Reads the child's JSON log lines to the end, reporting the listening address once.
fn read_log(stderr: std::process::ChildStderr, listening: oneshot::Sender<String>) -> Vec<String> {
    use std::io::BufRead;
    let mut listening = Some(listening);
    let mut lines = Vec::new();
    for line in std::io::BufReader::new(stderr).lines() {
        let Ok(line) = line else { break };
        if let Ok(event) = serde_json::from_str::<serde_json::Value>(&line)
            && event["message"] == "tudu listening"
            && let (Some(address), Some(tx)) = (event["address"].as_str(), listening.take())
        {
            let _ = tx.send(address.to_owned());
        }
        lines.push(line);
    }
    lines
}

async fn sign_up(addr: SocketAddr) -> String {
    // A client of its own, dropped here: its idle connection is no request in flight.
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_mins(1))
        .build()
        .expect("client");
    let body = json!({ "email": unique_email(), "password": crate::helpers::PASSWORD });
    let res = client
        .post(format!("http://{addr}/api/v1/auth/signup"))
        .json(&body)
        .send()
        .await
        .expect("signup");
    assert_eq!(res.status(), StatusCode::CREATED);
    string_at(&res.json().await.expect("JSON"), "/token")
}

/// A create whose body is held back, on its own connection.
struct Pending {
    stream: TcpStream,
    body: Vec<u8>,
}

/// Starts [`IN_FLIGHT`] creates and returns once the server is inside every one of them.
async fn start_all(addr: SocketAddr, token: &str) -> Vec<Pending> {
    let mut started = tokio::task::JoinSet::new();
    for i in 0..IN_FLIGHT {
        let token = token.to_owned();
        started.spawn(async move { start(addr, &token, &format!("in flight {i}")).await });
    }
    started.join_all().await
}

async fn start(addr: SocketAddr, token: &str, title: &str) -> Pending {
    let body = serde_json::to_vec(&json!({ "title": title })).expect("JSON");
    let head = format!(
        "POST /api/v1/tasks HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        body.len()
    );
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(head.as_bytes()).await.expect("send head");
    let interim = read_head(&mut stream).await;
    assert!(
        interim.starts_with("HTTP/1.1 100"),
        "expected 100 Continue, got {interim:?}"
    );
    Pending { stream, body }
}

/// Reads up to the blank line ending a response head (the server sends nothing after a
/// `100 Continue` until the body arrives, so nothing else is consumed).
async fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = stream.read(&mut byte).await.expect("read");
        assert!(
            n == 1,
            "connection closed after {:?}",
            String::from_utf8_lossy(&head)
        );
        head.push(byte[0]);
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// Sends every held-back body and reads each answer: (status, body).
async fn finish_all(pending: Vec<Pending>) -> Vec<(u16, String)> {
    let mut finished = tokio::task::JoinSet::new();
    for p in pending {
        finished.spawn(finish(p));
    }
    finished.join_all().await
}

async fn finish(mut pending: Pending) -> (u16, String) {
    pending
        .stream
        .write_all(&pending.body)
        .await
        .expect("send the body");
    // The server closes the connection after the response: keep-alive ends with the stop.
    let mut raw = Vec::new();
    pending
        .stream
        .read_to_end(&mut raw)
        .await
        .expect("read the response");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

fn assert_all_created(answers: &[(u16, String)], server: &str) {
    assert_eq!(answers.len(), IN_FLIGHT);
    for (status, text) in answers {
        assert_eq!(
            *status, 201,
            "[{server}] a request in flight failed: {text}"
        );
        assert!(text.contains("in flight"), "[{server}] {text}");
    }
}

async fn count_tasks(database_url: &str) -> i64 {
    let query = "select count(*) from task";
    if database_url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(database_url)
            .await
            .expect("reopen SQLite");
        sqlx::query(query)
            .fetch_one(&mut conn)
            .await
            .expect("count")
            .get(0)
    } else {
        let mut conn = sqlx::PgConnection::connect(database_url)
            .await
            .expect("reconnect to PostgreSQL");
        sqlx::query(query)
            .fetch_one(&mut conn)
            .await
            .expect("count")
            .get(0)
    }
}

/// What one worker of the client under load saw.
#[derive(Debug, Default)]
struct Outcome {
    /// Complete 2xx answers.
    answered: usize,
    /// Anything else: another status, a reset, a cut body, a timeout.
    failures: Vec<String>,
    /// Whether it ended on a refused connection.
    refused: bool,
}

/// Workers sending listings back to back over one client's keep-alive pool.
struct Load {
    workers: tokio::task::JoinSet<Outcome>,
}

impl Load {
    /// Starts the workers and returns once each has had [`WARM_UP`] answers, so that their
    /// connections are open and in use when the stop comes.
    async fn start(addr: SocketAddr, token: &str) -> Self {
        let client = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(WORKERS)
            .timeout(Duration::from_mins(1))
            .build()
            .expect("client");
        let warm = Arc::new((AtomicUsize::new(0), Notify::new()));
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..WORKERS {
            let (client, token, warm) = (client.clone(), token.to_owned(), Arc::clone(&warm));
            workers.spawn(async move {
                let outcome = work(&client, addr, &token, &warm).await;
                if outcome.answered < WARM_UP {
                    // Ended early: counted now so that the start does not wait for it.
                    warm.0.fetch_add(1, Ordering::AcqRel);
                    warm.1.notify_waiters();
                }
                outcome
            });
        }
        let (warmed, changed) = &*warm;
        loop {
            let notified = changed.notified();
            if warmed.load(Ordering::Acquire) == WORKERS {
                break;
            }
            notified.await;
        }
        Self { workers }
    }

    /// Waits for every worker to end (on a refused connection, or a failure).
    async fn finish(self) -> Vec<Outcome> {
        self.workers.join_all().await
    }
}

async fn work(
    client: &reqwest::Client,
    addr: SocketAddr,
    token: &str,
    warm: &(AtomicUsize, Notify),
) -> Outcome {
    let url = format!("http://{addr}/api/v1/tasks");
    let mut outcome = Outcome::default();
    loop {
        match client.get(&url).bearer_auth(token).send().await {
            Ok(res) => {
                let status = res.status();
                match res.bytes().await {
                    Ok(_) if status.is_success() => outcome.answered += 1,
                    Ok(body) => outcome
                        .failures
                        .push(format!("{status}: {}", String::from_utf8_lossy(&body))),
                    Err(err) => outcome
                        .failures
                        .push(format!("{status}, body cut: {err:?}")),
                }
            }
            // Nothing was sent: the server had closed its listener.
            Err(err) if err.is_connect() => {
                outcome.refused = true;
                return outcome;
            }
            Err(err) => outcome.failures.push(format!("{err:?}")),
        }
        if outcome.answered == WARM_UP {
            warm.0.fetch_add(1, Ordering::AcqRel);
            warm.1.notify_waiters();
        }
        if !outcome.failures.is_empty() {
            return outcome;
        }
    }
}

fn assert_load_served(outcomes: &[Outcome], server: &str) {
    assert_eq!(outcomes.len(), WORKERS);
    for outcome in outcomes {
        assert!(
            outcome.failures.is_empty(),
            "[{server}] a request sent over a kept-alive connection failed: {outcome:#?}"
        );
        assert!(outcome.refused, "[{server}] {outcome:#?}");
        assert!(outcome.answered >= WARM_UP, "[{server}] {outcome:#?}");
    }
}
