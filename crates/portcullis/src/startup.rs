//! Building the services from settings, and running the HTTP server.

use crate::mail::Mailer;
use crate::mail::render::{RenderConfig, Renderer};
use crate::mail::transport::Transport;
use crate::server::{self, Limits};
use crate::settings::{LimitSettings, Mode, Settings, invalid};
use anyhow::Context as _;
use portcullis_axum::{Portcullis, WebConfig};
use portcullis_core::access::RolesManage;
use portcullis_core::policy::{
    EmailPolicy, Limit, LockoutPolicy, PasswordPolicy, RateLimitPolicy, RegistrationPolicy,
    TwoFactorPolicy,
};
use portcullis_core::sealing::SecretBox;
use portcullis_core::services::mail::MailRetry;
use portcullis_core::{Actor, RoleSpec, SecurityPolicy};
use portcullis_core::{
    AuthService, Clock, HashingConfig, PasswordHasher, SessionPolicy, SystemClock,
};
use portcullis_store::{Database, StoreConfig};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use url::Url;

/// Sessions past their expiry are swept this often.
const PURGE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(600);

/// The database and the services over it: what every command needs.
#[derive(Debug, Clone)]
pub struct Services {
    pub database: Database,
    pub auth: AuthService,
}

impl Services {
    /// Connects to the configured database, migrates it, and wires the
    /// services with the given clock.
    pub async fn open(settings: &Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let database = Database::connect(&StoreConfig {
            url: settings.database.url.clone(),
            max_connections: settings.database.max_connections,
        })
        .await
        .context("could not open the database")?;
        database
            .migrate_with(settings.database.allow_newer_schema)
            .await
            .context("could not migrate the database")?;

        let password = &settings.password;
        let hasher = PasswordHasher::new(HashingConfig {
            memory_kib: password.memory_kib,
            iterations: password.iterations,
            parallelism: password.parallelism,
            max_concurrent: match password.max_concurrent_hashes {
                0 => HashingConfig::default().max_concurrent,
                n => n,
            },
        })
        .context("invalid password hashing settings")?
        .with_flask_security_salt(settings.import.flask_security_password_salt.as_deref());
        let policy = SessionPolicy {
            idle_timeout: duration(settings.session.idle_timeout),
            absolute_lifetime: duration(settings.session.absolute_lifetime),
            remember_lifetime: duration(settings.session.remember_lifetime),
        };
        let previous: Vec<Vec<u8>> = settings
            .previous_secrets
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect();
        let sealing = SecretBox::new(&crate::dev_secret::secret(settings)?, &previous);
        let auth = AuthService::new(database.store(), hasher, clock, policy)
            .with_security(security(settings))
            .with_default_role(settings.registration.default_role.clone())
            .with_sealing(sealing);
        let specs: Vec<RoleSpec> = settings
            .roles
            .iter()
            .map(|r| RoleSpec {
                name: r.name.clone(),
                description: r.description.clone(),
                permissions: r.permissions.clone(),
                grantable_by: r.grantable_by.clone(),
            })
            .collect();
        // The configuration file is the operator's word: the system actor.
        let operator = Actor::system();
        let manage = operator.authorize::<RolesManage>()?;
        auth.roles()
            .sync(&manage, &specs)
            .await
            .map_err(|e| invalid("roles", describe(&e)))?;
        if let Some(role) = &settings.registration.default_role
            && auth.roles().get(&manage, role).await.is_err()
        {
            return Err(invalid(
                "registration.default_role",
                format!("there is no role {role:?}; declare it under [[roles]]"),
            )
            .into());
        }
        Ok(Self { database, auth })
    }
}

