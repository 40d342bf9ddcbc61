//! Administering accounts: reading them (`read`), changing them (`write`)
//! and their roles (`membership`). Every method takes an
//! [`Authorized`](crate::access::Authorized) proof (or a [`ReadsUsers`]
//! one), so none can be reached without a permission check; containment
//! (see [`crate::access`]) is judged here, inside the transaction that
//! makes the change.
//!
//! Every change runs in one transaction that first takes the `admin` role's
//! row lock: administrative changes apply one at a time, and the rails
//! ("one active administrator remains", "only a full administrator touches
//! an administrator") are judged on what the database holds at that moment,
//! not on what a concurrent request saw before.

mod create;
mod membership;
mod read;
mod write;

pub use read::{AccountDetail, UserWithRoles};
pub use write::{AccountAction, UserEdit};

use super::Deps;
use crate::access::{Actor, PermissionSet, ReadsUsers};
use crate::domain::user::{ADMIN_ROLE, User, UserId};
use crate::error::Error;
use crate::store::{RoleStore, Transaction};

/// Largest page of users one call returns.
pub const MAX_PAGE: i64 = 500;

/// Administering accounts; see [`crate::AuthService::accounts`].
#[derive(Clone, Copy)]
pub struct Accounts<'a> {
    pub(crate) d: &'a Deps,
}

/// What a transaction of an administrative change knows once it started:
/// the actor as the database has it now, and the account acted on.
pub(crate) struct AdminTx {
    pub tx: Box<dyn Transaction>,
    pub actor: Actor,
    pub target: User,
}

impl Deps {
    /// What `user` holds, read through `on` (the store or a transaction).
    pub(crate) async fn permission_set_on(
        &self,
        on: &dyn RoleStore,
        user: UserId,
    ) -> Result<PermissionSet, Error> {
        let roles = on.roles_of(user).await?;
        let permissions = on.permissions_of(user).await?;
        Ok(PermissionSet::for_roles(
            roles.iter().map(|r| r.name.as_str()),
            permissions,
        ))
    }

    /// Opens the transaction an administrative change runs in: takes the
    /// `admin` role's row lock, then re-reads the actor, which must still be
    /// an active account holding `permission` (the system actor always is).
    pub(crate) async fn begin_admin(
        &self,
        actor: &Actor,
        permission: &str,
    ) -> Result<(Box<dyn Transaction>, Actor), Error> {
        let tx = self.store.begin().await?;
        tx.lock_role(ADMIN_ROLE).await?;
        let Some(id) = actor.id() else {
            return Ok((tx, actor.clone()));
        };
        let lost = || Error::Forbidden("you do not have permission to do this");
        let me = tx.user_by_id(id).await?.ok_or_else(lost)?;
        if !me.is_active {
            return Err(lost());
        }
        let roles: Vec<String> = tx.roles_of(id).await?.into_iter().map(|r| r.name).collect();
        let permissions = tx.permissions_of(id).await?;
        // A token's scopes narrow what is re-read, as they narrowed what
        // the request resolved to.
        let fresh = Actor::user(
            id,
            roles.clone(),
            PermissionSet::for_roles(roles.iter().map(String::as_str), permissions),
        )
        .through(actor.scopes().clone());
        if !fresh.may(permission) {
            return Err(lost());
        }
        Ok((tx, fresh))
    }

    /// [`Deps::begin_admin`], then the account `target`, which the actor
    /// must be allowed to act on (it holds every administrative permission
    /// the account holds).
    pub(crate) async fn begin_on_account(
        &self,
        actor: &Actor,
        permission: &str,
        target: UserId,
    ) -> Result<AdminTx, Error> {
        let (tx, actor) = self.begin_admin(actor, permission).await?;
        let target = tx.user_by_id(target).await?.ok_or(Error::NotFound)?;
        let target_permissions = self.permission_set_on(tx.as_ref(), target.id).await?;
        if !actor.may_act_on(&target_permissions) {
            return Err(Error::Forbidden(
                "you may act only on accounts whose administrative permissions you hold",
            ));
        }
        Ok(AdminTx { tx, actor, target })
    }
}

impl AdminTx {
    /// Refuses when the account is the only active administrator (judged
    /// under the lock, so two administrators acting on each other at the
    /// same instant cannot both succeed).
    pub(crate) async fn guard_last_admin(&self, why: &'static str) -> Result<(), Error> {
        let is_admin = self
            .tx
            .roles_of(self.target.id)
            .await?
            .iter()
            .any(|r| r.name == ADMIN_ROLE);
        if self.target.is_active && is_admin && self.tx.count_active_members(ADMIN_ROLE).await? <= 1
        {
            return Err(Error::Forbidden(why));
        }
        Ok(())
    }

    /// Refuses when the actor is the account itself.
    pub(crate) fn not_self(&self, why: &'static str) -> Result<(), Error> {
        if self.actor.id() == Some(self.target.id) {
            return Err(Error::Forbidden(why));
        }
        Ok(())
    }
}

impl Accounts<'_> {
    /// Whether `by` may act on an account holding `permissions` (for pages
    /// that offer only the actions that would succeed).
    pub fn may_act_on(&self, by: &impl ReadsUsers, permissions: &PermissionSet) -> bool {
        by.actor().may_act_on(permissions)
    }
}
