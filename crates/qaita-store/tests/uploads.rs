//! Uploads on both backends (SQLite, and PostgreSQL at `QAITA_TEST_POSTGRES`, default
//! `postgres://postgres@127.0.0.1:5432/test`), each test in a schema of its own.

use qaita_store::{Backend, Store};

struct PgSchema {
    admin_url: String,
    schema: String,
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Ok(mut client) = ::postgres::Client::connect(&self.admin_url, ::postgres::NoTls) {
            let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
        }
    }
}

enum Guard {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres(#[allow(dead_code)] PgSchema),
}

fn open(backend: Backend, name: &str) -> (Store, Guard, String) {
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

fn uploads_keep_bytes_owner_and_hash(store: &mut Store) {
    // Every byte value, so BLOB/BYTEA round trips are checked, not only text.
    let bytes: Vec<u8> = (0..=255u8)
        .chain(b"x,y,Cu [%]\n1,2,0.3\n".iter().copied())
        .collect();
    let info = store.add_upload("samples.csv", "analyst", &bytes).unwrap();
    assert_eq!(info.name, "samples.csv");
    assert_eq!(info.owner, "analyst");
    assert_eq!(info.bytes, bytes.len() as i64);
    assert_eq!(info.sha256.len(), 64);
    let empty = store.add_upload("empty.csv", "other", b"").unwrap();
    // SHA-256 of nothing.
    assert_eq!(
        empty.sha256,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert!(empty.id > info.id);
    let back = store.upload(info.id).unwrap().unwrap();
    assert_eq!(back.info, info);
    assert_eq!(back.bytes, bytes);
    assert_eq!(store.upload(empty.id).unwrap().unwrap().bytes, b"");
    assert!(store.upload(info.id + 1000).unwrap().is_none());
}

fn old_uploads_are_pruned(store: &mut Store) {
    let a = store.add_upload("a.csv", "analyst", b"a").unwrap();
    // Nothing is older than a week ago.
    let week_ago = qaita_store::timestamp_in(-chrono::Duration::days(7));
    assert_eq!(store.prune_uploads(&week_ago).unwrap(), 0);
    assert!(store.upload(a.id).unwrap().is_some());
    // Everything is older than a minute from now.
    let soon = qaita_store::timestamp_in(chrono::Duration::minutes(1));
    assert_eq!(store.prune_uploads(&soon).unwrap(), 1);
    assert!(store.upload(a.id).unwrap().is_none());
}

macro_rules! on_both_backends {
    ($($check:ident),* $(,)?) => {
        mod sqlite {
            $(#[test] fn $check() { let (mut store, _guard, _) = super::open(qaita_store::Backend::Sqlite, stringify!($check)); super::$check(&mut store); })*
        }
        mod postgres {
            $(#[test] fn $check() { let (mut store, _guard, _) = super::open(qaita_store::Backend::Postgres, stringify!($check)); super::$check(&mut store); })*
        }
    };
}

on_both_backends!(uploads_keep_bytes_owner_and_hash, old_uploads_are_pruned);
