//! The admin listener's rows (schema version 5): the audit log of mutating admin calls
//! ([`AuditRow`], table `admin_audit`) and stored admin password hashes ([`PasswordRow`],
//! table `admin_auth`), behind the [`AdminStore`] trait with its SQLite implementation.

#[cfg(test)]
mod tests;

use rusqlite::{params, OptionalExtension, Row};

use crate::query::StoreError;
use crate::sqlite::{backend, SqliteStore};

/// Largest page [`AdminStore::audit_list`] returns.
pub const MAX_AUDIT_PAGE: u32 = 1000;

/// One mutating admin call. Times are milliseconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    /// Row id (ascending with time); ignored by [`AdminStore::audit_append`].
    pub id: i64,
    /// When the call was answered.
    pub ts_ms: i64,
    /// Who made it: `token`, `password:<user>`, `session:<user>` or `anonymous`.
    pub who: String,
    /// The caller's address, when known.
    pub client_ip: Option<String>,
    /// HTTP method.
    pub method: String,
    /// Request path.
    pub path: String,
    /// Response status.
    pub status: u16,
    /// JSON of the object before the change (secrets redacted by the caller), if given.
    pub before: Option<String>,
    /// JSON of the object after the change (secrets redacted by the caller), if given.
    pub after: Option<String>,
}

/// A stored admin password: a salted SHA-256, never the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordRow {
    /// User name (`admin`).
    pub user: String,
    /// Random salt, hex.
    pub salt: String,
    /// SHA-256 hex of salt followed by the password.
    pub hash: String,
    /// When it was set.
    pub created_at_ms: i64,
}

/// Where the admin listener keeps its audit log and password hashes.
pub trait AdminStore: Send + Sync {
    /// Appends one audit row; returns its id.
    fn audit_append(&self, row: &AuditRow) -> Result<i64, StoreError>;
    /// Newest first: at most `limit` rows (capped at [`MAX_AUDIT_PAGE`]) whose id is below
    /// `before` when given (the id of the last row of the previous page).
    fn audit_list(&self, limit: u32, before: Option<i64>) -> Result<Vec<AuditRow>, StoreError>;
    /// The stored password of `user`, if any.
    fn password(&self, user: &str) -> Result<Option<PasswordRow>, StoreError>;
    /// Stores (or replaces) a password hash.
    fn set_password(&self, row: &PasswordRow) -> Result<(), StoreError>;
}

fn audit_row(r: &Row<'_>) -> rusqlite::Result<AuditRow> {
    let status: i64 = r.get(6)?;
    Ok(AuditRow {
        id: r.get(0)?,
        ts_ms: r.get(1)?,
        who: r.get(2)?,
        client_ip: r.get(3)?,
        method: r.get(4)?,
        path: r.get(5)?,
        status: u16::try_from(status).unwrap_or(0),
        before: r.get(7)?,
        after: r.get(8)?,
    })
}

impl AdminStore for SqliteStore {
    fn audit_append(&self, row: &AuditRow) -> Result<i64, StoreError> {
        let conn = self.lock();
        conn.execute(
            "INSERT INTO admin_audit (ts_ms, who, client_ip, method, path, status, \
             before_json, after_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                row.ts_ms,
                row.who,
                row.client_ip,
                row.method,
                row.path,
                row.status,
                row.before,
                row.after
            ],
        )
        .map_err(backend)?;
        Ok(conn.last_insert_rowid())
    }

    fn audit_list(&self, limit: u32, before: Option<i64>) -> Result<Vec<AuditRow>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, ts_ms, who, client_ip, method, path, status, before_json, \
                 after_json FROM admin_audit WHERE id < ?1 ORDER BY id DESC LIMIT ?2",
            )
            .map_err(backend)?;
        let rows = stmt
            .query_map(
                params![before.unwrap_or(i64::MAX), limit.min(MAX_AUDIT_PAGE)],
                audit_row,
            )
            .map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }

    fn password(&self, user: &str) -> Result<Option<PasswordRow>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT user, salt, hash, created_at_ms FROM admin_auth WHERE user = ?1",
            )
            .map_err(backend)?;
        stmt.query_row([user], |r| {
            Ok(PasswordRow {
                user: r.get(0)?,
                salt: r.get(1)?,
                hash: r.get(2)?,
                created_at_ms: r.get(3)?,
            })
        })
        .optional()
        .map_err(backend)
    }

    fn set_password(&self, row: &PasswordRow) -> Result<(), StoreError> {
        self.lock()
            .execute(
                "INSERT OR REPLACE INTO admin_auth (user, salt, hash, created_at_ms) \
                 VALUES (?1, ?2, ?3, ?4)",
                params![row.user, row.salt, row.hash, row.created_at_ms],
            )
            .map_err(backend)?;
        Ok(())
    }
}
