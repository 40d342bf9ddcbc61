//! SQLite and PostgreSQL storage for Portcullis: the sqlx implementations of
//! the [`portcullis_core::Store`] traits, the schema migrations of each
//! backend, and the handle the binary opens at startup.
//!
//! The store persists; it never decides policy (expiry, lockout, who may do
//! what): that lives in `portcullis-core`, which hands the store every instant
//! it needs from its `Clock`.
//!
//! Modules:
//! - `config`: [`StoreConfig`], [`OpenError`], and masking passwords in URLs.
//! - `database`: [`Database`], which connects, migrates, hands out the store
//!   and closes.
//! - `sql`: every statement, written once in the dialect both backends share,
//!   one submodule per concern (users, roles, sessions, ...).
//! - `store_impl`: the trait impls, expanded by one macro for each backend,
//!   one submodule per trait.
//! - `sqlite`, `postgres`: what differs (pool options, pragmas, migrations,
//!   naming the unique constraint behind a conflict).
//! - `rows`: decoding rows into domain types, generic over the backend.
//! - `timestamp`: instants as unix milliseconds on SQLite and `timestamptz` on
//!   PostgreSQL, truncated to the millisecond on both.
//! - `error`: sqlx errors to [`portcullis_core::StoreError`].
//! - `testing` (feature `testing`): throwaway databases for test suites.
//!
//! ```
//! # async fn demo() -> Result<(), portcullis_store::OpenError> {
//! use portcullis_store::{Database, StoreConfig};
//!
//! let db = Database::connect(&StoreConfig::new("sqlite::memory:")).await?;
//! db.migrate().await?;
//! let store = db.store(); // Arc<dyn portcullis_core::Store>
//! # drop(store);
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod backup;
mod config;
mod database;
mod error;
mod exec;
mod postgres;
mod rows;
mod schema;
mod sql;
mod sqlite;
mod store_impl;
mod timestamp;

#[cfg(feature = "testing")]
pub mod testing;

pub use backup::{BackupError, backup, restore};
pub use config::{OpenError, StoreConfig};
pub use database::Database;
pub use schema::{MigrationInfo, SchemaStatus};
