//! Making tokens: with a password (`POST /api/token`), by their owner
//! (personal access tokens), and by an administrator for a service account.
//! Only the hash is stored; the secret is in the answer, once.

use super::Tokens;
use crate::access::{Actor, Authorized, TokensManage};
use crate::audit::{AuditKind, RequestContext};
use crate::domain::api_token::{ApiToken, Scopes, TokenKind, is_self_service};
use crate::domain::fields::FieldErrors;
use crate::domain::role::{Permission, TOKENS_MANAGE};
use crate::domain::user::{User, UserId};
use crate::error::Error;
use crate::policy::Expiry;
use crate::services::login::LoginAttempt;
use crate::services::plumbing::acted_by;
use crate::services::second_step::CodeCheck;
use crate::services::sessions::Sessions;
use crate::store::NewApiToken;
use crate::token::ApiTokenSecret;
use std::collections::BTreeSet;

/// Most scopes one token may carry.
const MAX_SCOPES: usize = 64;
/// Longest token name, in characters.
const MAX_NAME: usize = 100;

/// A token just made: what was stored, and the secret, which is shown once
/// and never again.
#[derive(Debug)]
pub struct IssuedToken {
    /// The stored token.
    pub token: ApiToken,
    /// The secret, for the answer.
    pub secret: ApiTokenSecret,
}

/// What a new personal or service token is to be.
#[derive(Debug, Clone, Default)]
pub struct TokenRequest {
    /// What its owner calls it ("CI deploys").
    pub name: String,
    /// Its scopes: permissions, or the self-service `me:*` scopes.
    pub scopes: Vec<String>,
    /// How long it lives.
    pub expiry: Expiry,
}

/// A request checked: its name and scopes parsed.
struct Checked {
    name: String,
    scopes: BTreeSet<String>,
}

