//! The mail queue: notices waiting for delivery, kept in the database so
//! that a crash or a restart loses none, and shared by every instance.

use super::*;

/// Where a queued message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailState {
    /// Waiting for (another) delivery attempt.
    Queued,
    /// Given up: refused by the mail server, or out of attempts.
    Failed,
    /// Not delivered before its link (or its news) expired; never sent.
    Expired,
}

impl MailState {
    /// Every state, in the order `portcullis mail list` shows them.
    pub const ALL: [MailState; 3] = [MailState::Queued, MailState::Failed, MailState::Expired];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            MailState::Queued => "queued",
            MailState::Failed => "failed",
            MailState::Expired => "expired",
        }
    }

    /// The state stored as `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// A message about to be queued. `payload` is sealed (it can carry a link's
/// secret); `kind` and `recipient` are kept in the clear for the operator.
#[derive(Debug, Clone)]
pub struct NewMail {
    /// The notice's kind (`password_reset`, ...).
    pub kind: String,
    /// The address it goes to.
    pub recipient: String,
    /// The sealed notice.
    pub payload: String,
    /// When it was queued; also its first attempt.
    pub created_at: OffsetDateTime,
    /// After this it is not sent (its link no longer works).
    pub expires_at: OffsetDateTime,
}

/// A queued message as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct QueuedMail {
    /// Its number in the queue.
    pub id: i64,
    /// The notice's kind.
    pub kind: String,
    /// The address it goes to.
    pub recipient: String,
    /// The sealed notice.
    pub payload: String,
    /// Where it stands.
    pub state: MailState,
    /// Deliveries tried so far (a claim counts as one).
    pub attempts: i64,
    /// When it was queued.
    pub created_at: OffsetDateTime,
    /// When the next attempt may start.
    pub next_attempt_at: OffsetDateTime,
    /// After this it is not sent.
    pub expires_at: OffsetDateTime,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

impl fmt::Debug for QueuedMail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueuedMail")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("state", &self.state)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

/// How many messages are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MailCounts {
    /// Waiting for delivery.
    pub queued: i64,
    /// Given up.
    pub failed: i64,
    /// Expired unsent.
    pub expired: i64,
}

/// The durable mail queue.
#[async_trait]
pub trait MailStore: Send + Sync {
    /// Queues a message (in the caller's transaction, when the store is one).
    async fn enqueue_mail(&self, new: &NewMail) -> Result<(), StoreError>;
    /// Takes the oldest message due at `now` for delivery: counts the
    /// attempt and hides it from every other claimer until `lease_until`
    /// (a claimer that dies mid-delivery leaves it to be claimed again then).
    /// Two claimers never get the same message within a lease; on
    /// PostgreSQL they skip each other's locked rows instead of waiting.
    async fn claim_mail(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<Option<QueuedMail>, StoreError>;
    /// The message was delivered: removes it.
    async fn mail_delivered(&self, id: i64) -> Result<(), StoreError>;
    /// The attempt failed and another may start at `next_attempt_at`.
    async fn mail_deferred(
        &self,
        id: i64,
        next_attempt_at: OffsetDateTime,
        error: &str,
    ) -> Result<(), StoreError>;
    /// Gives the message up as failed.
    async fn mail_failed(&self, id: i64, error: &str) -> Result<(), StoreError>;
    /// Marks the queued messages whose expiry has passed at `now` as
    /// expired; returns how many.
    async fn expire_mail(&self, now: OffsetDateTime) -> Result<u64, StoreError>;
    /// Up to `limit` messages, oldest first, of `state` (all when `None`).
    async fn list_mail(
        &self,
        state: Option<MailState>,
        limit: i64,
    ) -> Result<Vec<QueuedMail>, StoreError>;
    /// Queues failed messages again (the one numbered `id`, or every one),
    /// due at once with no attempts counted, unless they have expired by
    /// `now`; returns how many.
    async fn retry_mail(&self, id: Option<i64>, now: OffsetDateTime) -> Result<u64, StoreError>;
    /// Deletes the messages in `state`; returns how many.
    async fn purge_mail(&self, state: MailState) -> Result<u64, StoreError>;
    /// How many messages are in each state.
    async fn count_mail(&self) -> Result<MailCounts, StoreError>;
}
