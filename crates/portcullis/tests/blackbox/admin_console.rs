//! The administration console as a person meets it: where it is linked
//! from, what each action says afterwards, what it refuses to offer on your
//! own account, how times, sorting, search and the audit log read.

use crate::admin::{call, id_of};
use crate::common::{Backend, Browser, PASSWORD, location, on_both_backends, spawn};
use crate::containment::delegate;
use portcullis_core::Clock;
use reqwest::{Method, StatusCode};
use scraper::{Html, Selector};
use serde_json::json;

on_both_backends!(
    the_admin_link_shows_for_holders_of_an_administrative_permission_only,
    the_home_page_says_how_to_make_the_first_administrator,
    every_admin_action_says_what_it_did,
    a_role_with_members_is_deleted_only_after_confirmation,
    your_own_account_offers_no_actions_and_others_ask_first,
    times_are_time_elements_and_the_sorted_column_is_marked,
    the_search_finds_text_anywhere_and_takes_wildcards_literally,
    the_audit_log_names_accounts_and_filters_by_whole_days,
);

/// Every element `selector` picks in `html`, as its outer HTML.
fn select(html: &str, selector: &str) -> Vec<String> {
    let document = Html::parse_document(html);
    let selector = Selector::parse(selector).unwrap();
    document.select(&selector).map(|e| e.html()).collect()
}

/// The text of the page's flash messages.
fn flashes(html: &str) -> Vec<String> {
    let document = Html::parse_document(html);
    let selector = Selector::parse("main div.flash").unwrap();
    document
        .select(&selector)
        .map(|e| e.text().collect::<String>().trim().to_owned())
        .collect()
}

/// Creates `name` as root over the API, confirmed.
async fn create(root: &Browser, name: &str) -> i64 {
    let body = json!({"username": name, "email": format!("{name}@corp.example"), "password": PASSWORD, "confirmed": true});
    let (status, body) = call(root, Method::POST, "/api/admin/users", Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["user"]["id"].as_i64().unwrap()
}

/// POSTs `action` with the page's CSRF token and follows the redirect: the
/// page it lands on.
async fn act(browser: &Browser, action: &str, fields: &[(&str, &str)]) -> String {
    let token = browser.csrf_token("/").await;
    let mut all = vec![("csrf_token", token.as_str())];
    all.extend_from_slice(fields);
    let response = browser.post_form(action, &all).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "POST {action}");
    let (status, html) = browser.page(&location(&response)).await;
    assert_eq!(status, StatusCode::OK);
    html
}

