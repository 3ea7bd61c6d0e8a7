//! Qaita's HTTP server: the versioned JSON API under `/api/v1` (OpenAPI 3.1 document and a
//! browsable docs page generated from this code), users and roles, and the web UI embedded in
//! the binary. A thin shell over qaita-store and qaita-app, as the CLI is.
//!
//! Request path: axum router → [`auth::Caller`] (session cookie or bearer token) → handler →
//! [`AppState::db`] runs store calls on the blocking pool with a pooled connection → JSON or a
//! [`problem::Problem`]. Long computations (valuations, policy runs, schedules, scenarios,
//! reports, estimates) are durable [`jobs`] in the database, run by in-process workers
//! (`--job-workers`) or by `qaita worker` processes.
//!
//! Invariants: no handler writes without an audited store call carrying the caller's name; a
//! panic, a timeout or an oversized body still answers problem+json; the store is the only
//! state shared between server processes (sessions, login throttling, jobs and their results
//! live in it), so any number of servers can share one PostgreSQL database.

pub mod api;
pub mod auth;
pub mod jobs;
pub mod openapi;
pub mod problem;
pub mod throttle;
mod web;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use deadpool::unmanaged::{Object, Pool};
use qaita_app::jobs::{WorkerEvent, WorkerOptions, Workers};
use qaita_app::plan::PlanConfig;
use qaita_app::valuation::EconData;
use qaita_app::{AppConfig, DataPaths};
use qaita_risk::proximity::SettlementIndex;
use qaita_store::Store;

pub use problem::Problem;

/// How the server runs (`qaita serve` flags).
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// SQLite file or postgres:// URL (not `:memory:`: every pooled connection would see its
    /// own empty database).
    pub db: String,
    pub bind: SocketAddr,
    /// Let anonymous clients read (GET) the registry. Off by default.
    pub anon_read: bool,
    /// Database connections (and so concurrent store calls).
    pub pool_size: usize,
    /// Largest request body accepted, bytes (uploads included).
    pub max_body: usize,
    /// A request taking longer is answered 503.
    pub request_timeout: Duration,
    /// Mark the session cookie `Secure` (serve behind HTTPS). Defaults to on unless bound to
    /// a loopback address.
    pub secure_cookie: bool,
    /// How long a web session lasts.
    pub session_hours: i64,
    /// Settlements file replacing the bundled GeoNames extract.
    pub settlements: Option<PathBuf>,
    /// Economic data directory replacing the bundled deck (see `qaita value --econ-data`).
    pub econ_data: Option<PathBuf>,
    /// Planning data directory replacing bundled files (see `qaita_app::plan::PlanConfig::load`).
    pub plan_data: Option<PathBuf>,
    /// Jobs this process runs at once (in-process workers); 0 leaves them to `qaita worker`
    /// processes. More wait in the queue.
    pub job_workers: usize,
    /// A job whose worker has not renewed its lease for this long is run by another.
    pub job_lease_seconds: f64,
    /// Attempts before a job whose workers keep dying (or whose database is away) fails.
    pub job_max_attempts: i64,
    /// Failed-login throttling.
    pub login: throttle::LoginLimits,
}

