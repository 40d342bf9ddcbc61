//! Linked providers from the account's side (linking from the account
//! page, unlinking never the last way in, the API), every failure landing
//! on the login page audited, and the routes of the Flask tutorials.

use crate::common::{Backend, PASSWORD, location, on_both_backends};
use crate::oidc_provider::TestUser;
use crate::oidc_support::{Setup, oidc_setup, start, start_with};
use reqwest::StatusCode;
use serde_json::Value;

async fn identities(browser: &crate::common::Browser) -> Value {
    let response = browser.get("/api/identities").await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// Linking from the account page binds the identity to the signed-in
/// account; unlinking is refused when it is the only way in.
async fn linking_from_the_account_page_and_the_unlinking_rules(backend: Backend) {
    let setup = oidc_setup!(start(backend));
    // An account with a password links the provider from its page.
    let frank = setup.app.logged_in("frank").await;
    setup
        .as_user(&TestUser::new("frank-sub").with_email("someone-else@corp.example", false))
        .await;
    let token = frank.csrf_token("/account/identities").await;
    let action = format!("/account/identities/link/{}", setup.id);
    let start = frank
        .post_form(&action, &[("csrf_token", token.as_str())])
        .await;
    assert_eq!(start.status(), StatusCode::SEE_OTHER);
    let provider_url = location(&start);
    // Follow the provider from its authorization URL.
    let (response, _) = setup.sign_in_from(&frank, &provider_url).await;
    assert_eq!(location(&response), "/account/identities", "linked");
    let linked = identities(&frank).await;
    assert_eq!(linked["identities"].as_array().unwrap().len(), 1);
    assert_eq!(linked["has_password"], true);

    // Without CSRF the link cannot be started for someone.
    let forged = frank.post_form(&action, &[]).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    // A provider-made account has no password: its only identity stays.
    setup
        .as_user(&TestUser::new("gina-sub").with_email("gina@corp.example", true))
        .await;
    let gina = setup.app.browser();
    setup.sign_in(&gina, "/").await;
    let mine = identities(&gina).await;
    assert_eq!(mine["has_password"], false);
    let id = mine["identities"][0]["id"].as_i64().unwrap();
    let csrf = crate::admin::csrf(&gina).await;
    let refused = gina
        .client
        .delete(gina.url(&format!("/api/identities/{id}")))
        .header("X-CSRF-Token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    // Another account's identity is not found, not unlinked.
    let frank_id = linked["identities"][0]["id"].as_i64().unwrap();
    let other = gina
        .client
        .delete(gina.url(&format!("/api/identities/{frank_id}")))
        .header("X-CSRF-Token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        identities(&frank).await["identities"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Frank has a password, so he may unlink his.
    let token = frank.csrf_token("/account/identities").await;
    let response = frank
        .post_form(
            &format!("/account/identities/{frank_id}/unlink"),
            &[("csrf_token", token.as_str())],
        )
        .await;
    assert_eq!(location(&response), "/account/identities");
    assert_eq!(
        identities(&frank).await["identities"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(setup.events("identity_unlinked").len(), 1);
}

/// Every failure returns to the login page with a message, is audited as
/// `oidc_<reason>`, and is never a 500.
async fn every_failure_lands_on_the_login_page_and_is_audited(backend: Backend) {
    let setup = oidc_setup!(start(backend));
    setup.as_user(&TestUser::new("hank-sub")).await;

    // The person cancels at the provider.
    setup.provider.deny_next().await;
    let browser = setup.app.browser();
    let response = setup.sign_in(&browser, "/").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.unwrap().contains("cancelled"));

    // A callback replayed, and one opened in another browser.
    let browser = setup.app.browser();
    let start = format!("/auth/oidc/{}/login", setup.id);
    let (response, callback) = setup.sign_in_from(&browser, &start).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let path = callback.replacen(&browser.base, "", 1);
    let replayed = browser.get(&path).await;
    assert_eq!(replayed.status(), StatusCode::BAD_REQUEST);
    assert!(
        replayed
            .text()
            .await
            .unwrap()
            .contains("expired or was already used")
    );

    let victim = setup.app.browser();
    let (_, callback) = {
        let attacker = setup.app.browser();
        // The attacker stops before the callback and sends it to a victim.
        let mut url = url::Url::parse(&attacker.url(&start)).unwrap();
        let mut response = attacker.client.get(url.clone()).send().await.unwrap();
        loop {
            let next = url.join(&location(&response)).unwrap();
            if next.as_str().starts_with(&attacker.base) {
                break (response, next.to_string());
            }
            response = attacker.client.get(next.clone()).send().await.unwrap();
            url = next;
        }
    };
    let answer = victim.get(&callback.replacen(&victim.base, "", 1)).await;
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    assert!(Setup::me(&victim).await.is_none());

    // No state at all, or a made-up one; an unknown provider.
    let cb = format!("/auth/oidc/{}/callback", setup.id);
    assert_eq!(browser.get(&cb).await.status(), StatusCode::BAD_REQUEST);
    let made_up = format!("{cb}?code=x&state=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    assert_eq!(
        browser.get(&made_up).await.status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        browser.get("/auth/oidc/nobody/login").await.status(),
        StatusCode::NOT_FOUND
    );

    let reasons = setup.oidc_failures();
    for expected in [
        "oidc_access_denied",
        "oidc_unknown_state",
        "oidc_other_browser",
        "oidc_missing_state",
    ] {
        assert!(
            reasons.iter().any(|r| r == expected),
            "{expected} not in {reasons:?}"
        );
    }
}

/// A provider that is down: the rest works, the button says so.
async fn a_provider_that_is_down_answers_temporarily_unavailable(backend: Backend) {
    let setup = oidc_setup!(start_with(backend, "corp", None, |p, _| {
        p.issuer = Some("http://127.0.0.1:9/nothing-listens".into());
    }));
    let browser = setup.app.browser();
    let response = browser.get("/auth/oidc/corp/login").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("temporarily unavailable")
    );
    let account = setup.app.logged_in("ivy").await;
    assert!(
        Setup::me(&account).await.is_some(),
        "password logins still work"
    );
}

/// `google` keeps the tutorials' routes: `/auth/login/google` starts, and
/// the registered `/authorize/google` finishes. The login page has its
/// button and the API lists it.
async fn google_keeps_the_routes_of_the_flask_tutorials(backend: Backend) {
    let setup = oidc_setup!(start_with(
        backend,
        "google",
        Some("/authorize/google"),
        |p, _| {
            p.name = None;
        }
    ));
    setup
        .as_user(&TestUser::new("google-sub").with_email("jo@gmail.example", true))
        .await;
    let (_, html) = setup.app.browser().page("/auth/login").await;
    assert!(html.contains("Sign in with Google"), "{html}");
    let listed: Value = setup
        .app
        .browser()
        .get("/api/oidc/providers")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed["providers"][0]["login_url"],
        "/auth/oidc/google/login"
    );

    let browser = setup.app.browser();
    let (response, callback) = setup
        .sign_in_from(&browser, "/auth/login/google?next=/profile")
        .await;
    assert!(callback.contains("/authorize/google?"), "{callback}");
    assert_eq!(location(&response), "/profile");
    assert!(Setup::me(&browser).await.is_some());
    // A password account was not made up on the way.
    assert_eq!(
        setup
            .app
            .browser()
            .login("google-sub", PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

/// An account without a password proves itself again for a sensitive page
/// through the provider (`prompt=login`, `max_age`), and with
/// `logout_at_provider` logging out ends the provider's session too.
async fn a_passwordless_account_reauthenticates_at_the_provider_and_logs_out_there(
    backend: Backend,
) {
    let setup = oidc_setup!(start_with(backend, "corp", None, |p, _| {
        p.logout_at_provider = true;
    }));
    setup
        .as_user(&TestUser::new("kim-sub").with_email("kim@corp.example", true))
        .await;
    let browser = setup.app.browser();
    setup.sign_in(&browser, "/").await;
    assert!(Setup::me(&browser).await.is_some());
    // The login is now sixteen minutes old: sensitive pages ask again.
    let stale = match backend {
        Backend::Sqlite => "UPDATE sessions SET authenticated_at = authenticated_at - 960000",
        Backend::Postgres => {
            "UPDATE sessions SET authenticated_at = authenticated_at - interval '16 minutes'"
        }
    };
    setup.app.sql(stale).await;
    let response = browser.get("/auth/change-password").await;
    assert!(location(&response).starts_with("/auth/reauthenticate"));
    let (_, html) = browser
        .page("/auth/reauthenticate?next=/auth/change-password")
        .await;
    assert!(html.contains("Confirm with Corp"), "{html}");
    let token = crate::common::csrf_in(&html).unwrap();
    let start = browser
        .post_form(
            &format!("/auth/reauthenticate/oidc/{}", setup.id),
            &[
                ("csrf_token", token.as_str()),
                ("next", "/auth/change-password"),
            ],
        )
        .await;
    let asked = url::Url::parse(&location(&start)).unwrap();
    let param = |name: &str| {
        asked
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(param("prompt").as_deref(), Some("login"));
    assert!(param("max_age").is_some(), "{asked}");
    let (response, _) = setup.sign_in_from(&browser, asked.as_str()).await;
    assert_eq!(location(&response), "/auth/change-password");
    assert_eq!(
        browser.get("/auth/change-password").await.status(),
        StatusCode::OK
    );
    assert_eq!(setup.events("reauthenticated").len(), 1);

    let response = browser.logout().await;
    let to = location(&response);
    assert!(
        to.starts_with(&setup.provider.issuer()) && to.contains("post_logout_redirect_uri"),
        "{to}"
    );
    assert!(Setup::me(&browser).await.is_none());
}

/// Starting flows is rate-limited per client address.
async fn starting_sign_ins_is_rate_limited_per_address(backend: Backend) {
    let setup = oidc_setup!(start_with(backend, "corp", None, |_, settings| {
        settings.rate_limit.enabled = true;
        settings.rate_limit.login_per_ip.max = 3;
    }));
    let browser = setup.app.browser();
    let path = format!("/auth/oidc/{}/login", setup.id);
    for _ in 0..3 {
        assert_eq!(browser.get(&path).await.status(), StatusCode::SEE_OTHER);
    }
    let refused = browser.get(&path).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
}

/// ID tokens no honest provider sends (from the test-only provider): each
/// is refused on the login page, audited with its reason, and signs no one
/// in; an honest one from the same provider does.
async fn forged_id_tokens_sign_no_one_in(backend: Backend) {
    use crate::fake_provider::{FakeProvider, Misbehaviour};
    use crate::oidc_support::{client, follow, free_port, me, oidc_failures, server};
    let port = free_port();
    let fake = FakeProvider::start(vec![client(port, "corp", None)]).await;
    let Some(app) = server(backend, port, "corp", fake.issuer(), None, |_, _| {}).await else {
        return;
    };
    for (misbehaviour, reason) in [
        (Misbehaviour::WrongSignature, "oidc_signature"),
        (Misbehaviour::AlgNone, "oidc_algorithm"),
        (Misbehaviour::WrongAudience, "oidc_audience"),
        (Misbehaviour::WrongIssuer, "oidc_issuer"),
        (Misbehaviour::Expired, "oidc_expired"),
        (Misbehaviour::NonceMismatch, "oidc_nonce"),
    ] {
        fake.misbehave(misbehaviour);
        let browser = app.browser();
        let (response, _) = follow(&browser, "/auth/oidc/corp/login").await;
        assert_eq!(
            response.status(),
            StatusCode::BAD_REQUEST,
            "{misbehaviour:?}"
        );
        assert!(me(&browser).await.is_none(), "{misbehaviour:?}");
        let reasons = oidc_failures(&app);
        assert!(
            reasons.iter().any(|r| r == reason),
            "{reason} not in {reasons:?}"
        );
    }
    fake.misbehave(Misbehaviour::Honest);
    let browser = app.browser();
    let (response, _) = follow(&browser, "/auth/oidc/corp/login").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(me(&browser).await.is_some(), "the honest token signs in");
}

/// Two unlinks at once of an account's two identities, with no password:
/// one goes, the other is refused, and the account keeps a way in.
async fn parallel_unlinks_never_leave_an_account_without_a_way_in(backend: Backend) {
    let setup = oidc_setup!(start(backend));
    setup
        .as_user(&TestUser::new("nell-1").with_email("nell@corp.example", true))
        .await;
    let nell = setup.app.browser();
    setup.sign_in(&nell, "/").await;
    // A second account at the provider, linked from the account page.
    setup
        .as_user(&TestUser::new("nell-2").with_email("nell.two@corp.example", true))
        .await;
    let token = nell.csrf_token("/account/identities").await;
    let start = nell
        .post_form(
            &format!("/account/identities/link/{}", setup.id),
            &[("csrf_token", token.as_str())],
        )
        .await;
    setup.sign_in_from(&nell, &location(&start)).await;
    let linked = identities(&nell).await;
    let ids: Vec<i64> = linked["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "{linked}");
    assert_eq!(linked["has_password"], false);

    let csrf = crate::admin::csrf(&nell).await;
    let unlink = |id: i64| {
        nell.client
            .delete(nell.url(&format!("/api/identities/{id}")))
            .header("X-CSRF-Token", &csrf)
            .send()
    };
    let (a, b) = tokio::join!(unlink(ids[0]), unlink(ids[1]));
    let mut statuses = vec![a.unwrap().status(), b.unwrap().status()];
    statuses.sort();
    assert_eq!(
        statuses,
        vec![StatusCode::NO_CONTENT, StatusCode::FORBIDDEN]
    );
    assert_eq!(
        identities(&nell).await["identities"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

on_both_backends!(
    linking_from_the_account_page_and_the_unlinking_rules,
    every_failure_lands_on_the_login_page_and_is_audited,
    a_provider_that_is_down_answers_temporarily_unavailable,
    google_keeps_the_routes_of_the_flask_tutorials,
    a_passwordless_account_reauthenticates_at_the_provider_and_logs_out_there,
    starting_sign_ins_is_rate_limited_per_address,
    forged_id_tokens_sign_no_one_in,
    parallel_unlinks_never_leave_an_account_without_a_way_in,
);
