//! The audit log: every field round-trips, listing is newest first, the
//! filters narrow it, pages are clamped, and counts agree with listings.

use crate::harness::{Fixture, T0, T0_MS};
use portcullis_core::audit::NewAuditEvent;
use portcullis_core::{AuditEvent, AuditFilter, AuditKind, UserId};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

/// A bare event of `kind` at `at`, tagged `{"n": n}` to tell it apart.
fn event(n: i64, kind: AuditKind, at: OffsetDateTime) -> NewAuditEvent {
    NewAuditEvent {
        at,
        kind,
        actor: None,
        target: None,
        ip: None,
        user_agent: None,
        detail: json!({ "n": n }),
    }
}

/// Every event on one page.
fn all() -> AuditFilter {
    AuditFilter {
        limit: 1000,
        ..AuditFilter::default()
    }
}

/// The `n` tags of the events `filter` lists, checking that `count_audit`
/// agrees with the listing.
async fn listed(f: &Fixture, filter: AuditFilter) -> Vec<i64> {
    let events = f.store.list_audit(&filter).await.unwrap();
    let count = f.store.count_audit(&filter).await.unwrap();
    assert_eq!(count, i64::try_from(events.len()).unwrap(), "{filter:?}");
    events.iter().map(tag).collect()
}

fn tag(event: &AuditEvent) -> i64 {
    event.detail["n"].as_i64().unwrap()
}

pub async fn an_audit_event_round_trips_every_field(f: &Fixture) {
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let detail = json!({
        "reason": "wrong password",
        "attempt": { "login": "Alice", "n": 3, "tags": ["web", "api"], "ok": false, "none": null },
        "ratio": 0.5,
        "unicode": "é ✓ \\r\\n",
    });
    let full = NewAuditEvent {
        at: T0,
        kind: AuditKind::LoginFailed,
        actor: Some(alice.id),
        target: Some(bob.id),
        ip: Some("2001:db8::1".into()),
        user_agent: Some("Mozilla/5.0 (X11)".into()),
        detail: detail.clone(),
    };
    f.store.append_audit(&full).await.unwrap();
    let mut bare = event(0, AuditKind::Registered, T0 + Duration::seconds(1));
    bare.detail = Value::Object(serde_json::Map::new());
    f.store.append_audit(&bare).await.unwrap();

    let events = f.store.list_audit(&all()).await.unwrap();
    assert_eq!(events.len(), 2);
    let (newer, older) = (&events[0], &events[1]);
    assert!(older.id > 0 && newer.id > older.id);
    assert_eq!(
        older,
        &AuditEvent {
            id: older.id,
            at: T0_MS,
            kind: "login_failed".into(),
            actor: Some(alice.id),
            target: Some(bob.id),
            ip: Some("2001:db8::1".into()),
            user_agent: Some("Mozilla/5.0 (X11)".into()),
            detail,
        }
    );
    assert_eq!(newer.kind, "registered");
    assert_eq!((newer.actor, newer.target), (None, None));
    assert_eq!(
        (newer.ip.as_deref(), newer.user_agent.as_deref()),
        (None, None)
    );
    assert_eq!(newer.detail, json!({}));
    assert!(older.at.offset().is_utc());
}

pub async fn audit_events_outlive_the_accounts_they_name(f: &Fixture) {
    let alice = f.user("alice").await;
    let mut registered = event(1, AuditKind::Registered, T0);
    registered.target = Some(alice.id);
    f.store.append_audit(&registered).await.unwrap();
    // An id that never existed is recorded as given: no foreign key.
    let mut stranger = event(2, AuditKind::LoginFailed, T0);
    stranger.actor = Some(UserId(424_242));
    f.store.append_audit(&stranger).await.unwrap();

    assert_eq!(
        f.execute("DELETE FROM users WHERE id = $1", alice.id.0)
            .await,
        1
    );
    let by_alice = AuditFilter {
        user: Some(alice.id),
        ..all()
    };
    assert_eq!(listed(f, by_alice).await, vec![1]);
    assert_eq!(listed(f, all()).await, vec![2, 1]);
}

