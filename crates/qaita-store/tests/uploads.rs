//! Uploads on both backends (SQLite, and PostgreSQL at `QAITA_TEST_POSTGRES`, default
//! `postgres://postgres@127.0.0.1:5432/test`), each test in a schema of its own.

#[macro_use]
mod common;

use qaita_store::Store;

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

on_both_backends!(uploads_keep_bytes_owner_and_hash, old_uploads_are_pruned);
