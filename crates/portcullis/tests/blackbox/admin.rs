//! The admin API and pages, each route tried as anonymous, as a plain user,
//! as a user acting on someone else, and as an administrator; and the
//! safety rails.

use crate::common::{Backend, Browser, PASSWORD, location, on_both_backends, spawn};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    every_admin_route_denies_anonymous_visitors_and_plain_users,
    an_admin_manages_an_account_through_the_api,
    the_safety_rails_hold,
    roles_are_created_edited_and_deleted_with_the_admin_role_protected,
    the_admin_pages_work_without_javascript_and_update_rows_in_place,
    the_user_list_searches_filters_sorts_and_pages,
);

pub(crate) async fn csrf(b: &Browser) -> String {
    b.get("/api/me").await.json::<Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub(crate) async fn call(
    b: &Browser,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let token = csrf(b).await;
    let mut request = b
        .client
        .request(method, b.url(path))
        .header("x-csrf-token", token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The id of the account named exactly `username` (the search finds it
/// and any account whose name or address contains it).
pub(crate) async fn id_of(admin: &Browser, username: &str) -> i64 {
    let (_, body) = call(
        admin,
        Method::GET,
        &format!("/api/admin/users?q={username}&limit=500"),
        None,
    )
    .await;
    body["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| {
            u["username"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(username))
        })
        .unwrap_or_else(|| panic!("no account {username}: {body}"))["id"]
        .as_i64()
        .unwrap()
}

async fn every_admin_route_denies_anonymous_visitors_and_plain_users(backend: Backend) {
    let app = spawn!(backend);
    let admin = app.admin("root").await;
    let alice = app.logged_in("alice").await;
    let _bob = app.logged_in("bob").await;
    let bob_id = id_of(&admin, "bob").await;
    let api: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, "/api/admin/users".into(), None),
        (
            Method::POST,
            "/api/admin/users".into(),
            Some(json!({"username": "x1", "email": "x1@example.com", "password": PASSWORD})),
        ),
        (Method::GET, format!("/api/admin/users/{bob_id}"), None),
        (
            Method::PATCH,
            format!("/api/admin/users/{bob_id}"),
            Some(json!({"email": "pwned@example.com"})),
        ),
        (Method::DELETE, format!("/api/admin/users/{bob_id}"), None),
        (
            Method::POST,
            format!("/api/admin/users/{bob_id}/deactivate"),
            None,
        ),
        (
            Method::POST,
            format!("/api/admin/users/{bob_id}/activate"),
            None,
        ),
        (
            Method::POST,
            format!("/api/admin/users/{bob_id}/unlock"),
            None,
        ),
        (
            Method::POST,
            format!("/api/admin/users/{bob_id}/revoke-sessions"),
            None,
        ),
        (
            Method::POST,
            format!("/api/admin/users/{bob_id}/roles"),
            Some(json!({"role": "admin"})),
        ),
        (
            Method::DELETE,
            format!("/api/admin/users/{bob_id}/roles/admin"),
            None,
        ),
        (Method::GET, "/api/admin/roles".into(), None),
        (
            Method::POST,
            "/api/admin/roles".into(),
            Some(json!({"name": "x"})),
        ),
        (Method::GET, "/api/admin/roles/admin".into(), None),
        (
            Method::PATCH,
            "/api/admin/roles/admin".into(),
            Some(json!({"permissions": []})),
        ),
        (Method::DELETE, "/api/admin/roles/admin".into(), None),
        (Method::GET, "/api/admin/audit".into(), None),
    ];
    let anonymous = app.browser();
    for (method, path, body) in &api {
        let mut request = anonymous
            .client
            .request(method.clone(), anonymous.url(path));
        if let Some(body) = body {
            request = request.json(body);
        }
        let status = request.send().await.unwrap().status();
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "anonymous {method} {path}"
        );
        // Alice acting on Bob's account, or on roles, is refused.
        let (status, body_out) = call(&alice, method.clone(), path, body.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "user {method} {path}");
        assert_eq!(body_out["error"]["code"], "forbidden");
    }
    // Nothing changed for Bob.
    let (_, bob) = call(
        &admin,
        Method::GET,
        &format!("/api/admin/users/{bob_id}"),
        None,
    )
    .await;
    assert_eq!(bob["user"]["email"], "bob@example.com");
    assert_eq!(bob["roles"], json!([]));
    assert_eq!(bob["user"]["is_active"], true);

    for path in [
        "/admin",
        "/admin/users",
        "/admin/users/new",
        &format!("/admin/users/{bob_id}"),
        &format!("/admin/users/{bob_id}/delete"),
        "/admin/roles",
        "/admin/roles/admin",
        "/admin/audit",
    ] {
        let response = anonymous.get(path).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "anonymous {path}");
        assert!(location(&response).starts_with("/auth/login"), "{path}");
        if path == "/admin" {
            assert_eq!(alice.get(path).await.status(), StatusCode::FORBIDDEN);
            assert_eq!(location(&admin.get(path).await), "/admin/users");
        } else {
            assert_eq!(
                alice.get(path).await.status(),
                StatusCode::FORBIDDEN,
                "user {path}"
            );
            assert_eq!(
                admin.get(path).await.status(),
                StatusCode::OK,
                "admin {path}"
            );
        }
    }
    // Page forms too, with a valid CSRF token.
    let token = alice.csrf_token("/").await;
    for path in [
        format!("/admin/users/{bob_id}/deactivate"),
        format!("/admin/users/{bob_id}/delete"),
        format!("/admin/users/{bob_id}/roles"),
        "/admin/roles".to_owned(),
    ] {
        let response = alice
            .post_form(
                &path,
                &[("csrf_token", &token), ("role", "admin"), ("name", "x")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "user POST {path}");
    }
    // No one gives themselves roles through their own API either.
    let (status, _) = call(
        &alice,
        Method::POST,
        "/api/me",
        Some(json!({"roles": ["admin"]})),
    )
    .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    let (_, me) = call(&alice, Method::GET, "/api/me", None).await;
    assert_eq!(me["roles"], json!([]));
}

