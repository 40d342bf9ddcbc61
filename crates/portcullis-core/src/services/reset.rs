//! The forgotten password: asking for a link, and setting a new password
//! with it.

use super::EmailFlows;
use crate::audit::{AuditKind, RequestContext};
use crate::error::Error;
use crate::notify::Notice;
use crate::services::tokens::{ALL_KINDS, Tokens};
use crate::store::TokenPurpose;
use crate::token::SecretToken;

impl EmailFlows<'_> {
    /// Sends a reset link to `email` if an active account has that address.
    /// The answer is the same either way (only a malformed address or a
    /// rate limit is reported), and so is the work: the unknown address runs
    /// the same statements, which store nothing. Asking again voids older
    /// links.
    pub async fn request_password_reset(
        &self,
        email: &str,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        let d = self.d;
        let found = d.account_for_email(email, "forgot_password", ctx).await?;
        let event = d.event(AuditKind::PasswordResetRequested, ctx);
        let event = match &found {
            Some(user) => event.target(user.id),
            None => event.detail("account", "unknown"),
        };
        d.issue_link(found.as_ref(), TokenPurpose::Reset, None, event, |token| {
            let user = found.as_ref()?;
            Some(Notice::PasswordReset {
                to: user.mailbox()?.to_owned(),
                username: user.username.clone(),
                token,
            })
        })
        .await
    }

    /// Whether `token` is a live reset link (for showing the form; the
    /// token is not used up).
    pub async fn reset_token_is_valid(&self, token: &str) -> Result<bool, Error> {
        self.token_is_valid(token, TokenPurpose::Reset).await
    }

    /// Sets a new password with a reset link. The policy is checked before
    /// the token is spent, so a refused password leaves the link usable;
    /// the token is then used up in one atomic step (of two concurrent
    /// attempts one wins, the other gets [`Error::InvalidToken`]), in the
    /// same transaction as everything the reset changes: the password, the
    /// account's other reset links (voided), its sessions (ended) and any
    /// lockout (lifted). A notice goes to the address. The user is not
    /// logged in.
    pub async fn reset_password(
        &self,
        token: &str,
        password: &str,
        password_confirm: &str,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        let d = self.d;
        let token = SecretToken::parse(token).ok_or(Error::InvalidToken)?;
        let hash = token.hash();
        let grant = d
            .store
            .peek_email_token(&hash, TokenPurpose::Reset, d.clock.now())
            .await?
            .ok_or(Error::InvalidToken)?;
        let user = d
            .store
            .user_by_id(grant.user_id)
            .await?
            .ok_or(Error::InvalidToken)?;
        let new = d.new_password(
            &user,
            password,
            password_confirm,
            "password",
            "password_confirm",
        )?;
        let password_hash = d.hasher.hash(new.expose()).await?;
        let now = d.clock.now();
        let tx = d.store.begin().await?;
        if tx
            .redeem_email_token(&hash, TokenPurpose::Reset, now)
            .await?
            .is_none()
        {
            return Err(Error::InvalidToken);
        }
        tx.set_password_hash(user.id, &password_hash, now).await?;
        tx.void_email_tokens(user.id, TokenPurpose::Reset, now)
            .await?;
        let ended = tx.delete_sessions_of(user.id).await?;
        // A reset may follow a compromise: every token goes too.
        let tokens = tx.revoke_api_tokens_of(user.id, &ALL_KINDS, now).await?;
        tx.unlock_user(user.id).await?;
        tx.commit().await?;
        d.record(
            d.event(AuditKind::PasswordResetCompleted, ctx)
                .target(user.id)
                .detail("sessions_ended", ended)
                .detail("tokens_revoked", tokens),
        )
        .await;
        Tokens { d }
            .revoked_many(user.id, tokens, "password_reset", None, ctx)
            .await;
        d.tell(&user, |to| Notice::PasswordResetDone {
            to,
            username: user.username.clone(),
        })
        .await;
        Ok(())
    }

    /// Whether `token` is unused and unexpired for `purpose`.
    pub(crate) async fn token_is_valid(
        &self,
        token: &str,
        purpose: TokenPurpose,
    ) -> Result<bool, Error> {
        let Some(token) = SecretToken::parse(token) else {
            return Ok(false);
        };
        Ok(self
            .d
            .store
            .peek_email_token(&token.hash(), purpose, self.d.clock.now())
            .await?
            .is_some())
    }
}
