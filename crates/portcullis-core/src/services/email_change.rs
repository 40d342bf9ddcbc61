//! Changing the account's address: proven by the current password, done
//! only when the link sent to the new address is followed, and told to the
//! old address.

use crate::audit::{AuditKind, NewAuditEvent, RequestContext};
use crate::domain::email::Email;
use crate::domain::fields::FieldErrors;
use crate::domain::user::User;
use crate::error::Error;
use crate::notify::Notice;
use crate::services::auth::AuthService;
use crate::store::{TokenPurpose, UniqueField};

impl AuthService {
    /// Sends a confirmation link to `new_email` for the logged-in `user`.
    /// The address must parse, differ from the current one and belong to
    /// no other account; the current password must be right.
    pub async fn request_email_change(
        &self,
        user: &User,
        current_password: &str,
        new_email: &str,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        self.limit(
            self.security.rate_limits.email_per_account,
            &format!("change_email:account:{}", user.id),
            "change_email",
            ctx,
        )
        .await?;
        let mut errors = FieldErrors::new();
        let email = errors.take("email", Email::parse(new_email));
        if !self.password_matches(user, current_password).await? {
            errors.add("password", "Current password is incorrect.");
        }
        let Some(email) = email.filter(|_| errors.is_empty()) else {
            return Err(Error::Validation(errors));
        };
        if email.key() == user.email.to_lowercase() {
            return Err(FieldErrors::single("email", "This is already your address.").into());
        }
        if let Some(other) = self.store.credential_by_login(&email.key()).await?
            && other.user.id != user.id
            && other.user.email.to_lowercase() == email.key()
        {
            return Err(Error::Taken(UniqueField::Email));
        }
        let token = self
            .issue_token(
                user.id,
                TokenPurpose::ChangeEmail,
                Some(email.as_str().to_owned()),
            )
            .await?;
        self.record(
            NewAuditEvent::new(AuditKind::EmailChangeRequested, self.clock.now(), ctx)
                .by(user.id)
                .detail("new_email", email.as_str()),
        )
        .await;
        self.notifier.send(Notice::ConfirmEmailChange {
            to: email.as_str().to_owned(),
            username: user.username.clone(),
            token,
        });
        Ok(())
    }

    /// Whether `token` is a live email-change link.
    pub async fn email_change_token_is_valid(&self, token: &str) -> Result<bool, Error> {
        self.token_is_valid(token, TokenPurpose::ChangeEmail).await
    }

    /// Switches the account to the address the link was sent to (which it
    /// proves the user reads), and tells the old address.
    pub async fn confirm_email_change(
        &self,
        token: &str,
        ctx: &RequestContext,
    ) -> Result<User, Error> {
        let token = crate::token::SecretToken::parse(token).ok_or(Error::InvalidToken)?;
        let now = self.clock.now();
        let grant = self
            .store
            .redeem_email_token(&token.hash(), TokenPurpose::ChangeEmail, now)
            .await?
            .ok_or(Error::InvalidToken)?;
        let (Some(new_email), Some(before)) =
            (grant.new_email, self.store.user_by_id(grant.user_id).await?)
        else {
            return Err(Error::InvalidToken);
        };
        self.store
            .change_email(before.id, &new_email, &new_email.to_lowercase(), now)
            .await?;
        // Links to confirm the old address have nothing left to confirm.
        self.store
            .void_email_tokens(before.id, TokenPurpose::Confirm, now)
            .await?;
        self.record(
            NewAuditEvent::new(AuditKind::EmailChanged, now, ctx)
                .target(before.id)
                .detail("old_email", before.email.as_str())
                .detail("new_email", new_email.as_str()),
        )
        .await;
        self.notifier.send(Notice::EmailChanged {
            to: before.email.clone(),
            username: before.username.clone(),
            new_email,
        });
        self.store
            .user_by_id(before.id)
            .await?
            .ok_or(Error::InvalidToken)
    }
}
