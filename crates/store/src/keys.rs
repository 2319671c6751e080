//! Proxy keys at rest: [`KeyRow`] (a key as stored: its SHA-256 hash, never the key), the
//! [`KeyStore`] trait, and its SQLite implementation on [`SqliteStore`] (table `keys`,
//! schema version 2).

#[cfg(test)]
mod tests;

use rusqlite::{params, OptionalExtension, Row};

use crate::query::StoreError;
use crate::sqlite::{backend, SqliteStore};

/// Joins list values (`models`, `tags`) in one column; it never appears in a model or tag.
const LIST_SEP: char = '\u{1f}';

/// One proxy key as stored. Times are milliseconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyRow {
    /// Stable public id (primary key).
    pub id: String,
    /// Operator-chosen name.
    pub name: String,
    /// SHA-256 hex of the whole key (unique).
    pub hash: String,
    /// Display form, `llmux-AbCd…`.
    pub prefix: String,
    /// Allowed model patterns; empty means all.
    pub models: Vec<String>,
    /// Requests per minute, if limited.
    pub rpm: Option<u32>,
    /// Tokens per minute, if limited.
    pub tpm: Option<u64>,
    /// Spending cap in US dollars, if any.
    pub budget_usd: Option<f64>,
    /// Dollars spent so far.
    pub spent_usd: f64,
    /// Expiry, if any.
    pub expires_at_ms: Option<i64>,
    /// Whether the key was revoked.
    pub revoked: bool,
    /// Tags recorded on the key's requests.
    pub tags: Vec<String>,
    /// Creation time.
    pub created_at_ms: i64,
}

impl KeyRow {
    /// `active`, `revoked`, `expired` or `spent` (budget used up) at `now_ms`, as listings
    /// show it.
    pub fn status(&self, now_ms: i64) -> &'static str {
        if self.revoked {
            "revoked"
        } else if self.expires_at_ms.is_some_and(|at| now_ms >= at) {
            "expired"
        } else if self.budget_usd.is_some_and(|b| self.spent_usd >= b) {
            "spent"
        } else {
            "active"
        }
    }
}

/// The limits an operator may change on an existing key; each replaces the stored value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeyLimits {
    /// Allowed model patterns; empty means all.
    pub models: Vec<String>,
    /// Requests per minute, if limited.
    pub rpm: Option<u32>,
    /// Tokens per minute, if limited.
    pub tpm: Option<u64>,
    /// Spending cap in US dollars, if any.
    pub budget_usd: Option<f64>,
    /// Expiry (ms since the epoch), if any.
    pub expires_at_ms: Option<i64>,
}

/// Where proxy keys live. Methods that name a key by id return `false` / `None` when there
/// is no such key.
pub trait KeyStore: Send + Sync {
    /// Stores a new key. A duplicate id or hash is a backend (constraint) error.
    fn create(&self, key: &KeyRow) -> Result<(), StoreError>;
    /// The key with this hash (the data-plane lookup).
    fn get_by_hash(&self, hash: &str) -> Result<Option<KeyRow>, StoreError>;
    /// The key with this id.
    fn get(&self, id: &str) -> Result<Option<KeyRow>, StoreError>;
    /// Every key, oldest first.
    fn list(&self) -> Result<Vec<KeyRow>, StoreError>;
    /// Marks the key revoked (for good).
    fn revoke(&self, id: &str) -> Result<bool, StoreError>;
    /// Replaces the key's limits.
    fn update_limits(&self, id: &str, limits: &KeyLimits) -> Result<bool, StoreError>;
    /// Adds `usd` (negative to give back an unused reservation) to the key's spend in one
    /// atomic statement; returns the new total.
    fn add_spend(&self, id: &str, usd: f64) -> Result<Option<f64>, StoreError>;
}

const COLUMNS: &str = "id, name, hash, prefix, models, rpm, tpm, budget_usd, spent_usd, \
                       expires_at_ms, revoked, tags, created_at_ms";

fn join(field: &str, values: &[String]) -> Result<String, StoreError> {
    if let Some(v) = values.iter().find(|v| v.contains(LIST_SEP)) {
        return Err(StoreError::InvalidValue(format!(
            "{field} value {v:?}: it contains the control character U+001F"
        )));
    }
    Ok(values.join(&LIST_SEP.to_string()))
}

