//! Guards: the Rust form of Flask-Security's `login_required`,
//! `roles_required`, `roles_accepted`, `permission_required` and
//! `confirmed_required`, as route layers and as extractors.
//!
//! Every guard answers the way the client expects: an anonymous browser is
//! sent to `/auth/login?next=…`, an anonymous API client gets 401, and a
//! logged-in user who lacks the right gets a 403 page or JSON error.
//!
//! ```
//! use axum::{Router, routing::{get, post}};
//! use portcullis_axum::guard::{self, RequirePermission};
//!
//! portcullis_axum::permission!(DeletePosts = "posts:delete");
//!
//! async fn delete_post(RequirePermission(user, ..): RequirePermission<DeletePosts>) -> String {
//!     format!("{} deleted a post", user.username)
//! }
//!
//! let app: Router = Router::new()
//!     .route("/posts/delete", post(delete_post))
//!     .merge(
//!         Router::new()
//!             .route("/reports", get(|| async { "reports" }))
//!             .route_layer(guard::require_any_role(["editor", "admin"])),
//!     )
//!     .merge(
//!         Router::new()
//!             .route("/members", get(|| async { "members only" }))
//!             .route_layer(guard::require_confirmed()),
//!     );
//! // Then: portcullis.wrap(app.merge(portcullis.routes()))
//! ```

use crate::caller::{Caller, insufficient_scope, session_required};
use crate::error::{ApiError, PageError, wants_json_parts};
use crate::extract::login_required;
use crate::session::Authenticated;
use crate::state::Portcullis;
use axum::extract::{FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use portcullis_core::User;
use portcullis_core::access::{Authorized, Capability, PermissionSet};
use portcullis_core::domain::session::Assurance;
use std::convert::Infallible;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower::{Layer, Service};

/// What a guard demands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// A logged-in user.
    Login,
    /// A user holding this role.
    Role(String),
    /// A user holding at least one of these roles.
    AnyRole(Vec<String>),
    /// A user holding this permission through any role.
    Permission(String),
    /// A user whose email address is confirmed.
    Confirmed,
    /// A session authenticated with a second factor.
    TwoFactor,
}

/// Checks `rule` for the request, made with a session or an API token; the
/// caller on success, the response to send otherwise. For a token the
/// roles and permissions are those its scopes leave (see [`Caller`]), and
/// [`Rule::TwoFactor`] holds only for a session.
pub async fn check(rule: &Rule, parts: &Parts) -> Result<Caller, Response> {
    let Some(caller) = parts.extensions.get::<Caller>().cloned() else {
        return Err(login_required(parts).into_response());
    };
    if parts.extensions.get::<Portcullis>().is_none() {
        return Err(
            PageError::internal("guard used on a router without Portcullis::wrap").into_response(),
        );
    }
    // Roles and permissions came with the session or token, in the same
    // statement.
    let allowed = match rule {
        Rule::Login => true,
        Rule::Confirmed => caller.user.confirmed_at.is_some(),
        Rule::Role(role) => caller.roles.iter().any(|r| &r.name == role),
        Rule::AnyRole(accepted) => caller.roles.iter().any(|r| accepted.contains(&r.name)),
        Rule::Permission(permission) => caller.permissions.holds(permission),
        Rule::TwoFactor => caller
            .session()
            .is_some_and(|s| s.assurance >= Assurance::TwoFactor),
    };
    if allowed {
        Ok(caller)
    } else {
        Err(forbidden(parts, rule, &caller))
    }
}

fn forbidden(parts: &Parts, rule: &Rule, caller: &Caller) -> Response {
    if caller.token().is_some() {
        return match rule {
            Rule::TwoFactor => session_required(),
            Rule::Permission(permission) => insufficient_scope(permission).into_response(),
            Rule::Role(_) | Rule::AnyRole(_) => ApiError::new(
                StatusCode::FORBIDDEN,
                "insufficient_scope",
                "This token does not carry a role this needs.",
            )
            .with_challenge("Bearer error=\"insufficient_scope\"")
            .into_response(),
            Rule::Login | Rule::Confirmed => {
                ApiError::from(portcullis_core::Error::Unconfirmed).into_response()
            }
        };
    }
    let json = wants_json_parts(parts);
    if *rule == Rule::Confirmed {
        // The same answer a login refused for want of confirmation gets.
        let err = portcullis_core::Error::Unconfirmed;
        return if json {
            ApiError::from(err).into_response()
        } else {
            PageError::from(err).into_response()
        };
    }
    if *rule == Rule::TwoFactor {
        let message = "This needs a login with two-factor authentication: turn it on in your \
                       profile if it is off, then log out and in again.";
        return if json {
            ApiError::new(StatusCode::FORBIDDEN, "two_factor_required", message).into_response()
        } else {
            PageError::new(StatusCode::FORBIDDEN, message).into_response()
        };
    }
    let message = "You do not have permission to access this page.";
    if json {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message).into_response()
    } else {
        PageError::new(StatusCode::FORBIDDEN, message).into_response()
    }
}

