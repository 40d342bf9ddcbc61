//! The token pages a person uses: making a token (after a recent login),
//! seeing its secret once, revoking it, and the offer to revoke named
//! tokens after a password change.

use crate::common::{Backend, PASSWORD, csrf_in, location, on_both_backends, spawn};
use crate::tokens::Script;
use reqwest::StatusCode;
use time::Duration;

on_both_backends!(
    a_token_is_made_on_the_page_shown_once_and_revoked_there,
    making_a_token_needs_a_recent_login_and_the_csrf_token,
    after_a_password_change_the_page_offers_to_revoke_named_tokens,
);

/// The secret in the page that answers a new token.
fn secret_in(html: &str) -> String {
    let document = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse("input#secret").unwrap();
    document
        .select(&selector)
        .next()
        .and_then(|input| input.value().attr("value"))
        .unwrap()
        .to_owned()
}

async fn a_token_is_made_on_the_page_shown_once_and_revoked_there(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let (status, page) = alice.page("/account/tokens").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("No tokens yet."));
    assert!(page.contains("value=\"me:read\""));
    let made = alice
        .submit(
            "/account/tokens",
            "/account/tokens",
            &[
                ("name", "backup script"),
                ("scope", "me:read"),
                ("scope", "me:sessions"),
                ("expires", "30"),
            ],
        )
        .await;
    assert_eq!(made.status(), StatusCode::CREATED);
    assert_eq!(made.headers()["cache-control"], "no-store");
    let secret = secret_in(&made.text().await.unwrap());
    assert!(secret.starts_with("pcl_"));
    let script = Script::new(&app, &secret);
    assert_eq!(script.get("/api/sessions").await.0, StatusCode::OK);
    assert_eq!(script.get("/api/tokens").await.0, StatusCode::FORBIDDEN);

    let (_, page) = alice.page("/account/tokens").await;
    assert!(page.contains("backup script"));
    assert!(page.contains("me:read me:sessions"));
    assert!(!page.contains(&secret[4..]), "the secret is shown once");
    // Bad input re-renders the form with the reason, and makes nothing.
    let refused = alice
        .submit(
            "/account/tokens",
            "/account/tokens",
            &[("name", ""), ("scope", "users:manage")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(html.contains("Give the token a name"), "{html}");
    assert!(html.contains("You do not hold users:manage"), "{html}");

    let id = app
        .query_text("SELECT CAST(id AS TEXT) FROM api_tokens")
        .await;
    let revoked = alice
        .submit(
            "/account/tokens",
            &format!("/account/tokens/{id}/revoke"),
            &[],
        )
        .await;
    assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        script.get("/api/sessions").await.0,
        StatusCode::UNAUTHORIZED
    );
    let (_, page) = alice.page("/account/tokens").await;
    assert!(page.contains("The token has been revoked."));
    // Another user's token id is not found, and revokes nothing.
    let bob = app.logged_in("bob").await;
    let response = bob
        .submit("/account/tokens", "/account/tokens/1/revoke", &[])
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

async fn making_a_token_needs_a_recent_login_and_the_csrf_token(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let forged = alice
        .post_form(
            "/account/tokens",
            &[
                ("name", "x"),
                ("scope", "me:read"),
                ("csrf_token", "forged"),
            ],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let token = alice.csrf_token("/account/tokens").await;
    app.clock.advance(Duration::minutes(20));
    let late = alice
        .post_form(
            "/account/tokens",
            &[("name", "x"), ("scope", "me:read"), ("csrf_token", &token)],
        )
        .await;
    assert_eq!(late.status(), StatusCode::SEE_OTHER);
    assert!(location(&late).starts_with("/auth/reauthenticate?next="));
    assert_eq!(
        app.query_text("SELECT CAST(COUNT(*) AS TEXT) FROM api_tokens")
            .await,
        "0"
    );
    let again = alice
        .submit(
            "/auth/reauthenticate",
            "/auth/reauthenticate",
            &[("password", PASSWORD)],
        )
        .await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    let made = alice
        .submit(
            "/account/tokens",
            "/account/tokens",
            &[("name", "x"), ("scope", "me:read")],
        )
        .await;
    assert_eq!(made.status(), StatusCode::CREATED);
}

async fn after_a_password_change_the_page_offers_to_revoke_named_tokens(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let made = alice
        .submit(
            "/account/tokens",
            "/account/tokens",
            &[("name", "cron"), ("scope", "me:read")],
        )
        .await;
    let secret = secret_in(&made.text().await.unwrap());
    let new_password = "a whole new passphrase 42";
    let changed = alice
        .submit(
            "/auth/change-password",
            "/auth/change-password",
            &[
                ("current_password", PASSWORD),
                ("new_password", new_password),
                ("confirm_password", new_password),
            ],
        )
        .await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&changed), "/account/tokens?password_changed=1");
    let (_, page) = alice.page(&location(&changed)).await;
    assert!(page.contains("tokens you named below still work"), "{page}");
    assert_eq!(
        Script::new(&app, &secret).get("/api/me").await.0,
        StatusCode::OK
    );
    let token = csrf_in(&page).unwrap();
    let revoked = alice
        .post_form("/account/tokens/revoke-all", &[("csrf_token", &token)])
        .await;
    assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        Script::new(&app, &secret).get("/api/me").await.0,
        StatusCode::UNAUTHORIZED
    );
}
