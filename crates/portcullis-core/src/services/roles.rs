//! Roles and their permissions, with the rails: an actor shapes only roles
//! whose permissions it holds, never edits the permissions of a role it
//! holds itself, and the built-in `admin` role (which holds every
//! permission) can neither be deleted nor have its permissions edited.

use super::Deps;
use super::plumbing::acted_by;
use crate::access::{Actor, Authorized, RolesManage, SeesRoles};
use crate::audit::{AuditKind, RequestContext};
use crate::domain::fields::FieldErrors;
use crate::domain::role::{ADMIN_PERMISSIONS, Permission, ROLES_MANAGE, RoleInfo, RoleName};
use crate::domain::user::ADMIN_ROLE;
use crate::error::Error;
use crate::store::{StoreError, Transaction};

/// A role as declared in the configuration file or submitted by a form.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoleSpec {
    /// The role's name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// The permissions it holds.
    pub permissions: Vec<String>,
    /// Roles whose holders may grant and revoke it (see
    /// [`RoleInfo::grantable_by`]).
    pub grantable_by: Vec<String>,
}

/// Roles and permissions; see [`crate::AuthService::roles`].
#[derive(Clone, Copy)]
pub struct Roles<'a> {
    pub(crate) d: &'a Deps,
}

fn role_name(name: &str) -> Result<RoleName, Error> {
    RoleName::parse(name).map_err(|e| Error::Validation(FieldErrors::single("name", e.to_string())))
}

/// Parses each permission, naming the first bad one; sorted, distinct.
fn permission_set(permissions: &[String]) -> Result<Vec<String>, Error> {
    let mut parsed = Vec::with_capacity(permissions.len());
    for p in permissions {
        let p = Permission::parse(p).map_err(|e| {
            Error::Validation(FieldErrors::single("permissions", format!("{p:?}: {e}")))
        })?;
        parsed.push(p.as_str().to_owned());
    }
    parsed.sort();
    parsed.dedup();
    Ok(parsed)
}

/// The description, trimmed; control characters (NUL above all, which
/// PostgreSQL cannot store) are refused.
fn description(text: &str) -> Result<String, Error> {
    let text = text.trim();
    if text.chars().count() > 500 || text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Error::Validation(FieldErrors::single(
            "description",
            "A description is at most 500 characters, without control characters.",
        )));
    }
    Ok(text.to_owned())
}

fn grantors(names: &[String]) -> Result<Vec<String>, Error> {
    let mut parsed = Vec::with_capacity(names.len());
    for name in names {
        let name = RoleName::parse(name).map_err(|e| {
            Error::Validation(FieldErrors::single(
                "grantable_by",
                format!("{name:?}: {e}"),
            ))
        })?;
        parsed.push(name.as_str().to_owned());
    }
    parsed.sort();
    parsed.dedup();
    Ok(parsed)
}

fn unknown_grantor(err: StoreError) -> Error {
    match err {
        StoreError::NotFound => Error::Validation(FieldErrors::single(
            "grantable_by",
            "Every role named in grantable_by must exist.",
        )),
        other => other.into(),
    }
}