async fn the_admin_link_shows_for_holders_of_an_administrative_permission_only(backend: Backend) {
    let app = spawn!(backend);
    let (root, auditor) = delegate(&app, "auditor", &["audit:read"]).await;
    let plain = app.logged_in("plain").await;
    let admin_link = |html: &str| !select(html, r#"header.site a[href="/admin"]"#).is_empty();
    for (who, browser, expected) in [
        ("root", &root, true),
        ("a holder of audit:read", &auditor, true),
        ("a plain user", &plain, false),
    ] {
        let (_, home) = browser.page("/").await;
        assert_eq!(admin_link(&home), expected, "{who}: home page");
        // Error pages carry the same header.
        let (status, missing) = browser.page("/no-such-page").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(admin_link(&missing), expected, "{who}: 404 page");
    }
    assert!(!admin_link(&app.browser().page("/").await.1));
    // The link leads somewhere the holder may go: the auditor lands on the log.
    let response = auditor.get("/admin").await;
    assert_eq!(location(&response), "/admin/audit");
    let (status, html) = auditor.page("/admin/audit").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        select(&html, r#"nav.admin-nav a[aria-current="page"]"#).len(),
        1,
        "the current section is marked"
    );
    assert_eq!(
        plain.get("/admin").await.status(),
        StatusCode::FORBIDDEN,
        "the link is hidden, and the page refused"
    );
}

async fn the_home_page_says_how_to_make_the_first_administrator(backend: Backend) {
    let app = spawn!(backend);
    let visitor = app.browser();
    let (_, home) = visitor.page("/").await;
    assert!(home.contains("No administrator yet"), "{home}");
    assert!(home.contains("<code>portcullis create-admin</code>"));
    let user = app.logged_in("someone").await;
    let (_, home) = user.page("/").await;
    assert!(home.contains("No administrator yet"));
    assert!(
        home.contains(r#"href="/auth/two-factor""#),
        "next steps: turn on two-factor"
    );

    let root = app.admin("root").await;
    for browser in [&visitor, &user, &root] {
        assert!(!browser.page("/").await.1.contains("No administrator yet"));
    }
    // The administrator's next steps include the console.
    assert!(!select(&root.page("/").await.1, r#".next-steps a[href="/admin"]"#).is_empty());
}

async fn every_admin_action_says_what_it_did(backend: Backend) {
    let app = spawn!(backend);
    let root = app.admin("root").await;
    let bob = create(&root, "bob").await;
    let bob_page = format!("/admin/users/{bob}");
    call(
        &root,
        Method::POST,
        "/api/admin/roles",
        Some(json!({"name": "editor", "permissions": ["posts:edit"]})),
    )
    .await;

    for (action, fields, message) in [
        ("deactivate", vec![], "The account is deactivated"),
        ("activate", vec![], "The account is active"),
        (
            "revoke-sessions",
            vec![],
            "Every session of the account has ended",
        ),
        (
            "roles",
            vec![("role", "editor")],
            "The role has been granted.",
        ),
        ("roles/editor/revoke", vec![], "The role has been removed"),
        (
            "edit",
            vec![
                ("username", "bobby"),
                ("email", "bob@corp.example"),
                ("name", "Bob"),
            ],
            "The account has been saved.",
        ),
    ] {
        let html = act(&root, &format!("{bob_page}/{action}"), &fields).await;
        let shown = flashes(&html);
        assert!(
            shown.iter().any(|f| f.starts_with(message)),
            "{action}: {shown:?}"
        );
        // Shown once: the next page has no message.
        assert!(
            flashes(&root.page(&bob_page).await.1).is_empty(),
            "{action}"
        );
    }

    // From the table, the row comes back carrying the notice for the page.
    let token = root.csrf_token("/admin/users").await;
    let response = root
        .client
        .post(root.url(&format!("{bob_page}/deactivate")))
        .header("hx-request", "true")
        .form(&[("csrf_token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let row = response.text().await.unwrap();
    assert!(
        row.contains(r#"data-notice="bobby: The account is deactivated"#),
        "{row}"
    );
    assert!(
        row.contains("/activate"),
        "the row now offers Activate: {row}"
    );

    let html = act(
        &root,
        "/admin/roles",
        &[("name", "viewer"), ("permissions", "posts:read")],
    )
    .await;
    assert!(flashes(&html).contains(&"The role has been created.".to_owned()));
    let html = act(
        &root,
        "/admin/roles/viewer",
        &[("description", "Reads"), ("permissions", "posts:read")],
    )
    .await;
    assert!(flashes(&html).contains(&"The role has been saved.".to_owned()));
    let html = act(&root, "/admin/roles/viewer/delete", &[]).await;
    assert!(flashes(&html).contains(&"The role has been deleted.".to_owned()));
    let html = act(
        &root,
        "/admin/users",
        &[
            ("username", "carol"),
            ("email", "carol@corp.example"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert!(flashes(&html).contains(&"The account has been created.".to_owned()));
    let html = act(&root, &format!("{bob_page}/delete"), &[]).await;
    assert!(flashes(&html).contains(&"The account has been deleted.".to_owned()));
}

async fn a_role_with_members_is_deleted_only_after_confirmation(backend: Backend) {
    let app = spawn!(backend);
    let root = app.admin("root").await;
    let bob = create(&root, "bob").await;
    call(
        &root,
        Method::POST,
        "/api/admin/roles",
        Some(json!({"name": "editor", "permissions": ["posts:edit"]})),
    )
    .await;
    call(
        &root,
        Method::POST,
        &format!("/api/admin/users/{bob}/roles"),
        Some(json!({"role": "editor"})),
    )
    .await;

    // The role's page asks in a dialog (admin.js) ...
    let (_, html) = root.page("/admin/roles/editor").await;
    let form = select(&html, r#"form[action="/admin/roles/editor/delete"]"#);
    assert_eq!(form.len(), 1);
    assert!(
        form[0].contains("data-confirm=\"Delete the role editor? 1 account(s) hold it"),
        "{}",
        form[0]
    );
    // ... and without the script, the server asks on a page of its own.
    let token = root.csrf_token("/admin/roles/editor").await;
    let response = root
        .post_form(
            "/admin/roles/editor/delete",
            &[("csrf_token", &token), ("confirmed", "")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    assert!(page.contains("1 account holds this role"), "{page}");
    let (status, _) = call(&root, Method::GET, "/api/admin/roles/editor", None).await;
    assert_eq!(status, StatusCode::OK, "not deleted yet");
    let html = act(&root, "/admin/roles/editor/delete", &[("confirmed", "yes")]).await;
    assert!(flashes(&html).contains(&"The role has been deleted.".to_owned()));
    let (status, _) = call(&root, Method::GET, "/api/admin/roles/editor", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A role nobody holds goes at once.
    call(
        &root,
        Method::POST,
        "/api/admin/roles",
        Some(json!({"name": "idle", "permissions": ["posts:read"]})),
    )
    .await;
    let (_, html) = root.page("/admin/roles/idle").await;
    assert!(!html.contains("data-confirm"));
    act(&root, "/admin/roles/idle/delete", &[]).await;
    let (status, _) = call(&root, Method::GET, "/api/admin/roles/idle", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn your_own_account_offers_no_actions_and_others_ask_first(backend: Backend) {
    let app = spawn!(backend);
    let root = app.admin("root").await;
    let root_id = id_of(&root, "root").await;
    let bob = create(&root, "bob").await;
    let (_, html) = root.page("/admin/users").await;
    let own = select(&html, &format!("tr#user-{root_id}"));
    assert_eq!(own.len(), 1);
    assert!(!own[0].contains("<form"), "own row: {}", own[0]);
    assert!(own[0].contains("(you)"));
    let other = select(
        &html,
        &format!("tr#user-{bob} form[action$=\"/deactivate\"]"),
    );
    assert_eq!(other.len(), 1);
    assert!(
        other[0].contains("data-confirm=\"Deactivate bob?"),
        "{}",
        other[0]
    );
    assert!(
        other[0].contains("class=\"link danger\""),
        "destructive in red"
    );

    let (_, mine) = root.page(&format!("/admin/users/{root_id}")).await;
    assert!(mine.contains("This is your own account"));
    for action in ["deactivate", "revoke-sessions", "delete", "roles"] {
        assert!(
            !mine.contains(&format!("/admin/users/{root_id}/{action}")),
            "own page offers {action}"
        );
    }
    let (_, theirs) = root.page(&format!("/admin/users/{bob}")).await;
    for action in ["deactivate", "revoke-sessions"] {
        let form = select(
            &theirs,
            &format!("form[action=\"/admin/users/{bob}/{action}\"]"),
        );
        assert_eq!(form.len(), 1, "{action}");
        assert!(form[0].contains("data-confirm="), "{action} asks first");
        assert!(
            form[0].contains("class=\"danger\""),
            "{action} styled as destructive"
        );
    }
    // Hiding is not the guard: the server still refuses.
    let token = root.csrf_token("/admin/users").await;
    let response = root
        .post_form(
            &format!("/admin/users/{root_id}/deactivate"),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

async fn times_are_time_elements_and_the_sorted_column_is_marked(backend: Backend) {
    let app = spawn!(backend);
    let root = app.admin("root").await;
    create(&root, "bob").await;
    let (_, html) = root.page("/admin/users").await;
    let times = select(&html, "table.data time[datetime]");
    assert!(times.len() >= 2, "{html}");
    let document = Html::parse_document(&html);
    let selector = Selector::parse("table.data time[datetime]").unwrap();
    for time in document.select(&selector) {
        let iso = time.value().attr("datetime").unwrap();
        assert!(
            time::OffsetDateTime::parse(iso, &time::format_description::well_known::Rfc3339)
                .is_ok(),
            "{iso}"
        );
        assert_eq!(time.value().attr("title"), Some(iso));
    }
    // No arrow until a column is chosen.
    assert!(select(&html, "th[aria-sort]").is_empty());
    let (_, html) = root.page("/admin/users?sort=username&order=asc").await;
    let sorted = select(&html, "th[aria-sort]");
    assert_eq!(sorted.len(), 1);
    assert!(sorted[0].contains("aria-sort=\"ascending\"") && sorted[0].contains('▲'));
    assert!(sorted[0].contains(">Username"));
    // Its link turns the order round; the others start ascending.
    assert!(sorted[0].contains("order=desc"), "{}", sorted[0]);
    let (_, html) = root.page("/admin/users?sort=created&order=desc").await;
    let sorted = select(&html, "th[aria-sort]");
    assert!(sorted[0].contains("aria-sort=\"descending\"") && sorted[0].contains('▼'));
    assert!(sorted[0].contains(">Created"));
    // Sessions pages use the same timestamps.
    let (_, html) = root.page("/account/sessions").await;
    assert!(!select(&html, "table.sessions time[datetime]").is_empty());
}

async fn the_search_finds_text_anywhere_and_takes_wildcards_literally(backend: Backend) {
    let app = spawn!(backend);
    let root = app.admin("root").await;
    for name in ["anna", "joanne", "ann_x", "annex"] {
        create(&root, name).await;
    }
    let found = |html: &str| {
        let document = Html::parse_document(html);
        let selector = Selector::parse("table.data tbody tr td:first-child a").unwrap();
        let mut names: Vec<String> = document
            .select(&selector)
            .map(|a| a.text().collect())
            .collect();
        names.sort();
        names
    };
    let (_, html) = root.page("/admin/users?q=ANN").await;
    assert_eq!(found(&html), ["ann_x", "anna", "annex", "joanne"]);
    let (_, html) = root.page("/admin/users?q=oan").await;
    assert_eq!(found(&html), ["joanne"], "the middle of a name");
    let (_, html) = root.page("/admin/users?q=n_x").await;
    assert_eq!(found(&html), ["ann_x"], "_ is itself, not any character");
    let (_, html) = root.page("/admin/users?q=%25").await;
    assert!(found(&html).is_empty(), "% is itself, not anything");
    let (_, html) = root.page("/admin/users?q=corp.example").await;
    assert_eq!(found(&html).len(), 4, "addresses count too");
}

async fn the_audit_log_names_accounts_and_filters_by_whole_days(backend: Backend) {
    let app = spawn!(backend);
    let root = app.admin("root").await;
    let root_id = id_of(&root, "root").await;
    let dave = create(&root, "dave").await;
    let token = root.csrf_token("/admin/users").await;
    root.post_form(
        &format!("/admin/users/{dave}/deactivate"),
        &[("csrf_token", &token)],
    )
    .await;

    let (_, html) = root.page("/admin/audit?type=user_deactivated").await;
    let actor = select(&html, &format!("tbody a[href=\"/admin/users/{root_id}\"]"));
    let target = select(&html, &format!("tbody a[href=\"/admin/users/{dave}\"]"));
    assert!(actor.iter().any(|a| a.contains(">root<")), "{html}");
    assert!(target.iter().any(|a| a.contains(">dave<")), "{html}");
    assert!(!html.contains(&format!(">#{dave}<")));

    // Once dave is deleted, his events name him by id, without a link.
    root.post_form(
        &format!("/admin/users/{dave}/delete"),
        &[("csrf_token", &token)],
    )
    .await;
    let (_, html) = root.page("/admin/audit?type=user_deactivated").await;
    assert!(html.contains(&format!("#{dave} (deleted)")), "{html}");
    assert!(select(&html, &format!("tbody a[href=\"/admin/users/{dave}\"]")).is_empty());

    // An unknown user is a message beside the form, not an error page.
    let (status, html) = root.page("/admin/audit?user=nobody").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("No account has the username or email"),
        "{html}"
    );
    assert!(html.contains("nobody") && html.contains("name=\"user\""));

    // "from" and "to" both include their whole day (the events happened
    // today, by the server's clock).
    let today = app.clock.now().date();
    let yesterday = today.previous_day().unwrap();
    let tomorrow = today.next_day().unwrap();
    let count = |html: &str| select(html, "tbody tr time").len();
    for (query, expected_some) in [
        (format!("since={today}&until={today}"), true),
        (format!("since={today}"), true),
        (format!("until={today}"), true),
        (format!("until={yesterday}"), false),
        (format!("since={tomorrow}"), false),
    ] {
        let (status, html) = root
            .page(&format!("/admin/audit?type=user_deactivated&{query}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert_eq!(count(&html) > 0, expected_some, "{query}");
        // An empty page says so, instead of "0–0 of 0".
        assert_eq!(html.contains("No events"), !expected_some, "{query}");
        assert!(!html.contains("0–0 of 0"), "{query}");
        // The dates come back in the form as entered.
        if let Some(until) = query.split("until=").nth(1) {
            assert!(
                html.contains(&format!("name=\"until\" value=\"{until}\"")),
                "{query}"
            );
        }
    }
}
