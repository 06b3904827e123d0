//! `/health/ready` answers for the database only: Redis holds nothing but the chat limits,
//! which let messages through while it is down, so its outage is reported in the body and
//! never takes a replica out of the Service.

use std::net::SocketAddr;

use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};
use tudu::config::Settings;
use tudu::startup::Application;

use crate::chat::say;
use crate::helpers::{Backend, TEST_SECRET, TestApp, each_backend};

each_backend!(
    a_redis_outage_is_reported_but_leaves_the_server_ready,
    readiness_fails_while_the_database_does_not_answer,
);

async fn a_redis_outage_is_reported_but_leaves_the_server_ready(backend: Backend) {
    let Some(redis) = redis_address(module_path!()).await else {
        return;
    };
    // Arrange: the server reaches Redis through a proxy the test can close.
    let proxy = Proxy::start(redis).await;
    let url = format!("redis://{}", proxy.address);
    let app = TestApp::spawn_with(backend, |s| {
        s.redis_url = Some(SecretString::from(url));
    })
    .await;
    let user = app.new_user().await;
    let before = app.send(app.request(Method::GET, "/health/ready")).await;

    // Act: every connection to Redis is cut and its port refuses new ones.
    proxy.close().await;
    let during = app.send(app.request(Method::GET, "/health/ready")).await;
    let chat = say(&app, &user.token, "add buy milk", None).await;

    // Assert
    assert_eq!(before.status, StatusCode::OK, "{}", before.text);
    assert_eq!(
        before.json(),
        json!({ "status": "ok", "database": "ok", "redis": "ok" })
    );
    assert_eq!(during.status, StatusCode::OK, "{}", during.text);
    assert_eq!(
        during.json(),
        json!({ "status": "ok", "database": "ok", "redis": "unavailable" })
    );
    // The chat limit fails open, as the readiness answer promises.
    assert_eq!(chat.status, StatusCode::OK, "{}", chat.text);
}

async fn readiness_fails_while_the_database_does_not_answer(backend: Backend) {
    // Arrange
    let (database_url, _dir) = backend.fresh_database().await;
    let mut settings = Settings::for_database(&database_url);
    settings.jwt_secret = Some(SecretString::from(TEST_SECRET));
    let app = Application::build(settings).await.expect("build");
    let address = format!("http://127.0.0.1:{}", app.port());
    let db = app.db().clone();
    let (_stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let before = ready(&client, &address).await;

    // Act: the pool refuses every query from now on.
    db.close().await;
    let during = ready(&client, &address).await;

    // Assert
    assert_eq!(
        before,
        (StatusCode::OK, json!({ "status": "ok", "database": "ok" }))
    );
    assert_eq!(
        during,
        (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "status": "unavailable", "database": "unavailable" })
        )
    );
}

/// `GET /health/ready`: status and body.
async fn ready(client: &reqwest::Client, address: &str) -> (StatusCode, serde_json::Value) {
    let res = client
        .get(format!("{address}/health/ready"))
        .send()
        .await
        .expect("GET /health/ready");
    let status = res.status();
    (status, res.json().await.expect("JSON"))
}

/// The address of the Redis `TUDU_TEST_REDIS_URL` names, or `None` (saying so) when unset.
async fn redis_address(test: &str) -> Option<SocketAddr> {
    let url = match std::env::var("TUDU_TEST_REDIS_URL") {
        Ok(url) if !url.trim().is_empty() => url,
        _ => {
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "skipped {test}: TUDU_TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379)"
            );
            return None;
        }
    };
    let url = reqwest::Url::parse(url.trim()).expect("TUDU_TEST_REDIS_URL is a URL");
    assert!(
        url.username().is_empty() && url.password().is_none(),
        "this test proxies a Redis without credentials"
    );
    let host = url.host_str().expect("a host").to_owned();
    let port = url.port().unwrap_or(6379);
    tokio::net::lookup_host((host.as_str(), port))
        .await
        .expect("resolve the Redis host")
        .next()
}

/// A TCP proxy to Redis that can be closed: its listener and every connection through it.
struct Proxy {
    address: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("local address");
        let (stop, mut stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    accepted = listener.accept() => {
                        let Ok((mut client, _)) = accepted else { continue };
                        connections.spawn(async move {
                            if let Ok(mut server) = TcpStream::connect(upstream).await {
                                let _ = tokio::io::copy_bidirectional(&mut client, &mut server)
                                    .await;
                            }
                        });
                    }
                }
            }
            drop(listener);
            // Aborting drops both ends of every proxied connection.
            connections.shutdown().await;
        });
        Self {
            address,
            stop,
            task,
        }
    }

    /// Returns once the port is closed and every connection through it is gone.
    async fn close(self) {
        let _ = self.stop.send(());
        self.task.await.expect("the proxy task");
    }
}
