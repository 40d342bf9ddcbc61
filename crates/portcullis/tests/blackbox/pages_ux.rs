//! What a newcomer meets on the account pages: the rules before the first
//! mistake, the address every link went to, a layout that fits a phone, a
//! way to see the password being typed, an icon, and a way back from the
//! logout page.

use crate::common::{Backend, PASSWORD, location, on_both_backends, spawn};
use reqwest::StatusCode;
use scraper::{Html, Selector};

on_both_backends!(
    pages_link_the_icon_and_the_password_script_and_nothing_inline,
    the_icon_and_the_script_are_served,
    the_sessions_table_labels_its_cells_for_the_phone_layout,
    the_register_page_states_the_rules_in_force,
    after_registering_the_page_names_the_address_the_link_went_to,
    a_planted_address_cookie_is_not_shown,
    the_link_pages_name_the_address_they_are_about,
    the_profile_shows_a_pending_address_change,
    the_logout_page_cancels_back_to_where_the_user_came_from,
);

fn select<'a>(html: &'a Html, selector: &str) -> Vec<scraper::ElementRef<'a>> {
    html.select(&Selector::parse(selector).unwrap()).collect()
}

fn text_of(element: scraper::ElementRef<'_>) -> String {
    element.text().collect::<String>()
}

async fn pages_link_the_icon_and_the_password_script_and_nothing_inline(backend: Backend) {
    let app = spawn!(backend);
    let browser = app.browser();
    for path in ["/", "/auth/login", "/auth/register"] {
        let (status, body) = browser.page(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let html = Html::parse_document(&body);
        let icons = select(&html, r#"link[rel="icon"]"#);
        assert_eq!(icons.len(), 1, "{path}");
        assert_eq!(icons[0].value().attr("href"), Some("/favicon.svg"));
        let scripts = select(&html, "script");
        assert!(
            scripts
                .iter()
                .any(|s| s.value().attr("src") == Some("/static/password.js")),
            "{path}"
        );
        assert!(
            scripts.iter().all(|s| s.value().attr("src").is_some()),
            "{path}: an inline script"
        );
        // The toggle is the script's to add: without it the form is plain.
        assert!(select(&html, "button.reveal").is_empty(), "{path}");
        assert!(!body.contains("onclick"), "{path}");
    }
    let (_, login) = browser.page("/auth/login").await;
    let login = Html::parse_document(&login);
    assert_eq!(
        select(&login, "div.card.centred").len(),
        1,
        "a centred login card"
    );
    assert_eq!(select(&login, r#"input[type="password"]"#).len(), 1);
}

async fn the_icon_and_the_script_are_served(backend: Backend) {
    let app = spawn!(backend);
    let browser = app.browser();
    let icon = browser.get("/favicon.svg").await;
    assert_eq!(icon.status(), StatusCode::OK);
    assert_eq!(icon.headers()["content-type"], "image/svg+xml");
    assert!(icon.text().await.unwrap().starts_with("<svg"));
    let ico = browser.get("/favicon.ico").await;
    assert_eq!(ico.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(location(&ico), "/favicon.svg");

    let script = browser.get("/static/password.js").await;
    assert_eq!(script.status(), StatusCode::OK);
    assert_eq!(
        script.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    let script = script.text().await.unwrap();
    assert!(script.contains(r#"input[type="password"]"#));
    assert!(script.contains("addEventListener(\"click\""));

    let css = browser.get("/static/app.css").await.text().await.unwrap();
    let phone = css
        .split("@media (max-width: 600px)")
        .nth(1)
        .expect("a phone-width section in the stylesheet");
    for rule in [
        "header.site .brand { flex-basis: 100%; }",
        "table.sessions, table.sessions tbody, table.sessions tr, table.sessions td { display: block;",
        "content: attr(data-label)",
    ] {
        assert!(phone.contains(rule), "{rule}");
    }
    assert!(css.contains("header.site nav { flex-wrap: wrap;"));
}

async fn the_sessions_table_labels_its_cells_for_the_phone_layout(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let (status, body) = alice.page("/account/sessions").await;
    assert_eq!(status, StatusCode::OK);
    let html = Html::parse_document(&body);
    let headings: Vec<String> = select(&html, "table.sessions thead th")
        .into_iter()
        .map(text_of)
        .filter(|h| !h.is_empty())
        .collect();
    assert_eq!(headings.len(), 4);
    let rows = select(&html, "table.sessions tbody tr");
    assert_eq!(rows.len(), 1);
    let labels: Vec<&str> = rows[0]
        .select(&Selector::parse("td[data-label]").unwrap())
        .map(|td| td.value().attr("data-label").unwrap())
        .collect();
    assert_eq!(labels, headings, "each cell is labelled by its column");
}

async fn the_register_page_states_the_rules_in_force(backend: Backend) {
    let app = spawn!(backend, |s| s.password.min_length = 14);
    let (status, body) = app.browser().page("/auth/register").await;
    assert_eq!(status, StatusCode::OK);
    let html = Html::parse_document(&body);
    let username = select(&html, "#username-rules");
    assert_eq!(
        text_of(username[0]),
        "3 to 32 characters: letters, digits, '_', '.' and '-'."
    );
    let rules: Vec<String> = select(&html, "#password-rules li")
        .into_iter()
        .map(text_of)
        .collect();
    assert_eq!(
        rules[0], "14 to 128 characters; spaces are fine.",
        "{rules:?}"
    );
    assert!(rules.iter().any(|r| r.contains("username")), "{rules:?}");
    assert!(
        rules.iter().any(|r| r.contains("common password")),
        "{rules:?}"
    );
    // The fields point at their rules, for screen readers.
    for (field, hint) in [
        ("username", "username-rules"),
        ("password", "password-rules"),
    ] {
        let input = select(&html, &format!("input#{field}"));
        assert_eq!(input[0].value().attr("aria-describedby"), Some(hint));
    }

    // A short password is refused with the same number the page states.
    let response = app
        .browser()
        .register("alice", "alice@example.com", "thirteen-char")
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(body.contains("at least 14 characters"), "{body}");
    assert!(
        body.contains("14 to 128 characters"),
        "the rules stay on the page"
    );
}

async fn after_registering_the_page_names_the_address_the_link_went_to(backend: Backend) {
    // As production does: a taken address is not revealed.
    let app = spawn!(backend, |s| s.registration.reveal_taken = Some(false));
    let browser = app.browser();
    let response = browser
        .register("alice", "Alice@Example.com", PASSWORD)
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, body) = browser.page(&location(&response)).await;
    let html = Html::parse_document(&body);
    let flash = select(&html, "div.flash.success");
    assert_eq!(flash.len(), 1, "{body}");
    assert!(
        text_of(flash[0]).contains("We sent a link to Alice@Example.com"),
        "{body}"
    );
    // Shown once, like any flash.
    let (_, again) = browser.page("/auth/login").await;
    assert!(!again.contains("Alice@Example.com"));

    // A taken address gets the same answer, naming the address typed.
    let other = app.browser();
    let response = other
        .register("alice2", "alice@example.com", PASSWORD)
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, body) = other.page("/auth/login").await;
    assert!(
        body.contains("We sent a link to alice@example.com"),
        "{body}"
    );
}

async fn a_planted_address_cookie_is_not_shown(backend: Backend) {
    let app = spawn!(backend);
    let browser = app.browser();
    let url = reqwest::Url::parse(&app.base).unwrap();
    browser
        .jar
        .add_cookie_str("portcullis_flash=registered; Path=/", &url);
    // An address with a signature this server did not make.
    browser.jar.add_cookie_str(
        "portcullis_sent_to=bWFsbG9yeUBldmlsLmV4YW1wbGU.AAAA; Path=/",
        &url,
    );
    let (status, body) = browser.page("/auth/login").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!body.contains("mallory@evil.example"));
    assert!(
        body.contains("Registration successful! We sent you a link to confirm your email address."),
        "{body}"
    );
}

async fn the_link_pages_name_the_address_they_are_about(backend: Backend) {
    let app = spawn!(backend);
    let mail = app.registered_with_confirmation("alice").await;
    let path = mail.path("/auth/confirm/");
    let (status, body) = app.browser().page(&path).await;
    assert_eq!(status, StatusCode::OK);
    let html = Html::parse_document(&body);
    let named = select(&html, "div.card strong");
    assert_eq!(text_of(named[0]), "alice@example.com", "{body}");
    // A bad link names nobody.
    let (status, body) = app.browser().page("/auth/confirm/not-a-token").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(!body.contains("The address to confirm"));

    let alice = app.browser();
    alice.login("alice", PASSWORD).await;
    let response = alice
        .submit(
            "/auth/change-email",
            "/auth/change-email",
            &[("email", "alice@new.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let mail = app
        .mail
        .wait_for_subject("alice@new.example", "Confirm your new email address", 1)
        .await;
    let (status, body) = app.browser().page(&mail.path("/auth/change-email/")).await;
    assert_eq!(status, StatusCode::OK);
    let html = Html::parse_document(&body);
    let named = select(&html, "div.card strong");
    assert_eq!(text_of(named[0]), "alice@new.example", "{body}");
}

async fn the_profile_shows_a_pending_address_change(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let (_, before) = alice.page("/profile").await;
    assert!(!before.contains("pending-email"));
    alice
        .submit(
            "/auth/change-email",
            "/auth/change-email",
            &[("email", "alice@new.example"), ("password", PASSWORD)],
        )
        .await;
    let (_, body) = alice.page("/profile").await;
    let html = Html::parse_document(&body);
    let pending = select(&html, "#pending-email");
    assert_eq!(pending.len(), 1, "{body}");
    let text = text_of(pending[0]);
    assert!(text.contains("alice@new.example"), "{text}");
    assert!(text.contains("we sent a confirmation link there"), "{text}");

    // Once followed, nothing is pending.
    let mail = app
        .mail
        .wait_for_subject("alice@new.example", "Confirm your new email address", 1)
        .await;
    let path = mail.path("/auth/change-email/");
    assert_eq!(
        alice.submit(&path, &path, &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    let (_, after) = alice.page("/profile").await;
    assert!(!after.contains("pending-email"), "{after}");
}

async fn the_logout_page_cancels_back_to_where_the_user_came_from(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let cancel = |referer: Option<String>| {
        let alice = &alice;
        async move {
            let mut request = alice.client.get(alice.url("/auth/logout"));
            if let Some(referer) = referer {
                request = request.header("referer", referer);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            let html = Html::parse_document(&response.text().await.unwrap());
            let links = select(&html, "main a.button");
            assert_eq!(text_of(links[0]), "Cancel");
            links[0].value().attr("href").unwrap().to_owned()
        }
    };
    assert_eq!(
        cancel(Some(alice.url("/account/sessions?x=1"))).await,
        "/account/sessions?x=1"
    );
    assert_eq!(cancel(None).await, "/");
    assert_eq!(
        cancel(Some("https://evil.example/profile".into())).await,
        "/"
    );
    // Cancelling logs nobody out.
    assert_eq!(alice.get("/profile").await.status(), StatusCode::OK);
}
