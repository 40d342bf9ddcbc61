//! Bringing accounts over from another application (a Flask app's user
//! table, a CSV or JSON Lines file): usernames, addresses, names, state,
//! roles, login history, TOTP seeds, Google ids and password hashes in the
//! formats [`crate::hashing`] verifies, so people keep logging in with the
//! passwords they have.
//!
//! Readers of each source live with the command line; this module decides
//! what an account becomes, in transactions of [`BATCH`] accounts, and says
//! what it did in an [`ImportReport`]. Running it again on the same source
//! creates nothing twice: each created account is recorded under its
//! source id.

use super::Deps;
use super::plumbing::acted_by;
use crate::access::{Authorized, UsersManage};
use crate::audit::{AuditKind, RequestContext};
use crate::domain::email::Email;
use crate::domain::role::RoleName;
use crate::domain::user::{ADMIN_ROLE, AccountKind, UserId};
use crate::domain::username::{self, Username};
use crate::error::Error;
use crate::hashing;
use crate::store::{LoginHistory, NewIdentity, NewUser, ProfileUpdate, StoreError, Transaction};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use time::OffsetDateTime;

/// Accounts written per transaction.
pub const BATCH: usize = 500;

/// The issuer Google ids are linked under.
pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";

/// Shortest TOTP seed carried over (RFC 4226 asks for 128 bits).
const MIN_SEED_BYTES: usize = 16;

/// Imports; see [`crate::AuthService::imports`].
#[derive(Clone, Copy)]
pub struct Imports<'a> {
    pub(crate) d: &'a Deps,
}

/// A password as the source holds it.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum ImportedPassword {
    /// None at all (an account that signs in through a provider).
    #[default]
    None,
    /// A hash in the source's format, already marked with its origin where
    /// the format needs that (see [`hashing::FLASK_SECURITY_PREFIX`]).
    Hash(String),
    /// The password itself (some tutorials store it so): hashed with
    /// argon2id here, never stored, logged or reported.
    Plain(String),
}

impl fmt::Debug for ImportedPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ImportedPassword::None => "None",
            ImportedPassword::Hash(_) => "Hash(<redacted>)",
            ImportedPassword::Plain(_) => "Plain(<redacted>)",
        })
    }
}

/// One account as a source reader found it.
#[derive(Debug, Clone, Default)]
pub struct ImportedAccount {
    /// Its id in the source (the primary key), unique there.
    pub source_id: String,
    /// Its username, if the source has them; otherwise one is made from the
    /// address's local part.
    pub username: Option<String>,
    /// Its address.
    pub email: Option<String>,
    /// Its display name.
    pub name: Option<String>,
    /// Its password.
    pub password: ImportedPassword,
    /// Whether it may log in.
    pub active: bool,
    /// Whether its address was confirmed.
    pub confirmed: bool,
    /// When it was, if the source knows.
    pub confirmed_at: Option<OffsetDateTime>,
    /// When it was created, if the source knows.
    pub created_at: Option<OffsetDateTime>,
    /// Its logins as the source tracked them.
    pub history: LoginHistory,
    /// Its roles by name (created here if missing).
    pub roles: Vec<String>,
    /// An `is_admin` flag: membership of `admin`.
    pub admin: bool,
    /// A TOTP seed in base32, only if the source had two-factor switched on
    /// for the account (a half-finished enrolment is not carried).
    pub totp_secret: Option<String>,
    /// The account's Google id (the `sub` of Google's tokens).
    pub google_id: Option<String>,
}

/// How to run an import.
#[derive(Debug, Clone)]
pub struct ImportRun {
    /// Names the source; a second run under the same name skips the
    /// accounts the first created.
    pub source: String,
    /// Check everything and report, then keep nothing.
    pub dry_run: bool,
    /// Bring accounts an earlier run imported up to date with the source
    /// (name, roles added, confirmation, and the password while it is
    /// still the imported hash) instead of leaving them alone.
    pub update: bool,
}

/// An account the import made (or, in a dry run, would make).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedLine {
    /// Its id in the source.
    pub source_id: String,
    /// Its username here.
    pub username: String,
    /// Its id here (`None` in a dry run).
    pub user: Option<UserId>,
}

