//! The server secret of development mode: generated once and kept in a file
//! beside the SQLite database (or in the working directory), so that CSRF
//! tokens in open forms, emailed links and second factors survive a restart.
//! Production mode never reaches this: it requires `secret`.

use crate::settings::Settings;
use anyhow::Context as _;
use std::path::PathBuf;

/// The file name the secret is kept under.
const FILE_NAME: &str = "portcullis.dev-secret";

/// Where development mode keeps its secret: beside a SQLite database file,
/// otherwise in the working directory.
pub fn path(settings: &Settings) -> PathBuf {
    let url = &settings.database.url;
    let file = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .filter(|rest| !rest.contains(":memory:") && !rest.is_empty())
        .map(|rest| rest.split('?').next().unwrap_or(rest));
    match file.and_then(|f| PathBuf::from(f).parent().map(PathBuf::from)) {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(FILE_NAME),
        _ => PathBuf::from(FILE_NAME),
    }
}

/// The secret to use: the configured one, or development mode's, read from
/// its file or created there (readable by this user only).
pub fn secret(settings: &Settings) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = &settings.secret {
        return Ok(secret.as_bytes().to_vec());
    }
    let path = path(settings);
    match std::fs::read_to_string(&path) {
        Ok(text) if text.trim().len() >= 32 => return Ok(text.trim().as_bytes().to_vec()),
        Ok(_) => anyhow::bail!(
            "{} does not hold a secret of 32 characters or more; delete it to make a new one",
            path.display()
        ),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => {
            return Err(err).with_context(|| format!("could not read {}", path.display()));
        }
    }
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    let secret = hex::encode(bytes);
    write_private(&path, &secret).with_context(|| {
        format!(
            "could not keep the development secret in {}",
            path.display()
        )
    })?;
    Ok(secret.into_bytes())
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, secret: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(secret.as_bytes())?;
    file.write_all(b"\n")
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, secret: &str) -> std::io::Result<()> {
    std::fs::write(path, format!("{secret}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(url: &str) -> Settings {
        let mut settings = Settings::default();
        settings.database.url = url.to_owned();
        settings
    }

    #[test]
    fn the_secret_lives_beside_a_sqlite_file_or_in_the_working_directory() {
        assert_eq!(
            path(&at("sqlite://data/app.db")),
            PathBuf::from("data/portcullis.dev-secret")
        );
        assert_eq!(
            path(&at("sqlite://portcullis.db")),
            PathBuf::from("portcullis.dev-secret")
        );
        assert_eq!(
            path(&at("sqlite::memory:")),
            PathBuf::from("portcullis.dev-secret")
        );
        assert_eq!(
            path(&at("postgres://db/x")),
            PathBuf::from("portcullis.dev-secret")
        );
    }

    #[test]
    fn development_mode_keeps_its_secret_across_starts() {
        let dir =
            std::env::temp_dir().join(format!("portcullis-dev-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let settings = at(&format!("sqlite://{}/app.db", dir.display()));
        let first = secret(&settings).unwrap();
        assert_eq!(first.len(), 64);
        assert_eq!(
            secret(&settings).unwrap(),
            first,
            "read back, not made anew"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(path(&settings))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
