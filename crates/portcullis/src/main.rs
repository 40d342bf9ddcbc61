//! `portcullis`: the server and its command line.
#![forbid(unsafe_code)]

use clap::Parser;
use portcullis::cli::Cli;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match cli.settings() {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("portcullis: {err:#}");
            return ExitCode::from(2);
        }
    };
    portcullis::telemetry::init(&settings.log);
    match cli.run(settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err:#}");
            eprintln!("portcullis: {err:#}");
            ExitCode::FAILURE
        }
    }
}