/// A row that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedLine {
    /// Its id in the source.
    pub source_id: String,
    /// Why, in a sentence.
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    /// The accounts made.
    pub imported: Vec<ImportedLine>,
    /// Rows an earlier run imported already, left alone.
    pub already_imported: usize,
    /// Rows an earlier run imported, brought up to date (`update`).
    pub updated: usize,
    /// Rows not imported.
    pub skipped: Vec<SkippedLine>,
    /// Accounts made without a usable password (none in the source, or a
    /// format nobody verifies): they set one through forgot-password, or
    /// an administrator sets one.
    pub without_password: Vec<ImportedLine>,
    /// Accounts whose username had to change (derived, invalid or taken):
    /// source id, what the source had (or the address), and the username
    /// given.
    pub renamed: Vec<(String, String, String)>,
    /// Roles the import created.
    pub roles_created: BTreeSet<String>,
    /// How many imported accounts were given each role.
    pub roles: BTreeMap<String, usize>,
    /// How many imported passwords there were of each stored format
    /// (`"plain"` for those hashed here).
    pub formats: BTreeMap<String, usize>,
    /// Stored hashes in no format the verifier knows (their accounts are
    /// among `without_password`).
    pub unknown_formats: usize,
    /// Accounts whose TOTP seed was carried over.
    pub two_factor: usize,
    /// Google ids linked.
    pub identities: usize,
    /// Anything else worth knowing (a seed too short to keep, a Google id
    /// linked to another account already), one line each.
    pub notes: Vec<String>,
    /// Whether nothing was kept.
    pub dry_run: bool,
}

/// What the accounts of a run have claimed so far, across batches (a dry
/// run keeps nothing in the database, so the claims live here too).
#[derive(Default)]
struct Claims {
    /// Username keys of the accounts here and those made so far.
    usernames: HashSet<String>,
    /// Address keys of the accounts here before the run.
    emails_here: HashSet<String>,
    /// Address keys of this run's rows, with the source id that has each.
    emails: HashMap<String, String>,
    roles: HashSet<String>,
    /// What earlier runs from this source made: source id to account.
    imported: HashMap<String, UserId>,
}