fn split(s: String) -> Vec<String> {
    if s.is_empty() {
        Vec::new()
    } else {
        s.split(LIST_SEP).map(str::to_owned).collect()
    }
}

fn finite(field: &str, v: Option<f64>) -> Result<Option<f64>, StoreError> {
    match v {
        Some(x) if !x.is_finite() => Err(StoreError::InvalidValue(format!("{field} {x}"))),
        _ => Ok(v),
    }
}

/// SQLite integers are signed; a larger limit is stored as `i64::MAX` (no limit in effect).
fn int(v: Option<u64>) -> Option<i64> {
    v.map(|n| i64::try_from(n).unwrap_or(i64::MAX))
}

fn key_row(r: &Row<'_>) -> rusqlite::Result<KeyRow> {
    let rpm: Option<i64> = r.get(5)?;
    let tpm: Option<i64> = r.get(6)?;
    Ok(KeyRow {
        id: r.get(0)?,
        name: r.get(1)?,
        hash: r.get(2)?,
        prefix: r.get(3)?,
        models: split(r.get(4)?),
        rpm: rpm.map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
        tpm: tpm.map(|n| u64::try_from(n).unwrap_or(0)),
        budget_usd: r.get(7)?,
        spent_usd: r.get(8)?,
        expires_at_ms: r.get(9)?,
        revoked: r.get(10)?,
        tags: split(r.get(11)?),
        created_at_ms: r.get(12)?,
    })
}

impl SqliteStore {
    fn one_key(&self, column: &str, value: &str) -> Result<Option<KeyRow>, StoreError> {
        let q = format!("SELECT {COLUMNS} FROM keys WHERE {column} = ?1");
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&q).map_err(backend)?;
        stmt.query_row([value], key_row).optional().map_err(backend)
    }
}

impl KeyStore for SqliteStore {
    fn create(&self, key: &KeyRow) -> Result<(), StoreError> {
        let models = join("model", &key.models)?;
        let tags = join("tag", &key.tags)?;
        let budget = finite("budget_usd", key.budget_usd)?;
        let spent = finite("spent_usd", Some(key.spent_usd))?;
        let q = format!(
            "INSERT INTO keys ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
        );
        self.lock()
            .execute(
                &q,
                params![
                    key.id,
                    key.name,
                    key.hash,
                    key.prefix,
                    models,
                    key.rpm,
                    int(key.tpm),
                    budget,
                    spent,
                    key.expires_at_ms,
                    key.revoked,
                    tags,
                    key.created_at_ms
                ],
            )
            .map_err(backend)?;
        Ok(())
    }

    fn get_by_hash(&self, hash: &str) -> Result<Option<KeyRow>, StoreError> {
        self.one_key("hash", hash)
    }

    fn get(&self, id: &str) -> Result<Option<KeyRow>, StoreError> {
        self.one_key("id", id)
    }

    fn list(&self) -> Result<Vec<KeyRow>, StoreError> {
        let q = format!("SELECT {COLUMNS} FROM keys ORDER BY created_at_ms, id");
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&q).map_err(backend)?;
        let rows = stmt.query_map([], key_row).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }

    fn revoke(&self, id: &str) -> Result<bool, StoreError> {
        let n = self
            .lock()
            .execute("UPDATE keys SET revoked = 1 WHERE id = ?1", [id])
            .map_err(backend)?;
        Ok(n > 0)
    }

    fn update_limits(&self, id: &str, limits: &KeyLimits) -> Result<bool, StoreError> {
        let models = join("model", &limits.models)?;
        let budget = finite("budget_usd", limits.budget_usd)?;
        let n = self
            .lock()
            .execute(
                "UPDATE keys SET models = ?2, rpm = ?3, tpm = ?4, budget_usd = ?5, \
                 expires_at_ms = ?6 WHERE id = ?1",
                params![
                    id,
                    models,
                    limits.rpm,
                    int(limits.tpm),
                    budget,
                    limits.expires_at_ms
                ],
            )
            .map_err(backend)?;
        Ok(n > 0)
    }

    fn add_spend(&self, id: &str, usd: f64) -> Result<Option<f64>, StoreError> {
        let usd = finite("spend", Some(usd))?.unwrap_or(0.0);
        self.lock()
            .query_row(
                "UPDATE keys SET spent_usd = spent_usd + ?2 WHERE id = ?1 RETURNING spent_usd",
                params![id, usd],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)
    }
}
