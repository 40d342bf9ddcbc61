//! The Portcullis server: configuration, start-up and the command line. The
//! library half exists so the black-box tests can start the real server
//! in-process on port 0, with a clock they control.
#![forbid(unsafe_code)]

pub mod cli;
pub mod dev_secret;
pub mod mail;
mod metrics_server;
mod nofile;
pub mod providers;
mod server;
/// Configuration: the `portcullis-config` crate, whose [`Settings`] the
/// server is built from.
pub mod settings {
    pub use portcullis_config::*;
}
pub mod startup;
pub mod telemetry;

pub use settings::{Mode, Settings};
pub use startup::{Application, Services};
