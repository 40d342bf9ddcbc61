//! Delegated administration, tried as a delegated administrator who wants
//! more: creating an administrator, taking over the root account through its
//! email, growing their own role. Each probe is the one a review
//! reproduced against an earlier release, over the API and the pages.

use crate::admin::{call, id_of};
use crate::common::{Backend, Browser, PASSWORD, TestApp, on_both_backends, spawn};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    a_user_manager_cannot_create_an_administrator,
    a_user_manager_cannot_touch_an_administrators_account,
    a_role_manager_cannot_grow_a_role_or_shape_one_beyond_their_own_permissions,
    grantable_by_lets_a_helpdesk_hand_out_plain_roles_only,
    a_helpdesk_manages_plain_users_and_other_helpdesks_but_not_auditors,
    the_admin_pages_apply_the_same_containment,
    the_command_line_acts_as_the_system_and_says_so,
);

/// A role created by root over the API.
async fn role(root: &Browser, name: &str, permissions: &[&str], grantable_by: &[&str]) {
    let mut spec = json!({"name": name, "permissions": permissions});
    if !grantable_by.is_empty() {
        spec["grantable_by"] = json!(grantable_by);
    }
    let (status, body) = call(root, Method::POST, "/api/admin/roles", Some(spec)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// Gives `username` the role, as root.
async fn grant(root: &Browser, username: &str, role: &str) {
    let id = id_of(root, username).await;
    let (status, body) = call(
        root,
        Method::POST,
        &format!("/api/admin/users/{id}/roles"),
        Some(json!({"role": role})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Root, and a logged-in user holding a role with `permissions`.
pub(crate) async fn delegate(
    app: &TestApp,
    name: &str,
    permissions: &[&str],
) -> (Browser, Browser) {
    let root = app.admin("root").await;
    role(&root, &format!("{name}-role"), permissions, &[]).await;
    let delegate = app.logged_in(name).await;
    grant(&root, name, &format!("{name}-role")).await;
    (root, delegate)
}

async fn user_of(root: &Browser, id: i64) -> Value {
    let (status, body) = call(root, Method::GET, &format!("/api/admin/users/{id}"), None).await;
    assert_eq!(status, StatusCode::OK);
    body
}

async fn a_user_manager_cannot_create_an_administrator(backend: Backend) {
    let app = spawn!(backend);
    let (root, manager) = delegate(&app, "manager", &["users:read", "users:manage"]).await;
    let (status, body) = call(
        &manager,
        Method::POST,
        "/api/admin/users",
        Some(json!({"username": "mole", "email": "mole@example.com",
                    "password": PASSWORD, "roles": ["admin"], "confirmed": true})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // Nothing was created, and the would-be account cannot log in.
    let (_, found) = call(&root, Method::GET, "/api/admin/users?q=mole", None).await;
    assert_eq!(found["total"], 0);
    assert_eq!(
        app.browser().login("mole", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // Granting admin to an existing account is refused the same way.
    app.logged_in("plain").await;
    let plain = id_of(&root, "plain").await;
    let (status, _) = call(
        &manager,
        Method::POST,
        &format!("/api/admin/users/{plain}/roles"),
        Some(json!({"role": "admin"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(user_of(&root, plain).await["roles"], json!([]));
    // A plain account is still theirs to create.
    let (status, _) = call(
        &manager,
        Method::POST,
        "/api/admin/users",
        Some(json!({"username": "clerk", "email": "clerk@example.com", "password": PASSWORD})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
}

async fn a_user_manager_cannot_touch_an_administrators_account(backend: Backend) {
    let app = spawn!(backend);
    let (root, manager) = delegate(&app, "manager", &["users:read", "users:manage"]).await;
    let root_id = id_of(&root, "root").await;
    let attempts: Vec<(Method, String, Option<Value>)> = vec![
        (
            Method::PATCH,
            format!("/api/admin/users/{root_id}"),
            Some(json!({"email": "mole@example.com"})),
        ),
        (
            Method::PATCH,
            format!("/api/admin/users/{root_id}"),
            Some(json!({"username": "rooty"})),
        ),
        (
            Method::POST,
            format!("/api/admin/users/{root_id}/deactivate"),
            None,
        ),
        (
            Method::POST,
            format!("/api/admin/users/{root_id}/unlock"),
            None,
        ),
        (
            Method::POST,
            format!("/api/admin/users/{root_id}/revoke-sessions"),
            None,
        ),
        (
            Method::DELETE,
            format!("/api/admin/users/{root_id}/roles/admin"),
            None,
        ),
        (Method::DELETE, format!("/api/admin/users/{root_id}"), None),
    ];
    for (method, path, body) in attempts {
        let (status, answer) = call(&manager, method.clone(), &path, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {answer}");
    }
    // Root is as it was, and still logged in.
    let after = user_of(&root, root_id).await;
    assert_eq!(after["user"]["email"], "root@example.com");
    assert_eq!(after["user"]["username"], "root");
    assert_eq!(after["roles"], json!(["admin"]));
    assert_eq!(root.get("/api/me").await.status(), StatusCode::OK);
    // So the reset-password takeover has no address to start from.
    let reset = app
        .browser()
        .post_json(
            "/api/forgot-password",
            &json!({"email": "mole@example.com"}),
        )
        .await;
    assert_eq!(reset.status(), StatusCode::ACCEPTED);
    assert!(app.mail.to("mole@example.com").is_empty());
}

async fn a_role_manager_cannot_grow_a_role_or_shape_one_beyond_their_own_permissions(
    backend: Backend,
) {
    let app = spawn!(backend);
    let (root, designer) = delegate(&app, "designer", &["roles:manage", "posts:edit"]).await;
    // Their own role: any change of permissions is refused outright.
    for permissions in [
        json!(["roles:manage", "posts:edit", "users:manage", "audit:read"]),
        json!(["roles:manage"]),
    ] {
        let (status, body) = call(
            &designer,
            Method::PATCH,
            "/api/admin/roles/designer-role",
            Some(json!({ "permissions": permissions })),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    // Another role may not be given permissions the designer lacks.
    role(&root, "editor", &["posts:edit"], &[]).await;
    let (status, _) = call(
        &designer,
        Method::PATCH,
        "/api/admin/roles/editor",
        Some(json!({"permissions": ["posts:edit", "users:manage"]})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call(
        &designer,
        Method::POST,
        "/api/admin/roles",
        Some(json!({"name": "spy", "permissions": ["audit:read"]})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Nor may they touch the admin role, or delete a role beyond them.
    role(&root, "auditor", &["audit:read"], &[]).await;
    for (method, path, body) in [
        (
            Method::PATCH,
            "/api/admin/roles/admin",
            Some(json!({"description": "mine"})),
        ),
        (Method::DELETE, "/api/admin/roles/auditor", None),
        (Method::DELETE, "/api/admin/roles/admin", None),
    ] {
        let (status, answer) = call(&designer, method.clone(), path, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {answer}");
    }
    let (_, mine) = call(&root, Method::GET, "/api/admin/roles/designer-role", None).await;
    assert_eq!(
        mine["role"]["permissions"],
        json!(["posts:edit", "roles:manage"])
    );
    let (_, auditor) = call(&root, Method::GET, "/api/admin/roles/auditor", None).await;
    assert_eq!(auditor["role"]["permissions"], json!(["audit:read"]));
    // Within their own permissions they shape roles freely.
    let (status, _) = call(
        &designer,
        Method::PATCH,
        "/api/admin/roles/editor",
        Some(json!({"description": "Edits posts", "permissions": []})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(
        &designer,
        Method::POST,
        "/api/admin/roles",
        Some(json!({"name": "writer", "permissions": ["posts:edit"]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    // And the designer did not gain what they asked for.
    let me: Value = designer.get("/api/admin/audit").await.json().await.unwrap();
    assert_eq!(me["error"]["code"], "forbidden");
}

async fn grantable_by_lets_a_helpdesk_hand_out_plain_roles_only(backend: Backend) {
    let app = spawn!(backend);
    let (root, helpdesk) = delegate(&app, "helpdesk", &["users:read", "users:manage"]).await;
    role(&root, "clerk", &["requests:read"], &["helpdesk-role"]).await;
    role(&root, "auditor", &["audit:read"], &["helpdesk-role"]).await;
    role(&root, "officer", &["requests:update"], &[]).await;
    app.logged_in("carol").await;
    let carol = id_of(&root, "carol").await;
    let grant_as = |role: &'static str| {
        let helpdesk = &helpdesk;
        async move {
            call(
                helpdesk,
                Method::POST,
                &format!("/api/admin/users/{carol}/roles"),
                Some(json!({ "role": role })),
            )
            .await
            .0
        }
    };
    assert_eq!(grant_as("clerk").await, StatusCode::OK);
    assert_eq!(
        grant_as("auditor").await,
        StatusCode::FORBIDDEN,
        "naming the helpdesk does not open an administrative role"
    );
    assert_eq!(grant_as("officer").await, StatusCode::FORBIDDEN);
    assert_eq!(user_of(&root, carol).await["roles"], json!(["clerk"]));
    let (status, _) = call(
        &helpdesk,
        Method::DELETE,
        &format!("/api/admin/users/{carol}/roles/clerk"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // Nobody changes their own roles, grantable or not.
    let me = id_of(&root, "helpdesk").await;
    let (status, _) = call(
        &helpdesk,
        Method::POST,
        &format!("/api/admin/users/{me}/roles"),
        Some(json!({"role": "clerk"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn a_helpdesk_manages_plain_users_and_other_helpdesks_but_not_auditors(backend: Backend) {
    let app = spawn!(backend);
    let (root, helpdesk) = delegate(&app, "helpdesk", &["users:read", "users:manage"]).await;
    app.logged_in("peer").await;
    grant(&root, "peer", "helpdesk-role").await;
    role(&root, "auditor", &["audit:read"], &[]).await;
    app.logged_in("audrey").await;
    grant(&root, "audrey", "auditor").await;
    app.logged_in("plain").await;
    for (name, expected) in [
        ("plain", StatusCode::OK),
        ("peer", StatusCode::OK),
        ("audrey", StatusCode::FORBIDDEN),
    ] {
        let id = id_of(&root, name).await;
        let (status, body) = call(
            &helpdesk,
            Method::PATCH,
            &format!("/api/admin/users/{id}"),
            Some(json!({"name": "Renamed"})),
        )
        .await;
        assert_eq!(status, expected, "{name}: {body}");
        let (status, _) = call(
            &helpdesk,
            Method::POST,
            &format!("/api/admin/users/{id}/revoke-sessions"),
            None,
        )
        .await;
        assert_eq!(status, expected, "{name}");
    }
    let audrey = id_of(&root, "audrey").await;
    assert_eq!(user_of(&root, audrey).await["user"]["name"], Value::Null);
}

async fn the_admin_pages_apply_the_same_containment(backend: Backend) {
    let app = spawn!(backend);
    let (root, manager) = delegate(&app, "manager", &["users:read", "users:manage"]).await;
    let root_id = id_of(&root, "root").await;
    let token = manager.csrf_token("/").await;
    for (path, fields) in [
        (
            format!("/admin/users/{root_id}/edit"),
            vec![
                ("username", "root"),
                ("email", "mole@example.com"),
                ("name", ""),
            ],
        ),
        (format!("/admin/users/{root_id}/deactivate"), vec![]),
        (format!("/admin/users/{root_id}/delete"), vec![]),
        (format!("/admin/users/{root_id}/roles/admin/revoke"), vec![]),
    ] {
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend(fields);
        let response = manager.post_form(&path, &all).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "POST {path}");
    }
    let response = manager
        .post_form(
            "/admin/users",
            &[
                ("csrf_token", &token),
                ("username", "mole"),
                ("email", "mole@example.com"),
                ("password", PASSWORD),
                ("role", "admin"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        call(&root, Method::GET, "/api/admin/users?q=mole", None)
            .await
            .1["total"],
        0
    );
    // Root's page offers the manager no actions, and the new-account form
    // offers no role they may not give.
    let (_, html) = manager.page(&format!("/admin/users/{root_id}")).await;
    assert!(!html.contains("/deactivate"), "{html}");
    let (_, form) = manager.page("/admin/users/new").await;
    assert!(!form.contains("<option>admin</option>"), "{form}");
    assert_eq!(
        user_of(&root, root_id).await["user"]["email"],
        "root@example.com"
    );
}

async fn the_command_line_acts_as_the_system_and_says_so(backend: Backend) {
    let app = spawn!(backend);
    app.logged_in("alice").await;
    let out = crate::cli::portcullis(
        &app.db_url,
        &["users", "grant-role", "alice", "admin"],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events = app.audit(&["--type", "role_granted"]);
    let event = &events["events"][0];
    assert_eq!(event["actor"], Value::Null);
    assert_eq!(event["detail"]["actor"], "system");
    assert_eq!(event["detail"]["role"], "admin");
    let out = crate::cli::portcullis(
        &app.db_url,
        &["audit", "list", "--type", "role_granted"],
        None,
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("system"));
}
