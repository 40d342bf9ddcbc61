//! The domain of Portcullis: what a user, a credential and a session are, the
//! rules that govern them, and the use cases (services) that apply those rules.
//!
//! This crate does no I/O of its own. Persistence goes through the [`store`]
//! traits (implemented in `portcullis-store`), time through [`Clock`], and the
//! web layer (`portcullis-axum`) only parses requests and maps results.
//!
//! ```
//! use portcullis_core::{Username, Email, Password};
//!
//! let name = Username::parse("  Alice_1 ").unwrap();
//! assert_eq!(name.as_str(), "Alice_1");
//! assert_eq!(name.key(), "alice_1");
//! assert!(Email::parse("not-an-email").is_err());
//! assert!(Password::parse("short").is_err());
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod access;
pub mod audit;
pub mod clock;
pub mod domain;
pub mod error;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod hashing;
pub mod notify;
pub mod policy;
pub mod provider;
pub mod sealing;
pub mod services;
pub mod store;
pub mod token;

pub use access::{Actor, Authorized, PermissionSet};
pub use audit::{AuditEvent, AuditFilter, AuditKind, RequestContext};
pub use clock::{Clock, ManualClock, SystemClock};
pub use domain::query::{UserQuery, UserSort};
pub use domain::role::{Permission, RoleInfo};
pub use domain::{
    email::Email,
    fields::{FieldError, FieldErrors},
    password::Password,
    session::{Session, SessionId, SessionPolicy},
    user::{AccountKind, Role, User, UserId},
    username::Username,
};
pub use error::Error;
pub use hashing::{HashingConfig, PasswordHasher};
pub use notify::{NoNotifier, Notice, Notifier};
pub use policy::SecurityPolicy;
pub use services::admin::{AccountAction, AccountDetail, UserEdit, UserWithRoles};
pub use services::login::{LoginAttempt, LoginSuccess};
pub use services::password::PasswordChange;
pub use services::register::{Registered, Registration};
pub use services::roles::RoleSpec;
pub use services::{AuthService, AuthServiceBuilder};
pub use store::{ResolvedSession, Store, StoreError, TokenPurpose, Transaction, UniqueField};
pub use token::{SecretToken, TokenHash};
