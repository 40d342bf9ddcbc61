//! Domain types. The input newtypes ([`username::Username`],
//! [`email::Email`], [`password::Password`]) can only be built by parsing, so
//! a value of one of them is valid by construction.

pub mod api_token;
pub mod email;
pub mod fields;
pub mod identity;
pub mod passkey;
pub mod password;
pub mod query;
pub mod role;
pub mod session;
pub mod user;
pub mod username;
