//! Users, API tokens and web sessions. The store keeps only hashes (argon2 for passwords and
//! token secrets, computed by the caller; SHA-256 of session cookies); it never sees a secret
//! it could leak. Users are revoked, never deleted, so the audit trail keeps its actors.

use serde::Serialize;

use crate::db::Val;
use crate::{Store, StoreError, now};

/// What a user may do; each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads the registry, analyses and statistics.
    Viewer,
    /// Also runs resource estimates, valuations and policy runs.
    Analyst,
    /// Also writes the registry (edits, creations, deletions, imports).
    Editor,
    /// Also manages users and tokens.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Analyst, Role::Editor, Role::Admin];

    pub fn code(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Analyst => "analyst",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.code() == s.trim().to_lowercase())
            .ok_or_else(|| format!("'{s}' is not a role: use viewer, analyst, editor or admin"))
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// A user as listed (no hashes).
#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub created_at: String,
    pub created_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_by: Option<String>,
    /// Whether a password is set (web login); token-only users have none.
    pub has_password: bool,
}

impl User {
    pub fn active(&self) -> bool {
        self.revoked_at.is_none()
    }
}

/// An API token as listed (no hash).
#[derive(Debug, Clone, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub username: String,
    pub label: String,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
}

/// A web session found by its cookie hash.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub user: User,
    pub csrf_token: String,
    pub expires_at: String,
}

const USER_COLUMNS: &str = "u.id, u.username, u.role, u.created_at, u.created_by, u.revoked_at, u.revoked_by, u.password_hash IS NOT NULL";

fn user_from_row(r: &crate::db::Row<'_>) -> Result<User, StoreError> {
    let role = r.text(2)?.unwrap_or_default();
    Ok(User {
        id: r.int(0)?,
        username: r.text(1)?.unwrap_or_default(),
        role: role
            .parse()
            .map_err(|e: String| StoreError::Invariant(format!("stored user: {e}")))?,
        created_at: r.text(3)?.unwrap_or_default(),
        created_by: r.text(4)?.unwrap_or_default(),
        revoked_at: r.text(5)?,
        revoked_by: r.text(6)?,
        has_password: r.bool(7)?,
    })
}

impl Store {
    /// Add a user; `password_hash` is an argon2 PHC string (or `None` for token-only users).
    pub fn add_user(
        &mut self,
        username: &str,
        role: Role,
        password_hash: Option<&str>,
        by: &str,
    ) -> Result<User, StoreError> {
        if self.user(username)?.is_some() {
            return Err(StoreError::Duplicate(format!("user {username}")));
        }
        self.conn.exec(
            "INSERT INTO app_user (username, role, password_hash, created_at, created_by) VALUES (?, ?, ?, ?, ?)",
            &[Val::Text(username), Val::Text(role.code()), password_hash.into(), Val::Text(&now()), Val::Text(by)],
        )?;
        self.user(username)?
            .ok_or_else(|| StoreError::Invariant(format!("user {username} not stored")))
    }

