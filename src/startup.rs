//! Building the application: database, state, router and listener.

use std::{future::Future, sync::Arc, time::Duration};

use anyhow::Context;
use axum::{
    Router,
    extract::DefaultBodyLimit,
    http::{HeaderName, HeaderValue, Method, header},
    middleware,
    response::IntoResponse,
};
use secrecy::SecretString;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    cors::{AllowOrigin, CorsLayer},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::{jwks::JwksVerifier, limit::AuthLimiter, token::TokenKeys};
use crate::chat::service::Chat;
use crate::config::{ConnectionLimits, Environment, Settings};
use crate::db::{Db, PoolSettings};
use crate::error::{ApiError, method_not_allowed, not_found};
use crate::observe::{Observe, REQUEST_ID_HEADER};
use crate::shutdown::Drain;
use crate::state::AppState;

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
const REQUEST_ID: HeaderName = HeaderName::from_static(REQUEST_ID_HEADER);

/// A bound, ready-to-run server.
pub struct Application {
    listener: TcpListener,
    router: Router,
    db: Db,
    connections: ConnectionLimits,
}

impl Application {
    /// Connects and migrates the database, resolves the signing secret, builds the router and
    /// binds the listener.
    ///
    /// # Errors
    /// The database, the secret file or the address is unusable.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = connect(&settings).await?;
        db.migrate().await?;
        let secret = signing_secret(&settings, &db)?;
        let chat = Chat::from_settings(&settings).await?;
        let state = app_state(settings, db.clone(), &secret, chat)?;
        let addr = state.settings.listen_addr()?;
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        tracing::info!(
            address = %listener.local_addr()?,
            database = %db.describe(),
            public_url = %state.settings.public_url,
            "tudu listening"
        );
        spawn_housekeeping(&state);
        let connections = state.settings.connections.clone();
        Ok(Self {
            connections,
            listener,
            router: router(state),
            db,
        })
    }

    /// The database handle, shared with the server (tests check it is closed after a stop).
    #[must_use]
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The bound port (useful with `PORT=0`).
    #[must_use]
    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    /// Serves until `shutdown` resolves, then stops accepting, finishes in-flight requests
    /// (closing keep-alive connections as `crate::shutdown` describes) and closes the pool.
    ///
    /// # Errors
    /// The server failed.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let drain = Drain::default();
        let router = self.router.layer(middleware::from_fn_with_state(
            drain.draining(),
            crate::shutdown::close_when_draining,
        ));
        let listener = drain.listener(self.listener);
        let limits = self.connections;
        crate::server::serve(listener, drain, router, limits, shutdown).await;
        self.db.close().await;
        tracing::info!("tudu stopped");
        Ok(())
    }
}

/// Opens the database named by the settings.
///
/// # Errors
/// The database does not answer.
pub async fn connect(settings: &Settings) -> anyhow::Result<Db> {
    let pool = PoolSettings {
        max_connections: settings.database_max_connections,
        ..PoolSettings::default()
    };
    Db::connect(&settings.database_url, &pool).await
}

/// The configured secret, or in development one generated once and kept next to the SQLite
/// file so tokens survive restarts.
///
/// # Errors
/// The persisted secret cannot be read or written.
pub fn signing_secret(settings: &Settings, db: &Db) -> anyhow::Result<SecretString> {
    if let Some(secret) = &settings.jwt_secret {
        return Ok(secret.clone());
    }
    anyhow::ensure!(
        settings.environment == Environment::Development,
        "a signing secret is required outside development"
    );
    match db
        .sqlite_file()
        .filter(|f| !f.as_os_str().is_empty() && f != ":memory:")
    {
        Some(file) => {
            let path = file.with_file_name(".tudu_jwt_secret");
            let secret = crate::auth::token::load_or_create_dev_secret(&path)?;
            tracing::warn!(path = %path.display(), "no BETTER_AUTH_SECRET set: using the development secret stored here");
            Ok(secret)
        }
        None => {
            tracing::warn!("no BETTER_AUTH_SECRET set: tokens will not survive a restart");
            Ok(SecretString::from(crate::auth::token::random_secret()))
        }
    }
}

