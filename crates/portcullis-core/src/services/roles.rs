//! Roles, permissions and membership, with the safety rails: nobody changes
//! their own roles, the last active administrator keeps the role, and the
//! built-in `admin` role can neither be deleted nor lose its permissions.

use crate::audit::{AuditKind, NewAuditEvent, RequestContext};
use crate::domain::role::{ADMIN_PERMISSIONS, Permission, RoleInfo, RoleName};
use crate::domain::user::{ADMIN_ROLE, User, UserId};
use crate::error::Error;
use crate::services::auth::AuthService;
use crate::store::StoreError;

/// A role as declared in the configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleSpec {
    pub name: String,
    pub description: String,
    pub permissions: Vec<String>,
}

fn role_name(name: &str) -> Result<RoleName, Error> {
    RoleName::parse(name)
        .map_err(|e| Error::Validation(crate::FieldErrors::single("name", e.to_string())))
}

fn permission_set(permissions: &[String]) -> Result<Vec<String>, Error> {
    let mut parsed = Vec::with_capacity(permissions.len());
    for p in permissions {
        let p = Permission::parse(p).map_err(|e| {
            Error::Validation(crate::FieldErrors::single(
                "permissions",
                format!("{p:?}: {e}"),
            ))
        })?;
        parsed.push(p.as_str().to_owned());
    }
    parsed.sort();
    parsed.dedup();
    Ok(parsed)
}

impl AuthService {
    /// The union of the permissions of the user's roles.
    pub async fn permissions_of(&self, user: &User) -> Result<Vec<String>, Error> {
        Ok(self.store.permissions_of(user.id).await?)
    }

    /// Whether the user holds `permission` through any role.
    pub async fn has_permission(&self, user: &User, permission: &str) -> Result<bool, Error> {
        Ok(self
            .permissions_of(user)
            .await?
            .iter()
            .any(|p| p == permission))
    }

    /// Every role with its permissions and member count.
    pub async fn list_roles(&self) -> Result<Vec<RoleInfo>, Error> {
        Ok(self.store.list_roles().await?)
    }

    /// One role.
    pub async fn role(&self, name: &str) -> Result<RoleInfo, Error> {
        self.store.role(name).await?.ok_or(Error::NotFound)
    }

