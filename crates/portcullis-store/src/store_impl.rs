//! The [`Store`](portcullis_core::Store) traits, implemented once for both
//! backends.
//!
//! sqlx has no object-safe "any pool" that keeps each backend's own types, and
//! bounding a generic impl over `sqlx::Database` takes more where-clauses than
//! it has statements. A declarative macro instead expands the same bodies, over
//! the same SQL text ([`crate::sql`]), for each concrete pool type; each
//! backend passes in only what truly differs (how to name the unique
//! constraint that refused a write).

/// Implements `UserStore`, `RoleStore`, `SessionStore` and `Store` for
/// `$store`, a struct with a `pool: sqlx::Pool<$db>` field.
macro_rules! impl_store {
    (store = $store:ty, db = $db:ty, unique_field_of = $unique:path $(,)?) => {
        #[async_trait::async_trait]
        impl portcullis_core::store::UserStore for $store {
            async fn create_user(
                &self,
                new: &portcullis_core::store::NewUser,
            ) -> Result<portcullis_core::User, portcullis_core::StoreError> {
                sqlx::query_as::<$db, $crate::rows::UserRow>($crate::sql::INSERT_USER)
                    .bind(&new.username)
                    .bind(&new.username_key)
                    .bind(&new.email)
                    .bind(&new.email_key)
                    .bind(&new.password_hash)
                    .bind(new.is_active)
                    .bind($crate::timestamp::opt(new.confirmed_at))
                    .bind($crate::timestamp::Timestamp::new(new.created_at))
                    .fetch_one(&self.pool)
                    .await
                    .map(|row| row.0)
                    .map_err(|err| $crate::error::write_error(err, $unique))
            }

            async fn user_by_id(
                &self,
                id: portcullis_core::UserId,
            ) -> Result<Option<portcullis_core::User>, portcullis_core::StoreError> {
                sqlx::query_as::<$db, $crate::rows::UserRow>($crate::sql::USER_BY_ID)
                    .bind(id.0)
                    .fetch_optional(&self.pool)
                    .await
                    .map(|row| row.map(|row| row.0))
                    .map_err($crate::error::backend)
            }

            async fn credential_by_login(
                &self,
                login_key: &str,
            ) -> Result<Option<portcullis_core::store::Credential>, portcullis_core::StoreError>
            {
                sqlx::query_as::<$db, $crate::rows::CredentialRow>($crate::sql::CREDENTIAL_BY_LOGIN)
                    .bind(login_key)
                    .fetch_optional(&self.pool)
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
                let done = sqlx::query::<$db>($crate::sql::SET_PASSWORD_HASH)
                    .bind(id.0)
                    .bind(hash)
                    .bind($crate::timestamp::Timestamp::new(at))
                    .execute(&self.pool)
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
                let done = sqlx::query::<$db>($crate::sql::RECORD_LOGIN)
                    .bind(id.0)
                    .bind($crate::timestamp::Timestamp::new(at))
                    .bind(ip)
                    .execute(&self.pool)
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
                sqlx::query_as::<$db, $crate::rows::UserRow>($crate::sql::LIST_USERS)
                    .bind(limit.max(0))
                    .bind(offset.max(0))
                    .fetch_all(&self.pool)
                    .await
                    .map(|rows| rows.into_iter().map(|row| row.0).collect())
                    .map_err($crate::error::backend)
            }

            async fn count_users(&self) -> Result<i64, portcullis_core::StoreError> {
                sqlx::query_scalar::<$db, i64>($crate::sql::COUNT_USERS)
                    .fetch_one(&self.pool)
                    .await
                    .map_err($crate::error::backend)
            }
        }

        #[async_trait::async_trait]
        impl portcullis_core::store::RoleStore for $store {
            async fn ensure_role(
                &self,
                name: &str,
                description: &str,
            ) -> Result<(), portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::ENSURE_ROLE)
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
                let done = sqlx::query::<$db>($crate::sql::GRANT_ROLE)
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
                let existing = sqlx::query_scalar::<$db, i64>($crate::sql::GRANT_EXISTS)
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
                sqlx::query_as::<$db, $crate::rows::RoleRow>($crate::sql::ROLES_OF)
                    .bind(user.0)
                    .fetch_all(&self.pool)
                    .await
                    .map(|rows| rows.into_iter().map(|row| row.0).collect())
                    .map_err($crate::error::backend)
            }
        }

        #[async_trait::async_trait]
        impl portcullis_core::store::SessionStore for $store {
            async fn create_session(
                &self,
                new: &portcullis_core::store::NewSession,
            ) -> Result<portcullis_core::Session, portcullis_core::StoreError> {
                sqlx::query_as::<$db, $crate::rows::SessionRow>($crate::sql::INSERT_SESSION)
                    .bind(new.token_hash.as_str())
                    .bind(new.user_id.0)
                    .bind($crate::timestamp::Timestamp::new(new.created_at))
                    .bind($crate::timestamp::Timestamp::new(new.expires_at))
                    .bind(new.remember)
                    .bind(&new.ip)
                    .bind(&new.user_agent)
                    .fetch_one(&self.pool)
                    .await
                    .map(|row| row.0)
                    .map_err(|err| $crate::error::write_error(err, $unique))
            }

            async fn session_by_token(
                &self,
                hash: &portcullis_core::TokenHash,
            ) -> Result<Option<portcullis_core::Session>, portcullis_core::StoreError> {
                sqlx::query_as::<$db, $crate::rows::SessionRow>($crate::sql::SESSION_BY_TOKEN)
                    .bind(hash.as_str())
                    .fetch_optional(&self.pool)
                    .await
                    .map(|row| row.map(|row| row.0))
                    .map_err($crate::error::backend)
            }

            async fn touch_session(
                &self,
                id: portcullis_core::SessionId,
                at: time::OffsetDateTime,
            ) -> Result<(), portcullis_core::StoreError> {
                // A session ended meanwhile (logout in another tab) is not an
                // error: touching it would have had no effect anyway.
                sqlx::query::<$db>($crate::sql::TOUCH_SESSION)
                    .bind(id.0)
                    .bind($crate::timestamp::Timestamp::new(at))
                    .execute(&self.pool)
                    .await
                    .map(drop)
                    .map_err($crate::error::backend)
            }

            async fn delete_session(
                &self,
                id: portcullis_core::SessionId,
            ) -> Result<(), portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::DELETE_SESSION)
                    .bind(id.0)
                    .execute(&self.pool)
                    .await
                    .map(drop)
                    .map_err($crate::error::backend)
            }

            async fn delete_sessions_of(
                &self,
                user: portcullis_core::UserId,
            ) -> Result<u64, portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::DELETE_SESSIONS_OF)
                    .bind(user.0)
                    .execute(&self.pool)
                    .await
                    .map(|done| done.rows_affected())
                    .map_err($crate::error::backend)
            }

            async fn delete_expired_sessions(
                &self,
                now: time::OffsetDateTime,
                idle_cutoff: time::OffsetDateTime,
            ) -> Result<u64, portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::DELETE_EXPIRED_SESSIONS)
                    .bind($crate::timestamp::Timestamp::new(now))
                    .bind($crate::timestamp::Timestamp::new(idle_cutoff))
                    .execute(&self.pool)
                    .await
                    .map(|done| done.rows_affected())
                    .map_err($crate::error::backend)
            }
        }

        #[async_trait::async_trait]
        impl portcullis_core::Store for $store {
            async fn ping(&self) -> Result<(), portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::PING)
                    .execute(&self.pool)
                    .await
                    .map(drop)
                    .map_err($crate::error::backend)
            }
        }
    };
}

pub(crate) use impl_store;