impl ServerConfig {
    pub fn new(db: impl Into<String>, bind: SocketAddr) -> Self {
        ServerConfig {
            db: db.into(),
            bind,
            anon_read: false,
            pool_size: 8,
            max_body: 64 << 20,
            request_timeout: Duration::from_secs(60),
            secure_cookie: !bind.ip().is_loopback(),
            session_hours: 12,
            settlements: None,
            econ_data: None,
            plan_data: None,
            job_workers: 1,
            job_lease_seconds: 30.0,
            job_max_attempts: 3,
            login: throttle::LoginLimits::default(),
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    config: ServerConfig,
    pool: Pool<Store>,
    backend: qaita_store::Backend,
    app: Arc<AppConfig>,
    workers: Mutex<Option<Workers>>,
    /// Proximity of listed TMFs as JSON, by (id, version): listings stay cheap.
    proximity_json: Mutex<HashMap<(i64, i64), Arc<str>>>,
    /// SHA-256 of bearer tokens already verified with argon2, to their token id: argon2 runs
    /// once per token and process; revocation is still checked in the store on every request.
    verified_tokens: Mutex<HashMap<[u8; 32], i64>>,
}

impl AppState {
    /// Open the database (migrating it), the connection pool, the settlements and the data.
    pub fn open(config: ServerConfig) -> Result<AppState> {
        if config.db == ":memory:" {
            bail!(
                "qaita serve needs a database file or a postgres:// URL, not :memory: (each connection would see its own empty database)"
            );
        }
        let size = config.pool_size.max(1);
        let mut stores = Vec::with_capacity(size);
        for _ in 0..size {
            stores.push(
                Store::open(&config.db)
                    .with_context(|| format!("cannot open database {}", redact(&config.db)))?,
            );
        }
        let app = Arc::new(AppConfig::load(&DataPaths {
            econ: config.econ_data.clone(),
            plan: config.plan_data.clone(),
            settlements: config.settlements.clone(),
        })?);
        let workers = (config.job_workers > 0)
            .then(|| {
                Workers::start(
                    &config.db,
                    app.clone(),
                    qaita_app::job_kinds(),
                    WorkerOptions {
                        workers: config.job_workers,
                        lease_seconds: config.job_lease_seconds,
                        max_attempts: config.job_max_attempts,
                        ..WorkerOptions::default()
                    },
                    log_worker_event,
                )
                .context("cannot start the job workers")
            })
            .transpose()?;
        let backend = stores[0].backend();
        Ok(AppState {
            inner: Arc::new(Inner {
                config,
                pool: Pool::from(stores),
                backend,
                app,
                workers: Mutex::new(workers),
                proximity_json: Mutex::new(HashMap::new()),
                verified_tokens: Mutex::new(HashMap::new()),
            }),
        })
    }

    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    pub fn settlements(&self) -> &SettlementIndex {
        &self.inner.app.settlements
    }

    pub fn econ(&self) -> &EconData {
        &self.inner.app.econ
    }

    /// Ranking criteria, removal costs, rare-metal routes and national stock figures.
    pub fn plan_config(&self) -> &PlanConfig {
        &self.inner.app.plan
    }

    /// A job was queued: this process's idle workers take it now rather than at their next poll
    /// (other processes' workers find it at theirs).
    pub fn wake_workers(&self) {
        if let Ok(workers) = self.inner.workers.lock()
            && let Some(w) = workers.as_ref()
        {
            w.wake();
        }
    }

    /// Let this process's workers finish their jobs, then stop them (at shutdown).
    pub fn stop_workers(&self) {
        let workers = self.inner.workers.lock().ok().and_then(|mut w| w.take());
        if let Some(w) = workers {
            w.stop();
        }
    }

    /// Run store calls on the blocking pool with a pooled connection. A connection found
    /// closed afterwards (PostgreSQL restarted) is replaced, so the next request works.
    pub async fn db<T, F>(&self, f: F) -> Result<T, Problem>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, Problem> + Send + 'static,
    {
        let mut store = tokio::time::timeout(Duration::from_secs(30), self.inner.pool.get())
            .await
            .map_err(|_| Problem::unavailable("all database connections are busy; retry"))?
            .map_err(|e| Problem::internal(format!("connection pool: {e}")))?;
        let state = self.clone();
        tokio::task::spawn_blocking(move || {
            let result = f(&mut store);
            if store.is_closed() {
                let _ = Object::take(store);
                state.reconnect();
            }
            result
        })
        .await
        .map_err(|e| Problem::internal(format!("store task: {e}")))?
    }

    /// Like [`AppState::db`], for calls that take microseconds (an indexed lookup, one page of
    /// a listing): on SQLite they run on the calling worker thread, saving the hand-over to the
    /// blocking pool; PostgreSQL calls wait on the network, so they still go there.
    pub async fn db_quick<T, F>(&self, f: F) -> Result<T, Problem>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, Problem> + Send + 'static,
    {
        if self.inner.backend != qaita_store::Backend::Sqlite {
            return self.db(f).await;
        }
        let mut store = tokio::time::timeout(Duration::from_secs(30), self.inner.pool.get())
            .await
            .map_err(|_| Problem::unavailable("all database connections are busy; retry"))?
            .map_err(|e| Problem::internal(format!("connection pool: {e}")))?;
        f(&mut store)
    }

    fn reconnect(&self) {
        match Store::open(&self.inner.config.db) {
            Ok(store) => {
                if self.inner.pool.try_add(store).is_err() {
                    tracing::error!("could not return a new connection to the pool");
                }
            }
            Err(e) => {
                tracing::error!("database connection lost and cannot be reopened: {e}");
                // Keep the pool's size: retry once the database is back.
                let state = self.clone();
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_secs(2));
                    state.reconnect();
                });
            }
        }
    }

    /// A fresh store outside the pool, for a background job that may run for minutes.
    pub fn open_store(&self) -> Result<Store, Problem> {
        Store::open(&self.inner.config.db).map_err(Problem::from)
    }
}

