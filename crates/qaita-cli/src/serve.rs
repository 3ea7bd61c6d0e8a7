//! `qaita serve` (the HTTP API and web UI) and `qaita user` (accounts and API tokens).

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand};
use qaita_server::{AppState, ServerConfig, auth};
use qaita_store::{Role, Store};

use crate::exit;
use crate::output::{print_json, table};

#[derive(Args)]
pub struct ServeArgs {
    /// Address and port to listen on (0.0.0.0:8080 for every interface).
    #[arg(long, default_value = "127.0.0.1:8080", env = "QAITA_BIND")]
    bind: SocketAddr,
    /// Let anonymous visitors read the registry (writes always need a login).
    #[arg(long, env = "QAITA_ANON_READ")]
    anon_read: bool,
    /// Create the demo users viewer, analyst, editor and admin (password `<name>-pass`) if
    /// they do not exist. For demonstrations only.
    #[arg(long)]
    demo_users: bool,
    /// Database connections.
    #[arg(long, default_value_t = 8)]
    pool: usize,
    /// Largest request body (uploads), MiB.
    #[arg(long, default_value_t = 64)]
    max_body_mib: usize,
    /// Longest a request may take, seconds (then 503).
    #[arg(long, default_value_t = 60)]
    timeout: u64,
    /// Mark the session cookie Secure (default: on unless listening on loopback).
    #[arg(long)]
    secure_cookie: Option<bool>,
    /// Web session lifetime, hours.
    #[arg(long, default_value_t = 12)]
    session_hours: i64,
    /// Settlements CSV replacing the bundled GeoNames extract.
    #[arg(long)]
    settlements: Option<PathBuf>,
    /// Economic data directory replacing the bundled deck (as `qaita value --econ-data`).
    #[arg(long)]
    econ_data: Option<PathBuf>,
    /// Planning data directory: ranking.json, removal.json, rare-metal-routes.json and
    /// national-stock.json found there replace the bundled ones (data/plan/).
    #[arg(long)]
    plan_data: Option<PathBuf>,
    /// Background jobs (valuations, policy runs, schedules, reports, estimates) this server
    /// runs at once; 0 leaves them to `qaita worker` processes.
    #[arg(long, default_value_t = 1)]
    job_workers: usize,
    /// A job whose worker has not renewed its lease for this long is run by another, seconds.
    #[arg(long, default_value_t = 30.0)]
    lease_seconds: f64,
    /// Attempts before a job whose workers keep dying fails.
    #[arg(long, default_value_t = 3)]
    job_max_attempts: i64,
    #[command(flatten)]
    login: LoginArgs,
}

/// Failed-login throttling of `POST /api/v1/session` (tokens and sessions are not affected).
#[derive(Args)]
struct LoginArgs {
    /// Wrong passwords for one account within the window that lock it.
    #[arg(long, default_value_t = 10)]
    login_max_failures: i64,
    /// Wrong passwords from one client address within the window that lock it.
    #[arg(long, default_value_t = 50)]
    login_address_max_failures: i64,
    /// The counting window, seconds.
    #[arg(long, default_value_t = 60)]
    login_window_seconds: i64,
    /// How long a lock lasts, seconds (answered 429 with Retry-After).
    #[arg(long, default_value_t = 300)]
    login_lockout_seconds: i64,
    /// Delay before answering the third wrong password in a row, ms; doubles with each
    /// further one, up to --login-max-delay-ms.
    #[arg(long, default_value_t = 250)]
    login_delay_ms: u64,
    #[arg(long, default_value_t = 4000)]
    login_max_delay_ms: u64,
    /// Take the client address from X-Forwarded-For (only behind a proxy that sets it).
    #[arg(long)]
    trust_forwarded_for: bool,
}

