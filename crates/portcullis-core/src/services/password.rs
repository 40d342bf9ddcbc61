//! Changing the password while logged in.

use super::EmailFlows;
use crate::audit::{AuditKind, RequestContext};
use crate::domain::api_token::TokenKind;
use crate::domain::fields::FieldErrors;
use crate::domain::password;
use crate::domain::session::Session;
use crate::domain::user::User;
use crate::error::Error;
use crate::notify::Notice;
use crate::services::tokens::Tokens;
use crate::store::TokenPurpose;

/// The form of a password change.
pub struct PasswordChange<'a> {
    /// The password now, as typed.
    pub current_password: &'a str,
    /// The new password.
    pub new_password: &'a str,
    /// The new password again.
    pub confirm_password: &'a str,
}

impl EmailFlows<'_> {
    /// Replaces the password of the logged-in `user`. The current password
    /// must be right (attempts count against the per-account login limit,
    /// so a stolen session cannot guess it), the new one must differ from
    /// it, and the policy applies. In one transaction: the new hash, the
    /// account's reset links voided, and every other session of the account
    /// ended (the one in `session` stays). A notice goes to the address.
    pub async fn change_password(
        &self,
        user: &User,
        session: &Session,
        change: PasswordChange<'_>,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        let d = self.d;
        d.limit(
            d.security.rate_limits.login_per_account,
            &format!("change_password:account:{}", user.id),
            "change_password",
            ctx,
        )
        .await?;
        let new = d.new_password(
            user,
            change.new_password,
            change.confirm_password,
            "new_password",
            "confirm_password",
        );
        if !d.password_matches(user, change.current_password).await? {
            let mut errors =
                FieldErrors::single("current_password", "Current password is incorrect.");
            if let Err(more) = &new {
                for e in more.iter() {
                    errors.add(e.field, e.message.clone());
                }
            }
            return Err(Error::Validation(errors));
        }
        let new = new?;
        if new.expose() == password::normalise(change.current_password) {
            return Err(FieldErrors::single(
                "new_password",
                "The new password must be different from the current one.",
            )
            .into());
        }
        let hash = d.hasher.hash(new.expose()).await?;
        let now = d.clock.now();
        let tx = d.store.begin().await?;
        tx.set_password_hash(user.id, &hash, now).await?;
        tx.void_email_tokens(user.id, TokenPurpose::Reset, now)
            .await?;
        let ended = tx.delete_other_sessions(user.id, session.id).await?;
        // Tokens got with the old password go; named tokens stay (the
        // owner is offered to revoke those too).
        let tokens = tx
            .revoke_api_tokens_of(user.id, &[TokenKind::Login], now)
            .await?;
        tx.commit().await?;
        d.record(
            d.event(AuditKind::PasswordChanged, ctx)
                .by(user.id)
                .detail("sessions_ended", ended)
                .detail("tokens_revoked", tokens),
        )
        .await;
        Tokens { d }
            .revoked_many(user.id, tokens, "password_changed", None, ctx)
            .await;
        d.tell(user, |to| Notice::PasswordChanged {
            to,
            username: user.username.clone(),
        })
        .await;
        Ok(())
    }
}
