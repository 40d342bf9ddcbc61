//! A real SMTP server on loopback that keeps every message it receives, so
//! tests read the emails the server sends and follow their links as a user
//! would. It speaks just enough SMTP for a client (lettre) that is told
//! not to use TLS: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT.

use base64::Engine as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// One captured message.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: Vec<String>,
    pub raw: String,
}

impl Mail {
    /// The `Subject` header.
    pub fn subject(&self) -> String {
        header(&self.raw, "subject").unwrap_or_default()
    }

    /// The decoded body of the part whose content type starts with `mime`.
    pub fn part(&self, mime: &str) -> Option<String> {
        // Parts are separated by the boundary; each has headers, a blank
        // line and a body.
        for chunk in self.raw.split("\r\n--") {
            let Some((head, body)) = chunk.split_once("\r\n\r\n") else {
                continue;
            };
            let content_type = header(head, "content-type").unwrap_or_default();
            if !content_type.to_ascii_lowercase().starts_with(mime) {
                continue;
            }
            let body = body.trim_end_matches("\r\n");
            return Some(
                match header(head, "content-transfer-encoding")
                    .unwrap_or_default()
                    .to_ascii_lowercase()
                    .as_str()
                {
                    "quoted-printable" => quoted_printable(body),
                    "base64" => String::from_utf8(
                        base64::engine::general_purpose::STANDARD
                            .decode(body.replace("\r\n", ""))
                            .unwrap(),
                    )
                    .unwrap(),
                    _ => body.to_owned(),
                },
            );
        }
        None
    }

    /// The plain-text part.
    pub fn text(&self) -> String {
        self.part("text/plain")
            .unwrap_or_else(|| panic!("no text part in {}", self.raw))
    }

    /// The first link in the text part that contains `needle`.
    pub fn link(&self, needle: &str) -> String {
        self.text()
            .split_whitespace()
            .find(|word| word.starts_with("http") && word.contains(needle))
            .unwrap_or_else(|| panic!("no link with {needle} in {}", self.text()))
            .to_owned()
    }

    /// The path (and query) of [`Mail::link`], to follow on the test server.
    pub fn path(&self, needle: &str) -> String {
        let link = self.link(needle);
        let url = reqwest::Url::parse(&link).unwrap();
        url.path().to_owned()
    }

    /// The token at the end of the link containing `needle`.
    pub fn token(&self, needle: &str) -> String {
        self.path(needle).rsplit('/').next().unwrap().to_owned()
    }
}

fn header(head: &str, name: &str) -> Option<String> {
    // Headers may be folded over several lines.
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    unfolded.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().to_owned())
    })
}

fn quoted_printable(body: &str) -> String {
    let joined = body.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

async fn say(write: &mut tokio::net::tcp::OwnedWriteHalf, reply: &str) -> bool {
    write
        .write_all(format!("{reply}\r\n").as_bytes())
        .await
        .is_ok()
}

/// The capturing server. Dropping it stops nothing: it lives as long as
/// the test's runtime.
#[derive(Clone)]
pub struct MailSink {
    pub port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
    arrived: Arc<Notify>,
}

impl MailSink {
    pub async fn start() -> Self {
        Self::start_on(0).await
    }

    /// A sink on `port` (0: any free one), e.g. a mail server coming back
    /// on the port the server was told to use.
    pub async fn start_on(port: u16) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let sink = Self {
            port,
            mails: Arc::default(),
            arrived: Arc::default(),
        };
        let accepting = sink.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let sink = accepting.clone();
                tokio::spawn(async move { sink.session(socket).await });
            }
        });
        sink
    }

    async fn session(&self, socket: tokio::net::TcpStream) {
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read);
        if !say(&mut write, "220 sink.test ESMTP test sink").await {
            return;
        }
        let mut to = Vec::new();
        loop {
            let mut line = String::new();
            if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            let command = line.trim_end().to_owned();
            let verb = command
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            let reply = match verb.as_str() {
                "EHLO" => "250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8".to_owned(),
                "HELO" => "250 sink.test".to_owned(),
                "MAIL" => {
                    to.clear();
                    "250 OK".to_owned()
                }
                "RCPT" => {
                    let address = command
                        .split_once(':')
                        .map(|(_, a)| a.trim().trim_start_matches('<'))
                        .and_then(|a| a.split('>').next())
                        .unwrap_or("")
                        .to_owned();
                    to.push(address);
                    "250 OK".to_owned()
                }
                "DATA" => {
                    if !say(&mut write, "354 End data with <CR><LF>.<CR><LF>").await {
                        return;
                    }
                    let mut raw = String::new();
                    loop {
                        let mut line = String::new();
                        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        if line == ".\r\n" {
                            break;
                        }
                        // Undo dot-stuffing.
                        raw.push_str(line.strip_prefix('.').unwrap_or(&line));
                    }
                    self.mails.lock().unwrap().push(Mail {
                        to: std::mem::take(&mut to),
                        raw,
                    });
                    self.arrived.notify_waiters();
                    "250 OK queued".to_owned()
                }
                "RSET" => {
                    to.clear();
                    "250 OK".to_owned()
                }
                "NOOP" => "250 OK".to_owned(),
                "QUIT" => {
                    say(&mut write, "221 Bye").await;
                    return;
                }
                _ => "502 Command not implemented".to_owned(),
            };
            if !say(&mut write, &reply).await {
                return;
            }
        }
    }

    /// Every message received so far.
    pub fn all(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }

    /// The messages received so far for `address`.
    pub fn to(&self, address: &str) -> Vec<Mail> {
        self.all()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(address)))
            .collect()
    }

    /// Waits (up to 10 s) until `address` has received `n` messages whose
    /// subject contains `subject`, and returns the `n`-th.
    pub async fn wait_for_subject(&self, address: &str, subject: &str, n: usize) -> Mail {
        self.wait_for_subject_within(address, subject, n, Duration::from_secs(10))
            .await
    }

    /// [`MailSink::wait_for_subject`], waiting up to `bound`.
    pub async fn wait_for_subject_within(
        &self,
        address: &str,
        subject: &str,
        n: usize,
        bound: Duration,
    ) -> Mail {
        let deadline = tokio::time::Instant::now() + bound;
        loop {
            let arrived = self.arrived.notified();
            let mails: Vec<Mail> = self
                .to(address)
                .into_iter()
                .filter(|m| m.subject().contains(subject))
                .collect();
            if mails.len() >= n {
                return mails[n - 1].clone();
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!(
                    "{address} received {} message(s) about {subject:?}, expected {n}; all: {:?}",
                    mails.len(),
                    self.all()
                        .iter()
                        .map(|m| (&m.to, m.subject()))
                        .collect::<Vec<_>>()
                );
            }
        }
    }

    /// Waits (up to 10 s) until `address` has received `n` messages, and
    /// returns the `n`-th.
    #[allow(dead_code)]
    pub async fn wait_for(&self, address: &str, n: usize) -> Mail {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let arrived = self.arrived.notified();
            let mails = self.to(address);
            if mails.len() >= n {
                return mails[n - 1].clone();
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!(
                    "{address} received {} message(s), expected {n}; all: {:?}",
                    mails.len(),
                    self.all()
                        .iter()
                        .map(|m| (&m.to, m.subject()))
                        .collect::<Vec<_>>()
                );
            }
        }
    }
}
