//! Who may administer what. Administration is a capability, not a
//! convention: every administrative use case takes an [`Authorized`] value,
//! and the only way to get one is [`Actor::authorize`], which checks the
//! permission. A handler that skips the check has nothing to pass and does
//! not compile.
//!
//! On top of the permission an action needs, delegation is contained:
//! - an actor grants, revokes, creates accounts with, edits or deletes only
//!   roles whose permissions it holds itself (or, for a role naming one of
//!   the actor's roles in `grantable_by`, grants and revokes it, provided the
//!   role holds no administrative permission);
//! - an actor acts on an account only if it holds every *administrative*
//!   permission that account holds, so a helpdesk manages ordinary users and
//!   other helpdesks, and only a full administrator touches an administrator.
//!
//! The built-in `admin` role is a superuser: it holds every permission,
//! including ones the application invents. The command line acts as the
//! [`Actor::system`], which holds everything too and is audited as such.
//!
//! ```
//! use portcullis_core::access::{Actor, PermissionSet, UsersManage, UsersRead};
//! use portcullis_core::UserId;
//!
//! let helpdesk = Actor::user(UserId(7), vec!["helpdesk".into()], PermissionSet::of(["users:read"]));
//! assert!(helpdesk.authorize::<UsersRead>().is_ok());
//! assert!(helpdesk.authorize::<UsersManage>().is_err());
//! assert!(Actor::system().authorize::<UsersManage>().is_ok());
//! ```

use crate::domain::api_token::Scopes;
use crate::domain::role::RoleInfo;
use crate::domain::user::{ADMIN_ROLE, UserId};
use crate::error::Error;
use std::collections::BTreeSet;
use std::marker::PhantomData;

/// Namespaces whose permissions administer Portcullis itself.
pub const ADMINISTRATIVE_NAMESPACES: [&str; 4] = ["users", "roles", "audit", "tokens"];

/// Whether `permission` administers Portcullis (`users:*`, `roles:*`,
/// `audit:*`, `tokens:*`), as opposed to the application's own permissions.
///
/// ```
/// use portcullis_core::access::is_administrative;
/// assert!(is_administrative("users:manage"));
/// assert!(!is_administrative("requests:create"));
/// assert!(!is_administrative("usersx:read"));
/// ```
pub fn is_administrative(permission: &str) -> bool {
    let namespace = permission.split(':').next().unwrap_or_default();
    ADMINISTRATIVE_NAMESPACES.contains(&namespace)
}

/// What an account may do: every permission (the `admin` role, the system),
/// or exactly a set of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PermissionSet {
    /// Holds every permission there is or will be.
    All,
    /// Holds exactly these.
    Only(BTreeSet<String>),
}

impl Default for PermissionSet {
    fn default() -> Self {
        Self::Only(BTreeSet::new())
    }
}

impl PermissionSet {
    /// Exactly the given permissions.
    pub fn of<I, S>(permissions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::Only(permissions.into_iter().map(Into::into).collect())
    }

    /// The permissions of an account holding `roles`, whose roles hold
    /// `permissions` between them: everything if one of the roles is `admin`.
    pub fn for_roles<'a, I, S>(roles: I, permissions: impl IntoIterator<Item = S>) -> Self
    where
        I: IntoIterator<Item = &'a str>,
        S: Into<String>,
    {
        if roles.into_iter().any(|r| r == ADMIN_ROLE) {
            Self::All
        } else {
            Self::of(permissions)
        }
    }

    /// Whether `permission` is held.
    pub fn holds(&self, permission: &str) -> bool {
        match self {
            Self::All => true,
            Self::Only(set) => set.contains(permission),
        }
    }

    /// Whether every permission of `permissions` is held.
    pub fn holds_all<'a>(&self, permissions: impl IntoIterator<Item = &'a String>) -> bool {
        permissions.into_iter().all(|p| self.holds(p))
    }

    /// Whether this is the superuser's set.
    pub fn is_all(&self) -> bool {
        matches!(self, Self::All)
    }

    /// Whether any administrative permission is held (so the account has an
    /// administration page to go to).
    pub fn administers_anything(&self) -> bool {
        match self {
            Self::All => true,
            Self::Only(set) => set.iter().any(|p| is_administrative(p)),
        }
    }

    /// The explicit permissions, sorted; `None` for [`PermissionSet::All`].
    pub fn listed(&self) -> Option<Vec<String>> {
        match self {
            Self::All => None,
            Self::Only(set) => Some(set.iter().cloned().collect()),
        }
    }

    /// Whether an actor holding `self` may act on an account holding
    /// `target`: it must hold every administrative permission the target
    /// holds (all of them, for a superuser target).
    pub fn covers_administration_of(&self, target: &PermissionSet) -> bool {
        match (self, target) {
            (Self::All, _) => true,
            (Self::Only(_), Self::All) => false,
            (Self::Only(mine), Self::Only(theirs)) => theirs
                .iter()
                .filter(|p| is_administrative(p))
                .all(|p| mine.contains(p)),
        }
    }
}

