//! What the use cases share: audit records, rate limits, single-use emailed
//! tokens, finding an account by address without telling whether it
//! exists, and checking passwords typed into account forms.

use super::Deps;
use crate::access::Actor;
use crate::audit::{AuditKind, NewAuditEvent, RequestContext};
use crate::domain::email::Email;
use crate::domain::fields::FieldErrors;
use crate::domain::password::{self, Password};
use crate::domain::user::{User, UserId};
use crate::error::Error;
use crate::notify::Notice;
use crate::policy::rate_limit::{self, Limit};
use crate::store::{EmailStore, NewEmailToken, TokenPurpose};
use crate::token::SecretToken;
use time::OffsetDateTime;

/// A hit a rate limit let through, which can be taken back.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    key: String,
    window_start: OffsetDateTime,
}

impl Deps {
    /// An event of `kind` now, from `ctx`.
    pub(crate) fn event(&self, kind: AuditKind, ctx: &RequestContext) -> NewAuditEvent {
        NewAuditEvent::new(kind, self.clock.now(), ctx)
    }

    /// Queues the notice `notice` builds around `user`'s address, if they
    /// have one (a service account has none, and gets no mail). For news of
    /// a change already made; a link goes through [`Deps::issue_link`].
    pub(crate) async fn tell(&self, user: &User, notice: impl FnOnce(String) -> Notice) {
        if let Some(to) = user.mailbox() {
            self.queue_news(notice(to.to_owned())).await;
        }
    }

    /// Appends an audit event. A failure to write is logged, not returned:
    /// losing the database for the log must not also lock everyone out.
    pub(crate) async fn record(&self, event: NewAuditEvent) {
        if let Err(err) = self.store.append_audit(&event).await {
            tracing::error!(kind = event.kind.as_str(), error = %err, "could not write audit event");
        }
    }

    /// Counts a hit on `key` and refuses it past `limit`, recording the
    /// refusal. `None` when rate limiting is switched off.
    pub(crate) async fn limit(
        &self,
        limit: Limit,
        key: &str,
        endpoint: &'static str,
        ctx: &RequestContext,
    ) -> Result<Option<Hit>, Error> {
        if !self.security.rate_limits.enabled {
            return Ok(None);
        }
        let now = self.clock.now();
        let counter = self.store.hit(key, now, now - limit.window).await?;
        match rate_limit::judge(limit, counter.hits, counter.window_start, now) {
            Ok(()) => Ok(Some(Hit {
                key: key.to_owned(),
                window_start: counter.window_start,
            })),
            Err(refused) => {
                // Only the first refusal of a window is logged, so a flood
                // cannot flood the audit log too.
                if counter.hits == i64::from(limit.max) + 1 {
                    self.record(
                        self.event(AuditKind::RateLimited, ctx)
                            .detail("endpoint", endpoint)
                            .detail("key", key),
                    )
                    .await;
                }
                Err(Error::RateLimited {
                    retry_after: refused.retry_after,
                })
            }
        }
    }

    /// Counts a login attempt from `ctx`'s address against the per-address
    /// login limit (what password logins count against too).
    pub(crate) async fn limit_login_ip(&self, ctx: &RequestContext) -> Result<Option<Hit>, Error> {
        let limits = self.security.rate_limits;
        match &ctx.ip {
            Some(ip) => {
                self.limit(
                    limits.login_per_ip,
                    &format!("login:ip:{}", limits.ip_bucket(ip)),
                    "login",
                    ctx,
                )
                .await
            }
            None => Ok(None),
        }
    }

    /// Counts a second step of `user`'s login against both login limits,
    /// the address's and the account's, as the password step was.
    pub(crate) async fn limit_login(
        &self,
        user: &User,
        ctx: &RequestContext,
    ) -> Result<Vec<Option<Hit>>, Error> {
        let limits = self.security.rate_limits;
        let by_ip = self.limit_login_ip(ctx).await?;
        let by_account = self
            .limit(
                limits.login_per_account,
                &format!("login:account:{}", user.username.to_lowercase()),
                "login",
                ctx,
            )
            .await?;
        Ok(vec![by_ip, by_account])
    }

    /// Takes back hits that turned out not to be what the limit is about
    /// (a successful login is not a guess). Best effort.
    pub(crate) async fn refund(&self, hits: impl IntoIterator<Item = Option<Hit>>) {
        for hit in hits.into_iter().flatten() {
            if let Err(err) = self.store.refund(&hit.key, hit.window_start).await {
                tracing::warn!(error = %err, "could not refund a rate-limit hit");
            }
        }
    }

    /// Mints a token for `purpose` on `on` (the store or a transaction),
    /// voiding the user's older ones of the same purpose; only its hash is
    /// stored. For an account that does not exist the same statements run
    /// and keep nothing.
    pub(crate) async fn issue_token_on(
        &self,
        on: &dyn EmailStore,
        user: UserId,
        purpose: TokenPurpose,
        new_email: Option<String>,
    ) -> Result<SecretToken, Error> {
        let now = self.clock.now();
        let ttl = self.token_ttl(purpose);
        let token = SecretToken::generate();
        on.issue_email_token(&NewEmailToken {
            purpose,
            user_id: user,
            token_hash: token.hash(),
            new_email,
            created_at: now,
            expires_at: now + ttl,
        })
        .await?;
        Ok(token)
    }

