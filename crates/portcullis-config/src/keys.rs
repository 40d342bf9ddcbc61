//! Every configuration key: its type, its environment variable and an
//! example value. This table is what the loader parses values by (so a value
//! is read as the type its key declares, never guessed from how it looks),
//! and what every error message quotes from (so each one names the key, the
//! variable and a value that would have worked).
//!
//! A key missing here cannot be set; a test checks the table against the
//! fields of [`Settings`](super::Settings).
//!
//! Tables the operator names (`[oidc.providers.google]`) have rows with the
//! segment [`ANY_ID`] where the name goes: `oidc.providers.*` for the id
//! itself and `oidc.providers.*.client_id` for each key inside. A concrete
//! name (`oidc.providers.google.client_id`) finds its row, and its variable
//! is written from the concrete name the same way as any other
//! (`PORTCULLIS_OIDC__PROVIDERS__GOOGLE__CLIENT_ID`), so a variable finds its
//! id by its segment between `__`, read in lower case like the rest.

use super::ENV_PREFIX;

/// What a key holds, and so how its value is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Text, kept exactly as given.
    Text,
    /// `true` or `false`.
    Bool,
    /// A whole number from 0 to `max`.
    Number { max: u64 },
    /// A humantime duration: `90s`, `15m`, `24h`, `30d`.
    Duration,
    /// An absolute URL.
    Url,
    /// An IP address with a port.
    SocketAddr,
    /// A filesystem path.
    Path,
    /// One of a few words.
    Choice(&'static [&'static str]),
    /// IP addresses or CIDR ranges; comma-separated in the environment.
    Networks,
    /// A list of text; comma-separated in the environment.
    TextList,
    /// An array of tables, `[[name]]` (file only).
    Tables,
    /// The id of a table the operator names (`[oidc.providers.<id>]`): 1 to
    /// 32 of `a-z`, `0-9`, `_` and `-`, starting with a letter. It is read
    /// from the table's name or the variable's segment, never as a value.
    Id,
}

const U8: Kind = Kind::Number {
    max: u8::MAX as u64,
};
const U16: Kind = Kind::Number {
    max: u16::MAX as u64,
};
const U32: Kind = Kind::Number {
    max: u32::MAX as u64,
};
/// `usize` keys, bounded by what a TOML integer can hold.
const USIZE: Kind = Kind::Number {
    max: i64::MAX as u64,
};

/// One configuration key.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Key {
    /// Dotted path: `session.idle_timeout`.
    pub name: &'static str,
    pub kind: Kind,
    /// A value that works, as it would be written in the environment.
    pub example: &'static str,
}

impl Key {
    /// `PORTCULLIS_SESSION__IDLE_TIMEOUT`, or `None` for keys that only the
    /// file can set. A row with an id has [`ANY_ID`] in it.
    pub fn env(&self) -> Option<String> {
        self.env_at(self.name)
    }

    /// The environment variable of this key under the concrete name `shown`
    /// (`oidc.providers.google.client_id` for `oidc.providers.*.client_id`);
    /// for an id, the variables of its table (`…__GOOGLE__*`).
    pub fn env_at(&self, shown: &str) -> Option<String> {
        if self.file_only() {
            return None;
        }
        if !self.has_id() {
            return Some(env_name(self.name));
        }
        Some(match self.kind {
            Kind::Id => format!("{}__{ANY_ID}", env_name(shown)),
            _ => env_name(shown),
        })
    }

    /// The environment variable under the concrete name `shown`, or "file
    /// only", for messages.
    pub fn env_label_at(&self, shown: &str) -> String {
        self.env_at(shown).unwrap_or_else(|| "file only".to_owned())
    }

    /// Whether the name holds an id the operator chooses.
    pub fn has_id(&self) -> bool {
        self.name.split('.').any(|segment| segment == ANY_ID)
    }

    /// Arrays of tables (`[[roles]]`, `[[forward_auth.rules]]`) and the keys
    /// inside them have no single environment variable.
    pub fn file_only(&self) -> bool {
        tables_of(self.name).is_some()
    }
}

