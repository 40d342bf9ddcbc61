//! Operator and administrator use cases: creating administrators, finding
//! and listing accounts, unlocking, (de)activating, revoking sessions, and
//! reading the audit log.

use crate::audit::{AuditEvent, AuditFilter, AuditKind, NewAuditEvent, RequestContext};
use crate::domain::email::Email;
use crate::domain::fields::FieldErrors;
use crate::domain::password::Password;
use crate::domain::query::UserQuery;
use crate::domain::user::{ADMIN_ROLE, Role, User, UserId};
use crate::domain::username::Username;
use crate::error::Error;
use crate::services::auth::{AuthService, Registration};
use crate::services::roles::with_actor;
use crate::store::ProfileUpdate;

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

    /// The account together with the names of its roles.
    pub async fn with_roles(&self, user: User) -> Result<UserWithRoles, Error> {
        let roles = self.store.roles_of(user.id).await?;
        Ok(UserWithRoles {
            user,
            roles: roles.into_iter().map(|r| r.name).collect(),
        })
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
            listed.push(self.with_roles(user).await?);
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
        if !active {
            self.guard_last_admin(user, "the last active administrator cannot be deactivated")
                .await?;
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

/// Changes an administrator makes to an account's profile.
#[derive(Debug, Clone, Default)]
pub struct UserEdit {
    pub username: String,
    pub email: String,
    pub name: Option<String>,
}

impl AuthService {
    /// A page of users matching `query`, with their roles, and the total.
    pub async fn search_users(
        &self,
        query: &UserQuery,
    ) -> Result<(Vec<UserWithRoles>, i64), Error> {
        let mut query = query.clone();
        query.limit = query.limit.clamp(1, MAX_PAGE);
        query.offset = query.offset.max(0);
        query.now = Some(self.clock.now());
        let users = self.store.search_users(&query).await?;
        let total = self.store.count_search_users(&query).await?;
        let mut listed = Vec::with_capacity(users.len());
        for user in users {
            listed.push(self.with_roles(user).await?);
        }
        Ok((listed, total))
    }

    /// Creates an account on an administrator's behalf, with roles, active,
    /// and confirmed if the administrator says so. The password policy applies.
    pub async fn admin_create_user(
        &self,
        actor: Option<UserId>,
        registration: Registration,
        roles: &[String],
        confirmed: bool,
        ctx: &RequestContext,
    ) -> Result<User, Error> {
        for role in roles {
            self.role(role).await.map_err(|_| {
                Error::Validation(FieldErrors::single(
                    "roles",
                    format!("There is no role {role:?}."),
                ))
            })?;
        }
        let user = self.create_account(&registration, confirmed).await?;
        for role in roles {
            self.store.grant_role(user.id, role).await?;
        }
        self.record(with_actor(
            NewAuditEvent::new(AuditKind::UserCreated, self.clock.now(), ctx)
                .target(user.id)
                .detail("roles", roles.to_vec()),
            actor,
        ))
        .await;
        Ok(user)
    }

    /// Changes an account's username, email and display name.
    pub async fn update_user(
        &self,
        actor: Option<UserId>,
        target: &User,
        edit: &UserEdit,
        ctx: &RequestContext,
    ) -> Result<User, Error> {
        let mut errors = FieldErrors::new();
        let username = errors.take("username", Username::parse(&edit.username));
        let email = errors.take("email", Email::parse(&edit.email));
        let name = edit
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        if name
            .as_ref()
            .is_some_and(|n| n.chars().count() > 100 || n.chars().any(char::is_control))
        {
            errors.add(
                "name",
                "A name is at most 100 characters, without control characters.",
            );
        }
        let (Some(username), Some(email)) = (username, email) else {
            return Err(Error::Validation(errors));
        };
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }
        let update = ProfileUpdate {
            username: username.as_str().to_owned(),
            username_key: username.key(),
            email: email.as_str().to_owned(),
            email_key: email.key(),
            name,
        };
        self.store
            .update_user_profile(target.id, &update, self.clock.now())
            .await?;
        self.record(with_actor(
            NewAuditEvent::new(AuditKind::UserUpdated, self.clock.now(), ctx)
                .target(target.id)
                .detail("username", update.username.as_str())
                .detail("email", update.email.as_str()),
            actor,
        ))
        .await;
        self.user(target.id).await
    }

    /// Deletes an account. Nobody deletes themselves, and the last active
    /// administrator stays.
    pub async fn delete_user(
        &self,
        actor: Option<UserId>,
        target: &User,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        if actor == Some(target.id) {
            return Err(Error::Forbidden("you cannot delete your own account here"));
        }
        self.guard_last_admin(target, "the last active administrator cannot be deleted")
            .await?;
        self.store.delete_user(target.id).await?;
        self.record(with_actor(
            NewAuditEvent::new(AuditKind::UserDeleted, self.clock.now(), ctx)
                .target(target.id)
                .detail("username", target.username.as_str()),
            actor,
        ))
        .await;
        Ok(())
    }

    /// Sets a new password for an account (operator action): the policy
    /// applies, every session of the account ends, and any lock is lifted.
    pub async fn set_password(
        &self,
        actor: Option<UserId>,
        target: &User,
        password: &str,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        let pw = Password::parse(password)
            .map_err(|e| Error::Validation(FieldErrors::single("password", e.to_string())))?;
        let local = target
            .email
            .rsplit_once('@')
            .map_or("", |(l, _)| l)
            .to_owned();
        self.security
            .password
            .check(&pw, &target.username, &local, "password")?;
        let hash = self.hasher.hash(pw.expose()).await?;
        self.store
            .set_password_hash(target.id, &hash, self.clock.now())
            .await?;
        self.store.delete_sessions_of(target.id).await?;
        self.store.unlock_user(target.id).await?;
        self.record(with_actor(
            NewAuditEvent::new(AuditKind::PasswordSet, self.clock.now(), ctx).target(target.id),
            actor,
        ))
        .await;
        Ok(())
    }
}

/// The one-click actions on an account, as the admin pages and API name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountAction {
    Activate,
    Deactivate,
    Unlock,
    RevokeSessions,
}

impl AccountAction {
    /// Parses `activate`, `deactivate`, `unlock`, `revoke-sessions`.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "activate" => Self::Activate,
            "deactivate" => Self::Deactivate,
            "unlock" => Self::Unlock,
            "revoke-sessions" => Self::RevokeSessions,
            _ => return None,
        })
    }
}

impl AuthService {
    /// Applies `action` to `target` on `actor`'s behalf; returns how many
    /// sessions it ended (for `RevokeSessions`; 0 otherwise).
    pub async fn apply(
        &self,
        action: AccountAction,
        target: &User,
        actor: Option<UserId>,
        ctx: &RequestContext,
    ) -> Result<u64, Error> {
        match action {
            AccountAction::Activate => self.set_active(target, true, actor, ctx).await.map(|()| 0),
            AccountAction::Deactivate => {
                self.set_active(target, false, actor, ctx).await.map(|()| 0)
            }
            AccountAction::Unlock => self.unlock(target, actor, ctx).await.map(|()| 0),
            AccountAction::RevokeSessions => self.revoke_all_sessions(target, actor, ctx).await,
        }
    }
}
