//! SQL text shared by the queries: the WHERE clause of a [`Filter`], the summary columns and
//! the mapping between rows and [`UsageRow`].

use std::sync::LazyLock;

use rusqlite::types::Value;
use rusqlite::Row;

use crate::query::{Filter, Summary};
use crate::row::UsageRow;

/// Separates tags in the denormalised `usage.tags` column (tags never contain it).
pub(super) const TAG_SEP: char = '\u{1f}';

/// Columns of `usage` in insert/select order, after `id`.
const COLUMNS: [&str; 25] = [
    "ts_ms",
    "request_id",
    "key_id",
    "key_name",
    "tags",
    "client_ip",
    "client_host",
    "client_api",
    "provider",
    "member",
    "requested_model",
    "resolved_model",
    "status",
    "error_kind",
    "attempts",
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "ttft_ms",
    "duration_ms",
    "output_tps",
    "cost_usd",
    "stream",
];

/// The insert statement for one row, parameters as [`insert_params`] gives them.
pub(super) static INSERT: LazyLock<String> = LazyLock::new(|| {
    let holders: Vec<String> = (1..=COLUMNS.len()).map(|i| format!("?{i}")).collect();
    format!(
        "INSERT INTO usage ({}) VALUES ({})",
        COLUMNS.join(", "),
        holders.join(", ")
    )
});

/// The columns of `usage u` that [`usage_row_at`] reads, in order.
pub(super) static SELECT_ROW: LazyLock<String> = LazyLock::new(|| {
    let cols: Vec<String> = COLUMNS.iter().map(|c| format!("u.{c}")).collect();
    cols.join(", ")
});

/// Aggregates over the rows of `usage u`, read back by [`summary_at`].
pub(super) const SUMMARY_COLUMNS: &str = "COUNT(*), COALESCE(SUM(u.status >= 400), 0), \
    COALESCE(SUM(u.prompt_tokens), 0), COALESCE(SUM(u.completion_tokens), 0), \
    COALESCE(SUM(u.cached_tokens), 0), COALESCE(SUM(u.cache_write_tokens), 0), \
    COALESCE(SUM(u.reasoning_tokens), 0), TOTAL(u.cost_usd), \
    COALESCE(SUM(u.cost_usd IS NULL), 0), AVG(u.duration_ms), AVG(u.ttft_ms)";

/// Token counts are stored as SQLite integers (i64).
pub(super) fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Binds `row` to the insert statement (parameters in [`COLUMNS`] order) and runs it.
///
/// Text is bound by reference: the writer thread shares a core with the proxy, so a row
/// costs no copies on its way into SQLite.
pub(super) fn insert_row(
    insert: &mut rusqlite::CachedStatement<'_>,
    row: &UsageRow,
    tags: &str,
) -> rusqlite::Result<usize> {
    insert.execute(rusqlite::params![
        row.time_ms,
        row.request_id,
        row.key_id,
        row.key_name,
        tags,
        row.client_ip,
        row.client_host,
        row.client_api,
        row.provider,
        row.member,
        row.requested_model,
        row.resolved_model,
        row.status,
        row.error_kind,
        row.attempts,
        to_i64(row.prompt_tokens),
        to_i64(row.completion_tokens),
        to_i64(row.cached_tokens),
        to_i64(row.cache_write_tokens),
        to_i64(row.reasoning_tokens),
        row.ttft_ms,
        row.duration_ms,
        row.output_tokens_per_s,
        row.cost_usd,
        row.stream,
    ])
}