/// Who is acting: an account (with its roles and permissions as they were
/// read from the database for this request) or the system (the command
/// line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    who: Who,
    roles: Vec<String>,
    permissions: PermissionSet,
    /// The scopes of the token the account acts through, if one: whatever
    /// is re-read of the account is narrowed to them again.
    scopes: Scopes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    User(UserId),
    System,
}

impl Actor {
    /// An account as an actor: the roles and permissions must be the ones
    /// the store holds for it (the web layer takes them from the session the
    /// request resolved to).
    pub fn user(id: UserId, roles: Vec<String>, permissions: PermissionSet) -> Self {
        Self {
            who: Who::User(id),
            roles,
            permissions,
            scopes: Scopes::Owner,
        }
    }

    /// The same account acting through a token with `scopes`: its
    /// permissions are narrowed to them, now and whenever a use case
    /// re-reads the account's roles.
    pub fn through(mut self, scopes: Scopes) -> Self {
        self.permissions = scopes.narrow(&self.permissions);
        self.scopes = scopes;
        self
    }

    /// The scopes the actor is narrowed to ([`Scopes::Owner`] unless it
    /// acts through a scoped token).
    pub fn scopes(&self) -> &Scopes {
        &self.scopes
    }

    /// The operator at the command line, who already holds the database:
    /// every permission, no account, recorded as `"actor": "system"`.
    pub fn system() -> Self {
        Self {
            who: Who::System,
            roles: Vec::new(),
            permissions: PermissionSet::All,
            scopes: Scopes::Owner,
        }
    }

    /// The acting account, `None` for the system.
    pub fn id(&self) -> Option<UserId> {
        match self.who {
            Who::User(id) => Some(id),
            Who::System => None,
        }
    }

    /// Whether this is the system actor.
    pub fn is_system(&self) -> bool {
        self.who == Who::System
    }

    /// The actor's roles, by name.
    pub fn roles(&self) -> &[String] {
        &self.roles
    }

    /// What the actor holds.
    pub fn permissions(&self) -> &PermissionSet {
        &self.permissions
    }

    /// Whether the actor holds `permission`.
    pub fn may(&self, permission: &str) -> bool {
        self.permissions.holds(permission)
    }

    /// The proof that the actor holds `C`'s permission, or
    /// [`Error::Forbidden`].
    pub fn authorize<C: Capability>(&self) -> Result<Authorized<C>, Error> {
        if self.may(C::PERMISSION) {
            Ok(Authorized {
                actor: self.clone(),
                capability: PhantomData,
            })
        } else {
            Err(Error::Forbidden("you do not have permission to do this"))
        }
    }

    /// Whether the actor may give `role` to an account or take it away:
    /// it holds every permission of the role (every permission at all, for
    /// `admin`), or the role names one of the actor's roles in
    /// `grantable_by` and holds no administrative permission.
    pub fn may_assign(&self, role: &RoleInfo) -> bool {
        if role.name == ADMIN_ROLE {
            return self.permissions.is_all();
        }
        if self.permissions.holds_all(&role.permissions) {
            return true;
        }
        role.grantable_by.iter().any(|r| self.roles.contains(r))
            && !role.permissions.iter().any(|p| is_administrative(p))
    }

    /// Whether the actor may create, edit or delete a role holding
    /// `permissions` (the role as it is and as it would be, together).
    pub fn may_shape<'a>(&self, permissions: impl IntoIterator<Item = &'a String>) -> bool {
        self.permissions.holds_all(permissions)
    }

    /// Whether the actor may act on an account holding `target`.
    pub fn may_act_on(&self, target: &PermissionSet) -> bool {
        self.permissions.covers_administration_of(target)
    }
}

