//! Server-side sessions: creation, lookup by token hash, activity, ending,
//! and expiry sweeps.

use crate::harness::{Fixture, T0, T0_MS, new_session};
use portcullis_core::{SecretToken, SessionId, StoreError, UserId};
use time::Duration;

pub async fn sessions_are_created_and_found_by_token_hash(f: &Fixture) {
    let alice = f.user("alice").await;
    let new = new_session(alice.id, T0, true);
    let created = f.store.create_session(&new).await.unwrap();

    assert_eq!(created.user_id, alice.id);
    assert_eq!(created.created_at, T0_MS);
    assert_eq!(created.last_seen_at, T0_MS);
    assert_eq!(created.expires_at, T0_MS + Duration::days(1));
    assert!(created.remember);
    assert_eq!(created.ip.as_deref(), Some("192.0.2.1"));
    assert_eq!(created.user_agent.as_deref(), Some("contract-test"));

    let found = f.store.session_by_token(&new.token_hash).await.unwrap();
    assert_eq!(found, Some(created));
    let stranger = SecretToken::generate().hash();
    assert_eq!(f.store.session_by_token(&stranger).await.unwrap(), None);
}

pub async fn a_session_for_an_unknown_user_is_not_found(f: &Fixture) {
    let err = f
        .store
        .create_session(&new_session(UserId(4242), T0, false))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
}

