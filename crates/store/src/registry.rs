//! The admin API's configuration registry at rest: [`RegistryRow`] (one provider, model,
//! group, forward or setting made through the API, its body the JSON of the config file's entry),
//! the [`RegistryStore`] trait and its SQLite implementation (table `registry`, schema v4).

#[cfg(test)]
mod tests;

use rusqlite::{params, OptionalExtension, Row};

use crate::query::StoreError;
use crate::sqlite::{backend, unix_ms_now, SqliteStore};

/// What a registry object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RegistryKind {
    /// A `providers.<id>` entry.
    Provider,
    /// A `models.<name>` entry (virtual model or alias).
    Model,
    /// A `groups.<name>` entry.
    Group,
    /// One setting (`default_model`, `usage.enabled`, ...).
    Setting,
    /// A `server.forwards[]` entry, by its name: a data-plane listener's routing rules and
    /// rate limits.
    Forward,
}

impl RegistryKind {
    /// Every kind.
    pub const ALL: [RegistryKind; 5] = [
        RegistryKind::Provider,
        RegistryKind::Model,
        RegistryKind::Group,
        RegistryKind::Setting,
        RegistryKind::Forward,
    ];

    /// The stored name: `provider`, `model`, `group`, `setting` or `forward`.
    pub fn as_str(self) -> &'static str {
        match self {
            RegistryKind::Provider => "provider",
            RegistryKind::Model => "model",
            RegistryKind::Group => "group",
            RegistryKind::Setting => "setting",
            RegistryKind::Forward => "forward",
        }
    }

    /// The kind stored as `s`.
    pub fn parse(s: &str) -> Option<RegistryKind> {
        RegistryKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryRow {
    /// What it is.
    pub kind: RegistryKind,
    /// Its id or name (unique within the kind).
    pub name: String,
    /// JSON text of the entry, in the config file's shape.
    pub body: String,
    /// The registry version that last wrote it (its ETag).
    pub version: i64,
    /// When it was last written, ms since the epoch.
    pub updated_ms: i64,
}

/// One write of a change; a change's writes commit together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryWrite {
    /// Creates or replaces `(kind, name)` with the JSON `body`.
    Put {
        /// Kind.
        kind: RegistryKind,
        /// Name.
        name: String,
        /// JSON text.
        body: String,
    },
    /// Removes `(kind, name)` (nothing happens when it is absent).
    Delete {
        /// Kind.
        kind: RegistryKind,
        /// Name.
        name: String,
    },
}

/// Where API-made configuration objects live. Versions come from one sequence that grows
/// with every committed change, so a version is both an object's ETag and the registry's.
pub trait RegistryStore: Send + Sync {
    /// Every stored object, by kind then name.
    fn list(&self) -> Result<Vec<RegistryRow>, StoreError>;
    /// One object.
    fn get(&self, kind: RegistryKind, name: &str) -> Result<Option<RegistryRow>, StoreError>;
    /// Applies `writes` in one transaction; every object written gets the new version,
    /// which is returned.
    fn write(&self, writes: &[RegistryWrite]) -> Result<i64, StoreError>;
    /// The last version handed out (0 for an empty registry).
    fn version(&self) -> Result<i64, StoreError>;

    /// Creates or replaces one object; returns its new version.
    fn put(&self, kind: RegistryKind, name: &str, body: &str) -> Result<i64, StoreError> {
        self.write(&[RegistryWrite::Put {
            kind,
            name: name.to_owned(),
            body: body.to_owned(),
        }])
    }

    /// Deletes one object; returns the new registry version.
    fn delete(&self, kind: RegistryKind, name: &str) -> Result<i64, StoreError> {
        self.write(&[RegistryWrite::Delete {
            kind,
            name: name.to_owned(),
        }])
    }
}

const COLUMNS: &str = "kind, name, body, version, updated_ms";

fn registry_row(r: &Row<'_>) -> rusqlite::Result<RegistryRow> {
    let kind: String = r.get(0)?;
    let kind = RegistryKind::parse(&kind).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("unknown registry kind `{kind}`").into(),
        )
    })?;
    Ok(RegistryRow {
        kind,
        name: r.get(1)?,
        body: r.get(2)?,
        version: r.get(3)?,
        updated_ms: r.get(4)?,
    })
}

impl RegistryStore for SqliteStore {
    fn list(&self) -> Result<Vec<RegistryRow>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM registry ORDER BY kind, name"
            ))
            .map_err(backend)?;
        let rows = stmt.query_map([], registry_row).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }

    fn get(&self, kind: RegistryKind, name: &str) -> Result<Option<RegistryRow>, StoreError> {
        self.lock()
            .query_row(
                &format!("SELECT {COLUMNS} FROM registry WHERE kind = ?1 AND name = ?2"),
                params![kind.as_str(), name],
                registry_row,
            )
            .optional()
            .map_err(backend)
    }

    fn write(&self, writes: &[RegistryWrite]) -> Result<i64, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(backend)?;
        let version: i64 = tx
            .query_row(
                "UPDATE registry_seq SET version = version + 1 WHERE id = 1 RETURNING version",
                [],
                |r| r.get(0),
            )
            .map_err(backend)?;
        let now = unix_ms_now();
        for w in writes {
            match w {
                RegistryWrite::Put { kind, name, body } => tx.execute(
                    "INSERT INTO registry (kind, name, body, version, updated_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (kind, name) DO UPDATE SET
                       body = excluded.body, version = excluded.version,
                       updated_ms = excluded.updated_ms",
                    params![kind.as_str(), name, body, version, now],
                ),
                RegistryWrite::Delete { kind, name } => tx.execute(
                    "DELETE FROM registry WHERE kind = ?1 AND name = ?2",
                    params![kind.as_str(), name],
                ),
            }
            .map_err(backend)?;
        }
        tx.commit().map_err(backend)?;
        Ok(version)
    }

    fn version(&self) -> Result<i64, StoreError> {
        self.lock()
            .query_row("SELECT version FROM registry_seq WHERE id = 1", [], |r| {
                r.get(0)
            })
            .map_err(backend)
    }
}