/// The array of tables (a [`Kind::Tables`] row) the dotted `name` is or
/// lies in: `roles` for `roles.name`, `forward_auth.rules` for itself.
pub(crate) fn tables_of(name: &str) -> Option<&'static str> {
    KEYS.iter()
        .filter(|k| k.kind == Kind::Tables)
        .map(|k| k.name)
        .find(|tables| {
            name.strip_prefix(tables)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        })
}

/// Keys each table of an array of tables must have: without them a table
/// means nothing (a role without a name, a rule without a host).
pub(crate) const REQUIRED_IN_TABLES: &[&str] = &["roles.name", "forward_auth.rules.host"];

/// A name as messages show it (`roles[2].name`) without its positions in
/// lists: the dotted name of its row (`roles.name`).
pub(crate) fn unindexed(shown: &str) -> String {
    let mut base = String::with_capacity(shown.len());
    let mut in_index = false;
    for c in shown.chars() {
        match c {
            '[' => in_index = true,
            ']' => in_index = false,
            _ if !in_index => base.push(c),
            _ => {}
        }
    }
    base
}

/// The environment variable for the dotted key `name`.
pub(crate) fn env_name(name: &str) -> String {
    format!(
        "{ENV_PREFIX}_{}",
        name.replace('.', "__").to_ascii_uppercase()
    )
}

const fn key(name: &'static str, kind: Kind, example: &'static str) -> Key {
    Key {
        name,
        kind,
        example,
    }
}

/// The segment of a row's name that stands for an id (`oidc.providers.*`).
pub(crate) const ANY_ID: &str = "*";

/// Whether the concrete dotted `name` is the row's `pattern`, segment by
/// segment, an [`ANY_ID`] standing for any one segment.
fn matches(pattern: &str, name: &str) -> bool {
    let (mut want, mut have) = (pattern.split('.'), name.split('.'));
    loop {
        match (want.next(), have.next()) {
            (None, None) => return true,
            (Some(w), Some(h)) if w == h || (w == ANY_ID && !h.is_empty()) => {}
            _ => return false,
        }
    }
}

/// `rate_limit.trusted_proxies`, the old name of `trusted_proxies`.
pub(crate) const PROXIES_ALIAS: &str = "rate_limit.trusted_proxies";

