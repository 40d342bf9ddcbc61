//! Sending the services' emails. Core hands a [`Notice`] to the [`Mailer`]
//! (its [`Notifier`]) and returns; the notice waits in a bounded queue for
//! a background worker, which renders it (`render`), delivers it through
//! the configured transport (`transport`: SMTP or the development outbox),
//! retries with doubling waits, and logs and audits
//! (`email_delivery_failed`) what could not be delivered. The answer to the
//! user never depends on delivery, so it cannot tell whether an account
//! exists.
//!
//! This lives in the binary because it is I/O: the library crates stay
//! free of sockets and files, and embedders bring their own `Notifier`.

mod encoding;
pub mod render;
/// The `[mail]` and `[confirm]` sections (in `portcullis-config`).
pub use portcullis_config::mail as settings;
mod templates;
pub mod transport;

use portcullis_core::audit::NewAuditEvent;
use portcullis_core::{AuditKind, Clock, Notice, Notifier, RequestContext, Store};
use render::Renderer;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use transport::Transport;

/// How the worker retries.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub backoff: Duration,
}

/// The queue's sending end; cheap to clone.
#[derive(Debug, Clone)]
pub struct Mailer {
    queue: mpsc::Sender<Notice>,
    audit: Audit,
}

/// Records delivery failures in the audit log.
#[derive(Debug, Clone)]
struct Audit {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

impl Audit {
    async fn failed(&self, notice: &Notice, reason: &str) {
        let event = NewAuditEvent::new(
            AuditKind::EmailDeliveryFailed,
            self.clock.now(),
            &RequestContext::default(),
        )
        .detail("kind", notice.kind())
        .detail("to", notice.to())
        .detail("reason", reason);
        if let Err(err) = self.store.append_audit(&event).await {
            tracing::error!(error = %err, "could not record a failed email delivery");
        }
    }
}

impl Mailer {
    /// Starts the background worker and returns the queue in front of it,
    /// and the worker's handle. The worker ends when every `Mailer` is
    /// dropped and the queue is empty.
    pub fn start(
        renderer: Renderer,
        transport: Transport,
        retry: RetryPolicy,
        queue_size: usize,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (queue, rx) = mpsc::channel(queue_size.max(1));
        let audit = Audit { store, clock };
        let worker = tokio::spawn(work(
            rx,
            Arc::new(renderer),
            transport,
            retry,
            audit.clone(),
        ));
        (Self { queue, audit }, worker)
    }
}

impl Notifier for Mailer {
    fn send(&self, notice: Notice) {
        if let Err(err) = self.queue.try_send(notice) {
            let notice = match err {
                mpsc::error::TrySendError::Full(n) | mpsc::error::TrySendError::Closed(n) => n,
            };
            tracing::error!(
                kind = notice.kind(),
                "mail queue full or closed; email dropped"
            );
            let audit = self.audit.clone();
            tokio::spawn(async move { audit.failed(&notice, "queue full").await });
        }
    }
}

/// Delivers queued notices one after another. One at a time keeps a slow
/// or failing server from being hammered; requests never wait on it.
async fn work(
    mut rx: mpsc::Receiver<Notice>,
    renderer: Arc<Renderer>,
    transport: Transport,
    retry: RetryPolicy,
    audit: Audit,
) {
    while let Some(notice) = rx.recv().await {
        let kind = notice.kind();
        // Rendering is CPU work: off the async workers, so that the request
        // that queued this notice (and every other) is never kept waiting.
        let job = (renderer.clone(), notice.clone());
        let rendered = tokio::task::spawn_blocking(move || job.0.render(&job.1))
            .await
            .map_err(anyhow::Error::from)
            .and_then(|r| r);
        let rendered = match rendered {
            Ok(rendered) => rendered,
            Err(err) => {
                tracing::error!(kind, error = %err, "could not render an email");
                audit.failed(&notice, "render").await;
                continue;
            }
        };
        let mut wait = retry.backoff;
        for attempt in 1..=retry.max_attempts {
            match transport.deliver(kind, &rendered).await {
                Ok(()) => {
                    tracing::debug!(kind, attempt, "email delivered");
                    break;
                }
                Err(err) if attempt < retry.max_attempts => {
                    tracing::warn!(kind, attempt, error = %err, "email delivery failed; will retry");
                    tokio::time::sleep(wait).await;
                    wait = wait.saturating_mul(2);
                }
                Err(err) => {
                    tracing::error!(kind, attempts = attempt, error = %err, "email delivery failed; giving up");
                    audit.failed(&notice, "undeliverable").await;
                }
            }
        }
    }
}