    /// Issues a link of `purpose` for `to` (or, for an address without an
    /// account, runs the same statements storing no token), queues the
    /// notice `mail` makes of it (if any) and records `event`, in one
    /// transaction: the link is kept only with the email that carries it.
    /// Both branches write and commit alike: a commit that wrote something
    /// waits for the log to reach the disk, and one that wrote nothing does
    /// not, which would time apart known and unknown addresses.
    pub(crate) async fn issue_link(
        &self,
        to: Option<&User>,
        purpose: TokenPurpose,
        new_email: Option<String>,
        event: NewAuditEvent,
        mail: impl FnOnce(SecretToken) -> Option<Notice>,
    ) -> Result<(), Error> {
        let tx = self.store.begin().await?;
        let owner = to.map_or(UserId(0), |u| u.id);
        let token = self
            .issue_token_on(tx.as_ref(), owner, purpose, new_email)
            .await?;
        let queued = match mail(token) {
            Some(notice) => {
                let expires_at = self.clock.now() + self.token_ttl(purpose);
                self.queue_on(tx.as_ref(), &notice, expires_at).await?;
                true
            }
            None => false,
        };
        tx.append_audit(&event).await?;
        tx.commit().await?;
        if queued {
            self.mail_queued();
        }
        Ok(())
    }

    /// How long a link of `purpose` works.
    pub(crate) fn token_ttl(&self, purpose: TokenPurpose) -> time::Duration {
        match purpose {
            TokenPurpose::Reset => self.security.email.reset_ttl,
            TokenPurpose::Confirm | TokenPurpose::ChangeEmail => self.security.email.confirm_ttl,
        }
    }

    /// Parses the address of a "send me an email" form, applies the email
    /// rate limits (per IP, and per address whether or not it has an
    /// account), and finds the active account it belongs to. Known and
    /// unknown addresses run the same queries.
    pub(crate) async fn account_for_email(
        &self,
        email: &str,
        endpoint: &'static str,
        ctx: &RequestContext,
    ) -> Result<Option<User>, Error> {
        let email = Email::parse(email).map_err(|e| FieldErrors::single("email", e.to_string()))?;
        let key = email.key();
        let limits = self.security.rate_limits;
        if let Some(ip) = &ctx.ip {
            self.limit(
                limits.email_per_ip,
                &format!("email:ip:{}", limits.ip_bucket(ip)),
                endpoint,
                ctx,
            )
            .await?;
        }
        self.limit(
            limits.email_per_account,
            &format!("{endpoint}:account:{key}"),
            endpoint,
            ctx,
        )
        .await?;
        let found = self.store.credential_by_login(&key).await?;
        // The lookup also matches usernames; only an address counts here.
        Ok(found
            .map(|c| c.user)
            .filter(|u| u.mailbox().is_some_and(|m| m.to_lowercase() == key) && u.is_active))
    }

    /// Whether `presented` is the user's current password. One hash
    /// verification whether or not the account has a password.
    pub(crate) async fn password_matches(
        &self,
        user: &User,
        presented: &str,
    ) -> Result<bool, Error> {
        let stored = self
            .store
            .credential_by_login(&user.username.to_ascii_lowercase())
            .await?
            .filter(|c| c.user.id == user.id)
            .and_then(|c| c.password_hash);
        match stored {
            Some(stored) => Ok(self.hasher.verify(presented, &stored).await?.matches),
            None => {
                self.hasher.verify_dummy(presented).await?;
                Ok(false)
            }
        }
    }

    /// Parses a new password and its confirmation and applies the password
    /// policy for `user`, reporting under the given field names.
    pub(crate) fn new_password(
        &self,
        user: &User,
        new: &str,
        confirm: &str,
        field: &'static str,
        confirm_field: &'static str,
    ) -> Result<Password, FieldErrors> {
        let mut errors = FieldErrors::new();
        let parsed = errors.take(field, Password::parse_with_min(new, 1));
        if let Some(pw) = &parsed {
            if password::normalise(confirm) != pw.expose() {
                errors.add(confirm_field, "Passwords do not match.");
            }
            if let Err(policy) = self.check_policy(user, pw, field) {
                for e in policy.iter() {
                    errors.add(e.field, e.message.clone());
                }
            }
        }
        match parsed {
            Some(pw) if errors.is_empty() => Ok(pw),
            _ => Err(errors),
        }
    }

    /// The password policy for `user`'s new password.
    pub(crate) fn check_policy(
        &self,
        user: &User,
        pw: &Password,
        field: &'static str,
    ) -> Result<(), FieldErrors> {
        let local = user
            .mailbox()
            .and_then(|m| m.rsplit_once('@'))
            .map_or("", |(l, _)| l);
        self.security
            .password
            .check(pw, &user.username, local, field)
    }
}

/// Attributes `event` to `actor`: its account, or `"actor": "system"` for
/// the command line.
pub(crate) fn acted_by(event: NewAuditEvent, actor: &Actor) -> NewAuditEvent {
    match actor.id() {
        Some(id) => event.actor(id),
        None => event.detail("actor", "system"),
    }
}