/// Every key, section by section.
pub(crate) static KEYS: &[Key] = &[
    key("mode", Kind::Choice(&["dev", "production"]), "production"),
    key("listen", Kind::SocketAddr, "0.0.0.0:8080"),
    key("public_url", Kind::Url, "https://auth.example.com"),
    key("allow_insecure_http", Kind::Bool, "false"),
    key("secret", Kind::Text, "$(openssl rand -hex 32)"),
    key("previous_secrets", Kind::TextList, "[\"<the old secret>\"]"),
    key("site_name", Kind::Text, "Acme"),
    key(
        "trusted_proxies",
        Kind::Networks,
        "10.0.0.1, 192.168.0.0/16",
    ),
    key(
        "database.url",
        Kind::Text,
        "postgres://portcullis@db.internal/portcullis",
    ),
    key("database.max_connections", U32, "10"),
    key("database.allow_newer_schema", Kind::Bool, "false"),
    key("password.memory_kib", U32, "19456"),
    key("password.iterations", U32, "2"),
    key("password.parallelism", U32, "1"),
    key("password.max_concurrent_hashes", USIZE, "4"),
    key("password.min_length", USIZE, "12"),
    key("password.reject_common", Kind::Bool, "true"),
    key("password.reject_personal", Kind::Bool, "true"),
    key("session.idle_timeout", Kind::Duration, "30m"),
    key("session.absolute_lifetime", Kind::Duration, "24h"),
    key("session.remember_lifetime", Kind::Duration, "30d"),
    key("session.cookie_domain", Kind::Text, "example.com"),
    key("http.max_body_bytes", USIZE, "65536"),
    key(
        "http.templates_dir",
        Kind::Path,
        "/etc/portcullis/templates",
    ),
    key("http.header_read_timeout", Kind::Duration, "10s"),
    key("http.keepalive_timeout", Kind::Duration, "75s"),
    key("http.request_timeout", Kind::Duration, "30s"),
    key("http.max_connections", USIZE, "10000"),
    key("lockout.max_failures", U32, "5"),
    key("lockout.duration", Kind::Duration, "15m"),
    key("lockout.reveal", Kind::Bool, "false"),
    key("rate_limit.enabled", Kind::Bool, "true"),
    key(PROXIES_ALIAS, Kind::Networks, "10.0.0.1, 192.168.0.0/16"),
    key("rate_limit.ipv6_prefix", U8, "64"),
    key("rate_limit.login_per_ip.max", U32, "20"),
    key("rate_limit.login_per_ip.window", Kind::Duration, "5m"),
    key("rate_limit.login_per_account.max", U32, "10"),
    key("rate_limit.login_per_account.window", Kind::Duration, "5m"),
    key("rate_limit.register_per_ip.max", U32, "10"),
    key("rate_limit.register_per_ip.window", Kind::Duration, "1h"),
    key("rate_limit.email_per_ip.max", U32, "10"),
    key("rate_limit.email_per_ip.window", Kind::Duration, "1h"),
    key("rate_limit.email_per_account.max", U32, "3"),
    key("rate_limit.email_per_account.window", Kind::Duration, "15m"),
    key("two_factor.required", Kind::Bool, "true"),
    key(
        "two_factor.required_for_roles",
        Kind::TextList,
        "admin, ops",
    ),
    key("tokens.login_token_lifetime", Kind::Duration, "1d"),
    key("tokens.default_lifetime", Kind::Duration, "90d"),
    key("tokens.max_lifetime", Kind::Duration, "366d"),
    key("tokens.allow_no_expiry", Kind::Bool, "false"),
    key("registration.enabled", Kind::Bool, "false"),
    key("registration.reveal_taken", Kind::Bool, "false"),
    key("registration.default_role", Kind::Text, "Citizen"),
    key("roles", Kind::Tables, "[[roles]] name = \"Editor\""),
    key("roles.name", Kind::Text, "Editor"),
    key("roles.description", Kind::Text, "Edits articles"),
    key("roles.permissions", Kind::TextList, "[\"articles:edit\"]"),
    key("roles.grantable_by", Kind::TextList, "[\"helpdesk\"]"),
    key("metrics.listen", Kind::SocketAddr, "127.0.0.1:9090"),
    key(
        "import.flask_security_password_salt",
        Kind::Text,
        "the-flask-apps-SECURITY_PASSWORD_SALT",
    ),
    key("log.format", Kind::Choice(&["text", "json"]), "json"),
    key("log.level", Kind::Text, "portcullis=debug,info"),
    key("mail.transport", Kind::Choice(&["smtp", "outbox"]), "smtp"),
    key("mail.from", Kind::Text, "Acme <no-reply@acme.test>"),
    key("mail.smtp_host", Kind::Text, "smtp.example.com"),
    key("mail.smtp_port", U16, "587"),
    key(
        "mail.smtp_tls",
        Kind::Choice(&["none", "starttls", "tls"]),
        "starttls",
    ),
    key("mail.smtp_username", Kind::Text, "portcullis"),
    key(
        "mail.smtp_password",
        Kind::Text,
        "app-password-from-your-provider",
    ),
    key("mail.smtp_timeout", Kind::Duration, "10s"),
    key("mail.outbox_dir", Kind::Path, "outbox"),
    key("mail.reset_token_ttl", Kind::Duration, "1h"),
    key("mail.confirm_token_ttl", Kind::Duration, "24h"),
    key("mail.max_attempts", U32, "12"),
    key("mail.retry_backoff", Kind::Duration, "2s"),
    key("mail.retry_backoff_max", Kind::Duration, "10m"),
    key("mail.queue_size", USIZE, "1000"),
    key("confirm.required", Kind::Bool, "true"),
    key("oidc.providers.*", Kind::Id, "google"),
    key(
        "oidc.providers.*.client_id",
        Kind::Text,
        "1234567890-abc123.apps.googleusercontent.com",
    ),
    key(
        "oidc.providers.*.client_secret",
        Kind::Text,
        "the-client-secret-from-the-console",
    ),
    key(
        "oidc.providers.*.issuer",
        Kind::Url,
        "https://sso.example.com",
    ),
    key("oidc.providers.*.name", Kind::Text, "Acme SSO"),
    key(
        "oidc.providers.*.scopes",
        Kind::TextList,
        "openid, email, profile",
    ),
    key(
        "oidc.providers.*.redirect_path",
        Kind::Text,
        "/auth/oidc/google/callback",
    ),
    key("oidc.providers.*.allow_registration", Kind::Bool, "false"),
    key("oidc.providers.*.trust_email", Kind::Bool, "false"),
    key("oidc.providers.*.default_role", Kind::Text, "Citizen"),
    key("oidc.providers.*.logout_at_provider", Kind::Bool, "true"),
    key(
        "forward_auth.proxy",
        Kind::Choice(&["nginx", "traefik", "caddy", "haproxy"]),
        "nginx",
    ),
    key(
        "forward_auth.default",
        Kind::Choice(&["deny", "login"]),
        "deny",
    ),
    key(
        "forward_auth.rules",
        Kind::Tables,
        "[[forward_auth.rules]] host = \"grafana.example.com\"",
    ),
    key("forward_auth.rules.host", Kind::Text, "grafana.example.com"),
    key("forward_auth.rules.path_prefix", Kind::Text, "/admin"),
    key(
        "forward_auth.rules.require",
        Kind::TextList,
        "[\"role:ops\", \"two_factor\"]",
    ),
];

