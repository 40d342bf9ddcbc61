//! `portcullis import`: databases of the tutorial Flask apps, made by the
//! real Python libraries (werkzeug, Flask-Bcrypt, Flask-Security-Too,
//! SQLAlchemy — `tests/fixtures/flask/make_fixture.py`), imported by the
//! real binary; then every imported person logs in with the password the
//! Flask app took, a second factor where they had one, and their hash is
//! argon2id after that first login.
//!
//! The fixtures need the Python environment `.ci/run` builds
//! (`FLASK_FIXTURE_PYTHON` names its interpreter). Outside CI its
//! absence skips these tests, as a missing PostgreSQL does; under CI it
//! fails them.

use crate::cli::{portcullis, portcullis_with};
use crate::common::{Backend, Browser, TEST_SECRET, TestApp, on_both_backends, spawn};
use crate::totp::code;
use portcullis_core::Clock as _;
use portcullis_store::testing::{TempSqliteFile, TestDatabase, in_ci};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Command;

on_both_backends!(
    seed000_users_log_in_with_werkzeug_hashes_and_their_second_factor,
    flask_security_users_log_in_through_its_salted_pre_hash,
    seed002_google_accounts_are_linked_without_passwords,
    seed003_bcrypt_bytes_from_sqlite_and_postgresql_verify,
    seed004_plain_text_passwords_are_hashed_and_old_werkzeug_ones_verify,
    a_dry_run_keeps_nothing_and_a_second_run_creates_nothing_twice,
    csv_and_jsonl_files_import_with_their_documented_columns,
    a_dry_run_over_many_batches_with_new_roles_reports_them_all,
);

const FS_SALT: &str = "fs-salt-123";

/// The Python that has the fixture libraries, if this machine has it.
fn python() -> Option<PathBuf> {
    match std::env::var_os("FLASK_FIXTURE_PYTHON") {
        Some(path) => Some(PathBuf::from(path)),
        None if in_ci() => panic!(
            "FLASK_FIXTURE_PYTHON is not set: .ci/run builds the fixture environment \
             (crates/portcullis/tests/fixtures/flask/requirements.txt) and sets it"
        ),
        None => {
            eprintln!("skipping: FLASK_FIXTURE_PYTHON is not set (under CI this fails)");
            None
        }
    }
}

/// Makes the `schema` app's database at the SQLAlchemy `url`; returns the
/// manifest of the users it holds.
fn make_fixture(python: &PathBuf, schema: &str, url: &str) -> Value {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/flask/make_fixture.py"
    );
    let output = Command::new(python)
        .args([script, "--schema", schema, "--url", url])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "fixture {schema}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// A fixture database in a SQLite file (kept alive by the holder).
fn sqlite_fixture(python: &PathBuf, schema: &str) -> (TempSqliteFile, String, Value) {
    let holder = TempSqliteFile::new().unwrap();
    let path = holder.dir().join("app.db");
    let url = format!("sqlite:///{}", path.display());
    let manifest = make_fixture(python, schema, &url);
    (holder, url, manifest)
}

/// Runs `portcullis import …` on the app's database; returns stdout,
/// after checking that it succeeded.
fn import(app: &TestApp, args: &[&str]) -> String {
    let mut all = vec!["import"];
    all.extend_from_slice(args);
    // The server's secret, which seals the imported TOTP seeds.
    let output = portcullis_with(
        &app.db_url,
        &all,
        None,
        &[("PORTCULLIS_SECRET", TEST_SECRET)],
    );
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "import {args:?}: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn users(manifest: &Value) -> &Vec<Value> {
    manifest["users"].as_array().unwrap()
}

/// What a person types to log in: the address, or the username without one.
fn login_name(user: &Value) -> String {
    user["email"]
        .as_str()
        .or(user["username"].as_str())
        .unwrap()
        .to_owned()
}