impl Tokens<'_> {
    /// A login token for the credentials of `attempt` (and, for an account
    /// with a second factor, `otp`: a TOTP or recovery code): the same rate
    /// limits, lockout and answers as a login. Without `otp` such an
    /// account answers [`Error::TwoFactorRequired`]; a wrong one,
    /// [`Error::InvalidCode`], counted as a failed login. The token carries
    /// everything its owner may do and lives `tokens.login_lifetime`.
    pub async fn login(
        &self,
        attempt: &LoginAttempt,
        otp: Option<&str>,
    ) -> Result<IssuedToken, Error> {
        let d = self.d;
        let ctx = attempt.context();
        let sessions = Sessions { d };
        let proven = sessions.prove_password(attempt).await?;
        let user = proven.user;
        let assurance = if proven.two_factor {
            let Some(code) = otp.map(str::trim).filter(|c| !c.is_empty()) else {
                return Err(Error::TwoFactorRequired);
            };
            match d.check_second_factor(&user, code, &ctx).await? {
                CodeCheck::Right => "two_factor",
                CodeCheck::Wrong => return Err(Error::InvalidCode),
                CodeCheck::Locked => {
                    return Err(match d.security.lockout.reveal {
                        true => Error::Locked {
                            remaining: d.security.lockout.duration,
                        },
                        false => Error::InvalidCredentials,
                    });
                }
            }
        } else {
            "password"
        };
        d.refund(proven.hits).await;
        let now = d.clock.now();
        d.store
            .record_login(user.id, now, ctx.ip.as_deref())
            .await?;
        d.record(
            d.event(AuditKind::LoginSucceeded, &ctx)
                .by(user.id)
                .detail("via", "token")
                .detail("assurance", assurance),
        )
        .await;
        let secret = ApiTokenSecret::generate();
        let new = NewApiToken {
            token_hash: secret.hash(),
            user_id: user.id,
            kind: TokenKind::Login,
            name: "API login".to_owned(),
            scopes: Scopes::Owner,
            created_at: now,
            expires_at: Some(now + d.security.tokens.login_lifetime),
            created_by: None,
        };
        let token = d.store.create_api_token(&new).await?;
        self.created(&token, None, &ctx).await;
        Ok(IssuedToken { token, secret })
    }

    /// A personal access token for `owner`, made by the owner: through a
    /// session (`within` is [`Scopes::Owner`]) or through a token carrying
    /// `me:tokens`, whose scopes `within` are (the new token gets no more).
    /// Each scope must be a self-service one or a permission the owner
    /// holds now. A service account's tokens are made by an administrator.
    pub async fn create_personal(
        &self,
        owner: &User,
        within: &Scopes,
        request: &TokenRequest,
        ctx: &RequestContext,
    ) -> Result<IssuedToken, Error> {
        if owner.is_service() {
            return Err(Error::Forbidden(
                "a service account's tokens are made by an administrator",
            ));
        }
        let checked = self.check(owner.id, request, "You do not hold").await?;
        if !within.covers(&checked.scopes) {
            return Err(Error::Forbidden(
                "a token can make tokens only with scopes it carries itself",
            ));
        }
        let (new, secret) =
            self.new_token(owner.id, TokenKind::Personal, checked, request.expiry, None)?;
        let token = self.d.store.create_api_token(&new).await?;
        self.created(&token, None, ctx).await;
        Ok(IssuedToken { token, secret })
    }

    /// A token for the service account `service`, made by an administrator
    /// who may act on it (containment: see [`crate::access`]). No one mints
    /// tokens for a person.
    pub async fn create_service(
        &self,
        by: &Authorized<TokensManage>,
        service: UserId,
        request: &TokenRequest,
        ctx: &RequestContext,
    ) -> Result<IssuedToken, Error> {
        let d = self.d;
        let a = d
            .begin_on_account(by.actor(), TOKENS_MANAGE, service)
            .await?;
        if !a.target.is_service() {
            return Err(Error::Forbidden(
                "tokens are minted only for service accounts; people make their own",
            ));
        }
        let checked = self
            .check(service, request, "The service account does not hold")
            .await?;
        let (new, secret) = self.new_token(
            service,
            TokenKind::Service,
            checked,
            request.expiry,
            a.actor.id(),
        )?;
        let token = a.tx.create_api_token(&new).await?;
        a.tx.commit().await?;
        self.created(&token, Some(&a.actor), ctx).await;
        Ok(IssuedToken { token, secret })
    }

    /// A new token's secret and what is stored of it.
    fn new_token(
        &self,
        owner: UserId,
        kind: TokenKind,
        checked: Checked,
        expiry: Expiry,
        created_by: Option<UserId>,
    ) -> Result<(NewApiToken, ApiTokenSecret), Error> {
        let d = self.d;
        let now = d.clock.now();
        let expires_at = d
            .security
            .tokens
            .expires_at(expiry, now)
            .map_err(|why| FieldErrors::single("expires_in", why))?;
        let secret = ApiTokenSecret::generate();
        let new = NewApiToken {
            token_hash: secret.hash(),
            user_id: owner,
            kind,
            name: checked.name,
            scopes: Scopes::Only(checked.scopes),
            created_at: now,
            expires_at,
            created_by,
        };
        Ok((new, secret))
    }

    /// Records that `token` was made (by `admin`, if not by its owner).
    async fn created(&self, token: &ApiToken, admin: Option<&Actor>, ctx: &RequestContext) {
        let d = self.d;
        let event = d
            .event(AuditKind::TokenCreated, ctx)
            .target(token.user_id)
            .detail("token_id", token.id.0)
            .detail("name", token.name.as_str())
            .detail("kind", token.kind.as_str())
            .detail("scopes", token.scopes.listed())
            .detail(
                "expires_at",
                token.expires_at.and_then(|at| {
                    at.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                }),
            );
        let event = match admin {
            Some(actor) => acted_by(event, actor),
            None => event.by(token.user_id),
        };
        d.record(event).await;
    }

    /// Parses `request`'s name and scopes; each scope must be self-service
    /// or held by `owner` now (`lacking` begins the message otherwise).
    async fn check(
        &self,
        owner: UserId,
        request: &TokenRequest,
        lacking: &str,
    ) -> Result<Checked, Error> {
        let d = self.d;
        let mut errors = FieldErrors::new();
        let name = request.name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control)
        {
            errors.add(
                "name",
                format!("Give the token a name of 1 to {MAX_NAME} characters."),
            );
        }
        let held = d.permission_set_on(d.store.as_ref(), owner).await?;
        let mut scopes = BTreeSet::new();
        for scope in &request.scopes {
            match Permission::parse(scope) {
                Ok(p) if is_self_service(p.as_str()) || held.holds(p.as_str()) => {
                    scopes.insert(p.as_str().to_owned());
                }
                Ok(p) => errors.add("scopes", format!("{lacking} {p}.")),
                Err(e) => errors.add("scopes", format!("{scope:?}: {e}")),
            }
        }
        if request.scopes.is_empty() {
            errors.add("scopes", "Give the token at least one scope.");
        } else if scopes.len() > MAX_SCOPES {
            errors.add(
                "scopes",
                format!("A token has at most {MAX_SCOPES} scopes."),
            );
        }
        if errors.is_empty() {
            Ok(Checked {
                name: name.to_owned(),
                scopes,
            })
        } else {
            Err(Error::Validation(errors))
        }
    }
}
