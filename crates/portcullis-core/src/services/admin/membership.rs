//! Giving an account a role and taking it away.

use super::super::plumbing::acted_by;
use super::super::roles::role_named;
use super::Accounts;
use crate::access::{Authorized, UsersManage};
use crate::audit::{AuditKind, RequestContext};
use crate::domain::role::USERS_MANAGE;
use crate::domain::user::{ADMIN_ROLE, UserId};
use crate::error::Error;

impl Accounts<'_> {
    /// Gives the account `role`. Nobody changes their own roles; the actor
    /// must act on the account and may assign the role (see
    /// [`Actor::may_assign`](crate::access::Actor::may_assign)).
    pub async fn grant_role(
        &self,
        by: &Authorized<UsersManage>,
        id: UserId,
        role: &str,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        self.change_role(by, id, role, true, ctx).await
    }

    /// Takes `role` from the account, under the same rules as
    /// [`Accounts::grant_role`]; the last active administrator keeps theirs.
    pub async fn revoke_role(
        &self,
        by: &Authorized<UsersManage>,
        id: UserId,
        role: &str,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        self.change_role(by, id, role, false, ctx).await
    }

    async fn change_role(
        &self,
        by: &Authorized<UsersManage>,
        id: UserId,
        role: &str,
        grant: bool,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        let d = self.d;
        let a = d.begin_on_account(by.actor(), USERS_MANAGE, id).await?;
        a.not_self("you cannot change your own roles")?;
        let info = role_named(a.tx.as_ref(), role)
            .await?
            .ok_or(Error::NotFound)?;
        if !a.actor.may_assign(&info) {
            return Err(Error::Forbidden(
                "you may give or take only roles whose permissions you hold",
            ));
        }
        let kind = if grant {
            a.tx.grant_role(id, &info.name).await?;
            AuditKind::RoleGranted
        } else {
            if info.name == ADMIN_ROLE {
                a.guard_last_admin("the last active administrator cannot lose the admin role")
                    .await?;
            }
            if !a.tx.revoke_role(id, &info.name).await? {
                return Err(Error::NotFound);
            }
            AuditKind::RoleRevoked
        };
        a.tx.commit().await?;
        d.record(acted_by(
            d.event(kind, ctx)
                .target(id)
                .detail("role", info.name.as_str()),
            &a.actor,
        ))
        .await;
        Ok(())
    }
}
