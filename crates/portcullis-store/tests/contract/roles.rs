//! Roles and membership.

use crate::harness::Fixture;
use portcullis_core::domain::user::ADMIN_ROLE;
use portcullis_core::{Role, StoreError, UserId};

fn role(name: &str, description: &str) -> Role {
    Role {
        name: name.into(),
        description: description.into(),
    }
}

pub async fn the_admin_role_is_seeded(f: &Fixture) {
    let alice = f.user("alice").await;
    f.store.grant_role(alice.id, ADMIN_ROLE).await.unwrap();
    assert_eq!(
        f.store.roles_of(alice.id).await.unwrap(),
        [role(
            ADMIN_ROLE,
            "Full access to the administration of Portcullis"
        )]
    );
}

pub async fn ensure_role_is_idempotent_and_keeps_the_description(f: &Fixture) {
    f.store.ensure_role("editor", "Edits things").await.unwrap();
    f.store
        .ensure_role("editor", "A different description")
        .await
        .unwrap();
    f.store
        .ensure_role(ADMIN_ROLE, "Overwritten?")
        .await
        .unwrap();

    let alice = f.user("alice").await;
    f.store.grant_role(alice.id, "editor").await.unwrap();
    f.store.grant_role(alice.id, ADMIN_ROLE).await.unwrap();
    assert_eq!(
        f.store.roles_of(alice.id).await.unwrap(),
        [
            role(
                ADMIN_ROLE,
                "Full access to the administration of Portcullis"
            ),
            role("editor", "Edits things"),
        ]
    );
    assert_eq!(
        f.count("SELECT COUNT(*) FROM roles WHERE id > $1", 0).await,
        2
    );
}

pub async fn grant_role_is_idempotent(f: &Fixture) {
    let alice = f.user("alice").await;
    f.store.grant_role(alice.id, ADMIN_ROLE).await.unwrap();
    f.store.grant_role(alice.id, ADMIN_ROLE).await.unwrap();
    assert_eq!(f.store.roles_of(alice.id).await.unwrap().len(), 1);
}

pub async fn grant_role_is_not_found_for_an_unknown_role_or_user(f: &Fixture) {
    let alice = f.user("alice").await;

    let err = f
        .store
        .grant_role(alice.id, "no-such-role")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");

    let ghost = UserId(alice.id.0 + 1000);
    let err = f.store.grant_role(ghost, ADMIN_ROLE).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");

    assert!(f.store.roles_of(alice.id).await.unwrap().is_empty());
}

pub async fn roles_of_lists_the_granted_roles_by_name(f: &Fixture) {
    for (name, description) in [
        ("viewer", "Reads"),
        ("auditor", "Reads the log"),
        ("editor", ""),
    ] {
        f.store.ensure_role(name, description).await.unwrap();
    }
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    for name in ["viewer", "auditor"] {
        f.store.grant_role(alice.id, name).await.unwrap();
    }
    f.store.grant_role(bob.id, "editor").await.unwrap();

    assert_eq!(
        f.store.roles_of(alice.id).await.unwrap(),
        [role("auditor", "Reads the log"), role("viewer", "Reads")]
    );
    assert_eq!(
        f.store.roles_of(bob.id).await.unwrap(),
        [role("editor", "")]
    );
    let carol = f
        .store
        .create_user(&crate::harness::new_user("carol"))
        .await
        .unwrap();
    assert!(f.store.roles_of(carol.id).await.unwrap().is_empty());
}
