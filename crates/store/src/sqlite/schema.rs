//! Versioned schema migrations, run at open. Each migration runs once, in its own
//! transaction, and is recorded in `schema_migrations`.

use rusqlite::{Connection, OptionalExtension};

use super::backend;
use crate::query::StoreError;

/// The migrations this binary knows, in order: `(version, SQL)`. Append only; never edit a
/// released one.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        "CREATE TABLE usage (
        id INTEGER PRIMARY KEY,
        ts_ms INTEGER NOT NULL,
        request_id TEXT NOT NULL,
        key_id TEXT,
        key_name TEXT,
        tags TEXT NOT NULL,
        client_ip TEXT,
        client_host TEXT,
        client_api TEXT NOT NULL,
        provider TEXT NOT NULL,
        member TEXT,
        requested_model TEXT NOT NULL,
        resolved_model TEXT NOT NULL,
        status INTEGER NOT NULL,
        error_kind TEXT,
        attempts INTEGER NOT NULL,
        prompt_tokens INTEGER NOT NULL,
        completion_tokens INTEGER NOT NULL,
        cached_tokens INTEGER NOT NULL,
        cache_write_tokens INTEGER NOT NULL,
        reasoning_tokens INTEGER NOT NULL,
        ttft_ms REAL,
        duration_ms REAL NOT NULL,
        output_tps REAL,
        cost_usd REAL,
        stream INTEGER NOT NULL
    );
    CREATE INDEX usage_ts ON usage(ts_ms);
    CREATE INDEX usage_provider_ts ON usage(provider, ts_ms);
    CREATE INDEX usage_model_ts ON usage(resolved_model, ts_ms);
    CREATE INDEX usage_key_ts ON usage(key_id, ts_ms);
    -- One row per (request, tag): filtering and grouping by tag use the primary key.
    CREATE TABLE usage_tag (
        tag TEXT NOT NULL,
        ts_ms INTEGER NOT NULL,
        usage_id INTEGER NOT NULL,
        PRIMARY KEY (tag, ts_ms, usage_id)
    ) WITHOUT ROWID;
    CREATE INDEX usage_tag_usage ON usage_tag(usage_id);",
    ),
    (
        2,
        // Proxy keys. `models` and `tags` are lists joined with U+001F (never in a value);
        // `hash` is the SHA-256 hex of the whole key, the only form a key is kept in.
        "CREATE TABLE keys (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            hash TEXT NOT NULL UNIQUE,
            prefix TEXT NOT NULL,
            models TEXT NOT NULL,
            rpm INTEGER,
            tpm INTEGER,
            budget_usd REAL,
            spent_usd REAL NOT NULL DEFAULT 0,
            expires_at_ms INTEGER,
            revoked INTEGER NOT NULL DEFAULT 0,
            tags TEXT NOT NULL,
            created_at_ms INTEGER NOT NULL
        );",
    ),
    (
        3,
        // Every index is another B-tree insert per row on the writer thread, which shares a
        // core with the proxy. Queries always bound the time, so `usage_ts` narrows them and
        // provider / model / key are filtered within that range.
        "DROP INDEX IF EXISTS usage_provider_ts;
        DROP INDEX IF EXISTS usage_model_ts;
        DROP INDEX IF EXISTS usage_key_ts;",
    ),
    (
        4,
        // The admin API's configuration registry: one row per object made through the API,
        // its body the JSON of the config file's entry. `registry_seq` holds the last version
        // handed out, so versions only grow, deletions included.
        "CREATE TABLE registry (
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            body TEXT NOT NULL,
            version INTEGER NOT NULL,
            updated_ms INTEGER NOT NULL,
            PRIMARY KEY (kind, name)
        );
        CREATE TABLE registry_seq (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            version INTEGER NOT NULL
        );
        INSERT INTO registry_seq (id, version) VALUES (1, 0);",
    ),
    (
        5,
        // The admin listener: its audit log (one row per mutating call; `before` / `after`
        // are JSON with secrets already redacted) and the hash of a generated admin password.
        "CREATE TABLE admin_audit (
            id INTEGER PRIMARY KEY,
            ts_ms INTEGER NOT NULL,
            who TEXT NOT NULL,
            client_ip TEXT,
            method TEXT NOT NULL,
            path TEXT NOT NULL,
            status INTEGER NOT NULL,
            before_json TEXT,
            after_json TEXT
        );
        CREATE TABLE admin_auth (
            user TEXT PRIMARY KEY,
            salt TEXT NOT NULL,
            hash TEXT NOT NULL,
            created_at_ms INTEGER NOT NULL
        );",
    ),
];

/// The newest schema version this binary knows.
pub const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].0;

/// Brings the database up to [`SCHEMA_VERSION`]; a no-op when it is already there.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    migrate_to(conn, SCHEMA_VERSION)
}

/// Applies the migrations after the recorded version up to `target` (tests build older
/// databases with it).
pub(super) fn migrate_to(conn: &mut Connection, target: i64) -> Result<(), StoreError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY,
            applied_ms INTEGER NOT NULL
        );",
    )
    .map_err(backend)?;
    let current: i64 = conn
        .query_row("SELECT MAX(version) FROM schema_migrations", [], |r| {
            r.get::<_, Option<i64>>(0)
        })
        .optional()
        .map_err(backend)?
        .flatten()
        .unwrap_or(0);
    if current > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found: current,
            known: SCHEMA_VERSION,
        });
    }
    for &(version, sql) in MIGRATIONS
        .iter()
        .filter(|(v, _)| *v > current && *v <= target)
    {
        let tx = conn.transaction().map_err(backend)?;
        tx.execute_batch(sql).map_err(backend)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_ms) VALUES (?1, ?2)",
            (version, super::unix_ms_now()),
        )
        .map_err(backend)?;
        tx.commit().map_err(backend)?;
        tracing::info!(version, "usage store: applied schema migration");
    }
    Ok(())
}

/// The schema version recorded in the database.
pub(super) fn version(conn: &Connection) -> Result<i64, StoreError> {
    conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
        [],
        |r| r.get(0),
    )
    .map_err(backend)
}