pub fn serve(db: &str, args: ServeArgs) -> Result<u8> {
    // The CLI restores SIGPIPE's default for pipes; a server must survive clients that hang up.
    #[cfg(unix)]
    // SAFETY: setting a signal disposition before the runtime starts its threads.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
    let mut config = ServerConfig::new(db, args.bind);
    config.anon_read = args.anon_read;
    config.pool_size = args.pool;
    config.max_body = args.max_body_mib << 20;
    config.request_timeout = Duration::from_secs(args.timeout);
    if let Some(secure) = args.secure_cookie {
        config.secure_cookie = secure;
    }
    config.session_hours = args.session_hours;
    config.settlements = args.settlements;
    config.econ_data = args.econ_data;
    config.plan_data = args.plan_data;
    config.job_workers = args.job_workers;
    if !(args.lease_seconds >= 0.5 && args.lease_seconds.is_finite()) {
        bail!("--lease-seconds must be at least 0.5");
    }
    config.job_lease_seconds = args.lease_seconds;
    config.job_max_attempts = args.job_max_attempts.max(1);
    config.login = qaita_server::throttle::LoginLimits {
        window_secs: args.login.login_window_seconds,
        account_failures: args.login.login_max_failures,
        address_failures: args.login.login_address_max_failures,
        lockout_secs: args.login.login_lockout_seconds,
        delay_base: Duration::from_millis(args.login.login_delay_ms),
        delay_max: Duration::from_millis(args.login.login_max_delay_ms),
        trust_forwarded_for: args.login.trust_forwarded_for,
    };
    if args.demo_users {
        let mut store = Store::open(db)
            .with_context(|| format!("cannot open database {}", qaita_server::redact(db)))?;
        for role in Role::ALL {
            let name = role.code();
            if store.user(name)?.is_none() {
                let hash = auth::hash_secret(&format!("{name}-pass")).map_err(problem)?;
                store.add_user(name, role, Some(&hash), "qaita serve --demo-users")?;
                eprintln!(
                    "demo user {name} (password {name}-pass, role {role}) created: for demonstrations only"
                );
            }
        }
    }
    let anon = config.anon_read;
    let state = AppState::open(config)?;
    let objects = {
        let mut store = Store::open(db)?;
        store.count(&Default::default())?
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let backend = qaita_server::redact(db);
    runtime.block_on(qaita_server::serve(state, |address| {
        // Tests and scripts wait for this line.
        println!("Qaita serving http://{address}/ ({objects} TMFs in {backend}; anonymous reading {}; API docs http://{address}/api/v1/docs)", if anon { "on" } else { "off" });
    }))?;
    eprintln!("stopped");
    Ok(exit::OK)
}

fn problem(p: qaita_server::Problem) -> anyhow::Error {
    anyhow!("{}", p.detail.as_deref().unwrap_or(&p.title))
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a user. The password is read from standard input (one line), or omitted with
    /// --no-password for a token-only account.
    Add {
        username: String,
        /// viewer, analyst, editor or admin.
        #[arg(long)]
        role: String,
        /// Create the user without a password (API tokens only, no web login).
        #[arg(long)]
        no_password: bool,
    },
    /// List users (revoked ones too).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke a user: sessions end and tokens stop working at once. The name stays in the audit trail.
    Revoke { username: String },
    /// Set a user's password (read from standard input).
    Passwd { username: String },
    /// Create an API token for a user and print it (shown once).
    Token {
        username: String,
        /// What the token is for.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List API tokens (without secrets).
    Tokens {
        #[arg(long)]
        json: bool,
    },
    /// Revoke an API token by id.
    RevokeToken { id: i64 },
    /// The authentication log (logins, failures, lockouts), newest first.
    Events {
        /// Only this user name.
        #[arg(long)]
        user: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
}

fn read_password() -> Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.chars().count() < auth::MIN_PASSWORD {
        bail!(
            "the password must have at least {} characters (read from standard input)",
            auth::MIN_PASSWORD
        );
    }
    Ok(password)
}

pub fn user(store: &mut Store, actor: &str, command: UserCommand) -> Result<u8> {
    match command {
        UserCommand::Add {
            username,
            role,
            no_password,
        } => {
            qaita_server::api::check_username(&username)
                .map_err(|e| anyhow!("user name '{username}': {e}"))?;
            let role: Role = role.parse().map_err(|e: String| anyhow!(e))?;
            let hash = if no_password {
                None
            } else {
                Some(auth::hash_secret(&read_password()?).map_err(problem)?)
            };
            let user = store.add_user(&username, role, hash.as_deref(), actor)?;
            println!("user {} added with role {}", user.username, user.role);
        }
        UserCommand::List { json } => {
            let users = store.users()?;
            if json {
                print_json(&users)?;
            } else {
                let mut t = table(&["user", "role", "password", "created", "by", "revoked"]);
                for u in &users {
                    t.add_row(vec![
                        u.username.clone(),
                        u.role.to_string(),
                        if u.has_password { "yes" } else { "no" }.to_string(),
                        u.created_at.clone(),
                        u.created_by.clone(),
                        u.revoked_at.clone().unwrap_or_default(),
                    ]);
                }
                println!("{t}");
            }
        }
        UserCommand::Revoke { username } => {
            let user = store.revoke_user(&username, actor)?;
            println!(
                "user {} revoked at {}",
                user.username,
                user.revoked_at.unwrap_or_default()
            );
        }
        UserCommand::Passwd { username } => {
            let hash = auth::hash_secret(&read_password()?).map_err(problem)?;
            store.set_password(&username, &hash)?;
            println!("password of {username} changed");
        }
        UserCommand::Token { username, label } => {
            let placeholder = format!("unset:{}", auth::random_secret(16));
            let id = store.add_token(&username, &label, &placeholder)?;
            let (token, secret) = auth::new_token(id);
            store.set_token_hash(id, &auth::hash_secret(&secret).map_err(problem)?)?;
            eprintln!(
                "token {id} for {username} (shown once; send as 'Authorization: Bearer <token>'):"
            );
            println!("{token}");
        }
        UserCommand::Tokens { json } => {
            let tokens = store.tokens(None)?;
            if json {
                print_json(&tokens)?;
            } else {
                let mut t = table(&["id", "user", "label", "created", "revoked"]);
                for k in &tokens {
                    t.add_row(vec![
                        k.id.to_string(),
                        k.username.clone(),
                        k.label.clone(),
                        k.created_at.clone(),
                        k.revoked_at.clone().unwrap_or_default(),
                    ]);
                }
                println!("{t}");
            }
        }
        UserCommand::RevokeToken { id } => {
            store.revoke_token(id)?;
            println!("token {id} revoked");
        }
        UserCommand::Events { user, limit, json } => {
            let events = store.auth_events(user.as_deref(), limit)?;
            if json {
                print_json(&events)?;
            } else {
                let mut t = table(&["at", "event", "user", "client", "detail"]);
                for e in &events {
                    t.add_row(vec![
                        e.at.clone(),
                        e.kind.clone(),
                        e.username.clone(),
                        e.client.clone().unwrap_or_default(),
                        e.detail.clone().unwrap_or_default(),
                    ]);
                }
                println!("{t}");
            }
        }
    }
    Ok(exit::OK)
}
