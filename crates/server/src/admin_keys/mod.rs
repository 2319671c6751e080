//! `/api/v1/keys`: llmux keys through the admin API, the same store and rules as `llmux keys`.
//! A key is shown once, in the answer that makes it; every other answer shows its prefix.
//! Each change reloads the running gateway's key ring at once.

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use llmux_engine::keys::KeyRecord;
use llmux_store::{KeyLimits, KeyRow, KeyStore};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::admin_config::ApiError;
use crate::AppState;

/// The routes (answered with 503 when the process has no key store).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/keys", get(list).post(create))
        .route("/api/v1/keys/{id}", get(one).patch(update).delete(revoke))
}

/// A stored key as the data plane sees it.
pub fn to_record(row: KeyRow) -> KeyRecord {
    let at = |ms: i64| UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    KeyRecord {
        id: row.id,
        name: row.name,
        hash: row.hash,
        prefix: row.prefix,
        models: row.models,
        rpm: row.rpm,
        tpm: row.tpm,
        budget_usd: row.budget_usd,
        spent_usd: row.spent_usd,
        expires_at: row.expires_at_ms.map(at),
        revoked: row.revoked,
        tags: row.tags,
        created_at: at(row.created_at_ms),
    }
}

/// `POST /api/v1/keys` and `PATCH /api/v1/keys/{id}` bodies.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyBody {
    /// Who the key is for (creation only).
    pub name: Option<String>,
    /// Allowed model patterns; empty or absent: all.
    pub models: Option<Vec<String>>,
    /// Requests per minute.
    pub rpm: Option<u32>,
    /// Tokens per minute.
    pub tpm: Option<u64>,
    /// Spending cap in US dollars.
    pub budget_usd: Option<f64>,
    /// Expiry, ms since the epoch.
    pub expires_at_ms: Option<i64>,
    /// Tags recorded on the key's requests (creation only).
    pub tags: Option<Vec<String>>,
}

fn store(state: &AppState) -> Result<Arc<dyn KeyStore>, ApiError> {
    state.keys.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "",
            "this llmux has no key store (no data directory database)",
        )
    })
}

/// What the body's fields break, in the words `llmux keys create` uses.
pub fn check(body: &KeyBody, creating: bool, now_ms: i64) -> Result<(), (&'static str, String)> {
    if creating && body.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
        return Err(("name", "`name` is required and must not be empty".into()));
    }
    if let Some(b) = body.budget_usd {
        if !b.is_finite() || b < 0.0 {
            return Err((
                "budget_usd",
                "`budget_usd` must be a number of dollars, 0 or more".into(),
            ));
        }
    }
    if body.models.iter().flatten().any(|m| m.trim().is_empty()) {
        return Err(("models", "`models` has an empty name".into()));
    }
    if let Some(at) = body.expires_at_ms {
        if at <= now_ms {
            return Err(("expires_at_ms", "`expires_at_ms` is in the past".into()));
        }
    }
    let tags = body.tags.clone().unwrap_or_default();
    let input = llmux_engine::tags::TagInput {
        auth: llmux_engine::tags::AuthMode::ProxyKey,
        bearer: None,
        header: None,
        model: "",
        key_tags: &tags,
        default_tag: "",
    };
    llmux_engine::tags::request_tags(input).map_err(|e| ("tags", e.to_string()))?;
    Ok(())
}

/// A key as answers show it: everything but the key itself; `spent_usd` as the running
/// gateway knows it.
fn view(state: &AppState, row: &KeyRow, now_ms: i64) -> Value {
    let status = row.status(now_ms);
    let spent = state
        .gateway
        .keys()
        .spent_of(&row.id)
        .unwrap_or(row.spent_usd);
    json!({
        "id": row.id, "name": row.name, "prefix": row.prefix, "models": row.models,
        "rpm": row.rpm, "tpm": row.tpm, "budget_usd": row.budget_usd, "spent_usd": spent,
        "expires_at_ms": row.expires_at_ms, "revoked": row.revoked, "tags": row.tags,
        "created_at_ms": row.created_at_ms, "status": status,
    })
}

/// Reloads the gateway's key ring from the store, so a change counts at once.
fn refresh(state: &AppState, store: &dyn KeyStore) {
    match store.list() {
        Ok(rows) => state
            .gateway
            .keys()
            .load(rows.into_iter().map(to_record).collect()),
        Err(e) => tracing::warn!(target: "llmux", error = %e, "cannot reload the keys"),
    }
}

fn store_error(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(format!("key store: {e}"))
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "id", format!("no key `{id}`"))
}

/// The stored key `id`.
fn stored(store: &dyn KeyStore, id: &str) -> Result<KeyRow, ApiError> {
    store
        .get(id)
        .map_err(store_error)?
        .ok_or_else(|| not_found(id))
}

