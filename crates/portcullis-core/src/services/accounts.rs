//! Operator use cases: creating administrators and listing accounts.

use crate::domain::user::{ADMIN_ROLE, Role, User};
use crate::error::Error;
use crate::services::auth::{AuthService, Registration};
use crate::store::NewUser;

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
    /// operator vouches for the address, so no confirmation is needed.
    pub async fn create_admin(&self, registration: Registration) -> Result<User, Error> {
        let hash = self.hasher.hash(registration.password.expose()).await?;
        let now = self.clock.now();
        let user = self
            .store
            .create_user(&NewUser {
                username: registration.username.as_str().to_owned(),
                username_key: registration.username.key(),
                email: registration.email.as_str().to_owned(),
                email_key: registration.email.key(),
                password_hash: Some(hash),
                is_active: true,
                confirmed_at: Some(now),
                created_at: now,
            })
            .await?;
        self.store.grant_role(user.id, ADMIN_ROLE).await?;
        Ok(user)
    }

    /// The roles of a user.
    pub async fn roles_of(&self, user: &User) -> Result<Vec<Role>, Error> {
        Ok(self.store.roles_of(user.id).await?)
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
}
