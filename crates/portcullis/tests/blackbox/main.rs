//! The black-box suite: the real server, started in-process on port 0 against
//! a fresh SQLite file and a fresh PostgreSQL database, spoken to over HTTP by
//! a cookie-keeping client as a browser would.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod fake_provider;
mod oidc_provider;
mod oidc_support;
mod smtp;

mod account_sessions;
mod admin;
mod api;
mod audit;
mod change_email;
mod change_password;
mod cli;
mod confirm;
mod connections;
mod containment;
mod csrf;
mod email_links;
mod enumeration;
mod error_pages;
mod errors;
mod forward_auth;
mod guards;
mod headers;
mod hostile_input;
mod instances;
mod lockout;
mod login;
mod logs;
mod oidc_accounts;
mod oidc_client;
mod oidc_harness;
mod oidc_login;
mod openapi;
mod outbox;
mod pages_ux;
mod password_policy;
mod password_reset;
mod process;
mod proxies;
mod races;
mod rate_limits;
mod readable;
mod register;
mod reset_probes;
mod role_permissions;
mod service_accounts;
mod sessions;
mod tokens;
mod tokens_pages;
mod totp;
mod two_factor;
