//! The admin audit log: every mutating call under `/api/v1/` (who, from where, what, the
//! status, and the before/after JSON a handler attaches with [`with_change`], secrets
//! redacted), written to the [`AdminStore`]; `GET /api/v1/audit` pages through it.

#[cfg(test)]
mod tests;

use std::net::IpAddr;

use axum::extract::{Query, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use llmux_store::{AuditRow, MAX_AUDIT_PAGE};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::admin_auth::{AdminPlane, Who};
use crate::AppState;

/// What a value the audit log hides is replaced with.
pub const REDACTED: &str = "[redacted]";
/// Rows `GET /api/v1/audit` returns when `limit` is not given.
pub const DEFAULT_LIMIT: u32 = 50;

/// The object a mutating handler changed, before and after, for the audit log. Attach it to
/// the response with [`with_change`]; secrets in it are redacted before it is stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditChange {
    /// The object before the call (`None`: it did not exist).
    pub before: Option<Value>,
    /// The object after the call (`None`: it was deleted).
    pub after: Option<Value>,
}

/// Attaches `before` / `after` to a handler's response for the audit log.
pub fn with_change(
    mut response: Response,
    before: Option<Value>,
    after: Option<Value>,
) -> Response {
    response
        .extensions_mut()
        .insert(AuditChange { before, after });
    response
}

/// Whether a call is recorded: anything but GET, HEAD and OPTIONS under `/api/v1/`.
pub fn is_mutating(method: &Method, path: &str) -> bool {
    path.starts_with("/api/v1/") && !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether a field of this name holds a secret: names ending in key, token, password,
/// secret or passwd (any case, `api_key`, `apiKey`, `access_token`), or `authorization`.
pub fn is_secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ["key", "token", "password", "passwd", "secret"]
        .iter()
        .any(|end| lower.ends_with(end))
        || lower.contains("password")
        || lower.contains("secret")
        || lower == "authorization"
}

/// Replaces, at any depth, the value of every field named like a secret with [`REDACTED`].
pub fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (name, v) in map.iter_mut() {
                if is_secret_name(name) && !v.is_null() {
                    *v = Value::String(REDACTED.to_owned());
                } else {
                    redact(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// The row recorded for one answered call (secrets in the change redacted).
pub fn row(
    who: &Who,
    ip: IpAddr,
    method: &Method,
    path: &str,
    status: StatusCode,
    change: Option<&AuditChange>,
    ts_ms: i64,
) -> AuditRow {
    let render = |v: Option<&Value>| {
        v.map(|v| {
            let mut v = v.clone();
            redact(&mut v);
            v.to_string()
        })
    };
    AuditRow {
        id: 0,
        ts_ms,
        who: who.label(),
        client_ip: (!ip.is_unspecified()).then(|| ip.to_string()),
        method: method.to_string(),
        path: path.to_owned(),
        status: status.as_u16(),
        before: render(change.and_then(|c| c.before.as_ref())),
        after: render(change.and_then(|c| c.after.as_ref())),
    }
}

/// Writes the row of an answered call (on a blocking thread); a failure is logged, the
/// answer already made stands.
pub async fn record(
    plane: &AdminPlane,
    who: &Who,
    ip: IpAddr,
    method: &Method,
    path: &str,
    status: StatusCode,
    change: Option<AuditChange>,
) {
    let Some(store) = plane.store.clone() else {
        return;
    };
    let row = row(
        who,
        ip,
        method,
        path,
        status,
        change.as_ref(),
        llmux_store::unix_ms_now(),
    );
    let written = tokio::task::spawn_blocking(move || store.audit_append(&row)).await;
    match written {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::warn!(target: "llmux", error = %e, "audit log write failed"),
        Err(e) => tracing::warn!(target: "llmux", error = %e, "audit log task failed"),
    }
}

/// `GET /api/v1/audit` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Rows wanted (1 to 1000, default 50).
    pub limit: Option<u32>,
    /// Only rows with an id below this (the last id of the previous page).
    pub before: Option<i64>,
}

/// `GET /api/v1/audit?limit=&before=`: the log, newest first.
pub async fn list(
    State(state): State<AppState>,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let q = match query {
        Ok(Query(q)) => q,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e.body_text()),
    };
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_AUDIT_PAGE {
        return error(
            StatusCode::BAD_REQUEST,
            &format!("limit must be between 1 and {MAX_AUDIT_PAGE}"),
        );
    }
    let Some(store) = state.admin.store.clone() else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the audit log is unavailable: no database is open",
        );
    };
    let before = q.before;
    match tokio::task::spawn_blocking(move || store.audit_list(limit, before)).await {
        Ok(Ok(rows)) => {
            let next = (rows.len() == limit as usize)
                .then(|| rows.last().map(|r| r.id))
                .flatten();
            let entries: Vec<Value> = rows.iter().map(entry).collect();
            Json(json!({"entries": entries, "next_before": next})).into_response()
        }
        Ok(Err(e)) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("audit query failed: {e}"),
        ),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("audit query task failed: {e}"),
        ),
    }
}

/// One row as the API shows it (before/after parsed back to JSON).
fn entry(r: &AuditRow) -> Value {
    let parse = |s: &Option<String>| {
        s.as_deref().map_or(Value::Null, |s| {
            serde_json::from_str(s).unwrap_or(Value::Null)
        })
    };
    json!({
        "id": r.id,
        "ts_ms": r.ts_ms,
        "who": r.who,
        "client_ip": r.client_ip,
        "method": r.method,
        "path": r.path,
        "status": r.status,
        "before": parse(&r.before),
        "after": parse(&r.after),
    })
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"error": {"message": message}}))).into_response()
}
