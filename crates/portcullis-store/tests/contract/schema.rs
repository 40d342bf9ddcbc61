//! The schema itself: migrations and the storage of instants.

use crate::harness::{Fixture, new_session, new_user};
use portcullis_store::Database;
use time::macros::datetime;

pub async fn migrating_twice_is_harmless(f: &Fixture) {
    f.db.migrate().await.unwrap();
    // A second instance starting on the same database migrates too.
    let second = Database::connect(&f.config).await.unwrap();
    second.migrate().await.unwrap();
    second.close().await;

    f.user("alice").await;
    assert_eq!(f.store.count_users().await.unwrap(), 1);
    assert_eq!(
        f.count("SELECT COUNT(*) FROM roles WHERE id > $1", 0).await,
        1
    );
}

pub async fn timestamps_round_trip_at_millisecond_precision(f: &Fixture) {
    let cases = [
        (
            datetime!(2026-11-21 10:00:00.000_999 UTC),
            datetime!(2026-11-21 10:00:00 UTC),
        ),
        (
            datetime!(2026-11-21 10:00:00.999_999_999 UTC),
            datetime!(2026-11-21 10:00:00.999 UTC),
        ),
        // Another offset is the same instant, stored and read back as UTC.
        (
            datetime!(2026-11-21 12:00:00.5 +02:00),
            datetime!(2026-11-21 10:00:00.5 UTC),
        ),
        (
            datetime!(1969-12-31 23:59:59.999_5 UTC),
            datetime!(1969-12-31 23:59:59.999 UTC),
        ),
        (
            datetime!(2999-01-01 00:00:00.001 UTC),
            datetime!(2999-01-01 00:00:00.001 UTC),
        ),
    ];
    for (i, (written, expected)) in cases.into_iter().enumerate() {
        let mut new = new_user(&format!("user{i}"));
        new.created_at = written;
        new.confirmed_at = Some(written);
        let user = f.store.create_user(&new).await.unwrap();
        let read = f.store.user_by_id(user.id).await.unwrap().unwrap();
        assert_eq!(read.created_at, expected, "case {i}");
        assert_eq!(read.confirmed_at, Some(expected), "case {i}");
        assert!(read.created_at.offset().is_utc(), "case {i}");

        // What was read back writes and reads back unchanged.
        let session = new_session(user.id, read.created_at, false);
        let stored = f.store.create_session(&session).await.unwrap();
        assert_eq!(stored.created_at, read.created_at, "case {i}");
        let again = f
            .store
            .session_by_token(&session.token_hash)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(again, stored, "case {i}");
    }
}

pub async fn the_database_answers_a_ping(f: &Fixture) {
    f.store.ping().await.unwrap();
}
