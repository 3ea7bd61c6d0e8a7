#![allow(dead_code)] // each test crate uses part of this
//! Opening a store on either backend for the test suites: SQLite in a temporary directory,
//! PostgreSQL (`QAITA_TEST_POSTGRES`, default `postgres://postgres@127.0.0.1:5432/test`) in a
//! schema of its own, dropped afterwards.

use qaita_store::{Backend, Store};

pub struct PgSchema {
    pub admin_url: String,
    pub schema: String,
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Ok(mut client) = ::postgres::Client::connect(&self.admin_url, ::postgres::NoTls) {
            let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
        }
    }
}

pub enum Guard {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres(#[allow(dead_code)] PgSchema),
}

pub fn open(backend: Backend, name: &str) -> (Store, Guard, String) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("qaita.db").display().to_string();
            (Store::open(&path).unwrap(), Guard::Sqlite(dir), path)
        }
        Backend::Postgres => {
            let admin_url = std::env::var("QAITA_TEST_POSTGRES")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
            let schema = format!("qaita_test_{}_{name}", std::process::id());
            let mut client = ::postgres::Client::connect(&admin_url, ::postgres::NoTls)
                .unwrap_or_else(|e| {
                    panic!("PostgreSQL at {admin_url} is needed for the store suite: {e}")
                });
            client
                .batch_execute(&format!(
                    "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
                ))
                .unwrap();
            let separator = if admin_url.contains('?') { '&' } else { '?' };
            let url = format!("{admin_url}{separator}options=-csearch_path%3D{schema},public");
            let store = Store::open(&url).unwrap();
            assert_eq!(store.backend(), Backend::Postgres);
            (store, Guard::Postgres(PgSchema { admin_url, schema }), url)
        }
    }
}

/// Run a check on SQLite and on PostgreSQL: `on_both_backends!(check_a, check_b)` makes
/// `sqlite::check_a`, `postgres::check_a`, ... tests calling `check_a(&mut store)`.
macro_rules! on_both_backends {
    ($($check:ident),* $(,)?) => {
        mod sqlite {
            $(#[test] fn $check() { let (mut store, _guard, _) = $crate::common::open(qaita_store::Backend::Sqlite, stringify!($check)); super::$check(&mut store); })*
        }
        mod postgres {
            $(#[test] fn $check() { let (mut store, _guard, _) = $crate::common::open(qaita_store::Backend::Postgres, stringify!($check)); super::$check(&mut store); })*
        }
    };
}