impl Imports<'_> {
    /// Imports `accounts` from `run.source`. Only a full administrator (or
    /// the command line) may: an import can make administrators. Batches
    /// commit one by one, so an error stops the import with the earlier
    /// batches kept; running it again carries on where it stopped.
    /// `progress` hears (rows done, rows in all) after each batch.
    pub async fn import(
        &self,
        by: &Authorized<UsersManage>,
        run: &ImportRun,
        accounts: Vec<ImportedAccount>,
        ctx: &RequestContext,
        progress: &(dyn Fn(usize, usize) + Send + Sync),
    ) -> Result<ImportReport, Error> {
        if !by.actor().permissions().is_all() {
            return Err(Error::Forbidden(
                "only a full administrator may import accounts",
            ));
        }
        let d = self.d;
        let mut report = ImportReport {
            dry_run: run.dry_run,
            ..ImportReport::default()
        };
        // What is here already, read once: a query per row for each would
        // be most of the import's time. A registration racing the import
        // for a name is still caught, by the unique keys, and reported.
        let mut claims = Claims::default();
        for (username, email) in d.store.login_keys().await? {
            claims.usernames.insert(username);
            claims.emails_here.extend(email);
        }
        claims.imported = d
            .store
            .imported_accounts(&run.source)
            .await?
            .into_iter()
            .collect();
        let mut seen_ids = HashSet::new();
        for (n, batch) in accounts.chunks(BATCH).enumerate() {
            if run.dry_run {
                // The batch before was rolled back, the roles it created
                // with it: this one creates them again.
                claims.roles.clear();
            }
            let tx = d.store.begin().await?;
            for account in batch {
                if !seen_ids.insert(account.source_id.clone()) {
                    report.skipped.push(SkippedLine {
                        source_id: account.source_id.clone(),
                        reason: "the source has this id twice; the first row was taken".into(),
                    });
                    continue;
                }
                self.one(tx.as_ref(), run, account, &mut claims, &mut report)
                    .await?;
            }
            if !run.dry_run {
                tx.commit().await?;
                // Lookups by username and address must keep using their
                // indexes as the table grows from empty: statistics after
                // batches 1, 2, 4, 8, … cost O(rows) in all.
                if (n + 1).is_power_of_two() {
                    d.store.analyze().await?;
                }
            }
            progress(seen_ids.len(), accounts.len());
        }
        if !run.dry_run {
            d.record(acted_by(
                d.event(AuditKind::UsersImported, ctx)
                    .detail("source", run.source.clone())
                    .detail("imported", report.imported.len())
                    .detail("already_imported", report.already_imported)
                    .detail("updated", report.updated)
                    .detail("skipped", report.skipped.len())
                    .detail("without_password", report.without_password.len()),
                by.actor(),
            ))
            .await;
        }
        Ok(report)
    }

    async fn one(
        &self,
        tx: &dyn Transaction,
        run: &ImportRun,
        account: &ImportedAccount,
        claims: &mut Claims,
        report: &mut ImportReport,
    ) -> Result<(), Error> {
        let d = self.d;
        let id = &account.source_id;
        let skip = |report: &mut ImportReport, reason: String| {
            report.skipped.push(SkippedLine {
                source_id: id.clone(),
                reason,
            });
        };
        if let Some(&existing) = claims.imported.get(id) {
            if run.update {
                self.update(tx, existing, account, claims, report).await?;
            } else {
                report.already_imported += 1;
            }
            return Ok(());
        }
        let email = match account.email.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => match Email::parse(raw) {
                Ok(email) => Some(email),
                Err(e) => {
                    skip(report, format!("the address {raw:?} is not valid: {e}"));
                    return Ok(());
                }
            },
        };
        if let Some(email) = &email {
            let key = email.key();
            if let Some(first) = claims.emails.get(&key) {
                skip(
                    report,
                    format!(
                        "its address {} differs only in case from source row {first}'s; \
                         the accounts were not merged",
                        email.as_str()
                    ),
                );
                return Ok(());
            }
            if claims.emails_here.contains(&key) {
                skip(
                    report,
                    format!(
                        "an account here has the address {} already; the accounts were not merged",
                        email.as_str()
                    ),
                );
                return Ok(());
            }
            claims.emails.insert(key, id.clone());
        }
        let wanted = account
            .username
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let username = Self::free_username(wanted, email.as_ref(), id, claims)?;
        let origin = wanted
            .map(str::to_owned)
            .or_else(|| email.as_ref().map(|e| e.as_str().to_owned()))
            .unwrap_or_else(|| format!("row {id}"));
        if wanted != Some(username.as_str()) {
            report
                .renamed
                .push((id.clone(), origin, username.as_str().to_owned()));
        }

        let now = d.clock.now();
        let password_hash = match &account.password {
            ImportedPassword::None => None,
            ImportedPassword::Plain(p) if p.is_empty() => None,
            ImportedPassword::Plain(_) if run.dry_run => {
                *report.formats.entry("plain".into()).or_default() += 1;
                Some(String::new())
            }
            ImportedPassword::Plain(p) => {
                *report.formats.entry("plain".into()).or_default() += 1;
                Some(d.hasher.hash(p).await?)
            }
            ImportedPassword::Hash(h) => match known_format(h) {
                Some(format) => {
                    *report.formats.entry(format.into()).or_default() += 1;
                    Some(h.clone())
                }
                None => {
                    report.unknown_formats += 1;
                    None
                }
            },
        };
        let created_at = account.created_at.unwrap_or(now);
        let new = NewUser {
            username: username.as_str().to_owned(),
            username_key: username.key(),
            email: email.as_ref().map(|e| e.as_str().to_owned()),
            email_key: email.as_ref().map(Email::key),
            kind: AccountKind::Human,
            password_hash: password_hash.filter(|h| !h.is_empty() || run.dry_run),
            is_active: account.active,
            confirmed_at: (account.confirmed && email.is_some())
                .then(|| account.confirmed_at.unwrap_or(created_at)),
            created_at,
        };
        let has_password = new.password_hash.is_some();
        let user = match tx.create_user(&new).await {
            Ok(user) => user,
            Err(StoreError::Conflict(field)) => {
                skip(report, format!("its {field} is taken here"));
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        if let Some(name) = account
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            tx.update_user_profile(
                user.id,
                &ProfileUpdate {
                    username: new.username.clone(),
                    username_key: new.username_key.clone(),
                    email: new.email.clone(),
                    email_key: new.email_key.clone(),
                    name: Some(name.chars().take(200).collect()),
                },
                now,
            )
            .await?;
        }
        if account.history != LoginHistory::default() {
            tx.set_login_history(user.id, &account.history).await?;
        }
        grant_roles(tx, user.id, account, claims, report).await?;
        if let Some(secret) = &account.totp_secret {
            match seed_of(secret) {
                Some(seed) => {
                    let sealed = d.sealing.seal(&seed);
                    tx.put_pending_totp(user.id, &sealed, now).await?;
                    tx.confirm_totp(user.id, 0, now).await?;
                    report.two_factor += 1;
                }
                None => report.notes.push(format!(
                    "source row {id}: its TOTP secret is not base32 of at least 128 bits; \
                     the account has no second factor"
                )),
            }
        }
        if let Some(subject) = account.google_id.as_deref().filter(|s| !s.is_empty()) {
            let identity = NewIdentity {
                user_id: user.id,
                provider: "google".into(),
                issuer: GOOGLE_ISSUER.into(),
                subject: subject.to_owned(),
                email: new.email.clone(),
                created_at: now,
            };
            match tx.link_identity(&identity).await {
                Ok(_) => report.identities += 1,
                Err(StoreError::Conflict(_)) => report.notes.push(format!(
                    "source row {id}: its Google id is linked to another account here; not linked"
                )),
                Err(e) => return Err(e.into()),
            }
        }
        tx.record_import(&run.source, id, user.id, now).await?;
        let line = ImportedLine {
            source_id: id.clone(),
            username: user.username.clone(),
            user: (!run.dry_run).then_some(user.id),
        };
        if !has_password {
            report.without_password.push(line.clone());
        }
        report.imported.push(line);
        Ok(())
    }

    /// Brings the account an earlier run made for `account` up to date:
    /// its name, roles it lacks (none are taken away), confirmation (never
    /// undone), and the password while the account still has the hash the
    /// import brought (once its owner logged in or chose a new one, theirs
    /// is kept). Deactivation is left to an administrator, who sees what it
    /// ends.
    async fn update(
        &self,
        tx: &dyn Transaction,
        user: UserId,
        account: &ImportedAccount,
        claims: &mut Claims,
        report: &mut ImportReport,
    ) -> Result<(), Error> {
        let now = self.d.clock.now();
        let Some(current) = tx.user_by_id(user).await? else {
            report.notes.push(format!(
                "source row {}: its account was deleted here; not made again",
                account.source_id
            ));
            return Ok(());
        };
        if let Some(name) = account
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            && current.name.as_deref() != Some(name)
        {
            // The username and address stay as they are; only the keys
            // the store wants beside them are worked out again.
            tx.update_user_profile(
                user,
                &ProfileUpdate {
                    username: current.username.clone(),
                    username_key: current.username.to_ascii_lowercase(),
                    email: current.email.clone(),
                    email_key: current
                        .email
                        .as_deref()
                        .and_then(|e| Email::parse(e).ok())
                        .map(|e| e.key()),
                    name: Some(name.chars().take(200).collect()),
                },
                now,
            )
            .await?;
        }
        grant_roles(tx, user, account, claims, report).await?;
        if account.confirmed && current.email.is_some() && current.confirmed_at.is_none() {
            tx.mark_confirmed(user, account.confirmed_at.unwrap_or(now))
                .await?;
        }
        if let ImportedPassword::Hash(hash) = &account.password
            && known_format(hash).is_some()
        {
            let stored = tx
                .credential_by_login(&current.username.to_ascii_lowercase())
                .await?
                .and_then(|c| c.password_hash);
            let still_imported = stored
                .as_deref()
                .is_some_and(|h| hashing::format_name(h) != "argon2");
            if still_imported && stored.as_deref() != Some(hash.as_str()) {
                tx.set_password_hash(user, hash, now).await?;
            }
        }
        report.updated += 1;
        Ok(())
    }

    /// A username for the account that no account here or earlier in the
    /// run has: the source's own if it is valid and free, else one made
    /// from it (or the address's local part, or the row id), with a number
    /// added until it is free.
    fn free_username(
        wanted: Option<&str>,
        email: Option<&Email>,
        id: &str,
        claims: &mut Claims,
    ) -> Result<Username, Error> {
        let base = match wanted.map(Username::parse) {
            Some(Ok(name)) => name.as_str().to_owned(),
            _ => {
                let from = wanted
                    .or_else(|| email.and_then(|e| e.as_str().split('@').next()))
                    .unwrap_or("");
                let cleaned = clean_username(from);
                if cleaned.len() >= username::MIN_LEN {
                    cleaned
                } else {
                    format!("user-{}", clean_username(id))
                }
            }
        };
        for n in 1u32.. {
            let candidate = if n == 1 {
                base.clone()
            } else {
                let suffix = n.to_string();
                let keep = username::MAX_LEN.saturating_sub(suffix.len());
                format!("{}{suffix}", truncate(&base, keep))
            };
            let Ok(name) = Username::parse(&truncate(&candidate, username::MAX_LEN)) else {
                continue;
            };
            let key = name.key();
            if claims.usernames.contains(&key) {
                continue;
            }
            claims.usernames.insert(key);
            return Ok(name);
        }
        Err(Error::internal("no free username"))
    }
}

