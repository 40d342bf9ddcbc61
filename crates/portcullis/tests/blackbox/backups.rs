//! `portcullis backup` while the server takes writes, and `portcullis
//! restore` of that copy into a new database that a server then runs on:
//! everything acknowledged before the backup began is in it, and its
//! accounts log in. SQLite only: PostgreSQL is backed up with pg_dump, which
//! the command names instead (checked here too).

use crate::admin::call;
use crate::common::{Backend, PASSWORD, TestApp};
use crate::readable::exits_within;
use portcullis_store::testing::TempSqliteFile;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

const BOUND: Duration = Duration::from_secs(60);

fn text(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_load_restores_into_a_server_its_users_log_in_to() {
    let app = TestApp::spawn_with(Backend::Sqlite, |_| {})
        .await
        .expect("SQLite is always there");
    let admin = Arc::new(app.admin("root").await);
    let create = |admin: Arc<crate::common::Browser>, name: String| async move {
        let body = json!({"username": name, "email": format!("{name}@corp.example"), "password": PASSWORD, "confirmed": true});
        let (status, _) = call(&admin, Method::POST, "/api/admin/users", Some(body)).await;
        status == StatusCode::CREATED
    };
    for i in 0..10 {
        assert!(create(admin.clone(), format!("before{i}")).await);
    }

    // Writes go on while the backup runs.
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicUsize::new(0));
    let load = tokio::spawn({
        let (admin, stop, written) = (admin.clone(), stop.clone(), written.clone());
        async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                if create(admin.clone(), format!("during{i}")).await {
                    written.fetch_add(1, Ordering::Relaxed);
                }
                i += 1;
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let holder = TempSqliteFile::new().unwrap();
    let file = holder.dir().join("portcullis.backup");
    let (url, path) = (app.db_url.clone(), file.to_str().unwrap().to_owned());
    let output = tokio::task::spawn_blocking(move || exits_within(&url, &["backup", &path], BOUND))
        .await
        .unwrap()
        .expect("the backup finishes");
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, Ordering::Relaxed);
    load.await.unwrap();
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("checked and is whole"));
    let during = written.load(Ordering::Relaxed);
    assert!(during > 0, "writes went on during the backup");

    // A second backup to the same file is refused, not overwritten.
    let (url, path) = (app.db_url.clone(), file.to_str().unwrap().to_owned());
    let again = exits_within(&url, &["backup", &path], BOUND).unwrap();
    assert!(!again.status.success() && text(&again).contains("already exists"));

    let restored = TempSqliteFile::new().unwrap();
    let output = exits_within(restored.url(), &["restore", file.to_str().unwrap()], BOUND).unwrap();
    assert!(output.status.success(), "{}", text(&output));
    // Restoring over it now is refused: it is not empty.
    let output = exits_within(restored.url(), &["restore", file.to_str().unwrap()], BOUND).unwrap();
    assert!(
        !output.status.success() && text(&output).contains("not empty"),
        "{}",
        text(&output)
    );

    let copy = TestApp::on_database(restored.url(), Backend::Sqlite).await;
    let root = copy.browser();
    assert_eq!(
        root.login("root", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let (status, page) = call(&root, Method::GET, "/api/admin/users?limit=500", None).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = page["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    for i in 0..10 {
        assert!(
            names.contains(&format!("before{i}").as_str()),
            "before{i} in {names:?}"
        );
    }
    // A snapshot of one instant: the accounts made during the backup that
    // it holds are a run from the first, with no gap.
    let mut held: Vec<usize> = names
        .iter()
        .filter_map(|n| n.strip_prefix("during")?.parse().ok())
        .collect();
    held.sort_unstable();
    assert!(held.len() <= during);
    assert!(held.iter().enumerate().all(|(i, n)| i == *n), "{held:?}");
    let user = copy.browser();
    assert_eq!(
        user.login("before3", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(user.get("/api/me").await.status(), StatusCode::OK);
}

#[test]
fn postgresql_is_backed_up_with_its_own_tools_and_the_command_says_which() {
    let url = "postgres://portcullis:hunter2@db.internal/portcullis";
    let output = exits_within(url, &["backup", "/tmp/never-written.dump"], BOUND).unwrap();
    assert!(!output.status.success());
    let said = text(&output);
    assert!(said.contains("pg_dump --format=custom"), "{said}");
    assert!(!said.contains("hunter2"), "the password is masked: {said}");
    assert!(!std::path::Path::new("/tmp/never-written.dump").exists());
    let output = exits_within(url, &["restore", "/tmp/never-written.dump"], BOUND).unwrap();
    assert!(text(&output).contains("pg_restore --no-owner"));
}
