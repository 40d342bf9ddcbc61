//! The guards an embedding application uses, shown working in a small axum
//! app that mounts Portcullis beside its own routes.

use crate::common::{Backend, Browser, PASSWORD, spawn, test_settings};
use axum::Router;
use axum::routing::{get, post};
use portcullis_axum::guard::{self, RequirePermission};
use portcullis_axum::{
    Bearer, CurrentUser, Portcullis, RequireConfirmed, RequireRecentLogin, RequireTwoFactor,
    WebConfig,
};
use portcullis_core::{ManualClock, RequestContext};
use reqwest::StatusCode;
use std::sync::Arc;

portcullis_axum::permission!(DeletePosts = "posts:delete");

async fn delete_post(RequirePermission(user, ..): RequirePermission<DeletePosts>) -> String {
    format!("{} deleted a post", user.username)
}

async fn hello(CurrentUser(user): CurrentUser) -> String {
    format!("hello {}", user.username)
}

async fn members(RequireConfirmed(user): RequireConfirmed) -> String {
    format!("welcome, confirmed {}", user.username)
}

async fn vault(RequireTwoFactor(auth): RequireTwoFactor) -> String {
    format!("{} came in with two factors", auth.user.username)
}

async fn fresh(RequireRecentLogin(auth): RequireRecentLogin<60>) -> String {
    format!("{} logged in within the minute", auth.user.username)
}

async fn whoami(Bearer(caller): Bearer) -> String {
    format!("{} by token", caller.user.username)
}

crate::common::on_both_backends!(
    guards_answer_anonymous_users_editors_and_admins_as_each_expects,
    the_same_guards_answer_api_tokens_with_their_scopes_applied,
);

/// An embedding application on the test database: its own routes behind
/// the guards, Portcullis's beside them; accounts `plain`, `eddie` (role
/// `editor`: posts:delete, reports:read) and `boss` (admin).
struct Embedded {
    url: String,
    clock: Arc<ManualClock>,
    services: portcullis::Services,
}

async fn embedded(base: &crate::common::TestApp) -> Embedded {
    let settings = test_settings(&base.db_url);
    let clock = Arc::new(ManualClock::starting_now());
    let services = portcullis::Services::open(&settings, clock.clone())
        .await
        .unwrap();
    let auth = services.auth.clone();
    let config = WebConfig::new(
        "http://127.0.0.1/".parse().unwrap(),
        b"an embedding app's own secret, 32+ bytes".to_vec(),
    );
    let portcullis = Portcullis::new(auth.clone(), config).unwrap();
    let app = Router::new()
        .route("/hello", get(hello))
        .route("/posts/delete", post(delete_post).get(delete_post))
        .route("/members", get(members))
        .route("/vault", get(vault))
        .route("/fresh", get(fresh))
        .route("/api/whoami", get(whoami))
        .merge(
            Router::new()
                .route("/api/vault", get(|| async { "[]" }))
                .route_layer(guard::require_two_factor()),
        )
        .merge(
            Router::new()
                .route("/editors", get(|| async { "editors' desk" }))
                .route_layer(guard::require_any_role(["editor", "admin"])),
        )
        .merge(
            Router::new()
                .route("/admins", get(|| async { "admins only" }))
                .route_layer(guard::require_role("admin")),
        )
        .merge(
            Router::new()
                .route("/api/reports", get(|| async { "[]" }))
                .route_layer(guard::require_permission("reports:read")),
        )
        .merge(portcullis.routes());
    let app = portcullis.wrap(app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });

    // Roles and accounts, through the services.
    // An embedding application acts as the operator when it sets up roles.
    let ctx = RequestContext::cli();
    let operator = portcullis_core::Actor::system();
    auth.roles()
        .create(
            &operator.authorize().unwrap(),
            &portcullis_core::RoleSpec {
                name: "editor".into(),
                permissions: vec!["posts:delete".into(), "reports:read".into()],
                ..Default::default()
            },
            &ctx,
        )
        .await
        .unwrap();
    for name in ["plain", "eddie", "boss"] {
        let reg = auth
            .registration()
            .parse(name, &format!("{name}@example.com"), PASSWORD, PASSWORD)
            .unwrap();
        auth.registration().register(reg, &ctx).await.unwrap();
    }
    let manage: portcullis_core::Authorized<portcullis_core::access::UsersManage> =
        operator.authorize().unwrap();
    for (name, role) in [("eddie", "editor"), ("boss", "admin")] {
        let user = auth.accounts().find(&manage, name).await.unwrap();
        auth.accounts()
            .grant_role(&manage, user.id, role, &ctx)
            .await
            .unwrap();
    }
    Embedded {
        url,
        clock,
        services,
    }
}

