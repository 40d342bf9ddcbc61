//! External identities: unique by (issuer, subject) across accounts, gone
//! with their account; sign-in flows and pending identities taken once.

use crate::harness::{Fixture, T0_MS as T0};
use portcullis_core::domain::identity::{FlowPurpose, IdentityId, OidcFlow, PendingIdentity};
use portcullis_core::store::NewIdentity;
use portcullis_core::{SecretToken, StoreError, UniqueField, UserId};
use std::sync::Arc;
use time::Duration;

const GOOGLE: &str = "https://accounts.google.com";

fn identity(user: UserId, issuer: &str, subject: &str) -> NewIdentity {
    NewIdentity {
        user_id: user,
        provider: "google".into(),
        issuer: issuer.into(),
        subject: subject.into(),
        email: Some("alice@gmail.example".into()),
        created_at: T0,
    }
}

fn flow(purpose: FlowPurpose, user: Option<UserId>) -> OidcFlow {
    OidcFlow {
        provider: "google".into(),
        browser_hash: "b".repeat(64),
        sealed_verifier: "sealed-verifier".into(),
        nonce: "n-0S6_WzA2Mj".into(),
        next: Some("/dashboard".into()),
        remember: true,
        purpose,
        user_id: user,
        ip: Some("192.0.2.7".into()),
        created_at: T0,
        expires_at: T0 + Duration::minutes(10),
    }
}

fn pending(browser: Option<&str>, created: time::OffsetDateTime) -> PendingIdentity {
    PendingIdentity {
        provider: "corp".into(),
        issuer: "https://id.corp.example".into(),
        subject: "248289761001".into(),
        email: "alice@corp.example".into(),
        preferred_username: Some("alice".into()),
        name: Some("Alice".into()),
        next: None,
        browser_hash: browser.map(str::to_owned),
        created_at: created,
        expires_at: created + Duration::hours(1),
    }
}

