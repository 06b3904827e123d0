//! HS256 access tokens: minting and verification with a pinned algorithm.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::config::Settings;

/// Clock skew tolerated on `exp` (SPEC §6).
const LEEWAY_SECS: u64 = 60;

/// Tokens remembered as verified. A client reuses one token for days, and checking its HMAC and
/// decoding its two JSON parts was a quarter of the CPU of a cached listing.
const VERIFIED_CAPACITY: u64 = 10_000;
/// Upper bound on how long a verified token is remembered (never past its `exp`).
const VERIFIED_TTL: std::time::Duration = std::time::Duration::from_mins(5);

/// Claims of SPEC §6; `sub` and `user_id` both carry the user id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// The user id again, for reference-design clients.
    pub user_id: Option<String>,
    /// The user's email at issue time.
    #[serde(default)]
    pub email: Option<String>,
    /// The user's name at issue time.
    #[serde(default)]
    pub name: Option<String>,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
    /// Issuer, when configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Audience, when configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// The session (credential row) the token belongs to; tokens without one (issued before
    /// sessions could be revoked) are refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

/// Why a token was refused; all map to 401.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    /// Past `exp` (plus leeway).
    #[error("token has expired")]
    Expired,
    /// Bad signature, algorithm, structure or claims.
    #[error("token is invalid")]
    Invalid,
}

/// A freshly minted token.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The compact JWS.
    pub token: String,
    /// When it stops being accepted.
    pub expires_at: DateTime<Utc>,
}

/// Signing and verification keys plus the rules tokens must meet.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    lifetime: chrono::Duration,
    issuer: Option<String>,
    audience: Option<String>,
    /// Claims of tokens already verified, by SHA-256 of the whole token: a token that differs in
    /// any byte (another signature, other claims) is a different key and is verified in full.
    verified: moka::sync::Cache<[u8; 32], Claims>,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys").finish_non_exhaustive()
    }
}

impl TokenKeys {
    /// Builds keys from the secret and the issuer/audience/lifetime settings.
    #[must_use]
    pub fn new(secret: &SecretString, settings: &Settings) -> Self {
        let bytes = secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY_SECS;
        validation.validate_exp = true;
        validation.set_required_spec_claims(&["exp", "sub"]);
        match &settings.jwt_audience {
            Some(aud) => validation.set_audience(&[aud]),
            None => validation.validate_aud = false,
        }
        if let Some(iss) = &settings.jwt_issuer {
            validation.set_issuer(&[iss]);
        }
        Self {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            validation,
            lifetime: settings.jwt_expiry,
            issuer: settings.jwt_issuer.clone(),
            audience: settings.jwt_audience.clone(),
            verified: moka::sync::Cache::builder()
                .max_capacity(VERIFIED_CAPACITY)
                .time_to_live(VERIFIED_TTL)
                .build(),
        }
    }

    /// How long a token lives.
    #[must_use]
    pub fn lifetime(&self) -> chrono::Duration {
        self.lifetime
    }

    /// Mints a token for the user's session `session_id` (see
    /// [`credential::start_session`](super::credential::start_session), which records it).
    ///
    /// # Errors
    /// Signing failed (never expected with an HMAC key).
    pub fn issue(
        &self,
        user_id: &str,
        email: &str,
        name: &str,
        session_id: &str,
    ) -> anyhow::Result<IssuedToken> {
        let now = Utc::now();
        let expires_at = now + self.lifetime;
        let claims = Claims {
            sub: user_id.to_owned(),
            user_id: Some(user_id.to_owned()),
            email: Some(email.to_owned()),
            name: Some(name.to_owned()),
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sid: Some(session_id.to_owned()),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        let expires_at = DateTime::from_timestamp(claims.exp, 0).unwrap_or(expires_at);
        Ok(IssuedToken { token, expires_at })
    }

    /// Verifies signature, algorithm (HS256 only) and claims.
    ///
    /// # Errors
    /// The token is expired or invalid in any way.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        use sha2::Digest;
        let key: [u8; 32] = sha2::Sha256::digest(token.as_bytes()).into();
        // A remembered token is only accepted before its `exp`, without the leeway: past it,
        // the full check below decides, as for any other token.
        let now = Utc::now().timestamp();
        if let Some(claims) = self.verified.get(&key).filter(|c| now < c.exp) {
            return Ok(claims);
        }
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|err| match err.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })?;
        if now < claims.exp {
            self.verified.insert(key, claims.clone());
        }
        Ok(claims)
    }
}

/// Loads the development secret persisted at `path`, creating it on first use.
///
/// # Errors
/// The file cannot be read or written.
pub fn load_or_create_dev_secret(path: &std::path::Path) -> anyhow::Result<SecretString> {
    use anyhow::Context;
    if let Ok(existing) = std::fs::read_to_string(path) {
        let existing = existing.trim();
        if existing.len() >= crate::config::MIN_SECRET_BYTES {
            return Ok(SecretString::from(existing.to_owned()));
        }
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let secret = random_secret();
    write_private(path, &secret).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(SecretString::from(secret))
}

/// 48 random bytes, URL-safe base64.
#[must_use]
pub fn random_secret() -> String {
    use base64::Engine;
    let bytes: [u8; 48] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        let mut settings = Settings::for_database("sqlite::memory:");
        settings.jwt_expiry = chrono::Duration::hours(1);
        TokenKeys::new(&SecretString::from("k".repeat(40)), &settings)
    }

    #[test]
    fn a_remembered_token_does_not_vouch_for_a_tampered_one() {
        let keys = keys();
        let token = keys
            .issue("u1", "a@example.com", "A", "s1")
            .expect("issue")
            .token;
        assert_eq!(keys.verify(&token).map(|c| c.sub), Ok("u1".to_owned()));
        assert_eq!(keys.verify(&token).map(|c| c.sub), Ok("u1".to_owned()));
        let mut tampered = token.clone();
        let last = tampered.pop().expect("a signature");
        tampered.push(if last == 'A' { 'B' } else { 'A' });
        assert_eq!(
            keys.verify(&tampered).map(|c| c.sub),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn tokens_of_other_keys_are_refused_after_ours_are_remembered() {
        let ours = keys();
        let token = ours
            .issue("u1", "a@example.com", "A", "s1")
            .expect("issue")
            .token;
        assert!(ours.verify(&token).is_ok());
        let settings = Settings::for_database("sqlite::memory:");
        let theirs = TokenKeys::new(&SecretString::from("z".repeat(40)), &settings);
        let forged = theirs
            .issue("u1", "a@example.com", "A", "s1")
            .expect("issue")
            .token;
        assert_eq!(
            ours.verify(&forged).map(|c| c.sub),
            Err(TokenError::Invalid)
        );
    }
}
