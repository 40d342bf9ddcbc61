//! `/account/sessions` and `/api/sessions`: seeing and ending one's own
//! sessions, and never anyone else's.

use crate::common::{Backend, PASSWORD, on_both_backends, spawn};
use reqwest::StatusCode;
use serde_json::Value;

on_both_backends!(
    a_user_sees_each_session_with_its_device_and_which_is_current,
    ending_a_session_logs_that_browser_out_on_its_next_request,
    ending_all_other_sessions_keeps_this_one,
    nobody_can_end_another_users_session,
    the_session_routes_refuse_anonymous_visitors,
    activity_is_written_at_most_once_a_minute,
);

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0";
const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36";

async fn sessions(browser: &crate::common::Browser) -> Vec<Value> {
    let body: Value = browser.get("/api/sessions").await.json().await.unwrap();
    body["sessions"].as_array().unwrap().clone()
}

async fn a_user_sees_each_session_with_its_device_and_which_is_current(backend: Backend) {
    let app = spawn!(backend);
    app.browser()
        .register("alice", "alice@example.com", PASSWORD)
        .await;
    let laptop = app.browser_as(FIREFOX);
    laptop.login("alice", PASSWORD).await;
    let desktop = app.browser_as(CHROME);
    desktop.login("alice", PASSWORD).await;

    let listed = sessions(&laptop).await;
    assert_eq!(listed.len(), 2);
    let current: Vec<&Value> = listed.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["device"], "Firefox 120 on Linux");
    assert!(
        listed
            .iter()
            .any(|s| s["device"].as_str().unwrap().starts_with("Chrome 119"))
    );
    assert!(listed.iter().all(|s| s["ip"] == "127.0.0.1"));
    assert!(
        listed
            .iter()
            .all(|s| s.get("token_hash").is_none() && s.get("token").is_none())
    );

    let (status, html) = laptop.page("/account/sessions").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Firefox 120 on Linux"));
    assert!(html.contains("(this browser)"));
    assert!(html.contains("End all other sessions"));
}

async fn ending_a_session_logs_that_browser_out_on_its_next_request(backend: Backend) {
    let app = spawn!(backend);
    app.browser()
        .register("alice", "alice@example.com", PASSWORD)
        .await;
    let mine = app.browser_as(FIREFOX);
    mine.login("alice", PASSWORD).await;
    let stolen = app.browser_as(CHROME);
    stolen.login("alice", PASSWORD).await;
    assert_eq!(stolen.get("/profile").await.status(), StatusCode::OK);

    let other = sessions(&mine)
        .await
        .into_iter()
        .find(|s| s["current"] == false)
        .unwrap();
    let token = mine.csrf_token("/account/sessions").await;
    let path = format!("/account/sessions/{}/revoke", other["id"]);
    // Without the CSRF token nothing happens.
    assert_eq!(
        mine.post_form(&path, &[]).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(stolen.get("/profile").await.status(), StatusCode::OK);

    let response = mine.post_form(&path, &[("csrf_token", &token)]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, html) = mine.page("/account/sessions").await;
    assert!(html.contains("The session has been ended."));
    assert_eq!(
        stolen.get("/profile").await.status(),
        StatusCode::SEE_OTHER,
        "the very next request"
    );
    assert_eq!(mine.get("/profile").await.status(), StatusCode::OK);
    assert_eq!(sessions(&mine).await.len(), 1);
}

async fn ending_all_other_sessions_keeps_this_one(backend: Backend) {
    let app = spawn!(backend);
    app.browser()
        .register("alice", "alice@example.com", PASSWORD)
        .await;
    let browsers: Vec<_> = (0..3).map(|_| app.browser()).collect();
    for b in &browsers {
        b.login("alice", PASSWORD).await;
    }
    let me: Value = browsers[0].get("/api/me").await.json().await.unwrap();
    let response = browsers[0]
        .client
        .post(browsers[0].url("/api/sessions/revoke-others"))
        .header("x-csrf-token", me["csrf_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().await.unwrap()["revoked"], 2);
    assert_eq!(browsers[0].get("/api/me").await.status(), StatusCode::OK);
    for b in &browsers[1..] {
        assert_eq!(b.get("/api/me").await.status(), StatusCode::UNAUTHORIZED);
    }
}

async fn nobody_can_end_another_users_session(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let mallory = app.logged_in("mallory").await;
    let alices = sessions(&alice).await[0]["id"].clone();

    let csrf: Value = mallory.get("/api/me").await.json().await.unwrap();
    let response = mallory
        .client
        .delete(mallory.url(&format!("/api/sessions/{alices}")))
        .header("x-csrf-token", csrf["csrf_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::NOT_FOUND,
        "indistinguishable from no such session"
    );
    let token = mallory.csrf_token("/account/sessions").await;
    let response = mallory
        .post_form(
            &format!("/account/sessions/{alices}/revoke"),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        alice.get("/profile").await.status(),
        StatusCode::OK,
        "alice is still logged in"
    );
    // Malformed ids are client errors too.
    let response = mallory
        .client
        .delete(mallory.url("/api/sessions/not-a-number"))
        .header("x-csrf-token", csrf["csrf_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

async fn the_session_routes_refuse_anonymous_visitors(backend: Backend) {
    let app = spawn!(backend);
    let anonymous = app.browser();
    let response = anonymous.get("/account/sessions").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        crate::common::location(&response),
        "/auth/login?next=%2Faccount%2Fsessions"
    );
    assert_eq!(
        anonymous.get("/api/sessions").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let response = anonymous
        .client
        .delete(anonymous.url("/api/sessions/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = anonymous
        .client
        .post(anonymous.url("/api/sessions/revoke-others"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

async fn activity_is_written_at_most_once_a_minute(backend: Backend) {
    let app = spawn!(backend);
    let browser = app.logged_in("alice").await;
    let first = sessions(&browser).await[0]["last_seen_at"].clone();
    app.clock.advance(time::Duration::seconds(30));
    assert_eq!(
        sessions(&browser).await[0]["last_seen_at"],
        first,
        "not rewritten within the minute"
    );
    app.clock.advance(time::Duration::seconds(31));
    let later = sessions(&browser).await[0]["last_seen_at"].clone();
    assert_ne!(later, first);
    let me: Value = browser.get("/api/me").await.json().await.unwrap();
    assert!(
        me["user"]["last_seen_at"].is_string(),
        "the user's last_seen_at follows"
    );
}
