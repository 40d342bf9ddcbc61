//! The administrators' user search: substring, filters, sort keys and pages.

use crate::harness::{Fixture, T0, new_user};
use portcullis_core::UserId;
use portcullis_core::domain::query::{UserQuery, UserSort};
use time::Duration;

/// Creates `name` with the email `email` (both keys lowercased).
async fn user_with_email(f: &Fixture, name: &str, email: &str) -> UserId {
    let mut new = new_user(name);
    new.email = Some(email.to_owned());
    new.email_key = Some(email.to_lowercase());
    f.store.create_user(&new).await.unwrap().id
}

/// The ids `query` finds, after checking that the count agrees with them.
async fn search(f: &Fixture, query: &UserQuery) -> Vec<UserId> {
    let ids: Vec<UserId> = f
        .store
        .search_users(query)
        .await
        .unwrap()
        .into_iter()
        .map(|user| user.id)
        .collect();
    let count = f.store.count_search_users(query).await.unwrap();
    assert_eq!(usize::try_from(count).unwrap(), ids.len(), "{query:?}");
    ids
}

/// A first page of 100 with nothing else set.
fn page() -> UserQuery {
    UserQuery {
        limit: 100,
        ..UserQuery::default()
    }
}

fn containing(text: &str) -> UserQuery {
    UserQuery {
        contains: Some(text.to_owned()),
        ..page()
    }
}

pub async fn a_search_matches_text_anywhere_in_the_username_or_the_email(f: &Fixture) {
    let alice = user_with_email(f, "Alice", "alice@example.com").await;
    let alfred = user_with_email(f, "alfred", "fred@example.com").await;
    let bob = user_with_email(f, "bob", "Al.Bob@example.com").await;
    let carol = user_with_email(f, "carol", "carol.al@example.com").await;

    assert_eq!(
        search(f, &containing("al")).await,
        [alice, alfred, bob, carol]
    );
    assert_eq!(search(f, &containing("alf")).await, [alfred]);
    assert_eq!(search(f, &containing("al.")).await, [bob]);
    assert_eq!(search(f, &containing("fred@")).await, [alfred]);
    // The middle and the end of a key count; case does not.
    assert_eq!(search(f, &containing("lice")).await, [alice]);
    assert_eq!(search(f, &containing("ROL.AL@")).await, [carol]);
    assert_eq!(search(f, &containing("example.com")).await.len(), 4);
    assert!(search(f, &containing("alicex")).await.is_empty());
    // An empty text is no filter.
    assert_eq!(search(f, &containing("")).await.len(), 4);
}

pub async fn percent_underscore_and_backslash_in_a_search_match_themselves(f: &Fixture) {
    let underscore = user_with_email(f, "a_b", "one@example.com").await;
    let percent = user_with_email(f, "a%c", "two@example.com").await;
    let _plain = user_with_email(f, "axb", "three@example.com").await;
    let _other = user_with_email(f, "abc", "four@example.com").await;
    let email = user_with_email(f, "zed", "z.a_z@example.com").await;

    assert_eq!(search(f, &containing("a_")).await, [underscore, email]);
    assert_eq!(search(f, &containing("_")).await, [underscore, email]);
    assert_eq!(search(f, &containing("%")).await, [percent]);
    assert_eq!(search(f, &containing("a%c")).await, [percent]);
    assert!(search(f, &containing("\\")).await.is_empty());
    assert!(search(f, &containing("a\\_")).await.is_empty());
}

pub async fn each_filter_narrows_the_search_alone_and_combined(f: &Fixture) {
    let now = T0 + Duration::hours(1);
    f.store.ensure_role("editor", "").await.unwrap();
    // locked, confirmed editor
    let ann = f.user("ann").await.id;
    // deactivated, unconfirmed
    let ben = f.user("ben").await.id;
    // lock run out, unconfirmed
    let cat = f.user("cat").await.id;
    // confirmed editor
    let dan = f.user("dan").await.id;
    for id in [ann, dan] {
        f.store.grant_role(id, "editor").await.unwrap();
        f.execute(
            "UPDATE users SET confirmed_at = created_at WHERE id = $1",
            id.0,
        )
        .await;
    }
    f.store
        .lock_user(ann, now + Duration::minutes(5), now)
        .await
        .unwrap();
    f.store
        .lock_user(cat, now - Duration::minutes(5), now - Duration::hours(1))
        .await
        .unwrap();
    f.store.set_active(ben, false, now).await.unwrap();

    let q = |edit: fn(&mut UserQuery)| {
        let mut query = UserQuery {
            now: Some(now),
            ..page()
        };
        edit(&mut query);
        query
    };
    assert_eq!(
        search(f, &q(|q| q.active = Some(true))).await,
        [ann, cat, dan]
    );
    assert_eq!(search(f, &q(|q| q.active = Some(false))).await, [ben]);
    assert_eq!(
        search(f, &q(|q| q.confirmed = Some(true))).await,
        [ann, dan]
    );
    assert_eq!(
        search(f, &q(|q| q.confirmed = Some(false))).await,
        [ben, cat]
    );
    assert_eq!(search(f, &q(|q| q.locked = Some(true))).await, [ann]);
    assert_eq!(
        search(f, &q(|q| q.locked = Some(false))).await,
        [ben, cat, dan]
    );
    assert_eq!(
        search(f, &q(|q| q.role = Some("editor".into()))).await,
        [ann, dan]
    );
    assert!(
        search(f, &q(|q| q.role = Some("nobody".into())))
            .await
            .is_empty()
    );

    let combined = |q: &mut UserQuery| {
        q.role = Some("editor".into());
        q.active = Some(true);
        q.confirmed = Some(true);
    };
    assert_eq!(search(f, &q(combined)).await, [ann, dan]);
    let unlocked_editors = |q: &mut UserQuery| {
        q.role = Some("editor".into());
        q.active = Some(true);
        q.confirmed = Some(true);
        q.locked = Some(false);
    };
    assert_eq!(search(f, &q(unlocked_editors)).await, [dan]);
    let with_text = |q: &mut UserQuery| {
        q.contains = Some("at".into());
        q.active = Some(true);
        q.confirmed = Some(false);
    };
    assert_eq!(search(f, &q(with_text)).await, [cat]);

    // Without an instant to judge by, any recorded lock counts.
    let mut query = page();
    query.locked = Some(true);
    assert_eq!(search(f, &query).await, [ann, cat]);
    query.locked = Some(false);
    assert_eq!(search(f, &query).await, [ben, dan]);
}