async fn guards_answer_anonymous_users_editors_and_admins_as_each_expects(backend: Backend) {
    // A database via the test harness; then our own app on top of it.
    let base = spawn!(backend);
    let Embedded {
        url,
        clock,
        services,
    } = embedded(&base).await;

    let anonymous = Browser::new(&url);
    for path in ["/hello", "/editors", "/admins", "/posts/delete", "/members"] {
        let response = anonymous.get(path).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(
            crate::common::location(&response).starts_with("/auth/login?next="),
            "{path}"
        );
    }
    assert_eq!(
        anonymous.get("/api/reports").await.status(),
        StatusCode::UNAUTHORIZED
    );

    let login = |name: &'static str| {
        let url = url.clone();
        async move {
            let b = Browser::new(&url);
            assert_eq!(
                b.login(name, PASSWORD).await.status(),
                StatusCode::SEE_OTHER
            );
            b
        }
    };
    let plain = login("plain").await;
    let ed = login("eddie").await;
    let boss = login("boss").await;
    let expect = [
        ("/hello", [200, 200, 200]),
        ("/editors", [403, 200, 200]),
        ("/admins", [403, 403, 200]),
        // The admin role holds every permission, the application's too.
        ("/posts/delete", [403, 200, 200]),
        ("/api/reports", [403, 200, 200]),
        ("/members", [403, 403, 403]),
    ];
    for (path, statuses) in expect {
        for (browser, status) in [&plain, &ed, &boss].into_iter().zip(statuses) {
            assert_eq!(browser.get(path).await.status().as_u16(), status, "{path}");
        }
    }
    let (_, body) = ed.page("/posts/delete").await;
    assert_eq!(body, "eddie deleted a post");
    let forbidden = plain.get("/api/reports").await;
    assert_eq!(
        forbidden.json::<serde_json::Value>().await.unwrap()["error"]["code"],
        "forbidden"
    );
    let page = plain.get("/admins").await;
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("You do not have permission")
    );
    let unconfirmed = plain.get("/members").await.text().await.unwrap();
    assert!(unconfirmed.contains("confirm your email"));
    // Confirmed users pass the confirmation guard.
    base.sql("UPDATE users SET confirmed_at = created_at WHERE username_key = 'plain'")
        .await;
    assert_eq!(
        plain.page("/members").await,
        (StatusCode::OK, "welcome, confirmed plain".into())
    );

    // Step-up: a password session is not enough for the vault...
    assert_eq!(plain.get("/vault").await.status(), StatusCode::FORBIDDEN);
    let api = plain.get("/api/vault").await;
    assert_eq!(api.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        api.json::<serde_json::Value>().await.unwrap()["error"]["code"],
        "two_factor_required"
    );
    // ...and a login is fresh for a minute, then asks for the password again.
    assert_eq!(plain.get("/fresh").await.status(), StatusCode::OK);
    clock.advance(time::Duration::minutes(2));
    let stale = plain.get("/fresh").await;
    assert_eq!(
        crate::common::location(&stale),
        "/auth/reauthenticate?next=%2Ffresh"
    );
    // The boss turns on two factors, logs in with them, and gets in.
    let token = crate::admin::csrf(&boss).await;
    let confirmed = boss
        .post_json_with(
            "/api/reauthenticate",
            &token,
            &serde_json::json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::NO_CONTENT);
    let setup: serde_json::Value = boss
        .post_json_with("/api/2fa/setup", &token, &serde_json::json!({}))
        .await
        .json()
        .await
        .unwrap();
    let secret = setup["secret"].as_str().unwrap().to_owned();
    let unix = || {
        use portcullis_core::Clock as _;
        clock.now().unix_timestamp()
    };
    let enabled = boss
        .post_json_with(
            "/api/2fa/enable",
            &token,
            &serde_json::json!({"token": crate::totp::code(&secret, unix())}),
        )
        .await;
    assert_eq!(enabled.status(), StatusCode::OK);
    clock.advance(time::Duration::seconds(30));
    let two = Browser::new(&url);
    two.login("boss", PASSWORD).await;
    let done = two
        .submit(
            "/auth/login-2fa",
            "/auth/login-2fa",
            &[("token", &crate::totp::code(&secret, unix()))],
        )
        .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        two.page("/vault").await,
        (StatusCode::OK, "boss came in with two factors".into())
    );
    assert_eq!(two.get("/api/vault").await.status(), StatusCode::OK);
    services.database.close().await;
}