/// Logs `user` in through the API with the password the Flask app took
/// (and their TOTP code when they have a second factor); returns the body.
async fn logs_in(app: &TestApp, user: &Value) -> Value {
    let browser: Browser = app.browser();
    let login = login_name(user);
    let password = user["password"].as_str().unwrap();
    let response = browser
        .post_json(
            "/api/login",
            &json!({"username": login, "password": password}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK, "{login} logs in");
    let body: Value = response.json().await.unwrap();
    let Some(secret) = user["totp_secret"].as_str() else {
        assert_ne!(
            body["two_factor_required"], true,
            "{login}: no second factor was imported"
        );
        return body;
    };
    assert_eq!(
        body["two_factor_required"], true,
        "{login}: the second factor came along"
    );
    // A new 30-second step, so the code is not one already used.
    app.clock.advance(time::Duration::seconds(30));
    let now = app.clock.now().unix_timestamp();
    let second = browser
        .post_json_with(
            "/api/login/2fa",
            body["csrf_token"].as_str().unwrap(),
            &json!({"token": code(secret, now)}),
        )
        .await;
    assert_eq!(
        second.status(),
        StatusCode::OK,
        "{login}: the imported seed's code"
    );
    second.json().await.unwrap()
}

async fn refused(app: &TestApp, login: &str, password: &str) -> StatusCode {
    app.browser()
        .post_json(
            "/api/login",
            &json!({"username": login, "password": password}),
        )
        .await
        .status()
}

/// The stored hash of the account `login` (an address or a username).
async fn stored_hash(app: &TestApp, login: &str) -> String {
    let key = login.to_lowercase().replace('\'', "''");
    app.query_text(&format!(
        "SELECT COALESCE(password_hash, '') FROM users WHERE email_key = '{key}' OR username_key = '{key}'"
    ))
    .await
}

/// Every manifest user the fixture says is imported and may log in does,
/// with the admin role exactly when the app made them one; their hash is
/// argon2id afterwards, and a second login (now against it) works too.
async fn each_imported_user_logs_in(app: &TestApp, manifest: &Value) -> usize {
    let mut checked = 0;
    for user in users(manifest) {
        if user["expect"] != "imported" || user["active"] == false || user["password"].is_null() {
            continue;
        }
        let login = login_name(user);
        let before = stored_hash(app, &login).await;
        assert!(!before.is_empty(), "{login}: imported with a password");
        // A plain-text password was hashed with argon2id by the import.
        let native = before.starts_with("$argon2id$");
        let body = logs_in(app, user).await;
        let roles = body["roles"].as_array().cloned().unwrap_or_default();
        assert_eq!(
            roles.contains(&json!("admin")),
            user["admin"] == true,
            "{login}: admin role {roles:?}"
        );
        for role in user["roles"].as_array().unwrap() {
            assert!(roles.contains(role), "{login}: role {role} in {roles:?}");
        }
        let after = stored_hash(app, &login).await;
        assert!(
            after.starts_with("$argon2id$"),
            "{login}: rehashed at login, now {after:.12}…"
        );
        if !native {
            assert_ne!(before, after, "{login}");
        }
        logs_in(app, user).await;
        assert_eq!(
            refused(app, &login, "not-the-password-9").await,
            StatusCode::UNAUTHORIZED,
            "{login}: a wrong password"
        );
        checked += 1;
    }
    checked
}

async fn seed000_users_log_in_with_werkzeug_hashes_and_their_second_factor(backend: Backend) {
    let Some(python) = python() else { return };
    let app = spawn!(backend);
    let (_holder, url, manifest) = sqlite_fixture(&python, "seed000");
    let out = import(&app, &["flask", "--from", &url]);
    assert!(
        out.contains("Found the seed000 schema (table \"users\")"),
        "{out}"
    );
    assert!(out.contains("Imported 6 accounts"), "{out}");
    assert!(out.contains("Two-factor seeds carried: 1"), "{out}");
    assert!(out.contains("Roles created: editor."), "{out}");
    assert!(
        out.contains("differs only in case from source row"),
        "{out}"
    );
    assert!(
        out.contains("Without a usable password (1 account"),
        "{out}"
    );
    assert!(
        out.contains("werkzeug-scrypt") && out.contains("werkzeug-pbkdf2"),
        "{out}"
    );
    assert!(out.contains("permissions were not carried"), "{out}");
    assert!(each_imported_user_logs_in(&app, &manifest).await >= 3);

    // bob's enrolment was never finished: no second factor came along
    // (checked by logs_in); carol is inactive: her right password is refused.
    let carol = users(&manifest)
        .iter()
        .find(|u| u["username"] == "carol")
        .unwrap();
    assert_ne!(
        refused(&app, "carol", carol["password"].as_str().unwrap()).await,
        StatusCode::OK
    );
    // The second of two addresses equal but for case was not merged in.
    assert_eq!(
        app.query_text(
            "SELECT CAST(COUNT(*) AS TEXT) FROM users WHERE email_key = 'erin@example.com'"
        )
        .await,
        "1"
    );
    // frank's unknown format: an account without a password, whatever is typed.
    assert_eq!(stored_hash(&app, "frank").await, "");
    assert_eq!(
        refused(&app, "frank", "not-a-known-format").await,
        StatusCode::UNAUTHORIZED
    );
    // Confirmed state and the role from role_id came along.
    assert_eq!(
        app.query_text("SELECT CASE WHEN confirmed_at IS NULL THEN 'no' ELSE 'yes' END FROM users WHERE username_key = 'alice'")
            .await,
        "yes"
    );
    // The import is in the audit log, as the system's.
    let audit = app
        .query_text("SELECT detail FROM audit_events WHERE kind = 'users_imported'")
        .await;
    assert!(
        audit.contains("\"imported\":6") && audit.contains("system"),
        "{audit}"
    );
    let rehashed = app
        .query_text(
            "SELECT CAST(COUNT(*) AS TEXT) FROM audit_events WHERE kind = 'password_rehashed'",
        )
        .await;
    assert_ne!(rehashed, "0");
}

async fn flask_security_users_log_in_through_its_salted_pre_hash(backend: Backend) {
    let Some(python) = python() else { return };
    let Some(app) = TestApp::spawn_with(backend, |s| {
        s.import.flask_security_password_salt = Some(FS_SALT.into());
    })
    .await
    else {
        return;
    };
    let (_holder, url, manifest) = sqlite_fixture(&python, "flask-security");
    // Without the salt, the import refuses: the hashes could never verify.
    let output = portcullis(
        &app.db_url,
        &["import", "flask", "--from", &url, "--dry-run"],
        None,
    );
    // The server's configuration has the salt; the command's does not.
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success() && stderr.contains("--security-password-salt"),
        "{stderr}"
    );
    let wrong = portcullis(
        &app.db_url,
        &[
            "import",
            "flask",
            "--from",
            &url,
            "--security-password-salt",
            FS_SALT,
            "--dry-run",
        ],
        None,
    );
    assert!(
        wrong.status.success(),
        "{}",
        String::from_utf8_lossy(&wrong.stderr)
    );
    assert!(
        String::from_utf8_lossy(&wrong.stdout).contains("Set import.flask_security_password_salt")
    );

    let out = import(
        &app,
        &["flask", "--from", &url, "--security-password-salt", FS_SALT],
    );
    assert!(out.contains("Found the flask-security schema"), "{out}");
    assert!(out.contains("Imported 4 accounts"), "{out}");
    assert!(out.contains("flask-security 4"), "{out}");
    // Usernames come from the addresses.
    assert!(out.contains("grace@example.com -> grace"), "{out}");
    assert!(each_imported_user_logs_in(&app, &manifest).await >= 3);
    // Names and login history came along.
    assert_eq!(
        app.query_text("SELECT COALESCE(name, '') || '/' || CAST(login_count AS TEXT) FROM users WHERE username_key = 'grace'")
            .await
            .split('/')
            .nth(1)
            .map(|count| count.parse::<i64>().unwrap() >= 3),
        Some(true)
    );
    // judy was inactive in the app, and is here.
    let judy = users(&manifest)
        .iter()
        .find(|u| u["email"] == "judy@example.com")
        .unwrap();
    assert_ne!(
        refused(&app, "judy@example.com", judy["password"].as_str().unwrap()).await,
        StatusCode::OK
    );
}

