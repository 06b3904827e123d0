//! Settings, parsed once at start from CLI flags, the environment and `.env` (in that order).

use std::{net::SocketAddr, time::Duration};

use clap::{Args, Parser, Subcommand, ValueEnum};
use secrecy::{ExposeSecret, SecretString};

/// Minimum length of the HS256 signing secret.
pub const MIN_SECRET_BYTES: usize = 32;

/// Command line of the `tudu` binary.
#[derive(Debug, Parser)]
#[command(
    name = "tudu",
    version,
    about = "Multi-user task backend: REST API, MCP server and chat"
)]
pub struct Cli {
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Settings shared by every command.
    #[command(flatten)]
    pub settings: SettingsArgs,
}

impl Cli {
    /// Parses the process's arguments, exiting with clap's message on bad input.
    #[must_use]
    pub fn from_env() -> Self {
        let matches = command().get_matches();
        <Self as clap::FromArgMatches>::from_arg_matches(&matches).unwrap_or_else(|err| err.exit())
    }
}

/// The flags a subcommand's `--help` shows: every setting is accepted everywhere (they are
/// global, and read from the environment), but each subcommand lists only those it uses.
const SHOWN_BY_SUBCOMMAND: &[(&str, &[&str])] = &[
    ("migrate", &["database_url", "log_format"]),
    ("mcp", &["user", "token", "database_url", "log_format"]),
    (
        "token",
        &[
            "user",
            "scopes",
            "name",
            "expires_in_days",
            "database_url",
            "jwt_secret",
            "jwt_expiry_days",
            "jwt_issuer",
            "jwt_audience",
            "environment",
            "log_format",
        ],
    ),
    ("healthcheck", &["host", "port"]),
];

/// The command line, with each subcommand's help trimmed to its own flags.
#[must_use]
pub fn command() -> clap::Command {
    let mut command = <Cli as clap::CommandFactory>::command();
    // Globals are copied into the subcommands by `build`; only then can they be hidden there.
    command.build();
    for (name, shown) in SHOWN_BY_SUBCOMMAND {
        command = command.mut_subcommand(*name, |sub| {
            // `mut_args` keeps each argument in place (`mut_arg` moves it to the end, which a
            // built command's index of flags does not follow).
            sub.mut_args(|arg| {
                let id = arg.get_id().as_str();
                let keep = shown.contains(&id) || matches!(id, "help" | "version");
                arg.hide(!keep)
            })
        });
    }
    command
}

/// Subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Run the HTTP server (default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Serve the MCP tools over stdin/stdout, acting as an existing user (for desktop AI
    /// clients). Only the protocol is written to stdout; logs go to stderr.
    #[command(group(clap::ArgGroup::new("identity").required(true).args(["user", "token"])))]
    Mcp {
        /// Act as this user (its email), with every task scope.
        #[arg(long)]
        user: Option<String>,
        /// Act with this personal access token (`tudu_pat_…`) and only its scopes; checked
        /// again before every tool call, so revoking it stops the server acting.
        #[arg(long, env = "TUDU_TOKEN", hide_env_values = true)]
        token: Option<String>,
    },
    /// Print a token for an existing user: a session token (as a login gives), or with
    /// `--scopes` a personal access token.
    Token {
        /// The user's email.
        #[arg(long)]
        user: String,
        /// Mint a personal access token with these scopes (comma-separated: tasks:read,
        /// tasks:write, chat, mcp).
        #[arg(long, value_delimiter = ',')]
        scopes: Option<Vec<String>>,
        /// The personal access token's name, as `GET /api/v1/auth/tokens` lists it.
        #[arg(long, default_value = "command line", requires = "scopes")]
        name: String,
        /// Days until the personal access token expires (1–365); never when absent.
        #[arg(long, requires = "scopes")]
        expires_in_days: Option<i64>,
    },
    /// Exit 0 if the server at HOST:PORT answers `/health/live`, else 1 (for container health
    /// checks in images without a shell).
    Healthcheck,
}

/// Deployment flavour; production refuses unsafe settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Environment {
    /// Local use: a secret is generated and persisted when none is given.
    #[default]
    Development,
    /// Deployed: an explicit strong secret and explicit origins are required.
    Production,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable, coloured.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// Raw settings as given; see [`Settings`] for the checked form.