async fn the_same_guards_answer_api_tokens_with_their_scopes_applied(backend: Backend) {
    let base = spawn!(backend);
    let Embedded { url, services, .. } = embedded(&base).await;
    let auth = services.auth.clone();
    let ctx = RequestContext::cli();
    let eddie = auth
        .accounts()
        .find(
            &portcullis_core::Actor::system()
                .authorize::<portcullis_core::access::UsersRead>()
                .unwrap(),
            "eddie",
        )
        .await
        .unwrap();
    let mint = |scopes: &[&str]| {
        let auth = auth.clone();
        let eddie = eddie.clone();
        let ctx = ctx.clone();
        let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
        async move {
            let request = portcullis_core::services::tokens::TokenRequest {
                name: "script".into(),
                scopes,
                ..Default::default()
            };
            auth.tokens()
                .create_personal(
                    &eddie,
                    &portcullis_core::domain::api_token::Scopes::Owner,
                    &request,
                    &ctx,
                )
                .await
                .unwrap()
                .secret
                .expose()
                .to_owned()
        }
    };
    let reports_only = mint(&["reports:read"]).await;
    let whole_role = mint(&["reports:read", "posts:delete"]).await;
    let get = |token: String, path: &'static str| {
        let url = url.clone();
        async move {
            let response = crate::common::http_client()
                .build()
                .unwrap()
                .get(format!("{url}{path}"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.text().await.unwrap())
        }
    };
    let expect = [
        ("/hello", [200, 200]),
        ("/api/reports", [200, 200]),
        // A permission the token does not carry.
        ("/posts/delete", [403, 200]),
        // The role counts only if the token carries all it holds.
        ("/editors", [403, 200]),
        ("/admins", [403, 403]),
        // Step-up is for people at a browser.
        ("/vault", [403, 403]),
        ("/api/whoami", [200, 200]),
    ];
    for (path, statuses) in expect {
        for (token, status) in [&reports_only, &whole_role].into_iter().zip(statuses) {
            let (got, body) = get(token.clone(), path).await;
            assert_eq!(got, status, "{path}: {body}");
        }
    }
    let (_, body) = get(whole_role.clone(), "/posts/delete").await;
    assert_eq!(body, "eddie deleted a post");
    let (_, body) = get(reports_only.clone(), "/posts/delete").await;
    assert!(body.contains("insufficient_scope"), "{body}");
    // Bearer is for tokens only: a browser session is not one.
    let browser = Browser::new(&url);
    browser.login("eddie", PASSWORD).await;
    let response = browser.get("/api/whoami").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    services.database.close().await;
}
