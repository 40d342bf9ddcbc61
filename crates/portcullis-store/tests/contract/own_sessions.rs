//! A user's view of their own sessions: listing them, ending one, and
//! ending all but the current one, never touching anyone else's.

use crate::harness::{Fixture, T0};
use portcullis_core::{SessionId, UserId};
use time::Duration;

async fn ids_of(f: &Fixture, user: UserId) -> Vec<SessionId> {
    let sessions = f.store.sessions_of(user).await.unwrap();
    sessions.into_iter().map(|s| s.id).collect()
}

pub async fn sessions_of_lists_a_users_sessions_most_recently_seen_first(f: &Fixture) {
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let first = f.session(alice.id, T0, false).await;
    let second = f.session(alice.id, T0, true).await;
    let later = f.session(alice.id, T0 + Duration::minutes(1), false).await;
    let third = f.session(alice.id, T0, false).await;
    f.session(bob.id, T0 + Duration::hours(1), false).await;
    f.store
        .touch_session(first.id, T0 + Duration::minutes(10))
        .await
        .unwrap();

    // Seen at +10 min, then +1 min, then a tie at T0: the newer session first.
    assert_eq!(
        ids_of(f, alice.id).await,
        vec![first.id, later.id, third.id, second.id]
    );
    // The listing carries whole sessions, as a lookup by token would.
    let listed = f.store.sessions_of(alice.id).await.unwrap();
    assert_eq!(listed[3], second);
    assert_eq!(
        listed[0].last_seen_at,
        first.last_seen_at + Duration::minutes(10)
    );

    assert_eq!(ids_of(f, bob.id).await.len(), 1);
    assert!(ids_of(f, UserId(4242)).await.is_empty());
}

pub async fn delete_session_of_refuses_another_users_session(f: &Fixture) {
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let alices = f.session(alice.id, T0, false).await;
    let bobs = f.session(bob.id, T0, false).await;

    assert!(!f.store.delete_session_of(alice.id, bobs.id).await.unwrap());
    assert_eq!(
        ids_of(f, bob.id).await,
        vec![bobs.id],
        "bob's session stays"
    );

    assert!(
        f.store
            .delete_session_of(alice.id, alices.id)
            .await
            .unwrap()
    );
    assert!(ids_of(f, alice.id).await.is_empty());
    // Gone already: nothing to end, and not an error.
    assert!(
        !f.store
            .delete_session_of(alice.id, alices.id)
            .await
            .unwrap()
    );
    assert!(
        !f.store
            .delete_session_of(alice.id, SessionId(987_654))
            .await
            .unwrap()
    );
}

pub async fn delete_other_sessions_keeps_the_named_one(f: &Fixture) {
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let mut alices = Vec::new();
    for minute in 0..3 {
        alices.push(
            f.session(alice.id, T0 + Duration::minutes(minute), false)
                .await,
        );
    }
    let bobs = f.session(bob.id, T0, false).await;

    let keep = alices[1].id;
    assert_eq!(
        f.store.delete_other_sessions(alice.id, keep).await.unwrap(),
        2
    );
    assert_eq!(ids_of(f, alice.id).await, vec![keep]);
    assert_eq!(
        f.store.delete_other_sessions(alice.id, keep).await.unwrap(),
        0
    );
    assert_eq!(ids_of(f, alice.id).await, vec![keep]);

    // Naming someone else's session keeps none of alice's, and spares bob's.
    assert_eq!(
        f.store
            .delete_other_sessions(alice.id, bobs.id)
            .await
            .unwrap(),
        1
    );
    assert!(ids_of(f, alice.id).await.is_empty());
    assert_eq!(ids_of(f, bob.id).await, vec![bobs.id]);
}