    /// Creates a role with a description and permissions.
    pub async fn create_role(
        &self,
        actor: Option<UserId>,
        spec: &RoleSpec,
        ctx: &RequestContext,
    ) -> Result<RoleInfo, Error> {
        let name = role_name(&spec.name)?;
        let permissions = permission_set(&spec.permissions)?;
        self.store
            .create_role(name.as_str(), spec.description.trim(), self.clock.now())
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => Error::Validation(crate::FieldErrors::single(
                    "name",
                    "A role with this name exists already.",
                )),
                other => other.into(),
            })?;
        self.store
            .set_role_permissions(name.as_str(), &permissions)
            .await?;
        self.record(with_actor(
            NewAuditEvent::new(AuditKind::RoleCreated, self.clock.now(), ctx)
                .detail("role", name.as_str())
                .detail("permissions", permissions.clone()),
            actor,
        ))
        .await;
        self.role(name.as_str()).await
    }

    /// Replaces a role's description and permissions. The `admin` role
    /// always keeps the built-in administration permissions.
    pub async fn update_role(
        &self,
        actor: Option<UserId>,
        spec: &RoleSpec,
        ctx: &RequestContext,
    ) -> Result<RoleInfo, Error> {
        let existing = self.role(&spec.name).await?;
        let permissions = permission_set(&spec.permissions)?;
        if existing.name == ADMIN_ROLE
            && ADMIN_PERMISSIONS
                .iter()
                .any(|p| !permissions.iter().any(|q| q == p))
        {
            return Err(Error::Forbidden(
                "the admin role must keep users:read, users:manage, roles:manage and audit:read",
            ));
        }
        self.store
            .set_role_description(&existing.name, spec.description.trim())
            .await?;
        self.store
            .set_role_permissions(&existing.name, &permissions)
            .await?;
        self.record(with_actor(
            NewAuditEvent::new(AuditKind::RoleUpdated, self.clock.now(), ctx)
                .detail("role", existing.name.as_str())
                .detail("permissions", permissions.clone()),
            actor,
        ))
        .await;
        self.role(&existing.name).await
    }

    /// Deletes a role; its members lose it. The `admin` role cannot go.
    pub async fn delete_role(
        &self,
        actor: Option<UserId>,
        name: &str,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        let role = self.role(name).await?;
        if role.name == ADMIN_ROLE {
            return Err(Error::Forbidden(
                "the built-in admin role cannot be deleted",
            ));
        }
        self.store.delete_role(&role.name).await?;
        self.record(with_actor(
            NewAuditEvent::new(AuditKind::RoleDeleted, self.clock.now(), ctx)
                .detail("role", role.name.as_str()),
            actor,
        ))
        .await;
        Ok(())
    }

    /// Gives `target` the role. Nobody changes their own roles.
    pub async fn grant_role(
        &self,
        actor: Option<UserId>,
        target: &User,
        role: &str,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        if actor == Some(target.id) {
            return Err(Error::Forbidden("you cannot change your own roles"));
        }
        let role = self.role(role).await?;
        self.store.grant_role(target.id, &role.name).await?;
        self.record(with_actor(
            NewAuditEvent::new(AuditKind::RoleGranted, self.clock.now(), ctx)
                .target(target.id)
                .detail("role", role.name.as_str()),
            actor,
        ))
        .await;
        Ok(())
    }

    /// Takes the role from `target`. Nobody changes their own roles, and the
    /// last active administrator keeps theirs.
    pub async fn revoke_role(
        &self,
        actor: Option<UserId>,
        target: &User,
        role: &str,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        if actor == Some(target.id) {
            return Err(Error::Forbidden("you cannot change your own roles"));
        }
        let role = self.role(role).await?;
        if role.name == ADMIN_ROLE {
            self.guard_last_admin(
                target,
                "the last active administrator cannot lose the admin role",
            )
            .await?;
        }
        if !self.store.revoke_role(target.id, &role.name).await? {
            return Err(Error::NotFound);
        }
        self.record(with_actor(
            NewAuditEvent::new(AuditKind::RoleRevoked, self.clock.now(), ctx)
                .target(target.id)
                .detail("role", role.name.as_str()),
            actor,
        ))
        .await;
        Ok(())
    }

    /// Refuses when `target` is the only active administrator.
    pub(crate) async fn guard_last_admin(
        &self,
        target: &User,
        why: &'static str,
    ) -> Result<(), Error> {
        if target.is_active
            && self.is_admin(target).await?
            && self.store.count_active_members(ADMIN_ROLE).await? <= 1
        {
            return Err(Error::Forbidden(why));
        }
        Ok(())
    }

    /// Creates or updates the roles declared in the configuration, at start.
    /// Declared permissions replace the stored ones (the `admin` role keeps
    /// its built-in permissions whatever is declared).
    pub async fn sync_roles(&self, specs: &[RoleSpec]) -> Result<(), Error> {
        for spec in specs {
            let name = role_name(&spec.name)?;
            let mut permissions = permission_set(&spec.permissions)?;
            if name.as_str() == ADMIN_ROLE {
                permissions.extend(ADMIN_PERMISSIONS.iter().map(|p| (*p).to_owned()));
                permissions.sort();
                permissions.dedup();
            }
            self.store
                .ensure_role(name.as_str(), spec.description.trim())
                .await?;
            self.store
                .set_role_description(name.as_str(), spec.description.trim())
                .await?;
            self.store
                .set_role_permissions(name.as_str(), &permissions)
                .await?;
        }
        Ok(())
    }
}

pub(crate) fn with_actor(event: NewAuditEvent, actor: Option<UserId>) -> NewAuditEvent {
    match actor {
        Some(actor) => event.actor(actor),
        None => event,
    }
}
