//! Changing accounts on an administrator's behalf: editing, deleting,
//! setting a password, and the one-click actions.

use super::super::email_change::VOIDED_BY_ADDRESS_CHANGE;
use super::super::plumbing::acted_by;
use super::Accounts;
use crate::access::{Authorized, UsersManage};
use crate::audit::{AuditKind, RequestContext};
use crate::domain::email::Email;
use crate::domain::fields::FieldErrors;
use crate::domain::password::Password;
use crate::domain::role::USERS_MANAGE;
use crate::domain::user::{AccountKind, User, UserId};
use crate::domain::username::Username;
use crate::error::Error;
use crate::notify::Notice;
use crate::services::tokens::{ALL_KINDS, Tokens};
use crate::store::{ProfileUpdate, TokenPurpose};

/// Changes an administrator makes to an account's profile.
#[derive(Debug, Clone, Default)]
pub struct UserEdit {
    /// The new username.
    pub username: String,
    /// The new address; a change makes it unconfirmed and mails a link.
    /// Required for a person; a service account has none (give `None` or
    /// an empty string).
    pub email: Option<String>,
    /// The display name; empty clears it.
    pub name: Option<String>,
}

/// The one-click actions on an account, as the admin pages and API name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountAction {
    /// Let the account log in again.
    Activate,
    /// Stop the account logging in, and end its sessions.
    Deactivate,
    /// Lift a lockout now.
    Unlock,
    /// End every session of the account.
    RevokeSessions,
}

impl AccountAction {
    /// Parses `activate`, `deactivate`, `unlock`, `revoke-sessions`.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "activate" => Self::Activate,
            "deactivate" => Self::Deactivate,
            "unlock" => Self::Unlock,
            "revoke-sessions" => Self::RevokeSessions,
            _ => return None,
        })
    }
}

