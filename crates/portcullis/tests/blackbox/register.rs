//! Registration through the HTML form.

use crate::common::{Backend, PASSWORD, location, on_both_backends, spawn};
use reqwest::StatusCode;

on_both_backends!(
    a_visitor_registers_and_is_sent_to_log_in,
    every_bad_field_gets_its_own_message_and_typed_values_come_back_without_the_password,
    usernames_and_emails_are_unique_regardless_of_case,
    the_home_page_tells_anonymous_visitors_where_to_log_in_or_register,
);

async fn the_home_page_tells_anonymous_visitors_where_to_log_in_or_register(backend: Backend) {
    let app = spawn!(backend);
    let (status, html) = app.browser().page("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("You are not logged in."));
    assert!(html.contains(r#"href="/auth/login""#));
    assert!(html.contains(r#"href="/auth/register""#));
    assert!(!html.contains("Log out"));
}

async fn a_visitor_registers_and_is_sent_to_log_in(backend: Backend) {
    let app = spawn!(backend);
    let browser = app.browser();
    let response = browser
        .register("alice", "alice@example.com", PASSWORD)
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/auth/login");
    let (_, html) = browser.page("/auth/login").await;
    assert!(
        html.contains(
            "Registration successful! We sent a link to alice@example.com: \
             follow it to confirm your email address."
        ),
        "{html}"
    );
    // The flash is shown once.
    let (_, html) = browser.page("/auth/login").await;
    assert!(!html.contains("Registration successful"));
}

async fn every_bad_field_gets_its_own_message_and_typed_values_come_back_without_the_password(
    backend: Backend,
) {
    let app = spawn!(backend);
    let browser = app.browser();
    let secret = "only-seven";
    let response = browser
        .submit(
            "/auth/register",
            "/auth/register",
            &[
                ("username", "a!"),
                ("email", "not-an-email"),
                ("password", secret),
                ("password_confirm", "something else"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Username may contain only letters, digits"),
        "{html}"
    );
    assert!(html.contains("Enter a valid email address."));
    assert!(html.contains("Passwords do not match."));
    assert!(html.contains(r#"value="not-an-email""#));
    assert!(!html.contains(secret), "the password must never be echoed");

    let response = browser
        .submit(
            "/auth/register",
            "/auth/register",
            &[
                ("username", "bob"),
                ("email", "bob@example.com"),
                ("password", "short"),
                ("password_confirm", "short"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Password must be at least 8 characters long.")
    );

    let too_long = "x".repeat(129);
    let response = browser.register("bob", "bob@example.com", &too_long).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("at most 128 characters")
    );

    // Nothing was created: the username is still free.
    assert_eq!(
        browser
            .register("bob", "bob@example.com", PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}

async fn usernames_and_emails_are_unique_regardless_of_case(backend: Backend) {
    let app = spawn!(backend);
    let browser = app.browser();
    assert_eq!(
        browser
            .register("Alice", "alice@example.com", PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );

    let response = browser
        .register("aLiCe", "other@example.com", PASSWORD)
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("This username is already taken.")
    );

    let response = browser
        .register("someone", "ALICE@Example.COM", PASSWORD)
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("This email address is already registered.")
    );

    // Either spelling logs in to the one account.
    assert_eq!(
        browser.login("ALICE", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
}
