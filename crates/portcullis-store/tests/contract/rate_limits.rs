//! Rate-limit counters: fixed windows per key, counted atomically by the
//! database so that every instance sharing it enforces one limit.

use crate::harness::{Fixture, T0, T0_MS};
use portcullis_core::store::RateCounter;
use time::{Duration, OffsetDateTime};

const WINDOW: Duration = Duration::minutes(1);

/// A hit on `key` at `now`, with windows of [`WINDOW`].
async fn hit(f: &Fixture, key: &str, now: OffsetDateTime) -> RateCounter {
    f.store.hit(key, now, now - WINDOW).await.unwrap()
}

fn counter(hits: i64, window_start: OffsetDateTime) -> RateCounter {
    RateCounter { hits, window_start }
}

pub async fn hits_count_up_within_a_window_and_restart_after_it(f: &Fixture) {
    let key = "login:ip:192.0.2.1";
    assert_eq!(hit(f, key, T0).await, counter(1, T0_MS));
    assert_eq!(
        hit(f, key, T0 + Duration::seconds(10)).await,
        counter(2, T0_MS)
    );
    let last_moment = T0_MS + WINDOW - Duration::milliseconds(1);
    assert_eq!(hit(f, key, last_moment).await, counter(3, T0_MS));

    // A window that began at the cutoff is over: the hit opens a new one.
    let next = T0_MS + WINDOW;
    assert_eq!(hit(f, key, next).await, counter(1, next));
    assert_eq!(
        hit(f, key, next + Duration::seconds(59)).await,
        counter(2, next)
    );

    // Long after, the count starts afresh rather than resuming.
    let much_later = T0 + Duration::hours(5);
    assert_eq!(
        hit(f, key, much_later).await,
        counter(1, T0_MS + Duration::hours(5))
    );
}

pub async fn rate_limit_keys_are_independent(f: &Fixture) {
    for expected in 1..=3 {
        assert_eq!(hit(f, "login:ip:a", T0).await.hits, expected);
    }
    assert_eq!(hit(f, "login:ip:b", T0).await.hits, 1);
    assert_eq!(hit(f, "login:account:a", T0).await.hits, 1);
    assert_eq!(hit(f, "login:ip:a", T0).await.hits, 4);
    // Keys are compared exactly, as given.
    assert_eq!(hit(f, "LOGIN:IP:A", T0).await.hits, 1);
}

pub async fn concurrent_hits_on_one_key_lose_none(f: &Fixture) {
    let hits: Vec<_> = (0..20)
        .map(|_| {
            let store = f.store.clone();
            tokio::spawn(async move { store.hit("register:ip:192.0.2.9", T0, T0 - WINDOW).await })
        })
        .collect();
    let mut counts = Vec::new();
    for hit in hits {
        let counter = hit.await.unwrap().unwrap();
        assert_eq!(counter.window_start, T0_MS);
        counts.push(counter.hits);
    }
    counts.sort_unstable();
    assert_eq!(counts, (1..=20).collect::<Vec<i64>>());
}

pub async fn purging_rate_limits_removes_only_windows_begun_before_the_cutoff(f: &Fixture) {
    hit(f, "old", T0).await;
    hit(f, "old", T0 + Duration::seconds(30)).await;
    hit(f, "edge", T0 + WINDOW).await;
    hit(f, "new", T0 + WINDOW * 2).await;
    let rows = "SELECT COUNT(*) FROM rate_limits WHERE hits >= $1";

    assert_eq!(f.store.purge_rate_limits(T0_MS).await.unwrap(), 0);
    assert_eq!(f.store.purge_rate_limits(T0_MS + WINDOW).await.unwrap(), 1);
    assert_eq!(f.count(rows, 1).await, 2);
    assert_eq!(f.store.purge_rate_limits(T0_MS + WINDOW).await.unwrap(), 0);

    // The purged key starts over; the others kept their counts.
    let later = T0 + WINDOW * 2 + Duration::seconds(1);
    assert_eq!(f.store.hit("old", later, T0).await.unwrap().hits, 1);
    assert_eq!(f.store.hit("edge", later, T0).await.unwrap().hits, 2);
    assert_eq!(f.store.hit("new", later, T0).await.unwrap().hits, 2);
}
