//! Changing the account's address: proven by the current password, done
//! only when the link sent to the new address is followed, and told to the
//! old address.

use super::EmailFlows;
use crate::audit::{AuditKind, RequestContext};
use crate::domain::email::Email;
use crate::domain::fields::FieldErrors;
use crate::domain::user::User;
use crate::error::Error;
use crate::notify::Notice;
use crate::store::{TokenPurpose, UniqueField};
use crate::token::SecretToken;

/// Every link an address change makes worthless: they were sent to, or
/// prove control of, the old address.
pub(crate) const VOIDED_BY_ADDRESS_CHANGE: [TokenPurpose; 3] = [
    TokenPurpose::Confirm,
    TokenPurpose::Reset,
    TokenPurpose::ChangeEmail,
];

impl EmailFlows<'_> {
    /// Sends a confirmation link to `new_email` for the logged-in `user`.
    /// The address must parse and differ from the current one; the current
    /// password must be right. An address that belongs to another account
    /// is [`Error::Taken`] when the registration policy reveals taken
    /// addresses; otherwise the answer is the same as for a free address
    /// (the same statements run, storing nothing) and the owner of the
    /// address is told by email.
    pub async fn request_email_change(
        &self,
        user: &User,
        current_password: &str,
        new_email: &str,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        let d = self.d;
        d.limit(
            d.security.rate_limits.email_per_account,
            &format!("change_email:account:{}", user.id),
            "change_email",
            ctx,
        )
        .await?;
        let mut errors = FieldErrors::new();
        let email = errors.take("email", Email::parse(new_email));
        if !d.password_matches(user, current_password).await? {
            errors.add("password", "Current password is incorrect.");
        }
        let Some(email) = email.filter(|_| errors.is_empty()) else {
            return Err(Error::Validation(errors));
        };
        if user
            .mailbox()
            .is_some_and(|m| m.to_lowercase() == email.key())
        {
            return Err(FieldErrors::single("email", "This is already your address.").into());
        }
        let owner = d
            .store
            .credential_by_login(&email.key())
            .await?
            .map(|c| c.user)
            .filter(|other| {
                other.id != user.id
                    && other
                        .mailbox()
                        .is_some_and(|m| m.to_lowercase() == email.key())
            });
        if owner.is_some() && d.security.registration.reveal_taken {
            return Err(Error::Taken(UniqueField::Email));
        }
        let event = d
            .event(AuditKind::EmailChangeRequested, ctx)
            .by(user.id)
            .detail("new_email", email.as_str());
        let event = if owner.is_some() {
            event.detail("address_in_use", true)
        } else {
            event
        };
        // For a taken address the same statements run and keep no link.
        // Either way one message is queued with the (possibly void) link.
        d.issue_link(
            owner.is_none().then_some(user),
            TokenPurpose::ChangeEmail,
            Some(email.as_str().to_owned()),
            event,
            |token| match &owner {
                Some(owner) => Some(Notice::AddressInUse {
                    to: owner.mailbox()?.to_owned(),
                    username: owner.username.clone(),
                }),
                None => Some(Notice::ConfirmEmailChange {
                    to: email.as_str().to_owned(),
                    username: user.username.clone(),
                    token,
                }),
            },
        )
        .await
    }

    /// The address change of `user` whose link is out and not yet
    /// followed, if any (for the profile to show).
    pub async fn pending_email_change(
        &self,
        user: &User,
    ) -> Result<Option<crate::store::PendingEmailChange>, Error> {
        let d = self.d;
        Ok(d.store.pending_email_change(user.id, d.clock.now()).await?)
    }

    /// The address a live email-change link would switch to, to name it on
    /// the page before the button is pressed.
    pub async fn email_change_token_address(&self, token: &str) -> Result<Option<String>, Error> {
        let Some(token) = SecretToken::parse(token) else {
            return Ok(None);
        };
        let d = self.d;
        Ok(d.store
            .peek_email_token(&token.hash(), TokenPurpose::ChangeEmail, d.clock.now())
            .await?
            .and_then(|grant| grant.new_email))
    }

    /// Whether `token` is a live email-change link.
    pub async fn email_change_token_is_valid(&self, token: &str) -> Result<bool, Error> {
        self.token_is_valid(token, TokenPurpose::ChangeEmail).await
    }

    /// Switches the account to the address the link was sent to (which it
    /// proves the user reads), and tells the old address. In the same
    /// transaction every outstanding link of the account (confirmation,
    /// reset, other address changes) is voided: they were bound to the old
    /// address.
    pub async fn confirm_email_change(
        &self,
        token: &str,
        ctx: &RequestContext,
    ) -> Result<User, Error> {
        let d = self.d;
        let token = SecretToken::parse(token).ok_or(Error::InvalidToken)?;
        let now = d.clock.now();
        let tx = d.store.begin().await?;
        let grant = tx
            .redeem_email_token(&token.hash(), TokenPurpose::ChangeEmail, now)
            .await?
            .ok_or(Error::InvalidToken)?;
        let (Some(new_email), Some(before)) =
            (grant.new_email, tx.user_by_id(grant.user_id).await?)
        else {
            return Err(Error::InvalidToken);
        };
        tx.change_email(before.id, &new_email, &new_email.to_lowercase(), now)
            .await?;
        for purpose in VOIDED_BY_ADDRESS_CHANGE {
            tx.void_email_tokens(before.id, purpose, now).await?;
        }
        tx.commit().await?;
        d.record(
            d.event(AuditKind::EmailChanged, ctx)
                .target(before.id)
                .detail("old_email", before.email.as_deref())
                .detail("new_email", new_email.as_str()),
        )
        .await;
        d.tell(&before, |to| Notice::EmailChanged {
            to,
            username: before.username.clone(),
            new_email,
        })
        .await;
        d.store
            .user_by_id(before.id)
            .await?
            .ok_or(Error::InvalidToken)
    }
}