pub async fn an_identity_is_linked_found_listed_and_unlinked_by_its_owner_only(f: &Fixture) {
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let linked = f
        .store
        .link_identity(&identity(alice.id, GOOGLE, "1001"))
        .await
        .unwrap();
    assert_eq!(linked.user_id, alice.id);
    assert_eq!(linked.provider, "google");
    assert_eq!(linked.email.as_deref(), Some("alice@gmail.example"));
    assert_eq!(linked.created_at, T0);
    assert_eq!(linked.last_login_at, None);

    let found = f.store.find_identity(GOOGLE, "1001").await.unwrap();
    assert_eq!(found, Some(linked.clone()));
    // The subject is only unique within its issuer.
    assert_eq!(
        f.store
            .find_identity("https://other.example", "1001")
            .await
            .unwrap(),
        None
    );
    let second = f
        .store
        .link_identity(&identity(alice.id, "https://other.example", "1001"))
        .await
        .unwrap();
    let listed = f.store.identities_of(alice.id).await.unwrap();
    assert_eq!(listed, vec![linked.clone(), second]);

    f.store
        .touch_identity(linked.id, T0 + Duration::hours(1))
        .await
        .unwrap();
    let touched = f
        .store
        .find_identity(GOOGLE, "1001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(touched.last_login_at, Some(T0 + Duration::hours(1)));

    assert_eq!(
        f.store.unlink_identity(bob.id, linked.id).await.unwrap(),
        None
    );
    assert!(
        f.store
            .find_identity(GOOGLE, "1001")
            .await
            .unwrap()
            .is_some()
    );
    let gone = f.store.unlink_identity(alice.id, linked.id).await.unwrap();
    assert_eq!(gone.map(|i| i.id), Some(linked.id));
    assert_eq!(f.store.find_identity(GOOGLE, "1001").await.unwrap(), None);
    assert_eq!(
        f.store
            .unlink_identity(alice.id, IdentityId(linked.id.0))
            .await
            .unwrap(),
        None
    );
}

pub async fn one_provider_account_links_to_one_local_account_even_in_a_race(f: &Fixture) {
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let store = Arc::clone(&f.store);
    let (for_alice, for_bob) = (
        identity(alice.id, GOOGLE, "42"),
        identity(bob.id, GOOGLE, "42"),
    );
    let (a, b) = tokio::join!(
        store.link_identity(&for_alice),
        store.link_identity(&for_bob),
    );
    let wins = [&a, &b].iter().filter(|r| r.is_ok()).count();
    assert_eq!(wins, 1, "{a:?} / {b:?}");
    let loser = if a.is_ok() { b } else { a };
    assert!(matches!(
        loser,
        Err(StoreError::Conflict(UniqueField::Other))
    ));
    assert_eq!(
        f.store
            .link_identity(&identity(alice.id, GOOGLE, "42"))
            .await
            .map(|_| ())
            .unwrap_err()
            .to_string(),
        StoreError::Conflict(UniqueField::Other).to_string()
    );
}

pub async fn identities_go_with_their_account(f: &Fixture) {
    let alice = f.user("alice").await;
    f.store
        .link_identity(&identity(alice.id, GOOGLE, "7"))
        .await
        .unwrap();
    f.store
        .create_oidc_flow(
            &SecretToken::generate().hash(),
            &flow(FlowPurpose::Link, Some(alice.id)),
            100,
        )
        .await
        .unwrap();
    f.store.delete_user(alice.id).await.unwrap();
    assert_eq!(f.store.find_identity(GOOGLE, "7").await.unwrap(), None);
    // The account's link flow went with it; the subject may link anew.
    let carol = f.user("carol").await;
    f.store
        .link_identity(&identity(carol.id, GOOGLE, "7"))
        .await
        .unwrap();
}

pub async fn a_flow_is_taken_once_with_every_field(f: &Fixture) {
    let alice = f.user("alice").await;
    let state = SecretToken::generate().hash();
    let stored = flow(FlowPurpose::Reauthenticate, Some(alice.id));
    assert!(
        f.store
            .create_oidc_flow(&state, &stored, 100)
            .await
            .unwrap()
    );
    let store = Arc::clone(&f.store);
    let (a, b) = tokio::join!(store.take_oidc_flow(&state), store.take_oidc_flow(&state));
    let taken: Vec<OidcFlow> = [a.unwrap(), b.unwrap()].into_iter().flatten().collect();
    assert_eq!(taken, vec![stored], "exactly one taker gets the flow");
    assert_eq!(f.store.take_oidc_flow(&state).await.unwrap(), None);

    let anonymous = OidcFlow {
        next: None,
        remember: false,
        ip: None,
        ..flow(FlowPurpose::Login, None)
    };
    let state = SecretToken::generate().hash();
    assert!(
        f.store
            .create_oidc_flow(&state, &anonymous, 100)
            .await
            .unwrap()
    );
    assert_eq!(
        f.store.take_oidc_flow(&state).await.unwrap(),
        Some(anonymous)
    );
}

pub async fn live_flows_are_capped_and_expired_ones_make_room(f: &Fixture) {
    for _ in 0..3 {
        assert!(
            f.store
                .create_oidc_flow(
                    &SecretToken::generate().hash(),
                    &flow(FlowPurpose::Login, None),
                    3
                )
                .await
                .unwrap()
        );
    }
    let over = f
        .store
        .create_oidc_flow(
            &SecretToken::generate().hash(),
            &flow(FlowPurpose::Login, None),
            3,
        )
        .await
        .unwrap();
    assert!(!over, "a fourth live flow is refused");
    // Ten minutes later the three have expired: they no longer count.
    let later = OidcFlow {
        created_at: T0 + Duration::minutes(11),
        expires_at: T0 + Duration::minutes(21),
        ..flow(FlowPurpose::Login, None)
    };
    assert!(
        f.store
            .create_oidc_flow(&SecretToken::generate().hash(), &later, 3)
            .await
            .unwrap()
    );
    let purged = f
        .store
        .purge_oidc_state(T0 + Duration::minutes(11))
        .await
        .unwrap();
    assert_eq!(purged, 3);
}

pub async fn a_pending_identity_is_found_by_its_browser_and_taken_once(f: &Fixture) {
    let browser = "c".repeat(64);
    let older = SecretToken::generate().hash();
    let newer = SecretToken::generate().hash();
    f.store
        .create_pending_identity(&older, &pending(Some(&browser), T0))
        .await
        .unwrap();
    let latest = pending(Some(&browser), T0 + Duration::minutes(1));
    f.store
        .create_pending_identity(&newer, &latest)
        .await
        .unwrap();
    f.store
        .create_pending_identity(&SecretToken::generate().hash(), &pending(None, T0))
        .await
        .unwrap();

    let (hash, found) = f
        .store
        .pending_identity_of_browser(&browser, T0 + Duration::minutes(2))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((hash.clone(), found), (newer.clone(), latest.clone()));
    assert_eq!(
        f.store
            .pending_identity_of_browser("d", T0 + Duration::minutes(2))
            .await
            .unwrap(),
        None
    );
    // Past its hour it is not offered to the browser any more.
    assert_eq!(
        f.store
            .pending_identity_of_browser(&browser, T0 + Duration::hours(2))
            .await
            .unwrap(),
        None
    );

    let store = Arc::clone(&f.store);
    let (a, b) = tokio::join!(
        store.take_pending_identity(&newer),
        store.take_pending_identity(&newer)
    );
    let taken: Vec<PendingIdentity> = [a.unwrap(), b.unwrap()].into_iter().flatten().collect();
    assert_eq!(taken, vec![latest]);
    assert_eq!(f.store.take_pending_identity(&newer).await.unwrap(), None);
    let purged = f
        .store
        .purge_oidc_state(T0 + Duration::hours(1) + Duration::minutes(30))
        .await
        .unwrap();
    assert_eq!(purged, 2, "the two that expired at T0 + 1h");
}
