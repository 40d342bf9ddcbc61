//! Use cases. Each public method is one thing a user or an operator does; the
//! web layer and the CLI call exactly one of them per request or command.
//!
//! [`AuthService`] is one type whose methods are spread over files by
//! concern: registration and wiring here in `auth`, logging in in `login`,
//! sessions in `sessions`, operator actions in `accounts`, and the shared
//! plumbing (audit records, rate-limit checks) in `guard`. The flows that
//! send email: `reset` (forgotten password), `password` (change while
//! logged in), `confirm` (the registration address), `email_change`, with
//! the token plumbing they share in `tokens`.

pub mod accounts;
pub mod auth;
mod confirm;
mod email_change;
mod guard;
mod login;
pub mod password;
mod reset;
pub mod roles;
mod sessions;
mod tokens;
