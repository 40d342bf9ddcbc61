//! Creating accounts on an administrator's behalf: people (with a
//! password the policy accepts), administrators, and service accounts.

use super::super::plumbing::acted_by;
use super::super::roles::role_named;
use super::Accounts;
use crate::access::{Authorized, UsersManage};
use crate::audit::{AuditKind, RequestContext};
use crate::domain::fields::FieldErrors;
use crate::domain::user::{ADMIN_ROLE, AccountKind, User};
use crate::domain::username::Username;
use crate::error::Error;
use crate::services::register::Registration;
use crate::store::NewUser;

impl Accounts<'_> {
    /// Creates an account with `roles`, active, and confirmed if the
    /// administrator vouches for the address. The password policy applies;
    /// each role must be one the actor may assign.
    pub async fn create(
        &self,
        by: &Authorized<UsersManage>,
        registration: Registration,
        roles: &[String],
        confirmed: bool,
        ctx: &RequestContext,
    ) -> Result<User, Error> {
        self.create_with(
            by,
            registration,
            roles,
            confirmed,
            AuditKind::UserCreated,
            ctx,
        )
        .await
    }

    /// Creates an active, confirmed account holding the `admin` role (only
    /// a full administrator, or the command line, may).
    pub async fn create_admin(
        &self,
        by: &Authorized<UsersManage>,
        registration: Registration,
        ctx: &RequestContext,
    ) -> Result<User, Error> {
        self.create_with(
            by,
            registration,
            &[ADMIN_ROLE.to_owned()],
            true,
            AuditKind::AdminCreated,
            ctx,
        )
        .await
    }

    /// Creates a service account `name` with `roles`: active, with no
    /// address and no password, so it can never log in; it acts through
    /// tokens an administrator mints for it (see
    /// [`crate::services::tokens::Tokens::create_service`]).
    pub async fn create_service(
        &self,
        by: &Authorized<UsersManage>,
        name: &str,
        roles: &[String],
        ctx: &RequestContext,
    ) -> Result<User, Error> {
        let d = self.d;
        let username =
            Username::parse(name).map_err(|e| FieldErrors::single("username", e.to_string()))?;
        self.check_assignable(by, roles).await?;
        let now = d.clock.now();
        let new = NewUser {
            username: username.as_str().to_owned(),
            username_key: username.key(),
            email: None,
            email_key: None,
            kind: AccountKind::Service,
            password_hash: None,
            is_active: true,
            confirmed_at: None,
            created_at: now,
        };
        let user = d.insert_account(Some(by.actor()), &new, roles).await?;
        d.record(acted_by(
            d.event(AuditKind::UserCreated, ctx)
                .target(user.id)
                .detail("kind", AccountKind::Service.as_str())
                .detail("roles", roles.to_vec()),
            by.actor(),
        ))
        .await;
        Ok(user)
    }

    /// Refuses unless every one of `roles` exists and the actor may assign
    /// it (checked again under the lock when the account is written).
    async fn check_assignable(
        &self,
        by: &Authorized<UsersManage>,
        roles: &[String],
    ) -> Result<(), Error> {
        for role in roles {
            let info = role_named(self.d.store.as_ref(), role)
                .await?
                .ok_or_else(|| {
                    Error::Validation(FieldErrors::single(
                        "roles",
                        format!("There is no role {role:?}."),
                    ))
                })?;
            if !by.actor().may_assign(&info) {
                return Err(Error::Forbidden(
                    "you may give only roles whose permissions you hold",
                ));
            }
        }
        Ok(())
    }

    async fn create_with(
        &self,
        by: &Authorized<UsersManage>,
        registration: Registration,
        roles: &[String],
        confirmed: bool,
        kind: AuditKind,
        ctx: &RequestContext,
    ) -> Result<User, Error> {
        let d = self.d;
        self.check_assignable(by, roles).await?;
        // The roles are checked again under the lock, with the account.
        let user = d
            .create_account_as(by.actor(), &registration, confirmed, roles)
            .await?;
        d.record(acted_by(
            d.event(kind, ctx)
                .target(user.id)
                .detail("roles", roles.to_vec()),
            by.actor(),
        ))
        .await;
        Ok(user)
    }
}
