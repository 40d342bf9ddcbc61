//! Per-connection deadlines: how long a client may take to send a request's
//! headers, and how long a keep-alive connection may sit idle between
//! requests.
//!
//! hyper 1.x has one knob for both. In the hyper this builds with (1.12),
//! `header_read_timeout` starts when the connection opens and restarts as
//! soon as a response is done (hyperium/hyper#3828, "universal h1 header read
//! timeout"), so it bounds "idle, then the next request's headers" as one
//! span; there is no separate idle timeout. A keep-alive
//! timeout longer than the header timeout (75 s against 10 s, as nginx and
//! Go servers default to) cannot be had from it, so hyper's timer is off and
//! the connection's phase is tracked here instead:
//!
//! - **headers**: from the opening, or from the first byte after an idle
//!   spell, until hyper hands the request over; bounded by the header
//!   timeout, which a client trickling one byte at a time does not extend;
//! - **busy**: from the request being handed over until its response body
//!   has been written out; bounded by the request timeout in the web layer;
//! - **idle**: after a response, until a byte of the next request arrives;
//!   bounded by the keep-alive timeout.
//!
//! The phase is fed by the socket wrapper ([`WatchedIo`], on every read that
//! returns data), by the service (which takes an [`InFlight`] for each
//! request and keeps it in the response body) and read by [`Tracker::expired`],
//! which the connection task races against hyper's connection future.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::time::Instant;

/// The two connection deadlines.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeouts {
    pub header_read: Duration,
    pub keepalive: Duration,
}

/// Which deadline passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expired {
    /// The request headers did not arrive in time.
    Headers,
    /// The connection sat idle between requests for too long.
    Idle,
}

#[derive(Debug, Clone, Copy)]
enum Phase {
    Headers { since: Instant },
    Busy { requests: usize },
    Idle { since: Instant },
}

#[derive(Debug)]
struct Shared {
    timeouts: Timeouts,
    phase: Mutex<Phase>,
    /// Woken when a deadline appears or moves earlier.
    changed: Notify,
}

/// One connection's phase. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Tracker(Arc<Shared>);

impl Tracker {
    /// A connection that has just opened: waiting for its first headers.
    pub(crate) fn new(timeouts: Timeouts) -> Self {
        Self(Arc::new(Shared {
            timeouts,
            phase: Mutex::new(Phase::Headers {
                since: Instant::now(),
            }),
            changed: Notify::new(),
        }))
    }

    fn update<T>(&self, f: impl FnOnce(&mut Phase) -> T) -> T {
        // A panic elsewhere cannot leave the phase half-written: it is Copy.
        let mut phase = self.0.phase.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut phase)
    }

    fn deadline(&self) -> Option<(Instant, Expired)> {
        let t = self.0.timeouts;
        match self.update(|phase| *phase) {
            Phase::Headers { since } => Some((since + t.header_read, Expired::Headers)),
            Phase::Idle { since } => Some((since + t.keepalive, Expired::Idle)),
            Phase::Busy { .. } => None,
        }
    }

    /// A request has been handed to the service; the connection is busy
    /// until the returned guard is dropped.
    pub(crate) fn begin(&self) -> InFlight {
        self.update(|phase| {
            *phase = match *phase {
                Phase::Busy { requests } => Phase::Busy {
                    requests: requests + 1,
                },
                _ => Phase::Busy { requests: 1 },
            }
        });
        InFlight(self.clone())
    }

    fn end(&self) {
        let idle = self.update(|phase| match *phase {
            Phase::Busy { requests } if requests > 1 => {
                *phase = Phase::Busy {
                    requests: requests - 1,
                };
                false
            }
            _ => {
                *phase = Phase::Idle {
                    since: Instant::now(),
                };
                true
            }
        });
        if idle {
            self.0.changed.notify_one();
        }
    }

    fn bytes_arrived(&self) {
        let started = self.update(|phase| match *phase {
            Phase::Idle { .. } => {
                *phase = Phase::Headers {
                    since: Instant::now(),
                };
                true
            }
            _ => false,
        });
        if started {
            self.0.changed.notify_one();
        }
    }

    /// Resolves when the current phase's deadline passes; never while busy.
    pub(crate) async fn expired(&self) -> Expired {
        loop {
            // `notify_one` stores a permit when nobody waits, so a change
            // made between reading the deadline and waiting is not lost.
            let changed = self.0.changed.notified();
            match self.deadline() {
                None => changed.await,
                Some((at, _)) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {
                            if let Some((at, why)) = self.deadline()
                                && at <= Instant::now()
                            {
                                return why;
                            }
                        }
                        () = changed => {}
                    }
                }
            }
        }
    }

    /// Wraps the socket so that reads report to this tracker.
    pub(crate) fn watch(&self, io: TcpStream) -> WatchedIo {
        WatchedIo {
            io,
            tracker: self.clone(),
        }
    }
}

/// Held while a request is being answered: by the service future, then by
/// the response body, which hyper drops once it has written it out.
#[derive(Debug)]
pub(crate) struct InFlight(Tracker);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.end();
    }
}

/// The socket, telling its tracker when bytes arrive.
#[derive(Debug)]
pub(crate) struct WatchedIo {
    io: TcpStream,
    tracker: Tracker,
}

impl AsyncRead for WatchedIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.io).poll_read(cx, buf);
        if matches!(poll, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.tracker.bytes_arrived();
        }
        poll
    }
}

impl AsyncWrite for WatchedIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Timeouts = Timeouts {
        header_read: Duration::from_secs(10),
        keepalive: Duration::from_secs(75),
    };

    #[tokio::test(start_paused = true)]
    async fn a_silent_connection_expires_after_the_header_timeout() {
        let tracker = Tracker::new(T);
        let start = Instant::now();
        assert_eq!(tracker.expired().await, Expired::Headers);
        assert_eq!(start.elapsed(), T.header_read);
    }

    #[tokio::test(start_paused = true)]
    async fn after_a_response_the_keepalive_timeout_applies_then_the_header_one() {
        let tracker = Tracker::new(T);
        drop(tracker.begin());
        let idle = Instant::now();
        tokio::time::sleep(Duration::from_secs(30)).await;
        // 30 s idle is past the header timeout but within keep-alive; a
        // byte of the next request then starts the header clock.
        tracker.bytes_arrived();
        assert_eq!(tracker.expired().await, Expired::Headers);
        assert_eq!(idle.elapsed(), Duration::from_secs(30) + T.header_read);

        let tracker = Tracker::new(T);
        drop(tracker.begin());
        let idle = Instant::now();
        assert_eq!(tracker.expired().await, Expired::Idle);
        assert_eq!(idle.elapsed(), T.keepalive);
    }

    #[tokio::test(start_paused = true)]
    async fn a_busy_connection_never_expires() {
        let tracker = Tracker::new(T);
        let in_flight = tracker.begin();
        let waited = tokio::time::timeout(Duration::from_secs(3600), tracker.expired()).await;
        assert!(waited.is_err(), "still busy");
        drop(in_flight);
        assert_eq!(tracker.expired().await, Expired::Idle);
    }
}