#[derive(Debug, Clone, Args)]
pub struct SettingsArgs {
    /// `sqlite://path` or `postgres://…`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://data/tudu.db",
        global = true
    )]
    pub database_url: String,
    /// Maximum database connections per process.
    #[arg(
        long,
        env = "DATABASE_MAX_CONNECTIONS",
        default_value_t = 8,
        global = true
    )]
    pub database_max_connections: u32,
    /// Serve `GET /metrics` and record metrics (`true`/`false`).
    #[arg(
        long,
        env = "METRICS_ENABLED",
        default_value_t = true,
        action = clap::ArgAction::Set,
        value_parser = clap::builder::BoolishValueParser::new(),
        global = true
    )]
    pub metrics_enabled: bool,
    /// Serve repeated task listings from memory while the user's tasks are unchanged
    /// (`true`/`false`).
    #[arg(
        long,
        env = "TUDU_LIST_CACHE",
        default_value_t = true,
        action = clap::ArgAction::Set,
        value_parser = clap::builder::BoolishValueParser::new(),
        global = true
    )]
    pub list_cache: bool,
    /// Memory bound of the listing cache, in MB.
    #[arg(long, env = "TUDU_LIST_CACHE_MB", default_value_t = 16, global = true)]
    pub list_cache_mb: u32,
    /// Proxies in front of tudu that append to `X-Forwarded-For` (0: use the TCP peer address).
    #[arg(
        long,
        env = "TUDU_TRUSTED_PROXY_HOPS",
        default_value_t = 0,
        global = true
    )]
    pub trusted_proxy_hops: u8,
    /// Listen address.
    #[arg(long, env = "HOST", default_value = "127.0.0.1", global = true)]
    pub host: String,
    /// Listen port (0 picks a free one).
    #[arg(long, env = "PORT", default_value_t = 8000, global = true)]
    pub port: u16,
    /// External base URL; defaults to `http://HOST:PORT`.
    #[arg(long, env = "PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// HS256 signing key, at least 32 bytes (alias `TUDU_JWT_SECRET`).
    #[arg(
        long,
        env = "BETTER_AUTH_SECRET",
        hide_env_values = true,
        global = true
    )]
    pub jwt_secret: Option<String>,
    /// Lifetime of issued tokens, in days.
    #[arg(long, env = "JWT_EXPIRY_DAYS", default_value_t = 7, global = true)]
    pub jwt_expiry_days: u32,
    /// Also accept EdDSA/RS256/ES256 tokens signed by a key of this JWKS.
    #[arg(long, env = "JWT_JWKS_URL", global = true)]
    pub jwt_jwks_url: Option<String>,
    /// Expected and issued `iss` claim.
    #[arg(long, env = "JWT_ISSUER", global = true)]
    pub jwt_issuer: Option<String>,
    /// Expected and issued `aud` claim.
    #[arg(long, env = "JWT_AUDIENCE", global = true)]
    pub jwt_audience: Option<String>,
    /// CORS allow-list, comma separated.
    #[arg(
        long,
        env = "ALLOWED_ORIGINS",
        default_value = "http://localhost:3000",
        global = true
    )]
    pub allowed_origins: String,
    /// `development` or `production`.
    #[arg(
        long,
        env = "ENVIRONMENT",
        value_enum,
        default_value = "development",
        global = true
    )]
    pub environment: Environment,
    /// `pretty` or `json`; defaults to pretty on a terminal, else json.
    #[arg(long, env = "LOG_FORMAT", value_enum, global = true)]
    pub log_format: Option<LogFormat>,
    /// Which agent answers chat; `openai` when a key or base URL is set, else `local`.
    #[arg(long, env = "TUDU_AGENT", value_enum, global = true)]
    pub agent: Option<AgentKind>,
    /// API key of the OpenAI-compatible provider.
    #[arg(long, env = "OPENAI_API_KEY", hide_env_values = true, global = true)]
    pub openai_api_key: Option<String>,
    /// Base URL of the provider, including `/v1`.
    #[arg(long, env = "OPENAI_BASE_URL", global = true)]
    pub openai_base_url: Option<String>,
    /// Model name sent to the provider.
    #[arg(
        long,
        env = "TUDU_LLM_MODEL",
        default_value = "gpt-4o-mini",
        global = true
    )]
    pub llm_model: String,
    /// Deadline for all model calls of one chat turn, in seconds.
    #[arg(
        long,
        env = "TUDU_LLM_TIMEOUT_SECS",
        default_value_t = 60,
        global = true
    )]
    pub llm_timeout_secs: u64,
    /// Earlier messages of a conversation given to the agent with each turn.
    #[arg(long, env = "TUDU_CHAT_HISTORY", default_value_t = 20, global = true)]
    pub chat_history: usize,
    /// Chat messages allowed per user per minute.
    #[arg(
        long,
        env = "CHAT_RATE_LIMIT_PER_MINUTE",
        default_value_t = 100,
        global = true
    )]
    pub chat_rate_limit_per_minute: u32,
    /// Seconds a client may take to send a request head.
    #[arg(
        long,
        env = "TUDU_HEADER_TIMEOUT_SECS",
        default_value_t = 10,
        global = true
    )]
    pub header_timeout_secs: u64,
    /// Seconds a client may pause between two pieces of a request body.
    #[arg(
        long,
        env = "TUDU_BODY_TIMEOUT_SECS",
        default_value_t = 30,
        global = true
    )]
    pub body_timeout_secs: u64,
    /// Seconds an idle keep-alive connection stays open.
    #[arg(
        long,
        env = "TUDU_IDLE_TIMEOUT_SECS",
        default_value_t = 60,
        global = true
    )]
    pub idle_timeout_secs: u64,
    /// Connections open at once; past it a new one is answered 503 and closed.
    #[arg(
        long,
        env = "TUDU_MAX_CONNECTIONS",
        default_value_t = 4096,
        global = true
    )]
    pub max_connections: usize,
    /// Seconds a shutdown may take, from the signal, before open connections are closed.
    #[arg(
        long,
        env = "TUDU_SHUTDOWN_TIMEOUT_SECS",
        default_value_t = 25,
        global = true
    )]
    pub shutdown_timeout_secs: u64,
    /// Signups allowed per client address per hour (0: no limit).
    #[arg(
        long,
        env = "SIGNUP_RATE_LIMIT_PER_HOUR",
        default_value_t = 20,
        global = true
    )]
    pub signup_rate_limit_per_hour: u32,
    /// Redis for limits shared by every replica; in memory when unset.
    #[arg(long, env = "REDIS_URL", hide_env_values = true, global = true)]
    pub redis_url: Option<String>,
}

