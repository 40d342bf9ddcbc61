//! API tokens: stored by hash, resolved with their account in one
//! statement, revoked once, touched at most once per interval.

use crate::harness::{Fixture, T0, T0_MS};
use portcullis_core::domain::api_token::{ApiTokenId, Scopes, TokenKind};
use portcullis_core::store::NewApiToken;
use portcullis_core::{SecretToken, UserId};
use std::sync::Arc;
use time::Duration;

fn new_token(user: UserId, kind: TokenKind, scopes: Scopes) -> (NewApiToken, SecretToken) {
    let secret = SecretToken::generate();
    let new = NewApiToken {
        token_hash: secret.hash(),
        user_id: user,
        kind,
        name: format!("{} token", kind.as_str()),
        scopes,
        created_at: T0,
        expires_at: Some(T0 + Duration::days(1)),
        created_by: None,
    };
    (new, secret)
}

pub async fn a_token_round_trips_and_resolves_with_its_roles_and_their_permissions(f: &Fixture) {
    let alice = f.user("alice").await;
    f.store.create_role("writer", "", T0).await.unwrap();
    f.store.create_role("tagger", "", T0).await.unwrap();
    f.store
        .set_role_permissions("writer", &["posts:write".into(), "posts:read".into()])
        .await
        .unwrap();
    f.store.grant_role(alice.id, "writer").await.unwrap();
    f.store.grant_role(alice.id, "tagger").await.unwrap();
    let (mut new, secret) = new_token(
        alice.id,
        TokenKind::Personal,
        Scopes::only(["posts:read", "me:read"]),
    );
    new.expires_at = None;
    let stored = f.store.create_api_token(&new).await.unwrap();
    assert!(stored.id.0 > 0);
    assert_eq!(stored.created_at, T0_MS);
    assert_eq!(stored.expires_at, None);
    assert_eq!(stored.scopes, Scopes::only(["me:read", "posts:read"]));

    let found = f
        .store
        .resolve_api_token(&secret.hash())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.token, stored);
    assert_eq!(found.user, alice);
    let roles: Vec<(&str, Vec<&str>)> = found
        .roles
        .iter()
        .map(|(r, p)| (r.name.as_str(), p.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(
        roles,
        [
            ("tagger", vec![]),
            ("writer", vec!["posts:read", "posts:write"])
        ]
    );
    assert!(!found.two_factor);
    assert!(
        f.store
            .resolve_api_token(&SecretToken::generate().hash())
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn login_tokens_store_no_scopes_and_carry_the_owner(f: &Fixture) {
    let alice = f.user("alice").await;
    let (new, secret) = new_token(alice.id, TokenKind::Login, Scopes::Owner);
    f.store.create_api_token(&new).await.unwrap();
    let found = f
        .store
        .resolve_api_token(&secret.hash())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.token.scopes, Scopes::Owner);
    assert_eq!(found.token.kind, TokenKind::Login);
    assert!(found.roles.is_empty());
}

pub async fn a_token_is_revoked_once_and_only_by_its_owner(f: &Fixture) {
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let (new, secret) = new_token(alice.id, TokenKind::Personal, Scopes::only(["me:read"]));
    let token = f.store.create_api_token(&new).await.unwrap();
    let later = T0 + Duration::minutes(5);
    assert!(
        f.store
            .revoke_api_token(bob.id, token.id, later)
            .await
            .unwrap()
            .is_none()
    );
    let store = Arc::clone(&f.store);
    let racers: Vec<_> = (0..8)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.revoke_api_token(alice.id, token.id, later).await })
        })
        .collect();
    let mut revoked = 0;
    for racer in racers {
        if racer.await.unwrap().unwrap().is_some() {
            revoked += 1;
        }
    }
    assert_eq!(revoked, 1);
    // Still found (to recognise a revoked token used again), marked revoked.
    let found = f
        .store
        .resolve_api_token(&secret.hash())
        .await
        .unwrap()
        .unwrap();
    assert!(found.token.revoked_at.is_some());
    assert!(
        f.store
            .api_tokens_of(alice.id, later)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        f.store
            .revoke_api_token(alice.id, ApiTokenId(token.id.0 + 1000), later)
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn listing_shows_live_tokens_newest_first(f: &Fixture) {
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (new, _) = new_token(alice.id, TokenKind::Personal, Scopes::only(["me:read"]));
        ids.push(f.store.create_api_token(&new).await.unwrap().id);
    }
    let (mut short, _) = new_token(alice.id, TokenKind::Personal, Scopes::only(["me:read"]));
    short.expires_at = Some(T0 + Duration::minutes(1));
    f.store.create_api_token(&short).await.unwrap();
    let (other, _) = new_token(bob.id, TokenKind::Personal, Scopes::only(["me:read"]));
    f.store.create_api_token(&other).await.unwrap();
    f.store
        .revoke_api_token(alice.id, ids[1], T0)
        .await
        .unwrap();

    let now = T0 + Duration::minutes(2);
    let listed: Vec<_> = f
        .store
        .api_tokens_of(alice.id, now)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(listed, [ids[2], ids[0]]);
}

