//! Upgrades as a deploy pipeline drives them, through the real binary:
//! `check-config` before anything starts, `migrate --dry-run` to see what
//! would change, and a release that refuses a database a newer release has
//! migrated unless it is told that a rolling upgrade is under way. (Every
//! older schema upgrading, on both backends, is in the store's contract.)

use crate::readable::exits_within;
use portcullis_store::testing::TempSqliteFile;
use std::process::Output;
use std::time::Duration;

const BOUND: Duration = Duration::from_secs(20);

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn run(file: &TempSqliteFile, args: &[&str]) -> Output {
    exits_within(file.url(), args, BOUND).unwrap_or_else(|| panic!("{args:?} did not exit"))
}

#[test]
fn migrate_dry_run_lists_what_it_would_apply_and_changes_nothing() {
    let file = TempSqliteFile::new().unwrap();
    let output = run(&file, &["migrate", "--dry-run"]);
    assert!(output.status.success());
    let (stdout, _) = text(&output);
    assert!(stdout.contains("migrations would be applied"), "{stdout}");
    assert!(
        stdout.contains("0001  initial") && stdout.contains("0007  two factor"),
        "{stdout}"
    );
    // Nothing was applied: a second dry run lists the same.
    let (again, _) = text(&run(&file, &["migrate", "--dry-run"]));
    assert_eq!(again, stdout);

    let (applied, _) = text(&run(&file, &["migrate"]));
    assert!(applied.starts_with("Applied "), "{applied}");
    let (after, _) = text(&run(&file, &["migrate", "--dry-run"]));
    assert!(
        after.contains("up to date; nothing would be applied"),
        "{after}"
    );
}

#[test]
fn a_release_refuses_a_database_a_newer_release_migrated_unless_told_otherwise() {
    let file = TempSqliteFile::new().unwrap();
    assert!(run(&file, &["migrate"]).status.success());
    record_a_future_migration(&file);

    // The server does not start, and says why and what to do.
    let output = exits_within(file.url(), &["serve", "--listen", "127.0.0.1:0"], BOUND)
        .expect("the server must refuse at once, not start");
    assert!(!output.status.success());
    let (_, stderr) = text(&output);
    assert!(
        stderr.contains("schema is newer than this release") && stderr.contains("9999"),
        "{stderr}"
    );
    assert!(stderr.contains("database.allow_newer_schema"), "{stderr}");
    let (_, stderr) = text(&run(&file, &["migrate"]));
    assert!(
        stderr.contains("schema is newer than this release"),
        "{stderr}"
    );
    let (stdout, _) = text(&run(&file, &["migrate", "--dry-run"]));
    assert!(
        stdout.contains("has migration 9999, newer than this release"),
        "{stdout}"
    );

    // Allowed for a rolling upgrade, the commands work on it.
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_portcullis"));
    let output = command
        .args(["--database", file.url(), "users", "list"])
        .env("PORTCULLIS_DATABASE__ALLOW_NEWER_SCHEMA", "true")
        .output()
        .unwrap();
    assert!(output.status.success(), "{:?}", text(&output));
}

/// Records a migration 9999 as applied, as a newer release would have.
fn record_a_future_migration(file: &TempSqliteFile) {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let pool = sqlx::SqlitePool::connect(file.url()).await.unwrap();
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             SELECT 9999, 'from the future', success, checksum, execution_time \
             FROM _sqlx_migrations WHERE version = 1",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    });
}

#[test]
fn check_config_validates_without_starting_and_names_a_bad_key() {
    let file = TempSqliteFile::new().unwrap();
    let config = file.dir().join("portcullis.toml");
    std::fs::write(
        &config,
        "site_name = \"Acme\"\n[database]\nmax_connections = 4\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let output = run(&file, &["check-config", "--config", config]);
    assert!(output.status.success(), "{:?}", text(&output));
    let (stdout, _) = text(&output);
    assert!(
        stdout.starts_with("The configuration is valid."),
        "{stdout}"
    );
    assert!(stdout.contains("database:  sqlite://"), "{stdout}");
    // It validates only: no database was opened, so none was created.
    assert!(!file.dir().join("portcullis.db").exists());

    std::fs::write(
        file.dir().join("bad.toml"),
        "[database]\nmax_conections = 4\n",
    )
    .unwrap();
    let bad = file.dir().join("bad.toml");
    let output = run(&file, &["check-config", "--config", bad.to_str().unwrap()]);
    assert!(!output.status.success());
    let (_, stderr) = text(&output);
    assert!(
        stderr.contains("max_conections") && stderr.contains("max_connections"),
        "{stderr}"
    );
}
