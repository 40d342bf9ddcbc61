//! Signing up: parsing the form, the password policy, creating the account
//! with its default role, and mailing a confirmation link.

use super::Deps;
use crate::access::Actor;
use crate::audit::{AuditKind, RequestContext};
use crate::domain::email::Email;
use crate::domain::fields::FieldErrors;
use crate::domain::password::{self, Password};
use crate::domain::role::USERS_MANAGE;
use crate::domain::user::{AccountKind, User};
use crate::domain::username::Username;
use crate::error::Error;
use crate::notify::Notice;
use crate::store::{NewUser, StoreError, TokenPurpose, UniqueField};

/// A validated registration.
#[derive(Debug, Clone)]
pub struct Registration {
    /// The chosen username.
    pub username: Username,
    /// The address to confirm.
    pub email: Email,
    /// The chosen password (the policy is applied when it is used).
    pub password: Password,
}

impl Registration {
    /// Parses the registration fields, collecting one message per bad field.
    /// `password_confirm` must equal `password`. The password policy (common
    /// passwords, personal data, configured minimum) is applied by the
    /// service, which knows the configuration.
    ///
    /// ```
    /// use portcullis_core::Registration;
    ///
    /// let errors = Registration::parse("al", "x", "longenough", "different").unwrap_err();
    /// assert!(errors.get("username").is_some());
    /// assert!(errors.get("email").is_some());
    /// assert_eq!(errors.get("password_confirm"), Some("Passwords do not match."));
    /// ```
    pub fn parse(
        username: &str,
        email: &str,
        password: &str,
        password_confirm: &str,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let username = errors.take("username", Username::parse(username));
        let email = errors.take("email", Email::parse(email));
        let password = errors.take("password", Password::parse_with_min(password, 1));
        if let Some(pw) = &password
            && password::normalise(password_confirm) != pw.expose()
        {
            errors.add("password_confirm", "Passwords do not match.");
        }
        match (username, email, password) {
            (Some(username), Some(email), Some(password)) if errors.is_empty() => Ok(Self {
                username,
                email,
                password,
            }),
            _ => Err(errors),
        }
    }
}

/// How a registration ended, when it did not fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registered {
    /// The account exists now and a confirmation link is on its way.
    Created(Box<User>),
    /// The address belongs to an account already and the policy does not
    /// reveal it: its owner has been told by email. Answer exactly as for
    /// [`Registered::Created`], without the account.
    AddressTaken,
}

/// Signing up; see [`crate::AuthService::registration`].
#[derive(Clone, Copy)]
pub struct Registrations<'a> {
    pub(crate) d: &'a Deps,
}

impl Registrations<'_> {
    /// Whether self-registration is open.
    pub fn is_open(&self) -> bool {
        self.d.security.registration.enabled
    }

    /// The password policy new accounts are held to.
    pub fn password_policy(&self) -> crate::policy::PasswordPolicy {
        self.d.security.password
    }

    /// Parses registration fields and applies the password policy, so that
    /// every problem is reported at once.
    pub fn parse(
        &self,
        username: &str,
        email: &str,
        password: &str,
        password_confirm: &str,
    ) -> Result<Registration, FieldErrors> {
        let registration = Registration::parse(username, email, password, password_confirm);
        let mut errors = match &registration {
            Ok(_) => FieldErrors::new(),
            Err(errors) => errors.clone(),
        };
        if errors.get("password").is_none()
            && let Ok(pw) = Password::parse_with_min(password, 1)
        {
            let name = Username::parse(username)
                .map(|u| u.as_str().to_owned())
                .unwrap_or_default();
            let local = Email::parse(email)
                .map(|e| e.local_part().to_owned())
                .unwrap_or_default();
            if let Err(policy) = self
                .d
                .security
                .password
                .check(&pw, &name, &local, "password")
            {
                for e in policy.iter() {
                    errors.add(e.field, e.message.clone());
                }
            }
        }
        match registration {
            Ok(registration) if errors.is_empty() => Ok(registration),
            _ => Err(errors),
        }
    }

    /// Creates an account. Uniqueness of username and email (without regard
    /// to case) is enforced by the database: two concurrent registrations of
    /// "Alice" and "alice" cannot both succeed. Rate-limited per client IP;
    /// the password policy applies; the default role comes with the account
    /// in the same transaction. A confirmation link is mailed to the address.
    /// A taken address is [`Error::Taken`] when the policy reveals it, and
    /// [`Registered::AddressTaken`] (with the same hashing work) otherwise.
    pub async fn register(
        &self,
        registration: Registration,
        ctx: &RequestContext,
    ) -> Result<Registered, Error> {
        let d = self.d;
        if !self.is_open() {
            return Err(Error::NotFound);
        }
        if let Some(ip) = &ctx.ip {
            d.limit(
                d.security.rate_limits.register_per_ip,
                &format!("register:ip:{}", d.security.rate_limits.ip_bucket(ip)),
                "register",
                ctx,
            )
            .await?;
        }
        let roles: Vec<String> = d.default_role.iter().cloned().collect();
        let user = match d.create_account(None, &registration, false, &roles).await {
            Err(Error::Taken(UniqueField::Email)) if !d.security.registration.reveal_taken => {
                return self.address_taken(&registration, ctx).await;
            }
            other => other?,
        };
        d.record(d.event(AuditKind::Registered, ctx).by(user.id))
            .await;
        // The account exists now; a link that could not be issued can be
        // asked for again, so it must not turn the registration into an error.
        if let Err(err) = d.send_confirmation(&user, ctx).await {
            tracing::error!(user_id = %user.id, error = %err, "could not issue a confirmation link");
        }
        Ok(Registered::Created(Box::new(user)))
    }

    /// Tells the owner of a taken address that someone tried to register it.
    async fn address_taken(
        &self,
        registration: &Registration,
        ctx: &RequestContext,
    ) -> Result<Registered, Error> {
        let d = self.d;
        if let Some(owner) = d
            .store
            .credential_by_login(&registration.email.key())
            .await?
            .map(|c| c.user)
        {
            d.record(
                d.event(AuditKind::RegistrationAttempted, ctx)
                    .target(owner.id)
                    .detail("username", registration.username.as_str()),
            )
            .await;
            d.tell(&owner, |to| Notice::AddressInUse {
                to,
                username: owner.username.clone(),
            })
            .await;
        }
        Ok(Registered::AddressTaken)
    }
}

