//! What a connection past the cap gets: a `503 Service Unavailable` with
//! `Connection: close` and `Retry-After: 1`, written at once without reading
//! the request, then the close.
//!
//! Answering beats the alternatives: leaving connections in the kernel's
//! backlog makes clients (and health checks) hang without a word, and
//! closing at once gives them a reset they cannot tell from a crash. After
//! the answer the socket is drained briefly before it is closed, because
//! closing with unread request bytes makes the kernel send a reset that can
//! destroy the answer before the client reads it. The number of connections
//! being refused at once is itself capped ([`MAX_REFUSING`]); past it a
//! connection is closed on the spot, so a flood cannot make refusing cost
//! more than a fixed handful of descriptors.

use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Connections being answered `503` at once, at most.
pub(crate) const MAX_REFUSING: usize = 64;

/// How long a refused connection is given to take its answer.
const LINGER: Duration = Duration::from_secs(1);

/// Bytes of a refused client's request read (and discarded) at most.
const DRAIN_BYTES: usize = 16 * 1024;

const BODY: &str = "Too many connections. Try again in a second.\n";

/// Refuses `stream` in a task of `tasks`, or closes it now when
/// [`MAX_REFUSING`] connections are already being refused.
pub(super) fn refuse(stream: TcpStream, slots: &Arc<Semaphore>, tasks: &mut JoinSet<()>) {
    let Ok(slot) = slots.clone().try_acquire_owned() else {
        return;
    };
    tasks.spawn(async move {
        let _slot = slot;
        // Whatever goes wrong, the socket is closed when the task ends.
        let _ = tokio::time::timeout(LINGER, answer(stream)).await;
    });
}

async fn answer(mut stream: TcpStream) -> std::io::Result<()> {
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\n\
         Connection: close\r\n\
         Retry-After: 1\r\n\
         Cache-Control: no-store\r\n\
         \r\n\
         {BODY}",
        BODY.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await?;
    let mut sink = [0u8; 1024];
    let mut drained = 0;
    while drained < DRAIN_BYTES {
        match stream.read(&mut sink).await? {
            0 => break,
            n => drained += n,
        }
    }
    Ok(())
}
