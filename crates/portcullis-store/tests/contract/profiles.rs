//! Editing and deleting accounts, as administrators do.

use crate::harness::{Fixture, T0};
use portcullis_core::store::ProfileUpdate;
use portcullis_core::{StoreError, UniqueField, UserId};
use time::Duration;

fn profile(username: &str, email: &str, name: Option<&str>) -> ProfileUpdate {
    ProfileUpdate {
        username: username.to_owned(),
        username_key: username.to_lowercase(),
        email: Some(email.to_owned()),
        email_key: Some(email.to_lowercase()),
        name: name.map(str::to_owned),
    }
}

pub async fn update_user_profile_round_trips_and_stamps_updated_at(f: &Fixture) {
    let alice = f.user("alice").await;
    let at = T0 + Duration::hours(2);
    let update = profile("Alicia", "Alicia@Example.org", Some("Alicia Liddell"));
    f.store
        .update_user_profile(alice.id, &update, at)
        .await
        .unwrap();

    let read = f.store.user_by_id(alice.id).await.unwrap().unwrap();
    assert_eq!(read.username, "Alicia");
    assert_eq!(read.email.as_deref(), Some("Alicia@Example.org"));
    assert_eq!(read.name.as_deref(), Some("Alicia Liddell"));
    // Nothing else moves.
    assert_eq!(read.created_at, alice.created_at);
    assert_eq!(read.is_active, alice.is_active);
    assert_eq!(
        f.count(
            "SELECT COUNT(*) FROM users WHERE id = $1 AND updated_at > created_at",
            alice.id.0
        )
        .await,
        1
    );
    // The keys moved with the names: logins find the new ones only.
    let by_email = f.store.credential_by_login("alicia@example.org").await;
    assert_eq!(by_email.unwrap().unwrap().user, read);
    assert!(
        f.store
            .credential_by_login("alice")
            .await
            .unwrap()
            .is_none()
    );

    // The display name can be cleared again, and the same keys kept.
    let update = profile("Alicia", "Alicia@Example.org", None);
    f.store
        .update_user_profile(alice.id, &update, at)
        .await
        .unwrap();
    let read = f.store.user_by_id(alice.id).await.unwrap().unwrap();
    assert_eq!(read.name, None);
}

pub async fn update_user_profile_reports_the_colliding_field(f: &Fixture) {
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;

    let err = f
        .store
        .update_user_profile(bob.id, &profile("ALICE", "bob@example.com", None), T0)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(UniqueField::Username)),
        "{err:?}"
    );
    let err = f
        .store
        .update_user_profile(bob.id, &profile("bob", "Alice@example.com", None), T0)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(UniqueField::Email)),
        "{err:?}"
    );

    assert_eq!(f.store.user_by_id(bob.id).await.unwrap().unwrap(), bob);
    assert_eq!(f.store.user_by_id(alice.id).await.unwrap().unwrap(), alice);
}

pub async fn update_user_profile_of_a_missing_user_is_not_found(f: &Fixture) {
    let err = f
        .store
        .update_user_profile(UserId(4242), &profile("x", "x@example.com", None), T0)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
}

pub async fn delete_user_cascades_to_sessions_and_memberships_only(f: &Fixture) {
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    for user in [&alice, &bob] {
        f.store.grant_role(user.id, "admin").await.unwrap();
        f.session(user.id, T0, false).await;
    }

    f.store.delete_user(alice.id).await.unwrap();

    assert_eq!(f.store.user_by_id(alice.id).await.unwrap(), None);
    assert!(f.store.sessions_of(alice.id).await.unwrap().is_empty());
    assert!(f.store.roles_of(alice.id).await.unwrap().is_empty());
    assert_eq!(
        f.count(
            "SELECT COUNT(*) FROM user_roles WHERE user_id = $1",
            alice.id.0
        )
        .await,
        0
    );
    assert_eq!(f.store.user_by_id(bob.id).await.unwrap().unwrap(), bob);
    assert_eq!(f.store.sessions_of(bob.id).await.unwrap().len(), 1);
    assert_eq!(f.store.roles_of(bob.id).await.unwrap().len(), 1);
    assert_eq!(f.store.count_users().await.unwrap(), 1);

    let err = f.store.delete_user(alice.id).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
}
