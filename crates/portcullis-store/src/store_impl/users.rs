//! `UserStore`: accounts, credentials and login tracking.

/// Implements `UserStore` for `$store`, a struct with a `pool: sqlx::Pool<$db>`
/// field (see `impl_store!`).
macro_rules! impl_user_store {
    (store = $store:ty, db = $db:ty, unique_field_of = $unique:path $(,)?) => {
        #[async_trait::async_trait]
        impl portcullis_core::store::UserStore for $store {
            async fn create_user(
                &self,
                new: &portcullis_core::store::NewUser,
            ) -> Result<portcullis_core::User, portcullis_core::StoreError> {
                sqlx::query_as::<$db, $crate::rows::UserRow>($crate::sql::users::INSERT_USER)
                    .bind(&new.username)
                    .bind(&new.username_key)
                    .bind(&new.email)
                    .bind(&new.email_key)
                    .bind(&new.password_hash)
                    .bind(new.is_active)
                    .bind($crate::timestamp::opt(new.confirmed_at))
                    .bind($crate::timestamp::Timestamp::new(new.created_at))
                    .bind(new.kind.as_str())
                    .fetch_one(&mut *self.exec.conn().await?)
                    .await
                    .map(|row| row.0)
                    .map_err(|err| $crate::error::write_error(err, $unique))
            }

            async fn user_by_id(
                &self,
                id: portcullis_core::UserId,
            ) -> Result<Option<portcullis_core::User>, portcullis_core::StoreError> {
                sqlx::query_as::<$db, $crate::rows::UserRow>($crate::sql::users::USER_BY_ID)
                    .bind(id.0)
                    .fetch_optional(&mut *self.exec.conn().await?)
                    .await
                    .map(|row| row.map(|row| row.0))
                    .map_err($crate::error::backend)
            }

            async fn credential_by_login(
                &self,
                login_key: &str,
            ) -> Result<Option<portcullis_core::store::Credential>, portcullis_core::StoreError>
            {
                sqlx::query_as::<$db, $crate::rows::CredentialRow>(
                    $crate::sql::users::CREDENTIAL_BY_LOGIN,
                )
                .bind(login_key)
                .fetch_optional(&mut *self.exec.conn().await?)
                .await
                .map(|row| row.map(|row| row.0))
                .map_err($crate::error::backend)
            }

            async fn set_password_hash(
                &self,
                id: portcullis_core::UserId,
                hash: &str,
                at: time::OffsetDateTime,
            ) -> Result<(), portcullis_core::StoreError> {
                let done = sqlx::query::<$db>($crate::sql::users::SET_PASSWORD_HASH)
                    .bind(id.0)
                    .bind(hash)
                    .bind($crate::timestamp::Timestamp::new(at))
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map_err($crate::error::backend)?;
                $crate::error::found(done.rows_affected())
            }

            async fn clear_password(
                &self,
                id: portcullis_core::UserId,
                at: time::OffsetDateTime,
            ) -> Result<(), portcullis_core::StoreError> {
                let done = sqlx::query::<$db>($crate::sql::users::CLEAR_PASSWORD)
                    .bind(id.0)
                    .bind($crate::timestamp::Timestamp::new(at))
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map_err($crate::error::backend)?;
                $crate::error::found(done.rows_affected())
            }

            async fn record_login(
                &self,
                id: portcullis_core::UserId,
                at: time::OffsetDateTime,
                ip: Option<&str>,
            ) -> Result<(), portcullis_core::StoreError> {
                let done = sqlx::query::<$db>($crate::sql::users::RECORD_LOGIN)
                    .bind(id.0)
                    .bind($crate::timestamp::Timestamp::new(at))
                    .bind(ip)
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map_err($crate::error::backend)?;
                $crate::error::found(done.rows_affected())
            }

            async fn reserve_login_attempt(
                &self,
                id: portcullis_core::UserId,
                now: time::OffsetDateTime,
            ) -> Result<portcullis_core::store::LoginBudget, portcullis_core::StoreError> {
                sqlx::query_as::<$db, (i64, Option<$crate::timestamp::Timestamp>)>(
                    $crate::sql::users::RESERVE_LOGIN_ATTEMPT,
                )
                .bind(id.0)
                .bind($crate::timestamp::Timestamp::new(now))
                .fetch_optional(&mut *self.exec.conn().await?)
                .await
                .map_err($crate::error::backend)?
                .map(
                    |(attempts, locked_until)| portcullis_core::store::LoginBudget {
                        attempts,
                        locked_until: locked_until.map($crate::timestamp::Timestamp::get),
                    },
                )
                .ok_or(portcullis_core::StoreError::NotFound)
            }

            async fn release_login_attempt(
                &self,
                id: portcullis_core::UserId,
                now: time::OffsetDateTime,
            ) -> Result<(), portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::users::RELEASE_LOGIN_ATTEMPT)
                    .bind(id.0)
                    .bind($crate::timestamp::Timestamp::new(now))
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(drop)
                    .map_err($crate::error::backend)
            }

            async fn lock_user(
                &self,
                id: portcullis_core::UserId,
                until: time::OffsetDateTime,
                now: time::OffsetDateTime,
            ) -> Result<(), portcullis_core::StoreError> {
                // Already locked is not an error: the lock stands either way.
                sqlx::query::<$db>($crate::sql::users::LOCK_USER)
                    .bind(id.0)
                    .bind($crate::timestamp::Timestamp::new(until))
                    .bind($crate::timestamp::Timestamp::new(now))
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(drop)
                    .map_err($crate::error::backend)
            }

            async fn lock_account(
                &self,
                id: portcullis_core::UserId,
            ) -> Result<bool, portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::users::LOCK_ACCOUNT)
                    .bind(id.0)
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(|done| done.rows_affected() > 0)
                    .map_err($crate::error::backend)
            }

            async fn unlock_user(
                &self,
                id: portcullis_core::UserId,
            ) -> Result<(), portcullis_core::StoreError> {
                let done = sqlx::query::<$db>($crate::sql::users::UNLOCK_USER)
                    .bind(id.0)
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map_err($crate::error::backend)?;
                $crate::error::found(done.rows_affected())
            }

            async fn set_active(
                &self,
                id: portcullis_core::UserId,
                active: bool,
                at: time::OffsetDateTime,
            ) -> Result<(), portcullis_core::StoreError> {
                let done = sqlx::query::<$db>($crate::sql::users::SET_ACTIVE)
                    .bind(id.0)
                    .bind(active)
                    .bind($crate::timestamp::Timestamp::new(at))
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map_err($crate::error::backend)?;
                $crate::error::found(done.rows_affected())
            }

            async fn touch_user(
                &self,
                id: portcullis_core::UserId,
                at: time::OffsetDateTime,
            ) -> Result<(), portcullis_core::StoreError> {
                // Unlike a session, a user who is gone is worth reporting:
                // the caller holds an id that no longer means anything.
                let done = sqlx::query::<$db>($crate::sql::users::TOUCH_USER)
                    .bind(id.0)
                    .bind($crate::timestamp::Timestamp::new(at))
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map_err($crate::error::backend)?;
                $crate::error::found(done.rows_affected())
            }

            async fn search_users(
                &self,
                query: &portcullis_core::domain::query::UserQuery,
            ) -> Result<Vec<portcullis_core::User>, portcullis_core::StoreError> {
                $crate::sql::user_search::search_users::<$db>(query)
                    .build_query_as::<$crate::rows::UserRow>()
                    .fetch_all(&mut *self.exec.conn().await?)
                    .await
                    .map(|rows| rows.into_iter().map(|row| row.0).collect())
                    .map_err($crate::error::backend)
            }

            async fn count_search_users(
                &self,
                query: &portcullis_core::domain::query::UserQuery,
            ) -> Result<i64, portcullis_core::StoreError> {
                $crate::sql::user_search::count_search_users::<$db>(query)
                    .build_query_scalar::<i64>()
                    .fetch_one(&mut *self.exec.conn().await?)
                    .await
                    .map_err($crate::error::backend)
            }

            async fn update_user_profile(
                &self,
                id: portcullis_core::UserId,
                profile: &portcullis_core::store::ProfileUpdate,
                at: time::OffsetDateTime,
            ) -> Result<(), portcullis_core::StoreError> {
                let done = sqlx::query::<$db>($crate::sql::users::UPDATE_PROFILE)
                    .bind(id.0)
                    .bind(&profile.username)
                    .bind(&profile.username_key)
                    .bind(&profile.email)
                    .bind(&profile.email_key)
                    .bind(&profile.name)
                    .bind($crate::timestamp::Timestamp::new(at))
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map_err(|err| $crate::error::write_error(err, $unique))?;
                $crate::error::found(done.rows_affected())
            }

            async fn delete_user(
                &self,
                id: portcullis_core::UserId,
            ) -> Result<(), portcullis_core::StoreError> {
                let done = sqlx::query::<$db>($crate::sql::users::DELETE_USER)
                    .bind(id.0)
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map_err($crate::error::backend)?;
                $crate::error::found(done.rows_affected())
            }

            async fn list_users(
                &self,
                offset: i64,
                limit: i64,
            ) -> Result<Vec<portcullis_core::User>, portcullis_core::StoreError> {
                // A negative LIMIT means "no limit" to SQLite and an error to
                // PostgreSQL; clamp both so the backends agree.
                sqlx::query_as::<$db, $crate::rows::UserRow>($crate::sql::users::LIST_USERS)
                    .bind(limit.max(0))
                    .bind(offset.max(0))
                    .fetch_all(&mut *self.exec.conn().await?)
                    .await
                    .map(|rows| rows.into_iter().map(|row| row.0).collect())
                    .map_err($crate::error::backend)
            }

            async fn count_users(&self) -> Result<i64, portcullis_core::StoreError> {
                sqlx::query_scalar::<$db, i64>($crate::sql::users::COUNT_USERS)
                    .fetch_one(&mut *self.exec.conn().await?)
                    .await
                    .map_err($crate::error::backend)
            }

            async fn usernames_of(
                &self,
                users: &[portcullis_core::UserId],
            ) -> Result<Vec<(portcullis_core::UserId, String)>, portcullis_core::StoreError> {
                if users.is_empty() {
                    return Ok(Vec::new());
                }
                $crate::sql::with_ids::<$db>($crate::sql::users::USERNAMES_OF, users)
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
        }
    };
}

pub(crate) use impl_user_store;
