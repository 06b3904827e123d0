//! The command line as a newcomer meets it: each subcommand's help lists its own flags, bad
//! settings stop it with a message, and a command acting as a user never creates a database.

use std::process::Output;

/// Runs `tudu args…` in `dir` with a clean environment of tudu settings.
fn tudu(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tudu"));
    command.args(args).current_dir(dir);
    for name in ["DATABASE_URL", "DATABASE_MAX_CONNECTIONS", "PORT", "HOST"] {
        command.env_remove(name);
    }
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("run tudu")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn each_subcommand_help_lists_only_its_own_flags() {
    let dir = tempfile::TempDir::new().expect("temporary directory");
    let migrate = text(&tudu(dir.path(), &["migrate", "--help"], &[]).stdout);
    assert!(migrate.contains("--database-url"), "{migrate}");
    assert!(!migrate.contains("--port"), "{migrate}");
    assert!(!migrate.contains("--openai-api-key"), "{migrate}");

    let token = text(&tudu(dir.path(), &["token", "--help"], &[]).stdout);
    assert!(
        token.contains("--user") && token.contains("--jwt-secret"),
        "{token}"
    );
    assert!(!token.contains("--chat-history"), "{token}");

    // The server's own help still lists everything.
    let serve = text(&tudu(dir.path(), &["--help"], &[]).stdout);
    assert!(serve.contains("--port") && serve.contains("--shutdown-timeout-secs"));
}

#[test]
fn a_pool_of_zero_connections_is_refused_at_start() {
    let dir = tempfile::TempDir::new().expect("temporary directory");
    let out = tudu(
        dir.path(),
        &["migrate"],
        &[("DATABASE_MAX_CONNECTIONS", "0")],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("DATABASE_MAX_CONNECTIONS must be at least 1"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn acting_as_a_user_without_a_database_names_it_and_creates_nothing() {
    let dir = tempfile::TempDir::new().expect("temporary directory");
    for command in ["mcp", "token"] {
        let out = tudu(dir.path(), &[command, "--user", "ada@example.com"], &[]);
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{command}");
        assert!(
            stderr.contains("no database at") && stderr.contains("data/tudu.db"),
            "{command}: {stderr}"
        );
        assert!(
            !dir.path().join("data").exists(),
            "{command} created a database"
        );
    }
}

#[test]
fn an_unreachable_postgresql_is_named_once_with_its_address() {
    let dir = tempfile::TempDir::new().expect("temporary directory");
    // Port 1 on loopback: nothing listens there.
    let out = tudu(
        dir.path(),
        &["migrate"],
        &[("DATABASE_URL", "postgres://postgres@127.0.0.1:1/tudu")],
    );
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("127.0.0.1:1 (database tudu)"), "{stderr}");
    assert_eq!(
        stderr.matches("refused").count(),
        1,
        "the cause is said once: {stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_mints_session_tokens_and_scoped_personal_access_tokens() {
    use crate::helpers::{Backend, TEST_SECRET, TestApp, assert_problem};
    use reqwest::StatusCode;
    // Arrange: a server on a SQLite file, with one user
    let dir = tempfile::TempDir::new().expect("temporary directory");
    let database_url = format!("sqlite://{}/cli.db", dir.path().display());
    let url = database_url.clone();
    let app = TestApp::spawn_with(Backend::Sqlite, move |s| s.database_url = url).await;
    let user = app.new_user().await;
    let env = [
        ("DATABASE_URL", database_url.as_str()),
        ("BETTER_AUTH_SECRET", TEST_SECRET),
    ];
    let mint = |args: &[&str]| {
        let mut all = vec!["token", "--user", user.email.as_str()];
        all.extend_from_slice(args);
        tudu(dir.path(), &all, &env)
    };

    // Act
    let session = mint(&[]);
    let reader = mint(&["--scopes", "tasks:read", "--name", "backup script"]);
    let account = mint(&["--scopes", "tasks:read,account"]);
    let unknown = mint(&["--scopes", "everything"]);

    // Assert
    assert!(session.status.success(), "{}", text(&session.stderr));
    let session = text(&session.stdout).trim().to_owned();
    assert_eq!(app.me(&session).await.status, StatusCode::OK);
    assert!(reader.status.success(), "{}", text(&reader.stderr));
    let reader = text(&reader.stdout).trim().to_owned();
    assert!(reader.starts_with("tudu_pat_"), "{reader}");
    assert_eq!(app.list_tasks(&reader, "").await.status, StatusCode::OK);
    let write = app
        .create_task(&reader, &serde_json::json!({"title": "no"}))
        .await;
    assert_problem(&write, StatusCode::FORBIDDEN);
    let listed = app
        .send(app.authed(reqwest::Method::GET, "/api/v1/auth/tokens", &session))
        .await;
    assert_eq!(listed.json()[0]["name"], "backup script");
    for (out, field) in [(&account, "scopes[1]"), (&unknown, "scopes[0]")] {
        assert!(!out.status.success());
        assert!(text(&out.stderr).contains(field), "{}", text(&out.stderr));
    }
}