/// Which agent answers chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AgentKind {
    /// The built-in English grammar; no network.
    Local,
    /// An OpenAI-compatible chat-completions provider.
    Openai,
}

/// The chat agent's settings.
#[derive(Debug, Clone)]
pub struct ChatSettings {
    /// Which agent answers.
    pub agent: AgentKind,
    /// Provider key (may be absent for local providers such as Ollama).
    pub openai_api_key: Option<SecretString>,
    /// Provider base URL, including `/v1`, without a trailing slash.
    pub openai_base_url: String,
    /// Model name.
    pub model: String,
    /// Deadline for a turn's model calls.
    pub llm_timeout: std::time::Duration,
    /// Earlier messages given to the agent.
    pub history: usize,
    /// Messages per user per minute.
    pub rate_limit_per_minute: u32,
}

/// OpenAI's endpoint, used when only a key is configured.
pub const DEFAULT_OPENAI_BASE_URL: &str = "https://api.openai.com/v1";

impl ChatSettings {
    /// Defaults: the local agent, 100 messages a minute.
    #[must_use]
    pub fn local() -> Self {
        Self {
            agent: AgentKind::Local,
            openai_api_key: None,
            openai_base_url: DEFAULT_OPENAI_BASE_URL.to_owned(),
            model: "gpt-4o-mini".to_owned(),
            llm_timeout: std::time::Duration::from_secs(60),
            history: 20,
            rate_limit_per_minute: 100,
        }
    }
}

/// Time limits and the connection cap of the HTTP server (SPEC §9).
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// Time to send a request head, from its first byte (or from the connection's opening).
    pub header_timeout: Duration,
    /// Longest pause between two pieces of a request body.
    pub body_timeout: Duration,
    /// How long an idle keep-alive connection is kept.
    pub idle_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
    /// Deadline of a shutdown, counted from the signal.
    pub shutdown_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 4096,
            shutdown_timeout: Duration::from_secs(25),
        }
    }
}

