//! `RoleStore`: roles and who holds them.

/// Implements `RoleStore` for `$store`, a struct with a `pool: sqlx::Pool<$db>`
/// field (see `impl_store!`).
macro_rules! impl_role_store {
    (store = $store:ty, db = $db:ty, unique_field_of = $unique:path $(,)?) => {
        #[async_trait::async_trait]
        impl portcullis_core::store::RoleStore for $store {
            async fn ensure_role(
                &self,
                name: &str,
                description: &str,
            ) -> Result<(), portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::roles::ENSURE_ROLE)
                    .bind(name)
                    .bind(description)
                    .execute(&self.pool)
                    .await
                    .map(drop)
                    .map_err(|err| $crate::error::write_error(err, $unique))
            }

            async fn grant_role(
                &self,
                user: portcullis_core::UserId,
                role: &str,
            ) -> Result<(), portcullis_core::StoreError> {
                let done = sqlx::query::<$db>($crate::sql::roles::GRANT_ROLE)
                    .bind(user.0)
                    .bind(role)
                    .execute(&self.pool)
                    .await
                    .map_err(|err| $crate::error::write_error(err, $unique))?;
                if done.rows_affected() > 0 {
                    return Ok(());
                }
                // Nothing inserted: either the grant exists (fine) or the user
                // or the role does not.
                let existing = sqlx::query_scalar::<$db, i64>($crate::sql::roles::GRANT_EXISTS)
                    .bind(user.0)
                    .bind(role)
                    .fetch_one(&self.pool)
                    .await
                    .map_err($crate::error::backend)?;
                if existing > 0 {
                    Ok(())
                } else {
                    Err(portcullis_core::StoreError::NotFound)
                }
            }

            async fn roles_of(
                &self,
                user: portcullis_core::UserId,
            ) -> Result<Vec<portcullis_core::Role>, portcullis_core::StoreError> {
                sqlx::query_as::<$db, $crate::rows::RoleRow>($crate::sql::roles::ROLES_OF)
                    .bind(user.0)
                    .fetch_all(&self.pool)
                    .await
                    .map(|rows| rows.into_iter().map(|row| row.0).collect())
                    .map_err($crate::error::backend)
            }
        }
    };
}

pub(crate) use impl_role_store;
