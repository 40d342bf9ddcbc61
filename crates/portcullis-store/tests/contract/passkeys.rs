//! Passkeys: one credential id across accounts, counters that only move
//! forward (one statement, so parallel uses of one assertion cannot both
//! pass), ceremonies taken once and capped, and everything gone with its
//! account.

use crate::harness::{Fixture, T0_MS as T0};
use portcullis_core::domain::passkey::{Ceremony, CeremonyPurpose, NewPasskey, PasskeyUse};
use portcullis_core::{SecretToken, StoreError, UniqueField, UserId};
use std::sync::Arc;
use time::Duration;

fn passkey(user: UserId, credential_id: &str) -> NewPasskey {
    NewPasskey {
        user_id: user,
        credential_id: credential_id.into(),
        name: "Laptop".into(),
        credential: "{\"cred\":{}}".into(),
        sign_count: 0,
        backup_eligible: true,
        backed_up: false,
        created_at: T0,
    }
}

fn ceremony(purpose: CeremonyPurpose, user: Option<UserId>) -> Ceremony {
    Ceremony {
        purpose,
        user_id: user,
        session_id: None,
        state: "{\"state\":1}".into(),
        created_at: T0,
        expires_at: T0 + Duration::minutes(5),
    }
}

pub async fn a_passkey_is_one_accounts_and_its_counter_only_moves_forward(f: &Fixture) {
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let added = f
        .store
        .add_passkey(&passkey(alice.id, "cred-1"))
        .await
        .unwrap();
    assert_eq!(added.name, "Laptop");
    assert!(added.backup_eligible && !added.backed_up);
    assert!(matches!(
        f.store.add_passkey(&passkey(bob.id, "cred-1")).await,
        Err(StoreError::Conflict(UniqueField::Other))
    ));
    let found = f
        .store
        .passkey_by_credential("cred-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.info, added);
    assert_eq!(found.sign_count, 0);

    let used = |count: i64| PasskeyUse {
        id: added.id,
        sign_count: count,
        credential: format!("{{\"count\":{count}}}"),
        backed_up: true,
        at: T0 + Duration::minutes(count),
    };
    // Two requests carrying the same assertion: one gets the row.
    let store = Arc::clone(&f.store);
    let (first, second) = (used(5), used(5));
    let (a, b) = tokio::join!(
        store.record_passkey_use(&first),
        store.record_passkey_use(&second)
    );
    assert_eq!([a.unwrap(), b.unwrap()].iter().filter(|ok| **ok).count(), 1);
    assert!(
        !f.store.record_passkey_use(&used(3)).await.unwrap(),
        "backwards"
    );
    assert!(f.store.record_passkey_use(&used(6)).await.unwrap());
    let found = f
        .store
        .passkey_by_credential("cred-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.sign_count, 6);
    assert_eq!(found.credential, "{\"count\":6}");
    assert!(found.info.backed_up);
    assert_eq!(found.info.last_used_at, Some(T0 + Duration::minutes(6)));

    // An authenticator without a counter reports 0 every time.
    let synced = f
        .store
        .add_passkey(&passkey(bob.id, "cred-2"))
        .await
        .unwrap();
    for _ in 0..2 {
        assert!(
            f.store
                .record_passkey_use(&PasskeyUse {
                    id: synced.id,
                    ..used(0)
                })
                .await
                .unwrap()
        );
    }

    // Renaming and removing are the owner's alone.
    assert!(!f.store.rename_passkey(bob.id, added.id, "x").await.unwrap());
    assert!(
        f.store
            .rename_passkey(alice.id, added.id, "Work")
            .await
            .unwrap()
    );
    assert!(
        f.store
            .delete_passkey(bob.id, added.id)
            .await
            .unwrap()
            .is_none()
    );
    let gone = f.store.delete_passkey(alice.id, added.id).await.unwrap();
    assert_eq!(gone.map(|p| p.name).as_deref(), Some("Work"));
    assert!(f.store.passkeys_of(alice.id).await.unwrap().is_empty());

    // Everything goes with the account.
    f.store.webauthn_handle(bob.id, "handle-b").await.unwrap();
    f.store.delete_user(bob.id).await.unwrap();
    assert!(
        f.store
            .passkey_by_credential("cred-2")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        f.store.user_of_webauthn_handle("handle-b").await.unwrap(),
        None
    );
}

pub async fn an_account_keeps_its_first_webauthn_handle(f: &Fixture) {
    let alice = f.user("alice").await;
    let store = Arc::clone(&f.store);
    let (a, b) = tokio::join!(
        store.webauthn_handle(alice.id, "first"),
        store.webauthn_handle(alice.id, "second")
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a, b, "parallel first registrations agree on one handle");
    assert_eq!(f.store.webauthn_handle(alice.id, "third").await.unwrap(), a);
    assert_eq!(
        f.store.user_of_webauthn_handle(&a).await.unwrap(),
        Some(alice.id)
    );
}

pub async fn a_ceremony_is_taken_once_and_live_ones_are_capped(f: &Fixture) {
    let alice = f.user("alice").await;
    let key = SecretToken::generate().hash();
    let stored = ceremony(CeremonyPurpose::Register, Some(alice.id));
    assert!(f.store.create_ceremony(&key, &stored, 100).await.unwrap());
    let store = Arc::clone(&f.store);
    let (a, b) = tokio::join!(store.take_ceremony(&key), store.take_ceremony(&key));
    let taken: Vec<Ceremony> = [a.unwrap(), b.unwrap()].into_iter().flatten().collect();
    assert_eq!(taken, vec![stored], "exactly one taker gets the ceremony");

    // Two live ceremonies fill a cap of two; an expired one makes room.
    let login = ceremony(CeremonyPurpose::Login, None);
    for _ in 0..2 {
        assert!(
            f.store
                .create_ceremony(&SecretToken::generate().hash(), &login, 2)
                .await
                .unwrap()
        );
    }
    assert!(
        !f.store
            .create_ceremony(&SecretToken::generate().hash(), &login, 2)
            .await
            .unwrap()
    );
    let later = Ceremony {
        created_at: T0 + Duration::minutes(10),
        expires_at: T0 + Duration::minutes(15),
        ..login.clone()
    };
    assert!(
        f.store
            .create_ceremony(&SecretToken::generate().hash(), &later, 2)
            .await
            .unwrap()
    );
    assert_eq!(
        f.store
            .purge_ceremonies(T0 + Duration::minutes(10))
            .await
            .unwrap(),
        2
    );
}
