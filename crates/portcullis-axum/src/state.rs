//! The shared state of the web layer and its assembly into a router.

use crate::config::WebConfig;
use crate::cookies::CookieNames;
use crate::csrf::CsrfKey;
use crate::templates::Templates;
use crate::timeout::RequestTimeoutLayer;
use crate::{assets, csrf, error, headers, health, openapi, pages, session};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use portcullis_core::AuthService;
use std::sync::Arc;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

/// Why the web layer could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("the secret must be at least 32 bytes long")]
    /// The secret is shorter than 32 bytes.
    WeakSecret,
    #[error("template error: {0}")]
    /// A template does not compile.
    Template(String),
}

/// Everything a request handler needs. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Portcullis {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub auth: AuthService,
    pub config: WebConfig,
    pub cookies: CookieNames,
    pub csrf: CsrfKey,
    pub sent_to: crate::sent_to::SentToKey,
    pub templates: Templates,
}

impl Portcullis {
    /// Builds the web layer over the given services.
    pub fn new(auth: AuthService, config: WebConfig) -> Result<Self, SetupError> {
        if config.secret.len() < 32 {
            return Err(SetupError::WeakSecret);
        }
        let templates = Templates::new(config.templates_dir.clone())?;
        Ok(Self {
            inner: Arc::new(Inner {
                cookies: CookieNames::new(config.is_https())
                    .with_session_domain(config.cookie_domain.clone()),
                csrf: CsrfKey::new(&config.secret),
                sent_to: crate::sent_to::SentToKey::new(&config.secret),
                auth,
                templates,
                config,
            }),
        })
    }

    /// The authentication services.
    pub fn auth(&self) -> &AuthService {
        &self.inner.auth
    }

    /// The web settings.
    pub fn config(&self) -> &WebConfig {
        &self.inner.config
    }

    /// Portcullis' own routes: pages, JSON API, health checks and assets,
    /// without the middleware. Merge them into an application router and
    /// pass the result to [`Portcullis::wrap`].
    pub fn routes(&self) -> Router {
        Router::new()
            .merge(pages::router())
            .merge(openapi::api_router().split_for_parts().0)
            .merge(health::router())
            .merge(assets::router())
            .with_state(self.clone())
    }

    /// Applies the middleware every route needs: request ids, logging,
    /// security headers, the request deadline, body limit, panic catching,
    /// session resolution and CSRF checks. Unknown paths get a 404 page (or
    /// JSON under `/api`). The layers wrap each route (axum's
    /// `Router::layer`), so they run after routing and the log line can name
    /// the matched route template.
    pub fn wrap(&self, router: Router) -> Router {
        let state = self.clone();
        router
            .fallback(error::not_found)
            .layer(middleware::from_fn_with_state(state.clone(), csrf::verify))
            .layer(middleware::from_fn_with_state(
                state.clone(),
                session::resolve,
            ))
            .layer(
                ServiceBuilder::new()
                    .map_request(headers::accept_request_id)
                    .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                    .layer(headers::trace_layer())
                    .option_layer(
                        state
                            .inner
                            .config
                            .metrics
                            .then(|| middleware::from_fn(crate::request_metrics::track)),
                    )
                    .layer(PropagateRequestIdLayer::x_request_id())
                    .layer(middleware::from_fn_with_state(
                        state.clone(),
                        headers::security,
                    ))
                    // Inside the security headers: even the answer to a
                    // panic carries CSP, nosniff and no-store.
                    .layer(CatchPanicLayer::custom(error::panic_response))
                    .layer(RequestTimeoutLayer::new(state.inner.config.request_timeout))
                    .layer(DefaultBodyLimit::max(state.inner.config.max_body_bytes)),
            )
    }

    /// The complete Portcullis application: [`Portcullis::routes`] wrapped.
    pub fn router(&self) -> Router {
        self.wrap(self.routes())
    }
}