pub async fn revoking_by_kind_leaves_the_other_kinds(f: &Fixture) {
    let alice = f.user("alice").await;
    for kind in [TokenKind::Login, TokenKind::Login, TokenKind::Personal] {
        let scopes = if kind == TokenKind::Login {
            Scopes::Owner
        } else {
            Scopes::only(["me:read"])
        };
        let (new, _) = new_token(alice.id, kind, scopes);
        f.store.create_api_token(&new).await.unwrap();
    }
    assert_eq!(
        f.store
            .revoke_api_tokens_of(alice.id, &[TokenKind::Login], T0)
            .await
            .unwrap(),
        2
    );
    let left = f.store.api_tokens_of(alice.id, T0).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].kind, TokenKind::Personal);
    assert_eq!(
        f.store
            .revoke_api_tokens_of(
                alice.id,
                &[TokenKind::Login, TokenKind::Personal, TokenKind::Service],
                T0
            )
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        f.store
            .revoke_api_tokens_of(alice.id, &[], T0)
            .await
            .unwrap(),
        0
    );
}

pub async fn a_use_is_recorded_at_most_once_per_interval(f: &Fixture) {
    let alice = f.user("alice").await;
    let (new, secret) = new_token(alice.id, TokenKind::Login, Scopes::Owner);
    let token = f.store.create_api_token(&new).await.unwrap();
    let first = T0_MS + Duration::seconds(10);
    f.store
        .touch_api_token(
            token.id,
            first,
            Some("192.0.2.1"),
            first - Duration::minutes(1),
        )
        .await
        .unwrap();
    // Within the interval: not written.
    let soon = first + Duration::seconds(30);
    f.store
        .touch_api_token(
            token.id,
            soon,
            Some("192.0.2.2"),
            soon - Duration::minutes(1),
        )
        .await
        .unwrap();
    let read = f
        .store
        .resolve_api_token(&secret.hash())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.token.last_used_at, Some(first));
    assert_eq!(read.token.last_used_ip.as_deref(), Some("192.0.2.1"));
    let later = first + Duration::minutes(2);
    f.store
        .touch_api_token(token.id, later, None, later - Duration::minutes(1))
        .await
        .unwrap();
    let read = f
        .store
        .resolve_api_token(&secret.hash())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.token.last_used_at, Some(later));
    assert_eq!(read.token.last_used_ip, None);
}

pub async fn purging_forgets_old_revoked_and_expired_tokens_only(f: &Fixture) {
    let alice = f.user("alice").await;
    let (live, live_secret) = new_token(alice.id, TokenKind::Login, Scopes::Owner);
    f.store.create_api_token(&live).await.unwrap();
    let (revoked, _) = new_token(alice.id, TokenKind::Login, Scopes::Owner);
    let revoked = f.store.create_api_token(&revoked).await.unwrap();
    f.store
        .revoke_api_token(alice.id, revoked.id, T0)
        .await
        .unwrap();
    let (mut forever, forever_secret) =
        new_token(alice.id, TokenKind::Personal, Scopes::only(["me:read"]));
    forever.expires_at = None;
    f.store.create_api_token(&forever).await.unwrap();

    // Everything expired or was revoked before this, except `forever`.
    let cutoff = T0 + Duration::days(2);
    assert_eq!(f.store.purge_api_tokens(cutoff).await.unwrap(), 2);
    assert!(
        f.store
            .resolve_api_token(&live_secret.hash())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        f.store
            .resolve_api_token(&forever_secret.hash())
            .await
            .unwrap()
            .is_some()
    );
}

pub async fn tokens_go_with_their_account(f: &Fixture) {
    let alice = f.user("alice").await;
    let (new, secret) = new_token(alice.id, TokenKind::Personal, Scopes::only(["me:read"]));
    f.store.create_api_token(&new).await.unwrap();
    f.store.delete_user(alice.id).await.unwrap();
    assert!(
        f.store
            .resolve_api_token(&secret.hash())
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        f.count("SELECT COUNT(*) FROM api_tokens WHERE id > $1", 0)
            .await,
        0
    );
}
