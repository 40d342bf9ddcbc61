//! `RateLimitStore`: fixed-window hit counters shared by every instance.

/// Implements `RateLimitStore` for `$store`, a struct with a
/// `pool: sqlx::Pool<$db>` field (see `impl_store!`).
macro_rules! impl_rate_limit_store {
    (store = $store:ty, db = $db:ty, unique_field_of = $unique:path $(,)?) => {
        #[async_trait::async_trait]
        impl portcullis_core::store::RateLimitStore for $store {
            async fn hit(
                &self,
                key: &str,
                now: time::OffsetDateTime,
                window_cutoff: time::OffsetDateTime,
            ) -> Result<portcullis_core::store::RateCounter, portcullis_core::StoreError> {
                sqlx::query_as::<$db, $crate::rows::RateCounterRow>($crate::sql::rate_limits::HIT)
                    .bind(key)
                    .bind($crate::timestamp::Timestamp::new(now))
                    .bind($crate::timestamp::Timestamp::new(window_cutoff))
                    .fetch_one(&mut *self.exec.conn().await?)
                    .await
                    .map(|row| row.0)
                    .map_err($crate::error::backend)
            }

            async fn refund(
                &self,
                key: &str,
                window_start: time::OffsetDateTime,
            ) -> Result<(), portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::rate_limits::REFUND)
                    .bind(key)
                    .bind($crate::timestamp::Timestamp::new(window_start))
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(drop)
                    .map_err($crate::error::backend)
            }

            async fn purge_rate_limits(
                &self,
                cutoff: time::OffsetDateTime,
            ) -> Result<u64, portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::rate_limits::PURGE_RATE_LIMITS)
                    .bind($crate::timestamp::Timestamp::new(cutoff))
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(|done| done.rows_affected())
                    .map_err($crate::error::backend)
            }
        }
    };
}

pub(crate) use impl_rate_limit_store;
