//! Error pages are pages like any other: their header shows who is logged
//! in, with the way to log out, and the stylesheet keeps error messages
//! readable.

use crate::common::{Backend, Browser, on_both_backends, spawn};
use reqwest::StatusCode;

on_both_backends!(
    error_pages_show_the_visitor_as_logged_in_when_they_are,
    error_messages_are_not_red_on_red,
);

/// The text of the page's main navigation.
fn header_of(html: &str) -> String {
    let document = scraper::Html::parse_document(html);
    let nav = scraper::Selector::parse("header nav").unwrap();
    document
        .select(&nav)
        .flat_map(|e| e.text())
        .collect::<Vec<_>>()
        .join(" ")
}

async fn error_page(browser: &Browser, path: &str, status: StatusCode) -> String {
    let (got, html) = browser.page(path).await;
    assert_eq!(got, status, "GET {path}");
    header_of(&html)
}

async fn error_pages_show_the_visitor_as_logged_in_when_they_are(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    for (path, status) in [
        ("/no/such/page", StatusCode::NOT_FOUND),
        ("/admin/users", StatusCode::FORBIDDEN),
    ] {
        let header = error_page(&alice, path, status).await;
        assert!(header.contains("alice"), "{path}: {header}");
        assert!(header.contains("Log out"), "{path}: {header}");
        assert!(!header.contains("Log in"), "{path}: {header}");
    }
    // The error page's logout button works: its token is this session's.
    let (_, html) = alice.page("/no/such/page").await;
    let token = crate::common::csrf_in(&html).expect("a logout form");
    let response = alice
        .post_form("/auth/logout", &[("csrf_token", &token)])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        alice.get("/dashboard").await.status(),
        StatusCode::SEE_OTHER,
        "logged out"
    );

    let anonymous = app.browser();
    let header = error_page(&anonymous, "/no/such/page", StatusCode::NOT_FOUND).await;
    assert!(header.contains("Log in"), "{header}");
    assert!(!header.contains("Log out"), "{header}");
}

async fn error_messages_are_not_red_on_red(backend: Backend) {
    let app = spawn!(backend);
    let response = app.browser().get("/static/app.css").await;
    assert_eq!(response.status(), StatusCode::OK);
    let css = response.text().await.unwrap();
    let mut flash_rules = 0;
    for rule in css.split('}') {
        let Some((selectors, declarations)) = rule.split_once('{') else {
            continue;
        };
        // Rules that reach `<div class="flash danger">`.
        let applies = selectors.split(',').any(|selector| {
            let last = selector.split_whitespace().last().unwrap_or("");
            let mut parts = last.split('.');
            let tag = parts.next().unwrap_or("");
            (tag.is_empty() || tag == "div")
                && parts.clone().next().is_some()
                && parts.all(|class| class == "flash" || class == "danger")
        });
        if !applies {
            continue;
        }
        flash_rules += 1;
        for declaration in declarations.split(';') {
            let Some((property, value)) = declaration.split_once(':') else {
                continue;
            };
            let property = property.trim();
            if property == "background" || property == "background-color" {
                assert!(
                    !value.contains("--bad"),
                    "{selectors} gives error flashes a red background: {declaration}"
                );
            }
            if property == "color" {
                assert!(
                    !value.contains("#fff") && !value.contains("white"),
                    "{selectors}: {declaration}"
                );
            }
        }
    }
    assert!(flash_rules > 0, "the stylesheet styles .flash.danger");
}
