//! Logging: human-readable lines by default, JSON for log shippers.
//! `RUST_LOG` overrides the configured level.
//!
//! Colour only reaches a terminal: a log piped to a file or a collector, or
//! read with `NO_COLOR` set, holds no escape sequences.

use crate::settings::{LogFormat, LogSettings};
use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

/// Who the log is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// `serve`: the operator watching a server, at the configured level.
    Server,
    /// A one-shot command: its output is the answer, so the log keeps to
    /// warnings and errors unless `RUST_LOG` asks for more.
    Command,
}

/// Installs the global subscriber. Call once, from `main`.
pub fn init(settings: &LogSettings, audience: Audience) {
    let level = match audience {
        Audience::Server => settings.level.as_str(),
        Audience::Command => "warn",
    };
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour(&std::io::stderr()))
        .with_writer(std::io::stderr);
    match settings.format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

/// Whether `stream` may carry colour: it is a terminal, and `NO_COLOR` is
/// unset or empty (<https://no-color.org>).
pub fn colour(stream: &impl IsTerminal) -> bool {
    stream.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
