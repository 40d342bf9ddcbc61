//! `TwoFactorStore`: TOTP credentials and recovery codes.

/// Implements `TwoFactorStore` for `$store`, a struct with an
/// `exec: Exec<$db>` field (see `impl_store!`).
macro_rules! impl_two_factor_store {
    (store = $store:ty, db = $db:ty, unique_field_of = $unique:path $(,)?) => {
        #[async_trait::async_trait]
        impl portcullis_core::store::TwoFactorStore for $store {
            async fn totp_of(
                &self,
                user: portcullis_core::UserId,
            ) -> Result<Option<portcullis_core::store::TotpRecord>, portcullis_core::StoreError>
            {
                use $crate::timestamp::Timestamp;
                sqlx::query_as::<$db, (String, Timestamp, Option<Timestamp>, Option<i64>)>(
                    $crate::sql::two_factor::TOTP_OF,
                )
                .bind(user.0)
                .fetch_optional(&mut *self.exec.conn().await?)
                .await
                .map(|row| {
                    row.map(|(sealed_secret, created_at, confirmed_at, last_step)| {
                        portcullis_core::store::TotpRecord {
                            sealed_secret,
                            created_at: created_at.get(),
                            confirmed_at: confirmed_at.map(Timestamp::get),
                            last_step,
                        }
                    })
                })
                .map_err($crate::error::backend)
            }

            async fn put_pending_totp(
                &self,
                user: portcullis_core::UserId,
                sealed: &str,
                at: time::OffsetDateTime,
            ) -> Result<bool, portcullis_core::StoreError> {
                sqlx::query_scalar::<$db, i64>($crate::sql::two_factor::PUT_PENDING)
                    .bind(user.0)
                    .bind(sealed)
                    .bind($crate::timestamp::Timestamp::new(at))
                    .fetch_optional(&mut *self.exec.conn().await?)
                    .await
                    .map(|row| row.is_some())
                    .map_err(|err| $crate::error::write_error(err, $unique))
            }

            async fn confirm_totp(
                &self,
                user: portcullis_core::UserId,
                step: i64,
                at: time::OffsetDateTime,
            ) -> Result<bool, portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::two_factor::CONFIRM)
                    .bind(user.0)
                    .bind(step)
                    .bind($crate::timestamp::Timestamp::new(at))
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(|done| done.rows_affected() > 0)
                    .map_err($crate::error::backend)
            }

            async fn accept_totp_step(
                &self,
                user: portcullis_core::UserId,
                step: i64,
            ) -> Result<bool, portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::two_factor::ACCEPT_STEP)
                    .bind(user.0)
                    .bind(step)
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(|done| done.rows_affected() > 0)
                    .map_err($crate::error::backend)
            }

            async fn reseal_totp(
                &self,
                user: portcullis_core::UserId,
                sealed: &str,
            ) -> Result<(), portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::two_factor::RESEAL)
                    .bind(user.0)
                    .bind(sealed)
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(drop)
                    .map_err($crate::error::backend)
            }

            async fn delete_totp(
                &self,
                user: portcullis_core::UserId,
            ) -> Result<bool, portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::two_factor::DELETE_TOTP)
                    .bind(user.0)
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(|done| done.rows_affected() > 0)
                    .map_err($crate::error::backend)
            }

            async fn replace_recovery_codes(
                &self,
                user: portcullis_core::UserId,
                hashes: &[portcullis_core::TokenHash],
                at: time::OffsetDateTime,
            ) -> Result<(), portcullis_core::StoreError> {
                use $crate::error::backend;
                let mut conn = self.exec.conn().await?;
                // A savepoint when the store is itself a transaction: the old
                // set and the new are never both, or neither, usable.
                let mut tx = sqlx::Connection::begin(&mut *conn).await.map_err(backend)?;
                sqlx::query::<$db>($crate::sql::two_factor::DELETE_CODES)
                    .bind(user.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                for hash in hashes {
                    sqlx::query::<$db>($crate::sql::two_factor::INSERT_CODE)
                        .bind(user.0)
                        .bind(hash.as_str())
                        .bind($crate::timestamp::Timestamp::new(at))
                        .execute(&mut *tx)
                        .await
                        .map_err(|err| $crate::error::write_error(err, $unique))?;
                }
                tx.commit().await.map_err(backend)
            }

            async fn use_recovery_code(
                &self,
                user: portcullis_core::UserId,
                hash: &portcullis_core::TokenHash,
                at: time::OffsetDateTime,
            ) -> Result<bool, portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::two_factor::USE_CODE)
                    .bind(user.0)
                    .bind(hash.as_str())
                    .bind($crate::timestamp::Timestamp::new(at))
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(|done| done.rows_affected() > 0)
                    .map_err($crate::error::backend)
            }

            async fn recovery_codes_left(
                &self,
                user: portcullis_core::UserId,
            ) -> Result<i64, portcullis_core::StoreError> {
                sqlx::query_scalar::<$db, i64>($crate::sql::two_factor::CODES_LEFT)
                    .bind(user.0)
                    .fetch_one(&mut *self.exec.conn().await?)
                    .await
                    .map_err($crate::error::backend)
            }

            async fn delete_recovery_codes(
                &self,
                user: portcullis_core::UserId,
            ) -> Result<u64, portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::two_factor::DELETE_CODES)
                    .bind(user.0)
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(|done| done.rows_affected())
                    .map_err($crate::error::backend)
            }
        }
    };
}

pub(crate) use impl_two_factor_store;
