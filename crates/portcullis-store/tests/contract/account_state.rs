//! Account state beyond the profile: consecutive failed logins, locks,
//! activation and last activity.

use crate::harness::{Fixture, T0, T0_MS};
use portcullis_core::{User, UserId};
use time::Duration;

/// The stored failure count, which `User` does not expose.
async fn failed_logins(f: &Fixture, id: UserId) -> i64 {
    f.count("SELECT failed_logins FROM users WHERE id = $1", id.0)
        .await
}

/// Reserves an attempt at `at` and returns its number.
async fn reserve(f: &Fixture, id: UserId, at: time::OffsetDateTime) -> i64 {
    f.store
        .reserve_login_attempt(id, at)
        .await
        .unwrap()
        .attempts
}

pub async fn reserved_attempts_count_up_and_a_login_ends_the_run_but_not_a_lock_set_meanwhile(
    f: &Fixture,
) {
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    assert_eq!(failed_logins(f, alice.id).await, 0);

    for expected in 1..=3 {
        assert_eq!(reserve(f, alice.id, T0).await, expected);
    }
    assert_eq!(failed_logins(f, alice.id).await, 3);
    assert_eq!(failed_logins(f, bob.id).await, 0, "counts are per account");

    f.store
        .lock_user(alice.id, T0 + Duration::minutes(15), T0)
        .await
        .unwrap();
    let during = f
        .store
        .reserve_login_attempt(alice.id, T0 + Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(
        during.attempts, 0,
        "attempts on a locked account are not counted"
    );
    assert_eq!(during.locked_until, Some(T0_MS + Duration::minutes(15)));

    // A login that was being checked when the lock was set leaves it alone.
    f.store
        .record_login(alice.id, T0 + Duration::minutes(2), Some("192.0.2.7"))
        .await
        .unwrap();
    let still = f.store.user_by_id(alice.id).await.unwrap().unwrap();
    assert_eq!(still.locked_until, Some(T0_MS + Duration::minutes(15)));
    assert_eq!(still.login_count, 1);

    // After the lock a login ends the run.
    f.store
        .record_login(alice.id, T0 + Duration::hours(1), Some("192.0.2.7"))
        .await
        .unwrap();
    let after = f.store.user_by_id(alice.id).await.unwrap().unwrap();
    assert_eq!(after.locked_until, None);
    assert_eq!(after.login_count, 2);
    assert_eq!(failed_logins(f, alice.id).await, 0);
    assert_eq!(reserve(f, alice.id, T0 + Duration::hours(1)).await, 1);
}

pub async fn a_lock_is_never_extended_and_a_run_restarts_once_it_expires(f: &Fixture) {
    let alice = f.user("alice").await;
    assert_eq!(alice.locked_until, None);
    reserve(f, alice.id, T0).await;
    reserve(f, alice.id, T0).await;

    f.store
        .lock_user(alice.id, T0 + Duration::minutes(15), T0)
        .await
        .unwrap();
    let locked = f.store.user_by_id(alice.id).await.unwrap().unwrap();
    assert_eq!(locked.locked_until, Some(T0_MS + Duration::minutes(15)));
    assert_eq!(
        failed_logins(f, alice.id).await,
        0,
        "a lock spends the failures"
    );
    // Every read of a user carries the lock, not only the lookup by id.
    let credential = f.store.credential_by_login("alice").await.unwrap().unwrap();
    assert_eq!(credential.user, locked);
    assert_eq!(f.store.list_users(0, 10).await.unwrap(), vec![locked]);

    // Locking again while locked changes nothing.
    f.store
        .lock_user(alice.id, T0 + Duration::hours(1), T0 + Duration::minutes(5))
        .await
        .unwrap();
    let same = f.store.user_by_id(alice.id).await.unwrap().unwrap();
    assert_eq!(same.locked_until, Some(T0_MS + Duration::minutes(15)));

    // Once it has expired, the next attempt starts a new run and clears it.
    let later = T0 + Duration::minutes(20);
    let budget = f
        .store
        .reserve_login_attempt(alice.id, later)
        .await
        .unwrap();
    assert_eq!((budget.attempts, budget.locked_until), (1, None));
    f.store
        .lock_user(alice.id, later + Duration::hours(1), later)
        .await
        .unwrap();
    let relocked = f.store.user_by_id(alice.id).await.unwrap().unwrap();
    assert_eq!(
        relocked.locked_until.map(|t| t > T0 + Duration::hours(1)),
        Some(true)
    );

    f.store.unlock_user(alice.id).await.unwrap();
    let unlocked = f.store.user_by_id(alice.id).await.unwrap().unwrap();
    assert_eq!(unlocked.locked_until, None);
    assert_eq!(failed_logins(f, alice.id).await, 0);
    // Unlocking an account that is not locked is not an error.
    f.store.unlock_user(alice.id).await.unwrap();
}

pub async fn a_released_attempt_is_given_back_unless_the_account_is_locked(f: &Fixture) {
    let alice = f.user("alice").await;
    reserve(f, alice.id, T0).await;
    reserve(f, alice.id, T0).await;
    f.store.release_login_attempt(alice.id, T0).await.unwrap();
    assert_eq!(failed_logins(f, alice.id).await, 1);
    f.store.release_login_attempt(alice.id, T0).await.unwrap();
    f.store.release_login_attempt(alice.id, T0).await.unwrap();
    assert_eq!(failed_logins(f, alice.id).await, 0, "never below zero");
    reserve(f, alice.id, T0).await;
    f.store
        .lock_user(alice.id, T0 + Duration::minutes(15), T0)
        .await
        .unwrap();
    f.execute(
        "UPDATE users SET failed_logins = 3 WHERE id = $1",
        alice.id.0,
    )
    .await;
    f.store.release_login_attempt(alice.id, T0).await.unwrap();
    assert_eq!(
        failed_logins(f, alice.id).await,
        3,
        "a lock keeps its count"
    );
}

pub async fn concurrent_reservations_each_get_their_own_number(f: &Fixture) {
    let alice = f.user("alice").await;
    let attempts: Vec<_> = (0..20)
        .map(|_| {
            let store = f.store.clone();
            tokio::spawn(async move { store.reserve_login_attempt(alice.id, T0).await })
        })
        .collect();
    let mut counts = Vec::new();
    for attempt in attempts {
        counts.push(attempt.await.unwrap().unwrap().attempts);
    }
    counts.sort_unstable();
    assert_eq!(counts, (1..=20).collect::<Vec<i64>>(), "no update was lost");
    assert_eq!(failed_logins(f, alice.id).await, 20);
}

pub async fn set_active_flips_the_flag_and_stamps_updated_at(f: &Fixture) {
    let alice = f.user("alice").await;
    let edited = "SELECT COUNT(*) FROM users WHERE id = $1 AND updated_at > created_at";
    assert!(alice.is_active);
    assert_eq!(f.count(edited, alice.id.0).await, 0);

    f.store
        .set_active(alice.id, false, T0 + Duration::hours(1))
        .await
        .unwrap();
    let inactive = f.store.user_by_id(alice.id).await.unwrap().unwrap();
    assert!(!inactive.is_active);
    assert_eq!(f.count(edited, alice.id.0).await, 1);

    f.store
        .set_active(alice.id, true, T0 + Duration::hours(2))
        .await
        .unwrap();
    let active = f.store.user_by_id(alice.id).await.unwrap().unwrap();
    assert!(active.is_active);
    assert_eq!(active, alice, "nothing else changed");
}

pub async fn touch_user_sets_last_seen_at_and_nothing_else(f: &Fixture) {
    let alice = f.user("alice").await;
    assert_eq!(alice.last_seen_at, None);

    f.store
        .touch_user(alice.id, T0 + Duration::minutes(5))
        .await
        .unwrap();
    let seen = f.store.user_by_id(alice.id).await.unwrap().unwrap();
    assert_eq!(seen.last_seen_at, Some(T0_MS + Duration::minutes(5)));

    f.store
        .touch_user(alice.id, T0 + Duration::minutes(9))
        .await
        .unwrap();
    let again = f.store.user_by_id(alice.id).await.unwrap().unwrap();
    assert_eq!(again.last_seen_at, Some(T0_MS + Duration::minutes(9)));
    let unseen = User {
        last_seen_at: None,
        ..again
    };
    assert_eq!(unseen, alice, "nothing else changed");
    // Activity is not an edit of the account.
    assert_eq!(
        f.count(
            "SELECT COUNT(*) FROM users WHERE id = $1 AND updated_at = created_at",
            alice.id.0
        )
        .await,
        1
    );
}