/// The answer, or the refusal as the configuration API words it.
fn done(r: Result<Response, ApiError>) -> Response {
    r.unwrap_or_else(IntoResponse::into_response)
}

async fn list(State(state): State<AppState>) -> Response {
    done(list_keys(&state))
}

fn list_keys(state: &AppState) -> Result<Response, ApiError> {
    let rows = store(state)?.list().map_err(store_error)?;
    let now = llmux_store::unix_ms_now();
    let keys: Vec<Value> = rows.iter().map(|r| view(state, r, now)).collect();
    Ok(Json(json!({ "keys": keys })).into_response())
}

async fn one(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    done(one_key(&state, &id))
}

fn one_key(state: &AppState, id: &str) -> Result<Response, ApiError> {
    let row = stored(store(state)?.as_ref(), id)?;
    Ok(Json(view(state, &row, llmux_store::unix_ms_now())).into_response())
}

fn parse(bytes: &Bytes) -> Result<KeyBody, ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request("", format!("the body is not a key object: {e}")))
}

/// `check`'s refusal as a 400.
fn checked(body: &KeyBody, creating: bool, now_ms: i64) -> Result<(), ApiError> {
    check(body, creating, now_ms).map_err(|(field, message)| ApiError::bad_request(field, message))
}

async fn create(State(state): State<AppState>, bytes: Bytes) -> Response {
    done(create_key(&state, &bytes))
}

fn create_key(state: &AppState, bytes: &Bytes) -> Result<Response, ApiError> {
    let store = store(state)?;
    let body = parse(bytes)?;
    let now = llmux_store::unix_ms_now();
    checked(&body, true, now)?;
    let made = llmux_engine::keys::generate()
        .map_err(|e| store_error(format!("cannot read the OS random source: {e}")))?;
    let row = KeyRow {
        id: made.id.clone(),
        name: body.name.unwrap_or_default().trim().to_owned(),
        hash: made.hash.clone(),
        prefix: made.prefix.clone(),
        models: body.models.unwrap_or_default(),
        rpm: body.rpm,
        tpm: body.tpm,
        budget_usd: body.budget_usd,
        spent_usd: 0.0,
        expires_at_ms: body.expires_at_ms,
        revoked: false,
        tags: body.tags.unwrap_or_default(),
        created_at_ms: now,
    };
    store.create(&row).map_err(store_error)?;
    refresh(state, store.as_ref());
    let shown = view(state, &row, now);
    let mut answer = shown.clone();
    answer["key"] = Value::String(made.secret);
    let response = (StatusCode::CREATED, Json(answer)).into_response();
    Ok(crate::audit::with_change(response, None, Some(shown)))
}

async fn update(State(state): State<AppState>, Path(id): Path<String>, bytes: Bytes) -> Response {
    done(update_key(&state, &id, &bytes))
}

fn update_key(state: &AppState, id: &str, bytes: &Bytes) -> Result<Response, ApiError> {
    let store = store(state)?;
    let body = parse(bytes)?;
    if body.name.is_some() || body.tags.is_some() {
        return Err(ApiError::bad_request(
            if body.name.is_some() { "name" } else { "tags" },
            "a key's name and tags are fixed; make a new key to change them",
        ));
    }
    let now = llmux_store::unix_ms_now();
    checked(&body, false, now)?;
    let before = stored(store.as_ref(), id)?;
    // Absent fields keep their value; `null` is absent too (send 0 or [] to clear).
    let limits = KeyLimits {
        models: body.models.unwrap_or_else(|| before.models.clone()),
        rpm: body.rpm.or(before.rpm),
        tpm: body.tpm.or(before.tpm),
        budget_usd: body.budget_usd.or(before.budget_usd),
        expires_at_ms: body.expires_at_ms.or(before.expires_at_ms),
    };
    if !store.update_limits(id, &limits).map_err(store_error)? {
        return Err(not_found(id));
    }
    refresh(state, store.as_ref());
    let after = stored(store.as_ref(), id)?;
    let (b, a) = (view(state, &before, now), view(state, &after, now));
    Ok(crate::audit::with_change(
        Json(a.clone()).into_response(),
        Some(b),
        Some(a),
    ))
}

async fn revoke(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    done(revoke_key(&state, &id))
}

fn revoke_key(state: &AppState, id: &str) -> Result<Response, ApiError> {
    let store = store(state)?;
    let before = stored(store.as_ref(), id)?;
    store.revoke(id).map_err(store_error)?;
    refresh(state, store.as_ref());
    let b = view(state, &before, llmux_store::unix_ms_now());
    Ok(crate::audit::with_change(
        StatusCode::NO_CONTENT.into_response(),
        Some(b),
        None,
    ))
}
