//! `SessionStore`: server-side sessions.

/// Implements `SessionStore` for `$store`, a struct with a `pool: sqlx::Pool<$db>`
/// field (see `impl_store!`).
macro_rules! impl_session_store {
    (store = $store:ty, db = $db:ty, unique_field_of = $unique:path $(,)?) => {
        #[async_trait::async_trait]
        impl portcullis_core::store::SessionStore for $store {
            async fn create_session(
                &self,
                new: &portcullis_core::store::NewSession,
            ) -> Result<portcullis_core::Session, portcullis_core::StoreError> {
                sqlx::query_as::<$db, $crate::rows::SessionRow>(
                    $crate::sql::sessions::INSERT_SESSION,
                )
                .bind(new.token_hash.as_str())
                .bind(new.user_id.0)
                .bind($crate::timestamp::Timestamp::new(new.created_at))
                .bind($crate::timestamp::Timestamp::new(new.expires_at))
                .bind(new.remember)
                .bind(&new.ip)
                .bind(&new.user_agent)
                .bind(new.assurance.as_str())
                .bind($crate::timestamp::Timestamp::new(new.authenticated_at))
                .fetch_one(&mut *self.exec.conn().await?)
                .await
                .map(|row| row.0)
                .map_err(|err| $crate::error::write_error(err, $unique))
            }

            async fn resolve_session(
                &self,
                hash: &portcullis_core::TokenHash,
            ) -> Result<Option<portcullis_core::ResolvedSession>, portcullis_core::StoreError> {
                sqlx::query_as::<$db, $crate::rows::ResolvedRow>(
                    $crate::sql::sessions::RESOLVE_SESSION,
                )
                .bind(hash.as_str())
                .fetch_all(&mut *self.exec.conn().await?)
                .await
                .map($crate::rows::ResolvedRow::fold)
                .map_err($crate::error::backend)
            }

            async fn session_by_token(
                &self,
                hash: &portcullis_core::TokenHash,
            ) -> Result<Option<portcullis_core::Session>, portcullis_core::StoreError> {
                sqlx::query_as::<$db, $crate::rows::SessionRow>(
                    $crate::sql::sessions::SESSION_BY_TOKEN,
                )
                .bind(hash.as_str())
                .fetch_optional(&mut *self.exec.conn().await?)
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
                sqlx::query::<$db>($crate::sql::sessions::TOUCH_SESSION)
                    .bind(id.0)
                    .bind($crate::timestamp::Timestamp::new(at))
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(drop)
                    .map_err($crate::error::backend)
            }

            async fn delete_session(
                &self,
                id: portcullis_core::SessionId,
            ) -> Result<(), portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::sessions::DELETE_SESSION)
                    .bind(id.0)
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(drop)
                    .map_err($crate::error::backend)
            }

            async fn delete_sessions_of(
                &self,
                user: portcullis_core::UserId,
            ) -> Result<u64, portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::sessions::DELETE_SESSIONS_OF)
                    .bind(user.0)
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(|done| done.rows_affected())
                    .map_err($crate::error::backend)
            }

            async fn sessions_of(
                &self,
                user: portcullis_core::UserId,
            ) -> Result<Vec<portcullis_core::Session>, portcullis_core::StoreError> {
                sqlx::query_as::<$db, $crate::rows::SessionRow>($crate::sql::sessions::SESSIONS_OF)
                    .bind(user.0)
                    .fetch_all(&mut *self.exec.conn().await?)
                    .await
                    .map(|rows| rows.into_iter().map(|row| row.0).collect())
                    .map_err($crate::error::backend)
            }

            async fn delete_session_of(
                &self,
                user: portcullis_core::UserId,
                id: portcullis_core::SessionId,
            ) -> Result<bool, portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::sessions::DELETE_SESSION_OF)
                    .bind(user.0)
                    .bind(id.0)
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(|done| done.rows_affected() > 0)
                    .map_err($crate::error::backend)
            }

            async fn delete_other_sessions(
                &self,
                user: portcullis_core::UserId,
                keep: portcullis_core::SessionId,
            ) -> Result<u64, portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::sessions::DELETE_OTHER_SESSIONS)
                    .bind(user.0)
                    .bind(keep.0)
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(|done| done.rows_affected())
                    .map_err($crate::error::backend)
            }

            async fn reauthenticate(
                &self,
                id: portcullis_core::SessionId,
                at: time::OffsetDateTime,
                assurance: portcullis_core::domain::session::Assurance,
            ) -> Result<(), portcullis_core::StoreError> {
                let done = sqlx::query::<$db>($crate::sql::sessions::REAUTHENTICATE)
                    .bind(id.0)
                    .bind($crate::timestamp::Timestamp::new(at))
                    .bind(assurance.as_str())
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map_err($crate::error::backend)?;
                $crate::error::found(done.rows_affected())
            }

            async fn count_second_factor_failure(
                &self,
                id: portcullis_core::SessionId,
            ) -> Result<i64, portcullis_core::StoreError> {
                // A session that ended meanwhile has nothing left to count;
                // reporting the limit ends the caller's flow alike.
                let count = sqlx::query_scalar::<$db, i32>(
                    $crate::sql::sessions::COUNT_SECOND_FACTOR_FAILURE,
                )
                .bind(id.0)
                .fetch_optional(&mut *self.exec.conn().await?)
                .await
                .map_err($crate::error::backend)?;
                Ok(count.map_or(i64::MAX, i64::from))
            }

            async fn delete_expired_sessions(
                &self,
                now: time::OffsetDateTime,
                idle_cutoff: time::OffsetDateTime,
            ) -> Result<u64, portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::sessions::DELETE_EXPIRED_SESSIONS)
                    .bind($crate::timestamp::Timestamp::new(now))
                    .bind($crate::timestamp::Timestamp::new(idle_cutoff))
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(|done| done.rows_affected())
                    .map_err($crate::error::backend)
            }

            async fn count_live_sessions(
                &self,
                now: time::OffsetDateTime,
                idle_cutoff: time::OffsetDateTime,
            ) -> Result<i64, portcullis_core::StoreError> {
                sqlx::query_scalar::<$db, i64>($crate::sql::sessions::COUNT_LIVE_SESSIONS)
                    .bind($crate::timestamp::Timestamp::new(now))
                    .bind($crate::timestamp::Timestamp::new(idle_cutoff))
                    .fetch_one(&mut *self.exec.conn().await?)
                    .await
                    .map_err($crate::error::backend)
            }
        }
    };
}

pub(crate) use impl_session_store;
