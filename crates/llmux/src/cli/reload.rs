//! SIGHUP: reload the configuration into the running gateway through the admin API's path
//! ([`crate::config_control::Control`]), or keep the old one on error.
// Signals are Unix-only: elsewhere nothing calls the reload.
#![cfg_attr(not(unix), allow(dead_code))]

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use llmux_engine::config::{ApiObjects, Config, ConfigErrors, Env};
use llmux_engine::Gateway;

/// The command-line values that win over the file, at start-up and on every reload.
#[derive(Debug, Clone)]
pub struct Overrides {
    /// `--listen`.
    pub listen: Option<SocketAddr>,
    /// `--admin-listen`.
    pub admin_listen: Option<SocketAddr>,
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `--auth-mode`.
    pub auth_mode: Option<llmux_engine::tags::AuthMode>,
}

impl Overrides {
    /// Writes the overrides into `config`.
    pub fn apply(&self, config: &mut Config) {
        if let Some(addr) = self.listen {
            config.server.listen = addr;
        }
        if let Some(addr) = self.admin_listen {
            config.server.admin_listen = addr;
        }
        if let Some(dir) = &self.data_dir {
            config.data_dir = dir.clone();
        }
        if let Some(mode) = self.auth_mode {
            config.auth.mode = mode;
        }
    }
}

/// What a reload may not change: fixed at start-up, kept until a restart.
#[derive(Debug, Clone)]
pub struct Fixed {
    /// `server.listen` as asked for (before port 0 became a real port).
    pub listen: SocketAddr,
    /// `server.admin_listen` as asked for.
    pub admin_listen: SocketAddr,
    /// `data_dir`.
    pub data_dir: PathBuf,
    /// The data-plane address actually bound.
    pub bound_listen: SocketAddr,
    /// The admin address actually bound.
    pub bound_admin: SocketAddr,
}

impl Fixed {
    /// The listeners a forward may not take: the data plane's and the admin's, as bound.
    pub fn reserved(&self) -> [(&'static str, SocketAddr); 2] {
        [("main", self.bound_listen), ("admin", self.bound_admin)]
    }
}

/// Everything a reload needs: where the configuration came from and what it goes into.
pub struct Reloader {
    /// The file given at start-up (`None`: embedded defaults plus the environment).
    pub path: Option<PathBuf>,
    /// The command-line overrides given at start-up.
    pub overrides: Overrides,
    /// The settings that only a restart changes.
    pub fixed: Fixed,
    /// The running gateway.
    pub gateway: Arc<Gateway>,
    /// Endpoint discovery, whose last scan every reload keeps.
    pub discovery: Option<Arc<crate::discovery::Discovery>>,
    /// The forwards' listeners, which follow every change.
    pub forwards: Arc<crate::forward_listeners::ForwardListeners>,
}

impl Reloader {
    /// Reloads once per SIGHUP, forever, through `control` (the admin API's path). One
    /// change at a time: a SIGHUP that arrives during a reload or an API change is kept by
    /// the signal stream and served when it ends (several such signals count as one, which
    /// reads the newest file anyway).
    #[cfg(unix)]
    pub async fn run(
        control: Arc<crate::config_control::Control>,
        mut hangups: tokio::signal::unix::Signal,
    ) {
        while hangups.recv().await.is_some() {
            tracing::info!(target: "llmux", "SIGHUP: reloading the configuration");
            let job = control.clone();
            // Reading files and building clients (TLS roots) blocks: keep it off the workers.
            match tokio::task::spawn_blocking(move || job.reload_once()).await {
                Ok(()) => {}
                Err(e) => tracing::error!(target: "llmux", error = %e, "config reload crashed"),
            }
        }
    }

    /// The configuration from the file, the environment and the admin API's objects, with
    /// the command-line overrides and the start-up listeners and data directory. API objects
    /// outside `required` that no longer validate are left out
    /// ([`llmux_engine::config::compose_skipping`]).
    pub fn load(
        &self,
        api: &ApiObjects,
        required: &BTreeSet<String>,
    ) -> Result<Config, ConfigErrors> {
        let mut config =
            Config::load_path_skipping(self.path.as_deref(), &Env::from_process(), api, required)?;
        self.overrides.apply(&mut config);
        self.keep_fixed(&mut config);
        Ok(config)
    }

    /// Puts back what only a restart may change, warning for each setting the file changed.
    fn keep_fixed(&self, config: &mut Config) {
        let f = &self.fixed;
        if config.server.listen != f.listen {
            restart_needed("server.listen", f.bound_listen, config.server.listen);
        }
        if config.server.admin_listen != f.admin_listen {
            restart_needed(
                "server.admin_listen",
                f.bound_admin,
                config.server.admin_listen,
            );
        }
        if config.data_dir != f.data_dir {
            restart_needed("data_dir", f.data_dir.display(), config.data_dir.display());
        }
        config.server.listen = f.bound_listen;
        config.server.admin_listen = f.bound_admin;
        config.data_dir = f.data_dir.clone();
    }

    /// The configuration's source, for log lines.
    pub fn source(&self) -> String {
        match &self.path {
            Some(p) => p.display().to_string(),
            None => "embedded defaults + environment".to_owned(),
        }
    }
}

/// One warning for a setting the new file changed but only a restart applies.
fn restart_needed(key: &str, running: impl std::fmt::Display, file: impl std::fmt::Display) {
    tracing::warn!(
        target: "llmux",
        %running,
        %file,
        "config reload cannot change {key}: the running value stays until llmux restarts"
    );
}