impl Accounts<'_> {
    /// Changes an account's username, email and display name. A new address
    /// is unconfirmed: every link sent to the old one is voided and a
    /// confirmation link goes to the new one.
    pub async fn update(
        &self,
        by: &Authorized<UsersManage>,
        id: UserId,
        edit: &UserEdit,
        ctx: &RequestContext,
    ) -> Result<User, Error> {
        let d = self.d;
        let a = d.begin_on_account(by.actor(), USERS_MANAGE, id).await?;
        let update = parse_edit(edit, a.target.kind)?;
        let now = d.clock.now();
        a.tx.update_user_profile(id, &update, now).await?;
        let old_key = a.target.mailbox().map(str::to_lowercase);
        let relinked = match (&update.email_key, &update.email) {
            (Some(new_key), Some(new_email)) if old_key.as_ref() != Some(new_key) => {
                a.tx.mark_unconfirmed(id).await?;
                for purpose in VOIDED_BY_ADDRESS_CHANGE {
                    a.tx.void_email_tokens(id, purpose, now).await?;
                }
                let token = d
                    .issue_token_on(a.tx.as_ref(), id, TokenPurpose::Confirm, None)
                    .await?;
                // The new link is kept only with the email that carries it.
                let notice = Notice::ConfirmEmail {
                    to: new_email.clone(),
                    username: update.username.as_str().to_owned(),
                    token,
                };
                let expires_at = now + d.token_ttl(TokenPurpose::Confirm);
                d.queue_on(a.tx.as_ref(), &notice, expires_at).await?;
                true
            }
            _ => false,
        };
        a.tx.commit().await?;
        if relinked {
            d.mail_queued();
        }
        d.record(acted_by(
            d.event(AuditKind::UserUpdated, ctx)
                .target(id)
                .detail("username", update.username.as_str())
                .detail("email", update.email.as_deref()),
            &a.actor,
        ))
        .await;
        let user = d.store.user_by_id(id).await?.ok_or(Error::NotFound)?;
        if relinked {
            d.record(d.event(AuditKind::ConfirmationSent, ctx).target(id))
                .await;
        }
        Ok(user)
    }

    /// Deletes an account. Nobody deletes themselves, and the last active
    /// administrator stays.
    pub async fn delete(
        &self,
        by: &Authorized<UsersManage>,
        id: UserId,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        let d = self.d;
        let a = d.begin_on_account(by.actor(), USERS_MANAGE, id).await?;
        a.not_self("you cannot delete your own account here")?;
        a.guard_last_admin("the last active administrator cannot be deleted")
            .await?;
        a.tx.delete_user(id).await?;
        a.tx.commit().await?;
        d.record(acted_by(
            d.event(AuditKind::UserDeleted, ctx)
                .target(id)
                .detail("username", a.target.username.as_str()),
            &a.actor,
        ))
        .await;
        Ok(())
    }

    /// Sets a new password for an account: the policy applies, and in the
    /// same transaction every session of the account ends, any lock is
    /// lifted and its reset links are voided.
    pub async fn set_password(
        &self,
        by: &Authorized<UsersManage>,
        id: UserId,
        password: &str,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        let d = self.d;
        let pw = Password::parse(password)
            .map_err(|e| Error::Validation(FieldErrors::single("password", e.to_string())))?;
        let target = d.store.user_by_id(id).await?.ok_or(Error::NotFound)?;
        if target.is_service() {
            return Err(Error::Forbidden(
                "a service account has no password: it acts through tokens",
            ));
        }
        d.check_policy(&target, &pw, "password")?;
        let hash = d.hasher.hash(pw.expose()).await?;
        let a = d.begin_on_account(by.actor(), USERS_MANAGE, id).await?;
        let now = d.clock.now();
        a.tx.set_password_hash(id, &hash, now).await?;
        a.tx.delete_sessions_of(id).await?;
        a.tx.unlock_user(id).await?;
        a.tx.void_email_tokens(id, TokenPurpose::Reset, now).await?;
        // As after a reset: whoever had the account's credentials is out.
        let tokens = a.tx.revoke_api_tokens_of(id, &ALL_KINDS, now).await?;
        a.tx.commit().await?;
        d.record(acted_by(
            d.event(AuditKind::PasswordSet, ctx)
                .target(id)
                .detail("tokens_revoked", tokens),
            &a.actor,
        ))
        .await;
        Tokens { d }
            .revoked_many(id, tokens, "password_set", Some(&a.actor), ctx)
            .await;
        Ok(())
    }

    /// Removes every second factor of the account (TOTP, recovery codes
    /// and passkeys) and ends its sessions, for an owner who lost their
    /// device; the owner is told. Returns whether it had any.
    pub async fn reset_two_factor(
        &self,
        by: &Authorized<UsersManage>,
        id: UserId,
        ctx: &RequestContext,
    ) -> Result<bool, Error> {
        let d = self.d;
        let a = d.begin_on_account(by.actor(), USERS_MANAGE, id).await?;
        let had_totp = a.tx.delete_totp(id).await?;
        a.tx.delete_recovery_codes(id).await?;
        let passkeys = a.tx.delete_passkeys_of(id).await?;
        let had = had_totp || passkeys > 0;
        let ended = a.tx.delete_sessions_of(id).await?;
        a.tx.commit().await?;
        d.record(acted_by(
            d.event(AuditKind::TwoFactorReset, ctx)
                .target(id)
                .detail("sessions_ended", ended)
                .detail("passkeys_removed", passkeys),
            &a.actor,
        ))
        .await;
        if had {
            d.tell(&a.target, |to| Notice::TwoFactorDisabled {
                to,
                username: a.target.username.clone(),
                by_operator: true,
            })
            .await;
        }
        Ok(had)
    }

    /// Removes one passkey of the account, for an owner who lost the
    /// device; its sessions go on. The owner is told. Unlike the owner, an
    /// administrator may remove the last way in (the owner can still reset
    /// the password by email).
    pub async fn remove_passkey(
        &self,
        by: &Authorized<UsersManage>,
        id: UserId,
        passkey: crate::domain::passkey::PasskeyId,
        ctx: &RequestContext,
    ) -> Result<crate::domain::passkey::PasskeyInfo, Error> {
        let d = self.d;
        let a = d.begin_on_account(by.actor(), USERS_MANAGE, id).await?;
        let removed =
            a.tx.delete_passkey(id, passkey)
                .await?
                .ok_or(Error::NotFound)?;
        a.tx.commit().await?;
        d.record(acted_by(
            d.event(AuditKind::PasskeyRemoved, ctx)
                .target(id)
                .detail("passkey", removed.name.as_str()),
            &a.actor,
        ))
        .await;
        d.tell(&a.target, |to| Notice::PasskeyRemoved {
            to,
            username: a.target.username.clone(),
            name: removed.name.clone(),
            by_operator: true,
        })
        .await;
        Ok(removed)
    }

    /// Applies `action` to the account; returns how many sessions it ended
    /// (`RevokeSessions` and `Deactivate`; 0 otherwise). Nobody deactivates
    /// themselves, and the last active administrator stays active.
    pub async fn apply(
        &self,
        by: &Authorized<UsersManage>,
        action: AccountAction,
        id: UserId,
        ctx: &RequestContext,
    ) -> Result<u64, Error> {
        let d = self.d;
        let a = d.begin_on_account(by.actor(), USERS_MANAGE, id).await?;
        let now = d.clock.now();
        let (event, ended) = match action {
            AccountAction::Activate => {
                a.tx.set_active(id, true, now).await?;
                (d.event(AuditKind::UserActivated, ctx), 0)
            }
            AccountAction::Deactivate => {
                a.not_self("you cannot deactivate your own account")?;
                a.guard_last_admin("the last active administrator cannot be deactivated")
                    .await?;
                a.tx.set_active(id, false, now).await?;
                let ended = a.tx.delete_sessions_of(id).await?;
                (
                    d.event(AuditKind::UserDeactivated, ctx)
                        .detail("sessions_ended", ended),
                    ended,
                )
            }
            AccountAction::Unlock => {
                a.tx.unlock_user(id).await?;
                (d.event(AuditKind::Unlocked, ctx), 0)
            }
            AccountAction::RevokeSessions => {
                let ended = a.tx.delete_sessions_of(id).await?;
                (
                    d.event(AuditKind::SessionRevoked, ctx).detail("all", ended),
                    ended,
                )
            }
        };
        a.tx.commit().await?;
        d.record(acted_by(event.target(id), &a.actor)).await;
        Ok(ended)
    }
}

