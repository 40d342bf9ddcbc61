//! Changing the password while logged in.

use crate::audit::{AuditKind, NewAuditEvent, RequestContext};
use crate::domain::fields::FieldErrors;
use crate::domain::session::Session;
use crate::domain::user::User;
use crate::error::Error;
use crate::notify::Notice;
use crate::services::auth::AuthService;
use crate::store::TokenPurpose;

/// The form of a password change.
pub struct PasswordChange<'a> {
    pub current_password: &'a str,
    pub new_password: &'a str,
    pub confirm_password: &'a str,
}

impl AuthService {
    /// Replaces the password of the logged-in `user`. The current password
    /// must be right (attempts count against the per-account login limit,
    /// so a stolen session cannot guess it), and the policy applies. Every
    /// other session of the account ends, the one in `session` stays;
    /// pending reset links are voided and a notice goes to the address.
    pub async fn change_password(
        &self,
        user: &User,
        session: &Session,
        change: PasswordChange<'_>,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        self.limit(
            self.security.rate_limits.login_per_account,
            &format!("change_password:account:{}", user.id),
            "change_password",
            ctx,
        )
        .await?;
        let new = self.new_password(
            user,
            change.new_password,
            change.confirm_password,
            "new_password",
            "confirm_password",
        );
        if !self.password_matches(user, change.current_password).await? {
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
        let hash = self.hasher.hash(new.expose()).await?;
        let now = self.clock.now();
        self.store.set_password_hash(user.id, &hash, now).await?;
        self.store
            .void_email_tokens(user.id, TokenPurpose::Reset, now)
            .await?;
        let ended = self
            .store
            .delete_other_sessions(user.id, session.id)
            .await?;
        self.record(
            NewAuditEvent::new(AuditKind::PasswordChanged, now, ctx)
                .by(user.id)
                .detail("sessions_ended", ended),
        )
        .await;
        self.notifier.send(Notice::PasswordChanged {
            to: user.email.clone(),
            username: user.username.clone(),
        });
        Ok(())
    }
}