/// The key called `name`: its row, or the row with ids it is an instance of
/// (`oidc.providers.google.client_id`).
pub(crate) fn find(name: &str) -> Option<&'static Key> {
    KEYS.iter()
        .find(|k| k.name == name)
        .or_else(|| KEYS.iter().find(|k| k.has_id() && matches(k.name, name)))
}

/// Whether `name` is a section holding keys (`session`,
/// `rate_limit.login_per_ip`, `oidc.providers.google`).
pub(crate) fn is_section(name: &str) -> bool {
    let depth = name.split('.').count();
    KEYS.iter().any(|k| {
        let segments: Vec<&str> = k.name.split('.').collect();
        segments.len() > depth && matches(&segments[..depth].join("."), name)
    })
}

/// A row's name as messages suggest it: `oidc.providers.<id>.issuer`.
pub(crate) fn shown(name: &str) -> String {
    name.replace(ANY_ID, "<id>")
}

/// The variable `var` was probably meant to be: the same name with single
/// underscores where `__` belongs (`PORTCULLIS_DATABASE_URL`,
/// `PORTCULLIS_OIDC__PROVIDERS__GOOGLE_CLIENT_ID`).
pub(crate) fn suggest_for_variable(var: &str) -> Option<String> {
    let single = |text: &str| text.replace("__", "_");
    let wanted = single(&var.to_ascii_uppercase());
    KEYS.iter().filter(|k| k.kind != Kind::Id).find_map(|k| {
        let env = single(&k.env()?);
        match env.split_once(ANY_ID) {
            None => (env == wanted).then(|| k.env()).flatten(),
            Some((before, after)) => {
                let id = wanted.strip_prefix(before)?.strip_suffix(after)?;
                let id = id.trim_matches('_');
                (!id.is_empty()).then(|| env_name(&k.name.replace(ANY_ID, id)))
            }
        }
    })
}

/// The key next to `name` whose last segment is a slip of the keyboard away
/// from `name`'s (`database.urll`, `oidc.providers.google.client_secert`):
/// its concrete name, ids kept.
pub(crate) fn nearest(name: &str) -> Option<String> {
    let (parent, last) = name.rsplit_once('.').unwrap_or(("", name));
    KEYS.iter()
        .filter(|k| k.kind != Kind::Id)
        .filter_map(|k| {
            let (row_parent, row_last) = k.name.rsplit_once('.').unwrap_or(("", k.name));
            let same_section =
                row_parent == parent || (!parent.is_empty() && matches(row_parent, parent));
            let slips = distance(last, row_last);
            (same_section && slips > 0 && slips <= 2 && slips * 3 <= row_last.len())
                .then_some((slips, row_last))
        })
        .min_by_key(|(slips, _)| *slips)
        .map(|(_, row_last)| match parent {
            "" => row_last.to_owned(),
            parent => format!("{parent}.{row_last}"),
        })
}

