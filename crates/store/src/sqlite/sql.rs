//! SQL text shared by the queries: the WHERE clause of a [`Filter`], the summary columns and
//! the mapping between rows and [`UsageRow`].

use rusqlite::types::Value;
use rusqlite::Row;

use crate::query::{Filter, Summary};
use crate::row::UsageRow;

/// Separates tags in the denormalised `usage.tags` column (tags never contain it).
pub(super) const TAG_SEP: char = '\u{1f}';

/// Columns of `usage` in insert/select order, after `id`.
pub(super) const COLUMNS: &str = "ts_ms, request_id, key_id, key_name, tags, client_ip, \
    client_host, client_api, provider, member, requested_model, resolved_model, status, \
    error_kind, attempts, prompt_tokens, completion_tokens, cached_tokens, \
    cache_write_tokens, reasoning_tokens, ttft_ms, duration_ms, output_tps, cost_usd, stream";

/// The insert statement for one row.
pub(super) const INSERT: &str = "INSERT INTO usage (ts_ms, request_id, key_id, key_name, tags, \
    client_ip, client_host, client_api, provider, member, requested_model, resolved_model, \
    status, error_kind, attempts, prompt_tokens, completion_tokens, cached_tokens, \
    cache_write_tokens, reasoning_tokens, ttft_ms, duration_ms, output_tps, cost_usd, stream) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, \
    ?19, ?20, ?21, ?22, ?23, ?24, ?25)";

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

/// The parameters of `row` in [`INSERT`] order.
pub(super) fn insert_params(row: &UsageRow) -> [Value; 25] {
    let text = |s: &Option<String>| s.clone().map_or(Value::Null, Value::Text);
    let real = |f: Option<f64>| f.map_or(Value::Null, Value::Real);
    let tags: String = row.tags.join(&TAG_SEP.to_string());
    [
        Value::Integer(row.time_ms),
        Value::Text(row.request_id.clone()),
        text(&row.key_id),
        text(&row.key_name),
        Value::Text(tags),
        text(&row.client_ip),
        text(&row.client_host),
        Value::Text(row.client_api.clone()),
        Value::Text(row.provider.clone()),
        text(&row.member),
        Value::Text(row.requested_model.clone()),
        Value::Text(row.resolved_model.clone()),
        Value::Integer(i64::from(row.status)),
        text(&row.error_kind),
        Value::Integer(i64::from(row.attempts)),
        Value::Integer(to_i64(row.prompt_tokens)),
        Value::Integer(to_i64(row.completion_tokens)),
        Value::Integer(to_i64(row.cached_tokens)),
        Value::Integer(to_i64(row.cache_write_tokens)),
        Value::Integer(to_i64(row.reasoning_tokens)),
        real(row.ttft_ms),
        Value::Real(row.duration_ms),
        real(row.output_tokens_per_s),
        real(row.cost_usd),
        Value::Integer(i64::from(row.stream)),
    ]
}

/// Reads a [`UsageRow`] from a row selected as `COLUMNS`, starting at column `at`.
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

/// The `WHERE` clause (empty or starting with ` WHERE`) selecting `filter`'s rows of
/// `usage u`, and its positional parameters. Every condition can use an index: time on
/// `usage_ts`, provider/model/key on their `(column, ts_ms)` indexes, tag on the primary key
/// of `usage_tag`.
pub(super) fn where_clause(f: &Filter) -> (String, Vec<Value>) {
    let mut conds: Vec<String> = Vec::new();
    let mut params: Vec<Value> = Vec::new();
    let mut push = |cond: &str, value: Value, params: &mut Vec<Value>| {
        params.push(value);
        conds.push(cond.replace('#', &format!("?{}", params.len())));
    };
    if let Some(from) = f.from_ms {
        push("u.ts_ms >= #", Value::Integer(from), &mut params);
    }
    if let Some(to) = f.to_ms {
        push("u.ts_ms < #", Value::Integer(to), &mut params);
    }
    if let Some(p) = &f.provider {
        push("u.provider = #", Value::Text(p.clone()), &mut params);
    }
    if let Some(m) = &f.model {
        push("u.resolved_model = #", Value::Text(m.clone()), &mut params);
    }
    if let Some(k) = &f.key_id {
        push("u.key_id = #", Value::Text(k.clone()), &mut params);
    }
    if let Some(class) = f.status {
        let (low, high) = class.range();
        push("u.status >= #", Value::Integer(i64::from(low)), &mut params);
        push("u.status < #", Value::Integer(i64::from(high)), &mut params);
    }
    if let Some(tag) = &f.tag {
        // The time bounds are repeated inside so the lookup is a range scan of the tag's
        // primary-key entries.
        let mut sub =
            String::from("u.id IN (SELECT t2.usage_id FROM usage_tag t2 WHERE t2.tag = #");
        params.push(Value::Text(tag.clone()));
        sub = sub.replace('#', &format!("?{}", params.len()));
        if let Some(from) = f.from_ms {
            params.push(Value::Integer(from));
            sub.push_str(&format!(" AND t2.ts_ms >= ?{}", params.len()));
        }
        if let Some(to) = f.to_ms {
            params.push(Value::Integer(to));
            sub.push_str(&format!(" AND t2.ts_ms < ?{}", params.len()));
        }
        sub.push(')');
        conds.push(sub);
    }
    if conds.is_empty() {
        (String::new(), params)
    } else {
        (format!(" WHERE {}", conds.join(" AND ")), params)
    }
}
