//! Reading accounts: finding one, its details, and pages of the list.

use super::{Accounts, MAX_PAGE};
use crate::access::{PermissionSet, ReadsUsers};
use crate::domain::query::UserQuery;
use crate::domain::session::{Session, SessionState};
use crate::domain::user::{User, UserId};
use crate::error::Error;
use std::collections::HashMap;

/// A user with their roles, for listings.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, serde::Serialize)]
pub struct UserWithRoles {
    /// The account.
    #[serde(flatten)]
    pub user: User,
    /// Its roles, by name, sorted.
    pub roles: Vec<String>,
}

/// One account as an administrator sees it.
#[derive(Debug, Clone)]
pub struct AccountDetail {
    /// The account.
    pub user: User,
    /// Its roles, by name, sorted.
    pub roles: Vec<String>,
    /// The permissions its roles hold, sorted.
    pub permissions: Vec<String>,
    /// Its live sessions, most recently active first.
    pub sessions: Vec<Session>,
    /// Whether it has a second factor (a confirmed TOTP authenticator or a
    /// passkey).
    pub two_factor_enabled: bool,
    /// Its passkeys, oldest first.
    pub passkeys: Vec<crate::domain::passkey::PasskeyInfo>,
}

impl AccountDetail {
    /// What the account may do: every permission if it holds `admin`.
    pub fn permission_set(&self) -> PermissionSet {
        PermissionSet::for_roles(
            self.roles.iter().map(String::as_str),
            self.permissions.iter().cloned(),
        )
    }
}

impl Accounts<'_> {
    /// Whether an active account holds the `admin` role. It needs no
    /// authority: the start-up banner and the development home page say how
    /// to make the first administrator while there is none.
    pub async fn administrator_exists(&self) -> Result<bool, Error> {
        Ok(self
            .d
            .store
            .count_active_members(crate::domain::user::ADMIN_ROLE)
            .await?
            > 0)
    }

    /// The account whose username or email is `login` (any case).
    pub async fn find(&self, _by: &impl ReadsUsers, login: &str) -> Result<User, Error> {
        let key = login.trim().to_lowercase();
        if key.is_empty() || key.chars().any(char::is_control) {
            return Err(Error::NotFound);
        }
        match self.d.store.credential_by_login(&key).await? {
            Some(credential) => Ok(credential.user),
            None => Err(Error::NotFound),
        }
    }

    /// The account with id `id`.
    pub async fn get(&self, _by: &impl ReadsUsers, id: UserId) -> Result<User, Error> {
        self.d.store.user_by_id(id).await?.ok_or(Error::NotFound)
    }

    /// The account with its roles, permissions and live sessions.
    pub async fn detail(&self, by: &impl ReadsUsers, id: UserId) -> Result<AccountDetail, Error> {
        let d = self.d;
        let user = self.get(by, id).await?;
        let roles = d.store.roles_of(id).await?;
        let permissions = d.store.permissions_of(id).await?;
        let now = d.clock.now();
        let sessions = d
            .store
            .sessions_of(id)
            .await?
            .into_iter()
            .filter(|s| matches!(d.policy.judge(s, now), SessionState::Active { .. }))
            .collect();
        Ok(AccountDetail {
            user,
            permissions,
            roles: roles.into_iter().map(|r| r.name).collect(),
            sessions,
            two_factor_enabled: d.has_two_factor(id).await?,
            passkeys: d
                .store
                .passkeys_of(id)
                .await?
                .into_iter()
                .map(|p| p.info)
                .collect(),
        })
    }

    /// The account together with the names of its roles.
    pub async fn with_roles(
        &self,
        by: &impl ReadsUsers,
        user: User,
    ) -> Result<UserWithRoles, Error> {
        Ok(self.attach_roles(by, vec![user]).await?.remove(0))
    }

    /// A page of users with their roles, ordered by id, and the total count.
    pub async fn list(
        &self,
        by: &impl ReadsUsers,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<UserWithRoles>, i64), Error> {
        let limit = limit.clamp(1, MAX_PAGE);
        let users = self.d.store.list_users(offset.max(0), limit).await?;
        let total = self.d.store.count_users().await?;
        Ok((self.attach_roles(by, users).await?, total))
    }

    /// A page of users matching `query`, with their roles, and the total.
    pub async fn search(
        &self,
        by: &impl ReadsUsers,
        query: &UserQuery,
    ) -> Result<(Vec<UserWithRoles>, i64), Error> {
        let mut query = query.clone();
        query.limit = query.limit.clamp(1, MAX_PAGE);
        query.offset = query.offset.max(0);
        query.now = Some(self.d.clock.now());
        let users = self.d.store.search_users(&query).await?;
        let total = self.d.store.count_search_users(&query).await?;
        Ok((self.attach_roles(by, users).await?, total))
    }

    /// The roles of every listed user, in one statement for the whole page.
    async fn attach_roles(
        &self,
        _by: &impl ReadsUsers,
        users: Vec<User>,
    ) -> Result<Vec<UserWithRoles>, Error> {
        let ids: Vec<UserId> = users.iter().map(|u| u.id).collect();
        let mut roles: HashMap<UserId, Vec<String>> = HashMap::new();
        for (user, role) in self.d.store.roles_of_users(&ids).await? {
            roles.entry(user).or_default().push(role);
        }
        Ok(users
            .into_iter()
            .map(|user| {
                let mut held = roles.remove(&user.id).unwrap_or_default();
                held.sort();
                UserWithRoles { user, roles: held }
            })
            .collect())
    }
}
