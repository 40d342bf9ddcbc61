//! `AuditStore`: the append-only audit log.

/// Implements `AuditStore` for `$store`, a struct with a `pool: sqlx::Pool<$db>`
/// field (see `impl_store!`).
macro_rules! impl_audit_store {
    (store = $store:ty, db = $db:ty, unique_field_of = $unique:path $(,)?) => {
        #[async_trait::async_trait]
        impl portcullis_core::store::AuditStore for $store {
            async fn append_audit(
                &self,
                event: &portcullis_core::audit::NewAuditEvent,
            ) -> Result<(), portcullis_core::StoreError> {
                // `Display` of a JSON value is its compact text, and cannot fail.
                sqlx::query::<$db>($crate::sql::audit::INSERT_AUDIT)
                    .bind($crate::timestamp::Timestamp::new(event.at))
                    .bind(event.kind.as_str())
                    .bind(event.actor.map(|user| user.0))
                    .bind(event.target.map(|user| user.0))
                    .bind(&event.ip)
                    .bind(&event.user_agent)
                    .bind(event.detail.to_string())
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(|_| event.kind.count())
                    .map_err($crate::error::backend)
            }

            async fn list_audit(
                &self,
                filter: &portcullis_core::AuditFilter,
            ) -> Result<Vec<portcullis_core::AuditEvent>, portcullis_core::StoreError> {
                $crate::sql::audit::list_audit::<$db>(filter)
                    .build_query_as::<$crate::rows::AuditRow>()
                    .fetch_all(&mut *self.exec.conn().await?)
                    .await
                    .map(|rows| rows.into_iter().map(|row| row.0).collect())
                    .map_err($crate::error::backend)
            }

            async fn count_audit(
                &self,
                filter: &portcullis_core::AuditFilter,
            ) -> Result<i64, portcullis_core::StoreError> {
                $crate::sql::audit::count_audit::<$db>(filter)
                    .build_query_scalar::<i64>()
                    .fetch_one(&mut *self.exec.conn().await?)
                    .await
                    .map_err($crate::error::backend)
            }
        }
    };
}

pub(crate) use impl_audit_store;
