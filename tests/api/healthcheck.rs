//! `tudu healthcheck`, the probe the container image runs in place of curl.

use std::process::Output;

use crate::helpers::{Backend, TestApp};

/// Runs `tudu healthcheck` against `host:port` with nothing else configured: no inherited
/// variables, no `.env` and no CA certificates, as in a bare container.
async fn healthcheck(host: &str, port: u16) -> Output {
    let no_certs = tempfile::TempDir::new().expect("create a temporary directory");
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_tudu"));
    command.arg("healthcheck").env_clear();
    // Under `.ci/coverage.sh` the instrumented binary writes its profile here; keeping it lets
    // the check count as run. It configures nothing tudu reads.
    if let Some(profile) = std::env::var_os("LLVM_PROFILE_FILE") {
        command.env("LLVM_PROFILE_FILE", profile);
    }
    command
        .env("HOST", host)
        .env("PORT", port.to_string())
        // Where rustls looks for the system's roots: nowhere.
        .env("SSL_CERT_FILE", no_certs.path().join("none.pem"))
        .env("SSL_CERT_DIR", no_certs.path())
        .current_dir(no_certs.path())
        .output()
        .await
        .expect("run tudu healthcheck")
}

fn port_of(app: &TestApp) -> u16 {
    app.address
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("the test address ends in a port")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthcheck_exits_0_when_the_server_is_live() {
    // Arrange
    let app = TestApp::spawn(Backend::Sqlite).await;

    // Act: a container's server listens on every interface; the check must still find it.
    let any = healthcheck("0.0.0.0", port_of(&app)).await;
    let loopback = healthcheck("127.0.0.1", port_of(&app)).await;

    // Assert
    for out in [any, loopback] {
        assert!(
            out.status.success(),
            "exit {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthcheck_exits_1_when_nothing_listens() {
    // Arrange: a port that was free a moment ago and is closed now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a free port")
        .port();

    // Act
    let out = healthcheck("127.0.0.1", port).await;

    // Assert
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/health/live"), "{stderr}");
}
