//! What the binary tells the store (a URL and a pool size), what can go wrong
//! opening a database, and keeping passwords in URLs out of every message.

use std::fmt;
use url::Url;

/// Where the database is and how many connections to keep.
///
/// ```
/// use portcullis_store::StoreConfig;
///
/// let config = StoreConfig::new("postgres://app:s3cret@db.internal/portcullis");
/// assert_eq!(config.max_connections, StoreConfig::DEFAULT_MAX_CONNECTIONS);
/// assert_eq!(config.redacted_url(), "postgres://app:***@db.internal/portcullis");
/// assert!(!format!("{config:?}").contains("s3cret"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct StoreConfig {
    /// `sqlite://PATH` (the file is created if missing), `sqlite::memory:`,
    /// or `postgres://` / `postgresql://` with the usual libpq URL syntax.
    pub url: String,
    /// Upper bound of the connection pool; 0 is taken as 1.
    pub max_connections: u32,
}

impl StoreConfig {
    /// Pool size when none is configured.
    pub const DEFAULT_MAX_CONNECTIONS: u32 = 10;

    /// A configuration for `url` with the default pool size.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: Self::DEFAULT_MAX_CONNECTIONS,
        }
    }

    /// The URL with any password replaced by `***`, fit for logs.
    pub fn redacted_url(&self) -> String {
        redact(&self.url)
    }
}

impl fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreConfig")
            .field("url", &self.redacted_url())
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

/// Why a database could not be opened or brought up to date. Every message
/// names the backend and, where it helps, the URL, always without its password.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The URL's scheme is not one the store speaks. Holds the redacted URL.
    #[error(
        "unsupported database URL `{0}`: use sqlite://PATH, sqlite::memory: \
         or postgres://USER:PASSWORD@HOST:PORT/DATABASE"
    )]
    UnsupportedUrl(String),
    /// The URL was understood but the database could not be opened.
    #[error("cannot open the {backend} database at `{url}`: {} ({hint})", explain(.reason))]
    Connect {
        /// `"sqlite"` or `"postgres"`.
        backend: &'static str,
        /// The redacted URL.
        url: String,
        /// What sqlx reported. Part of the message rather than a `source()`,
        /// so that printing the error chain does not say it twice.
        reason: sqlx::Error,
        /// What an operator should check first.
        hint: &'static str,
    },
    /// The schema could not be brought up to date.
    #[error("cannot apply the {backend} migrations: {reason}")]
    Migrate {
        /// `"sqlite"` or `"postgres"`.
        backend: &'static str,
        /// What sqlx reported (a failed statement, or a database migrated by
        /// a newer or modified Portcullis).
        reason: sqlx::migrate::MigrateError,
    },
    /// A newer release has migrated the database past what this one knows.
    #[error(
        "the {backend} database's schema is newer than this release: it has migration \
         {newest_applied:04}, and this release knows migrations up to {newest_known:04}. Run \
         the newer release, or, during a rolling upgrade, set database.allow_newer_schema = \
         true (PORTCULLIS_DATABASE__ALLOW_NEWER_SCHEMA=true) to run this one on it"
    )]
    NewerSchema {
        /// `"sqlite"` or `"postgres"`.
        backend: &'static str,
        /// The newest migration the database has.
        newest_applied: i64,
        /// The newest migration this release carries.
        newest_known: i64,
    },
}

/// What sqlx reported, in the words an operator searches for: its message
/// for a refused connection ("error communicating with database: Connection
/// refused (os error 111)") buries the one fact that matters.
fn explain(reason: &sqlx::Error) -> String {
    match reason {
        sqlx::Error::Io(err) if err.kind() == std::io::ErrorKind::ConnectionRefused => {
            "connection refused: nothing listens at that host and port".to_owned()
        }
        other => other.to_string(),
    }
}

/// The backends, told apart by URL scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend `url` names, if any. Schemes are matched in lower case
    /// only, as sqlx's URL parsers do.
    pub(crate) fn of(url: &str) -> Option<Self> {
        let (scheme, _) = url.split_once(':')?;
        match scheme {
            "sqlite" => Some(Self::Sqlite),
            "postgres" | "postgresql" => Some(Self::Postgres),
            _ => None,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }

    pub(crate) fn hint(self) -> &'static str {
        match self {
            Self::Sqlite => "check that the directory exists and is writable by this process",
            Self::Postgres => {
                "check that the server is up and reachable, the database exists, \
                 and the user and password are right"
            }
        }
    }
}

/// `url` with its password (userinfo or `password=` parameter) masked. A URL
/// that does not parse is shown only if it cannot hold a password.
pub(crate) fn redact(raw: &str) -> String {
    const MASK: &str = "***";
    let Ok(mut url) = Url::parse(raw) else {
        return if raw.contains('@') || raw.to_ascii_lowercase().contains("password") {
            "<unparseable URL, hidden because it may contain a password>".to_owned()
        } else {
            raw.to_owned()
        };
    };
    if url.password().is_some() && url.set_password(Some(MASK)).is_err() {
        return "<URL hidden because its password could not be masked>".to_owned();
    }
    let is_secret = |key: &str| key.eq_ignore_ascii_case("password");
    if url.query_pairs().any(|(key, _)| is_secret(&key)) {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(key, value)| {
                let value = if is_secret(&key) {
                    MASK.into()
                } else {
                    value.into_owned()
                };
                (key.into_owned(), value)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_userinfo_and_query_are_masked() {
        assert_eq!(
            redact("postgres://u:pw@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        let masked = redact("postgresql://u@h/db?sslmode=require&password=pw");
        assert_eq!(masked, "postgresql://u@h/db?sslmode=require&password=***");
    }

    #[test]
    fn urls_without_secrets_are_shown_as_given() {
        assert_eq!(redact("sqlite::memory:"), "sqlite::memory:");
        assert_eq!(redact("sqlite://portcullis.db"), "sqlite://portcullis.db");
        assert_eq!(
            redact("postgres://postgres@127.0.0.1/x"),
            "postgres://postgres@127.0.0.1/x"
        );
    }

    #[test]
    fn an_unparseable_url_with_userinfo_is_hidden() {
        assert!(!redact("postgres://u:pw@[bad/db").contains("pw"));
    }

    #[test]
    fn backends_are_told_apart_by_scheme() {
        assert_eq!(Backend::of("sqlite::memory:"), Some(Backend::Sqlite));
        assert_eq!(Backend::of("postgresql://h/db"), Some(Backend::Postgres));
        assert_eq!(Backend::of("mysql://h/db"), None);
        assert_eq!(Backend::of("portcullis.db"), None);
    }
}