impl Roles<'_> {
    /// Every role with its permissions and member count.
    pub async fn list(&self, _by: &impl SeesRoles) -> Result<Vec<RoleInfo>, Error> {
        Ok(self.d.store.list_roles().await?)
    }

    /// One role.
    pub async fn get(&self, _by: &impl SeesRoles, name: &str) -> Result<RoleInfo, Error> {
        role_named(self.d.store.as_ref(), name)
            .await?
            .ok_or(Error::NotFound)
    }

    /// The roles `actor` may give to an account or take away.
    pub async fn assignable(&self, by: &impl SeesRoles) -> Result<Vec<RoleInfo>, Error> {
        let mut roles = self.list(by).await?;
        roles.retain(|r| by.actor().may_assign(r));
        Ok(roles)
    }

    /// Creates a role. The actor must hold every permission it is given.
    pub async fn create(
        &self,
        by: &Authorized<RolesManage>,
        spec: &RoleSpec,
        ctx: &RequestContext,
    ) -> Result<RoleInfo, Error> {
        let d = self.d;
        let name = role_name(&spec.name)?;
        let permissions = permission_set(&spec.permissions)?;
        let description = description(&spec.description)?;
        let grantors = grantors(&spec.grantable_by)?;
        let (tx, actor) = d.begin_admin(by.actor(), ROLES_MANAGE).await?;
        shapes(&actor, &permissions)?;
        tx.create_role(name.as_str(), &description, d.clock.now())
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => Error::Validation(FieldErrors::single(
                    "name",
                    "A role with this name exists already.",
                )),
                other => other.into(),
            })?;
        tx.set_role_permissions(name.as_str(), &permissions).await?;
        tx.set_role_grantors(name.as_str(), &grantors)
            .await
            .map_err(unknown_grantor)?;
        let role = finish(tx, name.as_str()).await?;
        d.record(acted_by(
            d.event(AuditKind::RoleCreated, ctx)
                .detail("role", name.as_str())
                .detail("permissions", permissions),
            &actor,
        ))
        .await;
        Ok(role)
    }

    /// Replaces a role's description, permissions and grantors. The actor
    /// must hold every permission of the role as it was and as it will be,
    /// and may not change the permissions of a role it holds itself.
    pub async fn update(
        &self,
        by: &Authorized<RolesManage>,
        spec: &RoleSpec,
        ctx: &RequestContext,
    ) -> Result<RoleInfo, Error> {
        let d = self.d;
        let permissions = permission_set(&spec.permissions)?;
        let description = description(&spec.description)?;
        let grantors = grantors(&spec.grantable_by)?;
        let (tx, actor) = d.begin_admin(by.actor(), ROLES_MANAGE).await?;
        let existing = role_named(tx.as_ref(), &spec.name)
            .await?
            .ok_or(Error::NotFound)?;
        if permissions != existing.permissions {
            if existing.name == ADMIN_ROLE {
                return Err(Error::Forbidden(
                    "the admin role holds every permission; its permissions cannot be edited",
                ));
            }
            if actor.roles().contains(&existing.name) {
                return Err(Error::Forbidden(
                    "you cannot change the permissions of a role you hold",
                ));
            }
        }
        let both: Vec<String> = existing
            .permissions
            .iter()
            .chain(&permissions)
            .cloned()
            .collect();
        shapes(&actor, &both)?;
        if existing.name == ADMIN_ROLE && !actor.permissions().is_all() {
            return Err(Error::Forbidden(
                "only a full administrator may change the admin role",
            ));
        }
        tx.set_role_description(&existing.name, &description)
            .await?;
        tx.set_role_permissions(&existing.name, &permissions)
            .await?;
        tx.set_role_grantors(&existing.name, &grantors)
            .await
            .map_err(unknown_grantor)?;
        let role = finish(tx, &existing.name).await?;
        d.record(acted_by(
            d.event(AuditKind::RoleUpdated, ctx)
                .detail("role", existing.name.as_str())
                .detail("permissions", permissions),
            &actor,
        ))
        .await;
        Ok(role)
    }

    /// Deletes a role; its members lose it. The actor must hold every
    /// permission of the role; the `admin` role cannot go.
    pub async fn delete(
        &self,
        by: &Authorized<RolesManage>,
        name: &str,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        let d = self.d;
        let (tx, actor) = d.begin_admin(by.actor(), ROLES_MANAGE).await?;
        let role = role_named(tx.as_ref(), name)
            .await?
            .ok_or(Error::NotFound)?;
        if role.name == ADMIN_ROLE {
            return Err(Error::Forbidden(
                "the built-in admin role cannot be deleted",
            ));
        }
        shapes(&actor, &role.permissions)?;
        tx.delete_role(&role.name).await?;
        tx.commit().await?;
        d.record(acted_by(
            d.event(AuditKind::RoleDeleted, ctx)
                .detail("role", role.name.as_str())
                .detail("members", role.members),
            &actor,
        ))
        .await;
        Ok(())
    }

    /// Creates or updates the roles declared in the configuration, at start,
    /// as the operator (declared permissions replace the stored ones; the
    /// `admin` role keeps its built-in ones whatever is declared).
    pub async fn sync(
        &self,
        by: &Authorized<RolesManage>,
        specs: &[RoleSpec],
    ) -> Result<(), Error> {
        let d = self.d;
        let (tx, _) = d.begin_admin(by.actor(), ROLES_MANAGE).await?;
        for spec in specs {
            let name = role_name(&spec.name)?;
            let mut permissions = permission_set(&spec.permissions)?;
            if name.as_str() == ADMIN_ROLE {
                permissions.extend(ADMIN_PERMISSIONS.iter().map(|p| (*p).to_owned()));
                permissions.sort();
                permissions.dedup();
            }
            let description = description(&spec.description)?;
            tx.ensure_role(name.as_str(), &description).await?;
            tx.set_role_description(name.as_str(), &description).await?;
            tx.set_role_permissions(name.as_str(), &permissions).await?;
        }
        // Grantors may name roles declared later in the file.
        for spec in specs {
            tx.set_role_grantors(spec.name.trim(), &grantors(&spec.grantable_by)?)
                .await
                .map_err(unknown_grantor)?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// The role called `name`, read through `on`; `None` for a name no role
/// can have (so user input never reaches the database unparsed: NUL, for
/// one, makes PostgreSQL fail the statement).
pub(crate) async fn role_named(
    on: &dyn crate::store::RoleStore,
    name: &str,
) -> Result<Option<RoleInfo>, Error> {
    if RoleName::parse(name).is_err() {
        return Ok(None);
    }
    Ok(on.role(name).await?)
}

/// Refuses unless `actor` holds every one of `permissions`.
fn shapes(actor: &Actor, permissions: &[String]) -> Result<(), Error> {
    if actor.may_shape(permissions) {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "you may shape only roles whose permissions you hold",
        ))
    }
}

/// Reads the role back inside the transaction, then commits.
async fn finish(tx: Box<dyn Transaction>, name: &str) -> Result<RoleInfo, Error> {
    let role = tx.role(name).await?.ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(role)
}