impl Deps {
    /// [`Deps::create_account`] on an administrator's behalf: under the
    /// administration lock, with each role checked against the actor as the
    /// database has it then.
    pub(crate) async fn create_account_as(
        &self,
        actor: &Actor,
        registration: &Registration,
        confirmed: bool,
        roles: &[String],
    ) -> Result<User, Error> {
        self.create_account(Some(actor), registration, confirmed, roles)
            .await
    }

    /// Applies the password policy, hashes, and inserts the account with
    /// `roles` in one transaction.
    pub(crate) async fn create_account(
        &self,
        actor: Option<&Actor>,
        registration: &Registration,
        confirmed: bool,
        roles: &[String],
    ) -> Result<User, Error> {
        self.security.password.check(
            &registration.password,
            registration.username.as_str(),
            registration.email.local_part(),
            "password",
        )?;
        // Hash before touching the database so a taken name costs the same.
        let hash = self.hasher.hash(registration.password.expose()).await?;
        let now = self.clock.now();
        let new = NewUser {
            username: registration.username.as_str().to_owned(),
            username_key: registration.username.key(),
            email: Some(registration.email.as_str().to_owned()),
            email_key: Some(registration.email.key()),
            kind: AccountKind::Human,
            password_hash: Some(hash),
            is_active: true,
            confirmed_at: confirmed.then_some(now),
            created_at: now,
        };
        self.insert_account(actor, &new, roles).await
    }

    /// Inserts `new` with `roles` in one transaction; on an
    /// administrator's behalf, under the administration lock with each role
    /// checked against the actor as the database has it then.
    pub(crate) async fn insert_account(
        &self,
        actor: Option<&Actor>,
        new: &NewUser,
        roles: &[String],
    ) -> Result<User, Error> {
        let tx = match actor {
            Some(actor) => {
                let (tx, fresh) = self.begin_admin(actor, USERS_MANAGE).await?;
                for role in roles {
                    if let Some(info) = super::roles::role_named(tx.as_ref(), role).await?
                        && !fresh.may_assign(&info)
                    {
                        return Err(Error::Forbidden(
                            "you may give only roles whose permissions you hold",
                        ));
                    }
                }
                tx
            }
            None => self.store.begin().await?,
        };
        let user = tx.create_user(new).await?;
        for role in roles {
            tx.grant_role(user.id, role).await.map_err(|e| match e {
                StoreError::NotFound => Error::Validation(FieldErrors::single(
                    "roles",
                    format!("There is no role {role:?}."),
                )),
                other => other.into(),
            })?;
        }
        tx.commit().await?;
        Ok(user)
    }

    /// Mails a confirmation link to `user`, voiding older ones.
    pub(crate) async fn send_confirmation(
        &self,
        user: &User,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        let event = self.event(AuditKind::ConfirmationSent, ctx).target(user.id);
        self.issue_link(Some(user), TokenPurpose::Confirm, None, event, |token| {
            Some(Notice::ConfirmEmail {
                to: user.mailbox()?.to_owned(),
                username: user.username.clone(),
                token,
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_reports_every_bad_field_at_once() {
        let errors = Registration::parse("", "nope", "", "").unwrap_err();
        assert_eq!(errors.get("username"), Some("Username is required."));
        assert_eq!(errors.get("email"), Some("Enter a valid email address."));
        assert_eq!(errors.get("password"), Some("Password is required."));
        assert_eq!(errors.get("password_confirm"), None);
    }

    #[test]
    fn registration_requires_a_matching_confirmation() {
        assert!(
            Registration::parse("alice", "a@example.com", "s3cret-pass", "s3cret-pass").is_ok()
        );
        let errors = Registration::parse("alice", "a@example.com", "s3cret-pass", "").unwrap_err();
        assert_eq!(
            errors.get("password_confirm"),
            Some("Passwords do not match.")
        );
        let too_long = "x".repeat(129);
        let errors =
            Registration::parse("alice", "a@example.com", &too_long, &too_long).unwrap_err();
        assert_eq!(
            errors.get("password"),
            Some("Password must be at most 128 characters long.")
        );
    }
}
