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
    portcullis::telemetry::init(&settings.log, cli.audience());
    match cli.run(settings).await {
        Ok(()) => ExitCode::SUCCESS,
        // Printed once, as the configuration errors above are: the log goes
        // to stderr too, so logging it as well said everything twice. Plain
        // stderr rather than the log, so that no log filter can hide why the
        // process stopped.
        Err(err) => {
            eprintln!("portcullis: {err:#}");
            ExitCode::FAILURE
        }
    }
}
