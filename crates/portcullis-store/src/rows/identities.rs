//! `identities`, `oidc_flows` and `pending_identities` rows as domain values.

use crate::timestamp::Timestamp;
use portcullis_core::UserId;
use portcullis_core::domain::identity::{
    FlowPurpose, Identity, IdentityId, OidcFlow, PendingIdentity,
};
use portcullis_core::token::TokenHash;
use sqlx::{ColumnIndex, Decode, FromRow, Row, Type};

/// An `identities` row as an [`Identity`].
pub(crate) struct IdentityRow(pub(crate) Identity);

/// An `oidc_flows` row as an [`OidcFlow`].
pub(crate) struct OidcFlowRow(pub(crate) OidcFlow);

/// A `pending_identities` row as a [`PendingIdentity`], with its token hash.
pub(crate) struct PendingIdentityRow(pub(crate) TokenHash, pub(crate) PendingIdentity);

impl<'r, R> FromRow<'r, R> for IdentityRow
where
    R: Row,
    &'r str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Timestamp: Decode<'r, R::Database> + Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        Ok(Self(Identity {
            id: IdentityId(row.try_get("id")?),
            user_id: UserId(row.try_get("user_id")?),
            provider: row.try_get("provider")?,
            issuer: row.try_get("issuer")?,
            subject: row.try_get("subject")?,
            email: row.try_get("email")?,
            created_at: row.try_get::<Timestamp, _>("created_at")?.get(),
            last_login_at: row
                .try_get::<Option<Timestamp>, _>("last_login_at")?
                .map(Timestamp::get),
        }))
    }
}

impl<'r, R> FromRow<'r, R> for OidcFlowRow
where
    R: Row,
    &'r str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    bool: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Timestamp: Decode<'r, R::Database> + Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        let purpose: String = row.try_get("purpose")?;
        Ok(Self(OidcFlow {
            provider: row.try_get("provider")?,
            browser_hash: row.try_get("browser_hash")?,
            sealed_verifier: row.try_get("verifier")?,
            nonce: row.try_get("nonce")?,
            next: row.try_get("next_path")?,
            remember: row.try_get("remember")?,
            purpose: FlowPurpose::from_stored(&purpose).ok_or_else(|| {
                sqlx::Error::ColumnDecode {
                    index: "purpose".into(),
                    source: "not a flow purpose".into(),
                }
            })?,
            user_id: row.try_get::<Option<i64>, _>("user_id")?.map(UserId),
            ip: row.try_get("ip")?,
            created_at: row.try_get::<Timestamp, _>("created_at")?.get(),
            expires_at: row.try_get::<Timestamp, _>("expires_at")?.get(),
        }))
    }
}

impl<'r, R> FromRow<'r, R> for PendingIdentityRow
where
    R: Row,
    &'r str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Timestamp: Decode<'r, R::Database> + Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        Ok(Self(
            TokenHash::from_stored(row.try_get("token_hash")?),
            PendingIdentity {
                provider: row.try_get("provider")?,
                issuer: row.try_get("issuer")?,
                subject: row.try_get("subject")?,
                email: row.try_get("email")?,
                preferred_username: row.try_get("preferred_username")?,
                name: row.try_get("name")?,
                next: row.try_get("next_path")?,
                browser_hash: row.try_get("browser_hash")?,
                created_at: row.try_get::<Timestamp, _>("created_at")?.get(),
                expires_at: row.try_get::<Timestamp, _>("expires_at")?.get(),
            },
        ))
    }
}