/// Checked settings the application runs with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Database URL.
    pub database_url: String,
    /// Pool size.
    pub database_max_connections: u32,
    /// Whether `/metrics` is served and metrics recorded.
    pub metrics_enabled: bool,
    /// Bytes of listing pages kept in memory; 0 disables the listing cache.
    pub list_cache_bytes: u64,
    /// How many proxies in front append to `X-Forwarded-For`; 0 trusts no header.
    pub trusted_proxy_hops: usize,
    /// Host part of the listen address.
    pub host: String,
    /// Port part of the listen address.
    pub port: u16,
    /// External base URL, without a trailing slash.
    pub public_url: String,
    /// Explicit signing secret; `None` lets development generate one.
    pub jwt_secret: Option<SecretString>,
    /// Token lifetime.
    pub jwt_expiry: chrono::Duration,
    /// JWKS of an external issuer whose tokens are accepted too.
    pub jwt_jwks_url: Option<String>,
    /// `iss` to issue and require.
    pub jwt_issuer: Option<String>,
    /// `aud` to issue and require.
    pub jwt_audience: Option<String>,
    /// Allowed CORS origins.
    pub allowed_origins: Vec<String>,
    /// Deployment flavour.
    pub environment: Environment,
    /// Chosen log format.
    pub log_format: LogFormat,
    /// Chat agent and its limits.
    pub chat: ChatSettings,
    /// Redis URL for shared limits.
    pub redis_url: Option<SecretString>,
    /// How often an MCP WebSocket is pinged; one that has not answered a ping by the next is
    /// closed. 30 s keeps it inside the idle timeouts of common proxies.
    pub mcp_ws_keepalive: std::time::Duration,
    /// HTTP time limits and connection cap.
    pub connections: ConnectionLimits,
    /// Signups per client address per hour; 0 turns the limit off.
    pub signup_rate_limit_per_hour: u32,
}

/// The default of [`Settings::mcp_ws_keepalive`].
pub const MCP_WS_KEEPALIVE: std::time::Duration = std::time::Duration::from_secs(30);