/// State shared by every handler.
///
/// # Errors
/// The JWKS client cannot be built.
pub fn app_state(
    settings: Settings,
    db: Db,
    secret: &SecretString,
    chat: Arc<Chat>,
) -> anyhow::Result<AppState> {
    let tokens = TokenKeys::new(secret, &settings);
    let list_cache = crate::tasks::cache::ListCache::new(settings.list_cache_bytes);
    let auth_limiter = Arc::new(AuthLimiter::new(settings.signup_rate_limit_per_hour));
    let jwks = match &settings.jwt_jwks_url {
        Some(url) => Some(Arc::new(JwksVerifier::new(url, &settings)?)),
        None => None,
    };
    Ok(AppState {
        db,
        tokens: Arc::new(tokens),
        jwks,
        settings: Arc::new(settings),
        list_cache,
        auth_limiter,
        chat,
    })
}

/// Periodic clean-up: idle login-limit keys, expired idempotency keys.
fn spawn_housekeeping(state: &AppState) {
    let limiter = Arc::clone(&state.auth_limiter);
    let chat = Arc::clone(&state.chat);
    let db = state.db.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(crate::auth::limit::CLEANUP_EVERY);
        loop {
            every.tick().await;
            limiter.forget_idle();
            chat.limiter.forget_idle();
            if let Err(err) = crate::tasks::service::forget_expired_idempotency_keys(&db).await {
                tracing::warn!(error = %err, "could not forget expired idempotency keys");
            }
            if let Err(err) = crate::auth::credential::forget_expired_sessions(&db).await {
                tracing::warn!(error = %err, "could not forget expired sessions");
            }
        }
    });
}

/// The API's OpenAPI document and routes, before state is attached.
pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(crate::openapi::base())
        .merge(crate::ops::router())
        .merge(crate::mcp::http::metadata_router())
        .nest("/api/v1/auth", crate::auth::http::router())
        .nest("/api/v1/tasks", crate::tasks::http::router())
        .nest("/api/v1/projects", crate::projects::http::router())
        .nest("/api/v1/chat", crate::chat::http::chat_router())
        .nest(
            "/api/v1/conversations",
            crate::chat::http::conversations_router(),
        )
}

/// The whole HTTP surface with its middleware.
pub fn router(state: AppState) -> Router {
    let (routes, openapi) = crate::compat::mount(api_routes(), &state).split_for_parts();
    let cors = cors(&state.settings.allowed_origins);
    let observe = Observe {
        metrics: state.settings.metrics_enabled,
    };
    if observe.metrics {
        crate::metrics::install();
    }
    routes
        .merge(SwaggerUi::new("/docs").url("/openapi.json", openapi))
        .merge(crate::mcp::http::routes(&state))
        .merge(crate::web::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
        // One layer for the whole stack: the router clones a route's service for every request,
        // and each separate `Router::layer` would add a boxed service (an allocation) to that
        // clone. Listed outermost first.
        .layer(
            ServiceBuilder::new()
                .map_request(crate::observe::screen_request_id)
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(middleware::from_fn_with_state(
                    observe,
                    crate::observe::observe,
                ))
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(SetResponseHeaderLayer::overriding(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ))
                .layer(cors)
                .layer(CatchPanicLayer::custom(|_| {
                    ApiError::Internal(anyhow::anyhow!("handler panicked")).into_response()
                }))
                .layer(DefaultBodyLimit::max(MAX_BODY_BYTES)),
        )
}

fn cors(origins: &[String]) -> CorsLayer {
    let allow_origin = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static("mcp-protocol-version"),
            HeaderName::from_static(crate::mcp::auth::SESSION_HEADER),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::LINK,
            REQUEST_ID,
            HeaderName::from_static("x-total-count"),
            header::WWW_AUTHENTICATE,
            HeaderName::from_static(crate::mcp::auth::SESSION_HEADER),
        ])
        .max_age(Duration::from_secs(600))
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested: finishing in-flight requests");
}