async fn seed002_google_accounts_are_linked_without_passwords(backend: Backend) {
    let Some(python) = python() else { return };
    let app = spawn!(backend);
    let (_holder, url, manifest) = sqlite_fixture(&python, "seed002");
    let out = import(&app, &["flask", "--from", &url]);
    assert!(out.contains("Found the seed002 schema"), "{out}");
    assert!(out.contains("Google ids linked: 2"), "{out}");
    assert!(
        out.contains("Without a usable password (3 accounts"),
        "{out}"
    );
    for user in users(&manifest) {
        let email = user["email"].as_str().unwrap();
        let linked = app
            .query_text(&format!(
                "SELECT COALESCE(MAX(i.subject), '') FROM identities i JOIN users u ON u.id = i.user_id \
                 WHERE u.email_key = '{email}' AND i.issuer = 'https://accounts.google.com'"
            ))
            .await;
        assert_eq!(linked, user["google_id"].as_str().unwrap_or(""), "{email}");
    }
    // The ADMIN enum value is the admin role.
    let admins = app
        .query_text(
            "SELECT COALESCE(MAX(u.email), '') FROM users u JOIN user_roles ur ON ur.user_id = u.id \
             JOIN roles r ON r.id = ur.role_id WHERE r.name = 'admin'",
        )
        .await;
    assert_eq!(admins, "kim@example.com");
}

