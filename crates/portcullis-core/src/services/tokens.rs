//! What the email flows share: issuing single-use tokens, finding an account
//! by address without telling whether it exists, the email rate limits, and
//! checking passwords typed into account forms.

use crate::audit::RequestContext;
use crate::domain::email::Email;
use crate::domain::fields::FieldErrors;
use crate::domain::password::{self, Password};
use crate::domain::user::{User, UserId};
use crate::error::Error;
use crate::services::auth::AuthService;
use crate::store::{NewEmailToken, TokenPurpose};
use crate::token::SecretToken;

impl AuthService {
    /// Mints a token for `purpose`, voiding the user's older ones of the
    /// same purpose, and stores only its hash.
    pub(crate) async fn issue_token(
        &self,
        user: UserId,
        purpose: TokenPurpose,
        new_email: Option<String>,
    ) -> Result<SecretToken, Error> {
        let now = self.clock.now();
        let ttl = match purpose {
            TokenPurpose::Reset => self.security.email.reset_ttl,
            TokenPurpose::Confirm | TokenPurpose::ChangeEmail => self.security.email.confirm_ttl,
        };
        let token = SecretToken::generate();
        self.store
            .issue_email_token(&NewEmailToken {
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
            .filter(|u| u.email.to_lowercase() == key && u.is_active))
    }

    /// Whether `presented` is the user's current password. One hash
    /// verification whether or not the account has a password.
    pub(crate) async fn password_matches(
        &self,
        user: &User,
        presented: &str,
    ) -> Result<bool, Error> {
        let presented = password::normalise(presented);
        let stored = self
            .store
            .credential_by_login(&user.username.to_ascii_lowercase())
            .await?
            .filter(|c| c.user.id == user.id)
            .and_then(|c| c.password_hash);
        match stored {
            Some(stored) => Ok(self.hasher.verify(&presented, &stored).await?.matches),
            None => {
                self.hasher.verify_dummy(&presented).await?;
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
            let local = user.email.rsplit_once('@').map_or("", |(l, _)| l);
            if let Err(policy) = self
                .security
                .password
                .check(pw, &user.username, local, field)
            {
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
}