    /// Every user, revoked ones included, by name.
    pub fn users(&mut self) -> Result<Vec<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM app_user u ORDER BY u.username");
        self.conn.query(&sql, &[], user_from_row)
    }

    pub fn user(&mut self, username: &str) -> Result<Option<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM app_user u WHERE u.username = ?");
        Ok(self
            .conn
            .query(&sql, &[Val::Text(username)], user_from_row)?
            .into_iter()
            .next())
    }

    /// A user's argon2 password hash, for a login (active users only).
    pub fn password_hash(&mut self, username: &str) -> Result<Option<(User, String)>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, u.password_hash FROM app_user u WHERE u.username = ? AND u.revoked_at IS NULL AND u.password_hash IS NOT NULL"
        );
        Ok(self
            .conn
            .query(&sql, &[Val::Text(username)], |r| {
                Ok((user_from_row(r)?, r.text(8)?.unwrap_or_default()))
            })?
            .into_iter()
            .next())
    }

    pub fn set_password(&mut self, username: &str, password_hash: &str) -> Result<(), StoreError> {
        let n = self.conn.exec(
            "UPDATE app_user SET password_hash = ? WHERE username = ? AND revoked_at IS NULL",
            &[Val::Text(password_hash), Val::Text(username)],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("active user {username}")));
        }
        Ok(())
    }

    /// Revoke a user with its tokens and sessions, at once.
    pub fn revoke_user(&mut self, username: &str, by: &str) -> Result<User, StoreError> {
        let user = self
            .user(username)?
            .filter(User::active)
            .ok_or_else(|| StoreError::NotFound(format!("active user {username}")))?;
        let at = now();
        self.conn.begin()?;
        let result = (|| {
            self.conn.exec(
                "UPDATE app_user SET revoked_at = ?, revoked_by = ? WHERE id = ?",
                &[Val::Text(&at), Val::Text(by), Val::Int(user.id)],
            )?;
            self.conn.exec(
                "UPDATE api_token SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                &[Val::Text(&at), Val::Int(user.id)],
            )?;
            self.conn.exec(
                "DELETE FROM web_session WHERE user_id = ?",
                &[Val::Int(user.id)],
            )?;
            Ok(())
        })();
        self.finish(result)?;
        self.user(username)?
            .ok_or_else(|| StoreError::Invariant(format!("user {username} vanished")))
    }

    /// Store a token's argon2 secret hash; returns the token id (the token's public part).
    pub fn add_token(
        &mut self,
        username: &str,
        label: &str,
        secret_hash: &str,
    ) -> Result<i64, StoreError> {
        let user = self
            .user(username)?
            .filter(User::active)
            .ok_or_else(|| StoreError::NotFound(format!("active user {username}")))?;
        self.conn.insert_returning_id(
            "INSERT INTO api_token (user_id, label, secret_hash, created_at) VALUES (?, ?, ?, ?)",
            &[
                Val::Int(user.id),
                Val::Text(label),
                Val::Text(secret_hash),
                Val::Text(&now()),
            ],
        )
    }

    /// Replace a token's secret hash (its id is part of the token, so the row comes first).
    pub fn set_token_hash(&mut self, id: i64, secret_hash: &str) -> Result<(), StoreError> {
        let n = self.conn.exec(
            "UPDATE api_token SET secret_hash = ? WHERE id = ? AND revoked_at IS NULL",
            &[Val::Text(secret_hash), Val::Int(id)],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("live token {id}")));
        }
        Ok(())
    }

    /// A live token's owner (active) and secret hash.
    pub fn token(&mut self, id: i64) -> Result<Option<(User, String)>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, t.secret_hash FROM api_token t JOIN app_user u ON u.id = t.user_id WHERE t.id = ? AND t.revoked_at IS NULL AND u.revoked_at IS NULL"
        );
        Ok(self
            .conn
            .query(&sql, &[Val::Int(id)], |r| {
                Ok((user_from_row(r)?, r.text(8)?.unwrap_or_default()))
            })?
            .into_iter()
            .next())
    }

    /// Tokens, of one user or of all.
    pub fn tokens(&mut self, username: Option<&str>) -> Result<Vec<ApiToken>, StoreError> {
        let mut sql = String::from(
            "SELECT t.id, u.username, t.label, t.created_at, t.revoked_at FROM api_token t JOIN app_user u ON u.id = t.user_id",
        );
        let mut params = Vec::new();
        if let Some(name) = username {
            sql.push_str(" WHERE u.username = ?");
            params.push(Val::Text(name));
        }
        sql.push_str(" ORDER BY t.id");
        self.conn.query(&sql, &params, |r| {
            Ok(ApiToken {
                id: r.int(0)?,
                username: r.text(1)?.unwrap_or_default(),
                label: r.text(2)?.unwrap_or_default(),
                created_at: r.text(3)?.unwrap_or_default(),
                revoked_at: r.text(4)?,
            })
        })
    }

    pub fn revoke_token(&mut self, id: i64) -> Result<(), StoreError> {
        let n = self.conn.exec(
            "UPDATE api_token SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            &[Val::Text(&now()), Val::Int(id)],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("live token {id}")));
        }
        Ok(())
    }

    pub fn add_session(
        &mut self,
        id_hash: &str,
        user_id: i64,
        csrf_token: &str,
        expires_at: &str,
    ) -> Result<(), StoreError> {
        // Expired sessions are dropped whenever a new one starts: no sweeper needed.
        self.conn.exec(
            "DELETE FROM web_session WHERE expires_at < ?",
            &[Val::Text(&now())],
        )?;
        self.conn.exec(
            "INSERT INTO web_session (id_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            &[Val::Text(id_hash), Val::Int(user_id), Val::Text(csrf_token), Val::Text(&now()), Val::Text(expires_at)],
        )?;
        Ok(())
    }

    /// A session that has not expired, of an active user.
    pub fn session(&mut self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, s.csrf_token, s.expires_at FROM web_session s JOIN app_user u ON u.id = s.user_id WHERE s.id_hash = ? AND s.expires_at > ? AND u.revoked_at IS NULL"
        );
        Ok(self
            .conn
            .query(&sql, &[Val::Text(id_hash), Val::Text(&now())], |r| {
                Ok(SessionRecord {
                    user: user_from_row(r)?,
                    csrf_token: r.text(8)?.unwrap_or_default(),
                    expires_at: r.text(9)?.unwrap_or_default(),
                })
            })?
            .into_iter()
            .next())
    }

    pub fn delete_session(&mut self, id_hash: &str) -> Result<(), StoreError> {
        self.conn.exec(
            "DELETE FROM web_session WHERE id_hash = ?",
            &[Val::Text(id_hash)],
        )?;
        Ok(())
    }
}