/// Validates an edit into the profile to store, for an account of `kind`.
fn parse_edit(edit: &UserEdit, kind: AccountKind) -> Result<ProfileUpdate, Error> {
    let mut errors = FieldErrors::new();
    let username = errors.take("username", Username::parse(&edit.username));
    let given = edit
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty());
    let email = match (kind, given) {
        (AccountKind::Human, Some(given)) => errors.take("email", Email::parse(given)).map(Some),
        (AccountKind::Human, None) => {
            errors.add("email", "Enter an email address.");
            None
        }
        (AccountKind::Service, None) => Some(None),
        (AccountKind::Service, Some(_)) => {
            errors.add("email", "A service account has no email address.");
            None
        }
    };
    let name = edit
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    if name
        .as_ref()
        .is_some_and(|n| n.chars().count() > 100 || n.chars().any(char::is_control))
    {
        errors.add(
            "name",
            "A name is at most 100 characters, without control characters.",
        );
    }
    match (username, email) {
        (Some(username), Some(email)) if errors.is_empty() => Ok(ProfileUpdate {
            username: username.as_str().to_owned(),
            username_key: username.key(),
            email_key: email.as_ref().map(Email::key),
            email: email.map(|e| e.as_str().to_owned()),
            name,
        }),
        _ => Err(Error::Validation(errors)),
    }
}
