//! Web login: a session cookie (HttpOnly, SameSite=Strict, Secure behind HTTPS) and a CSRF
//! token the page sends back in `X-CSRF-Token` on every write.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::json;
use crate::AppState;
use crate::auth::{self, Caller, SESSION_COOKIE};
use crate::problem::{FieldProblem, Problem, ProblemDetails};
use crate::throttle::{self, ClientAddr};

/// A logged-in user as the UI sees it.
#[derive(Serialize, ToSchema)]
pub struct SessionUser {
    pub username: String,
    /// viewer, analyst, editor or admin.
    pub role: String,
}

/// The current session.
#[derive(Serialize, ToSchema)]
pub struct Session {
    /// `null` when not logged in.
    pub user: Option<SessionUser>,
    /// Send it back in `X-CSRF-Token` on writes; absent when not logged in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csrf_token: Option<String>,
    /// Whether anonymous clients may read.
    pub anonymous_read: bool,
}

#[derive(Deserialize, ToSchema)]
pub struct Login {
    pub username: String,
    pub password: String,
}

/// Who is logged in (200 with `user: null` when nobody is).
#[utoipa::path(
    get, path = "/session", tag = "auth",
    responses((status = 200, description = "The session", body = Session)),
    security((), ("session" = []), ("token" = []))
)]
pub async fn get_session(State(state): State<AppState>, caller: Caller) -> Response {
    json(&Session {
        user: caller.user.as_ref().map(|u| SessionUser {
            username: u.username.clone(),
            role: u.role.to_string(),
        }),
        csrf_token: caller.csrf_token.clone(),
        anonymous_read: state.config().anon_read,
    })
}

/// Log in with user name and password: sets the session cookie, returns the CSRF token.
#[utoipa::path(
    post, path = "/session", tag = "auth",
    request_body(content = Login, content_type = "application/json"),
    responses(
        (status = 200, description = "Logged in; the cookie is set", body = Session,
            headers(("Set-Cookie" = String, description = "qaita_session=...; HttpOnly; SameSite=Strict"))),
        (status = 400, description = "The body is not {username, password}", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Wrong user name or password", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong passwords for this account or from this address: locked for a while",
            body = ProblemDetails, content_type = "application/problem+json",
            headers(("Retry-After" = i64, description = "Seconds until the lock ends"))),
    ),
    security(())
)]
pub async fn login(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    let json_body = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json_body {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported media type",
            "send {\"username\": ..., \"password\": ...} as application/json",
        ));
    }
    let login: Login = serde_json::from_slice(&body).map_err(|e| {
        Problem::invalid(
            "expected {\"username\": ..., \"password\": ...}",
            vec![FieldProblem::new("body", e.to_string())],
        )
    })?;
    let name = login.username.trim().to_string();
    let keys = throttle::keys(&name, &client);
    let address = client.0.clone();
    let gate = {
        let (keys, name, address) = (keys.clone(), name.clone(), address.clone());
        state
            .db(move |s| {
                let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
                let gate = s.login_gate(&refs)?;
                if let qaita_store::LoginGate::Locked { retry_after_secs } = gate {
                    s.add_auth_event(
                        "login_locked",
                        &name,
                        address.as_deref(),
                        Some(&format!("refused while locked, {retry_after_secs} s left")),
                    )?;
                }
                Ok(gate)
            })
            .await?
    };
    if let qaita_store::LoginGate::Locked { retry_after_secs } = gate {
        return Err(throttle::locked(retry_after_secs));
    }
    let lookup = name.clone();
    let found = state.db(move |s| Ok(s.password_hash(&lookup)?)).await?;
    let password = login.password;
    // A missing user costs an argon2 verification too, so timing does not reveal names.
    let (user, ok) = tokio::task::spawn_blocking(move || match found {
        Some((user, hash)) => {
            let ok = auth::verify_secret(&password, &hash);
            (Some(user), ok)
        }
        None => {
            let _ = auth::verify_secret(&password, DUMMY_HASH);
            (None, false)
        }
    })
    .await
    .map_err(|e| Problem::internal(format!("login: {e}")))?;
    let Some(user) = user.filter(|_| ok) else {
        let limits = state.config().login.clone();
        let (failures, locked) = state
            .db(move |s| {
                let (mut most, mut locked) = (0, false);
                for key in &keys {
                    let max = if key.starts_with("user:") {
                        limits.account_failures
                    } else {
                        limits.address_failures
                    };
                    let (gate, locked_now) =
                        s.record_login_failure(key, limits.window_secs, max, limits.lockout_secs)?;
                    match gate {
                        qaita_store::LoginGate::Open { failures } => most = most.max(failures),
                        qaita_store::LoginGate::Locked { .. } => most = most.max(max),
                    }
                    if locked_now {
                        locked = true;
                        s.add_auth_event(
                            "lockout",
                            &name,
                            address.as_deref(),
                            Some(&format!(
                                "{key} locked for {} s after {max} failures in {} s",
                                limits.lockout_secs, limits.window_secs
                            )),
                        )?;
                    }
                }
                s.add_auth_event("login_failed", &name, address.as_deref(), None)?;
                Ok((most, locked))
            })
            .await?;
        // The failure that sets a lock is answered at once: the lock is the throttle now, and
        // a delay would only use up part of it.
        if !locked {
            tokio::time::sleep(state.config().login.delay_after(failures)).await;
        }
        return Err(Problem::unauthorized("wrong user name or password"));
    };
    {
        let (username, address) = (user.username.clone(), address.clone());
        let account_key = keys[0].clone();
        state
            .db(move |s| {
                s.clear_login_failures(&account_key)?;
                s.add_auth_event("login_ok", &username, address.as_deref(), None)?;
                Ok(())
            })
            .await?;
    }
    let cookie = auth::random_secret(32);
    let csrf = auth::random_secret(32);
    let hours = state.config().session_hours;
    let expires = qaita_store::timestamp_in(chrono::Duration::hours(hours));
    let (hash, user_id, token) = (auth::sha256_hex(&cookie), user.id, csrf.clone());
    state
        .db(move |s| Ok(s.add_session(&hash, user_id, &token, &expires)?))
        .await?;
    let mut response = json(&Session {
        user: Some(SessionUser {
            username: user.username.clone(),
            role: user.role.to_string(),
        }),
        csrf_token: Some(csrf),
        anonymous_read: state.config().anon_read,
    });
    let secure = if state.config().secure_cookie {
        "; Secure"
    } else {
        ""
    };
    let set = format!(
        "{SESSION_COOKIE}={cookie}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
        hours * 3600
    );
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&set).map_err(Problem::internal)?,
    );
    Ok(response)
}

/// Log out: the session ends on the server and the cookie is cleared.
#[utoipa::path(
    delete, path = "/session", tag = "auth",
    responses(
        (status = 204, description = "Logged out (or was not logged in)"),
        (status = 403, description = "The CSRF header is missing", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security((), ("session" = []))
)]
pub async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    if caller.csrf_token.is_some() {
        caller.require(&headers, qaita_store::Role::Viewer)?;
        if let Some(cookie) = Caller::cookie(&headers) {
            let hash = auth::sha256_hex(&cookie);
            state.db(move |s| Ok(s.delete_session(&hash)?)).await?;
        }
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("qaita_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    Ok(response)
}

/// An argon2 hash of a random password, verified against when the user does not exist.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0S0Yw4nq1I0Cm1g4cu8cO5ygx5i1tOm7hJQ0hXfNvjU";