/// Forward authentication as `[forward_auth]` describes it, if a proxy is
/// named. The rules were checked at load; building them cannot fail then.
pub(crate) fn forward_auth(
    settings: &Settings,
) -> anyhow::Result<Option<portcullis_axum::ForwardAuth>> {
    use crate::settings::{ForwardDefault, ForwardProxy};
    use portcullis_core::policy::forward::{DefaultPolicy, ProxyKind, Rule, Rules};
    let forward = &settings.forward_auth;
    let Some(proxy) = forward.proxy else {
        return Ok(None);
    };
    let proxy = match proxy {
        ForwardProxy::Nginx => ProxyKind::Nginx,
        ForwardProxy::Traefik => ProxyKind::Traefik,
        ForwardProxy::Caddy => ProxyKind::Caddy,
        ForwardProxy::Haproxy => ProxyKind::Haproxy,
    };
    let mut rules = Vec::with_capacity(forward.rules.len());
    for (i, rule) in forward.rules.iter().enumerate() {
        rules.push(
            Rule::new(&rule.host, &rule.path_prefix, &rule.require)
                .map_err(|why| invalid(&format!("forward_auth.rules[{i}]"), why))?,
        );
    }
    let default = match forward.default {
        ForwardDefault::Deny => DefaultPolicy::Deny,
        ForwardDefault::Login => DefaultPolicy::Login,
    };
    Ok(Some(portcullis_axum::ForwardAuth {
        proxy,
        rules: Rules { rules, default },
    }))
}

/// The security policies the settings describe.
fn security(settings: &Settings) -> SecurityPolicy {
    let limit = |l: LimitSettings| Limit::new(l.max, duration(l.window));
    let r = &settings.rate_limit;
    SecurityPolicy {
        password: PasswordPolicy {
            min_length: settings.password.min_length,
            reject_common: settings.password.reject_common,
            reject_personal: settings.password.reject_personal,
        },
        lockout: LockoutPolicy {
            max_failures: settings.lockout.max_failures,
            duration: duration(settings.lockout.duration),
            reveal: settings.lockout.reveal,
        },
        rate_limits: RateLimitPolicy {
            enabled: r.enabled,
            login_per_ip: limit(r.login_per_ip),
            login_per_account: limit(r.login_per_account),
            register_per_ip: limit(r.register_per_ip),
            email_per_ip: limit(r.email_per_ip),
            email_per_account: limit(r.email_per_account),
            ipv6_prefix: r.ipv6_prefix,
        },
        email: EmailPolicy {
            reset_ttl: duration(settings.mail.reset_token_ttl),
            confirm_ttl: duration(settings.mail.confirm_token_ttl),
            confirm_required: settings.confirm.required,
        },
        two_factor: TwoFactorPolicy {
            required: settings.two_factor.required,
            required_for_roles: settings.two_factor.required_for_roles.clone(),
            issuer: settings.site_name.clone(),
            ..TwoFactorPolicy::default()
        },
        registration: RegistrationPolicy {
            enabled: settings.registration.enabled,
            reveal_taken: settings
                .registration
                .reveal_taken
                .unwrap_or(settings.mode == Mode::Dev),
        },
        tokens: portcullis_core::policy::TokenPolicy {
            login_lifetime: duration(settings.tokens.login_token_lifetime),
            default_lifetime: duration(settings.tokens.default_lifetime),
            max_lifetime: duration(settings.tokens.max_lifetime),
            allow_no_expiry: settings.tokens.allow_no_expiry,
        },
    }
}

/// A core error in words, with its causes.
fn describe(err: &portcullis_core::Error) -> String {
    match err {
        portcullis_core::Error::Validation(errors) => errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => portcullis_core::error::error_chain_fmt(other),
    }
}

fn duration(d: std::time::Duration) -> time::Duration {
    time::Duration::try_from(d).unwrap_or(time::Duration::MAX)
}

/// How long a stopping server waits for the email being delivered (what is
/// still queued stays in the database for the next start).
const MAIL_DRAIN: std::time::Duration = std::time::Duration::from_secs(10);

/// A stopping server waits for requests in flight for the request timeout
/// (no request runs longer) plus this, for their answers to be written.
const SHUTDOWN_SLACK: std::time::Duration = std::time::Duration::from_secs(5);

/// The URL of a server without `public_url` (development): the address it
/// listens on, except that loopback is called `localhost`, because
/// browsers refuse passkeys to a site whose host is an IP address (and
/// treat `http://localhost` as a secure context).
fn derived_public_url(addr: SocketAddr) -> anyhow::Result<Url> {
    let url = if addr.ip().is_loopback() {
        format!("http://localhost:{}/", addr.port())
    } else {
        format!("http://{addr}/")
    };
    Url::parse(&url).context("could not derive the public URL")
}

