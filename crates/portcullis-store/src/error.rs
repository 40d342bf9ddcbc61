//! Mapping sqlx errors onto [`StoreError`], shared by both backends. Only the
//! question "which unique constraint was it?" differs between them, so each
//! backend passes its own answer to [`write_error`].

use portcullis_core::{StoreError, UniqueField};
use sqlx::error::{DatabaseError, ErrorKind};

/// Tells which field a unique violation was about, from the backend's error.
pub(crate) type UniqueFieldOf = fn(&dyn DatabaseError) -> UniqueField;

/// Any failure of the database itself: [`StoreError::Unavailable`] when
/// it is one that passes (see [`is_unavailable`]), `Backend` otherwise.
pub(crate) fn backend(err: sqlx::Error) -> StoreError {
    if is_unavailable(&err) {
        StoreError::Unavailable(Box::new(err))
    } else {
        StoreError::Backend(Box::new(err))
    }
}

/// Whether `err` says the database cannot serve now rather than that the
/// statement is wrong: no connection (refused, cut, timed out, pool
/// closed, or a connection that broke off mid-handshake, which sqlx
/// reports as a protocol error), a server shutting down or starting, or no
/// room to write.
pub(crate) fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| unavailable_code(&code)),
        _ => false,
    }
}

/// PostgreSQL SQLSTATEs and SQLite result codes (primary, or extended,
/// whose low byte is the primary) meaning "not now".
fn unavailable_code(code: &str) -> bool {
    // PostgreSQL: class 08 connection exception, 53 insufficient resources
    // (53100 disk full), 57P01-57P03 shutting down or starting up.
    if code.starts_with("08")
        || code.starts_with("53")
        || matches!(code, "57P01" | "57P02" | "57P03")
    {
        return true;
    }
    // SQLite: BUSY 5, LOCKED 6, READONLY 8, IOERR 10, FULL 13, CANTOPEN 14.
    code.parse::<u32>()
        .is_ok_and(|n| matches!(n & 0xff, 5 | 6 | 8 | 10 | 13 | 14))
}

/// A failed write: a unique violation is a `Conflict` on the field it names,
/// a foreign-key violation means a referenced row (user, role) is gone, and
/// anything else is the database's problem.
pub(crate) fn write_error(err: sqlx::Error, unique_field_of: UniqueFieldOf) -> StoreError {
    if let sqlx::Error::Database(db) = &err {
        match db.kind() {
            ErrorKind::UniqueViolation => {
                return StoreError::Conflict(unique_field_of(db.as_ref()));
            }
            ErrorKind::ForeignKeyViolation => return StoreError::NotFound,
            _ => {}
        }
    }
    backend(err)
}

/// `Ok` when an UPDATE found its row, `NotFound` otherwise.
pub(crate) fn found(rows_affected: u64) -> Result<(), StoreError> {
    if rows_affected == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::unavailable_code;

    #[test]
    fn codes_that_pass_are_told_from_mistakes() {
        for code in [
            "08006", "08001", "53100", "53300", "57P01", "57P03", "13", "5", "10", "522", "3338",
        ] {
            assert!(unavailable_code(code), "{code}");
        }
        // Unique and foreign-key violations, syntax errors, constraint failures.
        for code in ["23505", "23503", "42601", "2067", "787", "1", "19"] {
            assert!(!unavailable_code(code), "{code}");
        }
    }
}
