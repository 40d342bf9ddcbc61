//! Passkeys (WebAuthn), tried with a software authenticator of the tests'
//! own: registering, signing in without a username, the second factor
//! after a password, and the ways an attacker would try them.

pub(crate) mod authenticator;
