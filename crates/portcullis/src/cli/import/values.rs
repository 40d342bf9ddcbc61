//! Values as the sources write them: booleans as `1`/`true`/`t`,
//! SQLAlchemy's timestamps (`2024-03-01 12:30:00.123456`, naive = UTC),
//! RFC 3339 in files, and hashes that SQLAlchemy stored as bytes.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// Whether a boolean-ish value is true: anything but null, empty, `0`,
/// `false`/`f`/`no`/`n`/`off` (so a timestamp or an id counts as true).
pub fn truthy(value: &str) -> bool {
    !matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "" | "0" | "false" | "f" | "no" | "n" | "off"
    )
}

/// A timestamp in any of the forms the sources write, as UTC when it has
/// no offset; `None` for anything else.
pub fn timestamp(value: &str) -> Option<OffsetDateTime> {
    let value = value.trim();
    if let Ok(t) = OffsetDateTime::parse(value, &Rfc3339) {
        return Some(t);
    }
    // PostgreSQL's timestamptz text: "2024-03-01 12:30:00.123456+00".
    let (naive, offset) = split_offset(value);
    let naive = naive.replace('T', " ");
    let with_fraction =
        format_description!("[year]-[month]-[day] [hour]:[minute]:[second].[subsecond]");
    let without = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let date_only = format_description!("[year]-[month]-[day]");
    let at = PrimitiveDateTime::parse(&naive, with_fraction)
        .or_else(|_| PrimitiveDateTime::parse(&naive, without))
        .or_else(|_| Date::parse(&naive, date_only).map(|d| d.midnight()))
        .ok()?;
    Some(at.assume_offset(offset))
}

/// `value` split into its naive part and a trailing `+hh[:mm]`/`-hh[:mm]`
/// offset, UTC when there is none.
fn split_offset(value: &str) -> (&str, UtcOffset) {
    // The offset follows the time: look after the date's own dashes.
    if value.len() > 19 {
        let tail_start = 19;
        if let Some(pos) = value[tail_start..].find(['+', '-']) {
            let pos = tail_start + pos;
            let sign: i8 = if value.as_bytes()[pos] == b'-' { -1 } else { 1 };
            let digits: String = value[pos + 1..]
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            let hours: i8 = digits.get(..2).and_then(|h| h.parse().ok()).unwrap_or(0);
            let minutes: i8 = digits.get(2..4).and_then(|m| m.parse().ok()).unwrap_or(0);
            if let Ok(offset) = UtcOffset::from_hms(sign * hours, sign * minutes, 0) {
                return (&value[..pos], offset);
            }
        }
    }
    (value, UtcOffset::UTC)
}

/// A stored hash as text: SQLAlchemy on PostgreSQL writes a `bytes` value
/// (Flask-Bcrypt's hashes) into a text column as `\x` and hex; that is
/// decoded back. Surrounding whitespace is dropped.
pub fn hash_text(value: &str) -> String {
    let value = value.trim();
    if let Some(hex_part) = value.strip_prefix("\\x")
        && let Ok(bytes) = hex::decode(hex_part)
        && let Ok(text) = String::from_utf8(bytes)
    {
        return text.trim().to_owned();
    }
    value.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_read_as_each_backend_writes_them() {
        for yes in [
            "1",
            "true",
            "t",
            "TRUE",
            "2024-01-01 00:00:00",
            "110000000001",
        ] {
            assert!(truthy(yes), "{yes}");
        }
        for no in ["0", "false", "f", "", " ", "no", "off"] {
            assert!(!truthy(no), "{no}");
        }
    }

    #[test]
    fn timestamps_read_in_every_form_the_sources_write() {
        let utc = |s: &str| timestamp(s).map(|t| t.unix_timestamp());
        let noon = 1_709_296_200; // 2024-03-01 12:30:00 UTC
        assert_eq!(utc("2024-03-01 12:30:00"), Some(noon));
        assert_eq!(utc("2024-03-01 12:30:00.123456"), Some(noon));
        assert_eq!(utc("2024-03-01T12:30:00Z"), Some(noon));
        assert_eq!(utc("2024-03-01 13:30:00+01"), Some(noon));
        assert_eq!(utc("2024-03-01 07:30:00.5-05:00"), Some(noon));
        assert_eq!(utc("2024-03-01"), Some(noon - 45_000));
        assert_eq!(utc("yesterday"), None);
    }

    #[test]
    fn a_hash_stored_as_bytes_on_postgresql_is_decoded() {
        let hex = format!("\\x{}", hex::encode("$2b$12$abc"));
        assert_eq!(hash_text(&hex), "$2b$12$abc");
        assert_eq!(hash_text(" $2b$12$abc\n"), "$2b$12$abc");
        assert_eq!(hash_text("\\xnothex"), "\\xnothex");
    }
}
