//! Users and API tokens. Admins manage users; every user may create and revoke their own
//! tokens. A token's secret is shown once, at creation.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use qaita_store::{Role, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::json;
use crate::AppState;
use crate::auth::{self, Caller, MIN_PASSWORD};
use crate::problem::{FieldProblem, Problem, ProblemDetails};

/// A user as listed.
#[derive(Serialize, ToSchema)]
pub struct UserView {
    pub username: String,
    /// viewer, analyst, editor or admin.
    pub role: String,
    pub created_at: String,
    pub created_by: String,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
    pub has_password: bool,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        UserView {
            username: u.username,
            role: u.role.to_string(),
            created_at: u.created_at,
            created_by: u.created_by,
            revoked_at: u.revoked_at,
            revoked_by: u.revoked_by,
            has_password: u.has_password,
        }
    }
}

/// Every user, revoked ones included (admin).
#[utoipa::path(
    get, path = "/users", tag = "auth",
    responses(
        (status = 200, description = "Users by name", body = Vec<UserView>),
        (status = 401, description = "Not logged in", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn users(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    caller.require(&headers, Role::Admin)?;
    let users = state.db(|s| Ok(s.users()?)).await?;
    Ok(json(
        &users.into_iter().map(UserView::from).collect::<Vec<_>>(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// 1-64 characters: letters, digits, '.', '-', '_', '@'.
    pub username: String,
    /// viewer, analyst, editor or admin.
    pub role: String,
    /// At least 8 characters; omit for a token-only user.
    pub password: Option<String>,
}

/// Whether a user name is acceptable, or why not.
pub fn check_username(name: &str) -> Result<(), String> {
    if name.is_empty() || name.chars().count() > 64 {
        return Err("a user name has 1 to 64 characters".into());
    }
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'))
    {
        return Err("use letters, digits, '.', '-', '_' or '@' only".into());
    }
    Ok(())
}

/// Add a user (admin).
#[utoipa::path(
    post, path = "/users", tag = "auth",
    request_body(content = NewUser, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = UserView),
        (status = 400, description = "A field is invalid (named)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Not logged in", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The name is taken", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn add_user(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    let admin = caller.require(&headers, Role::Admin)?.username.clone();
    let new: NewUser = serde_json::from_slice(&body).map_err(|e| {
        Problem::invalid(
            "expected {username, role, password?}",
            vec![FieldProblem::new("body", e.to_string())],
        )
    })?;
    let mut errors = Vec::new();
    if let Err(e) = check_username(&new.username) {
        errors.push(FieldProblem::new("username", e));
    }
    let role = new
        .role
        .parse::<Role>()
        .map_err(|e| errors.push(FieldProblem::new("role", e)))
        .ok();
    if let Some(p) = &new.password
        && p.chars().count() < MIN_PASSWORD
    {
        errors.push(FieldProblem::new(
            "password",
            format!("at least {MIN_PASSWORD} characters"),
        ));
    }
    let Some(role) = role.filter(|_| errors.is_empty()) else {
        return Err(Problem::invalid("invalid user", errors));
    };
    let hash = match new.password {
        Some(p) => Some(
            tokio::task::spawn_blocking(move || auth::hash_secret(&p))
                .await
                .map_err(Problem::internal)??,
        ),
        None => None,
    };
    let user = state
        .db(move |s| Ok(s.add_user(&new.username, role, hash.as_deref(), &admin)?))
        .await?;
    let mut response = json(&UserView::from(user));
    *response.status_mut() = StatusCode::CREATED;
    Ok(response)
}

/// Revoke a user (admin): their sessions end and their tokens stop working at once. The user
/// stays listed, so the audit trail keeps its names.
#[utoipa::path(
    delete, path = "/users/{username}", tag = "auth",
    params(("username" = String, Path)),
    responses(
        (status = 200, description = "Revoked", body = UserView),
        (status = 401, description = "Not logged in", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin, or revoking oneself", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such active user", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn revoke_user(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(username): Path<String>,
) -> Result<Response, Problem> {
    let admin = caller.require(&headers, Role::Admin)?.username.clone();
    if admin == username {
        return Err(Problem::forbidden(
            "an admin cannot revoke themselves (ask another admin)",
        ));
    }
    let user = state
        .db(move |s| Ok(s.revoke_user(&username, &admin)?))
        .await?;
    Ok(json(&UserView::from(user)))
}

/// A token as listed (no secret).
#[derive(Serialize, ToSchema)]
pub struct TokenView {
    pub id: i64,
    pub username: String,
    pub label: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

/// The caller's tokens (an admin sees everyone's).
#[utoipa::path(
    get, path = "/tokens", tag = "auth",
    responses(
        (status = 200, description = "Tokens", body = Vec<TokenView>),
        (status = 401, description = "Not logged in", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn tokens(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let user = caller.require(&headers, Role::Viewer)?.clone();
    let tokens = state
        .db(move |s| Ok(s.tokens((user.role < Role::Admin).then_some(user.username.as_str()))?))
        .await?;
    let views: Vec<TokenView> = tokens
        .into_iter()
        .map(|t| TokenView {
            id: t.id,
            username: t.username,
            label: t.label,
            created_at: t.created_at,
            revoked_at: t.revoked_at,
        })
        .collect();
    Ok(json(&views))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct NewToken {
    /// What the token is for ("QGIS on analyst laptop").
    pub label: String,
}

/// A new token: `token` is shown only now.
#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    pub id: i64,
    pub username: String,
    pub label: String,
    /// Send as `Authorization: Bearer <token>`. Not stored: keep it now.
    pub token: String,
}

/// Create an API token for a user (the user themselves or an admin).
#[utoipa::path(
    post, path = "/users/{username}/tokens", tag = "auth",
    params(("username" = String, Path)),
    request_body(content = NewToken, content_type = "application/json"),
    responses(
        (status = 201, description = "Created; the secret is in `token`", body = CreatedToken),
        (status = 400, description = "The body is invalid", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Not logged in", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Another user's token, and not an admin", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such active user", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn add_token(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(username): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    let user = caller.require(&headers, Role::Viewer)?;
    if user.username != username && user.role < Role::Admin {
        return Err(Problem::forbidden(
            "only an admin creates tokens for other users",
        ));
    }
    let request: NewToken = if body.iter().all(u8::is_ascii_whitespace) {
        NewToken::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            Problem::invalid(
                "expected {label}",
                vec![FieldProblem::new("body", e.to_string())],
            )
        })?
    };
    let created = create_token(&state, username, request.label).await?;
    let mut response = json(&created);
    *response.status_mut() = StatusCode::CREATED;
    Ok(response)
}

/// Create a token row and its secret; the row stores only the argon2 hash.
pub async fn create_token(
    state: &AppState,
    username: String,
    label: String,
) -> Result<CreatedToken, Problem> {
    // The id is part of the token, so the row is written first with a placeholder hash that no
    // secret matches, then given the real hash.
    let placeholder = auth::random_secret(16);
    let (name, lbl) = (username.clone(), label.clone());
    let id = state
        .db(move |s| Ok(s.add_token(&name, &lbl, &format!("unset:{placeholder}"))?))
        .await?;
    let (token, secret) = auth::new_token(id);
    let hash = tokio::task::spawn_blocking(move || auth::hash_secret(&secret))
        .await
        .map_err(Problem::internal)??;
    state.db(move |s| Ok(s.set_token_hash(id, &hash)?)).await?;
    Ok(CreatedToken {
        id,
        username,
        label,
        token,
    })
}

/// Revoke a token (its owner or an admin).
#[utoipa::path(
    delete, path = "/tokens/{id}", tag = "auth",
    params(("id" = i64, Path)),
    responses(
        (status = 204, description = "Revoked"),
        (status = 400, description = "The id is not a number", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Not logged in", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such live token of yours", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let user = caller.require(&headers, Role::Viewer)?.clone();
    let id: i64 = id.parse().map_err(|_| {
        Problem::invalid(
            "invalid path",
            vec![FieldProblem::new("id", "expected a token number")],
        )
    })?;
    state
        .db(move |s| {
            let mine = s
                .tokens(Some(&user.username))?
                .iter()
                .any(|t| t.id == id && t.revoked_at.is_none());
            if !mine && user.role < Role::Admin {
                return Err(Problem::not_found(format!(
                    "no live token {id} of {}",
                    user.username
                )));
            }
            Ok(s.revoke_token(id)?)
        })
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// One entry of the authentication log.
#[derive(Serialize, ToSchema)]
pub struct AuthEventView {
    pub id: i64,
    pub at: String,
    /// login_ok, login_failed, login_locked (refused while locked), lockout (a lock was set).
    pub kind: String,
    pub username: String,
    pub client: Option<String>,
    pub detail: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuthEventQuery {
    /// Only this user name.
    pub user: Option<String>,
    /// Newest first, at most this many (default 100, at most 1,000).
    pub limit: Option<i64>,
}

/// The authentication log: logins, wrong passwords, lockouts and refusals while locked (admins).
#[utoipa::path(
    get, path = "/auth-events", tag = "auth",
    params(AuthEventQuery),
    responses(
        (status = 200, description = "Newest first", body = Vec<AuthEventView>),
        (status = 401, description = "Not logged in", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn auth_events(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    axum::extract::Query(query): axum::extract::Query<AuthEventQuery>,
) -> Result<Response, Problem> {
    caller.require(&headers, Role::Admin)?;
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let events = state
        .db(move |s| Ok(s.auth_events(query.user.as_deref(), limit)?))
        .await?;
    let views: Vec<AuthEventView> = events
        .into_iter()
        .map(|e| AuthEventView {
            id: e.id,
            at: e.at,
            kind: e.kind,
            username: e.username,
            client: e.client,
            detail: e.detail,
        })
        .collect();
    Ok(json(&views))
}
