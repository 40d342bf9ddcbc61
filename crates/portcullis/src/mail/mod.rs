//! Sending the services' emails. The services queue each notice in the
//! database (see `portcullis_core::services::mail`); the queue's worker
//! hands it to the [`Mailer`] (its [`Notifier`]), which renders it
//! (`render`) and delivers it through the configured transport
//! (`transport`: SMTP or the development outbox). The answer to the user
//! never depends on delivery, so it cannot tell whether an account exists.
//!
//! This lives in the binary because it is I/O: the library crates stay
//! free of sockets and files, and embedders bring their own `Notifier`.

mod encoding;
pub mod render;
/// The `[mail]` and `[confirm]` sections (in `portcullis-config`).
pub use portcullis_config::mail as settings;
mod templates;
pub mod transport;

use portcullis_core::notify::Undelivered;
use portcullis_core::{Notice, Notifier};
use render::Renderer;
use std::sync::Arc;
use transport::Transport;

/// Renders and delivers one notice at a time; cheap to clone.
#[derive(Debug, Clone)]
pub struct Mailer {
    renderer: Arc<Renderer>,
    transport: Transport,
}

impl Mailer {
    /// A mailer over `transport`.
    pub fn new(renderer: Renderer, transport: Transport) -> Self {
        Self {
            renderer: Arc::new(renderer),
            transport,
        }
    }
}

#[async_trait::async_trait]
impl Notifier for Mailer {
    async fn deliver(&self, notice: &Notice) -> Result<(), Undelivered> {
        let kind = notice.kind();
        // Rendering is CPU work: off the async workers, so that no request
        // is kept waiting behind it.
        let job = (self.renderer.clone(), notice.clone());
        let rendered = tokio::task::spawn_blocking(move || job.0.render(&job.1))
            .await
            .map_err(anyhow::Error::from)
            .and_then(|r| r)
            .map_err(|err| {
                tracing::error!(kind, error = %err, "could not render an email");
                Undelivered::Refused(format!("could not render: {err}"))
            })?;
        self.transport.deliver(kind, &rendered).await
    }
}

#[cfg(test)]
mod tests {
    use portcullis_core::AuthService;
    use portcullis_core::services::mail::MailRetry;

    #[tokio::test]
    async fn the_mail_worker_is_alive_while_it_runs() {
        let db = portcullis_store::Database::connect(&portcullis_store::StoreConfig::new(
            "sqlite::memory:",
        ))
        .await
        .unwrap();
        db.migrate().await.unwrap();
        let auth = AuthService::builder(db.store()).build().unwrap();
        // Never started (the command line): alive, its mail waits for a server.
        assert!(auth.mail_alive());
        let worker = tokio::spawn({
            let auth = auth.clone();
            async move {
                auth.run_mail_worker(MailRetry::default(), std::future::pending())
                    .await
            }
        });
        tokio::task::yield_now().await;
        assert!(auth.mail_alive());
        // A worker that died (here: aborted) is seen to be gone.
        worker.abort();
        let _ = worker.await;
        assert!(!auth.mail_alive());
    }
}