/// Gives `user` the account's roles (and `admin` for the admin flag),
/// creating those missing here.
async fn grant_roles(
    tx: &dyn Transaction,
    user: UserId,
    account: &ImportedAccount,
    claims: &mut Claims,
    report: &mut ImportReport,
) -> Result<(), Error> {
    let mut roles: Vec<&str> = account.roles.iter().map(|r| r.trim()).collect();
    if account.admin {
        roles.push(ADMIN_ROLE);
    }
    for role in roles {
        let Ok(name) = RoleName::parse(role) else {
            report.notes.push(format!(
                "source row {}: the role {role:?} is not a valid role name; not given",
                account.source_id
            ));
            continue;
        };
        let name = name.as_str();
        if !claims.roles.contains(name) {
            if tx.role(name).await?.is_none() {
                tx.ensure_role(name, "Imported").await?;
                report.roles_created.insert(name.to_owned());
            }
            claims.roles.insert(name.to_owned());
        }
        tx.grant_role(user, name).await?;
        *report.roles.entry(name.to_owned()).or_default() += 1;
    }
    Ok(())
}

/// The verifier's name for `stored` if it verifies anything: a marked
/// Flask-Security hash counts only if what it wraps does.
fn known_format(stored: &str) -> Option<&'static str> {
    let inner = stored
        .strip_prefix(hashing::FLASK_SECURITY_PREFIX)
        .or_else(|| stored.strip_prefix(hashing::FLASK_SECURITY_SINGLE_PREFIX));
    if let Some(inner) = inner
        && hashing::format_name(inner) == "unknown"
    {
        return None;
    }
    match hashing::format_name(stored) {
        "unknown" => None,
        name => Some(name),
    }
}

