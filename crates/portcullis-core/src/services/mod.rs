//! Use cases. Each public method is one thing a user or an operator does; the
//! web layer and the CLI call exactly one of them per request or command.

pub mod accounts;
pub mod auth;
