//! llmux keys as `serve` uses them: rows of the key store become the gateway's key ring, at
//! start-up and every few seconds after (so `llmux keys create/revoke` on the same data dir
//! reaches a running gateway), and the spend the gateway settled goes back to the store.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use llmux_engine::access::KeyRing;
use llmux_store::{KeyStore, SqliteStore};

/// How often a running gateway re-reads its keys and saves their spend.
pub const REFRESH_EVERY: Duration = Duration::from_secs(2);

/// Opens the key store of `data_dir` (the usage database, created and migrated if needed).
pub fn open_store(data_dir: &Path) -> anyhow::Result<Arc<SqliteStore>> {
    let path = crate::usage::db_path(data_dir);
    let store = SqliteStore::open(&path)
        .with_context(|| format!("cannot open the key database {}", path.display()))?;
    Ok(Arc::new(store))
}

pub use llmux_server::admin_keys::to_record;

/// Saves the spend settled since the last sync, then reloads the ring from the store.
/// Returns how many keys the ring holds. Spend that cannot be saved is kept for the next
/// sync.
pub fn sync(store: &dyn KeyStore, ring: &KeyRing) -> anyhow::Result<usize> {
    for (id, usd) in ring.take_unsaved() {
        if let Err(e) = store.add_spend(&id, usd) {
            ring.return_unsaved(&id, usd);
            return Err(e).context("cannot save key spend");
        }
    }
    let rows = store.list().context("cannot read the keys")?;
    ring.load(rows.into_iter().map(to_record).collect());
    Ok(ring.len())
}

/// The key store of a running gateway: opened at start-up when the database exists (or auth
/// is `proxy_key`), else as soon as `llmux keys create` makes it.
pub struct KeySource {
    data_dir: PathBuf,
    store: Mutex<Option<Arc<SqliteStore>>>,
}

impl KeySource {
    /// The source of `data_dir`; opens the database now when it exists or `create` is set.
    pub fn open(data_dir: &Path, create: bool) -> anyhow::Result<Self> {
        let store = if create || crate::usage::db_path(data_dir).is_file() {
            Some(open_store(data_dir)?)
        } else {
            None
        };
        Ok(KeySource {
            data_dir: data_dir.to_owned(),
            store: Mutex::new(store),
        })
    }

    /// The store, opening it if the database has appeared since.
    fn store(&self) -> anyhow::Result<Option<Arc<SqliteStore>>> {
        let mut slot = self.store.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() && crate::usage::db_path(&self.data_dir).is_file() {
            *slot = Some(open_store(&self.data_dir)?);
        }
        Ok(slot.clone())
    }

    /// [`sync`] with the store, if there is one yet; the number of keys loaded.
    pub fn sync(&self, ring: &KeyRing) -> anyhow::Result<usize> {
        match self.store()? {
            Some(store) => sync(store.as_ref(), ring),
            None => Ok(0),
        }
    }
}

/// Syncs every [`REFRESH_EVERY`] on a blocking thread of the runtime, until the runtime ends.
pub fn spawn_refresher(source: Arc<KeySource>, gateway: Arc<llmux_engine::Gateway>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(REFRESH_EVERY);
        tick.tick().await; // the first tick is immediate; start-up already synced
        loop {
            tick.tick().await;
            let (source, gateway) = (source.clone(), gateway.clone());
            let done = tokio::task::spawn_blocking(move || source.sync(gateway.keys())).await;
            if let Ok(Err(e)) = done {
                tracing::warn!(target: "llmux", error = %format!("{e:#}"), "key refresh failed");
            }
        }
    });
}
