//! The `testing` helpers clean up after themselves, even after a panic.
#![allow(clippy::unwrap_used)]

use portcullis_store::testing::{TempSqliteFile, TestDatabase, postgres_admin_url};
use sqlx::{Connection, PgConnection};

async fn database_exists(admin_url: &str, name: &str) -> bool {
    let mut conn = PgConnection::connect(admin_url).await.unwrap();
    let found: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    found == 1
}

#[tokio::test]
async fn a_test_database_is_created_empty_and_dropped_on_request() {
    let Some(admin_url) = postgres_admin_url().await else {
        eprintln!("skipping: no PostgreSQL");
        return;
    };
    let db = TestDatabase::create(&admin_url).await.unwrap();
    let name = db.name().to_owned();
    assert!(name.starts_with("portcullis_test_"));
    assert!(db.url().ends_with(&format!("/{name}")));
    // Left open on purpose: dropping must not wait for it to close.
    let _open = PgConnection::connect(db.url()).await.unwrap();
    assert!(database_exists(&admin_url, &name).await);

    db.drop_database().await;
    assert!(!database_exists(&admin_url, &name).await);
}

#[tokio::test]
async fn a_forgotten_test_database_is_dropped_when_it_goes_out_of_scope() {
    let Some(admin_url) = postgres_admin_url().await else {
        eprintln!("skipping: no PostgreSQL");
        return;
    };
    let db = TestDatabase::create(&admin_url).await.unwrap();
    let name = db.name().to_owned();
    let panicked = std::panic::catch_unwind(move || {
        let _db = db;
        panic!("a failing test");
    });
    assert!(panicked.is_err());
    assert!(!database_exists(&admin_url, &name).await);
}

#[test]
fn a_temporary_sqlite_directory_is_removed_on_drop() {
    let file = TempSqliteFile::new().unwrap();
    let dir = file.dir().to_owned();
    assert!(dir.is_dir());
    assert!(file.url().starts_with("sqlite://"));
    std::fs::write(dir.join("portcullis.db-wal"), b"x").unwrap();
    drop(file);
    assert!(!dir.exists());
}
