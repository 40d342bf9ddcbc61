//! `ImportStore`: which accounts an import created, and their login history.

/// Implements `ImportStore` for `$store`, a struct with an `exec: Exec<$db>`
/// field (see `impl_store!`).
macro_rules! impl_import_store {
    (store = $store:ty, db = $db:ty, unique_field_of = $unique:path $(,)?) => {
        #[async_trait::async_trait]
        impl portcullis_core::store::ImportStore for $store {
            async fn imported_account(
                &self,
                source: &str,
                source_id: &str,
            ) -> Result<Option<portcullis_core::UserId>, portcullis_core::StoreError> {
                sqlx::query_scalar::<$db, i64>($crate::sql::imports::IMPORTED_ACCOUNT)
                    .bind(source)
                    .bind(source_id)
                    .fetch_optional(&mut *self.exec.conn().await?)
                    .await
                    .map(|id| id.map(portcullis_core::UserId))
                    .map_err($crate::error::backend)
            }

            async fn record_import(
                &self,
                source: &str,
                source_id: &str,
                user: portcullis_core::UserId,
                at: time::OffsetDateTime,
            ) -> Result<(), portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::imports::RECORD_IMPORT)
                    .bind(source)
                    .bind(source_id)
                    .bind(user.0)
                    .bind($crate::timestamp::Timestamp::new(at))
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(|_| ())
                    .map_err(|err| $crate::error::write_error(err, $unique))
            }

            async fn set_login_history(
                &self,
                user: portcullis_core::UserId,
                history: &portcullis_core::store::LoginHistory,
            ) -> Result<(), portcullis_core::StoreError> {
                use $crate::timestamp::Timestamp;
                sqlx::query::<$db>($crate::sql::imports::SET_LOGIN_HISTORY)
                    .bind(user.0)
                    .bind(history.current_login_at.map(Timestamp::new))
                    .bind(history.current_login_ip.as_deref())
                    .bind(history.last_login_at.map(Timestamp::new))
                    .bind(history.last_login_ip.as_deref())
                    .bind(history.login_count)
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(|_| ())
                    .map_err($crate::error::backend)
            }
        }
    };
}

pub(crate) use impl_import_store;