impl Settings {
    /// Checks raw settings, applying the production rules of SPEC §1.
    ///
    /// # Errors
    /// A value is malformed, or production is asked to run with a weak secret or a wildcard
    /// origin.
    pub fn from_args(args: SettingsArgs) -> anyhow::Result<Self> {
        let jwt_secret = args
            .jwt_secret
            .or_else(|| std::env::var("TUDU_JWT_SECRET").ok())
            .filter(|s| !s.is_empty())
            .map(SecretString::from);
        let allowed_origins: Vec<String> = args
            .allowed_origins
            .split(',')
            .map(|o| o.trim().trim_end_matches('/').to_owned())
            .filter(|o| !o.is_empty())
            .collect();
        let secret_len = jwt_secret.as_ref().map_or(0, |s| s.expose_secret().len());
        if args.environment == Environment::Production {
            anyhow::ensure!(
                secret_len >= MIN_SECRET_BYTES,
                "ENVIRONMENT=production requires BETTER_AUTH_SECRET of at least {MIN_SECRET_BYTES} bytes"
            );
            anyhow::ensure!(
                !allowed_origins.iter().any(|o| o == "*"),
                "ENVIRONMENT=production refuses ALLOWED_ORIGINS=*"
            );
        } else if jwt_secret.is_some() && secret_len < MIN_SECRET_BYTES {
            anyhow::bail!("BETTER_AUTH_SECRET must be at least {MIN_SECRET_BYTES} bytes");
        }
        anyhow::ensure!(
            args.jwt_expiry_days >= 1,
            "JWT_EXPIRY_DAYS must be at least 1"
        );
        let public_url = args
            .public_url
            .unwrap_or_else(|| format!("http://{}:{}", args.host, args.port))
            .trim_end_matches('/')
            .to_owned();
        let log_format = args.log_format.unwrap_or_else(|| {
            if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
                LogFormat::Pretty
            } else {
                LogFormat::Json
            }
        });
        let openai_api_key = args
            .openai_api_key
            .filter(|k| !k.trim().is_empty())
            .map(SecretString::from);
        let openai_base_url = args.openai_base_url.filter(|u| !u.trim().is_empty());
        let agent =
            args.agent
                .unwrap_or(if openai_api_key.is_some() || openai_base_url.is_some() {
                    AgentKind::Openai
                } else {
                    AgentKind::Local
                });
        anyhow::ensure!(
            args.chat_rate_limit_per_minute >= 1,
            "CHAT_RATE_LIMIT_PER_MINUTE must be at least 1"
        );
        anyhow::ensure!(
            args.llm_timeout_secs >= 1,
            "TUDU_LLM_TIMEOUT_SECS must be at least 1"
        );
        anyhow::ensure!(
            args.database_max_connections >= 1,
            "DATABASE_MAX_CONNECTIONS must be at least 1"
        );
        let connections = ConnectionLimits {
            header_timeout: positive_secs(args.header_timeout_secs, "TUDU_HEADER_TIMEOUT_SECS")?,
            body_timeout: positive_secs(args.body_timeout_secs, "TUDU_BODY_TIMEOUT_SECS")?,
            idle_timeout: positive_secs(args.idle_timeout_secs, "TUDU_IDLE_TIMEOUT_SECS")?,
            max_connections: args.max_connections,
            shutdown_timeout: positive_secs(
                args.shutdown_timeout_secs,
                "TUDU_SHUTDOWN_TIMEOUT_SECS",
            )?,
        };
        anyhow::ensure!(
            connections.max_connections >= 1,
            "TUDU_MAX_CONNECTIONS must be at least 1"
        );
        let chat = ChatSettings {
            agent,
            openai_api_key,
            openai_base_url: openai_base_url
                .as_deref()
                .unwrap_or(DEFAULT_OPENAI_BASE_URL)
                .trim()
                .trim_end_matches('/')
                .to_owned(),
            model: args.llm_model,
            llm_timeout: std::time::Duration::from_secs(args.llm_timeout_secs),
            history: args.chat_history,
            rate_limit_per_minute: args.chat_rate_limit_per_minute,
        };
        Ok(Self {
            chat,
            redis_url: args
                .redis_url
                .filter(|u| !u.trim().is_empty())
                .map(SecretString::from),
            database_url: args.database_url,
            database_max_connections: args.database_max_connections,
            connections,
            signup_rate_limit_per_hour: args.signup_rate_limit_per_hour,
            metrics_enabled: args.metrics_enabled,
            list_cache_bytes: if args.list_cache {
                u64::from(args.list_cache_mb) * 1_000_000
            } else {
                0
            },
            trusted_proxy_hops: usize::from(args.trusted_proxy_hops),
            host: args.host,
            port: args.port,
            public_url,
            jwt_secret,
            jwt_expiry: chrono::Duration::days(i64::from(args.jwt_expiry_days)),
            jwt_jwks_url: args.jwt_jwks_url.filter(|u| !u.is_empty()),
            jwt_issuer: args.jwt_issuer,
            jwt_audience: args.jwt_audience,
            allowed_origins,
            environment: args.environment,
            log_format,
            mcp_ws_keepalive: MCP_WS_KEEPALIVE,
        })
    }

    /// The address to bind.
    ///
    /// # Errors
    /// `HOST` is not an IP address.
    pub fn listen_addr(&self) -> anyhow::Result<SocketAddr> {
        let host = if self.host == "localhost" {
            "127.0.0.1"
        } else {
            &self.host
        };
        let ip: std::net::IpAddr = host
            .parse()
            .map_err(|_| anyhow::anyhow!("HOST must be an IP address"))?;
        Ok(SocketAddr::new(ip, self.port))
    }

    /// Settings for tests and embedding: development defaults with the given database.
    #[must_use]
    pub fn for_database(database_url: &str) -> Self {
        Self {
            database_url: database_url.to_owned(),
            database_max_connections: 8,
            metrics_enabled: true,
            list_cache_bytes: 16_000_000,
            trusted_proxy_hops: 0,
            host: "127.0.0.1".to_owned(),
            port: 0,
            public_url: "http://127.0.0.1:0".to_owned(),
            jwt_secret: None,
            jwt_expiry: chrono::Duration::days(7),
            jwt_jwks_url: None,
            jwt_issuer: None,
            jwt_audience: None,
            allowed_origins: vec!["http://localhost:3000".to_owned()],
            environment: Environment::Development,
            log_format: LogFormat::Json,
            chat: ChatSettings::local(),
            redis_url: None,
            mcp_ws_keepalive: MCP_WS_KEEPALIVE,
            connections: ConnectionLimits::default(),
            // Test suites sign many users up from one address.
            signup_rate_limit_per_hour: 0,
        }
    }
}

/// `secs` as a duration, refusing 0 (which would close every connection at once).
fn positive_secs(secs: u64, name: &str) -> anyhow::Result<Duration> {
    anyhow::ensure!(secs >= 1, "{name} must be at least 1");
    Ok(Duration::from_secs(secs))
}
