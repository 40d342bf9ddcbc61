//! `ApiTokenStore`: API tokens, by the hash of their secret.

/// Implements `ApiTokenStore` for `$store`, a struct with an
/// `exec: Exec<$db>` field (see `impl_store!`).
macro_rules! impl_api_token_store {
    (store = $store:ty, db = $db:ty, unique_field_of = $unique:path $(,)?) => {
        #[async_trait::async_trait]
        impl portcullis_core::store::ApiTokenStore for $store {
            async fn create_api_token(
                &self,
                new: &portcullis_core::store::NewApiToken,
            ) -> Result<portcullis_core::domain::api_token::ApiToken, portcullis_core::StoreError>
            {
                use $crate::timestamp::{Timestamp, opt};
                sqlx::query_as::<$db, $crate::rows::ApiTokenRow>(
                    $crate::sql::api_tokens::INSERT_TOKEN,
                )
                .bind(new.token_hash.as_str())
                .bind(new.user_id.0)
                .bind(new.kind.as_str())
                .bind(&new.name)
                .bind($crate::rows::scopes_to(&new.scopes))
                .bind(Timestamp::new(new.created_at))
                .bind(opt(new.expires_at))
                .bind(new.created_by.map(|u| u.0))
                .fetch_one(&mut *self.exec.conn().await?)
                .await
                .map(|row| row.0)
                .map_err(|err| $crate::error::write_error(err, $unique))
            }

            async fn resolve_api_token(
                &self,
                hash: &portcullis_core::TokenHash,
            ) -> Result<Option<portcullis_core::store::ResolvedToken>, portcullis_core::StoreError>
            {
                sqlx::query_as::<$db, $crate::rows::ResolvedTokenRow>(
                    $crate::sql::api_tokens::RESOLVE_TOKEN,
                )
                .bind(hash.as_str())
                .fetch_all(&mut *self.exec.conn().await?)
                .await
                .map($crate::rows::ResolvedTokenRow::fold)
                .map_err($crate::error::backend)
            }

            async fn touch_api_token(
                &self,
                id: portcullis_core::domain::api_token::ApiTokenId,
                at: time::OffsetDateTime,
                ip: Option<&str>,
                stale_before: time::OffsetDateTime,
            ) -> Result<(), portcullis_core::StoreError> {
                use $crate::timestamp::Timestamp;
                sqlx::query::<$db>($crate::sql::api_tokens::TOUCH_TOKEN)
                    .bind(id.0)
                    .bind(Timestamp::new(at))
                    .bind(ip)
                    .bind(Timestamp::new(stale_before))
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(drop)
                    .map_err($crate::error::backend)
            }

            async fn api_tokens_of(
                &self,
                user: portcullis_core::UserId,
                now: time::OffsetDateTime,
            ) -> Result<
                Vec<portcullis_core::domain::api_token::ApiToken>,
                portcullis_core::StoreError,
            > {
                sqlx::query_as::<$db, $crate::rows::ApiTokenRow>($crate::sql::api_tokens::TOKENS_OF)
                    .bind(user.0)
                    .bind($crate::timestamp::Timestamp::new(now))
                    .fetch_all(&mut *self.exec.conn().await?)
                    .await
                    .map(|rows| rows.into_iter().map(|r| r.0).collect())
                    .map_err($crate::error::backend)
            }

            async fn revoke_api_token(
                &self,
                user: portcullis_core::UserId,
                id: portcullis_core::domain::api_token::ApiTokenId,
                at: time::OffsetDateTime,
            ) -> Result<
                Option<portcullis_core::domain::api_token::ApiToken>,
                portcullis_core::StoreError,
            > {
                sqlx::query_as::<$db, $crate::rows::ApiTokenRow>(
                    $crate::sql::api_tokens::REVOKE_TOKEN,
                )
                .bind(user.0)
                .bind(id.0)
                .bind($crate::timestamp::Timestamp::new(at))
                .fetch_optional(&mut *self.exec.conn().await?)
                .await
                .map(|row| row.map(|r| r.0))
                .map_err($crate::error::backend)
            }

            async fn revoke_api_tokens_of(
                &self,
                user: portcullis_core::UserId,
                kinds: &[portcullis_core::domain::api_token::TokenKind],
                at: time::OffsetDateTime,
            ) -> Result<u64, portcullis_core::StoreError> {
                let Some(first) = kinds.first() else {
                    return Ok(0);
                };
                let kind = |i: usize| kinds.get(i).unwrap_or(first).as_str();
                sqlx::query::<$db>($crate::sql::api_tokens::REVOKE_TOKENS_OF)
                    .bind(user.0)
                    .bind($crate::timestamp::Timestamp::new(at))
                    .bind(kind(0))
                    .bind(kind(1))
                    .bind(kind(2))
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(|done| done.rows_affected())
                    .map_err($crate::error::backend)
            }

            async fn purge_api_tokens(
                &self,
                before: time::OffsetDateTime,
            ) -> Result<u64, portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::api_tokens::PURGE_TOKENS)
                    .bind($crate::timestamp::Timestamp::new(before))
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(|done| done.rows_affected())
                    .map_err($crate::error::backend)
            }
        }
    };
}

pub(crate) use impl_api_token_store;
