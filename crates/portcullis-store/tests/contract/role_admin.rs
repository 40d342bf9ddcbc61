//! Administering roles: permissions, creation, description, deletion,
//! revocation and member counts.

use crate::harness::{Fixture, T0};
use portcullis_core::domain::role::{ADMIN_PERMISSIONS, RoleInfo};
use portcullis_core::domain::user::ADMIN_ROLE;
use portcullis_core::{StoreError, UniqueField};

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| (*item).to_owned()).collect()
}

pub async fn the_seeded_admin_role_holds_the_four_admin_permissions(f: &Fixture) {
    let admin = f.store.role(ADMIN_ROLE).await.unwrap().unwrap();
    let mut expected = strings(&ADMIN_PERMISSIONS);
    expected.sort();
    assert_eq!(
        admin,
        RoleInfo {
            name: ADMIN_ROLE.into(),
            description: "Full access to the administration of Portcullis".into(),
            permissions: expected.clone(),
            grantable_by: Vec::new(),
            members: 0,
        }
    );
    let alice = f.user("alice").await;
    f.store.grant_role(alice.id, ADMIN_ROLE).await.unwrap();
    assert_eq!(f.store.permissions_of(alice.id).await.unwrap(), expected);
}

pub async fn revoke_role_reports_whether_there_was_a_membership(f: &Fixture) {
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    f.store.grant_role(alice.id, ADMIN_ROLE).await.unwrap();
    f.store.grant_role(bob.id, ADMIN_ROLE).await.unwrap();

    assert!(f.store.revoke_role(alice.id, ADMIN_ROLE).await.unwrap());
    assert!(!f.store.revoke_role(alice.id, ADMIN_ROLE).await.unwrap());
    assert!(!f.store.revoke_role(alice.id, "no-such-role").await.unwrap());
    assert!(f.store.roles_of(alice.id).await.unwrap().is_empty());
    assert_eq!(f.store.roles_of(bob.id).await.unwrap().len(), 1);
}

pub async fn permissions_of_is_the_sorted_distinct_union_over_the_users_roles(f: &Fixture) {
    f.store.create_role("writer", "", T0).await.unwrap();
    f.store.create_role("reader", "", T0).await.unwrap();
    f.store
        .set_role_permissions("writer", &strings(&["posts:write", "posts:read"]))
        .await
        .unwrap();
    f.store
        .set_role_permissions("reader", &strings(&["posts:read", "comments:read"]))
        .await
        .unwrap();
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    f.store.grant_role(alice.id, "writer").await.unwrap();
    f.store.grant_role(alice.id, "reader").await.unwrap();
    f.store.grant_role(bob.id, "reader").await.unwrap();

    assert_eq!(
        f.store.permissions_of(alice.id).await.unwrap(),
        strings(&["comments:read", "posts:read", "posts:write"])
    );
    assert_eq!(
        f.store.permissions_of(bob.id).await.unwrap(),
        strings(&["comments:read", "posts:read"])
    );
    let carol = f.user("carol").await;
    assert!(f.store.permissions_of(carol.id).await.unwrap().is_empty());
}

pub async fn set_role_permissions_replaces_the_set_exactly(f: &Fixture) {
    f.store.create_role("editor", "", T0).await.unwrap();
    let set = |list: &[&str]| strings(list);

    f.store
        .set_role_permissions("editor", &set(&["posts:write", "posts:read"]))
        .await
        .unwrap();
    assert_eq!(
        f.store.role("editor").await.unwrap().unwrap().permissions,
        set(&["posts:read", "posts:write"])
    );
    // One removed, one added, one listed twice.
    f.store
        .set_role_permissions(
            "editor",
            &set(&["posts:read", "posts:delete", "posts:delete"]),
        )
        .await
        .unwrap();
    assert_eq!(
        f.store.role("editor").await.unwrap().unwrap().permissions,
        set(&["posts:delete", "posts:read"])
    );
    f.store.set_role_permissions("editor", &[]).await.unwrap();
    assert!(
        f.store
            .role("editor")
            .await
            .unwrap()
            .unwrap()
            .permissions
            .is_empty()
    );
    // Other roles keep theirs.
    let admin = f.store.role(ADMIN_ROLE).await.unwrap().unwrap();
    assert_eq!(admin.permissions.len(), ADMIN_PERMISSIONS.len());

    let err = f
        .store
        .set_role_permissions("no-such-role", &set(&["posts:read"]))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
}

