//! Operator and administrator use cases: creating administrators, finding
//! and listing accounts, unlocking, (de)activating, revoking sessions, and
//! reading the audit log.

use crate::audit::{AuditEvent, AuditFilter, AuditKind, NewAuditEvent, RequestContext};
use crate::domain::user::{ADMIN_ROLE, Role, User, UserId};
use crate::error::Error;
use crate::services::auth::{AuthService, Registration};

/// Largest page of users one call returns.
pub const MAX_PAGE: i64 = 500;

/// A user with their roles, for listings.
#[derive(Debug, Clone, serde::Serialize)]
pub struct UserWithRoles {
    #[serde(flatten)]
    pub user: User,
    pub roles: Vec<String>,
}

impl AuthService {
    /// Creates an active, confirmed account holding the `admin` role. The
    /// operator vouches for the address, so no confirmation is needed; the
    /// password policy still applies.
    pub async fn create_admin(
        &self,
        registration: Registration,
        ctx: &RequestContext,
    ) -> Result<User, Error> {
        let user = self.create_account(&registration, true).await?;
        self.store.grant_role(user.id, ADMIN_ROLE).await?;
        self.record(
            NewAuditEvent::new(AuditKind::AdminCreated, self.clock.now(), ctx).target(user.id),
        )
        .await;
        Ok(user)
    }

    /// The roles of a user.
    pub async fn roles_of(&self, user: &User) -> Result<Vec<Role>, Error> {
        Ok(self.store.roles_of(user.id).await?)
    }

    /// Whether the user holds the built-in administrator role.
    pub async fn is_admin(&self, user: &User) -> Result<bool, Error> {
        Ok(self
            .roles_of(user)
            .await?
            .iter()
            .any(|r| r.name == ADMIN_ROLE))
    }

    /// The account whose username or email is `login` (any case).
    pub async fn find_user(&self, login: &str) -> Result<User, Error> {
        let key = login.trim().to_lowercase();
        match self.store.credential_by_login(&key).await? {
            Some(credential) => Ok(credential.user),
            None => Err(Error::NotFound),
        }
    }

    /// The account with id `id`.
    pub async fn user(&self, id: UserId) -> Result<User, Error> {
        self.store.user_by_id(id).await?.ok_or(Error::NotFound)
    }

    /// A page of users with their roles, ordered by id, and the total count.
    pub async fn list_users(
        &self,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<UserWithRoles>, i64), Error> {
        let limit = limit.clamp(1, MAX_PAGE);
        let users = self.store.list_users(offset.max(0), limit).await?;
        let total = self.store.count_users().await?;
        let mut listed = Vec::with_capacity(users.len());
        for user in users {
            let roles = self.store.roles_of(user.id).await?;
            listed.push(UserWithRoles {
                user,
                roles: roles.into_iter().map(|r| r.name).collect(),
            });
        }
        Ok((listed, total))
    }

    /// Lifts a lockout before it expires.
    pub async fn unlock(
        &self,
        user: &User,
        actor: Option<UserId>,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        self.store.unlock_user(user.id).await?;
        self.record(with_actor(
            NewAuditEvent::new(AuditKind::Unlocked, self.clock.now(), ctx).target(user.id),
            actor,
        ))
        .await;
        Ok(())
    }

    /// Activates or deactivates an account. Deactivation ends every session
    /// of the account at once, on every instance.
    pub async fn set_active(
        &self,
        user: &User,
        active: bool,
        actor: Option<UserId>,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        if actor == Some(user.id) && !active {
            return Err(Error::Forbidden("you cannot deactivate your own account"));
        }
        let now = self.clock.now();
        self.store.set_active(user.id, active, now).await?;
        let mut event = NewAuditEvent::new(
            if active {
                AuditKind::UserActivated
            } else {
                AuditKind::UserDeactivated
            },
            now,
            ctx,
        )
        .target(user.id);
        if !active {
            let ended = self.store.delete_sessions_of(user.id).await?;
            event = event.detail("sessions_ended", ended);
        }
        self.record(with_actor(event, actor)).await;
        Ok(())
    }

    /// Ends every session of an account; returns how many.
    pub async fn revoke_all_sessions(
        &self,
        user: &User,
        actor: Option<UserId>,
        ctx: &RequestContext,
    ) -> Result<u64, Error> {
        let count = self.store.delete_sessions_of(user.id).await?;
        self.record(with_actor(
            NewAuditEvent::new(AuditKind::SessionRevoked, self.clock.now(), ctx)
                .target(user.id)
                .detail("all", count),
            actor,
        ))
        .await;
        Ok(count)
    }

    /// Audit events matching `filter`, newest first, and how many match.
    pub async fn audit_log(&self, filter: &AuditFilter) -> Result<(Vec<AuditEvent>, i64), Error> {
        let events = self.store.list_audit(filter).await?;
        let total = self.store.count_audit(filter).await?;
        Ok((events, total))
    }
}

fn with_actor(event: NewAuditEvent, actor: Option<UserId>) -> NewAuditEvent {
    match actor {
        Some(actor) => event.actor(actor),
        None => event,
    }
}
