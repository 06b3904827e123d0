//! The `tudu` subcommands.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use anyhow::Context;

use secrecy::{ExposeSecret, SecretString};

use crate::auth::{
    credential,
    model::User,
    scope::{Scope, Scopes},
};
use crate::config::{Cli, Command, Settings};
use crate::db::Db;
use crate::mcp::server::TodoMcp;
use crate::startup::{self, Application};

/// Runs the command line: settings first, then the chosen subcommand.
///
/// # Errors
/// Whatever the subcommand fails with.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::from_args(cli.settings)?;
    crate::telemetry::init(settings.log_format);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = Application::build(settings).await?;
            app.run_until(startup::shutdown_signal()).await
        }
        Command::Migrate => {
            let db = startup::connect(&settings).await?;
            db.migrate().await?;
            db.close().await;
            tracing::info!(database = %db.describe(), "migrations applied");
            Ok(())
        }
        Command::Mcp { user, token } => {
            let (db, user_id, server) = match (user, token) {
                (Some(email), _) => {
                    let (db, found) = open_as(&settings, &email).await?;
                    let server = TodoMcp::for_user(db.clone(), found.id.clone());
                    (db, found.id, server)
                }
                (None, Some(token)) => {
                    let db = open(&settings).await?;
                    let (user_id, server) = mcp_with_token(&db, SecretString::from(token)).await?;
                    (db, user_id, server)
                }
                (None, None) => anyhow::bail!("give --user EMAIL or --token (or TUDU_TOKEN)"),
            };
            tracing::info!(%user_id, database = %db.describe(), "serving MCP over stdio");
            let served = crate::mcp::server::serve_stdio(server).await;
            db.close().await;
            served
        }
        Command::Token {
            user,
            scopes,
            name,
            expires_in_days,
        } => {
            let (db, found) = open_as(&settings, &user).await?;
            let printed = match scopes {
                None => {
                    let secret = startup::signing_secret(&settings, &db)?;
                    let keys = crate::auth::token::TokenKeys::new(&secret, &settings);
                    credential::start_session(&db, &keys, &found)
                        .await
                        .map(|issued| issued.token)
                }
                Some(scopes) => {
                    let request = crate::auth::tokens_http::NewTokenRequest {
                        name: Some(name),
                        scopes: Some(scopes),
                        expires_in_days,
                    };
                    crate::auth::tokens_http::create(&db, &found.id, request)
                        .await
                        .map(|created| created.token)
                }
            };
            db.close().await;
            println!("{}", printed.map_err(|e| anyhow::anyhow!("{e}"))?);
            Ok(())
        }
        Command::Healthcheck => healthcheck(&settings).await,
    }
}

/// Below Docker's and Kubernetes' default probe timeouts, so a hung server fails the check
/// instead of the probe runner killing the checker.
const HEALTHCHECK_TIMEOUT: Duration = Duration::from_secs(3);

/// `GET /health/live` on the server these settings describe, from inside its container.
async fn healthcheck(settings: &Settings) -> anyhow::Result<()> {
    let mut addr = settings.listen_addr()?;
    anyhow::ensure!(addr.port() != 0, "PORT=0 names no server to check");
    // A server bound to every interface is reachable on loopback, which no network policy
    // or proxy sits in front of.
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        });
    }
    let url = format!("http://{addr}/health/live");
    // Plain HTTP only: an empty root store keeps the check working in an image without a CA
    // bundle, where loading the platform's roots would fail before any request is sent.
    let client = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only(std::iter::empty())
        .timeout(HEALTHCHECK_TIMEOUT)
        .build()
        .context("cannot build the HTTP client")?;
    let response = client
        .get(&url)
        .send()
        .await
        .with_context(|| format!("{url} did not answer"))?;
    anyhow::ensure!(
        response.status().is_success(),
        "{url} answered {}",
        response.status()
    );
    Ok(())
}

/// The user of the personal access token `token`, and the MCP server acting with it.
async fn mcp_with_token(db: &Db, token: SecretString) -> anyhow::Result<(String, TodoMcp)> {
    let pat = credential::find_pat(db, token.expose_secret())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .with_context(|| format!("no such access token in {}", db.describe()))?;
    anyhow::ensure!(
        pat.expires_at.is_none_or(|at| at > chrono::Utc::now()),
        "this access token has expired"
    );
    let scopes = Scopes::from_stored(&pat.scopes);
    anyhow::ensure!(
        scopes.contains(Scope::Mcp),
        "this access token lacks the `mcp` scope"
    );
    let server = TodoMcp::for_user(db.clone(), pat.user_id.clone())
        .with_scopes(scopes)
        .with_token(token);
    Ok((pat.user_id, server))
}

/// The account with `email` in the migrated database, for commands that act as a user.
async fn open_as(settings: &Settings, email: &str) -> anyhow::Result<(Db, User)> {
    let db = open(settings).await?;
    let found = crate::auth::service::find_by_email(&db, email)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .with_context(|| format!("no user with email {email} in {}", db.describe()))?;
    Ok((db, found))
}

/// The migrated database, for commands that act as a user. A SQLite file that does not exist
/// is not created: the command was most likely run from another folder than the server, and an
/// empty database has no user to act as.
async fn open(settings: &Settings) -> anyhow::Result<Db> {
    if let Some(file) = crate::db::sqlite_file_of(&settings.database_url) {
        anyhow::ensure!(
            file.exists(),
            "no database at {} (DATABASE_URL={}); run this where the server runs, or set \
             DATABASE_URL to its database",
            std::path::absolute(&file).unwrap_or(file).display(),
            settings.database_url
        );
    }
    let db = startup::connect(settings).await?;
    db.migrate().await?;
    Ok(db)
}
