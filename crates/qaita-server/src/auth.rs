//! Who is calling, and may they: web sessions (HttpOnly cookie + CSRF header on writes) and
//! API tokens (`Authorization: Bearer qaita_<id>_<secret>`). Passwords and token secrets are
//! kept as argon2 hashes; session cookies as SHA-256 hashes (they are random and long, so a
//! fast hash is enough and lookups stay cheap).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use qaita_store::{Role, User};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::{AppState, Problem};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "qaita_session";
/// Header carrying the CSRF token on cookie-authenticated writes.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// `bytes` random bytes from the OS, URL-safe base64.
pub fn random_secret(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the operating system's random source works");
    URL_SAFE_NO_PAD.encode(buf)
}

/// Argon2id hash (PHC string) of a password or token secret.
pub fn hash_secret(secret: &str) -> Result<String, Problem> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| Problem::internal(format!("random source: {e}")))?;
    let salt =
        SaltString::encode_b64(&salt).map_err(|e| Problem::internal(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Problem::internal(format!("argon2: {e}")))
}

/// Whether `secret` matches an argon2 PHC hash.
pub fn verify_secret(secret: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(secret.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Hex SHA-256, how session cookies are stored.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A new API token for token row `id`: `qaita_<id>_<secret>`; returns (token, secret).
pub fn new_token(id: i64) -> (String, String) {
    let secret = random_secret(32);
    (format!("qaita_{id}_{secret}"), secret)
}

/// Token id and secret of a bearer token.
pub fn parse_token(token: &str) -> Option<(i64, &str)> {
    let rest = token.strip_prefix("qaita_")?;
    let (id, secret) = rest.split_once('_')?;
    Some((id.parse().ok()?, secret))
}

/// Minimum length of a password set through the API or CLI.
pub const MIN_PASSWORD: usize = 8;

/// The caller of a request: a user (by session or token) or anonymous.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: Option<User>,
    /// Set when the user came by session cookie: writes must echo it in `X-CSRF-Token`.
    pub csrf_token: Option<String>,
}

impl Caller {
    /// May read: any user, or anyone when anonymous reading is on.
    pub fn read(&self, state: &AppState) -> Result<(), Problem> {
        if self.user.is_none() && !state.config().anon_read {
            return Err(Problem::unauthorized(
                "log in (POST /api/v1/session) or send an API token to read the registry",
            ));
        }
        Ok(())
    }

    /// The user, if logged in with at least `role`; writes by session need the CSRF header.
    pub fn require(&self, headers: &HeaderMap, role: Role) -> Result<&User, Problem> {
        let Some(user) = &self.user else {
            return Err(Problem::unauthorized(
                "log in (POST /api/v1/session) or send an API token",
            ));
        };
        if let Some(expected) = &self.csrf_token {
            let sent = headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !bool::from(sent.as_bytes().ct_eq(expected.as_bytes())) {
                return Err(Problem::csrf());
            }
        }
        if user.role < role {
            return Err(Problem::forbidden(format!(
                "this needs the {role} role; {} is {}",
                user.username, user.role
            )));
        }
        Ok(user)
    }

    /// The session cookie's value, if the request carries one.
    pub fn cookie(headers: &HeaderMap) -> Option<String> {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == SESSION_COOKIE)
            .map(|(_, value)| value.trim().to_string())
            .filter(|v| !v.is_empty())
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
            let token = auth
                .to_str()
                .ok()
                .and_then(|v| {
                    v.strip_prefix("Bearer ")
                        .or_else(|| v.strip_prefix("bearer "))
                })
                .map(str::trim)
                .ok_or_else(|| {
                    Problem::unauthorized("Authorization must be 'Bearer qaita_<id>_<secret>'")
                })?
                .to_string();
            let user = token_user(state, token).await?;
            return Ok(Caller {
                user: Some(user),
                csrf_token: None,
            });
        }
        if let Some(cookie) = Caller::cookie(&parts.headers) {
            let hash = sha256_hex(&cookie);
            if let Some(session) = state.db_quick(move |s| Ok(s.session(&hash)?)).await? {
                return Ok(Caller {
                    user: Some(session.user),
                    csrf_token: Some(session.csrf_token),
                });
            }
        }
        Ok(Caller {
            user: None,
            csrf_token: None,
        })
    }
}

/// The active user a bearer token belongs to, or 401.
async fn token_user(state: &AppState, token: String) -> Result<User, Problem> {
    let invalid = || Problem::unauthorized("the API token is unknown, revoked or malformed");
    let (id, secret) = parse_token(&token).ok_or_else(invalid)?;
    let secret = secret.to_string();
    let fingerprint: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    let known = state
        .inner
        .verified_tokens
        .lock()
        .map(|m| m.get(&fingerprint) == Some(&id))
        .unwrap_or(false);
    let (user, hash) = state
        .db_quick(move |s| Ok(s.token(id)?))
        .await?
        .ok_or_else(invalid)?;
    if !known {
        let ok = tokio::task::spawn_blocking(move || verify_secret(&secret, &hash))
            .await
            .map_err(|e| Problem::internal(format!("token check: {e}")))?;
        if !ok {
            return Err(invalid());
        }
        if let Ok(mut m) = state.inner.verified_tokens.lock() {
            if m.len() > 10_000 {
                m.clear();
            }
            m.insert(fingerprint, id);
        }
    }
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_their_secret() {
        let h = hash_secret("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_secret("correct horse", &h));
        assert!(!verify_secret("correct horsf", &h));
        assert!(!verify_secret("correct horse", "not a hash"));
    }

    #[test]
    fn tokens_round_trip() {
        let (token, secret) = new_token(42);
        assert_eq!(parse_token(&token), Some((42, secret.as_str())));
        assert_eq!(parse_token("qaita_x_y"), None);
        assert_eq!(parse_token("other_1_y"), None);
        assert!(secret.len() >= 43);
    }

    #[test]
    fn cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; qaita_session=abc ; b=2".parse().unwrap(),
        );
        assert_eq!(Caller::cookie(&h).as_deref(), Some("abc"));
        h.insert(header::COOKIE, "qaita_session=".parse().unwrap());
        assert_eq!(Caller::cookie(&h), None);
    }
}
