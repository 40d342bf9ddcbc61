//! `IdentityStore`: linked identities, sign-in flows in flight and
//! identities waiting for an address to be proven.

/// Implements `IdentityStore` for `$store`, a struct with an
/// `exec: Exec<$db>` field (see `impl_store!`).
macro_rules! impl_identity_store {
    (store = $store:ty, db = $db:ty, unique_field_of = $unique:path $(,)?) => {
        #[async_trait::async_trait]
        impl portcullis_core::store::IdentityStore for $store {
            async fn link_identity(
                &self,
                new: &portcullis_core::store::NewIdentity,
            ) -> Result<portcullis_core::domain::identity::Identity, portcullis_core::StoreError>
            {
                sqlx::query_as::<$db, $crate::rows::IdentityRow>(
                    $crate::sql::identities::INSERT_IDENTITY,
                )
                .bind(new.user_id.0)
                .bind(&new.provider)
                .bind(&new.issuer)
                .bind(&new.subject)
                .bind(new.email.as_deref())
                .bind($crate::timestamp::Timestamp::new(new.created_at))
                .fetch_one(&mut *self.exec.conn().await?)
                .await
                .map(|row| row.0)
                .map_err(|err| $crate::error::write_error(err, $unique))
            }

            async fn find_identity(
                &self,
                issuer: &str,
                subject: &str,
            ) -> Result<
                Option<portcullis_core::domain::identity::Identity>,
                portcullis_core::StoreError,
            > {
                sqlx::query_as::<$db, $crate::rows::IdentityRow>(
                    $crate::sql::identities::FIND_IDENTITY,
                )
                .bind(issuer)
                .bind(subject)
                .fetch_optional(&mut *self.exec.conn().await?)
                .await
                .map(|row| row.map(|r| r.0))
                .map_err($crate::error::backend)
            }

            async fn identities_of(
                &self,
                user: portcullis_core::UserId,
            ) -> Result<
                Vec<portcullis_core::domain::identity::Identity>,
                portcullis_core::StoreError,
            > {
                sqlx::query_as::<$db, $crate::rows::IdentityRow>(
                    $crate::sql::identities::IDENTITIES_OF,
                )
                .bind(user.0)
                .fetch_all(&mut *self.exec.conn().await?)
                .await
                .map(|rows| rows.into_iter().map(|r| r.0).collect())
                .map_err($crate::error::backend)
            }

            async fn unlink_identity(
                &self,
                user: portcullis_core::UserId,
                id: portcullis_core::domain::identity::IdentityId,
            ) -> Result<
                Option<portcullis_core::domain::identity::Identity>,
                portcullis_core::StoreError,
            > {
                sqlx::query_as::<$db, $crate::rows::IdentityRow>(
                    $crate::sql::identities::UNLINK_IDENTITY,
                )
                .bind(user.0)
                .bind(id.0)
                .fetch_optional(&mut *self.exec.conn().await?)
                .await
                .map(|row| row.map(|r| r.0))
                .map_err($crate::error::backend)
            }

            async fn touch_identity(
                &self,
                id: portcullis_core::domain::identity::IdentityId,
                at: time::OffsetDateTime,
            ) -> Result<(), portcullis_core::StoreError> {
                sqlx::query::<$db>($crate::sql::identities::TOUCH_IDENTITY)
                    .bind(id.0)
                    .bind($crate::timestamp::Timestamp::new(at))
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(drop)
                    .map_err($crate::error::backend)
            }

            async fn create_oidc_flow(
                &self,
                state: &portcullis_core::TokenHash,
                flow: &portcullis_core::domain::identity::OidcFlow,
                cap: u64,
            ) -> Result<bool, portcullis_core::StoreError> {
                use $crate::timestamp::Timestamp;
                sqlx::query::<$db>($crate::sql::identities::INSERT_FLOW)
                    .bind(state.as_str())
                    .bind(&flow.browser_hash)
                    .bind(&flow.provider)
                    .bind(&flow.sealed_verifier)
                    .bind(&flow.nonce)
                    .bind(flow.next.as_deref())
                    .bind(flow.remember)
                    .bind(flow.purpose.as_str())
                    .bind(flow.user_id.map(|u| u.0))
                    .bind(flow.ip.as_deref())
                    .bind(Timestamp::new(flow.created_at))
                    .bind(Timestamp::new(flow.expires_at))
                    .bind(i64::try_from(cap).unwrap_or(i64::MAX))
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(|done| done.rows_affected() == 1)
                    .map_err(|err| $crate::error::write_error(err, $unique))
            }

            async fn take_oidc_flow(
                &self,
                state: &portcullis_core::TokenHash,
            ) -> Result<
                Option<portcullis_core::domain::identity::OidcFlow>,
                portcullis_core::StoreError,
            > {
                sqlx::query_as::<$db, $crate::rows::OidcFlowRow>(
                    $crate::sql::identities::TAKE_FLOW,
                )
                .bind(state.as_str())
                .fetch_optional(&mut *self.exec.conn().await?)
                .await
                .map(|row| row.map(|r| r.0))
                .map_err($crate::error::backend)
            }

            async fn create_pending_identity(
                &self,
                token: &portcullis_core::TokenHash,
                pending: &portcullis_core::domain::identity::PendingIdentity,
            ) -> Result<(), portcullis_core::StoreError> {
                use $crate::timestamp::Timestamp;
                sqlx::query::<$db>($crate::sql::identities::INSERT_PENDING)
                    .bind(token.as_str())
                    .bind(pending.browser_hash.as_deref())
                    .bind(&pending.provider)
                    .bind(&pending.issuer)
                    .bind(&pending.subject)
                    .bind(&pending.email)
                    .bind(pending.preferred_username.as_deref())
                    .bind(pending.name.as_deref())
                    .bind(pending.next.as_deref())
                    .bind(Timestamp::new(pending.created_at))
                    .bind(Timestamp::new(pending.expires_at))
                    .execute(&mut *self.exec.conn().await?)
                    .await
                    .map(drop)
                    .map_err(|err| $crate::error::write_error(err, $unique))
            }

            async fn take_pending_identity(
                &self,
                token: &portcullis_core::TokenHash,
            ) -> Result<
                Option<portcullis_core::domain::identity::PendingIdentity>,
                portcullis_core::StoreError,
            > {
                sqlx::query_as::<$db, $crate::rows::PendingIdentityRow>(
                    $crate::sql::identities::TAKE_PENDING,
                )
                .bind(token.as_str())
                .fetch_optional(&mut *self.exec.conn().await?)
                .await
                .map(|row| row.map(|r| r.1))
                .map_err($crate::error::backend)
            }

            async fn pending_identity_of_browser(
                &self,
                browser: &str,
                now: time::OffsetDateTime,
            ) -> Result<
                Option<(
                    portcullis_core::TokenHash,
                    portcullis_core::domain::identity::PendingIdentity,
                )>,
                portcullis_core::StoreError,
            > {
                sqlx::query_as::<$db, $crate::rows::PendingIdentityRow>(
                    $crate::sql::identities::PENDING_OF_BROWSER,
                )
                .bind(browser)
                .bind($crate::timestamp::Timestamp::new(now))
                .fetch_optional(&mut *self.exec.conn().await?)
                .await
                .map(|row| row.map(|r| (r.0, r.1)))
                .map_err($crate::error::backend)
            }

            async fn purge_oidc_state(
                &self,
                before: time::OffsetDateTime,
            ) -> Result<u64, portcullis_core::StoreError> {
                let mut conn = self.exec.conn().await?;
                let mut purged = 0;
                for statement in [
                    $crate::sql::identities::PURGE_FLOWS,
                    $crate::sql::identities::PURGE_PENDING,
                ] {
                    purged += sqlx::query::<$db>(statement)
                        .bind($crate::timestamp::Timestamp::new(before))
                        .execute(&mut *conn)
                        .await
                        .map_err($crate::error::backend)?
                        .rows_affected();
                }
                Ok(purged)
            }
        }
    };
}

pub(crate) use impl_identity_store;