async fn seed003_bcrypt_bytes_from_sqlite_and_postgresql_verify(backend: Backend) {
    let Some(python) = python() else { return };
    let app = spawn!(backend);
    let (_holder, url, manifest) = sqlite_fixture(&python, "seed003");
    let out = import(&app, &["flask", "--from", &url]);
    assert!(out.contains("Found the seed003 schema"), "{out}");
    assert!(out.contains("bcrypt 5"), "{out}");
    // Two addresses with the same local part get different usernames.
    assert!(
        out.contains("paul.smith@example.com -> paul.smith"),
        "{out}"
    );
    assert!(
        out.contains("paul.smith@example.org -> paul.smith2"),
        "{out}"
    );
    assert!(each_imported_user_logs_in(&app, &manifest).await == 5);
    // Only the first 72 bytes count, as they did for bcrypt in the app.
    let long = users(&manifest)
        .iter()
        .find(|u| u["password"].as_str().unwrap().len() > 72)
        .unwrap();
    assert!(long["password"].as_str().unwrap().len() > 72);

    // The same app on PostgreSQL, where SQLAlchemy stored the bytes as \x-hex text.
    if backend == Backend::Postgres {
        let Some(source) = TestDatabase::create_if_available().await else {
            return;
        };
        let sqlalchemy = source
            .url()
            .replacen("postgres://", "postgresql+psycopg://", 1);
        let pg_manifest = make_fixture(&python, "seed003", &sqlalchemy);
        let fresh = spawn!(backend);
        let from = source.url().replacen("postgres://", "postgresql://", 1);
        let out = import(&fresh, &["flask", "--from", &from]);
        assert!(out.contains("bcrypt 5"), "{out}");
        assert!(each_imported_user_logs_in(&fresh, &pg_manifest).await == 5);
        source.drop_database().await;
    }
}

async fn seed004_plain_text_passwords_are_hashed_and_old_werkzeug_ones_verify(backend: Backend) {
    let Some(python) = python() else { return };
    let app = spawn!(backend);
    let (_holder, url, manifest) = sqlite_fixture(&python, "seed004");
    let out = import(&app, &["flask", "--from", &url]);
    assert!(out.contains("Found the seed004 schema"), "{out}");
    assert!(
        out.contains("plain 1") && out.contains("werkzeug-legacy 1"),
        "{out}"
    );
    // A plain-text password is hashed during the import, never shown.
    let quinn = users(&manifest)
        .iter()
        .find(|u| u["username"] == "quinn")
        .unwrap();
    assert!(!out.contains(quinn["password"].as_str().unwrap()), "{out}");
    assert!(stored_hash(&app, "quinn").await.starts_with("$argon2id$"));
    assert_eq!(each_imported_user_logs_in(&app, &manifest).await, 3);
    // A person without an address has a working profile page, which offers
    // to add one, and an administrator sees the account.
    let browser = app.browser();
    let response = browser
        .login("quinn", quinn["password"].as_str().unwrap())
        .await;
    assert!(response.status().is_success() || response.status().is_redirection());
    let profile = browser.get("/profile").await;
    assert_eq!(profile.status(), StatusCode::OK);
    let page = profile.text().await.unwrap();
    assert!(
        page.contains("quinn") && page.contains(">add one</a>"),
        "{page}"
    );
    let admin = app.admin("root").await;
    let list = admin.get("/admin/users?q=quinn").await;
    assert_eq!(list.status(), StatusCode::OK);
    let list = list.text().await.unwrap();
    assert!(list.contains("quinn") && !list.contains(">none<"), "{list}");
    let id = app
        .query_text("SELECT CAST(id AS TEXT) FROM users WHERE username_key = 'quinn'")
        .await;
    let detail = admin.get(&format!("/admin/users/{id}")).await;
    assert_eq!(detail.status(), StatusCode::OK);
    let detail = detail.text().await.unwrap();
    assert!(
        detail.contains("<span class=\"muted\">none</span>"),
        "{detail}"
    );
    assert!(!detail.contains("value=\"none\""), "{detail}");
}

