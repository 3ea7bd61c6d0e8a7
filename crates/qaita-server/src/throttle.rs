//! Failed-login throttling: per account and per client address, growing delays on the answers
//! to wrong passwords, then a temporary lockout answered 429 with `Retry-After`. Counts are in
//! the store (`qaita_store::Store::record_login_failure`), so every server process sharing a
//! database enforces one limit. Tokens and existing sessions are not affected: only
//! `POST /session` (password login) is throttled.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::{AppState, Problem};

/// Limits of `POST /session` (`qaita serve --login-*` flags).
#[derive(Debug, Clone)]
pub struct LoginLimits {
    /// Failures are counted in a window this long.
    pub window_secs: i64,
    /// Failures of one account within the window that lock it.
    pub account_failures: i64,
    /// Failures from one client address within the window that lock it (higher: an office
    /// behind one NAT address shares it).
    pub address_failures: i64,
    /// How long a lock lasts.
    pub lockout_secs: i64,
    /// Delay before answering the third failure in a row; it doubles with each further one.
    pub delay_base: Duration,
    /// The delay stops growing here.
    pub delay_max: Duration,
    /// Take the client address from the first `X-Forwarded-For` entry (behind a reverse
    /// proxy that sets it); otherwise the peer address of the connection.
    pub trust_forwarded_for: bool,
}

impl Default for LoginLimits {
    fn default() -> Self {
        LoginLimits {
            window_secs: 60,
            account_failures: 10,
            address_failures: 50,
            lockout_secs: 300,
            delay_base: Duration::from_millis(250),
            delay_max: Duration::from_secs(4),
            trust_forwarded_for: false,
        }
    }
}

impl LoginLimits {
    /// How long to hold the answer to a wrong password when the key has `failures` in the
    /// window: none for the first two (typos), then `delay_base`, doubling, up to `delay_max`.
    pub fn delay_after(&self, failures: i64) -> Duration {
        if failures < 3 {
            return Duration::ZERO;
        }
        let doublings = u32::try_from(failures - 3).unwrap_or(u32::MAX).min(20);
        self.delay_base
            .saturating_mul(1u32 << doublings)
            .min(self.delay_max)
    }
}

/// The client's address as the throttle sees it (`None` when unknown, as in tests that drive
/// the router without a socket).
#[derive(Debug, Clone)]
pub struct ClientAddr(pub Option<String>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        if state.config().login.trust_forwarded_for
            && let Some(first) = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .map(str::trim)
                .filter(|v| !v.is_empty())
        {
            return Ok(ClientAddr(Some(first.to_string())));
        }
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip().to_string()),
        ))
    }
}

/// The throttle keys of a login attempt: the account (case-folded, as user names are unique
/// that way to a person) and the address.
pub fn keys(username: &str, client: &ClientAddr) -> Vec<String> {
    let mut keys = vec![format!("user:{}", username.trim().to_lowercase())];
    if let Some(addr) = &client.0 {
        keys.push(format!("addr:{addr}"));
    }
    keys
}

/// 429 with `Retry-After`.
pub fn locked(retry_after_secs: i64) -> Problem {
    Problem::new(
        axum::http::StatusCode::TOO_MANY_REQUESTS,
        "Too many failed logins",
        format!(
            "too many wrong passwords for this account or from this address; try again in {retry_after_secs} s"
        ),
    )
    .with_retry_after(retry_after_secs.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_start_at_the_third_failure_and_double_up_to_the_cap() {
        let limits = LoginLimits::default();
        let ms: Vec<u128> = (1..=9).map(|f| limits.delay_after(f).as_millis()).collect();
        assert_eq!(ms, [0, 0, 250, 500, 1000, 2000, 4000, 4000, 4000]);
        assert_eq!(limits.delay_after(i64::MAX), limits.delay_max);
    }
}
