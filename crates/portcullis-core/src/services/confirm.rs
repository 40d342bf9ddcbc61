//! Confirming the address an account registered with.

use crate::audit::{AuditKind, NewAuditEvent, RequestContext};
use crate::domain::user::{User, UserId};
use crate::error::Error;
use crate::notify::Notice;
use crate::services::auth::AuthService;
use crate::store::TokenPurpose;
use crate::token::SecretToken;

impl AuthService {
    /// Mails a confirmation link to an unconfirmed account, voiding older
    /// ones.
    pub(crate) async fn send_confirmation(
        &self,
        user: &User,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        let token = self
            .issue_token(user.id, TokenPurpose::Confirm, None)
            .await?;
        self.record(
            NewAuditEvent::new(AuditKind::ConfirmationSent, self.clock.now(), ctx).target(user.id),
        )
        .await;
        self.notifier.send(Notice::ConfirmEmail {
            to: user.email.clone(),
            username: user.username.clone(),
            token,
        });
        Ok(())
    }

    /// Sends a new confirmation link to `email` if an active, unconfirmed
    /// account has that address; the older link stops working. Same answer
    /// and the same work whatever the address.
    pub async fn resend_confirmation(
        &self,
        email: &str,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        let found = self
            .account_for_email(email, "resend_confirmation", ctx)
            .await?;
        match found.filter(|u| u.confirmed_at.is_none()) {
            Some(user) => self.send_confirmation(&user, ctx).await,
            None => {
                let _ = SecretToken::generate().hash();
                self.store
                    .void_email_tokens(UserId(0), TokenPurpose::Confirm, self.clock.now())
                    .await?;
                Ok(())
            }
        }
    }

    /// Whether `token` is a live confirmation link (the page shows a button
    /// first: mail scanners follow links, and must not confirm).
    pub async fn confirm_token_is_valid(&self, token: &str) -> Result<bool, Error> {
        self.token_is_valid(token, TokenPurpose::Confirm).await
    }

    /// Confirms the address the token was sent to; returns the account.
    pub async fn confirm_email(&self, token: &str, ctx: &RequestContext) -> Result<User, Error> {
        let token = SecretToken::parse(token).ok_or(Error::InvalidToken)?;
        let now = self.clock.now();
        let grant = self
            .store
            .redeem_email_token(&token.hash(), TokenPurpose::Confirm, now)
            .await?
            .ok_or(Error::InvalidToken)?;
        self.store.mark_confirmed(grant.user_id, now).await?;
        self.record(NewAuditEvent::new(AuditKind::EmailConfirmed, now, ctx).target(grant.user_id))
            .await;
        self.store
            .user_by_id(grant.user_id)
            .await?
            .ok_or(Error::InvalidToken)
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
            .store
            .peek_email_token(&token.hash(), purpose, self.clock.now())
            .await?
            .is_some())
    }
}