async fn a_dry_run_keeps_nothing_and_a_second_run_creates_nothing_twice(backend: Backend) {
    let Some(python) = python() else { return };
    let app = spawn!(backend);
    let (holder, url, manifest) = sqlite_fixture(&python, "seed000");
    let count = || app.query_text("SELECT CAST(COUNT(*) AS TEXT) FROM users");
    let before = count().await;
    let out = import(&app, &["flask", "--from", &url, "--dry-run"]);
    assert!(
        out.contains("Dry run: 6 accounts would be imported; nothing was kept."),
        "{out}"
    );
    assert_eq!(count().await, before);
    import(&app, &["flask", "--from", &url]);
    let after = count().await;
    let again = import(&app, &["flask", "--from", &url]);
    assert!(again.contains("Imported 0 accounts"), "{again}");
    assert!(
        again.contains("6 rows were imported by an earlier run"),
        "{again}"
    );
    assert_eq!(count().await, after);

    // --update: a password changed in the app while it still runs comes
    // along for an account that has not logged in here yet; one who has
    // keeps the password they log in with here.
    let alice = users(&manifest)
        .iter()
        .find(|u| u["username"] == "alice")
        .unwrap();
    logs_in(&app, alice).await;
    let werkzeug = |password: &str| {
        let output = Command::new(&python)
            .args([
                "-c",
                "import sys; from werkzeug.security import generate_password_hash as g; \
                 print(g(sys.argv[1], method='pbkdf2:sha256:1000'))",
                password,
            ])
            .output()
            .unwrap();
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    };
    let source = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        holder.dir().join("app.db").display()
    ))
    .await
    .unwrap();
    for name in ["alice", "dave"] {
        sqlx::query("UPDATE users SET password_hash = ?1 WHERE username = ?2")
            .bind(werkzeug(&format!("{name}-New-pass-2")))
            .bind(name)
            .execute(&source)
            .await
            .unwrap();
    }
    source.close().await;
    let updated = import(&app, &["flask", "--from", &url, "--update"]);
    assert!(
        updated.contains("6 rows were imported by an earlier run brought up to date"),
        "{updated}"
    );
    assert_eq!(count().await, after);
    let dave = json!({"username": "dave", "email": null, "password": "dave-New-pass-2", "totp_secret": null});
    logs_in(&app, &dave).await;
    assert_eq!(
        refused(&app, "alice", "alice-New-pass-2").await,
        StatusCode::UNAUTHORIZED
    );
    logs_in(&app, alice).await;

    // A map file names the tables and columns instead of a schema.
    let map = holder.dir().join("map.toml");
    std::fs::write(
        &map,
        "table = \"users\"\nusername = \"username\"\nemail = \"email\"\n\
         password = \"password_hash\"\nadmin = \"is_admin\"\n",
    )
    .unwrap();
    let mapped = import(
        &app,
        &[
            "flask",
            "--from",
            &url,
            "--map-file",
            map.to_str().unwrap(),
            "--source-name",
            "mapped",
            "--dry-run",
        ],
    );
    assert!(mapped.contains("Found the map file"), "{mapped}");
    // Under another source name the same rows are new, and their addresses
    // are taken here now: refused one by one, never merged.
    assert!(
        mapped.contains("an account here has the address alice@example.com already"),
        "{mapped}"
    );
    // An unknown schema name or a database that is none of them is refused
    // with what to do.
    let output = portcullis(
        &app.db_url,
        &["import", "flask", "--from", &url, "--schema", "seed9"],
        None,
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("there is no schema \"seed9\""));
    let empty = TempSqliteFile::new().unwrap();
    let other = empty.dir().join("other.db");
    std::fs::write(&other, b"").unwrap();
    let output = portcullis(
        &app.db_url,
        &[
            "import",
            "flask",
            "--from",
            &format!("sqlite:///{}", other.display()),
        ],
        None,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success() && stderr.contains("--map-file"),
        "{stderr}"
    );
}

