//! Signing in with an OpenID provider, against the real provider on
//! loopback: the four cases of the linking rule, `next` and remember-me, a
//! second factor, an inactive account, and the pre-hijacking defence.

use crate::common::{Backend, PASSWORD, location, on_both_backends, set_cookies};
use crate::oidc_provider::TestUser;
use crate::oidc_support::{Setup, oidc_setup, start, start_with};
use reqwest::StatusCode;

/// Case 4 then case 1: a new identity with a verified address registers
/// (confirmed, no password) and signs in; next time the same identity
/// signs in to the same account. `next` and remember-me are kept.
async fn a_new_verified_identity_registers_once_and_signs_in_again(backend: Backend) {
    let setup = oidc_setup!(start(backend));
    setup
        .as_user(&TestUser::new("jane-sub").with_email("jane@corp.example", true))
        .await;
    let browser = setup.app.browser();
    let start = format!("/auth/oidc/{}/login?next=/profile&remember=1", setup.id);
    let (response, _) = setup.sign_in_from(&browser, &start).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/profile");
    let session_cookie = set_cookies(&response)
        .into_iter()
        .find(|c| c.starts_with("portcullis_session="))
        .expect("a session cookie");
    assert!(
        session_cookie.contains("Max-Age="),
        "remembered: {session_cookie}"
    );
    let me = Setup::me(&browser).await.expect("signed in");
    assert_eq!(me["email"], "jane@corp.example");
    assert_eq!(me["username"], "jane-sub");
    let registered = setup.events("registered");
    assert_eq!(registered.len(), 1);
    assert_eq!(registered[0]["detail"]["provider"], setup.id);
    assert_eq!(setup.events("identity_linked").len(), 1);
    // No password was made up for the account.
    let password_login = setup.app.browser().login("jane-sub", PASSWORD).await;
    assert_eq!(password_login.status(), StatusCode::UNAUTHORIZED);

    let again = setup.app.browser();
    let response = setup.sign_in(&again, "/").await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "{}",
        location(&response)
    );
    let me_again = Setup::me(&again).await.expect("signed in again");
    assert_eq!(me_again["id"], me["id"]);
    assert_eq!(setup.events("registered").len(), 1, "no second account");
}

/// Case 2: a verified address the operator trusts links the account that
/// confirmed it, signs it in, and mails the owner.
async fn a_trusted_verified_address_links_the_confirmed_account_and_tells_its_owner(
    backend: Backend,
) {
    let setup = oidc_setup!(start(backend));
    let owner = setup.app.logged_in("alice").await;
    let alice = Setup::me(&owner).await.unwrap();
    setup
        .app
        .sql("UPDATE users SET confirmed_at = created_at WHERE username = 'alice'")
        .await;
    setup
        .as_user(&TestUser::new("alice-at-corp").with_email("ALICE@example.com", true))
        .await;
    let browser = setup.app.browser();
    let response = setup.sign_in(&browser, "/").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let me = Setup::me(&browser).await.expect("signed in");
    assert_eq!(me["id"], alice["id"]);
    setup
        .app
        .mail
        .wait_for_subject("alice@example.com", "A sign-in provider was linked", 1)
        .await;
}

