//! `ImportStore`: which accounts an import created, and their login history.

/// Implements `ImportStore` for `$store`, a struct with an `exec: Exec<$db>`
/// field (see `impl_store!`).
macro_rules! impl_import_store {
    (store = $store:ty, db = $db:ty, unique_field_of = $unique:path $(,)?) => {
        #[async_trait::async_trait]
        impl portcullis_core::store::ImportStore for $store {
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

            async fn imported_accounts(
                &self,
                source: &str,
            ) -> Result<Vec<(String, portcullis_core::UserId)>, portcullis_core::StoreError> {
                sqlx::query_as::<$db, (String, i64)>($crate::sql::imports::IMPORTED_ACCOUNTS)
                    .bind(source)
                    .fetch_all(&mut *self.exec.conn().await?)
                    .await
                    .map(|rows| {
                        rows.into_iter()
                            .map(|(id, user)| (id, portcullis_core::UserId(user)))
                            .collect()
                    })
                    .map_err($crate::error::backend)
            }

            async fn login_keys(
                &self,
            ) -> Result<Vec<(String, Option<String>)>, portcullis_core::StoreError> {
                sqlx::query_as::<$db, (String, Option<String>)>($crate::sql::imports::LOGIN_KEYS)
                    .fetch_all(&mut *self.exec.conn().await?)
                    .await
                    .map_err($crate::error::backend)
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
