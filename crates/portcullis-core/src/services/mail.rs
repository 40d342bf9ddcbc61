//! The durable mail queue (a transactional outbox).
//!
//! A use case that sends a link writes the notice to `mail_queue` in the
//! same transaction as the link's token, so an answer that says "we sent
//! you a link" is never given for a link that could be lost: a crash after
//! the commit leaves the message in the database, and the next worker to
//! run sends it. The notice is sealed (it carries the link's secret), so a
//! dump of the queue reveals no usable link.
//!
//! [`AuthService::run_mail_worker`] delivers the queue through the
//! [`Notifier`](crate::Notifier): it claims one due message at a time (a
//! lease that hides it from every other instance; on PostgreSQL claimers
//! skip each other's locked rows), hands it over, deletes it once it is
//! delivered, and otherwise waits longer after each failure, up to
//! [`MailRetry::max_backoff`], until [`MailRetry::max_attempts`] or the
//! message's expiry. Delivery is at least once: an instance that dies after
//! the mail server took a message and before it was deleted sends it again
//! once the lease runs out.

use super::{AuthService, Deps};
use crate::access::{Authorized, UsersManage};
use crate::audit::{AuditKind, NewAuditEvent, RequestContext};
use crate::error::Error;
use crate::notify::{Notice, Undelivered};
use crate::store::{MailCounts, MailState, MailStore, NewMail, QueuedMail};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::Notify;

/// How long a notice that carries no link may wait before it is no longer
/// worth sending ("your password was changed", three days late, still is).
pub const NEWS_LIFETIME: time::Duration = time::Duration::days(3);

/// How often a worker with nothing to do looks at the queue anyway (for
/// messages queued by another process: the command line, another instance).
pub const POLL_INTERVAL: Duration = Duration::from_secs(2);

/// How the worker retries.
#[derive(Debug, Clone, Copy)]
pub struct MailRetry {
    /// Attempts per message before it is given up (a claim counts as one).
    pub max_attempts: u32,
    /// Wait after the first failure; doubled after each further one.
    pub backoff: Duration,
    /// The longest wait between two attempts.
    pub max_backoff: Duration,
    /// How long a claimed message stays hidden from other workers: longer
    /// than any delivery takes (the SMTP timeouts bound it).
    pub lease: Duration,
}

impl Default for MailRetry {
    fn default() -> Self {
        Self {
            max_attempts: 12,
            backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(600),
            lease: Duration::from_secs(70),
        }
    }
}

impl MailRetry {
    /// The wait after the `attempts`-th failed attempt.
    pub fn wait_after(&self, attempts: i64) -> Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        self.backoff
            .saturating_mul(2u32.saturating_pow(doublings))
            .min(self.max_backoff)
    }
}

// The state starts at 0: not started (the command line runs no worker).
const RUNNING: u8 = 1;
const STOPPED: u8 = 2;

/// What the use cases and the worker share: the bell that wakes the worker
/// when this process queues a message, and whether the worker runs.
#[derive(Debug, Default)]
pub(crate) struct MailSignal {
    wake: Notify,
    state: AtomicU8,
}

/// Marks the worker stopped however its future ends (returned, aborted,
/// panicked).
struct Running<'a>(&'a MailSignal);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.state.store(STOPPED, Ordering::SeqCst);
    }
}

impl Deps {
    /// Seals `notice` and queues it on `on` (the store or the transaction
    /// that wrote the token it carries), to expire at `expires_at`.
    pub(crate) async fn queue_on(
        &self,
        on: &dyn MailStore,
        notice: &Notice,
        expires_at: OffsetDateTime,
    ) -> Result<(), Error> {
        let json = serde_json::to_vec(notice)
            .map_err(|e| Error::internal(format!("could not encode a notice: {e}")))?;
        on.enqueue_mail(&NewMail {
            kind: notice.kind().to_owned(),
            recipient: notice.to().to_owned(),
            payload: self.sealing.seal(&json),
            created_at: self.clock.now(),
            expires_at,
        })
        .await?;
        Ok(())
    }

    /// Wakes this process's worker: a message was queued (call after the
    /// commit, so that the worker finds it).
    pub(crate) fn mail_queued(&self) {
        self.mail.wake.notify_one();
    }

