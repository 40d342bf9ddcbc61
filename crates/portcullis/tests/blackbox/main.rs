//! The black-box suite: the real server, started in-process on port 0 against
//! a fresh SQLite file and a fresh PostgreSQL database, spoken to over HTTP by
//! a cookie-keeping client as a browser would.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod api;
mod cli;
mod csrf;
mod errors;
mod headers;
mod login;
mod register;
mod sessions;