/// A route layer enforcing a [`Rule`] before the handler runs. Use with
/// `Router::route_layer` so unknown paths still answer 404.
#[derive(Debug, Clone)]
pub struct Guard {
    rule: Arc<Rule>,
}

/// Requires a logged-in user.
pub fn require_login() -> Guard {
    Guard::new(Rule::Login)
}

/// Requires the role `role`.
pub fn require_role(role: impl Into<String>) -> Guard {
    Guard::new(Rule::Role(role.into()))
}

/// Requires any one of `roles`.
pub fn require_any_role<I, R>(roles: I) -> Guard
where
    I: IntoIterator<Item = R>,
    R: Into<String>,
{
    Guard::new(Rule::AnyRole(roles.into_iter().map(Into::into).collect()))
}

/// Requires the permission `permission`.
pub fn require_permission(permission: impl Into<String>) -> Guard {
    Guard::new(Rule::Permission(permission.into()))
}

/// Requires a confirmed email address.
pub fn require_confirmed() -> Guard {
    Guard::new(Rule::Confirmed)
}

/// Requires a session authenticated with a second factor (step-up).
pub fn require_two_factor() -> Guard {
    Guard::new(Rule::TwoFactor)
}

impl Guard {
    /// A guard for any rule.
    pub fn new(rule: Rule) -> Self {
        Self {
            rule: Arc::new(rule),
        }
    }
}

impl<S> Layer<S> for Guard {
    type Service = GuardService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GuardService {
            inner,
            rule: self.rule.clone(),
        }
    }
}

/// The service a [`Guard`] wraps around a route.
#[derive(Debug, Clone)]
pub struct GuardService<S> {
    inner: S,
    rule: Arc<Rule>,
}

impl<S> Service<Request> for GuardService<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // The clone is ready only if polled; keep the polled one.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let rule = self.rule.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            match check(&rule, &parts).await {
                Ok(_) => inner.call(Request::from_parts(parts, body)).await,
                Err(response) => Ok(response),
            }
        })
    }
}

/// A name known at compile time, for the typed guard extractors. Declare one
/// with [`permission!`](crate::permission) or [`role!`](crate::role).
pub trait Named: Send + Sync + 'static {
    /// The role or permission name.
    const NAME: &'static str;
}

/// Declares a marker type naming a permission, for [`RequirePermission`].
#[macro_export]
macro_rules! permission {
    ($ty:ident = $name:literal) => {
        #[derive(Debug, Clone, Copy)]
        pub struct $ty;
        impl $crate::guard::Named for $ty {
            const NAME: &'static str = $name;
        }
    };
}

/// Declares a marker type naming a role, for [`RequireRole`].
#[macro_export]
macro_rules! role {
    ($ty:ident = $name:literal) => {
        $crate::permission!($ty = $name);
    };
}

/// The logged-in user, who holds permission `P`.
#[derive(Debug, Clone)]
pub struct RequirePermission<P: Named>(pub User, pub PhantomData<P>);

/// The logged-in user, who holds role `R`.
#[derive(Debug, Clone)]
pub struct RequireRole<R: Named>(pub User, pub PhantomData<R>);

/// The logged-in user, whose email address is confirmed.
#[derive(Debug, Clone)]
pub struct RequireConfirmed(pub User);

/// The logged-in user, whose session was authenticated with a second
/// factor; others get 403 (a step-up: turn 2FA on, log in with it). An API
/// token never passes: this is about the person at the browser.
#[derive(Debug, Clone)]
pub struct RequireTwoFactor(pub Authenticated);

impl<S: Send + Sync> FromRequestParts<S> for RequireTwoFactor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        check(&Rule::TwoFactor, parts).await?;
        parts
            .extensions
            .get::<Authenticated>()
            .cloned()
            .map(Self)
            .ok_or_else(session_required)
    }
}