/// A bound, ready-to-run server.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    limits: Limits,
    services: Services,
    public_url: Url,
    mail: MailWorker,
    metrics: Option<crate::metrics_server::MetricsServer>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("listener", &self.listener)
            .field("public_url", &self.public_url.as_str())
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Builds the server on the wall clock.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    /// Builds the server with the given clock (tests move it).
    pub async fn build_with_clock(
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        // Before anything opens files, so that the cap below is computed
        // against the limit the process will run with.
        let max_connections = crate::nofile::connection_cap(
            settings.http.max_connections,
            u64::from(settings.database.max_connections) + server::MAX_REFUSING as u64,
        );
        let limits = Limits {
            header_read_timeout: settings.http.header_read_timeout,
            keepalive_timeout: settings.http.keepalive_timeout,
            max_connections,
            drain: settings.http.request_timeout + SHUTDOWN_SLACK,
        };
        let listener = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("could not listen on {}", settings.listen))?;
        let addr = listener.local_addr()?;
        let public_url = match &settings.public_url {
            Some(url) => url.clone(),
            None => derived_public_url(addr)?,
        };
        if settings.allow_insecure_http {
            tracing::warn!(
                public_url = %public_url,
                "allow_insecure_http = true: this server accepts a public URL over plain http, \
                 so passwords and session cookies can be read and changed on the network. \
                 Serve it over https and remove allow_insecure_http."
            );
        }
        let secret = crate::dev_secret::secret(&settings)?;
        let mut services = Services::open(&settings, clock.clone()).await?;
        let mailer = mailer(&settings, &public_url)?;
        let providers = crate::providers::configured(&settings, &public_url)?;
        for p in &providers {
            if let Some(role) = &p.policy.default_role
                && services
                    .auth
                    .roles()
                    .get(&Actor::system().authorize::<RolesManage>()?, role)
                    .await
                    .is_err()
            {
                return Err(invalid(
                    &format!("oidc.providers.{}.default_role", p.id()),
                    format!("there is no role {role:?}; declare it under [[roles]]"),
                )
                .into());
            }
        }
        services.auth = services
            .auth
            .clone()
            .with_notifier(Arc::new(mailer))
            .with_providers(providers)
            .with_passkeys(&public_url, &settings.site_name);
        let metrics = match settings.metrics.listen {
            Some(listen) => {
                Some(crate::metrics_server::MetricsServer::bind(listen, services.clone()).await?)
            }
            None => None,
        };
        let web = WebConfig {
            public_url: public_url.clone(),
            secret,
            max_body_bytes: settings.http.max_body_bytes,
            templates_dir: settings.http.templates_dir.clone(),
            site_name: settings.site_name.clone(),
            dev_mode: settings.mode == Mode::Dev,
            trusted_proxies: settings.trusted_proxies.clone(),
            request_timeout: Some(settings.http.request_timeout),
            forward_auth: forward_auth(&settings)?,
            cookie_domain: settings.session.cookie_domain.clone(),
            metrics: metrics.is_some(),
        };
        let portcullis = Portcullis::new(services.auth.clone(), web)
            .context("could not set up the web layer")?;
        let mail = MailWorker::start(&services.auth, &settings.mail);
        Ok(Self {
            router: portcullis.router(),
            listener,
            limits,
            services,
            public_url,
            mail,
            metrics,
        })
    }

    /// The metrics listener's address, when `metrics.listen` is set.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(|m| m.local_addr())
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// The URL users reach the server at.
    pub fn public_url(&self) -> &Url {
        &self.public_url
    }

    /// The services the server runs on (tests use them to set up state).
    pub fn services(&self) -> &Services {
        &self.services
    }

    /// Serves until Ctrl-C or SIGTERM, then stops accepting, finishes
    /// in-flight requests (for at most the request timeout and a few
    /// seconds) and gives queued email a short while to go out.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let addr = self.local_addr();
        tracing::info!(
            address = %addr,
            public_url = %self.public_url,
            backend = self.services.database.backend(),
            max_connections = self.limits.max_connections,
            "Portcullis listening on http://{addr}"
        );
        let purge = tokio::spawn(purge_sessions(self.services.auth.clone()));
        let file_size = survive_file_size_limit();
        let metrics = self.metrics.map(|m| {
            if let Some(addr) = m.local_addr() {
                tracing::info!(address = %addr, "metrics on http://{addr}/metrics");
            }
            tokio::spawn(m.serve())
        });
        server::serve(self.listener, self.router, self.limits, shutdown_signal()).await;
        purge.abort();
        if let Some(task) = file_size {
            task.abort();
        }
        // The metrics hold the services, and with them the mail queue: they
        // go first, so that the worker can finish.
        if let Some(metrics) = metrics {
            metrics.abort();
            let _ = metrics.await;
        }
        self.mail.stop().await;
        let Services { database, auth } = self.services;
        drop(auth);
        database.close().await;
        Ok(())
    }
}