/// A permission an administrative use case demands. Sealed: the set of
/// capabilities is Portcullis's own.
pub trait Capability: sealed::Sealed + Send + Sync + 'static {
    /// The permission string checked.
    const PERMISSION: &'static str;
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! capability {
    ($(#[$doc:meta])* $name:ident = $permission:path) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;
        impl sealed::Sealed for $name {}
        impl Capability for $name {
            const PERMISSION: &'static str = $permission;
        }
    };
}

capability!(
    /// `users:read`: see accounts and their details.
    UsersRead = crate::domain::role::USERS_READ
);
capability!(
    /// `users:manage`: create, edit, (de)activate, unlock, delete accounts
    /// and change their roles.
    UsersManage = crate::domain::role::USERS_MANAGE
);
capability!(
    /// `roles:manage`: create, edit and delete roles.
    RolesManage = crate::domain::role::ROLES_MANAGE
);
capability!(
    /// `audit:read`: read the audit log.
    AuditRead = crate::domain::role::AUDIT_READ
);
capability!(
    /// `tokens:manage`: list and revoke other accounts' API tokens, and
    /// mint tokens for service accounts.
    TokensManage = crate::domain::role::TOKENS_MANAGE
);

/// Proof that an actor held `C`'s permission when it was checked. Only
/// [`Actor::authorize`] makes one.
///
/// An administrative use case takes one, so a caller that skipped the
/// check has nothing to pass and does not compile. A proof cannot be built
/// by hand:
///
/// ```compile_fail
/// use portcullis_core::access::{Actor, Authorized, UsersManage};
/// let forged: Authorized<UsersManage> = Authorized {
///     actor: Actor::system(),
///     capability: std::marker::PhantomData,
/// };
/// ```
///
/// nor turned into a proof of another permission:
///
/// ```compile_fail
/// use portcullis_core::access::{Actor, Authorized, UsersManage, UsersRead};
/// let read: Authorized<UsersRead> = Actor::system().authorize().unwrap();
/// let manage: Authorized<UsersManage> = read;
/// ```
///
/// while the check itself is the way in:
///
/// ```
/// use portcullis_core::access::{Actor, Authorized, UsersManage};
/// let granted: Authorized<UsersManage> = Actor::system().authorize().unwrap();
/// assert!(granted.actor().is_system());
/// ```
#[derive(Debug, Clone)]
pub struct Authorized<C: Capability> {
    actor: Actor,
    capability: PhantomData<fn() -> C>,
}

impl<C: Capability> Authorized<C> {
    /// The actor the proof is for.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }
}

/// Proof that an actor may read accounts: `users:read`, or `users:manage`
/// (whoever may change accounts may see them).
pub trait ReadsUsers {
    /// The actor.
    fn actor(&self) -> &Actor;
}

impl ReadsUsers for Authorized<UsersRead> {
    fn actor(&self) -> &Actor {
        &self.actor
    }
}

impl ReadsUsers for Authorized<UsersManage> {
    fn actor(&self) -> &Actor {
        &self.actor
    }
}

/// Proof that an actor may see the roles and what they mean: whoever reads
/// accounts or manages roles.
pub trait SeesRoles {
    /// The actor.
    fn actor(&self) -> &Actor;
}

impl SeesRoles for Authorized<UsersRead> {
    fn actor(&self) -> &Actor {
        &self.actor
    }
}

impl SeesRoles for Authorized<UsersManage> {
    fn actor(&self) -> &Actor {
        &self.actor
    }
}

impl SeesRoles for Authorized<RolesManage> {
    fn actor(&self) -> &Actor {
        &self.actor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(name: &str, permissions: &[&str], grantable_by: &[&str]) -> RoleInfo {
        RoleInfo {
            name: name.into(),
            description: String::new(),
            permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
            grantable_by: grantable_by.iter().map(|p| (*p).to_owned()).collect(),
            members: 0,
        }
    }

    fn actor(roles: &[&str], permissions: &[&str]) -> Actor {
        Actor::user(
            UserId(1),
            roles.iter().map(|r| (*r).to_owned()).collect(),
            PermissionSet::for_roles(roles.iter().copied(), permissions.iter().copied()),
        )
    }

    #[test]
    fn the_admin_role_holds_every_permission_even_the_applications_own() {
        let admin = actor(&["admin"], &["users:read"]);
        assert!(admin.may("requests:create"));
        assert!(admin.may("tokens:manage"));
        assert!(admin.permissions().is_all());
    }

    #[test]
    fn a_role_can_be_assigned_only_by_someone_holding_all_its_permissions() {
        let manager = actor(&["mgr"], &["users:read", "users:manage"]);
        assert!(!manager.may_assign(&role("admin", &[], &[])));
        assert!(!manager.may_assign(&role("auditor", &["audit:read"], &[])));
        assert!(manager.may_assign(&role("reader", &["users:read"], &[])));
        assert!(!manager.may_assign(&role("clerk", &["requests:read"], &[])));
    }

    #[test]
    fn grantable_by_lets_a_helpdesk_hand_out_roles_without_administrative_power() {
        let helpdesk = actor(&["helpdesk"], &["users:manage"]);
        assert!(helpdesk.may_assign(&role("clerk", &["requests:read"], &["helpdesk"])));
        // Naming the helpdesk does not open an administrative role.
        assert!(!helpdesk.may_assign(&role("auditor", &["audit:read"], &["helpdesk"])));
        assert!(!helpdesk.may_assign(&role("clerk", &["requests:read"], &["other"])));
    }

    #[test]
    fn acting_on_an_account_needs_its_administrative_permissions() {
        let helpdesk = actor(&["helpdesk"], &["users:read", "users:manage"]);
        let plain = PermissionSet::of(["requests:read"]);
        let peer = PermissionSet::of(["users:read", "users:manage", "requests:read"]);
        let auditor = PermissionSet::of(["audit:read"]);
        assert!(helpdesk.may_act_on(&plain));
        assert!(helpdesk.may_act_on(&peer));
        assert!(!helpdesk.may_act_on(&auditor));
        assert!(!helpdesk.may_act_on(&PermissionSet::All));
        assert!(Actor::system().may_act_on(&PermissionSet::All));
    }

    #[test]
    fn a_capability_is_granted_only_with_its_permission() {
        let reader = actor(&["r"], &["users:read"]);
        assert!(reader.authorize::<UsersRead>().is_ok());
        assert!(matches!(
            reader.authorize::<RolesManage>(),
            Err(Error::Forbidden(_))
        ));
    }
}
