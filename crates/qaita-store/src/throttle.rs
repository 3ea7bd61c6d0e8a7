//! Failed-login throttling and the authentication log. Failures are counted per key (an account,
//! `user:NAME`, or a client address, `addr:IP`) in a fixed window; a key reaching its limit is
//! locked for a while. Counts live in the database so that every server process sharing it
//! applies the same limits; each step is one atomic upsert, so concurrent failures on two
//! servers are both counted.

use serde::Serialize;

use crate::db::Val;
use crate::{Store, StoreError, now, timestamp_in};

/// What a key may do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginGate {
    /// Attempts may go on; `failures` counted in the current window.
    Open { failures: i64 },
    /// Locked: answer 429 and come back after this many seconds.
    Locked { retry_after_secs: i64 },
}

/// One entry of the authentication log.
#[derive(Debug, Clone, Serialize)]
pub struct AuthEvent {
    pub id: i64,
    pub at: String,
    /// login_ok, login_failed, login_locked (refused while locked), lockout (a key was locked).
    pub kind: String,
    /// The user name as typed (it may not exist).
    pub username: String,
    /// Client address, when known.
    pub client: Option<String>,
    pub detail: Option<String>,
}

fn seconds_until(at: &str) -> Option<i64> {
    let until = chrono::DateTime::parse_from_rfc3339(at).ok()?;
    let left = until.signed_duration_since(chrono::Utc::now());
    // Round up, so a client that waits Retry-After seconds finds the lock gone.
    Some((left.num_milliseconds() + 999).div_euclid(1000))
}

impl Store {
    /// Whether any of `keys` is locked now.
    pub fn login_gate(&mut self, keys: &[&str]) -> Result<LoginGate, StoreError> {
        let mut failures = 0;
        let mut retry = 0;
        for key in keys {
            let rows = self.conn.query(
                "SELECT failures, locked_until FROM login_throttle WHERE key = ?",
                &[Val::Text(key)],
                |r| Ok((r.int(0)?, r.text(1)?)),
            )?;
            if let Some((count, locked)) = rows.into_iter().next() {
                failures = failures.max(count);
                if let Some(left) = locked.as_deref().and_then(seconds_until)
                    && left > 0
                {
                    retry = retry.max(left);
                }
            }
        }
        Ok(if retry > 0 {
            LoginGate::Locked {
                retry_after_secs: retry,
            }
        } else {
            LoginGate::Open { failures }
        })
    }

    /// Count one failure against `key` in a window of `window_secs`; when the count reaches
    /// `max_failures`, lock the key for `lockout_secs` (and start counting afresh). Returns
    /// the gate after this failure and whether this failure set the lock.
    pub fn record_login_failure(
        &mut self,
        key: &str,
        window_secs: i64,
        max_failures: i64,
        lockout_secs: i64,
    ) -> Result<(LoginGate, bool), StoreError> {
        let at = now();
        let window_start = timestamp_in(chrono::Duration::seconds(-window_secs.max(1)));
        self.conn.begin()?;
        let result = (|| {
            self.conn.exec(
                "INSERT INTO login_throttle (key, failures, window_start, locked_until, last_at) VALUES (?, 1, ?, NULL, ?) \
                 ON CONFLICT (key) DO UPDATE SET \
                   failures = CASE WHEN login_throttle.window_start < ? THEN 1 ELSE login_throttle.failures + 1 END, \
                   window_start = CASE WHEN login_throttle.window_start < ? THEN excluded.window_start ELSE login_throttle.window_start END, \
                   last_at = excluded.last_at",
                &[Val::Text(key), Val::Text(&at), Val::Text(&at), Val::Text(&window_start), Val::Text(&window_start)],
            )?;
            let failures = self.conn.query_int(
                "SELECT failures FROM login_throttle WHERE key = ?",
                &[Val::Text(key)],
            )?;
            if failures >= max_failures.max(1) {
                let until = timestamp_in(chrono::Duration::seconds(lockout_secs.max(1)));
                self.conn.exec(
                    "UPDATE login_throttle SET locked_until = ?, failures = 0, window_start = ? WHERE key = ?",
                    &[Val::Text(&until), Val::Text(&at), Val::Text(key)],
                )?;
                return Ok((
                    LoginGate::Locked {
                        retry_after_secs: lockout_secs.max(1),
                    },
                    true,
                ));
            }
            Ok((LoginGate::Open { failures }, false))
        })();
        self.finish(result)
    }

    /// Forget the failures of `key` (after a successful login).
    pub fn clear_login_failures(&mut self, key: &str) -> Result<(), StoreError> {
        self.conn.exec(
            "DELETE FROM login_throttle WHERE key = ? AND (locked_until IS NULL OR locked_until < ?)",
            &[Val::Text(key), Val::Text(&now())],
        )?;
        Ok(())
    }

    /// Append to the authentication log.
    pub fn add_auth_event(
        &mut self,
        kind: &str,
        username: &str,
        client: Option<&str>,
        detail: Option<&str>,
    ) -> Result<(), StoreError> {
        self.conn.exec(
            "INSERT INTO auth_event (at, kind, username, client, detail) VALUES (?, ?, ?, ?, ?)",
            &[
                Val::Text(&now()),
                Val::Text(kind),
                Val::Text(username),
                client.into(),
                detail.into(),
            ],
        )?;
        Ok(())
    }

    /// The latest `limit` entries of the authentication log, newest first, optionally of one
    /// user name.
    pub fn auth_events(
        &mut self,
        username: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AuthEvent>, StoreError> {
        let map = |r: &crate::db::Row<'_>| {
            Ok(AuthEvent {
                id: r.int(0)?,
                at: r.text(1)?.unwrap_or_default(),
                kind: r.text(2)?.unwrap_or_default(),
                username: r.text(3)?.unwrap_or_default(),
                client: r.text(4)?,
                detail: r.text(5)?,
            })
        };
        match username {
            Some(name) => self.conn.query(
                "SELECT id, at, kind, username, client, detail FROM auth_event WHERE username = ? ORDER BY id DESC LIMIT ?",
                &[Val::Text(name), Val::Int(limit)],
                map,
            ),
            None => self.conn.query(
                "SELECT id, at, kind, username, client, detail FROM auth_event ORDER BY id DESC LIMIT ?",
                &[Val::Int(limit)],
                map,
            ),
        }
    }
}
