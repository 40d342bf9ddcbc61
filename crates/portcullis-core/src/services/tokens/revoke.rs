//! Ending tokens: by their owner (one, or all), by an administrator who may
//! act on the owner, and as part of a password change or reset. A revoked
//! token stops working at once; its row stays a while so that a later use
//! of it is recognised.

use super::Tokens;
use crate::access::{Actor, Authorized, TokensManage};
use crate::audit::{AuditKind, RequestContext};
use crate::domain::api_token::{ApiToken, ApiTokenId, TokenKind};
use crate::domain::role::TOKENS_MANAGE;
use crate::domain::user::UserId;
use crate::error::Error;
use crate::services::plumbing::acted_by;

/// Every kind of token.
pub(crate) const ALL_KINDS: [TokenKind; 3] =
    [TokenKind::Login, TokenKind::Personal, TokenKind::Service];

impl Tokens<'_> {
    /// Revokes the owner's token `id`; [`Error::NotFound`] if the owner has
    /// no such live token (another account's token is not found either).
    pub async fn revoke(
        &self,
        owner: UserId,
        id: ApiTokenId,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        let d = self.d;
        let revoked = d
            .store
            .revoke_api_token(owner, id, d.clock.now())
            .await?
            .ok_or(Error::NotFound)?;
        self.revoked(&revoked, "owner", None, ctx).await;
        Ok(())
    }

    /// Revokes every token of the owner; returns how many.
    pub async fn revoke_all(&self, owner: UserId, ctx: &RequestContext) -> Result<u64, Error> {
        let d = self.d;
        let n = d
            .store
            .revoke_api_tokens_of(owner, &ALL_KINDS, d.clock.now())
            .await?;
        self.revoked_many(owner, n, "owner", None, ctx).await;
        Ok(n)
    }

    /// The tokens of `user`, for an administrator who may act on them.
    pub async fn list_of(
        &self,
        by: &Authorized<TokensManage>,
        user: UserId,
    ) -> Result<Vec<ApiToken>, Error> {
        let d = self.d;
        let a = d.begin_on_account(by.actor(), TOKENS_MANAGE, user).await?;
        let tokens = a.tx.api_tokens_of(user, d.clock.now()).await?;
        a.tx.commit().await?;
        Ok(tokens)
    }

    /// Revokes token `id` of `user` for an administrator who may act on
    /// the account.
    pub async fn revoke_of(
        &self,
        by: &Authorized<TokensManage>,
        user: UserId,
        id: ApiTokenId,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        let d = self.d;
        let a = d.begin_on_account(by.actor(), TOKENS_MANAGE, user).await?;
        let revoked =
            a.tx.revoke_api_token(user, id, d.clock.now())
                .await?
                .ok_or(Error::NotFound)?;
        a.tx.commit().await?;
        self.revoked(&revoked, "administrator", Some(&a.actor), ctx)
            .await;
        Ok(())
    }

    /// Revokes every token of `user` for an administrator who may act on
    /// the account; returns how many.
    pub async fn revoke_all_of(
        &self,
        by: &Authorized<TokensManage>,
        user: UserId,
        ctx: &RequestContext,
    ) -> Result<u64, Error> {
        let d = self.d;
        let a = d.begin_on_account(by.actor(), TOKENS_MANAGE, user).await?;
        let n =
            a.tx.revoke_api_tokens_of(user, &ALL_KINDS, d.clock.now())
                .await?;
        a.tx.commit().await?;
        self.revoked_many(user, n, "administrator", Some(&a.actor), ctx)
            .await;
        Ok(n)
    }

    async fn revoked(
        &self,
        token: &ApiToken,
        reason: &str,
        admin: Option<&Actor>,
        ctx: &RequestContext,
    ) {
        let d = self.d;
        let event = d
            .event(AuditKind::TokenRevoked, ctx)
            .target(token.user_id)
            .detail("token_id", token.id.0)
            .detail("name", token.name.as_str())
            .detail("kind", token.kind.as_str())
            .detail("reason", reason);
        let event = match admin {
            Some(actor) => acted_by(event, actor),
            None => event.by(token.user_id),
        };
        d.record(event).await;
    }

    /// Records that `n` tokens of `user` were revoked at once (nothing if
    /// none were).
    pub(crate) async fn revoked_many(
        &self,
        user: UserId,
        n: u64,
        reason: &str,
        admin: Option<&Actor>,
        ctx: &RequestContext,
    ) {
        if n == 0 {
            return;
        }
        let d = self.d;
        let event = d
            .event(AuditKind::TokenRevoked, ctx)
            .target(user)
            .detail("all", n)
            .detail("reason", reason);
        let event = match admin {
            Some(actor) => acted_by(event, actor),
            None => event.by(user),
        };
        d.record(event).await;
    }
}
