//! Tokens signed by an external issuer (e.g. a Better Auth server), verified against its JWKS.
//!
//! Keys are cached and re-fetched when a token names an unknown `kid`, at most once per
//! [`MIN_REFRESH_INTERVAL`] so that forged `kid`s cannot make tudu hammer the issuer.

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use arc_swap::ArcSwap;
use jsonwebtoken::{
    Algorithm, AlgorithmFamily, DecodingKey, Header, Validation, errors::ErrorKind, jwk::JwkSet,
};

use super::token::{Claims, TokenError};
use crate::config::Settings;

/// Algorithms accepted from the JWKS; HMAC is never accepted there.
const ACCEPTED: [Algorithm; 3] = [Algorithm::EdDSA, Algorithm::RS256, Algorithm::ES256];
/// Smallest gap between two fetches of the key set.
pub const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(30);
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// Verification keys by `kid`.
type KeyMap = HashMap<String, DecodingKey>;

/// A cached JWKS and the rules its tokens must meet.
pub struct JwksVerifier {
    url: String,
    client: reqwest::Client,
    keys: ArcSwap<KeyMap>,
    last_fetch: tokio::sync::Mutex<Option<Instant>>,
    issuer: Option<String>,
    audience: Option<String>,
}

impl std::fmt::Debug for JwksVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwksVerifier")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl JwksVerifier {
    /// A verifier for `url`; keys are fetched on first use.
    ///
    /// # Errors
    /// The HTTP client cannot be built.
    pub fn new(url: &str, settings: &Settings) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder().timeout(FETCH_TIMEOUT).build()?;
        Ok(Self {
            url: url.to_owned(),
            client,
            keys: ArcSwap::from_pointee(KeyMap::new()),
            last_fetch: tokio::sync::Mutex::new(None),
            issuer: settings.jwt_issuer.clone(),
            audience: settings.jwt_audience.clone(),
        })
    }

    /// Whether this verifier handles tokens with this header.
    #[must_use]
    pub fn accepts(header: &Header) -> bool {
        ACCEPTED.contains(&header.alg)
    }

    /// Verifies a token signed by a key of the set.
    ///
    /// # Errors
    /// Unknown key, bad signature, expired or otherwise invalid claims.
    pub async fn verify(&self, token: &str, header: &Header) -> Result<Claims, TokenError> {
        let kid = header.kid.as_deref().ok_or(TokenError::Invalid)?;
        let key = match self.key(kid) {
            Some(key) => key,
            None => {
                self.refresh().await;
                self.key(kid).ok_or(TokenError::Invalid)?
            }
        };
        let mut validation = Validation::new(header.alg);
        validation.leeway = 60;
        validation.set_required_spec_claims(&["exp", "sub"]);
        match &self.audience {
            Some(aud) => validation.set_audience(&[aud]),
            None => validation.validate_aud = false,
        }
        if let Some(iss) = &self.issuer {
            validation.set_issuer(&[iss]);
        }
        jsonwebtoken::decode::<Claims>(token, &key, &validation)
            .map(|d| d.claims)
            .map_err(|err| match err.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })
    }

    fn key(&self, kid: &str) -> Option<DecodingKey> {
        self.keys.load().get(kid).cloned()
    }

    /// Re-fetches the set unless it was fetched recently; failures keep the old keys.
    async fn refresh(&self) {
        let mut last_fetch = self.last_fetch.lock().await;
        if last_fetch.is_some_and(|at| at.elapsed() < MIN_REFRESH_INTERVAL) {
            return;
        }
        *last_fetch = Some(Instant::now());
        match self.fetch().await {
            Ok(keys) => {
                tracing::info!(url = %self.url, keys = keys.len(), "JWKS refreshed");
                self.keys.store(Arc::new(keys));
            }
            Err(err) => tracing::warn!(url = %self.url, error = %err, "JWKS fetch failed"),
        }
    }

    async fn fetch(&self) -> anyhow::Result<KeyMap> {
        let set: JwkSet = self
            .client
            .get(&self.url)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(set
            .keys
            .iter()
            .filter_map(|jwk| {
                let kid = jwk.common.key_id.clone()?;
                // Shared-secret keys have no place in a public key set.
                let key = DecodingKey::from_jwk(jwk).ok()?;
                (key.family() != AlgorithmFamily::Hmac).then_some((kid, key))
            })
            .collect())
    }
}