    /// Queues `notice`, which carries no link, on its own. Best effort: the
    /// change it tells of is done already, and a failure to queue is logged
    /// rather than turned into a failure of that change.
    pub(crate) async fn queue_news(&self, notice: Notice) {
        let expires_at = self.clock.now() + NEWS_LIFETIME;
        match self
            .queue_on(self.store.as_ref(), &notice, expires_at)
            .await
        {
            Ok(()) => self.mail_queued(),
            Err(err) => {
                tracing::error!(kind = notice.kind(), error = %err, "could not queue an email")
            }
        }
    }
}

/// The mail queue, for operators (`portcullis mail`).
#[derive(Clone, Copy)]
pub struct MailQueue<'a> {
    pub(crate) d: &'a Deps,
}

impl MailQueue<'_> {
    /// Up to `limit` messages of `state` (all when `None`), oldest first.
    pub async fn list(
        &self,
        _by: &Authorized<UsersManage>,
        state: Option<MailState>,
        limit: i64,
    ) -> Result<Vec<QueuedMail>, Error> {
        Ok(self.d.store.list_mail(state, limit).await?)
    }

    /// Queues failed messages again (`id`, or all of them) unless their
    /// links have expired; returns how many.
    pub async fn retry(
        &self,
        _by: &Authorized<UsersManage>,
        id: Option<i64>,
    ) -> Result<u64, Error> {
        let n = self.d.store.retry_mail(id, self.d.clock.now()).await?;
        if n > 0 {
            self.d.mail_queued();
        }
        Ok(n)
    }

    /// Deletes the messages in `state`; returns how many.
    pub async fn purge(
        &self,
        _by: &Authorized<UsersManage>,
        state: MailState,
    ) -> Result<u64, Error> {
        Ok(self.d.store.purge_mail(state).await?)
    }

    /// How many messages are in each state (for the metrics).
    pub async fn counts(&self) -> Result<MailCounts, Error> {
        Ok(self.d.store.count_mail().await?)
    }
}

impl AuthService {
    /// The mail queue.
    pub fn mail(&self) -> MailQueue<'_> {
        MailQueue { d: &self.deps }
    }

    /// Whether the mail worker is running (or was never started here, as in
    /// the command line, whose mail the server's worker sends). An
    /// unreachable mail server does not count: delivery retries, and every
    /// instance would fail its readiness check at once.
    pub fn mail_alive(&self) -> bool {
        self.deps.mail.state.load(Ordering::SeqCst) != STOPPED
    }

    /// Delivers the mail queue until `stop` completes: between two messages,
    /// never in the middle of one (what is left is delivered by the next
    /// worker to run, here or in another instance).
    pub async fn run_mail_worker(&self, retry: MailRetry, stop: impl Future<Output = ()>) {
        let d = &*self.deps;
        d.mail.state.store(RUNNING, Ordering::SeqCst);
        let _running = Running(&d.mail);
        let mut stop = std::pin::pin!(stop);
        loop {
            let worked = match d.deliver_next(retry).await {
                Ok(worked) => worked,
                Err(err) => {
                    // The database is away: try again after a pause.
                    tracing::warn!(error = %err, "could not read the mail queue");
                    false
                }
            };
            if worked {
                // More may be due; stop only between messages.
                if futures_now(&mut stop) {
                    return;
                }
                continue;
            }
            tokio::select! {
                () = &mut stop => return,
                () = d.mail.wake.notified() => {}
                () = tokio::time::sleep(POLL_INTERVAL) => {}
            }
        }
    }
}

/// Whether `stop` has completed, without waiting for it.
fn futures_now(stop: &mut std::pin::Pin<&mut impl Future<Output = ()>>) -> bool {
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    stop.as_mut().poll(&mut cx).is_ready()
}

