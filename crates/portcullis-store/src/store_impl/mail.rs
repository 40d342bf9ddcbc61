//! `MailStore`: the durable mail queue.

/// Implements `MailStore` for `$store` (see `impl_store!`).
macro_rules! impl_mail_store {
    (store = $store:ty, db = $db:ty $(,)?) => {
        #[async_trait::async_trait]
        impl portcullis_core::store::MailStore for $store {
            async fn enqueue_mail(
                &self,
                new: &portcullis_core::store::NewMail,
            ) -> Result<(), portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::mail::ENQUEUE)
                    .bind(new.kind.as_str())
                    .bind(new.recipient.as_str())
                    .bind(new.payload.as_str())
                    .bind($crate::timestamp::Timestamp::new(new.created_at))
                    .bind($crate::timestamp::Timestamp::new(new.expires_at))
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(drop)
                    .map_err($crate::error::backend)
            }

            async fn claim_mail(
                &self,
                now: time::OffsetDateTime,
                lease_until: time::OffsetDateTime,
            ) -> Result<Option<portcullis_core::store::QueuedMail>, portcullis_core::StoreError>
            {
                // The one statement whose text differs: SQLite has no row
                // locks to skip (it has one writer at a time).
                let claim = if <$db as sqlx::Database>::NAME == "PostgreSQL" {
                    $crate::sql::mail::CLAIM_POSTGRES
                } else {
                    $crate::sql::mail::CLAIM_SQLITE
                };
                sqlx::query_as::<$db, $crate::rows::QueuedMailRow>(claim)
                    .bind($crate::timestamp::Timestamp::new(now))
                    .bind($crate::timestamp::Timestamp::new(lease_until))
                    .fetch_optional(&mut *self.exec.conn().await?)
                    .await
                    .map(|row| row.map(|r| r.0))
                    .map_err($crate::error::backend)
            }

            async fn mail_delivered(&self, id: i64) -> Result<(), portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::mail::DELIVERED)
                    .bind(id)
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(drop)
                    .map_err($crate::error::backend)
            }

            async fn mail_deferred(
                &self,
                id: i64,
                next_attempt_at: time::OffsetDateTime,
                error: &str,
            ) -> Result<(), portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::mail::DEFERRED)
                    .bind(id)
                    .bind($crate::timestamp::Timestamp::new(next_attempt_at))
                    .bind(error)
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(drop)
                    .map_err($crate::error::backend)
            }

            async fn mail_failed(
                &self,
                id: i64,
                error: &str,
            ) -> Result<(), portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::mail::FAILED)
                    .bind(id)
                    .bind(error)
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(drop)
                    .map_err($crate::error::backend)
            }

            async fn expire_mail(
                &self,
                now: time::OffsetDateTime,
            ) -> Result<u64, portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::mail::EXPIRE)
                    .bind($crate::timestamp::Timestamp::new(now))
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(|done| done.rows_affected())
                    .map_err($crate::error::backend)
            }

            async fn list_mail(
                &self,
                state: Option<portcullis_core::store::MailState>,
                limit: i64,
            ) -> Result<Vec<portcullis_core::store::QueuedMail>, portcullis_core::StoreError> {
                sqlx::query_as::<$db, $crate::rows::QueuedMailRow>($crate::sql::mail::LIST)
                    .bind(state.map(portcullis_core::store::MailState::as_str))
                    .bind(limit)
                    .fetch_all(&mut *self.exec.conn().await?)
                    .await
                    .map(|rows| rows.into_iter().map(|r| r.0).collect())
                    .map_err($crate::error::backend)
            }

            async fn retry_mail(
                &self,
                id: Option<i64>,
                now: time::OffsetDateTime,
            ) -> Result<u64, portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::mail::RETRY)
                    .bind(id)
                    .bind($crate::timestamp::Timestamp::new(now))
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(|done| done.rows_affected())
                    .map_err($crate::error::backend)
            }

            async fn purge_mail(
                &self,
                state: portcullis_core::store::MailState,
            ) -> Result<u64, portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::mail::PURGE)
                    .bind(state.as_str())
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(|done| done.rows_affected())
                    .map_err($crate::error::backend)
            }

            async fn count_mail(
                &self,
            ) -> Result<portcullis_core::store::MailCounts, portcullis_core::StoreError> {
                let rows = sqlx::query_as::<$db, (String, i64)>($crate::sql::mail::COUNT)
                    .fetch_all(&mut *self.exec.conn().await?)
                    .await
                    .map_err($crate::error::backend)?;
                let mut counts = portcullis_core::store::MailCounts::default();
                for (state, n) in rows {
                    match portcullis_core::store::MailState::parse(&state) {
                        Some(portcullis_core::store::MailState::Queued) => counts.queued = n,
                        Some(portcullis_core::store::MailState::Failed) => counts.failed = n,
                        Some(portcullis_core::store::MailState::Expired) => counts.expired = n,
                        None => {}
                    }
                }
                Ok(counts)
            }
        }
    };
}

pub(crate) use impl_mail_store;