/// Edits (insertions, deletions, substitutions, swaps of neighbours) from
/// `a` to `b`.
fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_nest_with_double_underscores() {
        let key = find("rate_limit.login_per_ip.max").unwrap();
        assert_eq!(
            key.env().as_deref(),
            Some("PORTCULLIS_RATE_LIMIT__LOGIN_PER_IP__MAX")
        );
        assert_eq!(
            find("roles.name").unwrap().env_label_at("roles[0].name"),
            "file only"
        );
    }

    #[test]
    fn keys_are_unique_and_sections_are_not_keys() {
        for (i, key) in KEYS.iter().enumerate() {
            assert!(
                KEYS[i + 1..].iter().all(|k| k.name != key.name),
                "{} twice",
                key.name
            );
            assert!(!key.example.is_empty(), "{} has no example", key.name);
        }
        assert!(is_section("rate_limit") && is_section("rate_limit.login_per_ip"));
        assert!(!is_section("rate_limit.enabled") && !is_section("rate"));
    }

    #[test]
    fn a_single_underscore_for_nesting_is_recognised() {
        assert_eq!(
            suggest_for_variable("PORTCULLIS_DATABASE_URL").as_deref(),
            Some("PORTCULLIS_DATABASE__URL")
        );
        assert_eq!(
            suggest_for_variable("PORTCULLIS_OIDC_PROVIDERS_MY_CORP_CLIENT_ID").as_deref(),
            Some("PORTCULLIS_OIDC__PROVIDERS__MY_CORP__CLIENT_ID")
        );
        assert!(suggest_for_variable("PORTCULLIS_NOTHING_LIKE_IT").is_none());
    }

    #[test]
    fn names_with_an_id_find_their_row_and_write_their_own_variable() {
        let key = find("oidc.providers.google.client_id").unwrap();
        assert_eq!(key.name, "oidc.providers.*.client_id");
        assert_eq!(
            key.env_at("oidc.providers.google.client_id").as_deref(),
            Some("PORTCULLIS_OIDC__PROVIDERS__GOOGLE__CLIENT_ID")
        );
        let id = find("oidc.providers.google").unwrap();
        assert_eq!(id.kind, Kind::Id);
        assert_eq!(
            id.env_label_at("oidc.providers.google"),
            "PORTCULLIS_OIDC__PROVIDERS__GOOGLE__*"
        );
        assert!(find("oidc.providers.google.nothing").is_none());
        assert!(find("oidc.providers..client_id").is_none());
        assert!(find("oidc.providers.a.b.client_id").is_none());
        assert!(is_section("oidc") && is_section("oidc.providers"));
        assert!(is_section("oidc.providers.google"));
        assert!(!is_section("oidc.providers.google.client_id"));
        for key in KEYS {
            assert!(key.name.matches(ANY_ID).count() <= 1, "{}", key.name);
        }
    }

    #[test]
    fn a_slip_of_the_keyboard_finds_the_key_next_to_it() {
        assert_eq!(nearest("database.urll").as_deref(), Some("database.url"));
        assert_eq!(nearest("sitename").as_deref(), Some("site_name"));
        assert_eq!(nearest("roles.nmae").as_deref(), Some("roles.name"));
        assert_eq!(
            nearest("oidc.providers.acme.client_secert").as_deref(),
            Some("oidc.providers.acme.client_secret")
        );
        assert_eq!(
            nearest("oidc.providers.acme.scope").as_deref(),
            Some("oidc.providers.acme.scopes")
        );
        assert!(nearest("oidc.providers.acme.colour").is_none());
        assert!(nearest("session.trusted_proxies").is_none());
        assert_eq!(distance("nmae", "name"), 1);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
