//! `mail_queue` rows as [`QueuedMail`].

use crate::timestamp::Timestamp;
use portcullis_core::store::{MailState, QueuedMail};
use sqlx::{ColumnIndex, Decode, FromRow, Row, Type};

/// A `mail_queue` row.
pub(crate) struct QueuedMailRow(pub(crate) QueuedMail);

impl<'r, R> FromRow<'r, R> for QueuedMailRow
where
    R: Row,
    &'r str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Timestamp: Decode<'r, R::Database> + Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        let state: String = row.try_get("state")?;
        Ok(Self(QueuedMail {
            id: row.try_get("id")?,
            kind: row.try_get("kind")?,
            recipient: row.try_get("recipient")?,
            payload: row.try_get("payload")?,
            state: MailState::parse(&state).ok_or_else(|| sqlx::Error::ColumnDecode {
                index: "state".into(),
                source: format!("unknown mail state {state:?}").into(),
            })?,
            attempts: row.try_get("attempts")?,
            created_at: row.try_get::<Timestamp, _>("created_at")?.get(),
            next_attempt_at: row.try_get::<Timestamp, _>("next_attempt_at")?.get(),
            expires_at: row.try_get::<Timestamp, _>("expires_at")?.get(),
            last_error: row.try_get("last_error")?,
        }))
    }
}
