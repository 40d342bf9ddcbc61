//! `PasskeyStore`: passkeys, the accounts' WebAuthn handles and ceremonies
//! in flight.

/// Implements `PasskeyStore` for `$store`, a struct with an
/// `exec: Exec<$db>` field (see `impl_store!`).
macro_rules! impl_passkey_store {
    (store = $store:ty, db = $db:ty, unique_field_of = $unique:path $(,)?) => {
        #[async_trait::async_trait]
        impl portcullis_core::store::PasskeyStore for $store {
            async fn webauthn_handle(
                &self,
                user: portcullis_core::UserId,
                candidate: &str,
            ) -> Result<String, portcullis_core::StoreError> {
                use $crate::error::backend;
                let mut conn = self.exec.conn().await?;
                sqlx::query::<$db>($crate::sql::passkeys::PUT_HANDLE)
                    .bind(user.0)
                    .bind(candidate)
                    .execute(&mut *conn)
                    .await
                    .map_err(|err| $crate::error::write_error(err, $unique))?;
                sqlx::query_scalar::<$db, String>($crate::sql::passkeys::HANDLE_OF)
                    .bind(user.0)
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(backend)
            }

            async fn user_of_webauthn_handle(
                &self,
                handle: &str,
            ) -> Result<Option<portcullis_core::UserId>, portcullis_core::StoreError> {
                sqlx::query_scalar::<$db, i64>($crate::sql::passkeys::USER_OF_HANDLE)
                    .bind(handle)
                    .fetch_optional(&mut *self.exec.conn().await?)
                    .await
                    .map(|id| id.map(portcullis_core::UserId))
                    .map_err($crate::error::backend)
            }

            async fn add_passkey(
                &self,
                new: &portcullis_core::domain::passkey::NewPasskey,
            ) -> Result<portcullis_core::domain::passkey::PasskeyInfo, portcullis_core::StoreError>
            {
                sqlx::query_as::<$db, $crate::rows::PasskeyRow>($crate::sql::passkeys::INSERT)
                    .bind(new.user_id.0)
                    .bind(&new.credential_id)
                    .bind(&new.name)
                    .bind(&new.credential)
                    .bind(new.sign_count)
                    .bind(new.backup_eligible)
                    .bind(new.backed_up)
                    .bind($crate::timestamp::Timestamp::new(new.created_at))
                    .fetch_one(&mut *self.exec.conn().await?)
                    .await
                    .map(|row| row.0.info)
                    .map_err(|err| $crate::error::write_error(err, $unique))
            }

            async fn passkeys_of(
                &self,
                user: portcullis_core::UserId,
            ) -> Result<
                Vec<portcullis_core::domain::passkey::StoredPasskey>,
                portcullis_core::StoreError,
            > {
                sqlx::query_as::<$db, $crate::rows::PasskeyRow>($crate::sql::passkeys::OF_USER)
                    .bind(user.0)
                    .fetch_all(&mut *self.exec.conn().await?)
                    .await
                    .map(|rows| rows.into_iter().map(|r| r.0).collect())
                    .map_err($crate::error::backend)
            }

            async fn passkey_by_credential(
                &self,
                credential_id: &str,
            ) -> Result<
                Option<portcullis_core::domain::passkey::StoredPasskey>,
                portcullis_core::StoreError,
            > {
                sqlx::query_as::<$db, $crate::rows::PasskeyRow>(
                    $crate::sql::passkeys::BY_CREDENTIAL,
                )
                .bind(credential_id)
                .fetch_optional(&mut *self.exec.conn().await?)
                .await
                .map(|row| row.map(|r| r.0))
                .map_err($crate::error::backend)
            }

            async fn rename_passkey(
                &self,
                user: portcullis_core::UserId,
                id: portcullis_core::domain::passkey::PasskeyId,
                name: &str,
            ) -> Result<bool, portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::passkeys::RENAME)
                    .bind(user.0)
                    .bind(id.0)
                    .bind(name)
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(|done| done.rows_affected() > 0)
                    .map_err($crate::error::backend)
            }

            async fn delete_passkey(
                &self,
                user: portcullis_core::UserId,
                id: portcullis_core::domain::passkey::PasskeyId,
            ) -> Result<
                Option<portcullis_core::domain::passkey::PasskeyInfo>,
                portcullis_core::StoreError,
            > {
                sqlx::query_as::<$db, $crate::rows::PasskeyRow>($crate::sql::passkeys::DELETE)
                    .bind(user.0)
                    .bind(id.0)
                    .fetch_optional(&mut *self.exec.conn().await?)
                    .await
                    .map(|row| row.map(|r| r.0.info))
                    .map_err($crate::error::backend)
            }

            async fn delete_passkeys_of(
                &self,
                user: portcullis_core::UserId,
            ) -> Result<u64, portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::passkeys::DELETE_OF_USER)
                    .bind(user.0)
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(|done| done.rows_affected())
                    .map_err($crate::error::backend)
            }

            async fn record_passkey_use(
                &self,
                used: &portcullis_core::domain::passkey::PasskeyUse,
            ) -> Result<bool, portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::passkeys::RECORD_USE)
                    .bind(used.id.0)
                    .bind(used.sign_count)
                    .bind(&used.credential)
                    .bind(used.backed_up)
                    .bind($crate::timestamp::Timestamp::new(used.at))
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(|done| done.rows_affected() == 1)
                    .map_err($crate::error::backend)
            }

            async fn create_ceremony(
                &self,
                key_hash: &portcullis_core::TokenHash,
                ceremony: &portcullis_core::domain::passkey::Ceremony,
                cap: i64,
            ) -> Result<bool, portcullis_core::StoreError> {
                use $crate::timestamp::Timestamp;
                sqlx::query::<$db>($crate::sql::passkeys::INSERT_CEREMONY)
                    .bind(key_hash.as_str())
                    .bind(ceremony.purpose.as_str())
                    .bind(ceremony.user_id.map(|u| u.0))
                    .bind(ceremony.session_id.map(|s| s.0))
                    .bind(&ceremony.state)
                    .bind(Timestamp::new(ceremony.created_at))
                    .bind(Timestamp::new(ceremony.expires_at))
                    .bind(cap)
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(|done| done.rows_affected() == 1)
                    .map_err(|err| $crate::error::write_error(err, $unique))
            }

            async fn take_ceremony(
                &self,
                key_hash: &portcullis_core::TokenHash,
            ) -> Result<
                Option<portcullis_core::domain::passkey::Ceremony>,
                portcullis_core::StoreError,
            > {
                sqlx::query_as::<$db, $crate::rows::CeremonyRow>(
                    $crate::sql::passkeys::TAKE_CEREMONY,
                )
                .bind(key_hash.as_str())
                .fetch_optional(&mut *self.exec.conn().await?)
                .await
                .map(|row| row.map(|r| r.0))
                .map_err($crate::error::backend)
            }

            async fn purge_ceremonies(
                &self,
                before: time::OffsetDateTime,
            ) -> Result<u64, portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::passkeys::PURGE_CEREMONIES)
                    .bind($crate::timestamp::Timestamp::new(before))
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(|done| done.rows_affected())
                    .map_err($crate::error::backend)
            }
        }
    };
}

pub(crate) use impl_passkey_store;
