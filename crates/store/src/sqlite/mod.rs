//! The SQLite usage store: one file in the data dir, WAL mode, `synchronous=NORMAL` (a
//! power cut may lose the last commits, never corrupt the file), migrations at open.

mod schema;
mod sql;
#[cfg(test)]
mod tests;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection};

pub use schema::SCHEMA_VERSION;

use crate::query::{
    Breakdown, Bucket, By, Filter, Page, SeriesPoint, StoreError, Summary, UsageStore,
};
use crate::row::UsageRow;

/// Largest page [`UsageStore::recent`] returns.
const MAX_PER_PAGE: u32 = 1000;

/// A usage store in one SQLite file. One connection, behind a mutex held for one statement
/// or transaction; open a second store on the same file for readers beside a writer.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

pub(crate) fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(Box::new(e))
}

/// Wall-clock now in milliseconds since the epoch (0 if the clock is before it).
pub fn unix_ms_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    /// Fails with [`StoreError::SchemaTooNew`] on a database from a newer llmux.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let mut conn = Connection::open(path).map_err(backend)?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(backend)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(backend)?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(
                mode,
                "usage store: WAL mode unavailable, using the mode SQLite chose"
            );
        }
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(backend)?;
        schema::migrate(&mut conn)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
        })
    }

    /// The schema version recorded in the database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        schema::version(&self.lock())
    }

    /// Runs SQLite's own consistency check; `Ok(true)` when the file is sound.
    pub fn integrity_ok(&self) -> Result<bool, StoreError> {
        let verdict: String = self
            .lock()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(backend)?;
        Ok(verdict == "ok")
    }

    /// The connection, recovering from a poisoned lock (every write is one transaction).
    pub(crate) fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Opens a database at `path` migrated only up to `version`: an "old" database for
/// migration tests.
#[cfg(test)]
pub(crate) fn open_at_version(path: &Path, version: i64) -> Connection {
    let mut conn = Connection::open(path).unwrap();
    schema::migrate_to(&mut conn, version).unwrap();
    conn
}

impl UsageStore for SqliteStore {
    fn insert_batch(&self, rows: &[UsageRow]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(backend)?;
        {
            let mut insert = tx.prepare_cached(&sql::INSERT).map_err(backend)?;
            let mut tag = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO usage_tag (tag, ts_ms, usage_id) VALUES (?1, ?2, ?3)",
                )
                .map_err(backend)?;
            let mut tags = String::new();
            for row in rows {
                tags.clear();
                for (i, t) in row.tags.iter().enumerate() {
                    if i > 0 {
                        tags.push(sql::TAG_SEP);
                    }
                    tags.push_str(t);
                }
                sql::insert_row(&mut insert, row, &tags).map_err(backend)?;
                let id = tx.last_insert_rowid();
                for t in &row.tags {
                    tag.execute((t, row.time_ms, id)).map_err(backend)?;
                }
            }
        }
        tx.commit().map_err(backend)
    }

    fn summary(&self, filter: &Filter) -> Result<Summary, StoreError> {
        let (wh, params) = sql::where_clause(filter);
        let q = format!("SELECT {} FROM usage u{wh}", sql::SUMMARY_COLUMNS);
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&q).map_err(backend)?;
        stmt.query_row(params_from_iter(params), |r| sql::summary_at(r, 0))
            .map_err(backend)
    }

    fn series(&self, filter: &Filter, bucket: Bucket) -> Result<Vec<SeriesPoint>, StoreError> {
        let (wh, params) = sql::where_clause(filter);
        // The width is a constant of the enum, so it is written into the SQL.
        let w = bucket.millis();
        let q = format!(
            "SELECT (u.ts_ms / {w}) * {w} AS b, {} FROM usage u{wh} GROUP BY b ORDER BY b",
            sql::SUMMARY_COLUMNS
        );
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&q).map_err(backend)?;
        let points = stmt
            .query_map(params_from_iter(params), |r| {
                Ok(SeriesPoint {
                    start_ms: r.get(0)?,
                    summary: sql::summary_at(r, 1)?,
                })
            })
            .map_err(backend)?;
        points.collect::<Result<_, _>>().map_err(backend)
    }

    fn breakdown(&self, filter: &Filter, by: By) -> Result<Vec<Breakdown>, StoreError> {
        let (wh, params) = sql::where_clause(filter);
        let (value, label, join) = match by {
            By::Tag => ("t.tag", "NULL", " JOIN usage_tag t ON t.usage_id = u.id"),
            By::Key => ("u.key_id", "MAX(u.key_name)", ""),
            By::Provider => ("u.provider", "NULL", ""),
            By::Model => ("u.resolved_model", "NULL", ""),
            By::Client => ("u.client_ip", "MAX(u.client_host)", ""),
        };
        let q = format!(
            "SELECT {value} AS v, {label}, {} FROM usage u{join}{wh} \
             GROUP BY v ORDER BY COUNT(*) DESC, v",
            sql::SUMMARY_COLUMNS
        );
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&q).map_err(backend)?;
        let groups = stmt
            .query_map(params_from_iter(params), |r| {
                Ok(Breakdown {
                    value: r.get(0)?,
                    label: r.get(1)?,
                    summary: sql::summary_at(r, 2)?,
                })
            })
            .map_err(backend)?;
        groups.collect::<Result<_, _>>().map_err(backend)
    }

    fn recent(&self, filter: &Filter, page: u32, per_page: u32) -> Result<Page, StoreError> {
        let per_page = per_page.clamp(1, MAX_PER_PAGE);
        let offset = i64::from(page) * i64::from(per_page);
        let (wh, mut params) = sql::where_clause(filter);
        let conn = self.lock();
        let total: i64 = conn
            .prepare_cached(&format!("SELECT COUNT(*) FROM usage u{wh}"))
            .and_then(|mut s| s.query_row(params_from_iter(params.iter()), |r| r.get(0)))
            .map_err(backend)?;
        // Paging values are bound, not written in, so each filter shape is one cached plan.
        let n = params.len();
        params.push(Value::Integer(i64::from(per_page)));
        params.push(Value::Integer(offset));
        let q = format!(
            "SELECT {} FROM usage u{wh} ORDER BY u.ts_ms DESC, u.id DESC LIMIT ?{} OFFSET ?{}",
            *sql::SELECT_ROW,
            n + 1,
            n + 2
        );
        let mut stmt = conn.prepare_cached(&q).map_err(backend)?;
        let rows = stmt
            .query_map(params_from_iter(params), |r| sql::usage_row_at(r, 0))
            .map_err(backend)?
            .collect::<Result<_, _>>()
            .map_err(backend)?;
        Ok(Page {
            total: u64::try_from(total).unwrap_or(0),
            rows,
        })
    }

    fn purge_before(&self, before_ms: i64) -> Result<u64, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(backend)?;
        tx.execute(
            "DELETE FROM usage_tag WHERE usage_id IN (SELECT id FROM usage WHERE ts_ms < ?1)",
            [before_ms],
        )
        .map_err(backend)?;
        let gone = tx
            .execute("DELETE FROM usage WHERE ts_ms < ?1", [before_ms])
            .map_err(backend)?;
        tx.commit().map_err(backend)?;
        Ok(u64::try_from(gone).unwrap_or(u64::MAX))
    }
}
