//! What the operator commands share: the system actor's authorizations,
//! finding an account by name, and saying what went wrong in words.

use crate::startup::Services;
use anyhow::{Context as _, anyhow};
use portcullis_core::access::{Capability, UsersRead};
use portcullis_core::{Actor, Authorized, Error, FieldErrors, User};

/// The operator at the command line holds every permission; this is the
/// proof the administrative use cases ask for.
pub(super) fn system<C: Capability>() -> Authorized<C> {
    match Actor::system().authorize::<C>() {
        Ok(granted) => granted,
        // The system actor holds every permission, so this cannot happen.
        Err(_) => unreachable!("the system actor holds every permission"),
    }
}

/// The account named `login` (username or email, any case).
pub(super) async fn find(services: &Services, login: &str) -> anyhow::Result<User> {
    services
        .auth
        .accounts()
        .find(&system::<UsersRead>(), login)
        .await
        .map_err(|e| anyhow!(describe(e)))
        .with_context(|| format!("no user {login:?}"))
}

/// One line per field problem, indented.
pub(super) fn field_lines(errors: &FieldErrors) -> String {
    let lines: Vec<String> = errors
        .iter()
        .map(|e| format!("  {}: {}", e.field, e.message))
        .collect();
    lines.join("\n")
}

/// A failure of a use case in words for the operator.
pub(super) fn describe(err: Error) -> String {
    match err {
        Error::Validation(errors) => field_lines(&errors),
        Error::Taken(field) => format!("that {field} is already taken"),
        Error::Forbidden(reason) => reason.to_owned(),
        Error::NotFound => "not found".to_owned(),
        err @ (Error::Internal(_) | Error::Unavailable(_)) => {
            portcullis_core::error::error_chain_fmt(&err)
        }
        other => other.to_string(),
    }
}

/// `describe` as an `anyhow` error.
pub(super) fn fail(err: Error) -> anyhow::Error {
    anyhow!(describe(err))
}
