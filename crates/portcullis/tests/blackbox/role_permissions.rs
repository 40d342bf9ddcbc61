//! Permissions typed into the admin role form are one per line, each a
//! `resource:action` name; a bad line is named and what was typed is shown
//! again. The JSON API holds permissions to the same rule.

use crate::admin::call;
use crate::common::{Backend, on_both_backends, spawn};
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both_backends!(
    the_role_form_reads_one_permission_per_line,
    the_role_form_names_a_bad_line_and_shows_what_was_typed,
    the_roles_api_refuses_permissions_that_are_not_resource_action,
);

async fn the_role_form_reads_one_permission_per_line(backend: Backend) {
    let app = spawn!(backend);
    let admin = app.admin("root").await;
    let response = admin
        .submit(
            "/admin/roles",
            "/admin/roles",
            &[
                ("name", "editors"),
                ("description", ""),
                ("permissions", "  posts:edit  \r\n\r\nposts:publish\n\n"),
                ("grantable_by", ""),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (status, body) = call(&admin, Method::GET, "/api/admin/roles/editors", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["role"]["permissions"],
        json!(["posts:edit", "posts:publish"])
    );
}

async fn the_role_form_names_a_bad_line_and_shows_what_was_typed(backend: Backend) {
    let app = spawn!(backend);
    let admin = app.admin("root").await;
    for (bad, typed) in [
        ("not a perm", "posts:edit\nnot a perm"),
        ("posts", "posts\nposts:edit"),
    ] {
        let response = admin
            .submit(
                "/admin/roles",
                "/admin/roles",
                &[
                    ("name", "editors"),
                    ("description", ""),
                    ("permissions", typed),
                    ("grantable_by", ""),
                ],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{typed:?}"
        );
        let html = response.text().await.unwrap();
        let document = scraper::Html::parse_document(&html);
        let alert = scraper::Selector::parse("[role=alert]").unwrap();
        let alert: String = document.select(&alert).flat_map(|e| e.text()).collect();
        assert!(alert.contains(&format!("\"{bad}\"")), "{alert}");
        assert!(!alert.contains("Some fields are invalid"), "{alert}");
        let textarea = scraper::Selector::parse("textarea#permissions").unwrap();
        let shown: String = document.select(&textarea).flat_map(|e| e.text()).collect();
        assert_eq!(shown.replace("\r\n", "\n"), typed);
    }
    let (status, _) = call(&admin, Method::GET, "/api/admin/roles/editors", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no role was made");
}

async fn the_roles_api_refuses_permissions_that_are_not_resource_action(backend: Backend) {
    let app = spawn!(backend);
    let admin = app.admin("root").await;
    for bad in ["posts", "not a perm", "posts:", "Posts:Edit"] {
        let (status, body) = call(
            &admin,
            Method::POST,
            "/api/admin/roles",
            Some(json!({"name": "editors", "permissions": ["posts:edit", bad]})),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}: {body}");
        let named = body["error"]["fields"]["permissions"].as_str().unwrap();
        assert!(named.contains(&format!("\"{bad}\"")), "{named}");
    }
    let (status, body) = call(
        &admin,
        Method::POST,
        "/api/admin/roles",
        Some(json!({"name": "editors", "permissions": ["posts:edit"]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = call(
        &admin,
        Method::PATCH,
        "/api/admin/roles/editors",
        Some(json!({"permissions": ["posts"]})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}