pub async fn each_sort_key_orders_both_ways_with_never_logged_in_users_last(f: &Fixture) {
    // (username, email, created after T0 by, logged in after T0 by)
    let rows = [
        ("carol", "b@example.com", 2, Some(1)),
        ("alice", "d@example.com", 1, None),
        ("dave", "a@example.com", 3, Some(3)),
        ("bob", "c@example.com", 0, None),
        ("erin", "e@example.com", 1, Some(2)),
    ];
    let mut ids = Vec::new();
    for (name, email, created, login) in rows {
        let mut new = new_user(name);
        new.email = Some(email.into());
        new.email_key = Some(email.into());
        new.created_at = T0 + Duration::minutes(created);
        let id = f.store.create_user(&new).await.unwrap().id;
        if let Some(login) = login {
            f.store
                .record_login(id, T0 + Duration::hours(login), None)
                .await
                .unwrap();
        }
        ids.push(id);
    }
    let [carol, alice, dave, bob, erin] = ids[..] else {
        unreachable!()
    };

    let expected = [
        (UserSort::Id, vec![carol, alice, dave, bob, erin]),
        (UserSort::Username, vec![alice, bob, carol, dave, erin]),
        (UserSort::Email, vec![dave, carol, bob, alice, erin]),
        // alice and erin were created together: id breaks the tie.
        (UserSort::CreatedAt, vec![bob, alice, erin, carol, dave]),
        (UserSort::LastLogin, vec![carol, erin, dave, alice, bob]),
    ];
    for (sort, ascending) in expected {
        let mut query = UserQuery { sort, ..page() };
        assert_eq!(search(f, &query).await, ascending, "{sort:?} ascending");
        query.descending = true;
        let mut descending = ascending.clone();
        if sort == UserSort::LastLogin {
            // Never logged in stays last; among them, the higher id first.
            descending = vec![dave, erin, carol, bob, alice];
        } else {
            descending.reverse();
        }
        assert_eq!(search(f, &query).await, descending, "{sort:?} descending");
    }
}

pub async fn a_hundred_users_page_stably_with_ties_broken_by_id(f: &Fixture) {
    // All created at the same instant and none ever logged in: every sort
    // but username and email is one big tie.
    let mut created = Vec::new();
    for i in 0..100 {
        created.push(f.user(&format!("user{:03}", (i * 37) % 100)).await.id);
    }
    let mut reversed = created.clone();
    reversed.reverse();

    for sort in [UserSort::Id, UserSort::CreatedAt, UserSort::LastLogin] {
        for descending in [false, true] {
            let mut paged = Vec::new();
            for offset in (0..100).step_by(7) {
                let query = UserQuery {
                    sort,
                    descending,
                    offset,
                    limit: 7,
                    ..UserQuery::default()
                };
                paged.extend(search_page(f, &query).await);
            }
            let expected = if descending { &reversed } else { &created };
            assert_eq!(&paged, expected, "{sort:?} descending={descending}");
        }
    }

    let query = UserQuery {
        contains: Some("user01".into()),
        offset: 5,
        limit: 3,
        ..UserQuery::default()
    };
    assert_eq!(search_page(f, &query).await.len(), 3);
    assert_eq!(f.store.count_search_users(&query).await.unwrap(), 10);
    assert_eq!(f.store.count_search_users(&page()).await.unwrap(), 100);
}

/// One page of ids, whose count may exceed it.
async fn search_page(f: &Fixture, query: &UserQuery) -> Vec<UserId> {
    let users = f.store.search_users(query).await.unwrap();
    users.into_iter().map(|user| user.id).collect()
}

pub async fn a_page_holds_at_least_one_and_at_most_five_hundred_users(f: &Fixture) {
    for i in 0..3 {
        f.user(&format!("user{i}")).await;
    }
    let sized = |offset, limit| UserQuery {
        offset,
        limit,
        ..UserQuery::default()
    };
    assert_eq!(search_page(f, &sized(0, 0)).await.len(), 1);
    assert_eq!(search_page(f, &sized(0, -5)).await.len(), 1);
    assert_eq!(search_page(f, &sized(-10, 2)).await.len(), 2);
    assert_eq!(search_page(f, &sized(0, i64::MAX)).await.len(), 3);
    assert!(search_page(f, &sized(3, 10)).await.is_empty());
    assert_eq!(f.store.count_search_users(&sized(3, 10)).await.unwrap(), 3);
}

pub async fn usernames_of_names_the_accounts_that_exist(f: &Fixture) {
    let ann = f.user("Ann").await.id;
    let ben = f.user("ben").await.id;
    let gone = f.user("gone").await.id;
    f.store.delete_user(gone).await.unwrap();
    let mut names = f.store.usernames_of(&[ben, gone, ann, ann]).await.unwrap();
    names.sort();
    names.dedup();
    assert_eq!(names, [(ann, "Ann".to_owned()), (ben, "ben".to_owned())]);
    assert!(f.store.usernames_of(&[]).await.unwrap().is_empty());
}
