//! API tokens: getting one with a password (`POST /api/token`), making
//! personal and service tokens (`issue`), authenticating a request that
//! presents one (here), and revoking them (`revoke`).
//!
//! A token is looked up by the SHA-256 of its secret; revoked and expired
//! rows are kept a while, so that a revoked token presented again is
//! recognised and recorded (`token_used_after_revocation`) instead of
//! looking like noise. What a token may do is decided at each request from
//! its scopes and its owner's roles as they are then (see
//! [`crate::domain::api_token`]).

mod issue;
mod revoke;

pub use issue::{IssuedToken, TokenRequest};
pub(crate) use revoke::ALL_KINDS;

use super::Deps;
use crate::access::{Actor, PermissionSet};
use crate::audit::{AuditKind, RequestContext};
use crate::domain::api_token::{ApiToken, Scopes};
use crate::domain::user::{ADMIN_ROLE, Role, User, UserId};
use crate::error::Error;
use crate::policy::TwoFactorPolicy;
use crate::store::ResolvedToken;
use crate::token::ApiTokenSecret;
use time::Duration;

/// A token's last use is written at most this often.
const TOUCH_INTERVAL: Duration = Duration::minutes(1);
/// A revoked token presented again is recorded at most once per this long.
pub(crate) const REVOKED_USE_RECORD_INTERVAL: Duration = Duration::hours(1);
/// Revoked and expired tokens are kept this long, to recognise them.
pub const RETENTION: Duration = Duration::days(30);

/// API tokens; see [`crate::AuthService::tokens`].
#[derive(Clone, Copy)]
pub struct Tokens<'a> {
    pub(crate) d: &'a Deps,
}

/// A request authenticated by a token: the account it acts for and what
/// it may do through this token now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenCaller {
    /// The token.
    pub token: ApiToken,
    /// The account it acts for.
    pub user: User,
    /// The account's roles that the token carries: all of them for a login
    /// token; for a scoped one, each role (but `admin`) holding at least one
    /// permission, all of which the token's scopes cover.
    pub roles: Vec<Role>,
    /// The account's permissions narrowed to the token's scopes.
    pub permissions: PermissionSet,
    /// Whether the account has a confirmed second factor.
    pub two_factor: bool,
    /// The account must enrol a second factor (the policy requires one
    /// for it and it has none) before its tokens may do anything else.
    pub must_enrol: bool,
}

impl TokenCaller {
    /// The account as an actor, narrowed to the token's scopes (also when a
    /// use case re-reads the account's roles).
    pub fn actor(&self) -> Actor {
        Actor::user(
            self.user.id,
            self.roles.iter().map(|r| r.name.clone()).collect(),
            self.permissions.clone(),
        )
        .through(self.token.scopes.clone())
    }

    /// Whether the token carries the self-service scope `scope`.
    pub fn allows_self_service(&self, scope: &str) -> bool {
        self.token.scopes.allows_self_service(scope)
    }

    fn from_resolved(found: ResolvedToken, policy: &TwoFactorPolicy) -> Self {
        let ResolvedToken {
            token,
            user,
            roles,
            two_factor,
        } = found;
        let owner = PermissionSet::for_roles(
            roles.iter().map(|(r, _)| r.name.as_str()),
            roles.iter().flat_map(|(_, p)| p.iter().cloned()),
        );
        let permissions = token.scopes.narrow(&owner);
        // Services cannot enrol (they never log in); people can.
        let must_enrol = !user.is_service()
            && !two_factor
            && policy.requires(roles.iter().map(|(r, _)| r.name.as_str()));
        let roles = match &token.scopes {
            Scopes::Owner => roles.into_iter().map(|(r, _)| r).collect(),
            Scopes::Only(_) => roles
                .into_iter()
                .filter(|(role, held)| {
                    role.name != ADMIN_ROLE
                        && !held.is_empty()
                        && held.iter().all(|p| permissions.holds(p))
                })
                .map(|(r, _)| r)
                .collect(),
        };
        Self {
            token,
            user,
            roles,
            permissions,
            two_factor,
            must_enrol,
        }
    }
}

impl Tokens<'_> {
    /// The caller a presented token stands for, or `None` if it is unknown,
    /// revoked, expired, or its account is deactivated. A revoked token
    /// presented again is recorded (once an hour per token). The use is
    /// noted on the token at most once a minute.
    pub async fn authenticate(
        &self,
        secret: &ApiTokenSecret,
        ctx: &RequestContext,
    ) -> Result<Option<TokenCaller>, Error> {
        let d = self.d;
        let Some(found) = d.store.resolve_api_token(&secret.hash()).await? else {
            return Ok(None);
        };
        let now = d.clock.now();
        if found.token.revoked_at.is_some() {
            self.revoked_token_used(&found.token, ctx).await?;
            return Ok(None);
        }
        if !found.token.is_live(now) || !found.user.is_active {
            return Ok(None);
        }
        if found
            .token
            .last_used_at
            .is_none_or(|at| at <= now - TOUCH_INTERVAL)
        {
            d.store
                .touch_api_token(found.token.id, now, ctx.ip.as_deref(), now - TOUCH_INTERVAL)
                .await?;
        }
        Ok(Some(TokenCaller::from_resolved(
            found,
            &d.security.two_factor,
        )))
    }

    async fn revoked_token_used(
        &self,
        token: &ApiToken,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        let d = self.d;
        let now = d.clock.now();
        let key = format!("token:revoked_use:{}", token.id);
        let counter = d
            .store
            .hit(&key, now, now - REVOKED_USE_RECORD_INTERVAL)
            .await?;
        if counter.hits == 1 {
            d.record(
                d.event(AuditKind::TokenUsedAfterRevocation, ctx)
                    .target(token.user_id)
                    .detail("token_id", token.id.0)
                    .detail("name", token.name.as_str())
                    .detail("kind", token.kind.as_str()),
            )
            .await;
        }
        Ok(())
    }

    /// The account's tokens that work now, newest first (never a secret).
    pub async fn list(&self, owner: UserId) -> Result<Vec<ApiToken>, Error> {
        let d = self.d;
        Ok(d.store.api_tokens_of(owner, d.clock.now()).await?)
    }
}
