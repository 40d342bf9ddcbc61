//! How instants are stored, so one SQL text serves both backends.
//!
//! sqlx's own SQLite encoding of [`OffsetDateTime`] is RFC 3339 text with a
//! variable number of fractional digits, which neither compares nor sorts
//! correctly as text. [`Timestamp`] stores unix milliseconds in an `INTEGER`
//! on SQLite and a `TIMESTAMPTZ` on PostgreSQL, and both sides truncate to the
//! millisecond (towards the past), so a value reads back exactly as written
//! and `<=` in SQL means what it says.

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
use sqlx::sqlite::{SqliteArgumentsBuffer, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Postgres, Sqlite, Type};
use time::OffsetDateTime;

const NANOS_PER_MILLI: i128 = 1_000_000;

/// An instant as the database holds it: millisecond precision, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// Wraps `at`, dropping anything finer than a millisecond.
    pub(crate) fn new(at: OffsetDateTime) -> Self {
        Self::from_millis(to_millis(at)).unwrap_or(Self(at))
    }

    /// The instant, in UTC.
    pub(crate) fn get(self) -> OffsetDateTime {
        self.0
    }

    fn millis(self) -> i64 {
        to_millis(self.0)
    }

    fn from_millis(ms: i64) -> Result<Self, time::error::ComponentRange> {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * NANOS_PER_MILLI).map(Self)
    }
}

/// Whole milliseconds since the epoch, rounded towards the past. Every
/// `OffsetDateTime` fits: its range is far smaller than `i64` milliseconds.
fn to_millis(at: OffsetDateTime) -> i64 {
    let ms = at.unix_timestamp_nanos().div_euclid(NANOS_PER_MILLI);
    i64::try_from(ms).unwrap_or(if ms < 0 { i64::MIN } else { i64::MAX })
}

/// Wraps an optional instant for binding.
pub(crate) fn opt(at: Option<OffsetDateTime>) -> Option<Timestamp> {
    at.map(Timestamp::new)
}

impl Type<Sqlite> for Timestamp {
    fn type_info() -> SqliteTypeInfo {
        <i64 as Type<Sqlite>>::type_info()
    }

    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <i64 as Type<Sqlite>>::compatible(ty)
    }
}

impl Encode<'_, Sqlite> for Timestamp {
    fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<Sqlite>>::encode(self.millis(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Timestamp {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let ms = <i64 as Decode<Sqlite>>::decode(value)?;
        Ok(Self::from_millis(ms)?)
    }
}

impl Type<Postgres> for Timestamp {
    fn type_info() -> PgTypeInfo {
        <OffsetDateTime as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <OffsetDateTime as Type<Postgres>>::compatible(ty)
    }
}

impl Encode<'_, Postgres> for Timestamp {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        // `self.0` is already whole milliseconds (see `new`), so PostgreSQL's
        // microseconds hold it exactly.
        <OffsetDateTime as Encode<Postgres>>::encode(self.0, buf)
    }

    fn size_hint(&self) -> usize {
        <OffsetDateTime as Encode<Postgres>>::size_hint(&self.0)
    }
}

impl<'r> Decode<'r, Postgres> for Timestamp {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        // Values written by hand (a default of `now()`, an operator's UPDATE)
        // may carry microseconds; truncate so every read is consistent.
        Ok(Self::new(<OffsetDateTime as Decode<Postgres>>::decode(
            value,
        )?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn sub_millisecond_digits_are_dropped() {
        let at = datetime!(2026-11-21 12:34:56.789_654_321 UTC);
        assert_eq!(
            Timestamp::new(at).get(),
            datetime!(2026-11-21 12:34:56.789 UTC)
        );
    }

    #[test]
    fn instants_before_the_epoch_truncate_towards_the_past() {
        let at = datetime!(1969-12-31 23:59:59.999_5 UTC);
        assert_eq!(Timestamp::new(at).millis(), -1);
        assert_eq!(
            Timestamp::new(at).get(),
            datetime!(1969-12-31 23:59:59.999 UTC)
        );
    }

    #[test]
    fn offsets_are_normalised_to_utc_without_moving_the_instant() {
        let at = datetime!(2026-01-01 01:00:00.5 +01:00);
        let stored = Timestamp::new(at).get();
        assert_eq!(stored, at);
        assert!(stored.offset().is_utc());
    }

    #[test]
    fn milliseconds_round_trip() {
        let ts = Timestamp::new(datetime!(2030-06-15 08:00:00.001 UTC));
        assert_eq!(Timestamp::from_millis(ts.millis()).ok(), Some(ts));
    }
}
