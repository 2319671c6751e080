//! The binary's [`ConfigControl`]: every configuration change — an admin API call or a
//! SIGHUP — composes file + env + registry, validates, swaps the gateway's snapshot and
//! then persists the change, all or nothing, one change at a time.

use std::sync::{Arc, Mutex};

use std::collections::BTreeSet;

use llmux_engine::config::{ApiObjects, Config, ConfigErrors};
use llmux_server::admin_config::{
    api_objects, object_path, prepare, simulate, written_paths, ApiError, Change, ConfigControl,
    Op, StateView,
};
use llmux_store::{RegistryKind, RegistryStore, RegistryWrite, StoreError};

use crate::cli::reload::Reloader;

/// Applies configuration changes to the running gateway.
pub struct Control {
    reloader: Reloader,
    store: Arc<dyn RegistryStore>,
    /// One change at a time; held for the whole (blocking) change, never across an await.
    lock: Mutex<()>,
}

fn store_error(e: StoreError) -> ApiError {
    ApiError::internal(format!("configuration registry: {e}"))
}

impl Control {
    /// A control over `reloader`'s gateway, persisting API objects in `store`.
    pub fn new(reloader: Reloader, store: Arc<dyn RegistryStore>) -> Self {
        Control {
            reloader,
            store,
            lock: Mutex::new(()),
        }
    }

    /// SIGHUP: re-reads the file and environment with the registry as stored; on any error
    /// logs it and keeps serving the running configuration.
    pub fn reload_once(&self) {
        match self.change(Change::reload()) {
            Ok(view) => tracing::info!(
                target: "llmux",
                config = %self.reloader.source(),
                providers = view.snapshot.providers.len(),
                models = view.snapshot.model_ids().count(),
                version = view.version,
                "config reloaded"
            ),
            Err(e) => {
                // The text `llmux config check` prints for the same file (with its lines).
                let errors = match e {
                    Failure::Invalid(e) => e.to_string().trim_end().to_owned(),
                    Failure::Api(e) => e
                        .errors
                        .iter()
                        .map(|p| format!("{}: {}", p.path, p.message))
                        .collect::<Vec<_>>()
                        .join("; "),
                };
                tracing::warn!(
                    target: "llmux",
                    config = %self.reloader.source(),
                    errors = %errors,
                    "config reload failed; still serving the previous configuration"
                );
            }
        }
    }

    /// One change, start to end, under the lock.
    fn change(&self, change: Change) -> Result<StateView, Failure> {
        let _one = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let gateway = &self.reloader.gateway;
        let rows = self.store.list().map_err(store_error)?;
        let before = gateway.snapshot();
        let writes = prepare(&change, &rows, &before.config)?;
        let api = api_objects(&simulate(&rows, &writes))?;
        let required = required(&change, &api, &before.config, &writes);
        let mut config = self
            .reloader
            .load(&api, &required)
            .map_err(Failure::Invalid)?;
        warn_skipped(&config, &before.config);
        // New forwards listen before the change applies: a busy address refuses it.
        let forwards = self
            .reloader
            .forwards
            .prepare(&mut config, &self.reloader.fixed.reserved())
            .map_err(|e| ApiError::bad_request(forward_path(&change), e))?;
        // Valid but not buildable (an HTTP client that cannot be made): still the caller's.
        // With discovery, the new configuration is its base, merged with the last scan.
        let discovery = self.reloader.discovery.as_ref();
        let old_base = discovery.map(|d| d.base());
        match discovery {
            Some(d) => d.reload(config),
            None => gateway.reload(config).map_err(|e| e.to_string()),
        }
        .map_err(|e| ApiError::bad_request("", e))?;
        // Persist last; a failed write puts the previous configuration back.
        let version = match self.store.write(&writes) {
            Ok(v) => v,
            Err(e) => {
                let back = match (discovery, old_base) {
                    (Some(d), Some(base)) => d.reload(base),
                    _ => gateway
                        .reload(before.config.clone())
                        .map_err(|e| e.to_string()),
                };
                if let Err(back) = back {
                    tracing::error!(target: "llmux", error = %back, "cannot restore the configuration after a failed registry write");
                }
                return Err(store_error(e).into());
            }
        };
        self.reloader.forwards.commit(forwards);
        Ok(StateView {
            version,
            snapshot: gateway.snapshot(),
            rows: self.store.list().map_err(store_error)?,
        })
    }
}

/// The API objects a change must keep in effect: none for a reload (a file edit may leave
/// stored objects out); for an API change, itself and every object in effect before it, so
/// a change never knocks another object out.
fn required(
    change: &Change,
    api: &ApiObjects,
    before: &Config,
    writes: &[RegistryWrite],
) -> BTreeSet<String> {
    if change.op == Op::Reload {
        return BTreeSet::new();
    }
    let changed: BTreeSet<String> = written_paths(writes).into_iter().collect();
    let skipped = &before.composition.skipped;
    api.paths()
        .into_iter()
        .filter(|p| changed.contains(p) || !skipped.contains_key(p))
        .collect()
}

/// The path a listener error belongs to: the forward changed, when the change is one.
fn forward_path(change: &Change) -> String {
    match change.kind {
        RegistryKind::Forward => object_path(RegistryKind::Forward, &change.name) + ".listen",
        _ => String::new(),
    }
}

/// One error line per stored API object `config` leaves out that `before` did not.
pub fn warn_skipped(config: &Config, before: &Config) {
    let old = &before.composition.skipped;
    for (path, errors) in &config.composition.skipped {
        if old.get(path) == Some(errors) {
            continue;
        }
        tracing::error!(
            target: "llmux",
            object = %path,
            errors = %errors.join("; "),
            "an object stored through the admin API no longer fits the configuration and is left out (it stays stored): fix it with PUT or remove it with DELETE on /api/v1/..."
        );
    }
}

/// Why a change was refused.
enum Failure {
    /// The composed configuration does not validate.
    Invalid(ConfigErrors),
    /// Any other refusal.
    Api(ApiError),
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        Failure::Api(e)
    }
}

impl ConfigControl for Control {
    fn state(&self) -> Result<StateView, ApiError> {
        // Under the lock: the rows, version and snapshot read belong to one change.
        let _one = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        Ok(StateView {
            version: self.store.version().map_err(store_error)?,
            snapshot: self.reloader.gateway.snapshot(),
            rows: self.store.list().map_err(store_error)?,
        })
    }

    fn apply(&self, change: Change) -> Result<StateView, ApiError> {
        self.change(change).map_err(|e| match e {
            Failure::Invalid(e) => ApiError::invalid(&e),
            Failure::Api(e) => e,
        })
    }
}

/// Opens the registry in the data directory's database (created when missing).
pub fn open_registry(data_dir: &std::path::Path) -> anyhow::Result<Arc<dyn RegistryStore>> {
    Ok(crate::keys::open_store(data_dir)?)
}

/// The stored API objects, for the start-up configuration.
pub fn stored_objects(store: &dyn RegistryStore) -> anyhow::Result<ApiObjects> {
    let rows = store
        .list()
        .map_err(|e| anyhow::anyhow!("cannot read the configuration registry: {e}"))?;
    api_objects(&rows).map_err(|e| {
        let text: Vec<String> = e.errors.into_iter().map(|p| p.message).collect();
        anyhow::anyhow!("{}", text.join("; "))
    })
}
