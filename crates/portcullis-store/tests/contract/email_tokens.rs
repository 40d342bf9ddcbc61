//! Single-use emailed tokens, and the account changes they lead to.

use crate::harness::{Fixture, T0, T0_MS};
use portcullis_core::store::{EmailTokenGrant, NewEmailToken};
use portcullis_core::{SecretToken, StoreError, TokenPurpose, UniqueField, UserId};
use time::Duration;

fn token(
    user: UserId,
    purpose: TokenPurpose,
    new_email: Option<&str>,
) -> (SecretToken, NewEmailToken) {
    let secret = SecretToken::generate();
    let new = NewEmailToken {
        purpose,
        user_id: user,
        token_hash: secret.hash(),
        new_email: new_email.map(str::to_owned),
        created_at: T0,
        expires_at: T0 + Duration::hours(1),
    };
    (secret, new)
}

pub async fn an_email_token_is_peeked_without_use_and_redeemed_once(f: &Fixture) {
    let alice = f.user("alice").await;
    let (secret, new) = token(alice.id, TokenPurpose::Reset, None);
    f.store.issue_email_token(&new).await.unwrap();
    let grant = Some(EmailTokenGrant {
        user_id: alice.id,
        new_email: None,
    });
    let now = T0 + Duration::minutes(5);
    for _ in 0..2 {
        assert_eq!(
            f.store
                .peek_email_token(&secret.hash(), TokenPurpose::Reset, now)
                .await
                .unwrap(),
            grant
        );
    }
    assert_eq!(
        f.store
            .redeem_email_token(&secret.hash(), TokenPurpose::Confirm, now)
            .await
            .unwrap(),
        None,
        "purposes do not mix"
    );
    assert_eq!(
        f.store
            .redeem_email_token(&secret.hash(), TokenPurpose::Reset, now)
            .await
            .unwrap(),
        grant
    );
    assert_eq!(
        f.store
            .redeem_email_token(&secret.hash(), TokenPurpose::Reset, now)
            .await
            .unwrap(),
        None,
        "single use"
    );
    assert_eq!(
        f.store
            .peek_email_token(&secret.hash(), TokenPurpose::Reset, now)
            .await
            .unwrap(),
        None
    );
}

