//! llmux: a single-binary LLM gateway. This is the command line: `serve` (the default),
//! `config check`, `config schema`, `models`, `usage`.

mod cli;
mod config_control;
mod discovery;
mod forward_listeners;
mod journal;
mod keys;
mod logging;
mod usage;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("llmux: {e:#}");
            ExitCode::FAILURE
        }
    }
}