/// Reads a [`UsageRow`] from a row selected as [`SELECT_ROW`], starting at column `at`.
pub(super) fn usage_row_at(r: &Row<'_>, at: usize) -> rusqlite::Result<UsageRow> {
    let tags: String = r.get(at + 4)?;
    Ok(UsageRow {
        time_ms: r.get(at)?,
        request_id: r.get(at + 1)?,
        key_id: r.get(at + 2)?,
        key_name: r.get(at + 3)?,
        tags: if tags.is_empty() {
            Vec::new()
        } else {
            tags.split(TAG_SEP).map(str::to_owned).collect()
        },
        client_ip: r.get(at + 5)?,
        client_host: r.get(at + 6)?,
        client_api: r.get(at + 7)?,
        provider: r.get(at + 8)?,
        member: r.get(at + 9)?,
        requested_model: r.get(at + 10)?,
        resolved_model: r.get(at + 11)?,
        status: u16::try_from(r.get::<_, i64>(at + 12)?).unwrap_or(0),
        error_kind: r.get(at + 13)?,
        attempts: u32::try_from(r.get::<_, i64>(at + 14)?).unwrap_or(0),
        prompt_tokens: to_u64(r.get(at + 15)?),
        completion_tokens: to_u64(r.get(at + 16)?),
        cached_tokens: to_u64(r.get(at + 17)?),
        cache_write_tokens: to_u64(r.get(at + 18)?),
        reasoning_tokens: to_u64(r.get(at + 19)?),
        ttft_ms: r.get(at + 20)?,
        duration_ms: r.get(at + 21)?,
        output_tokens_per_s: r.get(at + 22)?,
        cost_usd: r.get(at + 23)?,
        stream: r.get::<_, i64>(at + 24)? != 0,
    })
}

/// Reads a [`Summary`] from a row selected as `SUMMARY_COLUMNS`, starting at column `at`.
pub(super) fn summary_at(r: &Row<'_>, at: usize) -> rusqlite::Result<Summary> {
    Ok(Summary {
        requests: to_u64(r.get(at)?),
        errors: to_u64(r.get(at + 1)?),
        prompt_tokens: to_u64(r.get(at + 2)?),
        completion_tokens: to_u64(r.get(at + 3)?),
        cached_tokens: to_u64(r.get(at + 4)?),
        cache_write_tokens: to_u64(r.get(at + 5)?),
        reasoning_tokens: to_u64(r.get(at + 6)?),
        cost_usd: r.get(at + 7)?,
        unpriced_requests: to_u64(r.get(at + 8)?),
        avg_duration_ms: r.get(at + 9)?,
        avg_ttft_ms: r.get(at + 10)?,
    })
}

/// Positional parameters of a statement being built.
#[derive(Default)]
struct Binds(Vec<Value>);

impl Binds {
    /// Adds `v` and returns its placeholder (`?N`).
    fn bind(&mut self, v: Value) -> String {
        self.0.push(v);
        format!("?{}", self.0.len())
    }
}

/// The `WHERE` clause (empty or starting with ` WHERE`) selecting `filter`'s rows of
/// `usage u`, and its positional parameters. Every condition can use an index: time on
/// `usage_ts`, provider/model/key on their `(column, ts_ms)` indexes, tag on the primary key
/// of `usage_tag`. The status class alone has none: it narrows the others.
pub(super) fn where_clause(f: &Filter) -> (String, Vec<Value>) {
    let mut b = Binds::default();
    let mut conds: Vec<String> = Vec::new();
    let time = |b: &mut Binds, col: &str| {
        let mut c = Vec::new();
        if let Some(from) = f.from_ms {
            c.push(format!("{col} >= {}", b.bind(Value::Integer(from))));
        }
        if let Some(to) = f.to_ms {
            c.push(format!("{col} < {}", b.bind(Value::Integer(to))));
        }
        c
    };
    conds.extend(time(&mut b, "u.ts_ms"));
    let text = [
        ("u.provider", &f.provider),
        ("u.resolved_model", &f.model),
        ("u.key_id", &f.key_id),
    ];
    for (col, value) in text {
        if let Some(v) = value {
            conds.push(format!("{col} = {}", b.bind(Value::Text(v.clone()))));
        }
    }
    if let Some(class) = f.status {
        let (low, high) = class.range();
        let low = b.bind(Value::Integer(i64::from(low)));
        let high = b.bind(Value::Integer(i64::from(high)));
        conds.push(format!("u.status >= {low} AND u.status < {high}"));
    }
    if let Some(tag) = &f.tag {
        // The time bounds are repeated inside so the lookup is a range scan of the tag's
        // primary-key entries rather than all of the tag's rows.
        let mut sub = vec![format!("t2.tag = {}", b.bind(Value::Text(tag.clone())))];
        sub.extend(time(&mut b, "t2.ts_ms"));
        conds.push(format!(
            "u.id IN (SELECT t2.usage_id FROM usage_tag t2 WHERE {})",
            sub.join(" AND ")
        ));
    }
    let clause = if conds.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conds.join(" AND "))
    };
    (clause, b.0)
}