pub async fn roles_are_created_described_and_deleted(f: &Fixture) {
    f.store
        .create_role("Department Officer", "Runs a department", T0)
        .await
        .unwrap();
    let err = f
        .store
        .create_role("Department Officer", "Again", T0)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(UniqueField::Other)),
        "{err:?}"
    );
    f.store
        .set_role_description("Department Officer", "Runs one department")
        .await
        .unwrap();
    let role = f.store.role("Department Officer").await.unwrap().unwrap();
    assert_eq!(role.description, "Runs one department");
    assert!(role.permissions.is_empty());
    assert_eq!(role.members, 0);
    assert_eq!(f.store.role("nobody").await.unwrap(), None);

    // Deleting takes memberships and permissions with it.
    let alice = f.user("alice").await;
    f.store
        .grant_role(alice.id, "Department Officer")
        .await
        .unwrap();
    f.store
        .set_role_permissions("Department Officer", &strings(&["dept:run"]))
        .await
        .unwrap();
    f.store.delete_role("Department Officer").await.unwrap();
    assert_eq!(f.store.role("Department Officer").await.unwrap(), None);
    assert!(f.store.roles_of(alice.id).await.unwrap().is_empty());
    assert!(f.store.permissions_of(alice.id).await.unwrap().is_empty());
    assert_eq!(
        f.count(
            "SELECT COUNT(*) FROM role_permissions WHERE role_id > $1",
            0
        )
        .await,
        i64::try_from(ADMIN_PERMISSIONS.len()).unwrap()
    );

    for err in [
        f.store.delete_role("Department Officer").await.unwrap_err(),
        f.store
            .set_role_description("nobody", "x")
            .await
            .unwrap_err(),
    ] {
        assert!(matches!(err, StoreError::NotFound), "{err:?}");
    }
}

pub async fn list_roles_gives_every_role_by_name_with_permissions_and_members(f: &Fixture) {
    f.store.create_role("viewer", "Reads", T0).await.unwrap();
    f.store.create_role("editor", "", T0).await.unwrap();
    f.store
        .set_role_permissions("viewer", &strings(&["posts:read"]))
        .await
        .unwrap();
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    for user in [alice.id, bob.id] {
        f.store.grant_role(user, "viewer").await.unwrap();
    }
    f.store.grant_role(alice.id, ADMIN_ROLE).await.unwrap();

    let roles = f.store.list_roles().await.unwrap();
    let summary: Vec<(&str, usize, i64)> = roles
        .iter()
        .map(|r| (r.name.as_str(), r.permissions.len(), r.members))
        .collect();
    assert_eq!(
        summary,
        [(ADMIN_ROLE, 4, 1), ("editor", 0, 0), ("viewer", 1, 2)]
    );
    assert_eq!(roles[2].description, "Reads");
    assert_eq!(roles[2].permissions, strings(&["posts:read"]));
    assert_eq!(roles[0], f.store.role(ADMIN_ROLE).await.unwrap().unwrap());
}

pub async fn count_active_members_ignores_deactivated_users(f: &Fixture) {
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let carol = f.user("carol").await;
    for user in [alice.id, bob.id] {
        f.store.grant_role(user, ADMIN_ROLE).await.unwrap();
    }
    assert_eq!(f.store.count_active_members(ADMIN_ROLE).await.unwrap(), 2);

    f.store.set_active(bob.id, false, T0).await.unwrap();
    f.store.set_active(carol.id, false, T0).await.unwrap();
    assert_eq!(f.store.count_active_members(ADMIN_ROLE).await.unwrap(), 1);
    assert_eq!(f.store.role(ADMIN_ROLE).await.unwrap().unwrap().members, 2);
    assert_eq!(f.store.count_active_members("nobody").await.unwrap(), 0);
}

pub async fn concurrent_permission_replacements_leave_one_set_never_a_mix(f: &Fixture) {
    f.store.create_role("editor", "", T0).await.unwrap();
    let mut sets = [
        strings(&["a:one", "a:three", "a:two"]),
        strings(&["b:one", "b:two"]),
    ];
    sets.sort();
    for _ in 0..10 {
        let writers = (0..8).map(|i| {
            let store = f.store.clone();
            let set = sets[i % 2].clone();
            tokio::spawn(async move { store.set_role_permissions("editor", &set).await })
        });
        for writer in writers.collect::<Vec<_>>() {
            writer.await.unwrap().unwrap();
        }
        let now = f.store.role("editor").await.unwrap().unwrap().permissions;
        assert!(sets.contains(&now), "{now:?}");
    }
}