impl Deps {
    /// Expires what has expired, then claims and delivers one due message.
    /// `Ok(true)` when there was one.
    async fn deliver_next(&self, retry: MailRetry) -> Result<bool, Error> {
        let now = self.clock.now();
        let expired = self.store.expire_mail(now).await?;
        if expired > 0 {
            metrics::counter!("portcullis_mail_failures_total", "reason" => "expired")
                .increment(expired);
            tracing::warn!(
                count = expired,
                "queued email expired before it could be sent"
            );
        }
        let lease = time::Duration::try_from(retry.lease).unwrap_or(time::Duration::MINUTE);
        let Some(mail) = self.store.claim_mail(now, now + lease).await? else {
            return Ok(false);
        };
        let outcome = match self.open_notice(&mail) {
            Ok(notice) => self.notifier.deliver(&notice).await,
            Err(reason) => Err(Undelivered::Refused(reason)),
        };
        let kind = mail.kind.as_str();
        match outcome {
            Ok(()) => {
                self.store.mail_delivered(mail.id).await?;
                metrics::counter!("portcullis_mail_sent_total").increment(1);
                tracing::debug!(
                    kind,
                    id = mail.id,
                    attempts = mail.attempts,
                    "email delivered"
                );
            }
            Err(Undelivered::Retry(reason)) if mail.attempts < i64::from(retry.max_attempts) => {
                let wait = time::Duration::try_from(retry.wait_after(mail.attempts))
                    .unwrap_or(time::Duration::MINUTE);
                self.store
                    .mail_deferred(mail.id, self.clock.now() + wait, &reason)
                    .await?;
                metrics::counter!("portcullis_mail_retries_total").increment(1);
                tracing::warn!(kind, id = mail.id, attempt = mail.attempts, error = %reason,
                    retry_in_seconds = wait.whole_seconds(), "email delivery failed; will retry");
            }
            Err(err) => {
                let (reason, label) = match &err {
                    Undelivered::Retry(r) => (r.as_str(), "undeliverable"),
                    Undelivered::Refused(r) => (r.as_str(), "refused"),
                };
                self.store.mail_failed(mail.id, reason).await?;
                metrics::counter!("portcullis_mail_failures_total", "reason" => label).increment(1);
                tracing::error!(kind, id = mail.id, attempts = mail.attempts, error = %reason,
                    "email delivery failed; giving up (portcullis mail retry sends it again)");
                self.record(
                    NewAuditEvent::new(
                        AuditKind::EmailDeliveryFailed,
                        self.clock.now(),
                        &RequestContext::default(),
                    )
                    .detail("kind", kind)
                    .detail("to", mail.recipient.as_str())
                    .detail("reason", label),
                )
                .await;
            }
        }
        Ok(true)
    }

    /// The notice sealed in `mail`, or why it cannot be read.
    fn open_notice(&self, mail: &QueuedMail) -> Result<Notice, String> {
        let opened = self
            .sealing
            .open(&mail.payload)
            .map_err(|e| format!("unreadable: {e}"))?;
        serde_json::from_slice(&opened.plaintext).map_err(|e| format!("unreadable: {e}"))
    }
}

/// A fresh signal for a new service.
pub(crate) fn signal() -> Arc<MailSignal> {
    Arc::new(MailSignal::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_the_cap() {
        let retry = MailRetry {
            max_attempts: 10,
            backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(60),
            lease: Duration::from_secs(10),
        };
        let waits: Vec<u64> = (1..=7).map(|a| retry.wait_after(a).as_secs()).collect();
        assert_eq!(waits, [2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(retry.wait_after(i64::MAX).as_secs(), 60);
    }

    #[test]
    fn a_notice_survives_its_trip_through_the_queue_encoding() {
        let token = crate::SecretToken::generate();
        let notice = Notice::PasswordReset {
            to: "a@example.com".into(),
            username: "a".into(),
            token: token.clone(),
        };
        let json = serde_json::to_string(&notice).unwrap();
        assert!(json.contains("\"kind\":\"password_reset\""), "{json}");
        let back: Notice = serde_json::from_str(&json).unwrap();
        match back {
            Notice::PasswordReset { token: t, .. } => assert_eq!(t, token),
            other => panic!("{other:?}"),
        }
        let prove = Notice::ProveAddress {
            to: "b@example.com".into(),
            username: None,
            provider: "Google".into(),
            token: None,
        };
        let back: Notice = serde_json::from_str(&serde_json::to_string(&prove).unwrap()).unwrap();
        assert!(matches!(back, Notice::ProveAddress { token: None, .. }));
    }
}