async fn an_admin_manages_an_account_through_the_api(backend: Backend) {
    let app = spawn!(backend);
    let admin = app.admin("root").await;
    let (status, created) = call(&admin, Method::POST, "/api/admin/users", Some(json!({"username": "carol", "email": "carol@example.com", "password": PASSWORD, "roles": [], "confirmed": true}))).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["user"]["id"].as_i64().unwrap();
    let carol = app.browser();
    assert_eq!(
        carol.login("carol", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );

    let (status, updated) = call(
        &admin,
        Method::PATCH,
        &format!("/api/admin/users/{id}"),
        Some(json!({"email": "c@example.org", "name": "Carol C."})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (
            updated["user"]["email"].as_str(),
            updated["user"]["name"].as_str()
        ),
        (Some("c@example.org"), Some("Carol C."))
    );
    let (status, conflict) = call(
        &admin,
        Method::PATCH,
        &format!("/api/admin/users/{id}"),
        Some(json!({"username": "ROOT"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(conflict["error"]["fields"]["username"].is_string());

    let (status, _) = call(
        &admin,
        Method::POST,
        &format!("/api/admin/users/{id}/deactivate"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        carol.get("/profile").await.status(),
        StatusCode::SEE_OTHER,
        "deactivation kills sessions"
    );
    call(
        &admin,
        Method::POST,
        &format!("/api/admin/users/{id}/activate"),
        None,
    )
    .await;
    for _ in 0..5 {
        app.browser().login("carol", "wrong password").await;
    }
    let (_, locked) = call(&admin, Method::GET, "/api/admin/users?locked=yes", None).await;
    assert_eq!(locked["total"], 1);
    let (_, page) = admin.page(&format!("/admin/users/{id}")).await;
    assert!(
        page.contains("locked until") && page.contains(">Unlock</button>"),
        "the page offers the unlock"
    );
    call(
        &admin,
        Method::POST,
        &format!("/api/admin/users/{id}/unlock"),
        None,
    )
    .await;
    assert_eq!(
        carol.login("carol", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );

    let (status, granted) = call(
        &admin,
        Method::POST,
        &format!("/api/admin/users/{id}/roles"),
        Some(json!({"role": "admin"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(granted["roles"], json!(["admin"]));
    let (status, _) = call(
        &admin,
        Method::POST,
        &format!("/api/admin/users/{id}/roles"),
        Some(json!({"role": "ghost"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(
        &admin,
        Method::DELETE,
        &format!("/api/admin/users/{id}/roles/admin"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let (status, revoked) = call(
        &admin,
        Method::POST,
        &format!("/api/admin/users/{id}/revoke-sessions"),
        None,
    )
    .await;
    assert_eq!(
        (status, revoked["revoked"].as_i64()),
        (StatusCode::OK, Some(1))
    );
    let (status, _) = call(
        &admin,
        Method::DELETE,
        &format!("/api/admin/users/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(&admin, Method::GET, &format!("/api/admin/users/{id}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Every action is in the audit log with actor and target.
    let log = app.audit(&["--user", "root"]);
    let kinds: Vec<&str> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "user_created",
        "user_updated",
        "user_deactivated",
        "user_activated",
        "unlocked",
        "role_granted",
        "role_revoked",
        "session_revoked",
        "user_deleted",
    ] {
        let event = log["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == kind)
            .unwrap_or_else(|| panic!("{kind} missing: {kinds:?}"));
        assert_eq!(event["target"], id, "{kind}");
        assert!(event["actor"].is_number(), "{kind}");
    }
}

async fn the_safety_rails_hold(backend: Backend) {
    let app = spawn!(backend);
    let root = app.admin("root").await;
    let root_id = id_of(&root, "root").await;
    for (method, path, body) in [
        (
            Method::POST,
            format!("/api/admin/users/{root_id}/deactivate"),
            None,
        ),
        (Method::DELETE, format!("/api/admin/users/{root_id}"), None),
        (
            Method::DELETE,
            format!("/api/admin/users/{root_id}/roles/admin"),
            None,
        ),
        (
            Method::POST,
            format!("/api/admin/users/{root_id}/roles"),
            Some(json!({"role": "admin"})),
        ),
    ] {
        let (status, body) = call(&root, method.clone(), &path, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {body}");
    }
    // Through the CLI (no acting user) the last admin still cannot go.
    let out = crate::cli::portcullis(
        &app.db_url,
        &["users", "revoke-role", "root", "admin"],
        None,
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("last active administrator"));
    let out = crate::cli::portcullis(&app.db_url, &["users", "delete", "root"], None);
    assert!(!out.status.success());
    // With a second admin, one may demote the other, but never themselves.
    let second = app.admin("second").await;
    let second_id = id_of(&root, "second").await;
    let (status, _) = call(
        &second,
        Method::DELETE,
        &format!("/api/admin/users/{second_id}/roles/admin"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call(
        &root,
        Method::DELETE,
        &format!("/api/admin/users/{second_id}/roles/admin"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // Demoted: the former admin's very next request is refused.
    assert_eq!(
        second.get("/api/admin/users").await.status(),
        StatusCode::FORBIDDEN
    );
}

async fn roles_are_created_edited_and_deleted_with_the_admin_role_protected(backend: Backend) {
    let app = spawn!(backend);
    let admin = app.admin("root").await;
    let (status, role) = call(&admin, Method::POST, "/api/admin/roles", Some(json!({"name": "Department Officer", "description": "Handles cases", "permissions": ["cases:read", "cases:close"]}))).await;
    assert_eq!(status, StatusCode::CREATED, "{role}");
    assert_eq!(
        role["role"]["permissions"],
        json!(["cases:close", "cases:read"])
    );
    let (status, _) = call(
        &admin,
        Method::POST,
        "/api/admin/roles",
        Some(json!({"name": "department officer2", "permissions": ["Not Valid"]})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = call(
        &admin,
        Method::POST,
        "/api/admin/roles",
        Some(json!({"name": "Department Officer"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "duplicate name");
    let (status, updated) = call(
        &admin,
        Method::PATCH,
        "/api/admin/roles/Department%20Officer",
        Some(json!({"permissions": ["cases:read"]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(updated["role"]["permissions"], json!(["cases:read"]));

    let (status, _) = call(
        &admin,
        Method::PATCH,
        "/api/admin/roles/admin",
        Some(json!({"permissions": []})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "admin keeps its permissions");
    let (status, _) = call(&admin, Method::DELETE, "/api/admin/roles/admin", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call(
        &admin,
        Method::DELETE,
        "/api/admin/roles/Department%20Officer",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, roles) = call(&admin, Method::GET, "/api/admin/roles", None).await;
    let names: Vec<&str> = roles["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["admin"]);

    // CLI: roles create / grant-permission / list --json.
    let out = crate::cli::portcullis(
        &app.db_url,
        &["roles", "create", "editor", "--permission", "posts:edit"],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = crate::cli::portcullis(
        &app.db_url,
        &["roles", "grant-permission", "editor", "posts:delete"],
        None,
    );
    assert!(out.status.success());
    let out = crate::cli::portcullis(&app.db_url, &["roles", "list", "--json"], None);
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let editor = listed["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "editor")
        .unwrap()
        .clone();
    assert_eq!(editor["permissions"], json!(["posts:delete", "posts:edit"]));
    let out = crate::cli::portcullis(
        &app.db_url,
        &["roles", "revoke-permission", "admin", "users:manage"],
        None,
    );
    assert!(
        !out.status.success(),
        "the admin role keeps its permissions"
    );
}

async fn the_admin_pages_work_without_javascript_and_update_rows_in_place(backend: Backend) {
    let app = spawn!(backend);
    let admin = app.admin("root").await;
    let bob = app.logged_in("bob").await;
    let bob_id = id_of(&admin, "bob").await;
    let (status, html) = admin.page("/admin/users").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(">bob</a>") && html.contains(">root</a>"));
    let token = admin.csrf_token("/admin/users").await;

    // Plain form post: redirect to the user's page.
    let response = admin
        .post_form(
            &format!("/admin/users/{bob_id}/deactivate"),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(bob.get("/profile").await.status(), StatusCode::SEE_OTHER);
    // With HX-Request: just the row.
    let response = admin
        .client
        .post(admin.url(&format!("/admin/users/{bob_id}/activate")))
        .header("hx-request", "true")
        .form(&[("csrf_token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let row = response.text().await.unwrap();
    assert!(
        row.trim_start()
            .starts_with(&format!("<tr id=\"user-{bob_id}\"")),
        "{row}"
    );
    assert!(row.contains("Deactivate") && !row.contains("<html"));

    // Create a user from the form, grant a role, then delete with confirmation.
    let response = admin
        .post_form(
            "/admin/users",
            &[
                ("csrf_token", &token),
                ("username", "dave"),
                ("email", "dave@example.com"),
                ("password", PASSWORD),
                ("role", ""),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let dave_page = location(&response);
    let response = admin
        .post_form(
            "/admin/users",
            &[
                ("csrf_token", &token),
                ("username", "dave"),
                ("email", "d2@example.com"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (_, html) = admin.page(&dave_page).await;
    assert!(html.contains("dave@example.com"));
    let response = admin
        .post_form(
            &format!("{dave_page}/roles"),
            &[("csrf_token", &token), ("role", "admin")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        admin
            .page(&dave_page)
            .await
            .1
            .contains("every permission (admin)")
    );
    let (status, html) = admin.page(&format!("{dave_page}/delete")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("cannot be undone"));
    let response = admin
        .post_form(&format!("{dave_page}/delete"), &[("csrf_token", &token)])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(admin.get(&dave_page).await.status(), StatusCode::NOT_FOUND);

    // Roles and audit pages.
    let response = admin
        .post_form(
            "/admin/roles",
            &[
                ("csrf_token", &token),
                ("name", "County Admin"),
                ("description", "x"),
                ("permissions", "cases:read\ncases:close"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, html) = admin.page(&location(&response)).await;
    assert!(html.contains("cases:close"));
    let (_, html) = admin.page("/admin/audit?type=user_deleted").await;
    assert!(html.contains("user_deleted") && html.contains("dave"));
    // A malformed filter is said on the page, beside the form.
    let (status, html) = admin.page("/admin/audit?since=not-a-date").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("RFC 3339") && html.contains("name=\"since\""),
        "{html}"
    );
    // Own row: no self-deactivation from the page either.
    let root_id = id_of(&admin, "root").await;
    let response = admin
        .post_form(
            &format!("/admin/users/{root_id}/deactivate"),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

async fn the_user_list_searches_filters_sorts_and_pages(backend: Backend) {
    let app = spawn!(backend);
    let admin = app.admin("root").await;
    for name in ["anna", "andy", "bert", "carla"] {
        let (status, _) = call(&admin, Method::POST, "/api/admin/users", Some(json!({"username": name, "email": format!("{name}@corp.example"), "password": PASSWORD, "confirmed": name != "bert"}))).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let names = |v: &Value| {
        v["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let (_, found) = call(
        &admin,
        Method::GET,
        "/api/admin/users?q=AN&sort=username",
        None,
    )
    .await;
    assert_eq!(names(&found), ["andy", "anna"]);
    let (_, found) = call(&admin, Method::GET, "/api/admin/users?q=bert%40corp", None).await;
    assert_eq!(names(&found), ["bert"]);
    // root registered through the form and never confirmed; bert was created unconfirmed.
    let (_, found) = call(&admin, Method::GET, "/api/admin/users?confirmed=no", None).await;
    assert_eq!(names(&found), ["root", "bert"]);
    let (_, found) = call(&admin, Method::GET, "/api/admin/users?role=admin", None).await;
    assert_eq!(names(&found), ["root"]);
    let (_, page) = call(
        &admin,
        Method::GET,
        "/api/admin/users?sort=username&order=desc&limit=2&offset=1",
        None,
    )
    .await;
    assert_eq!(
        (names(&page), page["total"].as_i64()),
        (vec!["carla".to_owned(), "bert".to_owned()], Some(5))
    );
    for bad in [
        "sort=password",
        "active=maybe",
        "limit=0",
        "order=sideways",
        "bogus=1",
    ] {
        let (status, body) = call(
            &admin,
            Method::GET,
            &format!("/api/admin/users?{bad}"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    let (status, html) = admin
        .page("/admin/users?q=an&sort=username&order=desc")
        .await;
    assert_eq!(status, StatusCode::OK);
    let anna = html.find(">anna<").unwrap();
    let andy = html.find(">andy<").unwrap();
    assert!(anna < andy, "descending by username");
    assert!(!html.contains(">bert<"));
}
