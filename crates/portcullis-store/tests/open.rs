//! Opening databases: URL schemes, SQLite pragmas, in-memory databases, and
//! error messages an operator can act on without seeing a password.
#![allow(clippy::unwrap_used)]

use portcullis_store::testing::TempSqliteFile;
use portcullis_store::{Database, OpenError, StoreConfig};

#[tokio::test]
async fn an_unknown_scheme_is_refused_without_echoing_the_password() {
    let config = StoreConfig::new("mysql://root:hunter2@db/portcullis");
    let err = Database::connect(&config).await.unwrap_err();
    assert!(matches!(err, OpenError::UnsupportedUrl(_)), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("mysql://root:***@db/portcullis"),
        "{message}"
    );
    assert!(!message.contains("hunter2") && !format!("{err:?}").contains("hunter2"));
}

#[tokio::test]
async fn an_unreachable_postgres_names_the_server_but_not_the_password() {
    let config = StoreConfig::new("postgres://app:hunter2@127.0.0.1:1/portcullis");
    let err = Database::connect(&config).await.unwrap_err();
    assert!(
        matches!(
            err,
            OpenError::Connect {
                backend: "postgres",
                ..
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("127.0.0.1:1"), "{message}");
    assert!(!message.contains("hunter2") && !format!("{err:?}").contains("hunter2"));
}

#[tokio::test]
async fn a_sqlite_file_in_a_missing_directory_says_what_to_check() {
    let file = TempSqliteFile::new().unwrap();
    let url = format!("sqlite://{}/missing/portcullis.db", file.dir().display());
    let err = Database::connect(&StoreConfig::new(url)).await.unwrap_err();
    assert!(
        matches!(
            err,
            OpenError::Connect {
                backend: "sqlite",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("directory exists"), "{err}");
}

#[tokio::test]
async fn a_sqlite_file_is_created_with_wal_foreign_keys_and_a_busy_timeout() {
    let file = TempSqliteFile::new().unwrap();
    let db = Database::connect(&file.config()).await.unwrap();
    assert_eq!(db.backend(), "sqlite");
    assert!(file.dir().join("portcullis.db").exists());

    let Database::Sqlite(pool) = &db else {
        panic!("expected a SQLite pool");
    };
    let text = |sql: &'static str| sqlx::query_scalar::<_, String>(sql).fetch_one(pool);
    let number = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql).fetch_one(pool);
    assert_eq!(text("PRAGMA journal_mode").await.unwrap(), "wal");
    assert_eq!(number("PRAGMA foreign_keys").await.unwrap(), 1);
    assert_eq!(number("PRAGMA busy_timeout").await.unwrap(), 5000);
    // 1 = NORMAL
    assert_eq!(number("PRAGMA synchronous").await.unwrap(), 1);
    db.close().await;
}

#[tokio::test]
async fn an_in_memory_database_is_one_database_for_the_whole_pool() {
    let db = Database::connect(&StoreConfig::new("sqlite::memory:"))
        .await
        .unwrap();
    db.migrate().await.unwrap();
    let Database::Sqlite(pool) = &db else {
        panic!("expected a SQLite pool");
    };
    // Two connections held at once must see the same schema and data.
    let mut first = pool.acquire().await.unwrap();
    let mut second = pool.acquire().await.unwrap();
    let count = "SELECT COUNT(*) FROM roles";
    let a: i64 = sqlx::query_scalar(count)
        .fetch_one(&mut *first)
        .await
        .unwrap();
    let b: i64 = sqlx::query_scalar(count)
        .fetch_one(&mut *second)
        .await
        .unwrap();
    assert_eq!((a, b), (1, 1));
    drop((first, second));
    db.close().await;
}

#[tokio::test]
async fn a_store_config_never_shows_its_password() {
    let config = StoreConfig::new("postgresql://app:hunter2@db/portcullis?password=hunter2");
    assert!(!format!("{config:?}").contains("hunter2"));
    assert!(!config.redacted_url().contains("hunter2"));
}