pub async fn touch_updates_last_seen_at(f: &Fixture) {
    let alice = f.user("alice").await;
    let new = new_session(alice.id, T0, false);
    let session = f.store.create_session(&new).await.unwrap();

    f.store
        .touch_session(session.id, T0 + Duration::minutes(5))
        .await
        .unwrap();
    let touched = f
        .store
        .session_by_token(&new.token_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(touched.last_seen_at, T0_MS + Duration::minutes(5));
    assert_eq!(touched.created_at, session.created_at);
    assert_eq!(touched.expires_at, session.expires_at);

    // A session ended meanwhile is not an error to touch.
    f.store.delete_session(session.id).await.unwrap();
    f.store
        .touch_session(session.id, T0 + Duration::minutes(6))
        .await
        .unwrap();
}

pub async fn deleting_a_session_is_idempotent(f: &Fixture) {
    let alice = f.user("alice").await;
    let new = new_session(alice.id, T0, false);
    let session = f.store.create_session(&new).await.unwrap();

    f.store.delete_session(session.id).await.unwrap();
    assert_eq!(
        f.store.session_by_token(&new.token_hash).await.unwrap(),
        None
    );
    f.store.delete_session(session.id).await.unwrap();
    f.store.delete_session(SessionId(987_654)).await.unwrap();
}

pub async fn delete_sessions_of_removes_only_that_users_sessions(f: &Fixture) {
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    for _ in 0..3 {
        f.session(alice.id, T0, false).await;
    }
    let bobs = new_session(bob.id, T0, false);
    f.store.create_session(&bobs).await.unwrap();

    assert_eq!(f.store.delete_sessions_of(alice.id).await.unwrap(), 3);
    assert_eq!(f.store.delete_sessions_of(alice.id).await.unwrap(), 0);
    assert!(
        f.store
            .session_by_token(&bobs.token_hash)
            .await
            .unwrap()
            .is_some()
    );
}

pub async fn delete_expired_sessions_honours_absolute_expiry(f: &Fixture) {
    let alice = f.user("alice").await;
    // Both expire at T0 + 1 day; the remember-me flag does not save either.
    let plain = new_session(alice.id, T0, false);
    let remembered = new_session(alice.id, T0, true);
    let mut later = new_session(alice.id, T0 + Duration::hours(1), true);
    later.expires_at = T0 + Duration::days(30);
    for new in [&plain, &remembered, &later] {
        f.store.create_session(new).await.unwrap();
    }
    let long_ago = T0 - Duration::days(365);

    let just_before = T0 + Duration::days(1) - Duration::milliseconds(1);
    assert_eq!(
        f.store
            .delete_expired_sessions(just_before, long_ago)
            .await
            .unwrap(),
        0
    );

    // Expiry is inclusive: a session is over at its `expires_at`.
    let at_expiry = T0 + Duration::days(1);
    assert_eq!(
        f.store
            .delete_expired_sessions(at_expiry, long_ago)
            .await
            .unwrap(),
        2
    );
    assert!(
        f.store
            .session_by_token(&plain.token_hash)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        f.store
            .session_by_token(&remembered.token_hash)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        f.store
            .session_by_token(&later.token_hash)
            .await
            .unwrap()
            .is_some()
    );
}

pub async fn delete_expired_sessions_honours_idle_expiry_but_spares_remember_me(f: &Fixture) {
    let alice = f.user("alice").await;
    let idle = new_session(alice.id, T0, false);
    let idle_remembered = new_session(alice.id, T0, true);
    let active = new_session(alice.id, T0, false);
    let mut ids = Vec::new();
    for new in [&idle, &idle_remembered, &active] {
        ids.push(f.store.create_session(new).await.unwrap().id);
    }
    f.store
        .touch_session(ids[2], T0 + Duration::minutes(20))
        .await
        .unwrap();

    let now = T0 + Duration::minutes(30);
    // Last seen just after the cutoff: not idle yet.
    let before = T0_MS - Duration::milliseconds(1);
    assert_eq!(
        f.store.delete_expired_sessions(now, before).await.unwrap(),
        0
    );
    // The cutoff is inclusive: last seen exactly at it counts as idle.
    assert_eq!(
        f.store.delete_expired_sessions(now, T0_MS).await.unwrap(),
        1
    );
    assert!(
        f.store
            .session_by_token(&idle.token_hash)
            .await
            .unwrap()
            .is_none()
    );

    let idle_cutoff = now - Duration::minutes(15);
    assert_eq!(
        f.store
            .delete_expired_sessions(now, idle_cutoff)
            .await
            .unwrap(),
        0
    );
    assert!(
        f.store
            .session_by_token(&idle_remembered.token_hash)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        f.store
            .session_by_token(&active.token_hash)
            .await
            .unwrap()
            .is_some()
    );

    let much_later = T0 + Duration::hours(2);
    let removed = f
        .store
        .delete_expired_sessions(much_later, much_later - Duration::minutes(10))
        .await
        .unwrap();
    assert_eq!(
        removed, 1,
        "the active session idles out; remember-me stays"
    );
    assert!(
        f.store
            .session_by_token(&idle_remembered.token_hash)
            .await
            .unwrap()
            .is_some()
    );
}

pub async fn a_session_resolves_with_its_account_and_roles_in_one_statement(f: &Fixture) {
    let alice = f.user("alice").await;
    let new = new_session(alice.id, T0, false);
    let session = f.store.create_session(&new).await.unwrap();
    // The account's own activity differs from the session's: the columns
    // must not be confused.
    f.store
        .touch_user(alice.id, T0 + Duration::hours(3))
        .await
        .unwrap();

    let bare = f
        .store
        .resolve_session(&new.token_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bare.session, session);
    assert!(bare.roles.is_empty());
    assert_eq!(bare.user.last_seen_at, Some(T0_MS + Duration::hours(3)));
    assert_eq!(bare.session.last_seen_at, T0_MS);
    assert_eq!(Some(bare.user), f.store.user_by_id(alice.id).await.unwrap());

    f.store.ensure_role("zeta", "last").await.unwrap();
    f.store.grant_role(alice.id, "zeta").await.unwrap();
    f.store.grant_role(alice.id, "admin").await.unwrap();
    let resolved = f
        .store
        .resolve_session(&new.token_hash)
        .await
        .unwrap()
        .unwrap();
    let names: Vec<&str> = resolved.roles.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["admin", "zeta"]);
    assert_eq!(resolved.roles[1].description, "last");

    assert_eq!(
        f.store
            .resolve_session(&SecretToken::generate().hash())
            .await
            .unwrap(),
        None
    );
}
