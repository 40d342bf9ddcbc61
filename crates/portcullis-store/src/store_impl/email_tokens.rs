//! `EmailStore`: single-use emailed tokens and the account changes they
//! lead to.

/// Implements `EmailStore` for `$store`, a struct with a
/// `pool: sqlx::Pool<$db>` field (see `impl_store!`).
macro_rules! impl_email_store {
    (store = $store:ty, db = $db:ty, unique_field_of = $unique:path $(,)?) => {
        #[async_trait::async_trait]
        impl portcullis_core::store::EmailStore for $store {
            async fn issue_email_token(
                &self,
                new: &portcullis_core::store::NewEmailToken,
            ) -> Result<(), portcullis_core::StoreError> {
                let mut conn = self.exec.conn().await?;
                // A savepoint when the store is itself a transaction.
                let mut tx = sqlx::Connection::begin(&mut *conn)
                    .await
                    .map_err($crate::error::backend)?;
                sqlx::query::<$db>($crate::sql::email_tokens::VOID_TOKENS)
                    .bind(new.user_id.0)
                    .bind(new.purpose.as_str())
                    .bind($crate::timestamp::Timestamp::new(new.created_at))
                    .execute(&mut *tx)
                    .await
                    .map_err($crate::error::backend)?;
                sqlx::query::<$db>($crate::sql::email_tokens::INSERT_TOKEN)
                    .bind(new.purpose.as_str())
                    .bind(new.user_id.0)
                    .bind(new.token_hash.as_str())
                    .bind(new.new_email.as_deref())
                    .bind($crate::timestamp::Timestamp::new(new.created_at))
                    .bind($crate::timestamp::Timestamp::new(new.expires_at))
                    .execute(&mut *tx)
                    .await
                    .map_err(|err| $crate::error::write_error(err, $unique))?;
                tx.commit().await.map_err($crate::error::backend)
            }

            async fn peek_email_token(
                &self,
                hash: &portcullis_core::TokenHash,
                purpose: portcullis_core::TokenPurpose,
                now: time::OffsetDateTime,
            ) -> Result<Option<portcullis_core::store::EmailTokenGrant>, portcullis_core::StoreError>
            {
                sqlx::query_as::<$db, (i64, Option<String>)>($crate::sql::email_tokens::PEEK_TOKEN)
                    .bind(hash.as_str())
                    .bind(purpose.as_str())
                    .bind($crate::timestamp::Timestamp::new(now))
                    .fetch_optional(&mut *self.exec.conn().await?)
                    .await
                    .map(|row| row.map($crate::store_impl::email_tokens::grant))
                    .map_err($crate::error::backend)
            }

            async fn redeem_email_token(
                &self,
                hash: &portcullis_core::TokenHash,
                purpose: portcullis_core::TokenPurpose,
                now: time::OffsetDateTime,
            ) -> Result<Option<portcullis_core::store::EmailTokenGrant>, portcullis_core::StoreError>
            {
                sqlx::query_as::<$db, (i64, Option<String>)>(
                    $crate::sql::email_tokens::REDEEM_TOKEN,
                )
                .bind(hash.as_str())
                .bind(purpose.as_str())
                .bind($crate::timestamp::Timestamp::new(now))
                .fetch_optional(&mut *self.exec.conn().await?)
                .await
                .map(|row| row.map($crate::store_impl::email_tokens::grant))
                .map_err($crate::error::backend)
            }

            async fn pending_email_change(
                &self,
                user: portcullis_core::UserId,
                now: time::OffsetDateTime,
            ) -> Result<Option<portcullis_core::store::PendingEmailChange>, portcullis_core::StoreError>
            {
                use $crate::timestamp::Timestamp;
                sqlx::query_as::<$db, (String, Timestamp)>(
                    $crate::sql::email_tokens::PENDING_CHANGE,
                )
                .bind(user.0)
                .bind(Timestamp::new(now))
                .fetch_optional(&mut *self.exec.conn().await?)
                .await
                .map(|row| {
                    row.map(|(new_email, sent_at)| portcullis_core::store::PendingEmailChange {
                        new_email,
                        sent_at: sent_at.get(),
                    })
                })
                .map_err($crate::error::backend)
            }

            async fn void_email_tokens(
                &self,
                user: portcullis_core::UserId,
                purpose: portcullis_core::TokenPurpose,
                now: time::OffsetDateTime,
            ) -> Result<u64, portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::email_tokens::VOID_TOKENS)
                    .bind(user.0)
                    .bind(purpose.as_str())
                    .bind($crate::timestamp::Timestamp::new(now))
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(|done| done.rows_affected())
                    .map_err($crate::error::backend)
            }

            async fn purge_email_tokens(
                &self,
                now: time::OffsetDateTime,
            ) -> Result<u64, portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::email_tokens::PURGE_TOKENS)
                    .bind($crate::timestamp::Timestamp::new(now))
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(|done| done.rows_affected())
                    .map_err($crate::error::backend)
            }

            async fn mark_confirmed(
                &self,
                user: portcullis_core::UserId,
                at: time::OffsetDateTime,
            ) -> Result<(), portcullis_core::StoreError> {
                let done = sqlx::query::<$db>($crate::sql::email_tokens::MARK_CONFIRMED)
                    .bind(user.0)
                    .bind($crate::timestamp::Timestamp::new(at))
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map_err($crate::error::backend)?;
                $crate::error::found(done.rows_affected())
            }

            async fn mark_unconfirmed(
                &self,
                user: portcullis_core::UserId,
            ) -> Result<(), portcullis_core::StoreError> {
                let done = sqlx::query::<$db>($crate::sql::email_tokens::MARK_UNCONFIRMED)
                    .bind(user.0)
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map_err($crate::error::backend)?;
                $crate::error::found(done.rows_affected())
            }

            async fn change_email(
                &self,
                user: portcullis_core::UserId,
                email: &str,
                email_key: &str,
                at: time::OffsetDateTime,
            ) -> Result<(), portcullis_core::StoreError> {
                let done = sqlx::query::<$db>($crate::sql::email_tokens::CHANGE_EMAIL)
                    .bind(user.0)
                    .bind(email)
                    .bind(email_key)
                    .bind($crate::timestamp::Timestamp::new(at))
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map_err(|err| $crate::error::write_error(err, $unique))?;
                $crate::error::found(done.rows_affected())
            }
        }
    };
}

pub(crate) use impl_email_store;

/// A `(user_id, new_email)` row as a grant.
pub(crate) fn grant(row: (i64, Option<String>)) -> portcullis_core::store::EmailTokenGrant {
    portcullis_core::store::EmailTokenGrant {
        user_id: portcullis_core::UserId(row.0),
        new_email: row.1,
    }
}
