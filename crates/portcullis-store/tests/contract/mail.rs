//! The durable mail queue: messages are claimed once per lease, retried,
//! given up, expired, and shared by concurrent claimers without a message
//! going to two of them.

use crate::harness::{Fixture, T0, T0_MS};
use portcullis_core::store::{MailCounts, MailState, NewMail};
use std::collections::HashSet;
use time::Duration;

fn mail(n: usize, at: time::OffsetDateTime) -> NewMail {
    NewMail {
        kind: "password_reset".into(),
        recipient: format!("user{n}@example.com"),
        payload: format!("v1.sealed-{n}"),
        created_at: at,
        expires_at: at + Duration::hours(1),
    }
}

const LEASE: Duration = Duration::seconds(30);

pub async fn a_queued_message_is_claimed_once_per_lease_and_gone_once_delivered(f: &Fixture) {
    f.store.enqueue_mail(&mail(1, T0)).await.unwrap();
    let claimed = f.store.claim_mail(T0, T0 + LEASE).await.unwrap().unwrap();
    assert_eq!(claimed.recipient, "user1@example.com");
    assert_eq!(claimed.payload, "v1.sealed-1");
    assert_eq!(claimed.state, MailState::Queued);
    assert_eq!(claimed.attempts, 1, "a claim counts as an attempt");
    assert_eq!(claimed.created_at, T0_MS);
    // Within the lease nobody else gets it...
    assert!(
        f.store
            .claim_mail(T0 + Duration::seconds(29), T0 + LEASE * 2)
            .await
            .unwrap()
            .is_none()
    );
    // ...and once it runs out (the claimer died) it is claimed again.
    let again = f
        .store
        .claim_mail(T0 + LEASE, T0 + LEASE * 2)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((again.id, again.attempts), (claimed.id, 2));
    f.store.mail_delivered(again.id).await.unwrap();
    assert!(
        f.store
            .claim_mail(T0 + LEASE * 3, T0 + LEASE * 4)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(f.store.count_mail().await.unwrap(), MailCounts::default());
}

pub async fn a_deferred_message_waits_and_a_failed_one_waits_for_the_operator(f: &Fixture) {
    f.store.enqueue_mail(&mail(1, T0)).await.unwrap();
    let m = f.store.claim_mail(T0, T0 + LEASE).await.unwrap().unwrap();
    let next = T0 + Duration::minutes(5);
    f.store
        .mail_deferred(m.id, next, "connection refused")
        .await
        .unwrap();
    assert!(
        f.store
            .claim_mail(next - Duration::seconds(1), next + LEASE)
            .await
            .unwrap()
            .is_none()
    );
    let m = f
        .store
        .claim_mail(next, next + LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.attempts, 2);
    assert_eq!(m.last_error.as_deref(), Some("connection refused"));
    f.store.mail_failed(m.id, "550 no such user").await.unwrap();
    assert!(
        f.store
            .claim_mail(next + LEASE * 5, next + LEASE * 6)
            .await
            .unwrap()
            .is_none()
    );
    let failed = f
        .store
        .list_mail(Some(MailState::Failed), 10)
        .await
        .unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].last_error.as_deref(), Some("550 no such user"));
    // The operator sends it again: due at once, attempts counted afresh.
    let now = next + Duration::minutes(1);
    assert_eq!(
        f.store
            .retry_mail(Some(failed[0].id + 1000), now)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        f.store.retry_mail(Some(failed[0].id), now).await.unwrap(),
        1
    );
    let m = f.store.claim_mail(now, now + LEASE).await.unwrap().unwrap();
    assert_eq!(m.attempts, 1);
}

pub async fn expired_messages_are_never_claimed_nor_retried_and_purge_by_state(f: &Fixture) {
    f.store.enqueue_mail(&mail(1, T0)).await.unwrap();
    f.store
        .enqueue_mail(&mail(2, T0 + Duration::minutes(50)))
        .await
        .unwrap();
    let late = T0 + Duration::hours(1);
    // The first one's link is dead: not claimed even before it is marked.
    let m = f
        .store
        .claim_mail(late, late + LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.recipient, "user2@example.com");
    f.store.mail_failed(m.id, "550").await.unwrap();
    assert_eq!(f.store.expire_mail(late).await.unwrap(), 1);
    assert_eq!(
        f.store.count_mail().await.unwrap(),
        MailCounts {
            queued: 0,
            failed: 1,
            expired: 1
        }
    );
    // A failed message whose link has expired since is not queued again.
    let later = T0 + Duration::hours(2);
    assert_eq!(f.store.retry_mail(None, later).await.unwrap(), 0);
    let all = f.store.list_mail(None, 10).await.unwrap();
    assert_eq!(all.len(), 2);
    assert!(all[0].id < all[1].id, "oldest first");
    assert_eq!(f.store.purge_mail(MailState::Expired).await.unwrap(), 1);
    assert_eq!(f.store.purge_mail(MailState::Failed).await.unwrap(), 1);
    assert!(f.store.list_mail(None, 10).await.unwrap().is_empty());
}

pub async fn a_message_queued_in_a_rolled_back_transaction_is_not_kept(f: &Fixture) {
    let tx = f.store.begin().await.unwrap();
    tx.enqueue_mail(&mail(1, T0)).await.unwrap();
    drop(tx);
    let tx = f.store.begin().await.unwrap();
    tx.enqueue_mail(&mail(2, T0)).await.unwrap();
    tx.commit().await.unwrap();
    let all = f.store.list_mail(None, 10).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].recipient, "user2@example.com");
}

pub async fn concurrent_claimers_never_get_the_same_message(f: &Fixture) {
    const MESSAGES: usize = 40;
    for n in 0..MESSAGES {
        f.store.enqueue_mail(&mail(n, T0)).await.unwrap();
    }
    let claimers: Vec<_> = (0..4)
        .map(|_| {
            let store = f.store.clone();
            tokio::spawn(async move {
                let mut mine = Vec::new();
                while let Some(m) = store.claim_mail(T0, T0 + LEASE).await.unwrap() {
                    mine.push(m.id);
                }
                mine
            })
        })
        .collect();
    let mut seen = HashSet::new();
    let mut total = 0;
    for claimer in claimers {
        for id in claimer.await.unwrap() {
            total += 1;
            assert!(seen.insert(id), "message {id} was claimed twice");
        }
    }
    assert_eq!(total, MESSAGES, "every message was claimed by someone");
}
