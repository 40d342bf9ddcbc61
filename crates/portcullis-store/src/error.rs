//! Mapping sqlx errors onto [`StoreError`], shared by both backends. Only the
//! question "which unique constraint was it?" differs between them, so each
//! backend passes its own answer to [`write_error`].

use portcullis_core::{StoreError, UniqueField};
use sqlx::error::{DatabaseError, ErrorKind};

/// Tells which field a unique violation was about, from the backend's error.
pub(crate) type UniqueFieldOf = fn(&dyn DatabaseError) -> UniqueField;

/// Any failure of the database itself.
pub(crate) fn backend(err: sqlx::Error) -> StoreError {
    StoreError::Backend(Box::new(err))
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