fn log_worker_event(worker: &str, event: &WorkerEvent) {
    match event {
        WorkerEvent::Started { job, kind, attempt } => {
            tracing::info!(worker, job, kind, attempt, "job started")
        }
        WorkerEvent::Succeeded { job, seconds } => {
            tracing::info!(worker, job, seconds, "job succeeded")
        }
        WorkerEvent::Failed { job, error, retry } => {
            tracing::warn!(worker, job, error, retry, "job failed")
        }
        WorkerEvent::Lost { job } => {
            tracing::warn!(
                worker,
                job,
                "job lease lost; outcome left to its new worker"
            )
        }
        WorkerEvent::Unavailable { error } => {
            tracing::error!(worker, error, "database unavailable")
        }
    }
}

/// Hide a password in a database URL before printing it.
pub fn redact(db: &str) -> String {
    match (db.find("://"), db.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &db[scheme + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &db[..scheme + 3],
                    &userinfo[..colon],
                    &db[at..]
                ),
                None => db.to_string(),
            }
        }
        _ => db.to_string(),
    }
}

/// The whole application: API, docs, web UI, with limits, timeouts and panic handling.
pub fn app(state: AppState) -> Router {
    let (api, openapi) = api::router().split_for_parts();
    let config = state.config().clone();
    let api = api.merge(openapi::docs(openapi)).with_state(state.clone());
    Router::new()
        .merge(api)
        .fallback(web::serve)
        .with_state(state)
        .layer(axum::middleware::from_fn(problem_for_bare_errors))
        .layer(DefaultBodyLimit::max(config.max_body))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            config.max_body,
        ))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            config.request_timeout,
        ))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                use axum::response::IntoResponse;
                Problem::internal("a handler panicked").into_response()
            },
        ))
        .layer(axum::middleware::from_fn(security_headers))
}

/// Errors produced outside handlers (timeouts, body limits, unknown methods) come with an
/// empty or plain-text body: give them the problem+json every client expects.
async fn problem_for_bare_errors(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let response = next.run(request).await;
    let status = response.status();
    let typed = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json") || v.contains("html"));
    if status.as_u16() < 400 || typed {
        return response;
    }
    let allow = response.headers().get(header::ALLOW).cloned();
    let body = axum::body::to_bytes(response.into_body(), 64 << 10)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&body).trim().to_string();
    let mut problem = match status {
        axum::http::StatusCode::PAYLOAD_TOO_LARGE => problem::too_large(),
        axum::http::StatusCode::SERVICE_UNAVAILABLE | axum::http::StatusCode::REQUEST_TIMEOUT => {
            Problem::unavailable("the request took longer than the server allows (--timeout)")
        }
        _ => Problem::new(
            status,
            status.canonical_reason().unwrap_or("Error"),
            text.clone(),
        ),
    };
    if problem.detail.is_none() && !text.is_empty() {
        problem.detail = Some(text);
    }
    let mut response = problem.into_response();
    if let Some(allow) = allow {
        response.headers_mut().insert(header::ALLOW, allow);
    }
    response
}

async fn security_headers(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// Serve until Ctrl-C or SIGTERM, then finish the requests in flight (graceful shutdown).
/// `ready` is called with the bound address once connections are accepted.
pub async fn serve(state: AppState, ready: impl FnOnce(SocketAddr)) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(state.config().bind)
        .await
        .with_context(|| format!("cannot listen on {}", state.config().bind))?;
    let address = listener.local_addr()?;
    ready(address);
    // The peer address feeds the login throttle (`throttle::ClientAddr`).
    axum::serve(
        listener,
        app(state.clone()).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("server failed")?;
    // Jobs in this process's workers finish (or, if the process is killed, are taken by another
    // worker when their lease runs out).
    let stopping = state.clone();
    tokio::task::spawn_blocking(move || stopping.stop_workers())
        .await
        .context("stopping workers")?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