pub async fn audit_lists_newest_first_and_filters_by_user_kind_and_time(f: &Fixture) {
    let (alice, bob, carol) = (UserId(1), UserId(2), UserId(3));
    let at = |minutes| T0 + Duration::minutes(minutes);
    let events = [
        event(1, AuditKind::Registered, at(0)).target(alice),
        event(2, AuditKind::LoginSucceeded, at(1)).by(alice),
        event(3, AuditKind::LoginFailed, at(2)).target(bob),
        event(4, AuditKind::UserDeactivated, at(3))
            .actor(alice)
            .target(bob),
        event(5, AuditKind::LoginFailed, at(4)).target(alice),
        event(6, AuditKind::LoginSucceeded, at(5)).by(carol),
        // Recorded last but stamped earliest (a slow writer, a clock step):
        // "newest" means most recently recorded.
        event(7, AuditKind::Unlocked, at(-60)).target(carol),
    ];
    for new in &events {
        f.store.append_audit(new).await.unwrap();
    }

    assert_eq!(listed(f, all()).await, vec![7, 6, 5, 4, 3, 2, 1]);

    let user = |id| AuditFilter {
        user: Some(id),
        ..all()
    };
    // Actor or target; an event naming alice twice is listed once.
    assert_eq!(listed(f, user(alice)).await, vec![5, 4, 2, 1]);
    assert_eq!(listed(f, user(bob)).await, vec![4, 3]);
    assert_eq!(listed(f, user(carol)).await, vec![7, 6]);
    assert!(listed(f, user(UserId(99))).await.is_empty());

    let kind = |kind| AuditFilter {
        kind: Some(kind),
        ..all()
    };
    assert_eq!(listed(f, kind(AuditKind::LoginFailed)).await, vec![5, 3]);
    assert!(listed(f, kind(AuditKind::AdminCreated)).await.is_empty());

    // `since` is inclusive, `until` exclusive, so adjacent ranges tile.
    let between = |since, until| AuditFilter {
        since,
        until,
        ..all()
    };
    assert_eq!(
        listed(f, between(Some(T0 + Duration::minutes(2)), None)).await,
        vec![6, 5, 4, 3]
    );
    assert_eq!(
        listed(f, between(None, Some(T0 + Duration::minutes(2)))).await,
        vec![7, 2, 1]
    );
    assert_eq!(
        listed(
            f,
            between(
                Some(T0 + Duration::minutes(1)),
                Some(T0 + Duration::minutes(4))
            )
        )
        .await,
        vec![4, 3, 2]
    );
    // Instants compare at the stored millisecond.
    assert_eq!(
        listed(
            f,
            between(Some(T0_MS), Some(T0_MS + Duration::milliseconds(1)))
        )
        .await,
        vec![1]
    );

    let everything = AuditFilter {
        user: Some(alice),
        kind: Some(AuditKind::LoginFailed),
        since: Some(at(0)),
        until: Some(at(10)),
        ..all()
    };
    assert_eq!(listed(f, everything).await, vec![5]);
}

pub async fn audit_pages_by_offset_and_limit_and_count_ignores_them(f: &Fixture) {
    for n in 1..=25 {
        let new = event(n, AuditKind::LoginFailed, T0 + Duration::seconds(n));
        f.store.append_audit(&new).await.unwrap();
    }
    let page = |offset, limit| AuditFilter {
        offset,
        limit,
        ..AuditFilter::default()
    };
    let tags = |events: Vec<AuditEvent>| events.iter().map(tag).collect::<Vec<_>>();

    let first = f.store.list_audit(&page(0, 10)).await.unwrap();
    assert_eq!(tags(first), (16..=25).rev().collect::<Vec<_>>());
    let second = f.store.list_audit(&page(10, 10)).await.unwrap();
    assert_eq!(tags(second), (6..=15).rev().collect::<Vec<_>>());
    let last = f.store.list_audit(&page(20, 10)).await.unwrap();
    assert_eq!(tags(last), (1..=5).rev().collect::<Vec<_>>());
    assert!(f.store.list_audit(&page(25, 10)).await.unwrap().is_empty());
    assert_eq!(f.store.count_audit(&page(20, 10)).await.unwrap(), 25);

    // A limit below 1 still lists one event; a negative offset reads as 0.
    assert_eq!(
        tags(f.store.list_audit(&page(0, 0)).await.unwrap()),
        vec![25]
    );
    assert_eq!(
        tags(f.store.list_audit(&page(-5, -1)).await.unwrap()),
        vec![25]
    );
    assert_eq!(f.store.list_audit(&page(-5, 100)).await.unwrap().len(), 25);

    // No page is longer than 1000 events, whatever is asked for.
    let copies = f
        .execute(
            "INSERT INTO audit_events (at, kind, detail) \
             WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
             SELECT e.at, e.kind, e.detail FROM n, audit_events e WHERE e.id = \
             (SELECT MIN(id) FROM audit_events)",
            1000,
        )
        .await;
    assert_eq!(copies, 1000);
    assert_eq!(f.store.count_audit(&page(0, 0)).await.unwrap(), 1025);
    assert_eq!(
        f.store.list_audit(&page(0, i64::MAX)).await.unwrap().len(),
        1000
    );
    assert_eq!(
        f.store.list_audit(&page(1000, 5000)).await.unwrap().len(),
        25
    );
}
