//! Shared application state handed to every handler.

use std::sync::Arc;

use axum::extract::FromRef;

use crate::auth::{jwks::JwksVerifier, limit::AuthLimiter, token::TokenKeys};
use crate::chat::service::Chat;
use crate::config::Settings;
use crate::db::Db;

/// Everything a request may need; cheap to clone.
#[derive(Clone, FromRef)]
pub struct AppState {
    /// Database pool.
    pub db: Db,
    /// Settings parsed at start.
    pub settings: Arc<Settings>,
    /// JWT keys.
    pub tokens: Arc<TokenKeys>,
    /// External issuer's keys, when `JWT_JWKS_URL` is set.
    pub jwks: Option<Arc<JwksVerifier>>,
    /// Rendered listing pages, served while the user's tasks are unchanged.
    pub list_cache: crate::tasks::cache::ListCache,
    /// Login and signup attempt limits.
    pub auth_limiter: Arc<AuthLimiter>,
    /// The chat agent and its per-user limit.
    pub chat: Arc<Chat>,
}
