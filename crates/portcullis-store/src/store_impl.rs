//! The [`Store`](portcullis_core::Store) traits, implemented once for both
//! backends.
//!
//! sqlx has no object-safe "any pool" that keeps each backend's own types, and
//! bounding a generic impl over `sqlx::Database` takes more where-clauses than
//! it has statements. A declarative macro instead expands the same bodies, over
//! the same SQL text ([`crate::sql`]), for each concrete pool type; each
//! backend passes in only what truly differs (how to name the unique
//! constraint that refused a write).

pub(crate) mod api_tokens;
pub(crate) mod audit;
pub(crate) mod email_tokens;
pub(crate) mod identities;
pub(crate) mod imports;
pub(crate) mod mail;
pub(crate) mod passkeys;
pub(crate) mod rate_limits;
pub(crate) mod roles;
pub(crate) mod sessions;
pub(crate) mod two_factor;
pub(crate) mod users;

/// Implements every store trait, `Store` and `Transaction` for `$store`, a
/// struct with an `exec: Exec<$db>` field (see [`crate::exec`]): one
/// submodule (and macro) per trait. `$begin` opens a transaction on the
/// backend's pool the way that backend needs.
macro_rules! impl_store {
    (store = $store:ident, db = $db:ty, unique_field_of = $unique:path, begin = $begin:path $(,)?) => {
        $crate::store_impl::users::impl_user_store!(
            store = $store,
            db = $db,
            unique_field_of = $unique
        );
        $crate::store_impl::roles::impl_role_store!(
            store = $store,
            db = $db,
            unique_field_of = $unique
        );
        $crate::store_impl::sessions::impl_session_store!(
            store = $store,
            db = $db,
            unique_field_of = $unique
        );
        $crate::store_impl::audit::impl_audit_store!(
            store = $store,
            db = $db,
            unique_field_of = $unique
        );
        $crate::store_impl::email_tokens::impl_email_store!(
            store = $store,
            db = $db,
            unique_field_of = $unique
        );
        $crate::store_impl::rate_limits::impl_rate_limit_store!(
            store = $store,
            db = $db,
            unique_field_of = $unique
        );
        $crate::store_impl::two_factor::impl_two_factor_store!(
            store = $store,
            db = $db,
            unique_field_of = $unique
        );
        $crate::store_impl::identities::impl_identity_store!(
            store = $store,
            db = $db,
            unique_field_of = $unique
        );
        $crate::store_impl::api_tokens::impl_api_token_store!(
            store = $store,
            db = $db,
            unique_field_of = $unique
        );
        $crate::store_impl::mail::impl_mail_store!(store = $store, db = $db);
        $crate::store_impl::passkeys::impl_passkey_store!(
            store = $store,
            db = $db,
            unique_field_of = $unique
        );
        $crate::store_impl::imports::impl_import_store!(
            store = $store,
            db = $db,
            unique_field_of = $unique
        );

        #[async_trait::async_trait]
        impl portcullis_core::Store for $store {
            async fn ping(&self) -> Result<(), portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::PING)
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(drop)
                    .map_err($crate::error::backend)
            }

            async fn analyze(&self) -> Result<(), portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::ANALYZE)
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(drop)
                    .map_err($crate::error::backend)
            }

            async fn begin(
                &self,
            ) -> Result<Box<dyn portcullis_core::Transaction>, portcullis_core::StoreError> {
                let Some(pool) = self.exec.pool() else {
                    // Nested transactions are not a thing the services use.
                    return Err(portcullis_core::StoreError::Backend(
                        "a transaction cannot begin inside a transaction".into(),
                    ));
                };
                let tx = $begin(pool).await.map_err($crate::error::backend)?;
                Ok(Box::new($store {
                    exec: $crate::exec::Exec::tx(tx),
                }))
            }
        }

        #[async_trait::async_trait]
        impl portcullis_core::Transaction for $store {
            async fn commit(self: Box<Self>) -> Result<(), portcullis_core::StoreError> {
                self.exec.commit().await
            }
        }
    };
}

pub(crate) use impl_store;