/// Case 3: an address the provider did not verify links and creates
/// nothing; the page is the same whether or not an account holds it, and
/// the emailed link completes linking (existing account) or registration.
async fn an_unverified_address_links_nothing_until_the_mailed_link_and_looks_the_same_either_way(
    backend: Backend,
) {
    let setup = oidc_setup!(start(backend));
    let owner = setup.app.logged_in("bob").await;
    let bob = Setup::me(&owner).await.unwrap();
    setup
        .app
        .sql("UPDATE users SET confirmed_at = created_at WHERE username = 'bob'")
        .await;

    let mut pages = Vec::new();
    for (sub, email) in [
        ("bob-sub", "bob@example.com"),
        ("carol-sub", "carol@example.com"),
    ] {
        setup
            .as_user(&TestUser::new(sub).with_email(email, false))
            .await;
        let browser = setup.app.browser();
        let response = setup.sign_in(&browser, "/").await;
        assert_eq!(location(&response), "/auth/oidc/continue");
        assert!(Setup::me(&browser).await.is_none(), "not signed in");
        let (status, html) = browser.page("/auth/oidc/continue").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("follow the link we emailed"), "{html}");
        let csrf = crate::common::csrf_in(&html).unwrap_or_default();
        pages.push(html.replace(email, "<address>").replace(&csrf, "<csrf>"));
    }
    assert_eq!(pages[0], pages[1], "the page tells nothing about accounts");
    assert_eq!(setup.events("identity_linked").len(), 0);
    assert_eq!(
        setup.events("registered").len(),
        1,
        "only bob's own sign-up"
    );

    // Bob's link links his account and signs him in; used twice, it fails.
    let mail = setup
        .app
        .mail
        .wait_for_subject("bob@example.com", "Continue signing in", 1)
        .await;
    let path = mail.path("/auth/oidc/complete/");
    let browser = setup.app.browser();
    let response = browser.submit(&path, &path, &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(Setup::me(&browser).await.unwrap()["id"], bob["id"]);
    let replay = setup.app.browser().submit("/auth/login", &path, &[]).await;
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);

    // Carol had no account: her link registers one, confirmed.
    let mail = setup
        .app
        .mail
        .wait_for_subject("carol@example.com", "Continue signing in", 1)
        .await;
    assert!(mail.text().contains("create"), "{}", mail.text());
    let path = mail.path("/auth/oidc/complete/");
    let browser = setup.app.browser();
    let response = browser.submit(&path, &path, &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let carol = Setup::me(&browser).await.expect("carol signed in");
    assert_eq!(carol["email"], "carol@example.com");
    assert_eq!(setup.events("identity_linked").len(), 2);
}

