//! How long the upgrade to this release's schema takes on a large
//! database: builds the schema as the release with migrations up to
//! `--from` left it, fills it with `--users` accounts (each with a session
//! and, for one in ten, a role), then times `Database::migrate` to the
//! latest schema and checks that every row is still there.
//!
//! ```sh
//! cargo run --release -p portcullis-store --features testing \
//!     --example migration_time -- --backend sqlite --users 1000000 --from 1
//! ```
//!
//! PostgreSQL: a throwaway database on `PORTCULLIS_TEST_POSTGRES_URL` (default
//! the local server), dropped afterwards. Prints one JSON line.

// A measuring tool run by hand: any failure should stop it on the spot.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use portcullis_store::testing::{TempSqliteFile, TestDatabase, migrate_to, postgres_admin_url};
use portcullis_store::{Database, StoreConfig};
use std::time::Instant;

const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$\
    m2qdHyUaVaKg0d0XqBzW0n0sbmRkTHlFeGdPVndNZ0xMdE0";

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.to_owned())
}

fn seed_sqlite(users: i64) -> String {
    format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {users}) \
         INSERT INTO users (username, username_key, email, email_key, password_hash, is_active, \
         created_at, updated_at, login_count) \
         SELECT 'user' || i, 'user' || i, 'user' || i || '@example.com', \
         'user' || i || '@example.com', '{HASH}', 1, 1764000000000 + i, 1764000000000 + i, 0 FROM n; \
         INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, remember) \
         SELECT printf('%064x', id), id, 1764000000000, 1764000000000, 1767000000000, 0 FROM users; \
         INSERT INTO user_roles (user_id, role_id) \
         SELECT u.id, r.id FROM users u, roles r WHERE r.name = 'admin' AND u.id % 10 = 0;"
    )
}

fn seed_postgres(users: i64) -> String {
    format!(
        "INSERT INTO users (username, username_key, email, email_key, password_hash, is_active, \
         created_at, updated_at, login_count) \
         SELECT 'user' || i, 'user' || i, 'user' || i || '@example.com', \
         'user' || i || '@example.com', '{HASH}', true, now(), now(), 0 \
         FROM generate_series(1, {users}) AS i; \
         INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, remember) \
         SELECT md5(id::text) || md5((-id)::text), id, now(), now(), now() + interval '30 days', false \
         FROM users; \
         INSERT INTO user_roles (user_id, role_id) \
         SELECT u.id, r.id FROM users u, roles r WHERE r.name = 'admin' AND u.id % 10 = 0; \
         ANALYZE;"
    )
}

async fn counts(db: &Database) -> (i64, i64, i64) {
    let sql = "SELECT (SELECT COUNT(*) FROM users), (SELECT COUNT(*) FROM sessions), \
               (SELECT COUNT(*) FROM user_roles)";
    match db {
        Database::Sqlite(pool) => sqlx::query_as(sql).fetch_one(pool).await.unwrap(),
        Database::Postgres(pool) => sqlx::query_as(sql).fetch_one(pool).await.unwrap(),
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let backend = arg(&args, "--backend", "sqlite");
    let users: i64 = arg(&args, "--users", "1000000").parse().unwrap();
    let from: i64 = arg(&args, "--from", "1").parse().unwrap();
    let (_file, _pg, url) = match backend.as_str() {
        "sqlite" => {
            let file = TempSqliteFile::new().unwrap();
            let url = file.url().to_owned();
            (Some(file), None, url)
        }
        "postgres" => {
            let admin = postgres_admin_url()
                .await
                .expect("no PostgreSQL to measure on");
            let pg = TestDatabase::create(&admin).await.unwrap();
            let url = pg.url().to_owned();
            (None, Some(pg), url)
        }
        other => panic!("--backend sqlite|postgres, not {other}"),
    };
    let db = Database::connect(&StoreConfig::new(&url)).await.unwrap();
    migrate_to(&db, from).await.unwrap();
    let started = Instant::now();
    match &db {
        Database::Sqlite(pool) => {
            sqlx::raw_sql(sqlx::AssertSqlSafe(seed_sqlite(users)))
                .execute(pool)
                .await
                .unwrap();
        }
        Database::Postgres(pool) => {
            sqlx::raw_sql(sqlx::AssertSqlSafe(seed_postgres(users)))
                .execute(pool)
                .await
                .unwrap();
        }
    }
    let seeded_s = started.elapsed().as_secs_f64();
    let before = counts(&db).await;
    let status = db.schema_status().await.unwrap();
    let pending = status.pending.len();
    let started = Instant::now();
    db.migrate().await.unwrap();
    let migrate_s = started.elapsed().as_secs_f64();
    let after = counts(&db).await;
    assert_eq!(before, after, "rows lost in the upgrade");
    println!(
        "{}",
        serde_json::json!({
            "backend": backend, "users": users, "from": from,
            "migrations_applied": pending, "seed_seconds": (seeded_s * 10.0).round() / 10.0,
            "migrate_seconds": (migrate_s * 1000.0).round() / 1000.0,
            "rows": {"users": after.0, "sessions": after.1, "user_roles": after.2},
        })
    );
    db.close().await;
    if let Some(pg) = _pg {
        pg.drop_database().await;
    }
}