/// The logged-in user, who proved who they are within the last `SECONDS`
/// (15 minutes unless given): the login, or a re-authentication. Otherwise
/// a browser is sent to `/auth/reauthenticate?next=…` and an API client gets
/// 403 `reauthentication_required`.
///
/// ```
/// use portcullis_axum::guard::RequireRecentLogin;
///
/// async fn close_account(RequireRecentLogin(auth): RequireRecentLogin<300>) -> String {
///     format!("{} confirmed it is them, less than five minutes ago", auth.user.username)
/// }
/// ```
#[derive(Debug, Clone)]
pub struct RequireRecentLogin<const SECONDS: u64 = 900>(pub Authenticated);

impl<S: Send + Sync, const SECONDS: u64> FromRequestParts<S> for RequireRecentLogin<SECONDS> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let auth = <Authenticated as FromRequestParts<S>>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let now = parts
            .extensions
            .get::<Portcullis>()
            .map(|p| p.auth().clock().now())
            .unwrap_or_else(time::OffsetDateTime::now_utc);
        let within = time::Duration::seconds(i64::try_from(SECONDS).unwrap_or(i64::MAX));
        if auth.session.authenticated_within(within, now) {
            return Ok(Self(auth));
        }
        if wants_json_parts(parts) {
            return Err(
                ApiError::from(portcullis_core::Error::ReauthenticationRequired).into_response(),
            );
        }
        let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
        let location = format!(
            "/auth/reauthenticate?next={}",
            url::form_urlencoded::byte_serialize(target.as_bytes()).collect::<String>()
        );
        Err(axum::response::Redirect::to(&location).into_response())
    }
}

impl<S: Send + Sync, P: Named> FromRequestParts<S> for RequirePermission<P> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let caller = check(&Rule::Permission(P::NAME.to_owned()), parts).await?;
        Ok(Self(caller.user, PhantomData))
    }
}

impl<S: Send + Sync, R: Named> FromRequestParts<S> for RequireRole<R> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let caller = check(&Rule::Role(R::NAME.to_owned()), parts).await?;
        Ok(Self(caller.user, PhantomData))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequireConfirmed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(check(&Rule::Confirmed, parts).await?.user))
    }
}

/// The logged-in user with everything they may do, for handlers that decide
/// per action (`perms.require_api("posts:delete")?`). The `admin` role holds
/// every permission; a token holds what its scopes leave.
#[derive(Debug, Clone)]
pub struct Permissions {
    /// Who is asking.
    pub caller: Caller,
    /// What the request may do.
    pub permissions: PermissionSet,
}

impl Permissions {
    /// Whether the user holds `permission`.
    pub fn has(&self, permission: &str) -> bool {
        self.permissions.holds(permission)
    }

    /// `Ok` if the user holds `permission`, a 403 JSON error otherwise.
    pub fn require_api(&self, permission: &str) -> Result<(), ApiError> {
        if self.has(permission) {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "You do not have permission to do this.",
            ))
        }
    }

    /// `Ok` if the user holds `permission`, a 403 page otherwise.
    pub fn require_page(&self, permission: &str) -> Result<(), PageError> {
        if self.has(permission) {
            Ok(())
        } else {
            Err(PageError::new(
                StatusCode::FORBIDDEN,
                "You do not have permission to do this.",
            ))
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Permissions {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let caller = check(&Rule::Login, parts).await?;
        let permissions = caller.permissions.clone();
        Ok(Self {
            caller,
            permissions,
        })
    }
}

/// The logged-in user, authorized for the administrative capability `C`
/// (`Admin<UsersManage>`): the proof Portcullis's administrative use cases
/// demand, so a handler that takes none cannot call them. Anonymous
/// visitors are sent to log in (401 under `/api`); users without the
/// permission get 403.
///
/// ```
/// use portcullis_axum::guard::Admin;
/// use portcullis_core::access::UsersRead;
///
/// async fn count(Admin { granted, .. }: Admin<UsersRead>) -> String {
///     format!("acting as {:?}", granted.actor().id())
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Admin<C: Capability> {
    /// Who is asking: a session, or a token whose scopes leave `C`.
    pub caller: Caller,
    /// The proof of `C`.
    pub granted: Authorized<C>,
}

impl<S: Send + Sync, C: Capability> FromRequestParts<S> for Admin<C> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let caller = check(&Rule::Login, parts).await?;
        match caller.actor().authorize::<C>() {
            Ok(granted) => Ok(Self { caller, granted }),
            Err(_) => Err(forbidden(
                parts,
                &Rule::Permission(C::PERMISSION.to_owned()),
                &caller,
            )),
        }
    }
}
