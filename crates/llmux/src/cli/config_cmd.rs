//! `llmux config check FILE`.

use std::path::Path;
use std::process::ExitCode;

use llmux_engine::config::{Config, Env};

/// Validates `file` merged with the environment; prints every error with its path and line.
pub fn check(file: &Path) -> anyhow::Result<ExitCode> {
    match Config::load_path(Some(file), &Env::from_process()) {
        Ok(config) => {
            println!(
                "{}: ok ({} provider{}, {} virtual model{})",
                file.display(),
                config.providers.len(),
                if config.providers.len() == 1 { "" } else { "s" },
                config.models.len(),
                if config.models.len() == 1 { "" } else { "s" },
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            eprint!("{errors}");
            Ok(ExitCode::from(1))
        }
    }
}