/// The seed a base32 TOTP secret encodes, if it is one of at least 128 bits.
fn seed_of(secret: &str) -> Option<Vec<u8>> {
    let cleaned: String = secret
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let seed = totp_rs::Secret::try_from_base32(cleaned.trim_end_matches('='))
        .ok()?
        .as_bytes()
        .to_vec();
    (seed.len() >= MIN_SEED_BYTES).then_some(seed)
}

/// `s` with every character a username may not hold dropped (after
/// mapping spaces and '+' to '-'), cut to the longest username.
fn clean_username(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| if matches!(c, ' ' | '+') { '-' } else { c })
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        .collect();
    truncate(&cleaned, username::MAX_LEN)
}

/// The first `max` bytes of an ASCII string.
fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_made_of_what_a_username_may_hold() {
        assert_eq!(clean_username("paul.smith"), "paul.smith");
        assert_eq!(clean_username("Jürgen O'Neil+news"), "Jrgen-ONeil-news");
        assert_eq!(clean_username(&"x".repeat(60)).len(), username::MAX_LEN);
    }

    #[test]
    fn a_totp_secret_is_kept_only_with_enough_bits() {
        assert_eq!(
            seed_of("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").map(|s| s.len()),
            Some(20)
        );
        assert_eq!(
            seed_of("jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp").map(|s| s.len()),
            Some(20)
        );
        assert_eq!(seed_of("JBSWY3DPEHPK3PXP"), None, "80 bits");
        assert_eq!(seed_of("not base32 at all!"), None);
    }

    #[test]
    fn a_marked_hash_counts_only_if_it_wraps_a_known_format() {
        let bcrypt = "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW";
        assert_eq!(known_format(bcrypt), Some("bcrypt"));
        assert!(known_format(&format!("{}{bcrypt}", hashing::FLASK_SECURITY_PREFIX)).is_some());
        assert_eq!(
            known_format(&format!("{}nonsense", hashing::FLASK_SECURITY_PREFIX)),
            None
        );
        assert_eq!(known_format("not-a-known-format"), None);
    }

    #[test]
    fn a_password_never_shows_in_debug_output() {
        let shown = format!("{:?}", ImportedPassword::Plain("hunter2".into()));
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