/// The pre-hijacking attack: an attacker registers the victim's address
/// with a password and never confirms it. The victim signing in with the
/// provider gets nothing until the mailed link, and completing it ends the
/// attacker's password and session.
async fn completing_for_an_unconfirmed_account_ends_the_password_someone_else_set(
    backend: Backend,
) {
    let setup = oidc_setup!(start(backend));
    let attacker = setup.app.logged_in("victim").await;
    assert!(Setup::me(&attacker).await.is_some());
    // Verified and trusted, but the local account never proved the address.
    setup
        .as_user(&TestUser::new("victim-sub").with_email("victim@example.com", true))
        .await;
    let browser = setup.app.browser();
    let response = setup.sign_in(&browser, "/").await;
    assert_eq!(location(&response), "/auth/oidc/continue");
    assert!(Setup::me(&browser).await.is_none());

    let mail = setup
        .app
        .mail
        .wait_for_subject("victim@example.com", "Continue signing in", 1)
        .await;
    let path = mail.path("/auth/oidc/complete/");
    let response = browser.submit(&path, &path, &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(Setup::me(&browser).await.is_some(), "the owner is in");
    assert!(
        Setup::me(&attacker).await.is_none(),
        "the attacker's session ended"
    );
    let login = setup.app.browser().login("victim", PASSWORD).await;
    assert_eq!(
        login.status(),
        StatusCode::UNAUTHORIZED,
        "the attacker's password is gone"
    );
}

/// A password login on the proof page links the identity to that account.
async fn a_password_login_on_the_proof_page_links_the_identity(backend: Backend) {
    let setup = oidc_setup!(start_with(backend, "corp", None, |p, _| {
        p.trust_email = Some(false);
    }));
    let account = setup.app.logged_in("dave").await;
    let dave = Setup::me(&account).await.unwrap();
    account.logout().await;
    // A verified address, but the provider is not trusted for it.
    setup
        .as_user(&TestUser::new("dave-sub").with_email("dave@example.com", true))
        .await;
    let browser = setup.app.browser();
    let response = setup.sign_in(&browser, "/").await;
    assert_eq!(location(&response), "/auth/oidc/continue");
    let response = browser
        .submit(
            "/auth/login?next=/auth/oidc/continue",
            "/auth/login?next=/auth/oidc/continue",
            &[("username", "dave"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(location(&response), "/auth/oidc/continue");
    let (_, html) = browser.page("/auth/oidc/continue").await;
    assert!(html.contains("Link Corp"), "{html}");
    let response = browser
        .submit("/auth/oidc/continue", "/auth/oidc/continue/link", &[])
        .await;
    assert_eq!(location(&response), "/account/identities");

    let fresh = setup.app.browser();
    let response = setup.sign_in(&fresh, "/").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(Setup::me(&fresh).await.unwrap()["id"], dave["id"]);
}

/// The second factor still stands after a provider sign-in; an inactive
/// account is refused.
async fn the_second_factor_still_applies_and_inactive_accounts_are_refused(backend: Backend) {
    let setup = oidc_setup!(start(backend));
    let erin = setup.app.logged_in("erin").await;
    setup
        .app
        .sql("UPDATE users SET confirmed_at = created_at WHERE username = 'erin'")
        .await;
    crate::two_factor::enrol(&setup.app, &erin).await;
    setup
        .as_user(&TestUser::new("erin-sub").with_email("erin@example.com", true))
        .await;
    let browser = setup.app.browser();
    let response = setup.sign_in(&browser, "/profile").await;
    assert!(
        location(&response).starts_with("/auth/login-2fa"),
        "{}",
        location(&response)
    );
    assert!(
        Setup::me(&browser).await.is_none(),
        "half a login grants nothing"
    );

    setup
        .app
        .sql("UPDATE users SET is_active = FALSE WHERE username = 'erin'")
        .await;
    let browser = setup.app.browser();
    let response = setup.sign_in(&browser, "/").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let html = response.text().await.unwrap();
    assert!(html.contains("deactivated"), "{html}");
    assert!(Setup::me(&browser).await.is_none());
}

/// A provider that sends no address: the page asks for one and the link
/// goes there; a provider-made account sets a password through
/// forgot-password; the identities pages are for signed-in accounts only.
async fn no_address_asks_for_one_and_a_provider_account_can_set_a_password(backend: Backend) {
    let setup = oidc_setup!(start(backend));
    let anonymous = setup.app.browser();
    let page = anonymous.get("/account/identities").await;
    assert!(
        location(&page).starts_with("/auth/login"),
        "{}",
        location(&page)
    );
    assert_eq!(
        anonymous.get("/api/identities").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        location(&anonymous.get("/auth/oidc/continue").await),
        "/auth/login"
    );

    setup
        .as_user(&TestUser::new("lee-sub").with_email("", false))
        .await;
    let browser = setup.app.browser();
    let response = setup.sign_in(&browser, "/").await;
    assert_eq!(location(&response), "/auth/oidc/continue");
    let (_, html) = browser.page("/auth/oidc/continue").await;
    assert!(
        html.contains("did not tell us your email address"),
        "{html}"
    );
    let bad = browser
        .submit(
            "/auth/oidc/continue",
            "/auth/oidc/continue",
            &[("email", "nope")],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let sent = browser
        .submit(
            "/auth/oidc/continue",
            "/auth/oidc/continue",
            &[("email", "lee@example.com")],
        )
        .await;
    assert_eq!(sent.status(), StatusCode::OK);
    let mail = setup
        .app
        .mail
        .wait_for_subject("lee@example.com", "Continue signing in", 1)
        .await;
    let path = mail.path("/auth/oidc/complete/");
    let response = browser.submit(&path, &path, &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let lee = Setup::me(&browser).await.expect("registered and signed in");
    assert_eq!(lee["email"], "lee@example.com");

    // No password yet; forgot-password sets one.
    let username = lee["username"].as_str().unwrap().to_owned();
    let ask = setup
        .app
        .browser()
        .submit(
            "/auth/forgot-password",
            "/auth/forgot-password",
            &[("email", "lee@example.com")],
        )
        .await;
    assert_eq!(ask.status(), StatusCode::OK);
    let mail = setup
        .app
        .mail
        .wait_for_subject("lee@example.com", "Reset your password", 1)
        .await;
    let path = mail.path("/auth/reset-password/");
    let fresh = setup.app.browser();
    let set = fresh
        .submit(
            &path,
            &path,
            &[("password", PASSWORD), ("password_confirm", PASSWORD)],
        )
        .await;
    assert_eq!(set.status(), StatusCode::SEE_OTHER);
    let login = setup.app.browser().login(&username, PASSWORD).await;
    assert_eq!(
        login.status(),
        StatusCode::SEE_OTHER,
        "the new password works"
    );
}

on_both_backends!(
    a_new_verified_identity_registers_once_and_signs_in_again,
    a_trusted_verified_address_links_the_confirmed_account_and_tells_its_owner,
    an_unverified_address_links_nothing_until_the_mailed_link_and_looks_the_same_either_way,
    completing_for_an_unconfirmed_account_ends_the_password_someone_else_set,
    a_password_login_on_the_proof_page_links_the_identity,
    the_second_factor_still_applies_and_inactive_accounts_are_refused,
    no_address_asks_for_one_and_a_provider_account_can_set_a_password,
);
