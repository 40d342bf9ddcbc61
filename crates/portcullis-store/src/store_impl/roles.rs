//! `RoleStore`: roles, their permissions, and who holds them.

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
                    .execute(&mut *self.exec.conn().await?)
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
                    .execute(&mut *self.exec.conn().await?)
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
                    .fetch_one(&mut *self.exec.conn().await?)
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
                    .fetch_all(&mut *self.exec.conn().await?)
                    .await
                    .map(|rows| rows.into_iter().map(|row| row.0).collect())
                    .map_err($crate::error::backend)
            }

            async fn revoke_role(
                &self,
                user: portcullis_core::UserId,
                role: &str,
            ) -> Result<bool, portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::roles::REVOKE_ROLE)
                    .bind(user.0)
                    .bind(role)
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(|done| done.rows_affected() > 0)
                    .map_err($crate::error::backend)
            }

            async fn permissions_of(
                &self,
                user: portcullis_core::UserId,
            ) -> Result<Vec<String>, portcullis_core::StoreError> {
                sqlx::query_scalar::<$db, String>($crate::sql::roles::PERMISSIONS_OF)
                    .bind(user.0)
                    .fetch_all(&mut *self.exec.conn().await?)
                    .await
                    .map_err($crate::error::backend)
            }

            async fn list_roles(
                &self,
            ) -> Result<Vec<portcullis_core::domain::role::RoleInfo>, portcullis_core::StoreError>
            {
                let rows = sqlx::query_as::<$db, $crate::rows::RolePermissionRow>(
                    $crate::sql::roles::LIST_ROLES,
                )
                .fetch_all(&mut *self.exec.conn().await?)
                .await
                .map_err($crate::error::backend)?;
                let grantors = sqlx::query_as::<$db, (String, String)>(
                    $crate::sql::roles::LIST_GRANTORS,
                )
                .fetch_all(&mut *self.exec.conn().await?)
                .await
                .map_err($crate::error::backend)?;
                Ok($crate::rows::role_infos(rows, grantors))
            }

            async fn role(
                &self,
                name: &str,
            ) -> Result<Option<portcullis_core::domain::role::RoleInfo>, portcullis_core::StoreError>
            {
                let rows = sqlx::query_as::<$db, $crate::rows::RolePermissionRow>(
                    $crate::sql::roles::ROLE_BY_NAME,
                )
                .bind(name)
                .fetch_all(&mut *self.exec.conn().await?)
                .await
                .map_err($crate::error::backend)?;
                if rows.is_empty() {
                    return Ok(None);
                }
                let grantors = sqlx::query_as::<$db, (String, String)>(
                    $crate::sql::roles::GRANTORS_OF,
                )
                .bind(name)
                .fetch_all(&mut *self.exec.conn().await?)
                .await
                .map_err($crate::error::backend)?;
                Ok($crate::rows::role_infos(rows, grantors).pop())
            }

            async fn create_role(
                &self,
                name: &str,
                description: &str,
                at: time::OffsetDateTime,
            ) -> Result<(), portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::roles::CREATE_ROLE)
                    .bind(name)
                    .bind(description)
                    .bind($crate::timestamp::Timestamp::new(at))
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(drop)
                    .map_err(|err| $crate::error::write_error(err, $unique))
            }

            async fn set_role_description(
                &self,
                name: &str,
                description: &str,
            ) -> Result<(), portcullis_core::StoreError> {
                let done = sqlx::query::<$db>($crate::sql::roles::SET_ROLE_DESCRIPTION)
                    .bind(name)
                    .bind(description)
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map_err($crate::error::backend)?;
                $crate::error::found(done.rows_affected())
            }

            async fn set_role_permissions(
                &self,
                name: &str,
                permissions: &[String],
            ) -> Result<(), portcullis_core::StoreError> {
                use $crate::error::backend;
                // One transaction: readers see the old set or the new one,
                // never a half-replaced one. Dropped without commit on any
                // error, which rolls it back.
                let mut conn = self.exec.conn().await?;
                // A savepoint when the store is itself a transaction.
                let mut tx = sqlx::Connection::begin(&mut *conn).await.map_err(backend)?;
                let role_id = sqlx::query_scalar::<$db, i64>($crate::sql::roles::LOCK_ROLE)
                    .bind(name)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(backend)?
                    .ok_or(portcullis_core::StoreError::NotFound)?;
                sqlx::query::<$db>($crate::sql::roles::CLEAR_ROLE_PERMISSIONS)
                    .bind(role_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                for permission in permissions {
                    sqlx::query::<$db>($crate::sql::roles::ADD_ROLE_PERMISSION)
                        .bind(role_id)
                        .bind(permission)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                }
                tx.commit().await.map_err(backend)
            }

            async fn delete_role(&self, name: &str) -> Result<(), portcullis_core::StoreError> {
                let done = sqlx::query::<$db>($crate::sql::roles::DELETE_ROLE)
                    .bind(name)
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map_err($crate::error::backend)?;
                $crate::error::found(done.rows_affected())
            }

            async fn lock_role(&self, name: &str) -> Result<bool, portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::roles::LOCK_ROLE_ROW)
                    .bind(name)
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(|done| done.rows_affected() > 0)
                    .map_err($crate::error::backend)
            }

            async fn set_role_grantors(
                &self,
                name: &str,
                grantors: &[String],
            ) -> Result<(), portcullis_core::StoreError> {
                use $crate::error::backend;
                let mut conn = self.exec.conn().await?;
                let mut tx = sqlx::Connection::begin(&mut *conn).await.map_err(backend)?;
                let role_id = sqlx::query_scalar::<$db, i64>($crate::sql::roles::LOCK_ROLE)
                    .bind(name)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(backend)?
                    .ok_or(portcullis_core::StoreError::NotFound)?;
                sqlx::query::<$db>($crate::sql::roles::CLEAR_ROLE_GRANTORS)
                    .bind(role_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                for grantor in grantors {
                    let done = sqlx::query::<$db>($crate::sql::roles::ADD_ROLE_GRANTOR)
                        .bind(role_id)
                        .bind(grantor)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                    if done.rows_affected() == 0 {
                        return Err(portcullis_core::StoreError::NotFound);
                    }
                }
                tx.commit().await.map_err(backend)
            }

            async fn roles_of_users(
                &self,
                users: &[portcullis_core::UserId],
            ) -> Result<Vec<(portcullis_core::UserId, String)>, portcullis_core::StoreError> {
                if users.is_empty() {
                    return Ok(Vec::new());
                }
                $crate::sql::with_ids::<$db>($crate::sql::roles::ROLES_OF_USERS, users)
                    .build_query_as::<(i64, String)>()
                    .fetch_all(&mut *self.exec.conn().await?)
                    .await
                    .map(|rows| {
                        rows.into_iter()
                            .map(|(id, name)| (portcullis_core::UserId(id), name))
                            .collect()
                    })
                    .map_err($crate::error::backend)
            }

            async fn count_active_members(
                &self,
                role: &str,
            ) -> Result<i64, portcullis_core::StoreError> {
                sqlx::query_scalar::<$db, i64>($crate::sql::roles::COUNT_ACTIVE_MEMBERS)
                    .bind(role)
                    .fetch_one(&mut *self.exec.conn().await?)
                    .await
                    .map_err($crate::error::backend)
            }
        }
    };
}

pub(crate) use impl_role_store;
