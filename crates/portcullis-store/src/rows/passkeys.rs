//! `passkeys` and `webauthn_ceremonies` rows as domain values.

use crate::timestamp::Timestamp;
use portcullis_core::UserId;
use portcullis_core::domain::passkey::{
    Ceremony, CeremonyPurpose, PasskeyId, PasskeyInfo, StoredPasskey,
};
use portcullis_core::domain::session::SessionId;
use sqlx::{ColumnIndex, Decode, FromRow, Row, Type};

/// A `passkeys` row as a [`StoredPasskey`].
pub(crate) struct PasskeyRow(pub(crate) StoredPasskey);

/// A `webauthn_ceremonies` row as a [`Ceremony`].
pub(crate) struct CeremonyRow(pub(crate) Ceremony);

impl<'r, R> FromRow<'r, R> for PasskeyRow
where
    R: Row,
    &'r str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    bool: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Timestamp: Decode<'r, R::Database> + Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        Ok(Self(StoredPasskey {
            info: PasskeyInfo {
                id: PasskeyId(row.try_get("id")?),
                user_id: UserId(row.try_get("user_id")?),
                name: row.try_get("name")?,
                created_at: row.try_get::<Timestamp, _>("created_at")?.get(),
                last_used_at: row
                    .try_get::<Option<Timestamp>, _>("last_used_at")?
                    .map(Timestamp::get),
                backup_eligible: row.try_get("backup_eligible")?,
                backed_up: row.try_get("backed_up")?,
            },
            credential_id: row.try_get("credential_id")?,
            credential: row.try_get("credential")?,
            sign_count: row.try_get("sign_count")?,
        }))
    }
}

impl<'r, R> FromRow<'r, R> for CeremonyRow
where
    R: Row,
    &'r str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Timestamp: Decode<'r, R::Database> + Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        let purpose: String = row.try_get("purpose")?;
        Ok(Self(Ceremony {
            purpose: CeremonyPurpose::parse(&purpose).ok_or_else(|| sqlx::Error::ColumnDecode {
                index: "purpose".into(),
                source: format!("unknown ceremony purpose {purpose:?}").into(),
            })?,
            user_id: row.try_get::<Option<i64>, _>("user_id")?.map(UserId),
            session_id: row.try_get::<Option<i64>, _>("session_id")?.map(SessionId),
            state: row.try_get("state")?,
            created_at: row.try_get::<Timestamp, _>("created_at")?.get(),
            expires_at: row.try_get::<Timestamp, _>("expires_at")?.get(),
        }))
    }
}
