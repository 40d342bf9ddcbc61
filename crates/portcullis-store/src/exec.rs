//! Where a store's statements run: its connection pool, or one open
//! transaction. The store types hold an [`Exec`], and every statement takes
//! its connection from [`Exec::conn`], so the same trait impls serve the
//! store and the transactions it opens (`Store::begin`).

use portcullis_core::StoreError;
use sqlx::pool::PoolConnection;
use sqlx::{Database, Pool, Transaction};
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard};

/// A pool, or a transaction shared by the statements run in it.
pub(crate) enum Exec<DB: Database> {
    /// Each statement takes a connection from the pool.
    Pool(Pool<DB>),
    /// Every statement runs in this transaction; `None` once committed.
    Tx(Arc<Mutex<Option<Transaction<'static, DB>>>>),
}

impl<DB: Database> Clone for Exec<DB> {
    fn clone(&self) -> Self {
        match self {
            Self::Pool(pool) => Self::Pool(pool.clone()),
            Self::Tx(tx) => Self::Tx(tx.clone()),
        }
    }
}

impl<DB: Database> std::fmt::Debug for Exec<DB> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Pool(_) => "Exec::Pool",
            Self::Tx(_) => "Exec::Tx",
        })
    }
}

/// A connection to run one statement (or a nested transaction) on.
pub(crate) enum Conn<'a, DB: Database> {
    Pooled(PoolConnection<DB>),
    InTx(MappedMutexGuard<'a, Transaction<'static, DB>>),
}

impl<DB: Database> Deref for Conn<'_, DB> {
    type Target = DB::Connection;

    fn deref(&self) -> &Self::Target {
        match self {
            Self::Pooled(conn) => conn,
            Self::InTx(tx) => tx,
        }
    }
}

impl<DB: Database> DerefMut for Conn<'_, DB> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        match self {
            Self::Pooled(conn) => conn,
            Self::InTx(tx) => tx,
        }
    }
}

/// The error of a statement sent to a transaction that was committed.
#[derive(Debug, thiserror::Error)]
#[error("the transaction is over")]
struct TransactionOver;

impl<DB: Database> Exec<DB> {
    /// The connection for the next statement.
    pub(crate) async fn conn(&self) -> Result<Conn<'_, DB>, StoreError> {
        match self {
            Self::Pool(pool) => pool
                .acquire()
                .await
                .map(Conn::Pooled)
                .map_err(crate::error::backend),
            Self::Tx(tx) => MutexGuard::try_map(tx.lock().await, Option::as_mut)
                .map(Conn::InTx)
                .map_err(|_| StoreError::Backend(Box::new(TransactionOver))),
        }
    }

    /// Commits the transaction (nothing to do for a pool).
    pub(crate) async fn commit(&self) -> Result<(), StoreError> {
        match self {
            Self::Pool(_) => Ok(()),
            Self::Tx(tx) => match tx.lock().await.take() {
                Some(tx) => tx.commit().await.map_err(crate::error::backend),
                None => Err(StoreError::Backend(Box::new(TransactionOver))),
            },
        }
    }

    /// The pool, when statements are not in a transaction.
    pub(crate) fn pool(&self) -> Option<&Pool<DB>> {
        match self {
            Self::Pool(pool) => Some(pool),
            Self::Tx(_) => None,
        }
    }

    /// Wraps an open transaction.
    pub(crate) fn tx(tx: Transaction<'static, DB>) -> Self {
        Self::Tx(Arc::new(Mutex::new(Some(tx))))
    }
}