async fn csv_and_jsonl_files_import_with_their_documented_columns(backend: Backend) {
    let app = spawn!(backend);
    let dir = TempSqliteFile::new().unwrap();
    // A bcrypt hash of "pw-Grüße-1", as the bcrypt library writes it.
    let bcrypt = "$2b$04$XbzJIzlK5PV5c9EL3DaQzOH7JIrj.PfhA37Ibc.fTE36lXarvOHM2";
    let csv = dir.dir().join("users.csv");
    std::fs::write(
        &csv,
        format!(
            "id,username,email,password_hash,roles,confirmed_at\n\
             1,uma,uma@example.com,{bcrypt},support,2024-01-02 03:04:05\n\
             2,vic,vic@example.com,,,\n"
        ),
    )
    .unwrap();
    let out = import(&app, &["csv", csv.to_str().unwrap()]);
    assert!(out.contains("Imported 2 accounts"), "{out}");
    assert!(out.contains("Roles created: support."), "{out}");
    let uma = json!({"username": "uma", "email": "uma@example.com", "password": "pw-Grüße-1", "totp_secret": null});
    let body = logs_in(&app, &uma).await;
    assert!(
        body["roles"]
            .as_array()
            .unwrap()
            .contains(&json!("support")),
        "{body}"
    );

    let jsonl = dir.dir().join("users.jsonl");
    std::fs::write(
        &jsonl,
        "{\"id\": 10, \"username\": \"wes\", \"password\": \"wes-Plain-pass-1\", \"admin\": true}\n",
    )
    .unwrap();
    let out = import(&app, &["jsonl", jsonl.to_str().unwrap()]);
    assert!(out.contains("Imported 1 account from file:"), "{out}");
    let wes = json!({"username": "wes", "email": null, "password": "wes-Plain-pass-1", "totp_secret": null});
    let body = logs_in(&app, &wes).await;
    assert!(
        body["roles"].as_array().unwrap().contains(&json!("admin")),
        "{body}"
    );

    let typo = dir.dir().join("typo.csv");
    std::fs::write(&typo, "id,emial\n1,x@example.com\n").unwrap();
    let output = portcullis(
        &app.db_url,
        &["import", "csv", typo.to_str().unwrap()],
        None,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success() && stderr.contains("\"emial\""),
        "{stderr}"
    );
}

async fn a_dry_run_over_many_batches_with_new_roles_reports_them_all(backend: Backend) {
    let app = spawn!(backend);
    let dir = TempSqliteFile::new().unwrap();
    // More rows than one batch holds, each batch giving a role that does
    // not exist here: the dry run's batches are rolled back one by one.
    let csv = dir.dir().join("many.csv");
    let mut text = String::from("id,username,email,password,roles\n");
    for i in 0..1200 {
        text.push_str(&format!(
            "{i},user{i},user{i}@example.com,Plain-pass-{i},support;billing\n"
        ));
    }
    std::fs::write(&csv, text).unwrap();
    let out = import(&app, &["csv", csv.to_str().unwrap(), "--dry-run"]);
    assert!(
        out.contains("Dry run: 1200 accounts would be imported"),
        "{out}"
    );
    assert!(
        out.contains("Roles given: billing 1200, support 1200."),
        "{out}"
    );
    assert!(out.contains("Roles created: billing, support."), "{out}");
    assert_eq!(
        app.query_text(
            "SELECT CAST(COUNT(*) AS TEXT) FROM roles WHERE name IN ('billing', 'support')"
        )
        .await,
        "0"
    );
}