pub async fn an_expired_email_token_is_refused(f: &Fixture) {
    let alice = f.user("alice").await;
    let (secret, new) = token(alice.id, TokenPurpose::Confirm, None);
    f.store.issue_email_token(&new).await.unwrap();
    let at_expiry = T0 + Duration::hours(1);
    assert!(
        f.store
            .redeem_email_token(&secret.hash(), TokenPurpose::Confirm, at_expiry)
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn issuing_an_email_token_voids_older_ones_of_that_purpose_only(f: &Fixture) {
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let (first, new) = token(alice.id, TokenPurpose::Reset, None);
    f.store.issue_email_token(&new).await.unwrap();
    let (confirm, new) = token(alice.id, TokenPurpose::Confirm, None);
    f.store.issue_email_token(&new).await.unwrap();
    let (bobs, new) = token(bob.id, TokenPurpose::Reset, None);
    f.store.issue_email_token(&new).await.unwrap();
    let (second, new) = token(alice.id, TokenPurpose::Reset, None);
    f.store.issue_email_token(&new).await.unwrap();
    let now = T0 + Duration::minutes(1);
    let live = |secret: SecretToken, purpose| async move {
        f.store
            .peek_email_token(&secret.hash(), purpose, now)
            .await
            .unwrap()
            .is_some()
    };
    assert!(!live(first, TokenPurpose::Reset).await);
    assert!(live(second.clone(), TokenPurpose::Reset).await);
    assert!(live(confirm, TokenPurpose::Confirm).await);
    assert!(live(bobs, TokenPurpose::Reset).await);
    assert_eq!(
        f.store
            .void_email_tokens(alice.id, TokenPurpose::Reset, now)
            .await
            .unwrap(),
        1
    );
    assert!(!live(second, TokenPurpose::Reset).await);
}

pub async fn concurrent_redemptions_of_one_email_token_yield_exactly_one_grant(f: &Fixture) {
    let alice = f.user("alice").await;
    let (secret, new) = token(alice.id, TokenPurpose::Reset, None);
    f.store.issue_email_token(&new).await.unwrap();
    let attempts = (0..8).map(|_| {
        let store = f.store.clone();
        let hash = secret.hash();
        tokio::spawn(async move {
            store
                .redeem_email_token(&hash, TokenPurpose::Reset, T0 + Duration::minutes(1))
                .await
                .unwrap()
        })
    });
    let mut granted = 0;
    for attempt in attempts.collect::<Vec<_>>() {
        granted += usize::from(attempt.await.unwrap().is_some());
    }
    assert_eq!(granted, 1);
}

pub async fn email_tokens_go_with_their_user(f: &Fixture) {
    let alice = f.user("alice").await;
    let (_, new) = token(alice.id, TokenPurpose::ChangeEmail, Some("new@example.com"));
    f.store.issue_email_token(&new).await.unwrap();
    // A token for an account that does not exist writes the same row (so
    // asking costs the same for unknown addresses), without a user and
    // already spent: it can never be redeemed.
    let (orphan_secret, orphan) = token(UserId(9999), TokenPurpose::Reset, None);
    f.store.issue_email_token(&orphan).await.unwrap();
    assert_eq!(
        f.count("SELECT COUNT(*) FROM email_tokens WHERE user_id = $1", 9999)
            .await,
        0
    );
    assert_eq!(
        f.count(
            "SELECT COUNT(*) FROM email_tokens WHERE user_id IS NULL AND used_at IS NOT NULL AND id > $1",
            0
        )
        .await,
        1
    );
    assert_eq!(
        f.store
            .redeem_email_token(&orphan_secret.hash(), TokenPurpose::Reset, T0)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        f.execute("DELETE FROM users WHERE id = $1", alice.id.0)
            .await,
        1
    );
    assert_eq!(
        f.count(
            "SELECT COUNT(*) FROM email_tokens WHERE user_id = $1",
            alice.id.0
        )
        .await,
        0
    );
}

pub async fn purging_email_tokens_removes_only_expired_ones(f: &Fixture) {
    let alice = f.user("alice").await;
    let (old, new) = token(alice.id, TokenPurpose::Reset, None);
    f.store.issue_email_token(&new).await.unwrap();
    let (fresh, mut new) = token(alice.id, TokenPurpose::Confirm, None);
    new.expires_at = T0 + Duration::hours(24);
    f.store.issue_email_token(&new).await.unwrap();
    let now = T0 + Duration::hours(2);
    assert_eq!(f.store.purge_email_tokens(now).await.unwrap(), 1);
    assert_eq!(
        f.count(
            "SELECT COUNT(*) FROM email_tokens WHERE user_id = $1",
            alice.id.0
        )
        .await,
        1
    );
    assert!(
        f.store
            .peek_email_token(&fresh.hash(), TokenPurpose::Confirm, now)
            .await
            .unwrap()
            .is_some()
    );
    drop(old);
}

pub async fn mark_confirmed_keeps_the_first_confirmation(f: &Fixture) {
    let alice = f.user("alice").await;
    f.store
        .mark_confirmed(alice.id, T0_MS + Duration::hours(1))
        .await
        .unwrap();
    f.store
        .mark_confirmed(alice.id, T0_MS + Duration::hours(2))
        .await
        .unwrap();
    let after = f.store.user_by_id(alice.id).await.unwrap().unwrap();
    assert_eq!(after.confirmed_at, Some(T0_MS + Duration::hours(1)));
    assert!(matches!(
        f.store.mark_confirmed(UserId(9999), T0).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn change_email_switches_the_address_and_its_key_and_refuses_a_taken_one(f: &Fixture) {
    let alice = f.user("alice").await;
    f.user("bob").await;
    let at = T0_MS + Duration::hours(1);
    f.store
        .change_email(alice.id, "Alice@New.example", "alice@new.example", at)
        .await
        .unwrap();
    let after = f.store.user_by_id(alice.id).await.unwrap().unwrap();
    assert_eq!(after.email.as_deref(), Some("Alice@New.example"));
    assert_eq!(after.confirmed_at, Some(at));
    assert!(
        f.store
            .credential_by_login("alice@new.example")
            .await
            .unwrap()
            .is_some()
    );
    assert!(matches!(
        f.store
            .change_email(alice.id, "BOB@example.com", "bob@example.com", at)
            .await,
        Err(StoreError::Conflict(UniqueField::Email))
    ));
}

pub async fn the_pending_email_change_is_the_live_link_of_its_user(f: &Fixture) {
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let soon = T0 + Duration::minutes(5);
    assert_eq!(
        f.store.pending_email_change(alice.id, soon).await.unwrap(),
        None
    );
    // A confirmation link is no address change.
    let (_, confirm) = token(alice.id, TokenPurpose::Confirm, None);
    f.store.issue_email_token(&confirm).await.unwrap();
    let (_, first) = token(
        alice.id,
        TokenPurpose::ChangeEmail,
        Some("old-idea@example.com"),
    );
    f.store.issue_email_token(&first).await.unwrap();
    let (secret, mut second) = token(alice.id, TokenPurpose::ChangeEmail, Some("new@example.com"));
    second.created_at = T0 + Duration::minutes(1);
    f.store.issue_email_token(&second).await.unwrap();
    let pending = f
        .store
        .pending_email_change(alice.id, soon)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pending.new_email, "new@example.com");
    // Stored to the millisecond, as every timestamp is.
    let sent = T0 + Duration::minutes(1);
    assert!((pending.sent_at - sent).abs() < Duration::milliseconds(1));
    assert_eq!(
        f.store.pending_email_change(bob.id, soon).await.unwrap(),
        None
    );
    // Expired, or followed: nothing is pending.
    let later = T0 + Duration::hours(2);
    assert_eq!(
        f.store.pending_email_change(alice.id, later).await.unwrap(),
        None
    );
    f.store
        .redeem_email_token(&secret.hash(), TokenPurpose::ChangeEmail, soon)
        .await
        .unwrap();
    assert_eq!(
        f.store.pending_email_change(alice.id, soon).await.unwrap(),
        None
    );
}
