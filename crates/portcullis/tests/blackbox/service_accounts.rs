//! Service accounts and other people's tokens: robots that act only
//! through tokens an administrator mints, and administrators who list and
//! revoke tokens under the containment rules, tried from the command line
//! and the API as each kind of actor.

use crate::admin::{call, id_of};
use crate::cli::portcullis;
use crate::common::{Backend, PASSWORD, TestApp, on_both_backends, spawn};
use crate::tokens::{Script, personal_token, token_login};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    a_service_account_is_made_at_the_command_line_and_acts_only_through_its_tokens,
    no_one_mints_tokens_for_a_person_or_beyond_what_the_service_holds,
    administrators_list_and_revoke_tokens_only_of_accounts_they_may_act_on,
    service_accounts_are_made_and_given_tokens_over_the_api,
    the_admin_pages_make_a_service_account_mint_its_token_once_and_revoke_it,
);

/// Runs the CLI against the app's database; its stdout on success.
fn cli(app: &TestApp, args: &[&str]) -> Result<String, String> {
    let out = portcullis(&app.db_url, args, None);
    if out.status.success() {
        Ok(String::from_utf8(out.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

async fn a_service_account_is_made_at_the_command_line_and_acts_only_through_its_tokens(
    backend: Backend,
) {
    let app = spawn!(backend);
    cli(
        &app,
        &["roles", "create", "deployer", "--permission", "deploy:run"],
    )
    .unwrap();
    let made = cli(
        &app,
        &[
            "users",
            "create",
            "--service",
            "ci-bot",
            "--role",
            "deployer",
        ],
    )
    .unwrap();
    assert!(made.contains("ci-bot"), "{made}");
    let token = cli(
        &app,
        &[
            "tokens",
            "create",
            "ci-bot",
            "--name",
            "deploys",
            "--scope",
            "deploy:run",
            "--scope",
            "me:read",
            "--expires",
            "30d",
        ],
    )
    .unwrap();
    let token = token.trim();
    assert!(token.starts_with("pcl_"), "{token}");

    let script = Script::new(&app, token);
    let (status, me) = script.get("/api/me").await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["user"]["username"], "ci-bot");
    assert_eq!(me["user"]["kind"], "service");
    assert_eq!(me["user"]["email"], Value::Null);
    assert_eq!(me["roles"], json!(["deployer"]));

    // No password, so no login of any kind.
    for password in ["", PASSWORD, "ci-bot"] {
        let (status, _) =
            token_login(&app, json!({"username": "ci-bot", "password": password})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            app.browser().login("ci-bot", password).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let shown = cli(&app, &["users", "show", "ci-bot"]).unwrap();
    assert!(shown.contains("service account"), "{shown}");

    let listed: Value =
        serde_json::from_str(&cli(&app, &["tokens", "list", "ci-bot", "--json"]).unwrap()).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["kind"], "service");
    assert_eq!(listed[0]["scopes"], json!(["deploy:run", "me:read"]));
    assert!(!listed.to_string().contains(&token[4..]));
    let id = listed[0]["id"].as_i64().unwrap().to_string();
    cli(&app, &["tokens", "revoke", "ci-bot", &id]).unwrap();
    assert_eq!(script.get("/api/me").await.0, StatusCode::UNAUTHORIZED);
    assert!(cli(&app, &["tokens", "revoke", "ci-bot", &id]).is_err());

    // The command line acts as the system, and the log says so.
    let created = app.audit(&["--type", "token_created"]);
    let event = &created["events"][0];
    assert_eq!(event["detail"]["actor"], "system", "{created}");
    assert_eq!(event["detail"]["kind"], "service");
}

async fn no_one_mints_tokens_for_a_person_or_beyond_what_the_service_holds(backend: Backend) {
    let app = spawn!(backend);
    app.logged_in("alice").await;
    cli(&app, &["users", "create", "--service", "backup-bot"]).unwrap();
    let refused = cli(
        &app,
        &[
            "tokens", "create", "alice", "--name", "x", "--scope", "me:read",
        ],
    )
    .unwrap_err();
    assert!(refused.contains("service accounts"), "{refused}");
    let refused = cli(
        &app,
        &[
            "tokens",
            "create",
            "backup-bot",
            "--name",
            "x",
            "--scope",
            "users:manage",
        ],
    )
    .unwrap_err();
    assert!(refused.contains("does not hold users:manage"), "{refused}");
    for expires in ["never", "400d", "soon"] {
        assert!(
            cli(
                &app,
                &[
                    "tokens",
                    "create",
                    "backup-bot",
                    "--name",
                    "x",
                    "--scope",
                    "me:read",
                    "--expires",
                    expires
                ],
            )
            .is_err(),
            "{expires}"
        );
    }
    // A service account cannot make its own tokens, even with me:tokens.
    let token = cli(
        &app,
        &[
            "tokens",
            "create",
            "backup-bot",
            "--name",
            "x",
            "--scope",
            "me:tokens",
        ],
    )
    .unwrap();
    let (status, _, body) = Script::new(&app, token.trim())
        .send(
            Method::POST,
            "/api/tokens",
            Some(json!({"name": "more", "scopes": ["me:tokens"]})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // Names that are not names are refused before anything is made.
    assert!(cli(&app, &["users", "create", "--service", "bad name!"]).is_err());
    assert!(cli(&app, &["users", "create", "--service", "alice"]).is_err());
}

async fn administrators_list_and_revoke_tokens_only_of_accounts_they_may_act_on(backend: Backend) {
    let app = spawn!(backend);
    let root = app.admin("root").await;
    let (status, _) = call(
        &root,
        Method::POST,
        "/api/admin/roles",
        Some(json!({"name": "keeper", "permissions": ["tokens:manage", "users:read"]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let keeper = app.logged_in("keeper").await;
    let keeper_id = id_of(&root, "keeper").await;
    call(
        &root,
        Method::POST,
        &format!("/api/admin/users/{keeper_id}/roles"),
        Some(json!({"role": "keeper"})),
    )
    .await;
    let alice = app.logged_in("alice").await;
    let bob = app.logged_in("bob").await;
    let alice_id = id_of(&root, "alice").await;
    let root_id = id_of(&root, "root").await;
    let (token_id, secret) = personal_token(&alice, &["me:read"]).await;
    personal_token(&root, &["me:read"]).await;

    let listing = format!("/api/admin/users/{alice_id}/tokens");
    // Anonymous, a plain user, the owner: not an administrator's route.
    assert_eq!(
        app.browser().get(&listing).await.status(),
        StatusCode::UNAUTHORIZED
    );
    for who in [&bob, &alice] {
        let (status, _) = call(who, Method::GET, &listing, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = call(who, Method::DELETE, &format!("{listing}/{token_id}"), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    // The keeper may act on Alice...
    let (status, body) = call(&keeper, Method::GET, &listing, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["tokens"][0]["id"], token_id);
    assert!(!body.to_string().contains(&secret[4..]));
    // ...but not on root, whose administrative permissions it lacks.
    let roots = format!("/api/admin/users/{root_id}/tokens");
    let (status, _) = call(&keeper, Method::GET, &roots, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call(&keeper, Method::DELETE, &roots, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // No tokens for a person, whoever asks.
    for who in [&keeper, &root] {
        let (status, _) = call(
            who,
            Method::POST,
            &listing,
            Some(json!({"name": "x", "scopes": ["me:read"]})),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, _) = call(
        &keeper,
        Method::DELETE,
        &format!("{listing}/{token_id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        Script::new(&app, &secret).get("/api/me").await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = call(
        &keeper,
        Method::DELETE,
        &format!("{listing}/{token_id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let revoked = app.audit(&["--type", "token_revoked"]);
    assert_eq!(revoked["events"][0]["detail"]["reason"], "administrator");
    assert_eq!(revoked["events"][0]["actor"], keeper_id);
}

async fn service_accounts_are_made_and_given_tokens_over_the_api(backend: Backend) {
    let app = spawn!(backend);
    let root = app.admin("root").await;
    let helpdesk = app.logged_in("helpdesk").await;
    let (status, body) = call(
        &helpdesk,
        Method::POST,
        "/api/admin/service-accounts",
        Some(json!({"username": "sneaky-bot"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = call(
        &root,
        Method::POST,
        "/api/admin/service-accounts",
        Some(json!({"username": "report-bot", "roles": ["admin"]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["user"]["kind"], "service");
    let bot = body["user"]["id"].as_i64().unwrap();
    let (status, body) = call(
        &root,
        Method::POST,
        &format!("/api/admin/users/{bot}/tokens"),
        Some(json!({"name": "nightly", "scopes": ["audit:read", "me:read"], "expires_in": 3600})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["kind"], "service");
    let script = Script::new(&app, body["token"].as_str().unwrap());
    assert_eq!(script.get("/api/admin/audit").await.0, StatusCode::OK);
    // Its scopes, not its admin role, bound it.
    assert_eq!(
        script.get("/api/admin/users").await.0,
        StatusCode::FORBIDDEN
    );
    // A service account has neither address nor password to be given.
    let (status, body) = call(
        &root,
        Method::PATCH,
        &format!("/api/admin/users/{bot}"),
        Some(json!({"email": "bot@example.com"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = call(
        &root,
        Method::PATCH,
        &format!("/api/admin/users/{bot}"),
        Some(json!({"name": "Nightly reports"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let out = portcullis(
        &app.db_url,
        &["users", "set-password", "report-bot", "--password-stdin"],
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no password"));
}

async fn the_admin_pages_make_a_service_account_mint_its_token_once_and_revoke_it(
    backend: Backend,
) {
    let app = spawn!(backend);
    let root = app.admin("root").await;
    let (status, users) = root.page("/admin/users").await;
    assert_eq!(status, StatusCode::OK);
    assert!(users.contains("/admin/service-accounts/new"));
    let made = root
        .submit(
            "/admin/service-accounts/new",
            "/admin/service-accounts",
            &[("username", "ci-bot"), ("role", "")],
        )
        .await;
    assert_eq!(made.status(), StatusCode::SEE_OTHER);
    let page_path = crate::common::location(&made);
    let (_, page) = root.page(&page_path).await;
    assert!(page.contains("service account: no email"), "{page}");
    assert!(page.contains("No tokens."));
    let minted = root
        .submit(
            &page_path,
            &format!("{page_path}/tokens"),
            &[("name", "deploys"), ("scopes", "me:read"), ("days", "7")],
        )
        .await;
    assert_eq!(minted.status(), StatusCode::CREATED);
    let html = minted.text().await.unwrap();
    let document = scraper::Html::parse_document(&html);
    let secret = document
        .select(&scraper::Selector::parse("input#secret").unwrap())
        .next()
        .unwrap()
        .value()
        .attr("value")
        .unwrap()
        .to_owned();
    let script = Script::new(&app, &secret);
    assert_eq!(script.get("/api/me").await.0, StatusCode::OK);
    let (_, page) = root.page(&page_path).await;
    assert!(page.contains("deploys") && !page.contains(&secret[4..]));
    // A bad name answers the form again, with the reason.
    let refused = root
        .submit(
            "/admin/service-accounts/new",
            "/admin/service-accounts",
            &[("username", "no spaces allowed")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let revoked = root
        .submit(&page_path, &format!("{page_path}/tokens/revoke-all"), &[])
        .await;
    assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
    assert_eq!(script.get("/api/me").await.0, StatusCode::UNAUTHORIZED);
    // A plain user gets none of it.
    let alice = app.logged_in("alice").await;
    assert_eq!(
        alice.get("/admin/service-accounts/new").await.status(),
        StatusCode::FORBIDDEN
    );
}