/// The mailer for the transport the settings name.
fn mailer(settings: &Settings, public_url: &Url) -> anyhow::Result<Mailer> {
    let mail = &settings.mail;
    let renderer = Renderer::new(RenderConfig {
        from: mail.from.parse().context("mail.from")?,
        public_url: public_url.clone(),
        site_name: settings.site_name.clone(),
        override_dir: settings.http.templates_dir.clone(),
        reset_ttl: mail.reset_token_ttl,
        confirm_ttl: mail.confirm_token_ttl,
    })?;
    let transport = Transport::from_settings(mail, settings.mode)?;
    tracing::info!(transport = ?transport, "mail transport ready");
    Ok(Mailer::new(renderer, transport))
}

/// The task delivering the mail queue, and how to stop it.
struct MailWorker {
    task: tokio::task::JoinHandle<()>,
    stop: tokio::sync::oneshot::Sender<()>,
}

impl MailWorker {
    fn start(auth: &AuthService, mail: &crate::mail::settings::MailSettings) -> Self {
        let retry = MailRetry {
            max_attempts: mail.max_attempts,
            backoff: mail.retry_backoff,
            max_backoff: mail.retry_backoff_max,
            // An SMTP delivery takes a handful of steps, each bounded by
            // the timeout; the lease outlasts them all.
            lease: mail.smtp_timeout.saturating_mul(6) + std::time::Duration::from_secs(10),
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let auth = auth.clone();
        let task = tokio::spawn(async move {
            auth.run_mail_worker(retry, async move {
                let _ = stopped.await;
            })
            .await;
        });
        Self { task, stop }
    }

    /// Stops the worker between two messages, waiting a while for the one
    /// being delivered.
    async fn stop(self) {
        let _ = self.stop.send(());
        if tokio::time::timeout(MAIL_DRAIN, self.task).await.is_err() {
            tracing::warn!("an email was still being delivered at shutdown; it stays queued");
        }
    }
}

async fn purge_sessions(auth: AuthService) {
    let mut tick = tokio::time::interval(PURGE_INTERVAL);
    loop {
        tick.tick().await;
        match auth.sessions().purge_expired().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(removed = n, "expired sessions purged"),
            Err(err) => tracing::warn!(error = %err, "could not purge expired sessions"),
        }
    }
}

/// A write past the process's file size limit (`RLIMIT_FSIZE`) raises
/// SIGXFSZ, whose default is to kill the process. Handled, the write fails
/// with EFBIG instead: the database reports it, that request answers 503,
/// reads go on, and the log says why. (A full disk needs no such help: it
/// is ENOSPC, an error like any other.)
fn survive_file_size_limit() -> Option<tokio::task::JoinHandle<()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::from_raw(libc::SIGXFSZ)) {
            Ok(mut signals) => Some(tokio::spawn(async move {
                while signals.recv().await.is_some() {
                    tracing::error!(
                        "a write went past the file size limit (RLIMIT_FSIZE) and failed; \
                         writes fail until the limit is raised or files shrink, reads go on"
                    );
                }
            })),
            Err(err) => {
                tracing::warn!(error = %err, "cannot handle SIGXFSZ");
                None
            }
        }
    }
    #[cfg(not(unix))]
    None
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
