//! `llmux models`: what each model name resolves to under the current configuration.

use std::path::Path;
use std::process::ExitCode;

use llmux_engine::config::{Config, Env};
use llmux_engine::Snapshot;

/// Prints every listed model with its provider and upstream model id.
pub fn run(config: Option<&Path>, json: bool) -> anyhow::Result<ExitCode> {
    let config = match Config::load_path(config, &Env::from_process()) {
        Ok(c) => c,
        Err(errors) => {
            eprint!("{errors}");
            return Ok(ExitCode::from(1));
        }
    };
    let snapshot = Snapshot::build(config).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut rows = Vec::new();
    for (id, _) in snapshot.model_ids() {
        let route = snapshot.resolve(&id).map_err(|e| anyhow::anyhow!("{e}"))?;
        rows.push((
            id.clone(),
            route.provider.id.clone(),
            route.model.to_owned(),
            route.profile.is_some(),
        ));
    }
    if json {
        let list: Vec<_> = rows
            .iter()
            .map(|(id, p, m, prof)| serde_json::json!({"id": id, "provider": p, "upstream_model": m, "profile": prof}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
    } else if rows.is_empty() {
        println!("no models: configure a provider (see docs/configuration.md)");
    } else {
        let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
        for (id, provider, model, profile) in rows {
            let note = if profile { "  (profile)" } else { "" };
            println!("{id:<width$}  ->  {provider}/{model}{note}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
