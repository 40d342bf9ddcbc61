//! Forward authentication: whether the request a reverse proxy is holding
//! may pass, decided from the headers the proxy describes it with.
//!
//! Two things go wrong in this design, and both are answered here, before
//! any rule sees the request.
//!
//! **The client chooses the headers.** Each proxy sets its own headers and
//! passes the client's copies of every other one through untouched. nginx
//! sets `X-Original-URL` but forwards a client's `X-Forwarded-Host`; Traefik
//! sets `X-Forwarded-*` but forwards a client's `X-Original-URL`. Reading
//! both sets would let a client name the host the rules judge. So the kind
//! of proxy is configured, and only its own set is ever read.
//!
//! **The rules and the application read different paths.** A rule that
//! protects `/admin` means nothing if `/public/../admin`, `/public/%2e%2e/admin`,
//! `//admin`, `/public%2F..%2Fadmin` or `/public\..\admin` reach the
//! application's `/admin` while the rules see something else. And a request
//! the parser cannot read must never be waved through: the Authelia advisory
//! GHSA-68wm-pfjf-wqp6 was a malformed `X-Original-URL` that failed to parse
//! and was answered with 200. So the request is parsed strictly and
//! normalised to one spelling; whatever is ambiguous (an encoded slash or
//! backslash, a NUL, a control character, a broken escape, a `..` above
//! the root) or unreadable is a [`Refusal`], which denies.

mod request;
mod rules;
#[cfg(test)]
mod tests;

pub use request::*;
pub use rules::*;
