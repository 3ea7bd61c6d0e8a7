//! Storage for Qaita: embedded SQLite by default, PostgreSQL with PostGIS for multi-user
//! deployments. One API, the same behaviour on both (one test suite runs on both).
//!
//! The core (this file, `db`, `schema`, `users`) is the connection, transactions, the migration
//! runner, users, tokens and sessions. Each domain is a module of its own with its tables and
//! migrations on that core: `registry` (TMFs, imports, edits, audit trail), `analysis` (stored
//! valuations and estimates), `jobs` (the durable job queue every server and worker shares),
//! `uploads` (files uploaded for estimates), and the round-two domains, each listed once in
//! [`DOMAINS`]. A domain module never reads another domain's tables.
//!
//! Invariants: every write goes through [`Store::import`] or another audited method and leaves
//! an [`AuditEntry`] with before/after documents; an import is one transaction; rows are never
//! physically deleted.
//!
//! ```
//! let mut store = qaita_store::Store::open(":memory:").unwrap();
//! assert_eq!(store.count(&Default::default()).unwrap(), 0);
//! ```

mod analysis;
mod db;
mod jobs;
mod registry;
mod schema;
mod throttle;
mod uploads;
mod users;

pub use analysis::Analysis;
pub use db::Backend;
use db::Conn;
pub use jobs::{
    ClaimedJob, JobFileData, JobRecord, JobSchedule, JobStatus, NewJob, ScheduleOptions,
};
pub use registry::{
    AuditEntry, BBox, ChangeSummary, ImportOptions, ImportReport, LocatedTmf, REPORT_CHANGES,
    RawTmf, SortKey, TmfFilter,
};
pub use throttle::{AuthEvent, LoginGate};
pub use uploads::{Upload, UploadInfo};
// Domain modules declare their migrations with these (through the root, not `schema`, which
// lists them).
pub(crate) use schema::{DomainMigrations, Migration};
pub use users::{ApiToken, Role, SessionRecord, User};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The server's own message when there is one ("db error" alone says nothing).
    #[error("PostgreSQL: {}", .0.as_db_error().map_or_else(|| .0.to_string(), |d| d.to_string()))]
    Postgres(#[from] postgres::Error),
    #[error("stored document is corrupt: {0}")]
    Corrupt(#[from] serde_json::Error),
    #[error("{0}")]
    Setup(String),
    #[error("TMF {id} was changed by someone else (expected version {expected}); reload and retry")]
    Conflict { id: i64, expected: i64 },
    #[error("{0} already exists")]
    Duplicate(String),
    #[error("{0} does not exist")]
    NotFound(String),
    #[error("internal error: {0}")]
    Invariant(String),
}

/// Every domain's migrations, in the order they are applied (a domain whose tables refer to
/// another's comes after it). Adding a domain adds one line here and nothing elsewhere.
const DOMAINS: &[&schema::DomainMigrations] = &[&jobs::SCHEMA, &uploads::SCHEMA];

pub(crate) fn now() -> String {
    timestamp_in(chrono::Duration::zero())
}

/// The store's timestamp format (RFC 3339, UTC, milliseconds; sorts as text) for now + `delay`.
pub fn timestamp_in(delay: chrono::Duration) -> String {
    (chrono::Utc::now() + delay).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The registry database.
pub struct Store {
    conn: Conn,
}

impl Store {
    /// Open (creating and migrating if needed) the database at `target`: a `postgres://` or
    /// `postgresql://` URL, `:memory:`, or a SQLite file path.
    pub fn open(target: &str) -> Result<Store, StoreError> {
        let conn = if target.starts_with("postgres://") || target.starts_with("postgresql://") {
            let client = postgres::Client::connect(target, postgres::NoTls)?;
            Conn::Postgres(Box::new(client))
        } else {
            let path = target.strip_prefix("sqlite://").unwrap_or(target);
            if let Some(parent) = std::path::Path::new(path).parent()
                && !parent.as_os_str().is_empty()
                && !parent.exists()
            {
                return Err(StoreError::Setup(format!(
                    "directory {} does not exist",
                    parent.display()
                )));
            }
            let conn = rusqlite::Connection::open(path)?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            conn.pragma_update(None, "foreign_keys", "ON")?;
            // Up to 256 MiB of page cache (allocated on demand): a large import then spills far
            // fewer dirty pages to the WAL in the middle of its transaction.
            conn.pragma_update(None, "cache_size", -262_144)?;
            // Reads through a memory map share the OS page cache between connections and skip
            // a read() call per page: a server's pooled connections start warm.
            conn.pragma_update(None, "mmap_size", 1_i64 << 30)?;
            // Plans must not depend on bound values: otherwise SQLite re-prepares a cached
            // statement whenever the values change (the bounding-box query did so on every
            // request, a quarter of the server's time).
            conn.set_db_config(
                rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
                true,
            )?;
            conn.busy_timeout(std::time::Duration::from_secs(10))?;
            Conn::Sqlite(conn)
        };
        let mut store = Store { conn };
        schema::migrate(&mut store.conn, DOMAINS)?;
        store.fill_search_text()?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.conn.backend()
    }

    /// True when the connection is gone (PostgreSQL restarted, network cut): open a new store.
    pub fn is_closed(&self) -> bool {
        self.conn.is_closed()
    }

    /// Schema version of the open database.
    pub fn schema_version(&mut self) -> Result<i64, StoreError> {
        self.conn
            .query_int("SELECT COALESCE(MAX(version), 0) FROM qaita_schema", &[])
    }

    /// Commit after success, roll back after failure, keeping the first error.
    fn finish<T>(&mut self, result: Result<T, StoreError>) -> Result<T, StoreError> {
        match result {
            Ok(v) => {
                self.conn.commit()?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.conn.rollback();
                Err(e)
            }
        }
    }
}
