//! The forgotten password: asking for a link, and setting a new password
//! with it.

use crate::audit::{AuditKind, NewAuditEvent, RequestContext};
use crate::domain::user::UserId;
use crate::error::Error;
use crate::notify::Notice;
use crate::services::auth::AuthService;
use crate::store::TokenPurpose;
use crate::token::SecretToken;

impl AuthService {
    /// Sends a reset link to `email` if an active account has that address.
    /// The answer is the same either way (only a malformed address or a
    /// rate limit is reported), and so is the work: the unknown address
    /// costs a token and a statement too. Asking again voids older links.
    pub async fn request_password_reset(
        &self,
        email: &str,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        let found = self
            .account_for_email(email, "forgot_password", ctx)
            .await?;
        let now = self.clock.now();
        let Some(user) = found else {
            // Mirror the known-account work: mint a token and run a void.
            let _ = SecretToken::generate().hash();
            self.store
                .void_email_tokens(UserId(0), TokenPurpose::Reset, now)
                .await?;
            self.record(
                NewAuditEvent::new(AuditKind::PasswordResetRequested, now, ctx)
                    .detail("account", "unknown"),
            )
            .await;
            return Ok(());
        };
        let token = self.issue_token(user.id, TokenPurpose::Reset, None).await?;
        self.record(
            NewAuditEvent::new(AuditKind::PasswordResetRequested, now, ctx).target(user.id),
        )
        .await;
        self.notifier.send(Notice::PasswordReset {
            to: user.email.clone(),
            username: user.username.clone(),
            token,
        });
        Ok(())
    }

    /// Whether `token` is a live reset link (for showing the form; the
    /// token is not used up).
    pub async fn reset_token_is_valid(&self, token: &str) -> Result<bool, Error> {
        self.token_is_valid(token, TokenPurpose::Reset).await
    }

    /// Sets a new password with a reset link. The policy is checked before
    /// the token is spent, so a refused password leaves the link usable;
    /// the token is then used up in one atomic step (of two concurrent
    /// attempts one wins, the other gets [`Error::InvalidToken`]). On
    /// success every session of the account ends, any lockout is lifted,
    /// other reset links are voided, and a notice goes to the address. The
    /// user is not logged in.
    pub async fn reset_password(
        &self,
        token: &str,
        password: &str,
        password_confirm: &str,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        let token = SecretToken::parse(token).ok_or(Error::InvalidToken)?;
        let hash = token.hash();
        let grant = self
            .store
            .peek_email_token(&hash, TokenPurpose::Reset, self.clock.now())
            .await?
            .ok_or(Error::InvalidToken)?;
        let user = self
            .store
            .user_by_id(grant.user_id)
            .await?
            .ok_or(Error::InvalidToken)?;
        let new = self.new_password(
            &user,
            password,
            password_confirm,
            "password",
            "password_confirm",
        )?;
        let password_hash = self.hasher.hash(new.expose()).await?;
        let now = self.clock.now();
        if self
            .store
            .redeem_email_token(&hash, TokenPurpose::Reset, now)
            .await?
            .is_none()
        {
            return Err(Error::InvalidToken);
        }
        self.store
            .set_password_hash(user.id, &password_hash, now)
            .await?;
        self.store
            .void_email_tokens(user.id, TokenPurpose::Reset, now)
            .await?;
        let ended = self.store.delete_sessions_of(user.id).await?;
        self.store.unlock_user(user.id).await?;
        self.record(
            NewAuditEvent::new(AuditKind::PasswordResetCompleted, now, ctx)
                .target(user.id)
                .detail("sessions_ended", ended),
        )
        .await;
        self.notifier.send(Notice::PasswordResetDone {
            to: user.email.clone(),
            username: user.username.clone(),
        });
        Ok(())
    }
}
