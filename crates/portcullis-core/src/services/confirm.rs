//! Confirming the address an account registered with.

use super::EmailFlows;
use crate::audit::{AuditKind, RequestContext};
use crate::domain::user::User;
use crate::error::Error;
use crate::notify::Notice;
use crate::store::TokenPurpose;
use crate::token::SecretToken;

impl EmailFlows<'_> {
    /// Sends a new confirmation link to `email` if an active, unconfirmed
    /// account has that address; the older link stops working. Same answer
    /// and the same statements whatever the address (for an unknown one
    /// they store nothing).
    pub async fn resend_confirmation(
        &self,
        email: &str,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        let d = self.d;
        let found = d
            .account_for_email(email, "resend_confirmation", ctx)
            .await?
            .filter(|u| u.confirmed_at.is_none());
        let event = d.event(AuditKind::ConfirmationRequested, ctx);
        let event = match &found {
            Some(user) => event.target(user.id),
            None => event.detail("account", "unknown"),
        };
        d.issue_link(
            found.as_ref(),
            TokenPurpose::Confirm,
            None,
            event,
            |token| {
                let user = found.as_ref()?;
                Some(Notice::ConfirmEmail {
                    to: user.mailbox()?.to_owned(),
                    username: user.username.clone(),
                    token,
                })
            },
        )
        .await
    }

    /// Whether `token` is a live confirmation link (the page shows a button
    /// first: mail scanners follow links, and must not confirm).
    pub async fn confirm_token_is_valid(&self, token: &str) -> Result<bool, Error> {
        self.token_is_valid(token, TokenPurpose::Confirm).await
    }

    /// The account a live confirmation link is for, to name its address on
    /// the page before the button is pressed.
    pub async fn confirm_token_account(&self, token: &str) -> Result<Option<User>, Error> {
        let Some(token) = SecretToken::parse(token) else {
            return Ok(None);
        };
        let d = self.d;
        match d
            .store
            .peek_email_token(&token.hash(), TokenPurpose::Confirm, d.clock.now())
            .await?
        {
            Some(grant) => Ok(d.store.user_by_id(grant.user_id).await?),
            None => Ok(None),
        }
    }

    /// Confirms the address the token was sent to; returns the account.
    pub async fn confirm_email(&self, token: &str, ctx: &RequestContext) -> Result<User, Error> {
        let d = self.d;
        let token = SecretToken::parse(token).ok_or(Error::InvalidToken)?;
        let now = d.clock.now();
        let tx = d.store.begin().await?;
        let grant = tx
            .redeem_email_token(&token.hash(), TokenPurpose::Confirm, now)
            .await?
            .ok_or(Error::InvalidToken)?;
        tx.mark_confirmed(grant.user_id, now).await?;
        tx.commit().await?;
        d.record(
            d.event(AuditKind::EmailConfirmed, ctx)
                .target(grant.user_id),
        )
        .await;
        d.store
            .user_by_id(grant.user_id)
            .await?
            .ok_or(Error::InvalidToken)
    }
}
